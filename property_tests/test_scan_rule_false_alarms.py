r"""False alarms the scan's rules raised on real lecture material, each as a short document written here in the
same shape (never the source's text), with a true error of the same rule beside it that must still be flagged.

Each shape was flagged before its fix (the commit that adds it says by which rule) and must not be flagged after:
the fix is in the reading or the mechanism the rule shares, never a special case beside it.
"""

from __future__ import annotations

from pathlib import Path

from derivspec.scan.extract import extract
from derivspec.scan.rules import check_document, registry
from derivspec.scan.runner import has_relation

PREVIEW = registry.select(preview=True)


def _flags(tmp_path: Path, text: str, codes=PREVIEW) -> dict:
    """first line of a statement -> the code of the rule that flags it."""
    path = tmp_path / "notes.md"
    path.write_text(text, encoding="utf-8")
    statements = [s for s in extract(path) if has_relation(s)]
    return {statements[i].lines[0]: code for i, (code, _) in check_document(statements, text, codes).items()}


# --- 2. DS306: a product that contains norms is no norm ----------------------------------------------------

ANGLE = ("# Angles\n\nThe angle $\\theta$ between two vectors ties their inner product to their lengths:\n\n"
         "$$\\|u\\| \\|v\\| \\cos \\theta = u \\cdot v$$\n")
ANGLE_TWINS = ("The lengths enter as a product,\n\n$$\\|u\\|\\|v\\| = u \\cdot v$$\n\n"
               "and as a sum,\n\n$$\\lVert u \\rVert + \\lVert v \\rVert - 2 = u - v$$\n")
NORM_WRONG = "The squared distance between two scalars is\n\n$$\\|s - t\\|_2^2 = s^2 - t^2$$\n"


def test_product_of_norms_is_not_a_norm(tmp_path):
    assert _flags(tmp_path, ANGLE) == {}
    assert _flags(tmp_path, ANGLE_TWINS) == {}
    assert _flags(tmp_path, NORM_WRONG, frozenset({"DS306"})) == {3: "DS306"}
