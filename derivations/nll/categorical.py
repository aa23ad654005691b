r"""Categorical negative log-likelihood of a softmax: softmax cross-entropy (3 classes).

Seeds: 001 L104–120; 003 L1418–1472, L2023–2026.
"""

from __future__ import annotations

import sympy
from sympy import Rational, exp, log

from derivspec.core import REAL, AnySize, Claim, Index, Source, Step, Var, Vector, WrongVariant, claim
from derivspec.core.lectures import S001, S003
from derivspec.derivations.estimation.categorical import one_hot
from derivspec.derivations.nll.gaussian import LOGLIK_NOTE, NLL_AS_LOGLIK

H1, H2, H3 = (Var(f"h{k}", f"h_{k}", REAL) for k in (1, 2, 3))
h1, h2, h3 = H1.symbol, H2.symbol, H3.symbol
WORKED_LOGITS = {"h1": 2, "h2": 1, "h3": Rational(1, 10)}  # 003 L1460: z = [2.0, 1.0, 0.1], class cat


def softmax(k: int, logits=(h1, h2, h3)):
    return exp(logits[k]) / sum(exp(h) for h in logits)


def log_sum_exp():
    return log(exp(h1) + exp(h2) + exp(h3))


def _picked(logits, label):
    """h_{label + 1}: the observed class's logit (label counted from 0; a whole-number symbol or an Integer)."""
    if isinstance(label, sympy.Integer):
        return logits[int(label)]
    return sympy.Piecewise(*((h, sympy.Eq(label, k)) for k, h in enumerate(logits[:-1])), (logits[-1], True))


def categorical_any_size(vectors, indices):
    """The claim for K classes and any observed class: the one-hot product keeps π_label, minus its log is
    −h_label + log Σ_k e^{h_k} (the same steps as the derivation); the wrong variants alike."""
    logits, label = vectors["h"], indices["label"]
    picked = _picked(logits, label)
    normaliser = log(sum(exp(h) for h in logits))
    if isinstance(label, sympy.Integer):
        others = log(sum(exp(h) for k, h in enumerate(logits) if k != int(label)))
    else:
        others = log(sum(sympy.Piecewise((0, sympy.Eq(label, k)), (exp(h), True)) for k, h in enumerate(logits)))
    return -picked + normaliser, {
        "dropped the log-sum-exp normaliser": -picked,
        "sign flipped (log-likelihood)": picked - normaliser,
        "normalised over the other classes only": -picked + others,
    }


ANY_SIZE = AnySize((("K", 3),), (Vector("h", "K", "h", REAL, ("h1", "h2", "h3")),), categorical_any_size,
                   indices=(Index("label", "K", r"\mathrm{label}", 0),),
                   correct=r"-h_{\mathrm{label}} + \log\sum_{k=1}^{K} e^{h_k}")


@claim("nll.categorical")
def nll_categorical() -> Claim:
    """−log softmax(h)₁ = −h₁ + log(e^{h₁} + e^{h₂} + e^{h₃}) (observed class 1 of 3)."""
    onehot = (1, 0, 0)
    pmf = sympy.Mul(*(softmax(k) ** onehot[k] for k in range(3)), evaluate=False)
    return Claim(
        title="Categorical NLL of a softmax is softmax cross-entropy (3 classes, observed class 1)",
        statement=r"-\log \mathrm{softmax}(h)_1",
        variables=(H1, H2, H3),
        any_size=ANY_SIZE,
        derivation=(
            Step(r"definition: categorical pmf \prod_k \pi_k^{y_k} with \pi = softmax(h)", pmf),
            Step(r"one-hot y = (1, 0, 0): \pi_1^1\pi_2^0\pi_3^0 = \pi_1", softmax(0)),
            Step("take minus the log", -log(softmax(0)), op=lambda e: -log(e)),
            Step("log of a ratio; log e^{h_1} = h_1 (log-sum-exp form, what F.cross_entropy computes)",
                 -h1 + log_sum_exp()),
        ),
        wrong_variants=(
            WrongVariant("dropped the log-sum-exp normaliser", -h1),
            WrongVariant("sign flipped (log-likelihood)", h1 - log_sum_exp()),
            WrongVariant("normalised over the other classes only", -h1 + log(exp(h2) + exp(h3))),
        ),
        sources=(
            Source(S001, "104–120", r"p_\theta(y=k|x) = \frac{\exp(h_k(x))}{\sum_j \exp(h_j(x))}; \mathcal{L}(x,y) = -\log p_\theta(y|x)",
                   expr=-log(exp(h1) / (exp(h1) + exp(h2) + exp(h3))), note="with K = 3 and observed class 1"),
            Source(S003, "340", r"P(Y \mid \boldsymbol{\pi}) = \prod_{k=1}^K \pi_k^{y_k}",
                   expr=sympy.Mul(*(softmax(k) ** y_k for k, y_k in enumerate(one_hot(0)))), to_target=lambda written: -log(written),
                   note=r"the one-hot product at y = e_1 with \pi = softmax(h): only \pi_1 survives (L342); compared through -\log"),
            Source(S003, "1418–1430", r"\log p(y_i \mid \mathbf{x}_i, \theta) = \sum_{k=1}^K y_{i,k} \log \hat{\pi}_{i,k} = \log \hat{\pi}_{i, y_i}",
                   expr=sum(yk * log(softmax(k)) for k, yk in enumerate((1, 0, 0))), **NLL_AS_LOGLIK,
                   note=LOGLIK_NOTE + "; one-hot y = (1, 0, 0), K = 3"),
            Source(S003, "1440–1442", r"L_{\text{NLL}}(\theta) = - \sum_{i=1}^N \log \hat{\pi}_{i, y_i} = - \sum_{i=1}^N \sum_{k=1}^K y_{i,k} \log \hat{\pi}_{i,k}",
                   expr=-sum(yk * log(softmax(k)) for k, yk in enumerate((1, 0, 0))), note="one example, one-hot y = (1, 0, 0)"),
            Source(S003, "1460–1472", r"\mathbf{z} = [2.0, 1.0, 0.1], true class cat (index 0); L = -\log \hat{\pi}_{\text{cat}} = -\log 0.659 = \mathbf{0.418}",
                   value=0.418, decimals=3, at=WORKED_LOGITS),
            *(Source(S003, line, row, value=value, decimals=3,
                     at={"h1": log(Rational(a)), "h2": log(Rational(b)), "h3": log(Rational(c))},
                     note=r"table row: model \hat\pi and -\log\hat\pi_1 in nats, true class 1; \hat\pi enters as logits h = \log\hat\pi")
              for line, row, value, (a, b, c) in (
                  ("2023", "(0.99, 0.005, 0.005)	0.010", 0.010, ("0.99", "0.005", "0.005")),
                  ("2024", "(0.7, 0.2, 0.1)	0.357", 0.357, ("0.7", "0.2", "0.1")),
                  ("2025", "(0.34, 0.33, 0.33)	1.079", 1.079, ("0.34", "0.33", "0.33")),
                  ("2026", "(0.05, 0.5, 0.45)	2.996", 2.996, ("0.05", "0.5", "0.45")))),
            Source(S003, "2009–2011", r"H(\mathbf{y}, \hat{\boldsymbol{\pi}}) = \underbrace{H(\mathbf{y})}_{=0} + \text{KL}(\mathbf{y} \parallel \hat{\boldsymbol{\pi}}) = -\log \hat{\pi}_{y_{\text{true}}}",
                   expr=-sum(yk * log(softmax(k)) for k, yk in enumerate((1, 0, 0))),
                   note="one-hot y = (1, 0, 0): H(y) = 0, so the cross-entropy is the KL and is −log π̂_1"),
            Source(S003, "2181", r"**P8.** Show that for one-hot true label \mathbf{y}_i and softmax prediction \hat{\boldsymbol{\pi}}_i , cross-entropy equals \text{KL}(\mathbf{y}_i \parallel \hat{\boldsymbol{\pi}}_i)",
                   expr=1 * log(1 / softmax(0)),
                   note="KL(y ‖ π̂) = Σ_k y_k log(y_k/π̂_k) over the classes with y_k > 0 (0 log 0 = 0): −log π̂_1 for y = (1, 0, 0)"),
            Source(S003, "1456", r"**softmax + cross-entropy** are *always* implemented as one fused op (`F.cross_entropy(logits, target)`) — both for numerical stability (log-sum-exp trick)",
                   behaviour="fused_cross_entropy_is_stable", at={"h1": 1000.0, "h2": 0.0, "h3": -1000.0}),
            Source(S003, "360", r"**The softmax output of *any* classifier IS a Categorical distribution.**",
                   note="not compared: the softmax's entries are positive and sum to 1 (claim nll.softmax.sigmoid at K = 2, "
                        "003 L1412), so it is a valid Categorical whose NLL is this claim"),
            Source(S003, "1484–1485", r"Binary y \in \{0, 1\} | Bernoulli | BCE; K -class y \in \{1, \dots, K\} | Categorical | CE",
                   expr=-log(softmax(0)), note="the table's K-class row: the Categorical NLL of a softmax is the cross-entropy"),
        ),
    )
