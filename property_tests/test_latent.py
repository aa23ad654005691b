"""Latent family (derivations/latent/) and its reference models (gmm_em, ppca, hmm): targets
against routes written again here and scikit-learn, EM's behaviour on 1-D and 2-D mixtures,
PPCA closed form vs EM vs scikit-learn, forward–backward vs brute force, correct forms, errata."""

import itertools
import math

import numpy as np
import pytest
import sympy
import torch
from scipy import stats

from derivspec.core import registry
from derivspec.numerics.montecarlo import FALSE_FAIL_RATE, critical_z
from derivspec.reference_models import gmm_em, hmm, ppca
from forms import assert_forms
from recompute import recomputes
from route_errors import assert_error_covers_target

Z = critical_z(FALSE_FAIL_RATE)
DTYPE = torch.float64


def target_at(claim_id, **values):
    claim = registry.get(claim_id)
    subs = {claim.symbols[k]: sympy.nsimplify(v) for k, v in values.items()}
    return float(sympy.N(claim.expand_defined(claim.target).subs(subs), 30))


def gen(seed):
    return torch.Generator().manual_seed(seed)


# --- mixtures and EM -------------------------------------------------------------------------------


def test_responsibilities_sum_to_one_symbolically_and_match_scipy():
    claim = registry.get("latent.gmm.responsibility")
    sym = claim.symbols
    other = claim.target.subs({sym["alpha"]: 1 - sym["alpha"], sym["mu1"]: sym["mu2"], sym["mu2"]: sym["mu1"],
                               sym["s1"]: sym["s2"], sym["s2"]: sym["s1"]}, simultaneous=True)
    assert sympy.simplify(claim.target + other - 1) == 0
    point = dict(x=0.3, alpha=0.3, mu1=-1.0, mu2=2.0, s1=0.8, s2=1.5)
    a = 0.3 * stats.norm.pdf(0.3, -1.0, 0.8)
    assert target_at("latent.gmm.responsibility", **point) == pytest.approx(a / (a + 0.7 * stats.norm.pdf(0.3, 2.0, 1.5)), rel=1e-12)


@pytest.mark.parametrize("dimension", [1, 2])
def test_em_log_likelihood_is_monotone_and_the_bound_is_tight_after_each_e_step(dimension):
    if dimension == 1:
        model = gmm_em.mixture([0.4, 0.6], [[-3.0], [2.0]], [[[1.0]], [[0.5]]])
    else:
        model = gmm_em.mixture([0.5, 0.5], [[-2.0, 0.0], [2.0, 1.0]], [[[1.0, 0.4], [0.4, 1.0]], [[0.6, 0.0], [0.0, 0.6]]])
    x, _ = gmm_em.sample(model, 1000, gen(dimension))
    trace = gmm_em.run_em(x, gmm_em.random_start(x, 2, gen(10 + dimension)), 60)
    scale = abs(trace.log_likelihood[0])
    assert min(np.diff(trace.log_likelihood)) >= -1e-10 * scale
    assert max(abs(e - ll) for e, ll in zip(trace.elbo_after_e, trace.log_likelihood)) <= 1e-9 * scale
    recovered = trace.model.means[torch.argsort(trace.model.means[:, 0])]
    se = math.sqrt(float(model.covariances.diagonal(dim1=1, dim2=2).max()) / 400)
    assert float((recovered - model.means[torch.argsort(model.means[:, 0])]).abs().max()) <= Z * se


def test_m_step_closed_forms_for_many_points_match_the_reference_model():
    rng = np.random.default_rng(3)
    x, g = rng.normal(size=40), rng.random(40)
    gamma = torch.tensor(np.stack([g, 1 - g], 1), dtype=DTYPE)
    new = gmm_em.m_step(torch.tensor(x, dtype=DTYPE)[:, None], gamma, floor=0.0)
    mean = np.sum(g * x) / np.sum(g)
    assert float(new.means[0, 0]) == pytest.approx(mean, rel=1e-12)
    assert float(new.covariances[0, 0, 0]) == pytest.approx(np.sum(g * (x - mean) ** 2) / np.sum(g), rel=1e-12)
    assert float(new.weights[0]) == pytest.approx(g.mean(), rel=1e-12)
    three = dict(g1=g[0], g2=g[1], g3=g[2], x1=x[0], x2=x[1], x3=x[2])
    small = gmm_em.m_step(torch.tensor(x[:3], dtype=DTYPE)[:, None], gamma[:3], floor=0.0)
    assert target_at("latent.em.m-step.mean", **three) == pytest.approx(float(small.means[0, 0]), rel=1e-12)
    assert target_at("latent.em.m-step.variance", **three) == pytest.approx(float(small.covariances[0, 0, 0]), rel=1e-10)


def test_symmetric_start_is_a_fixed_point_for_any_data():
    x = torch.tensor(np.random.default_rng(4).normal(size=(50, 1)), dtype=DTYPE)
    trace = gmm_em.run_em(x, gmm_em.symmetric_start(x), 5)
    assert float((trace.model.means[:, 0] - x.mean()).abs().max()) < 1e-12
    assert target_at("latent.em.symmetric-fixed-point", x1=1.0, x2=2.0, x3=6.0, m=-3.0, s=0.5) == pytest.approx(3.0)


def test_em_matches_sklearn_gaussian_mixture():
    mixture = pytest.importorskip("sklearn.mixture")
    model = gmm_em.mixture([0.3, 0.7], [[-2.0, 1.0], [2.0, -1.0]], [[[1.0, 0.3], [0.3, 0.5]], [[0.8, -0.2], [-0.2, 1.2]]])
    x, _ = gmm_em.sample(model, 2000, gen(6))
    ours = gmm_em.run_em(x, gmm_em.random_start(x, 2, gen(7)), 300).model
    sk = mixture.GaussianMixture(2, covariance_type="full", tol=1e-12, max_iter=2000, reg_covar=1e-9,
                                 means_init=ours.means.numpy(), random_state=0).fit(x.numpy())
    assert float(ours.log_likelihood(x)) / len(x) == pytest.approx(sk.score(x.numpy()), abs=1e-6)
    assert np.allclose(np.sort(ours.means.numpy(), 0), np.sort(sk.means_, 0), atol=1e-4)


def test_mixture_variance_is_the_law_of_total_variance():
    assert target_at("latent.mixture.variance", alpha=0.3, mu1=-1.0, mu2=3.0, s1=0.5, s2=2.0) == pytest.approx(
        0.3 * 0.25 + 0.7 * 4.0 + 0.3 * 0.7 * 16.0)


def test_em_from_a_symmetric_start_stops_at_a_saddle():
    """004 L2118 "converges to local maximum" is a note (true from generic starts); from the symmetric start EM
    stops where splitting the means and shrinking the variances still raises the likelihood."""
    from derivspec.numerics.latent import em_converges_to_a_local_maximum
    holds, evidence = em_converges_to_a_local_maximum(4.0, 500.0)
    assert not holds and "a saddle, not a maximum" in evidence


@recomputes("latent.mixture.variance", "004", (1930, 1932))
def test_erratum_mixtures_need_not_add_modes():
    # ½N(−δ/2,1) + ½N(δ/2,1): second derivative of the density at 0 is ∝ (δ²/4 − 1)e^{−δ²/8}, < 0 for δ < 2: one mode
    for delta, modes in ((1.5, 1), (3.0, 2)):
        grid = np.linspace(-8, 8, 160_001)
        density = 0.5 * stats.norm.pdf(grid, -delta / 2) + 0.5 * stats.norm.pdf(grid, delta / 2)
        assert int(np.sum((density[1:-1] > density[:-2]) & (density[1:-1] > density[2:]))) == modes


@recomputes("latent.product.variance", "004", (1961, 1965))
def test_erratum_products_can_increase_variance():
    # two-point factors: p1 = 0.9δ0 + 0.1δ10, p2 = 0.1δ0 + 0.9δ10; the normalised product is ½δ0 + ½δ10
    var = lambda w: w * 100 - (w * 10) ** 2
    assert var(0.1) == pytest.approx(9.0) and var(0.9) == pytest.approx(9.0) and var(0.5) == pytest.approx(25.0)
    assert target_at("latent.product.variance", mu1=0, mu2=1, s1=1, s2=2) == pytest.approx(0.8)  # Gaussian factors: smaller


# --- factor analysis and PPCA ------------------------------------------------------------------------


def test_fa_marginal_and_posterior_against_scipy_and_the_reference_model():
    point = dict(x1=0.4, x2=-1.2, w1=1.3, w2=-0.6, b1=0.1, b2=0.5, psi1=0.4, psi2=1.1)
    C = np.array([[1.3**2 + 0.4, -1.3 * 0.6], [-1.3 * 0.6, 0.36 + 1.1]])
    assert target_at("latent.fa.marginal", **point) == pytest.approx(
        stats.multivariate_normal([0.1, 0.5], C).logpdf([0.4, -1.2]), rel=1e-12)
    W = torch.tensor([[1.3], [-0.6]], dtype=DTYPE)
    mean, cov = ppca.posterior(torch.tensor([[0.4, -1.2]], dtype=DTYPE), W, torch.tensor([0.1, 0.5], dtype=DTYPE),
                               torch.tensor([0.4, 1.1], dtype=DTYPE))
    assert target_at("latent.fa.posterior.mean", **point) == pytest.approx(float(mean[0, 0]), rel=1e-12)
    assert target_at("latent.fa.posterior.variance", w1=1.3, w2=-0.6, psi1=0.4, psi2=1.1) == pytest.approx(float(cov[0, 0]), rel=1e-12)


def _sample_covariance(D=5, d=2, n=5000, seed=8):
    g = gen(seed)
    W = torch.randn(D, d, generator=g, dtype=DTYPE)
    x, _ = ppca.sample(n, W, torch.randn(D, generator=g, dtype=DTYPE), torch.full((D,), 0.3, dtype=DTYPE), g)
    return x, torch.cov(x.T, correction=0)


def test_ppca_closed_form_equals_em():
    _, S = _sample_covariance()
    W, sigma2 = ppca.ppca_closed_form(S, 2)
    W_em, sigma2_em = ppca.ppca_em(S, 2, 3000)
    assert float(sigma2_em) == pytest.approx(float(sigma2), rel=1e-7)
    assert torch.allclose(W_em @ W_em.T, W @ W.T, atol=1e-6)
    assert float(ppca.mean_log_likelihood(S, W_em, sigma2_em.expand(5))) == pytest.approx(
        float(ppca.mean_log_likelihood(S, W, sigma2.expand(5))), abs=1e-10)


def test_ppca_and_fa_against_sklearn():
    decomposition = pytest.importorskip("sklearn.decomposition")
    x, S = _sample_covariance()
    W, sigma2 = ppca.ppca_closed_form(S, 2)
    pca = decomposition.PCA(n_components=2).fit(x.numpy())
    # scikit-learn's PCA uses the n − 1 covariance; rescale its eigenvalues to the (1/n) MLE convention
    n = x.shape[0]
    assert float(sigma2) == pytest.approx(pca.noise_variance_ * (n - 1) / n, rel=1e-9)
    # factor analysis on data with distinct noise variances (no Heywood case: EM converges fast)
    W_true, psi_true = torch.tensor([[1.0], [0.8], [-0.6], [0.5]], dtype=DTYPE), torch.tensor([0.3, 0.5, 0.4, 0.6], dtype=DTYPE)
    x_fa, _ = ppca.sample(5000, W_true, torch.zeros(4, dtype=DTYPE), psi_true, gen(12))
    S_fa = torch.cov(x_fa.T, correction=0)
    fa = decomposition.FactorAnalysis(n_components=1, tol=1e-12, max_iter=5000, svd_method="lapack").fit(x_fa.numpy())
    W_fa, psi = ppca.fa_em(S_fa, 1, 2000)
    assert float(ppca.mean_log_likelihood(S_fa, W_fa, psi)) == pytest.approx(fa.score(x_fa.numpy()), abs=1e-8)
    assert np.allclose((W_fa @ W_fa.T + torch.diag(psi)).numpy(), fa.get_covariance(), atol=1e-5)
    two = torch.cov(x[:, :2].T, correction=0)
    noise = target_at("latent.ppca.noise-mle", c11=float(two[0, 0]), c12=float(two[0, 1]), c22=float(two[1, 1]))
    assert noise == pytest.approx(float(ppca.ppca_closed_form(two, 1)[1]), rel=1e-12)


# --- Markov chains and HMMs -------------------------------------------------------------------------


def test_markov_parameter_counts_by_jacobian_rank():
    g = gen(9)
    for n in range(1, 9):
        assert hmm.free_parameters(hmm.markov_joint, hmm.markov_parameter_count(n), n, g) == 2 * n - 1
        assert hmm.free_parameters(hmm.iid_joint, 1, n, g) == 1
        assert target_at("latent.markov.parameters", n=n) == 2 * n - 1


def test_forward_backward_equals_brute_force_for_three_states_and_eight_steps():
    g = gen(10)
    K, T = 3, 8
    prior = torch.softmax(torch.randn(K, generator=g, dtype=DTYPE), 0)
    transition = torch.softmax(torch.randn(K, K, generator=g, dtype=DTYPE), 1)
    likelihoods = torch.rand(T, K, generator=g, dtype=DTYPE) + 0.05
    assert torch.allclose(hmm.forward_backward(prior, transition, likelihoods),
                          hmm.brute_force_posteriors(prior, transition, likelihoods), atol=1e-14)


def test_hmm_claim_against_brute_force_written_here():
    values = dict(a=0.3, t1=0.8, t0=0.25, e1=0.7, e0=0.2, f1=0.1, f0=0.9)
    joint = {(z1, z2): (0.3 if z1 else 0.7) * (0.7 if z1 else 0.2) * ((0.8 if z2 else 0.2) if z1 else (0.25 if z2 else 0.75))
             * (0.1 if z2 else 0.9) for z1, z2 in itertools.product((0, 1), repeat=2)}
    brute = (joint[1, 0] + joint[1, 1]) / sum(joint.values())
    assert target_at("latent.hmm.posterior", **values) == pytest.approx(brute, rel=1e-14)


# --- forms -------------------------------------------------------------------------------------------

CORRECT_FORMS = {
    "latent.gmm.responsibility": (
        ["alpha*exp(-(x-mu1)**2/(2*s1**2))/s1 / (alpha*exp(-(x-mu1)**2/(2*s1**2))/s1 + (1-alpha)*exp(-(x-mu2)**2/(2*s2**2))/s2)",
         "1/(1 + (1-alpha)*s1/(alpha*s2)*exp((x-mu1)**2/(2*s1**2) - (x-mu2)**2/(2*s2**2)))"],
        [r"\frac{\alpha \frac{1}{s_1} e^{-\frac{(x-\mu_1)^2}{2s_1^2}}}{\alpha \frac{1}{s_1} e^{-\frac{(x-\mu_1)^2}{2s_1^2}} + (1-\alpha)\frac{1}{s_2} e^{-\frac{(x-\mu_2)^2}{2s_2^2}}}"]),
    "latent.mixture.variance": (["alpha*s1**2 + (1-alpha)*s2**2 + alpha*(1-alpha)*(mu1-mu2)**2",
                                 "alpha*(s1**2+mu1**2) + (1-alpha)*(s2**2+mu2**2) - (alpha*mu1+(1-alpha)*mu2)**2"],
                                [r"\alpha s_1^2 + (1-\alpha)s_2^2 + \alpha(1-\alpha)(\mu_1-\mu_2)^2"]),
    "latent.fa.posterior.variance": (["1/(1 + w1**2/psi1 + w2**2/psi2)", "psi1*psi2/(psi1*psi2 + w1**2*psi2 + w2**2*psi1)"],
                                     [r"\left(1 + \frac{w_1^2}{\psi_1} + \frac{w_2^2}{\psi_2}\right)^{-1}"]),
    "latent.em.m-step.mean": (["(g1*x1+g2*x2+g3*x3)/(g1+g2+g3)"], [r"\frac{\gamma_1 x_1 + \gamma_2 x_2 + \gamma_3 x_3}{\gamma_1+\gamma_2+\gamma_3}"]),
    "latent.markov.parameters": (["2*n - 1", "1 + 2*(n-1)"], [r"1 + (n-1)\cdot 2"]),
    "latent.product.variance": (["s1**2*s2**2/(s1**2+s2**2)", "1/(1/s1**2 + 1/s2**2)"], [r"\frac{1}{s_1^{-2} + s_2^{-2}}"]),
}

MISTAKES = {
    "latent.gmm.responsibility": ["exp(-(x-mu1)**2/(2*s1**2)) / (exp(-(x-mu1)**2/(2*s1**2)) + exp(-(x-mu2)**2/(2*s2**2)))"],
    "latent.mixture.variance": ["alpha*s1**2 + (1-alpha)*s2**2"],
    "latent.fa.posterior.variance": ["1/(w1**2/psi1 + w2**2/psi2)"],
    "latent.em.m-step.mean": ["(g1*x1+g2*x2+g3*x3)/3"],
    "latent.markov.parameters": ["2**n - 1"],
    "latent.product.variance": ["s1**2 + s2**2"],
}


@pytest.mark.parametrize("claim_id", sorted(CORRECT_FORMS))
def test_check_accepts_correct_forms_and_rejects_mistakes(claim_id):
    assert_forms(claim_id, *CORRECT_FORMS[claim_id], MISTAKES[claim_id])


# --- random graph models (derivations/latent/graphs.py) ------------------------------------------


def test_sbm_edge_covariance_against_simulated_graphs():
    """3-node SBM graphs drawn with numpy (seed 5): the sample covariance of a12, a13 lies within
    Z standard errors of the derived π(1 − π)(m1 − m0)², and is far from 0 (the edges are dependent)."""
    w, b11, b10, b00 = 0.5, 0.8, 0.1, 0.3
    rng = np.random.default_rng(5)
    n = 400_000
    z = rng.random((n, 3)) < w
    block = np.where(z[:, [0]] & z[:, [1, 2]], b11, np.where(~z[:, [0]] & ~z[:, [1, 2]], b00, b10))
    edges = (rng.random((n, 2)) < block).astype(float)
    centred = (edges[:, 0] - edges[:, 0].mean()) * (edges[:, 1] - edges[:, 1].mean())
    expected = target_at("latent.graph.sbm-edges", w=w, b11=b11, b10=b10, b00=b00)
    assert abs(centred.mean() - expected) < Z * centred.std() / math.sqrt(n)
    assert expected > 5 * Z * centred.std() / math.sqrt(n)


def test_sbm_behaviours_can_fail():
    """With equal blocks the SBM is Erdős–Rényi: no marginal dependence, no excess clustering."""
    from derivspec.numerics import latent
    assert latent.sbm_edges_independent_given_z_dependent_without(0.5, 0.3, 0.3, 0.3)[0] is False
    assert latent.sbm_clustering_exceeds_density(0.5, 0.3, 0.3, 0.3)[0] is False
    assert latent.sbm_clustering_exceeds_density(0.5, 0.8, 0.05, 0.8)[0] is True


def test_erdos_renyi_closing_edge_by_counting_graphs():
    """All graphs on 4 nodes listed with itertools: P(a23 | a12, a13) = p, at several p."""
    pairs = list(itertools.combinations(range(4), 2))
    for p in (0.1, 0.37, 0.9):
        num = den = 0.0
        for edges in itertools.product((0, 1), repeat=len(pairs)):
            a = dict(zip(pairs, edges))
            prob = math.prod(p if e else 1 - p for e in edges)
            if a[0, 1] and a[0, 2]:
                den += prob
                num += prob * a[1, 2]
        assert num / den == pytest.approx(target_at("latent.graph.erdos-renyi-clustering", p=p), rel=1e-12)


def test_preferential_attachment_distribution_solves_the_rate_equation_and_sums_to_one():
    """p(k)(k + 2) = (k − 1)p(k − 1) for k > m, p(m) = 2/(m + 2), Σ_k p(k) = 1 (exact rationals)."""
    from fractions import Fraction
    for m in (1, 2, 5):
        p = lambda k: Fraction(2 * m * (m + 1), k * (k + 1) * (k + 2))  # noqa: E731
        assert p(m) == Fraction(2, m + 2)
        assert all(p(k) * (k + 2) == (k - 1) * p(k - 1) for k in range(m + 1, m + 40))
        K = 10_000
        assert 1 - sum(p(k) for k in range(m, K)) == Fraction(m * (m + 1), K * (K + 1))  # the telescoped tail
        assert target_at("latent.graph.preferential-attachment", m=m, j=3) == pytest.approx(float(p(m + 3)), rel=1e-12)


def test_preferential_attachment_simulation_has_a_cubic_tail_but_uniform_attachment_does_not():
    from derivspec.numerics import latent
    holds, evidence = latent.preferential_attachment_has_power_law_and_hubs(2, 20000)
    assert holds, evidence
    exponent = float(evidence.split("tail exponent")[1].split(")")[1].split()[0])
    assert 2.6 < exponent < 3.4


# --- the reference routes' own error estimates ------------------------------------------------------


@pytest.mark.parametrize("route_name, claim_id, points", [
    ("fa_log_marginal_by_quadrature", "latent.fa.marginal", 64),
    ("fa_posterior_mean_by_quadrature", "latent.fa.posterior.mean", 64),
    ("fa_posterior_variance_by_quadrature", "latent.fa.posterior.variance", 64),
    ("product_variance_on_a_grid", "latent.product.variance", 64),
    ("m_step_mean_by_lbfgs", "latent.em.m-step.mean", 16),
    ("m_step_variance_by_lbfgs", "latent.em.m-step.variance", 16),
    ("m_step_weight_by_lbfgs", "latent.em.m-step.weight", 32),
    ("ppca_noise_by_lbfgs", "latent.ppca.noise-mle", 16),
    ("linear_autoencoder_by_lbfgs", "latent.autoencoder.linear", 16)])
def test_approximate_routes_carry_errors_that_cover_the_target(route_name, claim_id, points):
    from derivspec.numerics import latent
    assert_error_covers_target(getattr(latent, route_name), claim_id, points)


def test_preferential_attachment_extrapolation_covers_its_error_over_the_whole_domain():
    """Every (m, j) of the claim's domain (m ≤ 6, j ≤ 30): the Richardson value of the growth process
    is within its error estimate (× 1.1, measured up to 1.05) of the stationary p(k), and the
    estimate stays below 1e-4 of p(k), so ERROR_SAFETY × it resolves every point."""
    from derivspec.numerics import latent
    m, j = (t.reshape(-1).to(DTYPE) for t in torch.meshgrid(torch.arange(1, 7), torch.arange(0, 31), indexing="ij"))
    out = latent.preferential_attachment_expected_counts(m, j)
    k = m + j
    target = 2 * m * (m + 1) / (k * (k + 1) * (k + 2))
    assert bool(((out.value - target).abs() <= 1.1 * out.error).all())
    assert bool((out.error < 1e-4 * target).all())
