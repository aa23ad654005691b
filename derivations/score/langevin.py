r"""Langevin sampling: the unadjusted Langevin step and its bias, annealed Langevin.

The Langevin diffusion dz = ∇ log p(z) dt + √2 dW leaves p invariant (004 L3344). Its Euler step of
length η/2 is the unadjusted Langevin algorithm (ULA, 004 L1149)

.. math::  x_{k+1} = x_k + \tfrac\eta2\nabla\log p(x_k) + \sqrt\eta\,z_k,\qquad z_k\sim\mathcal N(0, 1),

which does *not* leave p invariant: on p = N(0, σ²) it is the AR(1) chain x' = (1 − η/(2σ²))x + √η z,
whose stationary variance is σ²/(1 − η/(4σ²)) > σ² (stable for η < 4σ²), biased by O(η) and exact only
as η → 0 (then the bias vanishes, as 004 L1151 says). Annealed Langevin runs ULA on the noisy
densities p_σ = p * N(0, σ²) for decreasing σ (Song & Ermon 2019): the large-σ stages move mass between
modes that plain ULA cannot cross (``reference_models/samplers.py``).

Seeds: 004 L1147–1151, L3343–3348, L3437–3438.
"""

from __future__ import annotations

import sympy

from derivspec.core import Claim, Source, Step, Var, WrongVariant, claim, positive_between
from derivspec.core.lectures import S004

ETA = Var("eta", r"\eta", positive_between(0.1, 1.0))      # the ULA step size (η < 4σ² on the sampling ranges)
SIGMA = Var("sigma", r"\sigma", positive_between(0.7, 1.5))
eta, sigma = ETA.symbol, SIGMA.symbol
stationary = sympy.Symbol("v", positive=True)  # the stationary variance, unknown


@claim("score.langevin.ula-variance")
def score_langevin_ula_variance() -> Claim:
    r"""ULA x + (η/2)∇log p + √η z on N(0, σ²): stationary variance σ²/(1 − η/(4σ²))."""
    rho = 1 - eta / (2 * sigma**2)
    return Claim(
        title="ULA is biased: on N(0, σ²), x + (η/2)∇log p(x) + √η z has stationary variance σ²/(1 − η/(4σ²)) > σ²",
        statement=r"\mathrm{Var}_\infty,\ x_{k+1} = x_k + \tfrac\eta2\nabla\log p(x_k) + \sqrt\eta z_k,\ p = \mathcal N(0,\sigma^2)",
        variables=(ETA, SIGMA),
        derivation=(
            Step(r"definition: \nabla\log p(x) = -x/\sigma^2, so the step is x' = (1 - \eta/(2\sigma^2))x + \sqrt\eta z with z "
                 r"independent of x; a stationary variance v satisfies v = (1-\eta/(2\sigma^2))^2v + \eta",
                 stationary - rho**2 * stationary - eta),
            Step(r"solve for v (|1 - \eta/(2\sigma^2)| < 1, i.e. \eta < 4\sigma^2)", eta / (1 - rho**2),
                 op=lambda e: sympy.solve(e, stationary)[0]),
            Step(r"1 - (1 - \eta/(2\sigma^2))^2 = (\eta/\sigma^2)(1 - \eta/(4\sigma^2)): v = \sigma^2/(1 - \eta/(4\sigma^2))",
                 sigma**2 / (1 - eta / (4 * sigma**2))),
        ),
        wrong_variants=(
            WrongVariant("unbiased: the target variance sigma^2", sigma**2 + 0 * eta),
            WrongVariant("factor 2 in place of 4", sigma**2 / (1 - eta / (2 * sigma**2))),
            WrongVariant("noise sqrt(eta/2) with drift (eta/2) grad log p (the step of the wrong SDE)",
                         sigma**2 / (2 - eta / (2 * sigma**2))),
        ),
        sources=(
            Source(S004, "1149", r"x_{t+1} = x_t + \frac{\epsilon}{2} \nabla_x \log p(x_t) + \sqrt{\epsilon} \eta_t, \quad \eta_t \sim \mathcal{N}(0, I) \quad (36)",
                   behaviour="ula_bias_vanishes_as_step_shrinks", at={"sigma": 1.0},
                   note="the step of this claim with η = ε"),
            Source(S004, "1151", r"Combines gradient ascent with noise injection. Converges to p(x) as \epsilon \rightarrow 0 and iterations \rightarrow \infty.",
                   behaviour="ula_bias_vanishes_as_step_shrinks", at={"sigma": 1.0}),
            Source(S004, "3343–3344", r"Langevin dynamics: sampling via gradient + noise; d\mathbf{z} = \nabla \log p(\mathbf{z})dt + \sqrt{2}dW",
                   expr=sigma**2, at={"eta": 0},
                   note="the continuous-time diffusion leaves p invariant: the η → 0 limit of its Euler steps (stationary "
                        "variance σ² on N(0, σ²))"),
            Source(S004, "3345", r"Brownian motion with drift toward high probability",
                   nothing_to_compare=True, note="a description of the SDE at L3344 (its drift is the score, claim score.normaliser)"),
            Source(S004, "3347", r"Annealed Langevin: add noise schedule for better mixing",
                   behaviour="annealed_langevin_mixes_better", at={"separation": 4.0}),
            Source(S004, "3348", r"Key insight: can sample by following score (gradient of log density)",
                   behaviour="ula_bias_vanishes_as_step_shrinks", at={"sigma": 1.0}),
            Source(S004, "3437–3438", r"Diffusion = learned annealed Langevin dynamics; Multiple noise levels = annealing schedule",
                   behaviour="annealed_langevin_samples_the_data", at={"levels": 10}),
        ),
    )
