r"""EM for a two-component Gaussian mixture: the bound it climbs and its closed-form M-step.

* The gap: for any q(z) over a two-point latent with joint values j_1 = p(x, z=1), j_2 =
  p(x, z=2), log p(x) − ELBO(q) = KL(q ‖ p(z | x)); the E-step sets q = p(z | x) and closes it,
  so EM is coordinate ascent on the ELBO and the log-likelihood never decreases;
* the M-step maximises Σ_i γ_i log(π N(x_i; μ, s²)) in closed form (three points derived; any n
  checked by the reference model): μ = Σγx/Σγ, s² = Σγ(x − μ)²/Σγ, π = Σγ/n;
* from a symmetric start (μ_1 = μ_2, equal variances and weights) every responsibility is ½ and
  both means move to the sample mean, where they stay: a fixed point that is not a maximum.

Seeds: 004 L994, L2108–2127.
"""

from __future__ import annotations

import sympy
from sympy import log, pi, sqrt

from derivspec.core import (REAL, UNIT_INTERVAL, Claim, Defined, Recognise, Source, Step, Var, WrongVariant, claim,
                            positive_between, target_of)
from derivspec.core.lectures import S004
from derivspec.derivations.nll.gaussian import gaussian_nll

J1 = Var("j1", "j_1", positive_between(0.05, 3))
J2 = Var("j2", "j_2", positive_between(0.05, 3))
R = Var("r", "r", UNIT_INTERVAL)
j1, j2, r = (v.symbol for v in (J1, J2, R))
GAMMAS = tuple(Var(f"g{i}", rf"\gamma_{i}", UNIT_INTERVAL) for i in (1, 2, 3))
XS = tuple(Var(f"x{i}", f"x_{i}", REAL) for i in (1, 2, 3))
M = Var("m", "m", REAL)
S = Var("s", "s", positive_between(0.4, 2.5))
gs, xs = [v.symbol for v in GAMMAS], [v.symbol for v in XS]
m, s = M.symbol, S.symbol
mu = sympy.Symbol("mu", real=True)
v = sympy.Symbol("v", positive=True)
w = sympy.Symbol("w", positive=True)


def weighted_mean():
    return sum(g * xi for g, xi in zip(gs, xs)) / sum(gs)


def posterior_kl(q1):
    """KL(q ‖ p(z|x)) for q(1) = q1, p(1|x) = j1/(j1 + j2)."""
    return q1 * log(q1 * (j1 + j2) / j1) + (1 - q1) * log((1 - q1) * (j1 + j2) / j2)


EM_PROPERTIES = r"EM climbs the ELBO by coordinate ascent: the E-step makes the bound tight (gap 0), so log p never decreases"


@claim("latent.em.gap")
def latent_em_gap() -> Claim:
    """log p(x) − E_q[log p(x, z) − log q(z)] = KL(q ‖ p(z|x)) for a two-point latent."""
    elbo = r * log(j1 / r) + (1 - r) * log(j2 / (1 - r))
    return Claim(
        title="EM's bound: log p(x) − ELBO(q) = KL(q ‖ p(z|x)); the E-step (q = p(z|x)) closes the gap",
        statement=r"\log p(x) - \mathbb E_q[\log p(x,z) - \log q(z)],\ z\in\{1,2\},\ q(1) = r,\ p(x, z) = j_z",
        variables=(J1, J2, R),
        derivation=(
            Step(r"definition: p(x) = j_1 + j_2 (sum over z); the ELBO E_q[\log p(x,z) - \log q(z)] = r\log(j_1/r) + (1-r)\log(j_2/(1-r))",
                 log(j1 + j2) - elbo),
            Step(r"write \log p(x) = r\log p(x) + (1-r)\log p(x) and collect: \mathrm{KL}(q\,\|\,p(z\mid x)) with p(z=1\mid x) = j_1/(j_1+j_2); "
                 r"zero exactly when r = j_1/(j_1+j_2) (the E-step)", posterior_kl(r)),
        ),
        wrong_variants=(
            WrongVariant("KL(p(z|x) || q): the wrong direction",
                         j1 / (j1 + j2) * log(j1 / ((j1 + j2) * r)) + j2 / (j1 + j2) * log(j2 / ((j1 + j2) * (1 - r)))),
            WrongVariant("the ELBO itself", elbo),
            WrongVariant("the entropy of q dropped from the ELBO", log(j1 + j2) - r * log(j1) - (1 - r) * log(j2)),
        ),
        sources=(
            Source(S004, "2089–2106", r"Intractable marginalization: P(X) = \int P(X, Z) dZ (81); Intractable inference: P(Z|X) = \frac{P(X, Z)}{P(X)} = \frac{P(X, Z)}{\int P(X, Z) dZ} (82); Needed for learning (EM's E-step)",
                   note="not comparable: the GMM's posterior is a sum over K components (tractable); the gap KL(q || p(z|x)) "
                        "this claim derives is what an approximate E-step leaves open"),
            Source(S004, "995–998", r"**Variational inference:** Approximates intractable posteriors with simpler distributions; **Variational Autoencoders (VAEs):** Use neural networks for amortized variational inference",
                   note="roadmap; the same bound with q restricted to a family is the ELBO of the elbo and vae families"),
            Source(S004, "994", r"**EM algorithm:** Iteratively optimizes a lower bound (for classical models like GMM)",
                   behaviour="em_is_coordinate_ascent_on_the_elbo", at={"iterations": 40.0}, correct=EM_PROPERTIES),
            Source(S004, "2110–2112", r"**E-step:** Compute p(z|x; \theta^{(t)}) or \mathbb{E}_{p(z|x)}[\log P(x, z)]",
                   note="the E-step sets q = p(z|x), where this gap is 0"),
            Source(S004, "2115–2117", r"Properties: Monotonic improvement", behaviour="em_log_likelihood_is_monotone",
                   at={"iterations": 60.0}, correct=EM_PROPERTIES),
            Source(S004, "2118", r"Converges to local maximum", behaviour="em_finds_local_optima", at={"starts": 6.0},
                   correct="different starts end at different stationary points with different log-likelihoods",
                   note="'local' compared: EM from different generic starts stops at different log-likelihoods; the symmetric "
                        "start is the caveat of latent.em.symmetric-fixed-point"),
            Source(S004, "2122–2125", r"Limitations: Slow convergence; Local optima", behaviour="em_finds_local_optima",
                   at={"starts": 6.0},
                   correct="different starts end at different stationary points with different log-likelihoods"),
            Source(S004, "2119–2120", r"Elegant but doesn't scale; Still requires tractable E-step",
                   note="not comparable (scaling); the E-step here is the closed-form responsibility (latent.gmm.responsibility)"),
            Source(S004, "2126–2127", r"Requires tractable posteriors (often not available); Doesn't scale to complex, high-dimensional models",
                   note="not comparable (scaling)"),
        ),
    )


def m_step_objective():
    """Σ_i γ_i log N(x_i; μ, v) with v = s², the part of E_q[log p(x, z)] that has μ and v."""
    return sum(g * -gaussian_nll(xi, mu, sqrt(v)) for g, xi in zip(gs, xs))


@claim("latent.em.m-step.mean")
def latent_em_m_step_mean() -> Claim:
    """argmax_μ Σ γ_i log N(x_i; μ, s²) = Σ γ_i x_i/Σ γ_i."""
    return Claim(
        title="EM's M-step mean: the responsibility-weighted mean Σγx/Σγ (three points; any n by the reference model)",
        recognise=(Recognise(r"\hat\mu", requires=(r"\gamma_1", r"\gamma_2", r"\gamma_3", "x_1", "x_2", "x_3")),),
        statement=r"\arg\max_\mu \sum_{i=1}^3 \gamma_i \log\mathcal N(x_i;\mu,s^2)",
        variables=GAMMAS + XS,
        derivation=(
            Step(r"definition: the M-step maximises E_{p(z\mid x)}[\log p(x,z;\theta)]; its terms with the component's mean are "
                 r"\sum_i \gamma_i\log\mathcal N(x_i;\mu,v) (claim nll.gaussian)", m_step_objective()),
            Step(r"differentiate in \mu", sum(g * (xi - mu) / v for g, xi in zip(gs, xs)), op=lambda e: sympy.diff(e, mu)),
            Step(r"set to zero and solve: the weighted mean", weighted_mean(), op=lambda e: sympy.solve(e, mu)[0]),
        ),
        wrong_variants=(
            WrongVariant("unweighted mean", sum(xs) / 3),
            WrongVariant("weighted sum divided by n", sum(g * xi for g, xi in zip(gs, xs)) / 3),
            WrongVariant("weights 1 - gamma (the other component)",
                         sum((1 - g) * xi for g, xi in zip(gs, xs)) / sum(1 - g for g in gs)),
        ),
        sources=(
            Source(S004, "2113", r"**M-step:** \theta^{(t+1)} = \arg \max_{\theta} \mathbb{E}_{p(z|x; \theta^{(t)})}[\log P(x, z; \theta)]",
                   note="the definition the derivation starts from (the mean is the part of theta solved here)"),
        ),
    )


@claim("latent.em.m-step.variance")
def latent_em_m_step_variance() -> Claim:
    """argmax_v Σ γ_i log N(x_i; μ̂, v) = Σ γ_i (x_i − μ̂)²/Σ γ_i at the weighted mean μ̂."""
    mean = weighted_mean()
    return Claim(
        title="EM's M-step variance: Σγ(x − μ̂)²/Σγ about the new weighted mean μ̂ (three points)",
        recognise=(Recognise(r"\hat\sigma^2", requires=(r"\gamma_1", r"\gamma_2", r"\gamma_3", "x_1", "x_2", "x_3")),),
        defined=(Defined("mu_hat", r"\hat\mu", weighted_mean()),),  # the new mean a lecture's other side may name
        statement=r"\arg\max_{s^2} \sum_{i=1}^3 \gamma_i \log\mathcal N(x_i;\hat\mu,s^2),\ \hat\mu = \sum_i\gamma_i x_i/\sum_i\gamma_i",
        variables=GAMMAS + XS,
        derivation=(
            Step(r"definition: the M-step objective \sum_i\gamma_i\log\mathcal N(x_i;\mu,v) (claim nll.gaussian)", m_step_objective()),
            Step(r"at the new mean \hat\mu (claim latent.em.m-step.mean), as a function of v = s^2",
                 sum(g * (-log(2 * pi * v) / 2 - (xi - mean) ** 2 / (2 * v)) for g, xi in zip(gs, xs)),
                 op=lambda e: e.subs(mu, mean)),
            Step("differentiate in v", sum(g * (-1 / (2 * v) + (xi - mean) ** 2 / (2 * v**2)) for g, xi in zip(gs, xs)),
                 op=lambda e: sympy.diff(e, v)),
            Step("set to zero and solve: the weighted mean squared deviation",
                 sum(g * (xi - mean) ** 2 for g, xi in zip(gs, xs)) / sum(gs), op=lambda e: sympy.solve(e, v)[0]),
        ),
        wrong_variants=(
            WrongVariant("divided by n instead of the total responsibility", sum(g * (xi - mean) ** 2 for g, xi in zip(gs, xs)) / 3),
            WrongVariant("deviations from the unweighted mean",
                         sum(g * (xi - sum(xs) / 3) ** 2 for g, xi in zip(gs, xs)) / sum(gs)),
            WrongVariant("squared weights", sum(g**2 * (xi - mean) ** 2 for g, xi in zip(gs, xs)) / sum(g**2 for g in gs)),
        ),
    )


@claim("latent.em.m-step.weight")
def latent_em_m_step_weight() -> Claim:
    """argmax_π Σ [γ_i log π + (1 − γ_i) log(1 − π)] = Σ γ_i/n."""
    return Claim(
        title="EM's M-step mixing weight: π = Σγ_i/n, the average responsibility (three points)",
        recognise=(Recognise(r"\hat\pi", requires=(r"\gamma_1", r"\gamma_2", r"\gamma_3")),),
        statement=r"\arg\max_\pi \sum_{i=1}^3 [\gamma_i\log\pi + (1-\gamma_i)\log(1-\pi)]",
        variables=GAMMAS,
        derivation=(
            Step(r"definition: the terms of E_{p(z\mid x)}[\log p(x,z)] with the weights: \sum_i[\gamma_i\log\pi + (1-\gamma_i)\log(1-\pi)]",
                 sum(g * log(w) + (1 - g) * log(1 - w) for g in gs)),
            Step(r"differentiate in \pi", sum(g / w - (1 - g) / (1 - w) for g in gs), op=lambda e: sympy.diff(e, w)),
            Step("set to zero and solve: the average responsibility", sum(gs) / 3, op=lambda e: sympy.solve(e, w)[0]),
        ),
        wrong_variants=(
            WrongVariant("not normalised: the total responsibility", sum(gs)),
            WrongVariant("the other component's weight, 1 - mean responsibility", 1 - sum(gs) / 3),
        ),
    )


@claim("latent.em.symmetric-fixed-point")
def latent_em_symmetric_fixed_point() -> Claim:
    """From μ_1 = μ_2 = m, s_1 = s_2 = s, α = ½: γ_i = ½ and the new μ_1 is the sample mean, whatever m."""
    responsibility = target_of("latent.gmm.responsibility")
    symbols = {str(sym): sym for sym in responsibility.free_symbols}
    symmetric = {symbols["alpha"]: sympy.Rational(1, 2), symbols["mu1"]: m, symbols["mu2"]: m, symbols["s1"]: s, symbols["s2"]: s}
    return Claim(
        title="EM from a symmetric start stays symmetric: both means move to the sample mean (a fixed point, not a maximum)",
        statement=r"\mu_1^{(1)}\text{ from }\mu_1^{(0)} = \mu_2^{(0)} = m,\ s_1 = s_2 = s,\ \alpha = \tfrac12",
        variables=XS + (M, S),
        derivation=(
            Step(r"definition: the E-step responsibility (claim latent.gmm.responsibility) at the symmetric start", responsibility.subs(symmetric)),
            Step(r"the two components are identical: \gamma_i = \tfrac12 for every point", sympy.Rational(1, 2)),
            Step(r"M-step mean (claim latent.em.m-step.mean) with every \gamma_i = \tfrac12: the sample mean, free of m; "
                 r"the same for \mu_2, so the next E-step again gives \tfrac12 -- a fixed point",
                 sum(xs) / 3, op=lambda e: target_of("latent.em.m-step.mean").subs({g: e for g in gs})),
        ),
        wrong_variants=(
            WrongVariant("no movement: the means stay at m", m),
            WrongVariant("half the sample mean (gamma = 1/2 without the normalisation)", sum(xs) / 6),
            WrongVariant("halfway between m and the sample mean", (m + sum(xs) / 3) / 2),
        ),
        sources=(
            Source(S004, "2118", r"Converges to local maximum",
                   note="not compared here: the usual summary ('local', not global), read for generic starts (EM reaches a "
                        "stationary point of the likelihood; from an exactly symmetric start it stays at this claim's fixed point "
                        "mu_1 = mu_2 = mean of x); the different optima from different starts are checked on latent.em.gap"),
        ),
    )
