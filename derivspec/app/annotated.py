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
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from derivspec.app.rendering import Math, environment, require, stylesheet

STATE = {"proved": "proved", "disagrees": "flagged", "unchecked": "unchecked"}
RANK = {"plain": 0, "unchecked": 1, "proved": 2, "flagged": 3}  # a judged verdict outranks unchecked
MARKS = {"plain": "", "proved": "✓", "unchecked": "·", "flagged": "✗"}
FIELDS = {"text": "", "kind": "", "verdict": "unchecked", "claim": None, "reason": "", "evidence": "", "correct": ""}


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
    unchecked: list = field(default_factory=list)  # the unchecked statements that end on this line

    @property
    def notes(self) -> str:
        """The tooltip: each statement's verdict and reason."""
        return "\n".join(f"{r['verdict']}: {r['reason']}" for r in self.records)


@dataclass
class Annotated:
    file: str  # the name the records carry
    path: str
    title: str
    page: str
    lines: list[Line]
    records: list[dict]

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


def annotate(path, records, name: str | None = None, title: str | None = None) -> Annotated:
    """The file at ``path`` with its scan ``records`` (those of this file) laid on its lines."""
    from derivspec.core.lectures import order_key, title_of
    from derivspec.scan.extract import read_lecture

    text = read_lecture(path)
    name = name or Path(path).name
    lines = [Line(i, line) for i, line in enumerate(text.split("\n"), 1)]
    if lines and lines[-1].text == "" and len(lines) > 1:
        lines.pop()  # the newline that ends the file
    chosen = sorted((as_record(r) for r in records), key=lambda r: order_key(name, r["lines"]))
    flag_number = 0
    for r in chosen:
        first, last = (int(n) for n in r["lines"])
        first, last = max(1, first), min(len(lines), max(first, last))
        state = STATE.get(r["verdict"], "unchecked")
        for line in lines[first - 1:last]:
            line.records.append(r)
            if RANK[state] > RANK[line.state]:
                line.state = state
        if state == "flagged" and last >= 1:
            flag_number += 1
            r["flag_number"] = flag_number
            lines[last - 1].flags.append(r)
        elif state == "unchecked" and last >= 1:
            lines[last - 1].unchecked.append(r)
    return Annotated(name, str(path), title or title_of(name), page_name(name), lines, chosen)


def render(env, annotated: Annotated, back: dict | None = None, claims: set[str] | None = None):
    """The page body (Markup): counts, legend, the lines, the flags. ``back``: ``{"href", "label"}``
    of a link back; ``claims``: the claim ids to link (None: every claim; an empty set: none)."""
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
