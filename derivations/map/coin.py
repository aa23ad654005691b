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

from derivspec.core import Claim, Recognise, Source, Step, Var, WrongVariant, claim, count_between, positive_between
from derivspec.core.lectures import S000, S003, S004

HEADS = Var("h", "h", count_between(0, 20, minimum=0))
TAILS = Var("t", "t", count_between(0, 20, minimum=0))
ALPHA = Var("alpha", r"\alpha", positive_between(1.2, 6))
BETA = Var("beta", r"\beta", positive_between(1.2, 6))
heads, tails, alpha, beta = HEADS.symbol, TAILS.symbol, ALPHA.symbol, BETA.symbol
coin = sympy.Symbol("p", positive=True)


def maximiser(objective, logged: bool = False) -> sympy.Expr:
    """The stationary point in p of a posterior written as a product (or, ``logged``, as its log): how a
    source's objective is compared with the MAP (0 < p < 1, so the log of each power splits)."""
    log_objective = objective if logged else sympy.expand_log(log(objective), force=True)
    return sympy.solve(sympy.together(sympy.diff(log_objective, coin)), coin)[0]


def log_posterior_objective() -> sympy.Expr:
    """log-likelihood h log p + t log(1 − p) plus the log of the Beta(α, β) prior (sympy.stats)."""
    prior = sympy.stats.density(sympy.stats.Beta("Prior", alpha, beta))(coin)
    return heads * log(coin) + tails * log(1 - coin) + log(prior)


MAP_OBJECTIVE = dict(to_target=lambda written: maximiser(written, logged=True))
MAP_PRODUCT = dict(to_target=maximiser)
COIN_MAP_NOTE = "the coin: θ = p, h heads and t tails, a Beta(α, β) prior; compared through the maximiser over p"


def coin_map():
    """The mode of Beta(α + h, β + t), as the lectures write it (wrong variants and sources)."""
    return (heads + alpha - 1) / (heads + tails + alpha + beta - 2)


@claim("map.beta-bernoulli")
def map_beta_bernoulli() -> Claim:
    """MAP of p under Beta(α, β) after h heads and t tails: (h + α − 1)/(h + t + α + β − 2)."""
    prior = sympy.stats.density(sympy.stats.Beta("Prior", alpha, beta))(coin)
    return Claim(
        title="Coin MAP under a Beta(α, β) prior: (h + α − 1)/(h + t + α + β − 2), the mode of Beta(α + h, β + t)",
        # the posterior mode by its usual names; only next to the counts h, t and the prior's alpha, beta
        recognise=tuple(Recognise(name, requires=("h", "t", r"\alpha", r"\beta"))
                        for name in (r"\hat\theta_{\mathrm{MAP}}", r"\theta_{\mathrm{MAP}}", r"\hat p_{\mathrm{MAP}}",
                                     r"p_{\mathrm{MAP}}")),
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
                   value=0.529, decimals=2, at={"h": 16, "t": 14, "alpha": 2, "beta": 2},
                   note="'sharper near 0.529' names where the mass is: 0.529 is the mean 18/34 of Beta(18, 16) (compared to "
                        "three decimals on map.beta-bernoulli.posterior-mean); its mode 17/32 = 0.531 (this claim) is near it, "
                        "compared to two decimals; the counts are the slip (estimation.bernoulli.mle at 1088)"),
            Source(S003, "1712–1714", r"\log \text{post} = 4 \log p + \log(1-p) ... \Rightarrow p = 4/5 = 0.8",
                   value=0.8, decimals=1, at={"h": 3, "t": 0, "alpha": 2, "beta": 2}),
            Source(S003, "1096", r"Observe · h = 6, t = 4 in N = 10 flips · MLE = 0.6.",
                   value=0.6, decimals=1, at={"h": 6, "t": 4, "alpha": 1, "beta": 1},
                   note="the MLE is the MAP under the uniform prior Beta(1, 1)"),
            Source(S003, "992", r"Bernoulli(\theta) + Beta(\alpha, \beta) \rightarrow Beta(\alpha + h, \beta + t)",
                   expr=coin_map(), note="read through the mode of the stated posterior Beta(α + h, β + t)"),
            Source(S000, "236–238", r"\hat{\theta}_{\text{MAP}} = \arg\max_\theta P(\theta \mid D) = \arg\max_\theta \log P(D \mid \theta) + \log P(\theta)",
                   expr=log_posterior_objective(), **MAP_OBJECTIVE, note=COIN_MAP_NOTE),
            Source(S003, "1584–1588", r"\hat{\theta}_{\text{MAP}} = \arg \max_{\theta} \left[ \log p(\mathcal{D} | \theta) + \log p(\theta) \right]; \hat{\theta}_{\text{MAP}} = \arg \min_{\theta} [L_{\text{NLL}}(\theta) - \log p(\theta)]",
                   expr=log_posterior_objective(), **MAP_OBJECTIVE, note=COIN_MAP_NOTE),
            Source(S003, "959–961", r"the evidence is irrelevant · \arg \max_{\theta} p(\theta | \mathcal{D}) = \arg \max_{\theta} p(\mathcal{D} | \theta) p(\theta)",
                   expr=coin**heads * (1 - coin) ** tails * sympy.stats.density(sympy.stats.Beta("Prior", alpha, beta))(coin),
                   **MAP_PRODUCT, note=COIN_MAP_NOTE + "; likelihood times prior without the evidence p(D), which is free of p"),
            Source(S003, "1039–1047", r"p(p) \propto p^{\alpha-1}(1-p)^{\beta-1}; p(\mathcal{D} | p) \propto p^h(1-p)^t",
                   expr=coin**heads * (1 - coin) ** tails * coin ** (alpha - 1) * (1 - coin) ** (beta - 1), **MAP_PRODUCT,
                   note="the two kernels multiplied (constants in p dropped), maximised over p"),
            Source(S003, "1057–1063", r"p(p \mid \mathcal{D}) \propto \underbrace{p^h (1-p)^t}_{\text{likelihood}} \cdot \underbrace{p^{\alpha-1} (1-p)^{\beta-1}}_{\text{prior}} = p^{h+\alpha-1} (1-p)^{t+\beta-1}",
                   expr=coin ** (heads + alpha - 1) * (1 - coin) ** (tails + beta - 1), **MAP_PRODUCT,
                   note="the posterior kernel, maximised over p: the mode of Beta(h + α, t + β)"),
            Source(S003, "1011–1012", r"\alpha = \beta = 2 · \"weakly fair\" — peaks at 0.5, allows variation.",
                   value=0.5, decimals=1, at={"h": 0, "t": 0, "alpha": 2, "beta": 2}, note="the prior's mode: no data"),
            Source(S003, "1023–1027", r"Think of \alpha and \beta as \"**pseudo-counts**\" — fake prior heads and tails ... \text{Beta}(2, 2) \approx \"I've seen 1 fake head and 1 fake tail.\"",
                   expr=(alpha - 1) / (alpha + beta - 2), at={"h": 0, "t": 0},
                   note="the prior's mode is the MLE of α − 1 heads and β − 1 tails (Beta(2, 2): 1 and 1)"),
            Source(S003, "1140–1144", r"When the data is plentiful, the likelihood dominates and \text{MAP} \rightarrow \text{MLE}.",
                   behaviour="posterior_sharpens", at={"alpha": 2.0, "beta": 2.0, "rate": 0.6}),
            Source(S004, "1383–1386", r"MAP provides a single point estimate ... Equivalent to: Penalized maximum likelihood (prior = regularization); Limit of Bayesian inference as posterior sharpens",
                   behaviour="posterior_sharpens", at={"alpha": 2.0, "beta": 5.0, "rate": 0.3},
                   note="the coin: as the posterior sharpens with n, the MAP meets the posterior mean (and the MLE)"),
            Source(S004, "1379–1381", r"z^* = \arg \max_z p(z|x, \theta) = \arg \max_z [\log p(x|z, \theta) + \log p(z|\theta)] \quad (50)",
                   expr=log_posterior_objective(), **MAP_OBJECTIVE, note=COIN_MAP_NOTE + " (z = p, x the flips)"),
            Source(S004, "1662–1664", r"\theta^* = \arg \max_{\theta} p(\theta|\mathcal{D}) = \arg \max_{\theta} [\log p(\mathcal{D}|\theta) + \log p(\theta)] \quad (63)",
                   expr=log_posterior_objective(), **MAP_OBJECTIVE, note=COIN_MAP_NOTE),
            Source(S004, "1682–1686", r"MAP is: MLE with uniform prior: \theta_{\text{MAP}} = \theta_{\text{MLE}}",
                   value=0.6, decimals=1, at={"h": 6, "t": 4, "alpha": 1, "beta": 1},
                   note="the uniform prior is Beta(1, 1): the MAP is the MLE h/(h + t) (6 heads in 10: 0.6); 'approximates "
                        "the posterior mean when symmetric and unimodal': at h = t both are 1/2"),
        ),
    )
