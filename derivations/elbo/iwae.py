r"""The importance-weighted (IWAE) bound, worked exactly in a small fixed case.

With importance weights :math:`w(z) = p(x, z)/q(z)` and :math:`z_1, \dots, z_K` drawn i.i.d.
from q, the IWAE bound (Burda et al. 2016) is

.. math::  \mathcal L_K = \mathbb E\Big[\log \frac1K \sum_{k=1}^K w(z_k)\Big].

Since :math:`\mathbb E_q[w] = p(x)` (importance sampling, 004 L1291–1293), Jensen gives
:math:`\mathcal L_K \le \log p(x)`; :math:`\mathcal L_1` is the ELBO, and
:math:`\mathcal L_K` is non-decreasing in K.

The small case done exactly: a latent with two values, z ∈ {0, 1}, proposal q(z = 1) = r,
and the two importance weights :math:`w_0 = p(x, 0)/(1 - r)`, :math:`w_1 = p(x, 1)/r` (any
model with a two-point latent reduces to these three numbers). Then
:math:`\log p(x) = \log((1-r)w_0 + r w_1)`, :math:`\mathcal L_1 = (1-r)\log w_0 + r\log w_1`, and
summing over the four outcomes of :math:`(z_1, z_2)`

.. math::  \mathcal L_2 = \mathcal L_1 + 2r(1-r)\log\frac{(w_0 + w_1)/2}{\sqrt{w_0 w_1}},

where the added term is ≥ 0 (arithmetic ≥ geometric mean), zero only when the weights are
equal (q proportional to the posterior). That the bound keeps tightening for larger K is a
behaviour source, run on the reference VAE (``numerics/elbo.py``).

Seeds: 004 L1291–1301 (importance sampling, the IWAE).
"""

from __future__ import annotations

import sympy
import sympy.stats
from sympy import log, sqrt

from derivspec.core import UNIT_INTERVAL, Claim, Source, Step, Var, WrongVariant, claim, positive_between
from derivspec.core.lectures import S004

W0 = Var("w0", "w_0", positive_between(0.05, 3))
W1 = Var("w1", "w_1", positive_between(0.05, 3))
R = Var("r", "r", UNIT_INTERVAL)
w0, w1, r = (var.symbol for var in (W0, W1, R))
z1, z2 = sympy.symbols("z1 z2", integer=True, nonnegative=True)  # the two draws, each 0 or 1


def weight(z) -> sympy.Expr:
    """w(z) for z ∈ {0, 1}: w_0 at z = 0, w_1 at z = 1."""
    return w1**z * w0 ** (1 - z)


def elbo_two_point() -> sympy.Expr:
    """L_1 = E_q[log w(z)], the ELBO of the two-point case."""
    return (1 - r) * log(w0) + r * log(w1)


def log_evidence_two_point() -> sympy.Expr:
    """log p(x) = log E_q[w(z)] (importance sampling)."""
    return log((1 - r) * w0 + r * w1)


@claim("elbo.iwae.bound")
def elbo_iwae_bound() -> Claim:
    r"""L_2 = E[log ½(w(z_1) + w(z_2))] = L_1 + 2r(1−r) log(½(w_0 + w_1)/√(w_0 w_1))."""
    draws = {z1: sympy.stats.Bernoulli("Z1", r), z2: sympy.stats.Bernoulli("Z2", r)}
    iwae_2 = elbo_two_point() + 2 * r * (1 - r) * log((w0 + w1) / (2 * sqrt(w0 * w1)))
    return Claim(
        title="IWAE bound with K = 2 samples for a two-point latent: ELBO = L_1 ≤ L_2 ≤ log p(x)",
        statement=r"\mathcal L_2 = \mathbb E_{z_1, z_2 \sim q}\Big[\log \tfrac12\big(w(z_1) + w(z_2)\big)\Big],\ "
                  r"w(z) = \frac{p(x, z)}{q(z)},\ z \in \{0, 1\},\ q(1) = r",
        variables=(W0, W1, R),
        derivation=(
            Step(r"definition: the log of the average of K = 2 importance weights, w(z) = w_1^z w_0^{1-z} for z \in \{0, 1\}",
                 log((weight(z1) + weight(z2)) / 2)),
            Step(r"expectation over z_1, z_2 i.i.d. with q(1) = r (sympy.stats.Bernoulli): the four outcomes, "
                 r"the two mixed ones with the same average (w_0 + w_1)/2",
                 (1 - r) ** 2 * log(w0) + 2 * r * (1 - r) * log((w0 + w1) / 2) + r**2 * log(w1),
                 op=lambda e: sympy.stats.E(e.subs(draws))),
            Step(r"regroup around \mathcal L_1 = (1-r)\log w_0 + r\log w_1 (the ELBO): the IWAE gain is 2r(1-r) times "
                 r"the log of the arithmetic over the geometric mean of the weights, \ge 0", iwae_2),
        ),
        wrong_variants=(
            WrongVariant("the ELBO L_1: the logs of the two weights averaged (log outside the sum)", elbo_two_point()),
            WrongVariant("log p(x): the log of the averaged weight (Jensen's gap ignored)", log_evidence_two_point()),
            WrongVariant("1/K dropped inside the log: log(w(z_1) + w(z_2))", iwae_2 + log(2)),
            WrongVariant("the mixed outcomes counted once: r(1-r) log((w_0 + w_1)/2)",
                         (1 - r) ** 2 * log(w0) + r * (1 - r) * log((w0 + w1) / 2) + r**2 * log(w1)),
        ),
        sources=(
            Source(S004, "1301", r"Importance Weighted Autoencoder Burda et al. [2016] uses multiple importance samples for tighter likelihood bounds.",
                   behaviour="iwae_tightens_with_k", at={"proposal_scale": 2.0, "k_max": 500},
                   correct=r"\mathcal L_1 = \mathrm{ELBO} \le \mathcal L_K \le \mathcal L_{K'} \le \log p(x) for K \le K', "
                           r"strictly below \log p(x) unless q = p(z\mid x)"),
            Source(S004, "1291–1293", r"p(x|\theta) = \int p(x, z|\theta)dz = \mathbb{E}_{q(z)} \left[\frac{p(x, z|\theta)}{q(z)} \right] \quad (43)",
                   note="the identity E_q[w] = p(x) behind the bound (here log p(x) = log((1-r)w_0 + r w_1), a wrong "
                        "variant of L_2); it states p(x), not the bound, so it is not compared with the target"),
            Source(S004, "1295–1297", r"\hat{p}(x|\theta) = \frac{1}{K} \sum_{k=1}^K \frac{p(x, z_k|\theta)}{q(z_k)}, \quad z_k \sim q(z) \quad (44)",
                   note="the estimator whose expected log is the bound, L_K = E[log p-hat]; an estimator, not a value "
                        "to compare"),
        ),
    )
