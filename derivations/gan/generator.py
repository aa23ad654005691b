r"""Saturating vs non-saturating generator losses, differentiated in the discriminator's logit.

With D(G(z)) = σ(a) (a the discriminator's logit at the generated point), the minimax
generator minimises log(1 − σ(a)), whose a-derivative −σ(a) = −D vanishes when the discriminator
rejects the sample confidently (D → 0, early in training); the non-saturating generator
minimises −log σ(a), whose derivative −(1 − σ(a)) stays near −1 there. By the chain rule the
generator's parameter gradient is this derivative times ∂a/∂θ.

Seeds: 004 L2810–2822; 003 L2126, L2136–2137.
"""

from __future__ import annotations

import sympy
from sympy import exp, log

from derivspec.core import Claim, Source, Step, Var, WrongVariant, claim, real_between
from derivspec.core.lectures import S003, S004

A = Var("a", "a", real_between(-6, 6))
a = A.symbol


def sigmoid(t) -> sympy.Expr:
    return 1 / (1 + exp(-t))


@claim("gan.generator.saturating")
def gan_generator_saturating() -> Claim:
    r"""d/da log(1 − σ(a)) = −σ(a) = −D(G(z)): vanishes as D(G(z)) → 0."""
    return Claim(
        title="Saturating (minimax) generator loss log(1 − D(G(z))): d/da = −D(G(z)), which vanishes when D rejects the sample",
        statement=r"\frac{\partial}{\partial a}\log(1 - D),\ D = \sigma(a) = D(G(z))",
        variables=(A,),
        derivation=(
            Step(r"definition: the generator's term of V, \log(1 - D(G(z))) with D = \sigma(a)", log(1 - sigmoid(a))),
            Step(r"differentiate in the logit a: -\sigma(a)", -1 / (1 + exp(-a)), op=lambda e: sympy.diff(e, a)),
        ),
        wrong_variants=(
            WrongVariant("the non-saturating derivative -(1 - σ(a))", -1 / (1 + exp(a))),
            WrongVariant("the sigmoid's own derivative σ(a)(1 − σ(a))", sigmoid(a) * (1 - sigmoid(a))),
            WrongVariant("sign flipped", 1 / (1 + exp(-a))),
        ),
        sources=(
            Source(S004, "2821", r"Update generator θ using gradient descent",
                   note="descent on the generator's term log(1 − D(G(z))): its gradient is −D·∂a/∂θ (this claim), "
                        "which vanishes when D(G(z)) → 0; gan.generator.non-saturating is the usual remedy"),
            Source(S004, "2813", r"Minimize: make generator better at fooling discriminator",
                   nothing_to_compare=True, note="a description of the objective, no formula"),
        ),
    )


@claim("gan.generator.non-saturating")
def gan_generator_non_saturating() -> Claim:
    r"""d/da (−log σ(a)) = −(1 − σ(a)): stays near −1 as D(G(z)) → 0."""
    return Claim(
        title="Non-saturating generator loss −log D(G(z)): d/da = −(1 − D(G(z))), near −1 when D rejects the sample",
        statement=r"\frac{\partial}{\partial a}\left(-\log D\right),\ D = \sigma(a) = D(G(z))",
        variables=(A,),
        derivation=(
            Step(r"definition: the non-saturating generator loss -\log D(G(z)) with D = \sigma(a)", -log(sigmoid(a))),
            Step(r"differentiate in the logit a: -(1 - \sigma(a)) = -1/(1 + e^{a})", -1 / (1 + exp(a)),
                 op=lambda e: sympy.diff(e, a)),
        ),
        wrong_variants=(
            WrongVariant("the saturating derivative -σ(a)", -1 / (1 + exp(-a))),
            WrongVariant("the sigmoid's own derivative with a minus sign", -sigmoid(a) * (1 - sigmoid(a))),
            WrongVariant("sign flipped", 1 / (1 + exp(a))),
        ),
        sources=(
            Source(S003, "2126", r"**This is approximately what VAE encoders, GAN training, and policy distillation optimize.** Sharper samples, but mode collapse is a real risk.",
                   behaviour="non_saturating_gradient_is_reverse_kl_minus_2jsd", at={"theta": 1.5},
                   note="the GAN part read for the non-saturating generator: with D* held fixed its expected gradient is "
                        "∇_θ[KL(q_θ‖p) − 2 JSD(p‖q_θ)] (Arjovsky & Bottou 2017), a reverse KL plus a JSD term"),
            Source(S003, "2136–2137", r"**Reverse KL** concentrates on one mode — sharp samples but ignores the other half of the distribution. Why **GANs mode-collapse**.",
                   note="an attribution, not a formula: the non-saturating objective contains KL(q‖p) (see the behaviour at "
                        "003 L2126); the minimax value at D* is 2 JSD − log 4 (gan.value.optimal)"),
        ),
    )
