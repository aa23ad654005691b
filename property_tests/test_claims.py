"""Every registered claim: derivation proved line by line, wrong variants rejected by the
checker and by a numeric route, verified end to end."""

import pytest

from derivspec.core import registry
from derivspec.core.checker import compare
from derivspec.core.derivation import check_derivation
from derivspec.numerics.checks import NumericContext
from derivspec.numerics.routes import load
from derivspec.reference_models.device import resolve_device
from derivspec.verify import check_variant, verify_claim

CLAIMS = registry.all_claims()
IDS = [c.id for c in CLAIMS]


@pytest.mark.parametrize("claim", CLAIMS, ids=IDS)
def test_every_derivation_step_is_proved_or_computed(claim):
    statuses = [s.status for s in check_derivation(claim)]
    assert statuses[0] in ("definition", "proved", "computed")
    assert all(s in ("proved", "computed") for s in statuses[1:]), statuses
    assert claim.expand_defined(claim.target).free_symbols <= {v.symbol for v in claim.variables}


@pytest.mark.parametrize("claim", CLAIMS, ids=IDS)
def test_every_wrong_variant_is_rejected_by_checker_and_numeric_route(claim):
    assert claim.wrong_variants, "every claim ships a wrong variant"
    ctx = NumericContext(device=resolve_device("cpu"), seed=0)
    routes = load().routes_for(claim.id)
    for variant in claim.wrong_variants:
        result = compare(claim, variant.expr)
        assert result.verdict == "not_equivalent", variant.name
        assert result.counterexample is not None
        outcome = check_variant(claim, variant, routes, ctx)
        assert outcome.numeric_rejected and not outcome.error, (variant.name, outcome.to_json())


@pytest.mark.parametrize("claim_id", IDS)
def test_claim_is_verified(claim_id):
    report = verify_claim(claim_id, NumericContext(device=resolve_device("cpu"), seed=0))
    assert report.status == "verified", report.to_json()


@pytest.mark.gpu
@pytest.mark.parametrize("claim_id", IDS)
def test_claim_verifies_on_cuda(claim_id):
    report = verify_claim(claim_id, NumericContext(device=resolve_device("cuda"), seed=0))
    assert report.status == "verified", report.to_json()
