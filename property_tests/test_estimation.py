"""Estimation family (derivations/estimation/): the symbolic targets against routes written
again here (numpy/scipy/scikit-learn, not numerics/), the general-n statements the claims
derive at n = 3, correct forms accepted by ``check``, and the errata recomputed by independent
arithmetic."""

import math
import sys
from fractions import Fraction

import numpy as np
import pytest
import sympy
import torch
from scipy import stats

from derivspec.core import registry
from derivspec.core.checker import compare
from derivspec.core.sources import compare_source
from derivspec.numerics.montecarlo import FALSE_FAIL_RATE, critical_z
from forms import assert_forms
from recompute import recomputes

Z = critical_z(FALSE_FAIL_RATE)  # two-sided z-tests below fail a true statement about once in a million runs


def target_at(claim_id, **values):
    claim = registry.get(claim_id)
    subs = {claim.symbols[k]: sympy.nsimplify(v) for k, v in values.items()}
    return float(sympy.N(claim.expand_defined(claim.target).subs(subs), 30))


# --- maximum likelihood, any n ----------------------------------------------------------------


@pytest.mark.parametrize("n", [2, 3, 7, 50])
def test_gaussian_mle_is_sample_mean_and_1_over_n_variance_for_any_n(n):
    x = np.random.default_rng(n).normal(1.5, 2.0, n)
    loc, scale = stats.norm.fit(x)
    assert loc == pytest.approx(x.mean(), abs=1e-6)
    assert scale**2 == pytest.approx(x.var(ddof=0), rel=1e-6)
    if n == 3:
        assert target_at("estimation.gaussian.mean", x1=x[0], x2=x[1], x3=x[2]) == pytest.approx(loc, abs=1e-6)
        assert target_at("estimation.gaussian.variance", x1=x[0], x2=x[1], x3=x[2]) == pytest.approx(scale**2, rel=1e-6)


@pytest.mark.parametrize("n", [2, 3, 5, 10])
def test_variance_mle_bias_is_n_minus_1_over_n_for_any_n(n):
    g = torch.Generator().manual_seed(100 + n)
    reps = 200_000
    draws = (2.0 * torch.randn(reps, n, generator=g, dtype=torch.float64)).var(dim=1, unbiased=False)
    z = (float(draws.mean()) - 4.0 * (n - 1) / n) / (float(draws.std()) / math.sqrt(reps))
    assert abs(z) <= Z
    if n == 3:
        assert target_at("estimation.gaussian.variance-bias", mu=0.3, sigma=2) == pytest.approx(4.0 * 2 / 3)


def test_density_interval_mass_and_entropy_against_scipy():
    assert target_at("estimation.gaussian.density", y=0.4, mu=-1.1, sigma=0.7) == pytest.approx(stats.norm.pdf(0.4, -1.1, 0.7), rel=1e-12)
    for k in (0.5, 1, 2, 3):
        assert target_at("estimation.gaussian.interval-mass", k=k) == pytest.approx(stats.norm.cdf(k) - stats.norm.cdf(-k), rel=1e-12)
    assert target_at("estimation.gaussian.entropy", mu=3.0, sigma=0.6) == pytest.approx(stats.norm(3.0, 0.6).entropy(), rel=1e-12)
    assert target_at("estimation.gaussian.entropy", mu=0, sigma=0.2) < 0  # differential entropy can be negative


def test_mle_kl_target_is_free_of_the_model_parameters():
    claim = registry.get("estimation.mle-kl.gaussian")
    mu, sigma = claim.symbols["mu"], claim.symbols["sigma"]
    assert claim.target.free_symbols.isdisjoint({mu, sigma})


def test_coin_mle_is_the_argmax_of_a_fine_grid():
    grid = np.linspace(1e-6, 1 - 1e-6, 200_001)
    for h, t in ((6, 4), (1, 9), (13, 2)):
        best = grid[np.argmax(stats.binom.logpmf(h, h + t, grid))]
        assert target_at("estimation.bernoulli.mle", h=h, t=t) == pytest.approx(best, abs=1e-5)


def test_fisher_information_against_a_finite_difference_second_derivative():
    for p in (0.1, 0.3, 0.5, 0.8):
        e = 1e-4
        loglik = lambda q, y: stats.bernoulli.logpmf(y, q)
        second = sum(w * (loglik(p + e, y) - 2 * loglik(p, y) + loglik(p - e, y)) / e**2 for y, w in ((1, p), (0, 1 - p)))
        assert target_at("estimation.bernoulli.fisher", p=p) == pytest.approx(-second, rel=1e-6)


def test_categorical_mle_is_the_class_frequency():
    for counts in ((3, 5, 2), (1, 1, 10)):
        assert target_at("estimation.categorical.mle", n1=counts[0], n2=counts[1], n3=counts[2]) == pytest.approx(counts[0] / sum(counts))


# --- generative classifiers against scikit-learn -------------------------------------------------


def _two_class_samples(s0, s1, n=4000, seed=5):
    rng = np.random.default_rng(seed)
    y = (rng.random(n) < 0.4).astype(int)
    x = np.where(y == 1, rng.normal(1.5, s1, n), rng.normal(-1.0, s0, n))
    return x, y


def test_lda_target_with_plug_in_mles_is_sklearn_lda():
    sklearn_da = pytest.importorskip("sklearn.discriminant_analysis")
    x, y = _two_class_samples(1.5, 1.5)
    lda = sklearn_da.LinearDiscriminantAnalysis(solver="lsqr").fit(x[:, None], y)
    p = y.mean()
    m0, m1 = x[y == 0].mean(), x[y == 1].mean()
    pooled = (np.sum((x[y == 0] - m0) ** 2) + np.sum((x[y == 1] - m1) ** 2)) / len(x)
    grid = np.linspace(-4, 4, 9)
    ours = [target_at("estimation.generative-classifier.lda", x=g, mu0=m0, mu1=m1, s=math.sqrt(pooled), p=p) for g in grid]
    assert np.allclose(ours, lda.predict_proba(grid[:, None])[:, 1], rtol=1e-7, atol=1e-10)


def test_qda_target_with_plug_in_estimates_is_sklearn_qda():
    sklearn_da = pytest.importorskip("sklearn.discriminant_analysis")
    x, y = _two_class_samples(1.0, 2.0)
    qda = sklearn_da.QuadraticDiscriminantAnalysis().fit(x[:, None], y)
    p = y.mean()
    m0, m1 = x[y == 0].mean(), x[y == 1].mean()
    s0, s1 = x[y == 0].std(ddof=0), x[y == 1].std(ddof=0)  # the class variance MLEs, as scikit-learn 1.9 uses
    grid = np.linspace(-4, 4, 9)
    ours = [target_at("estimation.generative-classifier.qda", x=g, mu0=m0, mu1=m1, s0=s0, s1=s1, p=p) for g in grid]
    assert np.allclose(ours, qda.predict_proba(grid[:, None])[:, 1], rtol=1e-7, atol=1e-10)


def test_naive_bayes_log_odds_is_sklearn_bernoulli_nb():
    naive_bayes = pytest.importorskip("sklearn.naive_bayes")
    rng = np.random.default_rng(7)
    y = (rng.random(3000) < 0.35).astype(int)
    X = np.where(y[:, None] == 1, rng.random((3000, 2)) < [0.8, 0.3], rng.random((3000, 2)) < [0.2, 0.6]).astype(int)
    nb = naive_bayes.BernoulliNB(alpha=1e-10, force_alpha=True).fit(X, y)
    a = X[y == 1].mean(0)
    b = X[y == 0].mean(0)
    for row in ((0, 0), (0, 1), (1, 0), (1, 1)):
        log_proba = nb.predict_log_proba(np.array([row]))[0]
        ours = target_at("estimation.naive-bayes.log-odds", x1=row[0], x2=row[1], p=y.mean(), a1=a[0], a2=a[1], b1=b[0], b2=b[1])
        assert ours == pytest.approx(log_proba[1] - log_proba[0], rel=1e-6, abs=1e-8)


def test_lda_is_qda_with_equal_variances():
    qda = registry.get("estimation.generative-classifier.qda")
    lda = registry.get("estimation.generative-classifier.lda")
    s = lda.symbols["s"]
    shared = qda.target.subs({qda.symbols["s0"]: s, qda.symbols["s1"]: s})
    assert compare(lda, shared).verdict == "equivalent"


# --- forms used in practice ----------------------------------------------------------------------

CORRECT_FORMS = {
    "estimation.gaussian.variance": (
        ["((x1-(x1+x2+x3)/3)**2 + (x2-(x1+x2+x3)/3)**2 + (x3-(x1+x2+x3)/3)**2)/3",
         "(x1**2+x2**2+x3**2)/3 - ((x1+x2+x3)/3)**2"],
        [r"\frac{x_1^2+x_2^2+x_3^2}{3} - \left(\frac{x_1+x_2+x_3}{3}\right)^2"]),
    "estimation.gaussian.variance-bias": (["(3-1)*sigma**2/3", "sigma**2 - sigma**2/3"], [r"\frac{2}{3}\sigma^2", r"\frac{(3-1)\sigma^2}{3}"]),
    "estimation.bernoulli.mle": (["h/(h+t)", "1/(1+t/h)"], [r"\frac{h}{h+t}"]),
    "estimation.bernoulli.fisher": (["1/(p*(1-p))", "1/p + 1/(1-p)"], [r"\frac{1}{p(1-p)}", r"\frac1p + \frac1{1-p}"]),
    "estimation.gaussian.entropy": (["log(2*pi*e*sigma**2)/2", "1/2 + log(2*pi)/2 + log(sigma)"],
                                    [r"\frac12\log(2\pi e\sigma^2)", r"\log(\sigma\sqrt{2\pi e})"]),
    "estimation.generative-classifier.lda": (
        ["1/(1+exp(-((mu1-mu0)/s**2*x + (mu0**2-mu1**2)/(2*s**2) + log(p/(1-p)))))",
         "sigmoid((mu1-mu0)*(x-(mu0+mu1)/2)/s**2 + log(p) - log(1-p))"],
        [r"\frac{1}{1+e^{-\left(\frac{\mu_1-\mu_0}{s^2}x + \frac{\mu_0^2-\mu_1^2}{2s^2} + \log\frac{p}{1-p}\right)}}"]),
    "estimation.mle-kl.gaussian": (["log(2*pi*e*s**2)/2", "log(s) + log(2*pi)/2 + 1/2"], [r"\frac{1}{2}\log(2\pi e s^2)"]),
}

MISTAKES = {
    "estimation.gaussian.variance": ["((x1-(x1+x2+x3)/3)**2 + (x2-(x1+x2+x3)/3)**2 + (x3-(x1+x2+x3)/3)**2)/2"],
    "estimation.gaussian.variance-bias": ["sigma**2", "(3+1)*sigma**2/3"],
    "estimation.bernoulli.mle": ["h/t", "(h+1)/(h+t+2)"],
    "estimation.bernoulli.fisher": ["p*(1-p)"],
    "estimation.gaussian.entropy": ["log(2*pi*sigma**2)/2"],
    "estimation.generative-classifier.lda": ["sigmoid((mu1-mu0)/s**2*x + (mu0**2-mu1**2)/(2*s**2))"],
    "estimation.mle-kl.gaussian": ["-log(2*pi*e*s**2)/2"],
}


@pytest.mark.parametrize("claim_id", sorted(CORRECT_FORMS))
def test_check_accepts_correct_forms_and_rejects_mistakes(claim_id):
    assert_forms(claim_id, *CORRECT_FORMS[claim_id], MISTAKES[claim_id])


# --- sources and errata --------------------------------------------------------------------------


def statuses(claim_id):
    claim = registry.get(claim_id)
    return {(s.file[:3], s.lines): compare_source(claim, s).status for s in claim.sources if s.behaviour is None}


def test_worked_numbers_of_the_seeds_match():
    coin = statuses("estimation.bernoulli.likelihood")
    assert coin[("003", "291–297")] == "matches"  # 0.7 · 0.3 · 0.7 = 0.147
    density = statuses("estimation.gaussian.density")
    assert all(density[("003", f"405–41{k}")] == "matches" for k in (0, 1, 2, 3))
    claim = registry.get("estimation.gaussian.interval-mass")
    assert [compare_source(claim, s).status for s in claim.sources if s.value is not None] == ["matches"] * 4
    assert statuses("estimation.bernoulli.mle")[("003", "1561")] == "matches"


@recomputes("estimation.bernoulli.likelihood", "003", (828, 832))
def test_erratum_half_to_the_thousand_does_not_underflow_in_float64():
    value = 0.5**1000  # Python float = IEEE double
    assert value > 0 and value > sys.float_info.min  # 9.33e-302 > 2.2e-308: not even subnormal
    assert math.log10(value) == pytest.approx(-301.03, abs=0.01)
    assert 0.5**1074 > 0 and 0.5**1075 == 0.0  # the first N at which the product is 0
    assert np.float32(0.5) ** 149 > 0 and np.float32(0.5) ** 150 == 0  # float32 underflows at N = 150


def test_the_variance_mle_is_biased_in_finite_samples():
    # E[Σ(x_i − x̄)²] = E[Σx_i²] − nE[x̄²] = n(σ² + μ²) − (σ² + nμ²) = (n − 1)σ², so E[σ̂²]/σ² = (n − 1)/n ≠ 1
    # (004 L1708 "MLE: ... asymptotic regime, unbiased estimator needed" is a note: the bullet names the asymptotic regime)
    n = 3
    ratio = Fraction(n - 1, n)
    assert ratio == Fraction(2, 3) != 1
    assert target_at("estimation.gaussian.variance-bias", mu=0, sigma=1) == pytest.approx(float(ratio))
    from derivspec.numerics.estimation import mle_is_unbiased
    holds, evidence = mle_is_unbiased(3.0, 1.0)
    assert not holds and "biased by −σ²/n = -0.333" in evidence


def test_the_density_integrates_to_one_with_the_stated_moments():
    from scipy import integrate
    mu, sigma = 0.7, 1.3
    f = lambda y: target_at("estimation.gaussian.density", y=y, mu=mu, sigma=sigma)
    dens = lambda y: math.exp(-(y - mu) ** 2 / (2 * sigma**2)) / math.sqrt(2 * math.pi * sigma**2)
    assert f(0.2) == pytest.approx(dens(0.2), rel=1e-12)
    moments = [integrate.quad(lambda y: y**k * dens(y), -40, 40)[0] for k in (0, 1, 2)]
    assert moments[0] == pytest.approx(1.0, abs=1e-10)
    assert moments[1] == pytest.approx(mu, abs=1e-10)
    assert moments[2] - moments[1] ** 2 == pytest.approx(sigma**2, abs=1e-9)


@recomputes("estimation.gaussian.density", "003", (1158, 1175))
def test_erratum_worked_grade_densities():
    # N(82 | 80, 10²) and N(82 | 90, 5²) by hand: e^{-0.02}/(10√(2π)) and e^{-1.28}/(5√(2π))
    c1 = math.exp(-0.02) / (10 * math.sqrt(2 * math.pi))
    c3 = math.exp(-1.28) / (5 * math.sqrt(2 * math.pi))
    assert round(c1, 4) == 0.0391 != 0.0388 and round(c3, 4) == 0.0222 != 0.0299
    assert c1 > c3 > math.exp(-0.72) / (10 * math.sqrt(2 * math.pi))  # C1 still wins


# --- the numeric routes' own error estimates (numerics/estimation.py) ----------------------------------


def test_minimiser_distances_bound_the_distance_to_the_minimiser_of_a_strongly_convex_loss():
    from derivspec.reference_models.optimality import minimiser_distances

    curvature = torch.tensor([[4.0, 1.0], [1.0, 0.5]], dtype=torch.float64)  # eigenvalues 4.27 and 0.27
    minimiser = torch.tensor([0.3, -1.2], dtype=torch.float64)
    loss = lambda theta: 0.5 * (((theta - minimiser) @ curvature) * (theta - minimiser)).sum(-1) + (theta - minimiser).pow(4).sum(-1)
    off = minimiser + torch.tensor([[1e-6, -3e-6], [-2e-7, 0.0], [0.0, 5e-9]], dtype=torch.float64)
    distance = (off - minimiser).norm(dim=-1)
    bound = minimiser_distances(loss, off)
    assert bool((distance <= bound).all() and (bound <= 20 * distance).all())
    assert math.isinf(float(minimiser_distances(lambda t: -(t**2).sum(-1), off[:1])[0]))  # not convex: undecidable


@pytest.mark.parametrize("k", [0.25, 4.0])
def test_interval_mass_estimator_decides_when_the_complement_is_rare(k):
    # at k = 4 the indicator of |y − μ| ≤ kσ misses once in 16 000 draws: a pilot may never see it
    from derivspec.numerics.estimation import interval_density_draws
    from derivspec.numerics.montecarlo import monte_carlo_check

    mass = stats.norm.cdf(k) - stats.norm.cdf(-k)
    result = monte_carlo_check(interval_density_draws(torch.tensor(k, dtype=torch.float64)), mass, torch.Generator().manual_seed(4))
    assert result.passed and result.min_detectable_rel_error <= 0.01, result.to_json()


def test_convolution_routes_decide_far_in_the_tail():
    # t − μ_1 − μ_2 = 9 with σ_1 = 3, σ_2 = 0.25: the density is ~1e-4 and the integrand a narrow peak 3σ_1 out
    from derivspec.numerics.accuracy import tolerance
    from derivspec.numerics.estimation import sum_density_by_quadrature, sum_density_draws
    from derivspec.numerics.montecarlo import monte_carlo_check

    point = dict(t=3.0, mu1=-3.0, mu2=-3.0, sigma1=3.0, sigma2=0.25)
    density = stats.norm.pdf(3.0, -6.0, math.sqrt(9 + 0.0625))
    out = sum_density_by_quadrature(**{k: torch.tensor([v], dtype=torch.float64) for k, v in point.items()})
    assert abs(float(out.value[0]) - density) <= float(tolerance(out.value, out.error)[0]) and float(out.error[0]) < 1e-9 * density
    estimator = sum_density_draws(**{k: torch.tensor(v, dtype=torch.float64) for k, v in point.items()})
    result = monte_carlo_check(estimator, density, torch.Generator().manual_seed(29))
    assert result.passed and result.min_detectable_rel_error <= 0.01, result.to_json()


def test_memoryless_cdf_route_carries_the_round_off_of_one_minus_the_cdf():
    from derivspec.numerics.accuracy import tolerance
    from derivspec.numerics.estimation import conditional_survival_by_cdf

    lam, s, t = (torch.tensor([v], dtype=torch.float64) for v in (4.0, 3.0, 3.0))  # λ(s + t) = 24: 1 − F keeps ~6 digits
    out = conditional_survival_by_cdf(lam, s, t)
    exact = math.exp(-12.0)
    assert abs(float(out.value[0]) - exact) > 1e-9 * exact  # beyond the round-off tolerance ...
    assert abs(float(out.value[0]) - exact) <= float(tolerance(out.value, out.error)[0])  # ... within the route's own
