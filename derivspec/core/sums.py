r"""Sums over a symbolic number of terms, \sum_{i=1}^N f(x_i), by linearity.

SymPy keeps ``Sum`` objects whole: it neither splits ``\sum_i (a_i + b_i)`` nor pulls a factor
free of the index out, and two sums that differ only in the name of their index compare unequal.
:func:`linear_form` does exactly those three things (linearity of a finite sum, a constant
factor, the name of a bound index), so that two expressions built from sums of polynomials in
the items are equal for every N exactly when their linear forms are equal (a sum of a term free
of the index is N times the term). :func:`solve_linear_in_sums` solves an equation in which the
unknown appears outside the sums only (a stationarity condition of a log-likelihood), treating
each sum as a name.
"""

from __future__ import annotations

import sympy


def _split(s: sympy.Sum) -> sympy.Expr:
    """One sum over one index written as a combination of sums of monomials in the items."""
    if len(s.limits) != 1:
        return s
    index, low, high = s.limits[0]
    total = sympy.Integer(0)
    for term in sympy.Add.make_args(sympy.expand(s.function)):
        constant, rest = sympy.Integer(1), sympy.Integer(1)
        for factor in sympy.Mul.make_args(term):
            if index in factor.free_symbols:
                rest *= factor
            else:
                constant *= factor
        total += constant * (high - low + 1 if rest == 1 else sympy.Sum(rest, (index, low, high)))
    return total


def _canonical_index(s: sympy.Sum) -> sympy.Sum:
    (index, low, high), = s.limits
    fresh = sympy.Dummy("i", integer=True)
    canonical = sympy.Symbol("ι", integer=True)  # one name for the bound index of every single sum
    return sympy.Sum(s.function.xreplace({index: fresh}).xreplace({fresh: canonical}), (canonical, low, high))


def linear_form(expr: sympy.Expr) -> sympy.Expr:
    """``expr`` with every sum split by linearity, constants pulled out and its index renamed; a
    sum inside another that does not use the outer index is a constant there (x_i - \\bar x with
    \\bar x = (1/N)\\sum_j x_j)."""
    previous = None
    for _ in range(8):
        if expr == previous:
            break
        previous = expr
        expr = expr.replace(lambda e: isinstance(e, sympy.Sum) and len(e.limits) == 1 and not any(
            isinstance(a, sympy.Sum) and e.limits[0][0] in a.free_symbols
            for a in sympy.preorder_traversal(e.function)), _split)
        expr = sympy.expand(expr)
    return expr.replace(lambda e: isinstance(e, sympy.Sum) and len(e.limits) == 1, _canonical_index)


def solve_linear_in_sums(equation: sympy.Expr, unknown: sympy.Symbol) -> sympy.Expr:
    """The one solution of ``equation = 0`` for ``unknown``, the sums of its linear form taken
    as names (none of them may contain the unknown)."""
    form = linear_form(equation)
    sums = sorted({s for s in sympy.preorder_traversal(form) if isinstance(s, sympy.Sum)}, key=sympy.default_sort_key)
    if any(unknown in s.free_symbols for s in sums):
        raise ValueError("the unknown appears inside a sum")
    names = {s: sympy.Dummy(f"S{k}") for k, s in enumerate(sums)}
    solutions = sympy.solve(form.xreplace(names), unknown)
    if len(solutions) != 1:
        raise ValueError(f"expected one solution for {unknown}, found {len(solutions)}")
    return solutions[0].xreplace({v: k for k, v in names.items()})
