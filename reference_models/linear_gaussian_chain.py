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

from derivspec.core.numbers import fmt
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
# the wrong chain the executable specification names for its power: the KLs built with the forward variance β_t
# in place of the posterior variance β̃_t = β_t (1 − ᾱ_{t−1})/(1 − ᾱ_t) of q(x_{t−1} | x_t, x₀)
BETA_VARIANCE = "posterior_variance_beta"


def chain_terms(x0, alphas: torch.Tensor, params: ReverseParams, *, variant: str = "correct") -> dict:
    """{"reconstruction": L₀, "denoising": (T − 1,) L_{t−1} for t = 2..T, "prior": L_T}.

    ``variant`` builds the denoising terms wrongly on purpose: ``unconditioned_posterior`` uses
    q(x_{t−1}|x_t) = N(√α_t x_t, β_t) (x₀ dropped: the reversal under stationary N(0, 1) data),
    ``reversed_kl`` uses KL(p ‖ q) instead of KL(q ‖ p), ``posterior_variance_beta`` (:data:`BETA_VARIANCE`)
    gives q(x_{t−1}|x_t, x₀) the variance β_t instead of β̃_t.
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
        if variant == BETA_VARIANCE:
            var_q = 1 - alphas[t - 1]
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
    if variant not in WRONG_CHAINS + (BETA_VARIANCE,):
        raise ValueError(f"unknown variant {variant!r}: expected one of {WRONG_CHAINS + (BETA_VARIANCE,)}")
    terms = chain_terms(x0, alphas, reverse_params, variant=variant if variant in (
        "unconditioned_posterior", "reversed_kl", BETA_VARIANCE) else "correct")
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


# --- executable specification: the diffusion ELBO as a chain of KLs (reference_models/linear_gaussian_chain.py) ----------

CHAIN_X0 = (-1.5, 0.3, 2.0)
CHAIN_FALSE_FAIL_RATE = 1e-4  # the Monte Carlo check rejects a correct chain once in 10⁴ runs (Bonferroni over CHAIN_X0)
CHAIN_RTOL = 1e-9  # two exact float64 routes agree to ~1e-14 relative (measured 4e-14 at T = 50); a slip is far above


def chain_vs_monte_carlo(alphas: torch.Tensor, params: ReverseParams, n: int, generator: torch.Generator, *,
                         chain=chain_elbo_closed_form, false_fail_rate: float = CHAIN_FALSE_FAIL_RATE):
    """z-tests that the mean of n per-trajectory log p(x_{0:T}) − log q(x_{1:T}|x₀) (:func:`elbo_samples`, the
    definition of the ELBO) equals ``chain(x₀, ...)``, for each x₀ in CHAIN_X0; the statistic is the largest |z|,
    compared with the two-sided critical value at false_fail_rate / len(CHAIN_X0) (Bonferroni; CLT).
    Returns (TestOutcome, rows of (x₀, chain, estimate, standard error, z))."""
    from derivspec.reference_models.fit_tests import TestOutcome
    from scipy.special import ndtri

    rows = []
    for x0 in CHAIN_X0:
        samples = elbo_samples(x0, alphas, params, n, generator)
        claimed = chain(x0, alphas, params)
        se = float(samples.std()) / math.sqrt(n)
        rows.append((x0, claimed, float(samples.mean()), se, (float(samples.mean()) - claimed) / se))
    statistic = max(abs(r[4]) for r in rows)
    critical = float(-ndtri(false_fail_rate / len(CHAIN_X0) / 2))
    return TestOutcome("z-test, max |z| over x₀ (Bonferroni)", statistic, critical, n, false_fail_rate), rows


def chain_vs_joint_gaussians(alphas: torch.Tensor, params: ReverseParams, *, chain=chain_elbo_closed_form):
    """Largest |chain − joint-Gaussian ELBO| / max(1, |ELBO|) over CHAIN_X0 (two exact routes; tolerance CHAIN_RTOL)."""
    return max(abs(chain(x0, alphas, params) - elbo_by_joint_gaussians(x0, alphas, params))
               / max(1.0, abs(elbo_by_joint_gaussians(x0, alphas, params))) for x0 in CHAIN_X0)


def bound_rows(alphas: torch.Tensor, params: ReverseParams, *, chain=chain_elbo_closed_form):
    """(model, x₀, ELBO by the chain, exact log p(x₀)) for the given reverse model, the true posteriors for each x₀
    (:func:`posterior_reverse_params`, first step from ``params``) and the stationary reverse chain (tight for
    N(0, 1) data: log p(x₀) = log N(x₀; 0, 1))."""
    first = (float(params.a[0]), float(params.c[0]), float(params.v[0]))
    rows = []
    for x0 in CHAIN_X0:
        for name, p in (("random reverse kernels", params), ("true posteriors for this x₀",
                                                              posterior_reverse_params(x0, alphas, first)),
                        ("stationary chain (tight)", stationary_reverse_params(alphas))):
            rows.append((name, x0, chain(x0, alphas, p), reverse_log_marginal(x0, p)))
    return rows


def bound_holds(rows) -> tuple[bool, float, float]:
    """(ELBO ≤ log p(x₀) in every row and = in the stationary rows, the smallest gap, the largest stationary |gap|),
    both up to CHAIN_RTOL · max(1, |log p|)."""
    gaps = [(name, log_p - elbo, CHAIN_RTOL * max(1.0, abs(log_p))) for name, _, elbo, log_p in rows]
    below = all(gap >= -tol for _, gap, tol in gaps)
    tight = all(abs(gap) <= tol for name, gap, tol in gaps if name.startswith("stationary"))
    return below and tight, min(g for n, g, _ in gaps if not n.startswith("stationary")), \
        max(abs(g) for n, g, _ in gaps if n.startswith("stationary"))


def beta_variance_chain(x0, alphas, params) -> float:
    """The named wrong chain: the denoising KLs with the posterior variance β_t instead of β̃_t."""
    return wrong_chain_elbo(x0, alphas, params, BETA_VARIANCE)


def _spec_imports():
    from derivspec.reference_models.specification import specification

    return specification


@_spec_imports()("diffusion-elbo-chain", "Diffusion ELBO = L₀ − Σ L_{t−1} − L_T, a chain of KLs, and ≤ log p(x₀)",
                 family="ddpm", statements="ELBO = E[log p(x|z₁)] − Σ_{t≥2} KL(q(z_{t−1}|z_t, x) ‖ p(z_{t−1}|z_t)) − "
                 "KL(q(z_T|x) ‖ p(z_T)) (002 L443–444; claim ddpm.elbo.chain); the ELBO is a lower bound on log p(x) "
                 "(002 L211–214, 004 L1271–1273); diffusion minimises Σ_t KL(q(x_{t−1}|x_t, x₀) ‖ p_θ(x_{t−1}|x_t)) "
                 "(003 L2166)", steps=3, report="always")
def run_elbo_chain(ctx):
    from derivspec.reference_models.fit_tests import power
    from derivspec.reference_models.specification import Check, ResultTable, pyplot, save_figure

    result = ctx.result("diffusion-elbo-chain")
    T, n = (10, 20_000) if ctx.quick else (50, 200_000)
    alphas, params = random_chain(T, ctx.generator(1))
    wrong_name = "the chain with the forward variance β_t in place of the posterior variance β̃_t"

    ctx.step("chain of closed-form KLs vs Monte Carlo over forward trajectories")
    outcome, rows = chain_vs_monte_carlo(alphas, params, n, ctx.generator(2))
    alternative = power(lambda r: chain_vs_monte_carlo(alphas, params, n, ctx.generator(100 + r),
                                                       chain=beta_variance_chain)[0], wrong_name, 20)
    table = [(f"{fmt(x0, 'g')}", f"{fmt(c, '.5f')}", f"{fmt(m, '.5f')} ± {fmt(se, '.5f')}", f"{fmt(z, '+.2f')}",
              f"{fmt(beta_variance_chain(x0, alphas, params), '.5f')}") for x0, c, m, se, z in rows]
    result.tables.append(ResultTable(f"T = {T}, random α_t ∈ (0.8, 0.99) and reverse kernels: the chain "
                                     f"L₀ − Σ L_(t−1) − L_T against the mean of log p(x_0:T) − log q(x_1:T | x_0) over "
                                     f"n = {n:,} forward trajectories", ("x₀", "chain of KLs", "Monte Carlo", "z",
                                                                         "wrong chain (β_t)"), table))
    result.checks.append(Check.tested("the chain of closed-form KLs equals E_q[log p(x_0:T) − log q(x_1:T | x_0)] "
                                      "(002 L443–444)", outcome, alternative))

    ctx.step("chain vs the joint Gaussians (no KLs)")
    worst = chain_vs_joint_gaussians(alphas, params)
    result.checks.append(Check("the chain equals the ELBO computed from the joint Gaussians q(x_1:T|x_0), p(x_0:T)",
                               worst <= CHAIN_RTOL, f"largest relative difference {fmt(worst, '.1e')} over x₀ ∈ {CHAIN_X0} "
                               f"(tolerance {fmt(CHAIN_RTOL, 'g')}: two exact float64 routes); the β_t chain is "
                               f"{fmt(chain_vs_joint_gaussians(alphas, params, chain=beta_variance_chain), '.2g')} off"))

    ctx.step("ELBO ≤ log p(x₀), exactly computed")
    brows = bound_rows(alphas, params)
    holds, smallest, tight = bound_holds(brows)
    result.tables.append(ResultTable("ELBO (chain of KLs) against the exact log p(x₀) of the linear-Gaussian reverse "
                                     "model", ("reverse model", "x₀", "ELBO", "log p(x₀)", "gap"),
                                     [(name, f"{fmt(x0, 'g')}", f"{fmt(e, '.6f')}", f"{fmt(lp, '.6f')}", f"{fmt(lp - e, '.3e')}")
                                      for name, x0, e, lp in brows]))
    result.checks.append(Check("ELBO ≤ log p(x₀) (002 L211–214), with equality when p(x_0:T) = q(x_0:T)", holds,
                               f"smallest gap {fmt(smallest, '.3e')} (> 0), stationary chain |gap| ≤ {fmt(tight, '.1e')} "
                               f"(tolerance {fmt(CHAIN_RTOL, 'g')} relative)"))

    path = ctx.figure_path("elbo_chain.png")
    if path is not None:
        plt = pyplot()
        x0 = CHAIN_X0[0]
        right = chain_terms(x0, alphas, params)["denoising"].cpu().numpy()
        wrong = chain_terms(x0, alphas, params, variant=BETA_VARIANCE)["denoising"].cpu().numpy()
        samples = elbo_samples(x0, alphas, params, 4000, ctx.generator(3)).cpu().numpy()
        fig, (a1, a2) = plt.subplots(1, 2, figsize=(11, 3.8))
        steps = range(2, T + 1)
        a1.plot(steps, right, "o-", label="L_(t−1) with β̃_t")
        a1.plot(steps, wrong, "x--", label="with β_t (wrong)")
        a1.set_xlabel("t")
        a1.set_title(f"denoising terms, x₀ = {fmt(x0, 'g')}", fontsize=10)
        a1.legend(fontsize=8, frameon=False)
        a2.hist(samples, bins=60, density=True, alpha=0.6)
        a2.axvline(chain_elbo_closed_form(x0, alphas, params), color="k", label="chain of KLs")
        a2.axvline(beta_variance_chain(x0, alphas, params), color="r", ls="--", label="β_t chain")
        a2.set_title("log p(x_0:T) − log q(x_1:T | x_0) per trajectory", fontsize=10)
        a2.legend(fontsize=8, frameon=False)
        fig.tight_layout()
        save_figure(fig, path, f"The diffusion ELBO's denoising terms for a random T = {T} chain, and the per-trajectory "
                    "log-ratio whose mean the chain of KLs must equal.", result)
    return result
