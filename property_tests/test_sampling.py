"""Sampling family (derivations/sampling/) and its reference models (importance, mcmc, rbm):
targets against routes written again here, the samplers checked by goodness-of-fit tests at the
project's false-fail rate, SNIS bias O(1/n), IWAE's 1/K rate, correct forms, errata."""

import itertools
import math

import numpy as np
import pytest
import sympy
import torch
from scipy import integrate, stats

from derivspec.core import registry
from derivspec.numerics.montecarlo import FALSE_FAIL_RATE, critical_z
from derivspec.reference_models import importance, mcmc, rbm
from forms import assert_forms
from recompute import recomputes

Z = critical_z(FALSE_FAIL_RATE)  # z- and KS-tests below fail a true statement about once in a million runs
DTYPE = torch.float64


def target_at(claim_id, **values):
    claim = registry.get(claim_id)
    subs = {claim.symbols[k]: sympy.nsimplify(v) for k, v in values.items()}
    return float(sympy.N(claim.expand_defined(claim.target).subs(subs), 30))


def gen(seed):
    return torch.Generator().manual_seed(seed)


# --- importance sampling -------------------------------------------------------------------------


def test_weight_variance_against_quadrature_and_zero_for_the_target_itself():
    a, b, m, u = 0.3, 0.7, -0.4, 0.5
    second = integrate.quad(lambda z: stats.norm.pdf(z, a, math.sqrt(b)) ** 2 / stats.norm.pdf(z, m, math.sqrt(b + u)), -30, 30)[0]
    assert target_at("sampling.is.variance", a=a, b=b, m=m, u=u) == pytest.approx(second - 1, rel=1e-9)
    claim = registry.get("sampling.is.variance")
    sym = claim.symbols
    at_target = claim.expand_defined(claim.target).subs(sym["m"], sym["a"])
    assert sympy.limit(at_target, sym["u"], 0) == 0  # the zero-variance proposal: q = π


def test_ess_fraction_of_a_large_sample_approaches_the_claim():
    a, b, m, u = 0.0, 1.0, 0.8, 0.5
    weights = importance.gaussian_weights(a, b, m, b + u, 2_000_000, gen(1))
    # ESS/n is a ratio estimator: its delta-method standard error is below 5e-3 here; allow 5 of them
    assert importance.effective_sample_size(weights) / 2_000_000 == pytest.approx(target_at("sampling.is.ess", a=a, b=b, m=m, u=u), abs=0.025)


def test_self_normalised_bias_shrinks_like_one_over_n():
    t, r = 0.3, 0.7
    scaled = [n * (importance.snis_exact_mean(t, r, n) - t) for n in (10, 100, 1000, 10000)]
    assert abs(scaled[-1] - scaled[-2]) < 0.01 * abs(scaled[-1]) and abs(scaled[-1]) > 0.05
    assert importance.snis_exact_mean(t, r, 2) == pytest.approx(target_at("sampling.snis.two-draws", t=t, r=r), rel=1e-12)
    assert importance.snis_exact_mean(0.4, 0.4, 5) == pytest.approx(0.4)  # unbiased when the proposal is the target


def test_iwae_gap_times_k_approaches_the_claimed_limit():
    w0, w1, r = 0.4, 2.5, 0.3
    log_p = math.log((1 - r) * w0 + r * w1)
    rates = [K * (log_p - importance.iwae_two_point(w0, w1, r, K)) for K in (100, 1000, 10000)]
    limit = target_at("sampling.iwae.gap-limit", w0=w0, w1=w1, r=r)
    assert abs(rates[-1] - limit) < abs(rates[0] - limit) and rates[-1] == pytest.approx(limit, rel=2e-3)
    bounds = [importance.iwae_two_point(w0, w1, r, K) for K in (1, 2, 4, 16, 64)]
    assert all(b2 > b1 for b1, b2 in zip(bounds, bounds[1:])) and bounds[-1] < log_p


def test_iwae_gap_without_cancellation_matches_40_digits_where_the_difference_keeps_none():
    import mpmath

    w0, w1, r, K = 2.2345447136585266, 2.2359475283259567, 0.21062046962598296, 1024  # weights that nearly agree
    with mpmath.workdps(40):
        a, b, q = map(mpmath.mpf, (w0, w1, r))
        p = (1 - q) * a + q * b
        exact = -mpmath.fsum(mpmath.binomial(K, j) * q**j * (1 - q) ** (K - j) * mpmath.log((j * b + (K - j) * a) / (K * p))
                             for j in range(K + 1))
    assert importance.iwae_gap_two_point(w0, w1, r, K) == pytest.approx(float(exact), rel=1e-11)
    difference = math.log((1 - r) * w0 + r * w1) - importance.iwae_two_point(w0, w1, r, K)
    assert abs(difference / float(exact) - 1) > 1e-3  # why the route does not subtract log p and L_K


def test_richardson_limit_and_its_error_estimate_even_where_one_difference_vanishes():
    from derivspec.numerics.accuracy import richardson
    from derivspec.numerics.sampling_routes import limit_by_richardson

    sequence = lambda c2: lambda n: 1 + 2 / n + c2 / n**2 - 40 / n**3 + 7 / n**4  # noqa: E731

    def last_difference(c2):  # E(8n₀) − E(4n₀) of the once-extrapolated values: linear in c2
        return richardson(sequence(c2)(128), sequence(c2)(256), order=1)[0] - richardson(sequence(c2)(64), sequence(c2)(128), order=1)[0]

    cancelling = -last_difference(0.0) / (last_difference(1.0) - last_difference(0.0))
    for c2 in (3.0, cancelling):
        value, error = limit_by_richardson(sequence(c2), 32)
        assert 0 < abs(value - 1) <= 10 * error < 1e-2


@pytest.mark.parametrize("w0, w1, r", [(2.8401, 2.8556, 0.3107), (2.2345447136585266, 2.2359475283259567, 0.2106), (0.05, 3, 0.05),
                                       (3, 0.05, 0.05), (0.05, 3, 0.95), (1.571047844057492, 0.056764922522092226, 0.9359597608117874)])
def test_iwae_rate_route_is_within_its_own_error_estimate(w0, w1, r):
    """Points where the old route (two K, fixed rtol 2e-3) failed, the corners of the domain, and a point
    where the 1/K² and 1/K³ terms of the once-extrapolated rates nearly cancel."""
    from derivspec.numerics.accuracy import ERROR_SAFETY, MAX_RESOLUTION, tolerance
    from derivspec.numerics.sampling_routes import iwae_gap_rate_by_enumeration

    out = iwae_gap_rate_by_enumeration(*(torch.tensor([v], dtype=DTYPE) for v in (w0, w1, r)))
    limit = target_at("sampling.iwae.gap-limit", w0=w0, w1=w1, r=r)
    assert abs(float(out.value[0]) - limit) <= float(tolerance(out.value, out.error)[0])
    assert ERROR_SAFETY * float(out.error[0]) <= MAX_RESOLUTION * limit + 1e-9  # the point is decidable


def test_importance_estimate_is_unbiased_by_a_z_test():
    x, w, s, m, v = 0.7, 0.5, 1.0, 0.3, 1.2
    g = np.random.default_rng(2)
    z = g.normal(m, math.sqrt(v), 1_000_000)
    weights = stats.norm.pdf(x, w * z, s) * stats.norm.pdf(z) / stats.norm.pdf(z, m, math.sqrt(v))
    evidence = target_at("sampling.is.unbiased", x=x, w=w, s=s, m=m, v=v)
    assert evidence == pytest.approx(stats.norm.pdf(x, 0, math.sqrt(w * w + s * s)), rel=1e-12)
    assert abs(weights.mean() - evidence) <= Z * weights.std() / math.sqrt(len(z))


# --- MCMC ------------------------------------------------------------------------------------------


def test_mh_with_the_hastings_correction_is_stationary_and_without_it_is_not():
    pi = torch.tensor([0.1, 0.6, 0.3], dtype=DTYPE)
    Q = torch.tensor([[0.2, 0.5, 0.3], [0.6, 0.1, 0.3], [0.1, 0.7, 0.2]], dtype=DTYPE)
    ratio = registry.get("sampling.mh.acceptance-ratio")
    as_torch = sympy.lambdify([v.symbol for v in ratio.variables], ratio.target)
    P = mcmc.mh_transition_matrix(pi, Q, lambda px, py, qxy, qyx: as_torch(px, py, qxy, qyx))
    assert torch.allclose(pi @ P, pi, atol=1e-15)
    wrong = mcmc.mh_transition_matrix(pi, Q, lambda px, py, qxy, qyx: py / px)
    assert float((pi @ wrong - pi).abs().max()) > 1e-2


def test_random_walk_mh_final_states_pass_a_ks_test():
    x0 = 3 * torch.randn(3000, generator=gen(3), dtype=DTYPE)
    log_p = lambda x: torch.logaddexp(-0.5 * (x + 2) ** 2, -0.5 * (x - 2) ** 2)
    final, rate = mcmc.random_walk_mh(log_p, x0, 300, 2.5, gen(4))
    _, p = mcmc.ks_test(final, lambda t: 0.5 * stats.norm.cdf(t, -2) + 0.5 * stats.norm.cdf(t, 2))
    assert p > FALSE_FAIL_RATE and 0.2 < rate < 0.8


def test_gibbs_final_states_pass_ks_tests_and_use_the_claimed_conditionals():
    mu1, mu2, s1, s2, rho = 0.5, -1.0, 2.0, 0.7, -0.6
    assert target_at("sampling.gibbs.conditional-mean", x2=0.4, mu1=mu1, mu2=mu2, s1=s1, s2=s2, rho=rho) == pytest.approx(
        mu1 + rho * s1 / s2 * (0.4 - mu2))
    final = mcmc.gibbs_bivariate_normal(mu1, mu2, s1, s2, rho, 4 * torch.randn(3000, 2, generator=gen(5), dtype=DTYPE), 100, gen(6))
    for values, dist in ((final[:, 0], stats.norm(mu1, s1)), (final[:, 1], stats.norm(mu2, s2)),
                         ((final[:, 0] - mu1) / s1 - (final[:, 1] - mu2) / s2, stats.norm(0, math.sqrt(2 - 2 * rho)))):
        assert mcmc.ks_test(values, dist.cdf)[1] > FALSE_FAIL_RATE / 3


def test_hmc_final_states_pass_a_ks_test():
    potential = lambda x: (x**4 / 4 - x**2).sum(-1)  # a double well, exp(−U) normalised by quadrature
    grad = lambda x: x**3 - 2 * x
    final, rate = mcmc.hmc(potential, grad, torch.randn(3000, 1, generator=gen(7), dtype=DTYPE), 0.2, 10, 200, gen(8))
    z = integrate.quad(lambda t: math.exp(-(t**4 / 4 - t**2)), -10, 10)[0]
    cdf = np.vectorize(lambda q: integrate.quad(lambda t: math.exp(-(t**4 / 4 - t**2)) / z, -10, q)[0])
    assert mcmc.ks_test(final[:, 0], cdf)[1] > FALSE_FAIL_RATE and rate > 0.5


def test_leapfrog_preserves_volume_and_is_reversible_for_a_random_potential():
    g = gen(9)
    A = torch.randn(3, 3, generator=g, dtype=DTYPE)
    grad = lambda q: torch.tanh(q @ A) @ A.T + q  # ∇ of Σ log cosh(qA) + |q|²/2
    state = torch.randn(6, generator=g, dtype=DTYPE)
    step = lambda s: torch.cat(mcmc.leapfrog(s[:3], s[3:], 0.3, grad, 5))
    assert float(torch.linalg.det(torch.autograd.functional.jacobian(step, state))) == pytest.approx(1.0, abs=1e-12)
    q, p = mcmc.leapfrog(state[:3], state[3:], 0.3, grad, 5)
    q_back, p_back = mcmc.leapfrog(q, -p, 0.3, grad, 5)
    assert torch.allclose(q_back, state[:3], atol=1e-12) and torch.allclose(-p_back, state[3:], atol=1e-12)


# --- energy-based models and RBMs ------------------------------------------------------------------


def test_log_partition_gradient_by_finite_differences():
    logz = lambda a, b: math.log(sum(math.exp(-(a * x + b * x * x)) for x in (0, 1, 2)))
    a, b, e = 0.4, -0.3, 1e-6
    assert target_at("sampling.ebm.log-partition-gradient", a=a, b=b) == pytest.approx((logz(a + e, b) - logz(a - e, b)) / (2 * e), rel=1e-8)


def test_rbm_conditional_factorises_and_free_energy_is_exact_for_a_larger_rbm():
    machine = rbm.RBM.random(6, 9, gen(10))
    v = rbm.all_states(6)
    assert torch.allclose(machine.hidden_conditional(v), machine.hidden_conditional_brute_force(v), atol=1e-14)
    assert torch.allclose(machine.free_energy(v), machine.free_energy_brute_force(v), atol=1e-12)


def test_rbm_log_partition_gradient_is_a_model_expectation():
    machine = rbm.RBM.random(3, 2, gen(11))
    W = machine.W.clone().requires_grad_(True)
    v, h = rbm.all_states(3), rbm.all_states(2)
    energies = -(v @ machine.b)[:, None] - (h @ machine.c)[None, :] - (v @ W @ h.T)
    log_z = torch.logsumexp(-energies.reshape(-1), 0)
    (grad,) = torch.autograd.grad(log_z, W)
    p = torch.softmax(-energies.reshape(-1), 0).reshape(8, 4).detach()
    expectation = torch.einsum("vh,vi,hj->ij", p, v, h)  # E_p[−∂E/∂W] = E_p[v hᵀ]
    assert torch.allclose(grad, expectation, atol=1e-14)


def test_rbm_claims_against_enumeration_written_here():
    values = dict(v1=1, v2=0, b1=0.3, b2=-0.2, c1=0.5, c2=-1.0, w11=0.7, w12=-0.4, w21=1.1, w22=0.2)
    neg_e = lambda h1, h2: 0.3 + 0.5 * h1 - 1.0 * h2 + 0.7 * h1 - 0.4 * h2
    states = list(itertools.product((0, 1), repeat=2))
    total = sum(math.exp(neg_e(*h)) for h in states)
    assert target_at("sampling.rbm.conditional", **values) == pytest.approx(sum(math.exp(neg_e(1, h2)) for h2 in (0, 1)) / total)
    assert target_at("sampling.rbm.free-energy", **values) == pytest.approx(-math.log(total))


# --- forms and errata ----------------------------------------------------------------------------

CORRECT_FORMS = {
    "sampling.mh.acceptance-ratio": (["py*qyx/(px*qxy)", "(py/px)*(qyx/qxy)"], [r"\frac{\pi_y q_{yx}}{\pi_x q_{xy}}"]),
    "sampling.gibbs.conditional-mean": (["mu1 + rho*s1*(x2-mu2)/s2", "mu1 + rho*s1*s2*(x2-mu2)/s2**2"],
                                        [r"\mu_1 + \rho\frac{s_1}{s_2}(x_2-\mu_2)"]),
    "sampling.gibbs.conditional-variance": (["s1**2*(1-rho**2)", "s1**2 - rho**2*s1**2"], [r"s_1^2(1-\rho^2)"]),
    "sampling.mc.standard-error": (["sigma/sqrt(n)", "sqrt(sigma**2/n)"], [r"\frac{\sigma}{\sqrt{n}}"]),
    "sampling.ebm.log-partition-gradient": (
        ["-(exp(-a-b) + 2*exp(-2*a-4*b))/(1 + exp(-a-b) + exp(-2*a-4*b))", "-(1 + 2*exp(-a-3*b))/(exp(a+b) + 1 + exp(-a-3*b))"],
        [r"-\frac{e^{-a-b} + 2e^{-2a-4b}}{1+e^{-a-b}+e^{-2a-4b}}"]),
    "sampling.hmc.leapfrog-volume": (["1", "q/q"], [r"1"]),
}

MISTAKES = {
    "sampling.mh.acceptance-ratio": ["py/px"],
    "sampling.gibbs.conditional-mean": ["mu1 + rho*(x2-mu2)"],
    "sampling.gibbs.conditional-variance": ["s1**2"],
    "sampling.mc.standard-error": ["sigma/n"],
    "sampling.ebm.log-partition-gradient": ["(exp(-a-b) + 2*exp(-2*a-4*b))/(1 + exp(-a-b) + exp(-2*a-4*b))"],
    "sampling.hmc.leapfrog-volume": ["1 + eps**2*(3*q**2 + a)"],
}


@pytest.mark.parametrize("claim_id", sorted(CORRECT_FORMS))
def test_check_accepts_correct_forms_and_rejects_mistakes(claim_id):
    assert_forms(claim_id, *CORRECT_FORMS[claim_id], MISTAKES[claim_id])


@recomputes("sampling.rbm.conditional", "004", (2334, 2336))
def test_erratum_rbm_posterior_needs_no_exponential_sum():
    # p(h|v) ∝ exp(cᵀh + vᵀWh) = ∏_j exp(h_j(c_j + W_:jᵀ v)): a product over units, so each is a sigmoid
    W, c, v = np.array([[0.5, -1.0], [2.0, 0.3]]), np.array([0.1, -0.2]), np.array([1.0, 1.0])
    states = list(itertools.product((0, 1), repeat=2))
    weights = np.array([math.exp(c @ h + v @ W @ np.array(h)) for h in states])
    marginal_h1 = sum(w for w, h in zip(weights, states) if h[0] == 1) / weights.sum()
    assert marginal_h1 == pytest.approx(1 / (1 + math.exp(-(c[0] + v @ W[:, 0]))), rel=1e-14)
