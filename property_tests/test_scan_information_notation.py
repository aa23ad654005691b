r"""Information quantities in more notations (derivspec/scan/conventions.py, derivspec/scan/reader.py; issue 25
point 3, helper h70): ``\mathbb{KL}(p \| q)`` read as the KL; a KL, entropy or cross-entropy of free distributions
that differs from its definition flagged even where the text does not call it a definition, unless the text states
a condition, a special case or a family for an argument; ``H(X)`` of a random variable judged against
``-E[log p(X)]`` with p the one density the right side applies to x; ``\mathbb{H}[q]``, ``\mathcal{H}(Z)``.
Every document is written for the test (the notation of benchmarks/scan_known_quantities/information.md, ours).
"""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings, strategies as st

from derivspec.core.errors import FormulaError
from derivspec.scan.reader import DocumentNames, read_document
from derivspec.scan.runner import scan_path


def _record(tmp_path, lead: str, tex: str, after: str = "More text."):
    path = tmp_path / "doc.md"
    gap = "\n" if after[:1].islower() else "\n\n"  # a clause that goes on the sentence: the same paragraph
    path.write_text(f"# Notes\n\n{lead}\n\n$$\n{tex}\n$${gap}{after}\n", encoding="utf-8")
    (record,) = [r for r in scan_path(path, workers=0, known=False, sources=False) if r.lines[0] == 6]
    return record


def _instance(evidence: str):
    """The two distributions of a flag's first instance (p(x=0), p(x=1); q(x=0), q(x=1)) as floats."""
    import re
    found = dict(re.findall(r"([pq])\(x=0\)=([0-9/]+)", evidence))
    assert set(found) >= {"p"}, evidence
    value = {k: eval(v) for k, v in found.items()}  # a fraction a/b
    return value


def _sides(evidence: str) -> tuple:
    import re
    m = re.search(r"left = (-?[0-9.]+), right = (-?[0-9.]+)", evidence)
    return float(m.group(1)), float(m.group(2))


def test_mathbb_kl_reads_as_the_kl_operator():
    names = DocumentNames()
    for tex in (r"\mathbb{KL}(p \| q)", r"\mathsf{KL}(p \| q)"):
        expr = read_document(tex, names).expr
        assert "KL" in str(expr.func) and len(expr.args) == 2
    with pytest.raises(FormulaError):
        read_document(r"\mathbb{KL}(p \| q", names)


@pytest.mark.parametrize("lead", ["Written as a sum,", "The KL divergence is"])
def test_kl_written_as_a_sum_is_proved(tmp_path, lead):
    record = _record(tmp_path, lead, r"\mathbb{KL}(p \| q) = \sum_x p(x) \log \frac{p(x)}{q(x)}")
    assert record.verdict == "proved", record.reason


@pytest.mark.parametrize("head", [r"\mathbb{KL}(p \| q)", r"D_{\mathrm{KL}}(p \| q)", r"\mathrm{KL}(p \| q)"])
def test_inverted_ratio_of_free_distributions_is_flagged(tmp_path, head):
    record = _record(tmp_path, "Written as a sum,", head + r" = \sum_x p(x) \log \frac{q(x)}{p(x)}")
    assert record.verdict == "disagrees", record.reason
    assert "leaves free" in record.reason and r"\frac{p(x)}{q(x)}" in record.reason
    # the counterexample recomputed: KL(p || q) > 0 and the lecture's side is its negative on the instance
    p0 = _instance(record.evidence)["p"]
    q0 = _instance(record.evidence)["q"]
    kl = p0 * math.log(p0 / q0) + (1 - p0) * math.log((1 - p0) / (1 - q0))
    left, right = _sides(record.evidence)
    assert math.isclose(left, kl, abs_tol=1e-7) and math.isclose(right, -kl, abs_tol=1e-7)


@pytest.mark.parametrize("lead, after", [
    ("When $p = q$ we have", "More text."),
    ("If $p$ and $q$ are equal, then", "More text."),
    ("In the special case at hand,", "More text."),
    ("Written as a sum,", "when $p = q$ everywhere."),
])
def test_inverted_ratio_under_a_condition_is_not_flagged(tmp_path, lead, after):
    record = _record(tmp_path, lead, r"\mathrm{KL}(p \| q) = \sum_x p(x) \log \frac{q(x)}{p(x)}", after)
    assert record.verdict == "unchecked", record.reason
    assert "not flagged" in record.reason


def test_inverted_ratio_with_a_family_for_an_argument_is_not_flagged(tmp_path):
    path = tmp_path / "doc.md"
    path.write_text("# Notes\n\nLet $p = \\mathcal{N}(0, 1)$ throughout.\n\nWritten as an integral,\n\n"
                    "$$\n\\mathrm{KL}(p \\| q) = \\int p(x) \\log \\frac{q(x)}{p(x)} \\, dx\n$$\n", encoding="utf-8")
    records = [r for r in scan_path(path, workers=0, known=False, sources=False) if "KL" in r.text]
    assert records and all(r.verdict != "disagrees" for r in records), [r.reason for r in records]


ENTROPY_RIGHT = [
    ("For a discrete random variable $X$ with distribution $p$, the entropy is",
     r"H(X) = -\sum_{x} p(x) \log p(x)", "p", "X"),
    ("The entropy of $Z$ with density $q$ is", r"\mathcal{H}(Z) = -\int q(z) \log q(z) \, dz", "q", "Z"),
    ("The entropy of $Y$ is", r"H(Y) = \sum_y p_Y(y) \log \frac{1}{p_Y(y)}", "p_Y", "Y"),
    ("The entropy of $q$ is", r"\mathbb{H}[q] = -\mathbb{E}_{q}[\log q(z)]", "q", "q"),
    ("The entropy of $p$ is", r"H(p) = -\sum_x p(x) \log p(x)", "p", "p"),
]


@pytest.mark.parametrize("lead, tex, law, variable", ENTROPY_RIGHT)
def test_entropy_notations_are_proved(tmp_path, lead, tex, law, variable):
    record = _record(tmp_path, lead, tex)
    assert record.verdict == "proved", record.reason
    if variable.isupper():
        assert f"reading {law} as the law of {variable}" in record.reason


@settings(max_examples=8, deadline=None)
@given(st.sampled_from([(r"H(X) = \sum_{x} p(x) \log p(x)", "sign"),
                        (r"H(X) = -\sum_{x} p(x) p(x)", "log"),
                        (r"H(X) = -\frac{1}{2}\sum_{x} p(x) \log p(x)", "normaliser")]))
def test_wrong_entropy_is_flagged_with_a_counterexample(tmp_path_factory, case):
    tex, kind = case
    record = _record(tmp_path_factory.mktemp("e"), "The entropy of the random variable $X$ is", tex)
    assert record.verdict == "disagrees", record.reason
    assert record.correct and "-" in record.correct and r"\log p(x)" in record.correct
    p0 = _instance(record.evidence)["p"]
    ps = (p0, 1 - p0)
    entropy = -sum(v * math.log(v) for v in ps)
    lecture = {"sign": -entropy, "log": -sum(v * v for v in ps), "normaliser": entropy / 2}[kind]
    left, right = _sides(record.evidence)
    assert math.isclose(left, entropy, abs_tol=1e-7) and math.isclose(right, lecture, abs_tol=1e-7)


@pytest.mark.parametrize("lead, tex", [
    ("When $X$ is uniform the entropy is", r"H(X) = -\sum_{x} p(x)^2 \log p(x)"),  # a stated condition
    ("The entropy of $X$ is", r"H(X) = -\sum_{x} p(x) \log q(x)"),  # two densities of x: the law is not fixed
    ("The Hessian of the loss at $X$ is", r"H(X) = \sum_{x} p(x) p(x)"),  # no log, no entropy: another H
])
def test_entropy_look_alikes_are_not_flagged(tmp_path, lead, tex):
    record = _record(tmp_path, lead, tex)
    assert record.verdict != "disagrees", record.reason
