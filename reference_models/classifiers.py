"""Logistic-regression and softmax-classifier reference models (executable specifications).

Spec of the lecture statements
  * "minimising the binary cross-entropy is maximum likelihood for a Bernoulli model
    p(y=1|x) = sigma(x^T theta), and d/dz BCE(y, z) = sigma(z) - y", so that
    grad_theta (1/n) sum_i BCE(y_i, x_i^T theta) = X^T (sigma(X theta) - y) / n;
  * "minimising the cross-entropy of a softmax classifier is maximum likelihood for a
    categorical model p(y=j|x) = softmax(W^T x)_j, and d/dlogits CE = softmax(logits) - onehot",
    so that grad_W (1/n) sum_i CE_i = X^T (softmax(X W) - Y) / n.

Each model is fitted twice: by LBFGS on the torch loss (autograd, the reference) and by
plain gradient descent driven by a *supplied* derivative of the per-example loss with
respect to the logits. A correct candidate derivative reaches the same optimum; a wrong
one does not. Everything is float64 on the device of the inputs; randomness comes only
from an explicit ``torch.Generator``.

Identifiability of the softmax model: logits ``X W`` and ``X W + X c 1^T`` give the same
probabilities for every c, so the cross-entropy has a whole line of minimisers. Here the
last class's weight column is pinned to zero (only the first k-1 columns are free), which
makes the minimiser unique when the data are not separable and X has full column rank.
The true ``W*`` returned by ``make_multiclass_data`` uses the same convention.
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
from derivspec.reference_models.fit_tests import TestOutcome, power
from derivspec.reference_models.regression import lbfgs_minimise
from derivspec.reference_models.specification import (Check, ResultTable, RunContext, SpecResult, pyplot, save_figure,
                                                      specification)

stats = lazy("scipy.stats")

__all__ = [
    "make_binary_data",
    "fit_logistic_by_bce",
    "fit_logistic_by_gradient",
    "make_multiclass_data",
    "fit_softmax_by_ce",
    "fit_softmax_by_gradient",
    "is_separable",
]

# Scale of the true weights: logits of a typical example have standard deviation ~1.5,
# so labels are noisy (no separation at the sample sizes used) and conditioning is good.
TRUE_WEIGHT_SCALE = 1.5
# Label redraws allowed when a draw happens to be separable (then the MLE is infinite).
MAX_LABEL_DRAWS = 100
# Defaults of the gradient-descent fits.
GD_STEPS = 5000
GD_GTOL = 1e-13


def _check_inputs(X: Tensor, y: Tensor) -> None:
    if X.dim() != 2 or y.dim() != 1 or X.shape[0] != y.shape[0]:
        raise ParameterError(f"expected X (n, d) and y (n,), got {tuple(X.shape)} and {tuple(y.shape)}")
    if X.dtype != DTYPE:
        raise ParameterError(f"expected float64 X, got {X.dtype}")
    if X.device != y.device:
        raise ParameterError(f"X on {X.device} but y on {y.device}")


def _check_sizes(n: int, d: int, k: int = 2) -> None:
    if d < 1 or k < 2 or n <= d:
        raise ParameterError(f"need d >= 1, k >= 2 and n > d, got n={n}, d={d}, k={k}")


def is_separable(X: Tensor, labels: Tensor, k: int) -> bool:
    """Whether the (maximum-likelihood) cross-entropy has no finite minimiser.

    With the last class pinned (w_k = 0), the loss keeps decreasing along a direction
    D != 0 iff every margin x_i^T (d_{y_i} - d_j) >= 0 (j != y_i): (quasi-)complete
    separation. Decided by the linear programme
        max  sum_{i, j != y_i} x_i^T (d_{y_i} - d_j)   s.t. each margin >= 0, |D| <= 1,
    whose optimum is 0 exactly when no such direction exists (given X of full column
    rank, which is also checked). k = 2 with labels in {0, 1} is the logistic case.
    Solved on the CPU with scipy's HiGHS.
    """
    import numpy as np
    from scipy.optimize import linprog

    Xn = X.detach().to("cpu", DTYPE).numpy()
    yn = labels.detach().to("cpu").long().numpy()
    n, d = Xn.shape
    if np.linalg.matrix_rank(Xn) < d:
        return True  # a direction with X D = 0 leaves the loss unchanged: no unique minimiser
    free = k - 1
    rows = []
    for j in range(k):
        for i in np.nonzero(yn != j)[0]:
            # margin_ij = x_i^T (d_{y_i} - d_j), d_{k-1} == 0
            row = np.zeros((d, free))
            if yn[i] < free:
                row[:, yn[i]] += Xn[i]
            if j < free:
                row[:, j] -= Xn[i]
            rows.append(row.ravel())
    A = np.asarray(rows)
    result = linprog(
        c=-A.sum(axis=0), A_ub=-A, b_ub=np.zeros(len(rows)), bounds=[(-1.0, 1.0)] * (d * free), method="highs"
    )
    if result.status != 0:
        raise RuntimeError(f"separability LP failed: {result.message}")
    return -result.fun > 1e-9 * max(1.0, float(np.abs(A).sum()))


def make_binary_data(
    n: int, d: int, generator: torch.Generator, device: torch.device
) -> tuple[Tensor, Tensor, Tensor]:
    """Draw a logistic-regression problem: X_ij ~ N(0, 1), y_i ~ Bernoulli(sigma(x_i^T theta*)).

    theta* ~ N(0, (1.5^2 / d) I). Returns ``(X, y, theta*)``, y as float64 0/1, all float64 on
    ``device``, all draws from ``generator``. The labels are redrawn (same generator) if a
    draw is separable (``is_separable``), so the maximum-likelihood estimate is finite.
    """
    _check_sizes(n, d)
    device = torch.device(device)
    X = torch.randn(n, d, generator=generator, dtype=DTYPE, device=device)
    theta = torch.randn(d, generator=generator, dtype=DTYPE, device=device) * (TRUE_WEIGHT_SCALE / math.sqrt(d))
    p = torch.sigmoid(X @ theta)
    for _ in range(MAX_LABEL_DRAWS):
        y = torch.bernoulli(p, generator=generator)
        if not is_separable(X, y, 2):
            return X, y, theta
    raise ParameterError(f"could not draw non-separable binary data with n={n}, d={d}")


def fit_logistic_by_bce(X: Tensor, y: Tensor, *, max_iter: int = 200) -> Tensor:
    """Logistic-regression MLE: argmin_theta (1/n) sum_i BCE(y_i, x_i^T theta), numerically.

    LBFGS (strong Wolfe, from theta = 0; see ``regression.lbfgs_minimise`` for the stopping
    rule) on ``F.binary_cross_entropy_with_logits(X @ theta, y)`` with mean reduction,
    gradients by autograd. The reference optimum for ``fit_logistic_by_gradient``.
    """
    _check_inputs(X, y)
    y = y.to(DTYPE)
    theta0 = torch.zeros(X.shape[1], dtype=DTYPE, device=X.device)
    return lbfgs_minimise(lambda th: F.binary_cross_entropy_with_logits(X @ th, y), theta0, max_iter=max_iter)


def fit_logistic_by_gradient(
    X: Tensor,
    y: Tensor,
    dloss_dlogit: Callable[[Tensor, Tensor], Tensor],
    *,
    lr: float | None = None,
    steps: int = GD_STEPS,
    gtol: float = GD_GTOL,
) -> Tensor:
    """Gradient descent on the mean loss using a supplied per-example derivative.

    Chain rule: for L(theta) = (1/n) sum_i l(y_i, z_i), z = X theta,
        grad_theta L = X^T dloss_dlogit(y, X theta) / n.
    Iterates theta <- theta - lr * grad from theta = 0 and returns as soon as
    max-abs(grad) <= gtol, or after ``steps`` steps. Default lr = 1/L with the Lipschitz
    bound of the BCE gradient L = ||X||_2^2 / (4n) (since sigma' <= 1/4). With the correct
    derivative sigma(z) - y this reaches the BCE optimum (``fit_logistic_by_bce``); a
    wrong derivative lands elsewhere or diverges. If the iterate becomes non-finite it is
    returned as is (the caller's comparison then fails).
    """
    _check_inputs(X, y)
    y = y.to(DTYPE)
    n, d = X.shape
    if lr is None:
        lr = 4.0 * n / float(torch.linalg.matrix_norm(X, ord=2)) ** 2
    theta = torch.zeros(d, dtype=DTYPE, device=X.device)
    for _ in range(steps):
        g_logit = dloss_dlogit(y, X @ theta)
        if g_logit.shape != (n,):
            raise ParameterError(f"dloss_dlogit returned shape {tuple(g_logit.shape)}, expected ({n},)")
        grad = X.T @ g_logit.to(DTYPE) / n
        gmax = float(grad.abs().max())
        if gmax <= gtol:
            break
        theta = theta - lr * grad
        if not math.isfinite(gmax):
            break  # theta is now non-finite: hand it back unchanged
    return theta


def make_multiclass_data(
    n: int, d: int, k: int, generator: torch.Generator, device: torch.device
) -> tuple[Tensor, Tensor, Tensor]:
    """Draw a softmax-classification problem: X_ij ~ N(0, 1), y_i ~ Categorical(softmax(x_i^T W*)).

    W* is (d, k): the first k-1 columns ~ N(0, (1.5^2 / d) I), the last column 0 (the
    pinning convention of this module). Returns ``(X, y, W*)`` with y as int64 labels in
    0..k-1, all on ``device``, all draws from ``generator``; labels are redrawn if a draw
    is separable (``is_separable``), so the maximum-likelihood estimate is finite.
    """
    _check_sizes(n, d, k)
    device = torch.device(device)
    X = torch.randn(n, d, generator=generator, dtype=DTYPE, device=device)
    W = torch.zeros(d, k, dtype=DTYPE, device=device)
    W[:, : k - 1] = torch.randn(d, k - 1, generator=generator, dtype=DTYPE, device=device) * (
        TRUE_WEIGHT_SCALE / math.sqrt(d)
    )
    probs = torch.softmax(X @ W, dim=1)
    for _ in range(MAX_LABEL_DRAWS):
        y = torch.multinomial(probs, 1, generator=generator).squeeze(1)
        if not is_separable(X, y, k):
            return X, y, W
    raise ParameterError(f"could not draw non-separable data with n={n}, d={d}, k={k}")


def _num_classes(y: Tensor, num_classes: int | None) -> int:
    if y.dtype != torch.long:
        raise ParameterError(f"expected int64 labels, got {y.dtype}")
    k = int(y.max()) + 1 if num_classes is None else int(num_classes)
    if k < 2 or int(y.min()) < 0 or int(y.max()) >= k:
        raise ParameterError(f"labels must lie in 0..k-1 with k >= 2 (k={k})")
    return k


def _pin_last(V: Tensor) -> Tensor:
    """(d, k-1) free weights -> (d, k) with the last class's column fixed at zero."""
    return torch.cat([V, torch.zeros(V.shape[0], 1, dtype=V.dtype, device=V.device)], dim=1)


def cross_entropy(logits: Tensor, labels: Tensor, reduction: str = "mean") -> Tensor:
    """``F.cross_entropy`` of (N, K) logits, handed to it as (1, K, N) (a class axis that is not the last: ~3x faster
    on the CPU, with its gradient; the same loss up to rounding)."""
    return F.cross_entropy(logits.T[None], labels[None], reduction=reduction)


def fit_softmax_by_ce(X: Tensor, y: Tensor, *, max_iter: int = 200, num_classes: int | None = None) -> Tensor:
    """Softmax-classifier MLE: argmin_W (1/n) sum_i CE(y_i, x_i^T W), numerically.

    LBFGS (strong Wolfe, from W = 0) on :func:`cross_entropy` ``(X @ W, y)`` (mean reduction),
    gradients by autograd, over the d x (k-1) free weights; the last class's column is
    pinned to 0 so the minimiser is unique. Returns W (d, k). k defaults to max(y) + 1.
    """
    _check_inputs(X, y)
    k = _num_classes(y, num_classes)
    V0 = torch.zeros(X.shape[1], k - 1, dtype=DTYPE, device=X.device)
    V = lbfgs_minimise(lambda v: cross_entropy(X @ _pin_last(v), y), V0, max_iter=max_iter)
    return _pin_last(V)


def fit_softmax_by_gradient(
    X: Tensor,
    y: Tensor,
    dloss_dlogits: Callable[[Tensor, Tensor], Tensor],
    *,
    lr: float | None = None,
    steps: int = GD_STEPS,
    gtol: float = GD_GTOL,
    num_classes: int | None = None,
) -> Tensor:
    """Gradient descent on the mean cross-entropy using a supplied derivative w.r.t. the logits.

    Chain rule: for L(W) = (1/n) sum_i l(Y_i, x_i^T W), logits Z = X W (n, k), Y one-hot,
        grad_W L = X^T dloss_dlogits(Y, Z) / n.
    Only the first k-1 columns are updated (last column pinned to 0, as in
    ``fit_softmax_by_ce``). From W = 0; returns as soon as max-abs(grad of the free
    columns) <= gtol, or after ``steps`` steps. Default lr = 1/L with the Lipschitz bound
    L = ||X||_2^2 / (2n) (the softmax Hessian diag(p) - p p^T has norm <= 1/2). With the
    correct derivative softmax(Z) - Y this reaches the CE optimum; a wrong one does not.
    A non-finite iterate is returned as is. Returns W (d, k).
    """
    _check_inputs(X, y)
    k = _num_classes(y, num_classes)
    n, d = X.shape
    if lr is None:
        lr = 2.0 * n / float(torch.linalg.matrix_norm(X, ord=2)) ** 2
    onehot = F.one_hot(y, k).to(DTYPE)
    V = torch.zeros(d, k - 1, dtype=DTYPE, device=X.device)
    for _ in range(steps):
        g_logits = dloss_dlogits(onehot, X @ _pin_last(V))
        if g_logits.shape != (n, k):
            raise ParameterError(f"dloss_dlogits returned shape {tuple(g_logits.shape)}, expected ({n}, {k})")
        grad = (X.T @ g_logits.to(DTYPE))[:, : k - 1] / n
        gmax = float(grad.abs().max())
        if gmax <= gtol:
            break
        V = V - lr * grad
        if not math.isfinite(gmax):
            break  # V is now non-finite: hand it back unchanged
    return _pin_last(V)


# --- executable specifications: logistic and softmax regression (reference_models/classifiers.py) --------------------

CLASSIFIER_FALSE_FAIL_RATE = 1e-4  # each statistical check fails a true statement at most once in 10 000 runs
CALIBRATION_BINS = 10
FIT_GTOL = 1e-12  # gradient descent stops when its own max-abs gradient (of the mean loss) is below this
EPS = torch.finfo(DTYPE).eps
LOGISTIC_THETA = (0.3, 2.0, -1.5, 1.0)  # bias first, then three N(0, 1) features: logits of sd ≈ 2.7
PROBIT_SCALE = 1.7  # Φ(z/1.7) ≈ σ(z): the probit alternative of about the same slope
SOFTMAX_W = ((0.5, 0.0, -0.5, 0.0),  # rows: bias, two N(0, 1) features; columns: K = 4 classes, the last pinned to 0
             (2.0, -1.0, 0.5, 0.0),
             (0.0, 1.5, -1.0, 0.0))


def calibration_test(prob: Tensor, outcome: Tensor, *, jacobian: Tensor | None = None, covariance: Tensor | None = None,
                     bins: int = CALIBRATION_BINS, false_fail_rate: float = CLASSIFIER_FALSE_FAIL_RATE) -> TestOutcome:
    """Held-out calibration χ² test of P(outcome_i = 1 | x_i) = prob_i (003 L2028: cross-entropy rewards calibration).

    The examples, sorted by prob (a function of x only), are cut into ``bins`` equal groups; r_b = Σ_{i∈b}(outcome_i −
    prob_i). For fixed prob the outcomes are independent Bernoulli(prob_i), so r ≈ N(0, diag V), V_b = Σ_b prob(1 − prob).
    When prob comes from a model fitted on independent data, θ̂ − θ* ≈ N(0, covariance) (inverse Fisher information)
    adds J_b covariance J_bᵀ with J_b = Σ_{i∈b} ∂prob_i/∂θ (``jacobian`` rows). Statistic rᵀ C⁻¹ r ~ χ²_bins (CLT;
    the threshold is its 1 − α quantile)."""
    order = torch.argsort(prob)
    groups = torch.tensor_split(order, bins)
    r = torch.stack([(outcome[g] - prob[g]).sum() for g in groups])
    C = torch.diag(torch.stack([(prob[g] * (1 - prob[g])).sum() for g in groups]))
    if jacobian is not None:
        Jb = torch.stack([jacobian[g].sum(0) for g in groups])
        C = C + Jb @ covariance @ Jb.T
    try:  # a non-finite or degenerate prediction fails the test
        statistic = float(r @ torch.linalg.solve(C, r)) if bool(torch.isfinite(r).all() and torch.isfinite(C).all()) \
            else math.inf
    except torch.linalg.LinAlgError:
        statistic = math.inf
    return TestOutcome(f"calibration χ²_{bins} (held out)", statistic, float(stats.chi2.ppf(1 - false_fail_rate, bins)),
                       prob.numel(), false_fail_rate)


def wald_test(estimate: Tensor, truth: Tensor, information: Tensor,
              false_fail_rate: float = CLASSIFIER_FALSE_FAIL_RATE) -> TestOutcome:
    """(θ̂ − θ*)ᵀ I(θ*) (θ̂ − θ*) ~ χ²_d for the MLE of a well-specified model (I: Fisher information at the claimed θ*,
    summed over the sample; taken at θ*, not θ̂, so that a fit running off to infinity cannot shrink it)."""
    delta = (estimate - truth).reshape(-1)
    statistic = float(delta @ information @ delta) if bool(torch.isfinite(delta).all()) else math.inf
    return TestOutcome(f"Wald χ²_{delta.numel()}", statistic, float(stats.chi2.ppf(1 - false_fail_rate, delta.numel())),
                       delta.numel(), false_fail_rate)


def _design(n: int, features: int, generator: torch.Generator) -> Tensor:
    x = torch.randn(n, features, generator=generator, dtype=DTYPE, device=generator.device)
    return torch.cat([torch.ones(n, 1, dtype=DTYPE, device=generator.device), x], 1)


def _gd_reaches(candidate: Tensor, reference: Tensor, loss, free: Tensor) -> tuple[bool, float, float]:
    """‖candidate − reference‖ against the derived tolerance (√p · FIT_GTOL + ‖∇L(reference)‖)/μ + rounding,
    μ = λ_min(∇²L(reference))/2 (strong convexity near the optimum, with a factor 2 for the change of the Hessian);
    valid when gradient descent stopped on the true gradient of L at max-abs ≤ FIT_GTOL."""
    point = free.clone().requires_grad_(True)
    with torch.enable_grad():
        (grad,) = torch.autograd.grad(loss(point), point)
    eig = torch.linalg.eigvalsh(torch.autograd.functional.hessian(loss, free).reshape(free.numel(), -1))
    tol = (math.sqrt(free.numel()) * FIT_GTOL + float(grad.norm())) / (float(eig[0]) / 2) \
        + 64 * EPS * float(eig[-1] / eig[0]) * float(reference.norm())
    distance = float((candidate - reference).norm())
    return distance <= tol, distance, tol


def logistic_data(n: int, theta: Tensor, generator: torch.Generator, *, link: str = "logit", labels: str = "01",
                  scale: float = PROBIT_SCALE) -> tuple[Tensor, Tensor]:
    """A = [1, X] (X ~ N(0, 1)) and y ~ Bernoulli(σ(Aθ)) (003 L1362–1364). Broken variants: ``link="probit"``
    draws y ~ Bernoulli(Φ(Aθ/scale)) (scale 1.7: a probit model of about the same slope, so only the link's shape
    differs); ``labels="pm1"`` codes the labels as ±1, which the fits then read as if they were 0/1."""
    A = _design(n, theta.numel() - 1, generator)
    z = A @ theta
    if link == "logit":
        p = torch.sigmoid(z)
    elif link == "probit":
        p = torch.special.ndtr(z / scale)
    else:
        raise ParameterError(f"link must be 'logit' or 'probit', got {link!r}")
    y = torch.bernoulli(p, generator=generator)
    return A, (2 * y - 1 if labels == "pm1" else y)


def bce_dlogit(y: Tensor, z: Tensor) -> Tensor:
    """d BCE / dz = σ(z) − y (003 L1390–1394: ∇_θ L = Σ (p̂_i − y_i) x_i)."""
    return torch.sigmoid(z) - y


def logistic_information(A: Tensor, theta: Tensor) -> Tensor:
    """Σ_i p̂_i(1 − p̂_i) x_i x_iᵀ: the Hessian of the summed BCE (σ' = σ(1 − σ), 003 L1390)."""
    p = torch.sigmoid(A @ theta)
    return (A.T * (p * (1 - p))) @ A


LOGISTIC_PARTS = ("gradient", "fit", "wald", "calibration")


def logistic_checks(n: int, theta: Tensor, generator: torch.Generator, *, dloss_dlogit=bce_dlogit, link: str = "logit",
                    labels: str = "01", scale: float = PROBIT_SCALE, parts: tuple[str, ...] = LOGISTIC_PARTS) -> dict:
    """Fit by gradient descent with ``dloss_dlogit`` on N draws; the autograd gradient, the LBFGS optimum, the Wald
    test against θ* and the held-out calibration test (a fresh sample of N). Returns the outcomes and values --
    of the ``parts`` asked for (a power replicate asks for the one test it counts); the draws are the same
    whichever are asked."""
    A, y = logistic_data(n, theta, generator, link=link, labels=labels, scale=scale)
    shift = torch.randn(theta.shape, generator=generator, dtype=DTYPE, device=theta.device)  # the third gradient point
    fitted = fit_logistic_by_gradient(A, y, dloss_dlogit, gtol=FIT_GTOL)
    out = {"fitted": fitted}
    if "gradient" in parts:
        worst, gradient_ok = 0.0, True
        for point in (theta, torch.zeros_like(theta), theta + shift):  # the formula Aᵀ(σ(Aθ) − y) vs autograd of
            with torch.enable_grad():  # Σ BCE; summation error ≤ (N + 2) ε Σ_i |a_ij| per side
                p = point.clone().requires_grad_(True)
                (auto,) = torch.autograd.grad(F.binary_cross_entropy_with_logits(A @ p, y, reduction="sum"), p)
            formula = A.T @ dloss_dlogit(y, A @ point)
            error = (formula - auto).abs()
            gradient_ok &= bool((error <= 2 * (n + 2) * EPS * A.abs().sum(0)).all())
            worst = max(worst, float(error.max()))
        out.update(gradient_ok=gradient_ok, gradient_error=worst)
    if "fit" in parts:
        reference = fit_logistic_by_bce(A, y)
        reached, distance, tol = _gd_reaches(fitted, reference, lambda t: F.binary_cross_entropy_with_logits(A @ t, y),
                                             reference)
        out.update(reached=reached, distance=distance, tol=tol, reference=reference)
    if "wald" in parts:
        out["wald"] = wald_test(fitted, theta, logistic_information(A, theta))
    if "calibration" in parts:
        information = logistic_information(A, fitted)
        A_test, y_test = logistic_data(n, theta, generator, link=link, scale=scale)  # held out, labels 0/1 as observed
        prob = torch.sigmoid(A_test @ fitted)
        out["calibration"] = calibration_test(prob, y_test, jacobian=(prob * (1 - prob))[:, None] * A_test,
                                              covariance=torch.linalg.pinv(information))  # pinv: a diverged fit must not raise
        out.update(prob=prob, y_test=y_test)
    return out


def _reliability_plot(ctx: RunContext, result: SpecResult, name: str, prob: Tensor, outcome: Tensor, caption: str):
    path = ctx.figure_path(name)
    if path is None:
        return
    plt = pyplot()
    groups = torch.tensor_split(torch.argsort(prob), CALIBRATION_BINS)
    predicted = np.array([float(prob[g].mean()) for g in groups])
    observed = np.array([float(outcome[g].mean()) for g in groups])
    fig, ax = plt.subplots(figsize=(4.6, 4.2))
    ax.plot([0, 1], [0, 1], color="grey", lw=0.8, ls=":")
    ax.plot(predicted, observed, marker="o")
    ax.set_xlabel("mean predicted probability (bin)")
    ax.set_ylabel("observed frequency (bin)")
    fig.tight_layout()
    save_figure(fig, path, caption, result)


@specification("logistic-regression", "Logistic regression: BCE = Bernoulli NLL, its gradient, calibrated probabilities",
               family="nll", statements="y ~ Bernoulli(σ(θᵀx)), whose NLL is the BCE (003 L99–113, L1362–1386), with "
               "∇_θ = Σ (p̂_i − y_i) x_i (003 L1390–1394); trained by gradient descent (003 L113) it recovers θ and its "
               "probabilities are calibrated (003 L103, L2028) (claims nll.bernoulli.logits, nll.grad.logistic)",
               steps=3, report="always")
def run_logistic_regression(ctx: RunContext) -> SpecResult:
    result = ctx.result("logistic-regression")
    n, replicates = (50_000, 8) if ctx.quick else (200_000, 20)
    theta = torch.tensor(LOGISTIC_THETA, dtype=DTYPE, device=ctx.device)
    ctx.step(f"gradient descent on N = {n:,} draws of the logistic model")
    out = logistic_checks(n, theta, ctx.generator(1))
    result.tables.append(ResultTable(f"θ (N = {n:,})", ("", "θ"), [
        ("true θ*", ", ".join(f"{fmt(v, '.4f')}" for v in theta.tolist())),
        ("gradient descent with σ(z) − y", ", ".join(f"{fmt(v, '.4f')}" for v in out["fitted"].tolist())),
        ("LBFGS on the autograd BCE", ", ".join(f"{fmt(v, '.4f')}" for v in out["reference"].tolist()))]))
    result.checks.append(Check("∇_θ Σ BCE = Xᵀ(σ(Xθ) − y), against autograd at three θ", out["gradient_ok"],
                               f"max |formula − autograd| = {fmt(out['gradient_error'], '.2e')} (float64 summation bound)"))
    result.checks.append(Check("gradient descent with that gradient reaches the BCE minimiser (the MLE)", out["reached"],
                               f"‖θ_GD − θ_LBFGS‖ = {fmt(out['distance'], '.2e')} ≤ {fmt(out['tol'], '.2e')} (strong convexity + rounding)"))

    ctx.step(f"power against probit data ({replicates} replicates each)")
    wald_power = power(lambda r: logistic_checks(n, theta, ctx.generator(100 + r), link="probit", scale=1.0,
                                                 parts=("wald",))["wald"],
                       "probit data Φ(θ*ᵀx)", replicates)
    calibration_power = power(lambda r: logistic_checks(n, theta, ctx.generator(200 + r), link="probit",
                                                        parts=("calibration",))["calibration"],
                              "probit data Φ(θ*ᵀx/1.7) (about the same slope: only the link's shape differs)",
                              replicates)
    ctx.step("checks")
    result.checks.append(Check.tested("the fit recovers θ*: (θ̂ − θ*)ᵀ I(θ*) (θ̂ − θ*) ~ χ²_4",
                                      out["wald"], wald_power))
    result.checks.append(Check.tested("its predicted probabilities are calibrated on held-out data",
                                      out["calibration"], calibration_power))
    _reliability_plot(ctx, result, "logistic_calibration.png", out["prob"], out["y_test"],
                      f"Reliability diagram of the fitted logistic regression on {n:,} held-out draws (deciles of p̂).")
    return result


def softmax_data(n: int, W: Tensor, generator: torch.Generator) -> tuple[Tensor, Tensor]:
    """A = [1, X] (X ~ N(0, 1)) and y ~ Categorical(softmax(A W)) (003 L1406–1414)."""
    A = _design(n, W.shape[0] - 1, generator)
    return A, torch.multinomial(torch.softmax(A @ W, 1), 1, generator=generator).squeeze(1)


def class_probabilities(logits: Tensor) -> Tensor:
    """π̂ = softmax over the classes (003 L1406–1412) of (N, K) logits, taken over the (K, N) view: on the CPU torch's
    softmax over a last axis of a few classes is ~5x slower (the same values up to rounding)."""
    return torch.softmax(logits.T, 0).T


def ce_dlogits(onehot: Tensor, logits: Tensor) -> Tensor:
    """∂CE/∂z_k = π̂_k − y_k (003 L1448–1452)."""
    return class_probabilities(logits) - onehot


def naive_log_softmax(logits: Tensor) -> Tensor:
    """log(exp z / Σ exp z) without the log-sum-exp shift: mathematically log-softmax, numerically not (003 L1456)."""
    return torch.log(torch.exp(logits) / torch.exp(logits).sum(1, keepdim=True))


def shift_invariance(logits: Tensor, labels: Tensor, *, log_softmax=None, shifts=(-1000.0, -3.7, 2.5, 1000.0)):
    """max over shifts c of |CE(z + c·1) − CE(z)| per example and whether it is within 8 ε (|c| + max|z| + log K)
    (the rounding of z + c, which log-sum-exp passes on 1-Lipschitz)."""
    log_softmax = log_softmax or (lambda z: F.log_softmax(z, dim=1))
    base = -log_softmax(logits).gather(1, labels[:, None])
    worst, holds = 0.0, True
    for c in shifts:
        shifted = -log_softmax(logits + c).gather(1, labels[:, None])
        error = (shifted - base).abs()
        tol = 8 * EPS * (abs(c) + logits.abs().max(1, keepdim=True).values + math.log(logits.shape[1]))
        holds &= bool((error <= tol).all())
        worst = max(worst, float(error.max()))
    return holds, worst


def softmax_information(A: Tensor, V: Tensor, labels: Tensor) -> Tensor:
    """Hessian of the summed CE over the free weights V (d, K − 1), flattened row-major, by autograd."""
    def loss(v):
        return cross_entropy(A @ _pin_last(v), labels, reduction="sum")

    return torch.autograd.functional.hessian(loss, V).reshape(V.numel(), V.numel())


def top_label(prob: Tensor, A: Tensor) -> tuple[Tensor, Tensor]:
    """The top-label probability max_k π̂_k per example and its gradient with respect to the free weights:
    ∂π̂_k/∂V[a, j] = x_a π̂_k (δ_kj − π̂_j), j < K − 1, flattened row-major like V."""
    top, k = prob.max(1)
    g = -top[:, None] * prob
    g[torch.arange(prob.shape[0], device=prob.device), k] += top
    return top, (A[:, :, None] * g[:, None, : prob.shape[1] - 1]).reshape(A.shape[0], -1)


def softmax_checks(n: int, W: Tensor, generator: torch.Generator, *, dloss_dlogits=ce_dlogits, log_softmax=None,
                   probabilities=class_probabilities, temperature: float = 1.0) -> dict:
    """Gradient vs autograd, shift invariance, gradient descent vs LBFGS, Wald test of the free weights against W*
    and the held-out top-label calibration test (prediction π̂ = ``probabilities``(A W / ``temperature``))."""
    A, labels = softmax_data(n, W, generator)
    K = W.shape[1]
    onehot = F.one_hot(labels, K).to(DTYPE)
    worst, gradient_ok = 0.0, True
    for point in (W, W + torch.randn(W.shape, generator=generator, dtype=DTYPE, device=W.device)):
        with torch.enable_grad():
            z = (A @ point).requires_grad_(True)
            (auto,) = torch.autograd.grad(F.cross_entropy(z, labels, reduction="sum"), z)
        error = (dloss_dlogits(onehot, (A @ point).detach()) - auto).abs()
        gradient_ok &= bool((error <= 16 * EPS).all())  # entries in [−1, 1], each side a few roundings off
        worst = max(worst, float(error.max()))
    invariant, shift_error = shift_invariance(A @ W, labels, log_softmax=log_softmax)
    fitted = fit_softmax_by_gradient(A, labels, dloss_dlogits, gtol=FIT_GTOL, num_classes=K)
    reference = fit_softmax_by_ce(A, labels, num_classes=K)
    reached, distance, tol = _gd_reaches(fitted[:, : K - 1], reference[:, : K - 1],
                                         lambda v: cross_entropy(A @ _pin_last(v), labels), reference[:, : K - 1])
    information = softmax_information(A, fitted[:, : K - 1], labels)
    wald = wald_test(fitted[:, : K - 1], W[:, : K - 1], softmax_information(A, W[:, : K - 1], labels))
    A_test, y_test = softmax_data(n, W, generator)
    prob = probabilities(A_test @ fitted / temperature)
    top, jacobian = top_label(prob, A_test)
    correct = (prob.argmax(1) == y_test).to(DTYPE)
    calibration = calibration_test(top, correct, jacobian=jacobian, covariance=torch.linalg.pinv(information))
    return {"gradient_ok": gradient_ok, "gradient_error": worst, "invariant": invariant, "shift_error": shift_error,
            "reached": reached, "distance": distance, "tol": tol, "fitted": fitted, "wald": wald,
            "calibration": calibration, "top": top, "correct": correct, "information": information}


@specification("softmax-regression", "Softmax regression: CE = categorical NLL, π̂ − y, shift invariance, calibration",
               family="nll", statements="π̂ = softmax(z) is a distribution and Y | x ~ Categorical(π̂) (003 L1402–1414; "
               "001 L104–114), whose NLL is the cross-entropy (003 L1418–1442; 001 L116–120) with ∂L/∂z_k = π̂_k − y_k "
               "(003 L1448–1452); fused log-softmax is stable (L1456); trained by gradient descent it recovers W and is "
               "calibrated (003 L2028) (claims nll.categorical, nll.grad.softmax.*)", steps=3, report="always")
def run_softmax_regression(ctx: RunContext) -> SpecResult:
    result = ctx.result("softmax-regression")
    n, replicates = (20_000, 20) if ctx.quick else (100_000, 50)
    W = torch.tensor(SOFTMAX_W, dtype=DTYPE, device=ctx.device)
    ctx.step(f"gradient descent on N = {n:,} draws of a 4-class softmax model")
    out = softmax_checks(n, W, ctx.generator(1))
    result.tables.append(ResultTable(f"W, free columns (N = {n:,}; the last class is pinned to 0)", ("", "W[:, :3]"), [
        ("true W*", "; ".join(", ".join(f"{fmt(v, '.3f')}" for v in row) for row in W[:, :3].tolist())),
        ("gradient descent with π̂ − y", "; ".join(", ".join(f"{fmt(v, '.3f')}" for v in row)
                                                   for row in out["fitted"][:, :3].tolist()))]))
    result.checks.append(Check("∂CE/∂z = softmax(z) − onehot(y), against autograd", out["gradient_ok"],
                               f"max |formula − autograd| = {fmt(out['gradient_error'], '.2e')} ≤ 16 ε"))
    result.checks.append(Check("CE(z + c·1) = CE(z) for c = ±1000, −3.7, 2.5 (fused log-softmax)", out["invariant"],
                               f"max difference {fmt(out['shift_error'], '.2e')} (≤ 8 ε (|c| + max|z| + log K))"))
    result.checks.append(Check("gradient descent with π̂ − y reaches the CE minimiser (the MLE)", out["reached"],
                               f"‖W_GD − W_LBFGS‖ = {fmt(out['distance'], '.2e')} ≤ {fmt(out['tol'], '.2e')}"))
    ctx.step(f"power against an over-confident classifier ({replicates} replicates)")
    fitted = out["fitted"]

    def overconfident(r: int) -> TestOutcome:
        generator = ctx.generator(100 + r)
        A_test, y_test = softmax_data(n, W, generator)
        prob = class_probabilities(1.25 * A_test @ fitted)
        top, jacobian = top_label(prob, A_test)
        return calibration_test(top, (prob.argmax(1) == y_test).to(DTYPE), jacobian=jacobian,
                                covariance=torch.linalg.inv(out["information"]))

    calibration_power = power(overconfident, "logits × 1.25 (an over-confident classifier)", replicates)
    ctx.step("checks")
    def shifted_weights(r: int) -> TestOutcome:
        A, labels = softmax_data(n, 1.1 * W, ctx.generator(300 + r))
        V = fit_softmax_by_ce(A, labels, num_classes=W.shape[1])[:, :3]
        return wald_test(V, W[:, :3], softmax_information(A, W[:, :3], labels))

    wald_power = power(shifted_weights, "data from 1.1 W* (weights 10 % off)", max(replicates // 2, 5))
    result.checks.append(Check.tested("the fit recovers W*: Wald χ²_9 on the free weights", out["wald"], wald_power))
    result.checks.append(Check.tested("its top-label probabilities are calibrated on held-out data",
                                      out["calibration"], calibration_power))
    _reliability_plot(ctx, result, "softmax_calibration.png", out["top"], out["correct"],
                      f"Top-label reliability diagram of the fitted softmax regression on {n:,} held-out draws.")
    return result
