"""The five subcommands. Each reads the registry and prints a rich table or JSON."""

from __future__ import annotations

import sys

import sympy
import torch
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from derivspec import registry
from derivspec.checker import VERDICT_EXIT_CODES, compare, read_candidate, user_point
from derivspec.cli import EXIT_FAILED, EXIT_INCONCLUSIVE, EXIT_OK, print_json
from derivspec.errors import ParameterError
from derivspec.verify import check_derivation, compare_source, verify_claim
from numerics.checks import NumericContext
from numerics.device import resolve_device

console = Console(highlight=False, width=None if sys.stdout.isatty() else 150)
STATUS_STYLE = {"verified": "green", "failed": "red", "inconclusive": "yellow", "matches": "green",
                "disagrees": "red", "not_comparable": "dim", "proved": "green", "undecided": "yellow",
                "equivalent": "green", "not_equivalent": "red"}


def _styled(text: str) -> str:
    style = STATUS_STYLE.get(text)
    return f"[{style}]{text}[/]" if style else escape(text)


def _say(text: str) -> None:
    """Print text that may contain brackets (formulas, quotes) literally."""
    console.print(escape(text))


def _claim_summary(claim, sources=None) -> dict:
    """The ``list --json`` fields; ``sources`` are SourceResults already computed, if any."""
    sources = sources if sources is not None else [compare_source(claim, s) for s in claim.sources]
    return {
        "id": claim.id, "title": claim.title, "family": claim.family,
        "symbols": [{"name": v.name, "latex": v.latex, "assumptions": dict(v.domain.assumptions),
                     "constraint": v.domain.constraint} for v in claim.variables],
        "defined": [{"name": d.name, "latex": d.latex, "expr": str(d.expr)} for d in claim.defined],
        "sources": [{"file": r.source.file, "lines": r.source.lines, "as_written": r.source.as_written,
                     "status": r.status} for r in sources],
    }


def run_list(args) -> int:
    claims = registry.all_claims()
    if args.json:
        print_json([_claim_summary(c) for c in claims])
        return EXIT_OK
    table = Table(title="derivspec claims")
    for column in ("claim", "family", "title", "symbols"):
        table.add_column(column)
    for c in claims:
        table.add_row(escape(c.id), c.family, escape(c.title), ", ".join(v.name for v in c.variables))
    console.print(table)
    return EXIT_OK


def run_show(args) -> int:
    claim = registry.get(args.claim)
    steps = check_derivation(claim)
    sources = [compare_source(claim, s) for s in claim.sources]
    if args.json:
        print_json({**_claim_summary(claim, sources), "statement": claim.statement, "target": str(claim.target),
                    "target_latex": sympy.latex(claim.target), "derivation": [s.to_json() for s in steps],
                    "numeric_route": claim.numeric_route,
                    "wrong_variants": [{"name": w.name, "expr": str(w.expr)} for w in claim.wrong_variants],
                    "sources": [s.to_json() for s in sources]})
        return EXIT_OK
    _say(f"{claim.id} — {claim.title}  (family {claim.family})")
    _say("symbols: " + ", ".join(f"{v.name} ({v.latex}, {v.domain.constraint})" for v in claim.variables))
    for d in claim.defined:
        _say(f"defined: {d.name} = {d.expr}")
    _say(f"target:  {claim.statement} = {claim.target}")
    _say("derivation:")
    for i, step in enumerate(steps, 1):
        _say(f"  {i}. {step.why}\n       = {step.expr}    [{step.status}]")
    _say(f"numeric route: {claim.numeric_route}")
    _say("wrong variants: " + "; ".join(f"{w.name}: {w.expr}" for w in claim.wrong_variants))
    _say("sources:")
    for s in sources:
        _say(f"  {s.source.file}:{s.source.lines}  [{s.status}]  {s.source.as_written}")
        if s.source.note:
            _say(f"      note: {s.source.note}")
        if s.status == "disagrees":
            _say(f"      correct: {s.correct}\n      evidence: {s.evidence}")
    return EXIT_OK


def run_verify(args) -> int:
    claims = [registry.get(c) for c in args.claims] if args.claims else registry.all_claims()
    ctx = NumericContext(device=resolve_device(args.device), seed=args.seed)
    torch.set_num_threads(1)  # the checks' tensors are small: extra intra-op threads only add contention
    reports = []
    err = Console(file=sys.stderr, highlight=False)
    with Progress(TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed}/{task.total}"),
                  TimeElapsedColumn(), console=err, transient=True, disable=not err.is_terminal) as progress:
        task = progress.add_task("verifying", total=len(claims))
        for i, claim in enumerate(claims, 1):
            progress.update(task, description=f"verifying {claim.id}")
            if not err.is_terminal:
                print(f"verifying {claim.id} ({i}/{len(claims)})", file=sys.stderr, flush=True)
            reports.append(verify_claim(claim, ctx))
            progress.advance(task)
    if args.json:
        print_json([r.to_json() for r in reports])
    else:
        _print_verify_table(reports, ctx)
    statuses = {r.status for r in reports}
    if "failed" in statuses:
        return EXIT_FAILED
    return EXIT_INCONCLUSIVE if "inconclusive" in statuses else EXIT_OK


def _numeric_cell(numeric) -> str:
    mc = numeric.monte_carlo
    verdict = "pass" if numeric.passed else "FAIL"
    if mc is not None:
        return f"{verdict} (MC n={mc.n:,}, z={mc.z:+.2f})"
    if numeric.max_abs_diff is not None:
        return f"{verdict} (max|Δ|={numeric.max_abs_diff:.1e})"
    return verdict


def _print_verify_table(reports, ctx) -> None:
    table = Table(title=f"derivspec verify (device {ctx.device.type}, seed {ctx.seed})")
    for column in ("claim", "status", "symbolic", "numeric", "property", "sources", "time"):
        table.add_column(column)
    for r in reports:
        rejected = sum(v.rejected for v in r.variants)
        counts = {k: sum(s.status == k for s in r.sources) for k in ("matches", "disagrees", "not_comparable")}
        sources = f"{counts['matches']} match"
        if counts["disagrees"]:
            sources += f", [red]{counts['disagrees']} disagree[/]"
        if counts["not_comparable"]:
            sources += f", {counts['not_comparable']} n/c"
        table.add_row(r.claim.id, _styled(r.status), _styled(r.symbolic), _numeric_cell(r.numeric),
                      f"{rejected}/{len(r.variants)} wrong rejected", sources, f"{r.seconds:.1f}s")
    console.print(table)
    totals = {k: sum(r.status == k for r in reports) for k in ("verified", "failed", "inconclusive")}
    disagree = sum(s.status == "disagrees" for r in reports for s in r.sources)
    console.print(f"{len(reports)} claims: {totals['verified']} verified, {totals['failed']} failed, "
                  f"{totals['inconclusive']} inconclusive; {disagree} source statements disagree "
                  f"(see `derivspec errata`); {sum(r.seconds for r in reports):.1f}s")
    for r in reports:
        if r.status != "verified":
            _say(f"{r.claim.id}: numeric {r.numeric.detail}; problems: {r.problems}; "
                 f"variants not rejected: {[v.to_json() for v in r.variants if not v.rejected]}")


def run_check(args) -> int:
    claim = registry.get(args.claim)
    candidate = read_candidate(claim, formula=args.formula, latex=args.latex)
    point = user_point(claim, _parse_assignments(args.at))
    result = compare(claim, candidate, seed=args.seed, extra_points=[point] if point else None)
    if args.json:
        print_json(result.to_json())
    else:
        _say(f"{claim.id}: {result.verdict}")
        _say(f"  parsed:   {result.parsed}\n  expected: {result.expected}")
        _say(f"  symbolic: {result.symbolic}; {result.points} exact points, max |diff| {result.max_abs_diff:.3g}")
        if result.counterexample:
            c = result.counterexample
            _say(f"  counterexample: at {c.point}: candidate {c.candidate}, target {c.expected}")
        _say(f"  {result.reason}")
    return VERDICT_EXIT_CODES[result.verdict]


def _parse_assignments(items: list[str]) -> dict[str, str]:
    assignments = {}
    for item in items:
        for part in item.split(","):
            name, sep, value = part.partition("=")
            if not sep or not name.strip() or not value.strip():
                raise ParameterError(f"--at expects NAME=VALUE, got {part!r}")
            assignments[name.strip()] = value.strip()
    return assignments


def errata_entries(seed: int = 0) -> list[dict]:
    entries = []
    for claim in registry.all_claims():
        for source in claim.sources:
            result = compare_source(claim, source, seed)
            if result.status == "disagrees":
                entries.append({"claim": claim.id, "file": source.file, "lines": source.lines,
                                "as_written": source.as_written, "correct": result.correct,
                                "evidence": result.evidence, "note": source.note})
    return entries


def run_errata(args) -> int:
    entries = errata_entries(args.seed)
    if args.json:
        print_json(entries)
        return EXIT_OK
    for e in entries:
        _say(f"{e['file']}:{e['lines']}  ({e['claim']})")
        _say(f"  as written: {e['as_written']}")
        _say(f"  correct:    {e['correct']}")
        _say(f"  evidence:   {e['evidence']}")
        if e["note"]:
            _say(f"  note:       {e['note']}")
    console.print(f"{len(entries)} source statements disagree with their derivations.")
    return EXIT_OK
