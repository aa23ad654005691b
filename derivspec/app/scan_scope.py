"""``derivspec scan FILE --scope``: every symbol, function and operator of each file with what scan takes it to be and
how it knows (derivspec.scan.notation), as a type checker's ``reveal_type`` shows what it inferred. Nothing is
checked: the files are read, their declarations and macros applied, and the scope table printed (text, or ``--json``
``{"meta", "symbols": [{"file", "name", "kind", "provenance", "line", "cue"}], "summary"}``)."""

from __future__ import annotations

import sys
from collections import Counter

from derivspec.core.errors import EXIT_BAD_INPUT, EXIT_OK

ORDER = ("declared", "defined", "notation", "guess", "unknown")


def scope_of(path, name: str, declared=None) -> tuple[list, dict]:
    """(entries, summary) of one file: its scope table, and how many of its relational statements have every name
    known (declared, defined or notation), by the weakest provenance among their names."""
    from derivspec.scan.notation import lookup, uses
    from derivspec.scan.runner import prepare

    _, _, statements, relational, _, state = prepare(path, name, known=False, declared=declared)
    weakest: Counter = Counter()
    for s in relational:
        if s.lines[0] <= 0:
            continue
        seen = {lookup(state.scope, u.key) for u in uses(s.text, s.lines[0])} - {None}
        weakest[max((e.provenance for e in seen), key=ORDER.index, default="notation")] += 1
    total = sum(weakest.values())
    known = sum(n for p, n in weakest.items() if p not in ("guess", "unknown"))
    return state.scope, {"statements": total, "all_known": known, "by_weakest": dict(weakest),
                         "symbols": dict(Counter(e.provenance for e in state.scope))}


def run_scope(args) -> int:
    from derivspec.app.inputs import lecture_files
    from derivspec.app.output import error_line, print_json
    from derivspec.app.settings import load_settings
    from derivspec.core.metadata import run_metadata
    from derivspec.scan import ScanError

    settings = load_settings(getattr(args, "config", None))
    refused: list = []
    files = lecture_files(args.files, settings, getattr(args, "include", None) or (),
                          getattr(args, "exclude", None) or (), refused)
    for line in refused:
        error_line(line)
    symbols, summaries = [], {}
    for path, name in files:
        try:
            entries, summary = scope_of(path, name, settings.declared)
        except ScanError as error:
            error_line(str(error))
            continue
        summaries[name] = summary
        symbols += [{"file": name, **e.to_json()} for e in entries]
    if not summaries:
        return EXIT_BAD_INPUT
    if args.json or getattr(args, "format", None) == "json":
        meta = run_metadata()
        meta["files"] = [str(p) for p in args.files]
        print_json({"meta": meta, "symbols": symbols, "summary": summaries})
        return EXIT_OK
    for name, summary in summaries.items():
        rows = [s for s in symbols if s["file"] == name]
        counts = ", ".join(f"{summary['symbols'].get(p, 0)} {p}" for p in ORDER)
        print(f"{name}: {len(rows)} symbols ({counts}); "
              f"{summary['all_known']} of {summary['statements']} statements with every symbol known")
        width = max((len(r["name"]) for r in rows), default=4)
        for r in rows:
            print(f"  {r['line']:>5}  {r['name']:<{width}}  {r['provenance']:<8}  {r['kind']}")
            answer = "; ".join(r.get("declare", ())) if r["provenance"] in ("guess", "unknown") else ""
            print(f"  {'':>5}  {'':<{width}}  {'':<8}  {r['cue']}" + (f"  [declare: {answer}]" if answer else ""))
            if r.get("contradicted"):
                print(f"  {'':>5}  {'':<{width}}  {'':<8}  contradicted: {r['contradicted']}")
    sys.stdout.flush()
    return EXIT_OK
