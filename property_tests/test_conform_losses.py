"""New claims people implement (issue 81): the per-example squared error ``nll.mse``. User-style
implementations written for this test: right ones conform (NumPy; torch's mse_loss under its default
batch mean), slipped ones fail with the slip named."""

from __future__ import annotations

import numpy as np
import pytest

from derivspec.testing import NonConformance, conforms

torch = pytest.importorskip("torch")

EXAMPLES = 40


def squared_error(y, mu):
    return (y - mu) ** 2


def absolute_error(y, mu):
    return np.abs(y - mu)


def squares_not_residual(y, mu):
    return y ** 2 - mu ** 2


def test_the_squared_error_conforms():
    assert conforms("nll.mse", squared_error, max_examples=20).conforms


def test_torch_mse_loss_is_the_batch_mean():
    torch = pytest.importorskip("torch")
    F = torch.nn.functional

    def mse(y, mu):
        return F.mse_loss(mu, y)

    assert conforms("nll.mse", mse, conventions={"reduction": "mean"}, max_examples=EXAMPLES).conforms


@pytest.mark.parametrize("fn, slip", [
    (absolute_error, "absolute error in place of the square (the Laplace NLL's loss)"),
    (squares_not_residual, "difference of squares y^2 - mu^2 (squared each, not the residual)"),
])
def test_slipped_squared_errors_are_named(fn, slip):
    with pytest.raises(NonConformance) as caught:
        conforms("nll.mse", fn, max_examples=EXAMPLES)
    assert caught.value.slip == slip


def test_half_the_squared_error_conforms_only_up_to_scale():
    def half(y, mu):
        return 0.5 * (y - mu) ** 2

    with pytest.raises(NonConformance) as caught:
        conforms("nll.mse", half, max_examples=EXAMPLES)
    assert caught.value.declaration == {"up_to": ["scale"]}
    assert conforms("nll.mse", half, up_to="scale", max_examples=EXAMPLES).affine.factor == 0.5


DIAGONAL = {"y": "[y1, y2]", "mu": "[mu1, mu2]", "sigma": "[sigma1, sigma2]"}


def diagonal_gaussian_nll(y, mu, sigma):
    """Per example, summed over the last axis (the dimensions)."""
    return np.sum(np.log(sigma) + 0.5 * np.log(2 * np.pi) + (y - mu) ** 2 / (2 * sigma ** 2), axis=-1)


def diagonal_gaussian_nll_averaged(y, mu, sigma):
    return np.mean(np.log(sigma) + 0.5 * np.log(2 * np.pi) + (y - mu) ** 2 / (2 * sigma ** 2), axis=-1)


def test_the_diagonal_gaussian_nll_summed_over_dimensions():
    assert conforms("nll.gaussian.diagonal", diagonal_gaussian_nll, args=DIAGONAL, max_examples=EXAMPLES).conforms
    with pytest.raises(NonConformance) as caught:
        conforms("nll.gaussian.diagonal", diagonal_gaussian_nll_averaged, args=DIAGONAL, max_examples=EXAMPLES)
    assert caught.value.slip == "averaged over dimensions (F.gaussian_nll_loss's default), not summed"


def focal_loss(y, p, gamma):
    """Binary focal loss as detection code writes it."""
    p_t = np.where(y == 1, p, 1 - p)
    return -((1 - p_t) ** gamma) * np.log(p_t)


def focal_loss_easy_up(y, p, gamma):
    p_t = np.where(y == 1, p, 1 - p)
    return -(p_t ** gamma) * np.log(p_t)


def test_the_focal_loss():
    assert conforms("nll.focal", focal_loss, max_examples=EXAMPLES).conforms
    with pytest.raises(NonConformance) as caught:
        conforms("nll.focal", focal_loss_easy_up, max_examples=EXAMPLES)
    assert caught.value.slip == "modulating factor p_t^gamma (easy examples weighted up)"


BETA_VAE = {"x": "[x1, x2]", "p": "[p1, p2]", "logvar": "2*log(sigma)"}


def beta_vae_loss(x, p, mu, logvar, beta):
    bce = -(x * torch.log(p) + (1 - x) * torch.log1p(-p)).sum(-1)
    kl = -0.5 * (1 + logvar - mu ** 2 - logvar.exp())
    return bce + beta * kl


def beta_vae_loss_beta_on_bce(x, p, mu, logvar, beta):
    bce = -(x * torch.log(p) + (1 - x) * torch.log1p(-p)).sum(-1)
    kl = -0.5 * (1 + logvar - mu ** 2 - logvar.exp())
    return beta * bce + kl


def test_the_beta_weighted_vae_loss():
    assert conforms("vae.loss.beta", beta_vae_loss, args=BETA_VAE, max_examples=EXAMPLES).conforms
    with pytest.raises(NonConformance) as caught:
        conforms("vae.loss.beta", beta_vae_loss_beta_on_bce, args=BETA_VAE, max_examples=EXAMPLES)
    assert caught.value.slip == "beta on the reconstruction instead of the KL"
