"""Comparing what a source wrote with the claim's derived target.

Relations (:class:`derivspec.core.claims.Source`): ``equals``, ``proportional``, ``affine``,
``offset`` and worked ``value`` s; a behaviour source is run by a check the numerics layer
registers, passed in as ``run_behaviour``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import sympy

from derivspec.core import symbolic
from derivspec.core.checker import compare_expressions
from derivspec.core.claims import Claim, Source
from derivspec.core.derivation import step_variables
from derivspec.core.lecture_form import tidy_latex
from derivspec.core.numbers import fmt


@dataclass
class SourceResult:
    source: Source
    status: str  # matches | disagrees | not_comparable (| not_run: a behaviour source outside verify)
    correct: str = ""
    evidence: str = ""

    def to_json(self) -> dict:
        return {"file": self.source.file, "lines": list(self.source.span), "as_written": self.source.as_written,
                "status": self.status, "note": self.source.note, "correct": self.correct,
                "evidence": self.evidence}


def _at(claim: Claim, source: Source) -> dict[sympy.Symbol, sympy.Expr]:
    symbols = {**claim.symbols, **{v.name: v.symbol for v in claim.variables}}
    names = {str(s): s for s in symbols.values()}
    return {names.get(k, sympy.Symbol(k, real=True)): sympy.sympify(v) for k, v in source.at.items()}


def _describe_point(point: dict) -> str:
    return ", ".join(f"{k}={v}" for k, v in point.items())


def compare_source(claim: Claim, source: Source, seed: int = 0,
                   run_behaviour: Callable[[Claim, Source], tuple[bool, str]] | None = None) -> SourceResult:
    """Compare a source with the claim's target. A behaviour source needs ``run_behaviour``
    (the app passes the numerics layer's runner); without it its status is ``not_run``."""
    result = _compare_source(claim, source, seed, run_behaviour)
    if source.correct and result.status == "disagrees":
        result.correct = source.correct
    return result


def _compare_source(claim: Claim, source: Source, seed: int, run_behaviour) -> SourceResult:
    if source.behaviour is not None:
        if run_behaviour is None:
            return SourceResult(source, "not_run", evidence=f"behaviour check {source.behaviour}: run by `derivspec verify`")
        holds, evidence = run_behaviour(claim, source)
        return SourceResult(source, "matches" if holds else "disagrees", source.correct, evidence)
    at = _at(claim, source)
    target = claim.expand_defined(claim.target).subs(at)
    where = f" at {_describe_point(source.at)}" if source.at else ""
    correct = f"{claim.statement}{where} = {tidy_latex(sympy.latex(target))}"
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
                            f"{fmt(error, '.2g')}, more than the rounding half-unit {fmt(half_unit, 'g')} of a {source.decimals}-decimal value")
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


ROUNDING_UNITS = 2  # a worked value within this many units of its last decimal is a rounding slip


def erratum_class(claim: Claim, source: Source) -> tuple[str, str]:
    """(category, severity) of a source that disagrees: as the source states them, else from the
    relation -- a worked ``value`` within ``ROUNDING_UNITS`` units of its last decimal is
    ``rounding``, a larger miss a ``worked number``; a behaviour source is an ``over-general
    statement``; a formula compared by ``equals``/``proportional``/``affine``/``offset`` is a
    ``formula``. Severity (``ERRATUM_SEVERITIES``): rounding is ``imprecise``, a notation/index slip
    ``notation``, the rest ``error`` unless the source says it holds under a reading."""
    category, severity = source.category, source.severity
    if not category:
        if source.behaviour is not None:
            category = "over-general statement"
        elif source.value is not None:
            target = claim.expand_defined(claim.target).subs(_at(claim, source))
            if source.unit == "bits":
                target = target / sympy.log(2)
            error = abs(float(sympy.N(target, 30)) - source.value)
            category = "rounding" if error <= ROUNDING_UNITS * 10 ** -source.decimals + 1e-12 else "worked number"
        else:
            category = "formula"
    if not severity:
        severity = {"rounding": "imprecise", "notation/index": "notation"}.get(category, "error")
    return category, severity


def _scaled_text(scale, mapped, offset) -> str:
    r"""``scale \cdot (mapped) + offset`` as a lecture writes it: no ``1 \cdot``, no ``+ 0``."""
    def tex(expr) -> str:
        return tidy_latex(sympy.latex(expr))

    text = tex(mapped) if scale == 1 else f"{tex(scale)} \\cdot ({tex(mapped)})"
    if offset != 0:
        text += f" - {tex(-offset)}" if offset.could_extract_minus_sign() else f" + {tex(offset)}"
    return text


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
    affine_text = f"{claim.statement} = {_scaled_text(scale, mapped, offset)}"
    for name, part in parts.items():
        for s in free_of:
            derivative = sympy.diff(part, s)
            if symbolic.proves_equal(derivative, sympy.Integer(0), step_variables(claim, derivative)):
                continue
            points = symbolic.random_points(step_variables(claim, part), 2, seed)
            values = [part.evalf(8, subs=pt) for pt in points]
            what = "target / as written" if name == "ratio" else f"the {name}"
            return SourceResult(source, "disagrees", affine_text,
                                f"{what} is not constant in {s}: {values[0]} at "
                                f"{_describe_point(points[0])} but {values[1]} at {_describe_point(points[1])}")
    if source.relation == "affine":
        sign_points = symbolic.random_points(step_variables(claim, scale), symbolic.EVAL_POINTS, seed)
        if any(scale.evalf(15, subs=pt) <= 0 for pt in sign_points):
            return SourceResult(source, "disagrees", affine_text,
                                f"the scale {sympy.latex(scale)} is not positive: minimising one maximises the other")
    return SourceResult(source, "matches", affine_text)
