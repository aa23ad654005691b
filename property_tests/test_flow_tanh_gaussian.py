"""The tanh-squashed Gaussian of soft actor-critic (``flow.tanh-gaussian.log-prob``, derivations/flow/tanh_gaussian.py):
the derived target against scipy and torch written again here (not imported from numerics/), at the claim's D = 2 and,
through its general form, at larger D; the stable Jacobian form code uses accepted by ``check`` and equal in floats
where the naive one overflows; plausible mistakes rejected."""

import math

import mpmath
import numpy as np
import pytest
import sympy
import torch
from hypothesis import given
from hypothesis import strategies as st
from scipy import stats

from derivspec.core import registry
from derivspec.testing.sizes import at_sizes
from forms import assert_forms

CLAIM = "flow.tanh-gaussian.log-prob"
u_values, mu_values, sigma_values = st.floats(-4, 4), st.floats(-2, 2), st.floats(0.2, 3)


def exact(claim, point):
    """The claim's target at ``point`` (names -> floats), by mpmath at 30 digits."""
    return float(sympy.N(claim.target.subs({claim.symbols[k]: sympy.Float(v, 30) for k, v in point.items()}), 30))


def scipy_log_prob(u, mu, sigma):
    """log π(tanh u): scipy's normal log-density minus log(1 − tanh² u) = 2 log sech u, summed."""
    u, mu, sigma = map(np.asarray, (u, mu, sigma))
    return float(np.sum(stats.norm.logpdf(u, mu, sigma) + 2 * np.log(np.cosh(u))))


@given(st.lists(st.tuples(u_values, mu_values, sigma_values), min_size=2, max_size=2))
def test_the_target_is_the_squashed_density_at_d_2(rows):
    (u1, mu1, s1), (u2, mu2, s2) = rows
    got = exact(registry.get(CLAIM), dict(u1=u1, u2=u2, mu1=mu1, mu2=mu2, sigma1=s1, sigma2=s2))
    assert got == pytest.approx(scipy_log_prob([u1, u2], [mu1, mu2], [s1, s2]), rel=1e-9, abs=1e-12)


@pytest.mark.parametrize("D", [1, 3, 5])
def test_the_general_form_is_the_squashed_density_at_other_sizes(D):
    """The general form at D (the claim conform checks against) vs torch's TanhTransform on an Independent normal."""
    claim = at_sizes(registry.get(CLAIM), {"D": D})
    rng = np.random.default_rng(D)
    u, mu, sigma = rng.uniform(-3, 3, D), rng.uniform(-2, 2, D), rng.uniform(0.3, 2, D)
    point = {**{f"u{i + 1}": u[i] for i in range(D)}, **{f"mu{i + 1}": mu[i] for i in range(D)},
             **{f"sigma{i + 1}": sigma[i] for i in range(D)}}
    squash = torch.distributions.TanhTransform(cache_size=1)
    base = torch.distributions.Independent(torch.distributions.Normal(torch.tensor(mu), torch.tensor(sigma)), 1)
    law = torch.distributions.TransformedDistribution(base, [squash])
    assert exact(claim, point) == pytest.approx(float(law.log_prob(squash(torch.tensor(u)))), rel=1e-9)


def stable_log_jacobian(u):
    """log(1 − tanh² u) as SpinningUp's SAC writes it: 2(log 2 − u − softplus(−2u))."""
    return 2 * (math.log(2) - u - torch.nn.functional.softplus(-2 * u))


def test_the_stable_jacobian_form_agrees_and_stays_finite():
    """Where 1 − tanh² u is still well resolved in float64 the two forms agree; further out the naive one loses digits
    and then overflows to −inf, while the stable one stays within round-off of the exact value (mpmath, 30 digits)."""
    u = torch.linspace(-5, 5, 1001, dtype=torch.float64)
    assert torch.allclose(stable_log_jacobian(u), torch.log(1 - torch.tanh(u) ** 2), rtol=1e-9, atol=1e-9)
    far = torch.tensor([-60.0, -15.0, 9.5, 20.0, 40.0, 400.0], dtype=torch.float64)
    assert torch.isinf(torch.log(1 - torch.tanh(far) ** 2)).any()  # 1 − tanh² u rounds to 0 in float64
    with mpmath.workdps(50):
        exact_far = [float(-2 * mpmath.log(mpmath.cosh(v))) for v in far.tolist()]  # 1 − tanh² u = 1/cosh² u
    assert stable_log_jacobian(far).tolist() == pytest.approx(exact_far, rel=1e-12)


def test_the_stable_form_is_the_same_function_symbolically():
    """2(log 2 − u − softplus(−2u)) − log(1 − tanh² u) is real and its exponential simplifies to 1: it is 0."""
    u = sympy.Symbol("u", real=True)
    softplus = lambda x: sympy.log(1 + sympy.exp(x))  # noqa: E731
    difference = (2 * (sympy.log(2) - u - softplus(-2 * u)) - sympy.log(1 - sympy.tanh(u) ** 2)).rewrite(sympy.exp)
    assert sympy.simplify(sympy.exp(difference)) == 1
    at = sympy.lambdify(u, difference, "mpmath")
    with mpmath.workdps(80):
        assert all(abs(at(mpmath.mpf(v))) < mpmath.mpf(10) ** -50 for v in (-7, -0.5, 0, 0.3, 2, 11))


def test_check_never_calls_the_stable_form_wrong():
    """`check` proves the tanh and log-cosh forms; the softplus form it cannot reduce (the log of a sum of exponentials),
    but it agrees at every exact point: inconclusive at worst, never not_equivalent."""
    from derivspec.core.checker import check

    result = check(registry.get(CLAIM), formula=GAUSSIAN + " - 2*(log(2) - u1 - log(1 + exp(-2*u1))) "
                                                            "- 2*(log(2) - u2 - log(1 + exp(-2*u2)))")
    assert result["verdict"] in ("equivalent", "inconclusive") and result["numeric"]["counterexample"] is None


GAUSSIAN = "-(u1 - mu1)**2/(2*sigma1**2) - log(2*pi*sigma1**2)/2 - (u2 - mu2)**2/(2*sigma2**2) - log(2*pi*sigma2**2)/2"


def test_check_accepts_the_forms_code_writes_and_rejects_mistakes():
    sech = " + 2*log(cosh(u1)) + 2*log(cosh(u2))"
    assert_forms(CLAIM,
                 formulas=[GAUSSIAN + " - log(1 - tanh(u1)**2) - log(1 - tanh(u2)**2)", GAUSSIAN + sech],
                 latexes=[r"-\frac{(u_1-\mu_1)^2}{2\sigma_1^2} - \frac12\log(2\pi\sigma_1^2) - \frac{(u_2-\mu_2)^2}{2\sigma_2^2} "
                          r"- \frac12\log(2\pi\sigma_2^2) - \log(1-\tanh^2 u_1) - \log(1-\tanh^2 u_2)"],
                 mistakes=[GAUSSIAN + " + log(1 - tanh(u1)**2) + log(1 - tanh(u2)**2)",
                           GAUSSIAN + " - log(1 - tanh(u1)) - log(1 - tanh(u2))",
                           GAUSSIAN + " - log(1 - tanh(u1)**2)",
                           GAUSSIAN + " - 2*(log(2) - u1 - log(1 + exp(2*u1))) - 2*(log(2) - u2 - log(1 + exp(2*u2)))"])
