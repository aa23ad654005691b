"""Independent numeric routes for the priors → regularisers family (``derivations/map/``).

The λ claims are checked without the derivation: a reference model minimises the negative
log posterior itself (torch ``Normal``/``Laplace`` log-densities), and λ is read back from the
optimum's stationarity condition,

* Gaussian prior: Xᵀ(y − Xθ*) = λθ* for Σ(y − xᵀθ)² + λ‖θ‖², so λ = θ*ᵀXᵀ(y − Xθ*)/‖θ*‖²;
* Laplace prior: 2X_jᵀ(y − Xθ*) = λ sign(θ*_j) on the support,

then converted to the claim's convention (÷ 2σ² for the NLL convention, ÷ N for the mean).
Each random point gets its own design (n × 3, noise 0.5) from the route's generator.

The solution claims compare with the ridge and lasso reference models (LBFGS, scipy BFGS,
coordinate descent, proximal gradient), weight decay with torch.optim.SGD, the coin with
optimisers on the Beta posterior, and the flat-prior limit with the normal equations.
"""

from __future__ import annotations

import math

import numpy as np
import torch
from scipy import optimize
from torch.distributions import Beta

from derivspec.numerics.nll import one_feature_datasets
from derivspec.numerics.routes import behaviour, reference
from derivspec.reference_models.device import DTYPE, make_generator
from derivspec.reference_models.regression import lbfgs_minimise, make_regression_data, normal_equations
from derivspec.reference_models.regularised import (lasso_by_coordinate_descent, lasso_by_proximal_gradient,
                                                    map_gaussian_prior, map_laplace_prior, ridge_by_lbfgs,
                                                    ridge_by_scipy, sparsity_fractions)

# The optimisers stop at a gradient ~1e-13 of its initial size; λ read back from the optimum
# carries that error divided by ‖θ*‖², so the routes compare at rtol 1e-6 (a wrong λ is off by
# a factor, never by 1e-6).
OPTIMISER_RTOL = 1e-6
DESIGN_POINTS, FEATURES, NOISE = 20, 3, 0.5
LAMBDA_POINTS = 8


# --- λ read back from the MAP optimum --------------------------------------------------------


def ridge_lambdas(sigma, tau, generator, device, sizes=None) -> list[float]:
    """Per point: λ (SSE convention) implied by the MAP under N(0, τ²) on a fresh design."""
    values = []
    for i, (s, t) in enumerate(zip(sigma.tolist(), tau.tolist())):
        X, y, _ = make_regression_data(sizes[i] if sizes else DESIGN_POINTS, FEATURES, NOISE, generator, device)
        theta = map_gaussian_prior(X, y, s, t)
        values.append(float(theta @ (X.T @ (y - X @ theta))) / float(theta @ theta))
    return values


def lasso_lambdas(sigma, b, generator, device) -> list[float]:
    """Per point: λ (SSE convention) implied on the support of the MAP under Laplace(0, b)."""
    values = []
    for s, scale in zip(sigma.tolist(), b.tolist()):
        X, y, _ = make_regression_data(DESIGN_POINTS, FEATURES, NOISE, generator, device)
        theta = map_laplace_prior(X, y, s, scale)
        on_support = theta != 0
        if not bool(on_support.any()):
            values.append(math.nan)  # no coordinate to read λ from: cannot confirm anything
            continue
        values.append(float((2 * (X.T @ (y - X @ theta))[on_support].abs()).mean()))
    return values


def _tensor(values, like: torch.Tensor) -> torch.Tensor:
    return torch.tensor(values, dtype=DTYPE, device=like.device)


@reference("map.gaussian-prior.l2", points=LAMBDA_POINTS, rtol=OPTIMISER_RTOL)
def ridge_lambda_from_map(sigma, tau, generator, device):
    """reference model: LBFGS on the negative log posterior (torch Normal log_probs), λ implied by its stationarity condition"""
    return _tensor(ridge_lambdas(sigma, tau, generator, device), sigma)


@reference("map.gaussian-prior.l2.nll", points=LAMBDA_POINTS, rtol=OPTIMISER_RTOL)
def ridge_lambda_from_map_nll(sigma, tau, generator, device):
    """reference model: LBFGS on the negative log posterior, λ implied by its stationarity condition, divided by 2σ²"""
    return _tensor(ridge_lambdas(sigma, tau, generator, device), sigma) / (2 * sigma**2)


@reference("map.gaussian-prior.l2.mean", points=LAMBDA_POINTS, rtol=OPTIMISER_RTOL)
def ridge_lambda_from_map_mean(sigma, tau, N, generator, device):
    """reference model: LBFGS on the negative log posterior with N data points, λ implied by its stationarity condition, divided by N"""
    sizes = [int(n) for n in N.tolist()]
    return _tensor(ridge_lambdas(sigma, tau, generator, device, sizes), sigma) / N


@reference("map.laplace-prior.l1", points=LAMBDA_POINTS, rtol=OPTIMISER_RTOL)
def lasso_lambda_from_map(sigma, b, generator, device):
    """reference model: proximal gradient on the negative log posterior (torch Normal/Laplace log_probs), λ implied on the support"""
    return _tensor(lasso_lambdas(sigma, b, generator, device), sigma)


@reference("map.laplace-prior.l1.nll", points=LAMBDA_POINTS, rtol=OPTIMISER_RTOL)
def lasso_lambda_from_map_nll(sigma, b, generator, device):
    """reference model: proximal gradient on the negative log posterior, λ implied on the support, divided by 2σ²"""
    return _tensor(lasso_lambdas(sigma, b, generator, device), sigma) / (2 * sigma**2)


# --- ridge and lasso with one feature --------------------------------------------------------


def _fitted(fit, lam, data) -> torch.Tensor:
    """The first coefficient of ``fit(X, y, λ)`` on each point's three (x, y) pairs."""
    return torch.stack([fit(X, y, float(strength))[0]
                        for (X, y), strength in zip(one_feature_datasets(**data), lam.tolist())])


@reference("map.ridge.closed-form", points=32, rtol=OPTIMISER_RTOL)
def ridge_slope_by_lbfgs(x1, x2, x3, y1, y2, y3, lam):
    """reference model: LBFGS on Σ(y − θx)² + λθ²"""
    return _fitted(ridge_by_lbfgs, lam, dict(x1=x1, x2=x2, x3=x3, y1=y1, y2=y2, y3=y3))


@reference("map.ridge.closed-form", points=16, rtol=OPTIMISER_RTOL)
def ridge_slope_by_scipy(x1, x2, x3, y1, y2, y3, lam):
    """scipy.optimize.minimize on Σ(y − θx)² + λθ²"""
    return _fitted(ridge_by_scipy, lam, dict(x1=x1, x2=x2, x3=x3, y1=y1, y2=y2, y3=y3))


@reference("map.lasso.soft-threshold", points=64, rtol=OPTIMISER_RTOL)
def lasso_slope_by_coordinate_descent(x1, x2, x3, y1, y2, y3, lam):
    """reference model: coordinate descent on Σ(y − θx)² + λ|θ|"""
    return _fitted(lasso_by_coordinate_descent, lam, dict(x1=x1, x2=x2, x3=x3, y1=y1, y2=y2, y3=y3))


@reference("map.lasso.soft-threshold", points=32, rtol=OPTIMISER_RTOL)
def lasso_slope_by_proximal_gradient(x1, x2, x3, y1, y2, y3, lam):
    """reference model: proximal gradient on Σ(y − θx)² + λ|θ|"""
    return _fitted(lasso_by_proximal_gradient, lam, dict(x1=x1, x2=x2, x3=x3, y1=y1, y2=y2, y3=y3))


@behaviour("map.lasso.soft-threshold")
def lasso_has_exact_zeros(n, d, designs):
    """the lasso has exactly-zero coefficients at a large λ, ridge has none at any λ (random designs)"""
    cpu = torch.device("cpu")
    fractions = sparsity_fractions([0.0, 20.0, 200.0], n=n, d=d, n_designs=designs,
                                   generator=make_generator(0, cpu), device=cpu)
    rows = list(zip(fractions["lams"], fractions["lasso"], fractions["ridge"]))
    text = "; ".join(f"λ = {lam:g}: lasso {lasso:.2f}, ridge {ridge:.2f}" for lam, lasso, ridge in rows)
    holds = fractions["lasso"][-1] > 0 and all(ridge == 0 for ridge in fractions["ridge"])
    return holds, f"mean fraction of exactly-zero coefficients over {designs} random designs (n = {n}, d = {d}): {text}"


@behaviour("map.lasso.soft-threshold")
def lasso_at_a_corner(y1, y2, lam):
    """the lasso solution of an orthonormal design has a zero coordinate (a corner of the L1 ball)"""
    X = torch.eye(2, dtype=DTYPE)
    y = torch.tensor([y1, y2], dtype=DTYPE)
    solution = lasso_by_coordinate_descent(X, y, lam)
    zeros = int((solution == 0).sum())
    return zeros > 0, (f"orthonormal design, y = ({y1:g}, {y2:g}), λ = {lam:g}: the lasso solution is "
                       f"({float(solution[0]):.3g}, {float(solution[1]):.3g}), "
                       + ("a coordinate is zero (a corner of the diamond)" if zeros else
                          "no coordinate is zero (an edge, not a corner of the diamond)"))


# --- weight decay ----------------------------------------------------------------------------

START = (0.7, -1.3)  # the weights before the step


@reference("map.weight-decay", points=32)
def decay_by_sgd_on_penalty(eta, lam):
    """torch.optim.SGD step on λ‖θ‖² (autograd)"""
    out = []
    for step, strength in zip(eta.tolist(), lam.tolist()):
        weights = torch.tensor(START, dtype=DTYPE, device=eta.device, requires_grad=True)
        optimiser = torch.optim.SGD([weights], lr=step)
        (strength * (weights**2).sum()).backward()
        optimiser.step()
        out.append(weights.detach()[0] / START[0])
    return torch.stack(out)


@reference("map.weight-decay", points=32)
def decay_by_sgd_weight_decay(eta, lam):
    """torch.optim.SGD(weight_decay=2λ) on a zero loss"""
    out = []
    for step, strength in zip(eta.tolist(), lam.tolist()):
        weights = torch.tensor(START, dtype=DTYPE, device=eta.device, requires_grad=True)
        optimiser = torch.optim.SGD([weights], lr=step, weight_decay=2 * strength)
        (0 * weights.sum()).backward()
        optimiser.step()
        out.append(weights.detach()[1] / START[1])
    return torch.stack(out)


# --- the coin --------------------------------------------------------------------------------


@reference("map.beta-bernoulli", points=24, rtol=OPTIMISER_RTOL)
def coin_mode_by_lbfgs(h, t, alpha, beta):
    """LBFGS on -Beta(α+h, β+t).log_prob over logit p"""
    out = []
    for heads, tails, a, b in zip(h.tolist(), t.tolist(), alpha.tolist(), beta.tolist()):
        posterior = Beta(torch.tensor(a + heads, dtype=DTYPE), torch.tensor(b + tails, dtype=DTYPE))
        z = lbfgs_minimise(lambda v: -posterior.log_prob(torch.sigmoid(v[0])), torch.zeros(1, dtype=DTYPE), max_iter=100)
        out.append(torch.sigmoid(z[0]))
    return torch.stack(out).to(h.device)


@reference("map.beta-bernoulli", points=24, rtol=OPTIMISER_RTOL)
def coin_mode_by_scipy(h, t, alpha, beta):
    """scipy.optimize.minimize_scalar on the log posterior"""
    out = []
    for heads, tails, a, b in zip(h.tolist(), t.tolist(), alpha.tolist(), beta.tolist()):
        def negative_log_posterior(p):
            return -((heads + a - 1) * np.log(p) + (tails + b - 1) * np.log1p(-p))
        out.append(optimize.minimize_scalar(negative_log_posterior, bounds=(1e-12, 1 - 1e-12), method="bounded",
                                            options={"xatol": 1e-14}).x)
    return torch.tensor(out, dtype=DTYPE, device=h.device)


# --- MAP → MLE -------------------------------------------------------------------------------


@reference("map.mle-limit", points=32)
def mle_slope_by_normal_equations(x1, x2, x3, y1, y2, y3):
    """reference model: normal equations (the MLE)"""
    return torch.stack([normal_equations(X, y)[0] for X, y in one_feature_datasets(x1, x2, x3, y1, y2, y3)])


@reference("map.mle-limit", points=16, rtol=OPTIMISER_RTOL)
def mle_slope_by_flat_prior_map(x1, x2, x3, y1, y2, y3):
    """reference model: MAP by LBFGS with τ = 1e6 (λ = 1e-12), σ = 1"""
    return torch.stack([map_gaussian_prior(X, y, 1.0, 1e6)[0] for X, y in one_feature_datasets(x1, x2, x3, y1, y2, y3)])
