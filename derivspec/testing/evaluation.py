"""Exact values of a claim's target and a bound on the rounding error of computing it in floats.

A user's function computes the target in floating point; the check compares its output with the
target evaluated at 50 significant digits (mpmath, as :mod:`derivspec.core.symbolic` does) and
allows the error a floating-point evaluation can make at that input. The allowance is the
classical first-order running error bound (Higham, *Accuracy and Stability of Numerical
Algorithms*, 2nd ed., §3.1 and §3.3; Wilkinson's running error analysis): every operation
``fl(a op b) = (a op b)(1 + d)``, ``|d| <= u``, so with ``e(a)`` the error bound of an operand in
units of the unit roundoff ``u``,

* ``e(a_1 + ... + a_n) = sum e(a_i) + (n - 1) sum |a_i|`` (cancellation: the terms' magnitude);
* ``e(a_1 ... a_n) = sum_i e(a_i) prod_{j != i} |a_j| + (n - 1) |prod a_i|``;
* ``e(f(a)) = |f'(a)| e(a) + |f(a)|`` for an elementary function (``exp``, ``log``, ``tanh``, ...);
* a symbol's bound is the rounding of the input the user's function was handed.

The bound describes the target's own expression; the check multiplies it by a slack factor
(:data:`derivspec.testing.conforms.ROUNDING_SLACK`) because a user's algebraically equal form
rounds differently. It is a bound on rounding only: an overflow to inf is not rounding and is
reported as numerical instability.
"""

from __future__ import annotations

from typing import Callable, Mapping

import mpmath
import sympy

UNIT = 2.0 ** -53  # float64's unit roundoff, the default of the second-order terms
DIGITS = 50  # significant digits of the exact evaluation (derivspec.core.symbolic.DIGITS)
CONFIRM_DIGITS = 120  # a failure's expected value is recomputed at this precision before it is reported


class Undefined(Exception):
    """The expression has no finite real value at this point (a pole, log of a negative, ...)."""


Value = tuple  # (mpf value, mpf error bound in units of u)


class Compiled:
    """An expression compiled once for many points: ``compiled(values)`` with ``values`` mapping each
    symbol to ``(value, error bound)`` returns ``(value, error bound)`` at ``digits`` digits.
    Common subexpressions are computed once per call (a memo keyed by the node)."""

    def __init__(self, expr: sympy.Expr):
        self.expr = sympy.sympify(expr)
        self.symbols = frozenset(self.expr.free_symbols)
        built: dict = {}

        def build(e) -> Callable:
            if e in built:
                return built[e]
            f = _build(e, build)

            def memoised(env, f=f, e=e):
                memo = env["__memo__"]
                if e in memo:
                    return memo[e]
                value = f(env)
                memo[e] = value
                return value

            built[e] = memoised
            return memoised

        self._root = build(self.expr)

    def __call__(self, values: Mapping, digits: int = DIGITS, unit: float = UNIT, rounding: bool = True) -> Value:
        """``unit``: the unit roundoff of the type the function computes in; only second-order terms
        (a square at its minimum, a product of two rounded factors) use it. ``rounding`` False: the bound
        counts only the symbols' errors carried through the expression (first order, with absolute values:
        the sensitivity to the inputs' rounding), no rounding of the operations themselves."""
        value, carried, own = self.parts(values, digits, unit)
        return value, carried + own if rounding else carried

    def parts(self, values: Mapping, digits: int = DIGITS, unit: float = UNIT) -> tuple:
        """``(value, carried, own)``: the value, the symbols' errors carried through the expression, and the
        rounding of the expression's own operations (both in units of ``unit``, first order)."""
        env = {s: (v, Bound(e, ZERO)) for s, (v, e) in values.items()}
        env["__memo__"] = {}
        env["__unit__"] = mpmath.mpf(unit)
        with mpmath.workdps(digits):
            try:
                value, error = self._root(env)
            except (ZeroDivisionError, ValueError, OverflowError, TypeError) as failure:
                raise Undefined(str(failure)) from None
            return _real(value), error.carried, error.own


ZERO = mpmath.mpf(0)


class Bound:
    """An error bound in two parts: ``carried`` (the inputs' errors carried through) and ``own`` (the
    operations' own roundings and what they carry on). Linear: sums, and products by a number."""

    __slots__ = ("carried", "own")

    def __init__(self, carried=ZERO, own=ZERO):
        self.carried, self.own = carried, own

    def __add__(self, other):
        if isinstance(other, Bound):
            return Bound(self.carried + other.carried, self.own + other.own)
        if other == 0:
            return self
        return NotImplemented

    __radd__ = __add__

    def __mul__(self, factor):
        return Bound(self.carried * factor, self.own * factor)

    __rmul__ = __mul__

    def __truediv__(self, divisor):
        return Bound(self.carried / divisor, self.own / divisor)

    @property
    def total(self):
        return self.carried + self.own

    def __bool__(self) -> bool:
        return bool(self.carried or self.own)


def _own(term) -> Bound:
    """An operation's own rounding."""
    return Bound(ZERO, term)


def _second(first: Bound, second: Bound, unit) -> Bound:
    """A second-order term e₁·e₂·u: carried where both errors are, own otherwise."""
    carried = first.carried * second.carried * unit
    return Bound(carried, first.total * second.total * unit - carried)


def _real(value):
    if isinstance(value, mpmath.mpc):
        if value.imag != 0:
            raise Undefined("complex value")
        value = value.real
    if not mpmath.isfinite(value):
        raise Undefined("not finite")
    return value


def _derivative(function: str) -> Callable:
    """f'(a) given (a, f(a)) for the elementary functions the catalogue uses."""
    table = {
        "tanh": lambda a, v: 1 - v * v,
        "sinh": lambda a, v: mpmath.cosh(a),
        "cosh": lambda a, v: mpmath.sinh(a),
        "sin": lambda a, v: mpmath.cos(a),
        "cos": lambda a, v: -mpmath.sin(a),
        "tan": lambda a, v: 1 + v * v,
        "atan": lambda a, v: 1 / (1 + a * a),
        "asin": lambda a, v: 1 / mpmath.sqrt(1 - a * a),
        "acos": lambda a, v: -1 / mpmath.sqrt(1 - a * a),
        "asinh": lambda a, v: 1 / mpmath.sqrt(a * a + 1),
        "acosh": lambda a, v: 1 / mpmath.sqrt(a * a - 1),
        "atanh": lambda a, v: 1 / (1 - a * a),
        "erf": lambda a, v: 2 / mpmath.sqrt(mpmath.pi) * mpmath.exp(-a * a),
        "erfc": lambda a, v: -2 / mpmath.sqrt(mpmath.pi) * mpmath.exp(-a * a),
        "loggamma": lambda a, v: mpmath.digamma(a),
        "gamma": lambda a, v: v * mpmath.digamma(a),
        "factorial": lambda a, v: v * mpmath.digamma(a + 1),
    }
    return table[function]


_UNARY = {
    sympy.tanh: ("tanh", mpmath.tanh), sympy.sinh: ("sinh", mpmath.sinh), sympy.cosh: ("cosh", mpmath.cosh),
    sympy.sin: ("sin", mpmath.sin), sympy.cos: ("cos", mpmath.cos), sympy.tan: ("tan", mpmath.tan),
    sympy.atan: ("atan", mpmath.atan), sympy.asin: ("asin", mpmath.asin), sympy.acos: ("acos", mpmath.acos),
    sympy.asinh: ("asinh", mpmath.asinh), sympy.acosh: ("acosh", mpmath.acosh), sympy.atanh: ("atanh", mpmath.atanh),
    sympy.erf: ("erf", mpmath.erf), sympy.erfc: ("erfc", mpmath.erfc), sympy.loggamma: ("loggamma", mpmath.loggamma),
    sympy.gamma: ("gamma", mpmath.gamma), sympy.factorial: ("factorial", lambda a: mpmath.gamma(a + 1)),
}


def compile_expression(expr: sympy.Expr) -> Compiled:
    """``expr`` compiled for repeated exact evaluation with rounding-error bounds."""
    return Compiled(expr)


def _build(e, build) -> Callable:
    if e.is_Symbol:
        def symbol(env, e=e):
            if e not in env:
                raise Undefined(f"no value for {e}")
            return env[e]
        return symbol
    if e.is_Integer:
        value = int(e)
        return lambda env: (mpmath.mpf(value), Bound() if abs(value) < 2 ** 53 else _own(abs(mpmath.mpf(value))))
    if e.is_Rational:
        p, q = int(e.p), int(e.q)
        dyadic = q & (q - 1) == 0
        return lambda env: (mpmath.mpf(p) / q, Bound() if dyadic else _own(abs(mpmath.mpf(p) / q)))
    if e.is_Float:
        return lambda env: (mpmath.mpf(e._to_mpmath(mpmath.mp.prec)), _own(abs(mpmath.mpf(e._to_mpmath(mpmath.mp.prec)))))
    if isinstance(e, sympy.NumberSymbol):
        return lambda env: (e._to_mpmath(mpmath.mp.prec), _own(abs(e._to_mpmath(mpmath.mp.prec))))
    if e in (sympy.zoo, sympy.nan, sympy.oo, -sympy.oo) or e is sympy.I:
        def undefined(env):
            raise Undefined(str(e))
        return undefined
    if e.is_Add:
        parts = [build(a) for a in e.args]

        def add(env):
            values = [p(env) for p in parts]
            total = mpmath.fsum(v for v, _ in values)
            magnitude = mpmath.fsum(abs(v) for v, _ in values)
            return total, sum((err for _, err in values), Bound()) + _own((len(values) - 1) * magnitude)
        return add
    if e.is_Mul:
        parts = [build(a) for a in e.args]

        def mul(env):
            values = [p(env) for p in parts]
            total = mpmath.mpf(1)
            for v, _ in values:
                total *= v
            error = Bound()
            for i, (_, err) in enumerate(values):
                if err:
                    others = mpmath.mpf(1)
                    for j, (v, _) in enumerate(values):
                        if j != i:
                            others *= abs(v)
                    error += err * others
            if len(values) == 2:  # second order: both factors rounded (a product at a zero of both)
                error += _second(values[0][1], values[1][1], env["__unit__"])
            return total, error + _own((len(values) - 1) * abs(total))
        return mul
    if e.is_Pow:
        base, exponent = e.args
        b = build(base)
        if exponent.is_Number:
            n = mpmath.mpf(exponent.p) / exponent.q if exponent.is_Rational else mpmath.mpf(float(exponent))
            integer = exponent.is_Integer

            def power(env):
                bv, be = b(env)
                if bv == 0 and n < 0:
                    raise Undefined("division by zero")
                if bv < 0 and not integer:
                    raise Undefined("fractional power of a negative number")
                value = bv ** int(n) if integer else (mpmath.sqrt(bv) if n == 0.5 else mpmath.power(bv, n))
                value = _real(value)
                slope = abs(n * value / bv) if bv != 0 else (mpmath.mpf(0) if n >= 1 else mpmath.mpf(1))
                error = slope * be + _own((1 if abs(n) in (0.5, 1, 2, -1) else 2) * abs(value))
                if integer and n >= 2 and be:  # second order: (b + δ)^n - b^n at a zero of b's derivative
                    error += n * (n - 1) / 2 * abs(bv) ** (n - 2) * _second(be, be, env["__unit__"])
                return value, error
            return power
        x = build(exponent)

        def general_power(env):
            bv, be = b(env)
            xv, xe = x(env)
            if bv <= 0:
                if bv == 0 and xv > 0:
                    return mpmath.mpf(0), Bound()
                raise Undefined("power of a non-positive base")
            value = _real(mpmath.power(bv, xv))
            return value, abs(value) * (abs(mpmath.log(bv)) * xe + abs(xv) / abs(bv) * be + _own(2))
        return general_power
    if isinstance(e, sympy.exp):
        a = build(e.args[0])

        def exp(env):
            av, ae = a(env)
            value = _real(mpmath.exp(av))
            return value, value * (ae + _own(1))
        return exp
    if isinstance(e, sympy.log):
        a = build(e.args[0])
        base = build(e.args[1]) if len(e.args) > 1 else None

        def log(env):
            av, ae = a(env)
            if av <= 0:
                raise Undefined("log of a non-positive number")
            value = mpmath.log(av)
            error = ae / av + _own(abs(value))
            if base is not None:
                bv, _ = base(env)
                value = value / mpmath.log(bv)
                error = error / abs(mpmath.log(bv)) + _own(abs(value))
            return value, error
        return log
    if isinstance(e, sympy.Abs):
        a = build(e.args[0])

        def absolute(env):
            av, ae = a(env)
            return abs(av), ae
        return absolute
    if isinstance(e, (sympy.sign, sympy.Heaviside)):
        a = build(e.args[0])

        def step(env):
            av, _ = a(env)
            if isinstance(e, sympy.sign):
                return mpmath.mpf(0 if av == 0 else (1 if av > 0 else -1)), Bound()
            if av == 0:
                return (build(e.args[1])(env)[0] if len(e.args) > 1 else mpmath.mpf(0.5)), Bound()
            return mpmath.mpf(1 if av > 0 else 0), Bound()
        return step
    if isinstance(e, (sympy.Max, sympy.Min)):
        parts = [build(a) for a in e.args]
        pick = max if isinstance(e, sympy.Max) else min

        def extreme(env):
            values = [p(env) for p in parts]
            return pick(v for v, _ in values), max((err for _, err in values), key=lambda b: b.total)
        return extreme
    if isinstance(e, sympy.Piecewise):
        branches = [(build(value), _condition(condition, build)) for value, condition in e.args]

        def piecewise(env):
            for value, holds in branches:
                if holds(env):
                    return value(env)
            raise Undefined("no branch of the piecewise expression holds")
        return piecewise
    if type(e) in _UNARY:
        name, function = _UNARY[type(e)]
        slope = _derivative(name)
        a = build(e.args[0])

        def unary(env):
            av, ae = a(env)
            value = _real(function(av))
            return value, abs(slope(av, value)) * ae + _own(abs(value))
        return unary
    return _fallback(e)


def _condition(condition, build) -> Callable:
    """A Piecewise condition as a function of the point; a comparison too close to call at this
    precision is undefined (the branch cannot be chosen soundly)."""
    if condition in (sympy.true, True):
        return lambda env: True
    if condition in (sympy.false, False):
        return lambda env: False
    if isinstance(condition, (sympy.And, sympy.Or)):
        parts = [_condition(c, build) for c in condition.args]
        combine = all if isinstance(condition, sympy.And) else any
        return lambda env: combine(p(env) for p in parts)
    if isinstance(condition, sympy.Not):
        inner = _condition(condition.args[0], build)
        return lambda env: not inner(env)
    if isinstance(condition, sympy.Rel):
        lhs, rhs = build(condition.lhs), build(condition.rhs)
        kind = type(condition)

        def relation(env):
            a, b = lhs(env)[0], rhs(env)[0]
            gap = a - b
            if gap != 0 and abs(gap) <= mpmath.mpf(10) ** (-(DIGITS - 10)) * max(1, abs(a), abs(b)):
                raise Undefined("too close to a branch boundary to decide")
            return {sympy.StrictLessThan: gap < 0, sympy.LessThan: gap <= 0, sympy.StrictGreaterThan: gap > 0,
                    sympy.GreaterThan: gap >= 0, sympy.Equality: gap == 0, sympy.Unequality: gap != 0}[kind]
        return relation

    def unknown(env):
        raise Undefined(f"cannot decide the condition {condition}")
    return unknown


def _fallback(e) -> Callable:
    """Anything else by SymPy's own evalf at the point (error bound: one rounding of the value)."""
    symbols = sorted(e.free_symbols, key=str)

    def evaluate(env):
        point = {s: sympy.Float(env[s][0], DIGITS) for s in symbols}
        value = sympy.N(e.xreplace(point), DIGITS)
        if value.free_symbols or not value.is_real or value.has(sympy.zoo, sympy.nan, sympy.oo, -sympy.oo):
            raise Undefined(f"cannot evaluate {e}")
        number = mpmath.mpf(value._to_mpmath(mpmath.mp.prec)) if value.is_Float else mpmath.mpf(str(value))
        return number, _own(2 * abs(number)) + sum((env[s][1] for s in symbols), Bound())
    return evaluate


def exact(expr: sympy.Expr | Compiled, point: Mapping[sympy.Symbol, object], digits: int = DIGITS):
    """``expr`` at ``point`` (floats, ints or SymPy rationals, taken exactly) to ``digits`` digits, as an
    mpf; Undefined where it has no finite real value."""
    compiled = expr if isinstance(expr, Compiled) else Compiled(expr)
    with mpmath.workdps(digits):
        values = {s: (to_mpf(v), mpmath.mpf(0)) for s, v in point.items()}
    return compiled(values, digits)[0]


def to_mpf(value):
    """A float, int, Fraction or SymPy rational as an exact mpf (at the working precision)."""
    if isinstance(value, sympy.Basic):
        value = sympy.Rational(value)
        return mpmath.mpf(int(value.p)) / int(value.q)
    if hasattr(value, "numerator") and hasattr(value, "denominator") and not isinstance(value, (int, float)):
        return mpmath.mpf(int(value.numerator)) / int(value.denominator)
    return mpmath.mpf(value)
