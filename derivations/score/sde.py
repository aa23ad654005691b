r"""The SDE view: the VP-SDE behind DDPM, the reverse-time SDE and the probability-flow ODE.

Forward SDE dx = f(x, t) dt + g(t) dw (004 L3710). The variance-preserving SDE of Song et al. (2021b)
has f = −½β(t)x, g = √β(t): DDPM's step x_t = √(1 − β_t) x_{t−1} + √β_t ε is its Euler discretisation
(√(1 − β) = 1 − β/2 + O(β²)), and ᾱ becomes exp(−∫β).

For the marginals p_t of the forward SDE (Fokker–Planck ∂_t p = −∂ₓ(f p) + ½g²∂ₓ²p):

* the reverse-time SDE (Anderson 1982) dx = [f − g²∇ log p_t] dt + g dw̄, with dt < 0 (time runs
  backwards), has the same marginals: the reversed process y_s = x_{T−s} has drift b = −f + g²∇log p_t,
  the drift for which its Fokker–Planck equation holds (zero flux: b p = −f p + g²∂ₓp);
* the probability-flow ODE dx/dt = f − ½g²∇ log p_t has the same marginals too: its continuity equation
  ∂_t p = −∂ₓ(u p) equals the Fokker–Planck right-hand side when u p = f p − ½g²∂ₓp.

The variance-exploding SDE dx = √(d[σ²(t)]/dt) dw with σ(t) = σ_min(σ_max/σ_min)^t (Song et al. 2021b, eq. 9 and
§C.1; the continuous form of NCSN's noise levels) has no drift: x_t | x_0 ~ N(x_0, σ²(t) − σ²(0)) (claim
score.sde.ve-marginal, from the variance ODE dV/dt = g²); score_sde's code uses σ²(t) alone, exact only as σ_min → 0.

Derived for the constant-β VP-SDE with Gaussian data x_0 ~ N(μ_0, s_0²), where
p_t = N(μ_0 e^{−βt/2}, s_0² e^{−βt} + 1 − e^{−βt}); checked numerically by the Fokker–Planck and
continuity residuals (autograd), by simulating the reverse SDE, and for mixtures in
``reference_models/samplers.py``.

Seeds: 004 L3701–3739; 002 L457; 001 L237.
"""

from __future__ import annotations

import sympy
from sympy import Integral, exp, log, pi, sqrt

from derivspec.core import REAL, Claim, Domain, Source, Step, Var, WrongVariant, claim, positive_between
from derivspec.core.lectures import S001, S002, S004
from derivspec.derivations.ddpm.loss import MU0, S0, mu0, s0

X = Var("x", "x", REAL)
TIME = Var("t", "t", positive_between(0.05, 1.0))
BETA = Var("beta", r"\beta", positive_between(0.5, 5.0))
x, t, beta = X.symbol, TIME.symbol, BETA.symbol


def vp_mean() -> sympy.Expr:
    """E x_t = μ_0 e^{−βt/2} under the constant-β VP-SDE."""
    return mu0 * exp(-beta * t / 2)


def vp_variance() -> sympy.Expr:
    """Var x_t = s_0² e^{−βt} + 1 − e^{−βt}."""
    return s0**2 * exp(-beta * t) + 1 - exp(-beta * t)


def vp_density() -> sympy.Expr:
    """p_t(x) = N(x; E x_t, Var x_t)."""
    return exp(-(x - vp_mean()) ** 2 / (2 * vp_variance())) / sqrt(2 * pi * vp_variance())


def drift() -> sympy.Expr:
    """f(x, t) = −½βx."""
    return -beta * x / 2


def vp_score() -> sympy.Expr:
    """∂ₓ log p_t = −(x − E x_t)/Var x_t, written out."""
    return -(x - vp_mean()) / vp_variance()


SDE_VARIABLES = (X, TIME, BETA, MU0, S0)
SDE_STATEMENT = r"\text{VP-SDE } dx = -\tfrac12\beta x\,dt + \sqrt\beta\,dw,\ x_0\sim\mathcal N(\mu_0, s_0^2)"


@claim("score.sde.reverse-drift")
def score_sde_reverse_drift() -> Claim:
    r"""Anderson's reverse-time drift f − g²∇log p_t (time running backwards), VP-SDE, Gaussian data."""
    p = vp_density()
    return Claim(
        title="Reverse-time SDE: dx = [f − g²∇log p_t] dt + g dw̄ with dt < 0 (VP-SDE, Gaussian data; the sign of the score term!)",
        statement=r"f - g^2\nabla_x\log p_t(x)\ \text{in}\ dx = [f - g^2\nabla\log p_t]\,dt + g\,d\bar w,\ " + SDE_STATEMENT,
        variables=SDE_VARIABLES,
        derivation=(
            Step(r"definition: the reversed process y_s = x_{T-s} has density p_{T-s}; its Fokker–Planck equation "
                 r"\partial_sp = -\partial_x(bp) + \tfrac12g^2\partial_x^2p must equal -\partial_tp = \partial_x(fp) - \tfrac12g^2\partial_x^2p, "
                 r"which holds with zero flux b\,p = -f p + g^2\partial_x p: b = (-f p_t + g^2\partial_x p_t)/p_t, f = -\tfrac12\beta x, g^2 = \beta",
                 (-drift() * p + beta * sympy.diff(p, x)) / p),
            Step(r"= -f + g^2\partial_x\log p_t = \tfrac12\beta x - \beta(x - \mu_0e^{-\beta t/2})/(s_0^2e^{-\beta t} + 1 - e^{-\beta t})",
                 -drift() + beta * vp_score()),
            Step(r"in Anderson's form, with t running backwards (dt < 0), the drift coefficient is -b = f - g^2\nabla\log p_t",
                 drift() - beta * vp_score(), op=lambda e: -e),
        ),
        wrong_variants=(
            WrongVariant("score term with the wrong sign: f + g^2 score", drift() + beta * vp_score()),
            WrongVariant("the probability-flow drift f - g^2/2 score (with the noise kept)", drift() - beta * vp_score() / 2),
            WrongVariant("score term only, f dropped", -beta * vp_score()),
        ),
        sources=(
            Source(S004, "3712–3714", r"Reverse: reverse-time SDE using score; - d\mathbf{x} = [f(\mathbf{x}, t) - g(t)^2 \nabla \log p(\mathbf{x}, t)] dt + g(t) d\bar{w}",
                   expr=drift() - beta * vp_score(),
                   note="read without the leading '-': a list bullet that the conversion moved inside the display (the forward "
                        "SDE at L3710 has its bullet outside the math); read literally, -dx = [...] dt flips the drift's sign, "
                        "which is this claim's sign question"),
            Source(S001, "237", r"Sampling = numerically integrating a stochastic differential equation (SDE/ODE) from noise → data using this score field.",
                   behaviour="sde_and_ode_samplers_reach_the_data", at={"steps": 200}),
            Source(S004, "3732", r"Use either discrete or continuous sampling",
                   behaviour="sde_and_ode_samplers_reach_the_data", at={"steps": 200}),
        ),
    )


@claim("score.sde.probability-flow")
def score_sde_probability_flow() -> Claim:
    r"""Probability-flow velocity f − ½g²∇log p_t: the ODE with the SDE's marginals."""
    p = vp_density()
    return Claim(
        title="Probability-flow ODE: dx/dt = f − ½g²∇log p_t has the SDE's marginals (VP-SDE, Gaussian data)",
        statement=r"u(x,t)\ \text{with}\ \partial_tp_t = -\partial_x(u\,p_t),\ " + SDE_STATEMENT,
        variables=SDE_VARIABLES,
        derivation=(
            Step(r"definition: the ODE dx/dt = u moves densities by the continuity equation \partial_tp = -\partial_x(up); it has "
                 r"the SDE's marginals when this equals the Fokker–Planck right-hand side -\partial_x(fp) + \tfrac12g^2\partial_x^2p, "
                 r"i.e. (zero flux) u\,p = f p - \tfrac12g^2\partial_xp: u = (f p_t - \tfrac12\beta\,\partial_xp_t)/p_t",
                 (drift() * p - beta / 2 * sympy.diff(p, x)) / p),
            Step(r"= f - \tfrac12g^2\partial_x\log p_t = -\tfrac12\beta x + \tfrac12\beta(x - \mu_0e^{-\beta t/2})/(s_0^2e^{-\beta t} + 1 - e^{-\beta t})",
                 drift() - beta / 2 * vp_score()),
        ),
        wrong_variants=(
            WrongVariant("the reverse-SDE drift f - g^2 score without its noise", drift() - beta * vp_score()),
            WrongVariant("score term with the wrong sign: f + g^2/2 score", drift() + beta / 2 * vp_score()),
            WrongVariant("f dropped", -beta / 2 * vp_score()),
        ),
        sources=(
            Source(S004, "3736", r"Flexible ODE/SDE samplers",
                   behaviour="sde_and_ode_samplers_reach_the_data", at={"steps": 200}),
            Source(S004, "3488–3492", r"SCORING ✓; Can compute (approximate) likelihood via ELBO; Score function \nabla \log p(\mathbf{x}) available via network; Not as direct as AR or flows",
                   behaviour="probability_flow_likelihood_is_exact", at={"steps": 400}),
        ),
    )


BETA_MIN = Var("beta_min", r"\beta_{\min}", positive_between(0.05, 1.0))
BETA_MAX = Var("beta_max", r"\beta_{\max}", positive_between(5.0, 20.0))
beta_min, beta_max = BETA_MIN.symbol, BETA_MAX.symbol
u = sympy.Symbol("u", positive=True)  # the integration variable (time)


def linear_rate(at) -> sympy.Expr:
    """β(t) = β_min + t(β_max − β_min) on [0, 1] (Song et al. 2021b: β_min = 0.1, β_max = 20)."""
    return beta_min + at * (beta_max - beta_min)


@claim("score.sde.vp-marginal")
def score_sde_vp_marginal() -> Claim:
    r"""Var x_t = 1 + (s_0² − 1) exp(−∫₀ᵗ β) under the VP-SDE with the linear rate β(t)."""
    integrated = beta_min * t + (beta_max - beta_min) * t**2 / 2
    return Claim(
        title="VP-SDE marginal: Var x_t = 1 + (s₀² − 1)·exp(−∫₀ᵗβ), ∫₀ᵗβ = β_min t + ½(β_max − β_min)t² "
              "(the continuous ᾱ(t) = exp(−∫β), DDPM's Π(1 − β_i) in the limit)",
        statement=r"\mathrm{Var}\,x_t,\ dx = -\tfrac12\beta(t)x\,dt + \sqrt{\beta(t)}\,dw,\ \beta(t) = \beta_{\min} + t(\beta_{\max}-\beta_{\min}),\ "
                  r"\mathrm{Var}\,x_0 = s_0^2",
        variables=(TIME, BETA_MIN, BETA_MAX, S0),
        derivation=(
            Step(r"definition: by Itô, V(t) = \mathrm{Var}\,x_t obeys dV/dt = 2\cdot(-\tfrac12\beta)V + g^2 = \beta(t)(1 - V); "
                 r"V - 1 decays as d(V-1)/dt = -\beta(t)(V-1), so V(t) = 1 + (s_0^2 - 1)\exp(-\int_0^t\beta(u)\,du)",
                 1 + (s0**2 - 1) * exp(-Integral(linear_rate(u), (u, 0, t)))),
            Step(r"\int_0^t\beta = \beta_{\min}t + \tfrac12(\beta_{\max}-\beta_{\min})t^2", 1 + (s0**2 - 1) * exp(-integrated),
                 op=lambda e: e.doit()),
        ),
        wrong_variants=(
            WrongVariant("constant rate beta_min (the schedule's growth ignored)", 1 + (s0**2 - 1) * exp(-beta_min * t)),
            WrongVariant("half the exponent (the mean's decay used for the variance)", 1 + (s0**2 - 1) * exp(-integrated / 2)),
            WrongVariant("no injected noise: s_0^2 exp(-int beta)", s0**2 * exp(-integrated)),
        ),
        sources=(
            Source(S004, "3710–3711", r"d\mathbf{x} = f(\mathbf{x}, t)dt + g(t)dw; f : drift, g : diffusion coefficient, dw : Brownian motion",
                   note="the forward SDE (a definition); the VP-SDE is f = −½β(t)x, g = √β(t)"),
            Source(S004, "3721", r"DDPM = discretization of continuous SDE",
                   behaviour="ddpm_discretises_the_vp_sde", at={"beta_min": 0.1, "beta_max": 20.0}),
            Source(S004, "3723", r"Flexible noise schedules (variance preserving, variance exploding)",
                   expr=sympy.Integer(1), at={"s0": 1},
                   note="variance preserving: unit-variance data keep unit variance at every t (variance exploding, "
                        "dx = √(dσ²/dt) dw, lets it grow instead)"),
            Source(S002, "457", r"q(z_t \mid z_{t-1}) = \mathcal{N}(z_t; \sqrt{1-\beta} z_{t-1}, \beta I). (Just adding Gaussian noise).",
                   expr=sympy.Integer(1), at={"s0": 1},
                   note="the kernel is variance preserving ((1 − β)·1 + β = 1), the discrete form of this claim at s_0 = 1"),
            Source(S004, "3362", r"q(\mathbf{x}_t|\mathbf{x}_{t-1}) = \mathcal{N}(\mathbf{x}_t; \sqrt{1 - \beta_t}\mathbf{x}_{t-1}, \beta_t\mathbf{I})",
                   expr=sympy.Integer(1), at={"s0": 1},
                   note="the DDPM kernel is variance preserving ((1 − β_t)·1 + β_t = 1), the discrete form of this claim at s_0 = 1"),
            Source(S004, "3708–3709", r"Time: t \in [0, T] continuous; Forward: Stochastic Differential Equation (SDE)",
                   note="the continuous-time framing (a definition)"),
            Source(S004, "3718–3722", r"Unification (Song & Ermon, Yang Song et al.); Framework: covers both discrete and continuous; DDPM = discretization of continuous SDE; Score matching = continuous perspective on denoising",
                   nothing_to_compare=True, note="a framing; the discretisation is checked at L3721, the denoising–score equivalence with claim score.dsm.vincent"),
            Source(S004, "3701–3704", r"Timesteps: t \in \{1, 2, \dots, T\}; Forward: discrete noise schedule; Reverse: learned denoising steps; T typically 1000",
                   note="the discrete framing (definitions)"),
        ),
    )


SDE_TIME = Var("t", "t", Domain("in (0, 1)", {"positive": True}, low=0.0, high=1.0, sample_low=0.05, sample_high=1.0))
SIGMA_MIN = Var("sigma_min", r"\sigma_{\min}", positive_between(0.01, 1.0))
SIGMA_MAX = Var("sigma_max", r"\sigma_{\max}", positive_between(5.0, 50.0))
sigma_min, sigma_max = SIGMA_MIN.symbol, SIGMA_MAX.symbol


def ve_sigma(at) -> sympy.Expr:
    """σ(t) = σ_min (σ_max/σ_min)^t, the VE-SDE's noise scale (Song et al. 2021b, §C.1)."""
    return sigma_min * (sigma_max / sigma_min) ** at


@claim("score.sde.ve-marginal")
def score_sde_ve_marginal() -> Claim:
    r"""Var[x_t | x_0] = σ²(t) − σ²(0) = σ_min²((σ_max/σ_min)^{2t} − 1) under the VE-SDE dx = √(d[σ²]/dt) dw (mean x_0)."""
    return Claim(
        title="VE-SDE marginal: x_t | x_0 ~ N(x_0, σ²(t) − σ²(0)), σ(t) = σ_min(σ_max/σ_min)^t: the variance is "
              "σ_min²((σ_max/σ_min)^{2t} − 1) (no drift, so the mean stays x_0)",
        statement=r"\sigma(t) = \sigma_{\min}(\sigma_{\max}/\sigma_{\min})^t,\ dx = \sqrt{\tfrac{d[\sigma^2(t)]}{dt}}\,dw:\ "
                  r"\mathrm{Var}[x_t\mid x_0]",
        variables=(SDE_TIME, SIGMA_MIN, SIGMA_MAX),
        derivation=(
            Step(r"definition: the VE-SDE's diffusion coefficient squared, g(t)^2 = d[\sigma^2(t)]/dt = "
                 r"2\sigma_{\min}^2\log(\sigma_{\max}/\sigma_{\min})\,(\sigma_{\max}/\sigma_{\min})^{2t}",
                 2 * sigma_min**2 * log(sigma_max / sigma_min) * (sigma_max / sigma_min) ** (2 * t),
                 equals=sympy.diff(ve_sigma(t) ** 2, t)),
            Step(r"no drift: x_t - x_0 = \int_0^t g(u)\,dw_u, so by Itô's isometry V(t) = \mathrm{Var}[x_t\mid x_0] obeys "
                 r"dV/dt = g(t)^2, V(0) = 0: V(t) = \int_0^t g(u)^2du = \sigma^2(t) - \sigma^2(0) = "
                 r"\sigma_{\min}^2\big((\sigma_{\max}/\sigma_{\min})^{2t} - 1\big)",
                 sigma_min**2 * ((sigma_max / sigma_min) ** (2 * t) - 1),
                 op=lambda g2: sympy.integrate(g2.subs(t, u), (u, 0, t))),
        ),
        wrong_variants=(
            WrongVariant("sigma^2(t) without - sigma^2(0) (score_sde's marginal_prob std sigma(t): right only as sigma_min -> 0)",
                         ve_sigma(t) ** 2),
            WrongVariant("the standard deviation's growth: sigma(t) - sigma(0) in place of the variance", ve_sigma(t) - ve_sigma(0)),
            WrongVariant("exponent t, not 2t: sigma_min^2((sigma_max/sigma_min)^t - 1)",
                         sigma_min**2 * ((sigma_max / sigma_min) ** t - 1)),
        ),
    )
