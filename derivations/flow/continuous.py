r"""Continuous normalizing flows: d log p(z(t))/dt = −tr(∂f/∂z), and Hutchinson's estimator
E[εᵀAε] = tr A.

The instantaneous change of variables is derived from the discrete one applied to the flow
map z_0 ↦ z_t of dz/dt = tanh(z) (solved exactly: sinh z_t = e^t sinh z_0), differentiated in
t. ``reference_models/flows.py`` checks d = 2 (linear: −tr A, not −det A; nonlinear: RK4 with
the exact trace against the autograd log-det of the flow map). Hutchinson's identity is
derived for d = 2 by enumerating the four Rademacher probes; larger d by Monte Carlo.

Seeds: 004 L3060–3067, L3135–3139, L3193–3199.
"""

from __future__ import annotations

import itertools

import sympy
from sympy import asinh, cosh, exp, log, sinh, tanh

from derivspec.core import Claim, Source, Step, Var, WrongVariant, claim, positive_between, real_between
from derivspec.core.claims import Recognise
from derivspec.core.lectures import S004
from derivspec.derivations.flow.change_of_variables import std_normal_logpdf

Z0 = Var("z0", "z_0", real_between(-2, 2))
T = Var("t", "t", positive_between(0.05, 2))
z0, t = Z0.symbol, T.symbol


def z_t() -> sympy.Expr:
    """The solution of dz/dt = tanh z from z_0: sinh z_t = e^t sinh z_0."""
    return asinh(sinh(z0) * exp(t))


@claim("flow.continuous.instantaneous")
def flow_continuous_instantaneous() -> Claim:
    r"""dz/dt = tanh z, z_0 ~ N(0,1): d/dt log p_t(z_t) = −(1 − tanh² z_t) = −∂f/∂z at z_t."""
    return Claim(
        title="Instantaneous change of variables: d log p(z(t))/dt = −tr ∂f/∂z at z(t) (dz/dt = tanh z; d = 2 numerically)",
        statement=r"\frac{d}{dt}\log p_t(z(t)),\ \frac{dz}{dt} = \tanh z,\ z(0) = z_0 \sim \mathcal N(0,1)",
        variables=(Z0, T),
        derivation=(
            Step(r"definition: change of variables through the flow map z_0\mapsto z_t = \operatorname{asinh}(e^t\sinh z_0): "
                 r"\log p_t(z_t) = \log p_0(z_0) - \log|\partial z_t/\partial z_0|",
                 std_normal_logpdf(z0) - log(sympy.diff(z_t(), z0))),
            Step(r"\partial z_t/\partial z_0 = e^t\cosh z_0/\sqrt{1 + e^{2t}\sinh^2 z_0}",
                 std_normal_logpdf(z0) - t - log(cosh(z0)) + log(1 + sinh(z0) ** 2 * exp(2 * t)) / 2),
            Step(r"differentiate in t along the trajectory (z_0 fixed)",
                 -1 + sinh(z0) ** 2 * exp(2 * t) / (1 + sinh(z0) ** 2 * exp(2 * t)), op=lambda e: sympy.diff(e, t)),
            Step("common denominator", -1 / (1 + sinh(z0) ** 2 * exp(2 * t))),
            Step(r"1/(1 + \sinh^2 z_t) = 1 - \tanh^2 z_t = \partial f/\partial z at z_t: the trace of the 1\times1 Jacobian",
                 -(1 - tanh(z_t()) ** 2)),
        ),
        wrong_variants=(
            WrongVariant("plus the trace", 1 - tanh(z_t()) ** 2),
            WrongVariant("the velocity f(z_t) instead of its derivative", -tanh(z_t())),
            WrongVariant("derivative evaluated at z_0 instead of z_t", -(1 - tanh(z0) ** 2)),
        ),
        sources=(
            Source(S004, "3063–3065", r"d\mathbf{z}/dt = f_\theta(\mathbf{z}, t); Instantaneous change of variables: d(\log p)/dt = -\text{trace}(\partial f_\theta / \partial \mathbf{z})",
                   expr=-(1 - tanh(z_t()) ** 2),
                   note=r"f = \tanh, \partial f/\partial z = 1 - \tanh^2 z evaluated on the trajectory z(t)"),
            Source(S004, "3135–3139", r"Continuous Normalizing Flows (FFJORD): ODE integration for transformation; Trace estimation via Hutchinson; Unlimited “depth” (continuous time)",
                   note="names the method; the trace estimator's unbiasedness is flow.hutchinson.unbiased"),
            Source(S004, "3196–3199", r"*Continuous-time flows using ordinary differential equations*; Trace estimator instead of determinant: O(d) computation; Enabled unrestricted architectures (no invertibility constraints)",
                   note="history and cost; the flow map of an ODE with Lipschitz f is invertible by construction "
                        "(integrate backwards), so f itself needs no invertible architecture"),
        ),
    )


# --- Hutchinson's trace estimator ------------------------------------------------------------------

A_DIAG = tuple(Var(f"a{i}{i}", f"a_{{{i}{i}}}", positive_between(0.5, 2)) for i in (1, 2))
A_OFF = (Var("a12", "a_{12}", real_between(-2, 2)), Var("a21", "a_{21}", real_between(-2, 2)))
a11, a22 = (v.symbol for v in A_DIAG)
a12, a21 = (v.symbol for v in A_OFF)


def rademacher_average() -> sympy.Expr:
    """E_ε[εᵀAε] over ε uniform on {−1, 1}², as the average of the four probes."""
    A = sympy.Matrix([[a11, a12], [a21, a22]])
    total = sympy.Integer(0)
    for signs in itertools.product((-1, 1), repeat=2):
        eps = sympy.Matrix(signs)
        total += (eps.T * A * eps)[0]
    return total / 4


@claim("flow.hutchinson.unbiased")
def flow_hutchinson_unbiased() -> Claim:
    r"""E[εᵀAε] = tr A for Rademacher ε (d = 2 by enumeration; Gaussian probes and larger d by Monte Carlo)."""
    return Claim(
        title="Hutchinson's estimator is unbiased: E[εᵀAε] = tr A (d = 2 exactly; larger d by Monte Carlo)",
        # the reader takes \epsilon^\top A \epsilon as A\epsilon^2 (no matrix declared); the trace of the
        # lecture's matrix (A any letter) is interpreted in the 2x2 instance
        recognise=(Recognise(r"\mathbb E[\epsilon^\top A \epsilon]",
                             interpret={r"\mathrm{tr}(A)": a11 + a22, r"\mathrm{Tr}(A)": a11 + a22}),),
        statement=r"\mathbb E_\varepsilon[\varepsilon^\top A\varepsilon],\ \mathbb E[\varepsilon\varepsilon^\top] = I,\ A = [[a_{11}, a_{12}], [a_{21}, a_{22}]]",
        variables=A_DIAG + A_OFF,
        derivation=(
            Step(r"definition: the mean of \varepsilon^\top A\varepsilon over the four Rademacher probes \varepsilon\in\{-1,1\}^2",
                 rademacher_average()),
            Step(r"\varepsilon_i^2 = 1 and the cross terms \varepsilon_1\varepsilon_2 average to 0: the trace", a11 + a22),
        ),
        wrong_variants=(
            WrongVariant("sum of all entries (a fixed all-ones probe)", a11 + a12 + a21 + a22),
            WrongVariant("the determinant", a11 * a22 - a12 * a21),
            WrongVariant("tr(AᵀA) = E‖Aε‖²", a11**2 + a12**2 + a21**2 + a22**2),
        ),
        sources=(
            Source(S004, "3066", r"Trace not determinant! \rightarrow \mathbf{O}(d^2) with Hutchinson estimator \rightarrow \mathbf{O}(d)",
                   behaviour="hutchinson_needs_one_vector_jacobian_product", at={"d": 16, "probes": 20_000}),
            Source(S004, "3138", r"Trace estimation via Hutchinson",
                   nothing_to_compare=True, note="names the estimator whose unbiasedness this claim states"),
        ),
    )
