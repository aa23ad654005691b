"""DDPM family (derivations/ddpm/): the issue's check examples, defined symbols, the loss
weight over the standard schedule, the seed statements found wrong; ᾱ_T = Π(1 − β_t) and
"x_T ≈ N(0, I)" per schedule (recomputed with numpy); the T = 3 ELBO chain against an
independent route (log p(x_0) − KL of the latent posteriors, torch.distributions) and against the
reference chain's own closed form."""

import math

import numpy as np
import pytest
import sympy
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch.distributions import MultivariateNormal, Normal, kl_divergence

import derivspec.numerics.ddpm  # noqa: F401  registers the routes and behaviour checks (without validating other families)
from derivspec.core import registry
from derivspec.core.checker import compare, read_candidate
from derivspec.core.claims import Source
from derivspec.core.sources import compare_source
from derivspec.reference_models import linear_gaussian_chain as lgc


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
    claim = registry.get("ddpm.loss.weight")
    # "simplifies to": an informal summary (a note); the weight it drops, at t = 2 and t = T, is compared
    assert [compare_source(claim, s).status for s in claim.sources if s.lines == "544"] == ["not_comparable", "matches", "matches"]
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


# --- the schedule: ᾱ_T = Π(1 − β_t) and "x_T ≈ N(0, I)" per schedule -----------------------

def run_behaviour(claim, source):
    return registry.REGISTRY.behaviour(claim.id, source.behaviour).run(claim, source)


@given(st.lists(st.floats(0.001, 0.5), min_size=3, max_size=3))
def test_alpha_bar_target_equals_numpy_cumprod(betas):
    claim = registry.get("ddpm.schedule.alpha-bar")
    subs = {claim.symbols[f"beta{t}"]: sympy.Float(b, 30) for t, b in enumerate(betas, 1)}
    assert float(claim.target.subs(subs)) == pytest.approx(float(np.cumprod(1 - np.array(betas))[-1]), rel=1e-12)


@pytest.mark.parametrize("form", [
    {"formula": "(1 - beta1)*(1 - beta2)*(1 - beta3)"},
    {"latex": r"(1-\beta_1)(1-\beta_2)(1-\beta_3)"},
    {"formula": "1 - beta1 - beta2 - beta3 + beta1*beta2 + beta1*beta3 + beta2*beta3 - beta1*beta2*beta3"},
])
def test_alpha_bar_forms(form):
    assert verdict("ddpm.schedule.alpha-bar", **form)[0] == "equivalent"


@pytest.mark.parametrize("latex", [r"1 - \beta_1 - \beta_2 - \beta_3", r"(1-\beta_1)(1-\beta_2)"])
def test_alpha_bar_first_order_and_early_stop_are_rejected(latex):
    result, counterexample = verdict("ddpm.schedule.alpha-bar", latex=latex)
    assert result == "not_equivalent" and counterexample is not None


def numpy_alpha_bar_T(schedule):
    """ᾱ_T recomputed with numpy: linear β (Ho et al.) or cosine ᾱ_t = f(t)/f(0) with β_t ≤ 0.999 (Nichol & Dhariwal)."""
    if "s" in schedule:
        T, s = schedule["T"], schedule["s"]
        f = np.cos((np.arange(T + 1) / T + s) / (1 + s) * np.pi / 2) ** 2
        betas = np.minimum(1 - f[1:] / f[:-1], 0.999)
    else:
        betas = np.linspace(schedule["beta_1"], schedule["beta_T"], schedule["T"])
    return float(np.prod(1 - betas))


def test_pure_noise_holds_for_the_lectures_schedules_and_fails_for_too_little_noise():
    """004 L3367 per schedule: linear (Ho et al.) and cosine hold; the check rejects too little total noise and
    T = 50 (schedules the notes never use, so not sources: the note of L3367 says so)."""
    claim = registry.get("ddpm.schedule.alpha-bar")
    behaviours = [s for s in claim.sources if s.behaviour]
    assert len(behaviours) == 2
    for source in behaviours:
        alpha_bar_T = numpy_alpha_bar_T(source.at)
        result = compare_source(claim, source, run_behaviour=run_behaviour)
        assert alpha_bar_T < 1e-3 and result.status == "matches", (source.at, alpha_bar_T, result.evidence)
        assert f"{alpha_bar_T:.3g}" in result.evidence
    values = sorted(numpy_alpha_bar_T(s.at) for s in behaviours)
    assert values[0] < 1e-8 and values[1] == pytest.approx(4.04e-5, rel=1e-2)  # cosine, standard linear
    check = registry.REGISTRY.behaviour(claim.id, "linear_schedule_ends_in_noise")
    for schedule in ({"T": 1000, "beta_1": 1e-5, "beta_T": 1e-3}, {"T": 50, "beta_1": 1e-4, "beta_T": 0.02}):
        holds, evidence = check.run(claim, Source(claim.sources[0].file, "3367", "x_T", behaviour=check.name, at=schedule))
        assert not holds and numpy_alpha_bar_T(schedule) == pytest.approx(0.603, abs=1e-3), evidence


def test_ddpm_errata_are_the_missing_bars():
    """The errata of the family: α_t written where the notes' ᾱ_t is meant (004 L3374, L3389). The simple-loss
    summaries (002 L544, 004 L3379–3380), Bayes without x_0 (002 L438–441) and x_T ≈ N(0, I) for schedules the notes
    never use are notes, not errata (issue 16's review)."""
    found = set()
    for claim_id in registry.REGISTRY.ids():
        if claim_id.startswith("ddpm."):
            claim = registry.get(claim_id)
            for source in claim.sources:
                if compare_source(claim, source, run_behaviour=run_behaviour).status == "disagrees":
                    found.add((claim_id, source.file[:3], source.lines, tuple(sorted(source.at.items()))))
    assert found == {("ddpm.marginal.mean", "004", "3389", ()), ("ddpm.marginal.variance", "004", "3389", ()),
                     ("ddpm.forward.add-noise", "004", "3389", ()),
                     ("ddpm.posterior.mean-eps", "004", "3374", ())}


# --- the ELBO as a chain of KLs (T = 3) ----------------------------------------------------

def chain_point_strategy():
    claim = registry.get("ddpm.elbo.chain")
    return st.fixed_dictionaries({v.name: st.floats(v.domain.sample_low, v.domain.sample_high) for v in claim.variables})


def exact(claim, point):
    return float(sympy.N(claim.target.subs({claim.symbols[k]: sympy.Float(v, 30) for k, v in point.items()}), 30))


def evidence_minus_posterior_kl(point):
    """log p(x_0) − KL(q(x_{1:3}|x_0) ‖ p(x_{1:3}|x_0)) with torch.distributions (written here, not imported):
    both joints as x = mean + L ξ, the reverse one conditioned on x_0 by Gaussian conditioning."""
    T = 3
    alphas = torch.tensor([point[f"alpha{t}"] for t in (1, 2, 3)], dtype=torch.float64)
    a, c, v = (torch.tensor([point[f"{k}{t}"] for t in (1, 2, 3)], dtype=torch.float64) for k in "acv")
    x0 = point["x0"]
    # forward: x_t = √α_t x_{t−1} + √(1 − α_t) ξ_t from x_0
    q_mean, q_L, mean, row = [], torch.zeros(T, T, dtype=torch.float64), x0, torch.zeros(T, dtype=torch.float64)
    for t in range(T):
        mean = alphas[t].sqrt() * mean
        row = alphas[t].sqrt() * row
        row[t] = (1 - alphas[t]).sqrt()
        q_mean.append(mean)
        q_L[t] = row
    q = MultivariateNormal(torch.stack([torch.as_tensor(m, dtype=torch.float64) for m in q_mean]), q_L @ q_L.T)
    # reverse: x_3 = ξ_3, x_{t−1} = a_t x_t + c_t + √v_t ξ_{t−1}; coordinates (x_0, x_1, x_2, x_3)
    p_mean, p_L = torch.zeros(T + 1, dtype=torch.float64), torch.zeros(T + 1, T + 1, dtype=torch.float64)
    p_L[T, T] = 1.0
    for t in range(T, 0, -1):
        p_mean[t - 1] = a[t - 1] * p_mean[t] + c[t - 1]
        p_L[t - 1] = a[t - 1] * p_L[t]
        p_L[t - 1, t - 1] = v[t - 1].sqrt()
    p_cov = p_L @ p_L.T
    log_evidence = Normal(p_mean[0], p_cov[0, 0].sqrt()).log_prob(torch.tensor(x0, dtype=torch.float64))
    gain = p_cov[1:, :1] / p_cov[0, 0]
    posterior = MultivariateNormal(p_mean[1:] + gain[:, 0] * (x0 - p_mean[0]), p_cov[1:, 1:] - gain @ p_cov[:1, 1:])
    return float(log_evidence - kl_divergence(q, posterior))


@settings(max_examples=25, deadline=None)
@given(chain_point_strategy())
def test_elbo_chain_target_equals_evidence_minus_posterior_kl(point):
    claim = registry.get("ddpm.elbo.chain")
    assert exact(claim, point) == pytest.approx(evidence_minus_posterior_kl(point), rel=1e-9, abs=1e-10)


@settings(max_examples=25, deadline=None)
@given(chain_point_strategy())
def test_elbo_chain_target_equals_the_reference_chain_of_kls(point):
    claim = registry.get("ddpm.elbo.chain")
    alphas = torch.tensor([point[f"alpha{t}"] for t in (1, 2, 3)], dtype=torch.float64)
    params = lgc.ReverseParams(*(torch.tensor([point[f"{k}{t}"] for t in (1, 2, 3)], dtype=torch.float64) for k in "acv"))
    assert exact(claim, point) == pytest.approx(lgc.chain_elbo_closed_form(point["x0"], alphas, params), rel=1e-9, abs=1e-10)


def test_elbo_chain_sources_match():
    """002 L443–444 (T = 3 and, numerically, T = 10), the HVAE form of L409–416, the bound of L536–537 and the
    KL sum of 003 L2166 all hold."""
    claim = registry.get("ddpm.elbo.chain")
    results = [compare_source(claim, s, run_behaviour=run_behaviour) for s in claim.sources]
    assert [r.status for r in results] == ["matches"] * 5, [(r.source.lines, r.status, r.evidence) for r in results]


def test_elbo_chain_behaviours_fail_on_a_wrong_chain(monkeypatch):
    """The larger-T check can fail: with the prior term dropped from the reference chain it says no."""
    claim = registry.get("ddpm.elbo.chain")
    source = next(s for s in claim.sources if s.behaviour == "chain_of_kls_is_the_elbo")
    monkeypatch.setattr(lgc, "chain_elbo_closed_form",
                        lambda x0, alphas, params: lgc.wrong_chain_elbo(x0, alphas, params, "no_prior_term"))
    holds, evidence = run_behaviour(claim, source)
    assert not holds, evidence
