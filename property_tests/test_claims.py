"""Every registered claim, end to end: each derivation step proved (or computed), the target
through every numeric route, each wrong variant rejected by the checker and by a route, each
source compared -- `verified` means all of that held (derivspec/app/verify.py). The default tier
verifies a deterministic quarter of the catalogue (tiers.sampled); `-m slow` the rest."""

import pytest

from derivspec.core import registry
from tiers import sampled
from derivspec.numerics.checks import NumericContext
from derivspec.reference_models.device import resolve_device
from derivspec.app.verify import verify_claim

IDS = [c.id for c in registry.all_claims()]


@pytest.mark.parametrize("claim_id", sampled(IDS, every=4))  # every claim under `slow`
def test_claim_is_verified(claim_id):
    report = verify_claim(claim_id, NumericContext(device=resolve_device("cpu"), seed=0))
    assert report.status == "verified", report.reason
    assert report.claim.wrong_variants, "every claim ships a wrong variant"
    assert all(v.rejected and v.counterexample for v in report.variants)
    assert all(s.status in ("definition", "proved", "computed") for s in report.steps)


@pytest.mark.gpu
@pytest.mark.parametrize("claim_id", IDS)
def test_claim_verifies_on_cuda(claim_id):
    report = verify_claim(claim_id, NumericContext(device=resolve_device("cuda"), seed=0))
    assert report.status == "verified", report.reason
