r"""The chain rule in Leibniz notation, judged on concrete functions.

Backpropagation notes write ``\frac{\partial L}{\partial w} = \frac{\partial L}{\partial z}\frac{\partial z}{\partial w}``
with names the document never defines as formulas. Such a step holds for *every* chain of functions, so it is
evaluated on instances (DESIGN.md, "Scan": an undefined function gets several concrete ones):

* **The dependence the step states.** Each derivative ``∂N/∂v`` says that N depends on v. N's direct inputs
  are the variables it is differentiated by that no other of its inputs depends on (in ``∂L/∂w = ∂L/∂z
  ∂z/∂w``, L depends on z and z on w: L on w only through z). A step is read only when this is one chain
  per name (one direct input each), some name is both differentiated and differentiated by (an inner
  link), the step has nothing but such derivatives and numbers, and no derivative stands on both sides
  (``df/dx = ∂f/∂x + ∂f/∂y dy/dx`` writes a total and a partial derivative alike; it is left alone).
* **Instances.** Each dependent name becomes a concrete function of its input (a cubic, an exponential, a
  sine with a line, a logarithm), in three different assignments; the chain's first inputs get exact
  rational values. Every derivative is the derivative of its name with respect to that variable through
  the chain (SymPy), evaluated at 50 digits.
* **Verdicts.** Equal on every instance: "holds on 3 instances", never ``proved``. Different on every
  instance: a flag, with the concrete functions and the point in the evidence. Anything else: None.

Letters play no part: the names are whatever the document differentiates.
"""

from __future__ import annotations

import re

import sympy
from sympy.core.function import AppliedUndef

_HEAD = re.compile(r"^d/d(.+)$")
FUNCTIONS = (  # (as shown, the function of one input)
    ("u^3 + u", lambda u: u ** 3 + u),
    ("e^{u/2}", lambda u: sympy.exp(u / 2)),
    ("\\sin u + 2u", lambda u: sympy.sin(u) + 2 * u),
    ("\\log(1 + u^2) + u", lambda u: sympy.log(1 + u ** 2) + u),
)
POINTS = (sympy.Rational(3, 7), sympy.Rational(-5, 11), sympy.Rational(6, 5))
_THRESHOLD = sympy.Float("1e-30", 50)


def _atoms(expr: sympy.Expr) -> set | None:
    """{(name, variable)} of the derivatives ``d/dv(N)`` in ``expr``; None when it has anything else
    (another function, a name not differentiated, a second derivative)."""
    found = set()
    for node in expr.atoms(AppliedUndef):
        match = _HEAD.match(node.func.__name__)
        if not match or len(node.args) != 1 or not isinstance(node.args[0], sympy.Symbol) or "**" in match.group(1):
            return None
        found.add((node.args[0].name, match.group(1)))
    others = expr.free_symbols - {node.args[0] for node in expr.atoms(AppliedUndef)}
    if others or any(isinstance(n, (sympy.Derivative, sympy.Integral, sympy.Sum, sympy.Product))
                     for n in sympy.preorder_traversal(expr)):
        return None
    return found


def _chain(atoms: set) -> dict | None:
    """name -> its one direct input, or None when the derivatives do not state one chain per name."""
    candidates: dict = {}
    for name, variable in atoms:
        candidates.setdefault(name, set()).add(variable)

    def ancestors(name: str, seen=()) -> set:
        if name in seen:
            return {name}  # a cycle: reported as its own ancestor
        return set().union(*({v} | ancestors(v, seen + (name,)) for v in candidates.get(name, ())))

    inputs = {}
    for name, variables in candidates.items():
        if name in ancestors(name):
            return None
        direct = {v for v in variables if not any(v in ancestors(u) for u in variables - {v})}
        if len(direct) != 1:
            return None
        inputs[name] = next(iter(direct))
    if not any(v in candidates for v in inputs.values()):
        return None  # no inner link: the step is not a chain rule
    return inputs


def judge(left: sympy.Expr, relation: str, right: sympy.Expr, matrices: bool = False):
    """(verdict, reason, evidence) of a Leibniz chain-rule step, or None when it is not one (``matrices``: the
    names are vectors or matrices; the instances are scalars, so the order of a product is not tested)."""
    if relation != "=":
        return None
    sides = [_atoms(left), _atoms(right)]
    if sides[0] is None or sides[1] is None or not sides[0] or not sides[1] or sides[0] & sides[1]:
        return None
    inputs = _chain(sides[0] | sides[1])
    if inputs is None:
        return None
    names = sorted(inputs)
    roots = sorted({v for v in inputs.values() if v not in inputs})  # the chain's first inputs
    differences, shown = [], []
    for k, point in enumerate(POINTS):
        chosen = {name: FUNCTIONS[(k + i) % len(FUNCTIONS)] for i, name in enumerate(names)}
        values = _evaluate(left, inputs, chosen, point), _evaluate(right, inputs, chosen, point)
        if None in values:
            return None
        differences.append(abs(values[0] - values[1]))
        shown.append("; ".join([f"{n} = {text.replace('u', inputs[n])}" for n, (text, _) in chosen.items()]
                               + [f"{r} = {point}" for r in roots])
                     + f": left = {sympy.N(values[0], 10)}, right = {sympy.N(values[1], 10)}")
    chain = ", ".join(f"{n}({inputs[n]})" for n in names)
    if all(d < _THRESHOLD for d in differences):
        return "unchecked", (f"holds on {len(POINTS)} instances of the chain {chain} with concrete functions "
                             "(the chain rule on instances, not a proof"
                             + ("; scalar instances of vectors and matrices: the order of the product is not tested)"
                                if matrices else ")")), ""
    if all(d > _THRESHOLD for d in differences):
        return "disagrees", (f"the chain rule gives another value: with concrete functions for the chain {chain} "
                             "the sides differ on every instance"), shown[0]
    return None


def _evaluate(expr: sympy.Expr, inputs: dict, chosen: dict, point) -> sympy.Float | None:
    """``expr`` with every ``d/dv(N)`` the derivative of N's concrete function through the chain with respect
    to v, the first inputs at ``point``."""
    symbols = {}

    def symbol(name: str) -> sympy.Symbol:
        return symbols.setdefault(name, sympy.Symbol(f"⟨{name}⟩", real=True))

    def through(name: str, cut: str | None) -> sympy.Expr:
        """N as a function of the first inputs, with the node ``cut`` left as a free variable."""
        if name == cut or name not in inputs:
            return symbol(name)
        return chosen[name][1](through(inputs[name], cut))

    def at_point(e: sympy.Expr) -> sympy.Expr:
        values = {symbol(name): through(name, None) for name in list(inputs) + list(inputs.values())}
        for _ in range(len(inputs) + 2):
            e = e.xreplace(values)
        roots = {symbol(v): point for v in inputs.values() if v not in inputs}
        return e.xreplace(roots)

    replaced = {}
    for node in expr.atoms(AppliedUndef):
        name, variable = node.args[0].name, _HEAD.match(node.func.__name__).group(1)
        derivative = sympy.diff(through(name, variable), symbol(variable))
        replaced[node] = at_point(derivative)
    try:
        value = sympy.N(expr.xreplace(replaced), 50)
    except Exception:
        return None
    return value if value.is_real and value.is_finite else None
