r"""``scan`` differentiates the score of a density the document defines by a formula
(the general path with the definition in force; derivspec/scan/defined_score.py until issue 57): an energy-based model's ``\nabla_x \log p_\theta(x) = -\nabla_x E_\theta(x)``.
The flags' values are recomputed here from the concrete form and the point they show. Every document is written
for the test, in several notations.
"""

from __future__ import annotations

import re

import pytest

from scanning import scan_text

DEFINITIONS = [  # (definition, density, variable, energy)
    (r"p_\theta(\mathbf{x}) = \frac{\exp(-E_\theta(\mathbf{x}))}{Z_\theta}", r"p_\theta(\mathbf{x})", r"\mathbf{x}",
     r"E_\theta(\mathbf{x})"),
    (r"q(z) = \frac{1}{Z} \exp(-U(z))", "q(z)", "z", "U(z)"),
    (r"\rho(\mathbf{u}) = \frac{\exp(-\mathcal{E}(\mathbf{u}))}{Z}", r"\rho(\mathbf{u})", r"\mathbf{u}",
     r"\mathcal{E}(\mathbf{u})"),
]


def _record(tmp_path, definition: str, statement: str):
    text = f"# Notes\n\nThe model defines ${definition}$, so that\n\n$${statement}$$\n"
    return scan_text(tmp_path, text)[-1]


@pytest.mark.parametrize("definition, density, v, energy", DEFINITIONS)
def test_the_score_of_the_defined_density_is_proved(tmp_path, definition, density, v, energy):
    record = _record(tmp_path, definition, rf"\nabla_{{{v}}} \log {density} = -\nabla_{{{v}}} {energy}")
    assert record.verdict == "proved", record.reason
    assert "document's definitions" in record.reason  # the general path, with the definition in force


@pytest.mark.parametrize("definition, density, v, energy", DEFINITIONS)
@pytest.mark.parametrize("wrong", ["{grad}", "-2 {grad}", "-{grad} - \\log Z"])
def test_a_wrong_score_is_flagged_with_a_recomputed_instance(tmp_path, definition, density, v, energy, wrong):
    grad = rf"\nabla_{{{v}}} {energy}"
    statement = rf"\nabla_{{{v}}} \log {density} = " + wrong.format(grad=grad)
    record = _record(tmp_path, definition, statement)
    if "log Z" in wrong:  # a name the definition does not have (\log Z) is only compared when the letter matches
        assert record.verdict != "proved", record.reason
        return
    assert record.verdict == "disagrees", record.reason
    factor = {"{grad}": 1, "-2 {grad}": -2}[wrong]
    # recomputed from the evidence: the definition in force (q = e^{-E}/Z) with E a concrete function (instances.py;
    # the first is E(x) = x: score -1, the step's right side factor * 1)
    instance = re.search(r"\(x\) = x: at .*left = ([-0-9.e]+), right = ([-0-9.e]+)", record.evidence)
    assert instance is not None and "document's definitions" in record.reason, record.evidence
    assert float(instance.group(1)) == pytest.approx(-1.0) and float(instance.group(2)) == pytest.approx(factor)


@pytest.mark.parametrize("definition, statement", [
    (r"q(y) = \frac{1}{Z} e^{-f(y)}", r"\nabla_{y} \log q(y) = -\nabla_{y} f(y)"),  # e^{-f(y)} read as f y: not judged
    (r"q(y) = \frac{1}{Z} \exp(-U(y))", r"\nabla_{y} \log q(y) = -\nabla_{y} V(y)"),  # another function
    (r"q(y, w) = \frac{1}{Z} \exp(-U(y, w))", r"\nabla_{y} \log q(y) = \nabla_{y} U(y)"),  # another density
])
def test_statements_the_definition_does_not_fix_are_not_flagged(tmp_path, definition, statement):
    record = _record(tmp_path, definition, statement)
    assert record.verdict != "disagrees", record.reason
