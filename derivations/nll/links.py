r"""Link functions: the two-class softmax is the sigmoid of the logit difference, and the Poisson
NLL with an exponential link (Poisson regression).

"Binary logistic is the special case K = 2 (with the softmax collapsing to a sigmoid)" (003
L1414); the sigmoid maps ℝ into (0, 1) with σ(0) = ½ (003 L99–101). "Poisson ⇒ exp-link Poisson
loss" (003 L1516, P3 at L1531): −log Poisson(y; e^z) = e^z − yz + log y!.

Seeds: 003 L99–101, L1406–1414, L1516, L1531.
"""

from __future__ import annotations

import sympy
import sympy.stats
from sympy import exp, factorial, log, loggamma

from derivspec.core import REAL, Claim, Domain, Source, Step, Var, WrongVariant, claim
from derivspec.core.claims import Recognise
from derivspec.core.lectures import S003, S004
from derivspec.derivations.nll.bernoulli import sigmoid

G1, G2 = Var("h1", "h_1", REAL), Var("h2", "h_2", REAL)
g1, g2 = G1.symbol, G2.symbol
# a count y = 0, 1, 2, ...: drawn as whole numbers, but the SymPy symbol is only nonnegative, so log y! stays
# log Γ(y + 1) (an integer symbol would turn it back into log y!, which the torch printer cannot evaluate)
COUNT = Var("y", "y", Domain("a whole number >= 0", {"nonnegative": True}, low=-1.0, sample_low=0, sample_high=12,
                             integer=True))
LOG_RATE = Var("z", "z", REAL)
count, log_rate = COUNT.symbol, LOG_RATE.symbol


@claim("nll.softmax.sigmoid")
def nll_softmax_sigmoid() -> Claim:
    """softmax(h₁, h₂)₁ = e^{h₁}/(e^{h₁} + e^{h₂}) = σ(h₁ − h₂)."""
    return Claim(
        title="The two-class softmax is the sigmoid of the logit difference: softmax(h)_1 = σ(h_1 − h_2)",
        statement=r"\mathrm{softmax}(h_1, h_2)_1",
        variables=(G1, G2),
        derivation=(
            Step(r"definition: \mathrm{softmax}(h)_1 = e^{h_1}/(e^{h_1} + e^{h_2})", exp(g1) / (exp(g1) + exp(g2))),
            Step(r"divide numerator and denominator by e^{h_1}", 1 / (1 + exp(g2 - g1))),
            Step(r"that is \sigma(h_1 - h_2), \sigma(t) = 1/(1 + e^{-t})", sigmoid(g1 - g2)),
        ),
        wrong_variants=(
            WrongVariant("sigmoid of the first logit alone", sigmoid(g1)),
            WrongVariant("sigmoid of the sum of the logits", sigmoid(g1 + g2)),
            WrongVariant("the other class's probability", sigmoid(g2 - g1)),
        ),
        sources=(
            Source(S003, "1414", r"Binary logistic is the special case K = 2 (with the softmax collapsing to a sigmoid).",
                   expr=sigmoid(g1 - g2), note=r"the sigmoid's logit is the difference h_1 - h_2 (only differences matter)"),
            Source(S003, "1410–1412", r"\hat{\pi}_k(\mathbf{x}) = \frac{\exp(z_k)}{\sum_{j=1}^K \exp(z_j)}; Two properties · \hat{\pi}_k > 0 (because \exp > 0) and \sum_k \hat{\pi}_k = 1",
                   expr=1 - exp(g2) / (exp(g1) + exp(g2)), note=r"K = 2: \hat\pi_1 = 1 - \hat\pi_2 (the probabilities sum to 1)"),
            Source(S003, "99–101", r"\sigma(z) = \frac{1}{1 + e^{-z}}; The **sigmoid** maps any real number to (0, 1) — ... zero logit gives 0.5.",
                   value=0.5, decimals=1, at={"h1": 0, "h2": 0},
                   note=r"\sigma(0) = 1/2 (h_1 = h_2); \sigma(t) \to 1 as t \to \infty and \to 0 as t \to -\infty"),
            Source(S004, "1764", r"Model preferences via Bradley-Terry: P(x_1 \succ x_2) = \frac{\exp(r(x_1))}{\exp(r(x_1)) + \exp(r(x_2))}",
                   expr=sympy.exp(g1) / (sympy.exp(g1) + sympy.exp(g2)),
                   note="h_1 = r(x_1), h_2 = r(x_2): the two-class softmax of the rewards, σ(r(x_1) − r(x_2)) (the log-sigmoid of the "
                        "reward gap of 003 L2196)"),
        ),
    )


@claim("nll.poisson")
def nll_poisson() -> Claim:
    """−log Poisson(y; e^z) = e^z − yz + log y! (exponential link, z = θᵀx)."""
    pmf = sympy.stats.density(sympy.stats.Poisson("N", exp(log_rate)))(count)
    return Claim(
        title="Poisson NLL with an exponential link: e^z − y z + log y! (the Poisson loss, z = θᵀx)",
        recognise=(  # the rate e^z of the exponential link; log y! is often dropped as "+ const"
            Recognise(r"-\log \mathrm{Poisson}(y; e^{z})", const_free_of=("z",)),
            Recognise(r"\log \mathrm{Poisson}(y; e^{z})", value=lambda t: -t, const_free_of=("z",)),
        ),
        statement=r"-\log \mathrm{Poisson}(y; e^{z})",
        variables=(COUNT, LOG_RATE),
        derivation=(
            Step(r"definition: pmf of Poisson(\lambda) (sympy.stats.Poisson) with the rate \lambda = e^{z}", pmf),
            Step("take minus the log", -log(exp(log_rate) ** count * exp(-exp(log_rate)) / factorial(count)),
                 op=lambda e: -log(e)),
            Step(r"\log(e^{z})^{y} = yz: the Poisson loss e^{z} - yz plus \log y!, free of z",
                 exp(log_rate) - count * log_rate + log(factorial(count))),
            Step(r"\log y! = \log\Gamma(y + 1) (the form torch.lgamma evaluates)",
                 exp(log_rate) - count * log_rate + loggamma(count + 1),
                 op=lambda e: e.subs(log(factorial(count)), loggamma(count + 1))),
        ),
        wrong_variants=(
            WrongVariant("log y! dropped (the loss, not the NLL)", exp(log_rate) - count * log_rate),
            WrongVariant("sign of y z flipped", exp(log_rate) + count * log_rate + loggamma(count + 1)),
            WrongVariant("squared error in the rate", (count - exp(log_rate)) ** 2 / 2),
        ),
        sources=(
            Source(S003, "1516", r"Poisson \Rightarrow exp-link Poisson loss",
                   expr=exp(log_rate) - count * log_rate, relation="offset", free_of=("z",),
                   note=r"the Poisson loss e^{\theta^\top x} - y\,\theta^\top x (torch's poisson_nll_loss with log_input); "
                        r"the NLL adds \log y!, constant in \theta"),
            Source(S003, "1531", r"**P3.** Write down the conditional distribution and the per-example log-likelihood for **Poisson regression** ( Y | x \sim \text{Poisson}(\exp(\theta^\top x)) ). What is the resulting NLL loss?",
                   nothing_to_compare=True, note="an exercise; its answer is this claim's target (z = θᵀx)"),
        ),
    )
