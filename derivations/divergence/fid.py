r"""FID between Gaussians is the squared 2-Wasserstein distance; its plug-in estimate is biased
upward by O(1/n).

d = 1, derived from the definition of W₂ in 1-D (the quantile coupling
x = F_r^{-1}(u), y = F_g^{-1}(u), u = Φ(z)): W₂² = E_z[((μ_r + σ_r z) − (μ_g + σ_g z))²]
= (μ_r − μ_g)² + (σ_r − σ_g)², which is the FID formula
‖μ_r − μ_g‖² + tr(Σ_r + Σ_g − 2(Σ_rΣ_g)^{1/2}) at d = 1. The d-D formula (non-commuting
covariances, scipy's sqrtm) is checked against the cost of the optimal linear transport map in
``reference_models/fid.py``.

Plug-in bias (d = 1): with n samples from each Gaussian, sample means and unbiased sample
standard deviations (ŝ = σ χ_{n−1}/√(n−1)),
E[FID̂_n] − FID = (σ_r² + σ_g²)/n + 2σ_rσ_g(1 − c₄(n)²), c₄(n) = √(2/(n−1)) Γ(n/2)/Γ((n−1)/2),
≈ (σ_r² + σ_g²)/n + σ_rσ_g/(n−1): it shrinks like 1/n. In d-D with equal Gaussians the leading
term is (2 tr Σ + (tr(Σ²) + (tr Σ)²)/2)/n (= (2d + d(d+1)/2)/n for Σ = I), measured in
``reference_models/fid.py``.

Seeds: 004 L4183–4198.
"""

from __future__ import annotations

from typing import Mapping

import sympy
from sympy import exp, loggamma, sqrt

from derivspec.core import REAL, Claim, Domain, Source, Step, Var, WrongVariant, claim, positive_between
from derivspec.core.claims import Recognise
from derivspec.core.lectures import S004
from derivspec.derivations.moments import gaussian_expectation

MU_R, MU_G = Var("mu_r", r"\mu_r", REAL), Var("mu_g", r"\mu_g", REAL)
SIGMA_R = Var("sigma_r", r"\sigma_r", positive_between(0.3, 2.5))
SIGMA_G = Var("sigma_g", r"\sigma_g", positive_between(0.3, 2.5))
# n: a whole number >= 2 with only the "real" assumption, so SymPy keeps exp(log Γ(n/2) − ...) as
# written (with "positive" it rewrites it in Γ, which torch cannot evaluate)
N = Var("n", "n", Domain("a whole number >= 2", {"real": True}, low=1.0, sample_low=2, sample_high=8, integer=True))
# the bias claim's standard deviations: narrower sampling ranges keep its Monte Carlo route affordable
# (the draws needed grow like n·(σ_r/σ_g)^2 for a 1 % detectable error)
SIGMA_R_BIAS = Var("sigma_r", r"\sigma_r", positive_between(0.7, 1.4))
SIGMA_G_BIAS = Var("sigma_g", r"\sigma_g", positive_between(0.7, 1.4))
mu_r, mu_g, sigma_r, sigma_g, n = (v.symbol for v in (MU_R, MU_G, SIGMA_R, SIGMA_G, N))
z = sympy.Symbol("z", real=True)


def fid_1d(m1, s1, m2, s2) -> sympy.Expr:
    """The lecture's formula at d = 1: (μ_r − μ_g)² + σ_r² + σ_g² − 2 √(σ_r² σ_g²)."""
    return (m1 - m2) ** 2 + s1**2 + s2**2 - 2 * sqrt(s1**2 * s2**2)


def fid_terms() -> dict:
    r"""The traces of a lecture's FID formula at d = 1 (\Sigma_r = \sigma_r^2, any letter with subscripts r, g),
    whole or term by term."""
    terms = {}
    for tr in (r"\mathrm{Tr}", r"\mathrm{tr}"):
        terms[tr + r"(\Sigma_r + \Sigma_g - 2 (\Sigma_r \Sigma_g)^{1/2})"] = (sigma_r - sigma_g) ** 2
        terms[tr + r"(\Sigma_r)"] = sigma_r**2
        terms[tr + r"(\Sigma_g)"] = sigma_g**2
        terms[tr + r"((\Sigma_r \Sigma_g)^{1/2})"] = sigma_r * sigma_g
    return terms


@claim("divergence.fid.gaussian")
def divergence_fid_gaussian() -> Claim:
    r"""FID(N(μ_r, σ_r²), N(μ_g, σ_g²)) = W₂² = (μ_r − μ_g)² + σ_r² + σ_g² − 2√(σ_r²σ_g²) (d = 1; d-D numerically)."""
    return Claim(
        title="FID between Gaussians is W₂²: ‖μ_r − μ_g‖² + tr(Σ_r + Σ_g − 2(Σ_rΣ_g)^{1/2}) (d = 1; d-D numerically)",
        # FID (a distinctive name) next to the means \mu_r, \mu_g; its traces read at d = 1
        recognise=(Recognise(r"\mathrm{FID}", requires=(r"\mu_r", r"\mu_g"), interpret=fid_terms()),
                   r"W_2(\mathcal N(\mu_r, \sigma_r^2), \mathcal N(\mu_g, \sigma_g^2))^2"),
        statement=r"W_2^2(\mathcal N(\mu_r,\sigma_r^2), \mathcal N(\mu_g,\sigma_g^2))",
        variables=(MU_R, SIGMA_R, MU_G, SIGMA_G),
        derivation=(
            Step(r"definition in 1-D: W_2^2 = \int_0^1 (F_r^{-1}(u) - F_g^{-1}(u))^2 du (the quantile coupling is optimal); "
                 r"with u = \Phi(z), F^{-1}(u) = \mu + \sigma z", ((mu_r + sigma_r * z) - (mu_g + sigma_g * z)) ** 2),
            Step(r"expectation over z \sim \mathcal N(0,1): E[z] = 0, E[z^2] = 1",
                 (mu_r - mu_g) ** 2 + (sigma_r - sigma_g) ** 2,
                 op=lambda e: gaussian_expectation(e, [z], [0], sympy.Matrix([[1]]))),
            Step(r"expand (\sigma_r - \sigma_g)^2 with \sigma_r\sigma_g = (\sigma_r^2\sigma_g^2)^{1/2}: the FID formula at d = 1",
                 fid_1d(mu_r, sigma_r, mu_g, sigma_g)),
        ),
        wrong_variants=(
            WrongVariant("cross term without the 2", fid_1d(mu_r, sigma_r, mu_g, sigma_g) + sqrt(sigma_r**2 * sigma_g**2)),
            WrongVariant("no square root on Σ_rΣ_g",
                         (mu_r - mu_g) ** 2 + sigma_r**2 + sigma_g**2 - 2 * sigma_r**2 * sigma_g**2),
            WrongVariant("mean difference not squared", sympy.Abs(mu_r - mu_g) + (sigma_r - sigma_g) ** 2),
        ),
        sources=(
            Source(S004, "4185", r"\text{FID} = \|\mu_r - \mu_g\|^2 + \text{Tr}(\Sigma_r + \Sigma_g - 2(\Sigma_r \Sigma_g)^{1/2}) \quad (89)",
                   expr=fid_1d(mu_r, sigma_r, mu_g, sigma_g), note=r"at d = 1 (\Sigma = \sigma^2); d-D: the behaviour check at L4187"),
            Source(S004, "4187", r"where (μ_r, Σ_r) and (μ_g, Σ_g) are mean and covariance of real and generated samples in Inception feature space",
                   behaviour="fid_is_w2_between_gaussians", at={"d": 4, "n": 400_000}),
            Source(S004, "4189", r"Core idea: Compare the distribution of generated samples to real samples in a learned feature space.",
                   note="a description, no formula"),
        ),
    )


def expectation_of_independent(expr: sympy.Expr, moments: Mapping[sympy.Symbol, tuple[sympy.Expr, sympy.Expr]]) -> sympy.Expr:
    """E[expr] for a polynomial of degree ≤ 2 in each of the independent variables, from their
    first two moments."""
    symbols = list(moments)
    poly = sympy.Poly(sympy.expand(expr), *symbols)
    total = sympy.Integer(0)
    for powers, coefficient in poly.terms():
        term = coefficient
        for symbol, k in zip(symbols, powers):
            if k > 2:
                raise ValueError(f"degree {k} in {symbol}: only the first two moments are used")
            term *= 1 if k == 0 else moments[symbol][k - 1]
        total += term
    return total


def c4_squared() -> sympy.Expr:
    """c₄(n)² = (E[χ_{n−1}]/√(n−1))² = (2/(n−1)) exp(2 log Γ(n/2) − 2 log Γ((n−1)/2))."""
    return 2 / (n - 1) * exp(2 * loggamma(n / 2) - 2 * loggamma((n - 1) / 2))


@claim("divergence.fid.plug-in-bias")
def divergence_fid_plug_in_bias() -> Claim:
    r"""E[FID̂_n] − FID = (σ_r² + σ_g²)/n + 2σ_rσ_g(1 − c₄(n)²) for n samples of each 1-D Gaussian."""
    delta, chi_r, chi_g = sympy.symbols("Delta chi_r chi_g", real=True)
    mean_of_chi = sqrt(2) * exp(loggamma(n / 2) - loggamma((n - 1) / 2))  # E[χ_k], k = n − 1
    moments = {delta: (mu_r - mu_g, (mu_r - mu_g) ** 2 + (sigma_r**2 + sigma_g**2) / n),
               chi_r: (mean_of_chi, n - 1), chi_g: (mean_of_chi, n - 1)}
    return Claim(
        title="Bias of the plug-in FID from n samples per Gaussian (d = 1): (σ_r² + σ_g²)/n + 2σ_rσ_g(1 − c₄(n)²), O(1/n)",
        statement=r"\mathbb E[\widehat{\mathrm{FID}}_n] - \mathrm{FID},\ n \text{ samples of each of } \mathcal N(\mu_r,\sigma_r^2), \mathcal N(\mu_g,\sigma_g^2)",
        variables=(SIGMA_R_BIAS, SIGMA_G_BIAS, N),
        derivation=(
            Step(r"definition: \widehat{\mathrm{FID}}_n - \mathrm{FID} = (\bar x - \bar y)^2 + (\hat s_r - \hat s_g)^2 - (\mu_r-\mu_g)^2 - (\sigma_r-\sigma_g)^2 "
                 r"(divergence.fid.gaussian at the fitted Gaussians), \Delta = \bar x - \bar y \sim \mathcal N(\mu_r - \mu_g, (\sigma_r^2+\sigma_g^2)/n), "
                 r"\hat s = \sigma\chi_{n-1}/\sqrt{n-1}, all independent",
                 delta**2 + (sigma_r * chi_r - sigma_g * chi_g) ** 2 / (n - 1) - (mu_r - mu_g) ** 2 - (sigma_r - sigma_g) ** 2),
            Step(r"expectation: E[\Delta^2] = (\mu_r-\mu_g)^2 + (\sigma_r^2+\sigma_g^2)/n, E[\chi_{n-1}^2] = n - 1, "
                 r"E[\chi_{n-1}] = \sqrt2\,\Gamma(n/2)/\Gamma((n-1)/2)",
                 (sigma_r**2 + sigma_g**2) / n + sigma_r**2 + sigma_g**2 - 2 * sigma_r * sigma_g * c4_squared()
                 - (sigma_r - sigma_g) ** 2,
                 op=lambda e: expectation_of_independent(e, moments)),
            Step(r"collect: the means cancel", (sigma_r**2 + sigma_g**2) / n + 2 * sigma_r * sigma_g * (1 - c4_squared())),
        ),
        wrong_variants=(
            WrongVariant("mean term only (no bias from the standard deviations)", (sigma_r**2 + sigma_g**2) / n),
            WrongVariant("standard-deviation term only", 2 * sigma_r * sigma_g * (1 - c4_squared())),
            WrongVariant("(σ_r + σ_g)²/n", (sigma_r + sigma_g) ** 2 / n),
        ),
        sources=(
            Source(S004, "4195", r"Requires many samples for stable covariance estimates",
                   behaviour="fid_bias_shrinks_like_one_over_n", at={"d": 8}),
            Source(S004, "4193–4194", r"Still depends on feature extractor choice (Inception network bias); Doesn't explicitly separate precision from recall",
                   note="statements about the feature extractor and the metric's design, not formulas"),
            Source(S004, "4196–4198", r"Sensitive to implementation details; Better correlation with human judgment than IS, but still imperfect.",
                   note="empirical statements, not formulas"),
        ),
    )
