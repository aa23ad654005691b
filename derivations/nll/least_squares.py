r"""The worked least-squares example of seed 003: a slope without bias from three points.

Gaussian MLE of θ in y = θx + ε is least squares (θ̂ = Σxy/Σx²), with the gradient and the
minimum of the sum of squared errors. Seeds: 003 L1290–1352.
"""

from __future__ import annotations

import sympy
from sympy import Rational, log, pi

from derivspec.core import REAL, Claim, Source, Step, Var, WrongVariant, claim, real_between
from derivspec.core.lectures import S003
from derivspec.derivations.nll.gaussian import gaussian_nll, sigma
from derivspec.derivations.nll.gradients import THETA, theta

XS = tuple(Var(f"x{i}", f"x_{i}", real_between(0.5, 3)) for i in (1, 2, 3))
YS = tuple(Var(f"y{i}", f"y_{i}", REAL) for i in (1, 2, 3))
XS_YS = XS + YS
xs, ys = [v.symbol for v in XS], [v.symbol for v in YS]
WORKED_DATA = {"x1": 1, "x2": 2, "x3": 3, "y1": Rational(11, 10), "y2": Rational(19, 10), "y3": Rational(32, 10)}
GD_DATA = {"x1": 1.0, "x2": 2.0, "x3": 3.0, "y1": 1.1, "y2": 1.9, "y3": 3.2}  # the same data for the behaviour checks


def sum_of(f):
    """Σᵢ f(xᵢ, yᵢ) over the three data points."""
    return sum(f(xi, yi) for xi, yi in zip(xs, ys))


def sum_of_nlls():
    return sum_of(lambda xi, yi: gaussian_nll(yi, theta * xi, sigma))


def sse(slope=theta):
    return sum_of(lambda xi, yi: (yi - slope * xi) ** 2)


def ols_slope():
    return sum_of(lambda xi, yi: xi * yi) / sum_of(lambda xi, yi: xi**2)


@claim("nll.gaussian.ols-slope")
def nll_gaussian_ols_slope() -> Claim:
    """argmin_θ Σᵢ −log N(yᵢ; θxᵢ, σ²) = Σxᵢyᵢ / Σxᵢ² (three points, no bias)."""
    return Claim(
        title="Gaussian MLE of a slope without bias is least squares: θ̂ = Σxy / Σx²",
        statement=r"\hat\theta = \arg\min_\theta \sum_{i=1}^3 -\log\mathcal N(y_i;\theta x_i,\sigma^2)",
        variables=XS_YS,
        derivation=(
            Step(r"sum of Gaussian NLLs, \mu_i = \theta x_i (claim nll.gaussian)", sum_of_nlls()),
            Step(r"differentiate in \theta", sum_of(lambda xi, yi: (theta * xi - yi) * xi) / sigma**2,
                 op=lambda e: sympy.diff(e, theta)),
            Step(r"set to zero and solve (linear in \theta; the second derivative \sum x_i^2/\sigma^2 > 0: a minimum)",
                 ols_slope(), op=lambda e: sympy.solve(e, theta)[0]),
        ),
        wrong_variants=(
            WrongVariant("ratio of sums", sum(ys) / sum(xs)),
            WrongVariant("squared the sum instead of summing squares",
                         sum_of(lambda xi, yi: xi * yi) / sum(xs) ** 2),
        ),
        sources=(
            Source(S003, "1292", r"\hat{\boldsymbol{\theta}}_{\text{MLE}} = (\mathbf{X}^\top \mathbf{X})^{-1} \mathbf{X}^\top \mathbf{y}",
                   expr=((sympy.Matrix(xs).T * sympy.Matrix(xs)).inv() * sympy.Matrix(xs).T * sympy.Matrix(ys))[0],
                   note="X is the 3×1 column of x_i"),
            Source(S003, "1310", r"\hat{\theta} = \sum x_i y_i / \sum x_i^2", expr=ols_slope()),
            Source(S003, "1304–1330", r"(1, 1.1), (2, 1.9), (3, 3.2): \hat{\theta} = \frac{14.5}{14} \approx \mathbf{1.036}",
                   value=1.036, decimals=3, at=WORKED_DATA),
            Source(S003, "88", r"Solve \nabla_{\boldsymbol{\theta}} L = 0 in closed form · \hat{\boldsymbol{\theta}} = (X^\top X)^{-1} X^\top \mathbf{y}",
                   expr=ols_slope(), note="one feature, no bias: (XᵀX)⁻¹Xᵀy = Σx_iy_i/Σx_i²"),
            Source(S003, "89", r"Or run gradient descent · \boldsymbol{\theta} \leftarrow \boldsymbol{\theta} - \eta \nabla_{\boldsymbol{\theta}} L",
                   behaviour="gradient_descent_reaches_the_closed_form", at=GD_DATA,
                   note="'two equivalent options': gradient descent on the worked data of L1304 ends at the closed form"),
            Source(S003, "1294", r"The familiar **normal equation** is the closed-form MLE under Gaussian noise. SGD / gradient descent gives the same answer iteratively.",
                   behaviour="gradient_descent_reaches_the_closed_form", at=GD_DATA,
                   note="on the worked data of L1304 (the quadratic loss has one minimum, so descent with a small step "
                        "converges to it)"),
            Source(S003, "1354", r"This is exactly the answer `torch.linalg.lstsq` returns.",
                   behaviour="lstsq_matches_the_ratio", at=GD_DATA),
            Source(S003, "1529", r"**P2.** Show that for Y | x \sim \mathcal{N}(\theta x, \sigma^2) with **known** \sigma^2 , the MLE for \theta is \hat{\theta} = \sum_i x_i y_i / \sum_i x_i^2",
                   expr=ols_slope(), note="the exercise states the result; three data points"),
            Source(S003, "1248–1250", r"MLE asks · *which line \theta^\top \mathbf{x} makes the observed y 's most probable?* Equivalently · *which line minimizes the squared distance from each point to the line* — exactly the OLS",
                   note="not compared: 'distance to the line' read as the vertical residual y − θx, it is this claim (OLS); "
                        "the perpendicular distance would give total least squares, another line"),
        ),
    )


@claim("nll.gaussian.ols-gradient")
def nll_gaussian_ols_gradient() -> Claim:
    """∂/∂θ Σ(yᵢ − θxᵢ)² = −2 Σ xᵢ (yᵢ − θxᵢ)."""
    return Claim(
        title="Gradient of the sum of squared errors of a slope: −2 Σ x (y − θx)",
        statement=r"\partial_\theta \sum_{i=1}^3 (y_i - \theta x_i)^2",
        variables=XS_YS + (THETA,),
        derivation=(
            Step(r"sum of Gaussian NLLs, \mu_i = \theta x_i (claim nll.gaussian)", sum_of_nlls()),
            Step(r"multiply by 2\sigma^2 and drop the \theta-free N\log(2\pi\sigma^2): the sum of squared errors", sse(),
                 op=lambda e: sympy.expand(2 * sigma**2 * e - 3 * sigma**2 * log(2 * pi * sigma**2))),
            Step(r"differentiate in \theta", -2 * sum_of(lambda xi, yi: xi * (yi - theta * xi)),
                 op=lambda e: sympy.diff(e, theta)),
        ),
        wrong_variants=(
            WrongVariant("sign flipped", 2 * sum_of(lambda xi, yi: xi * (yi - theta * xi))),
            WrongVariant("missing factor 2", -sum_of(lambda xi, yi: xi * (yi - theta * xi))),
        ),
        sources=(
            Source(S003, "1290", r"\nabla_{\boldsymbol{\theta}} \|\mathbf{y} - \mathbf{X}\boldsymbol{\theta}\|^2 = -2\mathbf{X}^\top (\mathbf{y} - \mathbf{X}\boldsymbol{\theta})",
                   expr=-2 * sum_of(lambda xi, yi: xi * (yi - theta * xi)), note="X is the 3×1 column of x_i"),
            Source(S003, "1286", r"Stack data · \mathbf{X} \in \mathbb{R}^{N \times d} , \mathbf{y} \in \mathbb{R}^N . Then \sum (y_i - \boldsymbol{\theta}^\top \mathbf{x}_i)^2 = \|\mathbf{y} - \mathbf{X}\boldsymbol{\theta}\|^2",
                   expr=((sympy.Matrix(ys) - sympy.Matrix(xs) * theta).T * (sympy.Matrix(ys) - sympy.Matrix(xs) * theta))[0],
                   to_target=lambda written: sympy.diff(written, theta),
                   note="the matrix form ‖y − Xθ‖² (X the 3×1 column of x_i), compared through its θ-derivative"),
            Source(S003, "1350–1352", r"\nabla_{\theta} \text{MSE}(\hat{\theta}) = -2 \cdot 14 \cdot (\hat{\theta} - 14.5/14) = 0",
                   category="formula", severity="error",
                   expr=-2 * 14 * (theta - Rational(145, 10) / 14), at=WORKED_DATA,
                   note=r"at the worked data (\sum x^2 = 14, \sum xy = 14.5), as a function of \theta; "
                        "the source calls the sum of squares MSE"),
        ),
    )


@claim("nll.gaussian.ols-min-sse")
def nll_gaussian_ols_min_sse() -> Claim:
    """min_θ Σ(yᵢ − θxᵢ)² = Σ(yᵢ − θ̂xᵢ)² with θ̂ = Σxy/Σx²."""
    return Claim(
        title="Sum of squared residuals at the least-squares slope",
        statement=r"\min_\theta \sum_{i=1}^3 (y_i - \theta x_i)^2",
        variables=XS_YS,
        derivation=(
            Step(r"sum of squared errors (from the Gaussian NLL, see nll.gaussian.ols-gradient)", sse()),
            Step(r"at the minimiser \hat\theta = \sum x_i y_i / \sum x_i^2 (claim nll.gaussian.ols-slope)",
                 sse(ols_slope()), op=lambda e: e.subs(theta, ols_slope())),
        ),
        wrong_variants=(
            WrongVariant("plus instead of minus the explained part",
                         sum(yi**2 for yi in ys) + sum_of(lambda xi, yi: xi * yi) ** 2 / sum_of(lambda xi, yi: xi**2)),
            WrongVariant("residuals at the ratio of sums", sse(sum(ys) / sum(xs))),
        ),
        sources=(
            Source(S003, "1304–1346", r"(x_1, y_1) = (1, 1.1), (x_2, y_2) = (2, 1.9), (x_3, y_3) = (3, 3.2) ... r_1^2 + r_2^2 + r_3^2 \approx 0.043",
                   value=0.043, decimals=3, at=WORKED_DATA),
        ),
    )
