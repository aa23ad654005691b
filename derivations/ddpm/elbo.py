r"""The diffusion ELBO as a chain of KLs, in the 1-D linear-Gaussian chain with T = 3.

Forward process q(x_t | x_{t−1}) = N(√α_t x_{t−1}, 1 − α_t) from a fixed data point x_0; reverse
model with arbitrary parameters p(x_3) = N(0, 1), p(x_{t−1} | x_t) = N(a_t x_t + c_t, v_t). Then
(Ho et al. 2020, eq. 5; seed 002 L443–444)

.. math::  \mathrm{ELBO}(x_0) = \mathbb E_q[\log p(x_{0:T}) - \log q(x_{1:T}\mid x_0)]
   = \mathbb E_q\log p(x_0\mid x_1)
   - \sum_{t=2}^T \mathbb E_{q(x_t|x_0)}\mathrm{KL}(q(x_{t-1}\mid x_t,x_0)\,\|\,p(x_{t-1}\mid x_t))
   - \mathrm{KL}(q(x_T\mid x_0)\,\|\,p(x_T)).

The derivation starts from the definition (the log-ratio of the two joint densities), rewrites
the forward joint by Markov + Bayes, q(x_{1:T}|x_0) = q(x_T|x_0) Π_{t≥2} q(x_{t−1}|x_t, x_0),
with the posterior of claims ddpm.posterior.mean / .variance (a pointwise identity SymPy proves
in x_1, x_2, x_3), and then replaces one term at a time by its expectation under q(x_{1:3}|x_0)
(from that Gaussian's first two moments), each written as the closed form a lecture writes: the
reconstruction term, the denoising KLs with the posterior coefficients A_t, B_t, β̃_t of Ho et al.
(eq. 7), the prior-matching KL.
T = 3 is the small fixed case with every parameter symbolic (13 variables); larger T is checked
numerically by the reference chain (``reference_models/linear_gaussian_chain.py``, behaviour
sources below).

Seeds: 002 L409–416, L443–444, L536–537; 003 L2166.
"""

from __future__ import annotations

import sympy
from sympy import Matrix, Rational, log, pi, sqrt

from derivspec.core import Claim, Domain, Source, Step, Var, WrongVariant, claim, positive_between, real_between
from derivspec.core.lectures import S002, S003
from derivspec.core.registry import get
from derivspec.derivations.ddpm.forward import X0, x0
from derivspec.derivations.ddpm.posterior import log_normal
from derivspec.derivations.moments import gaussian_expectation

T = 3
STEPS = range(1, T + 1)
CHAIN_ALPHA = Domain("in (0, 1)", {"positive": True}, low=0.0, high=1.0, sample_low=0.5, sample_high=0.99)
ALPHAS = tuple(Var(f"alpha{t}", rf"\alpha_{t}", CHAIN_ALPHA) for t in STEPS)
A = tuple(Var(f"a{t}", f"a_{t}", real_between(0.6, 1.2)) for t in STEPS)
C = tuple(Var(f"c{t}", f"c_{t}", real_between(-0.5, 0.5)) for t in STEPS)
V = tuple(Var(f"v{t}", f"v_{t}", positive_between(0.1, 0.6)) for t in STEPS)
VARIABLES = (X0,) + ALPHAS + A + C + V
# index t − 1 holds step t
alphas, a, c, v = ([var.symbol for var in group] for group in (ALPHAS, A, C, V))
xs = sympy.symbols("x1:4", real=True)  # the latent states x_1, x_2, x_3


def x(t: int) -> sympy.Expr:
    """x_t; x_0 is the data point."""
    return x0 if t == 0 else xs[t - 1]


def alpha_bar(t: int) -> sympy.Expr:
    """ᾱ_t = α_1 ⋯ α_t (ᾱ_0 = 1)."""
    return sympy.Mul(*alphas[:t])


def marginal(t: int) -> tuple[sympy.Expr, sympy.Expr]:
    """Mean and variance of q(x_t | x_0) (claims ddpm.marginal.mean / .variance): √ᾱ_t x_0, 1 − ᾱ_t."""
    return sqrt(alpha_bar(t)) * x0, 1 - alpha_bar(t)


def forward_covariance() -> Matrix:
    """Cov(x_s, x_t | x_0) = √(ᾱ_t/ᾱ_s)(1 − ᾱ_s) for s ≤ t: x_t = √(ᾱ_t/ᾱ_s) x_s + noise independent of x_s."""
    def cov(s, t):
        s, t = min(s, t), max(s, t)
        return sqrt(alpha_bar(t) / alpha_bar(s)) * (1 - alpha_bar(s))
    return Matrix(T, T, lambda i, j: cov(i + 1, j + 1))


def posterior(t: int) -> tuple[sympy.Expr, sympy.Expr]:
    """Mean and variance of q(x_{t−1} | x_t, x_0), t ≥ 2: the targets of claims ddpm.posterior.mean and
    ddpm.posterior.variance with α_t, ᾱ_{t−1} of step t."""
    mean_claim, variance_claim = get("ddpm.posterior.mean"), get("ddpm.posterior.variance")
    names = mean_claim.symbols
    step = {names["alpha_t"]: alphas[t - 1], names["alpha_bar_prev"]: alpha_bar(t - 1), names["x0"]: x0, names["xt"]: x(t)}
    mean = mean_claim.expand_defined(mean_claim.target).subs(step, simultaneous=True)
    variance = variance_claim.expand_defined(variance_claim.target).subs(step, simultaneous=True)
    return mean, variance


# --- the three kinds of term, each as its own closed form ---------------------------------


def reconstruction() -> sympy.Expr:
    """E_{q(x_1|x_0)} log N(x_0; a_1 x_1 + c_1, v_1), with E[(x_0 − a_1x_1 − c_1)²] = (x_0 − a_1m_1 − c_1)² + a_1²s_1²."""
    m1, s1_sq = marginal(1)
    return -log(2 * pi * v[0]) / 2 - ((x0 - a[0] * m1 - c[0]) ** 2 + a[0] ** 2 * s1_sq) / (2 * v[0])


def mean_gap_squared(t: int, offset: sympy.Expr, slope: sympy.Expr) -> sympy.Expr:
    """E_{q(x_t|x_0)}[(μ_q(x_t) − a_t x_t − c_t)²] for a mean μ_q = (offset) + (slope)·x_t, affine in x_t:
    (offset − c_t + (slope − a_t) m_t)² + (slope − a_t)² s_t²."""
    m, s_sq = marginal(t)
    return (offset - c[t - 1] + (slope - a[t - 1]) * m) ** 2 + (slope - a[t - 1]) ** 2 * s_sq


def posterior_coefficients(t: int) -> tuple[sympy.Expr, sympy.Expr, sympy.Expr]:
    """(A_t, B_t, β̃_t) of q(x_{t−1}|x_t, x_0) = N(A_t x_0 + B_t x_t, β̃_t), as Ho et al. (eq. 7) write them:
    A_t = √ᾱ_{t−1} β_t/(1 − ᾱ_t), B_t = √α_t (1 − ᾱ_{t−1})/(1 − ᾱ_t), β̃_t = (1 − ᾱ_{t−1}) β_t/(1 − ᾱ_t)."""
    beta, prev, now = 1 - alphas[t - 1], alpha_bar(t - 1), alpha_bar(t)
    return sqrt(prev) * beta / (1 - now), sqrt(alphas[t - 1]) * (1 - prev) / (1 - now), (1 - prev) * beta / (1 - now)


def log_posterior_variance(t: int) -> sympy.Expr:
    """log β̃_t = log(1 − ᾱ_{t−1}) + log β_t − log(1 − ᾱ_t) (each factor positive for α_s in (0, 1))."""
    return log(1 - alpha_bar(t - 1)) + log(1 - alphas[t - 1]) - log(1 - alpha_bar(t))


def gaussian_kl(variance_from, log_variance_from, variance_to, log_variance_to, mean_gap_sq) -> sympy.Expr:
    """KL(N(μ₁, σ₁²) ‖ N(μ₂, σ₂²)) = ½(log σ₂² − log σ₁²) + (σ₁² + (μ₁ − μ₂)²)/(2σ₂²) − ½ (claim kl.gaussian.univariate,
    with log(σ₂/σ₁) written through the logs of the variances), given (μ₁ − μ₂)²."""
    return (log_variance_to - log_variance_from) / 2 + (variance_from + mean_gap_sq) / (2 * variance_to) - Rational(1, 2)


def denoising_kl(t: int) -> sympy.Expr:
    """L_{t−1} = E_{q(x_t|x_0)} KL(q(x_{t−1}|x_t,x_0) ‖ p(x_{t−1}|x_t)): a Gaussian KL sees the means only through
    their squared difference, replaced by its expectation over x_t."""
    A, B, variance = posterior_coefficients(t)
    return gaussian_kl(variance, log_posterior_variance(t), v[t - 1], log(v[t - 1]), mean_gap_squared(t, A * x0, B))


def prior_kl() -> sympy.Expr:
    """L_T = KL(q(x_T|x_0) ‖ N(0, 1)) = ½(ᾱ_T x_0² + (1 − ᾱ_T) − 1 − log(1 − ᾱ_T)) (claim kl.gaussian.standard)."""
    mean, variance = marginal(T)
    return (mean**2 + variance - 1 - log(variance)) / 2


def chain(denoising=None, prior=None, sign: int = -1) -> sympy.Expr:
    """L_0 + sign·(Σ_{t=2}^T L_{t−1} + L_T) with the terms given (the correct chain by default)."""
    denoising = [denoising_kl(t) for t in range(2, T + 1)] if denoising is None else denoising
    return reconstruction() + sign * (sum(denoising) + (prior_kl() if prior is None else prior))


# --- the definition, the Bayes rewrite, the expectations ------------------------------------


def reconstruction_integrand() -> sympy.Expr:
    """log p(x_0 | x_1) = log N(x_0; a_1 x_1 + c_1, v_1)."""
    return log_normal(x0, a[0] * x(1) + c[0], sqrt(v[0]))


def denoising_integrand(t: int) -> sympy.Expr:
    """log p(x_{t−1} | x_t) − log q(x_{t−1} | x_t, x_0), t ≥ 2; log q with its normaliser through log β̃_t
    (:func:`log_posterior_variance`)."""
    mean, variance = posterior(t)
    log_q = -(x(t - 1) - mean) ** 2 / (2 * variance) - log(2 * pi) / 2 - log_posterior_variance(t) / 2
    return log_normal(x(t - 1), a[t - 1] * x(t) + c[t - 1], sqrt(v[t - 1])) - log_q


def prior_integrand() -> sympy.Expr:
    """log p(x_T) − log q(x_T | x_0)."""
    mean, variance = marginal(T)
    return log_normal(x(T), 0, 1) - log_normal(x(T), mean, sqrt(variance))


def log_ratio() -> sympy.Expr:
    """log p(x_{0:T}) − log q(x_{1:T}|x_0), every density Gaussian (claim nll.gaussian)."""
    reverse = log_normal(x(T), 0, 1) + sum(log_normal(x(t - 1), a[t - 1] * x(t) + c[t - 1], sqrt(v[t - 1])) for t in STEPS)
    forward = sum(log_normal(x(t), sqrt(alphas[t - 1]) * x(t - 1), sqrt(1 - alphas[t - 1])) for t in STEPS)
    return reverse - forward


def mean_under_forward(e: sympy.Expr) -> sympy.Expr:
    """E_{q(x_{1:T}|x_0)}[e] for e quadratic in x_1..x_T, from the first two moments (means √ᾱ_t x_0, covariance
    :func:`forward_covariance`). Terms free of x_1..x_T (the log-normalisers) are constants and kept as written; a
    term k·u² with u affine in x_1..x_T (a Gaussian exponent) has mean k((E u)² + gᵀΣg), g the coefficients of u;
    any other term goes through the polynomial expansion of :func:`gaussian_expectation`."""
    means = [marginal(t)[0] for t in STEPS]
    covariance = forward_covariance()
    at_means = dict(zip(xs, means))
    total = sympy.Integer(0)
    for term in sympy.Add.make_args(e):
        if not term.has(*xs):
            total += term
            continue
        random = [f for f in sympy.Mul.make_args(term) if f.has(*xs)]
        constant = term / random[0] if len(random) == 1 else None
        if constant is not None and random[0].is_Pow and random[0].exp == 2 and sympy.Poly(random[0].base, *xs).is_linear:
            u = random[0].base
            g = Matrix([u.diff(s) for s in xs])
            total += constant * (u.subs(at_means) ** 2 + (g.T * covariance * g)[0, 0])
        else:
            total += gaussian_expectation(term, xs, means, covariance)
    return total


def averaging(term: sympy.Expr):
    """The operation "replace ``term`` by its mean under q(x_{1:T}|x_0)" (the ELBO is E_q of every line, and E_q is linear)."""
    return lambda e: e - term + mean_under_forward(term)


def hvae_form() -> sympy.Expr:
    """Seed 002 L413 at T = 3, z_0 = x: E log p(x|z_1) + Σ_{t=2}^T E log[p(z_{t−1}|z_t)/q(z_{t−1}|z_{t−2})]
    − E_{z_{T−1}} KL(q(z_T|z_{T−1}) ‖ p(z_T)), each expectation under q(z_{1:T}|x)."""
    transitions = sum(log_normal(x(t - 1), a[t - 1] * x(t) + c[t - 1], sqrt(v[t - 1]))
                      - log_normal(x(t - 1), sqrt(alphas[t - 2]) * x(t - 2), sqrt(1 - alphas[t - 2])) for t in range(2, T + 1))
    top_level = (alphas[T - 1] * x(T - 1) ** 2 + (1 - alphas[T - 1]) - 1 - log(1 - alphas[T - 1])) / 2  # KL to N(0, 1)
    return reconstruction() + mean_under_forward(transitions) - mean_under_forward(top_level)


CHAIN_AS_WRITTEN = (r"\text{ELBO} = \underbrace{\mathbb{E}[\log p(x \mid z_1)]}_{\text{Reconstruction}} - \sum_{t=2}^T "
                    r"\underbrace{D_{KL}\Big( q(z_{t-1} \mid z_t, x) \,\|\, p(z_{t-1} \mid z_t) \Big)}_{\text{Denoising Matching}} "
                    r"- \underbrace{D_{KL}(q(z_T \mid x) \| p(z_T))}_{\text{Prior Matching}}")
LARGER_T = 10  # the behaviour sources run the reference chain at this T


@claim("ddpm.elbo.chain")
def ddpm_elbo_chain() -> Claim:
    """ELBO = E log p(x_0|x_1) − Σ_{t=2}^T E KL(q(x_{t−1}|x_t,x_0) ‖ p(x_{t−1}|x_t)) − KL(q(x_T|x_0) ‖ p(x_T)), T = 3."""
    return Claim(
        title="Diffusion ELBO as a chain of KLs: reconstruction − Σ denoising KLs − prior KL (linear-Gaussian chain, T = 3)",
        statement=(r"\mathrm{ELBO}(x_0) = \mathbb E_{q(x_{1:3}\mid x_0)}[\log p(x_{0:3}) - \log q(x_{1:3}\mid x_0)],\ "
                   r"q(x_t\mid x_{t-1}) = \mathcal N(\sqrt{\alpha_t}x_{t-1}, 1-\alpha_t),\ p(x_3) = \mathcal N(0,1),\ "
                   r"p(x_{t-1}\mid x_t) = \mathcal N(a_tx_t + c_t, v_t)"),
        variables=VARIABLES,
        derivation=(
            Step(r"definition: \mathrm{ELBO} = \mathbb E_q[\log p(x_{0:T}) - \log q(x_{1:T}\mid x_0)]; the integrand, every density "
                 r"Gaussian (claim nll.gaussian)", log_ratio()),
            Step(r"Markov property and Bayes' rule: q(x_{1:T}\mid x_0) = q(x_T\mid x_0)\prod_{t\ge2} q(x_{t-1}\mid x_t,x_0) "
                 r"(posterior of claims ddpm.posterior.mean/.variance), so the integrand regroups as "
                 r"\log p(x_0\mid x_1) + \sum_{t\ge2}\log\frac{p(x_{t-1}\mid x_t)}{q(x_{t-1}\mid x_t,x_0)} + \log\frac{p(x_T)}{q(x_T\mid x_0)} "
                 r"(a pointwise identity in x_1, x_2, x_3)",
                 reconstruction_integrand() + sum(denoising_integrand(t) for t in range(2, T + 1)) + prior_integrand()),
            Step(r"the ELBO is E_q of this line and of every line below; E_q is linear, so replace one term at a time by its "
                 r"mean: the prior-matching term involves x_T \sim q(x_T\mid x_0) only: -\mathrm{KL}(q(x_T\mid x_0)\,\|\,p(x_T)) "
                 r"(claim kl.gaussian.univariate)",
                 reconstruction_integrand() + sum(denoising_integrand(t) for t in range(2, T + 1)) - prior_kl(),
                 op=averaging(prior_integrand())),
            Step(r"the reconstruction term under q(x_1\mid x_0): E[(x_0 - a_1x_1 - c_1)^2] = (x_0 - a_1m_1 - c_1)^2 + a_1^2s_1^2",
                 reconstruction() + sum(denoising_integrand(t) for t in range(2, T + 1)) - prior_kl(),
                 op=averaging(reconstruction_integrand())),
            *(Step(rf"the denoising term of step t = {t}: under q, x_{{{t - 1}}} given (x_{{{t}}}, x_0) is the posterior, so its mean "
                   rf"is -E_{{q(x_{t}\mid x_0)}}\mathrm{{KL}}(q(x_{{{t - 1}}}\mid x_{t},x_0)\,\|\,p(x_{{{t - 1}}}\mid x_{t}))"
                   r"; a Gaussian KL sees the means only through (\Delta\mu)^2, and E[(\Delta\mu)^2] = (E\Delta\mu)^2 + "
                   r"\mathrm{Var}\,\Delta\mu (claim kl.gaussian.univariate)",
                   reconstruction() + sum(denoising_integrand(s) for s in range(2, t))
                   - sum(denoising_kl(s) for s in range(t, T + 1)) - prior_kl(),
                   op=averaging(denoising_integrand(t)))
              for t in range(T, 1, -1)),
        ),
        wrong_variants=(
            WrongVariant("no prior-matching term L_T", chain(prior=0)),
            WrongVariant("KL terms added instead of subtracted", chain(sign=1)),
            WrongVariant("unconditioned posterior q(x_{t-1}|x_t) = N(sqrt(alpha_t) x_t, beta_t) (x_0 dropped)",
                         chain(denoising=[gaussian_kl(1 - alphas[t - 1], log(1 - alphas[t - 1]), v[t - 1], log(v[t - 1]),
                                                      mean_gap_squared(t, 0, sqrt(alphas[t - 1]))) for t in range(2, T + 1)])),
            WrongVariant("reversed KL(p || q) in the denoising terms",
                         chain(denoising=[gaussian_kl(v[t - 1], log(v[t - 1]), posterior_coefficients(t)[2], log_posterior_variance(t),
                                                      mean_gap_squared(t, posterior_coefficients(t)[0] * x0, posterior_coefficients(t)[1]))
                                          for t in range(2, T + 1)])),
            WrongVariant("denoising sum stops at t = T - 1", chain(denoising=[denoising_kl(t) for t in range(2, T)])),
        ),
        sources=(
            Source(S002, "443–444", CHAIN_AS_WRITTEN, expr=chain(),
                   note="at T = 3 in the linear-Gaussian chain, z_t = x_t, x = x_0; each denoising KL averaged over "
                        "q(z_t | x) (the notes leave that expectation implicit)"),
            Source(S002, "443–444", CHAIN_AS_WRITTEN, behaviour="chain_of_kls_is_the_elbo", at={"T": LARGER_T},
                   correct="the chain of KLs equals the ELBO for every T",
                   note=f"the same statement at T = {LARGER_T}, numerically: the reference chain's closed-form KLs against "
                        "the ELBO from the joint Gaussians and against Monte Carlo over forward trajectories"),
            Source(S002, "409–416", r"\text{ELBO} = \underbrace{\mathbb{E}_q [\log p(x \mid z_1)]}_{\text{Reconstruction}} + "
                   r"\underbrace{\sum_{t=2}^{T} \mathbb{E}_q \left[ \log \frac{p(z_{t-1} \mid z_t)}{q(z_{t-1} \mid z_{t-2})} \right]}"
                   r"_{\text{Transition Terms}} - \underbrace{D_{KL}(q(z_T \mid z_{T-1}) \| p(z_T))}_{\text{Top-Level Prior}}, "
                   r"where z_0 = x", expr=hvae_form(),
                   note="the HVAE form before the encoder is inverted, at T = 3 with the forward kernels as encoder; the "
                        "top-level KL is averaged over q(z_{T-1} | x)"),
            Source(S002, "536–537", r"Instead of calculating p(x) exactly, we optimize a Lower Bound (the ELBO). To do this, "
                   r"we introduce an approximate posterior distribution q", behaviour="elbo_bounds_the_log_likelihood",
                   at={"T": LARGER_T}, correct="log p(x_0) - ELBO = KL(q(x_{1:T} | x_0) || p(x_{1:T} | x_0)) >= 0",
                   note=f"checked in the reference chain at T = {LARGER_T}: the exact log p(x_0) of the linear-Gaussian "
                        "reverse model minus the ELBO is the KL between the latent posteriors, and is >= 0"),
            Source(S003, "2166", r"Diffusion (variational view) \sum_t \text{KL}(q(x_{t-1} x_t, x_0) p_{\theta}(x_{t-1} x_t))",
                   behaviour="elbo_trains_the_kl_sum", at={"T": LARGER_T},
                   correct="the ELBO depends on the reverse kernels p(x_{t-1} | x_t), t >= 2, only through -Σ_t KL; "
                           "p(x_0 | x_1) enters through the reconstruction term, which is not a KL",
                   note="read as: maximising the ELBO over the reverse kernels of steps t >= 2 is minimising the sum of "
                        "KLs; checked in the reference chain"),
        ),
    )
