r"""The GAN discriminator's hinge loss (Lim & Ye 2017; SAGAN, BigGAN):
E_x max(0, 1 − D(x)) + E_z max(0, 1 + D(G(z))), D the critic's raw score (no sigmoid).

It is the soft-margin SVM's hinge (claim nll.hinge) with the real sample labelled +1 and the
generated one −1. The claim is per pair (D(x), D(G(z))); the two batch means are a reduction
(``conform --convention reduction=mean``: the mean over pairs of the sum is the sum of the means).
"""

from __future__ import annotations

from sympy import Max

from derivspec.core import REAL, Claim, Step, Var, WrongVariant, claim, target_of
from derivspec.derivations.nll.hinge import f, y

D_REAL = Var("d_real", r"D(x)", REAL)
D_FAKE = Var("d_fake", r"D(G(z))", REAL)
d_real, d_fake = D_REAL.symbol, D_FAKE.symbol


@claim("gan.discriminator.hinge")
def gan_discriminator_hinge() -> Claim:
    """max(0, 1 − D(x)) + max(0, 1 + D(G(z))): the SVM hinge, real labelled +1 and generated −1."""
    hinge = target_of("nll.hinge")
    return Claim(
        title="GAN discriminator hinge loss: max(0, 1 − D(x)) + max(0, 1 + D(G(z))) per pair (batch means: a reduction)",
        statement=r"L_D = \mathbb E_x\max(0, 1 - D(x)) + \mathbb E_z\max(0, 1 + D(G(z)))",
        variables=(D_REAL, D_FAKE),
        derivation=(
            Step(r"definition: the SVM hinge of claim nll.hinge on the critic's raw score, the real sample "
                 r"labelled y = +1 and the generated one y = -1, summed",
                 hinge.subs({y: 1, f: d_real}) + hinge.subs({y: -1, f: d_fake})),
            Step(r"at y = \pm 1: \max(0, 1 - D(x)) + \max(0, 1 + D(G(z)))", Max(0, 1 - d_real) + Max(0, 1 + d_fake)),
        ),
        wrong_variants=(
            WrongVariant("real and generated roles swapped: max(0, 1 + D(x)) + max(0, 1 - D(G(z)))",
                         Max(0, 1 + d_real) + Max(0, 1 - d_fake)),
            WrongVariant("generated samples labelled real: max(0, 1 - D(G(z)))", Max(0, 1 - d_real) + Max(0, 1 - d_fake)),
            WrongVariant("the clamps dropped: the Wasserstein critic loss 2 - D(x) + D(G(z))", 2 - d_real + d_fake),
        ),
    )
