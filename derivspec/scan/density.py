r"""A known result every lecture relies on: a probability density integrates to one.

A statement ``p(x) = f(x)`` (also ``p(x \mid \mu, \sigma^2)``, ``P(y \mid \mathbf x)``,
``p_X(x)``, ``q(x)``, ``f_X(x)``) whose right-hand side is an explicit expression of x states a
density of x. When f is real, finite and decaying on the whole real line (a Gaussian, Laplace,
logistic or Cauchy density: not a probability mass function, not a density on a half-line or an
interval, whose formulas do not decay or are not real there), its integral over the real line
must be 1 for every value of the other symbols (the parameters). The integral is computed with
mpmath at three parameter points of the positive box; a value other than 1 at each of them is
reported (``disagrees``: the normaliser or the exponent is wrong), agreement is evidence, and
a proof is attempted with SymPy's integrate.

Not checked: an accented name (\tilde p, \hat p: unnormalised or estimated), a count-like
variable (k, n: a probability mass function), a vector with a dimension symbol.
"""

from __future__ import annotations

import re

import mpmath
import sympy

from derivspec.core import symbolic
from derivspec.scan.reader import is_opaque_function, opaque_atoms
from derivspec.scan import algebra
from derivspec.scan.names import NameKey, strip_fonts
from derivspec.scan.steps import Context, Side, StepResult
from derivspec.scan.notation import role_letters

HEADS = role_letters("density-letter")  # a guess: derivspec/data/knowledge/notation.toml
GRID = (-40, -7, -3, -1, -0.3, 0, 0.3, 1, 3, 7, 40)


def _density_head(expr) -> str | None:
    if not (is_opaque_function(expr) and not isinstance(expr, sympy.Symbol)):
        return None
    name = expr.func.__name__
    head = strip_fonts(re.sub(r"[\[⟮].*$", "", name))
    key = NameKey.of(head)
    if key is None or key.accents or key.base not in HEADS:
        return None
    seps = re.search(r"\[([^\]]*)\]", name)
    seps = seps.group(1) if seps else ""
    if seps and seps[0] not in "|;":
        return None  # p(x, y): a joint density of two variables
    return head


def check_density(left: Side, right: Side, context: Context) -> StepResult | None:
    if not (left.readable and right.readable):
        return None
    lhs = left.primary.expr
    if _density_head(lhs) is None:
        return None
    variable = lhs.args[0]
    if not isinstance(variable, sympy.Symbol) or variable.name.startswith(("⟦", "⟨")):
        return None
    if algebra.is_integer_name(variable) or re.match(r"^(?:k|n|m|i|j|K|N)(?:_|$)", variable.name):
        return None
    if "matrix" in right.primary.flags and any(n.name in ("d", "D", "n", "k", "K", "N") for n in right.primary.names_used):
        return None
    f = right.primary.value()
    if context.bindings:
        f = f.xreplace(context.bindings)
    if variable not in f.free_symbols:
        return None
    if opaque_atoms(f) or any(s.name.startswith(("⟦", "⟪")) for s in f.free_symbols):
        return None
    others = sorted(f.free_symbols - {variable}, key=lambda s: s.name)
    if any(algebra.is_integer_name(s) and s.name in ("d", "D") for s in others):
        return None
    positive = {s: sympy.Symbol(s.name, positive=True) for s in others}
    f = f.xreplace(positive)
    points = algebra.box_points(set(positive.values()), count=3, seed=17,
                                box=(sympy.Rational(1, 4), sympy.Rational(3, 2)))
    values = []
    try:
        with symbolic.time_limit(min(6.0, context.seconds * 2)):
            for point in points:
                integrand = f.xreplace(point)
                value = _integral(integrand, variable)
                if value is None:
                    return None
                values.append((point, value))
    except symbolic.SymPyTimeout:
        return None
    off = [(pt, v) for pt, v in values if abs(v - 1) > mpmath.mpf("1e-6")]
    name = left.text.strip()
    if off and len(off) == len(values):
        pt, v = off[0]
        where = ", ".join(f"{context.names.latex.get(k, k.name)}={val}" for k, val in
                          ((s, pt[positive[s]]) for s in others)) or "any parameters"
        return StepResult("=", left.text, right.text, "disagrees", "known",
                          f"{name} is stated as a density of {context.names.latex.get(variable, variable.name)}, "
                          f"but it integrates to {mpmath.nstr(v, 8)}, not 1, over the real line",
                          f"at {where}: the integral is {mpmath.nstr(v, 12)} (mpmath quadrature)")
    if off:
        return None  # integrates to 1 at some parameters only: not decided here
    proof = _prove_normalised(f, variable)
    if proof:
        return StepResult("=", left.text, right.text, "proved", "known",
                          f"{name} is a density: SymPy integrates it to 1 over the real line")
    return StepResult("=", left.text, right.text, "unchecked", "known",
                      f"{name} integrates to 1 at {len(values)} parameter points (evidence, not proof)")


def _integral(integrand, variable):
    """The integral over the real line, or None where the integrand is not real, finite and
    decaying there (not a density on the whole line)."""
    fn = sympy.lambdify(variable, integrand, modules="mpmath")
    mpmath.mp.dps = 30
    try:
        samples = [fn(mpmath.mpf(x)) for x in GRID]
        for s in samples:
            if isinstance(s, mpmath.mpc) and abs(s.imag) > 0:
                return None
            if not mpmath.isfinite(s) or s < 0:
                return None
        peak = max(abs(s) for s in samples)
        for far in (mpmath.mpf(10) ** 4, -(mpmath.mpf(10) ** 4)):
            tail = fn(far)
            if isinstance(tail, mpmath.mpc) or not mpmath.isfinite(tail) or abs(tail) * far ** 2 > max(peak, 1) * 10:
                return None
        value = mpmath.quad(fn, [-mpmath.inf, -10, -1, 0, 1, 10, mpmath.inf])
        check = mpmath.quad(fn, [-mpmath.inf, -3, 0, 3, mpmath.inf])
    except (ZeroDivisionError, ValueError, TypeError, OverflowError, ArithmeticError):
        return None
    finally:
        mpmath.mp.dps = 15
    if isinstance(value, mpmath.mpc) or not mpmath.isfinite(value):
        return None
    if abs(value - check) > mpmath.mpf("1e-8") * max(1, abs(value)):
        return None  # the quadrature does not settle: no conclusion
    return value


def _prove_normalised(f, variable) -> bool:
    try:
        with symbolic.time_limit(3.0):
            total = sympy.integrate(f, (variable, -sympy.oo, sympy.oo))
            if isinstance(total, sympy.Integral) or total.has(sympy.Integral):
                return False
            return sympy.simplify(total - 1) == 0
    except (symbolic.SymPyTimeout, Exception):
        return False
