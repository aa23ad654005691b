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
from fractions import Fraction
from typing import Callable

import sympy

from derivspec.scan import laws, tree


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
    roles: dict = field(default_factory=dict)  # SymPy function -> "indexed" | "function" | "opaque" | "marginal"
    densities: frozenset = frozenset()  # heads the scope types as laws (p in p(x | z), P in KL(P ‖ Q))
    random: set = field(default_factory=set)  # the random variables met (SymPy expressions)
    marginals: dict = field(default_factory=dict)  # marginal function -> (law head, its variables): scan/laws.py
    default_law: str = laws.DEFAULT_LAW  # the law H(X), E[X], I(X; Y) speak of (the step's one law, if it has one)
    log_base: int | None = None  # the base information quantities are measured in (None: nats)
    entropy_e: bool = False  # the document writes E(X) for an entropy
    law_variables: dict = field(default_factory=dict)  # law head -> the one tuple of variables the step writes it at
    expanding: set = field(default_factory=set)  # the names whose definitions are being unfolded
    declared: dict = field(default_factory=dict)  # name latex -> (family, argument trees): X ∼ Pois(λ) above
    depends: dict = field(default_factory=dict)  # Name -> the Names it is a function of (document_scope.dependence)
    chains: dict = field(default_factory=dict)  # the dependences unfolding used (L(y), y(b): a reading) -> function
    open_law: object = None  # an E[…] that names no law: under this Density, or over the names in ``random_by_use``
    random_by_use: frozenset = frozenset()  # Names only ever inside expectations and probabilities: random
    ranges: set = field(default_factory=set)  # the sizes of sums whose range the document does not write
    varied: frozenset = frozenset()  # the Names the step differentiates by (∇_θ): a head carrying one depends on it
    law_parameters: dict = field(default_factory=dict)  # law head -> the varied names its subscript carries
    functions: dict = field(default_factory=dict)  # (head latex, arity) -> (parameter Names, value tree): the
    # document's f(x) = …, unfolded where f is applied (so E_x[f(θ)] sees x in f's definition)
    family_reading: int = 0  # which reading of a family's parameters (0: the table's; k: its other_stats[k - 1])
    bare: dict = field(default_factory=dict)  # head latex -> the value of the latest definition of f, where it
    # defines a function (f(x) = …): what a bare f (df/dx) stands for
    held: tuple = ()  # trees the prose holds fixed ("treat p(z | x, w) as fixed"): a derivative does not vary them
    parameters: frozenset = frozenset()  # the step's laws' parameters (p(x | θ), q_φ in ∇_φ): a function written
    # without one is free of it (f(x) in ∇_θ ∫ p(x | θ) f(x) dx)

    def log(self, value):
        """The log information quantities are measured with."""
        return sympy.log(value) if self.log_base is None else sympy.log(value, self.log_base)

    def symbol(self, name: tree.Name) -> sympy.Expr:
        if name.index:  # f_i(x) in ∇_x: a function of x, which concrete functions stand for
            varied = any(n in self.varied for i in name.index for n in tree.names_in(i))
            return self._head((name.latex, len(name.index)), name.latex + "_{•}", "function" if varied else "indexed")(
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

    def _head(self, key, name: str, role: str, **assumptions) -> sympy.FunctionClass:
        found = self.symbols.get(key)
        if found is None:
            found = self.symbols[key] = sympy.Function(name, **assumptions)
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


class Optimum(sympy.Function):
    """argmax/argmin/max/min of ``body`` over the real ``variable``, left unevaluated until :meth:`doit`, which
    takes it where SymPy finds exactly one stationary point on a connected domain where the objective is smooth
    and the second derivative there is of the optimum's sign: on an interval a smooth function with one critical
    point, a strict local maximum, has its global maximum there (any higher point would need a minimum between).
    Anything else stays unevaluated: the caller then says the step is not decided."""

    kind = ""
    nargs = 2

    @classmethod
    def eval(cls, body, variable):
        return None

    @property
    def free_symbols(self):  # the variable is bound, as a sum's index is
        return self.args[0].free_symbols - {self.args[1]}

    def _eval_subs(self, old, new):
        if old == self.args[1]:
            return self
        return None

    def doit(self, **hints):
        body, variable = (a.doit(**hints) if hints.get("deep", True) else a for a in self.args)
        found = _stationary_optimum(body, variable, self.kind in ("argmax", "max"))
        if found is None:
            return self.func(body, variable)
        return found if self.kind.startswith("arg") else body.subs(variable, found)


OPTIMA = {kind: type(kind, (Optimum,), {"kind": kind}) for kind in ("argmax", "argmin", "max", "min")}
OPTIMUM_SPELLINGS = {"sup": "max", "inf": "min"}  # a supremum attained is a maximum: taken only where it is attained


def _stationary_optimum(body: sympy.Expr, variable: sympy.Symbol, maximum: bool):
    """The one point where a smooth ``body`` is optimal over the reals, or None (see :class:`Optimum`)."""
    if not isinstance(variable, sympy.Symbol) or variable not in body.free_symbols or body.atoms(
            sympy.core.function.AppliedUndef) or body.has(sympy.Sum, sympy.Product, sympy.Integral, sympy.Limit,
                                                          sympy.Derivative, Optimum, sympy.Abs, sympy.Max,
                                                          sympy.Min, sympy.Piecewise):
        return None
    objective = body if maximum else -body
    try:
        domain = sympy.calculus.util.continuous_domain(objective, variable, sympy.S.Reals)
        if not isinstance(domain, sympy.Interval):
            return None
        points = sympy.solveset(sympy.diff(objective, variable), variable, domain)
        if not isinstance(points, sympy.FiniteSet) or len(points) != 1:
            return None
        point = next(iter(points))
        curvature = sympy.simplify(sympy.diff(objective, variable, 2).subs(variable, point))
    except (NotImplementedError, ValueError, TypeError, AttributeError, RecursionError):
        return None
    return point if curvature.is_negative else None


def _optimum(node: tree.Opt, meaning: "Meaning"):
    """An optimum over the reals of a variable the step names: :class:`Optimum`; over a set, or a vector: opaque."""
    variable = node.variable
    if node.domain is not None or not isinstance(variable, tree.Name) or variable.bold or variable.index:
        meaning.opaque.add("an optimum over a set or over a vector")
        return meaning.construct("⟨opt⟩")(*(unfold(p, meaning) for p in node.parts()))
    return OPTIMA[OPTIMUM_SPELLINGS.get(node.kind, node.kind)](_bound_body(node, meaning), meaning.symbol(variable))


def _limit(node: tree.Limit, meaning: "Meaning"):
    """SymPy's Limit of the body; over the index of a family the document leaves unknown (|U_t(ξ)|^{1/t} as t → ∞),
    a limit of an unknown sequence: opaque (its instances would give the family one value at every index)."""
    indexed = any(node.variable in tree.names_in(i) for part in node.body.walk()
                  for i in (part.index if isinstance(part, tree.Name) else
                            part.head.index + part.carried if isinstance(part, tree.Apply | tree.Density) else ()))
    if indexed:
        meaning.opaque.add("a limit over the index of a sequence the document leaves unknown")
        return meaning.construct("⟨lim⟩")(*(unfold(p, meaning) for p in node.parts()))
    return sympy.Limit(_bound_body(node, meaning), meaning.symbol(node.variable), unfold(node.to, meaning),
                       node.direction)


def _bound_body(node, meaning: "Meaning"):
    """The body of an optimum or a limit with its variable bound: a definition of that name above (an example's
    θ = 1/2) is not unfolded inside (it is the variable the operator runs over, as a sum's index is)."""
    variable = node.variable
    if not isinstance(variable, tree.Name) or variable in meaning.expanding:
        return unfold(node.body, meaning)
    meaning.expanding.add(variable)
    try:
        return unfold(node.body, meaning)
    finally:
        meaning.expanding.discard(variable)


def _opaque(label: str, why: str):
    """A construct whose meaning is not known: an application of an opaque head to its parts."""
    def unfold_opaque(node, meaning):
        meaning.opaque.add(why)
        return meaning.construct(label)(*(unfold(p, meaning) for p in node.parts()))
    return Operator(unfold_opaque)


def _name(node: tree.Name, meaning: Meaning):
    if meaning.expand and not node.index and node.latex in meaning.bare and node not in meaning.expanding:
        meaning.expanding.add(node)  # ∂f/∂x with f(x, y) = x y the latest f: that function of its own arguments
        try:
            return unfold(meaning.bare[node.latex], meaning)
        finally:
            meaning.expanding.discard(node)
    if meaning.expand and node in meaning.definitions and node not in meaning.expanding:
        meaning.expanding.add(node)  # a = b c, b = a / c: each definition unfolded once on a path
        try:
            return unfold(meaning.definitions[node], meaning)
        finally:
            meaning.expanding.discard(node)
    if meaning.depends.get(node) and node not in meaning.expanding:  # L of y, y of b: L(y(b))
        meaning.expanding.add(node)
        try:
            arguments = [unfold(v, meaning) for v in meaning.depends[node]]
        finally:
            meaning.expanding.discard(node)
        function = meaning.function(node.latex + ("_{•}" if node.index else ""))
        meaning.chains[f"{_written(node)}({', '.join(_written(v) for v in meaning.depends[node])})"] = function
        return function(*(unfold(i, meaning) for i in node.index), *arguments)
    return meaning.symbol(node)


def _written(name: tree.Name) -> str:
    """A name as a reason writes it: z_{k} for z with index k."""
    indices = ",".join(i.latex if isinstance(i, tree.Name) else "·" for i in name.index)
    return name.latex + (f"_{{{indices}}}" if name.index else "")


OPEN_RANGE = "a sum over a range the document does not give"  # Σ_j with j = 1 .. N_j, N_j unknown


def _sum_or_product(kind):
    def unfold_big(node, meaning):
        if kind is sympy.Sum and node.lower is None and node.upper is None and not node.condition:
            body, index = unfold(node.body, meaning), meaning.symbol(node.index)
            if index in meaning.random or any(index in v for _, v in meaning.marginals.values()):
                return laws.over(body, index, meaning)  # Σ_x p(x, z): over the values of a random variable
            meaning.opaque.add(OPEN_RANGE)  # never a flag: the range is read
            return sympy.Sum(body, (index, 1, range_size(meaning, node.index)))  # Σ_j: j = 1 .. N_j, N_j unknown
        index = meaning.symbol(node.index)
        if not node.condition and (node.lower is None) != (node.upper is None):  # Π_{i ≤ t}: one end open
            meaning.opaque.add("a sum or product whose range has one end the document does not write")
            lower = unfold(node.lower, meaning) if node.lower is not None else _open_end(meaning, node.index, "from")
            upper = unfold(node.upper, meaning) if node.upper is not None else _open_end(meaning, node.index, "to")
            return kind(unfold(node.body, meaning), (index, lower, upper))
        if node.lower is None or node.upper is None or node.condition:
            meaning.opaque.add("a sum or product over a condition on its index")
        lower = unfold(node.lower, meaning) if node.lower is not None else meaning.construct("⟨lower⟩")(index)
        upper = unfold(node.upper, meaning) if node.upper is not None else meaning.construct("⟨upper⟩")(index)
        return kind(unfold(node.body, meaning), (index, lower, upper))
    return Operator(unfold_big)


def _open_end(meaning: Meaning, index: tree.Name, end: str) -> sympy.Symbol:
    """The end of a range the document does not write (Π_{i ≤ t}: from where?): an integer of its own."""
    found = meaning.symbols.setdefault((end, index.latex), sympy.Symbol(f"⟨{end} {index.latex}⟩", integer=True))
    meaning.ranges.add(found)
    return found


def range_size(meaning: Meaning, index: tree.Name) -> sympy.Symbol:
    """The number of terms of a sum whose range the document does not write (a positive integer of its own)."""
    size = meaning.symbols.setdefault(("range", index.latex),
                                      sympy.Symbol(f"⟨N {index.latex}⟩", integer=True, positive=True))
    meaning.ranges.add(size)
    return size


def _integral(node: tree.Integral, meaning: Meaning):
    variable = meaning.symbol(node.variable)
    body = unfold(node.body, meaning)
    if node.lower is None and node.upper is None and any(variable in v for _, v in meaning.marginals.values()):
        return laws.over(body, variable, meaning)  # ∫ p(x, z) dz: over the values of a random variable
    if node.lower is None and node.upper is None:  # over a domain not given: its ends are numbers of their own,
        meaning.opaque.add("an integral over a domain the document does not give")  # so it is linear; never a flag
        ends = (meaning.symbols.setdefault(("domain " + end, node.variable.latex),
                                           sympy.Symbol(f"⟨{end} {node.variable.latex}⟩", real=True))
                for end in ("from", "to"))
        return sympy.Integral(body, (variable, *ends))
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
    if not (isinstance(variable, sympy.Symbol) or (isinstance(variable, sympy.core.function.AppliedUndef)
                                                   and meaning.roles.get(variable.func) in ("indexed", "function"))):
        meaning.opaque.add("a derivative with respect to a compound variable")
        return meaning.construct("⟨d⟩")(body, variable)
    if not body.has(variable) and not body.is_number and node.variable in meaning.parameters \
            and not _bare_names(node.body):
        return sympy.Integer(0)  # a law's parameter: functions whose arguments are written without it are free of it
    if not body.has(variable) and not body.is_number:
        meaning.opaque.add("a derivative of a name whose dependence on the variable is not written")
        return meaning.construct("⟨d⟩")(body, variable)
    fixed = {}
    for part in meaning.held:  # "treat p(z | x, w) as fixed": a constant while the derivative is taken
        value = sympy.sympify(unfold(part, meaning))
        if body.has(value):
            fixed[value] = sympy.Dummy()
    body = body.xreplace(fixed)
    try:
        found = sympy.diff(body, variable, node.order).xreplace({d: v for v, d in fixed.items()})
    except ValueError:  # SymPy cannot differentiate by it here (a variable bound inside a sum)
        meaning.opaque.add("a derivative SymPy cannot take")
        return meaning.construct("⟨d⟩")(body, variable)
    if held is None:
        return found
    try:  # d/du at u's definition: subs keeps a derivative still taken by u as one at that value
        return found.subs(variable, unfold(held, meaning))
    except ValueError:
        meaning.opaque.add("a derivative SymPy cannot take")
        return meaning.construct("⟨d⟩")(body, variable)


def _bare_names(node: tree.Node) -> set:
    """The names ``node`` uses other than as arguments of functions and laws or as bound variables: a name whose
    dependence on other names is not written (L in ∇_θ L)."""
    if isinstance(node, tree.Name):
        return {node}
    if isinstance(node, tree.Apply | tree.Density):
        return set()
    found = set().union(*(_bare_names(p) for p in node.parts())) if node.parts() else set()
    if isinstance(node, tree.Sum | tree.Prod):
        found.discard(node.index)
    elif isinstance(node, tree.Integral):
        found.discard(node.variable)
    return found


def _gradient(node: tree.Grad, meaning: Meaning):
    """∇_x f, read component by component: the derivative of f in one coordinate of x, the others held (a
    step of sums, scalar multiples and functions of x holds for every component when it holds for one; the
    judge keeps products of arrays to numbers only)."""
    if not isinstance(node.variable, tree.Name):
        meaning.opaque.add("a gradient over a variable the text does not name")
        return meaning.construct("⟨∇⟩")(*(unfold(p, meaning) for p in node.parts()))
    return _derivative(tree.Deriv(node.body, node.variable), meaning)


def _probability(label: str, why: str, meaning_of):
    """A probability construct by its definition (:mod:`derivspec.scan.laws`), opaque where that does not cover it."""
    fallback = _opaque(label, why)

    def unfold_probability(node, meaning):
        try:
            return meaning_of(node, meaning)
        except laws.Unknown:
            return fallback.unfold(node, meaning)
    return Operator(unfold_probability)


def _density(node: tree.Density, meaning: Meaning):
    return laws.density(meaning, *laws.law_of(node, meaning, unfold))


def _family_density(node: tree.Law, meaning: Meaning):
    """N(x; μ, σ²), N(x | μ, σ²): a family's density at the point written (its row's SymPy stats law); a law
    written without a point is a value this table does not give."""
    from sympy import stats

    if not node.family or len(node.at) != 1:
        raise laws.Unknown("a law as a value")
    variable = laws.family_variable(meaning, ("law", node), node.family, node.params, unfold)
    return stats.density(variable)(unfold(node.at[0], meaning))


def _event_probability(node: tree.Prob, meaning: Meaning):
    if node.head is None:
        raise laws.Unknown("a probability under no named law")
    return laws.event_probability(meaning, node.head.latex, node.event, node.given, unfold)


def _apply(node: tree.Apply, meaning: Meaning):
    defined = meaning.functions.get((node.head.latex, len(node.args))) if meaning.expand else None
    if defined is not None and node not in meaning.expanding:  # f(x) = … above: f at these arguments
        parameters, value = defined
        at = dict(zip(parameters, node.args))
        meaning.expanding.add(node)
        try:
            return unfold(tree.rebuilt(value, lambda part: at.get(part, part)), meaning)
        finally:
            meaning.expanding.discard(node)
    if node.head.latex in meaning.densities:
        try:
            return laws.density(meaning, *laws.law_of(node, meaning, unfold))
        except laws.Unknown:
            pass
    carried = tuple(c for c in node.carried if c in meaning.varied and c not in node.args)  # f_θ(x) in ∇_θ: f(x, θ)
    return meaning.function(node.head.latex)(*(unfold(a, meaning) for a in node.args + carried))


def _of_families(node: tree.Node, meaning: Meaning, given: tuple = ()) -> dict:
    """The SymPy stats variables of the names in ``node`` the document declares of a family (X ∼ Pois(λ));
    ``given``: what a bar puts after them, which must be parameters of those families (E[Z | λ]), else {}."""
    parameters = {n for name in tree.names_in(node) if name.latex in meaning.declared and not name.index
                  for arg in meaning.declared[name.latex][1] for n in tree.names_in(arg)}
    if not all(isinstance(g, tree.Name) and g in parameters for g in given):
        return {}
    found = {}
    for name in tree.names_in(node):
        if name.latex in meaning.declared and not name.index:
            family, args = meaning.declared[name.latex]
            found[meaning.symbol(name)] = laws.family_variable(meaning, name.latex, family, args, unfold)
    return found


def _expectation(node: tree.Expect, meaning: Meaning):
    from sympy import stats

    law = node.law
    if not node.square and meaning.entropy_e:  # E(X) where the document calls E an entropy
        return _entropy(tree.Entropy((node.body,), node.given), meaning)
    if isinstance(law, tree.Law) and law.family and len(law.at) == 1 and not node.given:  # E_{x ∼ N(μ, σ²)}[f(x)]
        variable = laws.family_variable(meaning, ("law", law), law.family, law.params, unfold)
        return stats.E(unfold(node.body, meaning).xreplace({unfold(law.at[0], meaning): variable}))
    declared = _of_families(node.body, meaning, node.given) if law is None else {}
    if declared:  # E[X] of X ∼ Pois(λ), E[X | λ]
        return stats.E(unfold(node.body, meaning).xreplace(declared))
    if law is None and isinstance(meaning.open_law, tree.Density | tree.Apply) and not node.given:  # under q(z | x)
        head, variables, given = laws.law_of(meaning.open_law, meaning, unfold)
        return laws.over_all(laws.density(meaning, head, variables, given) * unfold(node.body, meaning), variables,
                             meaning)
    if law is None:
        random = [n for n in tree.names_in(node.body) if n in meaning.random_by_use]
        if isinstance(node.body, tree.Name) and not random:
            random = [node.body]
        if not random or node.given:
            raise laws.Unknown("an expectation under no named law")
        variables = tuple(unfold(n, meaning) for n in sorted(random, key=lambda n: n.latex))
        return laws.over_all(laws.density(meaning, meaning.default_law, variables) * unfold(node.body, meaning),
                             variables, meaning)
    if not isinstance(law, tree.Law) or law.density is None or node.given:
        raise laws.Unknown("an expectation under a family or a conditional expectation")
    if isinstance(law.density, tree.Name) and law.density.latex not in meaning.densities and not law.at:
        raise laws.Unknown("E_z: the subscript names the variable, not its law")
    head, variables, given = laws.law_of(law.density, meaning, unfold)
    if law.at:
        variables = tuple(unfold(v, meaning) for v in law.at)
    return laws.over_all(laws.density(meaning, head, variables, given) * unfold(node.body, meaning), variables,
                         meaning)


def _moment(node: tree.Moment, meaning: Meaning):
    from sympy import stats

    declared = {}
    for arg in node.args:
        declared.update(_of_families(arg, meaning, node.given))
    if declared and node.law is None:  # Var[X] of X ∼ N(μ, σ²), Var(X | μ, τ)
        values = [unfold(a, meaning).xreplace(declared) for a in node.args]
        if node.kind == "var" and len(values) == 1:
            return stats.variance(values[0])
        if node.kind == "cov" and len(values) == 2:
            return stats.covariance(*values)
    if node.law is not None or node.given:
        raise laws.Unknown("a moment under a named law, or given what is not a parameter of a declared family")
    expect = lambda body: _expectation(tree.Expect(body), meaning)
    if node.kind == "var" and len(node.args) == 1:  # Var(Z) = E[Z²] − E[Z]², Z any expression (Var(aX + Y))
        (z,) = node.args
        return expect(tree.Pow(z, tree.Num(Fraction(2)))) - expect(z) ** 2
    if node.kind == "cov" and len(node.args) == 2:  # Cov(Z, W) = E[Z W] − E[Z] E[W]
        z, w = node.args
        return expect(tree.Mul((z, w))) - expect(z) * expect(w)
    raise laws.Unknown("a moment of this shape")


def _divergence(node: tree.Divergence, meaning: Meaning):
    head_a, variables, given_a = laws.law_of(node.first, meaning, unfold)
    head_b, variables_b, given_b = laws.law_of(node.second, meaning, unfold)
    a, b = laws.density(meaning, head_a, variables, given_a), laws.density(meaning, head_b, variables_b, given_b)
    if node.kind == "kl":
        return laws.over_all(a * meaning.log(a / b), variables, meaning)
    if node.kind == "ce":
        return -laws.over_all(a * meaning.log(b), variables, meaning)
    middle = (a + b) / 2
    return (laws.over_all(a * meaning.log(a / middle), variables, meaning)
            + laws.over_all(b * meaning.log(b / middle), variables, meaning)) / 2


def _entropy(node: tree.Entropy, meaning: Meaning):
    from sympy import stats

    if len(node.of) == 1 and not node.given and isinstance(node.of[0], tree.Name):
        declared = _of_families(node.of[0], meaning)
        if declared:  # H(X) of X ∼ N(μ, σ²): its (differential) entropy
            value = stats.entropy(next(iter(declared.values())))
            return value if meaning.log_base is None else value / sympy.log(meaning.log_base)
    if len(node.of) == 1 and not node.given and _is_law(node.of[0], meaning):
        head, variables, given = laws.law_of(node.of[0], meaning, unfold)
        a = laws.density(meaning, head, variables, given)
        return -laws.over_all(a * meaning.log(a), variables, meaning)
    of, given = (tuple(unfold(v, meaning) for v in part) for part in (node.of, node.given))
    joint = laws.density(meaning, meaning.default_law, of + given)
    return -laws.over_all(joint * meaning.log(laws.density(meaning, meaning.default_law, of, given)), of + given, meaning)


def _is_law(node: tree.Node, meaning: Meaning) -> bool:
    return isinstance(node, tree.Density) or (isinstance(node, tree.Apply | tree.Name)
                                              and getattr(node, "head", node).latex in meaning.densities)


def _mutual_information(node: tree.MutualInfo, meaning: Meaning):
    a, b, c = (tuple(unfold(v, meaning) for v in part) for part in (node.first, node.second, node.given))
    p = lambda *parts: laws.density(meaning, meaning.default_law, sum(parts, ()), c)
    joint = laws.density(meaning, meaning.default_law, a + b + c)
    return laws.over_all(joint * meaning.log(p(a, b) / (p(a) * p(b))), a + b + c, meaning)


def _ambiguous(node: tree.Ambiguous, meaning: Meaning):
    """The one reading the scope's types admit: H(p, q) of two laws is a cross-entropy, H(X, Y) of two random
    variables a joint entropy."""
    fitting = [reading for _, reading in node.readings if _fits(reading, meaning)]
    if len(fitting) != 1:
        raise Undecided("the reading is ambiguous: " + " or ".join(label for label, _ in node.readings))
    return unfold(fitting[0], meaning)


def _fits(reading: tree.Node, meaning: Meaning) -> bool:
    if isinstance(reading, tree.Divergence):
        return _is_law(reading.first, meaning) and _is_law(reading.second, meaning)
    if isinstance(reading, tree.Entropy):
        return not any(_is_law(part, meaning) for part in reading.of + reading.given)
    if isinstance(reading, tree.MutualInfo):  # I(X, Y) beside H(X): of names used only inside such quantities
        return all(part in meaning.random_by_use for part in reading.first + reading.second)
    if isinstance(reading, tree.Apply):  # the function reading of I(X, Y) when X, Y stand outside too
        return not all(part in meaning.random_by_use for part in reading.args)
    return True


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
    tree.Fn: Operator(lambda n, m: m.log(unfold(n.args[0], m)) if n.function is sympy.log and len(n.args) == 1
                      else n.function(*(unfold(a, m) for a in n.args))),  # a log in the reading's unit: log_2 x
    # is log x / log 2 in any unit, so only the unwritten base follows the unit
    tree.Apply: Operator(_apply),
    tree.Piecewise: _opaque("⟨cases⟩", "a value by cases"),
    tree.Density: _probability("⟨density⟩", "a density at a value", _density),
    tree.Prob: _probability("⟨P⟩", "a probability of an event", _event_probability),
    tree.Event: _opaque("⟨event⟩", "an event as a value"),
    tree.Law: _probability("⟨law⟩", "a law as a value", _family_density),
    tree.Expect: _probability("⟨E⟩", "an expectation under a law the document does not declare", _expectation),
    tree.Moment: _probability("⟨moment⟩", "a variance or covariance under a law the document does not declare",
                              _moment),
    tree.Divergence: _probability("⟨divergence⟩", "a divergence of laws the document does not declare", _divergence),
    tree.Entropy: _probability("⟨H⟩", "an entropy of a law the document does not declare", _entropy),
    tree.MutualInfo: _probability("⟨I⟩", "a mutual information of a law the document does not declare",
                                  _mutual_information),
    tree.Sample: _opaque("⟨sample⟩", "a sampling statement"),
    tree.Sum: _sum_or_product(sympy.Sum),
    tree.Prod: _sum_or_product(sympy.Product),
    tree.Integral: Operator(_integral),
    tree.Limit: Operator(_limit),
    tree.Deriv: Operator(_derivative),
    tree.Grad: Operator(_gradient),
    tree.Jacobian: _opaque("⟨J⟩", "a Jacobian over variables of unknown shape"),
    tree.Hessian: _opaque("⟨Hess⟩", "a Hessian over a variable of unknown shape"),
    tree.Opt: Operator(_optimum),
    tree.Norm: _opaque("⟨norm⟩", "a norm of a vector of unknown shape"),
    tree.Det: _opaque("⟨det⟩", "a determinant of a matrix of unknown shape"),
    tree.Trace: _opaque("⟨tr⟩", "a trace of a matrix of unknown shape"),
    tree.Transpose: _opaque("⟨T⟩", "a transpose of a matrix of unknown shape"),
    tree.Inverse: _opaque("⟨inv⟩", "an inverse of a matrix of unknown shape"),
    tree.Inner: _opaque("⟨inner⟩", "an inner product of vectors of unknown shape"),
    tree.Ambiguous: Operator(_ambiguous),
    tree.Opaque: Operator(_unknown_part),
}
