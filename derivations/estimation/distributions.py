r"""The family tree of elementary distributions (004 L609–621): sums of Bernoullis are Binomial,
rare events are Poisson, waiting times are memoryless, and the time to the second event is Gamma.

* A sum of three i.i.d. Bernoulli(p) takes the value 2 with probability 3p²(1 − p), the
  Binomial(3, p) pmf (enumerating the sequences with two ones).
* Binomial(n, λ/n) at 2 tends to the Poisson(λ) pmf λ²e^{−λ}/2 as n → ∞ ("rare events"; also the
  degree of a node of a sparse Erdős–Rényi graph, 004 L5240).
* The Exponential(λ) waiting time is memoryless: P(X > s + t | X > s) = e^{−λt}, free of s.
* The sum of two independent Exponential(λ) waiting times has the Gamma(2, λ) density λ²xe^{−λx}.

Seeds: 004 L609–610, L616, L620–621, L628, L5240.
"""

from __future__ import annotations

import sympy
import sympy.stats
from sympy import Integral, binomial, exp, oo

from derivspec.core import UNIT_INTERVAL, Claim, Computed, Source, Step, Var, WrongVariant, claim, positive_between
from derivspec.core.lectures import S004

P = Var("p", "p", UNIT_INTERVAL)
RATE = Var("lam", r"\lambda", positive_between(0.25, 4))
ELAPSED = Var("s", "s", positive_between(0.1, 3))
WAIT = Var("t", "t", positive_between(0.1, 3))
POINT = Var("x", "x", positive_between(0.05, 4))
p, rate, elapsed, wait, point = P.symbol, RATE.symbol, ELAPSED.symbol, WAIT.symbol, POINT.symbol
trials = sympy.Symbol("n", positive=True, integer=True)
u = sympy.Symbol("u", positive=True)


def poisson_pmf_at_two() -> sympy.Expr:
    """The Poisson(λ) pmf at 2 (sympy.stats.Poisson), for the sources."""
    return sympy.stats.density(sympy.stats.Poisson("N", rate))(2)


@claim("estimation.binomial.sum")
def estimation_binomial_sum() -> Claim:
    """P(B₁ + B₂ + B₃ = 2) = 3p²(1 − p) for i.i.d. Bernoulli(p)."""
    pmf = lambda b: p**b * (1 - p) ** (1 - b)  # noqa: E731
    sequences = [(1, 1, 0), (1, 0, 1), (0, 1, 1)]
    return Claim(
        title="A sum of i.i.d. Bernoulli(p) is Binomial: P(B₁ + B₂ + B₃ = 2) = 3p²(1 − p)",
        statement=r"P(B_1 + B_2 + B_3 = 2),\ B_i \sim \mathrm{Bernoulli}(p)\ \text{i.i.d.}",
        variables=(P,),
        derivation=(
            Step(r"definition: sum over the sequences with two ones of the product of the Bernoulli pmfs p^b(1-p)^{1-b} "
                 r"(independence)", sum(sympy.Mul(*(pmf(b) for b in seq)) for seq in sequences)),
            Step(r"three sequences, each p^2(1-p): \binom{3}{2}p^2(1-p), the Binomial(3, p) pmf at 2", 3 * p**2 * (1 - p)),
        ),
        wrong_variants=(
            WrongVariant("one sequence only", p**2 * (1 - p)),
            WrongVariant("exponents swapped", 3 * p * (1 - p) ** 2),
            WrongVariant("the order ignored twice: 6p²(1 − p)", 6 * p**2 * (1 - p)),
        ),
        sources=(
            Source(S004, "609–610", r"**Bernoulli** ...: simplest — binary outcome, parameter p; Question: model n trials? \xrightarrow{\text{sum } n \text{ i.i.d.}} **Binomial**(n, p)",
                   expr=sympy.stats.density(sympy.stats.Binomial("B", 3, p))(2), note="n = 3, at the value 2"),
        ),
    )


@claim("estimation.poisson.limit")
def estimation_poisson_limit() -> Claim:
    """lim_{n→∞} Binomial(n, λ/n) pmf at 2 = λ²e^{−λ}/2, the Poisson(λ) pmf at 2."""
    return Claim(
        title="Rare events: Binomial(n, λ/n) tends to Poisson(λ) as n → ∞ (the pmf at 2: λ²e^{−λ}/2)",
        statement=r"\lim_{n\to\infty} \binom{n}{2}\left(\tfrac{\lambda}{n}\right)^2\left(1-\tfrac{\lambda}{n}\right)^{n-2}",
        variables=(RATE,),
        derivation=(
            Step(r"definition: the Binomial(n, \lambda/n) pmf at 2 (n trials, each an event with probability \lambda/n)",
                 binomial(trials, 2) * (rate / trials) ** 2 * (1 - rate / trials) ** (trials - 2)),
            Computed(r"the limit n \to \infty: \binom n2/n^2 \to \tfrac12, (1 - \lambda/n)^{n-2} \to e^{-\lambda}",
                     lambda e: sympy.limit(e, trials, oo)),
            Step(r"that is the Poisson(\lambda) pmf \lambda^k e^{-\lambda}/k! at k = 2", rate**2 * exp(-rate) / 2),
        ),
        wrong_variants=(
            WrongVariant("the k! dropped", rate**2 * exp(-rate)),
            WrongVariant("the exponential factor dropped", rate**2 / 2),
            WrongVariant("e^{-1} in place of e^{-λ}", rate**2 * exp(-1) / 2),
        ),
        sources=(
            Source(S004, "616", r"Continuous time, rare events \rightarrow **Poisson**(λ)", expr=poisson_pmf_at_two(),
                   note="n trials with rate λ/n each, n → ∞; compared at the count 2"),
            Source(S004, "5240", r"Poisson degree distribution", expr=poisson_pmf_at_two(),
                   note="of G(n, p): a node's degree is Binomial(n − 1, p), Poisson(λ) in the sparse limit n → ∞ with "
                        "np = λ (this claim, at degree 2); for fixed n and p it is only approximately Poisson"),
        ),
    )


def geometric_survival_limit(rate: sympy.Symbol, time: sympy.Symbol) -> sympy.Expr:
    """lim_{n→∞} P(Geometric waiting time > nt) = lim (1 − λ/n)^{nt}: continuous time as the limit of
    ever finer Bernoulli trials (004 L617–619)."""
    n = sympy.Symbol("n", positive=True)
    return sympy.limit((1 - rate / n) ** (n * time), n, oo)


@claim("estimation.exponential.memoryless")
def estimation_exponential_memoryless() -> Claim:
    """P(X > s + t | X > s) = e^{−λt} for X ~ Exponential(λ): free of s."""
    density = sympy.stats.density(sympy.stats.Exponential("X", rate))(u)
    survival = lambda a: Integral(density, (u, a, oo))  # noqa: E731
    return Claim(
        title="The Exponential waiting time is memoryless: P(X > s + t | X > s) = e^{−λt} = P(X > t)",
        statement=r"P(X > s + t \mid X > s),\ X\sim\mathrm{Exponential}(\lambda)",
        variables=(RATE, ELAPSED, WAIT),
        derivation=(
            Step(r"definition: P(A \mid B) = P(A, B)/P(B) with \{X > s + t\} \subset \{X > s\}, and P(X > a) = "
                 r"\int_a^\infty \lambda e^{-\lambda u}du (sympy.stats.Exponential)", survival(elapsed + wait) / survival(elapsed)),
            Step(r"evaluate the integrals: e^{-\lambda(s+t)}/e^{-\lambda s}", exp(-rate * (elapsed + wait)) / exp(-rate * elapsed),
                 op=lambda e: e.doit()),
            Step(r"e^{-\lambda t}, free of the time s already waited", exp(-rate * wait)),
        ),
        wrong_variants=(
            WrongVariant("the unconditional P(X > s + t)", exp(-rate * (elapsed + wait))),
            WrongVariant("the CDF 1 − e^{−λt}", 1 - exp(-rate * wait)),
            WrongVariant("the time already waited, e^{−λs}", exp(-rate * elapsed)),
        ),
        sources=(
            Source(S004, "617–619", r"Waiting time until first success: Discrete trials \rightarrow **Geometric**; Continuous time \rightarrow **Exponential**(\lambda)",
                   expr=geometric_survival_limit(rate, wait),
                   note=r"the Geometric waiting time of trials every 1/n time units with success probability \lambda/n survives past t "
                        r"with probability (1 - \lambda/n)^{nt}; its limit n \to \infty (sympy.limit) is the Exponential survival "
                        r"e^{-\lambda t}, which this claim's P(X > s + t | X > s) equals"),
            Source(S004, "620", r"(Both are *memoryless* — the Markov property, Andrey Markov, 1906)", expr=exp(-rate * wait),
                   note="memoryless: the conditional survival equals the unconditional P(X > t) = e^{−λt} (the Exponential; "
                        "the Geometric likewise); the memoryless distribution is what makes the Poisson process Markov"),
            Source(S004, "628", r"**Exponential** models x \in [0, \infty) with decay: p(x) \propto \exp(-\lambda x) (linear in exponent)",
                   note="not compared: the density the derivation starts from, λe^{−λx} on [0, ∞)"),
        ),
    )


@claim("estimation.gamma.sum")
def estimation_gamma_sum() -> Claim:
    """Density of X₁ + X₂ for i.i.d. Exponential(λ): λ²x e^{−λx}, the Gamma(2, λ) density."""
    density = lambda v: rate * exp(-rate * v)  # noqa: E731
    return Claim(
        title="The waiting time to the second event is Gamma(2, λ): the sum of two Exponential(λ) has density λ²x e^{−λx}",
        statement=r"p_{X_1 + X_2}(x),\ X_i\sim\mathrm{Exponential}(\lambda)\ \text{i.i.d.}",
        variables=(RATE, POINT),
        derivation=(
            Step(r"definition: the density of a sum of independent variables is the convolution "
                 r"\int_0^x \lambda e^{-\lambda u}\,\lambda e^{-\lambda(x-u)}du", Integral(density(u) * density(point - u), (u, 0, point))),
            Step(r"the integrand is \lambda^2 e^{-\lambda x}, constant in u: \lambda^2 x e^{-\lambda x}", rate**2 * point * exp(-rate * point),
                 op=lambda e: e.doit()),
        ),
        wrong_variants=(
            WrongVariant("one waiting time's density", rate * exp(-rate * point)),
            WrongVariant("the factor x dropped", rate**2 * exp(-rate * point)),
            WrongVariant("lambda instead of lambda squared", rate * point * exp(-rate * point)),
        ),
        sources=(
            Source(S004, "621", r"Until k -th success? **Negative Binomial** (discrete), **Gamma**(k, λ) (Euler, 1729)",
                   expr=sympy.stats.density(sympy.stats.Gamma("G", 2, 1 / rate))(point),
                   note="k = 2, rate λ (sympy's Gamma takes the scale 1/λ)"),
        ),
    )
