"""Draws from ``torch.distributions`` objects with an explicit generator.

``Distribution.sample`` takes no generator, so a run could not be reproduced from its seed;
these draw the same variables from the distribution's parameters with the check's generator.
"""

from __future__ import annotations

import torch
from torch.distributions import Bernoulli, Categorical, Independent, MultivariateNormal, Normal

from derivspec.reference_models.device import DTYPE


def sample(distribution, n: int, generator: torch.Generator) -> torch.Tensor:
    """n draws (first dimension) from a Normal, Independent Normal, MultivariateNormal,
    Bernoulli or Categorical, using ``generator``."""
    if isinstance(distribution, Normal):
        noise = torch.randn((n,) + distribution.batch_shape, generator=generator, dtype=DTYPE,
                            device=distribution.loc.device)
        return distribution.loc + distribution.scale * noise
    if isinstance(distribution, Independent):
        return sample(distribution.base_dist, n, generator)
    if isinstance(distribution, MultivariateNormal):
        d = distribution.loc.shape[-1]
        noise = torch.randn(n, d, generator=generator, dtype=DTYPE, device=distribution.loc.device)
        return distribution.loc + noise @ distribution.scale_tril.T
    if isinstance(distribution, Bernoulli):
        u = torch.rand(n, generator=generator, dtype=DTYPE, device=distribution.probs.device)
        return (u < distribution.probs).to(DTYPE)
    if isinstance(distribution, Categorical):
        return torch.multinomial(distribution.probs.expand(1, -1), n, replacement=True, generator=generator)[0]
    raise TypeError(f"no sampler for {type(distribution).__name__}")


def log_ratio_draws(p, q):
    """draw(n, generator): log p(x) − log q(x) for x ~ p, whose mean is KL(p ‖ q)."""
    def draw(n, generator):
        x = sample(p, n, generator)
        return p.log_prob(x) - q.log_prob(x)
    return draw
