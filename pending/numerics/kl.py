"""Independent numeric routes for the KL family (``derivations/kl.py``).

Routes, in the order they run (the first failure stops the rest, see ``numerics.nll.all_of``):

1. Monte Carlo: the mean of log p(x) - log q(x) over torch samples x ~ p, with n from the
   pilot variance for a 1e-6 false-fail rate and a 1 % detectable relative error, at three
   random parameter points (:func:`numerics.checks.against_monte_carlo`);
2. ``torch.distributions.kl_divergence`` at 512 random points;
3. quadrature (scipy) or exact enumeration (scipy.special.rel_entr) at a few points.

Every wrong variant must fail route 1 already.
"""

from __future__ import annotations

import math

import numpy as np
import torch
from scipy import integrate, special
from torch.distributions import Bernoulli, Categorical, Independent, MultivariateNormal, Normal, kl_divergence

from derivspec.numerics.checks import NumericContext, NumericResult, against_monte_carlo, against_reference, all_of
from derivspec.reference_models.device import DTYPE, as_tensor

QUADRATURE_POINTS = 24


def _log_ratio_sampler(make_p, make_q, device):
    """sample_fn drawing log p(x) - log q(x) for x ~ p (distributions built from params)."""
    def sampler(params):
        p, q = make_p(params, device), make_q(params, device)

        def sample(n, generator):
            x = _sample(p, n, generator)
            return p.log_prob(x) - q.log_prob(x)
        return sample
    return sampler


def _sample(distribution, n: int, generator: torch.Generator) -> torch.Tensor:
    """Draw with an explicit generator (torch.distributions.sample takes none)."""
    if isinstance(distribution, Normal):
        noise = torch.randn((n,) + distribution.batch_shape, generator=generator, dtype=DTYPE,
                            device=distribution.loc.device)
        return distribution.loc + distribution.scale * noise
    if isinstance(distribution, Independent):
        return _sample(distribution.base_dist, n, generator)
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


# --- distributions from claim parameters ---------------------------------------------------

def normal(mu: str, sigma: str):
    return lambda p, device: Normal(as_tensor(p[mu], device), as_tensor(p[sigma], device))


STANDARD_NORMAL = lambda p, device: Normal(as_tensor(0.0, device), as_tensor(1.0, device))  # noqa: E731


def diagonal_normal(mus, sigmas):
    return lambda p, device: Independent(Normal(as_tensor([p[m] for m in mus], device),
                                                as_tensor([p[s] for s in sigmas], device)), 1)


def cholesky_normal(mean, tril):
    """N(mean, L Lᵀ) with L = [[l11, 0], [l21, l22]] from parameter names."""
    def make(p, device):
        l11, l21, l22 = (p[name] for name in tril)
        L = as_tensor([[l11, 0.0], [l21, l22]], device)
        return MultivariateNormal(as_tensor([p[m] for m in mean], device), scale_tril=L)
    return make


def bernoulli(prob: str):
    return lambda p, device: Bernoulli(probs=as_tensor(p[prob], device))


def probabilities(values: dict, names) -> torch.Tensor:
    """Rows of class probabilities from per-point weight tensors: stack, then normalise."""
    weights = torch.stack([values[n] for n in names], 1)
    return weights / weights.sum(1, keepdim=True)


def categorical(weights):
    return lambda p, device: Categorical(probs=as_tensor([p[w] for w in weights], device) / sum(p[w] for w in weights))


# --- routes ------------------------------------------------------------------------------------

def kl_routes(make_p, make_q, quadrature=None):
    """A numeric check: Monte Carlo, then torch kl_divergence, then an optional third route."""

    def check(candidate, claim, ctx: NumericContext) -> NumericResult:
        def by_torch(**values):
            n = next(iter(values.values())).shape[0]
            return torch.stack([kl_divergence(make_p({k: float(v[i]) for k, v in values.items()}, ctx.device),
                                              make_q({k: float(v[i]) for k, v in values.items()}, ctx.device))
                                for i in range(n)])

        routes = [
            lambda: against_monte_carlo(candidate, claim, ctx, _log_ratio_sampler(make_p, make_q, ctx.device),
                                        method="Monte Carlo: mean of log p(x) - log q(x), x ~ p"),
            lambda: against_reference(candidate, claim, ctx, by_torch, n_points=64,
                                      method="torch.distributions.kl_divergence"),
        ]
        if quadrature is not None:
            routes.append(lambda: against_reference(candidate, claim, ctx, quadrature, n_points=QUADRATURE_POINTS,
                                                    method=quadrature.__doc__.strip()))
        return all_of(*routes)

    return check


def quadrature_univariate(mu1, sigma1, mu2, sigma2):
    """scipy.integrate.quad of p(x) log(p(x)/q(x))"""
    values = []
    for a, b, c, d in zip(*(t.tolist() for t in (mu1, sigma1, mu2, sigma2))):
        def integrand(x):
            log_p = -0.5 * ((x - a) / b) ** 2 - math.log(b) - 0.5 * math.log(2 * math.pi)
            log_q = -0.5 * ((x - c) / d) ** 2 - math.log(d) - 0.5 * math.log(2 * math.pi)
            return math.exp(log_p) * (log_p - log_q)
        values.append(integrate.quad(integrand, a - 40 * b, a + 40 * b, epsabs=1e-13, epsrel=1e-12, limit=200)[0])
    return torch.tensor(values, dtype=DTYPE, device=mu1.device)


def exact_bernoulli(p, q):
    """scipy.special.rel_entr summed over {0, 1}"""
    pn, qn = p.cpu().numpy(), q.cpu().numpy()
    values = special.rel_entr(pn, qn) + special.rel_entr(1 - pn, 1 - qn)
    return torch.tensor(values, dtype=DTYPE, device=p.device)


def exact_categorical(names_p, names_q):
    def route(**values):
        """scipy.special.rel_entr summed over the classes"""
        P = np.stack([values[n].cpu().numpy() for n in names_p], 1)
        Q = np.stack([values[n].cpu().numpy() for n in names_q], 1)
        P, Q = P / P.sum(1, keepdims=True), Q / Q.sum(1, keepdims=True)
        return torch.tensor(special.rel_entr(P, Q).sum(1), dtype=DTYPE, device=values[names_p[0]].device)
    return route


def cross_entropy_minus_entropy(names_p, names_q):
    """H(p, q) − H(p) with F.cross_entropy (probability targets) and Categorical.entropy()."""
    def check(candidate, claim, ctx: NumericContext) -> NumericResult:
        def reference(**values):
            P, Q = probabilities(values, names_p), probabilities(values, names_q)
            cross = torch.nn.functional.cross_entropy(Q.log(), P, reduction="none")
            return cross - Categorical(probs=P).entropy()

        make_p, make_q = categorical(names_p), categorical(names_q)
        return all_of(
            lambda: against_monte_carlo(candidate, claim, ctx, _log_ratio_sampler(make_p, make_q, ctx.device),
                                        method="Monte Carlo: mean of log p(x) - log q(x), x ~ p"),
            lambda: against_reference(candidate, claim, ctx, reference,
                                      method="F.cross_entropy(probability targets) − Categorical.entropy()"))
    return check


def asymmetry(make_p, make_q):
    """KL(p‖q) − KL(q‖p): paired Monte Carlo (x ~ p, y ~ q) and kl_divergence both ways."""
    def check(candidate, claim, ctx: NumericContext) -> NumericResult:
        def sampler(params):
            p, q = make_p(params, ctx.device), make_q(params, ctx.device)

            def sample(n, generator):
                x, y = _sample(p, n, generator), _sample(q, n, generator)
                return (p.log_prob(x) - q.log_prob(x)) - (q.log_prob(y) - p.log_prob(y))
            return sample

        def by_torch(**values):
            out = []
            for i in range(next(iter(values.values())).shape[0]):
                params = {k: float(v[i]) for k, v in values.items()}
                p, q = make_p(params, ctx.device), make_q(params, ctx.device)
                out.append(kl_divergence(p, q) - kl_divergence(q, p))
            return torch.stack(out)

        return all_of(
            lambda: against_monte_carlo(candidate, claim, ctx, sampler,
                                        method="Monte Carlo: paired log-ratios, x ~ p and y ~ q"),
            lambda: against_reference(candidate, claim, ctx, by_torch, n_points=64,
                                      method="kl_divergence(p, q) − kl_divergence(q, p)"))
    return check


def bernoulli_kl_minimiser(candidate, claim, ctx: NumericContext) -> NumericResult:
    """argmin_q KL(Bern(p) ‖ Bern(q)) found by LBFGS on kl_divergence over logit(q)."""
    from derivspec.reference_models.regression import lbfgs_minimise

    def reference(p):
        out = []
        for value in p.tolist():
            target = Bernoulli(probs=as_tensor(value, ctx.device))
            logit = lbfgs_minimise(lambda z: kl_divergence(target, Bernoulli(logits=z[0])),
                                   torch.zeros(1, dtype=DTYPE, device=ctx.device), max_iter=100)
            out.append(torch.sigmoid(logit[0]))
        return torch.stack(out)

    return against_reference(candidate, claim, ctx, reference, n_points=16,
                             method="LBFGS on torch kl_divergence over q")


def empirical_nll_minus_kl(names_counts, names_model):
    """mean NLL of a dataset with the given class counts (F.cross_entropy) − KL(p̂ ‖ q)."""
    def check(candidate, claim, ctx: NumericContext) -> NumericResult:
        def reference(**values):
            counts = torch.stack([values[n] for n in names_counts], 1)
            out = []
            for c, q in zip(counts, probabilities(values, names_model)):
                labels = torch.repeat_interleave(torch.arange(len(c), device=c.device), c.round().long())
                mean_nll = torch.nn.functional.cross_entropy(q.log().expand(len(labels), -1), labels)
                p_hat = torch.bincount(labels, minlength=len(c)).to(DTYPE) / len(labels)
                out.append(mean_nll - kl_divergence(Categorical(probs=p_hat), Categorical(probs=q)))
            return torch.stack(out)

        return against_reference(candidate, claim, ctx, reference, n_points=64,
                                 method="F.cross_entropy over a dataset with those counts − kl_divergence")
    return check


def entropy_routes(names):
    """H(π): Monte Carlo of −log π_Y (Y ~ π), then torch Categorical.entropy()."""
    def check(candidate, claim, ctx: NumericContext) -> NumericResult:
        make = categorical(names)

        def sampler(params):
            distribution = make(params, ctx.device)

            def sample(n, generator):
                return -distribution.log_prob(_sample(distribution, n, generator))
            return sample

        def by_torch(**values):
            return Categorical(probs=probabilities(values, names)).entropy()

        return all_of(
            lambda: against_monte_carlo(candidate, claim, ctx, sampler, method="Monte Carlo: mean of -log π_Y, Y ~ π"),
            lambda: against_reference(candidate, claim, ctx, by_torch, method="torch Categorical.entropy()"))
    return check


def forward_fit_variance(candidate, claim, ctx: NumericContext) -> NumericResult:
    """s² of the forward-KL Gaussian fit to ½N(−δ,1) + ½N(δ,1), found by LBFGS (reference model)."""
    from derivspec.reference_models.mixture_fit import fit_forward_kl

    def reference(delta):
        return torch.tensor([fit_forward_kl(float(d), device=ctx.device).s ** 2 for d in delta.tolist()],
                            dtype=DTYPE, device=delta.device)

    result = against_reference(candidate, claim, ctx, reference, n_points=8,
                               method="reference model: forward-KL fit by LBFGS (mixture_fit.fit_forward_kl)")
    result.detail += "; the fit agrees with the closed form to ~1e-9, so rtol is 1e-9 as for exact routes"
    return result
