r"""KL between Gaussians: univariate, to the standard normal, full covariance and diagonal (d = 2).

Seeds: 002 L248–252; 003 L2143–2155. The d-dimensional forms are stated by no seed as formulas;
they are the general case of the univariate one and the parent of the VAE regulariser
(``kl.vae``). Larger d is checked numerically in property_tests/test_kl.py.
"""

from __future__ import annotations

import sympy
import sympy.stats
from sympy import Rational, log, pi

from derivspec.core import (REAL, Claim, Source, Step, Var, WrongVariant, claim, positive_between, real_between,
                            target_of)
from derivspec.core.lectures import S002, S003
from derivspec.derivations.moments import gaussian_expectation

MU1, MU2 = Var("mu1", r"\mu_1", REAL), Var("mu2", r"\mu_2", REAL)
SIGMA1, SIGMA2 = (Var(f"sigma{k}", rf"\sigma_{k}", positive_between(0.4, 2.5)) for k in (1, 2))
MU, SIGMA = Var("mu", r"\mu", REAL), Var("sigma", r"\sigma", positive_between(0.3, 2.5))
mu1, mu2, sigma1, sigma2 = MU1.symbol, MU2.symbol, SIGMA1.symbol, SIGMA2.symbol
mu, sigma = MU.symbol, SIGMA.symbol
x = sympy.Symbol("x", real=True)  # the integration variable


def kl_univariate(m1, s1, m2, s2) -> sympy.Expr:
    """KL(N(m1, s1²) ‖ N(m2, s2²)): the target of ``kl.gaussian.univariate`` at other arguments."""
    return target_of("kl.gaussian.univariate").subs({mu1: m1, sigma1: s1, mu2: m2, sigma2: s2}, simultaneous=True)


def univariate_closed_form(m1, s1, m2, s2) -> sympy.Expr:
    """The closed form as lectures write it, for wrong variants and sources."""
    return log(s2 / s1) + (s1**2 + (m1 - m2) ** 2) / (2 * s2**2) - Rational(1, 2)


@claim("kl.gaussian.univariate")
def kl_gaussian_univariate() -> Claim:
    """KL(N(μ₁,σ₁²) ‖ N(μ₂,σ₂²)) = log(σ₂/σ₁) + (σ₁² + (μ₁−μ₂)²)/(2σ₂²) − ½."""
    p_density = sympy.stats.density(sympy.stats.Normal("P", mu1, sigma1))(x)
    q_density = sympy.stats.density(sympy.stats.Normal("Q", mu2, sigma2))(x)
    return Claim(
        title="KL between two univariate Gaussians",
        recognise=(r"\mathrm{KL}(\mathcal N(\mu_1, \sigma_1^2) \| \mathcal N(\mu_2, \sigma_2^2))",),
        statement=r"\mathrm{KL}(\mathcal N(\mu_1,\sigma_1^2)\,\|\,\mathcal N(\mu_2,\sigma_2^2))",
        variables=(MU1, SIGMA1, MU2, SIGMA2),
        derivation=(
            Step(r"definition: \mathrm{KL}(p\|q) = \mathbb E_p[\log p(x) - \log q(x)]; the log-ratio of the two densities (sympy.stats.Normal)",
                 log(p_density) - log(q_density)),
            Step(r"expand the logs: the normalisers give \log(\sigma_2/\sigma_1)",
                 log(sigma2 / sigma1) - (x - mu1) ** 2 / (2 * sigma1**2) + (x - mu2) ** 2 / (2 * sigma2**2)),
            Step(r"expectation under p: E[(x-\mu_1)^2] = \sigma_1^2, E[(x-\mu_2)^2] = \sigma_1^2 + (\mu_1-\mu_2)^2",
                 log(sigma2 / sigma1) - Rational(1, 2) + (sigma1**2 + (mu1 - mu2) ** 2) / (2 * sigma2**2),
                 op=lambda e: gaussian_expectation(e, [x], [mu1], sympy.Matrix([[sigma1**2]]))),
            Step("collect", univariate_closed_form(mu1, sigma1, mu2, sigma2)),
        ),
        wrong_variants=(
            WrongVariant("missing -1/2", log(sigma2 / sigma1) + (sigma1**2 + (mu1 - mu2) ** 2) / (2 * sigma2**2)),
            WrongVariant("sigma in place of sigma^2",
                         log(sigma2 / sigma1) + (sigma1 + (mu1 - mu2) ** 2) / (2 * sigma2) - Rational(1, 2)),
            WrongVariant("arguments swapped (KL(q||p))", univariate_closed_form(mu2, sigma2, mu1, sigma1)),
            WrongVariant("log-ratio upside down",
                         log(sigma1 / sigma2) + (sigma1**2 + (mu1 - mu2) ** 2) / (2 * sigma2**2) - Rational(1, 2)),
        ),
        sources=(
            Source(S003, "2143–2147", r"\text{KL}(\mathcal{N}(\mu_1, \sigma_1^2) \parallel \mathcal{N}(\mu_2, \sigma_2^2)) = \log \frac{\sigma_2}{\sigma_1} + \frac{\sigma_1^2 + (\mu_1 - \mu_2)^2}{2\sigma_2^2} - \frac{1}{2}",
                   expr=univariate_closed_form(mu1, sigma1, mu2, sigma2)),
        ),
    )


@claim("kl.gaussian.standard")
def kl_gaussian_standard() -> Claim:
    """KL(N(μ,σ²) ‖ N(0,1)) = ½(μ² + σ² − 1 − log σ²)."""
    return Claim(
        title="KL from a Gaussian to the standard normal",
        recognise=(r"\mathrm{KL}(\mathcal N(\mu, \sigma^2) \| \mathcal N(0, 1))",),
        statement=r"\mathrm{KL}(\mathcal N(\mu,\sigma^2)\,\|\,\mathcal N(0,1))",
        variables=(MU, SIGMA),
        derivation=(
            Step("univariate Gaussian KL (claim kl.gaussian.univariate)", target_of("kl.gaussian.univariate")),
            Step(r"prior \mathcal N(0, 1): \mu_2 = 0, \sigma_2 = 1",
                 log(1 / sigma) + (sigma**2 + mu**2) / 2 - Rational(1, 2),
                 op=lambda e: e.subs({mu1: mu, sigma1: sigma, mu2: 0, sigma2: 1})),
            Step(r"-\log\sigma = -\tfrac12\log\sigma^2", (mu**2 + sigma**2 - 1 - log(sigma**2)) / 2),
        ),
        wrong_variants=(
            WrongVariant("missing -1", (mu**2 + sigma**2 - log(sigma**2)) / 2),
            WrongVariant("log sigma in place of log sigma^2", (mu**2 + sigma**2 - 1 - log(sigma)) / 2),
            WrongVariant("missing 1/2", mu**2 + sigma**2 - 1 - log(sigma**2)),
            WrongVariant("arguments swapped (KL(N(0,1)||q))", univariate_closed_form(0, 1, mu, sigma)),
        ),
        sources=(
            Source(S003, "2149–2153", r"\text{KL}(\mathcal{N}(\mu, \sigma^2) \parallel \mathcal{N}(0, 1)) = \frac{1}{2} (\mu^2 + \sigma^2 - 1 - \log \sigma^2)",
                   expr=(mu**2 + sigma**2 - 1 - log(sigma**2)) / 2),
            Source(S003, "2155", r"\mu = 1, \sigma = 0.5 \Rightarrow \text{KL} = \frac{1}{2} (1 + 0.25 - 1 + \log 4) \approx 0.82",
                   value=0.82, decimals=2, at={"mu": 1, "sigma": Rational(1, 2)}),
            Source(S002, "248–252", r"Minimize the divergence between the encoder's output q(z \mid u) and the prior p(z) = \mathcal{N}(0, I) ... Pushing mean \mu \to 0 and variance \sigma^2 \to 1",
                   value=0, decimals=9, at={"mu": 0, "sigma": 1},
                   note="a statement about the minimiser: this KL is 0 at μ = 0, σ² = 1 (compared) and never negative "
                        "(claim kl.gibbs), so that is where it is smallest"),
        ),
    )


# --- full-covariance and diagonal Gaussians (d = 2) ---------------------------------------

D = 2
XS = sympy.symbols("x1 x2", real=True)  # the integration variable, x in R^2
U = tuple(Var(f"u{i}", f"u_{i}", REAL) for i in (1, 2))  # mean of p
V = tuple(Var(f"v{i}", f"v_{i}", REAL) for i in (1, 2))  # mean of q
A_DIAG = tuple(Var(f"a{i}", f"a_{i}", positive_between(0.4, 2.5)) for i in (1, 2))  # standard deviations of p
B_DIAG = tuple(Var(f"b{i}", f"b_{i}", positive_between(0.4, 2.5)) for i in (1, 2))  # standard deviations of q
# Cholesky factors L = [[l11, 0], [l21, l22]] (l11, l22 > 0): Σ = L Lᵀ is any SPD 2×2 matrix.
L1 = (Var("a11", "a_{11}", positive_between(0.5, 2)), Var("a21", "a_{21}", real_between(-1, 1)),
      Var("a22", "a_{22}", positive_between(0.5, 2)))
L2 = (Var("b11", "b_{11}", positive_between(0.5, 2)), Var("b21", "b_{21}", real_between(-1, 1)),
      Var("b22", "b_{22}", positive_between(0.5, 2)))
u, v = [w.symbol for w in U], [w.symbol for w in V]
a_diag, b_diag = [w.symbol for w in A_DIAG], [w.symbol for w in B_DIAG]
a11, a21, a22 = (w.symbol for w in L1)
b11, b21, b22 = (w.symbol for w in L2)


def covariance(factor) -> sympy.Matrix:
    """Σ = L Lᵀ for the Cholesky factor L = [[l11, 0], [l21, l22]] named by three Vars."""
    l11, l21, l22 = (w.symbol for w in factor)
    L = sympy.Matrix([[l11, 0], [l21, l22]])
    return L * L.T


def log_mvn(xs, mean, cov) -> sympy.Expr:
    """log N(x; m, Σ) = −½(x−m)ᵀΣ⁻¹(x−m) − ½ log det(2πΣ) (the definition, d = 2)."""
    r = sympy.Matrix(xs) - sympy.Matrix(mean)
    return -(r.T * cov.inv() * r)[0] / 2 - log((2 * pi) ** D * cov.det()) / 2


def trace_term(cov1, cov2) -> sympy.Expr:
    """tr(Σ₂⁻¹Σ₁)."""
    return (cov2.inv() * cov1).trace()


def mahalanobis(m1, m2, cov) -> sympy.Expr:
    """(μ₂−μ₁)ᵀΣ⁻¹(μ₂−μ₁)."""
    diff = sympy.Matrix(m2) - sympy.Matrix(m1)
    return (diff.T * cov.inv() * diff)[0]


def multivariate_closed_form(m1, cov1, m2, cov2) -> sympy.Expr:
    """½[tr(Σ₂⁻¹Σ₁) + (μ₂−μ₁)ᵀΣ₂⁻¹(μ₂−μ₁) − d + log det Σ₂/det Σ₁] (the textbook form)."""
    return (trace_term(cov1, cov2) + mahalanobis(m1, m2, cov2) - len(m1) + log(cov2.det() / cov1.det())) / 2


def diagonal_kl(m1s, s1s, m2s, s2s) -> sympy.Expr:
    """Σ_j KL(N(m1_j, s1_j²) ‖ N(m2_j, s2_j²)), each term the target of kl.gaussian.univariate."""
    return sum(kl_univariate(a, b, c, d) for a, b, c, d in zip(m1s, s1s, m2s, s2s))


@claim("kl.gaussian.multivariate")
def kl_gaussian_multivariate() -> Claim:
    r"""KL(N(μ₁,Σ₁) ‖ N(μ₂,Σ₂)) = ½[tr(Σ₂⁻¹Σ₁) + (μ₂−μ₁)ᵀΣ₂⁻¹(μ₂−μ₁) − d + log det Σ₂/det Σ₁] (d = 2)."""
    cov1, cov2 = covariance(L1), covariance(L2)
    return Claim(
        title="KL between two full-covariance Gaussians (d = 2, Σ = L Lᵀ with Cholesky factors)",
        statement=r"\mathrm{KL}(\mathcal N(\mu_1,\Sigma_1)\,\|\,\mathcal N(\mu_2,\Sigma_2)),\ \mu_1=(u_1,u_2),\ \mu_2=(v_1,v_2),\ \Sigma_k = L_k L_k^\top",
        variables=U + L1 + V + L2,
        derivation=(
            Step(r"definition: \mathbb E_p[\log p(x) - \log q(x)], log-ratio of the two densities (d = 2)",
                 log_mvn(XS, u, cov1) - log_mvn(XS, v, cov2)),
            Step(r"expectation under p (E[x] = \mu_1, E[x x^\top] = \Sigma_1 + \mu_1\mu_1^\top): "
                 r"E[(x-\mu_1)^\top\Sigma_1^{-1}(x-\mu_1)] = \mathrm{tr}(\Sigma_1^{-1}\Sigma_1) = d, "
                 r"E[(x-\mu_2)^\top\Sigma_2^{-1}(x-\mu_2)] = \mathrm{tr}(\Sigma_2^{-1}\Sigma_1) + (\mu_2-\mu_1)^\top\Sigma_2^{-1}(\mu_2-\mu_1)",
                 -sympy.Integer(D) / 2 - log((2 * pi) ** D * cov1.det()) / 2
                 + (trace_term(cov1, cov2) + mahalanobis(u, v, cov2)) / 2 + log((2 * pi) ** D * cov2.det()) / 2,
                 op=lambda e: gaussian_expectation(e, XS, u, cov1)),
            Step(r"collect: the (2\pi)^d cancel, \tfrac12[\mathrm{tr}(\Sigma_2^{-1}\Sigma_1) + (\mu_2-\mu_1)^\top\Sigma_2^{-1}(\mu_2-\mu_1) - d + \log\det\Sigma_2/\det\Sigma_1]",
                 multivariate_closed_form(u, cov1, v, cov2)),
        ),
        wrong_variants=(
            WrongVariant("missing log-det term",
                         multivariate_closed_form(u, cov1, v, cov2) - log(cov2.det() / cov1.det()) / 2),
            WrongVariant("Sigma_1^{-1} Sigma_2 in the trace",
                         multivariate_closed_form(u, cov1, v, cov2) + (trace_term(cov2, cov1) - trace_term(cov1, cov2)) / 2),
            WrongVariant("missing -d", multivariate_closed_form(u, cov1, v, cov2) + 1),
        ),
    )


@claim("kl.gaussian.diagonal")
def kl_gaussian_diagonal() -> Claim:
    """KL between diagonal Gaussians = Σ_j KL(N(u_j, a_j²) ‖ N(v_j, b_j²)) (d = 2)."""
    (a1, a2), (b1, b2) = a_diag, b_diag
    return Claim(
        title="KL between diagonal Gaussians is the sum of univariate KLs (d = 2)",
        statement=r"\mathrm{KL}(\mathcal N(u,\mathrm{diag}(a^2))\,\|\,\mathcal N(v,\mathrm{diag}(b^2)))",
        variables=U + A_DIAG + V + B_DIAG,
        derivation=(
            Step("full-covariance KL (claim kl.gaussian.multivariate)", target_of("kl.gaussian.multivariate")),
            Step(r"diagonal Cholesky factors L_1 = \mathrm{diag}(a), L_2 = \mathrm{diag}(b): "
                 r"\tfrac12[\sum_j a_j^2/b_j^2 + \sum_j (v_j-u_j)^2/b_j^2 - 2 + \log(b_1^2 b_2^2/(a_1^2 a_2^2))]",
                 (a1**2 / b1**2 + a2**2 / b2**2 + (v[0] - u[0]) ** 2 / b1**2 + (v[1] - u[1]) ** 2 / b2**2 - 2
                  + log(b1**2 * b2**2 / (a1**2 * a2**2))) / 2,
                 op=lambda e: e.subs({a11: a1, a21: 0, a22: a2, b11: b1, b21: 0, b22: b2})),
            Step(r"trace, quadratic form and log-det split per coordinate: a sum of univariate KLs "
                 r"(claim kl.gaussian.univariate), \sum_j [\log(b_j/a_j) + (a_j^2 + (u_j-v_j)^2)/(2b_j^2) - \tfrac12]",
                 diagonal_kl(u, a_diag, v, b_diag)),
        ),
        wrong_variants=(
            WrongVariant("one coordinate only", kl_univariate(u[0], a_diag[0], v[0], b_diag[0])),
            WrongVariant("-1/2 once instead of per coordinate", diagonal_kl(u, a_diag, v, b_diag) + Rational(1, 2)),
        ),
    )
