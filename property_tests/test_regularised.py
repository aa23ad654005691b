"""Ridge / lasso reference models: independent routes agree, and the MAP <-> penalty relations.

Objective convention: J(theta) = sum_i (y_i - x_i^T theta)^2 + lam * penalty(theta).

* ridge: closed form = LBFGS = scipy BFGS; MAP with a N(0, tau^2) prior = ridge with
  lam = sigma^2 / tau^2 (and the tempting wrong factors give measurably different solutions);
* lasso: proximal gradient = coordinate descent (same exact-zero support, KKT conditions hold);
  MAP with a Laplace(0, b) prior = lasso with lam = 2 sigma^2 / b (1/b and sigma^2/b do not);
* 1-D lasso = soft-thresholding; MAP -> MLE as the prior flattens;
* sparsity: the lasso has exact zeros, ridge never.

The lam relations are also *recovered* from the MAP solutions (stationarity conditions solved
for lam), not only checked. Deterministic: explicit seeds, one generator per check.
"""

import math

import pytest
import torch

from derivspec.core.errors import ParameterError
from derivspec.reference_models.device import DTYPE, make_generator
from derivspec.reference_models.optimality import minimum_excess, newton_step, optimum_error
from derivspec.reference_models.regression import make_regression_data, normal_equations
from derivspec.reference_models.regularised import (
    ConvergenceError,
    laplace_map_distance,
    lasso_by_coordinate_descent,
    lasso_by_proximal_gradient,
    lasso_distance,
    map_gaussian_prior,
    map_laplace_prior,
    ridge_by_lbfgs,
    ridge_by_scipy,
    ridge_closed_form,
    soft_threshold,
    sparsity_fractions,
    support,
)

CPU = torch.device("cpu")
N, D = 50, 5
SEEDS = [0, 1, 2, 3, 4]
GPU_SEEDS = [0, 1]
RIDGE_LAMS = [0.0, 0.5, 5.0, 50.0]
LASSO_LAMS = [0.0, 1.0, 10.0, 40.0, 100.0]
# (sigma, tau): each wrong candidate 1/(2 tau^2), tau^2/sigma^2, 2 sigma^2/tau^2 differs from sigma^2/tau^2
GAUSS_PRIORS = [(2.0, 0.5), (0.7, 0.3), (1.5, 1.0)]
# (sigma, b): sigma != 1 so that 1/b, sigma^2/b and 2 sigma^2/b are three different lams
LAPLACE_PRIORS = [(1.5, 0.5), (0.5, 0.1), (1.2, 2.0)]
SPARSITY_LAMS = [0.0, 1.0, 5.0, 20.0, 50.0, 200.0]

requires_cuda = pytest.mark.skipif(not torch.cuda.is_available(), reason="CUDA is not available")


def rel_diff(a: torch.Tensor, b: torch.Tensor) -> float:
    """max |a - b| / max(1, max |b|); +inf when either side is non-finite."""
    if not (torch.isfinite(a).all() and torch.isfinite(b).all()):
        return math.inf
    return float((a - b).abs().max()) / max(1.0, float(b.abs().max()))


def data(seed: int, device: torch.device = CPU, n: int = N, d: int = D, sigma: float = 1.0):
    X, y, _ = make_regression_data(n, d, sigma, make_generator(seed, device), device)
    return X, y


def lasso_kkt_violation(X, y, theta, lam) -> float:
    """Largest violation of the lasso optimality conditions, relative to max(1, lam).

    With g = 2 X^T (y - X theta): g_j = lam sign(theta_j) where theta_j != 0, |g_j| <= lam where 0.
    """
    g = 2.0 * X.T @ (y - X @ theta)
    nz = support(theta)
    on = (g[nz] - lam * torch.sign(theta[nz])).abs()
    off = torch.clamp(g[~nz].abs() - lam, min=0.0)
    worst = max(float(on.max()) if on.numel() else 0.0, float(off.max()) if off.numel() else 0.0)
    return worst / max(1.0, lam)


def _on(t: torch.Tensor, device: torch.device) -> bool:
    return t.device.type == device.type and t.dtype == DTYPE


# ---------------------------------------------------------------- ridge


def _check_ridge_routes(seed: int, device: torch.device) -> None:
    X, y = data(seed, device)
    for lam in RIDGE_LAMS:
        ref = ridge_closed_form(X, y, lam)
        by_lbfgs = ridge_by_lbfgs(X, y, lam)
        by_scipy = ridge_by_scipy(X, y, lam)
        assert all(_on(t, device) for t in (ref, by_lbfgs, by_scipy))
        assert rel_diff(by_lbfgs, ref) <= 1e-10, (lam, rel_diff(by_lbfgs, ref))
        assert rel_diff(by_scipy, ref) <= 1e-10, (lam, rel_diff(by_scipy, ref))
    assert rel_diff(ridge_closed_form(X, y, 0.0), normal_equations(X, y)) <= 1e-12


@pytest.mark.parametrize("seed", SEEDS)
def test_ridge_closed_form_lbfgs_and_scipy_agree(seed):
    _check_ridge_routes(seed, CPU)


def _check_map_gaussian(seed: int, device: torch.device) -> None:
    X, y = data(seed, device)
    for sigma, tau in GAUSS_PRIORS:
        theta_map = map_gaussian_prior(X, y, sigma, tau)
        assert _on(theta_map, device)
        right = sigma**2 / tau**2
        assert rel_diff(theta_map, ridge_closed_form(X, y, right)) <= 1e-8, (sigma, tau)
        for wrong in (1 / (2 * tau**2), tau**2 / sigma**2, 2 * sigma**2 / tau**2):
            assert abs(wrong - right) > 1e-3 * right
            assert rel_diff(theta_map, ridge_closed_form(X, y, wrong)) > 1e-4, (sigma, tau, wrong)
        # Recover lam from the MAP solution: (X^T X + lam I) theta = X^T y  =>
        # lam = theta^T X^T (y - X theta) / theta^T theta.
        lam_hat = float(theta_map @ (X.T @ (y - X @ theta_map)) / (theta_map @ theta_map))
        assert abs(lam_hat - right) <= 1e-6 * max(1.0, right), (sigma, tau, lam_hat, right)


@pytest.mark.parametrize("seed", SEEDS)
def test_map_gaussian_prior_is_ridge_with_lam_sigma2_over_tau2(seed):
    _check_map_gaussian(seed, CPU)


# ---------------------------------------------------------------- lasso


def _check_lasso_routes(seed: int, device: torch.device) -> None:
    X, y = data(seed, device)
    for lam in LASSO_LAMS:
        pg = lasso_by_proximal_gradient(X, y, lam)
        cd = lasso_by_coordinate_descent(X, y, lam)
        assert _on(pg, device) and _on(cd, device)
        assert rel_diff(pg, cd) <= 1e-9, (lam, rel_diff(pg, cd))
        assert torch.equal(support(pg), support(cd)), lam
        assert lasso_kkt_violation(X, y, pg, lam) <= 1e-9
        assert lasso_kkt_violation(X, y, cd, lam) <= 1e-9
    assert rel_diff(lasso_by_coordinate_descent(X, y, 0.0), normal_equations(X, y)) <= 1e-9


@pytest.mark.parametrize("seed", SEEDS)
def test_lasso_proximal_gradient_equals_coordinate_descent(seed):
    _check_lasso_routes(seed, CPU)


def test_lasso_has_exact_zeros_and_a_large_lam_zeroes_everything():
    X, y = data(0)
    lam_max = float((2.0 * X.T @ y).abs().max())  # smallest lam with theta = 0
    for solver in (lasso_by_proximal_gradient, lasso_by_coordinate_descent):
        assert not support(solver(X, y, 1.01 * lam_max)).any()
        theta = solver(X, y, 0.9 * lam_max)
        assert 0 < int(support(theta).sum()) < D
        assert int((theta == 0).sum()) == D - int(support(theta).sum())  # zeros are exact


def _check_map_laplace(seed: int, device: torch.device) -> None:
    X, y = data(seed, device)
    for sigma, b in LAPLACE_PRIORS:
        theta_map = map_laplace_prior(X, y, sigma, b)
        assert _on(theta_map, device)
        right = 2 * sigma**2 / b
        lasso = lasso_by_coordinate_descent(X, y, right)
        assert rel_diff(theta_map, lasso) <= 1e-8, (sigma, b, rel_diff(theta_map, lasso))
        assert torch.equal(support(theta_map), support(lasso))
        for wrong in (1 / b, sigma**2 / b):
            assert abs(wrong - right) > 1e-3 * right
            assert rel_diff(theta_map, lasso_by_coordinate_descent(X, y, wrong)) > 1e-4, (sigma, b, wrong)
        # Recover lam on the support: 2 X_j^T (y - X theta) = lam sign(theta_j).
        nz = support(theta_map)
        assert nz.any()
        lam_hat = (2.0 * X.T @ (y - X @ theta_map))[nz] * torch.sign(theta_map[nz])
        assert float((lam_hat - right).abs().max()) <= 1e-6 * max(1.0, right), (sigma, b, lam_hat, right)


@pytest.mark.parametrize("seed", SEEDS)
def test_map_laplace_prior_is_lasso_with_lam_2sigma2_over_b(seed):
    _check_map_laplace(seed, CPU)


def test_map_laplace_prior_produces_exact_zeros():
    X, y = data(3)
    sigma, b = 1.0, 2.0 / 120.0  # lam = 2 sigma^2 / b = 120: some coefficients are cut
    theta_map = map_laplace_prior(X, y, sigma, b)
    lasso = lasso_by_coordinate_descent(X, y, 120.0)
    assert 0 < int(support(theta_map).sum()) < D
    assert torch.equal(support(theta_map), support(lasso))
    assert rel_diff(theta_map, lasso) <= 1e-8


# ---------------------------------------------------------------- soft-thresholding


def test_soft_threshold_values():
    a = torch.tensor([-3.0, -1.0, -0.5, 0.0, 0.5, 1.0, 3.0], dtype=DTYPE)
    assert torch.equal(soft_threshold(a, 1.0), torch.tensor([-2.0, 0.0, 0.0, 0.0, 0.0, 0.0, 2.0], dtype=DTYPE))
    assert torch.equal(soft_threshold(a, 0.0), a)


def test_soft_threshold_is_the_prox_of_the_absolute_value():
    # S(a, t) = argmin_x (x - a)^2 / 2 + t |x|: compare with a fine grid search.
    grid = torch.linspace(-5, 5, 200_001, dtype=DTYPE)
    for a in (-3.2, -0.7, 0.0, 0.4, 2.5):
        for t in (0.0, 0.5, 1.0, 3.0):
            x_grid = grid[torch.argmin((grid - a) ** 2 / 2 + t * grid.abs())]
            assert abs(float(soft_threshold(torch.tensor(a, dtype=DTYPE), t)) - float(x_grid)) <= 1e-4


@pytest.mark.parametrize("seed", SEEDS)
def test_one_dimensional_lasso_is_soft_thresholding(seed):
    X, y = data(seed, d=1)
    sxy, sxx = float(X[:, 0] @ y), float(X[:, 0] @ X[:, 0])
    for lam in (0.0, 0.3 * abs(sxy), 1.9 * abs(sxy), 2.0 * abs(sxy) + 1.0):
        expected = soft_threshold(torch.tensor([sxy], dtype=DTYPE), lam / 2) / sxx
        for solver in (lasso_by_proximal_gradient, lasso_by_coordinate_descent):
            theta = solver(X, y, lam)
            assert rel_diff(theta, expected) <= 1e-12, (solver.__name__, lam)
            assert torch.equal(support(theta), support(expected))
    assert not support(lasso_by_coordinate_descent(X, y, 2.0 * abs(sxy) + 1.0)).any()


# ---------------------------------------------------------------- MAP -> MLE


def test_map_tends_to_mle_as_the_prior_flattens():
    X, y = data(7)
    mle = normal_equations(X, y)
    sigma = 1.3
    for name, fit in (
        ("gaussian tau", lambda s: map_gaussian_prior(X, y, sigma, s)),
        ("laplace b", lambda s: map_laplace_prior(X, y, sigma, s)),
    ):
        errors = [rel_diff(fit(scale), mle) for scale in (1e1, 1e3, 1e6)]
        print(f"\nMAP -> MLE ({name} = 1e1, 1e3, 1e6): " + ", ".join(f"{e:.2e}" for e in errors))
        assert errors[0] > errors[1] > errors[2], (name, errors)
        assert errors[2] < 1e-6, (name, errors)


# ---------------------------------------------------------------- sparsity


def test_sparsity_lasso_zeros_ridge_none():
    out = sparsity_fractions(SPARSITY_LAMS, n=N, d=10, n_designs=20, generator=make_generator(2024, CPU), device=CPU)
    lasso, ridge = out["lasso"], out["ridge"]
    print(f"\nzero fraction over {out['n_designs']} designs (n={out['n']}, d={out['d']}, "
          f"{out['n_zero']} true zeros, noise sigma={out['noise_sigma']})")
    print(f"{'lam':>8} {'lasso':>8} {'ridge':>8}")
    for lam, a, b in zip(out["lams"], lasso, ridge):
        print(f"{lam:8g} {a:8.3f} {b:8.3f}")
    monotone = all(a <= b for a, b in zip(lasso, lasso[1:]))
    print(f"lasso zero fraction non-decreasing in lam (mean over designs): {monotone}")
    assert out["lasso_per_design"].shape == (20, len(SPARSITY_LAMS))
    assert lasso[0] == 0.0
    assert lasso[-1] > 0.3
    assert all(r == 0.0 for r in ridge)
    assert float(out["ridge_per_design"].abs().max()) == 0.0


# ---------------------------------------------------------------- a-posteriori error bounds


@pytest.mark.parametrize("seed", SEEDS)
def test_l1_distance_bounds_certify_perturbed_solutions(seed):
    """lasso_distance and laplace_map_distance bound ||theta - theta*|| at any theta (strong
    convexity), are 0 at the solvers' answers up to round-off, and stay within a factor
    cond(X^T X) of the truth (here a few units): a certificate, not a guess."""
    X, y = data(seed)
    g = make_generator(100 + seed, CPU)
    for lam in (1.0, 40.0):
        exact = lasso_by_coordinate_descent(X, y, lam)
        assert lasso_distance(X, y, lam, exact) <= 1e-11 * max(1.0, float(exact.norm()))
        for scale in (1e-8, 1e-4, 1e-1):
            theta = exact + scale * torch.randn(D, generator=g, dtype=DTYPE)
            assert float((theta - exact).norm()) <= lasso_distance(X, y, lam, theta) * (1 + 1e-9)
    for sigma, b in LAPLACE_PRIORS:
        exact = map_laplace_prior(X, y, sigma, b)
        assert laplace_map_distance(X, y, sigma, b, exact) <= 1e-11 * max(1.0, float(exact.norm()))
        theta = exact + 1e-3 * torch.randn(D, generator=g, dtype=DTYPE)
        distance = float((theta - exact).norm())
        assert distance <= laplace_map_distance(X, y, sigma, b, theta) <= 100 * distance


def test_newton_step_and_minimum_excess_are_exact_for_a_quadratic():
    """For J = ||y - X theta||^2 + lam ||theta||^2: the Newton step is theta - theta*, the
    excess J(theta) - J(theta*), and optimum_error propagates the step through a read-back
    per row of a batch."""
    X, y = data(0)
    lam = 3.0
    J = lambda th: ((y - X @ th) ** 2).sum() + lam * (th**2).sum()  # noqa: E731
    exact = ridge_closed_form(X, y, lam)
    theta = exact + 1e-3 * torch.randn(D, generator=make_generator(7, CPU), dtype=DTYPE)
    assert rel_diff(newton_step(J, theta), theta - exact) <= 1e-9
    assert minimum_excess(J, theta) == pytest.approx(float(J(theta) - J(exact)), rel=1e-6)
    batch = torch.stack([theta, 2 * theta])
    value, error = optimum_error(lambda th: th[:, 0] * th[:, 1], batch, torch.ones_like(batch))
    assert value.shape == error.shape == (2,)
    assert float(error[1]) == pytest.approx(2 * float(error[0]))
    assert float(error[0]) == pytest.approx(float(theta[:2].norm()) * math.sqrt(D))


def test_newton_step_ignores_a_symmetry_of_the_parametrisation_when_asked():
    """f(a, b) = (ab − 2)²: constant along (a, b) ↦ (a/c, cb), so the Hessian at a minimum is singular."""
    f = lambda p: (p[0] * p[1] - 2) ** 2  # noqa: E731
    at_minimum = torch.tensor([1.0, 2.0], dtype=DTYPE)
    assert float(newton_step(f, at_minimum, singular=True).abs().max()) == 0.0
    near = torch.tensor([1.0, 2.0 + 1e-6], dtype=DTYPE)
    assert minimum_excess(f, near, singular=True) == pytest.approx(float(f(near)), rel=1e-6)


# ---------------------------------------------------------------- bad input / limits


def test_bad_parameters_are_rejected():
    X, y = data(0)
    for lam in (-1.0, math.nan, math.inf):
        for solver in (ridge_closed_form, ridge_by_lbfgs, ridge_by_scipy,
                       lasso_by_proximal_gradient, lasso_by_coordinate_descent):
            with pytest.raises(ParameterError):
                solver(X, y, lam)
    for bad in (0.0, -1.0, math.nan, math.inf):
        with pytest.raises(ParameterError):
            map_gaussian_prior(X, y, bad, 1.0)
        with pytest.raises(ParameterError):
            map_gaussian_prior(X, y, 1.0, bad)
        with pytest.raises(ParameterError):
            map_laplace_prior(X, y, bad, 1.0)
        with pytest.raises(ParameterError):
            map_laplace_prior(X, y, 1.0, bad)
    with pytest.raises(ParameterError):
        ridge_closed_form(X.float(), y.float(), 1.0)
    with pytest.raises(ParameterError):
        lasso_by_coordinate_descent(X, y[:-1], 1.0)


def test_iteration_limits_raise_instead_of_returning_an_unconverged_point():
    X, y = data(0)
    with pytest.raises(ConvergenceError):
        lasso_by_proximal_gradient(X, y, 1.0, max_iter=2)
    with pytest.raises(ConvergenceError):
        lasso_by_coordinate_descent(X, y, 1.0, max_sweeps=2)
    with pytest.raises(ConvergenceError):
        map_laplace_prior(X, y, 1.0, 1.0, max_iter=2)


# ---------------------------------------------------------------- CUDA


@pytest.mark.gpu
@requires_cuda
@pytest.mark.parametrize("seed", GPU_SEEDS)
def test_regularised_routes_on_cuda(seed):
    cuda = torch.device("cuda")
    _check_ridge_routes(seed, cuda)
    _check_map_gaussian(seed, cuda)
    _check_lasso_routes(seed, cuda)
    _check_map_laplace(seed, cuda)
    # CUDA and CPU solve the same problem to the same answer.
    X, y = data(seed, cuda)
    Xc, yc = X.cpu(), y.cpu()
    assert rel_diff(ridge_closed_form(X, y, 5.0).cpu(), ridge_closed_form(Xc, yc, 5.0)) <= 1e-12
    lasso_gpu = lasso_by_coordinate_descent(X, y, 40.0).cpu()
    lasso_cpu = lasso_by_coordinate_descent(Xc, yc, 40.0)
    assert rel_diff(lasso_gpu, lasso_cpu) <= 1e-10
    assert torch.equal(support(lasso_gpu), support(lasso_cpu))
    out = sparsity_fractions([0.0, 200.0], n=N, d=10, n_designs=3, generator=make_generator(seed, cuda), device=cuda)
    assert out["lasso"][0] == 0.0 and all(r == 0.0 for r in out["ridge"])
