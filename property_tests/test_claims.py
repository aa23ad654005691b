"""Every registered claim: derivation proved line by line, wrong variants rejected by the
checker and by the numeric route, verified end to end, sources cite real formulas."""

import pytest

from derivspec import registry
from derivspec.checker import compare
from derivspec.verify import check_derivation, verify_claim
from numerics.checks import NumericContext
from numerics.device import resolve_device

CLAIMS = registry.all_claims()
IDS = [c.id for c in CLAIMS]


@pytest.mark.parametrize("claim", CLAIMS, ids=IDS)
def test_every_derivation_step_is_proved(claim):
    statuses = [s.status for s in check_derivation(claim)]
    assert statuses[0] in ("definition", "proved")
    assert all(s == "proved" for s in statuses[1:]), statuses
    assert claim.expand_defined(claim.target).free_symbols <= {v.symbol for v in claim.variables}


@pytest.mark.parametrize("claim", CLAIMS, ids=IDS)
def test_every_wrong_variant_is_rejected_by_checker_and_numeric_route(claim):
    assert claim.wrong_variants, "every claim ships a wrong variant"
    ctx = NumericContext(device=resolve_device("cpu"), seed=0)
    for variant in claim.wrong_variants:
        result = compare(claim, variant.expr)
        assert result.verdict == "not_equivalent", variant.name
        assert result.counterexample is not None
        assert not claim.numeric(variant.expr, claim, ctx).passed, variant.name


@pytest.mark.parametrize("claim", CLAIMS, ids=IDS)
def test_claim_is_verified(claim):
    report = verify_claim(claim, NumericContext(device=resolve_device("cpu"), seed=0))
    assert report.status == "verified", report.to_json()


@pytest.mark.gpu
@pytest.mark.parametrize("claim", CLAIMS, ids=IDS)
def test_claim_verifies_on_cuda(claim):
    report = verify_claim(claim, NumericContext(device=resolve_device("cuda"), seed=0))
    assert report.status == "verified", report.to_json()
