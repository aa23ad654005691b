"""The one operator table of ``scan``'s new middle (DESIGN.md, "Scan": meaning).

Each node type of :mod:`derivspec.scan.tree` has exactly one :class:`Operator`: ``unfold(node, meaning)``
gives its meaning as a SymPy expression (for the prover), ``evaluate(node, meaning, instance)`` its value
on one instance (for the instance checker). The prover and the instance checker read only this table.

A node whose meaning is not known yet (an expectation under a law the scope does not declare, a norm of
a vector whose shape is not known) unfolds to an opaque SymPy application of its parts: two sides are then
equal only where they are the same construct of the same parts, and a check holding one says so
(:attr:`Meaning.opaque`), never flags it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import sympy

from derivspec.scan import tree


class Undecided(Exception):
    """A part whose meaning cannot be given: the check is unchecked with this reason."""


@dataclass
class Meaning:
    """What unfolding needs from the scope: the definitions in force (Name -> its defining tree, unfolded
    when met: ``expand``), and what unfolding met that it does not know (``opaque``: reasons)."""

    definitions: dict = field(default_factory=dict)
    expand: bool = False
    opaque: set = field(default_factory=set)
    symbols: dict = field(default_factory=dict)  # Name -> the SymPy symbol or function standing for it
    roles: dict = field(default_factory=dict)  # SymPy function -> "indexed" | "function" | "opaque"

    def symbol(self, name: tree.Name) -> sympy.Expr:
        if name.index:
            return self._head((name.latex, len(name.index)), name.latex + "_{•}", "indexed")(
                *(unfold(i, self) for i in name.index))
        found = self.symbols.get(name.latex)
        if found is None:
            found = self.symbols[name.latex] = sympy.Symbol(name.latex, real=True)
        return found

    def function(self, head: str) -> sympy.FunctionClass:
        """A function the document names and does not define."""
        return self._head(("function", head), head, "function")

    def construct(self, label: str) -> sympy.FunctionClass:
        """The head of a construct whose meaning is not known."""
        return self._head(("construct", label), label, "opaque")

    def _head(self, key, name: str, role: str) -> sympy.FunctionClass:
        found = self.symbols.get(key)
        if found is None:
            found = self.symbols[key] = sympy.Function(name)
            self.roles[found] = role
        return found


@dataclass(frozen=True)
class Operator:
    unfold: Callable
    evaluate: Callable | None = None  # None: the value of the unfolded meaning on the instance


def unfold(node: tree.Node, meaning: Meaning) -> sympy.Expr:
    """The meaning of ``node`` as SymPy, through the table."""
    return TABLE[type(node)].unfold(node, meaning)


def evaluate(node: tree.Node, meaning: Meaning, instance: dict) -> sympy.Expr:
    """The value of ``node`` on ``instance`` (SymPy symbol or function -> value), through the table."""
    operator = TABLE[type(node)]
    if operator.evaluate is not None:
        return operator.evaluate(node, meaning, instance)
    return sympy.sympify(unfold(node, meaning)).xreplace(instance).doit()


def _opaque(label: str, why: str):
    """A construct whose meaning is not known: an application of an opaque head to its parts."""
    def unfold_opaque(node, meaning):
        meaning.opaque.add(why)
        return meaning.construct(label)(*(unfold(p, meaning) for p in node.parts()))
    return Operator(unfold_opaque)


def _name(node: tree.Name, meaning: Meaning):
    if meaning.expand and node in meaning.definitions:
        return unfold(meaning.definitions[node], meaning)
    return meaning.symbol(node)


def _sum_or_product(kind):
    def unfold_big(node, meaning):
        if node.lower is None or node.upper is None or node.condition:
            meaning.opaque.add("a sum or product over a condition on its index")
        index = meaning.symbol(node.index)
        lower = unfold(node.lower, meaning) if node.lower is not None else meaning.construct("⟨lower⟩")(index)
        upper = unfold(node.upper, meaning) if node.upper is not None else meaning.construct("⟨upper⟩")(index)
        return kind(unfold(node.body, meaning), (index, lower, upper))
    return Operator(unfold_big)


def _integral(node: tree.Integral, meaning: Meaning):
    variable = meaning.symbol(node.variable)
    body = unfold(node.body, meaning)
    if node.lower is None and node.upper is None:  # over a domain not given: a value of its body, nothing more
        meaning.opaque.add("an integral over a domain the document does not give")
        return meaning.construct("⟨∫ d" + node.variable.latex + "⟩")(body)
    return sympy.Integral(body, (variable, unfold(node.lower, meaning), unfold(node.upper, meaning)))


def _derivative(node: tree.Deriv, meaning: Meaning):
    """d body / d variable. A body that does not contain the variable is a name whose dependence on it the
    document does not write (dy/dx with y = f(g(x)) said in words): its derivative is not known, never 0."""
    held = meaning.definitions.pop(node.variable, None)  # d/du: u stays itself inside, its definition applies after
    try:
        variable = unfold(node.variable, meaning)
        body = unfold(node.body, meaning)
    finally:
        if held is not None:
            meaning.definitions[node.variable] = held
    if not isinstance(variable, sympy.Symbol | sympy.core.function.AppliedUndef):
        meaning.opaque.add("a derivative with respect to a compound variable")
        return meaning.construct("⟨d⟩")(body, variable)
    if not body.has(variable) and not body.is_number:
        meaning.opaque.add("a derivative of a name whose dependence on the variable is not written")
        return meaning.construct("⟨d⟩")(body, variable)
    found = sympy.diff(body, variable, node.order)
    return found.xreplace({variable: unfold(held, meaning)}) if held is not None else found


def _ambiguous(node: tree.Ambiguous, meaning: Meaning):
    raise Undecided("the reading is ambiguous: " + " or ".join(label for label, _ in node.readings))


def _unknown_part(node: tree.Opaque, meaning: Meaning):
    """A part the tree has no type for: the same part on both sides is the same value, and nothing more."""
    meaning.opaque.add(node.why)
    return meaning.construct("⟨" + node.text + "⟩")()


TABLE: dict[type, Operator] = {
    tree.Num: Operator(lambda n, m: sympy.Rational(n.value.numerator, n.value.denominator)),
    tree.Const: Operator(lambda n, m: n.which),
    tree.Name: Operator(_name),
    tree.Add: Operator(lambda n, m: sympy.Add(*(unfold(t, m) for t in n.terms))),
    tree.Mul: Operator(lambda n, m: sympy.Mul(*(unfold(f, m) for f in n.factors))),
    tree.Pow: Operator(lambda n, m: sympy.Pow(unfold(n.base, m), unfold(n.exponent, m))),
    tree.Fn: Operator(lambda n, m: n.function(*(unfold(a, m) for a in n.args))),
    tree.Apply: Operator(lambda n, m: m.function(n.head.latex)(*(unfold(a, m) for a in n.args))),
    tree.Piecewise: _opaque("⟨cases⟩", "a value by cases"),
    tree.Density: Operator(lambda n, m: m.function(n.head.latex + "⟨|" + str(len(n.given)) + "⟩")(
        *(unfold(a, m) for a in n.variables + n.given))),
    tree.Prob: _opaque("⟨P⟩", "a probability of an event"),
    tree.Law: _opaque("⟨law⟩", "a law as a value"),
    tree.Expect: _opaque("⟨E⟩", "an expectation under a law the document does not declare"),
    tree.Moment: _opaque("⟨moment⟩", "a variance or covariance under a law the document does not declare"),
    tree.Divergence: _opaque("⟨divergence⟩", "a divergence of laws the document does not declare"),
    tree.Entropy: _opaque("⟨H⟩", "an entropy of a law the document does not declare"),
    tree.MutualInfo: _opaque("⟨I⟩", "a mutual information of a law the document does not declare"),
    tree.Sample: _opaque("⟨sample⟩", "a sampling statement"),
    tree.Sum: _sum_or_product(sympy.Sum),
    tree.Prod: _sum_or_product(sympy.Product),
    tree.Integral: Operator(_integral),
    tree.Limit: Operator(lambda n, m: sympy.Limit(unfold(n.body, m), m.symbol(n.variable), unfold(n.to, m))),
    tree.Deriv: Operator(_derivative),
    tree.Grad: _opaque("⟨∇⟩", "a gradient over a variable of unknown shape"),
    tree.Jacobian: _opaque("⟨J⟩", "a Jacobian over variables of unknown shape"),
    tree.Hessian: _opaque("⟨Hess⟩", "a Hessian over a variable of unknown shape"),
    tree.Opt: _opaque("⟨opt⟩", "an optimum over a set"),
    tree.Norm: _opaque("⟨norm⟩", "a norm of a vector of unknown shape"),
    tree.Det: _opaque("⟨det⟩", "a determinant of a matrix of unknown shape"),
    tree.Trace: _opaque("⟨tr⟩", "a trace of a matrix of unknown shape"),
    tree.Transpose: _opaque("⟨T⟩", "a transpose of a matrix of unknown shape"),
    tree.Inverse: _opaque("⟨inv⟩", "an inverse of a matrix of unknown shape"),
    tree.Inner: _opaque("⟨inner⟩", "an inner product of vectors of unknown shape"),
    tree.Ambiguous: Operator(_ambiguous),
    tree.Opaque: Operator(_unknown_part),
}
