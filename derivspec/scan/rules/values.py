r"""Admissible values for the rules' mechanisms: which range each name of a side may take, exact draws in it, and
evaluation at high precision (mpmath) that says "not decided" instead of guessing.

A name's range comes from the document first (``0 < \theta < 1``, ``\lambda > 0``, ``y \in \{-1, +1\}``,
``k \in \{0, 1, \dots, n\}``), then from how the side uses it: under a log, a root or a fractional power it is
positive; in ``1 - \theta`` beside a log or a power it is a probability; elsewhere it is drawn positive (a subset
of every range a parameter may have, so a failure there is a failure at admissible values).
"""

from __future__ import annotations

import functools
import itertools
import re

import mpmath
import sympy

DPS = 30
POOLS = {
    "unit": [sympy.Rational(1, 3), sympy.Rational(3, 4), sympy.Rational(1, 5), sympy.Rational(2, 7)],
    "positive": [sympy.Rational(2, 3), sympy.Rational(5, 2), sympy.Rational(7, 4), sympy.Rational(1, 4)],
    "real": [sympy.Rational(1, 2), sympy.Rational(-3, 2), sympy.Rational(2), sympy.Rational(-1, 3), sympy.Rational(5, 2),
             sympy.Rational(-5, 4), sympy.Rational(3)],
    "integer": [sympy.Integer(3), sympy.Integer(5), sympy.Integer(4), sympy.Integer(2)],
}

_NAME = r"((?:\\[A-Za-z]+|[A-Za-z])(?:_\{?[\w\\]+\}?)?)"
_UNIT = [re.compile(r"0\s*(?:<|\\le|\\leq)\s*" + _NAME + r"\s*(?:<|\\le|\\leq)\s*1(?![\d.])"),
         re.compile(_NAME + r"\s*\\in\s*(?:\\left)?\s*[(\[]\s*0\s*,\s*1\s*(?:\\right)?\s*[)\]]")]
_POSITIVE = [re.compile(_NAME + r"\s*(?:>|\\ge|\\geq)\s*0(?![\d.])"),
             re.compile(_NAME + r"\s*\\in\s*\\mathbb\s*\{?R\}?\s*_\s*\{?\s*(?:\+|>\s*0)")]
_LABELS = re.compile(_NAME + r"\s*\\in\s*\\\{\s*([-+]?\s*\d+)\s*,\s*([-+]?\s*\d+)\s*\\\}")


@functools.lru_cache(maxsize=8)
def stated_ranges(text: str) -> dict:
    """latex name -> "unit" | "positive" | ("labels", values): what the document states of a name's range."""
    found: dict = {}
    for pattern in _POSITIVE:
        for m in pattern.finditer(text):
            found.setdefault(m.group(1).replace(" ", ""), "positive")
    for pattern in _UNIT:
        for m in pattern.finditer(text):
            found[m.group(1).replace(" ", "")] = "unit"
    for m in _LABELS.finditer(text):
        found[m.group(1).replace(" ", "")] = ("labels", (sympy.Integer(m.group(2).replace(" ", "")),
                                                        sympy.Integer(m.group(3).replace(" ", ""))))
    return found


def ranges(expr: sympy.Expr, names, text: str, fixed=()) -> dict:
    """symbol -> its range for the free symbols of ``expr`` other than ``fixed``."""
    stated = stated_ranges(text)
    found = {}
    for symbol in sorted(expr.free_symbols - set(fixed), key=str):
        written = (names.latex.get(symbol) or symbol.name).replace(" ", "")
        if written in stated:
            found[symbol] = stated[written]
        elif _complemented(expr, symbol):
            found[symbol] = "unit"
        else:
            found[symbol] = "positive"
    return found


def _complemented(expr: sympy.Expr, symbol) -> bool:
    """``1 - s`` appears in ``expr`` (a probability's complement)."""
    return any(isinstance(a, sympy.Add) and a.has(symbol) and 1 in a.args and (a - 1 + symbol == 0 or a - 1 - symbol == 0
                                                                               or sympy.expand(a - 1 + symbol) == 0)
               for a in sympy.preorder_traversal(expr))


def draws(ranges_: dict, count: int = 4) -> list[dict]:
    """``count`` exact points: the i-th value of each symbol's pool, shifted per symbol so two symbols differ."""
    points = []
    symbols = list(ranges_)
    for i in range(count):
        point = {}
        for k, symbol in enumerate(symbols):
            kind = ranges_[symbol]
            if isinstance(kind, tuple):
                values = kind[1]
                point[symbol] = values[(i * (2 * k + 1) + k) % len(values)]
            else:
                pool = POOLS.get(kind, POOLS["positive"])
                point[symbol] = pool[(i * (2 * k + 1) + k) % len(pool)]
        points.append(point)
    return points


def label_points(ranges_: dict) -> list[dict]:
    """Every combination of the label values (others at their first pool value)."""
    labels = [s for s, k in ranges_.items() if isinstance(k, tuple)]
    if not labels:
        return []
    base = draws(ranges_, 1)[0]
    return [{**base, **dict(zip(labels, combo))} for combo in itertools.product(*(ranges_[s][1] for s in labels))]


def value(expr: sympy.Expr, point: dict):
    """``expr`` at ``point`` as an mpmath real at DPS digits, or None (complex, infinite, not a number)."""
    try:
        at = expr.xreplace(point)
        if at.free_symbols:
            return None
        with mpmath.workdps(DPS):
            number = sympy.N(at, DPS)
            if not number.is_number:
                return None
            re_, im = number.as_real_imag()
            if abs(float(im)) > 1e-20 or not re_.is_finite:
                return None
            result = mpmath.mpf(str(re_))
        return result if mpmath.isfinite(result) else None
    except (TypeError, ValueError, ZeroDivisionError, AttributeError, RecursionError, OverflowError):
        return None


def shown(point: dict, names) -> str:
    """``θ = 1/3, n = 3`` as LaTeX names."""
    return ", ".join(f"{names.latex.get(s) or s.name} = {v}" for s, v in point.items())


def number(x) -> str:
    """A value for a message: exact-looking when close to a simple rational, else 6 significant digits."""
    x = float(x)
    fraction = sympy.nsimplify(x, tolerance=1e-10, rational=True)
    if abs(float(fraction) - x) < 1e-10 and fraction.q <= 1000:
        return str(fraction)
    return f"{x:.6g}"
