r"""The optimal linear autoencoder: the projector onto the top principal direction (Eckart–Young).

"An autoencoder solves min E‖x − D(E(x))‖²" (002 L31–38) and "is a projection operator onto the
data manifold" (002 L77–80). For linear maps and centred data with covariance C (D = 2, d = 1)
the reconstruction x̂ = w wᵀx along a unit direction w = (cos φ, sin φ) loses
tr C − wᵀCw on average, smallest along the top eigenvector: the minimum loss is the smaller
eigenvalue λ_min of C, and the optimal map is the orthogonal projector onto the principal line
(the tangent of the flat manifold). A trained linear autoencoder (the behaviour check
linear_autoencoder_projects) finds that projector: its encoder rows and decoder columns lie
along the principal direction, perturbations along it pass through, normal ones are removed.

Seeds: 002 L31–66, L77–80, L147–152.
"""

from __future__ import annotations

import sympy
from sympy import Rational, cos, sin, sqrt

from derivspec.core import Claim, Computed, Source, Step, WrongVariant, claim
from derivspec.core.lectures import S002
from derivspec.derivations.latent.factor_analysis import C11, C12, C22, c11, c12, c22

phi = sympy.Symbol("phi", real=True)  # the direction of the code: w = (cos φ, sin φ)
LINEAR_AE = {"n": 4000.0, "seed": 7.0}  # the reference linear autoencoder's data set (numerics/latent.py)
PROJECTOR_NOTE = ("the linear case (D = 2, d = 1, data N(0, C), C = [[2, 0.8], [0.8, 1]]): a linear autoencoder trained on "
                  "4000 samples, checked against the top eigenvector of the sample covariance")


def amplitude_minimum(expr: sympy.Expr) -> sympy.Expr:
    """min over φ of A + B cos 2φ + C sin 2φ: A − √(B² + C²) (Cauchy–Schwarz)."""
    expanded = sympy.expand(expr)
    b, c = expanded.coeff(cos(2 * phi)), expanded.coeff(sin(2 * phi))
    a = sympy.simplify(expanded - b * cos(2 * phi) - c * sin(2 * phi))
    return a - sqrt(b**2 + c**2)


@claim("latent.autoencoder.linear")
def latent_autoencoder_linear() -> Claim:
    """min over unit w of E‖x − wwᵀx‖², x ~ (0, C), D = 2: the smaller eigenvalue of C."""
    C = sympy.Matrix([[c11, c12], [c12, c22]])
    w = sympy.Matrix([cos(phi), sin(phi)])
    residual = sympy.eye(2) - w * w.T
    return Claim(
        title="The optimal linear autoencoder (D = 2, d = 1) projects onto the top principal direction: minimum loss λ_min(C)",
        statement=r"\min_{\|w\| = 1} \mathbb E\|x - ww^\top x\|^2,\ \mathbb E[x] = 0,\ \mathrm{Cov}[x] = "
                  r"\begin{pmatrix} c_{11} & c_{12}\\ c_{12} & c_{22}\end{pmatrix}",
        variables=(C11, C12, C22),
        derivation=(
            Step(r"definition: the expected squared reconstruction error of x \mapsto ww^\top x, w = (\cos\phi, \sin\phi): "
                 r"E\|(I - ww^\top)x\|^2 = \mathrm{tr}((I - ww^\top)C(I - ww^\top)^\top)",
                 (residual * C * residual.T).trace()),
            Step(r"I - ww^\top is a projector: the loss is \mathrm{tr}\,C - w^\top C w",
                 c11 + c22 - (c11 * cos(phi) ** 2 + 2 * c12 * sin(phi) * cos(phi) + c22 * sin(phi) ** 2)),
            Step(r"double angles: \tfrac12(c_{11} + c_{22}) - \tfrac12(c_{11} - c_{22})\cos 2\phi - c_{12}\sin 2\phi",
                 (c11 + c22) / 2 - (c11 - c22) / 2 * cos(2 * phi) - c12 * sin(2 * phi)),
            Computed(r"minimise over \phi: A + B\cos 2\phi + C\sin 2\phi \ge A - \sqrt{B^2 + C^2}, with equality at "
                     r"the top eigenvector", amplitude_minimum),
            Step(r"the smaller eigenvalue of C (the discarded variance)",
                 (c11 + c22) / 2 - sqrt((c11 - c22) ** 2 / 4 + c12**2)),
        ),
        wrong_variants=(
            WrongVariant("the larger eigenvalue (the kept variance)", (c11 + c22) / 2 + sqrt((c11 - c22) ** 2 / 4 + c12**2)),
            WrongVariant("the loss of the first coordinate axis, c_22", c22),
            WrongVariant("half the total variance", (c11 + c22) / 2),
        ),
        sources=(
            Source(S002, "31–38", r"\min_{\theta,\phi}\ \mathbb E_{x \sim p_{\text{data}}}\left[\lVert x - D_\phi(E_\theta(x))\rVert^2\right]; Bottleneck: d < D",
                   nothing_to_compare=True, note="not compared: the objective this claim minimises, for linear E and D (its minimum value is the target)"),
            Source(S002, "77–80", r"A projection operator onto the data manifold: P(x) := D_\phi(E_\theta(x)); For x \in \mathcal M: P(x) \approx x; For x \notin \mathcal M: P(x) tends to map back toward (a nearby point on) \mathcal M",
                   behaviour="linear_autoencoder_projects", at=LINEAR_AE, note=PROJECTOR_NOTE),
            Source(S002, "50–53", r"Let x' = x + \epsilon n with n \perp T_x\mathcal M. ... Minimizing expected reconstruction encourages mapping x' back toward (the neighborhood of) \mathcal M, behaving like a **projector**, even without explicit noise.",
                   behaviour="linear_autoencoder_projects", at=LINEAR_AE, note=PROJECTOR_NOTE),
            Source(S002, "45–48", r"Let x' = x + \epsilon v with v \in T_x\mathcal M. ... the encoder must **distinguish** x and x'",
                   behaviour="linear_autoencoder_projects", at=LINEAR_AE,
                   note=PROJECTOR_NOTE + "; a tangent step v changes the code by ε·(encoder row · v) ≠ 0"),
            Source(S002, "56–57", r"rows of J_{E_\theta}(x) are gradients of latent coordinates; they point in directions where z changes, which should primarily be directions along \mathcal M.",
                   behaviour="linear_autoencoder_projects", at=LINEAR_AE, note=PROJECTOR_NOTE + "; the encoder's one row"),
            Source(S002, "58–59", r"With \hat x = D_\phi(z), columns of J_{D_\phi}(z) are \frac{\partial \hat x}{\partial z_i}, giving a basis for the local tangent directions of the decoded manifold.",
                   behaviour="linear_autoencoder_projects", at=LINEAR_AE, note=PROJECTOR_NOTE + "; the decoder's one column"),
            Source(S002, "62–66", r"For a small \delta, define z' = z + \delta, and decode x' = D_\phi(z'). ... For x' = x + \epsilon n (normal perturbation), typically E_\theta(x') \approx E_\theta(x), so D_\phi(E_\theta(x')) \approx D_\phi(E_\theta(x)) \approx x.",
                   behaviour="linear_autoencoder_projects", at=LINEAR_AE,
                   note=PROJECTOR_NOTE + "; latent moves decode along the principal line, normal perturbations are removed"),
            Source(S002, "41", r"A smooth manifold is globally curved but **locally linear**: around a point x, \mathcal M is well-approximated by its **tangent space** T_x\mathcal M, a linear hyperplane.",
                   note="not compared: the local picture; for a flat (linear) manifold the tangent space is the principal "
                        "subspace this claim projects onto"),
            Source(S002, "147", r"The decoder can *only* generate data on a low-dimensional manifold of the space, of the same dimension as the input.",
                   behaviour="linear_autoencoder_projects", at=LINEAR_AE,
                   note="'the input' read as the decoder's input z (read as the data's dimension it would be wrong): the "
                        "trained linear decoder maps every code onto the line of its column, dimension 1 = dim z"),
            Source(S002, "150–152", r"The actual dimensionality of the data manifold may be (and generally will be) greater than the dimensionality of z. Even if we capture the dimensionality of the principal manifold perfectly, there will almost alwasy be some variation",
                   value=0.557, decimals=3, at={"c11": 2, "c12": Rational(4, 5), "c22": 1},
                   note="the residual variation is this claim's minimum loss λ_min(C): a witness (ours) at the covariance "
                        "[[2, 0.8], [0.8, 1]] of the behaviour checks"),
            Source(S002, "150–152", r"there will almost alwasy be some variation",
                   value=0, decimals=9, at={"c11": 1, "c12": 1, "c22": 1},
                   note="the exception: data exactly on a line (a rank-1 C = [[1, 1], [1, 1]]) leave no residual"),
        ),
    )
