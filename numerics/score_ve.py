"""Independent numeric routes for the variance-exploding side of the score family: the VE-SDE's marginal variance
(``score.sde.ve-marginal``, ``derivations/score/sde.py``) and the σ²-weighted denoising score-matching loss of one
example (``score.dsm.loss``, ``derivations/score/denoising.py``).

* the marginal variance as scipy ``quad`` of g(u)² = d[σ(u)²]/du over [0, t], the derivative by a complex step
  (exact to round-off; no antiderivative written), compared within ten times quad's ``abserr``;
* the loss with the kernel's score by autograd of ``torch.distributions.Normal(x, σ).log_prob`` at x̃ = x + σz for
  random data points x (the loss must not depend on x).
"""

from __future__ import annotations

import numpy as np
import torch
from torch.distributions import Normal

from derivspec.numerics.accuracy import QUAD_HOW, Approximate, quad
from derivspec.numerics.checks import elementwise_grad
from derivspec.numerics.routes import reference
from derivspec.reference_models.device import DTYPE

COMPLEX_STEP = 1e-30


def _ve_sigma_squared(at, sigma_min: float, sigma_max: float):
    """σ(u)² = (σ_min (σ_max/σ_min)^u)², for a real or complex u."""
    return (sigma_min * (sigma_max / sigma_min) ** at) ** 2


def _diffusion_squared(u: float, sigma_min: float, sigma_max: float) -> float:
    """g(u)² = d[σ(u)²]/du by a complex step: Im σ²(u + ih)/h, no cancellation."""
    return float(np.imag(_ve_sigma_squared(u + 1j * COMPLEX_STEP, sigma_min, sigma_max)) / COMPLEX_STEP)


@reference("score.sde.ve-marginal", points=64)
def variance_by_quadrature_of_the_diffusion(t, sigma_min, sigma_max):
    """scipy quad of g(u)² = d[σ(u)²]/du over [0, t] (Itô: dV/dt = g², V(0) = 0), g² by a complex-step derivative"""
    pairs = [quad(lambda u: _diffusion_squared(u, lo, hi), 0.0, time_)
             for time_, lo, hi in zip(t.tolist(), sigma_min.tolist(), sigma_max.tolist())]
    return Approximate.of(pairs, QUAD_HOW, t)


@reference("score.dsm.loss")
def sigma_squared_weighted_dsm_by_autograd(s1, s2, z1, z2, sigma, generator):
    """σ² Σ_d (s_d − ∂_x̃ log N(x̃_d; x_d, σ²))² with the kernel's score by autograd of torch Normal.log_prob at x̃ = x + σz, x random"""
    total = torch.zeros_like(sigma)
    for s, z in ((s1, z1), (s2, z2)):
        x = 3 * torch.randn(s.shape, generator=generator, dtype=DTYPE, device=s.device)
        kernel_score = elementwise_grad(lambda v: Normal(x, sigma).log_prob(v), x + sigma * z)
        total = total + sigma**2 * (s - kernel_score) ** 2
    return total
