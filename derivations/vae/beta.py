r"""β-VAE: the optimal encoder of E_q[log p(x|z)] − β KL(q ‖ p(z)) in the conjugate model.

z ~ N(0, 1), x | z ~ N(wz, s²), q = N(m, v) (the model of the ``elbo`` family); the objective is
concave in m and v and its maximiser is q = N(wx/(w² + βs²), βs²/(w² + βs²)): the exact
posterior at β = 1 (claims elbo.optimal-q.*), the prior N(0, 1) as β → ∞, and a point mass at
x/w as β → 0.

Seeds: 002 L183–188, L216–219, L248–252.
"""

from __future__ import annotations

import sympy

from derivspec.core import Claim, Source, Step, Var, WrongVariant, claim, positive_between
from derivspec.core.lectures import S002
from derivspec.derivations.elbo.conjugate import RECON, M, S, V, W, X, kl_to_prior

BETA = Var("beta", r"\beta", positive_between(0.1, 5))
beta = BETA.symbol
x, w, s, m, v = (var.symbol for var in (X, W, S, M, V))


def objective():
    """E_q[log p(x|z)] − β KL(q ‖ N(0, 1))."""
    return RECON - beta * kl_to_prior()


@claim("vae.beta.optimal-mean")
def vae_beta_optimal_mean() -> Claim:
    """argmax_m [E_q log p(x|z) − β KL(q ‖ N(0,1))] = wx/(w² + βs²)."""
    return Claim(
        title="β-VAE optimal encoder mean in the conjugate model: wx/(w² + βs²) (posterior mean at β = 1, prior mean 0 as β → ∞)",
        statement=r"\arg\max_m\ \mathbb E_q[\log p(x\mid z)] - \beta\,\mathrm{KL}(q\,\|\,\mathcal N(0,1)),\ q = \mathcal N(m, v)",
        variables=(X, W, S, V, BETA),
        derivation=(
            Step(r"definition: the \beta-weighted objective, reconstruction E_q[\log\mathcal N(x; wz, s^2)] and the KL to the prior "
                 r"(claims elbo.recon-kl, kl.gaussian.univariate)", objective()),
            Step("differentiate in m", w * (x - w * m) / s**2 - beta * m, op=lambda e: sympy.diff(e, m)),
            Step("set to zero and solve", w * x / (w**2 + beta * s**2), op=lambda e: sympy.solve(e, m)[0]),
        ),
        wrong_variants=(
            WrongVariant("beta on the reconstruction instead of the KL", beta * w * x / (beta * w**2 + s**2)),
            WrongVariant("beta ignored: the posterior mean", w * x / (w**2 + s**2)),
            WrongVariant("beta dividing the noise", w * x / (w**2 + s**2 / beta)),
        ),
    )


@claim("vae.beta.optimal-variance")
def vae_beta_optimal_variance() -> Claim:
    """argmax_v [E_q log p(x|z) − β KL(q ‖ N(0,1))] = βs²/(w² + βs²)."""
    return Claim(
        title="β-VAE optimal encoder variance: βs²/(w² + βs²) (posterior at β = 1, prior as β → ∞, point mass as β → 0)",
        statement=r"\arg\max_v\ \mathbb E_q[\log p(x\mid z)] - \beta\,\mathrm{KL}(q\,\|\,\mathcal N(0,1)),\ q = \mathcal N(m, v)",
        variables=(X, W, S, M, BETA),
        derivation=(
            Step(r"definition: the \beta-weighted objective (claims elbo.recon-kl, kl.gaussian.univariate)", objective()),
            Step("differentiate in v", -w**2 / (2 * s**2) - beta / 2 + beta / (2 * v), op=lambda e: sympy.diff(e, v)),
            Step("set to zero and solve", beta * s**2 / (w**2 + beta * s**2), op=lambda e: sympy.solve(e, v)[0]),
        ),
        wrong_variants=(
            WrongVariant("beta ignored: the posterior variance", s**2 / (w**2 + s**2)),
            WrongVariant("beta on the reconstruction", s**2 / (beta * w**2 + s**2)),
            WrongVariant("the prior variance 1", sympy.Integer(1)),
        ),
        sources=(
            Source(S002, "216–219", r"**Action**: We want latent code z to be very specific and distinct for every image; Ideally, it wants q(z \mid u) to be a Dirac delta (point mass) exactly at the perfect code. **Effect**: Pushing the variance \sigma^2 \to 0.",
                   expr=sympy.Integer(0), at={"beta": 0},
                   note=r"the reconstruction term alone is the objective at \beta = 0"),
        ),
    )
