"""Independent numeric routes for the NLL family (``derivations/nll.py``).

Every route computes the claimed quantity without the SymPy derivation: with
``torch.distributions`` log-densities, torch's own losses (``mse_loss``,
``binary_cross_entropy(_with_logits)``, ``cross_entropy``, ``gaussian_nll_loss``), autograd,
the reference models of ``reference_models/``, or Monte Carlo. Each route is a function
``(candidate, claim, ctx) -> NumericResult``; a claim passes its own target through it, and
every wrong variant must fail it.
"""

from __future__ import annotations

import time

import torch
import torch.nn.functional as F
from torch.distributions import Bernoulli, Categorical, Normal

from numerics.checks import (NumericContext, NumericResult, against_monte_carlo, against_reference, all_of,
                             elementwise_grad, torch_function)
from numerics.device import DTYPE


# --- the three NLLs ---------------------------------------------------------------------

def gaussian_nll(candidate, claim, ctx: NumericContext) -> NumericResult:
    return all_of(
        lambda: against_reference(candidate, claim, ctx, method="torch Normal.log_prob",
                          reference=lambda y, mu, sigma: -Normal(mu, sigma).log_prob(y)),
        lambda: against_reference(candidate, claim, ctx, method="F.gaussian_nll_loss(full=True)",
                          reference=lambda y, mu, sigma: F.gaussian_nll_loss(
                              mu, y, sigma**2, full=True, eps=0.0, reduction="none")))


def bernoulli_nll(candidate, claim, ctx: NumericContext) -> NumericResult:
    return all_of(
        lambda: against_reference(candidate, claim, ctx, method="torch Bernoulli.log_prob",
                          reference=lambda y, p: -Bernoulli(probs=p).log_prob(y)),
        lambda: against_reference(candidate, claim, ctx, method="F.binary_cross_entropy",
                          reference=lambda y, p: F.binary_cross_entropy(p, y, reduction="none")))


def _logits(h1, h2, h3) -> torch.Tensor:
    return torch.stack([h1, h2, h3], dim=-1)


def categorical_nll(candidate, claim, ctx: NumericContext) -> NumericResult:
    def observed_class(h1):
        return torch.zeros_like(h1, dtype=torch.long)

    return all_of(
        lambda: against_reference(candidate, claim, ctx, method="torch Categorical.log_prob",
                          reference=lambda h1, h2, h3: -Categorical(logits=_logits(h1, h2, h3)).log_prob(
                              observed_class(h1))),
        lambda: against_reference(candidate, claim, ctx, method="F.cross_entropy",
                          reference=lambda h1, h2, h3: F.cross_entropy(
                              _logits(h1, h2, h3), observed_class(h1), reduction="none")))


def bernoulli_logits_nll(candidate, claim, ctx: NumericContext) -> NumericResult:
    return all_of(
        lambda: against_reference(candidate, claim, ctx, method="F.binary_cross_entropy_with_logits",
                          reference=lambda y, z: F.binary_cross_entropy_with_logits(z, y, reduction="none")),
        lambda: against_reference(candidate, claim, ctx, method="torch Bernoulli(logits).log_prob",
                          reference=lambda y, z: -Bernoulli(logits=z).log_prob(y)))


# --- NLL versus MSE ----------------------------------------------------------------------

def gaussian_nll_over_mse_gradient(candidate, claim, ctx: NumericContext) -> NumericResult:
    """a(σ) = (∂/∂μ Gaussian NLL) / (∂/∂μ squared error), both by autograd, at random y, μ."""
    generator = ctx.generator(salt=1)

    def scale(sigma):
        y = 4 * torch.rand(sigma.shape, generator=generator, dtype=DTYPE, device=sigma.device) - 2
        mu = y + 0.5 + torch.rand(sigma.shape, generator=generator, dtype=DTYPE, device=sigma.device)
        nll_slope = elementwise_grad(lambda m: -Normal(m, sigma).log_prob(y), mu)
        mse_slope = elementwise_grad(lambda m: F.mse_loss(m, y, reduction="none"), mu)
        return nll_slope / mse_slope

    return against_reference(candidate, claim, ctx, scale,
                             method="autograd: dNLL/dμ ÷ dMSE/dμ (Normal.log_prob, F.mse_loss)")


# --- gradients ---------------------------------------------------------------------------

def logistic_gradient(candidate, claim, ctx: NumericContext) -> NumericResult:
    def autograd():
        return against_reference(
            candidate, claim, ctx, method="autograd of F.binary_cross_entropy_with_logits",
            reference=lambda y, theta, x: elementwise_grad(
                lambda t: F.binary_cross_entropy_with_logits(t * x, y, reduction="none"), theta))

    return all_of(autograd, lambda: logistic_model_trained_with(candidate, claim, ctx))


# Weights from GD with the candidate gradient vs torch's own loss minimised by LBFGS: both
# converge to ~1e-11 for a correct gradient; wrong ones stay > 1e-3 away (reference_models tests).
SAME_WEIGHTS_TOL = 1e-6


def _same_weights(by_candidate, by_reference, start: float, method: str, setting: str) -> NumericResult:
    difference = float((by_candidate - by_reference).abs().max())
    passed = bool(torch.isfinite(by_candidate).all()) and difference < SAME_WEIGHTS_TOL
    return NumericResult(passed, method, max_abs_diff=difference, seconds=time.perf_counter() - start,
                         detail=f"max |w_GD − w_ref| = {difference:.2e} (tolerance {SAME_WEIGHTS_TOL:g}), {setting}")


def logistic_model_trained_with(candidate, claim, ctx: NumericContext) -> NumericResult:
    """Reference model: gradient descent driven by the candidate gradient (x = 1, θ = logit)
    reaches the weights LBFGS finds on torch's BCE-with-logits."""
    from reference_models.classifiers import fit_logistic_by_bce, fit_logistic_by_gradient, make_binary_data

    start = time.perf_counter()
    X, y, _ = make_binary_data(200, 3, ctx.generator(salt=2), ctx.device)
    per_example = torch_function(claim.expand_defined(candidate), claim.variables)

    def dloss_dlogit(labels, logits):
        return per_example(y=labels, theta=logits, x=torch.ones_like(logits))

    return _same_weights(fit_logistic_by_gradient(X, y, dloss_dlogit), fit_logistic_by_bce(X, y), start,
                         "reference model: logistic regression, GD with candidate vs LBFGS on BCE", "n=200, d=3")


def softmax_gradient(logit_index: int):
    """∂/∂h_k of the categorical NLL (observed class 1), by autograd through F.cross_entropy."""

    def check(candidate, claim, ctx: NumericContext) -> NumericResult:
        def reference(h1, h2, h3):
            logits = _logits(h1, h2, h3).detach().requires_grad_(True)
            loss = F.cross_entropy(logits, torch.zeros_like(h1, dtype=torch.long), reduction="sum")
            (gradient,) = torch.autograd.grad(loss, logits)
            return gradient[:, logit_index]

        return all_of(
            lambda: against_reference(candidate, claim, ctx, reference,
                                      method=f"autograd of F.cross_entropy w.r.t. h{logit_index + 1}"),
            lambda: softmax_model_trained_with(candidate, claim, ctx, logit_index))

    return check


def softmax_model_trained_with(candidate, claim, ctx: NumericContext, logit_index: int) -> NumericResult:
    """Reference model: a 3-class softmax classifier trained by GD whose logit gradient takes
    the candidate for the entries the claim covers (the observed class's logit, or the other
    two) and softmax − onehot for the rest, vs LBFGS on F.cross_entropy."""
    from reference_models.classifiers import fit_softmax_by_ce, fit_softmax_by_gradient, make_multiclass_data

    start = time.perf_counter()
    X, labels, _ = make_multiclass_data(200, 3, 3, ctx.generator(salt=3), ctx.device)
    entry = torch_function(claim.expand_defined(candidate), claim.variables)

    def dloss_dlogits(onehot, logits):
        gradient = torch.softmax(logits, 1) - onehot
        observed = onehot.argmax(1)
        rows = torch.arange(len(observed), device=logits.device)
        h = [logits[rows, (observed + shift) % 3] for shift in range(3)]  # h[0]: observed class
        if logit_index == 0:
            gradient[rows, observed] = entry(h1=h[0], h2=h[1], h3=h[2])
        else:
            gradient[rows, (observed + 1) % 3] = entry(h1=h[0], h2=h[1], h3=h[2])
            gradient[rows, (observed + 2) % 3] = entry(h1=h[0], h2=h[2], h3=h[1])
        return gradient

    return _same_weights(fit_softmax_by_gradient(X, labels, dloss_dlogits), fit_softmax_by_ce(X, labels), start,
                         "reference model: softmax classifier, GD with candidate vs LBFGS on CE", "n=200, d=3, K=3")


def linear_regression_gradient(candidate, claim, ctx: NumericContext) -> NumericResult:
    return against_reference(
        candidate, claim, ctx, method="autograd of -Normal(θx, σ).log_prob(y)",
        reference=lambda y, theta, x, sigma: elementwise_grad(lambda t: -Normal(t * x, sigma).log_prob(y), theta))


# --- least squares with one feature (the worked OLS example) -----------------------------

def _design(x1, x2, x3, y1, y2, y3):
    return torch.stack([x1, x2, x3], -1), torch.stack([y1, y2, y3], -1)


def one_feature_datasets(**data) -> list[tuple[torch.Tensor, torch.Tensor]]:
    """Per random point, its three (x, y) pairs as a 3×1 design matrix and a target vector."""
    X, Y = _design(**data)
    return [(X[i, :, None], Y[i]) for i in range(X.shape[0])]


def ols_slope(candidate, claim, ctx: NumericContext) -> NumericResult:
    """θ̂ from reference models: the normal equations, and LBFGS on the Gaussian NLL
    (σ = 0.7) and on torch's MSE, which must all reach the same slope."""
    from reference_models.regression import fit_by_gaussian_nll, fit_by_mse, normal_equations

    def by_model(fit):
        def reference(**data):
            return torch.stack([fit(X, y)[0] for X, y in one_feature_datasets(**data)])
        return reference

    return all_of(
        lambda: against_reference(candidate, claim, ctx, by_model(normal_equations),
                                  method="reference model: normal equations", n_points=64),
        lambda: against_reference(candidate, claim, ctx, by_model(lambda X, Y: fit_by_gaussian_nll(X, Y, 0.7)),
                                  method="reference model: LBFGS on Gaussian NLL", n_points=16),
        lambda: against_reference(candidate, claim, ctx, by_model(fit_by_mse),
                                  method="reference model: LBFGS on F.mse_loss", n_points=16))


def ols_gradient(candidate, claim, ctx: NumericContext) -> NumericResult:
    def reference(theta, **data):
        X, Y = _design(**data)
        return elementwise_grad(lambda t: F.mse_loss(t[:, None] * X, Y, reduction="none").sum(-1), theta)

    return against_reference(candidate, claim, ctx, reference,
                             method="autograd of F.mse_loss(reduction='sum')")


def ols_min_sse(candidate, claim, ctx: NumericContext) -> NumericResult:
    from reference_models.regression import fit_by_mse

    def reference(**data):
        values = []
        for X, y in one_feature_datasets(**data):
            values.append(F.mse_loss(X @ fit_by_mse(X, y), y, reduction="sum"))
        return torch.stack(values)

    return against_reference(candidate, claim, ctx, reference, n_points=16,
                             method="reference model: LBFGS on F.mse_loss, SSE at the optimum")


# --- expected NLL (cross-entropy) by Monte Carlo -----------------------------------------

def gaussian_cross_entropy(candidate, claim, ctx: NumericContext) -> NumericResult:
    """E_{y~N(m,s²)}[-log N(y; μ, σ²)] estimated from torch samples of y."""

    def sampler(params):
        def sample(n, generator):
            noise = torch.randn(n, generator=generator, dtype=DTYPE, device=ctx.device)
            y = params["m"] + params["s"] * noise
            return -Normal(params["mu"], params["sigma"]).log_prob(y)
        return sample

    return against_monte_carlo(candidate, claim, ctx, sampler,
                               method="Monte Carlo: mean of -Normal.log_prob over y ~ N(m, s²)")
