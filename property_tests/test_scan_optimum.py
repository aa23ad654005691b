"""``scan`` on arg max and arg min (derivspec/scan/optimum.py, issue 24 part 4): a name set equal to
an arg max is a definition; two arg maxes are the same when the objectives differ by a shift, a
positive factor or a log; ``arg max_v F = c`` is judged by the first-order condition dF/dv = 0 at c
and the sign of d²F/dv² (for every v: proved; at c only: evidence). The optimal discriminator in two
notations (Goodfellow's p_data, p_g with \\operatorname*{arg\\,max}; p, q with \\arg\\max). Flags need a
stationary point elsewhere, a smooth objective, no constraint and no name only in the value. Every
document is written for the test.
"""

from __future__ import annotations

import pytest

from derivspec.scan import optimum
from derivspec.scan.runner import scan_path


def _one(tmp_path, display: str, prose: str = "Consider"):
    path = tmp_path / "doc.md"
    path.write_text(f"# Notes\n\n{prose}\n\n$${display}$$\n", encoding="utf-8")
    return scan_path(path, workers=0, known=False, sources=False)[-1]  # the display (after inline prose maths)


DISCRIMINATOR = {  # notation -> (arg max head, objective with the densities, density names)
    "goodfellow": (r"\operatorname*{arg\,max}_D \int_x p_{data}(x)\log D(x) + p_g(x)\log(1-D(x))\,dx",
                   "p_{data}(x)", "p_g(x)"),
    "plain": (r"\arg\max_{D} \int p(x) \log D(x) + q(x) \log\left(1 - D(x)\right) dx", "p(x)", "q(x)"),
}


@pytest.mark.parametrize("notation", DISCRIMINATOR)
def test_the_optimal_discriminator_is_proved_by_its_first_order_condition(tmp_path, notation):
    head, p, q = DISCRIMINATOR[notation]
    record = _one(tmp_path, rf"{head} = \frac{{{p}}}{{{p} + {q}}}")
    assert record.verdict == "proved", record.reason
    assert "first-order condition" in record.reason and "negative for every" in record.reason


@pytest.mark.parametrize("notation", DISCRIMINATOR)
def test_the_optimal_discriminator_with_the_densities_swapped_is_flagged(tmp_path, notation):
    head, p, q = DISCRIMINATOR[notation]
    record = _one(tmp_path, rf"{head} = \frac{{{q}}}{{{p} + {q}}}")
    assert record.verdict == "disagrees", record.reason
    assert "vanishes at" in record.reason and "d/d" in record.evidence  # the derivative at the instance


def test_a_name_set_to_an_arg_max_is_a_definition(tmp_path):
    record = _one(tmp_path, r"\hat\theta_{\text{MLE}} = \arg\max_\theta \prod_{i=1}^n p(x_i \mid \theta)")
    assert record.verdict == "unchecked" and record.category == "definition", record.reason


@pytest.mark.parametrize("display", [
    r"\arg\max_\theta \prod_{i=1}^n p(x_i|\theta) = \arg\max_\theta \sum_{i=1}^n \log p(x_i|\theta)",
    r"\arg\max_\theta \sum_{i=1}^n \log p(x_i|\theta) = \arg\min_\theta -\frac{1}{n}\sum_{i=1}^n \log p(x_i|\theta)",
    r"\arg\min_w \sum_{i=1}^n (y_i - w x_i)^2 = \arg\min_w \sum_{i=1}^n (y_i - w x_i)^2 + c",
    # arg max spelled in letters with a thin space, grouped by braces or not
    r"{ arg\,max}\limits_{\psi} R(Y \vert \psi) R(\psi) = { arg\,max}\limits_{\psi} \log R(Y \vert \psi) + \log R(\psi)",
    r"arg\,min_v \sum_k (b_k - v a_k)^2 = arg\,min_v \sum_k (b_k - v a_k)^2 - 7",
])
def test_arg_maxes_of_related_objectives_are_proved_the_same(tmp_path, display):
    record = _one(tmp_path, display)
    assert record.verdict == "proved", record.reason


@pytest.mark.parametrize("display", [
    r"\arg\max_\theta \sum_{i=1}^n \log p(x_i|\theta) = \arg\max_\theta \sum_{i=1}^n p(x_i|\theta)",  # not a log
    r"\arg\max_\theta \sum_{i=1}^n \log p(x_i|\theta) = \arg\min_\theta \sum_{i=1}^n \log p(x_i|\theta)",  # sign
    r"{ arg\,max}\limits_{\psi} R(Y \vert \psi) R(\psi) = { arg\,min}\limits_{\psi} \log R(Y \vert \psi) + \log R(\psi)",
])
def test_unrelated_objectives_are_neither_proved_nor_flagged(tmp_path, display):
    record = _one(tmp_path, display)
    assert record.verdict == "unchecked", record.reason


def test_ridge_in_one_dimension_is_proved_and_a_dropped_one_is_flagged(tmp_path):
    right = _one(tmp_path, r"\arg\min_w \sum_{i=1}^n (y_i - w)^2 + \lambda w^2 = \frac{\sum_{i=1}^n y_i}{n + \lambda}")
    assert right.verdict == "proved", right.reason
    wrong = _one(tmp_path, r"\arg\min_w (a - w)^2 + \lambda w^2 = \frac{a}{\lambda}")
    assert wrong.verdict == "disagrees" and "vanishes at w = a/(\\lambda + 1)" in wrong.reason, wrong.reason


@pytest.mark.parametrize("display, prose", [
    (r"\arg\min_{w} \; w^3 - 3 w = 1", "Consider"),  # a local minimum only: evidence, never a proof
    (r"\arg\max_{\theta \in [0, 1]} \theta = 1", "Consider"),  # a boundary optimum: no stationary point
    (r"\arg\min_\mu \sum_{i=1}^n (x_i - \mu)^2 = \bar{x}", "With the sample mean,"),  # x̄ is defined elsewhere
    (r"\arg\max_y \; a y - y^2 = a", "Subject to $y \\le a$,"),  # a constraint in the prose
])
def test_no_flag_without_a_sound_counterexample(tmp_path, display, prose):
    record = _one(tmp_path, display, prose)
    assert record.verdict != "disagrees", record.reason
    assert record.verdict != "proved" or "w^3" not in display, record.reason


def test_notations_of_the_operator_are_read_alike():
    for text in (r"\arg\max_{a} Q(s, a)", r"\arg_a \max Q(s, a)", r"\operatorname*{arg\,max}_a Q(s, a)",
                 r"{\operatorname{argmax}}_a Q(s, a)", r"\argmax_a Q(s, a)"):
        assert optimum.parse(text) == optimum.Optimum("max", "a", "Q(s, a)"), text
