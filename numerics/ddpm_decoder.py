"""Independent numeric route for the discretised Gaussian decoder (``derivations/ddpm/decoder.py``): the bin's
mass from torch's ``special.log_ndtr`` (log Φ, accurate far in the tails), never from erf differences.

For a bin [a, b] (standardised) on the upper side of μ the mass is Φ(−a) − Φ(−b), on the lower side
Φ(b) − Φ(a): each written as log Φ(one) + log1p(−exp(log Φ(other) − log Φ(one))), which loses nothing to
cancellation; the open edge bins are log Φ(b) and log Φ(−a).
"""

from __future__ import annotations

import torch
from torch.special import log_ndtr

from derivspec.numerics.routes import reference


def _log_difference(log_big, log_small):
    """log(e^log_big − e^log_small) for log_big > log_small."""
    return log_big + torch.log1p(-torch.exp(log_small - log_big))


@reference("ddpm.decoder.discretised")
def log_ndtr_bin_mass(k, mu, sigma):
    """log of the bin's mass from torch.special.log_ndtr (tail-accurate), edge bins open"""
    x = 2 * k / 255 - 1
    a, b = (x - 1 / 255 - mu) / sigma, (x + 1 / 255 - mu) / sigma
    upper_side = a > 0  # the whole bin above the mean: use the upper tail, Φ(−a) − Φ(−b)
    interior = torch.where(upper_side, _log_difference(log_ndtr(-a), log_ndtr(-b)),
                           _log_difference(log_ndtr(b), log_ndtr(a)))
    return torch.where(k == 0, log_ndtr(b), torch.where(k == 255, log_ndtr(-a), interior))
