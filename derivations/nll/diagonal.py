r"""The diagonal Gaussian NLL summed over dimensions: −log N(y; μ, diag(σ²)) = Σ_d [½ log 2πσ_d² + (y_d − μ_d)²/(2σ_d²)].

What a VAE's Gaussian decoder, a heteroscedastic regression head or ``torch.distributions.Independent(Normal(μ, σ), 1)``
computes per example: the density of independent coordinates is the product of their densities, so its
negative log is the sum of the per-coordinate NLLs (claim nll.gaussian) -- summed, not averaged, over the
dimensions (``F.gaussian_nll_loss``'s default averages them). Shown for D = 2.
"""

from __future__ import annotations

import sympy
import sympy.stats
from sympy import exp, log, pi, sqrt

from derivspec.core import POSITIVE, REAL, AnySize, Claim, Step, Var, Vector, WrongVariant, claim

Y1, Y2 = Var("y1", "y_1", REAL), Var("y2", "y_2", REAL)
MU1, MU2 = Var("mu1", r"\mu_1", REAL), Var("mu2", r"\mu_2", REAL)
SIGMA1, SIGMA2 = Var("sigma1", r"\sigma_1", POSITIVE), Var("sigma2", r"\sigma_2", POSITIVE)
y1, y2, mu1, mu2, sigma1, sigma2 = (v.symbol for v in (Y1, Y2, MU1, MU2, SIGMA1, SIGMA2))


def _nll(y, mu, sigma):
    return log(2 * pi * sigma ** 2) / 2 + (y - mu) ** 2 / (2 * sigma ** 2)


def diagonal_any_size(vectors, indices):
    """D dimensions: the product of D normal densities, minus its log, is the sum of the D per-coordinate
    NLLs; the wrong variants alike (averaged: divided by D; one sigma: sigma1 for every coordinate)."""
    ys, mus, sigmas = vectors["y"], vectors["mu"], vectors["sigma"]
    terms = [_nll(y, m, s) for y, m, s in zip(ys, mus, sigmas)]
    return sum(terms), {
        "averaged over dimensions (F.gaussian_nll_loss's default), not summed": sum(terms) / len(terms),
        "one sigma for both dimensions (sigma1 used for the second)":
            sum(_nll(y, m, sigmas[0]) for y, m in zip(ys, mus)),
        "sigma in place of sigma^2 in the squared-error terms":
            sum(log(2 * pi * s ** 2) / 2 + (y - m) ** 2 / (2 * s) for y, m, s in zip(ys, mus, sigmas)),
    }


ANY_SIZE = AnySize((("D", 2),), tuple(Vector(name, "D", latex, domain, (f"{name}1", f"{name}2"))
                                      for name, latex, domain in (("y", "y", REAL), ("mu", r"\mu", REAL),
                                                                  ("sigma", r"\sigma", POSITIVE))),
                   diagonal_any_size,
                   correct=r"\sum_{d=1}^{D}\Big[\tfrac12\log 2\pi\sigma_d^2 + \frac{(y_d-\mu_d)^2}{2\sigma_d^2}\Big]")


@claim("nll.gaussian.diagonal")
def nll_gaussian_diagonal() -> Claim:
    """−log of the product of two independent normal densities: the per-coordinate NLLs summed."""
    product = (sympy.stats.density(sympy.stats.Normal("Y1", mu1, sigma1))(y1)
               * sympy.stats.density(sympy.stats.Normal("Y2", mu2, sigma2))(y2))
    written = (exp(-(y1 - mu1) ** 2 / (2 * sigma1 ** 2)) / (sqrt(2 * pi) * sigma1)
               * exp(-(y2 - mu2) ** 2 / (2 * sigma2 ** 2)) / (sqrt(2 * pi) * sigma2))
    return Claim(
        title="Diagonal Gaussian NLL summed over dimensions: −log N(y; μ, diag(σ²)) = Σ_d NLL(y_d; μ_d, σ_d) (D = 2)",
        statement=r"-\log\mathcal N\big(y;\mu,\mathrm{diag}(\sigma_1^2,\sigma_2^2)\big)",
        variables=(Y1, Y2, MU1, MU2, SIGMA1, SIGMA2),
        any_size=ANY_SIZE,
        derivation=(
            Step(r"definition: a diagonal covariance makes the coordinates independent: the density is the product "
                 r"of N(y_d; \mu_d, \sigma_d^2) (sympy.stats.Normal)", product),
            Step("the product written out", written),
            Step("take minus the log: the log of a product is the sum of the logs", -log(written), op=lambda e: -log(e)),
            Step(r"each factor gives \tfrac12\log 2\pi\sigma_d^2 + (y_d-\mu_d)^2/(2\sigma_d^2)",
                 _nll(y1, mu1, sigma1) + _nll(y2, mu2, sigma2)),
        ),
        wrong_variants=(
            WrongVariant("averaged over dimensions (F.gaussian_nll_loss's default), not summed",
                         (_nll(y1, mu1, sigma1) + _nll(y2, mu2, sigma2)) / 2),
            WrongVariant("one sigma for both dimensions (sigma1 used for the second)",
                         _nll(y1, mu1, sigma1) + _nll(y2, mu2, sigma1)),
            WrongVariant("sigma in place of sigma^2 in the squared-error terms",
                         log(2 * pi * sigma1 ** 2) / 2 + (y1 - mu1) ** 2 / (2 * sigma1)
                         + log(2 * pi * sigma2 ** 2) / 2 + (y2 - mu2) ** 2 / (2 * sigma2)),
        ),
    )
