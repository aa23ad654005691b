"""A sum or product whose index carries a condition keeps it (issue 45): ``\\sum_{x: p(x) > 0}``
runs over the support of p only, so a step that drops the condition is never proved; a true
identity over the restricted sum is still proved; a condition that cannot be represented leaves
the step unchecked with that reason. Every document is written for the test.
"""

from __future__ import annotations

import pytest
import sympy

from derivspec.scan import algebra, finite_sums, probability
from derivspec.scan.records import evidence_level
from derivspec.scan.reader import DocumentNames, read_document, where_condition

from scanning import scan_text


pytestmark = pytest.mark.usefixtures("p_and_q_declared_densities")



def _read(tex: str):
    return read_document(tex, DocumentNames(), frozenset()).expr


def _record(tmp_path, text: str, line: int):
    (record,) = [r for r in scan_text(tmp_path, text) if r.lines[0] == line]
    return record


def _display(tex: str) -> str:
    return f"For distributions $p$ and $q$ on a finite set,\n\n$$\n{tex}\n$$\n"  # the statement stands on line 4


# --- the reader keeps the condition --------------------------------------------------------------

@pytest.mark.parametrize("tex, condition", [
    (r"\sum_{x: p(x) > 0} p(x)", "x: p(x) > 0"),
    (r"\sum_{i \ne j} a_i", r"i \ne j"),
    (r"\sum_{x \in S} f(x)", r"x \in S"),
    (r"\sum_{i < j} a_{ij}", "i < j"),
])
def test_a_condition_on_the_index_is_kept_as_a_set(tex, condition):
    (limit,) = next(n for n in sympy.preorder_traversal(_read(tex)) if isinstance(n, sympy.Sum)).limits
    assert where_condition(limit[2]) == condition


@pytest.mark.parametrize("tex", [r"\sum_x p(x)", r"\sum_{x, y} p(x, y)", r"\sum_{x \in \mathcal{X}} p(x)",
                                 r"\sum_{k \in [K]} a_k"])
def test_a_whole_range_is_no_condition(tex):
    (limit,) = next(n for n in sympy.preorder_traversal(_read(tex)) if isinstance(n, sympy.Sum)).limits
    assert where_condition(limit[2]) is None and limit[2].name.startswith("⟦range")


def test_a_bounded_range_with_a_condition_is_not_read():
    with pytest.raises(Exception, match="over a range with a condition"):
        _read(r"\sum_{i=1, i \ne j}^n a_i")


def test_a_condition_is_no_bound_to_sum_up_to():
    restricted = _read(r"\sum_{i \ne j} i")
    assert algebra.closed_sum(restricted) is None  # not W(W+1)/2: the indices are not 1..W
    assert finite_sums.limit_symbol(restricted) is None


# --- probability calculus on the restricted sum ----------------------------------------------------

GIBBS_LEFT = r"-\log\left(\sum_{x:p(x)>0} p(x)\frac{q(x)}{p(x)}\right)"
GIBBS_RIGHT = r"-\log\left(\sum_x q(x)\right)"


def test_the_dropped_condition_is_not_proved_and_the_instance_is_shown():
    judged = probability.judge(_read(GIBBS_LEFT), _read(GIBBS_RIGHT))
    assert judged.verdict == "unchecked"
    assert "p(x) > 0" in judged.reason and "not proved and not flagged" in judged.reason
    assert "p(x=0) = 0" in judged.evidence  # the instance: q has mass where p has none


def test_the_inequality_holds_on_instances_with_mass_outside_the_support():
    judged = probability.judge(_read(r"-\log\left(\sum_{x:p(x)>0} q(x)\right)"), _read(GIBBS_RIGHT), relation="≥")
    assert judged.verdict == "unchecked" and judged.reason.startswith("holds on ")
    wrong_way = probability.judge(_read(r"-\log\left(\sum_{x:p(x)>0} q(x)\right)"), _read(GIBBS_RIGHT), relation="≤")
    assert wrong_way.verdict != "proved" and not wrong_way.reason.startswith("holds on ")


def test_a_sum_over_the_support_of_its_own_density_is_proved():
    judged = probability.judge(_read(r"\sum_{x: p(x) > 0} p(x)"), sympy.Integer(1))
    assert judged.verdict == "proved"


def test_a_sum_over_another_distributions_support_is_not_proved():
    judged = probability.judge(_read(r"\sum_{x: q(x) > 0} p(x)"), sympy.Integer(1))
    assert judged.verdict == "unchecked" and "q(x) > 0" in judged.reason


def test_a_condition_probability_cannot_represent_is_not_read_there():
    assert probability.judge(_read(r"\sum_{x \in A} p(x)"), sympy.Integer(1)) is None


# --- the scan, end to end --------------------------------------------------------------------------

def test_scan_does_not_prove_the_step_that_drops_the_condition(tmp_path):
    record = _record(tmp_path, _display(f"{GIBBS_LEFT} = {GIBBS_RIGHT}"), 4)
    assert record.verdict == "unchecked"
    assert evidence_level(record.verdict, record.reason) == "unchecked"
    assert "p(x) > 0" in record.reason


def test_scan_the_inequality_holds_on_instances(tmp_path):
    record = _record(tmp_path, _display(r"-\log\left(\sum_{x:p(x)>0} q(x)\right) \ge " + GIBBS_RIGHT), 4)
    assert record.verdict == "unchecked"
    assert evidence_level(record.verdict, record.reason) == "holds on instances"


def test_scan_proves_the_true_identity_over_the_restricted_sum(tmp_path):
    record = _record(tmp_path, _display(r"\sum_{x: p(x)>0} p(x) = 1"), 4)
    assert record.verdict == "proved"


@pytest.mark.parametrize("tex, reason", [
    (r"\sum_{i=1, i \ne j}^n a_i = \sum_{i=1}^n a_i", "over a range with a condition"),
    (r"\int_A p(x)\,dx = \int p(x)\,dx", "an integral over a region"),
])
def test_scan_leaves_an_unrepresented_condition_unchecked_with_its_reason(tmp_path, tex, reason):
    record = _record(tmp_path, _display(tex), 4)
    assert record.verdict == "unchecked" and reason in record.reason


def test_scan_never_proves_a_sum_with_a_condition_equal_to_the_whole_sum(tmp_path):
    record = _record(tmp_path, _display(r"\sum_{i \ne j} a_i = \sum_i a_i"), 4)
    assert record.verdict == "unchecked"


def test_scan_proves_linearity_over_the_same_restricted_sum(tmp_path):
    record = _record(tmp_path, _display(r"\sum_{i \ne j} (a_i + b_i) = \sum_{i \ne j} a_i + \sum_{i \ne j} b_i"), 4)
    assert record.verdict == "proved"
