r"""λ of a prior: a Gaussian prior is an L2 penalty, a Laplace prior an L1 penalty.

For y_i ~ N(θx_i, σ²) (three points, one feature) and a prior on θ, the negative log posterior
is written from the densities, the θ-free terms are dropped and λ is read off as the
coefficient of the penalty, in the SSE, NLL or mean-loss convention (see the package
docstring). Seeds: 000 L240; 002 L143; 003 L123–125, L1602–1674, L1697.
"""

from __future__ import annotations

import sympy
import sympy.stats
from sympy import Abs, log

from derivspec.core import Claim, Source, Step, Var, WrongVariant, claim, count_between, positive_between, target_of
from derivspec.core.lectures import S000, S002, S003, S004
from derivspec.derivations.nll.gradients import theta
from derivspec.derivations.nll.least_squares import sse, sum_of_nlls

SIGMA = Var("sigma", r"\sigma", positive_between(0.3, 3))
TAU = Var("tau", r"\tau", positive_between(0.3, 3))
B = Var("b", "b", positive_between(0.3, 3))
N = Var("N", "N", count_between(5, 100))
sigma, tau, b, n_points = SIGMA.symbol, TAU.symbol, B.symbol, N.symbol
evidence = sympy.Symbol("p_D", positive=True)  # p(D), the evidence


def likelihood_normalisers():
    """The θ-free part of Σᵢ −log N(yᵢ; θxᵢ, σ²): three times ½ log(2πσ²)."""
    return 3 * log(2 * sympy.pi * sigma**2) / 2


def gaussian_prior_nll():
    """−log N(θ; 0, τ²) from sympy.stats."""
    return -log(sympy.stats.density(sympy.stats.Normal("Prior", 0, tau))(theta))


def laplace_prior_nll():
    """−log Laplace(θ; 0, b) from sympy.stats."""
    return -log(sympy.stats.density(sympy.stats.Laplace("Prior", 0, b))(theta))


def negative_log_posterior(prior_nll, prior_normaliser, penalty):
    """The first two lines every prior shares: Bayes' rule, then drop the θ-free terms."""
    return (
        Step(r"Bayes' rule: -\log p(\theta\mid D) = \sum_i -\log\mathcal N(y_i;\theta x_i,\sigma^2) - \log p(\theta) + \log p(D) "
             r"(likelihood from claim nll.gaussian, prior density from sympy.stats)",
             sum_of_nlls() + prior_nll + log(evidence)),
        Step(r"drop the \theta-free terms: \log p(D) (the evidence does not move the argmax) and the normalisers",
             sse() / (2 * sigma**2) + penalty,
             op=lambda e: sympy.expand_log(e - log(evidence) - likelihood_normalisers() - prior_normaliser, force=True)),
    )


def gaussian_prior_derivation(convention: str):
    """−log posterior under N(0, τ²), read off as λ in the SSE or the NLL convention."""
    steps = list(negative_log_posterior(gaussian_prior_nll(), log(2 * sympy.pi * tau**2) / 2, theta**2 / (2 * tau**2)))
    if convention == "nll":
        steps.append(Step(r"read off \lambda: the coefficient of \theta^2 next to the NLL \sum_i (y_i-\theta x_i)^2/(2\sigma^2)",
                          1 / (2 * tau**2), op=lambda e: sympy.simplify((e - sse() / (2 * sigma**2)) / theta**2)))
    else:
        steps.append(Step(r"multiply by 2\sigma^2 > 0 (the argmin does not move): squared errors plus a penalty",
                          sse() + sigma**2 / tau**2 * theta**2, op=lambda e: sympy.expand(2 * sigma**2 * e)))
        steps.append(Step(r"read off \lambda: the coefficient of \theta^2 next to \sum_i (y_i-\theta x_i)^2",
                          sigma**2 / tau**2, op=lambda e: sympy.simplify((e - sse()) / theta**2)))
    return tuple(steps)


def laplace_prior_derivation(convention: str):
    """−log posterior under Laplace(0, b), read off as λ in the SSE or the NLL convention."""
    steps = list(negative_log_posterior(laplace_prior_nll(), log(2 * b), Abs(theta) / b))
    if convention == "nll":
        steps.append(Step(r"read off \lambda: the coefficient of |\theta| next to the NLL \sum_i (y_i-\theta x_i)^2/(2\sigma^2)",
                          1 / b, op=lambda e: sympy.simplify((e - sse() / (2 * sigma**2)) / Abs(theta))))
    else:
        steps.append(Step(r"multiply by 2\sigma^2 > 0 (the argmin does not move)",
                          sse() + 2 * sigma**2 / b * Abs(theta), op=lambda e: sympy.expand(2 * sigma**2 * e)))
        steps.append(Step(r"read off \lambda: the coefficient of |\theta| next to \sum_i (y_i-\theta x_i)^2",
                          2 * sigma**2 / b, op=lambda e: sympy.simplify((e - sse()) / Abs(theta))))
    return tuple(steps)


# --- Gaussian prior: L2 ----------------------------------------------------------------------


@claim("map.gaussian-prior.l2")
def map_gaussian_prior_l2() -> Claim:
    """λ = σ²/τ² for Σ(yᵢ − θxᵢ)² + λθ² under θ ~ N(0, τ²), yᵢ ~ N(θxᵢ, σ²)."""
    return Claim(
        title="MAP with a Gaussian prior is ridge: λ = σ²/τ² for Σ(y − θᵀx)² + λ‖θ‖²",
        statement=r"\lambda \text{ with } \arg\max p(\theta\mid D) = \arg\min \sum_i (y_i-\theta^\top x_i)^2 + \lambda\|\theta\|_2^2",
        variables=(SIGMA, TAU),
        derivation=gaussian_prior_derivation("sse"),
        wrong_variants=(
            WrongVariant("the NLL-convention value 1/(2 tau^2)", 1 / (2 * tau**2)),
            WrongVariant("ratio upside down", tau**2 / sigma**2),
            WrongVariant("extra factor 2 (as for the Laplace prior)", 2 * sigma**2 / tau**2),
        ),
        sources=(
            Source(S002, "143", r"\min_{\theta, \phi} \sum_X |X-\hat X|^2 + \lambda |E(X; \theta)|^2",
                   note="the SSE form with a Gaussian code prior N(0, I); λ is not given (with decoder noise σ² it would be σ²)"),
            Source(S000, "240", r"the choice of the prior (e.g. Gaussian, Laplace) leads directly to *regularization* terms (like Weight Decay)",
                   note="qualitative; this claim and map.laplace-prior.l1 give the λ of each"),
        ),
    )


@claim("map.gaussian-prior.l2.nll")
def map_gaussian_prior_l2_nll() -> Claim:
    """λ = 1/(2τ²) for the summed NLL + λθ² under θ ~ N(0, τ²)."""
    return Claim(
        title="MAP with a Gaussian prior, NLL convention: L_NLL + λ‖θ‖² with λ = 1/(2τ²)",
        statement=r"\lambda \text{ with } \arg\max p(\theta\mid D) = \arg\min L_{NLL}(\theta) + \lambda\|\theta\|_2^2",
        variables=(SIGMA, TAU),
        derivation=gaussian_prior_derivation("nll"),
        wrong_variants=(
            WrongVariant("the SSE-convention value", sigma**2 / tau**2),
            WrongVariant("missing 1/2", 1 / tau**2),
        ),
        sources=(
            Source(S003, "1602–1612", r"\log p(\boldsymbol{\theta}) = -\frac{1}{2\sigma_p^2} \|\boldsymbol{\theta}\|_2^2 + \text{const}",
                   expr=1 / (2 * tau**2), note=r"the coefficient of \|\theta\|^2 in -\log p(\theta), with \sigma_p = \tau"),
            Source(S003, "1618–1626", r"L_{\text{MAP}}(\boldsymbol{\theta}) = L_{\text{NLL}}(\boldsymbol{\theta}) + \lambda \|\boldsymbol{\theta}\|_2^2, \quad \lambda := \frac{1}{2\sigma_p^2}",
                   expr=1 / (2 * tau**2), note=r"L_NLL is the summed NLL (003 L1588), so this is the NLL convention; \sigma_p = \tau"),
            Source(S003, "1633–1635", r"\lambda = 0.01 (corresponds to \sigma_p^2 = 50 — a fairly weak prior)",
                   value=0.01, decimals=3, at={"tau": sympy.sqrt(50), "sigma": 1}),
            Source(S004, "1668–1672", r"MAP with Gaussian prior p(\theta) = \mathcal{N}(0, \lambda^{-1}I) is equivalent to: \theta^* = \arg \max_{\theta} \log p(\mathcal{D}|\theta) - \frac{\lambda}{2} \|\theta\|^2 \quad (64)",
                   expr=(1 / tau**2) / 2,
                   note=r"the prior precision \lambda is 1/\tau^2, so the penalty weight \lambda/2 is this claim's 1/(2\tau^2) "
                        r"(the notes' \lambda is the precision, this claim's the penalty weight)"),
        ),
    )


@claim("map.gaussian-prior.l2.mean")
def map_gaussian_prior_l2_mean() -> Claim:
    """λ = σ²/(Nτ²) for the mean squared error + λθ² under θ ~ N(0, τ²)."""
    sse_total, norm_sq = sympy.symbols("S_N T", positive=True)  # Σ over N points, ‖θ‖²
    return Claim(
        title="MAP with a Gaussian prior, mean-loss convention: MSE + λ‖θ‖² with λ = σ²/(Nτ²)",
        statement=r"\lambda \text{ with } \arg\max p(\theta\mid D) = \arg\min \tfrac1N\sum_{i=1}^N (y_i-\theta^\top x_i)^2 + \lambda\|\theta\|_2^2",
        variables=(SIGMA, TAU, N),
        derivation=(
            Step(r"SSE convention (claim map.gaussian-prior.l2): S_N + (\sigma^2/\tau^2)\|\theta\|^2, S_N the sum of N squared errors",
                 sse_total + target_of("map.gaussian-prior.l2") * norm_sq),
            Step(r"divide by N > 0 (the argmin does not move): the mean squared error S_N/N plus a penalty",
                 sse_total / n_points + sigma**2 / (n_points * tau**2) * norm_sq, op=lambda e: sympy.expand(e / n_points)),
            Step(r"read off \lambda: the coefficient of \|\theta\|^2", sigma**2 / (n_points * tau**2),
                 op=lambda e: sympy.expand(e).coeff(norm_sq)),
        ),
        wrong_variants=(
            WrongVariant("forgot the 1/N", sigma**2 / tau**2),
            WrongVariant("multiplied by N", n_points * sigma**2 / tau**2),
        ),
        sources=(
            Source(S003, "123–125", r"L(\boldsymbol{\theta}) + \lambda \|\boldsymbol{\theta}\|_2^2 = L(\boldsymbol{\theta}) + \lambda \sum_j \theta_j^2",
                   note=r"not compared: λ is not given here. With L the mean squared error of 003 L84 the MAP weight is this "
                        r"claim's target \sigma^2/(N\sigma_p^2); the \lambda := 1/(2\sigma_p^2) of L1624 is for the summed NLL "
                        r"(compared there on map.gaussian-prior.l2.nll)"),
            Source(S003, "2066–2070", r"\hat{\theta}_{\text{MAP}} = \arg \min_{\theta} \left[ \text{KL}(\hat{p}_{\text{data}} \parallel p_{\theta}) - \frac{1}{N} \log p(\theta) \right]; **L2 regularization** through this lens · \"minimize KL-to-empirical, plus pay \lambda \|\theta\|^2",
                   expr=(1 / (2 * n_points * tau**2)) / (1 / (2 * sigma**2)),
                   note=r"Gaussian noise and prior N(0, \tau^2): the θ-dependent part of the KL is MSE/(2\sigma^2), of "
                        r"-\frac1N\log p(\theta) it is \|\theta\|^2/(2N\tau^2); the penalty's weight relative to the MSE"),
        ),
    )


# --- Laplace prior: L1 -----------------------------------------------------------------------


@claim("map.laplace-prior.l1")
def map_laplace_prior_l1() -> Claim:
    """λ = 2σ²/b for Σ(yᵢ − θxᵢ)² + λ|θ| under θ ~ Laplace(0, b), yᵢ ~ N(θxᵢ, σ²)."""
    return Claim(
        title="MAP with a Laplace prior is lasso: λ = 2σ²/b for Σ(y − θᵀx)² + λ‖θ‖₁",
        statement=r"\lambda \text{ with } \arg\max p(\theta\mid D) = \arg\min \sum_i (y_i-\theta^\top x_i)^2 + \lambda\|\theta\|_1",
        variables=(SIGMA, B),
        derivation=laplace_prior_derivation("sse"),
        wrong_variants=(
            WrongVariant("the NLL-convention value 1/b", 1 / b),
            WrongVariant("missing factor 2", sigma**2 / b),
            WrongVariant("b in place of 1/b", 2 * sigma**2 * b),
        ),
        sources=(
            Source(S003, "1697", r"2\lambda\theta_j (smooth) vs \lambda \text{sign}(\theta_j) (kink at 0)",
                   note="penalty gradients of λ‖θ‖² and λ‖θ‖₁; they hold for any λ and do not fix the convention"),
            Source(S004, "1674–1678", r"Different priors induce different regularizers: Gaussian prior: L2 regularization (ridge); Laplace prior: L1 regularization (lasso); Student-t prior: Robust to outliers",
                   note="not compared here: no weight is written (the lasso weight is this claim's 2σ²/b, the ridge weight "
                        "map.gaussian-prior.l2's σ²/τ²); which penalty each prior gives is compared on nll.laplace and "
                        "nll.gaussian; the Student-t statement is not checked"),
        ),
    )


@claim("map.laplace-prior.l1.nll")
def map_laplace_prior_l1_nll() -> Claim:
    """λ = 1/b for the summed NLL + λ|θ| under θ ~ Laplace(0, b)."""
    return Claim(
        title="MAP with a Laplace prior, NLL convention: L_NLL + λ‖θ‖₁ with λ = 1/b",
        statement=r"\lambda \text{ with } \arg\max p(\theta\mid D) = \arg\min L_{NLL}(\theta) + \lambda\|\theta\|_1",
        variables=(SIGMA, B),
        derivation=laplace_prior_derivation("nll"),
        wrong_variants=(
            WrongVariant("the SSE-convention value", 2 * sigma**2 / b),
            WrongVariant("b in place of 1/b", b),
        ),
        sources=(
            Source(S003, "1651", r"p(\theta_j) = \frac{1}{2b} \exp\left(-\frac{|\theta_j|}{b}\right)",
                   note="the Laplace prior density (the derivation's starting point, from sympy.stats)"),
            Source(S003, "1655–1659", r"\log p(\boldsymbol{\theta}) = -\frac{1}{b} \|\boldsymbol{\theta}\|_1 + const",
                   expr=1 / b, note=r"the coefficient of \|\theta\|_1 in -\log p(\theta)"),
            Source(S003, "1667–1674", r"L_{\text{MAP}}(\boldsymbol{\theta}) = L_{\text{NLL}}(\boldsymbol{\theta}) + \lambda \|\boldsymbol{\theta}\|_1, \quad \lambda := \frac{1}{b}",
                   expr=1 / b, note="L_NLL is the summed NLL (003 L1588): the NLL convention"),
        ),
    )
