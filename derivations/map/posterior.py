r"""The coin's posterior mean under a Beta(α, β) prior: (h + α)/(h + t + α + β).

After h heads and t tails the posterior is Beta(α + h, β + t) (claim map.beta-bernoulli, whose
target is its mode); its mean is B(α + h + 1, β + t)/B(α + h, β + t) = (α + h)/(α + β + h + t).
It is a weighted average of the prior mean α/(α + β) and the MLE h/(h + t), with weight
(α + β)/(α + β + h + t) on the prior: "the posterior mean lives between the prior mean and the
MLE" (003 L1106). Updating on the data in two batches gives the same posterior as one update
(003 L973–981, L1078; the behaviour check sequential_updates_match_the_batch).

Seeds: 003 L973–981, L1007, L1071–1078, L1088, L1094–1106.
"""

from __future__ import annotations

import sympy
from sympy import beta as beta_function
from sympy import gamma

from derivspec.core import Claim, Recognise, Source, Step, WrongVariant, claim
from derivspec.core.lectures import S003, S004
from derivspec.derivations.map.coin import ALPHA, BETA, HEADS, TAILS, alpha, beta, heads, tails

POSTERIOR_MEAN = (heads + alpha) / (heads + tails + alpha + beta)


@claim("map.beta-bernoulli.posterior-mean")
def map_beta_bernoulli_posterior_mean() -> Claim:
    """E[p | h heads, t tails] under Beta(α, β) = (h + α)/(h + t + α + β)."""
    a, b = heads + alpha, tails + beta
    prior_weight = (alpha + beta) / (alpha + beta + heads + tails)
    return Claim(
        title="Coin posterior mean under a Beta(α, β) prior: (h + α)/(h + t + α + β), between the prior mean and the MLE",
        recognise=(
            Recognise(r"\mathbb E[\theta \mid D]", requires=("h", "t", r"\alpha", r"\beta")),
            Recognise(r"\mathbb E[\theta \mid h, t]", requires=(r"\alpha", r"\beta")),
        ),
        statement=r"\mathbb E[p \mid h, t],\ p \sim \mathrm{Beta}(\alpha, \beta),\ p^h(1-p)^t",
        variables=(HEADS, TAILS, ALPHA, BETA),
        derivation=(
            Step(r"definition: the mean of the posterior \mathrm{Beta}(\alpha + h, \beta + t) (the conjugate update, "
                 r"claim map.beta-bernoulli): \int_0^1 p\,\frac{p^{a-1}(1-p)^{b-1}}{B(a, b)}dp = \frac{B(a+1, b)}{B(a, b)}, "
                 r"a = \alpha + h, b = \beta + t", beta_function(a + 1, b) / beta_function(a, b)),
            Step(r"B(x, y) = \Gamma(x)\Gamma(y)/\Gamma(x + y)", gamma(a + 1) * gamma(a + b) / (gamma(a) * gamma(a + b + 1)),
                 op=lambda e: e.rewrite(gamma)),
            Step(r"\Gamma(x + 1) = x\Gamma(x): a/(a + b)", POSTERIOR_MEAN, op=sympy.gammasimp),
        ),
        wrong_variants=(
            WrongVariant("the mode (the MAP)", (heads + alpha - 1) / (heads + tails + alpha + beta - 2)),
            WrongVariant("Laplace's rule: a uniform prior's mean, the prior ignored", (heads + 1) / (heads + tails + 2)),
            WrongVariant("the prior's heads added without its tails", (heads + alpha) / (heads + tails + alpha)),
        ),
        sources=(
            Source(S003, "1007", r"\text{Mean} \cdot \mathbb{E}[p] = \frac{\alpha}{\alpha + \beta}",
                   expr=alpha / (alpha + beta), at={"h": 0, "t": 0}, note="the prior Beta(α, β): no data yet"),
            Source(S003, "1094", r"Prior · Beta(2, 2) · pseudo-counts (1 H , 1 T ), prior mean = 2/4 = 0.5",
                   value=0.5, decimals=1, at={"h": 0, "t": 0, "alpha": 2, "beta": 2}),
            Source(S003, "1100–1104", r"\alpha' = \alpha + h = 2 + 6 = 8, \beta' = \beta + t = 2 + 4 = 6; \mathbb{E}[p \mid \mathcal{D}] = \frac{8}{14} \approx 0.571",
                   value=0.571, decimals=3, at={"h": 6, "t": 4, "alpha": 2, "beta": 2}),
            Source(S003, "1088", r"(16H, 14T total) · \text{Beta}(18, 16), even sharper near 0.529.",
                   value=0.529, decimals=3, at={"h": 16, "t": 14, "alpha": 2, "beta": 2},
                   note="'sharper near 0.529' read as where the mass of Beta(18, 16) is: its mean 18/34 (its mode 17/32 = "
                        "0.531, claim map.beta-bernoulli)"),
            Source(S003, "1106", r"The posterior mean **lives between** the prior mean (0.5) and the MLE (0.6) — exactly what \"shrinkage\" means.",
                   expr=prior_weight * alpha / (alpha + beta) + (1 - prior_weight) * heads / (heads + tails),
                   note="a weighted average with weight (α + β)/(α + β + h + t) on the prior mean α/(α + β) and the rest on "
                        "the MLE h/(h + t), so it lies between them"),
            Source(S003, "1071", r"\text{Beta}(\alpha, \beta) \xrightarrow{h \text{ heads, } t \text{ tails}} \text{Beta}(\alpha + h, \beta + t)",
                   expr=POSTERIOR_MEAN, note="read through the mean of the updated Beta(α + h, β + t)"),
            Source(S003, "1078", r"**Sequential updating** · because conjugacy preserves the family, you can update *one observation at a time* and the formulas stay the same.",
                   behaviour="sequential_updates_match_the_batch", at={"h1": 1.0, "t1": 0.0, "h2": 5.0, "t2": 4.0},
                   note="one flip, then the other nine, against all ten at once (Beta(2, 2) prior)"),
            Source(S004, "644–646", r"For Bernoulli: **Beta** (α, β) (Euler, 1729) — natural on [0, 1], flexible; For Categorical: **Dirichlet** ...; Advantages: conjugate priors, interpretable parameters",
                   expr=POSTERIOR_MEAN, note="conjugate: the posterior is again a Beta, Beta(α + h, β + t), compared through "
                                             "its mean (the Dirichlet case is not checked)"),
            Source(S004, "1643–1651", r"Advantages: ... Coherent sequential updating; Automatic regularization through prior",
                   behaviour="sequential_updates_match_the_batch", at={"h1": 2.0, "t1": 2.0, "h2": 4.0, "t2": 2.0},
                   note="for the coin: updating on two batches in turn gives the posterior of both at once"),
            Source(S003, "973–981", r"p(\theta | \mathcal{D}_1) \propto p(\mathcal{D}_1 | \theta) p(\theta); p(\theta | \mathcal{D}_1, \mathcal{D}_2) \propto p(\mathcal{D}_2 | \theta) p(\theta | \mathcal{D}_1)",
                   behaviour="sequential_updates_match_the_batch", at={"h1": 3.0, "t1": 1.0, "h2": 3.0, "t2": 3.0},
                   note="D_1 = 3 heads and 1 tail, then D_2 = 3 and 3, against D_1 ∪ D_2 (Beta(2, 2) prior)"),
        ),
    )
