"""Independent numeric routes for the KL family (``derivations/kl/``).

Routes, in the order they run: Monte Carlo (the mean of log p(x) − log q(x) over torch samples
x ~ p, n from the pilot variance for a 1e-6 false-fail rate and a 1 % detectable relative
error, at three random parameter points), ``torch.distributions.kl_divergence``, and
quadrature (scipy) or exact enumeration (scipy.special.rel_entr).
"""

from __future__ import annotations

import math

import torch
from scipy import integrate
from torch.distributions import Normal, kl_divergence

from derivspec.numerics.routes import monte_carlo, reference
from derivspec.numerics.sampling import log_ratio_draws
from derivspec.reference_models.device import DTYPE

QUADRATURE_POINTS = 24

# --- univariate Gaussians ----------------------------------------------------------------


@monte_carlo("kl.gaussian.univariate")
def univariate_log_ratio(mu1, sigma1, mu2, sigma2):
    """Monte Carlo: mean of log p(x) - log q(x), x ~ p"""
    return log_ratio_draws(Normal(mu1, sigma1), Normal(mu2, sigma2))


@reference("kl.gaussian.univariate", points=64)
def univariate_by_torch(mu1, sigma1, mu2, sigma2):
    """torch.distributions.kl_divergence"""
    return kl_divergence(Normal(mu1, sigma1), Normal(mu2, sigma2))


@reference("kl.gaussian.univariate", points=QUADRATURE_POINTS)
def univariate_by_quadrature(mu1, sigma1, mu2, sigma2):
    """scipy.integrate.quad of p(x) log(p(x)/q(x))"""
    values = []
    for a, b, c, d in zip(*(t.tolist() for t in (mu1, sigma1, mu2, sigma2))):
        def integrand(x):
            log_p = -0.5 * ((x - a) / b) ** 2 - math.log(b) - 0.5 * math.log(2 * math.pi)
            log_q = -0.5 * ((x - c) / d) ** 2 - math.log(d) - 0.5 * math.log(2 * math.pi)
            return math.exp(log_p) * (log_p - log_q)
        values.append(integrate.quad(integrand, a - 40 * b, a + 40 * b, epsabs=1e-13, epsrel=1e-12, limit=200)[0])
    return torch.tensor(values, dtype=DTYPE, device=mu1.device)


# --- to the standard normal --------------------------------------------------------------


def _standard_normal(like: torch.Tensor) -> Normal:
    return Normal(torch.zeros_like(like), torch.ones_like(like))


@monte_carlo("kl.gaussian.standard")
def standard_log_ratio(mu, sigma):
    """Monte Carlo: mean of log p(x) - log N(x; 0, 1), x ~ p"""
    return log_ratio_draws(Normal(mu, sigma), _standard_normal(mu))


@reference("kl.gaussian.standard", points=64)
def standard_by_torch(mu, sigma):
    """torch.distributions.kl_divergence to Normal(0, 1)"""
    return kl_divergence(Normal(mu, sigma), _standard_normal(mu))
