r"""The law of an expectation and the arguments of a divergence (derivspec/scan/probability.py): a KL from
a posterior to a prior that conditions on nothing (``KL(q(z|x) \| p(z))``), an expectation whose law is a bare
density name (``E_{p_\theta}[r(x)]``), and a plain ``E[…]`` whose law the statement leaves open -- judged under
each law of the statement it may be under, the reading named in the reason. Undefined functions of the
variables (``r(x)``) are tables. Every document is written here, in several letter sets."""

from __future__ import annotations

import re
from fractions import Fraction

import pytest

from scanning import scan_text

LETTERS = [("Q", "P", "z", "X"), ("R", "S", "v", "U"), ("q", "p", "h", "x")]


def _records(tmp_path, statements: list[str], lead: str = "A latent-variable model.") -> dict:
    text = f"# Notes\n\n{lead}\n\n" + "".join(f"$${s}$$\n\n" for s in statements)
    return {r.text.strip(): r for r in scan_text(tmp_path, text)}


@pytest.mark.parametrize("q, p, z, x", LETTERS)
def test_the_evidence_identity_with_the_kl_to_the_prior(tmp_path, q, p, z, x):
    right = (rf"\log {p}({x}) - D_{{KL}}[{q}({z}|{x}) \| {p}({z}|{x})] = \mathbb{{E}}_{{{q}({z}|{x})}}[\log {p}({x}|{z})]"
             rf" - D_{{KL}}[{q}({z}|{x}) \| {p}({z})]")
    wrong = right.replace(rf"] - D_{{KL}}[{q}({z}|{x}) \| {p}({z})]", rf"] + D_{{KL}}[{q}({z}|{x}) \| {p}({z})]")
    assert wrong != right
    records = _records(tmp_path, [right, wrong])
    assert records[right].verdict == "proved", records[right].reason
    flag = records[wrong]
    assert flag.verdict == "disagrees", flag.reason
    # recompute the evidence: the instance's left and right values differ
    left, shown_right = (float(v) for v in re.search(r"left = (\S+), right = (\S+)", flag.evidence).groups())
    assert abs(left - shown_right) > 1e-3


@pytest.mark.parametrize("q, p, z, x", LETTERS)
def test_a_plain_expectation_is_read_under_the_law_that_makes_it_hold(tmp_path, q, p, z, x):
    right = (rf"D_{{KL}}[{q}({z}|{x}) \| {p}({z}|{x})] - \log {p}({x}) = "
             rf"E[\log {q}({z}|{x}) - \log {p}({x}|{z}) - \log {p}({z})]")
    wrong = right.replace(rf"E[\log {q}({z}|{x}) - ", rf"E[\log {q}({z}|{x}) + ")
    records = _records(tmp_path, [right, wrong])
    proved = records[right]
    assert proved.verdict == "proved", proved.reason
    assert "read as the expectation under" in proved.reason and "leaves the law open" in proved.reason
    # the statement names no law: a difference under every law it may mean is a notice, never a flag
    notice = records[wrong]
    assert notice.verdict == "unchecked" and "differs under every law" in notice.reason, notice.reason


@pytest.mark.parametrize("p, r, x", [(r"p_\theta", "r", "x"), (r"\pi_\psi", "g", "u")])
def test_an_expectation_is_a_weighted_sum_for_every_function(tmp_path, p, r, x):
    named = rf"\mathbb{{E}}_{{{p}}}[{r}({x})] = \sum_{{{x}}} {p}({x}) {r}({x})"
    plain = rf"\mathbb{{E}}[{r}({x})] = \sum_{{{x}}} {p}({x}) {r}({x})"
    wrong = rf"\mathbb{{E}}_{{{p}}}[{r}({x})] = \sum_{{{x}}} {p}({x}) {r}({x})^2"
    records = _records(tmp_path, [named, plain, wrong], lead=f"Let ${p}$ be a distribution.")
    assert records[named].verdict == "proved", records[named].reason
    assert records[plain].verdict == "proved" and "read as the expectation under" in records[plain].reason
    # r is undefined: the document may define it, so a difference for a table of r is no flag
    notice = records[wrong]
    assert notice.verdict == "unchecked" and f"undefined {r}" in notice.reason, notice.reason
    values = [Fraction(v) for v in re.findall(r"=\s*(\d+/\d+)", notice.evidence)]
    assert values and sum(values[:2]) == 1  # the law of the counterexample, exact


@pytest.mark.parametrize("p, x, y", [("p", "x", "y"), ("r", "u", "c"), (r"\rho", "x_t", "y")])
def test_the_score_of_a_posterior_by_bayes_rule(tmp_path, p, x, y):
    """A derivative of densities in one of their variables: proved by the rules of probability (the
    prior's score in x is the posterior's minus the likelihood's); a wrong sign is not proved (finite
    instances have no derivatives, so no flag either)."""
    right = rf"\nabla_{{{x}}} \log {p}({x} \mid {y}) = \nabla_{{{x}}} \log {p}({x}) + \nabla_{{{x}}} \log {p}({y} \mid {x})"
    wrong = rf"\nabla_{{{x}}} \log {p}({x} \mid {y}) = \nabla_{{{x}}} \log {p}({x}) - \nabla_{{{x}}} \log {p}({y} \mid {x})"
    records = _records(tmp_path, [right, wrong], lead=f"Let ${p}$ be a density.")
    assert records[right].verdict == "proved", records[right].reason
    assert "derivative in another is 0" in records[right].reason
    assert records[wrong].verdict != "proved"


@pytest.mark.parametrize("q, p, z, x", [(r"q_\phi", r"p_\theta", "z", "x"), (r"r_\psi", r"s_\theta", "v", "u")])
def test_an_expectation_under_a_bare_name_takes_the_law_the_statement_applies(tmp_path, q, p, z, x):
    right = (rf"\log {p}({x}) = \mathbb{{E}}_{{{q}}}[\log {p}({x}, {z}) - \log {q}({z}|{x})]"
             rf" + D_{{KL}}({q}({z}|{x}) \| {p}({z}|{x}))")
    wrong = right.replace("] + D_", "] - D_")
    records = _records(tmp_path, [right, wrong])
    assert records[right].verdict == "proved", records[right].reason
    assert records[wrong].verdict == "disagrees", records[wrong].reason


@pytest.mark.parametrize("p, bound", [("p", r"\mathcal{L}"), ("r", r"\mathcal{B}"), (r"\pi", r"\mathcal{F}")])
def test_a_first_inequality_the_instances_leave_open_does_not_let_the_row_be_proved(tmp_path, p, bound):
    """``\\log p(x) \\ge \\mathcal{L} \\ge \\mathcal{L}``: the first step differs on instances with the bound at
    fixed values (not flagged: the lecture defines it elsewhere); that notice is no definition, so the row is not
    proved by its second, trivial step (it was)."""
    chain = rf"\log {p}(x) \geq {bound} \geq {bound}"
    records = _records(tmp_path, [chain], lead=f"Let ${p}$ be a distribution and ${bound}$ a bound.")
    assert records[chain].verdict != "proved", records[chain].reason


@pytest.mark.parametrize("p, t, x", [("p", r"\theta", "x"), ("r", "w", "u"), (r"\pi", "z", "D")])
def test_a_posterior_is_proportional_to_likelihood_times_prior(tmp_path, p, t, x):
    """``p(θ|x) ∝ p(x|θ) p(θ)``: the ratio of the sides is 1/p(x), free of θ -- proved in θ, the variable named
    in the reason; the prior divided instead of multiplied is not proved (a proportionality is never flagged)."""
    right = rf"{p}({t} \mid {x}) \propto {p}({x} \mid {t}) {p}({t})"
    wrong = rf"{p}({t} \mid {x}) \propto \frac{{{p}({x} \mid {t})}}{{{p}({t})}}"
    records = _records(tmp_path, [right, wrong], lead=f"Let ${p}$ be a distribution.")
    assert records[right].verdict == "proved" and f"proportional in {t}" in records[right].reason, records[right].reason
    assert records[wrong].verdict != "proved", records[wrong].reason


@pytest.mark.parametrize("X, x, f", [("X", "x", r"\phi"), ("V", "v", "g"), ("Z", "z", "h")])
def test_an_expectation_in_round_brackets_and_the_mass_function_as_an_event(tmp_path, X, x, f):
    r"""``\mathbb{E}(\phi(X))`` is the expectation whatever its brackets, and ``\mathbb{P}(\{X = x\})`` the mass
    function of X at x: ``\mathbb{E}(\phi(X)) = \sum_x \phi(x) \mathbb{P}(\{X=x\})`` is the definition of an
    expectation, proved; with ``\phi(x)^2`` it is not proved (never flagged: the law is left open)."""
    right = rf"\mathbb{{E}}({f}({X})) = \sum_{{{x}}} {f}({x}) \mathbb{{P}}(\{{{X}={x}\}})"
    wrong = rf"\mathbb{{E}}({f}({X})) = \sum_{{{x}}} {f}({x})^2 \mathbb{{P}}(\{{{X}={x}\}})"
    records = _records(tmp_path, [right, wrong], lead=f"Let ${X}$ be a discrete random variable.")
    assert records[right].verdict == "proved", records[right].reason
    assert records[wrong].verdict != "proved" and records[wrong].verdict != "disagrees", records[wrong].reason


@pytest.mark.parametrize("Y, X", [("Y", "X"), ("B", "A")])
def test_the_chain_rule_of_probability_with_events_of_values(tmp_path, Y, X):
    y, x = Y.lower(), X.lower()
    right = rf"P({X} = {x}, {Y} = {y}) = P({X} = {x}) P({Y} = {y} \mid {X} = {x})"
    wrong = rf"P({X} = {x}, {Y} = {y}) = P({X} = {x}) P({X} = {x} \mid {Y} = {y})"
    records = _records(tmp_path, [right, wrong], lead="Two discrete random variables.")
    assert records[right].verdict == "proved", records[right].reason
    assert records[wrong].verdict == "disagrees", records[wrong].reason


@pytest.mark.parametrize("p, t, x, r", [(r"p_\theta", r"\theta", "x", "r"), (r"\pi_\phi", r"\phi", "a", "R"),
                                        (r"q_\psi", r"\psi", "z", "f")])
def test_the_log_derivative_trick_in_a_parameter(tmp_path, p, t, x, r):
    """A model's probabilities are functions of its parameter: ``\\nabla_\\theta E_{p_\\theta}[r(x)] = E_{p_\\theta}[r(x)
    \\nabla_\\theta \\log p_\\theta(x)]`` and ``E_{p_\\theta}[\\nabla_\\theta \\log p_\\theta(x)] = 0`` are proved; the log
    dropped, or a function that carries the parameter (``r_\\theta``), is not proved."""
    trick = rf"\nabla_{{{t}}} \mathbb{{E}}_{{{p}}}[{r}({x})] = \mathbb{{E}}_{{{p}}}[{r}({x}) \nabla_{{{t}}} \log {p}({x})]"
    score = rf"\mathbb{{E}}_{{{p}}}[\nabla_{{{t}}} \log {p}({x})] = 0"
    no_log = rf"\nabla_{{{t}}} \mathbb{{E}}_{{{p}}}[{r}({x})] = \mathbb{{E}}_{{{p}}}[{r}({x}) \nabla_{{{t}}} {p}({x})]"
    own = (rf"\nabla_{{{t}}} \mathbb{{E}}_{{{p}}}[{r}_{{{t}}}({x})] = "
           rf"\mathbb{{E}}_{{{p}}}[{r}_{{{t}}}({x}) \nabla_{{{t}}} \log {p}({x})]")
    records = _records(tmp_path, [trick, score, no_log, own], lead=f"Let ${p}$ be a distribution.")
    assert records[trick].verdict == "proved" and "functions of its parameter" in records[trick].reason, records[trick].reason
    assert records[score].verdict == "proved", records[score].reason
    assert records[no_log].verdict != "proved" and records[own].verdict != "proved"



@pytest.mark.parametrize("p, t, x, s", [("p", r"\theta", "x", "s"), ("q", r"\psi", "u", "g"), (r"\pi", "w", "v", "h")])
def test_the_score_has_mean_zero_with_a_gradient_that_names_no_variable(tmp_path, p, t, x, s):
    r"""``\nabla`` without a subscript is the derivative in each quantity it acts on (an ambiguous node); the
    chain holds with ∇ = ∇_θ, which the reason names. A slip in the last line is flagged; one in a middle line
    (a derivative of a density, which only a proof can decide) is not proved and not flagged."""
    density = rf"{p}({x} \vert {t})"
    steps = [rf"\mathbb{{E}}_{{{density}}} \left[ {s}({t}) \right]",
             rf"\mathbb{{E}}_{{{density}}} \left[ \nabla \log {density} \right]",
             rf"\int \nabla \log {density} \, {density} \, d{x}",
             rf"\int \frac{{\nabla {density}}}{{{density}}} {density} \, d{x}",
             rf"\int \nabla {density} \, d{x}",
             rf"\nabla \int {density} \, d{x}", r"\nabla 1", "0"]
    right = " = ".join(steps)
    last_slip = right[:-1] + "1"
    middle_slip = right.replace(rf"{{{density}}} {density} \, d{x}", rf"{{{density}^2}} {density} \, d{x}")
    assert middle_slip != right
    lead = rf"The score is $${s}({t}) = \nabla_{{{t}}} \log {density}$$"
    records = _records(tmp_path, [right, last_slip, middle_slip], lead=lead)
    proved = records[right]
    assert proved.verdict == "proved", proved.reason
    assert all(step["verdict"] == "proved" for step in proved.steps), [step["reason"] for step in proved.steps]
    assert rf"∇ read as ∇_{t}" in proved.reason
    flag = records[last_slip]
    assert flag.verdict == "disagrees" and flag.steps[-1]["verdict"] == "disagrees", flag.reason
    assert [step["verdict"] for step in flag.steps[:-1]] == ["proved"] * (len(steps) - 2)
    middle = records[middle_slip]
    assert middle.verdict == "unchecked", middle.reason
    assert [step["verdict"] for step in middle.steps][2:4] == ["unchecked", "unchecked"], middle.reason


@pytest.mark.parametrize("p, x, z", [("p", "x", "z"), ("r", "u", "h")])
def test_a_log_followed_by_a_density_is_read_both_ways(tmp_path, p, x, z):
    r"""``\log p(x|z) p(z)`` is the log of the product or the log of p(x|z) times p(z): a flag needs both
    readings to differ; an explicit space (``\,``) ends the log's argument, as printed."""
    joined = rf"\sum_{z} \log {p}({x}|{z}) {p}({z}) = \mathbb{{E}}_{{{p}({z})}}[\log {p}({x}|{z})]"
    spaced = rf"\sum_{z} \log {p}({x}|{z}) \, {p}({z}) = \mathbb{{E}}_{{{p}({z})}}[\log {p}({x}|{z})]"
    wrong = rf"\sum_{z} \log {p}({x}|{z}) {p}({z}) = \mathbb{{E}}_{{{p}({z})}}[\log {p}({z}|{x})]"
    records = _records(tmp_path, [joined, spaced, wrong])
    assert records[joined].verdict == "proved" and "the other way" in records[joined].reason, records[joined].reason
    assert records[spaced].verdict == "proved" and "the other way" not in records[spaced].reason
    flag = records[wrong]
    assert flag.verdict == "disagrees", flag.reason
    left, shown_right = (float(v) for v in re.search(r"left = (\S+), right = (\S+)", flag.evidence).groups())
    assert abs(left - shown_right) > 1e-3


@pytest.mark.parametrize("q, p, x", [("q", r"p_\theta", "x"), ("g", r"\pi_\psi", "u")])
def test_an_expectation_with_its_law_set_under_it(tmp_path, q, p, x):
    r"""``\underset{q}{\mathbb{E}}[…]`` is ``\mathbb{E}_{q}[…]``: importance sampling, with the law read, is proved;
    with the weight inverted it is flagged."""
    right = (rf"\sum_{x} {p}({x}) \log {p}({x}) = \underset{{{q}}}{{\mathbb{{E}}}}\left[ \frac{{{p}({x})}}{{{q}({x})}} "
             rf"\log {p}({x}) \right]")
    wrong = right.replace(rf"\frac{{{p}({x})}}{{{q}({x})}}", rf"\frac{{{q}({x})}}{{{p}({x})}}")
    text = f"# Notes\n\nLet ${q}$ and ${p}$ be distributions.\n\n$${right}$$\n\n$${wrong}$$\n"
    displays = [r for r in scan_text(tmp_path, text) if r.lines[0] > 3]  # the two displays, in order
    assert len(displays) == 2 and r"\underset" not in displays[0].text  # the law is read as a subscript
    assert displays[0].verdict == "proved", displays[0].reason
    flag = displays[1]
    assert flag.verdict == "disagrees", flag.reason
    left, shown_right = (float(v) for v in re.search(r"left = (\S+), right = (\S+)", flag.evidence).groups())
    assert abs(left - shown_right) > 1e-3


def _table_and_slopes(evidence: str):
    """The instance's table of a one-variable model and its slopes, from the evidence."""
    cells = {int(v): Fraction(p) for v, p in re.findall(r"\(\w+=(\d+)\)=(\d+/\d+|\d+)", evidence)}
    slopes = {int(c): int(k) for c, k in re.findall(r"(\d+): (-?\d+)", evidence.split("slopes", 1)[1])}
    return cells, slopes


@pytest.mark.parametrize("p, t, x", [(r"p_\theta", r"\theta", "x"), (r"\pi_\psi", r"\psi", "a"), (r"q_w", "w", "z")])
def test_derivatives_in_a_model_parameter_are_judged_on_tables_smooth_in_it(tmp_path, p, t, x):
    r"""A step the rules of probability do not prove is judged on instances whose tables move with the parameter
    (each cell times exp(slope t)); a flag shows the table and the slopes, and the values recompute from them."""
    true = rf"\nabla_{{{t}}} \sum_{x} {p}({x}) \log {p}({x}) = \sum_{x} \nabla_{{{t}}} {p}({x}) \log {p}({x})"
    wrong = rf"\sum_{x} \nabla_{{{t}}} {p}({x}) = \sum_{x} \frac{{\nabla_{{{t}}} {p}({x})}}{{{p}({x})}}"
    spaced = (rf"\frac{{\partial}}{{\partial {t}}} \mathbb{{E}}_{{{p}}}[\log {p}({x})] = "
              rf"\mathbb{{E}}_{{{p}}}[\log {p}({x}) \frac{{\partial}}{{\partial {t}}} \log {p}({x})]")
    records = _records(tmp_path, [true, wrong, spaced], lead=f"Let ${p}$ be a distribution.")
    assert records[true].verdict == "proved", records[true].reason
    # log p times a derivative: read both ways (the log of the product is not a probability statement)
    assert records[spaced].verdict == "proved" and "the other way" in records[spaced].reason, records[spaced].reason
    flag = records[wrong]
    assert flag.verdict == "disagrees", flag.reason
    cells, slopes = _table_and_slopes(flag.evidence)
    mean = sum(cells[c] * slopes[c] for c in cells)
    derivative = {c: cells[c] * (slopes[c] - mean) for c in cells}  # d/dt of the renormalised table at t = 0
    left, right = (float(v) for v in re.search(r"left = (\S+), right = (\S+)", flag.evidence).groups())
    assert abs(left - float(sum(derivative.values()))) < 1e-6
    assert abs(right - float(sum(derivative[c] / cells[c] for c in cells))) < 1e-6
    assert abs(left - right) > 1e-3


@pytest.mark.parametrize("X, x, Y, y", [("X", "x", "Y", "y"), ("U", "u", "V", "v")])
def test_joint_and_conditional_events_inside_one_pair_of_braces(tmp_path, X, x, Y, y):
    r"""``\mathbb{P}(\{X=x, Y=y\})`` is the joint mass function and ``\mathbb{P}(\{X=x | Y=y\})`` the conditional:
    the conditional expectation's tower step is proved, the wrong normaliser flagged with a recomputable instance."""
    tower = (rf"\sum_{{{x}, {y}}} \phi({x}) \mathbb{{P}}(\{{{X}={x} | {Y}={y}\}}) \mathbb{{P}}(\{{{Y}={y}\}}) = "
             rf"\sum_{{{y}}} \mathbb{{E}}(\phi({X}) | {Y}={y}) \mathbb{{P}}(\{{{Y}={y}\}})")
    wrong = (rf"\mathbb{{P}}(\{{{X}={x} | {Y}={y}\}}) = "
             rf"\frac{{\mathbb{{P}}(\{{{X}={x}, {Y}={y}\}})}}{{\mathbb{{P}}(\{{{X}={x}\}})}}")
    records = _records(tmp_path, [tower, wrong], lead=f"For discrete ${X}$ and ${Y}$:")
    assert records[tower].verdict == "proved", records[tower].reason
    flag = records[wrong]
    assert flag.verdict == "disagrees", flag.reason
    cells = {tuple(int(v) for v in key): Fraction(p) for *key, p in
             re.findall(rf"p\({x}=(\d+), {y}=(\d+)\)=(\d+/\d+)", flag.evidence)}
    at_x, at_y = (int(v) for v in re.search(rf"at {x}=(\d+), {y}=(\d+)", flag.evidence).groups())
    joint = cells[(at_x, at_y)]
    given_y = joint / sum(p for (a, b), p in cells.items() if b == at_y)
    over_x = joint / sum(p for (a, b), p in cells.items() if a == at_x)
    left, right = (float(v) for v in re.search(r"left = (\S+), right = (\S+)", flag.evidence).groups())
    assert abs(left - float(given_y)) < 1e-6 and abs(right - float(over_x)) < 1e-6 and abs(left - right) > 1e-3


@pytest.mark.parametrize("q, z, lam, p, x", [("q", "z", r"\lambda", "p", "x"), ("r", "v", r"\eta", r"\pi", "u")])
def test_a_condition_the_statement_differentiates_by_is_the_models_parameter(tmp_path, q, z, lam, p, x):
    r"""``\partial_\lambda \mathbb{E}_{q(z|\lambda)}[…]``: λ after the bar and differentiated is q's parameter (no letter
    decides it). The score-function identity and a constant baseline are proved; the derivative moved inside an
    expectation whose law depends on λ is not proved (it holds only when x and z are independent: not flagged)."""
    score = (rf"\frac{{\partial}}{{\partial {lam}}} \mathbb{{E}}_{{{q}({z}|{lam})}}[g({z})] = "
             rf"\mathbb{{E}}_{{{q}({z}|{lam})}}\left[g({z}) \frac{{\partial}}{{\partial {lam}}} \log {q}({z}|{lam})\right]")
    baseline = (rf"\mathbb{{E}}_{{{q}({z}|{lam})}}\left[\frac{{\partial}}{{\partial {lam}}} \log {q}({z}|{lam}) "
                rf"\left( \log {p}({x}|{z}) - C \right)\right] = \mathbb{{E}}_{{{q}({z}|{lam})}}\left[\frac{{\partial}}"
                rf"{{\partial {lam}}} \log {q}({z}|{lam}) \log {p}({x}|{z})\right]")
    inside = (rf"\frac{{\partial}}{{\partial {lam}}} \mathbb{{E}}_{{{q}({z}|{lam})}}[\log {p}({x}|{z})] = "
              rf"\mathbb{{E}}_{{{q}({z}|{lam})}}\left[\frac{{\partial}}{{\partial {lam}}} \log {p}({x}|{z})\right]")
    records = _records(tmp_path, [score, baseline, inside], lead=f"Let ${q}({z}|{lam})$ be the variational family.")
    for proved in (score, baseline):
        assert records[proved].verdict == "proved", records[proved].reason
        assert f"functions of its parameter {lam}" in records[proved].reason
    assert records[inside].verdict != "proved", records[inside].reason


@pytest.mark.parametrize("r, s, v, u", [("r", "s", "v", "u"), ("q", "p", "z", "x")])
def test_bare_density_names_elsewhere_in_a_chain_do_not_unflag_a_wrong_step(tmp_path, r, s, v, u):
    r"""``F(r, s)`` uses the names bare, so ``r(v)`` may also read as r times v: that reading is no probability
    statement, and the step read as densities stays flagged (a stray factor r(v) inside the bracket)."""
    chain = (rf"D_{{KL}}({r}({v}) \| {s}({v}|{u})) = \sum_{v} {r}({v}) \log \frac{{{r}({v}) {s}({u})}}{{{s}({v}, {u})}} = "
             rf"\sum_{v} {r}({v}) \left( \log {s}({u}) - {r}({v}) \log \frac{{{s}({v}, {u})}}{{{r}({v})}} \right) = F({r}, {s})")
    record = _records(tmp_path, [chain], lead="A bound.")[chain]
    assert record.verdict == "disagrees", record.reason
    assert [step["verdict"] for step in record.steps][1] == "disagrees"
    left, shown_right = (float(x) for x in re.search(r"left = (\S+), right = (\S+)", record.evidence).groups())
    assert abs(left - shown_right) > 1e-3


@pytest.mark.parametrize("p, x, t", [("p", "x", r"\theta"), ("q", "z", r"\lambda"), (r"\pi", "a", r"\psi")])
def test_a_gradient_moves_into_an_expectation_whose_law_does_not_depend_on_it(tmp_path, p, x, t):
    r"""E is linear, not a function of a number: d/dλ' E_{p(x|λ)}[g] = E_{p(x|λ)}[dg/dλ'] when the law does not
    name λ' (it was differentiated as f(g) by the chain rule, a meaningless Subs). The natural-gradient chain --
    the gradient of KL[p(x|λ) ‖ p(x|λ')] in the second parameter -- is proved in any letters; a planted second
    law in the parameter is flagged, and the dropped minus sign (which holds where λ' = λ, where the gradient of a
    family is usually meant) is a notice, never a flag; a dropped log, wrong also where λ' = λ, is flagged."""
    s = f"{t}'"
    kl = rf"\nabla_{{{s}}} \mathrm{{KL}}[{p}({x} \mid {t}) \, \Vert \, {p}({x} \mid {s})]"
    split = (rf"\nabla_{{{s}}} \mathbb{{E}}_{{{p}({x} \mid {t})}}[\log {p}({x} \mid {t})] - "
             rf"\nabla_{{{s}}} \mathbb{{E}}_{{{p}({x} \mid {t})}}[\log {p}({x} \mid {s})]")
    inside = rf"- \mathbb{{E}}_{{{p}({x} \mid {t})}}[\nabla_{{{s}}} \log {p}({x} \mid {s})]"
    chain = f"{kl} = {split} = {inside}"
    no_log = (rf"\nabla_{{{s}}} \mathbb{{E}}_{{{p}({x} \mid {t})}}[\log {p}({x} \mid {s})] = "
              rf"\mathbb{{E}}_{{{p}({x} \mid {t})}}[\nabla_{{{s}}} {p}({x} \mid {s})]")
    sign = rf"{kl} = {inside[2:]}"
    records = _records(tmp_path, [chain, no_log, sign], lead=f"A family ${p}({x} \\mid {t})$.")
    assert records[chain].verdict == "proved", records[chain].reason
    assert [step["verdict"] for step in records[chain].steps] == ["proved", "proved"]
    flag = records[no_log]
    assert flag.verdict == "disagrees", flag.reason
    left, right = (float(v) for v in re.search(r"left = (\S+), right = (\S+)", flag.evidence).groups())
    assert abs(left - right) > 1e-3
    notice = records[sign]
    assert notice.verdict == "unchecked" and "two parameters are equal" in notice.reason, notice.reason


@pytest.mark.parametrize("p, z, x, w", [("p", "z", "x", "w"), ("q", "h", "v", r"\beta")])
def test_a_derivative_moved_past_a_law_in_its_parameter_is_flagged_unless_the_text_holds_it_fixed(tmp_path, p, z, x, w):
    r"""d/dw Σ_z p(z|x,w) log p(x,z|w) = Σ_z p(z|x,w) d/dw log p(x,z|w) drops the derivative of the law: flagged, with
    an instance whose values differ; after "treat p(z|x,w) as fixed" (the EM gradient) it is the lecture's assumption."""
    step = (rf"\frac{{d}}{{d{w}}}\sum_{{{z}}} {p}({z}|{x},{w}) \log {p}({x},{z}|{w}) = "
            rf"\sum_{{{z}}} {p}({z}|{x},{w}) \frac{{d}}{{d{w}}}\log {p}({x},{z}|{w})")
    flagged = _records(tmp_path, [step], lead="The gradient, computed directly:")[step]
    assert flagged.verdict == "disagrees", flagged.reason
    left, right = (float(v) for v in re.search(r"left = (\S+), right = (\S+)", flagged.evidence).groups())
    assert abs(left - right) > 1e-3
    held = _records(tmp_path, [step], lead=f"The weight gradient (treat ${p}({z}|{x},{w})$ as fixed):")[step]
    assert held.verdict == "unchecked" and "holds a quantity fixed" in held.reason, held.reason
