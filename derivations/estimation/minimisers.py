r"""What a deterministic predictor learns: the minimiser of the expected squared loss is the mean,
of the expected absolute loss the median.

"MSE Loss — Gaussian noise, the function is the conditional mean; MAE Loss — Laplace noise, the
function is the conditional median" (000 L449–450). The mean is derived for a three-point
distribution (probabilities from positive weights, so every point of the domain is a
distribution); the median for an Exponential(λ), whose mean 1/λ and median log 2/λ differ.
"A deterministic model would collapse these into a single (likely incorrect) average" (000
L68–73) is the first claim: facing many valid outputs, the squared-loss optimum is their mean.

Seeds: 000 L68–73, L449–450.
"""

from __future__ import annotations

import sympy
import sympy.stats
from sympy import Integral, exp, log, oo

from derivspec.core import REAL, Claim, Source, Step, Var, WrongVariant, claim, positive_between
from derivspec.core.lectures import S000

VALUES = tuple(Var(f"y{k}", f"y_{k}", REAL) for k in (1, 2, 3))
WEIGHTS = tuple(Var(f"a{k}", f"a_{k}", positive_between(0.2, 3)) for k in (1, 2, 3))
RATE = Var("lam", r"\lambda", positive_between(0.25, 4))
values, weights, rate = [v.symbol for v in VALUES], [w.symbol for w in WEIGHTS], RATE.symbol
c = sympy.Symbol("c", real=True)  # the constant prediction
u = sympy.Symbol("u", positive=True)  # the integration variable of the Exponential


def probabilities():
    return [w / sum(weights) for w in weights]


def weighted_mean():
    return sum(w * v for w, v in zip(weights, values)) / sum(weights)


@claim("estimation.minimiser.mean")
def estimation_minimiser_mean() -> Claim:
    """argmin_c E[(Y − c)²] = E[Y] (three values, probabilities a_k/Σa)."""
    expected_loss = sum(p * (v - c) ** 2 for p, v in zip(probabilities(), values))
    return Claim(
        title="The squared loss is minimised by the mean: argmin_c E[(Y − c)²] = E[Y] (three-point Y)",
        statement=r"\arg\min_c \mathbb E[(Y-c)^2],\ P(Y = y_k) = a_k/\textstyle\sum a",
        variables=VALUES + WEIGHTS,
        derivation=(
            Step(r"definition: the expected squared loss of a constant prediction c, \sum_k \pi_k (y_k - c)^2, "
                 r"\pi_k = a_k/\sum a", expected_loss),
            Step(r"differentiate in c", sum(-2 * p * (v - c) for p, v in zip(probabilities(), values)),
                 op=lambda e: sympy.diff(e, c)),
            Step(r"set to zero and solve (\sum_k \pi_k = 1; the second derivative 2 > 0: a minimum): the mean "
                 r"\sum_k \pi_k y_k", weighted_mean(), op=lambda e: sympy.solve(e, c)[0]),
        ),
        wrong_variants=(
            WrongVariant("the unweighted average of the values", sum(values) / 3),
            WrongVariant("weights not normalised", sum(w * v for w, v in zip(weights, values))),
            WrongVariant("midpoint of the first and last value", (values[0] + values[2]) / 2),
        ),
        sources=(
            Source(S000, "449", r"MSE Loss - Gaussian Noise, the *function* is the conditional *mean* \mathcal L(y, \hat y) &= \|y - \hat y\|^2 \\ f^*(\mu) &= \mathbb E[y\mid \mu]",
                   expr=weighted_mean(), note="for one input μ with three possible targets y_k of probabilities π_k"),
            Source(S000, "68–73", r"A mathematical function is a **Many-to-One** mapping. ... A deterministic model would collapse these into a single (likely incorrect) average.",
                   expr=weighted_mean(),
                   note="one context with three valid continuations y_k of probabilities π_k: the squared-loss optimum is "
                        "their mean (the 'average'), which need not be any of them"),
        ),
    )


@claim("estimation.minimiser.median")
def estimation_minimiser_median() -> Claim:
    """argmin_c E|Y − c| for Y ~ Exponential(λ) is log 2/λ, the median (the mean is 1/λ)."""
    density = sympy.stats.density(sympy.stats.Exponential("Y", rate))(u)
    split = (Integral((c - u) * density, (u, 0, c)) + Integral((u - c) * density, (u, c, oo)))
    return Claim(
        title="The absolute loss is minimised by the median: argmin_c E|Y − c| = log 2/λ for Y ~ Exponential(λ)",
        statement=r"\arg\min_{c > 0} \mathbb E|Y-c|,\ Y\sim\mathrm{Exponential}(\lambda)",
        variables=(RATE,),
        derivation=(
            Step(r"definition: E|Y - c| = \int_0^c (c-y)p(y)dy + \int_c^\infty (y-c)p(y)dy, p(y) = \lambda e^{-\lambda y} "
                 r"(sympy.stats.Exponential), split at c > 0", split),
            Step(r"evaluate the integrals", c - 1 / rate + 2 * exp(-rate * c) / rate,
                 op=lambda e: sympy.simplify(e.doit(conds="none"))),
            Step(r"differentiate in c: P(Y < c) - P(Y > c) = 1 - 2e^{-\lambda c}", 1 - 2 * exp(-rate * c),
                 op=lambda e: sympy.diff(e, c)),
            Step(r"set to zero and solve (the second derivative 2\lambda e^{-\lambda c} > 0: a minimum): F(c) = 1/2, "
                 r"the median", log(2) / rate, op=lambda e: sympy.solve(e, c)[0]),
        ),
        wrong_variants=(
            WrongVariant("the mean 1/lambda (the squared loss's minimiser)", 1 / rate),
            WrongVariant("log 2 times lambda", log(2) * rate),
            WrongVariant("half the mean", 1 / (2 * rate)),
        ),
        sources=(
            Source(S000, "450", r"MAE Loss - Laplace Noise, the *function* is the conditional *median* \mathcal L(y, \hat y) &= |y - \hat y| \\ f^*(\mu) &= \text{median}(y\mid \mu)",
                   expr=log(2) / rate,
                   note="for one input μ with the target y | μ ~ Exponential(λ), a skewed conditional whose median "
                        "log 2/λ is not its mean 1/λ"),
        ),
    )
