"""Definitions of standard quantities compared with the standard definition (derivspec/scan/conventions.py,
issue 25 point 3).

For each quantity: a correct definition in two notations is not flagged, a wrong one is flagged naming the
convention with the standard form in the lecture's symbols, the same wrong one after a sentence announcing another
convention is not flagged, and look-alikes that share the letter are left alone. Every document is written for
the test.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings, strategies as st

from derivspec.scan.conventions import announced_convention
from derivspec.scan.runner import scan_path


def _record(tmp_path, lead: str, tex: str, name: str = "doc.md"):
    path = tmp_path / name
    path.write_text(f"# Notes\n\n{lead}\n\n$$\n{tex}\n$$\n\nMore text.\n", encoding="utf-8")
    (record,) = [r for r in scan_path(path, workers=0, known=False, sources=False) if r.lines[0] == 6]
    return record


CORRECT = [
    ("The cross-entropy of $p$ and $q$ is", r"H(p, q) = -\sum_x p(x) \log q(x)"),
    ("The cross-entropy of $p$ and $q$ is", r"\mathrm{CE}(p, q) = -\mathbb E_{x \sim p}[\log q(x)]"),
    ("The cross-entropy is defined as", r"H(p, q) = H(p) + \mathrm{KL}(p \| q)"),
    ("The Jensen-Shannon divergence is", r"\mathrm{JSD}(P \| Q) = \frac12 \mathrm{KL}(P \| \frac{P+Q}{2}) "
                                         r"+ \frac12 \mathrm{KL}(Q \| \frac{P+Q}{2})"),
    ("With the mixture $M = (P + Q)/2$, the Jensen-Shannon divergence is",
     r"D_{JS}(P \| Q) = \frac12 \mathrm{KL}(P \| M) + \frac12 \mathrm{KL}(Q \| M)"),
    ("The evidence lower bound (ELBO) is",
     r"\mathcal L(\theta, \phi) = \mathbb E_{q_\phi(z|x)}[\log p_\theta(x, z) - \log q_\phi(z|x)]"),
    ("The ELBO is", r"\mathrm{ELBO} = \mathbb E_{q(z|x)}[\log p(x|z)] - \mathrm{KL}(q(z|x) \| p(z))"),
    ("The mutual information is", r"I(X; Y) = H(X) - H(X \mid Y)"),
    ("The mutual information between $X$ and $Y$ is", r"I(X, Y) = H(X) + H(Y) - H(X, Y)"),
    ("The score of the density is", r"s(x) = \nabla_x \log p(x)"),
    ("The joint entropy of $X$ and $Y$ is", r"H(X, Y) = -\sum_{x,y} p(x, y) \log p(x, y)"),
    ("The conditional entropy of $U$ given $V$, in bits, is",
     r"H(U \mid V) = \sum_{u}\sum_{v} q(u, v) \log_2 \frac{q(v)}{q(u, v)}"),
    ("The score function is", r"s_\theta(x) = \frac{\nabla_x p_\theta(x)}{p_\theta(x)}"),
    # the one-step kernel q(x_t | x_{t-1}): derivspec.scan.ddpm_kernel, property_tests/test_scan_ddpm_kernels.py
    ("In closed form the diffusion marginal is", r"q(x_t | x_0) = \mathcal N(x_t; \sqrt{\bar\alpha_t} x_0, "
                                                 r"(1 - \bar\alpha_t) \mathbf I)"),
]


@pytest.mark.parametrize("lead,tex", CORRECT)
def test_a_correct_definition_is_not_flagged(tmp_path, lead, tex):
    record = _record(tmp_path, lead, tex)
    assert record.verdict != "disagrees", record.reason
    assert "standard definition" in record.reason, record.reason


WRONG = [
    ("The cross-entropy of $p$ and $q$ is", r"H(p, q) = -\sum_x q(x) \log p(x)", r"-\mathbb E_{x \sim p}[\log q(x)]",
     "first argument"),
    ("The Jensen-Shannon divergence is", r"\mathrm{JSD}(P \| Q) = \mathrm{KL}(P \| \frac{P+Q}{2}) "
                                         r"+ \mathrm{KL}(Q \| \frac{P+Q}{2})",
     r"\frac12 \mathrm{KL}(P", "M = (P + Q)/2"),
    ("The evidence lower bound is", r"\mathrm{ELBO} = \mathbb E_{q}[\log p(x|z)] + \mathrm{KL}(q(z|x) \| p(z))",
     r"\mathbb E_{q(z|x)}[\log p(x, z) - \log q(z|x)]", "ELBO ="),
    ("The mutual information is", r"I(X; Y) = H(X) + H(Y \mid X)", r"\mathrm{KL}(p(x,y) \| p(x)p(y))",
     "H(X) − H(X | Y)"),
    ("The score of the density is", r"s(x) = \nabla_x p(x)", r"\nabla_{x} \log p(x)", "∇_x log p(x)"),
    ("The conditional entropy of $U$ given $V$ is", r"H(U \mid V) = -\sum_{u,v} q(u, v) \log \frac{q(u, v)}{q(u)}",
     r"\log q(u | v)", "joint law of U and V"),
    ("The joint entropy of $A$ and $B$ is", r"H(A, B) = -\sum_{a,b} r(a, b) \log r(a)", r"\log r(a, b)",
     "joint law of A and B"),
    ("In closed form the diffusion marginal is", r"q(x_t | x_0) = \mathcal N(x_t; \bar\alpha_t x_0, "
                                                 r"(1 - \bar\alpha_t) \mathbf I)", r"\sqrt{\bar\alpha_t} x_0", "DDPM"),
]


@pytest.mark.parametrize("lead,tex,standard,convention", WRONG)
def test_a_wrong_definition_is_flagged_with_the_standard_form(tmp_path, lead, tex, standard, convention):
    record = _record(tmp_path, lead, tex)
    assert record.verdict == "disagrees", record.reason
    assert "differently from the standard definition" in record.reason
    assert standard in record.reason and convention in record.reason
    assert record.evidence  # the counterexample
    assert record.category != "definition"  # a restated standard quantity is a claim: never a definition (issue 56)


@pytest.mark.parametrize("lead,tex,standard,convention", WRONG)
def test_the_same_definition_in_an_announced_convention_is_not_flagged(tmp_path, lead, tex, standard, convention):
    record = _record(tmp_path, "Note that here we use another convention. " + lead, tex)
    assert record.verdict == "unchecked"
    assert "another convention, which the text announces" in record.reason


LOOK_ALIKES = [
    ("The joint entropy of the two variables is", r"H(X, Y) = H(X) + H(Y)"),  # random variables, not distributions
    ("Let the indicator be", r"I(x) = 1"),
    ("The information content of an outcome is", r"I(x) = -\log p(x)"),
    ("For the fitted function, the residual is", r"s(x) = \nabla_x p(x)"),  # no score in the paragraph
    ("The training loss is", r"\mathcal L(\theta) = \mathbb E_{q}[\log p(x|z)] + \mathrm{KL}(q(z|x) \| p(z))"),
    ("The Fisher score is", r"s(x) = \nabla_\theta \log p_\theta(x)"),
    ("If $X$ is an invertible function of $Y$, they share all information and", r"I(X; Y) = H(Y)"),
    ("In DDIM notation the marginal is",
     r"q(x_t | x_0) = \mathcal N(x_t; \sqrt{\alpha_t} x_0, (1 - \alpha_t) \mathbf I)"),
]


@pytest.mark.parametrize("lead,tex", LOOK_ALIKES)
def test_a_look_alike_is_not_flagged(tmp_path, lead, tex):
    assert _record(tmp_path, lead, tex).verdict != "disagrees"


def test_the_announcing_words():
    assert announced_convention("Some authors drop the factor.", "")
    assert announced_convention("We define it without the 1/2:", "")
    assert announced_convention("", "where the bound holds up to a constant.")
    assert not announced_convention("The Jensen-Shannon divergence is", "")
    assert not announced_convention("Some authors drop it.\n\nThe divergence is", "")  # another paragraph


_LETTERS = st.sampled_from([("p", "q"), ("q", "p"), ("P", "Q"), ("p_\\theta", "q_\\phi")])


@settings(max_examples=12, deadline=None)
@given(_LETTERS, st.sampled_from(["x", "y", "u"]), st.booleans())
def test_renamed_and_reordered_correct_cross_entropy_is_never_flagged(tmp_path_factory, letters, variable, swap):
    a, b = letters
    terms = [rf"\mathrm{{KL}}({a} \| {b})", rf"-\sum_{variable} {a}({variable}) \log {a}({variable})"]
    right = " + ".join(reversed(terms) if swap else terms)
    record = _record(tmp_path_factory.mktemp("ce"), "The cross-entropy is", rf"H({a}, {b}) = {right}")
    assert record.verdict != "disagrees", record.reason


TWINS = [
    ("The negative ELBO is the loss we minimise:",
     r"\mathcal L(\theta) = -\mathbb E_{q(z|x)}[\log p(x|z)] + \mathrm{KL}(q(z|x) \| p(z))"),
    ("In this diffusion model the forward kernel is", r"q(\mathbf x_t | \mathbf x_{t-1}) = \mathcal N(\mathbf x_t; "
                                                      r"\sqrt{1 - \beta_t^2} \mathbf x_{t-1}, \beta_t^2 \mathbf I)"),
    ("A diffusion with exploding variance has", r"q(x_t | x_{t-1}) = \mathcal N(x_t; x_{t-1}, \sigma_t^2 \mathbf I)"),
]


@pytest.mark.parametrize("lead,tex", TWINS)
def test_another_parameterisation_is_not_flagged(tmp_path, lead, tex):
    assert _record(tmp_path, lead, tex).verdict != "disagrees"


def test_bold_variables_in_the_marginal_are_compared(tmp_path):
    tex = (r"q(\mathbf x_t | \mathbf x_0) = \mathcal N(\mathbf x_t; \sqrt{\bar\alpha_t} \mathbf x_0, "
           r"(1 - \bar\alpha_t) \mathbf I)")
    record = _record(tmp_path, "The diffusion forward marginal is", tex)
    assert record.verdict == "proved" and "DDPM" in record.reason
