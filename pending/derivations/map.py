r"""Priors → regularisers: MAP with a Gaussian prior is L2 (ridge), a Laplace prior is L1 (lasso).

Bayes' rule gives the negative log posterior
:math:`-\log p(\theta\mid D) = -\log p(D\mid\theta) - \log p(\theta) + \log p(D)`. Each claim
writes it from the densities (Gaussian likelihood from ``nll.gaussian``, prior from
``sympy.stats``), drops the θ-free terms explicitly (log p(D) and the normalisers), rescales
by a positive factor (the argmin does not move) and reads off λ in one of three conventions:

* SSE: Σᵢ(yᵢ − θxᵢ)² + λ·penalty (DESIGN.md's ``map.*`` targets);
* NLL: the NLL Σᵢ(yᵢ − θxᵢ)²/(2σ²) + λ·penalty (how 003 writes L_MAP);
* mean: (1/N)Σᵢ(yᵢ − θxᵢ)² + λ·penalty (MSE).

Seeds: 000 L230–240 (Bayes, MAP), 003 L1560–1700 (MAP, L2, L1, weight decay, worked numbers).
"""

from __future__ import annotations

import sympy
import sympy.stats
from sympy import Abs, Piecewise, log

from derivspec.derivations.nll import GAUSSIAN_NLL, S000, S002, S003, XS, YS, sum_of, theta
from derivspec.core.claims import Claim, Source, Step, Var, WrongVariant, count_between, positive_between
from derivspec.core.registry import register
from derivspec.numerics import map as numeric

FAMILY = "map"

SIGMA = Var("sigma", r"\sigma", positive_between(0.3, 3))
TAU = Var("tau", r"\tau", positive_between(0.3, 3))
B = Var("b", "b", positive_between(0.3, 3))
N = Var("N", "N", count_between(5, 100))
LAM = Var("lam", r"\lambda", positive_between(0.1, 5))
sigma, tau, b, n_points, lam = SIGMA.symbol, TAU.symbol, B.symbol, N.symbol, LAM.symbol
evidence = sympy.Symbol("p_D", positive=True)  # p(D), the evidence

SSE = sum_of(lambda xi, yi: (yi - theta * xi) ** 2)
SUM_NLL = sum_of(lambda xi, yi: GAUSSIAN_NLL.subs({sympy.Symbol("y", real=True): yi,
                                                   sympy.Symbol("mu", real=True): theta * xi,
                                                   sympy.Symbol("sigma", positive=True): sigma}))
NORMALISERS = 3 * log(2 * sympy.pi * sigma**2) / 2


def gaussian_prior_nll():
    """−log N(θ; 0, τ²) from sympy.stats."""
    return -log(sympy.stats.density(sympy.stats.Normal("Prior", 0, tau))(theta))


def laplace_prior_nll():
    """−log Laplace(θ; 0, b) from sympy.stats."""
    return -log(sympy.stats.density(sympy.stats.Laplace("Prior", 0, b))(theta))


def negative_log_posterior(prior_nll, prior_normaliser, penalty):
    """The first two lines every prior shares: Bayes' rule, then drop the θ-free terms."""
    return (
        Step(r"Bayes' rule: -\log p(\theta\mid D) = \sum_i -\log\mathcal N(y_i;\theta x_i,\sigma^2) - \log p(\theta) + \log p(D) "
             r"(likelihood from claim nll.gaussian, prior density from sympy.stats)",
             SUM_NLL + prior_nll + log(evidence)),
        Step(r"drop the \theta-free terms: \log p(D) (the evidence does not move the argmax) and the normalisers",
             SSE / (2 * sigma**2) + penalty,
             op=lambda e: sympy.expand_log(e - log(evidence) - NORMALISERS - prior_normaliser, force=True)),
    )


def l2_derivation(convention: str):
    steps = list(negative_log_posterior(gaussian_prior_nll(), log(2 * sympy.pi * tau**2) / 2, theta**2 / (2 * tau**2)))
    if convention == "nll":
        steps.append(Step(r"read off \lambda: the coefficient of \theta^2 next to the NLL \sum_i (y_i-\theta x_i)^2/(2\sigma^2)",
                          1 / (2 * tau**2), op=lambda e: sympy.simplify((e - SSE / (2 * sigma**2)) / theta**2)))
    else:
        steps.append(Step(r"multiply by 2\sigma^2 > 0 (the argmin does not move): squared errors plus a penalty",
                          SSE + sigma**2 / tau**2 * theta**2, op=lambda e: sympy.expand(2 * sigma**2 * e)))
        steps.append(Step(r"read off \lambda: the coefficient of \theta^2 next to \sum_i (y_i-\theta x_i)^2",
                          sigma**2 / tau**2, op=lambda e: sympy.simplify((e - SSE) / theta**2)))
    return tuple(steps)


def l1_derivation(convention: str):
    steps = list(negative_log_posterior(laplace_prior_nll(), log(2 * b), Abs(theta) / b))
    if convention == "nll":
        steps.append(Step(r"read off \lambda: the coefficient of |\theta| next to the NLL \sum_i (y_i-\theta x_i)^2/(2\sigma^2)",
                          1 / b, op=lambda e: sympy.simplify((e - SSE / (2 * sigma**2)) / Abs(theta))))
    else:
        steps.append(Step(r"multiply by 2\sigma^2 > 0 (the argmin does not move)",
                          SSE + 2 * sigma**2 / b * Abs(theta), op=lambda e: sympy.expand(2 * sigma**2 * e)))
        steps.append(Step(r"read off \lambda: the coefficient of |\theta| next to \sum_i (y_i-\theta x_i)^2",
                          2 * sigma**2 / b, op=lambda e: sympy.simplify((e - SSE) / Abs(theta))))
    return tuple(steps)


register(Claim(
    id="map.gaussian-prior.l2",
    title="MAP with a Gaussian prior is ridge: λ = σ²/τ² for Σ(y − θᵀx)² + λ‖θ‖²",
    family=FAMILY,
    statement=r"\lambda \text{ with } \arg\max p(\theta\mid D) = \arg\min \sum_i (y_i-\theta^\top x_i)^2 + \lambda\|\theta\|_2^2",
    variables=(SIGMA, TAU),
    derivation=l2_derivation("sse"),
    numeric=numeric.implied_ridge_lambda("sse"),
    numeric_route="reference model: LBFGS on the negative log posterior (torch Normal log_probs), λ implied by its stationarity condition",
    wrong_variants=(
        WrongVariant("the NLL-convention value 1/(2 tau^2)", 1 / (2 * tau**2)),
        WrongVariant("ratio upside down", tau**2 / sigma**2),
        WrongVariant("extra factor 2 (as for the Laplace prior)", 2 * sigma**2 / tau**2),
    ),
    sources=(
        Source(S002, "143", r"\min_{\theta, \phi} \sum_X |X-\hat X|^2 + \lambda |E(X; \theta)|^2",
               note="the SSE form with a Gaussian code prior N(0, I); λ is not given (with decoder noise σ² it would be σ²)"),
        Source(S000, "240", r"the choice of the prior (e.g. Gaussian, Laplace) leads directly to *regularization* terms (like Weight Decay)",
               note="qualitative; this claim and map.laplace-prior.l1 give the λ of each"),
    ),
))

register(Claim(
    id="map.gaussian-prior.l2.nll",
    title="MAP with a Gaussian prior, NLL convention: L_NLL + λ‖θ‖² with λ = 1/(2τ²)",
    family=FAMILY,
    statement=r"\lambda \text{ with } \arg\max p(\theta\mid D) = \arg\min L_{NLL}(\theta) + \lambda\|\theta\|_2^2",
    variables=(SIGMA, TAU),
    derivation=l2_derivation("nll"),
    numeric=numeric.implied_ridge_lambda("nll"),
    numeric_route="reference model: LBFGS on the negative log posterior, λ implied by its stationarity condition, divided by 2σ²",
    wrong_variants=(
        WrongVariant("the SSE-convention value", sigma**2 / tau**2),
        WrongVariant("missing 1/2", 1 / tau**2),
    ),
    sources=(
        Source(S003, "1602–1612", r"\log p(\boldsymbol{\theta}) = -\frac{1}{2\sigma_p^2} \|\boldsymbol{\theta}\|_2^2 + \text{const}",
               expr=1 / (2 * tau**2), note=r"the coefficient of \|\theta\|^2 in -\log p(\theta), with \sigma_p = \tau"),
        Source(S003, "1618–1626", r"L_{\text{MAP}}(\boldsymbol{\theta}) = L_{\text{NLL}}(\boldsymbol{\theta}) + \lambda \|\boldsymbol{\theta}\|_2^2, \quad \lambda := \frac{1}{2\sigma_p^2}",
               expr=1 / (2 * tau**2), note=r"L_NLL is the summed NLL (003 L1588), so this is the NLL convention; \sigma_p = \tau"),
        Source(S003, "1633–1635", r"\lambda = 0.01 (corresponds to \sigma_p^2 = 50 — a fairly weak prior)",
               value=0.01, decimals=3, at={"tau": sympy.sqrt(50), "sigma": 1}),
    ),
))


def mean_convention_derivation():
    sse_total, norm_sq = sympy.symbols("S_N T", positive=True)  # Σ over N points, ‖θ‖²
    return (
        Step(r"SSE convention (claim map.gaussian-prior.l2): S_N + (\sigma^2/\tau^2)\|\theta\|^2, S_N the sum of N squared errors",
             sse_total + sigma**2 / tau**2 * norm_sq),
        Step(r"divide by N > 0 (the argmin does not move): the mean squared error S_N/N plus a penalty",
             sse_total / n_points + sigma**2 / (n_points * tau**2) * norm_sq, op=lambda e: sympy.expand(e / n_points)),
        Step(r"read off \lambda: the coefficient of \|\theta\|^2", sigma**2 / (n_points * tau**2),
             op=lambda e: sympy.expand(e).coeff(norm_sq)),
    )


register(Claim(
    id="map.gaussian-prior.l2.mean",
    title="MAP with a Gaussian prior, mean-loss convention: MSE + λ‖θ‖² with λ = σ²/(Nτ²)",
    family=FAMILY,
    statement=r"\lambda \text{ with } \arg\max p(\theta\mid D) = \arg\min \tfrac1N\sum_{i=1}^N (y_i-\theta^\top x_i)^2 + \lambda\|\theta\|_2^2",
    variables=(SIGMA, TAU, N),
    derivation=mean_convention_derivation(),
    numeric=numeric.implied_ridge_lambda("mean"),
    numeric_route="reference model: LBFGS on the negative log posterior with N data points, λ implied by its stationarity condition, divided by N",
    wrong_variants=(
        WrongVariant("forgot the 1/N", sigma**2 / tau**2),
        WrongVariant("multiplied by N", n_points * sigma**2 / tau**2),
    ),
    sources=(
        Source(S003, "123–125", r"L(\boldsymbol{\theta}) + \lambda \|\boldsymbol{\theta}\|_2^2 = L(\boldsymbol{\theta}) + \lambda \sum_j \theta_j^2",
               note=r"here L is the mean squared error of 003 L84, so the MAP λ is \sigma^2/(N\sigma_p^2); the value "
                    r"\lambda := 1/(2\sigma_p^2) of L1624 belongs to the summed-NLL objective, which the notes should say"),
    ),
))

register(Claim(
    id="map.laplace-prior.l1",
    title="MAP with a Laplace prior is lasso: λ = 2σ²/b for Σ(y − θᵀx)² + λ‖θ‖₁",
    family=FAMILY,
    statement=r"\lambda \text{ with } \arg\max p(\theta\mid D) = \arg\min \sum_i (y_i-\theta^\top x_i)^2 + \lambda\|\theta\|_1",
    variables=(SIGMA, B),
    derivation=l1_derivation("sse"),
    numeric=numeric.implied_lasso_lambda("sse"),
    numeric_route="reference model: proximal gradient on the negative log posterior (torch Normal/Laplace log_probs), λ implied on the support",
    wrong_variants=(
        WrongVariant("the NLL-convention value 1/b", 1 / b),
        WrongVariant("missing factor 2", sigma**2 / b),
        WrongVariant("b in place of 1/b", 2 * sigma**2 * b),
    ),
    sources=(
        Source(S003, "1697", r"2\lambda\theta_j (smooth) vs \lambda \text{sign}(\theta_j) (kink at 0)",
               note="penalty gradients of λ‖θ‖² and λ‖θ‖₁; they hold for any λ and do not fix the convention"),
    ),
))

register(Claim(
    id="map.laplace-prior.l1.nll",
    title="MAP with a Laplace prior, NLL convention: L_NLL + λ‖θ‖₁ with λ = 1/b",
    family=FAMILY,
    statement=r"\lambda \text{ with } \arg\max p(\theta\mid D) = \arg\min L_{NLL}(\theta) + \lambda\|\theta\|_1",
    variables=(SIGMA, B),
    derivation=l1_derivation("nll"),
    numeric=numeric.implied_lasso_lambda("nll"),
    numeric_route="reference model: proximal gradient on the negative log posterior, λ implied on the support, divided by 2σ²",
    wrong_variants=(
        WrongVariant("the SSE-convention value", 2 * sigma**2 / b),
        WrongVariant("b in place of 1/b", b),
    ),
    sources=(
        Source(S003, "1651", r"p(\theta_j) = \frac{1}{2b} \exp\left(-\frac{|\theta_j|}{b}\right)",
               note="the Laplace prior density (the derivation's starting point, from sympy.stats)"),
        Source(S003, "1655–1659", r"\log p(\boldsymbol{\theta}) = -\frac{1}{b} \|\boldsymbol{\theta}\|_1 + const",
               expr=1 / b, note=r"the coefficient of \|\theta\|_1 in -\log p(\theta)"),
        Source(S003, "1667–1674", r"L_{\text{MAP}}(\boldsymbol{\theta}) = L_{\text{NLL}}(\boldsymbol{\theta}) + \lambda \|\boldsymbol{\theta}\|_1, \quad \lambda := \frac{1}{b}",
               expr=1 / b, note="L_NLL is the summed NLL (003 L1588): the NLL convention"),
    ),
))


# --- closed forms and the gradient view ----------------------------------------------------

RHO = sum_of(lambda xi, yi: xi * yi)          # Xᵀy for one feature
GRAM = sum_of(lambda xi, yi: xi**2)           # XᵀX


def ridge_derivation():
    """argmin_θ Σ(yᵢ − θxᵢ)² + λθ² = Σxy / (Σx² + λ) (one feature, 3 points)."""
    return (
        Step(r"ridge objective (SSE convention)", SSE + lam * theta**2),
        Step(r"differentiate in \theta", sympy.diff(SSE + lam * theta**2, theta), op=lambda e: sympy.diff(e, theta)),
        Step(r"solve: (X^\top X + \lambda I)\theta = X^\top y, here (\sum x_i^2 + \lambda)\theta = \sum x_i y_i",
             RHO / (GRAM + lam), op=lambda e: sympy.solve(e, theta)[0]),
    )


register(Claim(
    id="map.ridge.closed-form",
    title="Ridge closed form θ̂ = (XᵀX + λI)⁻¹Xᵀy (one feature, three points)",
    family=FAMILY,
    statement=r"\arg\min_\theta \sum_{i=1}^3 (y_i-\theta x_i)^2 + \lambda\theta^2",
    variables=XS + YS + (LAM,),
    derivation=ridge_derivation(),
    numeric=numeric.ridge_solution,
    numeric_route="reference models: LBFGS on the ridge objective and scipy.optimize.minimize, random data",
    wrong_variants=(
        WrongVariant("lambda added to the numerator", (RHO + lam) / GRAM),
        WrongVariant("lambda/2 (gradient convention slip)", RHO / (GRAM + lam / 2)),
    ),
))


def lasso_derivation():
    """argmin_θ Σ(yᵢ − θxᵢ)² + λ|θ| = S(Σxy, λ/2)/Σx² (soft-thresholding)."""
    objective = SSE + lam * Abs(theta)

    def by_cases(e):
        positive = sympy.solve(sympy.diff(e.subs(Abs(theta), theta), theta), theta)[0]
        negative = sympy.solve(sympy.diff(e.subs(Abs(theta), -theta), theta), theta)[0]
        return Piecewise((positive, RHO > lam / 2), (negative, RHO < -lam / 2), (0, True))

    return (
        Step(r"lasso objective (SSE convention), one feature", objective),
        Step(r"solve on each side of the kink: \theta > 0 needs \sum x_i y_i > \lambda/2, \theta < 0 needs "
             r"\sum x_i y_i < -\lambda/2; otherwise 0 is in the subgradient and \hat\theta = 0 (soft-thresholding)",
             Piecewise(((RHO - lam / 2) / GRAM, RHO > lam / 2), ((RHO + lam / 2) / GRAM, RHO < -lam / 2), (0, True)),
             op=by_cases),
    )


register(Claim(
    id="map.lasso.soft-threshold",
    title="The one-feature lasso solution is soft-thresholding: S(Σxy, λ/2)/Σx²",
    family=FAMILY,
    statement=r"\arg\min_\theta \sum_{i=1}^3 (y_i-\theta x_i)^2 + \lambda|\theta|",
    variables=XS + YS + (LAM,),
    derivation=lasso_derivation(),
    numeric=numeric.lasso_solution,
    numeric_route="reference models: coordinate descent and proximal gradient on the lasso objective, random data",
    wrong_variants=(
        WrongVariant("threshold lambda instead of lambda/2",
                     Piecewise(((RHO - lam) / GRAM, RHO > lam), ((RHO + lam) / GRAM, RHO < -lam), (0, True))),
        WrongVariant("shrinks like ridge (no exact zeros)", RHO / (GRAM + lam)),
    ),
    sources=(
        Source(S003, "129–130", r"**L1** drives many weights to **exactly zero** (sparsity).",
               behaviour=lambda: _lasso_has_exact_zeros(), correct="L1 gives exact zeros, L2 does not"),
        Source(S003, "1685–1688", r"**L1 ball** — diamond. Corners stick out on the axes. Generic data-loss contours hit the diamond *at a corner*,",
               behaviour=lambda: _corner_is_generic(),
               correct=r"the lasso solution sits at a corner (has a zero) only when some |x_j^\top y| \le \lambda/2 "
                       r"(orthonormal design); otherwise it touches an edge or face with no zero"),
    ),
))

ETA = Var("eta", r"\eta", positive_between(0.001, 0.2))
eta = ETA.symbol
data_gradient = sympy.Symbol("g", real=True)  # ∇L(θ) of the data term at the current θ


def weight_decay_derivation():
    return (
        Step(r"gradient of L(\theta) + \lambda\theta^2: the data gradient g plus \partial_\theta \lambda\theta^2",
             data_gradient + 2 * lam * theta, op=lambda _: data_gradient + sympy.diff(lam * theta**2, theta)),
        Step(r"one gradient-descent step \theta - \eta\,\nabla", theta - eta * (data_gradient + 2 * lam * theta),
             op=lambda e: theta - eta * e),
        Step(r"collect: (1 - 2\eta\lambda)\theta - \eta g; the factor on \theta is the decay", 1 - 2 * eta * lam,
             op=lambda e: sympy.expand(e).coeff(theta)),
    )


register(Claim(
    id="map.weight-decay",
    title="An L2 gradient step multiplies the weights by (1 − 2ηλ) before the data gradient (weight decay)",
    family=FAMILY,
    statement=r"\text{factor on } \theta \text{ in } \theta - \eta\nabla_\theta[L(\theta) + \lambda\|\theta\|^2]",
    variables=(ETA, LAM),
    derivation=weight_decay_derivation(),
    numeric=numeric.weight_decay_factor,
    numeric_route="torch.optim.SGD step on λ‖θ‖² (autograd), and SGD(weight_decay=2λ) on a zero loss",
    wrong_variants=(
        WrongVariant("forgot the 2 from the square", 1 - eta * lam),
        WrongVariant("sign flipped (weight growth)", 1 + 2 * eta * lam),
    ),
    sources=(
        Source(S003, "1641", r"Since the gradient of \|\boldsymbol{\theta}\|^2 is 2\boldsymbol{\theta}, every step **shrinks weights by a factor** (1 - 2\eta\lambda) before the data update. This is exactly **weight decay**",
               expr=1 - 2 * eta * lam, note="plain gradient descent / SGD (not Adam, where decay and L2 differ)"),
    ),
))


# --- Beta–Bernoulli coin --------------------------------------------------------------------

HEADS = Var("h", "h", count_between(0, 20))
TAILS = Var("t", "t", count_between(0, 20))
ALPHA = Var("alpha", r"\alpha", positive_between(1.2, 6))
BETA = Var("beta", r"\beta", positive_between(1.2, 6))
heads, tails, alpha, beta = HEADS.symbol, TAILS.symbol, ALPHA.symbol, BETA.symbol
coin = sympy.Symbol("p", positive=True)


def beta_bernoulli_derivation():
    """MAP of p under Beta(α, β) after h heads and t tails: (h + α − 1)/(h + t + α + β − 2)."""
    prior = sympy.stats.density(sympy.stats.Beta("Prior", alpha, beta))(coin)
    return (
        Step(r"log posterior up to log p(D): h \log p + t \log(1-p) + \log \mathrm{Beta}(p;\alpha,\beta) (sympy.stats)",
             heads * log(coin) + tails * log(1 - coin) + log(prior)),
        Step(r"differentiate in p", sympy.diff(heads * log(coin) + tails * log(1 - coin) + log(prior), coin),
             op=lambda e: sympy.diff(e, coin)),
        Step(r"solve: the mode of Beta(\alpha + h, \beta + t) (conjugate update)",
             (heads + alpha - 1) / (heads + tails + alpha + beta - 2), op=lambda e: sympy.solve(e, coin)[0]),
    )


register(Claim(
    id="map.beta-bernoulli",
    title="Coin MAP under a Beta(α, β) prior: (h + α − 1)/(h + t + α + β − 2), the mode of Beta(α + h, β + t)",
    family=FAMILY,
    statement=r"\arg\max_p\, p^h(1-p)^t\,\mathrm{Beta}(p;\alpha,\beta)",
    variables=(HEADS, TAILS, ALPHA, BETA),
    derivation=beta_bernoulli_derivation(),
    numeric=numeric.beta_bernoulli_mode,
    numeric_route="LBFGS on -Beta(α+h, β+t).log_prob over logit p (torch), and scipy.optimize.minimize_scalar on the log posterior",
    wrong_variants=(
        WrongVariant("posterior mean instead of mode", (heads + alpha) / (heads + tails + alpha + beta)),
        WrongVariant("Laplace's rule (a uniform prior's posterior mean), the prior ignored", (heads + 1) / (heads + tails + 2)),
    ),
    sources=(
        Source(S003, "1094–1104", r"\alpha' = 2 + 6 = 8, \beta' = 2 + 4 = 6 ... \text{mode} = \frac{8 - 1}{14 - 2} = \frac{7}{12} \approx 0.583",
               value=0.583, decimals=3, at={"h": 6, "t": 4, "alpha": 2, "beta": 2}),
        Source(S003, "1088", r"After 6 heads in 10 flips · posterior is \text{Beta}(8, 6), peaking near 7/12 \approx 0.583.",
               value=0.583, decimals=3, at={"h": 6, "t": 4, "alpha": 2, "beta": 2}),
        Source(S003, "1088", r"After another 10 flips with the same rate (16H, 14T total) · \text{Beta}(18, 16), even sharper near 0.529.",
               value=0.529, decimals=3, at={"h": 16, "t": 14, "alpha": 2, "beta": 2},
               note="Beta(18, 16) peaks at 17/32; 0.529 is its mean (18/34), and 16H/14T is not 'the same rate' as 6/10"),
        Source(S003, "1712–1714", r"\log \text{post} = 4 \log p + \log(1-p) ... \Rightarrow p = 4/5 = 0.8",
               value=0.8, decimals=1, at={"h": 3, "t": 0, "alpha": 2, "beta": 2}),
        Source(S003, "1096", r"Observe · h = 6, t = 4 in N = 10 flips · MLE = 0.6.",
               value=0.6, decimals=1, at={"h": 6, "t": 4, "alpha": 1, "beta": 1},
               note="the MLE is the MAP under the uniform prior Beta(1, 1)"),
        Source(S003, "992", r"Bernoulli(\theta) + Beta(\alpha, \beta) \rightarrow Beta(\alpha + h, \beta + t)",
               expr=(heads + alpha - 1) / (heads + tails + alpha + beta - 2),
               note="read through the mode of the stated posterior Beta(α + h, β + t)"),
    ),
))


def _lasso_has_exact_zeros() -> tuple[bool, str]:
    import torch
    from derivspec.reference_models.device import make_generator
    from derivspec.reference_models.regularised import sparsity_fractions
    fractions = sparsity_fractions([0.0, 20.0, 200.0], n=30, d=8, n_designs=20,
                                   generator=make_generator(0, torch.device("cpu")), device=torch.device("cpu"))
    rows = list(zip(fractions["lams"], fractions["lasso"], fractions["ridge"]))
    text = "; ".join(f"λ = {lam:g}: lasso {lasso:.2f}, ridge {ridge:.2f}" for lam, lasso, ridge in rows)
    holds = fractions["lasso"][-1] > 0 and all(ridge == 0 for ridge in fractions["ridge"])
    return holds, f"mean fraction of exactly-zero coefficients over 20 random designs (n = 30, d = 8): {text}"


def _corner_is_generic() -> tuple[bool, str]:
    import torch
    from derivspec.reference_models.regularised import lasso_by_coordinate_descent
    X = torch.eye(2, dtype=torch.float64)
    y = torch.tensor([2.0, 1.5], dtype=torch.float64)
    solution = lasso_by_coordinate_descent(X, y, 1.0)
    zeros = int((solution == 0).sum())
    return zeros > 0, (f"orthonormal design, y = (2, 1.5), λ = 1: the lasso solution is ({float(solution[0]):.3g}, "
                       f"{float(solution[1]):.3g}), no coordinate is zero (an edge, not a corner of the diamond)")


# --- MAP → MLE as the prior flattens -------------------------------------------------------

def mle_limit_derivation():
    ridge_map = RHO / (GRAM + sigma**2 / tau**2)
    return (
        Step(r"MAP slope under N(0, \tau^2): ridge (claim map.ridge.closed-form) with \lambda = \sigma^2/\tau^2 (claim map.gaussian-prior.l2)",
             ridge_map),
        Step(r"flatten the prior, \tau \to \infty: \lambda \to 0 and the MAP becomes the least-squares MLE (claim nll.gaussian.ols-slope)",
             RHO / GRAM, op=lambda e: sympy.limit(e, tau, sympy.oo)),
    )


register(Claim(
    id="map.mle-limit",
    title="MAP → MLE as the Gaussian prior flattens (τ → ∞): the ridge slope tends to Σxy/Σx²",
    family=FAMILY,
    statement=r"\lim_{\tau\to\infty} \arg\max_\theta p(\theta\mid D),\ \theta\sim\mathcal N(0,\tau^2),\ y_i\sim\mathcal N(\theta x_i,\sigma^2)",
    variables=XS + YS,
    derivation=mle_limit_derivation(),
    numeric=numeric.flat_prior_map,
    numeric_route="reference model: MAP by LBFGS on the negative log posterior with τ = 1e6, and the normal equations",
    wrong_variants=(
        WrongVariant("the prior mean 0 (prior wins)", sympy.Integer(0)),
        WrongVariant("ridge with lambda = 1 left in", RHO / (GRAM + 1)),
    ),
    sources=(
        Source(S003, "1628–1629", r"Weak prior (large \sigma_p^2) \Rightarrow small \lambda \Rightarrow MAP \rightarrow MLE.",
               note="the limit this claim derives"),
    ),
))
