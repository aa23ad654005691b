"""Independent numeric routes for the NLL family (``derivations/nll/``).

Every route computes the claimed quantity without the SymPy derivation: with
``torch.distributions`` log-densities, torch's own losses (``mse_loss``,
``binary_cross_entropy(_with_logits)``, ``cross_entropy``, ``gaussian_nll_loss``), autograd,
the reference models of ``reference_models/``, or Monte Carlo.
"""

from __future__ import annotations

import time

import torch
import torch.nn.functional as F
from torch.distributions import Bernoulli, Categorical, Laplace, Normal, Poisson

from derivspec.core.numbers import fmt
from derivspec.numerics.accuracy import ERROR_SAFETY, Approximate, tolerance
from derivspec.numerics.checks import NumericResult, elementwise_grad
from derivspec.numerics.routes import behaviour, model, monte_carlo, reference
from derivspec.numerics.sampling import expectation
from derivspec.reference_models.classifiers import (GD_GTOL, fit_logistic_by_bce, fit_logistic_by_gradient,
                                                    fit_softmax_by_ce, fit_softmax_by_gradient, make_binary_data,
                                                    make_multiclass_data)
from derivspec.reference_models.device import DTYPE
from derivspec.reference_models.regression import fit_by_gaussian_nll, fit_by_mse, normal_equations
from derivspec.reference_models.optimality import minimiser_distance

# --- the three NLLs ---------------------------------------------------------------------


@reference("nll.gaussian")
def normal_log_prob(y, mu, sigma):
    """torch Normal.log_prob"""
    return -Normal(mu, sigma).log_prob(y)


@reference("nll.gaussian")
def gaussian_nll_loss(y, mu, sigma):
    """F.gaussian_nll_loss(full=True)"""
    return F.gaussian_nll_loss(mu, y, sigma**2, full=True, eps=0.0, reduction="none")


@reference("nll.bernoulli")
def bernoulli_log_prob(y, p):
    """torch Bernoulli.log_prob"""
    return -Bernoulli(probs=p).log_prob(y)


@reference("nll.bernoulli")
def binary_cross_entropy(y, p):
    """F.binary_cross_entropy"""
    return F.binary_cross_entropy(p, y, reduction="none")


def _logits(h1, h2, h3) -> torch.Tensor:
    return torch.stack([h1, h2, h3], dim=-1)


def _first_class(h1) -> torch.Tensor:
    return torch.zeros_like(h1, dtype=torch.long)


@reference("nll.categorical")
def categorical_log_prob(h1, h2, h3):
    """torch Categorical(logits).log_prob"""
    return -Categorical(logits=_logits(h1, h2, h3)).log_prob(_first_class(h1))


@reference("nll.categorical")
def cross_entropy(h1, h2, h3):
    """F.cross_entropy"""
    return F.cross_entropy(_logits(h1, h2, h3), _first_class(h1), reduction="none")


@reference("nll.bernoulli.logits")
def binary_cross_entropy_with_logits(y, z):
    """F.binary_cross_entropy_with_logits"""
    return F.binary_cross_entropy_with_logits(z, y, reduction="none")


@reference("nll.bernoulli.logits")
def bernoulli_logits_log_prob(y, z):
    """torch Bernoulli(logits).log_prob"""
    return -Bernoulli(logits=z).log_prob(y)


# --- NLL versus MSE ----------------------------------------------------------------------


@reference("nll.gaussian.mse-scale")
def nll_slope_over_mse_slope(sigma, generator):
    """autograd: dNLL/dμ ÷ dMSE/dμ (Normal.log_prob, F.mse_loss) at random y, μ"""
    y = 4 * torch.rand(sigma.shape, generator=generator, dtype=DTYPE, device=sigma.device) - 2
    mu = y + 0.5 + torch.rand(sigma.shape, generator=generator, dtype=DTYPE, device=sigma.device)
    nll_slope = elementwise_grad(lambda m: -Normal(m, sigma).log_prob(y), mu)
    mse_slope = elementwise_grad(lambda m: F.mse_loss(m, y, reduction="none"), mu)
    return nll_slope / mse_slope


# --- gradients ---------------------------------------------------------------------------


@reference("nll.grad.logistic")
def bce_with_logits_gradient(y, theta, x):
    """autograd of F.binary_cross_entropy_with_logits"""
    return elementwise_grad(lambda t: F.binary_cross_entropy_with_logits(t * x, y, reduction="none"), theta)


def same_weights(by_candidate, by_reference, loss_fn, candidate_gradient, start: float, setting: str) -> NumericResult:
    """GD driven by the candidate vs the reference optimum (LBFGS on torch's own loss ``loss_fn`` of the free
    weights), within a-posteriori bounds: the reference lies within ‖∇L(w_ref)‖/μ of the minimiser (autograd)
    and GD's iterate within ‖g(w_GD)‖/μ of the point where the candidate's gradient g vanishes, the minimiser
    when the candidate is right (μ: the loss's smallest Hessian eigenvalue at w_ref). GD must have stopped on
    its own stationarity test (max |g| ≤ GD_GTOL), and the weights agree within ERROR_SAFETY × the two bounds."""
    by_candidate, by_reference = by_candidate.flatten(), by_reference.flatten()
    difference = float((by_candidate - by_reference).abs().max())
    curvature = float(torch.linalg.eigvalsh(torch.autograd.functional.hessian(loss_fn, by_reference))[0])
    reference_bound = float(torch.autograd.functional.jacobian(loss_fn, by_reference).norm()) / curvature
    stationarity = candidate_gradient(by_candidate)
    bound = reference_bound + float(stationarity.norm()) / curvature
    converged = bool(torch.isfinite(by_candidate).all()) and float(stationarity.abs().max()) <= GD_GTOL
    passed = converged and bool(((by_candidate - by_reference).abs() <= tolerance(by_reference, torch.tensor(bound))).all())
    return NumericResult(passed, "", max_abs_diff=difference, seconds=time.perf_counter() - start,
                         detail=f"max |w_GD − w_ref| = {fmt(difference, '.2e')}, within {fmt(ERROR_SAFETY, 'g')} × {fmt(bound, '.1e')} (‖gradient‖/"
                                f"curvature at both) required; GD {'reached' if converged else 'did not reach'} its "
                                f"stationarity test; {setting}")


@model("nll.grad.logistic", candidate_args=("y", "theta", "x"))
def logistic_trained_with(candidate, generator, device):
    """reference model: logistic regression, GD with the candidate vs LBFGS on BCE"""
    start = time.perf_counter()
    X, y, _ = make_binary_data(200, 3, generator, device)

    def dloss_dlogit(labels, logits):  # the candidate at x = 1, θ = the logit
        return candidate(y=labels, theta=logits, x=torch.ones_like(logits))

    return same_weights(fit_logistic_by_gradient(X, y, dloss_dlogit), fit_logistic_by_bce(X, y),
                        lambda theta: F.binary_cross_entropy_with_logits(X @ theta, y),
                        lambda theta: X.T @ dloss_dlogit(y, X @ theta) / len(y), start, "n=200, d=3")


def _cross_entropy_gradient(h1, h2, h3, logit_index: int):
    logits = _logits(h1, h2, h3).detach().requires_grad_(True)
    loss = F.cross_entropy(logits, _first_class(h1), reduction="sum")
    (gradient,) = torch.autograd.grad(loss, logits)
    return gradient[:, logit_index]


@reference("nll.grad.softmax.true-class")
def cross_entropy_gradient_h1(h1, h2, h3):
    """autograd of F.cross_entropy w.r.t. h1"""
    return _cross_entropy_gradient(h1, h2, h3, 0)


@reference("nll.grad.softmax.other-class")
def cross_entropy_gradient_h2(h1, h2, h3):
    """autograd of F.cross_entropy w.r.t. h2"""
    return _cross_entropy_gradient(h1, h2, h3, 1)


@reference("nll.grad.softmax.soft-label")
def soft_label_cross_entropy_gradient_h1(h1, h2, h3, y1, y2):
    """autograd of F.cross_entropy with probability targets (y_1, y_2, 1 − y_1 − y_2) w.r.t. h1"""
    logits = _logits(h1, h2, h3).detach().requires_grad_(True)
    target = torch.stack([y1, y2, 1 - y1 - y2], 1)
    (gradient,) = torch.autograd.grad(F.cross_entropy(logits, target, reduction="sum"), logits)
    return gradient[:, 0]


@reference("nll.grad.softmax.jacobian")
def softmax_jacobian_12(h1, h2, h3):
    """autograd of torch.softmax: entry (1, 2) of its Jacobian"""
    logits = _logits(h1, h2, h3).detach().requires_grad_(True)
    (gradient,) = torch.autograd.grad(torch.softmax(logits, 1)[:, 0].sum(), logits)
    return gradient[:, 1]


def _softmax_trained_with(candidate, generator, device, true_class: bool) -> NumericResult:
    """A 3-class softmax classifier trained by GD whose logit gradient takes the candidate for
    the entries the claim covers (the observed class's logit, or the other two) and
    softmax − onehot for the rest, vs LBFGS on F.cross_entropy."""
    start = time.perf_counter()
    X, labels, _ = make_multiclass_data(200, 3, 3, generator, device)

    def dloss_dlogits(onehot, logits):
        gradient = torch.softmax(logits, 1) - onehot
        observed = onehot.argmax(1)
        rows = torch.arange(len(observed), device=logits.device)
        h = [logits[rows, (observed + shift) % 3] for shift in range(3)]  # h[0]: observed class
        if true_class:
            gradient[rows, observed] = candidate(h1=h[0], h2=h[1], h3=h[2])
        else:
            gradient[rows, (observed + 1) % 3] = candidate(h1=h[0], h2=h[1], h3=h[2])
            gradient[rows, (observed + 2) % 3] = candidate(h1=h[0], h2=h[2], h3=h[1])
        return gradient

    onehot = F.one_hot(labels, 3).to(DTYPE)

    def weights(free):  # the first two columns free, the last pinned to 0 (reference_models/classifiers.py)
        return torch.cat([free.reshape(3, 2), torch.zeros(3, 1, dtype=DTYPE, device=free.device)], 1)

    return same_weights(fit_softmax_by_gradient(X, labels, dloss_dlogits)[:, :2], fit_softmax_by_ce(X, labels)[:, :2],
                        lambda free: F.cross_entropy(X @ weights(free), labels),
                        lambda free: (X.T @ dloss_dlogits(onehot, X @ weights(free)))[:, :2].flatten() / len(labels),
                        start, "n=200, d=3, K=3")


@model("nll.grad.softmax.true-class", candidate_args=("h1", "h2", "h3"))
def softmax_trained_with_true_class(candidate, generator, device):
    """reference model: softmax classifier, GD with the candidate on the observed logit vs LBFGS on CE"""
    return _softmax_trained_with(candidate, generator, device, true_class=True)


@model("nll.grad.softmax.other-class", candidate_args=("h1", "h2", "h3"))
def softmax_trained_with_other_class(candidate, generator, device):
    """reference model: softmax classifier, GD with the candidate on the other logits vs LBFGS on CE"""
    return _softmax_trained_with(candidate, generator, device, true_class=False)


@reference("nll.grad.linear-regression")
def gaussian_nll_gradient(y, theta, x, sigma):
    """autograd of -Normal(θx, σ).log_prob(y)"""
    return elementwise_grad(lambda t: -Normal(t * x, sigma).log_prob(y), theta)


# --- least squares with one feature (the worked OLS example) -----------------------------


def one_feature_datasets(x1, x2, x3, y1, y2, y3) -> list[tuple[torch.Tensor, torch.Tensor]]:
    """Per random point, its three (x, y) pairs as a 3×1 design matrix and a target vector."""
    X, Y = torch.stack([x1, x2, x3], -1), torch.stack([y1, y2, y3], -1)
    return [(X[i, :, None], Y[i]) for i in range(X.shape[0])]


def _slopes(fit, **data) -> torch.Tensor:
    return torch.stack([fit(X, y)[0] for X, y in one_feature_datasets(**data)])


def _fitted_slopes(fit, loss, **data) -> Approximate:
    """The slope each dataset's ``fit`` returns, with :func:`minimiser_distance` of ``loss`` (quadratic in θ) as its error."""
    results = []
    for X, y in one_feature_datasets(**data):
        theta = fit(X, y)
        results.append((float(theta[0]), minimiser_distance(lambda th: loss(X, y, th), theta)))
    return Approximate.of(results, "‖gradient‖/curvature at the fit (a quadratic loss)", data["x1"])


@reference("nll.gaussian.ols-slope", points=64)
def slope_by_normal_equations(x1, x2, x3, y1, y2, y3):
    """reference model: normal equations"""
    return _slopes(normal_equations, x1=x1, x2=x2, x3=x3, y1=y1, y2=y2, y3=y3)


def _gaussian_nll(X, y, theta):
    return -Normal(X @ theta, 0.7).log_prob(y).sum()


def _mean_squared_error(X, y, theta):
    return F.mse_loss(X @ theta, y)


@reference("nll.gaussian.ols-slope", points=16)
def slope_by_gaussian_nll(x1, x2, x3, y1, y2, y3):
    """reference model: LBFGS on Gaussian NLL (σ = 0.7); error: ‖gradient‖/curvature at the fit"""
    return _fitted_slopes(lambda X, Y: fit_by_gaussian_nll(X, Y, 0.7), _gaussian_nll, x1=x1, x2=x2, x3=x3, y1=y1, y2=y2,
                          y3=y3)


@reference("nll.gaussian.ols-slope", points=16)
def slope_by_mse(x1, x2, x3, y1, y2, y3):
    """reference model: LBFGS on F.mse_loss; error: ‖gradient‖/curvature at the fit"""
    return _fitted_slopes(fit_by_mse, _mean_squared_error, x1=x1, x2=x2, x3=x3, y1=y1, y2=y2, y3=y3)


@reference("nll.gaussian.ols-gradient")
def sum_of_squares_gradient(x1, x2, x3, y1, y2, y3, theta):
    """autograd of F.mse_loss(reduction='sum')"""
    X, Y = torch.stack([x1, x2, x3], -1), torch.stack([y1, y2, y3], -1)
    return elementwise_grad(lambda t: F.mse_loss(t[:, None] * X, Y, reduction="none").sum(-1), theta)


@reference("nll.gaussian.ols-min-sse", points=16)
def sse_at_fitted_slope(x1, x2, x3, y1, y2, y3):
    """reference model: LBFGS on F.mse_loss, SSE at the optimum

    Error bound: the SSE is quadratic in θ, so SSE(θ̂) − SSE(θ*) = ½(θ̂ − θ*)ᵀH(θ̂ − θ*) ≤ ‖g‖²/(2μ), with
    g its gradient at θ̂ and μ its Hessian's smallest eigenvalue (autograd)."""
    results = []
    for X, y in one_feature_datasets(x1, x2, x3, y1, y2, y3):
        theta = fit_by_mse(X, y)

        def sse(th, X=X, y=y):
            return F.mse_loss(X @ th, y, reduction="sum")
        gradient = torch.autograd.functional.jacobian(sse, theta)
        curvature = torch.linalg.eigvalsh(torch.autograd.functional.hessian(sse, theta))[0]
        results.append((float(sse(theta)), float(gradient.norm() ** 2 / (2 * curvature))))
    return Approximate.of(results, "‖gradient‖²/(2·curvature) at the fit (a quadratic loss)", x1)


# --- expected NLL (cross-entropy) by Monte Carlo -----------------------------------------


@monte_carlo("nll.gaussian.cross-entropy")
def nll_under_gaussian_data(m, s, mu, sigma):
    """Monte Carlo: mean of -Normal.log_prob(y) over y ~ N(m, s²)"""
    return expectation(Normal(m, s), lambda y: -Normal(mu, sigma).log_prob(y))


# --- Laplace, the two-class softmax, Poisson (issue 16) ------------------------------------


@reference("nll.laplace")
def laplace_log_prob(y, mu, b):
    """torch Laplace.log_prob"""
    return -Laplace(mu, b).log_prob(y)


def same_variance_gaussian(b: torch.Tensor) -> Normal:
    """N(0, 2b²), the Gaussian with the variance of Laplace(0, b)."""
    return Normal(0.0, b * 2**0.5)


@behaviour("nll.laplace", broken={
    "the same-variance Gaussian in the Laplace's place (no difference left)": dict(law=same_variance_gaussian),
    "the Gaussian's standard deviation set to the variance 2b² (variance taken for standard deviation)":
        dict(gaussian=lambda b: Normal(0.0, 2 * b**2)),
})
def laplace_peak_and_tails(b, *, law=lambda b: Laplace(0.0, b), gaussian=same_variance_gaussian):
    """Laplace(0, b) against the Gaussian of the same variance 2b²: higher at 0 and in the tails

    Seams: the law claimed sharper and heavier-tailed (b -> distribution) and the Gaussian it is compared with."""
    b = torch.tensor(b, dtype=DTYPE)
    laplace, gaussian = law(b), gaussian(b)
    points = torch.tensor([0.0, 6.0, 8.0], dtype=DTYPE) * b  # (the Laplace is the lower one in the shoulders, ~2–4b)
    ratio = (laplace.log_prob(points) - gaussian.log_prob(points)).exp()
    holds = bool((ratio > 1).all())
    return holds, (f"density ratio Laplace/Gaussian (variances {fmt(float(laplace.variance), 'g')}, {fmt(float(gaussian.variance), 'g')}) at 0, 6b, 8b: "
                   + ", ".join(f"{fmt(float(r), '.3g')}" for r in ratio) + f"; above 1 at the peak and in the tails: {holds}")


@reference("nll.softmax.sigmoid")
def two_class_softmax(h1, h2):
    """torch.softmax over two logits, first entry"""
    return torch.softmax(torch.stack([h1, h2], -1), -1)[..., 0]


@reference("nll.poisson")
def poisson_log_prob(y, z):
    """torch Poisson(rate = e^z).log_prob"""
    return -Poisson(z.exp()).log_prob(y)


@reference("nll.poisson")
def poisson_nll_loss_plus_log_factorial(y, z):
    """F.poisson_nll_loss(log_input=True) + lgamma(y + 1)"""
    return F.poisson_nll_loss(z, y, log_input=True, full=False, reduction="none") + torch.lgamma(y + 1)


# --- OLS by gradient descent and lstsq; the fused softmax cross-entropy (issue 16) ---------


def _worked_data(x1, x2, x3, y1, y2, y3):
    return (torch.tensor([[x1], [x2], [x3]], dtype=DTYPE), torch.tensor([y1, y2, y3], dtype=DTYPE))


def normal_equation(X: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """(XᵀX)⁻¹Xᵀy by torch.linalg.solve."""
    return torch.linalg.solve(X.T @ X, X.T @ y)


def ratio_of_sums(X: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Σy/Σx, a plausible misreading of Σxy/Σx²."""
    return (y.sum() / X.sum()).reshape(1)


@behaviour("nll.gaussian.ols-slope", broken={
    "the absolute errors Σ|y − xθ| minimised in place of the squares": dict(loss=lambda residual: residual.abs().sum()),
    "the closed form read as Σy/Σx": dict(closed_form=ratio_of_sums),
})
def gradient_descent_reaches_the_closed_form(x1, x2, x3, y1, y2, y3, *, loss=lambda residual: (residual**2).sum(),
                                             closed_form=normal_equation):
    """gradient descent on the sum of squares ends at the normal equation's slope

    Seams: the loss of the residuals y − Xθ that gradient descent minimises, and the closed form ((X, y) -> θ)."""
    X, y = _worked_data(x1, x2, x3, y1, y2, y3)
    theta = torch.zeros(1, dtype=DTYPE, requires_grad=True)
    step = 0.5 / float((X**2).sum())
    for _ in range(200):
        (grad,) = torch.autograd.grad(loss(y - X @ theta), theta)
        with torch.no_grad():
            theta -= step * grad
    closed = closed_form(X, y)
    theta = theta.detach()
    gap = float((theta - closed).abs())
    return gap < 1e-10, f"200 gradient steps: θ = {fmt(float(theta), '.10f')}; closed form {fmt(float(closed), '.10f')} (gap {fmt(gap, '.1e')})"


@behaviour("nll.gaussian.ols-slope", broken={
    "Σy/Σx, a ratio of sums": dict(ratio=lambda x, y: y.sum() / x.sum()),
    "(Σx)² for Σx² in the denominator": dict(ratio=lambda x, y: (x * y).sum() / x.sum() ** 2),
})
def lstsq_matches_the_ratio(x1, x2, x3, y1, y2, y3, *, ratio=lambda x, y: (x * y).sum() / (x**2).sum()):
    """torch.linalg.lstsq returns Σxy/Σx² on the worked data

    Seam: the closed-form slope ((x, y) -> θ)."""
    X, y = _worked_data(x1, x2, x3, y1, y2, y3)
    solution = float(torch.linalg.lstsq(X, y[:, None]).solution)
    ratio = float(ratio(X[:, 0], y))
    return abs(solution - ratio) < 1e-12, f"torch.linalg.lstsq: {fmt(solution, '.6f')}; the closed-form ratio {fmt(ratio, '.6f')}"


def softmax_then_log(logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """−log(softmax(h)_y) computed as written, exp then normalise then log."""
    return -torch.log(logits.exp()[0, target[0]] / logits.exp().sum())


@behaviour("nll.categorical", broken={
    "softmax then log in place of the fused loss": dict(cross_entropy=softmax_then_log),
    "log-sum-exp without subtracting the largest logit: log Σ e^h − h_y":
        dict(cross_entropy=lambda logits, target: torch.log(logits.exp().sum()) - logits[0, target[0]]),
})
def fused_cross_entropy_is_stable(h1, h2, h3, *, cross_entropy=F.cross_entropy):
    """F.cross_entropy (log-sum-exp) stays finite where softmax-then-log overflows

    Seam: the loss claimed stable ((logits, target) -> −log softmax(h)_y)."""
    logits = torch.tensor([[h1, h2, h3]], dtype=DTYPE)
    target = torch.tensor([2])
    fused = float(cross_entropy(logits, target))
    naive = float(softmax_then_log(logits, target))
    exact = float(torch.logsumexp(logits[0], 0) - logits[0, 2])
    holds = fused == exact and fused == fused and abs(fused) < float("inf") and not abs(naive) < float("inf")
    return holds, (f"logits {[h1, h2, h3]}, observed class 3: the loss {fmt(fused, 'g')} (= logsumexp − h_3 = {fmt(exact, 'g')}); "
                   f"softmax then log in float64: {naive}")


def cross_entropy_gradient(logits: torch.Tensor, target: int) -> torch.Tensor:
    """∂/∂h of F.cross_entropy by autograd (= softmax(h) − one-hot(y))."""
    leaf = logits.detach().clone().requires_grad_(True)
    (grad,) = torch.autograd.grad(F.cross_entropy(leaf[None], torch.tensor([target])), leaf)
    return grad


@behaviour("nll.grad.softmax.true-class", broken={
    "the sign flipped: one-hot(y) − softmax(h)": dict(gradient=lambda h, y: -cross_entropy_gradient(h, y)),
    "the one-hot term dropped: softmax(h)": dict(gradient=lambda h, y: torch.softmax(h.detach(), 0)),
})
def cross_entropy_step_moves_the_logits(h1, h2, h3, lr, *, gradient=cross_entropy_gradient):
    """one gradient step on the cross-entropy raises the true logit, lowers the others and the loss

    Seam: the gradient of the cross-entropy in the logits ((h, true class) -> ∂/∂h)."""
    logits = torch.tensor([h1, h2, h3], dtype=DTYPE)
    loss = F.cross_entropy(logits[None], torch.tensor([0]))
    grad = gradient(logits, 0)
    after = (logits - lr * grad).detach()
    new_loss = float(F.cross_entropy(after[None], torch.tensor([0])))
    moved = (after - logits.detach()).tolist()
    holds = moved[0] > 0 and moved[1] < 0 and moved[2] < 0 and new_loss < float(loss.detach())
    return holds, (f"logits {[h1, h2, h3]}, true class 1, step {fmt(lr, 'g')}: changes {[round(m, 4) for m in moved]}; "
                   f"loss {fmt(float(loss.detach()), '.4f')} → {fmt(new_loss, '.4f')}")
