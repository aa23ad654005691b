r"""Densities, expectations and information quantities as meaning (DESIGN.md, "Scan": meaning -- random
finite joint distributions with exact probabilities).

Every law head of a step (``p``, ``q_\phi``, ``P``; ``⟨P⟩`` for the law ``H(X)`` or ``E[X]`` speak of) is one
joint law over the random variables it is written with. A density is a ratio of two of its marginals,

    p(a | b) = m_p(a, b) / m_p(b),

so the rules of probability hold by construction; an integral or a sum over a variable of one marginal is
the marginal without it (``∫ m_p(x, z) dz = m_p(x)``); any other sum over a variable's values is a sum over
its support, of size ``⟨K⟩``. Expectations, KL, JS, cross-entropy, entropy and mutual information unfold to
such sums by their definitions:

    E_{z ~ q}[f] = Σ_z q(z) f,   KL(a ‖ b) = Σ a log(a / b),   H(a, b) = -Σ a log b,
    H(X | Y) = -Σ_{x,y} P(x, y) log P(x | y),   I(X; Y) = Σ P(x, y) log(P(x, y) / (P(x) P(y))).

The instance checker gives every random variable values 0 .. K-1 and every law head a random table of
exact probabilities over its variables (:func:`tables`); a marginal is a sum of that table.
"""

from __future__ import annotations

import random
from fractions import Fraction
from itertools import product

import sympy
from sympy.core.function import AppliedUndef

from derivspec.scan import tree

OTHER_READING = "its notes also write another way"  # the note a family's parameters read one way leaves
SUPPORT_SIZE = 3  # the values a random variable takes on an instance
DEFAULT_LAW = "⟨P⟩"  # the law H(X), I(X; Y), E[X] and P(A | B) speak of when none is named


class Unknown(Exception):
    """A probability construct this meaning does not cover (the caller makes it opaque)."""


def support(meaning) -> sympy.Symbol:
    return meaning.symbols.setdefault("⟨K⟩", sympy.Symbol("⟨K⟩", integer=True, positive=True))


def marginal(meaning, head: str, variables: tuple, at: tuple | None = None) -> sympy.Expr:
    """m_head over ``variables`` (SymPy expressions of random variables), at ``at`` (the variables themselves
    when None; else the values, or bound symbols of a sum, each variable stands at)."""
    if not variables:
        return sympy.Integer(1)
    at = dict(zip(variables, at)) if at is not None else {v: v for v in variables}
    ordered = tuple(sorted(dict.fromkeys(variables), key=sympy.default_sort_key))
    for v in ordered:
        if not isinstance(v, sympy.Symbol | AppliedUndef):
            raise Unknown("a density at a value, not at a variable")
        meaning.random.add(v)
    label = f"{head}⟨{', '.join(map(str, ordered))}⟩"
    function = meaning._head(("marginal", head, ordered), label, "marginal", positive=True)  # where it is a density
    meaning.marginals[function] = (head, ordered)
    return function(*(at[v] for v in ordered))


def density(meaning, head: str, variables: tuple, given: tuple = ()) -> sympy.Expr:
    joint = marginal(meaning, head, tuple(variables) + tuple(given))
    return joint / marginal(meaning, head, tuple(given)) if given else joint


def over(body: sympy.Expr, variable, meaning) -> sympy.Expr:
    """Σ or ∫ of ``body`` over all values of the random variable ``variable``."""
    return over_all(body, (variable,), meaning)


def over_all(body: sympy.Expr, variables, meaning) -> sympy.Expr:
    """Σ of ``body`` over all values of ``variables``, term by term: a variable that stands in one marginal of a
    term (and nowhere else in it) is summed out of that marginal (``Σ_z m(x, z) f(x) = m(x) f(x)``), in whatever
    order that works; what is left is a sum over the support, of size ``⟨K⟩``."""
    variables = tuple(dict.fromkeys(variables))  # I(X; X): one variable, summed once
    for variable in variables:
        meaning.random.add(variable)
    return sympy.Add(*(_term_over(term, list(variables), meaning) for term in _terms(body)))


def _terms(body: sympy.Expr) -> tuple:
    return sympy.Add.make_args(sympy.expand(body, deep=False, log=False, power_base=False, power_exp=False))


def _term_over(term: sympy.Expr, variables: list, meaning) -> sympy.Expr:
    """Σ of one term over ``variables`` (symbols or values standing for random variables in it)."""
    left = [v for v in variables]
    progress = True
    while left and progress:
        progress = False
        for variable in list(left):
            factors = sympy.Mul.make_args(term)
            with_variable = [f for f in factors if f.has(variable)]
            if not with_variable:
                term, progress = term * support(meaning), True
            elif len(with_variable) == 1 and _summable(with_variable[0], variable, meaning):
                found = with_variable[0]
                derivative = isinstance(found, sympy.Derivative)  # Σ_z ∂_θ m(x, z, θ) = ∂_θ m(x, θ)
                inner = found.expr if derivative else found
                head, over_variables = meaning.marginals[inner.func]
                keep = [i for i, a in enumerate(inner.args) if a != variable]
                rest = marginal(meaning, head, tuple(over_variables[i] for i in keep), tuple(inner.args[i] for i in keep))
                if derivative:
                    rest = sympy.Derivative(rest, *found.variable_count)
                term = sympy.Mul(*(f for f in factors if not f.has(variable))) * rest
                progress = True
            else:
                continue
            left.remove(variable)
    if left:  # over bound symbols, in one order, so that the same sum reads the same on both sides
        bound = {v: sympy.Symbol(f"⟨{v}⟩", integer=True) for v in left}
        term = sympy.Sum(term.xreplace(bound), *((bound[v], 0, support(meaning) - 1)
                                                 for v in sorted(left, key=sympy.default_sort_key)))
    return term


def _summable(factor, variable, meaning) -> bool:
    """A marginal in which ``variable`` stands as exactly one argument (and nowhere inside another), or its
    derivative by other variables (a sum and a derivative by another variable commute)."""
    if isinstance(factor, sympy.Derivative):
        return (all(v != variable for v, _ in factor.variable_count) and isinstance(factor.expr, AppliedUndef)
                and _summable(factor.expr, variable, meaning))
    return (factor.func in meaning.marginals and list(factor.args).count(variable) == 1
            and not any(a.has(variable) for a in factor.args if a != variable))


def normal(expr: sympy.Expr, meaning) -> sympy.Expr:
    """``expr`` with the logs of densities expanded and every sum over a support summed out again where a
    marginal allows it (the form in which two unfolded sides are compared)."""
    expr = sympy.expand(sympy.expand_log(expr, force=False))
    for _ in range(3):
        before = expr
        last = support(meaning) - 1
        expr = expr.replace(lambda e: isinstance(e, sympy.Sum) and all(l[1] == 0 and l[2] == last for l in e.limits),
                            lambda e: over_all(sympy.expand(sympy.expand_log(e.function, force=False)),
                                               tuple(l[0] for l in e.limits), meaning))
        expr = sympy.expand(_factors_out(expr))
        if expr == before:
            break
    return expr


def _factors_out(expr: sympy.Expr) -> sympy.Expr:
    """Every sum split term by term, with the factors free of its indices taken out (Σ -a f = -a Σ f), so that
    the same sum on both sides is one SymPy term and cancels."""
    def split(total):
        indices = {limit[0] for limit in total.limits}
        found = sympy.Integer(0)
        for term in sympy.Add.make_args(sympy.expand(total.function)):
            outside = [f for f in sympy.Mul.make_args(term) if not f.free_symbols & indices]
            inside = [f for f in sympy.Mul.make_args(term) if f.free_symbols & indices]
            found += sympy.Mul(*outside) * sympy.Sum(sympy.Mul(*inside), *total.limits)
        return found
    return expr.replace(lambda e: isinstance(e, sympy.Sum), split)


def event_probability(meaning, head: str, event: tree.Node, given: tuple, unfold) -> sympy.Expr:
    """P(E | F) = P(E ∩ F) / P(F) under the law ``head``. A name in an event is the event that its random
    variable takes the value the name stands for, so P(A ∩ B) is the joint marginal m(A, B), as p(a, b) is.
    An event's indicator is a polynomial in its names' indicators (A ∩ B: ab, A ∪ B: a + b - ab, A ∖ B:
    a(1 - b), A^c: 1 - a); each monomial, its powers dropped (an indicator squared is itself), is the joint
    marginal of its names. Every probability space of these events is a law over their variables, so the
    rules of events follow from the rules of marginals."""
    indicators: dict = {}

    def indicator(node):
        if isinstance(node, tree.Name):
            variable = unfold(node, meaning)
            return indicators.setdefault(variable, sympy.Dummy("1", positive=True))
        if isinstance(node, tree.Event):
            parts = [indicator(p) for p in node.operands]
            return {"∩": lambda a, b: a * b, "∪": lambda a, b: a + b - a * b, "∖": lambda a, b: a * (1 - b),
                    "c": lambda a: 1 - a}[node.op](*parts)
        raise Unknown("an event that is not made of names")

    def probability(polynomial) -> sympy.Expr:
        total = sympy.Integer(0)
        for term in sympy.Add.make_args(sympy.expand(polynomial)):
            coefficient, factors = term.as_coeff_mul()
            variables = [v for v, t in indicators.items() if any(f.has(t) for f in factors)]
            total += coefficient * marginal(meaning, head, tuple(variables))
        return total
    condition = sympy.Mul(*(indicator(g) for g in given))
    whole = probability(indicator(event) * condition)
    return whole / probability(condition) if given else whole


def law_of(node: tree.Node, meaning, unfold) -> tuple[str, tuple, tuple]:
    """(head, variables, given) of a density written as a node: p(x | z), p(x, z), a law name P (over an
    anonymous variable of its own)."""
    if isinstance(node, tree.Density):
        return (node.head.latex, tuple(unfold(v, meaning) for v in node.variables),
                tuple(unfold(g, meaning) for g in node.given + varied(node, meaning)))
    if isinstance(node, tree.Apply) and node.head.latex in meaning.densities:
        return node.head.latex, tuple(unfold(a, meaning) for a in node.args), tuple(
            unfold(g, meaning) for g in varied(node, meaning))
    if isinstance(node, tree.Name) and not node.index:
        written = meaning.law_variables.get(node.latex)
        if written:  # H(p) = -Σ_x p(x) log p(x): the law over the variables the step writes it with
            return node.latex, tuple(unfold(v, meaning) for v in written), tuple(
                unfold(g, meaning) for g in meaning.law_parameters.get(node.latex, ()))
        anonymous = meaning.symbols.setdefault(("value of", node.latex), sympy.Symbol("⟨v⟩", integer=True))
        return node.latex, (anonymous,), ()
    raise Unknown("a law that is not a density or a named law")


def varied(node, meaning) -> tuple:
    """The parameter a law's subscript carries (q_φ(z | x): φ) where the step varies it (∇_φ): a law of the
    parameter there, given it; elsewhere a law like any other."""
    written = node.variables + node.given if isinstance(node, tree.Density) else node.args
    return tuple(c for c in node.carried if c in meaning.varied and c not in written)


def tables(marginals: dict, rng: random.Random, iid: bool = False, parameters=frozenset()) -> dict:
    """For each law head: its variables and a random table of exact probabilities over them; ``iid``: the
    variables independent and alike, p(a, b) = w(a) w(b) for one random w per head -- a law of every
    factorisation, Markov chain or exchangeable model a document may assume."""
    variables: dict[str, list] = {}
    for head, over_variables in marginals.values():
        known = variables.setdefault(head, [])
        known.extend(v for v in over_variables if v not in known)
    found = {}
    for head, names in variables.items():
        if set(names) & set(parameters):
            found[head] = _smooth(names, rng, iid, parameters)
            continue
        cells = list(product(range(SUPPORT_SIZE), repeat=len(names)))
        if iid:
            weights = [sympy.Integer(rng.randint(1, 9)) for _ in range(SUPPORT_SIZE)]
            one = [w / sum(weights) for w in weights]
            found[head] = (tuple(names), {cell: sympy.Mul(*(one[v] for v in cell)) for cell in cells})
            continue
        weights = [sympy.Integer(rng.randint(1, 9)) for _ in cells]
        total = sum(weights)
        found[head] = (tuple(names), {cell: w / total for cell, w in zip(cells, weights)})
    return found


def _smooth(names: list, rng: random.Random, iid: bool, parameters) -> tuple:
    """A law of ``names`` given its parameters θ (those of ``names`` in ``parameters``): a random table over the
    other variables whose weights are a + b·θ (a, b positive), normalised at every θ -- p(x | θ), smooth in θ;
    ``iid``: the other variables independent and alike. The law of θ itself is left out: m(θ) = 1."""
    given = tuple(n for n in names if n in parameters)
    others = tuple(n for n in names if n not in parameters)
    weight = lambda: sympy.Integer(rng.randint(1, 9)) + sum(sympy.Integer(rng.randint(1, 5)) * t for t in given)
    cells = list(product(range(SUPPORT_SIZE), repeat=len(others)))
    if iid:
        weights = [weight() for _ in range(SUPPORT_SIZE)]
        one = [w / sum(weights) for w in weights]
        table = {cell: sympy.Mul(*(one[v] for v in cell)) for cell in cells}
    else:
        weights = [weight() for _ in cells]
        total = sum(weights)
        table = {cell: w / total for cell, w in zip(cells, weights)}
    return others, table, given


def value(function, args: tuple, marginals: dict, laws: dict) -> sympy.Expr:
    """m_head(args) on the instance's tables: the table summed over the head's other variables (a law smooth in
    its parameters at the values ``args`` gives them)."""
    head, variables = marginals[function]
    if len(laws[head]) == 3:
        names, table, given = laws[head]
        if not set(given) <= set(variables):
            raise Unknown("a law summed over its parameter")
        at = dict(zip(variables, args))
        fixed = {names.index(v): int(a) for v, a in zip(variables, args) if v not in given}
        total = sum((p for cell, p in table.items() if all(cell[i] == a for i, a in fixed.items())), sympy.Integer(0))
        return total.xreplace({t: at[t] for t in given})
    names, table = laws[head]
    fixed = {names.index(v): int(a) for v, a in zip(variables, args)}
    indices = tuple(sorted(fixed))
    total = _marginal(table, indices).get(tuple(fixed[i] for i in indices), 0)
    return sympy.Rational(total.numerator, total.denominator) if total else sympy.Integer(0)


_MARGINALS: dict = {}  # (id(table), indices) -> (table, marginal): the table is held, so its id stays its own


def _marginal(table: dict, indices: tuple) -> dict:
    """The table summed over every variable but those at ``indices``: {their values: probability}, in exact
    fractions, once per table and indices (a joint law of many variables looked up cell by cell, in SymPy's
    rationals, took 23 s of one development statement)."""
    key = (id(table), indices)
    if key not in _MARGINALS:
        sums: dict = {}
        for cell, p in table.items():
            at = tuple(cell[i] for i in indices)
            sums[at] = sums.get(at, 0) + Fraction(int(p.p), int(p.q))
        if len(_MARGINALS) >= 256:
            _MARGINALS.clear()
        _MARGINALS[key] = (table, sums)
    return _MARGINALS[key][1]


def family_variable(meaning, key, family: str, args: tuple, unfold) -> sympy.Expr:
    """A random variable of a named family (``X ∼ \\mathrm{Pois}(\\lambda)``, ``x ∼ N(μ, σ²)``) as a SymPy stats
    variable: the family's row (knowledge/families.toml: its law as written and its SymPy stats form) with the
    written arguments solved for its parameters (σ² = v gives σ = √v)."""
    from sympy import stats

    from derivspec.scan import knowledge
    from derivspec.scan.reader import DocumentNames, read_document

    cached = meaning.symbols.get(("family variable", key))
    if cached is not None:
        return cached
    row = knowledge.families().get(family)
    forms = [form.strip() for form in (row.law if row else "").split(",") if form.strip()]
    if row is None or not row.stats or len(forms) != len(args):
        raise Unknown(f"a {family} law with these arguments")
    values, squared = {}, False
    for form, arg in zip(forms, args):
        written = read_document(form, DocumentNames()).expr
        param = next((p for p in row.params if sympy.Symbol(p.name, real=True) in written.free_symbols), None)
        if param is None:
            raise Unknown(f"the {family} law's form {form}")
        symbol, value = sympy.Symbol(param.name, real=True), unfold(arg, meaning)
        if written == symbol:
            values[param.ident] = value
        elif written == symbol ** 2:
            values[param.ident] = sympy.sqrt(value)
            squared = squared or (isinstance(arg, tree.Pow) and arg.exponent == tree.Num(2))
        else:
            raise Unknown(f"the {family} law's form {form}")
    form = row.stats
    if row.readings and not squared:  # N(μ, s), Exp(β): the default reading proves; N(μ, σ²) is fixed
        if meaning.family_reading and len(row.other_stats) >= meaning.family_reading:
            form = row.other_stats[meaning.family_reading - 1]  # the notes' other reading
        else:  # a difference is a flag only where every reading differs (judge)
            meaning.opaque.add(f"a {family} law {OTHER_READING} ({row.readings[0][:60]})")
    namespace = {**vars(stats), **values, "sympy": sympy}
    variable = eval(form.replace("'X'", repr(f"⟨{key}⟩")), namespace)  # noqa: S307 (our own table's SymPy text)
    meaning.symbols[("family variable", key)] = variable
    return variable
