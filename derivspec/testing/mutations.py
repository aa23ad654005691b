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
    """The claim's mutants (of ``expr``, default its target), simplest first, deduplicated."""
    expr = claim.target if expr is None else expr
    kinds = symbol_kinds(claim)
    found: list[Mutant] = []
    for make in (_signs, _coefficients, _ratios, _swaps, _exponentials, _powers, _roots, _squares, _logs):
        found += make(expr, kinds)
        if len(found) > MAX_MUTANTS:
            break
    found += [Mutant(m.name + ", sign flipped", -m.expr) for m in _swaps(expr, kinds) if m.name.startswith("roles of")]
    return _distinct(claim, expr, found[:MAX_MUTANTS])


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

def _signs(expr, kinds) -> list[Mutant]:
    found = [Mutant("sign flipped (the negative of the target)", -expr)]
    for node in _nodes(expr, sympy.Add):
        for term in node.args:
            if term.is_Number:
                continue
            found.append(Mutant(f"sign of the term {_show(term)} flipped", expr.xreplace({node: node - 2 * term})))
    return found


def _coefficients(expr, kinds) -> list[Mutant]:
    found = []
    for node in _nodes(expr, sympy.Mul):
        coefficient, rest = node.as_coeff_Mul()
        if coefficient.is_Rational and coefficient not in (1, -1):
            kept = sympy.sign(coefficient) * rest
            found.append(Mutant(f"the factor {_show(abs(coefficient))} dropped from {_show(node)}", expr.xreplace({node: kept})))
            found.append(Mutant(f"the factor {_show(abs(coefficient))} of {_show(node)} halved",
                                expr.xreplace({node: node / 2})))
    for node in _nodes(expr, sympy.Add):
        for term in node.args:
            if term.is_Number:
                found.append(Mutant(f"the constant {_show(term)} dropped from {_show(node)}",
                                    expr.xreplace({node: node - term})))
    return found


def _swaps(expr, kinds) -> list[Mutant]:
    present = [s for s in sorted(expr.free_symbols, key=str) if s in kinds]
    found = []
    laws = _laws(present)
    if laws:
        swap = {}
        for a, b in laws:
            swap[a], swap[b] = b, a
        pairs = ", ".join(f"{a} <-> {b}" for a, b in laws)
        found.append(Mutant(f"the two laws swapped ({pairs})", expr.xreplace(swap)))
    for a, b in combinations(present, 2):
        if kinds[a] != kinds[b]:
            continue
        found.append(Mutant(f"roles of {a} and {b} swapped", expr.xreplace({a: b, b: a})))
    everything = [s for s in kinds if isinstance(s, sympy.Symbol)]
    for a in present:
        for b in everything:
            if a != b and kinds[a] == kinds[b]:
                found.append(Mutant(f"{b} in place of {a}", expr.xreplace({a: b})))
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


def _exponentials(expr, kinds) -> list[Mutant]:
    return [Mutant(f"exp({_show(-node.args[0])}) in place of {_show(node)}", expr.xreplace({node: sympy.exp(-node.args[0])}))
            for node in _nodes(expr, sympy.exp)]


def _powers(expr, kinds) -> list[Mutant]:
    found = []
    for node in _nodes(expr, sympy.Pow):
        base, exponent = node.args
        if exponent.is_Number and exponent != -1 and not (exponent.is_Rational and abs(exponent) == sympy.Rational(1, 2)):
            flipped = base ** (-exponent)
            found.append(Mutant(f"{_show(flipped)} in place of {_show(node)}", expr.xreplace({node: flipped})))
    return found


def _roots(expr, kinds) -> list[Mutant]:
    found = []
    for node in _nodes(expr, sympy.Pow):
        base, exponent = node.args
        if exponent.is_Rational and abs(exponent) == sympy.Rational(1, 2):
            plain = base ** sympy.sign(exponent)
            found.append(Mutant(f"square root dropped: {_show(plain)} in place of {_show(node)}",
                                expr.xreplace({node: plain})))
    for node in _nodes(expr, sympy.Mul):
        for factor in node.args:
            if factor.is_Number or (factor.is_Pow and factor.exp.is_Rational and abs(factor.exp) == sympy.Rational(1, 2)):
                continue
            rooted = sympy.sqrt(factor)
            found.append(Mutant(f"square root added: {_show(rooted)} in place of {_show(factor)}",
                                expr.xreplace({node: node / factor * rooted})))
    return found


def _squares(expr, kinds) -> list[Mutant]:
    found = []
    for symbol in sorted(expr.free_symbols, key=str):
        if symbol not in kinds or not _positive_kind(kinds[symbol]):
            continue
        found.append(Mutant(f"{symbol}**2 in place of {symbol} (a variance where a standard deviation belongs)",
                            expr.xreplace({symbol: symbol ** 2})))
        found.append(Mutant(f"sqrt({symbol}) in place of {symbol} (a standard deviation where a variance belongs)",
                            expr.xreplace({symbol: sympy.sqrt(symbol)})))
    return found


def _positive_kind(kind: str) -> bool:
    return kind.startswith("> 0") or kind.startswith("in (0") or kind.startswith(">= 0")


def _logs(expr, kinds) -> list[Mutant]:
    logs = _nodes(expr, sympy.log)
    found = []
    if len(logs) > 1:
        found.append(Mutant("every logarithm doubled (log a**2 where log a belongs)", expr.xreplace({n: 2 * n for n in logs})))
        found.append(Mutant("every logarithm halved (log a where log a**2 belongs: a standard-deviation ratio for the "
                            "variance ratio)", expr.xreplace({n: n / 2 for n in logs})))
    for node in logs:
        argument = node.args[0]
        found.append(Mutant(f"log({_show(argument ** 2)}) in place of {_show(node)}", expr.xreplace({node: 2 * node})))
        found.append(Mutant(f"log({_show(sympy.sqrt(argument))}) in place of {_show(node)}", expr.xreplace({node: node / 2})))
    return found


def _ratios(expr, kinds) -> list[Mutant]:
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
            found.append(Mutant(f"ratio inverted: ({_show(bottom_part)})/({_show(top_part)}) in place of "
                                f"({_show(top_part)})/({_show(bottom_part)})", expr.xreplace({node: inverted})))
    return found


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
    """Drop mutants equal to the target or to an earlier mutant at three random points of the claim's domains
    (defined symbols expanded), and those undefined there."""
    from derivspec.testing.strategies import typical_value

    rng = random.Random(20240611)
    points = [{v.symbol: sympy.Float(typical_value(v.domain, rng) if not v.domain.integer else typical_value(v.domain, rng))
               for v in claim.variables} for _ in range(3)]

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
