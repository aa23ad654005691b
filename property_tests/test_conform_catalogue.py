"""Every claim of the catalogue can be conformed to: ``conforms`` passes the claim's derived target
written as a plain function -- by name, and through a reparameterised ``args`` mapping (symbols
renamed and permuted, one through a log or a cube) -- and fails each registered wrong variant
written the same way, naming it.

The plain functions compute with mpmath at 30 digits (``sympy.lambdify(..., "mpmath")``) and
return a float: the formula is exact, so what is tested is the check itself (the mapping of
arguments, the rounding allowance at the inputs' rounding, the slip search), not the numerical
stability of a naive float form. The full sweep is ``slow``; a fixed sample runs in the default suite.
"""

from __future__ import annotations

import inspect

import mpmath
import pytest
import sympy

from derivspec.core import registry
from derivspec.testing import ConformanceInconclusive, NonConformance, conforms

SWEEP_EXAMPLES = 20  # inputs per check in the sweep (the smallest max_examples allowed)
SAMPLE = ("kl.gaussian.univariate", "ddpm.posterior.mean", "nll.bernoulli.logits", "ar.sampling.nucleus",
          "latent.em.m-step.variance", "ar.params.made")


def plain_function(claim, expr, names=None, transform=None):
    """``expr`` as a Python function of the claim's variables (named ``names[v]``, in that order);
    ``transform[v] = (forward, inverse)`` passes a variable through ``forward`` (the function undoes it)."""
    variables = list(claim.variables)
    names = names or {v.name: v.name for v in variables}
    transform = transform or {}
    compiled = sympy.lambdify([v.symbol for v in variables], claim.expand_defined(expr), modules="mpmath")
    order = sorted(variables, key=lambda v: names[v.name])

    def function(**kwargs):
        with mpmath.workdps(30):
            values = []
            for var in variables:
                value = mpmath.mpf(kwargs[names[var.name]]) if not isinstance(kwargs[names[var.name]], int) \
                    else kwargs[names[var.name]]
                if var.name in transform:
                    value = transform[var.name][1](value)
                values.append(value)
            result = compiled(*values)
            if isinstance(result, mpmath.mpc):
                result = result.real
            return float(result)

    function.__signature__ = inspect.Signature(
        [inspect.Parameter(names[v.name], inspect.Parameter.KEYWORD_ONLY) for v in order])
    function.__name__ = function.__qualname__ = f"plain_{claim.id.replace('.', '_').replace('-', '_')}"
    return function


def reparameterised(claim):
    """Renamed (p0, p1, ... in reverse order) and one variable through a log (a positive one) or a
    cube (a real one); the args mapping that says so."""
    variables = list(claim.variables)
    names = {v.name: f"p{len(variables) - 1 - i}" for i, v in enumerate(variables)}
    args = {names[v.name]: v.name for v in variables}
    transform = {}
    continuous = [v for v in variables if v.domain.values is None and not v.domain.integer]
    positive = [v for v in continuous if v.domain.lower is not None and v.domain.lower >= 0]
    if positive:
        var = positive[0]
        args[names[var.name]] = f"log({var.name})"
        transform[var.name] = ("log", mpmath.exp)
    elif continuous:
        var = continuous[0]
        args[names[var.name]] = f"{var.name}**3"
        transform[var.name] = ("cube", lambda v: mpmath.sign(v) * mpmath.cbrt(abs(v)))  # the real cube root
    return names, args, transform


def _same_expression(claim, a, b) -> bool:
    difference = sympy.simplify(claim.expand_defined(a) - claim.expand_defined(b))
    return difference == 0


def sweep(claim_id: str) -> dict:
    """The outcome for one claim: passes (plain and reparameterised), and each wrong variant's slip."""
    claim = registry.get(claim_id)
    outcome = {"claim": claim_id}
    try:
        report = conforms(claim_id, plain_function(claim, claim.target), max_examples=SWEEP_EXAMPLES)
        names, args, transform = reparameterised(claim)
        again = conforms(claim_id, plain_function(claim, claim.target, names, transform), args=args,
                         max_examples=SWEEP_EXAMPLES, seed=1)
    except ConformanceInconclusive as error:
        outcome["not_conformable"] = str(error)
        return outcome
    except NonConformance as failure:  # a defect of the check: the right formula must conform
        outcome["right_failed"] = str(failure)
        return outcome
    outcome["examples"] = (report.examples, again.examples)
    slips = {}
    for variant in claim.wrong_variants:
        try:
            conforms(claim_id, plain_function(claim, variant.expr), max_examples=SWEEP_EXAMPLES)
            slips[variant.name] = "passed"
        except NonConformance as failure:
            if failure.slip == variant.name:
                slips[variant.name] = "named"
            elif failure.slip is not None and _same_expression(
                    claim, variant.expr, next(w.expr for w in claim.wrong_variants if w.name == failure.slip)):
                slips[variant.name] = "named (an equal variant)"
            else:
                slips[variant.name] = f"failed, slip {failure.slip!r} ({failure.kind})"
    outcome["slips"] = slips
    return outcome


def _check(outcome: dict) -> None:
    assert "not_conformable" not in outcome and "right_failed" not in outcome, outcome
    assert all(n >= 10 for n in outcome["examples"]), outcome
    bad = {k: v for k, v in outcome["slips"].items() if not v.startswith("named")}
    assert not bad, f"{outcome['claim']}: wrong variants not rejected with their name: {bad}"


@pytest.mark.parametrize("claim_id", SAMPLE)
def test_a_sample_of_claims_conforms_and_names_every_slip(claim_id):
    _check(sweep(claim_id))


@pytest.mark.parametrize("claim_id", [pytest.param(c, marks=pytest.mark.slow) for c in registry.REGISTRY.ids()
                                      if c not in SAMPLE])  # the sample runs in the default tier (above)
def test_every_claim_can_be_conformed_to(claim_id):
    """The full sweep, one claim a case (so that CI's slow shards share it): the claim conforms (plain
    and reparameterised) and every wrong variant fails with its name."""
    _check(sweep(claim_id))
