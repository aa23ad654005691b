"""A student's torch implementations (float32 on the inputs' device, batched)."""

import torch


def vae_loss_mean(x, p, mu, sigma):
    """Bernoulli-decoder VAE loss averaged over the batch: BCE summed over pixels plus KL(q || N(0, 1))
    (float32, as models compute)."""
    x, p, mu, sigma = (t.to(torch.float32) for t in (x, p, mu, sigma))
    bce = -(x * torch.log(p) + (1 - x) * torch.log1p(-p)).sum(dim=-1)
    kl = 0.5 * (mu ** 2 + sigma ** 2 - 1) - torch.log(sigma)
    return (bce + kl).mean()


def vae_loss_sum(x, p, mu, sigma):
    """The same loss summed over the batch (declared as a mean: a mean/sum mix-up)."""
    x, p, mu, sigma = (t.to(torch.float32) for t in (x, p, mu, sigma))
    bce = -(x * torch.log(p) + (1 - x) * torch.log1p(-p)).sum(dim=-1)
    kl = 0.5 * (mu ** 2 + sigma ** 2 - 1) - torch.log(sigma)
    return (bce + kl).sum()


def lognormal_logpdf_no_logdet(y, mu, sigma):
    """log p_Y(y) for Y = exp(X), X ~ N(mu, sigma^2), with the log-determinant -log y of the flow missing."""
    x = torch.log(y)
    return -0.5 * torch.log(2 * torch.pi * sigma ** 2) - (x - mu) ** 2 / (2 * sigma ** 2)
