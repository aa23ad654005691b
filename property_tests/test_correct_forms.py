"""The correct form a scan gives with a flag reads as the lecture writes: it re-reads (through the
scan's reader) to the claim's target, in the lecture's symbol names, with no ``1 \\cdot`` and no
``\\left( \\right)``; the terms follow the lecture's order where its text shows one. Wrong formulas
planted in short documents written for this test; the verdicts are the scan's own."""

from __future__ import annotations

import random
import re

import pytest
import sympy

from derivspec.core import registry
from derivspec.core.lecture_form import lecture_latex, tidy_latex, top_level_terms
from derivspec.scan.reader import DocumentNames, read_document
from scanning import scan_text

# (claim, the wrong formula as a lecture might write it, {claim variable: the lecture's name})
PLANTED = [
    ("kl.gaussian.univariate",
     r"\mathrm{KL}(\mathcal N(\mu_1,\sigma_1^2)\,\|\,\mathcal N(\mu_2,\sigma_2^2)) = \log\frac{\sigma_2}{\sigma_1}"
     r" + \frac{\sigma_1^2 + (\mu_1-\mu_2)^2}{\sigma_2^2} - \frac12",
     {"mu1": r"\mu_1", "mu2": r"\mu_2", "sigma1": r"\sigma_1", "sigma2": r"\sigma_2"}),
    ("nll.gaussian", r"-\log \mathcal N(y;\mu,\sigma^2) = \frac{(y-\mu)^2}{\sigma^2} + \frac12\log(2\pi\sigma^2)",
     {"y": "y", "mu": r"\mu", "sigma": r"\sigma"}),
    ("kl.gaussian.standard",
     r"\mathrm{KL}(\mathcal N(\mu,\sigma^2)\,\|\,\mathcal N(0,1)) = \frac12(\sigma^2 + \mu^2 - 1 - 2\log\sigma^2)",
     {"mu": r"\mu", "sigma": r"\sigma"}),
    ("kl.bernoulli",
     r"\mathrm{KL}(\mathrm{Bern}(p)\,\|\,\mathrm{Bern}(q)) = p\log\frac{p}{q} + (1-p)\log\frac{1-q}{1-p}",
     {"p": "p", "q": "q"}),
    ("kl.gaussian.univariate",
     r"\mathrm{KL}(\mathcal N(m_a,s_a^2)\,\|\,\mathcal N(m_b,s_b^2)) = \log\frac{s_b}{s_a}"
     r" + \frac{s_a^2 + (m_a-m_b)^2}{2s_b^2} + \frac12",
     {"mu1": "m_a", "mu2": "m_b", "sigma1": "s_a", "sigma2": "s_b"}),
]


def _flag(tmp_path, formula: str):
    records = scan_text(tmp_path, f"# Notes\n\nA formula:\n$$ {formula} $$\n")
    flagged = [r for r in records if r.verdict == "disagrees"]
    assert len(flagged) == 1, [(r.verdict, r.reason) for r in records]
    return flagged[0]


@pytest.mark.parametrize("claim_id, formula, names", PLANTED, ids=[f"{c}-{i}" for i, (c, _, _) in enumerate(PLANTED)])
def test_a_flag_s_correct_form_is_the_target_in_the_lecture_s_names(tmp_path, claim_id, formula, names):
    record = _flag(tmp_path, formula)
    assert record.claim == claim_id and record.correct
    correct = record.correct
    assert "1 \\cdot" not in correct and "1·" not in correct and "\\left" not in correct and "\\right" not in correct
    document = DocumentNames()
    read = read_document(correct, document).value()  # (a) the scan's reader reads it back
    claim = registry.get(claim_id)
    lecture = {name: read_document(tex, document).expr for name, tex in names.items()}
    assert read.free_symbols <= set(lecture.values()), (correct, read.free_symbols)  # (c) the lecture's names
    target = claim.expand_defined(claim.target)
    rng = random.Random(0)
    for _ in range(5):  # (a) equal to the claim's target at points of the claim's domain
        point = {}
        for v in claim.variables:
            if v.name in names:
                point[v.name] = sympy.Rational(rng.randint(10, 90), 100)  # in (0, 1): every domain here allows it
        expected = target.subs({claim.symbols[n]: x for n, x in point.items()})
        got = read.subs({lecture[n]: x for n, x in point.items()})
        assert abs(sympy.N(expected - got, 30)) < 1e-20, (correct, point)


def test_the_terms_keep_the_lecture_s_order_and_shape(tmp_path):
    correct = {c: _flag(tmp_path, f).correct for c, f, _ in PLANTED[:4]}
    kl = correct["kl.gaussian.univariate"]
    assert kl.index(r"\log") < kl.index(r"\frac{\sigma_1") < kl.index(r"- \frac{1}{2}")  # the lecture's 3 terms
    assert r"(\mu_1 - \mu_2)" in kl and r"\log\frac{\sigma_2}{\sigma_1}" in kl  # the lecture's spelling
    assert r"(y - \mu)" in correct["nll.gaussian"]  # not SymPy's (-\mu + y)
    assert correct["kl.gaussian.standard"].startswith(r"\frac{1}{2} (")  # the lecture's \frac12(...)
    assert r"(1 - p)" in correct["kl.bernoulli"] and r"\log\frac{p}{q}" in correct["kl.bernoulli"]


def test_lecture_latex_orders_a_sum_as_its_written_terms():
    a, b, c = sympy.symbols("a b c", positive=True)
    text = r"c^2 + \log b - a"
    written = [c ** 2, sympy.log(b), -a]
    assert top_level_terms(text) == ["c^2", r"+ \log b", "- a"]
    printed = lecture_latex(-2 * a + c ** 2 + sympy.log(b), written=written, text=text)
    assert printed.index("c^{2}") < printed.index(r"\log") < printed.index("2 a")
    assert tidy_latex(r"1 \cdot (\frac{x}{2}) + \log{\left(\frac{a}{b} \right)}") == r"(\frac{x}{2}) + \log\frac{a}{b}"


def test_errata_correct_forms_have_no_unit_factor():
    from derivspec.core.catalogue import open_cache, source_results

    claim = registry.get("nll.gaussian")
    texts = [r.correct for r in source_results(claim, open_cache()) if r.correct]
    assert texts and not [t for t in texts if re.search(r"(?<![\d.])1 \\cdot", t) or "\\left(" in t]
