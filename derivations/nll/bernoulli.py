r"""Bernoulli negative log-likelihood: binary cross-entropy, and with a sigmoid link, BCE with logits.

Seeds: 003 L111, L268–275, L1362–1386, L1495–1499.
"""

from __future__ import annotations

import sympy
import sympy.stats
from sympy import Eq, Piecewise, Rational, exp, log

from derivspec.core import BINARY, REAL, UNIT_INTERVAL, Claim, Source, Step, Var, WrongVariant, claim, target_of
from derivspec.core.claims import Recognise
from derivspec.core.lectures import S003
from derivspec.derivations.nll.gaussian import LOGLIK_NOTE, NLL_AS_LOGLIK

Y01 = Var("y", "y", BINARY)
P = Var("p", "p", UNIT_INTERVAL)
Z = Var("z", "z", REAL)
y01, p, z = Y01.symbol, P.symbol, Z.symbol


def sigmoid(t):
    return 1 / (1 + exp(-t))


@claim("nll.bernoulli")
def nll_bernoulli() -> Claim:
    """−log Bern(y; p) = −y log p − (1−y) log(1−p) for y ∈ {0, 1}."""
    pmf = sympy.stats.density(sympy.stats.Bernoulli("B", p)).dict
    return Claim(
        title="Bernoulli negative log-likelihood is binary cross-entropy",
        recognise=(r"-\log \mathrm{Bern}(y; p)", Recognise(r"\log \mathrm{Bern}(y; p)", value=lambda t: -t)),
        statement=r"-\log \mathrm{Bern}(y;p)",
        variables=(Y01, P),
        derivation=(
            Step("definition: pmf of Bernoulli(p) (sympy.stats.Bernoulli): P(1) = p, P(0) = 1 - p",
                 Piecewise((pmf[1], Eq(y01, 1)), (pmf[0], True))),
            Step("compact form p^y (1-p)^{1-y} (checked at y = 0 and y = 1)", p**y01 * (1 - p) ** (1 - y01)),
            Step("take minus the log", -log(p**y01 * (1 - p) ** (1 - y01)), op=lambda e: -log(e)),
            Step("log of a product is the sum of logs: binary cross-entropy",
                 -y01 * log(p) - (1 - y01) * log(1 - p)),
        ),
        wrong_variants=(
            WrongVariant("p and 1-p swapped", -y01 * log(1 - p) - (1 - y01) * log(p)),
            WrongVariant("dropped the y = 0 term", -y01 * log(p)),
            WrongVariant("sign flipped (log-likelihood)", y01 * log(p) + (1 - y01) * log(1 - p)),
        ),
        sources=(
            Source(S003, "268–273", r"P(Y = y \mid p) = p^y (1 - p)^{1-y}", expr=p**y01 * (1 - p) ** (1 - y01),
                   to_target=lambda written: -log(written), note="the source writes the pmf; the target is minus its log"),
            Source(S003, "275", r"y \log p + (1 - y) \log(1 - p)", expr=y01 * log(p) + (1 - y01) * log(1 - p),
                   **NLL_AS_LOGLIK, note=LOGLIK_NOTE),
            Source(S003, "1376", r"\log p(y_i | \mathbf{x}_i, \boldsymbol{\theta}) = y_i \log \hat{p}_i + (1 - y_i) \log(1 - \hat{p}_i)",
                   expr=y01 * log(p) + (1 - y01) * log(1 - p), **NLL_AS_LOGLIK, note=LOGLIK_NOTE),
            Source(S003, "1384–1386", r"L_{\text{NLL}}(\boldsymbol{\theta}) = - \sum_{i=1}^N [y_i \log \hat{p}_i + (1 - y_i) \log(1 - \hat{p}_i)] (\"This is exactly binary cross-entropy.\")",
                   expr=-(y01 * log(p) + (1 - y01) * log(1 - p)), note="one term of the sum"),
            Source(S003, "111", r"L(\boldsymbol{\theta}) = -\frac{1}{N} \sum_{i=1}^N [y_i \log \hat{p}_i + (1 - y_i) \log(1 - \hat{p}_i)]",
                   expr=-(y01 * log(p) + (1 - y01) * log(1 - p)), note="one term of the mean"),
            Source(S003, "1495–1499", r"\hat{p} = 0.8, y = 1: \log 0.8 = -0.223, loss 0.223", value=0.223, decimals=3,
                   at={"y": 1, "p": Rational(8, 10)}),
            Source(S003, "1495–1499", r"\hat{p} = 0.8, y = 0: \log 0.2 = -1.609, loss 1.609", value=1.609, decimals=3,
                   at={"y": 0, "p": Rational(8, 10)}),
            Source(S003, "1484", r"Binary y \in \{0, 1\}	Bernoulli	<b>BCE</b>",
                   expr=-(y01 * log(p) + (1 - y01) * log(1 - p)), note="the table's binary row: the Bernoulli NLL is BCE"),
            Source(S003, "1503", r"The loss is small **iff the model assigned high probability to the true class**.",
                   expr=-log(p), at={"y": 1},
                   note="read through the loss of the true class: at y = 1 it is -log p̂ (compared), a decreasing function "
                        "of p̂ that is 0 at p̂ = 1; the monotonicity is read off this formula, not tested separately"),
            Source(S003, "1750–1758", r"I(y) := -\log p(y)", expr=-log(p), at={"y": 1},
                   note="the surprise of an event of probability p is this claim's NLL of the observed outcome (y = 1)"),
            Source(S003, "1750–1758", r"The **only** function satisfying all three is I(y) = -c \log p(y) for c > 0 (Shannon 1948).",
                   note="not compared: a uniqueness theorem (Shannon's, which also needs I continuous); no finite check decides it"),
            *(Source(S003, line, row, value=value, decimals=decimals, unit="bits", at={"y": 1, "p": probability},
                     note="the surprise −log₂ p of an event of probability p: the NLL of y = 1 under Bernoulli(p), in bits"
                          + extra)
              for line, row, value, decimals, probability, extra in (
                  ("1764", r"**Kashmir in January** · p(\text{snow}) \approx 0.5 · I = -\log_2 0.5 = 1 bit.", 1.0, 0,
                   Rational(1, 2), ""),
                  ("1765", r"**Gandhinagar in January** · p(\text{snow}) \approx 10^{-6} · I = -\log_2 10^{-6} \approx 20 bits.",
                   20.0, 0, Rational(1, 10**6), ""),
                  ("1778", r"Fair coin lands heads	0.5	1 bit", 1.0, 0, Rational(1, 2), ""),
                  ("1779", r"Roll a 6 on a fair die	1/6	\approx 2.58 bits", 2.58, 2, Rational(1, 6), ""),
                  ("1780", r"Win a 1-in-1024 lottery	1/1024	10 bits", 10.0, 0, Rational(1, 1024), ""),
                  ("1781", r"The sun rises tomorrow	\approx 1	\approx 0 bits", 0.0, 0, 1 - Rational(1, 10**6),
                   "; p = 1 − 10⁻⁶ for '≈ 1'"),
                  ("1782", r"Sample a specific token from 50k vocab	1/50000	\approx 15.6 bits", 15.6, 1, Rational(1, 50000), ""))),
        ),
    )


@claim("nll.bernoulli.logits")
def nll_bernoulli_logits() -> Claim:
    """With p = σ(z): −log Bern(y; σ(z)) = log(1 + eᶻ) − y z (BCE with logits)."""
    return Claim(
        title="Bernoulli NLL with a sigmoid link is BCE-with-logits: softplus(z) − y z",
        recognise=(  # \sigma(z) is read as the logistic function, so the shape is the BCE of a logit z
            Recognise(r"-\log \mathrm{Bern}(y; \sigma(z))"),
            Recognise(r"\log \mathrm{Bern}(y; \sigma(z))", value=lambda t: -t),
        ),
        statement=r"-\log \mathrm{Bern}(y;\sigma(z))",
        variables=(Y01, Z),
        derivation=(
            Step("Bernoulli NLL (claim nll.bernoulli)", target_of("nll.bernoulli")),
            Step(r"substitute p = \sigma(z) = 1/(1+e^{-z})", -y01 * log(sigmoid(z)) - (1 - y01) * log(1 - sigmoid(z)),
                 op=lambda e: e.subs(p, sigmoid(z))),
            Step(r"\log\sigma(z) = z - \log(1+e^z), \log(1-\sigma(z)) = -\log(1+e^z)", log(1 + exp(z)) - y01 * z),
        ),
        wrong_variants=(
            WrongVariant("softplus of -z", log(1 + exp(-z)) - y01 * z),
            WrongVariant("sign of y z flipped", log(1 + exp(z)) + y01 * z),
        ),
        sources=(
            Source(S003, "1362–1368", r"Y \mid \mathbf{x} \sim \text{Bernoulli}(\hat{p}_\theta(\mathbf{x})), \hat{p}_\theta(\mathbf{x}) = \sigma(\boldsymbol{\theta}^\top \mathbf{x}); p(y \mid \mathbf{x}, \boldsymbol{\theta}) = \hat{p}_\theta(\mathbf{x})^y (1 - \hat{p}_\theta(\mathbf{x}))^{1-y}",
                   expr=sigmoid(z) ** y01 * (1 - sigmoid(z)) ** (1 - y01), to_target=lambda written: -log(written),
                   note=r"the source writes the likelihood with z = \theta^\top x; the target is minus its log"),
        ),
    )
