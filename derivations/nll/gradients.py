r"""Gradients of the three NLLs: prediction minus truth (times the input).

Seeds: 003 L287, L1390–1398, L1448–1452, L1474.
"""

from __future__ import annotations

import sympy
from sympy import exp

from derivspec.core import Claim, Defined, Source, Step, Var, WrongVariant, claim, real_between, target_of
from derivspec.core.lectures import S003
from derivspec.derivations.nll.bernoulli import Y01, sigmoid, y01, z
from derivspec.derivations.nll.categorical import H1, H2, H3, WORKED_LOGITS, h1, h2, h3, softmax
from derivspec.derivations.nll.gaussian import SIGMA, Y, gaussian_nll, sigma, y

THETA = Var("theta", r"\theta", real_between(-2, 2))
X = Var("x", "x", real_between(-2, 2))
theta, x = THETA.symbol, X.symbol


@claim("nll.grad.logistic")
def nll_grad_logistic() -> Claim:
    """∂/∂θ of −log Bern(y; σ(θx)) = (σ(θx) − y) x."""
    return Claim(
        title="Logistic-regression NLL gradient is (p̂ − y) x",
        statement=r"\partial_\theta\,[-\log \mathrm{Bern}(y;\sigma(\theta x))]",
        variables=(Y01, THETA, X),
        derivation=(
            Step(r"BCE with logits at z = \theta x (claim nll.bernoulli.logits)",
                 target_of("nll.bernoulli.logits").subs(z, theta * x)),
            Step(r"differentiate in \theta (chain rule through z = \theta x)",
                 x * exp(theta * x) / (1 + exp(theta * x)) - y01 * x, op=lambda e: sympy.diff(e, theta)),
            Step(r"e^z/(1+e^z) = \sigma(z): prediction minus truth, times the input", (sigmoid(theta * x) - y01) * x),
        ),
        wrong_variants=(
            WrongVariant("truth minus prediction", (y01 - sigmoid(theta * x)) * x),
            WrongVariant("kept the sigmoid derivative p(1-p)",
                         (sigmoid(theta * x) - y01) * x * sigmoid(theta * x) * (1 - sigmoid(theta * x))),
            WrongVariant("dropped the input x", sigmoid(theta * x) - y01),
        ),
        sources=(
            Source(S003, "1390–1394", r"\nabla_{\theta} L_{\text{NLL}} = \sum_{i=1}^N (\hat{p}_i - y_i) \mathbf{x}_i",
                   expr=(sigmoid(theta * x) - y01) * x, note=r"one term of the sum, one feature; \hat p = \sigma(\theta x)"),
            Source(S003, "287", r"logistic regression's gradient has a \hat{p}(1 - \hat{p}) term that is exactly the Bernoulli variance",
                   note=r"describes an intermediate of the chain rule (\sigma' = \sigma(1-\sigma)), which cancels in the final gradient; no formula to compare"),
            Source(S003, "113", r"Train · gradient descent (no closed form because of the sigmoid).",
                   note=r"not compared: setting this gradient to zero gives \sum_i (\sigma(\theta x_i) - y_i) x_i = 0, transcendental in "
                        r"\theta (no closed-form root in general); the reference model logistic_trained_with trains it by "
                        r"gradient descent"),
        ),
    )


def softmax_gradient_derivation(k: int):
    """∂/∂h_k of −log softmax(h)₁ = softmax(h)_k − [k = 1]."""
    logit = (h1, h2, h3)[k]
    onehot = 1 if k == 0 else 0
    partition = exp(h1) + exp(h2) + exp(h3)
    return (
        Step("categorical NLL (claim nll.categorical)", target_of("nll.categorical")),
        Step(rf"differentiate in h_{k + 1}: -\partial h_1/\partial h_{k + 1} + e^{{h_{k + 1}}}/\sum_j e^{{h_j}}",
             -onehot + exp(logit) / partition, op=lambda e: sympy.diff(e, logit)),
        Step(rf"e^{{h_{k + 1}}}/\sum_j e^{{h_j}} = \pi_{k + 1}: prediction minus one-hot truth", softmax(k) - onehot),
    )


@claim("nll.grad.softmax.true-class")
def nll_grad_softmax_true_class() -> Claim:
    return Claim(
        title="Softmax cross-entropy gradient on the observed class's logit is π₁ − 1",
        statement=r"\partial_{h_1}\,[-\log \mathrm{softmax}(h)_1]",
        variables=(H1, H2, H3),
        derivation=softmax_gradient_derivation(0),
        wrong_variants=(
            WrongVariant("truth minus prediction", 1 - softmax(0)),
            WrongVariant("forgot the one-hot term", softmax(0)),
        ),
        sources=(
            Source(S003, "1448–1452", r"\frac{\partial L_{\text{NLL}}}{\partial z_{i,k}} = \hat{\pi}_{i,k} - y_{i,k}",
                   expr=softmax(0) - 1, note="k = observed class, so y_k = 1"),
            Source(S003, "1474", r"\hat{\boldsymbol{\pi}} - \mathbf{y} = [0.659, 0.242, 0.099] - [1, 0, 0] = [-0.341, 0.242, 0.099]",
                   value=-0.341, decimals=3, at=WORKED_LOGITS, note="the cat entry (observed class)"),
            Source(S003, "1476", r"The gradient says · *push the cat-logit up* (negative gradient → the optimizer subtracts it, so cat-logit increases), *push the dog and car logits down*.",
                   behaviour="cross_entropy_step_moves_the_logits", at={"h1": 2.0, "h2": 1.0, "h3": 0.1, "lr": 0.5},
                   note="one gradient step at the worked logits of L1460 (π_1 − 1 < 0, π_k > 0)"),
            Source(S003, "358", r"The further the prediction is from a one-hot truth, the *less likely* the data is under it — and the larger the cross-entropy loss.",
                   behaviour="cross_entropy_step_moves_the_logits", at={"h1": 0.0, "h2": 0.0, "h3": 0.0, "lr": 1.0},
                   note="from the uniform prediction, a step towards the one-hot truth (the true logit up, the others down) "
                        "lowers the loss: −log π_true falls as π_true rises"),
        ),
    )


@claim("nll.grad.softmax.other-class")
def nll_grad_softmax_other_class() -> Claim:
    return Claim(
        title="Softmax cross-entropy gradient on another class's logit is π_k",
        statement=r"\partial_{h_2}\,[-\log \mathrm{softmax}(h)_1]",
        variables=(H1, H2, H3),
        derivation=softmax_gradient_derivation(1),
        wrong_variants=(
            WrongVariant("subtracted 1 as for the true class", softmax(1) - 1),
            WrongVariant("sign flipped", -softmax(1)),
        ),
        sources=(
            Source(S003, "1448–1452", r"\frac{\partial L_{\text{NLL}}}{\partial z_{i,k}} = \hat{\pi}_{i,k} - y_{i,k}",
                   expr=softmax(1) - 0, note="k not the observed class, so y_k = 0"),
            Source(S003, "1474", r"\hat{\boldsymbol{\pi}} - \mathbf{y} = [0.659, 0.242, 0.099] - [1, 0, 0] = [-0.341, 0.242, 0.099]",
                   value=0.242, decimals=3, at=WORKED_LOGITS, note="the dog entry (logit 1.0 in the h_2 slot)"),
            Source(S003, "1474", r"\hat{\boldsymbol{\pi}} - \mathbf{y} = [0.659, 0.242, 0.099] - [1, 0, 0] = [-0.341, 0.242, 0.099]",
                   value=0.099, decimals=3, at={"h1": 2, "h2": sympy.Rational(1, 10), "h3": 1},
                   note="the car entry (logit 0.1 in the h_2 slot)"),
        ),
    )


# A label on the simplex: y_1, y_2 free, y_3 = 1 - y_1 - y_2 (one-hot labels are its vertices).
Y1, Y2 = (Var(f"y{k}", f"y_{k}", real_between(0, 0.5)) for k in (1, 2))
y1, y2 = Y1.symbol, Y2.symbol
Y3 = Defined("y3", "y_3", 1 - y1 - y2)
PI1 = Defined("pi1", r"\pi_1", softmax(0))  # the prediction, so that `check` reads \pi_1 - y_1 as lectures write it
LOGITS = (h1, h2, h3)


def soft_label_cross_entropy(labels=(y1, y2, 1 - y1 - y2), logits=LOGITS):
    r"""-\sum_j y_j \log \mathrm{softmax}(h)_j, the cross-entropy of a softmax against the label y."""
    return -sum(y_j * sympy.log(softmax(j, logits)) for j, y_j in enumerate(labels))


@claim("nll.grad.softmax.soft-label")
def nll_grad_softmax_soft_label() -> Claim:
    r"""\partial_{h_1} [-\sum_j y_j \log \mathrm{softmax}(h)_j] = \pi_1 - y_1 for y on the simplex.

    Written at the first logit; the other logits are the same computation with the classes
    renamed (``derivspec scan`` differentiates at every index, derivspec/scan/softmax_gradient.py).
    """
    y3 = Y3.expr
    partition = exp(h1) + exp(h2) + exp(h3)
    return Claim(
        title="Softmax cross-entropy gradient for any label on the simplex is π_k − y_k (K = 3; other K checked)",
        statement=r"\partial_{h_1}\,[-\textstyle\sum_j y_j \log \mathrm{softmax}(h)_j]",
        variables=(H1, H2, H3, Y1, Y2),
        defined=(Y3, PI1),
        derivation=(
            Step(r"cross-entropy of the softmax against y: -\sum_j y_j \log \pi_j, \pi = softmax(h), "
                 r"y_3 = 1 - y_1 - y_2", soft_label_cross_entropy()),
            Step(r"log of a ratio: -\sum_j y_j h_j + (\sum_j y_j) \log \sum_j e^{h_j}",
                 -(y1 * h1 + y2 * h2 + y3 * h3) + (y1 + y2 + y3) * sympy.log(partition)),
            Step(r"differentiate in h_1: -y_1 + (\sum_j y_j)\, e^{h_1}/\sum_j e^{h_j}",
                 -y1 + (y1 + y2 + y3) * exp(h1) / partition, op=lambda e: sympy.diff(e, h1)),
            Step(r"\sum_j y_j = 1 and e^{h_1}/\sum_j e^{h_j} = \pi_1: prediction minus label", softmax(0) - y1),
        ),
        wrong_variants=(
            WrongVariant("label minus prediction", y1 - softmax(0)),
            WrongVariant("only the observed class moves: π_1(1 − y_1)", softmax(0) * (1 - y1)),
            WrongVariant("subtracted 1 as for a one-hot true class", softmax(0) - 1),
        ),
        sources=(
            Source(S003, "1448–1452", r"\frac{\partial L_{\text{NLL}}}{\partial z_{i,k}} = \hat{\pi}_{i,k} - y_{i,k}",
                   expr=softmax(0) - y1,
                   note="k = 1; the lecture's y_i is one-hot, a vertex of the simplex the claim covers"),
        ),
    )


@claim("nll.grad.softmax.jacobian")
def nll_grad_softmax_jacobian() -> Claim:
    r"""\partial \pi_1 / \partial h_2 = \pi_1(\delta_{12} - \pi_2) = -\pi_1 \pi_2 (K = 3).

    Written at one off-diagonal entry; ``derivspec scan`` differentiates every entry (i, j) of the
    3-class softmax, the diagonal \pi_i(1 - \pi_i) included.
    """
    partition = exp(h1) + exp(h2) + exp(h3)
    return Claim(
        title="Softmax Jacobian ∂π_i/∂h_j = π_i(δ_ij − π_j) (K = 3; other K checked)",
        statement=r"\partial \mathrm{softmax}(h)_1 / \partial h_2",
        variables=(H1, H2, H3),
        derivation=(
            Step(r"definition: \pi_1 = e^{h_1}/\sum_j e^{h_j}", softmax(0)),
            Step(r"differentiate in h_2 (quotient rule; e^{h_1} is free of h_2): -e^{h_1} e^{h_2}/(\sum_j e^{h_j})^2",
                 -exp(h1) * exp(h2) / partition**2, op=lambda e: sympy.diff(e, h2)),
            Step(r"= \pi_1(\delta_{12} - \pi_2) with \delta_{12} = 0", softmax(0) * (0 - softmax(1))),
        ),
        wrong_variants=(
            WrongVariant("the diagonal form π_i(1 − π_j) off the diagonal", softmax(0) * (1 - softmax(1))),
            WrongVariant("sign flipped", softmax(0) * softmax(1)),
            WrongVariant("forgot the factor π_i", 0 - softmax(1)),
        ),
        sources=(
            Source(S003, "1448",
                   r"Differentiate L_{\text{NLL}} w.r.t. the logit z_{i,k} (derivation uses the softmax-Jacobian trick)",
                   note="names the softmax Jacobian as the tool of the gradient's derivation; no formula written"),
        ),
    )


@claim("nll.grad.linear-regression")
def nll_grad_linear_regression() -> Claim:
    """∂/∂θ of −log N(y; θx, σ²) = (θx − y) x / σ²."""
    return Claim(
        title="Linear-regression Gaussian NLL gradient is (ŷ − y) x / σ²",
        statement=r"\partial_\theta\,[-\log \mathcal N(y;\theta x,\sigma^2)]",
        variables=(Y, THETA, X, SIGMA),
        derivation=(
            Step(r"Gaussian NLL with mean \mu = \theta x (claim nll.gaussian)", gaussian_nll(y, theta * x, sigma)),
            Step(r"differentiate in \theta", (theta * x - y) * x / sigma**2, op=lambda e: sympy.diff(e, theta)),
        ),
        wrong_variants=(
            WrongVariant("truth minus prediction", (y - theta * x) * x / sigma**2),
            WrongVariant("dropped the input x", (theta * x - y) / sigma**2),
        ),
        sources=(
            Source(S003, "1396–1398", r"the exact same form as the linear regression gradient (\hat{y}_i - y_i) \mathbf{x}_i",
                   expr=(theta * x - y) * x, at={"sigma": 1}, note=r"read with \sigma = 1, where the NLL gradient has no 1/\sigma^2"),
        ),
    )
