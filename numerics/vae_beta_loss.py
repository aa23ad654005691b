"""Independent numeric route for the β-weighted VAE loss (``derivations/vae/beta_loss.py``): ``torch.distributions``
log-densities and ``kl_divergence``, without the SymPy derivation."""

from __future__ import annotations

import torch
from torch.distributions import Bernoulli, Independent, Normal, kl_divergence

from derivspec.numerics.routes import reference


@reference("vae.loss.beta")
def beta_vae_loss_by_distributions(x1, x2, p1, p2, mu, sigma, beta):
    """−Independent(Bernoulli(p), 1).log_prob(x) + β·kl_divergence(Normal(μ, σ), Normal(0, 1))"""
    decoder = Independent(Bernoulli(probs=torch.stack([p1, p2], -1)), 1)
    kl = kl_divergence(Normal(mu, sigma), Normal(torch.zeros_like(mu), torch.ones_like(mu)))
    return -decoder.log_prob(torch.stack([x1, x2], -1)) + beta * kl
