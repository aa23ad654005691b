r"""KL between Gaussians: univariate and to the standard normal.

Seeds: 002 L248–252; 003 L2143–2155.
"""

from __future__ import annotations

import sympy
import sympy.stats
from sympy import Rational, log

from derivspec.core import REAL, Claim, Source, Step, Var, WrongVariant, claim, positive_between, target_of
from derivspec.core.lectures import S002, S003
from derivspec.derivations.moments import gaussian_expectation

MU1, MU2 = Var("mu1", r"\mu_1", REAL), Var("mu2", r"\mu_2", REAL)
SIGMA1, SIGMA2 = (Var(f"sigma{k}", rf"\sigma_{k}", positive_between(0.4, 2.5)) for k in (1, 2))
MU, SIGMA = Var("mu", r"\mu", REAL), Var("sigma", r"\sigma", positive_between(0.3, 2.5))
mu1, mu2, sigma1, sigma2 = MU1.symbol, MU2.symbol, SIGMA1.symbol, SIGMA2.symbol
mu, sigma = MU.symbol, SIGMA.symbol
x = sympy.Symbol("x", real=True)  # the integration variable


def kl_univariate(m1, s1, m2, s2) -> sympy.Expr:
    """KL(N(m1, s1²) ‖ N(m2, s2²)): the target of ``kl.gaussian.univariate`` at other arguments."""
    return target_of("kl.gaussian.univariate").subs({mu1: m1, sigma1: s1, mu2: m2, sigma2: s2}, simultaneous=True)


def univariate_closed_form(m1, s1, m2, s2) -> sympy.Expr:
    """The closed form as lectures write it, for wrong variants and sources."""
    return log(s2 / s1) + (s1**2 + (m1 - m2) ** 2) / (2 * s2**2) - Rational(1, 2)


@claim("kl.gaussian.univariate")
def kl_gaussian_univariate() -> Claim:
    """KL(N(μ₁,σ₁²) ‖ N(μ₂,σ₂²)) = log(σ₂/σ₁) + (σ₁² + (μ₁−μ₂)²)/(2σ₂²) − ½."""
    p_density = sympy.stats.density(sympy.stats.Normal("P", mu1, sigma1))(x)
    q_density = sympy.stats.density(sympy.stats.Normal("Q", mu2, sigma2))(x)
    return Claim(
        title="KL between two univariate Gaussians",
        statement=r"\mathrm{KL}(\mathcal N(\mu_1,\sigma_1^2)\,\|\,\mathcal N(\mu_2,\sigma_2^2))",
        variables=(MU1, SIGMA1, MU2, SIGMA2),
        derivation=(
            Step(r"definition: \mathrm{KL}(p\|q) = \mathbb E_p[\log p(x) - \log q(x)]; the log-ratio of the two densities (sympy.stats.Normal)",
                 log(p_density) - log(q_density)),
            Step(r"expand the logs: the normalisers give \log(\sigma_2/\sigma_1)",
                 log(sigma2 / sigma1) - (x - mu1) ** 2 / (2 * sigma1**2) + (x - mu2) ** 2 / (2 * sigma2**2)),
            Step(r"expectation under p: E[(x-\mu_1)^2] = \sigma_1^2, E[(x-\mu_2)^2] = \sigma_1^2 + (\mu_1-\mu_2)^2",
                 log(sigma2 / sigma1) - Rational(1, 2) + (sigma1**2 + (mu1 - mu2) ** 2) / (2 * sigma2**2),
                 op=lambda e: gaussian_expectation(e, [x], [mu1], sympy.Matrix([[sigma1**2]]))),
            Step("collect", univariate_closed_form(mu1, sigma1, mu2, sigma2)),
        ),
        wrong_variants=(
            WrongVariant("missing -1/2", log(sigma2 / sigma1) + (sigma1**2 + (mu1 - mu2) ** 2) / (2 * sigma2**2)),
            WrongVariant("sigma in place of sigma^2",
                         log(sigma2 / sigma1) + (sigma1 + (mu1 - mu2) ** 2) / (2 * sigma2) - Rational(1, 2)),
            WrongVariant("arguments swapped (KL(q||p))", univariate_closed_form(mu2, sigma2, mu1, sigma1)),
            WrongVariant("log-ratio upside down",
                         log(sigma1 / sigma2) + (sigma1**2 + (mu1 - mu2) ** 2) / (2 * sigma2**2) - Rational(1, 2)),
        ),
        sources=(
            Source(S003, "2143–2147", r"\text{KL}(\mathcal{N}(\mu_1, \sigma_1^2) \parallel \mathcal{N}(\mu_2, \sigma_2^2)) = \log \frac{\sigma_2}{\sigma_1} + \frac{\sigma_1^2 + (\mu_1 - \mu_2)^2}{2\sigma_2^2} - \frac{1}{2}",
                   expr=univariate_closed_form(mu1, sigma1, mu2, sigma2)),
        ),
    )


@claim("kl.gaussian.standard")
def kl_gaussian_standard() -> Claim:
    """KL(N(μ,σ²) ‖ N(0,1)) = ½(μ² + σ² − 1 − log σ²)."""
    return Claim(
        title="KL from a Gaussian to the standard normal",
        statement=r"\mathrm{KL}(\mathcal N(\mu,\sigma^2)\,\|\,\mathcal N(0,1))",
        variables=(MU, SIGMA),
        derivation=(
            Step("univariate Gaussian KL (claim kl.gaussian.univariate)", target_of("kl.gaussian.univariate")),
            Step(r"prior \mathcal N(0, 1): \mu_2 = 0, \sigma_2 = 1",
                 log(1 / sigma) + (sigma**2 + mu**2) / 2 - Rational(1, 2),
                 op=lambda e: e.subs({mu1: mu, sigma1: sigma, mu2: 0, sigma2: 1})),
            Step(r"-\log\sigma = -\tfrac12\log\sigma^2", (mu**2 + sigma**2 - 1 - log(sigma**2)) / 2),
        ),
        wrong_variants=(
            WrongVariant("missing -1", (mu**2 + sigma**2 - log(sigma**2)) / 2),
            WrongVariant("log sigma in place of log sigma^2", (mu**2 + sigma**2 - 1 - log(sigma)) / 2),
            WrongVariant("missing 1/2", mu**2 + sigma**2 - 1 - log(sigma**2)),
            WrongVariant("arguments swapped (KL(N(0,1)||q))", univariate_closed_form(0, 1, mu, sigma)),
        ),
        sources=(
            Source(S003, "2149–2153", r"\text{KL}(\mathcal{N}(\mu, \sigma^2) \parallel \mathcal{N}(0, 1)) = \frac{1}{2} (\mu^2 + \sigma^2 - 1 - \log \sigma^2)",
                   expr=(mu**2 + sigma**2 - 1 - log(sigma**2)) / 2),
            Source(S003, "2155", r"\mu = 1, \sigma = 0.5 \Rightarrow \text{KL} = \frac{1}{2} (1 + 0.25 - 1 + \log 4) \approx 0.82",
                   value=0.82, decimals=2, at={"mu": 1, "sigma": Rational(1, 2)}),
            Source(S002, "248–252", r"Minimize the divergence between the encoder's output q(z \mid u) and the prior p(z) = \mathcal{N}(0, I) ... Pushing mean \mu \to 0 and variance \sigma^2 \to 1",
                   note="a statement about the minimiser (μ = 0, σ² = 1, where this KL is 0); property_tests/test_kl.py checks it"),
        ),
    )
