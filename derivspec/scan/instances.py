r"""Functions the document leaves undefined, evaluated on concrete instances.

A step about a function the lecture never defines -- the product rule ``\frac{d}{dx}[f(x) x^2] = f'(x) x^2 +
2x f(x)``, the chain rule ``\frac{d}{dx} g(f(x)) = g'(f(x)) f'(x)``, a Taylor step ``f(x + h) = f(x) + h f'(x) +
\frac{h^2}{2} f''(x) + O(h^3)`` -- holds for *every* function, so it is evaluated with concrete ones
(DESIGN.md, "Scan": an undefined f gets several concrete functions):

* **Which names.** Any name applied as a function that the scope does not give a meaning: not a density
  (scope.py), not a function the document defines (definitions.py) or describes ("let $f$ be …"), not an
  operator the reader knows (E, KL, N carry brackets in their heads). No letter decides it. The same
  functions stand on both sides -- a rule for every function; ``\sigma(0) = 1/3`` or ``\nabla \log p(x) =
  -(x - \mu)/\sigma^2`` is a value or a property of one particular function, and is left alone.
* **Instances.** Each such name becomes, in turn, the identity, the lines ``2x + 1`` and ``1 - x``, the
  exponential, a cubic ``x^3 - 2x`` and ``\sin x + 2x`` (several arguments enter as ``u_1 + 2u_2 + …``); every name of
  the step gets a different one in each assignment. Derivatives act on them (SymPy); ``O(h^k)`` is read
  as "up to order k in h" (the expansion in h agrees below order k).
* **Verdicts.** Equal for every assignment at three exact rational points (50 digits): "holds on N
  instances", never ``proved``. Different for *every* assignment: a flag, with the concrete function and
  the point -- the simplest functions satisfy what a lecture may assume of f (linear, ``f' = f``,
  ``f(x + y) = f(x)f(y)``, odd, ``f(a - b) = f(a) + b``), so an assumed property never produces a flag. A step that only a line
  satisfies (a second-order slip in a Taylor step, ``\frac{d}{dx}\log f = 1/f``) is flagged when it
  differentiates the functions (a rule of calculus, not a functional equation such as ``f(2x) = 2f(x)``),
  every nonlinear function fails and the text around states no property of the function -- but not a
  step exact for every line without an ``O(h^k)`` (``\frac{df}{dx} = \frac{f(x + h) - f(x)}{h}``: a finite
  difference, an approximation). Values at numbers only (``\phi(0) = \phi(1)``) are no rule. Anything else:
  None.
"""

from __future__ import annotations

import re

import sympy
from sympy.core.function import AppliedUndef

from derivspec.scan import scope

FAMILIES = (  # (as shown, the function of one input)
    ("x", lambda u: u),
    ("2x + 1", lambda u: 2 * u + 1),
    ("1 - x", lambda u: 1 - u),
    ("e^{x}", sympy.exp),
    ("x^3 - 2x", lambda u: u ** 3 - 2 * u),
    ("\\sin x + 2x", lambda u: sympy.sin(u) + 2 * u),
)
POINTS = ((sympy.Rational(3, 7), sympy.Rational(-2, 5), sympy.Rational(5, 4)),
          (sympy.Rational(-5, 11), sympy.Rational(7, 9), sympy.Rational(1, 3)),
          (sympy.Rational(6, 5), sympy.Rational(1, 8), sympy.Rational(-3, 4)))
_ZERO = sympy.Float("1e-30", 50)
_ORDER = "O"


def _base(head: str) -> str:
    """``f`` of ``f``, ``f[,]`` (several arguments) and ``f'``, ``f''`` (a derivative at a point)."""
    return re.sub(r"\[[^\]]*\]$", "", head).rstrip("'")


def _primes(head: str) -> int:
    return len(head) - len(head.rstrip("'"))


def undefined(expr: sympy.Expr, context) -> set | None:
    """The names of ``expr``'s functions that may be any function; None when ``expr`` holds anything else
    opaque (a density, an expectation, a divergence, a function the document defines, an operator)."""
    found = set()
    for node in expr.atoms(AppliedUndef):
        head = node.func.__name__
        if head == _ORDER:
            continue
        base = _base(head)
        if head != base and not re.fullmatch(r"\[,*\]|'{1,3}", head[len(base):]):
            return None  # p[|], KL[‖], E⟮⟯: a bracket of the reader's -- a density or an operator
        if not re.fullmatch(r"(?:\\math(?:cal|scr|frak)\{[A-Za-z]\}|\\[A-Za-z]+|[A-Za-z])(?:_\{[^{}]*\}|_[A-Za-z0-9])?",
                            base) or "d/d" in base or _a_law(base):
            return None  # a name (any letter, a calligraphic \mathcal{E} too), never a family's head (\mathcal{N})
        if scope.is_density(base) or scope.is_density(re.sub(r"_.*$", "", base)):
            return None
        in_force = getattr(context, "in_force", None)
        if in_force is not None and in_force.latest(base, context) is not None:
            return None  # the document defines it: definitions.py unfolds it
        found.add(base)
    return found


def _a_law(head: str) -> bool:
    """A family's LaTeX head in the knowledge tables, as written (\\mathcal{N}, \\mathcal{U}, N): a law, not any
    function (the families' words and aliases are not heads: U and u stay names)."""
    from derivspec.scan import knowledge

    base = re.sub(r"_.*$", "", head)
    return any(base in family.latex for family in knowledge.families().values())


def _instance(expr: sympy.Expr, chosen: dict) -> sympy.Expr:
    """``expr`` with each undefined function (by name) its concrete family, ``f'`` its derivative, derivatives
    taken."""
    def inner(base: str) -> bool:  # f in g(f(x)): replaced after g, whose derivative at f(x) is taken first
        return any(_base(n.func.__name__) != base and any(_base(m.func.__name__) == base for a in n.args
                                                           for m in a.atoms(AppliedUndef))
                   for n in expr.atoms(AppliedUndef))

    for base in sorted(chosen, key=inner):
        replaced = {}
        for node in expr.atoms(AppliedUndef):
            if _base(node.func.__name__) != base:
                continue
            arguments = sympy.symbols(f"u0:{len(node.args)}")
            combined = sum((k + 1) * u for k, u in enumerate(arguments))
            value = chosen[base][1](combined)
            primes = _primes(node.func.__name__)
            if primes:
                if len(arguments) != 1:
                    raise ValueError("a prime on a function of several arguments")
                value = sympy.diff(value, arguments[0], primes)
            replaced[node.func] = sympy.Lambda(arguments, value)
        expr = expr.subs(replaced).doit()
    return expr


def _orders(expr: sympy.Expr) -> tuple[sympy.Expr, list]:
    """``expr`` without its ``O(h^k)`` terms, and the (h, k) they stand for."""
    orders = []
    for node in expr.atoms(AppliedUndef):
        if node.func.__name__ == _ORDER and len(node.args) == 1:
            base, exponent = node.args[0].as_base_exp()
            if isinstance(base, sympy.Symbol) and exponent.is_Integer and exponent > 0:
                orders.append((base, int(exponent)))
    return expr.xreplace({n: 0 for n in expr.atoms(AppliedUndef) if n.func.__name__ == _ORDER}), orders


_ASSUMED = re.compile(r"\b(?:linear|affine|additive|homogeneous|multiplicative|exponential|polynomial|quadratic|"
                      r"constant|periodic|odd|even|satisf\w*|such that|assum\w*|suppose)\b", re.IGNORECASE)


def differentiated(expr: sympy.Expr) -> set:
    """The names ``expr`` differentiates (``f'(x)``, ``g'(f(x))``, ``\\frac{d}{dx} g(f(x))``): functions in this
    step whatever else a bracket after them could be."""
    return ({_base(d.expr.func.__name__) for d in expr.atoms(sympy.Derivative) if isinstance(d.expr, AppliedUndef)}
            | {_base(n.func.__name__) for n in expr.atoms(AppliedUndef) if _primes(n.func.__name__)})


def judge(left: sympy.Expr, relation: str, right: sympy.Expr, context, prose: str = ""):
    """(verdict, reason, evidence) of a step about undefined functions on concrete ones, or None (``prose``:
    the text around, where a property of the function may be assumed)."""
    if relation != "=":
        return None
    functions = undefined(left, context), undefined(right, context)
    if functions[0] is None or functions[1] is None or not (functions[0] | functions[1]):
        return None
    if functions[0] != functions[1] or (context is not None and functions[0] & set(getattr(context, "described_functions", ()))):
        # σ(0) = 1/3, ∇ log p(x) = -(x - μ)/σ², ∇ log q = ∇U: a value or a relation of particular functions, not a
        # rule for every function; or a function the document describes ("let f be …")
        return None
    functions = sorted(functions[0])
    names = set(functions)
    (left, left_orders), (right, right_orders) = _orders(left), _orders(right)
    difference, orders = left - right, left_orders + right_orders
    if len(orders) > 1 or any(s.name in names for s in difference.free_symbols):
        return None  # two orders, or a name also read as a number (g(x) as g times x): no one meaning
    variables = sorted(difference.free_symbols, key=lambda s: s.name)
    if len(variables) > len(POINTS[0]):
        return None
    if not any(a.free_symbols for e in (left, right) for n in e.atoms(AppliedUndef) if _base(n.func.__name__) in names
               for a in n.args):
        return None  # \phi(0) = \phi(1): values of one particular function, not a rule for every argument
    outcomes, shown = [], []
    for k in range(len(FAMILIES)):
        chosen = {f: FAMILIES[(k + i) % len(FAMILIES)] for i, f in enumerate(functions)}
        try:
            sides = _instance(left, chosen), _instance(right, chosen)
            values = [_value(sides[0] - sides[1], variables, point, orders) for point in POINTS]
        except Exception:
            return None
        if any(v is None for v in values):
            return None
        outcomes.append([abs(v) > _ZERO for v in values])
        text = "; ".join(f"{f}(x) = {family[0]}" for f, family in chosen.items())
        at = next((i for i, differs in enumerate(outcomes[-1]) if differs), 0)
        point = ", ".join(f"{v.name} = {p}" for v, p in zip(variables, POINTS[at]))
        if orders:
            what = f"the terms below O({orders[0][0]}^{orders[0][1]}) of left - right = {sympy.N(values[at], 10)}"
        else:
            at_point = dict(zip(variables, POINTS[at]))
            what = ", ".join(f"{name} = {sympy.N(side.xreplace(at_point), 10)}" for name, side in zip(("left", "right"), sides))
        shown.append(f"with {text}: " + (f"at {point}, " if point else "") + what)
    tried = ", ".join(f"{family[0]}" for family in FAMILIES)
    who = ", ".join(sorted(names))
    order = f" up to O({orders[0][0]}^{orders[0][1]})" if orders else ""
    if not any(any(o) for o in outcomes):
        return "unchecked", (f"holds on {len(FAMILIES) * len(POINTS)} instances of {who} (each of {tried}, at "
                             f"{len(POINTS)} points){order}: concrete functions, evidence, not proof"), ""
    if all(any(o) for o in outcomes):
        return "disagrees", (f"fails for every concrete function {who} tried ({tried}){order}: the step does "
                             "not hold for an arbitrary function"), shown[0]
    lines = ("x", "2x + 1", "1 - x")
    nonlinear = [k for k in range(len(FAMILIES))  # the assignments that give every function a nonlinear one
                 if all(FAMILIES[(k + i) % len(FAMILIES)][0] not in lines for i in range(len(functions)))]
    calculus = differentiated(left) | differentiated(right)  # a rule of calculus, not a functional equation
    exact_for_lines = not any(any(outcomes[k]) for k in range(len(FAMILIES)) if k not in nonlinear)
    if exact_for_lines and not orders:
        return None  # (f(x + h) - f(x))/h: exact for every line, an approximation of the derivative, not a slip
    if calculus and nonlinear and all(any(outcomes[k]) for k in nonlinear) and not _ASSUMED.search(prose):
        # a second-order slip vanishes for a line: with no property of the function stated, the
        # nonlinear functions decide
        return "disagrees", (f"fails for every nonlinear function {who} tried ({tried}){order} (not for every "
                             "line), and the text states no property of the function"), shown[nonlinear[0]]
    return None


def _value(concrete: sympy.Expr, variables: list, point: tuple, orders: list):
    """The difference at ``point``; with an order, the part of its expansion below that order."""
    if orders:
        h, k = orders[0]
        fixed = concrete.xreplace({v: p for v, p in zip(variables, point) if v != h})
        below = sympy.series(fixed, h, 0, k).removeO()
        return sympy.N(sum(abs(below.coeff(h, j)) for j in range(k)), 50)
    value = sympy.N(concrete.xreplace(dict(zip(variables, point))), 50)
    return value if value.is_real and value.is_finite else None
