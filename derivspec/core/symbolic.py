"""Symbolic and exact-numeric equality, three-valued and fail-closed (DESIGN.md, "Verdicts").

* **Proof** (:func:`decide`): SymPy reducing ``a - b`` to zero proves equality, with rewrites
  that hold on the *whole declared domain* only: logs are split only where SymPy's assumptions
  prove the arguments positive (no ``force=True``); bounds the assumptions cannot express
  (``0 < alpha < 1``) are encoded by substituting ``alpha = s/(1+s)`` with ``s > 0``;
  piecewise functions (Abs, sign, Max/Min, Heaviside, Piecewise) are decided by splitting
  the domain on the signs of their arguments, skipping the regions that linear arithmetic
  over the variables' bounds proves empty; tanh/sinh/cosh are rewritten to exponentials.
  A difference SymPy simplifies to a nonzero constant proves the two different.
* **Evidence** (:func:`evaluation_points`, :func:`check_points`): exact points cover the
  declared domain -- typical values, rationals with large denominators, points near each
  bound, large magnitudes where the domain is unbounded, tiny ones around 0 -- and never leave
  it. Values are computed with mpmath at 50 digits; a difference is re-computed at 120 and
  240 digits and becomes a counterexample only if it is resolved (both agree); points where
  either side is undefined (a pole, log 0, an overflow) are skipped.
* Agreement at sample points alone is evidence, not proof: ``undecided``.

Finite-domain variables (``y`` in {0, 1}) are split into cases: a formula only has to agree
with the target on the domain, so each value is substituted before SymPy simplifies.
SymPy calls that can hang run under a time limit (:func:`time_limit`, nestable).
"""

from __future__ import annotations

import itertools
import math
import random
import signal
import threading
import time
import weakref
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Sequence

import mpmath
import sympy

from derivspec.core.claims import Var
from derivspec.core.limits import scaled

DIGITS = 50
CONFIRM_DIGITS = (120, 240)  # a difference at DIGITS is re-computed at these and must agree
EVAL_POINTS = 24  # exact evaluation points per comparison
TYPICAL_POINTS = 8  # the first ones come from the well-conditioned sampling range
SIMPLIFY_SECONDS = 20.0  # one SymPy simplification attempt
POINT_SECONDS = 3.0  # one exact evaluation point
# Relative difference above which two 50-digit values are different (far above round-off).
DIFFERENCE_THRESHOLD = mpmath.mpf("1e-30")
EXP_LIMIT = 10 ** 8  # exp(x) with |x| beyond this is not evaluated (the point is skipped)
MAX_CASES = 64  # leaves of a piecewise case split
MAX_ROWS = 400  # inequalities in one Fourier-Motzkin elimination

PIECEWISE_TYPES = (sympy.Abs, sympy.sign, sympy.Heaviside, sympy.Max, sympy.Min, sympy.Piecewise)


class SymPyTimeout(Exception):
    pass


# --- time limits --------------------------------------------------------------------------

_DEADLINES: list[float] = []  # absolute times (time.monotonic) of the nested limits in force


def _on_alarm(signum, frame):
    """Raise SymPyTimeout where the program is -- except inside a limit's own bookkeeping (entering or
    leaving ``time_limit``): an exception there would leave a deadline pushed and never popped, and every
    later limit in the process would time out at once. There the alarm is put off until the bookkeeping is
    done (the earliest deadline still in force re-armed), or dropped when no limit is left. Inside a finalizer
    (``weakref.finalize``, ``__del__``, run wherever the garbage collector happens to be) it is put off too:
    Python swallows an exception raised there ("Exception ignored ...", a traceback on stderr) and the limit
    would be lost."""
    if frame is not None and (frame.f_code in _BOOKKEEPING or frame.f_code in _FINALIZERS
                              or frame.f_code.co_name == "__del__"):
        if _DEADLINES:
            _arm()
        return
    raise SymPyTimeout()


def _arm() -> None:
    remaining = min(_DEADLINES) - time.monotonic()
    signal.setitimer(signal.ITIMER_REAL, max(remaining, 1e-4))


def remaining_seconds() -> float | None:
    """Seconds left under the limits in force (None: no limit)."""
    return None if not _DEADLINES else max(0.0, min(_DEADLINES) - time.monotonic())


class time_limit:
    """Raise SymPyTimeout after ``seconds`` × :func:`time_scale` (SIGALRM; no limit outside the main thread or for
    ``seconds <= 0``). Limits nest: the earliest deadline in force always wins, and once it has
    passed every new limit raises at once, so work after a caught timeout stays bounded. A limit's
    deadline is always popped when it ends (see :func:`_on_alarm`)."""

    def __init__(self, seconds: float | None):
        self.seconds = seconds
        self.depth: int | None = None
        self.previous = None

    def __enter__(self):
        if self.seconds is None or self.seconds <= 0 or threading.current_thread() is not threading.main_thread():
            return self
        seconds = scaled(self.seconds)
        now = time.monotonic()
        if _DEADLINES and min(_DEADLINES) <= now:
            raise SymPyTimeout()
        depth = len(_DEADLINES)
        if depth == 0:
            self.previous = signal.signal(signal.SIGALRM, _on_alarm)
        _DEADLINES.append(now + seconds)
        self.depth = depth
        _arm()
        return self

    def __exit__(self, *exception) -> bool:
        if self.depth is None:
            return False
        del _DEADLINES[self.depth:]  # first: an alarm landing from here on finds no deadline of this limit
        if self.depth == 0:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, self.previous)
        else:
            _arm()  # the outer limit (raised in the outer body, at once if it has passed)
        self.depth = None
        return False


_BOOKKEEPING = frozenset({time_limit.__enter__.__code__, time_limit.__exit__.__code__, _arm.__code__,
                          remaining_seconds.__code__})
_FINALIZERS = frozenset({weakref.finalize.__call__.__code__})


# --- proofs --------------------------------------------------------------------------------

_ZERO_TESTS = (
    lambda d: d,
    sympy.expand,
    # expand_log without force: a log is split only where SymPy proves the arguments positive
    lambda d: sympy.expand(sympy.expand_log(d)),
    sympy.cancel,
    lambda d: sympy.simplify(sympy.expand_log(d)),
    sympy.simplify,
    lambda d: sympy.simplify(_cancel_exponents(d)),
)


def _cancel_exponents(expr: sympy.Expr) -> sympy.Expr:
    """Each exponential's argument put over a common denominator and cancelled
    (exp(x^2 (1 + w^2/s^2) / (2 (s^2 + w^2))) is exp(x^2 / (2 s^2))): simplify leaves them."""
    return expr.replace(lambda e: isinstance(e, sympy.exp), lambda e: sympy.exp(sympy.cancel(e.args[0])))


def reduces_to_zero(difference: sympy.Expr, seconds: float = SIMPLIFY_SECONDS) -> bool | None:
    """True if SymPy reduces ``difference`` to 0 with rewrites valid on the whole domain of its
    symbols' assumptions; False if not; None on timeout."""
    try:
        with time_limit(seconds):
            for test in _ZERO_TESTS:
                try:
                    if test(difference) == 0:
                        return True
                except (SymPyTimeout, KeyboardInterrupt):
                    raise
                except Exception:  # a SymPy routine that cannot handle the expression: try the next
                    continue
            return False
    except SymPyTimeout:
        return None
    except RecursionError:
        return False


def tidy(expr: sympy.Expr, seconds: float = 5.0) -> sympy.Expr:
    """``simplify(expr)`` for display, or ``expr`` unchanged if that takes over ``seconds``."""
    try:
        with time_limit(seconds):
            return sympy.simplify(expr)
    except SymPyTimeout:
        return expr
    except Exception:
        return expr


def finite_cases(variables: Sequence[Var]) -> list[dict[sympy.Symbol, sympy.Integer]]:
    """Every combination of values of the finite-domain variables ([{}] if there are none)."""
    finite = [v for v in variables if v.domain.values is not None]
    combos = itertools.product(*(v.domain.values for v in finite))
    return [{v.symbol: sympy.Integer(x) for v, x in zip(finite, combo)} for combo in combos]


@dataclass
class Decision:
    """The outcome of a symbolic comparison: ``equal``, ``different`` or ``undecided``."""

    status: str
    how: str = ""  # what proved it (or why not)
    timed_out: bool = False
    case: dict = field(default_factory=dict)  # the finite case where it was shown different


def proves_equal(a: sympy.Expr, b: sympy.Expr, variables: Sequence[Var],
                 seconds: float = SIMPLIFY_SECONDS) -> bool | None:
    """True if a == b is proved on the variables' domains; False/None (timeout) if not proved."""
    decision = decide(a, b, variables, seconds)
    if decision.status == "equal":
        return True
    return None if decision.timed_out else False


def decide(a: sympy.Expr, b: sympy.Expr, variables: Sequence[Var],
           seconds: float = SIMPLIFY_SECONDS) -> Decision:
    """Prove ``a == b`` on the whole declared domain of ``variables``, or prove them different
    (their difference simplifies to a nonzero constant), or leave it undecided."""
    a, b = sympy.sympify(a), sympy.sympify(b)
    timed_out = False
    hows = []
    try:
        with time_limit(seconds * 2):
            for case in finite_cases(variables):
                ac, bc = a.subs(case), b.subs(case)
                how = _prove_case(ac, bc, variables, seconds)
                if how is None or how == "timeout":
                    timed_out = timed_out or how == "timeout"
                    constant = _nonzero_constant(ac - bc)
                    if constant is not None:
                        return Decision("different", f"the difference simplifies to the constant {constant}",
                                        case={str(k): str(v) for k, v in case.items()})
                    return Decision("undecided", "timed out" if timed_out else "could not reduce the difference to 0",
                                    timed_out)
                hows.append(how)
    except SymPyTimeout:
        return Decision("undecided", "timed out", True)
    return Decision("equal", "; ".join(sorted(set(hows))))


def _prove_case(a: sympy.Expr, b: sympy.Expr, variables: Sequence[Var], seconds: float) -> str | None:
    """How a == b was proved for one finite case, None if it was not, "timeout" if time ran out."""
    difference = a - b
    timed_out = False
    attempts = [("SymPy reduces candidate - target to 0", lambda: difference)]
    if difference.has(*_HYPERBOLIC):  # first: simplify's trigsimp spends its whole time limit on sech^2 etc.
        attempts.insert(0, ("rewriting tanh/sinh/cosh as exponentials", lambda: _exponential_form(difference)))
    if _has_even_power_log(difference):
        attempts.append(("log g^(2k) = 2k log|g| for real g", lambda: _even_power_logs(difference)))
    bounded = [v for v in variables if _needs_parameter(v) and v.symbol in difference.free_symbols]
    if bounded:
        attempts.append(("substituting the bounded variables' ranges (e.g. alpha = s/(1+s), s > 0)",
                         lambda: _factor_piecewise_arguments(
                             _normalise_logs(_exponential_form(difference.xreplace(_parameters(bounded)))))))
    if difference.has(sympy.gamma, sympy.loggamma, sympy.factorial):
        attempts.append(("substituting whole numbers as their least value + m, m = 0, 1, ...; log Gamma(g) = "
                         "loggamma(g) for g > 0 and loggamma(g + k) = loggamma(g) + sum of log(g + j)",
                         lambda: _gamma_form(difference.xreplace(_whole_numbers(variables)))))
    for how, build in attempts:
        parameterised = how.startswith("substituting")
        try:
            with time_limit(seconds):
                expr = build()
        except SymPyTimeout:
            timed_out = True
            continue
        except Exception:
            continue
        conditions = [] if parameterised else _domain_conditions(variables, expr)
        outcome = _prove_by_cases(expr, conditions, variables, seconds, [0])
        if outcome is True:
            return how + (" in every case of its piecewise parts" if expr.has(*PIECEWISE_TYPES) else "")
        timed_out = timed_out or outcome is None
    for how, test in (("exp(candidate - target) simplifies to 1 and both are real", _exp_of_difference),
                      ("candidate / target simplifies to 1", _ratio_is_one)):
        outcome = test(a, b, seconds)
        if outcome is True:
            return how
        timed_out = timed_out or outcome is None
    return "timeout" if timed_out else None


def _exp_of_difference(a, b, seconds) -> bool | None:
    """exp(a - b) == 1 with a - b real proves a == b (sums of logs that expand_log cannot split)."""
    difference = a - b
    if not difference.has(sympy.log) or difference.is_extended_real is not True:
        return False
    return reduces_to_zero(sympy.exp(difference) - 1, seconds)


def _ratio_is_one(a, b, seconds) -> bool | None:
    """a/b simplifies to 1 where b is provably non-zero (products of exponentials and erfc
    terms that a difference does not cancel, e.g. a Gaussian integral against its density)."""
    if not b.is_nonzero:
        a, b = b, a
        if not b.is_nonzero:
            return False
    try:
        with time_limit(seconds):
            return sympy.simplify(a / b) == 1
    except SymPyTimeout:
        return None
    except Exception:
        return False


def ratio_is_one(a: sympy.Expr, b: sympy.Expr, case: dict, seconds: float) -> bool | None:
    """Compatibility wrapper of the ratio test for one finite case."""
    return _ratio_is_one(sympy.sympify(a).subs(case), sympy.sympify(b).subs(case), seconds)


def _nonzero_constant(difference: sympy.Expr) -> sympy.Expr | None:
    """The difference as a nonzero constant when SymPy simplifies it to one (confirmed at two
    precisions), else None."""
    simplified = tidy(difference, 5.0)
    if simplified.free_symbols or not simplified.is_number or simplified.has(*PIECEWISE_TYPES):
        return None
    try:
        low, high = (_Evaluator({}, digits)(simplified) for digits in CONFIRM_DIGITS)
    except _NotEvaluable:
        return None
    if high != 0 and abs(low - high) <= abs(high) * mpmath.mpf("1e-20"):  # a zero would not agree
        return simplified
    return None


_HYPERBOLIC = (sympy.tanh, sympy.sinh, sympy.cosh, sympy.coth, sympy.sech, sympy.csch)


def _exponential_form(expr: sympy.Expr) -> sympy.Expr:
    """tanh, sinh, cosh, ... as exponentials (sigmoid written with tanh becomes comparable)."""
    return expr.replace(lambda e: isinstance(e, _HYPERBOLIC), lambda e: e.rewrite(sympy.exp))


def _normalise_logs(expr: sympy.Expr) -> sympy.Expr:
    """Put each log's argument over a common denominator and factor it, so that expand_log
    (without force) can split it where the factors are provably positive."""
    def normal(e):
        try:
            return sympy.log(sympy.factor(sympy.cancel(e.args[0])))
        except Exception:
            return e
    return expr.replace(lambda e: isinstance(e, sympy.log), normal)


def _has_even_power_log(expr: sympy.Expr) -> bool:
    return any(isinstance(f, sympy.Pow) and f.exp.is_even for e in expr.atoms(sympy.log)
               for f in sympy.Mul.make_args(e.args[0]))


def _even_power_logs(expr: sympy.Expr) -> sympy.Expr:
    """log(c g^(2k)) as log c + 2k log|g| where c > 0 and g is real: valid wherever the log is
    defined (g = 0 leaves both sides undefined). A log with any other factor is left alone."""
    def split(e):
        factors = sympy.Mul.make_args(e.args[0])
        if not all(f.is_positive or (isinstance(f, sympy.Pow) and f.exp.is_even and f.base.is_extended_real)
                   for f in factors):
            return e
        return sympy.Add(*(sympy.log(f) if f.is_positive else f.exp * sympy.log(sympy.Abs(f.base)) for f in factors))
    return expr.replace(lambda e: isinstance(e, sympy.log), split)


def _factor_piecewise_arguments(expr: sympy.Expr) -> sympy.Expr:
    """Each |g|, sign(g), max, min and fractional power with its argument over a common
    denominator and factored: in the positive parameters of :func:`_parameters` SymPy then
    sees the sign (|1 - alpha abar| with both in (0, 1) is 1 - alpha abar)."""
    def factored(e):
        try:
            return sympy.factor(sympy.cancel(e))
        except Exception:
            return e
    expr = expr.replace(lambda e: isinstance(e, (sympy.Abs, sympy.sign, sympy.Max, sympy.Min, sympy.Heaviside)),
                        lambda e: e.func(*(factored(a) for a in e.args)))
    return expr.replace(lambda e: isinstance(e, sympy.Pow) and not e.exp.is_integer,
                        lambda e: sympy.Pow(factored(e.base), e.exp))


def _whole_numbers(variables: Sequence[Var]) -> dict[sympy.Symbol, sympy.Expr]:
    """Each whole-number variable as its least value + m, m a whole number >= 0 (exactly its domain)."""
    mapping = {}
    for var in variables:
        d = var.domain
        if not d.integer or d.values is not None:
            continue
        if d.lower is not None:
            least = int(d.lower) + 1 if d.lower == int(d.lower) else -(-d.lower.numerator // d.lower.denominator)
        elif d.closed_lower is not None:
            least = int(d.closed_lower)
        else:
            continue
        mapping[var.symbol] = least + sympy.Symbol(f"_m_{var.name}", integer=True, nonnegative=True)
    return mapping


MAX_GAMMA_SHIFT = 50


def _gamma_form(expr: sympy.Expr) -> sympy.Expr:
    """Log-gamma identities, each used only where SymPy proves its condition:
    g! = Gamma(g + 1); log Gamma(g) = loggamma(g) for g > 0; loggamma(g + k) = loggamma(g) +
    log g + ... + log(g + k - 1) for a whole k >= 1 and g > 0 (logs then split by expand_log
    without force)."""
    expr = expr.replace(lambda e: isinstance(e, sympy.factorial), lambda e: sympy.gamma(e.args[0] + 1))
    expr = expr.replace(lambda e: isinstance(e, sympy.log) and isinstance(e.args[0], sympy.gamma)
                        and e.args[0].args[0].is_positive, lambda e: sympy.loggamma(e.args[0].args[0]))
    arguments = sorted({e.args[0] for e in expr.atoms(sympy.loggamma)}, key=sympy.default_sort_key)
    shifts = {}
    for a in arguments:
        lowest = None
        for b in arguments:
            k = sympy.simplify(a - b)
            if k.is_Integer and 0 < k <= MAX_GAMMA_SHIFT and b.is_positive and (lowest is None or k > lowest[1]):
                lowest = (b, int(k))
        if lowest is not None:
            b, k = lowest
            shifts[sympy.loggamma(a)] = sympy.loggamma(b) + sympy.Add(*(sympy.log(b + j) for j in range(k)))
    return sympy.expand_log(expr.xreplace(shifts))


def _needs_parameter(var: Var) -> bool:
    """A continuous variable whose bounds SymPy's assumptions cannot express."""
    d = var.domain
    if d.values is not None or d.integer:
        return False
    lower, upper = d.lower, d.upper
    return upper is not None or (lower is not None and lower != 0)


def _parameters(variables: Sequence[Var]) -> dict[sympy.Symbol, sympy.Expr]:
    """Each bounded variable as a rational function of a fresh positive symbol s ranging over
    (0, oo) exactly: (l, u) <- l + (u - l) s/(1+s); (l, oo) <- l + s; (-oo, u) <- u - s."""
    mapping = {}
    for var in variables:
        s = sympy.Symbol(f"_s_{var.name}", positive=True)
        lower, upper = var.domain.lower, var.domain.upper
        low = None if lower is None else sympy.Rational(lower.numerator, lower.denominator)
        high = None if upper is None else sympy.Rational(upper.numerator, upper.denominator)
        if low is not None and high is not None:
            mapping[var.symbol] = low + (high - low) * s / (1 + s)
        elif low is not None:
            mapping[var.symbol] = low + s
        else:
            mapping[var.symbol] = high - s
    return mapping


# --- piecewise functions: case splits ------------------------------------------------------

# A condition is (g, relation) with relation one of > >= < <= == != meaning "g relation 0".
_NEGATE = {">": "<=", ">=": "<", "<": ">=", "<=": ">", "==": "!=", "!=": "=="}


def _prove_by_cases(expr: sympy.Expr, conditions: list, variables: Sequence[Var], seconds: float,
                    leaves: list[int], boundaries: bool | None = None, eliminated: bool = False) -> bool | None:
    """Prove expr == 0 on the region where ``conditions`` hold: True, False (not proved) or
    None (timeout or too many cases).

    Each piecewise part is split on the sign of its argument: g > 0, g < 0 and, when expr has
    discontinuous parts (sign, Heaviside, Piecewise), the boundary g == 0, where a variable is
    eliminated by solving g = 0. For continuous parts only (Abs, Max, Min) the boundary follows
    by continuity from both sides. A region that linear arithmetic proves empty needs no proof;
    a region where expr is undefined (0/0 after the elimination) is a singular set: skipped."""
    if boundaries is None:
        boundaries = expr.has(sympy.sign, sympy.Heaviside, sympy.Piecewise)
    if eliminated and expr.has(sympy.nan, sympy.zoo):  # undefined on a boundary set: singular, skipped
        return True
    if conditions and _infeasible(conditions, variables):
        return True
    atom = _innermost_piecewise(expr)
    if atom is None:
        leaves[0] += 1
        if leaves[0] > MAX_CASES:
            return None
        return reduces_to_zero(expr, seconds)
    branches = _branches(atom, boundaries)
    if branches is None:
        return reduces_to_zero(expr, seconds)
    unknown = False
    for branch_conditions, replacement in branches:
        region = conditions + branch_conditions
        if _infeasible(region, variables):
            continue
        cases = [(expr.xreplace({atom: replacement}), region)]
        on_boundary = any(relation == "==" for _, relation in branch_conditions)
        for g, relation in branch_conditions:
            if relation == "==":
                cases = [sub for case_expr, case_region in cases
                         for sub in (_eliminate(case_expr, case_region, g, variables) or [(None, None)])]
        for case_expr, case_region in cases:
            if case_expr is None:
                return None
            outcome = _prove_by_cases(case_expr, case_region, variables, seconds, leaves, boundaries,
                                      eliminated or on_boundary)
            if outcome is False:
                return False
            if outcome is None:
                unknown = True
    return None if unknown else True


def _innermost_piecewise(expr: sympy.Expr):
    """A piecewise part of expr whose arguments hold no piecewise part (None if there is none)."""
    candidates = [a for a in expr.atoms(*PIECEWISE_TYPES)]
    for atom in sorted(candidates, key=sympy.count_ops):
        if not any(arg.has(*PIECEWISE_TYPES) for arg in atom.args if isinstance(arg, sympy.Basic)):
            return atom
    return candidates[0] if candidates else None


def _real(g: sympy.Expr) -> bool:
    return g.is_extended_real is True


def _relation(condition) -> tuple[sympy.Expr, str] | None:
    """A Piecewise condition as (g, relation) meaning "g relation 0", None if unsupported."""
    if isinstance(condition, sympy.StrictLessThan):
        return condition.rhs - condition.lhs, ">"
    if isinstance(condition, sympy.LessThan):
        return condition.rhs - condition.lhs, ">="
    if isinstance(condition, sympy.StrictGreaterThan):
        return condition.lhs - condition.rhs, ">"
    if isinstance(condition, sympy.GreaterThan):
        return condition.lhs - condition.rhs, ">="
    if isinstance(condition, sympy.Equality):
        return condition.lhs - condition.rhs, "=="
    if isinstance(condition, sympy.Unequality):
        return condition.lhs - condition.rhs, "!="
    return None


def _branches(atom, boundaries: bool) -> list[tuple[list, sympy.Expr]] | None:
    """The regions (conditions) of a piecewise part and what it equals on each: g > 0, g < 0
    and (``boundaries``) g == 0, where the part is left as it is -- it evaluates itself once
    g = 0 is substituted. None when it cannot be split (a non-real argument, And/Or)."""
    if isinstance(atom, (sympy.Abs, sympy.sign, sympy.Heaviside)):
        g = atom.args[0]
        if not _real(g):
            return None
        if isinstance(atom, sympy.Abs):
            positive, negative = g, -g
        elif isinstance(atom, sympy.sign):
            positive, negative = sympy.Integer(1), sympy.Integer(-1)
        else:
            positive, negative = sympy.Integer(1), sympy.Integer(0)
    elif isinstance(atom, (sympy.Max, sympy.Min)):
        first, second, *rest = atom.args
        g = first - second
        if not _real(g):
            return None
        kind = type(atom)
        larger, smaller = (first, second)
        keep = (larger, smaller) if isinstance(atom, sympy.Max) else (smaller, larger)
        positive, negative = (kind(keep[0], *rest) if rest else keep[0]), (kind(keep[1], *rest) if rest else keep[1])
    elif isinstance(atom, sympy.Piecewise):
        (value, condition), *rest = atom.args
        remainder = (rest[0][0] if len(rest) == 1 and rest[0][1] == sympy.true
                     else sympy.Piecewise(*rest) if rest else sympy.nan)
        if condition == sympy.true:
            return [([], value)]
        if condition == sympy.false:
            return [([], remainder)]
        relation = _relation(condition)
        if relation is None or not _real(relation[0]):
            return None
        g, rel = relation
        positive = value if rel in (">", ">=", "!=") else remainder
        negative = value if rel == "!=" else remainder
    else:
        return None
    branches = [([(g, ">")], positive), ([(g, "<")], negative)]
    if boundaries:
        branches.append(([(g, "==")], atom))
    return branches


def _eliminate(expr: sympy.Expr, conditions: list, g: sympy.Expr, variables: Sequence[Var], depth: int = 0):
    """The region g == 0 as cases [(expr, conditions)] with a variable eliminated: g is solved
    for a variable v it holds linearly, v = -rest/c; where c is not provably nonzero the case
    c == 0 is added and eliminated in turn. The variable's bounds become conditions. None when
    no variable can be eliminated."""
    g = sympy.expand(g)
    if g == 0:
        return [(expr, [c for c in conditions if c[0] is not g])]
    if depth > 6:
        return None
    by_symbol = {v.symbol: v for v in variables}
    candidates = sorted(g.free_symbols, key=lambda s: (s not in by_symbol or by_symbol[s].domain.lower is not None
                                                     or by_symbol[s].domain.upper is not None, str(s)))
    ordered = []
    for symbol in candidates:
        try:
            coefficient = sympy.diff(g, symbol)
            if coefficient.has(symbol) or coefficient == 0:
                continue
            rest = sympy.expand(g - coefficient * symbol)
            if rest.has(symbol):
                continue
        except Exception:
            continue
        ordered.append((coefficient.is_nonzero is not True, sympy.count_ops(coefficient), str(symbol),
                        symbol, coefficient, rest))
    if not ordered:
        return None
    _, _, _, symbol, coefficient, rest = min(ordered, key=lambda t: t[:3])
    solution = -rest / coefficient
    others = [(c, r) for c, r in conditions if c is not g]
    substituted = [(sympy.expand(c.xreplace({symbol: solution})), r) for c, r in others]
    var = by_symbol.get(symbol)
    if var is not None:
        substituted += _bounds_of(var, solution)
    cases = [(expr.xreplace({symbol: solution}), substituted + [(coefficient, "!=")])]
    if coefficient.is_nonzero is not True:
        zero = _eliminate(expr, others + [(g, "==")], coefficient, variables, depth + 1)
        if zero is None:
            return None
        for zero_expr, zero_conditions in zero:
            remaining = [c for c in zero_conditions if c[1] == "==" and c[0] != 0]
            conditions_left = [c for c in zero_conditions if c[1] != "=="]
            sub = [(zero_expr, conditions_left)]
            for h, _ in remaining:
                sub = [case for e, cs in sub for case in (_eliminate(e, cs, h, variables, depth + 1) or [(None, None)])]
            cases += sub
    return cases


def _bounds_of(var: Var, value: sympy.Expr) -> list:
    d = var.domain
    bounds = []
    if d.lower is not None:
        bounds.append((value - sympy.Rational(d.lower.numerator, d.lower.denominator), ">"))
    elif d.closed_lower is not None:
        bounds.append((value, ">="))
    if d.upper is not None:
        bounds.append((sympy.Rational(d.upper.numerator, d.upper.denominator) - value, ">"))
    return bounds


def _domain_conditions(variables: Sequence[Var], expr: sympy.Expr) -> list:
    """The declared bounds of the variables in expr, as conditions (for the case splits)."""
    if not expr.has(*PIECEWISE_TYPES):
        return []
    conditions = []
    for var in variables:
        if var.domain.values is None and var.symbol in expr.free_symbols:
            conditions += _bounds_of(var, var.symbol)
    return conditions


# --- linear arithmetic: is a region empty? -------------------------------------------------

def _linear(expr: sympy.Expr):
    """expr as ({monomial: Fraction}, Fraction constant), monomials opaque; None if too big."""
    try:
        expanded = sympy.expand(expr)
    except Exception:
        return None
    terms = sympy.Add.make_args(expanded)
    if len(terms) > 60:
        return None
    coefficients: dict = {}
    constant = Fraction(0)
    for term in terms:
        coefficient, monomial = term.as_coeff_Mul()
        if not coefficient.is_Rational:
            coefficient, monomial = sympy.Integer(1), term
        value = Fraction(int(coefficient.p), int(coefficient.q))
        if monomial == 1:
            constant += value
        else:
            coefficients[monomial] = coefficients.get(monomial, Fraction(0)) + value
    return {k: v for k, v in coefficients.items() if v != 0}, constant


def _rows(g: sympy.Expr, relation: str) -> list | None:
    linear = _linear(g)
    if linear is None:
        return None
    coefficients, constant = linear
    negated = ({k: -v for k, v in coefficients.items()}, -constant)
    if relation in (">", ">="):
        return [(coefficients, constant, relation == ">")]
    if relation in ("<", "<="):
        return [(negated[0], negated[1], relation == "<")]
    if relation == "==":
        return [(coefficients, constant, False), (negated[0], negated[1], False)]
    return []  # != : no linear row


def _sign_rows(monomial: sympy.Expr, variables: Sequence[Var]) -> list:
    """What SymPy's assumptions and the declared bounds say about one opaque monomial."""
    rows = []
    one = {monomial: Fraction(1)}
    minus = {monomial: Fraction(-1)}
    if monomial.is_number:  # pi, sqrt(2), log(2): bracket it between two rationals
        if monomial.is_extended_real is not True:
            return rows
        approx = Fraction(str(sympy.N(monomial, 40)))
        margin = Fraction(1, 10 ** 30) * max(1, abs(approx))
        return [(one, -(approx - margin), False), (minus, approx + margin, False)]
    try:
        if monomial.is_positive:
            rows.append((one, Fraction(0), True))
        elif monomial.is_negative:
            rows.append((minus, Fraction(0), True))
        elif monomial.is_nonnegative:
            rows.append((one, Fraction(0), False))
        elif monomial.is_nonpositive:
            rows.append((minus, Fraction(0), False))
    except Exception:
        pass
    for var in variables:
        if var.symbol == monomial and var.domain.values is None:
            if var.domain.lower is not None:
                rows.append((one, -var.domain.lower, True))
            if var.domain.upper is not None:
                rows.append((minus, var.domain.upper, True))
    return rows


def _infeasible(conditions: list, variables: Sequence[Var]) -> bool:
    """True when the conditions cannot hold together (Fourier-Motzkin over the monomials taken
    as independent real unknowns -- a relaxation, so "empty" is always right; False: unknown)."""
    rows = []
    for g, relation in conditions:
        new = _rows(g, relation)
        if new is None:
            continue
        rows += new
    monomials = set().union(*(r[0].keys() for r in rows)) if rows else set()
    for monomial in monomials:
        rows += _sign_rows(monomial, variables)
    return _fourier_motzkin(rows)


def _fourier_motzkin(rows: list) -> bool:
    rows = [r for r in rows]
    for coefficients, constant, strict in rows:
        if not coefficients and (constant < 0 or (strict and constant <= 0)):
            return True
    while True:
        keys = {k for r in rows for k in r[0]}
        if not keys:
            return False
        key = min(keys, key=lambda k: (sum(1 for r in rows if k in r[0] and r[0][k] > 0)
                                       * sum(1 for r in rows if k in r[0] and r[0][k] < 0), str(k)))
        positive = [r for r in rows if r[0].get(key, 0) > 0]
        negative = [r for r in rows if r[0].get(key, 0) < 0]
        new = [r for r in rows if key not in r[0]]
        for p in positive:
            for n in negative:
                a, b = p[0][key], -n[0][key]
                coefficients = {}
                for k in set(p[0]) | set(n[0]):
                    value = b * p[0].get(k, 0) + a * n[0].get(k, 0)
                    if value != 0 and k != key:
                        coefficients[k] = value
                constant = b * p[1] + a * n[1]
                strict = p[2] or n[2]
                if not coefficients:
                    if constant < 0 or (strict and constant <= 0):
                        return True
                    continue
                new.append((coefficients, constant, strict))
        if len(new) > MAX_ROWS:
            return False
        rows = new


# --- exact evaluation ----------------------------------------------------------------------

class _NotEvaluable(Exception):
    """The expression has no finite value at this point (a pole, log 0, an overflow guard)."""


def _real_part(value):
    return value.real if isinstance(value, mpmath.mpc) else value


class _Evaluator:
    """An expression's value at an exact point, with mpmath at ``digits`` significant digits.

    Complex intermediate values follow SymPy's principal branches (log of a negative number is
    complex). Poles, log 0 and exp of arguments beyond EXP_LIMIT raise _NotEvaluable."""

    def __init__(self, point: dict, digits: int):
        self.prec = int(digits * 3.33) + 20
        self.point = point
        self.digits = digits
        self.cache: dict = {}
        with mpmath.workprec(self.prec):
            self.values = {s: self._exact(v) for s, v in point.items()}

    def _exact(self, value):
        value = sympy.sympify(value)
        if value.is_Rational:
            return mpmath.mpf(int(value.p)) / int(value.q)
        return self._fallback(value)

    def __call__(self, expr: sympy.Expr):
        with mpmath.workprec(self.prec):
            try:
                value = self.value(sympy.sympify(expr))
            except (ZeroDivisionError, OverflowError, ValueError, TypeError, ArithmeticError):
                raise _NotEvaluable() from None
            if not mpmath.isfinite(value) or (isinstance(value, mpmath.mpc) and mpmath.isnan(value)):
                raise _NotEvaluable()
            return value

    def value(self, e):
        cached = self.cache.get(e)
        if cached is not None:
            return cached
        result = self._value(e)
        if isinstance(result, (mpmath.mpf, mpmath.mpc)) and not mpmath.isfinite(result):
            raise _NotEvaluable()
        self.cache[e] = result
        return result

    def _value(self, e):
        if e.is_Symbol:
            if e not in self.values:
                raise _NotEvaluable()
            return self.values[e]
        if e.is_Rational:
            return mpmath.mpf(int(e.p)) / int(e.q)
        if e.is_Float:
            return mpmath.mpf(e._to_mpmath(self.prec))
        if e is sympy.I:
            return mpmath.mpc(0, 1)
        if isinstance(e, sympy.NumberSymbol):
            return e._to_mpmath(self.prec)
        if e in (sympy.zoo, sympy.nan, sympy.oo, -sympy.oo):
            raise _NotEvaluable()
        if e.is_Add:
            return mpmath.fsum(self.value(a) for a in e.args)
        if e.is_Mul:
            result = mpmath.mpf(1)
            for a in e.args:
                result = result * self.value(a)
            return result
        if e.is_Pow:
            return self._power(e)
        f = _FUNCTIONS.get(type(e))
        if f is not None:
            return f(self, *e.args)
        if isinstance(e, sympy.Piecewise):
            for value, condition in e.args:
                if self._holds(condition):
                    return self.value(value)
            raise _NotEvaluable()
        return self._fallback(e)

    def _power(self, e):
        base, exponent = e.args
        b = self.value(base)
        if exponent.is_Integer:
            if b == 0 and exponent < 0:
                raise _NotEvaluable()
            if abs(int(exponent)) > 1 and b != 0 and abs(int(exponent) * mpmath.log(abs(b))) > EXP_LIMIT:
                raise _NotEvaluable()
            return b ** int(exponent)
        x = self.value(exponent)
        if b == 0:
            if _real_part(x) > 0:
                return mpmath.mpf(0)
            raise _NotEvaluable()
        if abs(_real_part(x) * mpmath.log(abs(b))) > EXP_LIMIT:
            raise _NotEvaluable()
        if exponent == sympy.Rational(1, 2):
            return mpmath.sqrt(b)
        return mpmath.power(b, x)

    def _holds(self, condition) -> bool:
        if condition in (sympy.true, True):
            return True
        if condition in (sympy.false, False):
            return False
        if isinstance(condition, sympy.And):
            return all(self._holds(c) for c in condition.args)
        if isinstance(condition, sympy.Or):
            return any(self._holds(c) for c in condition.args)
        if isinstance(condition, sympy.Not):
            return not self._holds(condition.args[0])
        if isinstance(condition, sympy.Rel):
            lhs, rhs = self.value(condition.lhs), self.value(condition.rhs)
            if isinstance(lhs, mpmath.mpc) or isinstance(rhs, mpmath.mpc):
                if (isinstance(lhs, mpmath.mpc) and lhs.imag != 0) or (isinstance(rhs, mpmath.mpc) and rhs.imag != 0):
                    raise _NotEvaluable()
                lhs, rhs = _real_part(lhs), _real_part(rhs)
            gap = lhs - rhs
            if abs(gap) <= mpmath.mpf(10) ** (-(self.digits - 10)) * max(1, abs(lhs), abs(rhs)):
                if isinstance(condition, (sympy.Equality, sympy.Unequality)) and gap == 0:
                    return isinstance(condition, sympy.Equality)
                raise _NotEvaluable()  # too close to the boundary to decide at this precision
            return {sympy.StrictLessThan: gap < 0, sympy.LessThan: gap <= 0, sympy.StrictGreaterThan: gap > 0,
                    sympy.GreaterThan: gap >= 0, sympy.Equality: False, sympy.Unequality: True}[type(condition)]
        raise _NotEvaluable()

    def _fallback(self, e):
        """Anything else (Sum, loggamma of exotic arguments, ...) by SymPy's own evalf."""
        exact = e.xreplace(self.point) if self.point else e
        value = sympy.N(exact, self.digits)
        if value.free_symbols or not value.is_number or value.has(sympy.zoo, sympy.nan, sympy.oo, -sympy.oo):
            raise _NotEvaluable()
        re, im = value.as_real_imag()
        re, im = sympy.N(re, self.digits), sympy.N(im, self.digits)
        if not (re.is_Float or re.is_Rational or re == 0) or not (im.is_Float or im.is_Rational or im == 0):
            raise _NotEvaluable()
        real = mpmath.mpf(re._to_mpmath(self.prec)) if re.is_Float else mpmath.mpf(int(re.p)) / int(re.q)
        if im == 0:
            return real
        imag = mpmath.mpf(im._to_mpmath(self.prec)) if im.is_Float else mpmath.mpf(int(im.p)) / int(im.q)
        return mpmath.mpc(real, imag)


def _exp(ev, x):
    v = ev.value(x)
    if abs(_real_part(v)) > EXP_LIMIT:
        raise _NotEvaluable()
    return mpmath.exp(v)


def _log(ev, x, *base):
    v = ev.value(x)
    if v == 0:
        raise _NotEvaluable()
    result = mpmath.log(v)
    if base:
        b = ev.value(base[0])
        result = result / mpmath.log(b)
    return result


def _real_only(f):
    def apply(ev, *args):
        values = [ev.value(a) for a in args]
        if any(isinstance(v, mpmath.mpc) and v.imag != 0 for v in values):
            raise _NotEvaluable()
        return f(*[_real_part(v) for v in values])
    return apply


def _sign(ev, x):
    v = ev.value(x)
    if v == 0:
        return mpmath.mpf(0)
    return v / abs(v)


def _heaviside(ev, x, *at_zero):
    v = ev.value(x)
    if isinstance(v, mpmath.mpc) and v.imag != 0:
        raise _NotEvaluable()
    v = _real_part(v)
    if v == 0:
        return ev.value(at_zero[0]) if at_zero else mpmath.mpf(1) / 2
    return mpmath.mpf(1) if v > 0 else mpmath.mpf(0)


def _guarded(f, limit=EXP_LIMIT):
    def apply(ev, x):
        v = ev.value(x)
        if abs(_real_part(v)) > limit:
            raise _NotEvaluable()
        return f(v)
    return apply


def _plain(f):
    return lambda ev, *args: f(*(ev.value(a) for a in args))


_FUNCTIONS = {
    sympy.exp: _exp,
    sympy.log: _log,
    sympy.Abs: lambda ev, x: abs(ev.value(x)),
    sympy.sign: _sign,
    sympy.Heaviside: _heaviside,
    sympy.Max: _real_only(lambda *v: max(v)),
    sympy.Min: _real_only(lambda *v: min(v)),
    sympy.sin: _guarded(mpmath.sin), sympy.cos: _guarded(mpmath.cos), sympy.tan: _guarded(mpmath.tan),
    sympy.sinh: _guarded(mpmath.sinh), sympy.cosh: _guarded(mpmath.cosh), sympy.tanh: _plain(mpmath.tanh),
    sympy.asinh: _plain(mpmath.asinh), sympy.acosh: _plain(mpmath.acosh), sympy.atanh: _plain(mpmath.atanh),
    sympy.atan: _plain(mpmath.atan), sympy.asin: _plain(mpmath.asin), sympy.acos: _plain(mpmath.acos),
    sympy.erf: _plain(mpmath.erf), sympy.erfc: _plain(mpmath.erfc),
    sympy.gamma: _guarded(mpmath.gamma, 10 ** 6), sympy.loggamma: _plain(mpmath.loggamma),
    sympy.factorial: _guarded(lambda v: mpmath.gamma(v + 1), 10 ** 6),
    sympy.re: _plain(lambda v: _real_part(v)), sympy.im: _plain(lambda v: v.imag if isinstance(v, mpmath.mpc) else 0),
    sympy.conjugate: _plain(mpmath.conj),
}


def evaluate(expr: sympy.Expr, point: dict[sympy.Symbol, sympy.Expr], digits: int = DIGITS):
    """``expr`` at an exact point to ``digits`` digits as a SymPy number (None where undefined)."""
    try:
        value = _Evaluator(point, digits)(expr)
    except _NotEvaluable:
        return None
    if isinstance(value, mpmath.mpc):
        return sympy.Float(value.real, digits) + sympy.I * sympy.Float(value.imag, digits)
    return sympy.Float(value, digits)


# --- evaluation points ---------------------------------------------------------------------

def evaluation_points(variables: Sequence[Var], count: int = EVAL_POINTS,
                      seed: int = 0) -> list[dict[sympy.Symbol, sympy.Expr]]:
    """``count`` exact points of the variables' declared domains, every finite case covered.

    The first TYPICAL_POINTS come from the well-conditioned sampling ranges (readable
    counterexamples); the others mix, per variable, every kind its domain has -- large
    denominators, anywhere in the constraint, near each bound, large magnitudes where unbounded,
    tiny magnitudes around 0 (:meth:`Domain.exact_value`)."""
    rng = random.Random(seed)
    cases = finite_cases(variables)
    continuous = [v for v in variables if v.domain.values is None]
    points = []
    for i in range(max(count, len(cases))):
        point = dict(cases[i % len(cases)])
        for k, var in enumerate(continuous):
            kinds = var.domain.exact_kinds()
            if i < TYPICAL_POINTS or len(kinds) == 1:
                kind = "typical"
            else:
                j = i - TYPICAL_POINTS
                kind = kinds[(j + k * (1 + j // len(kinds))) % len(kinds)]
            point[var.symbol] = var.domain.exact_value(kind, rng)
        points.append(point)
    return points


def random_points(variables: Sequence[Var], count: int, seed: int) -> list[dict[sympy.Symbol, sympy.Expr]]:
    """Alias of :func:`evaluation_points` (the points cover the declared domain)."""
    return evaluation_points(variables, count, seed)


@dataclass
class PointDifference:
    point: dict[str, str]
    candidate: str
    expected: str
    abs_diff: float

    def to_json(self) -> dict:
        """JSON has no number for an infinite or NaN float: such an ``abs_diff`` is null, with
        ``abs_diff_reason`` saying why (the exact values are in ``candidate_value`` and ``expected_value``)."""
        data = {"point": self.point, "candidate_value": self.candidate, "expected_value": self.expected,
                "abs_diff": self.abs_diff if math.isfinite(self.abs_diff) else None}
        if data["abs_diff"] is None:
            data["abs_diff_reason"] = "beyond the range of a float: see candidate_value and expected_value"
        return data


@dataclass
class PointsOutcome:
    """What the exact points showed."""

    max_abs_diff: float | None
    difference: PointDifference | None
    evaluated: int  # points where both sides have a value
    undefined: int  # skipped: a side undefined there (pole, log 0, overflow, time)
    unresolved: int  # a 50-digit difference that higher precision did not confirm


def _as_text(value) -> str:
    if isinstance(value, mpmath.mpc):
        return mpmath.nstr(value, 12)
    return mpmath.nstr(value, 12)


def _float(value) -> float:
    try:
        return float(value)
    except (OverflowError, ValueError):
        return float("inf")


def _values(candidate, expected, point, digits):
    evaluator = _Evaluator(point, digits)
    return evaluator(candidate), evaluator(expected)


def _differs(got, want) -> bool:
    scale = max(mpmath.mpf(1), abs(got), abs(want))
    return abs(got - want) > DIFFERENCE_THRESHOLD * scale


def check_points(candidate: sympy.Expr, expected: sympy.Expr,
                 points: Sequence[dict[sympy.Symbol, sympy.Expr]]) -> PointsOutcome:
    """Evaluate both at each point; the first *confirmed* difference is the counterexample.

    A point where either side is undefined (or takes over POINT_SECONDS) is skipped; a
    difference at DIGITS digits is re-computed at CONFIRM_DIGITS and counts only if the two
    higher-precision differences agree (catastrophic cancellation is not a counterexample)."""
    candidate, expected = sympy.sympify(candidate), sympy.sympify(expected)
    max_diff = None
    evaluated = undefined = unresolved = 0
    for point in points:
        try:
            with time_limit(POINT_SECONDS):
                got, want = _values(candidate, expected, point, DIGITS)
                if not _differs(got, want):
                    evaluated += 1
                    diff = _float(abs(got - want))
                    max_diff = diff if max_diff is None else max(max_diff, diff)
                    continue
                confirmed = _confirm(candidate, expected, point)
        except (_NotEvaluable, SymPyTimeout, RecursionError, MemoryError):
            if remaining_seconds() == 0:
                raise SymPyTimeout() from None
            undefined += 1
            continue
        status, got, want = confirmed
        if status == "unresolved":
            unresolved += 1
            continue
        diff = _float(abs(got - want))
        evaluated += 1
        max_diff = diff if max_diff is None else max(max_diff, diff)
        if status == "agrees":  # the 50-digit difference was round-off (catastrophic cancellation)
            continue
        return PointsOutcome(max_diff, PointDifference({str(k): str(v) for k, v in point.items()},
                                                       _as_text(got), _as_text(want), diff),
                             evaluated, undefined, unresolved)
    return PointsOutcome(max_diff, None, evaluated, undefined, unresolved)


def _confirm(candidate, expected, point):
    """("differs", got, want) if the difference is resolved at the higher precisions (both show it
    and agree on it), ("agrees", got, want) if the highest precision shows none (it was round-off),
    else ("unresolved", None, None)."""
    (got1, want1), (got2, want2) = (_values(candidate, expected, point, digits) for digits in CONFIRM_DIGITS)
    if not _differs(got2, want2):
        return "agrees", got2, want2
    d1, d2 = got1 - want1, got2 - want2
    if not _differs(got1, want1) or abs(d1 - d2) > abs(d2) * mpmath.mpf("1e-6"):
        return "unresolved", None, None
    return "differs", got2, want2


def compare_at_points(candidate: sympy.Expr, expected: sympy.Expr,
                      points: Sequence[dict[sympy.Symbol, sympy.Expr]]) -> tuple[float, PointDifference | None]:
    """Largest |candidate - expected| over the points, and the first point where they differ
    (confirmed at higher precision; undefined points skipped)."""
    outcome = check_points(candidate, expected, points)
    return (outcome.max_abs_diff or 0.0), outcome.difference
