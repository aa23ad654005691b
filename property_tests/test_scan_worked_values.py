r"""An inline worked number computed from a value the sentence gives (issue 80: the rebuilt middle was credited
with one -- a squared step printed as 10^{-13} for a step of 10^{-7}; the default's worked-number check with the
document's definitions in force decides it). Each slip in three phrasings, each with its correct twin. A value
set after a conditional word ("For ... set $\\delta = 10^{-7}$") is a condition, and a slip under it is left
unflagged; a value stated after the formula ("$\\epsilon^2 = 10^{-13}$ for $\\epsilon = 10^{-7}$") is not read yet."""

from __future__ import annotations

import pytest

from property_tests.scanning import scan_text

SLIPS = [
    ("With $\\epsilon = 10^{-7}$, the second-order term is of size $\\epsilon^2 = VALUE$, far below the rest.",
     "\\epsilon^2"),
    ("We pick a step $h = 10^{-7}$. Then $h^2 = VALUE$ is negligible next to $h$.", "h^2"),
    ("Taking $\\delta=10^{-7}$ in the forward difference gives a square $\\delta^{2} = VALUE$.", "\\delta^{2}"),
]


def _verdict(tmp_path, text: str, left: str) -> str:
    records = [r for r in scan_text(tmp_path, "# Appendix: finite differences\n\n" + text) if r.text.startswith(left)]
    assert len(records) == 1, text
    return records[0].verdict


@pytest.mark.parametrize("sentence, left", SLIPS)
def test_a_square_of_a_given_step_printed_an_order_off_is_flagged(tmp_path, sentence, left):
    assert _verdict(tmp_path, sentence.replace("VALUE", "10^{-13}"), left) == "disagrees"


@pytest.mark.parametrize("sentence, left", SLIPS)
def test_the_correct_square_is_not_flagged(tmp_path, sentence, left):
    assert _verdict(tmp_path, sentence.replace("VALUE", "10^{-14}"), left) == "proved"
