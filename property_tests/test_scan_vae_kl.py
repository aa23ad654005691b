r"""The VAE's KL term as a sum over latent dimensions (derivspec/scan/vae_kl.py; claim kl.vae-regulariser).

The documents are written for these tests; VITutorial's notation (M3a:767, a KL to the standard normal prior,
q(z|x) a diagonal Gaussian) is reused where cited.
"""

from __future__ import annotations

import math
import re

import numpy as np
import pytest
import sympy
from hypothesis import given, settings, strategies as st

from derivspec.core import registry
from derivspec.scan.verdicts import evidence_level
from scanning import scan_text

ENCODER = (r"The encoder is a diagonal Gaussian, $q_\phi(z|x) = \mathcal N(z; \mu, \mathrm{diag}(\sigma^2))$, and "
           r"the prior is $p(z) = \mathcal N(0, I)$. The KL term has a closed form:" "\n\n")
ISOTROPIC = (r"Let $q_\phi(\mathbf z \mid \mathbf x) = \mathcal N(\mathbf z; \boldsymbol\mu, \boldsymbol\sigma^2 "
             r"\mathbf I)$ with the standard normal prior $p(\mathbf z)$." "\n\n")
J = sympy.Symbol("J", integer=True, positive=True)
MU, SIGMA = sympy.Function("mu", real=True), sympy.Function("sigma", positive=True)


def record(tmp_path, preamble: str, statement: str):
    records = [r for r in scan_text(tmp_path, preamble + "$$" + statement + "$$\n")
               if r.text.replace(" ", "") == statement.replace(" ", "")]
    (found,) = records
    return found


def _sizes():
    return next(r.sizes for r in registry.get("kl.vae-regulariser").recognisers() if r.sizes is not None)


# --- the general form is derived, and agrees with the claim and with numpy ------------------------

def test_general_form_at_two_dimensions_is_the_claims_target():
    claim = registry.get("kl.vae-regulariser")
    mu1, mu2, s1, s2 = (v.symbol for v in claim.variables)
    at_two = _sizes().general(J, MU, SIGMA).xreplace({J: 2}).doit().xreplace(
        {MU(1): mu1, MU(2): mu2, SIGMA(1): s1, SIGMA(2): s2})
    assert sympy.simplify(sympy.expand_log(at_two - claim.target, force=True)) == 0


@settings(max_examples=20, deadline=None)
@given(st.lists(st.tuples(st.floats(-3, 3), st.floats(0.2, 3)), min_size=1, max_size=8))
def test_general_form_is_the_sum_of_one_dimensional_kls(pairs):
    general = _sizes().general(J, MU, SIGMA).xreplace({J: len(pairs)}).doit()
    value = float(general.xreplace({MU(k + 1): sympy.Float(m) for k, (m, _) in enumerate(pairs)}
                                   | {SIGMA(k + 1): sympy.Float(s) for k, (_, s) in enumerate(pairs)}))
    means, stds = np.array([m for m, _ in pairs]), np.array([s for _, s in pairs])
    assert value == pytest.approx(float(np.sum(0.5 * (means**2 + stds**2 - 1 - np.log(stds**2)))), rel=1e-9, abs=1e-9)


# --- recognised notations: proved for every J, the mapping in the reason ---------------------------

@pytest.mark.parametrize("preamble, statement", [
    (ENCODER, r"D_{KL}(q_\phi(z|x) \| p(z)) = -\frac{1}{2}\sum_{j=1}^{J}\left(1 + \log \sigma_j^2 - \mu_j^2 - "
              r"\sigma_j^2\right)"),
    (ENCODER, r"\mathrm{KL}(q_\phi(z|x) \| p(z)) = \frac12\sum_{d=1}^{D}(\mu_d^2 + \sigma_d^2 - \log\sigma_d^2 - 1)"),
    (ENCODER, r"D_{KL}(q_\phi(z|x) \| p(z)) = \frac12\sum_{j=1}^{J}(\mu_j^2 + \sigma_j^2 - 2\log\sigma_j - 1)"),
    (ENCODER, r"-D_{KL}(q_\phi(z|x) \| p(z)) = \frac{1}{2}\sum_{j=1}^{J}\left(1 + \log \sigma_j^2 - \mu_j^2 - "
              r"\sigma_j^2\right)"),
    (ISOTROPIC, r"\mathrm{KL}(q_\phi(\mathbf z \mid \mathbf x) \| p(\mathbf z)) = \frac12\sum_{j=1}^{J}"
                r"(\mu_j^2 + \sigma_j^2 - 1 - \log\sigma_j^2)"),
    ("The KL between the encoder and the prior:\n\n",
     r"\mathrm{KL}(\mathcal N(\mu, \mathrm{diag}(\sigma^2)) \| \mathcal N(0, I)) = "
     r"\frac12\sum_{j=1}^{J}(\mu_j^2 + \sigma_j^2 - 1 - \log\sigma_j^2)"),
])
def test_the_closed_form_summed_over_dimensions_is_proved(tmp_path, preamble, statement):
    found = record(tmp_path, preamble, statement)
    assert (found.kind, found.verdict, found.claim) == ("known", "proved", "kl.vae-regulariser"), found.reason
    assert "for every" in found.reason and "the coordinates of the mean" in found.reason


def test_a_bare_diag_is_read_both_ways_and_never_decides(tmp_path):
    r"""N(m, \mathrm{diag}(v)): v may be the variances or the scales (seed 004 L2587 writes diag(\sigma) beside
    z = \mu + \sigma \odot \epsilon), so a KL in v_j is neither proved nor flagged: each form is right under one
    reading."""
    preamble = (r"The encoder is $q(z|x) = \mathcal N(z; m, \mathrm{diag}(v))$ and the prior $p(z) = \mathcal N(0, I)$."
                "\n\n")
    for statement in (r"D_{KL}(q(z|x) \| p(z)) = \frac12\sum_{j=1}^{J}(m_j^2 + v_j - 1 - \log v_j)",
                      r"D_{KL}(q(z|x) \| p(z)) = \frac12\sum_{j=1}^{J}(m_j^2 + v_j^2 - 1 - \log v_j^2)"):
        found = record(tmp_path, preamble, statement)
        assert (found.verdict, evidence_level(found.verdict, found.reason)) == ("unchecked", "unchecked"), found.reason


# --- wrong variants: flagged, the counterexample recomputed, the correct form in the lecture's letters ----

def _flagged_values(found):
    """The values of the flag's evidence: {name: value} and the two numbers it compares."""
    m = re.match(r"at \S+ = (\d+), (.*?): as written (\S+), derived (\S+)$", found.evidence)
    assert m, found.evidence
    values = dict(pair.split("=") for pair in m.group(2).split(", "))
    return int(m.group(1)), {k: float(sympy.Rational(v)) for k, v in values.items()}, float(m.group(3)), float(
        m.group(4))


WRONG = {
    "log sigma for log sigma^2": (r"1 + \log \sigma_j - \mu_j^2 - \sigma_j^2",
                                  lambda m, s: -0.5 * (1 + math.log(s) - m**2 - s**2)),
    "the 1 missing": (r"\log \sigma_j^2 - \mu_j^2 - \sigma_j^2", lambda m, s: -0.5 * (math.log(s**2) - m**2 - s**2)),
    "the sign": (r"-1 - \log \sigma_j^2 + \mu_j^2 + \sigma_j^2",
                 lambda m, s: -0.5 * (-1 - math.log(s**2) + m**2 + s**2)),
}


@pytest.mark.parametrize("name", sorted(WRONG))
def test_a_wrong_closed_form_is_flagged_with_a_counterexample(tmp_path, name):
    body, term = WRONG[name]
    found = record(tmp_path, ENCODER, r"D_{KL}(q_\phi(z|x) \| p(z)) = -\frac{1}{2}\sum_{j=1}^{J}\left(" + body +
                   r"\right)")
    assert (found.verdict, found.claim) == ("disagrees", "kl.vae-regulariser"), found.reason
    n, values, written, derived = _flagged_values(found)
    assert n == 2
    pairs = [(values[rf"\mu_{k}"], values[rf"\sigma_{k}"]) for k in (1, 2)]
    assert written == pytest.approx(sum(term(m, s) for m, s in pairs), rel=1e-9)
    assert derived == pytest.approx(sum(0.5 * (m**2 + s**2 - 1 - math.log(s**2)) for m, s in pairs), rel=1e-9)
    assert found.correct == r"\frac12\sum_{j=1}^{J}\left(\mu_j^2 + \sigma_j^2 - 1 - \log\sigma_j^2\right)"


def test_the_half_dropped_is_flagged_in_the_lectures_letters(tmp_path):
    found = record(tmp_path, ENCODER, r"\mathrm{KL}(q_\phi(z|x) \| p(z)) = \sum_{d=1}^{D}(\mu_d^2 + \sigma_d^2 - "
                                      r"\log\sigma_d^2 - 1)")
    assert found.verdict == "disagrees", found.reason
    assert found.correct == r"\frac12\sum_{d=1}^{D}\left(\mu_d^2 + \sigma_d^2 - 1 - \log\sigma_d^2\right)"


# --- look-alikes that stay unchecked --------------------------------------------------------------

RIGHT = r"\frac12\sum_{j=1}^{J}(\mu_j^2 + \sigma_j^2 - \log\sigma_j - 1)"  # wrong if it were read: must not be


@pytest.mark.parametrize("preamble", [
    # no encoder law declared
    r"The prior is $p(z) = \mathcal N(0, I)$." "\n\n",
    # a prior that is not standard normal
    r"The encoder is $q(z|x) = \mathcal N(z; \mu, \mathrm{diag}(\sigma^2))$ with a Bernoulli prior $p(z)$." "\n\n",
    # N's second argument bare: a standard deviation or a variance
    r"The encoder is $q(z|x) = \mathcal N(z; \mu, \sigma)$ and the prior $p(z) = \mathcal N(0, I)$." "\n\n",
])
def test_without_the_encoder_and_a_standard_prior_nothing_is_flagged(tmp_path, preamble):
    found = record(tmp_path, preamble, r"D_{KL}(q(z|x) \| p(z)) = " + RIGHT)
    assert found.verdict == "unchecked", found.reason


def test_a_sum_over_a_batch_as_well_is_unchecked(tmp_path):
    found = record(tmp_path, ENCODER, r"D_{KL}(q_\phi(z|x) \| p(z)) = \frac12\sum_{i=1}^{N}\sum_{j=1}^{J}"
                                      r"(\mu_{ij}^2 + \sigma_{ij}^2 - \log\sigma_{ij} - 1)")
    assert found.verdict == "unchecked", found.reason


def test_a_log_variance_name_is_not_read_as_sigma(tmp_path):
    preamble = ENCODER + r"The network outputs $s_j = \log\sigma_j^2$." "\n\n"
    found = record(tmp_path, preamble, r"D_{KL}(q_\phi(z|x) \| p(z)) = \frac12\sum_{j=1}^{J}(\mu_j^2 + e^{s_j} - s_j)")
    assert found.verdict == "unchecked", found.reason


def test_a_beta_weighted_loss_is_not_read_as_the_kl(tmp_path):
    found = record(tmp_path, ENCODER, r"\mathcal L = \beta \sum_{j=1}^{J}(\mu_j^2 + \sigma_j^2 - \log\sigma_j - 1)")
    assert found.verdict != "disagrees", found.reason


def test_the_conventions_check_leaves_the_closed_form_to_the_known_result(tmp_path):
    found = record(tmp_path, "The KL divergence of the diagonal encoder:\n\n",
                   r"D_{KL}(q(z|x) \| p(z)) = \frac12\sum_{j=1}^{J}(\mu_j^2 + \sigma_j^2 - \log\sigma_j - 1)")
    assert found.verdict == "unchecked" and "defines the KL divergence" not in found.reason, found.reason


# --- both laws said in words in the statement's paragraph (derivspec issue 25) ---------------------------

SAID = [  # (lead-in, statement's left side, index, count, mean letter, std letter)
    ("For a diagonal Gaussian encoder and a standard normal prior,\n",
     r"D_{KL}(q_\phi(\mathbf{z}\mid\mathbf{x}) \| p(\mathbf{z}))", "j", "J", r"\mu", r"\sigma"),
    (r"The approximate posterior $q(z|x)$ is a diagonal Gaussian and the prior is a standard Gaussian, so" "\n",
     r"\mathrm{KL}(q(z|x) \| p(z))", "d", "D", r"\mu", r"\sigma"),
    (r"The encoder is Gaussian with mean $m$ and standard deviation $s$; the prior is a standard normal:" "\n",
     r"KL(q_\phi(h \mid v) \| p(h))", "k", "K", "m", "s"),
]


def _said_statement(left, index, count, mean, std, log_term):
    return (left + rf" = -\frac{{1}}{{2}}\sum_{{{index}=1}}^{{{count}}}\left(1 + {log_term} - {mean}_{index}^2 - "
            rf"{std}_{index}^2\right)")


@pytest.mark.parametrize("lead, left, index, count, mean, std", SAID)
def test_laws_said_in_words_prove_the_closed_form(tmp_path, lead, left, index, count, mean, std):
    statement = _said_statement(left, index, count, mean, std, rf"\log {std}_{index}^2")
    found = record(tmp_path, "# VAE\n\n" + lead, statement)
    assert (found.verdict, found.claim) == ("proved", "kl.vae-regulariser"), found.reason
    assert "said in words" in found.reason and f"{mean}_{index} the coordinates of the mean" in found.reason


@pytest.mark.parametrize("lead, left, index, count, mean, std", SAID)
def test_laws_said_in_words_flag_log_sigma_for_log_sigma_squared(tmp_path, lead, left, index, count, mean, std):
    statement = _said_statement(left, index, count, mean, std, rf"\log {std}_{index}")
    found = record(tmp_path, "# VAE\n\n" + lead, statement)
    assert (found.verdict, found.claim) == ("disagrees", "kl.vae-regulariser"), found.reason
    n, values, written, derived = _flagged_values(found)
    pairs = [(values[f"{mean}_{k}"], values[f"{std}_{k}"]) for k in range(1, n + 1)]
    assert written == pytest.approx(sum(-0.5 * (1 + math.log(s) - m**2 - s**2) for m, s in pairs), rel=1e-9)
    assert derived == pytest.approx(sum(0.5 * (m**2 + s**2 - 1 - math.log(s**2)) for m, s in pairs), rel=1e-9)
    assert found.correct == (rf"\frac12\sum_{{{index}=1}}^{{{count}}}\left({mean}_{index}^2 + {std}_{index}^2 - 1 - "
                             rf"\log {std}_{index}^2\right)").replace(r"\log \sigma", r"\log\sigma")


@pytest.mark.parametrize("lead", [
    "For a diagonal Gaussian encoder,\n",  # the prior not said
    "With a standard normal prior,\n",  # the encoder not said
    "For a diagonal Gaussian encoder and a standard normal prior over the first block,\n\nwe instead find\n",
    "For a diagonal Gaussian encoder and a Laplace prior, unlike a standard normal prior,\n",
    "For an isotropic Gaussian prior,\n",  # one law, said with a word of the other's
])
def test_one_law_said_or_another_paragraph_stays_unchecked(tmp_path, lead):
    statement = _said_statement(r"D_{KL}(q(z|x) \| p(z))", "j", "J", r"\mu", r"\sigma", r"\log\sigma_j")
    found = record(tmp_path, "# VAE\n\n" + lead, statement)
    assert found.verdict == "unchecked", found.reason


def test_laws_said_in_words_with_other_letters_and_none_named_stay_unchecked(tmp_path):
    statement = _said_statement(r"D_{KL}(q(z|x) \| p(z))", "j", "J", "m", "s", r"\log s_j")
    found = record(tmp_path, "# VAE\n\nFor a diagonal Gaussian encoder and a standard normal prior,\n", statement)
    assert (found.verdict, evidence_level(found.verdict, found.reason)) == ("unchecked", "unchecked"), found.reason


def test_a_variance_named_in_words_is_read_as_the_variance(tmp_path):
    lead = (r"The encoder $q_\phi(z|x)$ is a diagonal Gaussian with mean $\mu$ and variance $\sigma$; the prior is "
            "a standard normal. Then\n")
    right = _said_statement(r"D_{KL}(q_\phi(z|x) \| p(z))", "j", "J", r"\mu", r"\sigma", r"\log\sigma_j")
    found = record(tmp_path, "# VAE\n\n" + lead, right.replace(r"\sigma_j^2", r"\sigma_j"))
    assert found.verdict == "proved" and "of the variance" in found.reason, found.reason
