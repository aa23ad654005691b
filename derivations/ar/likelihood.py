r"""Sequence likelihood of an autoregressive model: teacher forcing, perplexity, bits per token.

* Teacher forcing: for p(x₁ = 1) = σ(b₁), p(x₂ = 1 | x₁) = σ(b₂ + w x₁), the sequence NLL
  −log p(x₁, x₂) is the sum of the two per-token binary cross-entropies, each computed with
  the *true* prefix. Two tokens symbolically; longer sequences with the reference models.
* Perplexity = p(x_{1:T})^{−1/T} = exp(mean token NLL), and bits per token = mean token NLL / log 2
  (so perplexity = 2^{bits per token}); the normalisation is per token. T = 3 symbolically.

Seeds: 001 L144–150, L255–261, L277–281, L325–335; 004 L2416–2422, L2466–2476 (AR likelihood),
L4140–4144 (NLL and perplexity as evaluation metrics).
"""

from __future__ import annotations

import sympy
from sympy import Rational, exp, log

from derivspec.core import BINARY, REAL, UNIT_INTERVAL, Claim, Recognise, Sizes, Source, Step, Var, WrongVariant, claim
from derivspec.core.lectures import S001, S004
from derivspec.derivations.nll.bernoulli import sigmoid

X1, X2 = (Var(f"x{i}", f"x_{i}", BINARY) for i in (1, 2))
B1, B2, W = Var("b1", "b_1", REAL), Var("b2", "b_2", REAL), Var("w", "w", REAL)
x1, x2, b1, b2, w = (v.symbol for v in (X1, X2, B1, B2, W))
z2 = b2 + w * x1  # the teacher-forced logit of token 2: computed from the true x_1


def bernoulli_pmf(x, logit):
    return sigmoid(logit) ** x * (1 - sigmoid(logit)) ** (1 - x)


def token_log_lik(x, logit):
    """log p(x_t | x_{<t}) = x log σ(z) + (1 − x) log(1 − σ(z))."""
    return x * log(sigmoid(logit)) + (1 - x) * log(1 - sigmoid(logit))


def bce_with_logits(x, logit):
    """BCE with logits: log(1 + e^z) − x z (claim nll.bernoulli.logits)."""
    return log(1 + exp(logit)) - x * logit


@claim("ar.teacher-forcing")
def ar_teacher_forcing() -> Claim:
    """−log p(x₁, x₂) = BCE(b₁; x₁) + BCE(b₂ + w x₁; x₂): the sum of per-token CE with the true prefix."""
    sequence_nll = -(token_log_lik(x1, b1) + token_log_lik(x2, z2))
    return Claim(
        title="Sequence NLL = Σ per-token cross-entropy under teacher forcing (two binary tokens)",
        statement=r"-\log p_\theta(x_1, x_2),\ p(x_1{=}1) = \sigma(b_1),\ p(x_2{=}1\mid x_1) = \sigma(b_2 + w x_1)",
        variables=(X1, X2, B1, B2, W),
        derivation=(
            Step("definition: the chain rule p(x_1, x_2) = p(x_1) p(x_2|x_1) with Bernoulli conditionals",
                 bernoulli_pmf(x1, b1) * bernoulli_pmf(x2, z2)),
            Step("take minus the log", -log(bernoulli_pmf(x1, b1) * bernoulli_pmf(x2, z2)), op=lambda e: -log(e)),
            Step("the log of the product is the sum of the per-token log-likelihoods, each given the true prefix",
                 -token_log_lik(x1, b1) - token_log_lik(x2, b2 + w * x1)),
            Step(r"each term is BCE with logits (claim nll.bernoulli.logits): \log(1+e^z) - x z at z_1 = b_1, z_2 = b_2 + w x_1",
                 bce_with_logits(x1, b1) + bce_with_logits(x2, b2 + w * x1)),
        ),
        wrong_variants=(
            WrongVariant("label leakage: the logit of token 2 computed from x_2 itself (no shift)",
                         bce_with_logits(x1, b1) + bce_with_logits(x2, b2 + w * x2)),
            WrongVariant("dropped the first token's term", bce_with_logits(x2, b2 + w * x1)),
            WrongVariant("mean over tokens (a per-token loss, not the sequence NLL)",
                         (bce_with_logits(x1, b1) + bce_with_logits(x2, b2 + w * x1)) / 2),
            WrongVariant("free running: token 2 conditioned on the model's prediction σ(b_1), not the true x_1",
                         bce_with_logits(x1, b1) + bce_with_logits(x2, b2 + w * sigmoid(b1))),
        ),
        sources=(
            Source(S001, "144–150", r"\mathcal{L}(x,y_{1:T}) = - \sum_{t=1}^T \log p_\theta(y_t | y_{<t}, z) This is just CE summed over time steps (“teacher forcing”).",
                   expr=sequence_nll, note="T = 2 binary tokens; the image embedding z enters the logits b_1, b_2"),
            Source(S001, "255–261", r"\mathcal{L}(\theta) = - \mathbb{E}*{x \sim p*{\text{data}}} \left[ \sum_{t=1}^T \log p_\theta(x_t | x_{<t}) \right] So this is **just cross-entropy for each token**",
                   expr=sequence_nll, note="one sequence (the expectation over the data dropped), T = 2"),
            Source(S001, "277–281", r"Same CE loss: \mathcal{L}(\theta) = -\mathbb{E}*x \left[ \sum_t \log p*\theta(x_t | x_{<t}) \right]",
                   expr=sequence_nll, note="one sequence, T = 2"),
            Source(S001, "325–335", r"\mathcal{L}*{\text{AR}} = \mathbb{E}*{x} \left[ * \sum_{t} \log p_\theta(x_t | x_{<t}) \right] Equivalent to CE per token; learns full joint (p_\theta(x)).",
                   expr=sequence_nll, note="read with '−' before the sum: the conversion turned it into the list bullet '*' "
                                            "at L331 (as written at L258 and L280); one sequence, T = 2"),
            Source(S004, "2474", r"\log p(\mathbf{x}) = \sum_i \log p(x_i | \mathbf{x}_{<i})",
                   expr=token_log_lik(x1, b1) + token_log_lik(x2, z2), to_target=lambda written: -written,
                   note="the source writes log p(x); the target is −log p(x); d = 2"),
            Source(S004, "2468–2476", r"Exact maximum likelihood (no approximation). Efficient: parallelizable across data and sequence positions. Exact p(\mathbf{x}) via chain rule. Efficient: parallelizable across sequence",
                   behaviour="teacher_forcing_is_one_pass", at={"d": 10, "hidden": 32},
                   correct="the teacher-forced NLL of every position comes out of one masked pass and equals the "
                           "position-by-position computation"),
            Source(S004, "2420–2422", r"Binary: \text{Bernoulli}(\rho_{\theta}(\cdot)); Categorical: \text{Cat}(\text{softmax}_{\theta}(\cdot)); Real-valued: \mathcal{N}(\mu_{\theta}(\cdot), \sigma_{\theta}(\cdot))",
                   note="the conditional family per variable type (a modelling choice); this claim uses the Bernoulli one"),
        ),
    )


P3 = tuple(Var(f"p{t}", f"p_{t}", UNIT_INTERVAL) for t in (1, 2, 3))  # p(x_t | x_{<t}) of the observed tokens
p1, p2, p3 = (v.symbol for v in P3)
MEAN_TOKEN_NLL = -(log(p1) + log(p2) + log(p3)) / 3


def perplexity_general(count: sympy.Symbol, token) -> sympy.Expr:
    """p(x_{1:T})^{-1/T} for T tokens of probabilities token(t) = p(x_t | x_{<t}): the product
    written as exp of the sum of logs (SymPy's Product.rewrite(Sum)), then the power taken inside."""
    t = sympy.Symbol("t", integer=True)
    joint = sympy.Product(token(t), (t, 1, count)).rewrite(sympy.Sum)  # chain rule: the product of conditionals
    return sympy.powsimp(joint ** (-1 / count), force=True)


@claim("ar.perplexity")
def ar_perplexity() -> Claim:
    """PPL = p(x_{1:3})^{−1/3} = exp(−(1/3) Σ_t log p(x_t | x_{<t})) = exp(mean token NLL)."""
    return Claim(
        title="Perplexity = exp(mean per-token NLL) = p(x_{1:T})^{−1/T}, normalised per token (T = 3)",
        recognise=tuple(Recognise(name, sizes=Sizes(perplexity_general, item="p", domain=UNIT_INTERVAL,
                                                    correct=r"\exp\left(-\frac{1}{N}\sum_{i=1}^{N} \log p_i\right)"))
                        for name in (r"\mathrm{PPL}", r"\mathrm{Perplexity}")),
        statement=r"\mathrm{PPL}(x_{1:3}),\ p_t = p_\theta(x_t\mid x_{<t})",
        variables=P3,
        derivation=(
            Step(r"definition: the inverse geometric mean of the token probabilities, p(x_{1:T})^{-1/T} with "
                 r"p(x_{1:T}) = \prod_t p_t (chain rule)", (p1 * p2 * p3) ** Rational(-1, 3)),
            Step(r"a^{-1/T} = \exp(-\tfrac1T \log a)", exp(-log(p1 * p2 * p3) / 3)),
            Step(r"log of the product = sum of the token log-probabilities: \exp of the mean token NLL",
                 exp(-(log(p1) + log(p2) + log(p3)) / 3)),
        ),
        wrong_variants=(
            WrongVariant("per sequence: exp of the summed NLL", exp(-(log(p1) + log(p2) + log(p3)))),
            WrongVariant("base 2 with an NLL in nats", 2 ** MEAN_TOKEN_NLL),
            WrongVariant("arithmetic mean of the inverse probabilities", (1 / p1 + 1 / p2 + 1 / p3) / 3),
        ),
        sources=(
            Source(S004, "4140–4144", r"\mathcal{L}_{\text{NLL}} = -\mathbb{E}_{x \sim p_{\text{data}}}[\log p_{\text{model}}(x)] \quad (85) Perplexity (for sequences): \text{Perplexity} = \exp(\mathcal{L}_{\text{NLL}}) \quad (86)",
                   note="not compared: with L_NLL the per-token NLL (the usual convention for sequence models, and the one "
                        "this claim uses) it holds; with eq. (85) taken per data point x = x_{1:T} it would exponentiate "
                        "the whole sequence's NLL, PPL^T (property_tests/test_ar.py)"),
        ),
    )


@claim("ar.bits-per-token")
def ar_bits_per_token() -> Claim:
    """bits per token = −(1/3) Σ_t log₂ p_t = mean token NLL (nats) / log 2 = log₂ PPL."""
    return Claim(
        title="Bits per token = mean token NLL in nats / log 2 (= log₂ perplexity; T = 3)",
        statement=r"\mathrm{bpt}(x_{1:3}) = -\tfrac13\sum_t \log_2 p_\theta(x_t\mid x_{<t})",
        variables=P3,
        derivation=(
            Step(r"definition: the ideal code length of the sequence in bits, -\log_2 \prod_t p_t, per token",
                 -log(p1 * p2 * p3, 2) / 3),
            Step(r"\log_2 a = \ln a/\ln 2, and the log of the product is the sum", MEAN_TOKEN_NLL / log(2)),
        ),
        wrong_variants=(
            WrongVariant("multiplied by log 2 instead of divided", MEAN_TOKEN_NLL * log(2)),
            WrongVariant("per sequence (not divided by T)", 3 * MEAN_TOKEN_NLL / log(2)),
            WrongVariant("left in nats", MEAN_TOKEN_NLL),
        ),
    )
