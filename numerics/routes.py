"""Numeric evidence registered by claim id (as ``torch.distributions`` registers KL pairs).

A route is a function whose parameters are the claim's variables, registered with one of::

    @reference("nll.gaussian")                 # the quantity itself, at random points
    def normal_log_prob(y, mu, sigma):
        \"\"\"torch Normal.log_prob\"\"\"
        return -Normal(mu, sigma).log_prob(y)

    @monte_carlo("kl.gaussian.standard")       # an estimator of the quantity
    def log_ratio_under_p(mu, sigma):
        \"\"\"mean of log p(x) - log q(x) over x ~ p\"\"\"
        ...
        return Integrand(f, dim=1)               # f(u): the estimator at uniforms u (n, dim); or
                                                 # draw(n, generator) -> n i.i.d. estimator values

    @model("nll.grad.logistic", candidate_args=("y", "theta", "x"))
    def logistic_trained_with(candidate, generator, device):
        \"\"\"logistic regression trained by GD with the candidate gradient vs LBFGS on BCE\"\"\"
        ...                                      # returns a NumericResult

    @behaviour("kl.forward-reverse",           # a behaviour source's executable check
               broken={"the reverse KL minimised": dict(fit=reverse_fit)})  # how it must fail
    def forward_kl_covers(delta, *, fit=forward_fit):                      # keyword-only: seams
        \"\"\"...\"\"\"
        return holds, evidence

The first docstring line is the route's description wherever it is shown. A route may also
ask for ``generator`` (its own ``torch.Generator``, seeded from the run's seed, the claim id and
the route name, so results do not depend on the order claims run in) and ``device``.
:func:`load` (:mod:`numerics.loading`) imports every module of this package and validates the routes
against the claims: a parameter that is not a variable of the claim is an error naming both.
"""

from __future__ import annotations

import inspect
import time
import zlib
from typing import Callable

import sympy
import torch

from derivspec.core.claims import Claim, Source
from derivspec.core.errors import RegistryError
from derivspec.core.registry import REGISTRY, Registry, RouteRecord
from derivspec.numerics.checks import (MONTE_CARLO_POINTS, REFERENCE_POINTS, NumericContext, NumericResult,
                                       against_monte_carlo, against_reference, torch_function)
from derivspec.numerics.loading import fully_loaded, load, load_for  # noqa: F401 (where callers have found them)
from derivspec.reference_models.device import auto_device

SPECIAL = ("generator", "device")


def route_generator(ctx: NumericContext, claim_id: str, route_name: str) -> torch.Generator:
    """A generator per (run seed, claim, route): the same draws whatever else runs."""
    return ctx.generator(salt=zlib.crc32(f"{claim_id}/{route_name}".encode()))


def _description(function: Callable) -> str:
    doc = inspect.getdoc(function)
    if not doc:
        raise RegistryError(f"route {function.__qualname__} has no docstring: its first line describes the route")
    return doc.splitlines()[0].strip()


def _parameters(function: Callable, *, skip: tuple[str, ...] = ()) -> tuple[str, ...]:
    """The parameters a route is called with (keyword-only ones are a behaviour check's seams)."""
    return tuple(name for name, p in inspect.signature(function).parameters.items()
                 if name not in SPECIAL + skip and p.kind is not p.KEYWORD_ONLY)


def _specials(function: Callable, generator: torch.Generator, device: torch.device) -> dict:
    wanted = inspect.signature(function).parameters
    return {k: v for k, v in (("generator", generator), ("device", device)) if k in wanted}


def reference(*claim_ids: str, points: int = REFERENCE_POINTS, registry: Registry = REGISTRY):
    """Register ``function(**variables) -> tensor | Approximate``: the candidate must agree with it
    at ``points`` random points of the variables' domains, within float64 round-off for a tensor
    (an exact route) or within the route's own error estimate for an
    :class:`~derivspec.numerics.accuracy.Approximate` (quadrature, limits, step sizes, optimisers):
    no route picks its own tolerance (:mod:`numerics.accuracy`)."""

    def register(function):
        description = _description(function)

        def run(candidate: sympy.Expr, claim: Claim, ctx: NumericContext) -> NumericResult:
            generator = route_generator(ctx, claim.id, function.__name__)
            extra = _specials(function, generator, ctx.device)
            return against_reference(candidate, claim, ctx, lambda **values: function(**values, **extra),
                                     method=description, n_points=points, generator=generator)

        registry.add_route(RouteRecord(function.__name__, "reference", claim_ids, _parameters(function),
                                       description, run, function.__module__))
        return function

    return register


MONTE_CARLO_ROUTES: dict[tuple[str, str], tuple[Callable, int, Callable[[float], float] | None]] = {}
"""(claim id, route name) -> (function, points, compare) of every ``@monte_carlo`` route, for the
benchmarks that run a route's estimator under different policies (benchmarks/bench_montecarlo.py)."""


def monte_carlo(*claim_ids: str, points: int = MONTE_CARLO_POINTS, compare: Callable[[float], float] | None = None,
                registry: Registry = REGISTRY):
    """Register ``function(**variables) -> estimator``: ``draw(n, generator)`` returning n i.i.d.
    draws of an estimator, or a :class:`~derivspec.numerics.montecarlo.Integrand` (the estimator
    as a function of uniforms: the check then chooses plain, antithetic, RQMC or control-variate
    sampling, or sums a finite support exactly); the variables arrive as float64 0-d tensors on
    the device. Its mean is compared with the candidate's value (through ``compare``, e.g.
    ``math.exp`` when the estimator targets exp of the claimed quantity) at ``points`` random
    parameter points."""

    def register(function):
        description = _description(function)
        for claim_id in claim_ids:
            MONTE_CARLO_ROUTES[(claim_id, function.__name__)] = (function, points, compare)

        def run(candidate: sympy.Expr, claim: Claim, ctx: NumericContext) -> NumericResult:
            generator = route_generator(ctx, claim.id, function.__name__)
            extra = _specials(function, generator, ctx.device)
            return against_monte_carlo(candidate, claim, ctx, lambda params: function(**params, **extra),
                                       method=description, n_params=points, generator=generator, compare=compare)

        registry.add_route(RouteRecord(function.__name__, "monte_carlo", claim_ids, _parameters(function),
                                       description, run, function.__module__))
        return function

    return register


def model(*claim_ids: str, candidate_args: tuple[str, ...], registry: Registry = REGISTRY):
    """Register ``function(candidate, [generator], [device]) -> NumericResult``: a reference
    model driven by the candidate, a torch function called with the keywords
    ``candidate_args`` (which must be the claim's variables)."""

    def register(function):
        description = _description(function)
        if _parameters(function) != ("candidate",):
            raise RegistryError(f"model route {function.__qualname__} must take (candidate, [generator], [device])")

        def run(candidate: sympy.Expr, claim: Claim, ctx: NumericContext) -> NumericResult:
            generator = route_generator(ctx, claim.id, function.__name__)
            as_torch = torch_function(claim.expand_defined(candidate), claim.variables)
            start = time.perf_counter()
            result = function(as_torch, **_specials(function, generator, ctx.device))
            result.method = result.method or description
            result.seconds = result.seconds or time.perf_counter() - start
            return result

        registry.add_route(RouteRecord(function.__name__, "model", claim_ids, tuple(candidate_args),
                                       description, run, function.__module__))
        return function

    return register


def behaviour(*claim_ids: str, broken: dict[str, dict], registry: Registry = REGISTRY):
    """Register ``function(**source.at, **seams) -> (holds, evidence)``, the executable check of the
    behaviour sources that name it (``Source(behaviour=function name, at={...})``).

    The check's keyword-only parameters are its seams: the rule, map, distribution or model under
    test, whose defaults are the lecture's. ``broken`` maps a description of a wrong one to the
    keyword values that put it in; the check must then report ``holds = False``
    (property_tests/test_checks_can_fail.py runs every one), so no check passes whatever it is fed."""

    def register(function):
        seams = _seams(function)
        if not broken:
            raise RegistryError(f"behaviour check {function.__qualname__} declares no broken variant: nothing shows it can fail")
        for description, overrides in broken.items():
            unknown = set(overrides) - set(seams)
            if unknown or not overrides:
                raise RegistryError(f"behaviour check {function.__qualname__}: broken variant {description!r} sets "
                                    f"{sorted(unknown) or 'nothing'}, not among its keyword-only seams {sorted(seams)}")

        def run(claim: Claim, source: Source, **overrides) -> tuple[bool, str]:
            with auto_device(torch.device("cpu")):
                holds, evidence = function(**source.at, **overrides)
            return bool(holds), evidence

        registry.add_route(RouteRecord(function.__name__, "behaviour", claim_ids, _parameters(function),
                                       _description(function), run, function.__module__,
                                       broken=tuple(broken.items())))
        return function

    return register


def _seams(function: Callable) -> tuple[str, ...]:
    return tuple(name for name, p in inspect.signature(function).parameters.items() if p.kind is p.KEYWORD_ONLY)


def run_behaviour(claim: Claim, source: Source, registry: Registry = REGISTRY) -> tuple[bool, str]:
    """The ``run_behaviour`` that :func:`derivspec.core.sources.compare_source` takes."""
    return registry.behaviour(claim.id, source.behaviour).run(claim, source)
