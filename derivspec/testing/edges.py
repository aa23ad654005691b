r"""The inputs always checked, beside those Hypothesis draws: where slips hide and random draws seldom go.

* a schedule's ends: the first steps (t = 1, where ᾱ_{t-1} = 1, and t = 2) and the last (T − 1, T), and
  its middle;
* every parameter at its extremes, one at a time from a typical point: 10⁻⁹ and 10⁻⁴ inside each bound of
  its domain, ±50 and ±1000 where it is unbounded, the first and last whole numbers of a count or label,
  each value of a finite set;
* every branch boundary of the target -- where a ``Piecewise`` condition, a ``Max``/``Min``, an ``Abs`` or a
  ``Heaviside`` changes branch (Huber's \|r\| = δ, the hinge's 1 − y·f = 0) -- solved for each continuous
  variable in turn (a linear or quadratic condition), the others typical.

A point is a dict of the claim's variables (and ``step`` with a schedule); points outside the domain are
dropped, and the check skips those where the target is undefined.
"""

from __future__ import annotations

import random

import sympy

from derivspec.testing.strategies import _bounds, _integer_range, typical_value

NEAR = (1e-9, 1e-4)  # distances inside a bound
FAR = (50.0, 1000.0)  # magnitudes where a domain is unbounded


def always(spec, seed: int, structural: bool = False) -> list[dict]:
    """The points always checked for ``spec`` (a :class:`derivspec.testing.conforms.Specification`);
    ``structural`` -- only the schedule's steps and the branch boundaries (where a formula shows, not its
    numerical stability)."""
    rng = random.Random(seed + 7)
    fixed = set(spec.declarations.fixed)
    scheduled = spec.schedule is not None
    under_schedule = {"alpha_t", "alpha_bar_prev"} if scheduled else set()
    base = {v.name: typical_value(v.domain, rng) for v in spec.claim.variables}
    points = []
    if scheduled:
        steps = spec.schedule.steps
        for step in sorted({1, 2, max(1, steps // 2), steps - 1, steps}):
            points.append({**base, "step": step})
    for var in spec.claim.variables:
        if structural or var.name in fixed or var.name in under_schedule:
            continue
        for value in extremes(var.domain):
            points.append({**base, var.name: value})
    points += boundaries(spec, base, fixed | under_schedule)
    return [p for p in points if all(v.domain.contains(p[v.name]) for v in spec.claim.variables if v.name in p)]


def extremes(domain) -> list:
    """A variable's extreme values (see the module docstring)."""
    if domain.values is not None:
        return list(domain.values)
    if domain.integer:
        first, last = _integer_range(domain)
        return sorted({first, last})
    lower, upper = _bounds(domain)
    found = []
    for distance in NEAR:
        if lower is not None:
            found.append(lower + distance * max(1.0, abs(lower)))
        if upper is not None:
            found.append(upper - distance * max(1.0, abs(upper)))
    for magnitude in FAR:
        if upper is None:
            found.append(magnitude)
        if lower is None:
            found.append(-magnitude)
    return [v for v in found if domain.contains(v)]


def boundaries(spec, base: dict, held: set) -> list[dict]:
    """Points on the target's branch boundaries, each solved for one continuous variable (the others at
    ``base``): linear and quadratic conditions only."""
    symbols = {v.symbol: v for v in spec.continuous if v.name not in held}
    points = []
    for expr in spec.expected_exprs(spec.claim.target):
        for condition in _switches(expr):
            for symbol, var in symbols.items():
                if symbol not in condition.free_symbols:
                    continue
                others = {s: sympy.Float(base[v.name]) if not isinstance(base[v.name], int) else base[v.name]
                          for s, v in ((v.symbol, v) for v in spec.claim.variables) if s != symbol}
                for root in _roots(condition.xreplace(others), symbol):
                    if var.domain.contains(root):
                        points.append({**base, var.name: root})
    return points


def _switches(expr: sympy.Expr) -> list[sympy.Expr]:
    """The expressions whose zero is a branch boundary of ``expr``."""
    found = []
    for node in sympy.preorder_traversal(expr):
        if isinstance(node, sympy.Piecewise):
            for _, condition in node.args:
                for relation in ([condition] if isinstance(condition, sympy.Rel) else list(getattr(condition, "args", ()))):
                    if isinstance(relation, sympy.Rel):
                        found.append(relation.lhs - relation.rhs)
        elif isinstance(node, (sympy.Max, sympy.Min)):
            args = node.args
            found += [a - b for i, a in enumerate(args) for b in args[i + 1:]]
        elif isinstance(node, (sympy.Abs, sympy.Heaviside, sympy.sign)):
            found.append(node.args[0])
    return found


def _roots(expr: sympy.Expr, symbol: sympy.Symbol) -> list[float]:
    try:
        poly = sympy.Poly(expr, symbol)
    except (sympy.PolynomialError, sympy.GeneratorsNeeded, ValueError, TypeError):
        return []
    if poly.degree() not in (1, 2) or any(c.free_symbols for c in poly.all_coeffs()):
        return []
    roots = []
    for root in sympy.Poly(poly.as_expr(), symbol).nroots(n=30):
        if root.is_real:
            roots.append(float(root))
    return roots
