"""Any size (issue 81, Build 2) and the wrong normalisation axis (Build 7).

Claims over vectors accept any size: Hypothesis draws the number of classes, pixels, latent and
data dimensions (derivspec.testing.sizes), per batch. User-style implementations written for this test
(plain Python loops, NumPy, torch; batched and not): written for any size they conform; one written
for the claim's own size is caught at another; the registered slips are named at every size; one that
normalises over the batch axis fails with that slip named. The general forms the claims declare are
tied to their targets at the claims' own sizes.
"""

from __future__ import annotations

import importlib
import inspect
import math

import mpmath
import numpy as np
import pytest
import sympy

from derivspec.core import registry
from derivspec.testing import NonConformance, conforms
from derivspec.testing.batches import WRONG_AXIS
from derivspec.testing.sizes import SIZES, at_sizes

torch = pytest.importorskip("torch")
F = torch.nn.functional

EXAMPLES = 40
LATENT = {"mu": "[mu]", "logvar": "[2*log(sigma)]"}  # a latent vector (the claims' own is one-dimensional)


def _sized_claims() -> list[str]:
    """The claims that declare a general form (found in their modules' text; building every claim is slow)."""
    modules = registry.REGISTRY.modules()
    declaring = {m for m in set(modules.values()) if "any_size=" in inspect.getsource(importlib.import_module(m))}
    return sorted(cid for cid, m in modules.items() if m in declaring and registry.get(cid).any_size is not None)


# --- the general forms are the claims at their own sizes -----------------------------------------

@pytest.mark.parametrize("claim_id", _sized_claims())
def test_the_general_form_is_the_claim_at_its_own_sizes(claim_id):
    claim = registry.get(claim_id)
    own = dict(claim.any_size.sizes)
    general = at_sizes(claim, own)
    assert [v.name for v in general.variables] == [v.name for v in claim.variables]
    assert sympy.simplify(general.target - claim.expand_defined(claim.target)) == 0
    variants = {w.name: w.expr for w in claim.wrong_variants}
    assert general.wrong_variants, "the general form writes no wrong variant for any size"
    for wrong in general.wrong_variants:
        assert sympy.simplify(wrong.expr - variants[wrong.name]) == 0, wrong.name
    indices = frozenset(i.name for i in claim.any_size.indices)
    if indices:  # the indices as variables, at their defaults: the claim again
        indexed = at_sizes(claim, own, indices)
        defaults = {indexed.var(i.name).symbol: i.default for i in claim.any_size.indices}
        assert sympy.simplify(indexed.target.subs(defaults) - claim.target) == 0


def _lambdified(claim_id: str, which: str):
    """A NumPy function of the claim's vectors (parameters named like them; the latent as mu, logvar) that
    computes the general form's target (``which`` = "") or a wrong variant, at whatever size it is handed."""
    claim = registry.get(claim_id)

    def fn(**arrays):
        sizes = {v.dim: np.shape(arrays[v.name])[-1] for v in claim.any_size.vectors if v.name in arrays}
        sizes.update({v.dim: np.shape(arrays["mu"])[-1] for v in claim.any_size.vectors if v.name == "mu"})
        sized = at_sizes(claim, {**dict(claim.any_size.sizes), **sizes})
        expr = sized.target if not which else next(w.expr for w in sized.wrong_variants if w.name == which)
        columns = []
        for var in sized.variables:
            vector = next((v for v in claim.any_size.vectors if var.name.startswith(v.name)
                           and var.name[len(v.name):].isdigit()), None)
            latent = var.name in ("mu", "sigma") or vector is not None and vector.name in ("mu", "sigma")
            if latent and "logvar" in arrays:  # a scalar sigma beside other vectors (score.dsm.loss) is handed as it is
                data = arrays["mu"] if var.name.startswith("mu") else np.exp(np.asarray(arrays["logvar"]) / 2)
                index = 0 if var.name in ("mu", "sigma") else int(var.name[len(vector.name):]) - 1
                columns.append(np.asarray(data)[..., index])
            elif vector is not None:
                columns.append(np.asarray(arrays[vector.name])[..., int(var.name[len(vector.name):]) - 1])
            else:
                columns.append(np.asarray(arrays[var.name]))
        exact = sympy.lambdify([v.symbol for v in sized.variables], expr, "mpmath")  # stable at the edges too
        with mpmath.workdps(40):
            return np.vectorize(lambda *row: float(exact(*(mpmath.mpf(float(c)) for c in row))))(*columns)
    return fn


def _args(claim_id: str) -> dict:
    claim = registry.get(claim_id)
    args = {}
    for vector in claim.any_size.vectors:
        if vector.base in (("mu",), ("sigma",)):  # a one-dimensional latent: mu and logvar
            args.update(LATENT)
        else:
            args[vector.name] = "[" + ", ".join(vector.base) + "]"
    for var in claim.variables:
        if not any(var.name in v.base for v in claim.any_size.vectors):
            args[var.name] = var.name
    return args


@pytest.mark.parametrize("claim_id", _sized_claims())
def test_no_wrong_variant_conforms_at_any_size(claim_id):
    """The size freedom hides no slip: each wrong variant written for any size fails, named, and the target
    written the same way conforms."""
    args = _args(claim_id)
    report = conforms(claim_id, _lambdified(claim_id, ""), args=args, max_examples=EXAMPLES)
    assert report.sizes and all(len(values) > 1 for values in report.sizes.values())
    claim = registry.get(claim_id)
    general = at_sizes(claim, {name: SIZES[0] for name, _ in claim.any_size.sizes})
    for wrong in general.wrong_variants:
        with pytest.raises(NonConformance) as caught:
            conforms(claim_id, _lambdified(claim_id, wrong.name), args=args, max_examples=EXAMPLES)
        assert caught.value.slip == wrong.name


# --- softmax cross-entropy for any K and any label ------------------------------------------------

def ce_loops(logits, label):
    """One example, plain Python: -log softmax(logits)[label], any number of classes."""
    top = max(logits)
    total = 0.0
    for h in logits:
        total += math.exp(h - top)
    return top + math.log(total) - logits[label]


def ce_numpy(logits, label):
    """A batch, NumPy: log-sum-exp along the class axis."""
    top = logits.max(axis=-1, keepdims=True)
    lse = top[..., 0] + np.log(np.exp(logits - top).sum(axis=-1))
    return lse - np.take_along_axis(logits, label[..., None], axis=-1)[..., 0]


def ce_torch(logits, label):
    return F.cross_entropy(logits, label, reduction="none")


def ce_three_classes(logits, label):
    """Written for three classes: the normaliser adds the first three logits."""
    h1, h2, h3 = logits[..., 0], logits[..., 1], logits[..., 2]
    top = np.maximum(np.maximum(h1, h2), h3)
    lse = top + np.log(np.exp(h1 - top) + np.exp(h2 - top) + np.exp(h3 - top))
    return lse - np.take_along_axis(logits, label[..., None], axis=-1)[..., 0]


def ce_over_the_batch(logits, label):
    """log-softmax along dim 0, the batch, where the classes are dim 1."""
    return -F.log_softmax(logits, dim=0).gather(1, label[:, None])[:, 0]


def ce_mean_over_the_batch_axis(logits, label):
    """A batch-mean loss whose softmax is normalised along axis 0 (NumPy)."""
    top = logits.max(axis=0, keepdims=True)
    log_probs = logits - top - np.log(np.exp(logits - top).sum(axis=0, keepdims=True))
    return -np.take_along_axis(log_probs, label[:, None], axis=1).mean()


@pytest.mark.parametrize("fn, called", [(ce_loops, "one input per call"), (ce_numpy, "NumPy"), (ce_torch, "torch")],
                         ids=["loops", "numpy", "torch"])
def test_softmax_cross_entropy_for_any_number_of_classes_and_any_label(fn, called):
    report = conforms("nll.categorical", fn, args={"logits": "h"}, max_examples=EXAMPLES)
    assert called in report.called  # (this module imports torch: its functions are handed tensors first)
    assert set(report.sizes) == {"K"} and len(report.sizes["K"]) > 1 and 2 not in report.sizes["K"]
    assert report.arguments["label"] == "label"


def test_the_claims_list_of_logits_draws_the_number_of_classes_too():
    report = conforms("nll.categorical", ce_torch, args={"logits": "[h1, h2, h3]"}, max_examples=EXAMPLES)
    assert len(report.sizes["K"]) > 1
    # a member alone keeps the claim's own three classes
    assert not conforms("nll.categorical", lambda a, b, c: ce_loops([a, b, c], 0),
                        args={"a": "h1", "b": "h2", "c": "h3"}, max_examples=EXAMPLES).sizes


def test_a_three_class_implementation_is_caught_at_another_size():
    with pytest.raises(NonConformance) as caught:
        conforms("nll.categorical", ce_three_classes, args={"logits": "h"}, max_examples=EXAMPLES)
    failure = caught.value
    assert failure.details["sizes"]["K"] != 3
    assert failure.slip.startswith("written for the claim's own size only (K = 3)")
    assert len(failure.counterexample["logits"]) == failure.details["sizes"]["K"]


def test_torch_cross_entropy_as_a_batch_mean():
    def loss(logits, label):
        return F.cross_entropy(logits, label)

    report = conforms("nll.categorical", loss, args={"logits": "h"}, conventions={"reduction": "mean"},
                      max_examples=EXAMPLES)
    assert report.conventions["reduction"] == "mean" and len(report.sizes["K"]) > 1


@pytest.mark.parametrize("fn, conventions", [(ce_over_the_batch, {}),
                                             (ce_mean_over_the_batch_axis, {"reduction": "mean"})],
                         ids=["torch-dim0", "numpy-axis0-mean"])
def test_normalising_over_the_batch_axis_is_named(fn, conventions):
    with pytest.raises(NonConformance) as caught:
        conforms("nll.categorical", fn, args={"logits": "h"}, conventions=conventions, max_examples=EXAMPLES)
    assert caught.value.slip == WRONG_AXIS
    assert WRONG_AXIS in str(caught.value)


def test_a_batch_normalised_function_is_a_finding_unless_declared_unbatched():
    """A function right for one input that mixes a batch (a textbook log-softmax summing over axis 0) is
    called batched and per input: the two disagree, and that is the finding, named -- with --unbatched (code
    written for one input at a time) it conforms."""
    def log_softmax(z):  # a textbook log-softmax, written for one vector: the sum runs over axis 0
        shifted = z - np.max(z)
        return shifted - np.log(np.exp(shifted).sum(axis=0))

    def ce_one_example(logits):
        return -log_softmax(np.asarray(logits))[..., 0]

    with pytest.raises(NonConformance) as caught:
        conforms("nll.categorical", ce_one_example, args={"logits": "h"}, max_examples=EXAMPLES)
    assert caught.value.kind == "batch" and caught.value.slip == WRONG_AXIS
    assert caught.value.declaration == {"batching": "unbatched"}
    report = conforms("nll.categorical", ce_one_example, args={"logits": "h"}, max_examples=EXAMPLES,
                      batching="unbatched")
    assert "one input per call (declared)" in report.called


# --- VAE losses for image-shaped data and any latent size ---------------------------------------

def vae_loss_images(recon_x, x, mu, logvar):
    """The PyTorch example's loss for MNIST-style images, flattened per example rather than to 784."""
    x = x.to(recon_x.dtype)  # (the kit hands binary pixels as whole numbers; images are floats)
    bce = F.binary_cross_entropy(recon_x.reshape(x.shape[0], -1), x.reshape(x.shape[0], -1), reduction="sum")
    kld = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())
    return bce + kld


def vae_loss_pixel_mean(recon_x, x, mu, logvar):
    bce = F.binary_cross_entropy(recon_x, x.to(recon_x.dtype), reduction="none").mean(dim=-1)
    kld = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp(), dim=-1)
    return bce + kld


def vae_loss_loops(x, p, mu, sigma):
    """One example, plain Python loops over the pixels and the latent coordinates."""
    total = 0.0
    for xj, pj in zip(x, p):
        total -= xj * math.log(pj) + (1 - xj) * math.log1p(-pj)
    for m, s in zip(mu, sigma):
        total += 0.5 * (m * m + s * s - 1) - math.log(s)
    return total


VAE_IMAGES = {"recon_x": "p", "x": "x", **LATENT}


def test_a_vae_loss_for_images_of_any_size_and_any_latent_size():
    report = conforms("vae.loss.bernoulli", vae_loss_images, args=VAE_IMAGES, conventions={"reduction": "sum"},
                      max_examples=EXAMPLES)
    assert set(report.sizes) == {"D", "J"} and 1 in report.sizes["J"] and len(report.sizes["J"]) > 1
    report = conforms("vae.loss.bernoulli", vae_loss_loops, args={"mu": "[mu]", "sigma": "[sigma]"},
                      max_examples=EXAMPLES)
    assert "one input per call" in report.called and set(report.sizes) == {"D", "J"}


def test_a_vae_loss_averaged_over_pixels_is_named_at_any_size():
    with pytest.raises(NonConformance) as caught:
        conforms("vae.loss.bernoulli", vae_loss_pixel_mean, args=VAE_IMAGES, max_examples=EXAMPLES)
    assert caught.value.slip == "BCE averaged over pixels (F.binary_cross_entropy's default reduction) + KL"


def test_a_gaussian_decoder_vae_loss_for_any_size():
    def loss(x, x_hat, sigma_x, mu, logvar):
        pixels = x.shape[-1]
        reconstruction = ((x - x_hat) ** 2).sum(-1) / (2 * sigma_x ** 2) + pixels / 2 * np.log(2 * np.pi * sigma_x ** 2)
        return reconstruction - 0.5 * (1 + logvar - mu ** 2 - np.exp(logvar)).sum(-1)

    def loss_normaliser_once(x, x_hat, sigma_x, mu, logvar):
        reconstruction = ((x - x_hat) ** 2).sum(-1) / (2 * sigma_x ** 2) + 0.5 * np.log(2 * np.pi * sigma_x ** 2)
        return reconstruction - 0.5 * (1 + logvar - mu ** 2 - np.exp(logvar)).sum(-1)

    args = {"x_hat": "m", "sigma_x": "sx", **LATENT}
    assert conforms("vae.loss.gaussian", loss, args=args, max_examples=EXAMPLES).sizes["D"][0] == 2
    with pytest.raises(NonConformance) as caught:
        conforms("vae.loss.gaussian", loss_normaliser_once, args=args, max_examples=EXAMPLES)
    assert caught.value.slip == "the log-normaliser counted once, not per pixel"


# --- the diagonal Gaussian NLL for any D -----------------------------------------------------------

def diagonal_nll_numpy(y, mu, sigma):
    return np.sum(np.log(sigma) + 0.5 * np.log(2 * np.pi) + (y - mu) ** 2 / (2 * sigma ** 2), axis=-1)


def diagonal_nll_torch(y, mu, sigma):
    return -torch.distributions.Independent(torch.distributions.Normal(mu, sigma), 1).log_prob(y)


def diagonal_nll_loops(y, mu, sigma):
    return sum(math.log(s) + 0.5 * math.log(2 * math.pi) + (a - m) ** 2 / (2 * s * s) for a, m, s in zip(y, mu, sigma))


def diagonal_nll_averaged(y, mu, sigma):
    return F.gaussian_nll_loss(mu, y, sigma ** 2, full=True, reduction="none").mean(-1)


@pytest.mark.parametrize("fn, called", [(diagonal_nll_numpy, "NumPy"), (diagonal_nll_torch, "torch"),
                                        (diagonal_nll_loops, "one input per call")], ids=["numpy", "torch", "loops"])
def test_a_diagonal_gaussian_nll_for_any_number_of_dimensions(fn, called):
    report = conforms("nll.gaussian.diagonal", fn, max_examples=EXAMPLES)  # y, mu, sigma: the vectors by name
    assert called in report.called and len(report.sizes["D"]) > 1


def test_a_diagonal_gaussian_nll_averaged_over_dimensions_is_named_at_any_size():
    with pytest.raises(NonConformance) as caught:
        conforms("nll.gaussian.diagonal", diagonal_nll_averaged, max_examples=EXAMPLES)
    assert caught.value.slip == "averaged over dimensions (F.gaussian_nll_loss's default), not summed"
