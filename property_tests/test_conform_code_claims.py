"""Claims real code needs (issue 87, item 7), checked through ``conform`` as their users would: for each new claim a
right implementation, written the way RL and diffusion code writes it (torch or NumPy, float64), conforms, and one
written with a plausible slip fails with that slip named. The implementations are written for this test (in the
style of SpinningUp's SAC, diffusers' schedulers and training scripts, score_sde's losses and TRL's KL penalties),
not copied from those projects."""

from __future__ import annotations

import math

import numpy as np
import pytest

from derivspec.testing import NonConformance, conforms

torch = pytest.importorskip("torch")
F = torch.nn.functional
Normal = torch.distributions.Normal

EXAMPLES = 30


def slip_of(claim_id, fn, **options):
    """The slip ``conforms`` names for ``fn`` (it must fail)."""
    with pytest.raises(NonConformance) as caught:
        conforms(claim_id, fn, max_examples=EXAMPLES, **options)
    return caught.value.slip


# --- SAC's tanh-squashed Gaussian, any number of action dimensions --------------------------------

def sac_log_prob(u, mu, sigma):
    """The pre-tanh sample u; the Jacobian term in the stable softplus form (SpinningUp's SAC)."""
    log_prob = Normal(mu, sigma).log_prob(u).sum(-1)
    return log_prob - (2 * (math.log(2) - u - F.softplus(-2 * u))).sum(-1)


def sac_log_prob_one_minus_a(u, mu, sigma):
    a = torch.tanh(u)
    return (Normal(mu, sigma).log_prob(u) - torch.log(1 - a)).sum(-1)


def sac_log_prob_naive(u, mu, sigma):
    a = torch.tanh(u)
    return (Normal(mu, sigma).log_prob(u) - torch.log(1 - a.pow(2))).sum(-1)


def test_sac_log_prob():
    report = conforms("flow.tanh-gaussian.log-prob", sac_log_prob, max_examples=EXAMPLES)
    assert report.conforms and len(report.sizes["D"]) > 1
    assert slip_of("flow.tanh-gaussian.log-prob", sac_log_prob_one_minus_a) == "log(1 - a) in place of log(1 - a^2)"


def test_the_naive_jacobian_is_numerically_unstable_not_a_wrong_formula():
    """log(1 − tanh² u) written as it reads overflows to −inf for |u| beyond about 19: conform says so."""
    with pytest.raises(NonConformance) as caught:
        conforms("flow.tanh-gaussian.log-prob", sac_log_prob_naive, max_examples=EXAMPLES)
    assert caught.value.slip is None and "numerically unstable" in str(caught.value)


# --- the entropy of a diagonal Gaussian policy ----------------------------------------------------

def policy_entropy(sigma):
    return Normal(torch.zeros_like(sigma), sigma).entropy().sum(-1)


def policy_entropy_from_log_std(log_std):
    return (0.5 + 0.5 * math.log(2 * math.pi) + log_std).sum(-1)


def policy_entropy_averaged(sigma):
    return Normal(torch.zeros_like(sigma), sigma).entropy().mean(-1)


def test_diagonal_gaussian_entropy():
    assert conforms("estimation.gaussian.entropy-diagonal", policy_entropy, max_examples=EXAMPLES).conforms
    assert conforms("estimation.gaussian.entropy-diagonal", policy_entropy_from_log_std,
                    args={"log_std": "[log(sigma1), log(sigma2)]"}, max_examples=EXAMPLES).conforms
    assert slip_of("estimation.gaussian.entropy-diagonal", policy_entropy_averaged) == "averaged over dimensions, not summed"


# --- diffusion: add_noise, compute_snr and the min-SNR weight on a schedule, the DDIM step ------------------

def add_noise(original_samples, noise, timesteps, betas):
    alphas_cumprod = np.cumprod(1.0 - betas)
    return np.sqrt(alphas_cumprod[timesteps]) * original_samples + np.sqrt(1.0 - alphas_cumprod[timesteps]) * noise


def add_noise_one_step_alphas(original_samples, noise, timesteps, betas):
    alphas = 1.0 - betas
    return np.sqrt(alphas[timesteps]) * original_samples + np.sqrt(1.0 - alphas[timesteps]) * noise


NOISING = {"original_samples": "x0", "noise": "eps", "timesteps": "t"}


def test_add_noise_on_a_schedule():
    report = conforms("ddpm.forward.add-noise", add_noise, schedule="linear", args=NOISING, max_examples=EXAMPLES)
    assert report.conforms
    assert slip_of("ddpm.forward.add-noise", add_noise_one_step_alphas, schedule="linear", args=NOISING) == \
        "alpha_t in place of alpha_bar_t (the one-step coefficients)"


def compute_snr(timesteps, betas):
    alphas_cumprod = torch.cumprod(1.0 - betas, dim=0)
    alpha, sigma = alphas_cumprod[timesteps] ** 0.5, (1.0 - alphas_cumprod[timesteps]) ** 0.5
    return (alpha / sigma) ** 2


def compute_snr_not_squared(timesteps, betas):
    alphas_cumprod = torch.cumprod(1.0 - betas, dim=0)
    return alphas_cumprod[timesteps] ** 0.5 / (1.0 - alphas_cumprod[timesteps]) ** 0.5


def min_snr_weight(timesteps, betas, snr_gamma):
    """The loss weight of an ε-prediction network, as a training script writes it."""
    snr = compute_snr(timesteps, betas)
    return torch.stack([snr, snr_gamma * torch.ones_like(snr)], dim=1).min(dim=1)[0] / snr


def min_snr_weight_x0_form(timesteps, betas, snr_gamma):
    snr = compute_snr(timesteps, betas)
    return torch.minimum(snr, snr_gamma * torch.ones_like(snr))


def test_snr_and_the_min_snr_weight_on_a_schedule():
    assert conforms("ddpm.snr", compute_snr, schedule="cosine", args={"timesteps": "t"}, max_examples=EXAMPLES).conforms
    assert slip_of("ddpm.snr", compute_snr_not_squared, schedule="cosine", args={"timesteps": "t"}) == \
        "the ratio of standard deviations sqrt(alpha_bar_t)/sqrt(1 - alpha_bar_t), not squared"
    weights = {"timesteps": "t", "snr_gamma": "gamma"}
    assert conforms("ddpm.loss.min-snr", min_snr_weight, schedule="linear", args=weights, max_examples=EXAMPLES).conforms
    assert slip_of("ddpm.loss.min-snr", min_snr_weight_x0_form, schedule="linear", args=weights) == \
        "min(SNR, gamma) without /SNR (the x0-prediction weight used on the epsilon-MSE)"


def ddim_step_mean(sample, model_output, eta, alpha_prod_t, alpha_prod_t_prev):
    """The DDIM update before its noise is added, as a scheduler's step computes it (ε-prediction)."""
    beta_prod_t = 1 - alpha_prod_t
    pred_original_sample = (sample - beta_prod_t ** 0.5 * model_output) / alpha_prod_t ** 0.5
    variance = (1 - alpha_prod_t_prev) / (1 - alpha_prod_t) * (1 - alpha_prod_t / alpha_prod_t_prev)
    std_dev_t = eta * variance ** 0.5
    pred_sample_direction = (1 - alpha_prod_t_prev - std_dev_t ** 2) ** 0.5 * model_output
    return alpha_prod_t_prev ** 0.5 * pred_original_sample + pred_sample_direction


def ddim_step_mean_full_direction(sample, model_output, eta, alpha_prod_t, alpha_prod_t_prev):
    pred_original_sample = (sample - (1 - alpha_prod_t) ** 0.5 * model_output) / alpha_prod_t ** 0.5
    return alpha_prod_t_prev ** 0.5 * pred_original_sample + (1 - alpha_prod_t_prev) ** 0.5 * model_output


DDIM = {"sample": "xt", "model_output": "eps", "alpha_prod_t": "alpha_t*alpha_bar_prev", "alpha_prod_t_prev": "alpha_bar_prev"}


def test_the_ddim_step_mean():
    assert conforms("ddpm.ddim.mean", ddim_step_mean, args=DDIM, max_examples=EXAMPLES).conforms
    assert slip_of("ddpm.ddim.mean", ddim_step_mean_full_direction, args=DDIM) == \
        "sigma_t^2 omitted under the root: sqrt(1 - alpha_bar_{t-1}) eps (the eta = 0 direction at every eta)"


# --- score models: the VE-SDE's marginal and the sigma^2-weighted DSM loss -------------------------

def ve_marginal_variance(t, sigma_min, sigma_max):
    return sigma_min ** 2 * ((sigma_max / sigma_min) ** (2 * t) - 1)


def ve_marginal_std_squared(t, sigma_min, sigma_max):
    """The perturbation kernel's std as score_sde's VESDE.marginal_prob returns it, squared."""
    std = sigma_min * (sigma_max / sigma_min) ** t
    return std ** 2


def test_the_ve_marginal_variance():
    assert conforms("score.sde.ve-marginal", ve_marginal_variance, max_examples=EXAMPLES).conforms
    assert slip_of("score.sde.ve-marginal", ve_marginal_std_squared) == \
        "sigma^2(t) without - sigma^2(0) (score_sde's marginal_prob std sigma(t): right only as sigma_min -> 0)"


def dsm_loss(score, z, std):
    """One example's loss summed over its dimensions, λ(σ) = σ² folded in (score_sde's form)."""
    std = torch.as_tensor(std)[..., None]
    return torch.sum((score * std + z) ** 2, dim=-1)


def dsm_loss_unweighted(score, z, std):
    std = torch.as_tensor(std)[..., None]
    return torch.sum((score + z / std) ** 2, dim=-1)


DSM = {"score": "[s1, s2]", "z": "[z1, z2]", "std": "sigma"}


def test_the_sigma_squared_weighted_dsm_loss():
    report = conforms("score.dsm.loss", dsm_loss, args=DSM, max_examples=EXAMPLES)
    assert report.conforms and len(report.sizes["D"]) > 1
    assert slip_of("score.dsm.loss", dsm_loss_unweighted, args=DSM) == \
        "the weighting lambda(sigma) = sigma^2 missing: ||s + z/sigma||^2"


# --- KL penalties per token: samples from the policy q, p the reference model ------------------------

KL_ARGS = {"per_token_logps": "logq", "ref_per_token_logps": "logp"}


def kl_k1(per_token_logps, ref_per_token_logps):
    return per_token_logps - ref_per_token_logps


def kl_k1_reversed(per_token_logps, ref_per_token_logps):
    return ref_per_token_logps - per_token_logps


def kl_k2(per_token_logps, ref_per_token_logps):
    return 0.5 * (ref_per_token_logps - per_token_logps) ** 2


def kl_k2_without_half(per_token_logps, ref_per_token_logps):
    return (ref_per_token_logps - per_token_logps) ** 2


def kl_k3(per_token_logps, ref_per_token_logps):
    log_ratio = ref_per_token_logps - per_token_logps
    return torch.exp(log_ratio) - log_ratio - 1


def kl_k3_inverted(per_token_logps, ref_per_token_logps):
    log_ratio = per_token_logps - ref_per_token_logps
    return torch.exp(log_ratio) - log_ratio - 1


@pytest.mark.parametrize("claim_id, right, wrong, slip", [
    ("kl.estimator.k1", kl_k1, kl_k1_reversed, "sign flipped: log r = log p(x) - log q(x) (an estimate of -KL)"),
    ("kl.estimator.k2", kl_k2, kl_k2_without_half, "without the 1/2: (log r)^2 (twice KL to second order)"),
    ("kl.estimator.k3", kl_k3, kl_k3_inverted, "ratio inverted: r = q/p, (q/p - 1) - log(q/p)"),
])
def test_per_token_kl_estimators(claim_id, right, wrong, slip):
    assert conforms(claim_id, right, args=KL_ARGS, max_examples=EXAMPLES).conforms
    assert slip_of(claim_id, wrong, args=KL_ARGS) == slip
