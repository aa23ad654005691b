r"""The optimal discriminator D*(x) = p(x)/(p(x) + q(x)) and V(G, D*) = −log 4 + 2·JSD(p ‖ q).

D* maximises the integrand p log D + q log(1 − D) at every x (a concave function of D), so it
maximises V. Substituting it, log(p/(p+q)) = log(p/m) − log 2 with m = (p+q)/2, and the value is
−log 4 + KL(p‖m) + KL(q‖m) = −log 4 + 2 JSD(p‖q) ≥ −log 4, with equality iff q = p. The value
claim is derived on a two-point space {1, 2} (P = (p₁, 1−p₁), Q = (q₁, 1−q₁)); Gaussian p and q
are checked by quadrature, and a trained 1-D GAN in ``reference_models/gan1d.py``.

Seeds: 004 L1281–1285, L1698–1704, L2782–2822, L2848–2890; 003 L2167, L2194.
"""

from __future__ import annotations

import sympy
from sympy import log

from derivspec.core import UNIT_INTERVAL, Claim, Source, Step, Var, WrongVariant, claim, positive_between, target_of
from derivspec.core.claims import Recognise
from derivspec.core.lectures import S003, S004

P = Var("p", "p", positive_between(0.05, 3))
Q = Var("q", "q", positive_between(0.05, 3))
p, q = P.symbol, Q.symbol
D = sympy.Symbol("D", positive=True)  # the discriminator's value at x, in (0, 1)


@claim("gan.discriminator.optimal")
def gan_discriminator_optimal() -> Claim:
    r"""argmax_D p log D + q log(1 − D) = p/(p + q): the optimal discriminator at a point x."""
    return Claim(
        title="Optimal GAN discriminator D*(x) = p_data(x)/(p_data(x) + p_g(x))",
        recognise=(
            Recognise(r"D^*(x)", interpret={r"p_{\mathrm{data}}(x)": P.symbol, r"p_g(x)": Q.symbol,
                                            r"p^*(x)": P.symbol, r"q_\theta(x)": Q.symbol,
                                            r"p_\theta(x)": Q.symbol, r"p_{\mathrm{model}}(x)": Q.symbol}),
        ),
        statement=r"D^*(x) = \arg\max_{D\in(0,1)}\ p\log D + q\log(1-D),\ p = p_{\text{data}}(x),\ q = p_g(x)",
        variables=(P, Q),
        derivation=(
            Step(r"definition: V(G, D) = \int p(x)\log D(x) + q(x)\log(1 - D(x))\,dx is maximised by maximising "
                 r"the integrand at every x", p * log(D) + q * log(1 - D)),
            Step(r"set \partial/\partial D = p/D - q/(1-D) to 0 and solve (the integrand is concave: "
                 r"\partial^2/\partial D^2 = -p/D^2 - q/(1-D)^2 < 0)",
                 p / (p + q), op=lambda e: sympy.solve(sympy.diff(e, D), D)[0]),
        ),
        wrong_variants=(
            WrongVariant("data and generator swapped", q / (p + q)),
            WrongVariant("the density ratio p/q", p / q),
            WrongVariant("1/2 everywhere (the equilibrium value)", sympy.Rational(1, 2) + 0 * p),
        ),
        sources=(
            Source(S004, "2808", r"Optimal discriminator: D^*(\mathbf{x}) = \frac{p^*(\mathbf{x})}{p^*(\mathbf{x}) + q_\theta(\mathbf{x})}",
                   expr=p / (p + q), note=r"p^* = p_{\text{data}} = p, q_\theta = p_g = q"),
            Source(S004, "2806", r"V(q_\theta, p^*) = \mathbb{E}_{\mathbf{x} \sim p^*} [\log D_\phi(\mathbf{x})] + \mathbb{E}_{\mathbf{z} \sim p(\mathbf{z})} [\log(1 - D_\phi(G_\theta(\mathbf{z})))]",
                   behaviour="value_over_noise_equals_value_over_samples", at={"n": 400_000}),
            Source(S004, "1702", r"\min_{\theta} \max_{\phi} \mathbb{E}_{x \sim p_{\text{data}}} [\log D_{\phi}(x)] + \mathbb{E}_{x \sim p_{\theta}} [\log(1 - D_{\phi}(x))]",
                   behaviour="value_over_noise_equals_value_over_samples", at={"n": 400_000},
                   note="the same value as L2806, written over x ~ p_θ (the law of the unconscious statistician)"),
            Source(S004, "2784–2787", r"given S_1 \sim P and S_2 \sim Q, is P = Q? Classical tests: Kolmogorov-Smirnov, Maximum Mean Discrepancy; Any classifier can serve as discriminator (decision trees, SVMs, logistic regression); Key limitation: limited capacity to distinguish complex distributions",
                   behaviour="classifier_two_sample_test", at={"n": 4000}),
            Source(S004, "2796–2802", r"Data samples: S_1 = \{\mathbf{x} \sim p^*\}; Model samples: S_2 = \{\mathbf{x} \sim q_\theta\}; Discriminator D_\phi(\mathbf{x}); Generator G_\theta(\mathbf{z}); Minimax game: \min_\theta \max_\phi V(q_\theta, p^*)",
                   note="definitions of the game; the inner maximum is attained at this claim's D*"),
            Source(S004, "1281–1285", r"Generative Adversarial Networks define no explicit density function. Scoring: Training a separate density estimator on generated samples; Using the discriminator as a proxy score",
                   expr=p / q, to_target=lambda ratio: ratio / (1 + ratio),
                   note=r"read as: the discriminator scores the density ratio, not p(x); compared: D^*/(1-D^*) = "
                        r"p_{\text{data}}/p_g, i.e. this claim's D^* is r/(1 + r) for r = p/q"),
            Source(S004, "1581–1585", r"Maximum Mean Discrepancy (MMD): Kernel-based distance, rooted in two-sample testing; Kolmogorov-Smirnov (1933/39) \rightarrow MMD (Gretton et al., 2012)",
                   note="a description of a kernel two-sample statistic with no formula; the classifier two-sample test of "
                        "L2784–2787 is checked with this claim"),
            Source(S003, "2194", r"GAN: implicit generator; min-max over \log D, \log(1 - D)",
                   note="the value function of 004 L2806, whose inner maximiser is this claim (not an NLL of the generator, "
                        "which defines no density; the discriminator's loss is a Bernoulli NLL)"),
        ),
    )


# --- the value at the optimal discriminator (two-point space) -------------------------------

P1 = Var("p1", "p_1", UNIT_INTERVAL)
Q1 = Var("q1", "q_1", UNIT_INTERVAL)
p1, q1 = P1.symbol, Q1.symbol


def kl_two_point(a, b) -> sympy.Expr:
    """KL((a, 1−a) ‖ (b, 1−b)), the definition summed over the two points."""
    return a * log(a / b) + (1 - a) * log((1 - a) / (1 - b))


def jsd_two_point(a, b) -> sympy.Expr:
    """JSD = ½ KL(P ‖ M) + ½ KL(Q ‖ M), M = (P + Q)/2."""
    m = (a + b) / 2
    return kl_two_point(a, m) / 2 + kl_two_point(b, m) / 2


def value_at(d_star_1, d_star_2) -> sympy.Expr:
    """V = Σ_x P(x) log D(x) + Q(x) log(1 − D(x)) on {1, 2}."""
    return p1 * log(d_star_1) + q1 * log(1 - d_star_1) + (1 - p1) * log(d_star_2) + (1 - q1) * log(1 - d_star_2)


@claim("gan.value.optimal")
def gan_value_optimal() -> Claim:
    r"""V(G, D*) = −log 4 + 2 JSD(P ‖ Q) on a two-point space (Gaussians by quadrature)."""
    d_star = target_of("gan.discriminator.optimal")
    at_1 = d_star.subs({p: p1, q: q1}, simultaneous=True)
    at_2 = d_star.subs({p: 1 - p1, q: 1 - q1}, simultaneous=True)
    m1 = (p1 + q1) / 2
    m2 = 1 - m1
    return Claim(
        title="GAN value at the optimal discriminator: V(G, D*) = −log 4 + 2·JSD(p_data ‖ p_g), minimal iff p_g = p_data",
        # Goodfellow et al. write V(D, G), many lectures V(G, D): both orders
        recognise=tuple(Recognise(value, interpret={r"\mathrm{JSD}(p \| q)": jsd_two_point(p1, q1)})
                        for value in (r"V(G, D^*)", r"V(D^*, G)")),
        statement=r"V(G, D^*),\ p_{\text{data}} = (p_1, 1-p_1),\ p_g = (q_1, 1-q_1)",
        variables=(P1, Q1),
        derivation=(
            Step(r"definition: V(G, D) = \sum_x p(x)\log D(x) + q(x)\log(1-D(x)) at D = D^* = p/(p+q) "
                 r"(claim gan.discriminator.optimal)", value_at(at_1, at_2)),
            Step(r"\log\frac{p}{p+q} = \log\frac{p}{m} - \log 2 with m = (p+q)/2, and \sum_x (p + q) = 2: "
                 r"-\log 4 + \mathrm{KL}(P\|M) + \mathrm{KL}(Q\|M)",
                 -log(4) + p1 * log(p1 / m1) + (1 - p1) * log((1 - p1) / m2) + q1 * log(q1 / m1) + (1 - q1) * log((1 - q1) / m2)),
            Step(r"\mathrm{JSD} = \tfrac12\mathrm{KL}(P\|M) + \tfrac12\mathrm{KL}(Q\|M): -\log 4 + 2\,\mathrm{JSD}(P\|Q)",
                 -log(4) + 2 * jsd_two_point(p1, q1)),
        ),
        wrong_variants=(
            WrongVariant("JSD without the factor 2", -log(4) + jsd_two_point(p1, q1)),
            WrongVariant("-log 2 in place of -log 4", -log(2) + 2 * jsd_two_point(p1, q1)),
            WrongVariant("symmetrised KL(P‖Q) + KL(Q‖P) in place of 2 JSD",
                         -log(4) + kl_two_point(p1, q1) + kl_two_point(q1, p1)),
            WrongVariant("signs flipped", log(4) - 2 * jsd_two_point(p1, q1)),
        ),
        sources=(
            Source(S004, "2812–2814", r"\min_\theta \max_\phi V(q_\theta, p^*); At equilibrium: q_\theta = p^* (generator matches data distribution)",
                   behaviour="minimax_optimum_is_the_data", at={"mu": 1.0, "sigma": 0.7}),
            Source(S004, "2818–2822", r"Sample m training points from data; Sample m noise vectors, generate synthetic points; Update discriminator ϕ using gradient ascent; Update generator θ using gradient descent; Repeat until convergence (or divergence...)",
                   behaviour="alternating_gan_training_converges", at={"steps": 800}),
            Source(S003, "2167", r"GAN (approximately) Jensen-Shannon — symmetrized KL",
                   expr=jsd_two_point(p1, q1), relation="affine", free_of=("p1", "q1"),
                   note="with the optimal discriminator the value is 2·JSD − log 4 (exactly, not approximately); "
                        "'symmetrized KL' is right for JSD = ½KL(P‖M) + ½KL(Q‖M), the KLs to the mixture — read as "
                        "KL(P‖Q) + KL(Q‖P) it is this claim's wrong variant 'symmetrised KL'"),
            Source(S004, "2859", r"Mode collapse: generator ignores parts of data distribution",
                   note="a training-dynamics observation; at the population optimum of this claim (JSD = 0) nothing is ignored"),
            Source(S004, "2890", r"But persistent challenges: mode collapse, training instability",
                   note="a training-dynamics observation, not a formula"),
            Source(S004, "2865–2866", r"Cannot compute p(\mathbf{x}) - no explicit density; Cannot evaluate likelihood",
                   note="a design statement (the generator defines the density only implicitly); nothing to compare"),
            Source(S004, "2871–2872", r"Fast: single forward pass G_\theta(\mathbf{z}); Parallel: can generate many samples simultaneously",
                   note="a cost statement; reference_models/gan1d.py samples with one batched pass"),
            Source(S004, "2877–2879", r"No encoder by default; Cannot infer latent code for given \mathbf{x}; BiGAN/ALI add inference but complicate training",
                   note="a design statement, not a formula"),
            Source(S004, "1036", r"**Forward models** (e.g., GANs): Sampling trivial, density intractable",
                   nothing_to_compare=True, note="a design statement, not a formula"),
            Source(S004, "4152–4154", r"Available for: Autoregressive models (tractable by chain rule), normalizing flows (tractable via change of variables), VAEs (via ELBO lower bound); Not available for: GANs (implicit density), diffusion models (intractable, though boundable)",
                   nothing_to_compare=True, note="a design statement, not a formula (the flows' exact likelihood is checked with flow.coupling.log-det)"),
            Source(S004, "2826–2835", r"GAN (Generative Adversarial Networks): Goodfellow et al. [2014]; Adversarial training framework; DCGAN (Deep Convolutional GAN): Radford, Metz & Chintala [2015]",
                   nothing_to_compare=True, note="history, not a formula"),
        ),
    )
