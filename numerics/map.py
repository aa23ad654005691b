"""Independent numeric routes for the priors → regularisers family (``derivations/map/``).

The λ claims are checked without the derivation: a reference model minimises the negative
log posterior itself (torch ``Normal``/``Laplace`` log-densities), and λ is read back from the
optimum's stationarity condition,

* Gaussian prior: Xᵀ(y − Xθ*) = λθ* for Σ(y − xᵀθ)² + λ‖θ‖², so λ = θ*ᵀXᵀ(y − Xθ*)/‖θ*‖²;
* Laplace prior: 2X_jᵀ(y − Xθ*) = λ sign(θ*_j) on the support,

then converted to the claim's convention (÷ 2σ² for the NLL convention, ÷ N for the mean).
Each random point gets its own design (n × 3, noise 0.5) from the route's generator.

The solution claims compare with the ridge and lasso reference models (LBFGS, scipy BFGS,
coordinate descent, proximal gradient), weight decay with torch.optim.SGD, the coin with
optimisers on the Beta posterior, and the flat-prior limit with the normal equations.

No optimiser route picks a tolerance: each returns an :class:`~derivspec.numerics.accuracy.Approximate`
whose error is a-posteriori, from the optimiser's answer θ̂ itself -- a Newton step H⁻¹∇F(θ̂) by
autograd (:func:`~derivspec.reference_models.optimality.newton_step`; θ̂ − θ* exactly for the
quadratic objectives here) propagated to the returned quantity by its gradient, or for the
lasso, the smallest subgradient of the strongly convex objective over its curvature
(:func:`~derivspec.reference_models.regularised.l1_minimiser_distance`), a bound on ‖θ̂ − θ*‖.
"""

from __future__ import annotations

import numpy as np
import torch
from torch.distributions import Beta

from derivspec.core.lazy import lazy
from derivspec.core.numbers import fmt
from derivspec.numerics.accuracy import Approximate, quad, quad_around, ratio, richardson
from derivspec.numerics.nll import one_feature_datasets
from derivspec.numerics.routes import behaviour, reference
from derivspec.reference_models.device import DTYPE, make_generator
from derivspec.reference_models.optimality import newton_step, optimum_error
from derivspec.reference_models.regression import lbfgs_minimise, make_regression_data, normal_equations
from derivspec.reference_models.regularised import (gaussian_prior_objective, lasso_by_coordinate_descent,
                                                    lasso_by_proximal_gradient, lasso_distance, laplace_map_distance,
                                                    map_gaussian_prior, map_laplace_prior, ridge_by_lbfgs,
                                                    ridge_by_scipy, ridge_closed_form, sparsity_fractions)

optimize = lazy("scipy.optimize")

DESIGN_POINTS, FEATURES, NOISE = 20, 3, 0.5
LAMBDA_POINTS = 8
NEWTON = "Newton step H⁻¹∇F at the optimiser's answer (autograd), through the read-back"
SUBGRADIENT = "smallest subgradient / curvature at the optimiser's answer (a bound on |θ̂ − θ*|), through the read-back"


# --- λ read back from the MAP optimum --------------------------------------------------------


def ridge_lambdas(sigma, tau, generator, device, sizes=None) -> list[tuple[float, float]]:
    """Per point: λ (SSE convention) implied by the MAP under N(0, τ²) on a fresh design, and its error
    (the Newton step of the negative log posterior at the LBFGS answer, through λ(θ))."""
    pairs = []
    for i, (s, t) in enumerate(zip(sigma.tolist(), tau.tolist())):
        X, y, _ = make_regression_data(sizes[i] if sizes else DESIGN_POINTS, FEATURES, NOISE, generator, device)
        theta = map_gaussian_prior(X, y, s, t)
        step = newton_step(gaussian_prior_objective(X, y, s, t), theta)
        value, error = optimum_error(lambda th: th @ (X.T @ (y - X @ th)) / (th @ th), theta, step)
        pairs.append((float(value), float(error)))
    return pairs


def lasso_lambdas(sigma, b, generator, device) -> list[tuple[float, float]]:
    """Per point: λ (SSE convention) read on the support of the MAP under Laplace(0, b), and its error.

    The proximal-gradient answer θ̂ is within r = ``laplace_map_distance`` of the MAP θ*, so a
    coordinate with |θ̂_j| > r is certainly in θ*'s support, where 2X_jᵀ(y − Xθ*) = λ sign θ*_j:
    |2X_jᵀ(y − Xθ̂)| reads λ within 2‖(XᵀX)_j‖₂·r. Where no coordinate is certain (a strong prior
    zeroes the whole MAP, e.g. σ = 2.94, b = 2.49), the responses are doubled until one is."""
    pairs = []
    for s, scale in zip(sigma.tolist(), b.tolist()):
        X, y, _ = make_regression_data(DESIGN_POINTS, FEATURES, NOISE, generator, device)
        while True:  # ends: 2|X_jᵀy| grows past any fixed λ (Xᵀy = 0 has probability 0)
            theta = map_laplace_prior(X, y, s, scale)
            radius = laplace_map_distance(X, y, s, scale, theta)
            certain = theta.abs() > radius
            if bool(certain.any()):
                break
            y = 2 * y
        readings = (2 * X.T @ (y - X @ theta))[certain].abs()
        errors = 2 * torch.linalg.vector_norm((X.T @ X)[certain], dim=1) * radius
        pairs.append((float(readings.mean()), float(errors.mean())))
    return pairs


@reference("map.gaussian-prior.l2", points=LAMBDA_POINTS)
def ridge_lambda_from_map(sigma, tau, generator, device):
    """reference model: LBFGS on the negative log posterior (torch Normal log_probs), λ implied by its stationarity condition

    Error: the Newton step at the LBFGS answer, through λ(θ) = θᵀXᵀ(y − Xθ)/‖θ‖²."""
    return Approximate.of(ridge_lambdas(sigma, tau, generator, device), NEWTON, sigma)


@reference("map.gaussian-prior.l2.nll", points=LAMBDA_POINTS)
def ridge_lambda_from_map_nll(sigma, tau, generator, device):
    """reference model: LBFGS on the negative log posterior, λ implied by its stationarity condition, divided by 2σ²

    Error: the Newton step at the LBFGS answer, through λ(θ)."""
    return Approximate.of(ridge_lambdas(sigma, tau, generator, device), NEWTON, sigma).scaled(1 / (2 * sigma**2))


@reference("map.gaussian-prior.l2.mean", points=LAMBDA_POINTS)
def ridge_lambda_from_map_mean(sigma, tau, N, generator, device):
    """reference model: LBFGS on the negative log posterior with N data points, λ implied by its stationarity condition, divided by N

    Error: the Newton step at the LBFGS answer, through λ(θ)."""
    sizes = [int(n) for n in N.tolist()]
    return Approximate.of(ridge_lambdas(sigma, tau, generator, device, sizes), NEWTON, sigma).scaled(1 / N)


@reference("map.laplace-prior.l1", points=LAMBDA_POINTS)
def lasso_lambda_from_map(sigma, b, generator, device):
    """reference model: proximal gradient on the negative log posterior (torch Normal/Laplace log_probs), λ implied on the support

    Error: the smallest subgradient over the curvature bounds |θ̂ − θ*| (:func:`lasso_lambdas`)."""
    return Approximate.of(lasso_lambdas(sigma, b, generator, device), SUBGRADIENT, sigma)


@reference("map.laplace-prior.l1.nll", points=LAMBDA_POINTS)
def lasso_lambda_from_map_nll(sigma, b, generator, device):
    """reference model: proximal gradient on the negative log posterior, λ implied on the support, divided by 2σ²

    Error: the smallest subgradient over the curvature bounds |θ̂ − θ*| (:func:`lasso_lambdas`)."""
    return Approximate.of(lasso_lambdas(sigma, b, generator, device), SUBGRADIENT, sigma).scaled(1 / (2 * sigma**2))


# --- ridge and lasso with one feature --------------------------------------------------------


def _ridge_error(X, y, lam, theta) -> float:
    """|θ̂ − θ*| for J = Σ(y − θx)² + λθ²: the Newton step at θ̂ (exact, J is quadratic)."""
    return float(newton_step(lambda th: ((y - X @ th) ** 2).sum() + lam * (th**2).sum(), theta).norm())


def _fitted(fit, error, how, lam, data) -> Approximate:
    """The coefficient of ``fit(X, y, λ)`` on each point's three (x, y) pairs, with ``error(X, y, λ, θ̂)``."""
    pairs = []
    for (X, y), strength in zip(one_feature_datasets(**data), lam.tolist()):
        theta = fit(X, y, strength)
        pairs.append((float(theta[0]), error(X, y, strength, theta)))
    return Approximate.of(pairs, how, lam)


@reference("map.ridge.closed-form", points=32)
def ridge_slope_by_lbfgs(x1, x2, x3, y1, y2, y3, lam):
    """reference model: LBFGS on Σ(y − θx)² + λθ²

    Error: the Newton step at the LBFGS answer (exact for this quadratic)."""
    return _fitted(ridge_by_lbfgs, _ridge_error, "Newton step at the LBFGS answer", lam,
                   dict(x1=x1, x2=x2, x3=x3, y1=y1, y2=y2, y3=y3))


@reference("map.ridge.closed-form", points=16)
def ridge_slope_by_scipy(x1, x2, x3, y1, y2, y3, lam):
    """scipy.optimize.minimize on Σ(y − θx)² + λθ²

    Error: the Newton step at the BFGS answer (exact for this quadratic)."""
    return _fitted(ridge_by_scipy, _ridge_error, "Newton step at the BFGS answer", lam,
                   dict(x1=x1, x2=x2, x3=x3, y1=y1, y2=y2, y3=y3))


@reference("map.lasso.soft-threshold", points=64)
def lasso_slope_by_coordinate_descent(x1, x2, x3, y1, y2, y3, lam):
    """reference model: coordinate descent on Σ(y − θx)² + λ|θ|

    Error: the smallest subgradient over the curvature at the answer, a bound on |θ̂ − θ*|."""
    return _fitted(lasso_by_coordinate_descent, lasso_distance, "smallest subgradient / curvature", lam,
                   dict(x1=x1, x2=x2, x3=x3, y1=y1, y2=y2, y3=y3))


@reference("map.lasso.soft-threshold", points=32)
def lasso_slope_by_proximal_gradient(x1, x2, x3, y1, y2, y3, lam):
    """reference model: proximal gradient on Σ(y − θx)² + λ|θ|

    Error: the smallest subgradient over the curvature at the answer, a bound on |θ̂ − θ*|."""
    return _fitted(lasso_by_proximal_gradient, lasso_distance, "smallest subgradient / curvature", lam,
                   dict(x1=x1, x2=x2, x3=x3, y1=y1, y2=y2, y3=y3))


def lasso_by_lbfgs(X, y, lam):
    """LBFGS (autograd) on Σ(y − Xθ)² + λ‖θ‖₁ from the least-squares fit: a smooth optimiser, no soft-threshold step."""
    return lbfgs_minimise(lambda theta: ((y - X @ theta) ** 2).sum() + lam * theta.abs().sum(),
                          torch.linalg.lstsq(X, y[:, None]).solution[:, 0], max_iter=500)


@behaviour("map.lasso.soft-threshold", broken={
    "the L1 objective minimised by LBFGS (autograd subgradients), no soft-threshold step": dict(lasso=lasso_by_lbfgs),
    "the ridge (L2) estimate in the lasso's place": dict(lasso=ridge_closed_form),
    "the lasso in ridge's place": dict(ridge=lasso_by_coordinate_descent),
})
def lasso_has_exact_zeros(n, d, designs, *, lasso=lasso_by_coordinate_descent, ridge=ridge_closed_form):
    """the lasso has exactly-zero coefficients at a large λ, ridge has none at any λ (random designs)

    Seams: the lasso and ridge solvers ((X, y, λ) -> θ) passed to :func:`sparsity_fractions`."""
    cpu = torch.device("cpu")
    fractions = sparsity_fractions([0.0, 20.0, 200.0], n=n, d=d, n_designs=designs,
                                   generator=make_generator(0, cpu), device=cpu, lasso=lasso, ridge=ridge)
    rows = list(zip(fractions["lams"], fractions["lasso"], fractions["ridge"]))
    text = "; ".join(f"λ = {fmt(lam, 'g')}: lasso {fmt(lasso, '.2f')}, ridge {fmt(ridge, '.2f')}" for lam, lasso, ridge in rows)
    holds = fractions["lasso"][-1] > 0 and all(ridge == 0 for ridge in fractions["ridge"])
    return holds, f"mean fraction of exactly-zero coefficients over {designs} random designs (n = {n}, d = {d}): {text}"


# not a registered behaviour check since issue 16: 003 L1685–1688 ("generic contours hit the diamond at a corner") is
# the usual intuition, true as "often", so its source is a note; property_tests/test_map.py runs this function
def lasso_at_a_corner(y1, y2, lam):
    """the lasso solution of an orthonormal design has a zero coordinate (a corner of the L1 ball)"""
    X = torch.eye(2, dtype=DTYPE)
    y = torch.tensor([y1, y2], dtype=DTYPE)
    solution = lasso_by_coordinate_descent(X, y, lam)
    zeros = int((solution == 0).sum())
    return zeros > 0, (f"orthonormal design, y = ({fmt(y1, 'g')}, {fmt(y2, 'g')}), λ = {fmt(lam, 'g')}: the lasso solution is "
                       f"({fmt(float(solution[0]), '.3g')}, {fmt(float(solution[1]), '.3g')}), "
                       + ("a coordinate is zero (a corner of the diamond)" if zeros else
                          "no coordinate is zero (an edge, not a corner of the diamond)"))


# --- weight decay ----------------------------------------------------------------------------

START = (0.7, -1.3)  # the weights before the step


@reference("map.weight-decay", points=32)
def decay_by_sgd_on_penalty(eta, lam):
    """torch.optim.SGD step on λ‖θ‖² (autograd)"""
    out = []
    for step, strength in zip(eta.tolist(), lam.tolist()):
        weights = torch.tensor(START, dtype=DTYPE, device=eta.device, requires_grad=True)
        optimiser = torch.optim.SGD([weights], lr=step)
        (strength * (weights**2).sum()).backward()
        optimiser.step()
        out.append(weights.detach()[0] / START[0])
    return torch.stack(out)


@reference("map.weight-decay", points=32)
def decay_by_sgd_weight_decay(eta, lam):
    """torch.optim.SGD(weight_decay=2λ) on a zero loss"""
    out = []
    for step, strength in zip(eta.tolist(), lam.tolist()):
        weights = torch.tensor(START, dtype=DTYPE, device=eta.device, requires_grad=True)
        optimiser = torch.optim.SGD([weights], lr=step, weight_decay=2 * strength)
        (0 * weights.sum()).backward()
        optimiser.step()
        out.append(weights.detach()[1] / START[1])
    return torch.stack(out)


# --- the coin --------------------------------------------------------------------------------


def _coin_loss(heads, tails, a, b):
    """−log of the unnormalised Beta(α + h, β + t) density in p, written out (torch)."""
    return lambda p: -((heads + a - 1) * p.log() + (tails + b - 1) * torch.log1p(-p)).sum()


@reference("map.beta-bernoulli", points=24)
def coin_mode_by_lbfgs(h, t, alpha, beta):
    """LBFGS on -Beta(α+h, β+t).log_prob over logit p

    Error: the Newton step in logit p at the LBFGS answer, through the sigmoid."""
    pairs = []
    for heads, tails, a, b in zip(h.tolist(), t.tolist(), alpha.tolist(), beta.tolist()):
        posterior = Beta(torch.tensor(a + heads, dtype=DTYPE), torch.tensor(b + tails, dtype=DTYPE))
        loss = lambda v: -posterior.log_prob(torch.sigmoid(v[0]))  # noqa: E731
        z = lbfgs_minimise(loss, torch.zeros(1, dtype=DTYPE), max_iter=100)
        value, error = optimum_error(lambda v: torch.sigmoid(v[0]), z, newton_step(loss, z))
        pairs.append((float(value), float(error)))
    return Approximate.of(pairs, "Newton step at the LBFGS answer", h)


@reference("map.beta-bernoulli", points=24)
def coin_mode_by_scipy(h, t, alpha, beta):
    """scipy.optimize.minimize_scalar on the log posterior

    Error: the Newton step at the answer (Brent's method stops within ~√ε relative: it compares
    function values)."""
    pairs = []
    for heads, tails, a, b in zip(h.tolist(), t.tolist(), alpha.tolist(), beta.tolist()):
        def negative_log_posterior(p):
            return -((heads + a - 1) * np.log(p) + (tails + b - 1) * np.log1p(-p))
        mode = optimize.minimize_scalar(negative_log_posterior, bounds=(1e-12, 1 - 1e-12), method="bounded",
                                        options={"xatol": 1e-14}).x
        step = newton_step(_coin_loss(heads, tails, a, b), torch.tensor([mode], dtype=DTYPE))
        pairs.append((mode, float(step.abs())))
    return Approximate.of(pairs, "Newton step at the minimize_scalar answer", h)


# --- MAP → MLE -------------------------------------------------------------------------------


@reference("map.mle-limit", points=32)
def mle_slope_by_normal_equations(x1, x2, x3, y1, y2, y3):
    """reference model: normal equations (the MLE)"""
    return torch.stack([normal_equations(X, y)[0] for X, y in one_feature_datasets(x1, x2, x3, y1, y2, y3)])


FLAT_PRIOR_TAU = 1e6


@reference("map.mle-limit", points=16)
def mle_slope_by_flat_prior_map(x1, x2, x3, y1, y2, y3):
    """reference model: MAP by LBFGS with τ = 1e6 and 2e6, σ = 1, extrapolated to τ → ∞ (Richardson)

    The prior's gradient θ/τ² shifts a non-degenerate stationarity condition, so the MAP is the MLE
    plus O(τ⁻²): Richardson of order 2 in 1/τ (ratio 2), with |MAP(2τ) − MAP(τ)|/3 as the
    limit's error, plus the optimiser's (the Newton step at each LBFGS answer, weighted as in the
    extrapolation)."""
    pairs = []
    for X, y in one_feature_datasets(x1, x2, x3, y1, y2, y3):
        slopes, errors = [], []
        for tau in (FLAT_PRIOR_TAU, 2 * FLAT_PRIOR_TAU):
            theta = map_gaussian_prior(X, y, 1.0, tau)
            slopes.append(float(theta[0]))
            errors.append(float(newton_step(gaussian_prior_objective(X, y, 1.0, tau), theta).norm()))
        value, limit_error = richardson(*slopes, order=2)
        pairs.append((value, limit_error + (errors[0] + 4 * errors[1]) / 3))
    return Approximate.of(pairs, "Richardson in 1/τ: |MAP(2τ) − MAP(τ)|/3, plus the Newton steps", x1)


# --- the coin's posterior mean, sequential updates, the sharpening posterior (issue 16) -------------


def _coin_posterior_on_a_grid(heads, tails, alpha, beta, grid):
    """p^h(1−p)^t · Beta(α, β) on a grid of p, normalised by the trapezoid rule."""
    log_post = heads * grid.log() + tails * torch.log1p(-grid) + Beta(alpha, beta).log_prob(grid)
    density = (log_post - log_post.max()).exp()
    return density / torch.trapezoid(density, grid)


@reference("map.beta-bernoulli.posterior-mean", points=32)
def posterior_mean_by_quadrature(h, t, alpha, beta):
    """scipy quad of p·p^h(1−p)^t·Beta(p; α, β) over the same without p

    The Beta density's p^(α−1)(1−p)^(β−1) is quad's algebraic end-point weight (QAWS: exact for the
    end-point singularities; its normaliser cancels in the ratio). Error: quad's abserr, through
    the ratio."""
    means = []
    for hh, tt, a, b in zip(*(v.reshape(-1).tolist() for v in (h, t, alpha, beta))):
        options = dict(weight="alg", wvar=(a - 1, b - 1), epsabs=0, epsrel=1e-13, limit=200)
        likelihood = lambda p: p**hh * (1 - p) ** tt  # noqa: E731
        evidence = quad(likelihood, 0, 1, **options)
        means.append(ratio(quad(lambda p: p * likelihood(p), 0, 1, **options), evidence))
    return Approximate.of(means, "scipy quad abserr, through the ratio", h)


def posterior_as_prior(first: torch.Tensor, grid: torch.Tensor) -> torch.Tensor:
    """The prior for D_2: the posterior after D_1 (Bayes' rule applied in sequence)."""
    return first


@behaviour("map.beta-bernoulli.posterior-mean", broken={
    "the original Beta(2, 2) prior used again for D_2, not the posterior after D_1":
        dict(second_prior=lambda first, grid: Beta(2.0, 2.0).log_prob(grid).exp()),
    "the prior counted twice: the posterior after D_1 times Beta(2, 2) again":
        dict(second_prior=lambda first, grid: first * Beta(2.0, 2.0).log_prob(grid).exp()),
})
def sequential_updates_match_the_batch(h1, t1, h2, t2, *, second_prior=posterior_as_prior):
    """the posterior after D_1, used as the prior for D_2, equals the posterior after D_1 ∪ D_2

    Seam: the prior of the second update ((posterior after D_1, grid) -> density on the grid)."""
    grid = torch.linspace(1e-6, 1 - 1e-6, 200_001, dtype=DTYPE)
    first = _coin_posterior_on_a_grid(h1, t1, 2.0, 2.0, grid)
    second = second_prior(first, grid) * grid**h2 * (1 - grid) ** t2
    second = second / torch.trapezoid(second, grid)
    batch = _coin_posterior_on_a_grid(h1 + h2, t1 + t2, 2.0, 2.0, grid)
    gap = float((second - batch).abs().max())
    mean = float(torch.trapezoid(grid * batch, grid))
    return gap < 1e-8, (f"Beta(2, 2) prior, D_1 = {fmt(h1, 'g')}H {fmt(t1, 'g')}T then D_2 = {fmt(h2, 'g')}H {fmt(t2, 'g')}T: max density gap to the one-shot "
                        f"posterior {fmt(gap, '.1e')} on a 200 001-point grid; posterior mean {fmt(mean, '.6f')}")


def beta_bernoulli_mode(h, t, alpha, beta):
    """The MAP (h + α − 1)/(n + α + β − 2), the mode of Beta(α + h, β + t)."""
    return (h + alpha - 1) / (h + t + alpha + beta - 2)


@behaviour("map.beta-bernoulli", broken={
    "the mean log-likelihood (÷ n) with the log-prior: the prior never washes out": dict(data_weight=lambda n: 1 / n),
    "the posterior mean's formula (h + α)/(n + α + β) taken for the MAP":
        dict(mode_formula=lambda h, t, alpha, beta: (h + alpha) / (h + t + alpha + beta)),
})
def posterior_sharpens(alpha, beta, rate, *, data_weight=lambda n: 1.0, mode_formula=beta_bernoulli_mode):
    """with more data at a fixed rate, MAP − MLE and MAP − posterior mean shrink like 1/n

    Seams: the weight of the log-likelihood in the log posterior (n -> w), and the closed-form MAP
    the grid's mode is compared with ((h, t, α, β) -> mode)."""
    rows = []
    for n in (10, 100, 1000, 10000):
        h = rate * n
        t = n - h
        mode, mean, mle = mode_formula(h, t, alpha, beta), (h + alpha) / (n + alpha + beta), h / n
        grid = torch.linspace(1e-9, 1 - 1e-9, 400_001, dtype=DTYPE)
        density = _coin_posterior_on_a_grid(h * data_weight(n), t * data_weight(n), alpha, beta, grid)
        numeric_mode = float(grid[int(torch.argmax(density))])
        numeric_mean = float(torch.trapezoid(grid * density, grid))
        rows.append((n, abs(numeric_mode - mle), abs(numeric_mode - numeric_mean), abs(numeric_mode - mode), abs(numeric_mean - mean)))
    shrinking = all(later[1] < earlier[1] / 5 and later[2] < earlier[2] / 5 for earlier, later in zip(rows, rows[1:]))
    grid_error = max(max(r[3], r[4]) for r in rows)
    return shrinking and grid_error < 1e-5, ("Beta(%g, %g) prior, heads at rate %g: " % (alpha, beta, rate)
                                             + "; ".join(f"n = {n}: |MAP − MLE| = {fmt(d_mle, '.1e')}, |MAP − mean| = {fmt(d_mean, '.1e')}"
                                                         for n, d_mle, d_mean, _, _ in rows)
                                             + f"; closed-form MAP and mean within {fmt(grid_error, '.1e')} of the grid's (≤ 1e-5)")


# --- the normal-normal posterior (a Gaussian mean under a Gaussian prior, the noise known) --------


def _normal_normal_moments(x1, x2, x3, mu0, sigma0, sigma, power: int):
    """Per point: the posterior's raw moment E[μ^power | x] by scipy quad of μ^power·N(μ; μ_0, σ_0²)·Π N(x_i; μ, σ²)
    over the same without μ^power; quad centred at the log joint's maximiser found by scipy (the route's own model)."""
    pairs = []
    for a, b, c, m, s0, s in zip(*(v.reshape(-1).tolist() for v in (x1, x2, x3, mu0, sigma0, sigma))):
        def log_joint(u, a=a, b=b, c=c, m=m, s0=s0, s=s):
            return -(u - m) ** 2 / (2 * s0**2) - sum((x - u) ** 2 for x in (a, b, c)) / (2 * s**2)
        centre = float(optimize.minimize_scalar(lambda u: -log_joint(u)).x)
        peak = log_joint(centre)
        scale = min(s0, s)
        density = lambda u: np.exp(log_joint(u) - peak)  # noqa: E731
        evidence = quad_around(density, centre, scale, epsabs=0, epsrel=1e-12, limit=200)
        moment = quad_around(lambda u: u**power * density(u), centre, scale, epsabs=1e-14, epsrel=1e-12, limit=200)
        pairs.append(ratio(moment, evidence))
    return pairs


@reference("map.normal-normal.posterior-mean", points=24)
def normal_normal_posterior_mean_by_quadrature(x1, x2, x3, mu0, sigma0, sigma):
    """scipy quad of μ·prior·likelihood over prior·likelihood (three observations)

    Error: quad's abserr, through the ratio."""
    return Approximate.of(_normal_normal_moments(x1, x2, x3, mu0, sigma0, sigma, 1),
                          "scipy quad abserr, through the ratio", x1)


@reference("map.normal-normal.posterior-variance", points=24)
def normal_normal_posterior_variance_by_quadrature(x1, x2, x3, mu0, sigma0, sigma):
    """scipy quad of the posterior's second central moment: E[μ²] − E[μ]² (three observations)

    Error: quad's abserr of both moments, through the ratio and the difference."""
    first = _normal_normal_moments(x1, x2, x3, mu0, sigma0, sigma, 1)
    second = _normal_normal_moments(x1, x2, x3, mu0, sigma0, sigma, 2)
    pairs = [(m2 - m1**2, e2 + 2 * abs(m1) * e1) for (m1, e1), (m2, e2) in zip(first, second)]
    return Approximate.of(pairs, "scipy quad abserr, through the ratio and E[μ²] − E[μ]²", x1)
