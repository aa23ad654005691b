r"""Metropolis–Hastings, Gibbs and Hamiltonian Monte Carlo samplers (executable specification).

Spec of the lecture statements (004 L1124–1168): MH "generates samples that asymptotically
follow the target" with α = min(1, p(x')q(x_t|x')/(p(x_t)q(x'|x_t))); Gibbs "cycles through
variables, sampling each conditional on all others"; HMC "simulates Hamiltonian dynamics using
gradients" and "reduces random-walk behavior".

* ``mh_transition_matrix``: the exact transition matrix of MH on a finite state space for a
  given acceptance-ratio rule -- detailed balance and stationarity are checked exactly;
* ``random_walk_mh``, ``gibbs_bivariate_normal``, ``hmc``: vectorised over independent chains.
  Goodness of fit uses the *final states* of many independent chains (i.i.d. draws of the
  chain's law after burn-in), compared with the target's CDF by a Kolmogorov–Smirnov test at
  the project's false-fail rate (``ks_test``); correlated draws along one chain are never fed
  to a test that assumes independence;
* ``leapfrog``: one leapfrog step (volume-preserving, time-reversible).

Measured (benchmarks/mcmc_samplers.py, CPU, 4000 chains): over seeds the KS p-values of the MH,
Gibbs and HMC final states spread over (0, 1) as they should (40 Gibbs seeds: 7.5 % below 0.05; a
KS test of the 40 p-values against uniform gives p = 0.88). HMC on a 20-D Gaussian with AR(1)
correlation 0.9 (ε = 0.12, 12 leapfrog steps, acceptance 0.96): lag-1 autocorrelation of x_1
0.51, against 0.955 for random-walk MH (scale 0.12, acceptance 0.43) given 12 steps per iteration.

Float64 on the given device; randomness from explicit generators.
"""

from __future__ import annotations

import math
from typing import Callable

import numpy as np
import torch
from torch import Tensor

from derivspec.core.lazy import lazy
from derivspec.core.numbers import fmt
from derivspec.reference_models.device import DTYPE
from derivspec.reference_models.fit_tests import ks_test as fit_ks_test
from derivspec.reference_models.fit_tests import power
from derivspec.reference_models.specification import Check, RunContext, SpecResult, specification

stats = lazy("scipy.stats")


def mh_transition_matrix(pi: Tensor, Q: Tensor, ratio: Callable[[Tensor, Tensor, Tensor, Tensor], Tensor]) -> Tensor:
    """P[x, y] = Q[x, y] min(1, ratio(π_x, π_y, Q[x,y], Q[y,x])) for y ≠ x; rows sum to 1."""
    k = pi.shape[0]
    px, py = pi[:, None].expand(k, k), pi[None, :].expand(k, k)
    alpha = torch.clamp(ratio(px, py, Q, Q.T), max=1.0)
    P = Q * alpha
    P = P - torch.diag(P.diagonal())
    return P + torch.diag(1 - P.sum(1))


def metropolis_log_ratio(log_p_new: Tensor, log_p: Tensor) -> Tensor:
    """log of p(x')/p(x): the MH ratio for a symmetric proposal (accept when log u is below it)."""
    return log_p_new - log_p


def random_walk_mh(log_density: Callable[[Tensor], Tensor], x0: Tensor, steps: int, scale: float,
                   generator: torch.Generator, *,
                   log_ratio: Callable[[Tensor, Tensor], Tensor] = metropolis_log_ratio) -> tuple[Tensor, float]:
    """Random-walk MH (symmetric Gaussian proposal) on independent chains x0 (C,) or (C, D);
    returns the final states and the acceptance rate. ``log_ratio(log p(x'), log p(x))`` is the
    acceptance rule (accept when log u < it)."""
    x, log_p = x0.clone(), log_density(x0)
    accepted = 0.0
    for _ in range(steps):
        proposal = x + scale * torch.randn(x.shape, generator=generator, dtype=DTYPE, device=x.device)
        log_p_new = log_density(proposal)
        u = torch.rand(log_p.shape, generator=generator, dtype=DTYPE, device=x.device)
        accept = u.log() < log_ratio(log_p_new, log_p)
        mask = accept if x.dim() == 1 else accept[:, None]
        x, log_p = torch.where(mask, proposal, x), torch.where(accept, log_p_new, log_p)
        accepted += float(accept.to(DTYPE).mean())
    return x, accepted / steps


def gaussian_conditional(mu_a: float, mu_b: float, s_a: float, s_b: float, rho: float, x_b: Tensor) -> tuple[Tensor, float]:
    """x_a | x_b ~ N(μ_a + ρ s_a(x_b − μ_b)/s_b, s_a²(1 − ρ²)) of a bivariate normal: (mean, standard deviation)."""
    return mu_a + rho * s_a * (x_b - mu_b) / s_b, s_a * math.sqrt(1 - rho**2)


def gibbs_bivariate_normal(mu1: float, mu2: float, s1: float, s2: float, rho: float, x0: Tensor, sweeps: int,
                           generator: torch.Generator, *, conditional=gaussian_conditional) -> Tensor:
    """Systematic-scan Gibbs: x1 | x2, then x2 | x1, each drawn from ``conditional`` (default the
    Gaussian conditional N(μ1 + ρ s1(x2−μ2)/s2, s1²(1−ρ²))); x0 (C, 2)."""
    x1, x2 = x0[:, 0].clone(), x0[:, 1].clone()
    for _ in range(sweeps):
        mean, sd = conditional(mu1, mu2, s1, s2, rho, x2)
        x1 = mean + sd * torch.randn(x1.shape, generator=generator, dtype=DTYPE, device=x0.device)
        mean, sd = conditional(mu2, mu1, s2, s1, rho, x1)
        x2 = mean + sd * torch.randn(x2.shape, generator=generator, dtype=DTYPE, device=x0.device)
    return torch.stack([x1, x2], 1)


def leapfrog(q: Tensor, p: Tensor, eps: float, grad_u: Callable[[Tensor], Tensor], steps: int = 1) -> tuple[Tensor, Tensor]:
    """``steps`` leapfrog steps of H = U(q) + |p|²/2."""
    p = p - eps / 2 * grad_u(q)
    for i in range(steps):
        q = q + eps * p
        if i < steps - 1:
            p = p - eps * grad_u(q)
    p = p - eps / 2 * grad_u(q)
    return q, p


def hmc(potential: Callable[[Tensor], Tensor], grad_u: Callable[[Tensor], Tensor], x0: Tensor, eps: float,
        path: int, iterations: int, generator: torch.Generator, keep: bool = False) -> tuple[Tensor, float]:
    """HMC on independent chains x0 (C, D): fresh momentum, ``path`` leapfrog steps, Metropolis
    correction. Returns the final states (or the whole chain (T, C, D) with keep=True) and the
    acceptance rate."""
    x = x0.clone()
    chain, accepted = [], 0.0
    for _ in range(iterations):
        p = torch.randn(x.shape, generator=generator, dtype=DTYPE, device=x.device)
        q_new, p_new = leapfrog(x, p, eps, grad_u, path)
        log_accept = potential(x) + 0.5 * (p**2).sum(-1) - potential(q_new) - 0.5 * (p_new**2).sum(-1)
        u = torch.rand(log_accept.shape, generator=generator, dtype=DTYPE, device=x.device)
        accept = u.log() < log_accept
        x = torch.where(accept[:, None], q_new, x)
        accepted += float(accept.to(DTYPE).mean())
        if keep:
            chain.append(x)
    return (torch.stack(chain) if keep else x), accepted / iterations


def ks_test(samples: Tensor, cdf: Callable[[np.ndarray], np.ndarray]) -> tuple[float, float]:
    """Kolmogorov–Smirnov statistic and p-value of i.i.d. samples against a CDF."""
    result = stats.kstest(samples.detach().cpu().numpy(), cdf)
    return float(result.statistic), float(result.pvalue)


def lag1_autocorrelation(chain: Tensor) -> float:
    """Lag-1 autocorrelation of a scalar chain (T, C), averaged over chains."""
    centred = chain - chain.mean(0)
    return float((centred[1:] * centred[:-1]).mean() / (centred**2).mean())


def hastings_log_ratio(log_p_new: Tensor, log_p: Tensor, log_q_back: Tensor, log_q_forward: Tensor) -> Tensor:
    """log of p(x')q(x_t|x')/(p(x_t)q(x'|x_t)) (004 L1128–1130)."""
    return log_p_new - log_p + log_q_back - log_q_forward


def metropolis_hastings(log_density: Callable[[Tensor], Tensor], propose: Callable[[Tensor, torch.Generator], Tensor],
                        log_q: Callable[[Tensor, Tensor], Tensor], x0: Tensor, steps: int, generator: torch.Generator, *,
                        log_ratio=hastings_log_ratio) -> tuple[Tensor, float]:
    """MH on independent chains x0 (C,) with any proposal: ``propose(x, generator)`` draws x' ~ q(·|x) and
    ``log_q(to, frm)`` is log q(to | frm); ``log_ratio(log p(x'), log p(x), log q(x|x'), log q(x'|x))`` is the
    acceptance rule (default :func:`hastings_log_ratio`). Returns the final states and the acceptance rate."""
    x, log_p = x0.clone(), log_density(x0)
    accepted = 0.0
    for _ in range(steps):
        proposal = propose(x, generator)
        log_p_new = log_density(proposal)
        u = torch.rand(x.shape, generator=generator, dtype=DTYPE, device=x.device)
        accept = u.log() < log_ratio(log_p_new, log_p, log_q(x, proposal), log_q(proposal, x))
        x, log_p = torch.where(accept, proposal, x), torch.where(accept, log_p_new, log_p)
        accepted += float(accept.to(DTYPE).mean())
    return x, accepted / steps


# --- executable specification: MH, Langevin and importance sampling (reference_models/mcmc.py) ---------------------------

# Target: a two-component 1-D mixture with an exact CDF (unimodal enough for Langevin to mix in 2,000 steps).
SAMPLER_WEIGHTS, SAMPLER_MEANS, SAMPLER_SDS = (0.3, 0.7), (-1.0, 0.8), (0.8, 1.0)
SAMPLER_FALSE_FAIL_RATE = 1e-6
MH_PROPOSAL = (1.0, 1.3)  # independence proposal q(x'|x) = N(x'; 1, 1.3²): asymmetric, q(x'|x) ≠ q(x|x')
LANGEVIN_STEP = 0.05  # ULA's stationary law is off by O(ε): for a N(μ, σ²) target its sd is off by ε/(8σ²) ≈ 1 %
# z ~ N(0, 1), x | z ~ N(1.2 z, 0.7²) at x = 1.5: the posterior is N(0.93, 0.254). The proposal q = N(0.7, 0.3) is
# wider than it, so the weights p/q are bounded (the CLT applies); it is narrower than 1.5 × 0.254, so the
# broken weights q/p have a finite variance too and the z-test sees their mean E_q[q/p] ≥ 1/p(x) instead of p(x).
IS_MODEL = dict(x=1.5, w=1.2, s=0.7, m=0.7, v=0.3)


def _parameters(x: Tensor) -> tuple[Tensor, Tensor, Tensor]:
    """The mixture's weights, means and sds, shaped (2, 1, ..., 1) to broadcast against x."""
    return tuple(torch.tensor(v, dtype=DTYPE, device=x.device).reshape(-1, *(1,) * x.dim())
                 for v in (SAMPLER_WEIGHTS, SAMPLER_MEANS, SAMPLER_SDS))


def _components(x: Tensor) -> Tensor:
    """log w_k + log N(x; μ_k, σ_k²), shape (2, *x.shape): the component first, so that the sums and softmaxes over
    it run over contiguous rows (over a last axis of length 2 torch's softmax is ~15x slower on the CPU)."""
    w, mu, sd = _parameters(x)
    return w.log() - sd.log() - 0.5 * math.log(2 * math.pi) - 0.5 * ((x - mu) / sd) ** 2


def sampler_log_density(x: Tensor) -> Tensor:
    return torch.logsumexp(_components(x), 0)


def sampler_score(x: Tensor) -> Tensor:
    """∇ log p(x) = Σ_k r_k(x) (μ_k − x)/σ_k², r_k the responsibilities."""
    _, mu, sd = _parameters(x)
    return (torch.softmax(_components(x), 0) * (mu - x) / sd**2).sum(0)


def sampler_cdf(x: np.ndarray) -> np.ndarray:
    return sum(w * stats.norm.cdf(x, m, s) for w, m, s in zip(SAMPLER_WEIGHTS, SAMPLER_MEANS, SAMPLER_SDS))


def metropolis_log_ratio_only(log_p_new: Tensor, log_p: Tensor, log_q_back: Tensor, log_q_forward: Tensor) -> Tensor:
    """A broken rule: p(x')/p(x_t) without the proposal correction (wrong for an asymmetric proposal)."""
    return log_p_new - log_p


def mh_ks(chains: int, steps: int, generator: torch.Generator, device, *, log_ratio=hastings_log_ratio):
    """KS test of the final states of ``chains`` independent MH chains (independence proposal N(0.5, 2²),
    start N(0, 1)) against the target: one draw per chain, so the effective sample size is ``chains``."""
    loc, scale = MH_PROPOSAL
    x0 = torch.randn(chains, generator=generator, dtype=DTYPE, device=device)
    x, _ = metropolis_hastings(sampler_log_density,
                               lambda x, g: loc + scale * torch.randn(x.shape, generator=g, dtype=DTYPE, device=x.device),
                               lambda to, frm: torch.distributions.Normal(loc, scale).log_prob(to), x0, steps, generator,
                               log_ratio=log_ratio)
    return fit_ks_test(x, sampler_cdf, SAMPLER_FALSE_FAIL_RATE)


def langevin_ks(chains: int, steps: int, generator: torch.Generator, device, *, score=sampler_score):
    """KS test of the final states of ``chains`` independent ULA chains (004 L1149–1151, step ε =
    LANGEVIN_STEP, start N(0, 1)); ``score`` is the score under test. One draw per chain: ESS = ``chains``."""
    from derivspec.reference_models.samplers import ula

    x0 = torch.randn(chains, generator=generator, dtype=DTYPE, device=device)
    x = ula(score, x0, LANGEVIN_STEP, steps, generator)
    return fit_ks_test(x, sampler_cdf, SAMPLER_FALSE_FAIL_RATE)


def importance_z_test(n: int, generator: torch.Generator, device, *, log_weight=None):
    """CLT z-test of the importance-sampling estimate of p(x) (004 L1291–1297) against N(x; 0, w² + s²)."""
    from derivspec.reference_models.importance import clt_test, importance_log_weight, marginal_likelihood_weights

    weights = marginal_likelihood_weights(**IS_MODEL, n=n, generator=generator, device=device,
                                          log_weight=log_weight or importance_log_weight)
    p = IS_MODEL
    exact = float(torch.distributions.Normal(0.0, math.sqrt(p["w"] ** 2 + p["s"] ** 2)).log_prob(torch.tensor(p["x"])).exp())
    return clt_test(float(weights.mean()), exact, float(weights.std()) / math.sqrt(n), n, SAMPLER_FALSE_FAIL_RATE)


@specification("samplers", "MH, Langevin and importance sampling on targets with known laws", family="sampling", steps=3,
               report="full",
               statements="Metropolis–Hastings with α = min(1, p(x')q(x_t|x')/(p(x_t)q(x'|x_t))) samples the target "
               "asymptotically (004 L1124–1132); Langevin x_{t+1} = x_t + (ε/2)∇log p(x_t) + √ε η_t converges to p as "
               "ε → 0 (004 L1147–1151); p(x) = E_q[p(x, z)/q(z)] estimated by the mean of the weights (004 L1291–1297)")
def run_samplers(ctx: RunContext) -> SpecResult:
    """Quick: 4,000 chains (MH 200 steps, ULA 1,500 steps), 20,000 importance draws, 5 power replicates."""
    from derivspec.reference_models.importance import inverted_log_weight

    result = ctx.result("samplers")
    chains, mh_steps, ula_steps, n_is, reps = (4000, 200, 1500, 20_000, 5) if ctx.quick else (10_000, 400, 2000, 200_000, 10)
    ctx.step("Metropolis–Hastings with an asymmetric proposal (KS)")
    test = mh_ks(chains, mh_steps, ctx.generator(1), ctx.device)
    alt = power(lambda r: mh_ks(chains, mh_steps, ctx.generator(100 + r), ctx.device, log_ratio=metropolis_log_ratio_only),
                "acceptance p(x')/p(x_t) without the proposal correction", reps)
    result.checks.append(Check(f"MH with the Hastings correction samples the target (independence proposal "
                               f"N({fmt(MH_PROPOSAL[0], 'g')}, {fmt(MH_PROPOSAL[1], 'g')}²))",
                               test.passed, f"{test.describe()}; one state per chain after {mh_steps} steps, effective "
                               f"sample size {chains:,}; {alt.describe()}", test=test, power=alt))
    ctx.step("unadjusted Langevin (KS)")
    test = langevin_ks(chains, ula_steps, ctx.generator(2), ctx.device)
    alt = power(lambda r: langevin_ks(chains, ula_steps, ctx.generator(200 + r), ctx.device,
                                      score=lambda x: -sampler_score(x)), "Langevin with the score's sign flipped", reps)
    result.checks.append(Check(f"Langevin with ε = {LANGEVIN_STEP} samples the target within the KS resolution", test.passed,
                               f"{test.describe()}; one state per chain after {ula_steps} steps, effective sample size "
                               f"{chains:,}; {alt.describe()}", test=test, power=alt))
    ctx.step("importance sampling of p(x) (CLT)")
    test = importance_z_test(n_is, ctx.generator(3), ctx.device)
    alt = power(lambda r: importance_z_test(n_is, ctx.generator(300 + r), ctx.device, log_weight=inverted_log_weight),
                "weights q/p (inverted)", reps)
    result.checks.append(Check.tested("the mean of p(x, z_k)/q(z_k) estimates p(x) (CLT interval)", test, alt))
    return result
