r"""The document's definitions in force: a function or a name defined above gives later lines their meaning.

A lecture defines ``$f(x) = x^3$`` (or ``L(w) = (w - 3)^2``, ``\ell := (y - wx)^2``) and later writes
``\frac{df}{dx} = 3x^2``, ``f'(2) = 12``, ``f(a + 1) = …`` or ``\frac{\partial \ell}{\partial w} = -2x(y - wx)``. The
left side names a quantity, but the scope computes it: the line is a claim and is judged (DESIGN.md, "Scan":
a line whose left side is a name is a definition only when the scope cannot compute the right side
independently). One mechanism for any letters:

* **Definitions** -- the first relation (=, :=, ≡) of a clause whose left side reads as a plain function
  applied to distinct variables that its right side uses, ``F(u, v)``, or a plain name, ``L``; the right
  side does not use the name. ``P(A) = 0`` or ``D(x) = 1/2`` is a value at one argument, not a function;
  an equation after "if", "when", "suppose" or in an implication is a condition, not a definition.
  Any letter. A density (the scope says which names are) or a head with a bar is defined only at its
  very arguments: ``q(x_{1:T} | x_0) = \prod_t q(x_t | x_{t-1})`` gives ``q(x_{1:T} | x_0)`` a meaning and
  nothing else (``p(x)`` and ``p(z)`` are different densities).
* **In force** at a clause -- the latest definition of the name in a clause before it, at any distance.
* **Unfolding** -- ``F(a)`` becomes the right side at ``a``; ``F'(a)``, ``F''(a)``, ``dF/dv``, ``∂²F/∂v²``,
  ``\frac{d}{dv} F(v)`` and ``\nabla_v F(v)`` its derivatives (SymPy). A name's definition is used where the
  line differentiates the name, with the names its right side uses unfolded first (``z = wx + b`` inside
  ``L = (y - z)^2``).
* **Verdicts** -- through the ordinary check of the unfolded sides. Agreement is ``proved`` and names the
  definitions used. A difference is a flag only when it holds under every definition the document gives
  each name used (a name defined twice may be a new example), the right side brings in no quantity the
  definitions lack (a dependence the document states in words) and a derivative's variable occurs in
  what is differentiated. A line that restates a defined name itself (``L(w) = …`` again) is a step of a
  derivation when its right side is another form of the definition (proved), a restatement when it is the
  same (not a proof), and a redefinition or a slip when it differs (unchecked, with the evidence). A bare
  name (``x``, ``L_i``) is restated only within the statement that defines it: letters are reused.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import sympy
from sympy.core.function import AppliedUndef

from derivspec.scan import classify, scope

_LEFT = re.compile(r"^\s*(?:\\[A-Za-z]+|[A-Za-z])[\s\w{}\\^']*?(?:\\left)?(?:\([^()=]*(?:\\right)?\))?\s*$")
_DERIVATIVE_HEAD = re.compile(r"^d/d(.+?)(?:\*\*(\d+))?$")
_DEFINING = ("=", ":=", "≡")
_NEW_EXAMPLE = re.compile(r"\b(?:let|define|denote|consider|suppose|take|instead|now|new|example|another|"
                          r"redefine|choose)\b", re.IGNORECASE)
_MAX_DEPTH = 6  # definitions that use definitions, at most this deep


@dataclass(frozen=True)
class Definition:
    position: tuple  # (statement order, clause index among the statement's relational clauses)
    line: int
    left: str
    right: str
    bare: frozenset = frozenset()


@dataclass(frozen=True)
class Reading:
    """A definition as read: its name (the reader's head), parameters (empty for a name) and value."""

    name: str
    parameters: tuple
    value: sympy.Expr
    definition: Definition
    exact: bool = False  # a density or a bracketed head: it means its value only at these very arguments


@dataclass
class Definitions:
    """The candidate definitions of one document, read lazily (in each worker) and indexed by name."""

    entries: list = field(default_factory=list)
    _index: dict | None = None

    def index(self, context) -> dict:
        """name -> [Reading] in reading order (read once, with the context's names)."""
        if self._index is None:
            from derivspec.scan.steps import Context, read_side

            index: dict = {}
            for entry in self.entries:
                local = Context(context.names, entry.bare, context.log_base)
                reading = _reading(entry, read_side(entry.left, local), read_side(entry.right, local))
                if reading is not None:
                    index.setdefault(reading.name, []).append(reading)
            self._index = index
        return self._index


def collect(split) -> Definitions:
    """Every clause of the document that may define a name (the text only; read at first use)."""
    from derivspec.scan.reader import bare_names
    from derivspec.scan.statements import clean

    entries = []
    for order, (statement, clauses) in enumerate(split):
        if not clauses:
            continue
        bare = None
        conditional = classify.condition_prose(statement.before)  # "when $q(z) = p(z|x)$": a condition
        for number, clause in enumerate(clauses):
            if clause.relations[0] not in _DEFINING or len(clause.sides) < 2:
                continue
            if conditional or classify.condition_of_clause(clause.before, clause.after, False, ""):
                continue
            left, right = clause.sides[0].strip(), clause.sides[1].strip()
            if not left or not right or not _LEFT.match(left):
                continue
            if bare is None:
                bare = bare_names(clean(statement))
            entries.append(Definition((order, number), statement.lines[0], left, right, bare))
    return Definitions(entries)


def _plain(name: str) -> bool:
    """A head that is only a name: no separator ([|], [;]), prime, derivative or bracket of the reader's."""
    return not re.search(r"[\[\]'⟨⟩⟦⟧/]", name) and not name.startswith("d/d")


def _reading(entry: Definition, left, right) -> Reading | None:
    if not left.readable or not right.readable:
        return None
    expr, value = left.primary.expr, right.primary.value()
    if isinstance(expr, AppliedUndef):
        name, parameters = expr.func.__name__, expr.args
        if name.startswith("d/d") or name.endswith("'"):
            return None  # the derivative of a name is computed, never defined
        exact = not _plain(name) or scope.is_density(re.sub(r"_.*$", "", name)) or scope.is_density(name)
        if not exact and (not all(isinstance(p, sympy.Symbol) for p in parameters)
                          or len(set(parameters)) != len(parameters)):
            return None  # f(2) = 8, f(x, x): a value or a property, not a definition
        if not exact and not set(parameters) <= value.free_symbols:
            return None  # P(A) = 0, D(x) = 1/2, F(x) = 0: a value at one argument or a condition, not a function
    elif isinstance(expr, sympy.Symbol):
        name, parameters, exact = expr.name, (), False
        if not _plain(name):
            return None
    else:
        return None
    if exact and not value.free_symbols:
        return None  # p(z | x) = 0: a value, not a factorisation
    if value.has(expr) if exact else _uses(value, name):
        return None  # t = t + 1, L = L + λ R: an update (a density only at its very arguments)
    return Reading(name, tuple(parameters), value, entry, exact)


def _uses(expr: sympy.Expr, name: str) -> bool:
    return any(getattr(node, "name", None) == name or (isinstance(node, AppliedUndef) and node.func.__name__ == name)
               for node in sympy.preorder_traversal(expr))


@dataclass
class InForce:
    """The definitions in force at one clause, and what unfolding a side used."""

    table: Definitions
    position: tuple
    used: list = field(default_factory=list)  # Readings used, in order
    failed: bool = False  # a definition was needed but could not be applied soundly
    names: dict = field(default_factory=dict)  # symbol -> value: names unfolded inside a differentiated definition

    def latest(self, name: str, context, arguments: tuple | None = None) -> Reading | None:
        """The definition of ``name`` in force here (of a density, one at these very ``arguments``)."""
        found = [r for r in self.table.index(context).get(name, ()) if r.definition.position < self.position
                 and (not r.exact or r.parameters == arguments)]
        return found[-1] if found else None

    def others(self, reading: Reading, context) -> list[Reading]:
        """The name's other definitions anywhere in the document (not at this clause)."""
        return [r for r in self.table.index(context).get(reading.name, ())
                if r is not reading and r.definition.position != self.position]

    def _use(self, reading: Reading) -> None:
        if reading not in self.used:
            self.used.append(reading)

    def unfold(self, expr: sympy.Expr, context, depth: int = 0) -> sympy.Expr:
        """``expr`` with every application of a defined function, and every derivative of a defined
        function or name, replaced by its value."""
        if depth > _MAX_DEPTH or not isinstance(expr, sympy.Basic) or not expr.args:
            return expr
        if isinstance(expr, AppliedUndef):
            unfolded = self._applied(expr, context, depth)
            if unfolded is not None:
                return unfolded
        args = [self.unfold(a, context, depth) for a in expr.args]
        if all(a is b for a, b in zip(args, expr.args)):
            return expr
        rebuilt = expr.func(*args)
        return rebuilt.doit() if isinstance(rebuilt, sympy.Derivative) else rebuilt

    def _applied(self, expr: AppliedUndef, context, depth: int) -> sympy.Expr | None:
        name = expr.func.__name__
        derivative = _DERIVATIVE_HEAD.match(name)
        if derivative and len(expr.args) == 1 and isinstance(expr.args[0], sympy.Symbol):
            return self._derivative_of_name(expr.args[0].name, derivative.group(1), int(derivative.group(2) or 1),
                                            context, depth)
        primes = len(name) - len(name.rstrip("'"))
        reading = self.latest(name.rstrip("'"), context, expr.args) if primes <= 3 else None
        if reading is None or len(reading.parameters) != len(expr.args) or not reading.parameters:
            return None
        if reading.exact:  # q(x_{1:T} | x_0) as the document factorised it
            if primes:
                return None
            self._use(reading)
            return self.unfold(reading.value, context, depth + 1)
        value = self._inner(reading.value, context, depth)
        if primes:
            if len(reading.parameters) != 1:
                return None
            value = sympy.diff(value, reading.parameters[0], primes)
        self._use(reading)
        arguments = [self.unfold(a, context, depth + 1) for a in expr.args]
        return value.xreplace(dict(zip(reading.parameters, arguments)))

    def _derivative_of_name(self, name: str, variable: str, order: int, context, depth: int) -> sympy.Expr | None:
        reading = self.latest(name, context)
        if reading is None:
            return None
        value = self._inner(reading.value, context, depth, names=True)
        symbols = [s for s in value.free_symbols if s.name == variable]
        if len(symbols) != 1:
            self.failed = True  # the variable is not in what is differentiated: a dependence not written
            return None
        self._use(reading)
        return sympy.diff(value, symbols[0], order)

    def _inner(self, value: sympy.Expr, context, depth: int, names: bool = False) -> sympy.Expr:
        """A definition's value with the definitions it uses unfolded (and, for a derivative, the names it
        uses that the document defines above: their dependence on the variable is written there)."""
        value = self.unfold(value, context, depth + 1)
        if not names:
            return value
        for _ in range(_MAX_DEPTH):
            replaced = {}
            for symbol in value.free_symbols:
                inner = self.latest(symbol.name, context)
                if inner is not None and not inner.parameters:
                    replaced[symbol] = self.unfold(inner.value, context, depth + 1)
                    self._use(inner)
            self.names.update(replaced)
            if not replaced:
                break
            value = value.xreplace(replaced)
        return value


def restated(left, context) -> Reading | None:
    """The definition in force of the name the left side restates (``L(w)`` again, ``L`` again), if any."""
    in_force = context.in_force
    if in_force is None or not left.readable:
        return None
    expr = left.primary.expr
    if isinstance(expr, AppliedUndef):
        reading = in_force.latest(expr.func.__name__, context, expr.args)
        return reading if reading is not None and tuple(expr.args) == reading.parameters else None
    if isinstance(expr, sympy.Symbol):  # a bare name is reused too freely: restated only in its own statement
        reading = in_force.latest(expr.name, context)
        return reading if reading is not None and reading.definition.position[0] == in_force.position[0] else None
    return None


def judge(left, relation: str, right, context, first: bool, check):
    """The step judged with the definitions in force (``check``: the ordinary step check, run on the
    unfolded sides, under each reading of the right side); None when no definition applies."""
    from derivspec.scan.steps import Side, StepResult
    from derivspec.scan.reader import DocumentReading

    in_force = context.in_force
    if in_force is None or relation not in ("=", "≤", "≥", "<", ">"):
        return None
    own = restated(left, context) if first and relation == "=" else None
    session = InForce(in_force.table, in_force.position)
    try:
        if own is not None:
            unfolded_left = session._inner(own.value, context, 0)
            session._use(own)
        else:
            unfolded_left = session.unfold(left.primary.expr, context)
        readings = [right.primary] + [r for r in right.variants.values() if r is not None][:3]
        unfolded_rights = [_unfold_right(session, r.expr, context) for r in readings]
    except Exception:  # a derivative SymPy cannot take, a substitution that fails: no meaning from the scope
        return None
    if not session.used:
        return None
    new_left = Side(left.text, DocumentReading(unfolded_left, left.primary.flags, left.primary.literals))
    results = [check(new_left, relation, Side(right.text, DocumentReading(u, r.flags, r.literals)),
                     _without_scope(context), False) for r, u in zip(readings, unfolded_rights)]
    used = "; ".join(f"{r.definition.left} = {r.definition.right} (line {r.definition.line})" for r in session.used)
    proved = [k for k, r in enumerate(results) if r.verdict == "proved"]
    if proved and own is not None and _same(own.value, readings[proved[0]].value()):
        if check(left, relation, right, _without_scope(context), first).verdict == "proved":
            return None  # Bayes' rule restated: proved as it stands, by the ordinary path
        return StepResult(relation, left.text, right.text, "unchecked", "chain",
                          f"restates the document's definition {used}: a definition, not a proof", category="definition",
                          label=True)
    if proved:
        result = results[proved[0]]
        return StepResult(relation, left.text, right.text, "proved", result.kind,
                          f"{result.reason} [with the document's definitions: {used}]", result.evidence)
    if not all(r.verdict == "disagrees" for r in results):
        return None  # a reading the check cannot decide: nothing from the definitions
    if check(left, relation, right, _without_scope(context), first).verdict == "proved":
        return None  # true as it stands: the definitions do not make it wrong
    result = results[0]
    if own is not None and _NEW_EXAMPLE.search(context.lead_in or ""):
        return None  # "now let f(x) = x^3": a new definition, classed as one
    why = ""
    if own is not None:
        why = (f"differs from the document's definition {used}: a redefinition (a new example) or a slip; "
               "a restated name is not flagged")
    elif session.failed:
        why = f"differs with the document's definitions {used}, but a derivative's variable is missing from them"
    elif any(session.others(r, context) for r in session.used):
        names = ", ".join(sorted({r.definition.left for r in session.used if session.others(r, context)}))
        why = f"differs with the document's definitions {used}, but it defines {names} more than once: not flagged"
    elif any(_new_quantities(session.used, unfolded_left, u) for u in unfolded_rights):
        why = (f"differs with the document's definitions {used}, but the right side uses quantities the "
               "definitions do not (a dependence stated in words?): not flagged")
    if why:  # a restated name differing is a new definition of it: classed so, as before
        return StepResult(relation, left.text, right.text, "unchecked", "chain", why, result.evidence,
                          category="definition" if own is not None else "identity", label=own is not None)
    correct = _latex(sympy.simplify(unfolded_left)) if own is None and not unfolded_left.has(AppliedUndef) else ""
    return StepResult(relation, left.text, right.text, "disagrees", result.kind,
                      f"{result.reason} [with the document's definitions: {used}]", result.evidence, correct=correct)


def _unfold_right(session: InForce, expr: sympy.Expr, context) -> sympy.Expr:
    """The right side unfolded, with the names unfolded in the left side meaning the same here."""
    expr = session.unfold(expr, context)
    for _ in range(_MAX_DEPTH):
        if not session.names or not expr.free_symbols & set(session.names):
            break
        expr = expr.xreplace(session.names)
    return expr


def _latex(expr: sympy.Expr) -> str:
    """``expr`` in the lecture's names (the reader names each symbol by its LaTeX)."""
    return sympy.latex(expr, symbol_names={s: s.name for s in expr.free_symbols})


def _same(a: sympy.Expr, b: sympy.Expr) -> bool:
    try:
        return sympy.srepr(a) == sympy.srepr(b)
    except Exception:
        return False


def _new_quantities(used: list, unfolded_left, right) -> bool:
    """The right side, unfolded, names a quantity that neither the left side nor the definitions used
    have (a symbol, or a function of the document's that no definition gives)."""
    known = set(unfolded_left.free_symbols)
    for reading in used:
        known |= reading.value.free_symbols | set(reading.parameters)
    extra = {s for s in right.free_symbols if s not in known}
    return bool(extra) or bool(right.atoms(AppliedUndef) - unfolded_left.atoms(AppliedUndef))


def _without_scope(context):
    import dataclasses

    return dataclasses.replace(context, in_force=None, chain=True)
