r"""The hinge loss of the soft-margin SVM: max(0, 1 − y·f) with labels y ∈ {−1, +1} and f the raw score.

Not a negative log-likelihood, but the loss classification code writes beside them: the one the
soft-margin SVM minimises. Its slack ξ must satisfy ξ ≥ 0 and y f ≥ 1 − ξ (the margin may fall short
of 1 by ξ); the smallest such ξ is the hinge. The GAN discriminator's hinge (claim
gan.discriminator.hinge, ``derivations/gan/hinge.py``) is this loss with real samples labelled +1.
"""

from __future__ import annotations

import sympy
from sympy import Max, Piecewise

from derivspec.core import REAL, Claim, Domain, Step, Var, WrongVariant, claim

SIGNED = Domain("in {-1, 1}", {"integer": True, "nonzero": True}, values=(-1, 1))
Y_PM = Var("y", "y", SIGNED)
F_SCORE = Var("f", "f", REAL)
y, f = Y_PM.symbol, F_SCORE.symbol


def smallest_slack(shortfall: sympy.Expr) -> sympy.Expr:
    """The least ξ with ξ ≥ 0 and ξ ≥ ``shortfall``: 0 where the constraint already holds
    (shortfall ≤ 0), the shortfall itself where it does not."""
    return Piecewise((0, shortfall <= 0), (shortfall, True))


@claim("nll.hinge")
def nll_hinge() -> Claim:
    """max(0, 1 − y f): the smallest slack the soft-margin constraint y f ≥ 1 − ξ, ξ ≥ 0 allows."""
    return Claim(
        title="Hinge loss (soft-margin SVM): max(0, 1 − y·f), labels y ∈ {−1, +1}, f the raw score",
        statement=r"\ell(y, f) = \max(0,\ 1 - y f),\quad y \in \{-1, +1\}",
        variables=(Y_PM, F_SCORE),
        derivation=(
            Step(r"definition: the soft-margin constraint y f \ge 1 - \xi asks the slack \xi to be at least "
                 r"the margin's shortfall 1 - y f", 1 - y * f),
            Step(r"the loss is the smallest slack allowed (\xi \ge 0 as well): 0 where y f \ge 1 already, "
                 r"the shortfall 1 - y f where not", Piecewise((0, y * f >= 1), (1 - y * f, True)), op=smallest_slack),
            Step(r"the two cases are \max(0, 1 - y f)", Max(0, 1 - y * f)),
        ),
        wrong_variants=(
            WrongVariant("no margin: max(0, -y f) (the perceptron loss)", Max(0, -y * f)),
            WrongVariant("the clamp at 0 dropped: 1 - y f", 1 - y * f),
            WrongVariant("labels already in {-1, 1} converted again with 2y - 1", Max(0, 1 - (2 * y - 1) * f)),
            WrongVariant("squared hinge (L2-SVM) where the hinge is meant", Max(0, 1 - y * f) ** 2),
        ),
    )

