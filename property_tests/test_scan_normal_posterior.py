r"""``scan`` compares the posterior of a Gaussian mean (a Gaussian prior, N i.i.d. observations, the noise variance
known) with claims map.normal-normal.posterior-mean / -variance through the model the document declares
(derivspec/scan/normal_posterior.py, issue 25). The expected values at a flag's instance are recomputed here by
completing the square in SymPy; every document is written for the test (the sampling notation of the
development half's Bayesian posts, the precision notation m_0, \lambda_0^{-1} of Bishop-style notes).
"""

from __future__ import annotations

import re

import pytest
import sympy
from hypothesis import given, settings
from hypothesis import strategies as st

from derivspec.core import registry
from derivspec.scan.runner import scan_path

SIGMA = (r"We put a prior $\mu \sim \mathcal{N}(\mu_0, \sigma_0^2)$ on the mean and observe "
         r"$x_i \mid \mu \sim \mathcal{N}(\mu, \sigma^2)$ for $i = 1, \dots, N$, with known variance. The posterior is")
PRECISION = (r"The prior is $p(\mu) = \mathcal{N}(\mu \mid m_0, \lambda_0^{-1})$ and each observation has "
             r"$p(x_n \mid \mu) = \mathcal{N}(x_n \mid \mu, \lambda^{-1})$, the precision known. The posterior is")


def _scan(tmp_path, prose: str, statement: str):
    path = tmp_path / "doc.md"
    path.write_text(f"# Notes\n\n{prose}\n\n$${statement}$$\n", encoding="utf-8")
    return scan_path(path, workers=0, sources=False)[-1]


PROVED = {
    "precision": (SIGMA, r"\frac{1}{\sigma_N^2} = \frac{1}{\sigma_0^2} + \frac{N}{\sigma^2}"),
    "variance": (SIGMA, r"\sigma_N^2 = \frac{\sigma_0^2\sigma^2}{N\sigma_0^2 + \sigma^2}"),
    "mean by the sum": (SIGMA, r"\mu_N = \sigma_N^2\left(\frac{\mu_0}{\sigma_0^2} + "
                               r"\frac{\sum_{i=1}^N x_i}{\sigma^2}\right)"),
    "mean by x bar": (SIGMA, r"\mu_N = \frac{\sigma^2\mu_0 + N\sigma_0^2\bar x}{N\sigma_0^2 + \sigma^2}"),
    "expectation": (SIGMA, r"\mathbb{E}[\mu \mid \mathcal{D}] = \frac{\sigma^2}{N\sigma_0^2 + \sigma^2}\mu_0 + "
                           r"\frac{N\sigma_0^2}{N\sigma_0^2 + \sigma^2}\bar x"),
    "Var": (SIGMA, r"\mathrm{Var}[\mu \mid \mathcal{D}] = "
                   r"\left(\frac{1}{\sigma_0^2} + \frac{N}{\sigma^2}\right)^{-1}"),
    "post subscript": (SIGMA, r"\mu_{\text{post}} = "
                              r"\frac{\sigma^2\mu_0 + \sigma_0^2\sum_{i=1}^N x_i}{N\sigma_0^2 + \sigma^2}"),
    "precisions": (PRECISION, r"\lambda_N = \lambda_0 + N\lambda"),
    "precision-weighted mean": (PRECISION,
                                r"m_N = \frac{\lambda_0 m_0 + \lambda\sum_{n=1}^N x_n}{\lambda_0 + N\lambda}"),
}


@pytest.mark.parametrize("name", PROVED)
def test_each_notation_is_proved_for_every_count(tmp_path, name):
    prose, statement = PROVED[name]
    record = _scan(tmp_path, prose, statement)
    assert record.verdict == "proved", record.reason
    assert record.claim.startswith("map.normal-normal.posterior-") and "for every N" in record.reason
    assert "reading the declared model" in repr(record)  # the mapping, in the full step reason


def _posterior(n, xs, mu0, v0, s2):
    """(mean, variance) by completing the square in mu of log prior + log likelihood."""
    mu = sympy.Symbol("mu", real=True)
    log_joint = -(mu - mu0) ** 2 / (2 * v0) - sum((x - mu) ** 2 for x in xs[:n]) / (2 * s2)
    quadratic = sympy.Poly(sympy.expand(log_joint), mu)
    precision = -2 * quadratic.coeff_monomial(mu ** 2)
    return quadratic.coeff_monomial(mu) / precision, 1 / precision


def _instance(evidence: str) -> dict:
    return {k: sympy.Rational(v) for k, v in re.findall(r"([\\A-Za-z_{}0-9]+) = (-?[0-9/]+)", evidence)}


WRONG = {
    "N missing": (r"\frac{1}{\sigma_N^2} = \frac{1}{\sigma_0^2} + \frac{1}{\sigma^2}", "precision"),
    "variances added": (r"\sigma_N^2 = \sigma_0^2 + \frac{\sigma^2}{N}", "variance"),
    "weights swapped": (r"\mu_N = \frac{\sigma_0^2\mu_0 + N\sigma^2\bar x}{N\sigma_0^2 + \sigma^2}", "mean"),
}


@pytest.mark.parametrize("name", WRONG)
def test_a_wrong_variant_is_flagged_at_an_instance_recomputed_here(tmp_path, name):
    statement, quantity = WRONG[name]
    record = _scan(tmp_path, SIGMA, statement)
    assert record.verdict == "disagrees", record.reason
    point = _instance(record.evidence)
    n = int(point["N"])
    xs = [point.get(f"x_{k}", 0) for k in range(1, n + 1)]
    mean, variance = _posterior(n, xs, point[r"\mu_{0}"], point[r"\sigma_{0}"] ** 2, point[r"\sigma"] ** 2)
    derived = {"precision": 1 / variance, "variance": variance, "mean": mean}[quantity]
    stated, expected = re.search(r"as written (\S+), the posterior's (\S+)$", record.evidence).groups()
    assert sympy.Rational(expected) == derived and sympy.Rational(stated) != derived
    assert r"\sigma_0^2" in record.correct and "N" in record.correct


@settings(max_examples=15, deadline=None)
@given(st.integers(2, 8), st.lists(st.fractions(-5, 5, max_denominator=7), min_size=8, max_size=8),
       st.fractions(-3, 3, max_denominator=5), *[st.fractions(1, 4, max_denominator=5)] * 2)
def test_the_general_form_at_symbolic_n_is_the_posterior_at_every_count(n, xs, mu0, v0, s2):
    """The claims' Sizes general forms, at a concrete count, against completing the square here."""
    count = sympy.Symbol("N", positive=True, integer=True)
    values = [sympy.Rational(x.numerator, x.denominator) for x in xs]
    item = sympy.Function("item", real=True)
    mean_claim, variance_claim = (registry.get(f"map.normal-normal.posterior-{q}") for q in ("mean", "variance"))
    expected = _posterior(n, values, sympy.Rational(mu0), sympy.Rational(v0), sympy.Rational(s2))
    for claim, want in ((mean_claim, expected[0]), (variance_claim, expected[1])):
        sizes = next(r.sizes for r in claim.recognisers() if r.sizes is not None)
        symbols = {v.name: v.symbol for v in claim.variables}
        general = sizes.general(count, item).xreplace({symbols["mu0"]: sympy.Rational(mu0),
                                                      symbols["sigma0"]: sympy.sqrt(sympy.Rational(v0)),
                                                      symbols["sigma"]: sympy.sqrt(sympy.Rational(s2))})
        got = general.xreplace({count: n}).doit()
        got = got.replace(lambda e: isinstance(e, sympy.core.function.AppliedUndef),
                          lambda e: values[int(e.args[0]) - 1])
        assert sympy.simplify(got - want) == 0


def test_the_claims_match_quadrature_of_prior_times_likelihood():
    from scipy import integrate, stats

    xs, mu0, s0, s = (0.3, 1.7, -0.4), 0.5, 1.3, 0.8
    density = lambda u: stats.norm.pdf(u, mu0, s0) * stats.norm.pdf(xs, u, s).prod()  # noqa: E731
    z = integrate.quad(density, -20, 20, epsabs=0, epsrel=1e-12)[0]
    mean = integrate.quad(lambda u: u * density(u), -20, 20, epsabs=0, epsrel=1e-12)[0] / z
    second = integrate.quad(lambda u: u * u * density(u), -20, 20, epsabs=0, epsrel=1e-12)[0] / z
    at = dict(zip(("x1", "x2", "x3", "mu0", "sigma0", "sigma"), (*xs, mu0, s0, s)))
    for claim_id, want in (("map.normal-normal.posterior-mean", mean),
                           ("map.normal-normal.posterior-variance", second - mean ** 2)):
        claim = registry.get(claim_id)
        got = float(claim.target.subs({v.symbol: at[v.name] for v in claim.variables}))
        assert abs(got - want) < 1e-9


LOOK_ALIKES = {
    "Normal-Gamma": (SIGMA + r" (the precision has a Gamma prior, the Normal-Gamma model)",
                     r"\frac{1}{\sigma_N^2} = \frac{1}{\sigma_0^2} + \frac{1}{\sigma^2}"),
    "one observation": (r"Let $\mu \sim \mathcal{N}(\mu_0, \sigma_0^2)$ and "
                        r"$x \mid \mu \sim \mathcal{N}(\mu, \sigma^2)$.",
                        r"\sigma_N^2 = \sigma_0^2 + \sigma^2"),
    "MLE wording": (r"Let $\mu \sim \mathcal{N}(\mu_0, \sigma_0^2)$ and "
                    r"$x_i \mid \mu \sim \mathcal{N}(\mu, \sigma^2)$. "
                    r"The MLE of the mean is", r"\mu_N = \bar x + \mu_0 - \mu_0"),
    "a sample variance": (SIGMA, r"\sigma_N^2 = \frac{1}{N}\sum_{i=1}^N (x_i - \bar x)^2"),
    "another letter": (SIGMA, r"\mu_N = \frac{\sigma^2\mu_0 + N\sigma_0^2 y}{N\sigma_0^2 + \sigma^2}"),
    "standard deviations": (r"Let $\mu \sim \mathcal{N}(\mu_0, \sigma_0)$ and "
                            r"$x_i \mid \mu \sim \mathcal{N}(\mu, \sigma)$.",
                            r"\frac{1}{\sigma_N^2} = \frac{1}{\sigma_0} + \frac{N}{\sigma}"),
}


@pytest.mark.parametrize("name", LOOK_ALIKES)
def test_look_alikes_are_not_flagged(tmp_path, name):
    prose, statement = LOOK_ALIKES[name]
    record = _scan(tmp_path, prose, statement)
    assert record.verdict != "disagrees", record.reason
    if name in ("Normal-Gamma", "a sample variance", "another letter", "standard deviations", "MLE wording"):
        assert record.verdict == "unchecked"


UNCONDITIONAL = (r"With the prior $\mu \sim \mathcal{N}(\mu_0, \sigma_0^2)$ and observations "
                 r"$x_i \sim \mathcal{N}(\mu, \sigma^2)$, $i = 1, \dots, n$, of known variance, the posterior has")


@pytest.mark.parametrize("statement, verdict", [
    (r"\frac{1}{\sigma_n^2} = \frac{1}{\sigma_0^2} + \frac{n}{\sigma^2}", "proved"),
    (r"\sigma_n^2 = \left(\frac{1}{\sigma_0^2} + \frac{n}{\sigma^2}\right)^{-1}", "proved"),
    (r"\frac{1}{\sigma_n^2} = \frac{1}{\sigma_0^2} + \frac{n}{\sigma}", "disagrees"),
    (r"\frac{1}{\sigma_n^2} = \frac{1}{\sigma_0^2} - \frac{n}{\sigma^2}", "disagrees"),
])
def test_observations_written_without_the_bar_are_read_as_given_the_mean(tmp_path, statement, verdict):
    """x_i ~ N(mu, sigma^2) whose mean is the letter with the prior is the same model as x_i | mu ~ N(mu, sigma^2)."""
    record = _scan(tmp_path, UNCONDITIONAL, statement)
    assert record.verdict == verdict and record.claim == "map.normal-normal.posterior-variance", record.reason
    if verdict == "disagrees":  # recomputed at the record's instance: the written side and 1/sigma_0^2 + n/sigma^2
        values = dict(re.findall(r"(n|\\sigma_\{0\}|\\sigma) = ([0-9/]+)", record.evidence))
        n, s0, s = (sympy.Rational(values[k]) for k in ("n", r"\sigma_{0}", r"\sigma"))
        written, posterior = (sympy.Rational(v) for v in
                              re.search(r"as written ([0-9/-]+), the posterior's ([0-9/-]+)", record.evidence).groups())
        assert posterior == 1 / s0**2 + n / s**2
        assert written == (1 / s0**2 + n / s if "{\\sigma}" in statement else 1 / s0**2 - n / s**2)


def test_an_observation_whose_mean_has_no_prior_is_no_model(tmp_path):
    prose = r"Observations $x_i \sim \mathcal{N}(m, \sigma^2)$ and a prior $\mu \sim \mathcal{N}(\mu_0, \sigma_0^2)$:"
    record = _scan(tmp_path, prose, r"\frac{1}{\sigma_n^2} = \frac{1}{\sigma_0^2} + \frac{n}{\sigma}")
    assert record.verdict != "disagrees", record.reason
