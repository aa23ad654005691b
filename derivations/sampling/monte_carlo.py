r"""The Monte Carlo mean: unbiased, variance σ²/n, standard error σ/√n.

Seeds: 003 L725–741.
"""

from __future__ import annotations

from sympy import sqrt

from derivspec.core import POSITIVE, Claim, Recognise, Source, Step, Var, WrongVariant, claim, count_between
from derivspec.core.lectures import S003

N = Var("n", "n", count_between(1, 6))
SIGMA = Var("sigma", r"\sigma", POSITIVE)
n, sigma = N.symbol, SIGMA.symbol


@claim("sampling.mc.standard-error")
def sampling_mc_standard_error() -> Claim:
    """SE of (1/n) Σ f(y_i), y_i i.i.d. with Var[f(y)] = σ²: σ/√n."""
    return Claim(
        title="Standard error of a Monte Carlo mean of n i.i.d. draws: σ/√n (variance σ²/n)",
        # the variance of the Monte Carlo mean (the square of the claim) and its square root; Var[f(y)] names sigma^2.
        # An indexed family keeps its letter in the unifier (y_i never matches x_i): one shape per usual letter.
        recognise=tuple(
            Recognise(rf"\mathrm{{Var}}\left[\frac1n\sum_{{i=1}}^n f({y}_i)\right]", value=lambda t: t**2,
                      interpret={rf"\mathrm{{Var}}[f({y})]": sigma**2}) for y in "xyz") + tuple(
            Recognise(rf"\sqrt{{\mathrm{{Var}}\left[\frac1n\sum_{{i=1}}^n f({y}_i)\right]}}",
                      interpret={rf"\mathrm{{Var}}[f({y})]": sigma**2}) for y in "xyz"),
        statement=r"\sqrt{\mathrm{Var}\Big[\frac1n\sum_{i=1}^n f(y_i)\Big]},\ \mathrm{Var}[f(y)] = \sigma^2",
        variables=(N, SIGMA),
        derivation=(
            Step(r"definition: \mathrm{Var}[\frac1n\sum_i f(y_i)] = \frac1{n^2}\sum_i \mathrm{Var}[f(y_i)] (independent terms: "
                 r"the covariances vanish)", n * sigma**2 / n**2),
            Step("the variance of the mean scales as 1/n", sigma**2 / n),
            Step(r"the standard error is its square root: 1/\sqrt n (four times the draws halve it)", sigma / sqrt(n), op=sqrt),
        ),
        wrong_variants=(
            WrongVariant("sigma/n (the variance's rate taken for the standard error's)", sigma / n),
            WrongVariant("sigma^2/sqrt(n)", sigma**2 / sqrt(n)),
            WrongVariant("sigma/sqrt(n + 1): an off-by-one count", sigma / sqrt(n + 1)),
        ),
        sources=(
            Source(S003, "738–739", r"**Variance scales as 1/N** (Law of large numbers). **Standard error scales as 1/\sqrt{N}** \cdot quadrupling samples *halves* the error.",
                   expr=1 / sqrt(n), relation="proportional", free_of=("n",),
                   note=r"'scales as' read as proportional in n: SE = \sigma/\sqrt n"),
            Source(S003, "739", r"quadrupling samples *halves* the error", behaviour="quadrupling_samples_halves_the_error",
                   at={"n": 100.0, "repeats": 20000.0}, correct=r"SE(4n)/SE(n) = 1/2"),
            Source(S003, "737", r"**Unbiased** \cdot \mathbb{E}\left[\frac{1}{N} \sum_i f(y_i)\right] = \mathbb{E}_p[f(Y)] exactly.",
                   behaviour="monte_carlo_mean_is_unbiased", at={"n": 5.0}, correct=r"E[\frac1n\sum_i f(y_i)] = E_p[f] for every n"),
            Source(S003, "729", r"\mathbb{E}_{Y \sim p}[f(Y)] = \int f(y) p(y) dy \approx \frac{1}{N} \sum_{i=1}^N f(y_i), \quad y_i \sim p",
                   note="the estimator whose standard error the claim gives"),
            Source(S003, "741", r"The 1/\sqrt{N} scaling is why Monte Carlo is **slow** in high dimensions but still beats numerical integration whenever d \gtrsim 4",
                   note="not compared: no claim here models quadrature error. Read against a grid rule of error N^{-k/d}, "
                        "the crossover with N^{-1/2} depends on the rule's order k and the integrand's smoothness, so there is "
                        "no single threshold"),
        ),
    )
