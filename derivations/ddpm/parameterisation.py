r"""Conversions between the ε-, x₀-, v- and score-parameterisations, and the optimal denoiser (Tweedie).

All from the forward jump x_t = √ᾱ_t x_0 + √(1 − ᾱ_t) ε (claims ddpm.marginal.*), ᾱ_t = α_t ᾱ_{t−1}:

* x̂_0 = (x_t − √(1 − ᾱ_t) ε̂)/√ᾱ_t and ε̂ = (x_t − √ᾱ_t x̂_0)/√(1 − ᾱ_t) (the jump solved);
* s = −ε/√(1 − ᾱ_t): the conditional score in noise form, and the conversion between an ε-network and a
  score network (for the optimal predictors: ε* = E[ε | x_t] = −√(1 − ᾱ_t)∇ log q_t, claim ddpm.tweedie);
* v = √ᾱ_t ε − √(1 − ᾱ_t) x_0 = d x_φ/dφ for x_φ = cos φ x_0 + sin φ ε, cos φ = √ᾱ_t (Salimans & Ho
  2022), and back: x̂_0 = √ᾱ_t x_t − √(1 − ᾱ_t) v̂, ε̂ = √(1 − ᾱ_t) x_t + √ᾱ_t v̂;
* the MSE-optimal denoiser is the posterior mean, and Tweedie's formula writes it with the score:
  E[x_0 | x_t] = (x_t + (1 − ᾱ_t)∇ log q_t(x_t))/√ᾱ_t (Gaussian data here; a Gaussian mixture is checked
  exactly in property_tests/test_ddpm_parameterisation.py).

These are the helper formulas where public diffusion code has had bugs (α_t where ᾱ_t belongs, a
missing square root, the v-coefficients swapped): each is a claim a user can ``check``.

Seeds: 004 L3354, L3373, L3687.
"""

from __future__ import annotations

import sympy
from sympy import Rational, cos, sin, sqrt

from derivspec.core import REAL, Claim, Source, Step, Var, WrongVariant, claim, target_of
from derivspec.core.claims import Recognise
from derivspec.core.lectures import S000, S003, S004
from derivspec.derivations.ddpm.forward import (ALPHA_BAR_PREV, ALPHA_T, DEFINED, EPS, X0, XT, alpha_bar_t, alpha_t, eps,
                                                x0, xt)
from derivspec.derivations.ddpm.loss import (JOINT_WHY, MU0, POSTERIOR_WHY, S0, data_and_noise_log_joint, mu0,
                                             posterior_mean_of_x0, s0)
from derivspec.derivations.moments import completed_square
from derivspec.derivations.ddpm.posterior import log_normal

V = Var("v", "v", REAL)
v = V.symbol
phi = sympy.Symbol("phi", real=True)  # the angle with cos φ = √ᾱ_t, sin φ = √(1 − ᾱ_t)


def jump_residual() -> sympy.Expr:
    """x_t − √ᾱ_t x_0 − √(1 − ᾱ_t) ε: zero on the forward jump."""
    return xt - sqrt(alpha_bar_t) * x0 - sqrt(1 - alpha_bar_t) * eps


@claim("ddpm.parameterisation.x0-from-eps")
def ddpm_parameterisation_x0_from_eps() -> Claim:
    r"""x̂_0 = (x_t − √(1 − ᾱ_t) ε)/√ᾱ_t."""
    return Claim(
        title="x̂₀ from the noise: (x_t − √(1 − ᾱ_t) ε)/√ᾱ_t (the forward jump solved for x₀)",
        recognise=(Recognise(r"\hat x_0", requires=(r"\epsilon", r"x_t")),),
        statement=r"\hat x_0(x_t, \epsilon),\ x_t = \sqrt{\bar\alpha_t}x_0 + \sqrt{1-\bar\alpha_t}\epsilon",
        variables=(XT, EPS, ALPHA_T, ALPHA_BAR_PREV),
        defined=DEFINED,
        derivation=(
            Step(r"definition: the forward jump x_t = \sqrt{\bar\alpha_t}x_0 + \sqrt{1-\bar\alpha_t}\epsilon (claims ddpm.marginal.*), "
                 r"written x_t - \sqrt{\bar\alpha_t}x_0 - \sqrt{1-\bar\alpha_t}\epsilon = 0", jump_residual()),
            Step(r"solve for x_0", (xt - sqrt(1 - alpha_bar_t) * eps) / sqrt(alpha_bar_t),
                 op=lambda r: sympy.solve(r, x0)[0]),
        ),
        wrong_variants=(
            WrongVariant("alpha_t in place of alpha_bar_t (one step, not the cumulative product)",
                         (xt - sqrt(1 - alpha_t) * eps) / sqrt(alpha_t)),
            WrongVariant("missing square root on 1 - alpha_bar_t", (xt - (1 - alpha_bar_t) * eps) / sqrt(alpha_bar_t)),
            WrongVariant("divided by alpha_bar_t, not its square root", (xt - sqrt(1 - alpha_bar_t) * eps) / alpha_bar_t),
            WrongVariant("noise added, not removed", (xt + sqrt(1 - alpha_bar_t) * eps) / sqrt(alpha_bar_t)),
        ),
        sources=(
            Source(S003, "549–551", r"x_t = \sqrt{\bar{\alpha}_t} x_0 + \sqrt{1 - \bar{\alpha}_t} \epsilon, \quad \epsilon \sim \mathcal{N}(0, I) exists exactly because sums of independent Gaussians are Gaussian",
                   expr=(xt - sqrt(1 - alpha_bar_t) * eps) / sqrt(alpha_bar_t), note="the jump as written, solved for x_0"),
            Source(S000, "334–339", r"We take a clean image and add 50% static to it. Output: The Noise. Strangely, the model is trained to predict what the static looks like, so we can subtract it.",
                   note="'subtract it' holds up to the schedule's scaling: x̂_0 = (x_t − √(1−ᾱ_t) ε̂)/√ᾱ_t (this claim); "
                        "'50 % static' does not say how image and noise are mixed, so nothing is compared"),
        ),
    )


@claim("ddpm.parameterisation.eps-from-x0")
def ddpm_parameterisation_eps_from_x0() -> Claim:
    r"""ε̂ = (x_t − √ᾱ_t x̂_0)/√(1 − ᾱ_t)."""
    return Claim(
        title="ε̂ from an x₀-prediction: (x_t − √ᾱ_t x̂₀)/√(1 − ᾱ_t)",
        recognise=(Recognise(r"\hat\epsilon", requires=(r"x_0", r"x_t")),),
        statement=r"\hat\epsilon(x_t, x_0),\ x_t = \sqrt{\bar\alpha_t}x_0 + \sqrt{1-\bar\alpha_t}\epsilon",
        variables=(XT, X0, ALPHA_T, ALPHA_BAR_PREV),
        defined=DEFINED,
        derivation=(
            Step(r"definition: the forward jump, x_t - \sqrt{\bar\alpha_t}x_0 - \sqrt{1-\bar\alpha_t}\epsilon = 0", jump_residual()),
            Step(r"solve for \epsilon", (xt - sqrt(alpha_bar_t) * x0) / sqrt(1 - alpha_bar_t),
                 op=lambda r: sympy.solve(r, eps)[0]),
        ),
        wrong_variants=(
            WrongVariant("square roots swapped", (xt - sqrt(1 - alpha_bar_t) * x0) / sqrt(alpha_bar_t)),
            WrongVariant("alpha_t in place of alpha_bar_t", (xt - sqrt(alpha_t) * x0) / sqrt(1 - alpha_t)),
            WrongVariant("missing square root on alpha_bar_t", (xt - alpha_bar_t * x0) / sqrt(1 - alpha_bar_t)),
        ),
    )


@claim("ddpm.parameterisation.score-from-eps")
def ddpm_parameterisation_score_from_eps() -> Claim:
    r"""s = −ε/√(1 − ᾱ_t): the conditional score in noise form, and the ε-network ↔ score-network conversion."""
    return Claim(
        title="Score from noise: ∇_{x_t} log q(x_t|x₀) = −ε/√(1 − ᾱ_t); likewise s_θ = −ε_θ/√(1 − ᾱ_t) for the networks",
        recognise=(Recognise(r"\nabla_{x_t} \log q(x_t \mid x_0)", requires=(r"\epsilon",)),),
        statement=r"\nabla_{x_t}\log q(x_t\mid x_0)\ \text{at}\ x_t = \sqrt{\bar\alpha_t}x_0 + \sqrt{1-\bar\alpha_t}\epsilon",
        variables=(EPS, ALPHA_T, ALPHA_BAR_PREV),
        defined=DEFINED,
        derivation=(
            Step(r"the conditional score -(x_t - \sqrt{\bar\alpha_t}x_0)/(1-\bar\alpha_t) (claim score.dsm.conditional)",
                 target_of("score.dsm.conditional")),
            Step(r"at x_t = \sqrt{\bar\alpha_t}x_0 + \sqrt{1-\bar\alpha_t}\epsilon: -\epsilon/\sqrt{1-\bar\alpha_t}. Averaged over "
                 r"x_0 given x_t this is the marginal score (claim score.dsm.minimiser), and the optimal noise predictor is "
                 r"E[\epsilon\mid x_t] (claim ddpm.tweedie): s_\theta = -\epsilon_\theta/\sqrt{1-\bar\alpha_t}",
                 -eps / sqrt(1 - alpha_bar_t),
                 op=lambda f: f.subs(xt, sqrt(alpha_bar_t) * x0 + sqrt(1 - alpha_bar_t) * eps)),
        ),
        wrong_variants=(
            WrongVariant("divided by the variance 1 - alpha_bar_t", -eps / (1 - alpha_bar_t)),
            WrongVariant("sign flipped", eps / sqrt(1 - alpha_bar_t)),
            WrongVariant("multiplied by sqrt(1 - alpha_bar_t) (the inverse conversion)", -eps * sqrt(1 - alpha_bar_t)),
            WrongVariant("alpha_t in place of alpha_bar_t", -eps / sqrt(1 - alpha_t)),
        ),
        sources=(
            Source(S004, "3687", r"Mathematical equivalence: \epsilon_\theta(\mathbf{x}_t, t) \approx -\sqrt{1 - \bar{\alpha}_t} \nabla \log p(\mathbf{x}_t)",
                   expr=-eps / sqrt(1 - alpha_bar_t),
                   note=r"solved for the score: \nabla\log p(x_t) \approx -\epsilon_\theta/\sqrt{1-\bar\alpha_t}"),
            Source(S004, "3373", r"Parameterization: predict noise \boldsymbol{\epsilon}",
                   note="names the ε-parameterisation; this claim converts it to the score"),
            Source(S004, "3354", r"DM: \epsilon_\theta(\mathbf{x}_t, t) learns noise prediction conditioned on timestep",
                   note="a description of the network; its conversion to a score is this claim"),
        ),
    )


@claim("ddpm.parameterisation.v")
def ddpm_parameterisation_v() -> Claim:
    r"""v = √ᾱ_t ε − √(1 − ᾱ_t) x_0 = d x_φ/dφ, x_φ = cos φ x_0 + sin φ ε."""
    return Claim(
        title="The v-target: v = √ᾱ_t ε − √(1 − ᾱ_t) x₀, the velocity d x_φ/dφ of x_φ = cos φ x₀ + sin φ ε (Salimans & Ho)",
        statement=r"v = \frac{d x_\phi}{d\phi},\ x_\phi = \cos\phi\,x_0 + \sin\phi\,\epsilon,\ \cos\phi = \sqrt{\bar\alpha_t}",
        variables=(X0, EPS, ALPHA_T, ALPHA_BAR_PREV),
        defined=DEFINED,
        derivation=(
            Step(r"definition: the forward jump as a rotation, x_\phi = \cos\phi\,x_0 + \sin\phi\,\epsilon "
                 r"(\cos^2\phi + \sin^2\phi = \bar\alpha_t + 1 - \bar\alpha_t = 1)", cos(phi) * x0 + sin(phi) * eps),
            Step(r"differentiate in \phi", -sin(phi) * x0 + cos(phi) * eps, op=lambda f: sympy.diff(f, phi)),
            Step(r"at \cos\phi = \sqrt{\bar\alpha_t}, \sin\phi = \sqrt{1-\bar\alpha_t}", sqrt(alpha_bar_t) * eps - sqrt(1 - alpha_bar_t) * x0,
                 op=lambda f: f.subs({cos(phi): sqrt(alpha_bar_t), sin(phi): sqrt(1 - alpha_bar_t)})),
        ),
        wrong_variants=(
            WrongVariant("coefficients swapped", sqrt(1 - alpha_bar_t) * eps - sqrt(alpha_bar_t) * x0),
            WrongVariant("sign flipped (the minus of v)", sqrt(1 - alpha_bar_t) * x0 - sqrt(alpha_bar_t) * eps),
            WrongVariant("without square roots", alpha_bar_t * eps - (1 - alpha_bar_t) * x0),
        ),
    )


def v_residual_without_eps() -> sympy.Expr:
    """v − (√ᾱ ε − √(1−ᾱ) x_0) with ε = (x_t − √ᾱ x_0)/√(1 − ᾱ) from the jump."""
    noise = (xt - sqrt(alpha_bar_t) * x0) / sqrt(1 - alpha_bar_t)
    return v - (sqrt(alpha_bar_t) * noise - sqrt(1 - alpha_bar_t) * x0)


def v_residual_without_x0() -> sympy.Expr:
    """v − (√ᾱ ε − √(1−ᾱ) x_0) with x_0 = (x_t − √(1 − ᾱ) ε)/√ᾱ from the jump."""
    clean = (xt - sqrt(1 - alpha_bar_t) * eps) / sqrt(alpha_bar_t)
    return v - (sqrt(alpha_bar_t) * eps - sqrt(1 - alpha_bar_t) * clean)


@claim("ddpm.parameterisation.x0-from-v")
def ddpm_parameterisation_x0_from_v() -> Claim:
    r"""x̂_0 = √ᾱ_t x_t − √(1 − ᾱ_t) v̂."""
    return Claim(
        title="x̂₀ from a v-prediction: √ᾱ_t x_t − √(1 − ᾱ_t) v̂ (rotating (x_t, v) back)",
        statement=r"\hat x_0(x_t, v),\ v = \sqrt{\bar\alpha_t}\epsilon - \sqrt{1-\bar\alpha_t}x_0",
        variables=(XT, V, ALPHA_T, ALPHA_BAR_PREV),
        defined=DEFINED,
        derivation=(
            Step(r"definition of v (claim ddpm.parameterisation.v) with \epsilon = (x_t - \sqrt{\bar\alpha_t}x_0)/\sqrt{1-\bar\alpha_t} "
                 r"from the jump: v - (\sqrt{\bar\alpha_t}\epsilon - \sqrt{1-\bar\alpha_t}x_0) = 0", v_residual_without_eps()),
            Step(r"solve for x_0 (\bar\alpha_t + 1 - \bar\alpha_t = 1)", sqrt(alpha_bar_t) * xt - sqrt(1 - alpha_bar_t) * v,
                 op=lambda r: sympy.solve(r, x0)[0]),
        ),
        wrong_variants=(
            WrongVariant("coefficients swapped", sqrt(1 - alpha_bar_t) * xt - sqrt(alpha_bar_t) * v),
            WrongVariant("sign of v flipped", sqrt(alpha_bar_t) * xt + sqrt(1 - alpha_bar_t) * v),
            WrongVariant("the epsilon conversion used for x0", sqrt(1 - alpha_bar_t) * xt + sqrt(alpha_bar_t) * v),
        ),
    )


@claim("ddpm.parameterisation.eps-from-v")
def ddpm_parameterisation_eps_from_v() -> Claim:
    r"""ε̂ = √(1 − ᾱ_t) x_t + √ᾱ_t v̂."""
    return Claim(
        title="ε̂ from a v-prediction: √(1 − ᾱ_t) x_t + √ᾱ_t v̂",
        statement=r"\hat\epsilon(x_t, v),\ v = \sqrt{\bar\alpha_t}\epsilon - \sqrt{1-\bar\alpha_t}x_0",
        variables=(XT, V, ALPHA_T, ALPHA_BAR_PREV),
        defined=DEFINED,
        derivation=(
            Step(r"definition of v with x_0 = (x_t - \sqrt{1-\bar\alpha_t}\epsilon)/\sqrt{\bar\alpha_t} from the jump",
                 v_residual_without_x0()),
            Step(r"solve for \epsilon", sqrt(1 - alpha_bar_t) * xt + sqrt(alpha_bar_t) * v,
                 op=lambda r: sympy.solve(r, eps)[0]),
        ),
        wrong_variants=(
            WrongVariant("coefficients swapped", sqrt(alpha_bar_t) * xt + sqrt(1 - alpha_bar_t) * v),
            WrongVariant("sign of v flipped", sqrt(1 - alpha_bar_t) * xt - sqrt(alpha_bar_t) * v),
            WrongVariant("the x0 conversion used for epsilon", sqrt(alpha_bar_t) * xt - sqrt(1 - alpha_bar_t) * v),
        ),
    )


def noisy_variance() -> sympy.Expr:
    """Var x_t = ᾱ_t s_0² + 1 − ᾱ_t for x_0 ~ N(μ_0, s_0²)."""
    return alpha_bar_t * s0**2 + 1 - alpha_bar_t


@claim("ddpm.parameterisation.tweedie-x0")
def ddpm_parameterisation_tweedie_x0() -> Claim:
    r"""argmin_D E[(x_0 − D(x_t))²] = E[x_0 | x_t] = (x_t + (1 − ᾱ_t)∇ log q_t(x_t))/√ᾱ_t."""
    noisy_marginal = log_normal(xt, sqrt(alpha_bar_t) * mu0, sqrt(noisy_variance()))
    score = -(xt - sqrt(alpha_bar_t) * mu0) / noisy_variance()
    return Claim(
        title="Optimal denoiser = posterior mean, by Tweedie: E[x₀|x_t] = (x_t + (1 − ᾱ_t)∇log q_t(x_t))/√ᾱ_t "
              "(Gaussian data x₀ ~ N(μ₀, s₀²); a mixture in the tests)",
        statement=r"\arg\min_D\mathbb E[(x_0 - D(x_t))^2] = \mathbb E[x_0\mid x_t],\ x_0\sim\mathcal N(\mu_0, s_0^2)",
        variables=(XT, ALPHA_T, ALPHA_BAR_PREV, MU0, S0),
        defined=DEFINED,
        derivation=(
            Step(JOINT_WHY, data_and_noise_log_joint(alpha_bar_t)),
            Step(r"the MSE-optimal denoiser is the posterior mean (E[(x_0 - D)^2\mid x_t] = \mathrm{Var}[x_0\mid x_t] + "
                 r"(E[x_0\mid x_t] - D)^2); " + POSTERIOR_WHY,
                 posterior_mean_of_x0(alpha_bar_t), op=lambda e: completed_square(e, x0)[0]),
            Step(r"Tweedie's form: (x_t + (1-\bar\alpha_t)\cdot(-(x_t - \sqrt{\bar\alpha_t}\mu_0)/\mathrm{Var}\,x_t))/\sqrt{\bar\alpha_t}",
                 (xt + (1 - alpha_bar_t) * score) / sqrt(alpha_bar_t)),
            Step(r"with -(x_t - \sqrt{\bar\alpha_t}\mu_0)/\mathrm{Var}\,x_t = \nabla_{x_t}\log q_t(x_t), the score of the noisy marginal",
                 (xt + (1 - alpha_bar_t) * score) / sqrt(alpha_bar_t),
                 equals=(xt + (1 - alpha_bar_t) * sympy.diff(noisy_marginal, xt)) / sqrt(alpha_bar_t)),
        ),
        wrong_variants=(
            WrongVariant("score term with the wrong sign", (xt - (1 - alpha_bar_t) * score) / sqrt(alpha_bar_t)),
            WrongVariant("standard deviation sqrt(1 - alpha_bar_t) in place of the variance",
                         (xt + sqrt(1 - alpha_bar_t) * score) / sqrt(alpha_bar_t)),
            WrongVariant("x_t rescaled only, no denoising", xt / sqrt(alpha_bar_t)),
            WrongVariant("multiplied by sqrt(alpha_bar_t), not divided", (xt + (1 - alpha_bar_t) * score) * sqrt(alpha_bar_t)),
        ),
        sources=tuple(
            Source(S004, "3413–3418", r"Network must handle \mathbf{x}_t for all t \in \{1, \dots, T\}; Different noise levels = different tasks; Conditioning on t essential; Must learn T different denoisings",
                   value=value, decimals=3, at={"xt": 1, "mu0": 0, "s0": 1, "alpha_t": level, "alpha_bar_prev": level},
                   note=f"the optimal denoiser differs per t (the numbers are ours): for data N(0, 1) at x_t = 1 it gives "
                        f"{value} at ᾱ_t = {level ** 2}, against {other} at the other noise level checked here, so one "
                        "network must be told t")
            for level, value, other in ((Rational(1, 2), 0.5, 0.9), (Rational(9, 10), 0.9, 0.5))),
    )
