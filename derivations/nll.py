r"""Negative log-likelihoods: Gaussian → MSE, Bernoulli → BCE, Categorical → cross-entropy.

"Every loss = NLL under an assumed conditional distribution" (003, L1482–1489). Each claim
starts from a density or pmf (``sympy.stats`` where it has one), takes minus the log, and
rewrites line by line; SymPy checks every line against the one before.

Seeds: 000 (MLE ⇒ MSE, L248–256, L393–421), 001 (softmax CE, L104–120), 002 (Gaussian
decoder likelihood, L221–236, L261–262, L312–322), 003 (linear, logistic and softmax
regression, L84–142, L268–275, L1250–1499).
"""

from __future__ import annotations

import sympy
import sympy.stats
from sympy import Eq, Piecewise, Rational, exp, log, pi, sqrt

from derivspec.claims import (BINARY, POSITIVE, REAL, UNIT_INTERVAL, Claim, Source, Step, Var, WrongVariant,
                              positive_between, real_between)
from derivspec.registry import register
from numerics import nll as numeric

FAMILY = "nll"
S000, S001, S002, S003 = ("000_f22e563363d1e7ff.txt", "001_4fedbb81320e18b0.txt",
                          "002_433c7158266bc0e9.txt", "003_8a5dbeec3922fcb3.txt")

# --- variables ---------------------------------------------------------------------------
Y = Var("y", "y", REAL)
MU = Var("mu", r"\mu", REAL)
SIGMA = Var("sigma", r"\sigma", POSITIVE)
Y01 = Var("y", "y", BINARY)
P = Var("p", "p", UNIT_INTERVAL)
Z = Var("z", "z", REAL)
H1, H2, H3 = (Var(f"h{k}", f"h_{k}", REAL) for k in (1, 2, 3))
THETA = Var("theta", r"\theta", real_between(-2, 2))
X = Var("x", "x", real_between(-2, 2))
XS = tuple(Var(f"x{i}", f"x_{i}", real_between(0.5, 3)) for i in (1, 2, 3))
YS = tuple(Var(f"y{i}", f"y_{i}", REAL) for i in (1, 2, 3))
M = Var("m", "m", REAL)
S = Var("s", "s", positive_between(0.25, 3))

y, mu, sigma = Y.symbol, MU.symbol, SIGMA.symbol
y01, p, z = Y01.symbol, P.symbol, Z.symbol
h1, h2, h3 = H1.symbol, H2.symbol, H3.symbol
theta, x = THETA.symbol, X.symbol
xs, ys = [v.symbol for v in XS], [v.symbol for v in YS]
m, s = M.symbol, S.symbol
r = sympy.Symbol("r", real=True)  # a residual y - mu, used inside derivations


def sigmoid(t):
    return 1 / (1 + exp(-t))


def softmax(k: int, logits=(h1, h2, h3)):
    return exp(logits[k]) / sum(exp(h) for h in logits)


# --- Gaussian ----------------------------------------------------------------------------

def gaussian_nll_derivation(y=y, mu=mu, sigma=sigma):
    """−log N(y; μ, σ²) = (y−μ)²/(2σ²) + ½ log(2πσ²)."""
    density = sympy.stats.density(sympy.stats.Normal("Y", mu, sigma))(y)
    return (
        Step(r"definition: density of N(\mu, \sigma^2) (sympy.stats.Normal)", density),
        Step("take minus the log: the normaliser and the exponent separate",
             -log(1 / sqrt(2 * pi * sigma**2)) + (y - mu) ** 2 / (2 * sigma**2), op=lambda e: -log(e)),
        Step(r"-\log(1/\sqrt{2\pi\sigma^2}) = \tfrac12\log(2\pi\sigma^2)",
             (y - mu) ** 2 / (2 * sigma**2) + log(2 * pi * sigma**2) / 2),
    )


GAUSSIAN_NLL = gaussian_nll_derivation()[-1].expr
NLL_AS_LOGLIK = dict(to_target=lambda written: -written)
LOGLIK_NOTE = "the source writes the log-likelihood; the target is its negative"

register(Claim(
    id="nll.gaussian",
    title="Gaussian negative log-likelihood",
    family=FAMILY,
    statement=r"-\log \mathcal N(y;\mu,\sigma^2)",
    variables=(Y, MU, SIGMA),
    derivation=gaussian_nll_derivation(),
    numeric=numeric.gaussian_nll,
    numeric_route="torch Normal.log_prob and F.gaussian_nll_loss(full=True) at 512 random points",
    wrong_variants=(
        WrongVariant("dropped the log-normaliser", (y - mu) ** 2 / (2 * sigma**2)),
        WrongVariant("sigma in place of sigma^2", (y - mu) ** 2 / (2 * sigma) + log(2 * pi * sigma**2) / 2),
        WrongVariant("missing 1/2 on the log term", (y - mu) ** 2 / (2 * sigma**2) + log(2 * pi * sigma**2)),
    ),
    sources=(
        Source(S003, "1256", r"\log p(y_i | \mathbf{x}_i, \boldsymbol{\theta}) = -\frac{1}{2} \log(2\pi\sigma^2) - \frac{(y_i - \boldsymbol{\theta}^\top \mathbf{x}_i)^2}{2\sigma^2}",
               expr=-log(2 * pi * sigma**2) / 2 - (y - mu) ** 2 / (2 * sigma**2), **NLL_AS_LOGLIK,
               note=LOGLIK_NOTE + r"; \theta^\top x_i is the mean \mu"),
        Source(S002, "227–235", r"p_\theta(u \mid z) = \frac{1}{\sqrt{2\pi}} e^{-\frac{1}{2} (u - \hat{u})^2}; \log p_\theta(u \mid z) = \log (\frac{1}{\sqrt{2\pi}}) - \frac{1}{2} (u - \hat{u})^2",
               expr=log(1 / sqrt(2 * pi)) - (y - mu) ** 2 / 2, at={"sigma": 1}, **NLL_AS_LOGLIK,
               note=LOGLIK_NOTE + r" (with \sigma = 1, u = y, \hat u = \mu)"),
        Source(S000, "251–253", r"- \log P(x\mid \theta) = c \frac{1}{2\sigma^2}\|x-\mu_\theta\|^2 (\"let c be constant\")",
               expr=(y - mu) ** 2 / (2 * sigma**2), relation="proportional", free_of=("y", "mu"),
               note="one coordinate; as written c multiplies the squared error, so the NLL would be "
                    "proportional to it; the constant the derivation produces is additive"),
        Source(S000, "395–401", r"-\log p(y \mid u, \theta) \propto \|y - f_\theta(u)\|^2 (\"Negative log-likehood is exactly MSE\")",
               expr=(y - mu) ** 2, relation="affine", free_of=("y", "mu"),
               note=r"'\propto' read as: equal up to a positive scale and an additive constant free of y and \mu"),
        Source(S000, "419–421", r"Gaussian noise p(x\mid\hat x)=\mathcal N(\hat x,\sigma^2I) yields \mathcal L\propto \|x-\hat x\|^2",
               expr=(y - mu) ** 2, relation="affine", free_of=("y", "mu"),
               note=r"'\propto' read as: equal up to a positive scale and an additive constant"),
        Source(S002, "261–262", r"\text{Log Likelihood} \propto - \| \text{Target}(u) - \text{Arrow}(\hat{u}) \|^2; u \sim \mathcal{N}(\hat u, I), i.e. \mathcal{N}(u; \hat u, \sigma^2I)",
               expr=-(y - mu) ** 2, relation="affine", free_of=("y", "mu"), **NLL_AS_LOGLIK,
               note=LOGLIK_NOTE + r"; '\propto' read as: up to a positive scale and an additive constant"),
        Source(S002, "312–313", r"\log p(x \mid z) \propto -\frac{1}{2} (x - D(z))^T C^{-1} (x - D(z)) - \frac{1}{2} \log |C|",
               expr=-(y - mu) ** 2 / (2 * sigma**2) - log(sigma**2) / 2, relation="affine",
               free_of=("y", "mu", "sigma"), **NLL_AS_LOGLIK,
               note=LOGLIK_NOTE + r"; one coordinate with C = \sigma^2; '\propto' read as: up to an additive constant"),
        Source(S002, "318–322", r"\mathcal{L}_{\text{recon}} \propto - \| x - D(z) \|^2 (C = \sigma^2 I fixed)",
               expr=-(y - mu) ** 2, relation="affine", free_of=("y", "mu"), **NLL_AS_LOGLIK,
               note=r"\mathcal L_{recon} is the log-likelihood term; '\propto' read as: up to a positive scale and an additive constant"),
    ),
))


def mse_scale_derivation():
    """NLL = a·(y−μ)² + b with b free of μ: a = (∂NLL/∂μ)/(∂(y−μ)²/∂μ) = 1/(2σ²) > 0."""
    return (
        Step("Gaussian NLL (claim nll.gaussian)", GAUSSIAN_NLL),
        Step(r"differentiate in \mu", (mu - y) / sigma**2, op=lambda e: sympy.diff(e, mu)),
        Step(r"divide by \partial_\mu (y-\mu)^2 = -2(y-\mu): the ratio is free of y and \mu, so "
             r"NLL - a(y-\mu)^2 does not depend on \mu; a > 0, so both have the same minimiser",
             1 / (2 * sigma**2), op=lambda e: e / sympy.diff((y - mu) ** 2, mu)),
    )


register(Claim(
    id="nll.gaussian.mse-scale",
    title="Gaussian NLL is a positive affine function of the squared error (same minimiser as MSE)",
    family=FAMILY,
    statement=r"a \text{ in } -\log\mathcal N(y;\mu,\sigma^2) = a\,(y-\mu)^2 + b(y,\sigma)",
    variables=(SIGMA,),
    derivation=mse_scale_derivation(),
    numeric=numeric.gaussian_nll_over_mse_gradient,
    numeric_route="autograd: dNLL/dμ from Normal.log_prob over dMSE/dμ from F.mse_loss",
    wrong_variants=(
        WrongVariant("forgot the 1/2", 1 / sigma**2),
        WrongVariant("flipped sign (argmax instead of argmin)", -1 / (2 * sigma**2)),
        WrongVariant("sigma in place of sigma^2", 1 / (2 * sigma)),
    ),
    sources=(
        Source(S003, "1262–1278", r"\ell(\boldsymbol{\theta}) = -\frac{N}{2} \log(2\pi\sigma^2) - \frac{1}{2\sigma^2} \sum_{i=1}^N (y_i - \boldsymbol{\theta}^\top \mathbf{x}_i)^2 ... The factor -1/(2\sigma^2) is a negative constant — flip the sign and minimize",
               expr=-1 / (2 * sigma**2), **NLL_AS_LOGLIK,
               note="the coefficient of the squared error in the log-likelihood; the target is the NLL's coefficient"),
        Source(S000, "254–255", r"\arg\max_\theta \log P(D \mid \theta) \Longleftrightarrow \arg\min_\theta \sum_{k=1}^N \|x_k - \mu_\theta\|^2",
               note="an argmin equivalence with no formula for the scale; it follows from a > 0 (this claim)"),
        Source(S002, "236", r"\text{Maximizing Log-Likelihood} \equiv \text{Minimizing MSE}",
               note="an argmin equivalence with no formula for the scale; it follows from a > 0 (this claim)"),
    ),
))


def cross_entropy_derivation():
    """E_{y~N(m,s²)}[−log N(y; μ, σ²)] = ½log(2πσ²) + (s² + (m−μ)²)/(2σ²)."""
    data = sympy.stats.Normal("Ydata", m, s)
    return (
        Step("Gaussian NLL (claim nll.gaussian)", GAUSSIAN_NLL),
        Step(r"expectation over y \sim \mathcal N(m, s^2) (sympy.stats.E): E[(y-\mu)^2] = s^2 + (m-\mu)^2",
             (s**2 + (m - mu) ** 2) / (2 * sigma**2) + log(2 * pi * sigma**2) / 2,
             op=lambda e: sympy.stats.E(e.subs(y, data))),
    )


register(Claim(
    id="nll.gaussian.cross-entropy",
    title="Expected Gaussian NLL under Gaussian data (the cross-entropy MLE minimises)",
    family=FAMILY,
    statement=r"\mathbb E_{y\sim\mathcal N(m,s^2)}[-\log \mathcal N(y;\mu,\sigma^2)]",
    variables=(M, S, MU, SIGMA),
    derivation=cross_entropy_derivation(),
    numeric=numeric.gaussian_cross_entropy,
    numeric_route="Monte Carlo: mean of -Normal.log_prob(y) over torch samples y ~ N(m, s²)",
    wrong_variants=(
        WrongVariant("dropped the data variance s^2", (m - mu) ** 2 / (2 * sigma**2) + log(2 * pi * sigma**2) / 2),
        WrongVariant("s in place of s^2", (s + (m - mu) ** 2) / (2 * sigma**2) + log(2 * pi * sigma**2) / 2),
    ),
    sources=(
        Source(S000, "190–194", r"\hat \theta_{\text{MLE}} = \arg \min_\theta \mathbb E_{x \sim p_{\text{data}}(x)} [- \log p(x\mid\theta)] (\"minimizing the Cross-Entropy between Truth and Model\")",
               note="defines the objective as the expected NLL without a closed form; this claim evaluates it for Gaussian data and model"),
        Source(S000, "159–165", r"\arg \min_\theta \frac{1}{N}\sum_{k=1}^N -\log P(x_i\mid\theta) = \arg \min_\theta \mathbb E_{x \sim \hat p(x)} [- \log P(x\mid\theta)]",
               note="the empirical version of the same expectation; no closed form to compare"),
    ),
))


# --- Bernoulli ---------------------------------------------------------------------------

def bernoulli_nll_derivation(y=y01, p=p):
    """−log Bern(y; p) = −y log p − (1−y) log(1−p) for y ∈ {0, 1}."""
    pmf = sympy.stats.density(sympy.stats.Bernoulli("B", p)).dict
    return (
        Step("definition: pmf of Bernoulli(p) (sympy.stats.Bernoulli): P(1) = p, P(0) = 1 - p",
             Piecewise((pmf[1], Eq(y, 1)), (pmf[0], True))),
        Step("compact form p^y (1-p)^{1-y} (checked at y = 0 and y = 1)", p**y * (1 - p) ** (1 - y)),
        Step("take minus the log", -log(p**y * (1 - p) ** (1 - y)), op=lambda e: -log(e)),
        Step("log of a product is the sum of logs: binary cross-entropy",
             -y * log(p) - (1 - y) * log(1 - p)),
    )


BERNOULLI_NLL = bernoulli_nll_derivation()[-1].expr

register(Claim(
    id="nll.bernoulli",
    title="Bernoulli negative log-likelihood is binary cross-entropy",
    family=FAMILY,
    statement=r"-\log \mathrm{Bern}(y;p)",
    variables=(Y01, P),
    derivation=bernoulli_nll_derivation(),
    numeric=numeric.bernoulli_nll,
    numeric_route="torch Bernoulli.log_prob and F.binary_cross_entropy at 512 random points",
    wrong_variants=(
        WrongVariant("p and 1-p swapped", -y01 * log(1 - p) - (1 - y01) * log(p)),
        WrongVariant("dropped the y = 0 term", -y01 * log(p)),
        WrongVariant("sign flipped (log-likelihood)", y01 * log(p) + (1 - y01) * log(1 - p)),
    ),
    sources=(
        Source(S003, "268–273", r"P(Y = y \mid p) = p^y (1 - p)^{1-y}", expr=p**y01 * (1 - p) ** (1 - y01),
               to_target=lambda written: -log(written), note="the source writes the pmf; the target is minus its log"),
        Source(S003, "275", r"y \log p + (1 - y) \log(1 - p)", expr=y01 * log(p) + (1 - y01) * log(1 - p),
               **NLL_AS_LOGLIK, note=LOGLIK_NOTE),
        Source(S003, "1376", r"\log p(y_i | \mathbf{x}_i, \boldsymbol{\theta}) = y_i \log \hat{p}_i + (1 - y_i) \log(1 - \hat{p}_i)",
               expr=y01 * log(p) + (1 - y01) * log(1 - p), **NLL_AS_LOGLIK, note=LOGLIK_NOTE),
        Source(S003, "1384–1386", r"L_{\text{NLL}}(\boldsymbol{\theta}) = - \sum_{i=1}^N [y_i \log \hat{p}_i + (1 - y_i) \log(1 - \hat{p}_i)] (\"This is exactly binary cross-entropy.\")",
               expr=-(y01 * log(p) + (1 - y01) * log(1 - p)), note="one term of the sum"),
        Source(S003, "111", r"L(\boldsymbol{\theta}) = -\frac{1}{N} \sum_{i=1}^N [y_i \log \hat{p}_i + (1 - y_i) \log(1 - \hat{p}_i)]",
               expr=-(y01 * log(p) + (1 - y01) * log(1 - p)), note="one term of the mean"),
        Source(S003, "1495–1499", r"\hat{p} = 0.8, y = 1: \log 0.8 = -0.223, loss 0.223", value=0.223, decimals=3,
               at={"y": 1, "p": Rational(8, 10)}),
        Source(S003, "1495–1499", r"\hat{p} = 0.8, y = 0: \log 0.2 = -1.609, loss 1.609", value=1.609, decimals=3,
               at={"y": 0, "p": Rational(8, 10)}),
    ),
))


def bernoulli_logits_derivation():
    """With p = σ(z): −log Bern(y; σ(z)) = log(1 + eᶻ) − y z (BCE with logits)."""
    return (
        Step("Bernoulli NLL (claim nll.bernoulli)", BERNOULLI_NLL),
        Step(r"substitute p = \sigma(z) = 1/(1+e^{-z})", -y01 * log(sigmoid(z)) - (1 - y01) * log(1 - sigmoid(z)),
             op=lambda e: e.subs(p, sigmoid(z))),
        Step(r"\log\sigma(z) = z - \log(1+e^z), \log(1-\sigma(z)) = -\log(1+e^z)", log(1 + exp(z)) - y01 * z),
    )


register(Claim(
    id="nll.bernoulli.logits",
    title="Bernoulli NLL with a sigmoid link is BCE-with-logits: softplus(z) − y z",
    family=FAMILY,
    statement=r"-\log \mathrm{Bern}(y;\sigma(z))",
    variables=(Y01, Z),
    derivation=bernoulli_logits_derivation(),
    numeric=numeric.bernoulli_logits_nll,
    numeric_route="F.binary_cross_entropy_with_logits and Bernoulli(logits).log_prob at 512 random points",
    wrong_variants=(
        WrongVariant("softplus of -z", log(1 + exp(-z)) - y01 * z),
        WrongVariant("sign of y z flipped", log(1 + exp(z)) + y01 * z),
    ),
    sources=(
        Source(S003, "1362–1368", r"Y \mid \mathbf{x} \sim \text{Bernoulli}(\hat{p}_\theta(\mathbf{x})), \hat{p}_\theta(\mathbf{x}) = \sigma(\boldsymbol{\theta}^\top \mathbf{x}); p(y \mid \mathbf{x}, \boldsymbol{\theta}) = \hat{p}_\theta(\mathbf{x})^y (1 - \hat{p}_\theta(\mathbf{x}))^{1-y}",
               expr=sigmoid(z) ** y01 * (1 - sigmoid(z)) ** (1 - y01), to_target=lambda written: -log(written),
               note=r"the source writes the likelihood with z = \theta^\top x; the target is minus its log"),
    ),
))


def logistic_gradient_derivation():
    """∂/∂θ of −log Bern(y; σ(θx)) = (σ(θx) − y) x."""
    nll = bernoulli_logits_derivation()[-1].expr
    return (
        Step(r"BCE with logits at z = \theta x (claim nll.bernoulli.logits)", nll.subs(z, theta * x)),
        Step(r"differentiate in \theta (chain rule through z = \theta x)",
             x * exp(theta * x) / (1 + exp(theta * x)) - y01 * x, op=lambda e: sympy.diff(e, theta)),
        Step(r"e^z/(1+e^z) = \sigma(z): prediction minus truth, times the input", (sigmoid(theta * x) - y01) * x),
    )


register(Claim(
    id="grad.logistic",
    title="Logistic-regression NLL gradient is (p̂ − y) x",
    family=FAMILY,
    statement=r"\partial_\theta\,[-\log \mathrm{Bern}(y;\sigma(\theta x))]",
    variables=(Y01, THETA, X),
    derivation=logistic_gradient_derivation(),
    numeric=numeric.logistic_gradient,
    numeric_route="autograd of F.binary_cross_entropy_with_logits; logistic reference model trained by GD with the candidate",
    wrong_variants=(
        WrongVariant("truth minus prediction", (y01 - sigmoid(theta * x)) * x),
        WrongVariant("kept the sigmoid derivative p(1-p)",
                     (sigmoid(theta * x) - y01) * x * sigmoid(theta * x) * (1 - sigmoid(theta * x))),
        WrongVariant("dropped the input x", sigmoid(theta * x) - y01),
    ),
    sources=(
        Source(S003, "1390–1394", r"\nabla_{\theta} L_{\text{NLL}} = \sum_{i=1}^N (\hat{p}_i - y_i) \mathbf{x}_i",
               expr=(sigmoid(theta * x) - y01) * x, note=r"one term of the sum, one feature; \hat p = \sigma(\theta x)"),
        Source(S003, "287", r"logistic regression's gradient has a \hat{p}(1 - \hat{p}) term that is exactly the Bernoulli variance",
               note=r"describes an intermediate of the chain rule (\sigma' = \sigma(1-\sigma)), which cancels in the final gradient; no formula to compare"),
    ),
))


# --- Categorical / softmax cross-entropy -------------------------------------------------

def categorical_nll_derivation():
    """−log softmax(h)₁ = −h₁ + log(e^{h₁} + e^{h₂} + e^{h₃}) (observed class 1 of 3)."""
    onehot = (1, 0, 0)
    pmf = sympy.Mul(*(softmax(k) ** onehot[k] for k in range(3)), evaluate=False)
    return (
        Step(r"definition: categorical pmf \prod_k \pi_k^{y_k} with \pi = softmax(h) and one-hot y = (1, 0, 0)",
             softmax(0), op=lambda _: pmf.doit()),
        Step("take minus the log", -log(softmax(0)), op=lambda e: -log(e)),
        Step("log of a ratio; log e^{h_1} = h_1 (log-sum-exp form, what F.cross_entropy computes)",
             -h1 + log(exp(h1) + exp(h2) + exp(h3))),
    )


CATEGORICAL_NLL = categorical_nll_derivation()[-1].expr
WORKED_LOGITS = {"h1": 2, "h2": 1, "h3": Rational(1, 10)}  # 003 L1460: z = [2.0, 1.0, 0.1], class cat

register(Claim(
    id="nll.categorical",
    title="Categorical NLL of a softmax is softmax cross-entropy (3 classes, observed class 1)",
    family=FAMILY,
    statement=r"-\log \mathrm{softmax}(h)_1",
    variables=(H1, H2, H3),
    derivation=categorical_nll_derivation(),
    numeric=numeric.categorical_nll,
    numeric_route="torch Categorical(logits).log_prob and F.cross_entropy at 512 random points",
    wrong_variants=(
        WrongVariant("dropped the log-sum-exp normaliser", -h1),
        WrongVariant("sign flipped (log-likelihood)", h1 - log(exp(h1) + exp(h2) + exp(h3))),
        WrongVariant("normalised over the other classes only", -h1 + log(exp(h2) + exp(h3))),
    ),
    sources=(
        Source(S001, "104–120", r"p_\theta(y=k|x) = \frac{\exp(h_k(x))}{\sum_j \exp(h_j(x))}; \mathcal{L}(x,y) = -\log p_\theta(y|x)",
               expr=-log(exp(h1) / (exp(h1) + exp(h2) + exp(h3))), note="with K = 3 and observed class 1"),
        Source(S003, "1418–1430", r"\log p(y_i \mid \mathbf{x}_i, \theta) = \sum_{k=1}^K y_{i,k} \log \hat{\pi}_{i,k} = \log \hat{\pi}_{i, y_i}",
               expr=sum(yk * log(softmax(k)) for k, yk in enumerate((1, 0, 0))), **NLL_AS_LOGLIK,
               note=LOGLIK_NOTE + "; one-hot y = (1, 0, 0), K = 3"),
        Source(S003, "1440–1442", r"L_{\text{NLL}}(\theta) = - \sum_{i=1}^N \log \hat{\pi}_{i, y_i} = - \sum_{i=1}^N \sum_{k=1}^K y_{i,k} \log \hat{\pi}_{i,k}",
               expr=-sum(yk * log(softmax(k)) for k, yk in enumerate((1, 0, 0))), note="one example, one-hot y = (1, 0, 0)"),
        Source(S003, "1460–1472", r"\mathbf{z} = [2.0, 1.0, 0.1], true class cat (index 0); L = -\log \hat{\pi}_{\text{cat}} = -\log 0.659 = \mathbf{0.418}",
               value=0.418, decimals=3, at=WORKED_LOGITS),
        *(Source(S003, line, row, value=value, decimals=3,
                 at={"h1": log(Rational(a)), "h2": log(Rational(b)), "h3": log(Rational(c))},
                 note=r"table row: model \hat\pi and -\log\hat\pi_1 in nats, true class 1; \hat\pi enters as logits h = \log\hat\pi")
          for line, row, value, (a, b, c) in (
              ("2023", "(0.99, 0.005, 0.005)	0.010", 0.010, ("0.99", "0.005", "0.005")),
              ("2024", "(0.7, 0.2, 0.1)	0.357", 0.357, ("0.7", "0.2", "0.1")),
              ("2025", "(0.34, 0.33, 0.33)	1.079", 1.079, ("0.34", "0.33", "0.33")),
              ("2026", "(0.05, 0.5, 0.45)	2.996", 2.996, ("0.05", "0.5", "0.45")))),
    ),
))


def softmax_gradient_derivation(k: int):
    """∂/∂h_k of −log softmax(h)₁ = softmax(h)_k − [k = 1]."""
    logit = (h1, h2, h3)[k]
    onehot = 1 if k == 0 else 0
    return (
        Step("categorical NLL (claim nll.categorical)", CATEGORICAL_NLL),
        Step(rf"differentiate in h_{k + 1}", sympy.diff(CATEGORICAL_NLL, logit), op=lambda e: sympy.diff(e, logit)),
        Step(rf"e^{{h_{k + 1}}}/\sum_j e^{{h_j}} = \pi_{k + 1}: prediction minus one-hot truth", softmax(k) - onehot),
    )


register(Claim(
    id="grad.softmax.true-class",
    title="Softmax cross-entropy gradient on the observed class's logit is π₁ − 1",
    family=FAMILY,
    statement=r"\partial_{h_1}\,[-\log \mathrm{softmax}(h)_1]",
    variables=(H1, H2, H3),
    derivation=softmax_gradient_derivation(0),
    numeric=numeric.softmax_gradient(0),
    numeric_route="autograd of F.cross_entropy; softmax reference model trained by GD with the candidate",
    wrong_variants=(
        WrongVariant("truth minus prediction", 1 - softmax(0)),
        WrongVariant("forgot the one-hot term", softmax(0)),
    ),
    sources=(
        Source(S003, "1448–1452", r"\frac{\partial L_{\text{NLL}}}{\partial z_{i,k}} = \hat{\pi}_{i,k} - y_{i,k}",
               expr=softmax(0) - 1, note="k = observed class, so y_k = 1"),
        Source(S003, "1474", r"\hat{\boldsymbol{\pi}} - \mathbf{y} = [0.659, 0.242, 0.099] - [1, 0, 0] = [-0.341, 0.242, 0.099]",
               value=-0.341, decimals=3, at=WORKED_LOGITS, note="the cat entry (observed class)"),
    ),
))

register(Claim(
    id="grad.softmax.other-class",
    title="Softmax cross-entropy gradient on another class's logit is π_k",
    family=FAMILY,
    statement=r"\partial_{h_2}\,[-\log \mathrm{softmax}(h)_1]",
    variables=(H1, H2, H3),
    derivation=softmax_gradient_derivation(1),
    numeric=numeric.softmax_gradient(1),
    numeric_route="autograd of F.cross_entropy; softmax reference model trained by GD with the candidate",
    wrong_variants=(
        WrongVariant("subtracted 1 as for the true class", softmax(1) - 1),
        WrongVariant("sign flipped", -softmax(1)),
    ),
    sources=(
        Source(S003, "1448–1452", r"\frac{\partial L_{\text{NLL}}}{\partial z_{i,k}} = \hat{\pi}_{i,k} - y_{i,k}",
               expr=softmax(1) - 0, note="k not the observed class, so y_k = 0"),
        Source(S003, "1474", r"\hat{\boldsymbol{\pi}} - \mathbf{y} = [0.659, 0.242, 0.099] - [1, 0, 0] = [-0.341, 0.242, 0.099]",
               value=0.242, decimals=3, at=WORKED_LOGITS, note="the dog entry (logit 1.0 in the h_2 slot)"),
        Source(S003, "1474", r"\hat{\boldsymbol{\pi}} - \mathbf{y} = [0.659, 0.242, 0.099] - [1, 0, 0] = [-0.341, 0.242, 0.099]",
               value=0.099, decimals=3, at={"h1": 2, "h2": Rational(1, 10), "h3": 1},
               note="the car entry (logit 0.1 in the h_2 slot)"),
    ),
))


# --- linear regression: gradient and the worked OLS example ------------------------------

def linear_regression_gradient_derivation():
    """∂/∂θ of −log N(y; θx, σ²) = (θx − y) x / σ²."""
    return (
        Step(r"Gaussian NLL with mean \mu = \theta x (claim nll.gaussian)", GAUSSIAN_NLL.subs(mu, theta * x)),
        Step(r"differentiate in \theta", (theta * x - y) * x / sigma**2, op=lambda e: sympy.diff(e, theta)),
    )


register(Claim(
    id="grad.linear-regression",
    title="Linear-regression Gaussian NLL gradient is (ŷ − y) x / σ²",
    family=FAMILY,
    statement=r"\partial_\theta\,[-\log \mathcal N(y;\theta x,\sigma^2)]",
    variables=(Y, THETA, X, SIGMA),
    derivation=linear_regression_gradient_derivation(),
    numeric=numeric.linear_regression_gradient,
    numeric_route="autograd of -Normal(θx, σ).log_prob(y)",
    wrong_variants=(
        WrongVariant("truth minus prediction", (y - theta * x) * x / sigma**2),
        WrongVariant("dropped the input x", (theta * x - y) / sigma**2),
    ),
    sources=(
        Source(S003, "1396–1398", r"the exact same form as the linear regression gradient (\hat{y}_i - y_i) \mathbf{x}_i",
               expr=(theta * x - y) * x, at={"sigma": 1}, note=r"read with \sigma = 1, where the NLL gradient has no 1/\sigma^2"),
    ),
))


def sum_of(f):
    return sum(f(xi, yi) for xi, yi in zip(xs, ys))


SUM_NLL = sum_of(lambda xi, yi: GAUSSIAN_NLL.subs({y: yi, mu: theta * xi}))
SSE = sum_of(lambda xi, yi: (yi - theta * xi) ** 2)
WORKED_DATA = {"x1": 1, "x2": 2, "x3": 3, "y1": Rational(11, 10), "y2": Rational(19, 10), "y3": Rational(32, 10)}


def ols_slope_derivation():
    """argmin_θ Σᵢ −log N(yᵢ; θxᵢ, σ²) = Σxᵢyᵢ / Σxᵢ² (three points, no bias)."""
    return (
        Step(r"sum of Gaussian NLLs, \mu_i = \theta x_i (claim nll.gaussian)", SUM_NLL),
        Step(r"differentiate in \theta", sum_of(lambda xi, yi: (theta * xi - yi) * xi) / sigma**2,
             op=lambda e: sympy.diff(e, theta)),
        Step(r"set to zero and solve (linear in \theta; the second derivative \sum x_i^2/\sigma^2 > 0: a minimum)",
             sum_of(lambda xi, yi: xi * yi) / sum_of(lambda xi, yi: xi**2),
             op=lambda e: sympy.solve(e, theta)[0]),
    )


OLS_SLOPE = ols_slope_derivation()[-1].expr
XS_YS = XS + YS

register(Claim(
    id="nll.gaussian.ols-slope",
    title="Gaussian MLE of a slope without bias is least squares: θ̂ = Σxy / Σx²",
    family=FAMILY,
    statement=r"\hat\theta = \arg\min_\theta \sum_{i=1}^3 -\log\mathcal N(y_i;\theta x_i,\sigma^2)",
    variables=XS_YS,
    derivation=ols_slope_derivation(),
    numeric=numeric.ols_slope,
    numeric_route="reference models: normal equations, LBFGS on Gaussian NLL (σ = 0.7), LBFGS on F.mse_loss; random data",
    wrong_variants=(
        WrongVariant("ratio of sums", sum(ys) / sum(xs)),
        WrongVariant("squared the sum instead of summing squares",
                     sum_of(lambda xi, yi: xi * yi) / sum(xs) ** 2),
    ),
    sources=(
        Source(S003, "1292", r"\hat{\boldsymbol{\theta}}_{\text{MLE}} = (\mathbf{X}^\top \mathbf{X})^{-1} \mathbf{X}^\top \mathbf{y}",
               expr=((sympy.Matrix(xs).T * sympy.Matrix(xs)).inv() * sympy.Matrix(xs).T * sympy.Matrix(ys))[0],
               note="X is the 3×1 column of x_i"),
        Source(S003, "1310", r"\hat{\theta} = \sum x_i y_i / \sum x_i^2", expr=sum_of(lambda xi, yi: xi * yi) / sum_of(lambda xi, yi: xi**2)),
        Source(S003, "1304–1330", r"(1, 1.1), (2, 1.9), (3, 3.2): \hat{\theta} = \frac{14.5}{14} \approx \mathbf{1.036}",
               value=1.036, decimals=3, at=WORKED_DATA),
    ),
))


def ols_gradient_derivation():
    """∂/∂θ Σ(yᵢ − θxᵢ)² = −2 Σ xᵢ (yᵢ − θxᵢ)."""
    return (
        Step(r"sum of Gaussian NLLs, \mu_i = \theta x_i (claim nll.gaussian)", SUM_NLL),
        Step(r"multiply by 2\sigma^2 and drop the \theta-free N\log(2\pi\sigma^2): the sum of squared errors", SSE,
             op=lambda e: sympy.expand(2 * sigma**2 * e - 3 * sigma**2 * log(2 * pi * sigma**2))),
        Step(r"differentiate in \theta", -2 * sum_of(lambda xi, yi: xi * (yi - theta * xi)),
             op=lambda e: sympy.diff(e, theta)),
    )


register(Claim(
    id="nll.gaussian.ols-gradient",
    title="Gradient of the sum of squared errors of a slope: −2 Σ x (y − θx)",
    family=FAMILY,
    statement=r"\partial_\theta \sum_{i=1}^3 (y_i - \theta x_i)^2",
    variables=XS_YS + (THETA,),
    derivation=ols_gradient_derivation(),
    numeric=numeric.ols_gradient,
    numeric_route="autograd of F.mse_loss(reduction='sum')",
    wrong_variants=(
        WrongVariant("sign flipped", 2 * sum_of(lambda xi, yi: xi * (yi - theta * xi))),
        WrongVariant("missing factor 2", -sum_of(lambda xi, yi: xi * (yi - theta * xi))),
    ),
    sources=(
        Source(S003, "1290", r"\nabla_{\boldsymbol{\theta}} \|\mathbf{y} - \mathbf{X}\boldsymbol{\theta}\|^2 = -2\mathbf{X}^\top (\mathbf{y} - \mathbf{X}\boldsymbol{\theta})",
               expr=-2 * sum_of(lambda xi, yi: xi * (yi - theta * xi)), note="X is the 3×1 column of x_i"),
        Source(S003, "1350–1352", r"\nabla_{\theta} \text{MSE}(\hat{\theta}) = -2 \cdot 14 \cdot (\hat{\theta} - 14.5/14) = 0",
               expr=-2 * 14 * (theta - Rational(145, 10) / 14), at=WORKED_DATA,
               note=r"at the worked data (\sum x^2 = 14, \sum xy = 14.5), as a function of \theta; "
                    "the source calls the sum of squares MSE"),
    ),
))


def ols_min_sse_derivation():
    """min_θ Σ(yᵢ − θxᵢ)² = Σ(yᵢ − θ̂xᵢ)² with θ̂ = Σxy/Σx²."""
    return (
        Step(r"sum of squared errors (from the Gaussian NLL, see nll.gaussian.ols-gradient)", SSE),
        Step(r"at the minimiser \hat\theta = \sum x_i y_i / \sum x_i^2 (claim nll.gaussian.ols-slope)",
             sum_of(lambda xi, yi: (yi - OLS_SLOPE * xi) ** 2), op=lambda e: e.subs(theta, OLS_SLOPE)),
    )


register(Claim(
    id="nll.gaussian.ols-min-sse",
    title="Sum of squared residuals at the least-squares slope",
    family=FAMILY,
    statement=r"\min_\theta \sum_{i=1}^3 (y_i - \theta x_i)^2",
    variables=XS_YS,
    derivation=ols_min_sse_derivation(),
    numeric=numeric.ols_min_sse,
    numeric_route="reference model: LBFGS on F.mse_loss, SSE at the optimum",
    wrong_variants=(
        WrongVariant("plus instead of minus the explained part",
                     sum(yi**2 for yi in ys) + sum_of(lambda xi, yi: xi * yi) ** 2 / sum_of(lambda xi, yi: xi**2)),
        WrongVariant("residuals at the ratio of sums", sum_of(lambda xi, yi: (yi - sum(ys) / sum(xs) * xi) ** 2)),
    ),
    sources=(
        Source(S003, "1304–1346", r"(x_1, y_1) = (1, 1.1), (x_2, y_2) = (2, 1.9), (x_3, y_3) = (3, 3.2) ... r_1^2 + r_2^2 + r_3^2 \approx 0.043",
               value=0.043, decimals=3, at=WORKED_DATA),
    ),
))
