"""Independent numeric routes for the KL family (``derivations/kl/``).

Routes, in the order they run: Monte Carlo (the mean of log p(x) − log q(x) over torch samples
x ~ p by inversion of uniforms, n from the pilot variance for a 1e-6 false-fail rate and a 1 %
detectable relative error, at three random parameter points; the estimator -- plain, antithetic,
randomised QMC, with or without control variates on the noise -- chosen per check by the pilot's
variance, and computed exactly over the support for Bernoulli and categorical laws), ``torch.distributions.kl_divergence`` (64 points), and
quadrature (scipy) or exact enumeration (scipy.special.rel_entr) at 24 points. Every wrong
variant of a claim with a Monte Carlo route is rejected by that route already
(property_tests/test_kl.py). Claims about minimisers run reference models (LBFGS on torch's
own KL; ``reference_models/mixture_fit.py``), and the behaviour sources of
``kl.forward-reverse`` run the mixture fits as executable specifications.
"""

from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn.functional as F
from torch.distributions import Bernoulli, Categorical, Independent, MultivariateNormal, Normal, kl_divergence

from derivspec.core.lazy import lazy
from derivspec.core.numbers import fmt
from derivspec.numerics.accuracy import Approximate, quad_around
from derivspec.numerics.montecarlo import Integrand
from derivspec.numerics.routes import behaviour, monte_carlo, reference
from derivspec.numerics.sampling import expectation, from_uniforms, log_ratio_draws
from derivspec.reference_models.device import DTYPE
from derivspec.reference_models.mixture_fit import NODE_SPACING, fit_forward_kl, fit_reverse_kl, mixture_log_density
from derivspec.reference_models.regression import lbfgs_minimise
from derivspec.reference_models.optimality import minimiser_distance

special = lazy("scipy.special")

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
    """scipy.integrate.quad of p(x) log(p(x)/q(x)) over μ₁ ± 40σ₁, split around p's mean (error: quad's abserr)"""
    results = []
    for a, b, c, d in zip(*(t.tolist() for t in (mu1, sigma1, mu2, sigma2))):
        def integrand(x):
            log_p = -0.5 * ((x - a) / b) ** 2 - math.log(b) - 0.5 * math.log(2 * math.pi)
            log_q = -0.5 * ((x - c) / d) ** 2 - math.log(d) - 0.5 * math.log(2 * math.pi)
            return math.exp(log_p) * (log_p - log_q)
        results.append(quad_around(integrand, a, b, epsabs=1e-13, epsrel=1e-12, limit=200))
    return Approximate.of(results, "scipy quad abserr", mu1)


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


# --- full-covariance and diagonal Gaussians (d = 2) ----------------------------------------


def _cholesky_normal(m1, m2, l11, l21, l22) -> MultivariateNormal:
    """N(m, L Lᵀ) with L = [[l11, 0], [l21, l22]]; 0-d parameters or a batch of them."""
    loc = torch.stack([m1, m2], -1)
    scale_tril = torch.stack([torch.stack([l11, torch.zeros_like(l11)], -1), torch.stack([l21, l22], -1)], -2)
    return MultivariateNormal(loc, scale_tril=scale_tril)


@monte_carlo("kl.gaussian.multivariate")
def multivariate_log_ratio(u1, u2, a11, a21, a22, v1, v2, b11, b21, b22):
    """Monte Carlo: mean of log p(x) - log q(x), x ~ p (MultivariateNormal)"""
    return log_ratio_draws(_cholesky_normal(u1, u2, a11, a21, a22), _cholesky_normal(v1, v2, b11, b21, b22))


@reference("kl.gaussian.multivariate", points=64)
def multivariate_by_torch(u1, u2, a11, a21, a22, v1, v2, b11, b21, b22):
    """torch.distributions.kl_divergence (MultivariateNormal)"""
    return kl_divergence(_cholesky_normal(u1, u2, a11, a21, a22), _cholesky_normal(v1, v2, b11, b21, b22))


def _diagonal_normal(means, stds) -> Independent:
    return Independent(Normal(torch.stack(means, -1), torch.stack(stds, -1)), 1)


@monte_carlo("kl.gaussian.diagonal")
def diagonal_log_ratio(u1, u2, a1, a2, v1, v2, b1, b2):
    """Monte Carlo: mean of log p(x) - log q(x), x ~ p (Independent Normal)"""
    return log_ratio_draws(_diagonal_normal((u1, u2), (a1, a2)), _diagonal_normal((v1, v2), (b1, b2)))


@reference("kl.gaussian.diagonal", points=64)
def diagonal_by_torch(u1, u2, a1, a2, v1, v2, b1, b2):
    """torch.distributions.kl_divergence (Independent Normal)"""
    return kl_divergence(_diagonal_normal((u1, u2), (a1, a2)), _diagonal_normal((v1, v2), (b1, b2)))


# --- the VAE regulariser ----------------------------------------------------------------------


def _standard_normal_2d(like: torch.Tensor) -> Independent:
    zeros = torch.zeros_like(like)
    return _diagonal_normal((zeros, zeros), (zeros + 1, zeros + 1))


@monte_carlo("kl.vae-regulariser")
def vae_log_ratio(mu1, mu2, sigma1, sigma2):
    """Monte Carlo: mean of log q(z|x) - log N(z; 0, I), z ~ q(z|x) = N(mu, diag sigma^2)"""
    return log_ratio_draws(_diagonal_normal((mu1, mu2), (sigma1, sigma2)), _standard_normal_2d(mu1))


@reference("kl.vae-regulariser", points=64)
def vae_by_torch(mu1, mu2, sigma1, sigma2):
    """torch.distributions.kl_divergence (Independent Normal vs N(0, I))"""
    return kl_divergence(_diagonal_normal((mu1, mu2), (sigma1, sigma2)), _standard_normal_2d(mu1))


# --- Bernoulli and categorical ----------------------------------------------------------------


@monte_carlo("kl.bernoulli")
def bernoulli_log_ratio(p, q):
    """expectation of log p(y) - log q(y) over y ~ Bern(p), exact over {0, 1} (Monte Carlo route)"""
    return log_ratio_draws(Bernoulli(probs=p), Bernoulli(probs=q))


@reference("kl.bernoulli", points=64)
def bernoulli_by_torch(p, q):
    """torch.distributions.kl_divergence"""
    return kl_divergence(Bernoulli(probs=p), Bernoulli(probs=q))


@reference("kl.bernoulli", points=QUADRATURE_POINTS)
def bernoulli_by_enumeration(p, q):
    """scipy.special.rel_entr summed over {0, 1}"""
    pn, qn = p.cpu().numpy(), q.cpu().numpy()
    values = special.rel_entr(pn, qn) + special.rel_entr(1 - pn, 1 - qn)
    return torch.as_tensor(values, dtype=DTYPE, device=p.device)


def _categorical(*weights: torch.Tensor) -> Categorical:
    """Categorical with probabilities w_k / Σ w (0-d weights or a batch of them)."""
    w = torch.stack(weights, -1)
    return Categorical(probs=w / w.sum(-1, keepdim=True))


@monte_carlo("kl.categorical")
def categorical_log_ratio(a1, a2, a3, b1, b2, b3):
    """expectation of log pi_Y - log rho_Y over Y ~ pi, exact over the classes (Monte Carlo route)"""
    return log_ratio_draws(_categorical(a1, a2, a3), _categorical(b1, b2, b3))


@reference("kl.categorical", points=64)
def categorical_by_torch(a1, a2, a3, b1, b2, b3):
    """torch.distributions.kl_divergence"""
    return kl_divergence(_categorical(a1, a2, a3), _categorical(b1, b2, b3))


@reference("kl.categorical", points=QUADRATURE_POINTS)
def categorical_by_enumeration(a1, a2, a3, b1, b2, b3):
    """scipy.special.rel_entr summed over the classes"""
    P = np.stack([w.cpu().numpy() for w in (a1, a2, a3)], 1)
    Q = np.stack([w.cpu().numpy() for w in (b1, b2, b3)], 1)
    P, Q = P / P.sum(1, keepdims=True), Q / Q.sum(1, keepdims=True)
    return torch.as_tensor(special.rel_entr(P, Q).sum(1), dtype=DTYPE, device=a1.device)


@monte_carlo("kl.entropy.categorical")
def entropy_surprise(a1, a2, a3):
    """expectation of -log pi_Y over Y ~ pi, exact over the classes (Monte Carlo route)"""
    distribution = _categorical(a1, a2, a3)
    return expectation(distribution, lambda y: -distribution.log_prob(y))  # exact: three classes


@reference("kl.entropy.categorical")
def entropy_by_torch(a1, a2, a3):
    """torch Categorical.entropy()"""
    return _categorical(a1, a2, a3).entropy()


# --- properties: Gibbs, asymmetry, CE = H + KL, MLE = forward KL ----------------------------


@reference("kl.gibbs", points=16)
def bernoulli_kl_minimiser(p):
    """LBFGS on torch kl_divergence(Bern(p), Bern(q)) over logit(q)

    Error estimate: the KL is strongly convex in the logit near the optimum, so the logit is within
    ‖gradient‖/curvature of the minimiser (autograd at the fit), and q = σ(logit) within σ'(logit) times that."""
    results = []
    for value in p:
        target = Bernoulli(probs=value)

        def kl(z, target=target):
            return kl_divergence(target, Bernoulli(logits=z[0]))
        logit = lbfgs_minimise(kl, torch.zeros(1, dtype=DTYPE, device=p.device), max_iter=100)
        q = torch.sigmoid(logit[0])
        results.append((float(q), float(q * (1 - q)) * minimiser_distance(kl, logit)))
    return Approximate.of(results, "‖gradient‖/curvature at the fit", p)


@monte_carlo("kl.asymmetry")
def asymmetry_paired_log_ratios(mu1, sigma1, mu2, sigma2):
    """Monte Carlo: paired log-ratios, x ~ p and y ~ q"""
    p, q = Normal(mu1, sigma1), Normal(mu2, sigma2)

    def paired(u):  # x ~ p from the first uniform, y ~ q from the second
        x, y = from_uniforms(p, u[:, :1]), from_uniforms(q, u[:, 1:])
        return (p.log_prob(x) - q.log_prob(x)) - (q.log_prob(y) - p.log_prob(y))
    return Integrand(paired, dim=2, noise="normal")


@reference("kl.asymmetry", points=64)
def asymmetry_by_torch(mu1, sigma1, mu2, sigma2):
    """kl_divergence(p, q) − kl_divergence(q, p)"""
    p, q = Normal(mu1, sigma1), Normal(mu2, sigma2)
    return kl_divergence(p, q) - kl_divergence(q, p)


@monte_carlo("kl.cross-entropy")
def cross_entropy_log_ratio(a1, a2, a3, a4, b1, b2, b3, b4):
    """expectation of log p(x) - log q(x) over x ~ p, exact over the four classes (Monte Carlo route)"""
    return log_ratio_draws(_categorical(a1, a2, a3, a4), _categorical(b1, b2, b3, b4))


@reference("kl.cross-entropy")
def cross_entropy_minus_entropy(a1, a2, a3, a4, b1, b2, b3, b4):
    """F.cross_entropy(probability targets) − Categorical.entropy()"""
    p, q = _categorical(a1, a2, a3, a4), _categorical(b1, b2, b3, b4)
    return F.cross_entropy(q.probs.log(), p.probs, reduction="none") - p.entropy()


@reference("kl.mle-forward", points=64)
def dataset_nll_minus_kl(n1, n2, n3, b1, b2, b3):
    """F.cross_entropy over a dataset with those class counts − kl_divergence(p̂, p_θ)"""
    counts = torch.stack([n1, n2, n3], 1)
    out = []
    for c, q in zip(counts, _categorical(b1, b2, b3).probs):
        labels = torch.repeat_interleave(torch.arange(len(c), device=c.device), c.round().long())
        mean_nll = F.cross_entropy(q.log().expand(len(labels), -1), labels)
        p_hat = torch.bincount(labels, minlength=len(c)).to(DTYPE) / len(labels)
        out.append(mean_nll - kl_divergence(Categorical(probs=p_hat), Categorical(probs=q)))
    return torch.stack(out)


# --- forward vs reverse KL: one Gaussian fitted to two modes ----------------------------------


def _forward_kl(theta, delta: float, spacing: float, device) -> torch.Tensor:
    """KL(p ‖ N(m, e^{2ℓ})) at θ = (m, ℓ) for the two-mode p (mixture_fit.mixture_log_density), E_p by the
    trapezoid rule in ε ~ N(0, 1) with nodes every ``spacing`` on [−10, 10], centred at each mode."""
    nodes = torch.arange(-10.0, 10.0 + spacing / 2, spacing, dtype=DTYPE, device=device)
    weights = spacing * torch.exp(Normal(0.0, 1.0).log_prob(nodes))
    x = torch.cat([nodes - delta, nodes + delta])
    log_q = -theta[1] - 0.5 * math.log(2 * math.pi) - 0.5 * ((x - theta[0]) * torch.exp(-theta[1])) ** 2
    return (torch.cat([weights, weights]) / 2 * (mixture_log_density(x, delta) - log_q)).sum()


@reference("kl.forward-reverse", points=8)
def forward_fit_variance(delta, device):
    """reference model: forward-KL fit by LBFGS (mixture_fit.fit_forward_kl)

    LBFGS with autograd over θ = (m, log s) on the quadrature forward KL (trapezoid rule, spacing
    h = 0.01). Error bound on θ: (‖∇KL_h(θ̂)‖ + ‖∇KL_2h(θ̂) − ∇KL_h(θ̂)‖)/μ, the gradient of the true KL
    at the fit (the rule's part estimated by the agreement of spacings h and 2h) over the smallest
    eigenvalue μ of the Hessian there (autograd); s² = e^{2 log s} is then within 2s² times that.
    """
    results = []
    for value in delta.tolist():
        fit = fit_forward_kl(value, device=device)
        theta = torch.tensor([fit.m, math.log(fit.s)], dtype=DTYPE, device=device)
        gradient, coarse = (torch.autograd.functional.jacobian(lambda th: _forward_kl(th, value, h, device), theta)
                            for h in (NODE_SPACING, 2 * NODE_SPACING))
        curvature = torch.linalg.eigvalsh(torch.autograd.functional.hessian(
            lambda th: _forward_kl(th, value, NODE_SPACING, device), theta))[0]
        distance = float((gradient.norm() + (coarse - gradient).norm()) / curvature)
        results.append((fit.s**2, 2 * fit.s**2 * distance))
    return Approximate.of(results, "‖gradient‖/curvature at the fit, the rule's part by two spacings", delta)


def reverse_fit_from_a_mode(delta: float):
    """The reverse-KL fit (mixture_fit.fit_reverse_kl) started on the right mode, m = δ, s = 1."""
    return fit_reverse_kl(delta, init_m=delta, init_s=1.0)


@behaviour("kl.forward-reverse", broken={"the reverse KL minimised instead (started on a mode)": dict(fit=reverse_fit_from_a_mode)})
def forward_kl_covers(delta, *, fit=fit_forward_kl):
    """the forward-KL fit to two modes is N(0, 1 + δ²): one broad Gaussian spanning both

    Seam: the fit (δ -> mixture_fit.GaussianFit)."""
    fit = fit(delta)
    holds = abs(fit.m) < 1e-6 and abs(fit.s**2 - (1 + delta**2)) < 1e-6
    return holds, f"at δ = {delta}: the fit m = {fmt(fit.m, '.2g')}, s² = {fmt(fit.s ** 2, '.6f')} (1 + δ² = {1 + delta**2})"


@behaviour("kl.forward-reverse", broken={
    "the forward KL minimised instead": dict(fit=lambda delta: fit_forward_kl(delta, init_m=delta)),
    "a target with well-separated modes, δ = 4 (the statement then holds)":
        dict(fit=lambda delta: fit_reverse_kl(4.0, init_m=4.0, init_s=1.0)),
})
def reverse_kl_seeks_a_mode(delta, *, fit=reverse_fit_from_a_mode):
    """the reverse-KL fit started on one mode of a two-mode target stays on it (|m| > 0.5)

    Seam: the fit started on the right mode (δ -> mixture_fit.GaussianFit)."""
    fit = fit(delta)
    outcome = "it stays on that mode" if abs(fit.m) > 0.5 else "it covers both modes"
    evidence = (f"at δ = {delta} (a bimodal target: modes near ±{delta}), the fit started on the "
                f"right mode converges to m = {fmt(fit.m, '.3g')}, s = {fmt(fit.s, '.4g')} (KL {fmt(fit.kl, '.4g')}): {outcome}")
    return abs(fit.m) > 0.5, evidence


# --- code lengths: Huffman codes against the entropy (issue 16) ----------------------------------


def huffman_lengths(probabilities) -> list[int]:
    """Code lengths of a binary Huffman code (merge the two least probable nodes until one is left)."""
    import heapq

    heap = [(p, [k]) for k, p in enumerate(probabilities)]
    heapq.heapify(heap)
    lengths = [0] * len(probabilities)
    while len(heap) > 1:
        (p1, left), (p2, right) = heapq.heappop(heap), heapq.heappop(heap)
        for k in left + right:
            lengths[k] += 1
        heapq.heappush(heap, (p1 + p2, left + right))
    return lengths


def fixed_length_code(probabilities) -> list[int]:
    """⌈log₂ k⌉ bits for each of k symbols, whatever their probabilities."""
    return [math.ceil(math.log2(len(probabilities)))] * len(probabilities)


def entropy_in_bits(probabilities) -> float:
    """H(p) in bits: torch Categorical.entropy() (nats) / log 2."""
    return float(Categorical(probs=torch.tensor(probabilities, dtype=DTYPE)).entropy()) / math.log(2)


@behaviour("kl.entropy.categorical", broken={
    "a fixed-length code, 2 bits per symbol": dict(code_lengths=fixed_length_code),
    "the entropy in nats compared with lengths in bits": dict(
        entropy_bits=lambda p: float(Categorical(probs=torch.tensor(p, dtype=DTYPE)).entropy())),
})
def huffman_code_of_the_example(p1, p2, p3, p4, *, code_lengths=huffman_lengths, entropy_bits=entropy_in_bits):
    """the Huffman code of (p1, …, p4): its lengths against −log₂ p_k, its mean length against the entropy in bits

    Seams: the code (probabilities -> lengths) and the entropy in bits."""
    probabilities = [p1, p2, p3, p4]
    lengths = code_lengths(probabilities)
    surprises = [-math.log2(p) for p in probabilities]
    mean_length = sum(p * n for p, n in zip(probabilities, lengths))
    entropy_bits = entropy_bits(probabilities)
    holds = abs(mean_length - entropy_bits) < 1e-12 and all(abs(n - s) < 1e-12 for n, s in zip(lengths, surprises))
    return holds, (f"p = {probabilities}: code lengths {lengths}, −log₂ p = {[round(s, 12) for s in surprises]}; mean "
                   f"length {fmt(mean_length, 'g')} bits; H(p) = {fmt(entropy_bits, '.12g')} bits")


@behaviour("kl.entropy.categorical", broken={
    "a fixed-length code of ⌈log₂ k⌉ bits": dict(code_lengths=fixed_length_code),
    "Shannon lengths rounded down, ⌊−log₂ p_k⌋ (Kraft's inequality broken)":
        dict(code_lengths=lambda p: [math.floor(-math.log2(q)) for q in p]),
})
def huffman_code_meets_the_bound(n_distributions, max_symbols, *, code_lengths=huffman_lengths):
    """Shannon's bound: H(p) ≤ mean Huffman length < H(p) + 1 over random distributions

    Seam: the code (probabilities -> lengths)."""
    rng = np.random.default_rng(16)
    worst_low, worst_high = math.inf, -math.inf
    for _ in range(int(n_distributions)):
        k = int(rng.integers(2, int(max_symbols) + 1))
        probabilities = rng.dirichlet(np.full(k, 0.5))
        mean_length = float(np.dot(probabilities, code_lengths(list(probabilities))))
        entropy_bits = entropy_in_bits(probabilities)
        worst_low, worst_high = min(worst_low, mean_length - entropy_bits), max(worst_high, mean_length - entropy_bits)
    holds = worst_low >= -1e-12 and worst_high < 1
    return holds, (f"{int(n_distributions)} random distributions on 2 to {int(max_symbols)} symbols: mean code length "
                   f"minus H(p) from {fmt(worst_low, '.5f')} to {fmt(worst_high, '.5f')} bits (the bound: [0, 1))")


@reference("kl.entropy.bernoulli")
def bernoulli_entropy_by_torch(p):
    """torch Bernoulli.entropy"""
    return Bernoulli(probs=p).entropy()


@monte_carlo("kl.entropy.bernoulli")
def bernoulli_surprise_draws(p):
    """Monte Carlo: mean of −Bernoulli.log_prob(y), y ~ Bernoulli(p)"""
    return expectation(Bernoulli(probs=p), lambda y: -Bernoulli(probs=p).log_prob(y))
