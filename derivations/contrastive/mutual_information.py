r"""Mutual information, the optimal InfoNCE critic and the InfoNCE bound.

* I(X; Y) of a jointly Gaussian pair with correlation ρ is −½ log(1 − ρ²) (per pair of
  coordinates; d independent pairs give d times it), from the definition E[log p(x,y)/(p(x)p(y))].
* The optimal critic: InfoNCE is the cross-entropy of guessing which candidate is the positive;
  by Bayes the posterior that y₁ (not y₂) is x's partner has log-odds
  log p(y₁|x)/p(y₁) − log p(y₂|x)/p(y₂), so the critic that attains it is
  f*(x, y) = log p(y|x)/p(y) + c(x) — only differences f(x, y₁) − f(x, y₂) are identified,
  which is what the claim states (Gaussian pair, N = 2 candidates).
* The bound: with the optimal critic, log N − E[L] for N = 2 and a binary symmetric pair
  (P(X = Y) = (1 + r)/2) is exactly I(X; Y)/2 — below I and below log 2. Larger N and the
  Gaussian pairs are measured with the dual encoder (reference_models/dual_encoder.py).

Seeds: 001 L84–91, L303 (a lower bound on I(z; z'), "≈ maximize MI", only relative similarity);
003 L1883–1891 (mutual information, contrastive losses as lower bounds); 000 L517–529.
"""

from __future__ import annotations

import sympy
import sympy.stats
from sympy import E, Rational, exp, log, pi

from derivspec.core import (UNIT_INTERVAL, Claim, Domain, Source, Step, Var, WrongVariant, claim,
                            real_between)
from derivspec.core.claims import Recognise
from derivspec.core.lectures import S000, S001, S003
from derivspec.derivations.moments import gaussian_expectation

RHO = Var("rho", r"\rho", Domain("in (-1, 1)", {"real": True}, low=-1.0, high=1.0, sample_low=-0.95, sample_high=0.95))
rho = RHO.symbol
X, Y1, Y2 = (Var(name, latex, real_between(-2.5, 2.5)) for name, latex in (("x", "x"), ("y1", "y_1"), ("y2", "y_2")))
x, y1, y2 = X.symbol, Y1.symbol, Y2.symbol
y = sympy.Symbol("y", real=True)  # the integration variable of the joint
R = Var("r", "r", UNIT_INTERVAL)
r = R.symbol


def joint_density(u, v):
    """p(x, y): standard bivariate normal with correlation ρ (sympy.stats.MultivariateNormal)."""
    pair = sympy.stats.MultivariateNormal("J", [0, 0], [[1, rho], [rho, 1]])
    return sympy.stats.density(pair)(u, v)


def normal_density(u, mean=0, variance=1):
    return sympy.stats.density(sympy.stats.Normal("N", mean, sympy.sqrt(variance)))(u)


def log_joint_density(u, v):
    """log p(x, y) as written from the bivariate normal density (equal to log of ``joint_density``:
    property_tests/test_contrastive.py checks it): −log 2π − ½ log(1 − ρ²) − (u² − 2ρuv + v²)/(2(1 − ρ²))."""
    return -log(2 * pi) - log(1 - rho**2) / 2 - (u**2 - 2 * rho * u * v + v**2) / (2 * (1 - rho**2))


def log_normal_density(u, mean=0, variance=1):
    """log N(u; mean, variance) = −½ log 2π − ½ log variance − (u − mean)²/(2 variance)."""
    return -log(2 * pi) / 2 - log(variance) / 2 - (u - mean) ** 2 / (2 * variance)


@claim("contrastive.mi.gaussian")
def contrastive_mi_gaussian() -> Claim:
    """I(X; Y) = E[log p(x,y) − log p(x) − log p(y)] = −½ log(1 − ρ²) for unit-variance Gaussians."""
    cov = sympy.Matrix([[1, rho], [rho, 1]])
    return Claim(
        title="Mutual information of a jointly Gaussian pair with correlation ρ is −½ log(1 − ρ²)",
        # the closed form only (the other side must use ρ): an identity between entropies such as
        # I(X;Y) = H(X) holds under assumptions stated in words (Y a function of X) and is not judged here
        recognise=(Recognise(r"I(X; Y)", requires=(r"\rho",)), Recognise(r"I(X, Y)", requires=(r"\rho",))),
        statement=r"I(X;Y),\ (X, Y) \sim \mathcal N\big(0, \begin{pmatrix}1&\rho\\\rho&1\end{pmatrix}\big)",
        variables=(RHO,),
        derivation=(
            Step(r"definition: I(X;Y) = \mathrm{KL}(p(x,y)\,\|\,p(x)p(y)) = \mathbb E[\log p(x,y) - \log p(x) - \log p(y)]; "
                 "the log-ratio of the densities (the logs of sympy.stats' bivariate and univariate normal densities)",
                 log_joint_density(x, y) - log_normal_density(x) - log_normal_density(y)),
            Step("expand the logs: the normalisers leave -½ log(1 - ρ²)",
                 -log(1 - rho**2) / 2 - (x**2 - 2 * rho * x * y + y**2) / (2 * (1 - rho**2)) + x**2 / 2 + y**2 / 2),
            Step(r"expectation under p(x, y): E[x^2] = E[y^2] = 1, E[xy] = \rho; the quadratic terms give "
                 r"-(2 - 2\rho^2)/(2(1-\rho^2)) + 1 = 0",
                 -log(1 - rho**2) / 2,
                 op=lambda e: gaussian_expectation(e, [x, y], [0, 0], cov)),
        ),
        wrong_variants=(
            WrongVariant("missing the 1/2", -log(1 - rho**2)),
            WrongVariant("ρ in place of ρ²", -log(1 - rho) / 2),
            WrongVariant("the small-ρ approximation ρ²/2", rho**2 / 2),
        ),
        sources=(
            Source(S003, "1883", r"I(X; Y) := \text{KL}(p(x, y) \parallel p(x) p(y)) = H(X) - H(X | Y) = H(Y) - H(Y | X)",
                   expr=log(2 * pi * E) / 2 - log(2 * pi * E * (1 - rho**2)) / 2,
                   note=r"the last form for the Gaussian pair: H(Y) = ½ log(2πe), H(Y|X) = ½ log(2πe(1 − ρ²)) "
                        r"(Y | X = x ~ N(ρx, 1 − ρ²))"),
            Source(S003, "1885", r"Always \geq 0, equal to 0 iff X \perp Y.", behaviour="mi_zero_iff_independent", at={},
                   correct="I(X;Y) ≥ 0 with equality iff X and Y are independent"),
        ),
    )




@claim("contrastive.infonce.optimal-critic")
def contrastive_infonce_optimal_critic() -> Claim:
    """f*(x, y₁) − f*(x, y₂) = log p(y₁|x)/p(y₁) − log p(y₂|x)/p(y₂) (Gaussian pair, N = 2)."""
    return Claim(
        title="The optimal InfoNCE critic is log p(y|x)/p(y) + c(x): its logit differences (Gaussian pair, N = 2)",
        statement=r"f^*(x, y_1) - f^*(x, y_2),\ f^* = \arg\min_f \mathbb E[\mathcal L^{\mathrm{InfoNCE}}]",
        variables=(X, Y1, Y2, RHO),
        derivation=(
            Step(r"Bayes: x's partner is y_1 or y_2 with prior ½ each, so P(y_1 \text{ positive} \mid x, y_1, y_2) \propto "
                 r"p(x,y_1)p(y_2) and P(y_2 \text{ positive}) \propto p(x,y_2)p(y_1). InfoNCE is the cross-entropy of this "
                 r"guess, minimised when the critic's softmax is the posterior (claim contrastive.ce.conditional): "
                 r"f_1 - f_2 is the log-odds \log p(x,y_1) + \log p(y_2) - \log p(x,y_2) - \log p(y_1)",
                 log_joint_density(x, y1) + log_normal_density(y2) - log_joint_density(x, y2) - log_normal_density(y1)),
            Step(r"p(x, y) = p(x)\,p(y|x) with y | x \sim N(\rho x, 1 - \rho^2): the critic is \log p(y|x)/p(y) up to a "
                 r"function of x alone, which cancels",
                 log_normal_density(y1, rho * x, 1 - rho**2) - log_normal_density(y1)
                 - log_normal_density(y2, rho * x, 1 - rho**2) + log_normal_density(y2)),
            Step("expand the Gaussian logs",
                 (2 * rho * x * (y1 - y2) - rho**2 * (y1**2 - y2**2)) / (2 * (1 - rho**2))),
        ),
        wrong_variants=(
            WrongVariant("a bilinear critic (dropped the -ρ²y²/(2(1-ρ²)) term)", rho * x * (y1 - y2) / (1 - rho**2)),
            WrongVariant("the critic log p(y|x) (not divided by p(y))",
                         log_normal_density(y1, rho * x, 1 - rho**2) - log_normal_density(y2, rho * x, 1 - rho**2)),
            WrongVariant("cross term without the 1/(1 - ρ²)", rho * x * (y1 - y2) - rho**2 * (y1**2 - y2**2) / (2 * (1 - rho**2))),
        ),
        sources=(
            Source(S001, "88–91", r"Induces a **metric space** where semantically aligned points from different modalities are close. Does **not** model (p(x)) or (p(y|x)) explicitly—only relative similarity.",
                   behaviour="trained_critic_is_density_ratio", at={"rho": 0.8, "d": 2, "batch": 32},
                   correct="the InfoNCE-trained critic is log p(y|x)/p(y) + c(x): a density ratio (relative similarity), "
                           "not p(y|x) itself"),
            Source(S000, "519", r"**Discriminative (Classifiers/CLIP):** Approximates . It learns the **decision boundary** between classes. It ignores the density of .",
                   note="the symbols are missing in the source; for CLIP the optimal critic is log p(y|x)/p(y) + c(x), "
                        "a density ratio rather than p(y|x) (this claim)"),
            Source(S000, "529", r"Generative models (LLM, Diffusion) learn the **Distribution**. Discriminative models (CLIP, Classifiers) learn the **Boundary**.",
                   note="an interpretation (opinion); what CLIP's objective determines is the density ratio above"),
            Source(S000, "544", r"**CLIP (Matching)** | **Weakly Supervised** | Uses (Image, Text) pairs scraped from the web (alt-text).",
                   note="a classification of the training signal (opinion); nothing to compute"),
        ),
    )


def _binary_symmetric_bound():
    """log 2 − E[L] with the optimal critic, summed over the 8 configurations of (x, y₁, y₂)."""
    half = Rational(1, 2)

    def p_y_given_x(v, u):
        return (1 + r) / 2 if v == u else (1 - r) / 2

    def critic(u, v):  # log p(v|u)/p(v), p(v) = 1/2
        return log(p_y_given_x(v, u) / half)

    total = 0
    for u in (0, 1):
        for v1 in (0, 1):  # the positive: (x, y1) ~ p(x, y)
            for v2 in (0, 1):  # the negative: y2 ~ p(y)
                weight = half * p_y_given_x(v1, u) * half
                total += weight * (critic(u, v1) - log((exp(critic(u, v1)) + exp(critic(u, v2))) / 2))
    return total


@claim("contrastive.infonce.mi-bound")
def contrastive_infonce_mi_bound() -> Claim:
    """log 2 − E[L*] = ¼[(1+r)log(1+r) + (1−r)log(1−r)] = I(X;Y)/2 (binary symmetric pair, N = 2)."""
    return Claim(
        title="InfoNCE bound with the optimal critic, N = 2, binary symmetric pair: log N − E[L] = I(X;Y)/2 ≤ min(I, log N)",
        statement=r"\log N - \mathbb E[\mathcal L^{\mathrm{InfoNCE}}_{f^*}],\ N = 2,\ P(X = Y) = \tfrac{1+r}{2}",
        variables=(R,),
        derivation=(
            Step(r"definition: \mathbb E\big[f^*(x,y_1) - \log\tfrac1N\sum_j e^{f^*(x,y_j)}\big] over (x, y_1) \sim p(x,y), "
                 r"y_2 \sim p(y), f^* = \log p(y|x)/p(y) = \log(1 \pm r): the sum over the 8 configurations",
                 _binary_symmetric_bound()),
            Step("only the configurations with exactly one of y_1, y_2 equal to x contribute",
                 ((1 + r) * log(1 + r) + (1 - r) * log(1 - r)) / 4),
            Step(r"= ½ I(X;Y), I = \log 2 - H_b(\tfrac{1+r}{2}): below I and below \log 2",
                 (log(2) + (1 + r) / 2 * log((1 + r) / 2) + (1 - r) / 2 * log((1 - r) / 2)) / 2),
        ),
        wrong_variants=(
            WrongVariant("tight: the mutual information itself", ((1 + r) * log(1 + r) + (1 - r) * log(1 - r)) / 2),
            WrongVariant("dropped the mismatched-positive configuration", (1 + r) * log(1 + r) / 4),
            WrongVariant("the cap log N", log(2) + 0 * r),
        ),
        sources=(
            Source(S001, "84", r"Can be interpreted as optimizing a lower bound on **mutual information** (I(z; z')).",
                   behaviour="infonce_bound_below_mi", at={"rho": 0.8, "d": 2, "batch": 32},
                   correct="log N − L_InfoNCE ≤ I(z; z') for any critic (and ≤ log N)"),
            Source(S003, "1889", r"contrastive losses are *lower bounds on mutual information* between augmented views (InfoNCE)",
                   behaviour="infonce_bound_below_mi", at={"rho": 0.8, "d": 2, "batch": 32},
                   correct="log N − L_InfoNCE ≤ I (the loss itself is an upper bound on log N − I)",
                   note="read as: log N minus the loss is a lower bound on I"),
            Source(S001, "86", r"So: **InfoNCE ≈ maximize MI between paired modalities**.",
                   behaviour="infonce_bound_below_mi", at={"rho": 0.8, "d": 2, "batch": 32},
                   correct="log N − L_InfoNCE ≤ I(z; z') for any critic (and ≤ log N)",
                   note="read as the informal summary of L84: minimising InfoNCE maximises a lower bound on I. As an "
                        "estimate of I it saturates at log N (at ρ = 0.99, d = 4, N = 16 it reaches 35 % of I, see the "
                        "figures of benchmarks/infonce_mi_sweep.py); the wording does not claim the estimate equals I"),
            Source(S001, "303", r"Learns relative similarity; approximates maximizing (I(z;z^+)).",
                   behaviour="infonce_bound_below_mi", at={"rho": 0.8, "d": 2, "batch": 32},
                   correct="log N − L_InfoNCE ≤ I(z; z^+) for any critic (and ≤ log N)",
                   note="read as: maximising a lower bound on I (the bound is capped at log N)"),
        ),
    )
