r"""The squared error (per-example MSE): (y − μ)² = 2·(−log N(y; μ, 1)) − log 2π.

The loss regression code writes most (``F.mse_loss(..., reduction='none')``, ``((y - y_hat)**2)``) is the
Gaussian negative log-likelihood at unit variance, doubled and without its constant: a positive affine
map of it, so the two share their minimiser (claim nll.gaussian.mse-scale for any σ). Its batch mean
is ``F.mse_loss``'s default (a reduction: ``conform --convention reduction=mean``).
"""

from __future__ import annotations

import sympy
import sympy.stats
from sympy import exp, log, pi, sqrt

from derivspec.core import Claim, Step, WrongVariant, claim
from derivspec.derivations.nll.gaussian import MU, Y, mu, y


@claim("nll.mse")
def nll_mse() -> Claim:
    """(y − μ)² from the unit-variance Gaussian NLL: 2·(−log N(y; μ, 1)) − log 2π."""
    density = sympy.stats.density(sympy.stats.Normal("Y", mu, 1))(y)
    return Claim(
        title="Squared error (per-example MSE): (y − μ)² = 2·(−log N(y; μ, 1)) − log 2π",
        statement=r"(y-\mu)^2 = 2\,\big(-\log\mathcal N(y;\mu,1)\big) - \log 2\pi",
        variables=(Y, MU),
        derivation=(
            Step(r"definition: density of N(\mu, 1) (sympy.stats.Normal) at y: e^{-(y-\mu)^2/2}/\sqrt{2\pi}", density),
            Step("take minus the log", -log(exp(-(y - mu) ** 2 / 2) / sqrt(2 * pi)), op=lambda e: -log(e)),
            Step(r"-\log(e^{-(y-\mu)^2/2}/\sqrt{2\pi}) = (y-\mu)^2/2 + \tfrac12\log 2\pi", (y - mu) ** 2 / 2 + log(2 * pi) / 2),
            Step(r"double it and drop the constant \log 2\pi: a positive affine map, so the same minimiser",
                 (y - mu) ** 2, op=lambda e: 2 * e - log(2 * pi)),
        ),
        wrong_variants=(
            WrongVariant("absolute error in place of the square (the Laplace NLL's loss)", sympy.Abs(y - mu)),
            WrongVariant("difference of squares y^2 - mu^2 (squared each, not the residual)", y ** 2 - mu ** 2),
            WrongVariant("residual with a sign slip: (y + mu)^2", (y + mu) ** 2),
        ),
    )
