r"""Gradients of an expectation under q = N(m, v): reparameterisation vs score function.

Training a VAE needs :math:`\partial_m \mathbb E_{z\sim q}[f(z)]` where q = N(m, v) depends on
the parameter. Two unbiased estimators:

* **reparameterisation** (pathwise; Kingma & Welling 2014): :math:`z = m + \sqrt v\,\varepsilon`,
  :math:`\varepsilon \sim N(0, 1)` does not depend on m, so
  :math:`\partial_m \mathbb E_q[f] = \mathbb E_\varepsilon[f'(m + \sqrt v\,\varepsilon)]`;
* **score function** (REINFORCE, the log-derivative trick; Williams 1992):
  :math:`\partial_m q = q\,\partial_m \log q`, so
  :math:`\partial_m \mathbb E_q[f] = \mathbb E_q[f(z)\,(z - m)/v]`.

The concrete f is :math:`f(z) = z^3`: not quadratic, so the gradient is *not* f'(m) (the
plug-in mistake shows), and both estimators have finite variance. Both derivations end at
:math:`3(m^2 + v)`; the variance claim computes the per-sample variances and finds the
score-function one larger by :math:`(m^6 + 36m^4v + 171m^2v^2 + 78v^3)/v > 0` for every m and
v > 0. (In a VAE, f is the ELBO's integrand log p(x, z) − log q(z).)

Seeds: 002 L169–178; 003 L713–719, L749–753; 004 L1099–1109, L1432–1439, L2565–2571, L2633–2639.
"""

from __future__ import annotations

import sympy
import sympy.stats
from sympy import Rational, sqrt

from derivspec.core import Claim, Source, Step, Var, WrongVariant, claim, positive_between, real_between
from derivspec.core.lectures import S002, S003, S004
from derivspec.derivations.moments import gaussian_expectation
from derivspec.derivations.nll.gaussian import gaussian_nll

M = Var("m", "m", real_between(-2, 2))
V = Var("v", "v", positive_between(0.25, 2))
m, v = M.symbol, V.symbol
z = sympy.Symbol("z", real=True)  # a draw from q = N(m, v)
epsilon = sympy.Symbol("epsilon", real=True)  # standard normal noise, z = m + sqrt(v) epsilon


def f(z_) -> sympy.Expr:
    """The function whose expectation is differentiated: f(z) = z³."""
    return z_**3


def standard_normal_expectation(expr: sympy.Expr) -> sympy.Expr:
    """E over epsilon ~ N(0, 1) (sympy.stats): E[ε^{2k}] = (2k − 1)!!, odd moments 0."""
    return sympy.stats.E(expr.subs(epsilon, sympy.stats.Normal("Epsilon", 0, 1)))


def q_expectation(expr: sympy.Expr) -> sympy.Expr:
    """E over z ~ N(m, v) (sympy.stats)."""
    return sympy.stats.E(expr.subs(z, sympy.stats.Normal("Z", m, sqrt(v))))


LOW_VARIANCE = (r"the reparameterised estimator has the smaller variance for f = z^3 at every m and v > 0 "
                r"(by (m^6 + 36m^4v + 171m^2v^2 + 78v^3)/v); not for every f: for f = \sin(10z) it is the larger")


@claim("elbo.gradient.reparameterisation")
def elbo_gradient_reparameterisation() -> Claim:
    r"""∂_m E_{N(m,v)}[z³] = E_ε[f'(m + √v ε)] = 3(m² + v)."""
    return Claim(
        title="Reparameterisation: ∂/∂m E_{z~N(m,v)}[z³] = E_ε[f'(m + √v ε)] = 3(m² + v)",
        statement=r"\partial_m \mathbb E_{z\sim\mathcal N(m, v)}[z^3] = \mathbb E_{\varepsilon\sim\mathcal N(0,1)}"
                  r"\big[\partial_m (m + \sqrt v\,\varepsilon)^3\big]",
        variables=(M, V),
        derivation=(
            Step(r"definition: reparameterise z = m + \sqrt v\,\varepsilon, \varepsilon \sim \mathcal N(0, 1), so "
                 r"\mathbb E_q[f(z)] = \mathbb E_\varepsilon[f(m + \sqrt v\,\varepsilon)] with f(z) = z^3 and the "
                 r"distribution of \varepsilon free of m", f(m + sqrt(v) * epsilon)),
            Step(r"differentiate inside the expectation (pathwise: the sample moves with m)",
                 3 * (m + sqrt(v) * epsilon) ** 2, op=lambda e: sympy.diff(e, m)),
            Step(r"expectation over \varepsilon: E[\varepsilon] = 0, E[\varepsilon^2] = 1",
                 3 * m**2 + 3 * v, op=lambda e: gaussian_expectation(e, [epsilon], [0], sympy.Matrix([[1]]))),
        ),
        wrong_variants=(
            WrongVariant("f'(m) = 3m^2: the derivative at the mean (the v of E[z^2] = m^2 + v dropped)", 3 * m**2),
            WrongVariant("0: the Monte Carlo average differentiated with its samples held fixed (004 L2628–2631)",
                         sympy.Integer(0)),
            WrongVariant("3(m^2 + sqrt(v)): the standard deviation in place of the variance", 3 * m**2 + 3 * sqrt(v)),
        ),
        sources=(
            Source(S002, "169–178", r"**Trick**: Sample explicit noise \epsilon \sim \mathcal{N}(0, I) and shift it: z = \mu_z + \sigma_z \odot \epsilon ... Now gradients can flow back to \mu and \sigma.",
                   behaviour="gradient_flows_through_the_sample", at={"m": 1.0, "v": 0.25, "seed": 0},
                   correct=r"\partial_m \mathbb E[f(m + \sqrt v\,\varepsilon)] = \mathbb E[f'(z)]: autograd through the sample is unbiased"),
            Source(S003, "713–719", r"y = \mu_\theta(\mathbf{x}) + \sigma_\theta(\mathbf{x}) \cdot \epsilon, \quad \epsilon \sim \mathcal{N}(0, 1); The randomness \epsilon is **outside** the gradient path. \mu_\theta, \sigma_\theta are deterministic \Rightarrow we can **backprop through the sample**.",
                   behaviour="gradient_flows_through_the_sample", at={"m": 1.0, "v": 0.25, "seed": 0},
                   correct=r"\partial_m \mathbb E[f(m + \sqrt v\,\varepsilon)] = \mathbb E[f'(z)]: autograd through the sample is unbiased"),
            Source(S004, "2633–2639", r"Solution: rewrite as deterministic function of auxiliary noise; \mathbf{z} = g_\phi(\boldsymbol{\epsilon}, \mathbf{x}) = \boldsymbol{\mu}_\phi(\mathbf{x}) + \boldsymbol{\sigma}_\phi(\mathbf{x}) \odot \boldsymbol{\epsilon}; Take expectation over \boldsymbol{\epsilon} instead of \mathbf{z}; Gradients flow through encoder",
                   behaviour="gradient_flows_through_the_sample", at={"m": 1.0, "v": 0.25, "seed": 0},
                   correct=r"\partial_m \mathbb E[f(m + \sqrt v\,\varepsilon)] = \mathbb E[f'(z)]: autograd through the sample is unbiased"),
            Source(S004, "1099–1103", r"z = g(\epsilon; \theta), \quad \epsilon \sim p(\epsilon) \quad (34); Example (Gaussian): z = \mu + \sigma\epsilon where \epsilon \sim \mathcal{N}(0, 1)",
                   note="the reparameterisation the derivation starts from (a definition, no value to compare)"),
            Source(S004, "2626–2631", r"Monte Carlo approximation: ... Taking gradient: \nabla_\phi \left[\frac{1}{L} \sum_{l=1}^L f(\mathbf{z}^{(l)}) \right]; **The problem:** Each \mathbf{z}^{(l)} was drawn from q_ϕ but appears as a constant in the sum; **High variance and biased gradients** result from naive Monte Carlo differentiation",
                   note="not compared: with the draws held fixed the sum has no φ in it, so its gradient is 0 by construction; "
                        "the true gradient for f = z³, q = N(m, v) is this claim's 3(m² + v), 3.75 at m = 1, v = 0.25 (next "
                        "source): biased, and with no variance at all; high variance is the score-function estimator's trait "
                        "(claim elbo.gradient.variance)"),
            Source(S004, "2626–2631", r"**The problem:** Each \mathbf{z}^{(l)} was drawn from q_ϕ but appears as a constant in the sum",
                   value=3.75, decimals=2, at={"m": 1, "v": Rational(1, 4)},
                   note="the gradient the fixed draws lose (f = z³, q = N(m, v); the number is ours): ∂/∂m E[z³] = 3.75 at "
                        "m = 1, v = 0.25, where the fixed-draw gradient is 0"),
        ),
    )


@claim("elbo.gradient.score-function")
def elbo_gradient_score_function() -> Claim:
    r"""∂_m E_{N(m,v)}[z³] = E_q[f(z) ∂_m log q(z)] = E_q[z³ (z − m)/v] = 3(m² + v)."""
    return Claim(
        title="Score function (REINFORCE): ∂/∂m E_{z~N(m,v)}[z³] = E_q[z³ (z − m)/v] = 3(m² + v)",
        statement=r"\partial_m \mathbb E_{z\sim q}[z^3] = \mathbb E_{z\sim q}\big[z^3\,\partial_m \log q(z)\big],\ q = \mathcal N(m, v)",
        variables=(M, V),
        derivation=(
            Step(r"definition: \log q(z) = \log \mathcal N(z; m, v) (claim nll.gaussian)", -gaussian_nll(z, m, sqrt(v))),
            Step(r"the score: \partial_m \log q(z)", (z - m) / v, op=lambda e: sympy.diff(e, m)),
            Step(r"log-derivative trick: \partial_m q = q\,\partial_m \log q, so \partial_m \mathbb E_q[f] = "
                 r"\mathbb E_q[f(z)\,\partial_m \log q(z)]; the integrand with f(z) = z^3",
                 z**3 * (z - m) / v, op=lambda e: f(z) * e),
            Step(r"expectation under q: E[z^4] = m^4 + 6m^2v + 3v^2, E[z^3] = m^3 + 3mv",
                 (m**4 + 6 * m**2 * v + 3 * v**2 - m * (m**3 + 3 * m * v)) / v, op=q_expectation),
            Step("collect", 3 * m**2 + 3 * v),
        ),
        wrong_variants=(
            WrongVariant("the score without its 1/v: E[f(z)(z - m)]", 3 * v * (m**2 + v)),
            WrongVariant("the score of N(0, v), z/v, in place of (z - m)/v: E[z^4]/v",
                         (m**4 + 6 * m**2 * v + 3 * v**2) / v),
            WrongVariant("0: E_q[∂_m log q] = 0 taken for E_q[f ∂_m log q]", sympy.Integer(0)),
        ),
        sources=(
            Source(S003, "749–753", r"REINFORCE / RLHF (L16) \mathbb{E}_{\tau \sim \pi} [R(\tau) \nabla \log \pi(\tau)] a few sampled trajectories",
                   behaviour="score_function_estimate_is_unbiased", at={"m": 1.0, "v": 0.25, "seed": 0},
                   correct=r"the sample mean of f(z)\,\partial_m\log q(z), z \sim q, is unbiased for \partial_m \mathbb E_q[f] "
                           r"(only with z drawn from the q whose score is used)",
                   note="R = f, pi = q = N(m, v), the gradient in m"),
        ),
    )


@claim("elbo.gradient.variance")
def elbo_gradient_variance() -> Claim:
    r"""Var[score-function] − Var[reparameterised] per sample, f = z³: (m⁶ + 36m⁴v + 171m²v² + 78v³)/v."""
    score_sq = (m + sqrt(v) * epsilon) ** 6 * epsilon**2 / v
    pathwise_sq = 9 * (m + sqrt(v) * epsilon) ** 4
    return Claim(
        title="For f = z³ the score-function gradient estimator has the larger variance: "
              "Var[f(z)(z−m)/v] − Var[f'(z)] = (m⁶ + 36m⁴v + 171m²v² + 78v³)/v > 0",
        statement=r"\mathrm{Var}\big[f(z)\,\tfrac{z-m}{v}\big] - \mathrm{Var}\big[f'(z)\big],\ f(z) = z^3,\ z \sim \mathcal N(m, v)",
        variables=(M, V),
        derivation=(
            Step(r"definition: with z = m + \sqrt v\,\varepsilon the per-sample estimators are f(z)(z-m)/v = z^3\varepsilon/\sqrt v "
                 r"(score function) and f'(z) = 3z^2 (reparameterised); both have mean \partial_m \mathbb E_q[f] "
                 r"(claims elbo.gradient.score-function, elbo.gradient.reparameterisation), so the difference of their "
                 r"variances is the difference of their second moments", score_sq - pathwise_sq),
            Step(r"expectation over \varepsilon \sim \mathcal N(0,1): E[\varepsilon^2] = 1, E[\varepsilon^4] = 3, "
                 r"E[\varepsilon^6] = 15, E[\varepsilon^8] = 105",
                 (m**6 / v + 45 * m**4 + 225 * m**2 * v + 105 * v**2) - (9 * m**4 + 54 * m**2 * v + 27 * v**2),
                 op=standard_normal_expectation),
            Step(r"collect: every coefficient is positive, so for f = z^3 the reparameterised estimator has the "
                 r"smaller variance at every m and v > 0",
                 (m**6 + 36 * m**4 * v + 171 * m**2 * v**2 + 78 * v**3) / v),
        ),
        wrong_variants=(
            WrongVariant("reversed: Var[reparameterised] - Var[score function]",
                         -(m**6 + 36 * m**4 * v + 171 * m**2 * v**2 + 78 * v**3) / v),
            WrongVariant("the score without its 1/v, (z - m) f(z): its second moment v^2 times too small",
                         v * (m**6 + 45 * m**4 * v + 225 * m**2 * v**2 + 105 * v**3) - (9 * m**4 + 54 * m**2 * v + 27 * v**2)),
            WrongVariant("Gaussian kurtosis forgotten, E[eps^4] = E[eps^2]^2 = 1 in the reparameterised second moment",
                         (m**6 + 36 * m**4 * v + 171 * m**2 * v**2 + 78 * v**3) / v + 18 * v**2),
        ),
        sources=(
            Source(S004, "1105–1109", r"Why this matters: Enables low-variance gradient estimates Kingma and Welling [2014]; Pathwise derivatives through random sampling",
                   behaviour="reparameterisation_has_lower_variance", at={"m": 1.0, "v": 0.25, "seed": 0}, correct=LOW_VARIANCE),
            Source(S004, "1438", r"**Reparameterization trick**: Low-variance gradient estimates Kingma and Welling [2014]",
                   behaviour="reparameterisation_has_lower_variance", at={"m": 1.0, "v": 0.25, "seed": 0}, correct=LOW_VARIANCE),
            Source(S004, "2569–2570", r"Reparameterization trick: \mathbf{z} = \boldsymbol{\mu}_\phi(\mathbf{x}) + \boldsymbol{\sigma}_\phi(\mathbf{x}) \odot \boldsymbol{\epsilon}; Enables low-variance gradient estimates",
                   behaviour="reparameterisation_has_lower_variance", at={"m": 1.0, "v": 0.25, "seed": 0}, correct=LOW_VARIANCE),
            Source(S004, "2637–2638", r"Take expectation over \boldsymbol{\epsilon} instead of \mathbf{z}; Enables low-variance gradient estimates",
                   behaviour="reparameterisation_has_lower_variance", at={"m": 1.0, "v": 0.25, "seed": 0}, correct=LOW_VARIANCE),
        ),
    )
