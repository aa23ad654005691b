"""Shapes of real ML code, written here in our own words (nothing copied), each right version beside a
slipped twin -- material for the conformance tests of issue 87. The shapes are the ones the real-code set
(benchmarks/conform_real_code/manifest.toml) met in public repositories: batch-only functions that index
columns, a reduction over the last axis that a slip moves to the batch axis, float32 tensors with a noise
schedule indexed by t, a distribution-like class whose method is tested, JAX code mapped over the batch.

Each docstring names the claim and the declarations a careful user gives; the twin's says the slip. The
JAX functions need JAX only when called (it is not a dependency of the project).
"""

import numpy as np
import torch

try:  # optional: only the JAX shapes need it
    import jax
    import jax.numpy as jnp
except ImportError:  # pragma: no cover - the tests that call these skip without JAX
    jax = jnp = None


# ---- a diagonal-Gaussian negative log-density over the last axis (nll.gaussian.diagonal) -------------------


def diag_gauss_nll(y, mu, sigma):
    """nll.gaussian.diagonal: -log N(y; mu, diag sigma^2) per example, summed over the last axis."""
    z = (y - mu) / sigma
    return (0.5 * z ** 2 + torch.log(sigma) + 0.5 * np.log(2 * np.pi)).sum(-1)


def diag_gauss_nll_batch_axis(y, mu, sigma):
    """The twin: summed over dim 0 -- the batch axis for a batch, the right axis for one example alone."""
    z = (y - mu) / sigma
    return (0.5 * z ** 2 + torch.log(sigma) + 0.5 * np.log(2 * np.pi)).sum(0)


def two_coordinate_nll(y, mu, sigma):
    """nll.gaussian.diagonal (D = 2), written for a batch of shape (N, 2): it reads columns, y[:, 0]."""
    total = 0.0
    for d in range(2):
        r = y[:, d] - mu[:, d]
        total = total + r ** 2 / (2 * sigma[:, d] ** 2) + np.log(sigma[:, d]) + 0.5 * np.log(2 * np.pi)
    return total


def two_coordinate_nll_rows(y, mu, sigma):
    """The twin reads rows, y[d], where columns belong: right for one example, wrong for a batch."""
    total = 0.0
    for d in range(2):
        r = y[d] - mu[d]
        total = total + r ** 2 / (2 * sigma[d] ** 2) + np.log(sigma[d]) + 0.5 * np.log(2 * np.pi)
    return total


# ---- DDPM with a float32 schedule indexed by t (--schedule linear --precision float32) ----------------------


def _float32_schedule(betas):
    betas = torch.as_tensor(betas, dtype=torch.float32)
    alphas_cumprod = torch.cumprod(1.0 - betas, dim=0)
    alphas_cumprod_prev = torch.cat([torch.ones(1, dtype=torch.float32), alphas_cumprod[:-1]])
    return betas, alphas_cumprod, alphas_cumprod_prev


def posterior_variance_f32(t, betas):
    """ddpm.posterior.variance with --schedule linear --precision float32 (t from 0): the schedule is
    kept in float32 as diffusion code keeps it."""
    betas, abar, abar_prev = _float32_schedule(betas)
    t = torch.as_tensor(t)
    return betas[t] * (1.0 - abar_prev[t]) / (1.0 - abar[t])


def posterior_variance_f32_inverted(t, betas):
    """The twin (issue 87): the ratio upside down, beta_t (1 - abar_t)/(1 - abar_{t-1}) -- at the first
    step both are tiny, and a float32 allowance scaled by the wrong value can swallow the difference."""
    betas, abar, abar_prev = _float32_schedule(betas)
    t = torch.as_tensor(t)
    return betas[t] * (1.0 - abar[t]) / (1.0 - abar_prev[t])


def predict_x0(xt, eps, t, alphas_cumprod):
    """ddpm.parameterisation.x0-from-eps with --schedule linear (t from 0), NumPy."""
    abar = np.asarray(alphas_cumprod)[t]
    return (xt - np.sqrt(1.0 - abar) * eps) / np.sqrt(abar)


def predict_x0_one_step_alpha(xt, eps, t, alphas):
    """The twin: alpha_t where alpha_bar_t belongs (the one-step alpha for the cumulative product); map
    alphas with --args the same way as the right one's alphas_cumprod to see it named."""
    a = np.asarray(alphas)[t]
    return (xt - np.sqrt(1.0 - a) * eps) / np.sqrt(a)


def v_target(x0, eps, alpha_bar):
    """ddpm.parameterisation.v: sqrt(abar) eps - sqrt(1 - abar) x0 (args alpha_bar=alpha_bar_t)."""
    return np.sqrt(alpha_bar) * eps - np.sqrt(1.0 - alpha_bar) * x0


def v_target_swapped(x0, eps, alpha_bar):
    """The twin: x0 and eps swapped."""
    return np.sqrt(alpha_bar) * x0 - np.sqrt(1.0 - alpha_bar) * eps


# ---- a method of a distribution-like class (MODULE:Class.method with --init) ------------------------------


class SquashedPolicyHead:
    """A policy head's Gaussian part: the method takes the mean and a log standard deviation.

    MODULE:SquashedPolicyHead.neg_log_prob with --init min_log_std=-20.0, claim nll.gaussian,
    --args 'log_std=log(sigma)'."""

    def __init__(self, min_log_std=-20.0):
        self.min_log_std = min_log_std

    def neg_log_prob(self, y, mu, log_std):
        log_std = torch.clamp(log_std, min=self.min_log_std)
        return 0.5 * ((y - mu) * torch.exp(-log_std)) ** 2 + log_std + 0.5 * np.log(2 * np.pi)

    def neg_log_prob_logvar_slip(self, y, mu, log_std):
        """The twin: the log standard deviation used as a log-variance in the quadratic term,
        exp(-log_std/2) where exp(-log_std) belongs."""
        log_std = torch.clamp(log_std, min=self.min_log_std)
        return 0.5 * ((y - mu) * torch.exp(-0.5 * log_std)) ** 2 + log_std + 0.5 * np.log(2 * np.pi)


# ---- KL terms ------------------------------------------------------------------------------------------------


def kl_to_standard_from_logvar(mu, logvar):
    """kl.gaussian.standard with --args 'logvar=2*log(sigma)' (torch)."""
    return 0.5 * (mu ** 2 + torch.exp(logvar) - 1.0 - logvar)


def kl_to_standard_from_logvar_negexp(mu, logvar):
    """The twin: exp(-logvar) where exp(logvar) belongs."""
    return 0.5 * (mu ** 2 + torch.exp(-logvar) - 1.0 - logvar)


def kl_q_to_p(mu_q, std_q, mu_p, std_p):
    """kl.gaussian.univariate, KL(q || p) with q first: --args mu_q=mu1 std_q=sigma1 mu_p=mu2 std_p=sigma2."""
    return np.log(std_p / std_q) + (std_q ** 2 + (mu_q - mu_p) ** 2) / (2 * std_p ** 2) - 0.5


def kl_q_to_p_laws_swapped(mu_q, std_q, mu_p, std_p):
    """The twin computes KL(p || q) under the same names (the two laws swapped)."""
    return np.log(std_q / std_p) + (std_p ** 2 + (mu_q - mu_p) ** 2) / (2 * std_q ** 2) - 0.5


# ---- categorical: columns, classes, a sum that became a mean -----------------------------------------------


def three_class_nll(logits, label):
    """nll.categorical (--args logits=h), batch-only: logits (N, K), label (N,) long."""
    log_norm = torch.logsumexp(logits, dim=1)
    return log_norm - logits[torch.arange(logits.shape[0]), label]


def three_class_nll_batch_normaliser(logits, label):
    """The twin: the log-normaliser taken over dim 0, across the batch."""
    log_norm = torch.logsumexp(logits, dim=0)
    return log_norm[label] - logits[torch.arange(logits.shape[0]), label]


def entropy_from_probs_weights(weights):
    """kl.entropy.categorical with --args 'weights=[a1, a2, a3]': probabilities from positive weights."""
    p = weights / weights.sum(-1, keepdims=True)
    return -(p * np.log(p)).sum(-1)


def entropy_from_probs_weights_mean(weights):
    """The twin: a mean over the classes where the sum belongs (a factor 1/K)."""
    p = weights / weights.sum(-1, keepdims=True)
    return -(p * np.log(p)).mean(-1)


# ---- losses ---------------------------------------------------------------------------------------------------


def huber_elementwise(y, mu, delta):
    """nll.huber (NumPy)."""
    r = np.abs(y - mu)
    return np.where(r <= delta, 0.5 * r ** 2, delta * (r - 0.5 * delta))


def huber_elementwise_linear_half_dropped(y, mu, delta):
    """The twin: delta (|r| - delta) on the linear branch, the 1/2 dropped (discontinuous at |r| = delta)."""
    r = np.abs(y - mu)
    return np.where(r <= delta, 0.5 * r ** 2, delta * (r - delta))


# ---- JAX (float32 unless x64 is enabled: --precision float32) -------------------------------------------------


def bce_with_logits_jax(y, z):
    """nll.bernoulli.logits in JAX: softplus(z) - y z, stable for large |z|."""
    return jnp.logaddexp(0.0, z) - y * z


def bce_with_logits_jax_sign(y, z):
    """The twin: softplus(-z) - y z (the sign inside the softplus flipped)."""
    return jnp.logaddexp(0.0, -z) - y * z


def vae_kl_vmapped(mean, logvar):
    """kl.vae-regulariser with --args 'mean=[mu1, mu2]' 'logvar=[2*log(sigma1), 2*log(sigma2)]': one
    example's KL, mapped over the batch with jax.vmap (built on first call, so importing needs no JAX)."""
    one = lambda m, lv: -0.5 * jnp.sum(1.0 + lv - m ** 2 - jnp.exp(lv))  # noqa: E731
    return jax.vmap(one)(mean, logvar)


def vae_kl_unmapped(mean, logvar):
    """The twin: the same sum without jax.vmap -- one number for the whole batch."""
    return -0.5 * jnp.sum(1.0 + logvar - mean ** 2 - jnp.exp(logvar))
