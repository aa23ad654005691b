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

import itertools
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
MAX_VARIABLES = 3  # a joint law of at most this many variables (2 or 3 values each)
_INDEPENDENT = re.compile(r"\bindependent\b|\\perp", re.IGNORECASE)
# a variable the text restricts (E[X^2] = E[X] for an indicator, E[X^2] >= E[X] for integers): then no flag
_RESTRICTED = re.compile(scope.RESTRICTING_WORDS + r"|\\\{\s*0\s*,\s*1\s*\\\}|\{0,\s*1\}|zero[- ]mean|mean\s+zero|"
                         r"independent|standard|gaussian|normal|uniform|poisson|exponential|distributed|"
                         r"\\mathbb\s*\{?[NZ]\b|\\in\b|interval|range", re.IGNORECASE)  # and a named law, a set


def _expectations(expr: sympy.Expr) -> list:
    return [node for node in sympy.preorder_traversal(expr)
            if isinstance(node, AppliedUndef) and algebra.is_linear_operator(node)]


def _laws(variables: list, rng: random.Random, independent: bool) -> list[dict]:
    """Finite joint laws of ``variables``: {values tuple: probability}, exact. Each variable takes three or four
    positive rational values alone, two or three with others; the probabilities are positive and sum to one --
    any weights (``generic``) or a product of marginals (``independent``)."""
    found = []
    for _ in range(DISTRIBUTIONS):
        supports = []
        for _ in variables:
            size = rng.choice((3, 4)) if len(variables) == 1 else rng.choice((2, 3))
            supports.append(sorted({Fraction(rng.randint(1, 24), rng.randint(1, 6)) for _ in range(size)}))
        cells = list(itertools.product(*supports))
        if independent:
            marginals = [{v: rng.randint(1, 9) for v in support} for support in supports]
            weights = [sympy.Mul(*[m[v] for m, v in zip(marginals, cell)]) for cell in cells]
        else:
            weights = [rng.randint(1, 9) for _ in cells]
        total = sum(weights)
        found.append({tuple(sympy.Rational(v.numerator, v.denominator) for v in cell): sympy.Rational(w, total)
                      for cell, w in zip(cells, weights)})
    return found


def _random_variable(symbol: sympy.Symbol) -> bool:
    """``X``, ``Y_i``, ``\\mathbf{X}``: a capital, the notation of a random variable (a lowercase or Greek name inside an
    expectation beside one may be its mean, a value the document fixes)."""
    return bool(re.fullmatch(r"(?:\\math(?:bf|rm)\{)?[A-Z]\}?(?:_\{?\w+\}?)?", symbol.name))


def _shown(variables: list, law: dict) -> str:
    return ", ".join(f"P({', '.join(f'{v.name} = {x}' for v, x in zip(variables, cell))}) = {p}" for cell, p in law.items())


def _holds(relation: str, difference: sympy.Expr) -> bool | None:
    value = sympy.N(difference, _DIGITS)
    if not value.is_real or value.free_symbols:
        return None
    if relation == "=":
        return abs(value) <= _MARGIN
    if relation in ("≤", "<"):
        return value <= _MARGIN if relation == "≤" else value < -_MARGIN
    return value >= -_MARGIN if relation == "≥" else value > _MARGIN


def judge(left: sympy.Expr, relation: str, right: sympy.Expr, context):
    """(verdict, reason, evidence) of a step between expectations, variances and covariances of random variables on
    finite joint laws, or None (the shapes of functions stated above: ``context.shapes``)."""
    prose = getattr(context, "prose", "") or ""
    if relation not in _RELATIONS:
        return None
    left, right = algebra.canonical_moments(left, True), algebra.canonical_moments(right, True)
    nodes = _expectations(left) + _expectations(right)
    if not _expectations(left) or not _expectations(right) or len({node.func.__name__ for node in nodes}) != 1:
        return None  # E[X] <= 1: a bound that X's range decides, not a relation between expectations
    variables = sorted(set().union(*(node.args[0].free_symbols for node in nodes)), key=lambda v: v.name)
    if not 1 <= len(variables) <= MAX_VARIABLES or (len(variables) > 1 and not all(map(_random_variable, variables))):
        return None  # several names inside: random variables only by their capitals (μ in E[(Z - μ)^2] is a value)
    head = re.sub(r"⟮⟯$", "", nodes[0].func.__name__)
    if "_" in head and not (len(variables) == 1 and re.fullmatch(r".*_\{?\s*" + re.escape(variables[0].name) + r"\s*\}?",
                                                                 head)):
        return None  # E_{x ~ q}, E_p: a law the statement names
    placeholders = {node: sympy.Dummy() for node in nodes}  # distinct: F E[X] - F E[Y] must not cancel F
    if (left - right).xreplace(placeholders).free_symbols - set(placeholders.values()):
        return None  # X outside an expectation, or a constant the document may fix
    declared = set(getattr(context, "families", None) or ()) | set(getattr(context, "samples", None) or ())
    if any(v.name in str(name) for v in variables for name in declared):
        return None  # a variable has a law in the document: not every distribution
    plain = {node: variables[0] for node in nodes}
    functions = (instances.undefined(left.xreplace(plain), context), instances.undefined(right.xreplace(plain), context))
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
    said_independent = len(variables) > 1 and bool(_INDEPENDENT.search(prose))
    readings = ["independent"] if said_independent else ["generic"] + (["independent"] if len(variables) > 1 else [])
    fails, shown, checked = {}, {}, 0
    for reading in readings:
        rng = random.Random(SEED)
        fails[reading] = []
        for chosen in assignments:
            failed = None
            for law in _laws(variables, rng, reading == "independent"):
                def concrete(expr):
                    expr = expr.replace(lambda e: isinstance(e, AppliedUndef) and e.func.__name__ in chosen,
                                        lambda e: chosen[e.func.__name__][1](*e.args))
                    return expr.replace(lambda e: isinstance(e, AppliedUndef) and algebra.is_linear_operator(e),
                                        lambda e: sum(p * e.args[0].xreplace(dict(zip(variables, cell)))
                                                      for cell, p in law.items()))
                try:
                    sides = concrete(left), concrete(right)
                    holds = _holds(relation, sides[0] - sides[1])
                except Exception:
                    return None
                if holds is None:
                    return None
                checked += 1
                if not holds and (failed is None or len(law) < failed[0]):  # the smallest law it fails on
                    functions_shown = "; ".join(f"{f}(x) = {family[0]}" for f, family in chosen.items())
                    failed = (len(law), f"{'with ' + functions_shown + ', ' if functions_shown else ''}"
                                        f"{_shown(variables, law)}: left = {sympy.N(sides[0], 10)}, right = "
                                        f"{sympy.N(sides[1], 10)}")
            fails[reading].append(failed is not None)
            if failed and (reading not in shown or failed[0] < shown[reading][0]):
                shown[reading] = failed
    shown = {reading: text for reading, (_, text) in shown.items()}
    of = ", ".join(v.name for v in variables)
    laws = f"{'independent ' if said_independent else ''}finite {'joint ' if len(variables) > 1 else ''}distributions of {of}"
    kind = ("convex " if convex else "concave " if concave else "") if names else ""
    tried = f" and {kind}functions {', '.join(names)} ({', '.join(f[0] for f in families)})" if names else ""
    if not any(fails[readings[0]]):
        return "unchecked", f"holds on {checked} instances ({laws}{tried}): evidence, not proof", ""
    restricted = _RESTRICTED.search(_INDEPENDENT.sub(" ", prose) if said_independent else prose) or any(v.name in getattr(context, "restricted", ()) for v in variables)
    if all(all(f) for f in fails.values()) and not restricted:
        return "disagrees", (f"fails for a {laws.replace('distributions', 'distribution')}"
                             + (f" with every {kind}function {', '.join(names)} tried" if names else "")
                             + ": an expectation is a weighted sum, and this one breaks the relation"), shown[readings[0]]
    if len(readings) > 1 and not any(fails["independent"]):
        return "unchecked", (f"differs for general joint distributions of {of} but holds when they are independent: an "
                             "assumption the lecture may make, not flagged"), shown["generic"]
    return None
