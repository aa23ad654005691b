r"""Energy-based models: the gradient of log Z, and the restricted Boltzmann machine.

* p(x) = e^{−E(x;θ)}/Z(θ): ∂ log Z/∂θ = E_p[−∂E/∂θ], a model expectation (derived for three
  states with E(x) = a x + b x²); this is why learning an EBM needs samples from the model;
* an RBM with binary v ∈ {0,1}², h ∈ {0,1}² and E(v, h) = −bᵀv − cᵀh − vᵀWh: p(h_1 = 1 | v) =
  σ(c_1 + Σ_i W_i1 v_i) (the conditional factorises over hidden units) and the free energy
  F(v) = −log Σ_h e^{−E(v,h)} = −bᵀv − Σ_j log(1 + e^{c_j + Σ_i W_ij v_i}) is closed form;
  ``reference_models/rbm.py`` checks both against brute-force enumeration for larger RBMs.

Seeds: 004 L1241–1245, L2330–2336.
"""

from __future__ import annotations

import sympy
from sympy import exp, log

from derivspec.core import BINARY, Claim, Recognise, Source, Step, Var, WrongVariant, claim, real_between
from derivspec.core.lectures import S004

A = Var("a", "a", real_between(-1.5, 1.5))
B = Var("b", "b", real_between(-1, 1))
a, b = A.symbol, B.symbol
STATES = (0, 1, 2)

VIS = tuple(Var(f"v{i}", f"v_{i}", BINARY) for i in (1, 2))
VIS_BIAS = tuple(Var(f"b{i}", f"b_{i}", real_between(-2, 2)) for i in (1, 2))
HID_BIAS = tuple(Var(f"c{j}", f"c_{j}", real_between(-2, 2)) for j in (1, 2))
WEIGHTS = tuple(Var(f"w{i}{j}", f"w_{{{i}{j}}}", real_between(-2, 2)) for i in (1, 2) for j in (1, 2))
(v1, v2), (b1, b2), (c1, c2) = ([v.symbol for v in group] for group in (VIS, VIS_BIAS, HID_BIAS))
w11, w12, w21, w22 = (v.symbol for v in WEIGHTS)
RBM = VIS + VIS_BIAS + HID_BIAS + WEIGHTS


def energy(x):
    return a * x + b * x**2


def log_partition():
    return log(sum(exp(-energy(x)) for x in STATES))


def neg_energy_rbm(h1, h2):
    """−E(v, h) = bᵀv + cᵀh + vᵀWh."""
    return b1 * v1 + b2 * v2 + c1 * h1 + c2 * h2 + v1 * (w11 * h1 + w12 * h2) + v2 * (w21 * h1 + w22 * h2)


def hidden_input(j):
    return (c1 + w11 * v1 + w21 * v2) if j == 1 else (c2 + w12 * v1 + w22 * v2)


def sigmoid(t):
    return 1 / (1 + exp(-t))


@claim("sampling.ebm.log-partition-gradient")
def sampling_ebm_log_partition_gradient() -> Claim:
    """∂/∂a log Σ_x e^{−(a x + b x²)} = −E_p[x] = E_p[−∂E/∂a], x ∈ {0, 1, 2}."""
    weights = [exp(-energy(x)) for x in STATES]
    model_expectation = -sum(x * wx for x, wx in zip(STATES, weights)) / sum(weights)
    return Claim(
        title="Energy-based models: ∂ log Z/∂θ = E_p[−∂E/∂θ], a model expectation (three states, E(x) = ax + bx²)",
        statement=r"\frac{\partial}{\partial a}\log Z,\ Z = \sum_{x\in\{0,1,2\}} e^{-E(x)},\ E(x) = ax + bx^2",
        variables=(A, B),
        derivation=(
            Step(r"definition: \log Z(a, b) = \log\sum_x e^{-E(x; a, b)}", log_partition()),
            Step(r"differentiate in a: \sum_x (-\partial E/\partial a)\,e^{-E(x)}/Z = E_p[-x], the model's expectation of -\partial E/\partial a",
                 model_expectation, op=lambda e: sympy.diff(e, a)),
        ),
        wrong_variants=(
            WrongVariant("sign flipped: E_p[x]", -model_expectation),
            WrongVariant("the unnormalised sum (Z forgotten)", -sum(x * exp(-energy(x)) for x in STATES)),
            WrongVariant("the gradient in b, E_p[-x^2]",
                         -sum(x**2 * exp(-energy(x)) for x in STATES) / sum(exp(-energy(x)) for x in STATES)),
        ),
        sources=(
            Source(S004, "2332–2335", r"p(\mathbf{x}; \theta) = \frac{1}{Z(\theta)} \exp(-E(\mathbf{x}; \theta)); Z(\theta) = \sum_{\mathbf{x}} \exp(-E(\mathbf{x}; \theta)) intractable; Learning needs \frac{\partial \log Z}{\partial \theta} (model expectations)",
                   expr=model_expectation,
                   note=r"read as: \partial\log Z/\partial\theta is the model expectation E_p[-\partial E/\partial\theta]; with three states Z "
                        r"is a three-term sum, intractable only for exponentially many states"),
            Source(S004, "1243–1245", r"p(x|\theta) = \frac{1}{Z(\theta)} \tilde{p}(x|\theta) (40); \tilde{p}(x|\theta) is the unnormalized density and Z(\theta) = \int \tilde{p}(x|\theta) dx is the normalizing constant (partition function)",
                   note=r"the definition the derivation starts from, with \tilde p = e^{-E}"),
            Source(S004, "4294–4295", r"**What:** Model unnormalized probability p(x) \propto \exp(-E(x)) where E(x) is a learned energy function; **Challenge:** No tractable likelihood (partition function intractable)",
                   note="not compared: the model this claim differentiates; Z is a sum over all states (three here, tractable), "
                        "exponentially many in general, and learning needs its gradient, a model expectation (this claim)"),
        ),
    )


@claim("sampling.rbm.conditional")
def sampling_rbm_conditional() -> Claim:
    """p(h_1 = 1 | v) = σ(c_1 + w_11 v_1 + w_21 v_2) in a 2×2 binary RBM."""
    numerator = sum(exp(neg_energy_rbm(1, h2)) for h2 in (0, 1))
    denominator = sum(exp(neg_energy_rbm(h1, h2)) for h1 in (0, 1) for h2 in (0, 1))
    return Claim(
        title="RBM: p(h_1 = 1 | v) = σ(c_1 + Σ_i W_i1 v_i); the hidden units are independent given v",
        statement=r"p(h_1 = 1\mid v),\ p(v, h)\propto e^{b^\top v + c^\top h + v^\top W h},\ v, h\in\{0,1\}^2",
        variables=RBM,
        derivation=(
            Step(r"definition: p(h_1 = 1\mid v) = \sum_{h_2} e^{-E(v, 1, h_2)} / \sum_{h_1, h_2} e^{-E(v, h_1, h_2)} (Z cancels)",
                 numerator / denominator),
            Step(r"e^{-E} factorises over hidden units, so the h_2 sums and e^{b^\top v} cancel: a sigmoid of unit 1's input",
                 sigmoid(hidden_input(1))),
        ),
        wrong_variants=(
            WrongVariant("wrong weight index: w_12 for v_2", sigmoid(c1 + w11 * v1 + w12 * v2)),
            WrongVariant("hidden bias dropped", sigmoid(w11 * v1 + w21 * v2)),
            WrongVariant("sign flipped", sigmoid(-hidden_input(1))),
        ),
        sources=(
            Source(S004, "2338–2342", r"For Directed Models (Helmholtz Machine, DBN): No partition function, but p(\mathbf{h}|\mathbf{x}) still intractable; Explaining away creates complex posterior dependencies",
                   note="not comparable (directed models); contrast: in the undirected RBM p(h|v) factorises, so no explaining away"),
            Source(S004, "2334–2336", r"This made **both learning and inference intractable**; Learning needs \frac{\partial \log Z}{\partial \theta} (model expectations); Inference needs marginalization over exponentially many states",
                   category="over-general statement", severity="imprecise",
                   behaviour="rbm_inference_needs_an_exponential_sum", at={"visible": 8.0, "hidden": 12.0},
                   correct=r"for an RBM p(h|v) = \prod_j\sigma(c_j + W_{:j}^\top v) exactly, in O(nm); Z and p(v) need the "
                           r"exponential sum (learning), p(h|v) does not",
                   note="read for the RBM of the heading (6.2.1); for a DBM the posterior does not factorise"),
        ),
    )


@claim("sampling.rbm.free-energy")
def sampling_rbm_free_energy() -> Claim:
    """−log Σ_h e^{−E(v,h)} = −bᵀv − Σ_j log(1 + e^{c_j + Σ_i W_ij v_i})."""
    denominator = sum(exp(neg_energy_rbm(h1, h2)) for h1 in (0, 1) for h2 in (0, 1))
    factorised = exp(b1 * v1 + b2 * v2) * (1 + exp(hidden_input(1))) * (1 + exp(hidden_input(2)))
    free_energy = -b1 * v1 - b2 * v2 - log(1 + exp(hidden_input(1))) - log(1 + exp(hidden_input(2)))
    return Claim(
        title="RBM free energy: F(v) = −log Σ_h e^{−E(v,h)} = −bᵀv − Σ_j softplus(c_j + Σ_i W_ij v_i)",
        # F(v) is also a CDF's name: only next to the RBM's biases and weights
        recognise=(Recognise(r"F(v)", requires=("b_1", "b_2", "c_1", "c_2", "w_{11}", "w_{22}")),),
        statement=r"F(v) = -\log\sum_{h\in\{0,1\}^2} e^{-E(v,h)},\ E = -b^\top v - c^\top h - v^\top W h",
        variables=RBM,
        derivation=(
            Step(r"definition: the unnormalised marginal of v, \sum_h e^{-E(v,h)} over the four hidden states", denominator),
            Step(r"the sum over h factorises: e^{b^\top v}\prod_j(1 + e^{c_j + W_{:j}^\top v})", factorised),
            Step(r"the free energy is minus its log; the log of a product is a sum of softplus terms", free_energy,
                 op=lambda e: -log(e)),
        ),
        wrong_variants=(
            WrongVariant("visible bias dropped", free_energy + b1 * v1 + b2 * v2),
            WrongVariant("softplus replaced by its argument (the max over h only for positive inputs)",
                         -b1 * v1 - b2 * v2 - hidden_input(1) - hidden_input(2)),
            WrongVariant("sign of the softplus terms flipped", -b1 * v1 - b2 * v2 + log(1 + exp(hidden_input(1))) + log(1 + exp(hidden_input(2)))),
        ),
        sources=(
            Source(S004, "2332", r"Required: p(\mathbf{x}; \theta) = \frac{1}{Z(\theta)} \exp(-E(\mathbf{x}; \theta))",
                   note="with the hidden units summed out p(v) = e^{-F(v)}/Z: the free energy is the energy of the visible marginal"),
        ),
    )
