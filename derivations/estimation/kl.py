r"""MLE = argmin KL(p_data ‖ p_θ) for the Gaussian family.

With data from p = N(m, s²) and the model q_θ = N(μ, σ²), the expected NLL (cross-entropy)
minus KL(p ‖ q_θ) is the entropy of p, whatever θ = (μ, σ): the two objectives differ by a
θ-free constant, so they have the same minimisers (μ, σ) = (m, s) -- the population version
of the MLE. The categorical version is claim ``kl.mle-forward``.

Seeds: 004 L1597–1609 (eqs. 59–61).
"""

from __future__ import annotations

import sympy
from sympy import E, log, pi

from derivspec.core import REAL, Claim, Source, Step, Var, WrongVariant, claim, positive_between
from derivspec.core.lectures import S004
from derivspec.derivations.estimation.gaussian import gaussian_entropy
from derivspec.derivations.kl.gaussian import kl_univariate
from derivspec.derivations.moments import gaussian_expectation
from derivspec.derivations.nll.gaussian import gaussian_nll

M = Var("m", "m", REAL)
S = Var("s", "s", positive_between(0.5, 2))
MU = Var("mu", r"\mu", REAL)
SIGMA = Var("sigma", r"\sigma", positive_between(0.5, 2))
m, s, mu, sigma = (v.symbol for v in (M, S, MU, SIGMA))
y = sympy.Symbol("y", real=True)


@claim("estimation.mle-kl.gaussian")
def estimation_mle_kl_gaussian() -> Claim:
    """E_p[−log q_θ] − KL(p ‖ q_θ) = h(p) = ½ log(2πe s²) for p = N(m, s²), q_θ = N(μ, σ²)."""
    cross_entropy = log(2 * pi * sigma**2) / 2 + (s**2 + (m - mu) ** 2) / (2 * sigma**2)
    entropy = log(2 * pi * E * s**2) / 2
    return Claim(
        title="MLE = argmin forward KL for Gaussians: expected NLL − KL(p_data ‖ p_θ) = h(p_data), free of θ",
        statement=r"\mathbb E_{y\sim\mathcal N(m,s^2)}[-\log\mathcal N(y;\mu,\sigma^2)] - \mathrm{KL}(\mathcal N(m,s^2)\,\|\,\mathcal N(\mu,\sigma^2))",
        variables=(M, S, MU, SIGMA),
        derivation=(
            Step(r"definition: the expected NLL of the model under the data distribution; its integrand from claim nll.gaussian",
                 gaussian_nll(y, mu, sigma)),
            Step(r"expectation over y \sim \mathcal N(m, s^2): E[(y-\mu)^2] = s^2 + (m-\mu)^2", cross_entropy,
                 op=lambda e: gaussian_expectation(e, [y], [m], sympy.Matrix([[s**2]]))),
            Step(r"subtract \mathrm{KL}(\mathcal N(m,s^2)\|\mathcal N(\mu,\sigma^2)) (claim kl.gaussian.univariate): every \mu, \sigma term cancels",
                 log(2 * pi * s**2) / 2 + sympy.Rational(1, 2), op=lambda e: e - kl_univariate(m, s, mu, sigma)),
            Step(r"the entropy of the data distribution (claim estimation.gaussian.entropy): free of \theta = (\mu, \sigma), so "
                 r"argmin expected NLL = argmin KL", entropy),
        ),
        wrong_variants=(
            WrongVariant("KL added instead of subtracted", cross_entropy + kl_univariate(m, s, mu, sigma)),
            WrongVariant("minus the entropy (E_p[log p] taken as +h)", -entropy),
            WrongVariant("the reverse KL subtracted", cross_entropy - kl_univariate(mu, sigma, m, s)),
        ),
        sources=(
            Source(S004, "1523–1525", r"Most learning objectives require evaluating p(x|\theta): **Maximum Likelihood:** Maximize \sum_{i=1}^n \log p(x_i|\theta)",
                   note="the objective; for Gaussian data its population version is minus this claim's expected NLL"),
            Source(S004, "1587–1593", r"Why We Focus on KL: Direct equivalence to maximum likelihood; Computationally tractable gradients; Information-theoretic interpretation (coding theory, compression)",
                   note="the equivalence is this claim (expected NLL and KL differ by the theta-free entropy); the rest is not comparable"),
            Source(S004, "1603–1607", r"\arg \min_{\theta} D_{\text{KL}}(p_{\text{data}}||p_{\theta}) = \arg \min_{\theta} \mathbb{E}_{x \sim p_{\text{data}}} [\log p_{\text{data}}(x) - \log p_{\theta}(x)] (59) = \arg \max_{\theta} \mathbb{E}_{x \sim p_{\text{data}}} [\log p_{\theta}(x)] (60) = \arg \max_{\theta} \sum_{i=1}^n \log p_{\theta}(x_i) (61)",
                   note="argmin statements; they follow because expected NLL - KL (this claim's target) is free of theta; "
                        "(61) replaces p_data by the sample (estimation.gaussian.mean/.variance)"),
            Source(S004, "1609", r"The first term \mathbb{E}[\log p_{\text{data}}(x)] is constant w.r.t. \theta.",
                   expr=-gaussian_entropy(s), to_target=lambda written: -written,
                   note=r"E_p[\log p] = -h(p) for p_data = N(m, s^2); the target (expected NLL - KL) is minus this term"),
        ),
    )
