r"""The f-GAN variational bound: D_f(P‖Q) ≥ sup_T E_P[T] − E_Q[f*(T)], tight at T = f'(p/q).

For KL, f(t) = t log t and its convex conjugate is f*(u) = sup_t (ut − t log t) = e^{u−1}
(``divergence.fgan.conjugate-kl``). For any T the bound holds by Fenchel–Young,
f(t) ≥ tT − f*(T) pointwise; at T(x) = f'(p(x)/q(x)) = 1 + log(p(x)/q(x)) it is an equality, so
the supremum is the divergence (``divergence.fgan.bound``, on a two-point space; every other T
gives less, checked numerically).

No seed states the bound (f-GAN: Nowozin, Cseke & Tomioka 2016); it connects 004 L1575–1579 to
the GAN value of gan.value.optimal.
"""

from __future__ import annotations

import sympy
from sympy import exp, log

from derivspec.core import UNIT_INTERVAL, Claim, Step, Var, WrongVariant, claim, real_between

U = Var("u", "u", real_between(-3, 3))
P = Var("p", "p", UNIT_INTERVAL)
Q = Var("q", "q", UNIT_INTERVAL)
t = sympy.Symbol("t", positive=True)


@claim("divergence.fgan.conjugate-kl")
def divergence_fgan_conjugate_kl() -> Claim:
    r"""f*(u) = sup_{t>0} (ut − t log t) = e^{u−1}."""
    u = U.symbol
    objective = u * t - t * log(t)
    return Claim(
        title="Convex conjugate of the KL generator f(t) = t log t: f*(u) = e^{u−1}",
        statement=r"f^*(u) = \sup_{t > 0}\ u t - t\log t",
        variables=(U,),
        derivation=(
            Step(r"definition: f^*(u) = \sup_t\,(ut - f(t)), f(t) = t\log t (concave in t: -1/t < 0)", objective),
            Step(r"the maximiser: \partial_t = u - \log t - 1 = 0 at t^* = e^{u-1}", exp(u - 1),
                 op=lambda e: sympy.solve(sympy.diff(e, t), t)[0]),
            Step(r"the value u t^* - t^*\log t^* = e^{u-1}(u - (u - 1))", exp(u - 1),
                 op=lambda t_star: objective.subs(t, t_star)),
        ),
        wrong_variants=(
            WrongVariant("e^u (dropped the −1)", exp(u)),
            WrongVariant("e^u − 1 (the conjugate of t log t − t + 1)", exp(u) - 1),
            WrongVariant("the maximiser's value times u", u * exp(u - 1)),
        ),
    )


def kl_two_point(a, b) -> sympy.Expr:
    return a * log(a / b) + (1 - a) * log((1 - a) / (1 - b))


@claim("divergence.fgan.bound")
def divergence_fgan_bound() -> Claim:
    r"""E_P[T*] − E_Q[e^{T*−1}] at T* = 1 + log(p/q) equals KL(P‖Q): the f-GAN bound is tight."""
    p, q = P.symbol, Q.symbol
    t_star = (1 + log(p / q), 1 + log((1 - p) / (1 - q)))  # T* at the two outcomes
    conjugate = lambda v: exp(v - 1)  # noqa: E731 -- f*(u) of claim divergence.fgan.conjugate-kl
    return Claim(
        title="f-GAN variational bound for KL, E_P[T] − E_Q[f*(T)], is tight at T = f'(p/q) = 1 + log(p/q)",
        statement=r"\mathbb E_P[T^*] - \mathbb E_Q[e^{T^* - 1}],\ T^* = 1 + \log(p/q),\ P = \mathrm{Bern}(p),\ Q = \mathrm{Bern}(q)",
        variables=(P, Q),
        derivation=(
            Step(r"definition: the bound \mathbb E_P[T] - \mathbb E_Q[f^*(T)] with f^*(u) = e^{u-1} "
                 r"(divergence.fgan.conjugate-kl) at T^* = f'(p/q) = 1 + \log(p/q), summed over the two outcomes",
                 p * t_star[0] + (1 - p) * t_star[1] - q * conjugate(t_star[0]) - (1 - q) * conjugate(t_star[1])),
            Step(r"e^{\log(p/q)} = p/q, so \mathbb E_Q[f^*(T^*)] = \sum_x p(x) = 1, which cancels the 1 in \mathbb E_P[T^*]: "
                 r"\mathrm{KL}(P\|Q)", kl_two_point(p, q)),
        ),
        wrong_variants=(
            WrongVariant("conjugate taken as e^u (bound 1 + KL − e)", kl_two_point(p, q) + 1 - sympy.E),
            WrongVariant("E_Q[f*(T)] dropped (1 + KL)", kl_two_point(p, q) + 1),
            WrongVariant("T* from the reversed ratio (KL(Q‖P))", kl_two_point(q, p)),
        ),
    )


