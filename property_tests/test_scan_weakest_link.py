r"""A row is as strong as its weakest step (issue 56; DESIGN.md, "Scan", verdict rules).

The order of strength, weakest first: a flagged step (disagrees), an unchecked step, a step that holds on
instances, a proved step; a definition of a new name is neutral. Every aggregation follows it: the relations
of one statement, a derivation continued over several displays, and every view of a row (JSON, text, SARIF,
HTML). The documents are our own text; the property test at the end scans generated chains end to end.
"""

from __future__ import annotations

import itertools
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from derivspec.app.cli import main
from derivspec.scan.verdicts import STRENGTH
from scanning import scan_text

DISTRIBUTIONS = "Let $p$ and $q$ be distributions on a finite set.\n\n"
RESTRICTED_CHAIN = r"$$ \sum_{x:p(x)>0} q(x) = \sum_x q(x) = 1 $$"


def one(records, line: int | None = None):
    found = [r for r in records if line is None or r.lines[0] == line]
    assert len(found) == 1, [(r.lines, r.text) for r in records]
    return found[0].to_json()


def test_a_chain_with_an_unchecked_first_step_is_not_proved(tmp_path):
    row = one(scan_text(tmp_path, DISTRIBUTIONS + RESTRICTED_CHAIN))
    assert row["verdict"] == "unchecked" and row["evidence_level"] == "unchecked"
    first, second = row["steps"]
    assert first["evidence_level"] == "unchecked" and first["class"] != "definition"
    assert "p(x=0) = 0" in first["evidence"]  # the instance it fails on, kept with the step
    assert second["evidence_level"] == "proved"
    assert "1 of 2 steps proved" in row["reason"]


def test_the_same_chain_without_the_restricted_sum_is_proved(tmp_path):  # the twin: every step proved
    row = one(scan_text(tmp_path, DISTRIBUTIONS + r"$$ \sum_x q(x) = \sum_x p(x) \frac{q(x)}{p(x)} = 1 $$"))
    assert row["verdict"] == "proved" and [s["evidence_level"] for s in row["steps"]] == ["proved", "proved"]


def test_a_chain_with_a_flagged_step_disagrees(tmp_path):
    row = one(scan_text(tmp_path, "For real $x$:\n\n$$ (x+1)^2 = x^2 + 2x + 1 = x^2 + 1 $$"))
    assert row["verdict"] == "disagrees"
    assert [s["evidence_level"] for s in row["steps"]] == ["proved", "disagrees"]


def test_a_definition_of_a_new_name_is_neutral_and_named(tmp_path):
    row = one(scan_text(tmp_path, DISTRIBUTIONS + "We write\n\n" + r"$$ L := \sum_x q(x) = 1 $$"))
    assert row["verdict"] == "proved"
    assert row["steps"][0]["class"] == "definition"
    assert "given the definition of L on line 5" in row["reason"]
    # the twin: a name defined above is no new name, so restating it is not a neutral definition
    text = DISTRIBUTIONS + "Let\n\n$$ L = \\sum_x p(x) $$\n\nand later\n\n$$ L = \\sum_{x:p(x)>0} q(x) = 1 $$"
    later = one(scan_text(tmp_path, text), 9)
    assert later["verdict"] != "proved"
    assert later["steps"][0]["class"] != "definition"


def definition_steps(records) -> list[str]:
    return [" ".join(s["left"].split()) for r in records for s in r.to_json()["steps"] if s["class"] == "definition"]


def test_a_derivative_is_never_a_definition(tmp_path):
    """DESIGN.md: a derivative is computed, never defined -- the backward pass of a layer writes
    ∂L/∂X from ∂L/∂Z; the step is the claim it makes, not a neutral definition."""
    text = ("A linear layer computes $Z = X W$ for a loss $L$. Its backward pass:\n\n"
            r"$$ \frac{\partial L}{\partial X} = \frac{\partial L}{\partial Z} W^\top $$" "\n")
    records = scan_text(tmp_path, text)
    assert [left for left in definition_steps(records) if "partial" in left] == []
    backward = one(records, 3)
    assert backward["steps"][0]["class"] != "definition" and backward["verdict"] != "proved"


def test_a_name_written_in_braces_is_the_name_defined_above(tmp_path):
    r"""A name written {\hat{y}} in one display and \hat{y} in another is one name: defined once."""
    text = ("For numbers $a$ and $b$ the score is\n\n"
            r"$$ \hat{y} = a b $$" "\n\nIt is computed for every input, and again\n\n"
            r"$$ {\hat{y}} = a b + a b - a b $$" "\n")
    records = scan_text(tmp_path, text)
    assert definition_steps(records) == [r"\hat{y}"]  # the first display only
    later = one(records, 7)
    assert later["steps"][0]["class"] != "definition" and later["verdict"] != "disagrees"


def test_an_update_written_again_is_no_new_definition(tmp_path):
    """Gradient descent's update set out once, then quoted again further down: the second is the same rule
    written again (restated), not a new name."""
    rule = r"$$ x_{k+1} = x_k - \eta g_k $$"
    text = (f"The iterates of gradient descent with step size $\\eta$ and gradient $g_k$ are\n\n{rule}\n\n"
            f"Far below, after the analysis, we recall the update\n\n{rule}\n")
    records = scan_text(tmp_path, text)
    assert definition_steps(records) == ["x_{k+1}"]
    again = one(records, 7)
    assert again["verdict"] == "unchecked" and "restates the document's definition" in again["reason"]


def test_a_statement_of_several_relations_takes_its_weakest_link(tmp_path):
    text = "For real $x$:\n\n$$ (x+1)^2 = x^2 + 2x + 1 \\le 2x^2 + 2 $$\n\n$$ (x+1)^2 = x^2 + 2x + 1 \\le 2x^2 + 2 + x^4 e^{x} $$"
    proved, twin = (r.to_json() for r in scan_text(tmp_path, text))
    assert proved["verdict"] == "proved" and "(x - 1)**2" in proved["reason"]
    assert [s["evidence_level"] for s in twin["steps"]] == ["proved", "unchecked"]  # the twin's second link
    assert twin["verdict"] == "unchecked" and twin["evidence_level"] == "unchecked"


def test_a_polynomial_inequality_is_proved_only_with_a_certificate(tmp_path):
    text = "For real $x, a, b$:\n\n$$ a^2 + b^2 \\ge 2ab $$\n\n$$ x^2 + 1 > 0 $$\n\n$$ x^2 - 2x + 1 > 0 $$"
    squares, positive, zero_at_one = (r.to_json() for r in scan_text(tmp_path, text))
    assert squares["verdict"] == positive["verdict"] == "proved"
    assert zero_at_one["verdict"] != "proved"  # (x - 1)^2 > 0 fails at x = 1


def test_a_derivation_over_two_displays_inherits_its_weakest_link(tmp_path):
    text = DISTRIBUTIONS + "Then\n\n$$ \\sum_{x:p(x)>0} q(x) = \\sum_x q(x) $$\n\nso that\n\n$$ = 1 $$"
    first, second = (r.to_json() for r in scan_text(tmp_path, text))
    assert second["steps"][0]["evidence_level"] == "proved"  # alone, its own step is proved
    assert second["verdict"] == "unchecked" and second["evidence_level"] == "unchecked"
    assert "continues the derivation at line 5" in second["reason"]
    # the twin: the first display proved, the continuation stays proved
    text = "For real $x$:\n\n$$ (x+1)^2 = x^2 + 2x + 1 $$\n\n$$ = 1 + 2x + x^2 $$"
    assert [r.verdict for r in scan_text(tmp_path, text)] == ["proved", "proved"]


def _write(tmp_path, text: str):
    path = tmp_path / "notes.md"
    path.write_text(text + "\n", encoding="utf-8")
    return path


def test_sarif_and_html_show_the_weakest_level(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    path = _write(tmp_path, DISTRIBUTIONS + RESTRICTED_CHAIN)
    main(["scan", str(path), "--format", "sarif"])
    log = json.loads(capsys.readouterr().out)
    results = log["runs"][0]["results"]
    assert all(r["properties"]["evidence_level"] != "proved" for r in results)  # never shown as proved
    pytest.importorskip("jinja2")
    main(["scan", str(path), "--html", str(tmp_path / "view")])
    capsys.readouterr()
    page = "".join(p.read_text(encoding="utf-8") for p in (tmp_path / "view").glob("*.html"))
    assert 'class="line unchecked"' in page and 'class="line proved"' not in page  # the chain's line


def test_the_text_view_shows_the_steps_of_a_mixed_row(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")
    path = _write(tmp_path, DISTRIBUTIONS + RESTRICTED_CHAIN)
    main(["scan", str(path)])
    out = " ".join(capsys.readouterr().out.split())
    assert "steps: 1." in out and ": unchecked; 2." in out and "proved" in out


# --- a property: chains scanned end to end are never stronger than their weakest link scanned alone -----

PREAMBLE = ("Let $p$ and $q$ be distributions on a finite set, let $x$ be a real number, and let $A$ and $B$ "
            "be $3 \\times 3$ matrices.\n\n")
# two worlds: numbers and distributions, and the document's matrices; a chain is drawn from one of them (a chain
# that mixes them is read with the matrices as scalars where a side is not read as a matrix: another reading)
NUMBERS = (r"(x+1)^2", r"x^2 + 2x + 1", r"x^2 + 1", r"\sum_z q(z)", r"\sum_{z:p(z)>0} q(z)", r"1")
MATRICES = (r"\mathrm{tr}(AB)", r"\mathrm{tr}(BA)", r"\mathrm{tr}(A^\top B)", r"(AB)^\top", r"B^\top A^\top",
            r"A^\top B^\top")



@pytest.fixture(scope="module")
def link_levels(tmp_path_factory):
    """Every link of the pool scanned alone, once: (a, b) -> its row's evidence level."""
    pairs = list(itertools.permutations(NUMBERS, 2)) + list(itertools.permutations(MATRICES, 2))
    text = PREAMBLE + "\n\n".join(f"$$ {a} = {b} $$" for a, b in pairs)
    records = scan_text(tmp_path_factory.mktemp("links"), text)
    assert len(records) == len(pairs)
    levels = {pair: r.to_json()["evidence_level"] for pair, r in zip(pairs, records)}
    assert set(levels.values()) == set(STRENGTH)  # the pool has links of every level
    return levels


chains = st.sampled_from((NUMBERS, MATRICES)).flatmap(lambda world: st.lists(
    st.sampled_from(world), min_size=3, max_size=6).filter(lambda sides: all(a != b for a, b in zip(sides, sides[1:]))))


@settings(max_examples=15)
@given(sides=chains)
def test_a_chain_is_never_stronger_than_its_weakest_link(link_levels, tmp_path_factory, sides):
    text = PREAMBLE + "$$ " + " = ".join(sides) + " $$"
    row = one(scan_text(tmp_path_factory.mktemp("chain"), text))
    weakest = min((link_levels[(a, b)] for a, b in zip(sides, sides[1:])), key=STRENGTH.index)
    assert STRENGTH.index(row["evidence_level"]) <= STRENGTH.index(weakest), (sides, row["reason"])
    assert row["verdict"] == ("proved" if row["evidence_level"] == "proved" else
                              "disagrees" if row["evidence_level"] == "disagrees" else "unchecked")


def test_a_name_given_a_new_meaning_is_a_definition_only_where_the_text_announces_it(tmp_path):
    """A loss defined for one example and defined again for another: announced ("consider instead"), the second
    is a definition that says it is one anew; not announced, it is the claim it makes (not neutral)."""
    first = "The squared loss of a prediction $a$ for a target $b$ is\n\n$$ L = (a - b)^2 $$\n\n"
    # (a loss the sentence names by a standard name is proved as that function: test_scan_typed_instances.py)
    announced = one(scan_text(tmp_path, first + "Consider instead the robust loss\n\n$$ L = |a - b| $$\n"), 7)
    assert announced["steps"][0]["class"] == "definition" and "defined anew" in announced["reason"]
    (tmp_path / "plain").mkdir()
    plain = one(scan_text(tmp_path / "plain", first + "It is then\n\n$$ L = |a - b| $$\n"), 7)
    assert plain["steps"][0]["class"] != "definition" and plain["verdict"] != "proved"


def test_a_definition_written_again_is_never_proved_by_itself(tmp_path):
    """x_i^{(0)} = 1 set out, then written again below: the second restates it (unchecked), it is not 'proved with
    the document's definitions' by the very definition it repeats (it was, as a worked number)."""
    text = "Every node starts with the feature\n\n$$ x_i^{(0)} = 1 $$\n\nand, as said, the start is\n\n$$ x_i^{(0)} = 1 $$\n"
    again = one(scan_text(tmp_path, text), 7)
    assert again["verdict"] == "unchecked" and "restates the document's definition" in again["reason"], again


def test_a_value_set_under_if_and_written_again_is_not_proved_by_itself(tmp_path):
    """The first statement of x_i^{(0)} = 1 sits under "if": a condition, used to prove, never to flag. Written
    again below, it restates it; it is not 'proved with the document's definitions' by the very clause it repeats."""
    text = ("If we set $x_i^{(0)} = 1$ for each point, the bias joins the weights.\n\nThe model reads "
            "$f(x_i) = w^T x_i$.\n\nSo\n\n$$ x_i^{(0)} = 1 $$\n\nand the bias is $w_0$.\n")
    again = one(scan_text(tmp_path, text), 7)
    assert again["verdict"] == "unchecked" and "restates the document's definition" in again["reason"], again


def test_a_name_defined_above_in_any_form_is_no_new_definition(tmp_path):
    """A name is defined above whatever form its first clause takes: under "then" (a conditional clause), as the
    later link of a chain (a_1 = a_2 = 0 sets a_2), by an arg min. Given another value below without announcing it,
    it is the claim it makes, counted in its row; the first of each stays a definition."""
    fitted = ("Then we find the next weights:\n\n$$ w^{(k+1)} = \\arg\\min_w \\sum_s (V_w(s) - y_k(s))^2 $$\n\n"
              "which a regression solves.\n\nOne gradient step of the regression is\n\n"
              "$$ w^{(k+1)} = w^{(k)} - \\eta \\nabla J(w^{(k)}) $$\n")
    records = scan_text(tmp_path, fitted)
    assert one(records, 3)["steps"][0]["class"] == "definition"
    assert one(records, 9)["steps"][0]["class"] != "definition"
    (tmp_path / "curvatures").mkdir()
    cases = ("Let $a_1$ and $a_2$ be the principal curvatures. A plane has $a_1 = a_2 = 0$, and "
             "a cylinder has $a_1 = 0, a_2 = 1$.\n")
    steps = [s for r in scan_text(tmp_path / "curvatures", cases) for s in r.to_json()["steps"]]
    assert [s["class"] for s in steps if s["left"].strip() == "a_2"][-1] != "definition", steps


def test_a_matrix_of_unknowns_is_never_a_definition(tmp_path):
    """[m, s] = g(v) sets two names at once by a system the reader keeps whole: no new name is defined."""
    text = ("The layer maps\n\n$$ u = \\frac{v - m}{s} \\text{ where } \\begin{bmatrix} m, s \\end{bmatrix} = g(v) "
            "$$\n")
    steps = one(scan_text(tmp_path, text))["steps"]
    assert [s["class"] for s in steps if "bmatrix" in s["left"]] == ["identity"], steps


def test_an_event_probability_defined_above_is_no_new_definition(tmp_path):
    """p(z_k = 1 | x) given by Bayes' rule, then by the mixture's weights further down: the left side is no plain
    name (an event inside), but it is set above all the same, so the second is the claim it makes, not neutral."""
    text = ("The responsibility is\n\n$$ p(z_k = 1 \\mid x) = \\frac{p(z_k = 1) p(x \\mid z_k = 1)}{p(x)} $$\n\n"
            "and with the mixture's weights\n\n$$ p(z_k = 1 \\mid x) = \\frac{\\pi_k N_k}{\\sum_j \\pi_j N_j} $$\n")
    later = one(scan_text(tmp_path, text), 7)
    assert later["steps"][0]["class"] != "definition" and later["verdict"] != "proved", later


def test_a_number_written_first_is_no_name(tmp_path):
    """1(z) = 0 for z ≤ 0 reads 1·z: the text may mean an indicator, but no name is defined by it."""
    steps = [s for r in scan_text(tmp_path, "The barrier is $1(z) = 0$ for $z \\le 0$.\n") for s in r.to_json()["steps"]]
    assert [s["class"] for s in steps if s["left"].strip() == "1(z)"] == ["identity"], steps


def test_a_relation_written_again_keeps_its_own_evidence(tmp_path):
    """The chain rule of a backward pass written twice: the second is the same relation, which holds on instances of
    its functions on its own; 'restates' is said only of a step that nothing but the definitions above decides."""
    rule = r"$$ \frac{\partial L}{\partial x} = \frac{\partial z}{\partial x}\frac{\partial L}{\partial z} $$"
    text = f"With $z = g(x)$ and a loss $L = h(z)$, the backward pass is\n\n{rule}\n\nand for the next layer again\n\n{rule}\n"
    first, again = (r.to_json() for r in scan_text(tmp_path, text) if "partial L" in r.text)
    assert "restates" not in again["reason"] and again["evidence_level"] == first["evidence_level"], (first, again)
