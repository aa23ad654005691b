r"""Sums of independent variables: the variance of a sum of uniforms, and the central limit theorem.

Var[Σ_{i=1}^n U_i] = n Var[U] = n/12 for U_i ~ Uniform[0, 1] i.i.d. (derived for any n: the
variance of one uniform by sympy.stats, then additivity over independent terms). The lectures'
CLT statements ("approximately N(6, 1)", "by N = 30 indistinguishable from a Gaussian") are
behaviour sources, run with exact CDFs where they exist (Irwin–Hall, Gamma) in
``numerics/estimation.py``.

Seeds: 003 L440–483.
"""

from __future__ import annotations

import sympy
import sympy.stats
from sympy import Rational

from derivspec.core import Claim, Source, Step, Var, WrongVariant, claim, count_between
from derivspec.core.lectures import S003, S004

N = Var("n", "n", count_between(1, 12))
n = N.symbol
u = sympy.Symbol("u", real=True)


@claim("estimation.clt.uniform-sum-variance")
def estimation_clt_uniform_sum_variance() -> Claim:
    """Var[U_1 + … + U_n] = n/12 for i.i.d. Uniform[0, 1]."""
    return Claim(
        title="Variance of a sum of n independent Uniform[0, 1] variables: n/12 (12 uniforms: mean 6, variance 1)",
        statement=r"\mathrm{Var}\Big[\sum_{i=1}^n U_i\Big],\ U_i\sim\mathrm{Uniform}[0,1]\ \text{i.i.d.}",
        variables=(N,),
        derivation=(
            Step(r"definition: \mathrm{Var}[U] = E[(U - E[U])^2] with E[U] = \tfrac12", (u - Rational(1, 2)) ** 2),
            Step(r"expectation over U \sim \mathrm{Uniform}[0, 1] (sympy.stats)", Rational(1, 12),
                 op=lambda e: sympy.stats.E(e.subs(u, sympy.stats.Uniform("U", 0, 1)))),
            Step(r"independent terms: the variances add (covariances are 0), n of them", n / 12, op=lambda e: n * e),
        ),
        wrong_variants=(
            WrongVariant("variance of the mean, not the sum: 1/(12n)", 1 / (12 * n)),
            WrongVariant("standard deviations added: n^2/12", n**2 / 12),
            WrongVariant("E[U^2] taken for Var[U]: n/3", n / 3),
        ),
        sources=(
            Source(S003, "464–470", r"S = \sum_{i=1}^{12} U_i, \quad U_i \stackrel{\text{iid}}{\sim} \text{Uniform}[0, 1]; **Variance** of S \cdot 12 \cdot 1/12 = 1",
                   value=1.0, decimals=0, at={"n": 12}),
            Source(S003, "469", r"**Mean** of S \cdot 12 \cdot 0.5 = 6", note="not compared: the mean of S, not the variance this claim derives; no claim derives E[S] = n·E[U]. The "
                        "behaviour check of L471–473 centres the exact law of S at n/2"),
            Source(S003, "471–473", r"**Distribution** of S \cdot approximately \mathcal{N}(6, 1); subtract 6, you get a draw from \mathcal{N}(0, 1)",
                   behaviour="uniform_sum_is_nearly_normal", at={"n": 12.0},
                   correct=r"\sup_x |P(S - 6 \le x) - \Phi(x)| is small (exact Irwin–Hall CDF) but not 0: S - 6 is bounded in [-6, 6]"),
            Source(S003, "477–483", r"Sum of N IID Uniform[0, 1] samples, repeated 5000 times; by **N = 30** the sum is essentially indistinguishable from a Gaussian",
                   behaviour="uniform_sum_passes_a_normality_test", at={"n": 30.0, "repetitions": 5000.0},
                   correct="5000 standardised sums of 30 uniforms pass a Kolmogorov-Smirnov test against N(0, 1)"),
            Source(S003, "448–454", r"Z_N = \frac{1}{\sqrt{N}} \sum_{i=1}^N \frac{X_i - \mu}{\sigma}; Then as N \rightarrow \infty, Z_N \rightarrow \mathcal{N}(0, 1) — regardless of the original distribution of X_i",
                   behaviour="standardised_sums_approach_normal", at={"n_max": 10000.0},
                   correct=r"for X_i ~ Exp(1) (skewed) \sup_x|P(Z_N \le x) - \Phi(x)| (exact Gamma CDF) falls like 1/\sqrt N; it "
                           r"needs a finite variance (a Cauchy sum never approaches a normal)"),
            Source(S003, "440", r"**Central Limit Theorem (CLT)** \cdot the sum of many small independent things is Normal",
                   behaviour="standardised_sums_approach_normal", at={"n_max": 10000.0},
                   correct=r"for X_i ~ Exp(1) (skewed) \sup_x|P(Z_N \le x) - \Phi(x)| (exact Gamma CDF) falls like 1/\sqrt N; it "
                           r"needs a finite variance (a Cauchy sum never approaches a normal)"),
            Source(S004, "635", r"**CLT reveals universality:** Sums of i.i.d. random variables converge to Normal. Rigorous but \"mystical\" — accept it mathematically.",
                   behaviour="standardised_sums_approach_normal", at={"n_max": 10000.0},
                   correct=r"for X_i ~ Exp(1) (skewed) \sup_x|P(Z_N \le x) - \Phi(x)| (exact Gamma CDF) falls like 1/\sqrt N; it "
                           r"needs a finite variance (a Cauchy sum never approaches a normal)",
                   note="read as the standardised sums (the sums themselves spread out); with finite variance"),
            Source(S003, "456", r"any quantity arising as the *aggregate of many small effects* looks Gaussian",
                   note="not comparable: an empirical generalisation about data; the CLT needs independence and finite variance"),
        ),
    )
