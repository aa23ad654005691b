r"""KL and entropy of discrete distributions: Bernoulli, categorical (3 classes), entropy.

The expectation under p is a sum over the support. Categorical probabilities are written as
normalised positive weights (π_k = a_k / Σ a), so every point of the variables' domains is a
distribution. Seeds: 000 L196–203 (the "Entropy" label); 003 L1794, L1851–1855 (entropy and
its table), L1897–1951 (KL definition and worked examples).
"""

from __future__ import annotations

from sympy import Rational, log

from derivspec.core import UNIT_INTERVAL, Claim, Source, Step, Var, WrongVariant, claim, positive_between, target_of
from derivspec.core.lectures import S000, S003, S004
from derivspec.derivations.nll.bernoulli import P, p, y01

Q = Var("q", "q", UNIT_INTERVAL)
q = Q.symbol
A3 = tuple(Var(f"a{k}", f"a_{k}", positive_between(0.2, 3)) for k in (1, 2, 3))
B3 = tuple(Var(f"b{k}", f"b_{k}", positive_between(0.2, 3)) for k in (1, 2, 3))
a3, b3 = [w.symbol for w in A3], [w.symbol for w in B3]


def normalised(weights):
    """Probabilities from positive weights: w_k / Σ w."""
    return [w / sum(weights) for w in weights]


def categorical_kl(ps, qs):
    """Σ_k p_k log(p_k/q_k)."""
    return sum(pk * log(pk / qk) for pk, qk in zip(ps, qs))


def cross_entropy(ps, qs):
    """H(p, q) = −Σ_k p_k log q_k."""
    return -sum(pk * log(qk) for pk, qk in zip(ps, qs))


def entropy(ps):
    """H(p) = −Σ_k p_k log p_k."""
    return -sum(pk * log(pk) for pk in ps)


def bernoulli_closed_form(p_, q_):
    """p log(p/q) + (1−p) log((1−p)/(1−q)), as lectures write it (for wrong variants and sources)."""
    return p_ * log(p_ / q_) + (1 - p_) * log((1 - p_) / (1 - q_))


# --- Bernoulli ------------------------------------------------------------------------------


@claim("kl.bernoulli")
def kl_bernoulli() -> Claim:
    """KL(Bern(p) ‖ Bern(q)) = p log(p/q) + (1−p) log((1−p)/(1−q))."""
    nll = target_of("nll.bernoulli")  # −log Bern(y; p)
    return Claim(
        title="KL between two Bernoulli distributions",
        recognise=(r"\mathrm{KL}(\mathrm{Bern}(p) \| \mathrm{Bern}(q))",),
        statement=r"\mathrm{KL}(\mathrm{Bern}(p)\,\|\,\mathrm{Bern}(q))",
        variables=(P, Q),
        derivation=(
            Step(r"definition: \mathbb E_p[\log p(y) - \log q(y)] with \log \mathrm{Bern}(y;\cdot) from claim nll.bernoulli",
                 -nll + nll.subs(p, q)),
            Step(r"expectation over y \in \{0,1\}: weight p at y = 1 and 1-p at y = 0",
                 p * log(p / q) + (1 - p) * log((1 - p) / (1 - q)),
                 op=lambda e: p * e.subs(y01, 1) + (1 - p) * e.subs(y01, 0)),
        ),
        wrong_variants=(
            WrongVariant("arguments swapped (KL(q||p))", bernoulli_closed_form(q, p)),
            WrongVariant("dropped the y = 0 term", p * log(p / q)),
            WrongVariant("log-ratio upside down", p * log(q / p) + (1 - p) * log((1 - q) / (1 - p))),
        ),
        sources=(
            Source(S003, "1925–1931", r"p = (0.7, 0.3), q = (0.5, 0.5): \text{KL}(p \parallel q) = 0.7 \log \frac{0.7}{0.5} + 0.3 \log \frac{0.3}{0.5} ... = \mathbf{0.082} nats",
                   value=0.082, decimals=3, at={"p": Rational(7, 10), "q": Rational(1, 2)}),
            Source(S003, "1933", r"In bits · divide by \ln 2 \approx 0.693, giving \approx 0.119 bits.",
                   value=0.119, decimals=3, unit="bits", at={"p": Rational(7, 10), "q": Rational(1, 2)}),
            Source(S003, "1935", r"\text{KL}(q \parallel p) = 0.5 \log \frac{0.5}{0.7} + 0.5 \log \frac{0.5}{0.3} = -0.168 + 0.255 = 0.087 nats",
                   value=0.087, decimals=3, at={"p": Rational(1, 2), "q": Rational(7, 10)},
                   note="the reverse direction: here p = 0.5 and q = 0.7"),
            Source(S003, "1927–1929", r"\text{KL}(p \parallel q) = \sum_y p(y) \log \frac{p(y)}{q(y)}",
                   expr=bernoulli_closed_form(p, q), note="the sum over y in {0, 1}"),
        ),
    )


# --- categorical ----------------------------------------------------------------------------


def _worked(*weights: str) -> dict:
    """The worked example's probabilities as the weights a1..a3, b1..b3 (already normalised)."""
    return dict(zip(("a1", "a2", "a3", "b1", "b2", "b3"), map(Rational, weights)))


@claim("kl.categorical")
def kl_categorical() -> Claim:
    """KL(Cat(π) ‖ Cat(ρ)) = Σ_k π_k log(π_k/ρ_k), π = a/Σa, ρ = b/Σb."""
    pis, rhos = normalised(a3), normalised(b3)
    return Claim(
        title="KL between two categorical distributions (3 classes; probabilities from positive weights)",
        statement=r"\mathrm{KL}(\pi\,\|\,\rho) = \sum_k \pi_k \log(\pi_k/\rho_k),\ \pi_k = a_k/\textstyle\sum a,\ \rho_k = b_k/\sum b",
        variables=A3 + B3,
        derivation=(
            Step(r"definition: \mathbb E_\pi[\log \pi_Y - \log \rho_Y] = \sum_k \pi_k(\log\pi_k - \log\rho_k), "
                 r"with probabilities \pi_k = a_k/\sum a, \rho_k = b_k/\sum b",
                 sum(pk * (log(pk) - log(rk)) for pk, rk in zip(pis, rhos))),
            Step("log of a ratio", categorical_kl(pis, rhos)),
        ),
        wrong_variants=(
            WrongVariant("arguments swapped (KL(rho||pi))", categorical_kl(rhos, pis)),
            WrongVariant("unnormalised weights", categorical_kl(a3, b3)),
        ),
        sources=(
            Source(S003, "1897–1903", r"\text{KL}(p \parallel q) := \mathbb{E}_{Y \sim p} \left[ \log \frac{p(Y)}{q(Y)} \right] = \sum_y p(y) \log \frac{p(y)}{q(y)}",
                   expr=categorical_kl(pis, rhos)),
            Source(S003, "1951", r"A roughly-aligned model has \text{KL} \approx 0.03",
                   value=0.03, decimals=2, at=_worked("0.5", "0.3", "0.2", "0.4", "0.4", "0.2")),
            Source(S003, "1951", r"a wildly mismatched one has \text{KL} \approx 0.86",
                   value=0.86, decimals=2, at=_worked("0.5", "0.3", "0.2", "0.1", "0.1", "0.8")),
            Source(S003, "1939–1945", r"p = (0.5, 0.3, 0.2), q_A = (0.4, 0.4, 0.2): ... = 0.5 \cdot 0.223 + 0.3 \cdot (-0.288) + 0 = 0.112 - 0.086 = \mathbf{0.026} nats",
                   value=0.026, decimals=3, at=_worked("0.5", "0.3", "0.2", "0.4", "0.4", "0.2")),
            Source(S003, "1939–1949", r"p = (0.5, 0.3, 0.2), q_B = (0.1, 0.1, 0.8): ... = 0.805 + 0.330 - 0.277 = \mathbf{0.858} nats",
                   value=0.858, decimals=3, at=_worked("0.5", "0.3", "0.2", "0.1", "0.1", "0.8")),
        ),
    )


# --- entropy --------------------------------------------------------------------------------

ENTROPY_TABLE = (  # 003 L1851–1855, entropies in bits
    ("1853", "(0.7, 0.2, 0.1)	≈ 1.16", 1.16, ("0.7", "0.2", "0.1")),
    ("1854", "(0.5, 0.3, 0.2)	≈ 1.49", 1.49, ("0.5", "0.3", "0.2")),
    ("1855", r"(1/3, 1/3, 1/3)	\log_2 3 \approx 1.58", 1.58, ("1/3", "1/3", "1/3")),
)


@claim("kl.entropy.categorical")
def kl_entropy_categorical() -> Claim:
    """H(π) = −E_π[log π_Y] = −Σ_k π_k log π_k (3 classes; formerly ``entropy.categorical``)."""
    pis = normalised(a3)
    return Claim(
        title="Entropy of a categorical distribution (3 classes; probabilities from positive weights)",
        statement=r"H(\pi) = -\textstyle\sum_k \pi_k\log\pi_k,\ \pi_k = a_k/\sum a",
        variables=A3,
        derivation=(
            Step(r"definition: H(p) = \mathbb E_p[-\log p(Y)], the expected surprise, as a sum over the 3 classes",
                 sum(pk * (-log(pk)) for pk in pis)),
            Step("move the sign out", entropy(pis)),
        ),
        wrong_variants=(
            WrongVariant("sign flipped: E[log p]", -entropy(pis)),
            WrongVariant("unweighted sum of surprises", -sum(log(pk) for pk in pis)),
        ),
        sources=(
            Source(S003, "1794", r"H(p) := \mathbb{E}_{Y \sim p}[I(Y)] = -\mathbb{E}_{Y \sim p}[\log p(Y)] = -\sum_y p(y) \log p(y)",
                   expr=entropy(pis)),
            *(Source(S003, line, row, value=value, decimals=2, unit="bits",
                     at=dict(zip(("a1", "a2", "a3"), map(Rational, weights))), note="entropy table in bits")
              for line, row, value, weights in ENTROPY_TABLE),
            Source(S000, "196–203", r"\underbrace{\mathbb E_{p_{\text{data}}}[\log p_{\text{data}}(x)]}_{\text{Entropy } H(p_{\text{data}})} - \underbrace{\mathbb E_{p_{\text{data}}}[\log p(x\mid\theta)]}_{\text{Likelihood}}",
                   category="formula", severity="error",
                   expr=sum(pk * log(pk) for pk in pis),
                   correct=r"\mathbb E_{p}[\log p] = -H(p), so \mathrm{KL}(p_{data}\|p_\theta) = -H(p_{data}) - \mathbb E_{p_{data}}[\log p_\theta]",
                   note=r"the term labelled Entropy H(p_data) is E[log p_data], here for 3 classes; the argmin conclusion "
                        "at L205–209 survives because -H is constant in θ too"),
            Source(S003, "1802–1806", r"Shannon's source-coding theorem says · \underbrace{H(p)}_{\text{lower bound}} \leq \mathbb{E}_p[\text{bits per symbol}] \leq H(p) + 1",
                   behaviour="huffman_code_meets_the_bound", at={"n_distributions": 2000.0, "max_symbols": 12.0},
                   note="for the optimal prefix-free code (Huffman); the upper bound is strict"),
            Source(S003, "1808–1816", r"p = (0.5, 0.25, 0.125, 0.125); A 0 1; B 10 2; C 110 3; D 111 3; Average length = 0.5(1) + 0.25(2) + 0.125(3) + 0.125(3) = 1.75 bits = H(p) exactly.",
                   behaviour="huffman_code_of_the_example", at={"p1": 0.5, "p2": 0.25, "p3": 0.125, "p4": 0.125},
                   note="4 symbols (the claim's formula with 4 terms): dyadic probabilities, so the code meets H(p)"),
            Source(S004, "1223", r"**Data compression:** Optimal encoding length determined by -\log p(x)",
                   behaviour="huffman_code_of_the_example", at={"p1": 0.5, "p2": 0.25, "p3": 0.125, "p4": 0.125},
                   note="for dyadic probabilities the optimal (Huffman) code gives x a codeword of −log₂ p(x) bits, and its mean "
                        "length is the entropy (003 L1808–1816's example); in general the lengths round −log₂ p(x) up"),
        ),
    )
