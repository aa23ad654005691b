"""Independent numeric routes for the losses code writes (``derivations/nll/mse.py``, ``diagonal.py``, ``focal.py``,
``hinge.py``, ``huber.py``; ``derivations/gan/hinge.py``): torch's own ``mse_loss``, ``gaussian_nll_loss``,
``multi_margin_loss``, ``huber_loss`` and ``smooth_l1_loss``, and ``torch.distributions`` log-densities."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch.distributions import Bernoulli, Independent, Normal

from derivspec.numerics.routes import reference


@reference("nll.mse")
def mse_loss(y, mu):
    """F.mse_loss(reduction='none')"""
    return F.mse_loss(mu, y, reduction="none")


@reference("nll.gaussian.diagonal")
def independent_normal_log_prob(y1, y2, mu1, mu2, sigma1, sigma2):
    """-Independent(Normal(mu, sigma), 1).log_prob(y)"""
    law = Independent(Normal(torch.stack([mu1, mu2], -1), torch.stack([sigma1, sigma2], -1)), 1)
    return -law.log_prob(torch.stack([y1, y2], -1))


@reference("nll.gaussian.diagonal")
def gaussian_nll_loss_summed(y1, y2, mu1, mu2, sigma1, sigma2):
    """F.gaussian_nll_loss(full=True, reduction='none') summed over the two dimensions"""
    variance = torch.stack([sigma1, sigma2], -1) ** 2
    return F.gaussian_nll_loss(torch.stack([mu1, mu2], -1), torch.stack([y1, y2], -1), variance, full=True,
                               reduction="none").sum(-1)


@reference("nll.focal")
def focal_by_bernoulli_log_prob(y, p, gamma):
    """-(1 - exp(lp))^gamma * lp with lp = Bernoulli(probs=p).log_prob(y) (log p_t from torch)"""
    log_p_t = Bernoulli(probs=p).log_prob(y)
    return -(1 - log_p_t.exp()) ** gamma * log_p_t



def _two_class_margin(score, label):
    """torch's multi-class hinge (Crammer-Singer form, p = 1, margin 1) on the scores [0, score] with the
    class index ``label`` (0 or 1), times C = 2 (torch averages over the classes)."""
    scores = torch.stack([torch.zeros_like(score), score], -1)
    return 2 * F.multi_margin_loss(scores.reshape(-1, 2), label.reshape(-1).long(), reduction="none").reshape(score.shape)


@reference("nll.hinge")
def multi_margin_two_classes(y, f):
    """2 x F.multi_margin_loss on the scores [0, f], class (y + 1)/2"""
    return _two_class_margin(f, (y + 1) / 2)


@reference("gan.discriminator.hinge")
def multi_margin_real_and_generated(d_real, d_fake):
    """2 x F.multi_margin_loss on [0, D(x)] with class 1 plus on [0, D(G(z))] with class 0"""
    return _two_class_margin(d_real, torch.ones_like(d_real)) + _two_class_margin(d_fake, torch.zeros_like(d_fake))


def _per_point(loss, prediction, target, parameter, name):
    """``loss(prediction, target, reduction='none', name=value)`` one point at a time: torch takes the
    threshold as a Python number, one for the whole call."""
    return torch.stack([loss(m, t, reduction="none", **{name: float(v)})
                        for m, t, v in zip(prediction.reshape(-1), target.reshape(-1), parameter.reshape(-1))]
                       ).reshape(prediction.shape)


@reference("nll.huber")
def huber_loss(y, mu, delta):
    """F.huber_loss(mu, y, reduction='none', delta=delta), one point at a time"""
    return _per_point(F.huber_loss, mu, y, delta, "delta")


@reference("nll.smooth-l1")
def smooth_l1_loss(y, mu, beta):
    """F.smooth_l1_loss(mu, y, reduction='none', beta=beta), one point at a time"""
    return _per_point(F.smooth_l1_loss, mu, y, beta, "beta")
