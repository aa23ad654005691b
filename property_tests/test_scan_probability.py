"""``scan`` gives densities, expectations and divergences a meaning (derivspec/scan/probability.py,
issue 24): an identity of probability calculus is proved from the definitions or shown on
instances when right, and flagged with the instance when wrong -- in two authors' notations.
Every statement the lecture may *assume* (a factorisation, a condition, notation) has a
must-not-flag test. Every document is written for the test.
"""

from __future__ import annotations

import pytest
import sympy
from hypothesis import given, settings, strategies as st

from derivspec.scan import probability
from derivspec.scan.reader import DocumentNames, read_document
from derivspec.scan.runner import scan_path


pytestmark = pytest.mark.usefixtures("p_and_q_declared_densities")



def _read(tex: str):
    return read_document(tex, DocumentNames(), frozenset()).expr


def _judge(left: str, right: str, relation: str = "=", declared=frozenset()):
    return probability.judge(_read(left), _read(right), relation=relation, declared=declared)


def _record(tmp_path, text: str, line: int):
    path = tmp_path / "doc.md"
    path.write_text(text, encoding="utf-8")
    (record,) = [r for r in scan_path(path, workers=0, known=False, sources=False) if r.lines[0] == line]
    return record


# --- right and wrong, in two notations -------------------------------------------------------

ELBO_RIGHT = [  # (log-evidence, decomposition) as a VAE lecture and as a Bayesian-statistics lecture write it
    (r"\log p_\theta(x)", r"\mathbb{E}_{q_\phi(z \mid x)}\left[\log \frac{p_\theta(x, z)}{q_\phi(z \mid x)}\right]"
                          r" + \mathrm{KL}(q_\phi(z \mid x) \,\|\, p_\theta(z \mid x))"),
    (r"\log P(v)", r"\mathbb{E}_{h \sim Q(h | v)}[\log P(v, h) - \log Q(h | v)] + D_{KL}(Q(h | v) \| P(h | v))"),
]
ELBO_WRONG = [  # the KL arguments swapped; the log missing from the bound
    (r"\log p_\theta(x)", r"\mathbb{E}_{q_\phi(z \mid x)}\left[\log \frac{p_\theta(x, z)}{q_\phi(z \mid x)}\right]"
                          r" + \mathrm{KL}(p_\theta(z \mid x) \,\|\, q_\phi(z \mid x))"),
    (r"\log P(v)", r"\mathbb{E}_{h \sim Q(h | v)}[P(v, h) - \log Q(h | v)] + D_{KL}(Q(h | v) \| P(h | v))"),
]


@pytest.mark.parametrize("left, right", ELBO_RIGHT)
def test_the_elbo_decomposition_is_proved_from_the_definitions(left, right):
    found = _judge(left, right)
    assert found.verdict == "proved", found.reason
    assert "sum_v p(S, v) = p(S)" in found.reason  # the proof used the sum rule, not an assumption


@pytest.mark.parametrize("left, right", ELBO_WRONG)
def test_a_wrong_elbo_decomposition_is_flagged_with_its_instance(left, right):
    found = _judge(left, right)
    assert found.verdict == "disagrees", found.reason
    assert "left = " in found.evidence and "right = " in found.evidence and "=" in found.evidence.split(";")[1]


BAYES = [(r"p(z \mid x)", r"\frac{p(x \mid z)\, p(z)}{p(x)}"),
         (r"P(\theta | \mathcal{D})", r"\frac{P(\mathcal{D} | \theta) P(\theta)}{\int P(\mathcal{D} | \theta) P(\theta) d\theta}")]


@pytest.mark.parametrize("left, right", BAYES)
def test_bayes_rule_is_proved_in_both_notations(left, right):
    assert _judge(left, right).verdict == "proved"


def test_an_inverted_bayes_ratio_is_flagged():
    found = _judge(r"p(z \mid x)", r"\frac{p(x \mid z)\, p(x)}{p(z)}")
    assert found.verdict == "disagrees"
    assert "independent" in found.reason  # it fails for independent variables too


@pytest.mark.parametrize("left, right", [(r"p(x)", r"\sum_z p(x, z)"), (r"p_X(x)", r"\int p_{X,Y}(x, y)\, dy"),
                                         (r"\sum_a \pi(a \mid s)", "1")])
def test_the_sum_rule_and_normalisation_are_proved(left, right):
    assert _judge(left, right).verdict == "proved"


def test_marginalising_over_the_wrong_conditional_is_flagged():
    found = _judge(r"\sum_z p(x, z)", r"\sum_z p(z \mid x) p(z)")
    assert found.verdict == "disagrees"


@pytest.mark.parametrize("relation, verdict", [("≥", "unchecked"), ("≤", "disagrees")])
def test_jensen_direction_holds_on_instances_and_its_reverse_is_flagged(relation, verdict):
    found = _judge(r"\log p(x)", r"\mathbb{E}_{q(z \mid x)}[\log p(x, z) - \log q(z \mid x)]", relation)
    assert found.verdict == verdict
    if verdict == "unchecked":  # evidence, said as such: no proof of an inequality is claimed
        assert found.reason.startswith("holds on 12 instances") and "evidence, not proof" in found.reason


def test_kl_is_nonnegative_on_instances_and_kl_le_zero_is_flagged():
    assert _judge(r"\mathrm{KL}(q(z|x) \| p(z|x))", "0", "≥").verdict == "unchecked"
    assert _judge(r"\mathrm{KL}(q(z|x) \| p(z|x))", "0", "≤").verdict == "disagrees"


# --- what a lecture may assume: never flagged ------------------------------------------------

@pytest.mark.parametrize("left, right, why", [
    (r"p(x, z \mid \theta)", r"p(x \mid z, \theta) p(z)", "one distribution"),   # a model: z does not depend on theta
    (r"q(z \mid x)", r"p(z \mid x)", "one distribution"),                         # the condition for a tight bound
    (r"P(x_1, x_2, x_3)", r"P(x_1) P(x_2 \mid x_1) P(x_3 \mid x_2)", "independent"),  # a Markov chain
    (r"P(s' \mid s, a)", r"P(s, a, s')", "notation"),                             # an MDP's transition function
    (r"q(x)", r"q(a \mid s) p(s)", "different variables"),                        # x names the pair (s, a)
])
def test_an_assumption_or_notation_is_not_flagged(left, right, why):
    found = _judge(left, right)
    assert found.verdict == "unchecked" and "not flagged" in found.reason and why in found.reason


def test_a_family_the_lecture_declares_keeps_a_general_counterexample_from_flagging():
    """Wrong for general distributions; the lecture's Gaussian could make it right: not flagged."""
    wrong = (r"\sum_z p(x, z)", r"\sum_z p(z \mid x) p(z)")
    assert _judge(*wrong).verdict == "disagrees"
    found = _judge(*wrong, declared=probability.document_families(r"Let $z \sim \mathcal{N}(0, 1)$."))
    assert found.verdict == "unchecked" and "named family" in found.reason


def test_a_value_or_a_formula_for_a_density_is_left_to_the_other_checks():
    assert _judge(r"p(x)", "0.5") is None
    assert _judge(r"P(Z)", r"\frac{1}{\sqrt{2\pi}} \exp(-Z^2/2)") is None


def test_a_name_defined_elsewhere_is_not_flagged():
    found = _judge(r"\log p(x)", r"\mathcal{L} + \mathrm{KL}(q(z \mid x) \| p(z \mid x))")
    assert found.verdict == "unchecked" and "elsewhere" in found.reason


def test_document_families_reads_sampling_and_density_statements():
    found = probability.document_families(r"$\mathbf{z} \sim \mathcal{N}(0, I)$ and $q(x_t \mid x_0) = \mathcal{N}(x_t; a, b)$")
    assert found == {"z", "x_t"}
    assert probability.document_families("no family here: $p(x) = \\sum_z p(x, z)$") == frozenset()


# --- in a lecture ----------------------------------------------------------------------------

LECTURE = """# Evidence

By Bayes' rule,

$$p(z \\mid x) = \\frac{p(x \\mid z)\\, p(z)}{p(x)}$$

and the evidence is

$$\\log p(x) = \\mathbb{E}_{q(z \\mid x)}\\left[\\log \\frac{p(x, z)}{q(z \\mid x)}\\right] + \\mathrm{KL}(q(z \\mid x) \\,\\|\\, p(z \\mid x))$$

Our model factorises as

$$p(x, z \\mid \\theta) = p(x \\mid z, \\theta)\\, p(z)$$
"""


def test_a_lecture_gets_proofs_and_no_flag(tmp_path):
    assert _record(tmp_path, LECTURE, 5).verdict == "proved"
    assert _record(tmp_path, LECTURE, 9).verdict == "proved"
    assumed = _record(tmp_path, LECTURE, 13)
    assert assumed.verdict == "unchecked" and "not flagged" in assumed.reason


def test_the_same_lecture_with_the_kl_swapped_is_flagged_at_that_line(tmp_path):
    planted = LECTURE.replace("\\mathrm{KL}(q(z \\mid x) \\,\\|\\, p(z \\mid x))", "\\mathrm{KL}(p(z \\mid x) \\,\\|\\, q(z \\mid x))")
    record = _record(tmp_path, planted, 9)
    assert record.verdict == "disagrees" and "instance" in record.evidence


# --- the instances are what they say ---------------------------------------------------------

@settings(max_examples=25, deadline=None)
@given(st.integers(min_value=0, max_value=10_000))
def test_every_instance_is_a_distribution_and_conditionals_normalise(seed):
    for independent in (False, True):
        for instance in probability.instances(["p"], ["x", "z"], ["x"], seed, independent=independent, merged=False):
            table = instance.tables["p"]
            assert sum(table.values()) == 1 and all(v > 0 for v in table.values())
            conditional = probability.Density("p", ("z",), ("x",))
            total = sum(instance.density(conditional, {"x": instance.free["x"], "z": z}) for z in instance.supports["z"])
            assert total == 1
            if independent:  # p(x, z) = p(x) p(z) exactly
                for (x, z), value in table.items():
                    assert value == instance.marginal("p", {"x": x}) * instance.marginal("p", {"z": z})


def test_the_proof_is_sympy_zero_of_the_rewritten_difference():
    """The proof rewrites through marginals; a wrong statement's rewritten difference is not 0."""
    assert probability.prove(_read(r"p(x)"), _read(r"\sum_z p(x \mid z) p(z)"))
    assert not probability.prove(_read(r"p(x)"), _read(r"\sum_z p(z \mid x) p(z)"))
    assert isinstance(probability._marginal("p", ["x"]), sympy.Expr)


# --- JS via the mixture, divergences of bare letters and mixtures ----------------------------

JS_RIGHT = [  # a GAN tutorial's generator objective at the best discriminator; the original paper's C(G)
    (r"\int_x p_r(x) \log \frac{p_r(x)}{p_r(x)+p_g(x)} + p_g(x)\log\frac{p_g(x)}{p_r(x)+p_g(x)} \, dx",
     r"2 D_{JS}(p_r \| p_g) - 2\log 2"),
    (r"-\log(4) + \mathrm{KL}\left(p_{data} \Big\| \frac{p_{data}+p_g}{2}\right) + "
     r"\mathrm{KL}\left(p_g \Big\| \frac{p_{data}+p_g}{2}\right)", r"-\log(4) + 2 \cdot \mathrm{JSD}(p_{data} \| p_g)"),
]
JS_WRONG = [  # the constant halved; the factor 2 of the JSD dropped
    (JS_RIGHT[0][0], r"2 D_{JS}(p_r \| p_g) - \log 2"),
    (JS_RIGHT[1][0], r"-\log(4) + \mathrm{JSD}(p_{data} \| p_g)"),
]


@pytest.mark.parametrize("left, right", JS_RIGHT)
def test_js_via_the_mixture_is_proved_in_both_notations(left, right):
    found = _judge(left, right)
    assert found.verdict == "proved", found.reason
    assert "m = (a + b)/2" in found.reason  # the proof used the mixture, written out


@pytest.mark.parametrize("left, right", JS_WRONG)
def test_a_wrong_js_identity_is_flagged_with_its_table(left, right):
    found = _judge(left, right)
    assert found.verdict == "disagrees", found.reason
    assert "x in {0, 1}" in found.evidence and "left = " in found.evidence


def test_the_definition_of_js_restated_is_a_definition_not_a_proof():
    found = _judge(r"\mathrm{JS}(P \| Q)", r"\frac{1}{2} \mathrm{KL}(P \| \frac{P+Q}{2}) + \frac{1}{2} \mathrm{KL}(Q \| \frac{P+Q}{2})")
    assert found.verdict == "unchecked" and "definition" in found.reason
    swapped = _judge(r"\mathrm{JS}(P \| Q)", r"\frac{1}{2} \mathrm{KL}(P \| \frac{P+Q}{2}) + \frac{1}{2} \mathrm{KL}(\frac{P+Q}{2} \| Q)")
    assert swapped.verdict == "disagrees"


def test_kl_of_bare_letters_is_a_sum_over_the_variable_the_statement_uses():
    assert _judge(r"\mathrm{KL}(p \| q)", r"\sum_x q(x) \log \frac{q(x)}{p(x)}").verdict == "disagrees"
    assert _judge(r"\mathrm{KL}(p \| q)", r"\mathrm{KL}(q \| p)").verdict == "disagrees"
    restated = _judge(r"\mathrm{KL}(p \| q)", r"\sum_x p(x) \log p(x) - \sum_x p(x) \log q(x)")
    assert restated.verdict == "unchecked" and "definition" in restated.reason  # KL's own definition, not a proof


def test_a_parameter_subscript_the_lecture_drops_is_not_a_flag():
    # KL(q_θ || p) written out with q(d): the lecture's q is its q_θ
    found = _judge(r"\mathrm{KL}(q_\theta \| p)", r"\sum_d q(d) \log \frac{q(d)}{p(d)}")
    assert found.verdict == "unchecked" and "q_θ written q" in found.reason


def test_bare_kl_and_jsd_are_read_in_a_document(tmp_path):
    text = ("# GAN\n$p_{data}$ and $p_g$ are the data and generator distributions.\n$$-\\log(4) + KL\\left(p_{data} \\Big\\| \\frac{p_{data}+p_g}{2}\\right) + KL\\left(p_g \\Big\\| "
            "\\frac{p_{data}+p_g}{2}\\right) = -\\log(4) + 2 \\cdot JSD(p_{data} \\| p_g)$$\n")
    assert _record(tmp_path, text, 3).verdict == "proved"
    assert _record(tmp_path, text.replace("2 \\cdot JSD", "JSD"), 3).verdict == "disagrees"
