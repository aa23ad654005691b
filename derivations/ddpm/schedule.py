r"""The noise schedule: ᾱ_T = Π_t (1 − β_t), and whether x_T ≈ N(0, I) for a given schedule.

From the one-step definition ᾱ_t = α_t ᾱ_{t−1}, α_t = 1 − β_t, ᾱ_0 = 1 (the signal fraction of
q(x_t | x_0) = N(√ᾱ_t x_0, 1 − ᾱ_t), claims ddpm.marginal.mean / .variance), unrolled for T = 3
with every β_t symbolic.

"At t = T: x_T ≈ N(0, I)" (004 L3367) is a statement about the schedule: x_T | x_0 keeps √ᾱ_T x_0
of the data, so it is pure noise only when ᾱ_T ≈ 0, i.e. when the schedule adds enough total noise.
It is evaluated per schedule (behaviour sources, run by ``derivspec verify``): it holds for the
linear schedule of Ho et al. (T = 1000, β from 1e-4 to 0.02: ᾱ_T = 4.0e-5) and for the cosine
schedule of Nichol & Dhariwal (2021), the two schedules the notes name (004 L3363: "typically
linear or cosine"). A schedule with too little total noise (β from 1e-5 to 1e-3, or the standard
endpoints with only T = 50 steps: ᾱ_T = 0.60) would not end in noise, but the notes use none, so
that is a note, not an erratum (property_tests/test_ddpm.py runs the check on both).

Issue 11 adds the cosine schedule's step β_t = 1 − ᾱ_t/ᾱ_{t−1} = 1 − f(t)/f(t−1) (ᾱ_t = f(t)/f(0), Nichol &
Dhariwal 2021) and the index convention of the cumulative product (ᾱ_{t−1} is the product through step t − 1,
ᾱ_0 = 1: the posterior variance at t = 2 of a three-step schedule, where off-by-one code goes wrong).

Seeds: 004 L3363–3367, L3423; 002 L463–467.
"""

from __future__ import annotations

import sympy

from derivspec.core import Claim, Domain, Source, Step, Var, WrongVariant, claim, count_between, positive_between
from derivspec.core.registry import get
from derivspec.core.lectures import S002, S004
from derivspec.derivations.ddpm.forward import alpha_bar_prev, alpha_t

# β_t of a schedule: small per-step noise (the lectures' schedules have β_t ≤ 0.02; 0.3 keeps ᾱ_3 ≥ 0.34, so the
# Monte Carlo route's relative error stays small)
STEP_NOISE = Domain("in (0, 1)", {"positive": True}, low=0.0, high=1.0, sample_low=0.01, sample_high=0.3)
BETAS = tuple(Var(f"beta{t}", rf"\beta_{t}", STEP_NOISE) for t in (1, 2, 3))
beta1, beta2, beta3 = (v.symbol for v in BETAS)

PURE_NOISE = r"\mathbf{x}_T \approx \mathcal{N}(\mathbf{0}, \mathbf{I})"
PURE_NOISE_AS_WRITTEN = r"At t = T: \mathbf{x}_T \approx \mathcal{N}(\mathbf{0}, \mathbf{I}) (pure noise)"
PURE_NOISE_CORRECT = (r"x_T \mid x_0 \sim \mathcal N(\sqrt{\bar\alpha_T}x_0, 1-\bar\alpha_T) is pure noise only when "
                      r"\bar\alpha_T = \prod_t(1-\beta_t) \approx 0 (\sum_t\beta_t large enough): the linear schedule "
                      r"T = 1000, \beta_t from 10^{-4} to 0.02 gives \bar\alpha_T = 4.0\cdot10^{-5}; \beta_t from 10^{-5} "
                      r"to 10^{-3}, or only T = 50 steps, leaves \bar\alpha_T = 0.60")
SCHEDULE_NOTE = ("evaluated with {what}; x_T ≈ N(0, I) is taken to mean ᾱ_T < 1e-3 (numerics.ddpm.PURE_NOISE_ALPHA_BAR); "
                 "it needs enough total noise: β_t from 1e-5 to 1e-3, or only T = 50 steps, would leave ᾱ_T = 0.60, but "
                 "the notes use neither")


@claim("ddpm.schedule.alpha-bar")
def ddpm_schedule_alpha_bar() -> Claim:
    """ᾱ_3 = (1 − β_1)(1 − β_2)(1 − β_3), from ᾱ_t = α_t ᾱ_{t−1}."""
    return Claim(
        title="ᾱ_T = Π_t (1 − β_t) from the one-step definition ᾱ_t = α_t ᾱ_{t−1} (T = 3, every β_t symbolic)",
        statement=r"\bar\alpha_3,\ \bar\alpha_t = \alpha_t\bar\alpha_{t-1},\ \alpha_t = 1-\beta_t,\ \bar\alpha_0 = 1",
        variables=BETAS,
        derivation=(
            Step(r"definition: \bar\alpha_t = \alpha_t\bar\alpha_{t-1} with \alpha_t = 1 - \beta_t and \bar\alpha_0 = 1 "
                 r"(one forward step multiplies the signal coefficient \sqrt{\bar\alpha} by \sqrt{\alpha_t}, claim "
                 r"ddpm.marginal.mean), so \bar\alpha_1 = 1 - \beta_1", 1 - beta1),
            Step(r"\bar\alpha_2 = \alpha_2\bar\alpha_1", (1 - beta1) * (1 - beta2), op=lambda e: (1 - beta2) * e),
            Step(r"\bar\alpha_3 = \alpha_3\bar\alpha_2 = \prod_{s=1}^3(1-\beta_s)", (1 - beta1) * (1 - beta2) * (1 - beta3),
                 op=lambda e: (1 - beta3) * e),
        ),
        wrong_variants=(
            WrongVariant("1 - sum of the betas (first order only)", 1 - beta1 - beta2 - beta3),
            WrongVariant("product stops at T - 1", (1 - beta1) * (1 - beta2)),
            WrongVariant("product of the betas", beta1 * beta2 * beta3),
            WrongVariant("last step only, T times", (1 - beta3) ** 3),
        ),
        sources=(
            Source(S004, "3366", r"\bar{\alpha}_t = \prod_{s=1}^t (1 - \beta_s)", expr=(1 - beta1) * (1 - beta2) * (1 - beta3),
                   note="at t = 3"),
            Source(S004, "3367", PURE_NOISE_AS_WRITTEN, behaviour="linear_schedule_ends_in_noise",
                   at={"T": 1000, "beta_1": 1e-4, "beta_T": 0.02}, correct=PURE_NOISE_CORRECT,
                   note=SCHEDULE_NOTE.format(what="the linear schedule of Ho et al. (T = 1000, β_t from 1e-4 to 0.02)")),
            Source(S004, "3367", PURE_NOISE_AS_WRITTEN, behaviour="cosine_schedule_ends_in_noise",
                   at={"T": 1000, "s": 0.008}, correct=PURE_NOISE_CORRECT,
                   note=SCHEDULE_NOTE.format(what="the cosine schedule of Nichol & Dhariwal (T = 1000, s = 0.008, β_t ≤ 0.999); "
                                                  "004 L3363 names linear and cosine schedules")),
        ),
    )


# --- the cosine schedule and the index of the cumulative product (issue 11) ----------------------

STEP = Var("t", "t", count_between(1, 50))
STEPS = Var("T", "T", count_between(60, 1000))
OFFSET = Var("s", "s", positive_between(0.001, 0.02))
t_step, T_steps, s_offset = STEP.symbol, STEPS.symbol, OFFSET.symbol


def cosine_f(at) -> sympy.Expr:
    """f(t) = cos²(((t/T + s)/(1 + s)) π/2) (Nichol & Dhariwal 2021, eq. 17)."""
    return sympy.cos((at / T_steps + s_offset) / (1 + s_offset) * sympy.pi / 2) ** 2


@claim("ddpm.schedule.cosine")
def ddpm_schedule_cosine() -> Claim:
    """β_t = 1 − f(t)/f(t − 1) for ᾱ_t = f(t)/f(0), f the squared cosine."""
    return Claim(
        title="Cosine schedule: ᾱ_t = f(t)/f(0), β_t = 1 − ᾱ_t/ᾱ_{t−1} = 1 − f(t)/f(t − 1), f(t) = cos²(((t/T + s)/(1 + s))·π/2)",
        statement=r"\beta_t,\ \bar\alpha_t = f(t)/f(0),\ f(t) = \cos^2\big(\tfrac{t/T+s}{1+s}\cdot\tfrac\pi2\big)",
        variables=(STEP, STEPS, OFFSET),
        derivation=(
            Step(r"definition: \bar\alpha_t = \alpha_t\bar\alpha_{t-1} (claim ddpm.schedule.alpha-bar), so \alpha_t = "
                 r"\bar\alpha_t/\bar\alpha_{t-1} and \beta_t = 1 - \alpha_t, with the schedule's \bar\alpha_t = f(t)/f(0)",
                 1 - (cosine_f(t_step) / cosine_f(0)) / (cosine_f(t_step - 1) / cosine_f(0))),
            Step(r"f(0) cancels: \beta_t = 1 - f(t)/f(t-1) (clipped at 0.999 near t = T in practice)",
                 1 - cosine_f(t_step) / cosine_f(t_step - 1)),
        ),
        wrong_variants=(
            WrongVariant("beta_t = 1 - alpha_bar_t (the cumulative product taken for the step)", 1 - cosine_f(t_step) / cosine_f(0)),
            WrongVariant("index shifted: 1 - f(t + 1)/f(t)", 1 - cosine_f(t_step + 1) / cosine_f(t_step)),
            WrongVariant("alpha_t returned as beta_t: f(t)/f(t - 1)", cosine_f(t_step) / cosine_f(t_step - 1)),
            WrongVariant("cosine not squared", 1 - sympy.sqrt(cosine_f(t_step)) / sympy.sqrt(cosine_f(t_step - 1))),
        ),
        sources=(
            Source(S004, "3363", r"Noise schedule \{\beta_t\}: typically linear or cosine",
                   behaviour="cosine_schedule_is_a_schedule", at={"T": 1000, "s": 0.008}),
            Source(S004, "3423", r"Noise schedule design matters (linear vs cosine)",
                   behaviour="schedules_differ_in_signal_path", at={"T": 1000}),
            Source(S002, "463–467", r"Latent Layers: Several (T \approx 5 \sim 10) | Many (T \approx 1000); Latent Dim: Same size as Image (Full Res); Encoder q(z \mid x): A fixed Linear Schedule (solver), not trainable",
                   note="a comparison table; the fixed schedule may be linear or cosine (this claim), and x_T ≈ N(0, I) holds "
                        "for both at T = 1000 (claim ddpm.schedule.alpha-bar)"),
        ),
    )


@claim("ddpm.schedule.index")
def ddpm_schedule_index() -> Claim:
    """β̃_2 of a three-step schedule: ᾱ_{t−1} at t = 2 is ᾱ_1 = 1 − β_1 (ᾱ_0 = 1)."""
    at_step_2 = {alpha_t: 1 - beta2, alpha_bar_prev: 1 - beta1}
    return Claim(
        title="Index of the cumulative product: β̃_2 = (1 − ᾱ_1)β_2/(1 − ᾱ_2), ᾱ_1 = 1 − β_1 "
              "(cumprod_prev[t] = ᾱ_{t−1} with ᾱ_0 = 1 prepended)",
        statement=r"\tilde\beta_2 = (1-\bar\alpha_1)\beta_2/(1-\bar\alpha_2),\ \bar\alpha_t = \prod_{s\le t}(1-\beta_s)",
        variables=BETAS,
        derivation=(
            Step(r"the posterior variance (1-\bar\alpha_{t-1})\beta_t/(1-\bar\alpha_t) (claim ddpm.posterior.variance)",
                 get_target_expanded("ddpm.posterior.variance")),
            Step(r"at t = 2: \alpha_2 = 1 - \beta_2 and \bar\alpha_{t-1} = \bar\alpha_1 = 1 - \beta_1 (the product through s = t-1; "
                 r"\bar\alpha_2 = (1-\beta_1)(1-\beta_2) includes s = t)",
                 beta1 * beta2 / (1 - (1 - beta1) * (1 - beta2)), op=lambda e: e.subs(at_step_2, simultaneous=True)),
        ),
        wrong_variants=(
            WrongVariant("alpha_bar_{t-1} read one step ahead (cumprod[t] for 1-based t): (1 - alpha_bar_2) beta_2/(1 - alpha_bar_3)",
                         (1 - (1 - beta1) * (1 - beta2)) * beta2 / (1 - (1 - beta1) * (1 - beta2) * (1 - beta3))),
            WrongVariant("alpha_bar_t used for alpha_bar_{t-1}: the posterior variance collapses to beta_2", beta2),
            WrongVariant("beta of the previous step: (1 - alpha_bar_1) beta_1/(1 - alpha_bar_2)",
                         beta1 * beta1 / (1 - (1 - beta1) * (1 - beta2))),
        ),
    )


def get_target_expanded(claim_id: str) -> sympy.Expr:
    """Another claim's target with its defined symbols (ᾱ_t, β_t) replaced by their definitions."""
    other = get(claim_id)
    return other.expand_defined(other.target)
