"""Printing numbers: one rule for every figure derivspec writes.

Evidence strings, the generated docs, the report, errata and coverage notes all print their numbers
through :func:`fmt`. A float's last bits depend on the machine (BLAS, thread count, CPU kind, the
order of a reduction), so a printed figure must not show them:

* a value indistinguishable from zero at the tolerance (``tol``, default :data:`ZERO`: the round-off
  of float64 quantities of order one after many operations) prints as ``0`` -- or as ``< tol`` where
  the figure is a bound (``bound=True``: "max |error| < 1e-12");
* any other value prints with the format spec it is given, to no finer a digit than ``tol`` (a spec
  asking for ``.15f`` of a sum checked to 1e-12 prints 12 decimals: the digits the check resolves),
  and a value that rounds to zero never keeps a sign (``-0.000`` is ``0.000``).

An exact value (an integer power of two, a count) that is tiny but not round-off is printed with
``tol=0``.

``fmt(-9.6e-17, ".3g")`` is ``0`` on every machine, where ``f"{-9.6e-17:.3g}"`` printed
``-9.62e-17`` on one and ``-1.56e-16`` on another.
"""

from __future__ import annotations

import math
import re

ZERO = 1e-12  # below this a float64 figure of order one is round-off, not a value
_FLOAT_SPEC = re.compile(r"^(?P<align>.?[<>^=])?(?P<sign>[+\- ])?#?0?(?P<width>\d*)[,_]?(?:\.(?P<precision>\d+))?"
                         r"(?P<kind>[eEfFgGn%]?)$")
_NONZERO_DIGIT = re.compile(r"[1-9]")


def fmt(value, spec: str = ".4f", *, tol: float = ZERO, bound: bool = False) -> str:
    """``value`` formatted with ``spec``: ``0`` (or ``< tol`` with ``bound``) below ``tol`` in
    magnitude; never ``-0``; ``nan``, ``inf`` and ``-inf`` as themselves."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        try:
            value = float(value)  # numpy and torch scalars, sympy numbers
        except (TypeError, ValueError):
            return format(value, spec)
    if isinstance(value, float) and not math.isfinite(value):
        return format(str(value), _width_only(spec))
    if isinstance(value, int):
        return format(value, spec)
    if abs(value) < tol:
        if bound:
            return format(f"< {tol:g}", _width_only(spec))
        kind = _kind(spec)
        return format(0.0, spec) if kind in "fF%" and kind else format("0", _width_only(spec))
    text = format(value, _resolved(spec, value, tol))
    if text.lstrip().startswith("-") and not _NONZERO_DIGIT.search(text.split("e")[0].split("E")[0]):
        return format(0.0, _resolved(spec, 1.0, tol))  # rounds to zero: printed as +0.0 is (no "-0")
    return text


def _resolved(spec: str, value: float, tol: float) -> str:
    """``spec`` with its precision cut so that its last digit is no finer than ``tol``."""
    match = _FLOAT_SPEC.match(spec)
    if tol <= 0 or not match or match.group("precision") is None or not match.group("kind"):
        return spec
    kind, precision = match.group("kind").lower(), int(match.group("precision"))
    finest = math.floor(math.log10(tol) + 1e-9)  # the place of tol's leading digit: -12 for 1e-12
    exponent = math.floor(math.log10(abs(value))) if value else 0
    most = {"f": -finest, "%": -finest - 2, "e": exponent - finest, "g": exponent - finest + 1,
            "n": exponent - finest + 1}[kind]
    most = max(most, 1 if kind in "gn" else 0)
    if precision <= most:
        return spec
    start, end = match.span("precision")
    return spec[:start] + str(most) + spec[end:]


def _kind(spec: str) -> str:
    match = _FLOAT_SPEC.match(spec)
    return match.group("kind") if match else ""


def _width_only(spec: str) -> str:
    """The alignment and width of a numeric spec, for printing a word in its place (right-aligned,
    as a number would be)."""
    match = _FLOAT_SPEC.match(spec)
    if not match or not match.group("width"):
        return ""
    return f"{(match.group('align') or '>')}{match.group('width')}"


ROUNDOFF_BOUND = 1e-9  # a passed check's differences below this are printed as "< 1e-09", not as digits


def max_difference(value, passed: bool, spec: str = ".2g") -> str:
    """``max |Δ| = 0.031`` for a failed check; for a passed one the round-off it saw is machine noise,
    so ``max |Δ| < 1e-09`` below :data:`ROUNDOFF_BOUND` (a quadrature or fitting error above it is
    printed)."""
    if value is None:
        return "max |Δ| n/a"
    shown = fmt(value, spec, tol=ROUNDOFF_BOUND if passed else ZERO, bound=passed)
    return f"max |Δ| {shown}" if shown.startswith("<") else f"max |Δ| = {shown}"
