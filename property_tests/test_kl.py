"""KL family (derivations/kl/, numerics/kl.py): symbolic targets = torch/scipy routes, larger d,
Gibbs, sources and errata, the behaviour checks of kl.forward-reverse, the issue's check examples,
and the Monte Carlo routes rejecting every wrong variant on their own."""

import dataclasses
import math

import numpy as np
import pytest
import sympy
import torch
from hypothesis import assume, given
from hypothesis import strategies as st
from torch.distributions import (Bernoulli, Categorical, Independent, MultivariateNormal, Normal,
                                 kl_divergence)

from derivspec.core import registry
from derivspec.core.checker import compare, read_candidate
from derivspec.core.sources import compare_source
from derivspec.numerics.checks import NumericContext
from derivspec.numerics.montecarlo import monte_carlo_check
from derivspec.numerics.routes import load, run_behaviour
from derivspec.numerics.sampling import sample
from derivspec.reference_models.device import make_generator, resolve_device
from recompute import recomputes


def exact(claim_id, **point):
    claim = registry.get(claim_id)
    subs = {claim.symbols[k]: sympy.Float(v, 30) for k, v in point.items()}
    return float(sympy.N(claim.target.subs(subs), 30))


def t(x):
    return torch.tensor(x, dtype=torch.float64)


real = st.floats(-3, 3)
scale = st.floats(0.4, 2.5)
prob = st.floats(0.02, 0.98)
weight = st.floats(0.2, 3)


@given(real, scale, real, scale)
def test_univariate_matches_kl_divergence(mu1, sigma1, mu2, sigma2):
    want = float(kl_divergence(Normal(t(mu1), t(sigma1)), Normal(t(mu2), t(sigma2))))
    assert exact("kl.gaussian.univariate", mu1=mu1, sigma1=sigma1, mu2=mu2, sigma2=sigma2) == pytest.approx(want, rel=1e-9, abs=1e-12)


@given(real, scale)
def test_standard_matches_kl_divergence(mu, sigma):
    want = float(kl_divergence(Normal(t(mu), t(sigma)), Normal(t(0.0), t(1.0))))
    assert exact("kl.gaussian.standard", mu=mu, sigma=sigma) == pytest.approx(want, rel=1e-9, abs=1e-12)


@given(prob, prob)
def test_bernoulli_matches_kl_divergence(p, q):
    want = float(kl_divergence(Bernoulli(probs=t(p)), Bernoulli(probs=t(q))))
    assert exact("kl.bernoulli", p=p, q=q) == pytest.approx(want, rel=1e-9, abs=1e-12)


@given(st.lists(weight, min_size=6, max_size=6))
def test_categorical_matches_kl_divergence(w):
    P, Q = t(w[:3]) / sum(w[:3]), t(w[3:]) / sum(w[3:])
    want = float(kl_divergence(Categorical(probs=P), Categorical(probs=Q)))
    names = ("a1", "a2", "a3", "b1", "b2", "b3")
    assert exact("kl.categorical", **dict(zip(names, w))) == pytest.approx(want, rel=1e-9, abs=1e-12)


@given(st.lists(real, min_size=4, max_size=4), st.lists(st.floats(0.5, 2), min_size=4, max_size=4),
       st.floats(-1, 1), st.floats(-1, 1))
def test_multivariate_d2_matches_kl_divergence(means, diagonal, off1, off2):
    L1 = t([[diagonal[0], 0.0], [off1, diagonal[1]]])
    L2 = t([[diagonal[2], 0.0], [off2, diagonal[3]]])
    want = float(kl_divergence(MultivariateNormal(t(means[:2]), scale_tril=L1),
                               MultivariateNormal(t(means[2:]), scale_tril=L2)))
    point = dict(u1=means[0], u2=means[1], v1=means[2], v2=means[3], a11=diagonal[0], a21=off1, a22=diagonal[1],
                 b11=diagonal[2], b21=off2, b22=diagonal[3])
    assert exact("kl.gaussian.multivariate", **point) == pytest.approx(want, rel=1e-9, abs=1e-12)


def matrix_formula(m1, S1, m2, S2):
    """½[tr(Σ₂⁻¹Σ₁) + (μ₂−μ₁)ᵀΣ₂⁻¹(μ₂−μ₁) − d + log det Σ₂/det Σ₁] in numpy."""
    inverse = np.linalg.inv(S2)
    diff = m2 - m1
    return 0.5 * (np.trace(inverse @ S1) + diff @ inverse @ diff - len(m1)
                  + np.linalg.slogdet(S2)[1] - np.linalg.slogdet(S1)[1])


@pytest.mark.parametrize("d", [3, 5, 8])
def test_multivariate_formula_for_larger_d(d):
    """The d = 2 derivation's matrix formula, at larger d: kl_divergence and Monte Carlo agree."""
    rng = np.random.default_rng(d)
    A, B = rng.normal(size=(d, d)), rng.normal(size=(d, d))
    S1, S2 = A @ A.T + d * np.eye(d) * 0.5, B @ B.T + d * np.eye(d) * 0.5
    m1, m2 = rng.normal(size=d), rng.normal(size=d)
    value = matrix_formula(m1, S1, m2, S2)
    p, q = MultivariateNormal(t(m1), t(S1)), MultivariateNormal(t(m2), t(S2))
    assert value == pytest.approx(float(kl_divergence(p, q)), rel=1e-9)

    def log_ratios(n, generator):
        x = sample(p, n, generator)
        return p.log_prob(x) - q.log_prob(x)

    # one Monte Carlo check at the suite's 1e-6 false-fail rate, seed d
    assert monte_carlo_check(log_ratios, value, make_generator(d, torch.device("cpu"))).passed


@pytest.mark.parametrize("d", [3, 6])
def test_diagonal_is_sum_of_univariate_for_larger_d(d):
    rng = np.random.default_rng(10 + d)
    m1, m2 = rng.normal(size=d), rng.normal(size=d)
    s1, s2 = rng.uniform(0.5, 2, size=d), rng.uniform(0.5, 2, size=d)
    total = sum(exact("kl.gaussian.univariate", mu1=a, sigma1=b, mu2=c, sigma2=e) for a, b, c, e in zip(m1, s1, m2, s2))
    want = kl_divergence(Independent(Normal(t(m1), t(s1)), 1), Independent(Normal(t(m2), t(s2)), 1))
    assert total == pytest.approx(float(want), rel=1e-9)


@given(prob, prob)
def test_gibbs_kl_is_positive_unless_equal(p, q):
    assume(abs(p - q) > 1e-4)
    assert exact("kl.bernoulli", p=p, q=q) > 0
    assert exact("kl.bernoulli", p=p, q=p) == pytest.approx(0, abs=1e-25)


def test_standard_normal_kl_is_minimised_at_mu_0_sigma_1():
    # 002 L248-252: the regulariser pushes mu -> 0 and sigma^2 -> 1, where the KL is 0
    claim = registry.get("kl.gaussian.standard")
    mu, sigma = claim.symbols["mu"], claim.symbols["sigma"]
    gradient = [sympy.diff(claim.target, v) for v in (mu, sigma)]
    assert sympy.solve(gradient, [mu, sigma], dict=True) == [{mu: 0, sigma: 1}]
    assert claim.target.subs({mu: 0, sigma: 1}) == 0


def test_issue_latex_example_and_variants():
    claim = registry.get("kl.gaussian.univariate")
    latex = r"\log\frac{\sigma_2}{\sigma_1}+\frac{\sigma_1^2+(\mu_1-\mu_2)^2}{2\sigma_2^2}-\frac12"
    assert compare(claim, read_candidate(claim, latex=latex)).verdict == "equivalent"
    for wrong in (r"\log\frac{\sigma_2}{\sigma_1}+\frac{\sigma_1^2+(\mu_1-\mu_2)^2}{2\sigma_2^2}",
                  r"\log\frac{\sigma_2}{\sigma_1}+\frac{\sigma_1+(\mu_1-\mu_2)^2}{2\sigma_2}-\frac12",
                  r"\log\frac{\sigma_1}{\sigma_2}+\frac{\sigma_2^2+(\mu_1-\mu_2)^2}{2\sigma_1^2}-\frac12"):
        result = compare(claim, read_candidate(claim, latex=wrong))
        assert result.verdict == "not_equivalent" and result.counterexample is not None


def test_other_correct_forms_are_accepted():
    claim = registry.get("kl.gaussian.univariate")
    for formula in ("log(sigma2) - log(sigma1) + (sigma1**2 + (mu1-mu2)**2)/(2*sigma2**2) - 0.5",
                    "0.5*(log(sigma2**2/sigma1**2) + sigma1**2/sigma2**2 + (mu2-mu1)**2/sigma2**2 - 1)"):
        assert compare(claim, read_candidate(claim, formula=formula)).verdict == "equivalent"


def statuses(claim_id):
    load()  # the behaviour sources run checks registered by numerics/kl.py
    claim = registry.get(claim_id)
    return {(s.file[:3], s.lines, s.value): compare_source(claim, s, run_behaviour=run_behaviour).status
            for s in claim.sources}


@recomputes("kl.categorical", "003", (1939, 1949))
@recomputes("kl.categorical", "003", (1939, 1945))
def test_worked_kl_examples():
    # independent arithmetic for the 003 worked examples
    kl_a = 0.5 * math.log(0.5 / 0.4) + 0.3 * math.log(0.3 / 0.4)
    kl_b = 0.5 * math.log(5) + 0.3 * math.log(3) + 0.2 * math.log(0.25)
    assert round(kl_a, 3) == 0.025 and round(kl_b, 3) == 0.857
    categorical = statuses("kl.categorical")
    assert categorical[("003", "1939–1945", 0.026)] == "disagrees"
    assert categorical[("003", "1939–1949", 0.858)] == "disagrees"
    assert categorical[("003", "1951", 0.03)] == "matches" and categorical[("003", "1951", 0.86)] == "matches"
    bernoulli = statuses("kl.bernoulli")
    assert all(v == "matches" for v in bernoulli.values())
    assert statuses("kl.cross-entropy")[("003", "1955–1965", 0.875)] == "matches"


def test_entropy_label_and_code_distribution_errata():
    assert statuses("kl.entropy.categorical")[("000", "196–203", None)] == "disagrees"
    assert statuses("kl.cross-entropy")[("002", "136–142", None)] == "disagrees"
    assert statuses("kl.cross-entropy")[("000", "211–215", None)] == "matches"


def test_reverse_kl_mode_seeking_statement_is_over_general():
    results = statuses("kl.forward-reverse")
    assert results[("003", "2117–2124", None)] == "disagrees"
    assert results[("003", "2107–2111", None)] == "matches" and results[("000", "217–220", None)] == "matches"


def test_behaviour_checks_can_fail_and_hold():
    """The reverse-KL check the 003:2117–2124 source names can go either way: the fit started on a
    mode stays there at δ = 3 (above δ* = 2.80) and falls to the centre at δ = 2. The forward-KL
    check reports the fitted s², here 1 + 1.5² = 3.25."""
    claim = registry.get("kl.forward-reverse")
    seeks = load().behaviour(claim.id, "reverse_kl_seeks_a_mode")
    covers = load().behaviour(claim.id, "forward_kl_covers")
    source = next(s for s in claim.sources if s.behaviour == "reverse_kl_seeks_a_mode")
    at = lambda delta: dataclasses.replace(source, at={"delta": delta})  # noqa: E731
    assert seeks.run(claim, at(3.0))[0] and not seeks.run(claim, at(2.0))[0]
    holds, evidence = covers.run(claim, at(1.5))
    assert holds and "s² = 3.250000" in evidence


MONTE_CARLO_KL = sorted({claim_id for claim_id in registry.REGISTRY.ids() if claim_id.startswith("kl.")
                         for route in load().routes_for(claim_id) if route.kind == "monte_carlo"})


def test_the_monte_carlo_list_is_the_registry_s():
    assert "kl.entropy.bernoulli" in MONTE_CARLO_KL and len(MONTE_CARLO_KL) >= 11


@pytest.mark.parametrize("claim_id", MONTE_CARLO_KL)
def test_monte_carlo_route_itself_rejects_every_wrong_variant(claim_id):
    """The claim's Monte Carlo route alone (1e-6 false-fail rate per parameter point, 3 points)
    passes the target and rejects every wrong variant, seed 0."""
    claim = registry.get(claim_id)
    ctx = NumericContext(device=resolve_device("cpu"), seed=0)
    for route in [r for r in load().routes_for(claim_id) if r.kind == "monte_carlo"]:
        target = route.run(claim.target, claim, ctx)
        assert target.passed and target.monte_carlo is not None and target.monte_carlo.false_fail_rate == 1e-6
        for variant in claim.wrong_variants:
            result = route.run(variant.expr, claim, ctx)
            assert result.monte_carlo is not None and not result.monte_carlo.passed, (route.name, variant.name)
