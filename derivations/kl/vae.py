r"""The VAE regulariser: KL(N(μ, diag σ²) ‖ N(0, I)) = ½ Σ_j (μ_j² + σ_j² − 1 − log σ_j²), d = 2.

Seeds: 002 L183–188 (the β-weighted KL term of the loss); 003 L2153 (the one-dimensional term
"is the exact term that shows up in the VAE loss").
"""

from __future__ import annotations

import sympy
from sympy import Rational, log

from derivspec.core import (POSITIVE, REAL, Claim, Recognise, Sizes, Source, Step, Var, WrongVariant, claim,
                            positive_between, target_of)
from derivspec.core.lectures import S002, S003
from derivspec.derivations.kl.gaussian import a_diag, b_diag, mu, sigma, u, v

VAE_MU = tuple(Var(f"mu{j}", rf"\mu_{j}", REAL) for j in (1, 2))
VAE_SIGMA = tuple(Var(f"sigma{j}", rf"\sigma_{j}", positive_between(0.3, 2.5)) for j in (1, 2))
vae_mu, vae_sigma = [w.symbol for w in VAE_MU], [w.symbol for w in VAE_SIGMA]


def vae_regulariser(mus, sigmas):
    """½ Σ_j (μ_j² + σ_j² − 1 − log σ_j²)."""
    return sum(m**2 + s**2 - 1 - log(s**2) for m, s in zip(mus, sigmas)) / 2


def vae_regulariser_general(count, mean, std) -> sympy.Expr:
    r"""KL(N(μ, diag σ²) ‖ N(0, I)) in ``count`` dimensions, the coordinates ``mean(j)``, ``std(j)``.

    The density of a diagonal Gaussian is the product of its coordinates' densities, so the log-ratio
    log q(z) − log p(z) is the sum of the coordinates' log-ratios and its expectation the sum of their
    expectations: the KL of independent products adds. Each term is the target of kl.gaussian.standard
    at (μ_j, σ_j); at count = 2 this is the target of kl.vae-regulariser (property_tests/test_scan_vae_kl.py).
    """
    j = sympy.Symbol("j", integer=True, positive=True)
    one = target_of("kl.gaussian.standard").subs({mu: mean(j), sigma: std(j)}, simultaneous=True)
    return sympy.Sum(sympy.expand(one), (j, 1, count))


_VAE_KL = Sizes(vae_regulariser_general, item=r"\mu", derived_at=2, domain=POSITIVE, families=(r"\mu", r"\sigma"),
                correct=r"\frac12\sum_{j=1}^{J}\left(\mu_j^2 + \sigma_j^2 - 1 - \log\sigma_j^2\right)")


@claim("kl.vae-regulariser")
def kl_vae_regulariser() -> Claim:
    """KL(N(μ, diag σ²) ‖ N(0, I)) = ½ Σ_j (μ_j² + σ_j² − 1 − log σ_j²) for d = 2."""
    encoder_and_prior = {u[0]: vae_mu[0], u[1]: vae_mu[1], a_diag[0]: vae_sigma[0], a_diag[1]: vae_sigma[1],
                         v[0]: 0, v[1]: 0, b_diag[0]: 1, b_diag[1]: 1}
    return Claim(
        title="VAE regulariser: KL(N(μ, diag σ²) ‖ N(0, I)) = ½ Σ (μ² + σ² − 1 − log σ²)",
        statement=r"\mathrm{KL}(\mathcal N(\mu,\mathrm{diag}(\sigma^2))\,\|\,\mathcal N(0,I)),\ d=2",
        recognise=(Recognise(r"\mathrm{KL}(\mathcal N(\mu, \mathrm{diag}(\sigma^2)) \| \mathcal N(0, I))",
                             sizes=_VAE_KL),),
        variables=VAE_MU + VAE_SIGMA,
        derivation=(
            Step("diagonal Gaussian KL (claim kl.gaussian.diagonal)", target_of("kl.gaussian.diagonal")),
            Step(r"encoder q = \mathcal N(\mu, \mathrm{diag}\,\sigma^2), prior \mathcal N(0, I): "
                 r"\sum_j [\log(1/\sigma_j) + (\sigma_j^2 + \mu_j^2)/2 - \tfrac12]",
                 sum(log(1 / s) + (s**2 + m**2) / 2 - Rational(1, 2) for m, s in zip(vae_mu, vae_sigma)),
                 op=lambda e: e.subs(encoder_and_prior, simultaneous=True)),
            Step(r"each coordinate is kl.gaussian.standard: -\log\sigma_j = -\tfrac12\log\sigma_j^2, so "
                 r"\tfrac12\sum_j(\mu_j^2+\sigma_j^2-1-\log\sigma_j^2)",
                 vae_regulariser(vae_mu, vae_sigma)),
        ),
        wrong_variants=(
            WrongVariant("log sigma in place of log sigma^2",
                         sum(m**2 + s**2 - 1 - log(s) for m, s in zip(vae_mu, vae_sigma)) / 2),
            WrongVariant("sign flipped (as a reward)", -vae_regulariser(vae_mu, vae_sigma)),
            WrongVariant("missing 1/2", 2 * vae_regulariser(vae_mu, vae_sigma)),
            WrongVariant("missing -1 (the 1 of -1/2 sum(1 + log sigma^2 - mu^2 - sigma^2))",
                         vae_regulariser(vae_mu, vae_sigma) + len(vae_mu) * Rational(1, 2)),
        ),
        sources=(
            Source(S003, "2153", r"This is the exact term that shows up in the VAE loss (L19) — pulling the encoder's posterior toward a standard-normal prior.",
                   note="refers to the one-dimensional term (kl.gaussian.standard); no seed writes the d-dimensional sum"),
            Source(S002, "183–188", r"\mathcal{L} = \Vert x - \hat{x}\Vert^2 + \beta \cdot D_{KL}(\mathcal{N}(\mu_z, \sigma_z) \Vert \mathcal{N}(0, I))",
                   nothing_to_compare=True, note="names the KL term without a closed form (the second argument of N is written sigma_z, elsewhere a variance)"),
        ),
    )
