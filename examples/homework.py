"""The homework module of the README's tour and of docs/testing.md: the sessions there run in this folder.

    cd examples && derivspec conform kl.gaussian.univariate homework:kl_gauss --args mu_p=mu1 sigma_p=sigma1 \\
        mu_q=mu2 sigma_q=sigma2

Each function is written the way coursework and library code write it -- some right, some with the slip the
docs' session names. property_tests/test_docs_conform.py runs every session of docs/testing.md here and
checks that the docs' code blocks are this module's code.
"""

import math

import numpy as np
import torch
from torch import nn


def kl_gauss(mu_p, sigma_p, mu_q, sigma_q):
    """KL(N(mu_p, sigma_p^2) || N(mu_q, sigma_q^2))."""
    return np.log(sigma_p / sigma_q) + (sigma_q**2 + (mu_p - mu_q)**2) / (2 * sigma_p**2) - 0.5


def vae_loss(x, p, mu, logvar):
    """Bernoulli-decoder VAE loss for a batch: BCE summed over pixels, KL to N(0, 1); meant as a batch mean."""
    bce = -(x * torch.log(p) + (1 - x) * torch.log1p(-p)).sum(dim=-1)
    kl = 0.5 * (mu**2 + logvar.exp() - 1 - logvar)
    return (bce + kl).sum()


def q_sample(x0, alpha_t, abar_t, n, rng):
    """Forward diffusion: draw x_t given x_0."""
    eps = rng.standard_normal(n)
    return np.sqrt(alpha_t) * x0 + np.sqrt(1 - abar_t) * eps


def gauss_nll(y, mu, sigma):
    """Gaussian NLL without the constant: log sigma + (y - mu)^2 / (2 sigma^2)."""
    return np.log(sigma) + (y - mu) ** 2 / (2 * sigma ** 2)


def kl_times_two(mu, sigma):
    """2 KL(N(mu, sigma^2) || N(0, 1)), the 1/2 left to the caller."""
    return mu ** 2 + sigma ** 2 - 1 - 2 * np.log(sigma)


def bernoulli_loglik(y, p):
    return y * np.log(p) + (1 - y) * np.log1p(-p)


def mse(y, mu):
    return 0.5 * (y - mu) ** 2


def kl_fp32(mu1, sigma1, mu2, sigma2):
    t = [torch.as_tensor(v).float() for v in (mu1, sigma1, mu2, sigma2)]
    mu1, sigma1, mu2, sigma2 = t
    return (torch.log(sigma2 / sigma1) + (sigma1**2 + (mu1 - mu2) ** 2) / (2 * sigma2**2) - 0.5).double()


class GaussianHead(nn.Module):
    def __init__(self, min_sigma=1e-6):
        super().__init__()
        self.min_sigma = min_sigma

    def forward(self, y, mu, sigma):
        return 0.5 * torch.log(2 * math.pi * sigma**2) + (y - mu) ** 2 / (2 * sigma**2)


class Losses:
    def __init__(self, reduction="none"):
        self.reduction = reduction

    def kl(self, mu, logvar):
        kl = 0.5 * (mu**2 + logvar.exp() - 1 - logvar)
        return kl.mean() if self.reduction == "mean" else kl


def q_posterior_mean(x0, xt, t, betas):
    """Mean of q(x_{t-1} | x_t, x_0); t counts from 0 as in most diffusion code."""
    alphas = 1.0 - betas
    alphas_cumprod = np.cumprod(alphas)
    alphas_cumprod_prev = np.append(1.0, alphas_cumprod[:-1])
    coef_x0 = betas * np.sqrt(alphas_cumprod_prev) / (1.0 - alphas_cumprod)
    coef_xt = (1.0 - alphas_cumprod_prev) * np.sqrt(alphas) / (1.0 - alphas_cumprod)
    return coef_x0[t] * x0 + coef_xt[t] * xt


# --- the fixed versions the worked examples run after each slip ---------------------------------------------


def kl_gauss_fixed(mu_p, sigma_p, mu_q, sigma_q):
    """KL(N(mu_p, sigma_p^2) || N(mu_q, sigma_q^2)), the log-ratio and the variances the right way round."""
    return np.log(sigma_q / sigma_p) + (sigma_p**2 + (mu_p - mu_q)**2) / (2 * sigma_q**2) - 0.5


def vae_loss_fixed(x, p, mu, logvar):
    """The VAE loss as a batch mean."""
    bce = -(x * torch.log(p) + (1 - x) * torch.log1p(-p)).sum(dim=-1)
    kl = 0.5 * (mu**2 + logvar.exp() - 1 - logvar)
    return (bce + kl).mean()


def q_sample_fixed(x0, alpha_t, abar_t, n, rng):
    """Forward diffusion with sqrt(abar_t) in the mean."""
    eps = rng.standard_normal(n)
    return np.sqrt(abar_t) * x0 + np.sqrt(1 - abar_t) * eps
