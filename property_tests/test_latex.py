"""Tests for derivspec.latex: table-driven constructs, error messages, and a SymPy round trip."""

from __future__ import annotations

import mpmath
import pytest
import sympy
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from sympy import Abs, E, Rational, exp, log, pi, sqrt

from derivspec.core.errors import FormulaError
from derivspec.core.latex import parse_latex

y, p, mu, mu1, mu2 = sympy.symbols("y p mu mu_1 mu_2", real=True)
sigma, sigma1, sigma2, tau = sympy.symbols("sigma sigma_1 sigma_2 tau", positive=True)
abar, abar_prev, alpha, beta = sympy.symbols("alphabar_t alphabar_tm1 alpha_t beta_t", positive=True)
x0, xt, eps, veps, h1, h2, h3, w = sympy.symbols("x_0 x_t epsilon varepsilon h_1 h_2 h_3 w", real=True)

NAMES = {
    "y": y, "p": p, r"\mu": mu, r"\mu_1": mu1, r"\mu_2": mu2, r"\sigma": sigma,
    r"\sigma_1": sigma1, r"\sigma_{2}": sigma2, r"\tau": tau, r"\bar\alpha_t": abar,
    r"\bar{\alpha}_{t - 1}": abar_prev, r"\alpha_t": alpha, r"\beta_t": beta, "x_0": x0,
    "x_t": xt, r"\epsilon": eps, r"\varepsilon": veps, "h_1": h1, "h_2": h2, "h_3": h3, "w": w,
}

CASES = [
    # numbers and arithmetic
    ("0.5", Rational(1, 2)),
    ("0.1 + 2.25", Rational(47, 20)),
    ("1 - 2 - 3", -4),
    ("-y^2", -(y**2)),
    ("+y - -w", y + w),
    (r"2 \cdot y \times w / 4", y * w / 2),
    (r"y \div 2", y / 2),
    # implicit multiplication
    (r"2\pi\sigma^2", 2 * pi * sigma**2),
    (r"(y+w)(y)", (y + w) * y),
    ("x_0 y", x0 * y),
    (r"\sqrt{\bar\alpha_t}\,x_0", sqrt(abar) * x0),
    # powers and subscripts in either order
    (r"\sigma^2", sigma**2),
    (r"\sigma_1^2", sigma1**2),
    (r"\sigma^2_1", sigma1**2),
    ("y^{1/2}", sqrt(y)),
    ("y^23", 3 * y**2),
    (r"e^{-y}", exp(-y)),
    ("e", E),
    (r"\pi", pi),
    # fractions and roots
    (r"\frac{y}{w}", y / w),
    (r"\dfrac{y}{2} + \tfrac{w}{3}", y / 2 + w / 3),
    (r"\frac12", Rational(1, 2)),
    (r"\frac1{2\sigma^2}", 1 / (2 * sigma**2)),
    (r"\frac\pi2", pi / 2),
    (r"\sqrt{y}", sqrt(y)),
    (r"\sqrt[3]{y}", sympy.root(y, 3)),
    (r"\sqrt2", sqrt(2)),
    # functions
    (r"\log(2\pi\sigma^2)", log(2 * pi * sigma**2)),
    (r"\ln\sigma", log(sigma)),
    (r"\log \sigma", log(sigma)),
    (r"\log y^2", log(y**2)),
    (r"\log(y)^2", log(y) ** 2),
    (r"\log{\left(y \right)}^{2}", log(y) ** 2),
    (r"\log^2 y", log(y) ** 2),
    (r"\log 2\pi", log(2 * pi)),  # read as printed: the argument extends over juxtaposed factors
    (r"\log_2 8", 3),
    (r"\exp(-y)", exp(-y)),
    (r"\exp y", exp(y)),
    (r"\operatorname{log}(y) + \mathrm{log}\, w", log(y) + log(w)),
    (r"\mathrm{e}^{y}", exp(y)),
    (r"\log\frac{\sigma_2}{\sigma_1}", log(sigma2 / sigma1)),
    (r"\tanh(y)", sympy.tanh(y)),
    # grouping and absolute values
    ("[y + w]^2", (y + w) ** 2),
    (r"\left( y + w \right)^{2}", (y + w) ** 2),
    (r"\left[ y \right] \big( w \big)", y * w),
    ("{y + w}^2", (y + w) ** 2),
    (r"\left| y \right|", Abs(y)),
    ("|y|", Abs(y)),
    ("|y||w|", Abs(y) * Abs(w)),
    ("||y| - 1|", Abs(Abs(y) - 1)),
    (r"\lvert y \rvert", Abs(y)),
    # spacing and no-op commands
    (r"\displaystyle y\;+\:w\!\quad+\qquad y~\ w", y + w + y * w),
    # equivalent spellings of names
    (r"\sigma_{2} + \sigma_2", 2 * sigma2),
    (r"\bar{\alpha}_t + \bar\alpha_{t} + \overline{\alpha}_t + \bar{\alpha_t}", 4 * abar),
    (r"\bar\alpha_{t-1} + \bar\alpha_{ t - 1 }", 2 * abar_prev),
    ("x_{0} + x_t", x0 + xt),
    (r"\epsilon + \varepsilon", eps + veps),
    # lecture formulas
    (
        r"\frac{(y-\mu)^2}{2\sigma^2} + \frac12\log(2\pi\sigma^2)",
        (y - mu) ** 2 / (2 * sigma**2) + log(2 * pi * sigma**2) / 2,
    ),
    (
        r"\log\frac{\sigma_2}{\sigma_1}+\frac{\sigma_1^2+(\mu_1-\mu_2)^2}{2\sigma_2^2}-\frac12",
        log(sigma2 / sigma1) + (sigma1**2 + (mu1 - mu2) ** 2) / (2 * sigma2**2) - Rational(1, 2),
    ),
    (
        r"\frac{\sqrt{\bar\alpha_{t-1}}\beta_t}{1-\bar\alpha_t}x_0",
        sqrt(abar_prev) * beta / (1 - abar) * x0,
    ),
    (
        r"-\log\frac{e^{h_1}}{e^{h_1}+e^{h_2}+e^{h_3}}",
        -log(exp(h1) / (exp(h1) + exp(h2) + exp(h3))),
    ),
    (r"-y\log p - (1-y)\log(1-p)", -y * log(p) - (1 - y) * log(1 - p)),
]


@pytest.mark.parametrize(("tex", "expected"), CASES, ids=[case[0] for case in CASES])
def test_construct_parses_to_expected(tex, expected):
    parsed = parse_latex(tex, NAMES)
    assert parsed == expected or sympy.simplify(parsed - expected) == 0, parsed


def test_numbers_are_exact():
    assert parse_latex("0.1", {}) == Rational(1, 10)
    assert isinstance(parse_latex("3", {}), sympy.Integer)


def test_claim_name_e_is_a_symbol_not_euler():
    e_sym = sympy.Symbol("e")
    assert parse_latex("e^{2}", {"e": e_sym}) == e_sym**2


ERRORS = [
    (r"\foo + y", r"\foo"),
    (r"y + z", "'z'"),
    (r"\frac{1}{", "'{'"),
    ("1+", "end of input"),
    ("", "empty"),
    ("   ", "empty"),
    (")(", "')'"),
    ("(y]", "']'"),
    (r"\int y", r"\int"),
    (r"\sum y", r"\sum"),
    (r"\infty", r"\infty"),
    (r"\theta", r"\theta"),
    ("y = w", "'='"),
    (r"\sigma_3", r"\sigma_{3}"),
    (r"\sigma_1_2", "double subscript"),
    (r"y^2^3", "double superscript"),
    (r"(y)_1", "subscript"),
    (r"\frac{1}{0}", "undefined"),
    (r"\operatorname{foo}(y)", "foo"),
    (r"\left. y", "position"),
    ("|y", "'|'"),
    ("y \n +", "end of input"),
]


@pytest.mark.parametrize(("tex", "fragment"), ERRORS, ids=[case[0] or "<empty>" for case in ERRORS])
def test_bad_input_raises_one_line_formula_error(tex, fragment):
    with pytest.raises(FormulaError) as info:
        parse_latex(tex, NAMES)
    message = str(info.value)
    assert "\n" not in message
    assert fragment in message
    assert "position" in message


def test_unknown_letter_lists_known_names():
    with pytest.raises(FormulaError, match=r"unknown symbol 'z'.*known names: .*\\mu_1.*x_0"):
        parse_latex("z", NAMES)


def test_error_positions():
    with pytest.raises(FormulaError, match="position 2"):
        parse_latex("1+", {})
    with pytest.raises(FormulaError, match="position 0"):
        parse_latex(")(", {})
    with pytest.raises(FormulaError, match="position 8"):
        parse_latex(r"\frac{1}{", {})


def test_conflicting_claim_names_are_rejected():
    with pytest.raises(FormulaError, match="twice"):
        parse_latex("y", {r"\sigma_2": sigma, r"\sigma_{2}": sigma2})


# -- round trip: sympy.latex(expr) parses back to expr ------------------------------------
RT_SYMBOLS = {sigma: r"\sigma", mu1: r"\mu_1", abar: r"\bar\alpha_t"}
RT_NAMES = {latex_name: symbol for symbol, latex_name in RT_SYMBOLS.items()}
RT_POINTS = [
    {sigma: "0.7316218452", mu1: "1.4142135623", abar: "0.3183098861"},
    {sigma: "2.2360679774", mu1: "-0.5772156649", abar: "0.6931471805"},
]

leaves = st.one_of(
    st.sampled_from(list(RT_SYMBOLS)),
    st.integers(1, 6).map(sympy.Integer),
    st.tuples(st.integers(-5, 5), st.integers(1, 6)).map(lambda pq: Rational(*pq)),
)


def _grow(children):
    pairs = st.tuples(children, children)
    return st.one_of(
        pairs.map(lambda ab: ab[0] + ab[1]),
        pairs.map(lambda ab: ab[0] - ab[1]),
        pairs.map(lambda ab: ab[0] * ab[1]),
        pairs.map(lambda ab: ab[0] / ab[1]),
        st.tuples(children, st.integers(-3, 3)).map(lambda bn: bn[0] ** bn[1]),
        children.map(log),
        children.map(exp),
        children.map(sqrt),
    )


expressions = st.recursive(leaves, _grow, max_leaves=8)


def _numeric(expr, point):
    func = sympy.lambdify(list(point), expr, modules="mpmath")
    with mpmath.workdps(30):
        try:
            return func(*[mpmath.mpf(value) for value in point.values()])
        except (ZeroDivisionError, ValueError, OverflowError):
            return None


def _close(a, b) -> bool:
    with mpmath.workdps(30):
        return mpmath.almosteq(mpmath.mpc(a), mpmath.mpc(b), rel_eps=mpmath.mpf(10) ** -20, abs_eps=mpmath.mpf(10) ** -25)


@settings(max_examples=60, deadline=None)
@given(expressions)
def test_round_trip_through_sympy_latex(expr):
    assume(not expr.has(sympy.zoo, sympy.nan, sympy.oo, -sympy.oo, sympy.I))
    tex = sympy.latex(expr, symbol_names=RT_SYMBOLS)
    parsed = parse_latex(tex, RT_NAMES)
    if parsed == expr:
        return
    for point in RT_POINTS:
        expected, actual = _numeric(expr, point), _numeric(parsed, point)
        if expected is None or not mpmath.isfinite(expected):
            continue
        assert actual is not None and _close(actual, expected), (tex, parsed, expr)
