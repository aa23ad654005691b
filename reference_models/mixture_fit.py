r"""Forward vs reverse KL fits of one Gaussian to a two-mode mixture (executable specification).

Spec of the lecture statement "MLE minimises the forward KL, which forces the model to
cover the data (mode covering); the reverse KL is mode seeking".

Target and model (1-D, float64):

    p(x) = 1/2 N(x; -delta, 1) + 1/2 N(x; +delta, 1)      (half-separation delta >= 0)
    q(x) = N(x; m, s^2)
    log p(x) = logaddexp(-(x + delta)^2 / 2, -(x - delta)^2 / 2) - log 2 - log(2 pi) / 2

Forward KL (what maximum likelihood minimises as n -> infinity):

    KL(p || q) = E_p[log p - log q]
               = -H(p) + log s + log(2 pi) / 2 + (Var_p[x] + (E_p[x] - m)^2) / (2 s^2).

Its minimiser over (m, s) is moment matching, m = E_p[x] = 0 and s^2 = Var_p[x] = 1 + delta^2:
a single broad Gaussian that covers both modes (``forward_kl_closed_form_optimum``).
``fit_forward_kl`` reaches it numerically instead: LBFGS with autograd over (m, log s) on
the quadrature estimate of KL(p || q).

Reverse KL (reparameterised, x = m + s eps, eps ~ N(0, 1)):

    KL(q || p) = E_q[log q - log p] = -log s - log(2 pi e) / 2 - E_eps[log p(m + s eps)].

``fit_reverse_kl`` minimises it over (m, log s) from a given start.

Quadrature. Every expectation is E_{eps ~ N(0,1)}[f(a + b eps)] for a smooth f, computed by
the trapezoid rule on the uniform grid eps_k = k h, |eps_k| <= 10, h = 0.01 (2001 nodes,
weights h phi(eps_k)); deterministic, smooth in (m, s), differentiable any number of times.
Why not Gauss-Hermite: log p(x) has logarithmic singularities at x = i pi (2j+1) / (2 delta),
i.e. at distance pi / (2 delta s) from the real eps-axis, and for the centred reverse-KL
solution at delta = 3 (s = 2.74) that strip is so thin that 80 Gauss-Hermite nodes are off by
9e-3 (300 nodes: 2e-4). The trapezoid rule on an analytic integrand with a Gaussian factor
converges like exp(-2 pi w / h) for a strip of half-width w: here exp(-pi^2 / (delta s h)),
below 1e-15 for delta s <= 28 (delta <= 5 and s <= 5). E_p[.] is the average of the rule
centred at -delta and at +delta.

Mode seeking: what actually happens (computed, not assumed). By symmetry of p, m = 0 is
always a stationary point of the reverse KL in m, and the mixed derivative
d^2/(dm ds) vanishes there. With (log p)'' (x) = -1 + delta^2 sech^2(delta x) and Stein's
lemma E[eps h(s eps)] = s E[h'(s eps)], the s-stationarity condition at m = 0 reads
1 - 1/s^2 = delta^2 E[sech^2(delta s eps)], hence at the centred optimum (0, s*(delta))

    d^2/dm^2 KL(q || p) = 1 - delta^2 E[sech^2(delta s* eps)] = 1 / s*(delta)^2 > 0.

So the centred solution is a strict local minimum for *every* delta: its curvature in m
never changes sign and there is no critical delta at which it turns into a saddle
(``centred_reverse_kl_curvature`` checks the identity numerically). In particular the
unimodality threshold of p (delta = 1) marks no change of the reverse-KL fit. The
transition to mode seeking is first order instead:

* ``reverse_kl_mode_seeking_onset``: the smallest delta at which off-centre (mode-seeking)
  local minima exist. They are born with a saddle in a fold (saddle-node) bifurcation:
  grad KL = 0 and det Hess KL = 0 in (m, log s), solved by Newton's method in
  (m, log s, delta) with autograd Jacobians, from a start found by continuation of the
  mode-seeking branch downwards in delta. Result: delta_onset = 2.412230 (m = 2.145724,
  s = 1.290985). Below it every start converges to the centred solution.
* ``reverse_kl_mode_seeking_threshold``: delta*, where the mode-seeking minimum becomes the
  global one, i.e. the root of KL_mode(delta) - KL_centred(delta) (scipy brentq; the slope
  of that difference is -0.71 per unit delta). Result: delta* = 2.800082. For
  delta_onset < delta < delta* both minima exist and the centred one is lower (which one a
  fit reaches depends on its start); above delta* the reverse-KL optimum sits on one mode
  (at delta = 3: m = 2.98431, s = 1.02337, not exactly m = delta, s = 1).

Everything runs in float64 on the given device (default ``resolve_device('auto')``); there
is no randomness.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import NamedTuple

import torch
from torch import Tensor

from derivspec.core.errors import ParameterError
from derivspec.core.lazy import lazy
from derivspec.core.numbers import fmt
from derivspec.reference_models.device import DTYPE, as_device
from derivspec.reference_models.fit_tests import TestOutcome, power
from derivspec.reference_models.regression import lbfgs_minimise
from derivspec.reference_models.specification import Check, ResultTable, RunContext, SpecResult, pyplot, save_figure, specification

brentq = lazy("scipy.optimize", "brentq")
chi2 = lazy("scipy.stats", "chi2")

__all__ = [
    "GaussianFit",
    "FoldPoint",
    "standard_normal_rule",
    "mixture_log_density",
    "forward_kl",
    "reverse_kl",
    "reverse_kl_at",
    "forward_kl_closed_form_optimum",
    "fit_forward_kl",
    "fit_reverse_kl",
    "fit_centred_reverse_kl",
    "reverse_kl_m_curvature",
    "centred_reverse_kl_curvature",
    "reverse_kl_mode_seeking_onset",
    "reverse_kl_mode_seeking_threshold",
    "sample_mixture",
    "fit_gaussian_mle",
    "moment_matching_test",
]

# Trapezoid rule for E_{eps ~ N(0,1)}: nodes k * NODE_SPACING, |k| <= NODE_COUNT_HALF.
NODE_SPACING = 0.01
NODE_COUNT_HALF = 1000  # half-width 10: the Gaussian mass beyond it is 1.5e-23
# Largest half-separation accepted (the rule is accurate to ~1e-15 for delta * s <= 28).
MAX_DELTA = 5.0
# LBFGS iteration caps.
FIT_MAX_ITER = 500
# Continuation of the mode-seeking branch (start of the fold search).
BRANCH_START_DELTA = 3.0
BRANCH_FIRST_STEP = 0.25
BRANCH_MIN_STEP = 1e-3
# A converged fit with |m| above this is off-centre (centred fits end at |m| ~ 1e-12).
OFF_CENTRE_M = 1e-3
# Newton on the fold system.
FOLD_NEWTON_ITER = 40
FOLD_STEP_TOL = 1e-13
# brentq bracket for delta*: from just above the onset to MAX_DELTA.
THRESHOLD_BRACKET_OFFSET = 0.05
THRESHOLD_XTOL = 1e-12

HALF_LOG_2PI = 0.5 * math.log(2 * math.pi)


class GaussianFit(NamedTuple):
    """A fitted q = N(m, s^2) and the KL divergence it attains."""

    m: float
    s: float
    kl: float


class FoldPoint(NamedTuple):
    """A fold (saddle-node) point of the reverse KL: half-separation and (m, s) there."""

    delta: float
    m: float
    s: float


# ----------------------------------------------------------------------------- checks


def _check_delta(delta: float) -> float:
    delta = float(delta)
    if not (math.isfinite(delta) and 0.0 <= delta <= MAX_DELTA):
        raise ParameterError(f"delta must be in [0, {MAX_DELTA}], got {delta}")
    return delta


def _check_m_s(m: float, s: float) -> tuple[float, float]:
    m, s = float(m), float(s)
    if not math.isfinite(m):
        raise ParameterError(f"m must be finite, got {m}")
    if not (math.isfinite(s) and s > 0):
        raise ParameterError(f"s must be finite and > 0, got {s}")
    return m, s


# ------------------------------------------------------------------- quadrature, densities


def standard_normal_rule(device: torch.device | str | None = None) -> tuple[Tensor, Tensor]:
    """Nodes and weights with sum_k w_k f(eps_k) ~ E_{eps ~ N(0,1)}[f(eps)] (trapezoid rule).

    eps_k = k h for |k| <= 1000, h = 0.01, w_k = h phi(eps_k). The nodes are exactly
    symmetric (eps_{-k} = -eps_k), so symmetric objectives stay symmetric.
    """
    device = as_device(device)
    k = torch.arange(-NODE_COUNT_HALF, NODE_COUNT_HALF + 1, dtype=DTYPE, device=device)
    nodes = k * NODE_SPACING
    weights = NODE_SPACING * torch.exp(-0.5 * nodes**2 - HALF_LOG_2PI)
    return nodes, weights


def mixture_log_density(x: Tensor, delta: float | Tensor) -> Tensor:
    """log p(x) for p = 1/2 N(-delta, 1) + 1/2 N(+delta, 1), by logaddexp (no underflow)."""
    return torch.logaddexp(-0.5 * (x + delta) ** 2, -0.5 * (x - delta) ** 2) - math.log(2.0) - HALF_LOG_2PI


def _gaussian_log_density(x: Tensor, m: Tensor, log_s: Tensor) -> Tensor:
    return -log_s - HALF_LOG_2PI - 0.5 * ((x - m) * torch.exp(-log_s)) ** 2


def _forward_kl_theta(theta: Tensor, delta: float, nodes: Tensor, weights: Tensor) -> Tensor:
    """KL(p || N(theta[0], exp(theta[1])^2)): E_p as the mean of the rule at -delta and +delta."""
    m, log_s = theta[0], theta[1]
    x = torch.cat([nodes - delta, nodes + delta])
    w = 0.5 * torch.cat([weights, weights])
    return torch.sum(w * (mixture_log_density(x, delta) - _gaussian_log_density(x, m, log_s)))


def _reverse_kl_theta(theta: Tensor, delta: float | Tensor, nodes: Tensor, weights: Tensor) -> Tensor:
    """KL(N(theta[0], exp(theta[1])^2) || p) = -H(q) - E_eps[log p(m + s eps)]."""
    m, log_s = theta[0], theta[1]
    neg_entropy_q = -log_s - HALF_LOG_2PI - 0.5
    x = m + torch.exp(log_s) * nodes
    return neg_entropy_q - torch.sum(weights * mixture_log_density(x, delta))


def _theta(m: float, s: float, device: torch.device) -> Tensor:
    return torch.tensor([m, math.log(s)], dtype=DTYPE, device=device)


def forward_kl(delta: float, m: float, s: float, *, device: torch.device | str | None = None) -> float:
    """KL(p || N(m, s^2)) by quadrature."""
    delta = _check_delta(delta)
    m, s = _check_m_s(m, s)
    device = as_device(device)
    nodes, weights = standard_normal_rule(device)
    return float(_forward_kl_theta(_theta(m, s, device), delta, nodes, weights))


def reverse_kl(delta: float, m: float, s: float, *, device: torch.device | str | None = None) -> float:
    """KL(N(m, s^2) || p) by quadrature (reparameterised, x = m + s eps)."""
    delta = _check_delta(delta)
    m, s = _check_m_s(m, s)
    device = as_device(device)
    nodes, weights = standard_normal_rule(device)
    return float(_reverse_kl_theta(_theta(m, s, device), delta, nodes, weights))


reverse_kl_at = reverse_kl  # the name used in the specification


# ---------------------------------------------------------------------------------- fits


def forward_kl_closed_form_optimum(delta: float) -> tuple[float, float]:
    """Moment matching: argmin_{m,s} KL(p || N(m, s^2)) = (E_p[x], sd_p[x]) = (0, sqrt(1 + delta^2))."""
    delta = _check_delta(delta)
    return 0.0, math.sqrt(1.0 + delta**2)


def _fit(objective, m0: float, s0: float, device: torch.device, max_iter: int) -> GaussianFit:
    theta = lbfgs_minimise(objective, _theta(m0, s0, device), max_iter=max_iter)
    kl = float(objective(theta))
    m, log_s = (float(v) for v in theta.cpu())
    return GaussianFit(m, math.exp(log_s), kl)


def fit_forward_kl(
    delta: float,
    *,
    init_m: float = 1.0,
    init_s: float = 1.0,
    device: torch.device | str | None = None,
    max_iter: int = FIT_MAX_ITER,
) -> GaussianFit:
    """argmin_{m,s} KL(p || N(m, s^2)) by LBFGS (autograd) over (m, log s) from (init_m, init_s).

    The quadrature objective (``forward_kl``) is minimised directly; the closed form is not
    used. Should equal ``forward_kl_closed_form_optimum(delta)``.
    """
    delta = _check_delta(delta)
    init_m, init_s = _check_m_s(init_m, init_s)
    device = as_device(device)
    nodes, weights = standard_normal_rule(device)
    return _fit(lambda th: _forward_kl_theta(th, delta, nodes, weights), init_m, init_s, device, max_iter)


def fit_reverse_kl(
    delta: float,
    init_m: float,
    init_s: float = 1.0,
    *,
    device: torch.device | str | None = None,
    max_iter: int = FIT_MAX_ITER,
) -> GaussianFit:
    """A local minimiser of KL(N(m, s^2) || p) reached by LBFGS over (m, log s) from (init_m, init_s).

    The reverse KL is not convex: which minimum is reached depends on the start (see the
    module docstring). From init_m = 0 the fit stays at m = 0 by symmetry.
    """
    delta = _check_delta(delta)
    init_m, init_s = _check_m_s(init_m, init_s)
    device = as_device(device)
    nodes, weights = standard_normal_rule(device)
    return _fit(lambda th: _reverse_kl_theta(th, delta, nodes, weights), init_m, init_s, device, max_iter)


def fit_centred_reverse_kl(
    delta: float, *, device: torch.device | str | None = None, max_iter: int = FIT_MAX_ITER
) -> GaussianFit:
    """The centred reverse-KL solution: m = 0 exactly, s*(delta) = argmin_s KL(N(0, s^2) || p).

    One-dimensional LBFGS over log s from s = sqrt(1 + delta^2) (the forward-KL width).
    """
    delta = _check_delta(delta)
    device = as_device(device)
    nodes, weights = standard_normal_rule(device)
    zero = torch.zeros(1, dtype=DTYPE, device=device)

    def objective(log_s: Tensor) -> Tensor:
        return _reverse_kl_theta(torch.cat([zero, log_s]), delta, nodes, weights)

    log_s0 = torch.tensor([0.5 * math.log1p(delta**2)], dtype=DTYPE, device=device)
    log_s = lbfgs_minimise(objective, log_s0, max_iter=max_iter)
    return GaussianFit(0.0, math.exp(float(log_s)), float(objective(log_s)))


# ------------------------------------------------------------------- curvature, thresholds


def _reverse_kl_hessian(theta: Tensor, delta: float | Tensor, nodes: Tensor, weights: Tensor,
                        *, create_graph: bool) -> tuple[Tensor, Tensor]:
    """Gradient and Hessian of the reverse KL in theta = (m, log s), by autograd."""
    kl = _reverse_kl_theta(theta, delta, nodes, weights)
    (grad,) = torch.autograd.grad(kl, theta, create_graph=True)
    rows = [torch.autograd.grad(grad[i], theta, retain_graph=True, create_graph=create_graph)[0] for i in range(2)]
    return grad, torch.stack(rows)


def reverse_kl_m_curvature(delta: float, m: float, s: float, *, device: torch.device | str | None = None) -> float:
    """d^2/dm^2 KL(N(m, s^2) || p) at (m, s), by autograd twice through the quadrature."""
    delta = _check_delta(delta)
    m, s = _check_m_s(m, s)
    device = as_device(device)
    nodes, weights = standard_normal_rule(device)
    theta = _theta(m, s, device).requires_grad_(True)
    with torch.enable_grad():
        _, hessian = _reverse_kl_hessian(theta, delta, nodes, weights, create_graph=False)
    return float(hessian[0, 0])


def centred_reverse_kl_curvature(delta: float, *, device: torch.device | str | None = None) -> tuple[float, float]:
    """(s*, d^2/dm^2 KL(q || p) at (0, s*)) for the centred solution; theory: the curvature is 1/s*^2."""
    centred = fit_centred_reverse_kl(delta, device=device)
    return centred.s, reverse_kl_m_curvature(delta, 0.0, centred.s, device=device)


def _is_off_centre(fit: GaussianFit) -> bool:
    return abs(fit.m) > OFF_CENTRE_M


def _last_off_centre_point(device: torch.device) -> FoldPoint:
    """Follow the mode-seeking minimum (m > 0) down in delta until it is about to vanish.

    Start: the fit from (delta, 1) at delta = 3. Each step warm-starts from the previous
    minimum; when the fit falls to the centre the step is halved, down to 1e-3.
    """
    delta = BRANCH_START_DELTA
    fit = fit_reverse_kl(delta, delta, 1.0, device=device)
    if not _is_off_centre(fit):
        raise RuntimeError(f"no mode-seeking minimum found at delta = {delta}")
    step = BRANCH_FIRST_STEP
    while step >= BRANCH_MIN_STEP:
        trial = fit_reverse_kl(delta - step, fit.m, fit.s, device=device)
        if _is_off_centre(trial):
            delta, fit = delta - step, trial
        else:
            step /= 2
    return FoldPoint(delta, abs(fit.m), fit.s)


def _fold_residual(z: Tensor, nodes: Tensor, weights: Tensor) -> Tensor:
    """(dKL/dm, dKL/dlog s, det Hess) at z = (m, log s, delta); zero at a fold point."""
    theta, delta = z[:2], z[2]
    grad, hessian = _reverse_kl_hessian(theta, delta, nodes, weights, create_graph=True)
    det = hessian[0, 0] * hessian[1, 1] - hessian[0, 1] * hessian[1, 0]
    return torch.stack([grad[0], grad[1], det])


def reverse_kl_mode_seeking_onset(*, device: torch.device | str | None = None) -> FoldPoint:
    """The smallest delta with off-centre local minima of the reverse KL (fold bifurcation).

    Solves grad_{(m, log s)} KL = 0, det Hess_{(m, log s)} KL = 0 for (m, log s, delta) by
    Newton's method (Jacobian by autograd, third derivatives of the quadrature objective),
    started from the last off-centre minimum found by ``_last_off_centre_point``. Converged
    when the Newton step is below 1e-13 (max-abs); a quadratically convergent solve, so the
    result is accurate to the quadrature (~1e-12 in delta). Returns the m > 0 fold point.
    """
    device = as_device(device)
    nodes, weights = standard_normal_rule(device)
    start = _last_off_centre_point(device)
    z = torch.tensor([start.m, math.log(start.s), start.delta], dtype=DTYPE, device=device)

    def residual(v: Tensor) -> Tensor:
        return _fold_residual(v, nodes, weights)

    with torch.enable_grad():
        for _ in range(FOLD_NEWTON_ITER):
            jacobian = torch.autograd.functional.jacobian(residual, z)
            step = torch.linalg.solve(jacobian, residual(z.clone().requires_grad_(True)).detach())
            z = z - step
            if float(step.abs().max()) <= FOLD_STEP_TOL:
                break
        else:
            raise RuntimeError(f"fold Newton did not converge (last step {fmt(float(step.abs().max()), '.3e')})")
    m, log_s, delta = (float(v) for v in z.cpu())
    return FoldPoint(delta, m, math.exp(log_s))


def _mode_minus_centred_kl(delta: float, device: torch.device) -> float:
    mode = fit_reverse_kl(delta, delta, 1.0, device=device)
    if not _is_off_centre(mode):
        raise RuntimeError(f"the fit started on the mode fell to the centre at delta = {delta}")
    return mode.kl - fit_centred_reverse_kl(delta, device=device).kl


def reverse_kl_mode_seeking_threshold(
    *, device: torch.device | str | None = None, onset: FoldPoint | None = None
) -> float:
    """delta*: where the mode-seeking minimum of KL(q || p) becomes the global one.

    Root of KL_mode(delta) - KL_centred(delta) by scipy brentq (xtol 1e-12) on
    [delta_onset + 0.05, 5]; KL_mode from the reverse fit started at (m, s) = (delta, 1),
    KL_centred from ``fit_centred_reverse_kl``. Pass ``onset`` to reuse a computed onset.
    """
    device = as_device(device)
    if onset is None:
        onset = reverse_kl_mode_seeking_onset(device=device)
    lower = onset.delta + THRESHOLD_BRACKET_OFFSET
    return brentq(_mode_minus_centred_kl, lower, MAX_DELTA, args=(device,), xtol=THRESHOLD_XTOL)


# --- executable specification: forward vs reverse KL fits (reference_models/mixture_fit.py) -----------------------------

# ----------------------------------------------------------------------------- MLE from samples


def sample_mixture(n: int, delta: float, generator: torch.Generator, device: torch.device) -> Tensor:
    """n draws of p = 1/2 N(-delta, 1) + 1/2 N(delta, 1): x = delta * (±1) + z."""
    signs = 2.0 * (torch.rand(n, generator=generator, dtype=DTYPE, device=device) < 0.5).to(DTYPE) - 1.0
    return _check_delta(delta) * signs + torch.randn(n, generator=generator, dtype=DTYPE, device=device)


def fit_gaussian_mle(x: Tensor) -> tuple[float, float]:
    """Maximum likelihood N(m, s^2) on the draws x: LBFGS (autograd) over (m, log s) on the mean
    negative log-likelihood -mean_i log N(x_i; m, s^2) (torch.distributions), from (1, 1); returns (m, s).
    The lecture's MLE, argmin KL(p_hat || q) (000 L159–165, L217–220); no moment formula is used."""
    def nll(theta: Tensor) -> Tensor:
        return -torch.distributions.Normal(theta[0], theta[1].exp()).log_prob(x).mean()

    m, log_s = lbfgs_minimise(nll, _theta(1.0, 1.0, x.device), max_iter=FIT_MAX_ITER).tolist()
    return m, math.exp(log_s)


def moment_matching_test(x: Tensor, delta: float, *, fit=fit_gaussian_mle, variance: float | None = None,
                         false_fail_rate: float = 1e-4) -> TestOutcome:
    """Wald test that the fit (m, s) = ``fit(x)`` to n draws of p is the moment-matching Gaussian,
    m = 0 and s^2 = ``variance`` (default Var_p = 1 + delta^2, the forward-KL optimum).

    Under p, with (m, s^2) the MLE (sample mean and (1/n) variance), sqrt(n) (m, s^2 - 1 - delta^2) is
    asymptotically N(0, diag(Var_p x, Var_p x^2)): Var_p x = 1 + delta^2, Var_p x^2 = E x^4 - (E x^2)^2
    = (delta^4 + 6 delta^2 + 3) - (1 + delta^2)^2 = 4 delta^2 + 2, and Cov(x, x^2) = E x^3 = 0 by symmetry.
    Statistic n m^2 / (1 + delta^2) + n (s^2 - variance)^2 / (4 delta^2 + 2); threshold the chi^2_2 quantile
    at 1 - false_fail_rate (asymptotic). Calibration at n = 4000, delta = 3 over 10^6 seeds (moments of
    the draws): observed rejection rates 9.7e-4, 1.14e-4, 1.1e-5 at nominal 1e-3, 1e-4, 1e-5.
    """
    n = x.numel()
    variance = 1.0 + delta**2 if variance is None else variance
    m, s = fit(x)
    statistic = n * m**2 / (1.0 + delta**2) + n * (s**2 - variance) ** 2 / (4.0 * delta**2 + 2.0)
    return TestOutcome("Wald χ²₂ on the fitted (m, s²)", statistic, float(chi2.isf(false_fail_rate, 2)), n,
                       false_fail_rate)


MIXTURE_DELTAS = (0.7, 2.5, 3.0)
SAMPLE_FIT_FALSE_FAIL = 1e-5
FORWARD_REVERSE_PNG = "forward_reverse_kl.png"


@specification("mixture-fit", "Forward vs reverse KL: one Gaussian fitted to two modes", family="kl",
               statements="forward KL fit covers both modes (moment matching, s² = 1 + δ²); reverse KL seeks one mode "
               "only when the modes are far apart (claim kl.forward-reverse; 000 L217–220, 003 L2107–2124, 004 L1559–1561); the MLE on "
               "draws of p, MLE = argmin KL(p̂ ‖ q) (000 L159–165, L217–220; 003 L2115), is that moment-matching fit",
               steps=3 + len(MIXTURE_DELTAS), report="full")
def run_mixture_fit(ctx: RunContext) -> SpecResult:
    result = ctx.result("mixture-fit")
    ctx.step("fold point δ_onset of the reverse KL")
    onset = reverse_kl_mode_seeking_onset(device=ctx.device)
    ctx.step("threshold δ* where mode seeking becomes global")
    threshold = reverse_kl_mode_seeking_threshold(device=ctx.device, onset=onset)
    rows, fits = [], {}
    for delta in MIXTURE_DELTAS:
        ctx.step(f"fits at δ = {delta}")
        fits[delta] = {"forward": fit_forward_kl(delta, device=ctx.device),
                       "reverse (start at the mode)": fit_reverse_kl(delta, delta, 1.0, device=ctx.device),
                       "reverse (centred)": fit_centred_reverse_kl(delta, device=ctx.device)}
        for name, fit in fits[delta].items():
            rows.append((f"{fmt(delta, 'g')}", name, fmt(fit.m), f"{fmt(fit.s, '.4f')}", f"{fmt(fit.kl, '.6f')}"))
    result.tables.append(ResultTable("Fits of N(m, s²) to ½N(−δ,1) + ½N(δ,1)", ("δ", "fit", "m", "s", "KL"), rows))
    worst = max(abs(fits[d]["forward"].s ** 2 - (1 + d * d)) for d in MIXTURE_DELTAS)
    result.checks.append(Check("forward KL fit = moment matching: m = 0, s² = 1 + δ²", worst < 1e-6
                               and all(abs(fits[d]["forward"].m) < 1e-6 for d in MIXTURE_DELTAS),
                               f"max |s² − (1 + δ²)| = {fmt(worst, '.1e')} (tolerance 1e-6 on s² and |m|)"))
    far = fits[MIXTURE_DELTAS[-1]]
    seeks = abs(far["reverse (start at the mode)"].m) > 1 and far["reverse (start at the mode)"].kl < far["reverse (centred)"].kl
    result.checks.append(Check(f"reverse KL seeks one mode at δ = {MIXTURE_DELTAS[-1]} (> δ* = {fmt(threshold, '.4f')})", seeks,
                               f"mode fit m = {fmt(far['reverse (start at the mode)'].m, '.3f')}, KL "
                               f"{fmt(far['reverse (start at the mode)'].kl, '.4f')} < centred {fmt(far['reverse (centred)'].kl, '.4f')}"))
    near = fits[MIXTURE_DELTAS[0]]
    result.checks.append(Check(f"below the fold (δ = {MIXTURE_DELTAS[0]} < δ_onset = {fmt(onset.delta, '.4f')}) the reverse KL "
                               "has only the centred minimum", abs(near["reverse (start at the mode)"].m) < 1e-3,
                               f"a start at m = δ ends at m = {fmt(near['reverse (start at the mode)'].m, '.2e')} (tolerance |m| < 1e-3)"))
    delta = MIXTURE_DELTAS[-1]
    n, replicates = (4_000, 20) if ctx.quick else (20_000, 50)
    ctx.step(f"MLE on {n:,} draws at δ = {fmt(delta, 'g')}; power ({replicates} replicates)")
    outcome = moment_matching_test(sample_mixture(n, delta, ctx.generator(1), ctx.device), delta,
                                   false_fail_rate=SAMPLE_FIT_FALSE_FAIL)
    wrong = power(lambda r: moment_matching_test(sample_mixture(n, delta, ctx.generator(100 + r), ctx.device), delta,
                                                 variance=delta**2, false_fail_rate=SAMPLE_FIT_FALSE_FAIL),
                  "the claim s² = δ² (the mode centres' spread, each mode's unit variance left out)", replicates)
    result.checks.append(Check.tested(f"the MLE on draws of p at δ = {fmt(delta, 'g')} is the moment-matching fit m = 0, s² = 1 + δ²",
                                      outcome, wrong))
    path = ctx.figure_path(FORWARD_REVERSE_PNG)
    if path is not None:
        _plot_mixture_fits(path, fits, onset.delta, threshold, result)
    return result


def _plot_mixture_fits(path: Path, fits: dict, onset: float, threshold: float, result: SpecResult) -> None:
    import numpy as np

    plt = pyplot()

    def pdf(x, m, s):
        return np.exp(-0.5 * ((x - m) / s) ** 2) / (s * np.sqrt(2 * np.pi))

    fig, axes = plt.subplots(1, len(fits), figsize=(15, 4.4))
    for ax, (delta, fit) in zip(axes, fits.items()):
        x = np.linspace(-delta - 4.5, delta + 4.5, 600)
        target = 0.5 * pdf(x, -delta, 1.0) + 0.5 * pdf(x, delta, 1.0)
        ax.fill_between(x, target, color="0.85", label="target p")
        ax.plot(x, target, color="0.35", lw=1.0)
        forward, mode, centred = fit["forward"], fit["reverse (start at the mode)"], fit["reverse (centred)"]
        ax.plot(x, pdf(x, forward.m, forward.s), color="tab:blue", lw=2,
                label=f"forward: m={fmt(forward.m, '.2f')}, s={fmt(forward.s, '.2f')}, KL={fmt(forward.kl, '.4f')}")
        if abs(mode.m) > 1e-3:
            best = "global" if mode.kl < centred.kl else "local"
            ax.plot(x, pdf(x, mode.m, mode.s), color="tab:red", lw=2,
                    label=f"reverse, {best} min: m={fmt(mode.m, '.2f')}, s={fmt(mode.s, '.2f')}, KL={fmt(mode.kl, '.4f')}")
            best = "global" if centred.kl < mode.kl else "local"
            ax.plot(x, pdf(x, centred.m, centred.s), color="tab:orange", lw=2, ls="--",
                    label=f"reverse, {best} min: m=0, s={fmt(centred.s, '.2f')}, KL={fmt(centred.kl, '.4f')}")
        else:
            ax.plot(x, pdf(x, centred.m, centred.s), color="tab:orange", lw=2, ls="--",
                    label=f"reverse (only min): m=0, s={fmt(centred.s, '.2f')}, KL={fmt(centred.kl, '.4f')}")
        regime = ("δ < δ_onset: reverse KL has only the centred minimum" if delta < onset else
                  "δ_onset < δ < δ*: mode-seeking minimum is only local" if delta < threshold else
                  "δ > δ*: mode-seeking minimum is global")
        ax.set_title(f"δ = {delta}  (δ* = {fmt(threshold, '.4f')})\n{regime}", fontsize=9)
        ax.set_xlabel("x")
        ax.set_ylim(0, 1.3 * ax.get_ylim()[1])
        ax.legend(fontsize=7, loc="upper left", frameon=False)
    axes[0].set_ylabel("density")
    fig.suptitle("One Gaussian fitted to ½N(−δ,1) + ½N(δ,1): forward KL covers both modes, reverse KL seeks one "
                 f"only for δ > δ* = {fmt(threshold, '.4f')} (fold at δ_onset = {fmt(onset, '.4f')})", fontsize=10)
    fig.tight_layout()
    save_figure(fig, path, "A single Gaussian fitted to ½N(−δ,1) + ½N(δ,1) by forward KL (moment matching, s² = 1 + δ²) "
          f"and by reverse KL: centred below δ_onset = {fmt(onset, '.2f')}, two local fits between {fmt(onset, '.2f')} and "
          f"{fmt(threshold, '.2f')}, a mode-seeking global fit above.", result)
