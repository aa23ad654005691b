r"""A CLIP-style dual encoder trained with InfoNCE on correlated Gaussian pairs (executable specification).

Data: x ~ N(0, I_d) and y = ρ x + √(1 − ρ²) ε, ε ~ N(0, I_d): d independent pairs (x_k, y_k) of
correlation ρ, whose mutual information is known, I(X; Y) = −(d/2) log(1 − ρ²)
(``gaussian_mutual_information`` computes it from torch.distributions entropies).

Encoders: linear maps of a fixed feature map, z = f(x) = A φ(x), z' = g(y) = B φ(y), similarity
s_ij = ⟨z_i, z'_j⟩ (the temperature τ is absorbed in the scale of A and B). With φ(u) = u
(``quadratic=False``) the critic xᵀAᵀBy is bilinear and cannot represent the optimal critic's
−ρ²‖y‖²/(2(1 − ρ²)) term; with φ(u) = (u, ‖u‖², 1) (the default) the critic family contains
the optimal critic log p(y|x)/p(y) + c(x).

Lecture statements made executable (seed lines):

* InfoNCE is the softmax cross-entropy of a similarity row with the positive as the label,
  averaged over the batch and symmetrised over the two directions (001 L61–78, L296–303;
  000 L357–377): ``infonce_rows``, ``clip_loss``;
* gradient descent on it raises the positive similarity and lowers the negatives ("Maximize
  the dot product (similarity) of correct pairs", 000 L376–377; 001 L23, L83; 004 L3824–3825):
  ``similarity_change_after_step``;
* "a lower bound on mutual information" (001 L84; 003 L1889): log N − L_InfoNCE ≤ I(X; Y), and
  ≤ log N since L ≥ 0 — ``bound_estimate`` with the trained critic or the optimal one;
* "InfoNCE ≈ maximize MI" (001 L86, L303): the estimate approaches min(I, log N), so it
  saturates at log N when I > log N (measured over N and ρ in benchmarks/infonce_mi_sweep.py);
* "only relative similarity" (001 L88–91): the trained critic matches log p(y|x)/p(y) up to a
  function of x alone (``critic_logit_differences``);
* retrieval in the shared space (001 L93–96): ``retrieval_accuracy``.

Everything is float64 on the device given (``auto``: CUDA when present); the seeds are explicit.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torch.distributions import MultivariateNormal, Normal

from derivspec.core.errors import ParameterError
from derivspec.core.numbers import fmt
from derivspec.reference_models.device import DTYPE, as_device, make_generator
from derivspec.reference_models.fit_tests import TestOutcome, power
from derivspec.reference_models.importance import clt_test
from derivspec.reference_models.specification import Check, ResultTable, RunContext, SpecResult, specification

__all__ = ["correlated_pairs", "gaussian_mutual_information", "DualEncoder", "infonce_rows", "clip_loss",
           "train_infonce", "bound_estimate", "optimal_critic", "retrieval_accuracy", "critic_logit_differences",
           "similarity_change_after_step", "TrainedEncoder"]


def _check_rho(rho: float) -> float:
    if not -1 < rho < 1:
        raise ParameterError(f"expected the correlation rho to satisfy the constraint -1 < rho < 1, but found {rho}")
    return float(rho)


def correlated_pairs(n: int, d: int, rho: float, generator: torch.Generator, device=None,
                     batches: int | None = None) -> tuple[Tensor, Tensor]:
    """n pairs (x, y): x ~ N(0, I_d), y = ρx + √(1−ρ²) ε; with ``batches``, shape (batches, n, d)."""
    rho, device = _check_rho(rho), as_device(device, generator)
    shape = (n, d) if batches is None else (batches, n, d)
    x = torch.randn(shape, generator=generator, dtype=DTYPE, device=device)
    noise = torch.randn(shape, generator=generator, dtype=DTYPE, device=device)
    return x, rho * x + math.sqrt(1 - rho**2) * noise


def gaussian_mutual_information(rho: float, d: int = 1) -> float:
    """I(X; Y) = H(X) + H(Y) − H(X, Y) from torch.distributions entropies (per pair, times d)."""
    rho = _check_rho(rho)
    cov = torch.tensor([[1.0, rho], [rho, 1.0]], dtype=DTYPE)
    marginal = Normal(torch.zeros((), dtype=DTYPE), torch.ones((), dtype=DTYPE)).entropy()
    pair = MultivariateNormal(torch.zeros(2, dtype=DTYPE), covariance_matrix=cov).entropy()
    return float(d * (2 * marginal - pair))


class DualEncoder(nn.Module):
    """Two linear encoders of a fixed feature map; ``similarity(x, y)[..., i, j] = ⟨f(x_i), g(y_j)⟩``."""

    def __init__(self, d: int, width: int | None = None, quadratic: bool = True,
                 generator: torch.Generator | None = None, device=None):
        super().__init__()
        device = as_device(device, generator)
        self.d, self.quadratic = int(d), quadratic
        features = self.d + 2 if quadratic else self.d
        width = width or features
        scale = 0.1
        def init(shape):
            if generator is None:
                return nn.Parameter(torch.zeros(shape, dtype=DTYPE, device=device))
            return nn.Parameter(scale * torch.randn(shape, generator=generator, dtype=DTYPE, device=device))
        self.A, self.B = init((width, features)), init((width, features))

    def features(self, u: Tensor) -> Tensor:
        if not self.quadratic:
            return u
        return torch.cat([u, (u * u).sum(-1, keepdim=True), torch.ones_like(u[..., :1])], dim=-1)

    def encode_x(self, x: Tensor) -> Tensor:
        return self.features(x) @ self.A.T

    def encode_y(self, y: Tensor) -> Tensor:
        return self.features(y) @ self.B.T

    def similarity(self, x: Tensor, y: Tensor) -> Tensor:
        return self.encode_x(x) @ self.encode_y(y).transpose(-1, -2)


def infonce_rows(similarity: Tensor) -> Tensor:
    """−log softmax(row i)_i for every row: F.cross_entropy with the diagonal as labels."""
    n = similarity.shape[-1]
    labels = torch.arange(n, device=similarity.device).expand(similarity.shape[:-1])
    return F.cross_entropy(similarity.reshape(-1, n), labels.reshape(-1), reduction="none").reshape(similarity.shape[:-1])


def clip_loss(similarity: Tensor) -> Tensor:
    """CLIP: the mean of the image→text (rows) and text→image (columns) batch-mean InfoNCE."""
    return 0.5 * (infonce_rows(similarity).mean(-1) + infonce_rows(similarity.transpose(-1, -2)).mean(-1))


@dataclass
class TrainedEncoder:
    model: DualEncoder
    d: int
    rho: float
    batch: int
    steps: int
    final_loss: float


def train_infonce(d: int, rho: float, batch: int, steps: int = 400, lr: float = 0.05, seed: int = 0,
                  device=None, quadratic: bool = True, symmetric: bool = True, *, pairs=None) -> TrainedEncoder:
    """Adam on the CLIP loss (or the row InfoNCE) with a fresh batch of ``batch`` pairs per step;
    the learning rate decays linearly to lr/20. ``pairs(n, d, rho, generator, device)`` draws the
    training pairs (default :func:`correlated_pairs`)."""
    device = as_device(device)
    generator = make_generator(seed, device)
    model = DualEncoder(d, quadratic=quadratic, generator=generator, device=device)
    optimiser = torch.optim.Adam(model.parameters(), lr=lr)
    schedule = torch.optim.lr_scheduler.LambdaLR(optimiser, lambda k: 1 - 0.95 * k / steps)
    loss = torch.tensor(math.nan)
    for _ in range(steps):
        x, y = (pairs or correlated_pairs)(batch, d, rho, generator, device)
        similarity = model.similarity(x, y)
        loss = clip_loss(similarity) if symmetric else infonce_rows(similarity).mean()
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
        schedule.step()
    return TrainedEncoder(model, d, rho, batch, steps, float(loss.detach()))


def optimal_critic(rho: float):
    """(x, y) ↦ log p(y|x) − log p(y) for every pair (x_i, y_j), from torch.distributions.Normal."""
    rho = _check_rho(rho)

    def critic(x: Tensor, y: Tensor) -> Tensor:
        xi, yj = x[..., :, None, :], y[..., None, :, :]
        conditional = Normal(rho * xi, math.sqrt(1 - rho**2)).log_prob(yj).sum(-1)
        marginal = Normal(torch.zeros_like(yj), torch.ones_like(yj)).log_prob(yj).sum(-1)
        return conditional - marginal

    return critic


def bound_values(critic, d: int, rho: float, batch: int, batches: int, seed: int = 1, device=None,
                 chunk: int = 256, *, loss=None) -> Tensor:
    """log N − L_InfoNCE(batch) for ``batches`` independent batches of N = ``batch`` pairs (fresh data, its
    own generator: the same seed gives the same batches). ``loss(similarity) -> per-row losses`` is the loss
    under test (default :func:`infonce_rows`)."""
    device = as_device(device)
    loss = loss or infonce_rows
    generator = make_generator(seed, device)
    values = []
    with torch.no_grad():
        done = 0
        while done < batches:
            k = min(chunk, batches - done)
            x, y = correlated_pairs(batch, d, rho, generator, device, batches=k)
            values.append(math.log(batch) - loss(critic(x, y)).mean(-1))
            done += k
    return torch.cat(values)


def bound_estimate(critic, d: int, rho: float, batch: int, batches: int, seed: int = 1, device=None,
                   chunk: int = 256, *, loss=None) -> tuple[float, float]:
    """Monte Carlo estimate of log N − E[L_InfoNCE] (rows, N = ``batch``) with its standard error,
    over ``batches`` independent batches (:func:`bound_values`)."""
    values = bound_values(critic, d, rho, batch, batches, seed, device, chunk, loss=loss)
    return float(values.mean()), float(values.std() / math.sqrt(len(values)))


def retrieval_accuracy(critic, d: int, rho: float, batch: int, batches: int = 200, seed: int = 2,
                       device=None) -> float:
    """Fraction of anchors x_i whose highest-similarity candidate among the batch's y_j is y_i."""
    device = as_device(device)
    generator = make_generator(seed, device)
    with torch.no_grad():
        x, y = correlated_pairs(batch, d, rho, generator, device, batches=batches)
        best = critic(x, y).argmax(-1)
        return float((best == torch.arange(batch, device=device)).double().mean())


def critic_logit_differences(critic, d: int, rho: float, points: int = 2000, seed: int = 3,
                             device=None) -> tuple[Tensor, Tensor]:
    """f(x, y1) − f(x, y2) for the given critic and for the optimal one, at random (x, y1, y2)
    (x, y1 a pair, y2 independent): the difference removes any c(x)."""
    device = as_device(device)
    generator = make_generator(seed, device)
    with torch.no_grad():
        x, y1 = correlated_pairs(points, d, rho, generator, device)
        y2 = torch.randn(points, d, generator=generator, dtype=DTYPE, device=device)
        ys = torch.stack([y1, y2], dim=1)  # (points, 2, d)
        xs = x[:, None, :]
        learned = critic(xs, ys)[:, 0]
        best = optimal_critic(rho)(xs, ys)[:, 0]
        return learned[:, 0] - learned[:, 1], best[:, 0] - best[:, 1]


def similarity_change_after_step(d: int = 2, rho: float = 0.8, batch: int = 8, lr: float = 1e-3, seed: int = 4,
                                 device=None, *, loss=infonce_rows) -> tuple[Tensor, Tensor]:
    """One small gradient step on the row InfoNCE of a random (untrained) dual encoder: the
    change of the positive similarities s_ii and of the negative ones s_ij (i ≠ j).
    ``loss(similarity) -> per-row losses`` is the loss descended (default :func:`infonce_rows`)."""
    device = as_device(device)
    generator = make_generator(seed, device)
    model = DualEncoder(d, quadratic=False, generator=generator, device=device)
    with torch.no_grad():
        model.A.mul_(10)
        model.B.mul_(10)
    x, y = correlated_pairs(batch, d, rho, generator, device)
    before = model.similarity(x, y).detach()
    loss(model.similarity(x, y)).mean().backward()
    with torch.no_grad():
        for p in model.parameters():
            p -= lr * p.grad
    change = model.similarity(x, y).detach() - before
    eye = torch.eye(batch, dtype=torch.bool, device=device)
    return change[eye], change[~eye]


def retrieval_hits(critic, d: int, rho: float, batch: int, anchors: int, seed: int = 2, device=None, *,
                   temperature: float = 1.0) -> Tensor:
    """For ``anchors`` independent batches, whether the first anchor x_1's best candidate under
    s(x_1, y_j)/τ is its own pair y_1 (one anchor per batch, so the hits are independent Bernoulli draws;
    τ = ``temperature``, a negative τ is the sign error the specification must reject)."""
    device = as_device(device)
    generator = make_generator(seed, device)
    with torch.no_grad():
        x, y = correlated_pairs(batch, d, rho, generator, device, batches=anchors)
        return (critic(x[:, :1], y)[:, 0] / temperature).argmax(-1) == 0


# --- executable specification: InfoNCE on correlated Gaussian pairs (reference_models/dual_encoder.py) ----------------

DE_D, DE_RHO, DE_BATCH = 1, 0.8, 16
DE_FALSE_FAIL_RATE = 1e-6  # each check fails a true statement about once in a million runs
DE_TRAINING_TOLERANCE = 0.05  # nats: the trained critic's bound may trail the optimal critic's by this much


def negatives_only_rows(similarity: Tensor) -> Tensor:
    """A broken InfoNCE: log Σ_{j≠i} exp s_ij − s_ii (the positive left out of the denominator). Not a bound:
    with the optimal critic log N − L exceeds I(X; Y) by about log(N/(N−1)) + …"""
    eye = torch.eye(similarity.shape[-1], dtype=torch.bool, device=similarity.device)
    return torch.logsumexp(similarity.masked_fill(eye, -math.inf), -1) - similarity.diagonal(dim1=-2, dim2=-1)


def shuffled_pairs(n: int, d: int, rho: float, generator: torch.Generator, device=None) -> tuple[Tensor, Tensor]:
    """A broken training set: the pairs' y shuffled, so x and y are independent (I = 0)."""
    x, y = correlated_pairs(n, d, rho, generator, device)
    return x, y[torch.randperm(n, generator=generator, device=y.device)]


def check_bound(critic, batches: int, seed: int, device, replicates: int, *, loss=None):
    """001 L84 / 003 L1889: log N − E[L_InfoNCE] ≤ I(X; Y) for every critic. One-sided z-test (an estimate
    above I fails) at DE_FALSE_FAIL_RATE; power against the loss with the positive left out of the
    denominator, by ``replicates`` fresh evaluations of that loss."""
    mi = gaussian_mutual_information(DE_RHO, DE_D)

    def test(loss_fn, s):
        values = bound_values(critic, DE_D, DE_RHO, DE_BATCH, batches, seed=s, device=device, loss=loss_fn)
        estimate, stderr = float(values.mean()), float(values.std()) / math.sqrt(batches)
        return clt_test(estimate, mi, stderr, batches, DE_FALSE_FAIL_RATE, side="upper"), estimate, stderr

    outcome, estimate, stderr = test(loss, seed)
    alt = power(lambda r: test(negatives_only_rows, seed + 100 + r)[0], "InfoNCE with the positive left out of the "
                "denominator", replicates)
    return Check(f"InfoNCE is a lower bound: log N − L_InfoNCE ≤ I(X; Y) = {fmt(mi, '.4f')} (N = {DE_BATCH})", outcome.passed,
                 f"log N − L = {fmt(estimate, '.4f')} ± {fmt(stderr, '.4f')} over {batches:,} batches; {outcome.describe()}; "
                 f"{alt.describe()}", test=outcome, power=alt)


def check_training(steps: int, batches: int, seed: int, device, replicates: int, *, pairs=None):
    """001 L86, L303 "InfoNCE ≈ maximize MI": training on the CLIP loss brings log N − L to the optimal
    critic's value (log p(y|x)/p(y)) within DE_TRAINING_TOLERANCE nats. Paired one-sided z-test on the
    per-batch gap (optimal − trained) − tolerance, same batches; power against an encoder trained on
    shuffled pairs (``pairs=shuffled_pairs``), by ``replicates`` trainings with fresh seeds."""
    best = bound_values(optimal_critic(DE_RHO), DE_D, DE_RHO, DE_BATCH, batches, seed=seed, device=device)

    def test(pairs_fn, s):
        trained = train_infonce(DE_D, DE_RHO, DE_BATCH, steps=steps, seed=s, device=device, pairs=pairs_fn)
        gap = best - bound_values(trained.model.similarity, DE_D, DE_RHO, DE_BATCH, batches, seed=seed, device=device)
        mean, stderr = float(gap.mean()), float(gap.std()) / math.sqrt(batches)
        return clt_test(mean, DE_TRAINING_TOLERANCE, stderr, batches, DE_FALSE_FAIL_RATE, side="upper",
                        name="paired z-test of the gap to the optimal critic"), mean, trained

    outcome, gap, trained = test(pairs, seed + 1)
    alt = power(lambda r: test(shuffled_pairs, seed + 200 + r)[0], "a dual encoder trained on shuffled pairs",
                replicates)
    check = Check(f"training on InfoNCE reaches the optimal critic's bound within {DE_TRAINING_TOLERANCE} nats",
                  outcome.passed, f"gap {fmt(gap, '.4f')} nats (optimal critic {fmt(float(best.mean()), '.4f')}); {outcome.describe()}; "
                  f"{alt.describe()}", test=outcome, power=alt)
    return check, trained


def check_retrieval(critic, anchors: int, seed: int, device, replicates: int, *, temperature: float = 1.0):
    """001 L93–96: retrieval in the shared space works: the pair's own y is the top candidate more often
    than chance 1/N. One-sided binomial test of chance on independent anchors; the check holds when
    chance is rejected at p ≤ DE_FALSE_FAIL_RATE (a chance-level encoder passes with probability ≤ that).
    Stated false-fail rate: the probability that an encoder with accuracy 2/N fails. Power against the
    similarity divided by a negative temperature, by ``replicates`` fresh sets of anchors."""
    from scipy.stats import binom

    chance = 1 / DE_BATCH
    needed = int(binom.isf(DE_FALSE_FAIL_RATE, anchors, chance)) + 1  # P(hits ≥ needed | chance) ≤ α
    false_fail = float(binom.cdf(needed - 1, anchors, 2 * chance))

    def test(tau, s):
        hits = int(retrieval_hits(critic, DE_D, DE_RHO, DE_BATCH, anchors, seed=s, device=device, temperature=tau).sum())
        return TestOutcome("binomial test of chance retrieval (p-value; holds when ≤ threshold)",
                           float(binom.sf(hits - 1, anchors, chance)), DE_FALSE_FAIL_RATE, anchors, false_fail), hits

    outcome, hits = test(temperature, seed)
    alt = power(lambda r: test(-abs(temperature), seed + 300 + r)[0], "the similarity divided by a negative "
                "temperature", replicates)
    return Check(f"retrieval beats chance 1/N = {fmt(chance, '.4f')}", outcome.passed,
                 f"{hits} of {anchors:,} anchors retrieve their pair ({fmt(hits / anchors, '.3f')}; ≥ {needed} needed); "
                 f"{outcome.describe()} (false-fail rate at accuracy 2/N); {alt.describe()}", test=outcome, power=alt)


@specification("dual-encoder", "CLIP-style dual encoder: InfoNCE bounds I(X; Y), training approaches it, retrieval",
               family="contrastive", steps=4, report="full",
               statements="InfoNCE = softmax cross-entropy of the positive over the batch (001 L69–76, 000 L357–377); "
               "a lower bound on mutual information, InfoNCE ≈ maximize MI (001 L84–86, L303; 003 L1889); "
               "shared space for retrieval (001 L93–96)")
def run_dual_encoder(ctx: RunContext) -> SpecResult:
    """d = 1, ρ = 0.8 (I = 0.511 nats), N = 16; quick: 300 training steps, 1,000 evaluation batches."""
    result = ctx.result("dual-encoder")
    quick = ctx.quick
    steps, batches, anchors, reps = (300, 1000, 2000, 5) if quick else (800, 4000, 8000, 20)
    seed = ctx.seed * 1000 + 7
    ctx.step("training the dual encoder on InfoNCE (and on shuffled pairs, for the power)")
    training, trained = check_training(steps, batches, seed, ctx.device, reps)
    ctx.step("the bound log N − L ≤ I(X; Y)")
    bound = check_bound(trained.model.similarity, batches, seed + 2, ctx.device, reps)
    ctx.step("retrieval accuracy")
    retrieval = check_retrieval(trained.model.similarity, anchors, seed + 3, ctx.device, reps)
    result.checks += [bound, training, retrieval]
    ctx.step("table")
    mi = gaussian_mutual_information(DE_RHO, DE_D)
    rows = []
    for name, critic in (("trained dual encoder", trained.model.similarity), ("optimal critic", optimal_critic(DE_RHO))):
        estimate, stderr = bound_estimate(critic, DE_D, DE_RHO, DE_BATCH, batches, seed=seed + 4, device=ctx.device)
        accuracy = float(retrieval_hits(critic, DE_D, DE_RHO, DE_BATCH, anchors, seed + 5, ctx.device).double().mean())
        rows.append((name, f"{fmt(estimate, '.4f')} ± {fmt(stderr, '.4f')}", f"{fmt(accuracy, '.3f')}"))
    result.tables.append(ResultTable(f"I(X; Y) = {fmt(mi, '.4f')} nats, log N = {fmt(math.log(DE_BATCH), '.4f')}, chance 1/N = "
                                     f"{fmt(1 / DE_BATCH, '.4f')}", ("critic", "log N − L_InfoNCE", "retrieval accuracy"), rows))
    return result
