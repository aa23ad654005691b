r"""KL divergences, entropies and cross-entropies of distributions written through one quantity.

Every one of them is an expectation of a log-density: with ``E_A[log b]`` the expected log of the
density of ``B`` under ``A``,

* ``\mathrm{KL}(A \| B) = E_A[\log a] - E_A[\log b]``;
* ``H(A) = -E_A[\log a]`` and the cross-entropy ``H(A, B) = \mathrm{CE}(A, B) = -E_A[\log b]``
  (for distribution letters p, q, P, Q, \pi, with or without a subscript: ``H(X, Y)`` of random
  variables is a joint entropy, :mod:`derivspec.scan.algebra`);
* a lecture's own ``\mathbb E_{x \sim A}[\log b(x)]``, ``\mathbb E_{A}[\cdot]``,
  ``\int a(x) \log b(x)\,dx`` and ``\sum_y a(y) \log b(y)`` (after linearity) are the same
  quantity.

The rewriting holds for every pair of distributions, so a step that changes how these terms are
combined (``\mathrm{KL}(p\|q) = \mathbb E_p[\log q(x) - \log p(x)]``) is wrong whatever p and q are.

Names: a distribution written as a name (``p_{\text{data}}``, ``P``) and its density at the
expectation's variable (``p_{\text{data}}(x)``, ``p(x)``) are one distribution (letters compared
without case: ``P`` and ``p(x)``); a density of several arguments (``q_\phi(z \mid x)``) is one
distribution with exactly those arguments; parameters after the bar move to the subscript
(``p(x \mid \theta)`` is ``p_\theta(x)``). Anything else is left as written.
"""

from __future__ import annotations

import re

import sympy
from sympy.utilities.iterables import sift

from derivspec.scan.reader import application_parts, is_opaque_function
from derivspec.scan import scope
from derivspec.scan.notation import role_letters

CROSS = sympy.Function("⟨E log⟩")  # CROSS(A, B) = E_A[log b], A and B distribution keys (symbols)
PARAMETERS = role_letters("information-parameter")  # a guess: derivspec/data/knowledge/notation.toml
_KL = re.compile(r"^(?:KL|D_KL|D_\{KL\}|\\mathrm\{KL\}|\\mathbb\{KL\}|D_\{\\mathrm\{KL\}\}|D_\{\\text\{KL\}\})$")
_FONT = re.compile(r"\\(?:mathrm|text|textrm|operatorname|mathit|mathsf|mathcal|mathbf|boldsymbol)\s*\{([^{}]*)\}")


def _normal(text: str) -> str:
    previous = None
    while previous != text:
        previous = text
        text = _FONT.sub(r"\1", text)
    return re.sub(r"[\s{}]|\\[,;:!]", "", text).lower()


def _key_symbol(text: str) -> sympy.Symbol:
    return sympy.Symbol(f"⟦dist {text}⟧")


def distribution_key(expr) -> tuple[sympy.Symbol, object] | None:
    """(key, variable) of a distribution written as a name (variable None) or as a density
    (``p(x)``: key p, variable x; ``q(z | x)``: key q(z|x), variable z); None if it is neither."""
    if isinstance(expr, sympy.Symbol):
        if expr.name.startswith(("⟦", "⟪", "⟨")) or not scope.is_density(expr.name):
            return None
        return _key_symbol(_normal(expr.name)), None
    if not is_opaque_function(expr):
        return None
    head, seps, square = application_parts(expr.func.__name__)
    if square or not scope.is_density(head) or not all(isinstance(a, sympy.Symbol) for a in expr.args):
        return None
    args = list(expr.args)
    seps = list(seps)
    # parameters after the bar name the model: p(x | theta) is p_theta(x)
    params = []
    while len(args) > 1 and args[-1].name in PARAMETERS and "|" in seps:
        params.insert(0, args.pop().name)
        seps.pop()
    if params:
        if "_" in head:
            return None
        head = head + "_{" + ",".join(params) + "}"
    if len(args) == 1:
        return _key_symbol(_normal(head)), args[0]
    text = _normal(head) + "(" + args[0].name + "".join(s + a.name for s, a in zip(seps, args[1:])) + ")"
    return _key_symbol(text), args[0]


def kl_terms(expr, log_base=None) -> sympy.Expr | None:
    """``KL(A || B)``, ``H(A)``, ``H(A, B)`` or ``CE(A, B)`` of distributions through
    :data:`CROSS` (natural logs), in the unit of the reading's logs (``log_base`` 2: bits);
    None for anything else."""
    terms = _kl_terms(expr)
    if terms is None or log_base is None:
        return terms
    return terms / sympy.log(log_base)


def _kl_terms(expr) -> sympy.Expr | None:
    head, seps, square = application_parts(expr.func.__name__)
    head = head.replace(" ", "")
    keys = [distribution_key(a) for a in expr.args]
    if any(k is None for k in keys):
        return None
    if _KL.match(head) and seps == "‖" and len(keys) == 2:
        a, b = keys[0][0], keys[1][0]
        return CROSS(a, a) - CROSS(a, b)
    if _normal(head) in ("h",) and not seps and len(keys) == 1:
        a = keys[0][0]
        return -CROSS(a, a)
    if _normal(head) in ("h", "ce") and seps == "," and len(keys) == 2:
        return -CROSS(keys[0][0], keys[1][0])
    return None


def _factor_kinds(product) -> dict:
    """The factors of ``product`` by kind: "number", "log" and "other"."""
    return sift(sympy.Mul.make_args(product),
                lambda f: "number" if f.is_number else "log" if isinstance(f, sympy.log) else "other")


def _log_density_terms(body, variable):
    """body = sum of c * log(density) -> [(c, key)] with every density at ``variable`` (or one
    common variable when it is None); None otherwise."""
    out = []
    seen = variable
    for term in sympy.Add.make_args(sympy.expand(body)):
        kinds = _factor_kinds(term)
        if kinds["other"] or len(kinds["log"]) != 1:
            return None
        coefficient, logs = sympy.Mul(*kinds["number"]), kinds["log"]
        found = distribution_key(logs[0].args[0])
        if found is None or found[1] is None:
            return None
        key, var = found
        if seen is None:
            seen = var
        if var != seen:
            return None
        out.append((coefficient, key))
    return out


EXPECTATION_HEAD = re.compile(r"^(?:\\mathbb\{E\}|E|\\mathrm\{E\}|\\mathbf\{E\})_(?:\{(.*)\}|(.))$")  # E_{...}


def subscript_distribution(head: str, names) -> tuple[sympy.Symbol, object] | None:
    r"""The distribution an expectation's subscript names: ``E_{x \sim p}`` (key p, variable x),
    ``E_{p_{\text{data}}}``, ``E_{q_\phi(z|x)}``, ``E_{z \sim q(z|x)}``."""
    from derivspec.scan.reader import read_document

    m = EXPECTATION_HEAD.match(head)
    if not m:
        return None
    sub = m.group(1) if m.group(1) is not None else m.group(2)
    variable = None
    if r"\sim" in sub:
        left, sub = sub.split(r"\sim", 1)
        if not re.fullmatch(r"[A-Za-z]", left.strip()):
            return None
        variable = sympy.Symbol(left.strip())
    if "(" not in sub:  # a name (its braces and fonts already gone from the head: p_data)
        if not scope.is_density(sub):
            return None
        return _key_symbol(_normal(sub)), variable
    try:
        expr = read_document(sub, names).expr
    except Exception:
        return None
    found = distribution_key(expr)
    if found is None:
        return None
    key, var = found
    if variable is not None and var is not None and var.name != variable.name:
        return None
    return key, (variable if variable is not None else var)


def expectation_terms(expr, names) -> sympy.Expr | None:
    """A subscripted expectation of log-densities (after linearity) through :data:`CROSS`."""
    head, seps, square = application_parts(expr.func.__name__)
    if seps or len(expr.args) != 1:
        return None
    found = subscript_distribution(head, names)
    if found is None:
        return None
    key, variable = found
    if variable is not None:
        variable = next((s for s in expr.args[0].free_symbols if s.name == variable.name), variable)
    terms = _log_density_terms(expr.args[0], variable)
    if terms is None:
        return None
    return sympy.Add(*[c * CROSS(key, k) for c, k in terms])


def integral_terms(expr, over_support=lambda weight, variable, bound: False) -> sympy.Expr | None:
    r"""``\int a(x) \log b(x)\,dx`` over the whole line (no limits, or -oo..oo) and ``\sum_y a(y)
    \log b(y)`` over every y through :data:`CROSS`; a sum whose index carries a condition only where
    ``over_support(a, y, condition)`` says the condition is a's own support (probability.over_support)."""
    if len(expr.limits) != 1:
        return None
    limit = expr.limits[0]
    variable = limit[0]
    if isinstance(expr, sympy.Integral):
        if len(limit) == 3 and not (limit[1] == -sympy.oo and limit[2] == sympy.oo):
            return None
    elif len(limit) != 3 or not (isinstance(limit[2], sympy.Symbol) and (limit[2].name.startswith("⟦range")
                                                                          or limit[2].name.startswith("⟦where "))):
        return None
    kinds = _factor_kinds(expr.function)
    coefficient, logs, weights = sympy.Mul(*kinds["number"]), kinds["log"], kinds["other"]
    if len(weights) != 1 or len(logs) != 1:
        return None
    if not isinstance(expr, sympy.Integral) and limit[2].name.startswith("⟦where ") and \
            not over_support(weights[0], variable, limit[2]):
        return None
    a = distribution_key(weights[0])
    b = distribution_key(logs[0].args[0])
    if a is None or b is None or a[1] != variable or b[1] != variable:
        return None
    return coefficient * CROSS(a[0], b[0])
