r"""``scan`` recognises classifier-free guidance in any convention (derivspec/scan/classifier_free_guidance.py,
issue 25, claim score.guidance.cfg): a guided prediction equal to a linear combination of one network's conditional
and unconditional outputs is proved when the coefficients sum to one (the claim's gamma read as the conditional
coefficient: 1 + w, s, gamma) and flagged otherwise, with the counterexample of equal predictions recomputed here.
Every document is written for the test (Ho & Salimans' (1 + w) and -w; the guidance scale s with the null token
\varnothing; scores s_theta; the cond / uncond subscripts of lecture slides).
"""

from __future__ import annotations

import re

import pytest
import sympy
from hypothesis import given, settings
from hypothesis import strategies as st

from derivspec.scan.runner import scan_path


def _scan(tmp_path, statement: str, lead: str = "Classifier-free guidance combines the two predictions:"):
    path = tmp_path / "doc.md"
    path.write_text(f"# Guidance\n\n{lead}\n$${statement}$$\n", encoding="utf-8")
    return scan_path(path, workers=0, sources=False)[-1]


PROVED = {
    "1 + w, -w": (r"\tilde\epsilon_\theta(x_t, c) = (1 + w)\epsilon_\theta(x_t, c) - w\,\epsilon_\theta(x_t)", "w + 1"),
    "scale s, null token": (r"\hat\epsilon_\theta(\mathbf{x}_t, y) = \epsilon_\theta(\mathbf{x}_t, \varnothing) + "
                            r"s\left(\epsilon_\theta(\mathbf{x}_t, y) - "
                            r"\epsilon_\theta(\mathbf{x}_t, \varnothing)\right)",
                            "s"),
    "scores, gamma": (r"\tilde{s}_\theta(x, c) = \gamma s_\theta(x, c) + (1-\gamma) s_\theta(x)", r"\gamma"),
    "cond / uncond": (r"\epsilon_{\text{guided}} = \epsilon_{\text{uncond}} + w(\epsilon_{\text{cond}} - "
                      r"\epsilon_{\text{uncond}})", "w"),
    "emptyset, guidance in the lead-in": (r"\epsilon_\theta(z_\lambda, c) = (1+w)\epsilon_\theta(z_\lambda, c) - "
                                          r"w\,\epsilon_\theta(z_\lambda, \emptyset)", "w + 1"),
}


@pytest.mark.parametrize("name", PROVED)
def test_each_convention_is_proved_with_its_reading(tmp_path, name):
    statement, gamma = PROVED[name]
    record = _scan(tmp_path, statement)
    assert (record.verdict, record.claim) == ("proved", "score.guidance.cfg"), record.reason
    assert rf"the claim's \gamma as {gamma}" in record.steps[0]["reason"]


WRONG = {  # (statement, the coefficients as functions of the scale at 2)
    "sign flip": (r"\tilde\epsilon_\theta(x_t, c) = (1 - w)\epsilon_\theta(x_t, c) - w\,\epsilon_\theta(x_t)",
                  lambda w: (1 - w) - w),
    "unconditional not subtracted": (r"\hat\epsilon_\theta(\mathbf{x}_t, y) = "
                                     r"\epsilon_\theta(\mathbf{x}_t, \varnothing)"
                                     r" + s\,\epsilon_\theta(\mathbf{x}_t, y)", lambda s: 1 + s),
    "w for 1 + w": (r"\epsilon_{\text{guided}} = w\,\epsilon_{\text{cond}} - w\,\epsilon_{\text{uncond}}",
                    lambda w: 0 * w),
}


@pytest.mark.parametrize("name", WRONG)
def test_a_wrong_combination_is_flagged_at_equal_predictions(tmp_path, name):
    statement, total = WRONG[name]
    record = _scan(tmp_path, statement)
    assert (record.verdict, record.claim) == ("disagrees", "score.guidance.cfg"), record.reason
    step = record.steps[0]
    m = re.match(r"at (?:(\\?\w+) = (\d+), )?.* = 1 \(equal predictions\): as written (-?\d+), derived 1",
                 step["evidence"])
    assert m, step["evidence"]
    scale = sympy.Integer(m.group(2) or 0)  # no scale named: the coefficients are constant
    assert sympy.Integer(m.group(3)) == total(scale) != 1
    assert "sum to one" in step["reason"] or "summing to one" in step["reason"]


@settings(max_examples=6, deadline=None)
@given(st.integers(-4, 4).filter(bool), st.integers(-4, 4).filter(bool))
def test_numeric_coefficients_are_proved_iff_they_sum_to_one(tmp_path_factory, a, b):
    tmp_path = tmp_path_factory.mktemp("cfg")
    record = _scan(tmp_path, rf"\tilde\epsilon_\theta(x_t, c) = {a}\,\epsilon_\theta(x_t, c) + "
                             rf"({b})\,\epsilon_\theta(x_t)")
    assert record.claim == "score.guidance.cfg"
    if a + b == 1:
        assert record.verdict == "proved"
    else:
        assert record.verdict == "disagrees"
        assert f"as written {a + b}, derived 1" in record.steps[0]["evidence"]


LOOK_ALIKES = {
    "two different networks": r"\tilde\epsilon(x_t, c) = (1 + w)\epsilon_\theta(x_t, c) - w\,\epsilon_\phi(x_t)",
    "not a guided prediction": r"\Delta(x_t, c) = \epsilon_\theta(x_t, c) - \epsilon_\theta(x_t)",
}


@pytest.mark.parametrize("name", LOOK_ALIKES)
def test_look_alikes_are_not_the_claim(tmp_path, name):
    record = _scan(tmp_path, LOOK_ALIKES[name], lead="The difference of the two predictions is")
    assert record.claim != "score.guidance.cfg" and record.verdict != "disagrees"
