r"""Any size: the sizes of a claim's vectors (classes, pixels, latent dimensions) as a drawn dimension.

A claim derived at fixed sizes (three classes, two pixels) declares its general form
(:class:`derivspec.core.claims.AnySize`): its vectors, the size each has, whole-number indices of a
size (a class label) and the target and wrong variants built for any size from the same
definitions. One mechanism serves every such claim:

* a vector the function takes **whole** -- ``args`` maps a parameter to the vector's members at the
  claim's size in order (``"[h1, h2, h3]"``), or to the same expression of each member
  (``"[2*log(sigma1), 2*log(sigma2)]"``, ``"[mu]"`` for a one-dimensional latent), or the
  parameter is named like the vector (``h``, ``x``, ``p``) where that is no variable of the claim --
  makes its size free: Hypothesis draws it from :data:`SIZES` (the claim's own size first, so that a
  counterexample shrinks toward it; never 2 unless that is the claim's own size, where a mean and a
  sum over the vector differ by the factor a dropped ½ makes, and never 1 unless it is);
* a size stays the claim's own when any parameter takes a member alone (``h1``), a part of the
  vector, or the members in another order, or when ``wrt`` or ``fix`` names a member;
* an index the function takes (a parameter named ``label``, or mapped to it) is drawn with the
  point; one it does not take is the claim's own (class 1: ``label = 0``).

Every input of a batch has the same sizes (a batch is a stacked array); the sizes are drawn per
batch. The claim at given sizes is a :class:`~derivspec.core.claims.Claim` like any other (its
variables ``h1 .. hK`` and ``label``, its target and wrong variants), so the check, the slip search
and the report run on it unchanged.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field
from itertools import product
from typing import Mapping

import sympy

from derivspec.core.claims import AnySize, Claim, Domain, Step, Var, WrongVariant
from derivspec.testing.arguments import arguments_of, parameters_of
from derivspec.testing.errors import ConformanceUsageError

SIZES = (3, 4, 5, 6, 8)  # the sizes drawn beside the claim's own


@dataclass
class Sizing:
    """How a function's vectors are sized: ``drawn`` -- each free size and the values drawn (the
    claim's own first); ``indices`` -- the indices the function takes; ``args`` -- the function's
    arguments, each a whole vector (``pattern`` in the first members of its size, ``dim``) or as given."""

    claim: Claim
    general: AnySize
    drawn: dict[str, tuple[int, ...]]
    indices: frozenset[str]
    args: dict  # parameter -> ("vector", dim, pattern) | ("as given", value)
    _claims: dict = field(default_factory=dict)

    @property
    def own(self) -> dict[str, int]:
        return dict(self.general.sizes)

    def combinations(self) -> list[dict[str, int]]:
        """Every combination of the drawn sizes, the claim's own first."""
        names = list(self.drawn)
        return [dict(zip(names, values)) for values in product(*(self.drawn[n] for n in names))]

    def vectors(self) -> dict[str, set]:
        """Each drawn size and the parameters that take a vector of that size whole."""
        found: dict[str, set] = {}
        for name, entry in self.args.items():
            if entry[0] == "vector":
                found.setdefault(entry[1], set()).add(name)
        return found

    def describe(self) -> dict[str, list[int]]:
        return {name: sorted(values) for name, values in self.drawn.items()}

    def claim_at(self, sizes: Mapping[str, int]) -> Claim:
        key = tuple(sorted(sizes.items()))
        if key not in self._claims:
            self._claims[key] = at_sizes(self.claim, {**self.own, **sizes}, self.indices)
        return self._claims[key]

    def args_at(self, sizes: Mapping[str, int]) -> dict:
        """The ``args`` mapping at these sizes: a whole vector lists its pattern for each member."""
        sizes = {**self.own, **sizes}
        members = _members(self.claim, sizes)
        first = _members(self.claim, self.own)
        result = {}
        for name, entry in self.args.items():
            if entry[0] == "vector":
                _, dim, pattern = entry
                vectors = [v for v in self.general.vectors if v.dim == dim]
                result[name] = [pattern.xreplace({first[v.name][0]: members[v.name][k] for v in vectors})
                                for k in range(sizes[dim])]
            else:
                result[name] = entry[1]
        return result


def _members(claim: Claim, sizes: Mapping[str, int]) -> dict[str, list[sympy.Symbol]]:
    return {v.name: [m.symbol for m in _member_vars(claim, v, sizes[v.dim])] for v in claim.any_size.vectors}


def _member_vars(claim: Claim, vector, size: int) -> list[Var]:
    """The vector's members at ``size``: the claim's own variables at its own size, else name1 .. nameN."""
    if size == len(vector.base):
        return [claim.var(name) for name in vector.base]
    return [Var(f"{vector.name}{k}", f"{vector.latex}_{{{k}}}", vector.domain) for k in range(1, size + 1)]


def at_sizes(claim: Claim, sizes: Mapping[str, int], indices: frozenset[str] = frozenset()) -> Claim:
    """The claim at ``sizes`` (every size named), with the ``indices`` as variables (the others at their
    defaults): its variables, target and wrong variants from the general form."""
    general = claim.any_size
    vector_vars = {v.name: _member_vars(claim, v, sizes[v.dim]) for v in general.vectors}
    variables = []
    for var in claim.variables:  # the claim's order: its scalars keep their place, each vector where it starts
        vector = next((v for v in general.vectors if var.name in v.base), None)
        if vector is None:
            variables.append(var)
        elif var.name == vector.base[0]:
            variables.extend(vector_vars[vector.name])
    index_symbols = {}
    for index in general.indices:
        if index.name in indices:
            var = Var(index.name, index.latex, Domain(f"in 0..{sizes[index.dim] - 1}", {"integer": True},
                                                      values=tuple(range(sizes[index.dim]))))
            variables.append(var)
            index_symbols[index.name] = var.symbol
        else:
            index_symbols[index.name] = sympy.Integer(index.default)
    target, variants = general.general({name: [v.symbol for v in vs] for name, vs in vector_vars.items()},
                                       index_symbols)
    shown = ", ".join(f"{name} = {value}" for name, value in sizes.items())
    return dataclasses.replace(
        claim, variables=tuple(variables), sources=(), recognise=(), any_size=None,
        derivation=(Step(f"the claim's general form (AnySize) at {shown}", target),),
        wrong_variants=tuple(WrongVariant(w.name, variants[w.name]) for w in claim.wrong_variants if w.name in variants))


def plan(claim: Claim, fn, args: Mapping | None, wrt, fix: Mapping | None, *, reserved=(),
         held: Mapping[str, int] | None = None) -> Sizing | None:
    """The sizing of ``fn``'s vectors for ``claim``, or None when the claim has no general form, or the
    function takes no vector whole and no index (the claim is checked at its own sizes, as derived).
    ``held`` -- sizes the user holds at a value of their own (``{"D": 784}``): drawn as that value only."""
    general = claim.any_size
    held = dict(held or {})
    if held:
        names = [name for name, _ in general.sizes] if general is not None else []
        for name, value in held.items():
            if name not in names:
                raise ConformanceUsageError(f"size {name!r} is not a size of {claim.id}" + (
                    f" (its sizes: {', '.join(names)})" if names else " (it has no vectors of free size)"))
            if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= 100_000:
                raise ConformanceUsageError(f"size {name}={value!r}: a size is a whole number from 1 to 100000")
    if general is None:
        return None
    own = dict(general.sizes)
    parameters, _ = parameters_of(fn)
    symbols = claim.symbols
    vectors = {v.name: v for v in general.vectors}
    given = {key: _whole_vector(value, vectors, symbols) for key, value in (args or {}).items()}
    index_names = {i.name for i in general.indices}
    # a parameter named like a vector (that is no variable of the claim) takes the vector whole
    by_name = {p.name: "[" + ", ".join(vectors[p.name].base) + "]" for p in parameters
               if p.name in vectors and p.name not in given and p.name not in symbols and p.name not in reserved}
    indexed = {p.name for p in parameters if p.name in index_names and p.name not in given and p.name not in reserved}
    if not by_name and not indexed and not any(_mentions(v, vectors, index_names) for v in given.values()):
        if held:
            raise ConformanceUsageError(f"--size holds a size of a vector the function takes whole; it takes none "
                                        f"of {claim.id}'s vectors ({', '.join(vectors)}) whole")
        return None
    base = at_sizes(claim, own, frozenset(index_names))  # the claim's own sizes, every index a variable
    try:
        arguments = arguments_of(base, fn, {**given, **by_name}, reserved=reserved)
    except ConformanceUsageError:
        return None  # the ordinary path reports it in the claim's own symbols
    first = _members(claim, own)
    member_of = {s: (v, k) for v, ms in first.items() for k, s in enumerate(ms)}
    pinned, whole, taken_indices = set(), {}, set()
    index_symbols = {base.var(n).symbol for n in index_names}
    for argument in arguments:
        used = {s for e in argument.exprs for s in e.free_symbols}
        taken_indices |= {str(s) for s in used & index_symbols}
        dims = {vectors[member_of[s][0]].dim for s in used if s in member_of}
        if not dims:
            continue
        pattern = _pattern(argument, member_of, vectors, first) if argument.is_list and len(dims) == 1 else None
        if pattern is None:
            pinned |= dims
        else:
            whole[argument.name] = (next(iter(dims)), pattern)
    for name in _names(wrt) + list((fix or {}).keys()):
        symbol = base.symbols.get(name)
        if symbol in member_of:
            pinned.add(vectors[member_of[symbol][0]].dim)
    drawn = {}
    for dim, size in general.sizes:
        if dim in pinned or not any(d == dim for d, _ in whole.values()):
            if dim in held:
                raise ConformanceUsageError(f"size {dim} cannot be held: the function takes no vector of size {dim} "
                                            "whole (give the vector whole, e.g. --args NAME=VECTOR)")
            continue
        drawn[dim] = (held[dim],) if dim in held else (size,) + tuple(s for s in SIZES if s != size)
    if not drawn and not taken_indices:
        return None
    sized_args = {}
    for argument in arguments:
        if argument.name in whole and whole[argument.name][0] in drawn:
            dim, pattern = whole[argument.name]
            sized_args[argument.name] = ("vector", dim, pattern)
        else:
            sized_args[argument.name] = ("as given", list(argument.exprs) if argument.is_list else argument.exprs[0])
    return Sizing(claim, general, drawn, frozenset(taken_indices), sized_args)


def _whole_vector(value, vectors, symbols):
    """An ``args`` value that names the claim's vectors (and no symbol of the claim) -- the vector itself
    (``actions=y``) or the same expression of each member (``logstd=log(sigma)``) -- as the list of its
    members (``[y1, y2]``, ``[log(sigma1), log(sigma2)]``)."""
    if not isinstance(value, str) or value.strip().startswith("["):
        return value
    text = value.strip()
    names = [n for n in dict.fromkeys(re.findall(r"[A-Za-z_]\w*", text)) if n in vectors and n not in symbols]
    if not names or len({vectors[n].dim for n in names}) != 1:
        return value
    size = len(vectors[names[0]].base)
    members = [re.sub(r"[A-Za-z_]\w*", lambda m: vectors[m.group()].base[k] if m.group() in names else m.group(), text)
               for k in range(size)]
    return "[" + ", ".join(members) + "]"


def _names(wrt) -> list[str]:
    if wrt is None:
        return []
    return [wrt] if isinstance(wrt, str) else list(wrt)


def _mentions(value, vectors, index_names) -> bool:
    """Whether an ``args`` value is a list (a vector, perhaps) or names an index."""
    if isinstance(value, (list, tuple)):
        return True
    text = str(value).strip()
    return text.startswith("[") or any(name in text for name in index_names)


def _pattern(argument, member_of, vectors, first) -> sympy.Expr | None:
    """The expression of each member of one size's vectors that the list argument applies, member by
    member and in order, to the whole vectors -- in the first members; None when it is not that."""
    dims = {vectors[member_of[s][0]].dim for e in argument.exprs for s in e.free_symbols if s in member_of}
    dim = next(iter(dims))
    group = [name for name, v in vectors.items() if v.dim == dim]
    size = len(first[group[0]])
    if len(argument.exprs) != size:
        return None
    pattern = argument.exprs[0]
    for k, expr in enumerate(argument.exprs):
        if any(s in member_of and member_of[s][1] != k for s in expr.free_symbols):
            return None  # another member than the k-th
        if expr.xreplace({first[name][k]: first[name][0] for name in group}) != pattern:
            return None
    return pattern

