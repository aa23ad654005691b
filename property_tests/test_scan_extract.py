"""derivspec scan, step 1: every math statement of a file with its line span (issue 15)."""

from __future__ import annotations

import pytest

from derivspec.scan.extract import NotText, extract, read_text
from derivspec.scan.statements import clean


def statements(tmp_path, text: str, name: str = "notes.md"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return extract(path)


def test_inline_and_display_math_with_their_lines(tmp_path):
    found = statements(tmp_path, "Intro $a = b$ here.\n\n$$\nx = 1\n$$\n\nand \\[ y = 2 \\] end\n")
    assert [(s.text, s.lines, s.display) for s in found] == [
        ("a = b", (1, 1), False), ("x = 1", (4, 4), True), ("y = 2", (7, 7), True)]


def test_markdown_escaped_math_delimiters_are_math(tmp_path):
    """Markdown turns \\\\( … \\\\) into MathJax's \\( … \\) (the cs231n notes write every inline formula so)."""
    text = "The product \\\\(s = \\sum_i w_i x_i\\\\) and\n\n\\\\[ y = 2 s \\\\]\n\nbut \\\\(a\n\nb\\\\) is not.\n"
    found = statements(tmp_path, text)
    assert [(s.text, s.lines, s.display) for s in found] == [
        ("s = \\sum_i w_i x_i", (1, 1), False), ("y = 2 s", (3, 3), True)]


def test_an_aligned_chain_stays_together_and_a_new_left_side_starts_a_statement(tmp_path):
    text = ("$$\n\\begin{aligned}\nA &= B \\\\\n&= C \\\\\nD &= E\n\\end{aligned}\n$$\n")
    found = statements(tmp_path, text)
    assert [s.lines for s in found] == [(3, 4), (5, 5)]
    assert "A" in found[0].text and "C" in found[0].text and "D" not in found[0].text


def test_an_environment_written_with_a_space_before_its_brace_is_no_part_of_a_row(tmp_path):
    """``\\end {align}`` (a space before the brace, which LaTeX allows) ends the environment as ``\\end{align}``
    does: the last row is the formula alone (it carried the command, and was 'not read')."""
    for begin, end in (("\\begin {align}", "\\end {align}"), ("\\begin{aligned}", "\\end  {aligned}")):
        text = f"$$\n{begin}\nA &= B + C \\\\\nD &= E\n{end}\n$$\n"
        found = statements(tmp_path, text)
        assert [s.text.strip() for s in found] == ["A &= B + C", "D &= E"], found


def test_align_environment_without_dollars(tmp_path):
    text = "Text\n\\begin{align}\nf(x) &= x^2 \\\\\n&= x \\cdot x\n\\end{align}\n"
    found = statements(tmp_path, text)
    assert len(found) == 1 and found[0].lines == (3, 4)


def test_fenced_code_html_comments_and_inline_code_are_skipped(tmp_path):
    text = ("```{.python .input}\n# $a = b$ inside code\nx = '$y = 2$'\n```\n"
            "<!-- $c = d$ hidden -->\nUse `$e = f$` literally. Real $g = h$.\n")
    found = statements(tmp_path, text)
    assert [s.text for s in found] == ["g = h"]
    assert found[0].lines == (6, 6)


def test_dollar_amounts_are_not_math(tmp_path):
    assert statements(tmp_path, "It costs $5 and $10 per month.\n") == []


def test_latex_file_comments_and_preamble(tmp_path):
    text = ("\\documentclass{article}\n\\newcommand{\\x}{$a=b$}\n\\begin{document}\n"
            "% $c = d$ commented out\nText $e = f$.\n\\begin{equation}\ng = h \\label{eq:1}\n\\end{equation}\n"
            "\\end{document}\n")
    found = statements(tmp_path, text, "notes.tex")
    assert [s.lines for s in found] == [(5, 5), (7, 7)]
    assert clean(found[1]) == "g = h"


def test_labels_tags_and_equation_numbers_are_stripped(tmp_path):
    found = statements(tmp_path, "$$x = 1 \\quad (3)$$\n\n$$y = 2 \\tag{4}$$\n\n$$z = 3 \\label{z}$$\n")
    assert [clean(s) for s in found] == ["x = 1", "y = 2", "z = 3"]


def test_row_notes_are_stripped_but_a_parenthesised_factor_is_kept(tmp_path):
    text = "$$\n\\begin{aligned} a &= b \\quad \\text{(by parts)} \\\\ &= 2 \\cdot (-1.5) \\end{aligned}\n$$\n"
    cleaned = clean(statements(tmp_path, text)[0])
    assert "by parts" not in cleaned and "(-1.5)" in cleaned


def test_chatgpt_brackets_are_display_math(tmp_path):
    found = statements(tmp_path, "Loss:\n\n[\n\\mathcal{L} = -\\log p(y)\n]\n", "notes.txt")
    assert len(found) == 1 and found[0].lines == (4, 4)


def test_binary_and_invalid_utf8_are_refused(tmp_path):
    binary = tmp_path / "a.md"
    binary.write_bytes(b"\x00\x01\x02 $x=1$")
    with pytest.raises(NotText):
        read_text(binary)
    latin = tmp_path / "b.md"
    latin.write_bytes("caf\xe9 $x=1$".encode("latin-1"))
    with pytest.raises(NotText):
        read_text(latin)


def test_a_percent_comment_inside_markdown_math_is_no_part_of_the_formula(tmp_path):
    """MathJax and KaTeX read ``%`` as a comment to the end of the line, as LaTeX does: a line the author
    commented out is not a statement, and an escaped ``\\%`` stays."""
    text = ("$$\n\\begin{aligned}\nI &= a + b \\\\\n% &= b + a + 1\n&= b + a\n\\end{aligned}\n$$\n\n"
            "$$\n% J = 2\n$$\n\nand $r = 50\\%$ here.\n")
    found = statements(tmp_path, text)
    assert [clean(s) for s in found][0].replace(" ", "") == "I=a+b=b+a"
    assert found[0].lines == (3, 5)
    assert len(found) == 2 and "50" in clean(found[1])


def test_the_space_after_a_line_break_and_an_emptied_comment_are_no_part_of_the_formula(tmp_path):
    """``\\\\[0.5em]`` is a line break with extra space (not a bracket), and a comment column whose prose is
    dropped (``{\\footnotesize \\text{… $y$ …}}``) leaves an empty group: neither is read, and a bracket after a
    line break that is no length stays."""
    text = ("$$\n\\begin{aligned}\nA &= \\begin{bmatrix} a & b \\\\[0.5em] c & d \\\\[-2pt] \\end{bmatrix}"
            " & {\\footnotesize \\text{the layout of $y$}} \\\\\n&= B\n\\end{aligned}\n$$\n\n"
            "$$\nu = \\begin{bmatrix} 1 \\\\ [a, b] \\end{bmatrix}\n$$\n")
    first, second = (clean(s) for s in statements(tmp_path, text))
    assert "em" not in first and "pt]" not in first and "{" not in first.split("\\end{bmatrix}")[1]
    assert "[a, b]" in second
