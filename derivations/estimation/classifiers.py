r"""Generative classifiers: Bayes' rule turns class-conditional densities into a posterior.

Two classes, Y ~ Bernoulli(p), X | Y = k ~ N(μ_k, s_k²) (004 Algorithm 1):

* QDA: P(Y = 1 | x) = σ(a(x)) with a(x) = log(p/(1−p)) + log(s_0/s_1) + (x−μ_0)²/(2s_0²) − (x−μ_1)²/(2s_1²),
  a logistic function of a quadratic in x;
* LDA: with a shared variance s the x² terms cancel and a(x) = w x + b is linear -- the model
  logistic regression fits (``reference_models/generative_classifiers.py`` fits it to samples
  of Algorithm 1 and recovers w and b);
* naive Bayes with two binary features: the log-odds are a sum of one term per feature.

Seeds: 004 L817–854 (eqs. 16–18, Algorithm 1).
"""

from __future__ import annotations

import sympy
import sympy.stats
from sympy import exp, log

from derivspec.core import BINARY, REAL, UNIT_INTERVAL, Claim, Source, Step, Var, WrongVariant, claim, positive_between, target_of
from derivspec.core.lectures import S004

X = Var("x", "x", REAL)
MU0 = Var("mu0", r"\mu_0", REAL)
MU1 = Var("mu1", r"\mu_1", REAL)
S0 = Var("s0", "s_0", positive_between(0.4, 2.5))
S1 = Var("s1", "s_1", positive_between(0.4, 2.5))
S_SHARED = Var("s", "s", positive_between(0.4, 2.5))
PRIOR = Var("p", "p", UNIT_INTERVAL)
x, mu0, mu1, s0, s1, s, p = (v.symbol for v in (X, MU0, MU1, S0, S1, S_SHARED, PRIOR))

FEATURES = tuple(Var(f"x{j}", f"x_{j}", BINARY) for j in (1, 2))
ON_GIVEN_1 = tuple(Var(f"a{j}", f"a_{j}", UNIT_INTERVAL) for j in (1, 2))  # P(x_j = 1 | Y = 1)
ON_GIVEN_0 = tuple(Var(f"b{j}", f"b_{j}", UNIT_INTERVAL) for j in (1, 2))  # P(x_j = 1 | Y = 0)
xs, a_s, b_s = ([v.symbol for v in group] for group in (FEATURES, ON_GIVEN_1, ON_GIVEN_0))


def normal_density(at, mean, std):
    return sympy.stats.density(sympy.stats.Normal("X", mean, std))(at)


def logistic(a):
    return 1 / (1 + exp(-a))


def qda_logit(std0=s0, std1=s1):
    return log(p / (1 - p)) + log(std0 / std1) + (x - mu0) ** 2 / (2 * std0**2) - (x - mu1) ** 2 / (2 * std1**2)


def lda_logit(std=s):
    return (mu1 - mu0) / std**2 * x + (mu0**2 - mu1**2) / (2 * std**2) + log(p / (1 - p))


def bernoulli_features(probs):
    return sympy.Mul(*(q**xj * (1 - q) ** (1 - xj) for q, xj in zip(probs, xs)))


ALGORITHM_1 = r"Algorithm 1 Generate Two-Class Data: Y_i \sim \text{Ber}(p); X_i \sim \mathcal{N}(\mu_{Y_i}, \sigma_{Y_i}^2); Different Gaussian distributions for each class."


@claim("estimation.generative-classifier.qda")
def estimation_generative_classifier_qda() -> Claim:
    """P(Y = 1 | x) = p N(x; μ_1, s_1²)/Σ_k P(Y = k) N(x; μ_k, s_k²) = σ(quadratic in x)."""
    bayes = p * normal_density(x, mu1, s1) / (p * normal_density(x, mu1, s1) + (1 - p) * normal_density(x, mu0, s0))
    return Claim(
        title="Two-class Gaussian generative classifier: P(Y=1|x) is a logistic function of a quadratic in x (QDA)",
        statement=r"P(Y=1\mid x),\ Y\sim\mathrm{Ber}(p),\ X\mid Y=k\sim\mathcal N(\mu_k, s_k^2)",
        variables=(X, MU0, MU1, S0, S1, PRIOR),
        derivation=(
            Step(r"definition: Bayes' rule P(Y=1\mid x) = P(Y=1)p(x\mid 1)/\sum_k P(Y=k)p(x\mid k) (densities from sympy.stats)", bayes),
            Step(r"divide by the numerator: 1/(1 + e^{-a(x)}) with the log-odds a(x) = \log\frac{p}{1-p} + \log\frac{s_0}{s_1} "
                 r"+ \frac{(x-\mu_0)^2}{2s_0^2} - \frac{(x-\mu_1)^2}{2s_1^2}, a quadratic in x", logistic(qda_logit())),
        ),
        wrong_variants=(
            WrongVariant("prior log-odds dropped", logistic(qda_logit() - log(p / (1 - p)))),
            WrongVariant("normaliser ratio flipped: log(s1/s0)", logistic(qda_logit() - 2 * log(s0 / s1))),
            WrongVariant("the classes' squared distances swapped (the sign of the quadratic)",
                         logistic(log(p / (1 - p)) + log(s0 / s1) - (x - mu0) ** 2 / (2 * s0**2) + (x - mu1) ** 2 / (2 * s1**2))),
        ),
        sources=(
            Source(S004, "840–846", r"P(Y|X) = \frac{P(X, Y)}{P(X)} = \frac{P(X, Y)}{\sum_y P(Y = y, X)} (17); P(Y|X) = \frac{P(Y; \theta)P(X|Y; \phi)}{\sum_y P(Y = y; \theta)P(X|Y = y; \phi)} (18)",
                   expr=bayes, note=r"Y = 1, with Algorithm 1's Bernoulli prior and Gaussian class densities"),
            Source(S004, "827–836", ALGORITHM_1, behaviour="algorithm_1_posterior_is_logistic_quadratic",
                   at={"s0": 1.0, "s1": 2.0, "n": 200000.0},
                   correct=r"logistic regression on the features (x, x^2) of samples of Algorithm 1 recovers the quadratic log-odds a(x)"),
            Source(S004, "817–825", r"A **generative model** learns P(X, Y) (or P(X|Y) and P(Y)). To perform classification (discriminative task), we must \"invert\" the model using Bayes' rule. P(X, Y) = P(Y; \theta)P(X|Y; \phi) (16)",
                   note="the factorisation the derivation starts from"),
            Source(S004, "848–854", r"The **denominator (normalization term)** requires summing/integrating over all possible values of Y and often becomes **intractable**: High-dimensional X; Complex dependencies in P(X|Y); Latent variables in the model",
                   note="not comparable: for this model the sum has two terms and the posterior is closed form; it becomes costly "
                        "with many classes, latent variables or an intractable p(x|y)"),
            Source(S004, "460", r"**Generative models are more fundamental:** If you have p(\text{data}, \text{labels}), derive discriminative predictions via Bayes rule. Generation \rightarrow discrimination works; the reverse doesn't.",
                   note="not compared: the first half is this claim (P(Y = 1 | x) from the class densities and the prior by Bayes' rule); "
                        "the converse is a statement about information (p(y|x) fixes no p(x)), not a formula"),
        ),
    )


@claim("estimation.generative-classifier.lda")
def estimation_generative_classifier_lda() -> Claim:
    """Shared variance s: P(Y = 1 | x) = σ(w x + b), w = (μ_1 − μ_0)/s², b = (μ_0² − μ_1²)/(2s²) + log(p/(1−p))."""
    return Claim(
        title="With a shared variance the Gaussian generative classifier is logistic regression: P(Y=1|x) = σ(wx + b) (LDA)",
        statement=r"P(Y=1\mid x),\ Y\sim\mathrm{Ber}(p),\ X\mid Y=k\sim\mathcal N(\mu_k, s^2)",
        variables=(X, MU0, MU1, S_SHARED, PRIOR),
        derivation=(
            Step("the QDA posterior (claim estimation.generative-classifier.qda)", target_of("estimation.generative-classifier.qda")),
            Step(r"shared variance s_0 = s_1 = s: \log(s_0/s_1) = 0",
                 logistic(log(p / (1 - p)) + ((x - mu0) ** 2 - (x - mu1) ** 2) / (2 * s**2)),
                 op=lambda e: e.subs({s0: s, s1: s})),
            Step(r"the x^2 terms cancel: a(x) = wx + b with w = (\mu_1-\mu_0)/s^2, b = (\mu_0^2-\mu_1^2)/(2s^2) + \log\frac{p}{1-p}",
                 logistic(lda_logit())),
        ),
        wrong_variants=(
            WrongVariant("prior log-odds dropped", logistic(lda_logit() - log(p / (1 - p)))),
            WrongVariant("s in place of s^2 in the weight", logistic((mu1 - mu0) / s * x + (mu0**2 - mu1**2) / (2 * s**2) + log(p / (1 - p)))),
            WrongVariant("weight sign flipped: (mu0 - mu1)/s^2", logistic((mu0 - mu1) / s**2 * x + (mu0**2 - mu1**2) / (2 * s**2) + log(p / (1 - p)))),
        ),
        sources=(
            Source(S004, "827–836", ALGORITHM_1, behaviour="algorithm_1_lda_is_logistic_regression",
                   at={"s": 1.5, "n": 200000.0},
                   correct=r"with \sigma_0 = \sigma_1 logistic regression on x fits w = (\mu_1-\mu_0)/s^2 and b = (\mu_0^2-\mu_1^2)/(2s^2) + \log\frac{p}{1-p}",
                   note=r"the algorithm allows \sigma_0 \ne \sigma_1 (QDA); run here with one shared \sigma"),
        ),
    )


@claim("estimation.naive-bayes.log-odds")
def estimation_naive_bayes_log_odds() -> Claim:
    """log P(Y=1|x)/P(Y=0|x) = log(p/(1−p)) + Σ_j [x_j log(a_j/b_j) + (1−x_j) log((1−a_j)/(1−b_j))]."""
    per_feature = sum(xj * log(a / b) + (1 - xj) * log((1 - a) / (1 - b)) for xj, a, b in zip(xs, a_s, b_s))
    return Claim(
        title="Naive Bayes: with features independent given the class, the log-odds are the prior log-odds plus one term per feature",
        statement=r"\log\frac{P(Y=1\mid x_1,x_2)}{P(Y=0\mid x_1,x_2)},\ P(x\mid Y) = \prod_j P(x_j\mid Y)",
        variables=FEATURES + (PRIOR,) + ON_GIVEN_1 + ON_GIVEN_0,
        derivation=(
            Step(r"definition: Bayes' rule, the evidence P(x) cancels in the odds; the naive factorisation P(x\mid Y=k) = \prod_j P(x_j\mid Y=k) "
                 r"with Bernoulli features", p * bernoulli_features(a_s) / ((1 - p) * bernoulli_features(b_s))),
            Step("take the log: a sum over features", log(p / (1 - p)) + per_feature, op=log),
        ),
        wrong_variants=(
            WrongVariant("the absent features' terms dropped (only x_j = 1 counted)",
                         log(p / (1 - p)) + sum(xj * log(a / b) for xj, a, b in zip(xs, a_s, b_s))),
            WrongVariant("prior log-odds dropped", per_feature),
            WrongVariant("class-conditionals inverted: log(b/a)", log(p / (1 - p)) - per_feature),
        ),
    )
