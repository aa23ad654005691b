r"""Slips named by mutation: the candidates a function may compute instead of a claim's target, derived
mechanically from the target's expression tree -- one mechanism for every claim, not a list per claim.

Each mutation is a small edit a person makes when copying a formula into code:

* a sign: the whole target negated, or one term of a sum;
* a factor or a constant: a numeric coefficient dropped (a ½ lost) or halved, a constant term dropped (a 1);
* two symbols of one kind swapped, or one in place of the other (α_t ↔ ᾱ_t, ᾱ_t for α_t, x₀ ↔ ε), and the
  two laws of a divergence swapped at once (μ₁ ↔ μ₂ with σ₁ ↔ σ₂);
* exp(v) ↔ exp(−v); a power's sign (σ⁻² ↔ σ²: ``exp(logvar)`` for ``exp(-logvar)``);
* a square root dropped or added; σ ↔ σ² (a variance where a standard deviation belongs);
* log a ↔ log a² (every logarithm at once, or one): the log of a standard-deviation ratio where the
  variance ratio belongs;
* a ratio inverted: num/den ↔ den/num (β_t (1 − ᾱ_t)/(1 − ᾱ_{t−1}) for β_t (1 − ᾱ_{t−1})/(1 − ᾱ_t)).

"Of one kind" is read from the claim: variables with the same domain, and defined symbols built from
variables of one domain (ᾱ_t = α_t ᾱ_{t−1} is of the kind of α_t). Candidates are written in the claim's own
symbols (defined ones kept, so the name reads like the lecture) and deduplicated: a mutant equal to the target
or to an earlier mutant at random points is dropped. The check names the first that matches the function at
the counterexample and at every probe (:func:`derivspec.testing.conforms._slip`).
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass
from itertools import combinations

import sympy

MAX_MUTANTS = 400  # a bound on the candidates of one target (the larger general forms)


@dataclass(frozen=True)
class Mutant:
    name: str
    expr: sympy.Expr


def mutants(claim, expr: sympy.Expr | None = None) -> list[Mutant]:
    """The claim's mutants (of ``expr``, default its target), simplest first, deduplicated. Each edit is tried
    at one node, and -- where the node belongs to one member of a vector (σ₁ of σ₁, σ₂, ...) -- at the same
    node of every member at once, as code applies a slip to a whole array."""
    expr = claim.target if expr is None else expr
    kinds = symbol_kinds(claim)
    members = vector_members(expr)
    edits: list[tuple[str, dict]] = []
    for make in (_signs, _coefficients, _negations, _drops, _ratios, _swaps, _exponentials, _powers, _roots, _squares,
                 _logs, _means, _outputs, _extras):
        edits += make(expr, kinds) if make is not _means else make(expr, members)
        if len(edits) > MAX_MUTANTS:
            break
    edits += [(name + ", sign flipped", {expr: -expr.xreplace(r)}) for name, r in _swaps(expr, kinds)
              if name.startswith("roles of")]
    edits += _in_one_term(expr, edits)
    found = [Mutant(name, expr.xreplace(r)) for name, r in edits[:MAX_MUTANTS]]
    found += [Mutant(name, expr.xreplace(r))
              for name, r in (_in_every_member(name, r, members) for name, r in edits[:MAX_MUTANTS]) if r]
    return _distinct(claim, expr, found)


def _in_one_term(expr: sympy.Expr, edits: list) -> list:
    """An edit of a node that occurs in several terms of a sum, made in one of those terms only (σ² → σ⁻² in
    the σ²/2 term, not in log σ²): code slips at one place, not at every equal subexpression."""
    found = []
    sums = _nodes(expr, sympy.Add)
    for name, replacements in edits:
        if len(replacements) != 1:
            continue
        (old, new), = replacements.items()
        if old == expr or old.is_Symbol:
            continue
        for node in sums:
            holding = [t for t in node.args if t.has(old)]
            if len(holding) < 2:
                continue
            for term in holding:
                changed = term.xreplace(replacements)
                if changed != term:
                    found.append((f"{name} (in the term {_show(term)} only)", {term: changed}))
    return found


def vector_members(expr: sympy.Expr) -> dict:
    """Symbols named PREFIX + a number where two or more share the prefix: each symbol -> (prefix, number)."""
    found = {}
    for symbol in expr.free_symbols:
        match = re.fullmatch(r"([A-Za-z_]+?)_?(\d+)", str(symbol))
        if match:
            found[symbol] = (match.group(1), int(match.group(2)))
    prefixes = {}
    for prefix, _ in found.values():
        prefixes[prefix] = prefixes.get(prefix, 0) + 1
    return {s: pk for s, pk in found.items() if prefixes[pk[0]] >= 2}


def _in_every_member(name: str, replacements: dict, members: dict) -> tuple[str, dict | None]:
    """The same edit at every member: where the edited nodes hold members of one index k only, their copies
    with each other index j present (every vector's k-th member renamed to its j-th)."""
    used = {members[s][1] for old in replacements for s in old.free_symbols if s in members}
    if len(used) != 1:
        return name, None
    k = used.pop()
    indices = sorted({i for _, i in members.values()} - {k})
    by_key = {(p, i): s for s, (p, i) in members.items()}
    extended = dict(replacements)
    for j in indices:
        shift = {s: by_key[(p, j)] for s, (p, i) in members.items() if i == k and (p, j) in by_key}
        for old, new in replacements.items():
            if any(s in members and members[s][1] == k and s not in shift for s in old.free_symbols):
                continue
            extended[old.xreplace(shift)] = new.xreplace(shift)
    if len(extended) == len(replacements):
        return name, None
    for prefix in sorted({p for s, (p, i) in members.items() if i == k}, key=len, reverse=True):
        name = re.sub(rf"\b{re.escape(prefix)}_?{k}\b", f"{prefix}_i", name)
    return name + " (in every member i)", extended


def symbol_kinds(claim) -> dict:
    """Each symbol of the claim (variables and defined symbols) and its kind: a variable's domain, a defined
    symbol's when the variables it is built from share one; discrete variables have none (never mutated)."""
    kinds = {}
    for var in claim.variables:
        if var.domain.values is not None or var.domain.integer:
            continue
        kinds[var.symbol] = var.domain.constraint
    for defined in getattr(claim, "defined", ()):
        symbol = claim.symbols.get(defined.name)
        parts = {kinds.get(s) for s in sympy.sympify(defined.expr).free_symbols}
        if symbol is not None and len(parts) == 1 and None not in parts:
            kinds[symbol] = parts.pop()
    return kinds


def _show(e) -> str:
    return sympy.sstr(e)


# --- the operators ----------------------------------------------------------------------------------

def _signs(expr, kinds) -> list:
    found = [("sign flipped (the negative of the target)", {expr: -expr})]
    for node in _nodes(expr, sympy.Add):
        for term in node.args:
            if term.is_Number:
                continue
            found.append((f"sign of the term {_show(term)} flipped", {term: -term}))
    return found


def _coefficients(expr, kinds) -> list:
    found = []
    for node in _nodes(expr, sympy.Mul):
        coefficient, rest = node.as_coeff_Mul()
        if coefficient.is_Rational and coefficient not in (1, -1):
            kept = sympy.sign(coefficient) * rest
            found.append((f"the factor {_show(abs(coefficient))} dropped from {_show(node)}", {node: kept}))
            found.append((f"the factor {_show(abs(coefficient))} of {_show(node)} halved", {node: node / 2}))
    for node in _nodes(expr, sympy.Add):
        for term in node.args:
            if term.is_Number:
                found.append((f"the constant {_show(term)} dropped from {_show(node)}", {node: node - term}))
    return found


def _swaps(expr, kinds) -> list:
    present = [s for s in sorted(expr.free_symbols, key=str) if s in kinds]
    found = []
    laws = _laws(present)
    if laws:
        swap = {}
        for a, b in laws:
            swap[a], swap[b] = b, a
        pairs = ", ".join(f"{a} <-> {b}" for a, b in laws)
        found.append((f"the two laws swapped ({pairs})", swap))
    for a, b in combinations(present, 2):
        if kinds[a] != kinds[b]:
            continue
        found.append((f"roles of {a} and {b} swapped", {a: b, b: a}))
    everything = [s for s in kinds if isinstance(s, sympy.Symbol)]
    for a in present:
        for b in everything:
            if a != b and kinds[a] == kinds[b]:
                found.append((f"{b} in place of {a}", {a: b}))
    return found


def _laws(present: list) -> list[tuple]:
    """The pairs of symbols that differ only by a trailing 1 and 2 (the two laws of a divergence)."""
    names = {str(s): s for s in present}
    pairs = []
    for name, symbol in names.items():
        match = re.fullmatch(r"(.*?)(_?)1", name)
        if match and f"{match.group(1)}{match.group(2)}2" in names:
            pairs.append((symbol, names[f"{match.group(1)}{match.group(2)}2"]))
    return pairs if len(pairs) >= 2 else []


def _negations(expr, kinds) -> list:
    """The sign of one real variable flipped (the chosen and rejected log-probabilities swapped)."""
    return [(f"the sign of {symbol} flipped", {symbol: -symbol}) for symbol in sorted(expr.free_symbols, key=str)
            if kinds.get(symbol) == "real"]


def _drops(expr, kinds) -> list:
    """One term of a sum dropped (a data term, a normaliser left out)."""
    return [(f"the term {_show(term)} dropped", {node: node - term}) for node in _nodes(expr, sympy.Add)
            for term in node.args if not term.is_Number]


def _extras(expr, kinds) -> list:
    """A term too many, of one variable: ±v, ±|v|, ±v²/2, ±log v (a stable form's |z| written twice, a
    log-normaliser added to a log-probability)."""
    found = []
    for symbol in sorted(expr.free_symbols, key=str):
        kind = kinds.get(symbol)
        if kind is None:
            continue
        terms = [symbol, sympy.Abs(symbol), symbol ** 2 / 2] + ([sympy.log(symbol)] if _positive_kind(kind) else [])
        for term in terms:
            for sign in (1, -1):
                found.append((f"an extra term {_show(sign * term)}", {expr: expr + sign * term}))
    return found


def _exponentials(expr, kinds) -> list:
    return [(f"exp({_show(-node.args[0])}) in place of {_show(node)}", {node: sympy.exp(-node.args[0])})
            for node in _nodes(expr, sympy.exp)]


def _powers(expr, kinds) -> list:
    """A power's sign flipped (σ⁻² ↔ σ²: exp(-logvar) for exp(logvar)); a square written as its base or the
    base squared again (σ for σ², σ⁴ for σ²: a standard deviation where the variance belongs)."""
    found = []
    for node in _nodes(expr, sympy.Pow):
        base, exponent = node.args
        if exponent.is_Integer and abs(exponent) == 2:
            found.append((f"{_show(base ** (exponent / 2))} in place of {_show(node)}", {node: base ** (exponent / 2)}))
            found.append((f"{_show(base ** (exponent * 2))} in place of {_show(node)}", {node: base ** (exponent * 2)}))
        if exponent.is_Number and exponent != -1 and not (exponent.is_Rational and abs(exponent) == sympy.Rational(1, 2)):
            flipped = base ** (-exponent)
            found.append((f"{_show(flipped)} in place of {_show(node)}", {node: flipped}))
    return found


def _roots(expr, kinds) -> list:
    found = []
    for node in _nodes(expr, sympy.Pow):
        base, exponent = node.args
        if exponent.is_Rational and abs(exponent) == sympy.Rational(1, 2):
            plain = base ** sympy.sign(exponent)
            found.append((f"square root dropped: {_show(plain)} in place of {_show(node)}", {node: plain}))
    for node in _nodes(expr, sympy.Mul):
        for factor in node.args:
            if factor.is_Number or (factor.is_Pow and factor.exp.is_Rational and abs(factor.exp) == sympy.Rational(1, 2)):
                continue
            rooted = sympy.sqrt(factor)
            found.append((f"square root added: {_show(rooted)} in place of {_show(factor)}", {node: node / factor * rooted}))
    return found


def _squares(expr, kinds) -> list:
    found = []
    for symbol in sorted(expr.free_symbols, key=str):
        if symbol not in kinds or not _positive_kind(kinds[symbol]):
            continue
        found.append((f"{symbol}**2 in place of {symbol} (a variance where a standard deviation belongs)",
                      {symbol: symbol ** 2}))
        found.append((f"sqrt({symbol}) in place of {symbol} (a standard deviation where a variance belongs)",
                      {symbol: sympy.sqrt(symbol)}))
    return found


def _positive_kind(kind: str) -> bool:
    return kind.startswith("> 0") or kind.startswith("in (0") or kind.startswith(">= 0")


def _logs(expr, kinds) -> list:
    logs = _nodes(expr, sympy.log)
    found = []
    if len(logs) > 1:
        found.append(("every logarithm doubled (log a**2 where log a belongs)", {n: 2 * n for n in logs}))
        found.append(("every logarithm halved (log a where log a**2 belongs: a standard-deviation ratio for the "
                      "variance ratio)", {n: n / 2 for n in logs}))
    for node in logs:
        argument = node.args[0]
        found.append((f"log({_show(argument ** 2)}) in place of {_show(node)}", {node: 2 * node}))
        found.append((f"log({_show(sympy.sqrt(argument))}) in place of {_show(node)}", {node: node / 2}))
    return found


def _ratios(expr, kinds) -> list:
    found = []
    for node in _nodes(expr, sympy.Mul):
        numerator, denominator = node.as_numer_denom()
        if denominator == 1 or numerator.is_Number:
            continue
        coefficient, top = numerator.as_coeff_Mul()
        for part in _ratio_parts(top, denominator):
            top_part, bottom_part = part
            if top_part == 1:
                continue
            inverted = node * (bottom_part / top_part) ** 2
            found.append((f"ratio inverted: ({_show(bottom_part)})/({_show(top_part)}) in place of "
                          f"({_show(top_part)})/({_show(bottom_part)})", {node: inverted}))
    return found


def _means(expr, members: dict) -> list:
    """A sum over a vector's members replaced by their mean: in a sum, the terms that are one term written
    for each member (the same up to the member's index), divided by their number."""
    found = []
    for node in _nodes(expr, sympy.Add):
        families: dict = {}
        for term in node.args:
            indices = {members[s][1] for s in term.free_symbols if s in members}
            if len(indices) != 1:
                continue
            canon = term.xreplace({s: sympy.Symbol(members[s][0] + "_k") for s in term.free_symbols if s in members})
            families.setdefault(canon, []).append(term)
        for canon, terms in families.items():
            if len(terms) < 2:
                continue
            total = sympy.Add(*terms)
            n = len(terms)
            found.append((f"a mean over the {n} members where their sum belongs ({_show(canon)} averaged, not summed)",
                          {node: node - total + total / n}))
    return found


def _outputs(expr, kinds) -> list:
    """The whole target transformed: squared (a variance returned as a standard deviation), its square root,
    its reciprocal, its exponential or logarithm (a probability for a log-probability)."""
    return [("the target squared (a variance where a standard deviation belongs)", {expr: expr ** 2}),
            ("the square root of the target (a standard deviation where a variance belongs)", {expr: sympy.sqrt(expr)}),
            ("the reciprocal of the target", {expr: 1 / expr}),
            ("the exponential of the target (a probability where its logarithm belongs)", {expr: sympy.exp(expr)}),
            ("the logarithm of the target", {expr: sympy.log(expr)})]


def _ratio_parts(top, denominator) -> list[tuple]:
    """The ratios of a quotient a person may write upside down: the whole, and each numerator factor over
    each denominator factor."""
    parts = [(top, denominator)]
    tops = [f for f in sympy.Mul.make_args(top) if not f.is_Number]
    bottoms = [f for f in sympy.Mul.make_args(denominator) if not f.is_Number]
    if len(tops) > 1 or len(bottoms) > 1:
        parts += [(t, b) for t in tops for b in bottoms]
    return parts


# --- helpers --------------------------------------------------------------------------------------

def _nodes(expr, kind) -> list:
    seen, found = set(), []
    for node in sympy.preorder_traversal(expr):
        if isinstance(node, kind) and node not in seen:
            seen.add(node)
            found.append(node)
    return found


def _distinct(claim, expr, found: list[Mutant]) -> list[Mutant]:
    """Drop mutants equal to the target or to an earlier mutant at eight typical points of the claim's domains
    (defined symbols expanded), and those undefined there."""
    from derivspec.testing.strategies import typical_value

    rng = random.Random(20240611)
    points = []
    for _ in range(8):  # typical values, each real variable's sign drawn apart (|z| and z told apart)
        point = {}
        for v in claim.variables:
            value = typical_value(v.domain, rng)
            flipped = -abs(value) if rng.random() < 0.5 else abs(value)
            point[v.symbol] = sympy.Float(flipped if not v.domain.integer and v.domain.contains(flipped) else value)
        points.append(point)

    def key(e):
        full = claim.expand_defined(e)
        values = []
        for point in points:
            try:
                value = complex(full.xreplace(point).evalf(20))
            except (TypeError, ValueError, ZeroDivisionError):
                return None
            if value != value or abs(value) == float("inf"):
                return None
            values.append((round(value.real, 9), round(value.imag, 9)))
        return tuple(values)

    seen = {key(expr)}
    kept = []
    for mutant in found:
        k = key(mutant.expr)
        if k is None or k in seen:
            continue
        seen.add(k)
        kept.append(mutant)
    return kept
