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
from derivspec.reference_models.device import DTYPE, as_device, make_generator

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
    rho, device = _check_rho(rho), as_device(device)
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
        device = as_device(device)
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
                  device=None, quadratic: bool = True, symmetric: bool = True) -> TrainedEncoder:
    """Adam on the CLIP loss (or the row InfoNCE) with a fresh batch of ``batch`` pairs per step;
    the learning rate decays linearly to lr/20."""
    device = as_device(device)
    generator = make_generator(seed, device)
    model = DualEncoder(d, quadratic=quadratic, generator=generator, device=device)
    optimiser = torch.optim.Adam(model.parameters(), lr=lr)
    schedule = torch.optim.lr_scheduler.LambdaLR(optimiser, lambda k: 1 - 0.95 * k / steps)
    loss = torch.tensor(math.nan)
    for _ in range(steps):
        x, y = correlated_pairs(batch, d, rho, generator, device)
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


def bound_estimate(critic, d: int, rho: float, batch: int, batches: int, seed: int = 1, device=None,
                   chunk: int = 256) -> tuple[float, float]:
    """Monte Carlo estimate of log N − E[L_InfoNCE] (rows, N = ``batch``) with its standard error,
    over ``batches`` independent batches (fresh data, its own generator)."""
    device = as_device(device)
    generator = make_generator(seed, device)
    values = []
    with torch.no_grad():
        done = 0
        while done < batches:
            k = min(chunk, batches - done)
            x, y = correlated_pairs(batch, d, rho, generator, device, batches=k)
            values.append(math.log(batch) - infonce_rows(critic(x, y)).mean(-1))
            done += k
    values = torch.cat(values)
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
