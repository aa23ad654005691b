"""The formula checker behind ``derivspec check``.

A candidate is compared with the claim's derived target: first exactly at random points of
the variables' domains (a difference there is a counterexample, and proves the candidate
wrong), then symbolically (SymPy reducing the difference to zero proves it right). If
neither happens the verdict is ``inconclusive`` -- fail closed, never a pass.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Mapping

import sympy

from derivspec.core import symbolic
from derivspec.core.claims import Claim
from derivspec.core.errors import FormulaError, ParameterError
from derivspec.core.formula import parse_formula
from derivspec.core.latex import parse_latex

@dataclass
class CheckResult:
    claim: str
    verdict: str  # equivalent | not_equivalent | inconclusive
    parsed: sympy.Expr
    expected: sympy.Expr
    symbolic: str  # proved_equal | proved_different | undecided
    points: int
    max_abs_diff: float | None
    counterexample: symbolic.PointDifference | None
    reason: str

    def to_json(self) -> dict:
        return {
            "claim": self.claim,
            "verdict": self.verdict,
            "parsed": str(self.parsed),
            "expected": str(self.expected),
            "symbolic": self.symbolic,
            "numeric": {
                "points": self.points,
                "max_abs_diff": None if self.max_abs_diff is None or math.isinf(self.max_abs_diff) else self.max_abs_diff,
                "counterexample": self.counterexample.to_json() if self.counterexample else None,
            },
            "reason": self.reason,
        }


def read_candidate(claim: Claim, formula: str | None = None, latex: str | None = None) -> sympy.Expr:
    """The candidate as SymPy reads it, in the claim's symbols."""
    if (formula is None) == (latex is None):
        raise FormulaError("give exactly one of --formula or --latex")
    names = dict(claim.latex_names)
    if r"\epsilon" in names:
        names.setdefault(r"\varepsilon", names[r"\epsilon"])
    try:
        return parse_formula(formula, claim.symbols) if formula is not None else parse_latex(latex, names)
    except RecursionError:
        raise FormulaError("formula is nested too deeply to read") from None


def user_point(claim: Claim, assignments: Mapping[str, str]) -> dict[sympy.Symbol, sympy.Expr]:
    """Validate ``--at name=value`` against the variables' constraints (exit 2 when violated)."""
    point = {}
    variables = {v.name: v for v in claim.variables}
    for name, text in assignments.items():
        if name not in variables:
            raise ParameterError(f"unknown parameter {name!r} for claim {claim.id}; its variables are: {', '.join(variables)}")
        try:
            value = float(text)
        except ValueError:
            raise ParameterError(f"parameter {name}={text!r} is not a number") from None
        var = variables[name]
        if not var.domain.contains(value):
            raise ParameterError(
                f"expected parameter {name} to satisfy the constraint {name} {var.domain.constraint}, but found {text}")
        point[var.symbol] = sympy.Rational(text.strip())
    missing = [v.name for v in claim.variables if v.symbol not in point]
    if point and missing:
        raise ParameterError(f"--at must give every variable of {claim.id}; missing: {', '.join(missing)}")
    return point


def compare_expressions(candidate: sympy.Expr, expected: sympy.Expr, variables, *, seed: int = 0,
                        extra_points: list[dict] | None = None,
                        seconds: float = symbolic.SIMPLIFY_SECONDS) -> CheckResult:
    """Three-valued comparison of two expressions in ``variables`` (claim id left blank)."""
    points = (extra_points or []) + symbolic.random_points(variables, symbolic.EVAL_POINTS, seed)

    def result(verdict, symbolic_status, reason):
        return CheckResult("", verdict, candidate, expected, symbolic_status, len(points),
                           max_diff, difference, reason)

    try:
        with symbolic.time_limit(seconds):
            max_diff, difference = symbolic.compare_at_points(candidate, expected, points)
    except symbolic.SymPyTimeout:
        max_diff, difference = None, None
        return result("inconclusive", "undecided", f"exact evaluation at the points took over {seconds:g} s")

    if difference is not None:
        return result("not_equivalent", "proved_different",
                      f"differs from the derived target at {difference.point}: "
                      f"candidate {difference.candidate}, target {difference.expected}")
    proved = symbolic.proves_equal(candidate, expected, variables, seconds)
    if proved:
        return result("equivalent", "proved_equal", "SymPy reduces candidate - target to 0 on the domain")
    why = "timed out" if proved is None else "could not reduce the difference to 0"
    return result("inconclusive", "undecided",
                  f"agrees with the target at {len(points)} exact points (evidence, not proof) but SymPy {why}")


def compare(claim: Claim, candidate: sympy.Expr, *, seed: int = 0,
            extra_points: list[dict] | None = None, seconds: float = symbolic.SIMPLIFY_SECONDS) -> CheckResult:
    """Three-valued comparison of ``candidate`` with the claim's target (defined symbols expanded)."""
    expected = claim.expand_defined(claim.target)
    candidate_expanded = claim.expand_defined(candidate)
    unknown = candidate_expanded.free_symbols - {v.symbol for v in claim.variables}
    if unknown:
        raise FormulaError(f"unknown symbols {sorted(map(str, unknown))} for claim {claim.id}")
    outcome = compare_expressions(candidate_expanded, expected, claim.variables, seed=seed,
                                  extra_points=extra_points, seconds=seconds)
    outcome.claim, outcome.parsed, outcome.expected = claim.id, candidate, expected
    return outcome
