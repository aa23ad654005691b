r"""What the penalties do: the ridge and lasso solutions of one feature, weight decay, MAP → MLE.

Objective convention (SSE): Σᵢ(yᵢ − θxᵢ)² + λ·penalty over the three points of
``nll.least_squares``. Seeds: 003 L129–130 (L1 gives exact zeros), L1628–1629 (MAP → MLE),
L1641 (weight decay), L1685–1688 (the L1 ball's corners).
"""

from __future__ import annotations

import sympy
from sympy import Abs, Piecewise

from derivspec.core import Claim, Source, Step, Var, WrongVariant, claim, positive_between, target_of
from derivspec.core.lectures import S003
from derivspec.derivations.map.priors import tau
from derivspec.derivations.nll.gradients import theta
from derivspec.derivations.nll.least_squares import XS_YS, sse, sum_of

LAM = Var("lam", r"\lambda", positive_between(0.1, 5))
ETA = Var("eta", r"\eta", positive_between(0.001, 0.2))
lam, eta = LAM.symbol, ETA.symbol
data_gradient = sympy.Symbol("g", real=True)  # ∇L(θ) of the data term at the current θ


def x_dot_y():
    """Xᵀy for one feature: Σᵢ xᵢyᵢ."""
    return sum_of(lambda xi, yi: xi * yi)


def x_dot_x():
    """XᵀX for one feature: Σᵢ xᵢ²."""
    return sum_of(lambda xi, yi: xi**2)


def soft_threshold_solution(threshold):
    """S(Σxy, threshold)/Σx²: the one-feature lasso solution for a given threshold."""
    rho, gram = x_dot_y(), x_dot_x()
    return Piecewise(((rho - threshold) / gram, rho > threshold), ((rho + threshold) / gram, rho < -threshold), (0, True))


# --- ridge -----------------------------------------------------------------------------------


@claim("map.ridge.closed-form")
def map_ridge_closed_form() -> Claim:
    """argmin_θ Σ(yᵢ − θxᵢ)² + λθ² = Σxy / (Σx² + λ) (one feature, 3 points)."""
    return Claim(
        title="Ridge closed form θ̂ = (XᵀX + λI)⁻¹Xᵀy (one feature, three points)",
        statement=r"\arg\min_\theta \sum_{i=1}^3 (y_i-\theta x_i)^2 + \lambda\theta^2",
        variables=XS_YS + (LAM,),
        derivation=(
            Step(r"ridge objective (SSE convention)", sse() + lam * theta**2),
            Step(r"differentiate in \theta: -2X^\top(y - X\theta) + 2\lambda\theta",
                 -2 * sum_of(lambda xi, yi: xi * (yi - theta * xi)) + 2 * lam * theta,
                 op=lambda e: sympy.diff(e, theta)),
            Step(r"solve: (X^\top X + \lambda I)\theta = X^\top y, here (\sum x_i^2 + \lambda)\theta = \sum x_i y_i",
                 x_dot_y() / (x_dot_x() + lam), op=lambda e: sympy.solve(e, theta)[0]),
        ),
        wrong_variants=(
            WrongVariant("lambda added to the numerator", (x_dot_y() + lam) / x_dot_x()),
            WrongVariant("lambda/2 (gradient convention slip)", x_dot_y() / (x_dot_x() + lam / 2)),
        ),
    )


# --- lasso -----------------------------------------------------------------------------------


def solve_on_each_side_of_the_kink(objective):
    """Stationary points of the objective with |θ| = θ and |θ| = −θ, kept where they lie on
    their side (θ > 0 needs Σxy > λ/2, θ < 0 needs Σxy < −λ/2), else 0."""
    rho = x_dot_y()
    positive = sympy.solve(sympy.diff(objective.subs(Abs(theta), theta), theta), theta)[0]
    negative = sympy.solve(sympy.diff(objective.subs(Abs(theta), -theta), theta), theta)[0]
    return Piecewise((positive, rho > lam / 2), (negative, rho < -lam / 2), (0, True))


@claim("map.lasso.soft-threshold")
def map_lasso_soft_threshold() -> Claim:
    """argmin_θ Σ(yᵢ − θxᵢ)² + λ|θ| = S(Σxy, λ/2)/Σx² (soft-thresholding)."""
    return Claim(
        title="The one-feature lasso solution is soft-thresholding: S(Σxy, λ/2)/Σx²",
        statement=r"\arg\min_\theta \sum_{i=1}^3 (y_i-\theta x_i)^2 + \lambda|\theta|",
        variables=XS_YS + (LAM,),
        derivation=(
            Step(r"lasso objective (SSE convention), one feature", sse() + lam * Abs(theta)),
            Step(r"solve on each side of the kink: \theta > 0 needs \sum x_i y_i > \lambda/2, \theta < 0 needs "
                 r"\sum x_i y_i < -\lambda/2; otherwise 0 is in the subgradient and \hat\theta = 0 (soft-thresholding)",
                 soft_threshold_solution(lam / 2), op=solve_on_each_side_of_the_kink),
        ),
        wrong_variants=(
            WrongVariant("threshold lambda instead of lambda/2", soft_threshold_solution(lam)),
            WrongVariant("shrinks like ridge (no exact zeros)", x_dot_y() / (x_dot_x() + lam)),
        ),
        sources=(
            Source(S003, "129–130", r"**L1** drives many weights to **exactly zero** (sparsity).",
                   behaviour="lasso_has_exact_zeros", at={"n": 30, "d": 8, "designs": 20},
                   correct="L1 gives exact zeros, L2 does not"),
            Source(S003, "1685–1688", r"**L1 ball** — diamond. Corners stick out on the axes. Generic data-loss contours hit the diamond *at a corner*,",
                   note=r"not compared: how often the solution sits at a corner (a probability over data) is not computed; "
                        r"'generic' is read as 'often' ('always' would be over-general). The next sources show both cases with "
                        r"an orthonormal design, coordinate by coordinate"),
            *(Source(S003, "1685–1688", r"Corners stick out on the axes. Generic data-loss contours hit the diamond *at a corner*,",
                     value=value, decimals=1,
                     at={"x1": e1, "x2": e2, "x3": 0, "y1": y_1, "y2": y_2, "y3": 0, "lam": 1},
                     note=f"orthonormal design, λ = 1, y = ({y_1}, {y_2}) (the numbers are ours): coefficient {j} is "
                          f"S(x_jᵀy, λ/2) = {value}" + (", a zero: the solution sits at a corner" if value == 0 else
                                                        (", no zero: it touches an edge" if y_2 == 1.5 else "")))
              for y_1, y_2, j, e1, e2, value in ((2, 1.5, 1, 1, 0, 1.5), (2, 1.5, 2, 0, 1, 1.0),
                                                 (2, sympy.Rational(2, 5), 2, 0, 1, 0.0))),
        ),
    )


# --- weight decay ----------------------------------------------------------------------------


@claim("map.weight-decay")
def map_weight_decay() -> Claim:
    """θ − η∇[L(θ) + λθ²] = (1 − 2ηλ)θ − η∇L(θ): the factor on θ is 1 − 2ηλ."""
    return Claim(
        title="An L2 gradient step multiplies the weights by (1 − 2ηλ) before the data gradient (weight decay)",
        statement=r"\text{factor on } \theta \text{ in } \theta - \eta\nabla_\theta[L(\theta) + \lambda\|\theta\|^2]",
        variables=(ETA, LAM),
        derivation=(
            Step(r"gradient of L(\theta) + \lambda\theta^2: the data gradient g plus \partial_\theta \lambda\theta^2",
                 data_gradient + 2 * lam * theta, equals=data_gradient + sympy.diff(lam * theta**2, theta)),
            Step(r"one gradient-descent step \theta - \eta\,\nabla", theta - eta * (data_gradient + 2 * lam * theta),
                 op=lambda e: theta - eta * e),
            Step(r"collect: (1 - 2\eta\lambda)\theta - \eta g; the factor on \theta is the decay", 1 - 2 * eta * lam,
                 op=lambda e: sympy.expand(e).coeff(theta)),
        ),
        wrong_variants=(
            WrongVariant("forgot the 2 from the square", 1 - eta * lam),
            WrongVariant("sign flipped (weight growth)", 1 + 2 * eta * lam),
        ),
        sources=(
            Source(S003, "1641", r"Since the gradient of \|\boldsymbol{\theta}\|^2 is 2\boldsymbol{\theta}, every step **shrinks weights by a factor** (1 - 2\eta\lambda) before the data update. This is exactly **weight decay**",
                   expr=1 - 2 * eta * lam, note="plain gradient descent / SGD (not Adam, where decay and L2 differ)"),
        ),
    )


# --- MAP → MLE as the prior flattens ---------------------------------------------------------


@claim("map.mle-limit")
def map_mle_limit() -> Claim:
    """lim_{τ→∞} Σxy / (Σx² + σ²/τ²) = Σxy / Σx², the least-squares MLE."""
    return Claim(
        title="MAP → MLE as the Gaussian prior flattens (τ → ∞): the ridge slope tends to Σxy/Σx²",
        statement=r"\lim_{\tau\to\infty} \arg\max_\theta p(\theta\mid D),\ \theta\sim\mathcal N(0,\tau^2),\ y_i\sim\mathcal N(\theta x_i,\sigma^2)",
        variables=XS_YS,
        derivation=(
            Step(r"MAP slope under N(0, \tau^2): ridge (claim map.ridge.closed-form) with \lambda = \sigma^2/\tau^2 (claim map.gaussian-prior.l2)",
                 target_of("map.ridge.closed-form").subs(lam, target_of("map.gaussian-prior.l2"))),
            Step(r"flatten the prior, \tau \to \infty: \lambda \to 0 and the MAP becomes the least-squares MLE (claim nll.gaussian.ols-slope)",
                 x_dot_y() / x_dot_x(), op=lambda e: sympy.limit(e, tau, sympy.oo)),
        ),
        wrong_variants=(
            WrongVariant("the prior mean 0 (prior wins)", sympy.Integer(0)),
            WrongVariant("ridge with lambda = 1 left in", x_dot_y() / (x_dot_x() + 1)),
        ),
        sources=(
            Source(S003, "1628–1629", r"Weak prior (large \sigma_p^2) \Rightarrow small \lambda \Rightarrow MAP \rightarrow MLE.",
                   note="the limit this claim derives"),
        ),
    )
