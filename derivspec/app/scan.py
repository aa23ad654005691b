"""``derivspec scan FILE... [--json] [--only-flags]``: the command's output.

Exit codes: 0 nothing flagged, 1 something flagged, 2 bad input (a file that cannot be read,
a binary file, not UTF-8 text) with one line on stderr, 3 nothing flagged but the scan is
incomplete: a file's time budget (``--file-time-limit``) was spent before all its statements
were checked (a timeout is inconclusive, never a pass: DESIGN.md).
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

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
               sources: bool = True, file_seconds=None):
    """Records and per-file summaries; DerivspecError (exit 2) for a file that cannot be scanned.
    ``file_seconds``: each file's time budget (default FILE_SECONDS of derivspec.scan.runner)."""
    from derivspec.scan import ScanError, scan_file, summary
    from derivspec.scan.extract import read_lecture
    from derivspec.scan.runner import FILE_SECONDS

    for path in paths:  # bad input is refused before any work
        try:
            read_lecture(path)
        except ScanError as error:
            raise DerivspecError(str(error)) from None
    workers = default_workers() if workers is None else workers
    records, per_file = [], {}
    for path in paths:
        try:
            found = scan_file(path, seconds=seconds, workers=workers, known=known, sources=sources,
                              progress=_Progress(Path(path).name) if progress else None,
                              file_seconds=file_seconds or FILE_SECONDS)
        except ScanError as error:
            raise DerivspecError(str(error)) from None
        records.extend(found)
        per_file[Path(path).name] = summary(found)
    return records, per_file


def run(args) -> int:
    from derivspec.core.metadata import run_metadata
    from derivspec.app.output import print_json
    from derivspec.scan import summary

    from derivspec.scan.runner import BUDGET_SPENT

    quiet = getattr(args, "quiet", False)
    records, per_file = scan_paths(args.files, seconds=args.time_limit, workers=args.jobs,
                                   progress=(not args.json or sys.stderr.isatty()) and not quiet,
                                   file_seconds=args.file_time_limit)
    flagged = [r for r in records if r.verdict == "disagrees"]
    shown = flagged if args.only_flags else records
    total = summary(records)
    if len(per_file) > 1:
        total["files"] = per_file
    if args.json:
        meta = run_metadata()
        meta["files"] = [str(p) for p in args.files]
        print_json({"meta": meta, "statements": [r.to_json() for r in shown], "summary": total})
    else:
        print_table(shown, per_file, total, only_flags=args.only_flags, quiet=quiet)
    if flagged:
        return EXIT_FAILED
    return EXIT_INCONCLUSIVE if any(r.reason.startswith(BUDGET_SPENT) for r in records) else EXIT_OK


def _clip(text: str, limit: int) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[:limit - 1] + "…"


BLOCKS_BELOW = 100  # columns: narrower than this, one block of lines per statement instead of a table


def _location(lines) -> str:
    """``L12`` or ``L12-14``."""
    first, last = lines[0], lines[-1]
    return f"L{first}" if first == last else f"L{first}-{last}"


def print_table(records, per_file: dict, total: dict, only_flags: bool = False, quiet: bool = False) -> None:
    """The records per file within the terminal's width (derivspec.app.output.width): a table at
    BLOCKS_BELOW columns and more, else a block per statement (``L12-14  disagrees  claim``, then
    the statement and the reason, evidence and correct form, indented and wrapped). ``quiet``: each
    file's summary line and its flags only (location, claim, statement, correct form,
    counterexample), no total."""
    from rich.markup import escape
    from rich.padding import Padding
    from rich.table import Table
    from rich.text import Text

    from derivspec.app.output import console

    out = console()
    blocks = quiet or out.width < BLOCKS_BELOW
    by_file: dict[str, list] = {}
    for r in records:
        if not quiet or r.verdict == "disagrees":
            by_file.setdefault(r.file, []).append(r)

    def indented(text: Text, depth: int = 2) -> None:
        out.print(Padding(text, (0, 0, 0, depth)), overflow="fold")

    for file in per_file:
        rows = by_file.get(file, [])
        s = per_file[file]
        title = (f"{file}: {s['statements']} statements, {s['checked']} checked, {s['flagged']} flagged, "
                 f"{s['unchecked']} unchecked")
        if not rows:
            out.print(Text(title + ("" if not only_flags else " — nothing flagged")), overflow="fold")
            continue
        if blocks:
            out.print(Text(title, style="bold"), overflow="fold")
            for r in rows:
                head = Text(f"{file}:{_location(r.lines)}" if quiet else _location(r.lines), style="bold")
                parts = [head] if quiet else [head, Text(r.verdict, style=VERDICT_STYLE[r.verdict]), Text(r.kind)]
                if r.claim:
                    parts.append(Text(r.claim, style="cyan"))
                out.print(Text("  ").join(parts), overflow="fold")
                indented(Text(" ".join(r.text.split())))
                flagged = r.verdict == "disagrees"
                if not quiet and r.reason:
                    indented(Text(f"{'why' if flagged else 'reason'}: ", style="dim") + Text(_clip(r.reason, 400)))
                if r.correct and flagged:
                    indented(Text("correct: ", style="dim") + Text(" ".join(r.correct.split())))
                if r.evidence and flagged:
                    indented(Text("counterexample: " if quiet else "evidence: ", style="dim")
                             + Text(" ".join(r.evidence.split()), style="yellow"))
            continue
        grid = Table(title=title, title_justify="left")
        grid.add_column("lines", no_wrap=True)
        grid.add_column("kind", no_wrap=True)
        grid.add_column("verdict", no_wrap=True)
        grid.add_column("statement", overflow="fold", max_width=max(30, (out.width - 40) // 2))
        grid.add_column("claim / reason / evidence", overflow="fold")
        for r in rows:
            verdict = f"[{VERDICT_STYLE[r.verdict]}]{r.verdict}[/]"
            detail = escape(_clip(r.reason, 260))
            if r.claim and r.claim not in r.reason:
                detail = f"[cyan]{escape(r.claim)}[/] " + detail
            if r.evidence and r.verdict == "disagrees":
                detail += f"\n[yellow]{escape(_clip(r.evidence, 220))}[/]"
            if r.correct and r.verdict == "disagrees":
                detail += f"\ncorrect: {escape(_clip(r.correct, 200))}"
            grid.add_row(_location(r.lines), r.kind, verdict, escape(_clip(r.text, 200)), detail)
        out.print(grid)
    if quiet:
        return
    reasons = ", ".join(f"{n} {k}" for k, n in total["unchecked_by_reason"].items())
    out.print(f"[bold]{total['statements']} statements[/]: {total['checked']} checked "
              f"({total['proved']} proved, [red]{total['flagged']} flagged[/]), {total['unchecked']} unchecked"
              + (f" ({escape(reasons)})" if reasons else ""))
