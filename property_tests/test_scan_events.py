r"""``scan`` on probabilities of events (issue 24, derivspec/scan/events.py): conditional probability,
inclusion-exclusion, the complement, Bayes' rule and total probability with complements, proved on
the atoms of the letters in two notations (``\mathbb{P}(A \mid B)`` with ``A^c``; ``\Pr(A|B)`` or
``P[A|B]`` with ``\bar A``); planted slips flagged with an atom table; conditions (independence,
disjointness) never flagged. Every document is written for the test.
"""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given, settings, strategies as st

from derivspec.scan import events
from derivspec.scan.runner import scan_path

NOTATIONS = {  # how an author writes P(E | F) and the complement of a letter
    "bb": (lambda e, f=None: rf"\mathbb{{P}}({e} \mid {f})" if f else rf"\mathbb{{P}}({e})", lambda a: f"{a}^c"),
    "pr": (lambda e, f=None: rf"\Pr({e}|{f})" if f else rf"\Pr({e})", lambda a: rf"\bar{{{a}}}"),
    "square": (lambda e, f=None: f"P[{e}|{f}]" if f else f"P[{e}]", lambda a: rf"\overline{{{a}}}"),
}


def _doc(display: str, lead: str = "We write it out.") -> str:
    return f"# Notes\n\nTwo events of a finite sample space.\n\n{lead}\n\n$${display}$$\n"


def _record(tmp_path, display: str, lead: str = "We write it out."):
    path = tmp_path / "doc.md"
    path.write_text(_doc(display, lead), encoding="utf-8")
    (record,) = [r for r in scan_path(path, workers=0, known=False, sources=False) if r.lines[0] == 7]
    return record


AND, OR = r"A \cap B", r"A \cup B"


def _identities(notation: str) -> dict:
    P, c = NOTATIONS[notation]
    return {
        "conditional": rf"{P('A', 'B')} = \frac{{{P(AND)}}}{{{P('B')}}}",
        "inclusion-exclusion": rf"{P(OR)} = {P('A')} + {P('B')} - {P(AND)}",
        "complement": rf"{P(c('A'))} = 1 - {P('A')}",
        "bayes": (rf"{P('B', 'A')} = \frac{{{P('A', 'B')}{P('B')}}}{{{P('A', 'B')}{P('B')} + "
                  rf"{P('A', c('B'))}{P(c('B'))}}}"),
        "total probability": rf"{P('A')} = {P('A', 'B')}{P('B')} + {P('A', c('B'))}{P(c('B'))}",
        "product rule chain": rf"{P('A', 'B')}{P('B')} = {P(AND)} = {P('B', 'A')}{P('A')}",
    }


def _slips(notation: str) -> dict:
    P, c = NOTATIONS[notation]
    return {
        "bayes inverted": rf"{P('B', 'A')} = \frac{{{P('A', 'B')}{P('A')}}}{{{P('B')}}}",
        "inclusion-exclusion with +": rf"{P(OR)} = {P('A')} + {P('B')} + {P(AND)}",
        "complement reversed": rf"{P(c('A'))} = {P('A')} - 1",
        "total probability missing a factor": rf"{P('A')} = {P('A', 'B')}{P('B')} + {P('A', c('B'))}",
    }


@pytest.mark.parametrize("notation", NOTATIONS)
@pytest.mark.parametrize("name", list(_identities("bb")))
def test_the_identities_of_events_are_proved_on_the_atoms(tmp_path, notation, name):
    record = _record(tmp_path, _identities(notation)[name])
    assert record.verdict == "proved", record.reason
    assert record.reason.startswith("proved on the atoms of A") and "true in every probability space" in record.reason


@pytest.mark.parametrize("bar", [r"\|", r"\mid", "|"])
def test_every_conditional_bar_and_head_is_read(bar):
    for head in (r"\mathbb{P}", r"\Pr", "P", r"\mathrm{Pr}"):
        left, right = rf"{head}(A {bar} B){head}(B)", rf"{head}(A \cap B)"
        assert events.judge(left, right).verdict == "proved", (head, bar)


@pytest.mark.parametrize("notation", NOTATIONS)
@pytest.mark.parametrize("name", list(_slips("bb")))
def test_planted_slips_are_flagged_with_an_atom_table(tmp_path, notation, name):
    record = _record(tmp_path, _slips(notation)[name])
    assert record.verdict == "disagrees", record.reason
    assert "also when the events are independent" in record.reason
    assert "P(A∩B)=" in record.evidence and "P(A^c∩B^c)=" in record.evidence or "P(A^c)=" in record.evidence
    assert "independent P(A)=" in record.evidence


def test_the_atom_table_is_a_distribution_where_the_sides_differ():
    found = events.judge(r"P(A \cup B)", r"P(A) + P(B) + P(A \cap B)")
    table = dict(item.split("=") for item in found.evidence.split(":")[0].split(", "))
    from fractions import Fraction

    assert sum(Fraction(v) for v in table.values()) == 1 and all(Fraction(v) > 0 for v in table.values())
    assert set(table) == {"P(A∩B)", "P(A^c∩B)", "P(A∩B^c)", "P(A^c∩B^c)"}


@pytest.mark.parametrize("lead", ["If $A$ and $B$ are independent, then", "Then"])
def test_independence_is_a_condition_never_a_flag(tmp_path, lead):
    record = _record(tmp_path, r"P(A \cap B) = P(A)P(B)", lead)
    assert record.verdict == "unchecked", record.reason
    assert "holds when the events are independent" in record.reason


def test_a_conditional_equal_to_a_marginal_is_a_condition(tmp_path):
    record = _record(tmp_path, r"\mathbb{P}(A \mid B) = \mathbb{P}(A \mid B^c)")
    assert record.verdict == "unchecked" and "holds when the events are independent" in record.reason, record.reason


@pytest.mark.parametrize("left, right, why", [
    ("P(A)", "2P(B)", "a condition on the events"),
    (r"P(A \cap B)", r"P(A \mid B) P(A)", "a condition on the events"),  # one probability against a product
    ("P(A|B)", "P(A) + 0.2", "a relation with given values"),
    (r"\frac{P(A)}{2}", "P(B) - P(A)", "a relation with given values"),
])
def test_relations_that_state_conditions_or_data_are_never_flagged(left, right, why):
    found = events.judge(left, right)
    assert found.verdict == "unchecked" and why in found.reason, found


def test_additivity_after_disjoint_is_not_flagged(tmp_path):
    record = _record(tmp_path, r"P(A \cup B) = P(A) + P(B)", "For disjoint $A$ and $B$,")
    assert record.verdict == "unchecked", record.reason
    assert "disjoint" in record.reason


def test_additivity_in_a_document_about_disjoint_events_is_not_flagged(tmp_path):
    path = tmp_path / "doc.md"
    path.write_text("# Notes\n\nEvents that cannot both happen are called disjoint.\n\nLater, by the axioms,\n\n"
                    "$$P(A \\cup B) = P(A) + P(B)$$\n", encoding="utf-8")
    (record,) = [r for r in scan_path(path, workers=0, known=False, sources=False) if r.lines[0] == 7]
    assert record.verdict == "unchecked" and "holds when A, B disjoint" in record.reason, record.reason


@pytest.mark.parametrize("left, right", [
    ("P(X = x)", "P(Y)"),  # random variables
    (r"P(\{X > 5\})", "P(A)"),
    (r"P(\bigcup_{i=1}^\infty A_i)", r"\sum_{i=1}^\infty P(A_i)"),
    (r"P(A_1 \cup \ldots \cup A_n)", "P(A_1)"),
    (r"P(A \cap B \cup C)", "P(A)"),  # ∩ and ∪ mixed without parentheses
    ("P(A)", "0.3"),  # a value
    (r"p(x \mid z)", "p(x, z) / p(z)"),  # densities: probability.py
])
def test_what_is_not_read_is_left_to_the_other_checks(left, right):
    assert events.judge(left, right) is None


def test_indexed_letters_and_three_events():
    assert events.judge(r"P(E_1 \cap E_2 \mid E_3)", r"P(E_1 \mid E_2, E_3) P(E_2 \mid E_3)").verdict == "proved"
    assert events.judge(r"P(\overline{A \cup B})", r"P(A^{c} \cap B^{\complement})").verdict == "proved"  # De Morgan
    # one probability against another: a condition
    assert events.judge(r"P(\overline{A \cup B})", r"P(A^{c} \cup B^{C})").verdict == "unchecked"
    assert events.judge(r"P(A \setminus B)", r"P(A) - P(A \cap B)").verdict == "proved"
    assert events.judge(r"P(\Omega \setminus A) + P(A \cap \emptyset)", r"1 - P(A)").verdict == "proved"


# --- Boolean identities from set laws, and their perturbations --------------------------------------

LETTERS = ("A", "B", "C")


def _trees(depth: int):
    leaf = st.sampled_from(LETTERS).map(lambda a: ("letter", a))
    if depth == 0:
        return leaf
    inner = _trees(depth - 1)
    return st.one_of(leaf, st.tuples(st.just("not"), inner), st.tuples(st.sampled_from(["and", "or"]), inner, inner))


def _tex(tree) -> str:
    if tree[0] == "letter":
        return tree[1]
    if tree[0] == "not":
        return rf"\overline{{{_tex(tree[1])}}}"
    op = r" \cap " if tree[0] == "and" else r" \cup "
    return f"({_tex(tree[1])}{op}{_tex(tree[2])})"


def _set(tree, world: dict) -> bool:
    if tree[0] == "letter":
        return world[tree[1]]
    if tree[0] == "not":
        return not _set(tree[1], world)
    a, b = _set(tree[1], world), _set(tree[2], world)
    return a and b if tree[0] == "and" else a or b


def _law(tree):
    """The tree rewritten by a true set law at its root (De Morgan, distributivity, double complement)."""
    if tree[0] == "not" and tree[1][0] in ("and", "or"):
        inner = tree[1]
        return ("or" if inner[0] == "and" else "and", ("not", inner[1]), ("not", inner[2]))
    if tree[0] == "and" and tree[2][0] == "or":
        a, (_, b, c) = tree[1], tree[2]
        return ("or", ("and", a, b), ("and", a, c))
    if tree[0] == "or" and tree[2][0] == "and":
        a, (_, b, c) = tree[1], tree[2]
        return ("and", ("or", a, b), ("or", a, c))
    return ("not", ("not", tree))


def _swap(tree):
    """∩ and ∪ swapped at the first binary node (pre-order); the tree unchanged when it has none."""
    if tree[0] in ("and", "or"):
        return ("or" if tree[0] == "and" else "and", tree[1], tree[2])
    if tree[0] == "not":
        return ("not", _swap(tree[1]))
    return tree


def _equal_sets(a, b) -> bool:
    worlds = [dict(zip(LETTERS, bits)) for bits in itertools.product([False, True], repeat=3)]
    return all(_set(a, w) == _set(b, w) for w in worlds)


@settings(max_examples=60, deadline=None)
@given(_trees(3), _trees(2))
def test_identities_from_set_laws_are_proved_and_never_flagged(tree, other):
    rewritten = _law(tree)
    assert _equal_sets(tree, rewritten)
    left = rf"P({_tex(tree)}) + P({_tex(other)})"
    right = rf"P({_tex(rewritten)} \cap {_tex(other)}) + P({_tex(rewritten)} \cup {_tex(other)})"
    found = events.judge(left, right)
    assert found is not None and found.verdict == "proved", (left, right, found)


@settings(max_examples=60, deadline=None)
@given(_trees(3), _trees(2))
def test_a_swapped_operation_is_proved_only_when_the_sets_are_equal(tree, other):
    swapped = _swap(_law(tree))
    left = rf"P({_tex(tree)}) + P({_tex(other)})"
    right = rf"P({_tex(swapped)} \cap {_tex(other)}) + P({_tex(swapped)} \cup {_tex(other)})"
    found = events.judge(left, right)
    assert found is not None
    if found.verdict == "proved":
        assert _equal_sets(tree, swapped)
    else:
        assert not _equal_sets(tree, swapped)
        assert found.verdict in ("disagrees", "unchecked")


@pytest.mark.parametrize("X, a", [("X", "2"), ("T", "k")])
def test_a_variables_relation_to_a_value_is_an_event_and_its_negation_the_complement(X, a):
    """``X \\le 2`` and ``X > 2`` are one event and its complement (proved: the complement rule, Bayes' rule on two
    variables' events); a wrong Bayes denominator is flagged with the atoms named as the text writes the events;
    events of one variable at two values (nested or disjoint) only ever prove, and a letter beside a variable's
    events is not read."""
    assert events.judge(rf"\mathbb{{P}}(\{{{X} \le {a}\}})", rf"1 - \mathbb{{P}}(\{{{X} > {a}\}})").verdict == "proved"
    assert events.judge(rf"P({X} < {a})", rf"1 - P({X} \geq {a})").verdict == "proved"
    assert events.judge(f"P({X}={a} | Y=y)", rf"\frac{{P({X} = {a}, Y = y)}}{{P(Y=y)}}").verdict == "proved"
    wrong = events.judge(f"P({X}={a} | Y=y)", rf"\frac{{P({X} = {a}, Y = y)}}{{P({X}={a})}}")
    assert wrong.verdict == "disagrees" and f"{{{X} = {a}}}" in wrong.reason, wrong.reason
    slip = events.judge(rf"\mathbb{{P}}(\{{{X} \leq {a}\}})", rf"1 - \mathbb{{P}}(\{{{X} > {a}\}}^c)")  # complement twice
    assert slip.verdict == "disagrees", slip.reason
    assert events.judge(rf"P({X} \ge {a})", rf"1 - P({X} \le {a})") is None  # {X = a} between them: nested events
    assert events.judge(f"P({X} = 1)", f"1 - P({X} = 0)") is None  # two values: disjoint, not complements
    assert events.judge(f"P({X} = {a})", "P(A)") is None
