r"""DDPM: the closed-form jump q(x_t|x_0), the reverse posterior, the ε-parameterisation.

Forward kernel q(x_t | x_{t−1}) = N(√α_t x_{t−1}, β_t), β_t = 1 − α_t, ᾱ_t = α_t ᾱ_{t−1}
(Ho et al. 2020). Each claim is derived, not typed in:

* the marginal by induction (if x_{t−1}|x_0 has mean √ᾱ_{t−1}x_0 and variance 1 − ᾱ_{t−1},
  one more step gives √ᾱ_t x_0 and 1 − ᾱ_t), and by unrolling three steps with every β_s
  symbolic;
* the posterior q(x_{t−1}|x_t, x_0) by Bayes' rule and completing the square in x_{t−1};
* its mean in terms of ε by substituting x_0 = (x_t − √(1−ᾱ_t) ε)/√ᾱ_t;
* the KL to a Gaussian reverse step with the same variance as a weighted ‖ε − ε_θ‖².

Seeds: 002 (diffusion as an HVAE), 003, 004 (forward process, posterior, training objective).
"""

from __future__ import annotations

import sympy
from sympy import sqrt

from derivspec.derivations.kl import kl_univariate, log_normal
from derivspec.core.claims import REAL, Claim, Defined, Domain, Source, Step, Var, WrongVariant
from derivspec.core.registry import register
from derivspec.numerics import ddpm as numeric

FAMILY = "ddpm"
S002, S004 = "002_433c7158266bc0e9.txt", "004_ac0a1d509ce21c57.txt"
ALPHA_NOTE = "004 never defines α_t; read with α_t = 1 − β_t and ᾱ_t = Π α_s as in Ho et al. (the notes' q(x_t|x_{t−1}) = N(√(1−β_t) x_{t−1}, β_t))"

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
y = sympy.Symbol("x_prev", real=True)  # x_{t−1}, the variable the posterior is over


def marginal_mean_derivation():
    return (
        Step(r"induction hypothesis: E[x_{t-1}\mid x_0] = \sqrt{\bar\alpha_{t-1}}\,x_0 (true at t-1 = 0 with \bar\alpha_0 = 1)",
             sqrt(alpha_bar_prev) * x0),
        Step(r"one step x_t = \sqrt{\alpha_t}x_{t-1} + \sqrt{\beta_t}\epsilon with E[\epsilon] = 0",
             sqrt(alpha_t) * sqrt(alpha_bar_prev) * x0, op=lambda e: sqrt(alpha_t) * e),
        Step(r"\sqrt{\alpha_t}\sqrt{\bar\alpha_{t-1}} = \sqrt{\bar\alpha_t}", sqrt(alpha_bar_t) * x0),
    )


register(Claim(
    id="ddpm.marginal.mean",
    title="Forward marginal mean E[x_t | x_0] = √ᾱ_t x_0 (by induction)",
    family=FAMILY,
    statement=r"\mathbb E[x_t\mid x_0]",
    variables=(X0, ALPHA_T, ALPHA_BAR_PREV),
    defined=DEFINED,
    derivation=marginal_mean_derivation(),
    numeric=numeric.one_step_moment("mean"),
    numeric_route="Monte Carlo: one forward step from x_{t-1} ~ N(√ᾱ_{t-1} x_0, 1 − ᾱ_{t-1}) (torch, 3 points)",
    wrong_variants=(
        WrongVariant("alpha_t in place of alpha_bar_t", sqrt(alpha_t) * x0),
        WrongVariant("missing square root", alpha_bar_t * x0),
        WrongVariant("previous index", sqrt(alpha_bar_prev) * x0),
    ),
    sources=(
        Source(S004, "3389", r"\mathbf{x}_t = \sqrt{\alpha_t} \mathbf{x}_0 + \sqrt{1 - \alpha_t} \boldsymbol{\epsilon}",
               expr=sqrt(alpha_t) * x0, correct=r"\mathbf{x}_t = \sqrt{\bar\alpha_t}\mathbf{x}_0 + \sqrt{1-\bar\alpha_t}\boldsymbol\epsilon",
               note="the mean part of the written x_t; " + ALPHA_NOTE),
    ),
))


def marginal_variance_derivation():
    return (
        Step(r"induction hypothesis: \mathrm{Var}[x_{t-1}\mid x_0] = 1 - \bar\alpha_{t-1}", 1 - alpha_bar_prev),
        Step(r"one step: \mathrm{Var}[\sqrt{\alpha_t}x_{t-1} + \sqrt{\beta_t}\epsilon] = \alpha_t\mathrm{Var}[x_{t-1}] + \beta_t "
             r"(\epsilon independent of x_{t-1})", alpha_t * (1 - alpha_bar_prev) + beta_t,
             op=lambda e: alpha_t * e + (1 - alpha_t)),
        Step(r"\alpha_t - \alpha_t\bar\alpha_{t-1} + 1 - \alpha_t = 1 - \bar\alpha_t", 1 - alpha_bar_t),
    )


register(Claim(
    id="ddpm.marginal.variance",
    title="Forward marginal variance Var[x_t | x_0] = 1 − ᾱ_t (by induction)",
    family=FAMILY,
    statement=r"\mathrm{Var}[x_t\mid x_0]",
    variables=(ALPHA_T, ALPHA_BAR_PREV),
    defined=DEFINED,
    derivation=marginal_variance_derivation(),
    numeric=numeric.one_step_moment("variance"),
    numeric_route="Monte Carlo: one forward step from x_{t-1} ~ N(0, 1 − ᾱ_{t-1}), mean of x_t² (torch, 3 points)",
    wrong_variants=(
        WrongVariant("1 - alpha_t (one step only)", 1 - alpha_t),
        WrongVariant("beta_t (the step variance)", beta_t),
        WrongVariant("square root of 1 - alpha_bar_t", sqrt(1 - alpha_bar_t)),
    ),
    sources=(
        Source(S004, "3389", r"\mathbf{x}_t = \sqrt{\alpha_t} \mathbf{x}_0 + \sqrt{1 - \alpha_t} \boldsymbol{\epsilon}",
               expr=1 - alpha_t, correct=r"\mathrm{Var}[x_t\mid x_0] = 1 - \bar\alpha_t",
               note="the noise variance of the written x_t; " + ALPHA_NOTE),
    ),
))

BETAS = tuple(Var(f"beta{s}", rf"\beta_{s}", NOISE_LEVEL) for s in (1, 2, 3))
betas = [v.symbol for v in BETAS]
noises = sympy.symbols("e1 e2 e3", real=True)


def unrolled_derivation():
    x = sympy.Integer(0)  # x_0 = 0: the variance does not depend on x_0
    for beta, noise in zip(betas, noises):
        x = sqrt(1 - beta) * x + sqrt(beta) * noise
    return (
        Step(r"unroll three steps from x_0 = 0: x_3 = \sum_s c_s\epsilon_s with independent standard normal \epsilon_s", x),
        Step(r"\mathrm{Var}[x_3] = \sum_s c_s^2 (independent unit-variance noises)",
             sum(sympy.diff(x, n) ** 2 for n in noises), op=lambda e: sum(sympy.diff(e, n) ** 2 for n in noises)),
        Step(r"telescopes to 1 - \prod_s (1-\beta_s) = 1 - \bar\alpha_3",
             1 - (1 - betas[0]) * (1 - betas[1]) * (1 - betas[2])),
    )


register(Claim(
    id="ddpm.marginal.unrolled",
    title="Unrolled check, T = 3 with every β_s symbolic: Var[x_3 | x_0] = 1 − Π(1 − β_s)",
    family=FAMILY,
    statement=r"\mathrm{Var}[x_3\mid x_0],\ q(x_s\mid x_{s-1}) = \mathcal N(\sqrt{1-\beta_s}x_{s-1}, \beta_s)",
    variables=BETAS,
    derivation=unrolled_derivation(),
    numeric=numeric.unrolled_variance,
    numeric_route="Monte Carlo: three simulated forward steps from x_0 = 0, mean of x_3² (torch, 3 points)",
    wrong_variants=(
        WrongVariant("sum of the betas", sum(betas)),
        WrongVariant("last step only", betas[2]),
    ),
))


def posterior_log_density():
    """Bayes: log q(x_{t−1}|x_t,x_0) = log q(x_t|x_{t−1}) + log q(x_{t−1}|x_0) − log q(x_t|x_0)."""
    return (log_normal(xt, sqrt(alpha_t) * y, sqrt(beta_t)) + log_normal(y, sqrt(alpha_bar_prev) * x0, sqrt(1 - alpha_bar_prev))
            - log_normal(xt, sqrt(alpha_bar_t) * x0, sqrt(1 - alpha_bar_t)))


def quadratic_coefficients(e):
    poly = sympy.Poly(sympy.expand(e), y)
    return poly.coeff_monomial(y**2), poly.coeff_monomial(y)


POSTERIOR_VARIANCE = (1 - alpha_bar_prev) * beta_t / (1 - alpha_bar_t)
POSTERIOR_MEAN = (sqrt(alpha_bar_prev) * beta_t / (1 - alpha_bar_t) * x0
                  + sqrt(alpha_t) * (1 - alpha_bar_prev) / (1 - alpha_bar_t) * xt)


def posterior_variance_derivation():
    return (
        Step(r"Bayes' rule: \log q(x_{t-1}\mid x_t,x_0) = \log q(x_t\mid x_{t-1}) + \log q(x_{t-1}\mid x_0) - \log q(x_t\mid x_0), "
             r"a quadratic in x_{t-1} (Gaussian log-densities from claim nll.gaussian)", posterior_log_density()),
        Step(r"completing the square: the precision is -2\times the coefficient of x_{t-1}^2, \alpha_t/\beta_t + 1/(1-\bar\alpha_{t-1})",
             alpha_t / beta_t + 1 / (1 - alpha_bar_prev), op=lambda e: -2 * quadratic_coefficients(e)[0]),
        Step(r"variance = 1/precision = (1-\bar\alpha_{t-1})\beta_t/(1-\bar\alpha_t)", POSTERIOR_VARIANCE,
             op=lambda e: 1 / e),
    )


def posterior_mean_derivation():
    return (
        Step(r"Bayes' rule, as for the variance (claim ddpm.posterior.variance)", posterior_log_density()),
        Step(r"completing the square: the mean is -(\text{coefficient of } x_{t-1}) / (2\times\text{coefficient of } x_{t-1}^2)",
             POSTERIOR_MEAN, op=lambda e: -quadratic_coefficients(e)[1] / (2 * quadratic_coefficients(e)[0])),
    )


register(Claim(
    id="ddpm.posterior.variance",
    title="Posterior variance of q(x_{t−1} | x_t, x_0): β̃_t = (1 − ᾱ_{t−1}) β_t / (1 − ᾱ_t)",
    family=FAMILY,
    statement=r"\mathrm{Var}[x_{t-1}\mid x_t, x_0]",
    variables=(ALPHA_T, ALPHA_BAR_PREV),
    defined=DEFINED,
    derivation=posterior_variance_derivation(),
    numeric=numeric.gaussian_conditioning("variance"),
    numeric_route="Gaussian conditioning of the joint (x_{t-1}, x_t) | x_0 (torch linear algebra, no completing the square)",
    wrong_variants=(
        WrongVariant("alpha_bar_t in place of alpha_bar_{t-1}", (1 - alpha_bar_t) * beta_t / (1 - alpha_bar_t)),
        WrongVariant("the forward step variance beta_t", beta_t),
    ),
))

register(Claim(
    id="ddpm.posterior.mean",
    title="Posterior mean of q(x_{t−1} | x_t, x_0) (Bayes' rule, completing the square)",
    family=FAMILY,
    statement=r"\mathbb E[x_{t-1}\mid x_t, x_0]",
    variables=(X0, XT, ALPHA_T, ALPHA_BAR_PREV),
    defined=DEFINED,
    derivation=posterior_mean_derivation(),
    numeric=numeric.gaussian_conditioning("mean"),
    numeric_route="Gaussian conditioning of the joint (x_{t-1}, x_t) | x_0 (torch linear algebra), 512 random points",
    wrong_variants=(
        WrongVariant("wrong index: sqrt(alpha_bar_t) on x_0", sqrt(alpha_bar_t) * beta_t / (1 - alpha_bar_t) * x0
                     + sqrt(alpha_t) * (1 - alpha_bar_prev) / (1 - alpha_bar_t) * xt),
        WrongVariant("missing sqrt(alpha_t) on x_t", sqrt(alpha_bar_prev) * beta_t / (1 - alpha_bar_t) * x0
                     + (1 - alpha_bar_prev) / (1 - alpha_bar_t) * xt),
    ),
))


def mean_eps_derivation():
    x0_from_eps = (xt - sqrt(1 - alpha_bar_t) * eps) / sqrt(alpha_bar_t)
    return (
        Step("posterior mean (claim ddpm.posterior.mean)", POSTERIOR_MEAN),
        Step(r"substitute x_0 = (x_t - \sqrt{1-\bar\alpha_t}\,\epsilon)/\sqrt{\bar\alpha_t} (the forward jump solved for x_0)",
             POSTERIOR_MEAN.subs(x0, x0_from_eps), op=lambda e: e.subs(x0, x0_from_eps)),
        Step(r"simplify: \frac{1}{\sqrt{\alpha_t}}\big(x_t - \frac{\beta_t}{\sqrt{1-\bar\alpha_t}}\epsilon\big)",
             (xt - beta_t / sqrt(1 - alpha_bar_t) * eps) / sqrt(alpha_t)),
    )


register(Claim(
    id="ddpm.posterior.mean-eps",
    title="Posterior mean in terms of the noise: (x_t − β_t/√(1 − ᾱ_t) ε)/√α_t",
    family=FAMILY,
    statement=r"\tilde\mu_t(x_t, x_0(\epsilon)),\ x_t = \sqrt{\bar\alpha_t}x_0 + \sqrt{1-\bar\alpha_t}\epsilon",
    variables=(XT, EPS, ALPHA_T, ALPHA_BAR_PREV),
    defined=DEFINED,
    derivation=mean_eps_derivation(),
    numeric=numeric.mean_from_noise,
    numeric_route="Gaussian conditioning at x_0 recovered from (x_t, ε) (torch), 512 random points",
    wrong_variants=(
        WrongVariant("sqrt(beta_t) in place of beta_t", (xt - sqrt(beta_t) / sqrt(1 - alpha_bar_t) * eps) / sqrt(alpha_t)),
        WrongVariant("divided by sqrt(alpha_bar_t)", (xt - beta_t / sqrt(1 - alpha_bar_t) * eps) / sqrt(alpha_bar_t)),
    ),
    sources=(
        Source(S004, "3374", r"\boldsymbol{\mu}_\theta = \frac{1}{\sqrt{1-\beta_t}} \left(\mathbf{x}_t - \frac{\beta_t}{\sqrt{1-\alpha_t}} \boldsymbol{\epsilon}_\theta(\mathbf{x}_t, t) \right)",
               expr=(xt - beta_t / sqrt(1 - alpha_t) * eps) / sqrt(1 - beta_t),
               correct=r"\mu = \frac{1}{\sqrt{\alpha_t}}\big(x_t - \frac{\beta_t}{\sqrt{1-\bar\alpha_t}}\epsilon\big)",
               note="with ε_θ = ε, the parameterisation of the posterior mean; " + ALPHA_NOTE),
    ),
))

EPS_THETA = sympy.Symbol("eps_theta", real=True)


def loss_weight_derivation():
    sigma_sq = POSTERIOR_VARIANCE  # reverse step with the posterior's variance
    mu_true = (xt - beta_t / sqrt(1 - alpha_bar_t) * eps) / sqrt(alpha_t)
    mu_model = (xt - beta_t / sqrt(1 - alpha_bar_t) * EPS_THETA) / sqrt(alpha_t)
    return (
        Step(r"KL(q(x_{t-1}|x_t,x_0) \| \mathcal N(\mu_\theta, \tilde\beta_t)) with equal variances (claim kl.gaussian.univariate): "
             r"(\tilde\mu - \mu_\theta)^2/(2\tilde\beta_t); both means in the \epsilon form (claim ddpm.posterior.mean-eps)",
             kl_univariate(mu_true, sqrt(sigma_sq), mu_model, sqrt(sigma_sq))),
        Step(r"divide by (\epsilon - \epsilon_\theta)^2: the weight \beta_t^2/(2\sigma_t^2\alpha_t(1-\bar\alpha_t)) with \sigma_t^2 = \tilde\beta_t",
             beta_t**2 / (2 * sigma_sq * alpha_t * (1 - alpha_bar_t)), op=lambda e: sympy.simplify(e / (eps - EPS_THETA) ** 2)),
        Step(r"with \tilde\beta_t = (1-\bar\alpha_{t-1})\beta_t/(1-\bar\alpha_t): \beta_t/(2\alpha_t(1-\bar\alpha_{t-1}))",
             beta_t / (2 * alpha_t * (1 - alpha_bar_prev))),
    )


register(Claim(
    id="ddpm.loss.weight",
    title="KL to a reverse step with the posterior's variance = λ_t ‖ε − ε_θ‖², λ_t = β_t/(2α_t(1 − ᾱ_{t−1}))",
    family=FAMILY,
    statement=r"\mathrm{KL}(q(x_{t-1}\mid x_t,x_0)\,\|\,\mathcal N(\mu_\theta(x_t,\epsilon_\theta),\tilde\beta_t)) / (\epsilon-\epsilon_\theta)^2",
    variables=(ALPHA_T, ALPHA_BAR_PREV),
    defined=DEFINED,
    derivation=loss_weight_derivation(),
    numeric=numeric.kl_weight,
    numeric_route="torch kl_divergence between the conditioned posterior and the ε_θ reverse step, divided by (ε − ε_θ)²",
    wrong_variants=(
        WrongVariant("the 'simple' loss: weight 1", sympy.Integer(1)),
        WrongVariant("sigma_t^2 = beta_t in place of the posterior variance", beta_t / (2 * alpha_t * (1 - alpha_bar_t))),
    ),
    sources=(
        Source(S002, "544", r"The 'Variational Lower Bound' math simplifies beautifully into the MSE Loss you use in code: \Vert\epsilon - \epsilon_\theta\Vert^2.",
               expr=sympy.Integer(1), correct=r"each KL term is \beta_t/(2\alpha_t(1-\bar\alpha_{t-1}))\,\|\epsilon-\epsilon_\theta\|^2: "
                                               r"the simple loss drops a weight that varies with t (and the L_0, L_T terms)",
               note="read as: the weight on ||ε − ε_θ||² is 1"),
        Source(S004, "3379–3380", r"Maximize ELBO (like VAE); Simplifies to: \mathbb{E}[\|\boldsymbol{\epsilon} - \boldsymbol{\epsilon}_\theta(\mathbf{x}_t, t)\|^2]",
               expr=sympy.Integer(1), correct=r"the ELBO gives \beta_t/(2\alpha_t(1-\bar\alpha_{t-1}))\,\|\epsilon-\epsilon_\theta\|^2 per step; the simple loss reweights it",
               note="read as: the weight on ||ε − ε_θ||² is 1"),
    ),
))

ALPHA_BAR = Var("alpha_bar", r"\bar\alpha", NOISE_LEVEL)
MU0 = Var("mu0", r"\mu_0", REAL)
S0 = Var("s0", "s_0", Domain("> 0", {"positive": True}, low=0.0, sample_low=0.2, sample_high=2.0))
alpha_bar, mu0, s0 = ALPHA_BAR.symbol, MU0.symbol, S0.symbol


def tweedie_derivation():
    variance = alpha_bar * s0**2 + 1 - alpha_bar
    return (
        Step(r"x_t = \sqrt{\bar\alpha}x_0 + \sqrt{1-\bar\alpha}\,\epsilon with x_0 \sim \mathcal N(\mu_0, s_0^2): (\epsilon, x_t) jointly Gaussian, "
             r"Cov(\epsilon, x_t) = \sqrt{1-\bar\alpha}, Var(x_t) = \bar\alpha s_0^2 + 1 - \bar\alpha; conditioning gives E[\epsilon\mid x_t]",
             sqrt(1 - alpha_bar) * (xt - sqrt(alpha_bar) * mu0) / variance),
        Step(r"= -\sqrt{1-\bar\alpha}\,\partial_{x_t}\log q_t(x_t), q_t = \mathcal N(\sqrt{\bar\alpha}\mu_0, \bar\alpha s_0^2 + 1 - \bar\alpha) "
             r"(the score of the noisy marginal)",
             sqrt(1 - alpha_bar) * (xt - sqrt(alpha_bar) * mu0) / variance,
             op=lambda _: -sqrt(1 - alpha_bar) * sympy.diff(log_normal(xt, sqrt(alpha_bar) * mu0, sqrt(variance)), xt)),
    )


register(Claim(
    id="ddpm.tweedie",
    title="The MSE-optimal ε-predictor is E[ε|x_t] = −√(1 − ᾱ) ∇log q_t(x_t) (Gaussian data)",
    family=FAMILY,
    statement=r"\mathbb E[\epsilon\mid x_t],\ x_0\sim\mathcal N(\mu_0, s_0^2)",
    variables=(XT, ALPHA_BAR, MU0, S0),
    derivation=tweedie_derivation(),
    numeric=numeric.tweedie_routes,
    numeric_route="autograd of torch Normal log q_t times −√(1−ᾱ); exact check on a 2-component Gaussian mixture in property_tests/test_ddpm.py",
    wrong_variants=(
        WrongVariant("the score without the -sqrt(1 - alpha_bar) factor",
                     -(xt - sqrt(alpha_bar) * mu0) / (alpha_bar * s0**2 + 1 - alpha_bar)),
        WrongVariant("predict x_t itself", xt),
    ),
    sources=(
        Source(S004, "3436", r"\epsilon_{\theta}(\mathbf{x}_t, t) \approx -\sqrt{1 - \bar{\alpha}_t} \nabla \log p(\mathbf{x}_t)",
               expr=-sqrt(1 - alpha_bar) * sympy.diff(log_normal(xt, sqrt(alpha_bar) * mu0, sqrt(alpha_bar * s0**2 + 1 - alpha_bar)), xt),
               note="for the optimal ε_θ, with p(x_t) the time-t marginal (Gaussian data here)"),
    ),
))
