r"""Factor analysis and probabilistic PCA with D = 2 observed and d = 1 latent dimension.

Model: z ~ N(0, 1), x | z ~ N(w z + b, Ψ) with Ψ = diag(ψ_1, ψ_2) (factor analysis; PPCA is
ψ_1 = ψ_2 = σ²). Integrating z out gives x ~ N(b, wwᵀ + Ψ); completing the square in z gives
the posterior N(m(x), v) with v = 1/(1 + Σ_j w_j²/ψ_j) and m(x) = v Σ_j w_j(x_j − b_j)/ψ_j.
For PPCA the maximum-likelihood noise variance is the mean of the discarded eigenvalues of
the sample covariance S (Tipping & Bishop 1999); with D = 2, d = 1 the fitted covariance
reproduces S and σ² is its smaller eigenvalue. ``reference_models/ppca.py`` checks the closed
form against EM and (in property_tests) scikit-learn.

Seeds: 004 L862–864, L936–990, L2551–2554; 002 L303–311.
"""

from __future__ import annotations

import sympy
import sympy.stats
from sympy import log, pi, sqrt

from derivspec.core import (REAL, Claim, Recognise, Source, Step, Var, WrongVariant, claim, positive_between,
                            real_between)
from derivspec.core.lectures import S002, S004
from derivspec.derivations.latent.integrals import gaussian_integral
from derivspec.derivations.nll.gaussian import gaussian_nll

XS = tuple(Var(f"x{j}", f"x_{j}", REAL) for j in (1, 2))
WS = tuple(Var(f"w{j}", f"w_{j}", real_between(-2, 2)) for j in (1, 2))
BS = tuple(Var(f"b{j}", f"b_{j}", REAL) for j in (1, 2))
PSIS = tuple(Var(f"psi{j}", rf"\psi_{j}", positive_between(0.2, 2)) for j in (1, 2))
(x1, x2), (w1, w2), (b1, b2), (psi1, psi2) = ([v.symbol for v in group] for group in (XS, WS, BS, PSIS))
C11 = Var("c11", "c_{11}", positive_between(1, 3))
C22 = Var("c22", "c_{22}", positive_between(1, 3))
C12 = Var("c12", "c_{12}", real_between(-0.9, 0.9))
c11, c22, c12 = C11.symbol, C22.symbol, C12.symbol
z = sympy.Symbol("z", real=True)
lam = sympy.Symbol("lambda", real=True)

DET = psi1 * psi2 + w1**2 * psi2 + w2**2 * psi1  # det(w wᵀ + Ψ)
QUADRATIC = ((w2**2 + psi2) * (x1 - b1) ** 2 - 2 * w1 * w2 * (x1 - b1) * (x2 - b2) + (w1**2 + psi1) * (x2 - b2) ** 2) / DET
PRECISION = 1 + w1**2 / psi1 + w2**2 / psi2  # 1/Var[z | x]


def normal(at, mean, std):
    return sympy.stats.density(sympy.stats.Normal("N", mean, std))(at)


def log_joint():
    """log N(z; 0, 1) + Σ_j log N(x_j; w_j z + b_j, ψ_j) (claim nll.gaussian)."""
    return (-gaussian_nll(z, 0, 1) - gaussian_nll(x1, w1 * z + b1, sqrt(psi1)) - gaussian_nll(x2, w2 * z + b2, sqrt(psi2)))


@claim("latent.fa.marginal")
def latent_fa_marginal() -> Claim:
    """log ∫ N(x; wz + b, Ψ) N(z; 0, 1) dz = log N(x; b, wwᵀ + Ψ)."""
    joint = normal(x1, w1 * z + b1, sqrt(psi1)) * normal(x2, w2 * z + b2, sqrt(psi2)) * normal(z, 0, 1)
    return Claim(
        title="Factor analysis / PPCA marginal: x ~ N(b, wwᵀ + Ψ) (D = 2, d = 1; Ψ = σ²I for PPCA)",
        statement=r"\log\int \mathcal N(x; wz+b, \Psi)\,\mathcal N(z;0,1)\,dz,\ \Psi = \mathrm{diag}(\psi_1,\psi_2)",
        variables=XS + WS + BS + PSIS,
        derivation=(
            Step(r"definition: the joint p(z)p(x\mid z) = \mathcal N(z;0,1)\prod_j\mathcal N(x_j; w_jz+b_j, \psi_j) (sympy.stats)", joint),
            Step(r"integrate z out (complete the square; Gaussian integral): the bivariate normal density with covariance "
                 r"C = ww^\top + \Psi, \det C = \psi_1\psi_2 + w_1^2\psi_2 + w_2^2\psi_1",
                 sympy.exp(-QUADRATIC / 2) / (2 * pi * sqrt(DET)), op=lambda e: gaussian_integral(e, z)),
            Step(r"take the log: -\tfrac12(x-b)^\top C^{-1}(x-b) - \log 2\pi - \tfrac12\log\det C",
                 -QUADRATIC / 2 - log(2 * pi) - log(DET) / 2, op=log),
        ),
        wrong_variants=(
            WrongVariant("noise covariance only (the latent's contribution w w^T dropped)",
                         -(x1 - b1) ** 2 / (2 * psi1) - (x2 - b2) ** 2 / (2 * psi2) - log(2 * pi) - log(psi1 * psi2) / 2),
            WrongVariant("off-diagonal covariance w1 w2 dropped (independent coordinates)",
                         -(x1 - b1) ** 2 / (2 * (w1**2 + psi1)) - (x2 - b2) ** 2 / (2 * (w2**2 + psi2)) - log(2 * pi)
                         - log((w1**2 + psi1) * (w2**2 + psi2)) / 2),
            WrongVariant("log det halved twice", -QUADRATIC / 2 - log(2 * pi) - log(DET) / 4),
        ),
        sources=(
            Source(S004, "1227–1229", r"For models *with* latent variables, scoring requires computing the marginal likelihood: p(x|\theta) = \int p(x, z|\theta) dz = \int p(x|z, \theta)p(z|\theta) dz \quad (39)",
                   note="the integral the derivation evaluates in closed form for the linear-Gaussian model"),
            Source(S004, "1084–1091", r"Ancestral Sampling For models with tractable conditional distributions: p(x) = \int p(x|z)p(z)dz (32); 1. Sample latent: z \sim p(z) 2. Sample data: x \sim p(x|z)",
                   behaviour="fa_ancestral_samples_have_the_marginal_covariance", at={"n": 200000.0},
                   correct=r"ancestral samples have mean b and covariance ww^\top + \Psi"),
            Source(S004, "2551–2554", r"Factor Analysis: linear Gaussian model; \mathbf{z} \sim \mathcal{N}(\mathbf{0}, \mathbf{I}); \mathbf{x}|\mathbf{z} \sim \mathcal{N}(\mathbf{W}\mathbf{z} + \boldsymbol{\mu}, \boldsymbol{\Sigma}); EM algorithm for learning",
                   note=r"the model; its marginal is this claim with b = \mu, \Psi = \Sigma, read with \Sigma diagonal as factor "
                        r"analysis takes it; a full \Sigma is not compared (this claim's \Psi is diagonal)"),
            Source(S004, "938–948", r"P(X, Z) = P(Z; \theta) P(X | Z; \phi) (25); P(Z) = \mathcal{N}(0, I_k) (26); P(X | Z; \phi) = \mathcal{N}(\mu_\phi(Z), \sigma^2 I_d) (27)",
                   note=r"with a linear decoder \mu_\phi(z) = wz + b this is PPCA, \psi_1 = \psi_2 = \sigma^2; a neural \mu_\phi has no "
                        r"closed-form marginal"),
            Source(S004, "950–957", r"Z_i \sim \mathcal{N}(0, I_k) // Sample latent code; X_i \sim \mathcal{N}(\mu_\phi(Z_i), \sigma^2 I_d) // Generate face from features",
                   behaviour="fa_ancestral_samples_have_the_marginal_covariance", at={"n": 200000.0},
                   correct=r"ancestral samples have mean b and covariance ww^\top + \Psi"),
            Source(S004, "982–990", r"P(x) = \int P(x, z) dz = \int P(z; \theta)P(x|z; \phi) dz (30); This integral is intractable for: High-dimensional latent spaces; Complex dependencies in P(X|Z); Non-conjugate likelihood-prior pairs",
                   note="for this conjugate (linear-Gaussian) pair the integral is closed form, the case the claim derives"),
            Source(S002, "303–311", r"x = D(z; \phi) + \epsilon, \quad \epsilon \sim \mathcal{N}(0, C); which is mathematically equivalent to p_\theta(x \mid z) = \mathcal{N}(x; \mu=D(z), \Sigma=C)",
                   note=r"the conditional p(x|z) of the derivation's first line with D(z) = wz + b, C = \Psi"),
        ),
    )


@claim("latent.fa.posterior.mean")
def latent_fa_posterior_mean() -> Claim:
    """E[z | x] = (Σ_j w_j(x_j − b_j)/ψ_j)/(1 + Σ_j w_j²/ψ_j)."""
    mean = (w1 * (x1 - b1) / psi1 + w2 * (x2 - b2) / psi2) / PRECISION
    return Claim(
        title="Factor analysis posterior mean: E[z|x] = Σ_j w_j(x_j−b_j)/ψ_j ÷ (1 + Σ_j w_j²/ψ_j)",
        recognise=(
            # the written-out D = 2, d = 1 model: only next to the claim's noise variances and offsets (centred data,
            # b = 0, has another mean)
            Recognise(r"\mathbb E[z \mid x]", requires=(r"\psi_1", r"\psi_2", "b_1", "b_2")),
            Recognise(r"p(z \mid x)", part="mean", requires=(r"\psi_1", r"\psi_2", "b_1", "b_2")),
        ),
        statement=r"\mathbb E[z\mid x],\ z\sim\mathcal N(0,1),\ x\mid z\sim\mathcal N(wz+b,\Psi)",
        variables=XS + WS + BS + PSIS,
        derivation=(
            Step(r"definition: Bayes' rule, \log p(z\mid x) = \log p(z) + \log p(x\mid z) - \log p(x); the z-dependent part "
                 r"(claim nll.gaussian)", log_joint()),
            Step("differentiate in z", -z + w1 * (x1 - w1 * z - b1) / psi1 + w2 * (x2 - w2 * z - b2) / psi2,
                 op=lambda e: sympy.diff(e, z)),
            Step(r"the log-posterior is quadratic in z, so the posterior is Gaussian and its mean is the stationary point",
                 mean, op=lambda e: sympy.solve(e, z)[0]),
        ),
        wrong_variants=(
            WrongVariant("prior precision 1 dropped (least-squares inversion of the decoder)",
                         (w1 * (x1 - b1) / psi1 + w2 * (x2 - b2) / psi2) / (w1**2 / psi1 + w2**2 / psi2)),
            WrongVariant("offset b not subtracted", (w1 * x1 / psi1 + w2 * x2 / psi2) / PRECISION),
            WrongVariant("noise variances ignored (psi = 1)", (w1 * (x1 - b1) + w2 * (x2 - b2)) / (1 + w1**2 + w2**2)),
        ),
        sources=(
            Source(S004, "1321–1327", r"\text{Compute: } p(z|x, \theta) \text{ for given data point } x (46); p(z|x, \theta) = \frac{p(x, z|\theta)}{p(x|\theta)} = \frac{p(x|z, \theta)p(z|\theta)}{\int p(x, z|\theta)dz} (47)",
                   note="Bayes' rule for the latent posterior, the derivation's starting point; closed form here"),
            Source(S004, "961–963", r"P(Z|X) = \frac{P(Z; \theta)P(X|Z; \phi)}{\int_z P(Z = z; \theta)P(X|Z = z; \phi) dz} \quad (28)",
                   note="Bayes' rule the derivation starts from; for the linear-Gaussian model the posterior is this closed-form "
                        "Gaussian"),
            Source(S004, "965–970", r"**Encode:** Given face image x, compute P(z|x) to obtain compressed representation; **Decode:** Given z, sample x \sim P(x|z); **Lossy compression**",
                   note="not comparable: describes the use of the posterior (encoding), no formula"),
        ),
    )


@claim("latent.fa.posterior.variance")
def latent_fa_posterior_variance() -> Claim:
    """Var[z | x] = 1/(1 + Σ_j w_j²/ψ_j), the same for every x."""
    return Claim(
        title="Factor analysis posterior variance: Var[z|x] = 1/(1 + Σ_j w_j²/ψ_j), free of x",
        recognise=(
            Recognise(r"\mathrm{Var}[z \mid x]", requires=(r"\psi_1", r"\psi_2")),
            Recognise(r"p(z \mid x)", part="variance", requires=(r"\psi_1", r"\psi_2")),
        ),
        statement=r"\mathrm{Var}[z\mid x],\ z\sim\mathcal N(0,1),\ x\mid z\sim\mathcal N(wz+b,\Psi)",
        variables=WS + PSIS,
        derivation=(
            Step(r"definition: \log p(z\mid x) up to a z-free constant: \log p(z) + \log p(x\mid z) (claim nll.gaussian)", log_joint()),
            Step("second derivative in z (the posterior precision, negated)", -1 - w1**2 / psi1 - w2**2 / psi2,
                 op=lambda e: sympy.diff(e, z, 2)),
            Step(r"a Gaussian's variance is -1/(curvature of its log-density): prior precision 1 plus the data's \sum_j w_j^2/\psi_j",
                 1 / PRECISION, op=lambda e: -1 / e),
        ),
        wrong_variants=(
            WrongVariant("prior variance 1 (the data ignored)", sympy.Integer(1)),
            WrongVariant("precision not inverted", PRECISION),
            WrongVariant("prior precision dropped", 1 / (w1**2 / psi1 + w2**2 / psi2)),
        ),
    )


@claim("latent.ppca.noise-mle")
def latent_ppca_noise_mle() -> Claim:
    """PPCA (D = 2, d = 1) MLE of σ² from the sample covariance S: its smaller eigenvalue."""
    return Claim(
        title="PPCA maximum-likelihood noise variance (D = 2, d = 1): the smaller eigenvalue of the sample covariance",
        # the fitted noise variance, only next to the sample covariance's entries c_{11}, c_{12}, c_{22}
        recognise=tuple(Recognise(name, requires=("c_{11}", "c_{12}", "c_{22}"))
                        for name in (r"\hat\sigma^2", r"\sigma_{\mathrm{ML}}^2")),
        statement=r"\hat\sigma^2 \text{ of } \arg\max_{w,\sigma^2} \sum_i \log\mathcal N(x_i; \bar x, ww^\top + \sigma^2 I),\ "
                  r"S = \begin{pmatrix} c_{11} & c_{12}\\ c_{12} & c_{22}\end{pmatrix}",
        variables=(C11, C12, C22),
        derivation=(
            Step(r"definition: the Gaussian log-likelihood is maximised over all covariances by C = S; with D = 2, d = 1 "
                 r"ww^\top + \sigma^2 I reaches every S whose smaller eigenvalue is \sigma^2 (w along the top eigenvector, "
                 r"\|w\|^2 = \lambda_1 - \sigma^2), so \sigma^2 is a root of \det(S - \lambda I)",
                 (c11 - lam) * (c22 - lam) - c12**2),
            Step(r"the smaller root (Tipping & Bishop: \hat\sigma^2 = the mean of the D - d smallest eigenvalues)",
                 (c11 + c22) / 2 - sqrt((c11 - c22) ** 2 / 4 + c12**2),
                 op=lambda e: min(sympy.solve(e, lam), key=lambda root: root.subs({c11: 2, c22: 2, c12: sympy.Rational(1, 2)}))),
        ),
        wrong_variants=(
            WrongVariant("the larger eigenvalue", (c11 + c22) / 2 + sqrt((c11 - c22) ** 2 / 4 + c12**2)),
            WrongVariant("the mean variance (trace / 2)", (c11 + c22) / 2),
            WrongVariant("the first diagonal entry (the variance of x_1)", c11),
        ),
    )
