r"""Reparameterisation vs score-function (REINFORCE) estimators of ∇_{μ,σ} E_q[f(z)], q = N(μ, σ²).

Two unbiased estimators of the gradient of :math:`F(\mu,\sigma) = \mathbb E_{z\sim q}[f(z)]`:

* **reparameterisation** (pathwise; Kingma & Welling 2014, §2.4): :math:`z = \mu + \sigma\varepsilon`,
  :math:`\varepsilon \sim N(0,1)`, so :math:`F = \mathbb E_\varepsilon[f(\mu+\sigma\varepsilon)]` and

  .. math::  \partial_\mu F = \mathbb E[f'(z)], \qquad \partial_\sigma F = \mathbb E[f'(z)\,\varepsilon].

  Per-sample values come from autograd: μ and σ are expanded to one leaf per sample and
  ``torch.autograd.grad`` of :math:`\sum_i f(z_i)` w.r.t. those leaves gives
  :math:`(f'(z_i),\ f'(z_i)\varepsilon_i)` (``f`` must act elementwise).

* **score function** (log-derivative trick; Williams 1992): :math:`\nabla F = \mathbb E[f(z)\nabla\log q(z)]`
  with :math:`\partial_\mu \log q = (z-\mu)/\sigma^2 = \varepsilon/\sigma` and
  :math:`\partial_\sigma \log q = ((z-\mu)^2 - \sigma^2)/\sigma^3 = (\varepsilon^2-1)/\sigma` (also by autograd
  here). Because :math:`\mathbb E[\nabla\log q] = 0`, subtracting a constant baseline
  :math:`b` keeps it unbiased: :math:`(f(z) - b)\nabla\log q`. We take :math:`b \approx \mathbb E[f]`
  from a *separate* pilot, so b is independent of the draws it multiplies.

Closed forms used as the truth (Gaussian moments; :math:`\mathbb E[z^2] = \mu^2+\sigma^2`,
:math:`\mathbb E[e^{cz}] = e^{c\mu + c^2\sigma^2/2}`, the normal m.g.f.):

===============  ==============================  ====================  ==========================
f(z)             E_q[f]                          ∂μ                    ∂σ
===============  ==============================  ====================  ==========================
z²               μ² + σ²                         2μ                    2σ
(z − a)²         (μ − a)² + σ²                   2(μ − a)              2σ
exp(c z)         e^{cμ + c²σ²/2}                 c·E                   c²σ·E
===============  ==============================  ====================  ==========================

Each also carries one *wrong* closed form (a dropped factor or term) that the Monte Carlo check
(``derivspec.numerics.elbo.check_gradient``, 1e-6 false-fail rate) must reject.

Per-sample variances for f = z² (Gaussian moments E ε² = 1, E ε⁴ = 3, E ε⁶ = 15, E ε⁸ = 105;
expanded with sympy.stats; :func:`square_variances`):

* reparameterisation: Var ∂μ = 4σ², Var ∂σ = 4(μ² + 2σ²);
* score function (b = 0): Var ∂μ = (μ⁴ + 14μ²σ² + 15σ⁴)/σ², Var ∂σ = 2(μ⁴ + 30μ²σ² + 37σ⁴)/σ².

At μ = 1, σ = 0.5 the ratios reparam/score are 1/21.75 ≈ 0.046 (∂μ) and 6/86.5 ≈ 0.069 (∂σ).

An executable specification of the lecture statements (checked by ``derivspec verify`` through
the behaviour sources of the ``elbo.gradient.*`` claims, ``numerics/elbo.py``):

* "z = μ_z + σ_z ⊙ ε ... Now gradients can flow back to μ and σ" (002 L169–178), "we can
  backprop through the sample" (003 L713–719), "Gradients flow through encoder" (004
  L2633–2639): :func:`reparam_gradient_samples` is autograd through the sample;
* "REINFORCE E_{τ~π}[R(τ)∇log π(τ)]" estimated by a few samples (003 L749–753):
  :func:`score_function_gradient_samples`;
* unbiasedness of both (the spec's first check): :func:`unbiasedness_test`, z-tests of every
  estimator's mean against the closed form, Bonferroni, false-fail rate 1e-6 (CLT), with its
  simulated power against a score-function estimator whose baseline depends on its own draw
  (:func:`own_group_baseline_samples`);
* "Enables low-variance gradient estimates" (004 L1105–1109, L1438, L2569–2570, L2637–2638):
  :func:`estimator_moments`, :func:`variance_ratio`.

The per-sample functions also take given noise (:func:`reparam_gradient_at`,
:func:`score_function_gradient_at`), so quadrature can evaluate them at fixed nodes. The
Monte Carlo comparison of an estimator with a closed form (1e-6 false-fail rate) is
``derivspec.numerics.elbo.check_gradient``.

Everything is float64 on the generator's device.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

import torch

from derivspec.core.lazy import lazy
from derivspec.core.numbers import fmt
from derivspec.reference_models.device import DTYPE
from derivspec.reference_models.fit_tests import TestOutcome, power
from derivspec.reference_models.specification import Check, ResultTable, RunContext, SpecResult, specification

stats = lazy("scipy.stats")

COMPONENTS = ("mu", "sigma")
BASELINE_PILOT = 20_000
# the unbiasedness z-tests (all estimators, functions and components together) fail a correct estimator with this probability
FALSE_FAIL_RATE = 1e-6
OWN_GROUP = 4  # the wrong baseline: the mean of f over a group of this many draws, the draw itself included

Elementwise = Callable[[torch.Tensor], torch.Tensor]
Gradient = tuple[float, float]


@dataclass(frozen=True)
class TestFunction:
    """An elementwise f with closed-form E_q[f] and ∇_{μ,σ} E_q[f] (and one wrong ∇)."""

    __test__ = False  # not a pytest class

    name: str
    f: Elementwise
    value: Callable[[float, float], float]
    grad: Callable[[float, float], Gradient]
    wrong_grad: Callable[[float, float], Gradient]
    wrong_note: str


def square() -> TestFunction:
    return TestFunction(
        "z^2", lambda z: z * z,
        value=lambda mu, s: mu * mu + s * s,
        grad=lambda mu, s: (2 * mu, 2 * s),
        wrong_grad=lambda mu, s: (2 * mu, s), wrong_note="∂σ = σ (factor 2 of d σ²/dσ dropped)")


def shifted_square(a: float) -> TestFunction:
    return TestFunction(
        f"(z{fmt(-a, '+g')})^2", lambda z: (z - a) ** 2,
        value=lambda mu, s: (mu - a) ** 2 + s * s,
        grad=lambda mu, s: (2 * (mu - a), 2 * s),
        wrong_grad=lambda mu, s: (2 * mu, 2 * s), wrong_note="∂μ = 2μ (shift a dropped)")


def exponential(c: float) -> TestFunction:
    def value(mu, s):
        return math.exp(c * mu + c * c * s * s / 2)
    return TestFunction(
        f"exp({fmt(c, 'g')} z)", lambda z: torch.exp(c * z),
        value=value,
        grad=lambda mu, s: (c * value(mu, s), c * c * s * value(mu, s)),
        wrong_grad=lambda mu, s: (c * value(mu, s), c * c * s * value(mu, s) / 2),
        wrong_note="∂σ = c²σE/2 (d(σ²/2)/dσ taken as σ/2)")


def default_functions() -> list[TestFunction]:
    return [square(), shifted_square(-0.5), exponential(0.5)]


def square_variances(mu: float, sigma: float) -> dict[str, Gradient]:
    """Closed-form per-sample variances (∂μ, ∂σ) of both estimators for f = z² (b = 0)."""
    m2, s2 = mu * mu, sigma * sigma
    return {"reparam": (4 * s2, 4 * (m2 + 2 * s2)),
            "score": ((m2 * m2 + 14 * m2 * s2 + 15 * s2 * s2) / s2,
                      2 * (m2 * m2 + 30 * m2 * s2 + 37 * s2 * s2) / s2)}


# --- per-sample estimators ----------------------------------------------------------------

def _noise(n: int, generator: torch.Generator) -> torch.Tensor:
    return torch.randn(n, generator=generator, dtype=DTYPE, device=generator.device)


def _leaves(mu: float, sigma: float, n: int, device) -> tuple[torch.Tensor, torch.Tensor]:
    """One (μ, σ) leaf per sample, so the gradient of a sum is the per-sample gradient."""
    mu_leaf = torch.full((n,), float(mu), dtype=DTYPE, device=device, requires_grad=True)
    sigma_leaf = torch.full((n,), float(sigma), dtype=DTYPE, device=device, requires_grad=True)
    return mu_leaf, sigma_leaf


def reparam_gradient_at(f: Elementwise, mu: float, sigma: float, eps: torch.Tensor) -> torch.Tensor:
    """(n, 2) per-sample (∂μ, ∂σ) of f(μ + σε) by autograd at the given noise ε (n,)."""
    mu_leaf, sigma_leaf = _leaves(mu, sigma, eps.shape[0], eps.device)
    total = f(mu_leaf + sigma_leaf * eps).sum()
    d_mu, d_sigma = torch.autograd.grad(total, (mu_leaf, sigma_leaf))
    return torch.stack((d_mu, d_sigma), 1)


def reparam_gradient_samples(f: Elementwise, mu: float, sigma: float, n: int,
                             generator: torch.Generator) -> torch.Tensor:
    """(n, 2) per-sample (∂μ, ∂σ) of f(μ + σε) by autograd; column means estimate ∇E_q[f]."""
    return reparam_gradient_at(f, mu, sigma, _noise(n, generator))


def log_normal(z: torch.Tensor, mu, sigma) -> torch.Tensor:
    return -0.5 * ((z - mu) / sigma) ** 2 - torch.log(sigma) - 0.5 * math.log(2 * math.pi)


def score(z: torch.Tensor, mu: float, sigma: float) -> torch.Tensor:
    """(n, 2) ∇_{μ,σ} log N(z; μ, σ²) by autograd (= (ε/σ, (ε² − 1)/σ))."""
    mu_leaf, sigma_leaf = _leaves(mu, sigma, z.shape[0], z.device)
    d_mu, d_sigma = torch.autograd.grad(log_normal(z, mu_leaf, sigma_leaf).sum(), (mu_leaf, sigma_leaf))
    return torch.stack((d_mu, d_sigma), 1)


def score_function_gradient_at(f: Elementwise, mu: float, sigma: float, z: torch.Tensor,
                               baseline: float = 0.0) -> torch.Tensor:
    """(n, 2) per-sample (f(z) − b)·∇_{μ,σ} log N(z; μ, σ²) at the given draws z (n,).

    Unbiased for ∇E_q[f] only when z ~ N(μ, σ²): the score must be that of the distribution
    the draws come from (draws from another one give a biased estimate)."""
    with torch.no_grad():
        weight = f(z) - baseline
    return weight[:, None] * score(z, mu, sigma)


def score_function_gradient_samples(f: Elementwise, mu: float, sigma: float, n: int,
                                    generator: torch.Generator, baseline: float = 0.0) -> torch.Tensor:
    """(n, 2) per-sample (f(z) − b)·∇ log q(z), z ~ N(μ, σ²); b = 0 is plain REINFORCE."""
    return score_function_gradient_at(f, mu, sigma, mu + sigma * _noise(n, generator), baseline)


def pilot_baseline(f: Elementwise, mu: float, sigma: float, generator: torch.Generator,
                   n: int = BASELINE_PILOT) -> float:
    """b = mean of f over a separate pilot of n draws (independent of the estimator's draws)."""
    with torch.no_grad():
        return float(f(mu + sigma * _noise(n, generator)).mean())


# --- samplers for the Monte Carlo check ------------------------------------------------------

ESTIMATORS = ("reparam", "score", "score+baseline")


def gradient_sampler(kind: str, f: Elementwise, mu: float, sigma: float,
                     generator: torch.Generator) -> Callable[[int, torch.Generator], torch.Tensor]:
    """sample_fn(n, generator) -> (n, 2) draws of one estimator; the baseline is fixed here."""
    if kind == "reparam":
        return lambda n, g: reparam_gradient_samples(f, mu, sigma, n, g)
    if kind == "score":
        return lambda n, g: score_function_gradient_samples(f, mu, sigma, n, g)
    if kind == "score+baseline":
        b = pilot_baseline(f, mu, sigma, generator)
        return lambda n, g: score_function_gradient_samples(f, mu, sigma, n, g, baseline=b)
    if kind == "score+own-baseline":
        return lambda n, g: own_group_baseline_samples(f, mu, sigma, n, g)
    raise ValueError(f"unknown estimator {kind!r}: expected one of {(*ESTIMATORS, 'score+own-baseline')}")


def own_group_baseline_samples(f: Elementwise, mu: float, sigma: float, n: int, generator: torch.Generator,
                               group: int = OWN_GROUP) -> torch.Tensor:
    r"""A *wrong* score-function estimator: (f(z_i) − b_i)·∇ log q(z_i) with b_i the mean of f over
    the group of ``group`` draws that contains z_i. The baseline depends on its own draw, so
    E[b_i ∇log q(z_i)] = E[f ∇log q]/group ≠ 0 and the estimator's mean is (1 − 1/group)·∇F."""
    z = mu + sigma * _noise(n - n % group, generator)
    with torch.no_grad():
        b = f(z).reshape(-1, group).mean(1).repeat_interleave(group)
    return score_function_gradient_at(f, mu, sigma, z, baseline=b)


def estimator_moments(fn: TestFunction, mu: float, sigma: float, n: int, generator: torch.Generator,
                      kinds: tuple[str, ...] = ESTIMATORS) -> dict[str, tuple[torch.Tensor, torch.Tensor]]:
    """Per estimator: (column means, unbiased per-sample variances), each shape (2,), from n draws."""
    out = {}
    for kind in kinds:
        draws = gradient_sampler(kind, fn.f, mu, sigma, generator)(n, generator)
        out[kind] = (draws.mean(0), draws.var(0))
    return out


def variance_ratio(fn: TestFunction, mu: float, sigma: float, n: int, generator: torch.Generator,
                   against: str = "score") -> torch.Tensor:
    """Var[reparam] / Var[``against``] per component (shape (2,): ∂μ, ∂σ)."""
    moments = estimator_moments(fn, mu, sigma, n, generator)
    return moments["reparam"][1] / moments[against][1]


def unbiasedness_test(moments: list[dict[str, tuple[torch.Tensor, torch.Tensor]]], exact: list[Gradient], n: int,
                      false_fail_rate: float = FALSE_FAIL_RATE) -> TestOutcome:
    r"""Two-sided z-tests of every estimator's mean against the exact gradient, Bonferroni over all m
    of them: statistic max |mean − exact| / (s/√n), threshold z = Φ^{-1}(1 − α/(2m)) (CLT)."""
    z = [abs(float(mean[j]) - grad[j]) / math.sqrt(float(var[j]) / n)
         for by_kind, grad in zip(moments, exact) for mean, var in by_kind.values() for j in range(len(COMPONENTS))]
    return TestOutcome(f"max |z| over {len(z)} z-tests of mean = exact gradient (Bonferroni)", max(z),
                       float(stats.norm.isf(false_fail_rate / (2 * len(z)))), n, false_fail_rate)


# --- executable specification: reparameterisation vs score-function gradients (reference_models/gradient_estimators.py) --


@specification("gradient-estimators", "Reparameterisation vs score-function gradients: both unbiased, variances differ",
               family="elbo", statements="the reparameterisation trick z = μ + σε (002 L169, L342; 004 L1099) and the "
               "score-function (REINFORCE) estimator are both unbiased; the pathwise one has the lower variance here",
               steps=1, report="never")
def run_gradient_estimators(ctx: RunContext) -> SpecResult:
    result = ctx.result("gradient-estimators")
    n = 20_000 if ctx.quick else 200_000
    ctx.step(f"estimator means and variances ({n:,} draws each)")
    mu, sigma, functions = 0.5, 1.0, default_functions()
    rows, lower, all_moments = [], 0, []
    for k, fn in enumerate(functions):
        moments = estimator_moments(fn, mu, sigma, n, ctx.generator(k))
        all_moments.append(moments)
        exact = fn.grad(mu, sigma)
        for j, component in enumerate(COMPONENTS):
            row = [fn.name, f"∂{component}", f"{fmt(exact[j], '.4f')}"]
            for kind, (mean, var) in moments.items():
                row.append(f"{fmt(float(mean[j]), '.4f')} (s² {fmt(float(var[j]), '.3g')})")
            lower += float(moments["reparam"][1][j]) < float(moments["score"][1][j])
            rows.append(tuple(row))
    exact = [fn.grad(mu, sigma) for fn in functions]
    test = unbiasedness_test(all_moments, exact, n)
    wrong = ("reparam", "score", "score+own-baseline")  # the pilot baseline replaced by a wrong one

    def wrong_test(r: int) -> TestOutcome:
        return unbiasedness_test([estimator_moments(fn, mu, sigma, n, ctx.generator(100 + 10 * r + k), wrong)
                                  for k, fn in enumerate(functions)], exact, n)

    against = power(wrong_test, f"the score-function estimator with a baseline that depends on its own draw (b_i = mean of "
                    f"f over the {OWN_GROUP} draws containing z_i: mean (1 − 1/{OWN_GROUP})·∇F) in place of the pilot "
                    "baseline", 5 if ctx.quick else 20)
    result.tables.append(ResultTable(f"∇ E_N(μ,σ²)[f] at μ = 0.5, σ = 1: mean (per-draw variance), {n:,} draws",
                                     ("f", "∂", "exact", "reparam", "score", "score + baseline"), rows))
    result.checks.append(Check(f"every estimator is unbiased (|mean − exact| ≤ {fmt(test.threshold, '.2f')} SE)", test.passed,
                               f"largest |mean − exact| / SE {fmt(test.statistic, '.2f')} vs {fmt(test.threshold, '.2f')}; "
                               f"{against.describe()}", test=test, power=against))
    result.checks.append(Check("reparameterisation has the lower variance in every row", lower == len(rows),
                               f"{lower}/{len(rows)} rows"))
    return result
