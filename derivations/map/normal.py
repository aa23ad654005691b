r"""The posterior of a Gaussian mean under a Gaussian prior, the noise variance known (normal-normal).

With ``\mu \sim \mathcal N(\mu_0, \sigma_0^2)`` and ``x_i \mid \mu \sim \mathcal N(\mu, \sigma^2)`` i.i.d.,
i = 1, ..., N, Bayes' rule gives log p(μ | x) = log p(μ) + Σ_i log p(x_i | μ) + const, a quadratic in μ:
the posterior is Gaussian, its precision the coefficient of -μ²/2 and its mean where the quadratic is flat
(completing the square, Bishop PRML eqs. 2.141-2.142):

* ``1/\sigma_N^2 = 1/\sigma_0^2 + N/\sigma^2`` (precisions add);
* ``\mu_N = \sigma_N^2 (\mu_0/\sigma_0^2 + \sum_i x_i/\sigma^2)``
  ``= (\sigma^2\mu_0 + N\sigma_0^2\bar x)/(N\sigma_0^2 + \sigma^2)``.

Derived for N = 3 observations; the general form at a symbolic N (``Sizes``) is derived from the same log joint
with SymPy sums read by linearity (:mod:`derivspec.core.sums`). ``derivspec scan`` compares a lecture's
statement with it through the model the lecture declares (derivspec/scan/normal_posterior.py): the prior mean,
the prior and noise variances are the lecture's own expressions, so the generic sized comparison (which reads
only statistics of the items) leaves these claims alone. property_tests/test_scan_normal_posterior.py checks
both against quadrature of prior x likelihood.

Seeds: 003 L442 (conjugacy), L535-537 (a Gaussian prior on the mean of a Gaussian likelihood), L994 (the table).
"""

from __future__ import annotations

import sympy

from derivspec.core import POSITIVE, REAL, Claim, Recognise, Sizes, Source, Step, Var, WrongVariant, claim
from derivspec.core.lectures import S003
from derivspec.core.sums import linear_form, solve_linear_in_sums
from derivspec.derivations.nll.gaussian import gaussian_nll

XS = tuple(Var(f"x{i}", f"x_{i}", REAL) for i in (1, 2, 3))
MU0 = Var("mu0", r"\mu_0", REAL)
SIGMA0 = Var("sigma0", r"\sigma_0", POSITIVE)
SIGMA = Var("sigma", r"\sigma", POSITIVE)
x1, x2, x3 = (v.symbol for v in XS)
mu0, sigma0, sigma = MU0.symbol, SIGMA0.symbol, SIGMA.symbol
mu = sympy.Symbol("mu", real=True)  # the unknown mean, integrated over
VARIABLES = (*XS, MU0, SIGMA0, SIGMA)
TOTAL = x1 + x2 + x3
POSTERIOR_VARIANCE = 1 / (1 / sigma0**2 + 3 / sigma**2)
POSTERIOR_MEAN = (sigma**2 * mu0 + sigma0**2 * TOTAL) / (3 * sigma0**2 + sigma**2)


def log_joint(xs=(x1, x2, x3)) -> sympy.Expr:
    """log p(μ) + Σ_i log p(x_i | μ): the log posterior up to a term free of μ (log-densities from nll.gaussian)."""
    return -gaussian_nll(mu, mu0, sigma0) - sum(gaussian_nll(xi, mu, sigma) for xi in xs)


def bayes_step() -> Step:
    """The first line of both posterior derivations: Bayes' rule, the log joint in μ."""
    return Step(r"Bayes' rule: \log p(\mu \mid x) = \log p(\mu) + \sum_i \log p(x_i \mid \mu) + \text{const} "
                r"(log-densities from claim nll.gaussian)", log_joint())


def _log_joint_general(n: sympy.Symbol, item) -> sympy.Expr:
    i = sympy.Symbol("i", integer=True)
    return -gaussian_nll(mu, mu0, sigma0) + sympy.Sum(-gaussian_nll(item(i), mu, sigma), (i, 1, n))


def posterior_variance_general(n: sympy.Symbol, item) -> sympy.Expr:
    """σ_N² at a symbolic N: minus the inverse of the log joint's second derivative in μ (its sums by linearity)."""
    return 1 / -linear_form(sympy.diff(_log_joint_general(n, item), mu, 2))


def posterior_mean_general(n: sympy.Symbol, item) -> sympy.Expr:
    """μ_N at a symbolic N: where the log joint is flat in μ (the sums of the items taken as names)."""
    return solve_linear_in_sums(sympy.diff(_log_joint_general(n, item), mu), mu)


_SOURCES = (
    Source(S003, "535–537", r"**Conjugacy.** A Gaussian prior \mathcal{N}(\mu_0, \sigma_0^2) on the mean of a Gaussian "
                            r"likelihood \mathcal{N}(\mu, \sigma^2) gives a **Gaussian posterior** with closed-form "
                            r"mean and variance.",
           note="not compared: the line names the closed form without writing it; this claim derives it (the one-"
                "observation variance is compared in latent.gmm's product of Gaussians)"),
    Source(S003, "994", r"Normal( \mu, \sigma^2 ), \sigma known · Normal( \mu_0, \sigma_0^2 ) · "
                        r"Normal (closed-form \mu, \sigma )",
           note="not compared: the table names the posterior's family (Normal), which the derivation shows (the log "
                "posterior is quadratic in μ), without its parameters"),
)


@claim("map.normal-normal.posterior-variance")
def map_normal_normal_posterior_variance() -> Claim:
    """Var[μ | x_1, x_2, x_3] = 1/(1/σ_0² + 3/σ²): precisions add."""
    return Claim(
        title="Gaussian mean, Gaussian prior, known noise variance: the posterior precision is 1/σ_0² + N/σ² "
              "(derived at N = 3; any N by linearity of sums)",
        recognise=(Recognise(r"\sigma_N^2", sizes=Sizes(
            posterior_variance_general, correct=r"\left(\frac{1}{\sigma_0^2} + \frac{N}{\sigma^2}\right)^{-1}")),),
        statement=r"\mathrm{Var}[\mu \mid x_1, x_2, x_3],\ \mu \sim \mathcal N(\mu_0, \sigma_0^2),\ "
                  r"x_i \mid \mu \sim \mathcal N(\mu, \sigma^2)\ \text{i.i.d.}",
        variables=VARIABLES,
        derivation=(
            bayes_step(),
            Step(r"a quadratic in \mu, so the posterior is Gaussian; its precision is minus the second derivative in "
                 r"\mu: precisions add", 1 / sigma0**2 + 3 / sigma**2, op=lambda e: -sympy.diff(e, mu, 2)),
            Step(r"the variance is the inverse precision", POSTERIOR_VARIANCE, op=lambda e: 1 / e),
        ),
        wrong_variants=(
            WrongVariant("N missing in the precision (one observation's update)", 1 / (1 / sigma0**2 + 1 / sigma**2)),
            WrongVariant("variances added instead of precisions", sigma0**2 + sigma**2 / 3),
            WrongVariant("the prior's and the noise's variances swapped", 1 / (1 / sigma**2 + 3 / sigma0**2)),
        ),
        sources=_SOURCES,
    )


@claim("map.normal-normal.posterior-mean")
def map_normal_normal_posterior_mean() -> Claim:
    """E[μ | x_1, x_2, x_3] = (σ²μ_0 + σ_0² Σ x_i)/(3σ_0² + σ²): precision-weighted prior mean and data."""
    return Claim(
        title="Gaussian mean, Gaussian prior, known noise variance: the posterior mean is σ_N²(μ_0/σ_0² + Σ x_i/σ²) "
              "(derived at N = 3; any N by linearity of sums)",
        recognise=(Recognise(r"\mu_N", sizes=Sizes(posterior_mean_general, statistics={r"\bar x": _sample_mean},
                                                   correct=r"\frac{\sigma^2\mu_0 + \sigma_0^2\sum_{i=1}^{N} x_i}"
                                                           r"{N\sigma_0^2 + \sigma^2}")),),
        statement=r"\mathbb E[\mu \mid x_1, x_2, x_3],\ \mu \sim \mathcal N(\mu_0, \sigma_0^2),\ "
                  r"x_i \mid \mu \sim \mathcal N(\mu, \sigma^2)\ \text{i.i.d.}",
        variables=VARIABLES,
        derivation=(
            bayes_step(),
            Step(r"a quadratic in \mu: its derivative in \mu, linear, "
                 r"-(\mu - \mu_0)/\sigma_0^2 + \sum_i (x_i - \mu)/\sigma^2",
                 -(mu - mu0) / sigma0**2 + sum((xi - mu) / sigma**2 for xi in (x1, x2, x3)),
                 op=lambda e: sympy.diff(e, mu)),
            Step(r"complete the square: the Gaussian's mean is where the derivative vanishes",
                 POSTERIOR_MEAN, op=lambda e: sympy.solve(e, mu)[0]),
            Step(r"written as \sigma_N^2(\mu_0/\sigma_0^2 + \sum_i x_i/\sigma^2), \sigma_N^2 from claim "
                 r"map.normal-normal.posterior-variance", POSTERIOR_VARIANCE * (mu0 / sigma0**2 + TOTAL / sigma**2)),
        ),
        wrong_variants=(
            WrongVariant("N missing: the prior weighed against one observation's mean",
                         (sigma**2 * mu0 + sigma0**2 * TOTAL / 3) / (sigma0**2 + sigma**2)),
            WrongVariant("the prior mean's weight swapped with the data's",
                         (sigma0**2 * mu0 + sigma**2 * TOTAL) / (3 * sigma0**2 + sigma**2)),
            WrongVariant("variances added instead of precisions in the weights",
                         (sigma0**2 * mu0 + sigma**2 * TOTAL / 3) / (sigma0**2 + sigma**2)),
        ),
        sources=_SOURCES,
    )


def _sample_mean(n: sympy.Symbol, item) -> sympy.Expr:
    i = sympy.Symbol("i", integer=True)
    return sympy.Sum(item(i), (i, 1, n)) / n

