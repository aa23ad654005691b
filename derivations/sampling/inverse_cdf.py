r"""Inverse-CDF sampling of a categorical: return the smallest k with c_k = Σ_{j≤k} π_j ≥ u.

For u ~ Uniform[0, 1] the sampler returns k exactly when c_{k−1} < u ≤ c_k, an interval of length
π_k: the draws have the right probabilities (derived here for the third of four classes; the
general inverse-CDF statement and the worked example are behaviour sources run in
``numerics/sampling_routes.py``).

Seeds: 003 L635–684.
"""

from __future__ import annotations

from sympy import Rational

from derivspec.core import Claim, Source, Step, Var, WrongVariant, claim, positive_between
from derivspec.core.lectures import S000, S003

PROBS = tuple(Var(f"p{k}", rf"\pi_{k}", positive_between(0.05, 0.3)) for k in (1, 2, 3))
p1, p2, p3 = (v.symbol for v in PROBS)


@claim("sampling.inverse-cdf.categorical")
def sampling_inverse_cdf_categorical() -> Claim:
    """P(smallest k with c_k ≥ u is 3) = c_3 − c_2 = π_3, u ~ Uniform[0, 1], four classes."""
    return Claim(
        title="Inverse-CDF sampling of a categorical returns class k with probability c_k − c_{k−1} = π_k (class 3 of 4)",
        statement=r"P\big(\min\{k: c_k \ge u\} = 3\big),\ c_k = \sum_{j\le k}\pi_j,\ u\sim\mathrm{Uniform}[0,1],\ \pi_4 = 1 - \pi_1 - \pi_2 - \pi_3",
        variables=PROBS,
        derivation=(
            Step(r"definition: the sampler returns 3 exactly when c_2 < u \le c_3, and P(a < u \le b) = b - a for a uniform u",
                 (p1 + p2 + p3) - (p1 + p2)),
            Step("the cumulative sums telescope", p3),
        ),
        wrong_variants=(
            WrongVariant("the cumulative c_3 (the CDF, not the pmf)", p1 + p2 + p3),
            WrongVariant("a difference of neighbouring probabilities", p3 - p2),
            WrongVariant("the upper tail 1 - c_3", 1 - p1 - p2 - p3),
        ),
        sources=(
            Source(S003, "670–674", r"Build c_k = \sum_{j=1}^k \pi_j (so c_K = 1). Draw u \sim \text{Uniform}[0, 1]. Return the smallest k such that c_k \geq u; \boldsymbol{\pi} = (0.1, 0.4, 0.3, 0.2) \rightarrow cumulative (0.1, 0.5, 0.8, 1.0). Draw u = 0.55 \cdot smallest k with c_k \geq 0.55 is k = 3. Return class **3**.",
                   behaviour="inverse_cdf_worked_example", at={"u": 0.55},
                   correct="with pi = (0.1, 0.4, 0.3, 0.2) and u = 0.55 the sampler returns class 3"),
            Source(S003, "641–644", r"1. Draw u \sim \text{Uniform}[0, 1]. 2. Return y = F^{-1}(u). Why it works \cdot P(Y \leq y) = P(F^{-1}(u) \leq y) = P(u \leq F(y)) = F(y)",
                   behaviour="inverse_cdf_samples_have_the_cdf", at={"rate": 2.0, "n": 20000.0},
                   correct="-log(1 - u)/rate has the Exponential(rate) CDF (Kolmogorov-Smirnov test)"),
            Source(S003, "654–659", r"The CDF jumps from 0 to 1 - p at y = 0, then from 1 - p to 1 at y = 1; return 0 if u < 1 - p else 1",
                   behaviour="bernoulli_by_one_comparison", at={"p": 0.3, "n": 1000000.0},
                   correct="'return 0 if u < 1 - p else 1' returns 1 with probability p (z-test)"),
            Source(S003, "662", r"One uniform draw + one comparison \cdot this is what `torch.bernoulli` does internally.",
                   note="not comparable: a statement about torch's implementation, not about the distribution of the draws"),
            Source(S003, "678–684", r"This is what `torch.multinomial` does \cdot one uniform + one cumulative scan. **Every LLM samples its next token with exactly this algorithm.**",
                   note="not comparable: implementation claims (GPU samplers also use alias tables or the Gumbel-max trick; "
                        "the distribution of the draws, checked here, is what matters)"),
            Source(S003, "348–358", r"MNIST classifier outputs \pi = (0.05, 0.7, 0.1, 0.02, \dots, 0.05) for one image (10 components, summing to 1). If the true label is Y = 2 (digit \"2\"), then the probability the model assigned to **the truth** is \pi_{Y_{\text{true}}} = \pi_2 = 0.7; A perfect model would put all mass on class 2 (i.e. \pi = (0, 0, 1, 0, \dots, 0) )",
                   value=0.7, decimals=1, at={"p1": Rational(5, 100), "p2": Rational(7, 10), "p3": Rational(1, 10)},
                   category="notation/index", severity="notation",
                   correct=r"classes are 1-based (L330, Y \in \{1, \dots, K\}) and MNIST digits run from 0, so digit 2 is the "
                           r"third class, as the one-hot (0, 0, 1, 0, \dots) of the same slide says: its probability is "
                           r"\pi_3 = 0.1 (loss -\log 0.1 = 2.30); 0.7 is the second entry, digit 1",
                   note="the probability of the third class (this claim's class 3; the other seven classes lumped into class "
                        "4), the entry the slide's one-hot truth selects"),
            Source(S000, "47–55", r"**Sufficient Statistics**(\psi): ... probability of dog or cat [0.1, 0.9]; **Assumed Distribution**(p(y \mid \psi)): We assume: \"The next word follows a Categorical distribution defined by \psi.\" **Sampling**: the stochastic step; drawing from that distribution.",
                   note="not compared: the workflow; drawing y ~ Categorical(ψ) returns class k with probability ψ_k (this "
                        "claim, by inverse-CDF sampling)"),
        ),
    )
