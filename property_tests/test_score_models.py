"""Reference models of the score family: exact mixture scores at every noise level, a DSM-trained ε-network
against them, the samplers (Langevin, annealed Langevin, DDPM ancestral, DDIM, reverse SDE, probability-flow
ODE) by goodness-of-fit tests, and the toy latent diffusion.

Goodness-of-fit tests run at FALSE_FAIL_RATE = 1e-6 each (KS exact p-values; χ² for mode masses; Bonferroni
z-tests for moments), so a correct sampler fails a test about once in a million runs; the seeds are fixed, so
a run is reproducible. Each test that shows a test has power runs a *wrong* sampler (a known bug) and asserts
that the same test rejects it.

Measured on CPU (one thread, seed as in the tests), the figures the thresholds come from:

* DSM network (EpsMLP, 1500 Adam steps, ~5 s): E‖ε_θ − ε*‖²/E‖ε*‖² = 0.10 at t = 10, 0.015 at t = 25,
  0.0016 at t = 50, ≤ 0.002 at t = 75, 100; at t = 1 ε* is tiny (ᾱ = 0.999) and the absolute error 0.11;
  the network's simple loss is above the Bayes floor E‖ε − ε*‖² at every t (1.995 → 2.10 at t = 1).
* two-mode 1-D data, n = 4000 (KS D resolution 0.043): ancestral T = 1000 D = 0.010; DDIM η = 0 with 50 steps
  D = 0.020, 20 steps 0.037, 10 steps 0.068 (fails); η = 1 with 50 steps 0.028; the α_t-for-ᾱ_t bug fails.
* ULA on N(0, 1): variance 1.146 (η = 0.5; claim 1.143), 1.020 (η = 0.1; 1.026), 0.991 (η = 0.02; 1.005).
"""

import math

import pytest
import torch

from derivspec.reference_models import latent_diffusion as ld
from derivspec.reference_models import samplers
from derivspec.reference_models import score_models as sm
from derivspec.reference_models.ddpm import linear_schedule, two_sample_moment_test
from derivspec.reference_models.device import DTYPE, make_generator

CPU = torch.device("cpu")
FALSE_FAIL_RATE = 1e-6


def autograd_score(mixture, x):
    x = x.clone().requires_grad_(True)
    (grad,) = torch.autograd.grad(mixture.log_prob(x).sum(), x)
    return grad


# --- exact mixture scores -----------------------------------------------------------------------


@pytest.mark.parametrize("alpha_bar", [1.0, 0.9, 0.3, 0.01])
def test_mixture_scores_match_autograd_at_every_noise_level(alpha_bar):
    g = make_generator(0, CPU)
    full = sm.GaussianMixture(torch.tensor([0.6, 0.4], dtype=DTYPE), torch.tensor([[1.0, -1.0], [-2.0, 0.5]], dtype=DTYPE),
                              torch.tensor([[[0.5, 0.2], [0.2, 0.3]], [[0.2, -0.1], [-0.1, 0.8]]], dtype=DTYPE))
    for mixture in (sm.bimodal_1d(CPU), sm.trimodal_2d(CPU), full):
        noisy = mixture.noised(alpha_bar) if alpha_bar < 1 else mixture
        x = noisy.sample(64, g)
        assert torch.allclose(noisy.score(x), autograd_score(noisy, x), rtol=1e-10, atol=1e-12)
        if alpha_bar < 1:  # ε* = −√(1−ᾱ) ∇log q_t and Tweedie's x̂_0 = (x + (1−ᾱ)∇log q_t)/√ᾱ
            assert torch.allclose(mixture.eps(x, alpha_bar), -math.sqrt(1 - alpha_bar) * autograd_score(noisy, x), atol=1e-12)
            assert torch.allclose(mixture.denoised(x, alpha_bar) * math.sqrt(alpha_bar),
                                  x + (1 - alpha_bar) * autograd_score(noisy, x), atol=1e-12)


def test_noised_mixture_is_the_law_of_the_forward_jump():
    g = make_generator(1, CPU)
    data = sm.trimodal_2d(CPU)
    for ab in (0.8, 0.2):
        x0 = data.sample(200_000, g)
        jumped = math.sqrt(ab) * x0 + math.sqrt(1 - ab) * torch.randn(x0.shape, generator=g, dtype=DTYPE)
        ok, z = two_sample_moment_test(jumped, data.noised(ab).sample(200_000, g), FALSE_FAIL_RATE)
        assert ok, z
        wrong = math.sqrt(ab) * x0 + (1 - ab) * torch.randn(x0.shape, generator=g, dtype=DTYPE)  # missing square root
        assert not two_sample_moment_test(wrong, data.noised(ab).sample(200_000, g), FALSE_FAIL_RATE)[0]


def test_mixture_cdf_and_moments():
    data = sm.bimodal_1d(CPU)
    x = torch.linspace(-8, 8, 200_001, dtype=DTYPE)
    density = data.log_prob(x[:, None]).exp()
    cumulative = torch.cumulative_trapezoid(density, x)
    assert float((cumulative - data.cdf(x[1:])).abs().max()) < 1e-8
    assert float(data.mean()[0]) == pytest.approx(0.3 * -2 + 0.7 * 1.5)
    assert float(data.covariance()[0, 0]) == pytest.approx(0.3 * (0.16 + 4) + 0.7 * (0.36 + 2.25) - 0.45**2)


def test_dsm_network_learns_the_marginal_optimum_not_below_it():
    model, result = sm.train_dsm(sm.trimodal_2d(CPU), steps=1500, seed=0)
    rows = {r["t"]: r for r in sm.error_by_t(model, sm.trimodal_2d(CPU))}
    for t in (25, 50, 75, 100):
        assert rows[t]["relative_error"] < 0.05, rows[t]
    assert rows[1]["mse_to_exact"] < 0.3
    for r in rows.values():   # no predictor beats the Bayes floor E‖ε − E[ε|x_t]‖² (beyond Monte Carlo noise)
        assert r["network_loss"] > r["optimal_loss"] - 0.02, r
    assert result.final_loss < 1.0


# --- samplers -----------------------------------------------------------------------------------


def _eps_of(data, alpha_bars):
    abl = alpha_bars.tolist()
    return lambda x, t: data.eps(x, abl[t - 1])


def test_ddim_eta_zero_is_deterministic_and_fits_the_data_and_the_alpha_bug_does_not():
    data = sm.bimodal_1d(CPU)
    alpha_bars = linear_schedule(1000, 1e-4, 0.02)[2]
    alphas = linear_schedule(1000, 1e-4, 0.02)[1]
    ts = samplers.ddim_timesteps(1000, 50)
    g = make_generator(2, CPU)
    x_T = torch.randn(4000, 1, generator=g, dtype=DTYPE)
    first = samplers.ddim_sample(_eps_of(data, alpha_bars), alpha_bars, ts, x_T, 0.0)
    assert torch.equal(first, samplers.ddim_sample(_eps_of(data, alpha_bars), alpha_bars, ts, x_T, 0.0))
    assert samplers.ks_test(first[:, 0], data.cdf, FALSE_FAIL_RATE)[0]
    # the sampler bug: the per-step α_t where ᾱ_t belongs (004 L3389's form), with the same exact network
    buggy = samplers.ddim_sample(_eps_of(data, alpha_bars), alphas, ts, x_T, 0.0)
    assert not samplers.ks_test(buggy[:, 0], data.cdf, FALSE_FAIL_RATE)[0]


def test_ancestral_sampler_fits_and_a_wrong_posterior_mean_does_not():
    data = sm.bimodal_1d(CPU)
    alpha_bars = linear_schedule(200, 5e-4, 0.1)[2]
    g = make_generator(3, CPU)
    x_T = torch.randn(4000, 1, generator=g, dtype=DTYPE)
    x = samplers.ddpm_ancestral(_eps_of(data, alpha_bars), alpha_bars, x_T, g, "beta_tilde")
    assert samplers.ks_test(x[:, 0], data.cdf, FALSE_FAIL_RATE)[0]
    # dividing by √ᾱ_t instead of √α_t in the mean (one of claim ddpm.posterior.mean-eps's wrong variants)
    abl = alpha_bars.tolist()
    wrong = x_T.clone()
    for t in range(200, 0, -1):
        ab, prev = abl[t - 1], (abl[t - 2] if t > 1 else 1.0)
        beta = 1 - ab / prev
        wrong = (wrong - beta / math.sqrt(1 - ab) * data.eps(wrong, ab)) / math.sqrt(ab)
        if t > 1:
            wrong = wrong + math.sqrt(beta) * torch.randn(wrong.shape, generator=g, dtype=DTYPE)
    assert not samplers.ks_test(wrong[:, 0], data.cdf, FALSE_FAIL_RATE)[0]


def test_ddim_eta_sweep_keeps_the_marginals_on_a_subsequence():
    """One DDIM step from x_t ~ q(x_t|x_0) with the true ε: x_{t−1} | x_0 ~ N(√ᾱ_{t−1}x_0, 1 − ᾱ_{t−1}) for every η."""
    g = make_generator(4, CPU)
    ab_t, ab_prev, x0, n = 0.3, 0.6, torch.full((400_000, 1), 0.8, dtype=DTYPE), 400_000
    critical = samplers.z_critical(FALSE_FAIL_RATE / 8)
    for eta in (0.0, 0.3, 0.7, 1.0):
        eps = torch.randn(x0.shape, generator=g, dtype=DTYPE)
        xt = math.sqrt(ab_t) * x0 + math.sqrt(1 - ab_t) * eps
        residual = samplers.ddim_step(xt, eps, ab_t, ab_prev, eta, g) - math.sqrt(ab_prev) * x0
        assert abs(float(residual.mean())) / math.sqrt((1 - ab_prev) / n) < critical
        assert abs(float(residual.var()) - (1 - ab_prev)) / ((1 - ab_prev) * math.sqrt(2 / n)) < critical


def test_ula_bias_and_annealed_langevin():
    g = make_generator(5, CPU)
    n = 40_000
    critical = samplers.z_critical(FALSE_FAIL_RATE / 2)
    x = samplers.ula(lambda v: -v, torch.randn(n, 1, generator=g, dtype=DTYPE), 0.5, 60, g)[:, 0]
    assert abs(float(x.var()) - 1 / (1 - 0.5 / 4)) / ((1 / 0.875) * math.sqrt(2 / n)) < critical
    assert abs(float(x.var()) - 1.0) / math.sqrt(2 / n) > critical          # the unbiased answer is rejected
    data = sm.mixture([0.2, 0.8], [-4.0, 4.0], [0.5, 0.5], CPU)
    start = torch.full((1000, 1), 4.0, dtype=DTYPE)
    sigmas = torch.logspace(math.log10(8.0), math.log10(0.1), 10, dtype=DTYPE).tolist()
    annealed = samplers.annealed_langevin(lambda v, s: data.smoothed(s).score(v), sigmas, 100, 0.2 * 0.01, start, g)
    assert samplers.ks_test(annealed[:, 0], data.cdf, FALSE_FAIL_RATE)[0]
    plain = samplers.ula(data.score, start, 0.01, 1000, g)
    assert not samplers.ks_test(plain[:, 0], data.cdf, FALSE_FAIL_RATE)[0]


def test_reverse_sde_and_probability_flow_and_the_sign_bug():
    data = sm.bimodal_1d(CPU)
    beta = 10.0
    g = make_generator(6, CPU)

    def score(x, t):
        return data.noised(math.exp(-beta * t)).score(x)
    x1 = data.noised(math.exp(-beta)).sample(4000, g)
    good = samplers.reverse_sde(lambda x, t: -beta * x / 2 - beta * score(x, t), lambda t: beta, 1.0, x1, 200, g)
    assert samplers.ks_test(good[:, 0], data.cdf, FALSE_FAIL_RATE)[0]
    ode = samplers.probability_flow(lambda x, t: -beta * x / 2 - beta / 2 * score(x, t), x1, 1.0, 0.0, 50)
    assert samplers.ks_test(ode[:, 0], data.cdf, FALSE_FAIL_RATE)[0]
    # the probability-flow drift with the SDE's noise (the factor ½ where 1 belongs): too much noise at the end
    half = samplers.reverse_sde(lambda x, t: -beta * x / 2 - beta / 2 * score(x, t), lambda t: beta, 1.0, x1, 200, g)
    assert not samplers.ks_test(half[:, 0], data.cdf, FALSE_FAIL_RATE)[0]


def test_probability_flow_likelihood_on_gaussian_data():
    beta, m0, s0 = 6.0, -0.3, 1.4
    xs = torch.tensor([-3.0, 0.0, 2.2], dtype=DTYPE)

    def moments(t):
        return m0 * math.exp(-beta * t / 2), s0**2 * math.exp(-beta * t) + 1 - math.exp(-beta * t)

    def velocity(x, t):
        m, v = moments(t)
        return -beta * x / 2 + beta / 2 * (x - m) / v

    def divergence(x, t):
        return torch.full_like(x, -beta / 2 + beta / 2 / moments(t)[1])
    m1, v1 = moments(1.0)
    prior = torch.distributions.Normal(torch.tensor(m1, dtype=DTYPE), torch.tensor(math.sqrt(v1), dtype=DTYPE))
    logp = samplers.probability_flow_log_likelihood(velocity, divergence, xs, 1.0, 300, prior.log_prob)
    exact = torch.distributions.Normal(torch.tensor(m0, dtype=DTYPE), torch.tensor(s0, dtype=DTYPE)).log_prob(xs)
    assert torch.allclose(logp, exact, atol=1e-8)


def test_mode_mass_test_has_power():
    g = make_generator(7, CPU)
    means = torch.tensor([[-4.0], [4.0]], dtype=DTYPE)
    masses = torch.tensor([0.2, 0.8], dtype=DTYPE) * math.erf(3 / math.sqrt(2))
    good = sm.mixture([0.2, 0.8], [-4.0, 4.0], [0.5, 0.5], CPU).sample(2000, g)
    bad = sm.mixture([0.35, 0.65], [-4.0, 4.0], [0.5, 0.5], CPU).sample(2000, g)
    assert samplers.mode_mass_test(good, means, masses, 1.5, FALSE_FAIL_RATE)[0]
    assert not samplers.mode_mass_test(bad, means, masses, 1.5, FALSE_FAIL_RATE)[0]


# --- latent diffusion ---------------------------------------------------------------------------


def test_latent_pipeline_reproduces_the_data_and_a_wrong_decoder_does_not():
    result = ld.run_pipeline(4000, seed=0)
    assert result.holds, result.evidence
    data = ld.embedded_data(0.05)
    g = make_generator(8, CPU)
    ae = ld.PCAAutoencoder.fit(data.sample(20_000, g))
    codes = ld.sample_latent(ae.code_law(data), 4000, g)
    wrong = ld.PCAAutoencoder(ae.mean, 2 * ae.V)          # a decoder that does not invert the encoder
    ok, _ = two_sample_moment_test(ae.encode(wrong.decode(codes)), ae.encode(data.sample(4000, g)), FALSE_FAIL_RATE)
    assert not ok


def test_latent_objective_and_decoder_gap():
    assert ld.latent_objective_check(100_000, seed=1).holds
    for off in (0.1, 0.3):
        result = ld.decoder_gap(off, seed=2)
        assert result.holds, result.evidence


def test_pca_recovers_the_embedding_plane():
    data = ld.embedded_data(0.05)
    ae = ld.PCAAutoencoder.fit(data.sample(20_000, make_generator(9, CPU)))
    overlap = torch.linalg.svdvals(ae.V.T @ data.U)      # cosines of the principal angles
    assert float(overlap.min()) > 0.999
    assert torch.allclose(ae.V.T @ ae.V, torch.eye(2, dtype=DTYPE), atol=1e-12)   # orthonormal: noising commutes


# --- larger runs --------------------------------------------------------------------------------


@pytest.mark.slow
def test_ddim_step_and_eta_sweep_table():
    """The sweep reported by benchmarks/score_reference_figures.py: D falls with the step count for η = 0 and 1."""
    data = sm.bimodal_1d(CPU)
    alpha_bars = linear_schedule(1000, 1e-4, 0.02)[2]
    g = make_generator(10, CPU)
    x_T = torch.randn(20_000, 1, generator=g, dtype=DTYPE)
    distances = {}
    for eta in (0.0, 1.0):
        for steps in (10, 50, 250):
            x = samplers.ddim_sample(_eps_of(data, alpha_bars), alpha_bars, samplers.ddim_timesteps(1000, steps), x_T, eta, g)
            distances[eta, steps] = samplers.ks_test(x[:, 0], data.cdf)[1]
    for eta in (0.0, 1.0):
        assert distances[eta, 10] > distances[eta, 50] > 0 and distances[eta, 10] > distances[eta, 250]


@pytest.mark.slow
def test_dsm_network_longer_training_is_closer():
    model, _ = sm.train_dsm(sm.trimodal_2d(CPU), steps=5000, seed=1)
    rows = {r["t"]: r for r in sm.error_by_t(model, sm.trimodal_2d(CPU))}
    assert all(rows[t]["relative_error"] < 0.02 for t in (25, 50, 75, 100))


@pytest.mark.gpu
def test_reference_models_on_cuda():
    cuda = torch.device("cuda")
    data = sm.bimodal_1d(cuda)
    g = make_generator(11, cuda)
    x = data.sample(1000, g)
    assert torch.allclose(data.score(x), autograd_score(data, x), atol=1e-12)
    alpha_bars = linear_schedule(1000, 1e-4, 0.02, device=cuda)[2]
    out = samplers.ddim_sample(_eps_of(data, alpha_bars), alpha_bars, samplers.ddim_timesteps(1000, 50),
                               torch.randn(4000, 1, generator=g, dtype=DTYPE, device=cuda), 0.0)
    assert samplers.ks_test(out[:, 0].cpu(), sm.bimodal_1d(CPU).cdf, FALSE_FAIL_RATE)[0]
    assert ld.run_pipeline(4000, seed=0, device=cuda).holds
    model, _ = sm.train_dsm(sm.trimodal_2d(cuda), steps=1500, seed=0, device=cuda)
    assert all(r["relative_error"] < 0.05 for r in sm.error_by_t(model, sm.trimodal_2d(cuda)) if r["t"] >= 25)
