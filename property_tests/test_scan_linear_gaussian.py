"""``scan`` compares p(x) = N(...) and p(z|x) = N(...) with the marginal and the posterior of the
scalar linear-Gaussian model the document declares (derivspec/scan/linear_gaussian.py, issue 24
part 2), in two notations: ``z ~ N(0, 1), x | z ~ N(az + b, s^2)`` and ``p(z) = N(z; m, v),
p(x \\mid z) = N(x; wz + c, \\sigma^2)``. The expected parameters are computed here independently by
completing the square with SymPy. Every document is written for the test.
"""

from __future__ import annotations

import pytest
import sympy

from derivspec.scan.runner import scan_path

NOTATIONS = {
    "sampling": (r"Let $z \sim \mathcal{N}(0, 1)$ and $x | z \sim \mathcal{N}(a z + b, s^2)$.",
                 "x", "z", "|", dict(m="0", v="1", w="a", c="b", s2="s^2")),
    "densities": (r"The model is $p(z) = \mathcal{N}(z; m, v)$ and $p(x \mid z) = \mathcal{N}(x; w z + c, \sigma^2)$.",
                  "x", "z", r" \mid ", dict(m="m", v="v", w="w", c="c", s2=r"\sigma^2")),
}


def _expected(notation: str) -> dict:
    """Marginal and posterior (mean, variance) by completing the square in z of log p(z) + log p(x|z)."""
    m, v, w, c, s2 = (sympy.Symbol(n, positive=True) for n in ("m", "v", "w", "c", "s2"))
    x, z = sympy.symbols("x z", real=True)
    log_joint = -(z - m) ** 2 / (2 * v) - (x - w * z - c) ** 2 / (2 * s2)
    quadratic = sympy.Poly(sympy.expand(log_joint), z)
    precision = -2 * quadratic.coeff_monomial(z ** 2)
    post_mean = sympy.simplify(quadratic.coeff_monomial(z) / precision)
    params = NOTATIONS[notation][4]
    values = {m: params["m"], v: params["v"], w: params["w"], c: params["c"], s2: params["s2"]}
    latex = {k: sympy.Symbol(val) if not val.isdigit() else int(val) for k, val in values.items()}
    return {"marginal": (sympy.latex(sympy.simplify((w * m + c).subs(latex))), sympy.latex((w ** 2 * v + s2).subs(latex))),
            "posterior": (sympy.latex(sympy.simplify(post_mean.subs(latex))), sympy.latex(sympy.simplify((1 / precision).subs(latex))))}


def _record(tmp_path, notation: str, left: str, mean: str, variance: str, variable: str):
    prose = NOTATIONS[notation][0]
    path = tmp_path / "doc.md"
    path.write_text(f"# Notes\n\n{prose} Then\n\n$${left} = \\mathcal{{N}}\\left({variable}; {mean}, {variance}\\right)$$\n",
                    encoding="utf-8")
    return scan_path(path, workers=0, known=False, sources=False)[-1]


@pytest.mark.parametrize("notation", NOTATIONS)
@pytest.mark.parametrize("which", ["marginal", "posterior"])
def test_the_marginal_and_the_posterior_of_the_declared_model_are_proved(tmp_path, notation, which):
    _, x, z, bar, _ = NOTATIONS[notation]
    mean, variance = _expected(notation)[which]
    left, variable = (f"p({x})", x) if which == "marginal" else (f"p({z}{bar}{x})", z)
    record = _record(tmp_path, notation, left, mean, variance, variable)
    assert record.verdict == "proved", (record.reason, mean, variance)
    assert f"the {which} of the linear-Gaussian model" in record.reason


@pytest.mark.parametrize("notation", NOTATIONS)
@pytest.mark.parametrize("which", ["marginal", "posterior"])
def test_a_variance_with_the_noise_dropped_is_flagged_with_the_instance(tmp_path, notation, which):
    _, x, z, bar, params = NOTATIONS[notation]
    mean, variance = _expected(notation)[which]
    wrong = f"{params['w']}^2" if which == "marginal" else rf"\frac{{1}}{{{params['w']}^2}}"  # the noise term gone
    left, variable = (f"p({x})", x) if which == "marginal" else (f"p({z}{bar}{x})", z)
    record = _record(tmp_path, notation, left, mean, wrong, variable)
    assert record.verdict == "disagrees", record.reason
    assert record.evidence.startswith("at ") and "differ" in record.evidence


def test_a_model_whose_mean_is_not_linear_in_the_latent_is_not_judged(tmp_path):
    path = tmp_path / "doc.md"
    path.write_text("# Notes\n\nLet $z \\sim \\mathcal{N}(0, 1)$ and $x | z \\sim \\mathcal{N}(z^2, s^2)$. Then\n\n"
                    "$$p(x) = \\mathcal{N}(x; 0, 1 + s^2)$$\n", encoding="utf-8")
    record = scan_path(path, workers=0, known=False, sources=False)[-1]
    assert record.verdict != "disagrees" and "linear-Gaussian" not in record.reason, record.reason
