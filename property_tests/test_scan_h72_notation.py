r"""The entropy of a Gaussian, the binary cross-entropy and the derivative of a function the lead-in defines
(issue 25, helper h72). The entropy is the normal family's row (derivspec/data/knowledge/families.toml) since
issue 57, the derivative of a defined function the general path's (the sigmoid the text names read as that
function, a function the lead-in defines unfolded by its definition); the binary cross-entropy is the functions
table's ``bce`` row, judged on the labels the text declares, and as the mean over items of a named loss
(known.items_judged).

Every document is written for the test (the layout of benchmarks/scan_known_quantities/information.md and
vae_flows_scores.md, our own text). Counterexamples are recomputed here, not copied.
"""

from __future__ import annotations

import math
import re
from fractions import Fraction

import pytest
from hypothesis import given, settings, strategies as st

import sympy

from derivspec.scan.reader import DocumentNames, read_document
from derivspec.scan.runner import scan_path


def _scan(tmp_path, text: str, name: str = "doc.md"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return list(scan_path(path, workers=0, sources=False))


def _last(tmp_path, lead: str, display: str):
    records = _scan(tmp_path, f"# Doc\n\n{lead}\n\n$${display}$$\n")
    return [r for r in records if r.lines[0] == 5][0]


def _evidence(record) -> tuple[dict, float]:
    values = {m.group(1): Fraction(m.group(2))
              for m in re.finditer(r"((?:\\[A-Za-z]+|[A-Za-z])(?:_i)?)=(-?\d+(?:/\d+)?)", record.evidence)}
    shown = re.search(r"as written (-?[\d.e+-]+)|right = (-?[\d.e+-]+)", record.evidence)  # a module's, a row's
    return values, float(shown.group(1) or shown.group(2))


# --- the entropy of a Gaussian ------------------------------------------------------------------

ENTROPY_LEADS = [
    r"A Gaussian with variance $\sigma^2$ has differential entropy",
    r"Let $X \sim \mathcal{N}(\mu, \sigma^2)$. Its differential entropy is",
]


@pytest.mark.parametrize("lead", ENTROPY_LEADS)
def test_gaussian_entropy_proved(tmp_path, lead):
    record = _last(tmp_path, lead, r"H(X) = \frac{1}{2}\log(2 \pi e \sigma^2)")
    assert record.verdict == "proved", record.reason
    assert "normal.entropy" in record.reason


def test_gaussian_entropy_other_letters_and_form(tmp_path):
    record = _last(tmp_path, r"Let $Z \sim \mathcal{N}(m, s^2)$. Its entropy is",
                   r"h(Z) = \frac{1}{2} + \frac{1}{2}\log(2 \pi s^2)")
    assert record.verdict == "proved", record.reason
    assert "normal.entropy" in record.reason  # h(Z) under "its entropy" is the entropy of Z's declared law
    wrong = _last(tmp_path, r"Let $Z \sim \mathcal{N}(m, s^2)$. Its entropy is",
                  r"h(Z) = \frac{1}{2}\log(2 \pi s^2)")
    assert wrong.verdict == "disagrees", wrong.reason


def test_a_lower_case_h_is_the_entropy_only_where_the_text_says_entropy(tmp_path):
    record = _last(tmp_path, r"Let $Z \sim \mathcal{N}(m, s^2)$ and take the transform", r"h(Z) = Z^2")
    assert record.verdict != "disagrees", record.reason


@pytest.mark.parametrize("wrong, derived_of", [
    (r"\frac{1}{2}\log(2 \pi e \sigma)", lambda s: 0.5 * math.log(2 * math.pi * math.e * s)),
    (r"\frac{1}{2}\log(2 \pi \sigma^2)", lambda s: 0.5 * math.log(2 * math.pi * s * s)),
    (r"\log(2 \pi e \sigma^2)", lambda s: math.log(2 * math.pi * math.e * s * s)),
    (r"-\frac{1}{2}\log(2 \pi e \sigma^2)", lambda s: -0.5 * math.log(2 * math.pi * math.e * s * s)),
])
def test_gaussian_entropy_flags(tmp_path, wrong, derived_of):
    record = _last(tmp_path, ENTROPY_LEADS[0], "H(X) = " + wrong)
    assert record.verdict == "disagrees", record.reason
    values, written = _evidence(record)
    s = float(values[r"\sigma"])
    assert written == pytest.approx(derived_of(s), rel=1e-9)
    assert written != pytest.approx(0.5 * math.log(2 * math.pi * math.e * s * s), rel=1e-6)
    correct = read_document(record.correct.split("=")[-1], DocumentNames()).value()
    sigma = next(iter(correct.free_symbols))
    assert sympy.simplify(correct - sympy.log(2 * sympy.pi * sympy.E * sigma**2) / 2) == 0, record.correct


@pytest.mark.parametrize("lead", [
    "The entropy of the variable is",  # no Gaussian law in view
    r"Let $X \sim \mathrm{Laplace}(0, b)$. Its differential entropy is",  # another law
])
def test_gaussian_entropy_without_a_gaussian_is_not_flagged(tmp_path, lead):
    record = _last(tmp_path, lead, r"H(X) = \frac{1}{2}\log(2 \pi \sigma^2)")
    assert record.verdict != "disagrees", record.reason


def test_gaussian_entropy_in_bits(tmp_path):
    """Logs in base 2 throughout: the entropy in bits is the same formula read in that base; a slip is a slip in any
    base."""
    lead = r"A Gaussian with variance $\sigma^2$ has differential entropy, in bits, where all logs are base 2,"
    assert _last(tmp_path, lead, r"H(X) = \frac{1}{2}\log(2 \pi e \sigma^2)").verdict == "proved"
    assert _last(tmp_path, lead, r"H(X) = \frac{1}{2}\log(2 \pi \sigma^2)").verdict == "disagrees"


# --- the binary cross-entropy -------------------------------------------------------------------

BCE_LEAD = r"The binary cross-entropy of a label ${0} \in \{{0, 1\}}$ and a prediction ${1}$ is"


def _bce(y, p):
    return -y * math.log(p) - (1 - y) * math.log(1 - p)


@pytest.mark.parametrize("y, p", [("y", r"\hat{y}"), ("t", "q"), ("c", r"\rho")])
def test_bce_proved_in_any_letters(tmp_path, y, p):
    record = _last(tmp_path, BCE_LEAD.format(y, p), rf"\ell({y}, {p}) = -{y} \log {p} - (1 - {y})\log(1 - {p})")
    assert record.verdict == "proved", record.reason
    assert "fn.bce.define" in record.reason  # the functions table's row, in the document's letters


def test_bce_as_minus_log_of_the_pmf_proved(tmp_path):
    record = _last(tmp_path, BCE_LEAD.format("t", "q"), r"\ell(t, q) = -\log(q^t (1-q)^{1-t})")
    assert record.verdict == "proved", record.reason


def test_a_form_right_only_on_the_declared_labels_is_proved_there_and_flagged_for_a_soft_target(tmp_path):
    """-log(t q + (1 - t)(1 - q)) is the cross-entropy for t ∈ {0, 1} only: proved where the text declares the label
    binary (on those values), flagged where the target is any number in [0, 1]."""
    record = _last(tmp_path, BCE_LEAD.format("t", "q"), r"\ell(t, q) = -\log(t q + (1 - t)(1 - q))")
    assert record.verdict == "proved" and "t ∈ {0, 1}" in record.reason, record.reason
    soft = _last(tmp_path, r"The binary cross-entropy of a target $t$ and a prediction $q$ is",
                 r"\ell(t, q) = -\log(t q + (1 - t)(1 - q))")
    assert soft.verdict == "disagrees", soft.reason


def test_bce_mean_over_examples_proved(tmp_path):
    lead = (r"With labels $y_n \in \{0, 1\}$ and predicted probabilities $p_n$ the mean binary cross-entropy "
            "is")
    record = _last(tmp_path, lead, r"L = -\frac{1}{N}\sum_{n=1}^{N} [y_n \log p_n + (1 - y_n)\log(1 - p_n)]")
    assert record.verdict == "proved", record.reason
    wrong = _last(tmp_path, lead, r"L = -\frac{1}{N}\sum_{n=1}^{N} [y_n \log p_n + \log(1 - p_n)]")
    assert wrong.verdict == "disagrees", wrong.reason


@pytest.mark.parametrize("wrong, written_of", [
    (r"t \log q + (1 - t)\log(1 - q)", lambda t, q: -_bce(t, q)),
    (r"-t q - (1 - t)\log(1 - q)", lambda t, q: -t * q - (1 - t) * math.log(1 - q)),
    (r"-t \log q", lambda t, q: -t * math.log(q)),
    (r"-t \log(1 - q) - (1 - t)\log q", lambda t, q: _bce(1 - t, q)),
])
def test_bce_flags(tmp_path, wrong, written_of):
    record = _last(tmp_path, BCE_LEAD.format("t", "q"), r"\ell(t, q) = " + wrong)
    assert record.verdict == "disagrees", record.reason
    values, written = _evidence(record)
    t, q = int(values["t"]), float(values["q"])
    assert t in (0, 1)
    assert written == pytest.approx(written_of(t, q), rel=1e-9)
    assert written != pytest.approx(_bce(t, q), rel=1e-6)
    named, value = record.correct.split(" = ", 1)  # the correct form, read back: the cross-entropy at the point
    read = read_document(value, DocumentNames()).value()
    assert named == r"\ell(t, q)" and "fn.bce.define" in record.reason
    assert float(read.xreplace({s: {"t": t, "q": sympy.Rational(q)}[s.name] for s in read.free_symbols})) == \
        pytest.approx(_bce(t, q), rel=1e-9)


def test_a_cross_entropy_with_its_sign_flipped_is_flagged_without_a_declared_label(tmp_path):
    """A soft target t in [0, 1] has the same cross-entropy -t log q - (1 - t) log(1 - q): its negative is wrong
    whatever the label's domain (the bce row's flag)."""
    lead = r"The cross-entropy of a target $t$ and a prediction $q$ is"
    assert _last(tmp_path, lead, r"\ell(t, q) = t \log q + (1 - t)\log(1 - q)").verdict == "disagrees"
    assert _last(tmp_path, lead, r"\ell(t, q) = -t \log q - (1 - t)\log(1 - q)").verdict == "proved"


@pytest.mark.parametrize("lead, display", [
    # a positive multiple: another normalisation, not flagged
    (BCE_LEAD.format("t", "q"), r"\ell(t, q) = -\frac{1}{2}[t \log q + (1 - t)\log(1 - q)]"),
    # the log-likelihood, named so
    (r"The log-likelihood of a label $t \in \{0, 1\}$ and a prediction $q$ is",
     r"\ell(t, q) = t \log q + (1 - t)\log(1 - q)"),
])
def test_bce_look_alikes_not_flagged(tmp_path, lead, display):
    record = _last(tmp_path, lead, display)
    assert record.verdict != "disagrees", record.reason


@settings(max_examples=10, deadline=None)
@given(st.sampled_from(["a", "b", "u", "v", "r"]), st.sampled_from(["s", "w", r"\rho", r"\hat{p}"]))
def test_bce_letters_property(tmp_path_factory, y, p):
    tmp_path = tmp_path_factory.mktemp("bce")
    record = _last(tmp_path, BCE_LEAD.format(y, p), rf"\ell({y}, {p}) = -{y} \log {p} - (1 - {y})\log(1 - {p})")
    assert record.verdict == "proved", record.reason


# --- the derivative of a function the lead-in defines -------------------------------------------

SIGMOID_LEAD = r"The logistic sigmoid $\sigma(a) = 1/(1 + e^{-a})$ has derivative"


def _sigmoid(a):
    return 1 / (1 + math.exp(-a))


@pytest.mark.parametrize("lead, display", [
    (SIGMOID_LEAD, r"\frac{d\sigma}{da} = \sigma(a)(1 - \sigma(a))"),
    (r"The softplus $\zeta(x) = \log(1 + e^{x})$ has derivative", r"\zeta'(x) = \frac{1}{1 + e^{-x}}"),
    (r"The function $f(u) = \tanh(u)$ has derivative", r"\frac{\partial f}{\partial u} = 1 - f(u)^2"),
])
def test_defined_derivative_proved(tmp_path, lead, display):
    record = _last(tmp_path, lead, display)
    assert record.verdict == "proved", record.reason  # the general path: the sigmoid the text names, or the
    # function the lead-in defines unfolded by its definition in force


@pytest.mark.parametrize("wrong, written_of", [
    (r"\sigma(a)(1 + \sigma(a))", lambda a: _sigmoid(a) * (1 + _sigmoid(a))),
    (r"1 - \sigma(a)", lambda a: 1 - _sigmoid(a)),
])
def test_defined_derivative_flags(tmp_path, wrong, written_of):
    record = _last(tmp_path, SIGMOID_LEAD, r"\frac{d\sigma}{da} = " + wrong)
    assert record.verdict == "disagrees", record.reason
    values, written = _evidence(record)
    a = float(values["a"])
    assert written == pytest.approx(written_of(a), rel=1e-9)
    assert written != pytest.approx(_sigmoid(a) * (1 - _sigmoid(a)), rel=1e-6)


@pytest.mark.parametrize("lead, display", [
    (SIGMOID_LEAD, r"\frac{d\sigma}{da} = \sigma(1 - \sigma)"),  # sigma applied to (1 - sigma) or a product
    ("The function has derivative", r"\frac{d\sigma}{da} = \sigma(a)(1 + \sigma(a))"),  # nothing defined
])
def test_defined_derivative_look_alikes_not_flagged(tmp_path, lead, display):
    record = _last(tmp_path, lead, display)
    assert record.verdict != "disagrees", record.reason
