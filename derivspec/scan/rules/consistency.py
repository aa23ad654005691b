r"""Mechanism *consistency*: this line against the line that defines what it names, both at the same draws.

* a log-likelihood against the likelihood written above it: ``\log L`` and ``\ell`` may differ by a constant (a
  log-likelihood "up to a constant" is common), never by anything that varies with the parameters;
* a derivative against the function defined above it (SymPy differentiates the definition);
* a stationary point against the derivative written above it: the derivative vanishes there;
* an update rule against its own state: a running mean's update reproduces the mean of the data seen so far;
* a later line about an update's iterates (closed form, steps written out, the update restated) against iterating
  the update defined above (iterates.py: exact iterates for k = 0..6, both lines at the same draws).

Sums and products over data (``\prod_{i=1}^n``) are evaluated with n = 3 and exact data values, the same data on
both lines; parameters at exact admissible draws (values.py). A flag needs two draws that differ beyond round-off.
A name defined twice above, or a right side that uses a name the document defines elsewhere (a chain of
definitions), is left alone.
"""

from __future__ import annotations

import re

import mpmath
import sympy
from sympy.core.function import AppliedUndef

from derivspec.core.errors import FormulaError
from derivspec.scan import tree
from derivspec.scan.clauses import split_clauses
from derivspec.scan.reader import bare_names, read_document
from derivspec.scan.rules import values
from derivspec.scan.rules.reading import _head

TOLERANCE = mpmath.mpf("1e-8")
COUNT = 3  # items of a sum or product over data
DATA = (sympy.Rational(1, 3), sympy.Rational(3, 4), sympy.Rational(1, 5), sympy.Rational(2, 3))


def last_side(line):
    """The last side of the line's first clause (ℓ(θ) = log L(θ) = Σ …: the Σ …), read; None when not read."""
    try:
        clauses = [c for c in split_clauses(line.text) if c.relations]
        text = next(s for s in reversed(clauses[0].sides) if s.strip() and s.strip() != "0")
        return read_document(text, line.doc.names, bare_names(line.text)).expr
    except (FormulaError, StopIteration, IndexError, Exception):
        return None


def instantiate(expr, data: dict | None = None):
    """``expr`` with every sum or product over data taken at n = COUNT items and each item x_i an exact value
    (``data``: the values chosen so far, shared between lines); None when something stays unknown."""
    data = {} if data is None else data
    counts = {high: sympy.Integer(COUNT) for big in expr.atoms(sympy.Sum, sympy.Product) for _, low, high in big.limits
              if isinstance(high, sympy.Symbol)}
    try:
        done = expr.xreplace(counts).doit() if counts or expr.has(sympy.Sum, sympy.Product) else expr
    except Exception:
        return None
    items = {}
    for applied in done.atoms(AppliedUndef):
        name = applied.func.__name__
        if not name.endswith("_{•}") or len(applied.args) != 1 or not applied.args[0].is_Integer:
            return None
        key = (name, int(applied.args[0]))
        if key not in data:
            data[key] = DATA[(len(data) + int(applied.args[0])) % len(DATA)]
        items[applied] = data[key]
    done = done.xreplace(items)
    if done.has(AppliedUndef, sympy.Sum, sympy.Product) or any("⟦" in s.name for s in done.free_symbols):
        return None
    return done, {s: sympy.Integer(COUNT) for s in counts}


def _bare(text: str) -> str:
    return re.sub(r"\\(?:left|right|big|Big)|[\s{}]", "", text)


def _arguments(line) -> tuple:
    """The arguments of the line's left side as written (ℓ(θ), L(θ), log L(θ): (θ,)), or ()."""
    node = line.node("left")
    if isinstance(node, tree.Fn) and len(node.args) == 1:
        node = node.args[0]
    if isinstance(node, tree.Apply):
        return tuple(a.latex for a in node.args if isinstance(a, tree.Name))
    return ()


def _unknown(expr) -> bool:
    """An application other than an indexed name (x_i) is in ``expr``."""
    return any(not a.func.__name__.endswith("_{•}") for a in expr.atoms(AppliedUndef))


def _same_symbols(expr, other):
    """``expr`` with each free symbol replaced by ``other``'s symbol of the same name."""
    by_name = {s.name: s for s in other.free_symbols}
    return expr.xreplace({s: by_name[s.name] for s in expr.free_symbols if s.name in by_name})


def instantiate_together(reference, other):
    """``reference`` and ``other`` (its symbols renamed to ``reference``'s) instantiated on the same data, with every
    count of items set in both: (reference, other), or None when either stays unknown."""
    data: dict = {}
    first = instantiate(reference, data)
    second = instantiate(_same_symbols(other, reference), data)
    if first is None or second is None:
        return None
    (a, counts), (b, more) = first, second
    counts.update(more)
    return a.xreplace(counts), b.xreplace(counts)


def _definition_above(line, head: str):
    """The latest line above ``line`` that defines ``head`` (None when none, or when two do)."""
    found = [other for other in line.doc.lines if other.line < line.line and _head(other.left_text) == head
             and other.relation in ("=", ":=", "≡")]
    if len(found) != 1:
        return None
    return found[0]


# --- rules ---------------------------------------------------------------------------------------------

def log_likelihood_agrees(line, doc) -> str | None:
    """DS401: ℓ(θ) written under L(θ) is log L(θ), up to a constant; -log P(y | X) is minus the log of P(y | X)."""
    if "log_likelihood" not in line.kinds:
        return None
    logged = re.match(r"^\s*(-)?\s*\\log\s*(.+)$", line.left_text)
    above = [other for other in doc.lines if other.line < line.line and other is not line]
    if logged:  # log L(θ), -log P(y | X): the likelihood is the line whose left side is what the log takes
        inner = _bare(logged.group(2))
        found = [o for o in above if _bare(o.left_text) == inner]
    else:  # ℓ(θ) with L(θ) above: a likelihood of the same parameters
        found = [o for o in above if "likelihood" in o.kinds and "log_likelihood" not in o.kinds
                 and _arguments(o) and _arguments(o) == _arguments(line)]
    if not found or found[-1].expr("right") is None:
        return None
    source = found[-1]
    sign = -1 if logged and logged.group(1) else 1
    likelihood, log_likelihood = source.expr("right"), last_side(line)
    if log_likelihood is None or _unknown(log_likelihood):
        return None
    together = instantiate_together(likelihood, log_likelihood)
    if together is None:
        return None
    like, loglike = together
    params = values.ranges(like + loglike, doc.names, doc.text)
    if not params:
        return None
    gaps = []
    for point in values.draws(params, 4):
        a, b = values.value(like, point), values.value(loglike, point)
        if a is None or b is None or a <= 0:
            continue
        gaps.append((point, sign * mpmath.log(a) - b, sign * mpmath.log(a), b))
    if len(gaps) < 3:
        return None
    moved = [g for g in gaps[1:] if abs(g[1] - gaps[0][1]) > TOLERANCE * (1 + abs(gaps[0][1]))]
    if len(moved) < 2:
        return None  # equal up to a constant
    point = moved[0][0]
    return (f"the log-likelihood is not the log of the likelihood at line {source.line} (not even up to a constant): "
            f"log L = {values.number(moved[0][2])}, {line.left_text} = {values.number(moved[0][3])} at "
            f"{values.shown(point, doc.names)} with n = {COUNT} items")


def _derivative_parts(line, doc):
    """(head of what is differentiated, the variable's latex, order) for f'(x), df/dx, ∂L/∂w, ∇_w L; or None."""
    node = line.node("left")
    if isinstance(node, tree.Apply) and node.head.latex.endswith("'") and len(node.args) == 1 and isinstance(
            node.args[0], tree.Name):
        head = node.head.latex.rstrip("'")
        return head, node.args[0].latex, len(node.head.latex) - len(head), node.args[0].latex
    if isinstance(node, tree.Deriv) and isinstance(node.variable, tree.Name) and not node.variable.index:
        body = node.body
        if isinstance(body, tree.Apply) and all(isinstance(a, tree.Name) for a in body.args):
            return body.head.latex, node.variable.latex, node.order, None
        if isinstance(body, tree.Name) and not body.index:
            return body.latex, node.variable.latex, node.order, None
    return None


def derivative_agrees(line, doc) -> str | None:
    """DS402: a derivative written under the function's definition is the definition's derivative."""
    parts = _derivative_parts(line, doc)
    if parts is None:
        return None
    head, variable, order, at = parts
    definition = _definition_above(line, head)
    if definition is None:
        return None
    defined = definition.expr("right")
    written = last_side(line)
    if defined is None or written is None or _unknown(written) or written.has(sympy.Derivative):
        return None
    node = definition.node("left")
    symbols = {(doc.names.latex.get(s) or s.name).replace(" ", ""): s for s in defined.free_symbols}
    if isinstance(node, tree.Apply):
        if at is not None and len(node.args) == 1 and isinstance(node.args[0], tree.Name):
            own = symbols.get(node.args[0].latex.replace(" ", ""))
            if own is None:
                return None
            target = sympy.Symbol(f"⟪{at}⟫")
            defined = defined.xreplace({own: target})
            symbols[at.replace(" ", "")] = target
    for name in symbols:  # a chain of definitions (z = wx + b inside L): not unfolded here
        if name in doc.heads and name != variable.replace(" ", ""):
            return None
    var = symbols.get(variable.replace(" ", ""))
    if var is None:
        return None
    try:
        from derivspec.core import symbolic

        with symbolic.time_limit(2.0):
            target = sympy.diff(defined, var, order)
    except Exception:
        return None
    by_name = {(doc.names.latex.get(s) or s.name).replace(" ", ""): s for s in written.free_symbols}
    swap = {s: by_name[n] for n, s in symbols.items() if n in by_name}
    target = target.xreplace(swap)
    if (written.free_symbols - target.free_symbols) - set(swap.values()):
        return None  # the written derivative brings in a name the definition lacks (a dependence said in words)
    ranges = values.ranges(target + written, doc.names, doc.text)
    off = []
    for point in values.draws(ranges, 4):
        a, b = values.value(target, point), values.value(written, point)
        if a is None or b is None:
            continue
        if abs(a - b) > TOLERANCE * (1 + abs(a)):
            off.append((point, a, b))
    if len(off) < 2:
        return None
    point, a, b = off[0]
    return (f"the derivative differs from the derivative of {head} as defined at line {definition.line}: "
            f"{values.number(b)} written, {values.number(a)} from the definition, at {values.shown(point, doc.names)}")


_OPTIMUM = re.compile(r"^\s*(?:\\hat\s*\{?\s*((?:\\[A-Za-z]+|[A-Za-z])(?:_\{?\w+\}?)?)\s*\}?|"
                      r"((?:\\[A-Za-z]+|[A-Za-z]))\s*(?:\^\s*\{?\s*(?:\*|\\star|\\ast)\s*\}?|_\s*\{?\s*\\(?:mathrm|text)\s*\{\s*"
                      r"(?:MLE|ML|MAP|opt)\s*\}\s*\}?))\s*$")


def stationary_point_agrees(line, doc) -> str | None:
    """DS403: θ̂ found by setting the derivative above to zero makes that derivative zero."""
    if "stationary_point" not in line.kinds:
        return None
    found = _OPTIMUM.match(line.left_text)
    if not found:
        return None
    variable = (found.group(1) or found.group(2)).replace(" ", "")
    derivatives = [o for o in doc.lines if o.line < line.line and line.line - o.line <= 20
                   and (_derivative_parts(o, doc) or (None, None))[1] is not None
                   and (_derivative_parts(o, doc)[1] or "").replace(" ", "") == variable]
    if not derivatives:
        return None
    source = derivatives[-1]
    gradient = last_side(source)
    solution = line.expr("right")
    if gradient is None or solution is None or _unknown(gradient) or gradient.has(sympy.Derivative):
        return None
    symbols = {(doc.names.latex.get(s) or s.name).replace(" ", ""): s for s in gradient.free_symbols}
    var = symbols.get(variable)
    if var is None:
        return None
    together = instantiate_together(gradient, solution)
    if together is None:
        return None
    g, s = together
    at = g.xreplace({var: s})
    ranges = values.ranges(at, doc.names, doc.text)
    off = []
    for point in values.draws(ranges, 4) if at.free_symbols else [{}]:
        v, scale = values.value(at, point), values.value(s, point)
        if v is None or scale is None:
            continue
        if abs(v) > TOLERANCE * (1 + abs(scale)):
            off.append((point, v))
    if len(off) < (2 if at.free_symbols else 1):
        return None
    point, v = off[0]
    where = values.shown(point, doc.names)
    return (f"setting the derivative at line {source.line} to zero does not give {line.left_text}: there it is "
            f"{values.number(v)}, not 0 (n = {COUNT} items" + (f", {where}" if where else "") + ")")


_INDEXED = re.compile(r"^\s*((?:\\[A-Za-z]+\s*\{?\s*)?(?:\\[A-Za-z]+|[A-Za-z])\}?)\s*_\s*\{?\s*([A-Za-z])\s*([+-]\s*1)?\s*\}?\s*$")


def _split_indexed(written: str):
    found = _INDEXED.match(written)
    if not found:
        return None
    return found.group(1).replace(" ", ""), found.group(2), (found.group(3) or "").replace(" ", "")


def update_from_own_state(line, doc) -> str | None:
    """DS404: a running mean's update reproduces the mean of what it has seen (from its own previous state)."""
    if "update" not in line.kinds:
        return None
    own = _split_indexed(line.left_text)
    if own is None or own[2]:
        return None
    name, index, _ = own
    expr = line.expr("right")
    if expr is None:
        return None
    parts = {}
    for s in expr.free_symbols:
        split = _split_indexed(doc.names.latex.get(s) or s.name)
        parts[s] = split
    t = next((s for s, p in parts.items() if p is None and (doc.names.latex.get(s) or s.name) == index), None)
    data_names = {p[0] for p in parts.values() if p and p[0] != name and p[1] == index and not p[2]}
    if len(data_names) != 1:
        return None
    data_name = data_names.pop()
    others = {s for s, p in parts.items() if p and p[0] not in (name, data_name)}
    unknown = {s for s, p in parts.items() if p is None and s != t}
    if unknown:
        return None
    for s in others:  # another running value: left alone when the document defines it
        if parts[s][0] in doc.heads or f"{parts[s][0]}_{parts[s][1]}{parts[s][2]}" in doc.heads:
            return None
    off = []
    for steps in (3, 4, 5):
        xs = [DATA[(k + steps) % len(DATA)] for k in range(steps)]
        mean_now, mean_before = sum(xs) / steps, sum(xs[:-1]) / (steps - 1)
        point = {}
        for s, p in parts.items():
            if s == t:
                point[s] = sympy.Integer(steps)
            elif p is None:
                continue
            elif p[0] == name:
                point[s] = mean_before if p[2] == "-1" else mean_now if not p[2] else None
            elif p[0] == data_name:
                point[s] = xs[-1] if not p[2] else xs[-2] if p[2] == "-1" else None
            else:
                point[s] = sympy.Rational(7, 3)  # another running value: not the mean's state
        if any(v is None for v in point.values()):
            return None
        v = values.value(expr, point)
        if v is None:
            return None
        if abs(v - mean_now) > TOLERANCE:
            off.append((steps, v, mean_now))
    if len(off) < 2:
        return None
    steps, v, mean = off[0]
    return (f"the update does not reproduce the running mean of {data_name}: after {steps} values it gives "
            f"{values.number(v)}, the mean is {values.number(mean)}")


def iterate_agrees(line, doc) -> str | None:
    """DS405: a later line about an update's iterates (closed form, steps written out, the update restated) is
    what iterating the update defined above gives (iterates.py)."""
    from derivspec.scan.rules import iterates

    return iterates.systems(doc).finding(line)
