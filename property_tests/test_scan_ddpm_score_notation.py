r"""DDPM quantities and Gaussian scores in any notation (issue 25, helper h71).

* A recognised DDPM result that disagrees stays a flag when the definitions the document gives of its names
  (``\bar\alpha_t = \prod_{s=1}^t \alpha_s``, ``\alpha_t = 1 - \beta_t``) are the claim's own meaning of them
  (derivspec/scan/claim_readings.py); a definition that changes the meaning keeps it unchecked.

Every document is written for the test (the layout of benchmarks/scan_known_quantities/ddpm.md, our own
text). Counterexamples are recomputed here, not copied.
"""

from __future__ import annotations

import re
from fractions import Fraction

import pytest
from hypothesis import given, settings, strategies as st

from derivspec.scan import claim_readings
from derivspec.scan.reader import DocumentNames
from derivspec.scan.runner import scan_path
from derivspec.scan.steps import Context


def _scan(tmp_path, text: str, name: str = "doc.md"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return list(scan_path(path, workers=0, sources=False))


def _at(records, line: int):
    found = [r for r in records if r.lines[0] == line]
    assert len(found) == 1, found
    return found[0]


def _evidence(record) -> dict:
    """The counterexample's values, ``name=p/q`` pairs of the record's evidence."""
    pattern = r"((?:\\[A-Za-z]+)+(?:_\{[^}]*\}|_[a-z])?)=(-?\d+(?:/\d+)?)"
    return {m.group(1): Fraction(m.group(2)) for m in re.finditer(pattern, record.evidence)}


# --- definitions that are the claim's meaning ------------------------------------------------------

def _posterior_document(definition: str, numerator: str, letter: str = r"\bar{\alpha}", lead: str = "Let") -> str:
    return ("# Diffusion\n\nThe forward process adds noise with a variance schedule $\\beta_t$.\n\n"
            f"{lead} $\\alpha_t = 1 - \\beta_t$ and\n\n"
            f"$${definition}$$\n\n"
            "The forward posterior has variance\n\n"
            f"$$\\tilde{{\\beta}}_t = \\frac{{1 - {letter}_{{{numerator}}}}}{{1 - {letter}_t}}\\beta_t$$\n")


STANDARD = [r"\bar{\alpha}_t = \prod_{s=1}^{t} \alpha_s", r"\bar{\alpha}_t = \prod_{i=1}^{t}\alpha_i",
            r"\bar{\alpha}_t := \prod_{s=1}^{t} (1 - \beta_s)"]  # the last one needs "Let alpha_t = 1 - beta_t"


@pytest.mark.parametrize("definition", STANDARD)
def test_right_posterior_variance_is_proved_with_the_standard_definition(tmp_path, definition):
    record = _at(_scan(tmp_path, _posterior_document(definition, "t-1")), 11)
    assert record.verdict == "proved", record.reason
    assert record.claim == "ddpm.posterior.variance"


@pytest.mark.parametrize("definition", STANDARD)
@pytest.mark.parametrize("lead", ["Let", "Write"])
def test_t_for_t_minus_1_is_flagged_when_the_document_defines_the_standard_product(tmp_path, definition, lead):
    if lead == "Write" and "beta" in definition:  # alpha_t = 1 - beta_t not read as a definition: the product
        pytest.skip("of the betas is then not known to be the claim's meaning (tested below)")
    record = _at(_scan(tmp_path, _posterior_document(definition, "t", lead=lead)), 11)
    assert record.verdict == "disagrees", record.reason
    assert record.claim == "ddpm.posterior.variance"
    assert "the claim's own meaning" in record.reason
    values = _evidence(record)
    alpha, bar_prev = values[r"\alpha_t"], values[r"\bar\alpha_{t-1}"]
    bar = alpha * bar_prev  # the claim's meaning: bar alpha_t = alpha_t bar alpha_{t-1}, beta_t = 1 - alpha_t
    written, derived = (1 - bar) / (1 - bar) * (1 - alpha), (1 - bar_prev) / (1 - bar) * (1 - alpha)
    assert written != derived
    assert f"{float(written):.6f}"[:7] in record.evidence and f"{float(derived):.6f}"[:7] in record.evidence


def test_a_product_of_betas_without_alpha_defined_stays_unchecked(tmp_path):
    """Without alpha_t = 1 - beta_t among the definitions read, the checker cannot tie the product of the
    betas to the claim's alpha_t: not a flag (conservative)."""
    record = _at(_scan(tmp_path, _posterior_document(STANDARD[2], "t", lead="Write")), 11)
    assert record.verdict == "unchecked", record.reason


OTHER_MEANINGS = [
    r"\bar{\alpha}_t = \prod_{s=1}^{t} (1 - \alpha_s)",  # a product of the betas
    r"\bar{\alpha}_t = \prod_{s=1}^{t-1} \alpha_s",  # shifted by one
    r"\bar{\alpha}_t = \sum_{s=1}^{t} \alpha_s",  # not a product
    r"\bar{\alpha}_t = \alpha_t^2",
]


@pytest.mark.parametrize("definition", OTHER_MEANINGS)
def test_a_definition_that_changes_the_meaning_keeps_the_statement_unchecked(tmp_path, definition):
    record = _at(_scan(tmp_path, _posterior_document(definition, "t")), 11)
    assert record.verdict == "unchecked", record.reason
    assert "not decided with the document's" in record.reason


@settings(max_examples=10, deadline=None)
@given(st.sampled_from(["s", "i", "k"]), st.integers(0, 2))
def test_agreement_is_decided_by_structure(dummy, shift):
    context = Context(DocumentNames())
    upper = "t" if shift == 0 else f"t-{shift}"
    definition = (9, r"\bar{\alpha}_t", rf"\prod_{{{dummy}=1}}^{{{upper}}} \alpha_{dummy}")
    assert claim_readings.agree("ddpm.posterior.variance", [definition], context) == (shift == 0)


def test_a_name_the_claim_does_not_have_is_no_agreement():
    context = Context(DocumentNames())
    assert not claim_readings.agree("ddpm.posterior.variance", [(3, r"\gamma_t", r"\prod_{s=1}^{t}\alpha_s")], context)
    ddim = (3, r"\alpha_t", r"\prod_{s=1}^{t}(1-\beta_s)")  # DDIM's alpha_t is DDPM's bar alpha_t
    assert not claim_readings.agree("ddpm.posterior.variance", [ddim], context)
    assert claim_readings.agree("ddpm.posterior.variance", [(3, r"\alpha_t", r"1 - \beta_t")], context)


# --- the score of the Gaussian the lead-in names ----------------------------------------------------------

LETTERS = [(r"\mathbf{x}", r"\boldsymbol{\mu}", r"\sigma", r"\mathbf{I}"), ("z", "m", "s", "I"),
           ("y", "b", r"\tau", "")]


def _score_document(lead: str, statement: str) -> str:
    return f"# Scores\n\n{lead}\n\n$${statement}$$\n"


@pytest.mark.parametrize("x, mu, sigma, eye", LETTERS)
def test_score_of_the_named_gaussian_is_proved(tmp_path, x, mu, sigma, eye):
    lead = f"The score of a Gaussian $\\mathcal{{N}}({x}; {mu}, {sigma}^2 {eye})$ is"
    statement = rf"\nabla_{{{x}}} \log p({x}) = -\frac{{{x} - {mu}}}{{{sigma}^2}}"
    record = _at(_scan(tmp_path, _score_document(lead, statement)), 5)
    assert record.verdict == "proved", record.reason
    assert "normal.score_x" in record.reason  # the normal family's score row, the law the lead-in writes for x


WRONG_SCORES = [  # (the other side, as a function of x, mu, sigma)
    (r"-\frac{{{x} - {mu}}}{{{sigma}}}", lambda x, m, s: -(x - m) / s),
    (r"\frac{{{x} - {mu}}}{{{sigma}^2}}", lambda x, m, s: (x - m) / s**2),
    (r"\frac{{{mu} - {x}}}{{{sigma}}}", lambda x, m, s: (m - x) / s),
]


@pytest.mark.parametrize("wrong, value", WRONG_SCORES)
@pytest.mark.parametrize("x, mu, sigma, eye", LETTERS[:2])
def test_wrong_scores_are_flagged_with_the_counterexample(tmp_path, wrong, value, x, mu, sigma, eye):
    lead = f"The score of a Gaussian $\\mathcal{{N}}({x}; {mu}, {sigma}^2 {eye})$ is"
    other = wrong.format(x=x, mu=mu, sigma=sigma)
    record = _at(_scan(tmp_path, _score_document(lead, rf"\nabla_{{{x}}} \log p({x}) = {other}")), 5)
    assert record.verdict == "disagrees", record.reason
    correct = record.correct.split("=")[-1].replace(" ", "")  # the score in the document's letters
    assert correct in (rf"-\frac{{{x}-{mu}}}{{{sigma}^{{2}}}}".replace(" ", ""),
                       rf"\frac{{{mu}-{x}}}{{{sigma}^{{2}}}}".replace(" ", "")), record.correct
    point = {m.group(1): Fraction(m.group(2)) for m in re.finditer(r"(\S+?)=(-?\d+(?:/\d+)?)", record.evidence)}
    xv, mv, sv = point[x], point[mu], point[sigma]
    written, derived = value(xv, mv, sv), -(xv - mv) / sv**2
    assert written != derived
    shown = re.search(r"left = (\S+), right = (\S+)$", record.evidence)  # left: the score, right: as written
    assert float(shown.group(2)) == pytest.approx(float(written), rel=1e-8)  # ten digits shown
    assert float(shown.group(1)) == pytest.approx(float(derived), rel=1e-8)


UNBOUND = [
    ("A density $p(x)$ has score", r"\nabla_{x} \log p(x) = -\frac{x - \mu}{\sigma}"),  # no law named
    ("For $\\mathcal{N}(x; \\mu, \\sigma^2)$ and $\\mathcal{N}(x; \\nu, \\tau^2)$ the score is",
     r"\nabla_{x} \log p(x) = -\frac{x - \mu}{\sigma}"),  # two laws: which one is p?
    ("The score of $\\mathcal{N}(y; \\mu, \\sigma^2)$ is", r"\nabla_{x} \log p(x) = -\frac{x - \mu}{\sigma}"),
    ("The score of $\\mathcal{N}(x; \\mu, \\Sigma)$ is", r"\nabla_{x} \log p(x) = -\frac{x - \mu}{\Sigma}"),
]


@pytest.mark.parametrize("lead, statement", UNBOUND)
def test_a_density_no_single_gaussian_binds_is_not_flagged(tmp_path, lead, statement):
    record = _at(_scan(tmp_path, _score_document(lead, statement)), 5)
    assert record.verdict != "disagrees", record.reason
