r"""The chain rule p(x₁, x₂, x₃) = p(x₁) p(x₂|x₁) p(x₃|x₁,x₂), and ancestral sampling.

A joint over {0,1}³ is given by eight positive weights w_abc (p(a, b, c) = w_abc / Σ w), so
every point of the variables' domains is a distribution. Each conditional is a ratio of
marginals (the definition of conditional probability) and the product telescopes. Derived for
T = 3 binary variables; any d is checked numerically with the tabular, FVSBN, NADE and MADE
models of reference_models/autoregressive.py (property_tests/test_ar.py).

Seeds: 001 L38–42, L136–142, L247–253, L269–273, L285–288; 002 L504–505; 004 L773–775,
L1034–1040, L1186–1191, L1250, L2378, L2389–2391, L2407, L2451–2456, L2461–2463, L2478–2488,
L4152.
"""

from __future__ import annotations

import itertools

import sympy
from sympy import log

from derivspec.core import BINARY, Claim, Source, Step, Var, WrongVariant, claim, positive_between
from derivspec.core.lectures import S000, S001, S002, S004

XS = tuple(Var(f"x{i}", f"x_{i}", BINARY) for i in (1, 2, 3))
x1, x2, x3 = (v.symbol for v in XS)
CELLS = list(itertools.product((0, 1), repeat=3))
WS = tuple(Var(f"w{a}{b}{c}", f"w_{{{a}{b}{c}}}", positive_between(0.2, 3)) for a, b, c in CELLS)
w = {cell: v.symbol for cell, v in zip(CELLS, WS)}
TOTAL = sum(w.values())


def indicator(symbol, value):
    """[symbol = value] for a binary symbol: symbol or 1 − symbol."""
    return symbol if value == 1 else 1 - symbol


def marginal(*observed):
    """p(x_1, …, x_k) at the claim's symbols x_1..x_k (k = len(observed)): Σ over the rest."""
    k = len(observed)
    total = 0
    for prefix in itertools.product((0, 1), repeat=k):  # one term per value of the observed prefix
        mass = sum(w[cell] for cell in CELLS if cell[:k] == prefix)
        total += sympy.Mul(*(indicator(s, v) for s, v in zip(observed, prefix))) * mass
    return total / TOTAL


def joint_at_x():
    return marginal(x1, x2, x3)


def conditionals():
    """p(x₁), p(x₂|x₁) = p(x₁,x₂)/p(x₁), p(x₃|x₁,x₂) = p(x₁,x₂,x₃)/p(x₁,x₂)."""
    m1, m12, m123 = marginal(x1), marginal(x1, x2), marginal(x1, x2, x3)
    return m1, m12 / m1, m123 / m12


def chain_product():
    return sympy.Mul(*conditionals(), evaluate=False)


def _sum_of_logs():
    return sympy.Add(*(log(c) for c in conditionals()), evaluate=False)


def _variables():
    return (*XS, *WS)


@claim("ar.chain-rule")
def ar_chain_rule() -> Claim:
    """p(x₁)p(x₂|x₁)p(x₃|x₁,x₂) = p(x₁, x₂, x₃) for any joint over {0,1}³ (the product telescopes)."""
    m1, m12, m123 = marginal(x1), marginal(x1, x2), marginal(x1, x2, x3)
    product = chain_product()
    independent = sympy.Mul(_marginal_of(0), _marginal_of(1), _marginal_of(2))
    return Claim(
        title="Chain rule: the product of the autoregressive conditionals is the joint (T = 3 binary variables)",
        statement=r"p(x_1)\,p(x_2\mid x_1)\,p(x_3\mid x_1, x_2)",
        variables=_variables(),
        derivation=(
            Step(r"definition of conditional probability: p(x_2|x_1) = p(x_1,x_2)/p(x_1), "
                 r"p(x_3|x_1,x_2) = p(x_1,x_2,x_3)/p(x_1,x_2), each marginal a sum of the weights", product),
            Step("the product telescopes: the joint p(x_1, x_2, x_3) = w_{x_1 x_2 x_3}/Σw", m123),
        ),
        wrong_variants=(
            WrongVariant("Markov truncation: p(x_3|x_2) in place of p(x_3|x_1,x_2)",
                         sympy.Mul(m1, m12 / m1, _markov_third(), evaluate=False)),
            WrongVariant("independence: the product of the marginals", independent),
            WrongVariant("dropped the first factor p(x_1)", m12 / m1 * m123 / m12),
        ),
        sources=(
            Source(S001, "247–253", r"p_\theta(x) = \prod_{t=1}^{T} p_\theta(x_t | x_{<t})", expr=product, note="T = 3 binary tokens"),
            Source(S001, "136–142", r"p_\theta(y_{1:T} | z) = \prod_{t=1}^{T} p_\theta(y_t | y_{<t}, z)", expr=product,
                   note="with the image embedding z fixed every factor is conditioned on it: the same identity for the "
                        "conditional joint p(· | z); T = 3"),
            Source(S001, "269–273", r"p_\theta(x) = \prod_{t} p_\theta(x_t | x_{<t})", expr=product,
                   note="multimodal token sequences: the same factorisation; T = 3"),
            Source(S001, "40–41", r"“Maximize the joint probability by factorizing into next-token predictions.” Learns (p_\theta(x_1,\dots,x_T)) via product of conditionals.",
                   expr=product, note="T = 3"),
            Source(S002, "504", r"p(x) = \prod p(x_t \mid x_{<t})", expr=product, note="T = 3"),
            Source(S004, "773–775", r"P(X_1, X_2, \dots, X_n) = P(X_1)P(X_2|X_1)P(X_3|X_1, X_2) \cdots P(X_n|X_1, \dots, X_{n-1}) \quad (11)",
                   expr=product, note="n = 3"),
            Source(S004, "1250", r"**Autoregressive models:** Factorized densities p(x) = \prod_t p(x_t|x_{<t})", expr=product, note="T = 3"),
            Source(S004, "2378", r"Chain rule does the rest: p(\mathbf{x}) = \prod p(x_i \mid \mathbf{x}_{<i})", expr=product, note="d = 3"),
            Source(S004, "2389", r"Follow chain rule of probability: p(\mathbf{x}) = \prod_{i=1}^n p(x_i \mid \mathbf{x}_{<i})", expr=product,
                   note="n = 3"),
            Source(S004, "2407", r"p(x_1, \dots, x_n) = p(x_1) \prod_{t=2}^n p_{\theta}(x_t | x_1, \dots, x_{t-1})", expr=product, note="n = 3"),
            Source(S004, "2390–2391", r"Make no independence assumptions beyond ordering. Universal: can represent any distribution over ordered variables",
                   behaviour="tables_represent_any_joint", at={"d": 6},
                   correct="the conditional tables of any joint reproduce it exactly (2^d − 1 numbers)"),
            Source(S004, "2462–2463", r"Makes no assumptions beyond ordering. Universal: can represent any distribution",
                   behaviour="tables_represent_any_joint", at={"d": 6},
                   correct="the conditional tables of any joint reproduce it exactly (2^d − 1 numbers)"),
            Source(S001, "287–288", r"AR models are **density models** over discrete sequences. They directly approximate the joint distribution",
                   behaviour="exact_normalised_likelihood", at={"d": 8},
                   correct="p(x) = ∏ p(x_t|x_{<t}) is a normalised density: it sums to 1 over all sequences"),
            Source(S004, "4152", r"Available for: Autoregressive models (tractable by chain rule)",
                   behaviour="exact_normalised_likelihood", at={"d": 8},
                   correct="p(x) = ∏ p(x_t|x_{<t}) is a normalised density: it sums to 1 over all sequences"),
            Source(S004, "2451–2456", r"**Attention is All You Need** ... *Self-attention mechanism* replaces recurrence entirely. **GPT** ... *Large-scale pre-training + task fine-tuning* paradigm using Transformers",
                   note="history of architectures; nothing to compute"),
            Source(S000, "487", r"**Goal:** Learn the joint distribution (often factorized as sequence ).",
                   note="the symbols are missing in the source; the factorisation it names is the chain rule compared at "
                        "001 L247–253"),
            Source(S001, "283", r"But now **attention** is free to flow between modalities.",
                   note="an architectural remark; nothing to compute"),
            Source(S004, "2203", r"Heavy factorization: p(X|Z) = p(x_1|Z)p(x_2|x_1, Z) \cdots p(x_n|x_{1:n-1}, Z)",
                   expr=product, note="with the latent Z fixed every factor is conditioned on it; n = 3"),
            Source(S004, "5334–5337", r"GraphRNN generates graphs by sequentially adding nodes and edges, using RNNs to parameterize: p(\text{add node}|\text{graph so far}); p(\text{edges to existing nodes}|\text{new node, graph so far})",
                   note="not compared: the graph's probability is the product of these conditionals in the generation order, the "
                        "chain rule of this claim"),
            Source(S004, "5363–5367", r"p(z) = \mathcal{N}(0, I) \quad (\text{simple Gaussian prior}) \tag{98}; p(\mathbf{X}, \mathbf{A}|z) = p(\mathbf{X}|z) p(\mathbf{A}|\mathbf{X}, z) \tag{99}",
                   note="not compared: the chain rule of this claim for two blocks (X, then A given X), conditioned on z"),
        ),
    )


def _marginal_of(index: int):
    """p(x_{index+1} = its symbol) alone."""
    symbol = XS[index].symbol
    return sum(indicator(symbol, cell[index]) * w[cell] for cell in CELLS) / TOTAL


def _markov_third():
    """p(x₃|x₂) = p(x₂, x₃)/p(x₂) (the first variable marginalised out)."""
    pair = sum(indicator(x2, cell[1]) * indicator(x3, cell[2]) * w[cell] for cell in CELLS) / TOTAL
    return pair / _marginal_of(1)


@claim("ar.sampling.ancestral")
def ar_sampling_ancestral() -> Claim:
    """P(the ancestral sampler outputs x) = ∏_t p(x_t | x_{<t}) = p(x)."""
    return Claim(
        title="Ancestral sampling (x_t ~ p(x_t | x_{<t}) in order) draws from the joint (T = 3 binary variables)",
        statement=r"P(\text{ancestral sampler returns } (x_1, x_2, x_3))",
        variables=_variables(),
        derivation=(
            Step(r"the sampler draws x_1 \sim p(x_1), then x_2 \sim p(x_2|x_1), then x_3 \sim p(x_3|x_1,x_2): "
                 "the probability of returning x is the product of the three draws' probabilities", chain_product()),
            Step("the chain rule (claim ar.chain-rule): the joint p(x_1, x_2, x_3)", joint_at_x()),
        ),
        wrong_variants=(
            WrongVariant("each coordinate drawn from its marginal (independent draws)",
                         sympy.Mul(_marginal_of(0), _marginal_of(1), _marginal_of(2))),
            WrongVariant("x_3 drawn given x_2 only", sympy.Mul(marginal(x1), marginal(x1, x2) / marginal(x1), _markov_third())),
            WrongVariant("uniform over the 8 sequences", sympy.Rational(1, 8) + 0 * x1),
        ),
        sources=(
            Source(S004, "1189", r"**Ancestral sampling:** x_t \sim p(x_t|x_{<t})", expr=chain_product(),
                   note="the probability that the procedure returns x, T = 3"),
            Source(S004, "2407", r"The autoregressive factorization ensures tractable likelihood computation and exact sampling, at the cost of sequential (non-parallel) generation.",
                   behaviour="ancestral_matches_joint", at={"d": 4, "n": 60000},
                   correct="ancestral samples follow the joint exactly (χ² goodness of fit)"),
            Source(S004, "2480–2482", r"Sequential: must generate one step at a time. Slow: O(T) for sequence length T. Cannot parallelize generation",
                   behaviour="sampling_is_sequential", at={"d": 6},
                   correct="scoring takes one teacher-forced pass; sampling takes d dependent passes"),
            Source(S004, "1037", r"**Density models** (e.g., autoregressive): Density direct, sampling sequential",
                   behaviour="sampling_is_sequential", at={"d": 6},
                   correct="scoring takes one teacher-forced pass; sampling takes d dependent passes"),
            Source(S004, "1190–1191", r"Stochastic, diverse. Can produce low-quality outliers",
                   nothing_to_compare=True, note="a qualitative remark on ancestral samples; the quality-diversity trade-off is checked at L1202 "
                        "(claim ar.sampling.temperature)"),
            Source(S002, "505", r'There is no explicit "latent variable" in standard GPT training. The "embedding" is just a deterministic lookup table. The randomness only happens at the very end (Sampling).',
                   note="true of the reference models (scoring is deterministic; the sampler's uniforms are its only "
                        "randomness); an architectural description, nothing to compute"),
            Source(S004, "2486–2488", r"No latent variables to infer. Cannot learn unsupervised representations. No explicit “understanding” separate from generation",
                   note="an assessment (opinion); nothing to compute"),
            Source(S004, "2046–2050", r"Explicit generative story: Sample from roots (no parents); Sample children conditioned on parents; Follow edges = follow generative process",
                   expr=chain_product(), note="a chain x_1 → x_2 → x_3 with every edge to later nodes: the probability the procedure "
                                              "returns x, T = 3"),
        ),
    )
