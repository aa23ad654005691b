"""Verification of a claim: derivation, numeric route, wrong variants, sources.

A claim is ``verified`` when every derivation step is proved by SymPy, the derived target
passes the independent numeric route, and every wrong variant is rejected by both the
checker and the numeric route. It has ``failed`` when a step is shown wrong, the numeric
route rejects the target, or a wrong variant gets through either check (a check that
cannot fail is a defect). Anything else is ``inconclusive``. Sources are compared with the
target and reported (``matches`` / ``disagrees`` / ``not_comparable``); a disagreeing source is
an erratum, not a failure of the claim.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import sympy

from derivspec import symbolic
from derivspec.checker import compare, compare_expressions
from derivspec.claims import POSITIVE, REAL, Claim, Source, Var
from numerics.checks import NumericContext, NumericResult


@dataclass
class StepResult:
    why: str
    expr: sympy.Expr
    status: str  # proved | failed | undecided | definition
    counterexample: dict | None = None

    def to_json(self) -> dict:
        return {"why": self.why, "expr": str(self.expr), "latex": sympy.latex(self.expr),
                "status": self.status, "counterexample": self.counterexample}


def _step_variables(claim: Claim, *exprs: sympy.Expr) -> list[Var]:
    """Claim variables plus any helper symbols a derivation line uses (e.g. a residual r)."""
    known = {v.symbol for v in claim.variables}
    extra = set().union(*(sympy.sympify(e).free_symbols for e in exprs)) - known
    helpers = [Var(str(s), str(s), POSITIVE if s.is_positive else REAL) for s in sorted(extra, key=str)]
    return list(claim.variables) + helpers


def check_derivation(claim: Claim, seed: int = 0) -> list[StepResult]:
    results = []
    previous = None
    for step in claim.derivation:
        if previous is None and step.op is None:
            results.append(StepResult(step.why, step.expr, "definition"))
            previous = step.expr
            continue
        expected = claim.expand_defined(step.op(previous) if step.op else previous)
        written = claim.expand_defined(step.expr)
        variables = _step_variables(claim, expected, written)
        max_diff, difference = symbolic.compare_at_points(
            written, expected, symbolic.random_points(variables, symbolic.EVAL_POINTS, seed))
        if difference is not None:
            results.append(StepResult(step.why, step.expr, "failed", difference.to_json()))
        else:
            proved = symbolic.proves_equal(written, expected, variables)
            results.append(StepResult(step.why, step.expr, "proved" if proved else "undecided"))
        previous = step.expr
    return results


@dataclass
class SourceResult:
    source: Source
    status: str  # matches | disagrees | not_comparable
    correct: str = ""
    evidence: str = ""

    def to_json(self) -> dict:
        return {"file": self.source.file, "lines": self.source.lines, "as_written": self.source.as_written,
                "status": self.status, "note": self.source.note, "correct": self.correct,
                "evidence": self.evidence}


def _at(claim: Claim, source: Source) -> dict[sympy.Symbol, sympy.Expr]:
    symbols = {**claim.symbols, **{v.name: v.symbol for v in claim.variables}}
    names = {str(s): s for s in symbols.values()}
    return {names.get(k, sympy.Symbol(k, real=True)): sympy.sympify(v) for k, v in source.at.items()}


def _describe_point(point: dict) -> str:
    return ", ".join(f"{k}={v}" for k, v in point.items())


def compare_source(claim: Claim, source: Source, seed: int = 0) -> SourceResult:
    result = _compare_source(claim, source, seed)
    if source.correct and result.status == "disagrees":
        result.correct = source.correct
    return result


def _compare_source(claim: Claim, source: Source, seed: int) -> SourceResult:
    if source.behaviour is not None:
        holds, evidence = source.behaviour()
        return SourceResult(source, "matches" if holds else "disagrees", source.correct, evidence)
    at = _at(claim, source)
    target = claim.expand_defined(claim.target).subs(at)
    where = f" at {_describe_point(source.at)}" if source.at else ""
    correct = f"{claim.statement}{where} = {sympy.latex(target)}"
    if source.value is not None:
        if source.unit == "bits":
            target = target / sympy.log(2)
            where += " (in bits)"
        exact = sympy.N(target, 30)
        half_unit = 0.5 * 10 ** -source.decimals
        error = abs(float(exact) - source.value)
        correct = f"{claim.statement}{where} = {float(exact):.{source.decimals}f} (exactly {sympy.N(target, 10)})"
        if error <= half_unit + 1e-12:
            return SourceResult(source, "matches", correct)
        return SourceResult(source, "disagrees", correct,
                            f"the target{where} is {sympy.N(target, 8)}; the source's {source.value} is off by "
                            f"{error:.2g}, more than the rounding half-unit {half_unit:g} of a {source.decimals}-decimal value")
    if source.expr is None:
        return SourceResult(source, "not_comparable", evidence=source.note)
    written = source.expr.subs(at)
    mapped = claim.expand_defined(source.to_target(written) if source.to_target else written)
    variables = [v for v in claim.variables if v.symbol not in at]
    if source.relation == "equals":
        outcome = compare_expressions(mapped, target, variables, seed=seed)
        if outcome.symbolic == "proved_equal":
            return SourceResult(source, "matches", correct)
        if outcome.symbolic == "proved_different":
            d = outcome.counterexample
            return SourceResult(source, "disagrees", correct,
                                f"at {_describe_point(d.point)} the source gives {d.candidate}, the derivation {d.expected}")
        return SourceResult(source, "not_comparable", correct, outcome.reason)
    if source.relation in ("proportional", "affine", "offset"):
        return _compare_up_to_scale(claim, source, mapped, target, variables, correct, seed)
    raise ValueError(f"unknown relation {source.relation!r} in a source of {claim.id}")


def _compare_up_to_scale(claim, source, mapped, target, variables, correct, seed) -> SourceResult:
    """``proportional``: target = a*mapped; ``affine``: target = a*mapped + b with a > 0;
    ``offset``: target = mapped + b; a and b free of the symbols ``free_of``."""
    free_of = [claim.symbols[name] for name in source.free_of]
    if source.relation == "offset":
        scale = sympy.Integer(1)
    else:
        pivot = next(s for s in free_of if mapped.has(s))
        scale = symbolic.tidy(sympy.diff(target, pivot) / sympy.diff(mapped, pivot))
    offset = symbolic.tidy(target - scale * mapped)
    if source.relation == "proportional":
        parts = {"ratio": symbolic.tidy(target / mapped)}
    elif source.relation == "offset":
        parts = {"offset": offset}
    else:
        parts = {"scale": scale, "offset": offset}
    affine_text = f"{claim.statement} = {sympy.latex(scale)} \\cdot ({sympy.latex(mapped)}) + {sympy.latex(offset)}"
    for name, part in parts.items():
        for s in free_of:
            derivative = sympy.diff(part, s)
            if symbolic.proves_equal(derivative, sympy.Integer(0), _step_variables(claim, derivative)):
                continue
            points = symbolic.random_points(_step_variables(claim, part), 2, seed)
            values = [part.evalf(8, subs=pt) for pt in points]
            what = "target / as written" if name == "ratio" else f"the {name}"
            return SourceResult(source, "disagrees", affine_text,
                                f"{what} is not constant in {s}: {values[0]} at "
                                f"{_describe_point(points[0])} but {values[1]} at {_describe_point(points[1])}")
    if source.relation == "affine":
        sign_points = symbolic.random_points(_step_variables(claim, scale), symbolic.EVAL_POINTS, seed)
        if any(scale.evalf(15, subs=pt) <= 0 for pt in sign_points):
            return SourceResult(source, "disagrees", affine_text,
                                f"the scale {sympy.latex(scale)} is not positive: minimising one maximises the other")
    return SourceResult(source, "matches", affine_text)


@dataclass
class VariantResult:
    name: str
    expr: sympy.Expr
    checker_verdict: str
    numeric_passed: bool
    counterexample: dict | None

    @property
    def rejected(self) -> bool:
        return self.checker_verdict == "not_equivalent" and not self.numeric_passed

    def to_json(self) -> dict:
        return {"name": self.name, "expr": str(self.expr), "checker": self.checker_verdict,
                "numeric_rejected": not self.numeric_passed, "rejected": self.rejected,
                "counterexample": self.counterexample}


@dataclass
class ClaimReport:
    claim: Claim
    steps: list[StepResult]
    numeric: NumericResult
    variants: list[VariantResult]
    sources: list[SourceResult]
    seconds: float = 0.0
    problems: list[str] = field(default_factory=list)

    @property
    def symbolic(self) -> str:
        statuses = {s.status for s in self.steps}
        if "failed" in statuses:
            return "failed"
        return "undecided" if "undecided" in statuses else "proved"

    @property
    def status(self) -> str:
        if self.problems or self.symbolic == "failed" or not self.numeric.passed:
            return "failed"
        if any(v.checker_verdict == "equivalent" or v.numeric_passed for v in self.variants):
            return "failed"
        if self.symbolic == "proved" and all(v.rejected for v in self.variants):
            return "verified"
        return "inconclusive"

    def to_json(self) -> dict:
        return {
            "claim": self.claim.id,
            "status": self.status,
            "symbolic": self.symbolic,
            "numeric": self.numeric.to_json(),
            "wrong_variants": [v.to_json() for v in self.variants],
            "derivation": [s.to_json() for s in self.steps],
            "sources": [s.to_json() for s in self.sources],
            "problems": self.problems,
            "seconds": round(self.seconds, 3),
        }


def verify_claim(claim: Claim, ctx: NumericContext) -> ClaimReport:
    start = time.perf_counter()
    problems = []
    extra = claim.expand_defined(claim.target).free_symbols - {v.symbol for v in claim.variables}
    if extra:
        problems.append(f"target uses symbols that are not claim variables: {sorted(map(str, extra))}")
    steps = check_derivation(claim, ctx.seed)
    numeric = claim.numeric(claim.target, claim, ctx)
    variants = []
    for variant in claim.wrong_variants:
        verdict = compare(claim, variant.expr, seed=ctx.seed)
        variant_numeric = claim.numeric(variant.expr, claim, ctx)
        variants.append(VariantResult(variant.name, variant.expr, verdict.verdict, variant_numeric.passed,
                                      verdict.counterexample.to_json() if verdict.counterexample else None))
    sources = [compare_source(claim, source, ctx.seed) for source in claim.sources]
    return ClaimReport(claim, steps, numeric, variants, sources, time.perf_counter() - start, problems)
