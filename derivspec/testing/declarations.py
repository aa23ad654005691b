r"""What a user may declare about their function beside the conventions: ``up_to``, ``fix``, ``precision``.

* ``up_to`` -- ``constant``, ``scale`` and/or ``sign``: the function computes ``a·T(x) + c`` where the
  claim's target is ``T``: ``c`` any number (``constant``: a log-likelihood without its ½ log 2π),
  ``a`` any positive factor (``scale``: a loss without its ½), ``a = -1`` (``sign``: log p where the
  claim is -log p; with ``scale``, any non-zero factor). The factor and the constant are found once,
  on typical inputs (:func:`fit`), and then held fixed for every input drawn: a "constant" that moves
  with the inputs (a per-batch offset, a dropped data term) is not one, and fails.
* ``fix`` -- ``{SYMBOL: VALUE}``: the claim's variable held at a value in its domain (σ = 1 for a loss
  written as a plain squared error); the function need not take it.
* ``precision`` -- ``float32``, ``float64`` or a relative tolerance: the error allowed is that of a
  computation at this accuracy (``u`` = 2⁻²⁴ for float32; ``RTOL / ROUNDING_SLACK`` for a number),
  whatever type the output has. An error above that still fails.

Each is also a *hint*: a failure that would conform under one of them, none declared, says which --
in the syntax of the caller (command line or Python).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from typing import Mapping

import numpy as np
import sympy

from derivspec.core.claims import Claim
from derivspec.core.errors import FormulaError
from derivspec.core.formula import parse_formula
from derivspec.testing.errors import HINT_SYNTAX, ConformanceUsageError

UP_TO = ("constant", "scale", "sign")
PRECISIONS = {"float64": 2.0 ** -53, "float32": 2.0 ** -24}
NICE_CONSTANTS = (("", sympy.Integer(1)), ("log(2*pi)", sympy.log(2 * sympy.pi)), ("log(2)", sympy.log(2)),
                  ("log(pi)", sympy.log(sympy.pi)), ("pi", sympy.pi))  # what a dropped constant is made of


@dataclass(frozen=True)
class Declarations:
    """The declarations of one check: ``up_to`` (a subset of UP_TO), ``fixed`` (variable -> value),
    ``precision`` (its text) and ``unit`` (the unit roundoff it allows, 0 when none declared)."""

    up_to: frozenset = frozenset()
    fixed: dict = field(default_factory=dict)
    precision: str | None = None
    unit: float = 0.0

    def to_json(self) -> dict:
        return {"up_to": sorted(self.up_to), "fix": dict(self.fixed), "precision": self.precision}


def declarations_of(claim: Claim, up_to=None, fix: Mapping | None = None, precision=None,
                    rounding_slack: int = 128) -> Declarations:
    """The declarations read and checked; bad input is a one-line ConformanceUsageError."""
    words = (up_to,) if isinstance(up_to, str) else tuple(up_to or ())
    for word in words:
        if word not in UP_TO:
            raise ConformanceUsageError(f"up-to {word!r} is not one of {', '.join(UP_TO)}")
    fixed = {}
    variables = {v.name: v for v in claim.variables}
    for name, value in (fix or {}).items():
        if name not in variables:
            raise ConformanceUsageError(f"fix names {name!r}, which is not a variable of {claim.id}; its variables "
                                        f"are: {', '.join(variables)}")
        number = _number(name, value)
        var = variables[name]
        if var.domain.integer or var.domain.values is not None:
            if number != int(number):
                raise ConformanceUsageError(f"fix {name}={value}: {name} is a whole number")
            number = int(number)
        if not var.domain.contains(number):
            raise ConformanceUsageError(f"fix {name}={value} is outside the domain of {name} "
                                        f"({var.domain.constraint})")
        fixed[name] = number
    if len(fixed) == len(variables):
        raise ConformanceUsageError(f"fix holds every variable of {claim.id}: nothing is left to draw")
    unit, text = 0.0, None
    if precision is not None:
        text = str(precision).strip().lower()
        if text in PRECISIONS:
            unit = PRECISIONS[text]
        else:
            try:
                rtol = float(text)
            except ValueError:
                raise ConformanceUsageError(f"precision {precision!r} is not float32, float64 or a relative "
                                            "tolerance (a number such as 1e-6)") from None
            if not 0 < rtol < 1:
                raise ConformanceUsageError(f"precision {precision!r}: a relative tolerance is in (0, 1)")
            unit = rtol / rounding_slack
    return Declarations(frozenset(words), fixed, text, unit)


def _number(name: str, value) -> float:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    try:
        expr = parse_formula(str(value), {})
        number = float(sympy.sympify(expr).evalf())
    except (FormulaError, TypeError, ValueError, sympy.SympifyError):
        raise ConformanceUsageError(f"fix {name}={value!r}: give a number") from None
    if not np.isfinite(number):
        raise ConformanceUsageError(f"fix {name}={value!r}: give a finite number")
    return number


# --- the factor and the constant ------------------------------------------------------------------

@dataclass(frozen=True)
class Affine:
    """The output as ``factor·target + constant``; ``spread`` -- the error of the fit, as an absolute
    error (the constant's) plus a relative one (the factor's), both in units of the rounding allowance."""

    factor: float = 1.0
    constant: float = 0.0
    constant_error: float = 0.0  # in units of the allowance's u (before ROUNDING_SLACK)
    factor_error: float = 0.0  # relative to |target|, in the same units

    def describe(self) -> str:
        text = "the target"
        if self.factor == -1:
            text = "the negative of the target"
        elif self.factor != 1:
            text = f"the target times {show_factor(self.factor)}"
        if self.constant != 0:
            text += f" {'+' if self.constant > 0 else '-'} {show_constant(abs(self.constant))}"
        return text


def fit(freedoms: frozenset, targets: list[float], outputs: list[float], weights: list[float],
        bounds: list[float], unit: float, slack: int) -> Affine | None:
    """The factor and constant with ``outputs[i] = a·targets[i] + c·weights[i]`` within the allowance
    ``slack·unit·bounds[i]`` (scaled by |a|) at every i, under ``freedoms`` (a subset of UP_TO); None
    when none fits. ``weights`` is 1 per value (or the batch size, for a sum over a batch)."""
    t, y, w = np.array(targets, float), np.array(outputs, float), np.array(weights, float)
    allowance = slack * unit * np.array(bounds, float)
    if len(t) < 3 or not (np.all(np.isfinite(t)) and np.all(np.isfinite(y)) and np.all(np.isfinite(allowance))):
        return None
    if "scale" in freedoms:
        factors = [None]
    elif "sign" in freedoms:
        factors = [1.0, -1.0]
    else:
        factors = [1.0]
    for a in factors:
        if a is None:  # least squares for the factor (and the constant)
            design = np.stack([t, w], axis=1) if "constant" in freedoms else t[:, None]
            if np.linalg.matrix_rank(design, tol=1e-9 * max(1.0, float(np.abs(design).max()))) < design.shape[1]:
                return None  # the target does not vary here: a factor cannot be told from a constant
            raw = float(np.linalg.lstsq(design, y, rcond=None)[0][0])
            if raw == 0 or not np.isfinite(raw) or (raw < 0 and "sign" not in freedoms):
                return None
            choices = dict.fromkeys([snap(raw), raw])
        else:
            choices = {a: None}
        for a in choices:
            raw_c = float(np.median((y - a * t) / w)) if "constant" in freedoms else 0.0
            for c in dict.fromkeys([0.0, snap_constant(raw_c), raw_c]):
                factor_error = 0.0 if _is_simple(a) else float(abs(a) * allowance.max() / max(float(np.abs(t).max()), 1e-300))
                constant_error = 0.0 if c == 0 or _is_nice(c) else float(abs(a) * allowance.max())
                allowed = abs(a) * allowance + constant_error * w + factor_error * np.abs(t) + 1e-300
                if np.all(np.abs(y - a * t - c * w) <= allowed):
                    return Affine(a, c, constant_error / (slack * unit), factor_error / (slack * unit))
    return None


def snap(a: float) -> float:
    """A factor read as a simple fraction (2, 1/2, -1, 3/2) where it is one to 1e-6."""
    fraction = Fraction(a).limit_denominator(12)
    if fraction != 0 and abs(float(fraction) - a) <= 1e-6 * abs(a):
        return float(fraction)
    return a


def _is_simple(a: float) -> bool:
    return float(Fraction(a).limit_denominator(12)) == a


def snap_constant(c: float) -> float:
    """A constant read as a simple multiple of log 2π, log 2, log π, π or 1 where it is one to 1e-6."""
    for _, base in NICE_CONSTANTS:
        value = float(base)
        fraction = Fraction(c / value).limit_denominator(12)
        exact = float(fraction * value) if fraction.denominator == 1 else float(sympy.Rational(fraction.numerator, fraction.denominator) * base)
        if abs(exact - c) <= 1e-6 * max(abs(c), 1e-3) and fraction != 0:
            return exact
    return c if abs(c) > 0 else 0.0


def _is_nice(c: float) -> bool:
    return snap_constant(c) == c and show_constant(abs(c)) != repr(abs(c))


def show_factor(a: float) -> str:
    fraction = Fraction(a).limit_denominator(12)
    if float(fraction) == a:
        return str(fraction)
    return f"{a:.6g}"


def show_constant(c: float) -> str:
    """``c`` as written: 1/2*log(2*pi) = 0.918939, or the number."""
    for name, base in NICE_CONSTANTS:
        fraction = Fraction(c / float(base)).limit_denominator(12)
        if fraction != 0 and float(sympy.Rational(fraction.numerator, fraction.denominator) * base) == c:
            if not name:
                return str(fraction)
            coefficient = "" if fraction == 1 else f"{fraction}*"
            return f"{coefficient}{name} ({c:.6g})"
    return repr(c)


# --- hints: a declaration written as the caller writes it ------------------------------------------

def declaration_text(declared: Mapping, syntax: str | None = None) -> str:
    """``{"up_to": ["scale"]}`` as ``--up-to scale`` (syntax ``cli``) or ``up_to=['scale']`` (``python``);
    also ``precision``, ``fix``, ``index``, ``conventions`` (``{"reduction": "sum"}``), ``batching``
    (``unbatched``: ``--unbatched``) and ``size`` (``{"D": 784}``)."""
    syntax = syntax or HINT_SYNTAX.get()
    parts = []
    for key, value in declared.items():
        if syntax == "cli":
            if key == "up_to":
                parts.extend(f"--up-to {v}" for v in value)
            elif key == "precision":
                parts.append(f"--precision {value}")
            elif key == "fix":
                parts.append("--fix " + " ".join(f"{k}={v}" for k, v in value.items()))
            elif key == "index":
                parts.append(f"--index {value}")
            elif key == "conventions":
                parts.append("--convention " + " ".join(f"{k}={v}" for k, v in value.items()))
            elif key == "batching":
                parts.append(f"--{value}")
            elif key == "size":
                parts.append("--size " + " ".join(f"{k}={v}" for k, v in value.items()))
        else:
            if key == "conventions":
                parts.append(f"conventions={dict(value)!r}")
            else:
                parts.append(f"{key}={value!r}")
    return " ".join(parts) if syntax == "cli" else ", ".join(parts)
