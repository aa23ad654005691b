"""The result of a numeric check and the two comparisons behind every registered route
(:mod:`numerics.routes`).

* :func:`against_reference` -- evaluate the candidate formula (lambdified to torch) at random
  points of the variables' domains and compare with an independent torch route
  (``torch.distributions``, ``torch.nn.functional``, autograd) in float64;
* :func:`against_monte_carlo` -- compare the candidate's value with a Monte Carlo estimate
  (:mod:`numerics.montecarlo`) at a few random parameter points.
"""

from __future__ import annotations

import math
import time
from typing import Callable

import sympy
import torch

from derivspec.core.numbers import fmt
from derivspec.numerics.accuracy import (ABSOLUTE_RESOLUTION, ERROR_SAFETY, MAX_RESOLUTION, ROUNDOFF_RTOL, Approximate,
                                       RouteInconclusive, tolerance)
from derivspec.numerics.montecarlo import SampleFn, monte_carlo_check
from derivspec.numerics.results import NumericContext, NumericResult  # noqa: F401 (the routes import them from here)
from derivspec.reference_models.device import DTYPE

REFERENCE_POINTS = 512


def elementwise_grad(loss_fn, wrt: torch.Tensor) -> torch.Tensor:
    """Elementwise d loss / d wrt for a loss that is a sum of independent terms (autograd)."""
    wrt = wrt.detach().clone().requires_grad_(True)
    (gradient,) = torch.autograd.grad(loss_fn(wrt).sum(), wrt)
    return gradient


def draw(var, n: int, generator: torch.Generator, device: torch.device) -> torch.Tensor:
    """n float64 values of ``var`` from its domain's sampling range (or finite support)."""
    domain = var.domain
    if domain.values is not None:
        support = torch.tensor(domain.values, dtype=DTYPE, device=device)
        return support[torch.randint(len(support), (n,), generator=generator, device=device)]
    if domain.integer:
        return torch.randint(int(domain.sample_low), int(domain.sample_high) + 1, (n,), generator=generator,
                             device=device).to(DTYPE)
    u = torch.rand(n, generator=generator, dtype=DTYPE, device=device)
    return domain.sample_low + (domain.sample_high - domain.sample_low) * u


def _as_tensor(function):
    """A torch function that also accepts the Python numbers lambdify passes for constants."""
    return lambda value: function(torch.as_tensor(value, dtype=DTYPE))


def _elementwise(function):
    """Max/Min of any number of arguments (lambdify prints them as ``max``/``min``; torch.max(0, t) raises)."""
    def combine(*values):
        tensors = [torch.as_tensor(v, dtype=DTYPE) for v in values]
        out = tensors[0]
        for tensor in tensors[1:]:
            out = function(out, tensor)
        return out
    return combine


_TENSOR_SAFE = {name: _as_tensor(getattr(torch, name)) for name in ("log", "exp", "sqrt", "abs")}
_TENSOR_SAFE.update(max=_elementwise(torch.maximum), min=_elementwise(torch.minimum))


def torch_function(expr: sympy.Expr, variables) -> Callable[..., torch.Tensor]:
    """The SymPy expression as a function of torch tensors (keyword = variable name)."""
    function = sympy.lambdify([v.symbol for v in variables], expr, modules=[_TENSOR_SAFE, "torch"])

    def call(**values):
        out = function(*(values[v.name] for v in variables))
        reference = next(iter(values.values()))
        return torch.as_tensor(out, dtype=DTYPE, device=reference.device).expand_as(reference)

    return call


def against_reference(candidate: sympy.Expr, claim, ctx: NumericContext,
                      reference: Callable[..., torch.Tensor | Approximate], method: str,
                      n_points: int = REFERENCE_POINTS, generator: torch.Generator | None = None) -> NumericResult:
    """Candidate vs an independent torch route at random points (float64).

    The tolerance at each point is float64 round-off for a route that returns a tensor, plus
    ``ERROR_SAFETY`` times the route's own error estimate when it returns an
    :class:`~derivspec.numerics.accuracy.Approximate` (:mod:`numerics.accuracy`). A point where the
    route cannot vouch for its value (not finite, an infinite error estimate, a tolerance above
    ``MAX_RESOLUTION`` of the value) raises :class:`RouteInconclusive`: the claim is inconclusive,
    never failed."""
    start = time.perf_counter()
    generator = generator if generator is not None else ctx.generator()
    values = {v.name: draw(v, n_points, generator, ctx.device) for v in claim.variables}
    got = torch_function(claim.expand_defined(candidate), claim.variables)(**values)
    out = reference(**values)
    approximate = isinstance(out, Approximate)
    want = (out.value if approximate else out).to(DTYPE)
    error_estimate = out.error.to(DTYPE).expand_as(want) if approximate else None
    tol = tolerance(want, error_estimate)
    too_coarse = (ERROR_SAFETY * error_estimate > MAX_RESOLUTION * want.abs() + ABSOLUTE_RESOLUTION
                  if approximate else torch.zeros_like(want, dtype=torch.bool))
    undecidable = ~torch.isfinite(want) | ~torch.isfinite(tol) | too_coarse
    if bool(undecidable.any()):
        first = int(torch.nonzero(undecidable)[0])
        at = ", ".join(f"{k}={fmt(float(v[first]), '.6g')}" for k, v in values.items())
        why = ("the reference value is not finite" if not bool(torch.isfinite(want[first]))
               else "the route's error estimate is infinite (its integrator warned or failed)"
               if not bool(torch.isfinite(tol[first]))
               else f"the route's error estimate ({fmt(float(error_estimate[first]), '.2g')}, × {fmt(ERROR_SAFETY, 'g')}) is above "
                    f"{fmt(MAX_RESOLUTION, 'g')} of the value ({fmt(float(want[first]), '.6g')})")
        raise RouteInconclusive(f"{int(undecidable.sum())} of {n_points} points undecidable: {why} at {at}")
    error = (got - want).abs()
    error = torch.where(torch.isfinite(error), error, torch.full_like(error, math.inf))
    worst = int(torch.argmax(error - tol))
    passed = bool((error <= tol).all())
    counterexample = None
    if not passed:
        counterexample = {"point": {k: float(v[worst]) for k, v in values.items()},
                          "candidate_value": float(got[worst]), "reference_value": float(want[worst])}
    if approximate:
        sizeable = want.abs() >= 1e-3 * float(want.abs().max())  # relative resolution means little near zero
        resolution = float((tol / want.abs())[sizeable].max()) if bool(sizeable.any()) else math.inf
        detail = (f"{n_points} random points, float64; tolerance from the route's error estimate ({out.how}) "
                  f"× {fmt(ERROR_SAFETY, 'g')}: detects relative errors above {fmt(resolution, '.1g')}")
    else:
        detail = f"{n_points} random points, float64, exact up to round-off (rtol {fmt(ROUNDOFF_RTOL, 'g')})"
    return NumericResult(passed, method, points=n_points, max_abs_diff=float(error.max()),
                         counterexample=counterexample, seconds=time.perf_counter() - start, detail=detail)


MONTE_CARLO_POINTS = 3  # parameter points per claim: false-fail rate 3e-6 per claim


def against_monte_carlo(candidate: sympy.Expr, claim, ctx: NumericContext,
                        sampler: Callable[[dict[str, torch.Tensor]], SampleFn], method: str,
                        n_params: int = MONTE_CARLO_POINTS, generator: torch.Generator | None = None,
                        compare: Callable[[float], float] | None = None) -> NumericResult:
    """Candidate vs Monte Carlo estimates at ``n_params`` random parameter points.

    ``sampler(params)`` returns ``sample_fn(n, generator)`` drawing n i.i.d. estimator values, or
    an :class:`~derivspec.numerics.montecarlo.Integrand` (the check then chooses the estimator,
    or sums a finite support exactly) (``params``: float64 0-d tensors on the device). The estimator's mean is compared with the
    candidate's value, or with ``compare`` of it. Each point is one check at the false-fail rate
    of :mod:`numerics.montecarlo`; the result shown is the first failing point, else the one
    with the largest |z|.
    """
    start = time.perf_counter()
    generator = generator if generator is not None else ctx.generator()
    expression = claim.expand_defined(candidate)
    outcomes = []
    for _ in range(n_params):
        params = {v.name: float(draw(v, 1, generator, ctx.device)[0]) for v in claim.variables}
        point = {v.symbol: sympy.Float(params[v.name], 30) for v in claim.variables}
        expected = complex(sympy.N(expression.subs(point), 30))
        value = expected.real if expected.imag == 0 else math.nan
        if compare is not None and math.isfinite(value):
            value = compare(value)
        tensors = {name: torch.tensor(x, dtype=DTYPE, device=ctx.device) for name, x in params.items()}
        outcomes.append((params, value, monte_carlo_check(sampler(tensors), value, generator)))
        if not outcomes[-1][2].passed:
            break
    params, value, result = next((o for o in outcomes if not o[2].passed),
                                 max(outcomes, key=lambda o: abs(o[2].z)))
    detail = (f"{len(outcomes)} parameter point(s); worst at {', '.join(f'{k}={v:.4g}' for k, v in params.items())}: "
              f"{result.method}, n={result.n}, estimate {fmt(result.estimate, '.6g')} ± {fmt(result.stderr, '.2g')}, claimed {fmt(value, '.6g')}, "
              f"z={fmt(result.z, '.2f')}")
    return NumericResult(all(o[2].passed for o in outcomes), method, monte_carlo=result, detail=detail,
                         seconds=time.perf_counter() - start)
