"""The formula checker: three-valued verdicts, exact counterexamples, safe parsing."""

import pytest
import sympy

from derivspec.core import registry
from derivspec.core.checker import compare, read_candidate, user_point
from derivspec.core.errors import FormulaError, ParameterError
from derivspec.core.formula import parse_formula

GAUSSIAN = registry.get("nll.gaussian")


def verdict(claim_id, formula=None, latex=None):
    claim = registry.get(claim_id)
    return compare(claim, read_candidate(claim, formula=formula, latex=latex))


def test_equal_forms_are_proved_equal():
    result = verdict("nll.gaussian", formula="(y-mu)**2/(2*sigma**2) + log(2*pi)/2 + log(sigma)")
    assert (result.verdict, result.symbolic) == ("equivalent", "proved_equal")
    assert result.counterexample is None


def test_wrong_form_gets_an_exact_counterexample_that_really_differs():
    claim = GAUSSIAN
    result = verdict("nll.gaussian", formula="(y-mu)**2/(2*sigma**2)")
    assert (result.verdict, result.symbolic) == ("not_equivalent", "proved_different")
    point = {claim.symbols[k]: sympy.Rational(v) for k, v in result.counterexample.point.items()}
    gap = (claim.target - result.parsed).subs(point)
    assert abs(float(gap)) > 1e-6  # at that exact point the two really differ


def test_finite_domain_cases_prove_forms_equal_only_on_the_domain():
    # -log(y p + (1-y)(1-p)) equals the BCE only for y in {0, 1}: the case split proves it
    result = verdict("nll.bernoulli", formula="-log(y*p + (1-y)*(1-p))")
    assert result.verdict == "equivalent"


def test_unprovable_agreement_is_inconclusive_not_a_pass(monkeypatch):
    from derivspec.core import symbolic
    monkeypatch.setattr(symbolic, "reduces_to_zero", lambda difference, seconds=0: None)  # as if SymPy timed out
    result = verdict("nll.gaussian", formula="(y-mu)**2/(2*sigma**2) + log(2*pi*sigma**2)/2")
    assert (result.verdict, result.symbolic) == ("inconclusive", "undecided")
    assert "evidence, not proof" in result.reason


def test_time_limit_interrupts_a_long_computation():
    from derivspec.core.symbolic import SymPyTimeout, time_limit
    with pytest.raises(SymPyTimeout):
        with time_limit(0.2):
            while True:
                pass


def test_decimals_are_read_exactly():
    assert parse_formula("0.1 + 0.5", {}) == sympy.Rational(3, 5)


@pytest.mark.parametrize("text, problem", [
    ("__import__('os')", "unknown function"),
    ("y.real", "unsupported construct"),
    ("lambda: 1", "unsupported construct"),
    ("[y]", "unsupported construct"),
    ("zz + 1", "unknown symbol 'zz'"),
    ("exp(y, 2)", "exactly 1 argument"),
    ("max(y)", "at least 2 arguments"),
    ("y +", "cannot parse"),
    ("", "empty formula"),
    ("inf", "non-finite"),
    ("1e5000", "out of range"),
    ("y*1e-9999999999", "out of range"),
    ("(10**1000)**5*y", "more than 1000 digits"),
    ("((10**1000)**1000)**1000", "more than 1000 digits"),
    ("y + 1 # + 1", "comment"),
    ("y == 1", "comparison"),
    ("10**10**10", "exponent 10000000000 is too large"),
    ("y**(10**9)", "too large"),
])
def test_bad_formulas_are_refused_with_a_one_line_reason(text, problem):
    with pytest.raises(FormulaError) as error:
        parse_formula(text, GAUSSIAN.symbols)
    assert problem in str(error.value) and "\n" not in str(error.value)


@pytest.mark.parametrize("assignment, problem", [
    ({"sigma": "0", "y": "0", "mu": "0"}, "sigma > 0"),
    ({"sigma": "-1", "y": "0", "mu": "0"}, "sigma > 0"),
    ({"sigma": "nan", "y": "0", "mu": "0"}, "found nan"),
    ({"sigma": "1", "y": "inf", "mu": "0"}, "found inf"),
    ({"sigma": "abc", "y": "0", "mu": "0"}, "not a number"),
    ({"tau": "1", "y": "0", "mu": "0"}, "unknown parameter"),
    ({"sigma": "1"}, "missing"),
])
def test_invalid_parameters_are_refused(assignment, problem):
    with pytest.raises(ParameterError) as error:
        user_point(GAUSSIAN, assignment)
    assert problem in str(error.value)


def test_probability_outside_unit_interval_is_refused():
    with pytest.raises(ParameterError, match=r"p in \(0, 1\)"):
        user_point(registry.get("nll.bernoulli"), {"y": "1", "p": "1.5"})
    with pytest.raises(ParameterError, match=r"y in \{0, 1\}"):
        user_point(registry.get("nll.bernoulli"), {"y": "0.5", "p": "0.5"})


def test_user_point_becomes_an_evaluation_point():
    claim = GAUSSIAN
    point = user_point(claim, {"y": "1", "mu": "0", "sigma": "0.5"})
    result = compare(claim, read_candidate(claim, formula="(y-mu)**2/(2*sigma**2)"), extra_points=[point])
    assert result.counterexample.point == {"y": "1", "mu": "0", "sigma": "1/2"}


def test_huge_latex_exponent_is_refused_not_evaluated():
    with pytest.raises(FormulaError, match="too large"):
        read_candidate(GAUSSIAN, latex=r"10^{10^{10}}")


@pytest.mark.parametrize("text, expected", [
    ("log(y, 2)", sympy.log(sympy.Symbol("y", real=True)) / sympy.log(2)),
    ("\u2212y\u00b7y", -sympy.Symbol("y", real=True) ** 2),
    ("1e400", sympy.Integer(10) ** 400),
    ("1e-5", sympy.Rational(1, 100000)),
    ("logsumexp(y, y)", sympy.log(2 * sympy.exp(sympy.Symbol("y", real=True)))),
])
def test_formula_extensions(text, expected):
    parsed = parse_formula(text, GAUSSIAN.symbols)
    assert parsed == expected or sympy.simplify(parsed - expected) == 0


def test_max_minus_min_is_proved_abs():
    from derivspec.core import symbolic
    y = GAUSSIAN.var("y")
    parsed = parse_formula("max(y, 0) - min(y, 0)", GAUSSIAN.symbols)
    assert symbolic.decide(parsed, sympy.Abs(y.symbol), [y]).status == "equal"


def test_user_point_is_exact_and_accepts_fractions():
    point = user_point(GAUSSIAN, {"y": "1/3", "mu": "-2.5e-3", "sigma": "1e2"})
    values = {str(k): v for k, v in point.items()}
    assert values == {"y": sympy.Rational(1, 3), "mu": sympy.Rational(-1, 400), "sigma": sympy.Integer(100)}
