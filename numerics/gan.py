"""Independent numeric routes and behaviour checks for the GAN family (``derivations/gan/``).

Routes: numerical maximisation of the pointwise value (Newton on the logit), a discriminator
trained on the population value of a 1-D GAN (``reference_models/gan1d.py``), scipy's
Jensen–Shannon distance, autograd of torch's log-sigmoid losses. Behaviour checks run the 1-D GAN
(quadrature, sampling, alternating training) with fixed seeds.
"""

from __future__ import annotations

import math
import time

import numpy as np
import torch
import torch.nn.functional as F

from derivspec.core.lazy import lazy
from derivspec.core.numbers import fmt
from derivspec.numerics.accuracy import ERROR_SAFETY, Approximate, agreement, tolerance
from derivspec.numerics.checks import NumericResult, elementwise_grad
from derivspec.numerics.routes import behaviour, model, reference
from derivspec.reference_models import gan1d
from derivspec.reference_models.device import DTYPE, make_generator, resolve_device

stats = lazy("scipy.stats")
jensenshannon = lazy("scipy.spatial.distance", "jensenshannon")

FALSE_FAIL_RATE = 1e-6  # the z-tests of the behaviour checks fail a true statement about once in a million runs
Z_CRITICAL = float(stats.norm.isf(FALSE_FAIL_RATE / 2))


def _newton_step(logit, p, q):
    """The Newton step g/h for maximising p log σ(ℓ) + q log σ(−ℓ) at ℓ (gradient g, curvature h < 0)."""
    s = torch.sigmoid(logit)
    return (p * (1 - s) - q * s) / (-(p + q) * s * (1 - s))


def _maximise_pointwise_value(p, q, iterations: int = 60):
    """argmax over the logit ℓ of p log σ(ℓ) + q log σ(−ℓ), Newton's method (concave in ℓ): the logit, and the
    size of the Newton step that would follow (quadratic convergence: the logit's error is below it)."""
    logit = torch.zeros_like(p)
    for _ in range(iterations):
        logit = logit - _newton_step(logit, p, q)
    return logit, _newton_step(logit, p, q).abs()


@reference("gan.discriminator.optimal")
def pointwise_newton(p, q):
    """Newton's method on the logit of p log D + q log(1 − D), then D = sigmoid(logit); error: the next Newton step × σ'"""
    logit, step = _maximise_pointwise_value(p, q)
    d = torch.sigmoid(logit)
    return Approximate(d, d * (1 - d) * step, "next Newton step × σ'(logit)")


@model("gan.discriminator.optimal", candidate_args=("p", "q"))
def trained_discriminator(candidate, generator, device):
    """reference 1-D GAN: D = σ(w₀ + w₁x + w₂x²) maximising V by quadrature (Newton) vs the candidate at p_data(x), p_g(x)

    The trained D's error estimate is the agreement of the fits on quadrature grids of spacing h and 2h
    (Newton converged on both); the candidate must agree within round-off plus ERROR_SAFETY times it."""
    start = time.perf_counter()
    worst, worst_error, passed = 0.0, 0.0, True
    x = torch.linspace(-3, 3, 61, dtype=DTYPE, device=device)
    for _ in range(4):
        mu, a = (float(4 * torch.rand((), generator=generator, dtype=DTYPE, device=device) - 2) for _ in range(2))
        sigma, b = (float(0.5 + torch.rand((), generator=generator, dtype=DTYPE, device=device)) for _ in range(2))
        coarse, fine = (torch.sigmoid(gan1d.discriminator_logit(
            gan1d.fit_discriminator_population(mu, sigma, a, b, device, step=step), x))
            for step in (2 * gan1d.QUADRATURE_STEP, gan1d.QUADRATURE_STEP))
        trained, error = agreement(coarse, fine)
        p = torch.exp(gan1d.normal_log_density(x, mu, sigma))
        q = torch.exp(gan1d.normal_log_density(x, a, b))
        difference = (candidate(p=p, q=q) - trained).abs()
        passed = passed and bool((difference <= tolerance(trained, error)).all())
        worst, worst_error = max(worst, float(difference.max())), max(worst_error, float(error.max()))
    return NumericResult(passed, "", points=4 * 61, max_abs_diff=worst, seconds=time.perf_counter() - start,
                         detail=f"4 random Gaussian (data, generator) pairs, 61 points each: max |D_trained − candidate| = "
                                f"{fmt(worst, '.2g')}; the fits on two quadrature spacings agree to {fmt(worst_error, '.1g')} (tolerance "
                                f"round-off + {fmt(ERROR_SAFETY, 'g')} × that)")


@behaviour("gan.discriminator.optimal", broken={
    "p_g = N(a, b) read with b as the variance": dict(p_g=lambda a, b: (a, math.sqrt(b))),
    "the generator's shift a left out of G(z)": dict(G=lambda z, a, b: b * z),
    "a non-affine generator a + bz + 0.3z² taken as N(a, b²)": dict(G=lambda z, a, b: a + b * z + 0.3 * z**2),
})
def value_over_noise_equals_value_over_samples(n, *, G=lambda z, a, b: a + b * z, p_g=lambda a, b: (a, b)):
    """reference 1-D GAN: E_z[log(1 − D(G(z)))] by Monte Carlo over z equals E_{x~p_g}[log(1 − D(x))] by quadrature

    Seams: the generator ``G(z, a, b)`` and ``p_g(a, b) -> (mean, sd)``, the distribution said to be G's pushforward."""
    device = resolve_device("auto")
    w = torch.tensor([0.3, 0.8, -0.4], dtype=DTYPE, device=device)
    a, b = -0.5, 1.3
    z = torch.randn(n, generator=make_generator(2806, device), dtype=DTYPE, device=device)
    draws = F.logsigmoid(-gan1d.discriminator_logit(w, G(z, a, b)))
    mean, se = float(draws.mean()), float(draws.std() / math.sqrt(n))
    exact = float(gan1d.gaussian_expectation(lambda x: F.logsigmoid(-gan1d.discriminator_logit(w, x)), *p_g(a, b), device))
    zscore = (mean - exact) / se
    return abs(zscore) <= Z_CRITICAL, (f"G(z) = {a} + {b}z, D = σ(0.3 + 0.8x − 0.4x²): over z (n = {n}) {fmt(mean, '.5f')} ± {fmt(se, '.1g')}; "
                                       f"over x ~ p_g by quadrature {fmt(exact, '.5f')}; z = {fmt(zscore, '.2f')} (|z| ≤ {fmt(Z_CRITICAL, '.2f')})")


def _accuracy(w, x, y):
    return float(((gan1d.discriminator_logit(w, x) > 0).to(DTYPE) == y).to(DTYPE).mean())


def fit_linear_discriminator(x_data, x_gen):
    """Logistic regression on features (1, x) by LBFGS: the weights (w₀, w₁, 0)."""
    x = torch.cat([x_data, x_gen])
    y = torch.cat([torch.ones_like(x_data), torch.zeros_like(x_gen)])
    w = torch.zeros(2, dtype=DTYPE, device=x.device, requires_grad=True)
    optimiser = torch.optim.LBFGS([w], max_iter=100, line_search_fn="strong_wolfe")

    def closure():
        optimiser.zero_grad()
        loss = F.binary_cross_entropy_with_logits(w[0] + w[1] * x, y)
        loss.backward()
        return loss

    optimiser.step(closure)
    return torch.cat([w.detach(), torch.zeros(1, dtype=DTYPE, device=x.device)])


@behaviour("gan.discriminator.optimal", broken={
    "a linear discriminator (cannot see a change of scale)": dict(fit=fit_linear_discriminator),
    "both samples from N(0, 1) (no difference to detect)": dict(q_sd=1.0),
})
def classifier_two_sample_test(n, *, fit=gan1d.fit_discriminator_samples, q_sd=1.5):
    """N(0, 1) vs N(0, 1.5²): a quadratic logistic-regression discriminator tells the samples apart on held-out data; a linear one cannot

    Seams: the discriminator ``fit(x_data, x_gen) -> w`` (quadratic logit) and Q's standard deviation ``q_sd``."""
    device = resolve_device("auto")
    g = make_generator(2786, device)
    s1 = torch.randn(2 * n, generator=g, dtype=DTYPE, device=device)
    s2 = q_sd * torch.randn(2 * n, generator=g, dtype=DTYPE, device=device)
    x_test = torch.cat([s1[n:], s2[n:]])
    y_test = torch.cat([torch.ones(n, dtype=DTYPE, device=device), torch.zeros(n, dtype=DTYPE, device=device)])
    acc_quadratic = _accuracy(fit(s1[:n], s2[:n]), x_test, y_test)
    acc_linear = _accuracy(fit_linear_discriminator(s1[:n], s2[:n]), x_test, y_test)
    se = math.sqrt(0.25 / (2 * n))
    z_quadratic, z_linear = (acc_quadratic - 0.5) / se, (acc_linear - 0.5) / se
    return z_quadratic > Z_CRITICAL, (f"n = {n} per sample and as many held out, Q = N(0, {fmt(q_sd, 'g')}²): discriminator accuracy {fmt(acc_quadratic, '.3f')} "
                                      f"(z = {fmt(z_quadratic, '.1f')} against chance; P ≠ Q detected: {z_quadratic > Z_CRITICAL}); linear (limited capacity) "
                                      f"{fmt(acc_linear, '.3f')} (z = {fmt(z_linear, '.1f')})")


# --- the value at D* -----------------------------------------------------------------------------


def _two_point(p1, q1):
    return torch.stack([p1, 1 - p1], -1), torch.stack([q1, 1 - q1], -1)


@reference("gan.value.optimal")
def scipy_jensen_shannon(p1, q1):
    """−log 4 + 2·scipy.spatial.distance.jensenshannon(P, Q)² (natural log)"""
    P, Q = _two_point(p1, q1)
    distance = np.nan_to_num(jensenshannon(P.cpu().numpy(), Q.cpu().numpy(), axis=-1))  # nan for P ≈ Q (√ of a rounding-negative)
    return -math.log(4) + 2 * torch.as_tensor(distance, dtype=DTYPE, device=p1.device) ** 2


@reference("gan.value.optimal")
def value_at_numerically_optimal_discriminator(p1, q1):
    """V at the discriminator maximised numerically at each point (Newton on the logit)

    Error estimate: the Newton decrement ½ g²/|h| per outcome (g, h: the gradient and curvature at the
    final logit), how far the concave objective's value is below its maximum."""
    P, Q = _two_point(p1, q1)
    logit, step = _maximise_pointwise_value(P, Q)
    s = torch.sigmoid(logit)
    decrement = ((P + Q) * s * (1 - s) * step**2 / 2).sum(-1)
    return Approximate((P * F.logsigmoid(logit) + Q * F.logsigmoid(-logit)).sum(-1), decrement, "Newton decrement")


def value_at_inverted_discriminator(mu, sigma, a, b, device=None) -> float:
    """V at D = p_g/(p + p_g), the optimal discriminator's ratio upside down (quadrature)."""
    def log_d(x):
        log_p, log_q = gan1d.normal_log_density(x, mu, sigma), gan1d.normal_log_density(x, a, b)
        return log_q - torch.logaddexp(log_p, log_q), log_p - torch.logaddexp(log_p, log_q)  # log D, log(1 − D)
    return float(gan1d.gaussian_expectation(lambda x: log_d(x)[0], mu, sigma, device)
                 + gan1d.gaussian_expectation(lambda x: log_d(x)[1], a, b, device))


@behaviour("gan.value.optimal", broken={
    "D* inverted, p_g/(p + p_g)": dict(value=value_at_inverted_discriminator),
    "the discriminator left at D = ½ (not maximised)": dict(value=lambda mu, sigma, a, b, device=None: -math.log(4)),
})
def minimax_optimum_is_the_data(mu, sigma, *, value=gan1d.best_response_value):
    """reference 1-D GAN: max_D V (discriminator fitted by quadrature) over a grid of Gaussian generators is smallest, −log 4, at p_g = p_data

    Seam: ``value(mu, sigma, a, b, device)``, the generator's score max_D V (:func:`gan1d.best_response_value`)."""
    device = resolve_device("auto")
    grid = gan1d.minimax_grid(mu, sigma, device, value=value)
    best = min(grid, key=grid.get)
    at_data = grid[(0.0, 1.0)]
    others = min(v for k, v in grid.items() if k != (0.0, 1.0))
    jsd_check = max(abs(v - (-math.log(4) + 2 * float(gan1d.jsd_by_quadrature(mu, sigma, mu + d, c * sigma, device))))
                    for (d, c), v in grid.items())
    holds = best == (0.0, 1.0) and abs(at_data + math.log(4)) < 1e-10 and others > at_data + 1e-4
    return holds, (f"data N({mu}, {sigma}²), generators N({mu} + δ, (c·{sigma})²), δ ∈ {{−0.2, 0, 0.2}}, c ∈ {{0.8, 1, 1.25}}: "
                   f"max_D V = {fmt(at_data, '.10f')} (−log 4 = {fmt(-math.log(4), '.10f')}) at p_g = p_data, ≥ {fmt(others, '.5f')} elsewhere "
                   f"(smallest at (δ, c) = {best}); "
                   f"max_D V − (−log 4 + 2 JSD) ≤ {fmt(jsd_check, '.1g')} on the grid")


@behaviour("gan.value.optimal", broken={
    "the generator descends log D(G(z)) (the non-saturating loss's sign flipped)": dict(generator_loss=F.logsigmoid),
    "the discriminator never updated (no inner step)": dict(d_steps=0),
})
def alternating_gan_training_converges(steps, *, generator_loss=None, d_steps=1):
    """reference 1-D GAN trained by alternating minibatch Adam steps (non-saturating generator) reaches p_g ≈ p_data, max_D V ≈ −log 4

    Seams: the generator's loss ``generator_loss(logit)`` (default −log σ(logit)) and the discriminator steps per generator step."""
    device = resolve_device("auto")
    mu, sigma = 1.0, 0.7
    run = gan1d.train_gan(mu, sigma, steps=steps, batch=256, lr_d=0.05, lr_g=0.02, seed=2816, device=device,
                          generator_loss=generator_loss, d_steps=d_steps)
    gap = gan1d.best_response_value(mu, sigma, run.a, run.b, device) + math.log(4)
    holds = abs(run.a - mu) < 0.1 and abs(run.b - sigma) < 0.1 and gap < 0.01
    return holds, (f"data N({mu}, {sigma}²), generator a + bz from (a, b) = (−1, 1.5), {steps} steps of 256: "
                   f"(a, b) = ({fmt(run.a, '.3g')}, {fmt(run.b, '.3g')}); max_D V + log 4 = 2 JSD = {fmt(gap, '.2g')}")


# --- generator gradients ---------------------------------------------------------------------------


@reference("gan.generator.saturating")
def saturating_autograd(a):
    """autograd of F.logsigmoid(−a) = log(1 − σ(a))"""
    return elementwise_grad(lambda t: F.logsigmoid(-t), a)


@reference("gan.generator.saturating")
def saturating_log1p_autograd(a):
    """autograd of torch.log1p(−torch.sigmoid(a))"""
    return elementwise_grad(lambda t: torch.log1p(-torch.sigmoid(t)), a)


@reference("gan.generator.non-saturating")
def non_saturating_autograd(a):
    """autograd of −F.logsigmoid(a)"""
    return elementwise_grad(lambda t: -F.logsigmoid(t), a)


@reference("gan.generator.non-saturating")
def non_saturating_bce_autograd(a):
    """autograd of F.binary_cross_entropy_with_logits(a, 1) (the 'label the fakes real' loss)"""
    return elementwise_grad(lambda t: F.binary_cross_entropy_with_logits(t, torch.ones_like(t), reduction="none"), a)


@behaviour("gan.generator.non-saturating", broken={
    "the minimax loss log(1 − D*) in place of −log D*": dict(loss=lambda log_d: torch.log1p(-log_d.exp())),
    "the JSD term without its factor 2 (KL − JSD)": dict(divergence=lambda reverse_kl, jsd: reverse_kl - jsd),
})
def non_saturating_gradient_is_reverse_kl_minus_2jsd(theta, *, loss=lambda log_d: -log_d,
                                                     divergence=lambda reverse_kl, jsd: reverse_kl - 2 * jsd):
    """p = N(0, 1), q_θ = N(θ, 1), D* held fixed: d/dθ E_z[−log D*(θ + z)] = d/dθ [KL(q_θ‖p) − 2 JSD(p‖q_θ)] (quadrature, autograd)

    Seams: the generator's ``loss(log D*)`` (−log D*) and the ``divergence(KL(q‖p), JSD)`` it is said to descend."""
    device = resolve_device("auto")
    theta0 = torch.tensor(theta, dtype=DTYPE, device=device)

    def log_d_star(x):  # log p/(p + q) at the current generator θ0 (held fixed)
        log_p, log_q = gan1d.normal_log_density(x, 0.0, 1.0), gan1d.normal_log_density(x, theta0, 1.0)
        return log_p - torch.logaddexp(log_p, log_q)

    def ns_loss(t):
        return gan1d.gaussian_expectation(lambda x: loss(log_d_star(x)), t, 1.0, device)

    def saturating_loss(t):
        return gan1d.gaussian_expectation(lambda x: torch.log1p(-torch.exp(log_d_star(x))), t, 1.0, device)

    def reverse_kl_minus_2jsd(t):
        reverse_kl = gan1d.gaussian_expectation(
            lambda x: gan1d.normal_log_density(x, t, 1.0) - gan1d.normal_log_density(x, 0.0, 1.0), t, 1.0, device)
        return divergence(reverse_kl, gan1d.jsd_by_quadrature(0.0, 1.0, t, 1.0, device))

    ns = float(elementwise_grad(ns_loss, theta0))
    target = float(elementwise_grad(reverse_kl_minus_2jsd, theta0))
    saturating = float(elementwise_grad(saturating_loss, theta0))
    two_jsd = float(elementwise_grad(lambda t: 2 * gan1d.jsd_by_quadrature(0.0, 1.0, t, 1.0, device), theta0))
    holds = abs(ns - target) < 1e-9 * (1 + abs(target))
    return holds, (f"θ = {theta}: the generator loss's gradient {fmt(ns, '.10f')}, d/dθ of the divergence (KL(q_θ‖p) − 2 JSD) = {fmt(target, '.10f')} "
                   f"(a reverse KL plus a JSD term); the minimax generator's gradient {fmt(saturating, '.6f')} = d/dθ 2 JSD = {fmt(two_jsd, '.6f')}")
