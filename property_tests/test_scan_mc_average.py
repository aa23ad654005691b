r"""``scan`` judges a Monte Carlo average of an expectation by its structure (derivspec/scan/mc_average.py):
``\mathbb E_q[f(z)] \approx c\sum_{s=1}^S f(z_s)`` tends to c S E[f], so a normaliser with c S -> k != 1 is
flagged, with k recomputed here. Every document is written for the test, in several notations.
"""

from __future__ import annotations

import pytest
import sympy
from hypothesis import given, settings
from hypothesis import strategies as st

from scanning import scan_text

EXPECTATIONS = [  # (expectation, the summand at the s-th draw with @ for the index, the draw's law)
    (r"\mathbb{E}_{q(z)}\left[\log p(x \mid z)\right]", r"\log p(x \mid z_{@})", r"z_{@} \sim q(z)"),
    (r"\mathbb{E}_{\epsilon \sim \mathcal{N}(0, I)}\left[g(m + s \epsilon)\right]", r"g(m + s \epsilon_{@})",
     r"\epsilon_{@} \sim \mathcal{N}(0, I)"),
    (r"\mathbb{E}_{r_\psi(w \mid y)}\left[h(w)^2\right]", r"h(w^{(@)})^2", r"w^{(@)} \sim r_\psi(w \mid y)"),
]
COUNTS = [("L", "l"), ("K", "k"), ("T", "j")]


def _record(tmp_path, expectation: str, average: str, law: str = ""):
    where = f", where ${law}$" if law else ""
    records = scan_text(tmp_path, f"# Notes\n\nWe estimate the expectation with samples{where}:\n\n"
                                  f"$${expectation} \\approx {average}$$\n")
    return records[-1]


@settings(max_examples=12, deadline=None)
@given(st.sampled_from(EXPECTATIONS), st.sampled_from(COUNTS),
       st.sampled_from([(r"\frac{1}{2 \cdot {n}}", sympy.Rational(1, 2)), (r"-\frac{1}{{n}}", sympy.Integer(-1)),
                        (r"\frac{3}{{n}}", sympy.Integer(3)), (r"\frac{1}{{n}^2}", sympy.Integer(0))]))
def test_a_wrong_normaliser_is_flagged(tmp_path_factory, expectation, count, normaliser):
    (written, summand, _), (n, i), (factor, limit) = expectation, count, normaliser
    average = factor.replace("{n}", n) + rf"\sum_{{{i}=1}}^{{{n}}} " + summand.replace("@", i)
    record = _record(tmp_path_factory.mktemp("mc"), written, average)
    assert record.verdict == "disagrees", record.reason
    # the flag's limit is recomputed: c n with c the written factor at n draws, as n grows
    count = sympy.Symbol(n, positive=True)
    coefficient = {sympy.Rational(1, 2): 1 / (2 * count), -1: -1 / count, 3: 3 / count, 0: 1 / count**2}[limit]
    assert sympy.limit(coefficient * count, count, sympy.oo) == limit
    assert f"tends to {sympy.latex(limit)} times it" in record.reason
    assert record.correct == rf"\frac{{1}}{{{n}}}" + average[average.find(r"\sum"):]


@pytest.mark.parametrize("written, summand, law", EXPECTATIONS)
@pytest.mark.parametrize("n, i", COUNTS)
def test_the_mean_of_declared_draws_is_proved(tmp_path, written, summand, law, n, i):
    average = rf"\frac{{1}}{{{n}}}\sum_{{{i}=1}}^{{{n}}} " + summand.replace("@", i)
    record = _record(tmp_path, written, average, law.replace("@", i))
    assert record.verdict == "proved", record.reason
    assert "unbiased for every" in record.reason


@pytest.mark.parametrize("expectation, average", [
    # undeclared draws: not proved, nor flagged
    (r"\mathbb{E}_{q(z)}[f(z)]", r"\frac{1}{S}\sum_{s=1}^{S} f(z_s)"),
    # consistent normalisers that are not exactly 1/S: not flagged
    (r"\mathbb{E}_{q(z)}[f(z)]", r"\frac{1}{S-1}\sum_{s=1}^{S} f(z_s)"),
    (r"\mathbb{E}_{q(z)}[f(z)]", r"\frac{1}{S}\sum_{s=0}^{S} f(z_s)"),
    # importance weights, a reparameterised draw, a minibatch sum: other estimators
    (r"\mathbb{E}_{p(z)}[f(z)]", r"\frac{1}{2S}\sum_{s=1}^{S} f(z_s) \frac{p(z_s)}{q(z_s)}"),
    (r"\mathbb{E}_{q(z)}[f(z)]", r"\frac{1}{2S}\sum_{s=1}^{S} f(\mu + \sigma \epsilon_s)"),
    (r"\sum_{n=1}^{N} \ell(x_n)", r"\frac{N}{M}\sum_{m=1}^{M} \ell(x_{m})"),
    # draws of another variable than the expectation's subscript names
    (r"\mathbb{E}_{y \sim q}[f(z)]", r"\frac{1}{2S}\sum_{s=1}^{S} f(z_s)"),
])
def test_other_estimators_are_not_flagged(tmp_path, expectation, average):
    record = _record(tmp_path, expectation, average)
    assert record.verdict != "disagrees", record.reason
    assert record.verdict != "proved", record.reason


def test_a_macro_derivative_operator_is_read(tmp_path):
    r"""``\pdv`` defined by the document (its expansion braced) before an expectation: the chain is read and its
    Monte Carlo step judged."""
    text = (r"\newcommand{\E}[2][]{\mathbb{E}_{#1}\left[#2\right]}" "\n"
            r"\newcommand{\pdv}[1]{\frac{\partial}{\partial #1}}" "\n"
            r"\begin{document}" "\nThe gradient, estimated with samples:\n"
            r"\begin{align}" "\n"
            r"\pdv{\theta} \E[q(z|x,\phi)]{\log p(x|z,\theta)} &= \E[q(z|x,\phi)]{\pdv{\theta}\log p(x|z,\theta)} \\"
            "\n"
            r"&\overset{\text{MC}}{\approx} \frac{1}{2 T}\sum_{j=1}^{T} \pdv{\theta} \log p(x|z_{j},\theta)" "\n"
            r"\end{align}" "\n" r"\end{document}" "\n")
    records = scan_text(tmp_path, text, name="notes.tex")
    assert any(r.verdict == "disagrees" and "normaliser of a Monte Carlo mean" in r.reason for r in records), \
        [r.reason for r in records]
