r"""A maximum-likelihood estimate checked against the likelihood the document wrote
(derivspec/scan/likelihood_optimum.py).

Documents written here; the notations follow lectures: d2l's coin (maximum-likelihood.md:31-37, :122) --
P(X \mid \theta) = \theta^{n_H}(1-\theta)^{n_T}, the negative log-likelihood -\log(P(X \mid \boldsymbol\theta)) and
the estimate n_H / (n_H + n_T) -- and the Poisson and exponential rates in \lambda with data x_1, ..., x_n.
"""

from __future__ import annotations

import re

import pytest
import sympy
from hypothesis import given, settings
from hypothesis import strategies as st

from derivspec.scan import scan_file

BERNOULLI = "estimation.bernoulli.mle"
COIN = r"P(X \mid \theta) = \theta^{n_H}(1-\theta)^{n_T}"
POISSON = r"\ell(\lambda) = \sum_{i=1}^n \left(x_i \log\lambda - \lambda - \log x_i!\right)"
EXPONENTIAL = r"L(\lambda) = \prod_{i=1}^n \lambda e^{-\lambda x_i}"


def scan(tmp_path, text: str):
    path = tmp_path / "notes.md"
    path.write_text(text + "\n", encoding="utf-8")
    return scan_file(path, workers=0, sources=False)


def document(likelihood: str, estimate: str, before: str = "The likelihood is",
             lead: str = "Maximizing the likelihood, the maximum likelihood estimate is") -> str:
    return f"# Notes\n\n{before}\n\n$$\n{likelihood}.\n$$\n\n{lead}\n\n$$\n{estimate}.\n$$\n"


def estimate_record(tmp_path, likelihood: str, estimate: str, **prose):
    records = scan(tmp_path, document(likelihood, estimate, **prose))
    return max(records, key=lambda r: r.lines[0])  # the estimate, the last display


PROVED = [
    (COIN, r"\hat\theta = \frac{n_H}{n_H + n_T}", BERNOULLI),
    (COIN, r"\hat{\theta}_{\mathrm{MLE}} = \frac{n_H}{n_H + n_T}", BERNOULLI),
    (r"-\log(P(X \mid \boldsymbol{\theta})) = -\log(\theta^{n_H}(1-\theta)^{n_T}) = -(n_H\log(\theta) + "
     r"n_T\log(1-\theta))", r"\theta^* = \frac{n_H}{n_H + n_T}", BERNOULLI),  # d2l :122, the NLL minimised
    (r"L(p) = p^{h}(1-p)^{t}", r"\hat p = \frac{h}{h + t}", BERNOULLI),
    (POISSON, r"\hat\lambda = \bar x", None),
    (POISSON, r"\hat\lambda_{\mathrm{MLE}} = \frac{1}{n}\sum_{i=1}^n x_i", None),
    (EXPONENTIAL, r"\hat\lambda = \frac{n}{\sum_{i=1}^n x_i}", None),
    (r"\log L(\lambda) = n\log\lambda - \lambda\sum_{i=1}^n x_i", r"\lambda_{\mathrm{ML}} = \frac{n}{\sum_{i=1}^n x_i}",
     None),
]


@pytest.mark.parametrize("likelihood, estimate, claim", PROVED)
def test_estimate_proved_in_the_lectures_notation(tmp_path, likelihood, estimate, claim):
    record = estimate_record(tmp_path, likelihood, estimate)
    assert record.verdict == "proved", record.reason
    assert record.claim == claim
    assert "first-order condition" in record.reason and "line 6" in record.reason
    assert "(reading " in record.reason and " as the parameter" in record.reason  # the mapping is shown
    if r"\bar x" in estimate:
        assert "mean of the x_i" in record.reason


def _derivative(likelihood: str, estimate, values: dict) -> sympy.Expr:
    """d/dv log L at v = estimate, recomputed here for the coin and the Poisson rate."""
    v = sympy.Symbol("v", positive=True)
    if likelihood == COIN:
        log_l = values["n_H"] * sympy.log(v) + values["n_T"] * sympy.log(1 - v)
    else:
        log_l = values["S"] * sympy.log(v) - values["n"] * v
    return sympy.diff(log_l, v).subs(v, estimate(values))


WRONG = [
    (COIN, r"\hat\theta = \frac{n_T}{n_H + n_T}", lambda d: sympy.Rational(d["n_T"], d["n_H"] + d["n_T"]),
     r"\frac{n_H}{n_H + n_T}", BERNOULLI),
    (COIN, r"\hat\theta = \frac{n_H}{n_T}", lambda d: sympy.Rational(d["n_H"], d["n_T"]),
     r"\frac{n_H}{n_H + n_T}", BERNOULLI),
    (POISSON, r"\lambda^* = \frac{n}{\sum_{i=1}^n x_i}", lambda d: sympy.Rational(d["n"], d["S"]),
     r"\frac{\sum_{i=1}^{n} x_i}{n}", None),
]


def _values(evidence: str) -> dict:
    found = dict(re.findall(r"(n_[HT]|\\sum_\{i=1\}\^\{n\} x_i|\bn) = (\d+)", evidence))
    names = {"n_H": "n_H", "n_T": "n_T", r"\sum_{i=1}^{n} x_i": "S", "n": "n"}
    return {names[k]: int(v) for k, v in found.items()}


@pytest.mark.parametrize("likelihood, estimate, value, correct, claim", WRONG)
def test_wrong_estimate_flagged_with_recomputed_counterexample(tmp_path, likelihood, estimate, value, correct, claim):
    record = estimate_record(tmp_path, likelihood, estimate)
    assert record.verdict == "disagrees", record.reason
    assert record.claim == claim
    assert correct in record.correct and correct in record.reason
    data = _values(record.evidence)
    derivative = _derivative(likelihood, value, data)
    assert derivative != 0
    shown = re.search(r"is (-?\d+(?:/\d+)?) at", record.evidence).group(1)
    assert sympy.Rational(shown) == derivative


@settings(max_examples=6, deadline=None)
@given(st.integers(2, 9), st.integers(1, 9))
def test_the_correct_coin_form_is_the_stationary_point(n_h, n_t):
    """The form the flag proposes is where the derivative of the lecture's log-likelihood vanishes."""
    assert _derivative(COIN, lambda d: sympy.Rational(d["n_H"], d["n_H"] + d["n_T"]), {"n_H": n_h, "n_T": n_t}) == 0


LOOK_ALIKES = [
    # MAP with a Beta prior: another estimate, not the MLE
    (COIN, r"\hat\theta = \frac{n_H + \alpha - 1}{n_H + n_T + \alpha + \beta - 2}",
     {"lead": "With a Beta prior, the MAP estimate (not the maximum likelihood one) is"}),
    # the unbiased variance against a Gaussian likelihood
    (r"L(\mu, \sigma) = \prod_{i=1}^n \frac{1}{\sqrt{2\pi}\sigma} e^{-(x_i - \mu)^2 / (2\sigma^2)}",
     r"\hat\sigma = \sqrt{\frac{1}{n-1}\sum_{i=1}^n (x_i - \bar x)^2}",
     {"lead": "The unbiased estimate, unlike the maximum likelihood estimate, is"}),
    # the uniform on [0, theta]: the maximum is at the boundary max x_i, no stationary point
    (r"L(\theta) = \frac{1}{\theta^n}", r"\hat\theta = \max_i x_i",
     {"lead": "Since $\\theta \\ge x_i$ for every $i$, the maximum likelihood estimate is"}),
    (r"L(\theta) = \frac{1}{\theta^n}", r"\hat\theta = \frac{n}{2}", {}),
    # no "likelihood" in the text around the formula
    (COIN, r"\hat\theta = \frac{n_T}{n_H + n_T}", {"before": "The probability of the data is"}),
    # an estimate in a paragraph that does not speak of maximum likelihood
    (COIN, r"\hat\theta = \frac{n_T}{n_H + n_T}", {"lead": "A simple guess is"}),
]


@pytest.mark.parametrize("likelihood, estimate, prose", LOOK_ALIKES)
def test_look_alikes_not_flagged(tmp_path, likelihood, estimate, prose):
    record = estimate_record(tmp_path, likelihood, estimate, **prose)
    assert record.verdict == "unchecked", record.reason


def test_gaussian_mean_with_the_other_parameter_free(tmp_path):
    """Several parameters: the derivative in mu alone vanishes at the sample mean for every sigma."""
    likelihood = r"\ell(\mu, \sigma) = -\sum_{i=1}^n \frac{(x_i - \mu)^2}{2\sigma^2} - n\log\sigma"
    record = estimate_record(tmp_path, likelihood, r"\hat\mu = \frac{1}{n}\sum_{i=1}^n x_i")
    assert record.verdict in ("proved", "unchecked"), record.reason
    if record.verdict == "proved":
        assert "for every value of" in record.reason
    wrong = estimate_record(tmp_path, likelihood, r"\hat\mu = \frac{1}{n-1}\sum_{i=1}^n x_i")
    assert wrong.verdict == "unchecked", wrong.reason  # several parameters: never a flag
