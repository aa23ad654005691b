"""The diffusion specifications' checks reject their broken variants (issue 26, diffusion part).

diffusion-elbo-chain (reference_models/linear_gaussian_chain.py), denoising-score-matching
(reference_models/score_models.py), latent-diffusion (reference_models/latent_diffusion.py) and the toy
sampler check of ddpm (reference_models/ddpm.py): each correct variant passes, each broken one fails
with its statistic beyond the threshold.
"""

from __future__ import annotations

import functools

import pytest
import torch

from derivspec.app.run import run_spec
from derivspec.reference_models import ddpm
from derivspec.reference_models import latent_diffusion as ld
from derivspec.reference_models import linear_gaussian_chain as lgc
from derivspec.reference_models import score_models as sm
from derivspec.reference_models.device import make_generator

CPU = torch.device("cpu")


# --- ddpm: the toy sampler check ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def toy_model():
    model = ddpm.EpsMLP(init_seed=0, device=CPU)
    ddpm.train_ddpm(model, make_generator(10, CPU), steps=3000)
    return model


def test_toy_sampler_check_passes_and_rejects_a_flipped_eps_and_a_wrong_schedule(toy_model):
    good, _ = ddpm.toy_sampler_check(toy_model, 2000, make_generator(300, CPU), replicates=10)
    assert good.holds, good.evidence
    assert good.power.power >= 0.9 and good.test.false_fail_rate == ddpm.TOY_FALSE_FAIL_RATE
    for broken in (functools.partial(ddpm.ancestral_sample, eps_sign=-1.0),          # noise added, not removed
                   functools.partial(ddpm.ancestral_sample, beta_range=(1e-4, 0.02)),  # the T = 1000 endpoints
                   functools.partial(ddpm.ancestral_sample, beta_range=(1e-3, 0.1))):  # half the final β
        check, _ = ddpm.toy_sampler_check(toy_model, 2000, make_generator(300, CPU), sampler=broken, replicates=2)
        assert not check.holds and check.test.statistic > 3 * check.test.threshold > 3 * good.test.statistic, check.evidence


def test_mode_cell_test_keeps_its_false_fail_rate_on_the_exact_target():
    """At α = 0.05 over 200 exact-target samples the rejections are Binomial(200, 0.05): P(> 25) < 1e-3."""
    g = make_generator(11, CPU)
    rejected = sum(not ddpm.mode_cell_test(ddpm.sample_mixture(2000, g), 0.05).passed for _ in range(200))
    assert rejected <= 25


# --- diffusion-elbo-chain --------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def chain():
    return lgc.random_chain(10, make_generator(1, CPU))


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_chain_matches_monte_carlo_and_the_beta_variance_chain_does_not(chain, seed):
    alphas, params = chain
    good, _ = lgc.chain_vs_monte_carlo(alphas, params, 20_000, make_generator(seed, CPU))
    assert good.passed, good.describe()
    for variant in (lgc.BETA_VARIANCE, "unconditioned_posterior", "reversed_kl"):
        wrong, _ = lgc.chain_vs_monte_carlo(alphas, params, 20_000, make_generator(seed, CPU),
                                            chain=lambda x0, a, p, v=variant: lgc.wrong_chain_elbo(x0, a, p, v))
        assert not wrong.passed and wrong.statistic > 3 * wrong.threshold, (variant, wrong.describe())


def test_chain_equals_the_joint_gaussians_and_bounds_log_p_and_wrong_chains_do_not(chain):
    alphas, params = chain
    assert lgc.chain_vs_joint_gaussians(alphas, params) <= lgc.CHAIN_RTOL
    assert lgc.chain_vs_joint_gaussians(alphas, params, chain=lgc.beta_variance_chain) > 1e3 * lgc.CHAIN_RTOL
    holds, smallest, tight = lgc.bound_holds(lgc.bound_rows(alphas, params))
    assert holds and smallest > 0.01 and tight <= lgc.CHAIN_RTOL
    flipped = lambda x0, a, p: lgc.wrong_chain_elbo(x0, a, p, "kl_sign_flipped")  # noqa: E731
    holds, smallest, _ = lgc.bound_holds(lgc.bound_rows(alphas, params, chain=flipped))
    assert not holds and smallest < -0.1


# --- denoising-score-matching ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def models():
    data = sm.trimodal_2d(CPU)
    scores = {f"untrained {s}": sm.eps_network_score(sm.EpsMLP(T=sm.DSM_T, init_seed=s, device=CPU)) for s in (1, 2)}
    scores["zero"] = lambda xt, t: torch.zeros_like(xt)
    scores["exact, doubled"] = lambda xt, t: 2 * data.noised(float(sm.dsm_schedule(CPU)[2][t - 1])).score(xt)
    return data, scores


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_dsm_minus_esm_is_one_constant_and_broken_targets_are_rejected(models, seed):
    data, scores = models
    good, rows = sm.dsm_minus_esm(scores, data, 4000, make_generator(seed, CPU))
    assert good.passed, good.describe()
    for t in sm.DSM_TS:  # DSM − ESM of every model near the zero model's, which is C(t) = E σ²(‖target‖² − ‖s*‖²)
        constants = [c for tt, _, _, _, c, _ in rows if tt == t]
        assert max(constants) - min(constants) < 0.1 * max(1.0, abs(constants[0]))
    for target in (sm.wrong_sign_score, sm.sigma_scaled_score):
        wrong, _ = sm.dsm_minus_esm(scores, data, 4000, make_generator(seed, CPU), target=target)
        assert not wrong.passed and wrong.statistic > 3 * wrong.threshold, (target.__name__, wrong.describe())


@pytest.mark.slow
def test_networks_trained_on_broken_targets_fail_the_excess_loss_check():
    data = sm.trimodal_2d(CPU)
    good, _ = sm.excess_loss(sm.train_dsm(data, steps=1500, seed=0)[0], data, 4000, 7)
    assert good <= sm.DSM_EXCESS_TOLERANCE
    for target in (sm.wrong_sign_score, sm.sigma_scaled_score):
        worst, _ = sm.excess_loss(sm.train_dsm(data, steps=1500, seed=0, target=target)[0], data, 4000, 7)
        assert worst > 2 * sm.DSM_EXCESS_TOLERANCE, (target.__name__, worst)


# --- latent-diffusion ------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def latent():
    data = ld.embedded_data(0.05, seed=0, device=CPU)
    ae = ld.train_autoencoder(data, make_generator(1, CPU), steps=600)
    eps_model, _ = sm.train_dsm(ld.EncodedData(data, ae), steps=2000, seed=0, device=CPU)
    return data, ae, eps_model


def test_latent_diffusion_passes_and_rejects_a_skipped_decoder_and_a_wrong_schedule(latent):
    data, ae, eps_model = latent
    good = ld.decoded_sample_test(ld.generate(ae, eps_model, 300, make_generator(2, CPU)), data, make_generator(3, CPU))
    assert good.passed, good.describe()
    for kwargs in (dict(decode=ld.skip_decoder), dict(beta_range=(1e-4, 0.02))):
        samples = ld.generate(ae, eps_model, 300, make_generator(2, CPU), **kwargs)
        wrong = ld.decoded_sample_test(samples, data, make_generator(3, CPU))
        assert not wrong.passed and wrong.statistic > 3 * wrong.threshold, (kwargs, wrong.describe())


def test_the_learned_autoencoder_finds_the_data_plane(latent):
    data, ae, _ = latent
    basis = torch.linalg.qr(ae.dec.weight.to(torch.float64))[0]
    assert float(torch.linalg.svdvals(basis.T @ data.U).min()) > 0.999
    assert not any(p.requires_grad for p in ae.parameters())  # frozen before the latent diffusion trains


# --- the specifications end to end ------------------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("name", ["diffusion-elbo-chain", "denoising-score-matching", "latent-diffusion", "ddpm"])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_quick_specs_hold_for_several_seeds(name, seed, tmp_path):
    result = run_spec(name, "cpu", seed=seed, out=tmp_path, quick=True, progress=False)
    assert result.passed, [c.evidence for c in result.checks if not c.holds]
