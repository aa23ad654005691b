"""Priors → regularisers (derivations/map/): the issue's check examples, MAP optimiser =
closed form for random data and priors, a wrong λ gives a measurably different solution."""

import math

import pytest
import sympy
import torch
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import derivspec.numerics.map  # noqa: F401  (registers the family's routes and behaviour checks)
from derivspec.core import registry
from derivspec.core.checker import compare, read_candidate
from derivspec.core.sources import compare_source
from derivspec.numerics.routes import run_behaviour
from derivspec.reference_models.device import make_generator
from derivspec.reference_models.regression import make_regression_data
from derivspec.reference_models.regularised import (lasso_by_coordinate_descent, map_gaussian_prior, map_laplace_prior,
                                                    ridge_closed_form)
from route_errors import assert_error_covers_target


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
@given(seed=st.integers(0, 10_000), sigma=st.floats(0.5, 2), fraction=st.floats(0.05, 0.9))
def test_laplace_map_is_lasso_with_the_derived_lambda(seed, sigma, fraction):
    X, y, _ = make_regression_data(30, 4, 0.5, make_generator(seed, torch.device("cpu")), torch.device("cpu"))
    # Σ(y − Xθ)² + λ‖θ‖₁ is minimised by θ = 0 exactly when λ ≥ λ_max = ‖2Xᵀy‖_∞ (the subgradient
    # condition at 0). The wrong variant λ/2 differs from λ in its solution only when λ/2 < λ_max:
    # otherwise both solutions are 0 and nothing is tested. So the prior's scale b is drawn through
    # the wrong λ's position below λ_max: λ/2 = fraction·λ_max, i.e. b = 2σ²/λ = σ²/(fraction·λ_max).
    # At fraction = ½ the right λ is exactly λ_max, where the largest weight is exactly at its
    # threshold and whether it is 0 or 1e-17 is round-off: the zero patterns are compared away from it.
    assume(abs(2 * fraction - 1) > 0.02)
    lambda_max = float((2 * X.T @ y).abs().max())
    b = sigma**2 / (fraction * lambda_max)
    by_map = map_laplace_prior(X, y, sigma, b)
    lam = lam_of("map.laplace-prior.l1", sigma=sigma, b=b)
    lasso = lasso_by_coordinate_descent(X, y, lam)
    assert torch.allclose(by_map, lasso, rtol=1e-8, atol=1e-9)
    assert torch.equal(by_map == 0, lasso == 0)
    wrong = lasso_by_coordinate_descent(X, y, lam / 2)  # the factor 2 dropped: λ = σ²/b
    assert bool((wrong != 0).any())  # below λ_max: the wrong λ keeps some weight
    assert float((wrong - by_map).abs().max()) > 1e-4 * max(float(wrong.abs().max()), 1e-3)


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
    # 0.529 is the mean 18/34 of Beta(18, 16), "near" its mode 17/32 to two decimals (the counts are the 1088 erratum)
    assert statuses[("1088", 0.529)] == "matches" and statuses[("1088", 0.583)] == "matches"
    assert statuses[("1712–1714", 0.8)] == "matches"


def test_lasso_geometry_statement_is_a_note_and_sparsity_statement_holds():
    claim = registry.get("map.lasso.soft-threshold")
    statuses = [(s.lines, compare_source(claim, s, run_behaviour=run_behaviour).status) for s in claim.sources]
    # the corner statement itself is a note; the worked cases (an edge, a corner) are compared
    assert statuses == [("129–130", "matches"), ("1685–1688", "not_comparable")] + [("1685–1688", "matches")] * 3


def test_nll_convention_sources_match():
    for claim_id in ("map.gaussian-prior.l2.nll", "map.laplace-prior.l1.nll"):
        claim = registry.get(claim_id)
        assert all(compare_source(claim, s).status in ("matches", "not_comparable") for s in claim.sources)
    assert math.isclose(lam_of("map.gaussian-prior.l2.nll", tau=math.sqrt(50), sigma=1), 0.01)


def test_corner_check_can_hold_and_fail():
    # the check behind the 1685–1688 note is not constant: with |y_2| <= λ/2 the orthonormal lasso
    # solution does sit at a corner (y = (2, 0.3), λ = 1 gives (1.5, 0)); y = (2, 1.5) gives an edge
    from derivspec.numerics.map import lasso_at_a_corner
    assert lasso_at_a_corner(2.0, 0.3, 1.0)[0]
    assert not lasso_at_a_corner(2.0, 1.5, 1.0)[0]


one_feature_data = st.fixed_dictionaries({
    **{f"x{i}": st.floats(0.5, 3) for i in (1, 2, 3)},
    **{f"y{i}": st.floats(-3, 3) for i in (1, 2, 3)},
    "lam": st.floats(0.1, 5),
})


@settings(max_examples=40, deadline=None)
@given(point=one_feature_data)
def test_ridge_target_is_least_squares_on_the_augmented_system(point):
    # independent route: ridge = least squares on [X; √λ] against [y; 0] (torch.linalg.lstsq)
    X = torch.tensor([[point["x1"]], [point["x2"]], [point["x3"]], [math.sqrt(point["lam"])]], dtype=torch.float64)
    y = torch.tensor([point["y1"], point["y2"], point["y3"], 0.0], dtype=torch.float64)
    by_lstsq = float(torch.linalg.lstsq(X, y[:, None]).solution[0, 0])
    assert lam_of("map.ridge.closed-form", **point) == pytest.approx(by_lstsq, rel=1e-9, abs=1e-12)


@settings(max_examples=40, deadline=None)
@given(point=one_feature_data)
def test_lasso_target_minimises_the_lasso_objective(point):
    # independent route: the objective at the derived θ̂ is below its value at θ̂ ± δ (convex, so
    # a local minimum on a fine grid of δ is the minimum)
    theta_hat = lam_of("map.lasso.soft-threshold", **point)

    def objective(theta):
        return sum((point[f"y{i}"] - theta * point[f"x{i}"]) ** 2 for i in (1, 2, 3)) + point["lam"] * abs(theta)

    best = objective(theta_hat)
    assert all(objective(theta_hat + delta) >= best - 1e-12 for delta in (-1e-3, -1e-6, 1e-6, 1e-3))


# --- the reference routes' own error estimates ----------------------------------------------------


def test_lasso_lambda_is_read_even_when_the_map_is_all_zero():
    """σ = 3, b = 0.3 (λ = 60) zeroes the MAP of the route's first design; the route doubles the
    responses until a coordinate is certainly nonzero and reads λ there (it returned NaN)."""
    from derivspec.numerics.map import DESIGN_POINTS, FEATURES, NOISE, lasso_lambdas
    cpu = torch.device("cpu")
    X, y, _ = make_regression_data(DESIGN_POINTS, FEATURES, NOISE, make_generator(4, cpu), cpu)
    assert not bool(map_laplace_prior(X, y, 3.0, 0.3).any())
    ((value, error),) = lasso_lambdas(torch.tensor([3.0], dtype=torch.float64), torch.tensor([0.3], dtype=torch.float64),
                                    make_generator(4, cpu), cpu)
    assert abs(value - lam_of("map.laplace-prior.l1", sigma=3.0, b=0.3)) <= 10 * error + 1e-9 * value
    assert error < 1e-9 * value


@pytest.mark.parametrize("route_name, claim_id", [
    ("ridge_lambda_from_map", "map.gaussian-prior.l2"), ("lasso_lambda_from_map", "map.laplace-prior.l1"),
    ("ridge_slope_by_lbfgs", "map.ridge.closed-form"), ("ridge_slope_by_scipy", "map.ridge.closed-form"),
    ("lasso_slope_by_coordinate_descent", "map.lasso.soft-threshold"),
    ("lasso_slope_by_proximal_gradient", "map.lasso.soft-threshold"),
    ("coin_mode_by_lbfgs", "map.beta-bernoulli"), ("coin_mode_by_scipy", "map.beta-bernoulli"),
    ("mle_slope_by_flat_prior_map", "map.mle-limit"),
    ("posterior_mean_by_quadrature", "map.beta-bernoulli.posterior-mean")])
def test_optimiser_and_quadrature_routes_carry_errors_that_cover_the_truth(route_name, claim_id):
    """At 64 random points of the claim's domain each route's value is within ERROR_SAFETY × its
    error estimate (+ round-off) of the target, and that estimate resolves the value."""
    import derivspec.numerics.map as routes
    assert_error_covers_target(getattr(routes, route_name), claim_id, 64)
