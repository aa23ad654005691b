r"""Derivatives by a parameter that a density or an expectation carries in its subscript (issue 24).

``\nabla_\theta \mathbb E_{x\sim p_\theta}[f(x)] = \mathbb E_{x\sim p_\theta}[f(x)\nabla_\theta \log p_\theta(x)]``
is proved by reading ``p_\theta`` as a function of ``\theta`` and the expectation as its integral;
a step that is not an identity is never proved, and nothing here flags. Documents are written here.
"""

from __future__ import annotations

from hypothesis import given, settings, strategies as st
import pytest

from scanning import scan_text


TRUE = [
    # the score-function identity, in two notations
    r"$$\nabla_\theta \mathbb{E}_{x \sim p_\theta}[f(x)] = \mathbb{E}_{x \sim p_\theta}[f(x) \nabla_\theta \log p_\theta(x)]$$",
    r"$$\nabla_{\phi} \mathbb{E}_{q_{\phi}(z)}\left[g(z)\right] = \mathbb{E}_{q_{\phi}(z)}\left[g(z) "
    r"\nabla_{\phi} \log q_{\phi}(z)\right]$$",
    # a policy, the parameter after the bar, a partial derivative
    r"$$\nabla_\theta \mathbb{E}_{a \sim \pi_\theta}[R(a)] = \mathbb{E}_{a \sim \pi_\theta}[R(a) \nabla_\theta \log \pi_\theta(a)]$$",
    r"$$\frac{\partial}{\partial \lambda} \mathbb{E}_{q(z|\lambda)}[g(z)] = "
    r"\mathbb{E}_{q(z|\lambda)}[g(z) \frac{\partial}{\partial \lambda} \log q(z|\lambda)]$$",
    # written as the sum or the integral it abbreviates
    r"$$\nabla_{\theta} \sum_x p_{\theta}(x) r(x) = \mathbb{E}_{x \sim p_\theta}[r(x) \nabla_{\theta} \log p_{\theta}(x)]$$",
    r"$$\nabla_\theta \int p_\theta(x) f(x) dx = \int \nabla_\theta p_\theta(x) f(x) dx$$",
    r"$$\nabla_\theta \mathbb{E}_{x \sim p_\theta}[f(x)] = \int f(x) \nabla_\theta p_\theta(x) dx$$",
]

NOT_IDENTITIES = [
    # the factor f dropped
    r"$$\nabla_\theta \mathbb{E}_{x \sim p_\theta}[f(x)] = \mathbb{E}_{x \sim p_\theta}[\nabla_\theta \log p_\theta(x)]$$",
    # the log's derivative without the density's weight
    r"$$\nabla_\theta \int p_\theta(x) f(x) dx = \int f(x) \nabla_\theta \log p_\theta(x) dx$$",
    # a sum made equal to an integral: never read as the same thing
    r"$$\nabla_{\theta} \int p_{\theta}(x) r(x) dx = \sum_x p_{\theta}(x) r(x) \nabla_{\theta} \log p_{\theta}(x)$$",
    # h_w depends on the vector w: its derivative by a component is not 0
    r"$$\frac{\partial}{\partial w_i}(y-h_w(x))^2 = 0$$",
    # the loss L may depend on theta in ways the line does not show
    r"$$\nabla_\theta \mathbb{E}_{x \sim p_\theta}[L(x)] = \mathbb{E}_{x \sim p_\theta}[L(x)\nabla_\theta \log p_\theta(x)] + 1$$",
]


@pytest.mark.parametrize("text", TRUE)
def test_a_derivative_through_a_parameterised_expectation_is_proved(tmp_path, text):
    (record,) = scan_text(tmp_path, text)
    assert record.verdict == "proved", record.reason


@pytest.mark.parametrize("text", NOT_IDENTITIES)
def test_what_is_not_an_identity_is_neither_proved_nor_flagged_here(tmp_path, text):
    (record,) = scan_text(tmp_path, text)
    assert record.verdict == "unchecked", record.reason


@settings(max_examples=12, deadline=None)
@given(st.sampled_from(["2", "3", r"\frac{1}{2}", "-1"]))
def test_a_wrong_factor_in_the_score_function_identity_is_never_proved(tmp_path_factory, factor):
    text = (r"$$\nabla_\theta \mathbb{E}_{x \sim p_\theta}[f(x)] = " + factor
            + r"\mathbb{E}_{x \sim p_\theta}[f(x) \nabla_\theta \log p_\theta(x)]$$")
    (record,) = scan_text(tmp_path_factory.mktemp("factor"), text)
    assert record.verdict != "proved", record.reason
