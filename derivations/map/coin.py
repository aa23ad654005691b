r"""The coin: MAP of a Bernoulli probability under a conjugate Beta(α, β) prior.

After h heads and t tails the posterior is Beta(α + h, β + t) and the MAP is its mode
(h + α − 1)/(h + t + α + β − 2); the uniform prior Beta(1, 1) gives the MLE h/(h + t).
Seeds: 003 L992, L1088–1104, L1712–1714.
"""

from __future__ import annotations

import sympy
import sympy.stats
from sympy import beta as beta_function
from sympy import log

from derivspec.core import Claim, Source, Step, Var, WrongVariant, claim, count_between, positive_between
from derivspec.core.lectures import S003

HEADS = Var("h", "h", count_between(0, 20))
TAILS = Var("t", "t", count_between(0, 20))
ALPHA = Var("alpha", r"\alpha", positive_between(1.2, 6))
BETA = Var("beta", r"\beta", positive_between(1.2, 6))
heads, tails, alpha, beta = HEADS.symbol, TAILS.symbol, ALPHA.symbol, BETA.symbol
coin = sympy.Symbol("p", positive=True)


def coin_map():
    """The mode of Beta(α + h, β + t), as the lectures write it (wrong variants and sources)."""
    return (heads + alpha - 1) / (heads + tails + alpha + beta - 2)


@claim("map.beta-bernoulli")
def map_beta_bernoulli() -> Claim:
    """MAP of p under Beta(α, β) after h heads and t tails: (h + α − 1)/(h + t + α + β − 2)."""
    prior = sympy.stats.density(sympy.stats.Beta("Prior", alpha, beta))(coin)
    return Claim(
        title="Coin MAP under a Beta(α, β) prior: (h + α − 1)/(h + t + α + β − 2), the mode of Beta(α + h, β + t)",
        statement=r"\arg\max_p\, p^h(1-p)^t\,\mathrm{Beta}(p;\alpha,\beta)",
        variables=(HEADS, TAILS, ALPHA, BETA),
        derivation=(
            Step(r"posterior up to p(D): likelihood p^h(1-p)^t times the prior \mathrm{Beta}(p;\alpha,\beta) (sympy.stats)",
                 coin**heads * (1 - coin) ** tails * prior),
            Step(r"collect the powers: p^{h+\alpha-1}(1-p)^{t+\beta-1}/B(\alpha,\beta), the kernel of "
                 r"\mathrm{Beta}(\alpha + h, \beta + t) (conjugate update)",
                 coin ** (heads + alpha - 1) * (1 - coin) ** (tails + beta - 1) / beta_function(alpha, beta)),
            Step(r"differentiate the log in p (p^a p^b = p^{a+b}): (h+\alpha-1)/p - (t+\beta-1)/(1-p)",
                 (heads + alpha - 1) / coin - (tails + beta - 1) / (1 - coin),
                 op=lambda e: sympy.powsimp(sympy.diff(log(e), coin))),
            Step(r"set to zero and solve: the mode of \mathrm{Beta}(\alpha + h, \beta + t)",
                 (heads + alpha - 1) / (heads + tails + alpha + beta - 2), op=lambda e: sympy.solve(e, coin)[0]),
        ),
        wrong_variants=(
            WrongVariant("posterior mean instead of mode", (heads + alpha) / (heads + tails + alpha + beta)),
            WrongVariant("Laplace's rule (a uniform prior's posterior mean), the prior ignored", (heads + 1) / (heads + tails + 2)),
        ),
        sources=(
            Source(S003, "1094–1104", r"\alpha' = 2 + 6 = 8, \beta' = 2 + 4 = 6 ... \text{mode} = \frac{8 - 1}{14 - 2} = \frac{7}{12} \approx 0.583",
                   value=0.583, decimals=3, at={"h": 6, "t": 4, "alpha": 2, "beta": 2}),
            Source(S003, "1088", r"After 6 heads in 10 flips · posterior is \text{Beta}(8, 6), peaking near 7/12 \approx 0.583.",
                   value=0.583, decimals=3, at={"h": 6, "t": 4, "alpha": 2, "beta": 2}),
            Source(S003, "1088", r"After another 10 flips with the same rate (16H, 14T total) · \text{Beta}(18, 16), even sharper near 0.529.",
                   value=0.529, decimals=3, at={"h": 16, "t": 14, "alpha": 2, "beta": 2},
                   note="Beta(18, 16) peaks at 17/32; 0.529 is its mean (18/34), and 16H/14T is not 'the same rate' as 6/10"),
            Source(S003, "1712–1714", r"\log \text{post} = 4 \log p + \log(1-p) ... \Rightarrow p = 4/5 = 0.8",
                   value=0.8, decimals=1, at={"h": 3, "t": 0, "alpha": 2, "beta": 2}),
            Source(S003, "1096", r"Observe · h = 6, t = 4 in N = 10 flips · MLE = 0.6.",
                   value=0.6, decimals=1, at={"h": 6, "t": 4, "alpha": 1, "beta": 1},
                   note="the MLE is the MAP under the uniform prior Beta(1, 1)"),
            Source(S003, "992", r"Bernoulli(\theta) + Beta(\alpha, \beta) \rightarrow Beta(\alpha + h, \beta + t)",
                   expr=coin_map(), note="read through the mode of the stated posterior Beta(α + h, β + t)"),
        ),
    )
