r"""Importance sampling: unbiasedness, the variance of the weights, the effective sample size,
the bias of self-normalised IS, and the rate at which the IWAE bound reaches log p(x).

* ``sampling.is.unbiased`` -- in the conjugate model z ~ N(0, 1), x | z ~ N(wz, s²), the
  weight p(x, z)/q(z) under any proposal q = N(m, v) has mean p(x) = N(x; 0, w² + s²) (004
  eqs. 43–45; the prior as proposal is eq. 45);
* ``sampling.is.variance`` -- for a normalised target π = N(a, b) and a proposal q = N(m, v)
  wider than π (v = b + u, u > 0), Var_q[π/q] = v/√(b(2v−b)) exp((a−m)²/(2v−b)) − 1; it is 0
  only for q = π (the zero-variance proposal for the normaliser) and infinite for v ≤ b/2;
* ``sampling.is.ess`` -- the effective-sample-size fraction (Σw)²/(n Σw²) → 1/(1 + Var[w]);
* ``sampling.snis.two-draws`` -- self-normalised IS of E_π[z] for a two-point latent with two
  draws is biased; the reference model shows the bias is O(1/n);
* ``sampling.iwae.gap-limit`` -- for any model, K(log p(x) − L_K) → Var_q[w]/(2p(x)²) (the
  delta method), so the IWAE bound reaches log p(x) at rate 1/K; derived for a two-point latent
  and checked on a Bernoulli-decoder VAE with the exact evidence (``reference_models/bernoulli_vae.py``).

Seeds: 004 L1287–1315, L2689–2693.
"""

from __future__ import annotations

import sympy
import sympy.stats
from sympy import exp, log, pi, sqrt

from derivspec.core import (UNIT_INTERVAL, Claim, Defined, Recognise, Source, Step, Var, WrongVariant, claim,
                            positive_between, real_between)
from derivspec.core.lectures import S004
from derivspec.derivations.latent.integrals import gaussian_integral

# --- the conjugate model -------------------------------------------------------------------------
X = Var("x", "x", real_between(-1, 1))
W = Var("w", "w", real_between(-1, 1))
S = Var("s", "s", positive_between(0.8, 1.5))
M = Var("m", "m", real_between(-0.5, 0.5))
V = Var("v", "v", positive_between(0.8, 1.5))
x, w, s, m, v = (var.symbol for var in (X, W, S, M, V))
z = sympy.Symbol("z", real=True)

# --- Gaussian target and a wider Gaussian proposal ----------------------------------------------
A = Var("a", "a", real_between(-1, 1))
B = Var("b", "b", positive_between(0.3, 1.2))
MQ = Var("m", "m", real_between(-1, 1))
U = Var("u", "u", positive_between(0.05, 1.5))
a, b, u = A.symbol, B.symbol, U.symbol
PROPOSAL_VARIANCE = Defined("v", "v", b + u)  # v = b + u > b
vq = PROPOSAL_VARIANCE.symbol
RELVAR = vq / sqrt(b * (2 * vq - b)) * exp((a - m) ** 2 / (2 * vq - b)) - 1

# --- two-point latents ---------------------------------------------------------------------------
T = Var("t", "t", UNIT_INTERVAL)
R = Var("r", "r", UNIT_INTERVAL)
W0 = Var("w0", "w_0", positive_between(0.05, 3))
W1 = Var("w1", "w_1", positive_between(0.05, 3))
t, r, w0, w1 = (var.symbol for var in (T, R, W0, W1))
z1, z2 = sympy.symbols("z1 z2", integer=True, nonnegative=True)
K = sympy.Symbol("K", positive=True)


def normal(at, mean, std):
    return sympy.stats.density(sympy.stats.Normal("N", mean, std))(at)


@claim("sampling.is.unbiased")
def sampling_is_unbiased() -> Claim:
    """E_{z~q}[p(x, z)/q(z)] = p(x) = N(x; 0, w² + s²) for every proposal q = N(m, v)."""
    joint = normal(x, w * z, s) * normal(z, 0, 1)
    evidence = exp(-x**2 / (2 * (w**2 + s**2))) / sqrt(2 * pi * (w**2 + s**2))
    return Claim(
        title="Importance sampling is unbiased: E_q[p(x,z)/q(z)] = p(x) for any proposal q (conjugate model, q = N(m, v))",
        # E_q of the weight equals the evidence: the other side names it p(x), read as the model's marginal
        recognise=tuple(Recognise(shape, interpret={"p(x)": evidence})
                        for shape in (r"\mathbb E_{q(z)}\left[\frac{p(x, z)}{q(z)}\right]",
                                      r"\mathbb E_{q(z)}\left[\frac{p(x \mid z) p(z)}{q(z)}\right]")),
        statement=r"\mathbb E_{z\sim\mathcal N(m,v)}\Big[\frac{p(x,z)}{q(z)}\Big],\ p(x,z) = \mathcal N(x;wz,s^2)\,\mathcal N(z;0,1)",
        variables=(X, W, S, M, V),
        derivation=(
            Step(r"definition: the expectation of the weight is \int q(z)\,\frac{p(x,z)}{q(z)}\,dz; its integrand (sympy.stats densities)",
                 normal(z, m, sqrt(v)) * joint / normal(z, m, sqrt(v))),
            Step(r"q cancels wherever q > 0 (a Gaussian proposal is positive everywhere): the integrand is p(x, z)", joint),
            Step(r"integrate z out (Gaussian integral): the evidence \mathcal N(x; 0, w^2 + s^2), free of m and v", evidence,
                 op=lambda e: gaussian_integral(e, z)),
        ),
        wrong_variants=(
            WrongVariant("the weight at the proposal mean, p(x, m)/q(m)", joint.subs(z, m) / normal(m, m, sqrt(v))),
            WrongVariant("the likelihood at the proposal mean, p(x | z = m)", normal(x, w * m, s)),
            WrongVariant("the prior's spread dropped: N(x; 0, s^2)", normal(x, 0, s)),
        ),
        sources=(
            Source(S004, "1303–1307", r"p(x|\theta) = \int p(x|z, \theta)p(z|\theta)dz \approx \frac{1}{K} \sum_{k=1}^K p(x|z_k, \theta), \quad z_k \sim p(z|\theta) (45); This is unbiased but can have high variance",
                   behaviour="prior_sampling_is_unbiased_but_noisy", at={"x": 2.5, "w": 2.0, "s": 0.3},
                   correct="the prior-sampling estimate is unbiased; its relative variance is large when the likelihood is "
                           "narrow compared with the prior"),
            Source(S004, "1313–1314", r"**Importance sampling:** When a good proposal distribution is available; **Simple Monte Carlo:** When we can sample from the prior but the likelihood is tractable",
                   note="guidance, not comparable; sampling.is.variance gives the cost of a poor proposal"),
        ),
    )


@claim("sampling.is.variance")
def sampling_is_variance() -> Claim:
    """Var_q[π(z)/q(z)] = v/√(b(2v−b)) exp((a−m)²/(2v−b)) − 1 for π = N(a, b), q = N(m, v), v = b + u."""
    return Claim(
        title="Variance of importance weights for a Gaussian target N(a, b) and a wider Gaussian proposal N(m, v): "
              "v/√(b(2v−b))·exp((a−m)²/(2v−b)) − 1, zero only when q is the target",
        statement=r"\mathrm{Var}_{z\sim\mathcal N(m,v)}\Big[\frac{\mathcal N(z;a,b)}{\mathcal N(z;m,v)}\Big],\ v = b + u",
        variables=(A, B, MQ, U),
        defined=(PROPOSAL_VARIANCE,),
        derivation=(
            Step(r"definition: E_q[w] = \int\pi = 1, so \mathrm{Var}_q[w] = E_q[w^2] - 1 = \int \pi(z)^2/q(z)\,dz - 1; the integrand "
                 r"(sympy.stats densities)", normal(z, a, sqrt(b)) ** 2 / normal(z, m, sqrt(vq))),
            Step(r"Gaussian integral (complete the square; finite because 2v - b > 0), in logs",
                 log(vq / sqrt(b * (2 * vq - b))) + (a - m) ** 2 / (2 * vq - b),
                 op=lambda e: log(gaussian_integral(e, z))),
            Step(r"exponentiate and subtract E_q[w]^2 = 1", RELVAR, op=lambda e: exp(e) - 1),
        ),
        wrong_variants=(
            WrongVariant("the second moment E_q[w^2] (the squared mean 1 not subtracted)", RELVAR + 1),
            WrongVariant("exponent (a - m)^2/(2v) (the target's variance ignored)",
                         vq / sqrt(b * (2 * vq - b)) * exp((a - m) ** 2 / (2 * vq)) - 1),
            WrongVariant("prefactor dropped", exp((a - m) ** 2 / (2 * vq - b)) - 1),
        ),
    )


@claim("sampling.is.ess")
def sampling_is_ess() -> Claim:
    """(Σ w_i)²/(n Σ w_i²) → E_q[w]²/E_q[w²] = 1/(1 + Var_q[w]) = √(b(2v−b))/v · exp(−(a−m)²/(2v−b))."""
    return Claim(
        title="Effective sample size fraction of importance sampling: ESS/n → 1/(1 + Var_q[w]) "
              "(Gaussian target N(a, b), proposal N(m, b + u))",
        statement=r"\lim_{n\to\infty}\frac{(\sum_i w_i)^2}{n\sum_i w_i^2},\ w_i = \frac{\mathcal N(z_i;a,b)}{\mathcal N(z_i;m,v)},\ z_i\sim\mathcal N(m,v)",
        variables=(A, B, MQ, U),
        defined=(PROPOSAL_VARIANCE,),
        derivation=(
            Step("the relative variance of the weights (claim sampling.is.variance)", RELVAR),
            Step(r"law of large numbers: (\frac1n\sum w_i)^2 / (\frac1n\sum w_i^2) \to E_q[w]^2/E_q[w^2] = 1/(1 + \mathrm{Var}_q[w]) "
                 r"(E_q[w] = 1)", sqrt(b * (2 * vq - b)) / vq * exp(-(a - m) ** 2 / (2 * vq - b)),
                 op=lambda e: 1 / (1 + e)),
        ),
        wrong_variants=(
            WrongVariant("1/Var[w] (the + 1 dropped)", 1 / RELVAR),
            WrongVariant("1 - Var[w]", 1 - RELVAR),
            WrongVariant("E[w^2] itself", RELVAR + 1),
        ),
        sources=(
            Source(S004, "1299", r"Key challenge: Requires a good proposal distribution q(z) to avoid high-variance estimates. Poor proposals lead to a few samples dominating the sum.",
                   behaviour="poor_proposals_are_dominated_by_few_samples", at={"shift": 3.0, "n": 10000.0},
                   correct=r"ESS/n \to 1/(1 + \mathrm{Var}_q[w]); with q shifted 3 standard deviations off the target the largest "
                           r"weight carries a large share of the sum"),
        ),
    )


def snis_weight(zz):
    """w(z) = π(z)/q(z) for π(1) = t, q(1) = r."""
    return (t / r) ** zz * ((1 - t) / (1 - r)) ** (1 - zz)


@claim("sampling.snis.two-draws")
def sampling_snis_two_draws() -> Claim:
    """E[(w_1 z_1 + w_2 z_2)/(w_1 + w_2)] = r² + 2r(1−r)·t(1−r)/(t(1−r) + (1−t)r) ≠ t."""
    estimator = (snis_weight(z1) * z1 + snis_weight(z2) * z2) / (snis_weight(z1) + snis_weight(z2))
    mixed = t * (1 - r) / (t * (1 - r) + (1 - t) * r)
    draws = {z1: sympy.stats.Bernoulli("Z1", r), z2: sympy.stats.Bernoulli("Z2", r)}
    return Claim(
        title="Self-normalised importance sampling is biased: with two draws its mean is r² + 2r(1−r)·t(1−r)/(t(1−r)+(1−t)r), not t",
        statement=r"\mathbb E\Big[\frac{w(z_1)z_1 + w(z_2)z_2}{w(z_1) + w(z_2)}\Big],\ z_i\sim\mathrm{Bern}(r),\ w = \pi/q,\ \pi(1) = t",
        variables=(T, R),
        derivation=(
            Step(r"definition: the self-normalised estimate of E_\pi[z] from two draws of q, weights w(z) = \pi(z)/q(z)", estimator),
            Step(r"expectation over the four outcomes (sympy.stats): (1,1) gives 1, (0,0) gives 0, each mixed outcome "
                 r"w(1)/(w(0) + w(1)) = t(1-r)/(t(1-r) + (1-t)r)", r**2 + 2 * r * (1 - r) * mixed,
                 op=lambda e: sympy.stats.E(e.subs(draws))),
        ),
        wrong_variants=(
            WrongVariant("unbiased: t", t),
            WrongVariant("the proposal's mean r", r),
            WrongVariant("the mixed outcomes counted once", r**2 + r * (1 - r) * mixed),
        ),
    )


@claim("sampling.iwae.gap-limit")
def sampling_iwae_gap_limit() -> Claim:
    """K(log p(x) − L_K) → Var_q[w]/(2 p(x)²), here for a two-point latent with weights w_0, w_1."""
    mean = (1 - r) * w0 + r * w1
    second = (1 - r) * w0**2 + r * w1**2
    return Claim(
        title="The IWAE bound reaches log p(x) at rate 1/K in general: K(log p(x) − L_K) → Var_q[w]/(2p(x)²) "
              "(two-point latent, q(1) = r)",
        statement=r"\lim_{K\to\infty} K\big(\log p(x) - \mathbb E[\log\tfrac1K\textstyle\sum_k w(z_k)]\big),\ w(0) = w_0,\ w(1) = w_1",
        variables=(W0, W1, R),
        derivation=(
            Step(r"definition: with \bar w_K = \frac1K\sum_k w(z_k) = p(x) + \delta, E[\delta] = 0, E[\delta^2] = \mathrm{Var}_q[w]/K and "
                 r"p(x) = E_q[w] = (1-r)w_0 + rw_1, expand \log(p + \delta) = \log p + \delta/p - \delta^2/(2p^2) + O(\delta^3): "
                 r"K(\log p - L_K) = K\,E[\delta^2]/(2p^2) + O(1/K)",
                 K * ((second - mean**2) / K) / (2 * mean**2)),
            Step(r"the K cancels: half the relative variance of the weights", second / (2 * mean**2) - sympy.Rational(1, 2)),
        ),
        wrong_variants=(
            WrongVariant("the relative variance without the 1/2", second / mean**2 - 1),
            WrongVariant("the log-weights' variance / 2 (a Gaussian-log-weight heuristic)",
                         ((1 - r) * log(w0) ** 2 + r * log(w1) ** 2 - ((1 - r) * log(w0) + r * log(w1)) ** 2) / 2),
            WrongVariant("0: the bound taken as exact for large K", sympy.Integer(0)),
        ),
        sources=(
            Source(S004, "2692–2693", r"Cannot compute exact p(\mathbf{x}) (intractable marginal); Approximate: importance sampling or annealed importance sampling",
                   behaviour="importance_sampling_scores_a_vae", at={"k_max": 2048.0},
                   correct=r"IWAE_K \uparrow \log p(x) on a Bernoulli-decoder VAE whose exact evidence is computed by quadrature; "
                           r"the gap shrinks like \mathrm{Var}_q[w]/(2Kp(x)^2)"),
        ),
    )
