r"""The ELBO in the conjugate linear-Gaussian model, where every term has a closed form.

Model: z ~ N(0, 1), x | z ~ N(wz, s²); variational q(z) = N(m, v) (v a variance).

* ELBO(q) = E_q[log p(x, z) − log q(z)], by the moments of q;
* p(x) = ∫ p(x|z) p(z) dz = N(x; 0, w² + s²) and, by Bayes' rule and completing the square,
  p(z|x) = N(wx/(w² + s²), s²/(w² + s²));
* log p(x) − ELBO(q) = KL(q ‖ p(z|x)) (so ELBO ≤ log p(x), equality iff q is the posterior);
* ELBO = E_q[log p(x|z)] − KL(q ‖ p(z)) (reconstruction minus regulariser);
* maximising the ELBO over q gives the exact posterior, and there the bound is tight:
  max_q ELBO = log p(x);
* with the decoder trained too, the ELBO's gradient in w at q = posterior is that of log p_w(x),
  which is not zero: maximising over (q, w) is not just minimising the KL.

Seeds: 002 L107–108, L193–214, L264–288 (the ELBO derivation); 003 L167, L860, L1739 (names the
ELBO); 004 L1271–1279, L1412–1418, L2590–2595, L2687–2691, L4146–4150 (ELBO, VAE).
"""

from __future__ import annotations

import sympy
from sympy import Abs, Rational, log, pi, sqrt

from derivspec.core import REAL, Claim, Source, Step, Var, WrongVariant, claim, positive_between, real_between, target_of
from derivspec.core.claims import Recognise
from derivspec.core.lectures import S002, S003, S004
from derivspec.derivations.kl.gaussian import kl_univariate
from derivspec.derivations.moments import gaussian_expectation
from derivspec.derivations.nll.gaussian import gaussian_nll

X = Var("x", "x", REAL)
W = Var("w", "w", real_between(-2, 2))
S = Var("s", "s", positive_between(0.3, 2))
M = Var("m", "m", REAL)
V = Var("v", "v", positive_between(0.05, 2))
x, w, s, m, v = (var.symbol for var in (X, W, S, M, V))
z = sympy.Symbol("z", real=True)  # the latent, integrated out

POSTERIOR_MEAN = w * x / (w**2 + s**2)
POSTERIOR_VARIANCE = s**2 / (w**2 + s**2)
# E_q[log p(x|z)] for q = N(m, v): the reconstruction term, as the lectures write it
RECON = -log(2 * pi * s**2) / 2 - ((x - w * m) ** 2 + w**2 * v) / (2 * s**2)


def log_normal(at, mean, std) -> sympy.Expr:
    """log N(at; mean, std²) = −(the target of nll.gaussian)."""
    return -gaussian_nll(at, mean, std)


def elbo() -> sympy.Expr:
    """The derived ELBO (target of elbo.linear-gaussian)."""
    return target_of("elbo.linear-gaussian")


def kl_to_prior() -> sympy.Expr:
    """KL(q ‖ N(0, 1)) from claim kl.gaussian.univariate."""
    return kl_univariate(m, sqrt(v), 0, 1)


def kl_to_posterior() -> sympy.Expr:
    """KL(q ‖ p(z|x)) from claim kl.gaussian.univariate."""
    return kl_univariate(m, sqrt(v), POSTERIOR_MEAN, sqrt(POSTERIOR_VARIANCE))


def log_evidence() -> sympy.Expr:
    """log N(x; 0, w² + s²), the derived evidence (target of elbo.evidence)."""
    return target_of("elbo.evidence")


@claim("elbo.linear-gaussian")
def elbo_linear_gaussian() -> Claim:
    """ELBO = E_q[log N(x; wz, s²) + log N(z; 0, 1) − log N(z; m, v)]."""
    integrand = log_normal(x, w * z, s) + log_normal(z, 0, 1) - log_normal(z, m, sqrt(v))
    elbo_target = (-log(2 * pi * s**2) / 2 - ((x - w * m) ** 2 + w**2 * v) / (2 * s**2)
                   - log(2 * pi) / 2 - (m**2 + v) / 2 + log(2 * pi * v) / 2 + Rational(1, 2))
    return Claim(
        title="ELBO in the conjugate model z ~ N(0,1), x|z ~ N(wz, s²), q = N(m, v)",
        statement=r"\mathbb E_{q}[\log p(x,z) - \log q(z)],\ q = \mathcal N(m, v)",
        variables=(X, W, S, M, V),
        derivation=(
            Step(r"definition: \mathrm{ELBO} = \mathbb E_q[\log p(x,z) - \log q(z)], p(x,z) = \mathcal N(x; wz, s^2)\,\mathcal N(z;0,1), "
                 r"q = \mathcal N(m, v) (log-densities from claim nll.gaussian)", integrand),
            Step(r"expectation under q: E[(x-wz)^2] = (x-wm)^2 + w^2 v, E[z^2] = m^2 + v, E[(z-m)^2] = v",
                 -log(2 * pi * s**2) / 2 - ((x - w * m) ** 2 + w**2 * v) / (2 * s**2)
                 - log(2 * pi) / 2 - (m**2 + v) / 2
                 + log(2 * pi * v) / 2 + v / (2 * v),
                 op=lambda e: gaussian_expectation(e, [z], [m], sympy.Matrix([[v]]))),
            Step(r"collect: reconstruction -\tfrac12\log(2\pi s^2) - ((x-wm)^2 + w^2 v)/(2s^2), prior -\tfrac12\log 2\pi - (m^2+v)/2, "
                 r"entropy \tfrac12\log(2\pi e v)", elbo_target),
        ),
        wrong_variants=(
            WrongVariant("forgot the w^2 v term of E_q[(x - wz)^2]", elbo_target + w**2 * v / (2 * s**2)),
            WrongVariant("KL sign flipped: recon + KL(q || p(z))", RECON + kl_to_prior()),
            WrongVariant("entropy term dropped", elbo_target - log(2 * pi * v) / 2 - Rational(1, 2)),
        ),
        sources=(
            Source(S003, "860", r"**Every loss in this course is an NLL.** MSE, BCE, cross-entropy, ELBO, diffusion loss — all are just NLLs of carefully chosen distributions.",
                   expr=log_normal(x, 0, sqrt(w**2 + s**2)), correct=r"-\mathrm{ELBO} = -\log p(x) + \mathrm{KL}(q\|p(z\mid x)) \ge -\log p(x): an upper bound on the NLL, equal only at q = p(z|x)",
                   category="over-general statement", severity="imprecise",
                   note="read as: -ELBO is the NLL -log p(x), i.e. ELBO = log p(x), in the conjugate model; true of MSE, BCE and "
                        "cross-entropy, over-general for the ELBO, which bounds the NLL"),
            Source(S002, "193–194", r"\text{ELBO} = \mathbb{E}_{q} \left[ \log \frac{p(x, z)}{q(z \mid x)} \right]",
                   expr=elbo_target, note="the definition the derivation starts from"),
            Source(S004, "1412–1414", r"\mathcal{L}(x; \theta, \phi) = \mathbb{E}_{q_\phi(z|x)} [\log p(x, z|\theta) - \log q_\phi(z|x)]",
                   expr=elbo_target, note="(52), the same definition"),
        ),
    )


@claim("elbo.evidence")
def elbo_evidence() -> Claim:
    """log p(x) = log ∫ N(x; wz, s²) N(z; 0, 1) dz = log N(x; 0, w² + s²)."""
    joint = sympy.exp(log_normal(x, w * z, s) + log_normal(z, 0, 1))
    marginal = sympy.exp(-x**2 / (2 * (w**2 + s**2))) / sqrt(2 * pi * (w**2 + s**2))
    return Claim(
        title="Evidence of the conjugate model: log p(x) = log N(x; 0, w² + s²)",
        statement=r"\log p(x) = \log \int \mathcal N(x; wz, s^2)\,\mathcal N(z; 0, 1)\,dz",
        variables=(X, W, S),
        derivation=(
            Step(r"definition: the joint density p(x\mid z)\,p(z) = \mathcal N(x; wz, s^2)\,\mathcal N(z; 0, 1)", joint),
            Step(r"integrate z out (sympy integrate): p(x) is the density of \mathcal N(0, w^2 + s^2)",
                 marginal, op=lambda e: sympy.integrate(e, (z, -sympy.oo, sympy.oo))),
            Step("take the log", -x**2 / (2 * (w**2 + s**2)) - log(2 * pi * (w**2 + s**2)) / 2,
                 op=lambda e: sympy.expand_log(log(e), force=True)),
        ),
        wrong_variants=(
            WrongVariant("noise variance only (the prior's spread dropped)", log_normal(x, 0, s)),
            WrongVariant("w in place of w^2", log_normal(x, 0, sqrt(Abs(w) + s**2))),
        ),
        sources=(
            Source(S002, "191", r"we cannot calculate the true probability of the data (the \"Evidence\" \log p(u)) directly because the integral over all latents is intractable",
                   note="not compared: intractable for a neural decoder (no closed form; the true posterior at L168 likewise); "
                        "for a linear-Gaussian decoder the integral is this claim's closed form"),
        ),
    )


def elbo_terms() -> dict:
    """The ELBO's named terms in this model, for recognising a lecture's identity between them
    (`derivspec scan`): the evidence, the ELBO, the KLs to the posterior and to the prior (both
    directions), the reconstruction term."""
    return {
        r"\mathrm{ELBO}(*)": elbo(), r"\mathcal{L}(*)": elbo(), r"\log p(x)": log_evidence(),
        r"\mathrm{KL}(q(z \mid x) \| p(z \mid x))": kl_to_posterior(),
        r"\mathrm{KL}(p(z \mid x) \| q(z \mid x))": kl_univariate(POSTERIOR_MEAN, sqrt(POSTERIOR_VARIANCE), m, sqrt(v)),
        r"\mathrm{KL}(q(z \mid x) \| p(z))": kl_to_prior(),
        r"\mathrm{KL}(p(z) \| q(z \mid x))": kl_univariate(0, 1, m, sqrt(v)),
        # q written without its conditioning, q(z): one observed x (VITutorial M1_Basics.tex:378); not
        # KL(q(z) || p(z)), which unifies with its own reverse KL(p(z) || q(z)) -- p and q are pattern names
        r"\mathrm{KL}(q(z) \| p(z \mid x))": kl_to_posterior(),
        r"\mathrm{KL}(p(z \mid x) \| q(z))": kl_univariate(POSTERIOR_MEAN, sqrt(POSTERIOR_VARIANCE), m, sqrt(v)),
        r"\mathbb{E}[\log p(x \mid z)]": RECON,
    }


@claim("elbo.gap")
def elbo_gap() -> Claim:
    """log p(x) − ELBO(q) = KL(q ‖ p(z|x))."""
    kl_posterior = kl_to_posterior()
    ELBO_TERMS = elbo_terms()
    return Claim(
        title="log p(x) − ELBO = KL(q ‖ p(z|x)) in the conjugate model (so ELBO ≤ log p(x))",
        recognise=(
            # in the conjugate model: log p(x), the ELBO and the KLs of a lecture's identity between them
            Recognise(r"\log p(x)", value=lambda t: log_evidence(), interpret=ELBO_TERMS),
            Recognise(r"\log p(x) - \mathrm{ELBO}", interpret=ELBO_TERMS),
            Recognise(r"\mathrm{ELBO}", value=lambda t: elbo(), interpret=ELBO_TERMS),
        ),
        statement=r"\log p(x) - \mathrm{ELBO}(q)",
        variables=(X, W, S, M, V),
        derivation=(
            Step(r"\log p(x) (claim elbo.evidence) minus the ELBO (claim elbo.linear-gaussian)", log_evidence() - elbo()),
            Step(r"equals \mathrm{KL}(q\,\|\,p(z\mid x)) with the exact posterior p(z\mid x) = \mathcal N(wx/(w^2+s^2),\ s^2/(w^2+s^2)) "
                 r"(Bayes' rule, completing the square; KL from claim kl.gaussian.univariate)", kl_posterior),
        ),
        wrong_variants=(
            WrongVariant("KL(p(z|x) || q) (wrong direction)", kl_univariate(POSTERIOR_MEAN, sqrt(POSTERIOR_VARIANCE), m, sqrt(v))),
            WrongVariant("KL(q || p(z)) (the prior, not the posterior)", kl_to_prior()),
        ),
        sources=(
            Source(S002, "207–210", r"\log p_\theta(u) = \text{ELBO} + D_{KL}(q_\phi(z|x) \,\|\, p_\theta(z|x))",
                   expr=kl_posterior, note="read as log p(x) - ELBO = KL(q || p(z|x)) (u and x are the same variable)"),
            Source(S003, "167", r"the ELBO is a KL between approximate and true posterior.",
                   expr=elbo(), category="over-general statement", severity="imprecise",
                   correct=r"\log p(x) - \mathrm{ELBO} = \mathrm{KL}(q\,\|\,p(z\mid x)): the KL is the gap, so maximising the ELBO over q minimises it",
                   note="read literally, ELBO = KL(q ‖ p(z|x)): the ELBO put where this claim's KL is; the pointer's likely "
                        "meaning, that maximising the ELBO over q minimises that KL, holds (this claim)"),
            Source(S004, "1275–1277", r"\log p(x|\theta) - \mathcal{L}(x; \theta, q) = D_{\text{KL}}(q(z|x)||p(z|x, \theta))",
                   expr=kl_posterior, note="(42)"),
            Source(S004, "1416–1418", r"\log p(x|\theta) = \mathcal{L}(x; \theta, \phi) + D_{\text{KL}}(q_\phi(z|x) || p(z|x, \theta))",
                   expr=kl_posterior, note="(53), read as log p(x) - ELBO = KL(q || p(z|x))"),
            Source(S002, "264–282", r"\log p_\theta(u) = \underbrace{\mathbb{E}_{q_\phi}[\log p_\theta(u \mid z)] - \mathrm{KL}\big(q_\phi(z \mid u) \,\|\, p(z)\big)}_{\text{ELBO}(\theta, \phi)} + \underbrace{\mathrm{KL}\big(q_\phi(z \mid u) \,\|\, p_\theta(z \mid u)\big)}_{\ge 0}",
                   expr=kl_posterior, note="the end of the derivation, read as log p(x) - ELBO = KL(q || p(z|x))"),
            Source(S004, "1338–1351", r"computing the posterior requires the same intractable marginal as scoring: p(x|\theta) = \int p(x, z|\theta)dz \quad (48); optimizing the ELBO ... A lower bound on \log p(x|\theta) (for scoring); An approximation q(z|x) to p(z|x, \theta) (for inference)",
                   note="not compared: both follow from this claim, log p(x) − ELBO = KL(q ‖ p(z|x)) ≥ 0: the ELBO bounds the evidence, "
                        "and raising it over q lowers the KL to the posterior"),
            Source(S004, "1408–1410", r"q^*(z|x) = \arg \min_{q \in \mathcal{Q}} D_{\text{KL}}(q(z|x) || p(z|x, \theta)) \quad (51)",
                   note="not compared: the definition of variational inference; its objective is this claim's gap"),
            Source(S004, "1420", r"Maximizing ELBO w.r.t. ϕ minimizes the KL divergence, making q_\phi(z|x) a better approximation to the true posterior.",
                   note="not compared: log p(x) does not depend on φ, so by this claim ELBO = log p(x) − KL: raising one lowers the "
                        "other (claims elbo.optimal-q.* reach the posterior)"),
        ),
    )


@claim("elbo.recon-kl")
def elbo_recon_kl() -> Claim:
    """ELBO = E_q[log p(x|z)] − KL(q ‖ p(z))."""
    recon_minus_kl = RECON - kl_to_prior()
    return Claim(
        title="ELBO = E_q[log p(x|z)] − KL(q ‖ p(z)) (reconstruction − regulariser)",
        statement=r"\mathbb E_q[\log p(x\mid z)] - \mathrm{KL}(q\,\|\,p(z))",
        variables=(X, W, S, M, V),
        derivation=(
            Step("ELBO (claim elbo.linear-gaussian)", elbo()),
            Step(r"split \log p(x,z) = \log p(x\mid z) + \log p(z): E_q[\log p(x\mid z)] - \mathrm{KL}(q\,\|\,p(z)) "
                 r"(reconstruction minus the kl.gaussian.standard regulariser)", recon_minus_kl),
        ),
        wrong_variants=(
            WrongVariant("KL added (the sign of a loss)", RECON + kl_to_prior()),
            WrongVariant("KL to the posterior instead of the prior", RECON - kl_to_posterior()),
        ),
        sources=(
            Source(S002, "202–205", r"\text{ELBO} = \mathbb{E}_{z \sim q_\phi(z|x)} [\log p_\theta(x \mid z)] - D_{KL}(q_\phi(z|x) \,\|\, p(z))",
                   expr=recon_minus_kl),
            Source(S004, "4146–4150", r"\mathcal{L}_{\text{ELBO}} = \mathbb{E}_{q_{\phi}(z|x)}[\log p_{\theta}(x|z)] - D_{\text{KL}}(q_{\phi}(z|x)||p(z))",
                   expr=recon_minus_kl, note="(87)"),
            Source(S004, "2590–2594", r"\log p_\theta(\mathbf{x}) \geq \mathbb{E}_{\mathbf{z} \sim q_\phi(\mathbf{z}|\mathbf{x})}[\log p_\theta(\mathbf{x}|\mathbf{z})] - \text{KL}(q_\phi(\mathbf{z}|\mathbf{x})||p(\mathbf{z}))",
                   expr=recon_minus_kl, note="the right-hand side of the bound"),
            Source(S003, "1739", r"Normal + KL prior · ELBO = recon + KL",
                   note="not compared: a row of the table whose column is 'LOSS = NLL': read as the ELBO loss, -ELBO = "
                        "recon-NLL + KL (this claim with the sign of the loss), it holds; with recon = E_q[log p(x|z)] the "
                        "ELBO itself is recon − KL"),
            Source(S004, "5416–5418", r"\mathcal{L} = \mathbb{E}_{q_\phi(z|\mathbf{X}, \mathbf{A})}[\log p_\theta(\mathbf{X}, \mathbf{A}|z)] - \text{KL}(q_\phi(z|\mathbf{X}, \mathbf{A})\|p(z)) \quad (102)",
                   expr=recon_minus_kl, note="the graph VAE's ELBO: the same reconstruction − KL, with the graph (X, A) as the data"),
        ),
    )


def optimal_q_claim(which: str, wrong_variants: tuple[WrongVariant, ...], sources: tuple[Source, ...] = ()) -> Claim:
    """argmax of the ELBO over q's mean (v fixed) or variance (m fixed): the posterior's."""
    if which == "mean":
        variable, derivative, solution = m, w * (x - w * m) / s**2 - m, POSTERIOR_MEAN
        said = "mean wx/(w^2+s^2)"
    else:
        variable, derivative, solution = v, -w**2 / (2 * s**2) - Rational(1, 2) + 1 / (2 * v), POSTERIOR_VARIANCE
        said = "variance s^2/(w^2+s^2)"
    return Claim(
        title=f"Maximising the ELBO over q (decoder fixed) gives the exact posterior {which}",
        statement=rf"\arg\max_{{{variable}}} \mathrm{{ELBO}}(q),\ q = \mathcal N(m, v)",
        variables=(X, W, S) + ((V,) if which == "mean" else (M,)),
        derivation=(
            Step("ELBO (claim elbo.linear-gaussian), a concave function of m and of v", elbo()),
            Step(rf"differentiate in {variable}", derivative, op=lambda e: sympy.diff(e, variable)),
            Step(r"solve: the maximiser is the exact posterior's " + said
                 + r"; there the gap KL(q || p(z|x)) (claim elbo.gap) is 0, so ELBO = log p(x)",
                 solution, op=lambda e: sympy.solve(e, variable)[0]),
        ),
        wrong_variants=wrong_variants,
        sources=sources,
    )


@claim("elbo.optimal-q.mean")
def elbo_optimal_q_mean() -> Claim:
    decoder_defines_the_truth = tuple(
        Source(S002, "256", r"**Indexing**: we index **True Posterior** p(z \mid u) with \theta because the 'Truth' is defined by the **Decoder**.",
               value=value, decimals=1, at={"x": 1, "s": 1, "w": weight},
               note=f"the true posterior's mean wx/(w^2 + s^2) moves with the decoder weight w (the numbers are ours): at "
                    f"x = s = 1 it is {value} at w = {weight}, against {other} at w = {3 - weight}")
        for weight, value, other in ((1, 0.5, 0.4), (2, 0.4, 0.5)))
    return optimal_q_claim("mean", (WrongVariant("prior mean 0", sympy.Integer(0)),
                                    WrongVariant("x/w (inverting the decoder)", x / w)), decoder_defines_the_truth)


@claim("elbo.optimal-q.variance")
def elbo_optimal_q_variance() -> Claim:
    return optimal_q_claim("variance", (WrongVariant("prior variance 1", sympy.Integer(1)),
                                        WrongVariant("noise variance s^2", s**2)))


@claim("elbo.bound")
def elbo_bound() -> Claim:
    r"""max_q ELBO(q) = log p(x): the ELBO is a lower bound on the evidence, tight at q = p(z|x)."""
    W2 = w**2 + s**2
    at_posterior = (-log(2 * pi * s**2) / 2 - ((x - w**2 * x / W2) ** 2 + w**2 * s**2 / W2) / (2 * s**2)
                    - log(2 * pi) / 2 - (w**2 * x**2 / W2**2 + s**2 / W2) / 2 + log(2 * pi * s**2 / W2) / 2 + Rational(1, 2))
    tight = -x**2 / (2 * W2) - log(2 * pi * W2) / 2
    evidence = log_normal(x, 0, sqrt(W2))
    elbo_at_prior = -log(2 * pi * s**2) / 2 - (x**2 + w**2) / (2 * s**2)
    return Claim(
        title="The ELBO is a lower bound on log p(x), reached at q = p(z|x): max_q ELBO = log p(x)",
        statement=r"\max_{q = \mathcal N(m, v)} \mathrm{ELBO}(q)",
        variables=(X, W, S),
        derivation=(
            Step("ELBO (claim elbo.linear-gaussian)", elbo()),
            Step(r"at its maximiser q = \mathcal N(wx/(w^2+s^2),\ s^2/(w^2+s^2)) (claims elbo.optimal-q.mean, "
                 r"elbo.optimal-q.variance): the residual x - wm is xs^2/(w^2+s^2)",
                 at_posterior,
                 op=lambda e: e.subs({m: target_of("elbo.optimal-q.mean"), v: target_of("elbo.optimal-q.variance")},
                                     simultaneous=True)),
            Step(r"collect: the x^2 terms sum to x^2/(2(w^2+s^2)), the constants w^2/(2(w^2+s^2)) + s^2/(2(w^2+s^2)) "
                 r"cancel the entropy's \tfrac12, and the logs leave -\tfrac12\log 2\pi(w^2+s^2): this is \log p(x) "
                 r"(claim elbo.evidence), so the gap KL(q || p(z|x)) (claim elbo.gap) closes", tight),
        ),
        wrong_variants=(
            WrongVariant("the ELBO at the prior q = N(0, 1) (the prior taken as the best q)", elbo_at_prior),
            WrongVariant("log N(x; 0, s^2): the latent's spread dropped from the bound", log_normal(x, 0, s)),
            WrongVariant("the entropy of q forgotten at the optimum: log p(x) - H(p(z|x))",
                         tight - log(2 * pi * sympy.E * s**2 / W2) / 2),
        ),
        sources=(
            Source(S004, "2590–2595", r"\log p_\theta(\mathbf{x}) \geq \mathbb{E}_{\mathbf{z} \sim q_\phi(\mathbf{z}|\mathbf{x})}[\log p_\theta(\mathbf{x}|\mathbf{z})] - \text{KL}(q_\phi(\mathbf{z}|\mathbf{x})||p(\mathbf{z})); Tight when q_\phi(\mathbf{z}|\mathbf{x}) = p_\theta(\mathbf{z}|\mathbf{x})",
                   expr=evidence, note=r"'tight when q = p(z|x)' read as: at q = p(z|x) the bound equals \log p(x)"),
            Source(S002, "211–214", r"Since KL Divergence is always non-negative (D_{KL} \ge 0), we get the inequality: \log p_\theta(u) \ge \text{ELBO}",
                   behaviour="elbo_below_log_likelihood", at={"beta": 1.0},
                   correct=r"\mathrm{ELBO}(q) \le \log p(x) for every q, with equality at q = p(z\mid x)"),
            Source(S002, "107–108", r"\log p_\phi(x)\ \ge\ \mathbb E_{q_\theta(z\mid x)}[\log p_\phi(x\mid z)] - \mathrm{KL}(q_\theta(z\mid x)\,\|\,p(z))",
                   behaviour="elbo_below_log_likelihood", at={"beta": 1.0},
                   correct=r"\mathrm{ELBO}(q) \le \log p(x) for every q, with equality at q = p(z\mid x)"),
            Source(S004, "1271–1273", r"\log p(x|\theta) \geq \mathbb{E}_{q(z|x)}[\log p(x, z|\theta) - \log q(z|x)] = \mathcal{L}(x; \theta, q) \quad (41)",
                   behaviour="elbo_below_log_likelihood", at={"beta": 1.0},
                   correct=r"\mathrm{ELBO}(q) \le \log p(x) for every q, with equality at q = p(z\mid x)"),
            Source(S004, "2687", r"Tradeoff: approximation gap (\text{ELBO} \leq \log p(\mathbf{x}))",
                   behaviour="elbo_below_log_likelihood", at={"beta": 1.0},
                   correct=r"\mathrm{ELBO}(q) \le \log p(x) for every q, with equality at q = p(z\mid x)"),
            Source(S004, "2691", r"Lower bound: can compute ELBO (lower bound on \log p(\mathbf{x}))",
                   behaviour="elbo_below_log_likelihood", at={"beta": 1.0},
                   correct=r"\mathrm{ELBO}(q) \le \log p(x) for every q, with equality at q = p(z\mid x)"),
            Source(S004, "1279", r"Optimizing q to maximize the ELBO tightens this bound, providing increasingly accurate approximations to the true log-likelihood.",
                   behaviour="optimising_q_tightens_the_bound", at={"steps": 300},
                   correct=r"gradient ascent on the ELBO over q (decoder fixed) shrinks the gap KL(q\|p(z\mid x)) towards 0"),
        ),
    )


@claim("elbo.decoder-gradient")
def elbo_decoder_gradient() -> Claim:
    """∂_w ELBO at q = p_w(z|x) equals ∂_w log p_w(x) = w(x² − w² − s²)/(w² + s²)²."""
    gradient = w * (x**2 - w**2 - s**2) / (w**2 + s**2) ** 2
    return Claim(
        title="With the decoder trained, the ELBO at q = posterior moves with ∂_w log p_w(x) ≠ 0: not only the KL changes",
        statement=r"\partial_w \mathrm{ELBO}(q, w)\big|_{q = p_w(z\mid x)}",
        variables=(X, W, S),
        derivation=(
            Step(r"ELBO (claim elbo.linear-gaussian), with the decoder weight w now trained as well", elbo()),
            Step(r"differentiate in w: only the reconstruction term depends on w",
                 (m * (x - w * m) - w * v) / s**2, op=lambda e: sympy.diff(e, w)),
            Step(r"at q = p(z|x) (m, v the posterior's): the gap KL(q||p_w(z|x)) is at its minimum 0, so its w-gradient "
                 r"vanishes and the ELBO's gradient is that of \log p_w(x), non-zero unless x^2 = w^2 + s^2",
                 gradient, op=lambda e: e.subs({m: POSTERIOR_MEAN, v: POSTERIOR_VARIANCE})),
        ),
        wrong_variants=(
            WrongVariant("zero (log p(x) treated as fixed)", sympy.Integer(0)),
            WrongVariant("sign flipped", -gradient),
        ),
        sources=(
            Source(S002, "284–288", r"Since \log p_\theta(u), the **evidence**, is **fixed** for a given data point, maximizing ELBO is mathematically equivalent to minimizing the divergence between approxmiate posterior and the true posterior; \phi^*, \theta^* = \arg \max_{\phi, \theta} \text{ELBO}(u)",
                   expr=sympy.Integer(0), correct=r"only with \theta fixed: \partial_\theta \log p_\theta(u) \ne 0, so maximising over (\phi, \theta) also raises the evidence",
                   category="over-general statement", severity="imprecise",
                   note=r"'the evidence is fixed' read as \partial_w \log p_w(x) = 0 while the decoder w is optimised; "
                        r"right for the encoder \phi alone, over-general for the joint argmax over (\phi, \theta) it leads to"),
        ),
    )
