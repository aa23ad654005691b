"""The HTML views' math and colours, without a browser (issue 43.5; the browser checks are in
test_html_layout_browser.py): font commands before a bare letter, words inside a formula, names with
underscores in derivspec's evidence, long inline formulas that must wrap, mathvariant letters that
Chromium would not draw; a line's colour is its worst *judged* statement, and an unchecked
statement's reason is printed under it. Every formula and lecture here is written for the test.
"""

from __future__ import annotations

import html
import re

import pytest

from scanning import scan_text

pytest.importorskip("jinja2", reason="the report extra is missing: pip install '.[report]'")
pytest.importorskip("latex2mathml", reason="the report extra is missing: pip install '.[report]'")

ITALIC_RUN = re.compile(r"(?:<mi>[A-Za-z]</mi>){3,}")  # three italic letters in a row: a word set as a product
SPLIT_SUBSCRIPT = re.compile(r"<msub><mi>[^<]*</mi><mi>[A-Za-z]</mi></msub><mi>[A-Za-z]</mi>")


def mathml(latex: str) -> str:
    from derivspec.app.rendering import Math

    return html.unescape(str(Math().mathml(latex)))


def test_a_font_command_before_a_bare_letter_draws_the_letter():
    from derivspec.app.rendering import Math, unicode_tex

    out = mathml(r"\mathbb E_{z}[z] + \mathcal N + \mathbf v")
    assert "𝔼" in out and "𝒩" in out and "𝐯" in out and "mathvariant" not in out, out
    # inside prose, the command stays with its letter and the whole formula is one math part
    rendered = str(Math().prose(r"hence \mathrm{KL}(q_{one}\|r) = \mathbb E_{q_{one}}[\log q_{one}] here"))
    assert rendered.count("<math") == 1 and "mathbb" not in re.sub(r'data-tex="[^"]*"', "", rendered)
    # the Unicode fallback never shows a font command's name
    assert "mathbb" not in unicode_tex(r"a \mathbb") and "mathcal" not in unicode_tex(r"\mathcal")



def test_a_formula_shown_again_is_converted_once_and_counted_each_time():
    """The report shows many formulas more than once (issue 90: its pages were written in one process after the
    workers): each (formula, display) is converted once, and every showing is still counted."""
    from derivspec.app.rendering import Math

    math = Math()
    calls = []
    convert = math._convert
    math._convert = lambda latex, display: calls.append(latex) or convert(latex, display=display)
    first, again = math.mathml(r"\frac{a}{b} + c"), math.mathml(r"\frac{a}{b} + c")
    assert str(first) == str(again) and 'data-tex="\\frac{a}{b} + c"' in str(first)
    assert math.mathml(r"\frac{a}{b} + c", display=True) != first  # block math is another conversion
    assert len(calls) == 2 and math.converted == 3
    bad = r"a^"
    assert math.mathml(bad) is None and math.mathml(bad) is None and math.failed == [bad, bad]


def test_words_in_a_formula_are_upright():
    out = mathml(r"0.5 \cdot 0.4 = 0.2 nats")
    assert "nats" in out and "<mtext>" in out and not ITALIC_RUN.search(out), out
    out = mathml(r"Var x + \mathrm{ELBO}")
    assert "<mo>Var</mo>" in out and "<mi>ELBO</mi>" in out and not ITALIC_RUN.search(out), out
    assert "<mi>a</mi><mi>b</mi>" in mathml("ab + 1"), "two letters stay a product"
    assert "<mtext>By\xa0</mtext>" in mathml(r"N(0, 1)—By chance"), "a capitalised short word is text"
    thin = '<mspace width="0.1667em"></mspace>'
    assert f"<mi>y</mi>{thin}<mi>log</mi>{thin}<mi>p</mi>" in mathml(r"y\log p"), "log is spaced as TeX spaces it"
    assert ITALIC_RUN.search("<mi>a</mi><mi>b</mi><mi>c</mi>"), "the pattern finds a word set in italics"


def test_an_identifier_in_evidence_keeps_its_whole_subscript():
    from derivspec.app.rendering import Math

    rendered = html.unescape(str(Math().prose("at the optimum max |q - p_model| = 0.01 and s_jj = 2")))
    assert "<mtext>model</mtext>" in rendered and "<mi>j</mi><mi>j</mi></mrow></msub>" in rendered, rendered
    assert not SPLIT_SUBSCRIPT.search(rendered), rendered
    # as TeX reads ``p_model`` (the old rendering): the subscript is the m alone
    from latex2mathml.converter import convert

    assert SPLIT_SUBSCRIPT.search(convert("p_model + 1").replace("<mrow>", ""))
    # a Python name with two underscores or a file path is text, not a subscript
    text = str(Math().prose("the variant flip_the_sign fails (see models/my_model.py)"))
    assert "<math" not in text and "flip_the_sign" in text and "my_model.py" in text


def test_a_long_inline_formula_is_split_where_it_may_wrap():
    from derivspec.app.latex_tidy import top_level_pieces
    from derivspec.app.rendering import Math

    assert top_level_pieces(r"f(a, b) = 1, g = 2; h = 3") == [("f(a, b) = 1", ","), (" g = 2", ";"), (" h = 3", "")]
    assert top_level_pieces(r"\{1, 2\}") == [(r"\{1, 2\}", "")], "a comma inside braces stays"
    assert top_level_pieces(r"\begin{cases} a, & b \end{cases}") == [(r"\begin{cases} a, & b \end{cases}", "")]
    assert top_level_pieces("x = (1, 2") == [("x = (1, 2", "")], "unbalanced: one piece"
    long = r"A = " + " + ".join(f"\\frac{{u_{i}}}{{v_{i}}}" for i in range(8)) + r" \le B"
    pieces = top_level_pieces(long)
    assert [p.strip()[:3] for p, _ in pieces] == ["A", "= \\", "\\le"], pieces
    rendered = str(Math().prose(r"instance \theta=1/3, \phi=2/7, \psi=5/9"))
    assert rendered.count("<math") == 3 and "</math>, <math" in rendered, rendered


def test_a_bracket_opened_in_prose_is_not_math():
    from derivspec.app.rendering import prose_parts

    assert prose_parts(r"defines \gamma (a definition)") == [
        ("text", "defines "), ("math", r"\gamma"), ("text", " (a definition)")]


def test_mathvariant_letters_become_unicode():
    from derivspec.app.latex_tidy import unicode_variants

    assert unicode_variants('<mi mathvariant="double-struck">R</mi>') == "<mi>ℝ</mi>"
    assert unicode_variants('<mi mathvariant="bold-italic">&#x003B8;</mi>') == "<mi>𝜽</mi>"
    assert unicode_variants('<mi mathvariant="normal">K</mi><mi mathvariant="normal">L</mi>') == "<mi>KL</mi>"
    assert unicode_variants('<mi mathvariant="normal">d</mi>') == '<mi mathvariant="normal">d</mi>'


# written for this test: line 3 holds a definition and a worked number that is proved, line 5 only
# definitions, line 7 a wrong worked number beside a definition
LECTURE = r"""# Numbers

Let $k = 4$ and then $3 \cdot 5 + 2 = 17$ on one line.

Put $\tau = 3$ and $\rho = 6$.

Take $m = 2$; then $4 \cdot 4 = 15$.
"""


@pytest.fixture(scope="module")
def numbers(tmp_path_factory):
    folder = tmp_path_factory.mktemp("html-rendering")
    return folder / "numbers.md", scan_text(folder, LECTURE, name="numbers.md")


def test_a_line_takes_the_colour_of_its_worst_judged_statement(numbers):
    from derivspec.app.annotated import annotate

    path, records = numbers
    verdicts = {(r.lines[0], r.verdict) for r in records}
    assert {(3, "unchecked"), (3, "proved"), (5, "unchecked"), (7, "unchecked"), (7, "disagrees")} <= verdicts
    assert not {(5, "proved"), (5, "disagrees")} & verdicts
    states = {line.number: line.state for line in annotate(path, records).lines}
    assert states[3] == "proved", "a definition beside a proved worked number leaves the line green"
    assert states[5] == "unchecked" and states[7] == "flagged" and states[1] == "plain"


def test_unchecked_reasons_are_printed_under_their_line(numbers, tmp_path):
    from derivspec.app.annotated import write_annotated

    path, records = numbers
    write_annotated(tmp_path, [(path, "numbers.md")], records)
    page = (tmp_path / "lecture-numbers.md.html").read_text(encoding="utf-8")
    rows = re.findall(r'<tr class="why"><td></td><td></td><td><ul class="why-note">(.*?)</ul>', page, re.S)
    notes = [html.unescape(re.sub(r"<[^>]+>", "", row)) for row in rows]
    assert len(notes) == 3, notes  # lines 3, 5 and 7
    assert all("unchecked:" in note and "definition" in note for note in notes), notes
    assert notes[1].count("unchecked:") == 2, "both definitions of line 5, each with its reason"
    assert page.index('id="L5"') < page.index(rows[1]) < page.index('id="L6"'), "the reasons follow their line"
