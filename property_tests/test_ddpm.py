"""DDPM family (derivations/ddpm.py): the issue's check examples, defined symbols, the loss
weight over the standard schedule, and the seed statements found wrong."""

import math

import numpy as np
import pytest
import sympy
import torch
from hypothesis import given
from hypothesis import strategies as st
from torch.distributions import Normal

from derivspec.core import registry
from derivspec.core.checker import compare, read_candidate
from derivspec.verify import compare_source


def verdict(claim_id, **form):
    claim = registry.get(claim_id)
    result = compare(claim, read_candidate(claim, **form))
    return result.verdict, result.counterexample


def test_issue_check_examples():
    assert verdict("ddpm.marginal.mean", latex=r"\sqrt{\bar\alpha_t}\,x_0")[0] == "equivalent"
    wrong, counterexample = verdict("ddpm.marginal.mean", latex=r"\sqrt{\alpha_t}\,x_0")
    assert wrong == "not_equivalent" and counterexample is not None


@pytest.mark.parametrize("form", [
    {"latex": r"\frac{\sqrt{\bar\alpha_{t-1}}\beta_t}{1-\bar\alpha_t}x_0 + \frac{\sqrt{\alpha_t}(1-\bar\alpha_{t-1})}{1-\bar\alpha_t}x_t"},
    {"formula": "(sqrt(alpha_bar_prev)*(1-alpha_t)*x0 + sqrt(alpha_t)*(1-alpha_bar_prev)*xt)/(1-alpha_t*alpha_bar_prev)"},
])
def test_posterior_mean_forms(form):
    assert verdict("ddpm.posterior.mean", **form)[0] == "equivalent"


@pytest.mark.parametrize("form", [
    {"latex": r"\frac{(1-\bar\alpha_{t-1})\beta_t}{1-\bar\alpha_t}"},
    {"formula": "1/(alpha_t/beta_t + 1/(1-alpha_bar_prev))"},
])
def test_posterior_variance_forms(form):
    assert verdict("ddpm.posterior.variance", **form)[0] == "equivalent"


@pytest.mark.parametrize("claim_id, latex", [
    ("ddpm.posterior.variance", r"\frac{(1-\bar\alpha_{t})\beta_t}{1-\bar\alpha_t}"),           # wrong index
    ("ddpm.posterior.variance", r"\frac{(1-\bar\alpha_{t-1})}{1-\bar\alpha_t}"),                 # missing beta_t
    ("ddpm.posterior.mean", r"\frac{\sqrt{\bar\alpha_{t}}\beta_t}{1-\bar\alpha_t}x_0 + \frac{\sqrt{\alpha_t}(1-\bar\alpha_{t-1})}{1-\bar\alpha_t}x_t"),
    ("ddpm.posterior.mean", r"\frac{\sqrt{\bar\alpha_{t-1}}\beta_t}{1-\bar\alpha_t}x_0 + \frac{1-\bar\alpha_{t-1}}{1-\bar\alpha_t}x_t"),
])
def test_wrong_index_or_missing_factor_is_rejected(claim_id, latex):
    result, counterexample = verdict(claim_id, latex=latex)
    assert result == "not_equivalent" and counterexample is not None


def test_simple_loss_departs_from_the_elbo_weight_over_the_standard_schedule():
    claim = registry.get("ddpm.loss.weight")
    weight = sympy.lambdify([claim.symbols["alpha_t"], claim.symbols["alpha_bar_prev"]], claim.expand_defined(claim.target))
    betas = np.linspace(1e-4, 0.02, 1000)
    alphas = 1 - betas
    alpha_bars = np.cumprod(alphas)
    weights = weight(alphas[1:], alpha_bars[:-1])  # t = 2..T
    # the ELBO's per-step weight falls by two orders of magnitude along the schedule, so the
    # unweighted ("simple") loss is a reweighting, not the bound
    assert weights.max() / weights.min() > 50
    assert weights[0] / weights[-1] > 50


def test_seed_errata():
    def statuses(claim_id):
        claim = registry.get(claim_id)
        return {(s.file[:3], s.lines): compare_source(claim, s).status for s in claim.sources}

    assert statuses("ddpm.marginal.mean")[("004", "3389")] == "disagrees"
    assert statuses("ddpm.posterior.mean-eps")[("004", "3374")] == "disagrees"
    assert statuses("ddpm.loss.weight")[("002", "544")] == "disagrees"
    assert statuses("ddpm.tweedie")[("004", "3436")] == "matches"


@given(xt=st.floats(-4, 4), alpha_bar=st.floats(0.01, 0.99))
def test_tweedie_holds_exactly_for_a_gaussian_mixture(xt, alpha_bar):
    """q_t of a 2-component mixture is a mixture: E[ε|x_t] = Σ_k r_k(x_t) E[ε|x_t, k] with the
    per-component E[ε|x_t, k] from the derived claim, equals −√(1−ᾱ)∇log q_t by autograd."""
    claim = registry.get("ddpm.tweedie")
    per_component = sympy.lambdify([claim.symbols[k] for k in ("xt", "alpha_bar", "mu0", "s0")], claim.target)
    weights, means, stds = torch.tensor([0.3, 0.7]), torch.tensor([-2.0, 1.5]), torch.tensor([0.5, 0.8])
    weights, means, stds = (v.double() for v in (weights, means, stds))
    noisy_stds = (alpha_bar * stds**2 + 1 - alpha_bar).sqrt()
    components = Normal(math.sqrt(alpha_bar) * means, noisy_stds)
    x = torch.tensor(xt, dtype=torch.float64, requires_grad=True)
    log_joint = weights.log() + components.log_prob(x)
    log_q = torch.logsumexp(log_joint, 0)
    (score,) = torch.autograd.grad(log_q, x)
    responsibilities = (log_joint - log_q).exp().detach()
    conditional = sum(float(r) * per_component(xt, alpha_bar, float(m), float(s))
                      for r, m, s in zip(responsibilities, means, stds))
    assert conditional == pytest.approx(-math.sqrt(1 - alpha_bar) * float(score), rel=1e-10, abs=1e-12)
