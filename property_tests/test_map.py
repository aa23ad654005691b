"""Priors → regularisers (derivations/map.py): the issue's check examples, MAP optimiser =
closed form for random data and priors, a wrong λ gives a measurably different solution."""

import math

import pytest
import sympy
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from derivspec.core import registry
from derivspec.core.checker import compare, read_candidate
from derivspec.verify import compare_source
from derivspec.reference_models.device import make_generator
from derivspec.reference_models.regression import make_regression_data
from derivspec.reference_models.regularised import (lasso_by_coordinate_descent, map_gaussian_prior, map_laplace_prior,
                                          ridge_closed_form)


def lam_of(claim_id, **values):
    claim = registry.get(claim_id)
    return float(claim.target.subs({claim.symbols[k]: v for k, v in values.items()}))


def test_issue_check_examples():
    claim = registry.get("map.gaussian-prior.l2")
    assert compare(claim, read_candidate(claim, formula="sigma**2/tau**2")).verdict == "equivalent"
    for wrong in ("1/(2*tau**2)", "tau**2/sigma**2"):
        result = compare(claim, read_candidate(claim, formula=wrong))
        assert result.verdict == "not_equivalent" and result.counterexample is not None


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 10_000), sigma=st.floats(0.3, 3), tau=st.floats(0.3, 3))
def test_gaussian_map_is_ridge_with_the_derived_lambda(seed, sigma, tau):
    X, y, _ = make_regression_data(30, 4, 0.5, make_generator(seed, torch.device("cpu")), torch.device("cpu"))
    by_map = map_gaussian_prior(X, y, sigma, tau)
    lam = lam_of("map.gaussian-prior.l2", sigma=sigma, tau=tau)
    assert torch.allclose(by_map, ridge_closed_form(X, y, lam), rtol=1e-8, atol=1e-10)
    # a factor-2 slip (the Laplace prior's 2σ²) moves the solution measurably
    wrong = ridge_closed_form(X, y, 2 * lam)
    assert float((wrong - by_map).abs().max()) > 1e-4 * float(by_map.abs().max())


@settings(max_examples=10, deadline=None)
@given(seed=st.integers(0, 10_000), sigma=st.floats(0.5, 2), b=st.floats(0.05, 0.5))
def test_laplace_map_is_lasso_with_the_derived_lambda(seed, sigma, b):
    X, y, _ = make_regression_data(30, 4, 0.5, make_generator(seed, torch.device("cpu")), torch.device("cpu"))
    by_map = map_laplace_prior(X, y, sigma, b)
    lam = lam_of("map.laplace-prior.l1", sigma=sigma, b=b)
    lasso = lasso_by_coordinate_descent(X, y, lam)
    assert torch.allclose(by_map, lasso, rtol=1e-8, atol=1e-9)
    assert torch.equal(by_map == 0, lasso == 0)
    wrong = lasso_by_coordinate_descent(X, y, lam / 2)  # the factor 2 dropped: λ = σ²/b
    assert float((wrong - by_map).abs().max()) > 1e-4 * max(float(by_map.abs().max()), 1e-3)


def test_conventions_coincide_only_when_two_sigma_squared_is_one():
    # why a convention slip can hide: 1/(2τ²) (NLL) equals σ²/τ² (SSE) exactly when 2σ² = 1
    assert lam_of("map.gaussian-prior.l2", sigma=math.sqrt(0.5), tau=1.3) == pytest.approx(
        lam_of("map.gaussian-prior.l2.nll", sigma=math.sqrt(0.5), tau=1.3))


def test_mean_convention_lambda_scales_with_n():
    claim = registry.get("map.gaussian-prior.l2.mean")
    sigma, tau, n = (claim.symbols[k] for k in ("sigma", "tau", "N"))
    assert sympy.simplify(claim.target * n - registry.get("map.gaussian-prior.l2").target) == 0


def test_weight_decay_matches_torch_sgd_weight_decay():
    eta, lam = 0.05, 0.3
    factor = lam_of("map.weight-decay", eta=eta, lam=lam)
    weights = torch.tensor([1.0], dtype=torch.float64, requires_grad=True)
    optimiser = torch.optim.SGD([weights], lr=eta, weight_decay=2 * lam)
    (0 * weights.sum()).backward()
    optimiser.step()
    assert float(weights.detach()) == pytest.approx(factor, rel=1e-12)


def test_coin_examples():
    # independent arithmetic: Beta(2, 2) prior, 6 heads and 4 tails -> mode 7/12; 16H/14T -> 17/32
    assert lam_of("map.beta-bernoulli", h=6, t=4, alpha=2, beta=2) == pytest.approx(7 / 12)
    assert lam_of("map.beta-bernoulli", h=16, t=14, alpha=2, beta=2) == pytest.approx(17 / 32)
    claim = registry.get("map.beta-bernoulli")
    statuses = {(s.lines, s.value): compare_source(claim, s).status for s in claim.sources}
    assert statuses[("1088", 0.529)] == "disagrees" and statuses[("1088", 0.583)] == "matches"
    assert statuses[("1712–1714", 0.8)] == "matches"


def test_lasso_geometry_statement_is_flagged_and_sparsity_statement_holds():
    claim = registry.get("map.lasso.soft-threshold")
    statuses = {s.lines: compare_source(claim, s).status for s in claim.sources}
    assert statuses == {"129–130": "matches", "1685–1688": "disagrees"}


def test_nll_convention_sources_match():
    for claim_id in ("map.gaussian-prior.l2.nll", "map.laplace-prior.l1.nll"):
        claim = registry.get(claim_id)
        assert all(compare_source(claim, s).status in ("matches", "not_comparable") for s in claim.sources)
    assert math.isclose(lam_of("map.gaussian-prior.l2.nll", tau=math.sqrt(50), sigma=1), 0.01)
