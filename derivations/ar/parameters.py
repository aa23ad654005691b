r"""Parameter counts of autoregressive models over d binary variables, and MADE's masks.

Each count sums the parameters of the d conditionals p(x_i = 1 | x_{<i}) with a symbolic d
(SymPy evaluates the sum); the torch modules of reference_models/autoregressive.py are counted
with ``numel`` at random d, H, L.

* full conditional tables: Σ_i 2^{i−1} = 2^d − 1 (exponential);
* FVSBN: conditional i is a logistic regression on its i − 1 predecessors: Σ_i i = d(d+1)/2
  (quadratic — one weight per ordered pair, no sharing);
* NADE: a hidden layer of size H shared by all conditionals (W: H × d, c: H) plus a read-out
  per conditional (V_i: H, b_i: 1): 2dH + d + H, linear in d for fixed H;
* MADE: an MLP d → H → … → H → d (L hidden layers) whose masks zero some weights but which
  stores full matrices: 2dH + d + LH + (L − 1)H²;
* MADE's masks: with hidden degrees m(k), input j → hidden k iff m(k) ≥ j and hidden k → output i
  iff i > m(k); the number of paths from input j to output i is max(0, i − j) for one unit per
  degree — zero unless j < i, so output i sees only x_{<i}.

Seeds: 004 L777–781, L2411–2415 (exponential tables), L2428 (σ(MLP(x_{<i}))), L2434–2450
(FVSBN, NADE, PixelCNN, WaveNet).
"""

from __future__ import annotations

import sympy
from sympy import Max

from derivspec.core import Claim, Source, Step, Var, WrongVariant, claim, count_between
from derivspec.core.lectures import S004

D_SMALL = Var("d", "d", count_between(1, 12))
D = Var("d", "d", count_between(1, 40))
H = Var("H", "H", count_between(1, 32))
L = Var("L", "L", count_between(1, 3))
d, hidden, layers = D.symbol, H.symbol, L.symbol
i = sympy.Symbol("i", integer=True, positive=True)  # index of a conditional


@claim("ar.params.tabular")
def ar_params_tabular() -> Claim:
    """Σ_{i=1}^d 2^{i−1} = 2^d − 1 free numbers in the full conditional tables."""
    return Claim(
        title="Full conditional tables over d binary variables: 2^d − 1 parameters",
        statement=r"\#\theta\big(p(x_i{=}1 \mid x_{<i}) \text{ tabulated for every context}\big)",
        variables=(D_SMALL,),
        derivation=(
            Step(r"conditional i has one free number p(x_i = 1 | x_{<i}) per context x_{<i} \in \{0,1\}^{i-1}",
                 sympy.Sum(2 ** (i - 1), (i, 1, d))),
            Step("geometric sum (the same count as the joint table's 2^d entries minus normalisation)", 2**d - 1,
                 op=lambda e: e.doit()),
        ),
        wrong_variants=(
            WrongVariant("forgot the normalisation constraint", 2**d),
            WrongVariant("one table of 2^d per conditional", d * 2**d),
            WrongVariant("only the last conditional's table", 2 ** (d - 1)),
        ),
        sources=(
            Source(S004, "779–780", r"Requires **exponential space** to store all conditional probabilities. Requires **exponential parameters** to model each conditional",
                   expr=2**d, relation="affine", free_of=("d",),
                   note="'exponential': equal to 2^d up to a positive scale and a constant (the count is 2^d − 1)"),
            Source(S004, "781", r"Requires **exponential time** to compute joint probabilities",
                   note="not compared: a statement about cost, not a formula, and ambiguous -- with the tables stored, "
                        "P(x) is the product of d looked-up conditionals (d reads, linear time), while summing P over "
                        "many x or filling the tables is exponential; the space and parameter counts of L779–780 are "
                        "the exponential part"),
            Source(S004, "2411–2415", r"N-gram language models: p(w_i | w_{i-1}, \dots, w_{i-n+1}) as frequency tables. Conditional probability tables for discrete variables. Key limitation: exponential parameters OR restrictive fixed-context assumptions",
                   expr=2**d, relation="affine", free_of=("d",),
                   note="full tables grow as 2^d; a fixed context of k tokens (an n-gram or order-k Markov chain) caps each "
                        "table at 2^k entries"),
        ),
    )


@claim("ar.params.fvsbn")
def ar_params_fvsbn() -> Claim:
    """Σ_{i=1}^d (i − 1 weights + 1 bias) = d(d+1)/2: quadratic in d."""
    return Claim(
        title="FVSBN: one logistic regression per conditional, d(d+1)/2 parameters (quadratic in d)",
        statement=r"\#\theta\big(p(x_i{=}1\mid x_{<i}) = \sigma(b_i + \textstyle\sum_{j<i} w_{ij} x_j)\big)",
        variables=(D,),
        derivation=(
            Step(r"conditional i: i - 1 weights w_{ij} (j < i) and a bias b_i", sympy.Sum((i - 1) + 1, (i, 1, d))),
            Step("arithmetic sum", d * (d + 1) / 2, op=lambda e: e.doit()),
        ),
        wrong_variants=(
            WrongVariant("linear: one parameter per variable", d + 0 * d),
            WrongVariant("forgot the biases", d * (d - 1) / 2),
            WrongVariant("a full d × d weight matrix", d**2 + d),
        ),
        sources=(
            Source(S004, "2434–2437", r"**FVSBN (Fully Visible Sigmoid Belief Network)** - Frey [1998]. **Breakthrough:** First neural AR with *linear number of parameters* (single layer). AR factorization + weight sharing = O(d) parameters instead of exponential",
                   expr=d, relation="affine", free_of=("d",),
                   correct="FVSBN has d(d+1)/2 parameters (d biases and d(d−1)/2 weights, one per ordered pair j < i, no "
                           "sharing): quadratic, O(d²) — polynomial instead of exponential; NADE's shared hidden layer "
                           "is what makes the count O(dH), linear in d",
                   note="'linear number of parameters', 'O(d)': read as a·d + b"),
        ),
    )


@claim("ar.params.nade")
def ar_params_nade() -> Claim:
    """H·d + H (shared W, c) + Σ_i (H + 1) (V_i, b_i) = 2dH + d + H."""
    return Claim(
        title="NADE with H hidden units: 2dH + d + H parameters (shared W; linear in d)",
        statement=r"\#\theta\big(h_i = \sigma(c + W_{:,<i}x_{<i}),\ p(x_i{=}1\mid x_{<i}) = \sigma(b_i + V_i h_i)\big)",
        variables=(D, H),
        derivation=(
            Step(r"shared W \in \mathbb R^{H\times d} and c \in \mathbb R^H; per conditional V_i \in \mathbb R^H and b_i",
                 hidden * d + hidden + sympy.Sum(hidden + 1, (i, 1, d))),
            Step("sum", 2 * d * hidden + d + hidden, op=lambda e: e.doit()),
        ),
        wrong_variants=(
            WrongVariant("forgot the biases b and c", 2 * d * hidden),
            WrongVariant("a separate hidden layer per conditional (no sharing)",
                         hidden * d * (d - 1) / 2 + d * (2 * hidden + 1)),
            WrongVariant("only the encoder W", d * hidden),
        ),
        sources=(
            Source(S004, "2441–2444", r"**NADE** - Larochelle & Murray [2011]. **Breakthrough:** Extended FVSBN's *linear parameterization to deep architectures* (with hidden layers). First tractable neural autoregressive density estimator with depth",
                   expr=d, relation="affine", free_of=("d",),
                   note="linear in d for fixed H: 2dH + d + H = (2H + 1)·d + H (FVSBN's own count is quadratic, see "
                        "ar.params.fvsbn)"),
        ),
    )


@claim("ar.params.made")
def ar_params_made() -> Claim:
    """(dH + H) + (L − 1)(H² + H) + (Hd + d) stored parameters for L hidden layers of width H."""
    return Claim(
        title="MADE (L hidden layers of width H) stores 2dH + d + LH + (L − 1)H² parameters",
        statement=r"\#\theta\big(\text{MADE } d \to H \to \dots \to H \to d\big)",
        variables=(D, H, L),
        derivation=(
            Step("an input layer d → H, L − 1 layers H → H and an output layer H → d, each a weight matrix and a bias "
                 "(the masks zero entries but the matrices are stored whole)",
                 (d * hidden + hidden) + (layers - 1) * (hidden**2 + hidden) + (hidden * d + d)),
            Step("collect", 2 * d * hidden + d + layers * hidden + (layers - 1) * hidden**2),
        ),
        wrong_variants=(
            WrongVariant("forgot the biases", 2 * d * hidden + (layers - 1) * hidden**2),
            WrongVariant("L hidden-to-hidden layers (one too many)", 2 * d * hidden + d + (layers + 1) * hidden + layers * hidden**2),
            WrongVariant("one hidden layer whatever L", 2 * d * hidden + d + hidden),
        ),
    )


I_OUT = Var("i", "i", count_between(1, 8))  # output (conditional) index
J_IN = Var("j", "j", count_between(1, 8))  # input index
i_out, j_in = I_OUT.symbol, J_IN.symbol


@claim("ar.made.masks")
def ar_made_masks() -> Claim:
    """#paths from input j to output i = #{k : j ≤ m(k) ≤ i − 1} = max(i, j) − j (d = 8, m(k) = k)."""
    k = sympy.Symbol("k", integer=True)
    return Claim(
        title="MADE's masks: max(0, i − j) paths from input j to output i — none unless j < i (d = 8, one hidden unit per degree)",
        statement=r"(M^V M^W)_{ij},\ M^W_{kj} = [m(k) \ge j],\ M^V_{ik} = [i > m(k)]",
        variables=(I_OUT, J_IN),
        derivation=(
            Step(r"hidden units k = 1..d-1 with degrees m(k) = k: a path j \to k \to i needs m(k) \ge j and i > m(k), "
                 r"i.e. j \le k \le i - 1 (no k when i \le j)", sympy.Sum(1, (k, j_in, Max(i_out, j_in) - 1))),
            Step("count the k: zero for i ≤ j, i − j otherwise", Max(i_out, j_in) - j_in, op=lambda e: e.doit()),
        ),
        wrong_variants=(
            WrongVariant("non-strict output mask i ≥ m(k): output i sees x_i itself", Max(i_out + 1, j_in) - j_in),
            WrongVariant("strict input mask m(k) > j", Max(i_out - 1, j_in) - j_in),
            WrongVariant("no masks: every hidden unit on every path", 7 + 0 * i_out),
        ),
        sources=(
            Source(S004, "2428", r"Function approximation: \rho_{\theta}(\cdot) = \sigma(\text{MLP}_{\theta}(\mathbf{x}_{<i})) instead of lookup tables",
                   behaviour="made_output_sees_only_the_past", at={"d": 10, "hidden": 32},
                   correct="an MLP computes all d conditionals in one pass only if masked: MADE's output i has zero "
                           "gradient with respect to x_j for every j ≥ i"),
            Source(S004, "2446–2447", r"**Breakthrough:** Showed AR works for high-dimensional images via *masked convolutions*. Proved sequential generation viable for 2D spatial data (respecting causal ordering)",
                   behaviour="masked_convolutions_are_causal", at={"size": 5},
                   correct="a type-A masked convolution followed by type-B ones makes each pixel depend only on the "
                           "pixels before it in raster order"),
            Source(S004, "2448–2450", r"**Breakthrough:** Raw audio waveform generation with *dilated causal convolutions*. Exponentially growing receptive fields without exponential parameters",
                   behaviour="dilated_receptive_field", at={"layers": 6},
                   correct="L causal convolutions of kernel 2 with dilations 1, 2, …, 2^{L−1}: receptive field 2^L from "
                           "3L parameters, no dependence on the future"),
        ),
    )
