r"""Guidance: the score of p(x|c)^γ p(x)^{1−γ}, classifier-free guidance in ε form, classifier guidance.

* ∇ₓ log(p(x|c)^γ p(x)^{1−γ}/Z_γ) = γ∇ log p(x|c) + (1 − γ)∇ log p(x): the normaliser Z_γ is free of x
  (claim score.normaliser), so the guided score is the γ-weighted combination;
* with ε = −√(1 − ᾱ_t) s at every noise level (claim ddpm.parameterisation.score-from-eps), the guided noise
  prediction is ε̃ = γ ε_c + (1 − γ) ε_u = (1 + w) ε_c − w ε_u = ε_u + s(ε_c − ε_u), with γ = 1 + w = s
  (Ho & Salimans 2022; the guidance scale s of 004 L3898);
* on a Gaussian pair p(x|c) = N(μ_c, σ_c²), p(x) = N(μ_u, σ_u²) the tilted density is Gaussian with
  precision γ/σ_c² + (1 − γ)/σ_u² and mean (γμ_c/σ_c² + (1 − γ)μ_u/σ_u²)/precision: for γ > 1 and
  σ_c < σ_u the variance shrinks below σ_c² and the mean moves past μ_c, away from μ_u (less diversity,
  more "adherence");
* classifier guidance (Dhariwal & Nichol 2021): ∇ log p(x|y) = ∇ log p(x) + ∇ log p(y|x) by Bayes' rule
  (∇ₓ log p(y) = 0), derived for a two-component Gaussian mixture with a Bayes classifier.

Sampling with ε̃ at every noise level does not sample the tilted p_0(x|c)^γ p_0(x)^{1−γ} exactly (the tilt of
the noisy marginals is not the noisy tilt); ``reference_models/samplers.py`` measures both on the Gaussian pair.

Seeds: 004 L3463–3472, L3885–3907, L3973; 001 L216–232.
"""

from __future__ import annotations

import sympy
from sympy import Integral, exp, log, oo, sqrt

from derivspec.core import (REAL, UNIT_INTERVAL, Claim, Defined, Source, Step, Var, WrongVariant, claim, positive_between,
                            real_between)
from derivspec.core.claims import Recognise
from derivspec.core.lectures import S001, S004
from derivspec.derivations.ddpm.posterior import log_normal

X = Var("x", "x", REAL)
GAMMA = Var("gamma", r"\gamma", positive_between(1.0, 4.0))
MU_C = Var("mu_c", r"\mu_c", real_between(-2.0, 2.0))
MU_U = Var("mu_u", r"\mu_u", real_between(-2.0, 2.0))
SIGMA_C = Var("sigma_c", r"\sigma_c", positive_between(0.3, 0.8))
SIGMA_U = Var("sigma_u", r"\sigma_u", positive_between(1.0, 2.0))
x, gamma, mu_c, mu_u, sigma_c, sigma_u = (v.symbol for v in (X, GAMMA, MU_C, MU_U, SIGMA_C, SIGMA_U))
y = sympy.Symbol("y", real=True)  # the integration variable of Z_γ


def tilted_log_density(at) -> sympy.Expr:
    """γ log N(at; μ_c, σ_c²) + (1 − γ) log N(at; μ_u, σ_u²), unnormalised."""
    return gamma * log_normal(at, mu_c, sigma_c) + (1 - gamma) * log_normal(at, mu_u, sigma_u)


@claim("score.guidance.tempered")
def score_guidance_tempered() -> Claim:
    r"""∇ log(p(x|c)^γ p(x)^{1−γ}) = γ∇log p(x|c) + (1 − γ)∇log p(x)."""
    normaliser = Integral(exp(tilted_log_density(y)), (y, -oo, oo))
    return Claim(
        title="Guided score: ∇ log(p(x|c)^γ p(x)^{1−γ}) = γ∇log p(x|c) + (1 − γ)∇log p(x) (Gaussian pair)",
        statement=r"\nabla_x\log\big(p(x\mid c)^\gamma p(x)^{1-\gamma}/Z_\gamma\big),\ p(x\mid c) = \mathcal N(\mu_c,\sigma_c^2),\ p(x) = \mathcal N(\mu_u,\sigma_u^2)",
        variables=(X, GAMMA, MU_C, SIGMA_C, MU_U, SIGMA_U),
        derivation=(
            Step(r"definition: \log\tilde p_\gamma(x) = \gamma\log p(x\mid c) + (1-\gamma)\log p(x) - \log Z_\gamma, "
                 r"Z_\gamma = \int p(y\mid c)^\gamma p(y)^{1-\gamma}dy", tilted_log_density(x) - log(normaliser)),
            Step(r"differentiate in x (Z_\gamma is free of x): \gamma\,(-(x-\mu_c)/\sigma_c^2) + (1-\gamma)(-(x-\mu_u)/\sigma_u^2)",
                 -gamma * (x - mu_c) / sigma_c**2 - (1 - gamma) * (x - mu_u) / sigma_u**2, op=lambda e: sympy.diff(e, x)),
        ),
        wrong_variants=(
            WrongVariant("unconditional term with the wrong sign",
                         -gamma * (x - mu_c) / sigma_c**2 + (1 - gamma) * (x - mu_u) / sigma_u**2),
            WrongVariant("conditional score scaled, unconditional dropped", -gamma * (x - mu_c) / sigma_c**2),
            WrongVariant("gamma on the wrong term: s_c + gamma s_u", -(x - mu_c) / sigma_c**2 - gamma * (x - mu_u) / sigma_u**2),
        ),
        sources=(
            Source(S004, "3903–3906", r"Unconditional: base distribution; Conditional: distribution given text; Difference: direction toward text alignment; Amplify: move further in that direction",
                   behaviour="guidance_moves_past_the_conditional_mean", at={"gamma": 3.0}),
            Source(S001, "232", r"This makes the score function **text-conditional** → text steers denoising.",
                   note="intuition; the conditional score enters the guided score of this claim"),
        ),
    )


EPS_C = Var("eps_c", r"\epsilon_c", REAL)
EPS_U = Var("eps_u", r"\epsilon_u", REAL)
eps_c, eps_u = EPS_C.symbol, EPS_U.symbol
W_SCALE = Defined("w", "w", gamma - 1)           # Ho & Salimans: ε̃ = (1 + w) ε_c − w ε_u
S_SCALE = Defined("s", "s", gamma)               # the notes' guidance scale: ε̃ = ε_u + s (ε_c − ε_u)
alpha_bar = sympy.Symbol("alpha_bar", positive=True)  # the noise level (cancels)
# a lecture's conditional and unconditional noise predictions, eps_theta(x_t, c) and eps_theta(x_t)
CFG_TERMS = {r"\epsilon_\theta(x_t, c)": eps_c, r"\epsilon_\theta(x_t)": eps_u}


@claim("score.guidance.cfg")
def score_guidance_cfg() -> Claim:
    r"""ε̃ = γ ε_c + (1 − γ) ε_u = (1 + w)ε_c − w ε_u = ε_u + s(ε_c − ε_u)."""
    scale = sqrt(1 - alpha_bar)
    return Claim(
        title="Classifier-free guidance: ε̃ = (1 + w)ε_c − w ε_u = ε_u + s(ε_c − ε_u), the ε of the score of "
              "p(x|c)^γ p(x)^{1−γ}, γ = 1 + w = s",
        # the guided noise prediction in the tilt gamma; "w" is left out: lectures use it both for gamma - 1
        # ((1 + w) eps_c - w eps_u) and for gamma (eps_u + w (eps_c - eps_u))
        recognise=(
            Recognise(r"\tilde\epsilon", requires=(r"\gamma",)),
            Recognise(r"\tilde\epsilon_\theta(x_t, c)", requires=(r"\gamma",), interpret=CFG_TERMS),
        ),
        statement=r"\tilde\epsilon = -\sqrt{1-\bar\alpha}\,\nabla\log\big(p_t(x\mid c)^\gamma p_t(x)^{1-\gamma}\big)",
        variables=(EPS_C, EPS_U, GAMMA),
        defined=(W_SCALE, S_SCALE),
        derivation=(
            Step(r"definition: \tilde\epsilon = -\sqrt{1-\bar\alpha}\,(\gamma s_c + (1-\gamma)s_u) (claim score.guidance.tempered) "
                 r"with s = -\epsilon/\sqrt{1-\bar\alpha} for each model (claim ddpm.parameterisation.score-from-eps)",
                 -scale * (gamma * (-eps_c / scale) + (1 - gamma) * (-eps_u / scale))),
            Step(r"\sqrt{1-\bar\alpha} cancels: \gamma\epsilon_c + (1-\gamma)\epsilon_u", gamma * eps_c + (1 - gamma) * eps_u),
        ),
        wrong_variants=(
            WrongVariant("unconditional term added, not subtracted: (1 + w) eps_c + w eps_u", gamma * eps_c + (gamma - 1) * eps_u),
            WrongVariant("w used where gamma = 1 + w belongs: w eps_c + (1 - w) eps_u", (gamma - 1) * eps_c + (2 - gamma) * eps_u),
            WrongVariant("conditional and unconditional swapped", gamma * eps_u + (1 - gamma) * eps_c),
        ),
        sources=(
            Source(S004, "3898", r"\epsilon_{\text{guided}} = \epsilon_{\text{uncond}} + s \cdot (\epsilon_{\text{cond}} - \epsilon_{\text{uncond}})",
                   expr=eps_u + gamma * (eps_c - eps_u), note="with the guidance scale s = γ = 1 + w"),
            Source(S004, "3899", r"s = guidance scale (typically 7-15)",
                   nothing_to_compare=True, note="a convention for the scale (γ = s = 7–15, i.e. w = 6–14); the effect of its size is checked with "
                        "claim score.guidance.gaussian-variance"),
            Source(S004, "3894–3895", r"Train one model with AND without conditioning; During training: randomly drop text (e.g., 10% of time)",
                   nothing_to_compare=True, note="the training recipe that yields ε_c and ε_u from one network; nothing to compare"),
            Source(S004, "3973", r"Guidance adds cost (2× passes for classifier-free)",
                   note="as stated: ε̃ needs ε_c and ε_u, two network evaluations per step (one batched pass of size 2)"),
            Source(S004, "3468–3472", r"Classifier-Free Guidance; Ho and Salimans [2022]; Conditioning without separate classifier; Joint training of conditional and unconditional models; Simplified training, better quality than classifier guidance",
                   note="history; the formula is this claim"),
        ),
    )


def tilted_precision() -> sympy.Expr:
    """γ/σ_c² + (1 − γ)/σ_u²."""
    return gamma / sigma_c**2 + (1 - gamma) / sigma_u**2


def quadratic_coefficients(e) -> tuple[sympy.Expr, sympy.Expr]:
    """(coefficient of x², coefficient of x) of a quadratic in x."""
    poly = sympy.Poly(sympy.expand(e), x)
    return poly.coeff_monomial(x**2), poly.coeff_monomial(x)


@claim("score.guidance.gaussian-variance")
def score_guidance_gaussian_variance() -> Claim:
    r"""Var of p(x|c)^γ p(x)^{1−γ} for Gaussians: 1/(γ/σ_c² + (1 − γ)/σ_u²)."""
    return Claim(
        title="Guidance shrinks a Gaussian's variance: the tilted N(μ_c,σ_c²)^γ N(μ_u,σ_u²)^{1−γ} has variance "
              "1/(γ/σ_c² + (1 − γ)/σ_u²) < σ_c² for γ > 1, σ_c < σ_u",
        statement=r"\mathrm{Var}\ \text{of}\ \mathcal N(\mu_c,\sigma_c^2)^\gamma\mathcal N(\mu_u,\sigma_u^2)^{1-\gamma}/Z_\gamma",
        variables=(GAMMA, SIGMA_C, SIGMA_U),
        derivation=(
            Step(r"definition: the tilted log-density \gamma\log\mathcal N(x;\mu_c,\sigma_c^2) + (1-\gamma)\log\mathcal N(x;\mu_u,\sigma_u^2) "
                 r"(up to \log Z_\gamma), a quadratic in x", tilted_log_density(x)),
            Step(r"completing the square: the precision is -2\times the coefficient of x^2, \gamma/\sigma_c^2 + (1-\gamma)/\sigma_u^2",
                 tilted_precision(), op=lambda e: -2 * quadratic_coefficients(e)[0]),
            Step(r"variance = 1/precision", 1 / (gamma / sigma_c**2 + (1 - gamma) / sigma_u**2), op=lambda e: 1 / e),
        ),
        wrong_variants=(
            WrongVariant("variances mixed instead of precisions", gamma * sigma_c**2 + (1 - gamma) * sigma_u**2),
            WrongVariant("conditional variance over gamma (unconditional ignored)", sigma_c**2 / gamma),
            WrongVariant("unconditional precision added, not subtracted", 1 / (gamma / sigma_c**2 + (gamma - 1) / sigma_u**2)),
        ),
        sources=(
            Source(S004, "3467", r"Trade-off: sample quality vs diversity via guidance scale",
                   behaviour="guidance_trades_diversity_for_adherence", at={"gamma_max": 8.0}),
            Source(S004, "3907", r"Trade: prompt adherence vs diversity",
                   behaviour="guidance_trades_diversity_for_adherence", at={"gamma_max": 8.0}),
            Source(S004, "3889–3890", r"How strongly to follow text prompt?; Need control: adherence vs diversity",
                   behaviour="guidance_trades_diversity_for_adherence", at={"gamma_max": 8.0}),
        ),
    )


@claim("score.guidance.gaussian-mean")
def score_guidance_gaussian_mean() -> Claim:
    r"""Mean of the tilted Gaussian: (γμ_c/σ_c² + (1 − γ)μ_u/σ_u²)/(γ/σ_c² + (1 − γ)/σ_u²)."""
    return Claim(
        title="Guidance shifts a Gaussian's mean: (γμ_c/σ_c² + (1 − γ)μ_u/σ_u²)/(γ/σ_c² + (1 − γ)/σ_u²), past μ_c away from μ_u",
        statement=r"\mathbb E\ \text{under}\ \mathcal N(\mu_c,\sigma_c^2)^\gamma\mathcal N(\mu_u,\sigma_u^2)^{1-\gamma}/Z_\gamma",
        variables=(GAMMA, MU_C, SIGMA_C, MU_U, SIGMA_U),
        derivation=(
            Step(r"definition: the tilted log-density, a quadratic in x (claim score.guidance.gaussian-variance)", tilted_log_density(x)),
            Step(r"completing the square: the mean is -(\text{coefficient of } x)/(2\times\text{coefficient of } x^2)",
                 (gamma * mu_c / sigma_c**2 + (1 - gamma) * mu_u / sigma_u**2) / tilted_precision(),
                 op=lambda e: -quadratic_coefficients(e)[1] / (2 * quadratic_coefficients(e)[0])),
        ),
        wrong_variants=(
            WrongVariant("means mixed linearly: gamma mu_c + (1 - gamma) mu_u", gamma * mu_c + (1 - gamma) * mu_u),
            WrongVariant("no shift: mu_c", mu_c + 0 * gamma),
            WrongVariant("precision weights swapped",
                         (gamma * mu_c / sigma_u**2 + (1 - gamma) * mu_u / sigma_c**2) / (gamma / sigma_u**2 + (1 - gamma) / sigma_c**2)),
        ),
    )


MU1 = Var("mu1", r"\mu_1", real_between(-2.0, 2.0))
MU2 = Var("mu2", r"\mu_2", real_between(-2.0, 2.0))
SIGMA = Var("sigma", r"\sigma", positive_between(0.5, 2.0))
PI1 = Var("pi1", r"\pi_1", UNIT_INTERVAL)
mu1, mu2, sigma, pi1 = (v.symbol for v in (MU1, MU2, SIGMA, PI1))


def component(at, mean) -> sympy.Expr:
    """N(at; mean, σ²)."""
    return exp(-(at - mean) ** 2 / (2 * sigma**2)) / sqrt(2 * sympy.pi * sigma**2)


@claim("score.guidance.classifier")
def score_guidance_classifier() -> Claim:
    r"""∇log p(x) + ∇log p(y=1|x) = ∇log p(x|y=1) on p(x) = π₁N(μ₁,σ²) + (1 − π₁)N(μ₂,σ²)."""
    evidence = pi1 * component(x, mu1) + (1 - pi1) * component(x, mu2)
    classifier = pi1 * component(x, mu1) / evidence
    return Claim(
        title="Classifier guidance: ∇log p(x) + ∇log p(y|x) = ∇log p(x|y) (Bayes; ∇ₓ log p(y) = 0), two-component mixture",
        statement=r"\nabla_x\log p(x) + \nabla_x\log p(y=1\mid x),\ p(x) = \pi_1\mathcal N(\mu_1,\sigma^2) + (1-\pi_1)\mathcal N(\mu_2,\sigma^2)",
        variables=(X, MU1, MU2, SIGMA, PI1),
        derivation=(
            Step(r"definition: the unconditional score plus the gradient of the Bayes classifier's log-probability, "
                 r"p(y=1\mid x) = \pi_1\mathcal N(x;\mu_1,\sigma^2)/p(x)", sympy.diff(log(evidence), x) + sympy.diff(log(classifier), x)),
            Step(r"Bayes: \log p(x) + \log p(y\mid x) = \log p(x\mid y) + \log p(y) and \log p(y) = \log\pi_1 is free of x: "
                 r"\nabla_x\log\mathcal N(x;\mu_1,\sigma^2) = -(x-\mu_1)/\sigma^2", -(x - mu1) / sigma**2),
        ),
        wrong_variants=(
            WrongVariant("the classifier gradient alone", sympy.diff(log(classifier), x)),
            WrongVariant("classifier gradient subtracted", sympy.diff(log(evidence), x) - sympy.diff(log(classifier), x)),
            WrongVariant("the unconditional score alone", sympy.diff(log(evidence), x)),
        ),
        sources=(
            Source(S004, "3466", r"Guides diffusion process using \nabla_{\mathbf{x}} \log p(y|\mathbf{x})",
                   expr=sympy.diff(log(classifier), x), to_target=lambda g: g + sympy.diff(log(evidence), x),
                   note=r"the guidance term, added to the unconditional score \nabla\log p(x)"),
            Source(S004, "3463–3465", r"Classifier Guidance; Dhariwal and Nichol [2021] “Diffusion Models Beat GANs on Image Synthesis”; Conditional generation via classifier gradients",
                   note="history; the formula is L3466"),
        ),
    )
