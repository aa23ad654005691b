r"""Comparing two sides of a lecture statement: normal form, opaque atoms, exact points, proofs.

A side read in document mode (:func:`derivspec.core.latex.read_document`) may hold opaque
parts: applications of functions the lecture never defines (p(x), q(z|x), \mathbb E[...]),
sums over symbolic ranges, integrals, derivatives of opaque terms. Two sides are compared in
the *positive world*: every symbol of the document is a positive real and every opaque value a
positive real (densities, probabilities, expectations of positive quantities -- the
conventional reading, recorded in each reason). In that world:

* :func:`normal_form` applies the rewrites that hold for *every* meaning of the opaque parts:
  linearity of expectations, sums and integrals (numeric factors and factors free of the
  summation index come out, sums split), and the log rules for positive arguments;
* :func:`atomize` replaces each remaining opaque part by a positive symbol, the same symbol for
  the same part on both sides;
* :func:`compare_at_points` evaluates both sides exactly (mpmath, 50 digits, confirmed at 120 and
  240) at points of a box of the positive world; a point where either side is not a real number
  is skipped. It also tells whether the difference depends on the opaque values -- if it does,
  nothing can be concluded (a relation between p(x) and p(x, y) that the notation implies is
  not visible to the checker);
* :func:`prove_equal` tries SymPy's rewrites (time-limited) to reduce the difference to 0.

A difference found at points is evidence that the step is wrong only where the *reading* is
right; the guards that decide whether it is reported live in :mod:`derivspec.scan.steps`.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass, field
from fractions import Fraction

import mpmath
import sympy

from derivspec.core import symbolic
from derivspec.core.latex import is_opaque_function

INTEGER_NAMES = frozenset({"n", "N", "m", "M", "K", "k", "d", "i", "j", "l"})
POINTS = 16
PROOF_SECONDS = 2.0


def is_linear_operator(expr) -> bool:
    """Expectations (\\mathbb E, E), sums, integrals: linear in their argument."""
    if isinstance(expr, (sympy.Sum, sympy.Integral)):
        return True
    if not is_opaque_function(expr) or isinstance(expr, sympy.Symbol):
        return False
    name = expr.func.__name__
    head = re.sub(r"[\[⟮].*$", "", name)
    return len(expr.args) == 1 and (head.startswith(r"\mathbb{E}") or head in ("E",) or head.startswith("E_")
                                    or head.startswith(r"\mathrm{E}") or head.startswith(r"\mathbf{E}"))


def _positive_log_expand(expr):
    try:
        return sympy.expand_log(expr, force=True)
    except Exception:
        return expr


def _split_linear(op_expr, rebuild, argument, index_symbols) -> sympy.Expr:
    """op(sum of terms) -> sum of op(term), with numeric factors (and, for sums and integrals,
    factors free of the index) taken out."""
    inner = sympy.expand(_positive_log_expand(argument))
    terms = sympy.Add.make_args(inner)
    out = []
    for term in terms:
        coefficient, rest = [], []
        for factor in sympy.Mul.make_args(term):
            if factor.is_number or (index_symbols is not None and not (factor.free_symbols & index_symbols)
                                    and not _has_bound(factor, index_symbols)):
                coefficient.append(factor)
            else:
                rest.append(factor)
        body = sympy.Mul(*rest)
        if body == 1 and index_symbols is None:
            out.append(sympy.Mul(*coefficient))  # E[c] = c
            continue
        out.append(sympy.Mul(*coefficient) * rebuild(body))
    return sympy.Add(*out)


def _has_bound(factor, symbols) -> bool:
    return any(s in getattr(factor, "free_symbols", set()) for s in symbols)


def normal_form(expr: sympy.Expr) -> sympy.Expr:
    """Linearity of E / Sum / Integral and log rules in the positive world (see the module)."""
    def walk(e):
        if not e.args or isinstance(e, sympy.Symbol):
            return e
        if isinstance(e, sympy.Sum):
            body = walk(e.function)
            limits = e.limits
            index = {lim[0] for lim in limits}
            return _split_linear(e, lambda b: sympy.Sum(b, *limits), body, index)
        if isinstance(e, sympy.Integral):
            body = walk(e.function)
            limits = e.limits
            index = {lim[0] for lim in limits}
            return _split_linear(e, lambda b: sympy.Integral(b, *limits), body, index)
        if is_linear_operator(e):
            body = walk(e.args[0])
            return _split_linear(e, lambda b: e.func(b), body, None)
        if isinstance(e, (sympy.Product, sympy.Derivative)):
            return e
        args = [walk(a) for a in e.args]
        try:
            return e.func(*args)
        except Exception:
            return e
    try:
        return walk(expr)
    except Exception:
        return expr


@dataclass
class Atoms:
    """Opaque parts -> positive symbols, shared by the sides of one comparison."""

    table: dict = field(default_factory=dict)

    def symbol_of(self, part) -> sympy.Symbol:
        found = self.table.get(part)
        if found is None:
            found = sympy.Symbol(f"⟪{len(self.table)}⟫", positive=True)
            self.table[part] = found
        return found

    @property
    def symbols(self) -> set:
        return set(self.table.values())

    def describe(self, symbols) -> str:
        back = {v: k for k, v in self.table.items()}
        return ", ".join(sorted(_short(back[s]) for s in symbols if s in back))


def pretty(expr) -> str:
    """An opaque part as the lecture wrote it (roughly): p[|](x, z) -> p(x | z), E⟮⟯(Y) -> E[Y]."""
    from derivspec.core.latex import is_opaque_function

    if isinstance(expr, sympy.Symbol):
        name = expr.name
        return name[1:-1] if name.startswith("⟦") and name.endswith("⟧") else name
    if is_opaque_function(expr):
        name = expr.func.__name__
        square = name.endswith("⟮⟯")
        if square:
            name = name[:-2]
        m = re.match(r"^(.*?)(?:\[([^\]]*)\])?$", name)
        head, seps = m.group(1), m.group(2) or ""
        args = [pretty(a) for a in expr.args]
        inner = args[0] if args else ""
        for sep, arg in zip(seps, args[1:]):
            inner += {",": ", ", ";": "; ", "|": " | ", "‖": " ‖ ", ":": ": "}.get(sep, sep) + arg
        return f"{head}[{inner}]" if square else f"{head}({inner})"
    if isinstance(expr, (sympy.Sum, sympy.Product, sympy.Integral, sympy.Derivative)):
        kind = {sympy.Sum: "sum", sympy.Product: "product", sympy.Integral: "integral",
                sympy.Derivative: "derivative"}[type(expr)]
        return f"a {kind} of {pretty(expr.args[0])}"
    if expr.args:
        return sympy.sstr(expr.func(*[sympy.Symbol(pretty(a)) if a.free_symbols else a for a in expr.args]))
    return sympy.sstr(expr)


def _short(expr) -> str:
    text = pretty(expr)
    return text if len(text) <= 60 else text[:57] + "..."


def atomize(expr: sympy.Expr, atoms: Atoms) -> sympy.Expr:
    """``expr`` with every maximal opaque part replaced by its positive symbol."""
    def walk(e):
        if isinstance(e, sympy.Symbol):
            if e.name.startswith("⟦"):
                return atoms.symbol_of(e)
            return e
        if is_opaque_function(e) or isinstance(e, (sympy.Sum, sympy.Product, sympy.Integral, sympy.Derivative)):
            return atoms.symbol_of(e)
        if not e.args:
            return e
        args = [walk(a) for a in e.args]
        try:
            return e.func(*args)
        except Exception:
            return e
    return walk(expr)


def positive_world(expr: sympy.Expr) -> tuple[sympy.Expr, dict]:
    """``expr`` with each real symbol replaced by a positive one of the same name; and the map."""
    mapping = {s: sympy.Symbol(s.name, positive=True) for s in expr.free_symbols
               if isinstance(s, sympy.Symbol) and not s.is_positive}
    return expr.xreplace(mapping), mapping


# --- points ------------------------------------------------------------------------------------

def is_integer_name(symbol: sympy.Symbol) -> bool:
    """n, N, K, d, m, i, j (a count or an index), optionally subscripted."""
    base = re.sub(r"_.*$", "", symbol.name)
    return base in INTEGER_NAMES


def box_points(symbols, count: int = POINTS, seed: int = 0, box=(Fraction(1, 20), Fraction(19, 20)),
               constraints: dict | None = None) -> list[dict]:
    """Exact points: each symbol a rational in ``box`` (an integer 1..9 for count-like names;
    ``constraints`` may give a symbol its own interval)."""
    rng = random.Random(seed)
    constraints = constraints or {}
    points = []
    ordered = sorted(symbols, key=lambda s: s.name)
    for k in range(count):
        point = {}
        for s in ordered:
            low, high = constraints.get(s, box)
            if is_integer_name(s) and s not in constraints:
                point[s] = sympy.Integer(rng.randint(1, 9))
                continue
            if k % 3 == 2:
                denominator = 10 ** 9 + 7
                value = Fraction(rng.randint(int(low * denominator) + 1, int(high * denominator) - 1), denominator)
            else:
                value = Fraction(rng.uniform(float(low), float(high))).limit_denominator(64)
                if not low < value < high:
                    value = (low + high) / 2
            point[s] = sympy.Rational(value.numerator, value.denominator)
        points.append(point)
    return points


class _RealEvaluator(symbolic._Evaluator):
    """The core evaluator, refusing any non-real intermediate value (log of a negative number,
    the square root of one): such a point is outside the statement's natural domain."""

    def value(self, e):
        result = super().value(e)
        if isinstance(result, mpmath.mpc):
            if result.imag != 0:
                raise symbolic._NotEvaluable()
            result = result.real
        return result


def evaluate(expr, point, digits: int = symbolic.DIGITS):
    try:
        return _RealEvaluator(point, digits)(expr)
    except (symbolic._NotEvaluable, ZeroDivisionError, OverflowError, ValueError, TypeError, ArithmeticError):
        return None
    except RecursionError:
        return None


@dataclass
class PointComparison:
    evaluated: int = 0
    differing: int = 0
    skipped: int = 0
    first: dict | None = None  # the first confirmed difference: point, left, right
    depends_on_atoms: bool = False
    signs: set = field(default_factory=set)  # signs of left - right at the evaluated points
    above: int = 0  # confirmed points where left > right
    below: int = 0  # confirmed points where left < right


def _differs(a, b) -> bool:
    scale = max(mpmath.mpf(1), abs(a), abs(b))
    return abs(a - b) > symbolic.DIFFERENCE_THRESHOLD * scale


def _confirmed(left, right, point) -> tuple[bool, object, object]:
    values = []
    for digits in symbolic.CONFIRM_DIGITS:
        a, b = evaluate(left, point, digits), evaluate(right, point, digits)
        if a is None or b is None:
            return False, None, None
        values.append((a, b))
    (a1, b1), (a2, b2) = values
    if not _differs(a2, b2) or not _differs(a1, b1):
        return False, a2, b2
    if abs((a1 - b1) - (a2 - b2)) > abs(a2 - b2) * mpmath.mpf("1e-6"):
        return False, a2, b2
    return True, a2, b2


def compare_at_points(left: sympy.Expr, right: sympy.Expr, points: list[dict], atom_symbols=(),
                      seed: int = 0, seconds: float = 4.0) -> PointComparison:
    """Both sides at each point (atoms at random positive values); differences confirmed at
    higher precision; whether the difference moves when only the atoms' values change."""
    rng = random.Random(seed + 7)
    outcome = PointComparison()
    atom_symbols = sorted(atom_symbols, key=lambda s: s.name)
    try:
        with symbolic.time_limit(seconds):
            for point in points:
                full = dict(point)
                for a in atom_symbols:
                    full[a] = sympy.Rational(rng.randint(1, 60), rng.randint(1, 60))
                try:
                    with symbolic.time_limit(1.0):
                        a_value, b_value = evaluate(left, full), evaluate(right, full)
                except symbolic.SymPyTimeout:
                    if symbolic.remaining_seconds() == 0:
                        raise
                    outcome.skipped += 1
                    continue
                if a_value is None or b_value is None:
                    outcome.skipped += 1
                    continue
                outcome.evaluated += 1
                gap = a_value - b_value
                if atom_symbols and not outcome.depends_on_atoms:
                    other = dict(full)
                    for a in atom_symbols:
                        other[a] = sympy.Rational(rng.randint(1, 60), rng.randint(1, 60))
                    a2, b2 = evaluate(left, other), evaluate(right, other)
                    if a2 is not None and b2 is not None and _differs(a2 - b2, gap):
                        outcome.depends_on_atoms = True
                if not _differs(a_value, b_value):
                    outcome.signs.add(0)
                    continue
                confirmed, a_hi, b_hi = _confirmed(left, right, full)
                if not confirmed:
                    outcome.skipped += 1
                    outcome.evaluated -= 1
                    continue
                outcome.differing += 1
                outcome.signs.add(1 if a_hi > b_hi else -1)
                if a_hi > b_hi:
                    outcome.above += 1
                else:
                    outcome.below += 1
                if outcome.first is None:
                    outcome.first = {"point": {str(k): str(v) for k, v in point.items()},
                                     "left": mpmath.nstr(a_hi, 10), "right": mpmath.nstr(b_hi, 10)}
    except symbolic.SymPyTimeout:
        pass
    return outcome


# --- proofs ------------------------------------------------------------------------------------

def _exp_cancel(expr):
    return expr.replace(lambda e: isinstance(e, sympy.exp), lambda e: sympy.exp(sympy.cancel(e.args[0])))


_TESTS = (
    ("", lambda d: d),
    ("expand", sympy.expand),
    ("expand the logs", lambda d: sympy.expand(sympy.expand_log(d, force=True))),
    ("cancel", sympy.cancel),
    ("together", lambda d: sympy.cancel(sympy.together(sympy.expand_log(d, force=True)))),
    ("powers", lambda d: sympy.expand(sympy.powsimp(sympy.powdenest(d, force=True), force=True))),
    ("exponents", lambda d: sympy.simplify(_exp_cancel(sympy.expand_log(d, force=True)))),
    ("simplify", sympy.simplify),
    ("logcombine", lambda d: sympy.simplify(sympy.logcombine(sympy.expand_log(d, force=True), force=True))),
)


def prove_zero(difference: sympy.Expr, seconds: float = PROOF_SECONDS) -> str | None:
    """How SymPy reduced ``difference`` (positive symbols) to 0, or None."""
    try:
        with symbolic.time_limit(seconds):
            for how, test in _TESTS:
                try:
                    with symbolic.time_limit(seconds / 2):
                        if test(difference) == 0:
                            return how or "identical"
                except symbolic.SymPyTimeout:
                    if symbolic.remaining_seconds() == 0:
                        return None
                    continue
                except (KeyboardInterrupt, MemoryError):
                    raise
                except Exception:
                    continue
    except symbolic.SymPyTimeout:
        return None
    except RecursionError:
        return None
    return None


def ratio_constant_in(left, right, symbol, seconds: float = 1.0) -> bool:
    """Whether left/right is free of ``symbol`` (SymPy proves the derivative 0)."""
    try:
        with symbolic.time_limit(seconds):
            ratio = sympy.cancel(sympy.expand_log(left / right, force=True))
            return prove_zero(sympy.diff(ratio, symbol), seconds) is not None
    except (symbolic.SymPyTimeout, Exception):
        return False


def free_of(expr, symbol, seconds: float = 1.0) -> bool:
    """Whether SymPy proves d expr / d symbol = 0."""
    if symbol not in expr.free_symbols:
        return True
    try:
        return prove_zero(sympy.diff(expr, symbol), seconds) is not None
    except Exception:
        return False
