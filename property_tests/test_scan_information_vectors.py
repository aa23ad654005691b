r"""Information quantities written with probability vectors, and with a document's own letter for entropy
(issue 25, part 3: definitions of standard quantities, derivspec/scan/conventions.py).

* ``H(p, q) := -\sum_i p_i \log q_i`` (puwei/DanielTakeshi.github.io@9cfef1055d24
  _posts/2017-03-05-understanding-generative-adversarial-networks.md:53 writes the cross-entropy so), ``y_k \log \hat
  y_k``, ``\sum_{c=1}^{C} y_c \log p_c``: the distributions the left side names, written as vectors indexed by the
  outcome, are read as p(i), q(i) and the definition is compared with the standard one.
* ``I(X;Y) = E(X) - E(X|Y)`` (the same author's _posts/2015-08-18-miscellaneous-prelim-review-part-1.md:16-22 writes
  entropy as E(X)): a letter the document declares as entropy is read as H; undeclared, E(X) stays an expectation.

The documents are written here; the counterexamples are recomputed from the vectors the record shows.
"""

from __future__ import annotations

import math
import re
from fractions import Fraction

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from property_tests.scanning import scan_text

CROSS_PROSE = "The cross-entropy between two distributions $p$ and $q$ is defined as\n\n"


def record_of(tmp_path, text: str, fragment: str):
    records = scan_text(tmp_path, text)
    found = [r for r in records if fragment in r.text]
    assert found, [r.text for r in records]
    return found[0]


def display(prose: str, statement: str) -> str:
    return "# Notes\n\n" + prose + "$$" + statement + "$$\n"


# --- probability vectors: right forms, proved with the reading shown -------------------------------------------

PROVED = [
    # (prose, statement, the reading the reason must show)
    (CROSS_PROSE, r"H(p,q) := -\sum_i p_i \log q_i", ["p_i as p(i)", "q_i as q(i)"]),
    ("The cross-entropy of the one-hot label $y$ and the predicted probabilities $\\hat y$ is\n\n",
     r"H(y, \hat y) = -\sum_{k=1}^{K} y_k \log \hat y_k", ["y_k as p(k)", r"\hat y_k as q(k)"]),
    ("The loss is the cross-entropy of the label distribution and the softmax output, defined as\n\n",
     r"\mathrm{CE}(y, \hat{y}) = -\sum_{c=1}^{C} y_c \log \hat{y}_c", ["y_c as p(c)", r"\hat{y}_c as q(c)"]),
    ("The KL divergence between two discrete distributions is defined as\n\n",
     r"D_{KL}(p\|q) = \sum_i p_i \log \frac{p_i}{q_i}", ["p_i as p(i)", "q_i as q(i)"]),
    ("The entropy of a discrete distribution is defined as\n\n", r"H(p) = -\sum_i p_i\log p_i", ["p_i as p(i)"]),
    ("The entropy of a distribution over $n$ outcomes is\n\n", r"H(P) = -\sum_{j=1}^{n} P_j \ln P_j", ["P_j as p(j)"]),
    ("The Jensen-Shannon divergence of two distributions is defined as\n\n",
     r"JS(p\|q) = \frac12 \sum_i p_i \log \frac{p_i}{m_i} + \frac12 \sum_i q_i \log \frac{q_i}{m_i}"
     "$$\n\nwhere $m_i = (p_i + q_i)/2$.\n", ["p_i as p(i)", "with m_i = (p_i + q_i)/2"]),
]


@pytest.mark.parametrize("prose, statement, read_as", PROVED, ids=[c[1][:30] for c in PROVED])
def test_a_right_form_in_probability_vectors_is_proved_with_the_reading(tmp_path, prose, statement, read_as):
    record = record_of(tmp_path, display(prose, statement), statement.split("$$")[0][:12])
    assert record.verdict == "proved", record.reason
    assert "agrees with the standard definition" in record.reason
    for text in read_as:
        assert text in record.reason, record.reason
    assert "probability vectors indexed by the outcome" in record.reason


# --- wrong variants: flagged with the convention, the correct form in the lecture's letters, a counterexample ----

def cross(p, q):
    return -sum(a * math.log(b) for a, b in zip(p, q))


def kl(p, q):
    return sum(a * math.log(a / b) for a, b in zip(p, q))


def js(p, q, normaliser=2.0, weight=0.5):
    m = [(a + b) / normaliser for a, b in zip(p, q)]
    return weight * sum(a * math.log(a / c) for a, c in zip(p, m)) + weight * sum(b * math.log(b / c)
                                                                                   for b, c in zip(q, m))


WRONG = [
    # (prose, statement, convention named, correct form (in the lecture's letters), standard(p, q), lecture(p, q))
    (CROSS_PROSE, r"H(p,q) := -\sum_i q_i \log p_i", "the expectation under the first argument",
     r"H(p,q) = -\sum_i p_i \log q_i", cross, lambda p, q: cross(q, p)),
    ("The cross-entropy of the label $y$ and the prediction $\\hat y$ is defined as\n\n",
     r"H(y, \hat y) = \sum_{k=1}^{K} y_k \log \hat y_k", "the expectation under the first argument",
     r"H(y, \hat y) = -\sum_{k=1}^{K} y_k \log \hat y_k", cross, lambda p, q: -cross(p, q)),
    ("The KL divergence between two discrete distributions is defined as\n\n",
     r"D_{KL}(p\|q) = \sum_i p_i \frac{p_i}{q_i}", "E_p[log p − log q]",
     r"D_{KL}(p\|q) = \sum_i p_i \log \frac{p_i}{q_i}", kl, lambda p, q: sum(a * a / b for a, b in zip(p, q))),
    ("The KL divergence between two discrete distributions is defined as\n\n",
     r"D_{KL}(p\|q) = \sum_i q_i \log \frac{q_i}{p_i}", "E_p[log p − log q]",
     r"D_{KL}(p\|q) = \sum_i p_i \log \frac{p_i}{q_i}", kl, lambda p, q: kl(q, p)),
    ("The entropy of a discrete distribution is defined as\n\n", r"H(p) = \sum_{c=1}^{C} p_c \log p_c",
     "H(p) = −E_p[log p]", r"H(p) = -\sum_{c=1}^{C} p_c \log p_c", lambda p, q: cross(p, p),
     lambda p, q: -cross(p, p)),
    ("The Jensen-Shannon divergence of two distributions is defined as\n\n",
     r"JS(p\|q) = \sum_i p_i \log \frac{p_i}{m_i} + \sum_i q_i \log \frac{q_i}{m_i}"
     "$$\n\nwhere $m_i = (p_i + q_i)/2$.\n",
     "M = (P + Q)/2", r"\frac12 \sum_i p_i \log \frac{p_i}{m_i}", js, lambda p, q: js(p, q, weight=1.0)),
    ("The Jensen-Shannon divergence of two distributions is defined as\n\n",
     r"JS(p\|q) = \frac12 \sum_i p_i \log \frac{p_i}{m_i} + \frac12 \sum_i q_i \log \frac{q_i}{m_i}$$\n\n"
     "where $m_i = p_i + q_i$.\n", "M = (P + Q)/2", r"m_i = \frac{p_i + q_i}{2}", js,
     lambda p, q: js(p, q, normaliser=1.0)),
]

_VECTOR = re.compile(r"((?:\\hat )?[A-Za-z]) = \(([^()]*)\)")
_VALUES = re.compile(r"standard = (\S+), lecture = (\S+)$")


def vectors_of(evidence: str) -> dict:
    return {name: [float(Fraction(v.strip())) for v in values.split(",")] for name, values in _VECTOR.findall(evidence)}


@pytest.mark.parametrize("prose, statement, convention, correct, standard, lecture", WRONG,
                         ids=[c[1][:34] for c in WRONG])
def test_a_wrong_form_is_flagged_with_a_counterexample_in_probability_vectors(tmp_path, prose, statement, convention,
                                                                              correct, standard, lecture):
    record = record_of(tmp_path, display(prose, statement), statement.split("$$")[0][:12])
    assert record.verdict == "disagrees", record.reason
    assert "differently from the standard definition" in record.reason and convention in record.reason
    assert "probability vectors indexed by the outcome" in record.reason
    assert correct in record.correct, record.correct
    vectors = list(vectors_of(record.evidence).values())
    assert vectors and all(abs(sum(v) - 1) < 1e-12 and min(v) > 0 for v in vectors), record.evidence
    p, q = vectors[0], vectors[-1]
    shown = _VALUES.search(record.evidence)
    assert shown, record.evidence
    assert float(shown.group(1)) == pytest.approx(standard(p, q), rel=1e-6)  # recomputed here
    assert float(shown.group(2)) == pytest.approx(lecture(p, q), rel=1e-6)
    assert abs(standard(p, q) - lecture(p, q)) > 1e-6


LETTERS = [("p", "q"), ("P", "Q"), ("y", r"\hat y"), ("y", r"\hat{y}"), (r"\pi", "q")]
SUMS = [r"\sum_{i}", r"\sum_i", r"\sum_{i=1}^{n}", r"\sum_{i=0}^{K}", r"\sum_{i=1}^{|\mathcal X|}"]


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(letters=st.sampled_from(LETTERS), summation=st.sampled_from(SUMS), index=st.sampled_from("ijkc"),
       swapped=st.booleans(), defined=st.sampled_from([":=", "="]))
def test_cross_entropy_in_any_vector_letters_is_read_and_judged(tmp_path, letters, summation, index, swapped, defined):
    a, b = letters
    first, second = (b, a) if swapped else (a, b)
    statement = (rf"H({a}, {b}) {defined} -{summation.replace('i', index)} {first}_{index} \log {second}_{{{index}}}")
    record = record_of(tmp_path, display(CROSS_PROSE, statement), "H(")
    assert record.verdict == ("disagrees" if swapped else "proved"), record.reason
    assert f"{a}_{index} as p({index})" in record.reason, record.reason
    if swapped:
        assert f"{a}_{index}" in record.correct and f"{b}_{index}" in record.correct, record.correct
        first_outcome = 0 if "=0}" in summation else 1
        assert f"outcomes {index} = {first_outcome}, {first_outcome + 1}" in record.evidence, record.evidence


def test_a_convention_the_text_announces_is_not_flagged(tmp_path):
    text = display("By a convention of this course the cross-entropy of two distributions is written\n\n",
                   r"H(p,q) := -\sum_i q_i \log p_i")
    record = record_of(tmp_path, text, "H(p,q)")
    assert record.verdict == "unchecked" and "another convention" in record.reason, record.reason


# --- look-alikes: not read as probability vectors --------------------------------------------------------------

LOOK_ALIKES = [
    # the index also counts something else (x_i values)
    (CROSS_PROSE, r"H(p, q) := -\sum_i p_i x_i \log q_i"),
    # p a parameter vector of a model: no distribution in the words around
    ("Let $p$ be the parameter vector of the model and $q$ its target. We define\n\n",
     r"H(p, q) := \sum_i p_i \log q_i"),
    # a binary loss over samples: 1 - y_i is the other outcome's probability, not a vector of the distribution
    ("The cross-entropy loss of the labels is defined as\n\n",
     r"H(y, \hat y) = -\sum_{i=1}^{N} \left[y_i \log \hat y_i + (1 - y_i) \log (1 - \hat y_i)\right]"),
    # an average over N samples: the bound's letter appears again
    ("The cross-entropy loss of the labels is defined as\n\n", r"H(y, \hat y) = -\frac{1}{N}\sum_{i=1}^{N} y_i"
     r" \log \hat y_i"),
    # the letter with another index
    (CROSS_PROSE, r"H(p,q) := -\sum_i p_j \log q_i"),
]


@pytest.mark.parametrize("prose, statement", LOOK_ALIKES, ids=[s[:34] for _, s in LOOK_ALIKES])
def test_look_alikes_are_not_flagged(tmp_path, prose, statement):
    record = record_of(tmp_path, display(prose, statement), "H(")
    assert record.verdict != "disagrees", record.reason
    assert "probability vectors" not in record.reason


# --- the document's own letter for entropy --------------------------------------------------------------------

ENTROPY_BY_PROSE = ("## Information theory\n\n- **Entropy**: $$E(X) = -\\sum_{x} p(x)\\log_2 p(x)$$, the uncertainty "
                    "of $X$.\n\n")
ENTROPY_BY_DEFINITION = "We write $$S(X) = -\\sum_x p(x) \\log p(x)$$ for the uncertainty of $X$.\n\n"


@pytest.mark.parametrize("declaration, letter", [(ENTROPY_BY_PROSE, "E"), (ENTROPY_BY_DEFINITION, "S"),
                                                 ("", "H")])
def test_mutual_information_in_the_documents_entropy_letter_is_proved(tmp_path, declaration, letter):
    text = "# Notes\n\n" + declaration + f"- **Mutual information**: $$I(X;Y) = {letter}(X) - {letter}(X|Y)$$.\n"
    record = record_of(tmp_path, text, "I(X;Y)")
    assert record.verdict == "proved", record.reason
    assert "agrees with the standard definition of the mutual information" in record.reason
    if letter != "H":
        assert f"reading {letter} as the entropy H (declared at line" in record.reason, record.reason


def _entropy(table, axis):
    marginal = {}
    for key, value in table.items():
        marginal[key[axis]] = marginal.get(key[axis], 0) + value
    return -sum(v * math.log(v) for v in marginal.values())


@pytest.mark.parametrize("declaration, letter", [(ENTROPY_BY_PROSE, "E"), (ENTROPY_BY_DEFINITION, "S")])
def test_a_sign_flip_in_the_documents_entropy_letter_is_flagged(tmp_path, declaration, letter):
    text = "# Notes\n\n" + declaration + f"- **Mutual information**: $$I(X;Y) = {letter}(X|Y) - {letter}(X)$$.\n"
    record = record_of(tmp_path, text, "I(X;Y)")
    assert record.verdict == "disagrees", record.reason
    assert f"reading {letter} as the entropy H" in record.reason
    assert f"{letter}(X) - {letter}(X | Y)" in record.correct, record.correct
    table = {(int(x), int(y)): float(Fraction(v))
             for x, y, v in re.findall(r"p\(x=(\d+), y=(\d+)\)=([0-9/]+)", record.evidence)}
    assert table and abs(sum(table.values()) - 1) < 1e-12, record.evidence
    joint = -sum(v * math.log(v) for v in table.values())
    mutual = _entropy(table, 0) + _entropy(table, 1) - joint  # H(X) + H(Y) - H(X, Y)
    shown = re.search(r"left = (\S+), right = (\S+)$", record.evidence)
    assert float(shown.group(1)) == pytest.approx(mutual, rel=1e-6)
    assert float(shown.group(2)) == pytest.approx(-mutual, rel=1e-6)  # H(X|Y) - H(X) = -I


@pytest.mark.parametrize("text", [
    # E undeclared: an expectation
    "# Notes\n\nThe mutual information is defined as $$I(X;Y) = E(X|Y) - E(X)$$\n",
    # "entropy" in the sentence, but the display is the expectation
    "# Notes\n\nBefore the entropy, recall the expectation $$E(X) = \\sum_x x\\, p(x)$$\n\n"
    "The mutual information is defined as $$I(X;Y) = E(X|Y) - E(X)$$\n",
    # relative entropy names a divergence, not a letter for entropy
    "# Notes\n\nThe relative entropy is $$D(X) = \\sum_x p(x) \\log \\frac{p(x)}{q(x)}$$\n\n"
    "The mutual information is defined as $$I(X;Y) = D(X|Y) - D(X)$$\n",
])
def test_an_undeclared_letter_is_not_read_as_entropy(tmp_path, text):
    record = record_of(tmp_path, text, "I(X;Y)")
    assert record.verdict != "disagrees", record.reason
    assert "as the entropy H" not in record.reason
