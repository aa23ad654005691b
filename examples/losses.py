"""The losses module of docs/testing.md ("Any size", "Losses people write"): the sessions there run in this
folder (``cd examples``). property_tests/test_docs_conform.py checks that the docs' code blocks are this
module's code and runs the sessions.
"""

import numpy as np
import torch
import torch.nn.functional as F
from scipy.special import erf, log_ndtr


def cross_entropy(logits, label):
    return F.cross_entropy(logits, label, reduction="none")


def cross_entropy_3(logits, label):
    """Written for three classes."""
    h1, h2, h3 = logits[..., 0], logits[..., 1], logits[..., 2]
    lse = torch.logsumexp(torch.stack([h1, h2, h3], -1), -1)
    return lse - logits.gather(-1, label[..., None])[..., 0]


def cross_entropy_batch_axis(logits, label):
    return -F.log_softmax(logits, dim=0).gather(1, label[:, None])[:, 0]


def vae_loss(recon_x, x, mu, logvar):
    x = x.to(recon_x.dtype)
    bce = F.binary_cross_entropy(recon_x.flatten(1), x.flatten(1), reduction="sum")
    kld = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())
    return bce + kld


def diagonal_nll(y, mu, sigma):
    return np.sum(np.log(sigma) + 0.5 * np.log(2 * np.pi) + (y - mu) ** 2 / (2 * sigma ** 2), axis=-1)


def hinge(y, f):
    """SVM hinge, labels -1/+1."""
    return np.maximum(0.0, 1.0 - y * f)


def d_loss(dis_fake, dis_real):
    """GAN discriminator hinge, as BigGAN writes it."""
    return torch.mean(F.relu(1.0 - dis_real)) + torch.mean(F.relu(1.0 + dis_fake))


def huber(y, mu, delta):
    r = np.abs(y - mu)
    return np.where(r < delta, 0.5 * r ** 2 / delta, r - 0.5 * delta)


def decoder_nll(x, means, log_scales):
    """-log p(x) per pixel, x in [-1, 1] on 256 levels: near the mean (a narrow bin of a wide sigma) as a
    difference of erf values, elsewhere through the far tail (stable at every sigma)."""
    sigma = np.exp(log_scales)
    a, b = (x - 1 / 255 - means) / sigma, (x + 1 / 255 - means) / sigma
    up = a > 0
    big = np.where(up, log_ndtr(-a), log_ndtr(b))
    small = np.where(up, log_ndtr(-b), log_ndtr(a))
    tails = big + np.log(-np.expm1(small - big))
    central = np.log(0.5 * (erf(b / np.sqrt(2)) - erf(a / np.sqrt(2))))
    mid = np.where((np.abs(a) < 1) & (np.abs(b) < 1), central, tails)
    return -np.where(x < -0.999, log_ndtr(b), np.where(x > 0.999, log_ndtr(-a), mid))
