"""Independent numeric routes for the DDPM family (``derivations/ddpm/``).

* forward moments by simulating the kernel x_t = √α_t x_{t−1} + √β_t ε with torch (Monte Carlo,
  1e-6 false-fail rate per parameter point, 3 parameter points);
* the posterior by Gaussian conditioning of the joint (x_{t−1}, x_t) | x_0, whose moments follow
  from the forward definitions (Cov(x_{t−1}, x_t) = √α_t Var(x_{t−1})), not by completing the
  square;
* the loss weight with torch ``kl_divergence``; Tweedie with autograd of the noisy marginal;
* ᾱ_T by ``torch.cumprod`` of the schedule and by two simulated forward chains; "x_T ≈ N(0, I)"
  per noise schedule (behaviour checks, on the schedules of ``reference_models/ddpm.py``);
* the ELBO of the linear-Gaussian chain from the joint Gaussians q(x_{1:T}|x_0), p(x_{0:T}) (no KL
  chain) and by Monte Carlo over forward trajectories of log p(x_{0:T}) − log q(x_{1:T}|x_0) (the
  definition); at larger T the reference chain (``reference_models/linear_gaussian_chain.py``)
  runs the behaviour checks of the chain's sources.
"""

from __future__ import annotations

import functools
import math

import torch
from torch.distributions import MultivariateNormal, Normal, kl_divergence

from derivspec.core.numbers import fmt
from derivspec.numerics.accuracy import Approximate
from derivspec.numerics.checks import elementwise_grad
from derivspec.numerics.montecarlo import FALSE_FAIL_RATE, Integrand, monte_carlo_check, standard_normal
from derivspec.numerics.routes import behaviour, monte_carlo, reference
from derivspec.reference_models import linear_gaussian_chain as lgc
from derivspec.reference_models.ddpm import cosine_schedule, linear_schedule, simulate_forward
from derivspec.reference_models.device import DTYPE, make_generator

CPU = torch.device("cpu")


# Each Monte Carlo route is an integrand of uniforms, the noise ε = Φ⁻¹(u) (numerics/montecarlo.py
# chooses plain, antithetic or RQMC sampling, with or without control variates on ε).

# --- the forward marginal ----------------------------------------------------------------


def _one_step(x0, alpha_t, alpha_bar_prev, u):
    """x_t after one simulated step from x_{t−1} ~ N(√ᾱ_{t−1} x_0, 1 − ᾱ_{t−1}); noise from u[:, 0:2]."""
    previous = alpha_bar_prev.sqrt() * x0 + (1 - alpha_bar_prev).sqrt() * standard_normal(u[:, 0])
    return alpha_t.sqrt() * previous + (1 - alpha_t).sqrt() * standard_normal(u[:, 1])


@monte_carlo("ddpm.marginal.mean")
def one_step_mean(x0, alpha_t, alpha_bar_prev):
    """Monte Carlo: one forward step from x_{t-1} ~ N(√ᾱ_{t-1} x_0, 1 − ᾱ_{t-1}) (torch, 3 points)"""
    return Integrand(lambda u: _one_step(x0, alpha_t, alpha_bar_prev, u), dim=2)


@monte_carlo("ddpm.marginal.variance")
def one_step_second_moment(alpha_t, alpha_bar_prev):
    """Monte Carlo: one forward step from x_{t-1} ~ N(0, 1 − ᾱ_{t-1}), mean of x_t² (torch, 3 points)"""
    return Integrand(lambda u: _one_step(torch.zeros_like(alpha_t), alpha_t, alpha_bar_prev, u) ** 2, dim=2)


def _forward_steps(x0: torch.Tensor, betas, u):
    """Draws of x_T after len(betas) steps x_s = √(1 − β_s) x_{s−1} + √β_s ε_s from x_0; ε_s from u[:, s−1]."""
    x = x0.expand(u.shape[0]).clone()
    for s, beta in enumerate(betas):
        x = (1 - beta).sqrt() * x + beta.sqrt() * standard_normal(u[:, s])
    return x


@monte_carlo("ddpm.marginal.unrolled")
def three_steps_second_moment(beta1, beta2, beta3):
    """Monte Carlo: three simulated forward steps from x_0 = 0, mean of x_3² (torch, 3 points)"""
    return Integrand(lambda u: _forward_steps(torch.zeros_like(beta1), (beta1, beta2, beta3), u) ** 2, dim=3)


# --- the forward jump as code writes it, and its signal-to-noise ratio ------------------------


def jump_by_autograd(alpha_t, alpha_bar_prev):
    """(signal gain ∂x_t/∂x_0, noise standard deviation) of x_t after one forward step x_t = √α_t x_{t−1} + √β_t e_2
    from x_{t−1} = √ᾱ_{t−1} x_0 + √(1 − ᾱ_{t−1}) e_1: the step's derivatives by autograd, the independent noises'
    variances summed (no ᾱ_t written)."""
    def step(x0, e1, e2):
        previous = alpha_bar_prev.sqrt() * x0 + (1 - alpha_bar_prev).sqrt() * e1
        return alpha_t.sqrt() * previous + (1 - alpha_t).sqrt() * e2

    zeros = torch.zeros_like(alpha_t)
    gain = elementwise_grad(lambda v: step(v, zeros, zeros), zeros)
    noise_variance = (elementwise_grad(lambda v: step(zeros, v, zeros), zeros) ** 2
                      + elementwise_grad(lambda v: step(zeros, zeros, v), zeros) ** 2)
    return gain, noise_variance.sqrt()


@reference("ddpm.forward.add-noise")
def quantile_of_the_composed_step(x0, eps, alpha_t, alpha_bar_prev):
    """the noise's quantile Φ(ε) mapped through Normal(gain·x_0, std).icdf, gain and std of the composed forward step by autograd (torch)"""
    gain, std = jump_by_autograd(alpha_t, alpha_bar_prev)
    level = Normal(torch.zeros_like(eps), torch.ones_like(eps)).cdf(eps)
    return Normal(gain * x0, std).icdf(level)


@reference("ddpm.snr")
def squared_gain_over_noise_variance(alpha_t, alpha_bar_prev):
    """(∂x_t/∂x_0)² over the summed noise variance of the composed forward step (autograd, torch)"""
    gain, std = jump_by_autograd(alpha_t, alpha_bar_prev)
    return gain**2 / std**2


@reference("ddpm.loss.min-snr")
def min_snr_x0_loss_over_eps_loss(alpha_t, alpha_bar_prev, gamma, generator):
    """per random (x_0, ε, ε_θ): min(SNR, γ)(x_0 − x̂_0)²/(ε − ε_θ)², x̂_0 = (x_t − √(1−ᾱ)ε_θ)/√ᾱ recovered in torch, SNR by autograd of the forward step

    ε_θ = ε + δ with |δ| uniform in [0.5, 2], so the ratio has no small denominator."""
    gain, std = jump_by_autograd(alpha_t, alpha_bar_prev)
    snr = gain**2 / std**2
    x0, eps = (torch.randn(alpha_t.shape, generator=generator, dtype=DTYPE, device=alpha_t.device) for _ in range(2))
    sign = torch.where(torch.rand(alpha_t.shape, generator=generator, dtype=DTYPE, device=alpha_t.device) < 0.5, -1.0, 1.0)
    eps_theta = eps + sign * (0.5 + 1.5 * torch.rand(alpha_t.shape, generator=generator, dtype=DTYPE, device=alpha_t.device))
    xt = gain * x0 + std * eps
    x0_hat = (xt - std * eps_theta) / gain
    return torch.minimum(snr, gamma) * (x0 - x0_hat) ** 2 / (eps - eps_theta) ** 2


# --- the schedule ------------------------------------------------------------------------


@reference("ddpm.schedule.alpha-bar")
def alpha_bar_by_cumprod(beta1, beta2, beta3):
    """torch.cumprod of α_t = 1 − β_t over the schedule, last entry"""
    return torch.cumprod(1 - torch.stack([beta1, beta2, beta3], dim=-1), dim=-1)[..., -1]


@monte_carlo("ddpm.schedule.alpha-bar")
def two_chains_signal(beta1, beta2, beta3):
    """Monte Carlo: two independent simulated forward chains from x_0 = 1, mean of x_3·x_3' = E[x_3 | x_0]² (torch, 3 points)"""
    def signal_product(u):  # chain one reads u[:, 0:3], chain two u[:, 3:6]
        one = torch.ones_like(beta1)
        betas = (beta1, beta2, beta3)
        return _forward_steps(one, betas, u[:, :3]) * _forward_steps(one, betas, u[:, 3:])
    return Integrand(signal_product, dim=6)


# x_T ≈ N(0, I) is read as: the signal left in x_T | x_0 ~ N(√ᾱ_T x_0, 1 − ᾱ_T) is below 3.2 % of x_0
# (√1e-3), and the KL to N(0, 1) of a unit-scale data point is below 5e-4 nats.
PURE_NOISE_ALPHA_BAR = 1e-3
SIMULATED_CHAINS = 20_000  # x_T draws from x_0 = 1, reported as evidence (not the decision)


def alpha_bars_by_product(betas: torch.Tensor) -> torch.Tensor:
    """The lecture's ᾱ_t = Π_{s ≤ t}(1 − β_s): torch.cumprod in float64."""
    return torch.cumprod(1 - betas, dim=0)


def _ends_in_noise(name: str, betas: torch.Tensor, alpha_bar_rule) -> tuple[bool, str]:
    alpha_bar_T = float(alpha_bar_rule(betas)[-1])
    is_fraction = 0 <= alpha_bar_T < 1  # a negative ᾱ_T (e.g. 1 − Σβ_t) is below any bound and means nothing
    holds = is_fraction and alpha_bar_T < PURE_NOISE_ALPHA_BAR
    if is_fraction:
        kl = float(kl_divergence(Normal(torch.tensor(math.sqrt(alpha_bar_T), dtype=DTYPE),
                                        torch.tensor(math.sqrt(1 - alpha_bar_T), dtype=DTYPE)),
                                 Normal(torch.tensor(0.0, dtype=DTYPE), torch.tensor(1.0, dtype=DTYPE))))
        signal = (f"x_T | x_0 keeps √ᾱ_T = {fmt(math.sqrt(alpha_bar_T), '.3g')} of x_0 and KL(q(x_T | x_0 = 1) ‖ N(0, 1)) = "
                  f"{fmt(kl, '.3g')} nats")
    else:
        signal = "ᾱ_T is not in [0, 1): no q(x_T | x_0) has it"
    x_T = simulate_forward(torch.ones(SIMULATED_CHAINS, dtype=DTYPE), 1 - betas, betas.numel(), make_generator(0, CPU))
    return holds, (f"{name}: ᾱ_T = {fmt(alpha_bar_T, '.3g')} (Σβ_t = {fmt(float(betas.sum()), '.3g')}), "
                   f"{'below' if holds else 'not below'} {fmt(PURE_NOISE_ALPHA_BAR, 'g')}; {signal}; "
                   f"{SIMULATED_CHAINS} simulated chains from x_0 = 1 end with mean {fmt(float(x_T.mean()), '.3f')} and variance "
                   f"{fmt(float(x_T.var()), '.3f')} (N(0, 1): 0 and 1)")


FIRST_ORDER_PRODUCT = {"ᾱ_t = 1 − Σ_{s ≤ t} β_s (the product to first order)": dict(alpha_bar_rule=lambda betas: 1 - torch.cumsum(betas, 0))}


@behaviour("ddpm.schedule.alpha-bar", broken={
    **FIRST_ORDER_PRODUCT,
    "ᾱ_T read as α_T = 1 − β_T (the last step's α, not the product)": dict(alpha_bar_rule=lambda betas: 1 - betas),
    "β_t ten times too small (1e-5 to 2e-3: Σβ_t ≈ 1)":
        dict(schedule=lambda T, beta_1, beta_T, **kw: linear_schedule(T, beta_1 / 10, beta_T / 10, **kw)),
})
def linear_schedule_ends_in_noise(T, beta_1, beta_T, *, schedule=linear_schedule, alpha_bar_rule=alpha_bars_by_product):
    """x_T ≈ N(0, I) under a linear β schedule: ᾱ_T = Π(1 − β_t) in [0, 1e-3)

    Seams: the schedule (β_t) and the rule that makes ᾱ_t of it."""
    betas = schedule(int(T), beta_1, beta_T, device=CPU)[0]
    return _ends_in_noise(f"linear schedule, T = {int(T)}, β_t from {fmt(beta_1, 'g')} to {fmt(beta_T, 'g')}", betas, alpha_bar_rule)


@behaviour("ddpm.schedule.alpha-bar", broken={
    **FIRST_ORDER_PRODUCT,
    "β_t capped at 0.02 (the linear schedule's β_T) instead of 0.999": dict(schedule=functools.partial(cosine_schedule, max_beta=0.02)),
})
def cosine_schedule_ends_in_noise(T, s, *, schedule=cosine_schedule, alpha_bar_rule=alpha_bars_by_product):
    """x_T ≈ N(0, I) under the cosine schedule: ᾱ_T = Π(1 − β_t) in [0, 1e-3)

    Seams: the schedule (β_t) and the rule that makes ᾱ_t of it."""
    betas = schedule(int(T), s, device=CPU)[0]
    return _ends_in_noise(f"cosine schedule, T = {int(T)}, s = {fmt(s, 'g')}", betas, alpha_bar_rule)


# --- the posterior -----------------------------------------------------------------------


def conditioned_posterior(x0, xt, alpha_t, alpha_bar_prev):
    """Mean and variance of x_{t−1} | x_t, x_0 by conditioning the joint Gaussian."""
    var_prev = 1 - alpha_bar_prev
    cov = torch.stack([torch.stack([var_prev, alpha_t.sqrt() * var_prev], -1),
                       torch.stack([alpha_t.sqrt() * var_prev, alpha_t * var_prev + 1 - alpha_t], -1)], -2)
    mean_prev, mean_t = alpha_bar_prev.sqrt() * x0, (alpha_t * alpha_bar_prev).sqrt() * x0
    gain = torch.linalg.solve(cov[..., 1:, 1:], cov[..., 1:, :1])[..., 0, 0]  # Σ₂₂⁻¹ Σ₂₁
    mean = mean_prev + gain * (xt - mean_t)
    variance = cov[..., 0, 0] - gain * cov[..., 1, 0]
    return mean, variance


@reference("ddpm.posterior.variance")
def posterior_variance_by_conditioning(alpha_t, alpha_bar_prev):
    """Gaussian conditioning of the joint (x_{t-1}, x_t) | x_0 (torch linear algebra, no completing the square)"""
    zeros = torch.zeros_like(alpha_t)
    return conditioned_posterior(zeros, zeros, alpha_t, alpha_bar_prev)[1]


@reference("ddpm.posterior.mean")
def posterior_mean_by_conditioning(x0, xt, alpha_t, alpha_bar_prev):
    """Gaussian conditioning of the joint (x_{t-1}, x_t) | x_0 (torch linear algebra), 512 random points"""
    return conditioned_posterior(x0, xt, alpha_t, alpha_bar_prev)[0]


def _x0_from_noise(xt, eps, alpha_t, alpha_bar_prev):
    alpha_bar = alpha_t * alpha_bar_prev
    return (xt - (1 - alpha_bar).sqrt() * eps) / alpha_bar.sqrt()


@reference("ddpm.posterior.mean-eps")
def posterior_mean_at_recovered_x0(xt, eps, alpha_t, alpha_bar_prev):
    """Gaussian conditioning at x_0 recovered from (x_t, ε) (torch), 512 random points"""
    x0 = _x0_from_noise(xt, eps, alpha_t, alpha_bar_prev)
    return conditioned_posterior(x0, xt, alpha_t, alpha_bar_prev)[0]


# --- the loss ----------------------------------------------------------------------------


@reference("ddpm.loss.weight")
def kl_over_squared_noise_error(alpha_t, alpha_bar_prev, generator):
    """torch kl_divergence between the conditioned posterior and the ε_θ reverse step, divided by (ε − ε_θ)²

    ε_θ = ε + δ with |δ| uniform in [0.5, 2]: torch computes the KL of equal-variance Gaussians as
    ½(var_ratio + t₁ − 1 − log var_ratio), adding the mean term t₁ ∝ δ² to var_ratio = 1 and
    subtracting 1 again, which leaves t₁ with a relative error ε_mach/t₁ (and the two posterior means
    cancel to O(δ)): a near-zero δ turned round-off into a failure (1e-8 relative, under seed 29)."""
    shape, device = alpha_t.shape, alpha_t.device
    xt, eps = (torch.randn(shape, generator=generator, dtype=DTYPE, device=device) for _ in range(2))
    sign = 2 * torch.randint(0, 2, shape, generator=generator, device=device).to(DTYPE) - 1
    eps_theta = eps + sign * (0.5 + 1.5 * torch.rand(shape, generator=generator, dtype=DTYPE, device=device))
    mean, variance = conditioned_posterior(_x0_from_noise(xt, eps, alpha_t, alpha_bar_prev), xt, alpha_t, alpha_bar_prev)
    model_mean, _ = conditioned_posterior(_x0_from_noise(xt, eps_theta, alpha_t, alpha_bar_prev), xt, alpha_t, alpha_bar_prev)
    kl = kl_divergence(Normal(mean, variance.sqrt()), Normal(model_mean, variance.sqrt()))
    return kl / (eps - eps_theta) ** 2


@reference("ddpm.tweedie")
def eps_from_autograd_score(xt, alpha_bar, mu0, s0):
    """autograd of torch Normal log q_t times −√(1−ᾱ); exact check on a 2-component Gaussian mixture in property_tests/test_ddpm.py"""
    marginal = Normal(alpha_bar.sqrt() * mu0, (alpha_bar * s0**2 + 1 - alpha_bar).sqrt())
    return -(1 - alpha_bar).sqrt() * elementwise_grad(marginal.log_prob, xt)


# --- the ELBO of the linear-Gaussian chain (T = 3 in the claim) ----------------------------


def _chain(alpha1, alpha2, alpha3, a1, a2, a3, c1, c2, c3, v1, v2, v3):
    """(alphas, reverse parameters), each (..., 3)."""
    def stack(*values):
        return torch.stack(values, dim=-1)
    return stack(alpha1, alpha2, alpha3), lgc.ReverseParams(stack(a1, a2, a3), stack(c1, c2, c3), stack(v1, v2, v3))


@reference("ddpm.elbo.chain")
def elbo_from_joint_gaussians(x0, alpha1, alpha2, alpha3, a1, a2, a3, c1, c2, c3, v1, v2, v3):
    """reference chain: E_q log p(x_{0:3}) + H[q(x_{1:3}|x_0)] from the joint Gaussians (no KL chain), 512 random points"""
    alphas, params = _chain(alpha1, alpha2, alpha3, a1, a2, a3, c1, c2, c3, v1, v2, v3)
    return lgc.elbo_by_joint_gaussians_batched(x0, alphas, params)


@monte_carlo("ddpm.elbo.chain")
def elbo_over_forward_trajectories(x0, alpha1, alpha2, alpha3, a1, a2, a3, c1, c2, c3, v1, v2, v3):
    """Monte Carlo: log p(x_{0:3}) − log q(x_{1:3}|x_0) over simulated forward trajectories (the definition; torch, 3 points)"""
    alphas, params = _chain(alpha1, alpha2, alpha3, a1, a2, a3, c1, c2, c3, v1, v2, v3)
    return lambda n, generator: lgc.elbo_samples(x0, alphas, params, n, generator)


# Behaviour checks at larger T: random chains of the reference model (α_t ~ U(0.8, 0.99), a_t ~ U(0.6, 1.2),
# c_t ~ U(−0.5, 0.5), v_t ~ U(0.1, 0.6)), fixed seeds, CPU, float64.
CHAIN_CASES = ((1.5, 0), (-2.0, 1), (0.5, 2))  # (x_0, seed)
EXACT_RTOL = 1e-9  # two exact float64 routes: round-off is ~1e-14 relative; any algebraic slip is far above


def _random_chain(T: int, seed: int):
    return lgc.random_chain(T, make_generator(1000 * T + seed, CPU))


def chain_of_kls(x0, alphas: torch.Tensor, params: lgc.ReverseParams) -> float:
    """The lecture's chain L_0 − Σ_{t≥2} L_{t−1} − L_T in closed form (reference chain)."""
    return lgc.chain_elbo_closed_form(x0, alphas, params)


def _wrong_chain(variant: str):
    return lambda x0, alphas, params: lgc.wrong_chain_elbo(x0, alphas, params, variant)


@behaviour("ddpm.elbo.chain", broken={
    "the denoising KLs against q(x_{t−1} | x_t) without x_0": dict(chain=_wrong_chain("unconditioned_posterior")),
    "the KLs the other way round, KL(p ‖ q)": dict(chain=_wrong_chain("reversed_kl")),
    "the prior term KL(q(x_T | x_0) ‖ p(x_T)) left out": dict(chain=_wrong_chain("no_prior_term")),
})
def chain_of_kls_is_the_elbo(T, *, chain=chain_of_kls):
    """reference chain at larger T: the chain of KLs equals the ELBO from the joint Gaussians and Monte Carlo over trajectories

    Seam: the chain of KLs under test, (x_0, alphas, reverse kernels) -> L_0 − Σ L_{t−1} − L_T."""
    T = int(T)
    rows, holds = [], True
    for x0, seed in CHAIN_CASES:
        alphas, params = _random_chain(T, seed)
        closed = chain(x0, alphas, params)
        joint = lgc.elbo_by_joint_gaussians(x0, alphas, params)
        exact = abs(closed - joint) <= EXACT_RTOL * max(1.0, abs(joint))
        mc = monte_carlo_check(lambda n, g: lgc.elbo_samples(x0, alphas, params, n, g), closed, make_generator(seed, CPU))
        nearest_wrong = min(abs(lgc.wrong_chain_elbo(x0, alphas, params, w) - joint) for w in lgc.WRONG_CHAINS)
        holds = holds and exact and mc.passed
        rows.append(f"x_0 = {fmt(x0, 'g')}: chain {fmt(closed, '.6f')}, joint Gaussians {fmt(joint, '.6f')} (|Δ| = {fmt(abs(closed - joint), '.1e')}), "
                    f"Monte Carlo {fmt(mc.estimate, '.4f')} ± {fmt(mc.stderr, '.1g')} (n = {mc.n}, z = {fmt(mc.z, '.2f')}); the wrong chains "
                    f"({', '.join(lgc.WRONG_CHAINS)}) are ≥ {fmt(nearest_wrong, '.3g')} away")
    return holds, (f"T = {T}, {len(CHAIN_CASES)} random chains (Monte Carlo false-fail rate {fmt(FALSE_FAIL_RATE, 'g')} each): "
                   + "; ".join(rows))


def latent_posterior_kl(x0: float, alphas: torch.Tensor, params: lgc.ReverseParams, *, reverse: bool = False) -> float:
    """KL(q(x_{1:T}|x_0) ‖ p(x_{1:T}|x_0)) (``reverse``: KL(p ‖ q)), p(x_{1:T}|x_0) by conditioning the reverse joint
    Gaussian on x_0."""
    q_mean, q_cov = lgc.forward_joint(x0, alphas)
    p_mean, p_cov = lgc.reverse_joint(params)
    gain = p_cov[1:, :1] / p_cov[0, 0]
    cond_mean = p_mean[1:] + gain[:, 0] * (x0 - p_mean[0])
    cond_cov = p_cov[1:, 1:] - gain @ p_cov[:1, 1:]
    q, p = MultivariateNormal(q_mean, q_cov), MultivariateNormal(cond_mean, cond_cov)
    return float(kl_divergence(p, q) if reverse else kl_divergence(q, p))


@behaviour("ddpm.elbo.chain", broken={
    "the gap read as KL(p(x_{1:T}|x_0) ‖ q), the KL the other way round":
        dict(posterior_kl=functools.partial(latent_posterior_kl, reverse=True)),
    "an ELBO with the KL terms' sign flipped": dict(elbo=_wrong_chain("kl_sign_flipped")),
})
def elbo_bounds_the_log_likelihood(T, *, elbo=lgc.elbo_by_joint_gaussians, posterior_kl=latent_posterior_kl):
    """reference chain at larger T: log p(x_0) − ELBO = KL(q(x_{1:T}|x_0) ‖ p(x_{1:T}|x_0)) ≥ 0

    Seams: the ELBO (x_0, alphas, reverse kernels) and the KL between the latent posteriors that the gap should be."""
    T = int(T)
    rows, holds = [], True
    for x0, seed in CHAIN_CASES:
        alphas, params = _random_chain(T, seed)
        log_p = lgc.reverse_log_marginal(x0, params)
        gap = log_p - elbo(x0, alphas, params)
        kl = posterior_kl(x0, alphas, params)
        ok = gap >= -1e-12 and abs(gap - kl) <= 1e-7 * max(1.0, abs(kl))
        holds = holds and ok
        rows.append(f"x_0 = {fmt(x0, 'g')}: log p(x_0) = {fmt(log_p, '.6f')}, gap {fmt(gap, '.6f')}, KL of the latent posteriors {fmt(kl, '.6f')}")
    return holds, f"T = {T}, {len(CHAIN_CASES)} random chains, exact float64: " + "; ".join(rows)


KERNEL_PERTURBATIONS = 20


def denoising_kls(x0, alphas: torch.Tensor, params: lgc.ReverseParams, variant: str = "correct") -> torch.Tensor:
    """The chain's denoising terms KL(q(x_{t−1} | x_t, x_0) ‖ p(x_{t−1} | x_t)), t = 2..T (closed form)."""
    return lgc.chain_terms(x0, alphas, params, variant=variant)["denoising"]


def true_posterior_kernels(x0, alphas: torch.Tensor, params: lgc.ReverseParams) -> lgc.ReverseParams:
    """p(x_{t−1} | x_t) = q(x_{t−1} | x_t, x_0) for t ≥ 2; step 1 (the reconstruction) kept from ``params``."""
    return lgc.posterior_reverse_params(x0, alphas, first=(float(params.a[0]), float(params.c[0]), float(params.v[0])))


@behaviour("ddpm.elbo.chain", broken={
    "the KLs the other way round, KL(p ‖ q)": dict(kls=functools.partial(denoising_kls, variant="reversed_kl")),
    "the KLs against q(x_{t−1} | x_t) without x_0": dict(kls=functools.partial(denoising_kls, variant="unconditioned_posterior")),
    "the optimum taken as the x_0-free reversal N(√α_t x_t, β_t)":
        dict(optimum=lambda x0, alphas, params: lgc.stationary_reverse_params(alphas)),
})
def elbo_trains_the_kl_sum(T, *, kls=denoising_kls, optimum=true_posterior_kernels):
    """reference chain at larger T: ELBO + Σ_{t≥2} KL does not depend on the reverse kernels of steps t ≥ 2, and both peak at the true posteriors

    Seams: the denoising KL terms and the reverse kernels claimed optimal."""
    T = int(T)
    x0, seed = CHAIN_CASES[0]
    alphas, params = _random_chain(T, seed)
    generator = make_generator(7 * T, CPU)

    def elbo_plus_kls(p):
        return lgc.elbo_by_joint_gaussians(x0, alphas, p) + float(kls(x0, alphas, p).sum())

    best = optimum(x0, alphas, params)
    base, best_elbo = elbo_plus_kls(best), lgc.elbo_by_joint_gaussians(x0, alphas, best)
    best_kls = float(kls(x0, alphas, best).abs().max())
    drift, below = 0.0, True
    for _ in range(KERNEL_PERTURBATIONS):
        noise = 0.2 * torch.randn(3, T, generator=generator, dtype=DTYPE)
        noise[:, 0] = 0.0  # step 1, p(x_0 | x_1), is the reconstruction term: kept fixed
        other = lgc.ReverseParams(best.a + noise[0], best.c + noise[1], best.v * torch.exp(noise[2]))
        drift = max(drift, abs(elbo_plus_kls(other) - base))
        below = below and lgc.elbo_by_joint_gaussians(x0, alphas, other) < best_elbo
    holds = drift <= EXACT_RTOL * max(1.0, abs(base)) and best_kls < 1e-12 and below
    return holds, (f"T = {T}, x_0 = {fmt(x0, 'g')}: over {KERNEL_PERTURBATIONS} random reverse kernels of steps t ≥ 2, ELBO (joint "
                   f"Gaussians) + Σ KL stays at {fmt(base, '.6f')} (largest drift {fmt(drift, '.1e')}); with the true posteriors every KL is "
                   f"{fmt(best_kls, '.1e')} and the ELBO {fmt(best_elbo, '.6f')} is above every perturbed one: {below}")


# =============================================================================================
# Issue 11: parameterisations, the reverse posterior's conditioning, DDIM, schedules (appended)
# =============================================================================================

from derivspec.numerics.checks import NumericResult  # noqa: E402
from derivspec.numerics.routes import model  # noqa: E402
from derivspec.numerics.score import regression_check  # noqa: E402  (a shared least-squares χ² check)
from derivspec.reference_models import samplers  # noqa: E402
from derivspec.reference_models import score_models as sm  # noqa: E402


def _abar(alpha_t, alpha_bar_prev):
    return alpha_t * alpha_bar_prev


def _newton_solve(residual, like: torch.Tensor) -> torch.Tensor:
    """The root of a residual that is affine in its argument: one Newton step from 0, the slope by autograd."""
    zero = torch.zeros_like(like).requires_grad_(True)
    value = residual(zero)
    (slope,) = torch.autograd.grad(value.sum(), zero)
    return (-value / slope).detach()


@reference("ddpm.parameterisation.x0-from-eps")
def x0_by_inverting_the_jump(xt, eps, alpha_t, alpha_bar_prev):
    """root of the forward jump √ᾱ x_0 + √(1 − ᾱ) ε − x_t in x_0 (Newton step, slope by autograd)"""
    ab = _abar(alpha_t, alpha_bar_prev)
    return _newton_solve(lambda x0: ab.sqrt() * x0 + (1 - ab).sqrt() * eps - xt, xt)


@reference("ddpm.parameterisation.eps-from-x0")
def eps_by_inverting_the_jump(xt, x0, alpha_t, alpha_bar_prev):
    """root of the forward jump √ᾱ x_0 + √(1 − ᾱ) ε − x_t in ε (Newton step, slope by autograd)"""
    ab = _abar(alpha_t, alpha_bar_prev)
    return _newton_solve(lambda e: ab.sqrt() * x0 + (1 - ab).sqrt() * e - xt, xt)


@reference("ddpm.parameterisation.score-from-eps")
def conditional_score_at_the_jump(eps, alpha_t, alpha_bar_prev, generator):
    """autograd of torch Normal(√ᾱ x_0, √(1 − ᾱ)).log_prob at x_t = √ᾱ x_0 + √(1 − ᾱ) ε, random x_0"""
    ab = _abar(alpha_t, alpha_bar_prev)
    x0 = 3 * torch.randn(eps.shape, generator=generator, dtype=DTYPE, device=eps.device)
    xt = ab.sqrt() * x0 + (1 - ab).sqrt() * eps
    return elementwise_grad(lambda v: Normal(ab.sqrt() * x0, (1 - ab).sqrt()).log_prob(v), xt)


@reference("ddpm.parameterisation.v")
def v_as_angular_velocity(x0, eps, alpha_t, alpha_bar_prev):
    """autograd in φ of cos φ x_0 + sin φ ε at φ = arccos √ᾱ"""
    ab = _abar(alpha_t, alpha_bar_prev)
    return elementwise_grad(lambda phi: torch.cos(phi) * x0 + torch.sin(phi) * eps, torch.arccos(ab.sqrt()))


def _solve_rotation(xt, v, alpha_t, alpha_bar_prev):
    """(x_0, ε) from (x_t, v) by torch.linalg.solve of [x_t; v] = [[√ᾱ, √(1−ᾱ)], [−√(1−ᾱ), √ᾱ]] [x_0; ε]."""
    ab = _abar(alpha_t, alpha_bar_prev)
    a, s = ab.sqrt(), (1 - ab).sqrt()
    matrix = torch.stack([torch.stack([a, s], -1), torch.stack([-s, a], -1)], -2)
    solution = torch.linalg.solve(matrix, torch.stack([xt, v], -1)[..., None])[..., 0]
    return solution[..., 0], solution[..., 1]


@reference("ddpm.parameterisation.x0-from-v")
def x0_by_solving_the_rotation(xt, v, alpha_t, alpha_bar_prev):
    """torch.linalg.solve of the 2×2 system x_t = √ᾱ x_0 + √(1−ᾱ) ε, v = √ᾱ ε − √(1−ᾱ) x_0"""
    return _solve_rotation(xt, v, alpha_t, alpha_bar_prev)[0]


@reference("ddpm.parameterisation.eps-from-v")
def eps_by_solving_the_rotation(xt, v, alpha_t, alpha_bar_prev):
    """torch.linalg.solve of the 2×2 system x_t = √ᾱ x_0 + √(1−ᾱ) ε, v = √ᾱ ε − √(1−ᾱ) x_0"""
    return _solve_rotation(xt, v, alpha_t, alpha_bar_prev)[1]


@reference("ddpm.parameterisation.tweedie-x0")
def x0_posterior_mean_by_conditioning(xt, alpha_t, alpha_bar_prev, mu0, s0):
    """E[x_0 | x_t] by conditioning the joint Gaussian (x_0, x_t) with torch.linalg.solve"""
    ab = _abar(alpha_t, alpha_bar_prev)
    var_t = ab * s0**2 + 1 - ab
    gain = torch.linalg.solve(var_t[..., None, None], (ab.sqrt() * s0**2)[..., None, None])[..., 0, 0]
    return mu0 + gain * (xt - ab.sqrt() * mu0)


DENOISER_POINTS = ((0.3, 1.0, 0.7), (0.6, -0.5, 1.4), (0.95, 2.0, 0.3))  # (ᾱ, μ_0, s_0)


@model("ddpm.parameterisation.tweedie-x0", candidate_args=("xt", "alpha_t", "alpha_bar_prev", "mu0", "s0"))
def mse_trained_denoiser(candidate, generator, device):
    """the MSE-optimal denoiser by least squares of x_0 on (1, x_t) over forward samples; the candidate must be it (χ², 3 points)"""
    rows, passed = [], True
    for ab, m0, sd0 in DENOISER_POINTS:
        n = 200_000
        x0 = m0 + sd0 * torch.randn(n, generator=generator, dtype=DTYPE, device=device)
        xt = math.sqrt(ab) * x0 + math.sqrt(1 - ab) * torch.randn(n, generator=generator, dtype=DTYPE, device=device)
        full = lambda v: torch.full((n,), v, dtype=DTYPE, device=device)  # noqa: E731
        values = candidate(xt=xt, alpha_t=full(ab), alpha_bar_prev=full(1.0), mu0=full(m0), s0=full(sd0))
        ok, stat, crit = regression_check(values, x0, torch.stack([torch.ones_like(xt), xt], 1),
                                          FALSE_FAIL_RATE / len(DENOISER_POINTS))
        passed = passed and ok
        rows.append(f"ᾱ = {fmt(ab, 'g')}, μ₀ = {fmt(m0, 'g')}, s₀ = {fmt(sd0, 'g')}: χ² = {fmt(stat, '.3g')} (critical {fmt(crit, '.3g')})")
    return NumericResult(passed, "", detail="n = 200000 forward samples per point: " + "; ".join(rows))


# --- the reverse posterior conditions on x_0 ----------------------------------------------------


def _joint_prev_t(x0, alpha_t, alpha_bar_prev):
    """Mean and covariance of (x_{t−1}, x_t) | x_0 from the forward definitions."""
    var_prev = 1 - alpha_bar_prev
    cov = torch.stack([torch.stack([var_prev, alpha_t.sqrt() * var_prev], -1),
                       torch.stack([alpha_t.sqrt() * var_prev, alpha_t * var_prev + 1 - alpha_t], -1)], -2)
    mean = torch.stack([alpha_bar_prev.sqrt() * x0, (alpha_t * alpha_bar_prev).sqrt() * x0], -1)
    return mean, cov


@reference("ddpm.reverse.bayes")
def conditional_log_density_from_the_joint(x_prev, xt, x0, alpha_t, alpha_bar_prev):
    """torch MultivariateNormal of (x_{t−1}, x_t) | x_0: joint log_prob minus the log_prob of x_t | x_0"""
    mean, cov = _joint_prev_t(x0, alpha_t, alpha_bar_prev)
    joint = MultivariateNormal(mean, covariance_matrix=cov).log_prob(torch.stack([x_prev, xt], -1))
    return joint - Normal(mean[..., 1], cov[..., 1, 1].sqrt()).log_prob(xt)


@reference("ddpm.reverse.marginal-variance")
def reverse_kernel_variance_from_the_joint(alpha_t, alpha_bar_prev, s0):
    """Var[x_{t−1} | x_t] by the Schur complement of the 3-D joint Gaussian (x_0, x_{t−1}, x_t), x_0 ~ N(0, s_0²)"""
    ab_prev, ab_t = alpha_bar_prev, alpha_t * alpha_bar_prev
    # x_{t−1} = √ᾱ_{t−1} x_0 + √(1−ᾱ_{t−1}) e_1, x_t = √α_t x_{t−1} + √(1−α_t) e_2: a linear map of (x_0, e_1, e_2)
    zero = torch.zeros_like(alpha_t)
    rows = torch.stack([torch.stack([torch.ones_like(alpha_t), zero, zero], -1),
                        torch.stack([ab_prev.sqrt(), (1 - ab_prev).sqrt(), zero], -1),
                        torch.stack([ab_t.sqrt(), (alpha_t * (1 - ab_prev)).sqrt(), (1 - alpha_t).sqrt()], -1)], -2)
    source = torch.diag_embed(torch.stack([s0**2, torch.ones_like(s0), torch.ones_like(s0)], -1))
    cov = rows @ source @ rows.transpose(-1, -2)
    return cov[..., 1, 1] - cov[..., 1, 2] ** 2 / cov[..., 2, 2]


def _x0_free_posterior(x0, xt, alpha_t, alpha_bar_prev):
    """A wrong reverse posterior: Bayes without x_0 under data N(0, 1), N(√α_t x_t, β_t) (mean, variance)."""
    return alpha_t.sqrt() * xt, 1 - alpha_t


@behaviour("ddpm.reverse.bayes", broken={
    "the reverse posterior without x_0, N(√α_t x_t, β_t) (Bayes under data N(0, 1))": dict(posterior=_x0_free_posterior),
})
@functools.lru_cache(maxsize=None)
def reverse_posterior_depends_on_x0(alpha_t, alpha_bar_prev, *, posterior=conditioned_posterior):
    """at a fixed x_t, q(x_{t−1} | x_t, x_0) moves with x_0; the x_0-free q(x_{t−1} | x_t) (data N(0, 1)) is yet another kernel

    Seam: the reverse posterior (x_0, x_t, α_t, ᾱ_{t−1}) -> (mean, variance)."""
    a, abp = torch.tensor(alpha_t, dtype=DTYPE), torch.tensor(alpha_bar_prev, dtype=DTYPE)
    xt = torch.tensor(0.5, dtype=DTYPE)
    means = [float(posterior(torch.tensor(x0, dtype=DTYPE), xt, a, abp)[0]) for x0 in (-2.0, 0.0, 2.0)]
    # data N(0, 1): every q(x_s) = N(0, 1), so (x_{t−1}, x_t) has correlation √α_t and E[x_{t−1} | x_t] = √α_t x_t
    free_mean = float(a.sqrt() * xt)
    spread = max(means) - min(means)
    holds = spread > 1e-3
    return holds, (f"α_t = {fmt(alpha_t, 'g')}, ᾱ_{{t−1}} = {fmt(alpha_bar_prev, 'g')}, x_t = 0.5: E[x_{{t−1}} | x_t, x_0] = "
                   f"{', '.join(f'{m:.4f}' for m in means)} for x_0 = −2, 0, 2 (Gaussian conditioning); without x_0, with "
                   f"data N(0, 1), E[x_{{t−1}} | x_t] = {fmt(free_mean, '.4f')}: the reverse posterior is a function of x_0")


def forward_step(x_prev, x0, alpha_t, alpha_bar_prev, noise):
    """The lecture's kernel q(x_t | x_{t−1}): x_t = √α_t x_{t−1} + √(1 − α_t) ε."""
    return math.sqrt(alpha_t) * x_prev + math.sqrt(1 - alpha_t) * noise


@behaviour("ddpm.reverse.bayes", broken={
    "x_t drawn by the jump from x_0, √ᾱ_t x_0 + √(1 − ᾱ_t) ε, not by a step from x_{t−1}":
        dict(step=lambda x_prev, x0, alpha_t, alpha_bar_prev, noise:
             math.sqrt(alpha_t * alpha_bar_prev) * x0 + math.sqrt(1 - alpha_t * alpha_bar_prev) * noise),
    "a kernel that keeps a little of x_0: √α_t x_{t−1} + 0.1 x_0 + √(1 − α_t) ε":
        dict(step=lambda x_prev, x0, alpha_t, alpha_bar_prev, noise:
             math.sqrt(alpha_t) * x_prev + 0.1 * x0 + math.sqrt(1 - alpha_t) * noise),
})
@functools.lru_cache(maxsize=None)
def forward_chain_is_markov(alpha_t, alpha_bar_prev, *, step=forward_step):
    """simulated (x_0, x_{t−1}, x_t): x_t is uncorrelated with x_0 given x_{t−1} (partial correlation, Fisher z-test)

    Seam: the forward step (x_{t−1}, x_0, α_t, ᾱ_{t−1}, ε) -> x_t."""
    g = make_generator(21, CPU)
    n = 200_000
    x0 = torch.randn(n, generator=g, dtype=DTYPE)
    x_prev = math.sqrt(alpha_bar_prev) * x0 + math.sqrt(1 - alpha_bar_prev) * torch.randn(n, generator=g, dtype=DTYPE)
    xt = step(x_prev, x0, alpha_t, alpha_bar_prev, torch.randn(n, generator=g, dtype=DTYPE))
    corr = torch.corrcoef(torch.stack([x0, x_prev, xt]))
    r01, r02, r12 = float(corr[0, 1]), float(corr[0, 2]), float(corr[1, 2])
    partial = (r02 - r01 * r12) / math.sqrt((1 - r01**2) * (1 - r12**2))
    z = math.atanh(partial) * math.sqrt(n - 4)
    critical = samplers.z_critical(FALSE_FAIL_RATE)
    return abs(z) <= critical, (f"n = {n} simulated chains: corr(x_0, x_t) = {fmt(r02, '.4f')}, but the partial correlation given "
                                f"x_{{t−1}} is {fmt(partial, '+.5f')} (Fisher z = {fmt(z, '+.2f')}, critical {fmt(critical, '.2f')}): q(x_t | x_{{t−1}}, x_0) "
                                f"= q(x_t | x_{{t−1}})")


def forward_log_density(x_prev, xt, forward_mean, forward_std, reverse: Normal):
    """The notes' numerator log q(x_t | x_{t−1}): a density of x_t."""
    return Normal(forward_mean, forward_std).log_prob(xt)


@behaviour("ddpm.reverse.bayes", broken={
    "the numerator paired with the same variable, log q(x_{t−1} | x_t, x_0) (a true KL)":
        dict(numerator=lambda x_prev, xt, forward_mean, forward_std, reverse: reverse.log_prob(x_prev)),
})
@functools.lru_cache(maxsize=None)
def ratio_over_different_variables_is_not_a_kl(alpha_t, alpha_bar_prev, *, numerator=forward_log_density):
    """E_q[log q(x_t|x_{t−1}) − log p(x_{t−1}|x_t)] is negative even for p the true reverse posterior: no KL is

    Seam: the numerator's log-density (the notes': q(x_t | x_{t−1}), a density of the other variable)."""
    g = make_generator(22, CPU)
    n = 400_000
    x0 = torch.zeros(n, dtype=DTYPE)
    x_prev = math.sqrt(1 - alpha_bar_prev) * torch.randn(n, generator=g, dtype=DTYPE)
    xt = math.sqrt(alpha_t) * x_prev + math.sqrt(1 - alpha_t) * torch.randn(n, generator=g, dtype=DTYPE)
    a, abp = torch.tensor(alpha_t, dtype=DTYPE), torch.tensor(alpha_bar_prev, dtype=DTYPE)
    mean, var = conditioned_posterior(x0, xt, a.expand(n), abp.expand(n))
    reverse = Normal(mean, var.sqrt())                # p(x_{t−1} | x_t) = q(x_{t−1} | x_t, x_0), the best reverse model
    value = numerator(x_prev, xt, math.sqrt(alpha_t) * x_prev, math.sqrt(1 - alpha_t), reverse) - reverse.log_prob(x_prev)
    estimate, se = float(value.mean()), float(value.std()) / math.sqrt(n)
    holds = estimate + samplers.z_critical(FALSE_FAIL_RATE) * se < 0
    return holds, (f"x_0 = 0, α_t = {fmt(alpha_t, 'g')}, ᾱ_{{t−1}} = {fmt(alpha_bar_prev, 'g')}, p(x_{{t−1}}|x_t) the true posterior "
                   f"q(x_{{t−1}}|x_t, x_0): E_q[log q(x_t|x_{{t−1}}) − log p(x_{{t−1}}|x_t)] = {fmt(estimate, '.4f')} ± {fmt(se, '.1g')} "
                   f"(Monte Carlo, n = {n}; exactly ½log(β̃_t/β_t) = "
                   f"{fmt(0.5 * math.log((1 - alpha_bar_prev) / (1 - alpha_t * alpha_bar_prev)), '.4f')}) < 0, impossible for a KL: the "
                   f"two log-densities are of different variables; KL(q(x_{{t−1}}|x_t,x_0) ‖ p) pairs the same variable")


# --- DDIM --------------------------------------------------------------------------------------


@reference("ddpm.ddim.eta-one")
def ddim_variance_matching_the_posterior_mean(alpha_t, alpha_bar_prev):
    """bisection on σ² for the DDIM x_t-coefficient √(1−ᾱ_{t−1}−σ²)/√(1−ᾱ_t) = ∂μ̃/∂x_t of Gaussian conditioning (autograd); error: the bracket's half-width"""
    zeros = torch.zeros_like(alpha_t)
    gain = elementwise_grad(lambda xt: conditioned_posterior(zeros, xt, alpha_t, alpha_bar_prev)[0], zeros)
    ab = alpha_t * alpha_bar_prev
    low, high = torch.zeros_like(alpha_t), 1 - alpha_bar_prev
    for _ in range(200):
        mid = (low + high) / 2
        coefficient = (1 - alpha_bar_prev - mid).clamp_min(0).sqrt() / (1 - ab).sqrt()
        low, high = torch.where(coefficient > gain, mid, low), torch.where(coefficient > gain, high, mid)
    return Approximate((low + high) / 2, (high - low) / 2, "bisection bracket half-width")


@reference("ddpm.ddim.sigma")
def eta_times_posterior_std(eta, alpha_t, alpha_bar_prev):
    """η × the standard deviation of q(x_{t−1} | x_t, x_0) by Gaussian conditioning (torch)"""
    zeros = torch.zeros_like(alpha_t)
    return eta * conditioned_posterior(zeros, zeros, alpha_t, alpha_bar_prev)[1].sqrt()


@monte_carlo("ddpm.ddim.marginal")
def ddim_step_from_the_forward_marginal(eta, alpha_t, alpha_bar_prev):
    """Monte Carlo: x_t ~ q(x_t | x_0 = 0.7), one DDIM step with the true ε and σ = η√β̃ (sampler code), mean of (x_{t−1} − √ᾱ_{t−1}x_0)² (3 points)"""
    ab_t, ab_prev = float(alpha_t * alpha_bar_prev), float(alpha_bar_prev)

    def draw(n, generator):
        x0 = torch.full((n,), 0.7, dtype=DTYPE, device=eta.device)
        eps = torch.randn(n, generator=generator, dtype=DTYPE, device=eta.device)
        xt = math.sqrt(ab_t) * x0 + math.sqrt(1 - ab_t) * eps
        x_prev = samplers.ddim_step(xt, eps, ab_t, ab_prev, float(eta), generator)
        return (x_prev - math.sqrt(ab_prev) * x0) ** 2
    return draw


@reference("ddpm.ddim.mean")
def ddim_kernel_by_moment_matching(xt, eps, eta, alpha_t, alpha_bar_prev):
    """the Gaussian kernel N(a·x_0 + b·x_t, σ²) that keeps q(x_{t−1}|x_0) = N(√ᾱ_{t−1}x_0, 1 − ᾱ_{t−1}) for x_t ~ q(x_t|x_0): b from the variance, a from the mean, σ² = η²·Var[x_{t−1}|x_t,x_0] by Gaussian conditioning, at x_0 recovered from (x_t, ε) (torch)"""
    gain, std = jump_by_autograd(alpha_t, alpha_bar_prev)  # √ᾱ_t and √(1 − ᾱ_t) of the composed forward step
    zeros = torch.zeros_like(alpha_t)
    noise_variance = eta**2 * conditioned_posterior(zeros, zeros, alpha_t, alpha_bar_prev)[1]
    b = ((1 - alpha_bar_prev - noise_variance) / std**2).sqrt()   # b²(1 − ᾱ_t) + σ² = 1 − ᾱ_{t−1}
    a = alpha_bar_prev.sqrt() - b * gain                           # a + b√ᾱ_t = √ᾱ_{t−1}
    x0 = (xt - std * eps) / gain
    return a * x0 + b * xt


@reference("ddpm.ddim.mean")
def ddim_sampler_step_without_its_noise(xt, eps, eta, alpha_t, alpha_bar_prev, generator):
    """the reference sampler's step (reference_models/samplers.ddim_step) less the σ_t z it adds: z redrawn from a copy of its generator, σ_t = η × the posterior standard deviation by Gaussian conditioning"""
    zeros = torch.zeros_like(alpha_t)
    sigma = eta * conditioned_posterior(zeros, zeros, alpha_t, alpha_bar_prev)[1].sqrt()
    out = torch.empty_like(xt)
    for i in range(xt.numel()):
        replay = torch.Generator(device=generator.device)
        replay.set_state(generator.get_state())
        ab_prev = float(alpha_bar_prev[i])
        step = samplers.ddim_step(xt[i:i + 1], eps[i:i + 1], float(alpha_t[i]) * ab_prev, ab_prev, float(eta[i]), generator)
        z = torch.randn(1, generator=replay, dtype=DTYPE, device=xt.device) if float(sigma[i]) > 0 else torch.zeros(1, dtype=DTYPE)
        out[i] = step[0] - sigma[i] * z[0]
    return out


SAMPLER_T = 1000
SAMPLER_N = 4000


def exact_eps(data: sm.GaussianMixture, x: torch.Tensor, alpha_bar: float) -> torch.Tensor:
    """The lecture's ε-prediction at its optimum: E[ε | x_t] = −√(1 − ᾱ_t) ∇log q_t(x_t), exact for mixture data."""
    return data.eps(x, alpha_bar)


WRONG_EPS = {
    "ε with the wrong sign, +√(1 − ᾱ_t) ∇log q_t": dict(noise_prediction=lambda data, x, ab: -data.eps(x, ab)),
    "ε = −(1 − ᾱ_t) ∇log q_t (the variance in place of the standard deviation)":
        dict(noise_prediction=lambda data, x, ab: math.sqrt(1 - ab) * data.eps(x, ab)),
}


def _mixture_eps(T: int = SAMPLER_T, scale: float = 1.0, noise_prediction=exact_eps):
    """(two-mode data, ᾱ of the linear schedule with T steps (β scaled to keep Σβ), its ε per step by ``noise_prediction``)."""
    data = sm.bimodal_1d(CPU)
    factor = SAMPLER_T / T * scale
    alpha_bars = linear_schedule(T, 1e-4 * factor, 0.02 * factor, device=CPU)[2]
    abl = alpha_bars.tolist()
    return data, alpha_bars, (lambda x, t: noise_prediction(data, x, abl[t - 1]))


@behaviour("ddpm.ddim.marginal", broken={
    "noise left in at η = 0 (σ_t = √β̃_t, DDPM's)": dict(eta=1.0),
    **WRONG_EPS,
})
@functools.lru_cache(maxsize=None)
def ddim_is_deterministic_at_eta_zero(steps, *, eta=0.0, noise_prediction=exact_eps):
    """η = 0: the same x_T gives the same x_0 (bit for bit); η = 1 with two generators gives two; both fit the data (KS)

    Seams: the η claimed deterministic and the ε-prediction (exact ε* by default)."""
    data, alpha_bars, eps = _mixture_eps(noise_prediction=noise_prediction)
    ts = samplers.ddim_timesteps(SAMPLER_T, int(steps))
    g = make_generator(31, CPU)
    x_T = torch.randn(SAMPLER_N, 1, generator=g, dtype=DTYPE)
    first, second = (samplers.ddim_sample(eps, alpha_bars, ts, x_T, eta, g) for _ in range(2))
    noisy = [samplers.ddim_sample(eps, alpha_bars, ts, x_T, 1.0, make_generator(s, CPU)) for s in (1, 2)]
    same = bool(torch.equal(first, second))
    differ = float((noisy[0] - noisy[1]).abs().max())
    ok, d, p = samplers.ks_test(first[:, 0], data.cdf)
    return same and differ > 0.1 and ok, (
        f"two-mode data, exact ε of the T = {SAMPLER_T} schedule, {int(steps)} DDIM steps, {SAMPLER_N} samples: η = {fmt(eta, 'g')} "
        f"twice from one x_T is identical: {same}; η = 1 with two generators differs by up to {fmt(differ, '.2f')}; the η = {fmt(eta, 'g')} samples "
        f"{'pass' if ok else 'fail'} KS (D = {fmt(d, '.4f')}, p = {fmt(p, '.3g')}, false-fail rate {fmt(FALSE_FAIL_RATE, 'g')})")


def ddim_without_skipping(eps_fn, alpha_bars, timesteps, x_T, eta, generator=None):
    """A wrong few-step DDIM: each visited step t goes to the training step t − 1 (ᾱ_{t−1}), not to the previous visited one."""
    ab = alpha_bars.tolist()
    x = x_T.clone()
    for t in reversed(timesteps):
        x = samplers.ddim_step(x, eps_fn(x, t), ab[t - 1], ab[t - 2] if t > 1 else 1.0, eta, generator)
    return x


@behaviour("ddpm.ddim.marginal", broken={
    "each visited step moves one training step (ᾱ_{t−1}), not to the previous visited step": dict(sampler=ddim_without_skipping),
    **WRONG_EPS,
})
@functools.lru_cache(maxsize=None)
def ddim_few_steps_without_retraining(steps, *, sampler=samplers.ddim_sample, noise_prediction=exact_eps):
    """the ε of the T = 1000 training schedule, unchanged, sampled with DDIM on a subsequence of the steps: KS against the data

    Seams: the DDIM sampler over the subsequence and the ε-prediction (exact ε* by default)."""
    data, alpha_bars, eps = _mixture_eps(noise_prediction=noise_prediction)
    g = make_generator(32, CPU)
    x_T = torch.randn(SAMPLER_N, 1, generator=g, dtype=DTYPE)
    rows, verdict = [], None
    for count in sorted({10, 20, int(steps), 100}):
        ts = samplers.ddim_timesteps(SAMPLER_T, count)
        for eta in (0.0, 1.0):
            ok, d, p = samplers.ks_test(sampler(eps, alpha_bars, ts, x_T, eta, g)[:, 0], data.cdf)
            rows.append(f"{count} steps, η = {fmt(eta, 'g')}: D = {fmt(d, '.3f')} ({'pass' if ok else 'fail'})")
            if count == int(steps) and eta == 0.0:
                verdict = ok
    return bool(verdict), (f"two-mode data, {SAMPLER_N} samples, exact ε of the T = {SAMPLER_T} schedule (no retraining), "
                           f"KS at false-fail rate {fmt(FALSE_FAIL_RATE, 'g')} (D resolution {fmt(samplers.ks_resolution(SAMPLER_N), '.3f')}): "
                           + "; ".join(rows))


def invert_by_forward_noise(eps_fn, alpha_bars, timesteps, x0):
    """A wrong inversion: x_T drawn from q(x_T | x_0) (fresh noise), not the η = 0 map run forwards."""
    ab_T = float(alpha_bars[timesteps[-1] - 1])
    noise = torch.randn(x0.shape, generator=make_generator(330, CPU), dtype=DTYPE)
    return math.sqrt(ab_T) * x0 + math.sqrt(1 - ab_T) * noise


@behaviour("ddpm.ddim.marginal", broken={
    "x_T from the forward process q(x_T | x_0) (fresh noise) instead of the η = 0 map": dict(invert=invert_by_forward_noise),
    "ε frozen at its t = 1 value for the whole inversion":
        dict(invert=lambda eps_fn, alpha_bars, timesteps, x0:
             samplers.ddim_invert(lambda x, t: eps_fn(x0, 1), alpha_bars, timesteps, x0)),
})
@functools.lru_cache(maxsize=None)
def ddim_inverts_at_eta_zero(steps, *, invert=samplers.ddim_invert):
    """data → x_T by the η = 0 map run forwards → back: the round trip recovers the data (median error < 0.05) and x_T ≈ N(0, 1)

    Seam: the inversion (ε, ᾱ, visited steps, x_0) -> x_T."""
    data, alpha_bars, eps = _mixture_eps()
    g = make_generator(33, CPU)
    x0 = data.sample(2000, g)
    ts = samplers.ddim_timesteps(SAMPLER_T, int(steps))
    x_T = invert(eps, alpha_bars, ts, x0)
    back = samplers.ddim_sample(eps, alpha_bars, ts, x_T, 0.0)
    error = (back - x0).abs()[:, 0]
    median, q99 = float(error.median()), float(error.quantile(0.99))
    holds = median < 0.05 and abs(float(x_T.mean())) < 0.1 and abs(float(x_T.var()) - 1) < 0.1
    return holds, (f"two-mode data, 2000 points, {int(steps)} steps: round-trip error median {fmt(median, '.4f')}, 99th percentile "
                   f"{fmt(q99, '.3f')}, max {fmt(float(error.max()), '.3f')} (first-order inversion: points near the boundary between the "
                   f"modes are the worst); encoded x_T mean {fmt(float(x_T.mean()), '+.3f')}, variance {fmt(float(x_T.var()), '.3f')}")


ANCESTRAL_N = 2000


@functools.lru_cache(maxsize=None)
def _ancestral_ks(T: int, schedule: str, noise_prediction=exact_eps, cosine=cosine_schedule) -> tuple[bool, float, float]:
    """KS test of DDPM ancestral samples (σ_t² = β_t, ε by ``noise_prediction``, ANCESTRAL_N samples) against the two-mode data."""
    if schedule == "linear":
        data, alpha_bars, eps = _mixture_eps(T, noise_prediction=noise_prediction)
    else:
        data = sm.bimodal_1d(CPU)
        alpha_bars = cosine(T, 0.008, device=CPU)[2]
        abl = alpha_bars.tolist()
        eps = lambda x, t: noise_prediction(data, x, abl[t - 1])  # noqa: E731
    g = make_generator(34 + T, CPU)
    x = samplers.ddpm_ancestral(eps, alpha_bars, torch.randn(ANCESTRAL_N, 1, generator=g, dtype=DTYPE), g)
    return samplers.ks_test(x[:, 0], data.cdf)


@behaviour("ddpm.ddim.marginal", broken=WRONG_EPS)
@functools.lru_cache(maxsize=None)
def ancestral_sampler_reproduces_data(T, *, noise_prediction=exact_eps):
    """DDPM ancestral sampling x_{t−1} = μ_θ + σ_t z (σ_t² = β_t) with the exact ε from x_T ~ N(0, 1): KS against the data

    Seam: the ε-prediction in μ_θ (exact ε* by default)."""
    ok, d, p = _ancestral_ks(int(T), "linear", noise_prediction)
    return ok, (f"two-mode data 0.3N(−2, 0.4²) + 0.7N(1.5, 0.6²), T = {int(T)} (linear β, Σβ ≈ 10), {ANCESTRAL_N} "
                f"samples: KS D = {fmt(d, '.4f')}, p = {fmt(p, '.3g')} (false-fail rate {fmt(FALSE_FAIL_RATE, 'g')}, D resolution "
                f"{fmt(samplers.ks_resolution(ANCESTRAL_N), '.3f')})")


@behaviour("ddpm.ddim.marginal", broken={
    "the step count not reaching the schedule (every run on the T = 500 schedule)":
        dict(schedule=lambda T, s, **kw: cosine_schedule(500, s, **kw)),
    "ε with the wrong sign, +√(1 − ᾱ_t) ∇log q_t": WRONG_EPS["ε with the wrong sign, +√(1 − ᾱ_t) ∇log q_t"],
})
@functools.lru_cache(maxsize=None)
def more_steps_better_samples(n, *, schedule=cosine_schedule, noise_prediction=exact_eps):
    """ancestral sampling with the cosine schedule at T = 5, 50, 500: the KS distance to the data falls with T

    Seams: the schedule made for each T and the ε-prediction (exact ε* by default)."""
    rows, distances, passes = [], [], []
    for T in (5, 50, 500):
        ok, d, p = _ancestral_ks(T, "cosine", noise_prediction, schedule)
        distances.append(d)
        passes.append(ok)
        rows.append(f"T = {T}: D = {fmt(d, '.4f')} (p = {fmt(p, '.2g')})")
    holds = distances[0] > distances[2] and not passes[0] and passes[2]
    return holds, (f"two-mode data, {ANCESTRAL_N} samples per T, exact ε, cosine schedule: " + "; ".join(rows)
                   + f" (D resolution {fmt(samplers.ks_resolution(ANCESTRAL_N), '.3f')}); T network passes each. With exact scores the "
                   f"gain saturates early: beyond a few tens of steps the error is below this test's resolution")


# --- schedules ---------------------------------------------------------------------------------


@reference("ddpm.schedule.cosine")
def cosine_schedule_betas(t, T, s):
    """reference_models.ddpm.cosine_schedule(T, s) (cumprod of the clipped α), entry t"""
    values = [float(cosine_schedule(int(T_), float(s_), device=CPU)[0][int(t_) - 1])
              for t_, T_, s_ in zip(t.tolist(), T.tolist(), s.tolist())]
    return torch.tensor(values, dtype=DTYPE, device=t.device)


def _cosine_alpha_for_beta(T, s, **kw):
    """A wrong cosine schedule: β_t = ᾱ_t/ᾱ_{t−1} (α_t and β_t swapped), ᾱ the cumprod of 1 − β_t."""
    betas = 1 - cosine_schedule(T, s, **kw)[0]
    return betas, 1 - betas, torch.cumprod(1 - betas, dim=0)


@behaviour("ddpm.schedule.cosine", broken={
    "β_t = ᾱ_t/ᾱ_{t−1} (α_t and β_t swapped)": dict(schedule=_cosine_alpha_for_beta),
    "β_t not clipped at 0.999 (clipped at 1 − 1e-9: β_T ≈ 1)": dict(schedule=functools.partial(cosine_schedule, max_beta=1 - 1e-9)),
})
@functools.lru_cache(maxsize=None)
def cosine_schedule_is_a_schedule(T, s, *, schedule=cosine_schedule):
    """the cosine schedule's β_t lie in (0, 0.999], ᾱ_t decreases strictly and ends below 1e-3

    Seam: the schedule (T, s) -> (β, α, ᾱ)."""
    betas, _, alpha_bars = schedule(int(T), s, device=CPU)
    holds = bool((betas > 0).all() and (betas <= 0.999).all() and (alpha_bars[1:] < alpha_bars[:-1]).all()) \
        and float(alpha_bars[-1]) < PURE_NOISE_ALPHA_BAR
    return holds, (f"T = {int(T)}, s = {fmt(s, 'g')}: β_t from {fmt(float(betas[0]), '.2e')} to {fmt(float(betas[-1]), '.3f')} (clipped at 0.999), "
                   f"ᾱ strictly decreasing: {bool((alpha_bars[1:] < alpha_bars[:-1]).all())}, ᾱ_T = {fmt(float(alpha_bars[-1]), '.2g')}")


@behaviour("ddpm.schedule.cosine", broken={
    "the linear schedule run in place of the cosine one (no difference left)": dict(compared=linear_schedule),
})
@functools.lru_cache(maxsize=None)
def schedules_differ_in_signal_path(T, *, compared=cosine_schedule):
    """linear vs cosine: the fraction of steps spent near pure noise (ᾱ_t < 0.01) differs several-fold

    Seam: the schedule compared with the linear one (T -> (β, α, ᾱ); the cosine schedule, s = 0.008)."""
    linear = linear_schedule(int(T), 1e-4, 0.02, device=CPU)[2]
    cosine = compared(int(T), device=CPU)[2]
    f_lin, f_cos = float((linear < 0.01).to(DTYPE).mean()), float((cosine < 0.01).to(DTYPE).mean())
    half_lin, half_cos = int((linear < 0.5).nonzero()[0]) + 1, int((cosine < 0.5).nonzero()[0]) + 1
    holds = f_lin > 2 * f_cos
    return holds, (f"T = {int(T)}: ᾱ_t < 0.01 for {fmt(100 * f_lin, '.1f')} % of the linear schedule's steps and {fmt(100 * f_cos, '.1f')} % "
                   f"of the cosine's; ᾱ_t falls below ½ at t = {half_lin} (linear) and t = {half_cos} (cosine)")


@reference("ddpm.schedule.index")
def posterior_variance_by_padded_cumprod(beta1, beta2, beta3):
    """the code convention: ᾱ = cumprod(1 − β), ᾱ_prev = F.pad(ᾱ[:-1], (1, 0), value=1), β̃ = β(1 − ᾱ_prev)/(1 − ᾱ), entry t = 2"""
    betas = torch.stack([beta1, beta2, beta3], -1)
    alpha_bars = torch.cumprod(1 - betas, -1)
    previous = torch.nn.functional.pad(alpha_bars[..., :-1], (1, 0), value=1.0)
    return (betas * (1 - previous) / (1 - alpha_bars))[..., 1]


@reference("ddpm.schedule.index")
def posterior_variance_of_a_two_step_chain(beta1, beta2, beta3):
    """Gaussian conditioning of (x_1, x_2) | x_0 for the chain with β_1, β_2 (torch linear algebra)"""
    zeros = torch.zeros_like(beta1)
    return conditioned_posterior(zeros, zeros, 1 - beta2, 1 - beta1)[1]
