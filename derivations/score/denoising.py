r"""Denoising score matching: the conditional score, the minimiser, Vincent's identity, noise regression.

Forward jump x_t = √ᾱ_t x_0 + √(1 − ᾱ_t) ε, q(x_t | x_0) = N(√ᾱ_t x_0, 1 − ᾱ_t) (claims
ddpm.marginal.*), ᾱ_t = α_t ᾱ_{t−1}:

* the conditional score ∇_{x_t} log q(x_t | x_0) = −(x_t − √ᾱ_t x_0)/(1 − ᾱ_t) = −ε/√(1 − ᾱ_t);
* it is the *regression target* of DSM, not what the model learns: E[(s(x_t) − ∇log q(x_t|x_0))²] is
  minimised by E[∇log q(x_t|x_0) | x_t] = ∇ log q_t(x_t), the score of the noisy marginal (derived for
  Gaussian data x_0 ~ N(μ_0, s_0²), where both are closed form; Gaussian mixtures numerically, in
  ``reference_models/score_models.py``);
* Vincent (2011): for every model s_θ, DSM(θ) = ½E[(s_θ − ∇log q_t)²] + C with C free of θ (derived for
  the Gaussian score family s_θ = −θ₁x + θ₂ on Gaussian data; non-linear models by Monte Carlo);
* with s_θ = −ε_θ/√(1 − ᾱ_t), ‖s_θ − ∇log q(x_t|x_0)‖² = ‖ε − ε_θ‖²/(1 − ᾱ_t): DSM weighted by
  λ(t) = 1 − ᾱ_t is the noise regression of DDPM;
* the variance-exploding kernel x̃ = x + σz (NCSN, the VE-SDE) with λ(σ) = σ² (Song & Ermon 2019): the loss of
  one example is σ²‖s_θ + (x̃ − x)/σ²‖² = ‖σ s_θ + z‖² (claim score.dsm.loss, any dimension), as score_sde's
  loss computes it (NCSN's ``anneal_dsm_score_estimation`` has an extra ½).

Seeds: 001 L201–230, L314–323; 002 L555; 003 L168; 004 L3435, L3456, L3684–3688, L3746, L3752.
"""

from __future__ import annotations

import sympy
from sympy import sqrt

from derivspec.core import POSITIVE, REAL, AnySize, Claim, Source, Step, Var, Vector, WrongVariant, claim
from derivspec.core.claims import Recognise
from derivspec.core.lectures import S000, S001, S002, S003, S004
from derivspec.derivations.ddpm.forward import (ALPHA_BAR_PREV, ALPHA_T, DEFINED, X0, XT, alpha_bar_t,
                                                alpha_t, x0, xt)
from derivspec.derivations.ddpm.loss import (JOINT_WHY, MU0, POSTERIOR_WHY, S0, data_and_noise_log_joint, mu0,
                                             posterior_mean_of_x0, s0)
from derivspec.derivations.ddpm.posterior import log_normal
from derivspec.derivations.moments import completed_square, gaussian_expectation
from derivspec.derivations.score.matching import THETA1, THETA2, theta1, theta2

e = sympy.Symbol("e", real=True)                  # the forward noise ε as an integration variable
eps_theta = sympy.Symbol("eps_theta", real=True)  # a network's noise prediction ε_θ(x_t)


def conditional_score(at_xt=xt, at_x0=x0) -> sympy.Expr:
    """∇_{x_t} log q(x_t | x_0) = −(x_t − √ᾱ_t x_0)/(1 − ᾱ_t)."""
    return -(at_xt - sqrt(alpha_bar_t) * at_x0) / (1 - alpha_bar_t)


def marginal_variance() -> sympy.Expr:
    """Var x_t = ᾱ_t s_0² + 1 − ᾱ_t for x_0 ~ N(μ_0, s_0²)."""
    return alpha_bar_t * s0**2 + 1 - alpha_bar_t


def marginal_score(at=xt) -> sympy.Expr:
    """∇ log q_t(x_t), q_t = N(√ᾱ_t μ_0, ᾱ_t s_0² + 1 − ᾱ_t), written out."""
    return -(at - sqrt(alpha_bar_t) * mu0) / marginal_variance()


@claim("score.dsm.conditional")
def score_dsm_conditional() -> Claim:
    r"""∇_{x_t} log N(x_t; √ᾱ_t x_0, 1 − ᾱ_t) = −(x_t − √ᾱ_t x_0)/(1 − ᾱ_t)."""
    return Claim(
        title="Conditional score of the forward jump: ∇_{x_t} log q(x_t | x_0) = −(x_t − √ᾱ_t x_0)/(1 − ᾱ_t)",
        recognise=(Recognise(r"\nabla_{x_t} \log q(x_t \mid x_0)", requires=(r"x_0",)),),
        statement=r"\nabla_{x_t}\log q(x_t\mid x_0),\ q(x_t\mid x_0) = \mathcal N(\sqrt{\bar\alpha_t}x_0, 1-\bar\alpha_t)",
        variables=(XT, X0, ALPHA_T, ALPHA_BAR_PREV),
        defined=DEFINED,
        derivation=(
            Step(r"definition: \log q(x_t\mid x_0) = \log\mathcal N(x_t;\sqrt{\bar\alpha_t}x_0, 1-\bar\alpha_t) (claims "
                 r"ddpm.marginal.mean/variance; the Gaussian log-density of claim nll.gaussian)",
                 log_normal(xt, sqrt(alpha_bar_t) * x0, sqrt(1 - alpha_bar_t))),
            Step(r"differentiate in x_t: -(x_t - \sqrt{\bar\alpha_t}x_0)/(1-\bar\alpha_t)",
                 -(xt - sqrt(alpha_bar_t) * x0) / (1 - alpha_bar_t), op=lambda f: sympy.diff(f, xt)),
        ),
        wrong_variants=(
            WrongVariant("standard deviation in place of the variance", -(xt - sqrt(alpha_bar_t) * x0) / sqrt(1 - alpha_bar_t)),
            WrongVariant("alpha_t in place of alpha_bar_t (the one-step coefficient)", -(xt - sqrt(alpha_t) * x0) / (1 - alpha_t)),
            WrongVariant("sign flipped", (xt - sqrt(alpha_bar_t) * x0) / (1 - alpha_bar_t)),
            WrongVariant("alpha_bar_t without the square root on x_0", -(xt - alpha_bar_t * x0) / (1 - alpha_bar_t)),
        ),
        sources=(
            Source(S001, "195–199", r"Define a noising process that corrupts data: q(x_t | x_0) where (t) is a noise level / timestep.",
                   note="defines the noising process whose conditional score this claim differentiates (Gaussian: the DDPM jump)"),
        ),
    )


def posterior_x0_mean() -> sympy.Expr:
    """E[x_0 | x_t] = μ_0 + √ᾱ_t s_0² (x_t − √ᾱ_t μ_0)/(ᾱ_t s_0² + 1 − ᾱ_t) (Gaussian conditioning)."""
    return mu0 + sqrt(alpha_bar_t) * s0**2 * (xt - sqrt(alpha_bar_t) * mu0) / marginal_variance()


@claim("score.dsm.minimiser")
def score_dsm_minimiser() -> Claim:
    r"""argmin_s E[(s(x_t) − ∇log q(x_t|x_0))²] = E[∇log q(x_t|x_0) | x_t] = ∇ log q_t(x_t)."""
    noisy_marginal = log_normal(xt, sqrt(alpha_bar_t) * mu0, sqrt(marginal_variance()))
    return Claim(
        title="DSM learns the marginal score: argmin_s E[(s(x_t) − ∇log q(x_t|x_0))²] = ∇ log q_t(x_t), "
              "not the conditional score (Gaussian data x_0 ~ N(μ_0, s_0²))",
        statement=r"\arg\min_{s}\ \mathbb E_{x_0,x_t}\big[(s(x_t) - \nabla_{x_t}\log q(x_t\mid x_0))^2\big],\ x_0\sim\mathcal N(\mu_0,s_0^2)",
        variables=(XT, X0, ALPHA_T, ALPHA_BAR_PREV, MU0, S0),
        defined=DEFINED,
        derivation=(
            Step(JOINT_WHY, data_and_noise_log_joint(alpha_bar_t)),
            Step(POSTERIOR_WHY, posterior_mean_of_x0(alpha_bar_t), op=lambda e: completed_square(e, x0)[0]),
            Step(r"DSM is a regression of the target \nabla\log q(x_t\mid x_0) on x_t, minimised pointwise by the regression "
                 r"function E[\nabla\log q(x_t\mid x_0)\mid x_t] = -(x_t - \sqrt{\bar\alpha_t}E[x_0\mid x_t])/(1-\bar\alpha_t) "
                 r"(claim score.dsm.conditional is linear in x_0)",
                 -(xt - sqrt(alpha_bar_t) * posterior_x0_mean()) / (1 - alpha_bar_t),
                 op=lambda mean: conditional_score(at_x0=mean)),
            Step(r"simplify: -(x_t - \sqrt{\bar\alpha_t}\mu_0)/(\bar\alpha_t s_0^2 + 1 - \bar\alpha_t)",
                 -(xt - sqrt(alpha_bar_t) * mu0) / (alpha_bar_t * s0**2 + 1 - alpha_bar_t)),
            Step(r"= \nabla_{x_t}\log q_t(x_t), q_t = \mathcal N(\sqrt{\bar\alpha_t}\mu_0, \bar\alpha_t s_0^2 + 1 - \bar\alpha_t) the "
                 r"noisy marginal: free of x_0", -(xt - sqrt(alpha_bar_t) * mu0) / (alpha_bar_t * s0**2 + 1 - alpha_bar_t),
                 equals=sympy.diff(noisy_marginal, xt)),
        ),
        wrong_variants=(
            WrongVariant("the conditional score (the regression target, which depends on x_0)", conditional_score()),
            WrongVariant("marginal mean with the conditional variance 1 - alpha_bar_t",
                         -(xt - sqrt(alpha_bar_t) * mu0) / (1 - alpha_bar_t)),
            WrongVariant("data variance not scaled by alpha_bar_t", -(xt - sqrt(alpha_bar_t) * mu0) / (s0**2 + 1 - alpha_bar_t)),
            WrongVariant("sign flipped", (xt - sqrt(alpha_bar_t) * mu0) / marginal_variance()),
        ),
        sources=(
            Source(S001, "201–204", r"Train a model (s_\theta(x_t, t)) to approximate the score of the noisy distribution: s_\theta(x_t, t) \approx \nabla_{x_t} \log q(x_t | x_0)",
                   category="notation/index", severity="imprecise",
                   expr=conditional_score(),
                   correct=r"s_\theta(x_t,t)\approx\nabla_{x_t}\log q_t(x_t) = \mathbb E[\nabla_{x_t}\log q(x_t\mid x_0)\mid x_t]: "
                           r"\nabla\log q(x_t\mid x_0) is the regression target of the loss, the score of the noisy distribution "
                           r"is the marginal one (a model of x_t cannot depend on x_0)",
                   note="read as: what the trained s_θ(x_t, t) approximates; Gaussian data x_0 ~ N(μ_0, s_0²)"),
            Source(S002, "555", r"Training: We add noise to destroy the image (Forward Process). The model learns to predict this specific noise instance.",
                   note="not compared: describes the regression target of the training step. What the MSE-optimal "
                        "predictor learns, E[ε | x_t] = −√(1−ᾱ_t)∇log q_t(x_t), is this claim (compared at other lines); the "
                        "error E Var[ε | x_t] it leaves is not the target of any claim, so no number is compared"),
            Source(S004, "3381", r"At each step t : predict the noise that was added",
                   note="describes the regression target of the training step; what is learned is E[ε | x_t] (002 L555 is checked)"),
            Source(S004, "3323", r"Train: predict noise at each timestep",
                   note="describes the training task; see 002 L555 for what the predictor learns"),
        ),
    )


def dsm_closed_form() -> sympy.Expr:
    """½E[s_θ²] − E[s_θ ∇log q(x_t|x_0)] + ½E[‖∇log q(x_t|x_0)‖²] for Gaussian data, written out."""
    m, v = sqrt(alpha_bar_t) * mu0, marginal_variance()
    return (theta1**2 * (v + m**2) - 2 * theta1 * theta2 * m + theta2**2) / 2 - theta1 + 1 / (2 * (1 - alpha_bar_t))


def esm_closed_form() -> sympy.Expr:
    """½E[(s_θ − ∇ log q_t)²] = ½E[s_θ²] − θ₁ + 1/(2 Var x_t), written out."""
    m, v = sqrt(alpha_bar_t) * mu0, marginal_variance()
    return (theta1**2 * (v + m**2) - 2 * theta1 * theta2 * m + theta2**2) / 2 - theta1 + 1 / (2 * v)


@claim("score.dsm.vincent")
def score_dsm_vincent() -> Claim:
    r"""½E[(s_θ(x_t) − ∇log q(x_t|x_0))²] = ½E[(s_θ − ∇ log q_t)²] + ½(1/(1−ᾱ_t) − 1/Var x_t)."""
    xt_of = sqrt(alpha_bar_t) * x0 + sqrt(1 - alpha_bar_t) * e
    model = -theta1 * xt_of + theta2
    return Claim(
        title="Vincent: DSM(θ) = ½E[(s_θ − ∇log q_t)²] + C with C = ½(1/(1 − ᾱ_t) − 1/Var x_t) free of θ "
              "(Gaussian data and score family; non-linear models by Monte Carlo)",
        statement=r"\tfrac12\mathbb E\big[(s_\theta(x_t) - \nabla_{x_t}\log q(x_t\mid x_0))^2\big],\ s_\theta(x) = -\theta_1x+\theta_2,\ "
                  r"x_0\sim\mathcal N(\mu_0,s_0^2)",
        variables=(ALPHA_T, ALPHA_BAR_PREV, MU0, S0, THETA1, THETA2),
        defined=DEFINED,
        derivation=(
            Step(r"definition: the DSM integrand \tfrac12(s_\theta(x_t) - \nabla\log q(x_t\mid x_0))^2 at x_t = \sqrt{\bar\alpha_t}x_0 "
                 r"+ \sqrt{1-\bar\alpha_t}\epsilon, with the conditional score of claim score.dsm.conditional",
                 (model - conditional_score(xt_of, x0)) ** 2 / 2),
            Step(r"take E over x_0\sim\mathcal N(\mu_0, s_0^2), \epsilon\sim\mathcal N(0,1): \tfrac12E[s_\theta^2] - E[s_\theta\nabla\log "
                 r"q(x_t\mid x_0)] + \tfrac12E[(\nabla\log q(x_t\mid x_0))^2] with E[x_t\epsilon] = \sqrt{1-\bar\alpha_t}, so the cross "
                 r"term is -\theta_1, and E[\epsilon^2]/(1-\bar\alpha_t) = 1/(1-\bar\alpha_t)",
                 dsm_closed_form(),
                 op=lambda f: gaussian_expectation(f, [x0, e], [mu0, 0], sympy.diag(s0**2, 1))),
            Step(r"split off C: the first part is \tfrac12E[(s_\theta - \nabla\log q_t)^2] = \tfrac12E[s_\theta^2] - \theta_1 + "
                 r"1/(2\mathrm{Var}\,x_t) (the cross term E[s_\theta\nabla\log q(x_t|x_0)] = E[s_\theta E[\nabla\log q(x_t|x_0)\mid x_t]] "
                 r"= E[s_\theta\nabla\log q_t], claim score.dsm.minimiser), and C = \tfrac12(1/(1-\bar\alpha_t) - 1/\mathrm{Var}\,x_t)",
                 esm_closed_form() + (1 / (1 - alpha_bar_t) - 1 / marginal_variance()) / 2),
        ),
        wrong_variants=(
            WrongVariant("DSM equal to the explicit loss on the marginal (C dropped)", esm_closed_form()),
            WrongVariant("cross term with the wrong sign", dsm_closed_form() + 2 * theta1),
            WrongVariant("C with the step variance beta_t in place of 1 - alpha_bar_t",
                         esm_closed_form() + (1 / (1 - alpha_t) - 1 / marginal_variance()) / 2),
        ),
        sources=(
            Source(S001, "206–212", r"\mathcal{L}(\theta) = \mathbb{E}*{t, x_0, x_t \sim q(x_t|x_0)} \left[ \lambda(t) , \left| s*\theta(x_t, t) - \nabla_{x_t} \log q(x_t|x_0) \right|^2 \right]",
                   expr=2 * dsm_closed_form(), relation="proportional", free_of=("theta1", "theta2"),
                   note="at one t (λ(t) a constant factor), for the Gaussian data and score family of this claim"),
            Source(S001, "317–323", r"\mathcal{L}*{\text{DSM}} = \mathbb{E}*{t,x_0,x_t} \left[ \lambda(t) , | s_\theta(x_t,t,c) - \nabla_{x_t} \log q(x_t|x_0) |^2 \right] Fits score function of noisy data distribution; enables SDE-based sampling.",
                   expr=2 * dsm_closed_form(), relation="proportional", free_of=("theta1", "theta2"),
                   note="at one t and one condition c; 'fits the score of the noisy data distribution' is this claim's minimiser "
                        "(claim score.dsm.minimiser)"),
            Source(S001, "226–230", r"\mathcal{L}(\theta) = \mathbb{E}*{t, x_0, x_t, c} \left[ \lambda(t) , \left| s*\theta(x_t, t, c) - \text{target_score}(x_t, t, x_0) \right|^2 \right]",
                   expr=2 * dsm_closed_form(), relation="proportional", free_of=("theta1", "theta2"),
                   note=r"read with target\_score(x_t, t, x_0) = \nabla_{x_t}\log q(x_t\mid x_0) (L211), per condition c"),
            Source(S004, "3456", r"Showed learning \nabla_{\mathbf{x}} \log p(\mathbf{x}) equivalent to denoising",
                   behaviour="denoising_equals_score_matching", at={"alpha_bar": 0.5}),
            Source(S004, "3746", r"When you hear “score matching” \rightarrow training objective equivalent to denoising",
                   behaviour="denoising_equals_score_matching", at={"alpha_bar": 0.5}),
            Source(S004, "3752", r"Denoising = score estimation (mathematically equivalent)",
                   behaviour="denoising_equals_score_matching", at={"alpha_bar": 0.5}),
            Source(S004, "3435", r"Denoising \approx score estimation",
                   behaviour="denoising_equals_score_matching", at={"alpha_bar": 0.5}),
            Source(S004, "3743–3745", r"Score-based models \neq new model category; Different mathematical framing of diffusion; Vocabulary: when you hear “score-based generative models” \rightarrow continuous-time diffusion",
                   nothing_to_compare=True, note="a framing; the equivalence of the objectives is checked at L3746"),
            Source(S003, "168", r"**Diffusion (L21)** · score matching \equiv KL minimization between noisy data and model.",
                   note="not compared: at one noise level this claim's objective is a Fisher divergence, not a KL; the link "
                        "to KL(p_σ‖q_σ) runs through all noise levels (de Bruijn's identity, the likelihood weighting of Song "
                        "et al. 2021), which no claim here derives"),
        ),
    )


@claim("score.dsm.noise-regression")
def score_dsm_noise_regression() -> Claim:
    r"""‖s_θ − ∇log q(x_t|x_0)‖² / ‖ε − ε_θ‖² = 1/(1 − ᾱ_t) when s_θ = −ε_θ/√(1 − ᾱ_t)."""
    scale = sqrt(1 - alpha_bar_t)
    return Claim(
        title="DSM is noise regression: ‖s_θ − ∇log q(x_t|x_0)‖² = ‖ε − ε_θ‖²/(1 − ᾱ_t) for s_θ = −ε_θ/√(1 − ᾱ_t) "
              "(λ(t) = 1 − ᾱ_t gives the simple loss)",
        statement=r"\|s_\theta - \nabla_{x_t}\log q(x_t\mid x_0)\|^2/\|\epsilon-\epsilon_\theta\|^2,\ s_\theta = -\epsilon_\theta/\sqrt{1-\bar\alpha_t}",
        variables=(ALPHA_T, ALPHA_BAR_PREV),
        defined=DEFINED,
        derivation=(
            Step(r"definition: s_\theta = -\epsilon_\theta/\sqrt{1-\bar\alpha_t} (claim ddpm.parameterisation.score-from-eps) and "
                 r"\nabla\log q(x_t\mid x_0) = -\epsilon/\sqrt{1-\bar\alpha_t} (claim score.dsm.conditional at x_t = "
                 r"\sqrt{\bar\alpha_t}x_0 + \sqrt{1-\bar\alpha_t}\epsilon)", (-eps_theta / scale + e / scale) ** 2),
            Step(r"= (\epsilon-\epsilon_\theta)^2/(1-\bar\alpha_t)", (e - eps_theta) ** 2 / (1 - alpha_bar_t)),
            Step(r"divide by (\epsilon - \epsilon_\theta)^2", 1 / (1 - alpha_bar_t), op=lambda f: f / (e - eps_theta) ** 2),
        ),
        wrong_variants=(
            WrongVariant("the same loss, weight 1", sympy.Integer(1) + 0 * alpha_t),
            WrongVariant("standard deviation: 1/sqrt(1 - alpha_bar_t)", 1 / sqrt(1 - alpha_bar_t)),
            WrongVariant("weight inverted: 1 - alpha_bar_t", 1 - alpha_bar_t),
        ),
        sources=(
            Source(S000, "499–502", r"Input: Noisy Image + Time + Prompt. Output: The predicted Noise. Noise Assumption: Gaussian. We assume the corruption process adds Normal noise. Mechanism: Minimizing (MSE) allows us to reverse the noise process.",
                   note="the noise regression of this claim (symbols lost in the conversion); what the MSE-optimal predictor "
                        "learns is checked at 002 L555"),
            Source(S000, "347–349", r"Loss: Mean Squared Error (MSE). We measure the Euclidean distance between the *actual* static we added and the *static* the model guessed.",
                   note="the simple loss ‖ε − ε_θ‖², DSM with λ(t) = 1 − ᾱ_t by this claim"),
            Source(S004, "3449–3450", r"*Simplified denoising objective* made diffusion practical; Reweighted variational bound for stable training",
                   note="as stated: the simple loss is the ELBO's per-step KL with the weight β_t/(2α_t(1−ᾱ_{t−1})) dropped "
                        "(claim ddpm.loss.weight), i.e. DSM with λ(t) = 1 − ᾱ_t (this claim)"),
            Source(S004, "3386–3392", r"Sample \mathbf{x}_0 from data; Sample t uniformly from \{1, \dots, T\}; Sample noise \boldsymbol{\epsilon} \sim \mathcal{N}(\mathbf{0}, \mathbf{I}); Predict: \hat{\boldsymbol{\epsilon}} = \boldsymbol{\epsilon}_\theta(\mathbf{x}_t, t); Loss: \|\boldsymbol{\epsilon} - \hat{\boldsymbol{\epsilon}}\|^2; Update θ",
                   note="the training loop of this claim's noise regression, run by reference_models/score_models.train_dsm "
                        "(the x_t line L3389 is checked, and found wrong, with claim ddpm.marginal.mean)"),
            Source(S001, "214", r"In practice you don’t compute the true gradient term explicitly; for Gaussian noising, this simplifies to a regression on the added noise.",
                   behaviour="dsm_is_noise_regression", at={"alpha_bar": 0.4},
                   note="with λ(t) = 1 − ᾱ_t the weighted DSM term is ‖ε − ε_θ‖²"),
            Source(S004, "3684–3688", r"Denoising = Score Estimation; Diffusion model learns: \epsilon_\theta(\mathbf{x}_t, t); Score function: \nabla \log p(\mathbf{x}_t); Learning to predict noise = learning score function",
                   behaviour="dsm_is_noise_regression", at={"alpha_bar": 0.8}),
        ),
    )


S_VEC = tuple(Var(f"s{d}", f"s_{d}", REAL) for d in (1, 2))     # the model's score s_θ(x̃, σ), per coordinate
Z_VEC = tuple(Var(f"z{d}", f"z_{d}", REAL) for d in (1, 2))     # the standard-normal noise, x̃ = x + σz
NOISE_SCALE = Var("sigma", r"\sigma", POSITIVE)
s_vec, z_vec, noise_scale = [v.symbol for v in S_VEC], [v.symbol for v in Z_VEC], NOISE_SCALE.symbol
x_clean = sympy.symbols("x1 x2", real=True)          # the data point x
x_noisy = sympy.symbols("xtilde1 xtilde2", real=True)  # the perturbed point x̃


def dsm_loss_any_size(vectors, indices):
    """D dimensions: Σ_d (σ s_d + z_d)², and the slips code makes, for any D (σ a scalar)."""
    ss, zs = vectors["s"], vectors["z"]
    return sum((noise_scale * s + z) ** 2 for s, z in zip(ss, zs)), {
        "sign of the target score flipped: sigma^2 ||s - (x~ - x)/sigma^2||^2 = ||sigma s - z||^2":
            sum((noise_scale * s - z) ** 2 for s, z in zip(ss, zs)),
        "sigma in place of sigma^2 in the target's denominator: sigma^2 ||s + (x~ - x)/sigma||^2":
            sum((noise_scale * s + noise_scale * z) ** 2 for s, z in zip(ss, zs)),
        "the weighting lambda(sigma) = sigma^2 missing: ||s + z/sigma||^2":
            sum((s + z / noise_scale) ** 2 for s, z in zip(ss, zs)),
    }


DSM_LOSS_ANY_SIZE = AnySize((("D", 2),), (Vector("s", "D", "s", REAL, ("s1", "s2")), Vector("z", "D", "z", REAL, ("z1", "z2"))),
                            dsm_loss_any_size, correct=r"\sum_{d=1}^{D}(\sigma s_d + z_d)^2")


@claim("score.dsm.loss")
def score_dsm_loss() -> Claim:
    r"""λ(σ)‖s − ∇_x̃ log N(x̃; x, σ²I)‖² with λ(σ) = σ², at x̃ = x + σz: ‖σ s + z‖² (D = 2; any D)."""
    kernel_score = [sympy.Derivative(log_normal(xn, xc, noise_scale), xn) for xn, xc in zip(x_noisy, x_clean)]
    return Claim(
        title="Denoising score matching per example with λ(σ) = σ²: σ²‖s_θ + (x̃ − x)/σ²‖² = ‖σ s_θ + z‖² at x̃ = x + σz "
              "(Song & Ermon 2019; the loss of score_sde, NCSN's without its ½; D = 2, any D)",
        statement=r"\tilde x = x + \sigma z,\ \lambda(\sigma) = \sigma^2:\ "
                  r"\lambda(\sigma)\,\big\|s_\theta(\tilde x,\sigma) - \nabla_{\tilde x}\log\mathcal N(\tilde x; x, \sigma^2I)\big\|^2",
        variables=(*S_VEC, *Z_VEC, NOISE_SCALE),
        any_size=DSM_LOSS_ANY_SIZE,
        derivation=(
            Step(r"definition: the DSM loss of one example (Vincent 2011; Song & Ermon 2019, eqs. 2 and 6) with the perturbation "
                 r"kernel q_\sigma(\tilde x\mid x) = \mathcal N(\tilde x; x, \sigma^2 I) and the weight \lambda(\sigma) = \sigma^2: "
                 r"\sigma^2\sum_d (s_d - \partial_{\tilde x_d}\log q_\sigma(\tilde x\mid x))^2",
                 noise_scale**2 * sum((s - k) ** 2 for s, k in zip(s_vec, kernel_score))),
            Step(r"the kernel's score: \partial_{\tilde x_d}\log q_\sigma = -(\tilde x_d - x_d)/\sigma^2",
                 noise_scale**2 * sum((s + (xn - xc) / noise_scale**2) ** 2 for s, xn, xc in zip(s_vec, x_noisy, x_clean)),
                 op=lambda e: e.doit()),
            Step(r"at \tilde x = x + \sigma z: (\tilde x - x)/\sigma^2 = z/\sigma",
                 noise_scale**2 * sum((s + z / noise_scale) ** 2 for s, z in zip(s_vec, z_vec)),
                 op=lambda e: e.subs({xn: xc + noise_scale * z for xn, xc, z in zip(x_noisy, x_clean, z_vec)})),
            Step(r"\sigma^2(s_d + z_d/\sigma)^2 = (\sigma s_d + z_d)^2: \|\sigma s + z\|^2",
                 sum((noise_scale * s + z) ** 2 for s, z in zip(s_vec, z_vec))),
        ),
        wrong_variants=(
            WrongVariant("sign of the target score flipped: sigma^2 ||s - (x~ - x)/sigma^2||^2 = ||sigma s - z||^2",
                         sum((noise_scale * s - z) ** 2 for s, z in zip(s_vec, z_vec))),
            WrongVariant("sigma in place of sigma^2 in the target's denominator: sigma^2 ||s + (x~ - x)/sigma||^2",
                         sum((noise_scale * s + noise_scale * z) ** 2 for s, z in zip(s_vec, z_vec))),
            WrongVariant("the weighting lambda(sigma) = sigma^2 missing: ||s + z/sigma||^2",
                         sum((s + z / noise_scale) ** 2 for s, z in zip(s_vec, z_vec))),
        ),
    )
