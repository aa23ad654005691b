r"""Entropy of a Bernoulli: H(p) = −p log p − (1 − p) log(1 − p), the expected surprise of a coin.

H(p) = E[I(Y)] with I(y) = −log P(y) the surprise (003 L1750, L1794): the NLL of claim
nll.bernoulli averaged over y ~ Bernoulli(p). In bits: 1 for a fair coin, ≈ 0.08 at p = 0.99;
symmetric about ½ and concave (003 L1823–1843).

Seeds: 003 L1823–1827, L1841–1843.
"""

from __future__ import annotations

from sympy import Rational, log

from derivspec.core import Claim, Source, Step, WrongVariant, claim, target_of
from derivspec.core.lectures import S003
from derivspec.derivations.nll.bernoulli import P, p, y01

BERNOULLI_ENTROPY = -p * log(p) - (1 - p) * log(1 - p)


@claim("kl.entropy.bernoulli")
def kl_entropy_bernoulli() -> Claim:
    """H(Bern(p)) = E_y[−log Bern(y; p)] = −p log p − (1 − p) log(1 − p)."""
    surprise = target_of("nll.bernoulli")
    return Claim(
        title="Entropy of a Bernoulli: −p log p − (1 − p) log(1 − p) (1 bit at p = ½, symmetric, concave)",
        statement=r"H(\mathrm{Bern}(p)) = \mathbb E_{y\sim\mathrm{Bern}(p)}[-\log \mathrm{Bern}(y;p)]",
        variables=(P,),
        derivation=(
            Step(r"definition: the expected surprise, the NLL of y (claim nll.bernoulli) averaged over y \in \{0, 1\} "
                 r"with P(1) = p, P(0) = 1 - p", p * surprise.subs(y01, 1) + (1 - p) * surprise.subs(y01, 0)),
            Step(r"-\log p for y = 1, -\log(1-p) for y = 0", BERNOULLI_ENTROPY),
        ),
        wrong_variants=(
            WrongVariant("the y = 0 term dropped", -p * log(p)),
            WrongVariant("sign flipped: E[log p]", p * log(p) + (1 - p) * log(1 - p)),
            WrongVariant("weights swapped", -(1 - p) * log(p) - p * log(1 - p)),
        ),
        sources=(
            Source(S003, "1824", r"Fair coin	1	-2 \cdot 0.5 \log_2 0.5 = 1", value=1.0, decimals=0, unit="bits",
                   at={"p": Rational(1, 2)}),
            Source(S003, "1825", r"Biased coin p = 0.99	0.08	-0.99 \log_2 0.99 - 0.01 \log_2 0.01", value=0.08, decimals=2,
                   unit="bits", at={"p": Rational(99, 100)}),
            Source(S003, "1827", r"One-hot (deterministic)	0	nothing to encode",
                   value=0.0, decimals=2, unit="bits", at={"p": Rational(999999, 1000000)},
                   note="a coin with p = 1 − 10⁻⁶ (the limit p → 1 of the entropy is 0; 0 log 0 = 0)"),
            Source(S003, "1841", r"H(p) = -p \log_2 p - (1 - p) \log_2(1 - p) — concave, symmetric around p = 0.5 , peaking at 1 bit.",
                   expr=(-p * log(p) - (1 - p) * log(1 - p)) / log(2), to_target=lambda bits: bits * log(2),
                   note="in bits: the target divided by log 2"),
            Source(S003, "1841", r"symmetric around p = 0.5",
                   expr=-(1 - p) * log(1 - p) - p * log(p),
                   note="H(1 − p) as written for the other face of the coin, equal to H(p)"),
            Source(S003, "1841", r"peaking at 1 bit", value=1.0, decimals=0, unit="bits", at={"p": Rational(1, 2)},
                   note="the maximum: H'(p) = log((1 − p)/p) vanishes at ½ and H''(p) = −1/(p(1 − p)) < 0 (concave)"),
            Source(S003, "1843", r"A coin with p = 0.99 is almost deterministic — encoded with arithmetic coding it costs \sim 0.08 bits/flip on average.",
                   value=0.08, decimals=2, unit="bits", at={"p": Rational(99, 100)}),
        ),
    )
