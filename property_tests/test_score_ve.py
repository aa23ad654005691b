"""The variance-exploding side of the score family (issue 87): the VE-SDE's marginal (``score.sde.ve-marginal``) and the
σ²-weighted DSM loss of one example (``score.dsm.loss``). Targets against routes written again here (scipy's ODE solver
on the variance equation, an Euler–Maruyama simulation of the SDE, NumPy's kernel score), the general form at other
dimensions, and what the code approximation σ²(t) costs. Forms for ``check`` are in test_score.py's lists."""

import math

import numpy as np
import pytest
import sympy
from hypothesis import given
from hypothesis import strategies as st
from scipy.integrate import solve_ivp

from derivspec.core import registry
from derivspec.testing.sizes import at_sizes


def target_fn(claim_id):
    claim = registry.get(claim_id)
    f = sympy.lambdify([v.symbol for v in claim.variables], claim.expand_defined(claim.target), "numpy")
    return lambda **kw: f(*(kw[v.name] for v in claim.variables))


# --- the VE-SDE marginal --------------------------------------------------------------------------

@given(st.floats(0.05, 0.99), st.floats(0.01, 1.0), st.floats(5.0, 50.0))
def test_the_variance_solves_its_ode(t, sigma_min, sigma_max):
    """dV/dt = g(t)² with g² = d[σ²]/dt (written here from σ(t) = σ_min(σ_max/σ_min)^t), V(0) = 0, by scipy's RK45."""
    k = math.log(sigma_max / sigma_min)
    solution = solve_ivp(lambda s, v: [2 * k * sigma_min**2 * math.exp(2 * k * s)], (0.0, t), [0.0], rtol=1e-11, atol=1e-13)
    got = target_fn("score.sde.ve-marginal")(t=t, sigma_min=sigma_min, sigma_max=sigma_max)
    assert got == pytest.approx(solution.y[0, -1], rel=1e-7)


def test_euler_maruyama_paths_have_that_variance():
    """20 000 paths of dx = g(t) dw from x_0 = 0.4, 2 000 steps on [0, 0.8]: the mean stays x_0 and the sample variance
    is the target within 6 of its standard errors (seed fixed)."""
    sigma_min, sigma_max, t_end, steps, n = 0.05, 10.0, 0.8, 2000, 20_000
    rng = np.random.default_rng(3)
    dt = t_end / steps
    k = math.log(sigma_max / sigma_min)
    x = np.full(n, 0.4)
    for i in range(steps):
        g = math.sqrt(2 * k) * sigma_min * math.exp(k * (i + 0.5) * dt)  # g at the step's midpoint
        x += g * math.sqrt(dt) * rng.standard_normal(n)
    want = target_fn("score.sde.ve-marginal")(t=t_end, sigma_min=sigma_min, sigma_max=sigma_max)
    assert abs(x.mean() - 0.4) < 6 * math.sqrt(want / n)
    assert abs(x.var() - want) < 6 * want * math.sqrt(2 / (n - 1))


def test_the_code_approximation_is_off_by_sigma_min_squared():
    """σ²(t) (what score_sde's marginal_prob uses) exceeds the variance by exactly σ_min² = σ²(0): negligible for
    σ_min = 0.01 at t = 1, not near t = 0 where it is the whole variance."""
    claim = registry.get("score.sde.ve-marginal")
    approximation = next(w.expr for w in claim.wrong_variants if w.name.startswith("sigma^2(t) without"))
    assert sympy.simplify(approximation - claim.target - claim.symbols["sigma_min"] ** 2) == 0
    variance = target_fn("score.sde.ve-marginal")
    assert 0.01**2 / variance(t=0.99, sigma_min=0.01, sigma_max=50.0) < 1e-7
    assert 0.01**2 / variance(t=1e-3, sigma_min=0.01, sigma_max=50.0) > 50


# --- the sigma^2-weighted DSM loss ------------------------------------------------------------------

@given(st.lists(st.floats(-3, 3), min_size=2, max_size=2), st.lists(st.floats(-3, 3), min_size=2, max_size=2),
       st.lists(st.floats(-5, 5), min_size=2, max_size=2), st.floats(0.01, 50))
def test_the_loss_is_the_weighted_squared_error_to_the_kernel_score(s, z, x, sigma):
    x, z, s = np.array(x), np.array(z), np.array(s)
    x_tilde = x + sigma * z
    kernel_score = -(x_tilde - x) / sigma**2  # ∇ log N(x̃; x, σ² I)
    want = sigma**2 * np.sum((s - kernel_score) ** 2)
    got = target_fn("score.dsm.loss")(s1=s[0], s2=s[1], z1=z[0], z2=z[1], sigma=sigma)
    assert got == pytest.approx(want, rel=1e-9, abs=1e-12)


@pytest.mark.parametrize("D", [1, 3, 7])
def test_the_general_form_at_other_dimensions(D):
    claim = at_sizes(registry.get("score.dsm.loss"), {"D": D})
    rng = np.random.default_rng(D)
    s, z, sigma = rng.normal(size=D), rng.normal(size=D), 0.37
    point = {**{f"s{i + 1}": s[i] for i in range(D)}, **{f"z{i + 1}": z[i] for i in range(D)}, "sigma": sigma}
    got = float(claim.target.subs({claim.symbols[k]: v for k, v in point.items()}))
    assert got == pytest.approx(float(np.sum((sigma * s + z) ** 2)), rel=1e-12)


def test_the_optimal_score_makes_the_loss_the_noise_left_over():
    """At the kernel's own score s = −z/σ the loss is 0 for every draw; a model that predicts 0 pays ‖z‖², whose mean over
    z ~ N(0, I_2) is 2 (exact, by SymPy: E z_d² = 1)."""
    claim = registry.get("score.dsm.loss")
    sym = claim.symbols
    at_optimum = claim.target.subs({sym["s1"]: -sym["z1"] / sym["sigma"], sym["s2"]: -sym["z2"] / sym["sigma"]})
    assert sympy.simplify(at_optimum) == 0
    zero_model = sympy.expand(claim.target.subs({sym["s1"]: 0, sym["s2"]: 0}))
    assert zero_model.subs({sym["z1"] ** 2: 1, sym["z2"] ** 2: 1}) == 2
