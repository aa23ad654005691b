"""``derivspec scan FILE... [--json] [--only-flags] [--format text|json|github|sarif]``: the command's output.

A path that cannot be read (missing, unreadable, binary, not UTF-8, empty, a suffix scan does not
read, an OS error) is one line on stderr and left out; the other files are still scanned and
reported, and the summary counts the paths not read (``refused``). Exit codes: 0 nothing flagged,
1 something flagged, 2 nothing could be read (or bad usage), 3 nothing flagged but the scan is
incomplete: a file's time budget (``--file-time-limit``) was spent before all its statements were
checked (a timeout is inconclusive, never a pass: DESIGN.md).
"""

from __future__ import annotations

import contextlib
import os
import sys
import time

from derivspec.core.errors import EXIT_BAD_INPUT, EXIT_FAILED, EXIT_INCONCLUSIVE, EXIT_OK, DerivspecError

VERDICT_STYLE = {"proved": "green", "disagrees": "bold red", "unchecked": "dim"}


class _Progress:
    """``scan: FILE 120/313 statements`` on stderr: rewritten in place on a terminal, a line per
    quarter otherwise (long files only)."""

    def __init__(self, label: str):
        self.label = label
        self.tty = sys.stderr.isatty()
        self.last_quarter = -1
        self.started = time.monotonic()

    def __call__(self, done: int, total: int) -> None:
        if total < 40:
            return
        if self.tty:
            sys.stderr.write(f"\rscan: {self.label} {done}/{total} statements")
            if done == total:
                sys.stderr.write(f" ({time.monotonic() - self.started:.1f} s)\n")
            sys.stderr.flush()
            return
        quarter = 4 * done // total
        if quarter != self.last_quarter:
            self.last_quarter = quarter
            print(f"scan: {self.label} {done}/{total} statements", file=sys.stderr)


def default_workers() -> int:
    try:
        available = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        available = os.cpu_count() or 1
    return max(1, min(2, available))


def scan_paths(paths, *, seconds=None, workers=None, progress: bool = True, known: bool = True,
               sources: bool = True, file_seconds=None, settings=None, include=(), exclude=(), refused=None):
    """Records and per-file summaries. ``paths`` files or folders (derivspec.app.inputs), ``settings``
    a derivspec.app.settings.Settings (default: none), ``include`` / ``exclude`` globs added to its
    own; ``refused`` as :func:`scan_files` (without it, a path that cannot be scanned is
    DerivspecError, exit 2); the rest as :func:`scan_files`."""
    from derivspec.app.inputs import lecture_files
    from derivspec.app.settings import Settings

    settings = settings or Settings()
    return scan_files(lecture_files(paths, settings, include, exclude, refused), seconds=seconds, workers=workers,
                      progress=progress, known=known, sources=sources, file_seconds=file_seconds, settings=settings,
                      refused=refused)


def scan_files(files, *, seconds=None, workers=None, progress: bool = True, known: bool = True,
               sources: bool = True, file_seconds=None, settings=None, refused=None, cache=None, rules=None):
    """The records and per-file summaries of ``files``, the (path, name its records carry) pairs of
    derivspec.app.inputs.lecture_files; every file is read before any is scanned. A file that cannot
    be read (missing, unreadable, binary, not UTF-8, empty) is left out and its one-line message
    (``path: problem``) added to ``refused``, the others still scanned; without ``refused`` it is
    DerivspecError (exit 2). ``file_seconds``: each file's time budget (default FILE_SECONDS of
    derivspec.scan.runner); ``cache`` a derivspec.app.scan_cache.ResultCache (None: every file checked); ``rules``
    the codes of the coded rules to run (derivspec.scan.rules.registry.select; None: none)."""
    from derivspec.app.settings import Settings
    from derivspec.scan import ScanError, scan_file, summary
    from derivspec.scan.extract import load_lecture
    from derivspec.scan.runner import FILE_SECONDS

    def refuse(error: ScanError) -> None:
        if refused is None:
            raise DerivspecError(str(error)) from None
        refused.append(str(error))

    settings = settings or Settings()
    readable = []
    for path, name in files:  # bad input is refused before any work
        try:
            load_lecture(path)
        except ScanError as error:
            refuse(error)
            continue
        readable.append((path, name))
    workers = default_workers() if workers is None else workers
    scan_one = cache.wrap(scan_file) if cache is not None else scan_file
    records, per_file = [], {}
    for path, name in readable:
        try:
            found = scan_one(path, seconds=seconds, workers=workers, known=known, sources=sources, name=name,
                              progress=_Progress(name) if progress else None,
                              file_seconds=file_seconds or FILE_SECONDS, declared=settings.declared,
                              **({"rules": rules} if rules else {}))
        except ScanError as error:  # changed since it was read
            refuse(error)
            continue
        records.extend(found)
        per_file[name] = summary(found)
    return records, per_file


def run(args) -> int:
    if getattr(args, "scope", False):  # --scope: the scope table, nothing checked (derivspec.app.scan_scope)
        from derivspec.app.scan_scope import run_scope

        return run_scope(args)
    from derivspec.core.metadata import run_metadata
    from derivspec.app.output import print_json
    from derivspec.scan import summary

    from derivspec.scan.runner import BUDGET_SPENT
    from derivspec.app.annotated import html_writer
    from derivspec.app.inputs import lecture_files
    from derivspec.app.settings import load_settings

    from derivspec.app.output import OutputFile
    from derivspec.app.scan_cache import ResultCache
    from derivspec.app.scan_formats import counts_for_exit
    from derivspec.app.scan_selection import Selection

    fmt = scan_format(args)
    output_file = getattr(args, "output_file", None)
    output = OutputFile(output_file) if output_file is not None else None  # checked before any work
    write_html = html_writer(args)  # --html DIR: checked before any work
    selection = Selection.parse(getattr(args, "select", None), getattr(args, "ignore", None))
    settings = load_settings(getattr(args, "config", None))
    quiet = getattr(args, "quiet", False)
    refused = _Said()  # paths not read: one line each on stderr as soon as known; the others are still scanned
    files = lecture_files(args.files, settings, getattr(args, "include", None) or (),
                          getattr(args, "exclude", None) or (), refused)  # (path, name): the scan, CI formats, --html
    cache = None if getattr(args, "no_cache", False) else ResultCache(getattr(args, "cache_dir", None))
    records, per_file = scan_files(files, seconds=args.time_limit, workers=args.jobs,
                                   progress=(fmt == "text" or sys.stderr.isatty()) and not quiet,
                                   file_seconds=args.file_time_limit, settings=settings, refused=refused, cache=cache,
                                   rules=selection.rules(getattr(args, "preview", False)))
    if not per_file:  # nothing could be read: each path was its line on stderr
        return EXIT_BAD_INPUT
    scanned = [(path, name) for path, name in files if name in per_file]
    if selection:  # --select / --ignore: the rest of the run sees the chosen statements only
        records = selection.apply(records)
        per_file = {name: summary([r for r in records if r.file == name]) for name in per_file}
    flagged = [r for r in records if r.verdict == "disagrees" and not r.suppressed]  # a suppressed flag: not exit 1
    failing = [r for r in flagged if counts_for_exit(r, strict=getattr(args, "strict", False))]  # errors (questions too: --strict)
    shown = flagged if args.only_flags else records
    total = summary(records)
    if len(per_file) > 1:
        total["files"] = per_file
    if refused:
        total["refused"] = len(refused)  # files and folders not read (each one line on stderr)
        total["refused_files"] = list(refused)
    with output.capture() if output is not None else contextlib.nullcontext():
        if fmt in ("github", "sarif"):  # derivspec.app.scan_formats: CI annotations, a SARIF log
            from derivspec.app.scan_formats import print_format

            print_format(fmt, records, total, scanned)
        elif fmt == "json":
            meta = run_metadata()
            meta["files"] = [str(p) for p in args.files]
            meta["settings"] = str(settings.source) if settings.source else None
            print_json({"meta": meta, "statements": [r.to_json() for r in shown], "summary": total})
        elif quiet or args.only_flags:  # a linter's rows: path:line:col: LEVEL ...
            from derivspec.app.scan_formats import print_rows

            print_rows(records, per_file, total, scanned, errors_only=args.only_flags, totals=not quiet)
        else:
            print_table(shown, per_file, total, files=scanned)
    if write_html:
        write_html(scanned, records)
    if failing:
        return EXIT_FAILED
    return EXIT_INCONCLUSIVE if any(r.reason.startswith(BUDGET_SPENT) for r in records) else EXIT_OK


class _Said(list):
    """Lines of paths not read, each printed on stderr as it is added (``derivspec: error: PATH: PROBLEM``)."""

    def append(self, line: str) -> None:
        from derivspec.app.output import error_line

        error_line(line)
        super().append(line)


def scan_format(args) -> str:
    """``--format`` (default text); ``--json`` is ``--format json``."""
    chosen = getattr(args, "format", None)
    if args.json and chosen not in (None, "json"):
        raise DerivspecError(f"scan: --json is --format json; it cannot be combined with --format {chosen}")
    return "json" if args.json else chosen or "text"


def _clip(text: str, limit: int) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[:limit - 1] + "…"


BLOCKS_BELOW = 100  # columns: narrower than this, one block of lines per statement instead of a table


def _verdict_text(record) -> str:
    """``CODE verdict`` (``DS001 disagrees``, ``DS102? disagrees`` for a question, ``notice unchecked``;
    the verdict alone for the rest: derivspec.app.scan_formats.marker), and a suppression."""
    from derivspec.app.scan_formats import marker

    found = marker(record)
    return (f"{found} " if found else "") + record.verdict + (" (suppressed)" if record.suppressed else "")


def _steps_text(steps) -> str:
    """``1. a = b: proved; 2. b = c: unchecked`` (each step's evidence level, statements clipped)."""
    return "; ".join(f"{k}. {_clip(text, 60)}: {found}" for k, (text, found) in enumerate(steps, 1))


def print_table(records, per_file: dict, total: dict, only_flags: bool = False, quiet: bool = False,
                files=None) -> None:
    """The records per file within the terminal's width (derivspec.app.output.width): a table at
    BLOCKS_BELOW columns and more (the location ``line:col``, a notebook's ``cell N, line M, col C``),
    else a block per statement (``path:12:5: DS001 disagrees  chain  claim``, then the statement and
    the reason, evidence and correct form, indented and wrapped); a notice's and a warning's
    evidence is shown as a flag's is. ``quiet``: each file's summary line and its flags only, no
    total (``scan -q`` prints derivspec.app.scan_formats.print_rows instead). ``files``: the (path, name) pairs read, for
    the paths and columns."""
    from rich.markup import escape
    from rich.table import Table
    from rich.text import Text

    from derivspec.app.output import console, print_indented
    from derivspec.app.scan_formats import code, linter_location, locations, marker, position, reason_text
    from derivspec.scan.records import steps_differ
    from derivspec.app.scan_locations import Sources

    out = console()
    sources = Sources(files or [])
    located = locations(files or [])
    blocks = quiet or out.width < BLOCKS_BELOW
    by_file: dict[str, list] = {}
    for r in records:
        if not quiet or (r.verdict == "disagrees" and not r.suppressed):
            by_file.setdefault(r.file, []).append(r)

    def indented(text: Text, depth: int = 2) -> None:
        print_indented(out, text, depth)

    for file in per_file:
        rows = by_file.get(file, [])
        s = per_file[file]
        title = (f"{file}: {s['statements']} statements, {s['checked']} checked, {s['flagged']} flagged, "
                 + (f"{s['suppressed']} suppressed, " if s.get("suppressed") else "") + f"{s['unchecked']} unchecked")
        if not rows:
            out.print(Text(title + ("" if not only_flags else " — nothing flagged")), overflow="fold")
            continue
        if blocks:
            out.print(Text(title, style="bold"), overflow="fold")
            for r in rows:
                head = Text(f"{linter_location(r, located, sources)}:", style="bold")
                verdict = Text(_verdict_text(r), style=VERDICT_STYLE[r.verdict])  # DS001 disagrees
                if quiet:  # the location and the rule code, as a linter's row
                    parts = [Text.assemble(head, " ", Text(marker(r), style="bold red")) if code(r) else head]
                else:
                    parts = [Text.assemble(head, " ", verdict), Text(r.kind)]
                if r.claim:
                    parts.append(Text(r.claim, style="cyan"))
                out.print(Text("  ").join(parts), overflow="fold")
                indented(Text(" ".join(r.text.split())))
                flagged = r.verdict == "disagrees" or r.level in ("warning", "notice")
                if not quiet and r.reason:
                    indented(Text(f"{'why' if flagged else 'reason'}: ", style="dim") + Text(_clip(reason_text(r), 400)))
                if not quiet and (steps := steps_differ(r)):  # the weakest step decides the row: show which
                    indented(Text("steps: ", style="dim") + Text(_steps_text(steps)))
                if r.correct and flagged:
                    indented(Text("correct: ", style="dim") + Text(" ".join(r.correct.split())))
                if r.evidence and flagged:
                    indented(Text("counterexample: " if quiet and r.verdict == "disagrees" else "evidence: ", style="dim")
                             + Text(" ".join(r.evidence.split()), style="yellow"))
                if r.suppressed:
                    indented(Text(f"suppressed: {r.suppressed}", style="dim"))
            continue
        grid = Table(title=title, title_justify="left")
        notebook = any(r.cell is not None for r in rows)
        grid.add_column("location" if notebook else "line:col", no_wrap=not notebook)
        grid.add_column("code", no_wrap=True)
        grid.add_column("kind", no_wrap=True)
        grid.add_column("verdict", no_wrap=True)
        grid.add_column("statement", overflow="fold", max_width=max(30, (out.width - 40) // 2))
        grid.add_column("claim / reason / evidence", overflow="fold")
        for r in rows:
            found = r.level
            verdict = (f"[{VERDICT_STYLE[r.verdict]}]{r.verdict}[/]" + (f" [yellow]({found})[/]" if found in
                                                                         ("warning", "notice") else "")
                       + (" [dim](suppressed)[/]" if r.suppressed else ""))
            detail = escape(_clip(reason_text(r), 260))
            if r.claim and r.claim not in r.reason:
                detail = f"[cyan]{escape(r.claim)}[/] " + detail
            if steps := steps_differ(r):  # the weakest step decides the row: show which
                detail += f"\n[dim]steps:[/] {escape(_steps_text(steps))}"
            if r.evidence and found in ("error", "warning", "notice"):
                detail += f"\n[yellow]{escape(_clip(r.evidence, 220))}[/]"
            if r.correct and r.verdict == "disagrees":
                detail += f"\ncorrect: {escape(_clip(r.correct, 200))}"
            if r.suppressed:
                detail += f"\n[dim]suppressed: {escape(r.suppressed)}[/]"
            rule = marker(r) if code(r) else ""  # DS001, DS001? for a question
            grid.add_row(position(r, sources), f"[bold red]{rule}[/]" if rule else "", r.kind, verdict,
                         escape(_clip(r.text, 200)), detail)
        out.print(grid)
    if quiet:
        return
    reasons = ", ".join(f"{n} {k}" for k, n in total["unchecked_by_reason"].items())
    out.print(f"[bold]{total['statements']} statements[/]: {total['checked']} checked "
              f"({total['proved']} proved, [red]{total['flagged']} flagged[/]"
              + (f", {total['suppressed']} {'flag' if total['suppressed'] == 1 else 'flags'} suppressed"
                 if total.get("suppressed") else "")
              + f"), {total['unchecked']} unchecked"
              + (f" ({escape(reasons)})" if reasons else "")
              + (f"; [bold]{total['refused']} not read[/]" if total.get("refused") else ""))
