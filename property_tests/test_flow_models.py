"""reference_models/flows.py: the executable specifications of the flow lectures, at sizes the
derivations do not reach (d up to 10, stacked layers), and goodness-of-fit tests that can fail
(shown by their power against a wrong density). Fixed seeds; GOF tests at 1e-6."""

import math

import pytest
import torch
from torch.distributions import MultivariateNormal

from derivspec.reference_models import flows
from derivspec.reference_models.device import DTYPE, make_generator

CPU = torch.device("cpu")


@pytest.mark.parametrize("d, layers", [(2, 2), (3, 4), (5, 3)])
def test_composed_linear_flow_right_order_is_the_closed_form(d, layers):
    chain = flows.LinearFlowChain(d, layers, seed=d, device=CPU)
    x = chain.sample(500, make_generator(1, CPU))
    exact = chain.closed_form().log_prob(x)
    assert float((chain.log_prob(x, "right") - exact).abs().max()) < 1e-10
    assert float((chain.log_prob(x, "wrong") - exact).abs().max()) > 1e-2  # the order written at L3144


def test_wrong_order_latents_fail_the_normality_test():
    chain = flows.LinearFlowChain(3, 4, seed=3, device=CPU)
    x = chain.sample(50_000, make_generator(2, CPU))
    assert flows.standard_normal_ks_pvalue(chain.inverse(x, "right")) > flows.GOF_FALSE_FAIL_RATE
    assert flows.standard_normal_ks_pvalue(chain.inverse(x, "wrong")) < flows.GOF_FALSE_FAIL_RATE


def test_realnvp_is_exact():
    model = flows.RealNVP(2, 6, 32, seed=0, device=CPU)
    report = flows.realnvp_exactness(model, 256)
    assert report.round_trip < 1e-12 and report.log_det_vs_autograd < 1e-12 and report.inverse_log_det < 1e-12


def test_realnvp_at_higher_dimension_matches_autograd():
    model = flows.RealNVP(6, 4, 16, seed=1, device=CPU)
    report = flows.realnvp_exactness(model, 128)
    assert max(report.round_trip, report.log_det_vs_autograd, report.inverse_log_det) < 1e-11


def test_realnvp_density_integrates_to_one():
    model = flows.RealNVP(2, 6, 32, seed=0, device=CPU)
    edges = torch.linspace(-30, 30, 121, dtype=DTYPE)
    total = float(flows._bin_probabilities_2d(model.log_prob, edges, edges, nodes=6).sum())
    assert total == pytest.approx(1, abs=1e-4)


def test_gof_accepts_the_flow_and_rejects_a_perturbed_density():
    model = flows.RealNVP(2, 6, 32, seed=0, device=CPU)
    assert flows.realnvp_density_gof(model, n=100_000, bins=10, seed=5).passed

    class Tilted(flows.RealNVP):  # the same flow with a base of variance 1.1²: a wrong density
        def log_prob(self, x):
            z, log_det = self.inverse(x)
            return flows.std_normal_log_prob(z / 1.1) - 2 * math.log(1.1) + log_det

    wrong = Tilted(2, 6, 32, seed=0, device=CPU)
    assert not flows.realnvp_density_gof(wrong, n=100_000, bins=10, seed=5).passed


def test_maf_and_iaf_passes_and_inverse_relation():
    d = 6
    maf = flows.MAF(flows.MADE(d, seed=0, device=CPU))
    iaf = flows.IAF(flows.MADE(d, seed=1, device=CPU))
    z = torch.randn(64, d, generator=make_generator(3, CPU), dtype=DTYPE)
    with torch.no_grad():
        maf.made.calls = 0
        x = maf.forward(z)
        assert maf.made.calls == d
        maf.made.calls = 0
        assert float((maf.inverse(x)[0] - z).abs().max()) < 1e-12 and maf.made.calls == 1
        iaf.made.calls = 0
        xi, _ = iaf.forward(z)
        assert iaf.made.calls == 1
        iaf.made.calls = 0
        assert float((iaf.inverse(xi)[0] - z).abs().max()) < 1e-12 and iaf.made.calls == d
    # MAF's one-pass log-density is the change of variables with the autograd Jacobian
    auto = flows.autograd_log_det(lambda v: maf.inverse(v[None])[0][0], x).detach()
    with torch.no_grad():
        assert float((maf.log_prob(x) - (flows.std_normal_log_prob(maf.inverse(x)[0]) + auto)).abs().max()) < 1e-12


@pytest.mark.parametrize("d", [3, 10])
def test_planar_lemma_matches_autograd(d):
    g = make_generator(d, CPU)
    u, w = torch.randn(d, generator=g, dtype=DTYPE) / 2, torch.randn(d, generator=g, dtype=DTYPE) / 2
    b = torch.tensor(0.3, dtype=DTYPE)
    z = torch.randn(32, d, generator=g, dtype=DTYPE)
    auto = flows.autograd_log_det(lambda v: flows.planar(v[None], u, w, b)[0], z)
    assert float((auto - flows.planar_log_det_lemma(z, u, w, b)).abs().max()) < 1e-12


@pytest.mark.parametrize("height, width", [(1, 1), (2, 3), (4, 4)])
def test_conv1x1_log_det_scales_with_the_map(height, width):
    g = make_generator(7, CPU)
    W = torch.randn(3, 3, generator=g, dtype=DTYPE) + 2 * torch.eye(3, dtype=DTYPE)
    assert flows.conv1x1_log_det_autograd(W, height, width) == pytest.approx(
        height * width * float(torch.linalg.slogdet(W)[1]), rel=1e-12)


def test_linear_cnf_trace_not_determinant():
    A = torch.tensor([[0.3, 1.0], [-0.5, -0.2]], dtype=DTYPE)  # tr A = 0.1, det A = 0.44
    _, change = flows.cnf_log_density_change(lambda v: v @ A.T, torch.tensor([0.5, 0.1], dtype=DTYPE), 1.0)
    assert float(change) == pytest.approx(-0.1, abs=1e-12)
    assert abs(float(change) + float(torch.linalg.det(A))) > 0.3


def test_nonlinear_cnf_matches_the_discrete_change_of_variables():
    A = torch.tensor([[0.3, 1.0], [-0.5, -0.2]], dtype=DTYPE)

    def field(v):
        return torch.tanh(v @ A.T) + 0.1 * v

    z0 = torch.tensor([0.5, 0.1], dtype=DTYPE)
    _, change = flows.cnf_log_density_change(field, z0, 1.0)
    assert float(change) == pytest.approx(-float(flows.flow_map_log_det(field, z0, 1.0)), abs=1e-9)


def test_hutchinson_is_unbiased_with_gaussian_probes_too():
    field = flows.CountingField(8, seed=2, device=CPU)
    z = torch.randn(1, 8, generator=make_generator(4, CPU), dtype=DTYPE)
    exact = float(field.exact_trace(z)[0])
    estimates = field.hutchinson(z.expand(200_000, 8), make_generator(5, CPU), rademacher=False)
    zscore = (float(estimates.mean()) - exact) / float(estimates.std() / math.sqrt(len(estimates)))
    assert abs(zscore) < 5.33  # two-sided 1e-7


def test_box_muller_round_trip():
    g = make_generator(6, CPU)
    u1, u2 = torch.rand(1000, generator=g, dtype=DTYPE), torch.rand(1000, generator=g, dtype=DTYPE)
    v1, v2 = flows.box_muller_inverse(*flows.box_muller(u1, u2))
    assert float((v1 - u1).abs().max()) < 1e-12 and float(torch.minimum((v2 - u2).abs(), 1 - (v2 - u2).abs()).max()) < 1e-12


def test_count_modes_sees_one_mode_above_the_threshold():
    threshold = 6 ** (1 / 3)
    assert len(flows.count_modes(lambda y: flows.cubic_log_density(y, 0.9 * threshold), device=CPU)) == 2
    assert len(flows.count_modes(lambda y: flows.cubic_log_density(y, 1.1 * threshold), device=CPU)) == 1


@pytest.mark.slow
def test_trained_realnvp_fits_a_two_mode_mixture():
    g = make_generator(0, CPU)
    n = 20_000
    centres = torch.tensor([[-2.0, 0.0], [2.0, 0.0]], dtype=DTYPE)
    data = centres[torch.randint(2, (n,), generator=g)] + 0.5 * torch.randn(n, 2, generator=g, dtype=DTYPE)
    mixture = MultivariateNormal(centres, covariance_matrix=0.25 * torch.eye(2, dtype=DTYPE).expand(2, 2, 2))

    def true_log_prob(x):
        return torch.logsumexp(mixture.log_prob(x[:, None, :]), -1) - math.log(2)

    model = flows.RealNVP(2, 8, 32, seed=0, device=CPU)
    flows.fit_realnvp(model, data, steps=1500)
    test = centres[torch.randint(2, (20_000,), generator=g)] + 0.5 * torch.randn(20_000, 2, generator=g, dtype=DTYPE)
    with torch.no_grad():
        gap = float((true_log_prob(test) - model.log_prob(test)).mean())  # ≈ KL(p ‖ p_model) ≥ 0
    assert 0 <= gap < 0.1
