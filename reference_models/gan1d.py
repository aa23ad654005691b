r"""A 1-D GAN whose discriminator family contains the optimal one (executable specification).

Lecture statements made executable (seed 004, §9 and §4.5):

* L2806 / L1702: V(G, D) = E_{x~p}[log D(x)] + E_{z~p(z)}[log(1 − D(G(z)))] — the z-form and
  the x ~ p_g form agree (:func:`value_by_quadrature` vs a Monte Carlo over z);
* L2808: the optimal discriminator is D*(x) = p(x)/(p(x) + p_g(x)) — a quadratic-logistic
  discriminator D(x) = σ(w₀ + w₁x + w₂x²) can represent it exactly for Gaussian p and p_g, and
  maximising V over (w₀, w₁, w₂) by Newton's method on trapezoid-rule quadrature
  (:func:`fit_discriminator_population`) reaches it; fitted on n samples
  (:func:`fit_discriminator_samples`, logistic regression) it approaches it as n grows;
* L2812–2814: min_G max_D V is attained at p_g = p (:func:`minimax_grid`), where the value
  is −log 4; at the optimal D the value is −log 4 + 2 JSD(p ‖ p_g) (:func:`jsd_by_quadrature`);
* L2816–2822: alternating stochastic gradient steps on minibatches (:func:`train_gan`) drive an
  affine generator G(z) = a + b z to the data distribution.

Data p = N(μ, σ²); generator p_g = N(a, b²). Float64, explicit seeds, any device.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor

from derivspec.core.lazy import lazy
from derivspec.core.numbers import fmt
from derivspec.reference_models.classifiers import calibration_test
from derivspec.reference_models.device import DTYPE, as_device, make_generator
from derivspec.reference_models.fit_tests import TestOutcome, power
from derivspec.reference_models.specification import (Check, ResultTable, RunContext, SpecResult, pyplot, save_figure,
                                                      specification)

stats = lazy("scipy.stats")

QUADRATURE_HALF_WIDTH = 12.0  # E_{z~N(0,1)} by the trapezoid rule on [-12, 12] (the tails beyond are < 1e-32)
QUADRATURE_STEP = 0.005
# The trapezoid rule converges exponentially for integrands analytic in a strip around the real
# axis (exp(-2π w/h) for half-width w); log σ(quadratic) has its nearest complex singularities
# where the logit reaches ±iπ, far enough that h = 0.005 gives ~1e-14 for the parameters used here
# (Gauss–Hermite with 96 nodes is only good to ~1e-7 for them).


def quadrature_nodes(device=None, step: float = QUADRATURE_STEP) -> tuple[Tensor, Tensor]:
    """Nodes and weights for E_{z~N(0,1)}[h(z)] ≈ Σ w_k h(z_k) (trapezoid rule with spacing ``step``, see above)."""
    device = as_device(device)
    z = torch.arange(-QUADRATURE_HALF_WIDTH, QUADRATURE_HALF_WIDTH + step / 2, step, dtype=DTYPE, device=device)
    return z, step * torch.exp(-z**2 / 2) / math.sqrt(2 * math.pi)


def gaussian_expectation(h, mean, std, device=None) -> Tensor:
    """E_{x~N(mean, std²)}[h(x)] by quadrature in z = (x − mean)/std (differentiable in mean, std)."""
    z, w = quadrature_nodes(device)
    return (w * h(mean + std * z)).sum()


def discriminator_logit(w: Tensor, x: Tensor) -> Tensor:
    """w₀ + w₁x + w₂x²."""
    return w[0] + w[1] * x + w[2] * x**2


def value_by_quadrature(w: Tensor, mu, sigma, a, b, device=None) -> Tensor:
    """V(G, D) = E_p[log D] + E_{p_g}[log(1 − D)], D = σ(logit), both by quadrature."""
    data_term = gaussian_expectation(lambda x: F.logsigmoid(discriminator_logit(w, x)), mu, sigma, device)
    generator_term = gaussian_expectation(lambda x: F.logsigmoid(-discriminator_logit(w, x)), a, b, device)
    return data_term + generator_term


def fit_discriminator_population(mu, sigma, a, b, device=None, iterations: int = 50,
                                 step: float = QUADRATURE_STEP) -> Tensor:
    """argmax_w V(G, D_w) by Newton's method on the quadrature value (no closed form for D* used).

    V(w) = Σ_k u_k log σ(φ_kᵀw) + Σ_k v_k log σ(−ψ_kᵀw) with φ_k = (1, x_k, x_k²) at the data
    nodes and ψ_k at the generator nodes is concave in w; gradient and Hessian are written out.
    ``step``: the quadrature's node spacing (fitting at two spacings estimates the rule's error).
    """
    device = as_device(device)
    z, weights = quadrature_nodes(device, step)
    phi = torch.stack([torch.ones_like(z), mu + sigma * z, (mu + sigma * z) ** 2], -1)
    psi = torch.stack([torch.ones_like(z), a + b * z, (a + b * z) ** 2], -1)
    w = torch.zeros(3, dtype=DTYPE, device=device)
    for _ in range(iterations):
        s_data, s_gen = torch.sigmoid(phi @ w), torch.sigmoid(psi @ w)
        gradient = phi.T @ (weights * (1 - s_data)) - psi.T @ (weights * s_gen)
        hessian = -(phi.T * (weights * s_data * (1 - s_data))) @ phi - (psi.T * (weights * s_gen * (1 - s_gen))) @ psi
        step = torch.linalg.solve(hessian, gradient)
        w = w - step
        if float(step.abs().max()) < 1e-14 * (1 + float(w.abs().max())):
            break
    return w


def fit_discriminator_samples(x_data: Tensor, x_gen: Tensor, iterations: int = 200) -> Tensor:
    """Logistic regression (label 1 = data) on features (1, x, x²) by LBFGS on the BCE."""
    x = torch.cat([x_data, x_gen])
    y = torch.cat([torch.ones_like(x_data), torch.zeros_like(x_gen)])
    w = torch.zeros(3, dtype=DTYPE, device=x.device, requires_grad=True)
    optimiser = torch.optim.LBFGS([w], max_iter=iterations, tolerance_grad=1e-12, tolerance_change=1e-14,
                                  history_size=50, line_search_fn="strong_wolfe")

    def closure():
        optimiser.zero_grad()
        loss = F.binary_cross_entropy_with_logits(discriminator_logit(w, x), y)
        loss.backward()
        return loss

    optimiser.step(closure)
    return w.detach()


def normal_log_density(x: Tensor, mean, std) -> Tensor:
    return -0.5 * ((x - mean) / std) ** 2 - math.log(math.sqrt(2 * math.pi)) - torch.log(torch.as_tensor(std, dtype=DTYPE))


def jsd_by_quadrature(mu, sigma, a, b, device=None) -> Tensor:
    """JSD(N(μ,σ²) ‖ N(a,b²)) = ½E_p[log(2p/(p+q))] + ½E_q[log(2q/(p+q))] (quadrature)."""
    def log_p(x):
        return normal_log_density(x, mu, sigma)

    def log_q(x):
        return normal_log_density(x, a, b)

    def half_kl_to_mixture(log_own, log_other):
        return lambda x: 0.5 * (math.log(2) + log_own(x) - torch.logaddexp(log_own(x), log_other(x)))

    return (gaussian_expectation(half_kl_to_mixture(log_p, log_q), mu, sigma, device)
            + gaussian_expectation(half_kl_to_mixture(log_q, log_p), a, b, device))


def best_response_value(mu: float, sigma: float, a: float, b: float, device=None) -> float:
    """max_D V(G, D) for p_g = N(a, b²), the inner maximum fitted by :func:`fit_discriminator_population`."""
    w = fit_discriminator_population(mu, sigma, a, b, device)
    return float(value_by_quadrature(w, mu, sigma, a, b, device))


def minimax_grid(mu: float, sigma: float, device=None, shifts=(-0.2, 0.0, 0.2), scales=(0.8, 1.0, 1.25), *,
                 value=None) -> dict:
    """max_D V on a grid of generators N(μ + δ, (cσ)²): the outer objective of min_G max_D V.
    ``value(mu, sigma, a, b, device)`` scores a generator (default :func:`best_response_value`)."""
    value = value or best_response_value
    return {(d, c): value(mu, sigma, mu + d, c * sigma, device) for d in shifts for c in scales}


@dataclass
class GanRun:
    a: float
    b: float
    discriminator: Tensor
    history: list[tuple[int, float, float]]  # (step, a, b)


def train_gan(mu: float = 1.0, sigma: float = 0.7, steps: int = 3000, batch: int = 512, lr_d: float = 0.05,
              lr_g: float = 0.01, d_steps: int = 1, non_saturating: bool = True, seed: int = 0, device=None,
              start: tuple[float, float] = (-1.0, 1.5), generator_loss=None) -> GanRun:
    """The alternating algorithm of L2816–2822 on minibatches: for each step, m data points and m
    noise vectors; gradient ascent on V for the discriminator (Adam), then descent for the
    generator (Adam; the non-saturating loss −log D(G(z)) by default).

    Discriminator features are (1, x, x²); generator G(z) = a + e^{log b} z. ``generator_loss(logit)``
    (per-sample losses of the fakes' discriminator logits) replaces the generator's loss when given.
    """
    device = as_device(device)
    g = make_generator(seed, device)
    w = torch.zeros(3, dtype=DTYPE, device=device, requires_grad=True)
    theta = torch.tensor([start[0], math.log(start[1])], dtype=DTYPE, device=device, requires_grad=True)
    opt_d = torch.optim.Adam([w], lr=lr_d, betas=(0.5, 0.999))
    opt_g = torch.optim.Adam([theta], lr=lr_g, betas=(0.5, 0.999))
    history = []
    for step in range(steps):
        for _ in range(d_steps):
            x = mu + sigma * torch.randn(batch, generator=g, dtype=DTYPE, device=device)
            z = torch.randn(batch, generator=g, dtype=DTYPE, device=device)
            fake = (theta[0] + torch.exp(theta[1]) * z).detach()
            value = F.logsigmoid(discriminator_logit(w, x)).mean() + F.logsigmoid(-discriminator_logit(w, fake)).mean()
            opt_d.zero_grad()
            (-value).backward()
            opt_d.step()
        z = torch.randn(batch, generator=g, dtype=DTYPE, device=device)
        logit = discriminator_logit(w.detach(), theta[0] + torch.exp(theta[1]) * z)
        if generator_loss is not None:
            loss = generator_loss(logit).mean()
        else:
            loss = -F.logsigmoid(logit).mean() if non_saturating else F.logsigmoid(-logit).mean()
        opt_g.zero_grad()
        loss.backward()
        opt_g.step()
        if step % 100 == 0 or step == steps - 1:
            history.append((step, float(theta[0].detach()), float(torch.exp(theta[1].detach()))))
    return GanRun(float(theta[0].detach()), float(torch.exp(theta[1].detach())), w.detach(), history)


# --- executable specification: a discriminator trained by SGD approaches D* = p/(p + q) (reference_models/gan1d.py) --

GAN_FALSE_FAIL_RATE = 1e-4  # each statistical check fails a true statement at most once in 10 000 runs
GAN_DATA = (0.0, 1.0)  # p = N(0, 1)
GAN_GENERATOR = (1.0, 1.5)  # q: G(z) = 1 + 1.5 z, z ~ N(0, 1)


def discriminator_bce(real_logit: Tensor, fake_logit: Tensor) -> Tensor:
    """−V on a minibatch: −mean log D(x) − mean log(1 − D(G(z))) (004 L2806), D = σ(logit)."""
    return -(F.logsigmoid(real_logit).mean() + F.logsigmoid(-fake_logit).mean())


def train_discriminator(generator: torch.Generator, *, steps: int, batch: int = 512, lr: float = 0.02,
                        loss=discriminator_bce, data=GAN_DATA, fake=GAN_GENERATOR) -> Tensor:
    """Gradient ascent on V over D = σ(w₀ + w₁x + w₂x²) with the generator held fixed (004 L2816–2820): each step
    draws m data points and m noise vectors, G(z) = a + b z, and takes an Adam step on ``loss(real_logit,
    fake_logit)``; the result is the average of the iterates over the second half (Polyak averaging), which
    removes most of the minibatch noise. ``loss`` is the broken part (swapped labels, another loss)."""
    device = generator.device
    w = torch.zeros(3, dtype=DTYPE, device=device, requires_grad=True)
    optimiser = torch.optim.Adam([w], lr=lr)
    average, count = torch.zeros(3, dtype=DTYPE, device=device), 0
    for step in range(steps):
        x = data[0] + data[1] * torch.randn(batch, generator=generator, dtype=DTYPE, device=device)
        g = fake[0] + fake[1] * torch.randn(batch, generator=generator, dtype=DTYPE, device=device)
        optimiser.zero_grad()
        with torch.enable_grad():
            loss(discriminator_logit(w, x), discriminator_logit(w, g)).backward()
        optimiser.step()
        if step >= steps // 2:
            average, count = average + w.detach(), count + 1
    return average / count


def optimal_logit(x: Tensor, data=GAN_DATA, fake=GAN_GENERATOR) -> Tensor:
    """logit D*(x) = log p(x) − log q(x), i.e. D* = p/(p + q) (004 L2808), from the two densities."""
    return normal_log_density(x, *data) - normal_log_density(x, *fake)


def labelled_draws(n: int, generator: torch.Generator, data=GAN_DATA, fake=GAN_GENERATOR) -> tuple[Tensor, Tensor]:
    """n draws of (x, label): label ~ Bernoulli(1/2), x ~ p if 1 else q; then P(label = 1 | x) = p/(p + q) exactly."""
    label = torch.bernoulli(torch.full((n,), 0.5, dtype=DTYPE, device=generator.device), generator=generator)
    z = torch.randn(n, generator=generator, dtype=DTYPE, device=generator.device)
    return torch.where(label == 1, data[0] + data[1] * z, fake[0] + fake[1] * z), label


def discriminator_calibration(logit_fn, n: int, generator: torch.Generator) -> TestOutcome:
    """D = σ(logit_fn(x)) is D* iff P(label = 1 | x) = D(x) on labelled draws: the held-out calibration χ² test
    (``classifiers.calibration_test``; D held fixed: it was trained on ≥ 100 times more draws than n)."""
    x, label = labelled_draws(n, generator)
    return calibration_test(torch.sigmoid(logit_fn(x)), label, false_fail_rate=GAN_FALSE_FAIL_RATE)


def value_z_test(logit_fn, n: int, generator: torch.Generator, claimed: float) -> tuple[TestOutcome, float, float]:
    """V(G, D) = E_p[log D(x)] + E_z[log(1 − D(G(z)))] (004 L2806, the z-form) by Monte Carlo on n draws of each,
    against ``claimed``: |V̂ − claimed|/SE ≤ z_{1 − α/2}. Returns the outcome, V̂ and its SE."""
    x = GAN_DATA[0] + GAN_DATA[1] * torch.randn(n, generator=generator, dtype=DTYPE, device=generator.device)
    g = GAN_GENERATOR[0] + GAN_GENERATOR[1] * torch.randn(n, generator=generator, dtype=DTYPE, device=generator.device)
    real, fake = F.logsigmoid(logit_fn(x)), F.logsigmoid(-logit_fn(g))
    estimate = float(real.mean() + fake.mean())
    se = math.sqrt(float(real.var()) / n + float(fake.var()) / n)
    z = abs(estimate - claimed) / se if math.isfinite(estimate) else math.inf
    return (TestOutcome("V z-test", z, float(stats.norm.isf(GAN_FALSE_FAIL_RATE / 2)), 2 * n, GAN_FALSE_FAIL_RATE),
            estimate, se)


@specification("gan-discriminator", "GAN: a discriminator trained by SGD reaches D* = p/(p + q), V = −log 4 + 2 JSD",
               family="gan", statements="V(G, D) = E_p[log D] + E_z[log(1 − D(G(z)))] (004 L2804–2806, L1698–1704); the "
               "optimal discriminator is D* = p/(p + q) (004 L2808), reached by gradient ascent on minibatches (004 "
               "L2816–2820); at D* the value is −log 4 + 2 JSD(p ‖ q), the Jensen–Shannon form of 003 L2167 (claims "
               "gan.discriminator.optimal, gan.value.optimal)", steps=3, report="always")
def run_gan_discriminator(ctx: RunContext) -> SpecResult:
    result = ctx.result("gan-discriminator")
    steps, n_test, n_value, replicates = (1500, 20_000, 50_000, 20) if ctx.quick else (6000, 100_000, 400_000, 50)
    ctx.step(f"training D by {steps} Adam steps on minibatches of 512 + 512")
    w = train_discriminator(ctx.generator(1), steps=steps)

    def trained(x):
        return discriminator_logit(w, x)

    grid = torch.linspace(-3, 5, 161, dtype=DTYPE, device=ctx.device)
    gap = (torch.sigmoid(trained(grid)) - torch.sigmoid(optimal_logit(grid))).abs()
    ctx.step(f"calibration of D on {n_test:,} labelled draws; power ({replicates} replicates)")
    outcome = discriminator_calibration(trained, n_test, ctx.generator(2))
    alternative = power(lambda r: discriminator_calibration(lambda x: 0.8 * optimal_logit(x), n_test,
                                                            ctx.generator(100 + r)),
                        "D = σ(0.8 logit D*) (an under-confident discriminator)", replicates)
    result.checks.append(Check("the trained D is D* = p/(p + q): P(real | x) = D(x) on held-out labelled draws",
                               outcome.passed, f"{outcome.describe()}; max |D − D*| on [−3, 5] = {fmt(float(gap.max()), '.4f')}; "
                               f"{alternative.describe()}", outcome, alternative))

    ctx.step(f"V(G, D) by Monte Carlo on {n_value:,} + {n_value:,} draws")
    mu, sigma = GAN_DATA
    a, b = GAN_GENERATOR
    jsd = float(jsd_by_quadrature(mu, sigma, a, b, ctx.device))
    claimed = -math.log(4) + 2 * jsd
    test, estimate, se = value_z_test(trained, n_value, ctx.generator(3), claimed)
    exact_gap = claimed - float(value_by_quadrature(w, mu, sigma, a, b, ctx.device))  # V(D*) − V(D) ≥ 0, second order
    alternative = power(lambda r: value_z_test(trained, n_value, ctx.generator(200 + r), -math.log(4))[0],
                        "V = −log 4 (the 2 JSD term dropped)", replicates)
    result.checks.append(Check("V(G, D) at the trained D is −log 4 + 2 JSD(p ‖ q)", test.passed,
                               f"V̂ = {fmt(estimate, '.5f')} ± {fmt(se, '.5f')} vs {fmt(claimed, '.5f')} (JSD {fmt(jsd, '.5f')} by quadrature); "
                               f"{test.describe()}; V(D*) − V(D) by quadrature {fmt(exact_gap, '.1e')} (≪ SE); "
                               f"{alternative.describe()}", test, alternative))
    result.tables.append(ResultTable(f"D = σ(w₀ + w₁x + w₂x²) after {steps} steps vs D* (p = N{GAN_DATA}, "
                                     f"q = N({a}, {b}²))", ("", "w₀", "w₁", "w₂"),
                                     [("trained (Polyak average)", *(f"{fmt(v, '.4f')}" for v in w.tolist())),
                                      ("log p − log q", f"{fmt(math.log(b / sigma) - mu**2 / (2 * sigma**2) + a**2 / (2 * b**2), '.4f')}",
                                       f"{fmt(mu / sigma**2 - a / b**2, '.4f')}", f"{fmt(-1 / (2 * sigma**2) + 1 / (2 * b**2), '.4f')}")]))
    path = ctx.figure_path("gan_discriminator.png")
    if path is not None:
        plt = pyplot()
        fig, ax = plt.subplots(figsize=(6.4, 3.8))
        x = grid.cpu().numpy()
        ax.plot(x, torch.exp(normal_log_density(grid, mu, sigma)).cpu().numpy(), color="tab:green", lw=0.8, label="p (data)")
        ax.plot(x, torch.exp(normal_log_density(grid, a, b)).cpu().numpy(), color="tab:red", lw=0.8, label="q (generator)")
        ax.plot(x, torch.sigmoid(optimal_logit(grid)).cpu().numpy(), color="black", ls="--", label="D* = p/(p + q)")
        ax.plot(x, torch.sigmoid(trained(grid)).cpu().numpy(), color="tab:blue", label=f"trained D ({steps} steps)")
        ax.set_xlabel("x")
        ax.legend(fontsize=8, frameon=False)
        fig.tight_layout()
        save_figure(fig, path, "A quadratic-logistic discriminator trained by minibatch gradient ascent on V, against "
                    "the optimal discriminator p/(p + q) and the two densities.", result)
    return result
