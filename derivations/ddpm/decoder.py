r"""The discretised Gaussian decoder of image diffusion models (Ho et al. 2020, §3.3; Nichol & Dhariwal
2021): the log-probability of a pixel level under N(μ, σ²) with the data on 256 levels in [−1, 1].

A pixel of value k ∈ {0, …, 255} is scaled to x = 2k/255 − 1, so neighbouring levels are 2/255 apart
and each level owns the bin [x − 1/255, x + 1/255] of width 2/255; the first bin (x = −1) is open to
−∞ and the last (x = 1) to +∞, so the 256 probabilities sum to 1. The likelihood of a level is the
mass N(μ, σ²) puts on its bin -- a probability, not a density:

    log p(x) = log Φ((x + 1/255 − μ)/σ)                         at x = −1,
               log(1 − Φ((x − 1/255 − μ)/σ))                    at x = 1,
               log[Φ((x + 1/255 − μ)/σ) − Φ((x − 1/255 − μ)/σ)]  otherwise.

Code takes x in [−1, 1] (a parameter named ``x`` gets 2k/255 − 1) and often the log of σ
(``--args log_scales='log(sigma)'``). Per pixel; a sum over pixels is a reduction.
"""

from __future__ import annotations

import sympy
import sympy.stats
from sympy import Eq, Integral, Piecewise, Rational, erf, log, oo, pi, sqrt

from derivspec.core import Claim, Computed, Defined, Domain, Step, Var, WrongVariant, claim, positive_between, \
    real_between

LEVEL = Var("k", "k", Domain("in {0, 1, ..., 255}", {"integer": True, "nonnegative": True}, high=256.0,
                             sample_low=0, sample_high=255, integer=True))
MU = Var("mu", r"\mu", real_between(-1, 1))
SIGMA = Var("sigma", r"\sigma", positive_between(0.5, 2))
k, mu, sigma = LEVEL.symbol, MU.symbol, SIGMA.symbol
X = Defined("x", "x", 2 * k / 255 - 1)  # the level scaled to [-1, 1]
x = X.symbol
HALF = Rational(1, 255)  # half the distance 2/255 between neighbouring levels
t = sympy.Symbol("t", real=True)


def Phi(z):
    """The standard normal CDF, ½(1 + erf(z/√2))."""
    return (1 + erf(z / sqrt(2))) / 2


def _bins(half, scale):
    """log of N(μ, scale²)'s mass on the bin of x of half-width ``half``, edge bins open: the three cases."""
    upper, lower = Phi((x + half - mu) / scale), Phi((x - half - mu) / scale)
    return Piecewise((log(upper), Eq(k, 0)), (log(1 - lower), Eq(k, 255)), (log(upper - lower), True))


@claim("ddpm.decoder.discretised")
def ddpm_decoder_discretised() -> Claim:
    """log of the N(μ, σ²) mass on the bin of x = 2k/255 − 1 (half-width 1/255; the edge bins open)."""
    density = sympy.stats.density(sympy.stats.Normal("Y", mu, sigma))(t)
    mass = Piecewise((Integral(density, (t, -oo, x + HALF)), Eq(k, 0)),
                     (Integral(density, (t, x - HALF, oo)), Eq(k, 255)),
                     (Integral(density, (t, x - HALF, x + HALF)), True))
    probability = Piecewise((Phi((x + HALF - mu) / sigma), Eq(k, 0)),
                            (1 - Phi((x - HALF - mu) / sigma), Eq(k, 255)),
                            (Phi((x + HALF - mu) / sigma) - Phi((x - HALF - mu) / sigma), True))
    return Claim(
        title="Discretised Gaussian decoder log-likelihood (DDPM): log of N(μ, σ²)'s mass on the bin of "
              "x = 2k/255 − 1, bins of width 2/255, the edge bins open to ±∞",
        statement=r"\log p(x) = \log\!\int_{\delta_-(x)}^{\delta_+(x)} \mathcal N(t;\mu,\sigma^2)\,dt,\quad "
                  r"\delta_\pm(x) = \begin{cases}\pm\infty & x = \pm 1\\ x \pm \tfrac1{255} & \text{otherwise}\end{cases}",
        variables=(LEVEL, MU, SIGMA),
        defined=(X,),
        derivation=(
            Step(r"definition: the probability of the level x is the mass of N(\mu, \sigma^2) (sympy.stats.Normal) on "
                 r"its bin: [x - 1/255, x + 1/255] (levels 2/255 apart), open to -\infty at x = -1 (k = 0) and to "
                 r"+\infty at x = 1 (k = 255)", mass),
            Computed("integrate the density over each bin (SymPy, simplified)", lambda e: sympy.simplify(e.doit())),
            Step(r"written with the standard normal CDF \Phi(z) = \tfrac12(1 + \mathrm{erf}(z/\sqrt2))", probability),
            Step("take the log in each case", _bins(HALF, sigma), op=lambda e: sympy.piecewise_fold(log(e))),
        ),
        wrong_variants=(
            WrongVariant("bin half-width 2/255 (the distance between levels) in place of 1/255", _bins(2 * HALF, sigma)),
            WrongVariant("edges not open: x = -1 and x = 1 get closed bins of width 2/255 like the others",
                         log(Phi((x + HALF - mu) / sigma) - Phi((x - HALF - mu) / sigma))),
            WrongVariant("a density instead of a probability: log N(x; mu, sigma^2)",
                         -log(2 * pi * sigma ** 2) / 2 - (x - mu) ** 2 / (2 * sigma ** 2)),
            WrongVariant("the variance in place of the standard deviation (a log-variance passed as log-scales)",
                         _bins(HALF, sigma ** 2)),
        ),
    )
