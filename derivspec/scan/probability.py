r"""Densities the lecture does not specify: identities of probability calculus, judged on instances
and proved from the definitions (issue 24).

A statement such as ``p(z \mid x) = p(x \mid z) p(z) / p(x)``, ``p(x) = \sum_z p(x, z)`` or
``\log p(x) = \mathbb E_{q(z|x)}[\log p(x,z) - \log q(z|x)] + \mathrm{KL}(q(z|x) \| p(z|x))``
must hold for *every* distribution of the structure it names. Each letter (``p``, ``q``, ``P``,
``Q``, ``\pi``) is one joint distribution over the variables it is applied to; a parameter
subscript or a parameter after the bar names its own model (``p_\theta(x)`` and ``p(x | \theta)``
are one model, ``p`` another) unless the statement makes the parameter a variable
(``p(\theta | x)``); a subscript of random-variable letters names variables (``p_X(x)``):

* ``p(A | B) = p(A, B) / p(B)`` (definition of a conditional density), ``p(A)`` a marginal;
* ``\sum_v`` and ``\int \cdot\, dv`` over a variable of the densities run over its support (over several:
  ``\sum_{x,y}``, ``\sum_x \sum_y``, ``\iint \cdot\, dx\, dy``);
* ``\mathbb E_{q(z|x)}[f]`` is ``\sum_z q(z|x) f``, ``\mathbb E_{x \sim p}[f]`` is ``\sum_x p(x) f``;
* ``\mathrm{KL}(a \| b) = \sum a \log(a / b)`` over the variables before the bar.

**Instances** are random finite joint distributions with exact rational probabilities (supports of
two and three values, seeded); every quantity is then a number computed with mpmath at 50 digits.
Agreement on every instance is evidence (``holds on N instances``). **A proof** rewrites each
density through joint marginals ``M(S)`` (positive, as densities on their support) and applies
only theorems of probability: the definition of the conditional, linearity of a sum, the sum rule
``\sum_v M(S \cup v) = M(S)``; the statement is proved when the difference of the sides becomes 0.

**A flag** needs a counterexample under every admissible reading: the generic instances, and the
instances where the variables are independent (a factorisation the lecture may assume,
``p(x, z | \theta) = p(x | z, \theta) p(z)``); a relation between densities alone (no sum,
expectation or divergence) must also fail when all letters are one distribution
(``q(z|x) = p(z|x)`` is a condition, not an identity). The record names the instance.

Not read (returns None): a density of an expression (``p_Y(T(x))``), of a block of variables
(``x_{0:T}``, ``x_{1:T}``: its parts are not separate variables here), a sum over an index with
bounds (``\sum_{i=1}^N``), an undefined function of a summed variable, anything else opaque.
"""

from __future__ import annotations

import itertools
import random
import re
from dataclasses import dataclass, field, replace

import mpmath
import sympy
from sympy.core.function import AppliedUndef

from derivspec.scan import information, scope
from derivspec.scan.reader import application_parts, is_opaque_function, where_condition

DIGITS = 50
INSTANCES = 6  # generic instances; as many independent ones
AGREE = mpmath.mpf(10) ** -35  # |difference| below this on every instance: agreement at 50 digits
_BLOCK = re.compile(r":|\\ldots|\\dots|\\cdots|\.\.")


class Unread(Exception):
    """The expression leaves probability calculus (an opaque part of another kind)."""


@dataclass(frozen=True)
class Density:
    """``model(A | B)``: the model's key and the variables before and after the bar."""

    model: str
    before: tuple  # variable names
    after: tuple

    @property
    def variables(self) -> frozenset:
        return frozenset(self.before) | frozenset(self.after)


_PARAMETER_VARIABLES = [False]  # set by judge: a parameter before a bar (p(theta | x)) makes them variables
_DIFFERENTIATED = [frozenset()]  # set by judge: names after a bar the statement differentiates by (q(z | λ), ∂/∂λ)


def _is_parameter(name: str) -> bool:
    """A model's parameter: a conventional parameter name, or a name after a bar that the statement differentiates
    by and never puts before one (``\\partial_\\lambda \\mathbb{E}_{q(z|\\lambda)}[…]``: finite instances have no
    derivative in a variable, so a differentiated condition is the model's parameter)."""
    return name in information.PARAMETERS or name in _DIFFERENTIATED[0]


def _differentiated_by(*exprs) -> set:
    """The names the expressions differentiate by."""
    return {v.name for e in exprs for n in sympy.preorder_traversal(e) if isinstance(n, sympy.Derivative)
            for v in n.variables}


def _differentiated_conditions(*exprs) -> frozenset:
    """The names after a bar the expressions differentiate by, never before a bar."""
    by = _differentiated_by(*exprs)
    if not by:  # nothing differentiated: no law to read
        return frozenset()
    before, after, conditions = set(), set(), {}
    for node in (n for e in exprs for n in sympy.preorder_traversal(e)):
        if is_opaque_function(node) and not isinstance(node, sympy.Symbol):
            found = density(node)
            if found is None:  # E_{q(z|λ)}[…]: the law is in the head
                law = _operator(node)
                found = law[1] if law is not None else None
            if found is not None:
                before |= set(found.before)
                after |= set(found.after)
                if len(found.after) == 1:  # q(z | λ): the one name after the bar
                    conditions.setdefault(found.model.partition("_")[0], set()).update(found.after)
    differentiated = by & after - before
    # q(z | λ) beside q(z | λ') with λ' differentiated: one family at two parameters, λ is a parameter too
    family = {n for names in conditions.values() if names & differentiated for n in names}
    return frozenset((differentiated | family) - before)


def density(expr) -> Density | None:
    """The density an opaque application names, or None (``p[|](x, z)`` is p(x | z)). A parameter
    after the bar names the model (``p(x | \\theta)`` is ``p_\\theta(x)``) unless the statement
    makes it a random variable (``p(\\theta | x)``)."""
    if not is_opaque_function(expr) or isinstance(expr, sympy.Symbol):
        return None
    head, seps, square = application_parts(expr.func.__name__)
    if not all(isinstance(a, sympy.Symbol) for a in expr.args) or set(seps) - {",", "|"} or seps.count("|") > 1:
        return None
    if len(expr.args) == 1 and not seps and not square and _PROBABILITY.match(head):
        events = _events_of_values(expr.args[0].name)
        if events is not None:  # \mathbb{P}(\{X=x, Y=y\}), \mathbb{P}(\{X=x | Y=y\}): inside the event's braces
            return Density(_model("P"), *events)
    values = [_value_event(a.name) for a in expr.args]
    events = all(values) and (_PROBABILITY.match(head) or scope.is_density(head))
    if square or not (scope.is_density(head) or events):
        return None
    names = [variable_name(a.name) for a in expr.args] if not events else values
    head = "P" if events and _PROBABILITY.match(head) else head
    if any(_BLOCK.search(n) or n.startswith("⟦") for n in names):
        return None
    bar = seps.index("|") + 1 if "|" in seps else len(names)
    before, after = names[:bar], names[bar:]
    params = [] if _PARAMETER_VARIABLES[0] else [n for n in after if _is_parameter(n)]
    after = [n for n in after if n not in params]
    if (any(n in information.PARAMETERS for n in before) and not _PARAMETER_VARIABLES[0]) or \
            len(set(before) | set(after)) != len(before) + len(after):
        return None
    return Density(_model(head, params), tuple(before), tuple(after))


_PROBABILITY = re.compile(r"^(?:\\mathbb\{P\}|\\Pr|\\mathrm\{P\}|\\operatorname\{P\}|P)$")
_EVENT = re.compile(r"^⟦\s*(?:\\\{)?\s*(.+?)\s*=\s*(.+?)\s*(?:\\\})?\s*⟧$")


def _value_event(name: str) -> str | None:
    r"""The variable of an event that a random variable takes its value: ``X = x``, ``\{Y=y\}``, ``X_5 = x_5`` --
    P(X = x) is the mass function of X at x (one variable, written in either case); None for any other event."""
    m = _EVENT.match(name)
    if not m:
        return None
    a, b = (variable_name(re.sub(r"_([A-Za-z0-9])", r"_{\1}", re.sub(r"\s+", "", g))) for g in m.groups())
    return a if a == b and re.fullmatch(r"(?:\\[A-Za-z]+|[A-Za-z])(?:_\{?[A-Za-z0-9]+\}?)?", a) else None


_EVENTS = re.compile(r"^⟦\s*(?:\\\{)?\s*([^|{}]+?)\s*(?:(?:\||\\mid)\s*([^|{}]+?))?\s*(?:\\\})?\s*⟧$")


def _events_of_values(name: str) -> tuple | None:
    r"""``\{X=x, Y=y\}`` and ``\{X=x | Y=y\}`` (several values, or a conditional, inside one event's braces): the
    variables before and after the bar, else None (a single value is :func:`_value_event`'s)."""
    m = _EVENTS.match(name)
    if not m or ("," not in m.group(1) and m.group(2) is None):
        return None
    parts = [[_value_event("⟦" + part + "⟧") for part in group.split(",")] for group in m.groups() if group]
    found = [v for group in parts for v in group]
    if not all(found) or len(set(found)) != len(found):
        return None
    return tuple(parts[0]), tuple(parts[1]) if len(parts) > 1 else ()


def variable_name(name: str) -> str:
    """A random variable and its value are one variable: ``Y`` and ``y``, ``\\mathbf{X}`` and
    ``\\mathbf{x}`` (the base letter only: ``x_T`` and ``x_t`` stay two)."""
    return re.sub(r"^((?:\\(?:mathbf|boldsymbol|bm)\s*\{\s*)?)([A-Z])", lambda m: m.group(1) + m.group(2).lower(), name)


def _model(head: str, params=()) -> str:
    """The model a density belongs to: p and P are one, p_\\theta and p(. | \\theta) one, p and
    p_\\theta two (a model and another distribution), p_{data} and p_{model} two."""
    normal = information._normal(head)
    letter, _, sub = normal.partition("_")
    sub = sub.strip("{}")
    if re.fullmatch(r"[a-z](?:,[a-z])*", sub) and head.partition("_")[2].strip("{} ").upper() == head.partition("_")[2].strip("{} "):
        sub = ""  # p_X(x), p_{X,Y}(x, y): the subscript names the random variables, not another distribution
    subs = [sub] if sub else []
    subs += [information._normal(p) for p in params]
    return letter.lower() + ("_" + ",".join(subs) if subs else "")


def _parameters_are_variables(*exprs) -> bool:
    """Some density of the statement has a parameter before its bar (a Bayesian posterior p(θ | x))."""
    for expr in exprs:
        for node in sympy.preorder_traversal(expr):
            if is_opaque_function(node) and not isinstance(node, sympy.Symbol):
                head, seps, square = application_parts(node.func.__name__)
                bar = seps.index("|") + 1 if "|" in seps else len(node.args)
                if scope.is_density(head) and any(
                        isinstance(a, sympy.Symbol) and a.name in information.PARAMETERS for a in node.args[:bar]):
                    return True
    return False


# --- the sides as densities, sums and expectations ------------------------------------------

def densities_in(expr) -> list[Density]:
    """Every density the expression uses (in sums, expectations and divergences too); Unread when
    it uses something this module does not read."""
    found: list[Density] = []
    _walk(expr, found)
    return found


def _walk(expr, found: list) -> None:
    d = density(expr)
    if d is not None:
        found.append(d)
        return
    if isinstance(expr, sympy.Symbol):
        if expr.name.startswith(("⟦", "⟪", "⟨")):
            raise Unread(expr.name)
        return
    if isinstance(expr, (sympy.Sum, sympy.Integral)):
        _summed(expr)
        found.extend(_conditions(expr).values())
        _walk(expr.function, found)
        return
    if isinstance(expr, sympy.Derivative):  # \nabla_x of densities: read by the proof only (no instances)
        if not all(isinstance(v, sympy.Symbol) for v in expr.variables):
            raise Unread("a derivative in something other than a variable")
        _walk(expr.expr, found)
        return
    if isinstance(expr, AppliedUndef) and expr.func.__name__ == "⟦d⟧" and len(expr.args) == 2:
        _walk(expr.args[0], found)  # the reader's mark that a derivative in a parameter acts on this
        return
    if is_opaque_function(expr) and _plain_function(expr):  # never an operator: no separator, no bracket
        _FUNCTIONS[0].add(expr.func.__name__)
        return
    if is_opaque_function(expr):
        kind = _operator(expr)
        if kind is None:
            raise Unread(str(expr.func))
        name, weight, body = kind
        found.append(weight)
        for part in body:
            _walk(part, found)
        return
    if expr.is_Atom:
        return
    if not isinstance(expr, (sympy.Add, sympy.Mul, sympy.Pow, sympy.log, sympy.exp)):
        raise Unread(type(expr).__name__)
    for arg in expr.args:
        _walk(arg, found)


def _summed(expr) -> tuple:
    """The variables a sum or an integral runs over, each over its whole support, or Unread:
    ``\\sum_x \\sum_y`` and ``\\iint \\cdot\\, dx\\, dy`` (one SymPy object of several limits) and
    ``\\sum_{x,y}`` (the reader keeps y in its range: ``(x, 1, ⟦range x,y⟧)``) run over x and y."""
    found: list = []
    for limit in expr.limits:
        variable = variable_name(limit[0].name)
        if isinstance(expr, sympy.Integral):
            if len(limit) != 1 and not (len(limit) == 3 and limit[1] == -sympy.oo and limit[2] == sympy.oo):
                raise Unread("an integral with bounds")
            found.append(variable)
            continue
        if len(limit) == 3 and where_condition(limit[2]) is not None:
            support_condition(variable, where_condition(limit[2]))  # Unread unless p(x) > 0
            found.append(variable)
            continue
        if not (len(limit) == 3 and isinstance(limit[2], sympy.Symbol) and limit[2].name.startswith("⟦range")):
            raise Unread("a sum with bounds")
        over = [part.strip() for part in limit[2].name[len("⟦range"):-1].split(",")]
        if len(over) == 1:
            found.append(variable)
            continue
        if not all(re.fullmatch(r"[A-Za-z]", part) for part in over) or variable_name(over[0]) != variable:
            raise Unread("a sum over several names not read")
        found.extend(variable_name(part) for part in over)
    if len(set(found)) != len(found):
        raise Unread("a variable summed twice")
    return tuple(found)


_SUPPORT = re.compile(r"^(?P<v>.+?)\s*(?::|\\mid|\|)\s*(?P<d>.+?)\s*(?:>|\\neq?(?![A-Za-z])|\\not\s*=)\s*0$")


def support_condition(variable: str, condition: str) -> Density:
    r"""The density whose support a sum's index is restricted to: ``x: p(x) > 0`` (or ``\neq 0``) is
    p(x) for the index x; Unread for any other condition (``i \ne j``, ``x \in A``): it is not
    represented here."""
    from derivspec.scan.reader import DocumentNames, read_document

    text = re.sub(r"\\[,;:! ]|\\quad|\\qquad", " ", condition).strip()
    m = _SUPPORT.match(text)
    try:
        found = density(read_document(m.group("d"), DocumentNames()).expr) if m else None
    except Exception:
        found = None
    if found is None or found.after or found.before != (variable,) or \
            variable_name(m.group("v").strip()) != variable:
        raise Unread(f"a sum over a condition ('{condition}') not represented")
    return found


def _conditions(expr) -> dict:
    """Variable -> the density a sum's condition restricts it to the support of (``\\sum_{x: p(x) > 0}``)."""
    if not isinstance(expr, sympy.Sum):
        return {}
    out = {}
    for limit in expr.limits:
        condition = where_condition(limit[2]) if len(limit) == 3 else None
        if condition is not None:
            variable = variable_name(limit[0].name)
            out[variable] = support_condition(variable, condition)
    return out


def _operator(expr):
    """(kind, weight density, [body]) of an expectation or a KL divergence, or None."""
    head, seps, square = application_parts(expr.func.__name__)
    if square and not seps and len(expr.args) == 1:
        if _PLAIN_E.match(head) and _PLAIN_LAW[0] is not None:
            return ("E", _PLAIN_LAW[0], [expr.args[0]])  # the reading judge tries: one law of the statement
        weight = _expectation_weight(head, expr.args[0])
        return None if weight is None else ("E", weight, [expr.args[0]])
    if square and seps == "|" and len(expr.args) == 2 and _PLAIN_E.match(head):
        law = _conditional_law(expr.args[0], expr.args[1])
        return None if law is None else ("E", law, [expr.args[0]])
    if information._KL.match(head.replace(" ", "")) and seps == "‖" and len(expr.args) == 2:
        a, b = density(expr.args[0]), density(expr.args[1])
        if a is None or b is None or a.before != b.before:
            return None  # KL(q(z|x) || p(z)): over the same variables; each may condition on its own
        return ("KL", a, [expr.args[1]])
    return None


_E_HEAD = r"(?:\\mathbb\{E\}|E|\\mathrm\{E\}|\\mathbf\{E\}|\\operatorname\{E\})"  # an expectation's head, as the reader writes it


def _body_variables(body) -> set:
    """The variables an expectation's body uses: not a reader's bound (⟦…⟧), not a parameter."""
    return {variable_name(v.name) for v in body.free_symbols
            if not v.name.startswith("⟦") and not _is_parameter(variable_name(v.name))}


def _expectation_weight(head: str, body=None) -> Density | None:
    r"""The density an expectation's subscript names: ``E_{q(z|x)}``, ``E_{z \sim q(z|x)}``,
    ``E_{x \sim p}`` (a name: the density of that variable), ``E_{p_\theta}[r(x)]`` (a name, and the
    body's one variable)."""
    from derivspec.scan.reader import DocumentNames, read_document

    m = re.match(r"^" + _E_HEAD + r"_(?:\{(.*)\}|(.))$", head)
    if not m:
        return None
    sub = (m.group(1) if m.group(1) is not None else m.group(2)).strip()
    variable = None
    if r"\sim" in sub:
        left, sub = (s.strip() for s in sub.split(r"\sim", 1))
        if not re.fullmatch(r"[A-Za-z]", left):
            return None
        variable = variable_name(left)
    if "(" not in sub:
        applied = {d for d in _APPLIED_LAWS[0] if d.model == _model(sub)}
        if variable is None and len(applied) == 1 and scope.is_density(sub):
            return applied.pop()  # E_{q_\phi}[…] beside q_\phi(z | x): the law the statement applies
        if variable is None and body is not None:
            inside = _body_variables(body)
            variable = inside.pop() if len(inside) == 1 else None
        if variable is None or not scope.is_density(sub):
            return None
        return Density(_model(sub), (variable,), ())
    try:
        found = density(read_document(sub, DocumentNames()).expr)
    except Exception:
        return None
    if found is None or (variable is not None and found.before != (variable,)):
        return None
    return found


def _conditional_law(body, given) -> Density | None:
    r"""The law of ``\mathbb{E}(\phi(X) | Y = y)``: the statement's one model of the body's one variable given
    the event's variable (p(x | y)); None when the statement has several models or the body several variables."""
    conditioned = _value_event(getattr(given, "name", ""))
    inside = _body_variables(body)
    models = {d.model for d in _APPLIED_LAWS[0]} or {"p"}  # none written: the joint law of the random variables
    if conditioned is None or len(inside) != 1 or len(models) != 1 or conditioned in inside:
        return None
    return Density(models.pop(), tuple(inside), (conditioned,))


_PLAIN_E = re.compile(r"^" + _E_HEAD + r"$")
_VAR_HEAD = re.compile(r"^(?:\\mathrm\{Var\}|\\operatorname\{Var\}|\\text\{Var\}|Var|\\mathbb\{V\})$")
_RANDOM_VARIABLE = re.compile(r"^(?:\\(?:mathbf|boldsymbol|bm)\{)?[A-Z](?:_\{?[A-Za-z0-9]+\}?)?\}?$")


def _given_a_variable(node, operators: bool = True):
    """V where ``node`` is ``F[|](g, V)`` conditioned on a random variable V (not on an event V = v), F an expectation
    or a variance (any head with ``operators=False``); else None."""
    if not isinstance(node, AppliedUndef):
        return None
    head, seps, _ = application_parts(node.func.__name__)
    if seps == "|" and len(node.args) == 2 and isinstance(node.args[1], sympy.Symbol) and \
            _RANDOM_VARIABLE.match(node.args[1].name) and (not operators or _PLAIN_E.match(head) or _VAR_HEAD.match(head)):
        return node.args[1]
    return None


def over_the_conditioning_variable(expr, variances: bool = False):
    r"""``E[h(E[g | V])]``, ``Var(E[g | V])``, ``E[Var(g | V)]``: a quantity conditioned on a random variable V
    (not on an event V = v) inside an outer expectation is a function of V, and the outer expectation is the sum
    over V's values of its value at each, weighted by their probabilities: ``\sum_v h(E[g | V = v]) P(V = v)``
    (the definition of E over V's law; the tower property and the law of total variance follow). A conditional
    variance is ``E[g^2 | V] - E[g | V]^2``, an outer variance ``E[h^2] - E[h]^2``. Left as it is where the outer
    argument also uses another random variable outside the conditionals. ``variances``: every plain variance is
    written so too (the other side conditions on a variable: ``Var(X) = E[Var(X | Y)] + Var(E[X | Y])``)."""
    if not isinstance(expr, sympy.Basic) or not expr.has(AppliedUndef):
        return expr

    def parts(node):
        return application_parts(node.func.__name__) if isinstance(node, AppliedUndef) else ("", "", False)

    def walk(node):
        if not isinstance(node, sympy.Basic) or not node.args:
            return node
        node = node.func(*(walk(a) for a in node.args)) if isinstance(node, (sympy.Add, sympy.Mul, sympy.Pow,
                                                                                 AppliedUndef)) else node
        head, seps, square = parts(node)
        if not isinstance(node, AppliedUndef) or seps or len(node.args) != 1:
            return node
        argument = node.args[0]
        inner = [n for n in sympy.preorder_traversal(argument) if _given_a_variable(n) is not None]
        variables = {_given_a_variable(n) for n in inner}
        if not variables and variances and _VAR_HEAD.match(head) and not square:
            outer = sympy.Function(r"\mathbb{E}⟮⟯")
            return outer(sympy.expand(argument ** 2)) - outer(argument) ** 2
        if len(variables) != 1:
            return node
        variable = variables.pop()
        e_head = next((h for h, _, sq in (parts(n) for n in inner) if _PLAIN_E.match(h)),
                      head if _PLAIN_E.match(head) else r"\mathbb{E}")
        given = sympy.Function(f"{e_head}[|]⟮⟯")

        def expanded(n):  # Var(g | V) = E[g^2 | V] - E[g | V]^2
            h, _, _ = parts(n)
            return given(sympy.expand(n.args[0] ** 2), n.args[1]) - given(n.args[0], n.args[1]) ** 2 \
                if _VAR_HEAD.match(h) else n
        argument = argument.xreplace({n: expanded(n) for n in inner})
        if _VAR_HEAD.match(head):  # Var(h(V)) = E[h^2] - E[h]^2
            outer = sympy.Function(f"{e_head}⟮⟯")
            return walk(outer(sympy.expand(argument ** 2))) - walk(outer(argument)) ** 2
        if not _PLAIN_E.match(head):
            return node
        placeholders = {n: sympy.Dummy() for n in sympy.preorder_traversal(argument) if _given_a_variable(n) is not None}
        outside = {v for v in argument.xreplace(placeholders).free_symbols
                   if isinstance(v, sympy.Symbol) and _RANDOM_VARIABLE.match(v.name)}
        if outside - {variable}:
            return node
        letter = variable.name.lower() if len(variable.name) == 1 else None
        if letter is None:
            return node
        value = sympy.Symbol(letter, integer=True, positive=True)
        event = sympy.Symbol(f"⟦{variable.name}={letter}⟧", real=True)
        at_value = argument.xreplace({n: n.func(n.args[0], event) for n in placeholders}).xreplace({variable: value})
        probability = sympy.Function(r"\mathbb{P}")
        return sympy.Sum(at_value * probability(event), (value, 1, sympy.Symbol(f"⟦range {letter}⟧", real=True)))

    try:
        return walk(expr)
    except Exception:  # noqa: BLE001 -- a form the rewrite cannot take stays as written
        return expr
_APPLIED_LAWS: list = [frozenset()]  # the densities the statement applies (the law of E_{q}[…] by its name)
_PLAIN_LAW: list = [None]  # the law judge reads a plain E[...] under, one reading at a time
_FUNCTIONS: list = [set()]  # the undefined functions of variables the statement applies (r(x))


def _plain_function(expr) -> bool:
    """``r(x)``, ``f(x, z)``: a name the document leaves undefined, applied to variables -- not a density, not an
    operator (no bracket or separator in its head), not an expectation."""
    head, seps, square = application_parts(expr.func.__name__)
    return (not seps and not square and not _PLAIN_E.match(head) and not scope.is_density(head)
            and bool(expr.args) and all(isinstance(a, sympy.Symbol) and not a.name.startswith("⟦") for a in expr.args))


def _function_value(head: str, args: list, label: str) -> mpmath.mpf:
    """An undefined function's value on an instance: a seeded random rational per argument tuple (a table:
    the identity must hold for every function)."""
    rng = random.Random(f"{head}|{'|'.join(mpmath.nstr(a, 20) for a in args)}|{label}")
    return mpmath.mpf(rng.randint(-30, 30)) / 7


def _plain_expectations(expr) -> list:
    r"""The expectations of ``expr`` that name no law: ``\mathbb{E}[…]`` (one argument, no separator)."""
    def plain(node) -> bool:
        head, seps, square = application_parts(node.func.__name__)
        return square and not seps and bool(_PLAIN_E.match(head))

    return [n for n in sympy.preorder_traversal(expr)
            if is_opaque_function(n) and not isinstance(n, sympy.Symbol) and plain(n)]


class _OneModelMarginal(Density):
    """The law of a plain ``E[g(X)]`` in a statement with one model and no density of X: X's marginal under that
    model (the joint law of the statement's random variables), the one law E[…] can be under."""


def _plain_law_readings(left, right) -> list:
    """The laws a plain ``E[…]`` may be under: each density of the statement whose variables (before the bar)
    the expectation's body uses and the statement leaves free nowhere outside an operator."""
    bodies = _plain_expectations(left) + _plain_expectations(right)
    used = set().union(*({variable_name(v.name) for v in b.args[0].free_symbols} for b in bodies))
    found = []
    _PLAIN_LAW[0] = Density("⟦any⟧", (), ())
    applied, _APPLIED_LAWS[0] = _APPLIED_LAWS[0], frozenset(filter(None, (density(n) for side in (left, right)
                                                                      for n in sympy.preorder_traversal(side))))
    try:
        free = set()
        for side in (left, right):
            outside = side.xreplace({b: sympy.Integer(1) for b in _plain_expectations(side)})
            free |= _free_variables(outside, {variable_name(v.name) for v in side.free_symbols})
        models = set()
        for side in (left, right):
            for d in densities_in(side):
                models.add(d.model)
                if d.model != "⟦any⟧" and d not in found and set(d.before) <= used and not set(d.before) & free \
                        and set(d.after) <= free | used:  # p(x | y) with y summed elsewhere: no law of a plain E
                    found.append(d)
        capitals = {v.name for b in bodies for v in b.args[0].free_symbols if re.fullmatch(r"[A-Z](?:_\{?\w+\}?)?", v.name)}
        models.discard("⟦any⟧")
        if not found and len(models) == 1 and used and {variable_name(c) for c in capitals} == used and not used & free:
            found.append(_OneModelMarginal(models.pop(), tuple(sorted(used)), ()))  # E[g(X)] beside P(Y = y)
    except Unread:
        return []
    finally:
        _PLAIN_LAW[0], _APPLIED_LAWS[0] = None, applied
    return found


# --- instances -----------------------------------------------------------------------------

@dataclass
class Instance:
    """Joint tables per model over the statement's variables, values of the free variables."""

    supports: dict  # variable -> list of values
    tables: dict  # model -> {assignment tuple (sorted variables): Fraction-like Rational}
    order: tuple  # the variables, sorted
    free: dict  # variable -> value
    label: str
    slopes: dict = field(default_factory=dict)  # model -> {parameter: {cell: integer slope}} (a model p_θ)
    moved: dict = field(default_factory=dict)  # parameter -> how far from the instance's value (a derivative)

    def marginal(self, model: str, fixed: dict) -> sympy.Rational:
        table = self.tables[model]
        shifts = {p: t for p, t in self.moved.items() if t and p in self.slopes.get(model, {})}
        if shifts:  # p_θ at θ + t: the table times exp(Σ slope·t), renormalised -- a smooth function of θ
            weights = {key: _rational(p) * mpmath.exp(mpmath.fsum(self.slopes[model][q][key] * t
                                                                  for q, t in shifts.items()))
                       for key, p in table.items()}
            total = mpmath.fsum(weights.values())
            table = {key: w / total for key, w in weights.items()}
        index = [self.order.index(v) for v in fixed]
        wanted = tuple(fixed.values())
        cells = [p for key, p in table.items() if tuple(key[i] for i in index) == wanted]
        return mpmath.fsum(cells) if shifts else sum(cells, sympy.Integer(0))

    def density(self, d: Density, values: dict) -> sympy.Rational:
        joint = self.marginal(d.model, {v: values[v] for v in d.before + d.after})
        if not d.after:
            return joint
        return joint / self.marginal(d.model, {v: values[v] for v in d.after})

    def describe(self) -> str:
        parts = [f"{self.label}: " + ", ".join(f"{v} in {{{', '.join(map(str, s))}}}" for v, s in self.supports.items())]
        for model, table in self.tables.items():
            cells = ", ".join(f"{model}({', '.join(f'{v}={k[i]}' for i, v in enumerate(self.order))})={p}"
                              for k, p in list(table.items())[:8])
            parts.append(cells + (" ..." if len(table) > 8 else ""))
        for model, by_parameter in self.slopes.items():
            for parameter, slopes in by_parameter.items():  # how the table moves with the parameter (derivatives)
                parts.append(f"{model} at {parameter} + t: each cell times exp(slope t), renormalised, slopes "
                             + ", ".join(f"{'/'.join(map(str, c))}: {k}" for c, k in list(slopes.items())[:8]))
        if self.free:
            parts.append("at " + ", ".join(f"{v}={x}" for v, x in self.free.items()))
        return "; ".join(parts)


@dataclass(frozen=True)
class Factorisation:
    """A joint law the document states as a product of conditionals, ``p(a, b, c) = p(a) p(b | a) p(c | b)``: each
    factor's variables are new and its conditions come before it (a Bayes network)."""

    joint: Density
    factors: tuple  # Densities, in an order where each factor is given only earlier variables
    line: int

    def table(self, order: tuple, supports: dict, rng: random.Random) -> dict:
        """Weights over ``order``'s cells: a random table per factor and condition, multiplied, summed over the
        joint's other variables (two values each)."""
        spaces = {v: supports.get(v, [0, 1]) for v in self.joint.before}
        tables = {}  # (factor, its condition's values) -> {its variables' values: probability}
        for f in self.factors:
            for given in itertools.product(*(spaces[v] for v in f.after)):
                drawn = {value: rng.randint(1, 9) for value in itertools.product(*(spaces[v] for v in f.before))}
                tables[f, given] = {value: sympy.Rational(w, sum(drawn.values())) for value, w in drawn.items()}
        weights = dict.fromkeys(itertools.product(*(supports[v] for v in order)), sympy.Integer(0))
        for cell in itertools.product(*(spaces[v] for v in self.joint.before)):
            at = dict(zip(self.joint.before, cell))
            weights[tuple(at[v] for v in order)] += sympy.Mul(*[
                tables[f, tuple(at[v] for v in f.after)][tuple(at[v] for v in f.before)] for f in self.factors])
        return weights


def factorisation(joint, product, line: int) -> Factorisation | None:
    """The factorisation ``joint = product`` states, read as densities (a joint without a bar; a product of densities
    of its model whose variables before the bars partition the joint's, each given only variables of earlier
    factors), or None."""
    whole = density(joint)
    if whole is None or whole.after or len(whole.before) < 2 or not isinstance(product, sympy.Mul):
        return None
    factors = [density(f) for f in product.args]
    if any(f is None or f.model != whole.model for f in factors) or \
            sorted(v for f in factors for v in f.before) != sorted(whole.before):
        return None
    ordered, seen = [], set()
    while len(ordered) < len(factors):
        ready = [f for f in factors if f not in ordered and set(f.after) <= seen]
        if not ready:
            return None  # a condition on a later variable (or on one outside the joint): not a chain of conditionals
        ordered.append(ready[0])
        seen |= set(ready[0].before)
    return Factorisation(whole, tuple(ordered), line)


def instances(models: list[str], variables: list[str], free: list[str], seed: int, *, independent: bool,
              merged: bool, same: dict | None = None, zeros: dict | None = None, factorised=None) -> list[Instance]:
    """``same``: model -> the model whose table it shares (p_θ read as p); ``zeros``: model -> a variable
    whose first value the model gives probability 0 (outside its support: a sum restricted to the
    support then leaves it out, where another distribution may still put mass)."""
    rng = random.Random(seed)
    out = []
    order = tuple(sorted(variables))
    for n in range(INSTANCES):
        supports = {v: list(range(2 + (n + i) % 2 * (n > 0))) for i, v in enumerate(order)}  # the first: two values each
        tables = {}
        shared = None
        for model in models:
            if merged and shared is not None:
                tables[model] = shared
                continue
            cells = list(itertools.product(*(supports[v] for v in order)))
            if factorised is not None:
                weights = factorised.table(order, supports, rng)
            elif independent:
                factors = {v: [sympy.Integer(rng.randint(1, 9)) for _ in supports[v]] for v in order}
                weights = {c: sympy.Mul(*[factors[v][c[i]] for i, v in enumerate(order)]) for c in cells}
            else:
                weights = {c: sympy.Integer(rng.randint(1, 30)) for c in cells}
            if zeros and model in zeros:
                at = order.index(zeros[model])
                weights = {c: (sympy.Integer(0) if c[at] == 0 else w) for c, w in weights.items()}
            total = sum(weights.values())
            tables[model] = shared = {c: w / total for c, w in weights.items()}
        for model, other in (same or {}).items():
            tables[model] = tables[other]
        values = {v: rng.choice(supports[v]) for v in free}
        label = ("independent " if independent else "") + ("one distribution for every letter" if merged else "instance")
        outside = " (" + ", ".join(f"{m}({v}=0) = 0" for m, v in sorted(zeros.items())) + ")" if zeros else ""
        slopes = {model: {p.name: {c: rng.randint(-3, 3) for c in tables[model]} for p in _model_parameters(model)}
                  for model in models if _model_parameters(model)}
        out.append(Instance(supports, tables, order, values, f"{label} {n + 1}{outside}", slopes))
    return out


def evaluate(expr, instance: Instance, values: dict, plain: dict) -> mpmath.mpf:
    """The value of ``expr`` on the instance (variables at ``values``, other names at ``plain``). A derivative in a
    model's parameter is taken numerically (at the working precision) on the instance's smooth tables."""
    d = density(expr)
    if d is not None:
        return _rational(instance.density(d, values))
    if isinstance(expr, sympy.Derivative):
        (variable, order), = expr.variable_count
        if not any(variable.name in slopes for slopes in instance.slopes.values()):
            raise Unread("a derivative in something that is not a model's parameter")

        def moved(t):
            at = replace(instance, moved={**instance.moved, variable.name: t})
            shifted = {**plain, variable.name: plain[variable.name] + t} if variable.name in plain else plain
            return evaluate(expr.expr, at, values, shifted)

        return mpmath.diff(moved, 0, order)
    if isinstance(expr, AppliedUndef) and expr.func.__name__ == "⟦d⟧" and len(expr.args) == 2:
        return evaluate(expr.args[0], instance, values, plain)  # the reader's mark around what a derivative acts on
    if isinstance(expr, sympy.Symbol):
        name = variable_name(expr.name)
        return mpmath.mpf(values[name]) if name in values else plain[name]
    if isinstance(expr, (sympy.Sum, sympy.Integral)):
        summed = _summed(expr)
        if set(summed) - set(instance.supports):
            raise Unread("a sum over a variable no density uses")
        conditions = _conditions(expr) if isinstance(expr, sympy.Sum) else {}
        total = []
        for xs in itertools.product(*(instance.supports[v] for v in summed)):
            point = {**values, **dict(zip(summed, xs))}
            if all(instance.density(d, point) > 0 for d in conditions.values()):
                total.append(evaluate(expr.function, instance, point, plain))
        return mpmath.fsum(total)
    if is_opaque_function(expr) and _plain_function(expr):
        return _function_value(expr.func.__name__, [evaluate(a, instance, values, plain) for a in expr.args],
                               instance.label)
    if is_opaque_function(expr):
        kind, weight, body = _operator(expr)
        if kind == "E":
            total = mpmath.mpf(0)
            for xs in itertools.product(*(instance.supports[v] for v in weight.before)):
                point = {**values, **dict(zip(weight.before, xs))}
                total += _rational(instance.density(weight, point)) * evaluate(body[0], instance, point, plain)
            return total
        other = density(body[0])
        total = mpmath.mpf(0)
        for xs in itertools.product(*(instance.supports[v] for v in weight.before)):
            point = {**values, **dict(zip(weight.before, xs))}
            a = _rational(instance.density(weight, point))
            b = _rational(instance.density(other, point))
            total += a * mpmath.log(a / b)
        return total
    if expr.is_Rational:
        return _rational(expr)
    if expr.is_number and not expr.has(sympy.Integral, sympy.Sum, sympy.core.function.AppliedUndef):
        return mpmath.mpf(str(sympy.N(expr, DIGITS + 5)))
    args = [evaluate(a, instance, values, plain) for a in expr.args]
    if isinstance(expr, sympy.Add):
        return mpmath.fsum(args)
    if isinstance(expr, sympy.Mul):
        return mpmath.fprod(args)
    if isinstance(expr, sympy.Pow):
        return args[0] ** args[1]
    if isinstance(expr, sympy.log):
        return mpmath.log(args[0]) if len(args) == 1 else mpmath.log(args[0]) / mpmath.log(args[1])
    if isinstance(expr, sympy.exp):
        return mpmath.exp(args[0])
    raise Unread(type(expr).__name__)


def _members_at_two_parameters(models: list, differentiated: set) -> dict:
    """``p(x | θ)`` and ``p(x | θ')`` with θ' differentiated: one family at two parameters. Its instances are two
    unrelated tables; read at θ' = θ, the differentiated member shares the other's table (its own slopes keep the
    derivative on it alone): {p_θ': p_θ}, empty when the statement has no such pair."""
    pairs = {}
    for model in models:
        letter, _, parameters = model.partition("_")
        if differentiated & set(parameters.split(",")):
            others = [m for m in models if m != model and m.partition("_")[0] == letter]
            if others:
                pairs[model] = others[0]
    return pairs


def _rational(r) -> mpmath.mpf:
    if isinstance(r, mpmath.mpf):
        return r
    r = sympy.Rational(r)
    return mpmath.mpf(int(r.p)) / int(r.q)


# --- the judgement -------------------------------------------------------------------------

@dataclass
class Judgement:
    verdict: str  # proved | disagrees | unchecked
    reason: str
    evidence: str = ""


def judge(left, right, seed: int = 0, declared: frozenset = frozenset(), relation: str = "=",
          general: bool = False, stated: tuple = ()) -> Judgement | None:
    """``left = right`` judged as probability calculus; None when the sides are not read as such.
    ``declared``: variables the document gives a family (z ~ N(0, I)): a statement about them that
    fails for general distributions may hold for the family, so it is not flagged. ``general``: the
    statement is a definition for every distribution (a standard quantity's, :mod:`derivspec.scan.conventions`),
    so independent variables are not a reading that excuses a difference (the mutual information and its
    negative are both 0 there). ``stated``: the
    factorisations the document states above, (joint, product, line) as read (``p(a, b, c) = p(a) p(b | a) p(c | b)``):
    the model of a statement about those variables (:func:`factorisation`)."""
    if scope.current() is None:  # a statement read alone: the densities its own sides condition
        with scope.densities(scope.from_expressions(left, right)):
            return judge(left, right, seed, declared, relation, general, stated)
    conditioned = any(_given_a_variable(n, operators=False) is not None
                      for side in (left, right) if isinstance(side, sympy.Basic) for n in sympy.preorder_traversal(side))
    if conditioned:  # E[E[X | Y]], Var(E[X | Y]): over Y's values
        left, right = (over_the_conditioning_variable(side, variances=True) for side in (left, right))
    if _PLAIN_LAW[0] is None and (_plain_expectations(left) or _plain_expectations(right)):
        return _under_each_law(left, right, seed, declared, relation, general, stated)
    if _gradients(left) or _gradients(right):
        return _under_each_variable(left, right, seed, declared, relation, general, stated)
    _PARAMETER_VARIABLES[0] = _parameters_are_variables(left, right)
    _DIFFERENTIATED[0] = _differentiated_conditions(left, right)
    _FUNCTIONS[0] = set()
    _APPLIED_LAWS[0] = frozenset(filter(None, (density(n) for side in (left, right)
                                                for n in sympy.preorder_traversal(side))))
    try:
        factorised = [m for m in (factorisation(joint, product, line) for joint, product, line in stated) if m]
        found = _judge_read(left, right, seed, declared, relation, general, factorised)
        if found is not None and found.verdict == "disagrees" and _FUNCTIONS[0]:
            return Judgement("unchecked", f"differs for a table of the undefined {', '.join(sorted(_FUNCTIONS[0]))}, "
                                          "which the document may define elsewhere: not flagged", found.evidence)
        return found
    finally:
        _PARAMETER_VARIABLES[0] = False
        _DIFFERENTIATED[0] = frozenset()
        _APPLIED_LAWS[0] = frozenset()


def judge_with_value_laws(left, right, **options) -> Judgement | None:
    r"""``E[g(X)] = \sum_x g(x) p(x)`` where the scope knows no density ``p``: a head applied to the value ``x`` of a
    variable ``X`` a plain expectation takes (outside the expectations, and not the function inside them) read as
    X's law, and the statement judged so -- a proof only, the reading said (the scope's p and q roles are a guess)."""
    bodies = _plain_expectations(left) + _plain_expectations(right)
    values = {variable_name(v.name) for b in bodies for v in b.args[0].free_symbols if re.match(r"(?:\\\w+\{)?[A-Z]", v.name)}
    inside = {n.func for b in bodies for n in sympy.preorder_traversal(b.args[0]) if is_opaque_function(n)
              and not isinstance(n, sympy.Symbol)}
    heads = set()
    for side in (left, right):
        outside = side.xreplace({b: sympy.Integer(1) for b in _plain_expectations(side)})
        heads |= {n.func for n in sympy.preorder_traversal(outside) if is_opaque_function(n)
                  and not isinstance(n, sympy.Symbol) and len(n.args) == 1 and isinstance(n.args[0], sympy.Symbol)
                  and n.args[0].name in values and not application_parts(n.func.__name__)[1]} - inside
    if not heads or not values:
        return None
    names = frozenset(scope.normal(application_parts(h.__name__)[0]) for h in heads)
    with scope.densities((scope.current() or frozenset()) | names):
        found = judge(left, right, **options)
    if found is None or found.verdict != "proved":
        return None
    shown = ", ".join(sorted(application_parts(h.__name__)[0] for h in heads))
    return Judgement("proved", f"{found.reason} (reading {shown} as the law of the variable whose values it takes)",
                     found.evidence)


def _under_each_law(left, right, seed, declared, relation, general, stated) -> Judgement | None:
    r"""A statement with a plain ``E[…]``: judged under each law of the statement it may mean (an
    ambiguous reading). Holding under one is the reading the text means, and the reason names it; a
    difference under every one is not flagged (the law may be one the statement does not write)."""
    readings = _plain_law_readings(left, right)
    results = []
    for law in readings:
        _PLAIN_LAW[0] = law
        try:
            found = judge(left, right, seed, declared, relation, general, stated)
        finally:
            _PLAIN_LAW[0] = None
        if found is None:
            return None
        results.append((law, found))
    shown = [(f"{law.model}({', '.join(law.before)}" + (f" | {', '.join(law.after)})" if law.after else ")"), found)
             for law, found in results]
    if len(results) == 1 and isinstance(readings[0], _OneModelMarginal) and results[0][1].verdict == "disagrees":
        return Judgement("disagrees", f"E[…] read as the expectation under {shown[0][0]}, the statement's one law: "
                                      f"{results[0][1].reason}", results[0][1].evidence)
    return _reading_meant(shown, "E[…] read as the expectation under {} (the statement leaves the law open)",
                          "differs under every law of the statement that E[…] may be under ({})", "; ")


def _reading_meant(results: list, holds: str, differs: str, joined: str) -> Judgement | None:
    """The judgement of a statement with an ambiguous node, from ``results`` -- (reading shown, Judgement or None)
    for each reading: proved under one, else holding on instances under one, is the reading meant (``holds`` names
    it); a difference under every reading is a notice (``differs`` lists them), never a flag; else None."""
    for level in ("proved", "unchecked"):
        for reading, found in results:
            if found is not None and found.verdict == level and (level == "proved" or "holds on" in found.reason):
                return Judgement(level, f"{holds.format(reading)}: {found.reason}", found.evidence)
    if results and all(found is not None and found.verdict == "disagrees" for _, found in results):
        return Judgement("unchecked", differs.format(joined.join(reading for reading, _ in results))
                         + ", but the text does not say which: not flagged", results[0][1].evidence)
    return None


def _gradients(expr) -> list:
    r"""The gradients of ``expr`` that name no variable, ``\nabla \log p(x | \theta)``: the reader's ambiguous ∇(…)."""
    return [n for n in sympy.preorder_traversal(expr) if isinstance(n, AppliedUndef) and n.func.__name__ == r"\nabla"]


def _under_each_variable(left, right, seed, declared, relation, general, stated) -> Judgement | None:
    r"""A statement with a gradient that names no variable (``\mathbb{E}_{p(x|\theta)}[\nabla \log p(x|\theta)]``):
    judged with every such ∇ read as the derivative in each quantity it acts on (one reading for the statement).
    Holding under one is the reading meant, and the reason names it; a difference under every one is not flagged."""
    nodes = list(dict.fromkeys(_gradients(left) + _gradients(right)))
    candidates = sorted(set().union(*(n.args[0].free_symbols for n in nodes)), key=lambda s: s.name)
    results = []
    for variable in candidates:
        if variable.name.startswith(("⟨", "⟦")):
            continue
        read = {n: sympy.diff(n.args[0], variable) for n in nodes}
        if any(_gradients(value) for value in read.values()):
            return None
        results.append((variable.name, judge(left.xreplace(read), right.xreplace(read), seed, declared, relation,
                                             general, stated)))
    return _reading_meant(results, "∇ read as ∇_{} (the text does not name the variable)",
                          "differs with ∇ read as the derivative in each quantity it acts on ({})", ", ")


def _without_densities(expr):
    """``expr`` with every density replaced by one placeholder: the names it writes outside densities (θ in
    ``p(x | \theta)`` is the model's; in ``\theta^2 p(x | \theta)`` it is also written outside)."""
    return expr.replace(lambda e: density(e) is not None, lambda e: sympy.Symbol("⟨density⟩"))


def _in_parameters(left, right) -> bool:
    r"""Every derivative of the step is in a parameter of a model the step uses (``\nabla_\theta`` beside ``p_\theta``),
    and no undefined function or other name takes that parameter (``r(x, \theta)``, ``r_\theta(x)``, ``\theta^2``)."""
    nodes = list(sympy.preorder_traversal(left)) + list(sympy.preorder_traversal(right))
    variables = _differentiated_by(left, right)
    parameters = {p.name for side in (left, right) for d in densities_in(side) for p in _model_parameters(d.model)}
    if not variables or not variables <= parameters:
        return False
    stripped = [_without_densities(side.replace(lambda e: isinstance(e, sympy.Derivative), lambda e: e.expr).replace(
        lambda e: isinstance(e, AppliedUndef) and e.func.__name__ == "⟦d⟧", lambda e: e.args[0]))
        for side in (left, right)]
    if any(v in {s.name for side in stripped for s in side.free_symbols} for v in variables):
        return False
    return not any(p in node.func.__name__ for node in nodes if isinstance(node, AppliedUndef) and _plain_function(node)
                   for p in variables)


def _by_derivatives(left, right, relation: str) -> Judgement | None:
    r"""A step with derivatives of densities in one of their variables (``\nabla_x \log p(y | x) = \nabla_x \log
    p(x | y) - \nabla_x \log p(x)``): proved when the rules of probability make the sides equal with every density
    a function of its variables (a derivative of a density free of x is 0); else not judged -- finite instances
    have no derivatives. Derivatives in a parameter (``\nabla_\theta``, of a model p_θ) are not read."""
    found = densities_in(left) + densities_in(right)
    variables = set().union(*(d.variables for d in found)) if found else set()
    parameters = {p.name for d in found for p in _model_parameters(d.model)}
    nodes = list(sympy.preorder_traversal(left - right))
    derivatives = [node for node in nodes if isinstance(node, sympy.Derivative)]
    if any(not {variable_name(v.name) for v in node.variables} <= variables | parameters for node in derivatives):
        return None
    in_parameters = {v.name for node in derivatives for v in node.variables} & parameters
    if in_parameters and any(any(p in node.func.__name__ for p in in_parameters) for node in nodes
                             if isinstance(node, AppliedUndef) and _plain_function(node)):
        return None  # f_θ(x): a function of the parameter too, which the proof would hold fixed
    proof = prove(left, right, cheap=True) if relation == "=" and found else ""
    what = (f"a model's probabilities are functions of its parameter {', '.join(sorted(in_parameters))}, and every "
            "other function is free of it" if in_parameters else "a density is a function of its variables alone (its "
                                                                   "derivative in another is 0)")
    return Judgement("proved", f"proved for every distribution: {proof}; {what}") if proof else None


def _judge_read(left, right, seed, declared, relation, general, factorised=()) -> Judgement | None:
    if left.has(sympy.Derivative) or right.has(sympy.Derivative):
        try:
            proved = _by_derivatives(left, right, relation)
        except Unread:
            return None
        if proved is not None or not _in_parameters(left, right):
            return proved
        # not proved: judged on instances whose tables are smooth in the parameter (a derivative taken numerically)
    try:
        variable = _letter_variable(left, right)
        named = _divergence(left) or _divergence(right)
        used: set = set()
        written = _divergences_written_out(left, variable, used), _divergences_written_out(right, variable, used)
        if used and relation == "=" and any(side.is_number and not side.has(sympy.core.function.AppliedUndef)
                                            for side in (left, right)):
            return None  # a divergence given a value (KL(p || q) = 0.5 - 0.8): the other checks read it
        found = _judge(*written, seed, declared, relation, general, factorised)
        if found is not None and found.verdict == "disagrees" and used:
            for base in (2, 10):  # it may hold with the divergence in bits (a lecture's log base)
                again = _judge(*(_divergences_written_out(side, variable, set(), base) for side in (left, right)),
                               seed, declared, relation, general, factorised)
                if again is None or again.verdict != "disagrees":
                    return None  # the other checks read it
        if named and found is not None and found.verdict == "proved" and "sum_v" not in found.reason:
            return Judgement("unchecked", "the definition of the divergence, restated (a definition, not a proof)")
        if found is not None and found.verdict == "proved" and used:
            found = Judgement("proved", found.reason + "; " + "; ".join(sorted(used)))
        return found
    except Unread:
        return None


def _judge(left, right, seed: int, declared: frozenset, relation: str, general: bool = False, factorised=()):
    found_left, found_right = densities_in(left), densities_in(right)  # Unread: judge says None
    if not found_left and not found_right:
        return None
    summed = _summed_variables(left) | _summed_variables(right) | _operator_variables(left) | _operator_variables(right)
    if not (found_left and found_right) and not summed:
        return None  # a density given a formula or a value (p(x) = 0.5), a support (q(x) > 0): not a relation here
    found = found_left + found_right
    models = sorted({d.model for d in found})
    variables = sorted(set().union(*(d.variables for d in found)))
    symbols = {variable_name(s.name) for s in (left.free_symbols | right.free_symbols)}
    free = [v for v in variables if v in symbols or v not in summed]
    differentiated = _differentiated_by(left, right)  # a model's parameter (_judge_read let no other through)
    written = {s.name for side in (left, right) for s in _without_densities(side).free_symbols}
    parameters = {p.name for d in found for p in _model_parameters(d.model)} - written  # p(x | θ): θ names the model
    plain_names = sorted(n for n in symbols - set(variables) - differentiated - parameters
                         if not n.startswith("⟦range") and _value_event(n) is None and _events_of_values(n) is None)
    if set(summed) - set(variables):
        return None
    model = next((m for m in factorised if m.joint.model in models and set(variables) <= set(m.joint.before)
                  and len(models) == 1), None)  # the document's factorisation of the one model: its variables
    free_left, free_right = _free_variables(left, variables), _free_variables(right, variables)
    if found_left and found_right and free_left != free_right and model is None:
        return Judgement("unchecked", "the sides are densities of different variables (a name for a tuple, a model "
                                      "the lecture defines): an assumption the lecture may make, not flagged")
    calculus = bool(summed)
    with mpmath.workdps(DIGITS):
        plain = {n: mpmath.mpf(3 + 2 * i) / 7 for i, n in enumerate(plain_names)}
        readings = [("generic", False, False)] + ([] if general else [("independent", True, False)])
        if not calculus and len(models) > 1:
            readings += [("merged", False, True), ("merged independent", True, True)]
        same = {m: m.partition("_")[0] for m in models if "_" in m and m.partition("_")[0] in models}
        if same:  # q_θ and q in one statement: the lecture may drop the subscript (its notation, one model)
            readings.append(("subscript dropped", False, False))
        members = _members_at_two_parameters(models, differentiated)
        if members:  # p(x | θ) and p(x | θ') with θ' differentiated: the gradient is often meant at θ' = θ
            readings.append(("equal parameters", False, False))
        if model is not None:
            readings.append((f"the factorisation stated at line {model.line}", False, False))
        failures, outside = {}, {}  # outside: failures only where a restricted sum leaves values out
        count = 0
        conditioned = {d.model: d.before[0] for side in (left, right) for n in sympy.preorder_traversal(side)
                       for d in _conditions(n).values()}
        for name, independent, merged in readings:
            for zeros in ([None, conditioned] if conditioned else [None]):
                for instance in instances(models, variables, free, seed, independent=independent, merged=merged,
                                          same={"subscript dropped": same, "equal parameters": members}.get(name),
                                          zeros=zeros, factorised=model if name.startswith("the factorisation") else None):
                    try:
                        a = evaluate(left, instance, dict(instance.free), plain)
                        b = evaluate(right, instance, dict(instance.free), plain)
                    except (Unread, ZeroDivisionError, ValueError, TypeError):
                        return None
                    if not (mpmath.isfinite(a) and mpmath.isfinite(b)) or isinstance(a, mpmath.mpc) or \
                            isinstance(b, mpmath.mpc):
                        return None  # a log of 0 outside a support, of a negative number: not read as such
                    count += 1
                    if _violated(a, relation, b):
                        (outside if zeros else failures).setdefault(name, (instance, a, b))
                        break
    if not failures and outside:
        instance, a, b = next(iter(outside.values()))
        return Judgement("unchecked", "holds where every distribution has full support, but fails where a sum's "
                                      "condition (" + ", ".join(sorted(f"{m}({v}) > 0" for m, v in conditioned.items()))
                         + ") leaves out values another distribution may give mass: an assumption the lecture may "
                           "make, not proved and not flagged",
                         f"{instance.describe()}: left = {mpmath.nstr(a, 8)}, right = {mpmath.nstr(b, 8)}")
    if not failures:
        if relation == "=" and _restates_conditional(left, right):
            return Judgement("unchecked", "the definition of a conditional density, restated (a definition, not a proof)")
        proof = prove(left, right) if relation == "=" and not differentiated else ""
        if proof:
            return Judgement("proved", f"proved for every distribution: {proof}")
        if differentiated:
            return Judgement("unchecked", f"holds on {count} instances (random finite distributions smooth in "
                                          f"{', '.join(sorted(differentiated))}, derivatives at {DIGITS} digits; "
                                          "evidence, not proof)")
        return Judgement("unchecked", f"holds on {count} instances (random finite distributions, exact "
                                      "probabilities; evidence, not proof)")
    instance, a, b = failures.get("generic") or next(iter(failures.values()))
    shown = f"{instance.describe()}: left = {mpmath.nstr(a, 8)}, right = {mpmath.nstr(b, 8)}"
    if len(failures) == len(readings):
        if plain_names:
            return Judgement("unchecked", f"differs on instances with {', '.join(plain_names[:3])} at fixed values, "
                                          "but the lecture may define them elsewhere: not flagged", shown)
        if not (found_left and found_right) and (relation == "=" or not calculus):
            return Judgement("unchecked", "one side gives a value, not a relation between densities: not flagged", shown)
        if not calculus and min(len(found_left), len(found_right)) == 1 and max(len(found_left), len(found_right)) == 1:
            return Judgement("unchecked", "one density named by another (P(s' | s, a) = P(s, a, s')): notation, an "
                                          "assumption the lecture may make, not flagged", shown)
        given = sorted(v for v in variables if _plain(v) in declared)
        if given:
            return Judgement("unchecked", f"differs for general distributions, but the lecture gives "
                                          f"{', '.join(given)} a named family: not flagged", shown)
        merged = any(n.startswith("merged") for n, *_ in readings)
        also = ([] if general else ["when the variables are independent"]) + \
            (["with one distribution for every letter"] if merged else []) + (["with q_θ read as q"] if same else [])
        return Judgement("disagrees", "fails for a distribution of the structure it names"
                         + (" (and " + "; and ".join(also) + ")" if also else "")
                         + (" (a definition for every joint distribution: independence is not assumed)"
                            if general else ""), shown)
    holds = [name for name, *_ in readings if name not in failures]
    if model is not None and f"the factorisation stated at line {model.line}" in holds:
        return Judgement("unchecked", f"holds on {INSTANCES} instances of the factorisation stated at line {model.line} "
                                      "(random conditional tables, exact probabilities; evidence, not proof), not for "
                                      "general distributions", shown)
    return Judgement("unchecked", f"differs for general distributions but holds when {_reading_text(holds[0])}: "
                                  "an assumption the lecture may make, not flagged", shown)


_JS = re.compile(r"^(?:D_)?\{?(?:\\mathrm\{|\\text\{|\\operatorname\{)?(?:JS|JSD)\}?\}?$")


def _divergence(side) -> bool:
    r"""The side is one KL or JS divergence (``KL(q \| p)``, ``D_{JS}(p \| q)``)."""
    if not is_opaque_function(side) or isinstance(side, sympy.Symbol):
        return False
    head = application_parts(side.func.__name__)[0].replace(" ", "")
    return bool(information._KL.match(head) or _JS.match(head))


def _bare_letter(expr) -> bool:
    return isinstance(expr, sympy.Symbol) and not expr.name.startswith(("⟦", "⟪", "⟨")) and scope.is_density(expr.name)


def _letter_variable(left, right) -> sympy.Symbol | None:
    r"""The variable a bare letter (``KL(p \| q)``, ``JS(p_r \| p_g)``) is a density of: the one
    variable its letters are applied to elsewhere in the statement (``p_r(x)``), else ``x``;
    None when the statement applies them to several."""
    letters = {information._normal(s.name) for e in (left, right) for s in e.free_symbols if _bare_letter(s)}
    if not letters:
        return None
    used = set()
    for e in (left, right):
        for node in sympy.preorder_traversal(e):
            d = density(node)
            if d is not None and information._normal(node.func.__name__.split("[")[0]) in letters:
                if d.after or len(d.before) != 1:
                    raise Unread("a letter used bare and as a conditional or joint density")
                used.add(d.before[0])
    if len(used) > 1:
        raise Unread("bare letters of several variables")
    return sympy.Symbol(used.pop() if used else "x", real=True)


def _divergences_written_out(expr, variable, used: set, base: int | None = None):
    r"""KL and JS whose arguments are bare letters or mixtures (``\frac{p + q}{2}``) written as
    integrals over ``variable``: ``KL(a \| b) = \int a \log(a / b)``, ``JS(a \| b) = \frac12 KL(a \| m) +
    \frac12 KL(b \| m)`` with ``m = (a + b) / 2`` (logs in ``base``, natural when None); the definitions
    used are added to ``used``.
    Divergences between applied densities are left to :func:`_operator`."""
    def applied(arg):
        if variable is None or not arg.free_symbols or not all(_bare_letter(s) for s in arg.free_symbols):
            raise Unread("a divergence of something other than densities")
        return arg.xreplace({s: sympy.Function(s.name)(variable) for s in arg.free_symbols})

    def kl(a, b):
        log = sympy.log(a / b) if base is None else sympy.log(a / b) / sympy.log(base)
        return sympy.Integral(a * log, (variable, -sympy.oo, sympy.oo))

    def rewrite(node):
        if not (is_opaque_function(node) and not isinstance(node, sympy.Symbol)):
            return None
        head, seps, square = application_parts(node.func.__name__)
        if seps != "‖" or len(node.args) != 2:
            return None
        name = head.replace(" ", "")
        if _JS.match(name):
            a, b = (applied(x) for x in node.args)
            m = (a + b) / 2
            used.add("JS(a ‖ b) = KL(a ‖ m)/2 + KL(b ‖ m)/2 with m = (a + b)/2")
            return kl(a, m) / 2 + kl(b, m) / 2
        if information._KL.match(name) and not all(density(x) is not None for x in node.args):
            used.add("KL(a ‖ b) = ∫ a log(a / b)")
            return kl(*(applied(x) for x in node.args))
        return None

    if not any(is_opaque_function(n) and not isinstance(n, sympy.Symbol) for n in sympy.preorder_traversal(expr)):
        return expr
    return expr.replace(lambda n: rewrite(n) is not None, rewrite)


def _restates_conditional(left, right) -> bool:
    """``p(A | B) = p(A, B) / p(B)`` (either way round): the definition itself."""
    for one, other in ((left, right), (right, left)):
        d = density(one)
        if d is None or not d.after:
            continue
        numerator, denominator = sympy.fraction(other)
        top, bottom = density(numerator), density(denominator)
        if top and bottom and top.model == bottom.model == d.model and not top.after and not bottom.after \
                and set(top.before) == d.variables and set(bottom.before) == set(d.after):
            return True
    return False


def _violated(a, relation: str, b) -> bool:
    """Whether ``a relation b`` fails beyond the 50-digit noise."""
    slack = AGREE * max(1, abs(a), abs(b))
    if relation == "=":
        return abs(a - b) > slack
    if relation in ("≤", "<"):
        return a - b > slack
    if relation in ("≥", ">"):
        return b - a > slack
    raise ValueError(relation)


def _reading_text(name: str) -> str:
    return {"independent": "the variables are independent", "merged": "every letter is one distribution",
            "subscript dropped": "a letter with a parameter subscript is the letter without it (q_θ written q)",
            "merged independent": "every letter is one distribution of independent variables",
            "generic": "the distributions are general",
            "equal parameters": "the family's two parameters are equal (a gradient taken where θ' = θ)"}[name]


def _free_variables(expr, variables, bound: frozenset = frozenset()) -> set:
    """The density variables the side leaves free: not summed or integrated over, not the
    variable of an expectation or a divergence, where they appear."""
    d = density(expr)
    if d is not None:
        return set(d.variables) - bound
    if isinstance(expr, sympy.Symbol):
        return {variable_name(expr.name)} & set(variables) - bound
    if isinstance(expr, (sympy.Sum, sympy.Integral)):
        return _free_variables(expr.function, variables, bound | set(_summed(expr)))
    if is_opaque_function(expr):
        kind = _operator(expr)
        if kind is not None:
            inner = bound | set(kind[1].before)
            return (set(kind[1].after) - bound) | set().union(*(_free_variables(b, variables, inner) for b in kind[2]))
    return set().union(set(), *(_free_variables(a, variables, bound) for a in expr.args))


def _summed_variables(expr) -> set:
    return {v for n in sympy.preorder_traversal(expr) if isinstance(n, (sympy.Sum, sympy.Integral)) for v in _summed(n)}


def _operator_variables(expr) -> set:
    out = set()
    for n in sympy.preorder_traversal(expr):
        if is_opaque_function(n) and not isinstance(n, sympy.Symbol) and density(n) is None:
            kind = _operator(n)
            if kind is not None:
                out |= set(kind[1].before)
    return out


# --- the proof -----------------------------------------------------------------------------

_MARGINALS: dict = {}


def _marginal(model: str, variables) -> sympy.Expr:
    """M_model(S): the joint marginal of the model over the variables S (positive)."""
    names = tuple(sorted(variables))
    if not names:
        return sympy.Integer(1)
    function = _MARGINALS.setdefault(model, sympy.Function(f"M_{model}", positive=True))
    return function(*[sympy.Symbol(n, real=True) for n in names], *_model_parameters(model))


def _model_parameters(model: str) -> list:
    """The parameters a model's key carries (``p_\theta``: θ): its marginals are functions of them too, so a
    derivative in θ acts on them (a total probability, M of no variable, stays 1 for every θ)."""
    _, _, sub = model.partition("_")
    return [sympy.Symbol(part, real=True) for part in sub.split(",") if _is_parameter(part)]


def _to_marginals(expr):
    """The expression with densities as ratios of marginals and expectations and divergences as sums."""
    if isinstance(expr, AppliedUndef) and expr.func.__name__ == "⟦d⟧" and len(expr.args) == 2:
        return _to_marginals(expr.args[0])
    d = density(expr)
    if d is not None:
        return _marginal(d.model, d.variables) / _marginal(d.model, d.after)
    if isinstance(expr, (sympy.Sum, sympy.Integral)):
        for condition in _conditions(expr).values():
            if not _vanishes_outside(expr.function, condition):
                raise Unread("a sum restricted to a support, of terms that need not vanish outside it")
        out = _to_marginals(expr.function)
        for name in _summed(expr):
            out = sympy.Sum(out, (sympy.Symbol(name, real=True), 0, sympy.Symbol("⟦support⟧")))
        return out
    if is_opaque_function(expr) and not isinstance(expr, sympy.Symbol) and _plain_function(expr):
        return expr.func(*[_to_marginals(a) for a in expr.args])  # r(x): the same function on both sides
    if is_opaque_function(expr) and not isinstance(expr, sympy.Symbol):
        kind, weight, body = _operator(expr)
        w = _marginal(weight.model, weight.variables) / _marginal(weight.model, weight.after)
        inner = (sympy.log(w) - sympy.log(_to_marginals(body[0]))) if kind == "KL" else _to_marginals(body[0])
        out = w * inner
        for v in weight.before:
            out = sympy.Sum(out, (sympy.Symbol(v, real=True), 0, sympy.Symbol("⟦support⟧")))
        return out
    if isinstance(expr, sympy.Derivative):
        inner = _to_marginals(expr.expr)
        for v, n in expr.variable_count:
            inner = sympy.diff(inner, sympy.Symbol(variable_name(v.name), real=True), n)
        return inner
    if expr.is_Atom:
        if isinstance(expr, sympy.Symbol):
            return sympy.Symbol(variable_name(expr.name), real=True)
        return expr
    return expr.func(*[_to_marginals(a) for a in expr.args])


def _vanishes_outside(summand, condition: Density) -> bool:
    """The summand is the condition's density (to a positive power) times terms free of its model: it is 0
    where the density is, so the sum restricted to the support is the whole sum."""
    factors = sympy.Mul.make_args(summand)
    hits = [f for f in factors if density(f) == condition
            or (isinstance(f, sympy.Pow) and density(f.base) == condition and f.exp.is_positive)]
    others = [f for f in factors if f not in hits]
    return bool(hits) and not any(d.model == condition.model for f in others for d in densities_in(f))


def prove(left, right, cheap: bool = False) -> str:
    """How the difference of the sides becomes 0 by the rules of probability, or ''. ``cheap``: without SymPy's
    simplify (derivatives of marginals make it slow; expanding the logs and the products is what the rules need)."""
    if scope.current() is None:  # a statement read alone: the densities its own sides condition
        with scope.densities(scope.from_expressions(left, right)):
            return prove(left, right, cheap)
    try:
        difference = _to_marginals(left) - _to_marginals(right)
    except Exception:
        return ""
    rules = set()
    difference, settled = _settled(difference, rules, _cheap_normal if cheap else _normal)
    return "; ".join(["p(a | b) = p(a, b) / p(b)"] + sorted(rules)) if settled and difference == 0 else ""


def _settled(expr, rules: set, normal) -> tuple:
    """(expr, settled): ``expr`` normalised and reduced by the sum rule (the rules used added to ``rules``) until
    it is 0 or the sum rule changes nothing (settled), at most six rounds (not settled: the last reduction)."""
    for _ in range(6):
        expr = normal(expr)
        if expr == 0:
            return expr, True
        reduced = _reduce_sums(expr, rules)
        if reduced == expr:
            return expr, True
        expr = reduced
    return expr, False


def proportional(left, right) -> Judgement | None:
    r"""``left \propto right`` between densities (``p(\theta | x) \propto p(x | \theta) p(\theta)``, ``p(y | x)
    \propto p(x | y) / p(x)``): proved in a variable when, by the rules of probability, the log of the ratio of
    the sides is free of it (the posterior over the likelihood times the prior is 1 / p(x), free of θ); None
    otherwise (a proportionality says no variable, so it is never flagged)."""
    if scope.current() is None:
        with scope.densities(scope.from_expressions(left, right)):
            return proportional(left, right)
    _PARAMETER_VARIABLES[0] = _parameters_are_variables(left, right)
    try:
        in_left, in_right = densities_in(left), densities_in(right)
        if not in_left or not in_right or _plain_expectations(left) or _plain_expectations(right):
            return None
        variables = {v for d in in_left + in_right for v in d.variables}
        free = sorted(_free_variables(left, variables) | _free_variables(right, variables))
        ratio = sympy.log(_to_marginals(left)) - sympy.log(_to_marginals(right))
    except Exception:  # Unread among them
        return None
    finally:
        _PARAMETER_VARIABLES[0] = False
    rules = set()
    try:
        ratio, _ = _settled(ratio, rules, _normal)
    except Exception:
        return None
    names = {variable_name(s.name) for s in ratio.free_symbols}
    constant_in = [v for v in free if v not in names]
    if not constant_in:
        return None
    return Judgement("proved", f"proportional in {', '.join(constant_in)}: by the rules of probability (p(a | b) = "
                               f"p(a, b) / p(b){'; ' + '; '.join(sorted(rules)) if rules else ''}) the ratio of the "
                               f"sides is free of {', '.join(constant_in)}")


def _cheap_normal(expr):
    expr = expr.replace(lambda e: isinstance(e, sympy.Derivative), lambda e: e.doit(deep=False))  # no sum evaluated
    expr = _ordered_sums(sympy.expand(sympy.expand_log(expr)))
    return expr.replace(lambda e: isinstance(e, sympy.Sum),
                        lambda e: sympy.Sum(sympy.expand(sympy.expand_log(e.function)), *e.limits))


def _normal(expr):
    expr = _ordered_sums(sympy.expand(sympy.expand_log(expr)))
    return _ordered_sums(sympy.expand(sympy.expand_log(sympy.simplify(expr)))) if expr != 0 else expr


def _ordered_sums(expr):
    """A sum over several variables with its limits in one order (\\sum_x \\sum_y and \\sum_{x,y} are one sum)."""
    return expr.replace(lambda e: isinstance(e, sympy.Sum) and len(e.limits) > 1,
                        lambda e: sympy.Sum(e.function, *sorted(e.limits, key=lambda limit: limit[0].name)))


def _reduce_sums(expr, rules: set):
    """Linearity, then the sum rule sum_v M(S+v) = M(S) on terms with one marginal containing v."""
    expr = expr.replace(lambda e: isinstance(e, sympy.Sum), lambda e: _whole_sum(e, rules))
    terms = sympy.Add.make_args(expr)
    sums: dict = {}
    rest = []
    for term in terms:
        coefficient, parts = term.as_coeff_mul()
        found = [p for p in parts if isinstance(p, sympy.Sum)]
        if len(found) == 1 and len(found[0].limits) == 1:
            others = sympy.Mul(coefficient, *[p for p in parts if p is not found[0]])
            key = found[0].limits[0]
            sums[key] = sums.get(key, 0) + others * found[0].function
        else:
            rest.append(term)
    out = list(rest)
    for (variable, low, high), summand in sums.items():
        summand = _normal(summand)
        kept = 0
        for term in sympy.Add.make_args(summand):
            reduced = _sum_rule(term, variable)
            if reduced is None:
                kept += term
            else:
                rules.add("sum_v p(S, v) = p(S)")
                out.append(reduced)
        if kept != 0:
            out.append(sympy.Sum(kept, (variable, low, high)))
    return sympy.Add(*out)


def _whole_sum(node, rules: set):
    """A sum (anywhere: in a denominator too) whose every term the sum rule reduces over one of its
    variables, reduced over that one (a sum over several keeps the others: the supports are finite and
    fixed, so the order of summation is free)."""
    terms = sympy.Add.make_args(_normal(node.function))
    for k, limit in enumerate(node.limits):
        reduced = [_sum_rule(t, limit[0]) for t in terms]
        if any(r is None for r in reduced):
            continue
        rules.add("sum_v p(S, v) = p(S)")
        others = node.limits[:k] + node.limits[k + 1:]
        return sympy.Sum(sympy.Add(*reduced), *others) if others else sympy.Add(*reduced)
    return node


def _sum_rule(term, variable):
    """sum over v of c * M(S + v) with c free of v: c * M(S); None when the term is not of that form."""
    if not term.has(variable):
        return None
    factors = sympy.Mul.make_args(term)
    with_v = [f for f in factors if f.has(variable)]
    if len(with_v) != 1:
        return None
    m = with_v[0]
    derivative = None  # sum_v d/dθ M(S + v, θ) = d/dθ M(S, θ): a finite sum and a derivative in a parameter commute
    if isinstance(m, sympy.Derivative) and variable not in m.variables:
        derivative, m = m.variable_count, m.expr
    if not (isinstance(getattr(m, "func", None), sympy.core.function.UndefinedFunction)
            and m.func.__name__.startswith("M_")) or variable not in m.args:
        return None
    rest = sympy.Mul(*[f for f in factors if f is not with_v[0]])
    model = m.func.__name__[2:]
    parameters = _model_parameters(model)
    remaining = [a for a in m.args if a != variable and a not in parameters]
    reduced = _marginal(model, [a.name for a in remaining])
    for v, n in derivative or ():
        reduced = sympy.diff(reduced, v, n)
    return rest * reduced


# --- what the document declares ------------------------------------------------------------

_FAMILY = (r"(?:\\mathcal\s*\{?\s*N\s*\}?|\\mathcal\s*\{?\s*G\s*\}?|\\(?:mathrm|text|operatorname)\s*\{\s*(?:Bern|Ber|Cat|Categorical|"
           r"Multinomial|Mult|Beta|Dir|Dirichlet|Poisson|Pois|Lap|Laplace|Gamma|Exp|Unif|Uniform|Bernoulli|Normal|N|"
           r"Gaussian|Binomial|Bin)|\bN\s*\(|Normal|Gaussian|Bernoulli|Categorical)")
_VARIABLE = r"((?:\\(?:mathbf|boldsymbol|bm)\s*\{?\s*)?[A-Za-z](?:\s*\})?(?:_\{?[^\s|,(){}$]*\}?)?)"
_SAMPLED = re.compile(_VARIABLE + r"\s*\\sim\s*" + _FAMILY)
_DENSITY_IS = re.compile(r"(?<![A-Za-z\\])[pq](?:_\{?[^(]{0,20}?\}?)?\s*\(\s*" + _VARIABLE +
                         r"\s*(?:\||\\mid|,|\))[^=$]{0,60}=\s*" + _FAMILY)


def document_families(text: str) -> frozenset:
    """Variables the document gives a named family (``z \\sim \\mathcal N(0, I)``, ``q(z | x) =
    \\mathcal N(...)``): their statements are not flagged on general distributions."""
    found = {m.group(1) for m in _SAMPLED.finditer(text)} | {m.group(1) for m in _DENSITY_IS.finditer(text)}
    return frozenset(_plain(v) for v in found)


def _plain(name: str) -> str:
    return re.sub(r"\\(?:mathbf|boldsymbol|bm)|[\s{}]", "", name)


def over_support(weight, variable, bound) -> bool:
    r"""``\sum_{y: a(y) > 0} a(y) \log b(y)``: the condition is the weight's own support, where the
    terms left out are 0 (0 log 0 = 0), so the sum is the whole one."""
    try:
        return density(weight) == support_condition(variable_name(variable.name), where_condition(bound))
    except Unread:
        return False
