r"""Laplace negative log-likelihood: −log Laplace(y; μ, b) = |y − μ|/b + log 2b, the L1 (absolute) loss.

"Laplace noise → L1 loss" (000 L442–447, L450, L597–606; 003 L1280): for a fixed scale b the NLL is a
positive affine function of |y − μ|, so its minimiser over μ is the MAE minimiser (the conditional
median, claim estimation.minimiser.median). The Laplace density against a Gaussian of the same
variance: a higher peak and heavier tails (003 L1645; the behaviour check laplace_peak_and_tails).

Seeds: 000 L442–447, L450, L597–606; 003 L1280, L1645.
"""

from __future__ import annotations

import sympy
import sympy.stats
from sympy import Abs, exp, log

from derivspec.core import POSITIVE, Claim, Source, Step, Var, WrongVariant, claim
from derivspec.core.claims import Recognise
from derivspec.core.lectures import S000, S003, S004
from derivspec.derivations.nll.gaussian import MU, Y, mu, y

B = Var("b", "b", POSITIVE)
b = B.symbol
L1_NOTE = "for a fixed scale b the NLL is |y − μ|/b + log 2b: a positive multiple of the L1 loss plus a constant"


@claim("nll.laplace")
def nll_laplace() -> Claim:
    """−log Laplace(y; μ, b) = |y − μ|/b + log(2b)."""
    density = sympy.stats.density(sympy.stats.Laplace("L", mu, b))(y)
    return Claim(
        title="Laplace negative log-likelihood is the absolute (L1) error: |y − μ|/b + log 2b",
        recognise=(
            Recognise(r"-\log \mathrm{Laplace}(y; \mu, b)", const_free_of=("y", "mu")),
            Recognise(r"\log \mathrm{Laplace}(y; \mu, b)", value=lambda t: -t, const_free_of=("y", "mu")),
        ),
        statement=r"-\log \mathrm{Laplace}(y;\mu,b)",
        variables=(Y, MU, B),
        derivation=(
            Step(r"definition: density of Laplace(\mu, b) (sympy.stats.Laplace): e^{-|y-\mu|/b}/(2b)", density),
            Step("take minus the log: the normaliser and the exponent separate",
                 -log(exp(-Abs(y - mu) / b) / (2 * b)), op=lambda e: -log(e)),
            Step(r"-\log(e^{-|y-\mu|/b}/(2b)) = |y-\mu|/b + \log 2b", Abs(y - mu) / b + log(2 * b)),
        ),
        wrong_variants=(
            WrongVariant("squared error (the Gaussian's exponent)", (y - mu) ** 2 / b + log(2 * b)),
            WrongVariant("normaliser log b (the 2 dropped)", Abs(y - mu) / b + log(b)),
            WrongVariant("scale b multiplying the error", b * Abs(y - mu) + log(2 * b)),
        ),
        sources=(
            Source(S000, "442–447", r"Laplace(\hat x, b) | Heavy-tailed noise | L1 loss",
                   expr=Abs(y - mu), relation="affine", free_of=("y", "mu"), note=L1_NOTE),
            Source(S000, "450", r"MAE Loss - Laplace Noise ... \mathcal L(y, \hat y) = |y - \hat y|",
                   expr=Abs(y - mu), relation="affine", free_of=("y", "mu"), note=L1_NOTE),
            Source(S000, "597–606", r"x = \hat x_\theta + \varepsilon, \varepsilon \sim p_\varepsilon(\cdot) ... Laplace noise assume mostly clean data, but occasionally huge outliers *L1*",
                   expr=Abs(y - mu), relation="affine", free_of=("y", "mu"),
                   note=L1_NOTE + "; 'mostly clean, occasional outliers' is the heavier tail against a Gaussian of the same "
                                  "variance (003 L1645, behaviour check laplace_peak_and_tails)"),
            Source(S003, "1280", r"If the noise had been Laplace ( \epsilon \sim \text{Laplace} ), the same derivation would give MAE (mean absolute error) instead.",
                   expr=Abs(y - mu), relation="affine", free_of=("y", "mu"), note=L1_NOTE + " (one example of the mean)"),
            Source(S003, "1645", r"p(\theta_j) = \text{Laplace}(0, b) — same idea (centred at zero) but **heavier tails and a sharper peak at zero**",
                   behaviour="laplace_peak_and_tails", at={"b": 1.0},
                   correct="against the Gaussian of the same variance 2b², the Laplace density is higher at 0 "
                           "(1/(2b) > 1/(2b√π)) and higher in the tails (e^{−|θ|/b} decays slower than e^{−θ²/(4b²)})"),
            Source(S004, "1674–1678", r"Different priors induce different regularizers: ... Laplace prior: L1 regularization (lasso)",
                   expr=Abs(y), relation="affine", free_of=("y",), at={"mu": 0},
                   note=r"a prior Laplace(0, b) on a weight y: its -\log density is |y|/b plus a constant, an L1 penalty "
                        r"(the lasso weight in a loss is map.laplace-prior.l1)"),
        ),
    )
