r"""Roles that no letter decides (issue 42, step 3): the density of a score's definition, the density a normal law
is declared for, the parameter of a score -- each in several letter sets, with a planted twin. Every document is
written here."""

from __future__ import annotations

import pytest

from scanning import scan_text


def _records(tmp_path, statements: list[str], lead: str) -> dict:
    text = f"# Notes\n\n{lead}\n\n" + "".join(f"$${s}$$\n\n" for s in statements)
    return {r.text.strip(): r for r in scan_text(tmp_path, text)}


@pytest.mark.parametrize("s, p, t, x", [(r"\mathbf{s}", "p", r"\theta", r"\mathbf{x}"), (r"\mathbf{s}", r"\pi", r"\psi", r"\mathbf{u}"),
                                        ("s", "r", "w", "v")])
def test_the_score_definition_in_any_letters(tmp_path, s, p, t, x):
    """The score ``s_\\theta(x) = \\nabla_x \\log p_\\theta(x)`` agrees with its standard definition whatever the density's
    letter (the density is the name the document uses as one) and the parameter's; the log dropped is flagged."""
    right = rf"{s}_{{{t}}}({x}) = \nabla_{{{x}}} \log {p}_{{{t}}}({x})"
    wrong = rf"{s}_{{{t}}}({x}) = \nabla_{{{x}}} {p}_{{{t}}}({x})"
    lead = f"Let ${p}_{{{t}}}({x}) = e^{{-E({x})}}/Z$ be a density. The score is"
    proved = _records(tmp_path, [right], lead=lead)[right]
    assert proved.verdict == "proved" and "standard definition of the score" in proved.reason, proved.reason
    flagged = _records(tmp_path, [wrong], lead=lead)[wrong]
    if "mathbf" in x:  # vectors read as scalars differ in one dimension: a notice, never a flag
        assert flagged.verdict == "unchecked" and "differs in one dimension" in flagged.reason, flagged.reason
    else:
        assert flagged.verdict == "disagrees", flagged.reason


@pytest.mark.parametrize("q, x", [("q", "x"), ("r", "u"), (r"\rho", "v")])
def test_a_reparameterised_sample_against_a_law_declared_with_any_density_letter(tmp_path, q, x):
    lead = (rf"The forward process has ${q}(\mathbf{{{x}}}_t \mid \mathbf{{{x}}}_0) = \mathcal{{N}}(\alpha(t) \mathbf{{{x}}}_0, "
            rf"\sigma(t)^2 \mathbf{{I}})$ with noise $\varepsilon \sim \mathcal{{N}}(0, \mathbf{{I}})$:")
    right = rf"\mathbf{{{x}}}_t = \alpha(t) \mathbf{{{x}}}_0 + \sigma(t) \varepsilon"
    wrong = rf"\mathbf{{{x}}}_t = \alpha(t) \mathbf{{{x}}}_0 + \sigma(t)^2 \varepsilon"
    records = _records(tmp_path, [right, wrong], lead=lead)
    assert records[right].verdict == "proved", records[right].reason
    assert records[wrong].verdict == "disagrees" and "variance" in records[wrong].reason, records[wrong].reason
