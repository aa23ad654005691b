r"""The training objective: the per-step KL as a weighted ‖ε − ε_θ‖², and Tweedie's formula.

* With a reverse step N(μ_θ, β̃_t) (the posterior's variance) and both means in the ε form,
  KL(q(x_{t−1}|x_t,x_0) ‖ p_θ(x_{t−1}|x_t)) = λ_t (ε − ε_θ)², λ_t = β_t/(2α_t(1 − ᾱ_{t−1}))
  (Ho et al. 2020, eq. 12): the "simple" loss drops λ_t.
* The MSE-optimal ε-predictor is E[ε | x_t] = −√(1 − ᾱ) ∂_{x_t} log q_t(x_t) (Gaussian data here).

Seeds: 002 L544; 004 L3379–3380, L3436.
"""

from __future__ import annotations

import sympy
from sympy import Rational, sqrt

from derivspec.core import REAL, Claim, Domain, Source, Step, Var, WrongVariant, claim
from derivspec.core.lectures import S002, S004
from derivspec.derivations.ddpm.forward import (ALPHA_BAR_PREV, ALPHA_T, DEFINED, NOISE_LEVEL, XT, alpha_bar_prev,
                                                alpha_bar_t, alpha_t, beta_t, eps, x0, xt)
from derivspec.derivations.ddpm.posterior import log_normal
from derivspec.derivations.kl.gaussian import kl_univariate
from derivspec.derivations.moments import completed_square

EPS_THETA = sympy.Symbol("eps_theta", real=True)
# "The VLB simplifies to the MSE loss" (002 L544, 004 L3379–3380): an informal summary of Ho et al.'s simplified objective
SIMPLE_LOSS_NOTE = ("not compared: an informal summary of Ho et al.'s simplified objective. Each KL term of the bound is "
                    "β_t/(2α_t(1−ᾱ_{t−1}))·||ε − ε_θ||² (this claim); the MSE loss used in code drops that weight (a "
                    "reweighting of the bound, and the L_0, L_T terms), so 'simplifies to' holds as 'is simplified to', not "
                    "as an equality; the next two sources evaluate the dropped weight")


def linear_schedule_step(t: int, T: int = 1000) -> dict:
    """{alpha_t, alpha_bar_prev} at step t of the linear schedule β_1 = 10⁻⁴ … β_T = 0.02 (Ho et al.): α_t exact,
    ᾱ_{t−1} the exact product to 40 digits."""
    beta = lambda s: Rational(1, 10_000) + (s - 1) * (Rational(2, 100) - Rational(1, 10_000)) / (T - 1)  # noqa: E731
    return {"alpha_t": 1 - beta(t), "alpha_bar_prev": sympy.Float(sympy.prod([1 - beta(s) for s in range(1, t)]), 40)}


def dropped_weight_sources(file: str, lines: str, as_written: str) -> tuple[Source, ...]:
    """The weight the simple loss drops, at t = 2 and t = T of the linear schedule: not a constant."""
    return tuple(Source(file, lines, as_written, value=value, decimals=decimals, at=linear_schedule_step(t),
                        note=f"the weight the MSE loss drops, at t = {label} of the linear schedule (β from 10⁻⁴ to 0.02, "
                             "T = 1000; the numbers are ours): it falls from 0.600 at t = 2 to 0.0102 at t = T, so the "
                             "MSE is a reweighting of the bound")
                 for t, label, value, decimals in ((2, "2", 0.600, 3), (1000, "T", 0.0102, 4)))


def mean_from_noise(noise) -> sympy.Expr:
    """(x_t − β_t/√(1−ᾱ_t) noise)/√α_t: the posterior mean in the ε form (claim ddpm.posterior.mean-eps)."""
    return (xt - beta_t / sqrt(1 - alpha_bar_t) * noise) / sqrt(alpha_t)


@claim("ddpm.loss.weight")
def ddpm_loss_weight() -> Claim:
    """KL(q(x_{t−1}|x_t,x_0) ‖ N(μ_θ, β̃_t)) / (ε − ε_θ)² = β_t/(2α_t(1 − ᾱ_{t−1}))."""
    sigma_sq = (1 - alpha_bar_prev) * beta_t / (1 - alpha_bar_t)  # the reverse step takes the posterior's variance
    return Claim(
        title="KL to a reverse step with the posterior's variance = λ_t ‖ε − ε_θ‖², λ_t = β_t/(2α_t(1 − ᾱ_{t−1}))",
        statement=r"\mathrm{KL}(q(x_{t-1}\mid x_t,x_0)\,\|\,\mathcal N(\mu_\theta(x_t,\epsilon_\theta),\tilde\beta_t)) / (\epsilon-\epsilon_\theta)^2",
        variables=(ALPHA_T, ALPHA_BAR_PREV),
        defined=DEFINED,
        derivation=(
            Step(r"KL(q(x_{t-1}|x_t,x_0) \| \mathcal N(\mu_\theta, \tilde\beta_t)) with equal variances (claim kl.gaussian.univariate): "
                 r"(\tilde\mu - \mu_\theta)^2/(2\tilde\beta_t); both means in the \epsilon form (claim ddpm.posterior.mean-eps)",
                 kl_univariate(mean_from_noise(eps), sqrt(sigma_sq), mean_from_noise(EPS_THETA), sqrt(sigma_sq))),
            Step(r"divide by (\epsilon - \epsilon_\theta)^2: the weight \beta_t^2/(2\sigma_t^2\alpha_t(1-\bar\alpha_t)) with \sigma_t^2 = \tilde\beta_t",
                 beta_t**2 / (2 * sigma_sq * alpha_t * (1 - alpha_bar_t)), op=lambda e: sympy.simplify(e / (eps - EPS_THETA) ** 2)),
            Step(r"with \tilde\beta_t = (1-\bar\alpha_{t-1})\beta_t/(1-\bar\alpha_t): \beta_t/(2\alpha_t(1-\bar\alpha_{t-1}))",
                 beta_t / (2 * alpha_t * (1 - alpha_bar_prev))),
        ),
        wrong_variants=(
            WrongVariant("the 'simple' loss: weight 1", sympy.Integer(1)),
            WrongVariant("sigma_t^2 = beta_t in place of the posterior variance", beta_t / (2 * alpha_t * (1 - alpha_bar_t))),
        ),
        sources=(
            Source(S002, "544", r"The 'Variational Lower Bound' math simplifies beautifully into the MSE Loss you use in code: \Vert\epsilon - \epsilon_\theta\Vert^2.",
                   note=SIMPLE_LOSS_NOTE),
            *dropped_weight_sources(S002, "544", r"The 'Variational Lower Bound' math simplifies beautifully into the MSE Loss"),
            Source(S004, "3379–3380", r"Maximize ELBO (like VAE); Simplifies to: \mathbb{E}[\|\boldsymbol{\epsilon} - \boldsymbol{\epsilon}_\theta(\mathbf{x}_t, t)\|^2]",
                   note=SIMPLE_LOSS_NOTE),
            *dropped_weight_sources(S004, "3379–3380", r"Maximize ELBO (like VAE); Simplifies to"),
        ),
    )


ALPHA_BAR = Var("alpha_bar", r"\bar\alpha", NOISE_LEVEL)
MU0 = Var("mu0", r"\mu_0", REAL)
S0 = Var("s0", "s_0", Domain("> 0", {"positive": True}, low=0.0, sample_low=0.2, sample_high=2.0))
alpha_bar, mu0, s0 = ALPHA_BAR.symbol, MU0.symbol, S0.symbol


def data_and_noise_log_joint(noise_level) -> sympy.Expr:
    """log p(x_0) + log q(x_t | x_0) = log N(x_0; μ_0, s_0²) + log N(x_t; √ᾱ x_0, 1 − ᾱ), ᾱ = ``noise_level``:
    by Bayes' rule the log posterior of x_0 given x_t, up to terms free of x_0."""
    return log_normal(x0, mu0, s0) + log_normal(xt, sqrt(noise_level) * x0, sqrt(1 - noise_level))


JOINT_WHY = (r"definition: Gaussian data and the forward jump, \log p(x_0) + \log q(x_t\mid x_0) = \log\mathcal N(x_0;\mu_0,s_0^2) "
             r"+ \log\mathcal N(x_t;\sqrt{arlpha}x_0, 1-arlpha); by Bayes' rule \log p(x_0\mid x_t) up to terms free of x_0")
POSTERIOR_WHY = (r"it is quadratic in x_0: complete the square, E[x_0\mid x_t] = -b/(2a) = \mu_0 + \sqrt{arlpha}s_0^2"
                 r"(x_t - \sqrt{arlpha}\mu_0)/(arlpha s_0^2 + 1 - arlpha)")


def posterior_mean_of_x0(noise_level) -> sympy.Expr:
    """E[x_0 | x_t] = μ_0 + √ᾱ s_0² (x_t − √ᾱ μ_0)/(ᾱ s_0² + 1 − ᾱ) as a lecture writes it (a derivation line)."""
    return mu0 + sqrt(noise_level) * s0**2 * (xt - sqrt(noise_level) * mu0) / (noise_level * s0**2 + 1 - noise_level)


def noisy_marginal_log_density() -> sympy.Expr:
    """log q_t(x_t), q_t = N(√ᾱ μ_0, ᾱ s_0² + 1 − ᾱ): x_t = √ᾱ x_0 + √(1−ᾱ) ε with x_0 ~ N(μ_0, s_0²)."""
    return log_normal(xt, sqrt(alpha_bar) * mu0, sqrt(alpha_bar * s0**2 + 1 - alpha_bar))


@claim("ddpm.tweedie")
def ddpm_tweedie() -> Claim:
    """E[ε | x_t] = −√(1 − ᾱ) ∂_{x_t} log q_t(x_t) for Gaussian data x_0 ~ N(μ_0, s_0²)."""
    variance = alpha_bar * s0**2 + 1 - alpha_bar
    return Claim(
        title="The MSE-optimal ε-predictor is E[ε|x_t] = −√(1 − ᾱ) ∇log q_t(x_t) (Gaussian data)",
        statement=r"\mathbb E[\epsilon\mid x_t],\ x_0\sim\mathcal N(\mu_0, s_0^2)",
        variables=(XT, ALPHA_BAR, MU0, S0),
        derivation=(
            Step(JOINT_WHY, data_and_noise_log_joint(alpha_bar)),
            Step(POSTERIOR_WHY, posterior_mean_of_x0(alpha_bar), op=lambda e: completed_square(e, x0)[0]),
            Step(r"\epsilon = (x_t - \sqrt{\bar\alpha}x_0)/\sqrt{1-\bar\alpha} is affine in x_0: E[\epsilon\mid x_t] = "
                 r"(x_t - \sqrt{\bar\alpha}E[x_0\mid x_t])/\sqrt{1-\bar\alpha} = \sqrt{1-\bar\alpha}(x_t - \sqrt{\bar\alpha}\mu_0)/"
                 r"(\bar\alpha s_0^2 + 1 - \bar\alpha)",
                 sqrt(1 - alpha_bar) * (xt - sqrt(alpha_bar) * mu0) / variance,
                 op=lambda mean: (xt - sqrt(alpha_bar) * mean) / sqrt(1 - alpha_bar)),
            Step(r"= -\sqrt{1-\bar\alpha}\,\partial_{x_t}\log q_t(x_t), q_t = \mathcal N(\sqrt{\bar\alpha}\mu_0, \bar\alpha s_0^2 + 1 - \bar\alpha) "
                 r"(the score of the noisy marginal)",
                 sqrt(1 - alpha_bar) * (xt - sqrt(alpha_bar) * mu0) / variance,
                 equals=-sqrt(1 - alpha_bar) * sympy.diff(noisy_marginal_log_density(), xt)),
        ),
        wrong_variants=(
            WrongVariant("the score without the -sqrt(1 - alpha_bar) factor", -(xt - sqrt(alpha_bar) * mu0) / variance),
            WrongVariant("predict x_t itself", xt),
        ),
        sources=(
            Source(S004, "3436", r"\epsilon_{\theta}(\mathbf{x}_t, t) \approx -\sqrt{1 - \bar{\alpha}_t} \nabla \log p(\mathbf{x}_t)",
                   expr=-sqrt(1 - alpha_bar) * sympy.diff(noisy_marginal_log_density(), xt),
                   note="for the optimal ε_θ, with p(x_t) the time-t marginal (Gaussian data here)"),
        ),
    )
