"""Every check can reject: each behaviour check under each of its broken variants, each numeric
route against a perturbed candidate.

A behaviour check registers keyword-only seams (the rule, map, distribution or model under test)
and broken variants that set them (``@behaviour(..., broken={...})``, numerics/routes.py); here
every broken variant runs at every source that uses the check, and at least one must reverse its
verdict, with evidence that differs from the lecture's run (the statistic moved): where the
lecture's statement holds, a broken variant must make the check report that it does not; where
the check finds the statement wrong (an erratum), a variant under which the statement would hold
(e.g. a map that cannot add a mode) must make the check report that it does -- a check that always
says "wrong" is a false alarm waiting to happen. A route must fail a
candidate that is off by 10 % and 0.1 (so that a zero target moves too) wherever the claim's
right target passes it. The default tier runs a deterministic quarter of both sweeps
(tiers.sampled); `-m slow` runs the rest.
"""

from __future__ import annotations

import pytest
import sympy

from derivspec.core.registry import REGISTRY
from derivspec.numerics.checks import NumericContext
from derivspec.numerics.routes import load
from derivspec.reference_models.device import resolve_device
from tiers import sampled

load(REGISTRY)
CTX = NumericContext(seed=0, device=resolve_device("cpu"))


def _behaviour_cases():
    for claim_id in REGISTRY.ids():
        claim = REGISTRY.get(claim_id)
        for index, source in enumerate(claim.sources):
            if source.behaviour:
                yield pytest.param(claim_id, index, id=f"{claim_id}:{source.lines}:{source.behaviour}")


def _behaviour_records():
    return sorted({(r.module, r.name) for r in REGISTRY.routes if r.kind == "behaviour"})


@pytest.mark.parametrize("module, name", _behaviour_records())
def test_every_behaviour_check_declares_a_broken_variant(module, name):
    record = next(r for r in REGISTRY.routes if r.kind == "behaviour" and r.name == name and r.module == module)
    assert record.broken, f"{module}.{name} declares no broken variant: nothing shows that it can fail"


@pytest.mark.parametrize("claim_id, index", sampled(_behaviour_cases(), every=4))
def test_a_behaviour_check_rejects_its_broken_variants(claim_id, index):
    """At this source at least one broken variant reverses the verdict, with evidence that moved."""
    claim = REGISTRY.get(claim_id)
    source = claim.sources[index]
    record = REGISTRY.behaviour(claim_id, source.behaviour)
    holds, evidence = record.run(claim, source)
    outcomes = {description: record.run(claim, source, **overrides) for description, overrides in record.broken}
    reversed_by = [d for d, (broken_holds, broken_evidence) in outcomes.items()
                   if broken_holds != holds and broken_evidence != evidence]
    assert reversed_by, (f"{record.name} gives the lecture's verdict ({holds}) under every broken variant: "
                         + "; ".join(f"{d}: {e}" for d, (_, e) in outcomes.items()))


PERTURBED = "11/10 × target + 1/10"


def _route_cases():
    for claim_id in REGISTRY.ids():
        for record in REGISTRY.routes_for(claim_id):
            if record.kind != "behaviour":
                yield pytest.param(claim_id, record.name, id=f"{claim_id}:{record.name}")


def _moved(right, perturbed) -> bool:
    """The statistic the check compares grew: the Monte Carlo |z|, the largest |candidate − route|,
    or (a model route, whose statistics are in its detail: χ², MMD², …) the detail changed."""
    if right.monte_carlo is not None:
        return abs(perturbed.monte_carlo.z) > abs(right.monte_carlo.z)
    if right.max_abs_diff is not None:
        return perturbed.max_abs_diff > right.max_abs_diff
    return perturbed.detail != right.detail


@pytest.mark.parametrize("claim_id, route_name", sampled(_route_cases(), every=4))
def test_a_route_fails_a_perturbed_candidate(claim_id, route_name):
    claim = REGISTRY.get(claim_id)
    record = next(r for r in REGISTRY.routes_for(claim_id) if r.name == route_name)
    right = record.run(claim.target, claim, CTX)
    assert right.passed, f"{route_name} does not pass the claim's own target: {right.detail}"
    perturbed = record.run(sympy.Rational(11, 10) * claim.target + sympy.Rational(1, 10), claim, CTX)
    assert not perturbed.passed, f"{route_name} passed the candidate {PERTURBED}: {perturbed.detail}"
    assert _moved(right, perturbed), "the statistic did not move"
