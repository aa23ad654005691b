r"""The change-of-variables formula recognised in the lecture's notation (derivspec/scan/change_of_variables.py).

Statements written here; the notations follow lectures: p_X(x) = p_Z(z)|det dz/dx|, p(x) = p(z)|det df/dz|^{-1}
with x = f(z) in the text, the 1-D p_Y(y) = p_X(g^{-1}(y))|dg^{-1}(y)/dy|, the log forms and the sum over K
layers, VITutorial's q(z;\lambda) = \phi(h(z;\lambda))\abs{\det J_{h(z;\lambda)}} (ExplainingReparametrisation
Gradients.tex:57, :65) and p(z) = p(h(z))|det J_{h(z)}| (M3b_DGMs_DiscreteLatentVariables.tex:98).
"""

from __future__ import annotations

import math

import pytest
import sympy
from hypothesis import given, settings
from hypothesis import strategies as st

from derivspec.core import registry
from derivspec.scan import scan_file

CLAIM = "flow.change-of-variables.density"


def scan(tmp_path, text: str):
    path = tmp_path / "notes.md"
    path.write_text(text + "\n", encoding="utf-8")
    return scan_file(path, workers=0, sources=False)


def record_of(tmp_path, statement: str, prose: str = ""):
    records = scan(tmp_path, prose + "\n\n$$" + statement + "$$")
    (record,) = [r for r in records if r.claim == CLAIM] or [r for r in records if statement.split("=")[0].strip()
                                                             in r.text] or records[-1:]
    return record


def phi(u: float) -> float:
    return math.exp(-u * u / 2) / math.sqrt(2 * math.pi)


def numbers(evidence: str) -> tuple[float, float]:
    import re

    m = re.search(r"as written (\S+), derived (\S+)$", evidence)
    assert m, evidence
    return float(m.group(1)), float(m.group(2))


PROVED = [
    (r"p_X(x) = p_Z(z) \left|\det \frac{\partial z}{\partial x}\right|", ""),
    (r"p(x) = p(z)\left|\det\frac{\partial f}{\partial z}\right|^{-1}", "Let $x = f(z)$ be invertible."),
    (r"p(x) = p(z)\left|\det\frac{\partial f}{\partial z}\right|^{-1}", "where $z = f^{-1}(x)$."),
    (r"p(x) = \frac{p(z)}{\left|\det\frac{\partial f}{\partial z}\right|}", "Let $x = f(z)$."),
    (r"p_Y(y) = p_X(g^{-1}(y)) \left|\frac{d g^{-1}(y)}{dy}\right|", ""),
    (r"\log p(x) = \log p(z) - \log\left|\det \frac{\partial f}{\partial z}\right|", "Let $x = f(z)$."),
    (r"\log p(x) = \log p(z_0) - \sum_{k=1}^K \log\left|\det \frac{\partial f_k}{\partial z_{k-1}}\right|",
     "Each layer maps $z_k = f_k(z_{k-1})$ and $x = z_K$."),
    (r"q(z;\lambda) = \phi(h(z; \lambda))\abs{\det J_{h(z; \lambda)}}", ""),  # VITutorial :57
    (r"q(z;\lambda) = \phi(C^{-1}(z - \mu))\abs{\det C^{-1}}", ""),  # VITutorial :61
    (r"\phi(\epsilon) = q(\mu + C\epsilon; \lambda)\abs{\det C}", ""),  # VITutorial :65
    (r"p(z) = p(\overbrace{h(z)}^{\epsilon})\left|\det J_{h(z)}\right|", ""),  # VITutorial M3b:98
    (r"p_{X}(x) = p_{\epsilon}(h_{1}(h_{2}(x)))\abs{\det J_{h_{1}}(h_{2}(x))}\abs{\det J_{h_{2}}(x)}", ""),  # M7:337
]


@pytest.mark.parametrize("statement, prose", PROVED)
def test_each_notation_is_proved_with_the_mapping_in_its_reason(tmp_path, statement, prose):
    record = record_of(tmp_path, statement, prose)
    assert (record.verdict, record.claim) == ("proved", CLAIM), record.reason
    assert "unifies with the derived general form" in record.reason and "(reading " in record.reason
    assert "the map" in record.reason


# wrong variants: (statement, prose, the derivative of each link's instance map, how many links, log form)
WRONG = [
    (r"p_X(x) = p_Z(z) \left|\det \frac{\partial x}{\partial z}\right|", "", "p_Z(z)"),
    (r"p(x) = p(z)\left|\det\frac{\partial f}{\partial z}\right|", "Let $x = f(z)$.", "p(z)"),
    (r"p_Y(y) = p_X(g^{-1}(y)) \left|\frac{d g^{-1}(y)}{dy}\right|^{-1}", "", "p_X(g^{-1}(y))"),
    (r"\log p(x) = \log p(z) + \log\left|\det \frac{\partial f}{\partial z}\right|", "Let $x = f(z)$.", r"\log p(z)"),
    (r"q(z;\lambda) = \phi(h(z; \lambda))\abs{\det J_{h(z; \lambda)}}^{-1}", "", r"\phi(h(z;\lambda))"),
]


@pytest.mark.parametrize("statement, prose, base", WRONG)
def test_a_jacobian_of_the_wrong_direction_disagrees_with_a_recomputed_counterexample(tmp_path, statement, prose,
                                                                                        base):
    record = record_of(tmp_path, statement, prose)
    assert (record.verdict, record.claim) == ("disagrees", CLAIM), record.reason
    assert "wrong direction" in record.reason
    # the instance: one link u -> 2u + 1, standard normal base density, at a = 1/2, so b = 2
    written, derived = numbers(record.evidence)
    log = statement.startswith(r"\log")
    expect_written, expect_derived = phi(2.0) / 2, phi(2.0) * 2  # derived: d/da Phi(2a + 1) at a = 1/2
    if log:
        expect_written, expect_derived = math.log(expect_written), math.log(expect_derived)
    assert written == pytest.approx(expect_written, rel=1e-5) and derived == pytest.approx(expect_derived, rel=1e-5)
    assert record.correct.startswith(base), record.correct  # in the lecture's own symbols


def test_the_linear_map_counterexample_is_recomputed(tmp_path):
    record = record_of(tmp_path, r"q(z;\lambda) = \phi(C^{-1}(z - \mu))\abs{\det C}")
    assert (record.verdict, record.claim) == ("disagrees", CLAIM), record.reason
    m = sympy.Matrix([[2, 1], [0, 1]])
    b = m.inv() * sympy.Matrix([sympy.Rational(1, 2), -sympy.Rational(1, 4)])
    normal = float(sympy.exp(-(b[0] ** 2 + b[1] ** 2) / 2) / (2 * sympy.pi))
    written, derived = numbers(record.evidence)
    assert written == pytest.approx(normal * 2, rel=1e-5) and derived == pytest.approx(normal / 2, rel=1e-5)
    assert record.correct == r"\phi(C^{-1}(z-\mu)) \left|\det C\right|^{-1}"


def test_the_layers_sum_with_the_sign_flipped_disagrees(tmp_path):
    record = record_of(tmp_path, r"\log p(x) = \log p(z_0) + \sum_{k=1}^K \log\left|\det \frac{\partial f_k}"
                                 r"{\partial z_{k-1}}\right|", "Each layer maps $z_k = f_k(z_{k-1})$ and $x = z_K$.")
    assert (record.verdict, record.claim) == ("disagrees", CLAIM), record.reason
    written, derived = numbers(record.evidence)
    b = ((0.5 - 1) / 3 - 1) / 2  # K = 2 layers u -> 2u + 1, 3u + 1, inverted from x = 1/2
    assert written == pytest.approx(math.log(phi(b) * 6), rel=1e-5)
    assert derived == pytest.approx(math.log(phi(b) / 6), rel=1e-5)
    assert record.correct.startswith(r"\log p(z_0) - \sum_{k=1}^{K}")


@pytest.mark.parametrize("statement, prose, why", [
    (r"p(u) = p(v)\left|\det J\right|", "", "J without the map"),
    (r"p(u) = p(g(u))\left|\det J_k\right|", "", "no stated mapping"),
    (r"p(x) = p(z)\left|\det\frac{\partial f}{\partial z}\right|", "", "is not of the statement's map"),
    (r"\log p_Y(y) = \log p_X(x) - \log\left|\det J_{f}(x)\right|", "", "no stated mapping"),
    (r"p_X(x) = p_Z(h(x))\left|\det J_{h}(z)\right|", "", "evaluated at"),
    (r"p_X(x) = p_Z(h(x))\det J_{h}(x)", "", "no absolute"),  # holds for an increasing map only
    (r"\log p(x) = \log p(z_0) - \sum_{k=1}^K \log\left|\det \frac{\partial f_k}{\partial z_{k-1}}\right|", "",
     "nothing says that x is z_K"),
])
def test_a_direction_that_cannot_be_determined_stays_unchecked(tmp_path, statement, prose, why):
    record = record_of(tmp_path, statement, prose)
    assert record.verdict == "unchecked", record.reason
    assert why in record.reason, record.reason


def test_without_the_absolute_value_an_increasing_map_is_proved(tmp_path):
    record = record_of(tmp_path, r"p_X(x) = p_Z(h(x))\det J_{h}(x)", "for an increasing map $h$")
    assert record.verdict == "proved", record.reason
    assert "increasing" in record.reason


@pytest.mark.parametrize("statement", [
    r"p(x \mid z) = p(z)\left|\det \frac{\partial z}{\partial x}\right|",  # a conditional: not a change of variables
    r"p(x) = \int p(x \mid z) p(z) \, dz",
])
def test_look_alikes_are_not_recognised(tmp_path, statement):
    records = scan(tmp_path, "$$" + statement + "$$")
    assert all(r.claim != CLAIM for r in records)


@settings(max_examples=12, deadline=None)
@given(st.sampled_from(["u", "v", "w", r"\xi", r"\mathbf x"]), st.sampled_from(["s", "t", r"\eta", r"\mathbf z"]),
       st.sampled_from(["p", "q", r"\pi"]), st.booleans())
def test_any_letters_direction_from_the_jacobians_variables(tmp_path_factory, a, b, density, flip):
    num, den = (a, b) if flip else (b, a)
    statement = rf"{density}_A({a}) = {density}_B({b}) \left|\det \frac{{\partial {num}}}{{\partial {den}}}\right|"
    record = record_of(tmp_path_factory.mktemp("cov"), statement)
    assert record.claim == CLAIM
    assert record.verdict == ("disagrees" if flip else "proved"), record.reason


def test_the_claim_is_registered_with_its_wrong_variants():
    claim = registry.get(CLAIM)
    assert len(claim.wrong_variants) >= 3


# --- the map stated inline in the prose, in a font (derivspec issue 25) --------------------------------

INLINE = [  # (prose, log form right side with the Jacobian of f at the base variable, the base variable)
    (r"The change of variables formula for an invertible $f$ with $\mathbf{x} = f(\mathbf{z})$ gives",
     r"\log p(\mathbf{x}) = \log p(\mathbf{z}) {sign} \log\left|\det \frac{\partial f(\mathbf{z})}"
     r"{\partial \mathbf{z}}\right|", r"\log p(\mathbf{z})"),
    (r"A flow maps $\boldsymbol{u} = g(\boldsymbol{y})$, so",  # the inverse direction: the map from y to u
     r"\log q(\boldsymbol{y}) = \log q(\boldsymbol{u}) {sign} \log\left|\det \frac{\partial g(\boldsymbol{y})}"
     r"{\partial \boldsymbol{y}}\right|", r"\log q(\boldsymbol{u})"),
    (r"Write $\mathbf z = g(\mathbf x)$ for the inverse map; then",
     r"\log p(\mathbf x) = \log p(\mathbf z) {sign} \log\left|\det \frac{\partial g(\mathbf x)}{\partial \mathbf x}"
     r"\right|", r"\log p(\mathbf{z})"),
]


@pytest.mark.parametrize("prose, statement, base", INLINE)
def test_an_inline_mapping_in_a_font_fixes_the_direction(tmp_path, prose, statement, base):
    forward = "-" if "f(" in statement else "+"  # x = f(z): the Jacobian of f counts -1; u = g(y): g's +1
    right = record_of(tmp_path, statement.replace("{sign}", forward), prose)
    assert (right.verdict, right.claim) == ("proved", CLAIM), right.reason
    assert "the map" in right.reason
    wrong = record_of(tmp_path, statement.replace("{sign}", "+" if forward == "-" else "-"), prose)
    assert (wrong.verdict, wrong.claim) == ("disagrees", CLAIM), wrong.reason
    written, derived = numbers(wrong.evidence)  # one link u -> 2u + 1 at a = 1/2, standard normal base density
    assert written == pytest.approx(math.log(phi(2.0) / 2), rel=1e-5)
    assert derived == pytest.approx(math.log(phi(2.0) * 2), rel=1e-5)
    assert wrong.correct.startswith(base), wrong.correct  # in the lecture's own symbols, its font kept


@pytest.mark.parametrize("prose", [
    r"for an invertible $f$ between $\mathbf{x}$ and $\mathbf{z}$",  # the direction not stated
    r"for an invertible $f$ with $\mathbf{y} = f(\mathbf{z})$",  # a mapping of other variables
])
def test_an_inline_map_without_its_direction_stays_unchecked(tmp_path, prose):
    for sign in "+-":
        found = record_of(tmp_path, rf"\log p(\mathbf{{x}}) = \log p(\mathbf{{z}}) {sign} \log\left|\det "
                                    r"\frac{\partial f(\mathbf{z})}{\partial \mathbf{z}}\right|", prose)
        assert found.verdict == "unchecked", found.reason
