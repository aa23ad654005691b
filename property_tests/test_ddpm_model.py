"""DDPM forward process, x0 round trip and toy 2-D DDPM (reference_models/ddpm.py).

Independent routes: numpy (schedule linspace/cumprod, predict_x0, MMD^2 by explicit double
loops over kernel matrices), scipy (mixture density via ``multivariate_normal`` + logsumexp).

Measured on CPU (one thread), the numbers the thresholds are set from:

* abar_T: standard 4.04e-5, failing (T=1000, beta 1e-5..1e-3) 0.603, failing (T=50) 0.603,
  cosine (T=1000, s=0.008) 2.4e-9 (the per-schedule statement is claim ddpm.schedule.alpha-bar).
* Forward simulation vs jump, n = 2e5, t in {1, 10, 100, 500, 1000}, 1-D x0 = 1.5 and 2-D
  x0 = (2, -1): all |z| < 2.4 in the benchmark run (Bonferroni critical values for 1e-6 over
  2 d tests: 5.03 for 1-D, 5.16 for 2-D). The wrong
  jumps (mean sqrt(alpha_t) x0, or variance 1 - alpha_t) are rejected at every t >= 10;
  at t = 1 alpha_1 = abar_1 and the wrong jumps *are* the right one.
* Round trip, float64: worst |x0_hat - x0| over t = 3.5e-14 (t = T), tolerance 1e-12.
  float32 (schedule and arithmetic): 3.4e-7 at t = 1, 1.8e-5 at t = T (x_t rounding amplified
  by 1 / sqrt(abar_T) ~ 157). abar_t relative error: float64-then-cast <= 2^-24 (5.7e-8),
  float32 cumprod up to 2.7e-7.
* Toy DDPM, 1500 Adam steps (~1.6 s), 3 init seeds: MMD^2 trained -3e-4 .. 8e-4 vs untrained
  0.211; per-mode mass 0.227 .. 0.258 trained, ~0 untrained. Asserted: trained MMD^2 <
  0.05 x untrained, every mode 15-35 %, on-mode total > 0.85.

Deterministic (explicit seeds). The CUDA variant is marked ``gpu``.
"""

import math

import numpy as np
import pytest
import torch
from scipy.special import logsumexp
from scipy.stats import multivariate_normal

from derivspec.reference_models.device import DTYPE, make_generator
from derivspec.numerics.montecarlo import critical_z
from derivspec.reference_models.ddpm import (
    EpsMLP,
    alpha_bar_T_report,
    cosine_schedule,
    ancestral_sample,
    jump,
    linear_schedule,
    mixture_log_density,
    mixture_means,
    mmd2_rbf,
    mode_masses,
    predict_x0,
    round_trip_errors,
    sample_data,
    simulate_forward,
    train_ddpm,
    two_sample_moment_test,
)

CPU = torch.device("cpu")
TS = [1, 10, 100, 500, 1000]
N = 200_000
X0_1D = 1.5
X0_2D = (2.0, -1.0)
TRAIN_STEPS = 1500


# ---------------------------------------------------------------------------------- schedules

def test_schedule_matches_numpy():
    betas, alphas, abars = linear_schedule()
    b = np.linspace(1e-4, 0.02, 1000)
    np.testing.assert_allclose(betas.numpy(), b, rtol=0, atol=1e-15)
    np.testing.assert_allclose(alphas.numpy(), 1 - b, rtol=0, atol=1e-15)
    np.testing.assert_allclose(abars.numpy(), np.cumprod(1 - b), rtol=1e-13)
    assert betas.dtype == DTYPE


def test_alpha_bar_T_report():
    rep = alpha_bar_T_report()
    values = list(rep.values())
    np.testing.assert_allclose(values[0], np.prod(1 - np.linspace(1e-4, 0.02, 1000)), rtol=1e-12)
    assert values[0] < 1e-4  # standard: x_T ~ N(0, I)
    assert values[1] > 0.5 and values[2] > 0.5  # failing: x_T still carries x0
    np.testing.assert_allclose(values[1], np.prod(1 - np.linspace(1e-5, 1e-3, 1000)), rtol=1e-12)
    np.testing.assert_allclose(values[2], np.prod(1 - np.linspace(1e-4, 0.02, 50)), rtol=1e-12)
    assert values[3] < 1e-4  # toy schedule (T = 100)
    assert values[4] < 1e-8  # cosine schedule (T = 1000): beta_T clipped at 0.999


def test_cosine_schedule_matches_numpy():
    """Nichol & Dhariwal (2021) eq. 17: abar_t = f(t)/f(0), f(t) = cos^2(((t/T) + s)/(1 + s) pi/2), beta_t <= 0.999."""
    betas, alphas, abars = cosine_schedule(1000, 0.008)
    f = np.cos((np.arange(1001) / 1000 + 0.008) / 1.008 * np.pi / 2) ** 2
    b = np.minimum(1 - f[1:] / f[:-1], 0.999)
    np.testing.assert_allclose(betas.numpy(), b, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(alphas.numpy(), 1 - b, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(abars.numpy(), np.cumprod(1 - b), rtol=1e-10)
    np.testing.assert_allclose(abars[:-1].numpy(), (f / f[0])[1:-1], rtol=1e-9)  # unclipped steps follow f exactly
    assert float(betas[-1]) == 0.999 and float(betas[:-1].max()) < 0.999
    assert betas.dtype == DTYPE


def test_float64_schedule_cast_beats_float32_cumprod():
    _, _, ab = linear_schedule()
    _, _, cast = linear_schedule(dtype=torch.float32)
    _, _, f32 = linear_schedule(dtype=torch.float32, compute_dtype=torch.float32)
    rel_cast = ((cast.double() - ab) / ab).abs()
    rel_f32 = ((f32.double() - ab) / ab).abs()
    assert float(rel_cast.max()) <= 2.0 ** -24  # one rounding
    assert float(rel_f32.max()) > 2 * float(rel_cast.max())  # accumulated cumprod rounding


# ------------------------------------------------------------------ two-sample moment test

def test_moment_test_accepts_same_and_rejects_different():
    g = make_generator(5, CPU)
    a = torch.randn(20_000, 2, generator=g, dtype=DTYPE)
    b = torch.randn(20_000, 2, generator=g, dtype=DTYPE)
    passed, z = two_sample_moment_test(a, b)
    assert passed
    assert z["z_critical"] == pytest.approx(critical_z(1e-6 / 4))
    assert not two_sample_moment_test(a, b + torch.tensor([0.0, 0.1], dtype=DTYPE))[0]
    assert not two_sample_moment_test(a, b * torch.tensor([1.0, 1.1], dtype=DTYPE))[0]


def test_moment_test_calibration_small():
    # with a lax rate (0.05, 2 tests) the failure count over 40 seeds stays far below 40
    fails = 0
    for seed in range(40):
        g = make_generator(1000 + seed, CPU)
        a = torch.randn(2000, generator=g, dtype=DTYPE)
        b = torch.randn(2000, generator=g, dtype=DTYPE)
        fails += not two_sample_moment_test(a, b, false_fail_rate=0.05)[0]
    assert fails <= 8  # expected <= 2 (Bonferroni is conservative); P(> 8) < 1e-4


# ------------------------------------------------------------------- forward vs jump

def forward_path(x0: torch.Tensor, ts, seed: int, device=CPU) -> dict[int, torch.Tensor]:
    _, alphas, _ = linear_schedule(device=device)
    g = make_generator(seed, device)
    out, x, prev = {}, x0, 0
    for t in ts:
        x = simulate_forward(x, alphas[prev:], t - prev, g)
        out[t], prev = x.clone(), t
    return out


@pytest.fixture(scope="module", params=["1d", "2d"])
def forward_case(request):
    if request.param == "1d":
        x0 = torch.full((N,), X0_1D, dtype=DTYPE)
    else:
        x0 = torch.tensor(X0_2D, dtype=DTYPE).expand(N, 2).clone()
    return x0, forward_path(x0, TS, seed=11)


def test_forward_simulation_matches_jump(forward_case):
    x0, sims = forward_case
    _, _, abars = linear_schedule()
    g = make_generator(12, CPU)
    for t in TS:
        passed, z = two_sample_moment_test(sims[t], jump(x0, abars[t - 1], g))
        assert passed, (t, z)


def test_wrong_jump_is_rejected(forward_case):
    x0, sims = forward_case
    _, alphas, abars = linear_schedule()
    assert alphas[0] == abars[0]  # at t = 1 the "wrong" jumps coincide with the right one
    g = make_generator(13, CPU)
    for t in TS[1:]:
        a, ab = alphas[t - 1], abars[t - 1]
        eps = torch.randn(x0.shape, generator=g, dtype=DTYPE)
        wrong_mean = a.sqrt() * x0 + (1 - ab).sqrt() * eps
        wrong_var = ab.sqrt() * x0 + (1 - a).sqrt() * eps
        assert not two_sample_moment_test(sims[t], wrong_mean)[0], t
        assert not two_sample_moment_test(sims[t], wrong_var)[0], t


# -------------------------------------------------------------------------- round trip

def test_predict_x0_matches_numpy():
    g = make_generator(3, CPU)
    xt = torch.randn(50, 2, generator=g, dtype=DTYPE)
    eps = torch.randn(50, 2, generator=g, dtype=DTYPE)
    ab = 0.37
    ref = (xt.numpy() - np.sqrt(1 - ab) * eps.numpy()) / np.sqrt(ab)
    np.testing.assert_allclose(predict_x0(xt, eps, ab).numpy(), ref, rtol=1e-14)


def _round_trip_inputs():
    g = make_generator(4, CPU)
    x0 = 6 * torch.rand(1000, 2, generator=g, dtype=DTYPE) - 3
    eps = torch.randn(1000, 2, generator=g, dtype=DTYPE)
    return x0, eps


def test_round_trip_float64_every_t():
    _, _, abars = linear_schedule()
    x0, eps = _round_trip_inputs()
    err = round_trip_errors(abars, x0, eps)
    assert err.shape == (1000,)
    assert float(err.max()) < 1e-12
    # predict_x0 itself gives the same per-t result
    t = 1000
    xt = abars[t - 1].sqrt() * x0 + (1 - abars[t - 1]).sqrt() * eps
    assert float((predict_x0(xt, eps, abars[t - 1]) - x0).abs().max()) < 1e-12


def test_round_trip_float32_blows_up_near_T():
    _, _, ab32 = linear_schedule(dtype=torch.float32, compute_dtype=torch.float32)
    x0, eps = _round_trip_inputs()
    err = round_trip_errors(ab32, x0, eps)
    assert float(err[0]) < 1e-6  # t = 1: float32 rounding of x0 itself
    assert float(err[-1]) > 10 * float(err[0])  # t = T: amplified by 1 / sqrt(abar_T) ~ 160
    assert float(err[-1]) < 1e-3


# ----------------------------------------------------------------------------- toy data

def test_mixture_density_matches_scipy():
    g = make_generator(6, CPU)
    x = sample_data(500, g)
    means = mixture_means().numpy()
    comps = np.stack([multivariate_normal(m, 0.09 * np.eye(2)).logpdf(x.numpy()) for m in means])
    ref = logsumexp(comps, axis=0) - math.log(4)
    np.testing.assert_allclose(mixture_log_density(x).numpy(), ref, rtol=1e-12, atol=1e-12)


def test_sample_data_moments():
    g = make_generator(7, CPU)
    x = sample_data(200_000, g)
    # mean 0, covariance (4 + 0.09) I; SE of the mean ~ 2.02 / sqrt(n) = 4.5e-3
    assert float(x.mean(0).abs().max()) < 0.03
    cov = torch.cov(x.T)
    assert float((cov - 4.09 * torch.eye(2, dtype=DTYPE)).abs().max()) < 0.05
    masses = mode_masses(x)
    assert float(masses.sum()) > 0.99  # P(|N(0, 0.09 I)| > 1) = exp(-1 / 0.18) = 3.9e-3
    assert float((masses - 0.25).abs().max()) < 0.01


def test_mmd_matches_numpy_and_is_small_for_same_distribution():
    g = make_generator(8, CPU)
    x, y = sample_data(300, g), sample_data(200, g)
    xn, yn = x.numpy(), y.numpy()

    def k(a, b):
        return np.exp(-((a[:, None, :] - b[None]) ** 2).sum(-1) / 2)

    kxx, kyy, kxy = k(xn, xn), k(yn, yn), k(xn, yn)
    ref = ((kxx.sum() - np.trace(kxx)) / (300 * 299) + (kyy.sum() - np.trace(kyy)) / (200 * 199)
           - 2 * kxy.mean())
    assert mmd2_rbf(x, y) == pytest.approx(ref, rel=1e-10, abs=1e-14)
    assert abs(mmd2_rbf(sample_data(2000, g), sample_data(2000, g))) < 0.01


# ------------------------------------------------------------------------------ toy DDPM

def run_toy(device, steps=TRAIN_STEPS, init_seed=0):
    data = sample_data(2000, make_generator(200, device), dtype=torch.float32)
    model = EpsMLP(init_seed=init_seed, device=device)
    untrained = ancestral_sample(model, 2000, make_generator(300, device))
    result = train_ddpm(model, make_generator(10 + init_seed, device), steps=steps)
    trained = ancestral_sample(model, 2000, make_generator(300, device))
    return data, untrained, trained, result


@pytest.fixture(scope="module")
def toy_cpu():
    return run_toy(CPU)


def _check_toy(data, untrained, trained):
    mmd_trained, mmd_untrained = mmd2_rbf(trained, data), mmd2_rbf(untrained, data)
    assert mmd_untrained > 0.1
    assert mmd_trained < 0.05 * mmd_untrained, (mmd_trained, mmd_untrained)
    masses = mode_masses(trained)
    assert bool(((masses > 0.15) & (masses < 0.35)).all()), masses
    assert float(masses.sum()) > 0.85, masses
    assert float(mode_masses(untrained).sum()) < 0.1
    # model samples are as probable under the data density as data (within a wide margin)
    assert float(mixture_log_density(trained.double()).mean()) > float(mixture_log_density(data.double()).mean()) - 0.5


def test_toy_ddpm_learns_mixture(toy_cpu):
    data, untrained, trained, result = toy_cpu
    assert trained.dtype == torch.float32 and trained.shape == (2000, 2)
    assert result.final_loss < 0.7  # ~0.5 measured; E||eps||^2 = 2 at init-like predictions
    _check_toy(data, untrained, trained)


def test_toy_ddpm_is_deterministic():
    a = run_toy(CPU, steps=100)
    b = run_toy(CPU, steps=100)
    assert torch.equal(a[1], b[1]) and torch.equal(a[2], b[2])
    m1, m2 = EpsMLP(init_seed=1), EpsMLP(init_seed=2)
    assert not torch.equal(m1.net[0].weight, m2.net[0].weight)


@pytest.mark.gpu
def test_cuda_forward_jump_and_toy_ddpm():
    cuda = torch.device("cuda")
    x0 = torch.tensor(X0_2D, dtype=DTYPE, device=cuda).expand(N, 2).clone()
    sims = forward_path(x0, TS, seed=21, device=cuda)
    _, alphas, abars = linear_schedule(device=cuda)
    g = make_generator(22, cuda)
    for t in TS:
        assert sims[t].device.type == "cuda"
        assert two_sample_moment_test(sims[t], jump(x0, abars[t - 1], g))[0], t
    x0c, eps = (v.to(cuda) for v in _round_trip_inputs())
    assert float(round_trip_errors(abars, x0c, eps).max()) < 1e-12
    data, untrained, trained, _ = run_toy(cuda)
    assert trained.device.type == "cuda"
    _check_toy(data, untrained, trained)
