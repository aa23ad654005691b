r"""Score-based samplers as executable specifications, with goodness-of-fit tests.

Executable specification of the lecture statements (families ``score`` and ``ddpm``):

* Langevin: "x_{t+1} = x_t + (ε/2)∇ log p(x_t) + √ε η_t ... Converges to p(x) as ε → 0 and
  iterations → ∞" (004 L1149–1151), "Annealed Langevin: add noise schedule for better mixing" (L3347):
  :func:`ula` (biased for ε > 0: claim score.langevin.ula-variance), :func:`annealed_langevin`
  (Song & Ermon 2019, step ε σ_i²/σ_L² at level σ_i);
* DDPM ancestral sampling "x_{t−1} = μ_θ + σ_t z" (004 L3396–3401; 002 L528–530): :func:`ddpm_ancestral`;
* DDIM "deterministic sampling, fewer steps", "without retraining", "can invert" (004 L3428,
  L3459–3461, L3504): :func:`ddim_sample` for any η and any subsequence of the training steps,
  :func:`ddim_invert` (η = 0 run backwards);
* the SDE view (004 L3712–3714, L3736; 001 L237): :func:`reverse_sde` (Euler–Maruyama on Anderson's
  reverse-time SDE), :func:`probability_flow` (RK4 on dx/dt = f − ½g²∇log p_t) and
  :func:`probability_flow_log_likelihood` (the ODE's instantaneous change of variables);
* goodness of fit: :func:`ks_test` (one-sample Kolmogorov–Smirnov against an exact CDF) and
  :func:`mode_mass_test` (χ² on the nearest-mode counts), each failing a correct sampler with probability
  at most the stated false-fail rate (for a sampler whose discretisation bias is below the test's
  resolution at that n: the sizes used in the tests are stated with their detectable effect).

The noise-prediction and score functions are passed in (exact ones come from
``reference_models/score_models.py``). Time indices are 1-based (``alpha_bars[t − 1]`` is ᾱ_t, ᾱ_0 = 1).
Float64 unless the inputs are not; randomness only from explicit ``torch.Generator`` objects.
"""

from __future__ import annotations

import math
from typing import Callable

import torch
from torch import Tensor

from derivspec.core.lazy import lazy
from derivspec.reference_models.device import DTYPE

ndtri = lazy("scipy.special", "ndtri")
chi2, kstest = lazy("scipy.stats", "chi2"), lazy("scipy.stats", "kstest")

EpsFn = Callable[[Tensor, int], Tensor]          # ε_θ(x_t, t), t the 1-based step
ScoreFn = Callable[[Tensor], Tensor]             # ∇ log p(x)
FieldFn = Callable[[Tensor, float], Tensor]      # a drift or velocity v(x, t) in continuous time


def _noise(like: Tensor, generator: torch.Generator) -> Tensor:
    return torch.randn(like.shape, generator=generator, dtype=like.dtype, device=like.device)


# --------------------------------------------------------------------------------------------
# Langevin
# --------------------------------------------------------------------------------------------


def ula(score: ScoreFn, x0: Tensor, step: float, n_steps: int, generator: torch.Generator) -> Tensor:
    """The unadjusted Langevin algorithm x ← x + (step/2)∇log p(x) + √step z, ``n_steps`` times."""
    x = x0.clone()
    for _ in range(n_steps):
        x = x + step / 2 * score(x) + math.sqrt(step) * _noise(x, generator)
    return x


def annealed_langevin(score_at: Callable[[Tensor, float], Tensor], sigmas, steps_per_level: int, eps: float,
                      x0: Tensor, generator: torch.Generator) -> Tensor:
    """Annealed Langevin (Song & Ermon 2019, Alg. 1): for σ_1 > … > σ_L, ULA with step ε σ_i²/σ_L² on the score of
    p_{σ_i} (``score_at(x, σ_i)``), ``steps_per_level`` steps per level."""
    x = x0.clone()
    last = float(sigmas[-1])
    for sigma in sigmas:
        step = eps * float(sigma) ** 2 / last**2
        for _ in range(steps_per_level):
            x = x + step / 2 * score_at(x, float(sigma)) + math.sqrt(step) * _noise(x, generator)
    return x


# --------------------------------------------------------------------------------------------
# DDPM and DDIM
# --------------------------------------------------------------------------------------------


def ddpm_ancestral(eps_fn: EpsFn, alpha_bars: Tensor, x_T: Tensor, generator: torch.Generator,
                   variance: str = "beta") -> Tensor:
    """x_{t−1} = (x_t − β_t/√(1−ᾱ_t) ε_θ)/√α_t + σ_t z, t = T..1 (z = 0 at t = 1); σ_t² = β_t (``"beta"``) or
    β̃_t = (1−ᾱ_{t−1})β_t/(1−ᾱ_t) (``"beta_tilde"``)."""
    if variance not in ("beta", "beta_tilde"):
        raise ValueError(f"variance must be 'beta' or 'beta_tilde', got {variance!r}")
    x = x_T.clone()
    T = alpha_bars.numel()
    ab = alpha_bars.tolist()
    for t in range(T, 0, -1):
        ab_t, ab_prev = ab[t - 1], (ab[t - 2] if t > 1 else 1.0)
        alpha = ab_t / ab_prev
        beta = 1 - alpha
        x = (x - beta / math.sqrt(1 - ab_t) * eps_fn(x, t)) / math.sqrt(alpha)
        if t > 1:
            var = beta if variance == "beta" else (1 - ab_prev) * beta / (1 - ab_t)
            x = x + math.sqrt(var) * _noise(x, generator)
    return x


def ddim_timesteps(T: int, steps: int) -> list[int]:
    """``steps`` increasing 1-based training steps from 1 to T, evenly spaced (rounded)."""
    if not 1 <= steps <= T:
        raise ValueError(f"steps must lie in [1, {T}], got {steps}")
    return sorted({int(round(v)) for v in torch.linspace(1, T, steps, dtype=torch.float64).tolist()})


def ddim_step(x: Tensor, eps: Tensor, ab_t: float, ab_prev: float, eta: float, generator: torch.Generator | None) -> Tensor:
    """One DDIM update (Song et al. 2021a, eq. 12) from ᾱ_t to ᾱ_prev: x̂₀ = (x − √(1−ᾱ_t)ε)/√ᾱ_t,
    σ = η√((1−ᾱ_prev)/(1−ᾱ_t))√(1−ᾱ_t/ᾱ_prev), x' = √ᾱ_prev x̂₀ + √(1−ᾱ_prev−σ²) ε + σz."""
    x0_hat = (x - math.sqrt(1 - ab_t) * eps) / math.sqrt(ab_t)
    sigma = eta * math.sqrt((1 - ab_prev) / (1 - ab_t)) * math.sqrt(max(1 - ab_t / ab_prev, 0.0))
    out = math.sqrt(ab_prev) * x0_hat + math.sqrt(max(1 - ab_prev - sigma**2, 0.0)) * eps
    if sigma > 0:
        out = out + sigma * _noise(x, generator)
    return out


def ddim_sample(eps_fn: EpsFn, alpha_bars: Tensor, timesteps: list[int], x_T: Tensor, eta: float,
                generator: torch.Generator | None = None) -> Tensor:
    """DDIM from x at the last of ``timesteps`` down to x_0 (ᾱ_0 = 1), visiting only ``timesteps``."""
    if eta > 0 and generator is None:
        raise ValueError("eta > 0 draws noise: pass a generator")
    ab = alpha_bars.tolist()
    x = x_T.clone()
    for i in range(len(timesteps) - 1, -1, -1):
        t = timesteps[i]
        ab_prev = ab[timesteps[i - 1] - 1] if i > 0 else 1.0
        x = ddim_step(x, eps_fn(x, t), ab[t - 1], ab_prev, eta, generator)
    return x


def ddim_invert(eps_fn: EpsFn, alpha_bars: Tensor, timesteps: list[int], x0: Tensor) -> Tensor:
    """The η = 0 DDIM map run forwards, x_0 → x_T: at each step ε is evaluated at the current point (the usual
    first-order inversion), so the round trip is exact only as the step sizes shrink."""
    ab = alpha_bars.tolist()
    x = x0.clone()
    previous = 1.0
    for i, t in enumerate(timesteps):
        eps_t = eps_fn(x, timesteps[i - 1]) if i > 0 else eps_fn(x, t)
        x0_hat = (x - math.sqrt(1 - previous) * eps_t) / math.sqrt(previous)
        x = math.sqrt(ab[t - 1]) * x0_hat + math.sqrt(1 - ab[t - 1]) * eps_t
        previous = ab[t - 1]
    return x


# --------------------------------------------------------------------------------------------
# Continuous time: reverse SDE and probability-flow ODE
# --------------------------------------------------------------------------------------------


def reverse_sde(drift: FieldFn, g2: Callable[[float], float], t_end: float, x_T: Tensor, steps: int,
                generator: torch.Generator) -> Tensor:
    """Euler–Maruyama on Anderson's reverse-time SDE dx = a(x, t) dt + g dw̄ from t = t_end down to 0: each step
    x ← x − a(x, t) h + √(g²(t) h) z (dt = −h), ``a`` the drift coefficient f − g²∇log p_t."""
    h = t_end / steps
    x = x_T.clone()
    for k in range(steps):
        t = t_end - k * h
        x = x - drift(x, t) * h + math.sqrt(g2(t) * h) * _noise(x, generator)
    return x


def probability_flow(velocity: FieldFn, x: Tensor, t_start: float, t_end: float, steps: int) -> Tensor:
    """RK4 on dx/dt = u(x, t) from t_start to t_end (either direction)."""
    h = (t_end - t_start) / steps
    t = t_start
    for _ in range(steps):
        k1 = velocity(x, t)
        k2 = velocity(x + h / 2 * k1, t + h / 2)
        k3 = velocity(x + h / 2 * k2, t + h / 2)
        k4 = velocity(x + h * k3, t + h)
        x = x + h / 6 * (k1 + 2 * k2 + 2 * k3 + k4)
        t += h
    return x


def probability_flow_log_likelihood(velocity: FieldFn, divergence: FieldFn, x0: Tensor, t_end: float, steps: int,
                                    prior_log_prob: Callable[[Tensor], Tensor]) -> Tensor:
    """log p_0(x_0) = log p_T(x_T) + ∫_0^T ∂ₓu(x_t, t) dt along the ODE (instantaneous change of variables,
    d log p_t(x_t)/dt = −∂ₓu), integrated with RK4 on the pair (x_t, ∫∂ₓu)."""
    def field(state, t):
        x = state[0]
        return torch.stack([velocity(x, t), divergence(x, t)])
    state = torch.stack([x0.clone(), torch.zeros_like(x0)])
    state = probability_flow(field, state, 0.0, t_end, steps)
    return prior_log_prob(state[0]) + state[1]


# --------------------------------------------------------------------------------------------
# Goodness of fit
# --------------------------------------------------------------------------------------------


def ks_test(samples: Tensor, cdf: Callable[[Tensor], Tensor], false_fail_rate: float = 1e-6) -> tuple[bool, float, float]:
    """One-sample Kolmogorov–Smirnov test of 1-D ``samples`` against ``cdf``: (passed, D, p-value); a sampler of
    the right law fails with probability ``false_fail_rate`` (exact KS distribution, scipy)."""
    xs = samples.detach().to(torch.float64).reshape(-1).cpu()
    result = kstest(xs.numpy(), lambda v: cdf(torch.as_tensor(v, dtype=DTYPE)).numpy())
    return bool(result.pvalue > false_fail_rate), float(result.statistic), float(result.pvalue)


def ks_resolution(n: int, false_fail_rate: float = 1e-6) -> float:
    """The KS distance the test just rejects at this n and rate (asymptotic: √(−ln(rate/2)/(2n)))."""
    return math.sqrt(-math.log(false_fail_rate / 2) / (2 * n))


def mode_mass_test(samples: Tensor, means: Tensor, weights: Tensor, radius: float,
                   false_fail_rate: float = 1e-6) -> tuple[bool, list[float], float]:
    """χ² test that the fractions of samples within ``radius`` of each mode (nearest mode) are ``weights`` (the data's
    masses, computed by the caller), with the remainder as one more cell: (passed, fractions, p-value)."""
    d = torch.cdist(samples.to(DTYPE), means.to(DTYPE))
    nearest = d.argmin(1)
    inside = d.gather(1, nearest[:, None])[:, 0] <= radius
    n = samples.shape[0]
    counts = [int(((nearest == k) & inside).sum()) for k in range(means.shape[0])]
    counts.append(n - sum(counts))
    expected = [float(w) * n for w in weights] + [max(n * (1 - float(sum(weights))), 1e-9)]
    stat = sum((c - e) ** 2 / e for c, e in zip(counts, expected) if e > 1e-6)
    dof = sum(1 for e in expected if e > 1e-6) - 1
    p = float(chi2.sf(stat, dof))
    return p > false_fail_rate, [c / n for c in counts], p


def z_critical(false_fail_rate: float) -> float:
    """Two-sided critical value: P(|Z| > z) = false_fail_rate."""
    return float(-ndtri(false_fail_rate / 2))
