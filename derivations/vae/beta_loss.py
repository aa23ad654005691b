r"""The β-weighted VAE loss (Higgins et al. 2017, "β-VAE", eq. 4): −[log p(x|z) − β·KL(q ‖ N(0, 1))].

The Bernoulli-decoder VAE loss (claim vae.loss.bernoulli) with the KL weighted by β > 0: BCE summed over
the pixels plus β times the KL; β = 1 is the plain VAE loss, β > 1 presses the posterior toward the prior.
Shown for two pixels and a one-dimensional latent, as vae.loss.bernoulli.
"""

from __future__ import annotations

from sympy import log

from derivspec.core import AnySize, Claim, Step, Var, WrongVariant, claim, positive_between
from derivspec.derivations.vae.loss import (BERNOULLI_ANY_SIZE, MU, PIXELS, PROBS, SIGMA, _kl_sum, bce, kl_standard,
                                           written_bce, written_kl)

BETA = Var("beta", r"\beta", positive_between(0.1, 8))
(x1, x2), (p1, p2) = (v.symbol for v in PIXELS), (v.symbol for v in PROBS)
mu, sigma, beta = MU.symbol, SIGMA.symbol, BETA.symbol


def beta_any_size(vectors, indices):
    """D pixels and J latent dimensions: BCE summed over the pixels + β times the KL summed over the latent
    coordinates; the wrong variants alike."""
    xs, ps, mus, sigmas = vectors["x"], vectors["p"], vectors["mu"], vectors["sigma"]
    reconstruction, kl = sum(written_bce(x, p) for x, p in zip(xs, ps)), _kl_sum(mus, sigmas)
    return reconstruction + beta * kl, {
        "beta on the reconstruction instead of the KL": beta * reconstruction + kl,
        "dividing the KL by beta": reconstruction + kl / beta,
        "beta dropped (the plain VAE loss)": reconstruction + kl,
        "log sigma in place of log sigma^2 in the KL":
            reconstruction + beta * _kl_sum(mus, sigmas, lambda m, s: (m ** 2 + s ** 2 - 1 - log(s)) / 2),
    }


@claim("vae.loss.beta")
def vae_loss_beta() -> Claim:
    """−[Σ_j log Bern(x_j; p_j) − β KL(N(μ, σ²) ‖ N(0, 1))] = Σ_j BCE(x_j, p_j) + β·½(μ² + σ² − 1 − log σ²)."""
    reconstruction = written_bce(x1, p1) + written_bce(x2, p2)
    return Claim(
        title="β-weighted VAE loss (β-VAE): BCE summed over pixels + β·KL(q ‖ N(0,1)) (one example, one z sample)",
        statement=r"-\big[\log p(x\mid z) - \beta\,\mathrm{KL}(\mathcal N(\mu,\sigma^2)\,\|\,\mathcal N(0,1))\big]",
        variables=PIXELS + PROBS + (MU, SIGMA, BETA),
        any_size=AnySize(BERNOULLI_ANY_SIZE.sizes, BERNOULLI_ANY_SIZE.vectors, beta_any_size,
                         correct=r"\sum_{j=1}^{D}\mathrm{BCE}(x_j, p_j) + \beta\,\tfrac12\sum_{l=1}^{J}"
                                 r"(\mu_l^2 + \sigma_l^2 - 1 - \log\sigma_l^2)"),
        derivation=(
            Step(r"definition: the β-weighted objective \log p(x\mid z) - \beta\,\mathrm{KL}(q\,\|\,p(z)) (Higgins et al. "
                 r"2017, eq. 4); \log p(x\mid z) = \sum_j \log\mathrm{Bern}(x_j;p_j) (minus claim nll.bernoulli per pixel), "
                 r"the KL from claim kl.gaussian.univariate",
                 -bce(x1, p1) - bce(x2, p2) - beta * kl_standard(mu, sigma)),
            Step("the loss is minus the objective", reconstruction + beta * written_kl(mu, sigma), op=lambda e: -e),
        ),
        wrong_variants=(
            WrongVariant("beta on the reconstruction instead of the KL", beta * reconstruction + written_kl(mu, sigma)),
            WrongVariant("dividing the KL by beta", reconstruction + written_kl(mu, sigma) / beta),
            WrongVariant("beta dropped (the plain VAE loss)", reconstruction + written_kl(mu, sigma)),
            WrongVariant("log sigma in place of log sigma^2 in the KL",
                         reconstruction + beta * (mu ** 2 + sigma ** 2 - 1 - log(sigma)) / 2),
        ),
    )
