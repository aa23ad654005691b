r"""Sums and products up to a symbolic limit, written out for small values of the limit.

A telescoping step such as ``\sum_{t=2}^T \log\frac{q(x_{t-1}|x_0)}{q(x_t|x_0)} = \log\frac{q(x_1|x_0)}{q(x_T|x_0)}``
(the DDPM bound, Ho et al. 2020, eq. 5) is a statement for every T. SymPy does not telescope sums of
opaque terms, so the step is also compared with T = 3, 4, 5, 6 substituted and every sum expanded:
``x_{t-1}`` at t = 2 is ``x_1``, ``x_T`` at T = 4 is ``x_4``. Holding for each value is evidence for
every T, not a proof; failing for each is a counterexample at T = 3 (judged by the usual rules).
"""

from __future__ import annotations

import re
from typing import Callable

import sympy

from derivspec.scan.reader import where_condition

LIMIT_VALUES = (3, 4, 5, 6)
_SUBSCRIPTED = re.compile(r"^(.*)_\{([^{}]*)\}$")
_ARITHMETIC = re.compile(r"^[\d+\-\s]+$")
_MOMENT_HEAD = re.compile(r"\\mathbb\{E\}|\\math(?:rm|bf)\{(?:E|Var|Cov|V)\}|\\operatorname\{(?:Var|Cov)\}|^(?:E|Var|Cov|V)(?![A-Za-z])")


def limit_symbol(*exprs: sympy.Expr) -> sympy.Symbol | None:
    """The one free symbol in the limits of the sums and products of ``exprs`` (T in
    ``\\sum_{t=1}^T``), or None when there is none or more than one."""
    found = set()
    for expr in exprs:
        for node in sympy.preorder_traversal(expr):
            if isinstance(node, (sympy.Sum, sympy.Product)):
                for _, low, high in node.limits:
                    found |= (sympy.sympify(low).free_symbols | sympy.sympify(high).free_symbols)
    found = {s for s in found if where_condition(s) is None}  # an index under a condition has no limit
    return found.pop() if len(found) == 1 else None


def _index(subscript: str, name: str, value: int, item: int | None = None) -> int | None:
    """The subscript as a number: ``T-1`` with T = 4 is 3, ``•-1`` (the item x_{t-1}) at t = 2 is 1;
    None when it is not arithmetic in the limit (and the item)."""
    limit = r"(?<![A-Za-z\\])" + re.escape(name) + r"(?![A-Za-z])"
    if item is None and not re.search(limit, subscript):
        return None
    text = re.sub(limit, str(value), subscript if item is None else subscript.replace("•", str(item)))
    return int(sympy.sympify(text)) if _ARITHMETIC.match(text) else None


def written_out(expr: sympy.Expr, limit: sympy.Symbol, value: int,
                symbol_for: Callable[[str], sympy.Symbol]) -> sympy.Expr:
    """``expr`` with ``limit`` = ``value``: every sum and product expanded into its terms, ``x_{•-1}(2)``
    (the item x_{t-1} at t = 2) and ``x_{T}`` renamed to the item they are (``x_{1}``, ``x_{4}``)."""
    renames = {}
    for symbol in expr.free_symbols:
        match = _SUBSCRIPTED.match(symbol.name)
        if match and symbol != limit:
            number = _index(match.group(2), limit.name, value)
            if number is not None:
                renames[symbol] = symbol_for(f"{match.group(1)}_{{{number}}}")
    expr = expr.xreplace({limit: sympy.Integer(value), **renames})
    expr = expr.replace(lambda e: isinstance(e, (sympy.Sum, sympy.Product)) and all(
        sympy.sympify(b).is_Integer for _, low, high in e.limits for b in (low, high)), lambda e: e.doit())

    def item(e) -> bool:
        if not (isinstance(e, sympy.core.function.AppliedUndef) and len(e.args) == 1 and e.args[0].is_Integer):
            return False
        match = _SUBSCRIPTED.match(e.func.__name__)
        return bool(match) and match.group(2).count("•") == 1

    def named(e):
        head, subscript = _SUBSCRIPTED.match(e.func.__name__).groups()
        number = _index(subscript, limit.name, value, item=int(e.args[0]))
        return e if number is None else symbol_for(f"{head}_{{{number}}}")

    return expr.replace(item, named)


def has_moments(expr: sympy.Expr) -> bool:
    """An expectation, variance or covariance in ``expr`` (their products may rest on independence)."""
    return any(isinstance(node, sympy.core.function.AppliedUndef) and _MOMENT_HEAD.search(node.func.__name__)
               for node in sympy.preorder_traversal(expr))
