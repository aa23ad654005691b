r"""FID and Inception Score estimators (executable specification).

Lecture statements made executable (seed 004, §13.4.2):

* L4185–4187: FID = ‖μ_r − μ_g‖² + Tr(Σ_r + Σ_g − 2(Σ_rΣ_g)^{1/2}) between the Gaussian fits of
  real and generated features. :func:`fid_gaussians` evaluates it with symmetric
  eigendecompositions (tr (Σ_rΣ_g)^{1/2} = tr (Σ_r^{1/2}Σ_gΣ_r^{1/2})^{1/2}); it equals the squared
  2-Wasserstein distance, the cost E‖x − T(x)‖² of the linear map :func:`optimal_map` that pushes
  N(μ_r, Σ_r) onto N(μ_g, Σ_g);
* L4195 "requires many samples for stable covariance estimates": :func:`fid_from_samples` (sample
  means, unbiased covariances, as pytorch-fid) is biased upward by about k/n; for two samples of
  size n from the same N(μ, I_d) the leading term is
  k = 2d + d(d+1)/2 (:func:`predicted_bias_identity`; mean term 2d/n, covariance term
  ¼E‖Σ̂₁ − Σ̂₂‖²_F = d(d+1)/(2(n−1)));
* L4170–4181: IS = exp(E_x KL(p(y|x) ‖ p(y))) (:func:`inception_score`) lies in [1, K]; it is K
  for confident, class-balanced predictions, does not see which mode of a class a sample comes
  from, and is maximal for a generator that outputs one perfect sample per class
  (:class:`ToyClassifier`: nearest-centre softmax on K class centres in the plane).

Float64 torch, any device; randomness only from explicit generators.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import Tensor

from derivspec.reference_models.device import DTYPE, as_device


def _sym_sqrt(S: Tensor) -> Tensor:
    """Square root of a symmetric positive semi-definite matrix (batched) via eigh."""
    values, vectors = torch.linalg.eigh(S)
    return (vectors * values.clamp_min(0).sqrt()[..., None, :]) @ vectors.transpose(-1, -2)


def trace_sqrt_product(S1: Tensor, S2: Tensor) -> Tensor:
    """tr (S1 S2)^{1/2} = tr (S1^{1/2} S2 S1^{1/2})^{1/2} (the product is similar to an SPD matrix)."""
    if S1.shape[-1] == 1:  # 1×1: no decomposition needed (and much faster for millions of draws)
        return torch.sqrt((S1 * S2).clamp_min(0))[..., 0, 0]
    root = _sym_sqrt(S1)
    inner = root @ S2 @ root
    inner = (inner + inner.transpose(-1, -2)) / 2
    return torch.linalg.eigvalsh(inner).clamp_min(0).sqrt().sum(-1)


def fid_gaussians(mu1: Tensor, S1: Tensor, mu2: Tensor, S2: Tensor) -> Tensor:
    """‖μ₁ − μ₂‖² + tr(Σ₁ + Σ₂ − 2(Σ₁Σ₂)^{1/2}) (batched over leading dimensions)."""
    return ((mu1 - mu2) ** 2).sum(-1) + torch.diagonal(S1 + S2, dim1=-2, dim2=-1).sum(-1) - 2 * trace_sqrt_product(S1, S2)


def optimal_map(mu1: Tensor, S1: Tensor, mu2: Tensor, S2: Tensor):
    """T(x) = μ₂ + A(x − μ₁), A = Σ₁^{-1/2}(Σ₁^{1/2}Σ₂Σ₁^{1/2})^{1/2}Σ₁^{-1/2} (symmetric positive definite)."""
    root = _sym_sqrt(S1)
    inv_root = torch.linalg.inv(root)
    A = inv_root @ _sym_sqrt(root @ S2 @ root) @ inv_root
    return A, lambda x: mu2 + (x - mu1) @ A.T


def fid_from_samples(X: Tensor, Y: Tensor) -> Tensor:
    """Plug-in FID of two samples (…, n, d): sample means and unbiased sample covariances."""
    def stats(Z):
        mean = Z.mean(-2)
        centred = Z - mean[..., None, :]
        return mean, centred.transpose(-1, -2) @ centred / (Z.shape[-2] - 1)

    (m1, S1), (m2, S2) = stats(X), stats(Y)
    return fid_gaussians(m1, S1, m2, S2)


def predicted_bias_identity(d: int, n: int) -> float:
    """Leading-order E[FID̂_n] for two samples of size n from the same N(μ, I_d): 2d/n + d(d+1)/(2(n−1))."""
    return 2 * d / n + d * (d + 1) / (2 * (n - 1))


@dataclass
class BiasPoint:
    n: int
    mean: float
    stderr: float
    predicted: float


def measure_bias(d: int, ns: list[int], repeats: int, generator: torch.Generator, device=None) -> list[BiasPoint]:
    """Mean plug-in FID between two independent samples of size n of N(0, I_d) (true FID 0)."""
    device = as_device(device, generator)
    out = []
    for n in ns:
        X = torch.randn(repeats, n, d, generator=generator, dtype=DTYPE, device=device)
        Y = torch.randn(repeats, n, d, generator=generator, dtype=DTYPE, device=device)
        values = fid_from_samples(X, Y)
        out.append(BiasPoint(n, float(values.mean()), float(values.std() / math.sqrt(repeats)), predicted_bias_identity(d, n)))
    return out


# --- Inception Score --------------------------------------------------------------------------------


def inception_score(probs: Tensor) -> Tensor:
    """exp(E_x KL(p(y|x) ‖ p(y))), p(y) = mean of the rows of ``probs`` (…, N, K; rows sum to 1);
    batched over leading dimensions."""
    marginal = probs.mean(-2, keepdim=True)
    kl = torch.where(probs > 0, probs * (torch.log(probs.clamp_min(1e-300)) - torch.log(marginal)), torch.zeros_like(probs))
    return torch.exp(kl.sum(-1).mean(-1))


class ToyClassifier:
    """K class centres on a circle of radius 4; p(y|x) = softmax(−‖x − c_y‖²/τ)."""

    def __init__(self, classes: int, temperature: float = 0.5, device=None):
        self.device = as_device(device)
        angles = 2 * math.pi * torch.arange(classes, dtype=DTYPE, device=self.device) / classes
        self.centres = 4 * torch.stack([torch.cos(angles), torch.sin(angles)], -1)
        self.temperature = temperature
        self.classes = classes

    def probs(self, x: Tensor) -> Tensor:
        return torch.softmax(-((x[:, None, :] - self.centres[None]) ** 2).sum(-1) / self.temperature, -1)

    def sample(self, n: int, generator: torch.Generator, classes: list[int] | None = None, submodes: tuple[int, ...] = (-1, 1),
               spread: float = 0.3, offset: float = 0.6) -> Tensor:
        """Samples of a 'generator': class uniform over ``classes``, then one of the ``submodes``
        (±offset along the circle's tangent at the centre), plus N(0, spread²) noise."""
        classes = list(range(self.classes)) if classes is None else classes
        pick = torch.as_tensor(classes, device=self.device)[torch.randint(len(classes), (n,), generator=generator, device=self.device)]
        sub = torch.as_tensor(submodes, dtype=DTYPE, device=self.device)[
            torch.randint(len(submodes), (n,), generator=generator, device=self.device)]
        centre = self.centres[pick]
        tangent = torch.stack([-centre[:, 1], centre[:, 0]], -1) / 4
        noise = spread * torch.randn(n, 2, generator=generator, dtype=DTYPE, device=self.device)
        return centre + offset * sub[:, None] * tangent + noise
