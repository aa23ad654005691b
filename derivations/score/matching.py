r"""Score matching: the score needs no normaliser, Hyvärinen's identity, and its minimiser.

* p(x) = p̃(x)/Z with Z = ∫ p̃ has log p = log p̃ − log Z, and Z does not depend on x, so
  ∇ₓ log p = ∇ₓ log p̃: the score of an energy model is computable without its partition function
  (derived for the quartic energy E(x) = a x⁴/4 + b x²/2, whose Z has no closed form).
* Hyvärinen (2005): the explicit objective ½E_p[(s_θ − ∂ₓ log p)²] equals the implicit one
  E_p[½ s_θ² + ∂ₓ s_θ] plus ½E_p[(∂ₓ log p)²], a constant in θ: expanding the square, the cross term
  −E_p[s_θ ∂ₓ log p] = −∫ s_θ p′ dx = E_p[∂ₓ s_θ] by integration by parts (1-D, the boundary term
  s_θ p vanishes at ±∞). Derived for Gaussian data N(μ, σ²) and the Gaussian score family
  s_θ(x) = −θ₁x + θ₂; the identity for non-Gaussian data and non-linear s_θ is checked numerically
  (quadrature, behaviour source at 004 L1696).
* Minimising the implicit objective over that family gives θ₁ = 1/σ², θ₂ = μ/σ²: the fitted score is
  the data's score −(x − μ)/σ², so the Gaussian's parameters are recovered from samples alone.

Seeds: 001 L167–189; 004 L1690–1696, L3346, L3679–3681; 001 L236.
"""

from __future__ import annotations

import sympy
from sympy import Integral, exp, log, oo

from derivspec.core import REAL, Claim, Source, Step, Var, WrongVariant, claim, positive_between, real_between, target_of
from derivspec.core.lectures import S001, S004
from derivspec.derivations.ddpm.posterior import log_normal
from derivspec.derivations.moments import gaussian_expectation

X = Var("x", "x", REAL)
A = Var("a", "a", positive_between(0.2, 2.0))   # quartic coefficient of the energy (a > 0: normalisable)
B = Var("b", "b", real_between(-2.0, 2.0))      # quadratic coefficient (b < 0: a double well)
x, a, b = X.symbol, A.symbol, B.symbol
u = sympy.Symbol("u", real=True)                # the integration variable of Z


def energy(at) -> sympy.Expr:
    """E(x) = a x⁴/4 + b x²/2: p(x) = exp(−E(x))/Z."""
    return a * at**4 / 4 + b * at**2 / 2


def partition_function() -> sympy.Expr:
    """Z = ∫ exp(−E(u)) du over the real line (no closed form for b ≠ 0)."""
    return Integral(exp(-energy(u)), (u, -oo, oo))


@claim("score.normaliser")
def score_normaliser() -> Claim:
    r"""∂ₓ log(exp(−E(x))/Z) = −E′(x): the score does not see Z."""
    return Claim(
        title="The score needs no normaliser: ∇ₓ log(p̃(x)/Z) = ∇ₓ log p̃(x), since ∇ₓ log Z = 0 (quartic energy)",
        statement=r"\partial_x\log p(x),\ p(x) = e^{-E(x)}/Z,\ E(x) = \tfrac a4x^4 + \tfrac b2x^2,\ Z = \int e^{-E(u)}du",
        variables=(X, A, B),
        derivation=(
            Step(r"definition: \log p(x) = -E(x) - \log Z with Z = \int_{-\infty}^{\infty} e^{-E(u)}\,du "
                 r"(an integral with no closed form)", -energy(x) - log(partition_function())),
            Step(r"differentiate in x: Z is a number (u is integrated out), so \partial_x\log Z = 0 and "
                 r"\partial_x\log p = -E'(x) = -(a x^3 + b x)", -(a * x**3 + b * x), op=lambda e: sympy.diff(e, x)),
        ),
        wrong_variants=(
            WrongVariant("the energy gradient +E'(x) (sign flipped)", a * x**3 + b * x),
            WrongVariant("the log-density -E(x) itself, not its gradient", -energy(x)),
            WrongVariant("the gradient of the unnormalised density, -E'(x) e^{-E(x)}", -(a * x**3 + b * x) * exp(-energy(x))),
        ),
        sources=(
            Source(S001, "167–171", r"s_\theta(x) \approx \nabla_x \log p(x)",
                   note="defines the score model; this claim is the score's independence of the normaliser"),
            Source(S001, "173–179", r"define score: s_\theta(x) = \nabla_x \log p_\theta(x)",
                   note="a definition (the model's score); nothing to compare"),
            Source(S001, "189", r"This avoids needing (p_\theta(x)) normalized; focuses on matching **score fields**.",
                   behaviour="score_ignores_the_normaliser", at={"a": 1.0, "b": -2.0}),
            Source(S004, "3346", r"Score matching (Hyvärinen 2005): estimate \nabla \log p(\mathbf{x}) without partition function",
                   behaviour="score_ignores_the_normaliser", at={"a": 0.5, "b": 1.0}),
            Source(S004, "1711", r"**Score matching**: Partition function intractable, gradient-based models (diffusion)",
                   behaviour="score_ignores_the_normaliser", at={"a": 1.0, "b": -2.0}),
            Source(S004, "3679–3681", r"Definition: \nabla \log p(\mathbf{x}) (gradient of log density); Points toward higher probability regions; Classic use: Langevin sampling",
                   behaviour="score_points_uphill", at={"a": 1.0, "b": -2.0}),
            Source(S001, "236", r"Learns a vector field that points towards high-density regions of the data manifold at every noise scale.",
                   behaviour="score_points_uphill", at={"a": 1.0, "b": -2.0},
                   note="read for the density whose score it is (at each scale the noised p_σ): the score points uphill "
                        "(checked on a two-mode density); whether p_σ's uphill direction leads to high density of p_data "
                        "itself at large σ is not checked, and the wording does not say which density"),
            Source(S001, "239", r"So: **Score matching learns how to climb the log-density landscape; generation is gradient-guided denoising.**",
                   note="intuition; the uphill property is checked at 004 L3679–3681"),
        ),
    )


MU = Var("mu", r"\mu", REAL)
SIGMA = Var("sigma", r"\sigma", positive_between(0.5, 2.0))
THETA1 = Var("theta1", r"\theta_1", positive_between(0.2, 2.0))
THETA2 = Var("theta2", r"\theta_2", real_between(-2.0, 2.0))
mu, sigma, theta1, theta2 = MU.symbol, SIGMA.symbol, THETA1.symbol, THETA2.symbol


def model_score(at) -> sympy.Expr:
    """s_θ(x) = −θ₁x + θ₂: the score of N(θ₂/θ₁, 1/θ₁)."""
    return -theta1 * at + theta2


def data_score(at) -> sympy.Expr:
    """∂ₓ log N(x; μ, σ²) = −(x − μ)/σ²."""
    return -(at - mu) / sigma**2


def under_data(e) -> sympy.Expr:
    """E_p[e] for x ~ N(μ, σ²), e a polynomial of degree ≤ 2 in x."""
    return gaussian_expectation(e, [x], [mu], sympy.Matrix([[sigma**2]]))


def implicit_objective() -> sympy.Expr:
    """E_p[½ s_θ² + ∂ₓ s_θ] = ½(θ₁²(σ² + μ²) − 2θ₁θ₂μ + θ₂²) − θ₁, written out."""
    return (theta1**2 * (sigma**2 + mu**2) - 2 * theta1 * theta2 * mu + theta2**2) / 2 - theta1


@claim("score.hyvarinen")
def score_hyvarinen() -> Claim:
    r"""½E_p[(s_θ − ∂ₓ log p)²] = E_p[½ s_θ² + ∂ₓ s_θ] + ½E_p[(∂ₓ log p)²] (Gaussian data and score family)."""
    return Claim(
        title="Hyvärinen: ½E_p[(s_θ − ∂ₓ log p)²] = E_p[½s_θ² + ∂ₓs_θ] + const, by integration by parts "
              "(1-D, p = N(μ, σ²), s_θ = −θ₁x + θ₂; other p and s_θ numerically)",
        statement=r"\tfrac12\mathbb E_{x\sim\mathcal N(\mu,\sigma^2)}\big[(s_\theta(x) - \partial_x\log p(x))^2\big],\ s_\theta(x) = -\theta_1x + \theta_2",
        variables=(MU, SIGMA, THETA1, THETA2),
        derivation=(
            Step(r"definition (explicit score matching): the integrand \tfrac12(s_\theta(x) - \partial_x\log p(x))^2 with "
                 r"\partial_x\log p(x) = -(x-\mu)/\sigma^2", (model_score(x) - data_score(x)) ** 2 / 2),
            Step(r"expand the square: \tfrac12 s_\theta^2 - s_\theta\,\partial_x\log p + \tfrac12(\partial_x\log p)^2",
                 model_score(x) ** 2 / 2 + (-theta1 * x + theta2) * (x - mu) / sigma**2 + (x - mu) ** 2 / (2 * sigma**4)),
            Step(r"take E_p; the cross term by parts: -E_p[s_\theta\partial_x\log p] = -\int s_\theta p'\,dx = "
                 r"-[s_\theta p]_{-\infty}^{\infty} + \int s_\theta' p\,dx = E_p[\partial_x s_\theta] = -\theta_1 (the boundary "
                 r"term vanishes: p decays faster than s_\theta grows), and E_p[(\partial_x\log p)^2] = 1/\sigma^2",
                 implicit_objective() + 1 / (2 * sigma**2), op=under_data),
        ),
        wrong_variants=(
            WrongVariant("the implicit objective without the constant (equal, not equal up to a constant)", implicit_objective()),
            WrongVariant("cross term with the wrong sign (+E[s'] from dropping the minus of integration by parts)",
                         implicit_objective() + 2 * theta1 + 1 / (2 * sigma**2)),
            WrongVariant("no 1/2 on s^2", 2 * implicit_objective() + 2 * theta1 - theta1 + 1 / (2 * sigma**2)),
        ),
        sources=(
            Source(S001, "181–187", r"\mathcal{L}(\theta) = \mathbb{E}*{p*{\text{data}}(x)}\left[ \frac{1}{2} | s_\theta(x) |^2 * \nabla_x \cdot s_\theta(x) \right]",
                   expr=implicit_objective(), relation="offset", free_of=("theta1", "theta2"),
                   note="read with '+' between the terms (the '*' opening L186 is a list bullet the conversion left); "
                        "the implicit objective equals the explicit one up to a constant in θ"),
            Source(S004, "1694", r"\theta^* = \arg \min_{\theta} \mathbb{E}_{p_{\text{data}}} \left[\|\nabla_x \log p_{\theta}(x) - \nabla_x \log p_{\text{data}}(x)\|^2 \right] \quad (65)",
                   expr=2 * (implicit_objective() + 1 / (2 * sigma**2)), relation="affine", free_of=("theta1", "theta2"),
                   note="the objective of (65) is twice the explicit score-matching loss (same minimiser)"),
            Source(S004, "1696", r"Avoids computing partition function. Extended to denoising score matching Vincent [2011], which forms the basis of diffusion models",
                   behaviour="implicit_equals_explicit_up_to_a_constant", at={"models": 6}),
        ),
    )


@claim("score.hyvarinen.gaussian-fit")
def score_hyvarinen_gaussian_fit() -> Claim:
    r"""argmin_θ E_p[½ s_θ² + ∂ₓ s_θ] over s_θ = −θ₁x + θ₂ is the data score −(x − μ)/σ²."""
    return Claim(
        title="Minimising Hyvärinen's objective over Gaussian scores recovers the data's score −(x − μ)/σ² "
              "(θ₁ = 1/σ², θ₂ = μ/σ²: mean and variance from samples)",
        statement=r"s_{\theta^*}(x),\ \theta^* = \arg\min_\theta \mathbb E_{\mathcal N(\mu,\sigma^2)}[\tfrac12 s_\theta^2 + \partial_x s_\theta],\ s_\theta = -\theta_1 x + \theta_2",
        variables=(X, MU, SIGMA),
        derivation=(
            Step(r"the objective (claim score.hyvarinen): \tfrac12(\theta_1^2(\sigma^2+\mu^2) - 2\theta_1\theta_2\mu + \theta_2^2) "
                 r"- \theta_1 + const", target_of("score.hyvarinen")),
            Step(r"stationary point (a convex quadratic in \theta): \partial_{\theta_2} = \theta_2 - \theta_1\mu = 0, "
                 r"\partial_{\theta_1} = \theta_1(\sigma^2+\mu^2) - \theta_2\mu - 1 = 0, so \theta_1 = 1/\sigma^2, \theta_2 = \mu/\sigma^2; "
                 r"the fitted score -\theta_1x + \theta_2",
                 -x / sigma**2 + mu / sigma**2,
                 op=lambda e: model_score(x).subs(sympy.solve([sympy.diff(e, theta1), sympy.diff(e, theta2)],
                                                              [theta1, theta2], dict=True)[0])),
            Step(r"= -(x-\mu)/\sigma^2", -(x - mu) / sigma**2),
            Step(r"= \partial_x\log\mathcal N(x;\mu,\sigma^2): the data's score", -(x - mu) / sigma**2,
                 equals=sympy.diff(log_normal(x, mu, sigma), x)),
        ),
        wrong_variants=(
            WrongVariant("standard deviation in place of the variance", -(x - mu) / sigma),
            WrongVariant("sign flipped", (x - mu) / sigma**2),
            WrongVariant("mean not recovered", -x / sigma**2),
            WrongVariant("variance multiplied, not divided", -(x - mu) * sigma**2),
        ),
        sources=(
            Source(S004, "1694", r"\theta^* = \arg \min_{\theta} \mathbb{E}_{p_{\text{data}}} \left[\|\nabla_x \log p_{\theta}(x) - \nabla_x \log p_{\text{data}}(x)\|^2 \right] \quad (65)",
                   expr=-(x - mu) / sigma**2,
                   note=r"the score \nabla_x\log p_{\theta^*} of the minimiser, for Gaussian data and a Gaussian model family"),
        ),
    )
