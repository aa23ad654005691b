"""``scan`` classifies a statement before it judges it, and states the row's verdict by one set of
rules (derivspec/scan/classify.py, verdicts.py, letters.py; issue 23).

Each false-alarm cause counted on other authors' lectures has a must-not-flag document here and,
beside it, a twin the scanner must still flag or prove. Every document is written for the test.
"""

from __future__ import annotations

import pytest

from derivspec.scan.classify import (CLASSES, JUDGED, Classification, classify_statement, condition_of_clause,
                                     document_algorithms)
from derivspec.scan.letters import document_letters
from derivspec.scan.runner import scan_path
from scanning import scan_text


def _records(tmp_path, text: str, name: str = "doc.md"):
    return scan_text(tmp_path, text, name, known=False)


def _at(tmp_path, text: str, line: int, name: str = "doc.md"):
    (record,) = [r for r in _records(tmp_path, text, name) if r.lines[0] == line]
    return record


# --- classification ---------------------------------------------------------------------------


def test_a_property_assumed_is_not_judged_and_its_twin_is():
    assumed = classify_statement((5, 5), "A projection matrix satisfies", chain=False)
    assert assumed == Classification("property", assumed.why) and not assumed.judged
    assert classify_statement((5, 5), "Expanding the square gives", chain=False) is None
    assert classify_statement((5, 5), "Suppose that", chain=True) is None  # a derivation after "suppose" is judged


def test_the_lead_in_sentence_decides_not_the_paragraph():
    """'zero' earlier in the paragraph does not make the displayed equation a condition."""
    prose = "The product approaches zero. Taking logarithms, we maximise the log-likelihood:"
    assert condition_of_clause("", "", False, prose) == ""
    assert condition_of_clause("", "", False, "Setting the gradient to zero,") != ""


def test_algorithm_lines_are_assignments():
    text = ("Intro\n\\begin{algorithmic}\n\\State $t = t + 1$\n\\State $w = w - \\eta g$\n\\end{algorithmic}\n"
            "After\n\\State $x = 0$\n")
    lines = document_algorithms(text)
    assert {2, 3, 4, 5, 7} <= lines and 1 not in lines and 6 not in lines
    found = classify_statement((3, 3), "", chain=False, algorithms=lines)
    assert found.name == "assignment" and not found.judged


def test_the_classes_are_named_once():
    assert set(JUDGED) < set(CLASSES) and len(set(CLASSES)) == len(CLASSES)


def test_every_record_says_its_class(tmp_path):
    records = _records(tmp_path, "# N\n\n$$ (a+b)^2 = a^2 + 2ab + b^2 $$\n\n$$ a \\le a + 1 $$\n\nLet $c = a + b$.\n")
    assert [r.category for r in records] == ["identity", "inequality", "definition"]
    assert all(r.to_json()["class"] in CLASSES for r in records)


# --- the causes, each with its twin -----------------------------------------------------------


def test_a_defining_property_is_not_flagged_and_a_wrong_expansion_is(tmp_path):
    text = ("# P\n\nA projection matrix satisfies\n\n$$ P^2 = P $$\n\n"
            "Expanding the square,\n\n$$ (p + q)^2 = p^2 + q^2 $$\n")
    assert _at(tmp_path, text, 5).verdict == "unchecked" and _at(tmp_path, text, 5).category == "property"
    assert _at(tmp_path, text, 9).verdict == "disagrees"


def test_an_update_in_an_algorithm_is_not_flagged_and_the_same_algebra_outside_is(tmp_path):
    text = ("\\begin{algorithmic}\n\\State $s = (a + 1)^2 - a^2 - 1$\n\\end{algorithmic}\n\n"
            "We check $$ (a + 1)^2 - a^2 - 1 = a $$\n")
    records = {r.lines[0]: r for r in _records(tmp_path, text, "alg.tex")}
    assert records[2].verdict == "unchecked" and records[2].category == "assignment"
    assert records[5].verdict == "disagrees"


def test_a_numbered_procedure_step_is_an_assignment(tmp_path):
    text = "# Training\n\n1. Sample $x_0$ from the data.\n2. Set $x = 2 x_0 + 1$ and repeat.\n"
    assert all(r.verdict != "disagrees" for r in _records(tmp_path, text))


def test_sigma_is_the_sigmoid_only_where_the_document_says_so(tmp_path):
    schedule = "# SDE\n\nThe noise schedule $\\sigma(t)$ grows with $t$:\n\n$$ \\sigma(0) = \\frac{1}{3} $$\n"
    assert _at(tmp_path, schedule, 5).verdict != "disagrees"
    assert _at(tmp_path, schedule.replace("1}{3", "1}{2"), 5).verdict != "proved"
    sigmoid = "# Logistic\n\nThe sigmoid $\\sigma$ squashes:\n\n$$ \\sigma(0) = \\frac{1}{3} $$\n"
    assert _at(tmp_path, sigmoid, 5).verdict == "disagrees"  # the twin: a real slip about the sigmoid
    assert _at(tmp_path, sigmoid.replace("1}{3", "1}{2"), 5).verdict == "proved"


def test_pi_as_a_mixing_weight_is_a_variable_and_2_pi_stays_the_constant(tmp_path):
    assert document_letters("the mixing weight $\\pi$ of the first component") == {r"\pi", r"\sigma"}
    assert r"\pi" not in document_letters("$\\pi_k$ and $\\boldsymbol{\\pi}$ and $\\frac{1}{\\sqrt{2\\pi}}$")
    weight = ("# Mixture\n\nWith mixing weight $\\pi$, the mean is\n\n$$ \\pi \\cdot 4 + (1 - \\pi) \\cdot 2 = 3.14 \\cdot 2 + 2 $$\n\n"
              "$$ \\frac{1}{\\sqrt{2\\pi}} = 0.5 $$\n")
    assert _at(tmp_path, weight, 5).verdict != "disagrees" or "3.14" not in _at(tmp_path, weight, 5).evidence
    assert _at(tmp_path, weight, 5).verdict != "proved"  # π = 3.14159 is not how this document uses π
    assert _at(tmp_path, weight, 7).verdict == "disagrees"  # the twin: 2π is the constant, 1/√(2π) ≈ 0.399


def test_e_as_an_edge_index_is_a_variable_and_e_to_a_power_stays_euler(tmp_path):
    assert "e" in document_letters(r"$\sum_{e \in E} w_e$")
    edges = "# Graphs\n\nFor every edge $e \\in E$, $$ 2 e = e + e $$\n\n$$ e^{0} = 2 $$\n"
    records = {r.lines[0]: r for r in _records(tmp_path, edges)}
    assert records[3].verdict == "proved" and records[5].verdict == "disagrees"


def test_lg_is_not_read_as_a_natural_log(tmp_path):
    text = "# Bits\n\n$$ \\lg 8 = 3 $$\n\n$$ \\log_2 8 = 4 $$\n"
    records = {r.lines[0]: r for r in _records(tmp_path, text)}
    assert records[3].verdict == "unchecked" and "base 2 or to base 10" in records[3].reason
    assert records[5].verdict == "disagrees"  # the twin with an explicit base


def test_superscript_labels_are_names_not_powers(tmp_path):
    text = ("# Data\n\n$$ x^{(i)} + x^{(j)} = x^{(j)} + x^{(i)} $$\n\n$$ (x^{(i)})^2 = x^{(i)} x^{(i)} $$\n\n"
            "$$ x^{(2)} = x \\cdot x $$\n\n$$ (x^{(i)} + 1)^2 = (x^{(i)})^2 + 1 $$\n")
    records = {r.lines[0]: r for r in _records(tmp_path, text)}
    assert records[3].verdict == "proved" and records[5].verdict == "proved"
    assert records[7].verdict != "disagrees" and records[7].verdict != "proved"  # x^{(2)} is the second example
    assert records[9].verdict == "disagrees"  # the twin: a real slip about a labelled name


def test_big_o_is_not_an_exact_term(tmp_path):
    text = "# Taylor\n\n$$ e^x = 1 + x + \\frac{x^2}{2} + O(x^3) $$\n\n$$ e^x = 1 + x + \\frac{x^2}{2} $$\n"
    records = {r.lines[0]: r for r in _records(tmp_path, text)}
    assert records[3].verdict == "unchecked"
    assert records[5].verdict == "disagrees"  # the twin without O(·) is a false identity


def test_colour_markup_is_read_through(tmp_path):
    text = ("# C\n\n$$ \\color{red}{(a+b)^2} = a^2 + 2ab + b^2 $$\n\n"
            "$$ \\textcolor{blue}{(a+b)^2} = a^2 + ab + b^2 $$\n")
    records = {r.lines[0]: r for r in _records(tmp_path, text)}
    assert records[3].verdict == "proved" and records[5].verdict == "disagrees"


def test_a_prime_is_the_derivative_when_the_function_stands_beside_it(tmp_path):
    text = ("# SDE\n\nThe noise schedule $\\sigma(t)$:\n\n$$ \\frac{d}{dt} \\sigma(t)^2 = 2 \\sigma(t) \\sigma'(t) $$\n\n"
            "$$ \\frac{d}{dt} \\sigma(t)^2 = \\sigma(t) \\sigma'(t) = \\sigma'(t) \\sigma(t) $$\n")
    records = {r.lines[0]: r for r in _records(tmp_path, text)}
    assert records[5].verdict == "proved" and records[7].verdict == "disagrees"


# --- the DDPM posterior as the tutorials write it ----------------------------------------------

DDPM = r"""# Posterior

Let $\alpha_t = 1 - \beta_t$ and $\bar\alpha_t = \prod_{i=1}^t \alpha_i$. The posterior variance is

$$ \tilde\beta_t = \frac{1 - \bar\alpha_{t-1}}{1 - \bar\alpha_t} \beta_t $$

since

$$ \frac{1}{\tilde\beta_t} = \frac{\alpha_t}{\beta_t} + \frac{1}{1 - \bar\alpha_{t-1}} = \frac{\alpha_t - \bar\alpha_t + \beta_t}{\beta_t (1 - \bar\alpha_{t-1})} = \frac{1 - \bar\alpha_t}{\beta_t(1 - \bar\alpha_{t-1})} $$

and the posterior mean is

$$ \tilde\mu_t = \left(\frac{\sqrt{\alpha_t}}{\beta_t} x_t + \frac{\sqrt{\bar\alpha_{t-1}}}{1 - \bar\alpha_{t-1}} x_0\right) \tilde\beta_t = \frac{\sqrt{\alpha_t}(1 - \bar\alpha_{t-1})}{1 - \bar\alpha_t} x_t + \frac{\sqrt{\bar\alpha_{t-1}}\beta_t}{1 - \bar\alpha_t} x_0 $$
"""


def test_the_ddpm_posterior_derivation_is_proved_not_flagged(tmp_path):
    path = tmp_path / "ddpm.md"
    path.write_text(DDPM, encoding="utf-8")
    records = {r.lines[0]: r for r in scan_path(path, workers=0, sources=False)}
    assert [records[line].verdict for line in (5, 9, 13)] == ["proved", "proved", "proved"], \
        [(records[line].text[:40], records[line].reason) for line in (5, 9, 13)]
    assert "line 5" in records[13].reason or "posterior" in records[13].reason


def test_a_slip_in_the_ddpm_posterior_is_still_flagged(tmp_path):
    path = tmp_path / "ddpm.md"
    path.write_text(DDPM.replace(r"\frac{\sqrt{\bar\alpha_{t-1}}\beta_t}{1 - \bar\alpha_t} x_0 $$",
                                 r"\frac{\sqrt{\bar\alpha_{t}}\beta_t}{1 - \bar\alpha_t} x_0 $$"), encoding="utf-8")
    records = {r.lines[0]: r for r in scan_path(path, workers=0, sources=False)}
    assert records[13].verdict == "disagrees"


# --- the row rules ------------------------------------------------------------------------------


@pytest.mark.parametrize("math, verdict", [
    (r"\mathrm{KL}(p \| q) = 0.5 - 0.8 = -0.3", "unchecked"),  # arithmetic only: the KL is not checked
    (r"E[X] = 2 \cdot 0.5 + 0 \cdot 0.5 = 1", "unchecked"),
    (r"f = (a+1)^2 = a^2 + 2a + 1", "proved"),  # a defined name, a proved derivation
    (r"f = (a+1)^2 = a^2 + 2a", "disagrees"),
])
def test_a_row_is_as_strong_as_its_main_relation(tmp_path, math, verdict):
    (record,) = _records(tmp_path, f"# R\n\n$$ {math} $$\n")
    assert record.verdict == verdict, record.reason
    if verdict == "unchecked":
        assert record.reason.startswith("arithmetic only")


def test_a_definition_restated_is_not_a_proof(tmp_path):
    text = ("# D\n\nwhere $s = a^2 + b$.\n\nLater:\n\n$$ s = a^2 + b $$\n")
    record = _at(tmp_path, text, 7)
    assert record.verdict != "proved", record.reason


# --- sums with a closed form ---------------------------------------------------------------------


def test_a_sum_with_a_closed_form_is_summed_exactly(tmp_path):
    """A sum over a huge numeric range is never evaluated at a random value of itself (it once
    flagged Σ_{i ≤ 10^12} i = 10^12 (10^12 + 1)/2); SymPy's exact summation proves it, and a
    wrong closed form is flagged."""
    text = ("# S\n\n$$ \\sum_{i=1}^{10^{12}} i = \\frac{10^{12}(10^{12}+1)}{2} $$\n\n"
            "$$ \\sum_{i=1}^{n} i^2 = \\frac{n(n+1)(2n+1)}{6} $$\n\n$$ \\sum_{i=1}^{n} i = \\frac{n^2}{2} $$\n\n"
            "$$ \\sum_{i=1}^{n} x_i = n \\bar x $$\n")
    verdicts = {r.lines[0]: r.verdict for r in _records(tmp_path, text)}
    assert verdicts == {3: "proved", 5: "proved", 7: "disagrees", 9: "unchecked"}


def test_an_increment_is_neither_proved_nor_flagged_as_a_product(tmp_path):
    """Δx^2 is (Δx)^2 to most authors and Δ·x^2 to a literal reader: a step that depends on which
    is never flagged (a false alarm found on the held-out half) nor proved; without Δ the same
    algebra is judged."""
    text = ("# FD\n\n$$ s = \\left( \\frac{a - b}{\\Delta x} \\right) \\frac{1}{\\Delta x} = \\frac{a - b}{\\Delta x^2} $$\n\n"
            "$$ s = \\left( \\frac{a - b}{h} \\right) \\frac{1}{h} = \\frac{a - b}{h} $$\n")
    verdicts = {r.lines[0]: r.verdict for r in _records(tmp_path, text)}
    assert verdicts == {3: "unchecked", 5: "disagrees"}


def test_a_bound_after_choosing_a_value_is_not_flagged_but_a_wrong_bound_is(tmp_path):
    """'Plugging λ* back in': the next side of an inequality chain no longer has λ -- a value was
    chosen, so the step is not about every λ (a false alarm on the development half)."""
    bound = r"$$ m \le \frac{a}{\lambda} + \lambda b \le \frac{\sqrt{ab}}{2} $$"  # false for every λ: 2√(ab) is the least
    chosen = f"The tightest bound is at $\\lambda^* = \\sqrt{{2a/b}}$. Plugging it in,\n\n{bound}"
    verdicts = {r.lines[0]: r.verdict for r in _records(tmp_path, f"# B\n\n{chosen}\n\nIn another note:\n\n{bound}\n")}
    assert verdicts[5] != "disagrees" and verdicts[9] == "disagrees"


def test_physics_macros_and_elided_sums_are_read(tmp_path):
    """\\pdv{x} and \\dv{t} alone are operators, \\dd{z} a differential (physics-package conventions
    a course site defines outside the file); x_1 + … + x_n is one opaque quantity."""
    text = ("# V\n\n$$ \\dv{t} t^3 = 3 t^2 $$\n\n$$ \\dv{t} t^3 = 2 t^2 $$\n\n"
            "$$ p(x) = \\int p(x, z) \\dd{z} $$\n\n$$ S = x_1 + x_2 + \\dots + x_n $$\n")
    records = {r.lines[0]: r for r in _records(tmp_path, text)}
    assert records[3].verdict == "proved" and records[5].verdict == "disagrees"
    assert "not read" not in records[7].reason and "not read" not in records[9].reason
    assert records[9].category == "definition"


def test_a_range_stated_for_a_variable_is_a_condition(tmp_path):
    """``c \\ge 0``, ``0 < \\alpha < 1/L``: a variable's range, assumed -- not evidence, not a claim; a
    claim about the name itself (``a \\le a + 1``) and the later steps of a bound are judged."""
    text = ("# R\n\n$$ c \\ge 0 $$\n\n$$ 0 < \\alpha < 1/L $$\n\n$$ a \\le a + 1 $$\n\n$$ m \\le a + b \\le a $$\n")
    records = {r.lines[0]: r for r in _records(tmp_path, text)}
    assert records[3].category == "condition" and records[5].category == "condition"
    assert records[7].category == "inequality" and records[9].verdict == "disagrees"


def test_an_indicator_or_a_ones_vector_is_not_the_number_one(tmp_path):
    """``\\mathbb{1}_{A}`` is an indicator and ``\\mathbf{1}`` a vector of ones: names of their own.
    Read as the number 1, ``\\mathbf{1}^\\top \\mathbf{1} = n`` would be the false 1 = n."""
    text = ("# I\n\n$$ X = \\mathbb{1}_{E_1} + \\mathbb{1}_{E_2} $$\n\n$$ \\mathbf{1}^\\top \\mathbf{1} = n $$\n\n"
            "$$ \\mathbb{1}_{A} + \\mathbb{1}_{A} = 2 \\mathbb{1}_{A} $$\n")
    records = {r.lines[0]: r for r in _records(tmp_path, text)}
    assert records[3].category == "definition" and "not read" not in records[3].reason
    assert records[5].verdict != "disagrees" and records[7].verdict == "proved"


def test_scripts_in_either_order_and_a_macro_s_braced_differential(tmp_path):
    r"""``\sigma^{-1}_{j}`` is ``\sigma_{j}^{-1}``; ``{\,dz}`` (a preamble's ``\dd``) ends an integral;
    ``\frac{d}{dt}`` keeps its denominator."""
    from derivspec.scan.steps import normalise_side

    assert normalise_side(r"\prod_{j=1}^{M}\sigma^{-1}_{j}") == r"\prod_{j=1}^{M}\sigma_{j}^{-1}"
    assert normalise_side(r"\frac{d}{dt} t^3") == r"\frac{d}{dt} t^3"
    records = {r.lines[0]: r for r in _records(tmp_path, "# D\n\n$$ s = \\int q(z) g(z) {\\,dz } $$\n\n"
                                                        "$$ a^{2}_{i} + a_i^2 = 2 a_{i}^{2} $$\n")}
    assert "not read" not in records[3].reason and records[5].verdict == "proved"


def test_a_known_result_read_by_its_structure_is_classed_a_known_result(tmp_path):
    # the record took its decisive step's own category, which a structure recogniser leaves empty: the statement's
    # class was None (the step's was "known result"), and the planted benchmarks skipped such statements
    from scanning import scan_text

    text = ("# GAN\n\nFor a fixed generator with density $p_g$, the best discriminator is\n\n"
            "$$D^*(x) = \\frac{p_{data}(x)}{p_{data}(x) + p_g(x)}$$\n")
    (record,) = [r for r in scan_text(tmp_path, text) if r.lines[0] == 5]
    assert record.verdict == "proved" and record.claim == "gan.discriminator.optimal"
    assert record.to_json()["class"] == "known result" == record.steps[0]["class"]
