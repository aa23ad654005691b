"""Independent numeric routes for the losses regression code writes (``derivations/nll/mse.py``): torch's own
``mse_loss``, and autograd of the unit-variance Gaussian NLL (its gradient in μ is −(y − μ), half the
squared error's)."""

from __future__ import annotations

import torch.nn.functional as F

from derivspec.numerics.routes import reference


@reference("nll.mse")
def mse_loss(y, mu):
    """F.mse_loss(reduction='none')"""
    return F.mse_loss(mu, y, reduction="none")
