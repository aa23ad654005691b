"""New claims people implement (issue 81): the hinge loss (``nll.hinge``, ``gan.discriminator.hinge``), Huber and
torch's smooth L1 (``nll.huber``, ``nll.smooth-l1``) and the discretised Gaussian decoder of image diffusion models
(``ddpm.decoder.discretised``). User-style implementations written for this test, in plain Python, NumPy (with
scipy) and torch, one input at a time and batched: each right one conforms, each slipped one fails with its slip
named."""

from __future__ import annotations

import numpy as np
import pytest

from derivspec.testing import NonConformance, conforms

torch = pytest.importorskip("torch")
F = torch.nn.functional
special = pytest.importorskip("scipy.special")

EXAMPLES = 40


def slip_of(claim_id, fn, **options):
    """The slip ``conforms`` names for ``fn`` (it must fail)."""
    with pytest.raises(NonConformance) as caught:
        conforms(claim_id, fn, max_examples=EXAMPLES, **options)
    return caught.value


# --- the SVM hinge: y in {-1, +1}, f the raw score ---------------------------------------------------

def hinge_scalar(y, f):
    """Plain Python, one example at a time."""
    return max(0.0, 1.0 - y * f)


def hinge_numpy(y, f):
    return np.maximum(0.0, 1.0 - y * f)


def hinge_torch_mean(labels, scores):
    return torch.clamp(1 - labels * scores, min=0).mean()


def perceptron_numpy(y, f):
    return np.maximum(0.0, -y * f)


def hinge_labels_converted_twice(y, f):
    y = 2 * y - 1  # the labels were already -1/+1
    return np.maximum(0.0, 1.0 - y * f)


def test_the_hinge_conforms_in_plain_python_numpy_and_torch():
    assert conforms("nll.hinge", hinge_scalar, max_examples=EXAMPLES).conforms
    assert conforms("nll.hinge", hinge_numpy, max_examples=EXAMPLES).conforms
    report = conforms("nll.hinge", hinge_torch_mean, args={"labels": "y", "scores": "f"},
                      conventions={"reduction": "mean"}, max_examples=EXAMPLES)
    assert report.conforms and report.conventions["reduction"] == "mean"


@pytest.mark.parametrize("fn, slip", [
    (perceptron_numpy, "no margin: max(0, -y f) (the perceptron loss)"),
    (hinge_labels_converted_twice, "labels already in {-1, 1} converted again with 2y - 1"),
])
def test_slipped_hinges_are_named(fn, slip):
    assert slip_of("nll.hinge", fn).slip == slip


# --- the GAN discriminator's hinge: batch means of the two terms --------------------------------------

def discriminator_hinge(dis_fake, dis_real):
    """As BigGAN / SAGAN code writes it: the mean over the real batch plus the mean over the generated one."""
    return torch.mean(F.relu(1.0 - dis_real)) + torch.mean(F.relu(1.0 + dis_fake))


def discriminator_hinge_swapped(dis_fake, dis_real):
    return torch.mean(F.relu(1.0 + dis_real)) + torch.mean(F.relu(1.0 - dis_fake))


def wasserstein_critic(dis_fake, dis_real):
    return 2.0 - torch.mean(dis_real) + torch.mean(dis_fake)


GAN_ARGS = {"dis_real": "d_real", "dis_fake": "d_fake"}


def test_the_discriminator_hinge_conforms_as_two_batch_means():
    report = conforms("gan.discriminator.hinge", discriminator_hinge, args=GAN_ARGS,
                      conventions={"reduction": "mean"}, max_examples=EXAMPLES)
    assert report.conforms


@pytest.mark.parametrize("fn, slip", [
    (discriminator_hinge_swapped, "real and generated roles swapped: max(0, 1 + D(x)) + max(0, 1 - D(G(z)))"),
    (wasserstein_critic, "the clamps dropped: the Wasserstein critic loss 2 - D(x) + D(G(z))"),
])
def test_slipped_discriminator_hinges_are_named(fn, slip):
    failure = slip_of("gan.discriminator.hinge", fn, args=GAN_ARGS, conventions={"reduction": "mean"})
    assert failure.slip == slip


# --- Huber (threshold delta) and torch's smooth L1 (beta): Huber = beta x smooth L1 at delta = beta ------------

def huber_numpy(y, mu, delta):
    r = np.abs(y - mu)
    return np.where(r <= delta, 0.5 * r ** 2, delta * (r - 0.5 * delta))


def huber_scalar(y, mu, delta):
    """Plain Python, one example at a time."""
    r = abs(y - mu)
    return 0.5 * r * r if r <= delta else delta * (r - 0.5 * delta)


def smooth_l1_numpy(y, mu, beta):
    r = np.abs(y - mu)
    return np.where(r < beta, 0.5 * r ** 2 / beta, r - 0.5 * beta)


def huber_without_offset(y, mu, delta):
    r = np.abs(y - mu)
    return np.where(r <= delta, 0.5 * r ** 2, delta * r)


def smooth_l1_quadratic_not_scaled(y, mu, beta):
    r = np.abs(y - mu)
    return np.where(r < beta, 0.5 * r ** 2, r - 0.5 * beta)


def test_huber_and_smooth_l1_conform_with_their_own_threshold():
    assert conforms("nll.huber", huber_numpy, max_examples=EXAMPLES).conforms
    assert conforms("nll.huber", huber_scalar, max_examples=EXAMPLES).conforms
    assert conforms("nll.smooth-l1", smooth_l1_numpy, max_examples=EXAMPLES).conforms


def test_each_is_the_named_slip_of_the_other():
    """With delta = beta they differ by the factor beta: the one written for the other is named, not passed."""
    def smooth_l1_as_huber(y, mu, delta):
        return smooth_l1_numpy(np.asarray(y), np.asarray(mu), np.asarray(delta))

    def huber_as_smooth_l1(y, mu, beta):
        return huber_numpy(np.asarray(y), np.asarray(mu), np.asarray(beta))

    assert slip_of("nll.huber", smooth_l1_as_huber).slip == \
        "smooth L1 (torch's, beta = delta) in place of Huber: divided by delta"
    assert slip_of("nll.smooth-l1", huber_as_smooth_l1).slip == \
        "Huber (delta = beta) in place of smooth L1: not divided by beta"


@pytest.mark.parametrize("claim_id, fn, slip", [
    ("nll.huber", huber_without_offset, "the linear branch without its offset: delta*|r| (a jump at |r| = delta)"),
    ("nll.smooth-l1", smooth_l1_quadratic_not_scaled,
     "the quadratic branch not divided by beta: 0.5 r^2 (right only at beta = 1)"),
])
def test_slipped_huber_and_smooth_l1_are_named(claim_id, fn, slip):
    assert slip_of(claim_id, fn).slip == slip


def test_torch_losses_with_a_fixed_threshold():
    """torch takes the threshold as a number: the claim's variable is fixed (--fix delta=1.5) and the batch mean
    is torch's default reduction."""
    def torch_huber(input, target):
        return F.huber_loss(input, target, delta=1.5)

    def torch_smooth_l1(input, target):
        return F.smooth_l1_loss(input, target, beta=1.5)

    args = {"input": "mu", "target": "y"}
    mean = {"reduction": "mean"}
    assert conforms("nll.huber", torch_huber, args=args, conventions=mean, fix={"delta": 1.5},
                    max_examples=EXAMPLES).conforms
    assert conforms("nll.smooth-l1", torch_smooth_l1, args=args, conventions=mean, fix={"beta": 1.5},
                    max_examples=EXAMPLES).conforms
    with pytest.raises(NonConformance):  # Huber is smooth L1 times 1.5 here: not smooth L1
        conforms("nll.smooth-l1", torch_huber, args=args, conventions=mean, fix={"beta": 1.5}, max_examples=EXAMPLES)


# --- the discretised Gaussian decoder: 256 levels in [-1, 1], bins of width 2/255, edge bins open ----------------

def _log_mass(lower, upper, log_ndtr, log, expm1, erf, where):
    """log(Phi(upper) - Phi(lower)) without cancellation: near the mean (a narrow bin of a wide sigma) as a
    difference of erf values, which are small there; elsewhere through the tail on the far side of the mean,
    log(1 - e^d) as log(-expm1(d))."""
    above = lower > 0
    big = where(above, log_ndtr(-lower), log_ndtr(upper))
    small = where(above, log_ndtr(-upper), log_ndtr(lower))
    tails = big + log(-expm1(small - big))
    central = log(0.5 * (erf(upper / 2 ** 0.5) - erf(lower / 2 ** 0.5)))
    return where((abs(lower) < 1) & (abs(upper) < 1), central, tails)


def decoder_log_likelihood_numpy(x, mu, sigma):
    """NumPy + scipy: log p(x) per pixel, x in [-1, 1] on 256 levels."""
    lower, upper = (x - 1 / 255 - mu) / sigma, (x + 1 / 255 - mu) / sigma
    interior = _log_mass(lower, upper, special.log_ndtr, np.log, np.expm1, special.erf, np.where)
    return np.where(x < -0.999, special.log_ndtr(upper), np.where(x > 0.999, special.log_ndtr(-lower), interior))


def decoder_log_likelihood_torch(x, means, log_scales):
    """torch, the signature of improved-diffusion's discretized_gaussian_log_likelihood, summed over the pixels
    of a batch (the sum is a reduction)."""
    inv_stdv = torch.exp(-log_scales)
    lower, upper = (x - 1 / 255 - means) * inv_stdv, (x + 1 / 255 - means) * inv_stdv
    log_ndtr = torch.special.log_ndtr
    interior = _log_mass(lower, upper, log_ndtr, torch.log, torch.expm1, torch.erf, torch.where)
    log_probs = torch.where(x < -0.999, log_ndtr(upper), torch.where(x > 0.999, log_ndtr(-lower), interior))
    return log_probs.sum()


def _slipped_decoder(half_width=1 / 255, open_edges=True, scale=lambda sigma: sigma):
    def decoder(x, mu, sigma):
        s = scale(sigma)
        lower, upper = (x - half_width - mu) / s, (x + half_width - mu) / s
        interior = _log_mass(lower, upper, special.log_ndtr, np.log, np.expm1, special.erf, np.where)
        if not open_edges:
            return interior
        return np.where(x < -0.999, special.log_ndtr(upper), np.where(x > 0.999, special.log_ndtr(-lower), interior))
    return decoder


def decoder_density(x, mu, sigma):
    return -0.5 * np.log(2 * np.pi * sigma ** 2) - (x - mu) ** 2 / (2 * sigma ** 2)


DECODER = "ddpm.decoder.discretised"


def test_the_discretised_decoder_conforms_in_numpy_and_torch():
    assert conforms(DECODER, decoder_log_likelihood_numpy, max_examples=EXAMPLES).conforms
    report = conforms(DECODER, decoder_log_likelihood_torch, args={"means": "mu", "log_scales": "log(sigma)"},
                      conventions={"reduction": "sum"}, max_examples=EXAMPLES)
    assert report.conforms


@pytest.mark.parametrize("fn, slip", [
    (_slipped_decoder(half_width=2 / 255), "bin half-width 2/255 (the distance between levels) in place of 1/255"),
    (_slipped_decoder(open_edges=False), "edges not open: x = -1 and x = 1 get closed bins of width 2/255 like the others"),
    (decoder_density, "a density instead of a probability: log N(x; mu, sigma^2)"),
    (_slipped_decoder(scale=lambda sigma: sigma ** 2),
     "the variance in place of the standard deviation (a log-variance passed as log-scales)"),
])
def test_slipped_decoders_are_named(fn, slip):
    assert slip_of(DECODER, fn).slip == slip


def test_a_log_variance_passed_as_log_scales_is_named_in_torch():
    """improved-diffusion's signature handed 2 log sigma (a log-variance) where it expects log sigma."""
    failure = slip_of(DECODER, decoder_log_likelihood_torch, args={"means": "mu", "log_scales": "2*log(sigma)"},
                      conventions={"reduction": "sum"})
    assert failure.slip == "the variance in place of the standard deviation (a log-variance passed as log-scales)"
