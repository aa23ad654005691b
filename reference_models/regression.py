"""Linear regression reference models (executable specifications).

Spec of the lecture statement "the maximum-likelihood estimate under i.i.d. Gaussian
noise is the least-squares estimate, which solves the normal equations":

    y = X theta* + eps,  eps ~ N(0, sigma^2 I)
    argmin_theta  -sum_i log N(y_i | x_i^T theta, sigma^2)
      = argmin_theta  (1/n) ||X theta - y||^2
      = (X^T X)^{-1} X^T y            (X of full column rank)

Three independent routes compute the same estimator: the closed form
(``normal_equations``), numerical minimisation of the mean squared error
(``fit_by_mse``) and numerical minimisation of the Gaussian negative log-likelihood
(``fit_by_gaussian_nll``). Everything runs in float64 on the device of the inputs;
randomness comes only from an explicit ``torch.Generator``.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import Tensor

from derivspec.core.errors import ParameterError
from derivspec.reference_models.device import DTYPE

__all__ = [
    "make_regression_data",
    "normal_equations",
    "fit_by_mse",
    "fit_by_gaussian_nll",
]

# LBFGS settings shared by the numerical fits (see ``lbfgs_minimise``).
LBFGS_HISTORY = 20
LBFGS_RTOL_GRAD = 1e-13
LBFGS_POLISH_ITER = 50
LBFGS_POLISH_ROUNDS = 2


def _check_design(X: Tensor, y: Tensor) -> None:
    if X.dim() != 2 or y.dim() != 1 or X.shape[0] != y.shape[0]:
        raise ParameterError(f"expected X (n, d) and y (n,), got {tuple(X.shape)} and {tuple(y.shape)}")
    if X.dtype != DTYPE or y.dtype != DTYPE:
        raise ParameterError(f"expected float64 tensors, got {X.dtype} and {y.dtype}")
    if X.device != y.device:
        raise ParameterError(f"X on {X.device} but y on {y.device}")


def lbfgs_minimise(loss_fn: Callable[[Tensor], Tensor], theta0: Tensor, *, max_iter: int) -> Tensor:
    """Minimise a smooth, strictly convex ``loss_fn(theta)`` with ``torch.optim.LBFGS``.

    Phase 1: LBFGS with the strong-Wolfe line search from ``theta0``, up to ``max_iter``
    iterations. Convergence criterion: max-abs gradient <= ``LBFGS_RTOL_GRAD *
    max(1, |grad(theta0)|_inf)`` (relative to the starting gradient, so a loss summed over
    n examples and one averaged over them stop at the same relative accuracy).
    ``tolerance_change`` is 0: LBFGS never stops just because the loss value stops changing.

    Near the optimum the line search compares loss values that differ only by float64
    rounding (that happens while the gradient is still ~1e-9, i.e. the weights are off by
    up to ~1e-8), rejects good trial points, and LBFGS stops on a zero step.
    Phase 2 (only then; at most ``LBFGS_POLISH_ROUNDS`` rounds of ``LBFGS_POLISH_ITER``
    iterations): zoom in around the best point, theta = base + eps * u with eps = its
    max-abs gradient and the loss scaled by 1/eps^2 (same minimiser; u and the curvature
    pairs are O(1), so LBFGS's absolute ``ys > 1e-10`` memory test still accepts them), and
    run a fresh LBFGS over u with unit steps and no line search. That uses gradients only,
    which stay accurate far below the loss-rounding floor. (Merely continuing phase 1
    without the line search diverges: its curvature memory is stale.)
    Every point the closure evaluates is tracked and the one with the smallest max-abs
    gradient is returned (a NaN point is never kept), so phase 2 can only improve on
    phase 1. Typical accuracy in theta: ~1e-12 for n = 200, d = 3.
    Returns a detached tensor (same shape, dtype and device as ``theta0``).
    """
    if max_iter < 1:
        raise ParameterError(f"max_iter must be >= 1, got {max_iter}")
    theta = theta0.detach().clone().requires_grad_(True)
    with torch.enable_grad():
        (g0,) = torch.autograd.grad(loss_fn(theta), theta)
    tol = LBFGS_RTOL_GRAD * max(1.0, float(g0.abs().max()))
    optimizer = torch.optim.LBFGS(
        [theta],
        lr=1.0,
        max_iter=max_iter,
        max_eval=2 * max_iter,
        tolerance_grad=tol,
        tolerance_change=0.0,
        history_size=LBFGS_HISTORY,
        line_search_fn="strong_wolfe",
    )

    best = {"gmax": math.inf, "theta": theta.detach().clone()}

    def track(point: Tensor, grad: Tensor) -> None:
        gmax = float(grad.abs().max())
        if gmax < best["gmax"]:  # NaN never compares smaller, so a NaN point is never kept
            best["gmax"] = gmax
            best["theta"] = point.detach().clone()

    def closure() -> Tensor:
        optimizer.zero_grad(set_to_none=False)
        loss = loss_fn(theta)
        loss.backward()
        track(theta, theta.grad)
        return loss

    with torch.enable_grad():
        optimizer.step(closure)
        for _ in range(LBFGS_POLISH_ROUNDS):
            if best["gmax"] <= tol or not best["gmax"] > 0:
                break
            # Phase 2: the line search stalled at the loss-rounding floor. Zoom in:
            # theta = base + eps * u with eps = current max-abs gradient, loss scaled by
            # 1/eps^2 (same minimiser, same Hessian in u, u = O(1)), and run a fresh LBFGS
            # over u with unit steps and no line search: gradients only, no loss values.
            base, eps = best["theta"], best["gmax"]
            u = torch.zeros_like(base, requires_grad=True)
            polish = torch.optim.LBFGS(
                [u],
                lr=1.0,
                max_iter=LBFGS_POLISH_ITER,
                max_eval=2 * LBFGS_POLISH_ITER,
                tolerance_grad=tol / eps,
                tolerance_change=0.0,
                history_size=LBFGS_HISTORY,
                line_search_fn=None,
            )

            def polish_closure() -> Tensor:
                polish.zero_grad(set_to_none=False)
                point = base + eps * u
                loss = loss_fn(point) / eps**2
                loss.backward()
                track(point, u.grad * eps)
                return loss

            polish.step(polish_closure)
    return best["theta"]


def make_regression_data(
    n: int, d: int, noise_sigma: float, generator: torch.Generator, device: torch.device
) -> tuple[Tensor, Tensor, Tensor]:
    """Draw a linear-Gaussian regression problem.

    X_ij ~ N(0, 1) i.i.d. (n, d);  theta*_j ~ N(0, 1) (d,);  y = X theta* + sigma * eps,
    eps ~ N(0, I_n). Returns ``(X, y, theta*)`` in float64 on ``device``; all draws come
    from ``generator`` (which must live on ``device``).
    """
    if n < 1 or d < 1:
        raise ParameterError(f"n and d must be >= 1, got n={n}, d={d}")
    if not (math.isfinite(noise_sigma) and noise_sigma >= 0):
        raise ParameterError(f"noise_sigma must be finite and >= 0, got {noise_sigma}")
    device = torch.device(device)
    X = torch.randn(n, d, generator=generator, dtype=DTYPE, device=device)
    theta = torch.randn(d, generator=generator, dtype=DTYPE, device=device)
    eps = torch.randn(n, generator=generator, dtype=DTYPE, device=device)
    y = X @ theta + noise_sigma * eps
    return X, y, theta


def normal_equations(X: Tensor, y: Tensor) -> Tensor:
    """Least-squares estimate from the normal equations (X^T X) theta = X^T y.

    Spec of "the least-squares minimiser solves the normal equations"; solved with
    ``torch.linalg.solve`` (no explicit inverse, no lstsq). Needs X of full column rank.
    """
    _check_design(X, y)
    return torch.linalg.solve(X.T @ X, X.T @ y)


def fit_by_mse(X: Tensor, y: Tensor, *, max_iter: int = 200) -> Tensor:
    """argmin_theta (1/n) sum_i (x_i^T theta - y_i)^2, numerically.

    Minimises ``F.mse_loss(X @ theta, y)`` (mean reduction) from theta = 0 with LBFGS
    (strong Wolfe) until the gradient test of ``lbfgs_minimise`` holds. Spec of the
    least-squares estimator, reached without the closed form.
    """
    _check_design(X, y)
    theta0 = torch.zeros(X.shape[1], dtype=DTYPE, device=X.device)
    return lbfgs_minimise(lambda th: F.mse_loss(X @ th, y), theta0, max_iter=max_iter)


def fit_by_gaussian_nll(X: Tensor, y: Tensor, sigma: float, *, max_iter: int = 200) -> Tensor:
    """Maximum-likelihood theta under y_i ~ N(x_i^T theta, sigma^2), numerically.

    Minimises -sum_i log N(y_i | x_i^T theta, sigma^2) (via
    ``torch.distributions.Normal(X @ theta, sigma).log_prob(y).sum()``) from theta = 0 with
    LBFGS (strong Wolfe). Spec of "MLE under Gaussian noise = least squares": the result
    does not depend on sigma (> 0) and equals ``normal_equations(X, y)``.
    """
    _check_design(X, y)
    if not (math.isfinite(sigma) and sigma > 0):
        raise ParameterError(f"sigma must be finite and > 0, got {sigma}")
    theta0 = torch.zeros(X.shape[1], dtype=DTYPE, device=X.device)

    def nll(th: Tensor) -> Tensor:
        return -torch.distributions.Normal(X @ th, sigma).log_prob(y).sum()

    return lbfgs_minimise(nll, theta0, max_iter=max_iter)
