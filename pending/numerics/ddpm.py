"""Independent numeric routes for the DDPM family (``derivations/ddpm.py``).

* forward moments by simulating the kernel x_t = √α_t x_{t−1} + √β_t ε with torch (Monte Carlo,
  1e-6 false-fail rate, 3 parameter points);
* the posterior by Gaussian conditioning of the joint (x_{t−1}, x_t) | x_0, whose moments follow
  from the forward definitions (Cov(x_{t−1}, x_t) = √α_t Var(x_{t−1})), not by completing the
  square;
* the loss weight with torch ``kl_divergence``; Tweedie with autograd of the noisy marginal.
"""

from __future__ import annotations

import torch
from torch.distributions import Normal, kl_divergence

from derivspec.numerics.checks import NumericContext, NumericResult, against_monte_carlo, against_reference, elementwise_grad
from derivspec.reference_models.device import DTYPE


def _noise(n, generator, device):
    return torch.randn(n, generator=generator, dtype=DTYPE, device=device)


def one_step_moment(which: str):
    """E[x_t | x_0] or Var[x_t | x_0] after one simulated step from the t−1 marginal."""
    def check(candidate, claim, ctx: NumericContext) -> NumericResult:
        def sampler(p):
            a, abp = p["alpha_t"], p["alpha_bar_prev"]
            x0 = p.get("x0", 0.0)

            def sample(n, generator):
                previous = abp**0.5 * x0 + (1 - abp) ** 0.5 * _noise(n, generator, ctx.device)
                current = a**0.5 * previous + (1 - a) ** 0.5 * _noise(n, generator, ctx.device)
                return current if which == "mean" else current**2
            return sample

        return against_monte_carlo(candidate, claim, ctx, sampler,
                                   method=f"Monte Carlo: one simulated forward step, {which} of x_t")
    return check


def unrolled_variance(candidate, claim, ctx: NumericContext) -> NumericResult:
    def sampler(p):
        def sample(n, generator):
            x = torch.zeros(n, dtype=DTYPE, device=ctx.device)
            for s in (1, 2, 3):
                beta = p[f"beta{s}"]
                x = (1 - beta) ** 0.5 * x + beta**0.5 * _noise(n, generator, ctx.device)
            return x**2
        return sample

    return against_monte_carlo(candidate, claim, ctx, sampler, method="Monte Carlo: three simulated steps from x_0 = 0, mean of x_3²")


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


def gaussian_conditioning(which: str):
    def check(candidate, claim, ctx: NumericContext) -> NumericResult:
        def reference(alpha_t, alpha_bar_prev, x0=None, xt=None):
            zeros = torch.zeros_like(alpha_t)
            mean, variance = conditioned_posterior(zeros if x0 is None else x0, zeros if xt is None else xt,
                                                   alpha_t, alpha_bar_prev)
            return mean if which == "mean" else variance

        return against_reference(candidate, claim, ctx, reference,
                                 method="Gaussian conditioning of (x_{t-1}, x_t) | x_0 (torch)")
    return check


def _x0_from_noise(xt, eps, alpha_t, alpha_bar_prev):
    alpha_bar = alpha_t * alpha_bar_prev
    return (xt - (1 - alpha_bar).sqrt() * eps) / alpha_bar.sqrt()


def mean_from_noise(candidate, claim, ctx: NumericContext) -> NumericResult:
    def reference(xt, eps, alpha_t, alpha_bar_prev):
        x0 = _x0_from_noise(xt, eps, alpha_t, alpha_bar_prev)
        return conditioned_posterior(x0, xt, alpha_t, alpha_bar_prev)[0]

    return against_reference(candidate, claim, ctx, reference,
                             method="Gaussian conditioning at x_0 = (x_t − √(1−ᾱ_t) ε)/√ᾱ_t (torch)")


def kl_weight(candidate, claim, ctx: NumericContext) -> NumericResult:
    generator = ctx.generator(salt=7)

    def reference(alpha_t, alpha_bar_prev):
        xt, eps, eps_theta = (torch.randn(alpha_t.shape, generator=generator, dtype=DTYPE, device=alpha_t.device)
                              for _ in range(3))
        mean, variance = conditioned_posterior(_x0_from_noise(xt, eps, alpha_t, alpha_bar_prev), xt, alpha_t, alpha_bar_prev)
        model_mean, _ = conditioned_posterior(_x0_from_noise(xt, eps_theta, alpha_t, alpha_bar_prev), xt, alpha_t,
                                              alpha_bar_prev)
        kl = kl_divergence(Normal(mean, variance.sqrt()), Normal(model_mean, variance.sqrt()))
        return kl / (eps - eps_theta) ** 2

    return against_reference(candidate, claim, ctx, reference,
                             method="kl_divergence(posterior, reverse step with ε_θ) / (ε − ε_θ)²")


def tweedie_routes(candidate, claim, ctx: NumericContext) -> NumericResult:
    def reference(xt, alpha_bar, mu0, s0):
        marginal = Normal(alpha_bar.sqrt() * mu0, (alpha_bar * s0**2 + 1 - alpha_bar).sqrt())
        return -(1 - alpha_bar).sqrt() * elementwise_grad(marginal.log_prob, xt)

    return against_reference(candidate, claim, ctx, reference, method="−√(1−ᾱ) × autograd score of torch Normal q_t")
