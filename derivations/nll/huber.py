r"""The Huber loss with threshold δ and torch's smooth L1 loss with beta: two scalings of one loss.

Huber (1964): ρ_δ(r) = ½r² for |r| ≤ δ and δ(|r| − ½δ) otherwise, r = y − μ the residual -- the loss
whose derivative is the residual clipped at ±δ (its influence function ψ_δ), quadratic near 0 and
linear in the tails; ``torch.nn.functional.huber_loss(input, target, delta=δ)``.

Smooth L1 as torch defines it (``torch.nn.functional.smooth_l1_loss(input, target, beta=β)``, Fast R-CNN's
loss at β = 1): 0.5 r²/β for |r| < β and |r| − 0.5β otherwise -- the loss whose derivative is r/β clipped
at ±1, so its slope in the tails is 1 whatever β. The two are *not* the same function: with δ = β,
smooth L1 = Huber / β (equal only at β = 1). Claim nll.huber is Huber's; claim nll.smooth-l1 is torch's
smooth L1. Per example; the batch mean (both functions' default) is a reduction.
"""

from __future__ import annotations

import sympy
from sympy import Abs, Piecewise, integrate

from derivspec.core import Claim, Computed, Step, Var, WrongVariant, claim, positive_between, target_of
from derivspec.derivations.nll.gaussian import MU, Y, mu, y

DELTA = Var("delta", r"\delta", positive_between(0.25, 3))
BETA = Var("beta", r"\beta", positive_between(0.25, 3))
delta, beta = DELTA.symbol, BETA.symbol
t = sympy.Symbol("t", real=True)  # the residual along the way from 0 to r
r = y - mu


def _integral_from_zero(psi: sympy.Expr) -> sympy.Expr:
    """∫_0^r ψ(t) dt with r = y − μ: the loss that is 0 at r = 0 and whose derivative is ψ."""
    return integrate(psi, (t, 0, r))


def huber(residual, threshold):
    """Huber's loss as it is written: ½r² inside ±δ, δ(|r| − ½δ) outside."""
    return Piecewise((residual ** 2 / 2, Abs(residual) <= threshold),
                     (threshold * (Abs(residual) - threshold / 2), True))


def smooth_l1(residual, width):
    """torch's smooth L1 as its documentation writes it: 0.5 r²/β for |r| < β, |r| − 0.5β otherwise."""
    return Piecewise((residual ** 2 / (2 * width), Abs(residual) < width), (Abs(residual) - width / 2, True))


@claim("nll.huber")
def nll_huber() -> Claim:
    """ρ_δ(r) = ½r² for |r| ≤ δ, δ(|r| − ½δ) otherwise: the integral of the residual clipped at ±δ."""
    return Claim(
        title="Huber loss with threshold δ: ½r² for |r| ≤ δ, δ(|r| − ½δ) otherwise, r = y − μ (F.huber_loss)",
        statement=r"\rho_\delta(r) = \begin{cases}\tfrac12 r^2 & |r|\le\delta\\ \delta\,(|r| - \tfrac12\delta) & "
                  r"\text{otherwise}\end{cases},\quad r = y - \mu",
        variables=(Y, MU, DELTA),
        derivation=(
            Step(r"definition: Huber's \psi_\delta, the residual clipped at \pm\delta (the loss's derivative: "
                 r"the squared error's slope near 0, bounded by \delta in the tails)",
                 Piecewise((-delta, t < -delta), (t, t <= delta), (delta, True))),
            Computed(r"the loss is 0 at r = 0 and its derivative is \psi_\delta: \rho_\delta(r) = "
                     r"\int_0^{r} \psi_\delta(t)\,dt with r = y - \mu", _integral_from_zero),
            Step(r"the two cases: \tfrac12 r^2 inside \pm\delta, \delta(|r| - \tfrac12\delta) outside", huber(r, delta)),
        ),
        wrong_variants=(
            WrongVariant("the linear branch without its offset: delta*|r| (a jump at |r| = delta)",
                         Piecewise((r ** 2 / 2, Abs(r) <= delta), (delta * Abs(r), True))),
            WrongVariant("smooth L1 (torch's, beta = delta) in place of Huber: divided by delta", smooth_l1(r, delta)),
            WrongVariant("the quadratic branch without its 1/2: r^2 for |r| <= delta",
                         Piecewise((r ** 2, Abs(r) <= delta), (delta * (Abs(r) - delta / 2), True))),
        ),
    )


@claim("nll.smooth-l1")
def nll_smooth_l1() -> Claim:
    """torch's smooth L1: the integral of r/β clipped at ±1; Huber with δ = β divided by β."""
    return Claim(
        title="Smooth L1 (torch, beta β): 0.5r²/β for |r| < β, |r| − 0.5β otherwise = Huber_{δ=β}/β (F.smooth_l1_loss)",
        statement=r"\mathrm{SmoothL1}_\beta(r) = \begin{cases}0.5\,r^2/\beta & |r|<\beta\\ |r| - 0.5\,\beta & "
                  r"\text{otherwise}\end{cases} = \rho_{\delta=\beta}(r)/\beta,\quad r = y - \mu",
        variables=(Y, MU, BETA),
        derivation=(
            Step(r"definition: the residual scaled by 1/\beta and clipped at \pm 1 (the loss's derivative: "
                 r"slope 1 in the tails whatever \beta)", Piecewise((-1, t < -beta), (t / beta, t <= beta), (1, True))),
            Computed(r"the loss is 0 at r = 0 with that derivative: \int_0^{r} \mathrm{clip}(t/\beta, -1, 1)\,dt, "
                     r"r = y - \mu", _integral_from_zero),
            Step(r"the two cases as torch documents them: 0.5 r^2/\beta for |r| < \beta, |r| - 0.5\beta otherwise; "
                 r"= the Huber loss (claim nll.huber) at \delta = \beta divided by \beta",
                 smooth_l1(r, beta), equals=target_of("nll.huber").subs(delta, beta) / beta),
        ),
        wrong_variants=(
            WrongVariant("Huber (delta = beta) in place of smooth L1: not divided by beta", huber(r, beta)),
            WrongVariant("the quadratic branch not divided by beta: 0.5 r^2 (right only at beta = 1)",
                         Piecewise((r ** 2 / 2, Abs(r) < beta), (Abs(r) - beta / 2, True))),
            WrongVariant("the linear branch's offset dropped: |r| (a jump at |r| = beta)",
                         Piecewise((r ** 2 / (2 * beta), Abs(r) < beta), (Abs(r), True))),
        ),
    )
