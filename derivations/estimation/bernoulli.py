r"""The coin: the likelihood of a sequence of tosses, its maximiser h/(h+t), the Bernoulli
variance p(1−p) and the Fisher information 1/(p(1−p)).

The lectures' statements about the MLE's large-sample behaviour (consistency, asymptotic
normality with variance 1/I, efficiency, invariance, Fisher-information confidence intervals)
are behaviour sources of ``estimation.bernoulli.fisher``, run on simulated coins in
``numerics/estimation.py``; "the likelihood underflows" is run in float64.

Seeds: 003 L225–240, L244–297, L801–832, L1187–1212, L1561–1565; 004 L743–763, L1611–1626;
000 L136–143, L225.
"""

from __future__ import annotations

import sympy
import sympy.stats
from sympy import Rational, log

from derivspec.core import UNIT_INTERVAL, Claim, Domain, Source, Step, Var, WrongVariant, claim, count_between
from derivspec.core.claims import Recognise
from derivspec.core.lectures import S000, S003, S004

P = Var("p", "p", UNIT_INTERVAL)
P_FISHER = Var("p", "p", Domain("in (0, 1)", {"positive": True}, low=0.0, high=1.0, sample_low=0.15, sample_high=0.85))
HEADS = Var("h", "h", count_between(1, 12))
TAILS = Var("t", "t", count_between(1, 12))
WORKED_FLIPS = "HHTHTTHHTH"  # the ten flips of 003 L785, in order
HEADS_MLE = Var("h", "h", count_between(1, 20))
TAILS_MLE = Var("t", "t", count_between(1, 20))
p, heads, tails = P.symbol, HEADS.symbol, TAILS.symbol
y = sympy.Symbol("y", real=True)  # one toss, 0 or 1

UNDERFLOW_CORRECT = (r"float64 holds 0.5^{1000} \approx 9.3\times10^{-302} (the smallest normal double is 2.2\times10^{-308}, "
                     r"subnormals reach 4.9\times10^{-324}): the product first underflows to 0 at N = 1075 tosses of a fair "
                     r"coin; in float32 at N = 150. The log-likelihood never does")


def bernoulli_pmf() -> sympy.Expr:
    """p^y (1−p)^(1−y), the compact pmf of claim nll.bernoulli."""
    return p**y * (1 - p) ** (1 - y)


def coin_mle():
    return heads / (heads + tails)


# the mean NLL of h heads and t tails (the expected NLL under the empirical distribution), and the p minimising an
# objective written in p: how a source that states MLE as "minimise the (mean) NLL" is compared with h/(h + t)
MEAN_NLL = -(heads * log(p) + tails * log(1 - p)) / (heads + tails)


def minimiser_over_p(objective: sympy.Expr) -> sympy.Expr:
    return sympy.solve(sympy.diff(objective, p), p)[0]


@claim("estimation.bernoulli.likelihood")
def estimation_bernoulli_likelihood() -> Claim:
    """P(sequence | p) = ∏ p^{y_i}(1−p)^{1−y_i} = p^h (1−p)^t for h heads and t tails."""
    return Claim(
        title="Likelihood of a coin sequence with h heads and t tails: p^h (1−p)^t",
        statement=r"\prod_{i=1}^{h+t} p^{y_i}(1-p)^{1-y_i}",
        variables=(HEADS, TAILS, P),
        derivation=(
            Step(r"definition: one toss, P(y \mid p) = p^y (1-p)^{1-y} (the compact pmf of claim nll.bernoulli)", bernoulli_pmf()),
            Step(r"i.i.d. tosses: the product of h factors with y = 1 and t factors with y = 0",
                 p**heads * (1 - p) ** tails, op=lambda e: e.subs(y, 1) ** heads * e.subs(y, 0) ** tails),
        ),
        wrong_variants=(
            WrongVariant("heads and tails swapped", p**tails * (1 - p) ** heads),
            WrongVariant("the tails' factor forgotten: p^h", p**heads),
            WrongVariant("a sum of the factors instead of a product", p**heads + (1 - p) ** tails),
        ),
        sources=(
            Source(S003, "252–256", r"**Probability mass function** \cdot P(Y = 1 \mid p) = p; P(Y = 0 \mid p) = 1 - p",
                   expr=p, at={"h": 1, "t": 0}, note="one toss, heads"),
            Source(S003, "844", r"\ell(\theta) := \log \mathcal{L}(\theta) = \log \prod_{i=1}^N P(y_i | \theta) = \sum_{i=1}^N \log P(y_i | \theta)",
                   expr=heads * log(p) + tails * log(1 - p), to_target=sympy.exp,
                   note="the source writes the log-likelihood; the target is its exponential"),
            Source(S003, "834", r"**Problem 2 \cdot hard to differentiate.** The product rule on N factors produces N terms",
                   note="not comparable: about differentiating by hand; the log turns the product into a sum (003:844)"),
            Source(S003, "806–808", r"\mathcal{L}(p) = \prod_{i=1}^N P(y_i \mid p) = \prod_{i=1}^N p^{y_i} (1 - p)^{1 - y_i} = p^{\#H} (1 - p)^{\#T}",
                   expr=p**heads * (1 - p) ** tails),
            Source(S003, "810", r"For our data \cdot \mathcal{L}(p) = p^6 (1 - p)^4", expr=p**6 * (1 - p) ** 4,
                   at={"h": 6, "t": 4}),
            Source(S003, "291–297", r"p = 0.7. Three flips give H, T, H; P(\mathcal{D} \mid p) = 0.7 \cdot 0.3 \cdot 0.7 = \mathbf{0.147}",
                   value=0.147, decimals=3, at={"h": 2, "t": 1, "p": Rational(7, 10)}),
            Source(S003, "236–238", r"**product factorization** \cdot P(\mathcal{D} | \theta) = \prod_{i=1}^N P(Y_i | \theta)",
                   expr=p**heads * (1 - p) ** tails, note="for the coin: h factors p and t factors 1 - p"),
            Source(S000, "136–141", r"P(D \mid \theta) = \prod_{i=1}^{N} P(y_i \mid u_i, \theta)",
                   expr=p**heads * (1 - p) ** tails, note="for a coin (no inputs u): h factors p and t factors 1 - p"),
            Source(S000, "146", r"\log P(D \mid \theta) = \sum_{i=1}^{N} \log P(y_i \mid u_i, \theta)",
                   expr=heads * log(p) + tails * log(1 - p), to_target=sympy.exp,
                   note="for a coin: h terms log p and t terms log(1 − p); the target is the likelihood, its exponential"),
            Source(S003, "240", r"This product is what becomes a sum after taking logs — and what becomes the **summed loss over a dataset** in every training loop.",
                   expr=heads * log(p) + tails * log(1 - p), to_target=sympy.exp,
                   note="the log of the product p^h (1 − p)^t is the sum h log p + t log(1 − p)"),
            Source(S004, "761–763", r"P(X_1, X_2, \dots, X_n) = \prod_{i=1}^n P(X_i; \theta) \quad (10)",
                   expr=p**heads * (1 - p) ** tails, note="for a coin: h factors p and t factors 1 - p"),
            Source(S004, "557–559", r"**IID assumption:** (Often) the samples are assumed to be **independently and identically distributed**: P(x^{(1)}, \dots, x^{(n)} | \theta) = \prod_{i=1}^n P_\theta(x^{(i)}) \quad (2)",
                   expr=p**heads * (1 - p) ** tails, note="for a coin: h factors p and t factors 1 - p"),
            Source(S004, "5232–5236", r"Joint distribution: P(\mathbf{A}) = \prod_{i < j} p^{a_{ij}} (1 - p)^{1 - a_{ij}} \quad (93)",
                   expr=p**heads * (1 - p) ** tails,
                   note="Erdős–Rényi G(n, p): each of the n(n − 1)/2 pairs is an independent coin, h edges and t non-edges"),
            Source(S004, "5243", r"Uniform—all graph structures with same number of edges equally likely",
                   expr=p**heads * (1 - p) ** tails,
                   note="the probability of a G(n, p) graph depends on it only through its edge count h (t = n(n − 1)/2 − h): "
                        "this claim's p^h (1 − p)^t"),
            Source(S003, "828–832", r"With N = 1000 and each factor \sim 0.5 \cdot \mathcal{L} \approx 0.5^{1000} \approx 10^{-301}; This is *below* the smallest representable double-precision float ( \approx 10^{-308} ). On a computer, \mathcal{L} becomes literally zero.",
                   category="worked number", severity="error",
                   behaviour="likelihood_underflows", at={"tosses": 1000.0, "p": 0.5}, correct=UNDERFLOW_CORRECT),
            Source(S000, "143", r"Directly optimization of this product is numerically unstable (values approaches zero)",
                   behaviour="likelihood_underflows", at={"tosses": 2000.0, "p": 0.5}, correct=UNDERFLOW_CORRECT),
        ),
    )


@claim("estimation.bernoulli.mle")
def estimation_bernoulli_mle() -> Claim:
    """argmax_p p^h (1−p)^t = h/(h+t)."""
    return Claim(
        title="Coin MLE: argmax_p p^h(1−p)^t = h/(h+t), the fraction of heads",
        # only the estimate labelled MLE: a bare \hat p may be a smoothed or posterior-mean estimate,
        # (h + 1)/(h + t + 2), in the same heads-and-tails notation
        recognise=(Recognise(r"\hat p_{\mathrm{MLE}}"),),
        statement=r"\arg\max_p\, p^h (1-p)^t",
        variables=(HEADS_MLE, TAILS_MLE),
        derivation=(
            Step(r"definition: the log of the likelihood p^h(1-p)^t (claim estimation.bernoulli.likelihood); the log is monotone, "
                 r"so it has the same maximiser", heads * log(p) + tails * log(1 - p)),
            Step("differentiate in p", heads / p - tails / (1 - p), op=lambda e: sympy.diff(e, p)),
            Step(r"set to zero: h(1-p) = tp, so p = h/(h+t)", coin_mle(), op=lambda e: sympy.solve(e, p)[0]),
        ),
        wrong_variants=(
            WrongVariant("heads over tails (odds, not probability)", heads / tails),
            WrongVariant("Laplace's rule of succession (a posterior mean)", (heads + 1) / (heads + tails + 2)),
            WrongVariant("tails fraction", tails / (heads + tails)),
        ),
        sources=(
            Source(S003, "1116", r"\hat{\theta}_{\text{MLE}} = \arg \max_{\theta} p(\mathcal{D} \mid \theta)", note="the definition the derivation applies"),
            Source(S003, "854", r"\hat{\theta}_{\text{MLE}} = \arg \min_{\theta} [-\ell(\theta)] = \arg \min_{\theta} \sum_i [-\log P(y_i | \theta)]",
                   note="the same maximiser written as minimising the NLL (the log is monotone)"),
            Source(S003, "1222–1224", r"**Pick a probabilistic model**; **Write the log-likelihood** of the dataset under that model; **Maximize over \theta** — by setting derivative to zero analytically",
                   note="the recipe the derivation follows"),
            Source(S003, "783–787", r"flip it N = 10 times and observe \cdot \mathcal{D} = \text{H, H, T, H, T, T, H, H, T, H}; Six heads, four tails.",
                   expr=Rational(6, 6 + 4), at={"h": WORKED_FLIPS.count("H"), "t": WORKED_FLIPS.count("T")},
                   note="the heads and tails counted from the listed flips, compared through this claim's h/(h + t) "
                        "with the stated six and four"),
            Source(S003, "2183", r"Coin flipped 10 times, observed 8 heads ... the MLE \hat{p} = 0.8",
                   value=0.8, decimals=1, at={"h": 8, "t": 2}),
            Source(S004, "749–751", r"x^{(i)} \in \{0, 1\}: \hat{\rho} = \frac{1}{n} \sum_{i=1}^n x^{(i)} \quad (8)",
                   expr=coin_mle(), note=r"n = h + t tosses, \sum x^{(i)} = h"),
            Source(S003, "1210", r"\hat{p}_{\text{MLE}} = \frac{h}{N} = \frac{\#H}{\#H + \#T}", expr=coin_mle()),
            Source(S003, "1212", r"For our data h = 6, N = 10 \cdot \hat{p} = 0.6", value=0.6, decimals=1, at={"h": 6, "t": 4}),
            Source(S000, "175", r"MLE minimizes the expected negative log-likelihood (NLL) over the observed empirical distribution.",
                   expr=MEAN_NLL, to_target=minimiser_over_p,
                   note="for a coin: the expected NLL under the empirical distribution is the mean NLL "
                        "−(h log p + t log(1 − p))/(h + t); its minimiser over p"),
            Source(S000, "409–417", r"\hat\theta=\arg\max_\theta \sum_{i=1}^N \log p(x_i\mid \theta); \mathcal L(x_i;\theta)\;\stackrel{\text{def}}{=}\;-\log p(x_i\mid \theta); \hat\theta=\arg\min_\theta \sum_{i=1}^N \mathcal L(x_i;\theta).",
                   expr=(heads + tails) * MEAN_NLL, to_target=minimiser_over_p,
                   note="for a coin: the summed per-sample NLL −(h log p + t log(1 − p)) minimised over p (empirical risk "
                        "minimisation) gives the MLE"),
            Source(S003, "1088", r"After 6 heads in 10 flips ... After another 10 flips with the same rate (16H, 14T total)",
                   value=0.6, decimals=1, at={"h": 16, "t": 14}, category="worked number", severity="error",
                   correct="another 10 flips at the rate 6/10 add 6 heads and 4 tails: 12H, 8T in 20 flips (posterior "
                           "Beta(14, 10) under Beta(2, 2)); 16H, 14T is 30 flips at the rate 16/30 = 0.533",
                   note="'the same rate' read as the fraction of heads, the MLE h/(h + t): 0.6 after the first 10 flips"),
            Source(S003, "818–820", r"\mathcal{L}(p) = p^6(1-p)^4; Maximum at p = 0.6", value=0.6, decimals=1, at={"h": 6, "t": 4}),
            Source(S003, "1561", r"**3 times** and see **3 heads**. MLE says \hat{p}_{\text{MLE}} = 3/3 = 1.0", value=1.0, decimals=1,
                   at={"h": 3, "t": 0}),
            Source(S003, "1194–1198", r"\ell(p) = h \log p + (N - h) \log(1 - p); \frac{d\ell}{dp} = \frac{h}{p} - \frac{N - h}{1 - p}",
                   expr=coin_mle(), note="the log-likelihood and its derivative, lines of the derivation (N - h = t)"),
            Source(S003, "1565", r"According to MLE, this coin is **certainly biased to always land heads**. Future tails impossible.",
                   behaviour="mle_overfits_small_samples", at={"heads": 3.0, "tails": 0.0},
                   correct="with 3 heads in 3 tosses the MLE is 1 and gives a later tail probability 0 (log-likelihood -inf)"),
            Source(S000, "225", r"When the dataset is small, MLE can overfit, memorizing noise in \hat p(x) rather than learning p_\text{data}.",
                   behaviour="mle_overfits_small_samples", at={"heads": 3.0, "tails": 0.0},
                   correct="with 3 heads in 3 tosses the MLE is 1 and gives a later tail probability 0 (log-likelihood -inf)"),
        ),
    )


@claim("estimation.bernoulli.variance")
def estimation_bernoulli_variance() -> Claim:
    """Var[Y] = E[(Y − p)²] = p(1−p) for Y ~ Bernoulli(p)."""
    return Claim(
        title="Bernoulli variance: p(1−p), largest at p = ½",
        statement=r"\mathrm{Var}[Y],\ Y\sim\mathrm{Bernoulli}(p)",
        variables=(P,),
        derivation=(
            Step(r"definition: \mathrm{Var}[Y] = E[(Y - E[Y])^2] with E[Y] = 0\cdot(1-p) + 1\cdot p = p", (y - p) ** 2),
            Step(r"expectation over Y \sim \mathrm{Bernoulli}(p) (sympy.stats): (1-p)p^2 + p(1-p)^2", p * (1 - p),
                 op=lambda e: sympy.stats.E(e.subs(y, sympy.stats.Bernoulli("Y", p)))),
        ),
        wrong_variants=(
            WrongVariant("E[Y^2] without subtracting E[Y]^2", p),
            WrongVariant("the standard deviation", sympy.sqrt(p * (1 - p))),
            WrongVariant("p^2 (1 - p)", p**2 * (1 - p)),
        ),
        sources=(
            Source(S003, "283", r"\text{Variance} \cdot \text{Var}[Y] = \mathbb{E}[Y^2] - \mathbb{E}[Y]^2 = p - p^2 = p(1 - p)",
                   expr=p - p**2),
            Source(S003, "281", r"\text{Mean} \cdot \mathbb{E}[Y] = 0 \cdot (1 - p) + 1 \cdot p = p",
                   note="the mean the derivation uses (E[Y] = p), not the variance"),
            Source(S003, "285", r"Variance is largest at p = 0.5 (most uncertain) and zero at p \in \{0, 1\} (deterministic).",
                   behaviour="bernoulli_variance_peaks_at_half", at={"grid": 1001.0},
                   correct=r"p(1-p) is largest (1/4) at p = 1/2 and 0 at p = 0 and p = 1"),
        ),
    )


@claim("estimation.bernoulli.fisher")
def estimation_bernoulli_fisher() -> Claim:
    """I(p) = E[(∂_p log Bern(Y; p))²] = 1/(p(1−p))."""
    return Claim(
        title="Fisher information of a Bernoulli: I(p) = 1/(p(1−p)); the MLE's asymptotic variance is p(1−p)/n",
        statement=r"I(p) = \mathbb E\big[(\partial_p \log \mathrm{Bern}(Y;p))^2\big]",
        variables=(P_FISHER,),
        derivation=(
            Step(r"definition: \log \mathrm{Bern}(y; p) = y\log p + (1-y)\log(1-p) (minus claim nll.bernoulli)",
                 y * log(p) + (1 - y) * log(1 - p)),
            Step(r"the score \partial_p \log \mathrm{Bern}(y;p)", y / p - (1 - y) / (1 - p), op=lambda e: sympy.diff(e, p)),
            Step(r"Fisher information: the expected squared score over Y \sim \mathrm{Bernoulli}(p) (sympy.stats)",
                 1 / (p * (1 - p)), op=lambda e: sympy.stats.E((e**2).subs(y, sympy.stats.Bernoulli("Y", p)))),
        ),
        wrong_variants=(
            WrongVariant("the variance p(1 - p) instead of its reciprocal", p * (1 - p)),
            WrongVariant("1/p: the y = 0 term dropped", 1 / p),
            WrongVariant("the expected score (0) squared: E[score]^2 = 0", sympy.Integer(0)),
        ),
        sources=(
            Source(S004, "1617", r"**Asymptotically normal:** \sqrt{n}(\hat{\theta} - \theta_0) \rightarrow \mathcal{N}(0, I^{-1}) where I is Fisher information",
                   behaviour="mle_is_asymptotically_normal", at={"p": 0.3, "n": 2000.0},
                   correct=r"\sqrt n(\hat p - p) \to \mathcal N(0, p(1-p)) = \mathcal N(0, I(p)^{-1})"),
            Source(S004, "1615", r"**Consistent:** Converges to true parameters as n \rightarrow \infty",
                   behaviour="mle_is_consistent", at={"p": 0.3},
                   correct=r"|\hat p - p| shrinks like \sqrt{p(1-p)/n}"),
            Source(S004, "1616", r"**Asymptotically efficient:** Achieves Cramér-Rao lower bound",
                   behaviour="mle_attains_cramer_rao", at={"p": 0.3, "n": 50.0},
                   correct=r"\mathrm{Var}[\hat p] = p(1-p)/n = 1/(n I(p)) exactly, for every n"),
            Source(S004, "1618", r"**Invariant:** Under reparameterization", behaviour="mle_is_invariant",
                   at={"heads": 7.0, "tails": 13.0},
                   correct=r"the MLE of the log-odds \eta = \log(p/(1-p)) is \log(\hat p/(1-\hat p))"),
            Source(S004, "1622–1626", r"Uncertainty characterized through: Confidence intervals from Fisher information; Standard errors; Bootstrap resampling",
                   behaviour="fisher_intervals_cover", at={"p": 0.3, "n": 1000.0},
                   correct=r"the Wald interval \hat p \pm 1.96\sqrt{\hat p(1-\hat p)/n} covers p with probability close to 0.95 "
                           r"for large n (exact binomial coverage; it undercovers for small n p)"),
        ),
    )
