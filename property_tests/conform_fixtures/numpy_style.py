"""A student's NumPy and plain-Python implementations (some right, most with a classic slip)."""

import math

import numpy as np


# --- right ------------------------------------------------------------------------------------

def kl_logvar(m1, lv1, m2, lv2):
    """KL(N(m1, e^lv1) || N(m2, e^lv2)) written in log-variances (needs args: lv = 2 log sigma)."""
    return 0.5 * (lv2 - lv1) + (np.exp(lv1) + (m1 - m2) ** 2) / (2 * np.exp(lv2)) - 0.5


def posterior_mean(x0, xt, beta_t, abar_t, abar_prev):
    """The DDPM posterior mean in beta_t, alpha_bar_t, alpha_bar_{t-1} (plain Python, one input per call)."""
    alpha_t = 1 - beta_t
    return (math.sqrt(abar_prev) * beta_t / (1 - abar_t)) * x0 + (math.sqrt(alpha_t) * (1 - abar_prev) / (1 - abar_t)) * xt


# --- wrong ------------------------------------------------------------------------------------

def kl_swapped(mu1, sigma1, mu2, sigma2):
    """KL with the arguments swapped: KL(q || p)."""
    return np.log(sigma1 / sigma2) + (sigma2 ** 2 + (mu1 - mu2) ** 2) / (2 * sigma1 ** 2) - 0.5


def gaussian_nll_half_dropped(y, mu, sigma):
    """Gaussian NLL with the 1/2 dropped from the log-normaliser (plain Python)."""
    return math.log(2 * math.pi * sigma ** 2) + (y - mu) ** 2 / (2 * sigma ** 2)


def gaussian_nll_sigma_for_variance(y, mu, sigma):
    """Gaussian NLL with sigma where sigma^2 belongs in the quadratic term."""
    return 0.5 * np.log(2 * np.pi * sigma ** 2) + (y - mu) ** 2 / (2 * sigma)


def bernoulli_entropy_bits(p):
    """Bernoulli entropy in bits (log base 2) -- the claim is in nats unless log_base is declared."""
    return -(p * np.log2(p) + (1 - p) * np.log2(1 - p))


def gaussian_nll_grad_mu(y, mu, sigma):
    """d/dmu of the Gaussian NLL with its sign slipped: (y - mu)/sigma^2 instead of (mu - y)/sigma^2."""
    return (y - mu) / sigma ** 2


def mle_variance(x):
    """The MLE of a Gaussian variance, written with NumPy's unbiased ddof=1 (a biased-variance slip)."""
    return np.var(x, ddof=1, axis=-1)


def posterior_mean_index_slip(x0, xt, beta_t, abar_t, abar_prev):
    """The DDPM posterior mean with alpha_bar_t where alpha_bar_{t-1} belongs on x_0 (off by one index)."""
    alpha_t = 1 - beta_t
    return (math.sqrt(abar_t) * beta_t / (1 - abar_t)) * x0 + (math.sqrt(alpha_t) * (1 - abar_prev) / (1 - abar_t)) * xt


def bce_naive(y, z):
    """Binary cross-entropy from logits through log(sigmoid(z)): right formula, unstable for large |z|."""
    s = 1 / (1 + np.exp(-z))
    return -(y * np.log(s) + (1 - y) * np.log(1 - s))


# --- samplers ---------------------------------------------------------------------------------

def q_sample(x0, abar_t, n, rng):
    """x_t = sqrt(abar_t) x0 + sqrt(1 - abar_t) eps (right)."""
    return math.sqrt(abar_t) * x0 + math.sqrt(1 - abar_t) * rng.standard_normal(n)


def q_sample_alpha_slip(x0, alpha_t, abar_t, n, rng):
    """x_t = sqrt(alpha_t) x0 + sqrt(1 - abar_t) eps: sqrt(alpha_t) where sqrt(alpha_bar_t) belongs."""
    return math.sqrt(alpha_t) * x0 + math.sqrt(1 - abar_t) * rng.standard_normal(n)
