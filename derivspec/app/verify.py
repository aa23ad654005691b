"""Verification of a claim: derivation, numeric routes, wrong variants, sources.

A claim is ``verified`` when every derivation step is proved (or computed), the derived target
passes every numeric route registered for it, and every wrong variant is rejected by the
checker and by a numeric route. It has ``failed`` when a step is shown wrong, a route rejects
the target, or a wrong variant gets through the checker or every route (a check that cannot
fail is a defect). Anything else is ``inconclusive`` -- including an exception inside a step, a
route, a source comparison or a wrong-variant check, which is reported with its reason while
every other claim still runs. Sources are compared with the target and reported
(``matches`` / ``disagrees`` / ``not_comparable``); a disagreeing source is an erratum, not a
failure of the claim.
"""

from __future__ import annotations

import multiprocessing
import os
import sys
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from typing import Callable, Iterable

import sympy

from derivspec.core.catalogue import cached_source, source_entry
from derivspec.core.checker import compare
from derivspec.core.claims import Claim
from derivspec.core.derivation import StepResult, check_derivation, symbolic_status
from derivspec.core.lectures import cite
from derivspec.core.registry import REGISTRY, Registry, RouteRecord
from derivspec.core.sources import SourceResult, compare_source
from derivspec.numerics.loading import import_routes, load_for
from derivspec.numerics.results import NumericContext, NumericResult

# torch comes with a claim's first numeric check (derivspec.numerics.loading), not with this module


def describe_error(where: str, error: BaseException) -> str:
    """One line: ``route kl_by_torch raised ZeroDivisionError: division by zero``; a route that
    cannot decide says so: ``route conditional_mean_by_quadrature is inconclusive: ...``."""
    message = " ".join(str(error).split())
    accuracy = sys.modules.get("derivspec.numerics.accuracy")  # not imported: no route has run (nor raised this)
    if accuracy is not None and isinstance(error, accuracy.RouteInconclusive):
        return f"{where} is inconclusive: {message[:300]}"
    return f"{where} raised {type(error).__name__}" + (f": {message[:300]}" if message else "")


@dataclass
class RouteOutcome:
    """One route run on one expression: its result, or the error it raised."""

    route: RouteRecord
    result: NumericResult | None = None
    error: str | None = None

    @property
    def passed(self) -> bool | None:
        return None if self.result is None else self.result.passed

    def to_json(self) -> dict:
        out = {"route": self.route.name, "kind": self.route.kind, "description": self.route.description}
        if self.error:
            out["error"] = self.error
        else:
            out.update(self.result.to_json())
        return out


def run_route(route: RouteRecord, expr: sympy.Expr, claim: Claim, ctx: NumericContext) -> RouteOutcome:
    try:
        return RouteOutcome(route, result=route.run(expr, claim, ctx))
    except Exception as error:  # fault isolation: the claim becomes inconclusive, the run goes on
        return RouteOutcome(route, error=describe_error(f"route {route.name}", error))


@dataclass
class VariantResult:
    name: str
    expr: sympy.Expr
    checker_verdict: str  # equivalent | not_equivalent | inconclusive | error
    routes: list[RouteOutcome]
    counterexample: dict | None = None
    error: str | None = None

    @property
    def numeric_rejected(self) -> bool:
        return any(r.passed is False for r in self.routes)

    @property
    def accepted(self) -> bool:
        """Got through a check: the checker calls it equivalent, or every route ran and passed it."""
        ran = [r for r in self.routes if r.passed is not None]
        return self.checker_verdict == "equivalent" or (bool(ran) and len(ran) == len(self.routes)
                                                         and all(r.passed for r in ran))

    @property
    def rejected(self) -> bool:
        return self.checker_verdict == "not_equivalent" and self.numeric_rejected

    def to_json(self) -> dict:
        rejecting = next((r.route.name for r in self.routes if r.passed is False), None)
        return {"name": self.name, "expr": str(self.expr), "checker": self.checker_verdict,
                "numeric_rejected": self.numeric_rejected, "rejected_by": rejecting, "rejected": self.rejected,
                "counterexample": self.counterexample, "error": self.error}


def combined_numeric(outcomes: list[RouteOutcome]) -> NumericResult:
    """The routes of the target as one result: passes only if every route ran and passed."""
    results = [o.result for o in outcomes if o.result is not None]
    failure = next((r for r in results if not r.passed), None)
    shown = failure or (results[0] if results else NumericResult(False, "no route ran"))
    return NumericResult(
        passed=bool(results) and failure is None and len(results) == len(outcomes),
        method=" + ".join(o.route.description for o in outcomes),
        points=shown.points, max_abs_diff=shown.max_abs_diff, counterexample=shown.counterexample,
        monte_carlo=next((r.monte_carlo for r in results if r.monte_carlo), None),
        detail="; ".join(f"{o.route.name}: " + (o.error if o.error else
                                                 f"{'ok' if o.passed else 'FAILED'} ({o.result.detail})")
                         for o in outcomes),
        seconds=sum(r.seconds for r in results))


@dataclass
class ClaimReport:
    claim_id: str
    claim: Claim | None
    steps: list[StepResult] = field(default_factory=list)
    routes: list[RouteOutcome] = field(default_factory=list)
    variants: list[VariantResult] = field(default_factory=list)
    sources: list[SourceResult] = field(default_factory=list)
    seconds: float = 0.0
    problems: list[str] = field(default_factory=list)  # defects found: the claim has failed
    errors: list[str] = field(default_factory=list)  # exceptions: the claim is inconclusive

    @property
    def symbolic(self) -> str:
        return symbolic_status(self.steps) if self.steps else "undecided"

    @property
    def numeric(self) -> NumericResult:
        return combined_numeric(self.routes)

    @property
    def status(self) -> str:
        target_rejected = any(r.passed is False for r in self.routes)
        if self.problems or self.symbolic == "failed" or target_rejected or any(v.accepted for v in self.variants):
            return "failed"
        if self.errors or self.symbolic != "proved" or not self.numeric.passed:
            return "inconclusive"
        return "verified" if all(v.rejected for v in self.variants) else "inconclusive"

    @property
    def reason(self) -> str:
        """Why the claim is not verified (empty when it is)."""
        if self.status == "verified":
            return ""
        reasons = self.problems + self.errors
        if self.symbolic != "proved":
            reasons.append(f"derivation {self.symbolic}")
        reasons += [f"route {r.route.name} rejects the target ({r.result.detail})" for r in self.routes if r.passed is False]
        reasons += [f"wrong variant '{v.name}' got through" for v in self.variants if v.accepted]
        reasons += [f"wrong variant '{v.name}' not rejected (checker {v.checker_verdict})"
                    for v in self.variants if not v.accepted and not v.rejected and not v.error]
        return "; ".join(reasons)

    def to_json(self) -> dict:
        return {
            "claim": self.claim_id,
            "status": self.status,
            "reason": self.reason,
            "symbolic": self.symbolic,
            "numeric": self.numeric.to_json(),
            "routes": [r.to_json() for r in self.routes],
            "wrong_variants": [v.to_json() for v in self.variants],
            "derivation": [s.to_json() for s in self.steps],
            "sources": [s.to_json() for s in self.sources],
            "problems": self.problems,
            "errors": self.errors,
            "seconds": round(self.seconds, 3),
        }


def verify_claim(claim_id: str, ctx: NumericContext, registry: Registry = REGISTRY,
                 statuses=None) -> ClaimReport:
    """Every check of one claim; an exception in any part is caught and reported. ``statuses``: a source status
    cache (derivspec.core.catalogue.open_cache) whose statuses of the claim's symbolic sources at this seed are
    taken instead of computed again (the report's, after its scan page compared them); behaviour sources run."""
    start = time.perf_counter()
    load_for([claim_id], registry)  # the modules of this claim's routes (every module without a route index)
    try:
        claim = registry.get(claim_id)
    except Exception as error:
        return ClaimReport(claim_id, None, errors=[describe_error(f"building claim {claim_id}", error)],
                           seconds=time.perf_counter() - start)
    report = ClaimReport(claim.id, claim)
    report.errors += [f"registry: {message}" for message in registry.claim_problems(claim.id, claim)]
    try:
        extra = claim.expand_defined(claim.target).free_symbols - {v.symbol for v in claim.variables}
        if extra:
            report.problems.append(f"target uses symbols that are not claim variables: {sorted(map(str, extra))}")
        report.steps = check_derivation(claim, ctx.seed)
    except Exception as error:
        report.errors.append(describe_error("the derivation", error))
    routes = registry.routes_for(claim.id)
    try:
        target = claim.target
        report.routes = [run_route(route, target, claim, ctx) for route in routes]
    except Exception as error:
        report.errors.append(describe_error("the target", error))
    report.errors += [o.error for o in report.routes if o.error]
    for variant in claim.wrong_variants:
        report.variants.append(check_variant(claim, variant, routes, ctx))
    report.errors += [v.error for v in report.variants if v.error]
    for index, source in enumerate(claim.sources):
        known = None if statuses is None or source.behaviour else cached_source(statuses, claim.id, index, source, ctx.seed)
        if known is not None:
            report.sources.append(known)
            continue
        try:
            report.sources.append(compare_source(claim, source, ctx.seed,
                                                 run_behaviour=lambda c, s: registry.behaviour(c.id, s.behaviour).run(c, s)))
        except Exception as error:
            what = f"source {cite(source.file, source.lines)}" + (f" (behaviour {source.behaviour})" if source.behaviour else "")
            message = describe_error(what, error)
            report.errors.append(message)
            report.sources.append(SourceResult(source, "not_comparable", evidence=message))
    report.seconds = time.perf_counter() - start
    return report


def check_variant(claim: Claim, variant, routes: list[RouteRecord], ctx: NumericContext) -> VariantResult:
    """The checker's verdict on a wrong variant, and the routes run until one rejects it."""
    result = VariantResult(variant.name, variant.expr, "error", [])
    try:
        verdict = compare(claim, variant.expr, seed=ctx.seed)
        result.checker_verdict = verdict.verdict
        result.counterexample = verdict.counterexample.to_json() if verdict.counterexample else None
    except Exception as error:
        result.error = describe_error(f"the checker on wrong variant '{variant.name}'", error)
    for route in routes:
        outcome = run_route(route, variant.expr, claim, ctx)
        result.routes.append(outcome)
        if outcome.error and not result.error:
            result.error = outcome.error + f" (on wrong variant '{variant.name}')"
        if outcome.passed is False:
            break
    return result


# --- many claims, across processes -----------------------------------------------------------


def source_cache_entries(report: ClaimReport, seed: int) -> list[tuple[str, str, dict]]:
    """(claim id, key, value) of each source status, under the key every reader uses
    (:func:`derivspec.core.catalogue.source_key`)."""
    if report.claim is None:
        return []
    entries = (source_entry(index, result, seed) for index, result in enumerate(report.sources))
    return [(report.claim_id, *entry) for entry in entries if entry is not None]


@dataclass
class ClaimOutcome:
    """What a verify run keeps of one claim: the JSON record and the source statuses to cache.
    Plain data, so it crosses process boundaries; the same whatever process computed it."""

    claim_id: str
    record: dict
    cache_entries: list[tuple[str, str, dict]]


def verify_outcome(claim_id: str, ctx: NumericContext, statuses=None) -> ClaimOutcome:
    report = verify_claim(claim_id, ctx, statuses=statuses)
    return ClaimOutcome(claim_id, report.to_json(), source_cache_entries(report, ctx.seed))


def default_jobs() -> int:
    """Worker processes for ``verify``: the cores this process may run on."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return max(1, os.cpu_count() or 1)


_WORKER_CTX: NumericContext | None = None


def _init_worker(ctx: NumericContext) -> None:
    from derivspec.reference_models.device import apply_numeric_policy

    global _WORKER_CTX
    _WORKER_CTX = ctx
    apply_numeric_policy()  # one process per core: intra-op threads would only contend


def _work(claim_id: str, statuses=None) -> ClaimOutcome:
    try:
        return verify_outcome(claim_id, _WORKER_CTX, statuses)
    except BaseException as error:  # verify_claim isolates faults; this is a last resort
        return _failed_outcome(claim_id, describe_error("the verify worker", error))


def _failed_outcome(claim_id: str, message: str) -> ClaimOutcome:
    report = ClaimReport(claim_id, None, errors=[message])
    return ClaimOutcome(claim_id, report.to_json(), [])


def prepare_fork(ids: list[str]) -> None:
    """What worker processes should inherit rather than each compute: every claim of ``ids`` built (a failure
    is the claim's report), its routes' modules imported (torch with them), ``torch._dynamo`` imported (the
    first torch optimiser a process builds imports it: ~1-4 CPU s, once here instead of once per worker) and
    the numeric policy applied (a child must not inherit a busy OpenMP pool)."""
    from derivspec.reference_models.device import apply_numeric_policy

    for claim_id in dict.fromkeys(ids):
        try:
            REGISTRY.get(claim_id)
        except Exception:
            pass
    import_routes(ids)
    import torch._dynamo  # noqa: F401  (what torch.optim.Optimizer.__init__ imports)
    apply_numeric_policy()


def verify_many(ids: Iterable[str], ctx: NumericContext, jobs: int = 1,
                on_done: Callable[[str], None] | None = None,
                on_start: Callable[[str], None] | None = None,
                expected_seconds: dict[str, float] | None = None) -> list[ClaimOutcome]:
    """Every claim of ``ids`` verified, returned in that order, by ``jobs`` worker processes (1:
    in this process). Each claim's draws come from generators seeded by (run seed, claim, route),
    so the outcomes do not depend on the number of workers, on the order claims are handed out or
    on which claims share a process. With ``expected_seconds`` (the times of an earlier run) the
    workers get the longest claims first, so no long claim is left for the end.
    Workers start by fork on a CPU run (they inherit the loaded registry and the claims already
    built) and by spawn when the device is CUDA (a CUDA context does not survive fork)."""
    ids = list(ids)
    load_for(ids)  # the routes of these claims, imported by their first check (derivspec.numerics.loading)
    if jobs <= 1 or len(ids) <= 1:  # each claim built, and its routes' modules imported, within its own time
        outcomes = []
        for claim_id in ids:
            if on_start:
                on_start(claim_id)
            outcomes.append(verify_outcome(claim_id, ctx))
            if on_done:
                on_done(claim_id)
        return outcomes
    prepare_fork(ids)
    method = "fork" if ctx.device_type == "cpu" and "fork" in multiprocessing.get_all_start_methods() else "spawn"
    results: dict[str, ClaimOutcome] = {}
    with ProcessPoolExecutor(max_workers=min(jobs, len(ids)), mp_context=multiprocessing.get_context(method),
                             initializer=_init_worker, initargs=(ctx,)) as pool:
        unique = list(dict.fromkeys(ids))
        if expected_seconds:
            typical = max(expected_seconds.values(), default=1.0)  # an unknown claim goes early
            unique.sort(key=lambda claim_id: -expected_seconds.get(claim_id, typical))
        futures = {pool.submit(_work, claim_id): claim_id for claim_id in unique}
        try:
            for future in as_completed(futures):
                claim_id = futures[future]
                try:
                    results[claim_id] = future.result()
                except Exception as error:  # a worker died (killed, out of memory)
                    results[claim_id] = _failed_outcome(claim_id, describe_error("the verify worker", error))
                if on_done:
                    on_done(claim_id)
        except BaseException:
            pool.shutdown(wait=False, cancel_futures=True)
            raise
    return [results[claim_id] for claim_id in ids]
