"""Symbolic and exact-numeric equality, three-valued and fail-closed (DESIGN.md, "Verdicts").

* SymPy reducing ``a - b`` to zero (``simplify``/``expand_log``/``cancel``) proves equality;
* a difference at an exact evaluation point (mpmath, 50 digits) proves difference and is the
  counterexample;
* agreement at sample points alone is evidence, not proof: ``undecided``.

Finite-domain variables (``y`` in {0, 1}) are split into cases: a formula only has to agree
with the target on the domain, so each value is substituted before SymPy simplifies.
SymPy calls that can hang run under a time limit.
"""

from __future__ import annotations

import itertools
import random
import signal
import threading
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Sequence

import sympy

from derivspec.core.claims import Var

DIGITS = 50
EVAL_POINTS = 12
SIMPLIFY_SECONDS = 20.0
# Relative difference above which two 50-digit values are different (far above round-off).
DIFFERENCE_THRESHOLD = sympy.Float("1e-30", DIGITS)


class SymPyTimeout(Exception):
    pass


@contextmanager
def time_limit(seconds: float):
    """Raise SymPyTimeout after ``seconds`` (SIGALRM; no limit outside the main thread)."""
    if threading.current_thread() is not threading.main_thread() or seconds <= 0:
        yield
        return

    def on_alarm(signum, frame):
        raise SymPyTimeout()

    previous = signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


_ZERO_TESTS = (
    lambda d: d,
    sympy.expand,
    lambda d: sympy.expand(sympy.expand_log(d, force=True)),
    sympy.cancel,
    lambda d: sympy.simplify(sympy.expand_log(d, force=True)),
    sympy.simplify,
)


def reduces_to_zero(difference: sympy.Expr, seconds: float = SIMPLIFY_SECONDS) -> bool | None:
    """True if SymPy reduces ``difference`` to 0; False if not; None on timeout."""
    try:
        with time_limit(seconds):
            return any(test(difference) == 0 for test in _ZERO_TESTS)
    except SymPyTimeout:
        return None


def tidy(expr: sympy.Expr, seconds: float = 5.0) -> sympy.Expr:
    """``simplify(expr)`` for display, or ``expr`` unchanged if that takes over ``seconds``."""
    try:
        with time_limit(seconds):
            return sympy.simplify(expr)
    except SymPyTimeout:
        return expr


def finite_cases(variables: Sequence[Var]) -> list[dict[sympy.Symbol, sympy.Integer]]:
    """Every combination of values of the finite-domain variables ([{}] if there are none)."""
    finite = [v for v in variables if v.domain.values is not None]
    combos = itertools.product(*(v.domain.values for v in finite))
    return [{v.symbol: sympy.Integer(x) for v, x in zip(finite, combo)} for combo in combos]


def proves_equal(a: sympy.Expr, b: sympy.Expr, variables: Sequence[Var],
                 seconds: float = SIMPLIFY_SECONDS) -> bool | None:
    """True if a == b is proved on the variables' domains; False/None if not proved."""
    results = [reduces_to_zero(sympy.sympify(a - b).subs(case), seconds) or ratio_is_one(a, b, case, seconds)
               for case in finite_cases(variables)]
    if all(r is True for r in results):
        return True
    return None if any(r is None for r in results) else False


def ratio_is_one(a: sympy.Expr, b: sympy.Expr, case: dict, seconds: float) -> bool | None:
    """a/b simplifies to 1 where b is provably non-zero (products of exponentials and erfc
    terms that a difference does not cancel, e.g. a Gaussian integral against its density)."""
    a, b = sympy.sympify(a).subs(case), sympy.sympify(b).subs(case)
    if not b.is_nonzero:
        a, b = b, a
        if not b.is_nonzero:
            return False
    try:
        with time_limit(seconds):
            return sympy.simplify(a / b) == 1
    except SymPyTimeout:
        return None


def evaluate(expr: sympy.Expr, point: dict[sympy.Symbol, sympy.Expr]) -> sympy.Expr:
    """``expr`` at an exact point, to DIGITS digits (a complex value stays complex)."""
    return sympy.sympify(expr).evalf(DIGITS, subs=point)


def random_points(variables: Sequence[Var], count: int, seed: int) -> list[dict[sympy.Symbol, sympy.Expr]]:
    """``count`` exact points drawn from the variables' domains, every finite case covered."""
    rng = random.Random(seed)
    cases = finite_cases(variables)
    continuous = [v for v in variables if v.domain.values is None]
    points = []
    for i in range(max(count, len(cases))):
        point = dict(cases[i % len(cases)])
        point.update({v.symbol: v.domain.random_rational(rng) for v in continuous})
        points.append(point)
    return points


@dataclass
class PointDifference:
    point: dict[str, str]
    candidate: str
    expected: str
    abs_diff: float

    def to_json(self) -> dict:
        return {"point": self.point, "candidate_value": self.candidate,
                "expected_value": self.expected, "abs_diff": self.abs_diff}


def _as_text(value: sympy.Expr) -> str:
    return str(sympy.N(value, 12))


def compare_at_points(candidate: sympy.Expr, expected: sympy.Expr,
                      points: Sequence[dict[sympy.Symbol, sympy.Expr]]) -> tuple[float, PointDifference | None]:
    """Largest |candidate - expected| over the points, and the first point where they differ."""
    max_diff = 0.0
    for point in points:
        got, want = evaluate(candidate, point), evaluate(expected, point)
        if not (got.is_finite and want.is_finite):
            if got != want:
                return float("inf"), _difference(point, got, want, float("inf"))
            continue
        diff = abs(sympy.N(got - want, DIGITS))
        scale = max(sympy.Float(1, DIGITS), abs(want))
        max_diff = max(max_diff, float(diff))
        if diff > DIFFERENCE_THRESHOLD * scale:
            return max_diff, _difference(point, got, want, float(diff))
    return max_diff, None


def _difference(point, got, want, diff) -> PointDifference:
    return PointDifference({str(k): str(v) for k, v in point.items()}, _as_text(got), _as_text(want), diff)
