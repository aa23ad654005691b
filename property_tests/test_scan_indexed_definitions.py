r"""Names defined at every index, far above where they are used (scan/definitions.py, issue 42 step 3): the DDPM
posterior's variance and mean, derived ninety lines below ``\alpha_t = 1 - \beta_t`` and ``\bar\alpha_t = \prod_i
\alpha_i``, are not flagged, in the usual letters and in others; the planted twin (ᾱ_t and ᾱ_{t-1} swapped) is.
Every document is written here."""

from __future__ import annotations

import pytest

from scanning import scan_text

LETTERS = {  # (one-step rate, noise, index, product index)
    "usual": (r"\alpha", r"\beta", "t", "i"),
    "renamed": (r"\kappa", r"\gamma", "s", "j"),
}


def _document(rate: str, noise: str, t: str, i: str, planted: bool = False) -> str:
    bar = lambda k: rf"\bar{rate}_{{{k}}}"  # noqa: E731
    a, b = rf"{rate}_{{{t}}}", rf"{noise}_{{{t}}}"
    filler = "\n".join(f"Paragraph {k} of other material on sampling and training.\n" for k in range(45))
    last = (rf"\frac{{1 - {bar(t)}}}{{1 - {bar(f'{t}-1')}}} {b}" if planted
            else rf"\frac{{1 - {bar(f'{t}-1')}}}{{1 - {bar(t)}}} {b}")
    return (f"# Diffusion\n\nThe schedule is ${noise}_1, \\dots, {noise}_T$. Write ${a} = 1 - {b}$ and "
            f"${bar(t)} = \\prod_{{{i}=1}}^{t} {rate}_{{{i}}}$.\n\n{filler}\n\n"
            f"The forward posterior has variance\n\n"
            rf"$$\tilde{noise}_{{{t}}} = 1 \Big/ \left(\frac{{{a}}}{{{b}}} + \frac{{1}}{{1 - {bar(f'{t}-1')}}}\right) = "
            rf"1 \Big/ \left(\frac{{{a} - {bar(t)} + {b}}}{{{b} (1 - {bar(f'{t}-1')})}}\right) = {last}$$"
            "\n\nand mean\n\n"
            rf"$$\tilde\mu_{{{t}}} = \left(\frac{{\sqrt{{{a}}}}}{{{b}}} x_{{{t}}} + \frac{{\sqrt{{{bar(f'{t}-1')}}}}}"
            rf"{{1 - {bar(f'{t}-1')}}} x_0\right) \tilde{noise}_{{{t}}} = \frac{{\sqrt{{{a}}}(1 - {bar(f'{t}-1')})}}"
            rf"{{1 - {bar(t)}}} x_{{{t}}} + \frac{{\sqrt{{{bar(f'{t}-1')}}} {b}}}{{1 - {bar(t)}}} x_0$$" "\n")


@pytest.mark.parametrize("letters", LETTERS)
def test_the_ddpm_posterior_with_its_definitions_far_above_is_not_flagged_and_its_planted_twin_is(tmp_path, letters):
    rate, noise, t, i = LETTERS[letters]
    records = [r.to_json() for r in scan_text(tmp_path, _document(rate, noise, t, i)) if r.lines[0] > 50]
    steps = [s for r in records for s in r["steps"]]
    assert len(steps) == 5 and not [s for s in steps if s["verdict"] == "disagrees"], steps
    # the two steps that need the definitions far above are proved with them, and say so
    with_definitions = [s for s in steps if "document's definitions" in s["reason"]]
    assert with_definitions and all(s["verdict"] == "proved" for s in with_definitions)
    assert any(rf"{rate}_{{{t}}} = 1 - {noise}_{{{t}}} (line 3)" in s["reason"] for s in with_definitions)
    planted = [r.to_json() for r in scan_text(tmp_path, _document(rate, noise, t, i, planted=True)) if r.lines[0] > 50]
    flagged = [s for r in planted for s in r["steps"] if s["verdict"] == "disagrees"]
    assert len(flagged) == 1 and "also with the document's definitions" in flagged[0]["reason"], flagged
    assert "1 - " in flagged[0]["right"] and flagged[0]["evidence"]
