r"""The rounding allowance: the error the claim's own target suffers when it is computed in the function's
precision at the same inputs -- no wider.

A user's function computes the target in floats. The error allowed at an input ``x`` is

    allowance(x) = SLACK · (ρ_p(x) + u · S(x) + u · |T(x)|) + tiny_p,

* ``T(x)`` -- the target at 50 digits;
* ``ρ_p(x)`` -- the rounding the formula itself suffers in precision ``p`` there: the largest
  ``|T_p(x̂) − T(x)|`` over ``x̂`` = ``x`` rounded to ``p`` and NEIGHBOURS points one unit in the last place
  of ``p`` around it, ``T_p`` the target's own expression evaluated with every operation in ``p``
  (:class:`FloatForm`: NumPy, each intermediate cast to ``p``); where that evaluation fails or overflows
  and ``T`` does not, the first-order running error bound of the expression (Higham 2002, §3.3) stands in;
* ``S(x)`` -- the first-order effect of the inputs' rounding that ``x̂`` does not show: an input the
  function is handed through ``args`` (``logstd = log σ``: its rounding is the preimage J⁺δu) or forms
  itself (a schedule's ``ᾱ`` as a product of ``t`` rounded factors), carried through the target with
  absolute values (:meth:`derivspec.testing.evaluation.Compiled.__call__` with ``rounding=False``);
* ``u`` -- the unit roundoff of ``p`` (or a declared precision, when coarser); ``tiny_p`` -- the smallest
  normal number of ``p``: the only absolute floor, far below any fraction of a target's magnitude.

SLACK is small because a user's algebraically equal form rounds like the target's, not hundreds of times
worse: with a wide allowance a float32 posterior variance with its ratio upside down passed at the first
steps of a schedule, where the target itself is 5.5e-5 (issue 87). A deviation that is systematic -- the
same sign and about the same ratio at every input, beyond the formula's own rounding -- is a slip, not
rounding (:func:`systematic`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import sympy

SLACK = 32  # a user's equal form may round this many times worse than the target's own at the same inputs
NEIGHBOURS = 4  # points one ulp around the rounded input whose evaluations bound the formula's rounding there
SYSTEMATIC_MIN = 20  # values beyond the formula's own rounding that must agree in sign and ratio to be a slip
SYSTEMATIC_SPREAD = 1.5  # their largest relative deviation / their smallest, at most
DTYPES = {"float64": np.float64, "float32": np.float32, "float16": np.float16}


class Unsupported(Exception):
    """The expression has a node the float evaluator does not know."""


class FloatForm:
    """The target's expression compiled once for evaluation in a NumPy floating type, every intermediate
    cast to that type (a constant too), vectorised over points; optionally with Monte Carlo arithmetic
    (Parker 1997): each operation's result multiplied by 1 ± u, the signs random, so that the spread of
    SAMPLES evaluations shows the rounding the expression suffers whatever the luck of one evaluation."""

    def __init__(self, expr: sympy.Expr):
        self.expr = expr
        try:
            self._root = _float_build(expr, {})
        except Unsupported:
            self._root = None

    @property
    def usable(self) -> bool:
        return self._root is not None

    def __call__(self, values: dict, dtype, noise=None) -> np.ndarray:
        """The expression at arrays ``values`` (symbol -> array of the type ``dtype``); ``noise`` -- a
        :class:`Noise` or None."""
        with np.errstate(all="ignore"):
            return np.asarray(self._root(values, dtype, noise), dtype=dtype)


class Noise:
    """Random relative perturbations of ±u, one per operation and sample (seeded: the same every run)."""

    def __init__(self, dtype, samples: int, seed: int = 0):
        self.dtype, self.samples = dtype, samples
        self.unit = np.finfo(dtype).eps / 2
        self.rng = np.random.default_rng(seed)

    def __call__(self, result):
        signs = self.rng.choice(np.array([-1.0, 1.0]), self.samples)
        return np.multiply(result, (1 + self.unit * signs).astype(self.dtype), dtype=self.dtype)


SAMPLES = 16  # Monte Carlo arithmetic evaluations of the target per input


def rounding(form: FloatForm | None, exact: dict, value, dtype_name: str, integers: frozenset) -> float | None:
    """``ρ_p(x)``: the largest |T_p − T(x)| over the target evaluated in ``p`` at the rounded point and its
    ulp neighbours, and over SAMPLES Monte Carlo arithmetic evaluations at the rounded point; None where the
    float evaluation is unavailable or not finite (the caller uses the running error bound instead).
    ``exact`` maps each symbol to its exact value (mpf), ``value`` is T(x), ``integers`` the whole-number
    symbols (never perturbed)."""
    dtype = DTYPES.get(dtype_name)
    if form is None or not form.usable or dtype is None:
        return None
    points, rounded = {}, {}
    signs = _SIGNS
    for symbol, number in exact.items():
        x = np.asarray(float(number), dtype=dtype)
        rounded[symbol] = np.full(SAMPLES, x, dtype=dtype)
        if symbol in integers or not np.isfinite(x):
            points[symbol] = np.full(len(signs), x, dtype=dtype)
            continue
        up, down = np.nextafter(x, dtype(np.inf)), np.nextafter(x, dtype(-np.inf))
        points[symbol] = np.array([x] + [up if s > 0 else down for s in signs[1:, _column(symbol)]], dtype=dtype)
    try:
        plain = np.broadcast_to(form(points, dtype), (len(signs),)).astype(np.float64)
        noisy = np.broadcast_to(form(rounded, dtype, Noise(dtype, SAMPLES)), (SAMPLES,)).astype(np.float64)
    except (ValueError, TypeError, ZeroDivisionError, OverflowError, FloatingPointError):
        return None
    results = np.concatenate([plain, noisy])
    if not np.all(np.isfinite(results)):
        return None
    return float(np.max(np.abs(results - float(value))))


_SIGNS = np.array([[1] * 64, [1] * 64, [-1] * 64, [1, -1] * 32, [-1, 1] * 32][: NEIGHBOURS + 1])


def _column(symbol) -> int:
    """The column of the sign patterns a symbol follows (symbols told apart by their name)."""
    return sum(map(ord, str(symbol))) % 64


@dataclass
class Deviation:
    """One compared value: the output's deviation from the target relative to |target|, and whether it
    lies beyond twice the formula's own rounding there."""

    relative: float
    beyond: bool


def systematic(deviations: list[Deviation]) -> tuple[float, float] | None:
    """A deviation that is the same sign and about the same ratio at every input where it exceeds the
    formula's own rounding, at SYSTEMATIC_MIN inputs or more and at least half of all: a slip (the output is
    the target times (1 + r)), returned as the smallest and largest r; None otherwise."""
    beyond = [d.relative for d in deviations if d.beyond and np.isfinite(d.relative) and d.relative != 0]
    if len(beyond) < SYSTEMATIC_MIN or 2 * len(beyond) < len(deviations):
        return None
    if not (all(r > 0 for r in beyond) or all(r < 0 for r in beyond)):
        return None
    small, large = min(map(abs, beyond)), max(map(abs, beyond))
    if large > SYSTEMATIC_SPREAD * small:
        return None
    sign = 1 if beyond[0] > 0 else -1
    return sign * small, sign * large


# --- the float evaluator ------------------------------------------------------------------------

def _float_build(e, built: dict):
    if e in built:
        return built[e]
    f = _node(e, built)
    built[e] = f
    return f


def _rounded(f):
    """An operation whose result is rounded: perturbed under Monte Carlo arithmetic."""
    def node(values, dtype, noise):
        result = f(values, dtype, noise)
        return result if noise is None else noise(result)
    return node


def _node(e, built):
    build = lambda a: _float_build(a, built)  # noqa: E731
    if e.is_Symbol:
        return lambda values, dtype, noise, e=e: values[e]
    if e.is_Number or isinstance(e, sympy.NumberSymbol):
        if e in (sympy.zoo, sympy.nan, sympy.oo, -sympy.oo):
            raise Unsupported(str(e))
        value = float(e)
        exact = e.is_Integer or (e.is_Rational and e.q & (e.q - 1) == 0)
        constant = lambda values, dtype, noise: dtype(value)  # noqa: E731
        return constant if exact else _rounded(constant)
    if e.is_Add:
        parts = [build(a) for a in e.args]

        def add(values, dtype, noise):
            total = parts[0](values, dtype, noise)
            for p in parts[1:]:
                total = np.add(total, p(values, dtype, noise), dtype=dtype)
                total = total if noise is None else noise(total)
            return total
        return add
    if e.is_Mul:
        parts = [build(a) for a in e.args]

        def mul(values, dtype, noise):
            total = parts[0](values, dtype, noise)
            for p in parts[1:]:
                total = np.multiply(total, p(values, dtype, noise), dtype=dtype)
                total = total if noise is None else noise(total)
            return total
        return mul
    if e.is_Pow:
        base, exponent = e.args
        b = build(base)
        if exponent == sympy.Rational(1, 2):
            return _rounded(lambda values, dtype, noise: np.sqrt(b(values, dtype, noise), dtype=dtype))
        if exponent == sympy.Rational(-1, 2):
            return _rounded(lambda values, dtype, noise: np.divide(dtype(1), np.sqrt(b(values, dtype, noise), dtype=dtype),
                                                                   dtype=dtype))
        if exponent.is_Integer:
            n = int(exponent)

            def integer_power(values, dtype, noise):
                bv = b(values, dtype, noise)
                if n == 0:
                    return np.ones_like(bv, dtype=dtype)
                result = bv
                for _ in range(abs(n) - 1):
                    result = np.multiply(result, bv, dtype=dtype)
                    result = result if noise is None else noise(result)
                if n < 0:
                    result = np.divide(dtype(1), result, dtype=dtype)
                    result = result if noise is None else noise(result)
                return result
            return integer_power
        x = build(exponent)
        return _rounded(lambda values, dtype, noise: np.power(b(values, dtype, noise), x(values, dtype, noise),
                                                              dtype=dtype))
    functions = _functions()
    if type(e) in functions:
        function = functions[type(e)]
        a = build(e.args[0])
        exact = isinstance(e, (sympy.Abs, sympy.sign))
        node = lambda values, dtype, noise: np.asarray(function(a(values, dtype, noise)), dtype=dtype)  # noqa: E731
        return node if exact else _rounded(node)
    if isinstance(e, sympy.log) and len(e.args) == 2:
        a, b = build(e.args[0]), build(e.args[1])
        return _rounded(lambda values, dtype, noise: np.divide(np.log(a(values, dtype, noise)),
                                                               np.log(b(values, dtype, noise)), dtype=dtype))
    if isinstance(e, (sympy.Max, sympy.Min)):
        parts = [build(a) for a in e.args]
        pick = np.maximum if isinstance(e, sympy.Max) else np.minimum

        def extreme(values, dtype, noise):
            result = parts[0](values, dtype, noise)
            for p in parts[1:]:
                result = pick(result, p(values, dtype, noise))
            return result
        return extreme
    if isinstance(e, sympy.Piecewise):
        branches = [(build(value), _float_condition(condition, build)) for value, condition in e.args]

        def piecewise(values, dtype, noise):
            chosen = [holds(values, dtype, None) for _, holds in branches]  # the branch as the point chooses it
            results = [value(values, dtype, noise) for value, _ in branches]
            return np.select([np.broadcast_to(np.asarray(c, dtype=bool), np.shape(r)) if np.ndim(r) else
                               np.asarray(c, dtype=bool) for c, r in zip(chosen, results)],
                             [np.asarray(r, dtype=dtype) for r in results], default=dtype(np.nan))
        return piecewise
    raise Unsupported(type(e).__name__)


def _float_condition(condition, build):
    if condition in (sympy.true, True):
        return lambda values, dtype, noise: True
    if condition in (sympy.false, False):
        return lambda values, dtype, noise: False
    if isinstance(condition, (sympy.And, sympy.Or)):
        parts = [_float_condition(c, build) for c in condition.args]
        combine = np.logical_and if isinstance(condition, sympy.And) else np.logical_or

        def combined(values, dtype, noise):
            result = parts[0](values, dtype, noise)
            for p in parts[1:]:
                result = combine(result, p(values, dtype, noise))
            return result
        return combined
    if isinstance(condition, sympy.Not):
        inner = _float_condition(condition.args[0], build)
        return lambda values, dtype, noise: np.logical_not(inner(values, dtype, noise))
    if isinstance(condition, sympy.Rel):
        lhs, rhs = build(condition.lhs), build(condition.rhs)
        compare = {sympy.StrictLessThan: np.less, sympy.LessThan: np.less_equal, sympy.StrictGreaterThan: np.greater,
                   sympy.GreaterThan: np.greater_equal, sympy.Equality: np.equal, sympy.Unequality: np.not_equal}
        if type(condition) not in compare:
            raise Unsupported(type(condition).__name__)
        op = compare[type(condition)]
        return lambda values, dtype, noise: op(lhs(values, dtype, noise), rhs(values, dtype, noise))
    raise Unsupported(type(condition).__name__)


def _functions() -> dict:
    global _FUNCTIONS
    if _FUNCTIONS is None:
        from scipy import special

        _FUNCTIONS = {
            sympy.exp: np.exp, sympy.log: np.log, sympy.tanh: np.tanh, sympy.sinh: np.sinh, sympy.cosh: np.cosh,
            sympy.sin: np.sin, sympy.cos: np.cos, sympy.tan: np.tan, sympy.atan: np.arctan, sympy.asin: np.arcsin,
            sympy.acos: np.arccos, sympy.asinh: np.arcsinh, sympy.acosh: np.arccosh, sympy.atanh: np.arctanh,
            sympy.Abs: np.abs, sympy.sign: np.sign, sympy.erf: special.erf, sympy.erfc: special.erfc,
            sympy.loggamma: special.gammaln, sympy.gamma: special.gamma,
            sympy.factorial: lambda a: special.gamma(a + 1),
        }
    return _FUNCTIONS


_FUNCTIONS = None
