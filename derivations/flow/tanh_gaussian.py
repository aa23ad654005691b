r"""The tanh-squashed diagonal Gaussian of soft actor-critic: the log-density of a = tanh(u), u ~ N(μ, diag σ²).

.. math::  \log\pi(a) = \sum_{i=1}^{D}\Big[\log\mathcal N(u_i;\mu_i,\sigma_i^2) - \log\big(1-\tanh^2 u_i\big)\Big],
           \qquad a = \tanh(u)

(Haarnoja et al. 2018, "Soft Actor-Critic", appendix C, eq. 21): the change of variables through the
elementwise, increasing map tanh, whose Jacobian is diagonal with entries d tanh(u_i)/du_i = 1 − tanh² u_i.
Policies evaluate it at the pre-tanh sample u (what they drew), not at a: atanh(a) loses the sample's
precision as |a| → 1. Code writes the Jacobian term in the stable form
log(1 − tanh² u) = 2(log 2 − u − softplus(−2u)) (SpinningUp's SAC, torch's ``TanhTransform``), which never
evaluates 1 − tanh² u (0 in floating point beyond |u| ≈ 19). Derived for D = 2 from the definition of a
density as the derivative of a CDF; the last line writes −log(1 − tanh² u) as 2 log cosh u, the same function,
so that the target (and the wrong variants, written alike) has a value at every u however large -- the exact
evaluation that ``conform`` compares with runs at fixed precision. The general form (any D) is the same sum
(``ANY_SIZE``).

No seed states this density; the source is the paper above.
"""

from __future__ import annotations

import sympy
from sympy import cosh, erf, exp, log, pi, sqrt, tanh

from derivspec.core import POSITIVE, REAL, AnySize, Claim, Step, Var, Vector, WrongVariant, claim

U1, U2 = Var("u1", "u_1", REAL), Var("u2", "u_2", REAL)
MU1, MU2 = Var("mu1", r"\mu_1", REAL), Var("mu2", r"\mu_2", REAL)
SIGMA1, SIGMA2 = Var("sigma1", r"\sigma_1", POSITIVE), Var("sigma2", r"\sigma_2", POSITIVE)
u1, u2, mu1, mu2, sigma1, sigma2 = (v.symbol for v in (U1, U2, MU1, MU2, SIGMA1, SIGMA2))


def normal_cdf(at, mean, std) -> sympy.Expr:
    """P(U ≤ at) for U ~ N(mean, std²): Φ((at − mean)/std) = (1 + erf((at − mean)/(std √2)))/2."""
    return (1 + erf((at - mean) / (std * sqrt(2)))) / 2


def normal_pdf(at, mean, std) -> sympy.Expr:
    """N(at; mean, std²) written out."""
    return exp(-(at - mean) ** 2 / (2 * std**2)) / (sqrt(2 * pi) * std)


def log_normal(at, mean, std) -> sympy.Expr:
    """log N(at; mean, std²) = −(at − mean)²/(2 std²) − ½ log 2π std²."""
    return -(at - mean) ** 2 / (2 * std**2) - log(2 * pi * std**2) / 2


def log_jacobian(at) -> sympy.Expr:
    """log |d tanh(u)/du| = log(1 − tanh² u), as the paper writes it."""
    return log(1 - tanh(at) ** 2)


def log_jacobian_stable(at) -> sympy.Expr:
    """log(1 − tanh² u) = −2 log cosh u (1 − tanh² = 1/cosh²): finite wherever the density is, at any precision."""
    return -2 * log(cosh(at))


def log_one_minus_tanh(at) -> sympy.Expr:
    """log(1 − tanh u) = log 2 − log(1 + e^{2u}) (1 − tanh u = 2/(1 + e^{2u})), the slip log(1 − a) in a stable form."""
    return log(2) - log(1 + exp(2 * at))


def tanh_gaussian_any_size(vectors, indices):
    """D dimensions: Σ_i [log N(u_i; μ_i, σ_i²) − log(1 − tanh² u_i)], and the slips code makes, for any D."""
    us, mus, sigmas = vectors["u"], vectors["mu"], vectors["sigma"]
    gaussian = [log_normal(u, m, s) for u, m, s in zip(us, mus, sigmas)]
    jacobian = [log_jacobian_stable(u) for u in us]
    return sum(gaussian) - sum(jacobian), {
        "Jacobian term added, not subtracted": sum(gaussian) + sum(jacobian),
        "log(1 - a) in place of log(1 - a^2)": sum(gaussian) - sum(log_one_minus_tanh(u) for u in us),
        "Jacobian term not summed over dimensions (one coordinate's log(1 - a^2), as a broadcast (B, D) result holds "
        "in each column)": sum(gaussian) - jacobian[0],
        "Gaussian log-density not summed over dimensions (one coordinate's)": gaussian[0] - sum(jacobian),
    }


ANY_SIZE = AnySize((("D", 2),), tuple(Vector(name, "D", latex, domain, (f"{name}1", f"{name}2"))
                                      for name, latex, domain in (("u", "u", REAL), ("mu", r"\mu", REAL),
                                                                  ("sigma", r"\sigma", POSITIVE))),
                   tanh_gaussian_any_size,
                   correct=r"\sum_{i=1}^{D}\Big[\log\mathcal N(u_i;\mu_i,\sigma_i^2) - \log\big(1-\tanh^2 u_i\big)\Big]")


@claim("flow.tanh-gaussian.log-prob")
def flow_tanh_gaussian_log_prob() -> Claim:
    """log π(tanh u) = Σ_i [log N(u_i; μ_i, σ_i²) − log(1 − tanh² u_i)] (D = 2, any D by ``ANY_SIZE``)."""
    gaussian = log_normal(u1, mu1, sigma1) + log_normal(u2, mu2, sigma2)
    jacobian = log_jacobian_stable(u1) + log_jacobian_stable(u2)
    return Claim(
        title="SAC's tanh-squashed Gaussian: log π(a) = Σ_i [log N(u_i; μ_i, σ_i²) − log(1 − tanh² u_i)], a = tanh(u) "
              "(D = 2; any D)",
        statement=r"a = \tanh(u),\ u\sim\mathcal N\big(\mu,\mathrm{diag}(\sigma_1^2,\sigma_2^2)\big):\ \log\pi(a)",
        variables=(U1, U2, MU1, MU2, SIGMA1, SIGMA2),
        any_size=ANY_SIZE,
        derivation=(
            Step(r"definition: tanh is increasing and acts on each coordinate, and the coordinates of u are independent, "
                 r"so the CDF of a at (\tanh u_1, \tanh u_2) is P(U_1 \le u_1)P(U_2 \le u_2) = "
                 r"\Phi((u_1-\mu_1)/\sigma_1)\,\Phi((u_2-\mu_2)/\sigma_2)",
                 normal_cdf(u1, mu1, sigma1) * normal_cdf(u2, mu2, sigma2)),
            Step(r"differentiate in u_1 and u_2: by the chain rule the left side gives \pi(a)\prod_i d\tanh(u_i)/du_i, "
                 r"the right side the product of the normal densities N(u_i;\mu_i,\sigma_i^2)",
                 normal_pdf(u1, mu1, sigma1) * normal_pdf(u2, mu2, sigma2), op=lambda e: sympy.diff(e, u1, u2)),
            Step(r"take the log: \log\pi(a) + \sum_i \log\frac{d\tanh u_i}{du_i} = \sum_i \log N(u_i;\mu_i,\sigma_i^2)",
                 gaussian, op=log),
            Step(r"subtract the log-Jacobian, \log\frac{d\tanh u_i}{du_i} = \log(1-\tanh^2 u_i): "
                 r"\log\pi(a) = \sum_i [\log N(u_i;\mu_i,\sigma_i^2) - \log(1-\tanh^2 u_i)]",
                 gaussian - log_jacobian(u1) - log_jacobian(u2),
                 op=lambda e: e - log(sympy.diff(tanh(u1), u1)) - log(sympy.diff(tanh(u2), u2))),
            Step(r"1 - \tanh^2 u = 1/\cosh^2 u: -\log(1-\tanh^2 u_i) = 2\log\cosh u_i, the same function written so that it "
                 r"stays finite for large |u_i| (code: 2(\log 2 - u - \mathrm{softplus}(-2u)) = \log(1-\tanh^2 u))",
                 gaussian - jacobian),
        ),
        wrong_variants=(
            WrongVariant("Jacobian term added, not subtracted", gaussian + jacobian),
            WrongVariant("log(1 - a) in place of log(1 - a^2)", gaussian - log_one_minus_tanh(u1) - log_one_minus_tanh(u2)),
            WrongVariant("Jacobian term not summed over dimensions (one coordinate's log(1 - a^2), as a broadcast (B, D) "
                         "result holds in each column)", gaussian - log_jacobian_stable(u1)),
            WrongVariant("Gaussian log-density not summed over dimensions (one coordinate's)",
                         log_normal(u1, mu1, sigma1) - jacobian),
        ),
    )
