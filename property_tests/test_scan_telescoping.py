"""``scan`` on the DDPM variational bound's telescoping (issue 24): the document's factorisations
q(x_{1:T}|x_0) = prod_t q(x_t|x_{t-1}) and p(x_{0:T}) = p(x_T) prod_t p(x_{t-1}|x_t) applied to the
log-ratio (log of a product is the sum of the logs), and sums up to T written out for T = 3..6
(derivspec/scan/finite_sums.py). Right steps are proved or hold on the instances; planted slips
(the ratio inverted, t for t-1) are flagged with the instance. Two notations: plain x_t with ``|``
and bold \\mathbf{x}_t with ``\\mid``. Every document is written for the test.
"""

from __future__ import annotations

import pytest
import sympy

from derivspec.scan import finite_sums
from derivspec.scan.reader import DocumentNames
from derivspec.scan.runner import scan_path
from derivspec.scan.steps import Context, read_side

NOTATIONS = {  # how an author writes x_t, the conditioning bar and the block x_{1:T}
    "plain": lambda i: f"x_{{{i}}}",
    "bold": lambda i: rf"\mathbf{{x}}_{{{i}}}",
}
BAR = {"plain": "|", "bold": r" \mid "}


def _doc(notation: str, display: str) -> str:
    x, bar = NOTATIONS[notation], BAR[notation]
    factorised = (rf"q({x('1:T')}{bar}{x(0)}) = \prod_{{t=1}}^T q({x('t')}{bar}{x('t-1')}), \qquad "
                  rf"p({x('0:T')}) = p({x('T')})\prod_{{t=1}}^T p({x('t-1')}{bar}{x('t')})")
    return f"# Notes\n\nThe forward process and the model factorise as\n\n$${factorised}$$\n\nso\n\n$${display}$$\n"


def _record(tmp_path, notation: str, display: str):
    path = tmp_path / "doc.md"
    path.write_text(_doc(notation, display), encoding="utf-8")
    records = scan_path(path, workers=0, known=False, sources=False)
    return next(r for r in records if r.lines[0] == 9)


def _log_ratio(notation: str, numerator: str, denominator: str) -> str:
    x, bar = NOTATIONS[notation], BAR[notation]
    return (rf"-\log \frac{{p({x('0:T')})}}{{q({x('1:T')}{bar}{x(0)})}} = -\log p({x('T')}) - "
            rf"\sum_{{t=1}}^T \log \frac{{{numerator}}}{{{denominator}}}")


@pytest.mark.parametrize("notation", NOTATIONS)
def test_the_log_ratio_of_the_factorisations_is_proved_with_the_documents_definitions(tmp_path, notation):
    x, bar = NOTATIONS[notation], BAR[notation]
    record = _record(tmp_path, notation, _log_ratio(notation, f"p({x('t-1')}{bar}{x('t')})",
                                                    f"q({x('t')}{bar}{x('t-1')})"))
    assert record.verdict == "proved", record.reason
    assert "with the document's definitions: q(" in record.reason and "(line 5)" in record.reason


@pytest.mark.parametrize("notation", NOTATIONS)
def test_the_log_ratio_inverted_is_flagged(tmp_path, notation):
    x, bar = NOTATIONS[notation], BAR[notation]
    record = _record(tmp_path, notation, _log_ratio(notation, f"q({x('t')}{bar}{x('t-1')})",
                                                    f"p({x('t-1')}{bar}{x('t')})"))
    assert record.verdict == "disagrees", record.reason
    assert "left - right" in record.evidence


def _telescoping(notation: str, first: str, last: str) -> str:
    x, bar = NOTATIONS[notation], BAR[notation]
    return (rf"\sum_{{t=2}}^T \log \frac{{q({x('t-1')}{bar}{x(0)})}}{{q({x('t')}{bar}{x(0)})}} = "
            rf"\log \frac{{q({x(first)}{bar}{x(0)})}}{{q({x(last)}{bar}{x(0)})}}")


@pytest.mark.parametrize("notation", NOTATIONS)
def test_the_telescoping_sum_holds_for_every_limit_written_out(tmp_path, notation):
    record = _record(tmp_path, notation, _telescoping(notation, "1", "T"))
    assert record.verdict == "unchecked" and record.reason.startswith("holds on 4 instances (T = 3, 4, 5, 6"), record.reason
    assert record.to_json()["evidence_level"] == "holds on instances"  # the JSON record says how strong


@pytest.mark.parametrize("notation", NOTATIONS)
def test_the_telescoping_sum_with_its_ends_swapped_is_flagged_at_a_small_limit(tmp_path, notation):
    record = _record(tmp_path, notation, _telescoping(notation, "T", "1"))
    assert record.verdict == "disagrees", record.reason
    assert record.to_json()["evidence_level"] == "disagrees"
    assert "fails for T = 3, 4, 5, 6" in record.reason and record.evidence.startswith("at T = 3:")


@pytest.mark.parametrize("notation", NOTATIONS)
def test_splitting_off_the_first_term_holds_and_t_for_t_minus_1_is_not_proved(tmp_path, notation):
    x, bar = NOTATIONS[notation], BAR[notation]
    term = rf"\log \frac{{p({x('t-1')}{bar}{x('t')})}}{{q({x('t')}{bar}{x('t-1')})}}"
    right = rf"\sum_{{t=1}}^T {term} = \sum_{{t=2}}^T {term} + \log \frac{{p({x(0)}{bar}{x(1)})}}{{q({x(1)}{bar}{x(0)})}}"
    assert _record(tmp_path, notation, right).reason.startswith("holds on 4 instances")
    wrong = right.replace(rf"p({x(0)}{bar}{x(1)})", rf"p({x(1)}{bar}{x(1)})")
    assert _record(tmp_path, notation, wrong).verdict != "proved"


def test_written_out_names_each_item_by_its_index():
    names = DocumentNames()
    context = Context(names=names)
    expr = read_side(r"\sum_{t=1}^{T} \beta_t x_{T-t}", context).primary.expr
    limit = finite_sums.limit_symbol(expr)
    assert limit.name == "T"
    shown = finite_sums.written_out(expr, limit, 3, names.symbol)
    expected = sum(names.symbol(rf"\beta_{{{t}}}") * names.symbol(f"x_{{{3 - t}}}") for t in (1, 2, 3))
    assert sympy.expand(shown - expected) == 0


def test_two_symbolic_limits_are_not_written_out():
    context = Context(names=DocumentNames())
    expr = read_side(r"\sum_{i=1}^{n} \sum_{j=1}^{m} a_{ij}", context).primary.expr
    assert finite_sums.limit_symbol(expr) is None


@pytest.mark.parametrize("display", [
    r"\sum_{i=1}^n \frac{p_i}{1/n} = n",  # true because the p_i sum to one, which the instance does not know
    r"(g * x)(n) = \sum_m x(m) g(n-m)",  # a sum over an unstated range: no limit to set
    r"\mathrm{Var}(s) = \sum_{i=1}^n \mathrm{Var}(w_i x_i) = \sum_{i=1}^n [E(w_i)]^2\mathrm{Var}(x_i) + "
    r"[E(x_i)]^2\mathrm{Var}(w_i) + \mathrm{Var}(x_i)\mathrm{Var}(w_i)",  # independence of w_i and x_i
])
def test_written_out_sums_never_flag_free_values_ranges_or_moments(tmp_path, display):
    path = tmp_path / "doc.md"
    path.write_text(f"# Notes\n\nFor a distribution $p$ over $n$ outcomes,\n\n$${display}$$\n", encoding="utf-8")
    (record,) = scan_path(path, workers=0, known=False, sources=False)
    assert record.verdict != "disagrees", record.reason
