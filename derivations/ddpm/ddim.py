r"""DDIM: the non-Markovian kernels q_σ(x_{t−1} | x_t, x_0), the η-family of variances, the shared marginals.

Song et al. (2021a, eqs. 7, 12, 16): for any σ_t² ≤ 1 − ᾱ_{t−1},

.. math::  q_\sigma(x_{t-1}\mid x_t, x_0) = \mathcal N\Big(\sqrt{\bar\alpha_{t-1}}x_0
           + \sqrt{1-\bar\alpha_{t-1}-\sigma_t^2}\,\frac{x_t - \sqrt{\bar\alpha_t}x_0}{\sqrt{1-\bar\alpha_t}},\ \sigma_t^2\Big),

and the sampler replaces x_0 by x̂_0(x_t, ε_θ) (claim ddpm.parameterisation.x0-from-eps), so
(x_t − √ᾱ_t x̂_0)/√(1 − ᾱ_t) = ε_θ. Derived here:

* the kernel's mean is the DDPM posterior mean μ̃_t exactly when σ_t² = β̃_t (η = 1);
* σ_t(η) = η √((1 − ᾱ_{t−1})/(1 − ᾱ_t)) √(1 − ᾱ_t/ᾱ_{t−1}) = η √β̃_t: η = 0 is deterministic;
* whatever σ_t (every η), x_{t−1} | x_0 has variance 1 − ᾱ_{t−1}: the kernels keep the marginals
  q(x_{t−1} | x_0) of DDPM, which is why a model trained for DDPM samples with DDIM without retraining;
* the update's mean for any η (``ddpm.ddim.mean``, eq. 12): √ᾱ_{t−1} x̂_0 + √(1 − ᾱ_{t−1} − σ_t²) ε_θ, what a
  sampler's step computes before it adds σ_t z (the variable ``eps`` is the network's ε_θ); at η = 1 it is
  DDPM's posterior mean in the ε form (claim ddpm.posterior.mean-eps), at η = 0 the deterministic DDIM step
  (property_tests/test_ddpm_code.py checks both).

The samplers (η sweep, step-count sweep, determinism and inversion at η = 0, the DDPM ancestral sampler)
run in ``reference_models/samplers.py`` with the exact noisy scores of a Gaussian mixture, checked by
goodness-of-fit tests at a stated false-fail rate (behaviour sources below).

Seeds: 004 L3394–3401, L3407–3428, L3459–3462, L3496–3504; 002 L525–530.
"""

from __future__ import annotations

import sympy
from sympy import sqrt

from derivspec.core import Claim, Domain, Source, Step, Var, WrongVariant, claim, target_of
from derivspec.core.lectures import S002, S004
from derivspec.derivations.ddpm.forward import (ALPHA_BAR_PREV, ALPHA_T, DEFINED, EPS, XT, alpha_bar_prev, alpha_bar_t, alpha_t,
                                                beta_t, eps, x0, xt)

ETA = Var("eta", r"\eta", Domain("in [0, 1)", {"nonnegative": True}, high=1.0, sample_low=0.0, sample_high=1.0))
eta = ETA.symbol
sigma_sq = sympy.Symbol("sigma_sq", positive=True)  # σ_t², the DDIM kernel's variance
e, z = sympy.symbols("e z", real=True)             # the independent standard-normal noises ε (in x_t) and z (added)


def tilde_beta() -> sympy.Expr:
    """β̃_t = (1 − ᾱ_{t−1})β_t/(1 − ᾱ_t) (claim ddpm.posterior.variance)."""
    return (1 - alpha_bar_prev) * beta_t / (1 - alpha_bar_t)


@claim("ddpm.ddim.eta-one")
def ddpm_ddim_eta_one() -> Claim:
    r"""The σ_t² at which the DDIM kernel's mean is the DDPM posterior mean: β̃_t."""
    return Claim(
        title="DDIM at η = 1 is DDPM: the kernel q_σ(x_{t−1}|x_t,x₀) has the posterior mean μ̃_t iff σ_t² = β̃_t",
        statement=r"\sigma_t^2\ \text{with}\ \sqrt{1-\bar\alpha_{t-1}-\sigma_t^2}/\sqrt{1-\bar\alpha_t} = "
                  r"\sqrt{\alpha_t}(1-\bar\alpha_{t-1})/(1-\bar\alpha_t)",
        variables=(ALPHA_T, ALPHA_BAR_PREV),
        defined=DEFINED,
        derivation=(
            Step(r"definition: the coefficient of x_t in the DDIM mean, \sqrt{1-\bar\alpha_{t-1}-\sigma_t^2}/\sqrt{1-\bar\alpha_t}, "
                 r"must equal that of \tilde\mu_t, \sqrt{\alpha_t}(1-\bar\alpha_{t-1})/(1-\bar\alpha_t) (claim ddpm.posterior.mean); "
                 r"squared: (1-\bar\alpha_{t-1}-\sigma_t^2)/(1-\bar\alpha_t) - \alpha_t(1-\bar\alpha_{t-1})^2/(1-\bar\alpha_t)^2 = 0",
                 (1 - alpha_bar_prev - sigma_sq) / (1 - alpha_bar_t) - alpha_t * (1 - alpha_bar_prev) ** 2 / (1 - alpha_bar_t) ** 2),
            Step(r"solve for \sigma_t^2: (1-\bar\alpha_{t-1})(1 - \bar\alpha_t - \alpha_t + \alpha_t\bar\alpha_{t-1})/(1-\bar\alpha_t)",
                 (1 - alpha_bar_prev) * (1 - alpha_bar_t - alpha_t + alpha_t * alpha_bar_prev) / (1 - alpha_bar_t),
                 op=lambda f: sympy.solve(f, sigma_sq)[0]),
            Step(r"= (1-\bar\alpha_{t-1})\beta_t/(1-\bar\alpha_t) = \tilde\beta_t (then the x_0 coefficients agree as well: "
                 r"\sqrt{\bar\alpha_{t-1}}\beta_t/(1-\bar\alpha_t))", tilde_beta()),
        ),
        wrong_variants=(
            WrongVariant("the forward step variance beta_t (DDPM's other choice, not DDIM at eta = 1)", beta_t),
            WrongVariant("ratio inverted: (1 - alpha_bar_t) beta_t / (1 - alpha_bar_{t-1})", (1 - alpha_bar_t) * beta_t / (1 - alpha_bar_prev)),
            WrongVariant("1 - alpha_bar_{t-1} (all the noise of step t-1)", 1 - alpha_bar_prev),
        ),
    )


@claim("ddpm.ddim.sigma")
def ddpm_ddim_sigma() -> Claim:
    r"""σ_t(η) = η √((1 − ᾱ_{t−1})/(1 − ᾱ_t)) √(1 − ᾱ_t/ᾱ_{t−1})."""
    return Claim(
        title="DDIM's σ_t(η) = η √((1 − ᾱ_{t−1})/(1 − ᾱ_t)) √(1 − ᾱ_t/ᾱ_{t−1}) = η √β̃_t (Song et al. eq. 16)",
        statement=r"\sigma_t(\eta),\ \sigma_t^2 = \eta^2\tilde\beta_t",
        variables=(ETA, ALPHA_T, ALPHA_BAR_PREV),
        defined=DEFINED,
        derivation=(
            Step(r"definition: \eta interpolates the variance between deterministic DDIM (\eta = 0) and DDPM (\eta = 1, "
                 r"claim ddpm.ddim.eta-one): \sigma_t^2 = \eta^2\tilde\beta_t", eta**2 * target_of("ddpm.ddim.eta-one")),
            Step(r"square root (\eta \ge 0)", eta * sqrt((1 - alpha_bar_prev) * beta_t / (1 - alpha_bar_t)), op=sqrt),
            Step(r"with \beta_t = 1 - \alpha_t = 1 - \bar\alpha_t/\bar\alpha_{t-1}: "
                 r"\eta\sqrt{(1-\bar\alpha_{t-1})/(1-\bar\alpha_t)}\sqrt{1-\bar\alpha_t/\bar\alpha_{t-1}}",
                 eta * sqrt((1 - alpha_bar_prev) / (1 - alpha_bar_t)) * sqrt(1 - alpha_bar_t / alpha_bar_prev)),
        ),
        wrong_variants=(
            WrongVariant("ratio inverted: sqrt((1 - alpha_bar_t)/(1 - alpha_bar_{t-1}))",
                         eta * sqrt((1 - alpha_bar_t) / (1 - alpha_bar_prev)) * sqrt(1 - alpha_bar_t / alpha_bar_prev)),
            WrongVariant("eta squared in sigma_t", eta**2 * sqrt((1 - alpha_bar_prev) / (1 - alpha_bar_t)) * sqrt(1 - alpha_bar_t / alpha_bar_prev)),
            WrongVariant("second square root missing",
                         eta * sqrt((1 - alpha_bar_prev) / (1 - alpha_bar_t)) * (1 - alpha_bar_t / alpha_bar_prev)),
        ),
    )


def ddim_noise_part() -> sympy.Expr:
    """x_{t−1} − √ᾱ_{t−1}x_0 under the DDIM kernel at x_t ~ q(x_t|x_0): √(1 − ᾱ_{t−1} − σ²) ε + σ z, σ² = η²β̃_t."""
    sigma2 = eta**2 * tilde_beta()
    return sqrt(1 - alpha_bar_prev - sigma2) * e + sqrt(sigma2) * z


@claim("ddpm.ddim.marginal")
def ddpm_ddim_marginal() -> Claim:
    r"""Var[x_{t−1} | x_0] = 1 − ᾱ_{t−1} under the DDIM kernel, for every η."""
    sigma2 = eta**2 * tilde_beta()
    return Claim(
        title="DDIM keeps DDPM's marginals: Var[x_{t−1} | x₀] = 1 − ᾱ_{t−1} for every η (mean √ᾱ_{t−1} x₀)",
        statement=r"\mathrm{Var}[x_{t-1}\mid x_0],\ x_t\sim q(x_t\mid x_0),\ x_{t-1}\sim q_{\sigma(\eta)}(x_{t-1}\mid x_t,x_0)",
        variables=(ETA, ALPHA_T, ALPHA_BAR_PREV),
        defined=DEFINED,
        derivation=(
            Step(r"definition: x_t = \sqrt{\bar\alpha_t}x_0 + \sqrt{1-\bar\alpha_t}\epsilon, so (x_t - \sqrt{\bar\alpha_t}x_0)/"
                 r"\sqrt{1-\bar\alpha_t} = \epsilon, and the DDIM step x_{t-1} = \sqrt{\bar\alpha_{t-1}}x_0 + "
                 r"\sqrt{1-\bar\alpha_{t-1}-\sigma_t^2}\,\epsilon + \sigma_t z with z independent: x_{t-1} - \sqrt{\bar\alpha_{t-1}}x_0",
                 ddim_noise_part()),
            Step(r"variance: the sum of the squared coefficients of the independent unit-variance noises",
                 (1 - alpha_bar_prev - sigma2) + sigma2, op=lambda f: f.diff(e) ** 2 + f.diff(z) ** 2),
            Step(r"\sigma_t^2 cancels: 1 - \bar\alpha_{t-1}, the variance of q(x_{t-1}\mid x_0) (claim ddpm.marginal.variance)",
                 1 - alpha_bar_prev),
        ),
        wrong_variants=(
            WrongVariant("noise added on top of the full sqrt(1 - alpha_bar_{t-1}) epsilon (sigma^2 not subtracted)",
                         1 - alpha_bar_prev + sigma2),
            WrongVariant("the variance at step t, 1 - alpha_bar_t", 1 - alpha_bar_t),
            WrongVariant("deterministic part only (the eta = 0 variance for every eta)", 1 - alpha_bar_prev - sigma2),
        ),
        sources=(
            Source(S004, "3428", r"DDIM: deterministic sampling, fewer steps",
                   behaviour="ddim_is_deterministic_at_eta_zero", at={"steps": 50}),
            Source(S004, "3458–3461", r"DDIM (Denoising Diffusion Implicit Models); Non-Markovian sampling process enables deterministic generation; Fast sampling (10-50 steps instead of 1000) without retraining",
                   behaviour="ddim_few_steps_without_retraining", at={"steps": 50}),
            Source(S004, "3411", r"Trade quality for speed (fast samplers: DDIM, 50 steps)",
                   behaviour="ddim_few_steps_without_retraining", at={"steps": 50}),
            Source(S004, "3504", r"Can invert via DDIM (deterministic path)",
                   behaviour="ddim_inverts_at_eta_zero", at={"steps": 100}),
            Source(S004, "3429–3431", r"Fast samplers: distillation, consistency models; Score-based continuous: replace discrete steps with SDEs; Latent diffusion: diffuse in latent space (smaller dimension)",
                   nothing_to_compare=True, note="a list of remedies; the SDE/ODE samplers are checked with claims score.sde.*, latent diffusion with "
                        "score.latent.*"),
            Source(S004, "3462", r"Interpolation and manipulation in latent space",
                   nothing_to_compare=True, note="an application of the deterministic η = 0 map (checked at L3504: inversion)"),
            Source(S004, "3396–3401", r"Sample \mathbf{x}_T \sim \mathcal{N}(\mathbf{0}, \mathbf{I}); For t = T to 1: Predict noise: \hat{\boldsymbol{\epsilon}} = \boldsymbol{\epsilon}_\theta(\mathbf{x}_t, t); Compute mean: \boldsymbol{\mu}_\theta; Sample: \mathbf{x}_{t-1} = \boldsymbol{\mu}_\theta + \sigma_t \mathbf{z}; Return \mathbf{x}_0",
                   behaviour="ancestral_sampler_reproduces_data", at={"T": 1000}),
            Source(S002, "528–530", r"Inference: We sample noise z_T \sim \mathcal{N}(0, I). We iteratively remove noise using the predicted \mu_\theta.",
                   behaviour="ancestral_sampler_reproduces_data", at={"T": 1000}),
            Source(S004, "3422", r"More steps (larger T) \rightarrow better samples but slower",
                   behaviour="more_steps_better_samples", at={"n": 2000}),
            Source(S004, "3407–3410", r"Need T steps (typically T = 1000); Each step: full network forward pass; vs GAN/VAE/Flow: 1 forward pass; 1000× slower generation!",
                   note="not compared: a cost count (one network pass per step, as the sampler at L3396–3401 is written); no "
                        "check counts passes; the passes DDIM saves are measured at L3461"),
            Source(S004, "3496–3498", r"Slow: T forward passes (typically 1000); Fast samplers help but still \gg 1 pass",
                   note="a cost count, as stated"),
        ),
    )


def ddim_kernel_mean(noise_variance, at_x0=x0) -> sympy.Expr:
    """√ᾱ_{t−1} x_0 + √(1 − ᾱ_{t−1} − σ²)(x_t − √ᾱ_t x_0)/√(1 − ᾱ_t): the mean of q_σ (Song et al. eq. 7)."""
    return (sqrt(alpha_bar_prev) * at_x0
            + sqrt(1 - alpha_bar_prev - noise_variance) * (xt - sqrt(alpha_bar_t) * at_x0) / sqrt(1 - alpha_bar_t))


def ddim_update_mean(noise_variance, signal=alpha_bar_prev) -> sympy.Expr:
    """√ᾱ_{t−1} x̂_0 + √(1 − ᾱ_{t−1} − σ²) ε_θ, x̂_0 = (x_t − √(1 − ᾱ_t) ε_θ)/√ᾱ_t, as code writes it (``signal``: the
    ᾱ used in place of ᾱ_{t−1}, for the wrong variants)."""
    x0_hat = (xt - sqrt(1 - alpha_bar_t) * eps) / sqrt(alpha_bar_t)
    return sqrt(signal) * x0_hat + sqrt(1 - signal - noise_variance) * eps


def eta_sigma_squared(ratio_inverted: bool = False) -> sympy.Expr:
    """σ_t² = η²(1 − ᾱ_{t−1})/(1 − ᾱ_t)·(1 − ᾱ_t/ᾱ_{t−1}) (claim ddpm.ddim.sigma, squared), or with the ratio inverted."""
    ratio = (1 - alpha_bar_t) / (1 - alpha_bar_prev) if ratio_inverted else (1 - alpha_bar_prev) / (1 - alpha_bar_t)
    return eta**2 * ratio * (1 - alpha_bar_t / alpha_bar_prev)


@claim("ddpm.ddim.mean")
def ddpm_ddim_mean() -> Claim:
    r"""The DDIM update's mean for any η: √ᾱ_{t−1} x̂_0 + √(1 − ᾱ_{t−1} − σ_t²) ε_θ, σ_t = η√β̃_t (Song et al. eq. 12)."""
    return Claim(
        title="DDIM update mean for any η: x_{t−1} = √ᾱ_{t−1} x̂₀ + √(1 − ᾱ_{t−1} − σ_t²) ε_θ (+ σ_t z), "
              "x̂₀ = (x_t − √(1 − ᾱ_t) ε_θ)/√ᾱ_t, σ_t = η√((1 − ᾱ_{t−1})/(1 − ᾱ_t))√(1 − ᾱ_t/ᾱ_{t−1}) "
              "(η = 1: DDPM's posterior mean; η = 0: deterministic DDIM)",
        statement=r"\mathbb E_{q_{\sigma(\eta)}}[x_{t-1}\mid x_t, \hat x_0(x_t,\epsilon_\theta)]",
        variables=(XT, EPS, ETA, ALPHA_T, ALPHA_BAR_PREV),
        defined=DEFINED,
        derivation=(
            Step(r"definition (Song et al. 2021a, eq. 7): the DDIM kernel q_\sigma(x_{t-1}\mid x_t, x_0) has mean "
                 r"\sqrt{\bar\alpha_{t-1}}x_0 + \sqrt{1-\bar\alpha_{t-1}-\sigma_t^2}\,(x_t - \sqrt{\bar\alpha_t}x_0)/\sqrt{1-\bar\alpha_t}",
                 ddim_kernel_mean(sigma_sq)),
            Step(r"the sampler puts the network's \hat x_0 = (x_t - \sqrt{1-\bar\alpha_t}\epsilon_\theta)/\sqrt{\bar\alpha_t} (claim "
                 r"ddpm.parameterisation.x0-from-eps) for x_0, so (x_t - \sqrt{\bar\alpha_t}\hat x_0)/\sqrt{1-\bar\alpha_t} = \epsilon_\theta: "
                 r"\sqrt{\bar\alpha_{t-1}}\hat x_0 + \sqrt{1-\bar\alpha_{t-1}-\sigma_t^2}\,\epsilon_\theta",
                 ddim_update_mean(sigma_sq),
                 op=lambda m: m.subs(x0, (xt - sqrt(1 - alpha_bar_t) * eps) / sqrt(alpha_bar_t))),
            Step(r"with \sigma_t = \eta\sqrt{(1-\bar\alpha_{t-1})/(1-\bar\alpha_t)}\sqrt{1-\bar\alpha_t/\bar\alpha_{t-1}} "
                 r"(claim ddpm.ddim.sigma)", ddim_update_mean(eta_sigma_squared()),
                 op=lambda m: m.subs(sigma_sq, target_of("ddpm.ddim.sigma") ** 2)),
        ),
        wrong_variants=(
            WrongVariant("sigma_t^2 omitted under the root: sqrt(1 - alpha_bar_{t-1}) eps (the eta = 0 direction at every eta)",
                         ddim_update_mean(0)),
            WrongVariant("alpha_bar_t in place of alpha_bar_{t-1} (x0_hat re-noised to the same step)",
                         ddim_update_mean(eta_sigma_squared(), signal=alpha_bar_t)),
            WrongVariant("ratio inside sigma_t inverted: (1 - alpha_bar_t)/(1 - alpha_bar_{t-1})",
                         ddim_update_mean(eta_sigma_squared(ratio_inverted=True))),
        ),
    )
