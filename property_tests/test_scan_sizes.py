r"""Known results at the lecture's own size (issue 25, "general sizes"): derivspec/scan/sizes.py.

The Gaussian MLEs are derived for three observations; their ``Sizes`` derive them again at a
symbolic count (derivspec/core/sums.py), and a statement summing to N, n or M is proved for every
count when its sums agree by linearity, flagged with a counterexample at a written-out size
otherwise. The documents are written for these tests.
"""

from __future__ import annotations

import numpy as np
import pytest
import sympy
from hypothesis import given, settings
from hypothesis import strategies as st

from derivspec.core import registry
from derivspec.core.sums import linear_form
from scanning import scan_text

N = sympy.Symbol("N", integer=True, positive=True)
ITEM = sympy.Function("x", real=True)


def _sizes(claim_id):
    return next(r.sizes for r in registry.get(claim_id).recognisers() if r.sizes is not None)


def _at(expr, n, values):
    return float(expr.xreplace({N: n}).doit().xreplace({ITEM(k + 1): sympy.Float(v) for k, v in enumerate(values)}))


# --- the general forms are derived, and agree with the claims and with numpy ---------------------

@pytest.mark.parametrize("claim_id", ["estimation.gaussian.mean", "estimation.gaussian.variance", "ar.perplexity"])
def test_general_form_at_the_derived_size_is_the_claims_target(claim_id):
    claim = registry.get(claim_id)
    sizes = _sizes(claim_id)
    xs = [v.symbol for v in claim.variables][: sizes.derived_at]
    at_three = sizes.general(N, ITEM).xreplace({N: 3}).doit().xreplace({ITEM(k + 1): x for k, x in enumerate(xs)})
    assert sympy.simplify(at_three - claim.target) == 0


@settings(max_examples=25, deadline=None)
@given(st.lists(st.floats(-50, 50, allow_nan=False), min_size=2, max_size=9))
def test_general_forms_agree_with_numpy(values):
    n = len(values)
    mean = _at(_sizes("estimation.gaussian.mean").general(N, ITEM), n, values)
    assert mean == pytest.approx(np.mean(values), abs=1e-9)
    assert _at(_sizes("estimation.gaussian.variance").general(N, ITEM), n, values) == pytest.approx(
        np.var(values), rel=1e-9, abs=1e-9)


def test_linear_form_reads_sums_by_linearity():
    i, j = sympy.symbols("i j", integer=True)
    mean = sympy.Sum(ITEM(j), (j, 1, N)) / N
    centred = sympy.Sum((ITEM(i) - mean) ** 2, (i, 1, N)) / N
    raw = sympy.Sum(ITEM(j) ** 2, (j, 1, N)) / N - mean ** 2
    assert linear_form(sympy.expand(centred - raw)) == 0
    assert linear_form(sympy.Sum(3, (i, 1, N))) == 3 * N
    assert linear_form(sympy.expand(centred - raw * N / (N - 1))) != 0


# --- scan: proved for every N in the lecture's letters, flagged with a counterexample ------------

def _records(tmp_path, body: str):
    return scan_text(tmp_path, body, "lecture.md")


PROVED = [
    r"The maximum likelihood estimate is $\hat\sigma^2 = \frac{1}{N}\sum_{i=1}^N (x_i - \bar x)^2$.",
    r"Maximum likelihood gives $\hat{\boldsymbol\sigma}^2_{\text{MLE}} = \frac{1}{M}\sum_{m=1}^{M} y_m^2 - \bar{y}^2$.",
    r"By maximum likelihood, $\hat\sigma^2 = \frac{1}{n} \sum_{i=1}^n (x^{(i)} - \hat{\mu})^2$.",
    r"The MLE of the mean is $\hat\mu_{\mathrm{ML}} = \frac{1}{T}\sum_{t=1}^{T} z_t$.",
    r"Perplexity: $\mathrm{PPL}(w_{1:L}) = \exp\left(-\frac{1}{L}\sum_{l=1}^L \log q(w_l \mid w_{<l})\right)$.",
    r"Perplexity: $\text{PPL} = \left(\prod_{t=1}^{T} p_\theta(x_t \mid x_{<t})\right)^{-1/T}$.",
]


@pytest.mark.parametrize("text", PROVED)
def test_proved_for_every_count_in_other_notations(tmp_path, text):
    records = _records(tmp_path, f"# Estimation\n\n{text}\n")
    known = [r for r in records if r.claim and r.claim.startswith(("estimation.gaussian.", "ar.perplexity"))]
    assert known and known[0].verdict == "proved", [(r.verdict, r.reason) for r in records]
    assert "for every" in known[0].reason and "reading" in known[0].reason


FLAGGED = [
    (r"The maximum likelihood estimate is $\hat\sigma^2_{\text{MLE}} = \frac{1}{N-1}\sum_{i=1}^N (x_i - \bar x)^2$.",
     "estimation.gaussian.variance", r"\frac{1}{N}\sum_{i=1}^{N} (x_i - \bar x)^2"),
    (r"Maximum likelihood: $\hat\sigma^2 = \frac{1}{M}\sum_{m=1}^{M} y_m^2 - \frac{1}{2}\bar y^2$.",
     "estimation.gaussian.variance", r"\frac{1}{M}\sum_{m=1}^{M} (y_m - \bar y)^2"),
    (r"The MLE of the mean over $n$ points is $\hat\mu = \frac{1}{n-1}\sum_{i=1}^{n} x_i$.",
     "estimation.gaussian.mean", r"\frac{1}{n}\sum_{i=1}^{n} x_i"),
    (r"Perplexity: $\text{Perplexity} = \exp\left(-\sum_{t=1}^T \log p(x_t \mid x_{<t})\right)$.",  # per sequence
     "ar.perplexity", r"\exp\left(-\frac{1}{T}\sum_{t=1}^{T} \log p_t\right)"),
]


@pytest.mark.parametrize("text, claim_id, correct", FLAGGED)
def test_wrong_estimators_flagged_with_a_counterexample_and_the_form_in_the_lectures_letters(
        tmp_path, text, claim_id, correct):
    records = _records(tmp_path, f"# Estimation\n\n{text}\n")
    flagged = [r for r in records if r.verdict == "disagrees"]
    assert len(flagged) == 1 and flagged[0].claim == claim_id, [(r.verdict, r.reason) for r in records]
    record = flagged[0]
    assert record.correct == correct
    # the counterexample: the written-out size and the items' values, both sides evaluated
    assert " = 3, " in record.evidence and "as written" in record.evidence and "derived" in record.evidence
    after = record.evidence.split("as written")[1]
    written, derived = (float(part.split()[-1].rstrip(",")) for part in after.split("derived"))
    assert abs(written - derived) > 1e-6


NOT_FLAGGED = [
    r"The unbiased estimator is $\hat\sigma^2 = \frac{1}{N-1}\sum_{i=1}^N (x_i - \bar x)^2$.",  # another estimator
    r"Without the likelihood: $\hat\sigma^2 = \frac{1}{N-1}\sum_{i=1}^N (x_i - \bar x)^2$.",  # nothing says MLE
    r"Maximum likelihood with a known mean: $\hat\sigma^2 = \frac{1}{N}\sum_{i=1}^N (x_i - \mu)^2$.",
    r"The maximum likelihood noise: $\hat\sigma^2 = \frac{1}{N}\sum_{i=1}^N \epsilon_i^2$.",  # a zero-mean setting
    r"Maximum likelihood regression: $\hat\sigma^2 = \frac{1}{N}\sum_{i=1}^N (y_i - w x_i)^2$.",
    r"The MAP estimate (maximum likelihood plus a prior) is $\hat\mu = \frac{1}{N+1}\sum_{i=1}^N x_i$.",
    r"The maximum likelihood estimate $\hat\sigma_t^2 = \frac{1}{N-1}\sum_{i=1}^N (x_i - \bar x)^2$.",  # another name
]


@pytest.mark.parametrize("text", NOT_FLAGGED)
def test_other_estimators_and_settings_are_not_flagged(tmp_path, text):
    records = _records(tmp_path, f"# Estimation\n\n{text}\n")
    assert not [r for r in records if r.verdict == "disagrees"], [(r.verdict, r.reason) for r in records]
    assert not [r for r in records if r.verdict == "proved" and r.claim], [(r.verdict, r.reason) for r in records]


@settings(max_examples=12, deadline=None)
@given(st.integers(-3, 3), st.integers(1, 4))
def test_a_wrong_normaliser_is_never_proved(shift, scale):
    if (shift, scale) == (0, 1):
        return
    import tempfile
    from pathlib import Path

    denominator = f"{scale}N{shift:+d}" if shift else f"{scale}N"
    text = (rf"The maximum likelihood estimate is $\hat\sigma^2 = \frac{{1}}{{{denominator}}}"
            rf"\sum_{{i=1}}^N (x_i - \bar x)^2$.")
    with tempfile.TemporaryDirectory() as folder:
        records = _records(Path(folder), f"# Estimation\n\n{text}\n")
    known = [r for r in records if r.claim == "estimation.gaussian.variance"]
    assert known and known[0].verdict == "disagrees", [(r.verdict, r.reason) for r in records]
