"""Independent numeric routes and behaviour checks for the general-VAE family (``derivations/vae/``).

Routes: torch's own losses and distributions (``Independent(Bernoulli).log_prob``,
``F.binary_cross_entropy``, ``F.gaussian_nll_loss``, ``kl_divergence``), scipy quadrature of the
KL, a model route on the Bernoulli-decoder VAE of ``reference_models/bernoulli_vae.py`` (the
candidate's expectation over q by Gauss–Hermite quadrature against E_q[log q − log p(x, z)]),
and LBFGS maximisation of the β-weighted objective (Gauss–Hermite in z).

Behaviour checks: ELBO ≤ IWAE_K ≤ log p(x) with the exact evidence (quadrature), the
single-sample loss as an unbiased estimate of −ELBO (z-test at the false-fail rate), and the
collapse of a learned decoder variance.
"""

from __future__ import annotations

import math
import time

import torch
import torch.nn.functional as F
from torch.distributions import (AffineTransform, Bernoulli, Independent, MultivariateNormal, Normal,
                                 TransformedDistribution, kl_divergence)

from derivspec.core.lazy import lazy
from derivspec.core.numbers import fmt
from derivspec.numerics.accuracy import OPTIMUM_HOW, QUAD_HOW, Approximate, quad_around
from derivspec.numerics.checks import NumericResult, elementwise_grad
from derivspec.reference_models.optimality import minimiser_distances
from derivspec.numerics.montecarlo import FALSE_FAIL_RATE, critical_z
from derivspec.numerics.routes import behaviour, model, reference
from derivspec.reference_models import bernoulli_vae
from derivspec.reference_models.device import DTYPE, make_generator
from derivspec.reference_models.regression import lbfgs_minimise

stats = lazy("scipy.stats")

CPU = torch.device("cpu")
Z_CRITICAL = critical_z(FALSE_FAIL_RATE)


def _kl_to_standard(mu, sigma):
    return kl_divergence(Normal(mu, sigma), Normal(torch.zeros_like(mu), torch.ones_like(mu)))


def _kl_by_quadrature(mu, sigma) -> Approximate:
    """KL(N(μ, σ²) ‖ N(0, 1)) = ∫q log(q/p) (densities written out) by quad around q's mean μ (scale σ); error: quad's abserr."""
    out = []
    for m, s in zip(mu.tolist(), sigma.tolist()):
        f = lambda z: math.exp(-0.5 * ((z - m) / s) ** 2) / (s * math.sqrt(2 * math.pi)) * (-0.5 * ((z - m) / s) ** 2 - math.log(s) + 0.5 * z * z)  # noqa: E731
        out.append(quad_around(f, m, s, epsabs=1e-14, epsrel=1e-12, limit=400))
    return Approximate.of(out, QUAD_HOW, mu)


# === Bernoulli decoder ============================================================================


@reference("vae.loss.bernoulli")
def bernoulli_loss_by_distributions(x1, x2, p1, p2, mu, sigma):
    """−Independent(Bernoulli(p), 1).log_prob(x) + kl_divergence(Normal(μ, σ), Normal(0, 1))"""
    decoder = Independent(Bernoulli(probs=torch.stack([p1, p2], -1)), 1)
    return -decoder.log_prob(torch.stack([x1, x2], -1)) + _kl_to_standard(mu, sigma)


@reference("vae.loss.bernoulli", points=24)
def bernoulli_loss_by_bce_and_quadrature(x1, x2, p1, p2, mu, sigma):
    """F.binary_cross_entropy(reduction='sum' over pixels) + the KL by scipy quadrature

    Error: quad's abserr of the KL."""
    bce = F.binary_cross_entropy(torch.stack([p1, p2], -1), torch.stack([x1, x2], -1), reduction="none").sum(-1)
    kl = _kl_by_quadrature(mu, sigma)
    return Approximate(bce + kl.value, kl.error, kl.how)


@model("vae.loss.bernoulli", candidate_args=("x1", "x2", "p1", "p2", "mu", "sigma"))
def bernoulli_vae_expected_loss(candidate, device):
    """reference model: a D = 2 Bernoulli VAE; E_q[candidate] by Gauss–Hermite vs E_q[log q(z) − log p(z) − log p(x|z)]"""
    start = time.perf_counter()
    vae = bernoulli_vae.BernoulliVAE(2, make_generator(71, device), device=device, scale=1.5)
    x = bernoulli_vae.all_binary(2, device)
    g = make_generator(72, device)
    encoders = [vae.encoder(x)] + [(torch.randn(4, generator=g, dtype=DTYPE, device=device),
                                    0.3 + torch.rand(4, generator=g, dtype=DTYPE, device=device) * 1.5) for _ in range(3)]
    nodes, log_weights = vae.nodes[:, None], vae.log_weights[:, None]
    worst = 0.0
    with torch.no_grad():
        for mu, sigma in encoders:
            z = mu + sigma * nodes  # (nodes, 4)
            probs = torch.sigmoid(z[..., None] * vae.a + vae.c)  # (nodes, 4, 2)
            values = candidate(x1=x[:, 0].expand_as(z), x2=x[:, 1].expand_as(z), p1=probs[..., 0], p2=probs[..., 1],
                               mu=mu.expand_as(z), sigma=sigma.expand_as(z))
            expected = (log_weights.exp() * values).sum(0)
            log_ratio = (Normal(mu, sigma).log_prob(z) - Normal(0.0, 1.0).log_prob(z)
                         - Independent(Bernoulli(probs=probs), 1).log_prob(x.expand(z.shape[0], -1, -1)))
            reference_value = (log_weights.exp() * log_ratio).sum(0)
            worst = max(worst, float((expected - reference_value).abs().max()))
    # exact up to round-off: the Gauss–Hermite rule integrates the quadratic log q − log p(z) exactly,
    # so both sides share E_q[log p(x|z)] and differ by the KL's closed form vs its exact integral
    passed = math.isfinite(worst) and worst < 1e-9
    return NumericResult(passed, "", max_abs_diff=worst, seconds=time.perf_counter() - start,
                         detail=f"4 binary inputs × 4 encoders, {vae.nodes.numel()} Gauss–Hermite nodes: max |E_q[candidate] − (−ELBO)| = {fmt(worst, '.2g')}")


def _trained_vae():
    return bernoulli_vae.trained_reference_vae(61)[0]


@behaviour("vae.loss.bernoulli", broken={
    "the mean of the log weights, not the log of their mean (the ELBO again)": dict(combine=lambda log_w, dim: log_w.mean(dim)),
    "the log of the sum of the weights: the 1/K dropped": dict(combine=torch.logsumexp),
})
def bernoulli_vae_bounds_hold(k, *, combine=bernoulli_vae.log_mean_exp):
    """reference model: trained Bernoulli VAE on all 64 binary 6-pixel inputs: ELBO ≤ E[IWAE_k] ≤ log p(x) (exact log p; z-tests)

    Seam: the map from k log importance weights to the bound ((log_w, dim) -> IWAE_k)."""
    vae = _trained_vae()
    x = bernoulli_vae.all_binary(6, CPU)
    with torch.no_grad():
        log_p, elbo = vae.log_evidence(x), vae.elbo(x)
        iwae = vae.iwae(x, [int(k)], 256, make_generator(84, CPU), combine=combine)[int(k)]
    mean, se = iwae.mean(0), iwae.std(0) / math.sqrt(iwae.shape[0])
    elbo_ok = bool((elbo <= log_p + 1e-12).all())
    upper = bool((mean <= log_p + Z_CRITICAL * se).all())
    lower = bool((mean >= elbo - Z_CRITICAL * se).all())
    tighter = float((mean - elbo).mean()) > Z_CRITICAL * float(se.mean()) / math.sqrt(x.shape[0])
    holds = elbo_ok and upper and lower and tighter
    return holds, (f"64 inputs: mean log p(x) {fmt(float(log_p.mean()), '.4f')}, mean ELBO {fmt(float(elbo.mean()), '.4f')} (max ELBO − log p "
                   f"{fmt(float((elbo - log_p).max()), '.2g')}), mean IWAE_{int(k)} {fmt(float(mean.mean()), '.4f')} (256 repeats); "
                   f"IWAE within [ELBO, log p] up to {fmt(Z_CRITICAL, '.1f')} SE at every input: {upper and lower}; "
                   f"mean IWAE − ELBO {fmt(float((mean - elbo).mean()), '.2g')}, above {fmt(Z_CRITICAL, '.1f')} SE: {tighter}")


def one_sample_loss(vae, x, z):
    """BCE(x, p(z)) + KL(q ‖ N(0, 1)): −log p(x|z) at the draw plus the closed-form KL."""
    return -vae.log_likelihood(x, z) + vae.kl_to_prior(x)


@behaviour("vae.loss.bernoulli", broken={
    "the KL term left out of the loss": dict(loss=lambda vae, x, z: -vae.log_likelihood(x, z)),
    "z = μ + σ²ε, the variance taken for the standard deviation": dict(sample=lambda mu, sigma, eps: mu + sigma**2 * eps),
})
def single_sample_elbo_is_unbiased(samples, *, loss=one_sample_loss, sample=lambda mu, sigma, eps: mu + sigma * eps):
    """reference model: the one-sample loss BCE(x, p(z)) + KL over z ~ q, averaged, vs −ELBO by quadrature (z-test)

    Seams: the per-sample loss ((vae, x, z) -> loss) and the draw from q ((μ, σ, ε) -> z)."""
    vae = _trained_vae()
    x = bernoulli_vae.all_binary(6, CPU)[[5, 22, 41]]
    g = make_generator(85, CPU)
    n = int(samples)
    worst = 0.0
    with torch.no_grad():
        mu, sigma = vae.encoder(x)
        z = sample(mu, sigma, torch.randn(n, x.shape[0], generator=g, dtype=DTYPE))
        losses = loss(vae, x, z)
        exact = -vae.elbo(x)
        zs = (losses.mean(0) - exact) / (losses.std(0) / math.sqrt(n))
        worst = float(zs.abs().max())
    return worst <= Z_CRITICAL, (f"3 inputs, {n} samples each: mean one-sample loss {', '.join(f'{float(v):.4f}' for v in losses.mean(0))} "
                                 f"vs −ELBO {', '.join(f'{float(v):.4f}' for v in exact)}; max |z| = {fmt(worst, '.2f')} (≤ {fmt(Z_CRITICAL, '.2f')})")


# === Gaussian decoder =============================================================================


@reference("vae.loss.gaussian")
def gaussian_loss_by_distributions(x1, x2, m1, m2, sx, mu, sigma):
    """−Σ_j Normal(x̂_j, σ_x).log_prob(x_j) + kl_divergence(Normal(μ, σ), Normal(0, 1))"""
    return -(Normal(m1, sx).log_prob(x1) + Normal(m2, sx).log_prob(x2)) + _kl_to_standard(mu, sigma)


@reference("vae.loss.gaussian")
def gaussian_loss_by_torch_loss(x1, x2, m1, m2, sx, mu, sigma):
    """F.gaussian_nll_loss(full=True, reduction='sum' over pixels) + kl_divergence"""
    nll = F.gaussian_nll_loss(torch.stack([m1, m2], -1), torch.stack([x1, x2], -1), (sx**2)[:, None].expand(-1, 2),
                              full=True, eps=0.0, reduction="none").sum(-1)
    return nll + _kl_to_standard(mu, sigma)


@behaviour("vae.loss.gaussian", broken={
    "one mean and one σ_x shared by the three pixels (a decoder that cannot match them)":
        dict(mean_of=lambda free: free.mean().expand(3), std_of=lambda log_sx: log_sx.mean().exp().expand(3)),
    "the decoder's σ_x fixed at 1, not learned": dict(std_of=lambda log_sx: torch.ones_like(log_sx)),
})
def learned_decoder_variance_collapses(steps, *, mean_of=lambda free: free, std_of=torch.exp):
    """Adam on a Gaussian decoder with a learned variance whose mean can match the pixel: σ_x → 0 and −log p → −∞

    Seams: the decoder's means from its three free parameters, and σ_x from its three log-scale parameters."""
    x = torch.tensor([0.3, 0.9, -0.4], dtype=DTYPE)
    mean = torch.zeros(3, dtype=DTYPE, requires_grad=True)  # a flexible decoder: one free mean per pixel
    log_sx = torch.zeros(3, dtype=DTYPE, requires_grad=True)
    optimiser = torch.optim.Adam([mean, log_sx], lr=0.05)
    trace = []
    for _ in range(int(steps)):
        optimiser.zero_grad()
        nll = -Normal(mean_of(mean), std_of(log_sx)).log_prob(x).sum()
        nll.backward()
        optimiser.step()
        trace.append(float(nll.detach()))
    shared = torch.tensor(float(x.var(unbiased=False)), dtype=DTYPE).sqrt()  # a decoder that cannot fit the pixels
    floor = float(-Normal(x.mean(), shared).log_prob(x).sum())
    sx = float(std_of(log_sx.detach()).max())
    holds = trace[-1] < -10 and trace[-1] < trace[len(trace) // 2] - 1 and sx < math.exp(-3)
    return holds, (f"{int(steps)} Adam steps: −log p {fmt(trace[0], '.2f')} → {fmt(trace[len(trace) // 2], '.2f')} → {fmt(trace[-1], '.2f')}, σ_x down to "
                   f"{fmt(sx, '.2g')} and still falling; a decoder whose mean cannot match the pixels is bounded "
                   f"below by {fmt(floor, '.2f')}")


# === per-batch reduction ==========================================================================


def _batch(x11, x12, x21, x22, p11, p12, p21, p22):
    x = torch.stack([torch.stack([x11, x12], -1), torch.stack([x21, x22], -1)], -2)  # (points, B, D)
    p = torch.stack([torch.stack([p11, p12], -1), torch.stack([p21, p22], -1)], -2)
    return x, p


@reference("vae.loss.batch")
def batch_loss_by_torch_reductions(x11, x12, x21, x22, p11, p12, p21, p22, mu1, mu2, sigma1, sigma2):
    """F.binary_cross_entropy(reduction='none') summed over pixels, + kl_divergence per example, then .mean() over the batch"""
    x, p = _batch(x11, x12, x21, x22, p11, p12, p21, p22)
    per_example = F.binary_cross_entropy(p, x, reduction="none").sum(-1) + _kl_to_standard(torch.stack([mu1, mu2], -1),
                                                                                          torch.stack([sigma1, sigma2], -1))
    return per_example.mean(-1)


@reference("vae.loss.batch")
def batch_loss_by_distributions(x11, x12, x21, x22, p11, p12, p21, p22, mu1, mu2, sigma1, sigma2):
    """−Independent(Bernoulli, 1).log_prob per example + kl_divergence, averaged over the two examples"""
    x, p = _batch(x11, x12, x21, x22, p11, p12, p21, p22)
    q = Normal(torch.stack([mu1, mu2], -1), torch.stack([sigma1, sigma2], -1))
    losses = -Independent(Bernoulli(probs=p), 1).log_prob(x) + kl_divergence(q, Normal(0.0, 1.0))
    return losses.sum(-1) / 2


# === β-VAE ========================================================================================


def _beta_objective(m, v, x, w, s, beta, nodes, log_weights):
    """E_q[log N(x; wz, s²)] by Gauss–Hermite − β KL(N(m, v) ‖ N(0, 1)) (torch); the rule is exact here,
    log N(x; wz, s²) being quadratic in z."""
    z = m[:, None] + v.sqrt()[:, None] * nodes
    recon = (log_weights.exp() * Normal(w[:, None] * z, s[:, None]).log_prob(x[:, None])).sum(-1)
    return recon - beta * _kl_to_standard(m, v.sqrt())


@reference("vae.beta.optimal-mean", points=12)
def beta_mean_by_lbfgs(x, w, s, v, beta):
    """LBFGS on −[Gauss–Hermite E_q log Normal(wz, s).log_prob(x) − β kl_divergence(q, N(0,1))] over m

    Error: ‖∇f‖/λ_min(∇²f) at the optimum found (reference_models.optimality.minimiser_distances)."""
    nodes, log_weights = bernoulli_vae.hermite_rule(40, x.device)
    loss = lambda m: -_beta_objective(m, v, x, w, s, beta, nodes, log_weights)  # noqa: E731
    m = lbfgs_minimise(lambda m: loss(m).sum(), torch.zeros_like(x), max_iter=500)
    return Approximate(m, minimiser_distances(loss, m), OPTIMUM_HOW)


@reference("vae.beta.optimal-variance", points=12)
def beta_variance_by_lbfgs(x, w, s, m, beta):
    """LBFGS on −[Gauss–Hermite E_q log Normal(wz, s).log_prob(x) − β kl_divergence(q, N(0,1))] over log v

    Error: ‖∇f‖/λ_min(∇²f) bounds the error of log v̂ (reference_models.optimality.minimiser_distances); v̂ moves by v̂ times that."""
    nodes, log_weights = bernoulli_vae.hermite_rule(40, x.device)
    loss = lambda lv: -_beta_objective(m, lv.exp(), x, w, s, beta, nodes, log_weights)  # noqa: E731
    log_v = lbfgs_minimise(lambda lv: loss(lv).sum(), torch.zeros_like(x), max_iter=500)
    v = log_v.exp()
    return Approximate(v, v * minimiser_distances(loss, log_v), OPTIMUM_HOW)


# --- the prior N(0, I) (issue 16) ------------------------------------------------------------------


@reference("vae.prior.nll")
def standard_normal_nll(z1, z2):
    """torch MultivariateNormal(0, I₂).log_prob, negated"""
    z = torch.stack([z1, z2], -1)
    return -MultivariateNormal(torch.zeros(2, dtype=DTYPE, device=z.device),
                               torch.eye(2, dtype=DTYPE, device=z.device)).log_prob(z)


# === the reparameterised sample z = μ + σε ========================================================

GOF_FALSE_FAIL_RATE = FALSE_FAIL_RATE  # a correct sampler fails the KS test about once in a million runs


@reference("vae.reparameterisation.sample")
def affine_transform_of_standard_normal(z, mu, sigma):
    """torch TransformedDistribution(Normal(0, 1), AffineTransform(μ, σ)).log_prob: the exact transform ε -> μ + σε"""
    noise = Normal(torch.zeros_like(mu), torch.ones_like(mu))
    return TransformedDistribution(noise, [AffineTransform(mu, sigma)]).log_prob(z)


@reference("vae.reparameterisation.sample")
def derivative_of_the_sample_cdf(z, mu, sigma):
    """autograd: log d/dz P(μ + σε ≤ z) = log d/dz Φ((z − μ)/σ) (torch Normal(0, 1).cdf)"""
    noise = Normal(torch.zeros_like(mu), torch.ones_like(mu))
    return torch.log(elementwise_grad(lambda v: noise.cdf((v - mu) / sigma), z))


def _reparameterised(mu, sigma, eps):
    return mu + sigma * eps


@behaviour("vae.reparameterisation.sample", broken={
    "μ + σ²ε (the variance as the scale)": dict(sample=lambda mu, sigma, eps: mu + sigma ** 2 * eps),
    "μ + √σ ε (σ read as the variance)": dict(sample=lambda mu, sigma, eps: mu + math.sqrt(sigma) * eps),
    "σ + με (mean and scale swapped)": dict(sample=lambda mu, sigma, eps: sigma + mu * eps),
})
def reparameterised_sample_fits_its_normal(mu, sigma, *, sample=_reparameterised, n=200_000):
    """n draws of the lecture's sample from ε ~ N(0, 1) (torch.randn, seed 561): KS test against N(μ, σ²) (scipy)

    Seam: ``sample(mu, sigma, eps)``, the lecture's reparameterised sample (default μ + σε)."""
    g = make_generator(561, CPU)
    eps = torch.randn(n, generator=g, dtype=DTYPE, device=CPU)
    z = sample(mu, sigma, eps)
    p = stats.kstest(z.numpy(), stats.norm(mu, sigma).cdf).pvalue
    holds = p > GOF_FALSE_FAIL_RATE
    # the KS statistic of a location-scale sample against its own normal does not depend on (μ, σ): the
    # sample's moments show the draws the test was given
    return holds, (f"n = {n}: sample mean {fmt(z.mean().item(), '.4f')}, variance {fmt(z.var().item(), '.4f')}; KS p-value of "
                   f"μ + σε against N(μ = {fmt(mu, 'g')}, σ² = {fmt(sigma ** 2, 'g')}): {fmt(p, '.3g')} (fails below {fmt(GOF_FALSE_FAIL_RATE, 'g')})")
