r"""Derivatives of a Gaussian log-density read through its closed form (derivspec/scan/gaussian_log_density.py).

Documents written here: the score of N(mu, sigma^2 I), the denoising-score-matching target in Vincent's
notation (q_\sigma(\tilde x | x) = N(\tilde x; x, \sigma^2 I) declared), the derivatives of log N in its mean
and scale, and a sum over data. No development document writes these (searched VITutorial, gwgundersen,
timvieira, cs231n, d2l): no DEV row.
"""

from __future__ import annotations

import re
from fractions import Fraction

import pytest
import sympy
from hypothesis import given, settings
from hypothesis import strategies as st

from derivspec.scan import scan_file

x, mu, sigma = sympy.symbols("x mu sigma", real=True)


def scan(tmp_path, text: str):
    path = tmp_path / "notes.md"
    path.write_text(text + "\n", encoding="utf-8")
    return scan_file(path, workers=0, sources=False)


def last(tmp_path, statement: str, before: str = ""):
    text = "# Notes\n\n" + (before + "\n\n" if before else "") + "The derivative is\n\n$$\n" + statement + "\n$$\n"
    return max(scan(tmp_path, text), key=lambda r: r.lines[0])


DECLARED = r"We corrupt the data with $q_\sigma(\tilde x \mid x) = \mathcal N(\tilde x; x, \sigma^2 I)$."

PROVED = [
    (r"\nabla_x \log \mathcal{N}(x; \mu, \sigma^2 I) = -\frac{x - \mu}{\sigma^2}", ""),
    (r"\nabla_{\mathbf x} \log \mathcal{N}(\mathbf x \mid \boldsymbol\mu, \sigma^2 \mathbf I) = "
     r"\frac{\boldsymbol\mu - \mathbf x}{\sigma^2}", ""),
    (r"\frac{\partial}{\partial \mu} \log \mathcal N(x; \mu, \sigma^2) = \frac{x - \mu}{\sigma^2}", ""),
    (r"\frac{\partial}{\partial \sigma} \log\mathcal N(x;\mu,\sigma^2) = "
     r"-\frac1\sigma + \frac{(x-\mu)^2}{\sigma^3}", ""),
    (r"\frac{\partial}{\partial\mu}\sum_i \log\mathcal N(x_i;\mu,\sigma^2) = \sum_i \frac{x_i-\mu}{\sigma^2}", ""),
    (r"\nabla_{\tilde{\mathbf x}} \log q_\sigma(\tilde{\mathbf x} \mid \mathbf x) = "
     r"-\frac{\tilde{\mathbf x} - \mathbf x}{\sigma^2}", DECLARED),
    (r"\frac{d}{d\mu} \log p(x) = \frac{x-\mu}{s^2}", r"Let $p = \mathcal N(\mu, s^2)$."),
]


@pytest.mark.parametrize("statement, before", PROVED)
def test_derivative_of_a_gaussian_log_density_proved(tmp_path, statement, before):
    record = last(tmp_path, statement, before)
    assert record.verdict == "proved", record.reason
    assert r"\log \mathcal{N}(" in record.reason and r"\frac12\log(2\pi" in record.reason  # the mapping shown


WRONG = [  # (statement, before, the correct right side as a function of x, mu, sigma)
    (r"\nabla_x \log \mathcal{N}(x; \mu, \sigma^2 I) = -\frac{x - \mu}{\sigma}", "", -(x - mu) / sigma**2),
    (r"\nabla_x \log \mathcal{N}(x; \mu, \sigma^2 I) = \frac{x - \mu}{\sigma^2}", "", -(x - mu) / sigma**2),
    (r"\frac{\partial}{\partial \mu} \log \mathcal N(x; \mu, \sigma^2) = x - \mu", "", (x - mu) / sigma**2),
    (r"\frac{\partial}{\partial \sigma} \log\mathcal N(x;\mu,\sigma^2) = "
     r"\frac1\sigma + \frac{(x-\mu)^2}{\sigma^3}", "",
     -1 / sigma + (x - mu)**2 / sigma**3),
    (r"\nabla_{\tilde{\mathbf x}} \log q_\sigma(\tilde{\mathbf x} \mid \mathbf x) = "
     r"\frac{\tilde{\mathbf x} - \mathbf x}{\sigma^2}", DECLARED, -(x - mu) / sigma**2),
]

_POINT = re.compile(r"(\\?[A-Za-z]+(?:\{[^{}]*\})?|\\tilde\\mathbf\{x\}|\\mathbf\{x\})=(-?\d+(?:/\d+)?)")


def _point(evidence: str) -> dict:
    return {name: Fraction(value) for name, value in _POINT.findall(evidence.split(":")[0])}


@pytest.mark.parametrize("statement, before, correct", WRONG)
def test_wrong_variant_flagged_with_a_recomputed_counterexample(tmp_path, statement, before, correct):
    record = last(tmp_path, statement, before)
    assert record.verdict == "disagrees", record.reason
    point = _point(record.evidence)
    if before:  # the DSM kernel: variable \tilde x, mean x
        values = {x: point[r"\tilde\mathbf{x}"], mu: point[r"\mathbf{x}"], sigma: point[r"\sigma"]}
    else:
        values = {x: point["x"], mu: point[r"\mu"], sigma: point[r"\sigma"]}
    left = float(correct.subs(values))
    shown = float(re.search(r"left = (-?[\d.]+)", record.evidence).group(1))
    assert abs(left - shown) < 1e-8, (left, record.evidence)
    assert record.correct.startswith(statement.split("=")[0].strip())  # the correct form in the lecture's symbols


@settings(max_examples=8, deadline=None)
@given(st.sampled_from(["2", "3", "4"]), st.sampled_from([r"\mu", "m", "a"]))
def test_a_wrong_power_of_the_scale_is_flagged(tmp_path_factory, power, mean):
    tmp_path = tmp_path_factory.mktemp("power")
    statement = (rf"\frac{{\partial}}{{\partial {mean}}} \log \mathcal N(x; {mean}, \sigma^2) = "
                 rf"\frac{{x - {mean}}}{{\sigma^{power}}}")
    record = last(tmp_path, statement)
    assert record.verdict == ("proved" if power == "2" else "disagrees"), record.reason


LOOK_ALIKES = [
    r"\nabla_x \log \mathcal N(x; \mu, \Sigma) = -\Sigma^{-1}(x - \mu)",  # a full covariance matrix
    r"\nabla_x \log p(x) = -\frac{x-\mu}{\sigma^2}",  # p not declared Gaussian
    r"\frac{\partial}{\partial \mu}\log \mathcal N(x; \mu, \sigma) = \frac{x - \mu}{\sigma}",  # sigma: var or std
    r"\frac{\partial}{\partial \mu}\log \mathcal N(x; \mu, \sigma) = \frac{x - \mu}{\sigma^2}",
    r"\frac{\partial}{\partial \sigma} \log\mathcal N(\mathbf x;\boldsymbol\mu,\sigma^2 \mathbf I) = "
    r"-\frac1\sigma + \frac{(x-\mu)^2}{\sigma^3}",  # d coordinates share sigma
    r"\frac{\partial}{\partial\mu}\sum_{i=1}^n \log\mathcal N(x_i;\mu,\sigma^2) = 0",  # a condition to solve
]


@pytest.mark.parametrize("statement", LOOK_ALIKES)
def test_look_alikes_stay_unchecked(tmp_path, statement):
    record = last(tmp_path, statement)
    assert record.verdict == "unchecked", record.reason


def test_a_bare_scale_wrong_under_both_readings_is_flagged(tmp_path):
    record = last(tmp_path, r"\frac{\partial}{\partial \mu}\log \mathcal N(x; \mu, \sigma) = "
                            r"\frac{\mu - x}{\sigma^2}")
    assert record.verdict == "disagrees", record.reason
    assert "under both readings" in record.reason
