r"""The chain rule in Leibniz notation judged on concrete functions (scan/leibniz.py, issue 42 step 4): a
right chain holds on instances in any letters, a planted slip is flagged with the concrete functions in
the evidence, and shapes that do not state one chain are left alone. Every document is written here."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from scanning import scan_text

NAMES = ["L", "f", "E", "J", "\\ell", "y", "a", "h", "q", "\\phi"]


def _record(tmp_path, display: str) -> dict:
    records = scan_text(tmp_path, f"# Backprop\n\n$${display}$$\n")
    assert len(records) == 1, [r.text for r in records]
    return records[0].to_json()


def _d(top: str, bottom: str) -> str:
    return f"\\frac{{\\partial {top}}}{{\\partial {bottom}}}"


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(names=st.lists(st.sampled_from(NAMES), min_size=3, max_size=3, unique=True))
def test_a_chain_holds_on_instances_and_its_slips_are_flagged_in_any_letters(tmp_path, names):
    out, inner, first = names
    right = _record(tmp_path, f"{_d(out, first)} = {_d(out, inner)} {_d(inner, first)}")
    assert right["verdict"] == "unchecked" and right["evidence_level"] == "holds on instances", right
    for slip in (f"{_d(out, inner)} / {_d(inner, first)}", f"{_d(out, inner)} {_d(first, inner)}",
                 f"2 {_d(out, inner)} {_d(inner, first)}"):
        wrong = _record(tmp_path, f"{_d(out, first)} = {slip}")
        assert wrong["verdict"] == "disagrees", (slip, wrong)
        assert f"{first} = " in wrong["evidence"] and "left = " in wrong["evidence"]  # the instance shown


def test_a_longer_chain_and_vectors(tmp_path):
    assert _record(tmp_path, f"{_d('L', 'x')} = {_d('L', 'y')}{_d('y', 'h')}{_d('h', 'x')}")[
        "evidence_level"] == "holds on instances"
    x, z = "{\\bm{X}}", "{\\bm{Z}}"
    bold = _record(tmp_path, _d("L", x) + " = " + _d(z, x) + _d("L", z))
    assert bold["evidence_level"] == "holds on instances" and "order of the product is not tested" in bold["reason"]


@pytest.mark.parametrize("display", [
    # a total and a partial derivative written alike: df/dx on both sides
    r"\frac{df}{dx} = \frac{\partial f}{\partial x} + \frac{\partial f}{\partial y}\frac{dy}{dx}",
    # a residual block: L depends on x directly and through y (y = x + F(x) in the prose)
    r"\frac{\partial L}{\partial x} = \frac{\partial L}{\partial y}\left(1 + \frac{\partial F}{\partial x}\right)",
    # no inner link, or a name that is not a derivative: the step does not state a chain
    r"\frac{\partial L}{\partial x} = \frac{\partial L}{\partial y}\frac{\partial h}{\partial x}",
    r"\frac{\partial L}{\partial w} = \frac{\partial L}{\partial z} x",
])
def test_what_does_not_state_one_chain_is_not_flagged(tmp_path, display):
    assert _record(tmp_path, display)["verdict"] != "disagrees"
