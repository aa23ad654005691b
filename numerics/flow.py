"""Independent numeric routes and behaviour checks for the flow family (``derivations/flow/``).

Routes compute each quantity without the SymPy derivation: ``torch.distributions`` (LogNormal,
MultivariateNormal, TransformedDistribution), autograd Jacobians (``torch.func.jacrev``) with
``slogdet``, complex-step derivatives, root finding, RK4 differentiated in time by autograd, Monte
Carlo. Behaviour checks run the reference models of ``reference_models/flows.py`` (fixed seeds;
goodness-of-fit tests at ``GOF_FALSE_FAIL_RATE`` = 1e-6).
"""

from __future__ import annotations

import math

import numpy as np
import torch
from torch.distributions import (AffineTransform, ExpTransform, LogNormal, MultivariateNormal, Normal,
                                 TransformedDistribution)

from derivspec.core.lazy import lazy
from derivspec.core.numbers import fmt
from derivspec.numerics.accuracy import Approximate, agreement, richardson
from derivspec.numerics.checks import NumericResult, elementwise_grad
from derivspec.numerics.montecarlo import Integrand, standard_normal
from derivspec.numerics.routes import behaviour, model, monte_carlo, reference
from derivspec.numerics.sampling import piecewise_constant
from derivspec.reference_models import flows
from derivspec.reference_models.device import DTYPE, make_generator, resolve_device

stats = lazy("scipy.stats")


def _stack(*columns) -> torch.Tensor:
    return torch.stack(columns, -1)


def _standard_normal(like: torch.Tensor) -> Normal:
    return Normal(torch.zeros_like(like), torch.ones_like(like))


# --- scalar change of variables -----------------------------------------------------------------


@reference("flow.change-of-variables.scalar")
def lognormal_log_prob(y, mu, sigma):
    """torch LogNormal.log_prob"""
    return LogNormal(mu, sigma).log_prob(y)


@reference("flow.change-of-variables.scalar")
def exp_of_normal_log_prob(y, mu, sigma):
    """torch TransformedDistribution(Normal, ExpTransform).log_prob"""
    return TransformedDistribution(Normal(mu, sigma), [ExpTransform()]).log_prob(y)


# --- the general rule: a decreasing monotone map ------------------------------------------------


@reference("flow.change-of-variables.density")
def decreasing_cdf_derivative(a, s, t):
    """autograd: d/da (1 - Φ(h(a))), h(a) = t - s·a - a³ decreasing (torch Normal.cdf)"""
    return elementwise_grad(lambda v: 1 - _standard_normal(v).cdf(t - s * v - v**3), a)


@reference("flow.change-of-variables.density")
def decreasing_map_jacobian(a, s, t):
    """φ(h(a)) · |h'(a)|, h'(a) by autograd of h (torch Normal.log_prob)"""
    b = t - s * a - a**3
    slope = elementwise_grad(lambda v: t - s * v - v**3, a)
    return torch.exp(_standard_normal(b).log_prob(b)) * torch.abs(slope)


# --- linear change of variables (d = 2) -----------------------------------------------------------


def _matrix(a11, a12, a21, delta) -> torch.Tensor:
    """A = [[a11, a12], [a21, a22]] with a22 = (delta + a12·a21)/a11, so det A = delta."""
    a22 = (delta + a12 * a21) / a11
    return torch.stack([_stack(a11, a12), _stack(a21, a22)], -2)


@reference("flow.change-of-variables.linear")
def gaussian_image_log_prob(x1, x2, a11, a12, a21, delta, b1, b2):
    """torch MultivariateNormal(b, AAᵀ).log_prob (the image of N(0, I) under z -> Az + b)"""
    A = _matrix(a11, a12, a21, delta)
    return MultivariateNormal(_stack(b1, b2), covariance_matrix=A @ A.transpose(-1, -2)).log_prob(_stack(x1, x2))


@reference("flow.change-of-variables.linear")
def inverse_map_autograd(x1, x2, a11, a12, a21, delta, b1, b2):
    """autograd: log N(g(x); 0, I) + slogdet(jacrev g), g(x) = solve(A, x - b)"""
    A = _matrix(a11, a12, a21, delta)
    b, x = _stack(b1, b2), _stack(x1, x2)

    def g(xi, Ai, bi):
        return torch.linalg.solve(Ai, xi - bi)

    z = torch.vmap(g)(x, A, b)
    jac = torch.vmap(torch.func.jacrev(g))(x, A, b)
    return _standard_normal(z).log_prob(z).sum(-1) + torch.linalg.slogdet(jac)[1]


# --- Box–Muller -----------------------------------------------------------------------------------


@reference("flow.box-muller")
def box_muller_inverse_autograd(z1, z2):
    """autograd: log|det| of the Jacobian of the inverse map z -> (exp(-r²/2), atan2(z2, z1)/2π mod 1)"""
    z = _stack(z1, z2)
    jac = torch.vmap(torch.func.jacrev(lambda v: _stack(*flows.box_muller_inverse(v[0], v[1]))))(z)
    return torch.linalg.slogdet(jac)[1]


@reference("flow.box-muller")
def standard_bivariate_normal(z1, z2):
    """torch Normal(0, 1).log_prob(z1) + log_prob(z2)"""
    return _standard_normal(z1).log_prob(z1) + _standard_normal(z2).log_prob(z2)


def _box_muller_without_the_two(u1, u2):
    """radius √(−log u₁): the factor 2 of √(−2 log u₁) lost."""
    r = torch.sqrt(-torch.log(u1))
    return r * torch.cos(2 * math.pi * u2), r * torch.sin(2 * math.pi * u2)


def _box_muller_half_turn(u1, u2):
    """angle π u₂: half the circle, z₂ ≥ 0."""
    r = torch.sqrt(-2 * torch.log(u1))
    return r * torch.cos(math.pi * u2), r * torch.sin(math.pi * u2)


@behaviour("flow.box-muller", broken={
    "radius √(−log u₁) (the factor 2 lost)": dict(transform=_box_muller_without_the_two),
    "angle π u₂ instead of 2π u₂": dict(transform=_box_muller_half_turn),
})
def box_muller_inverts_and_is_gaussian(n, *, transform=flows.box_muller):
    """reference Box–Muller: round trip u -> z -> u, and KS tests of z1, z2 and z1 + z2 against their normal laws

    Seam: ``transform`` (u₁, u₂) -> (z₁, z₂), the lecture's map (reference_models/flows.py box_muller)."""
    device = resolve_device("auto")
    g = make_generator(3086, device)
    u1 = torch.rand(n, generator=g, dtype=DTYPE, device=device).clamp_min(1e-300)
    u2 = torch.rand(n, generator=g, dtype=DTYPE, device=device)
    z1, z2 = transform(u1, u2)
    v1, v2 = flows.box_muller_inverse(z1, z2)
    trip = float(torch.maximum((v1 - u1).abs(), torch.minimum((v2 - u2).abs(), 1 - (v2 - u2).abs())).max())
    pvalues = [stats.kstest(z1.cpu().numpy(), "norm").pvalue, stats.kstest(z2.cpu().numpy(), "norm").pvalue,
               stats.kstest(((z1 + z2) / math.sqrt(2)).cpu().numpy(), "norm").pvalue]
    p = min(1.0, 3 * min(pvalues))
    holds = trip < 1e-9 and p > flows.GOF_FALSE_FAIL_RATE
    return holds, (f"n = {n}: max round-trip error {fmt(trip, '.2g')}; Bonferroni KS p-value of z₁, z₂, (z₁+z₂)/√2 against N(0, 1): "
                   f"{fmt(p, '.3g')} (fails below {fmt(flows.GOF_FALSE_FAIL_RATE, 'g')})")


# --- a monotone map that adds a mode -------------------------------------------------------------


@reference("flow.monotone.density")
def cdf_derivative(y, c):
    """autograd: log d/dy Φ(y³ + c y) (torch Normal.cdf)"""
    return torch.log(elementwise_grad(lambda v: _standard_normal(v).cdf(v**3 + c * v), y))


@reference("flow.monotone.density")
def forward_map_derivative(y, c):
    """log φ(z) − log f'(z), z = y³ + cy, f = the Cardano root (autograd of the forward map)"""
    z = y**3 + c * y
    slope = elementwise_grad(lambda v: flows.cubic_forward(v, c), z)
    return _standard_normal(z).log_prob(z) - torch.log(slope)


MODE_GRID = (-4.0, 4.0, 80_001)  # count_modes' grid; the CDF of the density under test by the trapezoid rule on it


def _grid_cdf(log_density, device):
    """The CDF of exp(log_density) normalised on MODE_GRID (cumulative trapezoid), for a KS test of its samples."""
    y = torch.linspace(*MODE_GRID, dtype=DTYPE, device=device)
    density = torch.exp(log_density(y))
    cells = (density[1:] + density[:-1]) / 2 * (y[1:] - y[:-1])
    cdf = torch.cat([torch.zeros(1, dtype=DTYPE, device=device), torch.cumsum(cells, 0)])
    grid, values = y.cpu().numpy(), (cdf / cdf[-1]).cpu().numpy()
    return lambda v: np.interp(v, grid, values)


CUBIC_FLOW = (flows.cubic_forward, flows.cubic_log_density)  # Y = f(Z), f⁻¹(y) = y³ + cy, and its density


@behaviour("flow.monotone.density", broken={
    "an affine map Y = cZ + ½, which cannot add a mode (the statement holds)":
        dict(flow=(lambda z, c: c * z + 0.5, lambda y, c: Normal(0.5, c).log_prob(y))),
})
def monotone_map_keeps_the_number_of_modes(c, *, flow=CUBIC_FLOW):
    """reference map f with f⁻¹(y) = y³ + cy of N(0, 1): count the modes of its density, KS test of its samples

    Seam: ``flow = (forward(z, c), log_density(y, c))``, the increasing map and the density of
    Y = f(Z) by change of variables, log φ(g(y)) + log g'(y); the verdict needs the samples to fit
    the density whose modes it counts (KS against its normalised CDF on the grid), so a mode count
    of a wrong density confirms nothing. An affine map keeps one mode: the check then says the
    statement holds."""
    forward, log_density = flow
    device = resolve_device("auto")
    modes = flows.count_modes(lambda y: log_density(y, c), *MODE_GRID, device=device)
    g = make_generator(1905, device)
    y = forward(torch.randn(100_000, generator=g, dtype=DTYPE, device=device), c)
    p = stats.kstest(y.cpu().numpy(), _grid_cdf(lambda v: log_density(v, c), device)).pvalue
    fits = p > flows.GOF_FALSE_FAIL_RATE
    holds = len(modes) == 1 and fits
    return holds, (f"c = {c}: Z ~ N(0, 1) has one mode; Y = f(Z) (f increasing, smooth) has {len(modes)} at "
                   f"{', '.join(f'{m:.4f}' for m in modes)} (log p_Y''(0) = 6/c − c² = {fmt(6 / c - c**2, '.3g')} for the cubic map); its samples "
                   f"{'fit' if fits else 'do not fit'} the density (KS p = {fmt(p, '.3g')}, n = 100,000, fails below {fmt(flows.GOF_FALSE_FAIL_RATE, 'g')})")


# --- composition ----------------------------------------------------------------------------------


@reference("flow.composition")
def composed_lognormal(x, a, b):
    """torch LogNormal(b, a).log_prob"""
    return LogNormal(b, a).log_prob(x)


@reference("flow.composition")
def composed_transforms(x, a, b):
    """torch TransformedDistribution(Normal(0, 1), [AffineTransform(b, a), ExpTransform()]).log_prob"""
    base = _standard_normal(x)
    return TransformedDistribution(base, [AffineTransform(b, a), ExpTransform()]).log_prob(x)


FIRST_INVERTED = {"right": "f_K⁻¹", "wrong": "f₁⁻¹"}


@behaviour("flow.composition", broken={
    "inverted as L3144 writes, f₁⁻¹ first": dict(order="wrong"),
    "the layers' log|det A_i| added instead of subtracted": dict(log_det_sign=+1),
})
def composed_flow_samples_follow_the_density(d, layers, n, *, order="right", log_det_sign=-1):
    """reference LinearFlowChain: samples by f_K∘…∘f_1 mapped back with f_K⁻¹ first are N(0, I); log_prob = the closed form N(b, AAᵀ)

    Seams: ``order`` of the inversion (the lecture's rule: f_K⁻¹ first, "right") and ``log_det_sign``
    of Σ log|det A_i| in log p(x) = log p₀(z₀) − Σ log|det A_i|."""
    device = resolve_device("auto")
    chain = flows.LinearFlowChain(d, layers, seed=3148, device=device)
    x = chain.sample(n, make_generator(3149, device))
    p_right = flows.standard_normal_ks_pvalue(chain.inverse(x, order))
    p_wrong = flows.standard_normal_ks_pvalue(chain.inverse(x, "wrong"))
    exact = chain.closed_form().log_prob(x[:1000])

    def log_prob(inversion):
        return flows.std_normal_log_prob(chain.inverse(x[:1000], inversion)) + log_det_sign * chain.log_det_sum()

    right = float((log_prob(order) - exact).abs().max())
    wrong = float((chain.log_prob(x[:1000], "wrong") - exact).abs().max())
    holds = p_right > flows.GOF_FALSE_FAIL_RATE and right < 1e-9
    verdict = "passes" if p_right > flows.GOF_FALSE_FAIL_RATE else "fails"
    return holds, (f"d = {d}, K = {layers} affine layers, n = {n}: z₀ from {FIRST_INVERTED[order]} first {verdict} the KS test against N(0, I) "
                   f"(p = {fmt(p_right, '.3g')}) and its log-density is N(b, AAᵀ)'s to {fmt(right, '.1g')}; with f₁⁻¹ first "
                   f"(as L3144 writes) p = {fmt(p_wrong, '.2g')} and the log-density is off by up to {fmt(wrong, '.3g')}")


# --- coupling layers ------------------------------------------------------------------------------


def _coupling_map(z, w2, w3):
    """f(z) = (z1, z2 e^{tanh(w2 z1)} + z1², z3 e^{tanh(w3 z1)} + z1³) for one point."""
    return torch.stack([z[0], z[1] * torch.exp(torch.tanh(w2 * z[0])) + z[0] ** 2,
                        z[2] * torch.exp(torch.tanh(w3 * z[0])) + z[0] ** 3])


@reference("flow.coupling.log-det")
def coupling_autograd_log_det(z1, z2, z3, w2, w3):
    """autograd: slogdet of torch.func.jacrev of the coupling map"""
    jac = torch.vmap(torch.func.jacrev(_coupling_map))(_stack(z1, z2, z3), w2, w3)
    return torch.linalg.slogdet(jac)[1]


COMPLEX_STEP = 1e-30


def _complex_step_jacobian(f, z: torch.Tensor) -> torch.Tensor:
    """∂f_i/∂z_j = Im f(z + i h e_j)/h (complex-step differentiation: no subtraction, exact to
    round-off for functions analytic in z; independent of autograd). (points, d, d)."""
    cols = []
    for j in range(z.shape[-1]):
        step = torch.zeros_like(z, dtype=torch.complex128)
        step[..., j] = 1j * COMPLEX_STEP
        cols.append(f(z.to(torch.complex128) + step).imag / COMPLEX_STEP)
    return torch.stack(cols, -1)


@reference("flow.coupling.log-det")
def coupling_complex_step_log_det(z1, z2, z3, w2, w3):
    """complex-step derivatives of the coupling map (complex128, on the CPU), slogdet

    The CPU always: on CUDA (H100, torch 2.11) this route rejected the right target at round-off
    tolerance (cause not established there); the CPU's complex128 is what every other run checks."""
    a, b = w2.cpu(), w3.cpu()

    def f(z):
        return torch.stack([z[..., 0], z[..., 1] * torch.exp(torch.tanh(a * z[..., 0])) + z[..., 0] ** 2,
                            z[..., 2] * torch.exp(torch.tanh(b * z[..., 0])) + z[..., 0] ** 3], -1)
    return torch.linalg.slogdet(_complex_step_jacobian(f, _stack(z1, z2, z3).cpu()))[1].to(z1.device)


@behaviour("flow.coupling.log-det", broken={
    "the conditioner fed all of z, not z_A (mask not applied)": dict(conditioner_input=lambda z, mask: z),
    "z_B scaled by s instead of exp(s)": dict(scale=lambda s: s),
})
def coupling_jacobian_is_block_triangular(d, points, *, conditioner_input=lambda z, mask: z * mask, scale=torch.exp):
    """reference RealNVP coupling layer (d coordinates): autograd Jacobian has a zero upper-right block and diag(exp(s)) below

    Seams: the layer z' = z ⊙ scale(s) + t, (s, t) = conditioner(``conditioner_input(z, mask)``); the
    lecture's: z ⊙ mask (z_A only) and scale = exp."""
    device = resolve_device("auto")
    layer = flows.RealNVP(d, 1, 32, seed=3042, device=device).layers[0]
    z = torch.randn(points, d, generator=make_generator(3043, device), dtype=DTYPE, device=device)

    def coupling(v):
        s, t = layer.scale_shift(conditioner_input(v, layer.mask))
        return v * scale(s) + t

    jac = flows.autograd_jacobians(coupling, z).detach()
    a, b_ = layer.mask.bool(), ~layer.mask.bool()
    upper = float(jac[:, a][:, :, b_].abs().max())
    identity = float((jac[:, a][:, :, a] - torch.eye(int(a.sum()), dtype=DTYPE, device=device)).abs().max())
    with torch.no_grad():
        s, _ = layer.scale_shift(z * layer.mask)
    lower_right = jac[:, b_][:, :, b_]
    diag_error = float((lower_right - torch.diag_embed(torch.exp(s[:, b_]))).abs().max())
    star = float(jac[:, b_][:, :, a].abs().max())
    holds = upper == 0.0 and identity < 1e-12 and diag_error < 1e-12
    return holds, (f"d = {d}, {points} points: ∂z'_A/∂z_B = 0 exactly (max {fmt(upper, 'g')}), ∂z'_A/∂z_A = I (error {fmt(identity, '.1g')}), "
                   f"∂z'_B/∂z_B = diag(exp s) (error {fmt(diag_error, '.1g')}); the * block is not zero (max {fmt(star, '.3g')})")


def _inverse_in_forward_order(model_, x):
    """The layers undone f₁⁻¹ first (not last)."""
    log_det = torch.zeros(x.shape[:-1], dtype=DTYPE, device=x.device)
    for layer in model_.layers:
        x, ld = layer.inverse(x)
        log_det = log_det + ld
    return x, log_det


def _inverse_with_exp_plus_s(model_, x):
    """Each layer undone as (x_B − t)·exp(+s): the sign of the scale's exponent lost."""
    log_det = torch.zeros(x.shape[:-1], dtype=DTYPE, device=x.device)
    for layer in reversed(model_.layers):
        s, t = layer.scale_shift(x * layer.mask)
        x, log_det = (x - t) * torch.exp(s), log_det + s.sum(-1)
    return x, log_det


@behaviour("flow.coupling.log-det", broken={
    "the layers undone in forward order (f₁⁻¹ first)": dict(inverse=_inverse_in_forward_order),
    "each layer undone with exp(+s) instead of exp(−s)": dict(inverse=_inverse_with_exp_plus_s),
})
def realnvp_inverse_and_log_det_are_exact(layers, n, *, inverse=flows.RealNVP.inverse):
    """reference RealNVP (d = 2): inverse round trip and Σ s against the autograd slogdet, float64

    Seam: ``inverse(model, x) -> (z, log|det ∂z/∂x|)``, the explicit inverse under test (the lecture's:
    last layer first, z_B = (x_B − t)·exp(−s))."""
    device = resolve_device("auto")
    model_ = flows.RealNVP(2, layers, 32, seed=3104, device=device)
    report = flows.realnvp_exactness(model_, n, seed=3105, inverse=inverse)
    holds = report.round_trip < 1e-10 and report.log_det_vs_autograd < 1e-10 and report.inverse_log_det < 1e-10
    return holds, (f"{layers} coupling layers, {n} points: max |f⁻¹(f(z)) − z| = {fmt(report.round_trip, '.1g')}, "
                   f"max |Σ s − autograd log|det J|| = {fmt(report.log_det_vs_autograd, '.1g')}, "
                   f"max |log|det J_f⁻¹| + log|det J_f|| = {fmt(report.inverse_log_det, '.1g')}")


def _log_prob_with_log_det_sign(sign):
    """log N(f⁻¹(x)) + sign·log|det ∂f⁻¹/∂x| (the lecture's sign is +1)."""
    def log_prob(model_, x):
        z, log_det = model_.inverse(x)
        return flows.std_normal_log_prob(z) + sign * log_det
    return log_prob


@behaviour("flow.coupling.log-det", broken={
    "the log-det term subtracted (log N(z) − Σ s of the inverse)": dict(log_prob=_log_prob_with_log_det_sign(-1)),
    "the log-det term dropped (log N(f⁻¹(x)))": dict(log_prob=_log_prob_with_log_det_sign(0)),
})
def realnvp_density_matches_its_samples(n, bins, *, log_prob=flows.RealNVP.log_prob):
    """reference RealNVP (d = 2, 6 layers): χ² goodness-of-fit of n samples against exp(log_prob) integrated over a grid

    Seam: ``log_prob(model, x)``, the change-of-variables density under test (the lecture's:
    log N(f⁻¹(x)) + log|det ∂f⁻¹/∂x|, RealNVP.log_prob)."""
    device = resolve_device("auto")
    model_ = flows.RealNVP(2, 6, 32, seed=3217, device=device)
    gof = flows.realnvp_density_gof(model_, n=n, bins=bins, seed=3218, log_prob=lambda x: log_prob(model_, x))
    return gof.passed, (f"n = {n} samples, {bins}×{bins} cells + the outside (sparse cells pooled): χ² = {fmt(gof.statistic, '.1f')} on {gof.dof} d.o.f., "
                        f"p = {fmt(gof.p_value, '.3g')} (fails below {fmt(flows.GOF_FALSE_FAIL_RATE, 'g')})")


@behaviour("flow.coupling.log-det", broken={
    "a scale e^{0.5} that does not depend on z1 (an elementwise map)": dict(log_scale=lambda z1: 0.5 * torch.ones_like(z1)),
})
def coupling_creates_dependence(n, *, log_scale=lambda z1: 0.5 * torch.tanh(z1)):
    """one coupling layer x = (z1, z2·e^{0.5 tanh z1}) of independent N(0, 1) coordinates: test Cov(x1, x2²) = 0

    Seam: ``log_scale(z1)``, the coupling's s(z1) (the lecture's nonlinear map: 0.5 tanh z1)."""
    device = resolve_device("auto")
    g = make_generator(1908, device)
    z = torch.randn(n, 2, generator=g, dtype=DTYPE, device=device)
    x1, x2 = z[:, 0], z[:, 1] * torch.exp(log_scale(z[:, 0]))

    def z_of_covariance(a, b):
        prod = (a - a.mean()) * (b - b.mean())
        return float(prod.mean() / (prod.std() / math.sqrt(len(a))))

    z_coupled = z_of_covariance(x1, x2**2)
    z_input = z_of_covariance(z[:, 0], z[:, 1] ** 2)
    critical = float(stats.norm.isf(flows.GOF_FALSE_FAIL_RATE / 2))
    holds = abs(z_coupled) > critical
    return holds, (f"n = {n}: z-statistic of Cov(x₁, x₂²) = {fmt(z_coupled, '.1f')} (|z| {'>' if holds else '≤'} {fmt(critical, '.2f')}: {'dependent' if holds else 'no dependence shown'}); "
                   f"for the independent inputs Cov(z₁, z₂²) gives z = {fmt(z_input, '.2f')}")


# --- coupling inverse -----------------------------------------------------------------------------


def _coupling_forward_2d(z2, y1, w, v):
    return z2 * torch.exp(torch.tanh(w * y1)) + v * y1


@reference("flow.coupling.inverse")
def coupling_inverse_by_bisection(y1, y2, w, v):
    """bisection on the (increasing) forward map z2 -> z2·e^{s(y1)} + t(y1), 200 halvings; error: the bracket's half-width"""
    lo = torch.full_like(y2, -1e3)
    hi = torch.full_like(y2, 1e3)
    for _ in range(200):
        mid = (lo + hi) / 2
        above = _coupling_forward_2d(mid, y1, w, v) > y2
        hi = torch.where(above, mid, hi)
        lo = torch.where(above, lo, mid)
    return Approximate((lo + hi) / 2, (hi - lo) / 2, "bisection bracket half-width")


ROUND_TRIP_TOL = 1e-10  # exact arithmetic: the round trip of |y2| ≤ 2 through exp and affine maps is off by ~1e-15; a wrong inverse by O(1)


@model("flow.coupling.inverse", candidate_args=("y1", "y2", "w", "v"))
def coupling_round_trip(candidate, generator, device):
    """reference coupling layer: forward(y1, candidate z2) must return y2 (round trip, 512 random points)"""
    n = 512
    y1, y2 = (4 * torch.rand(n, generator=generator, dtype=DTYPE, device=device) - 2 for _ in range(2))
    w = 4 * torch.rand(n, generator=generator, dtype=DTYPE, device=device) - 2
    v = 4 * torch.rand(n, generator=generator, dtype=DTYPE, device=device) - 2
    z2 = candidate(y1=y1, y2=y2, w=w, v=v)
    error = float((_coupling_forward_2d(z2, y1, w, v) - y2).abs().max())
    passed = math.isfinite(error) and error < ROUND_TRIP_TOL
    return NumericResult(passed, "", points=n, max_abs_diff=error,
                         detail=f"max |f(y1, z2) − y2| = {fmt(error, '.2g')} (tolerance {fmt(ROUND_TRIP_TOL, 'g')})")


# --- triangular determinant and MAF ----------------------------------------------------------------


def _lower(l11, l21, l22, l31, l32, l33):
    zero = torch.zeros_like(l11)
    return torch.stack([_stack(l11, zero, zero), _stack(l21, l22, zero), _stack(l31, l32, l33)], -2)


@reference("flow.triangular.determinant")
def torch_determinant(l11, l21, l22, l31, l32, l33):
    """torch.linalg.det (LU)"""
    return torch.linalg.det(_lower(l11, l21, l22, l31, l32, l33))


@reference("flow.triangular.determinant")
def product_of_eigenvalues(l11, l21, l22, l31, l32, l33):
    """real part of the product of torch.linalg.eigvals"""
    return torch.linalg.eigvals(_lower(l11, l21, l22, l31, l32, l33)).prod(-1).real


def _maf_forward(z, a, u, v):
    """The sampling pass of the d = 2 MAF: x1 = e^a z1, then x2 = u x1 + e^{v tanh x1} z2."""
    x1 = torch.exp(a) * z[0]
    return torch.stack([x1, u * x1 + torch.exp(v * torch.tanh(x1)) * z[1]])


@reference("flow.autoregressive.maf")
def maf_by_newton_and_autograd(x1, x2, a, u, v):
    """Newton's method on the sampling pass f(z) = x (autograd Jacobian), then log N(z) − slogdet(J_f(z))

    Newton converges quadratically, so the last step overstates the error of the last iterate: the
    error estimate is the difference of the log-density at the last two iterates (agreement)."""
    x = _stack(x1, x2)
    z = x.clone()
    jac_f = torch.vmap(torch.func.jacrev(_maf_forward))
    f = torch.vmap(_maf_forward)

    def log_density(point):
        return _standard_normal(point).log_prob(point).sum(-1) - torch.linalg.slogdet(jac_f(point, a, u, v))[1]
    for _ in range(60):
        previous, z = z, z - torch.linalg.solve(jac_f(z, a, u, v), (f(z, a, u, v) - x)[..., None])[..., 0]
    return Approximate(*agreement(log_density(previous), log_density(z)), "agreement of the last two Newton iterates")


def _maf_inverse(x, a, u, v):
    return torch.stack([x[0] * torch.exp(-a), (x[1] - u * x[0]) * torch.exp(-v * torch.tanh(x[0]))])


@reference("flow.autoregressive.maf")
def maf_density_pass_autograd(x1, x2, a, u, v):
    """one density pass z = f⁻¹(x), log N(z) + slogdet of its autograd Jacobian"""
    x = _stack(x1, x2)
    z = torch.vmap(_maf_inverse)(x, a, u, v)
    jac = torch.vmap(torch.func.jacrev(_maf_inverse))(x, a, u, v)
    return _standard_normal(z).log_prob(z).sum(-1) + torch.linalg.slogdet(jac)[1]


def _made_pair(d, seed, device, conditioner=flows.MADE):
    return flows.MAF(conditioner(d, seed=seed, device=device)), flows.IAF(conditioner(d, seed=seed + 1, device=device))


def _unmasked_made(d, seed, device):
    """A MADE whose input-to-hidden mask is all ones: every hidden unit, so every output, sees every input."""
    made = flows.MADE(d, seed=seed, device=device)
    made.mask1.fill_(1.0)
    return made


@behaviour("flow.autoregressive.maf", broken={
    "MAF sampled in one parallel pass, like its density": dict(sample_maf=lambda maf, z: maf.forward(z, passes=1)),
    "IAF density in one parallel pass, like its sampling": dict(invert_iaf=lambda iaf, x: iaf.inverse(x, passes=1)),
    "a MADE without its input mask (the conditioner sees every input)": dict(conditioner=_unmasked_made),
})
def maf_iaf_passes(d, *, sample_maf=flows.MAF.forward, invert_iaf=flows.IAF.inverse, conditioner=flows.MADE):
    """reference MADE-based MAF and IAF: count the conditioner passes for density and sampling, and check the results

    Seams: ``sample_maf(maf, z)``, ``invert_iaf(iaf, x)`` (the lecture's: d sequential passes) and the
    masked ``conditioner`` (MADE)."""
    device = resolve_device("auto")
    maf, iaf = _made_pair(d, 3056, device, conditioner)
    z = torch.randn(256, d, generator=make_generator(3057, device), dtype=DTYPE, device=device)
    with torch.no_grad():
        maf.made.calls = 0
        x = sample_maf(maf, z)
        maf_sampling = maf.made.calls
        maf.made.calls = 0
        z_back, _ = maf.inverse(x)
        maf_density = maf.made.calls
        short = float((maf.forward(z, passes=d - 1) - x).abs().max())
        iaf.made.calls = 0
        xi, _ = iaf.forward(z)
        iaf_sampling = iaf.made.calls
        iaf.made.calls = 0
        zi, _ = invert_iaf(iaf, xi)
        iaf_density = iaf.made.calls
        short_iaf = float((iaf.inverse(xi, passes=d - 1)[0] - z).abs().max())
    exact = max(float((z_back - z).abs().max()), float((zi - z).abs().max()))
    holds = (maf_density, maf_sampling, iaf_sampling, iaf_density) == (1, d, 1, d) and exact < 1e-12 \
        and short > 1e-6 and short_iaf > 1e-6
    return holds, (f"d = {d}: MAF density {maf_density} pass, sampling {maf_sampling} passes; IAF sampling {iaf_sampling} pass, "
                   f"density {iaf_density} passes (with d − 1 passes the MAF sample is off by {fmt(short, '.2g')}, the IAF latent by "
                   f"{fmt(short_iaf, '.2g')}; with d, exact to {fmt(exact, '.1g')})")


@behaviour("flow.autoregressive.maf", broken={
    "an IAF on the MAF's conditioner with μ, α unchanged (not μ' = −μe^{−α}, α' = −α)": dict(iaf_of=lambda maf: flows.IAF(maf.made)),
})
def iaf_is_the_inverse_of_maf(d, n, *, iaf_of=flows.IAF.from_maf):
    """IAF.from_maf: its one-pass sampling is the MAF's one-pass density map, its d-pass density the MAF's sampling

    Seam: ``iaf_of(maf)``, the IAF built from the MAF (the lecture's: IAF.from_maf, reversed computation)."""
    device = resolve_device("auto")
    maf, _ = _made_pair(d, 3189, device)
    iaf = iaf_of(maf)
    v = torch.randn(n, d, generator=make_generator(3190, device), dtype=DTYPE, device=device)
    with torch.no_grad():
        maf_density_map, maf_log_det = maf.inverse(v)
        iaf_sampling_map, iaf_log_det = iaf.forward(v)
        one_pass = max(float((maf_density_map - iaf_sampling_map).abs().max()), float((maf_log_det - iaf_log_det).abs().max()))
        sequential = float((maf.forward(v) - iaf.inverse(v)[0]).abs().max())
    holds = one_pass < 1e-12 and sequential < 1e-12
    return holds, (f"d = {d}, {n} points: IAF sampling pass − MAF density pass (and their log-dets): {fmt(one_pass, '.1g')}; "
                   f"IAF d-pass inverse − MAF d-pass sampling: {fmt(sequential, '.1g')}")


@behaviour("flow.autoregressive.maf", broken={
    "a MADE without its input mask (the conditioner sees every input)": dict(conditioner=_unmasked_made),
})
def autoregressive_jacobian_is_triangular(d, points, *, conditioner=flows.MADE):
    """reference MAF: autograd Jacobian ∂x/∂z is lower-triangular (x_i unchanged when z_j, j > i, moves); x_1, x_2 still correlated

    Seam: ``conditioner(d, seed, device)``, the masked network the MAF is built on (the lecture's: MADE)."""
    device = resolve_device("auto")
    maf, _ = _made_pair(d, 3053, device, conditioner)
    z = torch.randn(points, d, generator=make_generator(3054, device), dtype=DTYPE, device=device)
    jac = flows.autograd_jacobians(lambda v: maf.forward(v[None])[0], z).detach()
    upper = float(torch.triu(jac, 1).abs().max())
    lower = float(torch.tril(jac, -1).abs().max())
    with torch.no_grad():
        x = maf.forward(torch.randn(100_000, d, generator=make_generator(3055, device), dtype=DTYPE, device=device))
    corr = float(torch.corrcoef(x[:, :2].T)[0, 1])
    holds = upper == 0.0 and lower > 1e-3
    return holds, (f"d = {d}, {points} points: max |J[i, j]| above the diagonal = {fmt(upper, 'g')}, below = {fmt(lower, '.3g')}; "
                   f"the outputs are not independent: corr(x₁, x₂) = {fmt(corr, '.3f')} (n = 100,000)")


# --- planar flow ------------------------------------------------------------------------------------


def _planar_point(z, u, w, b):
    return z + u * torch.tanh(z @ w + b)


@reference("flow.planar.determinant")
def planar_autograd_determinant(z1, z2, u1, u2, w1, w2, b):
    """torch.linalg.det of the autograd Jacobian (torch.func.jacrev)"""
    jac = torch.vmap(torch.func.jacrev(_planar_point))(_stack(z1, z2), _stack(u1, u2), _stack(w1, w2), b)
    return torch.linalg.det(jac)


@reference("flow.planar.determinant")
def planar_complex_step_determinant(z1, z2, u1, u2, w1, w2, b):
    """torch.linalg.det of the complex-step Jacobian (complex128)"""
    u, w = _stack(u1, u2), _stack(w1, w2)

    def f(z):
        return z + u * torch.tanh((z * w).sum(-1, keepdim=True) + b[..., None])

    return torch.linalg.det(_complex_step_jacobian(f, _stack(z1, z2)))


# --- 1×1 convolution# --- 1×1 convolution -------------------------------------------------------------------------------


@reference("flow.conv1x1.log-det", points=48)
def conv2d_autograd_log_det(h, w, k11, k22, k12, k21):
    """slogdet of the autograd Jacobian of torch.nn.functional.conv2d with a 1×1 kernel"""
    out = []
    for row in zip(*(t.tolist() for t in (h, w, k11, k22, k12, k21))):
        H, Wd, a, d_, b_, c_ = row
        kernel = torch.tensor([[a, b_], [c_, d_]], dtype=DTYPE, device=h.device)
        out.append(flows.conv1x1_log_det_autograd(kernel, int(H), int(Wd)))
    return torch.tensor(out, dtype=DTYPE, device=h.device)


@reference("flow.conv1x1.log-det", points=48)
def kronecker_log_det(h, w, k11, k22, k12, k21):
    """slogdet of kron(I_{h·w}, W) built explicitly"""
    out = []
    for row in zip(*(t.tolist() for t in (h, w, k11, k22, k12, k21))):
        H, Wd, a, d_, b_, c_ = row
        kernel = torch.tensor([[a, b_], [c_, d_]], dtype=DTYPE, device=h.device)
        out.append(torch.linalg.slogdet(torch.kron(torch.eye(int(H * Wd), dtype=DTYPE, device=h.device), kernel))[1])
    return torch.stack(out)


# --- continuous flows ------------------------------------------------------------------------------


def _log_det_flow_map(z0, t):
    """log ∂z_t/∂z_0 for dz/dt = tanh z (closed-form flow map, autograd in z_0)."""
    return torch.log(elementwise_grad(lambda v: torch.asinh(torch.sinh(v) * torch.exp(t)), z0))


@reference("flow.continuous.instantaneous")
def flow_map_autograd_time_derivative(z0, t):
    """autograd: −d/dt log ∂z_t/∂z_0 of the closed-form flow map (double autograd)"""
    def minus_log_det(tt):
        v = z0.detach().clone().requires_grad_(True)
        (slope,) = torch.autograd.grad(torch.asinh(torch.sinh(v) * torch.exp(tt)).sum(), v, create_graph=True)
        return -torch.log(slope)
    return elementwise_grad(minus_log_det, t)


CNF_RK4_STEPS = 100  # and 200: Richardson at order 4


@reference("flow.continuous.instantaneous", points=64)
def rk4_flow_map_time_derivative(z0, t):
    """RK4 flow map of dz/dt = tanh z (100 and 200 steps, Richardson at order 4), −d/dt log ∂z_t/∂z_0 by autograd through the solver

    The RK4 map after N steps of size t/N is z_t + C(t)(t/N)⁴ + …, and so is its derivative in
    (z_0, t): the error estimate is |D_2N − D_N|/15."""
    def minus_log_det_rate(steps):
        tt = t.detach().clone().requires_grad_(True)
        v = z0.detach().clone().requires_grad_(True)
        (slope,) = torch.autograd.grad(flows.rk4(torch.tanh, v, tt, steps).sum(), v, create_graph=True)
        (rate,) = torch.autograd.grad(-torch.log(slope).sum(), tt)
        return rate
    value, error = richardson(minus_log_det_rate(CNF_RK4_STEPS), minus_log_det_rate(2 * CNF_RK4_STEPS), 4)
    return Approximate(value, error, "Richardson: |D_2N − D_N|/15 (RK4, order 4)")


# --- Hutchinson ------------------------------------------------------------------------------------


def _hutchinson_draws(a11, a22, a12, a21, rademacher: bool):
    """εᵀAε as an integrand of two uniforms: Gaussian probes ε = Φ⁻¹(u); Rademacher probes
    ε = ±1 as u ≥ ½ or not (four outcomes: summed exactly)."""
    A = torch.stack([torch.stack([a11, a12]), torch.stack([a21, a22])])

    def quadratic_form(u):
        eps = (2 * (u >= 0.5).to(DTYPE) - 1) if rademacher else standard_normal(u)
        return ((eps @ A.T) * eps).sum(-1)

    if rademacher:
        half = torch.tensor(0.5, dtype=DTYPE, device=a11.device)
        return piecewise_constant(quadratic_form, [[half], [half]])
    return Integrand(quadratic_form, dim=2)


@monte_carlo("flow.hutchinson.unbiased")
def hutchinson_gaussian_probes(a11, a22, a12, a21):
    """Monte Carlo: mean of εᵀAε, ε ~ N(0, I₂)"""
    return _hutchinson_draws(a11, a22, a12, a21, rademacher=False)


@monte_carlo("flow.hutchinson.unbiased")
def hutchinson_rademacher_probes(a11, a22, a12, a21):
    """expectation of εᵀAε over ε uniform on {−1, 1}², exact over the four probes (Monte Carlo route)"""
    return _hutchinson_draws(a11, a22, a12, a21, rademacher=True)


def _rademacher(shape, generator, device):
    """ε uniform on {−1, 1}^d, drawn as CountingField.hutchinson draws it."""
    return 2 * torch.randint(0, 2, shape, generator=generator, device=device).to(DTYPE) - 1


@behaviour("flow.hutchinson.unbiased", broken={
    "probes uniform on [−1, 1] (E[εεᵀ] = I/3, not I)":
        dict(probe=lambda shape, g, device: 2 * torch.rand(shape, generator=g, dtype=DTYPE, device=device) - 1),
    "probes in {0, 1} (Bernoulli(½), not ±1: E[εεᵀ] = (I + 11ᵀ)/4)":
        dict(probe=lambda shape, g, device: torch.randint(0, 2, shape, generator=g, device=device).to(DTYPE)),
})
def hutchinson_needs_one_vector_jacobian_product(d, probes, *, probe=_rademacher):
    """reference vector field on R^d: the exact trace of ∂f/∂z takes d vector–Jacobian products, a Hutchinson estimate 1 per probe, and is unbiased

    Seam: ``probe(shape, generator, device)``, the probe distribution (the lecture's: Rademacher, E[εεᵀ] = I)."""
    device = resolve_device("auto")
    field = flows.CountingField(d, seed=3066, device=device)
    z = torch.randn(1, d, generator=make_generator(3067, device), dtype=DTYPE, device=device)
    field.vjps = 0
    exact = float(field.exact_trace(z)[0])
    exact_vjps = field.vjps
    field.vjps = 0
    field.hutchinson(z, make_generator(3068, device), probe=probe)
    per_probe = field.vjps
    estimates = field.hutchinson(z.expand(probes, d), make_generator(3069, device), probe=probe)  # all probes in one batched pass
    mean, se = float(estimates.mean()), float(estimates.std() / math.sqrt(probes))
    zscore = (mean - exact) / se
    critical = float(stats.norm.isf(flows.GOF_FALSE_FAIL_RATE / 2))
    holds = exact_vjps == d and per_probe == 1 and abs(zscore) <= critical
    return holds, (f"d = {d}: exact trace {fmt(exact, '.5f')} from {exact_vjps} VJPs; one Hutchinson probe takes {per_probe} VJP; "
                   f"{probes} Rademacher probes: mean {fmt(mean, '.5f')} ± {fmt(se, '.2g')}, z = {fmt(zscore, '.2f')} (unbiased; |z| ≤ {fmt(critical, '.2f')})")
