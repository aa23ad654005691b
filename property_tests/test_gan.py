"""GAN family (derivations/gan/, numerics/gan.py, reference_models/gan1d.py): the optimal
discriminator and the value at it against independent computations written here, the 1-D GAN
reference model (samples → D*, value → −log 4 + 2 JSD, training), correct forms accepted."""

import math

import numpy as np
import pytest
import sympy
import torch
import torch.nn.functional as F
from hypothesis import given
from hypothesis import strategies as st
from scipy import integrate, optimize, stats

from derivspec.core import registry
from derivspec.core.sources import compare_source
from derivspec.reference_models import gan1d
from derivspec.reference_models.device import DTYPE, make_generator
from forms import assert_forms

CPU = torch.device("cpu")


def exact(claim_id, **point):
    claim = registry.get(claim_id)
    subs = {claim.symbols[k]: sympy.Float(v, 30) for k, v in point.items()}
    return float(sympy.N(claim.target.subs(subs), 30))


@given(st.floats(0.05, 3), st.floats(0.05, 3))
def test_optimal_discriminator_maximises_the_pointwise_value(p, q):
    best = optimize.minimize_scalar(lambda d: -(p * math.log(d) + q * math.log(1 - d)), bounds=(1e-12, 1 - 1e-12),
                                    method="bounded", options={"xatol": 1e-12})
    assert exact("gan.discriminator.optimal", p=p, q=q) == pytest.approx(best.x, abs=1e-7)


@given(st.floats(0.02, 0.98), st.floats(0.02, 0.98))
def test_value_at_optimum_is_minus_log4_plus_2jsd(p1, q1):
    P, Q = np.array([p1, 1 - p1]), np.array([q1, 1 - q1])
    M = (P + Q) / 2
    jsd = 0.5 * np.sum(P * np.log(P / M)) + 0.5 * np.sum(Q * np.log(Q / M))
    value = np.sum(P * np.log(P / (P + Q)) + Q * np.log(Q / (P + Q)))
    assert exact("gan.value.optimal", p1=p1, q1=q1) == pytest.approx(-math.log(4) + 2 * jsd, rel=1e-9, abs=1e-12)
    assert value == pytest.approx(-math.log(4) + 2 * jsd, abs=1e-12)
    assert value >= -math.log(4) - 1e-12


def test_value_at_optimum_for_gaussians_by_scipy_quadrature():
    mu, sigma, a, b = 0.5, 1.0, -1.0, 1.7

    def p(x):
        return stats.norm.pdf(x, mu, sigma)

    def q(x):
        return stats.norm.pdf(x, a, b)

    value = integrate.quad(lambda x: p(x) * math.log(p(x) / (p(x) + q(x))) + q(x) * math.log(q(x) / (p(x) + q(x))),
                           -15, 15, limit=200)[0]
    jsd = integrate.quad(lambda x: 0.5 * p(x) * math.log(2 * p(x) / (p(x) + q(x)))
                         + 0.5 * q(x) * math.log(2 * q(x) / (p(x) + q(x))), -15, 15, limit=200)[0]
    assert value == pytest.approx(-math.log(4) + 2 * jsd, abs=1e-10)
    assert float(gan1d.jsd_by_quadrature(mu, sigma, a, b)) == pytest.approx(jsd, abs=1e-10)


@given(st.floats(-6, 6))
def test_generator_gradients_by_autograd(a):
    v = torch.tensor(a, dtype=DTYPE, requires_grad=True)
    F.logsigmoid(-v).backward()
    assert exact("gan.generator.saturating", a=a) == pytest.approx(float(v.grad), rel=1e-9, abs=1e-12)
    v = torch.tensor(a, dtype=DTYPE, requires_grad=True)
    (-F.logsigmoid(v)).backward()
    assert exact("gan.generator.non-saturating", a=a) == pytest.approx(float(v.grad), rel=1e-9, abs=1e-12)


def test_saturating_gradient_vanishes_where_the_non_saturating_one_does_not():
    # D(G(z)) = 1e-4 (the discriminator rejects the sample): −D vs −(1 − D)
    a = math.log(1e-4 / (1 - 1e-4))
    assert abs(exact("gan.generator.saturating", a=a)) == pytest.approx(1e-4, rel=1e-9)
    assert abs(exact("gan.generator.non-saturating", a=a)) == pytest.approx(1 - 1e-4, rel=1e-9)


# --- the 1-D GAN reference model ---------------------------------------------------------------------


def d_star(x, mu, sigma, a, b):
    p, q = stats.norm.pdf(x, mu, sigma), stats.norm.pdf(x, a, b)
    return p / (p + q)


def test_population_discriminator_is_d_star():
    mu, sigma, a, b = 1.0, 0.7, -0.5, 1.3
    w = gan1d.fit_discriminator_population(mu, sigma, a, b, CPU)
    x = np.linspace(-3, 3, 61)
    trained = torch.sigmoid(gan1d.discriminator_logit(w, torch.tensor(x))).numpy()
    assert np.abs(trained - d_star(x, mu, sigma, a, b)).max() < 1e-10
    value = float(gan1d.value_by_quadrature(w, mu, sigma, a, b, CPU))
    assert value == pytest.approx(-math.log(4) + 2 * float(gan1d.jsd_by_quadrature(mu, sigma, a, b, CPU)), abs=1e-10)


def test_discriminator_fitted_on_samples_approaches_d_star():
    mu, sigma, a, b = 1.0, 0.7, -0.5, 1.3
    x = np.linspace(-2, 3, 51)
    errors = []
    for n in (200, 2000, 20_000, 200_000):
        g = make_generator(n, CPU)
        data = mu + sigma * torch.randn(n, generator=g, dtype=DTYPE)
        fake = a + b * torch.randn(n, generator=g, dtype=DTYPE)
        w = gan1d.fit_discriminator_samples(data, fake)
        fitted = torch.sigmoid(gan1d.discriminator_logit(w, torch.tensor(x))).numpy()
        errors.append(float(np.abs(fitted - d_star(x, mu, sigma, a, b)).max()))
    assert errors[-1] < 0.02 and errors[-1] < errors[0] / 5  # error ~ 1/sqrt(n): about 30x over 1000x more data


def test_value_over_noise_equals_value_over_x():
    w = torch.tensor([0.1, -0.3, -0.2], dtype=DTYPE)
    z = torch.randn(400_000, generator=make_generator(9, CPU), dtype=DTYPE)
    draws = F.logsigmoid(-gan1d.discriminator_logit(w, 0.5 + 0.8 * z))
    exact_value = float(gan1d.gaussian_expectation(lambda x: F.logsigmoid(-gan1d.discriminator_logit(w, x)), 0.5, 0.8, CPU))
    assert abs(float(draws.mean()) - exact_value) < 5.33 * float(draws.std()) / math.sqrt(len(draws))


def test_minimax_grid_is_minimal_at_the_data():
    grid = gan1d.minimax_grid(0.0, 1.0, CPU)
    assert min(grid, key=grid.get) == (0.0, 1.0) and grid[(0.0, 1.0)] == pytest.approx(-math.log(4), abs=1e-10)


def test_short_training_converges():
    run = gan1d.train_gan(1.0, 0.7, steps=800, batch=256, lr_d=0.05, lr_g=0.02, seed=3, device=CPU)
    assert abs(run.a - 1.0) < 0.1 and abs(run.b - 0.7) < 0.1
    assert gan1d.best_response_value(1.0, 0.7, run.a, run.b, CPU) + math.log(4) < 0.01


@pytest.mark.slow
@pytest.mark.parametrize("seed", range(5))
def test_longer_training_converges_for_several_seeds(seed):
    run = gan1d.train_gan(1.0, 0.7, steps=4000, batch=512, lr_d=0.05, lr_g=0.01, seed=seed, device=CPU)
    assert abs(run.a - 1.0) < 0.05 and abs(run.b - 0.7) < 0.05


# --- forms used in practice, sources ------------------------------------------------------------------

CORRECT_FORMS = {
    "gan.discriminator.optimal": (["p/(p+q)", "1/(1 + q/p)"], [r"\frac{p}{p+q}", r"\frac{1}{1+\frac{q}{p}}"],
                                  ["q/(p+q)", "p/q"]),
    "gan.generator.saturating": (["-1/(1+exp(-a))", "-exp(a)/(1+exp(a))"], [r"-\frac{1}{1+e^{-a}}"],
                                 ["-1/(1+exp(a))", "exp(-a)/(1+exp(-a))**2"]),
    "gan.generator.non-saturating": (["-1/(1+exp(a))", "1/(1+exp(-a)) - 1"], [r"\frac{1}{1+e^{-a}} - 1"],
                                     ["-1/(1+exp(-a))", "1/(1+exp(a))"]),
    "gan.value.optimal": (
        ["-log(4) + p1*log(2*p1/(p1+q1)) + (1-p1)*log(2*(1-p1)/(2-p1-q1)) + q1*log(2*q1/(p1+q1)) + (1-q1)*log(2*(1-q1)/(2-p1-q1))",
         "p1*log(p1/(p1+q1)) + (1-p1)*log((1-p1)/(2-p1-q1)) + q1*log(q1/(p1+q1)) + (1-q1)*log((1-q1)/(2-p1-q1))"],
        [],
        ["-log(2) + p1*log(2*p1/(p1+q1)) + (1-p1)*log(2*(1-p1)/(2-p1-q1)) + q1*log(2*q1/(p1+q1)) + (1-q1)*log(2*(1-q1)/(2-p1-q1))",
         "-log(4) + p1*log(p1/q1) + (1-p1)*log((1-p1)/(1-q1)) + q1*log(q1/p1) + (1-q1)*log((1-q1)/(1-p1))"]),
}


@pytest.mark.parametrize("claim_id", sorted(CORRECT_FORMS))
def test_check_accepts_correct_forms_and_rejects_mistakes(claim_id):
    assert_forms(claim_id, *CORRECT_FORMS[claim_id])


def test_gan_is_jensen_shannon_up_to_scale_and_offset():
    claim = registry.get("gan.value.optimal")
    s = next(s for s in claim.sources if s.lines == "2167")
    assert compare_source(claim, s).status == "matches"
    s = next(s for s in registry.get("gan.discriminator.optimal").sources if s.lines == "2808")
    assert compare_source(registry.get("gan.discriminator.optimal"), s).status == "matches"
