"""A reference route's own error estimate against the claim's target (tests of numerics/*.py).

``assert_error_covers_target`` calls a route at random points of its claim's domain, as
``against_reference`` would, and asserts that the target lies within the route's tolerance
(``ERROR_SAFETY`` × its error estimate, plus round-off) and that the estimate resolves every
point (the check never becomes inconclusive there)."""

import inspect

import torch

from derivspec.core import registry
from derivspec.numerics.accuracy import ABSOLUTE_RESOLUTION, ERROR_SAFETY, MAX_RESOLUTION, Approximate, tolerance
from derivspec.numerics.checks import draw, torch_function
from derivspec.reference_models.device import make_generator

CPU = torch.device("cpu")


def assert_error_covers_target(route, claim_id: str, points: int, seed: int = 11) -> Approximate:
    claim = registry.get(claim_id)
    generator = make_generator(seed, CPU)
    values = {v.name: draw(v, points, generator, CPU) for v in claim.variables}
    parameters = inspect.signature(route).parameters
    extra = {k: v for k, v in (("generator", generator), ("device", CPU)) if k in parameters}
    out = route(**{k: values[k] for k in parameters if k in values}, **extra)
    assert isinstance(out, Approximate), f"{route.__name__} returns no error estimate"
    target = torch_function(claim.expand_defined(claim.target), claim.variables)(**values)
    error = out.error.expand_as(out.value)
    outside = (out.value - target).abs() > tolerance(out.value, error)
    assert not bool(outside.any()), f"{route.__name__}: target outside the tolerance at {int(outside.sum())} points"
    coarse = ERROR_SAFETY * error > MAX_RESOLUTION * out.value.abs() + ABSOLUTE_RESOLUTION
    assert not bool(coarse.any()), f"{route.__name__}: error estimate too coarse to decide at {int(coarse.sum())} points"
    return out
