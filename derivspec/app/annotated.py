"""The annotated lecture view: a scanned file line by line, each line coloured by the verdict of
the statements on it, every flag (the claim, its correct form as math, the counterexample) right
after its line.

    derivspec scan lecture.md --html out     # out/index.html and out/lecture-lecture.md.html
    derivspec report --scan lecture.md       # the report's scan page links the same view

A line's colour is the worst verdict of its judged statements: *flagged* (red) when a statement on
it disagrees, else *proved* (green) when one is proved; *unchecked* (grey) only when none on it was
judged (a definition beside a proved worked number leaves the line green); a line without a
statement is plain. The reason of each unchecked statement is printed under its last line. Needs the
report extra (latex2mathml, jinja2), never torch or numpy.

A Jupyter notebook is shown as its cells: each Markdown cell rendered block by block
(:mod:`derivspec.app.cells`), a block coloured as its worst line and followed by the flags of its
lines; code and raw cells folded (``<details>``). Its records carry their cell and the lines within
it, and every location reads ``cell N, line M``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from derivspec.app.rendering import Math, environment, line_anchor, require, stylesheet

STATE = {"proved": "proved", "disagrees": "flagged", "unchecked": "unchecked"}
RANK = {"plain": 0, "unchecked": 1, "proved": 2, "flagged": 3}  # a judged verdict outranks unchecked
MARKS = {"plain": "", "proved": "✓", "unchecked": "·", "flagged": "✗"}
FIELDS = {"text": "", "kind": "", "verdict": "unchecked", "claim": None, "reason": "", "evidence": "", "correct": "",
          "cell": None}


def as_record(record) -> dict:
    """A scan record (``Record`` or its JSON) as a dict with every field the templates read."""
    data = record.to_json() if hasattr(record, "to_json") else dict(record)
    return {**FIELDS, **{k: v for k, v in data.items() if v is not None or k == "claim"}}


def page_name(file: str) -> str:
    """The annotated page of a scanned file: ``lecture-<name>.html``, the name its records carry
    (``notes.md``, or ``week1/notes.md`` for a file found in a folder), characters outside
    ``[A-Za-z0-9_.-]`` as ``-``: two ``index.md`` in different folders get two pages."""
    return "lecture-" + re.sub(r"[^A-Za-z0-9_.-]+", "-", file) + ".html"


@dataclass
class Line:
    number: int
    text: str
    state: str = "plain"
    records: list = field(default_factory=list)
    flags: list = field(default_factory=list)
    cell: int | None = None  # a notebook's cell; ``number`` is then the line within it
    unchecked: list = field(default_factory=list)  # the unchecked statements that end on this line

    @property
    def notes(self) -> str:
        """The tooltip: each statement's verdict and reason."""
        return "\n".join(f"{r['verdict']}: {r['reason']}" for r in self.records)

    @property
    def anchor(self) -> str:
        return line_anchor(self.cell, self.number)


@dataclass
class Block:
    """A rendered block of a Markdown cell: its lines (``first``..``last`` of the cell) and HTML."""

    first: int
    last: int
    html: str
    lines: list[Line]

    @property
    def state(self) -> str:
        return max((line.state for line in self.lines), key=RANK.__getitem__, default="plain")

    @property
    def flags(self) -> list:
        return [r for line in self.lines for r in line.flags]

    @property
    def unchecked(self) -> list:
        return [r for line in self.lines for r in line.unchecked]

    @property
    def notes(self) -> str:
        return "\n".join(line.notes for line in self.lines if line.notes)


@dataclass
class Cell:
    """A notebook cell: ``kind`` markdown, code or raw; a Markdown cell's ``lines`` carry its verdicts."""

    number: int
    kind: str
    source: str
    lines: list[Line] = field(default_factory=list)
    blocks: list[Block] = field(default_factory=list)  # filled when the page is rendered


@dataclass
class Annotated:
    file: str  # the name the records carry
    path: str
    title: str
    page: str
    lines: list[Line]
    records: list[dict]
    cells: list[Cell] | None = None  # a notebook's cells (its ``lines``: those of its Markdown cells)

    @property
    def statements(self) -> int:
        return len(self.records)

    @property
    def counts(self) -> dict:
        return {state: sum(STATE.get(r["verdict"]) == state for r in self.records)
                for state in ("proved", "flagged", "unchecked")}

    @property
    def line_counts(self) -> dict:
        return {state: sum(line.state == state for line in self.lines) for state in RANK}

    @property
    def flags(self) -> list:
        return [(line, r) for line in self.lines for r in line.flags]


def _lay(lines: list[Line], records: list[dict], flags: list[int]) -> None:
    """Each record on the lines it spans (``lines[0]`` is line 1), the line's state its worst judged
    verdict (RANK); a flag also after its last line, numbered on from ``flags[0]``; an unchecked
    record in its last line's ``unchecked`` (its reason is printed there)."""
    for r in records:
        first, last = (int(n) for n in r["lines"])
        first, last = max(1, first), min(len(lines), max(first, last))
        state = STATE.get(r["verdict"], "unchecked")
        for line in lines[first - 1:last]:
            line.records.append(r)
            if RANK[state] > RANK[line.state]:
                line.state = state
        if state == "flagged" and last >= 1:
            flags[0] += 1
            r["flag_number"] = flags[0]
            lines[last - 1].flags.append(r)
        elif state == "unchecked" and last >= 1:
            lines[last - 1].unchecked.append(r)


def _text_lines(text: str, cell: int | None = None) -> list[Line]:
    lines = [Line(i, line, cell=cell) for i, line in enumerate(text.split("\n"), 1)]
    if lines and lines[-1].text == "" and len(lines) > 1:
        lines.pop()  # the newline that ends the file
    return lines


def annotate(path, records, name: str | None = None, title: str | None = None) -> Annotated:
    """The file at ``path`` with its scan ``records`` (those of this file) laid on its lines; a
    notebook's on the lines of its cells."""
    from derivspec.core.lectures import order_key, title_of
    from derivspec.scan.extract import file_kind, notebook_cells, read_lecture
    from derivspec.scan.html_pages import html_text

    text = read_lecture(path)
    if file_kind(path) == "html":
        text = html_text(text)  # the page as the scan read it: the text a reader sees, on the page's lines
    name = name or Path(path).name
    records = [as_record(r) for r in records]
    flags = [0]
    if file_kind(path) == "ipynb" and text.lstrip().startswith("{"):
        chosen = sorted(records, key=lambda r: (r["cell"] or 0, *order_key(name, r["lines"])))
        cells = [Cell(number, kind, source) for number, kind, source in notebook_cells(text, path)]
        for cell in cells:
            if cell.kind == "markdown" and cell.source.strip():
                cell.lines = _text_lines(cell.source.rstrip(), cell.number)
                _lay(cell.lines, [r for r in chosen if r["cell"] == cell.number], flags)
        lines = [line for cell in cells for line in cell.lines]
        return Annotated(name, str(path), title or title_of(name), page_name(name), lines, chosen, cells)
    lines = _text_lines(text)
    chosen = sorted(records, key=lambda r: order_key(name, r["lines"]))
    _lay(lines, chosen, flags)
    return Annotated(name, str(path), title or title_of(name), page_name(name), lines, chosen)


def _render_cells(math, annotated: Annotated) -> None:
    """Each Markdown cell's rendered blocks (derivspec.app.cells), holding the lines they came from;
    a line between blocks (a blank one) goes with the block before it."""
    from derivspec.app.cells import markdown_blocks

    for cell in annotated.cells or ():
        if cell.kind != "markdown" or not cell.lines or cell.blocks:
            continue
        found = markdown_blocks(cell.source.rstrip(), math)
        for index, (first, last, html) in enumerate(found):
            until = found[index + 1][0] - 1 if index + 1 < len(found) else len(cell.lines)
            start = 1 if index == 0 else first
            cell.blocks.append(Block(first, last, html, cell.lines[start - 1:max(until, last)]))


def render(env, annotated: Annotated, back: dict | None = None, claims: set[str] | None = None):
    """The page body (Markup): counts, legend, the lines, the flags. ``back``: ``{"href", "label"}``
    of a link back; ``claims``: the claim ids to link (None: every claim; an empty set: none)."""
    _render_cells(env.filters["math"], annotated)
    return env.get_template("annotated_body.html").render(a=annotated, back=back, marks=MARKS, claims=claims)


def html_writer(args):
    """``scan --html DIR``: None without the option; else refuses (exit 2, one line) before any
    scanning when the report extra is missing or DIR cannot be a folder to write
    (derivspec.app.paths.output_folder), and returns the function that writes the pages once the
    records are there."""
    import sys

    from derivspec.app.paths import output_folder

    out = getattr(args, "html", None)
    if out is None:
        return None
    require("derivspec scan --html")
    output_folder(out, "--html")  # a file, a path under a file, a folder that cannot be written: exit 2 now

    def write(files, records) -> list[Path]:
        written = write_annotated(out, files, records)
        print(f"scan: annotated lecture view written: {Path(out) / 'index.html'}", file=sys.stderr)
        return written

    return write


def views(files, records) -> list[Annotated]:
    """The annotated view of each scanned file: ``files`` the (path, name its records carry) pairs
    the scan read (derivspec.app.inputs.lecture_files), ``records`` the scan's records."""
    records = [as_record(r) for r in records]
    return [annotate(path, [r for r in records if r["file"] == name], name) for path, name in files]


def write_annotated(out, files, records, math: Math | None = None) -> list[Path]:
    """The annotated page of each scanned file and an ``index.html`` listing them, in ``out``;
    ``files`` the (path, name its records carry) pairs the scan read (derivspec.app.inputs)."""
    from markupsafe import Markup

    from derivspec.core.metadata import run_metadata

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    env = environment(math or Math())
    pages = views(files, records)
    meta = run_metadata()
    footer = f"derivspec {meta.get('derivspec')}, sympy {meta.get('sympy')}; {meta.get('time')}"
    nav = [("index.html", "Scanned files")] + [(a.page, a.title) for a in pages]
    frame = {"nav": nav, "site_name": "derivspec scan", "footer": footer}
    written = [out / "style.css"]
    written[0].write_text(stylesheet(), encoding="utf-8")
    totals = {"statements": sum(a.statements for a in pages),
              **{k: sum(a.counts[k] for a in pages) for k in ("proved", "flagged", "unchecked")}}
    index = env.get_template("annotated_index.html").render(title="Scanned files", pages=pages, totals=totals, **frame)
    (out / "index.html").write_text(index, encoding="utf-8")
    written.append(out / "index.html")
    for a in pages:
        body = Markup(render(env, a, back={"href": "index.html", "label": "all scanned files"}, claims=set()))
        page = env.get_template("page.html").render(title=a.title, body=body, **frame)
        (out / a.page).write_text(page, encoding="utf-8")
        written.append(out / a.page)
    return written
