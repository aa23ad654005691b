"""Reference models as executable specifications of lecture statements.

* Linear regression: Gaussian MLE = least squares = normal equations (three routes agree).
* Logistic regression: d BCE / dz = sigma(z) - y (gradient descent driven by that derivative
  reaches the BCE optimum; sign-flipped or extra-factor variants do not).
* Softmax classifier: d CE / dlogits = softmax - onehot (same test, last class pinned).

All seeds are explicit; each test builds its own generator. CUDA variants are marked ``gpu``
and skip without CUDA.
"""

import math

import pytest
import torch

from derivspec.core.errors import ParameterError
from derivspec.reference_models.device import DTYPE, make_generator
from derivspec.reference_models.classifiers import (
    class_probabilities,
    cross_entropy,
    fit_logistic_by_bce,
    fit_logistic_by_gradient,
    fit_softmax_by_ce,
    fit_softmax_by_gradient,
    is_separable,
    make_binary_data,
    make_multiclass_data,
)
from derivspec.reference_models.regression import (
    fit_by_gaussian_nll,
    fit_by_mse,
    make_regression_data,
    normal_equations,
)

CPU = torch.device("cpu")
SEEDS = [0, 1, 2, 3, 4]
GPU_SEEDS = [0, 1]
N, D, K = 200, 3, 3

requires_cuda = pytest.mark.skipif(not torch.cuda.is_available(), reason="CUDA is not available")


def max_abs_diff(a: torch.Tensor, b: torch.Tensor) -> float:
    """max |a - b|; +inf when either side is non-finite (so NaN never passes as 'close')."""
    if not (torch.isfinite(a).all() and torch.isfinite(b).all()):
        return math.inf
    return float((a - b).abs().max())


def rel_diff(a: torch.Tensor, b: torch.Tensor) -> float:
    """max |a - b| relative to max(1, max |b|)."""
    return max_abs_diff(a, b) / max(1.0, float(b.abs().max()))


def _on(t: torch.Tensor, device: torch.device) -> bool:
    return t.device.type == device.type and t.dtype in (DTYPE, torch.long)


# Candidate derivatives of the per-example loss with respect to the logit(s).
def bce_correct(y, z):
    return torch.sigmoid(z) - y


def bce_sign_flipped(y, z):
    return y - torch.sigmoid(z)


def bce_extra_factor(y, z):
    s = torch.sigmoid(z)
    return (s - y) * s * (1 - s)


def ce_correct(onehot, logits):
    return torch.softmax(logits, dim=1) - onehot


def ce_sign_flipped(onehot, logits):
    return onehot - torch.softmax(logits, dim=1)


def ce_extra_factor(onehot, logits):
    p = torch.softmax(logits, dim=1)
    return (p - onehot) * p


# ---------------------------------------------------------------- linear regression


def _check_regression(seed: int, device: torch.device) -> None:
    X, y, theta_true = make_regression_data(N, D, 0.5, make_generator(seed, device), device)
    assert X.shape == (N, D) and y.shape == (N,) and theta_true.shape == (D,)
    assert all(_on(t, device) and t.dtype == DTYPE for t in (X, y, theta_true))
    theta_ne = normal_equations(X, y)
    assert _on(theta_ne, device)
    # sanity: the estimator is near the truth (standard error ~ 0.5 / sqrt(200))
    assert max_abs_diff(theta_ne, theta_true) < 0.3
    theta_mse = fit_by_mse(X, y)
    assert _on(theta_mse, device)
    assert rel_diff(theta_mse, theta_ne) <= 1e-8
    for sigma in (0.3, 1.0, 3.0):
        theta_nll = fit_by_gaussian_nll(X, y, sigma)
        assert _on(theta_nll, device)
        assert rel_diff(theta_nll, theta_ne) <= 1e-8, sigma


@pytest.mark.parametrize("seed", SEEDS)
def test_regression_mle_equals_least_squares_equals_normal_equations(seed):
    _check_regression(seed, CPU)


@pytest.mark.gpu
@requires_cuda
@pytest.mark.parametrize("seed", GPU_SEEDS)
def test_regression_routes_agree_on_cuda(seed):
    _check_regression(seed, torch.device("cuda"))


def test_regression_data_is_deterministic_per_seed():
    a = make_regression_data(50, 2, 1.0, make_generator(7, CPU), CPU)
    b = make_regression_data(50, 2, 1.0, make_generator(7, CPU), CPU)
    c = make_regression_data(50, 2, 1.0, make_generator(8, CPU), CPU)
    assert all(torch.equal(u, v) for u, v in zip(a, b))
    assert not torch.equal(a[0], c[0])


def test_regression_rejects_bad_sigma():
    X, y, _ = make_regression_data(20, 2, 1.0, make_generator(0, CPU), CPU)
    for sigma in (0.0, -1.0, math.nan, math.inf):
        with pytest.raises(ParameterError):
            fit_by_gaussian_nll(X, y, sigma)


# ---------------------------------------------------------------- logistic regression


def _check_logistic(seed: int, device: torch.device) -> None:
    X, y, theta_true = make_binary_data(N, D, make_generator(seed, device), device)
    assert X.shape == (N, D) and y.shape == (N,) and theta_true.shape == (D,)
    assert all(_on(t, device) and t.dtype == DTYPE for t in (X, y, theta_true))
    assert set(y.unique().tolist()) == {0.0, 1.0}
    ref = fit_logistic_by_bce(X, y)
    assert _on(ref, device)
    good = fit_logistic_by_gradient(X, y, bce_correct)
    assert _on(good, device)
    assert max_abs_diff(good, ref) <= 1e-7
    assert max_abs_diff(fit_logistic_by_gradient(X, y, bce_sign_flipped), ref) > 1e-3
    assert max_abs_diff(fit_logistic_by_gradient(X, y, bce_extra_factor), ref) > 1e-3


@pytest.mark.parametrize("seed", SEEDS)
def test_logistic_gradient_is_sigmoid_minus_y(seed):
    _check_logistic(seed, CPU)


@pytest.mark.gpu
@requires_cuda
@pytest.mark.parametrize("seed", GPU_SEEDS)
def test_logistic_gradient_on_cuda(seed):
    _check_logistic(seed, torch.device("cuda"))


def test_logistic_mle_recovers_true_weights_with_many_samples():
    X, y, theta_true = make_binary_data(5000, D, make_generator(11, CPU), CPU)
    assert max_abs_diff(fit_logistic_by_bce(X, y), theta_true) < 0.15


def test_nonfinite_iterate_is_returned_not_hidden():
    X, y, _ = make_binary_data(50, 2, make_generator(0, CPU), CPU)
    theta = fit_logistic_by_gradient(X, y, lambda y, z: torch.full_like(z, math.nan), steps=10)
    assert not torch.isfinite(theta).all()
    W = fit_softmax_by_gradient(X, y.long(), lambda oh, z: torch.full_like(z, math.inf), steps=10)
    assert not torch.isfinite(W).all()


def test_wrong_shaped_derivative_is_rejected():
    X, y, _ = make_binary_data(50, 2, make_generator(0, CPU), CPU)
    with pytest.raises(ParameterError):
        fit_logistic_by_gradient(X, y, lambda y, z: z[:1], steps=5)
    with pytest.raises(ParameterError):
        fit_softmax_by_gradient(X, y.long(), lambda oh, z: z[:, :1], steps=5)


def test_separability_check():
    X = torch.randn(40, 2, generator=make_generator(3, CPU), dtype=DTYPE)
    separable = (X[:, 0] > 0).to(DTYPE)
    assert is_separable(X, separable, 2)
    assert is_separable(X, separable.long() * 2, 3)  # classes 0 and 2 split by a hyperplane
    X2, y2, _ = make_binary_data(40, 2, make_generator(3, CPU), CPU)
    assert not is_separable(X2, y2, 2)


# ---------------------------------------------------------------- softmax classifier


def _check_softmax(seed: int, device: torch.device) -> None:
    X, y, W_true = make_multiclass_data(N, D, K, make_generator(seed, device), device)
    assert X.shape == (N, D) and y.shape == (N,) and W_true.shape == (D, K)
    assert y.dtype == torch.long and set(y.unique().tolist()) == set(range(K))
    assert torch.all(W_true[:, -1] == 0)
    ref = fit_softmax_by_ce(X, y)
    assert ref.shape == (D, K) and _on(ref, device) and torch.all(ref[:, -1] == 0)
    good = fit_softmax_by_gradient(X, y, ce_correct)
    assert good.shape == (D, K) and _on(good, device)
    assert max_abs_diff(good, ref) <= 1e-7
    assert max_abs_diff(fit_softmax_by_gradient(X, y, ce_sign_flipped), ref) > 1e-3
    assert max_abs_diff(fit_softmax_by_gradient(X, y, ce_extra_factor), ref) > 1e-3


@pytest.mark.parametrize("seed", SEEDS)
def test_softmax_gradient_is_softmax_minus_onehot(seed):
    _check_softmax(seed, CPU)


@pytest.mark.gpu
@requires_cuda
@pytest.mark.parametrize("seed", GPU_SEEDS)
def test_softmax_gradient_on_cuda(seed):
    _check_softmax(seed, torch.device("cuda"))


def test_softmax_mle_recovers_true_weights_with_many_samples():
    X, y, W_true = make_multiclass_data(5000, D, K, make_generator(11, CPU), CPU)
    assert max_abs_diff(fit_softmax_by_ce(X, y), W_true) < 0.2


def test_softmax_with_two_classes_matches_logistic():
    """k = 2, last class pinned: with labels 1 - y, p(label 0) = sigma(x^T w_0), so w_0 = theta."""
    X, y, _ = make_binary_data(N, D, make_generator(5, CPU), CPU)
    theta = fit_logistic_by_bce(X, y)
    W = fit_softmax_by_ce(X, (1 - y).long())
    assert max_abs_diff(W[:, 0], theta) <= 1e-8


def test_class_axis_first_cross_entropy_and_softmax_are_torchs():
    """cross_entropy and class_probabilities hand torch the (K, N) layout: the same loss, gradient and probabilities
    as F.cross_entropy and softmax over the last axis of (N, K) logits, up to rounding."""
    import torch.nn.functional as F

    X, y, W = make_multiclass_data(500, 3, 4, make_generator(7, CPU), CPU)
    for reduction in ("mean", "sum"):
        mine, theirs = W.clone().requires_grad_(True), W.clone().requires_grad_(True)
        ours, torchs = cross_entropy(X @ mine, y, reduction), F.cross_entropy(X @ theirs, y, reduction=reduction)
        ours.backward()
        torchs.backward()
        torch.testing.assert_close(ours, torchs, rtol=1e-13, atol=0)
        torch.testing.assert_close(mine.grad, theirs.grad, rtol=1e-12, atol=1e-14)
    torch.testing.assert_close(class_probabilities(X @ W), torch.softmax(X @ W, dim=1), rtol=1e-14, atol=1e-16)
