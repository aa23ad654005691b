r"""False-alarm shapes of issue 42, each with its must-flag twin (scan/statements.py, scan/scope.py, core/latex.py):
a condition on one unknown vector, a superscript that is an upper index, two numbers side by side. Every
document is written here."""

from __future__ import annotations

import pytest

from scanning import scan_text

VECTOR = "# V\n\nLet $\\mathbf{v} \\in \\mathbb{R}^n$ be a vector.\n\n"


def _verdicts(tmp_path, text: str) -> dict:
    return {r.text.strip(): r.verdict for r in scan_text(tmp_path, text)}


@pytest.mark.parametrize("condition", [r"{\left\|\mathbf{v}\right\|} = 1", r"\mathbf{v}^\top \mathbf{v} = 1"])
def test_an_equation_in_one_unknown_vector_is_a_condition_and_a_wrong_identity_is_not(tmp_path, condition):
    found = _verdicts(tmp_path, VECTOR + f"$${condition}$$\n\n$$\\|2\\mathbf{{v}}\\| = \\|\\mathbf{{v}}\\|$$\n")
    assert found[condition] == "unchecked"
    assert found[r"\|2\mathbf{v}\| = \|\mathbf{v}\|"] == "disagrees"  # the twin: an identity about v, wrong


def test_a_superscript_that_is_an_upper_index_is_not_read_as_a_power(tmp_path):
    claim = r"x^1 \cdot x^2 = x^4"
    indices = "# C\n\nIn coordinates $\\langle v, w \\rangle = \\sum_i v^i w^i$ and $x = (x^1, \\dots, x^n)$.\n\n"
    assert _verdicts(tmp_path, indices + f"$${claim}$$\n")[claim] == "unchecked"
    assert _verdicts(tmp_path, f"# P\n\nPowers of $x$:\n\n$${claim}$$\n")[claim] == "disagrees"  # the twin


def test_two_numbers_side_by_side_are_a_list_not_a_product(tmp_path):
    found = _verdicts(tmp_path, "# L\n\nThe labels are one-hot: $1 = [1 \\; 0]$ and $2 = [0 \\quad 1]$.\n\n"
                                "A slip: $1 = [1 \\cdot 0]$.\n")
    assert found[r"1 = [1 \; 0]"] == "unchecked" and found[r"2 = [0 \quad 1]"] == "unchecked"
    assert found[r"1 = [1 \cdot 0]"] == "disagrees"  # the twin: a product written as one


def test_a_font_written_twice_is_the_same_name(tmp_path):
    right = (r"- \| g(\mathbf{x}) - \mathbf{c} \|^2 = -g(\mathbf{\mathbf{x}})^{\top} g(\mathbf{x}) + "
             r"2 \mathbf{c}^{\top} g(\mathbf{x}) - \mathbf{c}^{\top} \mathbf{c}")
    found = [r.to_json() for r in scan_text(tmp_path, f"# N\n\n$${right}$$\n")]
    assert found[0]["evidence_level"] == "holds on instances", found  # \mathbf{\mathbf{x}} is \mathbf{x}
    scalar = r"- (g(x) - c)^2 = -g(x)^2 + c g(x) - c^2"  # the twin in scalars: a factor 2 dropped
    assert _verdicts(tmp_path, f"# N\n\n$${scalar}$$\n")[scalar] == "disagrees"


def test_a_statement_under_a_stated_condition_is_not_flagged(tmp_path):
    """"When λ = 0 ..." -- the condition is in force for the statement it introduces: proved with it, and
    the reason says it is a condition; the same statement for every λ is wrong."""
    claim = r"L(w) + \lambda w^2 = L(w)"
    [record] = [r for r in scan_text(tmp_path, f"# R\n\nWhen $\\lambda = 0$ the penalty vanishes:\n\n$${claim}$$\n")
                if r.text.strip() == claim]
    assert record.verdict == "proved" and "a condition stated there" in record.reason, record.reason
    twin = _verdicts(tmp_path, f"# R\n\nFor every $\\lambda$ the penalty vanishes:\n\n$${claim}$$\n")
    assert twin[claim] == "disagrees"


@pytest.mark.parametrize("theta, mu", [(r"\theta", r"\mu"), (r"\eta", r"m")])
def test_a_parameter_the_document_equated_is_used_and_a_slip_through_it_is_flagged(tmp_path, theta, mu):
    """The document sets θ = μ; ½θ² = ½μ² then holds with it (no false alarm), and ½θ² = ¼μ² is
    flagged with the definition named -- in any letters."""
    lead = f"# E\n\nFor unit variance the natural parameter is the mean, ${theta} = {mu}$, and\n\n"
    right = rf"A({theta}) = \frac{{1}}{{2}}{theta}^2 = \frac{{1}}{{2}}{mu}^2"
    [record] = [r for r in scan_text(tmp_path, lead + f"$${right}$$\n") if r.text.strip() == right]
    assert record.verdict == "proved" and f"{theta} = {mu}" in record.reason, record.reason
    wrong = right.replace(r"\frac{1}{2}" + mu, r"\frac{1}{4}" + mu)
    [flag] = [r for r in scan_text(tmp_path, lead + f"$${wrong}$$\n") if r.text.strip() == wrong]
    assert flag.verdict == "disagrees" and f"{theta} = {mu}" in flag.reason, flag.reason


def test_an_equivalence_class_is_notation_and_a_bracket_used_for_grouping_is_read(tmp_path):
    """``[θ] = [θ + 2π]`` (classes of angles) is not an equation between numbers; a bracket inside a
    side groups, and a slip there is flagged."""
    classes = r"[\theta] = [\theta + 2\pi]"
    assert _verdicts(tmp_path, f"# A\n\nAngles up to full turns:\n\n$${classes}$$\n")[classes] == "unchecked"
    grouped = r"2[\theta + \pi] = 2\theta + \pi"
    assert _verdicts(tmp_path, f"# A\n\nScaling:\n\n$${grouped}$$\n")[grouped] == "disagrees"


@pytest.mark.parametrize("model, prior, m, d", [("p", r"\pi", "M", "D"), ("P", "g", r"\theta", "x")])
def test_a_prior_written_with_its_own_letter_is_the_models_marginal(tmp_path, model, prior, m, d):
    """"a prior probability π(M)": Bayes' rule and the sum rule written with π(M) are about one
    distribution (π(M) its marginal), not two -- proved, never flagged; the sum rule with the
    conditional turned round is flagged; π applied to two different arguments is not read as the prior."""
    lead = f"# B\n\nEach ${m}$ has a prior probability ${prior}({m})$ and a likelihood ${model}({d} \\mid {m})$.\n\n"
    bayes = rf"{model}({m} \mid {d}) = \frac{{{model}({d} \mid {m})\, {prior}({m})}}{{{model}({d})}}"
    total = rf"{model}({d}) = \sum_{{{m}}} {model}({d} \mid {m})\, {prior}({m})"
    turned = rf"{model}({d}) = \sum_{{{m}}} {model}({m} \mid {d})\, {prior}({m})"
    mixed = rf"{model}({m} \mid {d}) = \frac{{{model}({d} \mid {m})\, {prior}({m})}}{{{prior}({d})}}"
    records = {r.text.strip(): r for r in scan_text(tmp_path, lead + "".join(
        f"$${s}$$\n\n" for s in (bayes, total, turned, mixed)))}
    assert records[bayes].verdict == "proved" and "prior" in records[bayes].reason, records[bayes].reason
    assert records[total].verdict == "proved"
    assert records[turned].verdict == "disagrees" and "prior" in records[turned].reason
    assert records[mixed].verdict != "proved"


def test_a_definition_in_matrix_algebra_makes_no_flag_read_as_numbers(tmp_path):
    """X = UDV^T above XV = UD (V orthogonal): read as numbers the step differs, but the definition
    transposes capitals that may be matrices -- no flag. The twin, a definition of numbers, is flagged."""
    matrices = _verdicts(tmp_path, "# S\n\nThe SVD $X = UDV^{\\top}$ has orthogonal $V$.\n\nThen\n\n$$XV = UD$$\n")
    assert matrices["XV = UD"] == "unchecked"
    numbers = _verdicts(tmp_path, "# S\n\nThe product $x = u d w$ of three numbers.\n\nThen\n\n$$x w = u d$$\n")
    assert numbers["x w = u d"] == "disagrees"
