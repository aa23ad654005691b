"""``derivspec scan FILE... [--json] [--only-flags] [--format text|json|github|sarif]``: the command's output.

Exit codes: 0 nothing flagged, 1 something flagged, 2 bad input (a file that cannot be read,
a binary file, not UTF-8 text) with one line on stderr, 3 nothing flagged but the scan is
incomplete: a file's time budget (``--file-time-limit``) was spent before all its statements
were checked (a timeout is inconclusive, never a pass: DESIGN.md).
"""

from __future__ import annotations

import os
import sys
import time

from derivspec.core.errors import EXIT_FAILED, EXIT_INCONCLUSIVE, EXIT_OK, DerivspecError

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
               sources: bool = True, file_seconds=None, settings=None, include=(), exclude=()):
    """Records and per-file summaries; DerivspecError (exit 2) for a file that cannot be scanned.
    ``file_seconds``: each file's time budget (default FILE_SECONDS of derivspec.scan.runner);
    ``paths`` files or folders (derivspec.app.inputs), ``settings`` a derivspec.app.settings.Settings
    (default: none), ``include`` / ``exclude`` globs added to its own."""
    from derivspec.app.inputs import lecture_files
    from derivspec.app.settings import Settings
    from derivspec.scan import ScanError, scan_file, summary
    from derivspec.scan.extract import load_lecture
    from derivspec.scan.runner import FILE_SECONDS

    settings = settings or Settings()
    files = lecture_files(paths, settings, include, exclude)
    for path, _ in files:  # bad input is refused before any work
        try:
            load_lecture(path)
        except ScanError as error:
            raise DerivspecError(str(error)) from None
    workers = default_workers() if workers is None else workers
    records, per_file = [], {}
    for path, name in files:
        try:
            found = scan_file(path, seconds=seconds, workers=workers, known=known, sources=sources, name=name,
                              progress=_Progress(name) if progress else None,
                              file_seconds=file_seconds or FILE_SECONDS, declared=settings.declared)
        except ScanError as error:
            raise DerivspecError(str(error)) from None
        records.extend(found)
        per_file[name] = summary(found)
    return records, per_file


def run(args) -> int:
    from derivspec.core.metadata import run_metadata
    from derivspec.app.output import print_json
    from derivspec.scan import summary

    from derivspec.scan.runner import BUDGET_SPENT
    from derivspec.app.annotated import html_writer
    from derivspec.app.settings import load_settings

    fmt = scan_format(args)
    write_html = html_writer(args)  # --html DIR: checked before any work
    settings = load_settings(getattr(args, "config", None))
    records, per_file = scan_paths(args.files, seconds=args.time_limit, workers=args.jobs,
                                   progress=fmt == "text" or sys.stderr.isatty(), file_seconds=args.file_time_limit,
                                   settings=settings, include=getattr(args, "include", None) or (),
                                   exclude=getattr(args, "exclude", None) or ())
    flagged = [r for r in records if r.verdict == "disagrees" and not r.suppressed]  # a suppressed flag: not exit 1
    shown = flagged if args.only_flags else records
    total = summary(records)
    if len(per_file) > 1:
        total["files"] = per_file
    if fmt in ("github", "sarif"):  # derivspec.app.scan_formats: CI annotations, a SARIF log
        from derivspec.app.scan_formats import print_format

        print_format(fmt, records, total, args.files)
    elif fmt == "json":
        meta = run_metadata()
        meta["files"] = [str(p) for p in args.files]
        meta["settings"] = str(settings.source) if settings.source else None
        print_json({"meta": meta, "statements": [r.to_json() for r in shown], "summary": total})
    else:
        print_table(shown, per_file, total, only_flags=args.only_flags)
    if write_html:
        from derivspec.app.inputs import lecture_files

        write_html(lecture_files(args.files, settings, getattr(args, "include", None) or (),
                                 getattr(args, "exclude", None) or ()), records)
    if flagged:
        return EXIT_FAILED
    return EXIT_INCONCLUSIVE if any(r.reason.startswith(BUDGET_SPENT) for r in records) else EXIT_OK


def scan_format(args) -> str:
    """``--format`` (default text); ``--json`` is ``--format json``."""
    chosen = getattr(args, "format", None)
    if args.json and chosen not in (None, "json"):
        raise DerivspecError(f"scan: --json is --format json; it cannot be combined with --format {chosen}")
    return "json" if args.json else chosen or "text"


def _clip(text: str, limit: int) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[:limit - 1] + "…"


def _where(record) -> str:
    """The lines column: ``12``, ``12–14``; in a notebook ``cell 3, line 2``."""
    from derivspec.core.lectures import format_lines

    lines = format_lines(record.lines)
    return lines.replace("lines ", "").replace("line ", "") if record.cell is None else f"cell {record.cell}, {lines}"


def print_table(records, per_file: dict, total: dict, only_flags: bool = False) -> None:
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table


    console = Console(highlight=False, width=None if sys.stdout.isatty() else 160)
    by_file: dict[str, list] = {}
    for r in records:
        by_file.setdefault(r.file, []).append(r)
    for file in per_file:
        rows = by_file.get(file, [])
        s = per_file[file]
        title = (f"{file}: {s['statements']} statements, {s['checked']} checked, {s['flagged']} flagged, "
                 f"{s['unchecked']} unchecked")
        if not rows:
            console.print(title + ("" if not only_flags else " — nothing flagged"))
            continue
        grid = Table(title=title, title_justify="left")
        grid.add_column("lines", no_wrap=True)
        grid.add_column("kind", no_wrap=True)
        grid.add_column("verdict", no_wrap=True)
        grid.add_column("statement", overflow="fold", max_width=60)
        grid.add_column("claim / reason / evidence", overflow="fold")
        for r in rows:
            verdict = f"[{VERDICT_STYLE[r.verdict]}]{r.verdict}[/]" + (" [dim](suppressed)[/]" if r.suppressed else "")
            detail = escape(_clip(r.reason, 260))
            if r.claim and r.claim not in r.reason:
                detail = f"[cyan]{escape(r.claim)}[/] " + detail
            if r.evidence and r.verdict == "disagrees":
                detail += f"\n[yellow]{escape(_clip(r.evidence, 220))}[/]"
            if r.correct and r.verdict == "disagrees":
                detail += f"\ncorrect: {escape(_clip(r.correct, 200))}"
            if r.suppressed:
                detail += f"\n[dim]suppressed: {escape(r.suppressed)}[/]"
            grid.add_row(_where(r), r.kind, verdict,
                         escape(_clip(r.text, 200)), detail)
        console.print(grid)
    reasons = ", ".join(f"{n} {k}" for k, n in total["unchecked_by_reason"].items())
    console.print(f"[bold]{total['statements']} statements[/]: {total['checked']} checked "
                  f"({total['proved']} proved, [red]{total['flagged']} flagged[/]"
                  + (f", {total['suppressed']} flags suppressed" if total.get("suppressed") else "")
                  + f"), {total['unchecked']} unchecked"
                  + (f" ({escape(reasons)})" if reasons else ""))
