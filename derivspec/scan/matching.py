"""The one engine of the knowledge rows over the typed tree (issue 58, item 4; ../shared/scan-knowledge-rows.md).

Each row of :mod:`derivspec.scan.knowledge` (``functions.toml``, ``families.toml``, ``results.toml``) is read
once by the project's one reader into typed trees: its patterns, and its ``given`` facts. A side of a step is
matched against every row whose pattern has the side's node type at its top; a match binds the row's roles to
typed nodes of the side (a role's type is checked against the node: a scalar role binds no law, a name role no
number), then each ``given`` fact is looked up in the scope (``x ∼ N(μ, σ²)`` is a declaration the document
makes, whatever its letters), and the row's meaning, in SymPy in its roles, is the meaning of the bound nodes.
The judge proves the other side equal to it. Every matching row is tried; a row only proves -- it never flags
and never stops the general path.

This first version reads the rows whose roles are numbers (scalar roles) and whose ``given`` facts are
declarations of a family; rows with vector, matrix, function or density roles are left to the general path.
A pattern that is a function named by a letter (``\\Phi(x)``, ``L(y, \\hat y)``) is not read: a letter means what
the document makes it mean, so a verdict must not rest on which letter is written.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, fields
from functools import lru_cache

import sympy

from derivspec.core.errors import FormulaError
from derivspec.scan import knowledge, tree
from derivspec.scan.reader import DocumentNames, read_document
from derivspec.scan.typed_reading import typed

# role types whose meaning is a number: they bind any node that is not a law
SCALAR_ROLES = frozenset({"real", "positive", "nonneg", "probability", "integer", "nonneg integer",
                          "positive integer", "binary", "sign", "outcome", "random variable"})
_LAWS = (tree.Density, tree.Law, tree.Expect, tree.Entropy, tree.Divergence, tree.MutualInfo, tree.Prob)
_PERMUTED = 6  # the most terms of a sum or factors of a product matched in any order


@dataclass(frozen=True)
class Compiled:
    """A row read for the engine: each pattern's typed tree, its roles (reader name -> type), the SymPy symbol
    each role is in ``row.meaning``, and its ``given`` facts as (role, family, parameter trees)."""

    row: knowledge.Row
    patterns: tuple
    roles: dict
    symbols: dict
    given: tuple


@dataclass(frozen=True)
class Match:
    entry: Compiled
    bound: dict  # role -> the typed node of the document it binds

    @property
    def row(self) -> knowledge.Row:
        return self.entry.row


def _read(text: str) -> tree.Node:
    names = DocumentNames()
    return typed(read_document(text, names), names)


def _given(text: str) -> tuple | None:
    """``x \\sim \\mathcal{N}(\\mu, \\sigma^2)`` -> ("x", "normal", (μ, σ² trees)); None for any other fact."""
    left, sep, right = text.partition("\\sim")
    if not sep:
        return None
    variable, law = _read(left.strip()), _read(right.strip())
    if not isinstance(variable, tree.Name) or not isinstance(law, tree.Law) or not law.family:
        return None
    return variable.latex, law.family, law.params


def _compile(row: knowledge.Row) -> Compiled | None:
    roles = {}
    for role, kind in row.roles.items():
        base, _ = knowledge.role_type(kind)
        if base not in SCALAR_ROLES or not isinstance(row.symbols.get(role), sympy.Symbol):
            return None
        roles[role] = base
    meaning = sympy.sympify(row.meaning)
    if not isinstance(meaning, sympy.Expr) or meaning.free_symbols - {row.symbols[r] for r in roles}:
        return None
    if meaning.atoms(sympy.Indexed, sympy.core.function.AppliedUndef):
        return None
    given = tuple(_given(text) for text in row.given)
    if any(g is None for g in given):
        return None
    patterns = []
    for text in row.patterns:
        try:
            pattern = _read(text)
        except FormulaError:
            continue
        if isinstance(pattern, tree.Name | tree.Num | tree.Apply) or not (
                tree.names_in(pattern) & {tree.Name(r) for r in roles} or not roles):
            continue  # a lone role binds anything; a function named by a letter (Φ(x), L(y, ŷ)) is the document's
        patterns.append(pattern)
    if not patterns:
        return None
    return Compiled(row, tuple(patterns), roles, {r: row.symbols[r] for r in roles}, given)


@lru_cache(maxsize=1)
def compiled() -> tuple[Compiled, ...]:
    """The rows the engine reads, once per process."""
    found = []
    for row in knowledge.rows():
        try:
            entry = _compile(row)
        except (FormulaError, ValueError, TypeError, sympy.SympifyError):
            entry = None
        if entry is not None:
            found.append(entry)
    return tuple(found)


def matches(node: tree.Node, declared: dict) -> list[Match]:
    """Every row whose pattern matches ``node`` with its roles bound and its ``given`` declarations made by the
    document (``declared``: name latex -> (family, argument trees), as the scope holds them)."""
    found = []
    for entry in compiled():
        for pattern in entry.patterns:
            if type(pattern) is not type(node):
                continue
            bound = unify(pattern, node, entry.roles, {})
            if bound is None:
                continue
            bound = _with_given(entry, bound, declared)
            if bound is not None and set(bound) >= set(entry.roles):
                found.append(Match(entry, bound))
                break
    return found


def meaning(match: Match, unfold) -> sympy.Expr:
    """The row's meaning with each role the meaning of the node it binds (``unfold``: node -> SymPy)."""
    return sympy.sympify(match.row.meaning).xreplace(
        {match.entry.symbols[role]: unfold(node) for role, node in match.bound.items()})


def _with_given(entry: Compiled, bound: dict, declared: dict) -> dict | None:
    for role, family, params in entry.given:
        variable = bound.get(role)
        if not isinstance(variable, tree.Name) or variable.index or variable.latex not in declared:
            return None
        written_family, args = declared[variable.latex]
        if written_family != family or len(args) != len(params):
            return None
        for param, arg in zip(params, args):
            bound = unify(param, arg, entry.roles, bound)
            if bound is None:
                return None
    return bound


def unify(pattern: tree.Node, node: tree.Node, roles: dict, bound: dict) -> dict | None:
    """Bindings of ``roles`` (reader name -> type) that make ``pattern`` the typed node ``node``, extending
    ``bound``; None when there are none. A sum or a product matches in any order of its terms."""
    if isinstance(pattern, tree.Name) and not pattern.index and pattern.latex in roles:
        if not _fits(roles[pattern.latex], node):
            return None
        if pattern.latex in bound:
            return bound if bound[pattern.latex] == node else None
        return {**bound, pattern.latex: node}
    if type(pattern) is not type(node):
        return None
    if isinstance(pattern, tree.Apply | tree.Density) and pattern.head != node.head:
        return None  # a function or a law is named as written: a role binds a number, never a head
    if isinstance(pattern, tree.Add | tree.Mul):
        mine, theirs = pattern.parts(), node.parts()
        if len(mine) != len(theirs) or len(mine) > _PERMUTED:
            return None
        for order in itertools.permutations(theirs):
            found = _unify_all(mine, order, roles, bound)
            if found is not None:
                return found
        return None
    for f in fields(pattern):
        mine, theirs = getattr(pattern, f.name), getattr(node, f.name)
        if isinstance(mine, tree.Node) and isinstance(theirs, tree.Node):
            bound = unify(mine, theirs, roles, bound)
        elif isinstance(mine, tuple) and isinstance(theirs, tuple) and len(mine) == len(theirs) and all(
                isinstance(m, tree.Node) and isinstance(t, tree.Node) for m, t in zip(mine, theirs)):
            bound = _unify_all(mine, theirs, roles, bound)
        elif mine != theirs:
            return None
        if bound is None:
            return None
    return bound


def _unify_all(patterns, nodes, roles: dict, bound: dict) -> dict | None:
    for pattern, node in zip(patterns, nodes):
        bound = unify(pattern, node, roles, bound)
        if bound is None:
            return None
    return bound


def _fits(kind: str, node: tree.Node) -> bool:
    """A scalar role binds a number or an expression of names, never a law; an index or a variable a name."""
    if any(isinstance(part, _LAWS) for part in node.walk()):
        return False
    if kind in ("outcome", "random variable", "index"):
        return isinstance(node, tree.Name)
    return True
