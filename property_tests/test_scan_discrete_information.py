r"""Identities and inequalities among entropies, mutual informations and KL divergences, checked on random finite
joint laws (derivspec/scan/discrete_information.py; issue 25, helper h73). Every document is written for the test;
the EM bound reuses the notation of DanielTakeshi _posts/2015-07-18-expectation-maximization.md:111 (ours).

A flag's counterexample (the pmf printed in the evidence) is recomputed here from the definitions, independently of
the module; look-alikes (an unbalanced inequality with no word that the variables are discrete, a Gaussian, a
condition in the lead-in) stay unchecked.
"""

from __future__ import annotations

import itertools
import math
import re
from fractions import Fraction

import mpmath
import pytest
from hypothesis import given, settings, strategies as st

from derivspec.scan import discrete_information as di
from derivspec.scan.runner import scan_path
from scanning import scan_text

DISCRETE = "Let $X$, $Y$ and $Z$ be discrete random variables."


def _step(tmp_path, lead: str, tex: str):
    path = tmp_path / "doc.md"
    path.write_text(f"# Notes\n\n{lead}\n\n$$\n{tex}\n$$\n\nMore text.\n", encoding="utf-8")
    (record,) = [r for r in scan_path(path, workers=0, sources=False) if r.lines[0] == 6]
    return record.to_json()["steps"][0] if "steps" in record.to_json() else record.to_json()


def _laws(evidence: str) -> dict:
    """name -> (variables, {cell: probability}) for every law printed in the evidence."""
    out = {}
    for name, variables, cells in re.findall(r"([^\s;:]+)\(([^()]*)\) = \{([^{}]*)\}", evidence):
        table = {}
        for cell, value in re.findall(r"\(([0-9, ]+)\): ([0-9/]+)", cells):
            table[tuple(int(c) for c in cell.split(","))] = Fraction(value)
        out[name] = ([v.strip().lower() for v in variables.split(",")], table)
    return out


def _marginal(law, keep):
    variables, table = law
    out = {}
    for cell, value in table.items():
        key = tuple(cell[variables.index(v)] for v in keep)
        out[key] = out.get(key, 0) + value
    return out


def _h(law, a, b=()):
    """H(A | B) from its definition: -sum p(a, b) log(p(a, b) / p(b))."""
    a, b = [v.lower() for v in a], [v.lower() for v in b]
    joint, given_ = _marginal(law, a + b), _marginal(law, b)
    return -sum(float(v) * math.log(v / given_[k[len(a):]]) for k, v in joint.items() if v)


def _sides(evidence: str) -> tuple:
    m = re.search(r"left = (-?[0-9.e-]+), right = (-?[0-9.e-]+)", evidence)
    return float(m.group(1)), float(m.group(2))


NOTATIONS = {"H": ("H", r"\mathbb{H}", r"\mathcal{H}"), "I": ("I({a}; {b})", "I({a} : {b})")}


@pytest.mark.parametrize("H", NOTATIONS["H"])
def test_chain_rule_of_entropy_proved_and_a_flipped_sign_flagged(tmp_path, H):
    step = _step(tmp_path, DISCRETE, rf"{H}(X, Y) = {H}(X) + {H}(Y \mid X)")
    assert step["verdict"] == "proved" and "H(X, Y) = H(X) + H(Y | X)" in step["reason"]
    step = _step(tmp_path, DISCRETE, rf"{H}(X, Y) = {H}(X) - {H}(Y \mid X)")
    assert step["verdict"] == "disagrees", step
    assert "H(X, Y) = H(X) + H(Y | X)" in step["reason"]  # the correct form
    law = _laws(step["evidence"])["p"]
    left, right = _sides(step["evidence"])
    assert math.isclose(_h(law, "XY"), left, rel_tol=1e-9)
    assert math.isclose(_h(law, "X") - _h(law, "Y", "X"), right, rel_tol=1e-9, abs_tol=1e-12)


@pytest.mark.parametrize("form", NOTATIONS["I"])
def test_mutual_information_both_ways_and_a_wrong_variable_flagged(tmp_path, form):
    mi = form.format(a="X", b="Y")
    for rhs in (r"H(X) - H(X \mid Y)", r"H(Y) - H(Y \mid X)", r"H(X) + H(Y) - H(X, Y)"):
        assert _step(tmp_path, DISCRETE, f"{mi} = {rhs}")["verdict"] == "proved"
    step = _step(tmp_path, DISCRETE, rf"{mi} = H(Y) - H(X \mid Y)")
    assert step["verdict"] == "disagrees"
    law = _laws(step["evidence"])["p"]
    left, right = _sides(step["evidence"])
    assert math.isclose(_h(law, "X") - _h(law, "X", "Y"), left, rel_tol=1e-9, abs_tol=1e-12)
    assert math.isclose(_h(law, "Y") - _h(law, "X", "Y"), right, rel_tol=1e-9, abs_tol=1e-12)


@pytest.mark.parametrize("H", ("H", r"\mathbb{H}"))
def test_conditioning_reduces_entropy_holds_and_the_reversed_inequality_is_flagged(tmp_path, H):
    step = _step(tmp_path, DISCRETE, rf"{H}(X \mid Y) \le {H}(X)")
    assert step["verdict"] == "unchecked" and step["reason"].startswith("holds on 40 instances")
    step = _step(tmp_path, DISCRETE, rf"{H}(X \mid Y) \ge {H}(X)")
    assert step["verdict"] == "disagrees" and "H(X | Y) ≤ H(X)" in step["reason"]
    law = _laws(step["evidence"])["p"]
    left, right = _sides(step["evidence"])
    assert math.isclose(_h(law, "X", "Y"), left, rel_tol=1e-9) and math.isclose(_h(law, "X"), right, rel_tol=1e-9)
    assert left < right


@pytest.mark.parametrize("form", NOTATIONS["I"])
def test_mutual_information_is_nonnegative_and_its_negation_flagged(tmp_path, form):
    mi = form.format(a="X", b="Y")
    assert _step(tmp_path, "Let $X$ and $Y$ be random variables.", rf"{mi} \geq 0")["reason"].startswith("holds on")
    step = _step(tmp_path, DISCRETE, rf"{mi} \leq 0")
    assert step["verdict"] == "disagrees"
    law = _laws(step["evidence"])["p"]
    assert _h(law, "X") - _h(law, "X", "Y") > 0


@pytest.mark.parametrize("KL", ("KL", r"D_{\mathrm{KL}}", "D"))
def test_kl_of_marginals_below_kl_of_joints_and_the_reversal_flagged(tmp_path, KL):
    lead = "Let $p(x, y)$ and $q(x, y)$ be two joint mass functions on a finite set."
    step = _step(tmp_path, lead, rf"{KL}(p(x) \| q(x)) \le {KL}(p(x, y) \| q(x, y))")
    assert step["verdict"] == "unchecked" and step["reason"].startswith("holds on"), step
    step = _step(tmp_path, lead, rf"{KL}(p(x) \| q(x)) \ge {KL}(p(x, y) \| q(x, y))")
    assert step["verdict"] == "disagrees"


def _kl(laws, a, b, variables):
    """KL(a || b) with a and b functions of an assignment, summed over every assignment."""
    states = {v: 1 + max(c[law[0].index(v)] for law in laws.values() if v in law[0] for c in law[1])
              for v in variables}
    total = 0.0
    for cell in itertools.product(*[range(states[v]) for v in variables]):
        x = dict(zip(variables, cell))
        pa, pb = a(x), b(x)
        total += float(pa) * math.log(pa / pb) if pa else 0.0
    return total


@pytest.mark.parametrize("KL", ("KL", r"D_{KL}"))
def test_em_bound_holds_and_a_swapped_kl_is_flagged(tmp_path, KL):
    # the notation of DanielTakeshi _posts/2015-07-18-expectation-maximization.md:111 (our own statement)
    lead = "Let $X$ and $Z$ be discrete, with the empirical law and a model."
    right = rf"{KL}(\tilde{{p}}(X)q(Z\mid X) \: \| \: p(X,Z\mid \theta))"
    step = _step(tmp_path, lead, rf"{KL}(\tilde{{p}}(X) \: \| \: p(X\mid \theta)) \le {right}")
    assert step["verdict"] == "unchecked" and step["reason"].startswith("holds on 40 instances"), step
    # both KLs swapped: still data processing, not flagged
    step = _step(tmp_path, lead, rf"{KL}(p(X\mid \theta) \| \tilde{{p}}(X)) \le {KL}(p(X,Z\mid \theta) \| "
                 r"\tilde{p}(X)q(Z\mid X))")
    assert step["verdict"] == "unchecked" and step["reason"].startswith("holds on")
    # only the right one swapped: flagged, recomputed
    step = _step(tmp_path, lead, rf"{KL}(\tilde{{p}}(X) \| p(X\mid \theta)) \le {KL}(p(X,Z\mid \theta) \| "
                 r"\tilde{p}(X)q(Z\mid X))")
    assert step["verdict"] == "disagrees", step
    laws = _laws(step["evidence"])
    model, empirical, q = laws[r"p_{\theta}"], laws["~p"], laws["q"]

    def p_xz(x):
        return _marginal(model, ["x", "z"])[(x["x"], x["z"])]

    def p_x(x):
        return _marginal(model, ["x"])[(x["x"],)]

    def pt(x):
        return _marginal(empirical, ["x"])[(x["x"],)]

    def tq(x):
        return pt(x) * _marginal(q, ["x", "z"])[(x["x"], x["z"])] / _marginal(q, ["x"])[(x["x"],)]
    left, right = _sides(step["evidence"])
    assert math.isclose(_kl(laws, pt, p_x, ["x"]), left, rel_tol=1e-9)
    assert math.isclose(_kl(laws, p_xz, tq, ["x", "z"]), right, rel_tol=1e-9)
    assert left > right


def test_a_dropped_term_is_flagged_with_the_correct_form(tmp_path):
    step = _step(tmp_path, DISCRETE, r"I(X; Y, Z) = I(X; Z)")
    assert step["verdict"] == "disagrees"
    step = _step(tmp_path, DISCRETE, r"H(X, Y, Z) = H(X) + H(Y \mid X) + H(Z \mid X, Y)")
    assert step["verdict"] == "proved"


# --- look-alikes -------------------------------------------------------------------------------------

def test_nonnegative_entropy_needs_discrete_variables(tmp_path):
    step = _step(tmp_path, "Let $X$ be a Gaussian random variable with density $p$.", r"H(X) \ge 0")
    assert step["verdict"] == "unchecked" and "discrete" in step["reason"]
    step = _step(tmp_path, "Let $X$ be a random variable.", r"\mathcal{H}(X) \ge 0")
    assert step["verdict"] == "unchecked"
    step = _step(tmp_path, "Let $X$ be a discrete random variable.", r"H(X) \ge 0")
    assert step["reason"].startswith("holds on")


def test_a_condition_in_the_lead_in_keeps_it_unchecked(tmp_path):
    for lead in ("If $X$ and $Y$ are independent, then", "For a deterministic function $Y$ of $X$,"):
        step = _step(tmp_path, lead, r"H(X, Y) = H(X)")
        assert step["verdict"] != "disagrees", (lead, step)


def test_distribution_entropies_are_not_this_kind():
    assert di.read(r"H(p) + \mathrm{KL}(p \| q)") is None or all(q[0] == "KL" for _, q in di.read(
        r"H(p) + \mathrm{KL}(p \| q)"))
    assert di.read(r"H(X) + 1") is None  # a constant depends on the alphabet and the base
    assert di.read(r"H(X_1, \dots, X_n)") is None


@settings(max_examples=25, deadline=None)
@given(st.lists(st.integers(1, 9), min_size=6, max_size=6))
def test_definitions_agree_with_the_chain_rule(weights):
    cells = list(itertools.product(range(2), range(3)))
    law = {"variables": ("X", "Y"), "p": {c: Fraction(w, sum(weights)) for c, w in zip(cells, weights)}}
    x, y = frozenset("X"), frozenset("Y")
    with mpmath.workdps(di.DIGITS):  # the module's working precision, whatever an earlier test left global
        hxy = di.conditional_entropy(law, x | y)
        assert abs(hxy - di.conditional_entropy(law, x) - di.conditional_entropy(law, y, x)) < 1e-30
        mi = di.mutual_information(law, x, y)
        assert abs(mi - di.conditional_entropy(law, x) + di.conditional_entropy(law, x, y)) < 1e-30
        assert mi >= -1e-30


# --- mends after the merge: an unstated independence, a condition after the display, P and Q -------------------

@pytest.mark.parametrize("text", [
    "$$H(X, Y) = H(X) + H(Y)$$\n",  # true exactly when X and Y are independent: the text may assume it
    "The joint entropy splits,\n\n$$H(X, Y) = H(X) + H(Y)$$\n\nwhen $X$ and $Y$ are independent.\n",
    "$$H(Y \\mid X) = H(Y)$$\n",
])
def test_an_identity_of_independent_variables_is_not_flagged(tmp_path, text):
    (record,) = [r for r in scan_text(tmp_path, "# Notes\n\n" + text) if "H(" in r.text]
    assert record.verdict == "unchecked", record.reason
    assert "independen" in record.reason


def test_an_identity_that_fails_for_independent_variables_too_is_flagged(tmp_path):
    (record,) = [r for r in scan_text(tmp_path, "# Notes\n\n$$H(X, Y) = H(X) - H(Y \\mid X)$$\n") if "H(" in r.text]
    assert record.verdict == "disagrees" and "fails on a random finite joint law" in record.reason
    left, right = (float(v) for v in re.findall(r"(?:left|right) = (-?[0-9.]+)", record.evidence))
    assert abs(left - right) > 1e-6
    # and it fails for independent variables too: for two independent fair bits H(X, Y) = 2 log 2, while
    # H(X) - H(Y | X) = log 2 - log 2 = 0
    bits = {"variables": ("X", "Y"), "p": {(a, b): Fraction(1, 4) for a in (0, 1) for b in (0, 1)}}
    assert math.isclose(float(di.conditional_entropy(bits, frozenset({"X", "Y"}))), 2 * math.log(2))
    assert math.isclose(float(di.conditional_entropy(bits, frozenset({"Y"}), frozenset({"X"}))), math.log(2))


def test_P_and_Q_are_distributions_not_random_variables(tmp_path):
    # H(P, Q) is a cross-entropy, not symmetric: not read as a joint entropy (and so not proved here)
    (record,) = [r for r in scan_text(tmp_path, "# Notes\n\n$$H(P) + H(P, Q) = H(Q, P) + H(P)$$\n") if "H(" in r.text]
    assert record.verdict != "proved"
