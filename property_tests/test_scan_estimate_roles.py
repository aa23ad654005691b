r"""The Gaussian MLEs read by the role the document's law gives a letter (derivspec/scan/sizes.py,
``declared_role``), and statements in a Markdown list read with the items they are nested under
(derivspec/scan/extract.py, ``_list_parents``). The expected values are recomputed here: the 1/m sample
variance at m = 3 for the written normaliser. Every document is written for the test.
"""

from __future__ import annotations

from fractions import Fraction

import pytest

from scanning import scan_text

LAWS = [  # (law, items, mean letter, variance as written, the estimate of the variance)
    (r"Y_1, \dots, Y_m \stackrel{iid}{\sim} N(a, s^2)", "Y", "a", r"\hat{s}^2"),
    (r"t_1,...,t_m \sim \mathcal{N}(c, v)", "t", "c", r"\hat{v}"),
    (r"w_j \sim \mathcal{N}(\nu, \tau^2)", "w", r"\nu", r"\hat{\tau}^2"),
]


def _list_document(law: str, statement: str, heading: str = "**Maximum likelihood estimation**") -> str:
    return (f"# Notes\n\n4. {heading}\n\n    - The estimate maximises the likelihood of the data.\n"
            f"    - _Example_:\n        - ${law}$\n        - ${statement}$\n")


@pytest.mark.parametrize("law, items, mean, variance", LAWS)
def test_the_estimates_are_read_by_the_laws_roles(tmp_path, law, items, mean, variance):
    sample_mean = rf"\frac{{1}}{{m}} \sum_{{j=1}}^{{m}} {items}_j"
    for statement, claim in ((rf"\hat{{{mean}}} = {sample_mean}", "estimation.gaussian.mean"),
                             (rf"{variance} = \frac{{1}}{{m}} \sum_{{j=1}}^{{m}} {items}_j^2 - ({sample_mean})^2",
                              "estimation.gaussian.variance")):
        record = scan_text(tmp_path, _list_document(law, statement))[-1]
        assert record.verdict == "proved" and record.claim == claim, record.reason
        assert f"as the estimate of the {claim.rsplit('.', 1)[1]} of the law" in record.reason


@pytest.mark.parametrize("law, items, mean, variance", LAWS)
def test_a_wrong_variance_estimate_is_flagged_with_the_sample_mean_by_role(tmp_path, law, items, mean, variance):
    statement = rf"{variance} = \frac{{1}}{{m-1}} \sum_{{j=1}}^{{m}} ({items}_j - \hat{{{mean}}})^2"
    record = scan_text(tmp_path, _list_document(law, statement))[-1]
    assert record.verdict == "disagrees" and record.claim == "estimation.gaussian.variance", record.reason
    # recomputed: at m = 3 the written 1/(m-1) estimate is 3/2 times the MLE's 1/m for any data
    assert Fraction(1, 3 - 1) / Fraction(1, 3) == Fraction(3, 2)
    assert "at m = 3" in record.reason


@pytest.mark.parametrize("statement", [
    r"\hat{b} = \frac{1}{m} \sum_{j=1}^{m} Y_j",  # b is no parameter of the law
    r"\hat{s} = \frac{1}{m} \sum_{j=1}^{m} Y_j^2",  # the variance's letter without its square
    r"\hat{a} = \frac{1}{m} \sum_{j=1}^{m} Z_j",  # other items than the law's
])
def test_letters_the_law_does_not_give_the_role_are_not_read(tmp_path, statement):
    record = scan_text(tmp_path, _list_document(LAWS[0][0], statement))[-1]
    assert record.claim is None and record.verdict != "disagrees", record.reason


def test_the_heading_gates_the_reading(tmp_path):
    """Under a heading that speaks of an unbiased estimator the 1/(m-1) form is not the MLE: no flag."""
    statement = r"\hat{s}^2 = \frac{1}{m-1} \sum_{j=1}^{m} (Y_j - \hat{a})^2"
    text = _list_document(LAWS[0][0], statement, heading="**The unbiased estimator of the variance**")
    record = scan_text(tmp_path, text.replace("maximises the likelihood of the data", "maximises the likelihood"))[-1]
    assert record.verdict != "disagrees", record.reason


def test_without_the_heading_a_list_item_is_not_read_as_an_mle(tmp_path):
    """The same list without a parent item that speaks of likelihood: nothing says these are MLEs."""
    statement = r"\hat{s}^2 = \frac{1}{m-1} \sum_{j=1}^{m} (Y_j - \hat{a})^2"
    text = f"# Notes\n\n- ${LAWS[0][0]}$\n- ${statement}$\n"
    record = scan_text(tmp_path, text)[-1]
    assert record.verdict != "disagrees" and record.claim is None, record.reason
