r"""Ridge and lasso regression as MAP estimates (executable specifications).

Spec of the lecture statements "ridge regression is the MAP estimate under a Gaussian prior"
and "the lasso is the MAP estimate under a Laplace prior, and it produces exact zeros"
(seeds ``../shared/seeds/``: 003 L1618–1626 "L_MAP = L_NLL + λ‖θ‖², λ := 1/(2σ_p²) ... exactly
L2 regularization", L1667–1674 "λ := 1/b ... exactly L1 regularization (a.k.a. lasso)",
L129–130 "L1 drives many weights to exactly zero", L1628–1629 "weak prior ⇒ MAP → MLE";
000 L240 "the choice of the prior (e.g. Gaussian, Laplace) leads directly to regularization
terms"). The notes write λ for the summed NLL; this module uses the sum of squared errors,
so its λ is 2σ² times theirs (claims ``map.gaussian-prior.l2(.nll)``, ``map.laplace-prior.l1(.nll)``).

Objective convention (sum of squared errors, not the mean):

    J(theta) = sum_i (y_i - x_i^T theta)^2 + lam * penalty(theta),
    ridge: penalty = ||theta||_2^2,      lasso: penalty = ||theta||_1.

MAP correspondences (multiply the negative log posterior by 2 sigma^2 and drop constants):

    y_i ~ N(x_i^T theta, sigma^2), theta_j ~ N(0, tau^2)   =>  ridge with lam = sigma^2 / tau^2
    y_i ~ N(x_i^T theta, sigma^2), theta_j ~ Laplace(0, b) =>  lasso with lam = 2 sigma^2 / b

The MAP routes (``map_gaussian_prior``, ``map_laplace_prior``) minimise the negative log
posterior written with ``torch.distributions`` and never use these relations; the tests
check them numerically.

Routes to the ridge estimate: the closed form (X^T X + lam I)^{-1} X^T y, LBFGS on J (torch)
and BFGS on J (scipy). Routes to the lasso: proximal gradient (FISTA with adaptive restart;
the prox of t ||.||_1 is soft-thresholding) and cyclic coordinate descent. Both lasso
solvers produce exact zeros (they come from soft-thresholding), so ``support`` compares
with 0 exactly by default.

Everything runs in float64 on the device of the inputs (``ridge_by_scipy`` computes on the
CPU with numpy and returns to that device); randomness only from explicit generators.

A-posteriori bounds certify a lasso answer without knowing the optimum (``lasso_distance``,
``laplace_map_distance``): the objective is strongly convex, so the distance to the minimiser is
at most the smallest subgradient's norm over the curvature (``l1_minimiser_distance``).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import numpy as np
import scipy  # its submodules load on first use (scipy.optimize below)
import torch
from torch import Tensor
from torch.distributions import Laplace, Normal

from derivspec.core.errors import ParameterError
from derivspec.core.numbers import fmt
from derivspec.reference_models.device import DTYPE
from derivspec.reference_models.optimality import gradient_and_hessian
from derivspec.reference_models.fit_tests import TestOutcome, power
from derivspec.reference_models.regression import _check_design, lbfgs_minimise, make_regression_data
from derivspec.reference_models.specification import Check, ResultTable, RunContext, SpecResult, pyplot, save_figure, specification

__all__ = [
    "ridge_closed_form",
    "ridge_by_lbfgs",
    "ridge_by_scipy",
    "gaussian_prior_objective",
    "map_gaussian_prior",
    "lasso_by_proximal_gradient",
    "lasso_by_coordinate_descent",
    "map_laplace_prior",
    "lasso_distance",
    "laplace_map_distance",
    "soft_threshold",
    "support",
    "sparsity_fractions",
    "orthogonal_design",
    "laplace_zero_rate",
    "zero_rate_test",
]

LBFGS_MAX_ITER = 500
PG_MAX_ITER = 100_000
PG_TOL = 1e-13
CD_MAX_SWEEPS = 100_000
CD_TOL = 1e-13
SCIPY_GTOL = 1e-12
SCIPY_ROUNDS = 5


class ConvergenceError(RuntimeError):
    """An iterative solver hit its iteration limit before its stopping test held."""


# ---------------------------------------------------------------- checks


def _check_lam(lam: float) -> float:
    lam = float(lam)
    if not (math.isfinite(lam) and lam >= 0):
        raise ParameterError(f"lam must be finite and >= 0, got {lam}")
    return lam


def _check_positive(name: str, value: float) -> float:
    value = float(value)
    if not (math.isfinite(value) and value > 0):
        raise ParameterError(f"{name} must be finite and > 0, got {value}")
    return value


def _zeros(X: Tensor) -> Tensor:
    return torch.zeros(X.shape[1], dtype=DTYPE, device=X.device)


# ---------------------------------------------------------------- ridge


def ridge_closed_form(X: Tensor, y: Tensor, lam: float) -> Tensor:
    """argmin ||y - X theta||^2 + lam ||theta||^2, from (X^T X + lam I) theta = X^T y.

    Solved with ``torch.linalg.solve`` (no explicit inverse). lam = 0 is least squares
    (needs X of full column rank); lam > 0 always has a unique solution.
    """
    _check_design(X, y)
    lam = _check_lam(lam)
    A = X.T @ X + lam * torch.eye(X.shape[1], dtype=DTYPE, device=X.device)
    return torch.linalg.solve(A, X.T @ y)


def ridge_by_lbfgs(X: Tensor, y: Tensor, lam: float, *, max_iter: int = LBFGS_MAX_ITER) -> Tensor:
    """The ridge estimate by LBFGS on J(theta) = ||y - X theta||^2 + lam ||theta||^2 from 0.

    Uses ``lbfgs_minimise`` (gradient test relative to the starting gradient, polishing).
    """
    _check_design(X, y)
    lam = _check_lam(lam)

    def J(th: Tensor) -> Tensor:
        return ((y - X @ th) ** 2).sum() + lam * (th**2).sum()

    return lbfgs_minimise(J, _zeros(X), max_iter=max_iter)


def ridge_by_scipy(
    X: Tensor, y: Tensor, lam: float, *, gtol: float = SCIPY_GTOL, max_rounds: int = SCIPY_ROUNDS
) -> Tensor:
    """The ridge estimate by ``scipy.optimize.minimize`` (BFGS, jac given) on J, on the CPU.

    J(theta) = ||y - X theta||^2 + lam ||theta||^2,  grad J = -2 X^T (y - X theta) + 2 lam theta.
    BFGS's line search compares loss values, and near the optimum those differ only by
    rounding of J (~1e-16 |J|): it then stops with "precision loss" while |grad J| is
    still ~1e-9 |grad J(0)|. So it runs in rounds: round k minimises the increment

        h(u) = (J(theta_k + u) - J(theta_k)) / |g_k|_inf
             = (g_k^T u + ||X u||^2 + lam ||u||^2) / |g_k|_inf,   g_k = grad J(theta_k),

    (the same objective, exactly, written without the cancellation of J(theta_k + u) - J(theta_k)),
    from u = 0, and sets theta_{k+1} = theta_k + u. Stop when
    |grad J(theta)|_inf <= gtol * max(1, |grad J(0)|_inf); ``ConvergenceError`` if that fails
    after ``max_rounds`` rounds. numpy float64 on the CPU; returns a tensor on X's device.
    """
    _check_design(X, y)
    lam = _check_lam(lam)
    Xn = X.detach().cpu().numpy()
    yn = y.detach().cpu().numpy()
    d = Xn.shape[1]

    def grad_J(th: np.ndarray) -> np.ndarray:
        return -2.0 * Xn.T @ (yn - Xn @ th) + 2.0 * lam * th

    theta = np.zeros(d)
    target = gtol * max(1.0, float(np.abs(grad_J(theta)).max()))
    for _ in range(max_rounds):
        g = grad_J(theta)
        s = float(np.abs(g).max())
        if not math.isfinite(s):
            raise ConvergenceError("scipy BFGS produced a non-finite iterate")
        if s <= target:
            return torch.as_tensor(theta, dtype=DTYPE).to(X.device)

        def h(u: np.ndarray, g: np.ndarray = g, s: float = s) -> tuple[float, np.ndarray]:
            Xu = Xn @ u
            value = (g @ u + Xu @ Xu + lam * (u @ u)) / s
            grad = (g + 2.0 * Xn.T @ Xu + 2.0 * lam * u) / s
            return float(value), grad

        res = scipy.optimize.minimize(
            h, np.zeros(d), jac=True, method="BFGS", options={"gtol": gtol, "maxiter": 10_000}
        )
        theta = theta + res.x
    s = float(np.abs(grad_J(theta)).max())
    if s <= target:
        return torch.as_tensor(theta, dtype=DTYPE).to(X.device)
    raise ConvergenceError(f"scipy BFGS: max |grad J| = {fmt(s, '.3g')} > {fmt(target, '.3g')} after {max_rounds} rounds")


def gaussian_prior_objective(X: Tensor, y: Tensor, sigma: float, tau: float) -> Callable[[Tensor], Tensor]:
    """The negative log posterior (up to the evidence) under y_i ~ N(x_i^T theta, sigma^2) and
    theta_j ~ N(0, tau^2) i.i.d., written with torch.distributions:

        -sum_i log N(y_i | x_i^T theta, sigma^2) - sum_j log N(theta_j | 0, tau^2).
    """
    _check_design(X, y)
    sigma = _check_positive("sigma", sigma)
    tau = _check_positive("tau", tau)
    prior = Normal(torch.tensor(0.0, dtype=DTYPE, device=X.device), torch.tensor(tau, dtype=DTYPE, device=X.device))

    def neg_log_posterior(th: Tensor) -> Tensor:
        return -Normal(X @ th, sigma).log_prob(y).sum() - prior.log_prob(th).sum()

    return neg_log_posterior


def map_gaussian_prior(X: Tensor, y: Tensor, sigma: float, tau: float, *, max_iter: int = LBFGS_MAX_ITER) -> Tensor:
    """MAP theta under y_i ~ N(x_i^T theta, sigma^2) and theta_j ~ N(0, tau^2) i.i.d.

    Minimises ``gaussian_prior_objective`` (the negative log posterior, torch.distributions) by
    ``lbfgs_minimise`` from theta = 0. Does not use the ridge formula; times 2 sigma^2 it is J
    with lam = sigma^2 / tau^2 plus a constant.
    """
    return lbfgs_minimise(gaussian_prior_objective(X, y, sigma, tau), _zeros(X), max_iter=max_iter)


# ---------------------------------------------------------------- lasso


def soft_threshold(a: Tensor, t: float | Tensor) -> Tensor:
    """S(a, t) = sign(a) * max(|a| - t, 0), elementwise (t >= 0).

    The prox of t |.|: S(a, t) = argmin_x (x - a)^2 / 2 + t |x|. Exactly 0 for |a| <= t and
    exactly a for t = 0.
    """
    return torch.sign(a) * torch.clamp(a.abs() - t, min=0.0)


def support(theta: Tensor, atol: float = 0.0) -> Tensor:
    """Boolean mask of the nonzero coefficients, |theta_j| > atol.

    The default atol = 0 tests for exact zeros (theta_j != 0): the lasso solvers here return
    exact zeros from soft-thresholding, so no threshold is needed or wanted. A positive
    atol counts |theta_j| <= atol as zero, for estimates from solvers that only approach
    zero (LBFGS, BFGS); ridge coefficients are never exactly zero.
    """
    if not (math.isfinite(atol) and atol >= 0):
        raise ParameterError(f"atol must be finite and >= 0, got {atol}")
    return theta.abs() > atol


def _proximal_gradient(
    grad_fn: Callable[[Tensor], Tensor], L: float, threshold: float, theta0: Tensor, *, max_iter: int, tol: float
) -> Tensor:
    """FISTA with gradient-based adaptive restart for f(theta) + c ||theta||_1.

    f smooth with L-Lipschitz gradient ``grad_fn``; ``threshold`` = c / L (the prox of the
    step-1/L problem is soft-thresholding by c / L).

        theta_{k+1} = S(z_k - grad f(z_k) / L, c / L)
        z_{k+1} = theta_{k+1} + (t_k - 1) / t_{k+1} (theta_{k+1} - theta_k),
        t_{k+1} = (1 + sqrt(1 + 4 t_k^2)) / 2,
    with the momentum reset (z_{k+1} = theta_{k+1}, t = 1) whenever
    (z_k - theta_{k+1})^T (theta_{k+1} - theta_k) > 0 (O'Donoghue & Candes 2015).
    Stop when the prox-gradient step |theta_{k+1} - z_k|_inf <= tol * max(1, |theta_{k+1}|_inf)
    (after a reset z_k = theta_k, so this is the iterate change of ISTA). For a mu-strongly
    convex f this bounds |z_k - theta*| by about (L / mu) * tol. ``ConvergenceError`` after
    ``max_iter`` iterations.
    """
    theta = theta0.clone()
    z = theta.clone()
    t = 1.0
    for _ in range(max_iter):
        new = soft_threshold(z - grad_fn(z) / L, threshold)
        step = float((new - z).abs().max())
        if not math.isfinite(step):
            raise ConvergenceError("proximal gradient produced a non-finite iterate")
        if step <= tol * max(1.0, float(new.abs().max())):
            return new
        if float(torch.dot(z - new, new - theta)) > 0:  # momentum points uphill: restart
            t = 1.0
            z = new
        else:
            t_next = (1.0 + math.sqrt(1.0 + 4.0 * t * t)) / 2.0
            z = new + ((t - 1.0) / t_next) * (new - theta)
            t = t_next
        theta = new
    raise ConvergenceError(f"proximal gradient did not reach tol={tol} in {max_iter} iterations")


def lasso_by_proximal_gradient(
    X: Tensor, y: Tensor, lam: float, *, max_iter: int = PG_MAX_ITER, tol: float = PG_TOL
) -> Tensor:
    """argmin ||y - X theta||^2 + lam ||theta||_1 by proximal gradient (FISTA, restarts).

    Smooth part f = ||y - X theta||^2, grad f = -2 X^T (y - X theta), Lipschitz constant
    L = 2 ||X||_2^2 (largest singular value squared); step 1/L; prox = soft-threshold by
    lam / L. Exact zeros come from the prox. Stopping rule: see ``_proximal_gradient``
    (prox-gradient step <= tol, relative to max(1, |theta|_inf)).
    """
    _check_design(X, y)
    lam = _check_lam(lam)
    L = 2.0 * float(torch.linalg.matrix_norm(X, ord=2)) ** 2
    if not L > 0:
        raise ParameterError("X is zero: the lasso objective does not depend on theta")
    Xty = X.T @ y
    XtX = X.T @ X

    def grad(th: Tensor) -> Tensor:
        return 2.0 * (XtX @ th - Xty)

    return _proximal_gradient(grad, L, lam / L, _zeros(X), max_iter=max_iter, tol=tol)


def lasso_by_coordinate_descent(
    X: Tensor, y: Tensor, lam: float, *, max_sweeps: int = CD_MAX_SWEEPS, tol: float = CD_TOL
) -> Tensor:
    """argmin ||y - X theta||^2 + lam ||theta||_1 by cyclic coordinate descent from 0.

    For j = 0..d-1 in turn (each coordinate minimised exactly, the others fixed):

        rho_j = X_j^T (y - X theta + X_j theta_j),   theta_j <- S(rho_j, lam / 2) / ||X_j||^2,

    computed with the Gram matrix G = X^T X and c = X^T y as rho_j = c_j - G_j^T theta + G_jj theta_j.
    Stop after the first sweep whose largest coordinate change is <= tol * max(1, |theta|_inf);
    ``ConvergenceError`` after ``max_sweeps`` sweeps. Needs every column of X nonzero.
    """
    _check_design(X, y)
    lam = _check_lam(lam)
    G = X.T @ X
    c = X.T @ y
    diag = G.diagonal()
    if bool((diag <= 0).any()):
        raise ParameterError("X has an all-zero column: its coordinate is not identifiable")
    theta = _zeros(X)
    d = X.shape[1]
    half = lam / 2.0
    for _ in range(max_sweeps):
        change = torch.zeros((), dtype=DTYPE, device=X.device)
        for j in range(d):
            old = theta[j].clone()
            rho = c[j] - G[j] @ theta + diag[j] * old
            new = soft_threshold(rho, half) / diag[j]
            theta[j] = new
            change = torch.maximum(change, (new - old).abs())
        step = float(change)
        if not math.isfinite(step):
            raise ConvergenceError("coordinate descent produced a non-finite iterate")
        if step <= tol * max(1.0, float(theta.abs().max())):
            return theta
    raise ConvergenceError(f"coordinate descent did not reach tol={tol} in {max_sweeps} sweeps")


def _laplace_posterior(X: Tensor, y: Tensor, sigma: float, b: float) -> tuple[Callable[[Tensor], Tensor], float]:
    """The negative log posterior under y_i ~ N(x_i^T theta, sigma^2), theta_j ~ Laplace(0, b), split as
    (f, w): the smooth part f(theta) = -sum_i log N(y_i | x_i^T theta, sigma^2) (torch Normal) and the
    l1 weight w of -sum_j log Laplace(theta_j | 0, b) = w ||theta||_1 + d log(2b), read from
    ``torch.distributions.Laplace``'s scale (w = 1 / scale)."""
    _check_design(X, y)
    sigma = _check_positive("sigma", sigma)
    b = _check_positive("b", b)
    prior = Laplace(torch.tensor(0.0, dtype=DTYPE, device=X.device), torch.tensor(b, dtype=DTYPE, device=X.device))

    def nll(th: Tensor) -> Tensor:
        return -Normal(X @ th, sigma).log_prob(y).sum()

    return nll, 1.0 / float(prior.scale)


def map_laplace_prior(
    X: Tensor, y: Tensor, sigma: float, b: float, *, max_iter: int = PG_MAX_ITER, tol: float = PG_TOL
) -> Tensor:
    """MAP theta under y_i ~ N(x_i^T theta, sigma^2) and theta_j ~ Laplace(0, b) i.i.d.

    Proximal gradient (FISTA, restarts) on the negative log posterior, split as

        f(theta) = -sum_i log N(y_i | x_i^T theta, sigma^2)     (smooth; gradient by autograd,
                                                              Lipschitz L = ||X||_2^2 / sigma^2)
        g(theta) = -sum_j log Laplace(theta_j | 0, b) = sum_j |theta_j| / b + d log(2b),

    with the prox of g / L = soft-thresholding by (1 / b) / L (the Laplace scale is read from
    ``torch.distributions.Laplace``). Does not use the lasso formula; times 2 sigma^2 the
    objective is J with lam = 2 sigma^2 / b plus a constant.
    """
    nll, l1_weight = _laplace_posterior(X, y, sigma, b)
    L = float(torch.linalg.matrix_norm(X, ord=2)) ** 2 / float(sigma) ** 2
    if not L > 0:
        raise ParameterError("X is zero: the likelihood does not depend on theta")

    def grad(th: Tensor) -> Tensor:
        with torch.enable_grad():
            th = th.detach().requires_grad_(True)
            (g,) = torch.autograd.grad(nll(th), th)
        return g

    return _proximal_gradient(grad, L, l1_weight / L, _zeros(X), max_iter=max_iter, tol=tol)


# ---------------------------------------------------------------- a-posteriori error bounds


def l1_minimiser_distance(smooth_loss: Callable[[Tensor], Tensor], l1_weight: float, theta: Tensor) -> float:
    """A bound on ||theta - theta*||_2 for theta* = argmin F, F = f + w ||.||_1, f a strongly convex quadratic.

    F is mu-strongly convex, mu the smallest eigenvalue of the Hessian of f (autograd), so every
    subgradient s of F at theta has <s, theta - theta*> >= mu ||theta - theta*||^2 (0 is a
    subgradient at theta*), hence ||theta - theta*|| <= ||s|| / mu for the smallest one:

        s_j = df/dtheta_j + w sign(theta_j)                        where theta_j != 0,
        s_j = sign(df/dtheta_j) max(|df/dtheta_j| - w, 0)          where theta_j == 0.

    A solver's answer is then certified without knowing theta*; the bound is 0 exactly when
    theta satisfies the optimality conditions in floating point.
    """
    gradient, hessian = gradient_and_hessian(smooth_loss, theta)
    at_zero = torch.sign(gradient) * torch.clamp(gradient.abs() - l1_weight, min=0.0)
    subgradient = torch.where(theta != 0, gradient + l1_weight * torch.sign(theta), at_zero)
    mu = float(torch.linalg.eigvalsh(hessian)[0])
    return float(subgradient.norm()) / mu


def lasso_distance(X: Tensor, y: Tensor, lam: float, theta: Tensor) -> float:
    """``l1_minimiser_distance`` for the lasso J(theta) = ||y - X theta||^2 + lam ||theta||_1 (X of full column rank)."""
    _check_design(X, y)
    return l1_minimiser_distance(lambda th: ((y - X @ th) ** 2).sum(), _check_lam(lam), theta)


def laplace_map_distance(X: Tensor, y: Tensor, sigma: float, b: float, theta: Tensor) -> float:
    """``l1_minimiser_distance`` for the negative log posterior of ``map_laplace_prior``: a bound on
    ||theta - theta_MAP||_2 (X of full column rank)."""
    nll, l1_weight = _laplace_posterior(X, y, sigma, b)
    return l1_minimiser_distance(nll, l1_weight, theta)


# ---------------------------------------------------------------- sparsity


def sparsity_fractions(
    lams: Sequence[float],
    *,
    n: int,
    d: int,
    n_designs: int,
    generator: torch.Generator,
    device: torch.device,
    noise_sigma: float = 1.0,
    n_zero: int | None = None,
    lasso: Callable[[Tensor, Tensor, float], Tensor] = lasso_by_coordinate_descent,
    ridge: Callable[[Tensor, Tensor, float], Tensor] = ridge_closed_form,
) -> dict:
    """Fraction of exactly-zero coefficients of the lasso and ridge estimates, per lam.

    For each of ``n_designs`` random problems: X, noise and theta* from ``make_regression_data``
    (X_ij ~ N(0, 1), theta*_j ~ N(0, 1)), then the first ``n_zero`` (default d // 2)
    coefficients of theta* set to 0 and y = X theta*_sparse + noise_sigma * eps. For each lam:
    the lasso by ``lasso`` (default ``lasso_by_coordinate_descent``) and ridge by ``ridge``
    (default ``ridge_closed_form``), solvers (X, y, lam) -> theta, and the fraction of
    coefficients that are exactly 0 (``support`` with atol = 0).

    Returns a dict with ``lams`` (list), ``lasso`` and ``ridge`` (mean zero fraction per lam,
    lists), ``lasso_per_design`` and ``ridge_per_design`` (CPU float64 tensors of shape
    (n_designs, len(lams))), and the settings ``n``, ``d``, ``n_designs``, ``n_zero``,
    ``noise_sigma``.
    """
    lams = [_check_lam(lam) for lam in lams]
    if n_designs < 1:
        raise ParameterError(f"n_designs must be >= 1, got {n_designs}")
    n_zero = d // 2 if n_zero is None else int(n_zero)
    if not 0 <= n_zero <= d:
        raise ParameterError(f"n_zero must be in [0, d], got {n_zero}")
    device = torch.device(device)
    lasso_zeros = torch.zeros(n_designs, len(lams), dtype=DTYPE)
    ridge_zeros = torch.zeros(n_designs, len(lams), dtype=DTYPE)
    for i in range(n_designs):
        X, y_dense, theta_dense = make_regression_data(n, d, noise_sigma, generator, device)
        theta_true = theta_dense.clone()
        theta_true[:n_zero] = 0.0
        y = y_dense - X @ theta_dense + X @ theta_true  # same noise, sparse truth
        for k, lam in enumerate(lams):
            lasso_zeros[i, k] = float((~support(lasso(X, y, lam))).to(DTYPE).mean())
            ridge_zeros[i, k] = float((~support(ridge(X, y, lam))).to(DTYPE).mean())
    return {
        "lams": lams,
        "lasso": lasso_zeros.mean(0).tolist(),
        "ridge": ridge_zeros.mean(0).tolist(),
        "lasso_per_design": lasso_zeros,
        "ridge_per_design": ridge_zeros,
        "n": n,
        "d": d,
        "n_designs": n_designs,
        "n_zero": n_zero,
        "noise_sigma": noise_sigma,
    }


# ---------------------------------------------------------------- exact-zero rate of the Laplace MAP


def orthogonal_design(n: int, d: int, generator: torch.Generator, device: torch.device) -> Tensor:
    """X = sqrt(n) Q with Q the (n, d) orthonormal factor of a Gaussian matrix, so X^T X = n I."""
    Q, _ = torch.linalg.qr(torch.randn(n, d, generator=generator, dtype=DTYPE, device=device))
    return math.sqrt(n) * Q


def laplace_zero_rate(n: int, sigma: float, b: float) -> float:
    """P(theta_MAP_j = 0) for a true theta*_j = 0 under y ~ N(X theta*, sigma^2 I), X^T X = n I,
    theta_j ~ Laplace(0, b), from the lecture's L_MAP = L_NLL + (1/b) ||theta||_1 (003 L1667–1674).

    With X^T X = n I, L_MAP separates: n (theta_j - a_j)^2 / (2 sigma^2) + |theta_j| / b with the
    least-squares a_j = X_j^T y / n ~ N(theta*_j, sigma^2 / n); its minimiser is S(a_j, sigma^2 / (n b)),
    zero iff |a_j| <= sigma^2 / (n b). For theta*_j = 0: P = 2 Phi(sigma / (b sqrt(n))) - 1.
    """
    return math.erf(sigma / (b * math.sqrt(n)) / math.sqrt(2.0))


def _two_sided_binomial_bound(trials: int, p: float, false_fail_rate: float) -> tuple[float, float]:
    """The smallest c with P(|K - trials p| > c) <= false_fail_rate for K ~ Binomial(trials, p), and that probability."""
    from scipy.stats import binom

    k = np.arange(trials + 1)
    distance = np.abs(k - trials * p)
    pmf = binom.pmf(k, trials, p)
    for c in np.unique(distance):
        tail = float(pmf[distance > c].sum())
        if tail <= false_fail_rate:
            return float(c), tail
    return float(distance.max()), 0.0


def zero_rate_test(
    estimator: Callable[[Tensor, Tensor], Tensor],
    *,
    n: int,
    d: int,
    n_zero: int,
    designs: int,
    sigma: float,
    b: float,
    generator: torch.Generator,
    device: torch.device,
    false_fail_rate: float,
) -> TestOutcome:
    """Exact two-sided binomial test that ``estimator(X, y)`` zeroes the true-zero coefficients at the
    rate ``laplace_zero_rate(n, sigma, b)`` of the Laplace-prior MAP.

    Each of ``designs`` problems: X = ``orthogonal_design(n, d)``, theta*_j = 0 for j < n_zero and
    theta*_j = ±3 (random sign) otherwise, y = X theta* + sigma eps. The a_j of the true zeros are
    independent N(0, sigma^2 / n) across coefficients and designs, so the count K of exact zeros among
    the designs * n_zero true zeros is Binomial(designs * n_zero, p0) exactly when the estimator is the
    MAP. Statistic |K - trials p0|; threshold the smallest c with P(|K - trials p0| > c) <= false_fail_rate
    (the attained rate is reported).
    """
    trials = designs * n_zero
    p0 = laplace_zero_rate(n, sigma, b)
    zeros = 0
    for _ in range(designs):
        X = orthogonal_design(n, d, generator, device)
        signs = 2.0 * (torch.rand(d, generator=generator, dtype=DTYPE, device=device) < 0.5).to(DTYPE) - 1.0
        theta = 3.0 * signs * (torch.arange(d, device=device) >= n_zero).to(DTYPE)
        y = X @ theta + sigma * torch.randn(n, generator=generator, dtype=DTYPE, device=device)
        zeros += int((~support(estimator(X, y)[:n_zero])).sum())
    threshold, attained = _two_sided_binomial_bound(trials, p0, false_fail_rate)
    return TestOutcome(f"exact binomial test of the exact-zero rate p0 = {fmt(p0, '.4f')} (|K − N p0|)",
                       abs(zeros - trials * p0), threshold, trials, attained)


ZERO_RATE = {"n": 50, "d": 20, "n_zero": 15, "sigma": 1.0, "b": 0.2}
ZERO_RATE_FALSE_FAIL = 1e-4


def _wrong_lambda_lasso(X: Tensor, y: Tensor) -> Tensor:
    """The lasso with lam = sigma^2 / b on the sum of squares (the factor 2 of lam = 2 sigma^2 / b dropped)."""
    return lasso_by_coordinate_descent(X, y, ZERO_RATE["sigma"] ** 2 / ZERO_RATE["b"])


# --- executable specification: L1 vs L2 sparsity (reference_models/regularised.py) -------------------------------------

SPARSITY_LAMS = (0.0, 1.0, 5.0, 20.0, 50.0, 200.0)


@specification("lasso-sparsity", "Laplace prior ↔ L1: exact zeros; Gaussian prior ↔ L2: none", family="map",
               statements="L1 regularisation (a Laplace prior) sets coefficients exactly to zero, L2 (a Gaussian prior) only "
               "shrinks them (003 L129–130, L1667–1674; 000 L240); the Laplace-prior MAP, L_NLL + (1/b)‖θ‖₁ (003 L1667–1674), "
               "zeroes a true-zero coefficient at the soft-threshold rate 2Φ(σ/(b√n)) − 1", steps=2, report="never")
def run_lasso_sparsity(ctx: RunContext) -> SpecResult:
    result = ctx.result("lasso-sparsity")
    designs = 20 if ctx.quick else 100
    ctx.step(f"lasso and ridge on {designs} random designs")
    out = sparsity_fractions(SPARSITY_LAMS, n=50, d=10, n_designs=designs, generator=ctx.generator(1),
                             device=ctx.device)
    rows = [(f"{fmt(lam, 'g')}", f"{fmt(lasso, '.3f')}", f"{fmt(ridge, '.3f')}") for lam, lasso, ridge in zip(out["lams"], out["lasso"], out["ridge"])]
    result.tables.append(ResultTable(f"Mean fraction of exactly-zero coefficients ({designs} designs, n=50, d=10, "
                                     f"{out['n_zero']} true zeros)", ("λ", "lasso", "ridge"), rows))
    lasso = out["lasso"]
    result.checks.append(Check("the lasso's zero fraction grows with λ, ridge has none",
                               all(a <= b for a, b in zip(lasso, lasso[1:])) and max(out["ridge"]) == 0 and lasso[-1] > 0.4,
                               f"lasso {fmt(lasso[0], '.2f')} → {fmt(lasso[-1], '.2f')}; ridge max {fmt(max(out['ridge']), '.2f')} (zeros compared exactly, "
                               "atol 0; the largest λ must zero > 0.4)"))
    designs = 20 if ctx.quick else 100
    replicates = 10 if ctx.quick else 20
    ctx.step(f"exact-zero rate of the Laplace-prior MAP on {designs} orthogonal designs; power ({replicates} replicates)")
    settings = {k: ZERO_RATE[k] for k in ("n", "d", "n_zero", "sigma")}
    sigma, b = ZERO_RATE["sigma"], ZERO_RATE["b"]

    def rate_test(estimator, salt: int) -> TestOutcome:
        return zero_rate_test(estimator, **settings, designs=designs, b=b, generator=ctx.generator(salt),
                              device=ctx.device, false_fail_rate=ZERO_RATE_FALSE_FAIL)

    outcome = rate_test(lambda X, y: map_laplace_prior(X, y, sigma, b), 2)
    wrong = power(lambda r: rate_test(_wrong_lambda_lasso, 100 + r),
                  f"the lasso with λ = σ²/b on the sum of squares (factor 2 dropped; zero rate "
                  f"{fmt(laplace_zero_rate(ZERO_RATE['n'], sigma, 2 * b), '.3f')})", replicates)
    result.checks.append(Check.tested(f"the Laplace(0, b = {fmt(b, 'g')}) MAP zeroes true-zero coefficients at rate "
                                      f"{fmt(laplace_zero_rate(ZERO_RATE['n'], sigma, b), '.4f')} (λ = 1/b on the NLL)",
                                      outcome, wrong))
    path = ctx.figure_path("lasso_sparsity.png")
    if path is not None:
        plt = pyplot()
        fig, ax = plt.subplots(figsize=(6, 3.6))
        ax.plot(out["lams"], lasso, marker="o", label="lasso (L1, Laplace prior)")
        ax.plot(out["lams"], out["ridge"], marker="s", label="ridge (L2, Gaussian prior)")
        ax.set_xscale("symlog", linthresh=1.0)
        ax.set_xlabel("λ")
        ax.set_ylabel("fraction of coefficients exactly 0")
        ax.legend(fontsize=8, frameon=False)
        fig.tight_layout()
        save_figure(fig, path, "Fraction of exactly-zero coefficients against λ: the lasso zeroes coefficients, ridge "
                "never does.", result)
    return result
