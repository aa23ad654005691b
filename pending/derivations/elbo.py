r"""The ELBO in the conjugate linear-Gaussian model, where every term has a closed form.

Model: z ~ N(0, 1), x | z ~ N(wz, s²); variational q(z) = N(m, v) (v a variance).

* ELBO(q) = E_q[log p(x, z) − log q(z)], by the moments of q;
* p(x) = ∫ p(x|z) p(z) dz = N(x; 0, w² + s²) and, by Bayes' rule and completing the square,
  p(z|x) = N(wx/(w² + s²), s²/(w² + s²));
* log p(x) − ELBO(q) = KL(q ‖ p(z|x)) (so ELBO ≤ log p(x), equality iff q is the posterior);
* ELBO = E_q[log p(x|z)] − KL(q ‖ p(z)) (reconstruction minus regulariser);
* with the decoder trained too, the ELBO's gradient in w at q = posterior is that of log p_w(x),
  which is not zero: maximising over (q, w) is not just minimising the KL.

Seeds: 002 L200–290 (the ELBO derivation), 004 (ELBO, VAE), 003 (names the ELBO).
"""

from __future__ import annotations

import sympy
from sympy import Abs, Rational, log, pi, sqrt

from derivspec.derivations.kl import kl_univariate, log_normal
from derivspec.derivations.moments import gaussian_expectation
from derivspec.core.claims import REAL, Claim, Source, Step, Var, WrongVariant, positive_between, real_between
from derivspec.core.registry import register
from derivspec.numerics import elbo as numeric

FAMILY = "elbo"
S002, S003, S004 = "002_433c7158266bc0e9.txt", "003_8a5dbeec3922fcb3.txt", "004_ac0a1d509ce21c57.txt"

X = Var("x", "x", REAL)
W = Var("w", "w", real_between(-2, 2))
S = Var("s", "s", positive_between(0.3, 2))
M = Var("m", "m", REAL)
V = Var("v", "v", positive_between(0.05, 2))
x, w, s, m, v = (var.symbol for var in (X, W, S, M, V))
z = sympy.Symbol("z", real=True)

POSTERIOR_MEAN = w * x / (w**2 + s**2)
POSTERIOR_VARIANCE = s**2 / (w**2 + s**2)


def elbo_derivation():
    """ELBO = E_q[log N(x; wz, s²) + log N(z; 0, 1) − log N(z; m, v)]."""
    integrand = log_normal(x, w * z, s) + log_normal(z, 0, 1) - log_normal(z, m, sqrt(v))
    return (
        Step(r"definition: \mathrm{ELBO} = \mathbb E_q[\log p(x,z) - \log q(z)], p(x,z) = \mathcal N(x; wz, s^2)\,\mathcal N(z;0,1), "
             r"q = \mathcal N(m, v) (log-densities from claim nll.gaussian)", integrand),
        Step(r"expectation under q: E[z] = m, E[z^2] = m^2 + v", gaussian_expectation(integrand, [z], [m], sympy.Matrix([[v]])),
             op=lambda e: gaussian_expectation(e, [z], [m], sympy.Matrix([[v]]))),
        Step(r"collect: reconstruction -\tfrac12\log(2\pi s^2) - ((x-wm)^2 + w^2 v)/(2s^2), prior -\tfrac12\log 2\pi - (m^2+v)/2, "
             r"entropy \tfrac12\log(2\pi e v)",
             -log(2 * pi * s**2) / 2 - ((x - w * m) ** 2 + w**2 * v) / (2 * s**2)
             - log(2 * pi) / 2 - (m**2 + v) / 2 + log(2 * pi * v) / 2 + Rational(1, 2)),
    )


ELBO = elbo_derivation()[-1].expr
RECON = -log(2 * pi * s**2) / 2 - ((x - w * m) ** 2 + w**2 * v) / (2 * s**2)
KL_PRIOR = kl_univariate(m, sqrt(v), 0, 1)

register(Claim(
    id="elbo.linear-gaussian",
    title="ELBO in the conjugate model z ~ N(0,1), x|z ~ N(wz, s²), q = N(m, v)",
    family=FAMILY,
    statement=r"\mathbb E_{q}[\log p(x,z) - \log q(z)],\ q = \mathcal N(m, v)",
    variables=(X, W, S, M, V),
    derivation=elbo_derivation(),
    numeric=numeric.elbo_routes,
    numeric_route="Monte Carlo of log p(x|z) + log p(z) − log q(z) under z ~ q (torch log_probs, 3 points); scipy quad",
    wrong_variants=(
        WrongVariant("forgot the w^2 v term of E_q[(x - wz)^2]", ELBO + w**2 * v / (2 * s**2)),
        WrongVariant("KL sign flipped: recon + KL(q || p(z))", RECON + KL_PRIOR),
        WrongVariant("entropy term dropped", ELBO - log(2 * pi * v) / 2 - Rational(1, 2)),
    ),
    sources=(
        Source(S003, "167", r"the ELBO is a KL between approximate and true posterior.",
               expr=kl_univariate(m, sqrt(v), POSTERIOR_MEAN, sqrt(POSTERIOR_VARIANCE)), correct=r"\mathrm{ELBO} = \log p(x) - \mathrm{KL}(q\|p(z\mid x)): the KL is the gap, not the ELBO",
               note="read in the conjugate model: the ELBO compared with KL(q || p(z|x))"),
        Source(S003, "860", r"**Every loss in this course is an NLL.** MSE, BCE, cross-entropy, ELBO, diffusion loss — all are just NLLs of carefully chosen distributions.",
               expr=log_normal(x, 0, sqrt(w**2 + s**2)), correct=r"-\mathrm{ELBO} = -\log p(x) + \mathrm{KL}(q\|p(z\mid x)) \ge -\log p(x): an upper bound on the NLL, equal only at q = p(z|x)",
               note="read as: -ELBO is the NLL -log p(x), i.e. ELBO = log p(x), in the conjugate model"),
        Source(S002, "193–194", r"\text{ELBO} = \mathbb{E}_{q} \left[ \log \frac{p(x, z)}{q(z \mid x)} \right]",
               expr=ELBO, note="the definition the derivation starts from"),
        Source(S004, "1412–1414", r"\mathcal{L}(x; \theta, \phi) = \mathbb{E}_{q_\phi(z|x)} [\log p(x, z|\theta) - \log q_\phi(z|x)]",
               expr=ELBO, note="(52), the same definition"),
    ),
))


def evidence_derivation():
    """log p(x) = log ∫ N(x; wz, s²) N(z; 0, 1) dz = log N(x; 0, w² + s²)."""
    joint = sympy.exp(log_normal(x, w * z, s) + log_normal(z, 0, 1))
    return (
        Step(r"definition: the joint density p(x\mid z)\,p(z) = \mathcal N(x; wz, s^2)\,\mathcal N(z; 0, 1)", joint),
        Step(r"integrate z out (sympy integrate): p(x) is the density of \mathcal N(0, w^2 + s^2)",
             sympy.exp(log_normal(x, 0, sqrt(w**2 + s**2))), op=lambda e: sympy.integrate(e, (z, -sympy.oo, sympy.oo))),
        Step("take the log", log_normal(x, 0, sqrt(w**2 + s**2)), op=lambda e: sympy.expand_log(log(e), force=True)),
    )


LOG_EVIDENCE = evidence_derivation()[-1].expr

register(Claim(
    id="elbo.evidence",
    title="Evidence of the conjugate model: log p(x) = log N(x; 0, w² + s²)",
    family=FAMILY,
    statement=r"\log p(x) = \log \int \mathcal N(x; wz, s^2)\,\mathcal N(z; 0, 1)\,dz",
    variables=(X, W, S),
    derivation=evidence_derivation(),
    numeric=numeric.evidence_routes,
    numeric_route="Monte Carlo of p(x|z) under z ~ N(0,1) (the log of the mean is compared), scipy quad of the joint",
    wrong_variants=(
        WrongVariant("noise variance only (the prior's spread dropped)", log_normal(x, 0, s)),
        WrongVariant("w in place of w^2", log_normal(x, 0, sqrt(Abs(w) + s**2))),
    ),
))


def gap_derivation():
    return (
        Step(r"\log p(x) (claim elbo.evidence) minus the ELBO (claim elbo.linear-gaussian)",
             LOG_EVIDENCE - ELBO),
        Step(r"equals \mathrm{KL}(q\,\|\,p(z\mid x)) with the exact posterior p(z\mid x) = \mathcal N(wx/(w^2+s^2),\ s^2/(w^2+s^2)) "
             r"(Bayes' rule, completing the square; KL from claim kl.gaussian.univariate)",
             kl_univariate(m, sqrt(v), POSTERIOR_MEAN, sqrt(POSTERIOR_VARIANCE))),
    )


register(Claim(
    id="elbo.gap",
    title="log p(x) − ELBO = KL(q ‖ p(z|x)) in the conjugate model (so ELBO ≤ log p(x))",
    family=FAMILY,
    statement=r"\log p(x) - \mathrm{ELBO}(q)",
    variables=(X, W, S, M, V),
    derivation=gap_derivation(),
    numeric=numeric.gap_routes,
    numeric_route="Monte Carlo of log q(z) − log p(x, z) + log p(x) under z ~ q (torch; log p(x) from Normal(0, √(w²+s²))); scipy quad",
    wrong_variants=(
        WrongVariant("KL(p(z|x) || q) (wrong direction)", kl_univariate(POSTERIOR_MEAN, sqrt(POSTERIOR_VARIANCE), m, sqrt(v))),
        WrongVariant("KL(q || p(z)) (the prior, not the posterior)", KL_PRIOR),
    ),
    sources=(
        Source(S002, "207–210", r"\log p_\theta(u) = \text{ELBO} + D_{KL}(q_\phi(z|x) \,\|\, p_\theta(z|x))",
               expr=kl_univariate(m, sqrt(v), POSTERIOR_MEAN, sqrt(POSTERIOR_VARIANCE)), note="read as log p(x) - ELBO = KL(q || p(z|x)) (u and x are the same variable)"),
        Source(S004, "1275–1277", r"\log p(x|\theta) - \mathcal{L}(x; \theta, q) = D_{\text{KL}}(q(z|x)||p(z|x, \theta))",
               expr=kl_univariate(m, sqrt(v), POSTERIOR_MEAN, sqrt(POSTERIOR_VARIANCE)), note="(42)"),
        Source(S004, "1416–1418", r"\log p(x|\theta) = \mathcal{L}(x; \theta, \phi) + D_{\text{KL}}(q_\phi(z|x) || p(z|x, \theta))",
               expr=kl_univariate(m, sqrt(v), POSTERIOR_MEAN, sqrt(POSTERIOR_VARIANCE)), note="(53), read as log p(x) - ELBO = KL(q || p(z|x))"),
        Source(S002, "264–282", r"\log p_\theta(u) = \underbrace{\mathbb{E}_{q_\phi}[\log p_\theta(u \mid z)] - \mathrm{KL}\big(q_\phi(z \mid u) \,\|\, p(z)\big)}_{\text{ELBO}(\theta, \phi)} + \underbrace{\mathrm{KL}\big(q_\phi(z \mid u) \,\|\, p_\theta(z \mid u)\big)}_{\ge 0}",
               expr=kl_univariate(m, sqrt(v), POSTERIOR_MEAN, sqrt(POSTERIOR_VARIANCE)), note="the end of the derivation, read as log p(x) - ELBO = KL(q || p(z|x))"),
    ),
))


def recon_kl_derivation():
    return (
        Step("ELBO (claim elbo.linear-gaussian)", ELBO),
        Step(r"split \log p(x,z) = \log p(x\mid z) + \log p(z): E_q[\log p(x\mid z)] - \mathrm{KL}(q\,\|\,p(z)) "
             r"(reconstruction minus the kl.gaussian.standard regulariser)", RECON - KL_PRIOR),
    )


register(Claim(
    id="elbo.recon-kl",
    title="ELBO = E_q[log p(x|z)] − KL(q ‖ p(z)) (reconstruction − regulariser)",
    family=FAMILY,
    statement=r"\mathbb E_q[\log p(x\mid z)] - \mathrm{KL}(q\,\|\,p(z))",
    variables=(X, W, S, M, V),
    derivation=recon_kl_derivation(),
    numeric=numeric.recon_minus_kl_routes,
    numeric_route="Monte Carlo of log p(x|z) under z ~ q minus torch kl_divergence(q, N(0,1)) (3 points)",
    wrong_variants=(
        WrongVariant("KL added (the sign of a loss)", RECON + KL_PRIOR),
        WrongVariant("KL to the posterior instead of the prior",
                     RECON - kl_univariate(m, sqrt(v), POSTERIOR_MEAN, sqrt(POSTERIOR_VARIANCE))),
    ),
    sources=(
        Source(S002, "202–205", r"\text{ELBO} = \mathbb{E}_{z \sim q_\phi(z|x)} [\log p_\theta(x \mid z)] - D_{KL}(q_\phi(z|x) \,\|\, p(z))",
               expr=RECON - KL_PRIOR),
        Source(S004, "4146–4150", r"\mathcal{L}_{\text{ELBO}} = \mathbb{E}_{q_{\phi}(z|x)}[\log p_{\theta}(x|z)] - D_{\text{KL}}(q_{\phi}(z|x)||p(z))",
               expr=RECON - KL_PRIOR, note="(87)"),
        Source(S004, "2590–2594", r"\log p_\theta(\mathbf{x}) \geq \mathbb{E}_{\mathbf{z} \sim q_\phi(\mathbf{z}|\mathbf{x})}[\log p_\theta(\mathbf{x}|\mathbf{z})] - \text{KL}(q_\phi(\mathbf{z}|\mathbf{x})||p(\mathbf{z}))",
               expr=RECON - KL_PRIOR, note="the right-hand side of the bound"),
        Source(S003, "1739", r"Normal + KL prior · ELBO = recon + KL",
               expr=RECON + KL_PRIOR, correct=r"\mathrm{ELBO} = \mathbb E_q[\log p(x\mid z)] - \mathrm{KL}(q\|p(z)); "
                                             r"recon-NLL + KL is the loss -ELBO",
               note="read with recon = E_q[log p(x|z)]; the sum is right only for the loss -ELBO with recon = NLL"),
    ),
))


def optimal_q_derivation(which: str):
    stationary = {"mean": (m, POSTERIOR_MEAN), "variance": (v, POSTERIOR_VARIANCE)}[which]
    return (
        Step("ELBO (claim elbo.linear-gaussian), a concave function of m and of v", ELBO),
        Step(rf"differentiate in {stationary[0]}", sympy.diff(ELBO, stationary[0]), op=lambda e: sympy.diff(e, stationary[0])),
        Step(r"solve: the maximiser is the exact posterior's "
             + ("mean wx/(w^2+s^2)" if which == "mean" else "variance s^2/(w^2+s^2)")
             + r"; there the gap KL(q || p(z|x)) (claim elbo.gap) is 0, so ELBO = log p(x)",
             stationary[1], op=lambda e: sympy.solve(e, stationary[0])[0]),
    )


for which, wrongs in (
    ("mean", (WrongVariant("prior mean 0", sympy.Integer(0)), WrongVariant("x/w (inverting the decoder)", x / w))),
    ("variance", (WrongVariant("prior variance 1", sympy.Integer(1)), WrongVariant("noise variance s^2", s**2))),
):
    register(Claim(
        id=f"elbo.optimal-q.{which}",
        title=f"Maximising the ELBO over q (decoder fixed) gives the exact posterior {which}",
        family=FAMILY,
        statement=rf"\arg\max_{{{'m' if which == 'mean' else 'v'}}} \mathrm{{ELBO}}(q),\ q = \mathcal N(m, v)",
        variables=(X, W, S) + ((V,) if which == "mean" else (M,)),
        derivation=optimal_q_derivation(which),
        numeric=numeric.optimal_q(which),
        numeric_route="LBFGS on a quadrature ELBO built from torch log_probs (reparameterised, Gauss–Hermite nodes)",
        wrong_variants=wrongs,
    ))


def decoder_gradient_derivation():
    return (
        Step(r"ELBO (claim elbo.linear-gaussian), with the decoder weight w now trained as well", ELBO),
        Step(r"differentiate in w", sympy.diff(ELBO, w), op=lambda e: sympy.diff(e, w)),
        Step(r"at q = p(z|x) (m, v the posterior's): the gap KL(q||p_w(z|x)) is at its minimum 0, so its w-gradient "
             r"vanishes and the ELBO's gradient is that of \log p_w(x), non-zero unless x^2 = w^2 + s^2",
             w * (x**2 - w**2 - s**2) / (w**2 + s**2) ** 2,
             op=lambda e: e.subs({m: POSTERIOR_MEAN, v: POSTERIOR_VARIANCE})),
    )


register(Claim(
    id="elbo.decoder-gradient",
    title="With the decoder trained, the ELBO at q = posterior moves with ∂_w log p_w(x) ≠ 0: not only the KL changes",
    family=FAMILY,
    statement=r"\partial_w \mathrm{ELBO}(q, w)\big|_{q = p_w(z\mid x)}",
    variables=(X, W, S),
    derivation=decoder_gradient_derivation(),
    numeric=numeric.log_evidence_gradient,
    numeric_route="autograd of torch Normal(0, √(w²+s²)).log_prob(x) in w",
    wrong_variants=(
        WrongVariant("zero (log p(x) treated as fixed)", sympy.Integer(0)),
        WrongVariant("sign flipped", -w * (x**2 - w**2 - s**2) / (w**2 + s**2) ** 2),
    ),
    sources=(
        Source(S002, "284–288", r"Since \log p_\theta(u), the **evidence**, is **fixed** for a given data point, maximizing ELBO is mathematically equivalent to minimizing the divergence between approxmiate posterior and the true posterior; \phi^*, \theta^* = \arg \max_{\phi, \theta} \text{ELBO}(u)",
               expr=sympy.Integer(0), correct=r"only with \theta fixed: \partial_\theta \log p_\theta(u) \ne 0, so maximising over (\phi, \theta) also raises the evidence",
               note=r"'the evidence is fixed' read as \partial_w \log p_w(x) = 0 while the decoder w is optimised"),
    ),
))
