r"""The forward process: q(x_t | x_0) = N(√ᾱ_t x_0, 1 − ᾱ_t), by induction and by unrolling.

Forward kernel q(x_t | x_{t−1}) = N(√α_t x_{t−1}, β_t), β_t = 1 − α_t, ᾱ_t = α_t ᾱ_{t−1}
(Ho et al. 2020, eqs. 2 and 4). The symbols defined here are shared by the family's modules.

Seeds: 004 L3389.
"""

from __future__ import annotations

import sympy
from sympy import sqrt, symbols

from derivspec.core import REAL, Claim, Defined, Domain, Source, Step, Var, WrongVariant, claim
from derivspec.core.claims import Recognise
from derivspec.core.lectures import S004

ALPHA_NOTE = ("004 never defines α_t; read with α_t = 1 − β_t and ᾱ_t = Π α_s as in Ho et al. "
              "(the notes' q(x_t|x_{t−1}) = N(√(1−β_t) x_{t−1}, β_t))")

NOISE_LEVEL = Domain("in (0, 1)", {"positive": True}, low=0.0, high=1.0, sample_low=0.05, sample_high=0.95)
X0 = Var("x0", "x_0", REAL)
XT = Var("xt", "x_t", REAL)
EPS = Var("eps", r"\epsilon", REAL)
ALPHA_T = Var("alpha_t", r"\alpha_t", NOISE_LEVEL)
ALPHA_BAR_PREV = Var("alpha_bar_prev", r"\bar\alpha_{t-1}", NOISE_LEVEL)
x0, xt, eps, alpha_t, alpha_bar_prev = (v.symbol for v in (X0, XT, EPS, ALPHA_T, ALPHA_BAR_PREV))
ALPHA_BAR_T = Defined("alpha_bar_t", r"\bar\alpha_t", alpha_t * alpha_bar_prev)
BETA_T = Defined("beta_t", r"\beta_t", 1 - alpha_t)
DEFINED = (ALPHA_BAR_T, BETA_T)
alpha_bar_t, beta_t = ALPHA_BAR_T.symbol, BETA_T.symbol

# x_t = √ᾱ_t x_0 + √(1 − ᾱ_t) ε as seed 004 writes it at L3389 (α_t where ᾱ_t belongs)
S004_JUMP = r"\mathbf{x}_t = \sqrt{\alpha_t} \mathbf{x}_0 + \sqrt{1 - \alpha_t} \boldsymbol{\epsilon}"
S004_JUMP_CORRECT = r"\mathbf{x}_t = \sqrt{\bar\alpha_t}\mathbf{x}_0 + \sqrt{1-\bar\alpha_t}\boldsymbol\epsilon"


@claim("ddpm.marginal.mean")
def ddpm_marginal_mean() -> Claim:
    """E[x_t | x_0] = √ᾱ_t x_0, by induction on t."""
    return Claim(
        title="Forward marginal mean E[x_t | x_0] = √ᾱ_t x_0 (by induction)",
        recognise=(
            Recognise(r"q(x_t \mid x_0)", part="mean"),
            Recognise(r"\mathbb E[x_t \mid x_0]"),
            Recognise(r"x_t", part="reparam-mean", noise=r"\epsilon", requires=(r"\bar\alpha_t", r"x_0")),
        ),
        statement=r"\mathbb E[x_t\mid x_0]",
        variables=(X0, ALPHA_T, ALPHA_BAR_PREV),
        defined=DEFINED,
        derivation=(
            Step(r"induction hypothesis: E[x_{t-1}\mid x_0] = \sqrt{\bar\alpha_{t-1}}\,x_0 (true at t-1 = 0 with \bar\alpha_0 = 1)",
                 sqrt(alpha_bar_prev) * x0),
            Step(r"one step x_t = \sqrt{\alpha_t}x_{t-1} + \sqrt{\beta_t}\epsilon with E[\epsilon] = 0",
                 sqrt(alpha_t) * sqrt(alpha_bar_prev) * x0, op=lambda e: sqrt(alpha_t) * e),
            Step(r"\sqrt{\alpha_t}\sqrt{\bar\alpha_{t-1}} = \sqrt{\bar\alpha_t}", sqrt(alpha_bar_t) * x0),
        ),
        wrong_variants=(
            WrongVariant("alpha_t in place of alpha_bar_t", sqrt(alpha_t) * x0),
            WrongVariant("missing square root", alpha_bar_t * x0),
            WrongVariant("previous index", sqrt(alpha_bar_prev) * x0),
        ),
        sources=(
            Source(S004, "3389", S004_JUMP, expr=sqrt(alpha_t) * x0, correct=S004_JUMP_CORRECT,
                   category="notation/index", severity="notation",
                   note="the mean part of the written x_t; " + ALPHA_NOTE),
            Source(S004, "5499–5503", r"q(\mathbf{A}^{(t)}|\mathbf{A}^{(t-1)}) = \mathcal{N}(\sqrt{1 - \beta_t}\mathbf{A}^{(t-1)}, \beta_t I) \quad (105)",
                   expr=sqrt(alpha_t) * x0, at={"alpha_bar_prev": 1},
                   note="one step from A^{(0)} (ᾱ_0 = 1, so ᾱ_1 = α_1 = 1 − β_1): the graph kernel is the DDPM forward step on "
                        "adjacency entries; its mean is √(1 − β_t) A^{(t−1)}"),
        ),
    )


@claim("ddpm.marginal.variance")
def ddpm_marginal_variance() -> Claim:
    """Var[x_t | x_0] = 1 − ᾱ_t, by induction on t."""
    return Claim(
        title="Forward marginal variance Var[x_t | x_0] = 1 − ᾱ_t (by induction)",
        recognise=(
            Recognise(r"q(x_t \mid x_0)", part="variance"),
            Recognise(r"\mathrm{Var}[x_t \mid x_0]"),
            Recognise(r"x_t", part="reparam-variance", noise=r"\epsilon", requires=(r"\bar\alpha_t", r"x_0")),
        ),
        statement=r"\mathrm{Var}[x_t\mid x_0]",
        variables=(ALPHA_T, ALPHA_BAR_PREV),
        defined=DEFINED,
        derivation=(
            Step(r"induction hypothesis: \mathrm{Var}[x_{t-1}\mid x_0] = 1 - \bar\alpha_{t-1}", 1 - alpha_bar_prev),
            Step(r"one step: \mathrm{Var}[\sqrt{\alpha_t}x_{t-1} + \sqrt{\beta_t}\epsilon] = \alpha_t\mathrm{Var}[x_{t-1}] + \beta_t "
                 r"(\epsilon independent of x_{t-1})", alpha_t * (1 - alpha_bar_prev) + beta_t,
                 op=lambda e: alpha_t * e + (1 - alpha_t)),
            Step(r"\alpha_t - \alpha_t\bar\alpha_{t-1} + 1 - \alpha_t = 1 - \bar\alpha_t", 1 - alpha_bar_t),
        ),
        wrong_variants=(
            WrongVariant("1 - alpha_t (one step only)", 1 - alpha_t),
            WrongVariant("beta_t (the step variance)", beta_t),
            WrongVariant("square root of 1 - alpha_bar_t", sqrt(1 - alpha_bar_t)),
        ),
        sources=(
            Source(S004, "3389", S004_JUMP, expr=1 - alpha_t, correct=r"\mathrm{Var}[x_t\mid x_0] = 1 - \bar\alpha_t",
                   category="notation/index", severity="notation",
                   note="the noise variance of the written x_t; " + ALPHA_NOTE),
            Source(S004, "5499–5503", r"q(\mathbf{A}^{(t)}|\mathbf{A}^{(t-1)}) = \mathcal{N}(\sqrt{1 - \beta_t}\mathbf{A}^{(t-1)}, \beta_t I) \quad (105)",
                   expr=1 - alpha_t, at={"alpha_bar_prev": 1},
                   note="one step from A^{(0)} (ᾱ_0 = 1): the variance β_t = 1 − α_t of the DDPM forward step, per adjacency entry"),
        ),
    )


BETAS = tuple(Var(f"beta{s}", rf"\beta_{s}", NOISE_LEVEL) for s in (1, 2, 3))
beta1, beta2, beta3 = (v.symbol for v in BETAS)
e1, e2, e3 = symbols("e1 e2 e3", real=True)  # the independent standard-normal noises of the three steps


@claim("ddpm.marginal.unrolled")
def ddpm_marginal_unrolled() -> Claim:
    """Var[x_3 | x_0] = 1 − Π_s(1 − β_s), unrolling three steps with every β_s symbolic."""
    noises = (e1, e2, e3)
    return Claim(
        title="Unrolled check, T = 3 with every β_s symbolic: Var[x_3 | x_0] = 1 − Π(1 − β_s)",
        statement=r"\mathrm{Var}[x_3\mid x_0],\ q(x_s\mid x_{s-1}) = \mathcal N(\sqrt{1-\beta_s}x_{s-1}, \beta_s)",
        variables=BETAS,
        derivation=(
            Step(r"unroll three steps x_s = \sqrt{1-\beta_s}x_{s-1} + \sqrt{\beta_s}\epsilon_s from x_0 = 0 (the variance does "
                 r"not depend on x_0): x_3 = \sum_s c_s\epsilon_s with independent standard normal \epsilon_s",
                 sqrt(1 - beta3) * (sqrt(1 - beta2) * sqrt(beta1) * e1 + sqrt(beta2) * e2) + sqrt(beta3) * e3),
            Step(r"\mathrm{Var}[x_3] = \sum_s c_s^2 (independent unit-variance noises): "
                 r"c_1^2 = \beta_1(1-\beta_2)(1-\beta_3),\ c_2^2 = \beta_2(1-\beta_3),\ c_3^2 = \beta_3",
                 beta1 * (1 - beta2) * (1 - beta3) + beta2 * (1 - beta3) + beta3,
                 op=lambda e: sum(e.diff(n) ** 2 for n in noises)),
            Step(r"telescopes to 1 - \prod_s (1-\beta_s) = 1 - \bar\alpha_3",
                 1 - (1 - beta1) * (1 - beta2) * (1 - beta3)),
        ),
        wrong_variants=(
            WrongVariant("sum of the betas", beta1 + beta2 + beta3),
            WrongVariant("last step only", beta3),
        ),
    )



def merged_noise(x):
    """x with its independent standard-normal noises e1, e2 (linear terms) replaced by one, eps, scaled by the square root
    of their summed variance (equal in law)."""
    return x.subs({e1: 0, e2: 0}) + sqrt(sympy.diff(x, e1) ** 2 + sympy.diff(x, e2) ** 2) * eps


@claim("ddpm.forward.add-noise")
def ddpm_forward_add_noise() -> Claim:
    """x_t = √ᾱ_t x_0 + √(1 − ᾱ_t) ε: a draw of q(x_t | x_0) as a function of the given noise ε (diffusers' ``add_noise``)."""
    return Claim(
        title="The forward jump as code writes it (diffusers' add_noise): x_t = √ᾱ_t x_0 + √(1 − ᾱ_t) ε for a given ε ~ N(0, 1)",
        statement=r"x_t\sim q(x_t\mid x_0)\ \text{from the noise}\ \epsilon\sim\mathcal N(0, 1):\ x_t(x_0, \epsilon)",
        variables=(X0, EPS, ALPHA_T, ALPHA_BAR_PREV),
        defined=DEFINED,
        derivation=(
            Step(r"definition: one forward step x_t = \sqrt{\alpha_t}x_{t-1} + \sqrt{\beta_t}\epsilon_2 from the jump at t-1, "
                 r"x_{t-1} = \sqrt{\bar\alpha_{t-1}}x_0 + \sqrt{1-\bar\alpha_{t-1}}\epsilon_1 (induction; \bar\alpha_0 = 1), "
                 r"\epsilon_1, \epsilon_2 independent standard normal",
                 sqrt(alpha_t) * (sqrt(alpha_bar_prev) * x0 + sqrt(1 - alpha_bar_prev) * e1) + sqrt(beta_t) * e2),
            Step(r"the noise part is a sum of independent centred normals, N(0, \alpha_t(1-\bar\alpha_{t-1}) + \beta_t): one "
                 r"standard normal \epsilon times the square root of the summed variance",
                 sqrt(alpha_t) * sqrt(alpha_bar_prev) * x0 + sqrt(alpha_t * (1 - alpha_bar_prev) + beta_t) * eps,
                 op=merged_noise),
            Step(r"\sqrt{\alpha_t}\sqrt{\bar\alpha_{t-1}} = \sqrt{\bar\alpha_t} and \alpha_t - \alpha_t\bar\alpha_{t-1} + 1 - \alpha_t "
                 r"= 1 - \bar\alpha_t: x_t = \sqrt{\bar\alpha_t}\,x_0 + \sqrt{1-\bar\alpha_t}\,\epsilon",
                 sqrt(alpha_bar_t) * x0 + sqrt(1 - alpha_bar_t) * eps),
        ),
        wrong_variants=(
            WrongVariant("alpha_t in place of alpha_bar_t (the one-step coefficients)", sqrt(alpha_t) * x0 + sqrt(1 - alpha_t) * eps),
            WrongVariant("1 - alpha_bar_t without its square root (the variance as the noise's scale)",
                         sqrt(alpha_bar_t) * x0 + (1 - alpha_bar_t) * eps),
            WrongVariant("alpha_bar_{t-1} in place of alpha_bar_t (the previous index: alphas_cumprod[t - 1])",
                         sqrt(alpha_bar_prev) * x0 + sqrt(1 - alpha_bar_prev) * eps),
        ),
        sources=(
            Source(S004, "3389", S004_JUMP, expr=sqrt(alpha_t) * x0 + sqrt(1 - alpha_t) * eps, correct=S004_JUMP_CORRECT,
                   category="notation/index", severity="notation", note="the noising step of the training loop; " + ALPHA_NOTE),
        ),
    )
