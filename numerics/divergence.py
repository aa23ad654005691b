"""Independent numeric routes and behaviour checks for the divergence family (``derivations/divergence/``).

Routes: ``torch.distributions.kl_divergence`` and entropies, ``scipy.special.rel_entr``,
``scipy.spatial.distance.jensenshannon``, ``scipy.stats.chisquare``, the supremum over events,
the quadrature calculator and the optimal-transport linear program of
``reference_models/divergences.py``, numerical maximisation (f-GAN bound, convex conjugate),
Monte Carlo of the plug-in FID, and the FID/IS estimators of ``reference_models/fid.py``.
"""

from __future__ import annotations

import math

import numpy as np
import torch
from torch.distributions import Bernoulli, Categorical, kl_divergence

from derivspec.core.lazy import lazy
from derivspec.core.numbers import fmt
from derivspec.numerics.accuracy import Approximate, quad
from derivspec.numerics.montecarlo import Integrand, standard_normal
from derivspec.numerics.routes import behaviour, monte_carlo, reference
from derivspec.numerics.sampling import piecewise_constant
from derivspec.reference_models import divergences as calc
from derivspec.reference_models import fid as fidlib
from derivspec.reference_models.device import DTYPE, make_generator, resolve_device

optimize, special, stats = lazy("scipy.optimize"), lazy("scipy.special"), lazy("scipy.stats")
sqrtm = lazy("scipy.linalg", "sqrtm")
jensenshannon = lazy("scipy.spatial.distance", "jensenshannon")

FALSE_FAIL_RATE = 1e-6  # z-tests in the behaviour checks: a true statement fails about once in a million runs
Z_CRITICAL = float(stats.norm.isf(FALSE_FAIL_RATE / 2))
QUADRATURE_TOL = 1e-8  # the calculator's quadratures agree to ~1e-11; any wrong generator is off by > 1e-2


def _two_point(p, q):
    return torch.stack([p, 1 - p], -1), torch.stack([q, 1 - q], -1)


def _numpy_rows(*tensors):
    return [t.detach().cpu().numpy() for t in tensors]


def _like(values, reference_tensor):
    return torch.as_tensor(np.asarray(values, dtype=float), dtype=DTYPE, device=reference_tensor.device)


# --- the f-divergence table on Bern(p), Bern(q) ----------------------------------------------------------


@reference("divergence.f.kl", "divergence.fgan.bound")
def bernoulli_kl_by_torch(p, q):
    """torch.distributions.kl_divergence(Bernoulli(p), Bernoulli(q))"""
    return kl_divergence(Bernoulli(probs=p), Bernoulli(probs=q))


@reference("divergence.f.kl")
def kl_by_rel_entr(p, q):
    """sum of scipy.special.rel_entr(P, Q)"""
    P, Q = _numpy_rows(*_two_point(p, q))
    return _like(special.rel_entr(P, Q).sum(-1), p)


@reference("divergence.f.reverse-kl")
def reverse_kl_by_torch(p, q):
    """torch.distributions.kl_divergence(Bernoulli(q), Bernoulli(p))"""
    return kl_divergence(Bernoulli(probs=q), Bernoulli(probs=p))


@reference("divergence.f.reverse-kl")
def reverse_kl_by_rel_entr(p, q):
    """sum of scipy.special.rel_entr(Q, P)"""
    P, Q = _numpy_rows(*_two_point(p, q))
    return _like(special.rel_entr(Q, P).sum(-1), p)


@reference("divergence.f.js")
def js_by_scipy(p, q):
    """scipy.spatial.distance.jensenshannon(P, Q)² (natural log)"""
    P, Q = _numpy_rows(*_two_point(p, q))
    return _like(np.nan_to_num(jensenshannon(P, Q, axis=-1)) ** 2, p)  # scipy returns nan (√ of a rounding-negative) for P ≈ Q


@reference("divergence.f.js")
def js_by_entropies(p, q):
    """H(M) − ½H(P) − ½H(Q) with torch Categorical entropies, M = (P + Q)/2"""
    P, Q = _two_point(p, q)
    return Categorical(probs=(P + Q) / 2).entropy() - (Categorical(probs=P).entropy() + Categorical(probs=Q).entropy()) / 2


@reference("divergence.f.chi2")
def chi2_by_scipy(p, q):
    """scipy.stats.chisquare(f_obs=P, f_exp=Q).statistic (Pearson)"""
    P, Q = _numpy_rows(*_two_point(p, q))
    return _like([stats.chisquare(a, b).statistic for a, b in zip(P, Q)], p)


@reference("divergence.f.chi2")
def chi2_by_second_moment(p, q):
    """E_Q[(P/Q)²] − 1 (torch)"""
    P, Q = _two_point(p, q)
    return (Q * (P / Q) ** 2).sum(-1) - 1


@reference("divergence.f.tv")
def tv_by_half_l1(p, q):
    """½Σ|P − Q| (torch)"""
    P, Q = _two_point(p, q)
    return (P - Q).abs().sum(-1) / 2


@reference("divergence.f.tv")
def tv_by_events(p, q):
    """max over the four events A of |P(A) − Q(A)|"""
    P, Q = _two_point(p, q)
    events = torch.tensor([[0, 0], [1, 0], [0, 1], [1, 1]], dtype=DTYPE, device=p.device)
    return ((P @ events.T) - (Q @ events.T)).abs().max(-1).values


# --- behaviours: the table and the fits ---------------------------------------------------------------


TABLE_RANGE = (-25.0, 25.0)


def _with_generator(name, f):
    return {**calc.GENERATORS, name: f}


@behaviour("divergence.f.kl", broken={
    "JS generator without its ½ (twice the JS)": dict(generators=_with_generator("js", lambda t: 2 * calc.GENERATORS["js"](t))),
    "TV generator |t − 1| without its ½": dict(generators=_with_generator("tv", lambda t: np.abs(t - 1))),
    "reverse KL given the forward generator t log t": dict(generators=_with_generator("reverse_kl", calc.GENERATORS["kl"])),
})
def f_divergence_table(delta, *, generators=calc.GENERATORS):
    """quadrature calculator: E_q[f(p/q)] with each of the five generators equals the named divergence for P = ½N(−δ,1) + ½N(δ,1), Q = N(0.3, 1.2²) and swapped

    Seam: ``generators``, the table name -> f under test (the lecture's: calc.GENERATORS)."""
    low, high = TABLE_RANGE
    mixture, gauss = calc.two_mode_mixture(delta), calc.gaussian(0.3, 1.2)
    worst, rows = 0.0, []
    for name, f in generators.items():
        for log_p, log_q in ((mixture, gauss), (gauss, mixture)):
            by_f = calc.f_divergence(log_p, log_q, f, low, high, points=(-delta, 0.0, delta))
            by_definition = calc.direct(name, log_p, log_q, low, high, points=(-delta, 0.0, delta))
            worst = max(worst, abs(by_f - by_definition))
        rows.append(f"{name} {fmt(by_f, '.5f')}")
    return worst < QUADRATURE_TOL, (f"δ = {delta}: max |E_q[f(p/q)] − definition| = {fmt(worst, '.1g')} over KL, reverse KL, JS, χ², TV "
                                    f"(both orders); D(N(0.3, 1.2²) ‖ mixture): {', '.join(rows)}")


def _normal_density(x, m, s):
    return math.exp(-0.5 * ((x - m) / s) ** 2) / (s * math.sqrt(2 * math.pi))


@behaviour("divergence.f.kl", broken={
    "the reverse KL KL(q‖p) minimised in place of the forward KL(p‖q)": dict(divergence="reverse_kl"),
})
def forward_kl_fit_covers(delta, *, divergence="kl"):
    """forward-KL fit of N(m, s²) to ½N(−δ,1) + ½N(δ,1) (quadrature, Nelder–Mead): spans both modes, puts mass in the gap

    Seam: ``divergence``, the one the fit minimises (the lecture's: forward KL)."""
    mixture = calc.two_mode_mixture(delta)
    m, s, value = calc.fit_gaussian(mixture, divergence, start=(delta, 1.0))
    gap_ratio = _normal_density(0.0, m, s) / math.exp(float(mixture(0.0)))
    holds = abs(m) < 1e-3 and abs(s**2 - (1 + delta**2)) < 1e-3 and gap_ratio > 1
    return holds, (f"δ = {delta}, started on the right mode: m = {fmt(m, '.2g')}, s² = {fmt(s**2, '.5f')} (moment matching 1 + δ² = {1 + delta**2}); "
                   f"q(0)/p(0) = {fmt(gap_ratio, '.1f')}: the fit puts mass in the gap between the modes")


@behaviour("divergence.f.kl", broken={
    "the likelihood fit compared with the reverse-KL fit": dict(divergence="reverse_kl"),
})
def likelihood_fit_is_the_forward_kl_fit(delta, n, *, divergence="kl"):
    """maximum likelihood of N(m, s²) on n samples of the mixture (sample mean and variance) vs the forward-KL fit (0, 1 + δ²)

    Seam: ``divergence``, the fit the likelihood is said to equal (the lecture's: forward KL)."""
    device = resolve_device("auto")
    x = calc.sample_mixture(delta, n, make_generator(4156, device), device)
    m_hat, v_hat = float(x.mean()), float(x.var(unbiased=False))
    m, s, _ = calc.fit_gaussian(calc.two_mode_mixture(delta), divergence, start=(0.5, 2.0))
    var = 1 + delta**2
    fourth = float(((x - x.mean()) ** 4).mean())
    z_mean = (m_hat - m) / math.sqrt(var / n)
    z_var = (v_hat - s**2) / math.sqrt((fourth - v_hat**2) / n)
    holds = abs(z_mean) <= Z_CRITICAL and abs(z_var) <= Z_CRITICAL
    return holds, (f"δ = {delta}, n = {n}: MLE (m, s²) = ({fmt(m_hat, '.4f')}, {fmt(v_hat, '.4f')}); forward-KL fit ({fmt(m, '.1g')}, {fmt(s**2, '.4f')}); "
                   f"z = {fmt(z_mean, '.2f')}, {fmt(z_var, '.2f')} (|z| ≤ {fmt(Z_CRITICAL, '.2f')})")


@behaviour("divergence.f.reverse-kl", broken={
    "the forward KL KL(p‖q) minimised in place of the reverse KL(q‖p)": dict(divergence="kl"),
})
def reverse_kl_fit_seeks_a_mode(delta, *, divergence="reverse_kl"):
    """reverse-KL fit of N(m, s²) to ½N(−δ,1) + ½N(δ,1): from a mode it stays on that mode, and beats the centred fit

    Seam: ``divergence``, the one the fit minimises (the lecture's: reverse KL)."""
    mixture = calc.two_mode_mixture(delta)
    m, s, value = calc.fit_gaussian(mixture, divergence, start=(delta, 1.0))
    mc, sc, centred = calc.fit_gaussian(mixture, divergence, start=(0.0, 2.0))
    other_mode_mass = stats.norm.cdf(0.0, m, s)
    holds = abs(m - delta) < 0.2 and s < 1.3 and value < centred
    return holds, (f"δ = {delta}: started on the right mode, m = {fmt(m, '.4f')}, s = {fmt(s, '.4f')}, KL(q‖p) = {fmt(value, '.4f')} "
                   f"< the centred stationary fit (m = {fmt(mc, '.1g')}, s = {fmt(sc, '.4f')}, KL {fmt(centred, '.4f')}); q puts {fmt(other_mode_mass, '.1g')} "
                   f"of its mass on the other mode's half-line (it ignores that mode: high precision, mode collapse)")


@behaviour("divergence.f.reverse-kl", broken={
    "the 'reverse' fit minimises the forward KL too (the two directions confused)": dict(reverse="kl"),
})
def kl_directions_disagree(delta, *, forward="kl", reverse="reverse_kl"):
    """forward- and reverse-KL fits of one Gaussian to two modes differ; for a Gaussian target (δ = 0) both are the target

    Seams: ``forward``, ``reverse``, the divergences the two fits minimise; each fit is then scored by
    both true divergences (grid_divergence)."""
    mixture = calc.two_mode_mixture(delta)
    mf, sf, _ = calc.fit_gaussian(mixture, forward, start=(0.5, 2.0))
    mr, sr, _ = calc.fit_gaussian(mixture, reverse, start=(delta, 1.0))
    forward_min = calc.grid_divergence("kl", mixture, calc.gaussian(mf, sf))
    reverse_min = calc.grid_divergence("reverse_kl", mixture, calc.gaussian(mr, sr))
    reverse_at_forward = calc.grid_divergence("reverse_kl", mixture, calc.gaussian(mf, sf))
    forward_at_reverse = calc.grid_divergence("kl", mixture, calc.gaussian(mr, sr))
    gauss = calc.two_mode_mixture(0.0)
    m0, s0, v0 = calc.fit_gaussian(gauss, forward, start=(0.5, 2.0))
    m1, s1, v1 = calc.fit_gaussian(gauss, reverse, start=(0.5, 2.0))
    holds = (reverse_at_forward > reverse_min + 1e-3 and forward_at_reverse > forward_min + 1e-3
             and max(v0, v1) < 1e-9 and max(abs(m0), abs(m1), abs(s0 - 1), abs(s1 - 1)) < 1e-3)
    return holds, (f"δ = {delta}: forward fit ({fmt(mf, '.2g')}, {fmt(sf, '.3f')}) has reverse KL {fmt(reverse_at_forward, '.3f')} > its minimum "
                   f"{fmt(reverse_min, '.3f')} at ({fmt(mr, '.3f')}, {fmt(sr, '.3f')}), whose forward KL {fmt(forward_at_reverse, '.3f')} > {fmt(forward_min, '.3f')}; "
                   f"with p_data = N(0, 1) both fits are N(0, 1) (KL {fmt(max(v0, v1), '.1g')})")


# --- shifted uniforms ----------------------------------------------------------------------------------


def _uniform_pair(s):
    return calc.uniform(0.0, 1.0), calc.uniform(s, 1.0 + s)


@reference("divergence.js.shifted-uniform", points=24)
def js_uniforms_by_quadrature(s):
    """quadrature calculator: ½KL(P‖M) + ½KL(Q‖M) with breakpoints at s and 1 (error: quad's abserr)"""
    results = [calc.js_with_error(*_uniform_pair(value), 0.0, 1.0 + value, points=(value, 1.0), quadrature=quad)
               for value in s.tolist()]
    return Approximate.of(results, "scipy quad abserr", s)


@monte_carlo("divergence.js.shifted-uniform")
def js_uniforms_monte_carlo(s):
    """expectation of ½log(2p/(p+q)) at x ~ P plus ½log(2q/(p+q)) at y ~ Q: the sampler's uniforms, summed exactly over their cells (Monte Carlo route)"""
    def log_ratios(u):  # x = u_1 ~ U[0, 1], y = s + u_2 ~ U[s, 1 + s]
        x, y = u[:, 0], s + u[:, 1]
        q_at_x = ((x >= s) & (x <= 1 + s)).to(DTYPE)
        p_at_y = ((y >= 0) & (y <= 1)).to(DTYPE)
        return 0.5 * torch.log(2 / (1 + q_at_x)) + 0.5 * torch.log(2 / (1 + p_at_y))
    return piecewise_constant(log_ratios, [[s], [1 - s]])  # x ≥ s ⇔ u_1 ≥ s; y ≤ 1 ⇔ u_2 ≤ 1 − s


@reference("divergence.wasserstein.shifted-uniform", points=24)
def w1_uniforms_by_cdfs(s):
    """quadrature of |F_P − F_Q| (scipy.integrate.quad; error: its abserr)"""
    results = [calc.w1_with_error(lambda t: min(max(t, 0.0), 1.0), lambda t, v=value: min(max(t - v, 0.0), 1.0),
                                  -1.0, 2.0 + value, points=(0.0, 1.0, value, 1.0 + value), quadrature=quad)
               for value in s.tolist()]
    return Approximate.of(results, "scipy quad abserr", s)


@reference("divergence.wasserstein.shifted-uniform", points=6)
def w1_uniforms_by_linear_program(s):
    """optimal transport linear program (scipy linprog) between 24-atom discretisations of both uniforms (error: duality gap and residuals)"""
    atoms = (np.arange(24) + 0.5) / 24
    return Approximate.of([calc.w1_by_linear_program_with_error(atoms, atoms + value) for value in s.tolist()],
                          "the LP's duality gap and residuals", s)


def _largest_cdf_gap(cdf_p, cdf_q, low, high, points=()):
    """sup |F_P − F_Q| (the Kolmogorov distance) on a fine grid and the breakpoints: what W₁ is mistaken for."""
    grid = np.concatenate([np.linspace(low, high, 20_001), np.asarray(points, dtype=float)])
    return max(abs(float(cdf_p(t)) - float(cdf_q(t))) for t in grid)


def _kl_where_q_positive(log_p, log_q, low, high, points=()):
    """∫ p log(p/q) over {p > 0, q > 0} only: the KL with its infinite part dropped."""
    def integrand(x):
        lp, lq = float(log_p(x)), float(log_q(x))
        return 0.0 if math.inf in (-lp, -lq) else math.exp(lp) * (lp - lq)
    return calc.integral(integrand, low, high, points)


W1_AS_KOLMOGOROV = "W₁ read as the largest CDF gap sup|F_P − F_Q| (the Kolmogorov distance)"


@behaviour("divergence.wasserstein.shifted-uniform", broken={
    "KL integrated only where q > 0 (the infinite part dropped)": dict(kl=_kl_where_q_positive),
    W1_AS_KOLMOGOROV: dict(w1=_largest_cdf_gap),
})
def w1_finite_where_kl_infinite(s, *, kl=calc.kl_by_quadrature, w1=calc.w1_by_cdfs):
    """U[0,1] vs U[s,1+s] with disjoint supports: KL = ∞ (quadrature finds P's mass where q = 0), JS = log 2, W₁ = s

    Seams: ``kl`` (log-densities -> KL) and ``w1`` (CDFs -> W₁), the lecture's by quadrature."""
    log_p, log_q = _uniform_pair(s)
    points = (0.0, 1.0, s, 1.0 + s)
    kl_pq = kl(log_p, log_q, -1.0, 2.0 + s, points)
    js = calc.js_direct(log_p, log_q, -1.0, 2.0 + s, points)
    w1_pq = w1(lambda t: min(max(t, 0.0), 1.0), lambda t: min(max(t - s, 0.0), 1.0), -1.0, 2.0 + s, points)
    holds = math.isinf(kl_pq) and math.isfinite(w1_pq) and abs(w1_pq - s) < 1e-9 and abs(js - math.log(2)) < 1e-9
    return holds, f"s = {s}: KL(P‖Q) = {kl_pq}, JS = {fmt(js, '.6f')} (log 2 = {fmt(math.log(2), '.6f')}), W₁ = {fmt(w1_pq, '.6f')}"


@behaviour("divergence.wasserstein.shifted-uniform", broken={W1_AS_KOLMOGOROV: dict(w1=_largest_cdf_gap)})
def w1_tracks_the_shift_where_js_saturates(s_max, *, w1=calc.w1_by_cdfs):
    """U[0,1] vs U[s,1+s] for shifts up to s_max: W₁ grows with s (data-space distance), JS stops at log 2 once s ≥ 1

    Seam: ``w1`` (CDFs -> W₁, the lecture's ∫|F_P − F_Q| by quadrature)."""
    shifts = [s_max * k / 8 for k in range(1, 9)]
    rows = []
    for s in shifts:
        log_p, log_q = _uniform_pair(s)
        points = (0.0, 1.0, s, 1.0 + s)
        js = calc.js_direct(log_p, log_q, -1.0, 2.0 + s, points)
        distance = w1(lambda t: min(max(t, 0.0), 1.0), lambda t, v=s: min(max(t - v, 0.0), 1.0), -1.0, 2.0 + s, points)
        rows.append((s, js, distance))
    increasing = all(b[2] > a[2] + 1e-6 for a, b in zip(rows, rows[1:]))
    flat = [js for s, js, _ in rows if s >= 1]
    holds = increasing and max(flat) - min(flat) < 1e-9
    return holds, "shift s: (JS, W₁) = " + "; ".join(f"{fmt(s, '.2f')}: ({fmt(js, '.4f')}, {fmt(w1, '.3f')})" for s, js, w1 in rows)


@behaviour("divergence.wasserstein.shifted-uniform", broken={
    W1_AS_KOLMOGOROV: dict(transport=_largest_cdf_gap),
    "the KL (which grows as θ²/2σ²) in place of the JSD": dict(divergence=calc.kl_by_quadrature),
})
def wasserstein_gradient_does_not_vanish(shift, sigma, *, divergence=calc.js_direct, transport=calc.w1_by_cdfs):
    """P = N(0, σ²), Q_θ = N(θ, σ²) far apart: d JSD/dθ ≈ 0 (vanishing gradient), d W₁/dθ = 1 (central differences of quadratures)

    Seams: ``divergence`` (log-densities -> JSD) and ``transport`` (CDFs -> W₁), the lecture's by quadrature."""
    h = 1e-3
    def js(theta):
        return divergence(calc.gaussian(0.0, sigma), calc.gaussian(theta, sigma), -12 * sigma, theta + 12 * sigma,
                          points=(0.0, theta / 2, theta))
    def w1(theta):
        return transport(lambda t: stats.norm.cdf(t, 0, sigma), lambda t: stats.norm.cdf(t, theta, sigma),
                         -12 * sigma, theta + 12 * sigma, points=(0.0, theta / 2, theta))
    d_js = (js(shift + h) - js(shift - h)) / (2 * h)
    d_w1 = (w1(shift + h) - w1(shift - h)) / (2 * h)
    holds = abs(d_js) < 1e-6 and abs(d_w1 - 1) < 1e-6
    return holds, (f"θ = {shift}, σ = {sigma}: JSD = {fmt(js(shift), '.10f')} (log 2 = {fmt(math.log(2), '.10f')}), dJSD/dθ = {fmt(d_js, '.2g')}; "
                   f"W₁ = {fmt(w1(shift), '.6f')}, dW₁/dθ = {fmt(d_w1, '.6f')}")


# --- f-GAN ---------------------------------------------------------------------------------------------


CONJUGATE_SEARCH = (1e-12, 60.0)  # the bounded search's interval in t


@reference("divergence.fgan.conjugate-kl", points=64)
def conjugate_by_bounded_search(u):
    """scipy.optimize.minimize_scalar (bounded) of −(ut − t log t) over t

    Error bound: φ(t) = ut − t log t is μ-strongly concave on the search interval, μ = 1/60 (φ'' = −1/t),
    so its maximum exceeds φ(t̂) by at most φ'(t̂)²/(2μ), φ'(t) = u − 1 − log t."""
    results = []
    for value in u.tolist():
        result = optimize.minimize_scalar(lambda t: -(value * t - t * math.log(t)), bounds=CONJUGATE_SEARCH,
                                          method="bounded", options={"xatol": 1e-12})
        slope = value - 1 - math.log(result.x)
        results.append((-result.fun, slope**2 * CONJUGATE_SEARCH[1] / 2))
    return Approximate.of(results, "strong concavity: φ'(t̂)²/(2μ)", u)


@reference("divergence.fgan.conjugate-kl")
def conjugate_by_bisection(u):
    """Legendre transform u t* − f(t*) with f'(t*) = 1 + log t* = u solved by bisection (torch)

    Error bound: the concave φ(t) = ut − t log t peaks inside the final bracket [lo, hi], so its maximum
    exceeds φ at the midpoint by at most (hi − lo)/2 · max(|φ'(lo)|, |φ'(hi)|)."""
    lo, hi = torch.full_like(u, 1e-12), torch.full_like(u, 100.0)
    for _ in range(200):
        mid = (lo + hi) / 2
        above = 1 + torch.log(mid) > u
        hi, lo = torch.where(above, mid, hi), torch.where(above, lo, mid)
    t = (lo + hi) / 2
    slopes = torch.stack([u - 1 - torch.log(lo), u - 1 - torch.log(hi)]).abs().max(0).values
    return Approximate(u * t - t * torch.log(t), (hi - lo) / 2 * slopes, "bisection bracket × slope")


@reference("divergence.fgan.bound")
def bound_maximised_numerically(p, q):
    """max over T = (T₁, T₂) of E_P[T] − E_Q[exp(T − 1)] by Newton's method (torch)

    Error estimate: the objective is separable and concave with curvature Q e^{T−1} per coordinate;
    the Newton decrement ½Σ g²/(Q e^{T−1}) at the final T estimates how far its value is below the maximum."""
    P, Q = _two_point(p, q)
    T = torch.zeros_like(P)
    for _ in range(60):
        gradient = P - Q * torch.exp(T - 1)
        T = T + gradient / (Q * torch.exp(T - 1))
    curvature = Q * torch.exp(T - 1)
    decrement = ((P - curvature) ** 2 / curvature).sum(-1) / 2
    return Approximate((P * T).sum(-1) - curvature.sum(-1), decrement, "Newton decrement")


# --- FID ----------------------------------------------------------------------------------------------


@reference("divergence.fid.gaussian", points=24)
def w2_by_quantile_quadrature(mu_r, sigma_r, mu_g, sigma_g):
    """scipy quad of (F_r⁻¹(u) − F_g⁻¹(u))² over (0, 1), quantiles μ + σ·scipy.special.ndtri(u) (error: quad's abserr)"""
    results = []
    for a, b, c, d in zip(*(t.tolist() for t in (mu_r, sigma_r, mu_g, sigma_g))):
        results.append(calc.integral_with_error(lambda v: ((a + b * special.ndtri(v)) - (c + d * special.ndtri(v))) ** 2,
                                                0.0, 1.0, quadrature=quad))
    return Approximate.of(results, "scipy quad abserr", mu_r)


@reference("divergence.fid.gaussian")
def fid_reference_model(mu_r, sigma_r, mu_g, sigma_g):
    """reference_models/fid.py fid_gaussians (eigendecompositions) on 1×1 covariances"""
    return fidlib.fid_gaussians(mu_r[:, None], (sigma_r**2)[:, None, None], mu_g[:, None], (sigma_g**2)[:, None, None])


def _fid_with_root_product(mu1, S1, mu2, S2):
    """‖μ₁ − μ₂‖² + tr(Σ₁ + Σ₂ − 2Σ₁^{1/2}Σ₂^{1/2}): the cross term right only when Σ₁, Σ₂ commute."""
    cross = torch.trace(fidlib._sym_sqrt(S1) @ fidlib._sym_sqrt(S2))
    return ((mu1 - mu2) ** 2).sum(-1) + torch.trace(S1 + S2) - 2 * cross


def _fid_without_the_two(mu1, S1, mu2, S2):
    """‖μ₁ − μ₂‖² + tr(Σ₁ + Σ₂ − (Σ₁Σ₂)^{1/2}): the factor 2 of the cross term lost."""
    return ((mu1 - mu2) ** 2).sum(-1) + torch.trace(S1 + S2) - fidlib.trace_sqrt_product(S1, S2)


@behaviour("divergence.fid.gaussian", broken={
    "tr(Σ_rΣ_g)^{1/2} replaced by tr(Σ_r^{1/2}Σ_g^{1/2}) (true only for commuting covariances)": dict(fid=_fid_with_root_product),
    "the factor 2 of the cross term lost": dict(fid=_fid_without_the_two),
})
def fid_is_w2_between_gaussians(d, n, *, fid=fidlib.fid_gaussians):
    """d-D: FID by eigendecompositions = scipy sqrtm formula = the Monte Carlo cost of the map pushing N(μ_r, Σ_r) onto N(μ_g, Σ_g); a Cholesky coupling costs more

    Seam: ``fid``, the formula under test (the lecture's: reference_models/fid.py fid_gaussians)."""
    device = resolve_device("auto")
    g = make_generator(4187, device)
    B1, B2 = (torch.randn(d, d, generator=g, dtype=DTYPE, device=device) for _ in range(2))
    S1, S2 = B1 @ B1.T / d + 0.3 * torch.eye(d, dtype=DTYPE, device=device), B2 @ B2.T / d + 0.3 * torch.eye(d, dtype=DTYPE, device=device)
    m1, m2 = (torch.randn(d, generator=g, dtype=DTYPE, device=device) for _ in range(2))
    fid = float(fid(m1, S1, m2, S2))
    s1, s2 = S1.cpu().numpy(), S2.cpu().numpy()
    by_sqrtm = float(((m1 - m2) ** 2).sum()) + float(np.trace(s1 + s2 - 2 * sqrtm(s1 @ s2).real))
    A, T = fidlib.optimal_map(m1, S1, m2, S2)
    pushed = float((A @ S1 @ A.T - S2).abs().max())
    L1, L2 = torch.linalg.cholesky(S1), torch.linalg.cholesky(S2)
    x = m1 + torch.randn(n, d, generator=g, dtype=DTYPE, device=device) @ L1.T
    cost = ((x - T(x)) ** 2).sum(-1)
    mean, se = float(cost.mean()), float(cost.std() / math.sqrt(n))
    cholesky_cost = float((((x - m1) @ torch.linalg.solve(L1, torch.eye(d, dtype=DTYPE, device=device)).T @ L2.T + m2 - x) ** 2).sum(-1).mean())
    zscore = (mean - fid) / se
    holds = abs(fid - by_sqrtm) < 1e-9 * (1 + fid) and pushed < 1e-10 and abs(zscore) <= Z_CRITICAL and cholesky_cost > fid
    return holds, (f"d = {d}, random non-commuting Σ_r, Σ_g: FID {fmt(fid, '.6f')} (scipy sqrtm {fmt(by_sqrtm, '.6f')}); T pushes Σ_r to Σ_g "
                   f"(error {fmt(pushed, '.1g')}); E‖x − T(x)‖² = {fmt(mean, '.4f')} ± {fmt(se, '.1g')} (n = {n}, z = {fmt(zscore, '.2f')}); "
                   f"the Cholesky coupling costs {fmt(cholesky_cost, '.4f')}")


@reference("divergence.fid.plug-in-bias", points=64)
def plug_in_bias_by_chi_mean(sigma_r, sigma_g, n):
    """E[(x̄ − ȳ)²] + E[ŝ_r²] + E[ŝ_g²] − 2E[ŝ_r]E[ŝ_g] − FID with E[ŝ] = σ·scipy.stats.chi(n − 1).mean()/√(n − 1)"""
    out = []
    for a, b, k in zip(sigma_r.tolist(), sigma_g.tolist(), n.tolist()):
        c = stats.chi(k - 1).mean() / math.sqrt(k - 1)
        out.append((a**2 + b**2) / k + a**2 + b**2 - 2 * a * b * c**2 - (a - b) ** 2)
    return _like(out, sigma_r)


@monte_carlo("divergence.fid.plug-in-bias", points=2)
def plug_in_fid_monte_carlo(sigma_r, sigma_g, n):
    """Monte Carlo: plug-in FID (sample means, unbiased standard deviations) of n samples of N(0, σ_r²) and n of N(0, σ_g²), minus the true FID"""
    size = int(round(float(n)))
    true_fid = float(fidlib.fid_gaussians(torch.zeros(1, dtype=DTYPE), (sigma_r**2).reshape(1, 1).cpu(),
                                          torch.zeros(1, dtype=DTYPE), (sigma_g**2).reshape(1, 1).cpu()))

    def plug_in_error(u):  # the n real samples from u[:, :n], the n generated ones from u[:, n:]
        x = sigma_r * standard_normal(u[:, :size])
        y = sigma_g * standard_normal(u[:, size:])
        mx, my = x.mean(1), y.mean(1)
        # unbiased sample variances, square-rooted (clamped at 0: with n = 2 and x_1 ≈ x_2 round-off can go below)
        sx = torch.sqrt((((x * x).sum(1) - size * mx**2) / (size - 1)).clamp_min(0))
        sy = torch.sqrt((((y * y).sum(1) - size * my**2) / (size - 1)).clamp_min(0))
        return (mx - my) ** 2 + (sx - sy) ** 2 - true_fid

    return Integrand(plug_in_error, dim=2 * size)


@behaviour("divergence.fid.plug-in-bias", broken={
    "the mean term 2d/n forgotten (bias d(d+1)/(2n) from the covariances only)":
        dict(predicted=lambda d, n: d * (d + 1) / (2 * (n - 1))),
    "the covariance term counted for one sample only (d(d+1)/(4n), as if Σ_g were exact)":
        dict(predicted=lambda d, n: 2 * d / n + d * (d + 1) / (4 * (n - 1))),
})
def fid_bias_shrinks_like_one_over_n(d, *, predicted=fidlib.predicted_bias_identity):
    """reference FID estimator, two samples of N(0, I_d) (true FID 0): the mean plug-in FID is ≈ (2d + d(d+1)/2)/n and halves as n doubles

    Seam: ``predicted(d, n)``, the bias rule under test (the lecture's: 2d/n + d(d+1)/(2(n−1)))."""
    device = resolve_device("auto")
    ns = [100, 200, 400, 800]
    points = fidlib.measure_bias(d, ns, repeats=400, generator=make_generator(4195, device), device=device)
    rule = [predicted(d, pt.n) for pt in points]
    ratios = [pt.mean / value for pt, value in zip(points, rule)]
    halving = [a.mean / b.mean for a, b in zip(points, points[1:])]
    holds = all(abs(r - 1) < 0.1 for r in ratios) and all(1.7 < h < 2.3 for h in halving)
    return holds, (f"d = {d}: " + "; ".join(f"n = {pt.n}: {fmt(pt.mean, '.4f')} ± {fmt(pt.stderr, '.1g')} (predicted {fmt(value, '.4f')})"
                                            for pt, value in zip(points, rule))
                   + f"; at d = 2048 the same prediction is {fmt(predicted(2048, 10**9) * 10**9, '.3g')}/n")


# --- Inception Score ------------------------------------------------------------------------------------


def _is_rows(a, b):
    return torch.stack([torch.stack([a, 1 - a], -1), torch.stack([b, 1 - b], -1)], -2)  # (points, 2 inputs, 2 classes)


@reference("divergence.inception-score")
def inception_score_by_torch_kl(a, b):
    """exp of the mean torch kl_divergence(Categorical(p(y|x)), Categorical(p(y)))"""
    rows = _is_rows(a, b)
    marginal = rows.mean(-2, keepdim=True).expand_as(rows)
    return torch.exp(kl_divergence(Categorical(probs=rows), Categorical(probs=marginal)).mean(-1))


@reference("divergence.inception-score")
def inception_score_reference_model(a, b):
    """reference_models/fid.py inception_score on the two rows"""
    return fidlib.inception_score(_is_rows(a, b))


def _mean_kl_without_exp(probs):
    """E_x KL(p(y|x) ‖ p(y)), the exponential left out (log IS)."""
    return torch.log(fidlib.inception_score(probs))


def _confidence_only(probs):
    """exp(−E_x H(p(y|x))): the confidence term without the marginal's diversity."""
    entropy = -torch.where(probs > 0, probs * torch.log(probs.clamp_min(1e-300)), torch.zeros_like(probs)).sum(-1)
    return torch.exp(-entropy.mean(-1))


def _marginal_entropy_only(probs):
    """exp(H(p(y))): the diversity term without the per-sample confidence."""
    marginal = probs.mean(-2)
    return torch.exp(-torch.where(marginal > 0, marginal * torch.log(marginal.clamp_min(1e-300)), torch.zeros_like(marginal)).sum(-1))


IS_WITHOUT_EXP = "the mean KL without the exponential (log IS)"
IS_CONFIDENCE_ONLY = "confidence only, exp(−E H(p(y|x))) (the marginal p(y) left out)"


@behaviour("divergence.inception-score", broken={
    IS_WITHOUT_EXP: dict(score=_mean_kl_without_exp),
    IS_CONFIDENCE_ONLY: dict(score=_confidence_only),
    "diversity only, exp(H(p(y))) (the per-sample confidence left out)": dict(score=_marginal_entropy_only),
})
def inception_score_rewards_confident_diverse(classes, *, score=fidlib.inception_score):
    """IS = K for one-hot, class-balanced predictions; 1 for uninformative or single-class ones; in [1, K] for 2000 random prediction sets

    Seam: ``score`` (predictions (…, N, K) -> score), the lecture's exp(E_x KL(p(y|x) ‖ p(y)))."""
    device = resolve_device("auto")
    K = classes
    eye = torch.eye(K, dtype=DTYPE, device=device)
    confident_diverse = float(score(eye.repeat(5, 1)))
    uniform = float(score(torch.full((50, K), 1 / K, dtype=DTYPE, device=device)))
    one_class = float(score(eye[[0] * 50]))
    g = make_generator(4174, device)
    scale = 5 * torch.rand(2000, 1, 1, generator=g, dtype=DTYPE, device=device)
    probs = torch.softmax(scale * torch.randn(2000, 64, K, generator=g, dtype=DTYPE, device=device), -1)
    scores = score(probs)
    holds = (abs(confident_diverse - K) < 1e-9 and abs(uniform - 1) < 1e-12 and abs(one_class - 1) < 1e-12
             and float(scores.min()) >= 1 - 1e-12 and float(scores.max()) <= K + 1e-9)
    return holds, (f"K = {K}: one-hot and balanced IS = {fmt(confident_diverse, '.6f')}; uniform p(y|x) IS = {fmt(uniform, '.6f')}; all one class "
                   f"IS = {fmt(one_class, '.6f')}; 2000 random prediction sets (softmax of scaled Gaussian logits): IS in [{fmt(float(scores.min()), '.4f')}, {fmt(float(scores.max()), '.4f')}]")


@behaviour("divergence.inception-score", broken={IS_CONFIDENCE_ONLY: dict(score=_confidence_only)})
def inception_score_blind_within_class(classes, *, score=fidlib.inception_score):
    """toy classifier on K clusters with two sub-modes each: dropping one sub-mode per class leaves IS unchanged; dropping half the classes halves it

    Seam: ``score`` (predictions -> score), the lecture's exp(E_x KL(p(y|x) ‖ p(y)))."""
    device = resolve_device("auto")
    clf = fidlib.ToyClassifier(classes, device=device)
    g = make_generator(4180, device)
    n = 100_000
    full = float(score(clf.probs(clf.sample(n, g))))
    dropped_modes = float(score(clf.probs(clf.sample(n, g, submodes=(1,)))))
    dropped_classes = float(score(clf.probs(clf.sample(n, g, classes=list(range(0, classes, 2))))))
    holds = abs(dropped_modes - full) < 0.01 * full and dropped_classes < 0.6 * full
    return holds, (f"K = {classes}, n = {n}: IS with both sub-modes {fmt(full, '.4f')}, with one sub-mode per class {fmt(dropped_modes, '.4f')} "
                   f"(half the modes dropped, IS unchanged); with half the classes dropped {fmt(dropped_classes, '.4f')}")


@behaviour("divergence.inception-score", broken={
    IS_WITHOUT_EXP: dict(score=_mean_kl_without_exp),
    IS_CONFIDENCE_ONLY: dict(score=_confidence_only),
})
def inception_score_fooled_by_one_sample_per_class(classes, *, score=fidlib.inception_score):
    """a 'generator' that outputs only the K class centres (one perfect sample per class) gets IS ≈ K, the maximum

    Seam: ``score`` (predictions -> score), the lecture's exp(E_x KL(p(y|x) ‖ p(y)))."""
    device = resolve_device("auto")
    clf = fidlib.ToyClassifier(classes, temperature=0.1, device=device)
    centres = float(score(clf.probs(clf.centres.repeat(100, 1))))
    varied = float(score(clf.probs(clf.sample(100_000, make_generator(4181, device)))))
    holds = centres > 0.99 * classes and centres >= varied
    return holds, (f"K = {classes}: K distinct outputs repeated give IS = {fmt(centres, '.4f')} (maximum {classes}); a varied generator "
                   f"with noise and sub-modes gets {fmt(varied, '.4f')}")
