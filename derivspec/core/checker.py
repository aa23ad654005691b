"""The formula checker behind ``derivspec check``.

A candidate is compared with the claim's derived target: first exactly at points covering the
variables' declared domains (a difference there, confirmed at higher precision, is a
counterexample and proves the candidate wrong), then symbolically (SymPy reducing the
difference to zero with rewrites valid on the whole domain proves it right; a difference that
simplifies to a nonzero constant proves it wrong). If neither happens the verdict is
``inconclusive`` -- fail closed, never a pass.

:func:`run_check` runs one whole check (reading, validating ``--at``, comparing) under the
per-check time limit ``CHECK_SECONDS`` and, where the platform allows, in a forked process with
a memory limit, so that no input can hang the command or exhaust the machine
(``docs/check.md``).
"""

from __future__ import annotations

import json
import math
import os
import re
import select
import signal
import sys
import time
import traceback
from dataclasses import dataclass, field
from typing import Callable, Mapping

import sympy

from derivspec.core import limits, notation, symbolic
from derivspec.core.claims import Claim
from derivspec.core.errors import DerivspecError, FormulaError, ParameterError
from derivspec.core.formula import FUNCTIONS, check_text, exact_number, parse_formula
from derivspec.core.latex import formula_names, parse_latex_sides, split_sides
from derivspec.core.notation import Notation, Structure

RoleFinder = Callable[[Claim, str], Structure | None]
"""Finds the roles a pasted formula's left-hand side plays in a claim's result (or None)."""

CHECK_SECONDS = 30.0  # the per-check time limit (reading + evaluation + proof)
GRACE_SECONDS = 3.0  # the forked check is killed this long after CHECK_SECONDS
MEMORY_BYTES = 2 * 1024 ** 3  # address space a forked check may add to its parent's
EVALUATION_SHARE = 0.4  # of the time limit, at most this much goes to the exact points


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
    evaluated: int = 0  # points where both sides have a value
    skipped: int = 0  # points skipped: a side undefined there, or a difference not confirmed
    notes: list[str] = field(default_factory=list)
    notation: Notation | None = None  # the user's letters for the claim's variables, when used
    slip: str | None = None  # the registered wrong variant the candidate is proved equal to

    def to_json(self) -> dict:
        return {
            "claim": self.claim,
            "verdict": self.verdict,
            "parsed": str(self.parsed),
            "expected": str(self.expected),
            "symbolic": self.symbolic,
            "numeric": {
                "points": self.points,
                "evaluated": self.evaluated,
                "skipped": self.skipped,
                "max_abs_diff": None if self.max_abs_diff is None or not math.isfinite(self.max_abs_diff) else self.max_abs_diff,
                "counterexample": self.counterexample.to_json() if self.counterexample else None,
            },
            "reason": self.reason,
            "notes": list(self.notes),
            "mapping": self.notation.to_json() if self.notation else None,
            "slip": self.slip,
        }


# --- reading ----------------------------------------------------------------------------

@dataclass
class Reading:
    """What a candidate text says: the expressions to check (the right-hand side last) and
    notes on what was read differently from the plain text (labels, equation numbers)."""

    sides: list[tuple[str, sympy.Expr]]
    notes: list[str] = field(default_factory=list)

    @property
    def candidate(self) -> sympy.Expr:
        return self.sides[-1][1]


_latex_names = notation.latex_names


def read_candidates(claim: Claim, formula: str | None = None, latex: str | None = None,
                    names: Mapping[str, sympy.Symbol] | None = None) -> Reading:
    """The candidate text as SymPy reads it, in the claim's symbols.

    A pasted ``LHS = RHS`` (or a chain ``A = B = C``) is checked by its right-hand side; every
    other side that reads as a formula of the claim's symbols is checked too, and a side that
    does not (``\\text{KL}(\\ldots)``, ``\\tilde\\beta_t``, ``p(y)``) is a label: noted, not checked."""
    if (formula is None) == (latex is None):
        raise FormulaError("give exactly one of --formula or --latex")
    try:
        if formula is not None:
            reading = _read_formula_sides(claim, formula, names)
        else:
            sides, notes = parse_latex_sides(latex, names if names is not None else _latex_names(claim))
            reading = Reading(sides, notes)
    except RecursionError:
        raise FormulaError("formula is nested too deeply to read") from None
    except MemoryError:
        raise FormulaError("formula is too large to read") from None
    for text, expr in reading.sides:
        if expr.has(sympy.zoo, sympy.nan, sympy.oo, -sympy.oo):
            raise FormulaError(f"the formula {text!r} is undefined everywhere: it reads as {expr}")
    return reading


def read_candidate(claim: Claim, formula: str | None = None, latex: str | None = None) -> sympy.Expr:
    """The candidate (the right-hand side of a pasted equation) as SymPy reads it."""
    return read_candidates(claim, formula, latex).candidate


def _read_formula_sides(claim: Claim, text: str, names: Mapping[str, sympy.Symbol] | None = None) -> Reading:
    text = check_text(text)
    names = claim.symbols if names is None else names
    parts = split_sides(text, latex=False)
    if len(parts) == 1:
        return Reading([(text.strip(), parse_formula(text, names))])
    sides, notes = [], []
    for i, part in enumerate(parts):
        last = i == len(parts) - 1
        if last:
            sides.append((part.strip(), parse_formula(part, names)))
            continue
        applied = {m.group(1) for m in re.finditer(r"([A-Za-z_]\w*)\s*\(", part)}
        if applied - set(FUNCTIONS):  # p(y), KL(q, p): a function application names the quantity
            notes.append(f"left-hand side {part.strip()!r} read as a label (not checked)")
            continue
        try:
            sides.append((part.strip(), parse_formula(part, names)))
        except FormulaError:
            notes.append(f"left-hand side {part.strip()!r} read as a label (not checked)")
    return Reading(sides, notes)


def user_point(claim: Claim, assignments: Mapping[str, str]) -> dict[sympy.Symbol, sympy.Expr]:
    """Validate ``--at name=value`` against the variables' constraints (exit 2 when violated).

    Values are read exactly (``0.5``, ``1e-3``, ``1/3``) within the number limits of
    :func:`derivspec.core.formula.exact_number`."""
    point = {}
    variables = {v.name: v for v in claim.variables}
    for name, text in assignments.items():
        if name not in variables:
            raise ParameterError(f"unknown parameter {name!r} for claim {claim.id}; its variables are: {', '.join(variables)}")
        check_text(text, "value")
        var = variables[name]
        if text.strip().lower().lstrip("+-") in ("nan", "inf", "infinity", "oo"):
            raise ParameterError(
                f"expected parameter {name} to satisfy the constraint {name} {var.domain.constraint}, but found {text}")
        try:
            value = exact_number(text, f"parameter {name}=")
        except FormulaError as error:
            raise ParameterError(str(error).replace("parameter " + name + "= ", f"parameter {name}=")) from None
        if not var.domain.contains(value):
            raise ParameterError(
                f"expected parameter {name} to satisfy the constraint {name} {var.domain.constraint}, but found {text}")
        point[var.symbol] = value
    missing = [v.name for v in claim.variables if v.symbol not in point]
    if point and missing:
        raise ParameterError(f"--at must give every variable of {claim.id}; missing: {', '.join(missing)}")
    return point


# --- comparing --------------------------------------------------------------------------

def compare_expressions(candidate: sympy.Expr, expected: sympy.Expr, variables, *, seed: int = 0,
                        extra_points: list[dict] | None = None,
                        seconds: float = symbolic.SIMPLIFY_SECONDS) -> CheckResult:
    """Three-valued comparison of two expressions in ``variables`` (claim id left blank)."""
    points = (extra_points or []) + symbolic.evaluation_points(variables, symbolic.EVAL_POINTS, seed)
    outcome = None

    def result(verdict, symbolic_status, reason, difference=None):
        max_diff = outcome.max_abs_diff if outcome else None
        evaluated = outcome.evaluated if outcome else 0
        skipped = (outcome.undefined + outcome.unresolved) if outcome else 0
        return CheckResult("", verdict, candidate, expected, symbolic_status, len(points), max_diff,
                           difference, reason, evaluated, skipped)

    budget = symbolic.remaining_seconds()
    evaluation_seconds = seconds if budget is None else max(0.5, EVALUATION_SHARE * budget)
    try:
        with symbolic.time_limit(evaluation_seconds):
            outcome = symbolic.check_points(candidate, expected, points)
    except symbolic.SymPyTimeout:
        return result("inconclusive", "undecided",
                      f"exact evaluation at the points took over {evaluation_seconds:g} s (the time limit)")

    if outcome.difference is not None:
        d = outcome.difference
        return result("not_equivalent", "proved_different",
                      f"differs from the derived target at {d.point}: candidate {d.candidate}, target {d.expected}"
                      " (confirmed at 240 digits)", d)
    decision = symbolic.decide(candidate, expected, variables, seconds)
    if decision.status == "equal":
        return result("equivalent", "proved_equal", f"proved equal on the whole declared domain: {decision.how}")
    if decision.status == "different":
        return result("not_equivalent", "proved_different",
                      f"{decision.how}" + (f" (case {decision.case})" if decision.case else ""),
                      _constant_counterexample(candidate, expected, points))
    skipped = outcome.undefined + outcome.unresolved
    evidence = (f"agrees with the target at {outcome.evaluated} exact points (evidence, not proof)"
                if outcome.evaluated else "could not be evaluated at any of the exact points")
    if skipped:
        evidence += f"; {skipped} points skipped (a side undefined there, or a difference not confirmed at 240 digits)"
    return result("inconclusive", "undecided", f"{evidence} but SymPy {decision.how}")


def _constant_counterexample(candidate, expected, points):
    for point in points:
        got, want = symbolic.evaluate(candidate, point), symbolic.evaluate(expected, point)
        if got is not None and want is not None:
            diff = abs(complex(got - want))
            return symbolic.PointDifference({str(k): str(v) for k, v in point.items()},
                                            str(sympy.N(got, 12)), str(sympy.N(want, 12)), diff)
    return None


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


def compare_reading(claim: Claim, reading: Reading, *, seed: int = 0,
                    extra_points: list[dict] | None = None) -> CheckResult:
    """Every side of a reading against the target: not_equivalent if any side is shown
    different, equivalent if all are proved equal, else inconclusive."""
    results = [(text, compare(claim, expr, seed=seed, extra_points=extra_points)) for text, expr in reading.sides]
    final = results[-1][1]
    if len(results) > 1:
        for text, r in results[:-1]:
            if r.verdict == "not_equivalent" or (r.verdict == "inconclusive" and final.verdict == "equivalent"):
                r.reason = f"left-hand side {text!r}: {r.reason}"
                r.notes = final.notes
                final = r
                break
    final.notes = list(reading.notes) + final.notes
    return final


# --- the user's letters and the known slips --------------------------------------------

SCREEN_POINTS = 4  # exact points that rule an assignment or a slip out before any proof is tried
SLIP_SECONDS = 10.0  # at most this long looking for the known slip a wrong candidate is
_HINT = notation.HINT


def _differs_at_points(candidate: sympy.Expr, expected: sympy.Expr, points) -> bool:
    """A confirmed difference at one of ``points``: a screen (agreement there proves nothing)."""
    return symbolic.check_points(candidate, expected, points).difference is not None


def known_slip(claim: Claim, candidate: sympy.Expr, seed: int = 0) -> str | None:
    """The name of the claim's registered wrong variant that ``candidate`` is proved equal to
    (on the whole declared domain), or None; None also when the search runs out of time."""
    expanded = claim.expand_defined(candidate)
    try:
        with symbolic.time_limit(SLIP_SECONDS):
            points = symbolic.evaluation_points(claim.variables, SCREEN_POINTS, seed)
            for variant in claim.wrong_variants:
                wrong = claim.expand_defined(variant.expr)
                if _differs_at_points(expanded, wrong, points):
                    continue
                if symbolic.decide(expanded, wrong, claim.variables).status == "equal":
                    return variant.name
    except symbolic.SymPyTimeout:
        if symbolic.remaining_seconds() == 0:
            raise
    return None


def infer_notation(claim: Claim, latex: str, error: FormulaError, *, seed: int = 0,
                   extra_points: list[dict] | None = None, structure: Structure | None = None) -> CheckResult:
    """The check of a formula written in letters the claim does not know, under the assignment of
    those letters to the claim's variables that makes it provably equal to the claim's result.

    Every injective assignment (at most notation.MAX_ASSIGNMENTS) is read and screened at a few exact
    points; those that survive are checked in full, as with --symbols. One proved equal: its check.
    Several: the first, the others listed. None, but one assignment proved equal to a registered
    wrong variant: its (not equivalent) check, the slip named. Otherwise ``error`` with a hint.
    ``structure``: the roles a pasted left-hand side fixed; only the letters it leaves are tried."""
    fixed = notation.structure_mapping(claim, structure) if structure else {}
    try:
        unknown, used = formula_names(latex, notation.latex_table(claim, fixed) if fixed else _latex_names(claim))
    except FormulaError as unread:
        _family_hint(unread)
        raise
    if not unknown:
        raise error
    target = claim.expand_defined(claim.target)
    variants = [(v.name, claim.expand_defined(v.expr)) for v in claim.wrong_variants]
    points = symbolic.evaluation_points(claim.variables, SCREEN_POINTS, seed)
    near_target, near_variant, differing, tried = [], [], [], 0
    for tried_mapping in notation.assignments(claim, unknown, used, error, taken=frozenset(fixed.values())):
        mapping = {**fixed, **tried_mapping}
        tried += 1
        try:
            reading = read_candidates(claim, latex=latex, names=notation.latex_table(claim, mapping))
        except FormulaError:
            continue
        candidate = claim.expand_defined(reading.candidate)
        if not _differs_at_points(candidate, target, points):
            near_target.append((mapping, reading))
            continue
        differing.append(mapping)
        for name, wrong in variants:
            if not _differs_at_points(candidate, wrong, points):
                near_variant.append((mapping, reading, name, wrong))
    proved = []
    for mapping, reading in near_target:
        result = compare_reading(claim, reading, seed=seed, extra_points=extra_points)
        if result.verdict == "equivalent":
            proved.append((mapping, result))
    if proved:
        mapping, result = proved[0]
        others = [notation.pairs_of(claim, m) for m, _ in proved[1:]]
        result.notation = Notation(notation.pairs_of(claim, mapping), inferred=True, alternatives=others,
                                   structure=structure)
        if differing:  # which reading the user meant decides the verdict: never "equivalent" on a guess
            pairs = notation.show_pairs(notation.pairs_of(claim, mapping))
            given = ", ".join(f"{user}={name}" for user, name in notation.pairs_of(claim, mapping))
            result.verdict, result.symbolic = "inconclusive", "undecided"
            result.reason = (f"equivalent when your letters are read as {pairs}, but not under "
                             f"{notation.show_pairs(notation.pairs_of(claim, differing[0]))}: which reading is meant "
                             f"decides -- confirm it with --symbols '{given}'")
        return result
    if near_target:  # a reading agrees with the result at exact points but is not proved: no verdict either way
        unproved = notation.show_pairs(notation.pairs_of(claim, near_target[0][0]))
        raise FormulaError(f"{error}{_HINT} (under {unproved} your formula agrees with the claim's result at exact "
                           "points but is not proved; give --symbols to check that reading)")
    slips = [(mapping, reading, name) for mapping, reading, name, wrong in near_variant
             if symbolic.decide(claim.expand_defined(reading.candidate), wrong, claim.variables).status == "equal"]
    if len({name for _, _, name in slips}) == 1:
        mapping, reading, name = slips[0]
        result = compare_reading(claim, reading, seed=seed, extra_points=extra_points)
        if result.verdict == "not_equivalent":
            others = [notation.pairs_of(claim, m) for m, _, _ in slips[1:]]
            result.notation = Notation(notation.pairs_of(claim, mapping), inferred=True, alternatives=others,
                                       structure=structure)
            result.slip = name
            return result
    elif slips:
        found = "; ".join(f"{notation.show_pairs(notation.pairs_of(claim, m))} gives the slip '{n}'" for m, _, n in slips)
        raise FormulaError(f"{error}{_HINT} (readings of your letters give different known slips: {found})")
    unproved = "".join(f"; under {notation.show_pairs(notation.pairs_of(claim, m))} it agrees at exact points "
                       "but is not proved" for m, _ in near_target[:3])
    raise FormulaError(f"{error}{_HINT} (none of the {tried} assignments of your letters to the claim's "
                       f"variables is proved equal to its result or to a known slip{unproved})")


def _family_hint(error: FormulaError) -> None:
    """A sum over indexed letters the claim does not have: say how to map them."""
    if "no claim name" in str(error):
        raise FormulaError(f"{error}; to read your indexed letters as the claim's, map the family with --symbols "
                           "(e.g. 'a_i=x_i')") from None


def _check_with_symbols(claim: Claim, mapping: dict, groups: list, formula: str | None, latex: str | None, *,
                        seed: int, extra_points) -> CheckResult:
    if latex is not None:
        table = notation.latex_table(claim, mapping)
        _, used = formula_names(latex, table)
        notation.require_used(groups, used)
    else:
        table = notation.formula_table(claim, mapping)
        notation.require_used(groups, notation.formula_identifiers(check_text(formula or "")), latex=False)
    reading = read_candidates(claim, formula, latex, names=table)
    result = compare_reading(claim, reading, seed=seed, extra_points=extra_points)
    result.notation = Notation(notation.pairs_of(claim, mapping))
    return result


# --- one whole check, bounded -----------------------------------------------------------

def check(claim: Claim, *, formula: str | None = None, latex: str | None = None,
          at: Mapping[str, str] | None = None, seed: int = 0, seconds: float = CHECK_SECONDS,
          symbols: str | None = None, roles: RoleFinder | None = None) -> dict:
    """Read, validate and compare under the time limit; returns the JSON of the result.
    Bad input raises a DerivspecError; running out of time gives an inconclusive result.
    ``symbols`` (``--symbols``) maps the user's letters to the claim's. Without it, ``roles`` (the
    app passes scan's matching of known results, :func:`derivspec.scan.known.roles_of_left_side`)
    finds the roles a pasted left-hand side's names play in the claim's result; the letters it leaves
    unknown are read under an inferred mapping (:func:`infer_notation`)."""
    started = time.monotonic()
    mapping = given = structure = None
    if symbols is not None:
        if (formula is None) == (latex is None):
            raise FormulaError("give exactly one of --formula or --latex")
        mapping, groups = notation.parse_symbols(claim, symbols, latex=latex is not None)
        given = Notation(notation.pairs_of(claim, mapping))
    try:
        with symbolic.time_limit(seconds):
            if mapping is not None:
                point = user_point(claim, at or {})
                extra = [point] if point else None
                result = _check_with_symbols(claim, mapping, groups, formula, latex, seed=seed, extra_points=extra)
            else:
                structure = roles(claim, latex) if roles is not None and latex is not None else None
                fixed = notation.structure_mapping(claim, structure) if structure else {}
                try:
                    names = notation.latex_table(claim, fixed) if fixed else None
                    reading, unread = read_candidates(claim, formula, latex, names=names), None
                except FormulaError as error:
                    if latex is not None:
                        _family_hint(error)
                    if latex is None or "unknown symbol" not in str(error):
                        raise
                    reading, unread = None, error
                point = user_point(claim, at or {})
                extra = [point] if point else None
                if reading is not None:
                    result = compare_reading(claim, reading, seed=seed, extra_points=extra)
                    if structure:
                        result.notation = Notation(list(structure.pairs), structure=structure)
                else:
                    result = infer_notation(claim, latex, unread, seed=seed, extra_points=extra, structure=structure)
            if structure:
                result.notes = _without_label_of(result.notes, structure.written)
            if result.verdict == "not_equivalent" and result.slip is None:
                result.slip = known_slip(claim, result.parsed, seed)
            return result.to_json()
    except symbolic.SymPyTimeout:
        return _inconclusive(claim, f"the check took over its time limit of {seconds:g} s "
                                    f"({time.monotonic() - started:.1f} s)", read_with=given)
    except RecursionError:
        return _inconclusive(claim, "the formula is nested too deeply for SymPy", read_with=given)
    except MemoryError:
        return _inconclusive(claim, "the check ran out of memory", read_with=given)


def _without_label_of(notes: list[str], written: str) -> list[str]:
    """The notes less the one that calls the left-hand side ``written`` a label: its structure was matched
    (``mapping.matched``: "your left-hand side … is the claim's …"), so it was read, not passed over --
    the check says one thing about it."""
    plain = "".join(written.split())
    labels = [n for n in notes if n.startswith("left-hand side ") and n.endswith("read as a label (not checked)")]
    same = [n for n in labels if plain and plain in "".join(n.split())]
    dropped = same[:1] or labels[:1]
    return [n for n in notes if n not in dropped]


def _inconclusive(claim: Claim, reason: str, parsed: str = "", read_with: Notation | None = None) -> dict:
    return {"claim": claim.id, "verdict": "inconclusive", "parsed": parsed,
            "expected": str(claim.expand_defined(claim.target)), "symbolic": "undecided",
            "numeric": {"points": 0, "evaluated": 0, "skipped": 0, "max_abs_diff": None, "counterexample": None},
            "reason": reason, "notes": [], "mapping": read_with.to_json() if read_with else None, "slip": None}


def run_check(claim: Claim, *, formula: str | None = None, latex: str | None = None,
              at: Mapping[str, str] | None = None, seed: int = 0, seconds: float = CHECK_SECONDS,
              isolate: bool | None = None, symbols: str | None = None, roles: RoleFinder | None = None) -> dict:
    """:func:`check` in a forked child process with a memory limit (Linux, macOS), killed
    GRACE_SECONDS after the time limit if it has not finished: no input can hang the caller
    or exhaust memory, even inside C code that no signal interrupts (huge integer powers,
    allocations). Without fork (or with DERIVSPEC_DEBUG set) the check runs in-process."""
    claim.target  # build the derivation (trusted code) before the clock starts
    if isolate is None:
        isolate = hasattr(os, "fork") and not os.environ.get("DERIVSPEC_DEBUG")
    if not isolate:
        return check(claim, formula=formula, latex=latex, at=at, seed=seed, seconds=seconds, symbols=symbols,
                     roles=roles)
    sys.stdout.flush()
    sys.stderr.flush()
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: compute, write one JSON message, leave without cleanup
        os.close(read_end)
        code = 0
        try:
            symbolic._DEADLINES.clear()  # timers are not inherited across fork: start afresh
            signal.signal(signal.SIGALRM, signal.SIG_DFL)
            _limit_memory()
            try:
                message = {"result": check(claim, formula=formula, latex=latex, at=at, seed=seed, seconds=seconds,
                                           symbols=symbols, roles=roles)}
            except DerivspecError as error:
                message = {"error": str(error), "kind": type(error).__name__}
            except MemoryError:
                message = {"result": _inconclusive(claim, "the check ran out of memory "
                                                          f"(limit {MEMORY_BYTES // 1024 ** 3} GiB)")}
            except Exception as error:  # a defect: reported, never a traceback on the user's screen
                message = {"result": _inconclusive(claim, f"internal error: {type(error).__name__}: {error}"),
                           "traceback": traceback.format_exc()}
            data = json.dumps(message).encode("utf-8", "backslashreplace")
            view = memoryview(data)
            while view:
                view = view[os.write(write_end, view):]
        except BaseException:
            code = 1
        finally:
            os._exit(code)
    os.close(write_end)
    return _collect(claim, pid, read_end, seconds)


def _limit_memory() -> None:
    try:
        import resource
    except ImportError:
        return
    try:
        with open("/proc/self/statm") as statm:
            current = int(statm.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError):
        current = 0
    limit = current + MEMORY_BYTES
    try:
        soft, hard = resource.getrlimit(resource.RLIMIT_AS)
        if hard != resource.RLIM_INFINITY:
            limit = min(limit, hard)
        resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
    except (ValueError, OSError):
        pass


def _collect(claim: Claim, pid: int, read_end: int, seconds: float) -> dict:
    deadline = time.monotonic() + limits.scaled(seconds) + GRACE_SECONDS
    chunks = []
    killed = False
    try:
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                os.kill(pid, signal.SIGKILL)
                killed = True
                break
            ready, _, _ = select.select([read_end], [], [], min(left, 1.0))
            if ready:
                chunk = os.read(read_end, 1 << 16)
                if not chunk:
                    break
                chunks.append(chunk)
    finally:
        os.close(read_end)
        try:
            _, status = os.waitpid(pid, 0)
        except ChildProcessError:
            status = 0
    if killed:
        return _inconclusive(claim, f"the check took over its time limit of {seconds:g} s and was stopped")
    try:
        message = json.loads(b"".join(chunks).decode("utf-8"))
    except (ValueError, UnicodeDecodeError):
        how = (f"was killed by signal {os.WTERMSIG(status)}" if os.WIFSIGNALED(status)
               else f"exited with status {os.WEXITSTATUS(status)}")
        return _inconclusive(claim, f"the check process {how} (memory limit {MEMORY_BYTES // 1024 ** 3} GiB "
                                    f"above start-up, time limit {seconds:g} s)")
    if "error" in message:
        kinds = {"ParameterError": ParameterError}
        raise kinds.get(message["kind"], FormulaError)(message["error"])
    if os.environ.get("DERIVSPEC_DEBUG") and message.get("traceback"):
        sys.stderr.write(message["traceback"])
    return message["result"]
