"""Every erratum (`derivspec errata`) is re-checked by an independent computation: plain arithmetic,
numpy, scipy or torch, never the claim's own derivation and not only its status.

Each recomputing test is registered beside its code with ``@recomputes(claim, lecture, (first,
last))`` (``recompute.py``), here or in the family's test file. ``test_every_erratum_has_a_recompute_test``
fails when an erratum appears without one (or a registration outlives its erratum).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import sympy
from scipy import integrate, optimize, stats

from derivspec.core.claims import ERRATUM_CATEGORIES, ERRATUM_SEVERITIES
from derivspec.core.lectures import order_key
from derivspec.core.registry import REGISTRY
from recompute import all_recomputations, recomputes

# --- 000 -----------------------------------------------------------------------------------------


@recomputes("kl.entropy.categorical", "000", (196, 203))
def test_expected_log_density_is_minus_the_entropy():
    # the term labelled "Entropy H(p_data)" is E_p[log p] = −H(p): negative where H is positive
    p, q = np.array([0.2, 0.3, 0.5]), np.array([0.5, 0.25, 0.25])
    expected_log_p = float(np.sum(p * np.log(p)))
    assert expected_log_p == pytest.approx(-stats.entropy(p)) and expected_log_p < 0 < stats.entropy(p)
    cross = float(-np.sum(p * np.log(q)))
    assert stats.entropy(p, q) == pytest.approx(expected_log_p + cross)  # the expansion holds with −H
    assert stats.entropy(p, q) != pytest.approx(stats.entropy(p) + cross)  # and fails with H in its place


@recomputes("nll.gaussian", "000", (251, 253))
def test_gaussian_nll_is_the_squared_error_plus_a_constant_not_times_one():
    y, mu, sigma = np.linspace(-3, 3, 13), 0.4, 1.3
    nll = -stats.norm.logpdf(y, mu, sigma)
    squared = (y - mu) ** 2 / (2 * sigma**2)
    assert np.allclose(nll - squared, math.log(sigma * math.sqrt(2 * math.pi)))  # an additive constant
    ratio = nll[squared > 1e-3] / squared[squared > 1e-3]
    assert np.ptp(ratio) > 1  # no constant c with nll = c·squared


# --- 002 -----------------------------------------------------------------------------------------


def _expect(m, s, f):
    """E_{z~N(m, s²)}[f(z)] by quadrature."""
    return integrate.quad(lambda z: stats.norm.pdf(z, m, s) * f(z), m - 12 * s, m + 12 * s)[0]


@recomputes("kl.cross-entropy", "002", (136, 142))
def test_the_nll_of_the_codes_is_not_their_kl_to_the_prior():
    # codes z ~ N(m, s²) against the prior N(0, 1): E[−log N(z; 0, 1)] falls as s → 0 (the collapse L141–145
    # describes), while KL(N(m, s²) ‖ N(0, 1)) is smallest at s = 1; they differ by the entropy of the codes
    def nll(m, s):
        return _expect(m, s, lambda z: -stats.norm.logpdf(z))

    def kl(m, s):
        return _expect(m, s, lambda z: stats.norm.logpdf(z, m, s) - stats.norm.logpdf(z))

    for m, s in ((0.0, 0.2), (0.5, 1.0), (1.0, 2.0)):
        assert nll(m, s) - kl(m, s) == pytest.approx(0.5 * math.log(2 * math.pi * math.e * s**2), abs=1e-7)
    assert nll(0, 0.2) < nll(0, 1.0) and kl(0, 0.2) > kl(0, 1.0)
    best = optimize.minimize_scalar(lambda s: kl(0.0, s), bounds=(0.05, 3), method="bounded").x
    assert best == pytest.approx(1.0, abs=1e-3)


@recomputes("elbo.decoder-gradient", "002", (284, 288))
def test_the_evidence_moves_with_the_decoder():
    # z ~ N(0, 1), x | z ~ N(wz, s²): log p_w(x) = log N(x; 0, w² + s²) depends on the decoder weight w
    x, w, s, h = 1.5, -1.8, 1.1, 1e-5
    evidence = lambda w: stats.norm.logpdf(x, 0, math.sqrt(w**2 + s**2))  # noqa: E731
    slope = (evidence(w + h) - evidence(w - h)) / (2 * h)
    v = w**2 + s**2
    assert slope == pytest.approx(w * (x**2 / v**2 - 1 / v), rel=1e-6) and abs(slope) > 0.05


# --- 003 -----------------------------------------------------------------------------------------


@recomputes("elbo.gap", "003", (167, 167))
def test_the_kl_to_the_posterior_is_the_gap_not_the_elbo():
    # z ~ N(0, 1), x | z ~ N(wz, s²), q = N(m, v): the ELBO by quadrature, the KL to the exact posterior in closed form
    x, w, s, m, v = 1.2, 0.8, 0.6, 0.3, 0.5
    log_joint = lambda z: stats.norm.logpdf(z) + stats.norm.logpdf(x, w * z, s)  # noqa: E731
    elbo = _expect(m, math.sqrt(v), lambda z: log_joint(z) - stats.norm.logpdf(z, m, math.sqrt(v)))
    evidence = stats.norm.logpdf(x, 0, math.sqrt(w**2 + s**2))
    post_mean, post_var = w * x / (w**2 + s**2), s**2 / (w**2 + s**2)
    kl = math.log(math.sqrt(post_var / v)) + (v + (m - post_mean) ** 2) / (2 * post_var) - 0.5
    assert evidence - elbo == pytest.approx(kl, abs=1e-8)  # the KL is the gap
    assert elbo < 0 < kl  # the ELBO itself is not that KL (nor any KL: it is negative here)


@recomputes("elbo.linear-gaussian", "003", (860, 860))
def test_minus_the_elbo_bounds_the_nll_from_above():
    # conjugate model z ~ N(0, 1), x | z ~ N(wz, s²), q = N(m, v): ELBO by Gauss–Hermite quadrature; the gap to
    # log p(x) is KL(q ‖ p(z|x)) > 0, so −ELBO is not the NLL −log p(x) unless q is the posterior
    x, w, s, m, v = 1.2, 0.8, 0.6, 0.1, 0.5
    nodes, weights = np.polynomial.hermite_e.hermegauss(80)
    z = m + math.sqrt(v) * nodes
    log_joint = stats.norm.logpdf(x, w * z, s) + stats.norm.logpdf(z)
    elbo = float(np.sum(weights * (log_joint - stats.norm.logpdf(z, m, math.sqrt(v)))) / math.sqrt(2 * math.pi))
    log_evidence = stats.norm.logpdf(x, 0, math.sqrt(w**2 + s**2))
    post_var = 1 / (1 + w**2 / s**2)
    post_mean = post_var * w * x / s**2
    kl = math.log(math.sqrt(post_var / v)) + (v + (m - post_mean) ** 2) / (2 * post_var) - 0.5
    assert log_evidence - elbo == pytest.approx(kl, rel=1e-9) and kl > 0.1


@recomputes("sampling.inverse-cdf.categorical", "003", (348, 358))
def test_digit_two_is_the_third_entry():
    # MNIST digits 0–9 in the entries of π; the slide's one-hot truth for digit 2 is (0, 0, 1, 0, …)
    pi = np.array([0.05, 0.7, 0.1, 0.02, 0.03, 0.02, 0.01, 0.01, 0.01, 0.05])
    assert pi.sum() == pytest.approx(1.0)
    truth = np.eye(10)[2]
    assert float(pi @ truth) == pytest.approx(0.1) and int(np.argmax(truth)) == 2  # the probability of digit 2
    assert -math.log(pi @ truth) == pytest.approx(2.303, abs=1e-3) and -math.log(0.7) == pytest.approx(0.357, abs=1e-3)


def _coin_mle():
    claim = REGISTRY.get("estimation.bernoulli.mle")
    h, t = claim.symbols["h"], claim.symbols["t"]
    return lambda heads, tails: claim.target.subs({h: heads, t: tails})


@recomputes("estimation.bernoulli.mle", "003", (1088, 1088))
def test_another_ten_flips_at_the_same_rate_are_not_16_heads_and_14_tails():
    mle = _coin_mle()  # the claim's derived h/(h + t)
    heads, tails = 6, 4
    rate = mle(heads, tails)
    more_heads, more_tails = 10 * rate, 10 * (1 - rate)
    assert (heads + more_heads, tails + more_tails) == (12, 8) and mle(12, 8) == rate  # 20 flips, still 0.6
    assert mle(16, 14) == sympy.Rational(8, 15) != rate  # the lecture's totals are another rate


@recomputes("kl.forward-reverse", "003", (2117, 2124))
def test_reverse_kl_fit_of_a_close_two_mode_target_covers_both_modes():
    # p = ½N(−2, 1) + ½N(2, 1) is bimodal; the reverse-KL Gaussian fit started on the right mode slides to the centre
    delta = 2.0
    nodes, weights = np.polynomial.hermite_e.hermegauss(120)

    def reverse_kl(params):
        m, log_s = params
        s = math.exp(log_s)
        z = m + s * nodes
        log_p = np.logaddexp(stats.norm.logpdf(z, -delta, 1), stats.norm.logpdf(z, delta, 1)) - math.log(2)
        return -0.5 * math.log(2 * math.pi * math.e * s**2) - float(np.sum(weights * log_p)) / math.sqrt(2 * math.pi)

    fit = optimize.minimize(reverse_kl, x0=[delta, 0.0], method="Nelder-Mead", options={"xatol": 1e-9, "fatol": 1e-12})
    m, s = fit.x[0], math.exp(fit.x[1])
    assert abs(m) < 1e-3 and s == pytest.approx(2.047, abs=2e-3)
    density = lambda y: 0.5 * stats.norm.pdf(y, -delta) + 0.5 * stats.norm.pdf(y, delta)  # noqa: E731
    assert density(0) < density(delta)  # the target has two modes


# --- 004 -----------------------------------------------------------------------------------------


def linear_schedule(T=1000, beta_1=1e-4, beta_T=0.02):
    betas = np.linspace(beta_1, beta_T, T)
    return betas, 1 - betas, np.cumprod(1 - betas)


@recomputes("ddpm.marginal.mean", "004", (3389, 3389))
@recomputes("ddpm.marginal.variance", "004", (3389, 3389))
@recomputes("ddpm.forward.add-noise", "004", (3389, 3389))
def test_the_t_step_jump_uses_the_cumulative_product():
    # the forward chain x_s = √α_s x_{s−1} + √β_s ε_s, moments iterated exactly: mean √ᾱ_t x_0, variance 1 − ᾱ_t
    betas, alphas, alpha_bars = linear_schedule()
    t, x0, mean, var = 300, 1.7, 1.7, 0.0
    for s in range(t):
        mean, var = math.sqrt(alphas[s]) * mean, alphas[s] * var + betas[s]
    assert mean == pytest.approx(math.sqrt(alpha_bars[t - 1]) * x0, rel=1e-12)
    assert var == pytest.approx(1 - alpha_bars[t - 1], rel=1e-12)
    assert abs(mean - math.sqrt(alphas[t - 1]) * x0) > 0.5 and abs(var - (1 - alphas[t - 1])) > 0.5  # √α_t, 1 − α_t


@recomputes("ddpm.posterior.mean-eps", "004", (3374, 3374))
def test_the_noise_form_of_the_posterior_mean_needs_the_cumulative_product():
    # mean of x_{t−1} | x_t, x_0 by conditioning the joint Gaussian, written with ε = (x_t − √ᾱ_t x_0)/√(1 − ᾱ_t)
    betas, alphas, alpha_bars = linear_schedule()
    t = 300
    a_t, ab_t, ab_prev, beta = alphas[t - 1], alpha_bars[t - 1], alpha_bars[t - 2], betas[t - 1]
    x0, eps = 0.8, -1.3
    xt = math.sqrt(ab_t) * x0 + math.sqrt(1 - ab_t) * eps
    cov = np.array([[1 - ab_prev, math.sqrt(a_t) * (1 - ab_prev)], [math.sqrt(a_t) * (1 - ab_prev), 1 - ab_t]])
    mean = math.sqrt(ab_prev) * x0 + cov[0, 1] / cov[1, 1] * (xt - math.sqrt(ab_t) * x0)
    with_bar = (xt - beta / math.sqrt(1 - ab_t) * eps) / math.sqrt(1 - beta)
    as_written = (xt - beta / math.sqrt(1 - a_t) * eps) / math.sqrt(1 - beta)  # √(1 − α_t), α_t = 1 − β_t
    assert with_bar == pytest.approx(mean, rel=1e-10)
    assert abs(as_written - mean) > 0.05


# --- the registry is complete ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def errata():
    from derivspec.app.commands import errata_entries

    return errata_entries()


def test_every_erratum_has_a_recompute_test(errata):
    registered = all_recomputations()
    found = {(claim, e["file"][:3], tuple(e["lines"])) for e in errata for claim in e["claims"]}
    missing = sorted(found - set(registered))
    stale = sorted(set(registered) - found)
    assert not missing, f"errata without a test that recomputes their evidence (decorate one with @recomputes): {missing}"
    assert not stale, f"@recomputes names statements that are no longer errata: {stale}"


def test_errata_are_ordered_and_classified(errata):
    keys = [order_key(e["file"], e["lines"]) for e in errata]
    assert keys == sorted(keys)
    for e in errata:
        assert {"claim", "file", "lines", "as_written", "correct", "evidence"} <= set(e)
        assert e["category"] in ERRATUM_CATEGORIES and e["severity"] in ERRATUM_SEVERITIES
        assert e["as_written"] and e["correct"] and e["evidence"], e["claim"]
        assert e["claim"] == e["claims"][0]


def test_one_erratum_per_slip(errata):
    """004 L3389 is one slip (α_t where ᾱ_t belongs) that three claims check (the jump's mean, its variance, the jump
    as code writes it): one erratum naming all three."""
    slips = [(e["file"], tuple(e["lines"]), e["as_written"]) for e in errata]
    assert len(slips) == len(set(slips))
    (forward,) = [e for e in errata if e["file"].startswith("004") and e["lines"] == [3389, 3389]]
    assert forward["claims"] == ["ddpm.forward.add-noise", "ddpm.marginal.mean", "ddpm.marginal.variance"]
    assert forward["severity"] == "notation"  # the lecture never defines α_t: wrong only under Ho et al.'s reading
