r"""``scan`` judges the variance and standard error of a Monte Carlo mean the document defines, and the
importance-sampling identity, by their structure (derivspec/scan/monte_carlo.py, claims sampling.mc.standard-error
and sampling.is.unbiased). Expected values are recomputed here (the variance of a mean of n independent draws; the
two Gaussian integrals of the inverted weight). Every document is written for the test, in two notations each.
"""

from __future__ import annotations

import re

import pytest
import sympy
from hypothesis import given, settings
from hypothesis import strategies as st

from derivspec.scan.runner import scan_path

MU_N = r"The Monte Carlo estimate $\hat\mu_n = \frac1n\sum_{i=1}^n f(X_i)$ of $n$ i.i.d. draws has variance"
I_N = (r"Draw $x_1, \dots, x_N$ independently and let $\hat I_N = \frac{1}{N}\sum_{j=1}^{N} g(x_j)$, with "
       r"$s^2$ the variance of one term $g(x_j)$. Then")
F_N = (r"The Monte Carlo estimate $\bar f_N = \frac{1}{N}\sum_{i=1}^{N} g(x_i)$ of $N$ independent draws, $s^2$ "
       r"the variance of one draw, has")


def _scan(tmp_path, prose: str, statement: str):
    path = tmp_path / "doc.md"
    path.write_text(f"# Notes\n\n{prose}\n\n$${statement}$$\n", encoding="utf-8")
    return scan_path(path, workers=0, sources=False)[-1]


@pytest.mark.parametrize("prose, statement", [
    (MU_N, r"\mathrm{Var}(\hat\mu_n) = \frac{\sigma^2}{n}"),
    (MU_N, r"\sqrt{\mathrm{Var}(\hat\mu_n)} = \frac{\sigma}{\sqrt{n}}"),
    (I_N, r"\mathrm{Var}[\hat I_N] = \frac{s^2}{N}"),
    (I_N, r"\mathrm{Var}[\hat I_N] = \frac{1}{N}\mathrm{Var}(g(x))"),
    (I_N, r"\mathrm{SE}(\hat I_N) = \frac{s}{\sqrt{N}}"),
])
def test_variance_of_the_mean_proved(tmp_path, prose, statement):
    record = _scan(tmp_path, prose, statement)
    assert record.verdict == "proved", record.reason
    assert record.claim == "sampling.mc.standard-error" and "as the document defines it" in record.reason


@pytest.mark.parametrize("statement", [
    r"\mathrm{Var}(\hat\mu_n) = \frac{\sigma}{n}",  # sigma for sigma^2: sigma is a standard deviation's letter
    r"\sqrt{\mathrm{Var}(\hat\mu_n)} = \frac{\sigma^2}{\sqrt{n}}",  # the standard error with the variance
    r"\mathrm{Var}(\hat\mu_n) = \frac{s^4}{n}",
])
def test_a_standard_deviation_letter_is_not_read_as_the_variance(tmp_path, statement):
    """V/n with V free of n is the variance of the mean only if V is a variance: sigma or s to a power other
    than 2 is not read as one (the planted 'sigma for sigma^2' would otherwise be proved)."""
    record = _scan(tmp_path, MU_N, statement)
    assert record.verdict != "proved", record.reason


@settings(max_examples=10, deadline=None)
@given(st.sampled_from([(-2, 2), (0, 2), (-1, 1), (-1, 2), (-2, 1)]))
def test_wrong_powers_flagged_with_a_recomputed_instance(tmp_path_factory, powers):
    n_power, s_power = powers
    spread = s_power == 1
    left = r"\mathrm{SE}(\bar f_N)" if spread else r"\mathrm{Var}[\bar f_N]"
    statement = rf"{left} = s^{{{s_power}}} N^{{{n_power}}}"
    path = tmp_path_factory.mktemp("mc") / "doc.md"
    path.write_text(f"# Notes\n\n{F_N}\n\n$${statement}$$\n", encoding="utf-8")
    record = scan_path(path, workers=0, sources=False)[-1]
    if (n_power, s_power) in ((-1, 2),):
        assert record.verdict == "proved"
        return
    assert record.verdict == "disagrees", record.reason
    n, s = (int(v) for v in re.search(r"N = (\d+) draws with s = (\d+)", record.evidence).groups())
    written = sympy.Integer(s) ** s_power * sympy.Integer(n) ** n_power
    variance = sympy.Rational(s**2, n)  # the variance of a mean of n independent draws of variance s^2
    truth = sympy.sqrt(variance) if spread else variance
    assert f"as written {written}" in record.evidence and f"of the mean {truth}" in record.evidence
    assert record.correct == (r"\frac{s}{\sqrt{N}}" if spread else r"\frac{s^2}{N}")


@pytest.mark.parametrize("prose, statement", [
    (r"Draws from a Markov chain are correlated. With $\hat\mu_n = \frac1n\sum_{i=1}^n f(X_i)$,",
     r"\mathrm{Var}(\hat\mu_n) = \frac{\sigma^2}{n^2}"),
    (r"We average $\bar f = \frac{1}{n}\sum_{i=1}^n f(x_i)$ over correlated draws:",
     r"\mathrm{Var}(\bar f) = \frac{\sigma^2}{n}\left(1 + 2\sum_k \rho_k\right)"),
    (r"Let $\hat\mu = \frac{1}{2}(a + b)$.", r"\mathrm{Var}(\hat\mu) = \frac{\sigma^2}{4}"),
    (MU_N, r"\mathrm{Var}(\hat\mu_n) = \frac{1}{n^2}\sum_{i=1}^n \mathrm{Var}(f(X_i))"),
])
def test_variance_look_alikes_not_flagged(tmp_path, prose, statement):
    assert _scan(tmp_path, prose, statement).verdict != "disagrees"


IS = {
    "subscripts": (r"\mathbb{E}_{p}[f(x)] = \mathbb{E}_{q}\left[\frac{p(x)}{q(x)} f(x)\right]", "p", "q"),
    "sampling subscripts": (r"\mathbb{E}_{z \sim \pi}[h(z)] = "
                            r"\mathbb{E}_{z \sim g}\left[h(z)\frac{\pi(z)}{g(z)}\right]",
                            r"\pi", "g"),
    "integral": (r"\int p(x) f(x)\, dx = \mathbb{E}_{q(x)}\left[\frac{p(x)}{q(x)} f(x)\right]", "p", "q"),
}


@pytest.mark.parametrize("case", sorted(IS))
def test_importance_identity_proved_for_every_pair_of_densities(tmp_path, case):
    statement, p, q = IS[case]
    record = _scan(tmp_path, "Importance sampling rewrites", statement)
    assert record.verdict == "proved", record.reason
    # the general path proves it (an expectation unfolded as an integral); a proof of the general path stays, and
    # the recogniser's reading is the claim's where the general path does not prove it
    assert record.claim in (None, "sampling.is.unbiased")
    assert record.claim is None or "for every pair of densities" in record.reason


def _inverted_instance():
    x = sympy.Symbol("x", real=True)
    p = sympy.exp(-x**2 / 2) / sympy.sqrt(2 * sympy.pi)
    q = sympy.exp(-(x - 1)**2 / 2) / sympy.sqrt(2 * sympy.pi)
    return sympy.integrate(p * x, (x, -sympy.oo, sympy.oo)), sympy.integrate(q**2 / p * x, (x, -sympy.oo, sympy.oo))


@pytest.mark.parametrize("statement, correct", [
    (r"\mathbb{E}_{p}[f(x)] = \mathbb{E}_{q}\left[\frac{q(x)}{p(x)} f(x)\right]", r"\frac{p(x)}{q(x)}"),
    (r"\mathbb{E}_{z \sim \pi}[h(z)] = \mathbb{E}_{z \sim g}\left[h(z)\frac{g(z)}{\pi(z)}\right]",
     r"\frac{\pi(z)}{g(z)}"),
])
def test_inverted_weight_flagged(tmp_path, statement, correct):
    record = _scan(tmp_path, "Importance sampling rewrites", statement)
    assert record.verdict == "disagrees", record.reason
    left, right = _inverted_instance()
    assert f"the left side is {left}" in record.evidence
    assert abs(float(right) - float(re.search(r"= ([0-9.]+)$", record.evidence).group(1))) < 1e-4
    assert correct in record.correct


@pytest.mark.parametrize("statement", [
    r"\Lambda(x) = \frac{p(x)}{q(x)}",  # a likelihood ratio
    r"\mathbb{E}_{q}\left[\frac{p(x)}{q(x)}\right] = 1",
    r"\mathbb{E}_{p}\left[\log\frac{p(x)}{q(x)}\right] = \mathrm{KL}(p \| q)",
    r"\mathbb{E}_{p}[f(x)] = \mathbb{E}_{q}\left[w(x) f(x)\right]",
])
def test_ratio_look_alikes_not_this_identity(tmp_path, statement):
    record = _scan(tmp_path, "Importance sampling rewrites", statement)
    assert record.verdict != "disagrees" and "importance" not in record.reason
