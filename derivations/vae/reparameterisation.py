r"""The reparameterised sample z = μ + σ ε, ε ~ N(0, 1), has the density N(z; μ, σ²).

Kingma & Welling (2014), sec. 2.4: a sample of q_φ(z|x) = N(μ, σ²I) is written as a deterministic
map of noise, z = μ + σ ⊙ ε with ε ~ N(0, I); per coordinate the map is increasing (σ > 0), so the
density of z follows by change of variables from the CDF: F_Z(z) = Φ((z − μ)/σ). A sample
v = a + b ε is a sample of N(a, b²) (ε symmetric: a − b ε too); ``derivspec scan`` reads a lecture's
reparameterised samples so (``derivspec/scan/reparameterised.py``) and compares the mean a and the
variance b² with the distribution the lecture declares for v.

Seeds: 003 L561–563, L696–705; 004 L1099–1103, L2569; 002 L171–174.
"""

from __future__ import annotations

from sympy import exp, log, pi, sqrt, symbols

from derivspec.core import REAL, Claim, Source, Step, Var, WrongVariant, claim, positive_between
from derivspec.core.lectures import S002, S003, S004
from derivspec.derivations.flow.change_of_variables import std_normal_cdf

Z = Var("z", "z", REAL)
MU = Var("mu", r"\mu", REAL)
SIGMA = Var("sigma", r"\sigma", positive_between(0.3, 2))
z, mu, sigma = Z.symbol, MU.symbol, SIGMA.symbol
eps = symbols("epsilon", real=True)  # the standard-normal noise (integrated out: not a claim variable)


def normal_logpdf(at, mean, variance):
    """log N(at; mean, variance), written out."""
    return -(at - mean) ** 2 / (2 * variance) - log(2 * pi * variance) / 2


SAMPLE = mu + sigma * eps  # the reparameterised sample, as lectures write it
SAMPLE_DENSITY = normal_logpdf(z, mu, sigma**2)


def sample_log_density(mean, scale):
    """log density of mean + scale·ε (scale > 0 or < 0: ε is symmetric): log N(z; mean, scale²)."""
    return normal_logpdf(z, mean, scale**2)


@claim("vae.reparameterisation.sample")
def vae_reparameterisation_sample() -> Claim:
    """log p_Z(z) for z = μ + σε, ε ~ N(0, 1): log N(z; μ, σ²) (the reparameterised sample of q = N(μ, σ²))."""
    return Claim(
        title="Reparameterised sample: z = μ + σε with ε ~ N(0, 1) has the density N(z; μ, σ²)",
        statement=r"\log p_Z(z),\ z = \mu + \sigma\epsilon,\ \epsilon\sim\mathcal N(0, 1)",
        variables=(Z, MU, SIGMA),
        derivation=(
            Step(r"definition: z = \mu + \sigma\epsilon is increasing in \epsilon (\sigma > 0), so "
                 r"F_Z(z) = P(\epsilon \le (z-\mu)/\sigma) = \Phi((z-\mu)/\sigma)",
                 std_normal_cdf((z - mu) / sigma)),
            Step(r"differentiate the CDF in z: p_Z(z) = \varphi((z-\mu)/\sigma)/\sigma",
                 exp(-(z - mu) ** 2 / (2 * sigma**2)) / (sqrt(2 * pi) * sigma), op=lambda e: e.diff(z)),
            Step("take the log", -(z - mu) ** 2 / (2 * sigma**2) - log(sqrt(2 * pi) * sigma), op=log),
            Step(r"collect: \log\mathcal N(z;\mu,\sigma^2), the mean \mu and the variance \sigma^2", SAMPLE_DENSITY),
        ),
        wrong_variants=(
            WrongVariant(r"\mu + \sigma^2\epsilon (the variance as the scale): N(\mu, \sigma^4)",
                         sample_log_density(mu, sigma**2)),
            WrongVariant(r"\mu + \sqrt\sigma\,\epsilon (\sigma read as the variance): N(\mu, \sigma)",
                         sample_log_density(mu, sqrt(sigma))),
            WrongVariant(r"\sigma + \mu\epsilon (mean and scale swapped): N(\sigma, \mu^2)",
                         sample_log_density(sigma, mu)),
        ),
        sources=(
            Source(S003, "703",
                   r"If \epsilon \sim \mathcal{N}(0, 1), then \mu + \sigma\epsilon \sim \mathcal{N}(\mu, \sigma^2)",
                   expr=normal_logpdf(z, mu, sigma**2),
                   note=r"the density of \mathcal N(\mu, \sigma^2) at z, the statement's law of \mu + \sigma\epsilon"),
            Source(S003, "696–705",
                   r"Return y = \mu + \sigma \cdot \epsilon; the affine transform of a Gaussian is a Gaussian",
                   behaviour="reparameterised_sample_fits_its_normal", at={"mu": 0.7, "sigma": 1.6},
                   correct=r"samples \mu + \sigma\epsilon, \epsilon \sim \mathcal N(0, 1), "
                           r"fit \mathcal N(\mu, \sigma^2)"),
            Source(S003, "561–563", r"z = \mu + \sigma \cdot \epsilon, \quad \epsilon \sim \mathcal{N}(0, 1)",
                   expr=sample_log_density(mu, sigma),
                   note=r"the sample as written; its density by the same change of variables"),
            Source(S004, "1103", r"Example (Gaussian): z = \mu + \sigma\epsilon where \epsilon \sim \mathcal{N}(0, 1)",
                   expr=sample_log_density(mu, sigma),
                   note=r"the sample as written; its density by the same change of variables"),
            Source(S004, "2569", r"Reparameterization trick: \mathbf{z} = \boldsymbol{\mu}_\phi(\mathbf{x}) + "
                                 r"\boldsymbol{\sigma}_\phi(\mathbf{x}) \odot \boldsymbol{\epsilon} where "
                                 r"\boldsymbol{\epsilon} \sim \mathcal{N}(\mathbf{0}, \mathbf{I})",
                   expr=sample_log_density(mu, sigma),
                   note=r"per coordinate (\odot, \mathbf I): one coordinate's density, \mu_\phi(x) read as \mu and "
                        r"\sigma_\phi(x) as \sigma"),
            Source(S002, "171–174", r"z = \mu_z + \sigma_z \odot \epsilon, \epsilon \sim \mathcal{N}(0, I)",
                   expr=sample_log_density(mu, sigma),
                   note=r"per coordinate; \mu_z read as \mu and \sigma_z as \sigma"),
        ),
    )
