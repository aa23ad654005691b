r"""Gaussian mixtures (two components, 1-D): marginal, responsibilities, variance; and the
variance of a normalised product of two Gaussian densities.

p(x) = α N(x; μ_1, s_1²) + (1 − α) N(x; μ_2, s_2²) from the latent-variable model
z ~ Cat(α, 1 − α), x | z ~ N(μ_z, s_z²); the responsibility γ = P(z = 1 | x) by Bayes' rule;
Var[x] = E[Var[x|z]] + Var[E[x|z]]. Over-general statements ("mixtures add modes", "products
decrease variance") are behaviour sources with counterexamples run in ``numerics/latent.py``.

Seeds: 004 L862–923, L976–980, L1916–1970, L2063–2087, L2555–2557.
"""

from __future__ import annotations

import sympy
import sympy.stats

from derivspec.core import (REAL, UNIT_INTERVAL, Claim, Recognise, Source, Step, Var, WrongVariant, claim,
                            positive_between, target_of)
from derivspec.core.lectures import S003, S004
from derivspec.derivations.nll.gaussian import gaussian_nll

X = Var("x", "x", REAL)
ALPHA = Var("alpha", r"\alpha", UNIT_INTERVAL)
MU1 = Var("mu1", r"\mu_1", REAL)
MU2 = Var("mu2", r"\mu_2", REAL)
S1 = Var("s1", "s_1", positive_between(0.4, 2.5))
S2 = Var("s2", "s_2", positive_between(0.4, 2.5))
x, alpha, mu1, mu2, s1, s2 = (v.symbol for v in (X, ALPHA, MU1, MU2, S1, S2))
MIXTURE = (X, ALPHA, MU1, MU2, S1, S2)


def normal(at, mean, std):
    return sympy.stats.density(sympy.stats.Normal("X", mean, std))(at)


def mixture_density():
    return alpha * normal(x, mu1, s1) + (1 - alpha) * normal(x, mu2, s2)


def written_normal(at, mean, std):
    return sympy.exp(-(at - mean) ** 2 / (2 * std**2)) / sympy.sqrt(2 * sympy.pi * std**2)


# the component densities a lecture's Bayes' rule names; the subscript says which component. The names are
# not the claim's (u, m_k, d_k): an interpreted term's claim names match only themselves, these any letter
COMPONENTS = {r"\mathcal N(u; m_1, d_1^2)": normal(x, mu1, s1), r"\mathcal N(u; m_2, d_2^2)": normal(x, mu2, s2)}


@claim("latent.gmm.marginal")
def latent_gmm_marginal() -> Claim:
    """p(x) = Σ_z p(z) p(x|z) = α N(x; μ_1, s_1²) + (1 − α) N(x; μ_2, s_2²)."""
    z = sympy.Symbol("z", integer=True, nonnegative=True)  # 1: component 1, 0: component 2
    joint = (alpha * normal(x, mu1, s1)) ** z * ((1 - alpha) * normal(x, mu2, s2)) ** (1 - z)
    written = alpha * written_normal(x, mu1, s1) + (1 - alpha) * written_normal(x, mu2, s2)
    return Claim(
        title="Gaussian mixture marginal: p(x) = Σ_z p(z)p(x|z) = α N(x; μ_1, s_1²) + (1−α) N(x; μ_2, s_2²)",
        statement=r"p(x) = \sum_z p(z)\,p(x\mid z),\ z\sim\mathrm{Cat}(\alpha, 1-\alpha),\ x\mid z\sim\mathcal N(\mu_z, s_z^2)",
        variables=MIXTURE,
        derivation=(
            Step(r"definition: the joint p(z)p(x\mid z) of the latent-variable model, z = 1 for component 1 and z = 0 for component 2",
                 joint),
            Step(r"marginalise: sum the joint over z \in \{0, 1\}", written, op=lambda e: e.subs(z, 1) + e.subs(z, 0)),
        ),
        wrong_variants=(
            WrongVariant("unweighted sum of the components", written_normal(x, mu1, s1) + written_normal(x, mu2, s2)),
            WrongVariant("weights swapped", (1 - alpha) * written_normal(x, mu1, s1) + alpha * written_normal(x, mu2, s2)),
            WrongVariant("one Gaussian at the averaged mean and variance",
                         written_normal(x, alpha * mu1 + (1 - alpha) * mu2, sympy.sqrt(alpha * s1**2 + (1 - alpha) * s2**2))),
        ),
        sources=(
            Source(S004, "1093–1097", r"This extends naturally to deep hierarchies: z_1 \sim p(z_1), \quad z_2 \sim p(z_2|z_1), \quad \dots, \quad x \sim p(x|z_L) (33)",
                   note="a chain of the same step; here one discrete latent level"),
            Source(S004, "1111–1116", r"Advantages of Direct Sampling: Exact samples from the model; Fast generation (single forward pass); No approximation error",
                   behaviour="ancestral_samples_follow_the_mixture", at={"n": 50000.0},
                   correct="ancestral samples (z, then x given z) are distributed by the marginal mixture density"),
            Source(S004, "909–919", r"P(z_i = k) = \alpha_k \quad \text{where} \quad \sum_{k=1}^K \alpha_k = 1 (21); P(x_i | z_i = k) = \mathcal{N}(x_i | \mu_k, \sigma_k^2) (22); P(x_i) = \sum_{k=1}^K \alpha_k \mathcal{N}(x_i | \mu_k, \sigma_k^2) (23)",
                   expr=mixture_density(), note=r"K = 2, \alpha_1 = \alpha, \alpha_2 = 1 - \alpha"),
            Source(S004, "976–978", r"P(x) = \sum_{k=1}^K P(x, z = k) = \sum_{k=1}^K P(z = k)P(x|z = k) \quad (29)",
                   expr=mixture_density(), note="K = 2"),
            Source(S004, "1920–1928", r"p(x) = \sum_{i=1}^k \pi_i p_i(x) \quad \text{where} \quad \sum_{i=1}^k \pi_i = 1 (70); P(Z = i) = \pi_i (71); p(x) = \sum_{i=1}^k P(Z = i) p(x|Z = i) (72)",
                   expr=mixture_density(), note="k = 2 Gaussian components"),
            Source(S004, "2082–2087", r"Latent z: categorical cluster assignment; P(z = k) = \alpha_k; P(x|z = k) = \mathcal{N}(x|\mu_k, \sigma_k^2); Marginal: P(x) = \sum_k \alpha_k \mathcal{N}(x|\mu_k, \sigma_k^2)",
                   expr=mixture_density(), note="K = 2"),
            Source(S004, "1937–1939", r"Example: Gaussian Mixture Model (GMM) p(x) = \sum_{i=1}^k \pi_i \mathcal{N}(x|\mu_i, \Sigma_i) \quad (73)",
                   expr=mixture_density(), note=r"one dimension, k = 2, \Sigma_i = s_i^2"),
            Source(S004, "2555–2557", r"Gaussian Mixture Models: discrete latent variable; z \sim \text{Cat}(\boldsymbol{\pi}); \mathbf{x}|z \sim \mathcal{N}(\boldsymbol{\mu}_z, \boldsymbol{\Sigma}_z)",
                   note="the model's definition (the marginal follows by summing over z; reference_models/gmm_em.py fits its 2-D form)"),
            Source(S004, "896–905", r"Gaussian Mixture Model (GMM): z_i \sim \text{Cat}(\alpha) // Sample component assignment; x_i \sim \mathcal{N}(\mu_{z_i}, \sigma_{z_i}^2) // Sample from assigned Gaussian",
                   behaviour="ancestral_samples_follow_the_mixture", at={"n": 20000.0},
                   correct="ancestral samples (z, then x given z) are distributed by the marginal mixture density"),
            Source(S004, "862–866", r"p(x) = \int p(x, z) dz = \int p(x|z)p(z) dz (19); Even if p(x) is complex, we can often find latent variables z such that p(z) and p(x|z) are both simple.",
                   note="the general marginal; here z is discrete (a sum of two terms); for a continuous z see latent.fa.marginal"),
            Source(S004, "868–881", r"P(X, Z; \theta, \phi) = P(Z; \theta)P(X|Z; \phi) (20); Z_i \sim P(Z; \theta) // Sample latent variable; X_i \sim P(X|Z_i; \phi) // Generate observation given latent",
                   note="the joint the derivation marginalises; its ancestral sampling is run by the behaviour check of 004:896–905"),
            Source(S004, "2063–2073", r"Z_i \sim P(Z; \theta) (77); X_i \sim P(X|Z_i; \phi) (78); P(X, Z) = \prod_i P(Z_i)P(X_i|Z_i) (79); P(X) = \int P(X, Z) dZ = \int \prod_i P(Z_i)P(X_i|Z_i) dZ (80)",
                   note="the same factorisation over a data set; per point the marginal is this claim's target"),
            Source(S004, "1990–2003", r"Algorithm 5 GenerateTosses(α, β, γ): \theta_i \sim \text{Beta}(\alpha, \beta); \pi \sim \text{Dir}(\gamma); z_j \sim \text{Cat}(\pi); x_j \sim \text{Ber}(\theta_{z_j})",
                   note="not compared: a generative program for a mixture of Bernoullis; given θ and π each x_j has the mixture "
                        "marginal Σ_k π_k Ber(x; θ_k), this claim's sum over z with Bernoulli in place of Gaussian components"),
            Source(S004, "2005–2009", r"P(x, z, \theta, \pi) = P(\pi) \prod_i P(\theta_i) \prod_j P(z_j | \pi) P(x_j | \theta_{z_j}) \quad (76); Factorization encodes conditional independence, not just chain rule.",
                   note="not compared: the joint of Algorithm 5 as a product of its conditionals; summing z_j out of P(z_j|π)P(x_j|θ_{z_j}) "
                        "gives the mixture marginal of this claim"),
            Source(S004, "5278–5279", r"This hierarchical structure avoids the partition function problem of undirected graphical models!",
                   note="not compared: a directed model is a product of normalised conditionals, so its marginal (this claim: Σ_z "
                        "p(z)p(x|z)) is normalised with no partition function"),
        ),
    )


@claim("latent.gmm.responsibility")
def latent_gmm_responsibility() -> Claim:
    """γ(x) = P(z = 1 | x) = α N(x; μ_1, s_1²)/p(x)."""
    gamma = alpha * written_normal(x, mu1, s1) / (alpha * written_normal(x, mu1, s1) + (1 - alpha) * written_normal(x, mu2, s2))
    return Claim(
        title="Responsibility of a mixture component: γ = α N(x; μ_1, s_1²)/p(x) (Bayes' rule); the two responsibilities sum to 1",
        recognise=(
            # Bishop's gamma(z_1) (p(z = 1 | x) is read with the event as one opaque name, which no shape binds);
            # the weight must be named: with equal weights a lecture's ratio of densities is right without it
            Recognise(r"\gamma(z_1)", interpret=COMPONENTS, requires=(r"\alpha",)),
        ),
        statement=r"P(z = 1\mid x)",
        variables=MIXTURE,
        derivation=(
            Step(r"definition: Bayes' rule, P(z=1\mid x) = p(z=1)p(x\mid z=1)/p(x) with p(x) from claim latent.gmm.marginal",
                 alpha * normal(x, mu1, s1) / target_of("latent.gmm.marginal")),
            Step("the densities written out", gamma),
        ),
        wrong_variants=(
            WrongVariant("the prior weight dropped from the numerator", written_normal(x, mu1, s1) / target_of("latent.gmm.marginal")),
            WrongVariant("the likelihood ratio without the weights",
                         written_normal(x, mu1, s1) / (written_normal(x, mu1, s1) + written_normal(x, mu2, s2))),
            WrongVariant("the other component's responsibility", 1 - gamma),
        ),
        sources=(
            Source(S004, "921–923", r"\gamma_{ik} = P(z_i = k | x_i) = \frac{\alpha_k \mathcal{N}(x_i | \mu_k, \sigma_k^2)}{\sum_{j=1}^K \alpha_j \mathcal{N}(x_i | \mu_j, \sigma_j^2)} \quad (24)",
                   expr=alpha * normal(x, mu1, s1) / mixture_density(), note="K = 2, k = 1"),
            Source(S004, "894", r"Key Question: Can we unsupervised recover the ethnic groups from observed heights alone?",
                   behaviour="em_recovers_separated_means", at={"separation": 6.0, "n": 2000.0},
                   correct="for well-separated components EM recovers the means (within a few standard errors) and the "
                           "responsibilities classify the points"),
        ),
    )


@claim("latent.mixture.variance")
def latent_mixture_variance() -> Claim:
    """Var[x] = α s_1² + (1−α) s_2² + α(1−α)(μ_1 − μ_2)²."""
    mean = alpha * mu1 + (1 - alpha) * mu2
    within = alpha * s1**2 + (1 - alpha) * s2**2
    between = alpha * mu1**2 + (1 - alpha) * mu2**2 - mean**2
    return Claim(
        title="Variance of a two-component mixture: E[Var[x|z]] + Var[E[x|z]] = α s_1² + (1−α) s_2² + α(1−α)(μ_1 − μ_2)²",
        # Var[x] is any variance: only next to the mixture's weight and both components' means and scales
        recognise=(Recognise(r"\mathrm{Var}[x]", requires=(r"\alpha", r"\mu_1", r"\mu_2", "s_1", "s_2")),),
        statement=r"\mathrm{Var}[x],\ x\sim\alpha\,\mathcal N(\mu_1,s_1^2) + (1-\alpha)\,\mathcal N(\mu_2,s_2^2)",
        variables=(ALPHA, MU1, MU2, S1, S2),
        derivation=(
            Step(r"definition: \mathrm{Var}[x] = E[x^2] - E[x]^2 with E[x^2] = \sum_z p(z)(s_z^2 + \mu_z^2) and E[x] = \sum_z p(z)\mu_z "
                 r"(moments of each component)", alpha * (s1**2 + mu1**2) + (1 - alpha) * (s2**2 + mu2**2) - mean**2),
            Step(r"group: E_z[\mathrm{Var}[x\mid z]] + \mathrm{Var}_z[E[x\mid z]] (law of total variance)", within + between),
            Step(r"the between-component part is \alpha(1-\alpha)(\mu_1-\mu_2)^2 \ge 0", within + alpha * (1 - alpha) * (mu1 - mu2) ** 2),
        ),
        wrong_variants=(
            WrongVariant("the spread of the means forgotten (average component variance)", within),
            WrongVariant("alpha^2 weights (a sum of scaled variables, not a mixture)", alpha**2 * s1**2 + (1 - alpha) ** 2 * s2**2),
            WrongVariant("between part without the alpha(1 - alpha)", within + (mu1 - mu2) ** 2),
        ),
        sources=(
            Source(S004, "1933", r"\text{Var}[X] = \mathbb{E}_Z[\text{Var}[X|Z]] + \text{Var}_Z[\mathbb{E}[X|Z]]", expr=within + between),
            Source(S004, "1934", r"Mixture variance \geq average component variance", behaviour="mixture_variance_at_least_average",
                   at={"points": 10000.0}, correct=r"\mathrm{Var}[x] - E_z[\mathrm{Var}[x|z]] = \alpha(1-\alpha)(\mu_1-\mu_2)^2 \ge 0"),
            Source(S004, "1930–1932", r"Effect on Variance: Mixtures *increase* variance: Add modes (multimodality)",
                   category="over-general statement", severity="imprecise",
                   behaviour="mixture_adds_modes", at={"separation": 1.5},
                   correct=r"a mixture always has at least the average component variance, but it need not add modes: "
                           r"\tfrac12\mathcal N(-\delta/2, 1) + \tfrac12\mathcal N(\delta/2, 1) is unimodal for \delta \le 2"),
        ),
    )


@claim("latent.product.variance")
def latent_product_variance() -> Claim:
    """N(x; μ_1, s_1²)·N(x; μ_2, s_2²) normalised has variance s_1²s_2²/(s_1² + s_2²)."""
    log_product = -gaussian_nll(x, mu1, s1) - gaussian_nll(x, mu2, s2)
    return Claim(
        title="A normalised product of two Gaussian densities has variance s_1²s_2²/(s_1² + s_2²): precisions add",
        statement=r"\mathrm{Var}[x],\ p(x)\propto\mathcal N(x;\mu_1,s_1^2)\,\mathcal N(x;\mu_2,s_2^2)",
        variables=(MU1, MU2, S1, S2),
        derivation=(
            Step(r"definition: \log f(x) = \log\mathcal N(x;\mu_1,s_1^2) + \log\mathcal N(x;\mu_2,s_2^2) (claim nll.gaussian); "
                 r"Z = \int f only shifts the log", log_product),
            Step(r"second derivative in x: a Gaussian's log-density has curvature -1/\mathrm{variance}",
                 -1 / s1**2 - 1 / s2**2, op=lambda e: sympy.diff(e, x, 2)),
            Step(r"variance = -1/curvature: the precisions add", s1**2 * s2**2 / (s1**2 + s2**2), op=lambda e: -1 / e),
        ),
        wrong_variants=(
            WrongVariant("variances add (the sum of the variables, not the product of densities)", s1**2 + s2**2),
            WrongVariant("product of the variances", s1**2 * s2**2),
            WrongVariant("average of the variances", (s1**2 + s2**2) / 2),
        ),
        sources=(
            Source(S004, "1961–1965", r"Effect on Variance: Products *decrease* variance: Sharpen distribution (more peaked); Combine constraints/information; Each expert restricts possibilities",
                   category="over-general statement", severity="imprecise",
                   behaviour="products_decrease_variance", at={"far": 10.0},
                   correct=r"for Gaussian factors the product's variance s_1^2s_2^2/(s_1^2+s_2^2) is below both; for general "
                           r"factors it can exceed both (two bimodal factors that weight opposite modes)"),
            Source(S004, "1943–1949", r"f(x) = \prod_{i=1}^K g_i(x_i) (74); p(x) = \frac{1}{Z} f(x), \quad Z = \int f(x) dx (75)",
                   note="the normalised product the claim computes (here two factors of the same x)"),
            Source(S004, "1957", r"If the g_i are already probability distributions over independent variables, the product is automatically normalized (no Z needed).",
                   note="not compared: factors of different variables integrate separately, each to 1; no claim multiplies "
                        "such factors (this claim's two factors are densities of the same x, whose product needs its Z)"),
            Source(S004, "1967–1971", r"Computing Z often intractable; Connection to energy-based models; Approximate methods needed",
                   note="not comparable: for Gaussian factors Z is closed form; see sampling.ebm.log-partition-gradient"),
            Source(S003, "535–537", r"**Conjugacy.** A Gaussian prior \mathcal{N}(\mu_0, \sigma_0^2) on the mean of a Gaussian likelihood \mathcal{N}(\mu, \sigma^2) gives a **Gaussian posterior** with closed-form mean and variance.",
                   expr=s1**2 * s2**2 / (s1**2 + s2**2),
                   note="the line writes no formula; compared: the closed-form variance it refers to, σ²σ_0²/(σ² + σ_0²) "
                        "(s_1 = σ, s_2 = σ_0): as a function of μ the posterior is the normalised product "
                        "N(x; μ, σ²)·N(μ; μ_0, σ_0²)"),
            Source(S003, "555", r"**Kalman filter** · linear-Gaussian state-space models have a closed-form posterior at every time step.",
                   note="not compared: each Kalman update multiplies a Gaussian prediction by a Gaussian likelihood, a "
                        "normalised product of Gaussians (this claim: precisions add), so it stays closed form"),
        ),
    )
