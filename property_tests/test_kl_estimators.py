"""Schulman's per-sample KL estimators (``kl.estimator.k1/k2/k3``, derivations/kl/estimators.py): what the numeric
routes check by sampling, shown here in closed form and by routes written again here -- k1 and k3 unbiased on a
three-point law (SymPy), k3 ≥ 0 everywhere, k2 equal to KL to second order and no further (a series on a two-point
law; the equal-variance Gaussian pair, where E_q[k2] = KL + KL²/2, by scipy quadrature) -- the routes' own statistical
budget, and the forms code writes accepted by ``check``."""


import numpy as np
import pytest
import sympy
from hypothesis import given
from hypothesis import strategies as st
from scipy import integrate, stats

from derivspec.core import registry
from derivspec.numerics.checks import NumericContext
from derivspec.numerics.routes import load
from derivspec.reference_models.device import resolve_device
from forms import assert_forms

K1, K2, K3 = "kl.estimator.k1", "kl.estimator.k2", "kl.estimator.k3"


def estimator(claim_id, at_logp, at_logq):
    claim = registry.get(claim_id)
    return claim.expand_defined(claim.target).subs({claim.symbols["logp"]: at_logp, claim.symbols["logq"]: at_logq},
                                                   simultaneous=True)


def three_point_laws():
    """q and p on three points as normalised positive weights (every point of the weights' domain is a law)."""
    a = sympy.symbols("a1:4", positive=True)
    b = sympy.symbols("b1:4", positive=True)
    return [w / sum(a) for w in a], [w / sum(b) for w in b]


@pytest.mark.parametrize("claim_id", [K1, K3])
def test_k1_and_k3_are_unbiased_on_a_three_point_law(claim_id):
    """Σ_x q(x) k(log p(x), log q(x)) − Σ_x q(x) log(q(x)/p(x)) simplifies to 0: for k3 the Σ q (p/q − 1) = Σp − Σq = 0."""
    q, p = three_point_laws()
    mean = sum(qi * estimator(claim_id, sympy.log(pi), sympy.log(qi)) for qi, pi in zip(q, p))
    kl = sum(qi * sympy.log(qi / pi) for qi, pi in zip(q, p))
    assert sympy.simplify(sympy.expand_log(mean - kl)) == 0


def test_the_control_variate_has_mean_zero_and_the_inverted_ratio_does_not():
    q, p = three_point_laws()
    assert sympy.simplify(sum(qi * (pi / qi - 1) for qi, pi in zip(q, p))) == 0
    at = {s: v for s, v in zip(sympy.symbols("a1:4", positive=True) + sympy.symbols("b1:4", positive=True), (1, 2, 3, 3, 1, 1))}
    inverted = sum(qi * (qi / pi - 1) for qi, pi in zip(q, p))  # E_q[q/p − 1] = χ²(q ‖ p) > 0
    assert float(inverted.subs(at)) > 0.5


@given(st.floats(-30, 30), st.floats(-30, 30))
def test_k3_is_never_negative(logp, logq):
    value = float(estimator(K3, sympy.Float(logp, 30), sympy.Float(logq, 30)))
    assert value >= 0
    if abs(logp - logq) > 1e-3:
        assert value > 0


def test_k3_is_r_minus_one_minus_log_r_with_its_minimum_at_r_equal_one():
    r = sympy.Symbol("r", positive=True)
    f = r - 1 - sympy.log(r)
    assert sympy.solve(sympy.diff(f, r), r) == [1] and f.subs(r, 1) == 0 and sympy.diff(f, r, 2).is_positive


def test_k2_matches_kl_to_second_order_and_no_further():
    """q = (1/3, 2/3), p_ε = (q_1(1 + ε), q_2(1 − ε/2)): E_q[k2] − KL(q ‖ p_ε) = O(ε³), with a nonzero ε³ term; k1 and k3
    match to every order."""
    eps = sympy.Symbol("epsilon")
    q = [sympy.Rational(1, 3), sympy.Rational(2, 3)]
    p = [q[0] * (1 + eps), q[1] * (1 - eps / 2)]
    kl = sum(qi * sympy.log(qi / pi) for qi, pi in zip(q, p))

    def bias(claim_id):
        mean = sum(qi * estimator(claim_id, sympy.log(pi), sympy.log(qi)) for qi, pi in zip(q, p))
        return sympy.series(mean - kl, eps, 0, 4).removeO()

    k2 = sympy.Poly(bias(K2), eps)
    assert k2.coeff_monomial(1) == 0 and k2.coeff_monomial(eps) == 0 and k2.coeff_monomial(eps**2) == 0
    assert k2.coeff_monomial(eps**3) != 0
    assert bias(K1) == 0 and sympy.simplify(bias(K3)) == 0


def test_k2_on_equal_variance_gaussians_exceeds_kl_by_half_its_square():
    """q = N(0, 1), p = N(δ, 1): E_q[½(log r)²] = δ²/2 + δ⁴/8 = KL + KL²/2 (scipy quad of the target against q's density)."""
    k2 = sympy.lambdify(sympy.symbols("logp logq", real=True),
                        estimator(K2, *sympy.symbols("logp logq", real=True)), "numpy")
    for delta in (0.1, 0.5, 1.5):
        mean, _ = integrate.quad(lambda x: stats.norm.pdf(x) * k2(stats.norm.logpdf(x, delta), stats.norm.logpdf(x)),
                                 -np.inf, np.inf, epsabs=0, epsrel=1e-12)
        kl = delta**2 / 2
        assert mean == pytest.approx(kl + kl**2 / 2, rel=1e-9)


def test_the_gaussian_monte_carlo_route_states_its_budget():
    """The Monte Carlo route runs at the suite's 1e-6 false-fail rate per Gaussian pair and passes k3 at seed 0."""
    claim = registry.get(K3)
    route = next(r for r in load().routes_for(K3) if r.name == "mean_over_gaussian_draws")
    result = route.run(claim.target, claim, NumericContext(device=resolve_device("cpu"), seed=0))
    assert result.passed and result.monte_carlo.false_fail_rate == 1e-6 and result.monte_carlo.n >= 20_000


FORMS = {
    K1: (["logq - logp", "-log(r)", "-log(exp(logp)/exp(logq))"], [r"\ell_q - \ell_p", r"-\log r"],
         ["logp - logq", "exp(logq) - exp(logp)", "(logq - logp)/2"]),
    K2: (["(logp - logq)**2/2", "log(r)**2/2", "(logq - logp)**2/2"], [r"\frac{1}{2}\left(\ell_p - \ell_q\right)^2", r"\tfrac12\log^2 r"],
         ["(logp - logq)**2", "(logp - logq)/2", "(logp - logq)**2/4"]),
    K3: (["r - 1 - log(r)", "exp(logp - logq) - 1 - (logp - logq)", "exp(logp)/exp(logq) - 1 + logq - logp"],
         [r"e^{\ell_p - \ell_q} - 1 - \ell_p + \ell_q", r"(r - 1) - \log r"],
         ["exp(logq - logp) - 1 - (logq - logp)", "r - log(r)", "r - 1 + log(r)", "1/r - 1 + log(r)"]),
}


@pytest.mark.parametrize("claim_id", sorted(FORMS))
def test_check_accepts_the_forms_code_writes_and_rejects_mistakes(claim_id):
    assert_forms(claim_id, *FORMS[claim_id])
