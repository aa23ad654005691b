"""Contrastive family (derivations/contrastive/): symbolic targets against torch routes written
again here, general batch sizes checked numerically, forms accepted by ``check``, the errata
recomputed by independent arithmetic, and the dual-encoder reference model's figures."""

import math

import pytest
import sympy
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st

from derivspec.core import registry
from derivspec.core.checker import compare, read_candidate
from derivspec.core.sources import compare_source
from derivspec.reference_models.device import DTYPE, make_generator
from derivspec.reference_models.dual_encoder import (DualEncoder, bound_estimate, clip_loss, correlated_pairs,
                                                     gaussian_mutual_information, infonce_rows, optimal_critic,
                                                     train_infonce)

# A Monte Carlo comparison in these tests fails a correct model with probability ~1e-6.
Z_CRITICAL = 4.89  # two-sided normal quantile for 1e-6


def exact_target(claim_id, **point):
    claim = registry.get(claim_id)
    subs = {claim.symbols[k]: sympy.Rational(v).limit_denominator(10**12) if isinstance(v, float) else v
            for k, v in point.items()}
    return float(sympy.N(claim.target.subs(subs), 30))


def t(*values):
    return torch.tensor(values, dtype=DTYPE)


reals = st.floats(-3, 3, allow_nan=False)
taus = st.floats(0.25, 3, allow_nan=False)
unit = st.floats(0.05, 0.95, allow_nan=False)
rhos = st.floats(-0.95, 0.95, allow_nan=False)


# --- InfoNCE -----------------------------------------------------------------------------------


@settings(max_examples=25)
@given(a1=reals, a2=reals, a3=reals, tau=taus)
def test_infonce_is_cross_entropy_of_the_row(a1, a2, a3, tau):
    want = float(F.cross_entropy(t(a1, a2, a3)[None] / tau, torch.tensor([0])))
    assert exact_target("contrastive.infonce", a1=a1, a2=a2, a3=a3, tau=tau) == pytest.approx(want, rel=1e-10, abs=1e-12)


@settings(max_examples=25)
@given(a1=reals, a2=reals, a3=reals, tau=taus)
def test_infonce_gradients_are_autograd(a1, a2, a3, tau):
    row = t(a1, a2, a3).requires_grad_(True)
    F.cross_entropy(row[None] / tau, torch.tensor([0])).backward()
    point = dict(a1=a1, a2=a2, a3=a3, tau=tau)
    assert exact_target("contrastive.infonce.grad-positive", **point) == pytest.approx(float(row.grad[0]), rel=1e-9, abs=1e-12)
    assert exact_target("contrastive.infonce.grad-negative", **point) == pytest.approx(float(row.grad[1]), rel=1e-9, abs=1e-12)


@pytest.mark.parametrize("n", [2, 5, 17, 64])
def test_general_batch_gradient_is_softmax_minus_onehot_over_tau(n):
    generator = make_generator(n, torch.device("cpu"))
    tau = 0.3
    row = (2 * torch.randn(n, generator=generator, dtype=DTYPE)).requires_grad_(True)
    F.cross_entropy(row[None] / tau, torch.tensor([0])).backward()
    expected = (torch.softmax(row.detach() / tau, 0) - F.one_hot(torch.tensor(0), n)) / tau
    assert torch.allclose(row.grad, expected, rtol=1e-12, atol=1e-14)
    assert row.grad[0] < 0 and (row.grad[1:] > 0).all()  # descent raises the positive, lowers every negative


@pytest.mark.parametrize("n", [2, 3, 8, 100, 1000])
def test_uniform_similarities_give_log_n(n):
    assert exact_target("contrastive.infonce.uniform", N=n, c=sympy.Rational(7, 10)) == pytest.approx(math.log(n), rel=1e-14)
    assert float(F.cross_entropy(torch.full((1, n), 0.7, dtype=DTYPE), torch.tensor([0]))) == pytest.approx(math.log(n), rel=1e-12)


@pytest.mark.parametrize("n", [2, 4, 9])
def test_temperature_limits_at_general_batch_size(n):
    generator = make_generator(100 + n, torch.device("cpu"))
    rows = 3 * torch.randn(200, n, generator=generator, dtype=DTYPE)
    labels = torch.zeros(200, dtype=torch.long)
    hot = F.cross_entropy(rows / 1e10, labels, reduction="none")
    assert torch.allclose(hot, torch.full_like(hot, math.log(n)), rtol=1e-8)
    cold = 1e-9 * F.cross_entropy(rows / 1e-9, labels, reduction="none")
    hard_max = rows.max(1).values - rows[:, 0]
    assert torch.allclose(cold, hard_max, atol=1e-8)


def test_cold_limit_target_is_the_hard_max_margin():
    claim = registry.get("contrastive.infonce.cold-limit")
    a1, a2, a3 = (claim.symbols[k] for k in ("a1", "a2", "a3"))
    assert claim.target.subs({a1: 2, a2: 1, a3: 0}) == 0  # positive ranked first: the loss vanishes as τ → 0
    assert claim.target.subs({a1: 0, a2: 1, a3: 3}) == 3  # best negative beats it by 3


def test_clip_loss_target_matches_the_reference_model_at_a_point():
    generator = make_generator(3, torch.device("cpu"))
    S = 2 * torch.randn(3, 3, generator=generator, dtype=DTYPE)
    point = {f"s{i + 1}{j + 1}": float(S[i, j]) for i in range(3) for j in range(3)}
    by_hand = 0.5 * (F.cross_entropy(S, torch.arange(3)) + F.cross_entropy(S.T, torch.arange(3)))
    assert exact_target("contrastive.clip.symmetric", **point) == pytest.approx(float(by_hand), rel=1e-10)
    assert float(clip_loss(S)) == pytest.approx(float(by_hand), rel=1e-12)


@pytest.mark.parametrize("n", [2, 7, 32])
def test_clip_loss_at_general_batch_size_is_mean_of_both_directions(n):
    generator = make_generator(n, torch.device("cpu"))
    S = torch.randn(n, n, generator=generator, dtype=DTYPE)
    rows = -torch.log_softmax(S, 1).diagonal().mean()
    columns = -torch.log_softmax(S, 0).diagonal().mean()
    assert float(clip_loss(S)) == pytest.approx(float((rows + columns) / 2), rel=1e-12)
    assert torch.allclose(infonce_rows(S), -torch.log_softmax(S, 1).diagonal())


# --- mutual information, the optimal critic, the bound ---------------------------------------------


@settings(max_examples=20)
@given(rho=rhos)
def test_gaussian_mi_is_torch_entropies(rho):
    assert exact_target("contrastive.mi.gaussian", rho=rho) == pytest.approx(gaussian_mutual_information(rho), rel=1e-10,
                                                                             abs=1e-14)


@pytest.mark.parametrize("point", [(0.3, -1.2, 0.5), (-0.9, 2.0, 1.5), (0.0, 0.7, -0.4)])
def test_written_log_densities_are_the_logs_of_sympy_stats_densities(point):
    from derivspec.derivations.contrastive import mutual_information as mi

    rho, u, v = (sympy.Rational(str(value)) for value in point)
    at = {mi.rho: rho}
    joint = sympy.log(mi.joint_density(u, v)) - mi.log_joint_density(u, v)
    conditional = sympy.log(mi.normal_density(v, rho * u, 1 - rho**2)) - mi.log_normal_density(v, rho * u, 1 - rho**2)
    assert abs(sympy.N(joint.subs(at), 40)) < 1e-35 and abs(sympy.N(conditional.subs(at), 40)) < 1e-35


@pytest.mark.parametrize("d", [1, 3, 8])
def test_mi_of_d_independent_pairs_is_d_times_the_pair(d):
    rho = 0.7
    cov = torch.eye(2 * d, dtype=DTYPE)
    cov[:d, d:] = cov[d:, :d] = rho * torch.eye(d, dtype=DTYPE)
    joint = torch.distributions.MultivariateNormal(torch.zeros(2 * d, dtype=DTYPE), covariance_matrix=cov).entropy()
    marginal = torch.distributions.MultivariateNormal(torch.zeros(d, dtype=DTYPE), covariance_matrix=torch.eye(d, dtype=DTYPE)).entropy()
    assert float(2 * marginal - joint) == pytest.approx(d * exact_target("contrastive.mi.gaussian", rho=rho), rel=1e-12)


@settings(max_examples=25)
@given(x=st.floats(-2.5, 2.5), y1=st.floats(-2.5, 2.5), y2=st.floats(-2.5, 2.5), rho=rhos)
def test_optimal_critic_difference_is_the_log_density_ratio(x, y1, y2, rho):
    critic = optimal_critic(rho)
    values = critic(t(x)[None, None], torch.stack([t(y1), t(y2)])[None])[0, 0]
    want = float(values[0] - values[1])
    assert exact_target("contrastive.infonce.optimal-critic", x=x, y1=y1, y2=y2, rho=rho) == pytest.approx(want, rel=1e-9, abs=1e-10)


@pytest.mark.parametrize("r", [0.1, 0.5, 0.9])
def test_binary_bound_is_half_the_mutual_information(r):
    # independent arithmetic: enumerate (x, y1, y2) with the critic log p(y|x)/p(y) = log(1 ± r)
    bound = 0.0
    for x in (0, 1):
        for y1 in (0, 1):
            for y2 in (0, 1):
                p = 0.5 * ((1 + r) / 2 if y1 == x else (1 - r) / 2) * 0.5
                f1 = math.log(1 + r) if y1 == x else math.log(1 - r)
                f2 = math.log(1 + r) if y2 == x else math.log(1 - r)
                bound += p * (f1 - math.log((math.exp(f1) + math.exp(f2)) / 2))
    q = (1 + r) / 2
    mi = math.log(2) + q * math.log(q) + (1 - q) * math.log(1 - q)
    assert bound == pytest.approx(mi / 2, rel=1e-12)
    assert exact_target("contrastive.infonce.mi-bound", r=r) == pytest.approx(bound, rel=1e-12)
    assert bound < mi < math.log(2)


def test_infonce_bound_with_the_optimal_critic_grows_with_n_and_stays_below_min_of_i_and_log_n():
    rho, d = 0.9, 2
    mi = gaussian_mutual_information(rho, d)  # 1.66 nats
    previous = -math.inf
    for n in (2, 8, 64):
        estimate, stderr = bound_estimate(optimal_critic(rho), d, rho, n, 3000, seed=n)
        assert estimate <= min(mi, math.log(n)) + Z_CRITICAL * stderr
        assert estimate > previous - Z_CRITICAL * stderr
        previous = estimate
    assert previous > 0.9 * mi  # at N = 64 (log N = 4.16 > I) the bound is within 10 % of I


def test_trained_dual_encoder_bound_is_below_i_and_log_n_and_near_the_optimal_critic():
    for rho, n in ((0.5, 4), (0.9, 16)):
        trained = train_infonce(1, rho, n, steps=300, seed=1)
        estimate, stderr = bound_estimate(trained.model.similarity, 1, rho, n, 1500, seed=2)
        best, _ = bound_estimate(optimal_critic(rho), 1, rho, n, 1500, seed=2)
        mi = gaussian_mutual_information(rho)
        assert estimate <= mi + Z_CRITICAL * stderr and estimate <= math.log(n)
        assert estimate >= 0.85 * best  # the quadratic-feature critic nearly reaches the optimal critic's bound


def test_bound_saturates_at_log_n_when_i_exceeds_it():
    rho, d, n = 0.99, 4, 8
    mi = gaussian_mutual_information(rho, d)
    estimate, _ = bound_estimate(optimal_critic(rho), d, rho, n, 1000, seed=4)
    assert mi > 2.5 * math.log(n)
    assert math.log(n) - 0.15 < estimate <= math.log(n)


def test_a_bilinear_critic_loses_bound_against_quadratic_features():
    rho, n = 0.9, 16
    quadratic = train_infonce(1, rho, n, steps=300, seed=5)
    bilinear = train_infonce(1, rho, n, steps=300, seed=5, quadratic=False)
    q, _ = bound_estimate(quadratic.model.similarity, 1, rho, n, 1500, seed=6)
    b, _ = bound_estimate(bilinear.model.similarity, 1, rho, n, 1500, seed=6)
    assert b < q - 0.1  # x^T W y cannot represent the optimal critic's ‖y‖² term


def test_dual_encoder_similarity_is_a_dot_product_of_linear_encodings():
    generator = make_generator(7, torch.device("cpu"))
    model = DualEncoder(3, generator=generator)
    x, y = correlated_pairs(5, 3, 0.5, generator)
    assert torch.allclose(model.similarity(x, y), model.encode_x(x) @ model.encode_y(y).T)


# --- cross-entropy and label smoothing ---------------------------------------------------------------


@settings(max_examples=25)
@given(u=unit, d1=unit, d2=unit, q1=unit, q2=unit)
def test_conditional_cross_entropy_by_enumeration(u, d1, d2, q1, q2):
    want = 0.0
    for px, d, q in ((u, d1, q1), (1 - u, d2, q2)):
        want += px * -(d * math.log(q) + (1 - d) * math.log(1 - q))
    assert exact_target("contrastive.ce.conditional", u=u, d1=d1, d2=d2, q1=q1, q2=q2) == pytest.approx(want, rel=1e-10)


@settings(max_examples=25)
@given(h1=reals, h2=reals, h3=reals, eps=unit)
def test_label_smoothing_is_torchs_label_smoothing(h1, h2, h3, eps):
    want = float(F.cross_entropy(t(h1, h2, h3)[None], torch.tensor([0]), label_smoothing=eps))
    assert exact_target("contrastive.label-smoothing", h1=h1, h2=h2, h3=h3, eps=eps) == pytest.approx(want, rel=1e-10)


@settings(max_examples=25)
@given(h1=reals, h2=reals, h3=reals, eps=st.floats(0.05, 0.6))
def test_other_convention_is_torchs_smoothing_at_eps_k_over_k_minus_1(h1, h2, h3, eps):
    soft = float(F.cross_entropy(t(h1, h2, h3)[None], t(1 - eps, eps / 2, eps / 2)[None]))
    mapped = float(F.cross_entropy(t(h1, h2, h3)[None], torch.tensor([0]), label_smoothing=1.5 * eps))
    got = exact_target("contrastive.label-smoothing.other-convention", h1=h1, h2=h2, h3=h3, eps=eps)
    assert got == pytest.approx(soft, rel=1e-10) and got == pytest.approx(mapped, rel=1e-10)


def test_torch_uses_the_eps_over_k_convention_not_eps_over_k_minus_1():
    logits, eps = t(2.0, 0.5, -1.0)[None], 0.3
    torch_value = float(F.cross_entropy(logits, torch.tensor([0]), label_smoothing=eps))
    over_k = float(F.cross_entropy(logits, t(1 - eps + eps / 3, eps / 3, eps / 3)[None]))
    over_k_minus_1 = float(F.cross_entropy(logits, t(1 - eps, eps / 2, eps / 2)[None]))
    assert torch_value == pytest.approx(over_k, rel=1e-12)
    assert abs(torch_value - over_k_minus_1) > 1e-3


@pytest.mark.parametrize("k, eps", [(2, 0.1), (10, 0.1), (50, 0.3), (1000, 0.05)])
def test_label_smoothing_minimiser_by_closed_form_softmax(k, eps):
    target = torch.full((k,), eps / k, dtype=DTYPE)
    target[0] += 1 - eps
    logits = torch.log(target)  # softmax(log q) = q: the minimiser of CE(q, softmax(h)) by Gibbs
    gap = float(logits[0] - logits[1])
    assert exact_target("contrastive.label-smoothing.minimiser", eps=eps, K=k) == pytest.approx(gap, rel=1e-12)
    gradient = torch.softmax(logits, 0) - target
    assert float(gradient.abs().max()) < 1e-13


# --- forms accepted by check -----------------------------------------------------------------------

CORRECT_FORMS = {
    "contrastive.infonce": (
        ["-a1/tau + log(exp(a1/tau)+exp(a2/tau)+exp(a3/tau))", "-log(exp(a1/tau)/(exp(a1/tau)+exp(a2/tau)+exp(a3/tau)))",
         "(-a1 + tau*log(exp(a1/tau)+exp(a2/tau)+exp(a3/tau)))/tau"],
        [r"-\log\frac{e^{a_1/\tau}}{e^{a_1/\tau}+e^{a_2/\tau}+e^{a_3/\tau}}",
         r"-\frac{a_1}{\tau}+\log\left(\exp(a_1/\tau)+\exp(a_2/\tau)+\exp(a_3/\tau)\right)"],
        ["log(exp(a2/tau)+exp(a3/tau)) - a1/tau", "-a1*tau + log(exp(a1*tau)+exp(a2*tau)+exp(a3*tau))"]),
    "contrastive.infonce.grad-positive": (
        ["(exp(a1/tau)/(exp(a1/tau)+exp(a2/tau)+exp(a3/tau)) - 1)/tau",
         "-(exp(a2/tau)+exp(a3/tau))/(tau*(exp(a1/tau)+exp(a2/tau)+exp(a3/tau)))",
         "-1/(tau*(1 + 1/(exp((a2-a1)/tau)+exp((a3-a1)/tau))))"],
        [r"\frac{1}{\tau}\left(\frac{e^{a_1/\tau}}{e^{a_1/\tau}+e^{a_2/\tau}+e^{a_3/\tau}}-1\right)"],
        ["exp(a1/tau)/(exp(a1/tau)+exp(a2/tau)+exp(a3/tau)) - 1"]),
    "contrastive.mi.gaussian": (
        ["-log(1-rho^2)/2", "log(1/sqrt(1-rho**2))", "log(1-rho**2)/(-2)"],
        [r"-\frac12\log(1-\rho^2)", r"\frac{1}{2}\log\frac{1}{1-\rho^2}", r"\log\frac{1}{\sqrt{1-\rho^{2}}}"],
        ["-log(1-rho^2)", "rho^2/2"]),
    "contrastive.infonce.optimal-critic": (
        ["rho*x*(y1-y2)/(1-rho^2) - rho^2*(y1^2-y2^2)/(2*(1-rho^2))",
         "(2*rho*x*y1 - rho^2*y1^2 - 2*rho*x*y2 + rho^2*y2^2)/(2*(1-rho^2))",
         "rho*(y1-y2)*(2*x - rho*(y1+y2))/(2*(1-rho^2))"],
        [r"\frac{\rho x (y_1 - y_2)}{1-\rho^2} - \frac{\rho^2 (y_1^2 - y_2^2)}{2(1-\rho^2)}",
         r"\frac{\rho (y_1-y_2)(2x - \rho(y_1+y_2))}{2(1-\rho^2)}"],
        ["rho*x*(y1-y2)/(1-rho^2)", "rho*x*(y1-y2) - rho^2*(y1^2-y2^2)/2"]),
    "contrastive.infonce.mi-bound": (
        ["((1+r)*log(1+r) + (1-r)*log(1-r))/4", "(log(2) + (1+r)/2*log((1+r)/2) + (1-r)/2*log((1-r)/2))/2",
         "(log(1+r) + log(1-r) + r*log((1+r)/(1-r)))/4"],
        [r"\frac{1}{4}\left[(1+r)\log(1+r)+(1-r)\log(1-r)\right]"],
        ["((1+r)*log(1+r) + (1-r)*log(1-r))/2", "log(2)"]),
    "contrastive.label-smoothing": (
        ["(1-eps)*(log(exp(h1)+exp(h2)+exp(h3)) - h1) + eps*(log(exp(h1)+exp(h2)+exp(h3)) - (h1+h2+h3)/3)",
         "log(exp(h1)+exp(h2)+exp(h3)) - (1-eps)*h1 - eps*(h1+h2+h3)/3",
         "-(1-2*eps/3)*h1 - eps*(h2+h3)/3 + log(exp(h1)+exp(h2)+exp(h3))"],
        [r"\log\left(e^{h_1}+e^{h_2}+e^{h_3}\right) - (1-\varepsilon) h_1 - \frac{\varepsilon}{3}(h_1+h_2+h_3)"],
        ["log(exp(h1)+exp(h2)+exp(h3)) - (1-eps)*h1 - eps*(h2+h3)/2",
         "log(exp(h1)+exp(h2)+exp(h3)) - h1 + eps*(log(exp(h1)+exp(h2)+exp(h3)) - (h1+h2+h3)/3)"]),
    "contrastive.label-smoothing.minimiser": (
        ["log(1 + K*(1-eps)/eps)", "log((eps + K*(1-eps))/eps)", "log((1-eps+eps/K)/(eps/K))"],
        [r"\log\left(1+\frac{K(1-\varepsilon)}{\varepsilon}\right)", r"\log\frac{1-\varepsilon+\varepsilon/K}{\varepsilon/K}"],
        ["log(K*(1-eps)/eps)", "log((1-eps)/eps)"]),
}


@pytest.mark.parametrize("claim_id", sorted(CORRECT_FORMS))
def test_check_accepts_forms_used_in_practice_and_rejects_mistakes(claim_id):
    claim = registry.get(claim_id)
    formulas, latexes, mistakes = CORRECT_FORMS[claim_id]
    parsed = [read_candidate(claim, formula=f) for f in formulas] + [read_candidate(claim, latex=x) for x in latexes]
    assert len({sympy.srepr(p) for p in parsed}) >= 2  # really different forms
    for candidate in parsed:
        assert compare(claim, candidate).verdict == "equivalent", candidate
    for mistake in mistakes:
        assert compare(claim, read_candidate(claim, formula=mistake)).verdict == "not_equivalent", mistake


# Correct forms SymPy does not reduce to the target (the checker answers ``inconclusive``, never
# ``not_equivalent``): listed in the family's report for the owner of the checker.
UNDECIDED_FORMS = {
    "contrastive.infonce": ["log(1 + exp((a2-a1)/tau) + exp((a3-a1)/tau))"],
    "contrastive.mi.gaussian": ["-(log(1-rho)+log(1+rho))/2"],
}


@pytest.mark.parametrize("claim_id", sorted(UNDECIDED_FORMS))
def test_correct_forms_sympy_cannot_prove_are_never_rejected(claim_id):
    claim = registry.get(claim_id)
    for form in UNDECIDED_FORMS[claim_id]:
        assert compare(claim, read_candidate(claim, formula=form)).verdict != "not_equivalent", form


# --- sources ---------------------------------------------------------------------------------------


def _sources(claim_id):
    claim = registry.get(claim_id)
    return claim, {(s.file[:3], s.lines): s for s in claim.sources}


def test_infonce_sources_match_as_written():
    claim, sources = _sources("contrastive.infonce")
    for key in (("001", "61–76"), ("001", "296–303"), ("000", "370–372")):
        assert compare_source(claim, sources[key]).status == "matches"


def test_conditional_ce_statements_hold_up_to_the_conditional_entropy():
    claim, sources = _sources("contrastive.ce.conditional")
    for key in (("001", "122–134"), ("001", "305–312")):
        result = compare_source(claim, sources[key])
        assert result.status == "matches", result.evidence


def test_symmetrised_clip_statement_matches_up_to_the_factor_it_leaves_open():
    claim, sources = _sources("contrastive.clip.symmetric")
    assert compare_source(claim, sources[("001", "78")]).status == "matches"


def test_infonce_approx_mi_statements_are_read_as_the_lower_bound_not_flagged():
    # independent arithmetic: with I = −(d/2) log(1 − ρ²) > log N, no critic's estimate gets within 10 % of I
    # (log N − L ≤ log N since L ≥ 0) -- so "≈ maximize MI" can only mean maximising the bound; it is not an erratum
    rho, d, n = 0.99, 4, 16
    mi = -d / 2 * math.log(1 - rho**2)
    assert math.log(n) < 0.9 * mi
    claim, sources = _sources("contrastive.infonce.mi-bound")
    for key in (("001", "86"), ("001", "303"), ("001", "84")):
        assert compare_source(claim, sources[key], run_behaviour=run_behaviour_check).status == "matches"


def run_behaviour_check(claim, source):
    import derivspec.numerics.contrastive  # noqa: F401  registers the behaviour checks

    return registry.REGISTRY.behaviour(claim.id, source.behaviour).run(claim, source)
