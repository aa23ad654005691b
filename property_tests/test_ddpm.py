"""DDPM family (derivations/ddpm.py): the issue's check examples, defined symbols, the loss
weight over the standard schedule, and the seed statements found wrong."""

import numpy as np
import pytest
import sympy

from derivspec import registry
from derivspec.checker import compare, read_candidate
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
