r"""Derivatives by a parameter of densities and expectations that depend on it (issue 24).

A lecture writes the parameter as a subscript -- ``p_\theta(x)``, ``\pi_\theta(a|s)``,
``\mathbb E_{x \sim p_\theta}[f(x)]``, ``\mathbb E_{q(z|\lambda)}[g(z)]`` -- so, as read, ``\nabla_\theta``
of such a term has nothing to act on and stays opaque. Here, once a step differentiates by ``v``:

* a density whose name carries ``v`` as a subscript is a function of ``v`` too:
  ``p_\theta(x)`` -> ``p_\theta(x, \theta)``;
* an expectation whose distribution depends on ``v`` is the integral it abbreviates,
  ``\mathbb E_{x \sim p_\theta}[f] = \int p_\theta(x, \theta) f\,dx`` -- or the sum ``\sum_x`` when the
  step itself writes that variable's sum (never a sum on one side made equal to an integral on the
  other);
* the derivative is then taken, under the integral sign (the regularity every lecture assumes).

The step is **proved** when the difference of the sides is 0 after the integrals and sums over the
same variable are merged (linearity) and each integrand simplifies to 0: so
``\nabla_\theta \mathbb E_{p_\theta}[f(x)] = \mathbb E_{p_\theta}[f(x) \nabla_\theta \log p_\theta(x)]``
(the score-function identity) is proved for every differentiable family. Nothing here flags: a step
that does not reduce to 0 is left to the other checks.
"""

from __future__ import annotations

import re

import sympy

from derivspec.scan.information import EXPECTATION_HEAD
from derivspec.scan.reader import IMPLICIT_NAME, is_opaque_function


def _opaque_derivatives(expr) -> list:
    return [d for d in sympy.preorder_traversal(expr) if isinstance(d, sympy.Derivative)
            and is_opaque_function(d.expr) and d.expr.func.__name__ == "⟦d⟧"]


def _mentions(name: str, variable: sympy.Symbol) -> bool:
    return re.search(r"(?<![A-Za-z\\])" + re.escape(variable.name) + r"(?![A-Za-z])", name) is not None


def _density(sub: str, names) -> tuple[sympy.Expr, sympy.Symbol] | None:
    """The density and the variable an expectation's subscript names (``x \\sim p_\\theta``, ``q(z|\\lambda)``)."""
    from derivspec.scan.reader import read_document

    if r"\sim" in sub:
        variable_text, density_text = (part.strip() for part in sub.split(r"\sim", 1))
        if not re.fullmatch(r"\\?[A-Za-z]+", variable_text):
            return None
        if "(" not in density_text:
            density_text += "(" + variable_text + ")"
    else:
        density_text = sub
    try:
        density = read_document(density_text, names).expr
    except Exception:
        return None
    if not (is_opaque_function(density) and density.args and isinstance(density.args[0], sympy.Symbol)):
        return None
    return density, density.args[0]


def _rewrite(expr, variable: sympy.Symbol, names, summed: dict):
    """Densities with ``variable`` in their name get it as an argument; expectations whose
    distribution depends on it become integrals (or the step's sums)."""
    def walk(e):
        if not e.args or isinstance(e, sympy.Symbol):
            return e
        if is_opaque_function(e) and not isinstance(e, sympy.Symbol):
            name = e.func.__name__
            m = EXPECTATION_HEAD.match(name[:-2]) if name.endswith("⟮⟯") else None
            if m and len(e.args) == 1:
                found = _density(m.group(1) if m.group(1) is not None else m.group(2), names)
                if found is None:
                    raise ValueError("an expectation whose distribution is not read")
                density, x = found
                body = walk(e.args[0])
                inside = next((s for s in body.free_symbols if s.name == x.name), x)
                density = walk(density.xreplace({x: inside}))
                if x.name in summed:  # the step sums over this variable: the expectation is that sum
                    index, limits = summed[x.name]
                    return sympy.Sum((density * body).xreplace({inside: index}), limits)
                return sympy.Integral(density * body, inside)
            args = tuple(walk(a) for a in e.args)
            if name != "⟦d⟧" and _mentions(name, variable) and variable not in e.free_symbols:
                return e.func(*args, variable)
            return e.func(*args)
        return e.func(*[walk(a) for a in e.args])
    return walk(expr)


def _base(name: str) -> str:
    return re.sub(r"_.*$", "", name)


def _dependence_known(argument, variable: sympy.Symbol) -> bool:
    r"""The argument shows how it depends on ``variable``: it contains it, names no result-like
    symbol (L, J, a hat or a bar: they may depend on it), and no function whose name shares the
    variable's letter without taking it (``h_w(x)`` under ``\partial / \partial w_i``)."""
    if variable not in argument.free_symbols:
        return False
    if any(s != variable and IMPLICIT_NAME.match(s.name) for s in argument.free_symbols):
        return False
    letter = _base(variable.name)
    for node in sympy.preorder_traversal(argument):
        if is_opaque_function(node) and not isinstance(node, sympy.Symbol) and variable not in node.free_symbols:
            if _mentions(node.func.__name__, sympy.Symbol(letter)):
                return False
        if isinstance(node, sympy.Symbol) and node != variable and _base(node.name) == letter:
            return False  # w and w_i: a component and its vector
    return True


def _differentiated(expr):
    """Every opaque ``d/dv`` evaluated now that its argument shows its dependence on ``v``."""
    for d in _opaque_derivatives(expr):
        if not all(_dependence_known(d.expr.args[0], v) for v in d.variables):
            raise ValueError("a derivative whose argument's dependence on the variable is not shown")
    return expr.replace(lambda d: isinstance(d, sympy.Derivative) and is_opaque_function(d.expr)
                        and d.expr.func.__name__ == "⟦d⟧",
                        lambda d: sympy.diff(d.expr.args[0], *d.variable_count))


def _merged(expr) -> tuple[sympy.Expr, dict]:
    """Integrals (and sums) over the same variable merged into one, constants moved inside."""
    groups: dict = {}
    rest = sympy.Integer(0)
    for term in sympy.Add.make_args(sympy.expand(expr)):
        inner = [f for f in sympy.Mul.make_args(term) if isinstance(f, (sympy.Integral, sympy.Sum))]
        if len(inner) != 1:
            rest += term
            continue
        functional = inner[0]
        coefficient = term / functional
        bound = {limit[0] for limit in functional.limits}
        if coefficient.free_symbols & bound:
            rest += term
            continue
        key = (type(functional), functional.limits)
        groups[key] = groups.get(key, 0) + coefficient * functional.function
    return rest, groups


def proves(a: sympy.Expr, b: sympy.Expr, names) -> str | None:
    """A reason when ``a = b`` holds once parameter dependence is read, else None."""
    derivatives = _opaque_derivatives(a) + _opaque_derivatives(b)
    if not derivatives:
        return None
    variables = {v for d in derivatives for v in d.variables}
    if len(variables) != 1:
        return None
    (variable,) = variables
    summed = {}
    for s in sympy.preorder_traversal(sympy.Tuple(a, b)):
        if isinstance(s, sympy.Sum) and len(s.limits) == 1:
            summed.setdefault(s.limits[0][0].name, (s.limits[0][0], s.limits[0]))
    try:
        left = _differentiated(_rewrite(a, variable, names, summed))
        right = _differentiated(_rewrite(b, variable, names, summed))
    except (ValueError, TypeError, NotImplementedError):
        return None
    if _opaque_derivatives(left) or _opaque_derivatives(right):
        return None
    rest, groups = _merged(left - right)
    if any(isinstance(f, (sympy.Integral, sympy.Sum)) for f in sympy.preorder_traversal(rest)):
        return None
    if sympy.simplify(rest) != 0 or any(sympy.simplify(sympy.cancel(body)) != 0 for body in groups.values()):
        return None
    return (f"proved reading the densities and expectations that carry {variable.name} as functions of it, "
            "the derivative taken under the integral sign (regularity assumed, as the lecture does)")
