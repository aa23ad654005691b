r"""Markov chain Monte Carlo: Metropolis–Hastings, Gibbs and Hamiltonian Monte Carlo.

* Detailed balance π(x)q(x'|x)α(x→x') = π(x')q(x|x')α(x'→x) fixes only the *ratio* of the
  acceptance probabilities, π(x')q(x|x')/(π(x)q(x'|x)); Metropolis–Hastings' α = min(1, ·) is the
  largest pair in [0, 1] with that ratio (``reference_models/mcmc.py`` checks stationarity of the
  resulting transition matrix exactly and the samplers by goodness-of-fit tests);
* the Gibbs conditional of a bivariate normal: x_1 | x_2 ~ N(μ_1 + ρ s_1(x_2 − μ_2)/s_2, s_1²(1 − ρ²));
* the leapfrog step of HMC preserves volume: its Jacobian determinant is 1 (derived for the
  potential U(q) = q⁴/4 + a q²/2 by the chain rule; any U by autograd in the tests).

Seeds: 004 L1124–1168, L1459–1485.
"""

from __future__ import annotations

import sympy
from sympy import Rational, log, pi, sqrt

from derivspec.core import (REAL, Claim, Domain, Recognise, Source, Step, Var, WrongVariant, claim, positive_between,
                            real_between)
from derivspec.core.lectures import S004

PX = Var("px", r"\pi_x", positive_between(0.05, 1))
PY = Var("py", r"\pi_y", positive_between(0.05, 1))
QXY = Var("qxy", "q_{xy}", positive_between(0.05, 1))
QYX = Var("qyx", "q_{yx}", positive_between(0.05, 1))
px, py, qxy, qyx = (v.symbol for v in (PX, PY, QXY, QYX))
forward, backward = sympy.symbols("alpha_xy alpha_yx", positive=True)

X2 = Var("x2", "x_2", REAL)
MU1 = Var("mu1", r"\mu_1", REAL)
MU2 = Var("mu2", r"\mu_2", REAL)
S1 = Var("s1", "s_1", positive_between(0.4, 2.5))
S2 = Var("s2", "s_2", positive_between(0.4, 2.5))
RHO = Var("rho", r"\rho", Domain("in (-1, 1)", {"real": True}, low=-1.0, high=1.0, sample_low=-0.9, sample_high=0.9))
x2, mu1, mu2, s1, s2, rho = (v.symbol for v in (X2, MU1, MU2, S1, S2, RHO))
x1 = sympy.Symbol("x1", real=True)

Q = Var("q", "q", REAL)
P = Var("p", "p", REAL)
EPS = Var("eps", r"\epsilon", positive_between(0.05, 1))
A = Var("a", "a", real_between(-2, 2))
q, p, eps, a = (v.symbol for v in (Q, P, EPS, A))

MH_CORRECT = (r"with \alpha = \min(1, \pi(x')q(x|x')/(\pi(x)q(x'|x))) the chain satisfies detailed balance, so \pi is stationary "
              r"(checked exactly on a 3-state chain with an asymmetric proposal)")


@claim("sampling.mh.acceptance-ratio")
def sampling_mh_acceptance_ratio() -> Claim:
    """Detailed balance ⇒ α(x→x')/α(x'→x) = π(x')q(x|x')/(π(x)q(x'|x))."""
    return Claim(
        title="Detailed balance fixes the Metropolis–Hastings acceptance ratio: α(x→x')/α(x'→x) = π(x')q(x|x')/(π(x)q(x'|x))",
        statement=r"\frac{\alpha(x\to x')}{\alpha(x'\to x)}\ \text{such that}\ \pi(x)q(x'\mid x)\alpha(x\to x') = \pi(x')q(x\mid x')\alpha(x'\to x)",
        variables=(PX, PY, QXY, QYX),
        derivation=(
            Step(r"definition: detailed balance, the probability flow x \to x' minus the flow x' \to x, set to zero",
                 px * qxy * forward - py * qyx * backward),
            Step(r"solve for \alpha(x\to x') and divide by \alpha(x'\to x); \alpha = \min(1, \cdot) satisfies it since "
                 r"\min(1, R)/\min(1, 1/R) = R", py * qyx / (px * qxy), op=lambda e: sympy.solve(e, forward)[0] / backward),
        ),
        wrong_variants=(
            WrongVariant("Metropolis ratio without the proposal correction", py / px),
            WrongVariant("the Hastings correction inverted", py * qxy / (px * qyx)),
            WrongVariant("the whole ratio inverted", px * qxy / (py * qyx)),
        ),
        sources=(
            Source(S004, "1128–1132", r"Propose: x' \sim q(x'|x_t); Accept with probability: \alpha = \min\left(1, \frac{p(x')q(x_t|x')}{p(x_t)q(x'|x_t)}\right); If accepted: x_{t+1} = x', else: x_{t+1} = x_t",
                   behaviour="mh_acceptance_satisfies_detailed_balance", at={"states": 3.0}, correct=MH_CORRECT,
                   note=r"\min(1, R)/\min(1, 1/R) = R is the claim's target; SymPy does not reduce ratios of min, so the "
                        r"acceptance rule is run as a behaviour check"),
            Source(S004, "1126", r"When direct sampling is intractable, Markov Chain Monte Carlo methods generate samples that asymptotically follow the target distribution.",
                   behaviour="mh_samples_follow_the_target", at={"chains": 4000.0, "steps": 400.0},
                   correct="after burn-in the MH chain's states follow the target (Kolmogorov-Smirnov test over independent chains)"),
            Source(S004, "1459–1466", r"MCMC methods generate samples that asymptotically follow the posterior; **Metropolis-Hastings**: General-purpose with proposal and accept/reject; **Gibbs sampling**: Sample each variable conditional on others",
                   behaviour="mh_samples_follow_the_target", at={"chains": 4000.0, "steps": 400.0},
                   correct="after burn-in the MH chain's states follow the target (Kolmogorov-Smirnov test over independent chains)"),
            Source(S004, "1153–1168", r"Asymptotically exact (given sufficient mixing); Requires many iterations to converge; Must discard burn-in samples; Difficult to parallelize across the chain",
                   note="trade-offs, not comparable; the reference samplers run many independent chains in parallel, which "
                        "parallelises across chains, not along one"),
        ),
    )


def bivariate_log_density():
    """log N((x1, x2); (μ1, μ2), [[s1², ρ s1 s2], [ρ s1 s2, s2²]])."""
    quadratic = ((x1 - mu1) / s1) ** 2 - 2 * rho * (x1 - mu1) * (x2 - mu2) / (s1 * s2) + ((x2 - mu2) / s2) ** 2
    return -quadratic / (2 * (1 - rho**2)) - log(2 * pi * s1 * s2 * sqrt(1 - rho**2))


GIBBS_CORRECT = "the Gibbs sampler alternating the two exact conditionals has the bivariate normal as its stationary law"


GENERAL_MEAN = (r"\rho", r"\mu_1", r"\mu_2", "s_1", "s_2")


@claim("sampling.gibbs.conditional-mean")
def sampling_gibbs_conditional_mean() -> Claim:
    """E[x_1 | x_2] = μ_1 + ρ s_1 (x_2 − μ_2)/s_2 for a bivariate normal."""
    return Claim(
        title="Gibbs conditional of a bivariate normal: E[x_1|x_2] = μ_1 + ρ s_1(x_2 − μ_2)/s_2",
        recognise=(
            # the full conditional of a bivariate normal: x_1, x_2 bind the lecture's coordinates (y_1, \mathbf x_1);
            # only the general form (a standardised pair's rho x_2 is right there, so every parameter is required)
            Recognise(r"\mathbb E[x_1 \mid x_2]", requires=GENERAL_MEAN),
            Recognise(r"p(x_1 \mid x_2)", part="mean", requires=GENERAL_MEAN),
        ),
        statement=r"\mathbb E[x_1\mid x_2],\ (x_1,x_2)\sim\mathcal N\Big(\mu, \begin{pmatrix}s_1^2 & \rho s_1s_2\\ \rho s_1s_2 & s_2^2\end{pmatrix}\Big)",
        variables=(X2, MU1, MU2, S1, S2, RHO),
        derivation=(
            Step(r"definition: \log p(x_1\mid x_2) = \log p(x_1, x_2) - \log p(x_2); the joint bivariate normal log-density", bivariate_log_density()),
            Step(r"differentiate in x_1 (\log p(x_2) is free of x_1)",
                 -(2 * (x1 - mu1) / s1**2 - 2 * rho * (x2 - mu2) / (s1 * s2)) / (2 * (1 - rho**2)),
                 op=lambda e: sympy.diff(e, x1)),
            Step(r"quadratic in x_1, so the conditional is Gaussian with its mean at the stationary point",
                 mu1 + rho * s1 * (x2 - mu2) / s2, op=lambda e: sympy.solve(e, x1)[0]),
        ),
        wrong_variants=(
            WrongVariant("the standard deviations' ratio inverted", mu1 + rho * s2 * (x2 - mu2) / s1),
            WrongVariant("the marginal mean (x_2 ignored)", mu1),
            WrongVariant("x_2 not centred", mu1 + rho * s1 * x2 / s2),
        ),
        sources=(
            Source(S004, "1134–1138", r"Gibbs Sampling When conditional distributions are tractable: x_i^{(t+1)} \sim p(x_i | x_1^{(t+1)}, \dots, x_{i-1}^{(t+1)}, x_{i+1}^{(t)}, \dots, x_n^{(t)}) (35); Cycles through variables, sampling each conditional on all others.",
                   behaviour="gibbs_samples_follow_the_target", at={"rho": 0.8, "chains": 4000.0, "sweeps": 200.0},
                   correct=GIBBS_CORRECT),
        ),
    )


@claim("sampling.gibbs.conditional-variance")
def sampling_gibbs_conditional_variance() -> Claim:
    """Var[x_1 | x_2] = s_1²(1 − ρ²)."""
    return Claim(
        title="Gibbs conditional of a bivariate normal: Var[x_1|x_2] = s_1²(1 − ρ²), free of x_2",
        recognise=(
            Recognise(r"\mathrm{Var}[x_1 \mid x_2]", requires=(r"\rho", "s_1")),
            Recognise(r"p(x_1 \mid x_2)", part="variance", requires=(r"\rho", "s_1")),
        ),
        statement=r"\mathrm{Var}[x_1\mid x_2],\ (x_1,x_2)\sim\mathcal N\Big(\mu, \begin{pmatrix}s_1^2 & \rho s_1s_2\\ \rho s_1s_2 & s_2^2\end{pmatrix}\Big)",
        variables=(S1, RHO),
        derivation=(
            Step(r"definition: the joint log-density; \log p(x_1\mid x_2) differs from it by a function of x_2 only", bivariate_log_density()),
            Step("second derivative in x_1", -1 / (s1**2 * (1 - rho**2)), op=lambda e: sympy.diff(e, x1, 2)),
            Step(r"a Gaussian's variance is -1/(curvature of its log-density)", s1**2 * (1 - rho**2), op=lambda e: -1 / e),
        ),
        wrong_variants=(
            WrongVariant("the marginal variance s_1^2", s1**2),
            WrongVariant("s_1^2 (1 - rho)", s1**2 * (1 - rho)),
            WrongVariant("s_1 (1 - rho^2): the standard deviation squared only once", s1 * (1 - rho**2)),
        ),
        sources=(
            Source(S004, "1450–1454", r"Disadvantages: Biased (underestimates posterior variance)",
                   value=0.36, decimals=2, at={"s1": 1, "rho": Rational(4, 5)},
                   note="read for a mean-field (reverse-KL) fit of a correlated Gaussian posterior: its factor for x_1 takes "
                        "the joint's curvature in x_1, so its variance is this claim's s_1²(1 − ρ²); at s_1 = 1, ρ = 0.8 that "
                        "is 0.36 against the marginal variance 1 (the numbers are ours); 'may miss modes' is compared on "
                        "kl.forward-reverse"),
        ),
    )


def potential_curvature(at):
    """U''(q) for U(q) = q⁴/4 + a q²/2."""
    return 3 * at**2 + a


@claim("sampling.hmc.leapfrog-volume")
def sampling_hmc_leapfrog_volume() -> Claim:
    """det ∂(q', p')/∂(q, p) = 1 for one leapfrog step of H = p²/2 + q⁴/4 + a q²/2."""
    gradient = q**3 + a * q  # U'(q)
    p_half = p - eps / 2 * gradient
    q_new = q + eps * p_half
    dq_dq = 1 - eps**2 / 2 * potential_curvature(q)
    dq_dp = eps
    dp_dq = -eps / 2 * potential_curvature(q) - eps / 2 * potential_curvature(q_new) * dq_dq
    dp_dp = 1 - eps / 2 * potential_curvature(q_new) * eps
    return Claim(
        title="HMC's leapfrog step preserves volume: its Jacobian determinant is 1 (U(q) = q⁴/4 + aq²/2; any U by autograd)",
        statement=r"\det\frac{\partial(q', p')}{\partial(q, p)},\ p_{1/2} = p - \tfrac\epsilon2 U'(q),\ q' = q + \epsilon p_{1/2},\ "
                  r"p' = p_{1/2} - \tfrac\epsilon2 U'(q')",
        variables=(Q, P, EPS, A),
        derivation=(
            Step(r"definition: the chain rule through the three sub-steps: \partial q'/\partial q = 1 - \tfrac{\epsilon^2}2U''(q), "
                 r"\partial q'/\partial p = \epsilon, \partial p'/\partial q = -\tfrac\epsilon2U''(q) - \tfrac\epsilon2U''(q')\,\partial q'/\partial q, "
                 r"\partial p'/\partial p = 1 - \tfrac{\epsilon^2}2U''(q'); the determinant",
                 dq_dq * dp_dp - dq_dp * dp_dq),
            Step(r"expand: every U'' term cancels (each sub-step is a shear with determinant 1)", sympy.Integer(1)),
        ),
        wrong_variants=(
            WrongVariant("explicit Euler step (q + eps p, p - eps U'(q)): 1 + eps^2 U''(q)", 1 + eps**2 * potential_curvature(q)),
            WrongVariant("the diagonal product only", dq_dq * dp_dp),
            WrongVariant("one half-kick's shear counted as 1 - eps^2 U''/2", 1 - eps**2 / 2 * potential_curvature(q)),
        ),
        sources=(
            Source(S004, "1140–1145", r"Hamiltonian Monte Carlo Gradient-based MCMC: Introduces auxiliary momentum variables; Simulates Hamiltonian dynamics using gradients; Explores high-dimensional spaces efficiently; Reduces random-walk behavior of simple MCMC",
                   behaviour="hmc_reduces_random_walk", at={"dimension": 20.0, "steps": 800.0},
                   correct="on a 20-D correlated Gaussian HMC's lag-1 autocorrelation is far below random-walk MH's at a similar "
                           "cost per accepted move"),
        ),
    )
