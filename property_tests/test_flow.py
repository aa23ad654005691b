"""Flow family (derivations/flow/, numerics/flow.py): symbolic targets = torch routes written again
here, larger cases than the derivations, correct forms accepted by check, the errata recomputed by
independent arithmetic."""

import math

import pytest
import sympy
import torch
from hypothesis import given
from hypothesis import strategies as st
from torch.distributions import LogNormal, MultivariateNormal, Normal

from derivspec.core import registry
from derivspec.core.sources import compare_source
from forms import assert_forms
from recompute import recomputes



@pytest.fixture(autouse=True, scope="module")
def float64_default():
    """These tests build float64 tensors by default; restored afterwards so no other module sees it."""
    previous = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    yield
    torch.set_default_dtype(previous)


def exact(claim_id, **point):
    """The derived target at ``point`` (defined symbols expanded), by mpmath at 30 digits."""
    claim = registry.get(claim_id)
    subs = {claim.symbols[k]: sympy.Float(v, 30) for k, v in point.items()}
    return float(sympy.N(claim.expand_defined(claim.target).subs(subs), 30))


def t(x):
    return torch.tensor(float(x), dtype=torch.float64)


real = st.floats(-2.5, 2.5)


# --- symbolic targets against torch, written again here -------------------------------------------


@given(st.floats(0.1, 5), real, st.floats(0.3, 2))
def test_scalar_change_of_variables_is_lognormal(y, mu, sigma):
    assert exact("flow.change-of-variables.scalar", y=y, mu=mu, sigma=sigma) == pytest.approx(
        float(LogNormal(t(mu), t(sigma)).log_prob(t(y))), rel=1e-9, abs=1e-12)


@given(real, real, st.floats(0.5, 2), st.floats(-1, 1), st.floats(-1, 1), st.floats(0.5, 2), real, real)
def test_linear_flow_is_the_gaussian_image(x1, x2, a11, a12, a21, delta, b1, b2):
    a22 = (delta + a12 * a21) / a11
    A = torch.tensor([[a11, a12], [a21, a22]])
    want = MultivariateNormal(torch.tensor([b1, b2]), covariance_matrix=A @ A.T).log_prob(torch.tensor([x1, x2]))
    got = exact("flow.change-of-variables.linear", x1=x1, x2=x2, a11=a11, a12=a12, a21=a21, delta=delta, b1=b1, b2=b2)
    assert got == pytest.approx(float(want), rel=1e-9, abs=1e-10)


@given(st.floats(0.2, 5), st.floats(0.5, 2), st.floats(-2, -0.1))
def test_composition_is_lognormal(x, a, b):
    assert exact("flow.composition", x=x, a=a, b=b) == pytest.approx(float(LogNormal(t(b), t(a)).log_prob(t(x))),
                                                                     rel=1e-9, abs=1e-12)


@given(real, real)
def test_box_muller_density_is_standard_normal(z1, z2):
    want = Normal(0.0, 1.0).log_prob(t(z1)) + Normal(0.0, 1.0).log_prob(t(z2))
    assert exact("flow.box-muller", z1=z1, z2=z2) == pytest.approx(float(want), rel=1e-9, abs=1e-12)


@given(st.floats(-2.5, 2.5), st.floats(0.05, 2.5))
def test_monotone_density_is_the_cdf_derivative(y, c):
    v = t(y).requires_grad_(True)
    Normal(0.0, 1.0).cdf(v**3 + c * v).backward()
    assert exact("flow.monotone.density", y=y, c=c) == pytest.approx(math.log(float(v.grad)), rel=1e-9, abs=1e-12)


@given(real, real, real, st.floats(-2, 2), st.floats(-2, 2))
def test_coupling_log_det_is_autograd_slogdet(z1, z2, z3, w2, w3):
    def f(z):
        return torch.stack([z[0], z[1] * torch.exp(torch.tanh(w2 * z[0])) + z[0] ** 2,
                            z[2] * torch.exp(torch.tanh(w3 * z[0])) + z[0] ** 3])
    jac = torch.autograd.functional.jacobian(f, torch.tensor([z1, z2, z3]))
    assert exact("flow.coupling.log-det", z1=z1, z2=z2, z3=z3, w2=w2, w3=w3) == pytest.approx(
        float(torch.linalg.slogdet(jac)[1]), rel=1e-9, abs=1e-12)


@given(real, real, st.floats(-2, 2), real)
def test_coupling_inverse_round_trips(y1, y2, w, v):
    z2 = exact("flow.coupling.inverse", y1=y1, y2=y2, w=w, v=v)
    assert z2 * math.exp(math.tanh(w * y1)) + v * y1 == pytest.approx(y2, rel=1e-12, abs=1e-12)


@given(real, real, st.floats(-1, 1), st.floats(-2, 2), st.floats(-1, 1))
def test_maf_log_density_is_the_change_of_variables(x1, x2, a, u, v):
    def inverse(x):
        return torch.stack([x[0] * math.exp(-a), (x[1] - u * x[0]) * torch.exp(-v * torch.tanh(x[0]))])
    x = torch.tensor([x1, x2])
    z = inverse(x)
    jac = torch.autograd.functional.jacobian(inverse, x)
    want = Normal(0.0, 1.0).log_prob(z).sum() + torch.linalg.slogdet(jac)[1]
    assert exact("flow.autoregressive.maf", x1=x1, x2=x2, a=a, u=u, v=v) == pytest.approx(float(want), rel=1e-9, abs=1e-12)


@given(st.floats(-2, 2), st.floats(-2, 2), st.floats(-1.5, 1.5), st.floats(-1.5, 1.5), st.floats(-1.5, 1.5),
       st.floats(-1.5, 1.5), st.floats(-1, 1))
def test_planar_determinant_is_autograd_det(z1, z2, u1, u2, w1, w2, b):
    u, w = torch.tensor([u1, u2]), torch.tensor([w1, w2])
    jac = torch.autograd.functional.jacobian(lambda z: z + u * torch.tanh(z @ w + b), torch.tensor([z1, z2]))
    assert exact("flow.planar.determinant", z1=z1, z2=z2, u1=u1, u2=u2, w1=w1, w2=w2, b=b) == pytest.approx(
        float(torch.linalg.det(jac)), rel=1e-9, abs=1e-12)


@given(st.floats(-2, 2), st.floats(0.05, 2))
def test_instantaneous_change_of_variables_by_finite_differences(z0, time):
    def log_det(tt):  # log ∂z_t/∂z_0 of the exact flow map of dz/dt = tanh z
        v = t(z0).requires_grad_(True)
        torch.asinh(torch.sinh(v) * math.exp(tt)).backward()
        return math.log(float(v.grad))
    h = 1e-5
    want = -(log_det(time + h) - log_det(time - h)) / (2 * h)
    assert exact("flow.continuous.instantaneous", z0=z0, t=time) == pytest.approx(want, rel=1e-6, abs=1e-8)


def test_conv1x1_log_det_small_case_symbolically():
    # c = 2, h·w = 2: the 4×4 Jacobian of the convolution over two pixels, by SymPy
    k = sympy.symbols("k11 k12 k21 k22", real=True)
    W = sympy.Matrix([[k[0], k[1]], [k[2], k[3]]])
    J = sympy.diag(W, W)
    assert sympy.simplify(J.det() - W.det() ** 2) == 0
    claim = registry.get("flow.conv1x1.log-det")
    s = claim.symbols
    value = claim.target.subs({s["h"]: 1, s["w"]: 2, s["k11"]: 1.3, s["k12"]: 0.2, s["k21"]: -0.4, s["k22"]: 0.9})
    assert float(value) == pytest.approx(2 * math.log(abs(1.3 * 0.9 - 0.2 * -0.4)), rel=1e-12)


# --- forms used in practice -----------------------------------------------------------------------

CORRECT_FORMS = {
    "flow.change-of-variables.scalar": (
        ["-(log(y)-mu)**2/(2*sigma**2) - log(sigma) - log(2*pi)/2 - log(y)",
         "log(exp(-(log(y)-mu)**2/(2*sigma**2))/(y*sigma*sqrt(2*pi)))"],
        [r"-\frac{(\log y-\mu)^2}{2\sigma^2} - \log(\sigma\sqrt{2\pi}) - \log y",
         r"\log\left(\frac{1}{y\sigma\sqrt{2\pi}} e^{-\frac{(\log y - \mu)^2}{2\sigma^2}}\right)"],
        ["-(log(y)-mu)**2/(2*sigma**2) - log(sigma) - log(2*pi)/2",
         "-(log(y)-mu)**2/(2*sigma**2) - log(sigma) - log(2*pi)/2 + log(y)"]),
    "flow.composition": (
        ["-((log(x)-b)/a)**2/2 - log(2*pi)/2 - log(a) - log(x)", "log(exp(-(log(x)-b)**2/(2*a**2))/(a*x*sqrt(2*pi)))"],
        [r"-\frac{1}{2}\left(\frac{\log x - b}{a}\right)^2 - \frac12\log(2\pi) - \log a - \log x"],
        ["-(log((x-b)/a))**2/2 - log(2*pi)/2 - log(a) - log(x)",  # wrong inverse order
         "-((log(x)-b)/a)**2/2 - log(2*pi)/2 - log(a) - (log(x)-b)/a"]),  # f_2' at z_0
    "flow.coupling.log-det": (
        ["tanh(w2*z1) + tanh(w3*z1)", "log(exp(tanh(w2*z1))*exp(tanh(w3*z1)))"],
        [r"\tanh(w_2 z_1) + \tanh(w_3 z_1)"],
        ["exp(tanh(w2*z1) + tanh(w3*z1))", "tanh(w2*z2) + tanh(w3*z3)"]),
    "flow.coupling.inverse": (
        ["(y2 - v*y1)*exp(-tanh(w*y1))", "y2*exp(-tanh(w*y1)) - v*y1*exp(-tanh(w*y1))"],
        [r"(y_2 - v y_1) e^{-\tanh(w y_1)}", r"\frac{y_2 - v y_1}{\exp(\tanh(w y_1))}"],
        ["(y2 - v*y1)*exp(tanh(w*y1))", "y2*exp(-tanh(w*y1)) - v*y1"]),
    "flow.triangular.determinant": (
        ["l11*l22*l33", "l33*(l22*l11)"],
        [r"l_{11} l_{22} l_{33}"],
        ["l11 + l22 + l33", "l11*l22"]),
    "flow.planar.determinant": (
        ["1 + (1 - tanh(w1*z1 + w2*z2 + b)**2)*(u1*w1 + u2*w2)",
         "1 + u1*w1 + u2*w2 - (u1*w1 + u2*w2)*tanh(b + w1*z1 + w2*z2)**2"],
        [r"1 + \left(1 - \tanh^2(w_1 z_1 + w_2 z_2 + b)\right)(u_1 w_1 + u_2 w_2)"],
        ["1 + u1*w1 + u2*w2", "(1 - tanh(w1*z1 + w2*z2 + b)**2)*(u1*w1 + u2*w2)"]),
    "flow.conv1x1.log-det": (
        ["h*w*log(Abs(k11*k22 - k12*k21))", "w*h*log(Abs(k12*k21 - k11*k22))"],  # log(det²)/2 is only "inconclusive"
        [r"h w \log\left|k_{11} k_{22} - k_{12} k_{21}\right|"],
        ["log(Abs(k11*k22 - k12*k21))", "(h + w)*log(Abs(k11*k22 - k12*k21))"]),
    "flow.continuous.instantaneous": (
        ["-exp(-2*t)/(exp(-2*t) + sinh(z0)**2)", "-1/(1 + sinh(z0)**2*exp(2*t))"],  # asinh is not read by check
        [r"-\frac{1}{1 + e^{2t}\sinh^2 z_0}"],
        ["1/(1 + sinh(z0)**2*exp(2*t))", "-(1 - tanh(z0)**2)"]),
    "flow.hutchinson.unbiased": (
        ["a11 + a22", "a22 + a11 + 0*a12"],
        [r"a_{11} + a_{22}"],
        ["a11 + a12 + a21 + a22", "a11*a22 - a12*a21"]),
}


@pytest.mark.parametrize("claim_id", sorted(CORRECT_FORMS))
def test_check_accepts_correct_forms_and_rejects_mistakes(claim_id):
    assert_forms(claim_id, *CORRECT_FORMS[claim_id])


# --- errata, recomputed by independent arithmetic ---------------------------------------------------


def source(claim_id, lines):
    claim = registry.get(claim_id)
    return claim, next(s for s in claim.sources if s.lines == lines)


@recomputes("flow.composition", "004", (3144, 3144))
def test_inverse_order_as_written_at_3144_gives_another_density():
    # x = exp(a z0 + b): undoing the layers in the written order (f_1^{-1} first) does not recover z0
    a, b, z0 = 1.4, -0.8, 0.37
    x = math.exp(a * z0 + b)
    right = (math.log(x) - b) / a  # f_1^{-1}(f_2^{-1}(x))
    wrong = math.log((x - b) / a)  # f_2^{-1}(f_1^{-1}(x)), as 3144 composes
    assert right == pytest.approx(z0, abs=1e-12) and abs(wrong - z0) > 0.1
    claim, s = source("flow.composition", "3144")
    assert compare_source(claim, s).status == "disagrees"


@recomputes("flow.composition", "004", (3145, 3145))
def test_jacobian_at_the_layer_output_as_written_at_3145_is_wrong():
    # the log-density must integrate to 1; with f_2' evaluated at z_2 = x (3145) it does not
    from scipy import integrate
    a, b = 1.2, -0.5

    def density(x, at_output):
        z0 = (math.log(x) - b) / a
        log_det_f2 = x if at_output else math.log(x)
        return math.exp(-z0**2 / 2 - 0.5 * math.log(2 * math.pi) - math.log(a) - log_det_f2)

    right = integrate.quad(lambda x: density(x, False), 0, math.inf, limit=200)[0]
    wrong = integrate.quad(lambda x: density(x, True), 0, math.inf, limit=200)[0]
    assert right == pytest.approx(1, abs=1e-8) and abs(wrong - 1) > 0.1
    claim, s = source("flow.composition", "3145")
    assert compare_source(claim, s).status == "disagrees"
    claim, s = source("flow.composition", "2940")
    assert compare_source(claim, s).status == "matches"


@recomputes("flow.monotone.density", "004", (1905, 1907))
def test_a_monotone_map_adds_a_mode():
    # p_Y(y) = φ(y³ + cy)(3y² + c): the second derivative of log p_Y at 0 is 6/c − c² > 0 for c < 6^(1/3)
    c = 0.5

    def log_p(y):
        g = y**3 + c * y
        return -g * g / 2 + math.log(3 * y * y + c)

    h = 1e-4
    curvature = (log_p(h) - 2 * log_p(0) + log_p(-h)) / h**2
    assert curvature == pytest.approx(6 / c - c**2, rel=1e-5) and curvature > 0  # y = 0 is a local minimum
    grid = [k / 1000 for k in range(-3000, 3001)]
    values = [log_p(y) for y in grid]
    modes = [grid[i] for i in range(1, len(grid) - 1) if values[i] > values[i - 1] and values[i] > values[i + 1]]
    assert len(modes) == 2 and modes[0] == pytest.approx(-modes[1])


def test_sources_that_match():
    for claim_id, lines in [("flow.change-of-variables.scalar", "1872–1874"), ("flow.change-of-variables.linear", "1876–1880"),
                            ("flow.change-of-variables.linear", "3087"), ("flow.coupling.log-det", "3046"),
                            ("flow.coupling.inverse", "3047"), ("flow.triangular.determinant", "3052–3055"),
                            ("flow.continuous.instantaneous", "3063–3065"), ("flow.composition", "2945")]:
        claim, s = source(claim_id, lines)
        assert compare_source(claim, s).status == "matches", (claim_id, lines)
