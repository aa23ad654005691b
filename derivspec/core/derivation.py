"""Checking a derivation line by line (DESIGN.md, "A claim is the unit").

A line with an operation must equal the operation applied to the line before; a line without
one must equal the line before. SymPy proving the difference zero makes the line ``proved``;
a difference at an exact point makes it ``failed`` (with the point); otherwise ``undecided``.
The first line is the starting ``definition``; a ``computed`` line is SymPy's own output and
is shown as such, not counted as a proof.
"""

from __future__ import annotations

from dataclasses import dataclass

import sympy

from derivspec.core import symbolic
from derivspec.core.claims import POSITIVE, REAL, Claim, Var

STEP_STATUSES = ("definition", "proved", "computed", "failed", "undecided")


@dataclass
class StepResult:
    why: str
    expr: sympy.Expr
    status: str  # one of STEP_STATUSES
    counterexample: dict | None = None

    def to_json(self) -> dict:
        return {"why": self.why, "expr": str(self.expr), "latex": sympy.latex(self.expr),
                "status": self.status, "counterexample": self.counterexample}


def step_variables(claim: Claim, *exprs: sympy.Expr) -> list[Var]:
    """Claim variables plus any helper symbols a derivation line uses (e.g. a residual r)."""
    known = {v.symbol for v in claim.variables}
    extra = set().union(*(sympy.sympify(e).free_symbols for e in exprs)) - known
    helpers = [Var(str(s), str(s), POSITIVE if s.is_positive else REAL) for s in sorted(extra, key=str)]
    return list(claim.variables) + helpers


def check_derivation(claim: Claim, seed: int = 0) -> list[StepResult]:
    results = []
    previous = None
    for step, line in zip(claim.derivation, claim.lines):
        if step.computed:
            results.append(StepResult(step.why, line, "computed"))
        elif previous is None and step.op is None:
            results.append(StepResult(step.why, line, "definition"))
        else:
            results.append(_check_line(claim, step, line, previous, seed))
        previous = line
    return results


def _check_line(claim: Claim, step, line: sympy.Expr, previous: sympy.Expr | None, seed: int) -> StepResult:
    expected = claim.expand_defined(step.op(previous) if step.op else previous)
    written = claim.expand_defined(line)
    variables = step_variables(claim, expected, written)
    _, difference = symbolic.compare_at_points(
        written, expected, symbolic.random_points(variables, symbolic.EVAL_POINTS, seed))
    if difference is not None:
        return StepResult(step.why, line, "failed", difference.to_json())
    proved = symbolic.proves_equal(written, expected, variables)
    return StepResult(step.why, line, "proved" if proved else "undecided")


def symbolic_status(steps: list[StepResult]) -> str:
    """``failed`` if a line is shown wrong, ``undecided`` if one is not proved, else ``proved``."""
    statuses = {s.status for s in steps}
    if "failed" in statuses:
        return "failed"
    return "undecided" if "undecided" in statuses else "proved"
