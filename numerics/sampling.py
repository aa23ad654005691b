"""Draws from ``torch.distributions`` objects with an explicit generator, and the same draws
written as functions of uniforms (for the variance-reduced estimators of :mod:`numerics.montecarlo`).

``Distribution.sample`` takes no generator, so a run could not be reproduced from its seed;
:func:`sample` draws the same variables from the distribution's parameters with the check's
generator. :func:`from_uniforms` maps uniforms to the distribution by inversion (Φ⁻¹ for
Gaussians, the CDF's inverse for Bernoulli and categorical), so an estimator written with it is
an :class:`~derivspec.numerics.montecarlo.Integrand`: the check may then use antithetic pairs,
randomised quasi-Monte Carlo or control variates on it, or -- for a finite support -- compute the
expectation exactly (:func:`enumerate_support`).
"""

from __future__ import annotations

import torch
from torch.distributions import Bernoulli, Categorical, Independent, MultivariateNormal, Normal

from derivspec.numerics.montecarlo import Integrand, standard_normal
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


def uniforms_needed(distribution) -> int:
    """How many uniforms one draw of ``distribution`` reads in :func:`from_uniforms`."""
    if isinstance(distribution, Normal):
        return max(1, distribution.batch_shape.numel())
    if isinstance(distribution, Independent):
        return uniforms_needed(distribution.base_dist)
    if isinstance(distribution, MultivariateNormal):
        return distribution.loc.shape[-1]
    if isinstance(distribution, (Bernoulli, Categorical)):
        return 1
    raise TypeError(f"no inverse-CDF sampler for {type(distribution).__name__}")


def noise_kind(distribution) -> str:
    """``"normal"`` when :func:`from_uniforms` reads its uniforms through Φ⁻¹, else ``"uniform"``."""
    if isinstance(distribution, Independent):
        return noise_kind(distribution.base_dist)
    return "normal" if isinstance(distribution, (Normal, MultivariateNormal)) else "uniform"


def from_uniforms(distribution, u: torch.Tensor) -> torch.Tensor:
    """Draws of ``distribution`` from uniforms ``u`` of shape (n, uniforms_needed) by inversion:
    Normal / Independent Normal: loc + scale·Φ⁻¹(u); MultivariateNormal: loc + L Φ⁻¹(u);
    Bernoulli: 1 when u < p; Categorical: the first
    class whose cumulative probability reaches u."""
    if isinstance(distribution, Normal):
        shape = distribution.batch_shape
        eps = standard_normal(u).reshape((u.shape[0],) + shape)
        return distribution.loc + distribution.scale * eps
    if isinstance(distribution, Independent):
        return from_uniforms(distribution.base_dist, u)
    if isinstance(distribution, MultivariateNormal):
        return distribution.loc + standard_normal(u) @ distribution.scale_tril.T
    if isinstance(distribution, Bernoulli):
        return (u[:, 0] < distribution.probs).to(DTYPE)
    if isinstance(distribution, Categorical):
        cumulative = torch.cumsum(distribution.probs, -1)
        index = torch.searchsorted(cumulative, u[:, :1].contiguous()).squeeze(-1)
        return index.clamp_(max=cumulative.shape[-1] - 1)
    raise TypeError(f"no inverse-CDF sampler for {type(distribution).__name__}")


def enumerate_support(distribution) -> tuple[torch.Tensor, torch.Tensor]:
    """(values, probabilities) of a distribution with a finite support (torch's
    ``enumerate_support`` and ``log_prob``): what an exact check sums over."""
    values = distribution.enumerate_support(expand=False).reshape(-1)
    return values, distribution.log_prob(values).exp()


def has_finite_support(distribution) -> bool:
    return bool(getattr(distribution, "has_enumerate_support", False)) and distribution.batch_shape.numel() <= 1


def expectation(distribution, function) -> Integrand:
    """E_{x ~ distribution}[function(x)] as an integrand: sampled by inversion, or exactly over a
    finite support (Bernoulli, Categorical)."""
    def summed():
        values, probs = enumerate_support(distribution)
        return function(values), probs

    exact = summed if has_finite_support(distribution) else None
    return Integrand(lambda u: function(from_uniforms(distribution, u)), uniforms_needed(distribution),
                     noise=noise_kind(distribution), exact=exact)


def log_ratio_draws(p, q) -> Integrand:
    """log p(x) − log q(x) for x ~ p, whose mean is KL(p ‖ q): an integrand (exact over a finite
    support)."""
    return expectation(p, lambda x: p.log_prob(x) - q.log_prob(x))


def piecewise_constant(f, breakpoints) -> Integrand:
    """An integrand that is constant between ``breakpoints`` (one sequence of thresholds in (0, 1)
    per uniform, e.g. the cumulative probabilities a discrete draw compares its uniform with),
    with its exact expectation: f at the middle of each cell of the grid, weighted by the cell's
    volume. Every comparison of u_j inside f must be with one of the thresholds of dimension j."""
    edges, device = [], torch.device("cpu")
    for points in breakpoints:
        values = [torch.as_tensor(p, dtype=DTYPE).reshape(-1) for p in points]
        if values:
            device = values[0].device
        inner = torch.cat([torch.tensor([0.0, 1.0], dtype=DTYPE)] + [v.cpu().clamp(0, 1) for v in values])
        edges.append(torch.unique(inner))

    def exact():
        middles = [((e[:-1] + e[1:]) / 2) for e in edges]
        widths = [e[1:] - e[:-1] for e in edges]
        grid = torch.cartesian_prod(*middles).reshape(-1, len(edges)).to(device)
        weight = torch.cartesian_prod(*widths).reshape(-1, len(edges)).prod(1).to(device)
        return f(grid), weight

    return Integrand(f, len(edges), noise="uniform", exact=exact)
