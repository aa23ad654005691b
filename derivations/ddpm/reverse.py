r"""The reverse posterior conditions on x₀: Bayes' rule with the Markov property, and the x₀-free kernel.

* q(x_{t−1} | x_t, x_0) = q(x_t | x_{t−1}, x_0) q(x_{t−1} | x_0)/q(x_t | x_0) (Bayes' rule given x_0), and
  the Markov property q(x_t | x_{t−1}, x_0) = q(x_t | x_{t−1}) makes every factor a known Gaussian: the
  result is N(μ̃_t(x_t, x_0), β̃_t) (claims ddpm.posterior.mean / .variance).
* Without x_0, Bayes' rule gives a different object, q(x_{t−1} | x_t) = q(x_t | x_{t−1}) q(x_{t−1})/q(x_t),
  which needs the data marginals q(x_{t−1}), q(x_t) (intractable for real data). For Gaussian data
  x_0 ~ N(μ_0, s_0²) it is Gaussian with variance β̃_t + c_t² Var[x_0 | x_t] > β̃_t (c_t the x_0-coefficient
  of μ̃_t): the law of total variance over the unknown x_0.

Seeds: 002 L391–404, L417–441, L525–530.
"""

from __future__ import annotations

import sympy
from sympy import sqrt

from derivspec.core import REAL, Claim, Source, Step, Var, WrongVariant, claim, target_of
from derivspec.core.lectures import S002, S004
from derivspec.derivations.ddpm.forward import (ALPHA_BAR_PREV, ALPHA_T, DEFINED, X0, XT, alpha_bar_prev, alpha_bar_t,
                                                alpha_t, beta_t, xt)
from derivspec.derivations.ddpm.loss import S0, s0
from derivspec.derivations.ddpm.posterior import log_normal, posterior_log_density, x_prev

XPREV = Var("x_prev", "x_{t-1}", REAL)
assert XPREV.symbol == x_prev  # the variable the posterior of derivations/ddpm/posterior.py is over

BAYES_WITHOUT_X0 = r"q(z_{t-1} \mid z_t) = \frac{q(z_t \mid z_{t-1}) \, q(z_{t-1})}{q(z_t)}"
BAYES_WITH_X0 = (r"q(z_{t-1}\mid z_t, x) = \frac{q(z_t\mid z_{t-1})\,q(z_{t-1}\mid x)}{q(z_t\mid x)} (Bayes' rule given x, "
                 r"with the Markov property q(z_t\mid z_{t-1}, x) = q(z_t\mid z_{t-1})): the tractable Gaussian "
                 r"\mathcal N(\tilde\mu_t(z_t, x), \tilde\beta_t) of the ELBO at L444")


def bayes_without_x0() -> sympy.Expr:
    """log q(x_t|x_{t−1}) + log q(x_{t−1}) − log q(x_t) for data x_0 ~ N(0, 1) (then every q(x_s) = N(0, 1))."""
    return (log_normal(xt, sqrt(alpha_t) * x_prev, sqrt(beta_t)) + log_normal(x_prev, 0, 1) - log_normal(xt, 0, 1))


def normalisers() -> sympy.Expr:
    """−½log(2πβ_t) − ½log(2π(1 − ᾱ_{t−1})) + ½log(2π(1 − ᾱ_t)) = −½log(2πβ̃_t), left uncombined (SymPy proves the
    combined form slowly without knowing 1 − α_t > 0)."""
    return -sympy.log(2 * sympy.pi * beta_t) / 2 - sympy.log(2 * sympy.pi * (1 - alpha_bar_prev)) / 2 \
        + sympy.log(2 * sympy.pi * (1 - alpha_bar_t)) / 2


@claim("ddpm.reverse.bayes")
def ddpm_reverse_bayes() -> Claim:
    r"""log q(x_{t−1}|x_t, x_0) = log q(x_t|x_{t−1}) + log q(x_{t−1}|x_0) − log q(x_t|x_0) = log N(x_{t−1}; μ̃_t, β̃_t)."""
    mean, variance = target_of("ddpm.posterior.mean"), target_of("ddpm.posterior.variance")
    return Claim(
        title="The reverse posterior conditions on x₀: q(x_{t−1}|x_t,x₀) = q(x_t|x_{t−1}) q(x_{t−1}|x₀)/q(x_t|x₀) "
              "(Bayes + Markov) = N(μ̃_t, β̃_t)",
        statement=r"\log q(x_{t-1}\mid x_t, x_0)",
        variables=(XPREV, XT, X0, ALPHA_T, ALPHA_BAR_PREV),
        defined=DEFINED,
        derivation=(
            Step(r"Bayes' rule given x_0: q(x_{t-1}\mid x_t,x_0) = q(x_t\mid x_{t-1},x_0)\,q(x_{t-1}\mid x_0)/q(x_t\mid x_0); the "
                 r"Markov property q(x_t\mid x_{t-1},x_0) = q(x_t\mid x_{t-1}) = \mathcal N(\sqrt{\alpha_t}x_{t-1}, \beta_t); the "
                 r"jumps q(x_s\mid x_0) = \mathcal N(\sqrt{\bar\alpha_s}x_0, 1-\bar\alpha_s)", posterior_log_density()),
            Step(r"completing the square in x_{t-1} (claims ddpm.posterior.mean, ddpm.posterior.variance): "
                 r"-(x_{t-1} - \tilde\mu_t)^2/(2\tilde\beta_t) plus the three normalisers, which combine to "
                 r"-\tfrac12\log(2\pi\tilde\beta_t): \log\mathcal N(x_{t-1};\tilde\mu_t(x_t,x_0),\tilde\beta_t)",
                 -(x_prev - mean) ** 2 / (2 * variance) + normalisers()),
        ),
        wrong_variants=(
            WrongVariant("Bayes without x_0: q(x_t|x_{t-1}) q(x_{t-1}) / q(x_t) (data N(0, 1))", bayes_without_x0()),
            WrongVariant("the forward kernel read backwards, log q(x_t | x_{t-1})",
                         log_normal(xt, sqrt(alpha_t) * x_prev, sqrt(beta_t))),
            WrongVariant("the posterior mean with the forward step variance beta_t", log_normal(x_prev, mean, sqrt(beta_t))),
        ),
        sources=(
            Source(S002, "438–441", r"We want to convert the forward rule q(z_t \mid z_{t-1}) into a reverse posterior q(z_{t-1} \mid z_t). Using Bayes' Rule: " + BAYES_WITHOUT_X0,
                   behaviour="reverse_posterior_depends_on_x0", at={"alpha_t": 0.9, "alpha_bar_prev": 0.5},
                   correct=r"q(z_{t-1}\mid z_t) by Bayes needs the data marginal and is free of x; this claim's "
                           r"q(z_{t-1}\mid z_t, x) moves with x",
                   note="right as Bayes' rule for the marginal reverse kernel q(z_{t−1} | z_t), which needs the data marginal "
                        "q(z_{t−1}); compared: with data N(0, 1) that kernel differs from this claim's q(z_{t−1} | z_t, x), "
                        "which L425 introduces and the ELBO's KLs at L444 use, and which moves with x"),
            Source(S002, "425–426", r"let's imagine we could define the Reverse Posterior q(z_{t-1} \mid z_t, x). Idea: Given that I'm at the noisy state z_t, and I know the original image x, what was the previous step z_{t-1}?",
                   behaviour="reverse_posterior_depends_on_x0", at={"alpha_t": 0.9, "alpha_bar_prev": 0.5}),
            Source(S002, "394–395", r"q(z_{1:T} \mid x) = q(z_1 \mid x) \times q(z_2 \mid z_1) \times \dots \times q(z_T \mid z_{T-1}) We are assuming a **Markov Chain**: z_{t} only depends on z_{t-1} for t > 1.",
                   behaviour="forward_chain_is_markov", at={"alpha_t": 0.9, "alpha_bar_prev": 0.5}),
            Source(S002, "384", r"Motivation: Trying to compress a complex 256 \times 256 image into a single vector z causes information bottleneck. The model is forced to average out fine details (high frequency) to save the global structure (low frequency).",
                   note="a motivation for hierarchical latents; not a formula"),
            Source(S002, "450–459", r"Infinite Depth: We add more and more layers (T\to \infty). Same Dimension: Every latent layer z_t has the same shape as the image x. Fixed Encoder: we fix the Encoder to be a simple, non-learnable noise injector. If you do this, the HVAE becomes a Diffusion Model.",
                   note="the HVAE → diffusion bridge, a modelling statement: with the fixed Gaussian encoder the posterior of "
                        "this claim is tractable (any T, not only T → ∞: DDPM uses T = 1000); the kernel at L457 is checked "
                        "with claim score.sde.vp-marginal"),
            Source(S002, "471–476", r"So, mathematically, a Diffusion model **is** an HVAE where the inference path is fixed to be a noise process, and we only train the generative path to undo it.",
                   note="a definition; the ELBO of that HVAE is claim ddpm.elbo.chain"),
            Source(S002, "538–543", r"We are varying the path of the image from Noise to Data. Diffusion models are mathematically just Hierarchical VAEs with infinitely many layers. Diffusion: 1000 layers of latent variables (x_{999}, x_{998} \dots).",
                   nothing_to_compare=True, note="a modelling statement ('infinitely many' and '1000' are both used: DDPM is an HVAE with T = 1000 "
                        "fixed Gaussian layers; the continuous-time limit is claim score.sde.vp-marginal)"),
            Source(S002, "404", r"p(x, z_{1:T}) = p(z_T) \times p(z_{T-1} \mid z_T) \times \dots \times p(x \mid z_1)",
                   note="the generative factorisation (a definition); its reverse kernels are fitted to this claim's posterior"),
            Source(S002, "428–436", r"\log \frac{p(z_{t-1} \mid z_t)}{q(z_t \mid z_{t-1})} We can't simply negate this to form a KL divergence, which is NOT a valid KL Divergence. KL Divergence D_{KL}(A \| B) requires A and B to be distributions over the same variable.",
                   behaviour="ratio_over_different_variables_is_not_a_kl", at={"alpha_t": 0.9, "alpha_bar_prev": 0.95}),
            Source(S002, "417–420", r"Look at the indices in the middle term. The Mismatch: Unlike Vanilla VAE, the distributions in the middle don't perfectly pair up into neat KL divergence terms like KL(q \| p) because they are conditioned on different things.",
                   behaviour="ratio_over_different_variables_is_not_a_kl", at={"alpha_t": 0.9, "alpha_bar_prev": 0.95}),
        ),
    )


def posterior_x0_variance() -> sympy.Expr:
    """Var[x_0 | x_t] = s_0²(1 − ᾱ_t)/(ᾱ_t s_0² + 1 − ᾱ_t) for x_0 ~ N(μ_0, s_0²)."""
    return s0**2 * (1 - alpha_bar_t) / (alpha_bar_t * s0**2 + 1 - alpha_bar_t)


@claim("ddpm.reverse.marginal-variance")
def ddpm_reverse_marginal_variance() -> Claim:
    r"""Var[x_{t−1} | x_t] = β̃_t + (√ᾱ_{t−1}β_t/(1 − ᾱ_t))² Var[x_0 | x_t] (Gaussian data): not β̃_t."""
    tilde_beta = target_of("ddpm.posterior.variance")
    coefficient = sqrt(alpha_bar_prev) * beta_t / (1 - alpha_bar_t)  # of x_0 in μ̃_t (claim ddpm.posterior.mean)
    v_prev = alpha_bar_prev * s0**2 + 1 - alpha_bar_prev
    v_t = alpha_bar_t * s0**2 + 1 - alpha_bar_t
    return Claim(
        title="Without x₀ the reverse kernel is another object: Var[x_{t−1}|x_t] = β̃_t + c_t² Var[x₀|x_t] > β̃_t "
              "(Gaussian data x₀ ~ N(μ₀, s₀²))",
        statement=r"\mathrm{Var}[x_{t-1}\mid x_t],\ x_0\sim\mathcal N(\mu_0,s_0^2)",
        variables=(ALPHA_T, ALPHA_BAR_PREV, S0),
        defined=DEFINED,
        derivation=(
            Step(r"law of total variance over the unknown x_0: \mathrm{Var}[x_{t-1}\mid x_t] = E[\mathrm{Var}(x_{t-1}\mid x_t,x_0)\mid x_t] "
                 r"+ \mathrm{Var}(E[x_{t-1}\mid x_t,x_0]\mid x_t) = \tilde\beta_t + c_t^2\,\mathrm{Var}[x_0\mid x_t], c_t = "
                 r"\sqrt{\bar\alpha_{t-1}}\beta_t/(1-\bar\alpha_t) (claims ddpm.posterior.*), \mathrm{Var}[x_0\mid x_t] = "
                 r"s_0^2(1-\bar\alpha_t)/(\bar\alpha_ts_0^2 + 1 - \bar\alpha_t)",
                 tilde_beta + coefficient**2 * posterior_x0_variance()),
            Step(r"the same from the joint Gaussian (x_{t-1}, x_t): V_{t-1} - \alpha_tV_{t-1}^2/V_t with V_s = \bar\alpha_ss_0^2 + 1 - "
                 r"\bar\alpha_s and Cov(x_{t-1}, x_t) = \sqrt{\alpha_t}V_{t-1}", v_prev - alpha_t * v_prev**2 / v_t),
        ),
        wrong_variants=(
            WrongVariant("the x_0-conditioned variance beta-tilde (the two kernels equated)", tilde_beta),
            WrongVariant("the forward step variance beta_t", beta_t),
            WrongVariant("the marginal variance of x_{t-1}", v_prev),
        ),
        sources=(
            Source(S002, "527", r"p(z_{t-1} \mid z_t) = \mathcal{N}(z_{t-1}; \mu_\theta(z_t, t), \sigma_t^2 I)",
                   nothing_to_compare=True, note="the reverse model; the kernel it imitates without x is this claim's q(z_{t−1} | z_t), Gaussian for "
                        "Gaussian data with this variance, only approximately Gaussian otherwise (for small β_t)"),
            Source(S004, "3371", r"p_\theta(\mathbf{x}_{t-1}|\mathbf{x}_t) = \mathcal{N}(\mathbf{x}_{t-1}; \boldsymbol{\mu}_\theta(\mathbf{x}_t, t), \boldsymbol{\Sigma}_\theta(\mathbf{x}_t, t))",
                   note="the reverse model (a definition); see L527"),
            Source(S002, "507–510", r"Pixels are continuous values (0.0 \to 1.0). The Assumption: Gaussian Distribution. The image itself is the latent variable, but it evolves over time steps t.",
                   note="modelling choices; the Gaussian reverse kernel is exact for Gaussian data (this claim) and an "
                        "approximation otherwise"),
        ),
    )
