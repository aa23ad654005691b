r"""The reverse posterior q(x_{t−1} | x_t, x_0): Bayes' rule, completing the square, the ε form.

.. math::  q(x_{t-1}\mid x_t,x_0) = \mathcal N\Big(\frac{\sqrt{\bar\alpha_{t-1}}\beta_t}{1-\bar\alpha_t}x_0
           + \frac{\sqrt{\alpha_t}(1-\bar\alpha_{t-1})}{1-\bar\alpha_t}x_t,\ \frac{1-\bar\alpha_{t-1}}{1-\bar\alpha_t}\beta_t\Big)

(Ho et al. 2020, eqs. 6–7); with x_0 = (x_t − √(1−ᾱ_t) ε)/√ᾱ_t the mean is
(x_t − β_t/√(1−ᾱ_t) ε)/√α_t (eq. 11).

Seeds: 004 L3374.
"""

from __future__ import annotations

import sympy
from sympy import sqrt

from derivspec.core import Claim, Source, Step, WrongVariant, claim, target_of
from derivspec.core.claims import Recognise
from derivspec.core.lectures import S004
from derivspec.derivations.ddpm.forward import (ALPHA_BAR_PREV, ALPHA_NOTE, ALPHA_T, DEFINED, EPS, X0, XT, alpha_bar_prev,
                                                alpha_bar_t, alpha_t, beta_t, eps, x0, xt)
from derivspec.derivations.nll.gaussian import gaussian_nll

x_prev = sympy.Symbol("x_prev", real=True)  # x_{t−1}, the variable the posterior is over


def log_normal(at, mean, std) -> sympy.Expr:
    """log N(at; mean, std²) = −(the Gaussian NLL, claim nll.gaussian)."""
    return -gaussian_nll(at, mean, std)


def posterior_log_density() -> sympy.Expr:
    """Bayes: log q(x_{t−1}|x_t,x_0) = log q(x_t|x_{t−1}) + log q(x_{t−1}|x_0) − log q(x_t|x_0)."""
    return (log_normal(xt, sqrt(alpha_t) * x_prev, sqrt(beta_t))
            + log_normal(x_prev, sqrt(alpha_bar_prev) * x0, sqrt(1 - alpha_bar_prev))
            - log_normal(xt, sqrt(alpha_bar_t) * x0, sqrt(1 - alpha_bar_t)))


def quadratic_coefficients(e) -> tuple[sympy.Expr, sympy.Expr]:
    """(coefficient of x_{t−1}², coefficient of x_{t−1}) of a quadratic in x_{t−1}."""
    poly = sympy.Poly(sympy.expand(e), x_prev)
    return poly.coeff_monomial(x_prev**2), poly.coeff_monomial(x_prev)


@claim("ddpm.posterior.variance")
def ddpm_posterior_variance() -> Claim:
    """β̃_t = (1 − ᾱ_{t−1}) β_t / (1 − ᾱ_t): one over the precision of the completed square."""
    return Claim(
        title="Posterior variance of q(x_{t−1} | x_t, x_0): β̃_t = (1 − ᾱ_{t−1}) β_t / (1 − ᾱ_t)",
        recognise=(
            Recognise(r"q(x_{t-1} \mid x_t, x_0)", part="variance"),
            Recognise(r"\tilde\beta_t"),
        ),
        statement=r"\mathrm{Var}[x_{t-1}\mid x_t, x_0]",
        variables=(ALPHA_T, ALPHA_BAR_PREV),
        defined=DEFINED,
        derivation=(
            Step(r"Bayes' rule: \log q(x_{t-1}\mid x_t,x_0) = \log q(x_t\mid x_{t-1}) + \log q(x_{t-1}\mid x_0) - \log q(x_t\mid x_0), "
                 r"a quadratic in x_{t-1} (Gaussian log-densities from claim nll.gaussian)", posterior_log_density()),
            Step(r"completing the square: the precision is -2\times the coefficient of x_{t-1}^2, \alpha_t/\beta_t + 1/(1-\bar\alpha_{t-1})",
                 alpha_t / beta_t + 1 / (1 - alpha_bar_prev), op=lambda e: -2 * quadratic_coefficients(e)[0]),
            Step(r"variance = 1/precision = (1-\bar\alpha_{t-1})\beta_t/(1-\bar\alpha_t)",
                 (1 - alpha_bar_prev) * beta_t / (1 - alpha_bar_t), op=lambda e: 1 / e),
        ),
        wrong_variants=(
            WrongVariant("alpha_bar_t in place of alpha_bar_{t-1}", (1 - alpha_bar_t) * beta_t / (1 - alpha_bar_t)),
            WrongVariant("the forward step variance beta_t", beta_t),
        ),
    )


@claim("ddpm.posterior.mean")
def ddpm_posterior_mean() -> Claim:
    """μ̃_t = √ᾱ_{t−1} β_t/(1 − ᾱ_t) x_0 + √α_t (1 − ᾱ_{t−1})/(1 − ᾱ_t) x_t."""
    return Claim(
        title="Posterior mean of q(x_{t−1} | x_t, x_0) (Bayes' rule, completing the square)",
        recognise=(
            Recognise(r"q(x_{t-1} \mid x_t, x_0)", part="mean"),
            Recognise(r"\tilde\mu_t(x_t, x_0)"),
            Recognise(r"\tilde\mu_t", requires=(r"x_0",)),
        ),
        statement=r"\mathbb E[x_{t-1}\mid x_t, x_0]",
        variables=(X0, XT, ALPHA_T, ALPHA_BAR_PREV),
        defined=DEFINED,
        derivation=(
            Step(r"Bayes' rule, as for the variance (claim ddpm.posterior.variance)", posterior_log_density()),
            Step(r"completing the square: the mean is -(\text{coefficient of } x_{t-1}) / (2\times\text{coefficient of } x_{t-1}^2)",
                 sqrt(alpha_bar_prev) * beta_t / (1 - alpha_bar_t) * x0
                 + sqrt(alpha_t) * (1 - alpha_bar_prev) / (1 - alpha_bar_t) * xt,
                 op=lambda e: -quadratic_coefficients(e)[1] / (2 * quadratic_coefficients(e)[0])),
        ),
        wrong_variants=(
            WrongVariant("wrong index: sqrt(alpha_bar_t) on x_0", sqrt(alpha_bar_t) * beta_t / (1 - alpha_bar_t) * x0
                         + sqrt(alpha_t) * (1 - alpha_bar_prev) / (1 - alpha_bar_t) * xt),
            WrongVariant("missing sqrt(alpha_t) on x_t", sqrt(alpha_bar_prev) * beta_t / (1 - alpha_bar_t) * x0
                         + (1 - alpha_bar_prev) / (1 - alpha_bar_t) * xt),
        ),
    )


def x0_from_noise(noise=eps) -> sympy.Expr:
    """The forward jump x_t = √ᾱ_t x_0 + √(1−ᾱ_t) ε solved for x_0."""
    return (xt - sqrt(1 - alpha_bar_t) * noise) / sqrt(alpha_bar_t)


@claim("ddpm.posterior.mean-eps")
def ddpm_posterior_mean_eps() -> Claim:
    """μ̃_t = (x_t − β_t/√(1 − ᾱ_t) ε)/√α_t: the posterior mean with x_0 written through the noise."""
    return Claim(
        title="Posterior mean in terms of the noise: (x_t − β_t/√(1 − ᾱ_t) ε)/√α_t",
        recognise=(
            Recognise(r"\tilde\mu_t", requires=(r"\epsilon", r"x_t")),
            Recognise(r"\mu_\theta(x_t, t)", interpret={r"\epsilon_\theta(x_t, t)": eps}),
            Recognise(r"\mu_\theta", requires=(r"x_t",), interpret={r"\epsilon_\theta(x_t, t)": eps}),
        ),
        statement=r"\tilde\mu_t(x_t, x_0(\epsilon)),\ x_t = \sqrt{\bar\alpha_t}x_0 + \sqrt{1-\bar\alpha_t}\epsilon",
        variables=(XT, EPS, ALPHA_T, ALPHA_BAR_PREV),
        defined=DEFINED,
        derivation=(
            Step("posterior mean (claim ddpm.posterior.mean)", target_of("ddpm.posterior.mean")),
            Step(r"substitute x_0 = (x_t - \sqrt{1-\bar\alpha_t}\,\epsilon)/\sqrt{\bar\alpha_t} (the forward jump solved for x_0)",
                 sqrt(alpha_bar_prev) * beta_t / (1 - alpha_bar_t) * (xt - sqrt(1 - alpha_bar_t) * eps) / sqrt(alpha_bar_t)
                 + sqrt(alpha_t) * (1 - alpha_bar_prev) / (1 - alpha_bar_t) * xt,
                 op=lambda e: e.subs(x0, x0_from_noise())),
            Step(r"simplify: \frac{1}{\sqrt{\alpha_t}}\big(x_t - \frac{\beta_t}{\sqrt{1-\bar\alpha_t}}\epsilon\big)",
                 (xt - beta_t / sqrt(1 - alpha_bar_t) * eps) / sqrt(alpha_t)),
        ),
        wrong_variants=(
            WrongVariant("sqrt(beta_t) in place of beta_t", (xt - sqrt(beta_t) / sqrt(1 - alpha_bar_t) * eps) / sqrt(alpha_t)),
            WrongVariant("divided by sqrt(alpha_bar_t)", (xt - beta_t / sqrt(1 - alpha_bar_t) * eps) / sqrt(alpha_bar_t)),
        ),
        sources=(
            Source(S004, "3374", r"\boldsymbol{\mu}_\theta = \frac{1}{\sqrt{1-\beta_t}} \left(\mathbf{x}_t - \frac{\beta_t}{\sqrt{1-\alpha_t}} \boldsymbol{\epsilon}_\theta(\mathbf{x}_t, t) \right)",
                   category="notation/index", severity="notation",
                   expr=(xt - beta_t / sqrt(1 - alpha_t) * eps) / sqrt(1 - beta_t),
                   correct=r"\mu = \frac{1}{\sqrt{\alpha_t}}\big(x_t - \frac{\beta_t}{\sqrt{1-\bar\alpha_t}}\epsilon\big)",
                   note="with ε_θ = ε, the parameterisation of the posterior mean; " + ALPHA_NOTE),
        ),
    )
