"""Independent numeric routes and behaviour checks for the latent family (``derivations/latent/``).

Routes: torch.distributions (MixtureSameFamily, Bernoulli KL), quadrature (scipy) of the
factor-analysis marginal and posterior moments, the trapezoid rule for the normalised product of
Gaussians, Monte Carlo (1e-6 false-fail rate per parameter point), LBFGS maximisation of the
M-step objectives, the EM reference model (``reference_models/gmm_em.py``), Jacobian ranks for
parameter counts and brute-force enumeration for the HMM (``reference_models/hmm.py``).
The approximate routes return an :class:`~derivspec.numerics.accuracy.Approximate` with the
method's own error: quad's abserr, two grids, the Newton step at an optimiser's answer,
Richardson extrapolation of the finite-time growth process.

Behaviour checks run the reference models with explicit seeds: EM traces (monotone
log-likelihood, ELBO tight after each E-step), recovery of separated means (z-tests at the
false-fail rate), the symmetric fixed point (a saddle: Hessian by autograd), mode counting
of mixtures and a product of mixtures whose variance exceeds both factors'.
"""

from __future__ import annotations

import functools
import math
from dataclasses import replace

import numpy as np
import torch
from torch.distributions import Bernoulli, Categorical, MixtureSameFamily, Normal, kl_divergence

from derivspec.core.lazy import lazy
from derivspec.core.numbers import fmt
from derivspec.numerics.accuracy import Approximate, agreement, moments_of_exp, richardson
from derivspec.numerics.montecarlo import FALSE_FAIL_RATE, Integrand, critical_z, standard_normal
from derivspec.numerics.routes import behaviour, monte_carlo, reference
from derivspec.numerics.sampling import piecewise_constant
from derivspec.reference_models import gmm_em, hmm, ppca
from derivspec.reference_models.device import DTYPE, make_generator
from derivspec.reference_models.optimality import minimum_excess, newton_step, optimum_error
from derivspec.reference_models.regression import lbfgs_minimise

integrate, special, stats = lazy("scipy.integrate"), lazy("scipy.special"), lazy("scipy.stats")

CPU = torch.device("cpu")
Z_CRITICAL = critical_z(FALSE_FAIL_RATE)
QUADRATURE_POINTS = 16


def _mixture(alpha, mu1, mu2, s1, s2) -> MixtureSameFamily:
    return MixtureSameFamily(Categorical(probs=torch.stack([alpha, 1 - alpha], -1)),
                             Normal(torch.stack([mu1, mu2], -1), torch.stack([s1, s2], -1)))


# === the mixture ==================================================================================


@reference("latent.gmm.marginal")
def mixture_density_by_torch(x, alpha, mu1, mu2, s1, s2):
    """torch MixtureSameFamily(Categorical, Normal).log_prob, exponentiated"""
    return _mixture(alpha, mu1, mu2, s1, s2).log_prob(x).exp()


@monte_carlo("latent.gmm.marginal")
def component_density_draws(x, alpha, mu1, mu2, s1, s2):
    """expectation of N(x; μ_z, s_z²) (Normal.log_prob) over z ~ Cat(α, 1 − α) drawn as u < α: summed exactly over the two cells (Monte Carlo route)"""
    def component_density(u):
        first = u[:, 0] < alpha
        return Normal(torch.where(first, mu1, mu2), torch.where(first, s1, s2)).log_prob(x).exp()
    return piecewise_constant(component_density, [[alpha]])


@reference("latent.gmm.responsibility")
def responsibility_by_softmax(x, alpha, mu1, mu2, s1, s2):
    """softmax over the components of log α_k + Normal.log_prob(x)"""
    log_joint = torch.stack([alpha.log() + Normal(mu1, s1).log_prob(x), (1 - alpha).log() + Normal(mu2, s2).log_prob(x)], -1)
    return torch.softmax(log_joint, -1)[:, 0]


@reference("latent.gmm.responsibility", points=16)
def responsibility_by_reference_em(x, alpha, mu1, mu2, s1, s2):
    """reference model: gmm_em.Mixture.responsibilities (MultivariateNormal, D = 1)"""
    out = []
    for row in zip(*(v.tolist() for v in (x, alpha, mu1, mu2, s1, s2))):
        a, m1, m2, t1, t2 = row[1:]
        mix = gmm_em.mixture([a, 1 - a], [[m1], [m2]], [[[t1**2]], [[t2**2]]], device=x.device)
        out.append(mix.responsibilities(torch.tensor([[row[0]]], dtype=DTYPE, device=x.device))[0, 0])
    return torch.stack(out)


@reference("latent.mixture.variance")
def mixture_variance_by_torch(alpha, mu1, mu2, s1, s2):
    """torch MixtureSameFamily.variance"""
    return _mixture(alpha, mu1, mu2, s1, s2).variance


@monte_carlo("latent.mixture.variance")
def squared_deviation_from_mixture_mean(alpha, mu1, mu2, s1, s2):
    """Monte Carlo: (x − E[x])², x | z = μ_z + s_z ε sampled, the latent z summed exactly over its two values (weights α, 1 − α), E[x] from MixtureSameFamily.mean"""
    mean = _mixture(alpha, mu1, mu2, s1, s2).mean

    def conditional_on_both_components(u):
        noise = standard_normal(u[:, 0])
        return alpha * (mu1 + s1 * noise - mean) ** 2 + (1 - alpha) * (mu2 + s2 * noise - mean) ** 2
    return Integrand(conditional_on_both_components, dim=1)


def _trapezoid_variance(log_f, centre: torch.Tensor, width: torch.Tensor, nodes: int) -> torch.Tensor:
    """Var of the density ∝ exp(log_f) per point, by torch.trapezoid on ``nodes`` points over centre ± 20 widths."""
    t = torch.linspace(-1, 1, nodes, dtype=DTYPE, device=centre.device)
    x = centre[:, None] + 20 * width[:, None] * t
    values = log_f(x)
    f = (values - values.max(-1, keepdim=True).values).exp()
    z = torch.trapezoid(f, x, dim=-1)
    mean = torch.trapezoid(x * f, x, dim=-1) / z
    return torch.trapezoid((x - mean[:, None]) ** 2 * f, x, dim=-1) / z


GRID = 2001  # 0.02 widths apart: the trapezoid rule's error on a Gaussian, ~exp(−2π²/0.02²), is far below round-off


@reference("latent.product.variance", points=64)
def product_variance_on_a_grid(mu1, mu2, s1, s2):
    """trapezoid rule (torch.trapezoid) for the variance of N(x; μ_1, s_1²)N(x; μ_2, s_2²)/Z (Normal.log_prob)

    Over ±20 widths around the peak of log f (a Newton step from μ_1 by autograd, exact as log f is a
    sum of two quadratics; the width 1/√(−(log f)'')), where the tails weigh e⁻²⁰⁰. Error: the
    difference from the rule with half the nodes (the rule converges geometrically here)."""
    def log_f(x):
        return Normal(mu1[:, None], s1[:, None]).log_prob(x) + Normal(mu2[:, None], s2[:, None]).log_prob(x)

    start = mu1.detach().clone()[:, None].requires_grad_(True)
    with torch.enable_grad():
        (slope,) = torch.autograd.grad(log_f(start).sum(), start, create_graph=True)
        (curvature,) = torch.autograd.grad(slope.sum(), start)
    centre, width = (start - slope / curvature).detach()[:, 0], (-1 / curvature).sqrt()[:, 0]
    value, error = agreement(_trapezoid_variance(log_f, centre, width, GRID // 2 + 1),
                             _trapezoid_variance(log_f, centre, width, GRID))
    return Approximate(value, error, f"trapezoid rule: |{GRID} nodes − {GRID // 2 + 1} nodes|")


@behaviour("latent.gmm.marginal", broken={
    "z drawn uniformly over the components, not from Cat(α)":
        dict(sample=lambda mix, n, g: gmm_em.sample(replace(mix, weights=torch.full_like(mix.weights, 0.5)), n, g)),
    "the variance σ_z² used as the standard deviation (x = μ_z + σ_z² ε)":
        dict(sample=lambda mix, n, g: gmm_em.sample(replace(mix, covariances=mix.covariances**2), n, g)),
})
def ancestral_samples_follow_the_mixture(n, *, sample=gmm_em.sample):
    """reference model: ancestral samples (gmm_em.sample) vs the mixture CDF (scipy), Kolmogorov–Smirnov at the false-fail rate

    Seam: the ancestral sampler (mixture, n, generator) ↦ (x, z)."""
    mix = gmm_em.mixture([0.3, 0.7], [[-2.0], [1.5]], [[[0.49]], [[1.44]]])
    x, _ = sample(mix, int(n), make_generator(31, CPU))
    cdf = lambda t: 0.3 * stats.norm.cdf(t, -2.0, 0.7) + 0.7 * stats.norm.cdf(t, 1.5, 1.2)
    result = stats.kstest(x[:, 0].numpy(), cdf)
    return result.pvalue > FALSE_FAIL_RATE, (f"{int(n)} ancestral samples of 0.3 N(−2, 0.7²) + 0.7 N(1.5, 1.2²): KS statistic "
                                             f"{fmt(result.statistic, '.4f')}, p = {fmt(result.pvalue, '.3g')} (fails below {fmt(FALSE_FAIL_RATE, 'g')})")


def _two_clusters(separation: float, n: int, seed: int) -> torch.Tensor:
    mix = gmm_em.mixture([0.5, 0.5], [[-separation / 2], [separation / 2]], [[[1.0]], [[1.0]]])
    return gmm_em.sample(mix, n, make_generator(seed, CPU))


def m_step_means_over_n(x: torch.Tensor, gamma: torch.Tensor) -> gmm_em.Mixture:
    """A broken M-step: the means Σ_i γ_ik x_i / n, normalised by n instead of N_k = Σ_i γ_ik."""
    return replace(gmm_em.m_step(x, gamma), means=(gamma.T @ x) / x.shape[0])


def m_step_unweighted_means(x: torch.Tensor, gamma: torch.Tensor) -> gmm_em.Mixture:
    """A broken M-step: every mean the plain data mean (the responsibilities not used as weights)."""
    fitted = gmm_em.m_step(x, gamma)
    return replace(fitted, means=x.mean(0).expand_as(fitted.means).clone())


def e_step_hard(model: gmm_em.Mixture, x: torch.Tensor) -> torch.Tensor:
    """A broken E-step: hard assignments (one-hot argmax of the responsibilities) as q."""
    gamma = model.responsibilities(x)
    return torch.nn.functional.one_hot(gamma.argmax(1), gamma.shape[1]).to(DTYPE)


def e_step_prior(model: gmm_em.Mixture, x: torch.Tensor) -> torch.Tensor:
    """A broken E-step: q_i(z) = α_z, the prior, not the posterior p(z | x_i)."""
    return model.weights.expand(x.shape[0], -1)


@behaviour("latent.gmm.responsibility", broken={
    "M-step means normalised by n instead of N_k": dict(m_step=m_step_means_over_n),
    "M-step means not weighted by the responsibilities": dict(m_step=m_step_unweighted_means),
})
def em_recovers_separated_means(separation, n, *, m_step=gmm_em.m_step):
    """reference model: EM (means started at the quartiles) on ½N(−δ/2,1) + ½N(δ/2,1) recovers the means (z-tests) and classifies by responsibility

    Seam: the M-step (x, γ) ↦ mixture that EM runs."""
    x, z = _two_clusters(separation, int(n), 32)
    trace = gmm_em.run_em(x, gmm_em.spread_start(x, 2), 100, m_step=m_step)
    means = trace.model.means[:, 0]
    order = torch.argsort(means)
    truth = torch.tensor([-separation / 2, separation / 2], dtype=DTYPE)
    se = 1 / math.sqrt(int(n) / 2)
    zs = (means[order] - truth) / se
    gamma = trace.model.responsibilities(x)[:, order]
    accuracy = float(((gamma[:, 1] > 0.5).long() == z).to(DTYPE).mean())
    accuracy = max(accuracy, 1 - accuracy)
    row_sums = float((gamma.sum(1) - 1).abs().max())
    holds = bool((zs.abs() <= Z_CRITICAL).all()) and accuracy > 0.95 and row_sums < 1e-12
    return holds, (f"δ = {fmt(separation, 'g')}, n = {int(n)}: EM means {', '.join(f'{float(m):.3f}' for m in means[order])} "
                   f"(truth ±{fmt(separation / 2, 'g')}, |z| ≤ {fmt(float(zs.abs().max()), '.2f')}); responsibility-classification accuracy "
                   f"{fmt(accuracy, '.3f')}; max |Σ_k γ_ik − 1| = {fmt(row_sums, '.1e')}")


def mixture_variance(alpha, mu1, mu2, s1, s2):
    """torch MixtureSameFamily.variance of α N(μ_1, s_1²) + (1 − α) N(μ_2, s_2²)."""
    return _mixture(alpha, mu1, mu2, s1, s2).variance


@behaviour("latent.mixture.variance", broken={
    "Σ_k α_k² s_k², the variance of a weighted sum of independent variables":
        dict(variance=lambda alpha, mu1, mu2, s1, s2: alpha**2 * s1**2 + (1 - alpha) ** 2 * s2**2),
    "the between-component term subtracted (E[Var] − Var[E])":
        dict(variance=lambda alpha, mu1, mu2, s1, s2: alpha * s1**2 + (1 - alpha) * s2**2 - alpha * (1 - alpha) * (mu1 - mu2) ** 2),
})
def mixture_variance_at_least_average(points, *, variance=mixture_variance):
    """torch MixtureSameFamily.variance minus the average component variance, at random parameters: never negative

    Seam: the mixture's variance (α, μ_1, μ_2, s_1, s_2) ↦ Var[x]."""
    g = make_generator(34, CPU)
    k = int(points)
    u = lambda lo, hi: lo + (hi - lo) * torch.rand(k, generator=g, dtype=DTYPE)
    alpha, mu1, mu2, s1, s2 = u(0.01, 0.99), u(-5, 5), u(-5, 5), u(0.1, 3), u(0.1, 3)
    excess = variance(alpha, mu1, mu2, s1, s2) - (alpha * s1**2 + (1 - alpha) * s2**2)
    return bool((excess >= -1e-12).all()), f"{k} random mixtures: min(Var − average component variance) = {fmt(float(excess.min()), '.3g')}"


def _count_modes(log_density, grid: torch.Tensor) -> int:
    values = log_density(grid)
    interior = (values[1:-1] > values[:-2]) & (values[1:-1] > values[2:])
    return int(interior.sum())


def components_envelope(mix: MixtureSameFamily):
    """A broken density: the larger of the weighted components, max_k α_k N(x; μ_k, s_k²), not their sum."""
    components = mix.component_distribution
    return lambda x: (mix.mixture_distribution.logits + components.log_prob(x[..., None])).max(-1).values


@behaviour("latent.mixture.variance", broken={
    "the envelope max_k α_k N_k of the components instead of their sum": dict(log_density=components_envelope),
})
def mixture_adds_modes(separation, *, log_density=lambda mix: mix.log_prob):
    """grid count of the local maxima of ½N(−δ/2, 1) + ½N(δ/2, 1) (torch MixtureSameFamily.log_prob)

    Seam: the mixture's log-density (mixture ↦ function of x). The source's statement disagrees at
    δ = 1.5 (one mode), so a wrong density turns the verdict to 'matches'."""
    t = lambda v: torch.tensor(v, dtype=DTYPE)
    mix = _mixture(t(0.5), t(-separation / 2), t(separation / 2), t(1.0), t(1.0))
    grid = torch.linspace(-10, 10, 200_001, dtype=DTYPE)
    modes = _count_modes(log_density(mix), grid)
    far = _count_modes(_mixture(t(0.5), t(-1.5), t(1.5), t(1.0), t(1.0)).log_prob, grid)
    return modes > 1, (f"δ = {fmt(separation, 'g')}: {modes} mode(s) (variance {fmt(float(mix.variance), '.4g')} > 1); "
                       f"for comparison δ = 3: {far} modes; equal-weight unit-variance mixtures are bimodal only for δ > 2")


def moment_matched(mix: MixtureSameFamily) -> Normal:
    """The Gaussian with the mixture's mean and variance (a broken stand-in for the mixture)."""
    return Normal(mix.mean, mix.variance.sqrt())


@behaviour("latent.product.variance", broken={
    "each factor replaced by its moment-matched Gaussian": dict(factor=moment_matched),
})
def products_decrease_variance(far, *, factor=lambda mix: mix):
    """quadrature: Var of the normalised product of p_1 = 0.9N(0,½²) + 0.1N(d,½²) and p_2 = 0.1N(0,½²) + 0.9N(d,½²) vs Var p_1, Var p_2

    Seam: the factor multiplied (mixture ↦ distribution). The source's statement disagrees (the
    product is wider), so Gaussian stand-ins turn the verdict to 'matches'."""
    d = float(far)
    t = lambda v: torch.tensor(v, dtype=DTYPE)
    p1 = _mixture(t(0.9), t(0.0), t(d), t(0.5), t(0.5))
    p2 = _mixture(t(0.1), t(0.0), t(d), t(0.5), t(0.5))
    f1, f2 = factor(p1), factor(p2)
    log_f = lambda x: float(f1.log_prob(t(x)) + f2.log_prob(t(x)))
    lo, hi = -8.0, d + 8.0
    z = integrate.quad(lambda x: math.exp(log_f(x)), lo, hi, points=[0.0, d], limit=400)[0]
    mean = integrate.quad(lambda x: x * math.exp(log_f(x)), lo, hi, points=[0.0, d], limit=400)[0] / z
    product = integrate.quad(lambda x: (x - mean) ** 2 * math.exp(log_f(x)), lo, hi, points=[0.0, d], limit=400)[0] / z
    v1, v2 = float(p1.variance), float(p2.variance)
    holds = product < min(v1, v2)
    return holds, (f"Var p_1 = {fmt(v1, '.3f')}, Var p_2 = {fmt(v2, '.3f')}, Var of the normalised product = {fmt(product, '.3f')}: the product puts equal "
                   f"mass on both modes; Gaussian factors N(0,1)·N(0,1) give variance ½")


# === EM ===========================================================================================


@reference("latent.em.gap")
def gap_by_torch_kl(j1, j2, r):
    """torch kl_divergence(Bernoulli(r), Bernoulli(j1/(j1 + j2)))"""
    return kl_divergence(Bernoulli(probs=r), Bernoulli(probs=j1 / (j1 + j2)))


@reference("latent.em.gap", points=64)
def gap_by_enumeration(j1, j2, r):
    """scipy.special.rel_entr of q = (r, 1 − r) against p(z|x) = (j1, j2)/(j1 + j2), summed over z"""
    q1, p1 = r.cpu().numpy(), (j1 / (j1 + j2)).cpu().numpy()
    return torch.as_tensor(special.rel_entr(q1, p1) + special.rel_entr(1 - q1, 1 - p1), dtype=DTYPE, device=r.device)


def _weighted_gaussian_fit(gammas, xs, quantity) -> Approximate:
    """``quantity`` of the (μ, log s) maximising Σ γ_i Normal(μ, s).log_prob(x_i) per point (LBFGS),
    with its error: the Newton step at the LBFGS answer (block-diagonal Hessian of the batch), through
    ``quantity``."""
    def loss(theta):
        return -(gammas * Normal(theta[:, :1], theta[:, 1:].exp()).log_prob(xs)).sum()

    theta0 = torch.stack([xs.mean(-1) + 0.2, xs.std(-1).clamp_min(1e-2).log()], -1)
    theta = lbfgs_minimise(loss, theta0, max_iter=500)
    return Approximate(*optimum_error(quantity, theta, newton_step(loss, theta)), "Newton step at the LBFGS answer")


@reference("latent.em.m-step.mean", points=8)
def m_step_mean_by_lbfgs(g1, g2, g3, x1, x2, x3):
    """LBFGS on −Σ γ_i Normal(μ, s).log_prob(x_i) over (μ, log s)

    Error: the Newton step at the LBFGS answer."""
    return _weighted_gaussian_fit(torch.stack([g1, g2, g3], -1), torch.stack([x1, x2, x3], -1), lambda th: th[:, 0])


@reference("latent.em.m-step.mean", points=16)
def m_step_mean_by_reference_model(g1, g2, g3, x1, x2, x3):
    """reference model: gmm_em.m_step with responsibilities (γ_i, 1 − γ_i): the first mean"""
    out = []
    for row in zip(*(v.tolist() for v in (g1, g2, g3, x1, x2, x3))):
        gamma = torch.tensor([[row[0], 1 - row[0]], [row[1], 1 - row[1]], [row[2], 1 - row[2]]], dtype=DTYPE)
        out.append(gmm_em.m_step(torch.tensor(row[3:], dtype=DTYPE)[:, None], gamma, floor=0.0).means[0, 0])
    return torch.stack(out).to(g1.device)


@reference("latent.em.m-step.variance", points=8)
def m_step_variance_by_lbfgs(g1, g2, g3, x1, x2, x3):
    """LBFGS on −Σ γ_i Normal(μ, s).log_prob(x_i) over (μ, log s): s²

    Error: the Newton step at the LBFGS answer, through s² = exp(2 log s)."""
    return _weighted_gaussian_fit(torch.stack([g1, g2, g3], -1), torch.stack([x1, x2, x3], -1),
                                  lambda th: (2 * th[:, 1]).exp())


@reference("latent.em.m-step.variance", points=16)
def m_step_variance_by_reference_model(g1, g2, g3, x1, x2, x3):
    """reference model: gmm_em.m_step with responsibilities (γ_i, 1 − γ_i): the first variance"""
    out = []
    for row in zip(*(v.tolist() for v in (g1, g2, g3, x1, x2, x3))):
        gamma = torch.tensor([[row[0], 1 - row[0]], [row[1], 1 - row[1]], [row[2], 1 - row[2]]], dtype=DTYPE)
        out.append(gmm_em.m_step(torch.tensor(row[3:], dtype=DTYPE)[:, None], gamma, floor=0.0).covariances[0, 0, 0])
    return torch.stack(out).to(g1.device)


@reference("latent.em.m-step.weight", points=64)
def m_step_weight_by_reference_model(g1, g2, g3):
    """reference model: gmm_em.m_step with responsibilities (γ_i, 1 − γ_i): the first weight"""
    gamma = torch.stack([torch.stack([g, 1 - g], -1) for g in (g1, g2, g3)], 1)  # (points, 3, 2)
    x = torch.tensor([[0.0], [1.0], [2.0]], dtype=DTYPE, device=g1.device)
    return torch.stack([gmm_em.m_step(x, row, floor=0.0).weights[0] for row in gamma])


@reference("latent.em.m-step.weight", points=16)
def m_step_weight_by_lbfgs(g1, g2, g3):
    """LBFGS on −Σ_i Σ_k γ_ik Categorical(logits).log_prob(k) over the first logit (the second fixed at 0)

    Error: the Newton step at the LBFGS answer, through the softmax."""
    gamma = torch.stack([torch.stack([g, 1 - g], -1) for g in (g1, g2, g3)], 1)

    def logits(h):
        return torch.cat([h, torch.zeros_like(h)], -1)

    def loss(h):
        return -(gamma * Categorical(logits=logits(h)[:, None, :]).logits).sum()

    h = lbfgs_minimise(loss, torch.zeros(g1.shape[0], 1, dtype=DTYPE, device=g1.device), max_iter=500)
    return Approximate(*optimum_error(lambda v: torch.softmax(logits(v), -1)[:, 0], h, newton_step(loss, h)),
                       "Newton step at the LBFGS answer")


@reference("latent.em.symmetric-fixed-point", points=16)
def symmetric_em_step(x1, x2, x3, m, s):
    """reference model: one gmm_em iteration (E-step, M-step) from μ_1 = μ_2 = m, s_1 = s_2 = s, α = ½: the new μ_1"""
    out = []
    for row in zip(*(v.tolist() for v in (x1, x2, x3, m, s))):
        start = gmm_em.mixture([0.5, 0.5], [[row[3]], [row[3]]], [[[row[4] ** 2]], [[row[4] ** 2]]])
        data = torch.tensor(row[:3], dtype=DTYPE)[:, None]
        out.append(gmm_em.m_step(data, start.responsibilities(data), floor=0.0).means[0, 0])
    return torch.stack(out).to(x1.device)


def _em_data(seed: int = 35) -> torch.Tensor:
    mix = gmm_em.mixture([0.5, 0.3, 0.2], [[-3.0, 0.0], [2.0, 2.0], [1.0, -3.0]],
                         [[[1.0, 0.3], [0.3, 0.8]], [[0.6, 0.0], [0.0, 1.5]], [[1.2, -0.4], [-0.4, 0.7]]])
    return gmm_em.sample(mix, 1500, make_generator(seed, CPU))[0]


EM_TOL = 1e-9  # relative float64 slack for "never decreases" / "equal"


@behaviour("latent.em.gap", broken={
    "E-step q(z) = α_z, the prior instead of the posterior": dict(e_step=e_step_prior),
    "M-step means normalised by n instead of N_k": dict(m_step=m_step_means_over_n),
})
def em_is_coordinate_ascent_on_the_elbo(iterations, *, e_step=gmm_em.e_step, m_step=gmm_em.m_step):
    """reference model (2-D, 3 components): after every E-step ELBO = log p(x); neither half-step lowers the ELBO

    Seams: EM's E-step (model, x) ↦ q and M-step (x, q) ↦ model."""
    x = _em_data()
    trace = gmm_em.run_em(x, gmm_em.random_start(x, 3, make_generator(36, CPU)), int(iterations), e_step=e_step, m_step=m_step)
    scale = abs(trace.log_likelihood[0])
    tight = max(abs(e - ll) for e, ll in zip(trace.elbo_after_e, trace.log_likelihood))
    m_steps = min(m - e for e, m in zip(trace.elbo_after_e, trace.elbo_after_m))
    e_steps = min(e - m for m, e in zip(trace.elbo_after_m, trace.elbo_after_e[1:]))
    holds = tight <= EM_TOL * scale and m_steps >= -EM_TOL * scale and e_steps >= -EM_TOL * scale
    return holds, (f"{int(iterations)} iterations, n = 1500: max |ELBO(q_t, θ_t) − log p(θ_t)| = {fmt(tight, '.2g')}; smallest M-step gain "
                   f"{fmt(m_steps, '.3g')}; smallest E-step gain {fmt(e_steps, '.3g')}")


@behaviour("latent.em.gap", broken={
    "hard assignments in the E-step (one-hot argmax of γ)": dict(e_step=e_step_hard),
    "M-step means normalised by n instead of N_k": dict(m_step=m_step_means_over_n),
})
def em_log_likelihood_is_monotone(iterations, *, e_step=gmm_em.e_step, m_step=gmm_em.m_step):
    """reference model (2-D, 3 components, 3 random starts): the log-likelihood trace never decreases

    Seams: EM's E-step (model, x) ↦ q and M-step (x, q) ↦ model."""
    x = _em_data()
    worst, total = 0.0, 0.0
    for seed in range(3):
        trace = gmm_em.run_em(x, gmm_em.random_start(x, 3, make_generator(40 + seed, CPU)), int(iterations),
                              e_step=e_step, m_step=m_step)
        steps = np.diff(trace.log_likelihood)
        worst = min(worst, float(steps.min()) / abs(trace.log_likelihood[0]))
        total = max(total, trace.log_likelihood[-1] - trace.log_likelihood[0])
    return worst >= -EM_TOL, f"3 starts × {int(iterations)} iterations: largest relative decrease {fmt(-worst, '.2g')}; gains up to {fmt(total, '.1f')} nats"


@behaviour("latent.em.gap", broken={
    "every restart from the same seed": dict(start=lambda x, k, seed: gmm_em.random_start(x, k, make_generator(100, CPU))),
    "every restart from the deterministic quantile start": dict(start=lambda x, k, seed: gmm_em.spread_start(x, k)),
})
def em_finds_local_optima(starts, *, start=lambda x, k, seed: gmm_em.random_start(x, k, make_generator(seed, CPU))):
    """reference model: EM from random starts on 1-D data from three separated clusters ends at several distinct log-likelihoods

    Seam: the restart (x, k, seed) ↦ initial mixture (the lecture's: means at random data points)."""
    mix = gmm_em.mixture([1 / 3] * 3, [[-6.0], [0.0], [6.0]], [[[1.0]]] * 3)
    x = gmm_em.sample(mix, 300, make_generator(37, CPU))[0]
    finals = []
    for seed in range(int(starts)):
        trace = gmm_em.run_em(x, start(x, 3, 100 + seed), 80)
        finals.append(trace.log_likelihood[-1])
    distinct = sorted({round(f, 1) for f in finals})
    holds = len(distinct) > 1 and distinct[-1] - distinct[0] > 1.0
    return holds, f"{int(starts)} starts: final log-likelihoods {', '.join(f'{f:.2f}' for f in distinct)}"


# not a registered behaviour check since issue 16: "converges to local maximum" (004 L2118) holds from generic starts,
# so its source is a note; property_tests/test_latent.py runs this function (the symmetric start stops at a saddle)
def em_converges_to_a_local_maximum(separation, n):
    """reference model: EM from the symmetric start vs from the quartiles; the log-likelihood around the symmetric fixed point"""
    x, _ = _two_clusters(separation, int(n), 38)
    symmetric = gmm_em.run_em(x, gmm_em.symmetric_start(x), 200)
    best = gmm_em.run_em(x, gmm_em.spread_start(x, 2), 200)
    fixed = symmetric.model
    means = fixed.means[:, 0]
    stuck = float((means - x.mean()).abs().max())
    base = float(fixed.log_likelihood(x))

    def moved(eps: float, shrink: bool) -> float:
        """means x̄ ∓ ε; with shrink, both variances σ² − ε² (the mixture keeps the data's variance)."""
        covariances = fixed.covariances - (eps**2 if shrink else 0.0)
        shifted = fixed.means + torch.tensor([[-eps], [eps]], dtype=DTYPE)
        return float(gmm_em.Mixture(fixed.weights, shifted, covariances).log_likelihood(x)) - base

    means_only = {eps: moved(eps, False) for eps in (0.1, 0.3)}
    split = {eps: moved(eps, True) for eps in (0.1, 0.3, 1.0)}
    eigenvalues = torch.linalg.eigvalsh(gmm_em.log_likelihood_hessian_1d(x, fixed))
    local_max = all(gain <= 1e-9 * abs(base) for gain in split.values())
    holds = local_max and symmetric.log_likelihood[-1] >= best.log_likelihood[-1] - 1e-6
    return holds, (f"δ = {fmt(separation, 'g')}, n = {int(n)}: from the symmetric start both means stay at x̄ (max |μ_k − x̄| = {fmt(stuck, '.1e')}) with "
                   f"log-likelihood {fmt(base, '.2f')}; moving the means apart by ±ε and shrinking both variances by ε² (same total "
                   f"variance) raises it by " + ", ".join(f"{fmt(gain, '.3g')} (ε = {fmt(eps, 'g')})" for eps, gain in split.items())
                   + " -- a saddle, not a maximum (moving the means alone changes it by "
                   + ", ".join(f"{fmt(gain, '.2g')}" for gain in means_only.values())
                   + f"; Hessian eigenvalues in the means {', '.join(f'{float(e):.2g}' for e in eigenvalues)}); "
                   f"EM from the quartiles reaches {fmt(best.log_likelihood[-1], '.2f')}")


# === factor analysis / PPCA =======================================================================


def _fa_log_joint(a1, a2, v1, v2, c1, c2, p1, p2):
    """z ↦ log N(z; 0, 1) + Σ_j log N(x_j; w_j z + b_j, ψ_j), the densities written out."""
    return lambda z: (-0.5 * z * z - 0.5 * (a1 - v1 * z - c1) ** 2 / p1 - 0.5 * (a2 - v2 * z - c2) ** 2 / p2
                      - 1.5 * math.log(2 * math.pi) - 0.5 * math.log(p1 * p2))


def _fa_moments(x1, x2, w1, w2, b1, b2, psi1, psi2) -> list[tuple[tuple[float, float], ...]]:
    """``moments_of_exp`` of p(z) p(x | z) per point: (log p(x), E[z | x], Var[z | x]), by quad around
    the numerically found peak (its abserr through the ratios)."""
    return [moments_of_exp(_fa_log_joint(*row))
            for row in zip(*(v.tolist() for v in (x1, x2, w1, w2, b1, b2, psi1, psi2)))]


QUADRATURE = "scipy quad abserr, through the ratios"


@reference("latent.fa.marginal")
def fa_log_marginal_by_moments(x1, x2, w1, w2, b1, b2, psi1, psi2):
    """torch MultivariateNormal(b, C).log_prob(x), C from the moments of x = wz + b + ε: Cov = wwᵀ + diag ψ"""
    W = torch.stack([w1, w2], -1)
    C = W[:, :, None] * W[:, None, :] + torch.diag_embed(torch.stack([psi1, psi2], -1))
    return torch.distributions.MultivariateNormal(torch.stack([b1, b2], -1), covariance_matrix=C).log_prob(torch.stack([x1, x2], -1))


@reference("latent.fa.marginal", points=24)
def fa_log_marginal_by_quadrature(x1, x2, w1, w2, b1, b2, psi1, psi2):
    """scipy.integrate.quad of N(z;0,1)·Π_j N(x_j; w_j z + b_j, ψ_j) over z (densities written out), then log

    Around the numerically found peak of the integrand; error: quad's abserr over the integral."""
    moments = _fa_moments(x1, x2, w1, w2, b1, b2, psi1, psi2)
    return Approximate.of([log_marginal for log_marginal, _, _ in moments], QUADRATURE, x1)


def _schur(w1, w2, psi1, psi2):
    """Cov(z, x) C⁻¹ and 1 − Cov(z, x) C⁻¹ Cov(x, z) for the joint Gaussian of (z, x) (torch.linalg.solve)."""
    W = torch.stack([w1, w2], -1)  # Cov(x, z)
    C = W[:, :, None] * W[:, None, :] + torch.diag_embed(torch.stack([psi1, psi2], -1))
    gain = torch.linalg.solve(C, W[:, :, None])[:, :, 0]  # C⁻¹ Cov(x, z)
    return gain, 1 - (W * gain).sum(-1)


@reference("latent.fa.posterior.mean")
def fa_posterior_mean_by_conditioning(x1, x2, w1, w2, b1, b2, psi1, psi2):
    """Gaussian conditioning of the joint (z, x): Cov(z,x) Cov(x)⁻¹ (x − b) (torch.linalg.solve)"""
    gain, _ = _schur(w1, w2, psi1, psi2)
    return (gain * torch.stack([x1 - b1, x2 - b2], -1)).sum(-1)


@reference("latent.fa.posterior.mean", points=24)
def fa_posterior_mean_by_quadrature(x1, x2, w1, w2, b1, b2, psi1, psi2):
    """scipy.integrate.quad: ∫ z p(z) p(x|z) dz / ∫ p(z) p(x|z) dz

    Around the numerically found peak of the integrand; error: quad's abserr, through the ratio."""
    moments = _fa_moments(x1, x2, w1, w2, b1, b2, psi1, psi2)
    return Approximate.of([mean for _, mean, _ in moments], QUADRATURE, x1)


@reference("latent.fa.posterior.variance")
def fa_posterior_variance_by_conditioning(w1, w2, psi1, psi2):
    """Gaussian conditioning of the joint (z, x): 1 − Cov(z,x) Cov(x)⁻¹ Cov(x,z) (torch.linalg.solve)"""
    return _schur(w1, w2, psi1, psi2)[1]


@reference("latent.fa.posterior.variance", points=QUADRATURE_POINTS)
def fa_posterior_variance_by_quadrature(w1, w2, psi1, psi2):
    """scipy.integrate.quad: posterior variance at x = (0.7, −0.4), b = (0.2, 0.1)

    Around the numerically found peak of the integrand; error: quad's abserr, through the ratios."""
    fill = lambda v: torch.full_like(w1, v)  # noqa: E731
    moments = _fa_moments(fill(0.7), fill(-0.4), w1, w2, fill(0.2), fill(0.1), psi1, psi2)
    return Approximate.of([variance for _, _, variance in moments], QUADRATURE, w1)


@reference("latent.ppca.noise-mle", points=16)
def ppca_noise_by_lbfgs(c11, c12, c22):
    """LBFGS on the PPCA mean log-likelihood −½(log det C + tr(C⁻¹S)), C = wwᵀ + σ²I, over (w, log σ²)

    Error: the Newton step at the LBFGS answer, through σ² = exp(log σ²)."""
    pairs = []
    for a, b, c in zip(*(v.tolist() for v in (c11, c12, c22))):
        S = torch.tensor([[a, b], [b, c]], dtype=DTYPE)
        loss = lambda th: -ppca.mean_log_likelihood(S, th[:2, None], th[2].exp().expand(2))  # noqa: E731
        theta = lbfgs_minimise(loss, torch.tensor([1.0, 0.5, 0.0], dtype=DTYPE), max_iter=500)
        value, error = optimum_error(lambda th: th[2].exp(), theta, newton_step(loss, theta))
        pairs.append((float(value), float(error)))
    return Approximate.of(pairs, "Newton step at the LBFGS answer", c11)


@behaviour("latent.fa.marginal", broken={
    "the noise variance ψ used as its standard deviation": dict(sample=lambda n, W, b, psi, g: ppca.sample(n, W, b, psi**2, g)),
    "x = Wz + b without the noise ε": dict(sample=lambda n, W, b, psi, g: ppca.sample(n, W, b, 0 * psi, g)),
})
def fa_ancestral_samples_have_the_marginal_covariance(n, *, sample=ppca.sample):
    """reference model: ppca.sample (Algorithm 4, linear decoder) — sample mean and covariance vs b and wwᵀ + Ψ (z-tests)

    Seam: the ancestral sampler (n, W, b, ψ, generator) ↦ (x, z)."""
    W = torch.tensor([[1.2], [-0.7]], dtype=DTYPE)
    b, psi = torch.tensor([0.5, -1.0], dtype=DTYPE), torch.tensor([0.3, 0.8], dtype=DTYPE)
    x, _ = sample(int(n), W, b, psi, make_generator(41, CPU))
    C = ppca.covariance(W, psi)
    centred = x - b
    products = torch.stack([centred[:, 0] ** 2, centred[:, 0] * centred[:, 1], centred[:, 1] ** 2], 1)
    targets = torch.stack([C[0, 0], C[0, 1], C[1, 1]])
    z_cov = (products.mean(0) - targets) / (products.std(0) / math.sqrt(int(n)))
    z_mean = (x.mean(0) - b) / (x.std(0) / math.sqrt(int(n)))
    worst = float(torch.cat([z_cov, z_mean]).abs().max())
    return worst <= Z_CRITICAL, (f"n = {int(n)}: sample covariance entries {', '.join(f'{float(v):.4f}' for v in products.mean(0))} vs "
                                 f"wwᵀ + Ψ {', '.join(f'{float(v):.4f}' for v in targets)}; max |z| = {fmt(worst, '.2f')} (≤ {fmt(Z_CRITICAL, '.2f')})")


# === Markov chains and HMMs =======================================================================


@reference("latent.markov.parameters", points=8)
def markov_parameters_by_jacobian_rank(n, generator):
    """reference model: rank of the Jacobian of the parameters → joint table map of the Markov chain (autograd)"""
    return torch.tensor([hmm.free_parameters(hmm.markov_joint, hmm.markov_parameter_count(int(k)), int(k), generator)
                         for k in n.tolist()], dtype=DTYPE, device=n.device)


def untied_iid_joint(theta: torch.Tensor, n: int) -> torch.Tensor:
    """A broken i.i.d. model: independent Bernoulli(σ(θ_i)), a separate θ_i per variable (not shared)."""
    x = hmm._bits(n, theta.device)
    p = torch.sigmoid(theta[:n])
    return (x * p.log() + (1 - x) * (1 - p).log()).sum(1).exp()


@behaviour("latent.markov.parameters", broken={
    "a separate θ_i per variable, not one shared θ": dict(joint=untied_iid_joint, size=lambda n: n),
    "the Markov chain P(X_i | X_{i−1}) in place of the i.i.d. model": dict(joint=hmm.markov_joint, size=hmm.markov_parameter_count),
})
def iid_parameter_count_is_constant(n_max, *, joint=hmm.iid_joint, size=lambda n: 1):
    """reference model: rank of the Jacobian of the i.i.d. model's θ → joint table map for n = 1 … n_max

    Seams: the model's joint table (θ, n) ↦ P(x_1..x_n) and its number of parameters size(n)."""
    g = make_generator(42, CPU)
    ranks = [hmm.free_parameters(joint, size(n), n, g) for n in range(1, int(n_max) + 1)]
    return all(r == 1 for r in ranks), f"ranks for n = 1..{int(n_max)}: {ranks} (the full table has 2^n − 1)"


def _hmm_tensors(a, t1, t0, e1, e0, f1, f0):
    """prior, transition and emission likelihoods with state index 0 ↔ z = 1, index 1 ↔ z = 0."""
    prior = torch.stack([a, 1 - a])
    transition = torch.stack([torch.stack([t1, 1 - t1]), torch.stack([t0, 1 - t0])])
    likelihoods = torch.stack([torch.stack([e1, e0]), torch.stack([f1, f0])])
    return prior, transition, likelihoods


@reference("latent.hmm.posterior", points=64)
def hmm_posterior_by_brute_force(a, t1, t0, e1, e0, f1, f0):
    """reference model: hmm.brute_force_posteriors (all hidden paths enumerated)"""
    out = [hmm.brute_force_posteriors(*_hmm_tensors(*row))[0, 0] for row in zip(*(v.unbind() for v in (a, t1, t0, e1, e0, f1, f0)))]
    return torch.stack(out)


@reference("latent.hmm.posterior", points=64)
def hmm_posterior_by_forward_backward(a, t1, t0, e1, e0, f1, f0):
    """reference model: hmm.forward_backward (normalised recursions)"""
    out = [hmm.forward_backward(*_hmm_tensors(*row))[0, 0] for row in zip(*(v.unbind() for v in (a, t1, t0, e1, e0, f1, f0)))]
    return torch.stack(out)


# --- the linear autoencoder (issue 16) -------------------------------------------------------------


def _train_linear_autoencoder(loss, generator) -> tuple[torch.Tensor, torch.Tensor]:
    """An untied linear autoencoder x ↦ d eᵀx (encoder row e, decoder column d in R²) by LBFGS on ``loss(e, d)``."""
    params = torch.randn(4, dtype=DTYPE, generator=generator, device=generator.device).requires_grad_(True)
    optimiser = torch.optim.LBFGS([params], max_iter=500, tolerance_grad=1e-13, tolerance_change=0,
                                  line_search_fn="strong_wolfe")

    def closure():
        optimiser.zero_grad()
        value = loss(params[:2], params[2:])
        value.backward()
        return value

    optimiser.step(closure)
    return params[:2].detach(), params[2:].detach()


@reference("latent.autoencoder.linear", points=16)
def linear_autoencoder_by_lbfgs(c11, c12, c22, generator):
    """LBFGS on the exact expected loss tr((I − deᵀ)C(I − deᵀ)ᵀ) over an untied encoder e and decoder d

    Error: the minimum's excess ½ ∇fᵀH⁺∇f at the LBFGS answer (second order; the pseudo-inverse
    drops the direction (e, d) ↦ (e/c, cd), along which the loss is constant)."""
    pairs = []
    for a, b, c in zip(*(v.tolist() for v in (c11, c12, c22))):
        C = torch.tensor([[a, b], [b, c]], dtype=DTYPE, device=generator.device)

        def expected_loss(e, d):
            residual = torch.eye(2, dtype=DTYPE, device=C.device) - torch.outer(d, e)
            return torch.trace(residual @ C @ residual.T)

        e, d = _train_linear_autoencoder(expected_loss, generator)
        pairs.append((float(expected_loss(e, d)), minimum_excess(lambda p: expected_loss(p[:2], p[2:]), torch.cat([e, d]), singular=True)))
    return Approximate.of(pairs, "½ ∇fᵀH⁺∇f at the LBFGS answer", c11)


@reference("latent.autoencoder.linear")
def smaller_eigenvalue(c11, c12, c22):
    """torch.linalg.eigvalsh, the smaller eigenvalue"""
    C = torch.stack([torch.stack([c11, c12], -1), torch.stack([c12, c22], -1)], -2)
    return torch.linalg.eigvalsh(C)[..., 0]


def reconstruction_loss(x: torch.Tensor, e: torch.Tensor, d: torch.Tensor) -> torch.Tensor:
    """The mean squared reconstruction error of x ↦ d eᵀx."""
    return ((x - (x @ e)[:, None] * d) ** 2).sum(-1).mean()


@behaviour("latent.autoencoder.linear", broken={
    "an untrained autoencoder (the random initial encoder and decoder)":
        dict(train=lambda loss, generator: torch.randn(4, dtype=DTYPE, generator=generator).split(2)),
    "weight decay ½(|e|² + |d|²) added to the reconstruction loss":
        dict(loss=lambda x, e, d: reconstruction_loss(x, e, d) + 0.5 * (e @ e + d @ d)),
})
def linear_autoencoder_projects(n, seed, *, loss=reconstruction_loss, train=_train_linear_autoencoder):
    """reference model: a linear autoencoder trained on samples is the projector onto the top principal direction

    Seams: the training loss (x, e, d) ↦ value and the trainer (loss(e, d), generator) ↦ (e, d)."""
    generator = make_generator(int(seed), torch.device("cpu"))
    C = torch.tensor([[2.0, 0.8], [0.8, 1.0]], dtype=DTYPE)
    x = torch.randn(int(n), 2, dtype=DTYPE, generator=generator) @ torch.linalg.cholesky(C).T
    e, d = train(lambda e, d: loss(x, e, d), generator)
    eigenvalues, eigenvectors = torch.linalg.eigh(x.T @ x / int(n))
    top, normal = eigenvectors[:, 1], eigenvectors[:, 0]
    P = torch.outer(d, e)
    cosine = lambda v: float((v @ top).abs() / v.norm())  # noqa: E731
    idempotent = float((P @ P - P).abs().max())
    keeps, removes = float((P @ top - top).norm()), float((P @ normal).norm())
    loss = float(((x - x @ P.T) ** 2).sum(-1).mean())
    holds = (idempotent < 1e-6 and keeps < 1e-6 and removes < 1e-6 and min(cosine(e), cosine(d)) > 1 - 1e-9
             and abs(loss - float(eigenvalues[0])) < 1e-8)
    return holds, (f"{int(n)} samples of N(0, [[2, 0.8], [0.8, 1]]): trained P = d eᵀ has |P² − P| = {fmt(idempotent, '.1e')}; "
                   f"|P u − u| = {fmt(keeps, '.1e')} along the top eigenvector u, |P v| = {fmt(removes, '.1e')} along the normal v; encoder "
                   f"row and decoder column at cosine {fmt(cosine(e), '.9f')}, {fmt(cosine(d), '.9f')} to u; loss {fmt(loss, '.6f')} = the smaller "
                   f"eigenvalue {fmt(float(eigenvalues[0]), '.6f')} of the sample covariance")


# === random graph models (derivations/latent/graphs.py) ===========================================


def _pairs(nodes: int) -> list[tuple[int, int]]:
    return [(a, b) for a in range(nodes) for b in range(a + 1, nodes)]


def _all_graphs(nodes: int, device: torch.device | None = None) -> torch.Tensor:
    """Every adjacency pattern on ``nodes`` nodes: a (2^pairs, pairs) 0/1 table (on ``device``, default the CPU)."""
    count = len(_pairs(nodes))
    codes = torch.arange(2**count, device=device)
    return ((codes[:, None] >> torch.arange(count, device=device)) & 1).to(DTYPE)


def _erdos_renyi_probabilities(p: torch.Tensor, graphs: torch.Tensor) -> torch.Tensor:
    """P(A) = ∏_{i<j} p^{a_ij}(1 − p)^{1 − a_ij} for every graph (rows) at every p (columns)."""
    p = p.reshape(1, 1, -1)
    edges = graphs[:, :, None]
    return (p**edges * (1 - p) ** (1 - edges)).prod(1)


@reference("latent.graph.erdos-renyi-clustering")
def erdos_renyi_closing_edge_by_enumeration(p):
    """all 64 graphs on 4 nodes enumerated: P(a₂₃ = 1, a₁₂ = a₁₃ = 1) / P(a₁₂ = a₁₃ = 1)"""
    graphs = _all_graphs(4, p.device)
    index = {pair: k for k, pair in enumerate(_pairs(4))}
    prob = _erdos_renyi_probabilities(p, graphs)
    two_path = (graphs[:, index[0, 1]] * graphs[:, index[0, 2]])[:, None]
    return (prob * two_path * graphs[:, index[1, 2], None]).sum(0) / (prob * two_path).sum(0)


def _density_drawn_per_graph(p: torch.Tensor, graphs: torch.Tensor) -> torch.Tensor:
    """A broken Erdős–Rényi model: the edge probability drawn once per graph, p ∓ 0.2 with probability ½ each."""
    return (_erdos_renyi_probabilities(p - 0.2, graphs) + _erdos_renyi_probabilities(p + 0.2, graphs)) / 2


@behaviour("latent.graph.erdos-renyi-clustering", broken={
    "one edge probability p ∓ 0.2 drawn per graph (edges dependent through it)": dict(graph_probabilities=_density_drawn_per_graph),
    "the clustering without the factor 3 (E[triangles]/E[two-paths])": dict(triangle_factor=1),
})
def erdos_renyi_clustering_is_density(p, *, graph_probabilities=_erdos_renyi_probabilities, triangle_factor=3):
    """reference model: the expected global clustering 3·E[triangles]/E[two-paths] over all 1024 graphs on 5 nodes

    Seams: the random-graph model (p, graphs) ↦ P(A) and the clustering's factor 3 (three two-paths per triangle)."""
    graphs = _all_graphs(5)
    pairs = _pairs(5)
    index = {pair: k for k, pair in enumerate(pairs)}
    prob = graph_probabilities(torch.tensor([float(p)], dtype=DTYPE), graphs)[:, 0]
    edge = lambda a, b: graphs[:, index[min(a, b), max(a, b)]]  # noqa: E731
    triangles = sum(edge(a, b) * edge(a, c) * edge(b, c) for a in range(5) for b in range(a + 1, 5) for c in range(b + 1, 5))
    two_paths = sum(edge(centre, a) * edge(centre, b) for centre in range(5)
                    for a in range(5) for b in range(a + 1, 5) if centre not in (a, b))
    clustering = float(triangle_factor * (prob * triangles).sum() / (prob * two_paths).sum())
    density = float((prob[:, None] * graphs).sum(0).mean())
    return abs(clustering - density) < 1e-12, (f"p = {fmt(float(p), 'g')}, 5 nodes, 1024 graphs: expected clustering 3·E[triangles]/E[two-paths] "
                                                f"= {fmt(clustering, '.12f')}, edge density {fmt(density, '.12f')}: triangles close at chance")


def _sbm_tables(w, b11, b10, b00):
    """P(z) of 3 nodes (8 rows) and the edge probability of each of the 3 pairs given z."""
    device = torch.as_tensor(w).device
    z = ((torch.arange(8, device=device)[:, None] >> torch.arange(3, device=device)) & 1).to(DTYPE)
    prior = (w**z * (1 - w) ** (1 - z)).prod(1)
    block = lambda za, zb: za * zb * b11 + (za + zb - 2 * za * zb) * b10 + (1 - za) * (1 - zb) * b00  # noqa: E731
    edge = torch.stack([block(z[:, a], z[:, b]) for a, b in _pairs(3)], 1)
    return prior, edge


def _sbm_labels_per_pair(w, b11, b10, b00):
    """A broken SBM: each pair draws its own labels, so every edge has the marginal probability whatever z is."""
    prior, edge = _sbm_tables(w, b11, b10, b00)
    return prior, (prior[:, None] * edge).sum(0).expand_as(edge)


def _sbm_blocks_swapped(w, b11, b10, b00):
    """A broken SBM: the block matrix's diagonal and off-diagonal swapped (B₁₀ within blocks, B₁₁ across)."""
    return _sbm_tables(w, b10, b11, b10)


def _sbm_joint(w, b11, b10, b00, tables=_sbm_tables):
    """P(z, A) for 3 nodes: (8 z) × (8 graphs), brute force over both (``tables``: P(z) and the edge probabilities given z)."""
    prior, edge = tables(w, b11, b10, b00)
    graphs = _all_graphs(3, edge.device)
    likelihood = (edge[:, None, :] ** graphs[None] * (1 - edge[:, None, :]) ** (1 - graphs[None])).prod(2)
    return prior[:, None] * likelihood, graphs


@reference("latent.graph.sbm-edges", points=64)
def sbm_edge_covariance_by_enumeration(w, b11, b10, b00):
    """every (z, A) of a 3-node SBM enumerated: E[a₁₂a₁₃] − E[a₁₂]E[a₁₃] from the joint table"""
    out = []
    for row in zip(*(v.unbind() for v in (w, b11, b10, b00))):
        joint, graphs = _sbm_joint(*row)
        marginal = joint.sum(0)
        first, second = (marginal * graphs[:, 0]).sum(), (marginal * graphs[:, 1]).sum()
        out.append((marginal * graphs[:, 0] * graphs[:, 1]).sum() - first * second)
    return torch.stack(out)


SBM_BROKEN = {
    "each pair draws its own labels (z per pair, not per node)": dict(tables=_sbm_labels_per_pair),
    "the block matrix's diagonal and off-diagonal swapped": dict(tables=_sbm_blocks_swapped),
}


@behaviour("latent.graph.sbm-edges", broken=SBM_BROKEN)
def sbm_edges_independent_given_z_dependent_without(w, b11, b10, b00, *, tables=_sbm_tables):
    """reference model: the 3-node SBM's joint table: covariance of a₁₂, a₁₃ given each z, and with z summed out

    Seam: the model's tables (π, B) ↦ P(z), P(a_ij = 1 | z)."""
    values = [torch.tensor(float(v), dtype=DTYPE) for v in (w, b11, b10, b00)]
    joint, graphs = _sbm_joint(*values, tables=tables)
    conditional = joint / joint.sum(1, keepdim=True)
    given = [float((c * graphs[:, 0] * graphs[:, 1]).sum() - (c * graphs[:, 0]).sum() * (c * graphs[:, 1]).sum())
             for c in conditional]
    marginal = joint.sum(0)
    covariance = float((marginal * graphs[:, 0] * graphs[:, 1]).sum() - (marginal * graphs[:, 0]).sum() * (marginal * graphs[:, 1]).sum())
    edge = float((marginal * graphs[:, 0]).sum())
    holds = max(abs(c) for c in given) < 1e-14 and covariance > 1e-3
    return holds, (f"π = {fmt(float(w), 'g')}, B = [[{fmt(float(b11), 'g')}, {fmt(float(b10), 'g')}], [{fmt(float(b10), 'g')}, {fmt(float(b00), 'g')}]]: "
                   f"P(a₁₂ = 1) = {fmt(edge, '.6f')}; Cov(a₁₂, a₁₃ | z) = {fmt(max(abs(c) for c in given), '.1e')} for all 8 z; "
                   f"Cov(a₁₂, a₁₃) = {fmt(covariance, '.6f')} with z summed out")


@behaviour("latent.graph.sbm-edges", broken=SBM_BROKEN)
def sbm_clustering_exceeds_density(w, b11, b10, b00, *, tables=_sbm_tables):
    """reference model: the 3-node SBM's joint table: P(a₂₃ = 1 | a₁₂ = a₁₃ = 1) against the edge density P(a₂₃ = 1)

    Seam: the model's tables (π, B) ↦ P(z), P(a_ij = 1 | z)."""
    joint, graphs = _sbm_joint(*(torch.tensor(float(v), dtype=DTYPE) for v in (w, b11, b10, b00)), tables=tables)
    marginal = joint.sum(0)
    index = {pair: k for k, pair in enumerate(_pairs(3))}
    two_path = graphs[:, index[0, 1]] * graphs[:, index[0, 2]]
    closing = float((marginal * two_path * graphs[:, index[1, 2]]).sum() / (marginal * two_path).sum())
    density = float((marginal * graphs[:, index[1, 2]]).sum())
    return closing > 1.5 * density, (f"assortative blocks B₁₁ = {fmt(float(b11), 'g')}, B₀₀ = {fmt(float(b00), 'g')}, B₁₀ = {fmt(float(b10), 'g')}, π = {fmt(float(w), 'g')}: "
                                     f"P(a₂₃ = 1 | two-path) = {fmt(closing, '.4f')} against the density {fmt(density, '.4f')} "
                                     f"(Erdős–Rényi: equal)")


ARRIVALS = (5_000, 10_000, 20_000, 40_000)  # t, 2t, 4t, 8t
ATTACHMENT_ORDERS = (1.0, 1.5, 2.0)  # the powers of 1/t eliminated in turn (see the route)


@functools.lru_cache(maxsize=4)
def _attachment_fractions(max_m: int, size: int) -> tuple[np.ndarray, ...]:
    """Expected fraction of degree-k nodes (columns k = 0 … size − 1) after each number of ``ARRIVALS``,
    for m = 1 … max_m (rows), iterating the growth process from m + 1 fully linked nodes: at each arrival
    a degree-k node gains one of the m new edges with probability m·k/(sum of degrees)."""
    m = np.arange(1, max_m + 1)
    rows = np.arange(max_m)
    rates = np.arange(size, dtype=np.float64)
    rates[-1] = 0.0  # degrees beyond the table are not tracked (they never flow back)
    offsets = (m + 1.0)[:, None]
    counts = np.zeros((max_m, size))
    counts[rows, m] = m + 1  # the seed clique: m + 1 nodes of degree m
    gain = np.empty_like(counts)
    fractions = []
    for step in range(ARRIVALS[-1]):
        np.multiply(counts, rates, out=gain)
        gain /= offsets + 2 * step  # m·k·N_k / (m(m + 1) + 2m·step)
        counts -= gain
        counts[:, 1:] += gain[:, :-1]
        counts[rows, m] += 1
        if step + 1 in ARRIVALS:
            fractions.append(counts / (offsets + step + 1))
    return tuple(fractions)


@reference("latent.graph.preferential-attachment")
def preferential_attachment_expected_counts(m, j):
    """the growth process's expected degree counts N_k(t) per node after 5,000 … 40,000 arrivals, extrapolated to t → ∞ (Richardson)

    Iterated from m + 1 fully linked nodes (:func:`_attachment_fractions`), not the stationary
    solution. The fraction's error expands in powers of 1/t: t⁻¹ (the seed's share of the degree
    sum), t^(−3/2), t⁻², … (the expected counts relax through modes that decay like t^(−i/2),
    i ≥ m, against the t nodes). Three Richardson eliminations (orders 1, 3/2, 2; ratio 2) over
    t = 5,000 … 40,000; the error is the last one's |difference|/3. Over the whole domain
    (m ≤ 6, j ≤ 30) that is below 7e-5 of the value and at least the true error (to 5 %)."""
    m_int = m.round().long().cpu().numpy()
    k = (m + j).round().long().cpu().numpy()
    levels = [fractions[m_int - 1, k] for fractions in _attachment_fractions(int(m_int.max()), int(k.max()) + 2)]
    for order in ATTACHMENT_ORDERS:
        extrapolated = [richardson(coarse, fine, order) for coarse, fine in zip(levels, levels[1:])]
        levels = [value for value, _ in extrapolated]
    value, error = extrapolated[0]
    return Approximate(torch.as_tensor(value, dtype=m.dtype, device=m.device),
                       torch.as_tensor(error, dtype=m.dtype, device=m.device),
                       "Richardson in 1/t: the last elimination's |difference|/3")


def degree_proportional_target(ends: list[int], new: int, rng: np.random.Generator) -> int:
    """Preferential attachment: a uniformly drawn edge end, i.e. a node with probability ∝ its degree."""
    return ends[rng.integers(len(ends))]


@behaviour("latent.graph.preferential-attachment", broken={
    "targets drawn uniformly over the existing nodes (no preference for degree)":
        dict(pick_target=lambda ends, new, rng: int(rng.integers(new))),
})
def preferential_attachment_has_power_law_and_hubs(m, nodes, *, pick_target=degree_proportional_target):
    """reference model: a simulated Barabási–Albert graph (seed 0): tail exponent (MLE) and largest degree

    The largest degree is compared with Poisson degrees of the same mean 2m. Seam: the attachment
    rule (edge ends so far, new node, rng) ↦ the node a new edge joins."""
    rng = np.random.default_rng(0)
    m, nodes = int(m), int(nodes)
    ends = [a for a in range(m + 1) for b in range(m + 1) if a != b]  # seed clique: each node listed once per edge end
    degree = np.zeros(nodes, dtype=np.int64)
    degree[: m + 1] = m
    for new in range(m + 1, nodes):
        targets = set()
        while len(targets) < m:
            targets.add(pick_target(ends, new, rng))
        for t in targets:
            ends += [t, new]
            degree[t] += 1
        degree[new] = m
    k_min = 10
    tail = degree[degree >= k_min]
    exponent = 1 + len(tail) / float(np.log(tail / (k_min - 0.5)).sum())  # discrete power-law MLE (Clauset et al.)
    poisson_max = int(rng.poisson(2 * m, size=nodes).max())
    holds = 2.6 < exponent < 3.4 and degree.max() > 5 * poisson_max
    return holds, (f"m = {m}, {nodes} nodes: tail exponent (k ≥ {k_min}, {len(tail)} nodes) {fmt(exponent, '.2f')} (theory 3); "
                   f"largest degree {int(degree.max())} against {poisson_max} for Poisson degrees with the same mean {2 * m}")
