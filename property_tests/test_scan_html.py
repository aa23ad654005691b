r"""``derivspec scan page.html``: an HTML page read as the text a reader sees (derivspec.scan.html_pages) --
Distill's ``<d-math>`` / ``<dt-math>`` and MathJax's ``<script type="math/tex">`` as math, on the page's lines.

The pages are written here; a page's expected lines are found in the page itself, not written down.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from derivspec.app import cli
from derivspec.scan.extract import extract
from derivspec.scan.html_pages import html_text

ROOT = Path(__file__).resolve().parents[1]

WRONG_SQUARE, RIGHT_SQUARE = "(a+b)^2 = a^2 + b^2", "(a+b)^2 = a^2 + 2ab + b^2"


def page(body: str) -> str:
    """A page in Distill's shape: a head with its template and styles, the article, a bibliography script."""
    return ("<!doctype html>\n<html>\n<head>\n  <script src=\"https://distill.pub/template.v2.js\"></script>\n"
            "  <style>d-math { color: #333; } /* $x = 1$ */</style>\n</head>\n<body>\n<d-article>\n"
            f"{body}</d-article>\n<script type=\"text/bibtex\">@article{{a, title={{$y = 2$}}}}</script>\n"
            "</body>\n</html>\n")


def square_page(tag: str, square: str) -> str:
    return page(f"<p>For real numbers <{tag}>a</{tag}> and <{tag}>b</{tag}>, expanding the square gives</p>\n"
                f"<{tag} block>\n  {square}\n</{tag}>\n<p>which the next section uses.</p>\n")


def line_of(text: str, needle: str) -> int:
    """The 1-based line of ``text`` that holds ``needle``."""
    (line,) = [number for number, content in enumerate(text.split("\n"), 1) if needle in content]
    return line


def found(tmp_path, text: str, name: str = "page.html"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return extract(path)


def scan(tmp_path, capsys, monkeypatch, name: str, content: str | bytes, *options: str) -> tuple[int, str, str]:
    """``derivspec scan NAME OPTIONS`` run from ``tmp_path`` on ``content``: exit code, stdout, stderr."""
    monkeypatch.chdir(tmp_path)
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    capsys.readouterr()
    code = cli.main(["scan", name, "--jobs", "1", "--no-cache", *options])
    out = capsys.readouterr()
    return code, out.out, out.err


@pytest.mark.parametrize("tag", ["d-math", "dt-math"])
def test_distill_math_inline_and_block_with_the_pages_lines(tmp_path, tag):
    text = square_page(tag, RIGHT_SQUARE)
    statements = found(tmp_path, text)
    assert [(s.text, s.display) for s in statements] == [("a", False), ("b", False), (RIGHT_SQUARE, True)]
    assert statements[0].lines == (line_of(text, "For real numbers"),) * 2
    assert statements[2].lines == (line_of(text, RIGHT_SQUARE),) * 2
    assert "expanding the square" in statements[2].before  # the prose around a display is its context


@pytest.mark.parametrize("tag", ["d-math", "dt-math"])
def test_a_wrong_step_in_a_distill_display_is_flagged_and_its_twin_is_not(tmp_path, capsys, monkeypatch, tag):
    code, out, err = scan(tmp_path, capsys, monkeypatch, "wrong.html", square_page(tag, WRONG_SQUARE), "--json")
    records = json.loads(out)["statements"]
    (flag,) = [r for r in records if r["verdict"] == "disagrees"]
    assert code == 1 and err == "" and flag["text"] == WRONG_SQUARE and flag["file"] == "wrong.html"
    assert flag["lines"] == [line_of(square_page(tag, WRONG_SQUARE), WRONG_SQUARE)] * 2
    code, out, err = scan(tmp_path, capsys, monkeypatch, "right.html", square_page(tag, RIGHT_SQUARE), "--json")
    records = json.loads(out)["statements"]
    assert code == 0 and err == "" and not [r for r in records if r["verdict"] == "disagrees"]
    assert [r["verdict"] for r in records if r["text"] == RIGHT_SQUARE] == ["proved"]


def test_a_display_over_several_lines_keeps_each_rows_line(tmp_path):
    rows = ["(a+b)^2 &amp;= (a+b)(a+b)", "&amp;= a^2 + 2ab + b^2", "c &amp;= a - b"]
    text = page("<p>Expanding,</p>\n<d-math block>\n\\begin{aligned}\n" + " \\\\\n".join(rows)
                + "\n\\end{aligned}\n</d-math>\n<p>and <d-math>c\n  = a - b</d-math> too.</p>\n")
    chain, difference, inline = found(tmp_path, text)
    assert chain.lines == (line_of(text, rows[0]), line_of(text, rows[1]))
    assert difference.lines == (line_of(text, rows[2]),) * 2
    assert inline.lines == (line_of(text, "<p>and <d-math>c"), line_of(text, "= a - b</d-math>"))
    assert "&=" in chain.text and "&amp;" not in chain.text
    assert html_text(text).count("\n") == text.count("\n")


def test_entities_are_decoded_inside_the_math_and_the_prose(tmp_path):
    text = page("<p>A probability <d-math>0 &lt; p &lt; 1</d-math> &amp; its odds "
                "<d-math>o = p / (1 - p) &gt; 0</d-math>.</p>\n")
    assert [s.text for s in found(tmp_path, text)] == ["0 < p < 1", "o = p / (1 - p) > 0"]
    assert "probability $0 < p < 1$ & its odds" in html_text(text)


def test_a_mathjax_page_keeps_its_script_math_and_its_own_delimiters(tmp_path):
    text = ("<html>\n<head><title>$t = 1$</title></head>\n<body>\n"
            "<p>The mean <script type=\"math/tex\">\\mu = \\frac{1}{n} \\sum_i x_i</script> and</p>\n"
            "<script type=\"math/tex; mode=display\">\n" + WRONG_SQUARE + "\n</script>\n"
            "<p>with \\(x &lt; y\\), \\[ u = v \\] and $$s = r$$.</p>\n"
            "<pre>$$p = q$$</pre>\n<!-- $$m = n$$ -->\n<script>var w = \"$$w = 3$$\";</script>\n</body>\n</html>\n")
    statements = found(tmp_path, text)
    assert [(s.text.strip(), s.display) for s in statements] == [
        ("\\mu = \\frac{1}{n} \\sum_i x_i", False), (WRONG_SQUARE, True), ("x < y", False), ("u = v", True),
        ("s = r", True)]
    assert [s.lines[0] for s in statements] == [line_of(text, "The mean"), line_of(text, WRONG_SQUARE)] + [
        line_of(text, "with \\(x")] * 3


def test_an_inline_suppression_in_a_page_is_kept_and_other_comments_are_not(tmp_path):
    text = square_page("d-math", WRONG_SQUARE).replace("<d-math block>", "<!-- $$c = d$$ -->\n"
                                                       "<!-- derivspec: ignore the book's typo -->\n<d-math block>")
    (suppressed,) = [s for s in found(tmp_path, text) if s.display]
    assert suppressed.text == WRONG_SQUARE and "the book's typo" in suppressed.suppression
    assert "$$c = d$$" not in html_text(text)


def test_the_harness_reads_a_page_with_the_scans_own_reading():
    sys.path.insert(0, str(ROOT / "benchmarks"))
    import scan_corpus

    text = square_page("d-math", WRONG_SQUARE) + "<script type=\"math/tex\">x = 1</script>\n"
    assert scan_corpus.html_text(text) == html_text(text)


def test_a_page_with_no_math_has_no_statements_and_exit_0(tmp_path, capsys, monkeypatch):
    text = page("<p>Prices went from 5 to 10 dollars &mdash; no formula here.</p>\n<code>$a = b$</code>\n")
    code, out, err = scan(tmp_path, capsys, monkeypatch, "plain.htm", text, "--json")
    assert code == 0 and err == "" and json.loads(out)["statements"] == []


@pytest.mark.parametrize("content", [b"caf\xe9 <d-math>x = 1</d-math>\n", b"<p>\x00\x01</p>\n", b""])
def test_an_unreadable_page_is_refused_in_one_line_as_a_markdown_file_is(tmp_path, capsys, monkeypatch, content):
    results = {}
    for name in ("notes.md", "notes.html"):
        code, out, err = scan(tmp_path, capsys, monkeypatch, name, content)
        results[name] = code, out, err.replace(name, "NAME")
    code, out, err = results["notes.html"]
    assert code == 2 and out == "" and len(err.splitlines()) == 1 and "Traceback" not in err
    assert results["notes.html"] == results["notes.md"]


def test_a_page_is_read_when_named_and_passed_over_in_a_folders_walk(tmp_path, capsys, monkeypatch):
    (tmp_path / "site").mkdir()
    (tmp_path / "site" / "built.html").write_text(square_page("d-math", WRONG_SQUARE), encoding="utf-8")
    (tmp_path / "site" / "notes.md").write_text(f"$${RIGHT_SQUARE}$$\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    capsys.readouterr()
    code = cli.main(["scan", "site", "--jobs", "1", "--no-cache", "--json"])
    assert code == 0 and {r["file"] for r in json.loads(capsys.readouterr().out)["statements"]} == {"site/notes.md"}
