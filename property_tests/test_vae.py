"""Gaussian VAE on a linear-Gaussian model with a known log-likelihood (reference_models/vae.py).

Independent routes: numpy/scipy (``scipy.stats.multivariate_normal``, ``scipy.stats.norm``,
Gaussian conditioning through the Schur complement of the joint covariance of (z, x), which is
a different formula from the M^{-1} W^T one in the module, and ``scipy.optimize.minimize`` on
the PPCA log-likelihood); no torch in those routes.

What is checked, with the numbers measured on the fixture run (data seed 0, init seed 1, fit
seed 2; the same run as ``benchmarks/vae_iwae.py`` with its defaults):

* ELBO(x) = log p_theta(x) - KL(q(z|x) || p_theta(z|x)) exactly (closed forms, 1e-10), the
  Monte Carlo ELBO and IWAE_1 are unbiased for it, IWAE log weights agree with scipy.
* Training (Adam on the reparameterised MC ELBO, 2000 steps) reaches the PPCA maximum-likelihood
  fit: marginal covariance within 1.4e-3 of the closed form (tolerance 1e-2); with the analytic
  objective, D = 3, the VAE optimum equals the closed-form PPCA MLE to 1e-12 (tolerance 1e-8).
* The trained encoder is the exact posterior of the trained decoder: mean map A within 6.7e-5
  (tolerance 2e-3), offset c within 1.5e-4 (2e-3), variance relative 2.3e-4 (1e-2), mean
  KL(q || p_theta(z|x)) on held-out points 7.4e-7 (5e-5).
* Held-out (10^4 points): closed-form ELBO < log p_theta at every point (gap 1.3e-8 .. 3.4e-6);
  the MC ELBO (500 draws per point) is within 1.6 MC SE of it. Against the *true* model the
  statement holds exactly at the population level (x ~ p_true, closed forms): E[ELBO] =
  -2.975669 < E[log p_theta] = -2.975668 < E[log p_true] = -H = -2.973844 (the last gap is
  KL(p_true || p_theta) = 1.82e-3). On the finite held-out set the mean MC ELBO is below the
  mean log p_true by 1.67e-3 +- 6.9e-4 (data + MC SE), consistent with 1.82e-3; its sign on a
  finite set is a 2-SE event, not a theorem (other seeds gave margins of -0.4 .. 1.9 MC SE).
* IWAE, K = 1, 5, 50, 500, common random numbers (IWAE_K uses the first K of 500 draws):
  with the trained encoder every gap to log p_theta is consistent with its true size, which
  lies in [0, KL(q || p_theta(z|x))] = [0, 7.4e-7]: measured 1.5e-5 +- 1.2e-5 (K = 1) down to
  -3.6e-7 +- 5.4e-7 (K = 500); the K ordering cannot be resolved there (steps far below MC
  error). With the trained decoder and deliberately mismatched proposals every step K -> K'
  is positive and resolved: encoder std doubled (KL 0.807 at every x), gaps 0.823, 0.064,
  5.0e-3, 6.1e-4 for K = 1, 5, 50, 500, steps at 37, 16, 4.5 SE; prior as proposal (mean KL
  19.0), gaps 18.9, 2.53, 0.162, 1.5e-2, steps at 60, 34, 13 SE.
* The learned marginal W W^T + s^2 I is within 0.4 sampling SEs of the true covariance
  (asserted: 4 SEs, SE of a Gaussian sample covariance with n = 2000).

Deterministic (explicit seeds everywhere). CUDA variants are marked ``gpu``.
"""

import math

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st
from scipy import optimize, stats

from derivspec.core.errors import ParameterError
from derivspec.reference_models.device import DTYPE, make_generator
from derivspec.reference_models.vae import (
    LinearGaussianVAE,
    exact_log_likelihood,
    exact_posterior,
    exact_posterior_map,
    expected_log_likelihood,
    make_linear_gaussian_data,
    marginal_covariance,
    ppca_mle,
)

CPU = torch.device("cpu")
requires_cuda = pytest.mark.skipif(not torch.cuda.is_available(), reason="CUDA is not available")

W2 = [[2.0], [1.0]]
B2 = [0.5, -1.0]
W3 = [[2.0], [1.0], [-1.0]]
B3 = [0.5, -1.0, 0.25]
S_TRUE = 0.5
N_TRAIN, N_TEST = 2000, 10_000
KS = [1, 5, 50, 500]
ELBO_DRAWS = 500

# Tolerances (measured values in the module docstring; worst over 16 init/fit seeds in brackets).
TOL_COV_VS_PPCA = 1e-2  # measured 1.4e-3 [2.4e-3]
TOL_A = 2e-3  # 6.7e-5 [4.1e-4]
TOL_C = 2e-3  # 1.5e-4
TOL_VAR_REL = 1e-2  # 2.3e-4 [3.3e-3]
TOL_MEAN_RMS = 5e-3  # 2.6e-4
TOL_POSTERIOR_KL = 5e-5  # 7.4e-7 [5.4e-6]
TOL_TRAINED_IWAE_GAP = 1e-4  # largest |gap| 1.5e-5 (K = 1, SE 1.2e-5)


def t(values, device=CPU):
    return torch.tensor(values, dtype=DTYPE, device=device)


def mean_se(values: torch.Tensor) -> tuple[float, float]:
    return float(values.mean()), float(values.std(unbiased=True)) / math.sqrt(values.numel())


# ------------------------------------------------------------------ independent numpy routes


def np_log_likelihood(x, W, b, s):
    return stats.multivariate_normal(mean=b, cov=W @ W.T + s**2 * np.eye(W.shape[0])).logpdf(x)


def np_posterior(x, W, b, s):
    """Condition the joint Gaussian of (z, x): Cov(z, x) = W^T, Cov(x) = C (Schur complement)."""
    C = W @ W.T + s**2 * np.eye(W.shape[0])
    gain = np.linalg.solve(C, W).T  # W^T C^{-1}
    return (x - b) @ gain.T, np.eye(W.shape[1]) - gain @ W


def np_gauss_kl(m0, S0, m1, S1):
    """KL(N(m0, S0) || N(m1, S1)) per row of m0 / m1."""
    d = S0.shape[0]
    S1_inv = np.linalg.inv(S1)
    diff = m1 - m0
    return 0.5 * (np.trace(S1_inv @ S0) + np.einsum("ni,ij,nj->n", diff, S1_inv, diff) - d
                  + np.log(np.linalg.det(S1) / np.linalg.det(S0)))


def random_vae(D, d, seed, device=CPU):
    """A VAE with all parameters (decoder and encoder) set at random."""
    vae = LinearGaussianVAE(D, d, init_seed=seed, device=device)
    g = make_generator(seed + 1000, device)
    with torch.no_grad():
        for p in vae.parameters():
            p.copy_(0.7 * torch.randn(p.shape, generator=g, dtype=DTYPE, device=device))
    return vae


# ------------------------------------------------------------------------- exact model


@pytest.mark.parametrize("W_list,b_list,s",
                         [(W2, B2, 0.5), (W3, B3, 0.3), ([[1.0, 0.5], [0.2, -1.0], [0.3, 0.4]], B3, 0.8)])
def test_exact_log_likelihood_and_posterior_match_scipy(W_list, b_list, s):
    W, b = t(W_list), t(b_list)
    x = make_linear_gaussian_data(50, W, b, s, make_generator(3, CPU), CPU)
    assert x.shape == (50, W.shape[0]) and x.dtype == DTYPE
    Wn, bn, xn = W.numpy(), b.numpy(), x.numpy()
    assert np.allclose(exact_log_likelihood(x, W, b, s).numpy(), np_log_likelihood(xn, Wn, bn, s), rtol=0, atol=1e-11)
    mean, cov = exact_posterior(x, W, b, s)
    ref_mean, ref_cov = np_posterior(xn, Wn, bn, s)
    assert np.allclose(mean.numpy(), ref_mean, rtol=0, atol=1e-12)
    assert np.allclose(cov.numpy(), ref_cov, rtol=0, atol=1e-12)
    A, c, cov2 = exact_posterior_map(W, b, s)
    assert torch.allclose(x @ A.T + c, mean, rtol=0, atol=1e-12) and torch.equal(cov, cov2)


def test_data_moments_match_model():
    W, b = t(W3), t(B3)
    n = 200_000
    x = make_linear_gaussian_data(n, W, b, S_TRUE, make_generator(4, CPU), CPU).numpy()
    C = marginal_covariance(W, b, S_TRUE).numpy()
    assert np.all(np.abs(x.mean(0) - b.numpy()) < 5 * np.sqrt(np.diag(C) / n))
    se = np.sqrt((np.outer(np.diag(C), np.diag(C)) + C**2) / n)  # SE of a Gaussian sample covariance
    assert np.all(np.abs(np.cov(x.T, bias=True) - C) < 5 * se)


@pytest.mark.parametrize("W_list,b_list", [(W2, B2), (W3, B3)])
def test_ppca_mle_is_the_likelihood_maximum(W_list, b_list):
    x = make_linear_gaussian_data(500, t(W_list), t(b_list), S_TRUE, make_generator(5, CPU), CPU)
    W_ml, b_ml, s_ml = ppca_mle(x, 1)
    xn = x.numpy()
    D = xn.shape[1]
    C_ml = marginal_covariance(W_ml, b_ml, s_ml).numpy()
    if D == 2:  # D - d = 1: the fitted covariance is the (1/n) sample covariance itself
        assert np.allclose(C_ml, np.cov(xn.T, bias=True), rtol=0, atol=1e-12)

    def nll(theta):
        W, b, s = theta[:D].reshape(D, 1), theta[D : 2 * D], math.exp(theta[-1])
        return -np_log_likelihood(xn, W, b, s).mean()

    start = np.concatenate([np.ones(D), np.zeros(D), [0.0]])
    res = optimize.minimize(nll, start, method="BFGS", options={"gtol": 1e-10})
    assert res.fun == pytest.approx(-float(exact_log_likelihood(x, W_ml, b_ml, s_ml).mean()), abs=1e-9)
    W_num = res.x[:D].reshape(D, 1)
    C_num = W_num @ W_num.T + math.exp(2 * res.x[-1]) * np.eye(D)
    assert np.allclose(C_ml, C_num, rtol=0, atol=1e-5)


# --------------------------------------------------------------------- bounds (untrained)


@given(D=st.integers(2, 3), d=st.integers(1, 2), seed=st.integers(0, 10_000))
def test_elbo_decomposition_identity(D, d, seed):
    """ELBO = log p_theta(x) - KL(q || p_theta(z|x)) for any q (closed forms on both sides)."""
    vae = random_vae(D, d, seed)
    x = 2.0 * torch.randn(7, D, generator=make_generator(seed, CPU), dtype=DTYPE)
    with torch.no_grad():
        elbo = vae.elbo_analytic(x)
        log_p = exact_log_likelihood(x, *vae.decoder_parameters())
        kl = vae.kl_to_exact_posterior(x)
    mu, sigma = vae.encode(x)
    post_mean, post_cov = np_posterior(x.numpy(), *(p.numpy() for p in vae.decoder_parameters()))
    kl_np = np_gauss_kl(mu.detach().numpy(), np.diag(sigma.detach().numpy() ** 2), post_mean, post_cov)
    assert np.allclose(kl.numpy(), kl_np, rtol=1e-9, atol=1e-10)
    assert torch.allclose(elbo + kl, log_p, rtol=0, atol=1e-9 * (1 + float(log_p.abs().max())))
    assert bool((elbo <= log_p + 1e-12).all())


@pytest.mark.parametrize("D,d", [(2, 1), (3, 2)])
def test_population_expectations_match_numpy(D, d):
    """E_{x ~ N(m, S)}[log p_theta(x)] and E[ELBO(x)] in closed form, against numpy: the first as
    -H(N(m, S)) - KL(N(m, S) || p_theta), the second as that minus E[KL(q(z|x) || p_theta(z|x))]
    (the posterior-mean error is affine in x, so its second moment is exact)."""
    vae = random_vae(D, d, 41 + D)
    rng = np.random.default_rng(D)
    L = rng.normal(size=(D, D))
    S, m = L @ L.T + 0.5 * np.eye(D), rng.normal(size=D)
    with torch.no_grad():
        got_ll = float(expected_log_likelihood(t(m), t(S), *vae.decoder_parameters()))
        got_elbo = float(vae.expected_elbo(t(m), t(S)))
    W, b, s = (p.numpy() for p in vae.decoder_parameters())
    C = W @ W.T + s**2 * np.eye(D)
    entropy = 0.5 * np.log(np.linalg.det(2 * np.pi * np.e * S))
    ref_ll = -entropy - np_gauss_kl(m[None], S, b[None], C)[0]
    assert got_ll == pytest.approx(ref_ll, abs=1e-11)
    gain = np.linalg.solve(C, W).T  # exact posterior: mean gain (x - b), cov I - gain W
    post_cov = np.eye(d) - gain @ W
    A, c = vae.A.detach().numpy(), vae.c.detach().numpy()
    q_cov = np.diag(np.exp(vae.log_var.detach().numpy()))
    delta_map, delta_off = A - gain, c + gain @ b  # mu_q(x) - mu*(x) = delta_map x + delta_off
    P = np.linalg.inv(post_cov)
    mean_delta = delta_map @ m + delta_off
    e_quad = np.trace(P @ delta_map @ S @ delta_map.T) + mean_delta @ P @ mean_delta
    e_kl = 0.5 * (np.trace(P @ q_cov) + e_quad - d + np.log(np.linalg.det(post_cov) / np.linalg.det(q_cov)))
    assert got_elbo == pytest.approx(ref_ll - e_kl, abs=1e-10)


def test_kl_to_prior_closed_form():
    vae = random_vae(3, 2, 7)
    x = torch.randn(20, 3, generator=make_generator(8, CPU), dtype=DTYPE)
    mu, sigma = (v.detach().numpy() for v in vae.encode(x))
    ref = 0.5 * (sigma**2 + mu**2 - 1 - np.log(sigma**2)).sum(-1)
    assert np.allclose(vae.kl_to_prior(x).detach().numpy(), ref, rtol=0, atol=1e-12)


def test_mc_elbo_and_iwae_k1_are_unbiased():
    vae = random_vae(2, 1, 11)
    x = make_linear_gaussian_data(5, t(W2), t(B2), S_TRUE, make_generator(12, CPU), CPU)
    n_draws = 40_000
    with torch.no_grad():
        exact = vae.elbo_analytic(x)
        elbo_draws = torch.stack([vae.elbo(x, make_generator(100 + r, CPU), n_samples=1) for r in range(200)])
        elbo_many = vae.elbo(x, make_generator(13, CPU), n_samples=n_draws)
        iwae1 = torch.stack([vae.iwae_bound(x, 1, make_generator(1000 + r, CPU)) for r in range(n_draws // 10)])
    se_one = elbo_draws.std(0) / math.sqrt(n_draws)
    assert bool(((elbo_many - exact).abs() < 5 * se_one).all()), (elbo_many - exact, se_one)
    se_iwae = iwae1.std(0) / math.sqrt(iwae1.shape[0])
    assert bool(((iwae1.mean(0) - exact).abs() < 5 * se_iwae).all()), (iwae1.mean(0) - exact, se_iwae)


def test_iwae_log_weights_match_scipy_and_use_common_random_numbers():
    vae = random_vae(2, 1, 21)
    x = make_linear_gaussian_data(6, t(W2), t(B2), S_TRUE, make_generator(22, CPU), CPU)
    K = 7
    with torch.no_grad():
        bounds = vae.iwae_bounds(x, [1, 3, K], make_generator(23, CPU))
        single = vae.iwae_bound(x, K, make_generator(23, CPU))
    assert torch.equal(bounds[K], single)  # same draws: K_max = K in both calls
    eps = torch.randn(K, 6, 1, generator=make_generator(23, CPU), dtype=DTYPE).numpy()[..., 0]
    W, b, s = (p.numpy() for p in vae.decoder_parameters())
    mu, sigma = (v.detach().numpy() for v in vae.encode(x))
    z = mu[:, 0] + sigma[0] * eps  # (K, n)
    xn = x.numpy()
    log_w = (stats.norm.logpdf(z)
             + stats.norm.logpdf(xn[None, :, 0], W[0, 0] * z + b[0], s)
             + stats.norm.logpdf(xn[None, :, 1], W[1, 0] * z + b[1], s)
             - stats.norm.logpdf(z, mu[:, 0], sigma[0]))
    for k in (1, 3, K):  # IWAE_k uses the first k of the same draws
        ref = np.logaddexp.reduce(log_w[:k], axis=0) - math.log(k)
        assert np.allclose(bounds[k].numpy(), ref, rtol=0, atol=1e-10)


def test_iwae_approaches_log_likelihood_for_any_proposal():
    """With the prior as proposal (a poor q), IWAE_K -> log p_theta(x) as K grows."""
    vae = random_vae(2, 1, 31)
    with torch.no_grad():
        prior = vae.with_encoder(A=torch.zeros(1, 2), c=torch.zeros(1), log_var=torch.zeros(1))
    x = make_linear_gaussian_data(4, *prior.decoder_parameters(), make_generator(32, CPU), CPU)
    log_p = exact_log_likelihood(x, *prior.decoder_parameters())
    with torch.no_grad():
        gap = log_p - prior.iwae_bound(x, 400_000, make_generator(33, CPU))
    assert bool((gap.abs() < 2e-3).all()), gap


# --------------------------------------------------------------------------- training


@pytest.fixture(scope="module")
def trained():
    W, b = t(W2), t(B2)
    g = make_generator(0, CPU)
    x_train = make_linear_gaussian_data(N_TRAIN, W, b, S_TRUE, g, CPU)
    x_test = make_linear_gaussian_data(N_TEST, W, b, S_TRUE, g, CPU)
    vae = LinearGaussianVAE(2, 1, init_seed=1, device=CPU)
    history = vae.fit(x_train, 2000, 5e-2, make_generator(2, CPU), n_samples=4)
    return vae, history, x_train, x_test


def test_training_reaches_the_ppca_maximum_likelihood_fit(trained):
    vae, history, x_train, _ = trained
    W, b, s = vae.decoder_parameters()
    W_ml, b_ml, s_ml = ppca_mle(x_train, 1)
    C, C_ml = marginal_covariance(W, b, s), marginal_covariance(W_ml, b_ml, s_ml)
    assert float((C - C_ml).abs().max()) < TOL_COV_VS_PPCA
    assert float((b - b_ml).abs().max()) < 1e-3 and float(s) == pytest.approx(float(s_ml), rel=1e-3)
    ll, ll_ml = (float(exact_log_likelihood(x_train, *p).mean()) for p in ((W, b, s), (W_ml, b_ml, s_ml)))
    assert 0 <= ll_ml - ll < 1e-5
    assert history.shape == (2000,) and float(history[0]) > float(history[-1]) + 2
    assert float(history[-200:].mean()) == pytest.approx(-ll, abs=5e-3)  # MC noise of one loss ~ 2e-3


def test_encoder_recovers_exact_posterior_of_trained_decoder(trained):
    vae, _, _, x_test = trained
    W, b, s = vae.decoder_parameters()
    A_star, c_star, cov_star = exact_posterior_map(W, b, s)
    with torch.no_grad():
        mu, sigma = vae.encode(x_test)
        kl = vae.kl_to_exact_posterior(x_test)
    mean_star, _ = exact_posterior(x_test, W, b, s)
    assert float((vae.A.detach() - A_star).abs().max()) < TOL_A
    assert float((vae.c.detach() - c_star).abs().max()) < TOL_C
    assert float((sigma**2 / cov_star.diagonal() - 1).abs().max()) < TOL_VAR_REL
    assert float((mu - mean_star).pow(2).mean().sqrt()) < TOL_MEAN_RMS
    assert 0 <= float(kl.mean()) < TOL_POSTERIOR_KL


def test_heldout_elbo_below_exact_log_likelihood(trained):
    vae, _, _, x_test = trained
    W, b, s = vae.decoder_parameters()
    log_p_model = exact_log_likelihood(x_test, W, b, s)
    log_p_true = exact_log_likelihood(x_test, t(W2), t(B2), S_TRUE)
    with torch.no_grad():
        elbo_exact = vae.elbo_analytic(x_test)
        elbo_mc = torch.cat([vae.elbo(x_test[i : i + 1000], make_generator(40 + i, CPU), n_samples=ELBO_DRAWS)
                             for i in range(0, N_TEST, 1000)])
    assert bool((elbo_exact < log_p_model).all())
    # MC error of the mean ELBO on these (fixed) held-out points: elbo_exact is its conditional mean.
    mc_error, se_mc = mean_se(elbo_mc - elbo_exact)
    assert abs(mc_error) < 3 * se_mc
    # Against the true model. Population level (x ~ p_true, closed form, no noise):
    # E[ELBO] = E[log p_theta] - E[KL(q || p_theta(z|x))] < E[log p_theta] = -H - KL(p_true || p_theta) < -H.
    C_true = marginal_covariance(t(W2), t(B2), S_TRUE)
    with torch.no_grad():
        pop_true = float(expected_log_likelihood(t(B2), C_true, t(W2), t(B2), S_TRUE))
        pop_model = float(expected_log_likelihood(t(B2), C_true, W, b, s))
        pop_elbo = float(vae.expected_elbo(t(B2), C_true))
    assert pop_elbo < pop_model < pop_true and pop_true - pop_model > 1e-4  # measured 1.82e-3
    # Finite held-out set: log p_true - ELBO_MC has mean 1.67e-3 here; it agrees with the population
    # gap (1.82e-3) within its SE (data spread + MC, 6.9e-4), so its sign on a finite set is not
    # guaranteed (other seeds: margins of 0.4 .. 1.9 MC SE, once -0.4).
    held_out_gap, se = mean_se(log_p_true - elbo_mc)
    assert abs(held_out_gap - (pop_true - pop_elbo)) < 3 * se, (held_out_gap, pop_true - pop_elbo, se)
    assert held_out_gap > 0


def test_iwae_with_trained_encoder_equals_log_likelihood(trained):
    """q ~ p_theta(z|x): the true gap of IWAE_K lies in [0, KL(q || p_theta(z|x))] (<= 7.4e-7 here);
    every measured gap is consistent with that interval within 3 MC SE."""
    vae, _, _, x_test = trained
    log_p = exact_log_likelihood(x_test, *vae.decoder_parameters())
    with torch.no_grad():
        iwae = vae.iwae_bounds(x_test, KS, make_generator(50, CPU))
        kl = float(vae.kl_to_exact_posterior(x_test).mean())
    for K in KS:
        gap, se = mean_se(log_p - iwae[K])
        assert -3 * se < gap < kl + 3 * se and abs(gap) < TOL_TRAINED_IWAE_GAP, (K, gap, se, kl)
    for a, b in zip(KS, KS[1:]):
        step, se = mean_se(iwae[b] - iwae[a])
        assert step > -3 * se, (a, b, step, se)


@pytest.mark.parametrize("proposal", ["wide", "prior"])
def test_iwae_non_decreasing_in_k_and_converging(trained, proposal):
    """Trained decoder, mismatched q: the IWAE steps are positive and resolved, the gap -> 0."""
    vae, _, _, x_test = trained
    with torch.no_grad():
        if proposal == "wide":  # std x2: KL(q || p) = (4 - 1 - log 4) / 2 = 0.807 at every x
            q = vae.with_encoder(log_var=vae.log_var + math.log(4.0))
        else:
            q = vae.with_encoder(A=torch.zeros(1, 2), c=torch.zeros(1), log_var=torch.zeros(1))
        iwae = q.iwae_bounds(x_test, KS, make_generator(60, CPU))
        kl = q.kl_to_exact_posterior(x_test)
    log_p = exact_log_likelihood(x_test, *vae.decoder_parameters())
    gaps = [mean_se(log_p - iwae[K]) for K in KS]
    gap1, se1 = gaps[0]
    assert abs(gap1 - float(kl.mean())) < 4 * se1  # E[IWAE_1] = ELBO
    for (a, b), (g_a, _), (g_b, _) in zip(zip(KS, KS[1:]), gaps, gaps[1:]):
        step, se = mean_se(iwae[b] - iwae[a])
        assert step > 3 * se, (proposal, a, b, step, se)
        assert g_b < g_a
    g_last, se_last = gaps[-1]
    assert g_last > -3 * se_last and g_last < 2e-2 and g_last < 0.01 * gap1


def test_learned_covariance_close_to_truth(trained):
    vae, _, x_train, _ = trained
    C = marginal_covariance(*vae.decoder_parameters()).numpy()
    C_true = marginal_covariance(t(W2), t(B2), S_TRUE).numpy()
    se = np.sqrt((np.outer(np.diag(C_true), np.diag(C_true)) + C_true**2) / x_train.shape[0])
    assert np.all(np.abs(C - C_true) < 4 * se), (C, C_true, se)


def test_analytic_objective_reaches_ppca_mle_exactly_d3():
    x = make_linear_gaussian_data(N_TRAIN, t(W3), t(B3), S_TRUE, make_generator(70, CPU), CPU)
    vae = LinearGaussianVAE(3, 1, init_seed=3, device=CPU)
    vae.fit(x, 1000, 5e-2, None, objective="analytic")
    C = marginal_covariance(*vae.decoder_parameters())
    C_ml = marginal_covariance(*ppca_mle(x, 1))
    assert float((C - C_ml).abs().max()) < 1e-8
    assert float(vae.kl_to_exact_posterior(x).detach().abs().max()) < 1e-8


def test_fit_is_deterministic_given_the_generator():
    x = make_linear_gaussian_data(200, t(W2), t(B2), S_TRUE, make_generator(80, CPU), CPU)
    runs = []
    for fit_seed in (1, 1, 2):
        vae = LinearGaussianVAE(2, 1, init_seed=0, device=CPU)
        history = vae.fit(x, 60, 5e-2, make_generator(fit_seed, CPU))
        runs.append((history, [p.detach().clone() for p in vae.parameters()]))
    assert torch.equal(runs[0][0], runs[1][0])
    assert all(torch.equal(p, q) for p, q in zip(runs[0][1], runs[1][1]))
    assert not torch.equal(runs[0][0], runs[2][0])


def test_parameter_errors():
    W, b = t(W2), t(B2)
    x = torch.zeros(3, 2, dtype=DTYPE)
    with pytest.raises(ParameterError):
        exact_log_likelihood(x, W, b, 0.0)
    with pytest.raises(ParameterError):
        exact_log_likelihood(x, W, t([1.0, 2.0, 3.0]), 1.0)
    with pytest.raises(ParameterError):
        exact_posterior(torch.zeros(3, 3, dtype=DTYPE), W, b, 1.0)
    with pytest.raises(ParameterError):
        make_linear_gaussian_data(0, W, b, 1.0, make_generator(0, CPU), CPU)
    with pytest.raises(ParameterError):
        ppca_mle(x, 2)
    vae = LinearGaussianVAE(2, 1, device=CPU)
    g = make_generator(0, CPU)
    for call in (lambda: vae.elbo(x, g, n_samples=0), lambda: vae.iwae_bound(x, 0, g),
                 lambda: vae.fit(x, 10, 1e-2, None), lambda: vae.fit(x, 10, 1e-2, g, objective="exact"),
                 lambda: vae.fit(x, 0, 1e-2, g), lambda: vae.fit(x, 10, -1.0, g),
                 lambda: vae.with_encoder(A=torch.zeros(2, 2))):
        with pytest.raises(ParameterError):
            call()


# -------------------------------------------------------------------------------- CUDA


@pytest.mark.gpu
@requires_cuda
def test_cuda_fit_and_bounds():
    cuda = torch.device("cuda")
    x_cpu = make_linear_gaussian_data(N_TRAIN, t(W3), t(B3), S_TRUE, make_generator(70, CPU), CPU)
    x = x_cpu.to(cuda)
    # Analytic objective (no randomness): CUDA and CPU both reach the closed-form PPCA MLE.
    vae = LinearGaussianVAE(3, 1, init_seed=3, device=cuda)
    assert vae.W.device.type == "cuda" and vae.W.dtype == DTYPE
    vae.fit(x, 1000, 5e-2, None, objective="analytic")
    C_ml = marginal_covariance(*ppca_mle(x_cpu, 1))
    assert float((marginal_covariance(*vae.decoder_parameters()).cpu() - C_ml).abs().max()) < 1e-8
    # MC objective: deterministic given a CUDA generator; bounds on CUDA.
    histories = []
    for _ in range(2):
        mc = LinearGaussianVAE(3, 1, init_seed=3, device=cuda)
        histories.append(mc.fit(x, 300, 5e-2, make_generator(5, cuda)))
    assert torch.equal(histories[0], histories[1]) and float(histories[0][-1]) < float(histories[0][0])
    with torch.no_grad():
        log_p = exact_log_likelihood(x, *mc.decoder_parameters())
        assert torch.allclose(mc.elbo_analytic(x) + mc.kl_to_exact_posterior(x), log_p, rtol=0, atol=1e-9)
        prior = mc.with_encoder(A=torch.zeros(1, 3), c=torch.zeros(1), log_var=torch.zeros(1))
        iwae = prior.iwae_bounds(x[:500], [1, 50, 5000], make_generator(6, cuda))
    assert iwae[1].device.type == "cuda"
    gaps = [float((log_p[:500] - iwae[K]).mean()) for K in (1, 50, 5000)]
    assert gaps[0] > gaps[1] > gaps[2] > -1e-2, gaps
