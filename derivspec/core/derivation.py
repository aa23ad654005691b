"""Checking a derivation line by line (DESIGN.md, "A claim is the unit").

A line with an operation must equal the operation applied to the line before; a line without
one must equal the line before; a line that also ``equals`` an independent quantity must equal
that too. SymPy proving every difference zero makes the line ``proved``; a difference at an exact
point makes it ``failed`` (with the point); otherwise ``undecided``. An operation that never reads
the line it is given (``lambda _: …``) cannot show that this line follows from the last: the line
is ``undecided`` whatever it says. The first line is the starting ``definition`` (it has no
operation); a ``computed`` line is SymPy's own output and is shown as such, not counted as a proof.
"""

from __future__ import annotations

import dis
from dataclasses import dataclass
from typing import Callable

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
    note: str = ""  # why a line is not proved, when that is not a counterexample

    def to_json(self) -> dict:
        return {"why": self.why, "expr": str(self.expr), "latex": sympy.latex(self.expr),
                "status": self.status, "counterexample": self.counterexample, "note": self.note}


IGNORES_PREVIOUS = "the step's operation ignores the previous line: nothing shows this line follows from it"
OPERATION_ON_DEFINITION = "the first line is a definition: it has no previous line for an operation to act on"


def reads_its_argument(op: Callable) -> bool:
    """Whether ``op`` ever reads its first parameter (its bytecode loads it, here or in a nested
    function); ``lambda _: x**2`` does not. A callable that is not plain Python code counts as reading."""
    code = getattr(op, "__code__", None)
    if code is None or code.co_argcount == 0:
        return code is None
    name = code.co_varnames[0]
    if name in code.co_cellvars:  # read by a nested function or comprehension
        return True
    for instruction in dis.get_instructions(code):
        if instruction.opname.startswith("LOAD_FAST"):
            names = instruction.argval if isinstance(instruction.argval, tuple) else (instruction.argval,)
            if name in names:
                return True
    return False


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
        elif previous is None and step.op is None and step.equals is None:
            results.append(StepResult(step.why, line, "definition"))
        elif previous is None and step.op is not None:
            results.append(StepResult(step.why, line, "undecided", note=OPERATION_ON_DEFINITION))
        elif step.op is not None and not reads_its_argument(step.op):
            results.append(StepResult(step.why, line, "undecided", note=IGNORES_PREVIOUS))
        else:
            results.append(_check_line(claim, step, line, previous, seed))
        previous = line
    return results


def _check_line(claim: Claim, step, line: sympy.Expr, previous: sympy.Expr | None, seed: int) -> StepResult:
    """The line against the previous one (through ``op``), and against ``equals`` when given; a
    definition (no previous line) with ``equals`` is checked against that alone."""
    written = claim.expand_defined(line)
    expectations = [] if previous is None else [claim.expand_defined(step.op(previous) if step.op else previous)]
    if step.equals is not None:
        expectations.append(claim.expand_defined(step.equals))
    proved = True
    for expected in expectations:
        variables = step_variables(claim, expected, written)
        _, difference = symbolic.compare_at_points(
            written, expected, symbolic.random_points(variables, symbolic.EVAL_POINTS, seed))
        if difference is not None:
            return StepResult(step.why, line, "failed", difference.to_json())
        proved = proved and symbolic.proves_equal(written, expected, variables)
    return StepResult(step.why, line, "proved" if proved else "undecided")


def symbolic_status(steps: list[StepResult]) -> str:
    """``failed`` if a line is shown wrong, ``undecided`` if one is not proved, else ``proved``."""
    statuses = {s.status for s in steps}
    if "failed" in statuses:
        return "failed"
    return "undecided" if "undecided" in statuses else "proved"
