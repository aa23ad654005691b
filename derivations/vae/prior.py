r"""The VAE's prior N(0, I): its negative log-density ½‖z‖² + (d/2) log 2π (d = 2).

The standard normal's density depends on z only through ‖z‖² (rotation invariance), factorises
over the coordinates (independent components, each N(0, 1): the marginals), and its NLL is the
L2 penalty ½‖z‖² plus a constant (002 L119–135, L142).

Seeds: 002 L119–135, L142.
"""

from __future__ import annotations

import sympy
import sympy.stats
from sympy import cos, log, pi, sin, sqrt

from derivspec.core import REAL, Claim, Recognise, Source, Step, Var, WrongVariant, claim
from derivspec.core.lectures import S002
from derivspec.derivations.nll.gaussian import gaussian_nll

Z1, Z2 = Var("z1", "z_1", REAL), Var("z2", "z_2", REAL)
z1, z2 = Z1.symbol, Z2.symbol
PRIOR_NLL = (z1**2 + z2**2) / 2 + log(2 * pi)


@claim("vae.prior.nll")
def vae_prior_nll() -> Claim:
    """−log N(z; 0, I₂) = ½‖z‖² + log 2π."""
    density = sympy.stats.density(sympy.stats.MultivariateNormal("Z", [0, 0], sympy.eye(2)))(z1, z2)
    return Claim(
        title="Negative log-density of the VAE prior N(0, I_d): ½‖z‖² + (d/2) log 2π (d = 2), an L2 penalty plus a constant",
        # the standard normal prior in two coordinates (I read as the unit variance): only next to z_1 and z_2
        recognise=(
            Recognise(r"-\log \mathcal N(z; 0, I)", requires=("z_1", "z_2")),
            Recognise(r"\log \mathcal N(z; 0, I)", value=lambda t: -t, requires=("z_1", "z_2")),
        ),
        statement=r"-\log \mathcal N(z; 0, I_2)",
        variables=(Z1, Z2),
        derivation=(
            Step(r"definition: density of N(0, I_2) (sympy.stats.MultivariateNormal): e^{-\|z\|^2/2}/(2\pi)", density),
            Step("take minus the log", -log(sympy.exp(-(z1**2 + z2**2) / 2) / (2 * pi)), op=lambda e: -log(e)),
            Step(r"\tfrac12\|z\|^2 + \tfrac d2\log 2\pi with d = 2", PRIOR_NLL),
        ),
        wrong_variants=(
            WrongVariant("the log-normaliser for d = 1", (z1**2 + z2**2) / 2 + log(2 * pi) / 2),
            WrongVariant("the 1/2 dropped from the quadratic term", z1**2 + z2**2 + log(2 * pi)),
            WrongVariant("the norm, not its square", sqrt(z1**2 + z2**2) / 2 + log(2 * pi)),
        ),
        sources=(
            Source(S002, "134", r"-\log P(Z) = 0.5d\log 2\pi + 0.5 |Z|^2", expr=0.5 * 2 * log(2 * pi) + 0.5 * (z1**2 + z2**2),
                   note="d = 2"),
            Source(S002, "134", r"P(Z) = \frac{1}{\sqrt{(2\pi)^d}} \exp \left (-0.5 |Z|^2 \right)",
                   expr=sympy.exp(-0.5 * (z1**2 + z2**2)) / sqrt((2 * pi) ** 2), to_target=lambda written: -log(written),
                   note="d = 2; the source writes the density, the target is minus its log"),
            Source(S002, "121–124", r"The distribution is perfectly symmetric in every direction; No preferred direction, axis, and rotational invariance",
                   expr=PRIOR_NLL.subs({z1: cos(1) * z1 - sin(1) * z2, z2: sin(1) * z1 + cos(1) * z2}, simultaneous=True),
                   note="rotation invariance: the NLL at R z (a rotation by 1 radian) equals the NLL at z"),
            Source(S002, "125–126", r"The different variables (sub-vectors Z_1, Z_2 of Z ) are independent. i.e. P(Z_1, Z_2) = P(Z_1)P(Z_2)",
                   expr=gaussian_nll(z1, 0, 1) + gaussian_nll(z2, 0, 1),
                   note="−log P(Z_1)P(Z_2) with each factor N(0, 1) (claim nll.gaussian)"),
            Source(S002, "130–131", r"Closure under marginalization: Each individually will also be isotropic: P(Z_1) = \mathcal N(0, I)",
                   expr=-log(sympy.integrate(sympy.exp(-PRIOR_NLL), (z2, -sympy.oo, sympy.oo)))
                   - log(sympy.integrate(sympy.exp(-PRIOR_NLL), (z1, -sympy.oo, sympy.oo))),
                   note="the marginals, integrated from the joint, are N(0, 1); their NLLs add up to the joint's"),
            Source(S002, "135", r"The quadratic term \to L2 penalty on latent magnitude",
                   expr=(z1**2 + z2**2) / 2, relation="offset", free_of=("z1", "z2"),
                   note="the NLL is ½‖z‖² plus a constant"),
            Source(S002, "142", r"\min \sum_z - \log \mathcal N(z; 0, I) = \min 0.5 \sum_x |z|^2",
                   expr=0.5 * (z1**2 + z2**2), relation="offset", free_of=("z1", "z2"),
                   note="one code: equal up to the constant log 2π, so the minimisers agree"),
        ),
    )
