"""Independent numeric routes and behaviour checks for the ELBO family (``derivations/elbo/``).

Conjugate model z ~ N(0,1), x|z ~ N(wz, s²), q = N(m, v): Monte Carlo estimates draw z ~ q
with the route's generator and use torch.distributions log-densities (n from the pilot, 1e-6
false-fail rate per parameter point, 1 % detectable relative error, 3 parameter points);
scipy quad integrates the same integrands (its abserr is the route's error); the optimal-q
routes maximise a quadrature ELBO with LBFGS (error: Newton steps of the 80- and 40-node
objectives at the answer); ``elbo.bound`` is checked on the reference VAE
(``reference_models/vae.py``) with a fitted encoder and by its Monte Carlo ELBO at its own
exact posterior.

IWAE (two-point latent): exact enumeration of the four outcomes (torch.logsumexp) and Monte
Carlo of the bound's integrand with Bernoulli draws.

Gradient estimators (``reference_models/gradient_estimators.py``): Monte Carlo of the pathwise
and of the score-function per-sample estimators, against Gauss–Hermite quadrature of E_q[f]
differentiated by autograd (80 nodes: exact for the polynomials used; the 40-node rule's
difference is the route's error).

Behaviour checks (the executable specifications the behaviour sources name) run on the CPU
with the explicit seeds given here or in the source's ``at``: the reference VAE for "ELBO ≤
log p(x)", "optimising q tightens the bound" and "IWAE gives tighter bounds"; the reference
estimators for "gradients flow through the sample", "REINFORCE estimates the gradient" and
"low-variance gradient estimates".
"""

from __future__ import annotations

import functools
import math
from typing import Callable

import numpy as np
import torch
from torch.distributions import Bernoulli, Normal, kl_divergence

from derivspec.core.numbers import fmt
from derivspec.numerics.accuracy import Approximate, agreement, moments_of_exp, quad_around
from derivspec.numerics.checks import elementwise_grad
from derivspec.numerics.montecarlo import Integrand, MonteCarloResult, monte_carlo_check, standard_normal
from derivspec.numerics.routes import behaviour, monte_carlo, reference
from derivspec.numerics.sampling import expectation, piecewise_constant
from derivspec.reference_models.device import DTYPE, make_generator
from derivspec.reference_models.gradient_estimators import (COMPONENTS, Elementwise, TestFunction, gradient_sampler,
                                                            reparam_gradient_at, score_function_gradient_at)
from derivspec.reference_models.optimality import minimum_excess, newton_step, optimum_error
from derivspec.reference_models.regression import lbfgs_minimise
from derivspec.reference_models.bernoulli_vae import log_mean_exp
from derivspec.reference_models.vae import (LinearGaussianVAE, exact_log_likelihood, exact_posterior_map,
                                            make_linear_gaussian_data)

CPU = torch.device("cpu")
QUADRATURE_POINTS = 16
GAUSS_HERMITE = 80
LOG_2PI = math.log(2 * math.pi)


# === the conjugate model ======================================================================


def _log_joint(x, w, s, z):
    """log p(x, z) = log N(x; wz, s²) + log N(z; 0, 1) (torch.distributions)."""
    return Normal(w * z, s).log_prob(x) + Normal(torch.zeros_like(z), torch.ones_like(z)).log_prob(z)


def _q(m, v) -> Normal:
    return Normal(m, v.sqrt())


def _log_joint_scalar(x, w, s, z):
    return (-0.5 * ((x - w * z) / s) ** 2 - math.log(s) - 0.5 * LOG_2PI - 0.5 * z * z - 0.5 * LOG_2PI)


def _quadrature_under_q(integrand: Callable, *values: torch.Tensor) -> Approximate:
    """scipy quad of q(z)·integrand(x, w, s, m, v, z, log q(z)) per point; values = (x, w, s, m, v).
    ``quad_around`` q's mean, on the scale of its standard deviation (the density as written);
    error: quad's abserr."""
    out = []
    for x, w, s, m, v in zip(*(t.tolist() for t in values)):
        sd = math.sqrt(v)

        def f(z):
            log_q = -0.5 * ((z - m) / sd) ** 2 - math.log(sd) - 0.5 * LOG_2PI
            return math.exp(log_q) * integrand(x, w, s, m, v, z, log_q)

        out.append(quad_around(f, m, sd, epsabs=1e-13, epsrel=1e-12, limit=200))
    return Approximate.of(out, "scipy quad abserr", values[0])


def _log_evidence_scalar(x, w, s):
    return -0.5 * x**2 / (w**2 + s**2) - 0.5 * math.log(2 * math.pi * (w**2 + s**2))


# --- elbo.linear-gaussian ---------------------------------------------------------------------


@monte_carlo("elbo.linear-gaussian")
def elbo_draws(x, w, s, m, v):
    """Monte Carlo: log p(x|z) + log p(z) − log q(z), z ~ q"""
    q = _q(m, v)
    return expectation(q, lambda z: _log_joint(x, w, s, z) - q.log_prob(z))


@reference("elbo.linear-gaussian", points=QUADRATURE_POINTS)
def elbo_by_quadrature(x, w, s, m, v):
    """scipy quad of q (log p(x,z) − log q)"""
    return _quadrature_under_q(lambda x, w, s, m, v, z, log_q: _log_joint_scalar(x, w, s, z) - log_q, x, w, s, m, v)


# --- elbo.evidence ----------------------------------------------------------------------------


@monte_carlo("elbo.evidence", compare=math.exp)
def likelihood_under_the_prior(x, w, s):
    """Monte Carlo: mean of p(x|z), z ~ N(0,1), against exp(candidate)"""
    prior = Normal(torch.zeros_like(x), torch.ones_like(x))
    return expectation(prior, lambda z: Normal(w * z, s).log_prob(x).exp())


@reference("elbo.evidence", points=QUADRATURE_POINTS)
def evidence_by_quadrature(x, w, s):
    """scipy quad of the joint over z

    Around the joint's peak in z (a scalar search; width from a second difference there), the peak
    value factored out; error: quad's abserr over the integral (the log's first-order error)."""
    out = []
    for xi, wi, si in zip(x.tolist(), w.tolist(), s.tolist()):
        def log_joint(z):
            return -0.5 * ((xi - wi * z) / si) ** 2 - 0.5 * z * z - math.log(2 * math.pi * si)

        log_z, _, _ = moments_of_exp(log_joint)
        out.append(log_z)
    return Approximate.of(out, "scipy quad abserr, relative", x)


# --- elbo.gap ---------------------------------------------------------------------------------


def _log_evidence(x, w, s):
    return Normal(torch.zeros_like(x), (w**2 + s**2).sqrt()).log_prob(x)


@monte_carlo("elbo.gap")
def gap_draws(x, w, s, m, v):
    """Monte Carlo: log q(z) − log p(x,z) + log p(x), z ~ q"""
    q = _q(m, v)
    return expectation(q, lambda z: q.log_prob(z) - _log_joint(x, w, s, z) + _log_evidence(x, w, s))


@reference("elbo.gap", points=QUADRATURE_POINTS)
def gap_by_quadrature(x, w, s, m, v):
    """scipy quad of q (log q − log p(x,z)) + log p(x)"""
    return _quadrature_under_q(
        lambda x, w, s, m, v, z, log_q: log_q - _log_joint_scalar(x, w, s, z) + _log_evidence_scalar(x, w, s),
        x, w, s, m, v)


# --- elbo.recon-kl ----------------------------------------------------------------------------


@monte_carlo("elbo.recon-kl")
def recon_minus_kl_draws(x, w, s, m, v):
    """Monte Carlo: log p(x|z) under z ~ q, minus kl_divergence(q, N(0,1))"""
    q = _q(m, v)
    kl = kl_divergence(q, Normal(torch.zeros_like(m), torch.ones_like(m)))
    return expectation(q, lambda z: Normal(w * z, s).log_prob(x) - kl)


# --- elbo.optimal-q.mean / .variance ----------------------------------------------------------


@functools.lru_cache(maxsize=8)
def _gauss_hermite(device, nodes: int = GAUSS_HERMITE) -> tuple[torch.Tensor, torch.Tensor]:
    """Probabilists' Gauss–Hermite nodes ε and weights normalised to sum 1 (E over N(0, 1))."""
    eps, weights = np.polynomial.hermite_e.hermegauss(nodes)
    return (torch.tensor(eps, dtype=DTYPE, device=device),
            torch.tensor(weights / weights.sum(), dtype=DTYPE, device=device))


def _negative_quadrature_elbo(x, w, s, fixed, which: str, nodes: int) -> Callable[[torch.Tensor], torch.Tensor]:
    """Minus a ``nodes``-node Gauss–Hermite ELBO built from torch log_probs (z = m + √v ε), as a
    function of q's mean (``which="mean"``, v = ``fixed``) or of its log variance (m = ``fixed``)."""
    eps, weight = _gauss_hermite(x.device, nodes)

    def negative_elbo(param):
        m, log_v = (param[0], fixed.log()) if which == "mean" else (fixed, param[0])
        z = m + (log_v / 2).exp() * eps
        return -(weight * (_log_joint(x, w, s, z) - Normal(m, (log_v / 2).exp()).log_prob(z))).sum()
    return negative_elbo


def _optimal_q(x, w, s, fixed, which: str) -> Approximate:
    """argmax of the 80-node ELBO over q's mean or variance per point, by LBFGS. Error: the Newton
    step of the 80-node objective at the answer (the optimiser's error) plus that of the 40-node
    objective (the distance to that rule's optimum: the rule's error), through exp for the variance."""
    quantity = (lambda p: p[0]) if which == "mean" else (lambda p: p[0].exp())
    pairs = []
    for i in range(x.shape[0]):
        fine, coarse = (_negative_quadrature_elbo(x[i], w[i], s[i], fixed[i], which, n)
                        for n in (GAUSS_HERMITE, GAUSS_HERMITE // 2))
        best = lbfgs_minimise(fine, torch.zeros(1, dtype=DTYPE, device=x.device), max_iter=200)
        value, optimiser_error = optimum_error(quantity, best, newton_step(fine, best))
        rule_error = optimum_error(quantity, best, newton_step(coarse, best))[1]
        pairs.append((float(value), float(optimiser_error + rule_error)))
    return Approximate.of(pairs, "Newton steps of the 80- and 40-node objectives at the LBFGS answer", x)


@reference("elbo.optimal-q.mean", points=12)
def optimal_mean_by_lbfgs(x, w, s, v):
    """LBFGS on an 80-node Gauss–Hermite ELBO of torch log_probs, over q's mean

    Error: the Newton step at the answer, plus the distance to the 40-node rule's optimum (its Newton step)."""
    return _optimal_q(x, w, s, v, "mean")


@reference("elbo.optimal-q.variance", points=12)
def optimal_variance_by_lbfgs(x, w, s, m):
    """LBFGS on an 80-node Gauss–Hermite ELBO of torch log_probs, over q's variance

    Error: the Newton step at the answer, plus the distance to the 40-node rule's optimum (its Newton step)."""
    return _optimal_q(x, w, s, m, "variance")


# --- elbo.decoder-gradient --------------------------------------------------------------------


@reference("elbo.decoder-gradient")
def log_evidence_gradient(x, w, s):
    """autograd of Normal(0, √(w²+s²)).log_prob(x) in w"""
    return elementwise_grad(lambda weight: Normal(torch.zeros_like(x), (weight**2 + s**2).sqrt()).log_prob(x), w)


# --- elbo.bound: the reference VAE --------------------------------------------------------------


def _one_dimensional_vae(w, s, device) -> LinearGaussianVAE:
    """The reference VAE with D = d = 1 and decoder p(x|z) = N(wz, s²) (b = 0)."""
    vae = LinearGaussianVAE(1, 1, device=device)
    with torch.no_grad():
        vae.W.fill_(float(w))
        vae.b.zero_()
        vae.log_s.fill_(math.log(float(s)))
    return vae


class _EncoderElbo(torch.nn.Module):
    """The VAE's closed-form ELBO at x as a module, so its encoder can be swapped functionally."""

    def __init__(self, vae: LinearGaussianVAE, x: torch.Tensor):
        super().__init__()
        self.vae, self.x = vae, x

    def forward(self) -> torch.Tensor:
        return self.vae.elbo_analytic(self.x).sum()


@reference("elbo.bound", points=12)
def bound_by_fitting_the_vae_encoder(x, w, s):
    """reference VAE (D = d = 1): its closed-form ELBO maximised over the encoder by LBFGS, decoder fixed

    Error: the maximum's shortfall ½ ∇fᵀH⁻¹∇f at the LBFGS answer (second order)."""
    pairs = []
    for xi, wi, si in zip(x.tolist(), w.tolist(), s.tolist()):
        vae = _one_dimensional_vae(wi, si, x.device)
        elbo = _EncoderElbo(vae, torch.tensor([[xi]], dtype=DTYPE, device=x.device))

        def negative_elbo(theta):  # theta = (c, log_var); the encoder's A stays 0
            return -torch.func.functional_call(elbo, {"vae.c": theta[:1], "vae.log_var": theta[1:]}, ())

        theta = lbfgs_minimise(negative_elbo, torch.zeros(2, dtype=DTYPE, device=x.device), max_iter=200)
        with torch.no_grad():
            maximum = -float(negative_elbo(theta))
        pairs.append((maximum, minimum_excess(negative_elbo, theta)))
    return Approximate.of(pairs, "½ ∇fᵀH⁻¹∇f at the LBFGS answer", x)


@monte_carlo("elbo.bound")
def vae_elbo_at_its_exact_posterior(x, w, s):
    """Monte Carlo: the reference VAE's ELBO estimate (one reparameterised z, KL in closed form), encoder at its exact posterior"""
    vae = _one_dimensional_vae(w, s, x.device)
    A, c, cov = exact_posterior_map(*vae.decoder_parameters())
    vae = vae.with_encoder(A=A, c=c, log_var=cov.diagonal().log())
    point = x.reshape(1, 1)

    def draw(n, generator):
        with torch.no_grad():
            return vae.elbo(point.expand(n, 1), generator, n_samples=1)
    return draw


# The executable specification behind "ELBO ≤ log p(x)" and "IWAE tightens": the D = 2, d = 1
# model of property_tests/test_vae.py (W = (2, 1), b = (0.5, −1), s = 0.5) and points drawn from it.
SPEC_W, SPEC_B, SPEC_S = [[2.0], [1.0]], [0.5, -1.0], 0.5
SPEC_POINTS = 1000
SPEC_DATA_SEED = 0
RANDOM_ENCODERS = 8
BOUND_TOL = 1e-10  # float64 round-off of a ~1e2 closed-form ELBO
TIGHT_TOL = 1e-9


def _spec_vae(points: int = SPEC_POINTS) -> tuple[LinearGaussianVAE, torch.Tensor, torch.Tensor]:
    """(VAE with the spec decoder and its exact-posterior encoder, x, exact log p(x))."""
    W, b = torch.tensor(SPEC_W, dtype=DTYPE), torch.tensor(SPEC_B, dtype=DTYPE)
    x = make_linear_gaussian_data(points, W, b, SPEC_S, make_generator(SPEC_DATA_SEED, CPU), CPU)
    vae = LinearGaussianVAE(2, 1, device=CPU)
    with torch.no_grad():
        vae.W.copy_(W)
        vae.b.copy_(b)
        vae.log_s.fill_(math.log(SPEC_S))
    A, c, cov = exact_posterior_map(W, b, SPEC_S)
    vae = vae.with_encoder(A=A, c=c, log_var=cov.diagonal().log())
    return vae, x, exact_log_likelihood(x, W, b, SPEC_S)


def _spec_encoders(vae: LinearGaussianVAE) -> dict[str, LinearGaussianVAE]:
    """The exact posterior, its standard deviation doubled, the prior, and random encoders."""
    g = make_generator(1, CPU)
    encoders = {"exact posterior": vae,
                "posterior, std x2": vae.with_encoder(log_var=vae.log_var.detach() + 2 * math.log(2.0)),
                "prior": vae.with_encoder(A=torch.zeros(1, 2), c=torch.zeros(1), log_var=torch.zeros(1))}
    for k in range(RANDOM_ENCODERS):
        encoders[f"random {k}"] = vae.with_encoder(A=torch.randn(1, 2, generator=g, dtype=DTYPE),
                                                   c=torch.randn(1, generator=g, dtype=DTYPE),
                                                   log_var=torch.randn(1, generator=g, dtype=DTYPE))
    return encoders


def beta_elbo(vae: LinearGaussianVAE, x: torch.Tensor, beta: float) -> torch.Tensor:
    """E_q[log p(x|z)] − β·KL(q ‖ p(z)) per point, both terms in closed form."""
    return vae.expected_log_lik_analytic(x) - beta * vae.kl_to_prior(x)


@behaviour("elbo.bound", broken={
    "the KL added, not subtracted": dict(bound=lambda vae, x, beta: vae.expected_log_lik_analytic(x) + beta * vae.kl_to_prior(x)),
    "the KL left out: the expected log-likelihood alone": dict(bound=lambda vae, x, beta: vae.expected_log_lik_analytic(x)),
})
def elbo_below_log_likelihood(beta, *, bound=beta_elbo):
    """reference VAE: E_q[log p(x|z)] − β·KL(q‖p(z)) ≤ log p(x) at every point for 11 encoders, = log p(x) at the exact posterior

    Seam: the bound ((VAE with an encoder, x, β) -> per-point value)."""
    vae, x, log_p = _spec_vae()
    worst, tight_error = -math.inf, math.inf
    elbo_bound = bound
    with torch.no_grad():
        for name, encoder in _spec_encoders(vae).items():
            bound = elbo_bound(encoder, x, beta)
            excess = float((bound - log_p).max())
            if excess > worst:
                worst, worst_name = excess, name
            if name == "exact posterior":
                tight_error = float((bound - log_p).abs().max())
    holds = worst <= BOUND_TOL and tight_error <= TIGHT_TOL
    return holds, (f"beta = {fmt(beta, 'g')}, {SPEC_POINTS} points of the D = 2, d = 1 model, {3 + RANDOM_ENCODERS} encoders: "
                   f"max(bound − log p(x)) = {fmt(worst, '.3g')} ({worst_name}; must be ≤ {fmt(BOUND_TOL, 'g')}); at the exact posterior "
                   f"max |bound − log p(x)| = {fmt(tight_error, '.2g')} (must be ≤ {fmt(TIGHT_TOL, 'g')})")


@behaviour("elbo.bound", broken={
    "the encoder's variance left at the prior's, only its mean map trained": dict(trained=("A", "c")),
    "the KL left out of the objective: E_q[log p(x|z)] maximised": dict(objective=lambda vae, x: vae.expected_log_lik_analytic(x)),
})
def optimising_q_tightens_the_bound(steps, *, trained=("A", "c", "log_var"), objective=lambda vae, x: vae.elbo_analytic(x)):
    """reference VAE: LBFGS on the encoder from the prior (decoder fixed) lowers the gap log p(x) − ELBO at every step, towards 0

    Seams: the encoder parameters trained (names), and the objective LBFGS maximises ((vae, x) -> per-point value)."""
    vae, x, log_p = _spec_vae(points=200)
    vae = vae.with_encoder(A=torch.zeros(1, 2), c=torch.zeros(1), log_var=torch.zeros(1))
    for p in (vae.W, vae.b, vae.log_s, vae.A, vae.c, vae.log_var):
        p.requires_grad_(False)
    parameters = [getattr(vae, name).requires_grad_(True) for name in trained]
    optimiser = torch.optim.LBFGS(parameters, max_iter=1, history_size=20,
                                  line_search_fn="strong_wolfe", tolerance_grad=0.0, tolerance_change=0.0)

    def mean_gap() -> float:
        with torch.no_grad():
            return float((log_p - vae.elbo_analytic(x)).mean())

    def closure():
        optimiser.zero_grad()
        loss = -objective(vae, x).mean()
        loss.backward()
        return loss

    gaps = [mean_gap()]
    for _ in range(int(steps)):
        optimiser.step(closure)
        gaps.append(mean_gap())
    never_up = all(b <= a + 1e-12 for a, b in zip(gaps, gaps[1:]))
    holds = never_up and len(gaps) > 1 and gaps[-1] < 1e-6 * gaps[0]
    return holds, (f"{int(steps)} LBFGS steps on 200 points: mean gap {fmt(gaps[0], '.4g')} → {fmt(gaps[-1], '.3g')}; "
                   f"{'never' if never_up else 'not always'} non-increasing")


# === the IWAE bound (two-point latent) ===========================================================


def _log_weight(z, w0, w1):
    return torch.where(z > 0.5, w1.log(), w0.log())


@monte_carlo("elbo.iwae.bound")
def iwae_two_draws(w0, w1, r):
    """expectation of the log of the mean of two importance weights, z_1, z_2 ~ Bernoulli(r) drawn as u < r: summed exactly over the uniforms' cells (Monte Carlo route)"""
    def log_mean_weight(u):
        z1, z2 = (u[:, 0] < r).to(DTYPE), (u[:, 1] < r).to(DTYPE)
        log_w = torch.stack((_log_weight(z1, w0, w1), _log_weight(z2, w0, w1)))
        return torch.logsumexp(log_w, 0) - math.log(2)
    return piecewise_constant(log_mean_weight, [[r], [r]])


@reference("elbo.iwae.bound", points=256)
def iwae_by_enumeration(w0, w1, r):
    """exact enumeration of the four (z_1, z_2) outcomes: Bernoulli(r).log_prob and torch.logsumexp"""
    q = Bernoulli(probs=r)
    total = torch.zeros_like(r)
    for a in (0.0, 1.0):
        for b in (0.0, 1.0):
            za, zb = torch.full_like(r, a), torch.full_like(r, b)
            prob = (q.log_prob(za) + q.log_prob(zb)).exp()
            log_mean = torch.logsumexp(torch.stack((_log_weight(za, w0, w1), _log_weight(zb, w0, w1))), 0) - math.log(2)
            total = total + prob * log_mean
    return total


IWAE_KS = (1, 5, 50, 500)
# 20 000 points: with the proposal's std doubled the last step (K = 50 -> 500, ~4e-3) stands at
# 5-6 SE over seeds 1-3 (2 000 points left it at ~2 SE); 2 s on one CPU thread.
IWAE_POINTS = 20_000
IWAE_SEED = 1
RESOLVED_SE = 3.0  # a step counts as resolved when its mean exceeds 3 standard errors ...
RESOLVED_FLOOR = 1e-9  # ... and float64 round-off of a ~1e1 log-weight by a wide margin
ELBO_SE = 5.0  # IWAE_1 is an unbiased estimate of the ELBO: within 5 SE of the closed form


def _mean_se(values: torch.Tensor) -> tuple[float, float]:
    return float(values.mean()), float(values.std(unbiased=True)) / math.sqrt(values.numel())


@behaviour("elbo.iwae.bound", broken={
    "the mean of the log weights, not the log of their mean (the ELBO for every K)": dict(combine=lambda log_w, dim: log_w.mean(dim)),
    "the log of the sum of the weights: the 1/K dropped": dict(combine=torch.logsumexp),
})
def iwae_tightens_with_k(proposal_scale, k_max, *, combine=log_mean_exp):
    """reference VAE: IWAE_K for K = 1, 5, 50, 500 rises with K (each step > 3 SE) and stays below log p(x) (common random numbers)

    Seam: the map from K log importance weights to the bound ((log_w, dim) -> IWAE_K)."""
    vae, x, log_p = _spec_vae(points=IWAE_POINTS)
    proposal = vae.with_encoder(log_var=vae.log_var.detach() + 2 * math.log(float(proposal_scale)))
    Ks = [K for K in IWAE_KS if K < int(k_max)] + [int(k_max)]
    with torch.no_grad():
        bounds = proposal.iwae_bounds(x, Ks, make_generator(IWAE_SEED, CPU), combine=combine)
        elbo = proposal.elbo_analytic(x)
    steps = [_mean_se(bounds[b] - bounds[a]) for a, b in zip(Ks, Ks[1:])]
    gaps = [_mean_se(log_p - bounds[K]) for K in Ks]
    first = _mean_se(bounds[Ks[0]] - elbo)
    rising = all(mean > RESOLVED_SE * se and mean > RESOLVED_FLOOR for mean, se in steps)
    below = all(mean > -RESOLVED_SE * se - RESOLVED_FLOOR for mean, se in gaps)
    starts_at_elbo = Ks[0] == 1 and abs(first[0]) <= ELBO_SE * first[1] + RESOLVED_FLOOR
    holds = rising and below and starts_at_elbo
    return holds, (f"proposal = exact posterior with std x{fmt(float(proposal_scale), 'g')}, {IWAE_POINTS} points: gaps log p − IWAE_K "
                   + ", ".join(f"K={K}: {fmt(m, '.3g')} ± {fmt(se, '.2g')}" for K, (m, se) in zip(Ks, gaps))
                   + "; steps " + ", ".join(f"{fmt(m, '.3g')} ({fmt(m / se, '.1f')} SE)" if se > 0 else f"{fmt(m, '.3g')} (SE 0)" for m, se in steps)
                   + f"; IWAE_1 − ELBO = {fmt(first[0], '.2g')} ± {fmt(first[1], '.2g')}")


# === gradient estimators ========================================================================


def cube(z: torch.Tensor) -> torch.Tensor:
    """f(z) = z³, the function of the elbo.gradient.* claims."""
    return z**3


def _expectation_by_quadrature(f: Elementwise, m: torch.Tensor, v: torch.Tensor, nodes: int = GAUSS_HERMITE) -> torch.Tensor:
    """E_{z~N(m, v)}[f(z)] per point by ``nodes``-node Gauss–Hermite quadrature (differentiable in m)."""
    eps, weight = _gauss_hermite(m.device, nodes)
    return (f(m[..., None] + v.sqrt()[..., None] * eps) * weight).sum(-1)


def gradient_by_quadrature(f: Elementwise, m: torch.Tensor, v: torch.Tensor, nodes: int = GAUSS_HERMITE) -> torch.Tensor:
    """∂/∂m E_{N(m, v)}[f] per point: autograd of the quadrature expectation."""
    return elementwise_grad(lambda mean: _expectation_by_quadrature(f, mean, v, nodes), m)


GAUSS_HERMITE_HOW = f"|{GAUSS_HERMITE} − {GAUSS_HERMITE // 2} Gauss–Hermite nodes|"


@monte_carlo("elbo.gradient.reparameterisation")
def pathwise_estimator(m, v):
    """Monte Carlo: per-sample ∂/∂m f(m + √v ε) by autograd through the sample (reference estimator)"""
    return Integrand(lambda u: reparam_gradient_at(cube, m, v.sqrt(), standard_normal(u[:, 0]))[:, 0], dim=1)


@monte_carlo("elbo.gradient.score-function")
def score_function_estimator(m, v):
    """Monte Carlo: per-sample f(z)·∂/∂m log q(z), z ~ q, score by autograd (reference estimator)"""
    sigma = v.sqrt()
    return Integrand(lambda u: score_function_gradient_at(cube, m, sigma, m + sigma * standard_normal(u[:, 0]))[:, 0],
                     dim=1)


@reference("elbo.gradient.reparameterisation", "elbo.gradient.score-function", points=128)
def expectation_gradient_by_quadrature(m, v):
    """autograd in m of E_q[z³] by 80-node Gauss–Hermite quadrature

    Error: the difference from the 40-node rule (both exact for polynomials of degree < 80)."""
    value, error = agreement(gradient_by_quadrature(cube, m, v, GAUSS_HERMITE // 2), gradient_by_quadrature(cube, m, v))
    return Approximate(value, error, GAUSS_HERMITE_HOW)


def _variance_gap_at(f: Elementwise, m: float, v: float, eps: torch.Tensor, weight: torch.Tensor) -> torch.Tensor:
    """Var[score-function] − Var[pathwise] with the expectations as weighted sums over the noise ``eps``."""
    sigma = math.sqrt(v)
    pathwise = reparam_gradient_at(f, m, sigma, eps)[:, 0]
    score_fn = score_function_gradient_at(f, m, sigma, m + sigma * eps)[:, 0]

    def variance(g):
        mean = (weight * g).sum()
        return (weight * (g - mean) ** 2).sum()
    return variance(score_fn) - variance(pathwise)


@reference("elbo.gradient.variance", points=64)
def variance_gap_by_quadrature(m, v):
    """80-node Gauss–Hermite quadrature of the variances of the two reference per-sample estimators

    Error: the difference from the 40-node rule (both exact for polynomials of degree < 80)."""
    def gap(nodes):
        eps, weight = _gauss_hermite(m.device, nodes)
        return torch.stack([_variance_gap_at(cube, mi, vi, eps, weight) for mi, vi in zip(m.tolist(), v.tolist())])
    value, error = agreement(gap(GAUSS_HERMITE // 2), gap(GAUSS_HERMITE))
    return Approximate(value, error, GAUSS_HERMITE_HOW)


NOISE_POWERS = 8  # controls ε, ε², …, ε⁸ for the variance-gap draws (a degree-8 polynomial in ε for f = z³)


def _normal_power_moments(k_max: int) -> tuple[float, ...]:
    """E[ε^k], k = 1 … k_max, for ε ~ N(0, 1) by 80-node Gauss–Hermite quadrature (exact for these
    powers): the control means, from a source independent of the claim."""
    nodes, weights = np.polynomial.hermite_e.hermegauss(GAUSS_HERMITE)
    weights = weights / weights.sum()
    return tuple(float((weights * nodes**k).sum()) for k in range(1, k_max + 1))


@monte_carlo("elbo.gradient.variance")
def variance_gap_draws(m, v):
    """Monte Carlo: mean of g_score² − g_path² (both estimators at the same ε; equal means, so this is the variance gap), control variates ε^k with Gauss–Hermite moments"""
    sigma = v.sqrt()

    def gap(u):
        eps = standard_normal(u[:, 0])
        pathwise = reparam_gradient_at(cube, m, sigma, eps)[:, 0]
        score_fn = score_function_gradient_at(cube, m, sigma, m + sigma * eps)[:, 0]
        return score_fn**2 - pathwise**2, torch.stack([eps**k for k in range(1, NOISE_POWERS + 1)], 1)
    # the draws have moments up to ε^16: without the controls the pilot misjudges them and the
    # CLT at the 1e-6 tail needs far more than 2e7 draws (before: capped at 2e7, 2 % detectable)
    return Integrand(gap, dim=1, noise=None, control_means=_normal_power_moments(NOISE_POWERS))


def pathwise_gradient(f: Elementwise, m: float, sigma: float, eps: torch.Tensor) -> torch.Tensor:
    """Per-sample ∂/∂m f(m + σε) by autograd through the sample (reference estimator)."""
    return reparam_gradient_at(f, m, sigma, eps)[:, 0]


def detached_sample_gradient(f: Elementwise, m: float, sigma: float, eps: torch.Tensor) -> torch.Tensor:
    """Per-sample ∂/∂m f(z) with z = m + σε detached: autograd sees f at fixed samples only (004 L2628–2631): 0."""
    mean = torch.full(eps.shape, m, dtype=DTYPE, device=eps.device, requires_grad=True)
    sample_held_fixed = (mean + sigma * eps).detach()
    (d_mean,) = torch.autograd.grad(f(sample_held_fixed).sum() + 0 * mean.sum(), mean)
    return d_mean


def score_function_gradient(f: Elementwise, m: float, sigma: float, z: torch.Tensor) -> torch.Tensor:
    """Per-sample f(z)·∂/∂m log N(z; m, σ²) (reference estimator)."""
    return score_function_gradient_at(f, m, sigma, z)[:, 0]


def pathwise_check(f: Elementwise, m: float, v: float, generator: torch.Generator,
                   through_the_sample: bool = True, *, per_sample=None) -> MonteCarloResult:
    """Monte Carlo check (1e-6 false-fail rate) of a per-sample gradient estimator ``per_sample(f, m, σ, ε)``
    (default the pathwise one) against the quadrature gradient.

    ``through_the_sample=False`` breaks the premise: :func:`detached_sample_gradient`."""
    expected = float(gradient_by_quadrature(f, torch.tensor([m], dtype=DTYPE), torch.tensor([v], dtype=DTYPE))[0])
    sigma = math.sqrt(v)
    per_sample = per_sample or (pathwise_gradient if through_the_sample else detached_sample_gradient)

    def draw(n, g):
        return per_sample(f, m, sigma, torch.randn(n, generator=g, dtype=DTYPE, device=g.device))
    return monte_carlo_check(draw, expected, generator)


def score_function_check(f: Elementwise, m: float, v: float, generator: torch.Generator,
                         sample_shift: float = 0.0, *, per_sample=score_function_gradient) -> MonteCarloResult:
    """Monte Carlo check (1e-6 false-fail rate) of a per-sample estimator ``per_sample(f, m, σ, z)``, z ~ q
    (default the score-function one), against the quadrature gradient. ``sample_shift`` ≠ 0 breaks the
    premise: z is drawn from N(m + shift, v) while the score is that of N(m, v) (off-policy samples,
    no importance weights)."""
    expected = float(gradient_by_quadrature(f, torch.tensor([m], dtype=DTYPE), torch.tensor([v], dtype=DTYPE))[0])
    sigma = math.sqrt(v)

    def draw(n, g):
        z = m + sample_shift + sigma * torch.randn(n, generator=g, dtype=DTYPE, device=g.device)
        return per_sample(f, m, sigma, z)
    return monte_carlo_check(draw, expected, generator)


def _describe(result: MonteCarloResult) -> str:
    return (f"n = {result.n}, estimate {fmt(result.estimate, '.6g')} ± {fmt(result.stderr, '.2g')}, quadrature {fmt(result.expected, '.6g')}, "
            f"z = {fmt(result.z, '.2f')} (critical {fmt(result.z_critical, '.2f')}, false-fail rate {fmt(result.false_fail_rate, 'g')})")


@behaviour("elbo.gradient.reparameterisation", broken={
    "the sample detached: autograd sees f at fixed samples": dict(per_sample=detached_sample_gradient),
    "the σ-component f'(z)·ε taken for ∂/∂m": dict(per_sample=lambda f, m, sigma, eps: reparam_gradient_at(f, m, sigma, eps)[:, 1]),
})
def gradient_flows_through_the_sample(m, v, seed, *, per_sample=pathwise_gradient):
    """reference estimator: autograd through z = m + √v ε gives per-sample gradients whose mean is ∂/∂m E[z³] (quadrature)

    Seam: the per-sample gradient estimator ((f, m, σ, ε) -> ∂/∂m estimates)."""
    result = pathwise_check(cube, m, v, make_generator(seed, CPU), per_sample=per_sample)
    return result.passed, f"f = z³ at m = {fmt(m, 'g')}, v = {fmt(v, 'g')}: {_describe(result)}"


@behaviour("elbo.gradient.score-function", broken={
    "the score's sign flipped: (m − z)/v": dict(per_sample=lambda f, m, sigma, z: -score_function_gradient(f, m, sigma, z)),
    "the score written z − m, the 1/v dropped": dict(per_sample=lambda f, m, sigma, z: sigma**2 * score_function_gradient(f, m, sigma, z)),
})
def score_function_estimate_is_unbiased(m, v, seed, *, per_sample=score_function_gradient):
    """reference estimator: the sample mean of f(z)·∂/∂m log q(z), z ~ q, is ∂/∂m E[z³] (quadrature)

    Seam: the per-sample estimator ((f, m, σ, z) -> ∂/∂m estimates)."""
    result = score_function_check(cube, m, v, make_generator(seed, CPU), per_sample=per_sample)
    return result.passed, f"f = z³ at m = {fmt(m, 'g')}, v = {fmt(v, 'g')}: {_describe(result)}"


VARIANCE_DRAWS = 200_000
VARIANCE_SE = 5.0  # the variance gap must exceed 5 standard errors of its estimate


def variance_comparison(f: Elementwise, m: float, v: float, generator: torch.Generator,
                        n: int = VARIANCE_DRAWS, *, pathwise=pathwise_gradient,
                        score_function=score_function_gradient) -> tuple[bool, str]:
    """Is the pathwise estimator's per-sample variance the smaller, by more than 5 standard errors?
    (Both estimators from the same n draws of ε; the SE is that of the mean of the paired
    differences of squared deviations.) ``pathwise(f, m, σ, ε)`` and ``score_function(f, m, σ, z)``
    are the per-sample estimators compared."""
    sigma = math.sqrt(v)
    eps = torch.randn(n, generator=generator, dtype=DTYPE, device=generator.device)
    pathwise = pathwise(f, m, sigma, eps)
    score_fn = score_function(f, m, sigma, m + sigma * eps)
    differences = (score_fn - score_fn.mean()) ** 2 - (pathwise - pathwise.mean()) ** 2
    gap, se = _mean_se(differences)
    holds = gap > VARIANCE_SE * se
    return holds, (f"n = {n}: Var[pathwise] = {fmt(float(pathwise.var()), '.4g')}, Var[score function] = {fmt(float(score_fn.var()), '.4g')} "
                   f"(ratio {fmt(float(pathwise.var() / score_fn.var()), '.3g')}); gap {fmt(gap, '.4g')} ± {fmt(se, '.2g')}")


@behaviour("elbo.gradient.variance", broken={
    "the score-function estimator in the pathwise one's place (no difference left)":
        dict(pathwise=lambda f, m, sigma, eps: score_function_gradient(f, m, sigma, m + sigma * eps)),
})
def reparameterisation_has_lower_variance(m, v, seed, *, pathwise=pathwise_gradient):
    """reference estimators: for f = z³ the pathwise per-sample gradient has the smaller variance (gap > 5 SE)

    Seam: the estimator claimed to have the lower variance ((f, m, σ, ε) -> per-sample ∂/∂m)."""
    holds, evidence = variance_comparison(cube, m, v, make_generator(seed, CPU), pathwise=pathwise)
    return holds, f"f = z³ at m = {fmt(m, 'g')}, v = {fmt(v, 'g')}: {evidence}"


# === the estimator checks used by tests and benchmarks ============================================


def check_gradient(kind: str, fn: TestFunction, mu: float, sigma: float, component: str,
                   expected: float, generator: torch.Generator, **check_kwargs) -> MonteCarloResult:
    """monte_carlo_check of one gradient component (∂μ or ∂σ) of one reference estimator against ``expected``."""
    column = COMPONENTS.index(component)
    sampler = gradient_sampler(kind, fn.f, mu, sigma, generator)
    return monte_carlo_check(lambda n, g: sampler(n, g)[:, column], expected, generator, **check_kwargs)
