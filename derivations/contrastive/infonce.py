r"""InfoNCE: the softmax cross-entropy of a similarity row, its gradient, uniform value and temperature limits.

For anchor i with similarities s_ij = ⟨z_i, z'_j⟩/τ to the N candidates of the batch (the
positive j = i first), L_i = −log softmax(s_i·)_i. Written for N = 3 with a_j = ⟨z_i, z'_j⟩
(a_1 the positive); the value at equal similarities is derived for any N; the general-N
gradient and cold limit are checked numerically (property_tests/test_contrastive.py).

Seeds: 001 L50–91, L296–303 (InfoNCE, its reading); 000 L363–390, L504–511 (CLIP as a categorical
over the batch); 004 L3821–3825 (CLIP's objective).
"""

from __future__ import annotations

import sympy
from sympy import Max, exp, log, oo

from derivspec.core import REAL, Claim, Source, Step, Var, WrongVariant, claim, count_between, positive_between, target_of
from derivspec.core.lectures import S000, S001, S004
from derivspec.derivations.nll.categorical import h1, h2, h3

A = tuple(Var(f"a{k}", f"a_{k}", REAL) for k in (1, 2, 3))  # a_j = <z_i, z'_j>, a_1 the positive
TAU = Var("tau", r"\tau", positive_between(0.25, 3))
a1, a2, a3 = (v.symbol for v in A)
tau = TAU.symbol
N_BATCH = Var("N", "N", count_between(2, 64))
C = Var("c", "c", REAL)
N, c = N_BATCH.symbol, C.symbol


def lse(*terms):
    """log Σ exp(terms)."""
    return log(sum(exp(t) for t in terms))


def infonce_row(a, t):
    """−log softmax(a/t)_1, in log-sum-exp form (for wrong variants and sources)."""
    return -a[0] / t + lse(*(x / t for x in a))


def softmax_row(k, a=(a1, a2, a3), t=tau):
    return exp(a[k] / t) / sum(exp(x / t) for x in a)


@claim("contrastive.infonce")
def contrastive_infonce() -> Claim:
    """L = −log(e^{a₁/τ} / Σ_j e^{a_j/τ}) = −a₁/τ + log Σ_j e^{a_j/τ} (N = 3, a_j = ⟨z_i, z'_j⟩)."""
    row = -log(exp(a1 / tau) / (exp(a1 / tau) + exp(a2 / tau) + exp(a3 / tau)))
    return Claim(
        title="InfoNCE is the softmax cross-entropy of the similarity row with the positive as the label (N = 3)",
        statement=r"\mathcal L^{\mathrm{InfoNCE}}_i = -\log\frac{e^{s_{ii}}}{\sum_j e^{s_{ij}}},\ s_{ij} = \langle z_i, z'_j\rangle/\tau",
        variables=(*A, TAU),
        derivation=(
            Step("softmax cross-entropy of logits h with observed class 1 (claim nll.categorical)",
                 target_of("nll.categorical")),
            Step(r"the similarity row as the logits, h_j = s_{ij} = \langle z_i, z'_j\rangle/\tau = a_j/\tau, "
                 r"the positive j = i as the label",
                 -a1 / tau + log(exp(a1 / tau) + exp(a2 / tau) + exp(a3 / tau)),
                 op=lambda e: e.subs({h1: a1 / tau, h2: a2 / tau, h3: a3 / tau}, simultaneous=True)),
        ),
        wrong_variants=(
            WrongVariant("temperature multiplies the similarities", infonce_row((a1 * tau, a2 * tau, a3 * tau), 1)),
            WrongVariant("normalised over the negatives only (positive left out of the denominator)",
                         -a1 / tau + lse(a2 / tau, a3 / tau)),
            WrongVariant("sign flipped (the log-softmax, a quantity to maximise)", -infonce_row((a1, a2, a3), tau)),
            WrongVariant("temperature applied outside the log-sum-exp", (-a1 + lse(a1, a2, a3)) / tau),
        ),
        sources=(
            Source(S001, "61–76", r"s_{ij} = \frac{\langle z_i, z'_j \rangle}{\tau}; \mathcal{L}*i^{\text{InfoNCE}} = - \log \frac{\exp(s*{ii})}{\sum_{j=1}^{N} \exp(s_{ij})}",
                   expr=row, note=r"N = 3, anchor i with its positive first: s_{ij} = a_j/\tau (the file renders _ as *)"),
            Source(S001, "296–303", r"\mathcal{L}_{\text{InfoNCE}} = \mathbb{E}\left[-\log \frac{\exp( s(z,z^+) )}{\sum_j \exp( s(z,z_j) )}\right]",
                   expr=row, note=r"one anchor (the expectation over batches dropped); s(z, z_j) = a_j/\tau, z_1 = z^+"),
            Source(S000, "370–372", r"**Likelihood Assumption:** **InfoNCE (Categorical over the batch)**. It treats the batch like a multiple-choice test.",
                   expr=row, note="read as: the loss is −log of a Categorical over the batch's candidates with logits "
                                  "s_ij, observed the positive (the softmax cross-entropy of the row)"),
            Source(S001, "82", r"exactly one **positive** (j=i) and (N-1) **negatives**",
                   note="the structure of a row (one positive, N − 1 negatives), built into the claim: s_1 positive, "
                        "s_2, s_3 negatives; no formula to compare"),
            Source(S001, "50–59", r"z_i = f_\theta(x_i), \quad z'*i = g*\phi(y_i)",
                   note="the two encoders, a definition: reference_models/dual_encoder.py implements them (linear maps "
                        "of a fixed feature map); no formula to compare"),
            Source(S000, "363–368", r"**The Model ():** Two Encoders (Image Encoder & Text Encoder). **Output ():** **Embedding Vectors**.",
                   nothing_to_compare=True, note="the two encoders, a definition with its symbols missing in the source; no formula to compare"),
            Source(S000, "383–390", r"| **CLIP (Matching)** | Image + Text | Embedding Vectors | **Categorical** (over batch) | Contrastive Loss |",
                   note="a summary-table row naming the likelihood (categorical over the batch) and the loss; the formula is "
                        "compared at 001 L61–76"),
            Source(S000, "504–511", r"| **CLIP (Alignment)** | Image + Text | Embeddings | Categorical (Batch) | Contrastive (InfoNCE) |",
                   note="a table row naming the likelihood and the loss; the formula is compared at 001 L61–76"),
        ),
    )


def _gradient_steps(k: int):
    onehot = 1 if k == 0 else 0
    logit = (a1, a2, a3)[k]
    partition = exp(a1 / tau) + exp(a2 / tau) + exp(a3 / tau)
    return (
        Step("InfoNCE of the row (claim contrastive.infonce)", target_of("contrastive.infonce")),
        Step(rf"differentiate in a_{k + 1} = \langle z_i, z'_{k + 1}\rangle: the chain rule through s = a/\tau gives a factor 1/\tau",
             -onehot / tau + exp(logit / tau) / (tau * partition), op=lambda e: sympy.diff(e, logit)),
        Step(rf"e^{{s_{k + 1}}}/\sum_j e^{{s_j}} = p_{k + 1}: (softmax minus one-hot)/\tau", (softmax_row(k) - onehot) / tau),
    )


@claim("contrastive.infonce.grad-positive")
def contrastive_infonce_grad_positive() -> Claim:
    """∂L/∂a₁ = (p₁ − 1)/τ < 0: descent raises the positive similarity."""
    return Claim(
        title="InfoNCE gradient on the positive similarity is (p₁ − 1)/τ",
        statement=r"\partial \mathcal L^{\mathrm{InfoNCE}}/\partial \langle z_i, z'_i\rangle",
        variables=(*A, TAU),
        derivation=_gradient_steps(0),
        wrong_variants=(
            WrongVariant("dropped the 1/τ of s = a/τ", softmax_row(0) - 1),
            WrongVariant("target minus prediction (ascent direction)", (1 - softmax_row(0)) / tau),
            WrongVariant("forgot the one-hot term", softmax_row(0) / tau),
        ),
        sources=(
            Source(S000, "376", r"Maximize the dot product (similarity) of correct pairs .", behaviour="descent_raises_positive",
                   at={"batch": 8}, correct="a descent step on InfoNCE raises s_ii: −∂L/∂s_ii = (1 − p_ii)/τ > 0"),
            Source(S004, "3824", r"Maximize similarity for matching pairs", behaviour="descent_raises_positive",
                   at={"batch": 8}, correct="a descent step on InfoNCE raises s_ii: −∂L/∂s_ii = (1 − p_ii)/τ > 0"),
            Source(S001, "23", r"“Bring true pairs together, push mismatched pairs apart.”", behaviour="descent_raises_positive",
                   at={"batch": 8}, correct="a descent step on InfoNCE raises s_ii: −∂L/∂s_ii = (1 − p_ii)/τ > 0"),
            Source(S001, "83", r"Encourages high similarity for positives relative to negatives.", behaviour="descent_raises_positive",
                   at={"batch": 8}, correct="a descent step on InfoNCE raises s_ii: −∂L/∂s_ii = (1 − p_ii)/τ > 0"),
        ),
    )


@claim("contrastive.infonce.grad-negative")
def contrastive_infonce_grad_negative() -> Claim:
    """∂L/∂a₂ = p₂/τ > 0: descent lowers a negative similarity."""
    return Claim(
        title="InfoNCE gradient on a negative similarity is p_j/τ",
        statement=r"\partial \mathcal L^{\mathrm{InfoNCE}}/\partial \langle z_i, z'_j\rangle,\ j \ne i",
        variables=(*A, TAU),
        derivation=_gradient_steps(1),
        wrong_variants=(
            WrongVariant("subtracted 1 as for the positive", (softmax_row(1) - 1) / tau),
            WrongVariant("dropped the 1/τ of s = a/τ", softmax_row(1)),
            WrongVariant("sign flipped", -softmax_row(1) / tau),
        ),
        sources=(
            Source(S000, "377", r"Minimize the dot product of incorrect pairs.", behaviour="descent_lowers_negatives",
                   at={"batch": 8}, correct="a descent step on InfoNCE lowers s_ij (j ≠ i): −∂L/∂s_ij = −p_ij/τ < 0"),
            Source(S004, "3825", r"Minimize for non-matching pairs", behaviour="descent_lowers_negatives",
                   at={"batch": 8}, correct="a descent step on InfoNCE lowers s_ij (j ≠ i): −∂L/∂s_ij = −p_ij/τ < 0"),
        ),
    )


@claim("contrastive.infonce.uniform")
def contrastive_infonce_uniform() -> Claim:
    """All N similarities equal to c: L = −log(e^c / (N e^c)) = log N (any N)."""
    j = sympy.Symbol("j", integer=True, positive=True)
    return Claim(
        title="InfoNCE at equal similarities is log N (any batch size N)",
        statement=r"\mathcal L^{\mathrm{InfoNCE}}\big|_{s_{i1} = \dots = s_{iN} = c}",
        variables=(N_BATCH, C),
        derivation=(
            Step(r"definition with every similarity equal to c: -\log\big(e^{c}/\sum_{j=1}^N e^{c}\big)",
                 -log(exp(c) / sympy.Sum(exp(c), (j, 1, N)))),
            Step("N equal terms in the denominator", -log(exp(c) / (N * exp(c))), op=lambda e: e.doit()),
            Step("e^c cancels: the loss of guessing uniformly among N candidates", log(N)),
        ),
        wrong_variants=(
            WrongVariant("counted only the N − 1 negatives", log(N - 1)),
            WrongVariant("the probability instead of the loss", 1 / N),
            WrongVariant("kept the similarity", log(N) - c),
        ),
    )


@claim("contrastive.infonce.hot-limit")
def contrastive_infonce_hot_limit() -> Claim:
    """τ → ∞: L → log 3 = log N whatever the similarities."""
    return Claim(
        title="InfoNCE as τ → ∞ tends to log N (N = 3): the similarities stop mattering",
        statement=r"\lim_{\tau\to\infty} \mathcal L^{\mathrm{InfoNCE}}",
        variables=tuple(A),
        derivation=(
            Step("InfoNCE of the row (claim contrastive.infonce)", target_of("contrastive.infonce")),
            Step(r"\tau \to \infty: every s_j = a_j/\tau \to 0, the softmax tends to uniform over N = 3", log(3),
                 op=lambda e: sympy.limit(e, tau, oo)),
        ),
        wrong_variants=(
            WrongVariant("log of the negatives' count", log(2)),
            WrongVariant("vanishes", sympy.Integer(0)),
            WrongVariant("the uniform probability", sympy.Rational(1, 3)),
        ),
    )


def squeeze_to_zero(line: sympy.Expr) -> sympy.Expr:
    r"""τ → 0⁺ of a line holding τ log S with 1 ≤ S ≤ 3 (S = Σ_j e^{(a_j − M)/τ}, M = max a_j,
    so one term is 1 and the others are ≤ 1): SymPy's limits of the line with S at its two
    bounds; they agree, so the squeeze gives the limit (nan if they did not)."""
    (term,) = [t for t in line.atoms(sympy.log) if t.has(tau)]
    low = sympy.limit(line.subs(term, log(1)), tau, 0, "+")
    high = sympy.limit(line.subs(term, log(3)), tau, 0, "+")
    return low if sympy.simplify(low - high) == 0 else sympy.nan


@claim("contrastive.infonce.cold-limit")
def contrastive_infonce_cold_limit() -> Claim:
    """τ → 0⁺: τ·L → max_j a_j − a₁, the hard max (0 when the positive wins; N = 3)."""
    M = Max(a1, a2, a3)
    return Claim(
        title="InfoNCE as τ → 0⁺: τ·L tends to the hard-max margin max_j a_j − a_pos (N = 3)",
        statement=r"\lim_{\tau\to 0^+} \tau\,\mathcal L^{\mathrm{InfoNCE}}",
        variables=tuple(A),
        derivation=(
            Step(r"\tau times InfoNCE of the row (claim contrastive.infonce)", tau * target_of("contrastive.infonce")),
            Step(r"\tau\mathcal L = -a_1 + \tau\log\sum_j e^{a_j/\tau}",
                 -a1 + tau * log(exp(a1 / tau) + exp(a2 / tau) + exp(a3 / tau))),
            Step(r"factor e^{M/\tau} out of the sum, M = \max_j a_j",
                 -a1 + M + tau * log(exp((a1 - M) / tau) + exp((a2 - M) / tau) + exp((a3 - M) / tau))),
            Step(r"\tau \to 0^+: the sum lies in [1, 3] (one term is e^0 = 1, the others are \le 1), so "
                 r"0 \le \tau \log(\cdot) \le \tau\log 3 \to 0 (squeeze)", M - a1, op=squeeze_to_zero),
        ),
        wrong_variants=(
            WrongVariant("margin of the best negative alone (can go negative)", Max(a2, a3) - a1),
            WrongVariant("vanishes whatever the ranking", sympy.Integer(0)),
            WrongVariant("sign flipped", a1 - M),
        ),
    )
