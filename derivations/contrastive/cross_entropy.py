r"""Cross-entropy beyond one example: it matches conditional distributions; label smoothing.

* Conditional CE: E_{(x,y)~p}[−log q(y|x)] = E_x KL(p(y|x) ‖ q(y|x)) + H(Y|X), so minimising it
  over q minimises the expected KL, and its minimiser is q = p(y|x). Written for two inputs and
  binary labels; the minimiser is checked by a reference model (numerics/contrastive.py).
* Label smoothing, in the two conventions in use: the smoothed target (1 − ε)·onehot + ε/K
  on every class (Szegedy et al. 2016; PyTorch's ``label_smoothing=ε``), and 1 − ε on the true
  class with ε/(K − 1) on each other class — the same family with ε' = εK/(K − 1). Both are
  (1 − ε')·CE(onehot) + ε'·CE(uniform). K = 3, observed class 1; the minimiser for any K.

Seeds: 001 L27–31, L122–161, L305–312, L339–382 (CE, what it learns, the comparison); 000
L289–323, L383–390, L475–483 (CE in the LLM/VLM case studies), L451 (the CE minimiser is the
conditional distribution).
"""

from __future__ import annotations

from sympy import log

from derivspec.core import UNIT_INTERVAL, Claim, Domain, Source, Step, Var, WrongVariant, claim, count_between, target_of
from derivspec.core.lectures import S000, S001
from derivspec.derivations.nll.categorical import H1, H2, H3, h1, h2, h3, log_sum_exp, softmax

# --- conditional cross-entropy ----------------------------------------------------------------

U = Var("u", "u", UNIT_INTERVAL)  # P(X = x_1); P(X = x_2) = 1 - u
D = (Var("d1", "d_1", UNIT_INTERVAL), Var("d2", "d_2", UNIT_INTERVAL))  # p_data(Y = 1 | x_k)
Q = (Var("q1", "q_1", UNIT_INTERVAL), Var("q2", "q_2", UNIT_INTERVAL))  # p_theta(Y = 1 | x_k)
u = U.symbol
d1, d2 = (v.symbol for v in D)
q1, q2 = (v.symbol for v in Q)


def bernoulli_kl(p, q):
    """KL(Bern(p) ‖ Bern(q))."""
    return p * log(p / q) + (1 - p) * log((1 - p) / (1 - q))


def bernoulli_entropy(p):
    return -p * log(p) - (1 - p) * log(1 - p)


def expected_over_x(f1, f2):
    """E_x[f(x)] with P(x_1) = u, P(x_2) = 1 − u."""
    return u * f1 + (1 - u) * f2


@claim("contrastive.ce.conditional")
def contrastive_ce_conditional() -> Claim:
    """E_{(x,y)}[−log q(y|x)] = E_x KL(p(y|x) ‖ q(y|x)) + H(Y|X) (two inputs, binary y)."""
    return Claim(
        title="Conditional cross-entropy = E_x KL(p_data(y|x) ‖ p_θ(y|x)) + H(Y|X): CE matches conditional distributions",
        statement=r"\mathbb E_{(x,y)\sim p_{\mathrm{data}}}[-\log p_\theta(y\mid x)]",
        variables=(U, *D, *Q),
        derivation=(
            Step(r"definition: the expectation over x (P(x_1) = u) and y | x \sim \mathrm{Bern}(d_x) of -\log q(y|x)",
                 -u * (d1 * log(q1) + (1 - d1) * log(1 - q1)) - (1 - u) * (d2 * log(q2) + (1 - d2) * log(1 - q2))),
            Step(r"add and subtract \log p(y|x) inside the expectation: "
                 r"\mathbb E_x \sum_y p(y|x)\log\frac{p(y|x)}{q(y|x)} - \mathbb E_x \sum_y p(y|x)\log p(y|x)",
                 u * (d1 * log(d1 / q1) + (1 - d1) * log((1 - d1) / (1 - q1)))
                 + (1 - u) * (d2 * log(d2 / q2) + (1 - d2) * log((1 - d2) / (1 - q2)))
                 - u * (d1 * log(d1) + (1 - d1) * log(1 - d1)) - (1 - u) * (d2 * log(d2) + (1 - d2) * log(1 - d2))),
            Step(r"name the terms: \mathbb E_x \mathrm{KL}(p(\cdot|x)\,\|\,q(\cdot|x)) + H(Y|X); only the KL depends on q",
                 expected_over_x(bernoulli_kl(d1, q1), bernoulli_kl(d2, q2))
                 + expected_over_x(bernoulli_entropy(d1), bernoulli_entropy(d2))),
        ),
        wrong_variants=(
            WrongVariant("dropped the conditional entropy (CE = E_x KL)", expected_over_x(bernoulli_kl(d1, q1), bernoulli_kl(d2, q2))),
            WrongVariant("KL reversed: E_x KL(q ‖ p) + H(Y|X)",
                         expected_over_x(bernoulli_kl(q1, d1), bernoulli_kl(q2, d2))
                         + expected_over_x(bernoulli_entropy(d1), bernoulli_entropy(d2))),
            WrongVariant("the marginal entropy H(Y) in place of H(Y|X)",
                         expected_over_x(bernoulli_kl(d1, q1), bernoulli_kl(d2, q2))
                         + bernoulli_entropy(expected_over_x(d1, d2))),
            WrongVariant("KL between the marginals of y",
                         bernoulli_kl(expected_over_x(d1, d2), expected_over_x(q1, q2))
                         + expected_over_x(bernoulli_entropy(d1), bernoulli_entropy(d2))),
        ),
        sources=(
            Source(S001, "122–134", r"\mathbb{E}*{(x,y)\sim p*{\text{data}}}[-\log p_\theta(y|x)] Minimizing this is equivalent to minimizing: \mathbb{E}*{x} \big[ \text{KL}(p*{\text{data}}(y|x) ,|, p_\theta(y|x)) \big] So CE **matches conditional distributions**.",
                   expr=expected_over_x(bernoulli_kl(d1, q1), bernoulli_kl(d2, q2)), relation="offset", free_of=("q1", "q2"),
                   note="'equivalent to minimizing': equal up to a term free of the model (the offset is H(Y|X))"),
            Source(S001, "305–312", r"\mathcal{L}*{\text{CE}} = \mathbb{E}*{(x,y)} [ -\log p_\theta(y|x) ] Minimizes KL between model conditional and true conditional.",
                   expr=expected_over_x(bernoulli_kl(d1, q1), bernoulli_kl(d2, q2)), relation="offset", free_of=("q1", "q2"),
                   note="equal to E_x KL(p(y|x) ‖ q(y|x)) up to a term free of the model (H(Y|X))"),
            Source(S001, "29–30", r"“Make your predicted probability mass match the empirical labels/sequences.” Learns **conditional distributions** (p_\theta(y|x))",
                   behaviour="ce_recovers_conditional", at={"inputs": 3, "classes": 4},
                   correct="the minimiser of the expected CE is p_θ(y|x) = p_data(y|x)"),
            Source(S000, "451", r"Cross-Entropy Loss, the network approximates the *entire conditional distribution* \mathcal L(y, \hat y) = -\log \hat p(y), f^*(\mu) = p_{\text{data}}(y \mid \mu)",
                   behaviour="ce_recovers_conditional", at={"inputs": 3, "classes": 4},
                   correct="the minimiser of the expected CE is p_θ(y|x) = p_data(y|x)"),
            Source(S000, "299", r"The model outputs a distribution because there is rarely only *one* valid next word.",
                   behaviour="ce_recovers_conditional", at={"inputs": 3, "classes": 4},
                   correct="the CE-optimal next-token distribution is p_data(next | context), spread over every valid word"),
            Source(S000, "294–295", r'**Loss:** Cross-Entropy (Negative Log-Likelihood). We want the probability of the *actual* next word ("Paris") to be 1.0.',
                   note="the per-example target (−log p(Paris) → 0 as p → 1); over the data the CE optimum is "
                        "p_data(next | context), 1.0 only when a single continuation is possible (checked at L299)"),
            Source(S000, "289–291", r"**Likelihood Assumption (Noise):** **Categorical Distribution**. To get probabilities, we apply Softmax to .",
                   nothing_to_compare=True, note="the categorical likelihood of a softmax (claim nll.categorical); the symbol is missing in the source"),
            Source(S000, "303–323", r'**Output ():** **Logits** (Same as LLM!). **Likelihood Assumption:** **Categorical Distribution**. **Loss:** Cross-Entropy. The objective remains "predict the next word," but conditioned on visual features.',
                   note="the same next-token CE conditioned on image features: this claim with x the (image, prefix) pair"),
            Source(S000, "475–483", r"| **Classification** | Image/Text | Logits | Categorical | Cross-Entropy |",
                   note="a table row naming the likelihood and the loss (claim nll.categorical)"),
            Source(S001, "152–161", r"decoder uses CE to learn (p(\text{text}|\text{image})). CE over answer vocabulary conditioned on image+question embeddings.",
                   note="captioning and VQA heads: this claim with x the image (and question); no further formula"),
            Source(S001, "339–359", r"InfoNCE: Best at **representation learning** and **alignment**; Cross-Entropy: Best at **prediction** and **supervised conditional output**",
                   note="an assessment of what each objective is best at (opinion); nothing to compute"),
            Source(S001, "363–382", r"**CLIP + InfoNCE** → gives you **aligned embeddings**; **CE (captioning, VQA heads)** → gives **explicit conditional outputs**",
                   note="an assessment of what each objective gives multimodal models (opinion); nothing to compute"),
        ),
    )


# --- label smoothing ---------------------------------------------------------------------------

EPS = Var("eps", r"\varepsilon", UNIT_INTERVAL)
eps = EPS.symbol
K_CLASSES = Var("K", "K", count_between(2, 50))
K = K_CLASSES.symbol
pi1, pi2, pi3 = (softmax(k) for k in range(3))


def smoothed_ce(q_true, q_other):
    """−Σ_k q_k log softmax(h)_k with the target (q_true, q_other, q_other)."""
    return -(q_true * log(pi1) + q_other * log(pi2) + q_other * log(pi3))


def uniform_ce():
    """CE against the uniform target: −(1/3) Σ_k log softmax(h)_k = LSE − mean(h)."""
    return log_sum_exp() - (h1 + h2 + h3) / 3


@claim("contrastive.label-smoothing")
def contrastive_label_smoothing() -> Claim:
    """CE with target (1−ε)e₁ + ε/K = (1−ε)·CE(onehot) + ε·CE(uniform) (K = 3; PyTorch's label_smoothing=ε)."""
    return Claim(
        title="Label smoothing (ε/K on every class): CE(smoothed target) = (1 − ε)·CE(one-hot) + ε·CE(uniform) (K = 3)",
        statement=r"-\sum_k q_k \log\mathrm{softmax}(h)_k,\ q = (1-\varepsilon)\,e_1 + \varepsilon/K",
        variables=(H1, H2, H3, EPS),
        derivation=(
            Step(r"definition: cross-entropy against the smoothed target q = (1 - \varepsilon + \varepsilon/3, \varepsilon/3, \varepsilon/3)",
                 smoothed_ce(1 - eps + eps / 3, eps / 3)),
            Step(r"linearity in the target: q = (1-\varepsilon)\,e_1 + \varepsilon\,u, u uniform",
                 (1 - eps) * (-log(pi1)) + eps * (-(log(pi1) + log(pi2) + log(pi3)) / 3)),
            Step(r"-\log\mathrm{softmax}(h)_1 is the one-hot CE (claim nll.categorical); "
                 r"-\tfrac13\sum_k \log\mathrm{softmax}(h)_k = \log\sum_j e^{h_j} - \bar h",
                 (1 - eps) * target_of("nll.categorical") + eps * uniform_ce()),
        ),
        wrong_variants=(
            WrongVariant("true class kept at 1 − ε with ε/K on the others (the target does not sum to 1)",
                         smoothed_ce(1 - eps, eps / 3)),
            WrongVariant("the ε/(K−1) convention's target for this ε", smoothed_ce(1 - eps, eps / 2)),
            WrongVariant("one-hot CE not down-weighted: CE + ε·CE(uniform)", target_of("nll.categorical") + eps * uniform_ce()),
            WrongVariant("weights swapped", eps * target_of("nll.categorical") + (1 - eps) * uniform_ce()),
        ),
    )


EPS_OTHERS = Var("eps", r"\varepsilon", Domain("in (0, 1)", {"positive": True}, low=0.0, high=1.0,
                                                 sample_low=0.05, sample_high=0.6))


@claim("contrastive.label-smoothing.other-convention")
def contrastive_label_smoothing_other_convention() -> Claim:
    """Target 1−ε on the true class, ε/(K−1) on the others = the ε/K convention with ε' = εK/(K−1) (K = 3)."""
    return Claim(
        title="Label smoothing (1 − ε on the true class, ε/(K−1) on the others) is the ε/K convention with ε' = εK/(K−1) (K = 3)",
        statement=r"-\sum_k q_k \log\mathrm{softmax}(h)_k,\ q = (1-\varepsilon,\ \tfrac{\varepsilon}{K-1},\ \tfrac{\varepsilon}{K-1})",
        variables=(H1, H2, H3, EPS_OTHERS),
        derivation=(
            Step(r"definition: cross-entropy against q = (1 - \varepsilon, \varepsilon/2, \varepsilon/2)", smoothed_ce(1 - eps, eps / 2)),
            Step(r"the same target is (1 - \varepsilon')e_1 + \varepsilon' u with \varepsilon' = \varepsilon K/(K-1) = 3\varepsilon/2: "
                 r"(1-\varepsilon')\,\mathrm{CE}(e_1) + \varepsilon'\,\mathrm{CE}(u)",
                 (1 - 3 * eps / 2) * (-log(pi1)) + (3 * eps / 2) * (-(log(pi1) + log(pi2) + log(pi3)) / 3)),
            Step("in log-sum-exp form (claim nll.categorical for the one-hot part)",
                 (1 - 3 * eps / 2) * target_of("nll.categorical") + (3 * eps / 2) * uniform_ce()),
        ),
        wrong_variants=(
            WrongVariant("the ε/K convention with the same ε", smoothed_ce(1 - eps + eps / 3, eps / 3)),
            WrongVariant("ε/(K−1) added to every class, the true one included (the target sums to 1 + ε/(K−1))",
                         smoothed_ce(1 - eps + eps / 2, eps / 2)),
            WrongVariant("true class not down-weighted", smoothed_ce(1, eps / 2)),
        ),
    )


@claim("contrastive.label-smoothing.minimiser")
def contrastive_label_smoothing_minimiser() -> Claim:
    """The minimiser of the ε/K-smoothed CE has softmax(h*) = q: logit gap log(1 + K(1−ε)/ε) (any K)."""
    q_true, q_other = 1 - eps + eps / K, eps / K
    return Claim(
        title="Label smoothing keeps the optimal logits finite: gap h*_true − h*_other = log(1 + K(1−ε)/ε)",
        statement=r"h^*_{y} - h^*_{k},\ h^* = \arg\min_h \mathrm{CE}\big((1-\varepsilon)e_y + \varepsilon/K,\ \mathrm{softmax}(h)\big)",
        variables=(EPS, K_CLASSES),
        derivation=(
            Step(r"CE(q, p) = H(q) + \mathrm{KL}(q\|p) is minimised at p = \mathrm{softmax}(h^*) = q (the gradient "
                 r"\mathrm{softmax}(h) - q vanishes), so h^*_k = \log q_k + \mathrm{const} and the gap is \log(q_y/q_k)",
                 log(q_true / q_other)),
            Step(r"q_y = 1 - \varepsilon + \varepsilon/K, q_k = \varepsilon/K", log(1 + K * (1 - eps) / eps)),
        ),
        wrong_variants=(
            WrongVariant("the true class's target taken as 1 − ε", log((1 - eps) / (eps / K))),
            WrongVariant("the ε/(K−1) convention's gap", log((1 - eps) * (K - 1) / eps)),
            WrongVariant("log of the odds of ε", log((1 - eps) / eps)),
        ),
    )
