r"""The softmax cross-entropy gradient and the softmax Jacobian recognised in the lecture's notation
(derivspec/scan/softmax_gradient.py, issue 25): proved in several notations, planted mistakes
flagged with the correct form in the document's symbols, look-alikes never flagged. The snippets
are written for these tests.
"""

from __future__ import annotations

import math

import pytest
import sympy
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from derivspec.core import registry
from derivspec.derivations.nll.gradients import soft_label_cross_entropy
from derivspec.scan import scan_file

SOFTMAX_CE = ("The probabilities are the softmax of the logits and the loss is the cross-entropy "
              r"$\ell = -\sum_j y_j \log \pi_j$." "\n\n")


def last_record(tmp_path, text: str):
    path = tmp_path / "notes.md"
    path.write_text(text + "\n", encoding="utf-8")
    return scan_file(path, workers=0, sources=False)[-1]


PROVED = [
    SOFTMAX_CE + r"$$\frac{\partial \ell}{\partial h_k} = \pi_k - y_k$$",
    "For the softmax cross-entropy loss:\n\n" + r"$$\frac{\partial L}{\partial z_k} = \hat\pi_k - y_k$$",
    "The cross-entropy of the softmax has the gradient\n\n" + r"$$\nabla_{\mathbf z} \ell = \mathbf p - \mathbf y$$",
    "With the softmax cross-entropy,\n\n"
    + r"$$\frac{\partial \mathcal{L}}{\partial o_j} = \mathrm{softmax}(\mathbf o)_j - y_j$$",
    "Cross-entropy with softmax outputs and targets $t$:\n\n"
    + r"$$\frac{\partial E}{\partial a_k} = \hat y_k - t_k$$",
    "The cross-entropy gradient:\n\n"
    + r"$$\frac{\partial L}{\partial z_k} = \frac{e^{z_k}}{\sum_j e^{z_j}} - y_k$$",
    # the notation of cs231n/cs231n.github.io neural-networks-case-study.md L142 (development half):
    # scores f, probabilities p (defined at L136 with L_i = -log p_{y_i}), an indicator of the label
    ("The softmax classifier: $p_k = \\frac{e^{f_k}}{\\sum_j e^{f_j}}$ and $L_i = -\\log(p_{y_i})$.\n\n"
     "Then, after the chain rule,\n\n" r"$$\frac{\partial L_i}{\partial f_k} = p_k - \mathbb{1}(y_i = k)$$"),
    # the seed's batch notation (003 L1440-1452): a sum over examples
    (r"$$L_{\text{NLL}} = -\sum_{i=1}^N \sum_{k=1}^K y_{i,k} \log \hat{\pi}_{i,k}$$"
     "\n\nwith the softmax $\\hat\\pi$.\n\nDifferentiate w.r.t. the logit:\n\n"
     r"$$\frac{\partial L_{\text{NLL}}}{\partial z_{i,k}} = \hat{\pi}_{i,k} - y_{i,k}$$"),
    "The softmax Jacobian:\n\n" + r"$$\frac{\partial \pi_i}{\partial h_j} = \pi_i(\delta_{ij} - \pi_j)$$",
    "Differentiating the softmax:\n\n" + r"$$\frac{\partial p_i}{\partial z_j} = p_i(1\{i=j\} - p_j)$$",
]


@pytest.mark.parametrize("text", PROVED)
def test_proved_in_the_lectures_notation(tmp_path, text):
    record = last_record(tmp_path, text)
    assert record.verdict == "proved", record.reason
    assert record.claim in ("nll.grad.softmax.soft-label", "nll.grad.softmax.jacobian")
    assert "K = 2..8 checked numerically" in record.reason


def test_the_reading_is_shown(tmp_path):
    reason = last_record(tmp_path, PROVED[6]).steps[0]["reason"]
    assert "reading f as the logits h" in reason
    assert r"\mathbb{1}(y_i = k) as the one-hot label y_k" in reason
    assert r"p_{k} as \pi" in reason


FLAGGED = [
    (SOFTMAX_CE + r"$$\frac{\partial \ell}{\partial h_k} = y_k - \pi_k$$", r"\pi_{k} - y_{k}"),
    ("Cross-entropy:\n\n" + r"$$\frac{\partial L}{\partial z_k} = p_k(1 - y_k)$$", r"p_{k} - y_{k}"),
    ("Cross-entropy:\n\n" + r"$$\frac{\partial L}{\partial z_k} = p_k - 1$$", r"p_{k} - y_{k}"),
    ("Cross-entropy, targets $t$:\n\n" + r"$$\frac{\partial E}{\partial a_k} = 2(\hat y_k - t_k)$$",
     r"\hat{y}_{k} - t_{k}"),
    ("The softmax:\n\n" + r"$$\frac{\partial \pi_i}{\partial h_j} = \pi_i(1 - \pi_j)$$", r"\pi_i(\delta_{ij} - \pi_j)"),
]


@pytest.mark.parametrize("text, correct", FLAGGED)
def test_planted_mistakes_flagged_with_the_correct_form(tmp_path, text, correct):
    record = last_record(tmp_path, text)
    assert record.verdict == "disagrees", record.reason
    step = next(s for s in record.steps if s["verdict"] == "disagrees")
    assert step["correct"] == correct
    assert "as written" in step["evidence"] and "derived" in step["evidence"]


NOT_FLAGGED = [
    # binary cross-entropy with a sigmoid: no class index
    "Binary cross-entropy with a sigmoid:\n\n" + r"$$\frac{\partial L}{\partial z} = \sigma(z) - y$$",
    # the gradient by a weight matrix
    "Cross-entropy:\n\n" + r"$$\frac{\partial L}{\partial W} = (\mathbf p - \mathbf y) \mathbf x^\top$$",
    # no cross-entropy anywhere: a loss we know nothing about
    "Some loss:\n\n" + r"$$\frac{\partial L}{\partial z_k} = y_k - \pi_k$$",
    # the squared error of a linear output
    "Mean squared error $L = \\frac12 \\sum_k (z_k - y_k)^2$:\n\n" + r"$$\frac{\partial L}{\partial z_k} = z_k - y_k$$",
    # the squared error next to a mention of cross-entropy: the logit outside a softmax is not the claim's
    "Unlike the cross-entropy, the squared error gives\n\n" + r"$$\frac{\partial L}{\partial z_k} = z_k - y_k$$",
    # averaged over the examples: the scale of the batch loss is not read
    (r"$$L = -\frac{1}{N}\sum_{i} \sum_k y_{i,k} \log \pi_{i,k}$$" "\n\nfor the softmax.\n\n"
     r"$$\frac{\partial L}{\partial z_{i,k}} = \pi_{i,k} - y_{i,k}$$"),
]


@pytest.mark.parametrize("text", NOT_FLAGGED)
def test_twins_are_not_flagged(tmp_path, text):
    record = last_record(tmp_path, text)
    assert record.verdict != "disagrees", record.reason
    assert not (record.verdict == "proved" and record.claim == "nll.grad.softmax.soft-label"), record.reason


def test_without_context_it_says_why(tmp_path):
    record = last_record(tmp_path, NOT_FLAGGED[2])
    assert record.verdict == "unchecked"
    assert "softmax cross-entropy" in record.reason


@settings(max_examples=12, deadline=None)
@given(st.integers(-3, 3), st.integers(-3, 3))
def test_wrong_coefficients_never_proved(tmp_path_factory, a, b):
    if (a, b) == (1, -1):
        return
    text = "Cross-entropy:\n\n" + rf"$$\frac{{\partial L}}{{\partial z_k}} = ({a}) \pi_k + ({b}) y_k$$"
    record = last_record(tmp_path_factory.mktemp("coef"), text)
    assert record.verdict != "proved", record.reason
    if record.claim == "nll.grad.softmax.soft-label":
        assert record.verdict == "disagrees", record.reason


# --- the claims against torch autograd at K = 2..8 classes (a check that can fail) -----------------

def _soft_label(rng: torch.Generator, classes: int) -> torch.Tensor:
    weights = torch.rand(classes, generator=rng, dtype=torch.float64) + 0.05
    return weights / weights.sum()


@pytest.mark.parametrize("classes", range(2, 9))
def test_gradient_is_prediction_minus_label_by_autograd(classes):
    rng = torch.Generator().manual_seed(classes)
    for _ in range(5):
        logits = (torch.randn(classes, generator=rng, dtype=torch.float64) * 2).requires_grad_(True)
        label = _soft_label(rng, classes)
        loss = -(label * torch.log_softmax(logits, 0)).sum()
        (gradient,) = torch.autograd.grad(loss, logits)
        claimed = torch.softmax(logits.detach(), 0) - label
        assert torch.allclose(gradient, claimed, atol=1e-12)
        assert not torch.allclose(gradient, label - torch.softmax(logits.detach(), 0), atol=1e-6)  # can fail


@pytest.mark.parametrize("classes", range(2, 9))
def test_jacobian_by_autograd(classes):
    rng = torch.Generator().manual_seed(100 + classes)
    logits = torch.randn(classes, generator=rng, dtype=torch.float64) * 2
    jacobian = torch.autograd.functional.jacobian(lambda h: torch.softmax(h, 0), logits)
    p = torch.softmax(logits, 0)
    claimed = p[:, None] * (torch.eye(classes, dtype=torch.float64) - p[None, :])
    assert torch.allclose(jacobian, claimed, atol=1e-12)
    wrong = p[:, None] * (1 - p[None, :])  # the diagonal form everywhere
    assert not torch.allclose(jacobian, wrong, atol=1e-6)


def test_claims_at_three_classes_match_autograd():
    gradient, jacobian = registry.get("nll.grad.softmax.soft-label"), registry.get("nll.grad.softmax.jacobian")
    h = {"h1": 0.3, "h2": -1.2, "h3": 2.0}
    y = {"y1": 0.2, "y2": 0.5}
    logits = torch.tensor([h["h1"], h["h2"], h["h3"]], dtype=torch.float64, requires_grad=True)
    label = torch.tensor([y["y1"], y["y2"], 1 - y["y1"] - y["y2"]], dtype=torch.float64)
    (by_autograd,) = torch.autograd.grad(-(label * torch.log_softmax(logits, 0)).sum(), logits)
    subs = {gradient.symbols[k]: v for k, v in {**h, **y}.items()}
    assert float(gradient.target.subs(subs)) == pytest.approx(float(by_autograd[0]), abs=1e-12)
    j = torch.autograd.functional.jacobian(lambda v: torch.softmax(v, 0), logits.detach())
    assert float(jacobian.target.subs({jacobian.symbols[k]: v for k, v in h.items()})) == pytest.approx(float(j[0, 1]))
    # the definition the claim differentiates, at K = 5, against torch
    hs, ys = sympy.symbols("h1:6", real=True), (sympy.Rational(1, 5),) * 5
    at = {s: v for s, v in zip(hs, (0.1, -0.4, 1.3, 0.0, 2.2))}
    value = float(soft_label_cross_entropy(ys, hs).subs(at))
    by_torch = float(-(torch.full((5,), 0.2, dtype=torch.float64)
                       * torch.log_softmax(torch.tensor(list(at.values()), dtype=torch.float64), 0)).sum())
    assert math.isclose(value, by_torch, rel_tol=1e-12)
