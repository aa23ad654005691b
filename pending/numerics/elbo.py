"""Independent numeric routes for the ELBO family (``derivations/elbo.py``).

Model: z ~ N(0,1), x|z ~ N(wz, s²), q = N(m, v). Monte Carlo estimates draw z ~ q with an
explicit generator and use torch.distributions log-densities (n from the pilot, 1e-6
false-fail rate, 1 % detectable relative error, 3 parameter points); scipy quad integrates
the same integrands; the optimal-q route maximises a quadrature ELBO with LBFGS.
"""

from __future__ import annotations

import math

import numpy as np
import torch
from scipy import integrate
from torch.distributions import Normal, kl_divergence

from derivspec.numerics.checks import (NumericContext, NumericResult, against_monte_carlo, against_reference, all_of,
                             elementwise_grad)
from derivspec.reference_models.device import DTYPE, as_tensor


def _parts(params, device):
    q = Normal(as_tensor(params["m"], device), as_tensor(params["v"], device).sqrt())
    prior = Normal(as_tensor(0.0, device), as_tensor(1.0, device))
    return q, prior


def _log_joint(x, w, s, z):
    return Normal(w * z, s).log_prob(x) + Normal(torch.zeros_like(z), torch.ones_like(z)).log_prob(z)


def _log_joint_at(params, z):
    """log p(x, z) at a parameter point given as floats."""
    return _log_joint(*(as_tensor(params[k], z.device) for k in ("x", "w", "s")), z)


def _sampler(per_sample, device):
    """sample_fn for ``against_monte_carlo``: per_sample(params, z) for z ~ q."""
    def sampler(params):
        q, _ = _parts(params, device)

        def sample(n, generator):
            z = q.loc + q.scale * torch.randn(n, generator=generator, dtype=DTYPE, device=device)
            return per_sample(params, z)
        return sample
    return sampler


def _quadrature(integrand):
    """scipy quad of q(z)·integrand(z) per point (integrand built from the point's params)."""
    def route(**values):
        out = []
        for i in range(next(iter(values.values())).shape[0]):
            p = {k: float(t[i]) for k, t in values.items()}
            sd = math.sqrt(p["v"])

            def f(z):
                log_q = -0.5 * ((z - p["m"]) / sd) ** 2 - math.log(sd) - 0.5 * math.log(2 * math.pi)
                return math.exp(log_q) * integrand(p, z, log_q)
            out.append(integrate.quad(f, p["m"] - 40 * sd, p["m"] + 40 * sd, epsabs=1e-13, epsrel=1e-12, limit=200)[0])
        return torch.tensor(out, dtype=DTYPE, device=next(iter(values.values())).device)
    return route


def _log_joint_scalar(p, z):
    x, w, s = p["x"], p["w"], p["s"]
    return (-0.5 * ((x - w * z) / s) ** 2 - math.log(s) - 0.5 * math.log(2 * math.pi)
            - 0.5 * z * z - 0.5 * math.log(2 * math.pi))


def elbo_routes(candidate, claim, ctx: NumericContext) -> NumericResult:
    def per_sample(params, z):
        q, _ = _parts(params, ctx.device)
        return _log_joint_at(params, z) - q.log_prob(z)

    def quadrature():
        return against_reference(candidate, claim, ctx, _quadrature(lambda p, z, log_q: _log_joint_scalar(p, z) - log_q),
                                 n_points=16, method="scipy quad of q (log p(x,z) − log q)")

    return all_of(
        lambda: against_monte_carlo(candidate, claim, ctx, _sampler(per_sample, ctx.device),
                                    method="Monte Carlo: log p(x|z) + log p(z) − log q(z), z ~ q"),
        quadrature)


def _log_evidence(params, device):
    w, s = as_tensor(params["w"], device), as_tensor(params["s"], device)
    return Normal(as_tensor(0.0, device), (w**2 + s**2).sqrt()).log_prob(as_tensor(params["x"], device))


def gap_routes(candidate, claim, ctx: NumericContext) -> NumericResult:
    def per_sample(params, z):
        q, _ = _parts(params, ctx.device)
        return q.log_prob(z) - _log_joint_at(params, z) + _log_evidence(params, ctx.device)

    def evidence_scalar(p):
        return -0.5 * p["x"] ** 2 / (p["w"] ** 2 + p["s"] ** 2) - 0.5 * math.log(2 * math.pi * (p["w"] ** 2 + p["s"] ** 2))

    return all_of(
        lambda: against_monte_carlo(candidate, claim, ctx, _sampler(per_sample, ctx.device),
                                    method="Monte Carlo: log q(z) − log p(x,z) + log p(x), z ~ q"),
        lambda: against_reference(candidate, claim, ctx,
                                  _quadrature(lambda p, z, log_q: log_q - _log_joint_scalar(p, z) + evidence_scalar(p)),
                                  n_points=16, method="scipy quad of q (log q − log p(x,z)) + log p(x)"))


def recon_minus_kl_routes(candidate, claim, ctx: NumericContext) -> NumericResult:
    def per_sample(params, z):
        q, prior = _parts(params, ctx.device)
        recon = Normal(as_tensor(params["w"], ctx.device) * z, as_tensor(params["s"], ctx.device)).log_prob(as_tensor(params["x"], ctx.device))
        return recon - kl_divergence(q, prior)

    return against_monte_carlo(candidate, claim, ctx, _sampler(per_sample, ctx.device),
                               method="Monte Carlo: log p(x|z) under z ~ q, minus kl_divergence(q, N(0,1))")


GAUSS_HERMITE = 80


def optimal_q(which: str):
    """The maximiser of a quadrature ELBO (probabilists' Gauss–Hermite nodes ε, z = m + √v ε)."""
    from derivspec.reference_models.regression import lbfgs_minimise

    def check(candidate, claim, ctx: NumericContext) -> NumericResult:
        nodes, weights = np.polynomial.hermite_e.hermegauss(GAUSS_HERMITE)
        eps = torch.tensor(nodes, dtype=DTYPE, device=ctx.device)
        weight = torch.tensor(weights / weights.sum(), dtype=DTYPE, device=ctx.device)

        def reference(**values):
            out = []
            for i in range(values["x"].shape[0]):
                x, w, s = (values[k][i] for k in ("x", "w", "s"))
                fixed = values.get("v" if which == "mean" else "m")[i]

                def negative_elbo(param):
                    m, log_v = (param[0], fixed.log()) if which == "mean" else (fixed, param[0])
                    z = m + (log_v / 2).exp() * eps
                    q = Normal(m, (log_v / 2).exp())
                    return -(weight * (_log_joint(x, w, s, z) - q.log_prob(z))).sum()

                start = torch.zeros(1, dtype=DTYPE, device=ctx.device)
                best = lbfgs_minimise(negative_elbo, start, max_iter=200)[0]
                out.append(best if which == "mean" else best.exp())
            return torch.stack(out)

        return against_reference(candidate, claim, ctx, reference, n_points=12, rtol=1e-6,
                                 method=f"LBFGS on a {GAUSS_HERMITE}-node Gauss–Hermite ELBO of torch log_probs")
    return check


def log_evidence_gradient(candidate, claim, ctx: NumericContext) -> NumericResult:
    def reference(x, w, s):
        return elementwise_grad(lambda v: Normal(torch.zeros_like(x), (v**2 + s**2).sqrt()).log_prob(x), w)

    return against_reference(candidate, claim, ctx, reference, method="autograd of Normal(0, √(w²+s²)).log_prob(x) in w")


def evidence_routes(candidate, claim, ctx: NumericContext) -> NumericResult:
    """log p(x) by scipy quad of the joint, then by Monte Carlo of p(x|z), z ~ N(0,1)."""
    def quadrature(x, w, s):
        out = []
        for xi, wi, si in zip(x.tolist(), w.tolist(), s.tolist()):
            def joint(z):
                return math.exp(-0.5 * ((xi - wi * z) / si) ** 2 - 0.5 * z * z) / (2 * math.pi * si)
            out.append(math.log(integrate.quad(joint, -40, 40, epsabs=1e-15, epsrel=1e-12, limit=200)[0]))
        return torch.tensor(out, dtype=DTYPE, device=x.device)

    def monte_carlo():
        # p(x) = E_{z~N(0,1)}[p(x|z)]: compare the mean likelihood with exp(candidate)
        import sympy
        return against_monte_carlo(sympy.exp(candidate), claim, ctx, lambda params: (
            lambda n, generator: Normal(as_tensor(params["w"], ctx.device) * torch.randn(n, generator=generator, dtype=DTYPE,
                                                                                   device=ctx.device),
                                        as_tensor(params["s"], ctx.device)).log_prob(as_tensor(params["x"], ctx.device)).exp()),
            method="Monte Carlo: mean of p(x|z), z ~ N(0,1), against exp(candidate)")

    return all_of(
        monte_carlo,
        lambda: against_reference(candidate, claim, ctx, quadrature, n_points=16, method="scipy quad of the joint over z"))
