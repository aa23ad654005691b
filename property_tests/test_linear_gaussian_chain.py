"""Diffusion ELBO as a chain of KLs (reference_models/linear_gaussian_chain.py; Ho et al. 2020 eq. 5).

The reference chain is the executable specification behind claim ``ddpm.elbo.chain`` (its T = 3
derivation is symbolic; the behaviour sources run this chain at T = 10).

Routes: (1) the closed-form chain of KLs; (2) the ELBO from the joint Gaussians q(x_{1:T}|x₀)
and p(x_{0:T}) without the decomposition (exact, compared at 1e-9); (3) Monte Carlo over forward
trajectories of log p(x_{0:T}) − log q(x_{1:T}|x₀) with ``monte_carlo_check`` (1e-6 false-fail
rate, n sized for a 1 % detectable relative error). Wrong chains must fail (3). Seeds are fixed.
"""

import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch.distributions import MultivariateNormal, Normal, kl_divergence

from derivspec.reference_models.device import DTYPE, make_generator
from derivspec.reference_models.linear_gaussian_chain import (
    WRONG_CHAINS,
    ReverseParams,
    alpha_bars,
    chain_elbo_closed_form,
    chain_terms,
    elbo_by_joint_gaussians,
    elbo_by_joint_gaussians_batched,
    elbo_samples,
    forward_joint,
    forward_marginal,
    log_normal,
    posterior,
    posterior_coefficients,
    posterior_reverse_params,
    random_chain,
    reverse_joint,
    reverse_log_marginal,
    stationary_reverse_params,
    wrong_chain_elbo,
)
from derivspec.numerics.montecarlo import monte_carlo_check

CPU = torch.device("cpu")
X0 = 1.5
CASES = [(T, seed) for T in (3, 5, 10) for seed in (0, 1, 2)]


def t(x):
    return torch.as_tensor(x, dtype=DTYPE)


def chain(T, seed, device=CPU):
    return random_chain(T, make_generator(1000 * T + seed, device))


def mc_check(x0, alphas, params, expected, seed):
    return monte_carlo_check(lambda n, g: elbo_samples(x0, alphas, params, n, g), expected,
                             make_generator(seed, alphas.device))


alphas_st = st.lists(st.floats(0.5, 0.999), min_size=1, max_size=12).map(t)
x0_st = st.floats(-3, 3)


# --- forward process and posterior --------------------------------------------------------

@given(alphas_st, x0_st)
def test_forward_marginal_composes_the_kernels(alphas, x0):
    """m_t = √α_t m_{t−1}, s²_t = α_t s²_{t−1} + β_t from (x₀, 0)."""
    mean, var = forward_marginal(x0, alphas)
    m, s2 = t(x0), t(0.0)
    for k in range(alphas.shape[0]):
        m, s2 = torch.sqrt(alphas[k]) * m, alphas[k] * s2 + 1 - alphas[k]
        assert float(mean[k]) == pytest.approx(float(m), rel=1e-12, abs=1e-12)
        assert float(var[k]) == pytest.approx(float(s2), rel=1e-12, abs=1e-12)


@given(alphas_st.filter(lambda a: a.shape[0] >= 2), x0_st, st.floats(-3, 3), st.floats(-3, 3), st.data())
def test_posterior_is_bayes_rule(alphas, x0, x_prev, x_t, data):
    """log q(x_{t−1}|x₀) + log q(x_t|x_{t−1}) = log q(x_t|x₀) + log q(x_{t−1}|x_t, x₀)."""
    step = data.draw(st.integers(2, alphas.shape[0]))
    mean, var = forward_marginal(x0, alphas)
    lhs = log_normal(t(x_prev), mean[step - 2], var[step - 2]) \
        + log_normal(t(x_t), torch.sqrt(alphas[step - 1]) * x_prev, 1 - alphas[step - 1])
    post_mean, post_var = posterior(x0, x_t, step, alphas)
    rhs = log_normal(t(x_t), mean[step - 1], var[step - 1]) + log_normal(t(x_prev), post_mean, post_var)
    assert float(lhs) == pytest.approx(float(rhs), rel=1e-9, abs=1e-9)


def test_posterior_at_t1_is_the_data_point():
    alphas = t([0.9, 0.8])
    mean, var = posterior(0.7, 3.0, 1, alphas)
    assert float(mean) == pytest.approx(0.7, rel=1e-14) and float(var) == 0.0
    with pytest.raises(ValueError):
        posterior_coefficients(3, alphas)


@given(alphas_st, x0_st)
def test_forward_joint_has_the_marginals(alphas, x0):
    mean, cov = forward_joint(x0, alphas)
    m, v = forward_marginal(x0, alphas)
    torch.testing.assert_close(mean, m)
    torch.testing.assert_close(torch.diagonal(cov), v, rtol=1e-12, atol=1e-14)


# --- closed form vs exact routes ----------------------------------------------------------

@settings(max_examples=40)
@given(st.integers(1, 12), st.integers(0, 2**31 - 1), x0_st)
def test_chain_of_kls_equals_joint_gaussian_elbo(T, seed, x0):
    alphas, params = random_chain(T, make_generator(seed, CPU))
    assert chain_elbo_closed_form(x0, alphas, params) == pytest.approx(
        elbo_by_joint_gaussians(x0, alphas, params), rel=1e-9, abs=1e-9)


@settings(max_examples=20)
@given(st.integers(1, 12), st.integers(0, 2**31 - 1))
def test_batched_joint_gaussian_elbo_equals_one_chain_at_a_time(T, seed):
    generator = make_generator(seed, CPU)
    chains = [random_chain(T, generator) for _ in range(4)]
    x0 = 6 * torch.rand(4, generator=generator, dtype=DTYPE) - 3
    alphas = torch.stack([a for a, _ in chains])
    params = ReverseParams(*(torch.stack([getattr(p, k) for _, p in chains]) for k in ("a", "c", "v")))
    batched = elbo_by_joint_gaussians_batched(x0, alphas, params)
    for i, (a, p) in enumerate(chains):
        assert float(batched[i]) == pytest.approx(elbo_by_joint_gaussians(float(x0[i]), a, p), rel=1e-10, abs=1e-10)


@settings(max_examples=40)
@given(st.integers(1, 12), st.integers(0, 2**31 - 1), x0_st)
def test_gap_is_kl_of_the_latent_posteriors(T, seed, x0):
    """log p(x₀) − ELBO = KL(q(x_{1:T}|x₀) ‖ p(x_{1:T}|x₀)) ≥ 0 (conditioned joint Gaussian)."""
    alphas, params = random_chain(T, make_generator(seed, CPU))
    q_mean, q_cov = forward_joint(x0, alphas)
    p_mean, p_cov = reverse_joint(params)
    gain = p_cov[1:, :1] / p_cov[0, 0]
    cond_mean = p_mean[1:] + gain[:, 0] * (x0 - p_mean[0])
    cond_cov = p_cov[1:, 1:] - gain @ p_cov[:1, 1:]
    kl = float(kl_divergence(MultivariateNormal(q_mean, q_cov), MultivariateNormal(cond_mean, cond_cov)))
    gap = reverse_log_marginal(x0, params) - chain_elbo_closed_form(x0, alphas, params)
    assert gap == pytest.approx(kl, rel=1e-7, abs=1e-9)
    assert gap >= -1e-12


def test_expected_kl_terms_match_quadrature():
    """E_{x_t|x₀} KL by 60-node Gauss–Hermite of torch's kl_divergence (exact: quadratic integrand)."""
    nodes, weights = (torch.from_numpy(a) for a in np.polynomial.hermite_e.hermegauss(60))
    weights = weights / math.sqrt(2 * math.pi)
    for T, seed in CASES:
        alphas, params = chain(T, seed)
        terms = chain_terms(X0, alphas, params)
        mean, var = forward_marginal(X0, alphas)
        for step in range(2, T + 1):
            xt = mean[step - 1] + torch.sqrt(var[step - 1]) * nodes
            q_mean, q_var = posterior(X0, xt, step, alphas)
            kl = kl_divergence(Normal(q_mean, torch.sqrt(q_var)),
                               Normal(params.a[step - 1] * xt + params.c[step - 1], torch.sqrt(params.v[step - 1])))
            assert float(terms["denoising"][step - 2]) == pytest.approx(float((kl * weights).sum()), rel=1e-10)
        x1 = mean[0] + torch.sqrt(var[0]) * nodes
        recon = Normal(params.a[0] * x1 + params.c[0], torch.sqrt(params.v[0])).log_prob(t(X0))
        assert float(terms["reconstruction"]) == pytest.approx(float((recon * weights).sum()), rel=1e-10)
        prior = kl_divergence(Normal(mean[-1], torch.sqrt(var[-1])), Normal(t(0.0), t(1.0)))
        assert float(terms["prior"]) == pytest.approx(float(prior), rel=1e-12)


# --- Monte Carlo: definition vs chain of KLs ----------------------------------------------

@pytest.mark.parametrize("T, seed", CASES)
def test_monte_carlo_agrees_with_chain_of_kls(T, seed):
    alphas, params = chain(T, seed)
    result = mc_check(X0, alphas, params, chain_elbo_closed_form(X0, alphas, params), seed)
    assert result.passed, result
    assert result.min_detectable_rel_error <= 0.011  # ≈ 1 %: n from the pilot's variance


@pytest.mark.parametrize("T", [3, 5, 10])
def test_monte_carlo_agrees_at_0_2_percent(T):
    """A tighter check: n sized for a 0.2 % detectable error (n ≈ 0.9–4.4 million)."""
    alphas, params = chain(T, 0)
    result = monte_carlo_check(lambda n, g: elbo_samples(X0, alphas, params, n, g),
                               chain_elbo_closed_form(X0, alphas, params), make_generator(42, CPU), min_rel_error=0.002)
    assert result.passed, result


@pytest.mark.parametrize("variant", WRONG_CHAINS)
@pytest.mark.parametrize("T, seed", CASES)
def test_wrong_chain_is_rejected(T, seed, variant):
    """Measured |z| ≥ 34 over these cases (no_prior_term at T = 10 is the smallest)."""
    alphas, params = chain(T, seed)
    wrong = wrong_chain_elbo(X0, alphas, params, variant)
    assert wrong != pytest.approx(chain_elbo_closed_form(X0, alphas, params), rel=1e-3)
    result = mc_check(X0, alphas, params, wrong, seed + 100)
    assert not result.passed, result


def test_monte_carlo_is_reproducible():
    alphas, params = chain(5, 0)
    a = elbo_samples(X0, alphas, params, 100, make_generator(9, CPU))
    b = elbo_samples(X0, alphas, params, 100, make_generator(9, CPU))
    assert torch.equal(a, b)


# --- reverse model = the true posteriors (for this x₀) --------------------------------------

@pytest.mark.parametrize("T", [3, 5, 10])
def test_true_posterior_reverse_zeroes_the_kl_terms(T):
    """a_t = B_t, c_t = A_t x₀, v_t = β̃_t for t ≥ 2 (valid for this x₀ only). Checked: each
    L_{t−1} = 0; ELBO = L₀ − L_T and Monte Carlo agrees; it is the maximum over the t ≥ 2
    parameters (30 random perturbations all lower it); it stays ≤ log p(x₀)."""
    alphas, params = chain(T, 7)
    best = posterior_reverse_params(X0, alphas, first=(float(params.a[0]), float(params.c[0]), float(params.v[0])))
    terms = chain_terms(X0, alphas, best)
    assert torch.all(terms["denoising"].abs() < 1e-12), terms["denoising"]
    elbo = chain_elbo_closed_form(X0, alphas, best)
    assert elbo == pytest.approx(float(terms["reconstruction"] - terms["prior"]), rel=1e-12)
    assert mc_check(X0, alphas, best, elbo, 5).passed
    assert elbo <= reverse_log_marginal(X0, best) + 1e-12
    generator = make_generator(T, CPU)
    for _ in range(30):
        noise = 0.1 * torch.randn(3, T, generator=generator, dtype=DTYPE)
        noise[:, 0] = 0.0  # keep step 1 (p(x₀|x₁)) fixed
        other = ReverseParams(best.a + noise[0], best.c + noise[1], best.v * torch.exp(noise[2]))
        assert chain_elbo_closed_form(X0, alphas, other) < elbo
    # the same parameters are not optimal for another data point
    assert torch.all(chain_terms(X0 + 1.0, alphas, best)["denoising"] > 1e-3)


@settings(max_examples=30)
@given(alphas_st, x0_st)
def test_stationary_reverse_makes_the_bound_tight(alphas, x0):
    """x₀ ~ N(0, 1) data: p(x_{0:T}) = q(x_{0:T}), so ELBO(x₀) = log p(x₀) = log N(x₀; 0, 1) for
    every x₀, every trajectory gives that value, and yet each L_{t−1} (t ≥ 2) is > 0."""
    params = stationary_reverse_params(alphas)
    log_q = float(Normal(t(0.0), t(1.0)).log_prob(t(x0)))
    assert chain_elbo_closed_form(x0, alphas, params) == pytest.approx(log_q, rel=1e-9, abs=1e-9)
    assert reverse_log_marginal(x0, params) == pytest.approx(log_q, rel=1e-12, abs=1e-12)
    draws = elbo_samples(x0, alphas, params, 256, make_generator(0, CPU))
    torch.testing.assert_close(draws, torch.full_like(draws, log_q), rtol=1e-9, atol=1e-9)
    assert torch.all(chain_terms(x0, alphas, params)["denoising"] > 0)


@pytest.mark.gpu
def test_cuda_monte_carlo_agrees():
    cuda = torch.device("cuda")
    alphas, params = chain(10, 0, cuda)
    assert alpha_bars(alphas).device.type == "cuda"
    result = mc_check(X0, alphas, params, chain_elbo_closed_form(X0, alphas, params), 0)
    assert result.passed, result
    assert not mc_check(X0, alphas, params, wrong_chain_elbo(X0, alphas, params, "no_prior_term"), 1).passed
