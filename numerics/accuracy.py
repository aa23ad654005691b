r"""Reference values that carry their own error estimate, and the tolerance that follows from it.

A reference route (``@reference`` in :mod:`numerics.routes`) is either

* **exact up to round-off** -- closed-form float64 arithmetic, ``torch.distributions``, autograd:
  it returns a tensor and is compared within :data:`ROUNDOFF_RTOL` (a few hundred operations in
  float64 lose ~1e-14 relative; 1e-9 leaves a margin of 10⁵ for conditioning, while an algebraic
  mistake is off by far more); or
* **approximate** -- quadrature, an ODE solver, an extrapolated limit, a finite difference, an
  optimiser: it returns an :class:`Approximate`, the value *and* its error estimate from the method
  itself (scipy ``quad``'s ``abserr``, the difference between two step sizes, a stationarity
  residual over the curvature, ...). The tolerance at each point is then

  .. math:: \text{tol} = \text{atol} + \text{rtol}\,|v| + \texttt{ERROR\_SAFETY}\cdot \widehat{\text{err}}

  and it is stated in the result, as the smallest relative error the check detects.

Where the method cannot vouch for its value -- a non-finite value or error estimate, an integrator
warning (:func:`quad` turns scipy's ``IntegrationWarning`` into an infinite error), or an error
estimate (× ``ERROR_SAFETY``) above :data:`MAX_RESOLUTION` of the value (plus
:data:`ABSOLUTE_RESOLUTION`) -- the route raises :class:`RouteInconclusive`
and the claim is ``inconclusive`` with that reason: never ``failed``.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from typing import Callable, Sequence

import torch

from derivspec.core.lazy import lazy
from derivspec.reference_models.device import DTYPE

integrate, optimize = lazy("scipy.integrate"), lazy("scipy.optimize")

ROUNDOFF_RTOL = 1e-9
ROUNDOFF_ATOL = 1e-12
ERROR_SAFETY = 10.0  # an a-posteriori error estimate is trusted to within this factor
QUAD_OPTIONS = dict(epsabs=0, epsrel=1e-13, limit=200)  # what the routes ask of scipy quad
MAX_RESOLUTION = 1e-3  # a point whose estimated error (× ERROR_SAFETY) exceeds this fraction of |value| ...
ABSOLUTE_RESOLUTION = 1e-9  # ... plus this much (values near zero) cannot decide anything

# how an error estimate was made, as the checks' detail shows it
QUAD_HOW = "scipy quad abserr"
RICHARDSON_HOW = "Richardson: the larger |E(2n) − E(n)|/3 of the once-extrapolated values"
OPTIMUM_HOW = "optimiser: ‖∇f‖/λ_min(∇²f) at the optimum found"


class RouteInconclusive(Exception):
    """The route cannot decide: its value is not finite, its integrator warned, or its own error
    estimate is too large. The claim becomes ``inconclusive`` with this message."""


@dataclass(frozen=True)
class Approximate:
    """A reference value per point with an estimate of its absolute error (same shape).

    ``how`` says where the estimate comes from ("scipy quad abserr", "Richardson: |R(2K) − R(K)|",
    ...); it is shown in the check's detail."""

    value: torch.Tensor
    error: torch.Tensor
    how: str

    @classmethod
    def of(cls, pairs: Sequence[tuple[float, float]], how: str, like: torch.Tensor) -> "Approximate":
        """From per-point (value, error) pairs, as tensors on ``like``'s device."""
        values = torch.tensor([v for v, _ in pairs], dtype=DTYPE, device=like.device)
        errors = torch.tensor([e for _, e in pairs], dtype=DTYPE, device=like.device)
        return cls(values, errors, how)

    def __add__(self, other: "Approximate") -> "Approximate":
        return Approximate(self.value + other.value, self.error + other.error, _joined(self.how, other.how))

    def scaled(self, factor) -> "Approximate":
        """``factor · value`` (a tensor or number known exactly)."""
        factor = torch.as_tensor(factor, dtype=DTYPE, device=self.value.device)
        return Approximate(factor * self.value, factor.abs() * self.error, self.how)


def _joined(a: str, b: str) -> str:
    return a if a == b else f"{a}; {b}"


def tolerance(value: torch.Tensor, error: torch.Tensor | None = None) -> torch.Tensor:
    """Round-off tolerance at each point, plus ``ERROR_SAFETY`` times the error estimate."""
    tol = ROUNDOFF_ATOL + ROUNDOFF_RTOL * value.abs()
    return tol if error is None else tol + ERROR_SAFETY * error


def ratio(numerator: tuple[float, float], denominator: tuple[float, float]) -> tuple[float, float]:
    """(a ± ea)/(b ± eb) with the first-order error bound (|ea| + |a/b|·|eb|)/|b|."""
    (a, ea), (b, eb) = numerator, denominator
    value = a / b
    return value, (abs(ea) + abs(value) * abs(eb)) / abs(b)


# --- quadrature ---------------------------------------------------------------------------------


def quad(f: Callable[[float], float], low: float, high: float, **options) -> tuple[float, float]:
    """``scipy.integrate.quad`` as (value, abserr); an ``IntegrationWarning`` (round-off detected,
    the subdivision limit reached, a divergent or slowly converging integral) makes the error
    infinite, so the point is undecidable rather than wrong."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", integrate.IntegrationWarning)
        try:
            value, abserr = integrate.quad(f, low, high, **options)[:2]
        except integrate.IntegrationWarning:
            return math.nan, math.inf
    return value, abserr


def quad_around(f: Callable[[float], float], centre: float, scale: float, width: float = 40.0,
                **options) -> tuple[float, float]:
    """``quad`` of a function concentrated near ``centre`` (spread ``scale``): over
    [centre − width·scale, centre + width·scale], split at the centre and at ±scale, ±5·scale, so
    the adaptive rule sees the peak (a narrow peak in a wide interval is what makes ``quad`` warn).
    The centre must come from the route's own model (a mode found numerically, a mean of the
    density as written), never from the claim being checked."""
    cuts = sorted({centre + k * scale for k in (-width, -5, -1, 0, 1, 5, width)})
    total, error = 0.0, 0.0
    for a, b in zip(cuts, cuts[1:]):
        value, abserr = quad(f, a, b, **options)
        total += value
        error += abserr
    return total, error


def peak_and_width(log_f: Callable[[float], float], guess: float, scale: float) -> tuple[float, float]:
    """The mode of a smooth unimodal log-density ``log_f`` (Brent's method, bracketed from
    guess ± scale) and the width 1/√(−(log f)'') there (a second difference): where a quadrature or
    a proposal is centred. Found numerically from the route's own model, never from the claim."""
    mode = optimize.minimize_scalar(lambda x: -log_f(x), bracket=(guess - scale, guess + scale), tol=1e-12).x
    h = 1e-3 * scale
    curvature = -(log_f(mode + h) - 2 * log_f(mode) + log_f(mode - h)) / (h * h)
    return mode, 1 / math.sqrt(curvature)


def integral_of_exp(log_f: Callable[[float], float], guess: float = 0.0, scale: float = 1.0) -> tuple[float, float]:
    """∫ exp(log f(x)) dx by :func:`quad_around` the numerically found peak of log f
    (:func:`peak_and_width`), with the peak value factored out (the integrand is 1 at the peak,
    however small f is): (value, abserr)."""
    mode, width = peak_and_width(log_f, guess, scale)
    peak = log_f(mode)
    value, error = quad_around(lambda x: math.exp(log_f(x) - peak), mode, width, **QUAD_OPTIONS)
    return value * math.exp(peak), error * math.exp(peak)


def moments_of_exp(log_f: Callable[[float], float], guess: float = 0.0,
                   scale: float = 1.0) -> tuple[tuple[float, float], ...]:
    """(log Z, mean, variance) of the unnormalised density f = exp(log f) on the real line, Z = ∫f,
    each as (value, error): :func:`quad_around` the numerically found peak (:func:`peak_and_width`),
    the peak value factored out so the integrands stay near 1, quad's abserr through the ratios."""
    mode, width = peak_and_width(log_f, guess, scale)
    peak = log_f(mode)
    f = lambda x: math.exp(log_f(x) - peak)  # noqa: E731
    z0 = quad_around(f, mode, width, **QUAD_OPTIONS)
    offset = ratio(quad_around(lambda x: (x - mode) * f(x), mode, width, **QUAD_OPTIONS), z0)  # E[x − mode]
    mean = (mode + offset[0], offset[1])
    variance = ratio(quad_around(lambda x: (x - mean[0]) ** 2 * f(x), mode, width, **QUAD_OPTIONS), z0)
    return (peak + math.log(z0[0]), z0[1] / z0[0]), mean, (variance[0], variance[1] + mean[1] ** 2)


# --- limits and step sizes ------------------------------------------------------------------------


def richardson(coarse, fine, order: float, ratio_: float = 2.0):
    r"""Richardson extrapolation of a quantity with error :math:`c\,h^{p}` computed at steps h
    (``coarse``) and h/r (``fine``): the extrapolated value, and the estimate
    :math:`|A_{h/r} - A_h|/(r^p - 1)` of the fine value's error, which bounds the extrapolated
    value's error when the next term is smaller (as it is, asymptotically). Works on floats and tensors."""
    factor = ratio_ ** order - 1
    difference = fine - coarse
    estimate = difference.abs() / factor if isinstance(difference, torch.Tensor) else abs(difference) / factor
    return fine + difference / factor, estimate


def limit_by_richardson(at, first: int):
    r"""The limit A of A(n) = A + c_1/n + c_2/n² + c_3/n³ + … from ``at(n)`` (a float or a tensor) at n =
    first, 2·first, 4·first, 8·first: (value, error estimate).

    Richardson of order 1 on successive pairs gives E_i = A + O(1/n²); of order 2 on the last two
    E's, the value. Error: the larger of |E_{i+1} − E_i|/3 over the last two pairs -- each estimates
    the error of its finer E, which bounds the value's. One difference alone can vanish by accident
    where the 1/n² and 1/n³ terms cancel (a single :func:`richardson` pair then claims too much);
    that happens at different points for the two pairs."""
    values = [at(first * 2**i) for i in range(4)]
    once = [richardson(coarse, fine, order=1)[0] for coarse, fine in zip(values, values[1:])]
    value, error = richardson(once[1], once[2], order=2)
    _, earlier_error = richardson(once[0], once[1], order=2)
    return value, (torch.maximum(error, earlier_error) if isinstance(error, torch.Tensor) else max(error, earlier_error))


def agreement(first, second):
    """Two estimates of one value by methods of different accuracy (a finer grid, more nodes):
    the finer one, with their difference as its error estimate (conservative: the finer method's
    error is usually far smaller)."""
    difference = second - first
    return second, difference.abs() if isinstance(difference, torch.Tensor) else abs(difference)
