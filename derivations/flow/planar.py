r"""Planar flow f(z) = z + u h(wᵀz + b): det ∂f/∂z = 1 + uᵀψ(z), ψ(z) = h'(wᵀz + b) w, by the
matrix determinant lemma det(I + u ψᵀ) = 1 + ψᵀu.

Derived for d = 2 with h = tanh (the 2×2 determinant written out, then the lemma); d up to 10
is checked against autograd Jacobians in ``reference_models/flows.py``. No seed states the
planar flow; it is the classic rank-one flow (Rezende & Mohamed 2015).
"""

from __future__ import annotations

import sympy
from sympy import tanh

from derivspec.core import Claim, Step, Var, WrongVariant, claim, real_between

ZS = tuple(Var(f"z{i}", f"z_{i}", real_between(-2, 2)) for i in (1, 2))
US = tuple(Var(f"u{i}", f"u_{i}", real_between(-1.5, 1.5)) for i in (1, 2))
WS = tuple(Var(f"w{i}", f"w_{i}", real_between(-1.5, 1.5)) for i in (1, 2))
B = Var("b", "b", real_between(-1, 1))
z1, z2 = (v.symbol for v in ZS)
u1, u2 = (v.symbol for v in US)
w1, w2 = (v.symbol for v in WS)
b = B.symbol


def activation_argument() -> sympy.Expr:
    return w1 * z1 + w2 * z2 + b


def h_prime() -> sympy.Expr:
    """h'(a) = 1 − tanh(a)² for h = tanh."""
    return 1 - tanh(activation_argument()) ** 2


@claim("flow.planar.determinant")
def flow_planar_determinant() -> Claim:
    r"""det(I + u h'(wᵀz+b) wᵀ) = 1 + h'(wᵀz+b) uᵀw for f(z) = z + u tanh(wᵀz + b) (d = 2)."""
    f = sympy.Matrix([z1 + u1 * tanh(activation_argument()), z2 + u2 * tanh(activation_argument())])
    return Claim(
        title="Planar flow: det ∂f/∂z = 1 + uᵀψ(z) by the matrix determinant lemma (d = 2; larger d numerically)",
        statement=r"\det\frac{\partial f}{\partial z},\ f(z) = z + u\tanh(w^\top z + b)",
        variables=ZS + US + WS + (B,),
        derivation=(
            Step(r"definition: \partial f/\partial z = I + u\,\psi(z)^\top, \psi = h'(w^\top z + b)\,w; its 2\times2 "
                 r"determinant from SymPy's Jacobian of f",
                 f.jacobian([z1, z2]).det()),
            Step(r"matrix determinant lemma: \det(I + u\psi^\top) = 1 + \psi^\top u",
                 1 + h_prime() * (u1 * w1 + u2 * w2)),
        ),
        wrong_variants=(
            WrongVariant("forgot h': 1 + uᵀw", 1 + u1 * w1 + u2 * w2),
            WrongVariant("h in place of h'", 1 + tanh(activation_argument()) * (u1 * w1 + u2 * w2)),
            WrongVariant("product of the diagonal (as if triangular)",
                         (1 + h_prime() * u1 * w1) * (1 + h_prime() * u2 * w2)),
            WrongVariant("dropped the identity's 1", h_prime() * (u1 * w1 + u2 * w2)),
        ),
    )
