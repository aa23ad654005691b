r"""The typed tree of ``scan`` (derivspec/scan/tree.py, typed_reading.py): what the scan rules
(derivspec/scan/rules/) build on. It came with the rebuilt middle of issue 58; its judge, operator table,
witnesses and law tables were removed in issue 80, its document scope (document_scope.py, which no rule read) in
issue 88.
"""

from __future__ import annotations

import dataclasses

import pytest

from derivspec.scan import tree
from derivspec.scan.reader import DocumentNames, bare_names, read_document
from derivspec.scan.typed_reading import typed


def _side(text: str) -> tree.Node:
    """One side read into the typed tree, as a rule reads it (rules/reading.py, ``Line.node``)."""
    names = DocumentNames()
    return typed(read_document(text, names, bare_names(text), sets=True, typed=True), names)


def test_a_tree_node_is_frozen():
    name = tree.Name("x")
    with pytest.raises(dataclasses.FrozenInstanceError):
        name.latex = "y"


def test_every_node_type_is_listed_once():
    node_types = {c for c in vars(tree).values()
                  if isinstance(c, type) and issubclass(c, tree.Node) and c is not tree.Node}
    assert node_types == set(tree.OPERATOR_TYPES)
    assert len(tree.OPERATOR_TYPES) == len(set(tree.OPERATOR_TYPES))


def test_each_side_is_read_into_its_construct():
    left = _side("g(u)")
    assert isinstance(left, tree.Apply) and left.head == tree.Name("g")
    expectation = _side("\\mathbb{E}_{u \\sim q}[g(u)]")
    assert isinstance(expectation, tree.Expect) and expectation.law.density == tree.Name("q")
    assert isinstance(_side("\\sum_{k=1}^{m} b_k"), tree.Sum)
    assert isinstance(_side("\\mathrm{KL}(A \\| B)"), tree.Divergence)
