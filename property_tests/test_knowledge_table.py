r"""The one table test of scan's knowledge tables (derivspec/data/knowledge/*.toml, issue 57 Build 4).

Per row, parametrised by the row's id so that a failing row is named:

1. ``test_meaning_matches_oracle`` -- the row's meaning, evaluated at >= 5 seeded random points of
   its roles' domains (its conditions respected), equals (or, for an inequality row, stands in the
   row's relation to) an independent oracle: ``family`` (the family's ``sympy.stats`` density,
   integrated or summed numerically by scipy for each field kind), ``py`` (scipy / numpy / mpmath /
   numerical differentiation, optimisation or quadrature, exact enumeration), ``finite`` (exact
   enumeration on random finite joint laws) or ``torch`` (torch.distributions / torch.nn.functional;
   skipped with a reason where torch is not importable). The meaning is never the oracle's source.
2. ``test_wrong_variants_differ`` -- each wrong variant differs from the oracle (or breaks the
   relation) at some point of the domain (up to 30 points drawn).
3. ``test_table_structure`` and ``test_build3_items`` -- ids unique, every role used, every
   pattern read, >= 300 rows, and every item of issue 57's Build 3 list present with a wrong
   variant, an example and a planted document.

Tolerance: |meaning - oracle| <= 1e-6 * max(1, |oracle|) (quadrature and numerical derivatives
are good to ~1e-9 here); a wrong variant must differ by more than 1e-4 * max(1, |oracle|) at a
point. Seeds: each row draws from numpy's default_rng(crc32(row id)): every run draws the same
points. The examples, planted documents and twins are scanned end to end by the engine's own
test (part 3 of the sketch), not here; ``test_examples_are_documents`` checks that each has a
display that the reader reads.
"""

from __future__ import annotations

import functools
import math
import re
import zlib

import mpmath
import numpy as np
import pytest
import scipy
import scipy.integrate
import scipy.optimize
import scipy.special
import scipy.stats
import sympy
import sympy.stats
from sympy.core.function import AppliedUndef
from sympy.matrices.expressions.matexpr import MatrixElement

from derivspec.scan import knowledge
from derivspec.scan.clauses import split_clauses
from derivspec.scan.reader import DocumentNames, bare_names, read_document

ROWS = knowledge.rows()
BY_ID = {row.id: row for row in ROWS}
POINTS = 5
MAX_DRAWS = 400
REL = 1e-6
WRONG_REL = 1e-4
LOOSE = {"mode": 2e-6}  # a maximiser found by bounded scalar search: ~sqrt(eps) relative


# =====================================================================================================
# Domains of the role types (knowledge.ROLE_TYPES)
# =====================================================================================================
def _draw_scalar(rng, base):
    if base == "real":
        return float(rng.uniform(-2.0, 2.0))
    if base == "positive":
        return float(rng.uniform(0.5, 3.5))
    if base == "nonnegative":
        return float(rng.uniform(0.0, 3.0))
    if base == "probability":
        return float(rng.uniform(0.05, 0.95))
    if base == "integer":
        return int(rng.integers(-4, 6))
    if base == "nonneg integer":
        return int(rng.integers(0, 8))
    if base == "positive integer":
        return int(rng.integers(1, 8))
    if base == "binary":
        return int(rng.integers(0, 2))
    if base == "sign":
        return int(rng.choice([-1, 1]))
    if base == "dimension":
        return int(rng.integers(2, 5))
    raise AssertionError(base)


def _draw_shaped(rng, base, shape):
    if base == "vector":
        return rng.normal(size=shape[0])
    if base == "positive vector":
        return rng.uniform(0.5, 3.5, size=shape[0])
    if base == "simplex":
        return rng.dirichlet(np.ones(shape[0]))
    if base == "count vector":
        return rng.integers(0, 5, size=shape[0]).astype(float)
    if base == "matrix":
        return rng.normal(size=shape)
    if base == "square matrix":
        n = shape[0]
        return rng.normal(size=(n, n)) + 2.0 * np.sqrt(n) * np.eye(n)
    if base == "spd matrix":
        n = shape[0]
        b = rng.normal(size=(n, n))
        return b @ b.T + np.eye(n)
    raise AssertionError(base)


# Concrete instances of function roles (DESIGN: several concrete functions for an undefined f).
_x = sympy.Symbol("_u", real=True)
FUNCTION_POOLS = {
    "function": [sympy.sin(_x) + _x / 2, _x ** 2 - _x, sympy.exp(-_x ** 2) + _x / 3, sympy.atan(2 * _x)],
    "convex function": [sympy.exp(_x), _x ** 2 + _x, sympy.log(1 + sympy.exp(_x)), (_x - 1) ** 4 + _x],
    "increasing function": [2 * _x + 1, _x + _x ** 3 / 3, sympy.sinh(_x), sympy.asinh(_x) + _x],
    "density": [sympy.exp(-_x ** 2 / 2) / sympy.sqrt(2 * sympy.pi),
                sympy.exp(-sympy.Abs(_x)) / (1 + sympy.exp(-sympy.Abs(_x))) ** 2,  # the logistic density, stable
                sympy.exp(-sympy.Abs(_x - sympy.Rational(1, 2))) / 2],
}
NUMPY_POOLS = {kind: [sympy.lambdify(_x, f, "numpy") for f in pool] for kind, pool in FUNCTION_POOLS.items()}


class Point:
    """One draw: ``values`` reader name -> number / numpy array; ``sizes`` size name -> int;
    ``functions`` reader name -> index into the pool of its type; ``rng`` for the finite model."""

    def __init__(self, values, sizes, functions, seed):
        self.values, self.sizes, self.functions, self.seed = values, sizes, functions, seed


def _row_rng(row, salt=0):
    return np.random.default_rng(zlib.crc32(f"{row.id}/{salt}".encode()))


def _draw(row, rng) -> Point:
    sizes = {}
    for name, dims in row.sizes.items():
        for dim in dims:
            if not dim.isdigit() and dim not in sizes:
                sizes[dim] = None
    values, functions = {}, {}
    for name, text in row.roles.items():  # dimensions first: shapes depend on them
        base, _ = knowledge.role_type(text)
        if base == "dimension":
            values[name] = _draw_scalar(rng, base)
            sizes[name] = values[name]
    for dim in sizes:
        if sizes[dim] is None:
            sizes[dim] = int(rng.integers(2, 5))
    for name, text in row.roles.items():
        base, dims = knowledge.role_type(text)
        if base == "dimension":
            continue
        if base in ("random variable", "outcome"):
            continue
        if base in knowledge.FUNCTION_TYPES:
            functions[name] = int(rng.integers(0, len(FUNCTION_POOLS[base])))
            continue
        if base == "index":
            top = max(sizes.values()) if sizes else 3
            values[name] = int(rng.integers(1, top + 1))
            continue
        if base in knowledge.VECTOR_TYPES or base in knowledge.MATRIX_TYPES:
            shape = tuple(int(d) if d.isdigit() else sizes[d] for d in dims)
            if base in ("square matrix", "spd matrix"):
                shape = (shape[0], shape[0])
            values[name] = _draw_shaped(rng, base, shape)
            continue
        values[name] = _draw_scalar(rng, base)
    return Point(values, sizes, functions, int(rng.integers(0, 2 ** 31)))


def _holds_conditions(row, point) -> bool:
    if not row.conditions:
        return True
    env = _scalar_env(row, point)
    for cond in row.conditions:
        value = _substituted(row, cond, point, env).doit()
        truth = sympy.simplify(value) if not isinstance(value, (bool, sympy.logic.boolalg.BooleanAtom)) else value
        if truth is not sympy.true and truth is not True:
            return False
    return True


@functools.lru_cache(maxsize=None)
def points(row_id: str, count: int = POINTS, salt: int = 0) -> tuple:
    """``count`` seeded points of the row's domain where its conditions hold."""
    row = BY_ID[row_id]
    rng = _row_rng(row, salt)
    found = []
    for _ in range(MAX_DRAWS):
        point = _draw(row, rng)
        if _holds_conditions(row, point):
            found.append(point)
            if len(found) == count:
                return tuple(found)
    raise AssertionError(f"{row.id}: only {len(found)} of {count} points satisfy the conditions in {MAX_DRAWS} draws")


# =====================================================================================================
# Evaluating a meaning (or a wrong variant) at a point
# =====================================================================================================
def _scalar_env(row, point) -> dict:
    env = {}
    for name, obj in row.symbols.items():
        if isinstance(obj, sympy.Symbol) and name in point.values and np.ndim(point.values[name]) == 0:
            env[obj] = sympy.Float(point.values[name], 30) if isinstance(point.values[name], float) else sympy.Integer(
                point.values[name])
    for name, value in point.sizes.items():
        env[sympy.Symbol(name, integer=True, positive=True)] = sympy.Integer(value)
        env[sympy.Symbol(name, real=True)] = sympy.Integer(value)
    return env


def _substituted(row, expr, point, env):
    """Sizes, sums, vector components, function roles and scalars substituted; ready for evalf."""
    expr = expr.xreplace({k: v for k, v in env.items() if isinstance(v, sympy.Integer)})
    if expr.has(sympy.Sum, sympy.Product):
        expr = expr.doit(deep=True) if not expr.has(sympy.Derivative) else expr.replace(
            lambda e: isinstance(e, (sympy.Sum, sympy.Product)), lambda e: e.doit())
    components = {}
    for item in expr.atoms(sympy.Indexed):
        base = item.base.label.name
        k = item.indices[0]
        if k.is_Integer and base in point.values:
            components[item] = sympy.Float(float(np.asarray(point.values[base])[int(k) - 1]), 30)
    expr = expr.xreplace(components)
    for name, index in point.functions.items():
        obj = row.symbols[name]
        base, _ = knowledge.role_type(row.roles[name])
        concrete = FUNCTION_POOLS[base][index]
        expr = expr.replace(lambda e, o=obj: isinstance(e, AppliedUndef) and e.func == o,
                            lambda e, c=concrete: c.xreplace({_x: e.args[0]}))
    if point.functions and expr.has(sympy.Derivative):
        expr = expr.doit()  # derivatives of the concrete functions, before the numbers go in
    return expr.xreplace(env)


def _numeric(value):
    value = complex(value)
    if abs(value.imag) > 1e-9 * max(1.0, abs(value.real)):
        raise ArithmeticError(f"complex value {value}")
    return value.real


@functools.lru_cache(maxsize=None)
def _compiled(row_id: str, expr):
    """The expression as a numpy function of (scalar roles..., padded vectors..., sizes...), or None
    where lambdify cannot take it (function roles, integrals, derivatives): then SymPy evaluates."""
    row = BY_ID[row_id]
    if any(knowledge.role_type(t)[0] in knowledge.FUNCTION_TYPES for t in row.roles.values()) or expr.has(
            sympy.Integral, sympy.Derivative, sympy.Subs, AppliedUndef):
        return None
    scalars = [obj for name, obj in row.symbols.items() if isinstance(obj, sympy.Symbol)
               and knowledge.role_type(row.roles[name])[0] not in ("random variable", "outcome")]
    vectors = [obj for obj in row.symbols.values() if isinstance(obj, sympy.IndexedBase)]
    sizes = sorted({s for s in expr.free_symbols if isinstance(s, sympy.Symbol) and s not in scalars},
                   key=lambda s: s.name)
    if any(not s.is_integer for s in sizes):
        return None
    try:
        f = sympy.lambdify(scalars + vectors + sizes, expr, modules=[{"Heaviside": lambda t, *_: float(t > 0)},
                                                                    "scipy", "numpy"])
    except Exception:  # noqa: BLE001 -- a printer gap: SymPy evaluates instead
        return None
    return f, scalars, vectors, sizes


def evaluate_scalar(row, expr, point) -> float:
    compiled = _compiled(row.id, expr)
    if compiled is not None:
        f, scalars, vectors, sizes = compiled
        args = [point.values[s.name] for s in scalars]
        args += [np.concatenate([[np.nan], np.asarray(point.values[str(v.label)], dtype=float)]) for v in vectors]
        args += [point.sizes.get(s.name) for s in sizes]
        if all(a is not None for a in args):
            try:
                with np.errstate(all="ignore"):
                    value = complex(f(*args))
            except (TypeError, ValueError, KeyError):
                value = None  # a construct numpy cannot take: SymPy below
            if value is not None:
                if abs(value.imag) > 1e-9 * max(1.0, abs(value.real)) or not np.isfinite(value.real):
                    raise ArithmeticError(f"not a finite real value: {value}")
                return value.real
    env = _scalar_env(row, point)
    value = _substituted(row, expr, point, env)
    if value.has(sympy.Derivative, sympy.Integral):
        value = value.doit()
    return _numeric(sympy.N(value, 30))


_MATRIX_FUNCS = {sympy.exp: np.exp, sympy.log: np.log, sympy.Abs: np.abs, sympy.sign: np.sign}


def evaluate_matrix(row, expr, point):
    """A meaning with MatrixSymbols, in float64 numpy: products, sums, inverses, transposes,
    traces, determinants, identity matrices, scalar functions."""
    values = point.values

    def ev(e):
        if isinstance(e, sympy.MatrixSymbol):
            return np.asarray(values[str(e.name)], dtype=float)
        if isinstance(e, sympy.Symbol):
            if e.name in values:
                return float(values[e.name])
            return float(point.sizes[e.name])
        if e.is_Number:
            return float(e)
        if e is sympy.pi:
            return math.pi
        if e is sympy.E:
            return math.e
        if isinstance(e, (sympy.MatAdd, sympy.Add)):
            out = ev(e.args[0])
            for a in e.args[1:]:
                out = out + ev(a)
            return out
        if isinstance(e, (sympy.MatMul, sympy.Mul)):
            out = None
            for a in e.args:
                v = ev(a)
                if out is None:
                    out = v
                elif np.ndim(out) == 2 and np.ndim(v) == 2:
                    out = out @ v
                else:
                    out = out * v
            return out
        if isinstance(e, sympy.Inverse):
            return np.linalg.inv(ev(e.arg))
        if isinstance(e, sympy.Transpose):
            return ev(e.arg).T
        if isinstance(e, sympy.Trace):
            return float(np.trace(ev(e.arg)))
        if isinstance(e, sympy.Determinant):
            return float(np.linalg.det(ev(e.arg)))
        if isinstance(e, sympy.Identity):
            return np.eye(int(ev(e.args[0])))
        if isinstance(e, sympy.ZeroMatrix):
            return np.zeros((int(ev(e.args[0])), int(ev(e.args[1]))))
        if isinstance(e, sympy.HadamardProduct):
            out = ev(e.args[0])
            for a in e.args[1:]:
                out = out * ev(a)
            return out
        if isinstance(e, sympy.MatPow):
            base, exp_ = ev(e.args[0]), int(e.args[1])
            return np.linalg.matrix_power(base, exp_) if exp_ >= 0 else np.linalg.matrix_power(np.linalg.inv(base),
                                                                                              -exp_)
        if isinstance(e, sympy.Pow):
            base = ev(e.args[0])
            if np.ndim(base) == 2:
                return np.linalg.matrix_power(base, int(e.args[1])) if int(e.args[1]) >= 0 else np.linalg.matrix_power(
                    np.linalg.inv(base), -int(e.args[1]))
            return base ** ev(e.args[1])
        if isinstance(e, MatrixElement):
            return ev(e.parent)[int(e.i), int(e.j)]
        if type(e) in _MATRIX_FUNCS:
            return _MATRIX_FUNCS[type(e)](ev(e.args[0]))
        if isinstance(e, sympy.Function) and len(e.args) == 1:
            return float(sympy.N(type(e)(sympy.Float(ev(e.args[0]), 30)), 30))
        raise NotImplementedError(f"{row.id}: cannot evaluate {type(e).__name__} in a matrix meaning")

    out = ev(expr)
    if np.ndim(out) == 2 and np.shape(out) == (1, 1):
        return float(out[0, 0])
    return out


# ---- finite joint laws: the meaning of operator rows (H, I, E, Var, Cov, KL, densities) ------------
class FiniteModel:
    """Random finite joint laws for the row's random variables and outcomes (3 states each).

    * random-variable roles (X, Y, Z) share one joint law ``P`` (a 3^k array); each state of a
      variable has a random positive value (so E, Var, Cov, log are meaningful); a chain
      ``X \\to Y \\to Z`` in ``given`` makes the law Markov (p(x) p(y|x) p(z|y));
    * each density role (p, q) is its own joint pmf over every outcome role; an outcome role's
      value at the point is one of its states;
    * function roles with values in (0, 1) (a discriminator) are random per state.
    """

    STATES = 3

    def __init__(self, row, point):
        rng = np.random.default_rng(point.seed)
        self.row = row
        self.rvs = [n for n, t in row.roles.items() if t == "random variable"]
        self.outcomes = [n for n, t in row.roles.items() if t == "outcome"]
        k = self.STATES
        shape = (k,) * len(self.rvs)
        if any("\\to" in g for g in row.given) and len(self.rvs) == 3:
            px = rng.dirichlet(np.ones(k))
            pyx = rng.dirichlet(np.ones(k), size=k)
            pzy = rng.dirichlet(np.ones(k), size=k)
            order = [self._chain_position(n) for n in self.rvs]
            law = np.einsum("a,ab,bc->abc", px, pyx, pzy)
            self.P = np.transpose(law, np.argsort(np.argsort(order))) if order != [0, 1, 2] else law
        else:
            self.P = rng.dirichlet(np.ones(k ** len(self.rvs))).reshape(shape) if self.rvs else np.ones(())
        self.values = {n: rng.uniform(0.2, 3.0, size=k) for n in self.rvs}
        self.grid = {}
        for i, n in enumerate(self.rvs):
            idx = [1] * len(self.rvs)
            idx[i] = k
            self.grid[n] = self.values[n].reshape(idx) * np.ones(shape)
        self.laws = {}
        for name, text in row.roles.items():
            if text == "density":
                self.laws[name] = rng.dirichlet(np.ones(k ** len(self.outcomes))).reshape((k,) * len(self.outcomes))
        self.state = {n: int(rng.integers(0, k)) for n in self.outcomes}
        self.unit_functions = {name: rng.uniform(0.05, 0.95, size=k) for name, text in row.roles.items()
                               if text == "function"}
        self.point = point

    # --- direct computations for the oracles (numpy on the tables, not the interpreter below)
    def _name(self, ident):
        return knowledge.latex_name(ident)

    def table(self, law, *idents):
        """The joint table of ``law`` over the outcomes ``idents``, axes in that order."""
        names = [self._name(i) for i in idents]
        arr = self.laws[law]
        axes = tuple(i for i, n in enumerate(self.outcomes) if n not in names)
        m = arr.sum(axis=axes) if axes else arr
        kept = [n for n in self.outcomes if n in names]
        return np.transpose(m, [kept.index(n) for n in names]) if names else m

    def s(self, ident):
        """The state index of an outcome at this point."""
        return self.state[self._name(ident)]

    def P_rv(self, *idents):
        """The joint pmf of the random variables ``idents``, axes in that order."""
        names = [self._name(i) for i in idents]
        axes = tuple(i for i, n in enumerate(self.rvs) if n not in names)
        m = self.P.sum(axis=axes) if axes else self.P
        kept = [n for n in self.rvs if n in names]
        return np.transpose(m, [kept.index(n) for n in names])

    def unit(self, ident):
        """The values in (0, 1) of a function role (a discriminator) at every state."""
        return self.unit_functions[self._name(ident)]

    def fn(self, ident):
        """The concrete numpy function drawn for a function role."""
        name = self._name(ident)
        base, _ = knowledge.role_type(self.row.roles[name])
        return NUMPY_POOLS[base][self.point.functions[name]]

    def _chain_position(self, name):
        chain = [g for g in self.row.given if "\\to" in g][0]
        parts = [s.strip() for s in chain.split("\\to")]
        return parts.index(name)

    # --- laws of outcomes
    def marginal(self, law, keep):
        arr = self.laws[law]
        axes = tuple(i for i, n in enumerate(self.outcomes) if n not in keep)
        m = arr.sum(axis=axes) if axes else arr
        kept = [n for n in self.outcomes if n in keep]
        return m, kept

    def density(self, law, args, given, fixed):
        """p(args | given) with outcome values from ``fixed`` (name -> state)."""
        joint, kept = self.marginal(law, set(args) | set(given))
        cond, kept_g = self.marginal(law, set(given))
        num = joint[tuple(fixed[n] for n in kept)]
        den = cond[tuple(fixed[n] for n in kept_g)] if given else 1.0
        return num / den

    # --- random variables
    def marginal_rv(self, names):
        axes = tuple(i for i, n in enumerate(self.rvs) if n not in names)
        return self.P.sum(axis=axes) if axes else self.P

    def entropy(self, names):
        m = self.marginal_rv(set(names))
        return float(-np.sum(scipy.special.xlogy(m, m)))

    def cond_entropy(self, a, b):
        """H(A | B) = -sum p(a, b) log p(a | b), from its definition."""
        joint = self.marginal_rv(set(a) | set(b))
        keep = [n for n in self.rvs if n in set(a) | set(b)]
        axes = tuple(i for i, n in enumerate(keep) if n not in b)
        pb = joint.sum(axis=axes, keepdims=True)
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = np.where(joint > 0, joint / pb, 1.0)
        return float(-np.sum(joint * np.log(ratio)))

    def mutual_information(self, a, b, c=()):
        """I(A; B | C) = sum p(a,b,c) log p(a,b|c) / (p(a|c) p(b|c)), from its definition."""
        names = set(a) | set(b) | set(c)
        keep = [n for n in self.rvs if n in names]
        joint = self.marginal_rv(names)

        def summed(over):
            axes = tuple(i for i, n in enumerate(keep) if n in over)
            return joint.sum(axis=axes, keepdims=True) if axes else joint

        pc = summed(set(a) | set(b)) if c else 1.0
        pac = summed(set(b))
        pbc = summed(set(a))
        with np.errstate(divide="ignore", invalid="ignore"):
            terms = np.where(joint > 0, joint * np.log(joint * pc / (pac * pbc)), 0.0)
        return float(np.sum(terms))

    def expect(self, values):
        return float(np.sum(self.P * values))

    def cond_expect(self, values, given):
        axes = tuple(i for i, n in enumerate(self.rvs) if n not in given)
        num = np.sum(self.P * values, axis=axes, keepdims=True)
        den = np.sum(self.P, axis=axes, keepdims=True)
        return num / den * np.ones_like(self.P)


_SEPS = re.compile(r"\[([^\]]*)\]")


def _head_parts(name: str):
    """``\\mathbb{E}_{q(z)}[|]⟮⟯`` -> ("E", "q(z)", "|"); ``H[,|]`` -> ("H", "", ",|")."""
    seps = _SEPS.findall(name)
    core = _SEPS.sub("", name).replace("⟮⟯", "")
    sub = ""
    m = re.match(r"^(.*?)_(\{.*\}|.)$", core)
    if m:
        core, sub = m.group(1), m.group(2).strip("{}")
    core = re.sub(r"\\(?:math[a-z]+|operatorname|text[a-z]*)\{([^{}]*)\}", r"\1", core).replace("\\", "")
    return core, sub, (seps[0] if seps else "")


def _split_args(args, seps):
    """Arguments before and after the conditioning bar."""
    if "|" not in seps:
        return list(args), []
    cut = seps.index("|") + 1
    return list(args[:cut]), list(args[cut:])


def evaluate_finite(row, expr, model: FiniteModel, bound=None):
    """The meaning over the finite model: a float, or an array over the random variables' grid."""
    bound = dict(model.state if bound is None else bound)

    def names(args):
        return [str(a) for a in args]

    def ev(e):
        if isinstance(e, sympy.Symbol):
            if e.name in model.grid:
                return model.grid[e.name]
            if e.name in model.point.values:
                return float(model.point.values[e.name])
            raise NotImplementedError(f"{row.id}: free name {e.name} in a finite meaning")
        if e.is_Number or e in (sympy.pi, sympy.E):
            return float(e)
        if isinstance(e, sympy.Add):
            return sum(ev(a) for a in e.args)
        if isinstance(e, sympy.Mul):
            out = 1.0
            for a in e.args:
                out = out * ev(a)
            return out
        if isinstance(e, sympy.Pow):
            return ev(e.args[0]) ** ev(e.args[1])
        if isinstance(e, sympy.log):
            return np.log(ev(e.args[0]))
        if isinstance(e, sympy.exp):
            return np.exp(ev(e.args[0]))
        if isinstance(e, sympy.Sum):
            (var, _lo, _hi), = e.limits
            total = 0.0
            for s in range(model.STATES):
                total = total + evaluate_finite(row, e.function, model, {**bound, var.name: s})
            return total
        if isinstance(e, sympy.Integral):
            (var, *_), = e.limits
            total = 0.0
            for s in range(model.STATES):
                total = total + evaluate_finite(row, e.function, model, {**bound, var.name: s})
            return total
        if isinstance(e, AppliedUndef):
            core, sub, seps = _head_parts(type(e).__name__)
            args = e.args
            if core in model.laws and all(isinstance(a, sympy.Symbol) for a in args):
                before, after = _split_args(names(args), seps)
                return model.density(core, before, after, bound)
            if core in model.unit_functions:
                return model.unit_functions[core][bound[str(args[0])]]
            if core == "H":
                before, after = _split_args(names(args), seps)
                return model.cond_entropy(before, after) if after else model.entropy(before)
            if core == "I":
                parts = seps.split("|")[0]
                cut = parts.index(";") + 1 if ";" in parts else 1
                a, b = names(args[:cut]), names(args[cut:len(parts) + 1])
                c = names(args[len(parts) + 1:])
                return model.mutual_information(a, b, c)
            if core == "E" and sub:
                law, var, given = _subscript_law(sub)
                total = 0.0
                for s in range(model.STATES):
                    here = {**bound, var: s}
                    weight = model.density(law, [var], given, here)
                    total = total + weight * evaluate_finite(row, args[0], model, here)
                return total
            if core == "E":
                before, after = _split_args(args, seps)
                values = ev(before[0])
                return model.cond_expect(values, names(after)) if after else model.expect(values)
            if core in ("Var", "V"):
                before, after = _split_args(args, seps)
                values = ev(before[0])
                if after:
                    m = model.cond_expect(values, names(after))
                    return model.cond_expect(values ** 2, names(after)) - m ** 2
                return model.expect(values ** 2) - model.expect(values) ** 2
            if core == "Cov":
                a, b = ev(args[0]), ev(args[1])
                return model.expect(a * b) - model.expect(a) * model.expect(b)
            if core == "KL":
                return _kl(row, model, args, bound)
            if core == "JS":
                p, q = (model.laws[str(a)] for a in args)
                m = (p + q) / 2
                return float(np.sum(scipy.special.rel_entr(p, m)) / 2 + np.sum(scipy.special.rel_entr(q, m)) / 2)
            if str(type(e).__name__) in row.symbols and point_function(row, model, e) is not None:
                return point_function(row, model, e)
        raise NotImplementedError(f"{row.id}: cannot evaluate {type(e).__name__} over a finite model")

    return ev(expr)


def point_function(row, model, e):
    name = type(e).__name__
    base, _ = knowledge.role_type(row.roles[name])
    index = model.point.functions.get(name)
    if index is None:
        return None
    arg = evaluate_finite(row, e.args[0], model)
    return NUMPY_POOLS[base][index](arg)


def _subscript_law(sub: str):
    """``q(z)`` / ``q(z|x)`` / ``z\\sim q`` -> (law, summed variable, conditioning variables)."""
    sub = sub.replace("\\mid", "|").replace(" ", "")
    m = re.fullmatch(r"([A-Za-z])\(([A-Za-z\\]+)(?:\|([A-Za-z\\,]+))?\)", sub)
    if m:
        return m.group(1), m.group(2), (m.group(3).split(",") if m.group(3) else [])
    m = re.fullmatch(r"([A-Za-z])\\sim([A-Za-z])", sub)
    if m:
        return m.group(2), m.group(1), []
    raise NotImplementedError(f"expectation subscript {sub!r}")


def _kl(row, model, args, bound):
    a, b = args
    if isinstance(a, sympy.Symbol) and isinstance(b, sympy.Symbol):
        p, q = model.laws[a.name], model.laws[b.name]
        return float(np.sum(scipy.special.rel_entr(p, q)))
    core_a, _, seps_a = _head_parts(type(a).__name__)
    var_a, _ = _split_args([str(x) for x in a.args], seps_a)
    total = 0.0
    for states in np.ndindex(*(model.STATES,) * len(var_a)):
        here = {**bound, **dict(zip(var_a, states))}
        pa = evaluate_finite(row, a, model, here)
        pb = evaluate_finite(row, b, model, here)
        total += float(scipy.special.rel_entr(pa, pb))
    return total


# =====================================================================================================
# Oracles
# =====================================================================================================
def deriv(f, x, h=1e-3):
    """Five-point central difference (error ~h^4 f^(5) + eps/h: ~1e-12 here)."""
    h = h * max(1.0, abs(x))
    return (-f(x + 2 * h) + 8 * f(x + h) - 8 * f(x - h) + f(x - 2 * h)) / (12 * h)


def grad(f, X, h=1e-4):
    """Numerical gradient of a scalar function of an array (central differences, per entry)."""
    X = np.asarray(X, dtype=float)
    out = np.zeros_like(X)
    for idx in np.ndindex(X.shape):
        e = np.zeros_like(X)
        e[idx] = h
        out[idx] = (-f(X + 2 * e) + 8 * f(X + e) - 8 * f(X - e) + f(X - 2 * e)) / (12 * h)
    return out


def jac(f, x, h=1e-4):
    """Numerical Jacobian d f_i / d x_j of a vector function of a vector."""
    x = np.asarray(x, dtype=float)
    cols = []
    for j in range(x.size):
        e = np.zeros_like(x)
        e[j] = h
        cols.append((-f(x + 2 * e) + 8 * f(x + e) - 8 * f(x - e) + f(x - 2 * e)) / (12 * h))
    return np.stack(cols, axis=1)


def quad(f, a, b):
    return scipy.integrate.quad(f, a, b, limit=200, epsabs=1e-13, epsrel=1e-12)[0]


def argmax(f, lo, hi):
    """The maximiser of a unimodal f on (lo, hi) (bounded Brent, xatol 1e-12)."""
    return scipy.optimize.minimize_scalar(lambda t: -f(t), bounds=(lo, hi), method="bounded",
                                          options={"xatol": 1e-12}).x


def argmin_vec(f, x0):
    """The minimiser of a smooth convex function of a vector (BFGS from x0, gtol 1e-11)."""
    return scipy.optimize.minimize(f, x0, method="BFGS", options={"gtol": 1e-11}).x


def argmin_nonsmooth(f, lo, hi):
    """The minimiser of a convex scalar function (bounded Brent)."""
    return scipy.optimize.minimize_scalar(f, bounds=(lo, hi), method="bounded", options={"xatol": 1e-12}).x


def sigma_points(mu, S):
    """A finite law with mean ``mu`` and covariance ``S``: mu +/- sqrt(n) L e_i, each 1/(2n)."""
    mu = np.asarray(mu, dtype=float).reshape(-1)
    n = mu.size
    L = np.linalg.cholesky(np.asarray(S, dtype=float))
    pts = [mu + math.sqrt(n) * L[:, i] for i in range(n)] + [mu - math.sqrt(n) * L[:, i] for i in range(n)]
    return np.array(pts), np.full(2 * n, 1.0 / (2 * n))


def wmean(points, weights):
    return np.tensordot(weights, np.asarray(points), axes=1)


def wcov(points, weights):
    pts = np.asarray(points).reshape(len(weights), -1)
    m = weights @ pts
    d = pts - m
    return (weights[:, None] * d).T @ d


def wcross(points_a, points_b, weights):
    """The weighted cross-covariance of paired points."""
    a = np.asarray(points_a).reshape(len(weights), -1)
    b = np.asarray(points_b).reshape(len(weights), -1)
    return (weights[:, None] * (a - weights @ a)).T @ (b - weights @ b)


def enum_iid(values, probs, n, statistic):
    """E[statistic(X_1..X_n)] for X_i iid on ``values`` with ``probs``: exact enumeration."""
    import itertools

    total = 0.0
    for combo in itertools.product(range(len(values)), repeat=n):
        w = float(np.prod([probs[i] for i in combo]))
        total += w * statistic(np.array([values[i] for i in combo]))
    return total


def norm_pdf(x, m, s):
    """The normal density (scipy.special.ndtr's family, written out for speed inside quad)."""
    return math.exp(-0.5 * ((x - m) / s) ** 2) / (s * math.sqrt(2 * math.pi))


def gamma_pdf(x, a, rate):
    return math.exp(a * math.log(rate) + (a - 1) * math.log(x) - rate * x - math.lgamma(a)) if x > 0 else 0.0


def beta_pdf(x, a, b):
    return math.exp((a - 1) * math.log(x) + (b - 1) * math.log1p(-x) - scipy.special.betaln(a, b)) if 0 < x < 1 else 0.0


def binom_pmf(k, n, p):
    return math.exp(math.lgamma(n + 1) - math.lgamma(k + 1) - math.lgamma(n - k + 1) + k * math.log(p)
                    + (n - k) * math.log1p(-p))


def poisson_pmf(k, lam):
    return math.exp(k * math.log(lam) - lam - math.lgamma(k + 1))


def post_moments(prior, likelihood, lo, hi):
    """(mean, variance) of the posterior prior(t) likelihood(t) / Z on (lo, hi), by quadrature."""
    z = quad(lambda t: prior(t) * likelihood(t), lo, hi)
    m = quad(lambda t: t * prior(t) * likelihood(t), lo, hi) / z
    return m, quad(lambda t: (t - m) ** 2 * prior(t) * likelihood(t), lo, hi) / z


def posterior(prior, likelihood, theta, lo, hi):
    """prior(theta) likelihood(theta) / integral over (lo, hi): the normalised posterior density."""
    z = quad(lambda t: prior(t) * likelihood(t), lo, hi)
    return prior(theta) * likelihood(theta) / z


def onehot(k, n):
    v = np.zeros(int(n))
    v[int(k) - 1] = 1.0
    return v


def _namespace(point, model=None, row=None):
    ns = {"np": np, "math": math, "scipy": scipy, "special": scipy.special, "stats": scipy.stats,
          "integrate": scipy.integrate, "optimize": scipy.optimize, "mp": mpmath, "deriv": deriv, "grad": grad,
          "jac": jac, "quad": quad, "argmax": argmax, "argmin_vec": argmin_vec, "argmin_nonsmooth": argmin_nonsmooth,
          "sigma_points": sigma_points, "post_moments": post_moments,
          "norm_pdf": norm_pdf, "gamma_pdf": gamma_pdf, "beta_pdf": beta_pdf, "binom_pmf": binom_pmf,
          "poisson_pmf": poisson_pmf, "wmean": wmean, "wcov": wcov, "enum_iid": enum_iid, "posterior": posterior,
          "onehot": onehot, "inf": np.inf, "M": model, "wcross": wcross}
    for name, value in point.values.items():
        ns[_ident(name)] = value
    for name, index in point.functions.items():
        if row is not None:
            ns[_ident(name)] = NUMPY_POOLS[knowledge.role_type(row.roles[name])[0]][index]
    for name, value in point.sizes.items():
        ns.setdefault(name, value)
    return ns


def _ident(name: str) -> str:
    """The reader name back to the row's identifier: ``\\mu_{1}`` -> ``mu_1``, ``\\lambda`` -> ``lam``."""
    out = re.sub(r"\\(hat|bar|tilde)\{\\?([^{}]+)\}", r"\2\1", name)
    out = re.sub(r"\\(L|l)ambda(?![a-z])", lambda m: m.group(1) + "am", out)
    out = out.replace("\\", "").replace("{", "").replace("}", "")
    return out


# ---- the family oracle: sympy.stats densities, integrated or summed ---------------------------------
@functools.lru_cache(maxsize=None)
def _stats_law(spec: str, idents: tuple):
    """A sympy.stats random variable built from ``spec`` with symbolic parameters: its density as a
    numpy function of (x, *params) and its support bounds as functions of the parameters."""
    params = [sympy.Symbol(i, positive=True) for i in idents]
    ns = {name: getattr(sympy.stats, name) for name in dir(sympy.stats) if not name.startswith("_")}
    ns.update({"sqrt": sympy.sqrt, "Rational": sympy.Rational, "exp": sympy.exp, "log": sympy.log})
    ns.update(dict(zip(idents, params)))
    rv = eval(spec, ns)  # noqa: S307 -- table data of this repository, a sympy.stats constructor
    x = sympy.Symbol("x", real=True)
    dens = sympy.stats.density(rv)
    domain = rv.pspace.domain.set
    discrete = not isinstance(domain, sympy.Interval)
    if isinstance(dens, dict) or hasattr(dens, "dict"):
        return ("finite", None, None, None, None)
    expr = dens(x)
    f = sympy.lambdify([x] + params, expr, modules=["scipy", "numpy"])
    logf = sympy.lambdify([x] + params, sympy.expand_log(sympy.log(expr), force=True), modules=["scipy", "numpy"])
    if discrete:
        lo = sympy.lambdify(params, domain.inf, "math") if domain.inf.free_symbols else (lambda *a, v=domain.inf: int(v))
        hi = None if domain.sup is sympy.oo else sympy.lambdify(params, domain.sup, "math")
    else:
        lo = sympy.lambdify(params, domain.inf, "math")
        hi = sympy.lambdify(params, domain.sup, "math")
    return ("discrete" if discrete else "continuous", f, lo, hi, logf)


class Law:
    """A scalar law: pdf/pmf and support, with expectations by quadrature or summation."""

    def __init__(self, spec, idents, values):
        kind, f, lo, hi, logf = _stats_law(spec, tuple(idents))
        self.kind, self.spec, self.idents, self.values = kind, spec, list(idents), list(values)
        if kind == "finite":  # Bernoulli, Binomial, ...: sympy.stats with the numbers themselves
            ns = {name: getattr(sympy.stats, name) for name in dir(sympy.stats) if not name.startswith("_")}
            ns.update({i: (sympy.Integer(v) if isinstance(v, (int, np.integer)) else sympy.Float(v, 30))
                       for i, v in zip(idents, values)})
            ns.update({"sqrt": sympy.sqrt, "Rational": sympy.Rational})
            dens = sympy.stats.density(eval(spec, ns))  # noqa: S307
            table = dict(dens) if isinstance(dens, dict) else dict(dens.dict)
            self.atoms = np.array([float(k) for k in table])
            self.weights = np.array([float(v) for v in table.values()])
            self.pdf = lambda t: float(sum(w for a, w in zip(self.atoms, self.weights) if a == t))
            return
        self.f = f
        self.params = [float(v) for v in values]
        self.pdf = lambda t: f(t, *self.params)
        self.logpdf = lambda t: logf(t, *self.params)
        self.lo = lo(*self.params) if callable(lo) else lo
        self.hi = (np.inf if hi is None else hi(*self.params))
        if kind == "discrete":
            top = int(min(self.hi, self.lo + 4000)) if np.isfinite(self.hi) else int(self.lo + 4000)
            ks = np.arange(int(self.lo), top + 1, dtype=float)
            with np.errstate(all="ignore"):
                w = np.nan_to_num(np.asarray(f(ks, *self.params), dtype=float), nan=0.0, posinf=0.0)
            self.atoms, self.weights = ks, w

    def expect(self, g):
        if self.kind in ("finite", "discrete"):
            with np.errstate(all="ignore"):
                vals = np.array([g(a) if w > 0 else 0.0 for a, w in zip(self.atoms, self.weights)])
            return float(np.sum(self.weights * vals))
        return quad(lambda t: self.pdf(t) * g(t) if self.pdf(t) > 0 else 0.0, self.lo, self.hi)

    def expect_exp(self, t0):
        """E[exp(t0 X)], the integrand exp(t0 x + log p(x)) kept in log space."""
        if self.kind in ("finite", "discrete"):
            return self.expect(lambda a: math.exp(t0 * a))
        with np.errstate(all="ignore"):
            return quad(lambda t: float(np.exp(t0 * t + self.logpdf(t))), self.lo, self.hi)

    def kl(self, other):
        """KL(self || other) = sum or integral of rel_entr(p, q)."""
        if self.kind in ("finite", "discrete"):
            with np.errstate(all="ignore"):
                q = np.array([other.pdf(a) for a in self.atoms]) if other.kind == "finite" else np.nan_to_num(
                    np.asarray(other.f(self.atoms, *other.params), dtype=float))
            return float(np.sum(scipy.special.rel_entr(self.weights, q)))
        lo, hi = max(self.lo, other.lo), min(self.hi, other.hi)
        return quad(lambda t: float(scipy.special.rel_entr(self.pdf(t), other.pdf(t))), lo, hi)

    def with_param(self, i, value):
        values = list(self.values)
        values[i] = value
        return Law(self.spec, self.idents, values)

    def entropy(self):
        if self.kind in ("finite", "discrete"):
            return float(-np.sum(scipy.special.xlogy(self.weights, self.weights)))
        return quad(lambda t: -scipy.special.xlogy(self.pdf(t), self.pdf(t)), self.lo, self.hi)

    def mode(self):
        if self.kind in ("finite", "discrete"):
            return float(self.atoms[int(np.argmax(self.weights))])
        lo = self.lo if np.isfinite(self.lo) else self.expect(lambda t: t) - 30
        hi = self.hi if np.isfinite(self.hi) else self.expect(lambda t: t) + 30
        return float(argmax(lambda t: math.log(max(self.pdf(t), 1e-300)), lo, hi))


def _family_entry(row):
    fam = knowledge.family(row.source[0])
    return fam


def family_oracle(row, point):
    fam = _family_entry(row)
    kind = row.source[1]
    spec_text = row.oracle.split(":", 1)[1].strip() if ":" in row.oracle else ""
    idents = [p.ident for p in fam.params]
    values = [point.values[p.name] for p in fam.params] if not spec_text else None
    if spec_text:
        specs = [s.strip() for s in spec_text.split("||")]
        laws = []
        for spec in specs:
            used = [i for i in sorted({_ident(n) for n in point.values}, key=len, reverse=True)
                    if re.search(rf"(?<![A-Za-z_]){re.escape(i)}(?![A-Za-z0-9_])", spec)]
            laws.append(Law(spec, used, [point.values[knowledge.latex_name(i)] for i in used]))
    else:
        laws = [Law(fam.stats, idents, values)]
    law = laws[0]
    v = lambda ident: point.values[knowledge.latex_name(ident)]  # noqa: E731
    if kind in ("pmf", "pdf"):
        return law.pdf(v(_ident(fam.outcome)))
    if kind == "log_density":
        return math.log(law.pdf(v(_ident(fam.outcome))))
    if kind == "mean":
        return law.expect(lambda t: t)
    if kind == "second_moment":
        return law.expect(lambda t: t * t)
    if kind == "variance":
        m = law.expect(lambda t: t)
        return law.expect(lambda t: (t - m) ** 2)
    if kind == "entropy":
        return law.entropy()
    if kind == "mode":
        return law.mode()
    if kind == "mgf":
        return law.expect_exp(v("t"))
    if kind == "expected_log":
        return law.expect(lambda t: math.log(t))
    if kind == "cdf":
        x0 = v(_ident(fam.outcome))
        if law.kind in ("finite", "discrete"):
            return float(np.sum(law.weights[law.atoms <= x0 + 1e-12]))
        return quad(law.pdf, law.lo, x0)
    if kind.startswith("score_"):
        param = kind[len("score_"):]
        x0 = v(_ident(fam.outcome))
        if param == "x":
            return deriv(lambda t: math.log(law.pdf(t)), x0)
        i = idents.index(param)
        return deriv(lambda theta: math.log(law.with_param(i, theta).pdf(x0)), float(law.values[i]), h=1e-4)
    if kind.startswith("kl_") or kind.startswith("cross_entropy_"):
        p, q = laws
        divergence = p.kl(q)
        return divergence if kind.startswith("kl_") else divergence + p.entropy()
    raise NotImplementedError(f"{row.id}: no generic family oracle for field kind {kind!r}: give a py oracle")


def oracle_value(row, point):
    kind, _, text = row.oracle.partition(":")
    kind = kind.strip()
    if kind == "family":
        return family_oracle(row, point)
    if kind == "py":
        return eval(text.strip(), _namespace(point, row=row))  # noqa: S307 -- the table's own oracle text
    if kind == "finite":
        model = FiniteModel(row, point)
        return eval(text.strip(), _namespace(point, model, row))  # noqa: S307
    if kind == "torch":
        torch = pytest.importorskip("torch", reason="torch oracle rows need torch")
        ns = _namespace(point)
        ns["torch"] = torch
        ns["T"] = lambda a: torch.as_tensor(np.asarray(a, dtype=float), dtype=torch.float64)
        out = eval(text.strip(), ns)  # noqa: S307
        return out.detach().numpy() if hasattr(out, "detach") else out
    raise AssertionError(f"{row.id}: unknown oracle kind {kind}")


def meaning_value(row, expr, point):
    roles = set(row.roles.values())
    if row.oracle.strip().startswith("finite"):
        return evaluate_finite(row, expr, FiniteModel(row, point))
    if any(knowledge.role_type(t)[0] in knowledge.MATRIX_TYPES for t in roles) or expr.has(sympy.MatrixSymbol):
        return evaluate_matrix(row, expr, point)
    return evaluate_scalar(row, expr, point)


def _close(a, b, rel):
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    if a.shape != b.shape and a.size != b.size:
        return False
    a, b = a.reshape(-1), b.reshape(-1)
    return bool(np.all(np.abs(a - b) <= rel * np.maximum(1.0, np.abs(b))))


def _relation_holds(value, relation, oracle, rel):
    """oracle RELATION value (the pattern side is the oracle's)."""
    if relation == "=":
        return _close(value, oracle, rel)
    o, v = float(oracle), float(value)
    slack = rel * max(1.0, abs(o))
    return {">=": o >= v - slack, "<=": o <= v + slack, ">": o > v - slack, "<": o < v + slack}[relation]


@functools.lru_cache(maxsize=None)
def oracle_at(row_id, count=POINTS, salt=0):
    row = BY_ID[row_id]
    return tuple((p, oracle_value(row, p)) for p in points(row_id, count, salt))


# =====================================================================================================
# The tests
# =====================================================================================================
@pytest.mark.parametrize("row_id", [r.id for r in ROWS])
def test_meaning_matches_oracle(row_id):
    row = BY_ID[row_id]
    rel = LOOSE.get(row.source[1] if len(row.source) > 1 else "", REL)
    count = 12 if row.meaning.has(sympy.Piecewise) else POINTS  # every branch of a piecewise meaning
    for point, oracle in oracle_at(row_id, count):
        value = meaning_value(row, row.meaning, point)
        assert _relation_holds(value, row.relation, oracle, rel), (
            f"{row.id}: meaning {row.meaning} = {value} but the oracle gives {oracle} "
            f"(relation {row.relation}) at {point.values}")


@pytest.mark.parametrize("row_id", [r.id for r in ROWS])
def test_wrong_variants_differ(row_id):
    row = BY_ID[row_id]
    for wrong in row.wrong:
        found = False
        for salt, count in ((0, POINTS), (1, 30)):
            for point, oracle in oracle_at(row_id, count, salt):
                try:
                    value = meaning_value(row, wrong.expr, point)
                except (ArithmeticError, ValueError, ZeroDivisionError, TypeError, np.linalg.LinAlgError):
                    continue  # undefined at this point (log of a negative, ...): not a difference
                if not np.all(np.isfinite(np.asarray(value, dtype=float))):
                    continue
                if not _relation_holds(value, wrong.relation, oracle, WRONG_REL):
                    found = True
                    break
            if found:
                break
        assert found, f"{row.id}: wrong variant {wrong.name!r} ({wrong.expr}) agrees with the oracle at 35 points"


def test_table_structure():
    ids = [r.id for r in ROWS]
    assert len(ids) == len(set(ids)), "duplicate row ids"
    assert len(ROWS) >= 300, f"{len(ROWS)} rows, fewer than 300"
    for row in ROWS:
        assert row.compiled and len(row.compiled) == len(row.patterns), row.id
        mentioned = set()
        for tex in row.patterns + row.given:
            mentioned |= knowledge._tex_names(tex)
        meaning_names = knowledge._used_names(row.meaning)
        sizes = {d for dims in row.sizes.values() for d in dims}
        for name in row.roles:
            assert name in mentioned | meaning_names, f"{row.id}: role {name} is used nowhere"
        for name in meaning_names:
            free = {str(s) for s in row.meaning.free_symbols}
            if name in free and not row.meaning_tex:
                assert name in row.roles or name in sizes, f"{row.id}: the meaning uses {name}, not a role"
        assert row.wrong and row.examples and row.planted, row.id
        assert len(set(row.planted) & set(row.examples)) == 0, f"{row.id}: a planted document equals an example"


_DISPLAY = re.compile(r"\$\$(.+?)\$\$", re.DOTALL)


@pytest.mark.parametrize("row_id", [r.id for r in ROWS])
def test_examples_are_documents(row_id):
    """Each example, planted document and twin is Markdown with a display whose sides the reader
    reads (the engine's test scans them end to end)."""
    row = BY_ID[row_id]
    for doc in row.examples + row.planted + row.twins:
        displays = _DISPLAY.findall(doc)
        assert displays, f"{row.id}: no $$ display in {doc!r}"
        body = displays[-1].strip().rstrip(".,;")
        clauses = [c for c in split_clauses(body) if len(c.sides) >= 2]
        assert clauses, f"{row.id}: the last display of {doc!r} is not a relation"
        for side in clauses[0].sides:
            read_document(side, DocumentNames())


# Issue 57, Build 3: every item named there, the rows that carry it.
BUILD3 = {
    # functions
    "sigmoid": ["fn.sigmoid.define", "fn.sigmoid.derivative", "fn.sigmoid.complement"],
    "tanh": ["fn.tanh.define", "fn.tanh.derivative"],
    "softplus": ["fn.softplus.define", "fn.softplus.derivative"],
    "ReLU family": ["fn.relu.define", "fn.leaky_relu.define", "fn.elu.define", "fn.gelu.define"],
    "softmax": ["fn.softmax.define", "fn.softmax.shift", "fn.softmax.derivative"],
    "log-softmax": ["fn.log_softmax.define"],
    "log-sum-exp": ["fn.logsumexp.define", "fn.logsumexp.shift"],
    "squared loss": ["fn.squared_loss.define"],
    "absolute loss": ["fn.absolute_loss.define"],
    "Huber loss": ["fn.huber.define"],
    "hinge loss": ["fn.hinge.define"],
    "logistic loss": ["fn.logistic_loss.define"],
    "binary cross-entropy": ["fn.bce.define"],
    "categorical cross-entropy": ["fn.cross_entropy.define", "fn.cross_entropy.softmax"],
    "KL loss": ["fn.kl_loss.define"],
    "NLL loss": ["fn.nll_loss.define"],
    "RBF kernel": ["fn.rbf.define"],
    "polynomial kernel": ["fn.poly_kernel.define"],
    "linear kernel": ["fn.linear_kernel.define"],
    "norms": ["fn.l2_norm.define", "fn.l1_norm.define", "fn.frobenius.define"],
    "Gamma function": ["fn.gamma.define", "fn.gamma.recursion", "fn.gamma.factorial"],
    "Beta function": ["fn.beta_fn.define"],
    "erf": ["fn.erf.define", "fn.erf.derivative"],
    "digamma": ["fn.digamma.define", "fn.digamma.recursion"],
    # families
    **{fam: [f"{fam}.mean"] for fam in ("bernoulli", "binomial", "categorical", "multinomial", "poisson",
                                          "geometric", "exponential", "gamma", "beta", "dirichlet", "normal",
                                          "mvn", "laplace", "uniform", "student_t")},
    # results
    "Bayes' rule": ["prob.bayes"],
    "total probability": ["prob.total_probability"],
    "total expectation": ["prob.total_expectation"],
    "total variance": ["prob.total_variance"],
    "Var of linear maps": ["prob.var_affine", "lin.cov_linear_map"],
    "Cov of linear maps": ["prob.cov_affine", "lin.cross_cov_linear_maps"],
    "Gaussian marginals": ["gauss.marginal_mean", "gauss.marginal_cov"],
    "Gaussian conditionals": ["gauss.conditional_mean", "gauss.conditional_cov"],
    "Gaussian products": ["gauss.product_variance", "gauss.product_mean"],
    "Gaussian linear maps": ["gauss.linear_map_mean", "gauss.linear_map_cov"],
    "MLEs and their bias": ["mle.bernoulli", "mle.normal_mean", "mle.normal_variance", "mle.variance_bias"],
    "OLS": ["opt.ols"],
    "ridge": ["opt.ridge"],
    "lasso prox (soft threshold)": ["opt.soft_threshold"],
    "prox of an L2 penalty": ["opt.prox_l2_squared"],
    "Jensen": ["ineq.jensen"],
    "Gibbs": ["ineq.gibbs"],
    "data processing": ["ineq.data_processing"],
    "chain rule of entropy": ["info.chain_entropy"],
    "chain rule of mutual information": ["info.chain_mi"],
    "change of variables": ["prob.change_of_variables"],
    "ELBO identities": ["elbo.decomposition", "elbo.kl_form"],
    "GAN value function": ["gan.value"],
    "GAN optimal discriminator": ["gan.optimal_discriminator"],
    "argmax of a Bernoulli log-likelihood with counts": ["mle.bernoulli"],
    "transpose of a product": ["mat.transpose_product"],
    "inverse of a product": ["mat.inverse_product"],
    "trace of a product": ["mat.trace_cyclic"],
    "determinant of a product": ["mat.det_product"],
    "Woodbury": ["mat.woodbury"],
    "Sherman-Morrison": ["mat.sherman_morrison"],
    "derivatives of traces": ["mat.d_trace_ax"],
    "derivatives of quadratic forms": ["mat.d_quadratic"],
    "derivatives of log-determinants": ["mat.d_logdet"],
}


def test_build3_items():
    missing = [(item, rid) for item, ids in BUILD3.items() for rid in ids if rid not in BY_ID]
    assert not missing, f"Build 3 items without their rows: {missing}"
    for item, ids in BUILD3.items():
        for rid in ids:
            row = BY_ID[rid]
            assert row.wrong and row.examples and row.planted, f"{item}: {rid} lacks a wrong/example/planted"


GOOD = {"id": "t.ok", "pattern": ["H(X)"], "roles": {"X": "random variable", "p": "probability"},
        "given": ["X \\sim \\mathrm{Bern}(p)"], "meaning": "-p*log(p) - (1 - p)*log(1 - p)",
        "wrong": [{"name": "sign", "expr": "p*log(p)"}], "examples": ["$$H(Y) = 1$$"],
        "planted": [{"replace": "= 1", "by": "= 2"}], "oracle": "family"}


@pytest.mark.parametrize("change, field", [
    ({"roles": {"X": "random variable", "p": "chance"}}, "roles"),
    ({"pattern": ["H(X"]}, "pattern"),
    ({"meaning": "-p*log(p"}, "meaning"),
    ({"wrong": []}, "wrong"),
    ({"planted": [{"replace": "absent", "by": "x"}]}, "planted"),
    ({"oracle": "guess: 1"}, "oracle"),
    ({"relation": "~"}, "relation"),
    ({"conditions": ["p + 1"]}, "conditions"),
])
def test_a_bad_row_is_named_by_id_and_field(change, field):
    """The loader's validation: a broken row raises KnowledgeError naming the row and the field."""
    with pytest.raises(knowledge.KnowledgeError) as error:
        knowledge.make_row({**GOOD, **change}, "results")
    assert "t.ok" in str(error.value) and repr(field) in str(error.value)
    assert "\n" not in str(error.value)


def test_the_good_row_loads_and_the_api_finds_entries():
    row = knowledge.make_row(dict(GOOD), "results")
    assert row.head == "H" and row.roles == {"X": "random variable", "p": "probability"}
    assert row.planted == ("$$H(Y) = 2$$",)
    assert knowledge.family("Bern").name == "bernoulli" and knowledge.family("\\mathcal{N}").name == "normal"
    assert knowledge.function("tanh").derivative is not None
    assert "bernoulli.entropy" in {r.id for r in knowledge.by_head()["H"]}
    with pytest.raises(KeyError):
        knowledge.family("Zipf")


# ---- the examples against the meaning (a data check; the engine's own test scans them end to end)
_OPAQUE = {"\\Gamma": sympy.gamma, "\\psi": sympy.digamma, "B[,]": sympy.beta, "\\mathrm{B}[,]": sympy.beta,
           "\\Phi": lambda t: (1 + sympy.erf(t / sympy.sqrt(2))) / 2}


def _value_side(doc: str):
    """The last side of the last display of a document, read by the reader (None if unreadable)."""
    body = _DISPLAY.findall(doc)[-1].strip().rstrip(".,;")
    clauses = [c for c in split_clauses(body) if len(c.sides) >= 2]
    try:
        expr = read_document(clauses[0].sides[-1], DocumentNames(), bare_names(body)).expr
    except Exception:  # noqa: BLE001 -- checked by test_examples_are_documents
        return None
    for name, f in _OPAQUE.items():
        expr = expr.replace(lambda e, n=name: isinstance(e, AppliedUndef) and type(e).__name__ == n,
                            lambda e, f=f: f(*e.args))
    expr = expr.xreplace({sympy.Symbol("e", real=True): sympy.E})
    if expr.has(AppliedUndef, sympy.Sum, sympy.Integral, sympy.Derivative) or any(
            s.name.startswith("⟦") for s in expr.free_symbols):
        return None  # an operator or a notation this check does not evaluate: the engine's test scans it
    return expr


def _scalar_only(row) -> bool:
    return (not row.meaning_tex and not row.meaning.has(sympy.Sum, sympy.Product, sympy.Indexed, sympy.MatrixSymbol,
                                                         AppliedUndef, sympy.Derivative, sympy.Piecewise)
            and all(knowledge.role_type(t)[0] not in knowledge.FUNCTION_TYPES for t in row.roles.values()))


def _binding(row, side, pts):
    """A one-to-one map of the meaning's roles onto the side's letters under which the two agree at
    every point (None if there is none)."""
    import itertools

    roles = sorted(row.meaning.free_symbols, key=lambda s: s.name)
    letters = sorted(side.free_symbols, key=lambda s: s.name)
    if len(letters) != len(roles) or side.has(AppliedUndef, sympy.Sum, sympy.Integral, sympy.Derivative):
        return None
    for perm in itertools.permutations(letters):
        if all(_agree(row, side, dict(zip(roles, perm)), p) for p in pts):
            return dict(zip(roles, perm))
    return None


def _agree(row, side, mapping, point) -> bool:
    try:
        want = evaluate_scalar(row, row.meaning, point)
        values = {mapping[r]: sympy.Float(point.values[r.name], 30) for r in mapping}
        got = _numeric(sympy.N(side.xreplace(values), 30))
    except (ArithmeticError, TypeError, ValueError, ZeroDivisionError):
        return False
    return _close(got, want, 1e-8)


CHECKABLE = [r.id for r in ROWS if _scalar_only(r)]


@pytest.mark.parametrize("row_id", CHECKABLE)
def test_examples_agree_with_meaning(row_id):
    """For rows with a scalar meaning: each example's value side equals the meaning under a one-to-one
    renaming of the roles (at 3 points of the domain), and the planted document built from it does not
    under the same renaming."""
    row = BY_ID[row_id]
    pts = points(row_id)[:3]
    checked = 0
    for doc in row.examples:
        side = _value_side(doc)
        if side is None or len(side.free_symbols) != len(row.meaning.free_symbols):
            continue
        mapping = _binding(row, side, pts)
        assert mapping is not None, f"{row.id}: the example's value {side} equals the meaning {row.meaning} under no renaming"
        checked += 1
        for planted in row.planted:
            wrong_side = _value_side(planted)
            if wrong_side is not None and wrong_side != side and wrong_side.free_symbols <= set(mapping.values()):
                assert not all(_agree(row, wrong_side, mapping, p) for p in pts), (
                    f"{row.id}: the planted value {wrong_side} agrees with the meaning")
    if not checked:
        pytest.skip("no example whose value side is a closed form in the roles")
