r"""``scan`` reads the least-squares and ridge estimates in matrix form by structure
(derivspec/scan/least_squares.py): the design matrix is the letter in ``M^\top M``, whatever it is called. The
normal equations are recomputed here with numpy on the instance a flag shows. Every document is written for the
test, in several notations.
"""

from __future__ import annotations

import re

import numpy as np
import pytest
import sympy

from scanning import scan_text

NOTATIONS = [  # (design matrix, targets, estimate)
    ("X", r"\mathbf{y}", r"\hat{\boldsymbol\beta}"),
    (r"\Phi", r"\mathbf{t}", r"\mathbf{w}_{\text{ML}}"),
    (r"\mathbf{A}", r"\mathbf{b}", r"\theta^*"),
]
T = [r"^\top", "^T", "'"]


def _record(tmp_path, estimate: str, right: str, prose: str = "Minimising the squared error of linear regression:"):
    return scan_text(tmp_path, f"# Notes\n\n{prose}\n\n$${estimate} = {right}$$\n")[-1]


@pytest.mark.parametrize("design, targets, estimate", NOTATIONS)
@pytest.mark.parametrize("t", T)
def test_the_estimate_holds_in_any_letters(tmp_path, design, targets, estimate, t):
    record = _record(tmp_path, estimate, f"({design}{t} {design})^{{-1}} {design}{t} {targets}")
    assert record.verdict == "unchecked" and "holds on 3 exact instances as least squares (c = 0)" in record.reason
    assert f"reading {design.replace(chr(92) + 'mathbf{', '').rstrip('}')}" in record.reason or design in record.reason


@pytest.mark.parametrize("design, targets, estimate", NOTATIONS)
@pytest.mark.parametrize("right, why", [
    ("-({M}^\\top {M})^{{-1}} {M}^\\top {v}", "no c solves"),
    ("({M}^\\top {M} - \\lambda I)^{{-1}} {M}^\\top {v}", "a negative penalty"),
    ("({M}^\\top {M})^{{-1}} {M}^\\top {v} + {M}^\\top {v}", "no c solves"),
])
def test_a_wrong_estimate_is_flagged_with_an_instance(tmp_path, design, targets, estimate, right, why):
    record = _record(tmp_path, estimate, right.format(M=design, v=targets),
                     prose="Ridge regression, the least squares estimate with a penalty, is")
    assert record.verdict == "disagrees", record.reason
    assert why in record.reason
    # recomputed: at the instance shown, the written vector does not solve (MᵀM + cI) b = Mᵀv for any c >= 0
    shown = re.findall(r"(\[\[.*?\]\])", record.evidence)
    design_value, target_value, written = (np.array(sympy.Matrix(sympy.sympify(m)).tolist(), dtype=float)
                                           for m in shown)
    residual = design_value.T @ target_value - design_value.T @ design_value @ written
    c, *_ = np.linalg.lstsq(written, residual, rcond=None)
    assert c[0, 0] < -1e-9 or np.linalg.norm(residual - c[0, 0] * written) > 1e-9


@pytest.mark.parametrize("right", [
    r"\beta(\alpha I + \beta X^\top X)^{-1} X^\top \mathbf{y}",  # Bayesian linear regression's posterior mean
    r"(X^\top X + \frac{\sigma^2}{\tau^2} I)^{-1} X^\top \mathbf{y}",
])
def test_a_ridge_estimate_holds_with_its_penalty(tmp_path, right):
    record = _record(tmp_path, r"\mathbf{w}_{\text{MAP}}", right, prose="The MAP estimate under the Gaussian prior is")
    assert record.verdict == "unchecked" and "as ridge with the penalty c =" in record.reason, record.reason


@pytest.mark.parametrize("estimate, right, prose", [
    (r"\hat{\boldsymbol\beta}", r"-(X^\top X)^{-1} X^\top \mathbf{y}", "Consider the vector"),  # no regression words
    (r"\hat{\boldsymbol\beta}", r"(X^\top W X)^{-1} X^\top W \mathbf{y}", "Weighted least squares gives"),
    (r"\hat{\boldsymbol\beta}", r"(X^\top X)^{-1} X^\top \mathbf{y} + \mathbf{m}", "Linear regression gives"),
    (r"\boldsymbol\beta", r"-(X^\top X)^{-1} X^\top \mathbf{y}", "Linear regression gives"),  # no estimate's mark
    (r"\hat{\mathbf{w}}", r"X^\top (X X^\top + \lambda I)^{-1} \mathbf{y}", "Ridge regression gives"),  # kernel form
])
def test_other_statements_are_left_to_the_other_checks(tmp_path, estimate, right, prose):
    record = _record(tmp_path, estimate, right, prose)
    assert "normal equations" not in record.reason and record.verdict != "disagrees", record.reason
