"""Printing for the commands: JSON, plain lines, formulas (``sympy.pretty``) and tables, all within
the terminal's width (:func:`width`: ``COLUMNS``, the terminal, else 80). Every table goes through
:func:`table`: headers kept when piped, one line per row, the widest cells cut with an ellipsis."""

from __future__ import annotations

import contextlib
import json
import math
import os
import sys

MAX_MESSAGE = 400  # characters of an error line (a pasted formula can be long)
NOT_FINITE = {math.inf: "Infinity", -math.inf: "-Infinity"}  # how JSON output writes a float JSON has no number for


def print_json(data) -> None:
    """``data`` as JSON on stdout -- the one place JSON is printed. Always valid JSON: a float that
    is infinite or NaN (a huge number overflowed) is written as the string ``"Infinity"``,
    ``"-Infinity"`` or ``"NaN"`` (``allow_nan=False`` refuses any left); always valid UTF-8: a file
    name that is not (its bytes kept by Python as surrogates) is written with its bad bytes as
    ``\\xff`` escapes."""
    json.dump(_printable(data), sys.stdout, indent=2, ensure_ascii=False, allow_nan=False)
    sys.stdout.write("\n")


def one_line(text) -> str:
    """``text`` as one line of at most MAX_MESSAGE characters (whitespace collapsed; undecodable
    bytes, kept by Python as surrogates, written as backslash escapes)."""
    message = " ".join(str(text).split())  # one line, whatever the input held
    message = message.encode("utf-8", "backslashreplace").decode("utf-8")  # invalid UTF-8 arrives as surrogates
    return message if len(message) <= MAX_MESSAGE else message[:MAX_MESSAGE - 3] + "..."


def error_line(message) -> None:
    """``derivspec: error: MESSAGE`` as one line on stderr (bad input, exit code 2 where it ends the run)."""
    print(f"derivspec: error: {one_line(message)}", file=sys.stderr, flush=True)


def printable_name(text: str) -> str:
    """A string with undecodable bytes (surrogate escapes) shown as ``\\xNN``."""
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def _printable(data):
    if isinstance(data, float) and not math.isfinite(data):
        return "NaN" if math.isnan(data) else NOT_FINITE[data]
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


MIN_WIDTH = 40  # narrower than this, a table is still laid out for 40 columns
COLUMN_GAP = 2  # between two columns of a table: a space of padding and the (blank) rule


def width() -> int:
    """The columns text output may fill: ``COLUMNS`` when set, else the terminal's width when
    stdout is a terminal, else 80 (a pipe, a file)."""
    columns = os.environ.get("COLUMNS", "").strip()
    if columns.isdigit() and int(columns) > 0:
        return max(MIN_WIDTH, int(columns))
    if sys.stdout.isatty():
        try:
            return max(MIN_WIDTH, os.get_terminal_size(sys.stdout.fileno()).columns)
        except OSError:
            pass
    return 80


def console():
    """A rich Console on stdout at :func:`width` columns (no highlighting)."""
    from rich.console import Console

    return Console(highlight=False, width=width())


def print_indented(out, text, depth: int = 2) -> None:
    """A rich ``Text`` wrapped on words to the console's width less ``depth``, each line after
    ``depth`` spaces, without the trailing spaces a ``Padding`` would add to every line."""
    from rich.text import Text

    for line in text.wrap(out, max(10, out.width - depth), overflow="fold"):
        line.rstrip()
        out.print(Text(" " * depth) + line, overflow="fold", crop=False)


def wrapped(text: str, indent: str = "", later: str | None = None, columns: int | None = None) -> str:
    """``text`` wrapped on words to ``columns`` (default :func:`width`): the first line after
    ``indent``, the others after ``later`` (default: two spaces more than the first line's). A word longer
    than a line is cut -- no line is longer than the width."""
    import textwrap

    text = str(text)
    later = indent + " " * (len(text) - len(text.lstrip(" ")) + 2) if later is None else later
    lines = []
    for i, paragraph in enumerate(str(text).split("\n")):
        lines += textwrap.wrap(paragraph, width=columns or width(), initial_indent=indent if i == 0 else later,
                               subsequent_indent=later, break_on_hyphens=False, drop_whitespace=True) or [""]
    return "\n".join(lines)


def say_wrapped(text: str, indent: str = "", later: str | None = None) -> None:
    """:func:`say` with the text wrapped to the width (:func:`wrapped`)."""
    say(wrapped(text, indent, later))


def formula(expr, label: str = "", columns: int | None = None) -> str:
    """``expr`` drawn by ``sympy.pretty`` (unicode when stdout's encoding has its characters, else
    ASCII) within ``columns`` (default :func:`width`), ``label`` before it on the drawing's baseline
    (a multi-line drawing's other lines indented as far); text (not an expression) as it is."""
    from sympy.printing.pretty.pretty import PrettyPrinter
    from sympy.printing.pretty.pretty_symbology import pretty_use_unicode
    from sympy.printing.pretty.stringpict import prettyForm

    columns = columns or width()
    if isinstance(expr, str):
        return wrapped(label + expr, later=" " * len(label), columns=columns)
    encoding = getattr(sys.stdout, "encoding", None) or "ascii"
    try:
        "─│⎛⎞√π∑₁".encode(encoding)
        unicode = True
    except (UnicodeEncodeError, LookupError):
        unicode = False
    printer = PrettyPrinter({"use_unicode": unicode, "wrap_line": True, "num_columns": columns})
    was = pretty_use_unicode(unicode)  # as sympy.pretty does: the symbols' drawing reads this flag
    try:
        with _units_unloaded():
            drawing = printer._print(expr)
        if label:
            drawing = prettyForm(*drawing.left(label))
        text = drawing.render(wrap_line=True, num_columns=columns, use_unicode=unicode)
    finally:
        pretty_use_unicode(was)
    return "\n".join(line.rstrip() for line in text.split("\n"))


@contextlib.contextmanager
def _units_unloaded():
    """sympy's pretty printer imports ``sympy.physics.units`` for every product it draws, to look
    for a ``Quantity`` in it: 0.15 s, a third of a ``check``. No Quantity exists while that module
    is not loaded, so meanwhile a stand-in module answers (and is removed after)."""
    import types

    name = "sympy.physics.units"
    if name in sys.modules:
        yield
        return
    stand_in = types.ModuleType(name)
    stand_in.Quantity = type("Quantity", (), {})
    sys.modules[name] = stand_in
    try:
        yield
    finally:
        if sys.modules.get(name) is stand_in:
            del sys.modules[name]


def say_formula(label: str, expr) -> None:
    """``label`` then ``expr`` drawn by :func:`formula` (the label on the drawing's baseline)."""
    say(formula(expr, label))


def _plain(cell: str, markup: bool) -> str:
    from rich.text import Text

    return Text.from_markup(cell).plain if markup else cell


def fitted_widths(natural: list[int], columns: int, keep=(0,), gap: int = COLUMN_GAP) -> list[int]:
    """Each column's width so that the row fits ``columns``: the natural widths when they fit, else
    the widest columns not in ``keep`` cut to one level (water-filling: a column narrower than the
    level keeps its width), the characters left over going to the widest of the cut columns first.
    Never below one character; where even that does not fit, the kept columns are cut the same way."""
    total = sum(natural) + gap * (len(natural) - 1)
    if total <= columns:
        return list(natural)
    for kept in (set(keep), {0} & set(keep), set()):  # the kept columns; else the first alone; else none
        cut = [i for i in range(len(natural)) if i not in kept]
        budget = columns - gap * (len(natural) - 1) - sum(natural[i] for i in kept)
        if cut and budget >= len(cut):
            break
    else:
        return [1] * len(natural)
    level = max(1, budget // len(cut))
    while level < max(natural[i] for i in cut) and sum(min(natural[i], level + 1) for i in cut) <= budget:
        level += 1
    widths = [natural[i] if i not in cut else min(natural[i], level) for i in range(len(natural))]
    spare = budget - sum(widths[i] for i in cut)
    for i in sorted((i for i in cut if natural[i] > widths[i]), key=lambda i: -natural[i]):
        if spare <= 0:
            break
        widths[i] += 1
        spare -= 1
    return widths


def table(title: str, columns: tuple[str, ...], rows, markup: bool = False, keep: tuple[int, ...] = (0,)) -> None:
    """The one table renderer of the commands: the title (wrapped to :func:`width`), the headers and a
    rule under them -- on a terminal and in a pipe alike --, then one line per row within the width.
    When the rows do not fit, the widest columns are cut with an ellipsis (:func:`fitted_widths`),
    never wrapped; the columns in ``keep`` stay whole (by default the first: an id; add short words such
    as a status, or pass ``()`` where the first column is a label that may be cut). Cells are literal text unless ``markup`` (then callers escape their text; the first column
    is always literal); a header may hold a line break (two header lines)."""
    from rich import box
    from rich.cells import cell_len
    from rich.markup import escape
    from rich.table import Table

    out = console()
    rows = [[str(cell) for cell in row] for row in rows]
    cells = [[escape(cell) if i == 0 or not markup else cell for i, cell in enumerate(row)] for row in rows]
    plain = [[_plain(cell, markup and i > 0) for i, cell in enumerate(row)] for row in rows]
    natural = [max([cell_len(line) for line in header.split("\n")] + [cell_len(row[i]) for row in plain])
               for i, header in enumerate(columns)]
    widths = fitted_widths(natural, out.width, keep=keep)
    grid = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, padding=(0, 1, 0, 0))
    for column, fitted in zip(columns, widths):
        grid.add_column(column, width=fitted, no_wrap=True, overflow="ellipsis")
    for row in cells:
        grid.add_row(*row)
    if title:
        say(wrapped(title))
    with out.capture() as captured:
        out.print(grid)
    sys.stdout.write("".join(line.rstrip() + "\n" for line in captured.get().splitlines()))


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


class OutputFile:
    """``--output-file FILE``: the path is checked when this is made -- before any work -- by
    derivspec.app.paths.output_file, and :meth:`capture` sends what a command prints on stdout there
    (written when the command is done; missing folders on the way are made). A path that cannot be
    written is bad input, one line."""

    def __init__(self, given: str, option: str = "--output-file"):
        from derivspec.app.paths import output_file

        self.option, self.given = option, given
        self.path = output_file(given, option)

    @contextlib.contextmanager
    def capture(self):
        import io

        buffer = io.StringIO()
        with contextlib.redirect_stdout(buffer):
            yield
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.path.write_text(buffer.getvalue(), encoding="utf-8", errors="surrogateescape")
        except OSError as error:
            from derivspec.app.paths import PROBLEMS, shortened
            from derivspec.core.errors import DerivspecError

            why = PROBLEMS.get(error.errno) or error.strerror or type(error).__name__
            raise DerivspecError(f"{self.option} {shortened(self.given)}: cannot be written ({why})") from None
