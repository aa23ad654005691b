r"""The diffusion / hierarchical ELBO as a chain of KLs, in a 1-D linear-Gaussian chain (executable spec).

Lecture statements it makes executable (claim ``ddpm.elbo.chain``, whose symbolic derivation is the
T = 3 case; the behaviour sources run this chain at larger T):

* 002 L443–444: ELBO = E[log p(x|z_1)] − Σ_{t=2}^T D_KL(q(z_{t−1}|z_t, x) ‖ p(z_{t−1}|z_t))
  − D_KL(q(z_T|x) ‖ p(z_T)) (:func:`chain_elbo_closed_form` against :func:`elbo_by_joint_gaussians`
  and :func:`elbo_samples`);
* 002 L536–537: the ELBO is a lower bound on log p(x) (:func:`reverse_log_marginal`);
* 003 L2166: the diffusion model (variational view) minimises Σ_t KL(q(x_{t−1}|x_t, x_0) ‖ p_θ(x_{t−1}|x_t)).

Forward (DDPM) process, x₀ a fixed data point (Ho et al. 2020, eqs. 2 and 4):

.. math::  q(x_t \mid x_{t-1}) = N(\sqrt{\alpha_t}\,x_{t-1},\ \beta_t),\quad \beta_t = 1-\alpha_t,
           \qquad q(x_t \mid x_0) = N(\sqrt{\bar\alpha_t}\,x_0,\ 1-\bar\alpha_t),\quad \bar\alpha_t = \textstyle\prod_{s\le t}\alpha_s .

Reverse model with arbitrary parameters (not necessarily optimal):
:math:`p(x_T) = N(0, 1)`, :math:`p(x_{t-1}\mid x_t) = N(a_t x_t + c_t,\ v_t)`, t = 1..T.

Posterior of the forward process (Ho et al. eqs. 6–7; Bayes' rule
q(x_{t−1}|x_t, x₀) ∝ q(x_t|x_{t−1}) q(x_{t−1}|x₀) and completing the square in x_{t−1}):

.. math::  q(x_{t-1}\mid x_t, x_0) = N(A_t x_0 + B_t x_t,\ \tilde\beta_t),\quad
           A_t = \frac{\sqrt{\bar\alpha_{t-1}}\,\beta_t}{1-\bar\alpha_t},\quad
           B_t = \frac{\sqrt{\alpha_t}\,(1-\bar\alpha_{t-1})}{1-\bar\alpha_t},\quad
           \tilde\beta_t = \frac{1-\bar\alpha_{t-1}}{1-\bar\alpha_t}\,\beta_t

(ᾱ₀ = 1, so at t = 1 it is the point mass at x₀). Since q(x_{1:T}|x₀) = q(x_T|x₀) Π_{t≥2}
q(x_{t−1}|x_t, x₀), the ELBO splits into a chain of KLs (Ho et al. 2020, eq. 5):

.. math::  \mathrm{ELBO}(x_0) = \mathbb E_q[\log p(x_{0:T}) - \log q(x_{1:T}\mid x_0)]
   = \underbrace{\mathbb E_q\log p(x_0\mid x_1)}_{L_0}
   - \sum_{t=2}^T \underbrace{\mathbb E_{q(x_t|x_0)} \mathrm{KL}(q(x_{t-1}\mid x_t,x_0)\,\|\,p(x_{t-1}\mid x_t))}_{L_{t-1}}
   - \underbrace{\mathrm{KL}(q(x_T\mid x_0)\,\|\,p(x_T))}_{L_T}.

Every term is closed form: KL(N(m₁, v₁) ‖ N(m₂, v₂)) = ½[log(v₂/v₁) + (v₁ + (m₁ − m₂)²)/v₂ − 1], and
the mean difference d = (A_t x₀ − c_t) + (B_t − a_t) x_t is affine in x_t, so with
x_t | x₀ ~ N(m_t, s_t²): E[d²] = (A_t x₀ − c_t + (B_t − a_t) m_t)² + (B_t − a_t)² s_t²; likewise
L₀ = −½ log(2π v₁) − [(x₀ − a₁m₁ − c₁)² + a₁² s₁²]/(2v₁).

Independent route: :func:`elbo_samples` draws forward trajectories and returns the per-trajectory
log p(x_{0:T}) − log q(x_{1:T}|x₀) (the definition, no KLs), for ``monte_carlo_check``.

Special cases (see the tests):

* reverse kernels set to the true posteriors, a_t = B_t, c_t = A_t x₀, v_t = β̃_t for t ≥ 2
  (:func:`posterior_reverse_params`; depends on x₀, so it is an optimum for this one data point,
  not a model of a data distribution): every L_{t−1}, t ≥ 2, is 0 and ELBO = L₀ − L_T, the
  largest value over those parameters; it is still ≤ log p(x₀);
* data x₀ ~ N(0, 1) makes the variance-preserving chain stationary; its exact reverse kernels
  q(x_{t−1}|x_t) = N(√α_t x_t, β_t) and p(x_T) = N(0, 1) give p(x_{0:T}) = q(x_{0:T}), so the bound
  is tight: ELBO(x₀) = log p(x₀) = log q(x₀) = log N(x₀; 0, 1) for every x₀ (and every trajectory),
  although the individual L_{t−1} are not 0 (:func:`stationary_reverse_params`).

:func:`reverse_log_marginal` gives the exact log p(x₀) of the linear-Gaussian reverse model
(x_{t−1} = a_t x_t + c_t + √v_t ξ from x_T ~ N(0, 1)), so ELBO ≤ log p(x₀) is checked exactly, and
:func:`elbo_by_joint_gaussians` computes the ELBO a third way, from the joint Gaussians
q(x_{1:T}|x₀) and p(x_{0:T}) (E_q log p + entropy of q; no KL chain).

Tensors are float64 on ``alphas.device``; index t − 1 of ``alphas`` and of the reverse parameters
holds step t.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import torch

from derivspec.reference_models.device import DTYPE

LOG_2PI = math.log(2 * math.pi)


class ReverseParams(NamedTuple):
    """p(x_{t−1} | x_t) = N(a[t−1] x_t + c[t−1], v[t−1]), t = 1..T (each shape (T,))."""

    a: torch.Tensor
    c: torch.Tensor
    v: torch.Tensor


# --- Gaussians ----------------------------------------------------------------------------

def log_normal(x, mean, variance):
    return -0.5 * (LOG_2PI + torch.log(variance) + (x - mean) ** 2 / variance)


def gaussian_kl(m1, v1, m2, v2):
    """KL(N(m1, v1) ‖ N(m2, v2)) for variances v1, v2."""
    return 0.5 * (torch.log(v2 / v1) + (v1 + (m1 - m2) ** 2) / v2 - 1)


def expected_gaussian_kl(shift, slope, var_from, var_to, mean_x, var_x):
    """E_x KL(N(·, var_from) ‖ N(·, var_to)) whose mean difference is shift + slope·x, x ~ N(mean_x, var_x)."""
    mean_sq = (shift + slope * mean_x) ** 2 + slope**2 * var_x
    return 0.5 * (torch.log(var_to / var_from) + (var_from + mean_sq) / var_to - 1)


# --- forward process ----------------------------------------------------------------------

def _as(value, like: torch.Tensor) -> torch.Tensor:
    return torch.as_tensor(value, dtype=DTYPE, device=like.device)


def alpha_bars(alphas: torch.Tensor) -> torch.Tensor:
    """(T + 1,) ᾱ_0 = 1, ᾱ_1, ..., ᾱ_T."""
    return torch.cat((torch.ones(1, dtype=DTYPE, device=alphas.device), torch.cumprod(alphas, 0)))


def forward_marginal(x0, alphas: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Mean and variance of q(x_t | x₀), t = 1..T: (√ᾱ_t x₀, 1 − ᾱ_t), each shape (T,)."""
    bar = alpha_bars(alphas)[1:]
    return torch.sqrt(bar) * _as(x0, alphas), 1 - bar


def posterior_coefficients(t: int, alphas: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """(A_t, B_t, β̃_t) of q(x_{t−1} | x_t, x₀) = N(A_t x₀ + B_t x_t, β̃_t), 1 ≤ t ≤ T."""
    if not 1 <= t <= alphas.shape[0]:
        raise ValueError(f"t = {t} outside 1..{alphas.shape[0]}")
    bar = alpha_bars(alphas)
    beta, prev, now = 1 - alphas[t - 1], bar[t - 1], bar[t]
    return (torch.sqrt(prev) * beta / (1 - now), torch.sqrt(alphas[t - 1]) * (1 - prev) / (1 - now),
            (1 - prev) / (1 - now) * beta)


def posterior(x0, xt, t: int, alphas: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Mean and variance of q(x_{t−1} | x_t, x₀) (variance 0 at t = 1: the point mass at x₀)."""
    A, B, var = posterior_coefficients(t, alphas)
    return A * _as(x0, alphas) + B * _as(xt, alphas), var


# --- reverse models -----------------------------------------------------------------------

def posterior_reverse_params(x0, alphas: torch.Tensor, first: tuple[float, float, float]) -> ReverseParams:
    """a_t = B_t, c_t = A_t x₀, v_t = β̃_t for t ≥ 2 (true posteriors for this x₀); step 1 = ``first``."""
    rows = [posterior_coefficients(t, alphas) for t in range(2, alphas.shape[0] + 1)]
    a = [_as(first[0], alphas)] + [B for _, B, _ in rows]
    c = [_as(first[1], alphas)] + [A * _as(x0, alphas) for A, _, _ in rows]
    v = [_as(first[2], alphas)] + [var for _, _, var in rows]
    return ReverseParams(torch.stack(a), torch.stack(c), torch.stack(v))


def stationary_reverse_params(alphas: torch.Tensor) -> ReverseParams:
    """Exact reverse kernels N(√α_t x_t, β_t) of the chain started at x₀ ~ N(0, 1)."""
    return ReverseParams(torch.sqrt(alphas), torch.zeros_like(alphas), 1 - alphas)


def random_chain(T: int, generator: torch.Generator) -> tuple[torch.Tensor, ReverseParams]:
    """α_t ~ U(0.8, 0.99), a_t ~ U(0.6, 1.2), c_t ~ U(−0.5, 0.5), v_t ~ U(0.1, 0.6) on the generator's device."""
    def uniform(low, high):
        return low + (high - low) * torch.rand(T, generator=generator, dtype=DTYPE, device=generator.device)
    alphas = uniform(0.8, 0.99)
    return alphas, ReverseParams(uniform(0.6, 1.2), uniform(-0.5, 0.5), uniform(0.1, 0.6))


def reverse_log_marginal(x0, params: ReverseParams) -> float:
    """Exact log p(x₀) = log N(x₀; m, s²), pushing N(0, 1) through x_{t−1} = a_t x_t + c_t + √v_t ξ."""
    mean, var = torch.zeros((), dtype=DTYPE, device=params.a.device), torch.ones((), dtype=DTYPE, device=params.a.device)
    for t in range(params.a.shape[0], 0, -1):
        mean, var = params.a[t - 1] * mean + params.c[t - 1], params.a[t - 1] ** 2 * var + params.v[t - 1]
    return float(log_normal(_as(x0, params.a), mean, var))


# --- the chain of KLs ---------------------------------------------------------------------

WRONG_CHAINS = ("unconditioned_posterior", "reversed_kl", "no_prior_term", "kl_sign_flipped")


def chain_terms(x0, alphas: torch.Tensor, params: ReverseParams, *, variant: str = "correct") -> dict:
    """{"reconstruction": L₀, "denoising": (T − 1,) L_{t−1} for t = 2..T, "prior": L_T}.

    ``variant`` builds the denoising terms wrongly on purpose: ``unconditioned_posterior`` uses
    q(x_{t−1}|x_t) = N(√α_t x_t, β_t) (x₀ dropped: the reversal under stationary N(0, 1) data),
    ``reversed_kl`` uses KL(p ‖ q) instead of KL(q ‖ p).
    """
    x0 = _as(x0, alphas)
    means, variances = forward_marginal(x0, alphas)
    a, c, v = params
    reconstruction = -0.5 * (LOG_2PI + torch.log(v[0])) - ((x0 - a[0] * means[0] - c[0]) ** 2
                                                           + a[0] ** 2 * variances[0]) / (2 * v[0])
    denoising = []
    for t in range(2, alphas.shape[0] + 1):
        A, B, var_q = posterior_coefficients(t, alphas)
        if variant == "unconditioned_posterior":
            A, B, var_q = torch.zeros_like(A), torch.sqrt(alphas[t - 1]), 1 - alphas[t - 1]
        var_from, var_to = (v[t - 1], var_q) if variant == "reversed_kl" else (var_q, v[t - 1])
        denoising.append(expected_gaussian_kl(A * x0 - c[t - 1], B - a[t - 1], var_from, var_to,
                                              means[t - 1], variances[t - 1]))
    prior = gaussian_kl(means[-1], variances[-1], _as(0.0, alphas), _as(1.0, alphas))
    empty = torch.zeros(0, dtype=DTYPE, device=alphas.device)
    return {"reconstruction": reconstruction, "denoising": torch.stack(denoising) if denoising else empty,
            "prior": prior}


def chain_elbo_closed_form(x0, alphas: torch.Tensor, reverse_params: ReverseParams) -> float:
    """L₀ − Σ_{t=2}^T L_{t−1} − L_T (Ho et al. 2020, eq. 5), all terms in closed form."""
    terms = chain_terms(x0, alphas, reverse_params)
    return float(terms["reconstruction"] - terms["denoising"].sum() - terms["prior"])


def wrong_chain_elbo(x0, alphas: torch.Tensor, reverse_params: ReverseParams, variant: str) -> float:
    """A plausible wrong chain (one of ``WRONG_CHAINS``), for the rejection checks."""
    if variant not in WRONG_CHAINS:
        raise ValueError(f"unknown variant {variant!r}: expected one of {WRONG_CHAINS}")
    terms = chain_terms(x0, alphas, reverse_params,
                        variant=variant if variant in ("unconditioned_posterior", "reversed_kl") else "correct")
    kl, prior = terms["denoising"].sum(), terms["prior"]
    if variant == "no_prior_term":
        prior = torch.zeros_like(prior)
    sign = 1.0 if variant == "kl_sign_flipped" else -1.0
    return float(terms["reconstruction"] + sign * (kl + prior))


# --- a route without the KL decomposition: the joint Gaussians ----------------------------

def forward_joint(x0, alphas: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Mean (T,) and covariance (T, T) of q(x_{1:T} | x₀): Cov(x_s, x_t) = √(ᾱ_t/ᾱ_s)(1 − ᾱ_s), s ≤ t."""
    mean, var = forward_marginal(x0, alphas)
    bar = alpha_bars(alphas)[1:]
    ratio = torch.sqrt(bar[None, :] / bar[:, None])  # [s, t] = √(ᾱ_t/ᾱ_s)
    upper = torch.triu(ratio * var[:, None])
    return mean, upper + upper.T - torch.diag(var)


def reverse_joint(params: ReverseParams) -> tuple[torch.Tensor, torch.Tensor]:
    """Mean (T + 1,) and covariance of p(x_{0:T}): x = μ + L ξ, ξ ~ N(0, I_{T+1}) (ξ_T drives x_T)."""
    T = params.a.shape[0]
    mean = torch.zeros(T + 1, dtype=DTYPE, device=params.a.device)
    rows = torch.zeros(T + 1, T + 1, dtype=DTYPE, device=params.a.device)
    rows[T, T] = 1.0
    for t in range(T, 0, -1):
        mean[t - 1] = params.a[t - 1] * mean[t] + params.c[t - 1]
        rows[t - 1] = params.a[t - 1] * rows[t]
        rows[t - 1, t - 1] = torch.sqrt(params.v[t - 1])
    return mean, rows @ rows.T


def elbo_by_joint_gaussians(x0, alphas: torch.Tensor, reverse_params: ReverseParams) -> float:
    """E_{q(x_{1:T}|x₀)}[log p(x_{0:T})] + H[q(x_{1:T}|x₀)] from the two joint Gaussians (no KL chain)."""
    q_mean, q_cov = forward_joint(x0, alphas)
    p_mean, p_cov = reverse_joint(reverse_params)
    T = alphas.shape[0]
    mean = torch.cat((_as(x0, alphas).reshape(1), q_mean))  # x₀ is fixed: zero variance
    cov = torch.zeros(T + 1, T + 1, dtype=DTYPE, device=alphas.device)
    cov[1:, 1:] = q_cov
    precision = torch.linalg.inv(p_cov)
    diff = mean - p_mean
    expected_log_p = -0.5 * ((T + 1) * LOG_2PI + torch.logdet(p_cov) + diff @ precision @ diff
                             + torch.trace(precision @ cov))
    entropy = 0.5 * (T * (1 + LOG_2PI) + torch.logdet(q_cov))
    return float(expected_log_p + entropy)


def elbo_by_joint_gaussians_batched(x0: torch.Tensor, alphas: torch.Tensor, reverse_params: ReverseParams) -> torch.Tensor:
    """:func:`elbo_by_joint_gaussians` for a batch of chains: x0 (B,), alphas and each reverse parameter (B, T); (B,)."""
    B, T = alphas.shape
    bar = torch.cumprod(alphas, dim=-1)
    var = 1 - bar
    q_mean = torch.sqrt(bar) * x0[:, None]
    ratio = torch.sqrt(bar[:, None, :] / bar[:, :, None])  # [b, s, t] = √(ᾱ_t/ᾱ_s)
    upper = torch.triu(ratio * var[:, :, None])
    q_cov = upper + upper.transpose(-1, -2) - torch.diag_embed(var)
    a, c, v = reverse_params
    p_mean = torch.zeros(B, T + 1, dtype=DTYPE, device=alphas.device)
    rows = torch.zeros(B, T + 1, T + 1, dtype=DTYPE, device=alphas.device)
    rows[:, T, T] = 1.0
    for t in range(T, 0, -1):
        p_mean[:, t - 1] = a[:, t - 1] * p_mean[:, t] + c[:, t - 1]
        rows[:, t - 1] = a[:, t - 1, None] * rows[:, t]
        rows[:, t - 1, t - 1] = torch.sqrt(v[:, t - 1])
    p_cov = rows @ rows.transpose(-1, -2)
    mean = torch.cat((x0[:, None], q_mean), dim=1)
    cov = torch.zeros(B, T + 1, T + 1, dtype=DTYPE, device=alphas.device)
    cov[:, 1:, 1:] = q_cov
    precision = torch.linalg.inv(p_cov)
    diff = mean - p_mean
    quadratic = torch.einsum("bi,bij,bj->b", diff, precision, diff)
    trace = torch.diagonal(precision @ cov, dim1=-2, dim2=-1).sum(-1)
    expected_log_p = -0.5 * ((T + 1) * LOG_2PI + torch.logdet(p_cov) + quadratic + trace)
    entropy = 0.5 * (T * (1 + LOG_2PI) + torch.logdet(q_cov))
    return expected_log_p + entropy


# --- Monte Carlo over forward trajectories ------------------------------------------------

def elbo_samples(x0, alphas: torch.Tensor, reverse_params: ReverseParams, n: int,
                 generator: torch.Generator) -> torch.Tensor:
    """(n,) per-trajectory log p(x_{0:T}) − log q(x_{1:T} | x₀), x_{1:T} drawn from the forward process."""
    a, c, v = reverse_params
    prev = torch.full((n,), float(x0), dtype=DTYPE, device=alphas.device)
    log_ratio = torch.zeros(n, dtype=DTYPE, device=alphas.device)
    for t in range(1, alphas.shape[0] + 1):
        beta = 1 - alphas[t - 1]
        noise = torch.randn(n, generator=generator, dtype=DTYPE, device=alphas.device)
        xt = torch.sqrt(alphas[t - 1]) * prev + torch.sqrt(beta) * noise
        log_ratio += log_normal(prev, a[t - 1] * xt + c[t - 1], v[t - 1])  # log p(x_{t−1} | x_t)
        log_ratio -= log_normal(xt, torch.sqrt(alphas[t - 1]) * prev, beta)  # log q(x_t | x_{t−1})
        prev = xt
    return log_ratio + log_normal(prev, _as(0.0, alphas), _as(1.0, alphas))  # + log p(x_T)
