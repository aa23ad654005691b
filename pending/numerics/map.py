"""Independent numeric routes for the priors → regularisers family (``derivations/map.py``).

The λ claims are checked without the derivation: a reference model minimises the negative
log posterior itself (torch ``Normal``/``Laplace`` log-densities), and λ is read back from the
optimum's stationarity condition,

* Gaussian prior: Xᵀ(y − Xθ*) = λθ* for Σ(y − xᵀθ)² + λ‖θ‖², so λ = θ*ᵀXᵀ(y − Xθ*)/‖θ*‖²;
* Laplace prior: 2X_jᵀ(y − Xθ*) = λ sign(θ*_j) on the support,

then converted to the claim's convention (÷ 2σ² for the NLL convention, ÷ N for the mean).
"""

from __future__ import annotations

import math

import numpy as np
import torch
from scipy import optimize
from torch.distributions import Beta

from derivspec.numerics.checks import NumericContext, NumericResult, against_reference, all_of
from derivspec.reference_models.device import DTYPE
from derivspec.numerics.nll import one_feature_datasets

# The optimisers stop at a gradient ~1e-13 of its initial size; λ read back from the optimum
# carries that error divided by ‖θ*‖², so the routes compare at rtol 1e-6 (a wrong λ is off by
# a factor, never by 1e-6).
OPTIMISER_RTOL = 1e-6
DESIGN_POINTS, FEATURES = 20, 3


def _data(ctx: NumericContext, salt: int, n: int = DESIGN_POINTS):
    from derivspec.reference_models.regression import make_regression_data
    X, y, _ = make_regression_data(n, FEATURES, 0.5, ctx.generator(salt=salt), ctx.device)
    return X, y


def implied_ridge_lambda(convention: str):
    """λ read back from the MAP optimum of the Gaussian-prior posterior."""

    def check(candidate, claim, ctx: NumericContext) -> NumericResult:
        from derivspec.reference_models.regularised import map_gaussian_prior

        def reference(sigma, tau, N=None):
            values = []
            for i, (s, t) in enumerate(zip(sigma.tolist(), tau.tolist())):
                n = int(N[i]) if N is not None else DESIGN_POINTS
                X, y = _data(ctx, salt=100 + i, n=n)
                theta = map_gaussian_prior(X, y, s, t)
                lam_sse = float(theta @ (X.T @ (y - X @ theta))) / float(theta @ theta)
                values.append(lam_sse / (2 * s**2) if convention == "nll" else lam_sse / n if convention == "mean" else lam_sse)
            return torch.tensor(values, dtype=DTYPE, device=sigma.device)

        return against_reference(candidate, claim, ctx, reference, n_points=8, rtol=OPTIMISER_RTOL,
                                 method="reference model: MAP by LBFGS on -log likelihood - log prior, λ from stationarity")
    return check


def implied_lasso_lambda(convention: str):
    """λ read back on the support of the MAP optimum of the Laplace-prior posterior."""

    def check(candidate, claim, ctx: NumericContext) -> NumericResult:
        from derivspec.reference_models.regularised import map_laplace_prior

        def reference(sigma, b):
            values = []
            for i, (s, scale) in enumerate(zip(sigma.tolist(), b.tolist())):
                X, y = _data(ctx, salt=200 + i)
                theta = map_laplace_prior(X, y, s, scale)
                on_support = theta != 0
                if not bool(on_support.any()):
                    values.append(math.nan)  # no coordinate to read λ from: cannot confirm anything
                    continue
                lam_sse = float((2 * (X.T @ (y - X @ theta))[on_support].abs()).mean())
                values.append(lam_sse / (2 * s**2) if convention == "nll" else lam_sse)
            return torch.tensor(values, dtype=DTYPE, device=sigma.device)

        return against_reference(candidate, claim, ctx, reference, n_points=8, rtol=OPTIMISER_RTOL,
                                 method="reference model: MAP by proximal gradient on -log likelihood - log Laplace prior, λ on the support")
    return check


def _per_point(fit):
    def reference(lam, **data):
        return torch.stack([fit(X, y, float(strength))[0]
                            for (X, y), strength in zip(one_feature_datasets(**data), lam.tolist())])
    return reference


def ridge_solution(candidate, claim, ctx: NumericContext) -> NumericResult:
    from derivspec.reference_models.regularised import ridge_by_lbfgs, ridge_by_scipy
    return all_of(
        lambda: against_reference(candidate, claim, ctx, _per_point(ridge_by_lbfgs), n_points=32, rtol=OPTIMISER_RTOL,
                                  method="reference model: LBFGS on Σ(y − θx)² + λθ²"),
        lambda: against_reference(candidate, claim, ctx, _per_point(ridge_by_scipy), n_points=16, rtol=OPTIMISER_RTOL,
                                  method="scipy.optimize.minimize on Σ(y − θx)² + λθ²"))


def lasso_solution(candidate, claim, ctx: NumericContext) -> NumericResult:
    from derivspec.reference_models.regularised import lasso_by_coordinate_descent, lasso_by_proximal_gradient
    return all_of(
        lambda: against_reference(candidate, claim, ctx, _per_point(lasso_by_coordinate_descent), n_points=64,
                                  rtol=OPTIMISER_RTOL, method="reference model: coordinate descent on Σ(y − θx)² + λ|θ|"),
        lambda: against_reference(candidate, claim, ctx, _per_point(lasso_by_proximal_gradient), n_points=32,
                                  rtol=OPTIMISER_RTOL, method="reference model: proximal gradient on Σ(y − θx)² + λ|θ|"))


def weight_decay_factor(candidate, claim, ctx: NumericContext) -> NumericResult:
    """θ₁/θ₀ after one torch SGD step on λ‖θ‖² (data gradient 0), and with SGD(weight_decay=2λ)."""
    def by_penalty(eta, lam):
        out = []
        for step, strength in zip(eta.tolist(), lam.tolist()):
            weights = torch.tensor([0.7, -1.3], dtype=DTYPE, device=eta.device, requires_grad=True)
            optimiser = torch.optim.SGD([weights], lr=step)
            (strength * (weights**2).sum()).backward()
            optimiser.step()
            out.append(weights.detach()[0] / 0.7)
        return torch.stack(out)

    def by_sgd_weight_decay(eta, lam):
        out = []
        for step, strength in zip(eta.tolist(), lam.tolist()):
            weights = torch.tensor([0.7, -1.3], dtype=DTYPE, device=eta.device, requires_grad=True)
            optimiser = torch.optim.SGD([weights], lr=step, weight_decay=2 * strength)
            (0 * weights.sum()).backward()
            optimiser.step()
            out.append(weights.detach()[1] / -1.3)
        return torch.stack(out)

    return all_of(
        lambda: against_reference(candidate, claim, ctx, by_penalty, n_points=32,
                                  method="torch.optim.SGD step on λ‖θ‖² (autograd)"),
        lambda: against_reference(candidate, claim, ctx, by_sgd_weight_decay, n_points=32,
                                  method="torch.optim.SGD(weight_decay=2λ) on a zero loss"))


def beta_bernoulli_mode(candidate, claim, ctx: NumericContext) -> NumericResult:
    from derivspec.reference_models.regression import lbfgs_minimise

    def by_torch(h, t, alpha, beta):
        out = []
        for heads, tails, a, b in zip(h.tolist(), t.tolist(), alpha.tolist(), beta.tolist()):
            posterior = Beta(torch.tensor(a + heads, dtype=DTYPE), torch.tensor(b + tails, dtype=DTYPE))
            z = lbfgs_minimise(lambda v: -posterior.log_prob(torch.sigmoid(v[0])),
                               torch.zeros(1, dtype=DTYPE), max_iter=100)
            out.append(torch.sigmoid(z[0]))
        return torch.stack(out).to(h.device)

    def by_scipy(h, t, alpha, beta):
        out = []
        for heads, tails, a, b in zip(h.tolist(), t.tolist(), alpha.tolist(), beta.tolist()):
            def negative_log_posterior(p):
                return -((heads + a - 1) * np.log(p) + (tails + b - 1) * np.log1p(-p))
            out.append(optimize.minimize_scalar(negative_log_posterior, bounds=(1e-12, 1 - 1e-12), method="bounded",
                                                options={"xatol": 1e-14}).x)
        return torch.tensor(out, dtype=DTYPE, device=h.device)

    return all_of(
        lambda: against_reference(candidate, claim, ctx, by_torch, n_points=24, rtol=OPTIMISER_RTOL,
                                  method="LBFGS on -Beta(α+h, β+t).log_prob over logit p"),
        lambda: against_reference(candidate, claim, ctx, by_scipy, n_points=24, rtol=OPTIMISER_RTOL,
                                  method="scipy.optimize.minimize_scalar on the log posterior"))


def flat_prior_map(candidate, claim, ctx: NumericContext) -> NumericResult:
    """MAP under a nearly flat prior (τ = 1e6, σ = 1) by LBFGS, and the normal equations."""
    from derivspec.reference_models.regression import normal_equations
    from derivspec.reference_models.regularised import map_gaussian_prior

    def by_map(**data):
        return torch.stack([map_gaussian_prior(X, y, 1.0, 1e6)[0] for X, y in one_feature_datasets(**data)])

    def by_normal_equations(**data):
        return torch.stack([normal_equations(X, y)[0] for X, y in one_feature_datasets(**data)])

    return all_of(
        lambda: against_reference(candidate, claim, ctx, by_normal_equations, n_points=32,
                                  method="reference model: normal equations (the MLE)"),
        lambda: against_reference(candidate, claim, ctx, by_map, n_points=16, rtol=OPTIMISER_RTOL,
                                  method="reference model: MAP by LBFGS with τ = 1e6 (λ = 1e-12)"))
