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

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor

from derivspec.core.errors import ParameterError
from derivspec.core.lazy import lazy
from derivspec.core.numbers import fmt
from derivspec.reference_models.device import DTYPE
from derivspec.reference_models.fit_tests import TestOutcome, ks_test, power
from derivspec.reference_models.specification import (Check, ResultTable, RunContext, SpecResult, pyplot, save_figure,
                                                      specification)

stats = lazy("scipy.stats")

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


def _check_design(X: Tensor, y: Tensor, *, batched: bool = False) -> None:
    """X (n, d) and y (n,) in float64 on one device; ``batched``: also stacks of them, (..., n, d) and (..., n)."""
    if X.dim() < 2 or (X.dim() != 2 and not batched) or y.shape != X.shape[:-1]:
        shapes = "X (..., n, d) and y (..., n)" if batched else "X (n, d) and y (n,)"
        raise ParameterError(f"expected {shapes}, got {tuple(X.shape)} and {tuple(y.shape)}")
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
    A stack of data sets, X (..., n, d) and y (..., n), is solved at once, each on its own.
    """
    _check_design(X, y, batched=True)
    if X.dim() == 2:
        return torch.linalg.solve(X.T @ X, X.T @ y)
    return torch.linalg.solve(X.mT @ X, (X.mT @ y.unsqueeze(-1)).squeeze(-1))


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


# --- executable specification: linear regression is Gaussian maximum likelihood (reference_models/regression.py) -------

LINEAR_FALSE_FAIL_RATE = 1e-4  # each statistical check of the spec fails a true statement at most once in 10 000 runs
LINEAR_THETA = (1.0, 2.0, -1.0, 0.5)  # bias first, then the weights of three N(0, 1) features
LINEAR_SIGMA = 0.8
GD_STOP = 1e-12  # gradient descent stops when its own max-abs gradient is below this
ROUNDING = 64 * torch.finfo(DTYPE).eps  # float64 safety margin for the solves (times κ(AᵀA) and ‖θ̂‖)


def linear_data(n: int, theta: Tensor, sigma: float, generator: torch.Generator, *,
                noise: str = "gaussian", batch: tuple[int, ...] = ()) -> tuple[Tensor, Tensor]:
    """Design A = [1, X] (X_ij ~ N(0, 1)) and y = A θ + σ ε with ε ~ N(0, 1) (003 L1232–1240).

    ``noise="laplace"`` (a broken variant: heavy-tailed noise, 000 L442–447) draws ε from a
    Laplace law of variance 1 instead. ``batch``: that many independent data sets at once, A (*batch, n, d)
    and y (*batch, n). All draws come from ``generator``, on its device."""
    device = generator.device
    features = torch.randn(*batch, n, theta.numel() - 1, generator=generator, dtype=DTYPE, device=device)
    A = torch.cat([torch.ones(*batch, n, 1, dtype=DTYPE, device=device), features], -1)
    if noise == "gaussian":
        eps = torch.randn(*batch, n, generator=generator, dtype=DTYPE, device=device)
    elif noise == "laplace":  # −log U · random sign, scaled to variance 1 (Laplace(0, b) has variance 2b²)
        u = torch.rand(2, *batch, n, generator=generator, dtype=DTYPE, device=device)
        eps = -torch.log1p(-u[0]) * torch.where(u[1] < 0.5, -1.0, 1.0) / math.sqrt(2.0)
    else:
        raise ParameterError(f"noise must be 'gaussian' or 'laplace', got {noise!r}")
    return A, A @ theta + sigma * eps


def least_squares_fit(A: Tensor, y: Tensor, *, drop_bias: bool = False) -> tuple[Tensor, Tensor, Tensor]:
    """θ̂ by the normal equations, residuals r = y − A θ̂ and the noise-variance MLE σ̂² = ‖r‖²/N.

    σ̂² maximises ℓ(θ̂, σ²) of 003 L1262 over σ² (the regression form of 004 L725). ``drop_bias=True``
    (a broken variant) fits without the intercept column; its θ̂ has 0 in that place. A stack of data sets,
    A (..., N, d) and y (..., N), is fitted at once: θ̂ (..., d), r (..., N) and σ̂² (...)."""
    columns = A[..., 1:] if drop_bias else A
    theta = normal_equations(columns, y)
    if drop_bias:
        theta = torch.cat([theta.new_zeros(*theta.shape[:-1], 1), theta], -1)
    residuals = y - (A @ theta if A.dim() == 2 else (A @ theta.unsqueeze(-1)).squeeze(-1))
    return theta, residuals, residuals.pow(2).mean(-1)


def mse_gradient(A: Tensor, y: Tensor, theta: Tensor) -> Tensor:
    """∇_θ (1/N)‖y − Aθ‖² = −(2/N) Aᵀ(y − Aθ) (003 L1290, divided by N as in L84)."""
    return -2.0 * A.T @ (y - A @ theta) / y.numel()


def gradient_descent(A: Tensor, y: Tensor, *, gradient=mse_gradient, steps: int = 20_000,
                     stop: float = GD_STOP) -> tuple[Tensor, int]:
    """θ ← θ − η ∇L from θ = 0 (003 L89) with η = 1/L, L = 2 λ_max(AᵀA)/N the gradient's Lipschitz
    constant; stops when max |gradient| ≤ ``stop`` or after ``steps``. ``gradient(A, y, θ)`` is the
    supplied gradient (a broken variant passes a wrong one). Returns θ and the steps taken."""
    lr = y.numel() / (2.0 * float(torch.linalg.eigvalsh(A.T @ A)[-1]))
    theta = torch.zeros(A.shape[1], dtype=DTYPE, device=A.device)
    for step in range(steps):
        g = gradient(A, y, theta)
        size = float(g.abs().max())
        if not size > stop:  # converged, or non-finite (returned as is: the comparison then fails)
            return theta, step
        theta = theta - lr * g
    return theta, steps


def gaussian_nll_fit(A: Tensor, y: Tensor, scale: float, *, log_prob=None) -> tuple[Tensor, float]:
    """argmin_θ −Σ log p(y_i − a_iᵀθ) for the noise law N(0, scale²) (003 L1256–1262), by LBFGS with autograd,
    and a bound on its distance to the exact minimiser: ‖∇‖₂ / λ_min(∇²) at the result (strong convexity).

    ``log_prob(residuals, scale)`` replaces the Gaussian log density (a broken variant: a Student-t)."""
    log_prob = log_prob or (lambda r, s: torch.distributions.Normal(0.0, s).log_prob(r))

    def nll(th: Tensor) -> Tensor:
        return -log_prob(y - A @ th, scale).sum()

    theta = lbfgs_minimise(nll, torch.zeros(A.shape[1], dtype=DTYPE, device=A.device), max_iter=200)
    with torch.enable_grad():
        point = theta.clone().requires_grad_(True)
        (grad,) = torch.autograd.grad(nll(point), point)
    hessian = torch.autograd.functional.hessian(nll, theta)
    return theta, float(grad.norm()) / float(torch.linalg.eigvalsh(hessian)[0])


def routes_agree(A: Tensor, y: Tensor, *, gradient=mse_gradient, log_prob=None) -> tuple[bool, list[tuple], str]:
    """Normal equations (003 L1290–1292) vs gradient descent on the MSE (L89, L1294) vs LBFGS on the Gaussian NLL
    at two noise scales (L1262–1278: the MLE does not depend on σ). Tolerances, derived:

    * gradient descent stops at max |∇| ≤ s; for L = (1/N)‖y − Aθ‖², strongly convex with μ = 2 λ_min(AᵀA)/N,
      ‖θ − θ̂‖₂ ≤ ‖∇L(θ)‖₂/μ ≤ √d s/μ — valid only if its gradient is L's (a wrong one stops elsewhere);
    * the NLL fit: ‖θ − θ_NLL‖₂ ≤ ‖∇NLL‖₂/λ_min(∇²NLL) at its result, so it matches θ̂ only if θ_NLL = θ̂;
    * plus float64 rounding of the solve, 64 ε κ(AᵀA) ‖θ̂‖₂.
    """
    closed = normal_equations(A, y)
    eig = torch.linalg.eigvalsh(A.T @ A)
    rounding = ROUNDING * float(eig[-1] / eig[0]) * float(closed.norm())
    mu = 2.0 * float(eig[0]) / y.numel()
    gd, steps = gradient_descent(A, y, gradient=gradient)
    routes = [(f"gradient descent on the MSE ({steps} steps)", gd, math.sqrt(A.shape[1]) * GD_STOP / mu + rounding)]
    for scale in (0.5, 2.0):
        theta, bound = gaussian_nll_fit(A, y, scale, log_prob=log_prob)
        routes.append((f"LBFGS on the NLL, σ = {fmt(scale, 'g')}", theta, bound + rounding))
    rows, holds = [], True
    for name, theta, tol in routes:
        distance = float((theta - closed).norm())
        ok = distance <= tol  # False for NaN
        holds &= ok
        rows.append((name, ", ".join(f"{fmt(v, '.6f')}" for v in theta.tolist()), f"{fmt(distance, '.2e')}", f"{fmt(tol, '.2e')}",
                     "yes" if ok else "NO"))
    return holds, [("normal equations", ", ".join(f"{fmt(v, '.6f')}" for v in closed.tolist()), "0", "", ""), *rows], \
        f"max distance {fmt(max(float((t - closed).norm()) for _, t, _ in routes), '.2e')}"


def residual_test(A: Tensor, y: Tensor, *, drop_bias: bool = False,
                  false_fail_rate: float = LINEAR_FALSE_FAIL_RATE) -> TestOutcome:
    """KS test of the fitted residuals against N(0, σ̂²) (003 L1232–1240: y scatters around θᵀx with N(0, σ²) noise).

    Conservative: σ̂ is fitted to the same residuals (which makes D smaller, as in Lilliefors' test), and the residuals'
    leverage correlations are O(d/N); so the false-fail rate is at most the stated one."""
    _, residuals, variance = least_squares_fit(A, y, drop_bias=drop_bias)
    return ks_test(residuals / variance.sqrt(), stats.norm.cdf, false_fail_rate)


def variance_mle_test(n: int, replicates: int, theta: Tensor, sigma: float, generator: torch.Generator, *,
                      noise: str = "gaussian", drop_bias: bool = False, dof: int | None = None,
                      false_fail_rate: float = LINEAR_FALSE_FAIL_RATE) -> TestOutcome:
    """KS test that N σ̂²/σ² ~ χ²_{N−d} over ``replicates`` independent small data sets (Cochran's theorem for
    the MLE σ̂² = RSS/N; so E σ̂² = σ² (N − d)/N: the MLE is biased low, as 004 L725 is for d = 1).
    ``dof`` replaces N − d as the reference (N: the MLE read as unbiased). The data sets are drawn and fitted as
    one batch (:func:`linear_data`, :func:`least_squares_fit`)."""
    A, y = linear_data(n, theta, sigma, generator, noise=noise, batch=(replicates,))
    values = n * least_squares_fit(A, y, drop_bias=drop_bias)[2] / sigma**2
    dof = n - theta.numel() if dof is None else dof
    return ks_test(values, stats.chi2(dof).cdf, false_fail_rate)


@specification("linear-regression", "Linear regression: Gaussian MLE = least squares = the normal equations",
               family="nll", statements="y = θᵀx + ε with ε ~ N(0, σ²) (003 L1232–1240); its NLL is the MSE up to "
               "constants, so the MLE is least squares (003 L1256–1278; 000 L395–401) and solves the normal equations, "
               "which gradient descent reaches too (003 L84–89, L1286–1294); σ̂² = RSS/N maximises ℓ over σ² (L1262; "
               "004 L725 for d = 1) (claims nll.gaussian, nll.gaussian.mse-scale, nll.gaussian.ols-gradient)",
               steps=3, report="always")
def run_linear_regression(ctx: RunContext) -> SpecResult:
    result = ctx.result("linear-regression")
    n, replicates, var_replicates = (5000, 30, 2000) if ctx.quick else (20_000, 100, 10_000)
    theta = torch.tensor(LINEAR_THETA, dtype=DTYPE, device=ctx.device)

    ctx.step(f"three routes to θ̂ on N = {n:,}")
    A, y = linear_data(n, theta, LINEAR_SIGMA, ctx.generator(1))
    holds, rows, evidence = routes_agree(A, y)
    result.tables.append(ResultTable(f"θ̂ by three routes (θ* = {LINEAR_THETA}, σ = {LINEAR_SIGMA}, N = {n:,})",
                                     ("route", "θ̂", "‖θ − θ̂_normal‖", "derived tolerance", "agrees"), rows))
    result.checks.append(Check("the Gaussian-NLL minimiser (any σ) and gradient descent on the MSE both solve the normal "
                               "equations", holds, evidence + " (tolerances: strong convexity + float64 rounding)"))

    ctx.step("residuals against N(0, σ̂²)")
    outcome = residual_test(A, y)
    alternative = power(lambda r: residual_test(*linear_data(n, theta, LINEAR_SIGMA, ctx.generator(100 + r),
                                                             noise="laplace")),
                        f"Laplace noise of the same variance (heavy tails), N = {n:,}", replicates)
    _, residuals, variance = least_squares_fit(A, y)
    result.checks.append(Check("the fitted residuals are N(0, σ̂²)", outcome.passed,
                               f"{outcome.describe()}; σ̂ = {fmt(float(variance.sqrt()), '.4f')} (σ = {LINEAR_SIGMA}); "
                               f"{alternative.describe()}", outcome, alternative))

    ctx.step(f"σ̂² on {var_replicates:,} data sets of N = 10")
    small = 10
    outcome = variance_mle_test(small, var_replicates, theta, LINEAR_SIGMA, ctx.generator(2))
    alternative = power(lambda r: variance_mle_test(small, var_replicates, theta, LINEAR_SIGMA, ctx.generator(200 + r),
                                                    dof=small), "N σ̂²/σ² ~ χ²_N (σ̂² read as unbiased)",
                        10 if ctx.quick else 20)
    result.checks.append(Check.tested(f"N σ̂²/σ² ~ χ²_(N−d): the variance MLE is biased by (N − d)/N (N = {small}, d = 4)",
                                      outcome, alternative))

    path = ctx.figure_path("linear_regression_residuals.png")
    if path is not None:
        plt = pyplot()
        fig, ax = plt.subplots(figsize=(6, 3.6))
        r = (residuals / variance.sqrt()).cpu().numpy()
        grid = np.linspace(-4, 4, 200)
        ax.hist(r, bins=80, density=True, alpha=0.6, label="standardised residuals")
        ax.plot(grid, stats.norm.pdf(grid), label="N(0, 1)")
        ax.set_xlabel("r / σ̂")
        ax.legend(fontsize=8, frameon=False)
        fig.tight_layout()
        save_figure(fig, path, f"Residuals of the least-squares fit (N = {n:,}) standardised by the MLE σ̂, against "
                    "the standard normal density.", result)
    return result
