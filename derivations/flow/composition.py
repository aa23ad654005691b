r"""A composed flow x = f_2(f_1(z_0)): the inverse applies f_2^{-1} first, and each Jacobian is
evaluated at its layer's input z_{i-1}.

With z_0 ~ N(0, 1), f_1(z) = a z + b and f_2(u) = e^u, x is log-normal, so the answer is known
in closed form and a wrong inverse order or a Jacobian evaluated at the wrong point gives a
different number. The general statement (any K, any d),

.. math:: \log p(x) = \log p_0(z_0) - \sum_{i=1}^K \log\left|\det \frac{\partial f_i}{\partial z_{i-1}}(z_{i-1})\right|,
   \qquad z_0 = f_1^{-1}\circ\cdots\circ f_K^{-1}(x),

is checked numerically on composed linear flows in d = 2..5 (non-commuting matrices: the
wrong order gives another Gaussian) in ``reference_models/flows.py``.

Seeds: 004 L2939–2945, L3141–3148.
"""

from __future__ import annotations

import sympy
from sympy import log, pi, sqrt

from derivspec.core import Claim, Source, Step, Var, WrongVariant, claim, positive_between, real_between
from derivspec.core.lectures import S004
from derivspec.derivations.flow.change_of_variables import std_normal_cdf, std_normal_logpdf

X = Var("x", "x", positive_between(0.2, 5))
A = Var("a", "a", positive_between(0.5, 2))
B = Var("b", "b", real_between(-2, -0.1))  # b < 0 keeps (x - b)/a > 0, so the wrong order stays real
x, a, b = X.symbol, A.symbol, B.symbol


def z0_right() -> sympy.Expr:
    """z_0 = f_1^{-1}(f_2^{-1}(x)) = (log x − b)/a: f_2^{-1} = log applied first."""
    return (log(x) - b) / a


def z0_wrong_order() -> sympy.Expr:
    """f_2^{-1}(f_1^{-1}(x)) = log((x − b)/a): the inverses applied in the order f_1^{-1} first."""
    return log((x - b) / a)


def accumulated(z0, log_det_f1, log_det_f2) -> sympy.Expr:
    """log p_0(z_0) − log|f_1'| − log|f_2'| with the terms given."""
    return std_normal_logpdf(z0) - log_det_f1 - log_det_f2


@claim("flow.composition")
def flow_composition() -> Claim:
    r"""x = e^{a z_0 + b}: log p(x) = log φ(z_0) − log a − log x with z_0 = (log x − b)/a (K = 2, d = 1)."""
    return Claim(
        title="Composed flow x = f₂(f₁(z₀)), f₁(z) = az + b, f₂ = exp: inverse order and Jacobian points (K = 2; larger K, d numerically)",
        statement=r"\log p(x),\ x = f_2(f_1(z_0)),\ f_1(z) = a z + b,\ f_2(u) = e^u,\ z_0\sim\mathcal N(0,1)",
        variables=(X, A, B),
        derivation=(
            Step(r"definition: x is increasing in z_0, so F(x) = P(z_0 \le f_1^{-1}(f_2^{-1}(x))) = \Phi((\log x - b)/a)",
                 std_normal_cdf(z0_right())),
            Step(r"differentiate the CDF in x",
                 sympy.exp(-z0_right() ** 2 / 2) / sqrt(2 * pi) / (a * x), op=lambda e: sympy.diff(e, x)),
            Step(r"take the log and read the terms: \log p_0(z_0) - \log|f_1'(z_0)| - \log|f_2'(z_1)| with "
                 r"z_0 = (\log x - b)/a, z_1 = f_1(z_0) = \log x, f_1' = a, f_2'(z_1) = e^{z_1} = x",
                 accumulated(z0_right(), log(a), log(x)), op=log),
        ),
        wrong_variants=(
            WrongVariant("inverses in the wrong order: z_0 = f_2^{-1}(f_1^{-1}(x))", accumulated(z0_wrong_order(), log(a), log(x))),
            WrongVariant("Jacobian of f_2 evaluated at z_0 instead of z_1", accumulated(z0_right(), log(a), z0_right())),
            WrongVariant("dropped the Jacobian of f_1", accumulated(z0_right(), 0, log(x))),
            WrongVariant("log-dets added instead of subtracted", accumulated(z0_right(), -log(a), -log(x))),
        ),
        sources=(
            Source(S004, "2939", r"\mathbf{z}_0 \sim p(\mathbf{z}_0) \rightarrow \mathbf{z}_1 = f_1(\mathbf{z}_0) \rightarrow \mathbf{z}_2 = f_2(\mathbf{z}_1) \rightarrow \dots \rightarrow \mathbf{x} = f_K(\dots f_1(\mathbf{z}_0))",
                   note="the definition of a composed flow; this claim is its K = 2 case"),
            Source(S004, "2940", r"Change of variables: \log p(\mathbf{x}) = \log p_0(\mathbf{z}_0) - \sum_i \log |\det(\partial f_i / \partial \mathbf{z}_{i-1})|",
                   expr=accumulated(z0_right(), log(a), log(x)),
                   note=r"K = 2: \partial f_1/\partial z_0 = a, \partial f_2/\partial z_1 = e^{z_1} = x, z_0 = (\log x - b)/a"),
            Source(S004, "2945", r"p(x) = p(z_0) |\det J_{f^{-1}}|",
                   expr=sympy.exp(std_normal_logpdf(z0_right())) * sympy.Abs(sympy.diff(z0_right(), x)), to_target=log,
                   note=r"f = f_2\circ f_1, f^{-1}(x) = (\log x - b)/a; the source writes the density, the target is its log"),
            Source(S004, "3144", r"**Inverse pass**: compute \mathbf{z}_0 = f_K^{-1} \circ \dots \circ f_1^{-1}(\mathbf{x})",
                   category="notation/index", severity="error",
                   expr=accumulated(z0_wrong_order(), log(a), log(x)),
                   correct=r"z_0 = f_1^{-1}\circ\cdots\circ f_K^{-1}(x): f_K^{-1} is applied first; here z_0 = (\log x - b)/a",
                   note=r"K = 2 as written: f_2^{-1}\circ f_1^{-1}(x) = \log((x-b)/a) (f_1^{-1} applied first), with the "
                        r"log-det terms left as in L2940"),
            Source(S004, "3145", r"Each step: compute \log |\det(\partial f_i / \partial \mathbf{z}_i)|",
                   category="notation/index", severity="notation",
                   expr=accumulated(z0_right(), log(a), x),
                   correct=r"\log|\det(\partial f_i/\partial z_{i-1})| evaluated at z_{i-1}, as L2940 writes",
                   note=r"read as the Jacobian of f_i evaluated at z_i (its output): f_1'(z_1) = a, f_2'(z_2) = e^{z_2} = e^x"),
            Source(S004, "3146", r"Accumulate: \log p(\mathbf{x}) = \log p_0(\mathbf{z}_0) - \sum_i \log |\det|",
                   expr=accumulated(z0_right(), log(a), log(x)),
                   note=r"with each |\det| the layer's Jacobian at its input, as in L2940"),
            Source(S004, "3148", r"**Forward pass** (generation): \mathbf{z}_0 \sim p_0 \rightarrow \mathbf{x} = f_K \circ \dots \circ f_1(\mathbf{z}_0)",
                   behaviour="composed_flow_samples_follow_the_density", at={"d": 3, "layers": 4, "n": 100_000}),
            Source(S004, "3159–3161", r"VAE: one transformation, approximate posterior (avoid Jacobian); Flow: K transformations, exact density (pay Jacobian cost cleverly); View VAE as 1-layer flow with approximate inference",
                   note="an analogy, not a formula; the K-layer exact density is this claim (K = 2) and, for any K, the "
                        "composed-flow behaviour check at L3148"),
            Source(S004, "1034–1038", r"**Invertible models** (e.g., flows): Both efficient, but architectural constraints limit expressiveness",
                   note="a cost statement (sampling and density both one pass each way); reference_models/flows.py runs both for the composed and coupling flows"),
        ),
    )
