"""Instances for ``scan``'s new middle: two unfolded sides compared on exact instances by type (DESIGN.md,
"Scan": meaning).

A name the scope types as an integer (an index, a bound) takes a small integer, so a sum or product over it
is multiplied out and a definition by a product implies its recursion; an indexed name at a concrete index
takes a free rational of its own; any other name a rational; a function the document does not define takes
several concrete functions; a construct whose meaning is not known (an expectation under an undeclared law)
a free value. Values are compared at 30 digits and a difference is confirmed at 60. A difference is a
counterexample only where nothing was chosen for the document: no concrete function, no free value for an
unknown construct (``Comparison.flaggable``).
"""

from __future__ import annotations

import random
from dataclasses import dataclass

import sympy
from sympy.core.function import AppliedUndef

from derivspec.core import symbolic
from derivspec.scan import laws
from derivspec.scan.operators import Optimum

INSTANCES = 3
_UNEVALUATED = (sympy.Sum, sympy.Product, sympy.Integral, sympy.Derivative, sympy.Limit, Optimum)
_LATE = (sympy.Limit, Optimum)  # taken once every other name has its value (a limit, an optimum: operators.py)
_DIGITS = (30, 60)
NOT_EVALUATED = "a sum, product, integral or limit that does not evaluate on instances"
INTEGRAL_SECONDS = 1.0  # SymPy on an integral it cannot take (∫ Φ(ax + b) N(x | μ, σ²) dx) runs to the statement's
# limit: five statements of the development half out of time, a fifth of its scanning time (stop 75)


class _NotTaken(Exception):
    """SymPy did not take an integral within INTEGRAL_SECONDS: the comparison ends, no instance evaluates."""


@dataclass
class Comparison:
    agree: int = 0  # instances on which both sides have the same value
    differ: str = ""  # where they differ ("" when nowhere)
    flaggable: bool = False  # the difference needs no choice the document did not make
    on_laws: bool = False  # the only choice was random finite laws: a counterexample where the laws are any laws
    smooth: bool = False  # ... random finite laws smooth in a parameter the step differentiates by
    why: str = ""  # why nothing could be compared, or what was chosen


def _concrete(k: int, arity: int) -> sympy.Lambda:
    """The k-th concrete function of ``arity`` arguments (smooth, positive where the instances are)."""
    args = sympy.symbols(f"u0:{arity}", real=True)
    if k % 3 == 0:
        body = 1 + sum((i + 2) * a for i, a in enumerate(args)) / 3
    elif k % 3 == 1:
        body = sympy.Rational(1, 2) + sum(a ** 2 / (i + 1) for i, a in enumerate(args))
    else:
        body = sympy.exp(sum(a / (i + 3) for i, a in enumerate(args)))
    return sympy.Lambda(args, body)


def _by_substitution(expr):
    """Derivatives by a function's value (∂L/∂y with y = y(b), as SymPy's chain rule writes them) as the
    derivative by a plain variable, evaluated at that value: they stay defined once y is a concrete function."""
    def at_value(derivative):
        variables = {v for v, _ in derivative.variable_count if not isinstance(v, sympy.Symbol)}
        if not variables:
            return derivative
        dummies = {v: sympy.Dummy("ξ", real=True) for v in variables}
        body = derivative.expr.xreplace(dummies)
        counts = [(dummies.get(v, v), n) for v, n in derivative.variable_count]
        return sympy.Subs(sympy.Derivative(body, *counts), list(dummies.values()), list(dummies.keys()))
    return expr.replace(lambda e: isinstance(e, sympy.Derivative), at_value)


def _without_a_value(big) -> bool:
    """A sum or product no instance can give a number: its range is not numbers yet and either an end is an unknown
    part (a range given by a condition, Σ_{i ≠ j}) or its body an unknown part of its index (Σ_{n=1}^N x_n with N
    open). SymPy's symbolic summation of such a term ends in a Sum all the same, after seconds (half the development
    half's instance time at stop 75)."""
    index, lower, upper = big.limits[0]
    if (upper - lower).is_Integer:
        return False
    return (any(end.has(AppliedUndef) for end in (lower, upper))
            or any(index in f.free_symbols for f in big.function.atoms(AppliedUndef)))


def evaluates(expr: sympy.Expr) -> bool:
    """Whether SymPy's doit has anything to do in ``expr`` but sums and products without a value
    (_without_a_value), whose symbolic summation ends in a Sum all the same: simplify then runs without doit (a
    least-squares chain of the development half spent 20 of its 29 s summing Σ_{n=1}^N (y_n - θ x_n)²)."""
    bigs = expr.atoms(sympy.Sum, sympy.Product)
    if not bigs or not all(_without_a_value(big) for big in bigs):
        return True
    return expr.has(sympy.Integral, sympy.Derivative, sympy.Limit, sympy.Subs, Optimum)


def summed_where_possible(expr: sympy.Expr) -> sympy.Expr:
    """Each sum without a value split into its terms (Σ (a_n + 1) = Σ a_n + Σ 1) and the terms that have one summed
    (Σ_{n=1}^N 1 = N): what doit would have found in it, without SymPy's symbolic summation of the rest."""
    def split(big):
        parts = sympy.Add.make_args(big.expand())
        return sympy.Add(*(part if any(_without_a_value(b) for b in part.atoms(sympy.Sum, sympy.Product))
                           else part.doit() for part in parts))
    return expr.replace(lambda e: isinstance(e, sympy.Sum) and _without_a_value(e), split)


def _done(expr: sympy.Expr) -> sympy.Expr:
    """``expr`` evaluated (sums, derivatives, limits); a limit SymPy cannot take stays unevaluated (the caller then
    says the instance does not evaluate) rather than stopping the comparison, and so does all of ``expr`` where a
    sum or product in it has no value on any instance (_without_a_value), or SymPy cannot take an integral in it
    within INTEGRAL_SECONDS (_NotTaken: nor on any other instance)."""
    if any(_without_a_value(big) for big in expr.atoms(sympy.Sum, sympy.Product)):
        return expr  # the whole left as it is: a part held out of doit would lose what binds it (∂/∂θ, Σ_i)
    try:
        with symbolic.time_limit(INTEGRAL_SECONDS if expr.has(sympy.Integral) else None):
            return expr.doit()
    except symbolic.SymPyTimeout:
        if symbolic.remaining_seconds() == 0:  # the statement's own limit: it ends the statement
            raise
        raise _NotTaken() from None  # an integral SymPy cannot take in its limit: no instance evaluates
    except (NotImplementedError, ValueError, TypeError, AttributeError, RecursionError):
        limits = {limit: sympy.Dummy() for limit in expr.atoms(*_LATE)}
        if not limits:
            raise
        return expr.xreplace(limits).doit().xreplace({dummy: limit for limit, dummy in limits.items()})


def _taken_late(expr: sympy.Expr) -> sympy.Expr:
    """The limits and optima left in ``expr`` taken now that every other name has a value (those SymPy cannot take
    stay, and the caller says the instance does not evaluate)."""
    def taken(part):
        try:
            return part.doit()
        except (NotImplementedError, ValueError, TypeError, AttributeError, RecursionError):
            return part
    return expr.replace(lambda e: isinstance(e, _LATE), taken) if expr.has(*_LATE) else expr


def _rational(rng: random.Random) -> sympy.Rational:
    denominator = rng.choice((7, 11, 13))
    return sympy.Rational(rng.choice([n for n in range(2, 3 * denominator) if n % denominator]), denominator)


def _instance(sides: tuple, meaning, integers: set, k: int, seed: int,
              iid: bool = False) -> tuple[tuple, list[str], set]:
    """Both sides on instance ``k``: (values, what was chosen, the choices made for the document: "functions",
    "laws", "unknown parts")."""
    rng = random.Random(seed * 1009 + k)
    roles = meaning.roles
    chosen, free_choice = [], set()
    sides = tuple(sympy.sympify(s) for s in sides)
    symbols = sorted(set().union(*(s.free_symbols for s in sides)), key=str)
    whole = {s: sympy.Integer(rng.randint(2, 4)) for s in symbols if s in integers}
    size = meaning.symbols.get("⟨K⟩")
    if size is not None:
        whole[size] = sympy.Integer(laws.SUPPORT_SIZE)
    sides = tuple(_done(s.subs(whole)) for s in sides)  # subs: an index bound by a sum stays bound
    arity = {f.func: len(f.args) for s in sides for f in s.atoms(AppliedUndef) if roles.get(f.func) == "function"}
    functions = {head: _concrete(k + j, arity[head])  # f and g: each its own concrete function on every instance
                 for j, head in enumerate(sorted(arity, key=str))}
    if functions:
        free_choice.add("functions")
    if functions:
        sides = tuple(_by_substitution(s) for s in sides)
        chosen.append("concrete functions for " + ", ".join(sorted(str(f) for f in functions)))
        for function, concrete in functions.items():  # replace, not subs: SymPy's subs of a function fails in a Sum
            sides = tuple(s.replace(function, concrete) for s in sides)
        sides = tuple(_done(s) for s in sides)
    parameters = _law_parameters(sides, meaning)  # ∂/∂θ of p(x | θ): θ a real number the laws are smooth in
    early = tuple(kind for kind in _UNEVALUATED if kind not in _LATE)
    if any(s.has(*early) for s in sides) and not (parameters and _only_derivatives(sides, parameters)):
        return sides, chosen, free_choice  # nothing to put values into: the caller says so
    random_variables = {v.xreplace(whole) for v in meaning.random} - parameters
    values = {}
    for s in sides:  # random variables at values of their support, then every other name and unknown part
        for atom in sorted(s.free_symbols | s.atoms(AppliedUndef), key=str):
            if atom in random_variables and atom not in values:
                values[atom] = sympy.Integer(rng.randrange(laws.SUPPORT_SIZE))
    sides = tuple(s.xreplace(values) for s in sides)
    if meaning.marginals:
        tables = laws.tables(meaning.marginals, rng, iid, parameters)
        chosen.append(f"random {'i.i.d. ' if iid else ''}finite laws of " + ", ".join(sorted(tables))
                      + (f" smooth in {', '.join(sorted(map(str, parameters)))}" if parameters else ""))
        free_choice.add("laws")
        sides = tuple(s.replace(lambda e: isinstance(e, AppliedUndef) and e.func in meaning.marginals
                                and all(a.is_Integer or (a.free_symbols and a.free_symbols <= parameters)
                                        for a in e.args),
                                lambda e: laws.value(e.func, e.args, meaning.marginals, tables)) for s in sides)
        if parameters:  # evidence only: how far a derivative operator reaches (∂_θ log p · p) is not read yet
            free_choice.add("smooth laws")
            sides = tuple(_done(s) for s in sides)  # the derivatives by the laws' parameters, now explicit
    values = {}
    for s in sides:
        for atom in sorted(s.atoms(AppliedUndef), key=str):
            if atom not in values:
                values[atom] = _rational(rng)
                if roles.get(atom.func) != "indexed":
                    free_choice.add("unknown parts")
    sides = tuple(s.xreplace(values) for s in sides)
    rest = sorted(set().union(*(s.free_symbols for s in sides)), key=str)
    point = {s: _rational(rng) for s in rest}
    chosen.append(", ".join(f"{s} = {v}" for s, v in list({**whole, **point}.items())[:8]))
    return tuple(_taken_late(s.subs(point)) for s in sides), chosen, free_choice


def _law_parameters(sides: tuple, meaning) -> set:
    """The names the sides differentiate by that are variables of their laws (p(x | θ) under ∂/∂θ)."""
    varied = {v for s in sides for d in s.atoms(sympy.Derivative) for v in d.variables}
    of_laws = {v for _, variables in meaning.marginals.values() for v in variables}
    return varied & of_laws


def _only_derivatives(sides: tuple, parameters: set) -> bool:
    """Nothing left unevaluated but derivatives by the laws' parameters (sums over a support are done)."""
    others = tuple(kind for kind in _UNEVALUATED if kind is not sympy.Derivative)
    return not any(s.has(*others) for s in sides) and all(
        set(d.variables) <= parameters for s in sides for d in s.atoms(sympy.Derivative))


def _number(value, digits: int):
    found = sympy.N(value, digits)
    if not found.is_number or found.has(sympy.nan, sympy.zoo, sympy.oo, -sympy.oo) or not found.is_real:
        return None
    return found


def compare(left, right, meaning, integers: set, seed: int = 0, iid: bool = False) -> Comparison:
    """``left`` and ``right`` (SymPy) on :data:`INSTANCES` instances; ``meaning``: what unfolding them met (the
    role of each SymPy function, the random variables and the laws' marginals: scan/operators.Meaning),
    ``integers``: the symbols that take integer values; ``iid``: the random variables of each law independent
    and alike (laws.tables)."""
    result = Comparison()
    for k in range(INSTANCES * 2):
        if result.agree >= INSTANCES:
            break
        try:
            (a, b), chosen, free_choice = _instance((left, right), meaning, integers, k, seed, iid)
        except (ValueError, TypeError, ZeroDivisionError, laws.Unknown):  # SymPy cannot put this instance in
            result.why = result.why or "no instance SymPy can evaluate"
            continue
        except _NotTaken:
            result.why = NOT_EVALUATED
            return result
        if a.has(*_UNEVALUATED) or b.has(*_UNEVALUATED):
            result.why = NOT_EVALUATED
            return result
        x, y = _number(a, _DIGITS[0]), _number(b, _DIGITS[0])
        if x is None or y is None:
            continue
        scale = max(1, abs(x), abs(y))
        if abs(x - y) <= sympy.Float(10) ** -20 * scale:
            result.agree += 1
            continue
        x, y = _number(a, _DIGITS[1]), _number(b, _DIGITS[1])
        if x is None or y is None or abs(x - y) <= sympy.Float(10) ** -45 * scale:
            continue
        where = '; '.join(c for c in chosen if c)
        result.differ = f"{'at ' + where if where else 'in value'}: {sympy.N(x, 8)} vs {sympy.N(y, 8)}"
        result.flaggable = not free_choice
        result.on_laws = free_choice == {"laws"}
        result.smooth = free_choice == {"laws", "smooth laws"}
        result.why = "; ".join(chosen)
        return result
    if not result.agree:
        result.why = result.why or "no instance where both sides are defined real numbers"
    return result


def values(expr, meaning, integers: set, seed: int = 0, iid: bool = False) -> list[tuple]:
    """The value of ``expr`` on up to :data:`INSTANCES` instances where it is a real number (30 digits), each with
    the choices made for the document (``_instance``): [(value, choices), ...]."""
    found = []
    for k in range(INSTANCES * 2):
        if len(found) >= INSTANCES:
            break
        try:
            (value, _), _, free_choice = _instance((expr, sympy.Integer(0)), meaning, integers, k, seed, iid)
        except (ValueError, TypeError, ZeroDivisionError, laws.Unknown):
            continue
        except _NotTaken:
            return []
        if value.has(*_UNEVALUATED):
            return []
        number = _number(value, _DIGITS[0])
        if number is not None:
            found.append((number, frozenset(free_choice)))
    return found


# --- matrices ----------------------------------------------------------------------------------------------

_MATRIX_SIZES = (2, 2, 3, 3)


class _NotMatrices(Exception):
    """A construct the matrix instances do not evaluate (a function, a law, a sum)."""


def on_matrices(left, right, seed: int = 0) -> Comparison:
    """Two typed sides with every name a random square rational matrix (2x2 and 3x3, non-commuting) and every
    number a multiple of the identity. Agreement is evidence for matrices and for numbers (a number is a
    multiple of the identity); a difference is never a counterexample to flag (a name may be a scalar, a vector
    or a matrix of another shape). ``why`` says what could not be evaluated."""
    found = Comparison()
    for k, size in enumerate(_MATRIX_SIZES):
        rng, values = random.Random(seed * 7919 + k), {}
        try:
            a, b = (_matrix(side, size, values, rng) for side in (left, right))
        except (_NotMatrices, ValueError, ZeroDivisionError) as why:  # ValueError: a singular instance
            found.why = f"not evaluated on matrices: {why}"
            return found
        if a != b:
            found.differ = f"at {size}x{size} rational matrices"
            return found
        found.agree += 1
    return found


def _matrix(node, size: int, values: dict, rng: random.Random) -> sympy.Matrix:
    from derivspec.scan import tree

    identity = sympy.eye(size)
    if isinstance(node, tree.Num):
        return sympy.Rational(node.value.numerator, node.value.denominator) * identity
    if isinstance(node, tree.Name):
        key = (node.latex, node.index)
        if key not in values:
            values[key] = sympy.Matrix(size, size, lambda i, j: sympy.Rational(rng.randint(-9, 9), rng.randint(1, 5)))
        return values[key]
    parts = [_matrix(p, size, values, rng) for p in node.parts()] if isinstance(
        node, tree.Add | tree.Mul | tree.Transpose | tree.Inverse | tree.Trace | tree.Det) else None
    if isinstance(node, tree.Add):
        return sum(parts[1:], parts[0])
    if isinstance(node, tree.Mul):
        product = parts[0]
        for part in parts[1:]:
            product = product * part
        return product
    if isinstance(node, tree.Pow) and isinstance(node.exponent, tree.Num) and node.exponent.value.denominator == 1:
        base, power = _matrix(node.base, size, values, rng), int(node.exponent.value)
        return base ** power if power >= 0 else base.inv() ** (-power)
    if isinstance(node, tree.Transpose):
        return parts[0].T
    if isinstance(node, tree.Inverse):
        return parts[0].inv()
    if isinstance(node, tree.Trace):
        return parts[0].trace() * identity
    if isinstance(node, tree.Det):
        return parts[0].det() * identity
    raise _NotMatrices("a part that is not matrix arithmetic (a function, a law, a sum)")
