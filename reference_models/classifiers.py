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

import torch
import torch.nn.functional as F
from torch import Tensor

from derivspec.core.errors import ParameterError
from derivspec.reference_models.device import DTYPE
from derivspec.reference_models.regression import lbfgs_minimise

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


def fit_softmax_by_ce(X: Tensor, y: Tensor, *, max_iter: int = 200, num_classes: int | None = None) -> Tensor:
    """Softmax-classifier MLE: argmin_W (1/n) sum_i CE(y_i, x_i^T W), numerically.

    LBFGS (strong Wolfe, from W = 0) on ``F.cross_entropy(X @ W, y)`` (mean reduction),
    gradients by autograd, over the d x (k-1) free weights; the last class's column is
    pinned to 0 so the minimiser is unique. Returns W (d, k). k defaults to max(y) + 1.
    """
    _check_inputs(X, y)
    k = _num_classes(y, num_classes)
    V0 = torch.zeros(X.shape[1], k - 1, dtype=DTYPE, device=X.device)
    V = lbfgs_minimise(lambda v: F.cross_entropy(X @ _pin_last(v), y), V0, max_iter=max_iter)
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
