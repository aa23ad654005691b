"""Numeric evidence for Schulman's per-sample KL estimators (``derivations/kl/estimators.py``): what matters about
an estimator is its mean under q, so each route drives the candidate estimator with the log-densities of draws
x ~ q and compares its expectation with ``torch.distributions.kl_divergence(q, p)``:

* exactly on random categorical laws (the expectation a weighted sum over the support, compared within float64
  round-off) -- k1 and k3 are unbiased;
* by Monte Carlo on pairs of Gaussians (``numerics/montecarlo.py``: 1e-6 false-fail rate per pair, 1 % detectable
  relative error; the pairs have σ_p < σ_q, so r = p/q is bounded and every moment of k3 is finite);
* to second order along a path p_ε → q on categorical laws (the value and the first two derivatives in ε at
  ε = 0 by autograd, each within round-off of KL's) -- the property k2 has, and k1 and k3 with it.
"""

from __future__ import annotations

import math
import time

import torch
from torch.distributions import Categorical, Normal, kl_divergence

from derivspec.core.numbers import fmt
from derivspec.numerics.accuracy import tolerance
from derivspec.numerics.checks import NumericResult
from derivspec.numerics.montecarlo import Integrand, monte_carlo_check, standard_normal
from derivspec.numerics.routes import model
from derivspec.reference_models.device import DTYPE

ESTIMATORS = ("kl.estimator.k1", "kl.estimator.k2", "kl.estimator.k3")
UNBIASED = ("kl.estimator.k1", "kl.estimator.k3")
OUTCOMES = 5  # the support of the random categorical laws
LAW_PAIRS = 32  # random (q, p) pairs per exact check
# (μ_q, σ_q, μ_p, σ_p): σ_p < σ_q bounds r = p/q above; σ_p > σ_q/√2 keeps E_q[q/p] (a wrong variant's mean) finite
GAUSSIAN_PAIRS = ((0.0, 1.0, 0.5, 0.8), (0.3, 0.8, -0.2, 0.7), (1.0, 1.5, 0.4, 1.3), (-0.5, 1.0, 0.2, 1.0))


def _random_laws(generator, device, spread: float = 1.0):
    """LAW_PAIRS pairs of categorical laws on OUTCOMES points: log-probabilities (q, p), rows normalised."""
    shape = (LAW_PAIRS, OUTCOMES)
    logq = torch.log_softmax(spread * torch.randn(shape, generator=generator, dtype=DTYPE, device=device), -1)
    logp = torch.log_softmax(spread * torch.randn(shape, generator=generator, dtype=DTYPE, device=device), -1)
    return logq, logp


def _worst(got: torch.Tensor, want: torch.Tensor):
    """(passed, max |got − want|, index of the worst point) within float64 round-off of ``want``."""
    error = (got - want).abs()
    error = torch.where(torch.isfinite(error), error, torch.full_like(error, math.inf))
    excess = error - tolerance(want)
    worst = int(torch.argmax(excess))
    return bool((excess <= 0).all()), float(error.max()), worst


@model(*UNBIASED, candidate_args=("logp", "logq"))
def mean_over_categorical_laws(candidate, generator, device):
    """E_q[estimator(log p(x), log q(x))] summed exactly over 32 random pairs of 5-point categorical laws vs torch kl_divergence(Categorical(q), Categorical(p))"""
    start = time.perf_counter()
    logq, logp = _random_laws(generator, device)
    mean = (logq.exp() * candidate(logp=logp, logq=logq)).sum(-1)
    want = kl_divergence(Categorical(logits=logq), Categorical(logits=logp))
    passed, error, worst = _worst(mean, want)
    return NumericResult(passed, "", points=LAW_PAIRS, max_abs_diff=error, seconds=time.perf_counter() - start,
                         detail=f"{LAW_PAIRS} random pairs of laws on {OUTCOMES} points, exact sums in float64; worst pair: "
                                f"E_q[estimator] = {fmt(float(mean[worst]), '.10g')}, KL(q ‖ p) = {fmt(float(want[worst]), '.10g')}")


def _gaussian_estimator(candidate, mu_q, sigma_q, mu_p, sigma_p, device) -> tuple[Integrand, float]:
    q = Normal(torch.tensor(mu_q, dtype=DTYPE, device=device), torch.tensor(sigma_q, dtype=DTYPE, device=device))
    p = Normal(torch.tensor(mu_p, dtype=DTYPE, device=device), torch.tensor(sigma_p, dtype=DTYPE, device=device))

    def f(u):
        x = q.loc + q.scale * standard_normal(u[:, 0])
        return candidate(logp=p.log_prob(x), logq=q.log_prob(x))
    return Integrand(f, dim=1), float(kl_divergence(q, p))


@model(*UNBIASED, candidate_args=("logp", "logq"))
def mean_over_gaussian_draws(candidate, generator, device):
    """Monte Carlo: the mean of the estimator over x ~ q for four Gaussian pairs vs torch kl_divergence(q, p) (1e-6 false-fail rate per pair)"""
    start = time.perf_counter()
    outcomes = []
    for pair in GAUSSIAN_PAIRS:
        estimator, kl = _gaussian_estimator(candidate, *pair, device)
        outcomes.append((pair, monte_carlo_check(estimator, kl, generator)))
        if not outcomes[-1][1].passed:
            break
    pair, result = next((o for o in outcomes if not o[1].passed), max(outcomes, key=lambda o: abs(o[1].z)))
    return NumericResult(all(o[1].passed for o in outcomes), "", monte_carlo=result, seconds=time.perf_counter() - start,
                         detail=f"{len(outcomes)} Gaussian pair(s); worst at q = N({pair[0]}, {pair[1]}²), p = N({pair[2]}, "
                                f"{pair[3]}²): {result.method}, n={result.n}, estimate {fmt(result.estimate, '.6g')} ± "
                                f"{fmt(result.stderr, '.2g')}, KL {fmt(result.expected, '.6g')}, z={fmt(result.z, '.2f')}")


def _derivatives(value: torch.Tensor, eps: torch.Tensor) -> list[torch.Tensor]:
    """value and its first two derivatives in the scalar ``eps`` (autograd; a value free of eps has zero derivatives)."""
    out = [value.detach()]
    current = value
    for _ in range(2):
        if not current.requires_grad:
            out.append(torch.zeros_like(value))
            continue
        (current,) = torch.autograd.grad(current.sum(), eps, create_graph=True, allow_unused=True)
        if current is None:
            current = torch.zeros_like(value)
        out.append(current.detach())
    return out


@model(*ESTIMATORS, candidate_args=("logp", "logq"))
def second_order_along_a_path(candidate, generator, device):
    """E_q[estimator] vs torch kl_divergence(q, p_ε) along p_ε ∝ q·e^{εh} (32 random 5-point laws q, directions h): value, first and second derivatives at ε = 0 by autograd, each within round-off"""
    start = time.perf_counter()
    logq, _ = _random_laws(generator, device)
    direction = torch.randn(logq.shape, generator=generator, dtype=DTYPE, device=device)
    failures, worst_error, shown = [], 0.0, ""
    for row in range(LAW_PAIRS):
        eps = torch.zeros((), dtype=DTYPE, device=device, requires_grad=True)
        lq = logq[row]
        lp = torch.log_softmax(lq + eps * direction[row], -1)
        mean = (lq.exp() * candidate(logp=lp, logq=lq.expand_as(lp))).sum()
        kl = kl_divergence(Categorical(logits=lq), Categorical(logits=lp))
        got, want = torch.stack(_derivatives(mean, eps)), torch.stack(_derivatives(kl, eps))
        error = (got - want).abs()
        bound = tolerance(want) + 1e-12 * float(want.abs().max())
        bad = [k for k in range(3) if not bool(torch.isfinite(error[k])) or bool(error[k] > bound[k])]
        worst_error = max(worst_error, float(error.max()) if bool(torch.isfinite(error).all()) else math.inf)
        if bad and not failures:
            shown = (f"law {row}: derivative(s) {bad} differ: E_q[estimator] and its ε-derivatives "
                     f"{', '.join(fmt(float(v), '.6g') for v in got)}; KL(q ‖ p_ε) and its "
                     f"{', '.join(fmt(float(v), '.6g') for v in want)}")
        if bad:
            failures.append(row)
    detail = shown or (f"{LAW_PAIRS} random laws on {OUTCOMES} points: E_q[estimator] − KL(q ‖ p_ε) and its first two "
                       f"ε-derivatives vanish at ε = 0 within round-off (max difference {fmt(worst_error, '.2g')})")
    return NumericResult(not failures, "", points=LAW_PAIRS, max_abs_diff=worst_error, seconds=time.perf_counter() - start,
                         detail=detail)
