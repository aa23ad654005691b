r"""Change of variables: scalar (Y = e^X), linear in d = 2, Box–Muller, and a monotone map that
creates a second mode.

For an invertible f and g = f^{-1}: :math:`p_Y(y) = p_X(g(y))\,|\det J_g(y)|`. The scalar
claims derive it from the definition of a density (differentiate the CDF of Y); the 2-D ones
start from the formula with the Jacobian of g built by SymPy and rewrite it. The d-D case of
the linear flow is checked at d = 2..6 by ``reference_models/flows.py``.

Seeds: 004 L1868–1914 (67)–(69), L2936, L3084–3090.
"""

from __future__ import annotations

import sympy
from sympy import Abs, erf, exp, log, pi, sqrt

from derivspec.core import REAL, Claim, Defined, Source, Step, Var, WrongVariant, claim, positive_between, real_between
from derivspec.core.lectures import S002, S004

# --- helpers (the standard normal, written out) -------------------------------------------


def std_normal_logpdf(z) -> sympy.Expr:
    """log N(z; 0, 1) = −z²/2 − ½ log 2π."""
    return -z**2 / 2 - log(2 * pi) / 2


def std_normal_cdf(z) -> sympy.Expr:
    """Φ(z) = (1 + erf(z/√2))/2."""
    return (1 + erf(z / sqrt(2))) / 2


# --- scalar: Y = exp(X), X ~ N(mu, sigma^2) -----------------------------------------------

Y_POS = Var("y", "y", positive_between(0.1, 5))
MU = Var("mu", r"\mu", REAL)
SIGMA = Var("sigma", r"\sigma", positive_between(0.3, 2))
y_pos, mu, sigma = Y_POS.symbol, MU.symbol, SIGMA.symbol


def lognormal_logpdf(at, m, s) -> sympy.Expr:
    """log N(log at; m, s²) − log at: the log-density of e^X, as lectures write it."""
    return -(log(at) - m) ** 2 / (2 * s**2) - log(2 * pi * s**2) / 2 - log(at)


@claim("flow.change-of-variables.scalar")
def flow_change_of_variables_scalar() -> Claim:
    """log p_Y(y) for Y = e^X, X ~ N(μ, σ²): log N(log y; μ, σ²) − log y (the factor |g'(y)| = 1/y)."""
    return Claim(
        title="Change of variables in 1-D: the density of Y = e^X picks up |d/dy log y| = 1/y",
        statement=r"\log p_Y(y),\ Y = e^X,\ X\sim\mathcal N(\mu,\sigma^2)",
        variables=(Y_POS, MU, SIGMA),
        derivation=(
            Step(r"definition: e^x is increasing, so F_Y(y) = P(X \le \log y) = \Phi((\log y - \mu)/\sigma)",
                 std_normal_cdf((log(y_pos) - mu) / sigma)),
            Step(r"differentiate the CDF in y: p_Y(y) = p_X(g(y))\,g'(y) with g = \log, g'(y) = 1/y",
                 exp(-(log(y_pos) - mu) ** 2 / (2 * sigma**2)) / (sqrt(2 * pi) * sigma) / y_pos,
                 op=lambda e: sympy.diff(e, y_pos)),
            Step("take the log", -(log(y_pos) - mu) ** 2 / (2 * sigma**2) - log(sqrt(2 * pi) * sigma) - log(y_pos),
                 op=log),
            Step(r"collect: \log\mathcal N(\log y;\mu,\sigma^2) - \log y", lognormal_logpdf(y_pos, mu, sigma)),
        ),
        wrong_variants=(
            WrongVariant("dropped the Jacobian factor |g'(y)|", lognormal_logpdf(y_pos, mu, sigma) + log(y_pos)),
            WrongVariant("forward derivative f'(x) = e^x = y in place of g'(y) = 1/y",
                         lognormal_logpdf(y_pos, mu, sigma) + 2 * log(y_pos)),
            WrongVariant("p_X evaluated at y instead of at g(y)",
                         -(y_pos - mu) ** 2 / (2 * sigma**2) - log(2 * pi * sigma**2) / 2 - log(y_pos)),
        ),
        sources=(
            Source(S004, "1872–1874", r"Change of Variables Formula: Scalar: p_Y(y) = p_X(g(y)) \left| \frac{d}{dy} g(y) \right|",
                   expr=exp(-(log(y_pos) - mu) ** 2 / (2 * sigma**2)) / sqrt(2 * pi * sigma**2) * Abs(sympy.diff(log(y_pos), y_pos)),
                   to_target=log,
                   note=r"with X \sim N(\mu, \sigma^2), f = \exp and g = f^{-1} = \log; the source writes the density, the target is its log"),
            Source(S004, "3088", r"Elementwise monotonic: exp, log, sigmoid",
                   note="lists invertible elementwise maps without a formula; exp is this claim's map, whose density is derived here"),
            Source(S002, "148", r"The decoder transforms the **planer** input space to a **curved** manifold in the output space, and the **Gaussian** to a *non-Gaussian*.",
                   note="not compared: 'in general' has no test here; this claim derives one instance, exp of N(μ, σ²), whose "
                        "log-density (the target) has the -log y term and is quadratic in log y, not in y; no check tests "
                        "the Gaussianity of a decoder's outputs"),
        ),
    )


# --- the general rule, for a decreasing monotone map --------------------------------------

A_REAL = Var("a", "a", real_between(-1.5, 1.5))
S_SLOPE = Var("s", "s", positive_between(0.5, 2))
T_SHIFT = Var("t", "t", real_between(-1, 1))
a_real, s_slope, t_shift = A_REAL.symbol, S_SLOPE.symbol, T_SHIFT.symbol


def decreasing_map(at) -> sympy.Expr:
    """h(a) = t - s a - a³: strictly decreasing for s > 0, the map from A to B."""
    return t_shift - s_slope * at - at**3


def std_normal_pdf(z) -> sympy.Expr:
    return exp(-z**2 / 2) / sqrt(2 * pi)


@claim("flow.change-of-variables.density")
def flow_change_of_variables_density() -> Claim:
    r"""B = h(A) ~ N(0, 1), h(a) = t - sa - a³ decreasing: p_A(a) = p_B(h(a)) |det J_h(a)| = φ(h(a)) (s + 3a²)."""
    jacobian = sympy.diff(decreasing_map(a_real), a_real)
    return Claim(
        title="Change of variables: the density of A at a is the density of B = h(A) at h(a) times |det J_h(a)|",
        statement=r"p_A(a) = p_B(h(a))\,\left|\det J_h(a)\right|,\ B = h(A) \sim \mathcal N(0, 1),\ "
                  r"h(a) = t - s a - a^3,\ s > 0",
        variables=(A_REAL, S_SLOPE, T_SHIFT),
        derivation=(
            Step(r"definition: h is decreasing, so F_A(a) = P(A \le a) = P(h(A) \ge h(a)) = 1 - \Phi(h(a))",
                 1 - std_normal_cdf(decreasing_map(a_real))),
            Step(r"differentiate the CDF in a: p_A(a) = -\varphi(h(a))\,h'(a) = \varphi(h(a))\,(s + 3a^2)",
                 std_normal_pdf(decreasing_map(a_real)) * (s_slope + 3 * a_real**2),
                 op=lambda e: sympy.diff(e, a_real)),
            Step(r"h'(a) = -(s + 3a^2) < 0, so this is p_B(h(a))\,|\det J_h(a)| with J_h(a) = h'(a), "
                 r"the Jacobian of the map from A to B",
                 std_normal_pdf(decreasing_map(a_real)) * Abs(jacobian)),
        ),
        wrong_variants=(
            WrongVariant("Jacobian inverted: divided by |det J_h(a)| (the Jacobian of the map from B to A)",
                         std_normal_pdf(decreasing_map(a_real)) / (s_slope + 3 * a_real**2)),
            WrongVariant("log-det sign flipped: exp(log p_B(h(a)) - log|det J_h(a)|)",
                         exp(log(std_normal_pdf(decreasing_map(a_real))) - log(s_slope + 3 * a_real**2))),
            WrongVariant("missing absolute value: times det J_h(a) = h'(a) < 0 for a decreasing map",
                         std_normal_pdf(decreasing_map(a_real)) * jacobian),
            WrongVariant("the density of B at a instead of at h(a)", std_normal_pdf(a_real) * Abs(jacobian)),
        ),
        sources=(
            Source(S004, "1872–1874", r"Change of Variables Formula: Scalar: p_Y(y) = p_X(g(y)) \left| \frac{d}{dy} g(y) \right|",
                   note=r"the same rule with Y as A and g as h (the map from A to B): this claim derives it from the "
                        r"CDF for a decreasing h, where the absolute value matters"),
            Source(S004, "1876–1880", r"Multivariate: p_{\mathbf{Y}}(\mathbf{y}) = p_{\mathbf{X}}(g(\mathbf{y})) |\det J_g(\mathbf{y})| where J_g is the Jacobian matrix, g = f^{-1}",
                   note="the d-dimensional rule; its linear case in d = 2 is derived in flow.change-of-variables.linear"),
        ),
    )


# --- linear: x = A z + b in d = 2 ---------------------------------------------------------

XS = tuple(Var(f"x{i}", f"x_{i}", REAL) for i in (1, 2))
A11 = Var("a11", "a_{11}", positive_between(0.5, 2))
A_OFF = (Var("a12", "a_{12}", real_between(-1, 1)), Var("a21", "a_{21}", real_between(-1, 1)))
DELTA = Var("delta", r"\delta", positive_between(0.5, 2))  # det A
BS = tuple(Var(f"b{i}", f"b_{i}", REAL) for i in (1, 2))
x_vec = sympy.Matrix([v.symbol for v in XS])
b_vec = sympy.Matrix([v.symbol for v in BS])
a11, delta = A11.symbol, DELTA.symbol
a12, a21 = (v.symbol for v in A_OFF)
# a_22 is defined so that det A = delta > 0: every A with a_11 > 0 and a positive determinant
A22 = Defined("a22", "a_{22}", (delta + a12 * a21) / a11)
a22 = A22.symbol


def matrix_a() -> sympy.Matrix:
    return sympy.Matrix([[a11, a12], [a21, A22.expr]])


def linear_flow_logpdf_written() -> sympy.Expr:
    r"""log N(x; b, AAᵀ) as written: −½(x−b)ᵀ(AAᵀ)^{-1}(x−b) − log 2π − log|det A|."""
    A = matrix_a()
    r = x_vec - b_vec
    return -(r.T * (A * A.T).inv() * r)[0] / 2 - log(2 * pi) - log(delta)


def std_normal_2d_at(v: sympy.Matrix) -> sympy.Expr:
    return std_normal_logpdf(v[0]) + std_normal_logpdf(v[1])


@claim("flow.change-of-variables.linear")
def flow_change_of_variables_linear() -> Claim:
    r"""x = Az + b, z ~ N(0, I): log p(x) = log N(A^{-1}(x−b); 0, I) − log|det A| = log N(x; b, AAᵀ) (d = 2)."""
    A = matrix_a()
    g = A.inv() * (x_vec - b_vec)
    jacobian_g = g.jacobian(x_vec)
    return Claim(
        title="Change of variables in d = 2 for a linear flow x = Az + b: log p(x) = log N(x; b, AAᵀ) (d-D checked numerically)",
        statement=r"\log p(x),\ x = Az + b,\ z\sim\mathcal N(0, I_2),\ A = [[a_{11}, a_{12}], [a_{21}, a_{22}]],\ \det A = \delta > 0",
        variables=XS + (A11,) + A_OFF + (DELTA,) + BS,
        defined=(A22,),
        derivation=(
            Step(r"definition: p_X(x) = p_Z(g(x))\,|\det J_g(x)|, g(x) = A^{-1}(x-b), Z\sim\mathcal N(0,I_2); "
                 r"J_g from SymPy's Jacobian of g",
                 std_normal_2d_at(g) + log(Abs(jacobian_g.det()))),
            Step(r"J_g = A^{-1}, so \log|\det J_g| = -\log\det A = -\log\delta; g^\top g = (x-b)^\top(AA^\top)^{-1}(x-b): "
                 r"the log-density of \mathcal N(b, AA^\top)",
                 linear_flow_logpdf_written()),
        ),
        wrong_variants=(
            WrongVariant("dropped log|det J_g|", std_normal_2d_at(g)),
            WrongVariant("forward Jacobian: +log|det A| instead of -log|det A|", std_normal_2d_at(g) + log(delta)),
            WrongVariant("A applied instead of A^{-1}: p_z(A(x-b))", std_normal_2d_at(A * (x_vec - b_vec)) - log(delta)),
        ),
        sources=(
            Source(S004, "1876–1880", r"Multivariate: p_{\mathbf{Y}}(\mathbf{y}) = p_{\mathbf{X}}(g(\mathbf{y})) |\det J_g(\mathbf{y})| where J_g is the Jacobian matrix, g = f^{-1}",
                   expr=exp(std_normal_2d_at(g)) / delta, to_target=log,
                   note=r"with f(z) = Az + b, g = f^{-1} = A^{-1}(\cdot - b), J_g = A^{-1} and p_X = \mathcal N(0, I_2); the source writes the density, the target is its log"),
            Source(S004, "3087", r"Linear: \mathbf{z} \rightarrow \mathbf{Az} + \mathbf{b} (\det = |\det(\mathbf{A})|)",
                   expr=std_normal_2d_at(g) - log(delta),
                   note=r"read as: the forward map scales volume by |\det A|, so \log p(x) = \log p_z(A^{-1}(x-b)) - \log|\det A|"),
            Source(S004, "1882–1884", r"[J_g]_{ij} = \frac{\partial g_i}{\partial y_j} = \frac{\partial x_i}{\partial y_j}",
                   note="the definition of the Jacobian's entries this claim's derivation uses (SymPy's Matrix.jacobian has the same convention); no value to compare"),
            Source(S004, "1888", r"J_g[i, j] measures: How much does changing input dimension j (of \mathbf{y}) affect output dimension i (of \mathbf{x})?",
                   note="a reading of the Jacobian's entries (consistent with (69)); no formula to compare"),
            Source(S004, "2936", r"VAE uses reparameterization: \mathbf{z} = \boldsymbol{\mu}_\phi(\mathbf{x}) + \boldsymbol{\sigma}_\phi(\mathbf{x}) \odot \boldsymbol{\epsilon} (one transformation)",
                   note=r"a map, not a density: it is the diagonal case A = \mathrm{diag}(\sigma), b = \mu of this linear flow, whose density N(\mu, \mathrm{diag}\,\sigma^2) this claim gives"),
        ),
    )


# --- Box–Muller --------------------------------------------------------------------------

ZS = tuple(Var(f"z{i}", f"z_{i}", REAL) for i in (1, 2))
z1, z2 = (v.symbol for v in ZS)


@claim("flow.box-muller")
def flow_box_muller() -> Claim:
    r"""Box–Muller z = √(−2 log u₁)(cos 2πu₂, sin 2πu₂), u ~ U(0,1)²: log p(z) = −(z₁²+z₂²)/2 − log 2π."""
    g = sympy.Matrix([exp(-(z1**2 + z2**2) / 2), sympy.atan2(z2, z1) / (2 * pi)])  # u = g(z) (u2 mod 1)
    return Claim(
        title="Box–Muller by change of variables: the image of U(0,1)² is N(0, I₂)",
        statement=r"\log p(z_1, z_2),\ z = \sqrt{-2\log u_1}\,(\cos 2\pi u_2, \sin 2\pi u_2),\ u\sim U(0,1)^2",
        variables=ZS,
        derivation=(
            Step(r"definition: p_Z(z) = p_U(g(z))\,|\det J_g(z)| with p_U = 1 on (0,1)^2 and the inverse "
                 r"g(z) = (e^{-(z_1^2+z_2^2)/2},\ \mathrm{atan2}(z_2, z_1)/(2\pi)); J_g from SymPy",
                 log(Abs(g.jacobian([z1, z2]).det()))),
            Step(r"\partial u_1/\partial z = -u_1 z, \partial u_2/\partial z = (-z_2, z_1)/(2\pi r^2): "
                 r"|\det J_g| = e^{-r^2/2}/(2\pi)",
                 -(z1**2 + z2**2) / 2 - log(2 * pi)),
        ),
        wrong_variants=(
            WrongVariant("forward Jacobian |det J_f| instead of |det J_g|", (z1**2 + z2**2) / 2 + log(2 * pi)),
            WrongVariant("dropped the 1/(2π) of the angle", -(z1**2 + z2**2) / 2),
            WrongVariant("missing 1/2 in the exponent", -(z1**2 + z2**2) - log(2 * pi)),
        ),
        sources=(
            Source(S004, "3086", r"Box-Muller: uniform \rightarrow Gaussian (explicit, invertible)",
                   behaviour="box_muller_inverts_and_is_gaussian", at={"n": 200_000},
                   correct="Box–Muller maps U(0,1)² one-to-one onto R² minus a ray and its image is N(0, I₂)"),
        ),
    )


# --- a monotone map that creates a second mode ----------------------------------------------

Y_REAL = Var("y", "y", real_between(-2.5, 2.5))
C = Var("c", "c", positive_between(0.05, 2.5))
y_real, c = Y_REAL.symbol, C.symbol


def cubic_inverse(at) -> sympy.Expr:
    """g(y) = y³ + c·y, strictly increasing for c > 0: the inverse of the monotone map f."""
    return at**3 + c * at


@claim("flow.monotone.density")
def flow_monotone_density() -> Claim:
    r"""Y = f(Z), Z ~ N(0,1), f^{-1}(y) = y³ + cy: log p_Y(y) = log φ(y³ + cy) + log(3y² + c) — bimodal for c < 6^{1/3}."""
    return Claim(
        title="A smooth increasing map of N(0,1) with f⁻¹(y) = y³ + cy: the density, which has two modes for small c",
        statement=r"\log p_Y(y),\ Y = f(Z),\ f^{-1}(y) = y^3 + c\,y,\ Z\sim\mathcal N(0,1)",
        variables=(Y_REAL, C),
        derivation=(
            Step(r"definition: f is increasing, so F_Y(y) = P(Z \le f^{-1}(y)) = \Phi(y^3 + c y)",
                 std_normal_cdf(cubic_inverse(y_real))),
            Step(r"differentiate the CDF in y: \varphi(y^3 + cy)\,(3y^2 + c)",
                 exp(-cubic_inverse(y_real) ** 2 / 2) / sqrt(2 * pi) * (3 * y_real**2 + c),
                 op=lambda e: sympy.diff(e, y_real)),
            Step("take the log", std_normal_logpdf(cubic_inverse(y_real)) + log(3 * y_real**2 + c), op=log),
        ),
        wrong_variants=(
            WrongVariant("dropped the Jacobian factor (a unimodal answer)", std_normal_logpdf(cubic_inverse(y_real))),
            WrongVariant("divided by the derivative instead of multiplying",
                         std_normal_logpdf(cubic_inverse(y_real)) - log(3 * y_real**2 + c)),
            WrongVariant("dropped c from g'(y)", std_normal_logpdf(cubic_inverse(y_real)) + log(3 * y_real**2)),
        ),
        sources=(
            Source(S004, "1905–1907", r"Transformations *reshape* variance: Don't add/remove modes",
                   behaviour="monotone_map_keeps_the_number_of_modes", at={"c": 0.5},
                   correct=r"a smooth increasing bijection can add a mode: Y = f(Z) with f^{-1}(y) = y^3 + cy, "
                           r"Z \sim N(0,1), has two modes for c < 6^{1/3} (log p_Y''(0) = 6/c - c^2 > 0); the factor "
                           r"|g'(y)| reshapes the density, only quantiles are carried over"),
        ),
    )
