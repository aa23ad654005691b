"""Independent numeric routes for the losses code writes (``derivations/nll/mse.py``, ``diagonal.py``, ``focal.py``):
torch's own ``mse_loss`` and ``gaussian_nll_loss``, and ``torch.distributions`` log-densities."""

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

