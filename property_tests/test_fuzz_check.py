"""Fuzzing ``derivspec check`` (issue 10, Build item 5): random text, LaTeX and formula token
soups, huge and tiny numbers, deep nesting. Whatever the input, the command exits 0, 1, 2 or 3;
exit 2 is one line on stderr; nothing prints a traceback; each check ends within its time limit;
and a definite verdict (0 or 1) is only ever given to a text that reads as a formula."""

from __future__ import annotations

import contextlib
import io
import time

import pytest
import sympy
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from derivspec.app.cli import main
from derivspec.core import checker, notation, registry, symbolic
from derivspec.core.errors import DerivspecError
from derivspec.scan.known import roles_of_left_side

pytestmark = pytest.mark.usefixtures("real_time_limits_in_module")  # each check ends within its real limit

LIMIT = 3.0  # --time-limit for the fuzzed checks
CLAIMS = ("nll.gaussian", "kl.vae-regulariser", "ddpm.posterior.variance", "nll.bernoulli.logits")

LATEX_TOKENS = [
    r"\frac", "{", "}", "(", ")", "[", "]", "^", "_", r"\log", r"\ln", r"\exp", r"\sum", r"\prod", "=", "y", "z",
    r"\mu", r"\sigma", r"\sigma_1", r"\mu_j", r"\beta_t", r"\bar\alpha_t", r"\alpha_t", "2", "1", "12", "0", "+", "-",
    r"\left(", r"\right)", r"\left.", r"\right.", r"\left\{", r"\right\}", "|", r"\|", r"\lVert", r"\rVert",
    r"\sqrt", "e", r"\pi", ",", r"\max", r"\min", r"\quad", "(2)", "$", r"\[", r"\]", r"\mathbf", r"\boldsymbol",
    r"\tilde", r"\text{KL}", "0.5", r"\cdot", " ", r"\operatorname{softplus}", r"\cosh", r"\tag{1}", ".", "\u2212",
    r"\le", r"\infty", r"\int", "j", "d", r"\sigma_j", "&", "\\\\", "%", "#", "'", "~", r"\,",
]
FORMULA_TOKENS = [
    "y", "mu", "sigma", "z", "beta_t", "alpha_t", "(", ")", "+", "-", "*", "/", "**", "^", "log", "exp", "sqrt",
    "abs", "max", "min", "sign", "sigmoid", "softplus", "logsumexp", "tanh", ",", "1e-5000", "10**1000", "0.5",
    "2", "=", "#", "pi", " ", "1e400", "0", ".", "lambda", "[", "]", "'", "\u2212", "\u03c3",
]


def run_check(claim_id: str, flag: str, text: str) -> tuple[int, str, str, float]:
    out, err = io.StringIO(), io.StringIO()
    start = time.monotonic()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(["check", claim_id, flag, text, "--time-limit", str(LIMIT)])
    return code, out.getvalue(), err.getvalue(), time.monotonic() - start


def assert_sound(claim_id: str, flag: str, text: str) -> None:
    code, out, err, seconds = run_check(claim_id, flag, text)
    assert code in (0, 1, 2, 3), (code, err)
    assert "Traceback" not in err + out
    assert seconds < LIMIT + checker.GRACE_SECONDS + 15, seconds
    if code == 2:
        assert out == "" and err.count("\n") == 1 and err.startswith("derivspec: error: "), err
        return
    assert err == "", err
    if code in (0, 1):
        claim = registry.get(claim_id)
        try:  # a definite verdict only for a text that reads as a formula
            reading = checker.read_candidates(claim, **{flag.lstrip("-"): text})
        except DerivspecError as error:
            # or, in letters the claim does not know, under the mapping the output states (docs/check.md)
            mapping = (checker.check(claim, latex=text, seconds=60, roles=roles_of_left_side)["mapping"]
                       if flag == "--latex" else None)
            if not (mapping and mapping["source"] in ("inferred", "structure") and "read with" in out):
                raise AssertionError(f"exit {code} for unreadable input: {error}") from None
            names = {user: claim.symbols[name] for user, name in mapping["pairs"].items()}
            reading = checker.read_candidates(claim, latex=text, names=notation.latex_table(claim, names))
        if code == 0:  # spot-check "equivalent" independently at a typical point
            target = claim.expand_defined(claim.target)
            point = symbolic.evaluation_points(claim.variables, 1, seed=7)[0]
            for _, expr in reading.sides:
                got, want = symbolic.evaluate(claim.expand_defined(expr), point), symbolic.evaluate(target, point)
                if got is not None and want is not None:
                    assert abs(complex(got - want)) <= 1e-20 * max(1.0, abs(complex(want))), (text, got, want)


FUZZ = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])


@FUZZ
@given(st.sampled_from(CLAIMS), st.sampled_from(["--formula", "--latex"]),
       st.one_of(st.text(max_size=60),
                 st.binary(max_size=40).map(lambda b: b.decode("utf-8", "surrogateescape"))))
def test_random_text(claim_id, flag, text):
    assert_sound(claim_id, flag, text)


@FUZZ
@given(st.sampled_from(CLAIMS), st.lists(st.sampled_from(LATEX_TOKENS), max_size=30).map("".join))
def test_latex_token_soup(claim_id, text):
    assert_sound(claim_id, "--latex", text)


@FUZZ
@given(st.sampled_from(CLAIMS), st.lists(st.sampled_from(FORMULA_TOKENS), max_size=30).map("".join))
def test_formula_token_soup(claim_id, text):
    assert_sound(claim_id, "--formula", text)


@FUZZ
@given(st.one_of(
    st.integers(-10 ** 12, 10 ** 12).map(lambda k: f"y*1e{k}"),
    st.integers(0, 6000).map(lambda n: "9" * n + "*y" if n else "y"),
    st.tuples(st.integers(1, 10 ** 6), st.integers(0, 3000)).map(lambda t: f"({t[0]}**{t[1]})*y"),
    st.integers(1, 5).map(lambda k: "((10**1000)" + "**1000)" * k),
    st.decimals(allow_nan=False, allow_infinity=False).map(lambda d: f"y + {d}"),
    st.floats(allow_nan=True, allow_infinity=True).map(lambda f: f"y*{f!r}"),
))
def test_huge_and_tiny_numbers(formula):
    assert_sound("nll.gaussian", "--formula", formula)


@FUZZ
@given(st.integers(1, 400), st.sampled_from(["(", "exp(", "log(", "sqrt(", "{", r"\left(", r"\exp{", r"\frac{1}{"]))
def test_deep_nesting(depth, opener):
    closer = {"(": ")", "exp(": ")", "log(": ")", "sqrt(": ")", "{": "}", r"\left(": r"\right)", r"\exp{": "}",
              r"\frac{1}{": "}"}[opener]
    text = opener * depth + "y" + closer * depth
    flag = "--latex" if opener.startswith(("\\", "{")) else "--formula"
    assert_sound("nll.gaussian", flag, text)


@FUZZ
@given(st.integers(1, 4000))
def test_long_sums(n):
    assert_sound("nll.gaussian", "--formula", "+".join(["y"] * n) + f"-{n - 1}*y")


def test_a_fuzzed_equivalent_is_really_equivalent():
    # the spot check above has teeth: a wrong "equivalent" would be caught
    claim = registry.get("nll.gaussian")
    point = symbolic.evaluation_points(claim.variables, 1, seed=7)[0]
    wrong = claim.expand_defined(claim.target) + 1
    assert abs(complex(symbolic.evaluate(wrong, point) - symbolic.evaluate(claim.target, point))) > 0.5
    assert sympy.Integer(1) != 0
