r"""Exact scores of Gaussian mixtures at every noise level, and a DSM-trained score network against them.

Executable specification of the lecture statements (family ``score``; derivations in
``derivations/score/`` and ``derivations/ddpm/parameterisation.py``):

* "s_θ(x) ≈ ∇ₓ log p(x)" (001 L167–171), "the score ... points toward higher probability regions"
  (004 L3679–3681), "learns a vector field that points towards high-density regions ... at every noise
  scale" (001 L236): :class:`GaussianMixture` gives the exact score of a mixture (full covariances), and
  of its noisy versions — VP (``noised``: x_t = √ᾱ x_0 + √(1−ᾱ) ε, the DDPM jump) and VE (``smoothed``:
  x + σ z) — in closed form: a Gaussian mixture convolved with a Gaussian is a Gaussian mixture;
* "ε_θ(x_t, t) ≈ −√(1 − ᾱ_t) ∇ log p(x_t)" (004 L3436, L3687), Tweedie's E[x_0 | x_t]
  (``eps``, ``denoised``): the Bayes-optimal noise predictor and denoiser of mixture data;
* "train s_θ(x_t, t) ... practical loss" (001 L201–214): :func:`train_dsm` trains a small ε-network
  (``reference_models.ddpm.EpsMLP``) with the simple loss on a 2-D mixture, and :func:`error_by_t`
  compares it with the exact ε* per noise level — the network learns the *marginal* optimum
  E[ε | x_t], whose loss E‖ε − ε*‖² is the floor no predictor beats (002 L555: it cannot "predict this
  specific noise instance").

Float64 for every exact quantity; the network trains in float32. Randomness only from explicit
``torch.Generator`` objects; runs on CPU in seconds and on CUDA when present (``device`` arguments).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import torch
from torch import Tensor

from derivspec.reference_models.ddpm import EpsMLP, linear_schedule
from derivspec.reference_models.device import DTYPE, as_device, make_generator


@dataclass(frozen=True)
class GaussianMixture:
    """Σ_k w_k N(μ_k, Σ_k) in d dimensions: ``weights`` (K,), ``means`` (K, d), ``covs`` (K, d, d), float64."""

    weights: Tensor
    means: Tensor
    covs: Tensor

    def __post_init__(self):
        k, d = self.means.shape
        if self.weights.shape != (k,) or self.covs.shape != (k, d, d):
            raise ValueError(f"shapes do not match: weights {tuple(self.weights.shape)}, means {tuple(self.means.shape)}, "
                             f"covs {tuple(self.covs.shape)}")
        if not torch.allclose(self.weights.sum(), torch.ones((), dtype=self.weights.dtype, device=self.weights.device)):
            raise ValueError(f"weights must sum to 1, got {float(self.weights.sum())}")

    @property
    def dim(self) -> int:
        return self.means.shape[1]

    @property
    def device(self) -> torch.device:
        return self.means.device

    # --- densities -----------------------------------------------------------------------

    def _precisions(self) -> tuple[Tensor, Tensor]:
        """(Σ_k⁻¹, log det Σ_k), computed once per mixture (the samplers call the score thousands of times)."""
        cached = self.__dict__.get("_cached_precisions")
        if cached is None:
            cached = (torch.linalg.inv(self.covs), torch.linalg.slogdet(self.covs)[1])
            object.__setattr__(self, "_cached_precisions", cached)
        return cached

    def component_log_probs(self, x: Tensor) -> Tensor:
        """log w_k + log N(x; μ_k, Σ_k), shape (n, K)."""
        precision, logdet = self._precisions()
        diff = x[:, None, :] - self.means[None]                                   # (n, K, d)
        quad = (diff * torch.einsum("nkd,ked->nke", diff, precision)).sum(-1)     # (x − μ_k)ᵀΣ_k⁻¹(x − μ_k)
        return self.weights.log() - 0.5 * (quad + logdet + self.dim * math.log(2 * math.pi))

    def log_prob(self, x: Tensor) -> Tensor:
        """log p(x), shape (n,); x has shape (n, d)."""
        return torch.logsumexp(self.component_log_probs(x), dim=1)

    def responsibilities(self, x: Tensor) -> Tensor:
        """p(k | x), shape (n, K)."""
        return torch.softmax(self.component_log_probs(x), dim=1)

    def score(self, x: Tensor) -> Tensor:
        """∇ₓ log p(x) = Σ_k p(k|x)(−Σ_k⁻¹(x − μ_k)), shape (n, d)."""
        precision, _ = self._precisions()
        diff = x[:, None, :] - self.means[None]                                     # (n, K, d)
        per_component = -torch.einsum("nkd,ked->nke", diff, precision)              # −Σ_k⁻¹(x − μ_k)
        return (self.responsibilities(x)[..., None] * per_component).sum(1)

    def sample(self, n: int, generator: torch.Generator) -> Tensor:
        """n draws, shape (n, d)."""
        k = torch.multinomial(self.weights, n, replacement=True, generator=generator)
        noise = torch.randn((n, self.dim), generator=generator, dtype=self.means.dtype, device=self.device)
        chol = torch.linalg.cholesky(self.covs)
        return self.means[k] + (chol[k] @ noise[..., None])[..., 0]

    def cdf(self, x: Tensor) -> Tensor:
        """P(X ≤ x) for a 1-D mixture; x of shape (n,)."""
        if self.dim != 1:
            raise ValueError(f"cdf needs a 1-D mixture, this one has d = {self.dim}")
        std = self.covs[:, 0, 0].sqrt()
        z = (x[:, None] - self.means[None, :, 0]) / std[None]
        return (self.weights[None] * 0.5 * torch.erfc(-z / math.sqrt(2))).sum(1)

    def mean(self) -> Tensor:
        return (self.weights[:, None] * self.means).sum(0)

    def covariance(self) -> Tensor:
        """Σ_k w_k (Σ_k + μ_k μ_kᵀ) − m mᵀ."""
        m = self.mean()
        second = (self.weights[:, None, None] * (self.covs + self.means[:, :, None] * self.means[:, None, :])).sum(0)
        return second - m[:, None] * m[None, :]

    # --- noisy versions ------------------------------------------------------------------

    @staticmethod
    def _unchecked(weights: Tensor, means: Tensor, covs: Tensor) -> GaussianMixture:
        """A mixture derived from a validated one (the samplers build thousands: skip the checks)."""
        out = object.__new__(GaussianMixture)
        for name, value in (("weights", weights), ("means", means), ("covs", covs)):
            object.__setattr__(out, name, value)
        return out

    def noised(self, alpha_bar: float) -> GaussianMixture:
        """Law of x_t = √ᾱ x_0 + √(1 − ᾱ) ε (the DDPM / VP jump): means √ᾱ μ_k, covariances ᾱΣ_k + (1 − ᾱ)I."""
        a = float(alpha_bar)
        eye = torch.eye(self.dim, dtype=self.covs.dtype, device=self.device)
        return self._unchecked(self.weights, math.sqrt(a) * self.means, a * self.covs + (1 - a) * eye)

    def smoothed(self, sigma: float) -> GaussianMixture:
        """Law of x + σ z (variance exploding): covariances Σ_k + σ² I."""
        eye = torch.eye(self.dim, dtype=self.covs.dtype, device=self.device)
        return self._unchecked(self.weights, self.means, self.covs + float(sigma) ** 2 * eye)

    def linear_map(self, A: Tensor, b: Tensor | None = None, extra_cov: Tensor | None = None) -> GaussianMixture:
        """Law of A x + b (+ independent N(0, extra_cov)): means Aμ_k + b, covariances AΣ_kAᵀ (+ extra_cov)."""
        means = self.means @ A.T + (0 if b is None else b)
        covs = A @ self.covs @ A.T
        if extra_cov is not None:
            covs = covs + extra_cov
        return GaussianMixture(self.weights, means, covs)

    def eps(self, xt: Tensor, alpha_bar: float) -> Tensor:
        """The MSE-optimal noise prediction E[ε | x_t] = −√(1 − ᾱ) ∇ log q_t(x_t) (Tweedie)."""
        return -math.sqrt(1 - float(alpha_bar)) * self.noised(alpha_bar).score(xt)

    def denoised(self, xt: Tensor, alpha_bar: float) -> Tensor:
        """E[x_0 | x_t] = (x_t + (1 − ᾱ)∇ log q_t(x_t))/√ᾱ (Tweedie)."""
        a = float(alpha_bar)
        return (xt + (1 - a) * self.noised(a).score(xt)) / math.sqrt(a)


def mixture(weights, means, stds, device: torch.device | str | None = None) -> GaussianMixture:
    """A mixture with isotropic components: ``means`` (K, d) (or (K,) for 1-D), ``stds`` (K,)."""
    device = as_device(device)
    w = torch.as_tensor(weights, dtype=DTYPE, device=device)
    m = torch.as_tensor(means, dtype=DTYPE, device=device)
    if m.dim() == 1:
        m = m[:, None]
    s = torch.as_tensor(stds, dtype=DTYPE, device=device)
    eye = torch.eye(m.shape[1], dtype=DTYPE, device=device)
    return GaussianMixture(w / w.sum(), m, (s**2)[:, None, None] * eye)


def bimodal_1d(device: torch.device | str | None = None) -> GaussianMixture:
    """The 1-D test data of the samplers: 0.3 N(−2, 0.4²) + 0.7 N(1.5, 0.6²)."""
    return mixture([0.3, 0.7], [-2.0, 1.5], [0.4, 0.6], device)


def trimodal_2d(device: torch.device | str | None = None) -> GaussianMixture:
    """The 2-D data of the DSM network: weights (0.5, 0.3, 0.2), means (−2, 0), (2, 1), (0, 2.5), stds 0.4, 0.3, 0.5."""
    return mixture([0.5, 0.3, 0.2], [[-2.0, 0.0], [2.0, 1.0], [0.0, 2.5]], [0.4, 0.3, 0.5], device)


# --------------------------------------------------------------------------------------------
# A DSM-trained ε-network against the exact ε*
# --------------------------------------------------------------------------------------------

DSM_T = 100
DSM_BETA_1, DSM_BETA_T = 1e-3, 0.2  # the toy schedule of reference_models/ddpm.py (ᾱ_T = 2.0e-5)


@dataclass
class DSMResult:
    steps: int
    seconds: float
    final_loss: float  # mean simple loss over the last 100 steps (float32 training)


def dsm_schedule(device: torch.device | str | None = None):
    """(betas, alphas, alpha_bars) of the DSM network: T = 100, linear β from 1e-3 to 0.2, float64."""
    return linear_schedule(DSM_T, DSM_BETA_1, DSM_BETA_T, device=as_device(device))


def train_dsm(data: GaussianMixture, *, steps: int = 1500, batch: int = 256, lr: float = 3e-3, seed: int = 0,
              device: torch.device | str | None = None) -> tuple[EpsMLP, DSMResult]:
    """Adam on the simple loss ‖ε − ε_θ(x_t, t)‖² (DSM with λ(t) = 1 − ᾱ_t, claim score.dsm.noise-regression) on 2-D
    mixture data; t ~ U{1..T}; the learning rate decays as a cosine to 5 %. Deterministic given ``seed``."""
    device = as_device(device)
    if data.dim != 2:
        raise ValueError(f"the network takes 2-D data, got d = {data.dim}")
    generator = make_generator(seed, device)
    model = EpsMLP(T=DSM_T, init_seed=seed, device=device)
    abars = dsm_schedule(device)[2].to(torch.float32)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda k: 0.05 + 0.95 * 0.5 * (1 + math.cos(math.pi * k / steps)))
    losses, start = [], time.perf_counter()
    for _ in range(steps):
        x0 = data.sample(batch, generator).to(torch.float32)
        t = torch.randint(1, DSM_T + 1, (batch,), generator=generator, device=device)
        eps = torch.randn((batch, 2), generator=generator, dtype=torch.float32, device=device)
        ab = abars[t - 1][:, None]
        loss = ((eps - model(ab.sqrt() * x0 + (1 - ab).sqrt() * eps, t)) ** 2).sum(1).mean()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        sched.step()
        losses.append(loss.detach())
    return model, DSMResult(steps, time.perf_counter() - start, float(torch.stack(losses[-100:]).mean()))


@torch.no_grad()
def error_by_t(model: EpsMLP, data: GaussianMixture, ts=(1, 10, 25, 50, 75, 100), n: int = 4000, seed: int = 1) -> list[dict]:
    """Per noise level t: the network's E‖ε_θ − ε*‖² against the exact ε* = E[ε|x_t], relative to E‖ε*‖², and the
    irreducible loss E‖ε − ε*‖² (the floor of the simple loss) next to the network's own simple loss."""
    device = data.device
    generator = make_generator(seed, device)
    abars = dsm_schedule(device)[2]
    rows = []
    for t in ts:
        ab = float(abars[t - 1])
        x0 = data.sample(n, generator)
        eps = torch.randn(x0.shape, generator=generator, dtype=DTYPE, device=device)
        xt = math.sqrt(ab) * x0 + math.sqrt(1 - ab) * eps
        exact = data.eps(xt, ab)
        net = model(xt.to(torch.float32), torch.full((n,), t, dtype=torch.long, device=device)).to(DTYPE)
        rows.append({"t": t, "alpha_bar": ab,
                     "mse_to_exact": float(((net - exact) ** 2).sum(1).mean()),
                     "relative_error": float(((net - exact) ** 2).sum(1).mean() / (exact**2).sum(1).mean()),
                     "optimal_loss": float(((eps - exact) ** 2).sum(1).mean()),
                     "network_loss": float(((eps - net) ** 2).sum(1).mean())})
    return rows
