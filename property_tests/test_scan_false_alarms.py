"""False-alarm causes of ``scan`` on other authors' lectures (issue 23), each with its must-flag twin.

Documents are written for the test; the causes are the ones counted on public lecture material.
"""

from __future__ import annotations

import pytest

from derivspec.scan.runner import scan_path


def _verdict(tmp_path, prose: str, math: str) -> str:
    path = tmp_path / "doc.md"
    path.write_text(f"# Notes\n\n{prose}\n\n$$ {math} $$\n", encoding="utf-8")
    (record,) = [r for r in scan_path(path, workers=0, known=False, sources=False) if r.lines[0] == 5]
    return record.verdict


@pytest.mark.parametrize("prose, math", [
    ("We preprocess every feature in place:", r"x_i = \log(x_i)"),            # an update reusing its left side
    ("Each step of the loop increments the counter:", r"t = t + 1"),
    ("The Lagrangian is stationary:", r"0 = \nabla_{z} \left( z^2 - 2 z \right)"),  # a gradient set to zero
    ("Setting the derivative to zero,", r"\frac{\partial}{\partial w} (w - 3)^2 = 0"),
    ("The cookbook's trick:", r"\frac{\partial w^Ta}{\partial w} = \frac{\partial a^Tw}{\partial w} = a"),  # ^T a transpose, not a power
    (r"Let $X$ be a matrix and $w$ a vector; setting the gradient to zero,", r"2 X^\top (X w - y) = 0"),
])
def test_not_an_identity_is_never_flagged_as_one(tmp_path, prose, math):
    assert _verdict(tmp_path, prose, math) != "disagrees"


@pytest.mark.parametrize("prose, math", [
    ("A familiar identity:", r"\log(ab) = \log a + \log b + 1"),
    ("Expanding the square:", r"(x + 1)^2 = x^2 + x + 1"),
    (r"Let $A$ and $B$ be $n \times n$ matrices. Then", r"(AB)^{-1} = A^{-1} B^{-1}"),
])
def test_the_must_flag_twins_are_flagged(tmp_path, prose, math):
    assert _verdict(tmp_path, prose, math) == "disagrees"


def test_a_superscript_t_is_a_transpose_unless_t_is_a_variable():
    from derivspec.scan.statements import transposes_marked

    assert transposes_marked(r"X^TX w = X^Ty") == r"X^{\top}X w = X^{\top}y"
    assert transposes_marked(r"\sum_{t=1}^T x_t") == r"\sum_{t=1}^T x_t"  # a limit
    assert transposes_marked(r"x^T = T + 1") == r"x^T = T + 1"  # T is a variable here


def test_scalar_updates_are_unchecked_with_the_reason(tmp_path):
    path = tmp_path / "doc.md"
    path.write_text("# Notes\n\nIn place:\n\n$$ x_i = \\log(x_i) $$\n", encoding="utf-8")
    (record,) = [r for r in scan_path(path, workers=0, known=False, sources=False) if r.lines[0] == 5]
    assert record.verdict == "unchecked" and "reuses its own left side" in record.reason


def test_a_definition_the_document_states_after_the_formula_is_in_force(tmp_path):
    """'(recall x_i = p_i)' after a formula: the formula is judged with it, and never flagged for lacking it."""
    path = tmp_path / "doc.md"
    path.write_text("# Notes\n\n"
                    "The weight is $$ s_i = \\frac{p_i}{\\min(1, x_i \\tau)} = \\max(x_i, 1/\\tau) $$ (recall $x_i = p_i$).\n\n"
                    "Then $$ q_j \\frac{1}{(1-a)^2} = \\frac{1}{q_j} $$ with $a = 1 - q_j$.\n\n"
                    "Wrong even so: $$ (x_i + 1)^2 = x_i^2 + x_i + 1 $$\n", encoding="utf-8")
    chains = {r.lines[0]: r for r in scan_path(path, workers=0, known=False, sources=False)
              if not r.text.startswith(("x_i =", "a ="))}  # the two definitions are records of their own
    assert chains[3].verdict != "disagrees"
    assert chains[5].verdict == "proved" and "a = 1 - q_j" in chains[5].reason
    assert chains[7].verdict == "disagrees" and "also with the document's x_i = p_i" in chains[7].reason


def test_the_document_s_macros_and_beamer_overlays_are_read(tmp_path):
    """\\newcommand in the file, \\DeclareMathOperator, and \\pause/\\uncover around the mathematics."""
    path = tmp_path / "slides.tex"
    path.write_text("\\newcommand{\\sq}[1]{{#1}^2}\n\\DeclareMathOperator{\\Var}{Var}\n\n"
                    "\\begin{frame}\n\\[ \\sq{(a+b)} = a^2 + 2ab + b^2 \\pause \\]\n\n"
                    "\\[ \\uncover<2->{\\sq{(a-b)} = a^2 + b^2} \\]\n\\end{frame}\n", encoding="utf-8")
    verdicts = [r.verdict for r in scan_path(path, workers=0, known=False, sources=False)]
    assert verdicts == ["proved", "disagrees"]
