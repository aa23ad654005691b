r"""Expectations of one random variable, evaluated on finite distributions.

A step between expectations of one random variable X with no law in the document -- Jensen's
inequality ``f(\mathbb{E}[X]) \le \mathbb{E}[f(X)]`` for a convex f, ``\log \mathbb{E}[X] \ge \mathbb{E}[\log X]``,
``\mathbb{E}[X^2] \ge \mathbb{E}[X]^2`` -- is a claim about *every* distribution of X, so it is evaluated on
random finite ones (DESIGN.md, "Scan": instances of each type; the expectation's meaning is
:math:`\mathbb{E}[g(X)] = \sum_i p_i\, g(x_i)`):

* **Which steps.** Every expectation has the same head (one law) and an argument in one variable X;
  X occurs only inside expectations; nothing else is a symbol (a constant, a parameter, a named mean
  ``\mu`` would be a value the document may fix). The document gives X no law (``X \sim``, a named family):
  a declared law is another check's business. Undefined functions (any letter: not a density, not defined
  in the document) take concrete instances -- convex ones (``x^2``, ``e^x``, ``x^4 + x``) when the text above
  calls them convex (:func:`derivspec.scan.scope.function_shapes`, any letter), concave ones (``\log x``, ``\sqrt{x}``, ``-x^2``) when it says "concave", else those of
  :data:`derivspec.scan.instances.FAMILIES`.
* **Instances.** Four distributions per assignment of functions: three or four positive rational values
  with positive rational probabilities summing to one (seeded, exact), evaluated at 50 digits.
* **Verdicts.** The relation holds on every instance: "holds on N instances", never ``proved``. It fails
  for every assignment of functions (one distribution each suffices): a flag, with the functions, the
  distribution and both sides -- only when the text around does not restrict X (binary, an indicator,
  integer, bounded, in a set, symmetric, "distributed", a named family). Both sides hold an expectation
  (``E[X] \le 1`` is a bound X's range decides). Anything else: None.
"""

from __future__ import annotations

import random
import re
from fractions import Fraction

import sympy
from sympy.core.function import AppliedUndef

from derivspec.scan import algebra, instances, scope

CONVEX = (("x^2", lambda u: u ** 2), ("e^{x}", sympy.exp), ("x^4 + x", lambda u: u ** 4 + u))
CONCAVE = (("\\log x", sympy.log), ("\\sqrt{x}", sympy.sqrt), ("-x^2", lambda u: -u ** 2))
DISTRIBUTIONS = 4  # per assignment of functions
SEED = 42
_DIGITS = 50
_MARGIN = sympy.Float("1e-30", _DIGITS)
_RELATIONS = ("=", "≤", "≥", "<", ">")
# a variable the text restricts (E[X^2] = E[X] for an indicator, E[X^2] >= E[X] for integers): then no flag
_RESTRICTED = re.compile(scope.RESTRICTING_WORDS + r"|\\\{\s*0\s*,\s*1\s*\\\}|\{0,\s*1\}|zero[- ]mean|mean\s+zero|"
                         r"independent|standard|gaussian|normal|uniform|poisson|exponential|distributed|"
                         r"\\mathbb\s*\{?[NZ]\b|\\in\b|interval|range", re.IGNORECASE)  # and a named law, a set


def _expectations(expr: sympy.Expr) -> list:
    return [node for node in sympy.preorder_traversal(expr)
            if isinstance(node, AppliedUndef) and algebra.is_linear_operator(node)]


def _distributions(rng: random.Random) -> list[tuple[tuple, tuple]]:
    """(values, probabilities): positive rationals, probabilities summing to one, exact."""
    found = []
    for _ in range(DISTRIBUTIONS):
        size = rng.choice((3, 4))
        values = sorted({Fraction(rng.randint(1, 24), rng.randint(1, 6)) for _ in range(size)})
        weights = [rng.randint(1, 9) for _ in values]
        total = sum(weights)
        found.append((tuple(sympy.Rational(v.numerator, v.denominator) for v in values),
                      tuple(sympy.Rational(w, total) for w in weights)))
    return found


def _holds(relation: str, difference: sympy.Expr) -> bool | None:
    value = sympy.N(difference, _DIGITS)
    if not value.is_real:
        return None
    if relation == "=":
        return abs(value) <= _MARGIN
    if relation in ("≤", "<"):
        return value <= _MARGIN if relation == "≤" else value < -_MARGIN
    return value >= -_MARGIN if relation == "≥" else value > _MARGIN


def judge(left: sympy.Expr, relation: str, right: sympy.Expr, context):
    """(verdict, reason, evidence) of a step between expectations of one random variable on finite
    distributions, or None (the shapes of functions stated above: ``context.shapes``)."""
    prose = getattr(context, "prose", "") or ""
    if relation not in _RELATIONS:
        return None
    nodes = _expectations(left) + _expectations(right)
    if not _expectations(left) or not _expectations(right) or len({node.func.__name__ for node in nodes}) != 1:
        return None  # E[X] <= 1: a bound that X's range decides, not a relation between expectations
    inside = set().union(*(node.args[0].free_symbols for node in nodes))
    if len(inside) != 1:
        return None
    variable = next(iter(inside))
    head = re.sub(r"⟮⟯$", "", nodes[0].func.__name__)
    if "_" in head and not re.fullmatch(r".*_\{?\s*" + re.escape(variable.name) + r"\s*\}?", head):
        return None  # E_{x ~ q}, E_p: a law the statement names
    outside = (left - right).xreplace({node: sympy.Integer(1) for node in nodes}).free_symbols
    if outside:
        return None  # X outside an expectation, or a constant the document may fix
    declared = set(getattr(context, "families", None) or ()) | set(getattr(context, "samples", None) or ())
    if any(variable.name in str(name) for name in declared):
        return None  # X has a law in the document: not every distribution
    functions = (instances.undefined(left.xreplace({n: variable for n in nodes}), context),
                 instances.undefined(right.xreplace({n: variable for n in nodes}), context))
    if functions[0] is None or functions[1] is None:
        return None  # a density, a defined function, an operator besides E: not this check's
    names = sorted(functions[0] | functions[1])
    stated = {shape for name, shape in getattr(context, "shapes", ()) if name in names}
    if len(stated) > 1 or (names and len({name for name, _ in getattr(context, "shapes", ()) if name in names}) < len(names)
                           and stated):
        return None  # one convex, one concave, or a shape for some of the functions only
    convex, concave = stated == {"convex"}, stated == {"concave"}
    families = CONVEX if convex else CONCAVE if concave else instances.FAMILIES
    assignments = [{f: families[(k + i) % len(families)] for i, f in enumerate(names)}
                   for k in range(len(families) if names else 1)]
    rng = random.Random(SEED)
    failures, shown, checked = [], [], 0
    for chosen in assignments:
        failed = None
        for values, probabilities in _distributions(rng):
            def concrete(expr):
                expr = expr.replace(lambda e: isinstance(e, AppliedUndef) and e.func.__name__ in chosen,
                                    lambda e: chosen[e.func.__name__][1](*e.args))
                return expr.replace(lambda e: isinstance(e, AppliedUndef) and algebra.is_linear_operator(e),
                                    lambda e: sum(p * e.args[0].xreplace({variable: x})
                                                  for x, p in zip(values, probabilities)))
            try:
                sides = concrete(left), concrete(right)
                holds = _holds(relation, sides[0] - sides[1])
            except Exception:
                return None
            if holds is None:
                return None
            checked += 1
            if not holds and failed is None:
                law = ", ".join(f"P({variable.name} = {x}) = {p}" for x, p in zip(values, probabilities))
                functions_shown = "; ".join(f"{f}(x) = {family[0]}" for f, family in chosen.items())
                failed = (f"{'with ' + functions_shown + ', ' if functions_shown else ''}{law}: left = "
                          f"{sympy.N(sides[0], 10)}, right = {sympy.N(sides[1], 10)}")
        failures.append(failed is not None)
        if failed:
            shown.append(failed)
    kind = ("convex " if convex else "concave " if concave else "") if names else ""
    tried = f" and {kind}functions {', '.join(names)} ({', '.join(f[0] for f in families)})" if names else ""
    if not any(failures):
        return "unchecked", (f"holds on {checked} instances (finite distributions of {variable.name}{tried}): "
                             "evidence, not proof"), ""
    if all(failures) and not _RESTRICTED.search(prose) and variable.name not in getattr(context, "restricted", ()):
        return "disagrees", (f"fails for a finite distribution of {variable.name}"
                             + (f" with every {kind}function {', '.join(names)} tried" if names else "")
                             + ": an expectation is a weighted sum, and this one breaks the relation"), shown[0]
    return None
