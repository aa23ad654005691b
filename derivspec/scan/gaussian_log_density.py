r"""Derivatives of a Gaussian log-density, read through its closed form (issue 25).

A step that differentiates the log of a normal density -- ``\nabla_x \log \mathcal N(x; \mu, \sigma^2 I)``,
``\frac{\partial}{\partial\mu} \log\mathcal N(x \mid \mu, \sigma^2)``, ``\frac{\partial}{\partial\mu}\sum_i
\log\mathcal N(x_i; \mu, \sigma^2)``, or ``\nabla_{\tilde x} \log q_\sigma(\tilde x \mid x)`` where the document
declares ``q_\sigma(\tilde x \mid x) = \mathcal N(\tilde x; x, \sigma^2 I)`` (:func:`reparameterised.laws_in`),
``\log p(x)`` after ``p = \mathcal N(\mu, \sigma^2)`` -- has nothing to act on as read: the density is an
undefined function. Here it is replaced by ``-\frac{(v-m)^2}{2 s} - \frac12\log(2\pi s)`` (s the variance),
the derivative is taken, and the ordinary comparison of the step decides.

* A vector density with an isotropic covariance (``\sigma^2 I``, bold names) is compared per coordinate, which
  is exact for a derivative by its variable or its mean; a derivative by a parameter of the variance of a
  vector density (d coordinates share it), a matrix-like second argument (``\Sigma``, S, bold) or products of
  vectors (``^\top``, ``\cdot``, norms) leave the step to the other checks.
* N's second argument written as a square (``\sigma^2``) or a number is a variance; otherwise (``\mathcal
  N(\mu, \sigma)``) it may be a standard deviation: the step is judged under both readings, proved only
  when it holds under both and flagged only when it fails under both.
* A name whose dependence on the variable is not shown (an accented name, L, J) keeps the step unchecked.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import sympy

from derivspec.scan.reader import IMPLICIT_NAME, is_opaque_function, read_document

_NORMAL = re.compile(r"^(?:\\mathcal\{N\}\[[;|,],\]|N\[[;|],\])$")
_VECTOR_PRODUCT = re.compile(r"\\top|\\intercal|\^\s*\{?\s*T\b|\\cdot|\\\||\\[lr]?Vert|\\langle|"
                             r"\\operatorname\s*\{\s*tr|"
                             r"\\mathrm\s*\{\s*tr|\\det|\\otimes|\\times")
_BOLD = re.compile(r"\\(?:mathbf|boldsymbol|bm|vec|pmb|symbf)")


@dataclass(frozen=True)
class Reading:
    label: str  # "" (one reading), "a variance", "a standard deviation"
    rewrite: object  # expr -> expr with every log-density written out and derivatives taken (ValueError: none)
    shown: str  # the closed forms used, in the lecture's names
    per_coordinate: bool  # vectors compared per coordinate (isotropic covariance)


def _matrix_like(expr) -> bool:
    for s in expr.free_symbols:
        name = re.sub(r"^(?:\\[a-z]+\s*)*\\?", "", s.name.replace("{", " ").strip())
        if _BOLD.search(s.name) or name[:1].isupper() or s.name.startswith("⟦"):
            return True
    return any(is_opaque_function(a) and not isinstance(a, sympy.Symbol) for a in sympy.preorder_traversal(expr))


def _declared(laws, definitions, names) -> dict:
    """Function name -> (argument symbols of the declared density, (v, m, s, written as a variance));
    ``laws``: (density, mean, variance text, written as a variance) as the document declares them."""
    found = {}
    for density, mean_text, variance_text, marked in laws:
        try:
            head = read_document(density, names).expr
            mean, spread = read_document(mean_text, names).expr, read_document(variance_text, names).expr
        except Exception:
            continue
        if not (is_opaque_function(head) and not isinstance(head, sympy.Symbol) and head.args
                and all(isinstance(a, sympy.Symbol) for a in head.args) and len(set(head.args)) == len(head.args)):
            continue
        if _matrix_like(spread):
            continue
        found[head.func.__name__] = (head.args, (head.args[0], mean, spread, marked or _square(spread)))
    for symbol, value in definitions.items():  # p = N(mu, sigma^2): p(x) is N(x; mu, sigma^2)
        if (is_opaque_function(value) and not isinstance(value, sympy.Symbol)
                and value.func.__name__ == r"\mathcal{N}[,]"):
            mean, spread = value.args
            if not _matrix_like(spread):
                v = sympy.Dummy("v")
                found[symbol.name] = ((v,), (v, mean, spread, _square(spread)))
    return found


def _square(spread) -> bool:
    return spread.is_number or (isinstance(spread, sympy.Pow) and spread.exp == 2)


def _law_of(node, declared) -> tuple | None:
    """(v, m, s, written as a variance) of a normal density application, or None."""
    if not is_opaque_function(node) or isinstance(node, sympy.Symbol):
        return None
    name = node.func.__name__
    if _NORMAL.match(name) and len(node.args) == 3:
        v, m, s = node.args
        if _matrix_like(s):
            return None
        return v, m, s, _square(s)
    if name in declared:
        params, (v, m, s, marked) = declared[name]
        if len(params) != len(node.args):
            return None
        table = dict(zip(params, node.args))
        return tuple(e.xreplace(table) for e in (v, m, s)) + (marked,)
    return None


def _laws_under_derivatives(expr, declared, inside: bool = False) -> list:
    """The normal laws of the densities a derivative acts on (a ``Subs`` point put in: d/dsigma of
    N(x; mu, sigma^2) reads as the derivative by xi at xi = sigma^2)."""
    if isinstance(expr, sympy.Subs):
        table = dict(zip(expr.variables, expr.point))
        return [tuple(e.xreplace(table) for e in law[:3]) + (law[3] or _square(law[2].xreplace(table)),)
                for law in _laws_under_derivatives(expr.expr, declared, inside)]
    if inside:
        law = _law_of(expr, declared)
        if law is not None:
            return [law]
    inside = inside or isinstance(expr, sympy.Derivative)
    return [law for arg in expr.args for law in _laws_under_derivatives(arg, declared, inside)]


def _constant(symbol, variable) -> bool:
    if symbol == variable or symbol.name.startswith("⟦range"):
        return True
    return not (IMPLICIT_NAME.match(symbol.name) and symbol.name not in (r"\sigma", r"\pi")) \
        and not symbol.name.startswith("⟦")


def _derivative(argument, variable, count):
    """d^count/dvariable^count of ``argument`` once its dependence on the variable is shown."""
    letter = re.sub(r"_.*$", "", variable.name)
    for node in sympy.preorder_traversal(argument):
        if is_opaque_function(node) and not isinstance(node, sympy.Symbol):
            name = node.func.__name__
            if "•" not in name or name.split("_")[0] == letter or not all(
                    isinstance(a, sympy.Symbol) and a.is_integer for a in node.args):
                raise ValueError("a function whose dependence on the variable is not shown")
    if not all(_constant(s, variable) for s in argument.free_symbols):
        raise ValueError("a name that may depend on the variable")
    return sympy.diff(argument, variable, count)


def _rewriter(declared, variance: bool):
    def closed(law):
        v, m, s, marked = law
        s2 = s if (variance or marked) else s ** 2
        return -(v - m) ** 2 / (2 * s2) - sympy.log(2 * sympy.pi * s2) / 2

    def rewrite(expr):
        expr = expr.replace(lambda e: isinstance(e, sympy.log) and _law_of(e.args[0], declared) is not None,
                            lambda e: closed(_law_of(e.args[0], declared)))
        expr = expr.replace(lambda e: _law_of(e, declared) is not None,
                            lambda e: sympy.exp(closed(_law_of(e, declared))))
        expr = expr.replace(lambda d: isinstance(d, sympy.Derivative) and is_opaque_function(d.expr)
                            and d.expr.func.__name__ == "⟦d⟧",
                            lambda d: _derivative(d.expr.args[0], *d.variable_count[0]))
        expr = expr.replace(lambda e: isinstance(e, (sympy.Derivative, sympy.Subs)), lambda e: e.doit())
        expr = expr.replace(lambda e: isinstance(e, sympy.Sum), lambda e: sympy.Sum(sympy.factor_terms(
            sympy.cancel(sympy.expand(e.function))), *e.limits))
        if any(isinstance(e, (sympy.Derivative, sympy.Subs)) for e in sympy.preorder_traversal(expr)):
            raise ValueError("a derivative left")
        if any(_law_of(e, declared) is not None for e in sympy.preorder_traversal(expr)):
            raise ValueError("a density left")
        return expr
    return rewrite


def latex(expr) -> str:
    """``expr`` in the lecture's names (an indexed name x_{•}(i) as x_{i})."""
    def indexed(e):
        if not all(isinstance(a, sympy.Symbol) for a in e.args):
            return e
        return sympy.Symbol(e.func.__name__.replace("•", ",".join(a.name for a in e.args)))
    shown = expr.replace(lambda e: is_opaque_function(e) and not isinstance(e, sympy.Symbol)
                         and "•" in e.func.__name__, indexed)
    return sympy.latex(shown, symbol_names={s: s.name for s in shown.free_symbols})


def _closed_text(v, m, s2) -> str:
    s_text = latex(s2) if not isinstance(s2, sympy.Add) else f"({latex(s2)})"
    return f"-\\frac{{({latex(v)} - {latex(m)})^2}}{{2 {s_text}}} - \\frac12\\log(2\\pi {s_text})"


def readings(left, right, left_text: str, right_text: str, laws=(), definitions=None, names=None) -> list | None:
    """The readings under which a step differentiating a Gaussian log-density is compared, or None
    when the step differentiates none (or one this module does not read soundly)."""
    declared = _declared(laws, definitions or {}, names) if names is not None else {}
    found = _laws_under_derivatives(left.expr, declared) + _laws_under_derivatives(right.expr, declared)
    if not found:
        return None
    flags = left.flags | right.flags
    vector = bool({"matrix", "vector"} & flags) or any(
        _BOLD.search(s.name) for law in found for e in law[:3] for s in e.free_symbols)
    if vector:
        if _VECTOR_PRODUCT.search(left_text + " " + right_text):
            return None
        variables = {v for side in (left.expr, right.expr) for d in sympy.preorder_traversal(side)
                     if isinstance(d, sympy.Derivative) for v in d.variables}
        if any(isinstance(e, sympy.Subs) for side in (left.expr, right.expr) for e in sympy.preorder_traversal(side)):
            return None
        if any(variables & law[2].free_symbols for law in found):
            return None  # d coordinates share the variance: not a per-coordinate statement
    ambiguous = not all(law[3] for law in found)
    out = []
    for variance in ((True, False) if ambiguous else (True,)):
        shown = []
        for v, m, s, marked in dict.fromkeys(found):
            s2 = s if (variance or marked) else s ** 2
            shown.append(f"\\log \\mathcal{{N}}({latex(v)}; {latex(m)}, {latex(s2)}) as {_closed_text(v, m, s2)}")
        label = "" if not ambiguous else ("a variance" if variance else "a standard deviation")
        out.append(Reading(label, _rewriter(declared, variance), "; ".join(dict.fromkeys(shown)), vector))
    return out
