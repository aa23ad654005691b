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

from derivspec.core.numbers import fmt
from derivspec.reference_models.ddpm import EpsMLP, linear_schedule
from derivspec.reference_models.device import DTYPE, as_device, make_generator
from derivspec.reference_models.fit_tests import TestOutcome, power
from derivspec.reference_models.specification import Check, ResultTable, pyplot, save_figure, specification


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


def conditional_score(eps: Tensor, sigma: Tensor | float) -> Tensor:
    """DSM's regression target ∇_{x_t} log q(x_t | x_0) = −(x_t − √ᾱ x_0)/σ² = −ε/σ, σ² = 1 − ᾱ (001 L201–214)."""
    return -eps / sigma


def wrong_sign_score(eps: Tensor, sigma: Tensor | float) -> Tensor:
    """Broken target: +ε/σ (the score pointing away from the data)."""
    return eps / sigma


def sigma_scaled_score(eps: Tensor, sigma: Tensor | float) -> Tensor:
    """Broken target: −(x_t − √ᾱ x_0)·σ = −ε σ² (multiplied by σ instead of divided by σ²)."""
    return -eps * sigma**2


def train_dsm(data: GaussianMixture, *, steps: int = 1500, batch: int = 256, lr: float = 3e-3, seed: int = 0,
              device: torch.device | str | None = None, target=conditional_score) -> tuple[EpsMLP, DSMResult]:
    """Adam on the simple loss ‖ε − ε_θ(x_t, t)‖² (DSM with λ(t) = 1 − ᾱ_t, claim score.dsm.noise-regression) on 2-D
    mixture data; t ~ U{1..T}; the learning rate decays as a cosine to 5 %. Deterministic given ``seed``.

    The loss is written as DSM: λ‖s_θ − target‖² with s_θ = −ε_θ/σ and λ = σ², i.e. ‖ε_θ + σ·target(ε, σ)‖², which
    is ‖ε − ε_θ‖² for the conditional score; ``target`` exists for the broken variants (wrong sign, σ-scaled).
    The data's device is the default (a CPU mixture on a CUDA machine trains on the CPU)."""
    device = data.device if device is None else as_device(device)
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
        sigma = (1 - ab).sqrt()
        loss = ((model(ab.sqrt() * x0 + sigma * eps, t) + sigma * target(eps, sigma)) ** 2).sum(1).mean()
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


# --- executable specification: denoising score matching (reference_models/score_models.py) ------------------------------

DSM_TS = (1, 10, 25, 50, 75, 100)
DSM_FALSE_FAIL_RATE = 1e-4  # the DSM − ESM identity check rejects a correct target once in 10⁴ runs (Bonferroni)
DSM_EXCESS_TOLERANCE = 0.10  # the trained network's loss may exceed the Bayes floor by 10 % of E‖ε‖² = d at each t


def eps_network_score(model: EpsMLP):
    """The score of an ε-network, s_θ(x_t, t) = −ε_θ(x_t, t)/σ_t (float64 out)."""
    abars = dsm_schedule(next(model.parameters()).device)[2]

    @torch.no_grad()
    def score(xt: Tensor, t: int) -> Tensor:
        tt = torch.full((xt.shape[0],), t, dtype=torch.long, device=xt.device)
        return -model(xt.to(torch.float32), tt).to(DTYPE) / math.sqrt(1 - float(abars[t - 1]))
    return score


def dsm_minus_esm(scores: dict, data: GaussianMixture, n: int, generator: torch.Generator, *, target=conditional_score,
                  ts=DSM_TS, false_fail_rate: float = DSM_FALSE_FAIL_RATE):
    """DSM(s) = E σ²‖s(x_t) − target‖² and ESM(s) = E σ²‖s(x_t) − ∇log q_t(x_t)‖² (exact mixture score) per model
    and noise level; Vincent (2011): DSM(s) − ESM(s) = C(t), the same for every model s, because
    E[∇log q(x_t|x_0) | x_t] = ∇log q_t(x_t). Tested by paired z-tests of (DSM − ESM)(s) − (DSM − ESM)(s*) = 0
    per model and t on the same draws (s* the exact score, whose ESM is 0), the largest |z| against the
    two-sided critical value at false_fail_rate / #tests (Bonferroni; CLT). ``scores``: name → (x_t, t) → score.
    Returns (TestOutcome, rows (t, model, DSM, ESM, DSM − ESM, z))."""
    from scipy.special import ndtri

    abars = dsm_schedule(data.device)[2]
    rows, zs = [], []
    for t in ts:
        ab = float(abars[t - 1])
        sigma = math.sqrt(1 - ab)
        x0 = data.sample(n, generator)
        eps = torch.randn(x0.shape, generator=generator, dtype=DTYPE, device=data.device)
        xt = math.sqrt(ab) * x0 + sigma * eps
        exact, aim = data.noised(ab).score(xt), target(eps, sigma)
        reference = sigma**2 * ((exact - aim) ** 2).sum(1)  # DSM − ESM of the exact score
        for name, score in scores.items():
            s = score(xt, t)
            dsm, esm = sigma**2 * ((s - aim) ** 2).sum(1), sigma**2 * ((s - exact) ** 2).sum(1)
            paired = dsm - esm - reference
            z = float(paired.mean() / (paired.std() / math.sqrt(n))) if float(paired.std()) > 0 else 0.0
            zs.append(z)
            rows.append((t, name, float(dsm.mean()), float(esm.mean()), float((dsm - esm).mean()), z))
    critical = float(-ndtri(false_fail_rate / len(zs) / 2))
    finite = all(math.isfinite(z) for z in zs)
    statistic = max(abs(z) for z in zs) if finite else math.inf
    return TestOutcome("paired z-test, max |z| (Bonferroni)", statistic, critical, n, false_fail_rate), rows


def excess_loss(model: EpsMLP, data: GaussianMixture, n: int, seed: int) -> tuple[float, list[dict]]:
    """max over t of E‖ε_θ − ε*‖² / E‖ε‖²: the network's simple loss above the Bayes floor E‖ε − ε*‖² (ε* = E[ε | x_t],
    so loss = floor + E‖ε_θ − ε*‖²), relative to E‖ε‖² = d, the loss of predicting 0 (:func:`error_by_t`); with the
    rows. (Relative to the floor itself it would blow up at t = T, where ε* → ε and the floor → 0.)"""
    rows = error_by_t(model, data, DSM_TS, n, seed)
    return max(r["mse_to_exact"] / data.dim for r in rows), rows


@specification("denoising-score-matching", "Denoising score matching: DSM = ESM − C, and a DSM-trained network learns the "
               "exact mixture score at every noise level", family="score",
               statements="s_θ(x) ≈ ∇ₓ log p(x) (001 L167–171); train s_θ(x_t, t) on the DSM loss λ(t)‖s_θ − ∇log q(x_t|x_0)‖² "
               "(001 L201–214, L314–323), which fits the score of the noisy data distribution; ε_θ ≈ −√(1 − ᾱ_t) ∇log p(x_t) "
               "(004 L3435–3436); learning the score ≡ denoising (004 L3456)", steps=3, report="always")
def run_dsm(ctx):
    result = ctx.result("denoising-score-matching")
    steps, n = (1500, 4000) if ctx.quick else (5000, 20_000)
    data = trimodal_2d(ctx.device)

    ctx.step(f"training the ε-network by DSM ({steps} Adam steps)")
    model, training = train_dsm(data, steps=steps, seed=ctx.seed, device=ctx.device)
    untrained = EpsMLP(T=DSM_T, init_seed=ctx.seed + 1, device=ctx.device)
    scores = {"DSM-trained network": eps_network_score(model), "untrained network": eps_network_score(untrained),
              "zero score": lambda xt, t: torch.zeros_like(xt)}

    ctx.step("DSM − ESM across models and noise levels")
    outcome, rows = dsm_minus_esm(scores, data, n, ctx.generator(2))
    alternative = power(lambda r: dsm_minus_esm(scores, data, n, ctx.generator(100 + r), target=sigma_scaled_score)[0],
                        "the target −(x_t − √ᾱ x_0)·σ (scaled by σ instead of 1/σ²)", 10)
    result.tables.append(ResultTable(f"DSM and ESM (λ = σ², 3-mode 2-D mixture, n = {n:,} per t): DSM − ESM is one "
                                     "constant C(t) per noise level; z: paired test against the exact score's C(t)",
                                     ("t", "model", "DSM", "ESM", "DSM − ESM", "z"),
                                     [(t, name, f"{fmt(d, '.4f')}", f"{fmt(e, '.4f')}", f"{fmt(c, '.4f')}", f"{fmt(z, '+.2f')}")
                                      for t, name, d, e, c, z in rows]))
    result.checks.append(Check.tested("DSM loss = ESM loss − a constant, the same for every model (001 L201–214)",
                                      outcome, alternative))

    ctx.step("the trained network against the exact score per noise level")
    worst, err = excess_loss(model, data, n, ctx.seed + 7)
    result.tables.append(ResultTable(f"DSM-trained ε-network ({steps} steps, {fmt(training.seconds, '.1f')} s) against the exact "
                                     "ε* = −σ∇log q_t", ("t", "ᾱ_t", "E‖ε_θ − ε*‖²", "relative to E‖ε*‖²",
                                                         "floor E‖ε − ε*‖²", "network loss"),
                                     [(r["t"], f"{fmt(r['alpha_bar'], '.4f')}", f"{fmt(r['mse_to_exact'], '.4f')}",
                                       f"{fmt(r['relative_error'], '.4f')}", f"{fmt(r['optimal_loss'], '.4f')}",
                                       f"{fmt(r['network_loss'], '.4f')}") for r in err]))
    result.checks.append(Check("the DSM-trained network learns the exact score at every noise level (004 L3435–3436): "
                               f"its loss exceeds the Bayes floor by ≤ {fmt(DSM_EXCESS_TOLERANCE, '.0%')} of E‖ε‖²",
                               worst <= DSM_EXCESS_TOLERANCE,
                               f"largest E‖ε_θ − ε*‖² / E‖ε‖² over t ∈ {DSM_TS} is {fmt(worst, '.4f')} (tolerance "
                               f"{fmt(DSM_EXCESS_TOLERANCE, 'g')}, n = {n:,} per t); loss = floor + E‖ε_θ − ε*‖², so this is "
                               "the network's excess loss; a network trained on a wrong-sign or σ-scaled target "
                               "exceeds it"))

    path = ctx.figure_path("dsm_scores.png")
    if path is not None:
        plt = pyplot()
        fig, axes = plt.subplots(1, 2, figsize=(11, 4.6))
        grid = torch.linspace(-4, 4, 17, dtype=DTYPE, device=ctx.device)
        xy = torch.cartesian_prod(grid, grid)
        t = 10
        ab = float(dsm_schedule(ctx.device)[2][t - 1])
        for ax, (name, field) in zip(axes, (("exact ∇log q_t", data.noised(ab).score(xy)),
                                            ("DSM-trained s_θ", scores["DSM-trained network"](xy, t)))):
            p, v = xy.cpu().numpy(), field.cpu().numpy()
            ax.quiver(p[:, 0], p[:, 1], v[:, 0], v[:, 1], angles="xy")
            ax.scatter(data.means[:, 0].cpu(), data.means[:, 1].cpu(), c="r", s=20)
            ax.set_title(f"{name}, t = {t} (ᾱ = {fmt(ab, '.3f')})", fontsize=10)
            ax.set_aspect("equal")
        fig.tight_layout()
        save_figure(fig, path, "The exact score of the noised 3-mode mixture and the DSM-trained network's score at "
                    "t = 10: both point toward the modes.", result)
    return result
