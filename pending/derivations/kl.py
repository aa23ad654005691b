r"""KL divergence: closed forms from the definition, Gibbs, CE = H + KL, MLE = forward KL.

Every closed form is derived from :math:`\mathrm{KL}(p\|q) = \mathbb E_p[\log p - \log q]`:
expand the log-ratio, then take the expectation under p with p's moments (continuous) or
by summing over the support (discrete). Seeds: 000 L196–222 (KL(p_data‖p_θ), MLE = forward
KL), 002 (VAE regulariser), 003 L1925–2075 (KL worked examples, Gibbs, CE = H + KL,
MLE through the KL lens), 004 (Gaussian KL in the VAE).
"""

from __future__ import annotations

import sympy
import sympy.stats
from sympy import Rational, log, pi

from derivspec.derivations.moments import gaussian_expectation
from derivspec.derivations.nll import BERNOULLI_NLL, GAUSSIAN_NLL, S000, S002, S003, p, y01
from derivspec.core.claims import (REAL, UNIT_INTERVAL, Claim, Source, Step, Var, WrongVariant,
                              count_between, positive_between, real_between)
from derivspec.core.registry import register
from derivspec.numerics import kl as numeric

FAMILY = "kl"
S004 = "004_ac0a1d509ce21c57.txt"

# --- variables ---------------------------------------------------------------------------
MU1, MU2 = Var("mu1", r"\mu_1", REAL), Var("mu2", r"\mu_2", REAL)
SIGMA1, SIGMA2 = (Var(f"sigma{k}", rf"\sigma_{k}", positive_between(0.4, 2.5)) for k in (1, 2))
MU, SIGMA = Var("mu", r"\mu", REAL), Var("sigma", r"\sigma", positive_between(0.3, 2.5))
P = Var("p", "p", UNIT_INTERVAL)
Q = Var("q", "q", UNIT_INTERVAL)

mu1, mu2, sigma1, sigma2 = MU1.symbol, MU2.symbol, SIGMA1.symbol, SIGMA2.symbol
mu, sigma, q = MU.symbol, SIGMA.symbol, Q.symbol
x = sympy.Symbol("x", real=True)  # the integration variable


def kl_univariate(m1, s1, m2, s2):
    """The closed form derived below, reused by the claims built on it."""
    return log(s2 / s1) + (s1**2 + (m1 - m2) ** 2) / (2 * s2**2) - Rational(1, 2)


# --- univariate Gaussian -----------------------------------------------------------------

def log_normal(at, mean, std):
    """log N(at; mean, std²) = −NLL (claim nll.gaussian)."""
    return -GAUSSIAN_NLL.subs({sympy.Symbol("y", real=True): at, sympy.Symbol("mu", real=True): mean,
                               sympy.Symbol("sigma", positive=True): std}, simultaneous=True)


def univariate_derivation():
    """KL(N(μ₁,σ₁²) ‖ N(μ₂,σ₂²)) = log(σ₂/σ₁) + (σ₁² + (μ₁−μ₂)²)/(2σ₂²) − ½."""
    p_density = sympy.stats.density(sympy.stats.Normal("P", mu1, sigma1))(x)
    q_density = sympy.stats.density(sympy.stats.Normal("Q", mu2, sigma2))(x)
    return (
        Step(r"definition: \mathrm{KL}(p\|q) = \mathbb E_p[\log p(x) - \log q(x)]; the log-ratio of the two densities (sympy.stats.Normal)",
             log(p_density) - log(q_density)),
        Step(r"expand the logs: the normalisers give \log(\sigma_2/\sigma_1)",
             log(sigma2 / sigma1) - (x - mu1) ** 2 / (2 * sigma1**2) + (x - mu2) ** 2 / (2 * sigma2**2)),
        Step(r"expectation under p: E[(x-\mu_1)^2] = \sigma_1^2, E[(x-\mu_2)^2] = \sigma_1^2 + (\mu_1-\mu_2)^2",
             log(sigma2 / sigma1) - Rational(1, 2) + (sigma1**2 + (mu1 - mu2) ** 2) / (2 * sigma2**2),
             op=lambda e: gaussian_expectation(e, [x], [mu1], sympy.Matrix([[sigma1**2]]))),
        Step("collect", kl_univariate(mu1, sigma1, mu2, sigma2)),
    )


UNIVARIATE_WRONG = (
    WrongVariant("missing -1/2", log(sigma2 / sigma1) + (sigma1**2 + (mu1 - mu2) ** 2) / (2 * sigma2**2)),
    WrongVariant("sigma in place of sigma^2", log(sigma2 / sigma1) + (sigma1 + (mu1 - mu2) ** 2) / (2 * sigma2) - Rational(1, 2)),
    WrongVariant("arguments swapped (KL(q||p))", kl_univariate(mu2, sigma2, mu1, sigma1)),
    WrongVariant("log-ratio upside down", log(sigma1 / sigma2) + (sigma1**2 + (mu1 - mu2) ** 2) / (2 * sigma2**2) - Rational(1, 2)),
)

register(Claim(
    id="kl.gaussian.univariate",
    title="KL between two univariate Gaussians",
    family=FAMILY,
    statement=r"\mathrm{KL}(\mathcal N(\mu_1,\sigma_1^2)\,\|\,\mathcal N(\mu_2,\sigma_2^2))",
    variables=(MU1, SIGMA1, MU2, SIGMA2),
    derivation=univariate_derivation(),
    numeric=numeric.kl_routes(numeric.normal("mu1", "sigma1"), numeric.normal("mu2", "sigma2"),
                              quadrature=numeric.quadrature_univariate),
    numeric_route="Monte Carlo (x ~ p, 3 parameter points); torch kl_divergence; scipy quad of p log(p/q)",
    wrong_variants=UNIVARIATE_WRONG,
    sources=(
        Source(S003, "2143–2147", r"\text{KL}(\mathcal{N}(\mu_1, \sigma_1^2) \parallel \mathcal{N}(\mu_2, \sigma_2^2)) = \log \frac{\sigma_2}{\sigma_1} + \frac{\sigma_1^2 + (\mu_1 - \mu_2)^2}{2\sigma_2^2} - \frac{1}{2}",
               expr=log(sigma2 / sigma1) + (sigma1**2 + (mu1 - mu2) ** 2) / (2 * sigma2**2) - Rational(1, 2)),
    ),
))


# --- standard normal prior and the VAE regulariser ---------------------------------------

def standard_derivation():
    """KL(N(μ,σ²) ‖ N(0,1)) = ½(μ² + σ² − 1 − log σ²)."""
    general = kl_univariate(mu1, sigma1, mu2, sigma2)
    return (
        Step("univariate Gaussian KL (claim kl.gaussian.univariate)", general),
        Step(r"prior \mathcal N(0, 1): \mu_2 = 0, \sigma_2 = 1",
             log(1 / sigma) + (sigma**2 + mu**2) / 2 - Rational(1, 2),
             op=lambda e: e.subs({mu1: mu, sigma1: sigma, mu2: 0, sigma2: 1})),
        Step(r"-\log\sigma = -\tfrac12\log\sigma^2", (mu**2 + sigma**2 - 1 - log(sigma**2)) / 2),
    )


register(Claim(
    id="kl.gaussian.standard",
    title="KL from a Gaussian to the standard normal",
    family=FAMILY,
    statement=r"\mathrm{KL}(\mathcal N(\mu,\sigma^2)\,\|\,\mathcal N(0,1))",
    variables=(MU, SIGMA),
    derivation=standard_derivation(),
    numeric=numeric.kl_routes(numeric.normal("mu", "sigma"), numeric.STANDARD_NORMAL),
    numeric_route="Monte Carlo (x ~ p, 3 parameter points); torch kl_divergence",
    wrong_variants=(
        WrongVariant("missing -1", (mu**2 + sigma**2 - log(sigma**2)) / 2),
        WrongVariant("log sigma in place of log sigma^2", (mu**2 + sigma**2 - 1 - log(sigma)) / 2),
        WrongVariant("missing 1/2", mu**2 + sigma**2 - 1 - log(sigma**2)),
        WrongVariant("arguments swapped (KL(N(0,1)||q))", kl_univariate(0, 1, mu, sigma)),
    ),
    sources=(
        Source(S003, "2149–2153", r"\text{KL}(\mathcal{N}(\mu, \sigma^2) \parallel \mathcal{N}(0, 1)) = \frac{1}{2} (\mu^2 + \sigma^2 - 1 - \log \sigma^2)",
               expr=(mu**2 + sigma**2 - 1 - log(sigma**2)) / 2),
        Source(S003, "2155", r"\mu = 1, \sigma = 0.5 \Rightarrow \text{KL} = \frac{1}{2} (1 + 0.25 - 1 + \log 4) \approx 0.82",
               value=0.82, decimals=2, at={"mu": 1, "sigma": Rational(1, 2)}),
        Source(S002, "248–252", r"Minimize the divergence between the encoder's output q(z \mid u) and the prior p(z) = \mathcal{N}(0, I) ... Pushing mean \mu \to 0 and variance \sigma^2 \to 1",
               note="a statement about the minimiser (μ = 0, σ² = 1, where this KL is 0); property_tests/test_kl.py checks it"),
    ),
))

VAE_MU = tuple(Var(f"mu{j}", rf"\mu_{j}", REAL) for j in (1, 2))
VAE_SIGMA = tuple(Var(f"sigma{j}", rf"\sigma_{j}", positive_between(0.3, 2.5)) for j in (1, 2))
vae_mu, vae_sigma = [v.symbol for v in VAE_MU], [v.symbol for v in VAE_SIGMA]


def vae_regulariser(mus, sigmas):
    return sum(m**2 + s**2 - 1 - log(s**2) for m, s in zip(mus, sigmas)) / 2


def diagonal_kl(m1s, s1s, m2s, s2s):
    return sum(kl_univariate(a, b, c, d) for a, b, c, d in zip(m1s, s1s, m2s, s2s))


# --- diagonal and full-covariance Gaussians (d = 2) --------------------------------------

XS = sympy.symbols("x1 x2", real=True)
U = tuple(Var(f"u{i}", f"u_{i}", REAL) for i in (1, 2))           # mean of p
V = tuple(Var(f"v{i}", f"v_{i}", REAL) for i in (1, 2))           # mean of q
A_DIAG = tuple(Var(f"a{i}", f"a_{i}", positive_between(0.4, 2.5)) for i in (1, 2))  # std devs of p
B_DIAG = tuple(Var(f"b{i}", f"b_{i}", positive_between(0.4, 2.5)) for i in (1, 2))  # std devs of q
u, v = [w.symbol for w in U], [w.symbol for w in V]
a_diag, b_diag = [w.symbol for w in A_DIAG], [w.symbol for w in B_DIAG]
# Cholesky factors L = [[l11, 0], [l21, l22]] (l11, l22 > 0): Σ = L Lᵀ is any SPD 2×2 matrix.
L1 = (Var("a11", "a_{11}", positive_between(0.5, 2)), Var("a21", "a_{21}", real_between(-1, 1)),
      Var("a22", "a_{22}", positive_between(0.5, 2)))
L2 = (Var("b11", "b_{11}", positive_between(0.5, 2)), Var("b21", "b_{21}", real_between(-1, 1)),
      Var("b22", "b_{22}", positive_between(0.5, 2)))


def covariance(factor):
    l11, l21, l22 = (w.symbol for w in factor)
    L = sympy.Matrix([[l11, 0], [l21, l22]])
    return L * L.T


def log_mvn(xs, mean, cov):
    """log N(x; m, Σ) = −½(x−m)ᵀΣ⁻¹(x−m) − ½ log det(2πΣ) (definition, d = 2)."""
    r = sympy.Matrix(xs) - sympy.Matrix(mean)
    return -(r.T * cov.inv() * r)[0] / 2 - log((2 * pi) ** 2 * cov.det()) / 2


def multivariate_closed_form(m1, cov1, m2, cov2):
    """½[tr(Σ₂⁻¹Σ₁) + (μ₂−μ₁)ᵀΣ₂⁻¹(μ₂−μ₁) − d + log det Σ₂/det Σ₁]."""
    diff = sympy.Matrix(m2) - sympy.Matrix(m1)
    inv2 = cov2.inv()
    return ((inv2 * cov1).trace() + (diff.T * inv2 * diff)[0] - len(m1) + log(cov2.det() / cov1.det())) / 2


def multivariate_derivation():
    cov1, cov2 = covariance(L1), covariance(L2)
    return (
        Step(r"definition: \mathbb E_p[\log p(x) - \log q(x)], log-ratio of the two densities (d = 2)",
             log_mvn(XS, u, cov1) - log_mvn(XS, v, cov2)),
        Step(r"expectation under p: E[x] = \mu_1, E[x x^\top] = \Sigma_1 + \mu_1\mu_1^\top",
             gaussian_expectation(log_mvn(XS, u, cov1) - log_mvn(XS, v, cov2), XS, u, cov1),
             op=lambda e: gaussian_expectation(e, XS, u, cov1)),
        Step(r"collect: \tfrac12[\mathrm{tr}(\Sigma_2^{-1}\Sigma_1) + (\mu_2-\mu_1)^\top\Sigma_2^{-1}(\mu_2-\mu_1) - d + \log\det\Sigma_2/\det\Sigma_1]",
             multivariate_closed_form(u, cov1, v, cov2)),
    )


MULTIVARIATE_TARGET = multivariate_derivation()[-1].expr
cov1_sym, cov2_sym = covariance(L1), covariance(L2)

register(Claim(
    id="kl.gaussian.multivariate",
    title="KL between two full-covariance Gaussians (d = 2, Σ = L Lᵀ with Cholesky factors)",
    family=FAMILY,
    statement=r"\mathrm{KL}(\mathcal N(\mu_1,\Sigma_1)\,\|\,\mathcal N(\mu_2,\Sigma_2)),\ \mu_1=(u_1,u_2),\ \mu_2=(v_1,v_2),\ \Sigma_k = L_k L_k^\top",
    variables=U + L1 + V + L2,
    derivation=multivariate_derivation(),
    numeric=numeric.kl_routes(numeric.cholesky_normal(("u1", "u2"), ("a11", "a21", "a22")),
                              numeric.cholesky_normal(("v1", "v2"), ("b11", "b21", "b22"))),
    numeric_route="Monte Carlo (x ~ p, 3 parameter points); torch kl_divergence (MultivariateNormal); d > 2 in property_tests/test_kl.py",
    wrong_variants=(
        WrongVariant("missing log-det term", multivariate_closed_form(u, cov1_sym, v, cov2_sym)
                     - log(cov2_sym.det() / cov1_sym.det()) / 2),
        WrongVariant("Sigma_1^{-1} Sigma_2 in the trace",
                     multivariate_closed_form(u, cov1_sym, v, cov2_sym)
                     + ((cov1_sym.inv() * cov2_sym).trace() - (cov2_sym.inv() * cov1_sym).trace()) / 2),
        WrongVariant("missing -d", multivariate_closed_form(u, cov1_sym, v, cov2_sym) + 1),
    ),
))


def diagonal_derivation():
    cov_p = sympy.diag(a_diag[0] ** 2, a_diag[1] ** 2)
    cov_q = sympy.diag(b_diag[0] ** 2, b_diag[1] ** 2)
    return (
        Step("full-covariance KL (claim kl.gaussian.multivariate, Cholesky factors diagonal)",
             multivariate_closed_form(u, cov_p, v, cov_q)),
        Step("diagonal covariances: trace, quadratic form and log-det split per coordinate: a sum of univariate KLs",
             diagonal_kl(u, a_diag, v, b_diag)),
    )


register(Claim(
    id="kl.gaussian.diagonal",
    title="KL between diagonal Gaussians is the sum of univariate KLs (d = 2)",
    family=FAMILY,
    statement=r"\mathrm{KL}(\mathcal N(u,\mathrm{diag}(a^2))\,\|\,\mathcal N(v,\mathrm{diag}(b^2)))",
    variables=U + A_DIAG + V + B_DIAG,
    derivation=diagonal_derivation(),
    numeric=numeric.kl_routes(numeric.diagonal_normal(("u1", "u2"), ("a1", "a2")),
                              numeric.diagonal_normal(("v1", "v2"), ("b1", "b2"))),
    numeric_route="Monte Carlo (x ~ p, 3 parameter points); torch kl_divergence (Independent Normal); d > 2 in property_tests/test_kl.py",
    wrong_variants=(
        WrongVariant("one coordinate only", kl_univariate(u[0], a_diag[0], v[0], b_diag[0])),
        WrongVariant("-1/2 once instead of per coordinate", diagonal_kl(u, a_diag, v, b_diag) + Rational(1, 2)),
    ),
))


def vae_derivation():
    return (
        Step(r"diagonal KL (claim kl.gaussian.diagonal) with q = \mathcal N(0, I)",
             diagonal_kl(vae_mu, vae_sigma, (0, 0), (1, 1))),
        Step(r"each coordinate is kl.gaussian.standard: \tfrac12(\mu_j^2+\sigma_j^2-1-\log\sigma_j^2)",
             vae_regulariser(vae_mu, vae_sigma)),
    )


register(Claim(
    id="kl.vae-regulariser",
    title="VAE regulariser: KL(N(μ, diag σ²) ‖ N(0, I)) = ½ Σ (μ² + σ² − 1 − log σ²)",
    family=FAMILY,
    statement=r"\mathrm{KL}(\mathcal N(\mu,\mathrm{diag}(\sigma^2))\,\|\,\mathcal N(0,I)),\ d=2",
    variables=VAE_MU + VAE_SIGMA,
    derivation=vae_derivation(),
    numeric=numeric.kl_routes(numeric.diagonal_normal(("mu1", "mu2"), ("sigma1", "sigma2")),
                              lambda prm, device: numeric.diagonal_normal(("z", "z"), ("o", "o"))({"z": 0.0, "o": 1.0}, device)),
    numeric_route="Monte Carlo (x ~ q(z|x), 3 parameter points); torch kl_divergence (Independent Normal vs N(0, I))",
    wrong_variants=(
        WrongVariant("log sigma in place of log sigma^2", sum(m**2 + s**2 - 1 - log(s) for m, s in zip(vae_mu, vae_sigma)) / 2),
        WrongVariant("sign flipped (as a reward)", -vae_regulariser(vae_mu, vae_sigma)),
        WrongVariant("missing 1/2", 2 * vae_regulariser(vae_mu, vae_sigma)),
    ),
    sources=(
        Source(S003, "2153", r"This is the exact term that shows up in the VAE loss (L19) — pulling the encoder's posterior toward a standard-normal prior.",
               note="refers to the one-dimensional term (kl.gaussian.standard); no seed writes the d-dimensional sum"),
        Source(S002, "183–188", r"\mathcal{L} = \Vert x - \hat{x}\Vert^2 + \beta \cdot D_{KL}(\mathcal{N}(\mu_z, \sigma_z) \Vert \mathcal{N}(0, I))",
               note="names the KL term without a closed form (the second argument of N is written sigma_z, elsewhere a variance)"),
    ),
))


# --- Bernoulli and categorical -----------------------------------------------------------

def bernoulli_derivation():
    """KL(Bern(p) ‖ Bern(q)) = p log(p/q) + (1−p) log((1−p)/(1−q))."""
    log_ratio = -BERNOULLI_NLL + BERNOULLI_NLL.subs(p, q)  # log Bern(y; p) − log Bern(y; q)
    return (
        Step(r"definition: \mathbb E_p[\log p(y) - \log q(y)] with \log \mathrm{Bern}(y;\cdot) from claim nll.bernoulli",
             log_ratio),
        Step(r"expectation over y \in \{0,1\}: weight p at y = 1 and 1-p at y = 0",
             p * log(p / q) + (1 - p) * log((1 - p) / (1 - q)),
             op=lambda e: p * e.subs(y01, 1) + (1 - p) * e.subs(y01, 0)),
    )


BERNOULLI_KL = bernoulli_derivation()[-1].expr

register(Claim(
    id="kl.bernoulli",
    title="KL between two Bernoulli distributions",
    family=FAMILY,
    statement=r"\mathrm{KL}(\mathrm{Bern}(p)\,\|\,\mathrm{Bern}(q))",
    variables=(P, Q),
    derivation=bernoulli_derivation(),
    numeric=numeric.kl_routes(numeric.bernoulli("p"), numeric.bernoulli("q"), quadrature=numeric.exact_bernoulli),
    numeric_route="Monte Carlo (y ~ Bern(p), 3 parameter points); torch kl_divergence; scipy.special.rel_entr",
    wrong_variants=(
        WrongVariant("arguments swapped (KL(q||p))", BERNOULLI_KL.subs({p: q, q: p}, simultaneous=True)),
        WrongVariant("dropped the y = 0 term", p * log(p / q)),
        WrongVariant("log-ratio upside down", p * log(q / p) + (1 - p) * log((1 - q) / (1 - p))),
    ),
    sources=(
        Source(S003, "1925–1931", r"p = (0.7, 0.3), q = (0.5, 0.5): \text{KL}(p \parallel q) = 0.7 \log \frac{0.7}{0.5} + 0.3 \log \frac{0.3}{0.5} ... = \mathbf{0.082} nats",
               value=0.082, decimals=3, at={"p": Rational(7, 10), "q": Rational(1, 2)}),
        Source(S003, "1933", r"In bits · divide by \ln 2 \approx 0.693, giving \approx 0.119 bits.",
               value=0.119, decimals=3, unit="bits", at={"p": Rational(7, 10), "q": Rational(1, 2)}),
        Source(S003, "1935", r"\text{KL}(q \parallel p) = 0.5 \log \frac{0.5}{0.7} + 0.5 \log \frac{0.5}{0.3} = -0.168 + 0.255 = 0.087 nats",
               value=0.087, decimals=3, at={"p": Rational(1, 2), "q": Rational(7, 10)},
               note="the reverse direction: here p = 0.5 and q = 0.7"),
        Source(S003, "1927–1929", r"\text{KL}(p \parallel q) = \sum_y p(y) \log \frac{p(y)}{q(y)}",
               expr=p * log(p / q) + (1 - p) * log((1 - p) / (1 - q)), note="the sum over y in {0, 1}"),
    ),
))

A3 = tuple(Var(f"a{k}", f"a_{k}", positive_between(0.2, 3)) for k in (1, 2, 3))
B3 = tuple(Var(f"b{k}", f"b_{k}", positive_between(0.2, 3)) for k in (1, 2, 3))
a3, b3 = [w.symbol for w in A3], [w.symbol for w in B3]


def normalised(weights):
    return [w / sum(weights) for w in weights]


def categorical_kl(ps, qs):
    return sum(pk * log(pk / qk) for pk, qk in zip(ps, qs))


def categorical_derivation():
    """KL(Cat(π) ‖ Cat(ρ)) = Σ_k π_k log(π_k/ρ_k), π = a/Σa, ρ = b/Σb."""
    pis, rhos = normalised(a3), normalised(b3)
    return (
        Step(r"definition: \mathbb E_\pi[\log \pi_Y - \log \rho_Y] = \sum_k \pi_k(\log\pi_k - \log\rho_k), "
             r"with probabilities \pi_k = a_k/\sum a, \rho_k = b_k/\sum b",
             sum(pk * (log(pk) - log(rk)) for pk, rk in zip(pis, rhos))),
        Step("log of a ratio", categorical_kl(pis, rhos)),
    )


register(Claim(
    id="kl.categorical",
    title="KL between two categorical distributions (3 classes; probabilities from positive weights)",
    family=FAMILY,
    statement=r"\mathrm{KL}(\pi\,\|\,\rho) = \sum_k \pi_k \log(\pi_k/\rho_k),\ \pi_k = a_k/\textstyle\sum a,\ \rho_k = b_k/\sum b",
    variables=A3 + B3,
    derivation=categorical_derivation(),
    numeric=numeric.kl_routes(numeric.categorical(("a1", "a2", "a3")), numeric.categorical(("b1", "b2", "b3")),
                              quadrature=numeric.exact_categorical(("a1", "a2", "a3"), ("b1", "b2", "b3"))),
    numeric_route="Monte Carlo (k ~ π, 3 parameter points); torch kl_divergence; scipy.special.rel_entr",
    wrong_variants=(
        WrongVariant("arguments swapped (KL(rho||pi))", categorical_kl(normalised(b3), normalised(a3))),
        WrongVariant("unnormalised weights", categorical_kl(a3, b3)),
    ),
    sources=(
        Source(S003, "1897–1903", r"\text{KL}(p \parallel q) := \mathbb{E}_{Y \sim p} \left[ \log \frac{p(Y)}{q(Y)} \right] = \sum_y p(y) \log \frac{p(y)}{q(y)}",
               expr=categorical_kl(normalised(a3), normalised(b3))),
        Source(S003, "1951", r"A roughly-aligned model has \text{KL} \approx 0.03",
               value=0.03, decimals=2, at=dict(zip(("a1", "a2", "a3", "b1", "b2", "b3"),
                                                   map(Rational, ("0.5", "0.3", "0.2", "0.4", "0.4", "0.2"))))),
        Source(S003, "1951", r"a wildly mismatched one has \text{KL} \approx 0.86",
               value=0.86, decimals=2, at=dict(zip(("a1", "a2", "a3", "b1", "b2", "b3"),
                                                   map(Rational, ("0.5", "0.3", "0.2", "0.1", "0.1", "0.8"))))),
        Source(S003, "1939–1945", r"p = (0.5, 0.3, 0.2), q_A = (0.4, 0.4, 0.2): ... = 0.5 \cdot 0.223 + 0.3 \cdot (-0.288) + 0 = 0.112 - 0.086 = \mathbf{0.026} nats",
               value=0.026, decimals=3, at=dict(zip(("a1", "a2", "a3", "b1", "b2", "b3"),
                                                    map(Rational, ("0.5", "0.3", "0.2", "0.4", "0.4", "0.2"))))),
        Source(S003, "1939–1949", r"p = (0.5, 0.3, 0.2), q_B = (0.1, 0.1, 0.8): ... = 0.805 + 0.330 - 0.277 = \mathbf{0.858} nats",
               value=0.858, decimals=3, at=dict(zip(("a1", "a2", "a3", "b1", "b2", "b3"),
                                                    map(Rational, ("0.5", "0.3", "0.2", "0.1", "0.1", "0.8"))))),
    ),
))


# --- properties: Gibbs, asymmetry, CE = H + KL, MLE = forward KL -------------------------

def gibbs_derivation():
    """argmin_q KL(Bern(p) ‖ Bern(q)) = p, where KL = 0 (Gibbs' inequality, equality iff q = p)."""
    return (
        Step("Bernoulli KL (claim kl.bernoulli)", BERNOULLI_KL),
        Step(r"differentiate in q: -p/q + (1-p)/(1-q) = (q-p)/(q(1-q)); negative for q < p, positive for q > p, "
             r"so the stationary point is the global minimum on (0, 1)",
             (q - p) / (q * (1 - q)), op=lambda e: sympy.diff(e, q)),
        Step("solve for q: the minimiser is q = p, where KL(p||p) = 0 (so KL >= 0, equality iff q = p)",
             p, op=lambda e: sympy.solve(e, q)[0]),
    )


register(Claim(
    id="kl.gibbs",
    title="Gibbs: KL(p‖q) ≥ 0 with equality iff q = p (Bernoulli: the minimiser over q is p)",
    family=FAMILY,
    statement=r"\arg\min_q \mathrm{KL}(\mathrm{Bern}(p)\,\|\,\mathrm{Bern}(q))",
    variables=(P,),
    derivation=gibbs_derivation(),
    numeric=numeric.bernoulli_kl_minimiser,
    numeric_route="LBFGS on torch kl_divergence(Bern(p), Bern(q)) over logit(q), 16 random p",
    wrong_variants=(
        WrongVariant("the complement", 1 - p),
        WrongVariant("uniform q", Rational(1, 2)),
    ),
    sources=(
        Source(S003, "1913–1919", r"1. \text{KL}(p\|q) \geq 0 for all p, q. ... 2. \text{KL}(p\|q) = 0 if and only if p = q everywhere.",
               note="properties: checked through the minimiser q = p (KL = 0 there) and the sign of the derivative"),
        Source(S003, "1977–1983", r"-\text{KL}(p\|q) = \mathbb{E}_p \left[ \log \frac{q(Y)}{p(Y)} \right] \leq \log \mathbb{E}_p \left[ \frac{q(Y)}{p(Y)} \right] = ... = \log 1 = 0; Equality iff q(y)/p(y) is constant — i.e. p = q",
               note="Jensen proof of KL >= 0: an inequality, checked here through its consequence, the minimiser q = p with KL = 0"),
    ),
))


def asymmetry_derivation():
    forward = kl_univariate(mu1, sigma1, mu2, sigma2)
    return (
        Step("KL(p||q) (claim kl.gaussian.univariate)", forward),
        Step("minus KL(q||p): the same formula with the arguments swapped",
             forward - kl_univariate(mu2, sigma2, mu1, sigma1),
             op=lambda e: e - e.subs({mu1: mu2, mu2: mu1, sigma1: sigma2, sigma2: sigma1}, simultaneous=True)),
        Step("simplify: zero only when sigma_1 = sigma_2 (then both equal (mu_1-mu_2)^2/(2 sigma^2))",
             2 * log(sigma2 / sigma1) + (sigma1**2 + (mu1 - mu2) ** 2) / (2 * sigma2**2)
             - (sigma2**2 + (mu1 - mu2) ** 2) / (2 * sigma1**2)),
    )


register(Claim(
    id="kl.asymmetry",
    title="KL is not symmetric: KL(p‖q) − KL(q‖p) for univariate Gaussians",
    family=FAMILY,
    statement=r"\mathrm{KL}(p\|q) - \mathrm{KL}(q\|p),\ p=\mathcal N(\mu_1,\sigma_1^2),\ q=\mathcal N(\mu_2,\sigma_2^2)",
    variables=(MU1, SIGMA1, MU2, SIGMA2),
    derivation=asymmetry_derivation(),
    numeric=numeric.asymmetry(numeric.normal("mu1", "sigma1"), numeric.normal("mu2", "sigma2")),
    numeric_route="paired Monte Carlo (x ~ p, y ~ q, 3 parameter points); kl_divergence both ways",
    wrong_variants=(
        WrongVariant("symmetric (a metric)", sympy.Integer(0)),
        WrongVariant("only the log terms differ", 2 * log(sigma2 / sigma1)),
    ),
    sources=(
        Source(S003, "1915", r"3. **Asymmetric** · in general \text{KL}(p\|q) \neq \text{KL}(q\|p).",
               note="the wrong variant 0 (symmetric) is rejected with a counterexample pair"),
        Source(S004, "1562", r"Asymmetric: D_{\text{KL}}(p\|q) \neq D_{\text{KL}}(q\|p)",
               note="the wrong variant 0 (symmetric) is rejected with a counterexample pair"),
        Source(S003, "1935", r"\text{KL}(q \parallel p) = ... = 0.087 nats — close but **different**. KL is not a metric.",
               note="the asymmetry shown on a Bernoulli pair (0.082 vs 0.087, both checked under kl.bernoulli)"),
    ),
))

A4 = tuple(Var(f"a{k}", f"a_{k}", positive_between(0.2, 3)) for k in (1, 2, 3, 4))
B4 = tuple(Var(f"b{k}", f"b_{k}", positive_between(0.2, 3)) for k in (1, 2, 3, 4))
a4, b4 = [w.symbol for w in A4], [w.symbol for w in B4]


def cross_entropy(ps, qs):
    return -sum(pk * log(qk) for pk, qk in zip(ps, qs))


def entropy(ps):
    return -sum(pk * log(pk) for pk in ps)


def cross_entropy_derivation():
    """H(p,q) − H(p) = KL(p‖q): add and subtract E_p[log p]."""
    ps, qs = normalised(a4), normalised(b4)
    return (
        Step(r"definitions: H(p,q) = -\mathbb E_p[\log q], H(p) = -\mathbb E_p[\log p]; their difference",
             cross_entropy(ps, qs) - entropy(ps)),
        Step(r"linearity of expectation: \mathbb E_p[\log p - \log q] = \mathrm{KL}(p\|q) (so H(p,q) = H(p) + KL(p||q))",
             categorical_kl(ps, qs)),
    )


register(Claim(
    id="kl.cross-entropy",
    title="Cross-entropy = entropy + KL (4 classes; probabilities from positive weights)",
    family=FAMILY,
    statement=r"H(p, q) - H(p),\ p_k = a_k/\textstyle\sum a,\ q_k = b_k/\sum b",
    variables=A4 + B4,
    derivation=cross_entropy_derivation(),
    numeric=numeric.cross_entropy_minus_entropy(("a1", "a2", "a3", "a4"), ("b1", "b2", "b3", "b4")),
    numeric_route="Monte Carlo of log p − log q (3 parameter points); F.cross_entropy with probability targets − Categorical.entropy()",
    wrong_variants=(
        WrongVariant("H(p,q) - H(q)", cross_entropy(normalised(a4), normalised(b4)) - entropy(normalised(b4))),
        WrongVariant("KL(q||p)", categorical_kl(normalised(b4), normalised(a4))),
    ),
    sources=(
        Source(S003, "1989", r"H(p, q) := -\mathbb{E}_p[\log q(Y)] = -\mathbb{E}_p[\log p(Y)] + \mathbb{E}_p\left[\log \frac{p(Y)}{q(Y)}\right] = H(p) + \text{KL}(p||q)",
               expr=categorical_kl(normalised(a4), normalised(b4)), note="read as H(p, q) - H(p) = KL(p||q)"),
        Source(S000, "211–215", r"\mathbb E_{p_{\text{data}}}[-\log p(x\mid\theta)] = \mathrm{KL}\big(p_{\text{data}}(x) \,\|\, p(x\mid \theta)\big) + H(p_{\text{data}})",
               expr=categorical_kl(normalised(a4), normalised(b4)),
               note="read as E_p[-log q] - H(p) = KL(p||q), with 4 classes"),
        Source(S002, "136–142", r"Minimize the KL divergence between the distribution of z and the standard Gaussian \mathcal N(0, I) — By Maximum Likelihood, minimize the negative log likelihood of z as computed from a standard Gaussian.",
               expr=cross_entropy(normalised(a4), normalised(b4)), relation="offset", free_of=("a1", "a2", "a3", "a4"),
               correct=r"E_p[-\log q] = \mathrm{KL}(p\|q) + H(p): the NLL of the codes under the prior is the cross-entropy; "
                       r"H(p) changes with the encoder, so minimising it is not minimising the KL",
               note="p plays the code distribution q(z) being optimised and q the fixed prior: the source says the NLL of z "
                    "under the prior, E_p[-log q] = H(p, q), equals KL(p||q) up to a constant in p; the offset is -H(p)"),
        Source(S003, "1955–1965", r"p = (0.5, 0.25, 0.125, 0.125), q = (0.125, 0.125, 0.25, 0.5): \text{KL}(p \parallel q) = H(p, q) - H(p) = 2.625 - 1.75 = \mathbf{0.875} bits",
               value=0.875, decimals=3, unit="bits", at=dict(zip(("a1", "a2", "a3", "a4", "b1", "b2", "b3", "b4"),
                         map(Rational, ("0.5", "0.25", "0.125", "0.125", "0.125", "0.125", "0.25", "0.5"))))),
    ),
))

COUNTS = tuple(Var(f"n{k}", f"n_{k}", count_between(1, 8)) for k in (1, 2, 3))
MODEL = tuple(Var(f"b{k}", f"b_{k}", positive_between(0.2, 3)) for k in (1, 2, 3))
counts, model = [w.symbol for w in COUNTS], [w.symbol for w in MODEL]


def mle_forward_derivation():
    """mean NLL − KL(p̂‖p_θ) = H(p̂), free of θ: MLE = argmin forward KL."""
    p_hat, q_theta = normalised(counts), normalised(model)
    return (
        Step(r"average NLL of N = \sum n_k observations with n_k of class k: "
             r"\frac1N\sum_i -\log q(y_i) = -\sum_k \hat p_k \log q_k, \hat p_k = n_k/N",
             cross_entropy(p_hat, q_theta)),
        Step(r"subtract \mathrm{KL}(\hat p\|q) = \sum_k \hat p_k\log(\hat p_k/q_k): the q terms cancel",
             entropy(p_hat), op=lambda e: e - categorical_kl(p_hat, q_theta)),
    )


register(Claim(
    id="kl.mle-forward",
    title="MLE minimises the forward KL: mean NLL − KL(p̂‖p_θ) = H(p̂), free of θ",
    family=FAMILY,
    statement=r"\frac1N\sum_i -\log p_\theta(y_i) - \mathrm{KL}(\hat p\,\|\,p_\theta),\ \hat p_k = n_k/N,\ p_\theta = b/\textstyle\sum b",
    variables=COUNTS + MODEL,
    derivation=mle_forward_derivation(),
    numeric=numeric.empirical_nll_minus_kl(("n1", "n2", "n3"), ("b1", "b2", "b3")),
    numeric_route="F.cross_entropy over a dataset with those class counts − torch kl_divergence(p̂, p_θ)",
    wrong_variants=(
        WrongVariant("E[log p_data] taken as the entropy (sign)", -entropy(normalised(counts))),
        WrongVariant("reverse KL subtracted", cross_entropy(normalised(counts), normalised(model))
                     - categorical_kl(normalised(model), normalised(counts))),
    ),
    sources=(
        Source(S003, "2050–2054", r"\arg \max_{\theta} \ell(\theta) = \arg \min_{\theta} H(\hat{p}_{\text{data}}, p_{\theta}) = \arg \min_{\theta} \text{KL}(\hat{p}_{\text{data}} || p_{\theta})",
               note="an argmin statement; it follows because the difference (this claim's target) is free of θ"),
        Source(S000, "205–208", r"\hat \theta_{\text{MLE}} = \arg \min_\theta \mathrm{KL}\big(p_{\text{data}}(x) \,\|\, p(x\mid \theta)\big)",
               note="an argmin statement; it follows because the difference (this claim's target) is free of θ"),
        Source(S003, "2040–2044", r"\frac{1}{N} \ell(\theta) = \frac{1}{N} \sum_{i=1}^N \log p_{\theta}(y_i) = \mathbb{E}_{Y \sim \hat{p}_{\text{data}}} [\log p_{\theta}(Y)]",
               note="the first step of the derivation (average NLL as an expectation under the empirical distribution)"),
    ),
))


# --- entropy -------------------------------------------------------------------------------

def entropy_derivation():
    """H(π) = −E_π[log π_Y] = −Σ_k π_k log π_k."""
    pis = normalised(a3)
    return (
        Step(r"definition: H(p) = \mathbb E_p[-\log p(Y)], the expected surprise, as a sum over the 3 classes",
             sum(pk * (-log(pk)) for pk in pis)),
        Step("move the sign out", entropy(pis)),
    )


ENTROPY_TABLE = (  # 003 L1851–1855, entropies in bits
    ("1853", "(0.7, 0.2, 0.1)	≈ 1.16", 1.16, ("0.7", "0.2", "0.1")),
    ("1854", "(0.5, 0.3, 0.2)	≈ 1.49", 1.49, ("0.5", "0.3", "0.2")),
    ("1855", r"(1/3, 1/3, 1/3)	\log_2 3 \approx 1.58", 1.58, ("1/3", "1/3", "1/3")),
)

register(Claim(
    id="entropy.categorical",
    title="Entropy of a categorical distribution (3 classes; probabilities from positive weights)",
    family=FAMILY,
    statement=r"H(\pi) = -\textstyle\sum_k \pi_k\log\pi_k,\ \pi_k = a_k/\sum a",
    variables=A3,
    derivation=entropy_derivation(),
    numeric=numeric.entropy_routes(("a1", "a2", "a3")),
    numeric_route="Monte Carlo of -log π_Y (3 parameter points); torch Categorical.entropy()",
    wrong_variants=(
        WrongVariant("sign flipped: E[log p]", -entropy(normalised(a3))),
        WrongVariant("unweighted sum of surprises", -sum(log(pk) for pk in normalised(a3))),
    ),
    sources=(
        Source(S003, "1794", r"H(p) := \mathbb{E}_{Y \sim p}[I(Y)] = -\mathbb{E}_{Y \sim p}[\log p(Y)] = -\sum_y p(y) \log p(y)",
               expr=entropy(normalised(a3))),
        *(Source(S003, line, row, value=value, decimals=2, unit="bits",
                 at=dict(zip(("a1", "a2", "a3"), map(Rational, weights))), note="entropy table in bits")
          for line, row, value, weights in ENTROPY_TABLE),
        Source(S000, "196–203", r"\underbrace{\mathbb E_{p_{\text{data}}}[\log p_{\text{data}}(x)]}_{\text{Entropy } H(p_{\text{data}})} - \underbrace{\mathbb E_{p_{\text{data}}}[\log p(x\mid\theta)]}_{\text{Likelihood}}",
               expr=sum(pk * log(pk) for pk in normalised(a3)),
               correct=r"\mathbb E_{p}[\log p] = -H(p), so \mathrm{KL}(p_{data}\|p_\theta) = -H(p_{data}) - \mathbb E_{p_{data}}[\log p_\theta]",
               note=r"the term labelled Entropy H(p_data) is E[log p_data], here for 3 classes; the argmin conclusion "
                    "at L205–209 survives because -H is constant in θ too"),
    ),
))


# --- forward vs reverse KL: a single Gaussian fitted to two modes -----------------------

DELTA = Var("delta", r"\delta", positive_between(0.2, 4))
delta = DELTA.symbol
m_fit, s_fit = sympy.Symbol("m", real=True), sympy.Symbol("s", positive=True)


def mixture_expectation(f):
    """E_p[f(x)] for p = ½N(−δ, 1) + ½N(δ, 1) (sympy.stats, one component at a time)."""
    return sum(sympy.stats.E(f(component)) / 2
               for component in (sympy.stats.Normal("Left", -delta, 1), sympy.stats.Normal("Right", delta, 1)))


def moment_matching_derivation():
    """argmin_{m,s} KL(p ‖ N(m, s²)) for p = ½N(−δ,1) + ½N(δ,1): m = 0, s² = 1 + δ²."""
    cross_entropy_q = log_normal(x, m_fit, s_fit)
    return (
        Step(r"forward KL = E_p[\log p] - E_p[\log q]: only the cross-entropy E_p[-\log \mathcal N(x; m, s^2)] depends on (m, s)",
             -cross_entropy_q),
        Step(r"expectation under the mixture (sympy.stats, per component): E_p[x] = 0, E_p[x^2] = 1 + \delta^2",
             (delta**2 + 1 + m_fit**2) / (2 * s_fit**2) + log(2 * pi * s_fit**2) / 2,
             op=lambda e: mixture_expectation(lambda X: e.subs(x, X))),
        Step(r"stationary in m at m = E_p[x] = 0; set the derivative in s to zero and solve for s^2",
             1 + delta**2,
             op=lambda e: sympy.solve(sympy.diff(e.subs(m_fit, 0), s_fit), s_fit)[0] ** 2),
    )


def _reverse_kl_keeps_centre(delta_value: float) -> tuple[bool, str]:
    from derivspec.reference_models.mixture_fit import fit_reverse_kl
    fit = fit_reverse_kl(delta_value, init_m=delta_value, init_s=1.0)
    evidence = (f"at δ = {delta_value} (a bimodal target: modes near ±{delta_value}), the reverse-KL fit started on the "
                f"right mode converges to m = {fit.m:.3g}, s = {fit.s:.4g} (KL {fit.kl:.4g}): it covers both modes")
    return abs(fit.m) > 0.5, evidence


def _forward_kl_covers(delta_value: float) -> tuple[bool, str]:
    from derivspec.reference_models.mixture_fit import fit_forward_kl
    fit = fit_forward_kl(delta_value)
    holds = abs(fit.m) < 1e-6 and abs(fit.s**2 - (1 + delta_value**2)) < 1e-6
    return holds, f"at δ = {delta_value}: forward-KL fit m = {fit.m:.2g}, s² = {fit.s ** 2:.6f} (1 + δ² = {1 + delta_value**2})"


REVERSE_CORRECT = (r"reverse KL seeks one mode only when the modes are well separated: for p = ½N(−δ,1) + ½N(δ,1) "
                   r"the centred fit is the only minimum for δ < 2.41 and the global one for δ < 2.80 "
                   r"(reference_models/mixture_fit.py); bimodal targets with 1 < δ < 2.41 get a centred, mode-covering fit")

register(Claim(
    id="kl.forward-reverse",
    title="Forward KL fit of a Gaussian to two modes is moment matching (s² = 1 + δ²); reverse KL seeks a mode only for δ > 2.80",
    family=FAMILY,
    statement=r"s^{*2} \text{ of } \arg\min_{m,s}\mathrm{KL}(\tfrac12\mathcal N(-\delta,1)+\tfrac12\mathcal N(\delta,1)\,\|\,\mathcal N(m,s^2))",
    variables=(DELTA,),
    derivation=moment_matching_derivation(),
    numeric=numeric.forward_fit_variance,
    numeric_route="reference model: LBFGS on the quadrature forward KL over (m, log s), 8 random δ (reference_models/mixture_fit.py)",
    wrong_variants=(
        WrongVariant("one component's variance (mode seeking)", sympy.Integer(1)),
        WrongVariant("spread of the means only", delta**2),
    ),
    sources=(
        Source(S000, "217–220", r"MLE minimizes the **Forward KL Divergence** ... This effectively forces the model to *cover* the data.",
               behaviour=lambda: _forward_kl_covers(2.5), correct="forward KL is mode covering: s² = 1 + δ²"),
        Source(S003, "2107–2111", r"**Consequence · mode-covering.** q_\theta is *forced* to put mass everywhere p does. If p has two modes, q_\theta has to span both.",
               behaviour=lambda: _forward_kl_covers(3.0), correct="forward KL is mode covering: s² = 1 + δ²"),
        Source(S003, "2117–2124", r"**Consequence · mode-seeking.** q_\theta concentrates on a single high-density region. Two-mode target \rightarrow q_\theta picks one mode and ignores the other.",
               behaviour=lambda: _reverse_kl_keeps_centre(2.0), correct=REVERSE_CORRECT),
        Source(S004, "1559–1561", r"Reverse KL D_{\text{KL}}(p_\theta\|p_{\text{data}}) is **mode-seeking**: p_\theta focuses on peak regions",
               note="true for well-separated modes (δ > 2.80 here); see the 003:2117–2124 erratum for where it fails"),
    ),
))
