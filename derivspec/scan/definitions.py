r"""The document's definitions in force: a function or a name defined above gives later lines their meaning.

A lecture defines ``$f(x) = x^3$`` (or ``L(w) = (w - 3)^2``, ``\ell := (y - wx)^2``) and later writes
``\frac{df}{dx} = 3x^2``, ``f'(2) = 12``, ``f(a + 1) = …`` or ``\frac{\partial \ell}{\partial w} = -2x(y - wx)``. The
left side names a quantity, but the scope computes it: the line is a claim and is judged (DESIGN.md, "Scan":
a line whose left side is a name is a definition only when the scope cannot compute the right side
independently). One mechanism for any letters:

* **Definitions** -- the first relation (=, :=, ≡) of a clause whose left side reads as a plain function
  applied to distinct variables that its right side uses, ``F(u, v)``, or a plain name, ``L``; the right
  side does not use the name. ``P(A) = 0`` or ``D(x) = 1/2`` is a value at one argument, not a function.
  An equation after "if", "when", "suppose" or in an implication is a condition: it may prove a line, never
  flag one.
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

import dataclasses
import functools
import re
from dataclasses import dataclass, field

import sympy
from sympy.core.function import AppliedUndef

from derivspec.scan import classify, scope
from derivspec.scan.matrices import may_be_matrices
from derivspec.scan.records import evidence_level

# a name as written: a letter or command, then subscripts, superscripts, stars and accents (a brace group may hold
# any index -- x_{k+1}, \theta^{(t+1)} -- never a relation), the whole possibly in braces ({\bm{Z}}), possibly
# applied, an argument possibly applied itself (l(f(x), y)); spacing before it (\;) is no part of it
_LEFT = re.compile(r"^\s*(?:\\[,;:! ]\s*)*(?:\{\s*)?(?:\\[A-Za-z]+|[A-Za-z])(?:[\s\w\\^']|(?<=\^)\*|\{(?:[^{}=]|\{(?:[^{}=]|"
                   r"\{[^{}=]*\})*\})*\})*?(?:\\left)?(?:\((?:[^()=]|\([^()=]*\))*(?:\\right)?\))?\s*\}?\s*$")
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
    conditional: bool = False  # stated after "if", "when" or in an implication: used to prove, never to flag
    usable: bool = True  # its value may be unfolded; False: written only (the later link of a chain a = b = 0, a
    # left side that is no plain name, p(z_k = 1 | x)): it says the name is set above, it is never unfolded


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

    read: object = None  # (text, context) -> a side as read (steps.read_side), given by the caller
    _written: list | None = None
    assigned: list = field(default_factory=list)  # (position, name as written): set by an assignment ``τ ← …``
    equations: list = field(default_factory=list)  # (position, line, left, right): each equation written, in order

    def assigned_in(self, position: tuple, text: str) -> list[str]:
        """The names ``text`` writes that an assignment above ``position`` sets (``\\tau \\leftarrow`` the (m+1)-th
        smallest key, ``k_i \\gets u_i / x_i``): definitions the judge never unfolds, so a difference in a step that
        uses one may be the definition's work."""
        return sorted({name for at, name in self.assigned if at < position and re.search(
            r"(?<![\\A-Za-z])" + re.escape(name) + r"(?![A-Za-z])", text)})

    def written(self, context) -> list:
        """(entry, left side, right side) as read, of every entry: what the document defines or sets, whether or not
        its value can be used (an update x_{k+1} = x_k - η g_k, a derivative, a value stated under "if"); a side
        that cannot be read is None."""
        if self._written is None:
            written = []
            for entry in self.entries:
                local = dataclasses.replace(context, bare=entry.bare, in_force=None)
                left, right = self.read(entry.left, local), self.read(entry.right, local)
                if left.readable:
                    written.append((entry, left.primary.expr, right.primary.expr if right.readable else None))
            self._written = written
        return self._written

    def index(self, context) -> dict:
        """name -> [Reading] in reading order (read once, with the context's names)."""
        if self._index is None:
            index: dict = {}
            for entry in self.entries:
                if not entry.usable:
                    continue
                local = dataclasses.replace(context, bare=entry.bare, in_force=None)
                reading = _reading(entry, self.read(entry.left, local), self.read(entry.right, local))
                if reading is not None:
                    index.setdefault(reading.name, []).append(reading)
            self._index = index
        return self._index


def collect(split, clean, read) -> Definitions:
    """Every clause of the document that may define a name (the text only; read at first use with ``read``;
    ``clean``: a statement's math as the checks see it)."""
    from derivspec.scan.reader import bare_names

    entries, assigned, equations = [], [], []
    for order, (statement, clauses) in enumerate(split):
        if not clauses:
            continue
        bare = None
        conditional = classify.condition_prose(statement.before)  # "when $q(z) = p(z|x)$": a condition
        for number, clause in enumerate(clauses):
            equations.extend(((order, number), statement.lines[0], a.strip(), b.strip()) for relation, a, b in
                             zip(clause.relations, clause.sides, clause.sides[1:]) if relation == "=" and a.strip()
                             and b.strip())
            if clause.relations[0] == "←" and len(clause.sides) >= 2 and _LEFT.match(clause.sides[0]):
                name = clause.sides[0].strip()  # an assignment of an algorithm; an update (t ← t + 1) sets nothing new
                if name and not re.search(r"(?<![\\A-Za-z])" + re.escape(name) + r"(?![A-Za-z])", clause.sides[1]):
                    assigned.append(((order, number), name))
                continue
            if clause.relations[0] not in _DEFINING or len(clause.sides) < 2:
                continue
            left, right = clause.sides[0].strip(), clause.sides[1].strip()
            if not left or not right:
                continue
            if bare is None:
                bare = bare_names(clean(statement))
            condition = conditional or bool(classify.condition_of_clause(clause.before, clause.after, False, ""))
            entries.append(Definition((order, number), statement.lines[0], left, right, bare, condition,
                                      usable=bool(_LEFT.match(left))))
            entries.extend(Definition((order, number, k), statement.lines[0], link, value, bare, condition,
                                      usable=False)
                           for k, (relation, link, value) in enumerate(zip(
                               clause.relations[1:], (s.strip() for s in clause.sides[1:]),
                               (s.strip() for s in clause.sides[2:])), start=1)
                           if relation in _DEFINING and link and value and _LEFT.match(link))
    return Definitions(entries, read=read, assigned=assigned, equations=equations)


_ESTIMATE_MARKS = re.compile(r"^\\(?:hat|widehat|bar|tilde)\s*\{?\s*(?P<name>\\?[A-Za-z]+)\s*\}?$|"
                             r"^(?P<base>\\?[A-Za-z]+)\s*(?:\^\s*\{?\s*(?:\*|\\ast|\\star)\s*\}?|_\s*\{?\s*"
                             r"(?:\\(?:text|mathrm)\s*\{)?\s*(?:MLE|ML|MAP|opt)\s*\}?\s*\}?)$")
SOLVED_WINDOW = 3  # statements above a new name in which an equation it solves is looked for


def solved_equation(left: str, right: str, in_force, holds) -> tuple | None:
    r"""``\hat\mu = \frac{1}{N}\sum_i x_i`` (or ``\mu^*``, ``q_i = …``) just below an equation it solves (``\sum_i
    (x_i - \mu) = 0``): (the result of ``holds(left, right)`` for the equation with the value put for the name -- the
    name itself or the quantity it estimates, ``\mu`` for ``\hat\mu`` -- and the equation as (line, text)), the
    nearest one (at most :data:`SOLVED_WINDOW` statements above, or earlier in this one) that holds so and did
    not hold before; None when none does. Proves only: a new name that solves no equation above is a definition."""
    if in_force is None:  # the document's definitions in force at the statement (InForce)
        return None
    marked = _ESTIMATE_MARKS.match(left.strip())
    names = [left.strip()] + ([marked.group("name") or marked.group("base")] if marked else [])
    here = in_force.position
    def level(result) -> str:
        return evidence_level(result.verdict, result.reason)

    for position, line, a, b in reversed(in_force.table.equations):
        if not (here[0] - SOLVED_WINDOW <= position[0] and position < here):
            continue
        as_written = None  # the equation checked as written, once: it must not hold without the value
        for name in names:
            pattern = (r"(?<!\\)" if name.startswith("\\") else r"(?<![\\A-Za-z])") + re.escape(name) + \
                r"(?![A-Za-z0-9_{(])"  # X\theta: a command starts at its backslash, whatever letter precedes it
            if not (re.search(pattern, a) or re.search(pattern, b)) or re.fullmatch(pattern, a.strip()):
                continue  # the name not in it, or the equation is the name's own value (a definition, not a condition)
            as_written = as_written or level(holds(a, b))
            if as_written != "unchecked":
                break
            value = _own_indices(right, a + b)
            found = holds(*(re.sub(pattern, lambda _: "(" + value + ")", side) for side in (a, b)))
            if level(found) in ("proved", "holds on instances"):
                return found, (line, f"{a} = {b}")
    return None


def _own_indices(value: str, around: str) -> str:
    r"""``value`` with its sums' indices renamed to letters ``around`` does not use (\sum_i x_i put into \sum_i (x_i - μ)
    would bind one i twice)."""
    used = set(re.findall(r"(?<![\\A-Za-z])([a-z])(?![A-Za-z])", value + around))
    free = iter(c for c in "jklmrsuvw" if c not in used)
    for index in sorted(set(re.findall(r"\\(?:sum|prod)\s*_\s*\{?\s*([a-z])\b", value))):
        if re.search(r"(?<![\\A-Za-z])" + index + r"(?![A-Za-z])", around):
            value = re.sub(r"(?<![\\A-Za-z])" + index + r"(?![A-Za-z])", next(free, index), value)
    return value


def announces_a_new_definition(lead_in: str) -> bool:
    """The sentence leading in defines anew ("now let", "define", "consider another"): a name defined above is
    given a new meaning here, not restated."""
    return bool(_NEW_EXAMPLE.search(lead_in or ""))


_CONSEQUENCE = re.compile(r"\\(?:long)?(?:rightarrow|Rightarrow|implies)(?![A-Za-z])")


def defined_for_what_follows(left: str, statement: str, head: str = "") -> bool:
    r"""The statement opens with ``left = …`` and, after an arrow, goes on to a claim about the same name
    (``f(x) = \frac{1}{x} \rightarrow \frac{df}{dx} = -1/x^2``, ``g = … \implies g' = …``): it defines the name
    for what follows -- a worked example of its own."""
    left, statement = left.strip(), (statement or "").strip()
    arrow = _CONSEQUENCE.search(statement)
    if not left or not statement.startswith(left) or arrow is None or \
            not re.match(r"\s*(?::=|=)", statement[len(left):arrow.start()]):
        return False
    name = re.escape((head or re.match(r"\\?[A-Za-z]*", left)[0]).split("_")[0].split("[")[0])
    if not name:
        return False
    return bool(re.search(r"(?<![A-Za-z\\])(?:d\s*|\\partial\s*)?" + name + r"(?![A-Za-z])", statement[arrow.end():]))


def _plain(name: str) -> bool:
    """A head that is only a name: no separator ([|], [;]), prime, derivative or bracket of the reader's; a
    comma between arguments (``g[,]``: g(a, b)) is a function of several arguments."""
    name = name.removesuffix("[,]")
    return not re.search(r"[\[\]'⟨⟩⟦⟧/]", name) and not name.startswith("d/d")


def _reading(entry: Definition, left, right) -> Reading | None:
    if not left.readable or not right.readable:
        return None
    expr, value = left.primary.expr, right.primary.value()
    if isinstance(expr, AppliedUndef):
        name, parameters = expr.func.__name__, expr.args
        if name.startswith("d/d") or name.endswith("'"):
            return None  # the derivative of a name is computed, never defined
        head = name.removesuffix("[,]")
        exact = not _plain(name) or scope.is_density(re.sub(r"_.*$", "", head)) or scope.is_density(head)
        function = all(isinstance(p, sympy.Symbol) for p in parameters) and len(set(parameters)) == len(parameters) \
            and set(parameters) <= value.free_symbols
        if not exact and not function and head != name:
            exact = True  # L(q, θ) = Σ_z q(z) …: a quantity of the very arguments q, θ (q is no variable of it)
        elif not exact and not function:
            return None  # f(2) = 8, f(x, x), P(A) = 0, F(x) = 0: a value at one argument or a condition, not a function
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
    if isinstance(expr, sympy.Symbol) and isinstance(value, sympy.Symbol) and _SUBSCRIPTED.match(name) and \
            _SUBSCRIPTED.match(value.name) and _SUBSCRIPTED.match(name)[1] == _SUBSCRIPTED.match(value.name)[1]:
        return None  # "for K = 1, L_K = L_1": a special case of an indexed name, not its value at every index
    return Reading(name, tuple(parameters), value, entry, exact)


_SUBSCRIPTED = re.compile(r"^(.+?)_\{?[^{}]*\}?$")


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
    active: list = field(default_factory=list)  # definitions being unfolded now: not again inside themselves
    shallow: bool = False  # unfold only the names the step writes, not those inside their definitions

    def latest(self, name: str, context, arguments: tuple | None = None) -> Reading | None:
        """The definition of ``name`` in force here (of a density, one at these very ``arguments``)."""
        found = [r for r in self.table.index(context).get(name, ()) if r.definition.position < self.position
                 and (not r.exact or r.parameters == arguments)]
        return found[-1] if found else None

    def defined_above(self, expr: sympy.Expr, context) -> bool:
        """Some clause above this one defines ``expr`` (the same name as read, at the same arguments)."""
        return any(entry.position < self.position and left == expr for entry, left, _ in self.table.written(context))

    def restated(self, left: sympy.Expr, right: sympy.Expr, context, texts: tuple[str, str] = ("", "")) -> \
            Definition | None:
        """The clause above that defines ``left`` as ``right``, written the same (as read, or letter for letter:
        ``texts``), if there is one -- stated under a condition or not, a chain's link too, but always of a name (a
        clause whose left side is no plain name, E_p[s(θ)] = …, is no definition to restate): this clause writes it
        again."""
        plain = tuple(" ".join(t.split()) for t in texts)
        found = [entry for entry, name, value in self.table.written(context)
                 if entry.position < self.position and _LEFT.match(entry.left) and ((name == left and value == right) or (
                     all(plain) and (" ".join(entry.left.split()), " ".join(entry.right.split())) == plain))]
        return found[-1] if found else None

    def others(self, reading: Reading, context) -> list[Reading]:
        """The name's other definitions anywhere in the document (not at this clause), with another value: the
        same definition written again later is no second meaning."""
        return [r for r in self.table.index(context).get(reading.name, ())
                if r is not reading and r.definition.position != self.position and r.parameters == reading.parameters
                and not _same(r.value, reading.value)] + [
            r for r in self.table.index(context).get(reading.name, ())
            if r.parameters != reading.parameters and not r.exact]

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
        if isinstance(rebuilt, sympy.Derivative) and not rebuilt.expr.has(sympy.Product):
            return rebuilt.doit()
        return rebuilt  # d/dx of a product over i: taken where the product is written out (steps)

    def _applied(self, expr: AppliedUndef, context, depth: int) -> sympy.Expr | None:
        name = expr.func.__name__
        derivative = _DERIVATIVE_HEAD.match(name)
        if derivative and len(expr.args) == 1 and isinstance(expr.args[0], sympy.Symbol):
            return self._derivative_of_name(expr.args[0].name, derivative.group(1), int(derivative.group(2) or 1),
                                            context, depth)
        if derivative and len(expr.args) == 1:  # ∂(ε²)/∂β with ε = y - βx above
            return self._derivative_of_expression(expr.args[0], derivative.group(1), int(derivative.group(2) or 1),
                                                  context, depth)
        primes = len(name) - len(name.rstrip("'"))
        reading = self.latest(name.rstrip("'"), context, expr.args) if primes <= 3 else None
        if reading is None or len(reading.parameters) != len(expr.args) or not reading.parameters:
            return None
        if reading in self.active:
            return None  # p(y|x) defined through p(x|y) and p(x|y) through p(y|x): each unfolded once
        if reading.exact:  # q(x_{1:T} | x_0) as the document factorised it
            if primes:
                return None
            self._use(reading)
            return self._inner(reading.value, context, depth, within=reading)
        value = self._inner(reading.value, context, depth, within=reading)
        if primes:
            if len(reading.parameters) != 1:
                return None
            value = sympy.diff(value, reading.parameters[0], primes)
        self._use(reading)
        arguments = [self.unfold(a, context, depth + 1) for a in expr.args]
        return value.xreplace(dict(zip(reading.parameters, arguments)))

    def _derivative_of_name(self, name: str, variable: str, order: int, context, depth: int) -> sympy.Expr | None:
        found = [r for r in (self.latest(name, context), self.latest(name + "[,]", context)) if r is not None]
        reading = max(found, key=lambda r: r.definition.position) if found else None  # f or f(x, y), latest
        if reading is None:
            return None
        if reading in self.active:
            return None
        value = self._inner(reading.value, context, depth, names=True, within=reading)
        symbols = [s for s in value.free_symbols if s.name == variable]
        if len(symbols) != 1:
            self.failed = True  # the variable is not in what is differentiated: a dependence not written
            return None
        self._use(reading)
        return sympy.diff(value, symbols[0], order)

    def _derivative_of_expression(self, argument, variable: str, order: int, context, depth: int) -> sympy.Expr | None:
        """The derivative of an expression of names the document defines above (``\\partial \\epsilon^2 / \\partial
        \\beta`` with ``\\epsilon = y - \\beta x``): the expression with those names unfolded, differentiated in the
        variable; None where no name unfolds or the variable is then not in it."""
        value = self._inner(argument, context, depth, names=True)
        symbols = [s for s in value.free_symbols if s.name == variable]
        if value == argument or len(symbols) != 1:
            return None
        return sympy.diff(value, symbols[0], order)

    def _inner(self, value: sympy.Expr, context, depth: int, names: bool = False, within=None) -> sympy.Expr:
        """A definition's value with the definitions it uses unfolded (and, for a derivative, the names it
        uses that the document defines above: their dependence on the variable is written there)."""
        if self.shallow and not names:
            return value
        if within is not None:
            self.active.append(within)
        try:
            value = self.unfold(value, context, depth + 1)
        finally:
            if within is not None:
                self.active.remove(within)
        if not names:
            return value
        for _ in range(_MAX_DEPTH):
            replaced = {}
            for symbol in value.free_symbols - set(getattr(within, "parameters", ())):  # f(x) binds its x
                inner = self.latest(symbol.name, context)
                if inner is not None and not inner.parameters:
                    replaced[symbol] = self.unfold(inner.value, context, depth + 1)
                    self._use(inner)
            self.names.update(replaced)
            if not replaced:
                break
            value = value.xreplace(replaced)
        return value


    def connect(self, left: sympy.Expr, right: sympy.Expr, context) -> tuple[sympy.Expr, sympy.Expr]:
        """The names only one side uses replaced by their plain definitions in force (``\\theta = \\mu``
        stated above ``\\tfrac12\\theta^2 = \\tfrac12\\mu^2``), until both sides use the same names."""
        if isinstance(left, sympy.Symbol) or isinstance(right, sympy.Symbol):
            return left, right  # x = 3a: a side that is a bare name is a definition or a value, not restated far off
        for _ in range(_MAX_DEPTH):
            replaced = {}
            for symbol in sorted(left.free_symbols ^ right.free_symbols, key=str):  # reasons in a reproducible order
                reading = self.latest(symbol.name, context) if isinstance(symbol, sympy.Symbol) else None
                if reading is not None and not reading.parameters and reading not in self.active:
                    replaced[symbol] = reading.value
                    self._use(reading)
            if not replaced:
                break
            left, right = left.xreplace(replaced), right.xreplace(replaced)
        return left, right


def restated(left, context) -> tuple[Reading | None, bool]:
    """The definition in force of the name the left side restates (``L(w)`` again, ``L`` again), if any, and whether
    it may only prove: a bare name (``x``, ``\\pi_i``) defined in another statement is reused too freely for a
    difference to mean a slip, but a step that agrees with that definition is shown by it."""
    in_force = context.in_force
    if in_force is None or not left.readable:
        return None, False
    expr = left.primary.expr
    if isinstance(expr, AppliedUndef):
        reading = in_force.latest(expr.func.__name__, context, expr.args)
        return (reading if reading is not None and tuple(expr.args) == reading.parameters else None), False
    if isinstance(expr, sympy.Symbol):
        reading = in_force.latest(expr.name, context)
        return reading, reading is not None and reading.definition.position[0] != in_force.position[0]
    return None, False


@dataclass(frozen=True)
class Judged:
    """A step's verdict from the definitions in force (the caller makes it a StepResult)."""

    verdict: str
    kind: str
    reason: str
    evidence: str = ""
    category: str = ""
    label: bool = False
    correct: str = ""


def judge(left, relation: str, right, context, first: bool, check, plain) -> Judged | None:
    """The step judged with the definitions in force; None when no definition applies. ``check(left, reading,
    right)``: the ordinary check of the step with these sides (the right side's ``reading`` gives its flags),
    run on the unfolded sides -- both, the left only, the right only -- under each reading of the right side;
    ``plain()``: the step checked as written. Proved if one way proves it; flagged only if every reading
    differs with both sides unfolded."""
    in_force = context.in_force
    if in_force is None or relation not in ("=", "≤", "≥", "<", ">"):
        return None
    plain = functools.cache(plain)  # the step as written: checked once, whichever branch asks
    own, prove_only = restated(left, context) if first and relation == "=" else (None, False)
    if own is not None and defined_for_what_follows(left.text, getattr(context, "text", ""), own.name):
        return None  # f(x, y) = x + y → ∂f/∂x = 1: the statement's own example, not the f of a line above
    if prove_only and (own.definition.conditional or announces_a_new_definition(context.lead_in)):
        own, prove_only = None, False  # "now let x = 0^j": a new meaning announced; x = 0^a under "if": no value
    session = InForce(in_force.table, in_force.position)
    readings = [right.primary] + [r for r in right.variants.values() if r is not None][:3]
    try:
        if own is not None:
            unfolded_left = session._inner(own.value, context, 0, within=own)
            session._use(own)
            lefts = [unfolded_left]
        else:
            unfolded_left = session.unfold(left.primary.expr, context)
            lefts = [unfolded_left, left.primary.expr]
        # (left, right reading, right, both sides unfolded fully): both, the left only, the right only
        ways = []
        for reading in readings:
            way_left, way_right = session.connect(lefts[0], _unfold_right(session, reading.expr, context), context)
            ways.append((way_left, reading, way_right, True))
        if not session.used:
            return None  # no definition applies (most steps): the partial ways below would use none either
        at_values = _at_stated_values(session, lefts[0], right.primary.expr, context)
        if at_values is not None:  # "if x = 4, y = -3 then ∂f/∂x = -3": the derivative at the values stated
            ways.append((at_values, right.primary, right.primary.expr, False))
        for _, reading, unfolded_right, _ in list(ways):
            ways.append((lefts[0], reading, _named(session, reading.expr), False))
            if len(lefts) > 1:
                ways.append((lefts[1], reading, unfolded_right, False))
        # one level only (the names the step writes): p(y|x) and p(x|y) defined through each other
        session.shallow = True
        shallow_left = session._inner(own.value, context, 0) if own is not None else session.unfold(
            left.primary.expr, context)
        shallow_right = _unfold_right(session, right.primary.expr, context)
        session.shallow = False
        ways += [(shallow_left, right.primary, shallow_right, False),
                 (shallow_left, right.primary, _named(session, right.primary.expr), False)]
        if own is None:
            ways.append((left.primary.expr, right.primary, shallow_right, False))
    except Exception:  # a derivative SymPy cannot take, a substitution that fails: no meaning from the scope
        return None
    seen, results = set(), []
    for way_left, reading, way_right, full in ways:
        key = (sympy.srepr(way_left), sympy.srepr(way_right))
        if key in seen or (way_left is left.primary.expr and way_right is reading.expr):
            continue
        seen.add(key)
        found = check(way_left, reading, way_right)
        results.append((found, reading, way_left, way_right, full))
        if found.verdict == "proved":
            break
    if not results:
        return None
    used = "; ".join(f"{r.definition.left} = {r.definition.right} (line {r.definition.line}"
                     f"{', a condition stated there' if r.definition.conditional else ''})" for r in _in_line_order(session.used))
    if prove_only:
        used += ", the name read as the one defined there"
    proved = [(r, reading) for r, reading, _, _, _ in results if r.verdict == "proved"]
    if proved and own is not None and _same(own.value, proved[0][1].value()):
        if plain().verdict == "proved":
            return None  # Bayes' rule restated: proved as it stands, by the ordinary path
        return Judged("unchecked", "chain", f"restates the document's definition {used}: a definition, not a proof",
                      category="definition", label=True)
    if proved:
        if plain().verdict == "proved":
            return None  # proved as written: the ordinary path says so, without the definitions
        result = proved[0][0]
        return Judged("proved", result.kind, f"{result.reason} [with the document's definitions: {used}]",
                      result.evidence)
    holding = [r for r, _, _, _, _ in results if evidence_level(r.verdict, r.reason) == "holds on instances"]
    if holding and plain().verdict not in ("proved", "disagrees"):  # evidence on instances, with the definitions
        return Judged("unchecked", holding[0].kind, f"{holding[0].reason} [with the document's definitions: {used}]",
                      holding[0].evidence)
    if prove_only:
        return None  # a bare name of another statement that does not agree with it: a new meaning, as before
    full = [r for r in results if r[4]]  # the other ways only rewrite part of the step: they can prove, not flag
    if len(full) != len(readings) or not all(r[0].verdict == "disagrees" for r in full):
        return None  # a reading the check cannot decide with the definitions: nothing from them
    if plain().verdict in ("proved", "disagrees"):
        return None  # decided as it stands (true, or wrong for every distribution): the ordinary path says so
    result, _, unfolded_left, _, _ = full[0]
    if own is not None and announces_a_new_definition(context.lead_in):
        return None  # "now let f(x) = x^3": a new definition, classed as one
    why = ""
    if own is not None:
        why = (f"differs from the document's definition {used}: a redefinition (a new example) or a slip; "
               "a restated name is not flagged")
    elif session.failed:
        why = f"differs with the document's definitions {used}, but a derivative's variable is missing from them"
    elif any(may_be_matrices(r.definition.right) for r in session.used):
        why = (f"differs with the document's definitions {used} read as numbers, but a definition inverts or "
               "transposes capitals that may be matrices: not flagged")
    elif any(r.definition.conditional for r in session.used):
        why = f"differs with the document's definitions {used}, but one is stated under a condition: not flagged"
    elif any(session.others(r, context) for r in session.used if r.definition.position[0] != in_force.position[0]):
        # (a definition in the very statement is the one it means: f(x) = e^x → df/dx = …)
        names = ", ".join(sorted({r.definition.left for r in session.used if session.others(r, context)}))
        why = f"differs with the document's definitions {used}, but it defines {names} more than once: not flagged"
    elif any(_new_quantities(session.used, w_left, w_right) for _, _, w_left, w_right, _ in full):
        why = (f"differs with the document's definitions {used}, but the right side uses quantities the "
               "definitions do not (a dependence stated in words?): not flagged")
    if why:  # a restated name differing is a new definition of it: classed so, as before
        return Judged("unchecked", "chain", why, result.evidence, category="definition" if own is not None else "identity",
                      label=own is not None)
    correct = _latex(sympy.simplify(unfolded_left)) if own is None and not unfolded_left.has(AppliedUndef) else ""
    return Judged("disagrees", result.kind, f"{result.reason} [with the document's definitions: {used}]",
                  result.evidence, correct=correct)


STATED_VALUES_LINES = 2  # "if x = 4, y = -3 then …": the values set in the sentence of the worked value, or just above


def _at_stated_values(session: InForce, unfolded: sympy.Expr, right: sympy.Expr, context) -> sympy.Expr | None:
    """``unfolded`` (a side the definitions gave a value) at the numbers the document sets its names to, where the
    other side is a number: a worked value (proves only; None when some name has no number)."""
    if not getattr(right, "is_number", False) or unfolded is None or not unfolded.free_symbols:
        return None
    values = {}
    for symbol in unfolded.free_symbols:
        reading = session.latest(symbol.name, context)
        if reading is None or reading.parameters or not getattr(reading.value, "is_number", False) or \
                abs(reading.definition.line - getattr(context, "line", 0)) > STATED_VALUES_LINES:
            return None  # a number set far above is another example's
        values[symbol] = reading.value
        session._use(reading)
    return unfolded.xreplace(values)


def _named(session: InForce, expr: sympy.Expr) -> sympy.Expr:
    """``expr`` as written but for the names a differentiated definition was unfolded through (``z = wx + b``):
    they mean the same on both sides."""
    for _ in range(_MAX_DEPTH):
        if not session.names or not expr.free_symbols & set(session.names):
            break
        expr = expr.xreplace(session.names)
    return expr


def _unfold_right(session: InForce, expr: sympy.Expr, context) -> sympy.Expr:
    """The right side unfolded, with the names unfolded in the left side meaning the same here."""
    return _named(session, session.unfold(expr, context))


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
    bound = {v for side in (unfolded_left, right) for n in sympy.preorder_traversal(side)
             if isinstance(n, (sympy.Sum, sympy.Product, sympy.Integral)) for v in n.variables}
    placeholder = sympy.Symbol("⟨bound⟩")

    def applications(expr) -> set:  # f_i(x) under a sum over i and f_j(x) under a sum over j: one quantity
        return {a.xreplace({v: placeholder for v in bound}) for a in expr.atoms(AppliedUndef)}
    return bool(extra) or bool(applications(right) - applications(unfolded_left))


def without_scope(context):
    """The context without the definitions (a check of sides they were already applied to)."""
    return dataclasses.replace(context, in_force=None, chain=True)


# -- names defined at every index: α_t = 1 - β_t, ᾱ_t = ∏_{i=1}^t α_i -----------------------------------------

_INDEXED = re.compile(r"^(?P<base>.+?)_\{(?P<index>[^{}]+)\}$")
_INDEX_TEXT = re.compile(r"^[A-Za-z](?:[+-]\d+)?$|^\d+$")


def _index_of(name: str):
    """(base, index as SymPy) of ``\\alpha_{t-1}``; None for a name without a simple index."""
    match = _INDEXED.match(name)
    if not match or not _INDEX_TEXT.match(match.group("index")):
        return None
    return match.group("base"), sympy.sympify(match.group("index"), locals={c: sympy.Symbol(c) for c in
                                                                            "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"})


def _index_text(index: sympy.Expr) -> str:
    return sympy.sstr(index).replace(" ", "")


def _at_index(value: sympy.Expr, variable: sympy.Symbol, index: sympy.Expr, context) -> sympy.Expr:
    """``value`` (a definition at index ``variable``) at ``index``: every indexed name's index shifted."""
    replaced = {}
    at = index.xreplace({s: context.names.symbol(s.name) for s in index.free_symbols})  # the reader's own t
    for symbol in value.free_symbols:
        parsed = _index_of(symbol.name)
        if symbol.name == variable.name:
            replaced[symbol] = at  # \sigma_t = t / T: the index itself
        elif parsed is not None and parsed[1].has(variable):
            replaced[symbol] = context.names.symbol(f"{parsed[0]}_{{{_index_text(parsed[1].subs(variable, index))}}}")
    return value.xreplace(replaced)


def _shiftable(value: sympy.Expr, variable: sympy.Symbol) -> bool:
    """A definition at index t that holds at t - 1 too as written: every name in it carries an index (or is
    the index), none is a quantity of its own (``ε`` in ``x_t = √ᾱ_t x_0 + √(1 - ᾱ_t) ε`` is one draw)."""
    return all(s.name == variable.name or _index_of(s.name) is not None for s in value.free_symbols)


def _recurrence(value: sympy.Expr, variable: sympy.Symbol):
    """(operation, term at index k) of ``\\prod_{i=1}^{t} a_i`` or ``\\sum_{i=1}^{t} a_i`` (the upper limit the
    definition's own index): the name at k is the one at k-1 times (plus) the term at k."""
    if isinstance(value, (sympy.Product, sympy.Sum)) and len(value.limits) == 1:
        dummy, low, high = value.limits[0]
        if getattr(high, "name", None) == variable.name and low.is_Integer:
            return ("product" if isinstance(value, sympy.Product) else "sum"), lambda k: value.function.subs(dummy, k)
    return None


def indexed_definitions(context) -> dict:
    r"""base -> (index variable, value, reading) of each name the document defines above at every index, once
    (``\alpha_t = 1 - \beta_t``; an update ``w_{k+1} = w_k - \eta g_k`` read as ``w_k = w_{k-1} - \eta g_{k-1}``)."""
    generic: dict = {}
    for name, readings in context.in_force.table.index(context).items():
        parsed = _index_of(name)
        above = [r for r in readings if r.definition.position < context.in_force.position and not r.parameters]
        if parsed is None or not above or len({sympy.srepr(r.value) for r in readings if not r.parameters}) != 1:
            continue  # no index, not above, or defined twice differently: no one meaning
        shift, variable = parsed[1].as_coeff_Add()  # w_{k+1}: (1, k)
        if isinstance(variable, sympy.Symbol) and shift.is_Integer and (shift == 0 or _is_update(parsed[0],
                                                                                              above[-1].value)):
            generic[parsed[0]] = (variable, _at_index(above[-1].value, variable, variable - shift, context), above[-1])
    return generic


def _is_update(base: str, value: sympy.Expr) -> bool:
    """``value`` writes ``base`` at a lower index: an update (a recurrence), whose other names are the same at every
    step (a step size, a data point)."""
    return any(_index_of(s.name) is not None and _index_of(s.name)[0] == base for s in value.free_symbols)


def with_names(left, right, context, check):
    """A step that differs as read, checked again with the names the document defines at every index above it
    (``\\alpha_t = 1 - \\beta_t``; ``\\bar\\alpha_t = \\prod_{i=1}^t \\alpha_i``, which makes ``\\bar\\alpha_t`` the
    one at t-1 times ``\\alpha_t``; ``\\tilde\\beta_t = …``), at any distance: (result, definitions used), the
    result None when none applies (``check(left, right)``: the ordinary check with these sides). The caller keeps a
    flag only when the step differs with them too."""
    in_force = context.in_force
    if in_force is None or not left.readable or not right.readable:
        return None, ""
    generic = indexed_definitions(context)
    starts = {name: readings[-1] for name, readings in in_force.table.index(context).items()  # x_0 = 0: one index
              if (parsed := _index_of(name)) and parsed[1].is_Integer and parsed[0] in generic and len(readings) == 1
              and readings[0].definition.position < in_force.position and not readings[0].parameters}
    if not generic:
        return None, ""
    used: list = []
    own = left.primary.expr if instance_of(left.primary.expr, context) == "instance" else None  # h_1: t = 1 in h_t's

    def rewrite(expr: sympy.Expr) -> sympy.Expr:
        for _ in range(_MAX_DEPTH):
            lowest: dict = {}
            for symbol in expr.free_symbols:
                parsed = _index_of(symbol.name)
                if parsed is not None and parsed[0] in generic:
                    lowest.setdefault(parsed[0], []).append(parsed[1])
            replaced = {}
            for symbol in expr.free_symbols:
                parsed = _index_of(symbol.name)
                if parsed is None or parsed[0] not in generic:
                    continue
                variable, value, reading = generic[parsed[0]]
                start = starts.get(symbol.name) if _is_update(parsed[0], value) else None
                if start is not None:  # m_0 = 0 above: where the update starts
                    replaced[symbol] = start.value
                    used.append(start) if start not in used else None
                    continue
                steps = _recurrence(value, variable)
                if steps is not None:  # down to the lowest index the step writes, one factor at a time
                    offsets = [parsed[1] - other for other in lowest[parsed[0]]]
                    if not any(o.is_Integer and o > 0 for o in offsets):
                        continue
                    kind, term = steps
                    below = context.names.symbol(f"{parsed[0]}_{{{_index_text(parsed[1] - 1)}}}")
                    replaced[symbol] = below * term(parsed[1]) if kind == "product" else below + term(parsed[1])
                elif parsed[1] == variable or _shiftable(value, variable) or symbol == own or (
                        parsed[1].is_Integer and parsed[1] > 0 and _is_update(parsed[0], value)):
                    replaced[symbol] = _at_index(value, variable, parsed[1], context)  # w_2 from w_1, then from w_0
                else:
                    continue  # x_t = √ᾱ_t x_0 + √(1 - ᾱ_t) ε: ε is not x_{t-1}'s noise
                if reading not in used:
                    used.append(reading)
            if not replaced:
                break
            expr = _family_names(expr.xreplace(replaced), context)
        return expr

    try:
        new_left, new_right = rewrite(left.primary.expr), rewrite(right.primary.expr)
    except Exception:
        return None, ""
    if not used:
        return None, ""
    result = check(new_left, new_right)
    written = left.primary.expr.free_symbols | right.primary.expr.free_symbols
    unset = sorted(s.name for s in (new_left.free_symbols | new_right.free_symbols) - written
                   if (parsed := _index_of(s.name)) and parsed[0] in generic and _is_update(parsed[0], generic[parsed[0]][1]))
    if unset and result.verdict == "disagrees":  # v_0 never set: the step may take it as 0, as lectures do
        result = dataclasses.replace(result, verdict="unchecked", reason=(
            f"differs with the document's update run, but the run needs {', '.join(unset)} where the iterates start, "
            "which the document does not set above: not flagged"))
    updates = [r for r in used if _is_update(_index_of(r.name)[0], r.value)]
    return result, "; ".join(f"{r.definition.left} = {r.definition.right} (line {r.definition.line}"
                             f"{', run from the iterate the step starts at' if r in updates else ''})" for r in _in_line_order(used))


def _in_line_order(readings: list) -> list:
    """The definitions a step used, in the order the document states them (statement, then clause): the order they
    were unfolded in follows a set's, which changes from one process to the next (str hashes)."""
    return sorted(readings, key=lambda r: r.definition.position)


def instance_of(expr, context) -> str:
    """What ``expr`` is when it writes, at a number, a name defined above at every index: ``"iterate"`` (``w_2``
    where an update ``w_{k+1} = …`` stands: what running the update computes), ``"instance"`` (``h_1`` where
    ``h_t = \tanh(W x_t + b)`` stands: the definition at t = 1), else ``""`` -- neither is a new name."""
    parsed = _index_of(getattr(expr, "name", ""))
    if context.in_force is None or parsed is None or not parsed[1].is_Integer:
        return ""
    found = indexed_definitions(context).get(parsed[0])
    if found is None:
        return ""
    if _is_update(parsed[0], found[2].value):
        return "iterate"
    return "" if expr in found[2].value.free_symbols else "instance"  # x_0 in x_t = √ᾱ_t x_0 + …: an input


def _family_names(expr: sympy.Expr, context) -> sympy.Expr:
    """``\\alpha_{•}(t)`` (a term of an indexed family at one index) as the name ``\\alpha_{t}`` the step writes."""
    def named(node):
        index = node.args[0]
        return context.names.symbol(node.func.__name__.replace("•", _index_text(index)))
    return expr.replace(lambda n: isinstance(n, AppliedUndef) and "•" in n.func.__name__ and len(n.args) == 1
                        and not n.args[0].free_symbols - {s for s in n.args[0].free_symbols if len(s.name) == 1},
                        named)
