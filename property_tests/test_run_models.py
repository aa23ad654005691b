"""``derivspec run`` for the dual encoder, flows, GMM + EM, PPCA and the samplers: each quick run holds,
and each check rejects its broken variant with its statistic beyond the threshold.

The statistical checks run at false-fail rates 1e-6 (KS, χ², z-tests, binomial) or 1e-3 (the MMD
permutation test with 999 permutations) with fixed seeds; the broken variants move their statistics
far beyond the thresholds (the margins are asserted below), so neither side is flaky."""

from __future__ import annotations

import pytest
import torch

from derivspec.app.run import run_spec
from derivspec.reference_models import dual_encoder as de
from derivspec.reference_models import flows, gmm_em, mcmc, ppca
from derivspec.reference_models.device import make_generator
from derivspec.reference_models.importance import inverted_log_weight

CPU = torch.device("cpu")
NAMES = ("dual-encoder", "flows", "gmm-em", "factor-analysis-ppca", "samplers")


def generator(seed: int) -> torch.Generator:
    return make_generator(seed, CPU)


@pytest.mark.parametrize("name", NAMES)
def test_quick_run_holds_and_records_tests(name):
    result = run_spec(name, "cpu", seed=0, quick=True, progress=False)
    assert result.passed, [c for c in result.checks if not c.holds]
    statistical = [c for c in result.checks if c.test is not None]
    assert statistical, "every specification here has a statistical check"
    for check in statistical:
        assert check.power is not None and check.power.power == 1.0, check.statement
        assert 0 < check.test.false_fail_rate <= 1e-3


# --- dual encoder -------------------------------------------------------------------------------


def test_dual_encoder_bound_rejects_the_positive_left_out_of_the_denominator():
    critic = de.optimal_critic(de.DE_RHO)
    good = de.check_bound(critic, 1000, 5, CPU, 1)
    bad = de.check_bound(critic, 1000, 5, CPU, 1, loss=de.negatives_only_rows)
    assert good.holds and good.test.statistic < 0
    assert not bad.holds and bad.test.statistic > 2 * bad.test.threshold


def test_dual_encoder_training_rejects_shuffled_pairs():
    good, _ = de.check_training(300, 500, 9, CPU, 1)
    bad, _ = de.check_training(300, 500, 9, CPU, 1, pairs=de.shuffled_pairs)
    assert good.holds
    assert not bad.holds and bad.test.statistic > 2 * bad.test.threshold


def test_dual_encoder_retrieval_rejects_a_negative_temperature():
    critic = de.optimal_critic(de.DE_RHO)
    good = de.check_retrieval(critic, 2000, 3, CPU, 1)
    bad = de.check_retrieval(critic, 2000, 3, CPU, 1, temperature=-1.0)
    assert good.holds and good.test.statistic < 1e-20
    assert not bad.holds and bad.test.statistic > 0.99  # far fewer hits than chance: p-value ≈ 1


# --- flows --------------------------------------------------------------------------------------


def test_change_of_variables_rejects_the_wrong_sign_of_the_log_det():
    good = flows.change_of_variables_errors(seed=3, device=CPU)
    bad = flows.change_of_variables_errors(seed=3, device=CPU, realnvp_inverse=flows.wrong_sign_inverse(flows.RealNVP.inverse),
                                           maf_inverse=flows.wrong_sign_inverse(flows.MAF.inverse))
    assert max(good.values()) <= flows.FLOW_IDENTITY_TOL
    assert bad["coupling log p"] > 0.1 and bad["autoregressive log p"] > 0.1


def test_change_of_variables_rejects_a_non_invertible_coupling(monkeypatch):
    """The conditioner reads the half it transforms: no longer triangular, the coupling inverse fails."""
    def forward(self, z):
        s, t = self.scale_shift(z)
        return z * torch.exp(s) + t, s.sum(-1)

    monkeypatch.setattr(flows.AffineCoupling, "forward", forward)
    bad = flows.change_of_variables_errors(seed=3, device=CPU)
    assert bad["coupling round trip"] > 1e-3 > flows.FLOW_IDENTITY_TOL


def test_composition_rejects_inverting_f1_first():
    assert flows.composition_error(seed=2, device=CPU) <= flows.FLOW_IDENTITY_TOL
    assert flows.composition_error(seed=2, device=CPU, order="wrong") > 1.0


@pytest.mark.parametrize("seed", [21, 22, 23])
def test_pushforward_ks_rejects_the_layers_in_the_wrong_order(seed):
    good = flows.pushforward_ks(20_000, seed, CPU)
    bad = flows.pushforward_ks(20_000, seed, CPU, order="wrong")
    assert good.passed
    assert not bad.passed and bad.statistic > 2 * bad.threshold


def test_coupling_density_chi2_rejects_the_wrong_sign_of_the_log_det():
    good = flows.coupling_density_chi2(50_000, 31, CPU)
    bad = flows.coupling_density_chi2(50_000, 31, CPU, log_prob=flows.wrong_sign_log_prob)
    assert good.passed
    assert not bad.passed and bad.statistic > 10 * bad.threshold


# --- GMM + EM -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def gmm_data():
    true = gmm_em.mixture(**gmm_em.GMM_TRUE, device=CPU)
    x, _ = gmm_em.sample(true, 1500, generator(4))
    return true, x


def test_em_monotone_rejects_unnormalised_responsibilities(gmm_data):
    _, x = gmm_data
    good, drop, fitted = gmm_em.check_em_monotone(x)
    bad, bad_drop, _ = gmm_em.check_em_monotone(x, e_step=gmm_em.unnormalised_e_step)
    assert good.holds and drop <= gmm_em.GMM_MONOTONE_TOL
    assert not bad.holds and bad_drop > 1e6 * gmm_em.GMM_MONOTONE_TOL
    check, moved, rows_off = gmm_em.check_fixed_point(x, fitted)
    assert check.holds
    check, moved, rows_off = gmm_em.check_fixed_point(x, fitted, e_step=gmm_em.unnormalised_e_step)
    assert not check.holds and rows_off > 0.5 and moved > 1e-3


def test_recovered_means_reject_a_shifted_mean(gmm_data):
    true, x = gmm_data
    _, _, fitted = gmm_em.check_em_monotone(x)
    assert gmm_em.means_z_test(fitted, true, 1500).passed
    bad = gmm_em.means_z_test(fitted, true, 1500, shift=0.5)
    assert not bad.passed and bad.statistic > 1.5 * bad.threshold


@pytest.mark.parametrize("seed", [41, 42])
def test_mmd_rejects_a_mis_weighted_mixture(gmm_data, seed):
    true, x = gmm_data
    _, _, fitted = gmm_em.check_em_monotone(x)
    good = gmm_em.samples_mmd(fitted, true, 200, generator(seed))
    bad = gmm_em.samples_mmd(gmm_em.misweighted(fitted, true), true, 200, generator(seed))
    assert good.passed
    assert not bad.passed and bad.statistic > 2 * bad.threshold


@pytest.mark.parametrize("sizes", [(300, 300), (7, 12), (40, 25)])
def test_permuted_mmd2_is_the_statistic_of_each_permuted_kernel_matrix(sizes):
    """mmd_test's permutation statistics come from two matrix products per batch of permutations, not from the
    permuted matrices: the same values (to rounding) as _mmd2 of k[order][:, order], over several batches."""
    from derivspec.reference_models import fit_tests

    m, n = sizes
    g = generator(7)
    pooled = torch.cat([torch.randn(m, 3, generator=g, dtype=torch.float64),
                        torch.randn(n, 3, generator=g, dtype=torch.float64) + 0.2])
    k = torch.exp(-torch.cdist(pooled, pooled).pow(2) / 2)
    orders = torch.stack([torch.randperm(m + n, generator=g) for _ in range(fit_tests.PERMUTATION_BATCH + 5)])
    batched = fit_tests._permuted_mmd2(k, m, orders)
    one_by_one = [float(fit_tests._mmd2(k[order][:, order], m)) for order in orders]
    assert len(batched) == len(orders)
    assert batched == pytest.approx(one_by_one, rel=1e-9, abs=1e-13)


# --- PPCA ---------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def ppca_data():
    W, b, psi = ppca.true_ppca(CPU, generator(0))
    train, _ = ppca.sample(100_000, W, b, psi, generator(51))
    test, _ = ppca.sample(4_000, W, b, psi, generator(52))
    return train, test


def test_closed_form_vs_em_rejects_the_wrong_noise_and_loadings(ppca_data):
    train, _ = ppca_data
    S = torch.cov(train.T, correction=0)
    good = ppca.closed_form_vs_em(S)
    assert good["sigma2"] <= ppca.PPCA_TOL and good["WWt"] <= ppca.PPCA_TOL
    assert ppca.closed_form_vs_em(S, noise_variance=ppca.sigma2_from_all_eigenvalues)["sigma2"] > 0.1
    assert ppca.closed_form_vs_em(S, loadings=ppca.loadings_without_noise)["WWt"] > 0.1


@pytest.mark.parametrize("broken", [dict(loadings=ppca.loadings_without_noise),
                                    dict(noise_variance=ppca.sigma2_from_all_eigenvalues)])
def test_marginal_ks_rejects_the_wrong_covariance(ppca_data, broken):
    train, test = ppca_data
    assert ppca.marginal_ks(train, test).passed
    bad = ppca.marginal_ks(train, test, **broken)
    assert not bad.passed and bad.statistic > 1.2 * bad.threshold


@pytest.mark.parametrize("seed", [61, 62])
def test_posterior_ks_rejects_the_posterior_without_the_prior(seed):
    assert ppca.posterior_ks(4000, generator(seed), CPU).passed
    bad = ppca.posterior_ks(4000, generator(seed), CPU, prior_precision=0.0)
    assert not bad.passed and bad.statistic > 2 * bad.threshold


# --- samplers -----------------------------------------------------------------------------------


def test_sampler_target_is_the_mixture_and_its_score_the_gradient():
    x = torch.linspace(-4, 4, 41, dtype=torch.float64).reshape(1, 41).repeat(2, 1)  # any shape
    mixture = torch.distributions.MixtureSameFamily(
        torch.distributions.Categorical(torch.tensor(mcmc.SAMPLER_WEIGHTS, dtype=torch.float64)),
        torch.distributions.Normal(torch.tensor(mcmc.SAMPLER_MEANS, dtype=torch.float64),
                                   torch.tensor(mcmc.SAMPLER_SDS, dtype=torch.float64)))
    torch.testing.assert_close(mcmc.sampler_log_density(x), mixture.log_prob(x), rtol=1e-13, atol=1e-13)
    point = x.clone().requires_grad_(True)
    (gradient,) = torch.autograd.grad(mixture.log_prob(point).sum(), point)
    torch.testing.assert_close(mcmc.sampler_score(x), gradient, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("seed", [71, 72])
def test_mh_rejects_the_missing_proposal_correction(seed):
    assert mcmc.mh_ks(4000, 200, generator(seed), CPU).passed
    bad = mcmc.mh_ks(4000, 200, generator(seed), CPU, log_ratio=mcmc.metropolis_log_ratio_only)
    assert not bad.passed and bad.statistic > 1.5 * bad.threshold


def test_langevin_rejects_the_wrong_sign_of_the_score():
    assert mcmc.langevin_ks(4000, 1500, generator(81), CPU).passed
    bad = mcmc.langevin_ks(4000, 1500, generator(81), CPU, score=lambda x: -mcmc.sampler_score(x))
    assert not bad.passed and bad.statistic > 5 * bad.threshold


@pytest.mark.parametrize("seed", [91, 92, 93])
def test_importance_sampling_rejects_inverted_weights(seed):
    assert mcmc.importance_z_test(20_000, generator(seed), CPU).passed
    bad = mcmc.importance_z_test(20_000, generator(seed), CPU, log_weight=inverted_log_weight)
    assert not bad.passed and bad.statistic > 10 * bad.threshold


@pytest.mark.slow
@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize("name", NAMES)
def test_quick_runs_hold_over_seeds(name, seed):
    assert run_spec(name, "cpu", seed=seed, quick=True, progress=False).passed
