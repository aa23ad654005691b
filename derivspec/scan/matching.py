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

import dataclasses
import itertools
import re
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


# ---------------------------------------------------------------------------------------------------------------
# A standard function the prose names (issue 58, the scope's meanings from the prose): "the logistic function g",
# "the cross-entropy loss L_i". A letter means what the document makes it mean; here the sentence leading into a
# definition makes the letter on its left one of the functions table's entries, named by a cue of its row.


@dataclass(frozen=True)
class Named:
    """One reading of a left side the prose names: the row it comes from, the row's meaning with its roles bound
    to the document's (SymPy, the reader's form), the conventions that are also right, and the named slips."""

    function: str
    row: str
    meaning: sympy.Expr
    accepted: tuple  # meanings that are also right (a factor 1/2 on a squared loss)
    wrong: tuple  # (name, meaning): the row's named slips, bound alike
    closed: bool  # the value uses no name the binding does not bind: a difference is the function's, not a model's
    last: bool = False  # the cue ends the sentence leading in ("… the cross-entropy loss that has the form:"): the
    # display is what it names, not a quantity beside it ("the cross-entropy between the probabilities (q = …)")


def named_in_prose(left: tree.Node, right: tree.Node, value: sympy.Expr, prose: str, unfold,
                   families: frozenset = frozenset()) -> list[Named]:
    """Every reading of ``left`` (the left side of a definition, any letter) as a standard function the sentence
    before names (a cue, a name or an alias of a ``[[function]]`` entry): an application ``g(u, v)`` of as many
    plain names as the function has arguments, numbers all (every order of them: ``ℓ(p, y)`` as ``ℓ(y, p)``); or
    a name (``L_i``) where a row writes the quantity as a name (``fn.cross_entropy.softmax``: ``L_i``), its vector
    role the one family the value indexes, its index role an index of that family no sum binds, its size the range
    of the sum over the family. ``value``: the right side in SymPy; ``unfold``: node -> SymPy; ``families``: the
    SymPy heads of the indexed names (x_i read as x_•(i))."""
    words = _words(prose)
    if not words or any(isinstance(part, _LAWS + (tree.Integral,)) for part in right.walk()):
        return []
    found = []
    for function in knowledge.functions().values():
        cues = function.cues + function.aliases + (function.name,)
        if not any(_said(cue, words) for cue in cues):
            continue
        last = any(_said(cue, words, last=True) for cue in cues)
        if isinstance(left, tree.Apply):
            readings = _applied(function, left, value, unfold, families)
        elif isinstance(left, tree.Name):
            readings = [reading for row_id in function.rows for reading in _as_a_name(row_id, value, families)]
        else:
            readings = []
        found += [dataclasses.replace(reading, last=last) for reading in readings]
    return found


def _words(prose: str) -> str:
    """The prose without its math, in lower case, hyphens and runs of spaces as one space."""
    text = re.sub(r"\$[^$]*\$|\\\\?\(.*?\\\\?\)", " ", prose)
    return " ".join(re.sub(r"[-‐–]", " ", text.lower()).split())


# the words that may stand between a cue and the display it names: "the cross-entropy loss that has the form:"
_LEADING_IN = frozenset("a an the its this that which is are as be by can we get write written out given define defined "
                        "has have form reads takes becomes loss function then so thus here of for one each single "
                        "example sample point input".split())


# words just before a cue that make the function an instrument or a comparison, not what the display defines:
# "written in terms of the error function:", "using the sigmoid:", "unlike the cross-entropy loss:"
_USED_NOT_DEFINED = frozenset("terms using via through with from by unlike than instead like similar compared "
                              "versus vs relates related".split())


def _said(cue: str, words: str, last: bool = False) -> bool:
    """The cue is in the words; ``last``: and only words that lead into a display follow it, and none of the few
    words before it makes the function an instrument ("in terms of …")."""
    phrase = " ".join(re.sub(r"[-‐–_]", " ", cue.lower()).split())
    found = list(re.finditer(r"(?<![a-z])" + re.escape(phrase) + r"(?![a-z])", words)) if phrase else []
    if not last:
        return bool(found)
    return any(set(re.findall(r"[a-z]+", words[m.end():])) <= _LEADING_IN
               and not set(re.findall(r"[a-z]+", words[:m.start()])[-4:]) & _USED_NOT_DEFINED for m in found)


def _applied(function: knowledge.Function, left: tree.Apply, value: sympy.Expr, unfold,
             families: frozenset) -> list[Named]:
    kinds = [knowledge.role_type(kind)[0] for kind in function.args.values()]
    if (len(left.args) != function.arity or left.carried
            or not all(isinstance(a, tree.Name) and not a.index for a in left.args) or len(set(left.args)) != len(left.args)
            or not all(k in SCALAR_ROLES or k in knowledge.VECTOR_TYPES for k in kinds)):
        return []
    rows = knowledge.by_id()
    define = next((rows[i] for i in function.rows if rows[i].source[1:] == ("define",)), None)
    value = sympy.sympify(value)
    # roles of distinct types bind by type, in any order (ℓ(p, y) as ℓ(y, p)); roles of one type in the order
    # written (H(p, q): the first is the true law, and H(q, p) is the slip "arguments swapped")
    orders = itertools.permutations(left.args) if len(set(kinds)) == len(kinds) else [tuple(left.args)]
    found = []
    for order in orders:
        bind, vectors, closed_by = {}, {}, set()
        for name, kind, argument in zip(function.args, kinds, order):
            symbol = function.symbols[name]
            head = unfold(tree.Name(argument.latex, (tree.Name("k"),))).func
            if kind in SCALAR_ROLES:
                if head in families:
                    break  # a number's role binds no name the document indexes (t in Σ_i t_i log r_i)
                bind[symbol] = unfold(argument)
                closed_by |= bind[symbol].free_symbols
            else:  # p in H(p, q) = -Σ_i p_i log q_i: the family p_• the value sums over
                if head not in families:
                    break
                vectors[symbol] = head
        else:
            binder = _FamilyBinder.of(value, vectors, bind, function.args, function.symbols)
            if binder is None:
                continue
            closed = not (value.free_symbols - closed_by - binder.uses)
            found.append(Named(function.name, define.id if define else function.name, binder(function.definition),
                               tuple(binder(a.expr) for a in (define.accepted if define else ())),
                               tuple((w.name, binder(w.expr)) for w in (define.wrong if define else ())), closed))
    return found


def _as_a_name(row_id: str, value: sympy.Expr, families: frozenset) -> list[Named]:
    row = knowledge.by_id()[row_id]
    if not any(isinstance(p, tree.Name) and p.latex not in row.roles for p in _patterns(row)):
        return []
    vectors = [r for r, kind in row.roles.items() if knowledge.role_type(kind)[0] in knowledge.VECTOR_TYPES]
    indices = [r for r, kind in row.roles.items() if knowledge.role_type(kind)[0] == "index"]
    if len(vectors) != 1 or len(vectors) + len(indices) != len(row.roles):
        return []
    value = sympy.sympify(value)
    summed = {f.func for s in value.atoms(sympy.Sum) if len(s.limits) == 1
              for f in s.function.atoms(sympy.core.function.AppliedUndef)
              if f.func in families and f.args == (s.limits[0][0],)}
    if len(summed) != 1:
        return []  # the one family a sum runs over (the scores, not the labels that index them)
    family = summed.pop()
    bound_indices = {s.limits[0][0] for s in value.atoms(sympy.Sum)}
    free = {f.args[0] for f in value.atoms(sympy.core.function.AppliedUndef)
            if f.func == family and not (f.args[0].free_symbols & bound_indices)}
    found = []
    for chosen in itertools.permutations(free, len(indices)):
        bind = dict(zip((row.symbols[i] for i in indices), chosen))
        binder = _FamilyBinder.of(value, {row.symbols[vectors[0]]: family}, bind, row.roles, row.symbols)
        if binder is None:
            continue
        closed = not (value.free_symbols - binder.uses - set().union(*(sympy.sympify(c).free_symbols for c in chosen)))
        found.append(Named(row.source[0] if row.source else row.id, row.id, binder(row.meaning),
                           tuple(binder(a.expr) for a in row.accepted),
                           tuple((w.name, binder(w.expr)) for w in row.wrong), closed))
    return found


@dataclass(frozen=True)
class _FamilyBinder:
    """A row's meaning in the document's letters: its vector roles (IndexedBase ``z[j]``) the document's families
    (``f_•(j)``), its size the one range of the value's sums over them, its sums' index the value's, its other roles
    as bound (``bind``, at once: the document's n is not the row's size n)."""

    vectors: dict  # IndexedBase -> the document's family head
    bind: dict  # role symbol -> SymPy
    sizes: frozenset  # the size names of the vector roles (n)
    size: sympy.Expr
    dummy: sympy.Symbol
    uses: frozenset  # the value's symbols the binding accounts for: the range, the sums' indices

    @staticmethod
    def of(value: sympy.Expr, vectors: dict, bind: dict, roles: dict, symbols: dict):
        if not vectors:
            return _FamilyBinder({}, bind, frozenset(), sympy.S.Zero, sympy.Dummy(), frozenset())
        heads = set(vectors.values())
        sums = [s for s in value.atoms(sympy.Sum) if len(s.limits) == 1
                and any(f.func in heads and f.args == (s.limits[0][0],)
                        for f in s.function.atoms(sympy.core.function.AppliedUndef))]
        ranges = {s.limits[0][1:] for s in sums}
        if len(ranges) != 1 or next(iter(ranges))[0] != 1 or not all(
                any(s.function.has(h(s.limits[0][0])) for s in sums) for h in heads):
            return None  # every family summed, over one range 1..n
        (_, size), = ranges
        sizes = frozenset(n for role, kind in roles.items() if isinstance(symbols.get(role), sympy.IndexedBase)
                          for n in knowledge.role_type(kind)[1])
        uses = frozenset(size.free_symbols) | {s.limits[0][0] for s in value.atoms(sympy.Sum)}
        return _FamilyBinder(vectors, bind, sizes, size, sums[0].limits[0][0], uses)

    def __call__(self, expr) -> sympy.Expr:
        expr = sympy.sympify(expr)
        sizes = {s: self.size for s in expr.free_symbols if s.name in self.sizes}
        expr = expr.xreplace({**self.bind, **sizes})
        if not self.vectors:
            return expr
        expr = expr.replace(lambda e: isinstance(e, sympy.Indexed) and e.base in self.vectors,
                            lambda e: self.vectors[e.base](*e.indices))
        return expr.replace(lambda e: isinstance(e, sympy.Sum) and len(e.limits) == 1,
                            lambda e: e.xreplace({e.limits[0][0]: self.dummy}))  # the value's index: Σ_k, not Σ_j


@lru_cache(maxsize=None)
def _patterns(row: knowledge.Row) -> tuple:
    found = []
    for text in row.patterns:
        try:
            found.append(_read(text))
        except FormulaError:
            continue
    return tuple(found)
