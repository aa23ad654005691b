r"""Functions the document leaves undefined, evaluated on concrete ones (scan/instances.py, issue 42 step 4): the
product rule, the chain rule, a Taylor step and the derivative of a log hold on instances for any letter, and
their planted slips are flagged with the concrete function in the evidence; an assumed property is never a
flag. Every document is written here."""

from __future__ import annotations

import pytest

from scanning import scan_text

RULES = [  # (right, planted slip)
    (r"\frac{d}{dx}\left[F(x) x^2\right] = F'(x) x^2 + 2x F(x)", r"\frac{d}{dx}\left[F(x) x^2\right] = F'(x) x^2 + x F(x)"),
    (r"\frac{d}{dx} G(F(x)) = G'(F(x)) F'(x)", r"\frac{d}{dx} G(F(x)) = G'(x) F'(x)"),
    (r"F(x + h) = F(x) + h F'(x) + \frac{h^2}{2} F''(x) + O(h^3)", r"F(x + h) = F(x) + h F'(x) + h^2 F''(x) + O(h^3)"),
    (r"\frac{d}{dx} \log F(x) = \frac{F'(x)}{F(x)}", r"\frac{d}{dx} \log F(x) = \frac{1}{F(x)}"),
]


@pytest.mark.parametrize("letters", [("f", "g"), ("k", "m"), (r"\psi", "u")])
@pytest.mark.parametrize("right, slip", RULES)
def test_rules_of_calculus_with_undefined_functions_in_any_letters(tmp_path, letters, right, slip):
    f, g = letters
    text = "# Rules\n\n" + "".join(f"$${t.replace('F', f).replace('G', g)}$$\n\n" for t in (right, slip))
    first, second = [r.to_json() for r in scan_text(tmp_path, text)]
    assert first["verdict"] in ("proved", "unchecked") and first["verdict"] != "disagrees", first
    if first["verdict"] == "unchecked":
        assert first["evidence_level"] == "holds on instances", first
    assert second["verdict"] == "disagrees", second
    assert f"{f}(x) = " in second["evidence"] and "left" in second["evidence"]  # the concrete function


def test_a_property_assumed_of_the_function_is_not_flagged(tmp_path):
    text = ("# L\n\nLet $f$ be a linear function. Then\n\n$$f(2x) = 2f(x)$$\n\nand for any function\n\n"
            "$$\\frac{d}{dx} f(x)^2 = 2 f(x) f'(x)$$\n")
    found = [r.to_json() for r in scan_text(tmp_path, text)]
    assert found[0]["verdict"] != "disagrees" and found[1]["verdict"] != "disagrees", found


@pytest.mark.parametrize("display", [
    r"\frac{df(x)}{dx} = \frac{f(x + h) - f(x)}{h}",            # a finite difference: an approximation
    r"\frac{df(x)}{dx} = \frac{f(x + h) - f(x - h)}{2h}",
    r"\phi(0) = \phi(1) = 0",                                  # values of one particular function
])
def test_approximations_and_values_are_not_flagged(tmp_path, display):
    assert all(r.verdict != "disagrees" for r in scan_text(tmp_path, f"# N\n\n$${display}$$\n"))
