"""Independent numeric routes for the score family (``derivations/score/``).

* the score of a normalised density by autograd and by finite differences of the density, with the
  partition function computed by quadrature (torch.trapezoid);
* Hyvärinen's and Vincent's objectives by Gauss–Hermite quadrature (numpy nodes, torch autograd scores)
  and by Monte Carlo; the fitted score by a Newton step on the quadrature objective;
* the DSM minimiser by Gaussian conditioning (torch linear algebra) and by least-squares regression of
  the conditional score on forward samples (a χ² test at the project's false-fail rate);
* Langevin's stationary variance by iterating the variance map of the autograd-linearised ULA step;
* the reverse-time drift and the probability-flow velocity by autograd of torch Normal marginals, by the
  Fokker–Planck / continuity-equation residuals (autograd in x and t), and by simulating the reverse SDE;
  the VP-SDE variance by RK4 on its moment equation and by DDPM's discrete product;
* guidance by autograd of the tilted log-density and by quadrature of the normalised tilt;
* behaviour checks: the samplers of ``reference_models/samplers.py`` on the exact scores of
  ``reference_models/score_models.py`` (goodness-of-fit at FALSE_FAIL_RATE), the latent pipeline of
  ``reference_models/latent_diffusion.py``, and the figures the notes state.
"""

from __future__ import annotations

import functools
import math
import time

import numpy as np
import torch
from torch.distributions import Normal

from derivspec.core.lazy import lazy
from derivspec.core.numbers import fmt
from derivspec.numerics.accuracy import ERROR_SAFETY, Approximate, agreement, richardson, tolerance
from derivspec.numerics.checks import NumericResult, elementwise_grad
from derivspec.numerics.montecarlo import FALSE_FAIL_RATE, Integrand, standard_normal
from derivspec.numerics.routes import behaviour, model, monte_carlo, reference
from derivspec.reference_models import latent_diffusion as ld
from derivspec.reference_models import samplers
from derivspec.reference_models import score_models as sm
from derivspec.reference_models.device import DTYPE, make_generator

chi2 = lazy("scipy.stats", "chi2")

CPU = torch.device("cpu")
EPS = torch.finfo(DTYPE).eps


def _t(value, like: torch.Tensor | None = None) -> torch.Tensor:
    return torch.as_tensor(value, dtype=DTYPE, device=CPU if like is None else like.device)


def _uniform(like: torch.Tensor, low: float, high: float, generator: torch.Generator) -> torch.Tensor:
    return low + (high - low) * torch.rand(like.shape, generator=generator, dtype=DTYPE, device=like.device)


# --- the normaliser ----------------------------------------------------------------------------

GRID = torch.linspace(-8.0, 8.0, 2001, dtype=DTYPE)  # quadrature grid for partition functions (trapezoid: spectral for smooth, decaying integrands)


def _energy(x, a, b):
    return a * x**4 / 4 + b * x**2 / 2


def _log_partition(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """log Z(a, b) = log ∫ exp(−E(u)) du by the trapezoid rule on GRID (per point)."""
    u = GRID.to(a.device)
    return torch.log(torch.trapezoid(torch.exp(-_energy(u[None], a[..., None], b[..., None])), u, dim=-1))


@reference("score.normaliser", points=128)
def score_of_the_normalised_density(x, a, b):
    """autograd of log p(x) = −E(x) − log Z, Z by torch.trapezoid quadrature (Z enters, its x-derivative is 0)"""
    log_z = _log_partition(a, b)
    return elementwise_grad(lambda v: -_energy(v, a, b) - log_z, x)


FD_STEP = 1e-3  # the largest of the three central-difference steps h, h/2, h/4


@reference("score.normaliser", points=128)
def density_finite_difference(x, a, b):
    """central differences of the normalised density p(x) = exp(−E)/Z (quadrature), divided by p(x); steps 1e-3, 5e-4, 2.5e-4, Richardson

    The central difference has the error series c₂h² + c₄h⁴ + …: two Richardson steps (orders 2
    and 4) leave O(h⁶); the error estimate is the last step's |R₂ − R₁|/15 plus the rounding of
    the quotients (each density value carries a relative error ε(1 + |log p|), divided by 2h).
    Z cancels in the quotient, so its quadrature error does not reach the value."""
    log_z = _log_partition(a, b)

    def p(v):
        return torch.exp(-_energy(v, a, b) - log_z)

    at_x = p(x)
    relative_rounding = EPS * (1 + torch.log(at_x).abs())

    def quotient(h):
        up, down = p(x + h), p(x - h)
        return (up - down) / (2 * h * at_x), relative_rounding * (up + down) / (2 * h * at_x)

    (q1, r1), (q2, r2), (q4, r4) = (quotient(FD_STEP / k) for k in (1, 2, 4))
    value, truncation = richardson(richardson(q1, q2, 2)[0], richardson(q2, q4, 2)[0], 4)
    rounding = (r1 + 20 * r2 + 64 * r4) / 45  # the table's value is (q₁ − 20q₂ + 64q₄)/45
    return Approximate(value, truncation + rounding, "Richardson table of central differences (h², h⁴) and their rounding")


def energy_score(x, a, b):
    """The lecture's score of p ∝ exp(−E): ∇log p = −∇E (autograd), no Z."""
    return elementwise_grad(lambda v: -_energy(v, a, b), x)


ENERGY_GRADIENT = {"the energy's gradient ∇E (the score's sign lost)": dict(score=lambda x, a, b: -energy_score(x, a, b))}


@behaviour("score.normaliser", broken={
    **ENERGY_GRADIENT,
    "−∇E/Z (the normaliser kept as a factor of the score)":
        dict(score=lambda x, a, b: energy_score(x, a, b) / _log_partition(a, b).exp()),
})
@functools.lru_cache(maxsize=None)
def score_ignores_the_normaliser(a, b, *, score=energy_score):
    """the score of the quadrature-normalised density equals the autograd score of exp(−E), Z never used

    Seam: the score under test, (x, a, b) -> ∇log p (−∇E by autograd)."""
    a, b = _t(a), _t(b)
    xs = torch.linspace(-3, 3, 121, dtype=DTYPE)
    log_z = float(_log_partition(a, b))
    with_z = density_finite_difference(xs, a.expand_as(xs), b.expand_as(xs))
    without_z = score(xs, a, b)
    difference = (with_z.value - without_z).abs()
    holds = bool((difference <= tolerance(with_z.value, with_z.error)).all())
    return holds, (f"E(x) = {fmt(float(a), 'g')}x⁴/4 + {fmt(float(b), 'g')}x²/2: Z = {fmt(math.exp(log_z), '.6g')} (trapezoid on [−8, 8]); on 121 "
                   f"points of [−3, 3] the score of the normalised density (finite differences of p) and the autograd "
                   f"score of exp(−E) (no Z) differ by at most {fmt(float(difference.max()), '.1e')}, within the differences' "
                   f"own error estimate (at most {fmt(float(with_z.error.max()), '.1e')}) × {fmt(ERROR_SAFETY, 'g')}")


@behaviour("score.normaliser", broken={
    **ENERGY_GRADIENT,
    "the score of the energy's quadratic part only, −b x (the quartic term dropped)": dict(score=lambda x, a, b: -b * x),
})
@functools.lru_cache(maxsize=None)
def score_points_uphill(a, b, *, score=energy_score):
    """a small step along the score raises log p at every point where the score is not zero

    Seam: the score under test, (x, a, b) -> ∇log p (−∇E by autograd)."""
    a, b = _t(a), _t(b)
    xs = torch.linspace(-3, 3, 601, dtype=DTYPE)
    s = score(xs, a, b)
    moving = s.abs() > 1e-6
    step = 1e-3
    gain = -_energy(xs + step * s, a, b) + _energy(xs, a, b)
    up = float((gain[moving] > 0).to(DTYPE).mean())
    return up == 1.0, (f"double well E = {fmt(float(a), 'g')}x⁴/4 + {fmt(float(b), 'g')}x²/2: a step of 1e-3 along ∇log p raises log p at "
                       f"{fmt(100 * up, '.1f')} % of the {int(moving.sum())} grid points of [−3, 3] where the score is non-zero")


# --- Hyvärinen ---------------------------------------------------------------------------------

_GH_NODES, _GH_WEIGHTS = np.polynomial.hermite_e.hermegauss(60)  # ∫ f(z) e^{−z²/2} dz ≈ Σ w_i f(z_i)


def _gauss_hermite(like: torch.Tensor):
    nodes = torch.as_tensor(_GH_NODES, dtype=DTYPE, device=like.device)
    weights = torch.as_tensor(_GH_WEIGHTS, dtype=DTYPE, device=like.device) / math.sqrt(2 * math.pi)
    return nodes, weights


def _explicit_integrand(x, mu, sigma, theta1, theta2):
    """½(s_θ(x) − ∂ₓ log N(x; μ, σ²))², the data score by autograd of torch Normal.log_prob."""
    data_score = elementwise_grad(lambda v: Normal(mu, sigma).log_prob(v), x)
    return (-theta1 * x + theta2 - data_score) ** 2 / 2


@reference("score.hyvarinen")
def explicit_loss_by_quadrature(mu, sigma, theta1, theta2):
    """Gauss–Hermite quadrature (60 nodes) of ½(s_θ − ∂ₓlog p)², ∂ₓlog p by autograd of torch Normal

    Exact up to round-off: both scores are affine in x, so the integrand is a quadratic, which the rule
    integrates exactly (it is exact up to degree 119)."""
    nodes, weights = _gauss_hermite(mu)
    x = mu[..., None] + sigma[..., None] * nodes
    integrand = _explicit_integrand(x, mu[..., None], sigma[..., None], theta1[..., None], theta2[..., None])
    return (integrand * weights).sum(-1)


@monte_carlo("score.hyvarinen")
def explicit_loss_samples(mu, sigma, theta1, theta2):
    """Monte Carlo: ½(s_θ(x) − ∂ₓlog p(x))² over x ~ N(μ, σ²) (torch draws, autograd data score; 3 points)"""
    return Integrand(lambda u: _explicit_integrand(mu + sigma * standard_normal(u[:, 0]), mu, sigma, theta1, theta2), dim=1)


def _random_model(seed: int):
    """A random non-linear score model s(x) = Σ_j a_j tanh(w_j x + c_j) + d x (4 units)."""
    g = torch.Generator().manual_seed(seed)
    a, w, c = (torch.randn(4, generator=g, dtype=DTYPE) for _ in range(3))
    d = -float(torch.rand((), generator=g, dtype=DTYPE))
    return lambda x: (a * torch.tanh(w * x[..., None] + c)).sum(-1) + d * x


def implicit_integrand(s, ds):
    """Hyvärinen's implicit objective per point: ½s_θ² + ∂ₓs_θ."""
    return s**2 / 2 + ds


@behaviour("score.hyvarinen", broken={
    "the implicit objective without the ½, s_θ² + ∂ₓs_θ": dict(implicit=lambda s, ds: s**2 + ds),
    "the divergence term with a minus sign, ½s_θ² − ∂ₓs_θ": dict(implicit=lambda s, ds: s**2 / 2 - ds),
})
@functools.lru_cache(maxsize=None)
def implicit_equals_explicit_up_to_a_constant(models, *, implicit=implicit_integrand):
    """for non-linear models on two-mode data, explicit − implicit objective is the same constant ½E[(∂log p)²] (quadrature)

    Seam: the implicit objective's integrand (s_θ, ∂ₓs_θ) -> ½s_θ² + ∂ₓs_θ."""
    data = sm.bimodal_1d(CPU)
    x = torch.linspace(-10, 10, 40001, dtype=DTYPE)
    p = data.log_prob(x[:, None]).exp()
    g = data.score(x[:, None])[:, 0]
    constant = float(torch.trapezoid(p * g**2, x)) / 2
    gaps = []
    for seed in range(int(models)):
        s_fn = _random_model(seed)
        s = s_fn(x)
        ds = elementwise_grad(s_fn, x)
        explicit = float(torch.trapezoid(p * (s - g) ** 2, x)) / 2
        gaps.append(explicit - float(torch.trapezoid(p * implicit(s, ds), x)))
    spread = max(abs(gap - constant) for gap in gaps)
    return spread < 1e-8, (f"data 0.3N(−2, 0.4²) + 0.7N(1.5, 0.6²), {int(models)} random tanh score models, trapezoid on "
                           f"[−10, 10] (40001 points): explicit − implicit = {', '.join(f'{v:.10f}' for v in gaps)}; "
                           f"½E[(∂log p)²] = {fmt(constant, '.10f')}; largest deviation {fmt(spread, '.1e')}")


@reference("score.hyvarinen.gaussian-fit")
def fitted_score_by_newton(x, mu, sigma):
    """Newton step on the implicit objective E[½s_θ² + ∂ₓs_θ] (Gauss–Hermite, ∂ₓs_θ by autograd), exact for a quadratic

    Exact up to round-off: the objective is quadratic in θ (one Newton step from 0 is its minimiser, the Hessian
    from differences of the affine gradient) and its integrand a polynomial in x, integrated exactly by the rule."""
    nodes, weights = _gauss_hermite(mu)
    xs = (mu[..., None] + sigma[..., None] * nodes).detach()

    def gradient(theta):
        theta = theta.detach().requires_grad_(True)
        points = xs.clone().requires_grad_(True)
        s = -theta[..., 0:1] * points + theta[..., 1:2]
        (ds,) = torch.autograd.grad(s.sum(), points, create_graph=True)
        objective = ((s**2 / 2 + ds) * weights).sum()
        (grad,) = torch.autograd.grad(objective, theta)
        return grad

    zero = torch.zeros(mu.shape + (2,), dtype=DTYPE, device=mu.device)
    g0 = gradient(zero)
    columns = [gradient(zero + torch.eye(2, dtype=DTYPE, device=mu.device)[j]) - g0 for j in range(2)]
    hessian = torch.stack(columns, dim=-1)
    theta = -torch.linalg.solve(hessian, g0[..., None])[..., 0]
    return -theta[..., 0] * x + theta[..., 1]


# --- denoising score matching ------------------------------------------------------------------


@reference("score.dsm.conditional")
def conditional_score_by_autograd(xt, x0, alpha_t, alpha_bar_prev):
    """autograd of torch Normal(√ᾱ_t x_0, √(1 − ᾱ_t)).log_prob at x_t"""
    ab = alpha_t * alpha_bar_prev
    return elementwise_grad(lambda v: Normal(ab.sqrt() * x0, (1 - ab).sqrt()).log_prob(v), xt)


def _x0_given_xt(xt, ab, mu0, s0):
    """E[x_0 | x_t] by conditioning the joint Gaussian (x_0, x_t) with torch.linalg.solve."""
    var_t = ab * s0**2 + 1 - ab
    cov = ab.sqrt() * s0**2
    gain = torch.linalg.solve(var_t[..., None, None], cov[..., None, None])[..., 0, 0]
    return mu0 + gain * (xt - ab.sqrt() * mu0)


@reference("score.dsm.minimiser")
def regression_function_by_conditioning(xt, x0, alpha_t, alpha_bar_prev, mu0, s0):
    """E[∇log q(x_t|x_0) | x_t]: the conditional score (autograd) at E[x_0 | x_t] (Gaussian conditioning, torch.linalg)"""
    ab = alpha_t * alpha_bar_prev
    expected_x0 = _x0_given_xt(xt, ab, mu0, s0)
    return elementwise_grad(lambda v: Normal(ab.sqrt() * expected_x0, (1 - ab).sqrt()).log_prob(v), xt)


REGRESSION_SAMPLES = 200_000


def regression_check(candidate_values, target, features, false_fail_rate: float) -> tuple[bool, float, float]:
    """Least squares of ``target`` on ``features`` (n, k): the fitted regression function is within sampling error of
    the candidate iff n·mean((candidate − fit)²)/σ̂² ≤ χ²_k quantile (under the null, n‖X(β̂ − β)‖²/(nσ²) ~ χ²_k).
    Returns (passed, statistic, critical value)."""
    coef = torch.linalg.lstsq(features, target[:, None]).solution[:, 0]
    fit = features @ coef
    residual_var = float(((target - fit) ** 2).mean())
    n, k = features.shape
    stat = n * float(((candidate_values - fit) ** 2).mean()) / residual_var
    critical = float(chi2.isf(false_fail_rate, k))
    return math.isfinite(stat) and stat <= critical, stat, critical


DSM_POINTS = ((0.2, 0.5, 1.3), (0.5, -1.0, 0.6), (0.9, 2.0, 1.0))  # (ᾱ, μ_0, s_0)


@model("score.dsm.minimiser", candidate_args=("xt", "x0", "alpha_t", "alpha_bar_prev", "mu0", "s0"))
def dsm_regression_on_forward_samples(candidate, generator, device):
    """DSM by least squares: regress the conditional score on (1, x_t) over forward samples; the candidate must be that regression function (χ², 3 points)"""
    start = time.perf_counter()
    rows, passed = [], True
    for ab, m0, sd0 in DSM_POINTS:
        n = REGRESSION_SAMPLES
        x0 = m0 + sd0 * torch.randn(n, generator=generator, dtype=DTYPE, device=device)
        eps = torch.randn(n, generator=generator, dtype=DTYPE, device=device)
        xt = math.sqrt(ab) * x0 + math.sqrt(1 - ab) * eps
        target = -(xt - math.sqrt(ab) * x0) / (1 - ab)
        full = lambda v: torch.full((n,), v, dtype=DTYPE, device=device)  # noqa: E731
        values = candidate(xt=xt, x0=x0, alpha_t=full(ab), alpha_bar_prev=full(1.0), mu0=full(m0), s0=full(sd0))
        ok, stat, crit = regression_check(values, target, torch.stack([torch.ones_like(xt), xt], 1),
                                          FALSE_FAIL_RATE / len(DSM_POINTS))
        passed = passed and ok
        rows.append(f"ᾱ = {fmt(ab, 'g')}, μ₀ = {fmt(m0, 'g')}, s₀ = {fmt(sd0, 'g')}: χ² = {fmt(stat, '.3g')} (critical {fmt(crit, '.3g')})")
    return NumericResult(passed, "", detail=f"n = {REGRESSION_SAMPLES} forward samples per point (ᾱ_t given as α_t with "
                                            f"ᾱ_{{t−1}} = 1), false-fail rate {fmt(FALSE_FAIL_RATE, 'g')}: " + "; ".join(rows),
                         seconds=time.perf_counter() - start)


def _dsm_integrand(x0, eps, ab, theta1, theta2):
    """½(s_θ(x_t) − ∇log q(x_t|x_0))², the conditional score by autograd of torch Normal.log_prob."""
    xt = ab.sqrt() * x0 + (1 - ab).sqrt() * eps
    cond = elementwise_grad(lambda v: Normal(ab.sqrt() * x0, (1 - ab).sqrt()).log_prob(v), xt)
    return (-theta1 * xt + theta2 - cond) ** 2 / 2


@reference("score.dsm.vincent")
def dsm_loss_by_quadrature(alpha_t, alpha_bar_prev, mu0, s0, theta1, theta2):
    """tensor-product Gauss–Hermite quadrature over (x_0, ε) of the DSM integrand, conditional score by autograd

    Exact up to round-off: the integrand is a quadratic polynomial in (x_0, ε), and 20 nodes per axis are exact
    up to degree 39."""
    nodes, weights = (torch.as_tensor(v, dtype=DTYPE, device=mu0.device) for v in np.polynomial.hermite_e.hermegauss(20))
    weights = weights / math.sqrt(2 * math.pi)
    ab = (alpha_t * alpha_bar_prev)[..., None, None]
    x0 = mu0[..., None, None] + s0[..., None, None] * nodes[:, None]
    eps = nodes[None, :].expand(x0.shape[-2], -1)
    integrand = _dsm_integrand(x0, eps, ab, theta1[..., None, None], theta2[..., None, None])
    return (integrand * weights[:, None] * weights[None, :]).sum((-1, -2))


@monte_carlo("score.dsm.vincent")
def dsm_loss_samples(alpha_t, alpha_bar_prev, mu0, s0, theta1, theta2):
    """Monte Carlo: the DSM integrand over x_0 ~ N(μ_0, s_0²), ε ~ N(0, 1) (torch draws; 3 points)"""
    ab = alpha_t * alpha_bar_prev

    def dsm(u):  # x_0 from u[:, 0], ε from u[:, 1]
        return _dsm_integrand(mu0 + s0 * standard_normal(u[:, 0]), standard_normal(u[:, 1]), ab, theta1, theta2)
    return Integrand(dsm, dim=2)


def conditional_score(eps, alpha_bar):
    """∇log q(x_t | x_0) at x_t = √ᾱ x_0 + √(1 − ᾱ) ε: −ε/√(1 − ᾱ)."""
    return -eps / math.sqrt(1 - alpha_bar)


@behaviour("score.dsm.vincent", broken={
    "the conditional score −ε/(1 − ᾱ) (the variance in place of the standard deviation)":
        dict(conditional=lambda eps, alpha_bar: -eps / (1 - alpha_bar)),
    "the conditional score with the wrong sign, +ε/√(1 − ᾱ)": dict(conditional=lambda eps, alpha_bar: eps / math.sqrt(1 - alpha_bar)),
})
@functools.lru_cache(maxsize=None)
def denoising_equals_score_matching(alpha_bar, *, conditional=conditional_score):
    """for non-linear models on two-mode data, the model-dependent part of DSM − ESM, E[s(x_t)(∇log q_t − ∇log q(x_t|x_0))], is 0

    Seam: DSM's regression target, the conditional score (ε, ᾱ) -> ∇log q(x_t | x_0)."""
    data = sm.bimodal_1d(CPU)
    noisy = data.noised(alpha_bar)
    g = make_generator(int(1000 * alpha_bar), CPU)
    n, models = 200_000, 6
    x0 = data.sample(n, g)[:, 0]
    eps = torch.randn(n, generator=g, dtype=DTYPE)
    xt = math.sqrt(alpha_bar) * x0 + math.sqrt(1 - alpha_bar) * eps
    marginal = noisy.score(xt[:, None])[:, 0]
    target = conditional(eps, alpha_bar)
    critical = samplers.z_critical(FALSE_FAIL_RATE / models)
    zs, dsm, esm = [], [], []
    for seed in range(models):
        s = _random_model(100 + seed)(xt)
        cross = s * (marginal - target)
        zs.append(float(cross.mean() / (cross.std() / math.sqrt(n))))
        dsm.append(float(((s - target) ** 2).mean()) / 2)
        esm.append(float(((s - marginal) ** 2).mean()) / 2)
    constant = float((target**2 - marginal**2).mean()) / 2
    holds = all(abs(z) <= critical for z in zs)
    return holds, (f"data 0.3N(−2, 0.4²) + 0.7N(1.5, 0.6²), ᾱ = {fmt(alpha_bar, 'g')}, n = {n}, {models} random tanh models: "
                   f"E[s(∇log q_t − ∇log q(x_t|x_0))] has z = {', '.join(f'{z:+.2f}' for z in zs)} (critical {fmt(critical, '.2f')}); "
                   f"DSM − ESM = {', '.join(f'{d - e:.4f}' for d, e in zip(dsm, esm))} ≈ C = {fmt(constant, '.4f')} for every model")


@reference("score.dsm.noise-regression")
def squared_score_error_over_squared_noise_error(alpha_t, alpha_bar_prev, generator):
    """per random (x_0, ε, ε_θ): (s_θ − ∇log q(x_t|x_0))²/(ε − ε_θ)², conditional score by autograd of torch Normal"""
    ab = alpha_t * alpha_bar_prev
    x0, eps, eps_theta = (torch.randn(ab.shape, generator=generator, dtype=DTYPE, device=ab.device) for _ in range(3))
    xt = ab.sqrt() * x0 + (1 - ab).sqrt() * eps
    cond = elementwise_grad(lambda v: Normal(ab.sqrt() * x0, (1 - ab).sqrt()).log_prob(v), xt)
    s_theta = -eps_theta / (1 - ab).sqrt()
    return (s_theta - cond) ** 2 / (eps - eps_theta) ** 2


def score_of_eps(eps_theta, alpha_bar):
    """The ε-network's score: s_θ = −ε_θ/√(1 − ᾱ)."""
    return -eps_theta / math.sqrt(1 - alpha_bar)


@behaviour("score.dsm.noise-regression", broken={
    "λ = √(1 − ᾱ) (the standard deviation, not the variance)": dict(weight=lambda alpha_bar: math.sqrt(1 - alpha_bar)),
    "s_θ = −ε_θ/(1 − ᾱ) (dividing by the variance)": dict(score=lambda eps_theta, alpha_bar: -eps_theta / (1 - alpha_bar)),
})
@functools.lru_cache(maxsize=None)
def dsm_is_noise_regression(alpha_bar, *, weight=lambda alpha_bar: 1 - alpha_bar, score=score_of_eps):
    """with λ = 1 − ᾱ the DSM term of any ε-network equals its ‖ε − ε_θ‖², sample by sample (two-mode data)

    Seams: the weight λ(ᾱ) and the score of an ε-prediction (ε_θ, ᾱ) -> s_θ."""
    data = sm.bimodal_1d(CPU)
    g = make_generator(5, CPU)
    n = 100_000
    x0 = data.sample(n, g)[:, 0]
    eps = torch.randn(n, generator=g, dtype=DTYPE)
    xt = math.sqrt(alpha_bar) * x0 + math.sqrt(1 - alpha_bar) * eps
    eps_theta = data.eps(xt[:, None], alpha_bar)[:, 0] + 0.1 * torch.randn(n, generator=g, dtype=DTYPE)
    cond = elementwise_grad(lambda v: Normal(math.sqrt(alpha_bar) * x0, math.sqrt(1 - alpha_bar)).log_prob(v), xt)
    weighted_dsm = weight(alpha_bar) * (score(eps_theta, alpha_bar) - cond) ** 2
    simple = (eps - eps_theta) ** 2
    worst = float(((weighted_dsm - simple).abs() / simple.clamp_min(1e-12)).max())
    return worst < 1e-9, (f"ᾱ = {fmt(alpha_bar, 'g')}, {n} samples of two-mode data with a noisy ε-predictor: (1 − ᾱ)‖s_θ − "
                          f"∇log q(x_t|x_0)‖² and ‖ε − ε_θ‖² differ by at most {fmt(worst, '.1e')} (relative); means "
                          f"{fmt(float(weighted_dsm.mean()), '.6f')} and {fmt(float(simple.mean()), '.6f')}")


# --- Langevin ----------------------------------------------------------------------------------


@reference("score.langevin.ula-variance")
def stationary_variance_by_iteration(eta, sigma):
    """the ULA step's slope by autograd of x + (η/2)∂log N(x; 0, σ²) + √η z, then v ← ρ²v + η iterated to its fixed point

    The variance map contracts by ρ² < 1, so after a step that changed v by Δ the fixed point lies
    within ρ²|Δ|/(1 − ρ²) of the new v (the a-posteriori bound of a contraction)."""
    def step_mean(x):
        (score,) = torch.autograd.grad(Normal(torch.zeros_like(sigma), sigma).log_prob(x).sum(), x, create_graph=True)
        return x + eta / 2 * score
    contraction = _slope(step_mean, eta) ** 2
    v = sigma**2
    for _ in range(100_000):
        previous, v = v, contraction * v + eta
        if bool(((v - previous).abs() <= 1e-15 * v).all()):
            break
    return Approximate(v, contraction * (v - previous).abs() / (1 - contraction),
                       "contraction bound ρ²|Δ|/(1 − ρ²) after the last iteration")


def _slope(step_mean, like: torch.Tensor) -> torch.Tensor:
    """d(step_mean)/dx at x = 1 (a linear map for a Gaussian target) by autograd."""
    x = torch.ones_like(like).requires_grad_(True)
    value = step_mean(x)
    (slope,) = torch.autograd.grad(value.sum(), x)
    return slope.detach()


@behaviour("score.langevin.ula-variance", broken={
    "the drift without the ½: x + η∇log p + √η z":
        dict(sampler=lambda score, x, step, n, g: samplers.ula(lambda v: 2 * score(v), x, step, n, g)),
    "the noise √(2η) with the drift (η/2)∇log p (two conventions mixed)":
        dict(sampler=lambda score, x, step, n, g: samplers.ula(lambda v: score(v) / 2, x, 2 * step, n, g)),
})
@functools.lru_cache(maxsize=None)
def ula_bias_vanishes_as_step_shrinks(sigma, *, sampler=samplers.ula):
    """simulated ULA chains on N(0, σ²): the stationary variance exceeds σ² by O(η) and approaches σ² as η → 0

    Seam: the Langevin sampler (score, x_0, η, steps, generator), the lecture's x + (η/2)∇log p + √η z."""
    g = make_generator(3, CPU)
    n = 10_000
    rows, biases, fits = [], [], True
    critical = samplers.z_critical(FALSE_FAIL_RATE / 3)
    for eta in (0.5, 0.1, 0.02):
        start = sigma * torch.randn(n, 1, generator=g, dtype=DTYPE)  # from p itself: the bias builds up as ρ^{2k} → 0
        x = sampler(lambda v: -v / sigma**2, start, eta, int(round(12 * sigma**2 / eta)), g)[:, 0]
        var = float(x.var())
        claimed = sigma**2 / (1 - eta / (4 * sigma**2))
        z = (var - claimed) / (claimed * math.sqrt(2 / n))
        fits = fits and abs(z) <= critical
        biases.append(var / sigma**2 - 1)
        rows.append(f"η = {fmt(eta, 'g')}: variance {fmt(var, '.4f')} (claim σ²/(1 − η/(4σ²)) = {fmt(claimed, '.4f')}, z = {fmt(z, '+.2f')})")
    holds = fits and biases[-1] < 0.02 and biases[0] > biases[-1]
    return holds, (f"N(0, {fmt(sigma, 'g')}²), {n} chains from N(0, σ²): " + "; ".join(rows)
                   + f"; relative bias {', '.join(f'{100 * b:.1f} %' for b in biases)}: biased for η > 0, vanishing as η → 0")


def _two_modes(separation):
    return sm.mixture([0.2, 0.8], [-separation, separation], [0.5, 0.5], CPU)


ANNEALED_SIGMAS = torch.logspace(math.log10(8.0), math.log10(0.1), 10, dtype=DTYPE).tolist()


def smoothed_score(data: sm.GaussianMixture, x: torch.Tensor, sigma: float) -> torch.Tensor:
    """The score of the data smoothed at noise level σ, ∇log p_σ (p_σ = p * N(0, σ²)): exact for mixture data."""
    return data.smoothed(sigma).score(x)


REVERSED_LEVELS = "the noise levels in increasing order (annealed from small to large noise)"


@behaviour("score.langevin.ula-variance", broken={
    "no annealing: all 10 levels at the smallest noise σ = 0.1": dict(sigmas=(ANNEALED_SIGMAS[-1],) * len(ANNEALED_SIGMAS)),
    REVERSED_LEVELS: dict(sigmas=tuple(reversed(ANNEALED_SIGMAS))),
})
@functools.lru_cache(maxsize=None)
def annealed_langevin_mixes_better(separation, *, sigmas=tuple(ANNEALED_SIGMAS)):
    """from one mode, annealed Langevin recovers both mode weights (χ²); plain ULA with as many steps stays

    Seam: the annealing schedule σ_1 > … > σ_L (8 to 0.1, 10 levels; step 0.2·0.1²·σ_i²/σ_L²)."""
    data = _two_modes(separation)
    g = make_generator(4, CPU)
    n = 1000
    start = torch.full((n, 1), float(separation), dtype=DTYPE)
    annealed = samplers.annealed_langevin(lambda x, s: smoothed_score(data, x, s), list(sigmas), 100, 0.2 * 0.1**2, start, g)
    plain = samplers.ula(data.score, start, 0.01, 100 * len(ANNEALED_SIGMAS), g)
    masses = torch.tensor([0.2, 0.8], dtype=DTYPE) * float(torch.erf(torch.tensor(1.5 / 0.5 / math.sqrt(2))))
    ok_a, frac_a, p_a = samplers.mode_mass_test(annealed, data.means, masses, 1.5)
    ok_p, frac_p, p_p = samplers.mode_mass_test(plain, data.means, masses, 1.5)
    holds = ok_a and not ok_p
    return holds, (f"data 0.2N(−{fmt(separation, 'g')}, 0.5²) + 0.8N({fmt(separation, 'g')}, 0.5²), {n} chains started at x = {fmt(separation, 'g')}, "
                   f"{100 * len(ANNEALED_SIGMAS)} steps each: annealed (σ from {fmt(sigmas[0], 'g')} to {fmt(sigmas[-1], 'g')}, {len(sigmas)} "
                   f"levels, step 0.2σ_i²·0.01) puts "
                   f"{fmt(100 * frac_a[0], '.1f')} % near −{fmt(separation, 'g')} (χ² p = {fmt(p_a, '.2g')}); plain ULA (step 0.01) "
                   f"{fmt(100 * frac_p[0], '.1f')} % (χ² p = {fmt(p_p, '.2g')}); the data's mass within ±1.5 of that mode is "
                   f"{fmt(100 * float(masses[0]), '.1f')} %")


@behaviour("score.langevin.ula-variance", broken={
    REVERSED_LEVELS: dict(order=lambda sigmas: sigmas[::-1]),
    "the score with the wrong sign, −∇log p_σ": dict(score_at=lambda data, x, sigma: -smoothed_score(data, x, sigma)),
})
@functools.lru_cache(maxsize=None)
def annealed_langevin_samples_the_data(levels, *, score_at=smoothed_score, order=lambda sigmas: sigmas):
    """annealed Langevin on the exact noisy scores of two-mode data from N(0, σ_1²) passes a KS test

    Seams: the noisy score (data, x, σ) -> ∇log p_σ(x) and the order of the levels (from 6 down to 0.05)."""
    data = sm.bimodal_1d(CPU)
    g = make_generator(6, CPU)
    n = 2000
    sigmas = torch.logspace(math.log10(6.0), math.log10(0.05), int(levels), dtype=DTYPE).tolist()
    start = sigmas[0] * torch.randn(n, 1, generator=g, dtype=DTYPE)
    x = samplers.annealed_langevin(lambda v, s: score_at(data, v, s), order(sigmas), 100, 0.2 * sigmas[-1] ** 2, start, g)
    ok, stat, p = samplers.ks_test(x[:, 0], data.cdf)
    return ok, (f"data 0.3N(−2, 0.4²) + 0.7N(1.5, 0.6²); {int(levels)} noise levels σ from 6 to 0.05, 100 steps each, "
                f"{n} chains: KS D = {fmt(stat, '.4f')}, p = {fmt(p, '.3g')} (false-fail rate {fmt(FALSE_FAIL_RATE, 'g')}; D resolution "
                f"{fmt(samplers.ks_resolution(n), '.3f')}). DDPM's sampler is a discretised reverse SDE rather than literally "
                f"annealed Langevin; both follow the noisy scores from large to small noise")


# --- the SDE view ------------------------------------------------------------------------------


def _vp_marginal(t, beta, mu0, s0) -> Normal:
    decay = torch.exp(-beta * t)
    return Normal(mu0 * torch.exp(-beta * t / 2), (s0**2 * decay + 1 - decay).sqrt())


@reference("score.sde.reverse-drift")
def anderson_drift_by_autograd(x, t, beta, mu0, s0):
    """f − g²·(autograd of torch Normal log p_t), f = −βx/2, g² = β"""
    return -beta * x / 2 - beta * elementwise_grad(lambda v: _vp_marginal(t, beta, mu0, s0).log_prob(v), x)


def _draw_sde_points(n, generator, device):
    def u(low, high):
        return low + (high - low) * torch.rand(n, generator=generator, dtype=DTYPE, device=device)
    return {"x": u(-3, 3), "t": u(0.05, 1.0), "beta": u(0.5, 5.0), "mu0": u(-3, 3), "s0": u(0.2, 2.0)}


def _density_derivatives(points, velocity):
    """(∂_t p, ∂ₓ(v p), ∂ₓ²p) at the points by autograd; p the VP marginal, v = velocity(x, t) (a candidate)."""
    x = points["x"].clone().requires_grad_(True)
    t = points["t"].clone().requires_grad_(True)
    p = _vp_marginal(t, points["beta"], points["mu0"], points["s0"]).log_prob(x).exp()
    dp_dx, dp_dt = torch.autograd.grad(p.sum(), (x, t), create_graph=True)
    (d2p,) = torch.autograd.grad(dp_dx.sum(), x, retain_graph=True)
    v = velocity(x=x, t=t, beta=points["beta"], mu0=points["mu0"], s0=points["s0"])
    (dflux,) = torch.autograd.grad((v * p).sum(), x)
    return dp_dt.detach(), dflux.detach(), d2p.detach(), p.detach()


RESIDUAL_RTOL = 1e-8  # the terms are exact autograd derivatives: the residual is round-off (~1e-14 of them); a wrong coefficient leaves O(1)


@model("score.sde.reverse-drift", candidate_args=("x", "t", "beta", "mu0", "s0"))
def backward_fokker_planck_residual(candidate, generator, device):
    """time-reversed Fokker–Planck residual ∂_tp + ∂ₓ(a p) + ½g²∂ₓ²p = 0 for the drift coefficient a (autograd, 512 points)"""
    points = _draw_sde_points(512, generator, device)
    dp_dt, dflux, d2p, p = _density_derivatives(points, candidate)
    residual = dp_dt + dflux + points["beta"] / 2 * d2p
    scale = dp_dt.abs() + dflux.abs() + (points["beta"] / 2 * d2p).abs()
    worst = float((residual.abs() / scale.clamp_min(1e-300)).max())
    return NumericResult(math.isfinite(worst) and worst <= RESIDUAL_RTOL, "", points=512, max_abs_diff=float(residual.abs().max()),
                         detail=f"largest |residual| relative to the terms: {fmt(worst, '.1e')} (tolerance {fmt(RESIDUAL_RTOL, 'g')})")


SDE_CHECK_POINTS = ((2.0, 0.5, 0.8), (4.0, -1.0, 1.5), (1.0, 1.5, 0.4))  # (β, μ_0, s_0), T = 1


@model("score.sde.reverse-drift", candidate_args=("x", "t", "beta", "mu0", "s0"))
def reverse_sde_reaches_the_data(candidate, generator, device):
    """stochastic Heun on dx = a dt + g dw̄ from p_1 back to t = 0: mean and variance z-tests against N(μ_0, s_0²) (3 points)

    Heun's scheme has weak order 2 for additive noise: with 200 steps its bias in the mean and the
    variance is below 0.02 standard errors of the n = 10⁴ paths at these points (Euler–Maruyama with
    400 steps: 0.5, which would double the false-fail rate), so the six z-tests keep the
    false-fail rate FALSE_FAIL_RATE in all."""
    start = time.perf_counter()
    n, steps = 10_000, 200
    critical = samplers.z_critical(FALSE_FAIL_RATE / (2 * len(SDE_CHECK_POINTS)))
    rows, passed = [], True
    for beta, m0, sd0 in SDE_CHECK_POINTS:
        full = lambda v: torch.full((n,), v, dtype=DTYPE, device=device)  # noqa: E731

        def drift(x, time_):
            return candidate(x=x, t=full(time_), beta=full(beta), mu0=full(m0), s0=full(sd0))
        x = _vp_marginal(full(1.0), full(beta), full(m0), full(sd0))
        x = x.loc + x.scale * torch.randn(n, generator=generator, dtype=DTYPE, device=device)
        h = 1.0 / steps
        for k in range(steps):
            tk = 1.0 - k * h
            noise = math.sqrt(beta * h) * torch.randn(n, generator=generator, dtype=DTYPE, device=device)
            slope = drift(x, tk)
            predicted = x - slope * h + noise
            x = x - (slope + drift(predicted, tk - h)) * h / 2 + noise
        mean, var = float(x.mean()), float(x.var())
        z_mean = (mean - m0) / math.sqrt(sd0**2 / n)
        z_var = (var - sd0**2) / (sd0**2 * math.sqrt(2 / n))
        ok = all(math.isfinite(z) and abs(z) <= critical for z in (z_mean, z_var))
        passed = passed and ok
        rows.append(f"β = {fmt(beta, 'g')}, N({fmt(m0, 'g')}, {fmt(sd0, 'g')}²): mean {fmt(mean, '.4f')} (z {fmt(z_mean, '+.2f')}), variance {fmt(var, '.4f')} (z {fmt(z_var, '+.2f')})")
    return NumericResult(passed, "", detail=f"{n} paths, {steps} Heun steps, critical |z| {fmt(critical, '.2f')} (false-fail rate "
                                            f"{fmt(FALSE_FAIL_RATE, 'g')} over the six tests): " + "; ".join(rows),
                         seconds=time.perf_counter() - start)


@reference("score.sde.probability-flow")
def transport_map_velocity(x, t, beta, mu0, s0):
    """velocity of the monotone map between the Gaussian marginals, x_t = m_t + √(v_t/v_0)(x_0 − m_0): ṁ_t + ½(d log v_t/dt)(x − m_t), autograd in t"""
    tt = t.clone().requires_grad_(True)
    marginal = _vp_marginal(tt, beta, mu0, s0)
    (dm,) = torch.autograd.grad(marginal.loc.sum(), tt, retain_graph=True)
    (dlogv,) = torch.autograd.grad(torch.log(marginal.scale**2).sum(), tt)
    return dm + dlogv / 2 * (x - marginal.loc.detach())


@model("score.sde.probability-flow", candidate_args=("x", "t", "beta", "mu0", "s0"))
def continuity_equation_residual(candidate, generator, device):
    """continuity-equation residual ∂_tp + ∂ₓ(u p) = 0 for the candidate velocity u (autograd, 512 points)"""
    points = _draw_sde_points(512, generator, device)
    dp_dt, dflux, _, _ = _density_derivatives(points, candidate)
    residual = dp_dt + dflux
    worst = float((residual.abs() / (dp_dt.abs() + dflux.abs()).clamp_min(1e-300)).max())
    return NumericResult(math.isfinite(worst) and worst <= RESIDUAL_RTOL, "", points=512, max_abs_diff=float(residual.abs().max()),
                         detail=f"largest |residual| relative to the terms: {fmt(worst, '.1e')} (tolerance {fmt(RESIDUAL_RTOL, 'g')})")


SAMPLER_BETA = 10.0  # constant-β VP-SDE on [0, 1]: ᾱ(1) = e^{−10} = 4.5e-5


def reverse_sde_drift(x, beta, score):
    """Anderson's reverse-time drift coefficient for the VP-SDE (f = −βx/2, g² = β): f − g²∇log p_t."""
    return -beta * x / 2 - beta * score


def probability_flow_velocity(x, beta, score):
    """The probability-flow ODE's velocity for the VP-SDE: f − ½g²∇log p_t."""
    return -beta * x / 2 - beta / 2 * score


@behaviour("score.sde.reverse-drift", "score.sde.probability-flow", broken={
    "the reverse drift with the score's sign flipped, f + g²∇log p_t": dict(drift=lambda x, beta, score: -beta * x / 2 + beta * score),
    "the reverse SDE with the ODE's ½g²∇log p_t": dict(drift=probability_flow_velocity),
    "the probability-flow velocity with the full g²∇log p_t (the SDE's drift)": dict(velocity=reverse_sde_drift),
})
@functools.lru_cache(maxsize=None)
def sde_and_ode_samplers_reach_the_data(steps, *, drift=reverse_sde_drift, velocity=probability_flow_velocity):
    """the reverse SDE (Euler–Maruyama) and the probability-flow ODE (RK4) with the exact noisy score take p_1 to the data (KS)

    Seams: the reverse SDE's drift and the ODE's velocity, each (x, β, ∇log p_t(x)) -> value."""
    data = sm.bimodal_1d(CPU)
    g = make_generator(8, CPU)
    n = 4000
    beta = SAMPLER_BETA

    def score(x, t):
        return data.noised(math.exp(-beta * t)).score(x)
    x1 = data.noised(math.exp(-beta)).sample(n, g)
    sde = samplers.reverse_sde(lambda x, t: drift(x, beta, score(x, t)), lambda t: beta, 1.0, x1, int(steps), g)
    ode = samplers.probability_flow(lambda x, t: velocity(x, beta, score(x, t)), x1, 1.0, 0.0, max(int(steps) // 4, 10))
    ok_s, d_s, p_s = samplers.ks_test(sde[:, 0], data.cdf)
    ok_o, d_o, p_o = samplers.ks_test(ode[:, 0], data.cdf)
    return ok_s and ok_o, (f"data 0.3N(−2, 0.4²) + 0.7N(1.5, 0.6²), VP-SDE β = {fmt(beta, 'g')} on [0, 1], {n} samples from p_1: "
                           f"reverse SDE ({int(steps)} Euler–Maruyama steps) KS D = {fmt(d_s, '.4f')}, p = {fmt(p_s, '.3g')}; probability-flow "
                           f"ODE ({max(int(steps) // 4, 10)} RK4 steps) D = {fmt(d_o, '.4f')}, p = {fmt(p_o, '.3g')} (false-fail rate "
                           f"{fmt(FALSE_FAIL_RATE, 'g')}, D resolution {fmt(samplers.ks_resolution(n), '.3f')})")


def _flipped_change_of_variables(velocity, divergence, x0, t_end, steps, prior_log_prob):
    """A wrong change of variables: log p_0(x_0) = log p_T(x_T) − ∫∂ₓu dt."""
    return samplers.probability_flow_log_likelihood(velocity, lambda x, t: -divergence(x, t), x0, t_end, steps, prior_log_prob)


@behaviour("score.sde.probability-flow", broken={
    "the velocity with the full g²∇log p_t (the reverse SDE's drift)": dict(velocity_rule=reverse_sde_drift),
    "the change of variables with the divergence's sign flipped": dict(log_likelihood=_flipped_change_of_variables),
})
@functools.lru_cache(maxsize=None)
def probability_flow_likelihood_is_exact(steps, *, velocity_rule=probability_flow_velocity,
                                         log_likelihood=samplers.probability_flow_log_likelihood):
    """log p_0(x) from the probability-flow ODE (change of variables along the ODE) equals the exact Gaussian log-density

    Seams: the ODE's velocity (x, β, ∇log p_t) and the change of variables along it (samplers.probability_flow_log_likelihood)."""
    beta, m0, sd0 = SAMPLER_BETA, 0.5, 0.8
    xs = torch.tensor([-2.0, -0.5, 0.3, 1.2, 2.5], dtype=DTYPE)

    def moments(t):
        decay = math.exp(-beta * t)
        return m0 * math.exp(-beta * t / 2), sd0**2 * decay + 1 - decay

    def velocity(x, t):
        m, v = moments(t)
        return velocity_rule(x, beta, -(x - m) / v)

    def divergence(x, t):
        return elementwise_grad(lambda y: velocity(y, t), x)
    m1, v1 = moments(1.0)
    prior = Normal(torch.tensor(m1, dtype=DTYPE), torch.tensor(math.sqrt(v1), dtype=DTYPE))
    ode = log_likelihood(velocity, divergence, xs, 1.0, int(steps), prior.log_prob)
    exact = Normal(torch.tensor(m0, dtype=DTYPE), torch.tensor(sd0, dtype=DTYPE)).log_prob(xs)
    worst = float((ode - exact).abs().max())
    return worst < 1e-6, (f"data N({fmt(m0, 'g')}, {fmt(sd0, 'g')}²), VP-SDE β = {fmt(beta, 'g')}: the probability-flow ODE ({int(steps)} RK4 steps, "
                          f"divergence by autograd) gives log p_0 at x = {', '.join(f'{float(v):g}' for v in xs)} within "
                          f"{fmt(worst, '.1e')} of the exact log-density: exact up to the solver, given the exact score (the ELBO of "
                          f"the discrete model is a bound)")


RK4_STEPS = 200  # and 400: Richardson at order 4


@reference("score.sde.vp-marginal")
def variance_ode_by_rk4(t, beta_min, beta_max, s0):
    """RK4 (200 and 400 steps, Richardson at order 4) on the Itô moment equation dV/dt = β(t)(1 − V), V(0) = s_0²"""
    def rk4(steps):
        h = t / steps
        v = s0**2

        def rate(time_):
            return beta_min + time_ * (beta_max - beta_min)
        for k in range(steps):
            tk = k * h
            k1 = rate(tk) * (1 - v)
            k2 = rate(tk + h / 2) * (1 - (v + h / 2 * k1))
            k3 = rate(tk + h / 2) * (1 - (v + h / 2 * k2))
            k4 = rate(tk + h) * (1 - (v + h * k3))
            v = v + h / 6 * (k1 + 2 * k2 + 2 * k3 + k4)
        return v
    value, error = richardson(rk4(RK4_STEPS), rk4(2 * RK4_STEPS), 4)
    return Approximate(value, error, "Richardson: |V_2N − V_N|/15 (RK4, order 4)")


DDPM_LIMIT_STEPS = (1000, 2000, 4000)


@reference("score.sde.vp-marginal")
def ddpm_product_limit(t, beta_min, beta_max, s0):
    """DDPM's ᾱ = Π(1 − β_i) with β_i = β(t_i)Δt on [0, t] (midpoints), N = 1000, 2000, 4000 steps extrapolated to N → ∞: V = ᾱ s_0² + 1 − ᾱ

    log ᾱ_N = Σ log(1 − β_iΔt) is a power series in Δt = t/N (the midpoint sums of β, β², … have even-power
    error series), so V_N = V + c₁Δt + c₂Δt² + …: two first-order Richardson steps, then one at order 2, whose
    |R₂ − R₁|/3 is the error estimate."""
    def product(steps):
        k = torch.arange(steps, dtype=DTYPE, device=t.device)
        dt = t[..., None] / steps
        rates = beta_min[..., None] + (k + 0.5) * dt * (beta_max - beta_min)[..., None]
        alpha_bar = torch.exp(torch.log1p(-rates * dt).sum(-1))
        return alpha_bar * s0**2 + 1 - alpha_bar
    coarse, middle, fine = (product(steps) for steps in DDPM_LIMIT_STEPS)
    value, error = richardson(richardson(coarse, middle, 1)[0], richardson(middle, fine, 1)[0], 2)
    return Approximate(value, error, "Richardson table in Δt (orders 1, 2): |R₂ − R₁|/3")


def betas_of_the_sde(beta_min, beta_max, n):
    """The lecture's discretisation β_i = β(t_i)Δt, t_i the midpoints of N = n steps on [0, 1]."""
    i = torch.arange(1, n + 1, dtype=DTYPE)
    return (beta_min + (i - 0.5) / n * (beta_max - beta_min)) / n


@behaviour("score.sde.vp-marginal", broken={
    "β_i = β(t_i) without the step Δt = 1/N":
        dict(discretise=lambda beta_min, beta_max, n: betas_of_the_sde(beta_min, beta_max, n) * n),
    "β_i = β(t_i)Δt² (the step squared, as for a variance)":
        dict(discretise=lambda beta_min, beta_max, n: betas_of_the_sde(beta_min, beta_max, n) / n),
})
@functools.lru_cache(maxsize=None)
def ddpm_discretises_the_vp_sde(beta_min, beta_max, *, discretise=betas_of_the_sde):
    """DDPM with β_i = β(t_i)/N: ᾱ_N → exp(−∫₀¹β) with error O(1/N); the standard schedule is the N = 1000 case

    Seam: the discretisation (β_min, β_max, N) -> β_1..β_N."""
    integral = beta_min + (beta_max - beta_min) / 2
    exact = math.exp(-integral)
    rows, errors = [], []
    for n in (10, 100, 1000, 10000):
        betas = discretise(beta_min, beta_max, n)
        ab = float(torch.exp(torch.log1p(-betas).sum()))
        errors.append(abs(ab / exact - 1))
        rows.append(f"N = {n}: ᾱ_N = {fmt(ab, '.4g')} (relative error {fmt(errors[-1], '.2g')})")
    from derivspec.reference_models.ddpm import linear_schedule
    standard = float(linear_schedule(1000, beta_min / 1000, beta_max / 1000)[2][-1])
    ratios = [errors[k] / errors[k + 1] for k in range(3)]
    holds = all(8 < r < 12 for r in ratios[1:]) and errors[-1] < 1e-2
    return holds, (f"β(t) = {fmt(beta_min, 'g')} + t({fmt(beta_max, 'g')} − {fmt(beta_min, 'g')}): exp(−∫β) = {fmt(exact, '.4g')}; " + "; ".join(rows)
                   + f"; error ratios per decade {', '.join(f'{r:.1f}' for r in ratios)} (first order); the linear schedule "
                   f"T = 1000, β from {fmt(beta_min / 1000, 'g')} to {fmt(beta_max / 1000, 'g')} has ᾱ_T = {fmt(standard, '.3g')}")


# --- guidance ----------------------------------------------------------------------------------


@reference("score.guidance.tempered")
def guided_score_by_autograd(x, gamma, mu_c, sigma_c, mu_u, sigma_u):
    """autograd of γ log N(x; μ_c, σ_c²) + (1 − γ) log N(x; μ_u, σ_u²) (torch Normal)"""
    return elementwise_grad(lambda v: gamma * Normal(mu_c, sigma_c).log_prob(v)
                            + (1 - gamma) * Normal(mu_u, sigma_u).log_prob(v), x)


@reference("score.guidance.cfg")
def guided_eps_by_autograd(eps_c, eps_u, gamma, generator):
    """random noise level and unit-variance Gaussians whose ε-predictions at x = 0 are ε_c, ε_u; ε̃ = −√(1−ᾱ)·autograd of the tilt"""
    ab = _uniform(gamma, 0.05, 0.95, generator)
    scale = (1 - ab).sqrt()
    mean_c, mean_u = -eps_c / scale, -eps_u / scale   # ∂ log N(x; m, 1) = m at x = 0, so ε = −√(1−ᾱ) m
    one = torch.ones_like(gamma)
    score = elementwise_grad(lambda v: gamma * Normal(mean_c, one).log_prob(v) + (1 - gamma) * Normal(mean_u, one).log_prob(v),
                             torch.zeros_like(gamma))
    return -scale * score


TILT_GRIDS = (torch.linspace(-20.0, 20.0, 4001, dtype=DTYPE), torch.linspace(-30.0, 30.0, 12001, dtype=DTYPE))
"""Trapezoid grids (spacing 1e-2 and 5e-3; on the sampling ranges the tilt's std is ≥ 0.15 and its mean within ±6):
their difference bounds both the rule's and the truncation's error of the coarser one."""


def _tilted_moments(gamma, mu_c, sigma_c, mu_u, sigma_u) -> tuple[Approximate, Approximate]:
    """Mean and variance of exp(γ log N_c + (1 − γ) log N_u)/Z by the trapezoid rule on both TILT_GRIDS: the finer
    and wider grid's values, their difference as the error estimate (agreement)."""
    moments = []
    for grid in TILT_GRIDS:
        x = grid.to(gamma.device)
        log_tilt = (gamma[..., None] * Normal(mu_c[..., None], sigma_c[..., None]).log_prob(x)
                    + (1 - gamma[..., None]) * Normal(mu_u[..., None], sigma_u[..., None]).log_prob(x))
        w = torch.exp(log_tilt - log_tilt.max(-1, keepdim=True).values)
        z = torch.trapezoid(w, x, dim=-1)
        mean = torch.trapezoid(w * x, x, dim=-1) / z
        moments.append((mean, torch.trapezoid(w * (x - mean[..., None]) ** 2, x, dim=-1) / z))
    (mean_coarse, var_coarse), (mean_fine, var_fine) = moments
    how = "agreement of the trapezoid rule on two grids"
    return Approximate(*agreement(mean_coarse, mean_fine), how), Approximate(*agreement(var_coarse, var_fine), how)


@reference("score.guidance.gaussian-variance", points=128)
def tilted_variance_by_quadrature(gamma, sigma_c, sigma_u, generator):
    """variance of the normalised tilt N_c^γ N_u^{1−γ} by the trapezoid rule on two grids (random means)"""
    mu_c, mu_u = _uniform(gamma, -2, 2, generator), _uniform(gamma, -2, 2, generator)
    return _tilted_moments(gamma, mu_c, sigma_c, mu_u, sigma_u)[1]


@reference("score.guidance.gaussian-mean", points=128)
def tilted_mean_by_quadrature(gamma, mu_c, sigma_c, mu_u, sigma_u):
    """mean of the normalised tilt N_c^γ N_u^{1−γ} by the trapezoid rule on two grids"""
    return _tilted_moments(gamma, mu_c, sigma_c, mu_u, sigma_u)[0]


GUIDED_PAIR = (1.0, 0.5, 0.0, 1.2)  # p(x|c) = N(1, 0.5²), p(x) = N(0, 1.2²)


def cfg_combination(gamma, eps_c, eps_u):
    """Classifier-free guidance: ε̃ = γε_c + (1 − γ)ε_u."""
    return gamma * eps_c + (1 - gamma) * eps_u


WEIGHTS_SWAPPED = {"the guidance weights swapped, (1 − γ)ε_c + γε_u":
                   dict(combine=lambda gamma, eps_c, eps_u: (1 - gamma) * eps_c + gamma * eps_u)}


def _guided_samples(gamma: float, n: int, generator, steps: int = 100, combine=cfg_combination):
    """DDIM (η = 0) with ε̃ = combine(γ, ε_c, ε_u) of the exact noisy Gaussians (T = 1000 linear schedule)."""
    from derivspec.reference_models.ddpm import linear_schedule
    mc, sc, mu, su = GUIDED_PAIR
    cond, uncond = sm.mixture([1.0], [mc], [sc], CPU), sm.mixture([1.0], [mu], [su], CPU)
    ab = linear_schedule(1000, 1e-4, 0.02)[2]
    abl = ab.tolist()

    def eps(x, t):
        return combine(gamma, cond.eps(x, abl[t - 1]), uncond.eps(x, abl[t - 1]))
    x_T = torch.randn(n, 1, generator=generator, dtype=DTYPE)
    return samplers.ddim_sample(eps, ab, samplers.ddim_timesteps(1000, steps), x_T, 0.0)[:, 0]


def _tilt(gamma: float) -> tuple[float, float]:
    mc, sc, mu, su = GUIDED_PAIR
    precision = gamma / sc**2 + (1 - gamma) / su**2
    return (gamma * mc / sc**2 + (1 - gamma) * mu / su**2) / precision, 1 / precision


@behaviour("score.guidance.tempered", broken={
    **WEIGHTS_SWAPPED,
    "no guidance: ε_c alone, γ unused": dict(combine=lambda gamma, eps_c, eps_u: eps_c),
})
@functools.lru_cache(maxsize=None)
def guidance_moves_past_the_conditional_mean(gamma, *, combine=cfg_combination):
    """with γ > 1 the tilted mean and the CFG samples' mean lie beyond μ_c, away from μ_u ("amplify the difference")

    Seam: the guided ε, (γ, ε_c, ε_u) -> γε_c + (1 − γ)ε_u."""
    g = make_generator(9, CPU)
    x = _guided_samples(gamma, 4000, g, combine=combine)
    mean, _ = _tilt(gamma)
    mc, sc, mu, su = GUIDED_PAIR
    holds = mean > mc and float(x.mean()) > mc + 5 * float(x.std()) / math.sqrt(x.numel())
    return holds, (f"p(x|c) = N({fmt(mc, 'g')}, {fmt(sc, 'g')}²), p(x) = N({fmt(mu, 'g')}, {fmt(su, 'g')}²), γ = {fmt(gamma, 'g')}: the tilted density's mean is "
                   f"{fmt(mean, '.4f')}; CFG with DDIM (100 steps, exact noisy scores) gives samples with mean {fmt(float(x.mean()), '.4f')} "
                   f"± {fmt(float(x.std()) / math.sqrt(x.numel()), '.1g')}: both past μ_c = {fmt(mc, 'g')}, away from μ_u = {fmt(mu, 'g')}")


@behaviour("score.guidance.gaussian-variance", broken={
    **WEIGHTS_SWAPPED,
    "γ read as a temperature: ε̃ = ε_c/γ + (1 − 1/γ)ε_u": dict(combine=lambda gamma, eps_c, eps_u: cfg_combination(1 / gamma, eps_c, eps_u)),
})
@functools.lru_cache(maxsize=None)
def guidance_trades_diversity_for_adherence(gamma_max, *, combine=cfg_combination):
    """as γ grows the guided samples' variance falls (diversity) and E[log p(x|c) − log p(x)] rises (adherence)

    Seam: the guided ε, (γ, ε_c, ε_u) -> γε_c + (1 − γ)ε_u."""
    g = make_generator(10, CPU)
    mc, sc, mu, su = GUIDED_PAIR
    gammas = [1.0, 2.0, 4.0] + ([float(gamma_max)] if gamma_max > 4 else [])
    rows, variances, adherences = [], [], []
    for gamma in gammas:
        x = _guided_samples(gamma, 4000, g, combine=combine)
        adherence = float((Normal(mc, sc).log_prob(x) - Normal(mu, su).log_prob(x)).mean())
        variances.append(float(x.var()))
        adherences.append(adherence)
        rows.append(f"γ = {fmt(gamma, 'g')}: variance {fmt(variances[-1], '.4f')} (tilt {fmt(_tilt(gamma)[1], '.4f')}), adherence {fmt(adherence, '.3f')}")
    holds = all(a > b for a, b in zip(variances, variances[1:])) and all(a < b for a, b in zip(adherences, adherences[1:]))
    return holds, (f"p(x|c) = N({fmt(mc, 'g')}, {fmt(sc, 'g')}²), p(x) = N({fmt(mu, 'g')}, {fmt(su, 'g')}²), CFG with DDIM (100 steps, exact noisy scores), "
                   "4000 samples each: " + "; ".join(rows) + ". The sampler's variance is not the tilt's: guiding every "
                   "noise level is not the same as tilting the data distribution")


@reference("score.guidance.classifier")
def bayes_classifier_guidance_by_autograd(x, mu1, mu2, sigma, pi1):
    """autograd of torch MixtureSameFamily log p(x) plus autograd of the Bayes classifier's log-softmax for class 1"""
    def joint(v):
        comps = torch.stack([Normal(mu1, sigma).log_prob(v) + pi1.log(), Normal(mu2, sigma).log_prob(v) + (1 - pi1).log()], -1)
        return comps
    mixture = torch.distributions.MixtureSameFamily(
        torch.distributions.Categorical(probs=torch.stack([pi1, 1 - pi1], -1)),
        Normal(torch.stack([mu1, mu2], -1), torch.stack([sigma, sigma], -1)))
    return (elementwise_grad(mixture.log_prob, x)
            + elementwise_grad(lambda v: torch.log_softmax(joint(v), -1)[..., 0], x))


# --- latent diffusion --------------------------------------------------------------------------


@monte_carlo("score.latent.encoded-noise")
def encoded_pixel_noise(w1, w2, alpha_t, alpha_bar_prev):
    """Monte Carlo: (w·x_t − √ᾱ w·x_0)² with 2-pixel forward jumps simulated in torch (3 points)"""
    ab = alpha_t * alpha_bar_prev

    def encoded_noise(u):  # the pixels x_0 from u[:, 0:2], the noise ε from u[:, 2:4]
        x0, eps = standard_normal(u[:, :2]), standard_normal(u[:, 2:])
        xt = ab.sqrt() * x0 + (1 - ab).sqrt() * eps
        w = torch.stack([w1, w2])
        return (xt @ w - ab.sqrt() * (x0 @ w)) ** 2
    return Integrand(encoded_noise, dim=4)


@behaviour("score.latent.encoded-noise", broken={
    "the latent sampler on the scores of the 2-D data z, not of the codes E(x) (the encoder ignored)":
        dict(code_law=lambda ae, data: data.latent),
    "a decoder without the mean, D(z) = Vz": dict(decode=lambda ae, z: z @ ae.V.T),
})
@functools.lru_cache(maxsize=None)
def latent_pipeline_reproduces_the_data(n, *, code_law=ld.PCAAutoencoder.code_law, decode=ld.PCAAutoencoder.decode):
    """encode (PCA to 2-D) → DDIM in the latent with the exact latent scores → decode: the samples match the data on the decoder's subspace

    Seams: the law whose noisy scores the latent sampler follows (the codes') and the decoder."""
    result = ld.run_pipeline(int(n), seed=int(n), code_law=code_law, decode=decode)
    return result.holds, result.evidence


@behaviour("score.latent.encoded-noise", broken={
    "an encoder that is not an isometry, E(x) = 2Vᵀ(x − m)": dict(encode=lambda ae, x: 2 * ae.encode(x)),
    "codes scaled by Stable Diffusion's latent factor 0.18215 (E(x) = 0.18215·Vᵀ(x − m))":
        dict(encode=lambda ae, x: 0.18215 * ae.encode(x)),
})
@functools.lru_cache(maxsize=None)
def latent_denoising_loss_is_the_standard_objective(n, *, encode=ld.PCAAutoencoder.encode):
    """the encoded noisy state W x_t has the latent forward law (orthonormal W), and the exact latent ε* minimises the latent ε-loss

    Seam: the encoder (autoencoder, x) -> z (the fitted PCA's, orthonormal)."""
    result = ld.latent_objective_check(int(n), seed=1, encode=encode)
    return result.holds, result.evidence


@behaviour("score.latent.encoded-noise", broken={
    "the gap read as k·off_std² (the latent dimension, not d − k)": dict(predicted_gap=lambda d, k, off_std: k * off_std**2),
    "the gap read as (d − k)·off_std (the standard deviation, not the variance)":
        dict(predicted_gap=lambda d, k, off_std: (d - k) * off_std),
})
@functools.lru_cache(maxsize=None)
def latent_model_has_a_decoder_gap(off_std, *, predicted_gap=ld.off_plane_variance):
    """decoded samples miss the variance off the latent subspace: (d − k)·off_std² per sample, as predicted

    Seam: the predicted gap (d, k, off_std) -> (d − k)·off_std²."""
    result = ld.decoder_gap(float(off_std), seed=2, predicted_gap=predicted_gap)
    return result.holds, result.evidence


@reference("score.latent.cost-ratio")
def entries_of_the_shapes(H, W, C, h, w, c):
    """torch.Size(...).numel() of the pixel and latent shapes, per point"""
    ratios = [torch.Size([int(a), int(b), int(d)]).numel() / torch.Size([int(e), int(f), int(k)]).numel()
              for a, b, d, e, f, k in zip(H.tolist(), W.tolist(), C.tolist(), h.tolist(), w.tolist(), c.tolist())]
    return torch.tensor(ratios, dtype=DTYPE, device=H.device)


@behaviour("score.latent.cost-ratio", broken={
    "a factor-2 slip in the arithmetic (one factor counted twice)": dict(figure=lambda exact: 2 * exact),
    "an order-of-magnitude slip (a factor 10)": dict(figure=lambda exact: 10 * exact),
})
@functools.lru_cache(maxsize=None)
def stated_figure_is_about(exact, stated, rel, *, figure=lambda exact: exact):
    """a figure the notes state with '≈' or '~' is within the stated relative tolerance of the exact arithmetic

    Seam: the figure compared with the stated one (the exact arithmetic by default)."""
    exact = figure(exact)
    off = abs(exact - stated) / abs(stated)
    return off <= rel + 1e-12, (f"exact {fmt(exact, ',.6g')} against the stated {fmt(stated, ',.6g')}: {fmt(100 * off, '.1f')} % off "
                                f"(read '≈' / '~' as within {fmt(100 * rel, 'g')} %)")
