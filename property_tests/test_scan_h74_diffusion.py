r"""The DDPM forward marginal ``q(x_t | x_0) = N(x_t; \sqrt{L_t} x_0, (1 - L_t) I)`` in a rate name L the document
declares the cumulative product of the one-step rates (``\gamma_t = \prod_{s=1}^t (1 - \beta_s)``, DDIM's
``\alpha_t``), read by derivspec/scan/ddpm_kernel.py (issue 25). Documents are written for the test; the
counterexamples are recomputed here from the claims' targets, not copied.
"""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import given, settings, strategies as st

from derivspec.scan.runner import scan_path

LETTERS = [(r"\gamma", r"\prod_{s=1}^{t}(1-\beta_s)"), (r"\alpha", r"\prod_{s=1}^{t}(1-\beta_s)"),
           ("a", r"\prod_{s \le t} (1 - \beta_s)"), (r"\bar a", r"\prod_{s=1}^{t}(1-\beta_s)")]


def _doc(letter: str, product: str, marginal: str) -> str:
    return ("# Forward noising\n\nThe forward diffusion process noises the data with rates $\\beta_s$. "
            f"Define the cumulative signal rate\n\n$${letter}_t = {product}$$\n\nThe marginal of the forward process is"
            f"\n\n$$q(x_t|x_0) = \\mathcal N(x_t; {marginal})$$\n\nMore text.\n")


def _marginal(tmp_path, text: str):
    path = tmp_path / "doc.md"
    path.write_text(text, encoding="utf-8")
    records = [r for r in scan_path(path, workers=0, sources=False) if r.lines[0] == 9]
    assert len(records) == 1, records
    return records[0]


@settings(max_examples=6, deadline=None)
@given(st.sampled_from(LETTERS))
def test_a_declared_cumulative_rate_is_read_as_alpha_bar(tmp_path_factory, pair):
    letter, product = pair
    l = f"{letter}_t"
    record = _marginal(tmp_path_factory.mktemp("m"), _doc(letter, product, rf"\sqrt{{{l}}} x_0, (1-{l}) I"))
    assert record.verdict == "proved", record.reason
    assert record.claim == "ddpm.marginal.mean"
    assert "declares the cumulative product" in record.reason and "as ᾱ_t" in record.reason


# (planted, which part differs): the counterexample at ᾱ_{t-1} = 1/2, α_t = 4/5 is recomputed below
WRONG = [(r"\sqrt{{{p}}} x_0, (1-{p}) I", "mean and variance"),  # t for t-1
         (r"{n} x_0, (1-{n}) I", "mean"),  # sigma for sigma^2: the rate for its square root
         (r"\sqrt{{{n}}} x_0, (1-{n})^2 I", "variance"),
         (r"-\sqrt{{{n}}} x_0, (1-{n}) I", "mean"),  # sign flipped
         (r"\sqrt{{{n}}} x_0, (1+{n}) I", "variance")]


def _value(tex: str, now: Fraction, prev: Fraction) -> Fraction | float:
    """The planted mean coefficient or variance at L_t = now, L_{t-1} = prev (the few forms of WRONG)."""
    import sympy
    n, p = sympy.Symbol("n"), sympy.Symbol("p")
    expr = sympy.sympify(tex.replace(r"\sqrt", "sqrt").replace("{", "(").replace("}", ")").replace("^", "**"))
    return expr.subs({n: sympy.Rational(now.numerator, now.denominator),
                      p: sympy.Rational(prev.numerator, prev.denominator)})


@pytest.mark.parametrize("planted, differs", WRONG)
def test_a_planted_error_is_flagged_with_a_recomputed_counterexample(tmp_path, planted, differs):
    import sympy
    marginal = planted.format(n=r"\gamma_t", p=r"\gamma_{t-1}")
    record = _marginal(tmp_path, _doc(r"\gamma", r"\prod_{s=1}^{t}(1-\beta_s)", marginal))
    assert record.verdict == "disagrees", record.reason
    assert f"its {differs} differ" in record.reason
    assert record.correct.endswith(r"\mathcal N(x_t; \sqrt{\gamma_t}\, x_0, (1 - \gamma_t) \mathbf I)")
    prev, step = Fraction(1, 2), Fraction(4, 5)  # the claims' counterexample point, γ_t = γ_{t-1} α_t
    now = prev * step
    assert f"= {now}" in record.evidence and f"= {prev}" in record.evidence or "t-1" not in marginal
    mean_tex, variance_tex = planted.replace(" x_0", "").rsplit(", ", 1)
    mean = _value(mean_tex.format(n="n", p="p"), now, prev)
    variance = _value(variance_tex.replace(" I", "").format(n="n", p="p"), now, prev)
    derived_mean, derived_variance = sympy.sqrt(sympy.Rational(now.numerator, now.denominator)), 1 - sympy.Rational(
        now.numerator, now.denominator)
    if "mean" in differs:
        assert sympy.simplify(mean - derived_mean) != 0
        assert f"{sympy.nsimplify(mean)} x_0 as written, {derived_mean} x_0 derived" in record.evidence
    if "variance" in differs:
        assert f"{sympy.nsimplify(variance)} as written, {derived_variance} derived" in record.evidence


@pytest.mark.parametrize("letter", [r"\alpha", "a", r"\gamma"])
def test_an_undeclared_rate_is_not_compared(tmp_path, letter):
    text = ("# Forward noising\n\nThe forward diffusion process has the marginal\n\n"
            f"$$q(x_t|x_0) = \\mathcal N(x_t; \\sqrt{{{letter}_t}} x_0, (1-{letter}_t) I)$$\n\nMore text.\n")
    path = tmp_path / "doc.md"
    path.write_text(text, encoding="utf-8")
    records = [r for r in scan_path(path, workers=0, sources=False) if r.lines[0] == 5]
    assert records and all(r.verdict == "unchecked" for r in records), [(r.verdict, r.reason) for r in records]


def test_ddim_alpha_declared_cumulative_is_not_flagged(tmp_path):
    text = ("# DDIM\n\nIn the DDIM diffusion convention $\\alpha_t$ is the cumulative product "
            "$\\alpha_t = \\prod_{s=1}^{t}(1-\\beta_s)$, so\n\n"
            "$$q(x_t|x_0) = \\mathcal N(x_t; \\sqrt{\\alpha_t} x_0, (1-\\alpha_t) I)$$\n\nMore text.\n")
    path = tmp_path / "doc.md"
    path.write_text(text, encoding="utf-8")
    records = [r for r in scan_path(path, workers=0, sources=False) if r.lines[0] == 5]
    assert [r.verdict for r in records] == ["proved"], [(r.verdict, r.reason) for r in records]


def test_alpha_declared_one_step_is_still_flagged(tmp_path):
    # α_t = 1 − β_t declared: √α_t x_0 is α for ᾱ (the claims' reading, compared by the catalogue)
    text = ("# Forward noising\n\nThe forward diffusion process adds noise with $\\beta_t$. Let "
            "$\\alpha_t = 1 - \\beta_t$.\n\n"
            "$$q(x_t|x_0) = \\mathcal N(x_t; \\sqrt{\\alpha_t} x_0, (1-\\alpha_t) I)$$\n\nMore text.\n")
    path = tmp_path / "doc.md"
    path.write_text(text, encoding="utf-8")
    records = [r for r in scan_path(path, workers=0, sources=False) if r.lines[0] == 5]
    assert [r.verdict for r in records] == ["disagrees"], [(r.verdict, r.reason) for r in records]
