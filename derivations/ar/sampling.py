r"""Decoding: temperature, top-k and nucleus (top-p) sampling as renormalisations.

Each reshapes the next-token distribution π = softmax(h) before it is sampled:

* temperature T: π̃_k ∝ π_k^{1/T}, which is softmax(h/T) (the normaliser's power cancels);
* top-k: keep the k most probable tokens, renormalise: π_j / Σ_{kept} π = softmax over the kept
  logits (the others at −∞);
* nucleus: keep the smallest set of most probable tokens whose mass reaches p, renormalise.

Three classes; for top-k and nucleus the logits are written (0, −g₂, −g₂ − g₃) with gaps
g₂, g₃ > 0, so the order is known (softmax is shift-invariant: the top logit can be 0). Larger
vocabularies are checked numerically (property_tests/test_ar_sampling.py).

Seeds: 003 L764–767 (the strategies), L1833, L1857 (temperature and entropy); 004 L420–424,
L1174–1202 (temperature scaling, decoding strategies, the quality–diversity trade-off).
"""

from __future__ import annotations

import sympy
from sympy import Piecewise, exp

from derivspec.core import UNIT_INTERVAL, Claim, Source, Step, Var, WrongVariant, claim, positive_between
from derivspec.core.lectures import S003, S004
from derivspec.derivations.nll.categorical import H1, H2, H3, h1, h2, h3, softmax

TEMP = Var("T", "T", positive_between(0.2, 5))
T = TEMP.symbol
Z = exp(h1) + exp(h2) + exp(h3)


def tempered(k, t=T):
    """softmax(h/t)_k."""
    return exp((h1, h2, h3)[k] / t) / sum(exp(h / t) for h in (h1, h2, h3))


@claim("ar.sampling.temperature")
def ar_sampling_temperature() -> Claim:
    """π̃₁ = π₁^{1/T} / Σ_k π_k^{1/T} = softmax(h/T)₁."""
    powered = [softmax(k) ** (1 / T) for k in range(3)]
    greedy = dict(behaviour="low_temperature_is_greedy", at={"T": 0.01},
                  correct="as T → 0 the tempered distribution puts all its mass on argmax π (greedy decoding)")
    entropy = dict(behaviour="temperature_raises_entropy", at={},
                   correct="the entropy of softmax(h/T) increases with T, from 0 (T → 0, one-hot) to log K (T → ∞, uniform)")
    return Claim(
        title="Temperature sampling π̃ ∝ π^{1/T} is softmax(logits / T) (3 classes)",
        statement=r"\tilde\pi_1,\ \tilde\pi_k \propto \pi_k^{1/T},\ \pi = \mathrm{softmax}(h)",
        variables=(H1, H2, H3, TEMP),
        derivation=(
            Step(r"definition: raise the probabilities to 1/T and renormalise", powered[0] / sum(powered)),
            Step(r"\pi_k^{1/T} = e^{h_k/T}/Z^{1/T} with Z = \sum_j e^{h_j}",
                 (exp(h1 / T) / Z ** (1 / T)) / sum(exp(h / T) / Z ** (1 / T) for h in (h1, h2, h3))),
            Step(r"Z^{1/T} cancels: softmax of the logits divided by T (what implementations compute)", tempered(0)),
        ),
        wrong_variants=(
            WrongVariant("logits multiplied by T", tempered(0, 1 / T)),
            WrongVariant("powered but not renormalised", powered[0]),
            WrongVariant("temperature applied to the probabilities: softmax(π/T)",
                         exp(softmax(0) / T) / sum(exp(softmax(k) / T) for k in range(3))),
            WrongVariant("probabilities divided by T then renormalised (no effect)", softmax(0)),
        ),
        sources=(
            Source(S003, "765", r"Sample from \tilde{\pi}_k \propto \pi_k^{1/T}", expr=powered[0] / sum(powered)),
            Source(S003, "765", r"T = 1 = unchanged", expr=softmax(0), at={"T": 1}),
            Source(S003, "765", r"T \rightarrow 0 = greedy", **greedy),
            Source(S003, "765", r"T > 1 = more random", **entropy),
            Source(S004, "1174–1176", r"Temperature Scaling Control randomness via temperature parameter T : p_T(x) \propto p(x)^{1/T} \quad (37)",
                   expr=powered[0] / sum(powered), note="p a categorical over 3 values"),
            Source(S004, "1178", r"T \rightarrow 0: Deterministic, concentrates on modes", **greedy),
            Source(S004, "1179", r"T = 1: Original distribution", expr=softmax(0), at={"T": 1}),
            Source(S004, "1180", r"T > 1: More uniform, increased diversity", **entropy),
            Source(S004, "423", r'Temperature = 0: "Give me your most confident prediction"', **greedy),
            Source(S004, "424", r'Higher temperature: "Show me the range of possibilities"', **entropy),
            Source(S003, "1833", r"temperature in LLMs (which controls output entropy)", **entropy),
            Source(S003, "1857", r"high T pushes the categorical toward uniform (high entropy), low T sharpens it (low entropy)", **entropy),
            Source(S004, "1186–1188", r"**Greedy decoding:** x_t = \arg \max p(x_t|x_{<t}). Deterministic, locally optimal. Can be repetitive or get stuck",
                   behaviour="greedy_is_locally_optimal", at={"d": 3},
                   correct="greedy decoding (the T → 0 limit of per-token sampling) is deterministic and picks each "
                           "token's argmax; the sequence it returns need not be the most probable one"),
            Source(S004, "1198–1200", r"**Beam search:** Maintain k best partial sequences. Approximates most likely complete sequence",
                   behaviour="beam_search_approaches_the_mode", at={"d": 6},
                   correct="beam search finds the most probable sequence more often as the width grows, always at "
                           "width 2^(d−1)"),
            Source(S004, "1202", r"Deterministic methods (greedy, low temperature) produce consistent, high-quality samples but lack diversity and can be repetitive. Stochastic methods (ancestral, high temperature) produce diverse samples but with variable quality.",
                   behaviour="temperature_trades_quality_for_diversity", at={"d": 6},
                   correct="raising the per-token temperature raises the entropy of the sampled sequences and lowers "
                           "their expected log-likelihood under the model"),
        ),
    )


G2 = Var("g2", "g_2", positive_between(0.05, 3))  # h_1 − h_2 > 0
G3 = Var("g3", "g_3", positive_between(0.05, 3))  # h_2 − h_3 > 0
g2, g3 = G2.symbol, G3.symbol
SORTED_LOGITS = (0, -g2, -g2 - g3)
ZS = sum(exp(h) for h in SORTED_LOGITS)
q1, q2, q3 = (exp(h) / ZS for h in SORTED_LOGITS)  # π sorted: q1 > q2 > q3


@claim("ar.sampling.top-k")
def ar_sampling_top_k() -> Claim:
    """top-2 of 3: π₁/(π₁ + π₂) = e^{h₁}/(e^{h₁} + e^{h₂}) = 1/(1 + e^{−g₂})."""
    return Claim(
        title="Top-k sampling renormalises the k most probable tokens: top-2 of 3, probability of the top token",
        statement=r"\tilde\pi_1 = \frac{\pi_1 [1 \in \mathrm{top}_k]}{\sum_{j \in \mathrm{top}_k} \pi_j},\ k = 2",
        variables=(G2, G3),
        derivation=(
            Step("definition: keep the k = 2 most probable tokens (1 and 2, as h_1 > h_2 > h_3) and renormalise",
                 q1 / (q1 + q2)),
            Step("the normaliser Z cancels: a softmax over the kept logits (the others set to -∞)",
                 exp(0) / (exp(0) + exp(-g2))),
            Step("in the gap g_2 = h_1 - h_2: a sigmoid", 1 / (1 + exp(-g2))),
        ),
        wrong_variants=(
            WrongVariant("not renormalised", q1),
            WrongVariant("kept the top and the bottom token", q1 / (q1 + q3)),
            WrongVariant("top-1 (greedy)", sympy.Integer(1) + 0 * g2),
        ),
        sources=(
            Source(S003, "766", r"Keep top k logits, renormalize, sample", expr=q1 / (q1 + q2), note="k = 2 of 3 classes"),
            Source(S004, "1192–1194", r"**Top-k sampling** Fan et al. [2018]: Sample from top k most probable tokens. Balances quality and diversity. Fixed cutoff may be too rigid",
                   expr=q1 / (q1 + q2), note="sampling from the top k renormalises over them; k = 2 of 3 classes"),
        ),
    )


P_NUC = Var("p", "p", UNIT_INTERVAL)
p_nuc = P_NUC.symbol


def nucleus_top_probability():
    """π₁ / (mass of the kept set): 1 if π₁ ≥ p; π₁/(π₁ + π₂) if π₁ < p ≤ π₁ + π₂; π₁/1 otherwise."""
    return Piecewise((q1 / q1, q1 >= p_nuc), (q1 / (q1 + q2), q1 + q2 >= p_nuc), (q1 / (q1 + q2 + q3), True))


@claim("ar.sampling.nucleus")
def ar_sampling_nucleus() -> Claim:
    """Nucleus p: keep {1} if π₁ ≥ p, {1,2} if π₁ < p ≤ π₁ + π₂, else all; the top token's renormalised probability."""
    return Claim(
        title="Nucleus (top-p) sampling keeps the smallest top set with mass ≥ p and renormalises: probability of the top token (3 classes)",
        statement=r"\tilde\pi_1,\ \text{kept set} = \text{smallest } S = \{1, \dots, m\} \text{ with } \sum_{j\in S}\pi_j \ge p",
        variables=(G2, G3, P_NUC),
        derivation=(
            Step("definition: the sorted prefix whose cumulative mass first reaches p, renormalised (the branches "
                 "are 1, the sigmoid 1/(1 + e^{-g_2}) of the gap, and π_1 itself; written as the definition, since "
                 "SymPy's case analysis of conditions on exponentials is slow)", nucleus_top_probability()),
        ),
        wrong_variants=(
            WrongVariant("kept tokens while the cumulative mass including them is ≤ p (drops the token that crosses p)",
                         Piecewise((1, p_nuc < q1 + q2), (q1 / (q1 + q2), True))),
            WrongVariant("not renormalised", q1),
            WrongVariant("a fixed top-2 cutoff", q1 / (q1 + q2)),
        ),
        sources=(
            Source(S003, "767", r"Keep smallest set with cumulative prob \geq p",
                   expr=nucleus_top_probability(),
                   note="renormalised over the kept set (the strategy samples from it); 3 classes"),
            Source(S004, "1195–1197", r"**Nucleus (top-p) sampling** Holtzman et al. [2020]: Sample from smallest set with cumulative probability \geq p. Adaptive cutoff based on distribution shape",
                   expr=nucleus_top_probability(),
                   note="sampling from the set renormalises over it; 3 classes"),
        ),
    )
