r"""The signal-to-noise ratio of the forward jump, and the min-SNR-γ loss weight.

* SNR(t) = ᾱ_t/(1 − ᾱ_t): the squared coefficient of x_0 in q(x_t | x_0) = N(√ᾱ_t x_0, 1 − ᾱ_t) over the
  variance (Kingma et al. 2021, "Variational Diffusion Models", eq. 2: SNR = α²/σ²); diffusers'
  ``compute_snr`` returns (√ᾱ/√(1 − ᾱ))².
* Min-SNR-γ (Hang et al. 2023, "Efficient Diffusion Training via Min-SNR Weighting Strategy", eq. 7 and
  §3.4): the loss on the x_0 error is weighted by min(SNR(t), γ) (γ = 5 in the paper). For an ε-prediction
  network, x̂_0 = (x_t − √(1 − ᾱ_t) ε_θ)/√ᾱ_t, so ‖x_0 − x̂_0‖² = SNR⁻¹ ‖ε − ε_θ‖² and the same loss written
  on the ε error has the weight **min(SNR, γ)/SNR** (derived here). The other parameterisations, by the same
  relation: x_0-prediction min(SNR, γ); v-prediction min(SNR, γ)/(SNR + 1), since ‖x_0 − x̂_0‖² =
  (1 − ᾱ_t)‖v − v̂‖² = ‖v − v̂‖²/(SNR + 1) (property_tests/test_ddpm_code.py checks it).

No seed states either; the sources are the papers above.
"""

from __future__ import annotations

import sympy
from sympy import Max, Min, sqrt

from derivspec.core import Claim, Step, Var, WrongVariant, claim, positive_between, target_of
from derivspec.derivations.ddpm.forward import ALPHA_BAR_PREV, ALPHA_T, DEFINED, alpha_bar_t, x0

GAMMA = Var("gamma", r"\gamma", positive_between(0.5, 8.0))
gamma = GAMMA.symbol
e = sympy.Symbol("e", real=True)                  # the forward noise ε
eps_theta = sympy.Symbol("eps_theta", real=True)  # the network's noise prediction ε_θ(x_t)


def snr() -> sympy.Expr:
    """SNR(t) = ᾱ_t/(1 − ᾱ_t), as written (wrong variants, the min-SNR derivation)."""
    return alpha_bar_t / (1 - alpha_bar_t)


@claim("ddpm.snr")
def ddpm_snr() -> Claim:
    """SNR(t) = E[x_t | x_0]² / (x_0² Var[x_t | x_0]) = ᾱ_t/(1 − ᾱ_t)."""
    return Claim(
        title="Signal-to-noise ratio of the forward jump: SNR(t) = ᾱ_t/(1 − ᾱ_t) (the squared signal coefficient over "
              "the noise variance)",
        statement=r"\mathrm{SNR}(t) = \frac{E[x_t\mid x_0]^2}{x_0^2\,\mathrm{Var}[x_t\mid x_0]}",
        variables=(ALPHA_T, ALPHA_BAR_PREV),
        defined=DEFINED,
        derivation=(
            Step(r"definition (Kingma et al. 2021): for x_t = a\,x_0 + \text{noise}, \mathrm{SNR} = a^2/\mathrm{Var(noise)} = "
                 r"E[x_t\mid x_0]^2/(x_0^2\,\mathrm{Var}[x_t\mid x_0]), with the forward marginal's mean and variance (claims "
                 r"ddpm.marginal.mean, ddpm.marginal.variance)",
                 target_of("ddpm.marginal.mean") ** 2 / (x0**2 * target_of("ddpm.marginal.variance"))),
            Step(r"x_0^2 cancels: \bar\alpha_t/(1-\bar\alpha_t)", snr()),
        ),
        wrong_variants=(
            WrongVariant("the ratio of standard deviations sqrt(alpha_bar_t)/sqrt(1 - alpha_bar_t), not squared",
                         sqrt(alpha_bar_t) / sqrt(1 - alpha_bar_t)),
            WrongVariant("inverted: (1 - alpha_bar_t)/alpha_bar_t (noise over signal)", (1 - alpha_bar_t) / alpha_bar_t),
            WrongVariant("the one-step alpha_t/(1 - alpha_t) in place of alpha_bar_t", ALPHA_T.symbol / (1 - ALPHA_T.symbol)),
        ),
    )


def x0_error_of_eps_network() -> sympy.Expr:
    """x_0 − x̂_0 with x̂_0 = (x_t − √(1 − ᾱ_t) ε_θ)/√ᾱ_t and x_t = √ᾱ_t x_0 + √(1 − ᾱ_t) ε, as written."""
    xt = sqrt(alpha_bar_t) * x0 + sqrt(1 - alpha_bar_t) * e
    return x0 - (xt - sqrt(1 - alpha_bar_t) * eps_theta) / sqrt(alpha_bar_t)


@claim("ddpm.loss.min-snr")
def ddpm_loss_min_snr() -> Claim:
    """The min-SNR-γ weight on the ε-MSE: min(SNR, γ)/SNR (from min(SNR, γ) on the x_0-MSE)."""
    return Claim(
        title="Min-SNR-γ for ε-prediction: the weight on ‖ε − ε_θ‖² is min(SNR(t), γ)/SNR(t) "
              "(min(SNR, γ) on the x₀ error; min(SNR, γ)/(SNR + 1) on the v error)",
        statement=r"\hat x_0 = (x_t - \sqrt{1-\bar\alpha_t}\,\epsilon_\theta)/\sqrt{\bar\alpha_t}:\ "
                  r"\min(\mathrm{SNR}(t),\gamma)\,\|x_0-\hat x_0\|^2/\|\epsilon-\epsilon_\theta\|^2",
        variables=(ALPHA_T, ALPHA_BAR_PREV, GAMMA),
        defined=DEFINED,
        derivation=(
            Step(r"definition (Hang et al. 2023): the min-SNR-\gamma loss of one example weights the x_0 error by "
                 r"\min(\mathrm{SNR}(t),\gamma) (claim ddpm.snr); an \epsilon-network's x_0 is \hat x_0 = (x_t - "
                 r"\sqrt{1-\bar\alpha_t}\epsilon_\theta)/\sqrt{\bar\alpha_t} at x_t = \sqrt{\bar\alpha_t}x_0 + \sqrt{1-\bar\alpha_t}\epsilon",
                 Min(target_of("ddpm.snr"), gamma) * x0_error_of_eps_network() ** 2),
            Step(r"the x_0 error is \sqrt{(1-\bar\alpha_t)/\bar\alpha_t}\,(\epsilon_\theta - \epsilon): "
                 r"\|x_0-\hat x_0\|^2 = \mathrm{SNR}^{-1}\|\epsilon-\epsilon_\theta\|^2",
                 Min(snr(), gamma) * (1 - alpha_bar_t) / alpha_bar_t * (e - eps_theta) ** 2),
            Step(r"the weight on \|\epsilon-\epsilon_\theta\|^2: divide by (\epsilon-\epsilon_\theta)^2",
                 Min(snr(), gamma) * (1 - alpha_bar_t) / alpha_bar_t, op=lambda f: f / (e - eps_theta) ** 2),
            Step(r"= \min(\mathrm{SNR}, \gamma)/\mathrm{SNR}", Min(snr(), gamma) / snr()),
        ),
        wrong_variants=(
            WrongVariant("min(SNR, gamma) without /SNR (the x0-prediction weight used on the epsilon-MSE)", Min(snr(), gamma)),
            WrongVariant("max in place of min: max(SNR, gamma)/SNR", Max(snr(), gamma) / snr()),
            WrongVariant("SNR inverted: (1 - alpha_bar_t)/alpha_bar_t used as the SNR", Min(1 / snr(), gamma) * snr()),
        ),
    )
