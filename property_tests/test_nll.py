"""NLL family (derivations/nll/): symbolic target = independent numeric route, wrong
variants rejected, correct forms accepted, sources compared."""

import math

import pytest
import sympy
import torch
import torch.nn.functional as F
from hypothesis import given
from hypothesis import strategies as st

from derivspec.core import registry
from derivspec.core.checker import compare, read_candidate
from derivspec.core.sources import compare_source
from derivspec.app.verify import verify_claim
from derivspec.numerics.checks import NumericContext
from derivspec.reference_models.device import resolve_device
from recompute import recomputes



def value_strategy(var):
    d = var.domain
    if d.values is not None:
        return st.sampled_from(d.values)
    return st.floats(d.sample_low, d.sample_high, allow_nan=False)


def point_strategy(claim):
    return st.fixed_dictionaries({v.name: value_strategy(v) for v in claim.variables})


def exact_target(claim, point):
    """The derived target at ``point``, evaluated by mpmath at 30 digits."""
    subs = {claim.symbols[k]: sympy.Float(v, 30) for k, v in point.items()}
    return float(sympy.N(claim.target.subs(subs), 30))


def t(x):
    return torch.tensor(float(x), dtype=torch.float64)


def autograd(loss, at):
    at = t(at).requires_grad_(True)
    loss(at).backward()
    return float(at.grad)


# Independent torch routes, written here again on purpose (not imported from numerics/).
TORCH_ROUTES = {
    "nll.gaussian": lambda y, mu, sigma: float(-torch.distributions.Normal(t(mu), t(sigma)).log_prob(t(y))),
    "nll.bernoulli": lambda y, p: float(F.binary_cross_entropy(t(p), t(y))),
    "nll.categorical": lambda h1, h2, h3: float(F.cross_entropy(torch.stack([t(h1), t(h2), t(h3)])[None],
                                                                torch.tensor([0]))),
    "nll.bernoulli.logits": lambda y, z: float(F.binary_cross_entropy_with_logits(t(z), t(y))),
    "nll.grad.logistic": lambda y, theta, x: autograd(
        lambda th: F.binary_cross_entropy_with_logits(th * x, t(y)), theta),
    "nll.grad.linear-regression": lambda y, theta, x, sigma: autograd(
        lambda th: -torch.distributions.Normal(th * x, t(sigma)).log_prob(t(y)), theta),
    "nll.grad.softmax.true-class": lambda h1, h2, h3: autograd(
        lambda a: F.cross_entropy(torch.stack([a, t(h2), t(h3)])[None], torch.tensor([0])), h1),
    "nll.grad.softmax.other-class": lambda h1, h2, h3: autograd(
        lambda b: F.cross_entropy(torch.stack([t(h1), b, t(h3)])[None], torch.tensor([0])), h2),
    "nll.gaussian.mse-scale": lambda sigma: autograd(
        lambda m: -torch.distributions.Normal(m, t(sigma)).log_prob(t(0.3)), 1.1) / autograd(
        lambda m: F.mse_loss(m, t(0.3)), 1.1),
    "nll.gaussian.ols-gradient": lambda theta, **d: autograd(
        lambda th: sum((d[f"y{i}"] - th * d[f"x{i}"]) ** 2 for i in (1, 2, 3)), theta),
}


@pytest.mark.parametrize("claim_id", sorted(TORCH_ROUTES))
def test_symbolic_target_equals_torch_route(claim_id):
    claim = registry.get(claim_id)
    route = TORCH_ROUTES[claim_id]

    @given(point_strategy(claim))
    def prop(point):
        assert exact_target(claim, point) == pytest.approx(route(**point), rel=1e-9, abs=1e-12)

    prop()


DATA = st.fixed_dictionaries({"x1": st.floats(0.5, 3), "x2": st.floats(0.5, 3), "x3": st.floats(0.5, 3),
                              "y1": st.floats(-3, 3), "y2": st.floats(-3, 3), "y3": st.floats(-3, 3)})


def lstsq(point):
    X = torch.tensor([[point[f"x{i}"]] for i in (1, 2, 3)], dtype=torch.float64)
    y = torch.tensor([[point[f"y{i}"]] for i in (1, 2, 3)], dtype=torch.float64)
    slope = float(torch.linalg.lstsq(X, y).solution)
    return slope, float(((y - slope * X) ** 2).sum())


@given(DATA)
def test_ols_slope_and_min_sse_are_torch_lstsq(point):
    slope, sse = lstsq(point)
    assert exact_target(registry.get("nll.gaussian.ols-slope"), point) == pytest.approx(slope, rel=1e-9, abs=1e-12)
    assert exact_target(registry.get("nll.gaussian.ols-min-sse"), point) == pytest.approx(sse, rel=1e-9, abs=1e-12)


@pytest.fixture(scope="module")
def reports():
    ctx = NumericContext(device=resolve_device("cpu"), seed=0)
    return {"nll.gaussian.cross-entropy": verify_claim("nll.gaussian.cross-entropy", ctx)}


def test_monte_carlo_claim_reports_its_statistics(reports):
    mc = reports["nll.gaussian.cross-entropy"].numeric.monte_carlo
    assert mc is not None and mc.n >= mc.pilot_n
    # n is sized from the pilot's standard deviation for 1 %; the error reported is computed
    # from the main sample's, which a 20,000-draw pilot estimates to within a few per cent
    assert mc.false_fail_rate == 1e-6 and mc.min_detectable_rel_error <= 0.0105
    assert abs(mc.z) <= mc.z_critical


CORRECT_FORMS = {
    "nll.gaussian": (
        ["(y-mu)**2/(2*sigma**2) + log(2*pi*sigma**2)/2",
         "0.5*((mu-y)/sigma)**2 + log(sigma) + 0.5*log(2*pi)",
         "-log(exp(-(y-mu)^2/(2*sigma^2))/sqrt(2*pi*sigma^2))"],
        [r"\frac{(y-\mu)^2}{2\sigma^2} + \frac12\log(2\pi\sigma^2)",
         r"\log\sigma + \frac{1}{2}\log(2\pi) + \frac{(\mu - y)^2}{2\sigma^2}",
         r"-\log\left(\frac{1}{\sqrt{2\pi\sigma^2}} e^{-\frac{(y-\mu)^2}{2\sigma^2}}\right)"]),
    "nll.bernoulli": (
        ["-y*log(p) - (1-y)*log(1-p)", "-log(p**y * (1-p)**(1-y))", "-log(y*p + (1-y)*(1-p))"],
        [r"-y\log p - (1-y)\log(1-p)", r"-\log\left(p^{y}(1-p)^{1-y}\right)",
         r"y\log\frac{1}{p} + (1-y)\log\frac{1}{1-p}"]),
    "nll.categorical": (
        ["-h1 + log(exp(h1)+exp(h2)+exp(h3))", "-log(exp(h1)/(exp(h1)+exp(h2)+exp(h3)))",
         "log(1 + exp(h2-h1) + exp(h3-h1))"],
        [r"-h_1 + \log(e^{h_1}+e^{h_2}+e^{h_3})", r"-\log\frac{e^{h_1}}{e^{h_1}+e^{h_2}+e^{h_3}}",
         r"\log\left(1 + e^{h_2 - h_1} + e^{h_3 - h_1}\right)"]),
}


@pytest.mark.parametrize("claim_id", sorted(CORRECT_FORMS))
def test_check_accepts_three_different_correct_forms(claim_id):
    claim = registry.get(claim_id)
    formulas, latexes = CORRECT_FORMS[claim_id]
    parsed = [read_candidate(claim, formula=f) for f in formulas] + [read_candidate(claim, latex=x) for x in latexes]
    assert len({sympy.srepr(p) for p in parsed[:3]}) == 3  # really different forms
    for candidate in parsed:
        assert compare(claim, candidate).verdict == "equivalent", candidate


def source_results(claim_id):
    claim = registry.get(claim_id)
    return {(s.file[:3], s.lines, s.value): compare_source(claim, s) for s in claim.sources}


@recomputes("nll.categorical", "003", (1460, 1472))
def test_worked_softmax_loss_0418_is_a_rounding_error():
    # independent arithmetic: softmax([2, 1, 0.1])[0] and its -log
    loss = -math.log(math.exp(2) / (math.exp(2) + math.exp(1) + math.exp(0.1)))
    assert abs(loss - 0.418) > 0.0005 and abs(loss - 0.417) < 0.0005
    assert source_results("nll.categorical")[("003", "1460–1472", 0.418)].status == "disagrees"


@recomputes("nll.gaussian.ols-min-sse", "003", (1304, 1346))
def test_worked_sum_of_squared_residuals_0043_is_wrong():
    data = [(1, 1.1), (2, 1.9), (3, 3.2)]
    slope = sum(x * y for x, y in data) / sum(x * x for x, _ in data)
    sse = sum((y - slope * x) ** 2 for x, y in data)
    assert round(sse, 3) == 0.042
    assert source_results("nll.gaussian.ols-min-sse")[("003", "1304–1346", 0.043)].status == "disagrees"
    assert source_results("nll.gaussian.ols-slope")[("003", "1304–1330", 1.036)].status == "matches"


@recomputes("nll.gaussian.ols-gradient", "003", (1350, 1352))
def test_sanity_check_gradient_has_the_wrong_sign():
    # d/dθ Σ(y - θx)² at θ = 0 is -2 Σxy = -29; the source's -2·14·(θ - 14.5/14) gives +29
    assert -2 * 14 * (0 - 14.5 / 14) == pytest.approx(29)
    assert source_results("nll.gaussian.ols-gradient")[("003", "1350–1352", None)].status == "disagrees"


def test_multiplicative_constant_in_gaussian_nll_is_flagged_but_proportionality_reading_is_not():
    results = source_results("nll.gaussian")
    assert results[("000", "251–253", None)].status == "disagrees"
    assert results[("000", "395–401", None)].status == "matches"


def test_bce_worked_numbers_match():
    results = source_results("nll.bernoulli")
    assert round(-math.log(0.8), 3) == 0.223 and round(-math.log(0.2), 3) == 1.609
    compared = [r.status for r in results.values() if r.status != "not_comparable"]
    assert len(compared) >= 10 and set(compared) == {"matches"}
    assert results[("003", "1495–1499", 0.223)].status == results[("003", "1495–1499", 1.609)].status == "matches"


def test_a_wrong_worked_number_would_be_caught():
    claim = registry.get("nll.bernoulli")
    import dataclasses
    wrong = dataclasses.replace(claim.sources[-1], value=1.610)
    assert compare_source(claim, wrong).status == "disagrees"
