r"""Gaussian negative log-likelihood: −log N(y; μ, σ²), its MSE scale, its expectation.

Seeds: 000 L251–255, L395–401, L419–421; 002 L227–236, L261–262, L312–322; 003 L1256–1278.
"""

from __future__ import annotations

import sympy
import sympy.stats
from sympy import log, pi, sqrt

from derivspec.core import POSITIVE, REAL, Claim, Source, Step, Var, WrongVariant, claim, positive_between, target_of
from derivspec.core.claims import Recognise
from derivspec.core.lectures import S000, S002, S003, S004

Y = Var("y", "y", REAL)
MU = Var("mu", r"\mu", REAL)
SIGMA = Var("sigma", r"\sigma", POSITIVE)
M = Var("m", "m", REAL)
S = Var("s", "s", positive_between(0.25, 3))
y, mu, sigma, m, s = Y.symbol, MU.symbol, SIGMA.symbol, M.symbol, S.symbol

NLL_AS_LOGLIK = dict(to_target=lambda written: -written)
# y = μ + ε with ε ~ N(0, σ²): the density of y is the noise density at the residual y − μ (a shift: Jacobian 1)
EPSILON = sympy.Symbol("epsilon", real=True)
NOISE_DENSITY = sympy.stats.density(sympy.stats.Normal("E", 0, SIGMA.symbol))(EPSILON)
ADDITIVE_NOISE_NOTE = ("additive noise: p(y) = p_ε(y − μ) (a shift, Jacobian 1), so −log p(y) is minus the log of the noise "
                       "density N(0, σ²) at the residual y − μ, one coordinate")
LOGLIK_NOTE = "the source writes the log-likelihood; the target is its negative"


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


def gaussian_nll(at=y, mean=mu, std=sigma) -> sympy.Expr:
    """−log N(at; mean, std²), the target of ``nll.gaussian`` with other arguments."""
    return target_of("nll.gaussian").subs({y: at, mu: mean, sigma: std}, simultaneous=True)


@claim("nll.gaussian")
def nll_gaussian() -> Claim:
    return Claim(
        title="Gaussian negative log-likelihood",
        recognise=(
            Recognise(r"-\log \mathcal N(y; \mu, \sigma^2)", const_free_of=("y", "mu")),
            Recognise(r"\log \mathcal N(y; \mu, \sigma^2)", value=lambda t: -t, const_free_of=("y", "mu")),
        ),
        statement=r"-\log \mathcal N(y;\mu,\sigma^2)",
        variables=(Y, MU, SIGMA),
        derivation=gaussian_nll_derivation(),
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
                   category="formula", severity="notation",
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
            Source(S000, "89–94", r"y = f_\theta(u) + \varepsilon, \quad \text{where } \varepsilon \sim \mathcal{N}(0, \sigma^2 I)",
                   expr=-log(NOISE_DENSITY.subs(EPSILON, y - mu)), note=ADDITIVE_NOISE_NOTE),
            Source(S003, "1232–1240", r"y = \boldsymbol{\theta}^\top \mathbf{x} + \epsilon, \epsilon \sim \mathcal{N}(0, \sigma^2); p(y \mid \mathbf{x}, \boldsymbol{\theta}) = \mathcal{N}(y \mid \boldsymbol{\theta}^\top \mathbf{x}, \sigma^2) = \frac{1}{\sqrt{2\pi\sigma^2}} \exp\left(-\frac{(y - \boldsymbol{\theta}^\top \mathbf{x})^2}{2\sigma^2}\right)",
                   expr=-log(NOISE_DENSITY.subs(EPSILON, y - mu)), note=ADDITIVE_NOISE_NOTE + r"; \theta^\top x is \mu"),
            Source(S004, "1674–1678", r"Different priors induce different regularizers: Gaussian prior: L2 regularization (ridge)",
                   expr=y**2, relation="affine", free_of=("y",), at={"mu": 0},
                   note=r"a prior N(0, \sigma^2) on a weight y: its -\log density is y^2/(2\sigma^2) plus a constant, an L2 "
                        r"penalty (the ridge weight in a loss is map.gaussian-prior.l2)"),
        ),
    )


@claim("nll.gaussian.mse-scale")
def nll_gaussian_mse_scale() -> Claim:
    """NLL = a·(y−μ)² + b with b free of μ: a = (∂NLL/∂μ)/(∂(y−μ)²/∂μ) = 1/(2σ²) > 0."""
    return Claim(
        title="Gaussian NLL is a positive affine function of the squared error (same minimiser as MSE)",
        statement=r"a \text{ in } -\log\mathcal N(y;\mu,\sigma^2) = a\,(y-\mu)^2 + b(y,\sigma)",
        variables=(SIGMA,),
        derivation=(
            Step("Gaussian NLL (claim nll.gaussian)", gaussian_nll()),
            Step(r"differentiate in \mu", (mu - y) / sigma**2, op=lambda e: sympy.diff(e, mu)),
            Step(r"divide by \partial_\mu (y-\mu)^2 = -2(y-\mu): the ratio is free of y and \mu, so "
                 r"NLL - a(y-\mu)^2 does not depend on \mu; a > 0, so both have the same minimiser",
                 1 / (2 * sigma**2), op=lambda e: e / sympy.diff((y - mu) ** 2, mu)),
        ),
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
            Source(S000, "522–525", r"In **Homoscedastic** regression (Standard MSE), we assume noise is constant and ignore it. In **Probabilistic** models (LLMs/VAEs), predicts the parameters of the noise distribution (e.g., variance/spread)",
                   note="not compared: with σ fixed the NLL is a·(y − μ)² + b with a = 1/(2σ²) > 0 (this claim), so σ only "
                        "rescales the loss and MSE can ignore it; a predicted σ changes the loss per example"),
            Source(S003, "2219–2225", r"When you write MSE, you have *implicitly* assumed Gaussian noise. ... **Q.** Why minimize NLL instead of maximize LL? **A.** Pure convention. ML libraries minimize. Negate, minimize, same answer.",
                   note="not compared: MSE and the Gaussian NLL share their minimiser because a = 1/(2σ²) > 0 (this claim), "
                        "and negating an objective keeps its optimiser; 'implicitly assumed' is an interpretation"),
        ),
    )


@claim("nll.gaussian.cross-entropy")
def nll_gaussian_cross_entropy() -> Claim:
    """E_{y~N(m,s²)}[−log N(y; μ, σ²)] = ½log(2πσ²) + (s² + (m−μ)²)/(2σ²)."""
    data = sympy.stats.Normal("Ydata", m, s)
    return Claim(
        title="Expected Gaussian NLL under Gaussian data (the cross-entropy MLE minimises)",
        # the cross-entropy of the two normals: every name is bound by the shape (the expectation's
        # subscript E_{y~N(m,s^2)} is not unified, so that spelling is not a shape)
        recognise=(Recognise(r"H(\mathcal N(m, s^2), \mathcal N(\mu, \sigma^2))"),),
        statement=r"\mathbb E_{y\sim\mathcal N(m,s^2)}[-\log \mathcal N(y;\mu,\sigma^2)]",
        variables=(M, S, MU, SIGMA),
        derivation=(
            Step("Gaussian NLL (claim nll.gaussian)", gaussian_nll()),
            Step(r"expectation over y \sim \mathcal N(m, s^2) (sympy.stats.E): E[(y-\mu)^2] = s^2 + (m-\mu)^2",
                 (s**2 + (m - mu) ** 2) / (2 * sigma**2) + log(2 * pi * sigma**2) / 2,
                 op=lambda e: sympy.stats.E(e.subs(y, data))),
        ),
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
    )
