"""Independent numeric routes and behaviour checks for the sampling family (``derivations/sampling/``).

(``numerics/sampling.py`` is the torch sampling helper; this module holds the family's routes.)

Routes: Monte Carlo with torch draws (1e-6 false-fail rate per parameter point, n from the
pilot), scipy quadrature, exact enumeration (``reference_models/importance.py``: SNIS and IWAE
expectations by summing over binomial counts; ``reference_models/rbm.py``: all hidden states),
autograd (log-partition gradient, the leapfrog Jacobian), Gaussian conditioning with
torch.linalg, and a model route that builds the Metropolis–Hastings transition matrix from the
candidate acceptance ratio and checks stationarity exactly.

Behaviour checks run the samplers of ``reference_models/mcmc.py`` on many independent chains and
compare their final states with the target by Kolmogorov–Smirnov tests at the false-fail rate;
the importance-sampling checks report ESS and the largest weight's share; the VAE check uses
the exact evidence of ``reference_models/bernoulli_vae.py``.
"""

from __future__ import annotations

import math
import time

import torch
from torch.distributions import Categorical, Normal

from derivspec.core.lazy import lazy
from derivspec.core.numbers import fmt
from derivspec.numerics.accuracy import (QUAD_HOW, RICHARDSON_HOW, Approximate, integral_of_exp, limit_by_richardson,
                                       moments_of_exp)
from derivspec.numerics.checks import NumericResult
from derivspec.numerics.montecarlo import FALSE_FAIL_RATE, Integrand, critical_z, standard_normal
from derivspec.numerics.routes import behaviour, model, monte_carlo, reference
from derivspec.numerics.sampling import expectation, piecewise_constant
from derivspec.reference_models import bernoulli_vae, importance, mcmc, rbm
from derivspec.reference_models.device import DTYPE, make_generator

stats = lazy("scipy.stats")

CPU = torch.device("cpu")
Z_CRITICAL = critical_z(FALSE_FAIL_RATE)
QUADRATURE_POINTS = 16


# === Monte Carlo ==================================================================================


@monte_carlo("sampling.mc.standard-error", points=2, compare=lambda se: se * se)
def squared_error_of_the_mean(n, sigma):
    """Monte Carlo: (mean of n draws of N(0, σ²))², whose mean is the squared standard error"""
    k = int(n)
    return Integrand(lambda u: (sigma * standard_normal(u)).mean(1) ** 2, dim=k)


def mean_of_draws(draws: torch.Tensor) -> torch.Tensor:
    """The Monte Carlo estimate (1/N) Σ_i f(y_i) of each row of draws."""
    return draws.mean(1)


def first_draw_reused(draws: torch.Tensor) -> torch.Tensor:
    """A broken estimate: the first draw reused N times (the generator not advanced), so N does not help."""
    return draws[:, 0]


@behaviour("sampling.mc.standard-error", broken={
    "standard error ∝ 1/N (quadrupling quarters it)": dict(error_ratio=4.0),
    "the first draw reused N times (draws not independent)": dict(estimate=first_draw_reused),
})
def quadrupling_samples_halves_the_error(n, repeats, *, estimate=mean_of_draws, error_ratio=2.0):
    """F-test: the variance of Monte Carlo means of n draws is 4 × that of 4n draws (ratio of SEs 2)

    Seams: the estimate of each replicate and the claimed ratio SE(n)/SE(4n) (the F-test's null is its square)."""
    g = make_generator(51, CPU)
    reps, k = int(repeats), int(n)
    small = estimate(torch.randn(reps, k, generator=g, dtype=DTYPE))
    large = estimate(torch.randn(reps, 4 * k, generator=g, dtype=DTYPE))
    ratio = float(small.var() / large.var())
    f = ratio / error_ratio**2
    p = 2 * min(stats.f.sf(f, reps - 1, reps - 1), stats.f.cdf(f, reps - 1, reps - 1))
    return p > FALSE_FAIL_RATE, (f"SE(n)/SE(4n) = {fmt(math.sqrt(ratio), '.4f')} for n = {k} over {reps} replicates "
                                 f"(F-test of the variance ratio against {fmt(error_ratio**2, 'g')}: p = {fmt(p, '.3g')}, fails below {fmt(FALSE_FAIL_RATE, 'g')})")


@behaviour("sampling.mc.standard-error", broken={
    "dividing the sum by N − 1": dict(estimate=lambda y: (y**2).sum(1) / (y.shape[1] - 1)),
    "f of the sample mean, (ȳ)², instead of the mean of f": dict(estimate=lambda y: y.mean(1) ** 2),
})
def monte_carlo_mean_is_unbiased(n, *, estimate=lambda y: (y**2).mean(1)):
    """z-test: the mean over 10⁶ replicates of the n-draw Monte Carlo estimate of E[y²], y ~ N(0.5, 1), against 1.25

    Seam: the estimate from each replicate's n draws (rows of y)."""
    g = make_generator(52, CPU)
    reps, k = 1_000_000, int(n)
    estimates = estimate(0.5 + torch.randn(reps, k, generator=g, dtype=DTYPE))
    z = (float(estimates.mean()) - 1.25) / (float(estimates.std()) / math.sqrt(reps))
    return abs(z) <= Z_CRITICAL, f"n = {k}: mean of the estimates {fmt(float(estimates.mean()), '.5f')} vs E[y²] = 1.25, z = {fmt(z, '.2f')}"


# === importance sampling ==========================================================================


@monte_carlo("sampling.is.unbiased")
def importance_weight_draws(x, w, s, m, v):
    """Monte Carlo: p(x, z)/q(z) with torch Normal log-densities, z ~ N(m, v)"""
    def weight(z):
        log_joint = Normal(w * z, s).log_prob(x) + Normal(0.0, 1.0).log_prob(z)
        return (log_joint - Normal(m, v.sqrt()).log_prob(z)).exp()
    return expectation(Normal(m, v.sqrt()), weight)


@reference("sampling.is.unbiased", points=QUADRATURE_POINTS)
def evidence_by_quadrature(x, w, s, m, v):
    """scipy.integrate.quad of q(z)·p(x, z)/q(z) = p(x, z) over z (densities written out)

    Around the numerically found peak of p(x, z) in z; error: quad's abserr."""
    out = []
    for a, b, c in zip(*(t.tolist() for t in (x, w, s))):
        log_joint = lambda z: -0.5 * ((a - b * z) / c) ** 2 - 0.5 * z * z - math.log(2 * math.pi * c)  # noqa: E731
        out.append(integral_of_exp(log_joint, guess=0.0, scale=1.0))
    return Approximate.of(out, QUAD_HOW, x)


def _target_and_proposal(a, b, m, u):
    return Normal(a, b.sqrt()), Normal(m, (b + u).sqrt())


@monte_carlo("sampling.is.variance")
def squared_weight_deviation_draws(a, b, m, u):
    """Monte Carlo: Var_q[w] = E_q[w²] − 1 = E_π[w] − 1, w = π(z)/q(z) at z ~ π (torch Normal log-densities)"""
    # The change of measure E_q[w²] = ∫π²/q = E_π[w] (and E_q[w] = ∫π = 1) keeps the draws bounded:
    # q is wider than π, so w = π/q is. Drawn under q, (w − 1)² has a fourth moment ∫π⁴/q³ that
    # reaches e^{O(10)} on this domain: 2e7 draws then detect only ~4 %.
    target, proposal = _target_and_proposal(a, b, m, u)
    return expectation(target, lambda z: (target.log_prob(z) - proposal.log_prob(z)).exp() - 1)


def _second_moment_by_quadrature(a, b, m, u) -> Approximate:
    """E_q[w²] = ∫π(z)²/q(z) dz (densities written out, π = N(a, b), q = N(m, b + u)) around the
    numerically found peak of the integrand; error: quad's abserr."""
    out = []
    for aa, bb, mm, uu in zip(*(t.tolist() for t in (a, b, m, u))):
        vv = bb + uu
        log_f = lambda z: (-((z - aa) ** 2) / bb + (z - mm) ** 2 / (2 * vv)  # noqa: E731
                           + math.log(math.sqrt(vv) / (bb * math.sqrt(2 * math.pi))))
        out.append(integral_of_exp(log_f, guess=aa, scale=math.sqrt(bb)))
    return Approximate.of(out, QUAD_HOW, a)


@reference("sampling.is.variance", points=QUADRATURE_POINTS)
def weight_variance_by_quadrature(a, b, m, u):
    """scipy.integrate.quad of π(z)²/q(z), minus 1

    Error: quad's abserr."""
    second = _second_moment_by_quadrature(a, b, m, u)
    return Approximate(second.value - 1, second.error, second.how)


@reference("sampling.is.ess", points=QUADRATURE_POINTS)
def ess_fraction_by_quadrature(a, b, m, u):
    """scipy.integrate.quad: E_q[w]² / E_q[w²] with E_q[w] = ∫π = 1

    Error: quad's abserr of E_q[w²], divided by E_q[w²]²."""
    second = _second_moment_by_quadrature(a, b, m, u)
    return Approximate(1 / second.value, second.error / second.value**2, second.how)


def linear_gaussian_likelihood(x, z, w, s):
    """p(x | z) = N(x; wz, s²) (Normal.log_prob), the model's likelihood."""
    return Normal(w * z, s).log_prob(torch.tensor(x, dtype=DTYPE)).exp()


@behaviour("sampling.is.unbiased", broken={
    "z drawn from N(0, 2²), not the prior, without weights": dict(prior_scale=2.0),
    "the loading w left out of the likelihood's mean (N(x; z, s²))": dict(likelihood=lambda x, z, w, s: linear_gaussian_likelihood(x, z, 1.0, s)),
})
def prior_sampling_is_unbiased_but_noisy(x, w, s, *, likelihood=linear_gaussian_likelihood, prior_scale=1.0):
    """10⁶ prior draws: the mean of p(x|z) against N(x; 0, w²+s²) (z-test) and the relative variance of the terms

    Seams: the likelihood averaged and the scale of the distribution z is drawn from (the prior's: 1)."""
    g = make_generator(53, CPU)
    n = 1_000_000
    z = prior_scale * torch.randn(n, generator=g, dtype=DTYPE)
    terms = likelihood(x, z, w, s)
    evidence = float(Normal(0.0, math.sqrt(w * w + s * s)).log_prob(torch.tensor(x, dtype=DTYPE)).exp())
    mean, sd = float(terms.mean()), float(terms.std())
    z_score = (mean - evidence) / (sd / math.sqrt(n))
    relative_variance = (sd / mean) ** 2
    holds = abs(z_score) <= Z_CRITICAL and relative_variance > 1
    return holds, (f"x = {fmt(x, 'g')}, w = {fmt(w, 'g')}, s = {fmt(s, 'g')}: estimate {fmt(mean, '.6g')} vs p(x) = {fmt(evidence, '.6g')} (z = {fmt(z_score, '.2f')}); relative "
                   f"variance of the terms {fmt(relative_variance, '.3g')}, so ~{fmt(relative_variance / 0.01**2, '.2g')} draws for 1 % error")


@behaviour("sampling.is.ess", broken={
    "inverted weights q(z)/π(z)": dict(log_weight=lambda log_target, log_proposal: log_proposal - log_target),
    "the proposal density left out (w = π(z))": dict(log_weight=lambda log_target, log_proposal: log_target),
})
def poor_proposals_are_dominated_by_few_samples(shift, n, *, log_weight=importance.importance_log_weight):
    """reference model: ESS/n and the largest weight's share for target N(0,1) with proposals N(0, 1.5²) and N(shift, 1)

    Seam: the importance weight rule log w(log π, log q) (the lecture's π/q)."""
    k = int(n)
    good = importance.gaussian_weights(0.0, 1.0, 0.0, 2.25, k, make_generator(54, CPU), log_weight=log_weight)
    poor = importance.gaussian_weights(0.0, 1.0, float(shift), 1.0, k, make_generator(55, CPU), log_weight=log_weight)
    good_ess, poor_ess = importance.effective_sample_size(good) / k, importance.effective_sample_size(poor) / k
    good_share, poor_share = importance.max_weight_share(good), importance.max_weight_share(poor)
    holds = poor_ess < 0.01 and poor_share > 0.1 and good_ess > 0.5 and good_share < 0.01
    return holds, (f"n = {k}: proposal N(0, 1.5²): ESS/n = {fmt(good_ess, '.3f')}, largest weight {fmt(good_share, '.2%')} of the sum; proposal "
                   f"N({fmt(shift, 'g')}, 1): ESS/n = {fmt(poor_ess, '.2g')}, largest weight {fmt(poor_share, '.1%')} (theory ESS/n → {fmt(math.exp(-shift**2), '.2g')})")


@monte_carlo("sampling.snis.two-draws")
def snis_two_draws(t, r):
    """expectation of the self-normalised estimate from two Bernoulli(r) draws (u < r): summed exactly over the uniforms' cells (Monte Carlo route)"""
    w1, w0 = t / r, (1 - t) / (1 - r)

    def self_normalised(u):
        z = (u < r).to(DTYPE)
        weights = torch.where(z > 0.5, w1, w0)
        return (weights * z).sum(1) / weights.sum(1)
    return piecewise_constant(self_normalised, [[r], [r]])


@reference("sampling.snis.two-draws", points=128)
def snis_two_draws_by_enumeration(t, r):
    """reference model: importance.snis_exact_mean (binomial enumeration, n = 2)"""
    return torch.tensor([importance.snis_exact_mean(a, b, 2) for a, b in zip(t.tolist(), r.tolist())], dtype=DTYPE, device=t.device)


IWAE_K = 1024  # the rate is computed at K, 2K, 4K and 8K


@reference("sampling.iwae.gap-limit", points=32)
def iwae_gap_rate_by_enumeration(w0, w1, r):
    """reference model: importance.iwae_gap_two_point (exact) at K = 1024 … 8192, K(log p − L_K) Richardson-extrapolated to K → ∞

    R(K) = K(log p − L_K) = c_0 + c_1/K + c_2/K² + … (the central moments of the mean weight are
    polynomials in 1/K): :func:`limit_by_richardson`. Measured on 10⁵ random points of the domain
    (against the derived limit): the value's error at most 0.06 of the tolerance its estimate gives."""
    out = [limit_by_richardson(lambda K: K * importance.iwae_gap_two_point(a, b, c, K, device=w0.device), IWAE_K)
           for a, b, c in zip(w0.tolist(), w1.tolist(), r.tolist())]
    return Approximate.of(out, RICHARDSON_HOW, w0)


VAE_SEED = 61
WIDEN = 3.0  # the trained encoder is nearly the exact posterior; a 3x wider proposal makes the K-ordering visible


@behaviour("sampling.iwae.gap-limit", broken={
    "the mean of the log-weights (the ELBO) instead of the log of the mean weight": dict(combine=lambda log_w, dim: log_w.mean(dim)),
    "the sum of the weights, not their mean (log K left in)": dict(combine=lambda log_w, dim: torch.logsumexp(log_w, dim)),
})
def importance_sampling_scores_a_vae(k_max, *, combine=bernoulli_vae.log_mean_exp):
    """reference model: a trained Bernoulli-decoder VAE: IWAE_K (K = 1 … k_max) rises towards the exact log p(x) and K·gap levels off

    Seam: the importance-sampling estimate of log p(x) from K log-weights (the lecture's log of their mean)."""
    model_, data = bernoulli_vae.trained_reference_vae(VAE_SEED)
    x = data[:16]
    ks = [1, 8, 64, 512, int(k_max)]
    with torch.no_grad():
        log_p, elbo = model_.log_evidence(x), model_.elbo(x, WIDEN)
        bounds = model_.iwae(x, ks, 32, make_generator(VAE_SEED + 3, CPU), WIDEN, combine=combine)
    gaps = {K: (log_p - bounds[K]).mean(0) for K in ks}  # (points,)
    mean_gap = {K: float(g.mean()) for K, g in gaps.items()}
    se = {K: float((log_p - bounds[K]).mean(1).std() / math.sqrt(bounds[K].shape[0])) for K in ks}
    elbo_gap = float((log_p - elbo).mean())
    first_ok = abs(mean_gap[1] - elbo_gap) <= Z_CRITICAL * se[1]
    rising = all(mean_gap[a] > mean_gap[b] for a, b in zip(ks, ks[1:]))
    below = all(mean_gap[K] > -Z_CRITICAL * se[K] for K in ks)
    tiny = mean_gap[ks[-1]] < 0.01 * elbo_gap
    holds = first_ok and rising and below and tiny
    return holds, (f"proposal = trained encoder with σ × {fmt(WIDEN, 'g')}; 16 points, 32 repeats: mean log p(x) − IWAE_K: " + ", ".join(f"K={K}: {fmt(mean_gap[K], '.3g')} ± {fmt(se[K], '.1g')}" for K in ks)
                   + f"; ELBO gap {fmt(elbo_gap, '.3g')}; K·gap: " + ", ".join(f"{fmt(K * mean_gap[K], '.3g')}" for K in ks[1:]))


# === MCMC =========================================================================================


MH_PI = (0.2, 0.5, 0.3)
MH_Q = ((0.1, 0.6, 0.3), (0.3, 0.3, 0.4), (0.5, 0.4, 0.1))  # an asymmetric proposal


@model("sampling.mh.acceptance-ratio", candidate_args=("px", "py", "qxy", "qyx"))
def mh_chain_with_candidate_ratio(candidate, device):
    """reference model: the exact 3-state MH transition matrix with α = min(1, candidate ratio); πP = π and detailed balance"""
    start = time.perf_counter()
    pi = torch.tensor(MH_PI, dtype=DTYPE, device=device)
    Q = torch.tensor(MH_Q, dtype=DTYPE, device=device)
    P = mcmc.mh_transition_matrix(pi, Q, lambda px, py, qxy, qyx: candidate(px=px, py=py, qxy=qxy, qyx=qyx))
    stationarity = float((pi @ P - pi).abs().max())
    flows = pi[:, None] * P
    balance = float((flows - flows.T).abs().max())
    # exact arithmetic on a 3×3 matrix with entries in [0, 1]: a right ratio leaves round-off (~1e-16); 1e-12 is a margin of 10⁴
    passed = stationarity < 1e-12 and balance < 1e-12
    return NumericResult(passed, "", max_abs_diff=max(stationarity, balance), seconds=time.perf_counter() - start,
                         detail=f"π = {MH_PI}, asymmetric Q: max |πP − π| = {fmt(stationarity, '.2g')}, max |π_x P_xy − π_y P_yx| = {fmt(balance, '.2g')}")


def hastings_ratio(px, py, qxy, qyx):
    """The lecture's MH ratio π(x')q(x|x')/(π(x)q(x'|x)) for a move x → x' = y."""
    return py * qyx / (px * qxy)


@behaviour("sampling.mh.acceptance-ratio", broken={
    "the Metropolis ratio π(x')/π(x) with an asymmetric proposal (no Hastings correction)":
        dict(ratio=lambda px, py, qxy, qyx: py / px),
    "the proposal ratio inverted: π(x')q(x'|x)/(π(x)q(x|x'))": dict(ratio=lambda px, py, qxy, qyx: py * qxy / (px * qyx)),
})
def mh_acceptance_satisfies_detailed_balance(states, *, ratio=hastings_ratio):
    """reference model: the exact transition matrix of MH with α = min(1, π(x')q(x|x')/(π(x)q(x'|x))) on a 3-state chain

    Seam: the acceptance ratio (π_x, π_y, q(y|x), q(x|y)) ↦ R, α = min(1, R)."""
    pi = torch.tensor(MH_PI, dtype=DTYPE)
    Q = torch.tensor(MH_Q, dtype=DTYPE)
    P = mcmc.mh_transition_matrix(pi, Q, ratio)
    flows = pi[:, None] * P
    balance, stationarity = float((flows - flows.T).abs().max()), float((pi @ P - pi).abs().max())
    metropolis = mcmc.mh_transition_matrix(pi, Q, lambda px, py, qxy, qyx: py / px)
    drift = float((pi @ metropolis - pi).abs().max())
    holds = int(states) == 3 and balance < 1e-15 and stationarity < 1e-15
    return holds, (f"π = {MH_PI}: max |π_x P_xy − π_y P_yx| = {fmt(balance, '.1e')}, max |πP − π| = {fmt(stationarity, '.1e')}; without the "
                   f"Hastings correction (asymmetric q) max |πP − π| = {fmt(drift, '.3f')}")


def _mixture_log_density(x: torch.Tensor) -> torch.Tensor:
    return torch.logaddexp(Normal(-2.0, 1.0).log_prob(x), Normal(2.0, 1.0).log_prob(x)) - math.log(2)


@behaviour("sampling.mh.acceptance-ratio", broken={
    "the ratio inverted, p(x)/p(x')": dict(log_ratio=lambda log_p_new, log_p: log_p - log_p_new),
    "every proposal accepted (no accept/reject step)": dict(log_ratio=lambda log_p_new, log_p: torch.full_like(log_p, math.inf)),
})
def mh_samples_follow_the_target(chains, steps, *, log_ratio=mcmc.metropolis_log_ratio):
    """reference model: random-walk MH (scale 2.5) on ½N(−2,1) + ½N(2,1), final states of independent chains vs the CDF (KS)

    Seam: the acceptance rule log R(log p(x'), log p(x)) (accept when log u < log R)."""
    g = make_generator(56, CPU)
    x0 = 3 * torch.randn(int(chains), generator=g, dtype=DTYPE)
    final, rate = mcmc.random_walk_mh(_mixture_log_density, x0, int(steps), 2.5, g, log_ratio=log_ratio)
    statistic, p = mcmc.ks_test(final, lambda t: 0.5 * stats.norm.cdf(t, -2, 1) + 0.5 * stats.norm.cdf(t, 2, 1))
    return p > FALSE_FAIL_RATE, (f"{int(chains)} chains × {int(steps)} steps, acceptance {fmt(rate, '.2f')}: KS statistic {fmt(statistic, '.4f')}, "
                                 f"p = {fmt(p, '.3g')} (fails below {fmt(FALSE_FAIL_RATE, 'g')})")


@behaviour("sampling.gibbs.conditional-mean", broken={
    "the conditional variance s_a² (the marginal's) instead of s_a²(1 − ρ²)":
        dict(conditional=lambda mu_a, mu_b, s_a, s_b, rho, x_b: (mcmc.gaussian_conditional(mu_a, mu_b, s_a, s_b, rho, x_b)[0], s_a)),
    "the conditional mean with the ratio of standard deviations inverted, μ_a + ρ s_b(x_b − μ_b)/s_a":
        dict(conditional=lambda mu_a, mu_b, s_a, s_b, rho, x_b: (mu_a + rho * s_b * (x_b - mu_b) / s_a, s_a * math.sqrt(1 - rho**2))),
})
def gibbs_samples_follow_the_target(rho, chains, sweeps, *, conditional=mcmc.gaussian_conditional):
    """reference model: Gibbs on a bivariate normal; KS tests of x_1, x_2 and the standardised sum (Bonferroni at the false-fail rate)

    Seam: the full conditional (μ_a, μ_b, s_a, s_b, ρ, x_b) ↦ (mean, standard deviation) each Gibbs step draws from."""
    mu1, mu2, s1, s2 = 1.0, -1.0, 1.5, 0.5
    g = make_generator(57, CPU)
    x0 = 5 * torch.randn(int(chains), 2, generator=g, dtype=DTYPE)
    final = mcmc.gibbs_bivariate_normal(mu1, mu2, s1, s2, rho, x0, int(sweeps), g, conditional=conditional)
    tests = {"x1": mcmc.ks_test(final[:, 0], stats.norm(mu1, s1).cdf), "x2": mcmc.ks_test(final[:, 1], stats.norm(mu2, s2).cdf),
             "sum": mcmc.ks_test((final[:, 0] - mu1) / s1 + (final[:, 1] - mu2) / s2, stats.norm(0, math.sqrt(2 + 2 * rho)).cdf)}
    holds = all(p > FALSE_FAIL_RATE / 3 for _, p in tests.values())
    return holds, (f"ρ = {fmt(rho, 'g')}, {int(chains)} chains × {int(sweeps)} sweeps: KS p-values "
                   + ", ".join(f"{k} {fmt(p, '.3g')}" for k, (_, p) in tests.items()) + f" (each fails below {fmt(FALSE_FAIL_RATE / 3, '.1g')})")


def _conditional_by_conditioning(x2, mu1, mu2, s1, s2, rho):
    cov = torch.stack([torch.stack([s1 * s1, rho * s1 * s2], -1), torch.stack([rho * s1 * s2, s2 * s2], -1)], -2)
    gain = cov[..., 0, 1] / cov[..., 1, 1]
    return mu1 + gain * (x2 - mu2), cov[..., 0, 0] - gain * cov[..., 1, 0]


@reference("sampling.gibbs.conditional-mean")
def conditional_mean_by_schur(x2, mu1, mu2, s1, s2, rho):
    """Gaussian conditioning on the covariance matrix: μ_1 + Σ_12 Σ_22⁻¹ (x_2 − μ_2)"""
    return _conditional_by_conditioning(x2, mu1, mu2, s1, s2, rho)[0]


def _conditional_moments_by_quadrature(x2, mu1, mu2, s1, s2, rho) -> tuple[Approximate, Approximate]:
    """E[x_1 | x_2] and Var[x_1 | x_2] as ∫x_1 p(x_1, x_2) dx_1 / ∫p(x_1, x_2) dx_1 (and the second
    central moment), by ``quad`` around the peak of the written-out joint density in x_1
    (:func:`~derivspec.numerics.accuracy.moments_of_exp`). The peak and its width are found
    numerically, not from the conditioning formula under test. Errors: quad's abserr, carried
    through the ratios."""
    means, variances = [], []
    for a, m1, m2, t1, t2, r in zip(*(v.tolist() for v in (x2, mu1, mu2, s1, s2, rho))):
        def log_joint(x1):  # the bivariate normal density with correlation r, written out
            u, v = (x1 - m1) / t1, (a - m2) / t2
            return -(u * u - 2 * r * u * v + v * v) / (2 * (1 - r * r)) - math.log(2 * math.pi * t1 * t2 * math.sqrt(1 - r * r))

        _, mean, variance = moments_of_exp(log_joint, m1, t1)
        means.append(mean)
        variances.append(variance)
    how = f"{QUAD_HOW}, through the ratios"
    return Approximate.of(means, how, x2), Approximate.of(variances, how, x2)


@reference("sampling.gibbs.conditional-mean", points=QUADRATURE_POINTS)
def conditional_mean_by_quadrature(x2, mu1, mu2, s1, s2, rho):
    """scipy.integrate.quad of x_1·p(x_1, x_2) over x_1 (the bivariate density written out), normalised"""
    return _conditional_moments_by_quadrature(x2, mu1, mu2, s1, s2, rho)[0]


@reference("sampling.gibbs.conditional-variance")
def conditional_variance_by_schur(s1, rho):
    """Gaussian conditioning on the covariance matrix (s_2 = 1.3): Σ_11 − Σ_12 Σ_22⁻¹ Σ_21"""
    return _conditional_by_conditioning(torch.zeros_like(s1), torch.zeros_like(s1), torch.zeros_like(s1), s1,
                                        torch.full_like(s1, 1.3), rho)[1]


@reference("sampling.gibbs.conditional-variance", points=QUADRATURE_POINTS)
def conditional_variance_by_quadrature(s1, rho):
    """scipy.integrate.quad of the conditional variance at x_2 = 0.4, μ = (0.2, −0.1), s_2 = 1.3"""
    fill = lambda v: torch.full_like(s1, v)
    return _conditional_moments_by_quadrature(fill(0.4), fill(0.2), fill(-0.1), s1, fill(1.3), rho)[1]


@reference("sampling.hmc.leapfrog-volume")
def leapfrog_jacobian_by_autograd(q, p, eps, a):
    """autograd: det of the Jacobian of reference_models.mcmc.leapfrog (one step, U = q⁴/4 + aq²/2)"""
    q0, p0 = q.detach().clone().requires_grad_(True), p.detach().clone().requires_grad_(True)
    q1, p1 = mcmc.leapfrog(q0, p0, eps, lambda x: x**3 + a * x)
    # the points are independent, so the gradient of a sum gives each point's own partial derivatives
    dq_dq, dq_dp = torch.autograd.grad(q1.sum(), (q0, p0), retain_graph=True)
    dp_dq, dp_dp = torch.autograd.grad(p1.sum(), (q0, p0))
    return dq_dq * dp_dp - dq_dp * dp_dq


def _ar1_precision(dimension: int, rho: float) -> torch.Tensor:
    idx = torch.arange(dimension, dtype=DTYPE)
    cov = rho ** (idx[:, None] - idx[None, :]).abs()
    return torch.linalg.inv(cov)


def quadratic_potential_gradient(x: torch.Tensor, precision: torch.Tensor) -> torch.Tensor:
    """∇U(x) = Λx for U(x) = ½ xᵀΛx, the force the leapfrog steps use."""
    return x @ precision


@behaviour("sampling.hmc.leapfrog-volume", broken={
    "the leapfrog driven by ∇log π = −∇U (the force's sign flipped)": dict(grad_potential=lambda x, precision: -(x @ precision)),
    "the leapfrog without the force (straight-line moves, momentum never updated)": dict(grad_potential=lambda x, precision: 0 * x),
})
def hmc_reduces_random_walk(dimension, steps, *, grad_potential=quadratic_potential_gradient):
    """reference model: lag-1 autocorrelation of x_1 under HMC vs random-walk MH thinned to the same number of gradient-sized steps

    Seam: the gradient ∇U(x, Λ) the Hamiltonian dynamics (leapfrog) follow; the Metropolis correction uses the true U."""
    d, iterations, chains, path = int(dimension), int(steps), 32, 12
    precision = _ar1_precision(d, 0.9)
    potential = lambda x: 0.5 * ((x @ precision) * x).sum(-1)
    grad = lambda x: grad_potential(x, precision)
    g = make_generator(58, CPU)
    x0 = torch.randn(chains, d, generator=g, dtype=DTYPE)
    hmc_chain, hmc_rate = mcmc.hmc(potential, grad, x0, eps=0.12, path=path, iterations=iterations, generator=g, keep=True)
    rw_chain, rate_sum, x = [], 0.0, x0.clone()
    for _ in range(iterations):
        x, rate = mcmc.random_walk_mh(lambda y: -potential(y), x, path, 0.12, g)  # path MH steps per HMC iteration
        rw_chain.append(x)
        rate_sum += rate
    rw_chain = torch.stack(rw_chain)
    burn = iterations // 5
    hmc_ac = mcmc.lag1_autocorrelation(hmc_chain[burn:, :, 0])
    rw_ac = mcmc.lag1_autocorrelation(rw_chain[burn:, :, 0])
    holds = hmc_ac < rw_ac and rw_ac > 0.8
    return holds, (f"D = {d}, {chains} chains × {iterations} iterations: HMC (ε = 0.12, {path} leapfrog steps) acceptance {fmt(hmc_rate, '.2f')}, "
                   f"lag-1 autocorrelation {fmt(hmc_ac, '.3f')}; random-walk MH (scale 0.12, {path} steps per iteration) acceptance "
                   f"{fmt(rate_sum / iterations, '.2f')}, lag-1 autocorrelation {fmt(rw_ac, '.3f')}")


# === energy-based models ==========================================================================


def _energies(a, b):
    states = torch.tensor([0.0, 1.0, 2.0], dtype=DTYPE, device=a.device)
    return a[..., None] * states + b[..., None] * states**2, states


@reference("sampling.ebm.log-partition-gradient")
def log_partition_gradient_by_autograd(a, b):
    """autograd of torch.logsumexp(−E) with respect to a"""
    leaf = a.detach().clone().requires_grad_(True)
    energies, _ = _energies(leaf, b)
    (gradient,) = torch.autograd.grad(torch.logsumexp(-energies, -1).sum(), leaf)
    return gradient


@monte_carlo("sampling.ebm.log-partition-gradient")
def negative_state_draws(a, b):
    """expectation of −∂E/∂a = −x over the model's samples x ~ Categorical(softmax(−E)), exact over the three states (Monte Carlo route)"""
    energies, states = _energies(a, b)
    return expectation(Categorical(probs=torch.softmax(-energies, -1)), lambda index: -states[index])


def _rbm_rows(*values):
    for row in zip(*(t.unbind() for t in values)):
        rv1, rv2, rb1, rb2, rc1, rc2, r11, r12, r21, r22 = row
        machine = rbm.RBM(torch.stack([torch.stack([r11, r12]), torch.stack([r21, r22])]), torch.stack([rb1, rb2]), torch.stack([rc1, rc2]))
        yield machine, torch.stack([rv1, rv2])[None, :]


@reference("sampling.rbm.conditional", points=128)
def rbm_conditional_by_enumeration(v1, v2, b1, b2, c1, c2, w11, w12, w21, w22):
    """reference model: rbm.RBM.hidden_conditional_brute_force (softmax over all hidden states)"""
    return torch.stack([m.hidden_conditional_brute_force(v)[0, 0] for m, v in _rbm_rows(v1, v2, b1, b2, c1, c2, w11, w12, w21, w22)])


@reference("sampling.rbm.free-energy", points=128)
def rbm_free_energy_by_enumeration(v1, v2, b1, b2, c1, c2, w11, w12, w21, w22):
    """reference model: rbm.RBM.free_energy_brute_force (−logsumexp over all hidden states)"""
    return torch.stack([m.free_energy_brute_force(v)[0] for m, v in _rbm_rows(v1, v2, b1, b2, c1, c2, w11, w12, w21, w22)])


@behaviour("sampling.rbm.conditional", broken={
    "σ(c − Wᵀv): the coupling's sign flipped in the factorised conditional": dict(factorised=lambda m, v: torch.sigmoid(m.c - v @ m.W)),
    "σ(Wᵀv): the hidden bias c left out": dict(factorised=lambda m, v: torch.sigmoid(v @ m.W)),
})
def rbm_inference_needs_an_exponential_sum(visible, hidden, *, factorised=rbm.RBM.hidden_conditional):
    """reference model: p(h|v) of a random RBM by the factorised sigmoids vs by enumerating every hidden state

    Seam: the factorised conditional (machine, v) ↦ p(h_j = 1 | v) (the lecture's σ(c + Wᵀv)). The
    source's statement disagrees (no sum is needed), so a wrong rule turns the verdict to 'matches'."""
    machine = rbm.RBM.random(int(visible), int(hidden), make_generator(59, CPU))
    v = rbm.all_states(int(visible))
    factorised = factorised(machine, v)
    brute = machine.hidden_conditional_brute_force(v)
    difference = float((factorised - brute).abs().max())
    needs_sum = difference > 1e-12
    shown = f"= {fmt(difference, '.1e')}" if needs_sum else "< 1e-12"  # rounding noise differs between machines: not shown
    return needs_sum, (f"n = {int(visible)}, m = {int(hidden)}: max |σ(c + Wᵀv) − brute force| {shown} over all "
                       f"{2 ** int(visible)} v ({int(hidden)} sigmoids vs {2 ** int(hidden)} hidden states summed per v): "
                       f"p(h|v) needs no exponential sum; log Z = {fmt(float(machine.log_partition_brute_force()), '.3f')} does")


# === inverse-CDF sampling =========================================================================


def inverse_cdf_categorical(probs: torch.Tensor, u: torch.Tensor) -> torch.Tensor:
    """The lectures' sampler: the smallest k (1-based) with c_k = Σ_{j≤k} π_j ≥ u."""
    cumulative = torch.cumsum(probs, -1)
    return torch.searchsorted(cumulative, u.unsqueeze(-1)).squeeze(-1) + 1


def _four_classes(p1, p2, p3):
    return torch.stack([p1, p2, p3, 1 - p1 - p2 - p3], -1)


@monte_carlo("sampling.inverse-cdf.categorical")
def inverse_cdf_class_three_draws(p1, p2, p3):
    """Monte Carlo: the indicator that the inverse-CDF sampler (torch.searchsorted on torch.cumsum) returns class 3"""
    probs = _four_classes(p1, p2, p3)
    # the sampler is a black box of one uniform: sampled (RQMC stratifies u), never summed over
    # cells placed at its own cumulative sums
    return Integrand(lambda u: (inverse_cdf_categorical(probs, u[:, 0].contiguous()) == 3).to(DTYPE), dim=1,
                     noise="uniform")


@reference("sampling.inverse-cdf.categorical", points=64)
def class_three_interval_by_bisection(p1, p2, p3):
    """the length of {u : sampler(u) = 3}, its end points found by bisection on the black-box sampler

    Exact up to round-off: 80 halvings of [0, 1] leave each end point within 2⁻⁸⁰ ≈ 1e-24 of the
    sampler's switch, far below the float64 spacing of the cumulative sums it switches at."""
    out = []
    for row in _four_classes(p1, p2, p3):
        sample = lambda u: int(inverse_cdf_categorical(row, torch.tensor(u, dtype=DTYPE, device=row.device)))

        def first_u_reaching(k):  # the smallest u with sample(u) >= k
            lo, hi = 0.0, 1.0
            for _ in range(80):
                mid = (lo + hi) / 2
                lo, hi = (lo, mid) if sample(mid) >= k else (mid, hi)
            return hi
        out.append(first_u_reaching(4) - first_u_reaching(3))
    return torch.tensor(out, dtype=DTYPE, device=p1.device)


def largest_k_below(probs: torch.Tensor, u: torch.Tensor) -> torch.Tensor:
    """A broken sampler: the largest k with c_k ≤ u (one class too low; 0 below c_1)."""
    return (torch.cumsum(probs, -1) <= u.unsqueeze(-1)).sum(-1)


@behaviour("sampling.inverse-cdf.categorical", broken={
    "the largest k with c_k ≤ u (off by one)": dict(sampler=largest_k_below),
    "the 0-based index k − 1 returned as the class": dict(sampler=lambda probs, u: inverse_cdf_categorical(probs, u) - 1),
})
def inverse_cdf_worked_example(u, *, sampler=inverse_cdf_categorical):
    """the inverse-CDF sampler on π = (0.1, 0.4, 0.3, 0.2) at the given u

    Seam: the sampler (π, u) ↦ class (1-based)."""
    probs = torch.tensor([0.1, 0.4, 0.3, 0.2], dtype=DTYPE)
    k = int(sampler(probs, torch.tensor(u, dtype=DTYPE)))
    return k == 3, f"cumulative {[round(float(c), 10) for c in torch.cumsum(probs, 0)]}, u = {fmt(u, 'g')}: class {k}"


def exponential_inverse_cdf(u: torch.Tensor, rate: float) -> torch.Tensor:
    """F⁻¹(u) = −log(1 − u)/rate for the Exponential(rate) CDF F(y) = 1 − e^(−rate·y)."""
    return -torch.log1p(-u) / rate


@behaviour("sampling.inverse-cdf.categorical", broken={
    "multiplying by the rate instead of dividing, −log(1 − u)·rate": dict(inverse_cdf=lambda u, rate: -torch.log1p(-u) * rate),
    "the CDF F(u) = 1 − e^(−rate·u) applied instead of its inverse": dict(inverse_cdf=lambda u, rate: -torch.expm1(-rate * u)),
})
def inverse_cdf_samples_have_the_cdf(rate, n, *, inverse_cdf=exponential_inverse_cdf):
    """Kolmogorov–Smirnov test of F⁻¹(u) = −log(1 − u)/rate, u ~ Uniform[0, 1], against the Exponential(rate) CDF

    Seam: the transform (u, rate) ↦ y applied to the uniforms."""
    u = torch.rand(int(n), generator=make_generator(60, CPU), dtype=DTYPE)
    result = stats.kstest(inverse_cdf(u, rate).numpy(), stats.expon(scale=1 / rate).cdf)
    return result.pvalue > FALSE_FAIL_RATE, (f"{int(n)} draws: KS p = {fmt(result.pvalue, '.3g')} (fails below {fmt(FALSE_FAIL_RATE, 'g')})"
                                             + ("" if result.pvalue > FALSE_FAIL_RATE else f", D = {fmt(result.statistic, '.3g')}"))


@behaviour("sampling.inverse-cdf.categorical", broken={
    "the branches swapped: return 1 if u < 1 − p": dict(sampler=lambda u, p: u < 1 - p),
    "return 1 if u > p (the threshold p, not 1 − p)": dict(sampler=lambda u, p: u > p),
})
def bernoulli_by_one_comparison(p, n, *, sampler=lambda u, p: u >= 1 - p):
    """z-test: the frequency of 1s from 'return 0 if u < 1 − p else 1' against p

    Seam: the one-comparison sampler (u, p) ↦ (the draw is 1)."""
    u = torch.rand(int(n), generator=make_generator(62, CPU), dtype=DTYPE)
    frequency = float(sampler(u, p).to(DTYPE).mean())
    z = (frequency - p) / math.sqrt(p * (1 - p) / int(n))
    return abs(z) <= Z_CRITICAL, f"p = {fmt(p, 'g')}, {int(n)} draws: frequency {fmt(frequency, '.5f')}, z = {fmt(z, '.2f')}"
