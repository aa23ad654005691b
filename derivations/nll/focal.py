r"""The binary focal loss (Lin et al. 2017, "Focal Loss for Dense Object Detection", eq. 4):
FL(p_t) = −(1 − p_t)^γ log p_t, with p_t = p when y = 1 and 1 − p when y = 0.

The cross-entropy of the observed class (claim nll.bernoulli), each example weighted by the modulating
factor (1 − p_t)^γ, which shrinks the loss of well-classified examples (p_t near 1); γ = 0 gives the
cross-entropy back.
"""

from __future__ import annotations

import sympy
from sympy import log

from derivspec.core import POSITIVE, Claim, Step, Var, WrongVariant, claim
from derivspec.derivations.nll.bernoulli import P, Y01

GAMMA = Var("gamma", r"\gamma", POSITIVE)
y, p, gamma = Y01.symbol, P.symbol, GAMMA.symbol
P_T = y * p + (1 - y) * (1 - p)  # the probability the model gives the observed class (y in {0, 1})


@claim("nll.focal")
def nll_focal() -> Claim:
    """−(1 − p_t)^γ log p_t: the observed class's cross-entropy times the modulating factor."""
    return Claim(
        title="Binary focal loss: −(1 − p_t)^γ log p_t, p_t the probability of the observed class (Lin et al. 2017)",
        statement=r"\mathrm{FL}(p_t) = -(1-p_t)^\gamma \log p_t,\quad p_t = y\,p + (1-y)(1-p)",
        variables=(Y01, P, GAMMA),
        derivation=(
            Step(r"definition: the cross-entropy of the observed class, -\log p_t with p_t = y p + (1-y)(1-p) "
                 r"(for y \in \{0, 1\} it is claim nll.bernoulli)", -log(P_T)),
            Step(r"definition: weight it by the modulating factor (1 - p_t)^\gamma (Lin et al. 2017, eq. 4)",
                 -(1 - P_T) ** gamma * log(P_T), op=lambda e: (1 - P_T) ** gamma * e),
        ),
        wrong_variants=(
            WrongVariant("modulating factor p_t^gamma (easy examples weighted up)", -P_T ** gamma * log(P_T)),
            WrongVariant("modulating factor on the wrong class's probability: (1 - p)^gamma for both classes",
                         -(1 - p) ** gamma * log(P_T)),
            WrongVariant("the power gamma dropped: -(1 - p_t) log p_t", -(1 - P_T) * log(P_T)),
        ),
    )
