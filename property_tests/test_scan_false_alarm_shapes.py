r"""False-alarm shapes of issue 42, each with its must-flag twin (scan/statements.py, scan/scope.py, core/latex.py):
a condition on one unknown vector, a superscript that is an upper index, two numbers side by side. Every
document is written here."""

from __future__ import annotations

import pytest

from scanning import scan_text

VECTOR = "# V\n\nLet $\\mathbf{v} \\in \\mathbb{R}^n$ be a vector.\n\n"


def _verdicts(tmp_path, text: str) -> dict:
    return {r.text.strip(): r.verdict for r in scan_text(tmp_path, text)}


@pytest.mark.parametrize("condition", [r"{\left\|\mathbf{v}\right\|} = 1", r"\mathbf{v}^\top \mathbf{v} = 1"])
def test_an_equation_in_one_unknown_vector_is_a_condition_and_a_wrong_identity_is_not(tmp_path, condition):
    found = _verdicts(tmp_path, VECTOR + f"$${condition}$$\n\n$$\\|2\\mathbf{{v}}\\| = \\|\\mathbf{{v}}\\|$$\n")
    assert found[condition] == "unchecked"
    assert found[r"\|2\mathbf{v}\| = \|\mathbf{v}\|"] == "disagrees"  # the twin: an identity about v, wrong


def test_a_superscript_that_is_an_upper_index_is_not_read_as_a_power(tmp_path):
    claim = r"x^1 \cdot x^2 = x^4"
    indices = "# C\n\nIn coordinates $\\langle v, w \\rangle = \\sum_i v^i w^i$ and $x = (x^1, \\dots, x^n)$.\n\n"
    assert _verdicts(tmp_path, indices + f"$${claim}$$\n")[claim] == "unchecked"
    assert _verdicts(tmp_path, f"# P\n\nPowers of $x$:\n\n$${claim}$$\n")[claim] == "disagrees"  # the twin


def test_two_numbers_side_by_side_are_a_list_not_a_product(tmp_path):
    found = _verdicts(tmp_path, "# L\n\nThe labels are one-hot: $1 = [1 \\; 0]$ and $2 = [0 \\quad 1]$.\n\n"
                                "A slip: $1 = [1 \\cdot 0]$.\n")
    assert found[r"1 = [1 \; 0]"] == "unchecked" and found[r"2 = [0 \quad 1]"] == "unchecked"
    assert found[r"1 = [1 \cdot 0]"] == "disagrees"  # the twin: a product written as one


def test_a_font_written_twice_is_the_same_name(tmp_path):
    right = (r"- \| g(\mathbf{x}) - \mathbf{c} \|^2 = -g(\mathbf{\mathbf{x}})^{\top} g(\mathbf{x}) + "
             r"2 \mathbf{c}^{\top} g(\mathbf{x}) - \mathbf{c}^{\top} \mathbf{c}")
    found = [r.to_json() for r in scan_text(tmp_path, f"# N\n\n$${right}$$\n")]
    assert found[0]["evidence_level"] == "holds on instances", found  # \mathbf{\mathbf{x}} is \mathbf{x}
    scalar = r"- (g(x) - c)^2 = -g(x)^2 + c g(x) - c^2"  # the twin in scalars: a factor 2 dropped
    assert _verdicts(tmp_path, f"# N\n\n$${scalar}$$\n")[scalar] == "disagrees"
