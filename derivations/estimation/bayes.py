r"""Bayes' rule for a binary hypothesis: the evidence and the posterior (the disease test).

With prior π = P(D), sensitivity s = P(+ | D) and false-positive rate f = P(+ | D̄), the joint
pmf follows from the product rule P(d, +) = P(+ | d) P(d); the evidence is its sum over d (total
probability) and the posterior is the conditional probability P(D | +) = P(D, +)/P(+). The
worked example of 003 L900–925: prevalence 1 %, sensitivity and specificity 95 % give
P(+) = 0.059 and P(D | +) ≈ 0.16.

Seeds: 000 L230–232; 003 L872–894, L900–925, L935–949; 004 L1628–1632.
"""

from __future__ import annotations

import sympy

from derivspec.core import UNIT_INTERVAL, Claim, Source, Step, Var, WrongVariant, claim
from derivspec.core.lectures import S000, S003, S004

PRIOR = Var("prior", r"\pi", UNIT_INTERVAL)
SENSITIVITY = Var("sens", "s", UNIT_INTERVAL)
FALSE_POSITIVE = Var("fpr", "f", UNIT_INTERVAL)
prior, sens, fpr = PRIOR.symbol, SENSITIVITY.symbol, FALSE_POSITIVE.symbol
DISEASE_TEST = {"prior": sympy.Rational(1, 100), "sens": sympy.Rational(95, 100), "fpr": sympy.Rational(5, 100)}
TEST_NOTE = "prevalence 1 %, sensitivity 95 %, specificity 95 % (false-positive rate 5 %)"


def joint():
    """P(d, +) by the product rule, for d = disease and d = no disease."""
    return {"D": sens * prior, "not D": fpr * (1 - prior)}


@claim("estimation.bayes.evidence")
def estimation_bayes_evidence() -> Claim:
    """P(+) = s π + f (1 − π) (total probability)."""
    return Claim(
        title="Evidence of a binary hypothesis: P(+) = P(+|D)P(D) + P(+|D̄)P(D̄) (total probability)",
        statement=r"P(+),\ P(D) = \pi,\ P(+\mid D) = s,\ P(+\mid\bar D) = f",
        variables=(PRIOR, SENSITIVITY, FALSE_POSITIVE),
        derivation=(
            Step(r"definition: P(+) = \sum_d P(d, +) (marginalise the joint pmf over d)", sum(joint().values())),
            Step(r"product rule P(d, +) = P(+\mid d)P(d): likelihood times prior, summed",
                 sens * prior + fpr * (1 - prior)),
        ),
        wrong_variants=(
            WrongVariant("the true-positive term only", sens * prior),
            WrongVariant("the specificity in place of the false-positive rate", sens * prior + (1 - fpr) * (1 - prior)),
            WrongVariant("the likelihoods added without the prior", sens + fpr),
        ),
        sources=(
            Source(S003, "917–919", r"Evidence (total probability of testing positive) · P(+)=0.95 \cdot 0.01+0.05 \cdot 0.99=0.0095+0.0495=0.059",
                   value=0.059, decimals=3, at=DISEASE_TEST, note=TEST_NOTE),
            Source(S003, "949", r"<b>Evidence</b> \int p(\mathcal{D} \theta) p(\theta) d\theta — a normalizer",
                   expr=sens * prior + fpr * (1 - prior),
                   note="the integral over θ is a sum over the two hypotheses here: Σ_θ p(+|θ) p(θ)"),
        ),
    )


@claim("estimation.bayes.posterior")
def estimation_bayes_posterior() -> Claim:
    """P(D | +) = s π / (s π + f (1 − π))."""
    return Claim(
        title="Bayes' rule for a binary hypothesis: P(D|+) = P(+|D)P(D)/P(+) (the disease test: 0.16)",
        statement=r"P(D\mid +),\ P(D) = \pi,\ P(+\mid D) = s,\ P(+\mid\bar D) = f",
        variables=(PRIOR, SENSITIVITY, FALSE_POSITIVE),
        derivation=(
            Step(r"definition: conditional probability P(D\mid +) = P(D, +)/P(+), with P(+) = \sum_d P(d, +)",
                 joint()["D"] / sum(joint().values())),
            Step(r"product rule in the numerator, total probability in the denominator (claim "
                 r"estimation.bayes.evidence): likelihood \times prior / evidence",
                 sens * prior / (sens * prior + fpr * (1 - prior))),
        ),
        wrong_variants=(
            WrongVariant("the likelihood P(+|D) itself (the base-rate fallacy)", sens),
            WrongVariant("the prior ignored", sens / (sens + fpr)),
            WrongVariant("the evidence without the false positives", sympy.Integer(1)),
        ),
        sources=(
            Source(S003, "876", r"P(A | B) = \frac{P(A, B)}{P(B)}", expr=joint()["D"] / sum(joint().values()),
                   note="A = D, B = +: the joint by the product rule, P(B) by total probability"),
            Source(S003, "882", r"P(A, B) = P(A | B) P(B) = P(B | A) P(A)",
                   expr=sens * prior / (sens * prior + fpr * (1 - prior)),
                   note="solving the product rule for P(D | +) = P(+ | D) P(D)/P(+)"),
            Source(S003, "888–894", r"P(A | B) P(B) = P(B | A) P(A); Divide by P(B) · P(A | B) = \frac{P(B | A) P(A)}{P(B)}",
                   expr=sens * prior / (sens * prior + fpr * (1 - prior)), note="A = D, B = +"),
            Source(S003, "921–925", r"P(D|+)=\frac{P(+|D)P(D)}{P(+)}=\frac{0.95 \cdot 0.01}{0.059} \approx \mathbf{0.16}",
                   value=0.16, decimals=2, at=DISEASE_TEST, note=TEST_NOTE),
            Source(S003, "900–909", r"A disease has prevalence 1%. A test has sensitivity 95% and specificity 95%. ... Prior · P(D) = 0.01, P(\bar{D}) = 0.99; Likelihood · P(+ | D) = 0.95, P(+ | \bar{D}) = 0.05",
                   nothing_to_compare=True, note="the data of the worked example (specificity 95 % is a false-positive rate of 5 %, as written)"),
            Source(S003, "935–943", r"p(\theta | \mathcal{D}) = \frac{p(\mathcal{D} | \theta) p(\theta)}{p(\mathcal{D})}",
                   expr=sens * prior / (sens * prior + fpr * (1 - prior)),
                   note="θ a binary hypothesis (D or not), the data one positive test"),
            Source(S000, "230–232", r"P(\theta \mid D) = \frac{P(D \mid \theta) P(\theta)}{P(D)} \;\;\propto\;\; P(D \mid \theta) P(\theta)",
                   expr=sens * prior / (sens * prior + fpr * (1 - prior)),
                   note="θ a binary hypothesis, the data one positive test"),
            Source(S004, "1628–1632", r"p(\theta|\mathcal{D}) = \frac{p(\mathcal{D}|\theta)p(\theta)}{\int p(\mathcal{D}|\theta)p(\theta)d\theta} \quad (62)",
                   expr=sens * prior / (sens * prior + fpr * (1 - prior)),
                   note="θ a binary hypothesis, so the integral is a sum over its two values; the data one positive test"),
        ),
    )
