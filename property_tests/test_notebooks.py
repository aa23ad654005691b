"""Notebooks in the annotated view and in Python (issue 43, point 3): ``scan NB.ipynb --html`` and the
report's scan page show the notebook's cells -- Markdown rendered, code folded -- never its JSON,
each flag after the block of its cell's line and cited as ``cell N, line M``;
``derivspec.scan_text`` returns the records with the annotated view as ``_repr_html_``; the
``%%derivspec`` cell magic scans a cell. The browser rendering is in test_notebooks_browser.py, the
example notebook run by nbclient in test_notebook_example.py.
"""

from __future__ import annotations

import html
import json
import re

import pytest

pytest.importorskip("jinja2", reason="the report extra is missing: pip install '.[report]'")
pytest.importorskip("latex2mathml", reason="the report extra is missing: pip install '.[report]'")

# written for this test: a heading cell, a code cell whose text would be a flag if it were read,
# a Markdown cell with one identity that holds and one worked number that does not
HEAD = "# Sums and squares\n\nA note with a <b>tag</b> and $x_1$ inline."
CODE = "wrong = '2 + 2 = 5'\nprint(wrong)"
BODY = "The square of a sum:\n\n$$(a+b)^2 = a^2 + 2ab + b^2$$\n\nand a slip:\n\n$$3 \\cdot 4 = 13$$\n\nThe end."
RIGHT, WRONG = 3, 7  # their lines in cell 3


def notebook_json(*cells) -> str:
    """nbformat 4 JSON of (kind, source) cells, sources as Jupyter stores them (a list of lines)."""
    def cell(kind, source):
        data = {"cell_type": kind, "metadata": {}, "source": source.splitlines(keepends=True)}
        return {**data, "outputs": [], "execution_count": None} if kind == "code" else data

    return json.dumps({"cells": [cell(k, s) for k, s in cells], "nbformat": 4, "nbformat_minor": 5,
                       "metadata": {"kernelspec": {"display_name": "Python 3", "language": "python",
                                                   "name": "python3"}}}, indent=1)


NOTEBOOK = notebook_json(("markdown", HEAD), ("code", CODE), ("markdown", BODY))


@pytest.fixture(scope="module")
def scanned(tmp_path_factory):
    from derivspec.scan import scan_file

    path = tmp_path_factory.mktemp("notebook") / "sums.ipynb"
    path.write_text(NOTEBOOK, encoding="utf-8")
    return path, scan_file(path, workers=0, sources=False)


def rendered_page(scanned):
    from derivspec.app.annotated import annotate, render
    from derivspec.app.rendering import Math, environment

    path, records = scanned
    view = annotate(path, records)
    return view, str(render(environment(Math()), view, claims=set()))


def text_of(page: str) -> str:
    """What a reader sees: the page without tags and MathML."""
    return html.unescape(re.sub(r"<[^>]+>", " ", re.sub(r"<math.*?</math>", " ", page, flags=re.S)))


def test_the_records_carry_cell_and_line(scanned):
    _, records = scanned
    placed = {(r.cell, r.lines[0]): r.verdict for r in records}
    assert placed == {(3, RIGHT): "proved", (3, WRONG): "disagrees"}, "the code cell is not read"


def test_the_view_is_the_cells_not_the_json(scanned):
    view, page = rendered_page(scanned)
    assert [(c.number, c.kind) for c in view.cells] == [(1, "markdown"), (2, "code"), (3, "markdown")]
    seen = text_of(page)
    for json_only in ('"cell_type"', "nbformat", "display_name", '"source"', "kernelspec"):
        assert json_only not in seen and json_only not in page
    # Markdown rendered: the heading is a heading, the cell's raw HTML is text, the math is MathML
    assert "<h1>Sums and squares</h1>" in page and "&lt;b&gt;tag&lt;/b&gt;" in page and "<b>tag</b>" not in page
    assert page.count("<math") >= 3 and "$$" not in seen and "$x_1$" not in seen
    # the code cell folded, its text kept verbatim
    code = re.search(r'<section class="nb-cell nb-code" id="cell-2">(.*?)</section>', page, re.S).group(1)
    assert "<details" in code and "<details open" not in code and CODE in html.unescape(code)


def test_a_flag_follows_the_block_of_its_cell_line(scanned):
    view, page = rendered_page(scanned)
    cell = view.cells[2]
    states = {(b.first, b.last): b.state for b in cell.blocks}
    assert states[(RIGHT, RIGHT)] == "proved" and states[(WRONG, WRONG)] == "flagged"
    assert [b.first for b in cell.blocks if b.flags] == [WRONG]
    assert [(line.cell, line.number) for line, _ in view.flags] == [(3, WRONG)]
    row = re.search(rf'<tr class="line flagged" id="c3-B{WRONG}".*?</tr>\s*(<tr class="flag" id="flag-1">.*?</tr>)',
                    page, re.S)
    assert row, "the flag row comes right after the flagged block"
    assert f"cell 3, line {WRONG}" in row.group(1) and f'id="c3-L{WRONG}"' in page
    assert f'<a href="#flag-1">cell 3, line {WRONG}</a>' in page


def test_a_markdown_lecture_keeps_its_line_table(tmp_path):
    from derivspec.app.annotated import annotate

    path = tmp_path / "plain.md"
    path.write_text(BODY + "\n", encoding="utf-8")
    view = annotate(path, [])
    assert view.cells is None and [line.anchor for line in view.lines[:2]] == ["L1", "L2"]


def test_the_report_scan_page_links_the_cells(scanned):
    from derivspec.app.report import scan_section

    path, records = scanned
    section = scan_section([r.to_json() for r in records], files=[(path, "sums.ipynb")])
    assert f'lecture-sums.ipynb.html#c3-L{WRONG}">sums.ipynb, cell 3, line {WRONG}</a>' in str(section.body)
    (page,) = section.pages
    body = str(page.body)
    assert 'id="cell-2"' in body and "<details" in body and "display_name" not in body
    assert f"cell 3, line {WRONG}" in text_of(body)


def test_markdown_blocks_keep_their_lines_and_leave_code_alone():
    from derivspec.app.cells import markdown_blocks
    from derivspec.app.rendering import Math

    source = "Intro $a_1$ here\n\n$$\nx_1 =\n y\n$$\n\n```\n$not math$ a_b\n```\n\n- item `$b$`"
    blocks = markdown_blocks(source, Math())
    assert [(first, last) for first, last, _ in blocks] == [(1, 1), (3, 6), (8, 10), (12, 12)]
    intro, display, fence, item = (str(h) for _, _, h in blocks)
    assert "<math" in intro and 'display="block"' in display and "x_1" not in text_of(display)
    assert "<math" not in fence and "$not math$ a_b" in fence and "<code>$b$</code>" in item


def test_an_image_in_a_cell_is_never_loaded():
    from derivspec.app.cells import markdown_blocks
    from derivspec.app.rendering import Math

    ((_, _, shown),) = markdown_blocks("A ![plot of *x*](https://example.org/p.png) and ![](b.png)", Math())
    assert str(shown) == "<p>A [image: plot of x] and [image: b.png]</p>\n"


def test_a_reason_that_cites_a_line_cites_its_cell():
    from derivspec.scan.extract import Lecture
    from derivspec.scan.records import Record
    from derivspec.scan.runner import _placed

    # cells 1 (joined lines 1-2) and 3 (joined lines 4-9)
    lecture = Lecture("a\nb\n\nc\nd\ne\nf\ng\nh\n", "ipynb", ((1, 1, 2), (3, 4, 6)))
    record = Record("n.ipynb", (8, 8), "x = 1", "chain", "unchecked",
                    "the first-order condition of the likelihood at line 5 (with x = 2 (line 2))", "from line 8")
    (placed,) = _placed([record], [], lecture)
    assert (placed.cell, placed.lines) == (3, (5, 5))
    assert placed.reason == "the first-order condition of the likelihood at cell 3, line 2 (with x = 2 (cell 1, line 2))"
    assert placed.evidence == "from line 8", "only a cited line is rewritten"


# --- derivspec.scan_text ------------------------------------------------------------------------

@pytest.fixture(scope="module")
def from_text():
    import derivspec

    return derivspec.scan_text(BODY)


def test_scan_text_returns_the_records(from_text):
    from derivspec.scan import Record

    assert all(isinstance(r, Record) for r in from_text) and len(from_text) == 2
    assert [r.lines[0] for r in from_text.flags] == [WRONG] and from_text.flags[0].file == "lecture.md"
    assert from_text.summary["flagged"] == 1 and from_text.summary["proved"] == 1
    assert from_text.to_json()[1]["verdict"] == "disagrees"
    assert repr(from_text).splitlines() == ["<ScanResult lecture.md: 2 statements, 1 proved, 1 flagged, 0 unchecked>",
                                           f"  line {WRONG}: disagrees: 3 \\cdot 4 = 13"]


def test_scan_text_shows_the_annotated_view_inline(from_text):
    shown = from_text._repr_html_()
    assert shown.startswith('<div class="derivspec-result">') and "<strong>1 flagged</strong>" in shown
    srcdoc = html.unescape(re.search(r'srcdoc="([^"]*)"', shown).group(1))
    assert srcdoc == from_text.html()
    assert srcdoc.startswith("<!DOCTYPE html>") and "<style>" in srcdoc and "--flagged-bg" in srcdoc
    assert not re.search(r'<link|<script|src="http|href="http', srcdoc), "self-contained"
    assert f'id="L{WRONG}"' in srcdoc and 'class="flag-note"' in srcdoc and "derivspec-" not in srcdoc


def test_scan_text_of_a_notebook_shows_its_cells():
    import derivspec

    result = derivspec.scan_text(NOTEBOOK, name="sums.ipynb")
    assert [(r.cell, r.lines[0]) for r in result.flags] == [(3, WRONG)]
    assert repr(result).splitlines()[1].startswith(f"  cell 3, line {WRONG}: disagrees")
    page = result.html()
    assert 'id="cell-2"' in page and "display_name" not in page


@pytest.mark.parametrize("source, options, message", [
    (b"$$a = b$$", {}, "source must be a str, not bytes"),
    ("$$a = b$$", {"name": "../up.md"}, "name must be a file name"),
    ("$$a = b$$", {"name": "notes.py"}, "'notes.py' has a suffix scan does not read"),
    ("{not json", {"name": "n.ipynb"}, "n.ipynb: not a Jupyter notebook (invalid JSON"),
])
def test_scan_text_refuses_bad_input_in_one_line(source, options, message):
    import derivspec
    from derivspec.core.errors import DerivspecError

    with pytest.raises(DerivspecError) as caught:
        derivspec.scan_text(source, **options)
    assert message in str(caught.value) and "\n" not in str(caught.value) and "derivspec-" not in str(caught.value)


def test_the_cell_magic_scans_its_cell():
    pytest.importorskip("IPython", reason="IPython is not installed (pip install '.[test]')")
    from IPython.core.error import UsageError
    from IPython.core.interactiveshell import InteractiveShell

    shell = InteractiveShell.instance()
    shell.run_line_magic("load_ext", "derivspec")
    result = shell.run_cell_magic("derivspec", "--name slip.md", "$$3 \\cdot 4 = 13$$\n")
    assert result.name == "slip.md" and [r.verdict for r in result] == ["disagrees"]
    with pytest.raises(UsageError, match="unknown option --colour"):
        shell.run_cell_magic("derivspec", "--colour", "$$a = a$$")
    with pytest.raises(UsageError, match="suffix scan does not read"):
        shell.run_cell_magic("derivspec", "--name x.py", "$$a = a$$")
