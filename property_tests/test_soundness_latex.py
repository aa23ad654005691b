"""LaTeX as lecture notes write it (issue 10, Build item 4): every construct the issue lists as
refused is read, equation numbers are stripped, ambiguous juxtaposition is refused, pasted
equations are checked by their right-hand side, sums expand over the claim's dimension."""

from __future__ import annotations

import pytest
import sympy

from derivspec.core import registry
from derivspec.core.checker import compare_reading, read_candidate, read_candidates
from derivspec.core.errors import FormulaError
from derivspec.core.latex import parse_latex, prepare, split_sides


def read(claim_id, tex):
    claim = registry.get(claim_id)
    return claim, read_candidate(claim, latex=tex)


def same(claim, a, b) -> bool:
    return sympy.simplify(claim.expand_defined(a) - claim.expand_defined(b)) == 0


def target_of(claim_id):
    claim = registry.get(claim_id)
    return claim.expand_defined(claim.target)


# (claim, LaTeX the issue lists as refused, what it must read as: a --formula in the claim's names)
ISSUE_LIST = [
    ("ddpm.marginal.mean", r"\sqrt{\bar\alpha_t}\mathbf{x}_0", "sqrt(alpha_bar_t)*x0"),
    ("ddpm.marginal.mean", r"\sqrt{\bar\alpha_t}\boldsymbol{x}_0", "sqrt(alpha_bar_t)*x0"),
    ("ddpm.posterior.mean-eps", r"\frac{1}{\sqrt{\alpha_t}}(x_t - \frac{\beta_t}{\sqrt{1-\bar\alpha_t}}\bm{\epsilon})",
     "(xt - beta_t/sqrt(1-alpha_bar_t)*eps)/sqrt(alpha_t)"),
    ("nll.gaussian", r"\frac{\|y-\mu\|^2}{2\sigma^2}", "(y-mu)**2/(2*sigma**2)"),
    ("nll.gaussian", r"\frac{\lVert y-\mu\rVert^2}{2\sigma^2}", "(y-mu)**2/(2*sigma**2)"),
    ("nll.gaussian", r"\frac{\left\lVert y-\mu\right\rVert^2}{2\sigma^2}", "(y-mu)**2/(2*sigma**2)"),
    ("kl.gaussian.univariate", r"log\frac{\sigma_2}{\sigma_1}", "log(sigma2/sigma1)"),
    ("nll.gaussian", r"\left.\frac{(y-\mu)^2}{2\sigma^2}\right.", "(y-mu)**2/(2*sigma**2)"),
    ("nll.gaussian", r"\exp\left\{-\frac{(y-\mu)^2}{2\sigma^2}\right\}", "exp(-(y-mu)**2/(2*sigma**2))"),
    ("nll.bernoulli.logits", r"\operatorname{softplus}(z) - yz", "log(1+exp(z)) - y*z"),
    ("nll.bernoulli.logits", r"\max(z, 0) - yz", "Max(z, 0) - y*z"),
    ("nll.bernoulli.logits", r"\max\{0, z\}", "Max(z, 0)"),
    ("flow.continuous.instantaneous", r"\cosh^2 z_0 - 1", "cosh(z0)**2 - 1"),
    ("ddpm.posterior.variance", r"\tilde\beta_t = \frac{1-\bar\alpha_{t-1}}{1-\bar\alpha_t}\beta_t",
     "(1-alpha_bar_prev)/(1-alpha_bar_t)*beta_t"),
    ("kl.gaussian.standard", "\u2212\\log\\sigma", "-log(sigma)"),
    ("nll.gaussian", r"$\frac{(y-\mu)^2}{2\sigma^2}$", "(y-mu)**2/(2*sigma**2)"),
    ("nll.gaussian", r"$$\frac{(y-\mu)^2}{2\sigma^2}$$", "(y-mu)**2/(2*sigma**2)"),
    ("nll.gaussian", r"\[\frac{(y-\mu)^2}{2\sigma^2}\]", "(y-mu)**2/(2*sigma**2)"),
    ("nll.gaussian", r"\begin{equation}\frac{(y-\mu)^2}{2\sigma^2}\end{equation}", "(y-mu)**2/(2*sigma**2)"),
    ("kl.vae-regulariser", r"\text{KL}(\ldots) = \frac12\sum_{j=1}^{d}(\mu_j^2+\sigma_j^2-1-\log\sigma_j^2)",
     "(mu1**2+sigma1**2-1-log(sigma1**2))/2 + (mu2**2+sigma2**2-1-log(sigma2**2))/2"),
    ("kl.vae-regulariser", r"\frac12\sum_{j=1}^{d}(\mu_j^2+\sigma_j^2-1-\log\sigma_j^2)",
     "(mu1**2+sigma1**2-1-log(sigma1**2))/2 + (mu2**2+sigma2**2-1-log(sigma2**2))/2"),
]


@pytest.mark.parametrize("claim_id, tex, formula", ISSUE_LIST, ids=[t for _, t, _ in ISSUE_LIST])
def test_lecture_latex_is_read(claim_id, tex, formula):
    claim, parsed = read(claim_id, tex)
    expected = read_candidate(claim, formula=formula)
    assert same(claim, parsed, expected), (parsed, expected)


@pytest.mark.parametrize("tex, stripped", [
    (r"y + \mu \quad (2)", "y + \\mu"),
    (r"y + \mu \qquad (3.1)", "y + \\mu"),
    (r"y + \mu \tag{4}", "y + \\mu"),
    (r"y + \mu \label{eq:nll} \nonumber", "y + \\mu"),
    (r"y + \mu.", "y + \\mu"),
    (r"y + \mu, \quad (7)", "y + \\mu"),
])
def test_equation_numbers_and_tags_are_stripped(tex, stripped):
    prepared, notes = prepare(tex)
    assert prepared.strip() == stripped
    claim, parsed = read("nll.gaussian", tex)
    assert parsed == claim.symbols["y"] + claim.symbols["mu"]  # never y + mu times 2


def test_equation_number_is_never_a_factor_in_a_verdict():
    claim = registry.get("nll.gaussian")
    reading = read_candidates(claim, latex=r"\frac{(y-\mu)^2}{2\sigma^2} + \frac12\log(2\pi\sigma^2) \quad (2)")
    result = compare_reading(claim, reading)
    assert result.verdict == "equivalent" and any("equation number" in n for n in result.notes)


def test_juxtaposed_log_is_read_as_printed():
    claim, parsed = read("nll.gaussian", r"\frac12\log 2\pi\sigma^2")
    assert parsed == sympy.log(2 * sympy.pi * claim.symbols["sigma"] ** 2) / 2
    claim = registry.get("nll.gaussian")
    reading = read_candidates(claim, latex=r"\frac{(y-\mu)^2}{2\sigma^2}+\frac12\log 2\pi\sigma^2")
    assert compare_reading(claim, reading).verdict == "equivalent"


@pytest.mark.parametrize("tex", [
    r"\log 2\pi(\sigma^2 + 1)",
    r"\log \sigma (y - \mu)",
    r"\log y \exp(\mu)",
    r"\log \sigma |y|",
])
def test_ambiguous_juxtaposition_is_refused_not_guessed(tex):
    with pytest.raises(FormulaError, match="ambiguous"):
        read("nll.gaussian", tex)


def test_pasted_equation_is_checked_by_its_right_hand_side():
    claim = registry.get("kl.gaussian.standard")
    reading = read_candidates(claim, latex=r"\mathrm{KL}(q\,\|\,p) = \frac12(\mu^2+\sigma^2-1-\log\sigma^2)")
    assert len(reading.sides) == 1 and "label" in reading.notes[0]
    assert compare_reading(claim, reading).verdict == "equivalent"
    # a chain: every side that reads as a formula is checked
    reading = read_candidates(claim, latex=r"\frac12(\mu^2+\sigma^2-1)-\log\sigma = \frac12(\mu^2+\sigma^2-1-\log\sigma^2)")
    assert len(reading.sides) == 2 and compare_reading(claim, reading).verdict == "equivalent"
    reading = read_candidates(claim, latex=r"\frac12(\mu^2+\sigma^2)-\log\sigma = \frac12(\mu^2+\sigma^2-1-\log\sigma^2)")
    result = compare_reading(claim, reading)
    assert result.verdict == "not_equivalent" and "left-hand side" in result.reason
    # a function-application shape on the left is a label even when its letters are claim names
    claim = registry.get("nll.bernoulli")
    reading = read_candidates(claim, latex=r"-\log p(y) = -y\log p - (1-y)\log(1-p)")
    assert len(reading.sides) == 1 and compare_reading(claim, reading).verdict == "equivalent"


def test_pasted_equation_in_formula_syntax():
    claim = registry.get("map.gaussian-prior.l2")
    reading = read_candidates(claim, formula="lam = sigma**2/tau**2")
    assert compare_reading(claim, reading).verdict == "equivalent"


@pytest.mark.parametrize("tex", [r"y \le \mu", r"y \approx \mu", r"y < \mu", r"y \propto \mu"])
def test_other_relations_are_refused(tex):
    with pytest.raises(FormulaError, match="relation"):
        read("nll.gaussian", tex)


def test_sum_expands_over_the_claims_dimension():
    claim, parsed = read("kl.vae-regulariser", r"\frac12\sum_{j=1}^{d}(\mu_j^2+\sigma_j^2-1-\log\sigma_j^2)")
    assert same(claim, parsed, claim.target)
    claim, parsed = read("kl.vae-regulariser", r"\frac12\sum_j(\mu_j^2+\sigma_j^2-1-\log\sigma_j^2)")
    assert same(claim, parsed, claim.target)
    claim, parsed = read("nll.categorical", r"\log\sum_{k=1}^{3} e^{h_k} - h_1")
    assert same(claim, parsed, claim.target)
    claim, parsed = read("ar.params.fvsbn", r"\sum_{i=1}^{d} i")  # d is a claim symbol: a symbolic sum
    assert same(claim, parsed, claim.target)


def test_sum_refuses_an_inconsistent_or_unknown_range():
    with pytest.raises(FormulaError, match="stop at different"):
        read("kl.vae-regulariser", r"\sum_{j=1}^{d}(\mu_j + \sigma_{j+1})")
    with pytest.raises(FormulaError, match="range"):
        read("nll.gaussian", r"\sum_{j=1}^{d} y")
    with pytest.raises(FormulaError, match="unknown symbol"):
        read("nll.categorical", r"\sum_{k=1}^{4} e^{h_k}")


def test_unicode_and_dollar_delimiters():
    claim, parsed = read("kl.gaussian.standard", "$\u2212\\log\\sigma + \\frac{\\sigma^2 + \\mu^2 \u2212 1}{2}$")
    assert same(claim, parsed, claim.target)
    claim, parsed = read("nll.gaussian", "\\frac{(y \u2212 \u03bc)\u00b2}{2\u03c3\u00b2}")
    assert same(claim, parsed, (claim.symbols["y"] - claim.symbols["mu"]) ** 2 / (2 * claim.symbols["sigma"] ** 2))


def test_log_zero_is_bad_input_in_both_syntaxes():
    claim = registry.get("nll.gaussian")
    for text in ({"formula": "log(0)"}, {"latex": r"\log 0"}, {"formula": "y + log(0)"}, {"latex": r"y + \log(0)"},
                 {"formula": "1/(y-y)"}, {"latex": r"\frac{1}{y-y}"}):
        with pytest.raises(FormulaError, match="undefined"):
            read_candidate(claim, **text)


def test_parse_latex_still_refuses_an_equation():
    with pytest.raises(FormulaError, match="'='"):
        parse_latex("y = w", {"y": sympy.Symbol("y"), "w": sympy.Symbol("w")})


def test_split_sides_ignores_equals_inside_braces():
    assert split_sides(r"p(y{=}1) = a") == ["p(y{=}1) ", " a"]
    assert len(split_sides(r"\sum_{j=1}^{3} h_j")) == 1
