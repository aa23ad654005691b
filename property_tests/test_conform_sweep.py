"""The mutation sweep of issue 87: every claim's registered wrong variants, written as code writes them --
vectorised NumPy and torch, in float64 and in float32 -- are rejected by ``conforms``; and the batch slips
(a sum over the batch axis, a normalisation across it, a mean over it) are rejected for every loss claim.

The implementations are SymPy's ``lambdify`` of the claim's expressions (an independent printer, not the
kit's own float evaluator), handed the kit's inputs cast to the type. The whole sweep is ``slow`` (CI's
rotating shards run it); a fixed sample runs in the default tier.
"""

from __future__ import annotations

import inspect

import numpy as np
import pytest
import sympy

from derivspec.core import registry
from derivspec.testing import ConformanceInconclusive, NonConformance, conforms
from derivspec.testing.errors import ConformanceUsageError

torch = pytest.importorskip("torch")

EXAMPLES = 20
BACKENDS = ("numpy-float64", "numpy-float32", "torch-float64", "torch-float32")
SAMPLE = ("kl.gaussian.univariate", "ddpm.posterior.variance", "nll.bernoulli.logits")
LOSS_SAMPLE = ("nll.gaussian", "kl.gaussian.standard")


def vectorised(claim, expr, backend: str):
    """``expr`` as code: a function of the claim's variables by name, computing in ``backend``'s type."""
    library, dtype = backend.split("-")
    variables = list(claim.variables)
    compiled = sympy.lambdify([v.symbol for v in variables], claim.expand_defined(expr),
                              modules="torch" if library == "torch" else ["scipy", "numpy"])
    whole = {v.name for v in variables if v.domain.integer or v.domain.values is not None}

    def cast(name, value):
        if library == "torch":
            return torch.as_tensor(value, dtype=torch.int64 if name in whole and float(np.max(np.abs(value))) > 1
                                   else getattr(torch, dtype))
        return np.asarray(value, dtype=np.int64 if name in whole and np.max(np.abs(value)) > 1 else dtype)

    def function(**kwargs):
        result = compiled(*(cast(v.name, kwargs[v.name]) for v in variables))
        if library == "torch":
            return torch.as_tensor(result).to(getattr(torch, dtype)) * torch.ones_like(cast(variables[0].name, kwargs[variables[0].name]), dtype=getattr(torch, dtype))
        return np.asarray(result, dtype=dtype) * np.ones_like(cast(variables[0].name, kwargs[variables[0].name]), dtype=dtype)

    function.__signature__ = inspect.Signature([inspect.Parameter(v.name, inspect.Parameter.KEYWORD_ONLY)
                                                for v in variables])
    function.__name__ = function.__qualname__ = f"{claim.id.replace('.', '_').replace('-', '_')}_{library}_{dtype}"
    return function


def _rejected(claim_id: str, fn) -> str | None:
    """None when the function is rejected; else what the kit said."""
    try:
        report = conforms(claim_id, fn, max_examples=EXAMPLES)
    except NonConformance:
        return None
    except (ConformanceInconclusive, ConformanceUsageError) as error:
        return f"not decided: {error}"
    return f"accepted: {report}"


def wrong_variants_accepted(claim_id: str) -> dict:
    claim = registry.get(claim_id)
    passed = {}
    for variant in claim.wrong_variants:
        for backend in BACKENDS:
            outcome = _rejected(claim_id, vectorised(claim, variant.expr, backend))
            if outcome is not None and not outcome.startswith("not decided"):
                passed[f"{variant.name} [{backend}]"] = outcome.splitlines()[0]
    return passed


@pytest.mark.parametrize("claim_id", SAMPLE)
def test_a_sample_of_wrong_variants_in_every_backend_is_rejected(claim_id):
    assert wrong_variants_accepted(claim_id) == {}


@pytest.mark.slow
@pytest.mark.parametrize("claim_id", [c for c in registry.REGISTRY.ids() if c not in SAMPLE])
def test_every_wrong_variant_in_every_backend_is_rejected(claim_id):
    assert wrong_variants_accepted(claim_id) == {}


# --- the batch slips of a loss --------------------------------------------------------------------------------

def _loss_claims() -> list[str]:
    return [c for c in registry.REGISTRY.ids() if c.startswith(("nll.", "kl.", "vae.loss."))]


def batch_slips(claim, backend: str = "numpy-float64") -> dict:
    """The right loss written per input, then spoiled across the batch as code spoils it."""
    right = vectorised(claim, claim.target, backend)

    def summed(**kwargs):
        return right(**kwargs).sum(0)

    def averaged(**kwargs):
        return right(**kwargs).mean(0)

    def normalised(**kwargs):
        values = right(**kwargs)
        return values - np.log(np.sum(np.exp(values - values.max(0)), 0)) - values.max(0)

    for f in (summed, averaged, normalised):
        f.__signature__ = inspect.signature(right)
    return {"sum over the batch axis": summed, "mean over the batch axis": averaged,
            "normalised across the batch": normalised}


def batch_slips_accepted(claim_id: str) -> dict:
    claim = registry.get(claim_id)
    accepted = {}
    for name, fn in batch_slips(claim).items():
        outcome = _rejected(claim_id, fn)
        if outcome is not None and not outcome.startswith("not decided"):
            accepted[name] = outcome.splitlines()[0]
    return accepted


@pytest.mark.parametrize("claim_id", LOSS_SAMPLE)
def test_a_sample_of_losses_rejects_the_batch_slips(claim_id):
    assert batch_slips_accepted(claim_id) == {}


@pytest.mark.slow
@pytest.mark.parametrize("claim_id", [c for c in _loss_claims() if c not in LOSS_SAMPLE])
def test_every_loss_rejects_the_batch_slips(claim_id):
    assert batch_slips_accepted(claim_id) == {}
