"""The subcommands. Each reads the registry and prints a table or JSON.

``list``, ``show`` and ``check`` use the core layer only (no torch): they start in well under a
second. ``verify`` and ``errata`` load the numeric routes.
"""

from __future__ import annotations

import sys
import time

from derivspec.app.extras import require_numeric
from derivspec.app.output import print_json, say, say_wrapped
from derivspec.core.errors import (EXIT_FAILED, EXIT_INCONCLUSIVE, EXIT_OK, VERDICT_EXIT_CODES, FormulaError,
                                   ParameterError)
from derivspec.core.lectures import cite, order_key
from derivspec.core.metadata import run_metadata
from derivspec.core.numbers import fmt, max_difference

# SymPy (the registry, the claims, the catalogue) is imported by the commands that use it, not here: a
# `verify` answered from the evidence cache, `rules` and `--version` never load it.

STATUS_STYLE = {"verified": "green", "failed": "red", "inconclusive": "yellow", "matches": "green",
                "disagrees": "red", "not_comparable": "dim", "not_run": "dim", "proved": "green",
                "undecided": "yellow", "computed": "cyan", "equivalent": "green", "not_equivalent": "red"}


# --- list, show -------------------------------------------------------------------------


def run_list(args) -> int:
    from derivspec.core.catalogue import claim_listing

    listing = claim_listing()
    words = [w.lower() for w in getattr(args, "grep", [])]
    if words:  # list --grep WORD: every word in the claim's id, title, family or symbols
        listing = [c for c in listing if all(w in " ".join([c["id"], c["title"], c["family"]] + [
            f"{v['name']} {v['latex']}" for v in c["symbols"]]).lower() for w in words)]
    if args.json:
        print_json({"meta": run_metadata(), "claims": listing})
        return EXIT_OK
    if words and not listing:
        print(f"no claim matches {' and '.join(repr(w) for w in words)}")
        return EXIT_OK
    from derivspec.app.output import table

    rows = [(c["id"], c["family"], c["title"], ", ".join(v["name"] for v in c["symbols"])) for c in listing]
    table("derivspec claims", ("claim", "family", "title", "symbols"), rows)
    return EXIT_OK


def run_show(args) -> int:
    import sympy

    from derivspec.core import registry
    from derivspec.core.catalogue import claim_summary, open_cache, routes_of, source_results, use_module_index
    from derivspec.core.derivation import check_derivation

    use_module_index()
    claim = registry.get(args.claim)
    steps = check_derivation(claim)
    cache = open_cache()
    sources = source_results(claim, cache)
    cache.save()
    routes = routes_of(claim.id)
    if args.json:
        print_json({"meta": run_metadata(), **claim_summary(claim, sources), "statement": claim.statement,
                    "target": str(claim.target), "target_latex": sympy.latex(claim.target),
                    "derivation": [s.to_json() for s in steps],
                    "numeric_routes": None if routes is None else [{"route": r["name"], "kind": r["kind"],
                                                                    "description": r["description"]} for r in routes],
                    "wrong_variants": [{"name": w.name, "expr": str(w.expr)} for w in claim.wrong_variants],
                    "recognised_as": [r.shape for r in claim.recognisers()],
                    "sources": [s.to_json() for s in sources]})
        return EXIT_OK
    from derivspec.app.output import say_formula

    say_wrapped(f"{claim.id} — {claim.title}  (family {claim.family})")
    say_wrapped("symbols: " + ", ".join(f"{v.name} ({v.latex}, {v.domain.constraint})" for v in claim.variables))
    for d in claim.defined:
        say_formula(f"defined: {d.name} = ", d.expr)
    say_wrapped(f"target:  {claim.statement} =")
    say_formula("    ", claim.target)
    say("derivation:")
    for i, step in enumerate(steps, 1):
        say_wrapped(f"  {i}. {step.why}  [{step.status}]", later="     ")
        say_formula("     = ", step.expr)
        if step.note:
            say_wrapped(f"     ({step.note})")
    say("numeric routes:" + (" (not listed: the numeric routes cannot be loaded here)" if routes is None else ""))
    for r in routes or ():
        say_wrapped(f"  {r['name']} ({r['kind']}): {r['description']}", later="      ")
    say("wrong variants:")
    for w in claim.wrong_variants:
        say_wrapped(f"  {w.name}:")
        say_formula("    ", w.expr)
    if claim.recognisers():  # a pasted left-hand side of one of these shapes fixes check's roles
        say("recognised as (scan; a left-hand side for check):")
        for r in claim.recognisers():
            say_wrapped(f"  {r.shape}", later="    ")
    say("sources:")
    for s in sources:
        say_wrapped(f"  {cite(s.source.file, s.source.lines)}  [{s.status}]  {s.source.as_written}", later="      ")
        if s.source.note:
            say_wrapped(f"      note: {s.source.note}", later="        ")
        if s.status == "disagrees":
            say_wrapped(f"      correct: {s.correct}", later="        ")
            say_wrapped(f"      evidence: {s.evidence}", later="        ")
    return EXIT_OK


# --- verify -----------------------------------------------------------------------------


def run_verify(args) -> int:
    """``verify [CLAIM ...]``: each claim's record from the evidence cache (derivspec.app.evidence) when this
    code computed it on this device with this seed -- then neither torch nor any claim is loaded --, the
    others verified (derivspec.app.verify.verify_many) and added to the cache."""
    require_numeric("verify", plots=False)
    from derivspec.app import evidence

    use_cache = not (getattr(args, "no_cache", False) or evidence.disabled())
    device = evidence.cheap_device(args.device)
    ids = evidence.requested_ids(args.claims) if use_cache and device else None
    found = evidence.cached(ids, device, args.seed) if ids is not None else {}
    jobs = getattr(args, "jobs", None)
    started = time.perf_counter()
    if ids is not None and len(found) == len(set(ids)):  # every record cached: nothing to load
        records = [found[claim_id] for claim_id in ids]
        return _verify_output(args, records, device, jobs, started, cached=len(set(ids)))

    from derivspec.app.verify import default_jobs, verify_many
    from derivspec.core import cache as store
    from derivspec.core import registry
    from derivspec.core.catalogue import use_module_index
    from derivspec.numerics.loading import fully_loaded, load, load_for
    from derivspec.numerics.results import NumericContext

    use_module_index()  # a named claim's own module, not every family's
    ids = [registry.REGISTRY.get(c).id for c in args.claims] if args.claims else registry.REGISTRY.ids()
    if registry.REGISTRY._discovered and not registry.REGISTRY.import_errors:
        store.store("modules", registry.REGISTRY.modules())  # the next `verify CLAIM` finds its module at once
    if device is None:  # only torch can say (--device cuda, or auto beside a GPU driver): checked before any work
        from derivspec.reference_models.device import resolve_device

        device = resolve_device(args.device).type
    ctx = NumericContext(device=device, seed=args.seed)  # torch, and its numeric policy, come with the first check
    if use_cache:
        found = evidence.cached(ids, ctx.device_type, args.seed)
    if args.claims:
        load_for(ids)  # the routes of the claims named, imported by their first check (derivspec.numerics.loading)
    else:
        load()
    if fully_loaded():  # every route loaded: say what no one claim's report says (a module that did not import)
        for _, message in registry.REGISTRY.global_problems():
            print(f"derivspec: warning: {message}", file=sys.stderr)
    jobs = jobs or default_jobs()
    todo = [claim_id for claim_id in dict.fromkeys(ids) if claim_id not in found]
    times = store.load("verify-times") or {}  # only the order work is handed out in: longest first
    outcomes = _with_progress(todo, lambda on_start, on_done: verify_many(todo, ctx, jobs, on_done=on_done,
                                                                          on_start=on_start, expected_seconds=times))
    evidence.keep_outcomes(outcomes, ctx.device_type, args.seed)
    computed = {o.claim_id: o.record for o in outcomes}
    records = [computed.get(claim_id) or found[claim_id] for claim_id in ids]
    return _verify_output(args, records, ctx.device_type, jobs, started, cached=len(set(ids)) - len(computed))


def _verify_output(args, records: list[dict], device: str, jobs: int | None, started: float, cached: int) -> int:
    """``verify``'s table or JSON, and its exit code; ``cached``: how many claims came from the evidence cache."""
    if args.json:
        print_json({"meta": {**run_metadata(args.seed, device), "jobs": jobs, "cached": cached}, "claims": records})
    else:
        _print_verify_table(records, device, args.seed, wall=time.perf_counter() - started, jobs=jobs, cached=cached)
    statuses = {r["status"] for r in records}
    if "failed" in statuses:
        return EXIT_FAILED
    return EXIT_INCONCLUSIVE if "inconclusive" in statuses else EXIT_OK


def _with_progress(ids: list[str], run) -> list:
    """``run(on_start, on_done)`` with a progress bar on a terminal stderr, else one line per claim."""
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    err = Console(file=sys.stderr, highlight=False)
    with Progress(TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed}/{task.total}"),
                  TimeElapsedColumn(), console=err, transient=True, disable=not err.is_terminal) as progress:
        task = progress.add_task("verifying", total=len(ids))
        done = 0

        def on_start(claim_id: str) -> None:
            progress.update(task, description=f"verifying {claim_id}")

        def on_done(claim_id: str) -> None:
            nonlocal done
            done += 1
            progress.update(task, description=f"verified {claim_id}")
            if not err.is_terminal:
                print(f"verified {claim_id} ({done}/{len(ids)})", file=sys.stderr, flush=True)
            progress.advance(task)

        return run(on_start, on_done)


def _numeric_cell(numeric: dict) -> str:
    verdict = "pass" if numeric["passed"] else "FAIL"
    if numeric.get("n") is not None:
        method = numeric.get("method", "plain")
        return f"{verdict} ({'exact' if method == 'exact' else 'MC'} n={numeric['n']:,}, z={fmt(numeric['z'], '+.2f')})"
    if numeric.get("max_abs_diff") is not None:
        return f"{verdict} ({max_difference(numeric['max_abs_diff'], numeric['passed'], '.1e')})"
    return verdict


def _print_verify_table(records: list[dict], device: str, seed: int, wall: float, jobs: int | None,
                        cached: int = 0) -> None:
    from derivspec.app.output import styled, table

    rows = []
    for r in records:
        variants = r["wrong_variants"]
        rejected = sum(v["rejected"] for v in variants)
        counts = {k: sum(s["status"] == k for s in r["sources"]) for k in ("matches", "disagrees", "not_comparable")}
        sources = f"{counts['matches']} match"
        if counts["disagrees"]:
            sources += f", [red]{counts['disagrees']} disagree[/]"
        if counts["not_comparable"]:
            sources += f", {counts['not_comparable']} n/c"
        rows.append((r["claim"], styled(r["status"], STATUS_STYLE), styled(r["symbolic"], STATUS_STYLE),
                     _numeric_cell(r["numeric"]), f"{rejected}/{len(variants)} wrong rejected", sources,
                     f"{fmt(r['seconds'], '.1f')}s"))
    table(f"derivspec verify (device {device}, seed {seed})",
          ("claim", "status", "symbolic", "numeric", "property", "sources", "time"), rows, markup=True, keep=(0, 1, 2, 6))
    totals = {k: sum(r["status"] == k for r in records) for k in ("verified", "failed", "inconclusive")}
    disagreeing = [s for r in records for s in r["sources"] if s["status"] == "disagrees"]
    slips = len({(s["file"], tuple(s["lines"]), s.get("as_written")) for s in disagreeing})
    checks = fmt(sum(r['seconds'] for r in records), '.1f')
    how = (f"{jobs} worker{'s' if jobs != 1 else ''} ({checks} s of checks)" if cached < len(records) else
           f"from the evidence cache (the checks took {checks} s when run; --no-cache runs them again)")
    if 0 < cached < len(records):
        how += f", {cached} from the evidence cache"
    say_wrapped(f"{len(records)} claims: {totals['verified']} verified, {totals['failed']} failed, "
        f"{totals['inconclusive']} inconclusive; {len(disagreeing)} source statements disagree, {slips} slip{'' if slips == 1 else 's'} "
        f"(see `derivspec errata`); {fmt(wall, '.1f')} s wall, {how}")
    for r in records:
        if r["status"] != "verified":
            say_wrapped(f"{r['claim']} is {r['status']}: {r['reason']}")


# --- check ------------------------------------------------------------------------------


def run_check(args) -> int:
    from derivspec.core import registry
    from derivspec.core.catalogue import use_module_index
    from derivspec.core.checker import CHECK_SECONDS, run_check as check_claim

    use_module_index()
    claim = registry.get(args.claim)
    seconds = getattr(args, "time_limit", None) or CHECK_SECONDS
    result = check_claim(claim, formula=args.formula, latex=args.latex, at=_parse_assignments(args.at),
                         seed=args.seed, seconds=seconds, symbols=getattr(args, "symbols", None),
                         roles=_roles_of_left_side)
    if args.json:
        print_json({**result, "meta": run_metadata(args.seed)})
    else:
        _print_check(claim, result)
    return VERDICT_EXIT_CODES[result["verdict"]]


def _roles_of_left_side(claim, latex: str):
    """A pasted left-hand side's names matched to the claim's roles as scan matches known results
    (scan's recognisers are imported only when the formula has a left-hand side to match)."""
    from derivspec.core.latex import split_sides

    try:
        if len(split_sides(latex)) < 2:
            return None
    except FormulaError:
        return None  # the check itself reports what cannot be read
    from derivspec.scan.known import roles_of_left_side

    return roles_of_left_side(claim, latex)


def _print_check(claim, result: dict) -> None:
    """``check``'s text: the verdict, the candidate as read and the target drawn by sympy.pretty."""
    from derivspec.app.output import say_formula

    numeric = result["numeric"]
    say(f"{claim.id}: {result['verdict']}")
    mapping = result.get("mapping")
    if mapping:
        pairs = ", ".join(f"{user} = {name}" for user, name in mapping["pairs"].items())
        how = "" if mapping["source"] != "inferred" else {
            "equivalent": " (inferred: the assignment of your letters to the claim's variables under which the check holds)",
            "not_equivalent": " (inferred: the assignment under which it is a known slip)",
        }.get(result["verdict"], " (inferred: one reading of your letters, not confirmed)")
        matched = mapping.get("matched")
        if matched and dict(matched["pairs"]) == dict(mapping["pairs"]):  # the left-hand side fixes every letter
            say_wrapped(f"  read with {pairs}: your left-hand side {matched['written']} is the claim's "
                        f"{matched['shape']}")
        else:
            say_wrapped(f"  read with {pairs}{how}")
            if matched:
                fixed = ", ".join(f"{user} = {name}" for user, name in matched["pairs"].items())
                say_wrapped(f"  by structure: your left-hand side {matched['written']} is the claim's "
                            f"{matched['shape']}, so {fixed}")
        also = "the same slip" if result["verdict"] == "not_equivalent" else "also equivalent"
        for other in mapping.get("alternatives", []):
            say_wrapped(f"  {also} read with " + ", ".join(f"{u} = {n}" for u, n in other.items()))
    say_formula("  parsed:   ", _expression(claim, result["parsed"]) if result["parsed"] else "n/a")
    say_formula("  expected: ", _expression(claim, result["expected"]))
    diff = "n/a" if numeric.get("max_abs_diff") is None else f"{fmt(numeric['max_abs_diff'], '.3g')}"
    say_wrapped(f"  symbolic: {result['symbolic']}; {numeric['points']} exact points "
                f"({numeric.get('evaluated', 0)} evaluated), max |diff| {diff}")
    c = numeric.get("counterexample")
    reason = result["reason"]
    if c:
        say_wrapped(f"  counterexample: {point_pairs(c['point'])}: candidate {c['candidate_value']}, "
                    f"target {c['expected_value']}")
        reason = _without_point(reason, c)  # the counterexample is printed once, above
    if result.get("slip"):
        say_wrapped(f"  this is the known slip: {result['slip']}")
    for note in result.get("notes", []):
        say_wrapped(f"  note: {note}")
    say_wrapped(f"  {reason}")


def point_pairs(point) -> str:
    """``mu1 = 65/42, sigma1 = 16/33``: a counterexample's point as ``name = value`` pairs."""
    if isinstance(point, dict):
        return ", ".join(f"{name} = {value}" for name, value in point.items())
    return str(point)


def _without_point(reason: str, counterexample: dict) -> str:
    """The check's reason without the point and values the counterexample line already shows."""
    shown = (f" at {counterexample['point']}: candidate {counterexample['candidate_value']}, "
             f"target {counterexample['expected_value']}")
    return reason.replace(shown, "") if shown in reason else reason


def _expression(claim, text: str):
    """An expression of the check's JSON (its text) back as an expression in the claim's symbols, to
    draw; the text itself when it does not read back."""
    import sympy

    try:
        return sympy.parse_expr(text, local_dict=dict(claim.symbols))
    except Exception:
        return text


def _parse_assignments(items: list[str]) -> dict[str, str]:
    assignments = {}
    for item in items:
        for part in item.split(","):
            name, sep, value = part.partition("=")
            if not sep or not name.strip() or not value.strip():
                raise ParameterError(f"--at expects NAME=VALUE, got {part!r}")
            if name.strip() in assignments:
                raise ParameterError(f"--at gives {name.strip()} twice")
            assignments[name.strip()] = value.strip()
    return assignments


# --- errata -----------------------------------------------------------------------------


def errata_entries(seed: int = 0, claim_ids: list[str] | None = None) -> list[dict]:
    """Every source that disagrees with its claim, ordered by lecture and line. Source statuses
    come from the cache ``verify`` fills; what it lacks is recomputed, with progress on stderr."""
    from derivspec.app.output import Recomputing
    from derivspec.core import registry
    from derivspec.core.catalogue import open_cache, source_results
    from derivspec.core.sources import erratum_class
    from derivspec.numerics.routes import load, run_behaviour
    from derivspec.reference_models.device import apply_numeric_policy

    apply_numeric_policy()
    load()
    cache = open_cache()
    progress = Recomputing("errata")
    entries = []
    claims = registry.all_claims() if claim_ids is None else [registry.get(c) for c in claim_ids]
    for claim in claims:
        for result in source_results(claim, cache, seed, run_behaviour, on_compute=progress):
            if result.status == "disagrees":
                source = result.source
                category, severity = erratum_class(claim, source)
                entries.append({"claim": claim.id, "file": source.file, "lines": list(source.span),
                                "category": category, "severity": severity,
                                "as_written": source.as_written, "correct": result.correct,
                                "evidence": result.evidence, "note": source.note})
        cache.save()  # after each claim: an interrupted run keeps what it computed
    progress.close()
    return one_per_slip(sorted(entries, key=lambda e: (*order_key(e["file"], e["lines"]), e["claim"])))


def errata_of_catalogue(seed: int = 0) -> tuple[list[dict], list[str]]:
    """:func:`errata_entries` of every claim and the severities in their order, kept in the cache under the
    code's fingerprint and the seed (a source's status is reproducible: DESIGN.md), so that a second
    ``errata`` builds no claim and imports neither SymPy nor torch."""
    from derivspec.core import cache

    name = f"errata-seed{seed}"
    found = cache.load(name)
    if found is None:
        from derivspec.core import registry
        from derivspec.core.claims import ERRATUM_SEVERITIES

        found = {"errata": errata_entries(seed), "severities": list(ERRATUM_SEVERITIES)}
        if not registry.REGISTRY.import_errors:
            cache.store(name, found)
    return found["errata"], found["severities"]


def one_per_slip(entries: list[dict]) -> list[dict]:
    """One erratum per slip: sources of several claims citing the same lines with the same text
    are one slip (e.g. a forward-process line whose mean and variance two claims check); it lists
    every claim it touches in ``claims`` (``claim`` is the first), each one's correct form and
    evidence, and the most serious severity."""
    rank = {"error": 0, "notation": 1, "imprecise": 2}
    slips: dict[tuple, dict] = {}
    for entry in entries:
        key = (entry["file"], tuple(entry["lines"]), entry["as_written"])
        if key not in slips:
            slips[key] = {**entry, "claims": [entry["claim"]]}
            continue
        slip = slips[key]
        slip["claims"].append(entry["claim"])
        for field in ("correct", "evidence", "note"):
            if entry[field] and entry[field] != slip[field]:
                slip[field] = f"{slip[field]}; {entry['claim']}: {entry[field]}" if slip[field] else entry[field]
        slip["severity"] = min(slip["severity"], entry["severity"], key=rank.__getitem__)
    return list(slips.values())


def run_errata(args) -> int:
    require_numeric("errata", plots=False)
    entries, severities = errata_of_catalogue(args.seed)
    if args.json:
        print_json({"meta": run_metadata(args.seed), "errata": entries})
        return EXIT_OK
    for e in entries:
        say_wrapped(f"{cite(e['file'], e['lines'])}  ({', '.join(e['claims'])})  [{e['category']}, {e['severity']}]")
        say_wrapped(f"  as written: {e['as_written']}", later=" " * 14)
        say_wrapped(f"  correct:    {e['correct']}", later=" " * 14)
        say_wrapped(f"  evidence:   {e['evidence']}", later=" " * 14)
        if e["note"]:
            say_wrapped(f"  note:       {e['note']}", later=" " * 14)
    counts = ", ".join(f"{sum(e['severity'] == kind for e in entries)} {kind}" for kind in severities)
    say_wrapped(f"{len(entries)} slips in the lectures disagree with their derivations ({counts}).")
    return EXIT_OK


def run_coverage(args) -> int:
    require_numeric("coverage", plots=False)
    from derivspec.app.coverage import run

    return run(args.json, args.seed)


# --- report, run ------------------------------------------------------------------------


def run_report(args) -> int:
    from derivspec.app.paths import output_folder

    output_folder(args.out, "--out")  # before minutes of work: a bad folder is exit 2 at once
    require_numeric("report", plots=not args.no_plots)
    from functools import partial

    from derivspec.app.report import (PageWork, _select, build_report, default_scan_paths, require_report_dependencies,
                                      scan_files_section)

    require_report_dependencies(plots=not args.no_plots)  # before the scan and the checks: seconds, not minutes
    scan = getattr(args, "scan", None)
    paths = default_scan_paths() if scan is None else scan
    sections = []
    if paths:  # the scan page links a recognised claim only where the report has its family page; made in the
        # report's worker pool, one process (its workers would only contend with the pool's)
        sections.append(PageWork("scan", partial(scan_files_section, list(paths),
                                                 claims=set(_select(args.claims or None)), workers=1)))
    build_report(args.out, claim_ids=args.claims or None, device=args.device, seed=args.seed, quick=args.quick,
                 numeric=not args.no_numeric, plots=not args.no_plots, sections=sections,
                 jobs=getattr(args, "jobs", None))
    return EXIT_OK


def run_scan(args) -> int:
    from derivspec.app.scan import run

    return run(args)


def run_rules(args) -> int:
    from derivspec.app.rules import run

    return run(args)


def run_run(args) -> int:
    require_numeric("run", plots=bool(args.model or args.all) and not args.list)  # listing draws nothing
    from derivspec.app.run import run_command

    return run_command(args)


def run_conform(args) -> int:
    from derivspec.app.conform import run_conform as conform  # derivspec.testing: the user's code against a claim

    return conform(args)
