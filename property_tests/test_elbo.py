"""ELBO family (derivations/elbo.py): the issue's check examples, Monte Carlo agreement at a
1e-6 false-fail rate, the bound and its gap, and the seed statements found wrong."""

import math

import pytest
import sympy
import torch
from hypothesis import given
from hypothesis import strategies as st
from torch.distributions import Normal, kl_divergence

from derivspec.core import registry
from derivspec.core.checker import compare, read_candidate
from derivspec.verify import compare_source
from derivspec.numerics.checks import NumericContext
from derivspec.reference_models.device import resolve_device

ELBO_FORMS = (
    "-log(2*pi*s**2)/2 - ((x - w*m)**2 + w**2*v)/(2*s**2) - log(2*pi)/2 - (m**2 + v)/2 + log(2*pi*v)/2 + 1/2",
    "-log(2*pi*s**2)/2 - ((x - w*m)**2 + w**2*v)/(2*s**2) - (m**2 + v - 1 - log(v))/2",
)


def test_issue_check_examples():
    claim = registry.get("elbo.linear-gaussian")
    for form in ELBO_FORMS:  # two algebraically different correct forms (the second: recon - KL)
        assert compare(claim, read_candidate(claim, formula=form)).verdict == "equivalent"
    forgot_w2v = "-log(2*pi*s**2)/2 - (x - w*m)**2/(2*s**2) - (m**2 + v - 1 - log(v))/2"
    kl_sign_flipped = "-log(2*pi*s**2)/2 - ((x - w*m)**2 + w**2*v)/(2*s**2) + (m**2 + v - 1 - log(v))/2"
    for wrong in (forgot_w2v, kl_sign_flipped):
        result = compare(claim, read_candidate(claim, formula=wrong))
        assert result.verdict == "not_equivalent" and result.counterexample is not None


def t(x):
    return torch.tensor(x, dtype=torch.float64)


def exact(claim_id, **point):
    claim = registry.get(claim_id)
    return float(sympy.N(claim.target.subs({claim.symbols[k]: sympy.Float(v, 30) for k, v in point.items()}), 30))


point = st.fixed_dictionaries({"x": st.floats(-3, 3), "w": st.floats(-2, 2), "s": st.floats(0.3, 2),
                               "m": st.floats(-3, 3), "v": st.floats(0.05, 2)})


@given(point)
def test_bound_and_gap(p):
    evidence = float(Normal(t(0.0), t(math.sqrt(p["w"] ** 2 + p["s"] ** 2))).log_prob(t(p["x"])))
    elbo = exact("elbo.linear-gaussian", **p)
    posterior = Normal(t(p["w"] * p["x"] / (p["w"] ** 2 + p["s"] ** 2)),
                       t(math.sqrt(p["s"] ** 2 / (p["w"] ** 2 + p["s"] ** 2))))
    gap = float(kl_divergence(Normal(t(p["m"]), t(math.sqrt(p["v"]))), posterior))
    assert elbo <= evidence + 1e-12
    assert evidence - elbo == pytest.approx(gap, rel=1e-9, abs=1e-12)


def test_monte_carlo_elbo_agrees_at_the_stated_false_fail_rate():
    claim = registry.get("elbo.linear-gaussian")
    result = claim.numeric(claim.target, claim, NumericContext(device=resolve_device("cpu"), seed=0))
    mc = result.monte_carlo
    assert result.passed and mc.false_fail_rate == 1e-6 and mc.min_detectable_rel_error < 0.0105


def test_seed_errata():
    def statuses(claim_id):
        claim = registry.get(claim_id)
        return {(s.file[:3], s.lines): compare_source(claim, s).status for s in claim.sources}

    assert statuses("elbo.linear-gaussian")[("003", "167")] == "disagrees"
    assert statuses("elbo.linear-gaussian")[("003", "860")] == "disagrees"
    assert statuses("elbo.recon-kl")[("003", "1739")] == "disagrees"
    assert statuses("elbo.decoder-gradient")[("002", "284–288")] == "disagrees"
    assert all(v == "matches" for v in statuses("elbo.gap").values())
