r"""The typed tree and the one document scope of ``scan`` (derivspec/scan/tree.py, typed_reading.py,
document_scope.py): what the scan rules (derivspec/scan/rules/) build on. They came with the rebuilt middle of
issue 58; its judge, operator table, witnesses and law tables were removed in issue 80 and these modules kept.
"""

from __future__ import annotations

import dataclasses

import pytest

from derivspec.scan import document_scope, tree
from derivspec.scan.extract import extract
from derivspec.scan.runner import has_relation


def _scope(tmp_path, text: str) -> document_scope.Scope:
    path = tmp_path / "notes.md"
    path.write_text(text, encoding="utf-8")
    return document_scope.build([s for s in extract(path) if has_relation(s)], text)


def _line(scope: document_scope.Scope, start: str) -> document_scope.Line:
    found = [line for line in scope.lines if line.text.startswith(start)]
    assert len(found) == 1, [line.text for line in scope.lines]
    return found[0]


def test_a_tree_node_is_frozen():
    name = tree.Name("x")
    with pytest.raises(dataclasses.FrozenInstanceError):
        name.latex = "y"


def test_every_node_type_is_listed_once():
    node_types = {c for c in vars(tree).values()
                  if isinstance(c, type) and issubclass(c, tree.Node) and c is not tree.Node}
    assert node_types == set(tree.OPERATOR_TYPES)
    assert len(tree.OPERATOR_TYPES) == len(set(tree.OPERATOR_TYPES))


def test_each_side_is_read_into_its_construct(tmp_path):
    scope = _scope(tmp_path, "Take\n$$\ng(u) = 3u - 2\n$$\nso that\n$$\n\\mathbb{E}_{u \\sim q}[g(u)] = "
                             "\\sum_{k=1}^{m} b_k\n$$\nand\n$$\n\\mathrm{KL}(A \\| B) = c\n$$\n")
    left = _line(scope, "g(u)").steps[0].left.node
    assert isinstance(left, tree.Apply) and left.head == tree.Name("g")
    step = _line(scope, "\\mathbb{E}").steps[0]
    assert isinstance(step.left.node, tree.Expect) and step.left.node.law.density == tree.Name("q")
    assert isinstance(step.right.node, tree.Sum)
    assert isinstance(_line(scope, "\\mathrm{KL}").steps[0].left.node, tree.Divergence)


def test_the_scope_records_definitions_indices_and_laws(tmp_path):
    scope = _scope(tmp_path, "Let\n$$\nh(t) = t^3\n$$\nThen\n$$\n\\mathbb{E}_{t \\sim r}[h(t)] = "
                             "\\sum_{j=1}^{N} w_j\n$$\n")
    assert [type(d.name) for d in scope.definitions] == [tree.Apply]
    assert {"j", "N"} <= scope.integers
    assert "r" in scope.densities
    assert _line(scope, "h(t)").defining


def test_the_prose_before_a_display_is_a_special_case_or_a_constraint(tmp_path):
    scope = _scope(tmp_path, "If $\\lambda = 1$, the two sides meet:\n$$\nf(\\lambda) = g(\\lambda)\n$$\n"
                             "Consider the set of plans such that\n$$\n\\sum_j \\pi_{ij} = a_i\n$$\n")
    assert _line(scope, "\\lambda = 1").condition
    special = _line(scope, "f(\\lambda)").special_case
    assert special and special[1] == ((tree.Name("\\lambda"), tree.Num(1)),)
    assert _line(scope, "\\sum_j").constraint
