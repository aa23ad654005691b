"""Independent numeric routes for the contrastive family (``derivations/contrastive/``).

Routes compute each quantity without the SymPy derivation: torch's losses (``F.cross_entropy``
with hard, soft and ``label_smoothing`` targets), autograd, ``torch.distributions`` densities,
entropies and KLs, exact enumeration, Monte Carlo (1e-6 false-fail rate, n from a pilot), LBFGS
minimisation, and the CLIP-style dual encoder of ``reference_models/dual_encoder.py``, whose
trained critics run the behaviour sources (InfoNCE as a lower bound on the mutual information,
its saturation at log N, the optimal critic, retrieval).
"""

from __future__ import annotations

import functools
import math

import torch
import torch.nn.functional as F
from torch.distributions import Bernoulli, Categorical, MultivariateNormal, Normal, kl_divergence

from derivspec.core.numbers import fmt
from derivspec.numerics.accuracy import Approximate, richardson
from derivspec.numerics.checks import elementwise_grad
from derivspec.numerics.montecarlo import FALSE_FAIL_RATE, Integrand, critical_z, standard_normal
from derivspec.numerics.sampling import piecewise_constant
from derivspec.numerics.routes import behaviour, monte_carlo, reference
from derivspec.reference_models.device import DTYPE, make_generator
from derivspec.reference_models.dual_encoder import (DualEncoder, TrainedEncoder, bound_estimate, clip_loss,
                                                     critic_logit_differences, gaussian_mutual_information,
                                                     infonce_rows, optimal_critic, retrieval_accuracy,
                                                     similarity_change_after_step, train_infonce)

CPU = torch.device("cpu")
# Behaviour checks train small dual encoders on the CPU (float64, fixed seeds): a few tenths of
# a second each, cached so that the sources sharing a check train once per run.
TRAIN_STEPS = 400
EVAL_BATCHES = 2000

# --- InfoNCE ------------------------------------------------------------------------------------


def _row(a1, a2, a3) -> torch.Tensor:
    return torch.stack([a1, a2, a3], dim=-1)


def _positive_label(like) -> torch.Tensor:
    return torch.zeros(like.shape, dtype=torch.long, device=like.device)


@reference("contrastive.infonce")
def infonce_by_cross_entropy(a1, a2, a3, tau):
    """F.cross_entropy of the similarity row a/τ with the positive as the label"""
    return F.cross_entropy(_row(a1, a2, a3) / tau[:, None], _positive_label(a1), reduction="none")


@reference("contrastive.infonce")
def infonce_by_categorical(a1, a2, a3, tau):
    """−Categorical(logits = a/τ).log_prob(positive)"""
    return -Categorical(logits=_row(a1, a2, a3) / tau[:, None]).log_prob(_positive_label(a1))


def _infonce_gradient(a1, a2, a3, tau, index):
    row = _row(a1, a2, a3).detach().requires_grad_(True)
    loss = F.cross_entropy(row / tau[:, None], _positive_label(a1), reduction="sum")
    (gradient,) = torch.autograd.grad(loss, row)
    return gradient[:, index]


@reference("contrastive.infonce.grad-positive")
def infonce_gradient_positive(a1, a2, a3, tau):
    """autograd of F.cross_entropy(a/τ) w.r.t. the positive dot product a1"""
    return _infonce_gradient(a1, a2, a3, tau, 0)


@reference("contrastive.infonce.grad-negative")
def infonce_gradient_negative(a1, a2, a3, tau):
    """autograd of F.cross_entropy(a/τ) w.r.t. a negative dot product a2"""
    return _infonce_gradient(a1, a2, a3, tau, 1)


@reference("contrastive.infonce.uniform", points=64)
def infonce_at_equal_similarities(N, c):
    """F.cross_entropy of a row of N equal similarities c"""
    values = [F.cross_entropy(torch.full((1, int(n)), float(v), dtype=DTYPE), torch.zeros(1, dtype=torch.long))
              for n, v in zip(N.tolist(), c.tolist())]
    return torch.stack(values).to(N.device)


HOT_TAUS = (5e11, 1e12)  # L(τ) = log N + c₁/τ + O(τ⁻²), c₁ = mean(a) − a₁: Richardson in 1/τ at order 1
COLD_TAUS = (2e-11, 1e-11)  # τL(τ) = max a − a₁ + τ log(#ties + Σ e^{−gaps/τ}): Richardson in τ at order 1


@reference("contrastive.infonce.hot-limit")
def infonce_at_huge_temperature(a1, a2, a3):
    """F.cross_entropy of the row at τ = 5e11 and 1e12, extrapolated to τ → ∞ (Richardson in 1/τ, order 1)"""
    coarse, fine = (F.cross_entropy(_row(a1, a2, a3) / tau, _positive_label(a1), reduction="none") for tau in HOT_TAUS)
    return Approximate(*richardson(coarse, fine, 1), "Richardson in 1/τ: |L(2τ) − L(τ)|")


@reference("contrastive.infonce.cold-limit")
def infonce_at_tiny_temperature(a1, a2, a3):
    """τ · F.cross_entropy(a/τ) at τ = 2e-11 and 1e-11, extrapolated to τ → 0 (Richardson in τ, order 1)

    The remainder is τ log(k + S(τ)): k ties at the maximum, S(τ) = Σ_j e^{−(max a − a_j)/τ} over the
    others, S(τ/2) = Σ_j of the squares. The extrapolation 2·(τ/2)L(τ/2) − τL(τ) removes τ log k exactly
    and leaves τ log((k + S(τ/2))/(k + S(τ))), which the estimate τ[log(k + S(τ)) − ½log(k + S(τ/2))]
    bounds (since k + S(τ/2) ≥ 1), near-ties included."""
    coarse, fine = (tau * F.cross_entropy(_row(a1, a2, a3) / tau, _positive_label(a1), reduction="none")
                    for tau in COLD_TAUS)
    return Approximate(*richardson(coarse, fine, 1), "Richardson in τ: |τL(τ) − (τ/2)L(τ/2)|")


def _similarity_matrices(**s) -> torch.Tensor:
    return torch.stack([torch.stack([s[f"s{i}{j}"] for j in (1, 2, 3)], -1) for i in (1, 2, 3)], -2)


@reference("contrastive.clip.symmetric")
def clip_loss_of_reference_model(s11, s12, s13, s21, s22, s23, s31, s32, s33):
    """reference model: dual_encoder.clip_loss (F.cross_entropy on rows and on columns)"""
    return clip_loss(_similarity_matrices(s11=s11, s12=s12, s13=s13, s21=s21, s22=s22, s23=s23, s31=s31, s32=s32, s33=s33))


@reference("contrastive.clip.symmetric")
def clip_loss_by_log_softmax(s11, s12, s13, s21, s22, s23, s31, s32, s33):
    """−½ mean of the diagonals of log_softmax over rows and over columns"""
    S = _similarity_matrices(s11=s11, s12=s12, s13=s13, s21=s21, s22=s22, s23=s23, s31=s31, s32=s32, s33=s33)
    rows = torch.diagonal(torch.log_softmax(S, dim=-1), dim1=-2, dim2=-1)
    columns = torch.diagonal(torch.log_softmax(S, dim=-2), dim1=-2, dim2=-1)
    return -(rows.mean(-1) + columns.mean(-1)) / 2


def _shifted_labels_infonce(similarity):
    """Row InfoNCE with the positive taken one column off the diagonal (labels i + 1 mod N)."""
    return infonce_rows(similarity.roll(-1, dims=-1))


INFONCE_BROKEN = {
    "the loss ascended (the sign of InfoNCE flipped)": dict(loss=lambda similarity: -infonce_rows(similarity)),
    "labels off by one (the positive taken as s_{i,i+1})": dict(loss=_shifted_labels_infonce),
}


@behaviour("contrastive.infonce.grad-positive", broken=INFONCE_BROKEN)
def descent_raises_positive(batch, *, loss=infonce_rows):
    """dual encoder: one descent step on InfoNCE raises every positive similarity s_ii

    Seam: ``loss(similarity) -> per-row losses``, the loss descended (:func:`infonce_rows`)."""
    positive, negative = similarity_change_after_step(batch=batch, device=CPU, loss=loss)
    holds = bool((positive > 0).all())
    return holds, (f"one gradient step (lr 1e-3) on a random linear dual encoder, batch N = {batch}: the positive "
                   f"similarities changed by {fmt(positive.min(), '.2e')} … {fmt(positive.max(), '.2e')} ({int((positive > 0).sum())} of {batch} rose); the negatives by "
                   f"{fmt(float(negative.mean()), '.2e')} on average; −∂L/∂s_ii = (1 − p_ii)/τ > 0 at every row")


@behaviour("contrastive.infonce.grad-negative", broken=INFONCE_BROKEN)
def descent_lowers_negatives(batch, *, loss=infonce_rows):
    """dual encoder: one descent step on InfoNCE lowers the negative similarities (on average; −∂L/∂s_ij < 0 each)

    Seam: ``loss(similarity) -> per-row losses``, the loss descended and differentiated (:func:`infonce_rows`)."""
    positive, negative = similarity_change_after_step(batch=batch, device=CPU, loss=loss)
    generator = make_generator(5, CPU)
    matrices = 3 * torch.randn(32, batch, batch, generator=generator, dtype=DTYPE)
    grad = elementwise_grad(loss, matrices)
    off_diagonal = grad[:, ~torch.eye(batch, dtype=torch.bool)]
    holds = float(negative.mean()) < 0 and bool((off_diagonal > 0).all())
    return holds, (f"one gradient step (lr 1e-3) on a random linear dual encoder, batch N = {batch}: the negative "
                   f"similarities changed by {fmt(float(negative.mean()), '.2e')} on average ({int((negative < 0).sum())} of "
                   f"{negative.numel()} fell); on 32 random {batch}×{batch} similarity matrices ∂L/∂s_ij > 0 for "
                   f"{int((off_diagonal > 0).sum())} of the {off_diagonal.numel()} negatives (min {fmt(float(off_diagonal.min()), '.2e')})")


# --- the dual encoder: bound, saturation, critic, retrieval --------------------------------------


@functools.lru_cache(maxsize=None)
def _trained(rho: float, d: int, batch: int, quadratic: bool = True):
    return train_infonce(d, rho, batch, steps=TRAIN_STEPS, device=CPU, quadratic=quadratic)


@functools.lru_cache(maxsize=None)
def _estimates(rho: float, d: int, batch: int):
    trained = _trained(rho, d, batch)
    learned = bound_estimate(trained.model.similarity, d, rho, batch, EVAL_BATCHES, device=CPU)
    best = bound_estimate(optimal_critic(rho), d, rho, batch, EVAL_BATCHES, device=CPU)
    return learned, best, gaussian_mutual_information(rho, d)


@behaviour("contrastive.infonce.mi-bound", broken={
    "I(X;Y) of one coordinate pair, not of the d independent ones": dict(mutual_information=lambda rho, d: gaussian_mutual_information(rho)),
    "I = ½ log(1 − ρ²) (the sign lost)": dict(mutual_information=lambda rho, d: -gaussian_mutual_information(rho, d)),
})
def infonce_bound_below_mi(rho, d, batch, *, mutual_information=gaussian_mutual_information):
    """dual encoder trained with InfoNCE: log N − L ≤ I(X;Y) (within the Monte Carlo error) and ≤ log N

    Seam: ``mutual_information(rho, d)``, the I(X;Y) the bound is compared with."""
    (estimate, stderr), (best, best_err), _ = _estimates(rho, d, batch)
    mi = mutual_information(rho, d)
    z = critical_z(FALSE_FAIL_RATE)
    log_n = math.log(batch)
    holds = estimate <= mi + z * stderr and best <= mi + z * best_err and estimate <= log_n and best <= log_n
    return holds, (f"ρ = {rho}, d = {d}, N = {batch}: trained critic log N − L = {fmt(estimate, '.4f')} ± {fmt(stderr, '.4f')}, optimal "
                   f"critic {fmt(best, '.4f')} ± {fmt(best_err, '.4f')}, I(X;Y) = {fmt(mi, '.4f')}, log N = {fmt(log_n, '.4f')} "
                   f"({EVAL_BATCHES} batches; bound ≤ I tested at z = {fmt(z, '.2f')}, false-fail rate {fmt(FALSE_FAIL_RATE, 'g')})")


def _untrained(rho: float, d: int, batch: int) -> TrainedEncoder:
    """The dual encoder train_infonce starts from (its seed 0), not trained."""
    return TrainedEncoder(DualEncoder(d, generator=make_generator(0, CPU), device=CPU), d, rho, batch, 0, math.nan)


@behaviour("contrastive.infonce.optimal-critic", broken={
    "an untrained critic (no Adam step)": dict(trained=_untrained),
    "a bilinear critic xᵀWy (no ‖u‖² feature)": dict(trained=lambda rho, d, batch: _trained(rho, d, batch, quadratic=False)),
    "a critic trained on independent pairs (ρ = 0)": dict(trained=lambda rho, d, batch: _trained(0.0, d, batch)),
})
def trained_critic_is_density_ratio(rho, d, batch, *, trained=_trained):
    """the InfoNCE-trained critic's differences f(x,y1) − f(x,y2) match log p(y|x)/p(y)'s (relative RMS < 10 %)

    Seam: ``trained(rho, d, batch)``, the critic under test (a dual encoder trained with InfoNCE)."""
    critic = trained(rho, d, batch)
    learned, best = critic_logit_differences(critic.model.similarity, d, rho, device=CPU)
    error = float(((learned - best).pow(2).mean() / best.pow(2).mean()).sqrt())
    bilinear = _trained(rho, d, batch, quadratic=False)
    learned_bilinear, _ = critic_logit_differences(bilinear.model.similarity, d, rho, device=CPU)
    error_bilinear = float(((learned_bilinear - best).pow(2).mean() / best.pow(2).mean()).sqrt())
    return error < 0.1, (f"ρ = {rho}, d = {d}, N = {batch}, {critic.steps} Adam steps: relative RMS distance of the trained "
                         f"critic's logit differences from log p(y₁|x)/p(y₁) − log p(y₂|x)/p(y₂) = {fmt(error, '.3f')} (features "
                         f"{'u, ‖u‖², 1' if critic.model.quadratic else 'u'}); a bilinear critic xᵀWy cannot represent the ‖y‖² term: {fmt(error_bilinear, '.3f')}")


@behaviour("contrastive.clip.symmetric", broken={
    "a distance used as the similarity (the critic's sign flipped)": dict(critic_of=lambda model: lambda x, y: -model.similarity(x, y)),
    "an untrained encoder": dict(trained=_untrained),
    "an encoder trained on independent pairs (ρ = 0)": dict(trained=lambda rho, d, batch: _trained(0.0, d, batch)),
})
def clip_retrieves_partners(rho, d, batch, *, trained=_trained, critic_of=lambda model: model.similarity):
    """dual encoder trained with the CLIP loss retrieves the true partner above chance (1/N), at the false-fail rate

    Seams: ``trained(rho, d, batch)`` (the encoder) and ``critic_of(model)`` (the similarity retrieval ranks by)."""
    model = trained(rho, d, batch).model
    batches = 400
    accuracy = retrieval_accuracy(critic_of(model), d, rho, batch, batches=batches, device=CPU)
    chance = 1 / batch
    trials = batches * batch
    z = (accuracy - chance) / math.sqrt(chance * (1 - chance) / trials)
    return z > critical_z(FALSE_FAIL_RATE), (f"ρ = {rho}, d = {d}, N = {batch}: top-1 retrieval {fmt(accuracy, '.3f')} over {trials} "
                                             f"anchors vs chance {fmt(chance, '.3f')} (z = {fmt(z, '.1f')})")


# --- mutual information ---------------------------------------------------------------------------


def _pair(rho) -> MultivariateNormal:
    """The unit-variance bivariate normal with correlation ρ (batched over ρ's shape)."""
    one = torch.ones_like(rho)
    cov = torch.stack([torch.stack([one, rho], -1), torch.stack([rho, one], -1)], -2)
    return MultivariateNormal(torch.zeros(rho.shape + (2,), dtype=DTYPE, device=rho.device), covariance_matrix=cov)


@monte_carlo("contrastive.mi.gaussian")
def mi_as_expected_kl(rho):
    """Monte Carlo over x ~ N(0, 1) of kl_divergence(p(y|x) = N(ρx, 1 − ρ²), p(y) = N(0, 1)) (I = E_x KL)"""
    scale = torch.sqrt(1 - rho**2)
    standard = Normal(torch.zeros((), dtype=DTYPE, device=rho.device), torch.ones((), dtype=DTYPE, device=rho.device))

    def kl_at(u):  # x = Φ⁻¹(u) ~ N(0, 1)
        return kl_divergence(Normal(rho * standard_normal(u[:, 0]), scale), standard)

    return Integrand(kl_at, dim=1, noise="normal")


@reference("contrastive.mi.gaussian")
def mi_by_entropies(rho):
    """H(X) + H(Y) − H(X,Y) from torch.distributions entropies"""
    return 2 * Normal(torch.zeros_like(rho), torch.ones_like(rho)).entropy() - _pair(rho).entropy()


@behaviour("contrastive.mi.gaussian", broken={
    "I = ½ log(1 − ρ²) (the sign lost)": dict(mutual_information=lambda rho: -gaussian_mutual_information(rho)),
    "the correlation ρ taken as the dependence measure": dict(mutual_information=lambda rho: rho),
    "I = −log(1 − ρ)": dict(mutual_information=lambda rho: -math.log1p(-rho)),
})
def mi_zero_iff_independent(*, mutual_information=gaussian_mutual_information):
    """Gaussian pair: I(ρ) ≥ 0 on a grid, = 0 only at ρ = 0, where p(x, y) = p(x) p(y)

    Seam: ``mutual_information(rho)``, I(X;Y) of the unit-variance Gaussian pair."""
    grid = [k / 20 for k in range(-19, 20)]
    values = {r: mutual_information(r) for r in grid}
    generator = make_generator(6, CPU)
    xy = torch.randn(1000, 2, generator=generator, dtype=DTYPE)
    standard = Normal(torch.zeros((), dtype=DTYPE), torch.ones((), dtype=DTYPE))
    factorises = float((_pair(torch.tensor(0.0, dtype=DTYPE)).log_prob(xy) - standard.log_prob(xy).sum(-1)).abs().max())
    holds = all(v > 0 for r, v in values.items() if r != 0) and abs(values[0.0]) < 1e-14 and factorises < 1e-12
    return holds, (f"I(ρ) from torch entropies on ρ ∈ [−0.95, 0.95]: min over ρ ≠ 0 is {fmt(min(v for r, v in values.items() if r), '.4g')} "
                   f"(must be > 0), I(0) = {fmt(values[0.0], '.1e')}; at ρ = 0 |log p(x,y) − log p(x) − log p(y)| ≤ {fmt(factorises, '.1e')}")


def _log_density_pair(x, y, rho):
    return _pair(rho).log_prob(torch.stack([x, y], -1))


@reference("contrastive.infonce.optimal-critic")
def critic_difference_by_densities(x, y1, y2, rho):
    """[log p(x,y1) − log p(y1)] − [log p(x,y2) − log p(y2)] (torch MultivariateNormal, Normal)"""
    standard = Normal(torch.zeros_like(x), torch.ones_like(x))
    return (_log_density_pair(x, y1, rho) - standard.log_prob(y1)) - (_log_density_pair(x, y2, rho) - standard.log_prob(y2))


@reference("contrastive.infonce.optimal-critic")
def critic_difference_by_posterior(x, y1, y2, rho):
    """log-odds of the Bayes posterior that y1 (not y2) is x's partner, from Normal(ρx, 1 − ρ²) and Normal(0, 1)"""
    conditional = Normal(rho * x, torch.sqrt(1 - rho**2))
    standard = Normal(torch.zeros_like(x), torch.ones_like(x))
    log_a = conditional.log_prob(y1) + standard.log_prob(y2)  # y1 the partner
    log_b = conditional.log_prob(y2) + standard.log_prob(y1)  # y2 the partner
    normaliser = torch.logaddexp(log_a, log_b)
    return (log_a - normaliser) - (log_b - normaliser)  # log P(y1 | …) − log P(y2 | …)


def _binary_configurations(r):
    """(probability, positive critic, negative critic) for the 8 configurations of (x, y1, y2)."""
    for x in (0, 1):
        for y1 in (0, 1):
            for y2 in (0, 1):
                conditional = Bernoulli(probs=(1 + r) / 2 if x == 1 else (1 - r) / 2)  # P(Y = 1 | x)
                marginal = Bernoulli(probs=torch.full_like(r, 0.5))
                prob = 0.5 * torch.exp(conditional.log_prob(torch.full_like(r, y1))) * 0.5
                f1 = conditional.log_prob(torch.full_like(r, y1)) - marginal.log_prob(torch.full_like(r, y1))
                f2 = conditional.log_prob(torch.full_like(r, y2)) - marginal.log_prob(torch.full_like(r, y2))
                yield prob, f1, f2


@reference("contrastive.infonce.mi-bound")
def binary_bound_by_enumeration(r):
    """exact enumeration of (x, y1, y2): log 2 − F.cross_entropy of the critic row (torch Bernoulli log-probs)"""
    total = torch.zeros_like(r)
    for prob, f1, f2 in _binary_configurations(r):
        loss = F.cross_entropy(torch.stack([f1, f2], -1), torch.zeros(r.shape, dtype=torch.long, device=r.device),
                               reduction="none")
        total = total + prob * (math.log(2) - loss)
    return total


# --- cross-entropy and label smoothing ------------------------------------------------------------


def _bern(p) -> Bernoulli:
    return Bernoulli(probs=p)


def _conditional_ce_terms(d1, d2, q1, q2):
    ones, zeros = torch.ones_like(d1), torch.zeros_like(d1)
    out = []
    for d, q in ((d1, q1), (d2, q2)):
        out.append(-(d * _bern(q).log_prob(ones) + (1 - d) * _bern(q).log_prob(zeros)))
    return out


@reference("contrastive.ce.conditional")
def conditional_ce_by_enumeration(u, d1, d2, q1, q2):
    """Σ_x p(x) Σ_y p(y|x) (−Bernoulli(q_x).log_prob(y)) by enumeration"""
    first, second = _conditional_ce_terms(d1, d2, q1, q2)
    return u * first + (1 - u) * second


@reference("contrastive.ce.conditional")
def conditional_ce_by_kl_and_entropy(u, d1, d2, q1, q2):
    """E_x[kl_divergence(Bern(d_x), Bern(q_x)) + Bern(d_x).entropy()] (torch.distributions)"""
    per_x = [kl_divergence(_bern(d), _bern(q)) + _bern(d).entropy() for d, q in ((d1, q1), (d2, q2))]
    return u * per_x[0] + (1 - u) * per_x[1]


@monte_carlo("contrastive.ce.conditional")
def conditional_ce_by_sampling(u, d1, d2, q1, q2):
    """expectation of −log q(y|x) over x ~ Bern(u), y | x ~ Bern(d_x): the sampler's uniforms, summed exactly over their cells (Monte Carlo route)"""
    def surprise(uniforms):
        first = uniforms[:, 0] < u
        y = (uniforms[:, 1] < torch.where(first, d1, d2)).to(DTYPE)
        return -_bern(torch.where(first, q1, q2)).log_prob(y)
    return piecewise_constant(surprise, [[u], [d1, d2]])


def expected_cross_entropy(p_x, p_y_given_x, log_q):
    """E_x E_{y~p(y|x)}[−log q(y|x)]."""
    return -(p_x[:, None] * p_y_given_x * log_q).sum()


@behaviour("contrastive.ce.conditional", broken={
    "the cross-entropy of the hard label argmax_y p(y|x)":
        dict(loss=lambda p_x, p, log_q: expected_cross_entropy(p_x, F.one_hot(p.argmax(1), p.shape[1]).to(DTYPE), log_q)),
    "the reverse cross-entropy E_x E_{y~q}[−log p_data(y|x)]":
        dict(loss=lambda p_x, p, log_q: -(p_x[:, None] * log_q.exp() * p.log()).sum()),
})
def ce_recovers_conditional(inputs, classes, *, loss=expected_cross_entropy):
    """softmax model with free logits per input, LBFGS on the expected CE: the fit equals p_data(y|x) (max error < 1e-6)

    Seam: ``loss(p_x, p_data(y|x), log q(y|x))``, the objective minimised (:func:`expected_cross_entropy`)."""
    generator = make_generator(7, CPU)
    p_x = torch.softmax(torch.randn(inputs, generator=generator, dtype=DTYPE), 0)
    p_y_given_x = torch.softmax(1.5 * torch.randn(inputs, classes, generator=generator, dtype=DTYPE), 1)
    logits = torch.zeros(inputs, classes, dtype=DTYPE, requires_grad=True)
    optimiser = torch.optim.LBFGS([logits], max_iter=500, tolerance_grad=1e-14, tolerance_change=0.0,
                                  line_search_fn="strong_wolfe")

    def closure():
        optimiser.zero_grad()
        value = loss(p_x, p_y_given_x, torch.log_softmax(logits, 1))
        value.backward()
        return value

    optimiser.step(closure)
    fitted = torch.softmax(logits.detach(), 1)
    error = float((fitted - p_y_given_x).abs().max())
    largest = float(p_y_given_x.max())
    return error < 1e-6, (f"{inputs} inputs × {classes} classes, p_data(y|x) random (largest probability {fmt(largest, '.2f')}, "
                          f"so no input has a single valid label): LBFGS on E[−log q(y|x)] gives max |q − p_data| = {fmt(error, '.1e')}")


@reference("contrastive.label-smoothing", points=64)
def label_smoothing_by_torch(h1, h2, h3, eps):
    """F.cross_entropy(label_smoothing=ε) (PyTorch: target (1 − ε)·onehot + ε/K)"""
    logits = torch.stack([h1, h2, h3], -1)
    return torch.stack([F.cross_entropy(row[None], torch.zeros(1, dtype=torch.long, device=row.device),
                                        label_smoothing=float(e)) for row, e in zip(logits, eps)])


@reference("contrastive.label-smoothing")
def label_smoothing_by_soft_target(h1, h2, h3, eps):
    """F.cross_entropy with the probability target (1 − ε + ε/3, ε/3, ε/3)"""
    third = eps / 3
    target = torch.stack([1 - eps + third, third, third], -1)
    return F.cross_entropy(torch.stack([h1, h2, h3], -1), target, reduction="none")


@reference("contrastive.label-smoothing.other-convention")
def other_convention_by_soft_target(h1, h2, h3, eps):
    """F.cross_entropy with the probability target (1 − ε, ε/2, ε/2)"""
    target = torch.stack([1 - eps, eps / 2, eps / 2], -1)
    return F.cross_entropy(torch.stack([h1, h2, h3], -1), target, reduction="none")


@reference("contrastive.label-smoothing.other-convention", points=64)
def other_convention_by_torch(h1, h2, h3, eps):
    """F.cross_entropy(label_smoothing=3ε/2): PyTorch's convention at ε' = εK/(K − 1)"""
    logits = torch.stack([h1, h2, h3], -1)
    return torch.stack([F.cross_entropy(row[None], torch.zeros(1, dtype=torch.long, device=row.device),
                                        label_smoothing=1.5 * float(e)) for row, e in zip(logits, eps)])


@reference("contrastive.label-smoothing.minimiser", points=16)
def smoothed_optimum_by_lbfgs(eps, K):
    """LBFGS then Newton on F.cross_entropy(h, 0, label_smoothing=ε) over K free logits: h*_0 − h*_1

    Error bound: the loss is strongly convex on the logits orthogonal to (1, …, 1) (a shift changes
    nothing), with curvature μ = the smallest non-zero eigenvalue of its Hessian diag(p) − ppᵀ; the
    gradient g sums to 0, so ‖h − h*‖ ≤ ‖g‖/μ there and the gap is off by at most √2‖g‖/μ
    (μ at the final logits: a local bound, the gradient being at round-off)."""
    results = []
    for e, k in zip(eps.tolist(), K.tolist()):
        logits = torch.zeros(1, int(k), dtype=DTYPE, requires_grad=True)
        optimiser = torch.optim.LBFGS([logits], max_iter=200, tolerance_grad=1e-15, tolerance_change=0.0,
                                      line_search_fn="strong_wolfe")

        def closure():
            optimiser.zero_grad()
            loss = F.cross_entropy(logits, torch.zeros(1, dtype=torch.long), label_smoothing=e)
            loss.backward()
            return loss

        optimiser.step(closure)
        h = logits.detach()[0]

        def loss_of(v, e=e):
            return F.cross_entropy(v[None], torch.zeros(1, dtype=torch.long), label_smoothing=e)

        for _ in range(3):  # Newton polish: (diag(p) − ppᵀ) δ = g with Σg = 0 is solved by δ = g/p (up to a shift)
            gradient = torch.autograd.functional.jacobian(loss_of, h)
            h = h - gradient / torch.softmax(h, 0)
        gradient = torch.autograd.functional.jacobian(loss_of, h)
        p = torch.softmax(h, 0)
        curvature = torch.linalg.eigvalsh(torch.diag(p) - torch.outer(p, p))[1]  # [0] is the shift direction's 0
        results.append((float(h[0] - h[1]), math.sqrt(2) * float(gradient.norm()) / float(curvature)))
    return Approximate.of(results, "‖gradient‖/curvature at the optimum", eps)
