r"""Affine coupling layers (RealNVP): block-triangular Jacobian, log-det = Σ s(z_A), exact inverse.

.. math:: z'_A = z_A,\qquad z'_B = z_B\odot e^{s(z_A)} + t(z_A)

Derived in a small fixed case (d = 3 with z_A = z_1, z_B = (z_2, z_3), s_j(z_1) = tanh(w_j z_1),
t(z_1) = (z_1^2, z_1^3); for the inverse d = 2 with s = tanh(w z_1), t = v z_1); the general
layer (network conditioners, any d, stacked layers) is checked in ``reference_models/flows.py``
against autograd Jacobians and by inverting it.

Seeds: 004 L3035–3048, L3100–3107, L1908–1910, L3215–3229.
"""

from __future__ import annotations

import sympy
from sympy import Abs, exp, log, tanh

from derivspec.core import REAL, Claim, Source, Step, Var, WrongVariant, claim, real_between
from derivspec.core.lectures import S004

ZS = tuple(Var(f"z{i}", f"z_{i}", REAL) for i in (1, 2, 3))
WS = tuple(Var(f"w{i}", f"w_{i}", real_between(-2, 2)) for i in (2, 3))
z1, z2, z3 = (v.symbol for v in ZS)
w2, w3 = (v.symbol for v in WS)


def scale(w, at) -> sympy.Expr:
    """s_j(z_A) = tanh(w_j z_A): a bounded log-scale, as RealNVP conditioners use."""
    return tanh(w * at)


def coupling_map() -> sympy.Matrix:
    """f(z) = (z_1, z_2 e^{s_2(z_1)} + z_1^2, z_3 e^{s_3(z_1)} + z_1^3)."""
    return sympy.Matrix([z1, z2 * exp(scale(w2, z1)) + z1**2, z3 * exp(scale(w3, z1)) + z1**3])


@claim("flow.coupling.log-det")
def flow_coupling_log_det() -> Claim:
    r"""log|det ∂f/∂z| of an affine coupling layer = Σ_j s_j(z_A) (d = 3; any d numerically)."""
    jacobian = coupling_map().jacobian([z1, z2, z3])
    return Claim(
        title="Affine coupling layer: log|det ∂f/∂z| = Σ s(z_A) (d = 3 with z_A = z₁; any d numerically)",
        statement=r"\log\left|\det \frac{\partial f}{\partial z}\right|,\ f(z) = (z_1,\ z_2 e^{\tanh(w_2 z_1)} + z_1^2,\ z_3 e^{\tanh(w_3 z_1)} + z_1^3)",
        variables=ZS + WS,
        derivation=(
            Step(r"definition: \log|\det J| with J = \partial f/\partial z from SymPy's Jacobian of the coupling map",
                 log(Abs(jacobian.det()))),
            Step(r"J is lower block-triangular, [[1, 0], [*, \mathrm{diag}(e^{s(z_1)})]]: its determinant is the "
                 r"product of the diagonal, 1\cdot e^{s_2(z_1)}\cdot e^{s_3(z_1)}",
                 log(exp(scale(w2, z1)) * exp(scale(w3, z1)))),
            Step(r"\log of a product of exponentials: \sum_j s_j(z_A)", scale(w2, z1) + scale(w3, z1)),
        ),
        wrong_variants=(
            WrongVariant("s evaluated at z_B instead of z_A", scale(w2, z2) + scale(w3, z3)),
            WrongVariant("the determinant exp(Σ s) instead of its log", exp(scale(w2, z1) + scale(w3, z1))),
            WrongVariant("the inverse layer's log-det (-Σ s)", -scale(w2, z1) - scale(w3, z1)),
            WrongVariant("only the first transformed coordinate", scale(w2, z1)),
        ),
        sources=(
            Source(S004, "3046", r"Determinant: \det = \exp(\sum s(\mathbf{z}_A)) \rightarrow \mathbf{O}(d) not \mathbf{O}(d^3)!",
                   expr=exp(scale(w2, z1) + scale(w3, z1)), to_target=log,
                   note="the source writes the determinant, the target is its log"),
            Source(S004, "3042–3044", r"Jacobian is block triangular: \frac{\partial f}{\partial \mathbf{z}} = \begin{bmatrix} \mathbf{I} & \mathbf{0} \\ * & \text{diag}(\exp(s)) \end{bmatrix}",
                   behaviour="coupling_jacobian_is_block_triangular", at={"d": 6, "points": 64}),
            Source(S004, "3038–3041", r"Split dimensions: \mathbf{z} = [\mathbf{z}_A, \mathbf{z}_B]; \mathbf{z}'_A = \mathbf{z}_A (unchanged); \mathbf{z}'_B = \mathbf{z}_B \odot \exp(s(\mathbf{z}_A)) + t(\mathbf{z}_A)",
                   note="the definition of the layer this claim differentiates"),
            Source(S004, "3048", r"**Price:** Only transforms half the dimensions per layer",
                   note="true by construction (z'_A = z_A); the reference RealNVP alternates the masks so every coordinate is transformed"),
            Source(S004, "3102–3107", r"RealNVP: Coupling layers with affine transformations; Checkerboard/channel-wise masking patterns; Each layer: O(d) Jacobian, explicit inverse",
                   behaviour="realnvp_inverse_and_log_det_are_exact", at={"layers": 6, "n": 4096}),
            Source(S004, "3217–3218", r"Exact p(\mathbf{x}) via change of variables; O(d) per layer if architecture chosen correctly",
                   behaviour="realnvp_density_matches_its_samples", at={"n": 200_000, "bins": 12}),
            Source(S004, "3229", r"Exact inverse: \mathbf{z}_0 = f^{-1}(\mathbf{x})",
                   behaviour="realnvp_inverse_and_log_det_are_exact", at={"layers": 6, "n": 4096}),
            Source(S004, "1908", r"Nonlinear transformations create dependencies",
                   behaviour="coupling_creates_dependence", at={"n": 200_000}),
            Source(S004, "3166–3173", r"NICE: *Coupling layers* with tractable Jacobian determinant; RealNVP: *Affine coupling layers* – more expressive than NICE's additive couplings",
                   note="history; the additive coupling is the case s = 0 of this claim (log-det 0: volume preserving)"),
            Source(S004, "3129–3133", r"Neural Spline Flows: Monotonic splines for transformations; More flexible than affine; Still O(d) Jacobian via coupling",
                   note="the elementwise transform changes, the block-triangular structure (and log-det = sum of log-derivatives) is this claim's"),
        ),
    )


# --- the inverse (d = 2) -------------------------------------------------------------------

YS = tuple(Var(f"y{i}", f"y_{i}", REAL) for i in (1, 2))
W = Var("w", "w", real_between(-2, 2))
V = Var("v", "v", REAL)
y1, y2 = (v_.symbol for v_ in YS)
w, v = W.symbol, V.symbol
zeta = sympy.Symbol("zeta", real=True)  # the unknown z_2


@claim("flow.coupling.inverse")
def flow_coupling_inverse() -> Claim:
    r"""Inverse of y = (z_1, z_2 e^{s(z_1)} + t(z_1)): z_2 = (y_2 − t(y_1)) e^{−s(y_1)}, s = tanh(w·), t = v·."""
    return Claim(
        title="Affine coupling layer inverse: z_B = (z'_B − t(z_A)) ⊙ exp(−s(z_A)) (d = 2)",
        statement=r"z_2 \text{ from } (y_1, y_2) = (z_1,\ z_2 e^{\tanh(w z_1)} + v z_1)",
        variables=YS + (W, V),
        derivation=(
            Step(r"definition: z_1 = y_1 (unchanged) and z_2 = \zeta solves \zeta e^{s(y_1)} + t(y_1) - y_2 = 0",
                 zeta * exp(tanh(w * y1)) + v * y1 - y2),
            Step(r"solve the linear equation for \zeta: subtract t(y_1), multiply by e^{-s(y_1)}",
                 (y2 - v * y1) * exp(-tanh(w * y1)), op=lambda e: sympy.solve(e, zeta)[0]),
        ),
        wrong_variants=(
            WrongVariant("exp(+s) instead of exp(-s)", (y2 - v * y1) * exp(tanh(w * y1))),
            WrongVariant("t not subtracted", y2 * exp(-tanh(w * y1))),
            WrongVariant("t subtracted after rescaling", y2 * exp(-tanh(w * y1)) - v * y1),
            WrongVariant("s and t evaluated at y_2", (y2 - v * y2) * exp(-tanh(w * y2))),
        ),
        sources=(
            Source(S004, "3047", r"Invertible: \mathbf{z}_B = (\mathbf{z}'_B - t(\mathbf{z}_A)) \odot \exp(-s(\mathbf{z}_A))",
                   expr=(y2 - v * y1) * exp(-tanh(w * y1)),
                   note=r"d = 2: z'_B = y_2, z_A = y_1, s = \tanh(w\cdot), t = v\cdot"),
        ),
    )
