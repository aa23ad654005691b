r"""Comparing two sides of a lecture statement: normal form, opaque atoms, exact points, proofs.

A side read in document mode (:func:`derivspec.scan.reader.read_document`) may hold opaque
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

import functools
import itertools
import random
import re
from dataclasses import dataclass, field
from fractions import Fraction

import mpmath
import sympy

from derivspec.core import symbolic
from derivspec.scan.reader import (application_parts, is_linear_operator, is_opaque_function, rebuilt, walked,
                                   where_condition)
from derivspec.scan import information, probability
from derivspec.scan.notation import role_letters

INTEGER_NAMES = role_letters("integer")  # a guess: derivspec/data/knowledge/notation.toml
POINTS = 16
PROOF_SECONDS = 2.0


def _positive_log_expand(expr):
    try:
        return sympy.expand_log(expr, force=True)
    except Exception:
        return expr


def _constant_factor(factor, constants: frozenset) -> bool:
    """A factor made of the step's constants only (no opaque part)."""
    return bool(factor.free_symbols) and factor.free_symbols <= constants and not any(
        is_opaque_function(node) or isinstance(node, (sympy.Sum, sympy.Integral, sympy.Product, sympy.Derivative))
        for node in sympy.preorder_traversal(factor))


def _split_linear(op_expr, rebuild, argument, index_symbols, constants_out: bool = False,
                  constants: frozenset = frozenset()) -> sympy.Expr:
    """op(sum of terms) -> sum of op(term), with numeric factors (and, for sums and integrals,
    factors free of the index; for the canonical expectation, ``constants_out``, the values
    E[Y] of expectations: E[E[Y] X] = E[Y] E[X], E[E[Y]] = E[Y]) taken out."""
    inner = sympy.expand(_positive_log_expand(argument))
    terms = sympy.Add.make_args(inner)
    # constants come out of E only when the expectation is over something else (E[a X] = a E[X]);
    # E[a] alone, with no random variable in it, stays as written
    random = bool(constants_out and constants and inner.free_symbols - constants)
    out = []
    for term in terms:
        coefficient, rest = [], []
        for factor in sympy.Mul.make_args(term):
            if factor.is_number or (index_symbols is not None and not (factor.free_symbols & index_symbols)
                                    and not _has_bound(factor, index_symbols)) \
                    or (index_symbols is None and constants_out and is_expectation_value(factor)) \
                    or (index_symbols is None and constants_out and random and _constant_factor(factor, constants)):
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


INTEGRAL_SECONDS = 1.0


def definite_integral(integral: sympy.Integral) -> sympy.Expr | None:
    r"""The exact value of a definite integral of an elementary integrand with no parameter
    (``\int_0^\infty x^2 e^{-x}\,dx = 2``), or None: an opaque part, a free parameter, an
    unbounded limit SymPy cannot do, a divergent integral or the time limit leave it opaque."""
    try:
        if any(len(limit) != 3 for limit in integral.limits):
            return None
        variables = {limit[0] for limit in integral.limits}
        if any(is_opaque_function(node) or isinstance(node, (sympy.Sum, sympy.Product, sympy.Derivative))
               for node in sympy.preorder_traversal(integral.function)):
            return None
        if integral.function.free_symbols - variables or any(
                limit[1].free_symbols or limit[2].free_symbols for limit in integral.limits):
            return _with_parameters(integral)
        real = {v: sympy.Symbol(v.name, real=True) for v in variables}
        with symbolic.time_limit(INTEGRAL_SECONDS):
            value = sympy.integrate(integral.function.xreplace(real),
                                    *[(real[v], lo, hi) for v, lo, hi in integral.limits])
        if value.has(sympy.Integral) or value.free_symbols or not value.is_finite or value.has(sympy.Piecewise):
            return None
        if not value.is_real:
            return None
        return value
    except Exception:  # SymPyTimeout, NotImplementedError, recursion: left opaque
        return None


_ENTIRE = (sympy.exp, sympy.sin, sympy.cos, sympy.sinh, sympy.cosh)


def _entire(expr: sympy.Expr, variable: sympy.Symbol) -> bool:
    """``expr`` is built from ``variable`` by sums, products, whole powers and exp, sin, cos, sinh, cosh: smooth on the
    whole line at every value of its other names (which may stand anywhere, a power's base too)."""
    if variable not in expr.free_symbols:
        return True
    if isinstance(expr, (sympy.Add, sympy.Mul)) or isinstance(expr, _ENTIRE):
        return all(_entire(a, variable) for a in expr.args)
    if isinstance(expr, sympy.Pow):
        return expr.exp.is_Integer and expr.exp >= 0 and _entire(expr.base, variable)
    return expr == variable


@functools.lru_cache(maxsize=512)
def _with_parameters(integral: sympy.Integral) -> sympy.Expr | None:
    r"""``\int_0^b x^2\,dx = b^3/3``, ``\int_0^\infty x \lambda e^{-\lambda x}\,dx``: a definite integral with
    parameters. Over finite bounds, an integrand smooth on the whole line (:func:`_entire`) is its antiderivative's
    difference at every value of the parameters (the fundamental theorem), the antiderivative SymPy gives accepted only
    where differentiating it gives the integrand back; any other integral of one variable as
    :func:`_confirmed_at_two_points`. Anything else: None (left opaque)."""
    value = integral.function
    for variable, low, high in integral.limits:  # the innermost first
        if not _entire(value, variable) or any(b.has(sympy.oo, -sympy.oo, sympy.zoo) for b in (low, high)):
            value = None
            break
        with symbolic.time_limit(INTEGRAL_SECONDS):
            antiderivative = sympy.integrate(value, variable)
            if antiderivative.has(sympy.Integral, sympy.Piecewise) or \
                    sympy.simplify(sympy.diff(antiderivative, variable) - value) != 0:
                value = None
                break
        value = antiderivative.subs(variable, high) - antiderivative.subs(variable, low)
    if value is None and len(integral.limits) == 1:
        return _confirmed_at_two_points(integral)
    return value


_CONFIRMING = ((sympy.Rational(3, 4), sympy.Rational(1, 5)), (sympy.Rational(5, 3), sympy.Rational(-1, 7)))


def _agrees_at(value: sympy.Expr, points: list, numeric) -> bool:
    """SymPy's closed form ``value`` is the number ``numeric(point)`` mpmath computes (30 digits, to 12) at every
    point: an independent check of a closed form SymPy gives under a condition it states or drops."""
    for point in points:
        with mpmath.workdps(30):
            try:
                computed, closed = numeric(point), mpmath.mpf(sympy.N(value.xreplace(point), 30))
            except (TypeError, ValueError, ZeroDivisionError, OverflowError):
                return False
            if not mpmath.isfinite(computed) or abs(computed - closed) > mpmath.mpf("1e-12") * max(1, abs(closed)):
                return False
    return True


def _confirmed_at_two_points(integral: sympy.Integral) -> sympy.Expr | None:
    r"""``\int_0^\infty x \lambda e^{-\lambda x}\,dx = 1/\lambda``: SymPy's value where the integral converges
    (its generic case), kept only when mpmath's quadrature gives it at two points of the parameters (each positive,
    as a rate or a scale must be for such an integral to converge). None when SymPy leaves a case split or an
    integral, or a point disagrees or cannot be computed."""
    (variable, low, high), = integral.limits
    with symbolic.time_limit(INTEGRAL_SECONDS):
        value = sympy.integrate(integral.function, (variable, low, high), conds="none")
    if value.has(sympy.Integral, sympy.Piecewise, sympy.nan, sympy.zoo):
        return None
    parameters = sorted(integral.free_symbols, key=lambda p: p.name)

    def bound(b, point):
        return mpmath.mpf(sympy.N(b.xreplace(point), 30)) if b.is_finite is not False else (
            mpmath.inf if b == sympy.oo else -mpmath.inf)

    def quadrature(point):
        body = sympy.lambdify(variable, integral.function.xreplace(point), "mpmath")
        return mpmath.quad(body, [bound(low, point), bound(high, point)])
    points = [{p: start + k * step for k, p in enumerate(parameters)} for start, step in _CONFIRMING]
    return value if _agrees_at(value, points, quadrature) else None


_TRIAL_VALUES = (sympy.Rational(1, 3), sympy.Rational(2, 5), sympy.Rational(3, 4), sympy.Rational(-1, 4),
                 sympy.Rational(5, 3), sympy.Rational(7, 2))


def _convergent_series(series: sympy.Sum, cases: sympy.Piecewise) -> sympy.Expr | None:
    r"""``\sum_{k=1}^\infty (1 - p)^{k-1} p = 1``: the value SymPy gives where the series converges (its first case),
    kept only when mpmath's sum of the terms gives it at two points of the parameters where SymPy's condition holds.
    None otherwise."""
    value, condition = cases.args[0]
    if value.has(sympy.Sum, sympy.Piecewise, sympy.nan, sympy.zoo):
        return None
    (index, low, _), = series.limits
    parameters = sorted(series.free_symbols, key=lambda p: p.name)
    points = [point for values in itertools.product(_TRIAL_VALUES, repeat=len(parameters))
              if (point := dict(zip(parameters, values))) and condition.xreplace(point) is sympy.true][:2]
    if len(points) < 2 or len(parameters) > 3 or not low.is_Integer:
        return None

    def series_sum(point):
        return mpmath.nsum(sympy.lambdify(index, series.function.xreplace(point), "mpmath"), [int(low), mpmath.inf])
    return value if _agrees_at(value, points, series_sum) else None


def closed_sum(operator: sympy.Expr) -> sympy.Expr | None:
    r"""The exact value of a sum or product of an elementary summand (``\sum_{i=1}^n i = n(n+1)/2``,
    ``\sum_{i=1}^{10^{12}} i``), or None. Accepted only when SymPy's summation gives a rational
    function of the bounds without a case split: two rational functions that agree at every
    integer agree everywhere, so comparing them at rational points decides the identity for the
    integers it is about."""
    try:
        if any(len(limit) != 3 for limit in operator.limits):
            return None
        if any(where_condition(limit[2]) is not None for limit in operator.limits):
            return None  # an index under a condition (\sum_{i \ne j}) runs over a set, not up to a bound
        if any(is_opaque_function(node) or isinstance(node, (sympy.Sum, sympy.Product, sympy.Integral, sympy.Derivative))
               or (isinstance(node, sympy.Symbol) and node.name.startswith("⟦"))
               for node in sympy.preorder_traversal(operator.function)):
            return None
        with symbolic.time_limit(INTEGRAL_SECONDS):
            value = operator.doit()
        if value.has(sympy.Piecewise) and isinstance(operator, sympy.Sum) and len(operator.limits) == 1 \
                and operator.limits[0][2] == sympy.oo and isinstance(cases := sympy.piecewise_fold(value), sympy.Piecewise):
            return _convergent_series(operator, cases)
        if value.has(sympy.Sum, sympy.Product, sympy.Piecewise, sympy.zoo, sympy.nan):
            return None
        variables = sorted(value.free_symbols, key=lambda x: x.name)
        if variables and not value.is_rational_function(*variables):
            return None
        return value
    except Exception:  # SymPyTimeout, NotImplementedError, recursion: left opaque
        return None


# --- moments: one expectation, variance and covariance through it -------------------------------

EXPECTATION = sympy.Function(r"\mathbb{E}⟮⟯")  # the canonical unsubscripted expectation E[.]
_EXPECTATION_HEADS = frozenset({"E", r"\mathbb{E}", r"\mathrm{E}", r"\mathbf{E}", r"\operatorname{E}"})
_VARIANCE_HEADS = frozenset({r"\mathrm{Var}", r"\mathbb{V}", r"\mathrm{V}", r"\operatorname{Var}", r"\mathbb{Var}"})
_COVARIANCE_HEADS = frozenset({r"\mathrm{Cov}", r"\operatorname{Cov}", r"\mathbb{Cov}"})


def _head(expr) -> tuple[str, str, bool]:
    """(head, separators, square brackets) of an opaque application."""
    return application_parts(expr.func.__name__)


def _application(expr) -> bool:
    return is_opaque_function(expr) and not isinstance(expr, sympy.Symbol)


ENTROPY = sympy.Function("H")  # H(X) of a random variable
JOINT_ENTROPY = sympy.Function("H[,]")  # H(X, Y), arguments in a canonical order
_RANDOM_VARIABLE = re.compile(r"^(?:\\mathbf\{)?[STUVWXYZ]\}?(?:_.*)?$")  # X, Y, Z_1: not P, Q (distributions)


def _random_variables(args) -> bool:
    return all(isinstance(a, sympy.Symbol) and _RANDOM_VARIABLE.match(a.name) for a in args) and \
        len(set(args)) == len(args)


def _joint(*args):
    return JOINT_ENTROPY(*sorted(args, key=lambda a: a.name))


_MOMENT_NAME = re.compile(r"^\\(mu|sigma)_\{(.+)\}$")


def moment_notation(symbol) -> tuple[str, sympy.Expr] | None:
    r"""('mu' | 'sigma', Z) for ``\mu_Z`` or ``\sigma_Z`` whose subscript is a random variable or
    a sum of them (``\mu_X``, ``\sigma_{aX+b}``, ``\mu_{X+Y}``): the mean and the standard
    deviation of Z by the usual notation. Not ``\sigma_{XY}`` (a covariance), nor a subscript
    that is a number or a parameter (``\mu_1``, ``\sigma_k``), nor one with powers or braces."""
    if not isinstance(symbol, sympy.Symbol):
        return None
    m = _MOMENT_NAME.match(symbol.name)
    if not m:
        return None
    sub = re.sub(r"_\{?(\d+)\}?", r"_{\1}", m.group(2))
    if not re.fullmatch(r"(?:[A-Za-z0-9+\- ]|_\{\d+\})+", sub):
        return None
    from derivspec.scan.reader import DocumentNames, read_document

    try:
        expr = read_document(sub, DocumentNames()).expr
    except Exception:
        return None
    variables = [x for x in expr.free_symbols if _RANDOM_VARIABLE.match(x.name)]
    if not variables or any(is_opaque_function(node) for node in sympy.preorder_traversal(expr)):
        return None
    if isinstance(expr, sympy.Mul) and sum(1 for f in expr.args if f in variables) >= 2:
        return None  # sigma_{XY}: the covariance of X and Y
    if not expr.is_polynomial(*variables) or sympy.Poly(expr, *variables).total_degree() != 1:
        return None  # a linear combination of random variables only
    return m.group(1), expr


def moment_names(name: str) -> set | None:
    """The names a moment-notation symbol stands for (``\\mu_{aX+b}``: a, X, b); None otherwise."""
    found = moment_notation(sympy.Symbol(name))
    return {s.name for s in found[1].free_symbols} if found else None


def writes_square_expectation(*exprs) -> bool:
    """Whether an unsubscripted expectation is written with square brackets (E[X], \\mathbb E[X]):
    then E(X) in the same step is the same expectation, not a function E of X (an energy)."""
    for expr in exprs:
        for node in sympy.preorder_traversal(expr):
            if _application(node):
                head, seps, square = _head(node)
                if square and head in _EXPECTATION_HEADS and not seps and len(node.args) == 1:
                    return True
    return False


def is_expectation_value(factor) -> bool:
    """E[Y] (canonical, unconditional, unsubscripted) or a power of it: a number, whatever Y is."""
    if isinstance(factor, sympy.Pow) and factor.exp.is_number:
        factor = factor.base
    return getattr(factor, "func", None) == EXPECTATION


def canonical_moments(expr: sympy.Expr, parens: bool = False, log_base=None) -> sympy.Expr:
    r"""Expectations, variances and covariances written in one notation.

    * an unsubscripted, unconditional expectation of one argument (``E[X]``, ``\mathbb E[X]``,
      ``\mathrm E[X]``; ``E(X)`` too when ``parens``: the step also writes ``E[\cdot]``) becomes
      the canonical :data:`EXPECTATION`;
    * ``\mu_Z`` and ``\sigma_Z`` of a random variable Z (:func:`moment_notation`) become ``E[Z]``
      and the square root of the variance of Z;
    * ``\mathrm{Var}(Y)`` (any bracket, unsubscripted, one argument) becomes
      ``E[Y^2] - E[Y]^2`` and ``\mathrm{Cov}(X, Y)`` becomes ``E[XY] - E[X]E[Y]``: the
      definitions, true for every random variable with a second moment;
    * entropies of random variables (capital letters S to Z; never P or Q, which name
      distributions: H(P, Q) is a cross-entropy): ``H(X, Y)`` in one argument order, ``H(Y \mid
      X)`` becomes ``H(X, Y) - H(X)`` (the chain rule) and ``I(X; Y)`` or ``I(X, Y)`` becomes
      ``H(X) + H(Y) - H(X, Y)``;
    * KL divergences, entropies and cross-entropies of distributions become expected
      log-densities (:mod:`derivspec.scan.information`).

    Subscripted or conditional forms (``\mathrm{Var}_q``, ``E[Y \mid X]``, ``E_{x\sim p}``) are
    left as they are: their meaning depends on what the subscript or the condition binds."""
    def walk(e):
        if isinstance(e, sympy.Symbol):
            moment = moment_notation(e)
            if moment is None:
                return e
            kind, z = moment
            if kind == "mu":
                return EXPECTATION(z)
            return sympy.sqrt(EXPECTATION(sympy.expand(z ** 2)) - EXPECTATION(z) ** 2)
        if not e.args:
            return e
        args = [walk(a) for a in e.args]
        if _application(e):
            head, seps, square = _head(e)
            if head in _EXPECTATION_HEADS and not seps and len(args) == 1 and (square or parens or head != "E"):
                return EXPECTATION(args[0])
            if head in _VARIANCE_HEADS and not seps and len(args) == 1:
                return EXPECTATION(sympy.expand(args[0] ** 2)) - EXPECTATION(args[0]) ** 2
            if head in _COVARIANCE_HEADS and seps == "," and len(args) == 2:
                return (EXPECTATION(sympy.expand(args[0] * args[1]))
                        - EXPECTATION(args[0]) * EXPECTATION(args[1]))
            if head == "H" and _random_variables(args):
                if len(args) == 1:
                    return ENTROPY(args[0])
                if seps == "|" and len(args) == 2:  # chain rule: H(Y | X) = H(X, Y) - H(X)
                    return _joint(*args) - ENTROPY(args[1])
                if seps == "," and len(args) == 2:
                    return _joint(*args)
            if head == "I" and seps in (",", ";") and len(args) == 2 and _random_variables(args):
                # mutual information: I(X; Y) = H(X) + H(Y) - H(X, Y)
                return ENTROPY(args[0]) + ENTROPY(args[1]) - _joint(*args)
            rewritten = e.func(*args)
            terms = information.kl_terms(rewritten, log_base)  # KL, entropy, cross-entropy of distributions
            return terms if terms is not None else rewritten
        if isinstance(e, (sympy.Sum, sympy.Product, sympy.Integral, sympy.Derivative)):
            return e
        return rebuilt(e, args)
    return walked(walk, expr)


def _through_cross(expr: sympy.Expr) -> sympy.Expr:
    """Each term E_A[log b] (a subscripted expectation, an integral or sum of a(x) log b(x)) as
    :data:`information.CROSS`; other terms unchanged."""
    from derivspec.scan.reader import DocumentNames

    replacements = {}
    for term in sympy.Add.make_args(expr):
        for factor in sympy.Mul.make_args(term):
            found = None
            if isinstance(factor, (sympy.Integral, sympy.Sum)):
                found = information.integral_terms(factor, probability.over_support)
            elif is_linear_operator(factor) and factor.func != EXPECTATION:
                found = information.expectation_terms(factor, DocumentNames())
            if found is not None:
                replacements[factor] = found
    return expr.xreplace(replacements) if replacements else expr


def outside_symbols(*exprs) -> frozenset:
    """Symbols written outside every opaque part, sum and integral of the expressions."""
    found = set()

    def walk(e):
        if isinstance(e, sympy.Symbol):
            if not e.name.startswith(("⟦", "⟪", "⟨")):
                found.add(e)
            return
        if is_opaque_function(e) or isinstance(e, (sympy.Sum, sympy.Integral, sympy.Product, sympy.Derivative)):
            return
        for a in e.args:
            walk(a)
    for expr in exprs:
        walk(expr)
    return frozenset(found)


def normal_form(expr: sympy.Expr, parens: bool | None = None, constants: frozenset = frozenset(),
                log_base=None) -> sympy.Expr:
    r"""Moments in one notation (:func:`canonical_moments`), then linearity of E / Sum / Integral
    and log rules in the positive world (see the module). ``parens``: whether ``E(X)`` is an
    expectation (default: when ``expr`` itself writes ``E[\cdot]``). ``log_base``: the base the
    reading takes ``\log`` in (a KL or an entropy is then in that unit). ``constants``: the symbols
    the step writes outside every expectation (:func:`outside_symbols`): an unconditional
    expectation is a number, so a name standing beside it in the same equation is a number too,
    and comes out of an expectation over some other variable (E[a X + b] = a E[X] + b)."""
    if parens is None:
        parens = writes_square_expectation(expr)
    expr = canonical_moments(expr, parens, log_base)

    def walk(e):
        if not e.args or isinstance(e, sympy.Symbol):
            return e
        if isinstance(e, (sympy.Sum, sympy.Product)):
            value = closed_sum(e)
            if value is not None:
                return value
        if isinstance(e, sympy.Sum):
            body = walk(e.function)
            limits = e.limits
            index = {lim[0] for lim in limits}
            return _through_cross(_split_linear(e, lambda b: sympy.Sum(b, *limits), body, index))
        if isinstance(e, sympy.Integral):
            value = definite_integral(e)
            if value is not None:
                return value
            body = walk(e.function)
            limits = e.limits
            index = {lim[0] for lim in limits}
            return _through_cross(_split_linear(e, lambda b: sympy.Integral(b, *limits), body, index))
        if is_linear_operator(e):
            body = walk(e.args[0])
            return _through_cross(_split_linear(e, lambda b: e.func(b), body, None,
                                                constants_out=e.func == EXPECTATION, constants=constants))
        if isinstance(e, sympy.log) and isinstance(e.args[0], (sympy.Mul, sympy.Pow)) and e.args[0].has(sympy.Product):
            # log(a * prod_t b_t / prod_t c_t): split into logs first, so each product becomes a sum below
            expanded = _positive_log_expand(e)
            if expanded != e:
                return walk(expanded)
        if isinstance(e, sympy.log) and isinstance(e.args[0], sympy.Product):
            # log of a product of positive factors: the sum of their logs (the positive world)
            product = e.args[0]
            return walk(sympy.Sum(sympy.log(product.function), *product.limits))
        if isinstance(e, (sympy.Product, sympy.Derivative)):
            return e
        args = [walk(a) for a in e.args]
        return rebuilt(e, args)
    return walked(walk, expr)


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
        return ", ".join(sorted(short(back[s]) for s in symbols if s in back))


def pretty(expr) -> str:
    """An opaque part as the lecture wrote it (roughly): p[|](x, z) -> p(x | z), E⟮⟯(Y) -> E[Y]."""
    from derivspec.scan.reader import is_opaque_function

    if isinstance(expr, sympy.Symbol):
        name = expr.name
        return name[1:-1] if name.startswith("⟦") and name.endswith("⟧") else name
    if getattr(expr, "func", None) == information.CROSS:
        a, b = (pretty(x).removeprefix("dist ") for x in expr.args)
        return f"E_{{{a}}}[log {b}]"
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


def short(expr) -> str:
    """``expr`` printed, cut to 60 characters."""
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
        return rebuilt(e, args)
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
    first: dict | None = None  # the first confirmed difference: point, left, right
    depends_on_atoms: bool = False
    signs: set = field(default_factory=set)  # signs of left - right at the evaluated points
    above: int = 0  # confirmed points where left > right
    below: int = 0  # confirmed points where left < right


def _confirmed(left, right, point) -> tuple[bool, object, object]:
    values = []
    for digits in symbolic.CONFIRM_DIGITS:
        a, b = evaluate(left, point, digits), evaluate(right, point, digits)
        if a is None or b is None:
            return False, None, None
        values.append((a, b))
    (a1, b1), (a2, b2) = values
    if not symbolic._differs(a2, b2) or not symbolic._differs(a1, b1):
        return False, a2, b2
    if abs((a1 - b1) - (a2 - b2)) > abs(a2 - b2) * mpmath.mpf("1e-6"):
        return False, a2, b2
    return True, a2, b2


def confirmed_sign(expr: sympy.Expr, point: dict) -> int | None:
    """The sign of ``expr`` at ``point``, confirmed nonzero at 120 and 240 digits (:func:`_confirmed`);
    None when it is not evaluable or not confirmed."""
    differs, value, _ = _confirmed(expr, sympy.Integer(0), point)
    return (1 if value > 0 else -1) if differs else None


def point_text(point: dict) -> str:
    """``a=1/2, b=3/4``: an exact point as the evidence shows it."""
    return ", ".join(f"{k}={v}" for k, v in point.items())


def compare_at_points(left: sympy.Expr, right: sympy.Expr, points: list[dict], atom_symbols=(),
                      seed: int = 0, seconds: float = 4.0) -> PointComparison:
    """Both sides at each point (atoms at random positive values); differences confirmed at
    higher precision; whether the difference moves when only the atoms' values change."""
    rng = random.Random(seed + 7)
    outcome = PointComparison()
    atom_symbols = sorted(atom_symbols, key=lambda s: s.name)
    perturbed = 0
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
                    continue
                if a_value is None or b_value is None:
                    continue
                outcome.evaluated += 1
                gap = a_value - b_value
                if atom_symbols and not outcome.depends_on_atoms:
                    for _ in range(6):  # other values of the atoms (some leave a square root's domain)
                        other = dict(full)
                        for a in atom_symbols:
                            other[a] = sympy.Rational(rng.randint(1, 60), rng.randint(1, 60))
                        a2, b2 = evaluate(left, other), evaluate(right, other)
                        if a2 is None or b2 is None:
                            continue
                        perturbed += 1
                        if symbolic._differs(a2 - b2, gap):
                            outcome.depends_on_atoms = True
                        break
                if not symbolic._differs(a_value, b_value):
                    outcome.signs.add(0)
                    continue
                confirmed, a_hi, b_hi = _confirmed(left, right, full)
                if not confirmed:
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
    if atom_symbols and not outcome.depends_on_atoms and not perturbed and outcome.evaluated:
        # the atoms could not be moved: whether the difference depends on them is read off its form
        try:
            outcome.depends_on_atoms = bool(sympy.expand(left - right).free_symbols & set(atom_symbols))
        except Exception:
            outcome.depends_on_atoms = True
    return outcome


# --- proofs ------------------------------------------------------------------------------------

_HYPERBOLIC = (sympy.tanh, sympy.sinh, sympy.cosh, sympy.coth, sympy.sech, sympy.csch)
_TESTS = (
    ("", lambda d: d),
    ("the hyperbolic functions written in exponentials",  # tanh x = (1 - e^{-2x})/(1 + e^{-2x}): unfolded
     lambda d: sympy.simplify(d.rewrite(sympy.exp)) if d.has(*_HYPERBOLIC) else d),
    ("expand", sympy.expand),
    ("expand the logs", lambda d: sympy.expand(sympy.expand_log(d, force=True))),
    ("cancel", sympy.cancel),
    ("together", lambda d: sympy.cancel(sympy.together(sympy.expand_log(d, force=True)))),
    ("powers", lambda d: sympy.expand(sympy.powsimp(sympy.powdenest(d, force=True), force=True))),
    ("exponents", lambda d: sympy.simplify(symbolic._cancel_exponents(sympy.expand_log(d, force=True)))),
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


def nonnegative_certificate(difference: sympy.Expr, strict: bool = False,
                            seconds: float = PROOF_SECONDS) -> str | None:
    """Why the polynomial ``difference`` is >= 0 (> 0 with ``strict``) for every real value of its symbols, or
    None: its factorisation c * prod f_i^k_i has c > 0 and every factor of odd power a polynomial in one
    variable with no real root and a positive value at 0 (so positive everywhere); a factor of even power is
    >= 0, and > 0 only when it has no real root either. The certificate holds on the whole real line, so it
    does not depend on the positive world the sides are compared in."""
    try:
        with symbolic.time_limit(seconds):
            symbols = sorted(difference.free_symbols, key=lambda x: x.name)
            if not symbols or not difference.is_polynomial(*symbols):
                return None
            c, factors = sympy.factor_list(sympy.expand(difference), *symbols)
            if not (c.is_Rational and c > 0):
                return None

            def positive(f) -> bool:  # f > 0 on the whole real line
                free = sorted(f.free_symbols, key=lambda x: x.name)
                if len(free) != 1:
                    return False
                poly = sympy.Poly(f, free[0])
                return poly.count_roots() == 0 and poly.eval(0) > 0

            for f, k in factors:
                if k % 2 == 1 or strict:
                    if not positive(f):
                        return None
            shown = sympy.factor(difference)
            return f"the difference of the sides is {sympy.sstr(shown)}, {'> 0' if strict else '>= 0'} for every real value"
    except (symbolic.SymPyTimeout, sympy.PolynomialError, RecursionError):
        return None
    except (KeyboardInterrupt, MemoryError):
        raise
    except Exception:
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
