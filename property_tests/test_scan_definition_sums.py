r"""Definitions of standard quantities written as sums, integrals and in bits (derivspec/scan/conventions.py,
derivspec/scan/probability.py; issue 25 point 3), and the Gaussian variance MLE in moment form (scan/sizes.py).

* the mutual information and the KL divergence defined as ``\sum_x \sum_y p(x,y) \log_2 \frac{p(x,y)}{p(x)p(y)}``,
  ``\sum_{x,y}``, ``\iint … dx dy``, ``\sum_x p(x) \ln \frac{p(x)}{q(x)}`` are compared with the standard
  definition in the unit of the lecture's logs (bits for \log_2); the correct line is proved, the same line with
  a sign flipped, the ratio inverted or the log dropped is flagged with the standard form in the lecture's symbols
  and a counterexample recomputed here from the instance the record names;
* a lecture that writes E(X) for the entropy (Cover and Thomas' H(X)) and declares it is read with E as H (its
  I(X;Y) = E(X) - E(X|Y) proved); undeclared, E(X) is an expectation and nothing is flagged; nor is a definition
  after a sentence announcing another convention, a condition, or a D(p || q) with no KL in the paragraph;
* \hat{\sigma^2} = \frac1n\sum X_i^2 - (\frac1n\sum X_i)^2 (the moment form) is proved for every n where the
  paragraph says maximum likelihood, flagged at a written-out n with a wrong normaliser, unchecked without the
  words.

Every document is written for these tests; comments cite where a notation was seen.
"""

from __future__ import annotations

import math
import re
from fractions import Fraction

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from derivspec.scan.reader import DocumentNames, read_document
from derivspec.scan.runner import scan_path
from scanning import scan_text


pytestmark = pytest.mark.usefixtures("p_and_q_declared_densities")



def _record(tmp_path, lead: str, tex: str, name: str = "doc.md"):
    path = tmp_path / name
    path.write_text(f"# Notes\n\n{lead}\n\n$$\n{tex}\n$$\n\nMore text.\n", encoding="utf-8")
    (record,) = [r for r in scan_path(path, workers=0, known=False, sources=False) if r.lines[0] == 6]
    return record


def _known(tmp_path, lead: str, tex: str):
    path = tmp_path / "mle.md"
    path.write_text(f"# Estimates\n\n{lead}\n\n$$\n{tex}\n$$\n", encoding="utf-8")
    (record,) = [r for r in scan_path(path, workers=0, sources=False) if r.lines[0] == 6]
    return record


# --- recomputing a counterexample from the instance the record names -----------------------------------

def _table(evidence: str, letter: str) -> dict:
    """{(values...): probability} of one letter's cells in the evidence (``p(x=0, y=1)=13/111``)."""
    cells = {}
    for args, value in re.findall(letter + r"\(([^()]*)\)=(\d+/\d+|\d+)", evidence):
        key = tuple(int(part.split("=")[1]) for part in args.split(", "))
        cells[key] = Fraction(value)
    return cells


def _left_right(evidence: str) -> tuple[float, float]:
    m = re.search(r"left = (-?[0-9.e+-]+), right = (-?[0-9.e+-]+)", evidence)
    return float(m.group(1)), float(m.group(2))


def _mutual_information(joint: dict, log) -> float:
    px, py = {}, {}
    for (x, y), p in joint.items():
        px[x] = px.get(x, 0) + p
        py[y] = py.get(y, 0) + p
    return sum(float(p) * log(float(p / (px[x] * py[y]))) for (x, y), p in joint.items())


def _kl(p: dict, q: dict, log) -> float:
    return sum(float(p[k]) * log(float(p[k] / q[k])) for k in p)


# --- the mutual information (Takeshi prelim review part 1: I(X;Y) = \sum_x \sum_y p(x,y) \log_2 (...)) --------

# puwei/DanielTakeshi.github.io@9cfef1055d24 _posts/2015-08-18-miscellaneous-prelim-review-part-1.md:26 writes the
# double sum with \log_2 and \left( \right); the lines below are written here in that notation.
MI_CORRECT = [
    (r"I(X;Y) = \sum_x \sum_y p(x,y) \log_2 \left(\frac{p(x,y)}{p(x)p(y)}\right)", "in bits"),
    (r"I(X;Y) = \sum_{x,y} p(x,y) \ln \frac{p(x,y)}{p(x)p(y)}", ""),
    (r"I(X;Y) = \iint p(x,y) \log \frac{p(x,y)}{p(x)\,p(y)} \, dx \, dy", ""),
    (r"I(A;B) = \sum_a \sum_b p(a,b) \log_{10} \frac{p(a,b)}{p(a)p(b)}", "base-10"),
    (r"I(X;Y) = \sum_{x,y} p(x,y) \lg \frac{p(x,y)}{p(x)p(y)}", r"reading \lg as log to base 2"),
]


@pytest.mark.parametrize("tex,unit", MI_CORRECT)
def test_the_mutual_information_as_a_sum_is_proved_in_the_lectures_unit(tmp_path, tex, unit):
    record = _record(tmp_path, "Alternatively, we represent the mutual information as", tex)
    assert record.verdict == "proved", record.reason
    assert "agrees with the standard definition of the mutual information" in record.reason
    assert "proved for every distribution" in record.reason
    assert unit in record.reason


def _mi_planted(planted: str):
    """(standard, lecture) recomputed on the evidence's joint table of p(x, y)."""
    def recompute(evidence: str) -> tuple[float, float]:
        joint = _table(evidence, "p")
        assert joint and sum(joint.values()) == 1
        standard = _mutual_information(joint, math.log if planted == "log dropped" else math.log2)
        px = {x: sum(p for (a, _), p in joint.items() if a == x) for x, _ in joint}
        py = {y: sum(p for (_, b), p in joint.items() if b == y) for _, y in joint}
        if planted == "log dropped":
            return standard, sum(float(p * p / (px[x] * py[y])) for (x, y), p in joint.items())
        return standard, -standard  # a flipped sign or an inverted ratio
    return recompute


def _kl_planted(planted: str):
    """(standard, lecture) recomputed on the evidence's tables of p(x) and q(x)."""
    def recompute(evidence: str) -> tuple[float, float]:
        p, q = _table(evidence, "p"), _table(evidence, "q")
        standard = _kl(p, q, math.log)
        if planted == "weight":
            return standard, sum(float(q[k]) * math.log(float(p[k] / q[k])) for k in p)
        return standard, -standard
    return recompute


_MI_LEAD = "Alternatively, we represent the mutual information as"
_MI_SHOWN = r"I(X;Y) = \sum_{x} \sum_{y} p(x,y) \log_2 \frac{p(x,y)}{p(x)p(y)}"
_KL_LEAD = "**Relative Entropy (KL-divergence)**:"
_KL_SHOWN = r"D(p || q) = \sum_{x} p(x) \ln \frac{p(x)}{q(x)}"

# (lead, planted line, the standard form in the lecture's symbols, the recomputed values): a sign flipped, the
# ratio inverted, the log dropped (its standard form then shown with \log: the lecture writes no log), the weight
PLANTED = [
    (_MI_LEAD, r"I(X;Y) = -\sum_x \sum_y p(x,y) \log_2 \left(\frac{p(x,y)}{p(x)p(y)}\right)", _MI_SHOWN,
     _mi_planted("sign")),
    (_MI_LEAD, r"I(X;Y) = \sum_x \sum_y p(x,y) \log_2 \left(\frac{p(x)p(y)}{p(x,y)}\right)", _MI_SHOWN,
     _mi_planted("inverted")),
    (_MI_LEAD, r"I(X;Y) = \sum_x \sum_y p(x,y) \left(\frac{p(x,y)}{p(x)p(y)}\right)",
     _MI_SHOWN.replace(r"\log_2", r"\log"), _mi_planted("log dropped")),
    (_KL_LEAD, r"D(p || q) = \sum_{x} p(x)\ln \left( \frac{q(x)}{p(x)}\right)", _KL_SHOWN, _kl_planted("inverted")),
    (_KL_LEAD, r"D(p || q) = -\sum_{x} p(x)\ln \left( \frac{p(x)}{q(x)}\right)", _KL_SHOWN, _kl_planted("sign")),
    (_KL_LEAD, r"D(p || q) = \sum_{x} q(x)\ln \left( \frac{p(x)}{q(x)}\right)", _KL_SHOWN, _kl_planted("weight")),
]


@pytest.mark.parametrize("lead,tex,shown,recompute", PLANTED)
def test_a_planted_definition_is_flagged_with_the_standard_form_and_a_counterexample(tmp_path, lead, tex, shown,
                                                                                      recompute):
    record = _record(tmp_path, lead, tex)
    assert record.verdict == "disagrees", record.reason
    assert record.category != "definition"  # a step with a failing instance is never a definition (issue 56)
    assert "differently from the standard definition" in record.reason
    assert "standard form in the lecture's symbols: " + shown in record.reason
    standard, lecture = recompute(record.evidence)  # from the instance the record names
    left, right = _left_right(record.evidence)
    assert left == pytest.approx(standard, rel=1e-6) and right == pytest.approx(lecture, rel=1e-6)
    assert abs(standard - lecture) > 1e-3


def test_independence_does_not_excuse_a_definition(tmp_path):
    """With X and Y independent the mutual information and its negative are both 0: a definition of it is for
    every joint distribution, so the sign flip is flagged all the same (a step between two expressions keeps the
    independent reading, probability.py)."""
    record = _record(tmp_path, "The mutual information is", r"I(X;Y) = \sum_{x,y} p(x,y) \log \frac{p(x)p(y)}{p(x,y)}")
    assert record.verdict == "disagrees" and "independence is not assumed" in record.reason


# --- the KL divergence (Takeshi part 1:30: D(p || q) = \sum_{x} p(x)\ln \left( \frac{p(x)}{q(x)}\right)) --------

KL_CORRECT = [
    ("**Relative Entropy (KL-divergence)**:", r"D(p || q) = \sum_{x} p(x)\ln \left( \frac{p(x)}{q(x)}\right)"),
    ("The KL divergence is", r"\mathrm{KL}(P \| Q) = \sum_{z} P(z) \log_2 \frac{P(z)}{Q(z)}"),
    ("The Kullback-Leibler divergence is", r"D_{\mathrm{KL}}(p \parallel q) = \int p(x) \log \frac{p(x)}{q(x)} \, dx"),
    ("The KL divergence is", r"D_{KL}(q(z|x) \| p(z)) = \mathbb E_{q(z|x)}[\log q(z|x) - \log p(z)]"),
]


@pytest.mark.parametrize("lead,tex", KL_CORRECT)
def test_a_kl_definition_is_proved(tmp_path, lead, tex):
    record = _record(tmp_path, lead, tex)
    assert record.verdict == "proved", record.reason
    assert "agrees with the standard definition of the KL divergence" in record.reason


@given(letters=st.sampled_from([("p", "q"), ("P", "Q"), ("q", "p"), ("p_1", "p_2")]),
       variable=st.sampled_from(["x", "z", "y"]),
       log=st.sampled_from([r"\log", r"\ln", r"\log_2"]),
       variant=st.sampled_from(["correct", "inverted", "sign"]))
@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_kl_definitions_in_other_letters(tmp_path, letters, variable, log, variant):
    a, b = letters
    ratio = rf"\frac{{{a}({variable})}}{{{b}({variable})}}" if variant != "inverted" else \
        rf"\frac{{{b}({variable})}}{{{a}({variable})}}"
    sign = "-" if variant == "sign" else ""
    tex = rf"\mathrm{{KL}}({a} \| {b}) = {sign}\sum_{{{variable}}} {a}({variable}) {log} {ratio}"
    record = _record(tmp_path, "The KL divergence is", tex)
    if variant == "correct":
        assert record.verdict == "proved", record.reason
    else:
        assert record.verdict == "disagrees", record.reason
        shown = log if log != r"\log_2" else r"\log_2"
        assert rf"\sum_{{{variable}}} {a}({variable}) {shown} \frac{{{a}({variable})}}{{{b}({variable})}}" \
            in record.reason


# --- look-alikes and conventions: never flagged -------------------------------------------------------------

# Takeshi part 1:16-22 writes E(X) for the entropy and then I(X;Y) = E(X) - E(X|Y): a document-level
# convention (E is not an expectation there), declared by the "Entropy" item that defines E(X). The document below is
# written here in that layout; E is read as H from its declaration on (test_scan_information_vectors has more).
TAKESHI_LIKE = """# Review

- **Entropy**: $$E(X) = -\\sum_{x} p(x)\\log_2 p(x) = -\\mathbb{E}[\\log_2 p(X)]$$, where $$x$$ is a value of $$X$$.

- **Mutual Information**: $$I(X;Y) = E(X) - E(X|Y)$$. It is the decrease in entropy.
  Alternatively, we represent it as

  $$I(X;Y) = \\sum_x \\sum_y p(x,y) \\log_2 \\left(\\frac{p(x,y)}{p(x)p(y)}\\right)$$

- **Wrong on purpose**: $$I(X;Y) = E(X) + E(X|Y)$$.
"""


def test_the_entropy_written_e_is_read_as_the_document_declares_it(tmp_path):
    path = tmp_path / "review.md"
    path.write_text(TAKESHI_LIKE, encoding="utf-8")
    records = scan_path(path, workers=0, known=False, sources=False)
    by_text = {r.text.strip(): r for r in records}
    right, wrong = by_text[r"I(X;Y) = E(X) - E(X|Y)"], by_text[r"I(X;Y) = E(X) + E(X|Y)"]
    assert right.verdict == "proved" and "reading E as the entropy H (declared at line 3)" in right.reason
    assert wrong.verdict == "disagrees" and "reading E as the entropy H" in wrong.reason, wrong.reason
    assert [r for r in records if r.verdict == "disagrees"] == [wrong]


def test_the_entropy_written_e_without_a_declaration_is_never_flagged(tmp_path):
    path = tmp_path / "review.md"
    path.write_text(TAKESHI_LIKE.replace("**Entropy**", "**Expectation**").replace(
        "-\\sum_{x} p(x)\\log_2 p(x) = -\\mathbb{E}[\\log_2 p(X)]", "\\sum_{x} x\\, p(x)"), encoding="utf-8")
    records = scan_path(path, workers=0, known=False, sources=False)
    assert not [r for r in records if r.verdict == "disagrees"], [r.reason for r in records if r.verdict == "disagrees"]
    by_text = {r.text.strip(): r for r in records}
    assert by_text[r"I(X;Y) = E(X) - E(X|Y)"].verdict == "unchecked"
    assert by_text[r"I(X;Y) = E(X) + E(X|Y)"].verdict == "unchecked"
    assert by_text[r"I(X;Y) = \sum_x \sum_y p(x,y) \log_2 \left(\frac{p(x,y)}{p(x)p(y)}\right)"].verdict == "proved"


LOOK_ALIKES = [
    # another convention, announced
    ("Some authors define it with the opposite sign: the mutual information is",
     r"I(X;Y) = \sum_{x,y} p(x,y) \log \frac{p(x)p(y)}{p(x,y)}"),
    ("Note that here we use another convention for the relative entropy:",
     r"D(p || q) = \sum_{x} p(x)\ln \frac{q(x)}{p(x)}"),
    # a condition, not a definition
    ("If $X$ and $Y$ are independent, then", r"I(X;Y) = \sum_{x,y} p(x,y) \log \frac{p(x)p(y)}{p(x,y)}"),
    # D with a double bar but no KL in the paragraph (a Bregman or an f-divergence may be meant)
    ("The divergence we use is", r"D(p || q) = \sum_{x} p(x)\ln \frac{q(x)}{p(x)}"),
    # logs of two bases on one side
    ("The mutual information is", r"I(X;Y) = \sum_{x,y} p(x,y) \log_2 p(x,y) - \sum_{x,y} p(x,y) \ln p(x) p(y)"),
]


@pytest.mark.parametrize("lead,tex", LOOK_ALIKES)
def test_a_look_alike_is_not_flagged(tmp_path, lead, tex):
    assert _record(tmp_path, lead, tex).verdict != "disagrees"


# --- probability calculus over several variables --------------------------------------------------------------

@pytest.mark.parametrize("left,right", [
    (r"\sum_{x,y} p(x,y) \log p(y)", r"\sum_y p(y) \log p(y)"),
    (r"\sum_x \sum_y p(x,y) \log p(x)", r"\sum_{x} p(x) \log p(x)"),
    (r"\iint p(x,y) \log p(y \mid x) \, dx \, dy", r"\sum_{x,y} p(x,y) \log p(x,y) - \sum_x p(x) \log p(x)"),
])
def test_sums_over_several_variables_are_proved(tmp_path, left, right):
    record = _record(tmp_path, "It follows that", f"{left} = {right}")
    assert record.verdict == "proved", record.reason


def test_a_sum_over_several_variables_keeps_every_one():
    r"""\sum_{x,y} p(x,y) \log p(y) is -H(Y): reduced over x it must keep its sum over y (not p(y) \log p(y))."""
    from derivspec.scan import probability

    names = DocumentNames()
    left = read_document(r"\sum_{x,y} p(x,y) \log p(y)", names).expr
    assert not probability.prove(left, read_document(r"p(y) \log p(y)", names).expr)
    assert probability.prove(left, read_document(r"\sum_y p(y) \log p(y)", names).expr)


def test_the_double_integral_reads_both_differentials():
    expr = read_document(r"\iint p(x,y) \, dx \, dy", DocumentNames()).expr
    assert [limit[0].name for limit in expr.limits] == ["x", "y"]
    with pytest.raises(Exception):
        read_document(r"\iint_{A} p(x,y) \, dx \, dy", DocumentNames())  # bounds: not read as the whole support


# --- the variance MLE in moment form (gwgundersen _orf525/20170207_lecture1.md:237) ----------------------------

# gwgundersen/gwgundersen.github.io@b9384e3b0d06 _orf525/20170207_lecture1.md:235-237 writes
# X_1,...,X_n iid N(u, \sigma^2) and \hat{\sigma^2} = \frac{1}{n} \sum X_i^2 - (\frac{1}{n} \sum X_i)^2 (the hat over
# the power). Its own paragraph there does not say maximum likelihood (the section heading two levels up does), so
# scan leaves it unchecked there; the lines below put the words in the paragraph.
MLE_LEAD = r"For $X_1,...,X_n$ iid $N(u, \sigma^2)$, the maximum likelihood estimate of the variance is"
MOMENTS = r"\hat{\sigma^2} = \frac{1}{n} \sum_{i=1}^{n} X_i^2 - (\frac{1}{n} \sum_{i=1}^{n} X_i)^2"


def test_the_hat_over_a_power_is_read_as_the_estimate():
    names = DocumentNames()
    assert read_document(r"\hat{\sigma^2}", names).expr == read_document(r"\hat\sigma^2", names).expr
    assert read_document(r"\widehat{\sigma^2_n}", names).expr == read_document(r"\hat\sigma_n^2", names).expr
    with pytest.raises(Exception):
        read_document(r"\bar{x^2}", names)  # the mean of the squares, not the square of the mean: not rewritten


def test_the_moment_form_is_proved_for_every_n(tmp_path):
    record = _known(tmp_path, MLE_LEAD, MOMENTS)
    assert (record.verdict, record.claim) == ("proved", "estimation.gaussian.variance"), record.reason
    assert "for every n" in record.reason and "n items X_i" in record.reason


# 1/(n-1) in the first term, in the second, and the sign of the square flipped
WRONG_MOMENTS = [MOMENTS.replace(r"\frac{1}{n} \sum_{i=1}^{n} X_i^2", r"\frac{1}{n-1} \sum_{i=1}^{n} X_i^2"),
                 MOMENTS.replace(r"(\frac{1}{n}", r"(\frac{1}{n-1}"), MOMENTS.replace("- (", "+ (")]


@pytest.mark.parametrize("wrong", WRONG_MOMENTS)
def test_a_wrong_normaliser_is_flagged_with_a_counterexample(tmp_path, wrong):
    record = _known(tmp_path, MLE_LEAD, wrong)
    assert (record.verdict, record.claim) == ("disagrees", "estimation.gaussian.variance"), record.reason
    assert record.correct == r"\frac{1}{n}\sum_{i=1}^{n} (X_i - \bar X)^2"
    m = re.search(r"at n = (\d+), (.*): as written (-?[0-9.]+), derived (-?[0-9.]+)", record.evidence)
    n = int(m.group(1))
    xs = [float(Fraction(v)) for v in re.findall(r"X_\d+=(-?\d+/\d+|-?\d+)", m.group(2))]
    assert len(xs) == n
    mean = sum(xs) / n
    derived = sum((x - mean) ** 2 for x in xs) / n
    one, two = (n - 1 if "{n-1} \\sum_{i=1}^{n} X_i^2" in wrong else n), (n - 1 if "{n-1} \\sum_{i=1}^{n} X_i)" in wrong
                                                                        else n)
    sign = 1 if "+ (" in wrong else -1
    written = sum(x * x for x in xs) / one + sign * (sum(xs) / two) ** 2
    assert float(m.group(3)) == pytest.approx(written, rel=1e-9)
    assert float(m.group(4)) == pytest.approx(derived, rel=1e-9)
    assert abs(written - derived) > 1e-6


def test_without_the_words_the_moment_form_is_left_unchecked(tmp_path):
    """gwgundersen's own paragraph: an example after 'X_1, ..., X_n iid N(u, σ²)' and a question about σ; no
    'maximum likelihood' in it: the estimator is not compared (it could be another one)."""
    record = _known(tmp_path, r"- _Example_: $X_1,...,X_n \stackrel{iid}{\sim} N(u, \sigma^2)$", MOMENTS)
    assert record.verdict == "unchecked" and record.claim != "estimation.gaussian.variance", record.reason


def test_entropies_in_the_documents_declared_unit_are_compared_in_that_unit(tmp_path):
    r"""A document whose \log is \log_2 (d2l information-theory.md writes so) and an MI written with entropies only,
    no log of its own (d2l information-theory.md:311): the entropies written out are in bits, and so is the
    standard form -- proved, not flagged; the same line with a sign flipped still disagrees."""
    preamble = "We use base-2 logarithms throughout.\n\nThe mutual information is\n\n"
    right = r"I(X, Y) = H(X, Y) - H(Y \mid X) - H(X \mid Y)"
    wrong = r"I(X, Y) = H(X, Y) + H(Y \mid X) - H(X \mid Y)"
    for statement, verdict in ((right, "proved"), (wrong, "disagrees")):
        records = scan_text(tmp_path, preamble + f"$${statement}$$")
        (record,) = [r for r in records if "I(X, Y)" in r.text]
        assert record.verdict == verdict, record.reason
