r"""Markov chains and hidden Markov models.

* Parameter counts for n binary variables: the full joint table needs 2ⁿ − 1 numbers (claim
  ``ar.params.tabular``); a first-order Markov chain P(X_1)∏ P(X_i | X_{i−1}) with its own table
  per step needs 1 + 2(n − 1) = 2n − 1; i.i.d. with a shared θ needs 1. The route counts them
  independently: the rank of the Jacobian of the map parameters → joint table
  (``reference_models/hmm.py``).
* A two-step HMM z_1 → z_2 with emissions x_1, x_2: the forward–backward posterior
  α_1(k)β_1(k)/Σ_j α_1(j)β_1(j) equals the brute-force marginal of the joint; any T is checked
  against enumeration by the reference model.

Seeds: 004 L761–811.
"""

from __future__ import annotations

from derivspec.core import UNIT_INTERVAL, Claim, Source, Step, Var, WrongVariant, claim, count_between, positive_between
from derivspec.core.lectures import S004

N = Var("n", "n", count_between(1, 8))
n = N.symbol
A = Var("a", "a", UNIT_INTERVAL)  # P(z_1 = 1)
T1 = Var("t1", "t_1", UNIT_INTERVAL)  # P(z_2 = 1 | z_1 = 1)
T0 = Var("t0", "t_0", UNIT_INTERVAL)  # P(z_2 = 1 | z_1 = 0)
EMIT_X1 = tuple(Var(f"e{k}", f"e_{k}", positive_between(0.05, 2)) for k in (1, 0))  # p(x_1 | z_1 = k)
EMIT_X2 = tuple(Var(f"f{k}", f"f_{k}", positive_between(0.05, 2)) for k in (1, 0))  # p(x_2 | z_2 = k)
a, t1, t0 = A.symbol, T1.symbol, T0.symbol
(e1, e0), (f1, f0) = ([v.symbol for v in group] for group in (EMIT_X1, EMIT_X2))


@claim("latent.markov.parameters")
def latent_markov_parameters() -> Claim:
    """Free parameters of P(X_1)∏_{i≥2} P(X_i | X_{i−1}) over n binary variables: 2n − 1."""
    return Claim(
        title="A first-order Markov chain over n binary variables has 2n − 1 free parameters (the full joint: 2ⁿ − 1)",
        statement=r"\#\text{free parameters of } P(X_1)\prod_{i=2}^n P(X_i\mid X_{i-1}),\ X_i\in\{0,1\}",
        variables=(N,),
        derivation=(
            Step(r"definition: P(X_1) has 2 - 1 = 1 free number; each table P(X_i\mid X_{i-1}) has 2 rows (values of X_{i-1}) "
                 r"of 2 - 1 = 1 free number; there are n - 1 such tables", 1 + 2 * (n - 1)),
            Step("collect", 2 * n - 1),
        ),
        wrong_variants=(
            WrongVariant("the full joint table 2^n - 1", 2**n - 1),
            WrongVariant("normalisation not subtracted: 2 + 4(n - 1)", 2 + 4 * (n - 1)),
            WrongVariant("one parameter per variable (i.i.d.-like)", n),
        ),
        sources=(
            Source(S004, "807–811", r"P(X_1, \dots, X_n) = P(X_1; \theta_1) \prod_{i=2}^n P(X_i | X_{i-1}; \theta_i) (15); Linear growth in parameters: |\theta_1| + (n - 1)|\theta_2|.",
                   expr=1 + (n - 1) * 2, note=r"binary variables: |\theta_1| = 1, |\theta_i| = 2 (a 2 x 2 table with normalised rows)"),
            Source(S004, "801–805", r"P(X_1, \dots, X_n) = \prod_{i=1}^n P(X_i; \theta) (14); Only |\theta| parameters regardless of n.",
                   behaviour="iid_parameter_count_is_constant", at={"n_max": 8.0},
                   correct=r"the i.i.d. model with a shared \theta has |\theta| = 1 free parameter for binary variables, for every n"),
            Source(S004, "785–795", r"P(X_i|X_1, \dots, X_{i-1}) = P(X_i) \quad \forall i (12); P(X_i|X_1, \dots, X_{i-1}) = P(X_i|X_{i-1}) \quad \forall i (13)",
                   note="the two assumptions whose parameter counts the claim and its behaviour check compare"),
            Source(S004, "765–769", r"Temperature on day t + 1 depends on temperatures of previous days; X_{t+1} is **not independent** of X_1, X_2, \dots, X_t",
                   note="not comparable: a statement about data (motivating the Markov model), no formula"),
        ),
    )


@claim("latent.hmm.posterior")
def latent_hmm_posterior() -> Claim:
    """P(z_1 = 1 | x_1, x_2) by forward–backward = the brute-force marginal."""
    beta1 = t1 * f1 + (1 - t1) * f0  # β_1(1) = Σ_{z_2} p(z_2 | z_1 = 1) p(x_2 | z_2)
    beta0 = t0 * f1 + (1 - t0) * f0
    joint = {(1, 1): a * e1 * t1 * f1, (1, 0): a * e1 * (1 - t1) * f0,
             (0, 1): (1 - a) * e0 * t0 * f1, (0, 0): (1 - a) * e0 * (1 - t0) * f0}
    return Claim(
        title="HMM smoothing (T = 2): forward–backward α_1(1)β_1(1)/Σ_k α_1(k)β_1(k) equals the brute-force marginal",
        statement=r"P(z_1 = 1\mid x_1, x_2),\ p(z_1,z_2,x_1,x_2) = p(z_1)p(x_1\mid z_1)p(z_2\mid z_1)p(x_2\mid z_2)",
        variables=(A, T1, T0) + EMIT_X1 + EMIT_X2,
        derivation=(
            Step(r"definition: brute force, \sum_{z_2} p(z_1 = 1, z_2, x_1, x_2) / \sum_{z_1, z_2} p(z_1, z_2, x_1, x_2) over the four "
                 r"hidden paths", (joint[1, 1] + joint[1, 0]) / sum(joint.values())),
            Step(r"factor each path: forward \alpha_1(k) = p(z_1=k)p(x_1\mid z_1=k), backward \beta_1(k) = \sum_{z_2}p(z_2\mid z_1=k)p(x_2\mid z_2)",
                 a * e1 * beta1 / (a * e1 * beta1 + (1 - a) * e0 * beta0)),
        ),
        wrong_variants=(
            WrongVariant("filtering only (the future observation x_2 ignored)", a * e1 / (a * e1 + (1 - a) * e0)),
            WrongVariant("backward messages with the transition rows swapped",
                         a * e1 * beta0 / (a * e1 * beta0 + (1 - a) * e0 * beta1)),
            WrongVariant("backward message without the transition (emission of z_2 = z_1 only)",
                         a * e1 * f1 / (a * e1 * f1 + (1 - a) * e0 * f0)),
        ),
        sources=(
            Source(S004, "1368–1373", r"When Tractable Exact posterior computation is possible for: Conjugate models; Linear-Gaussian models: Kalman filtering; Discrete small state spaces: Enumeration feasible; Tree-structured graphical models: Belief propagation",
                   note="not compared (a list): for a chain, a tree, forward–backward (this claim) gives the exact posterior, "
                        "equal to enumeration; conjugate and linear-Gaussian cases are map.beta-bernoulli.posterior-mean and "
                        "latent.fa.posterior.*"),
        ),
    )
