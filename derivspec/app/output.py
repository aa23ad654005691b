"""Printing for the commands: JSON, plain lines, and rich tables whose first column (the
claim id) never wraps or truncates -- the other columns wrap instead."""

from __future__ import annotations

import json
import sys


def print_json(data) -> None:
    """``data`` as JSON on stdout -- always valid UTF-8: a file name that is not (its bytes kept by
    Python as surrogates) is written with its bad bytes as ``\\xff`` escapes."""
    json.dump(_printable(data), sys.stdout, indent=2, ensure_ascii=False)
    sys.stdout.write("\n")


def printable_name(text: str) -> str:
    """A string with undecodable bytes (surrogate escapes) shown as ``\\xNN``."""
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def _printable(data):
    if isinstance(data, str):
        return printable_name(data) if any("\udc80" <= c <= "\udcff" for c in data) else data
    if isinstance(data, dict):
        return {_printable(k): _printable(v) for k, v in data.items()}
    if isinstance(data, (list, tuple)):
        return [_printable(v) for v in data]
    return data


def say(text: str) -> None:
    print(text)


def styled(text: str, styles: dict[str, str]) -> str:
    """``text`` in its status colour (rich markup), escaped otherwise."""
    from rich.markup import escape

    style = styles.get(text)
    return f"[{style}]{text}[/]" if style else escape(text)


def table(title: str, columns: tuple[str, ...], rows, markup: bool = False) -> None:
    """A rich table; cells are literal text unless ``markup`` (then callers escape their text)."""
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    console = Console(highlight=False, width=None if sys.stdout.isatty() else 160)
    grid = Table(title=title)
    for i, column in enumerate(columns):
        grid.add_column(column, no_wrap=(i == 0), overflow="fold", min_width=None)
    for row in rows:
        grid.add_row(*(cell if markup and i > 0 else escape(str(cell)) for i, cell in enumerate(row)))
    console.print(grid)


class Recomputing:
    """Progress of the behaviour checks the cache did not hold (each trains a reference model or
    runs a sampler: seconds): one line per check on stderr, ``  3: CLAIM: CHECK (FILE, lines L)``,
    and a closing count. Silent when everything came from the cache (``verify`` fills it)."""

    def __init__(self, command: str):
        self.command = command
        self.count = 0
        self.started = None

    def __call__(self, description: str) -> None:
        import time

        if self.started is None:
            self.started = time.monotonic()
            print(f"derivspec {self.command}: behaviour checks not in the cache (`derivspec verify` fills it); "
                  "running them:", file=sys.stderr, flush=True)
        self.count += 1
        print(f"  {self.count}: {description}", file=sys.stderr, flush=True)

    def close(self) -> None:
        import time

        if self.count:
            print(f"derivspec {self.command}: ran {self.count} behaviour checks in "
                  f"{time.monotonic() - self.started:.1f} s", file=sys.stderr, flush=True)
