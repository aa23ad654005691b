"""Independent numeric routes for the tanh-squashed Gaussian of soft actor-critic
(``derivations/flow/tanh_gaussian.py``): ``torch.distributions``' own ``TanhTransform`` on a diagonal normal, and
the density of a = tanh(u) as the derivative of its CDF by autograd (no Jacobian formula written)."""

from __future__ import annotations

import torch
from torch.distributions import Independent, Normal, TanhTransform, TransformedDistribution

from derivspec.numerics.checks import elementwise_grad
from derivspec.numerics.routes import reference


@reference("flow.tanh-gaussian.log-prob")
def tanh_transformed_normal_log_prob(u1, u2, mu1, mu2, sigma1, sigma2):
    """TransformedDistribution(Independent(Normal(mu, sigma), 1), TanhTransform).log_prob(tanh u) (the transform
    caches u, so a = tanh u is not inverted)"""
    squash = TanhTransform(cache_size=1)
    u = torch.stack([u1, u2], -1)
    law = TransformedDistribution(Independent(Normal(torch.stack([mu1, mu2], -1), torch.stack([sigma1, sigma2], -1)), 1),
                                  [squash])
    return law.log_prob(squash(u))


@reference("flow.tanh-gaussian.log-prob")
def tanh_cdf_derivative(u1, u2, mu1, mu2, sigma1, sigma2):
    """autograd: log of d/da_i Φ((atanh a_i − μ_i)/σ_i) at a_i = tanh u_i, summed over the two coordinates (the
    CDF of each independent coordinate of a, differentiated)"""
    total = torch.zeros_like(u1)
    for u, mu, sigma in ((u1, mu1, sigma1), (u2, mu2, sigma2)):
        density = elementwise_grad(lambda a: Normal(mu, sigma).cdf(torch.atanh(a)), torch.tanh(u))
        total = total + density.log()
    return total
