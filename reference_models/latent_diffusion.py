r"""A toy latent diffusion: a 2-D mixture embedded linearly in 20-D, a PCA autoencoder, diffusion in the latent.

Executable specification of the lecture statements (claims score.latent.*):

* "we first use a VAE Encoder to compress the pixels into a latent space z_0, then add noise to get z_t"
  (002 L519–521); "VAE encoder E: x → z; Forward z_0 → … → z_T; Reverse z_T → … → z_0 (learned); VAE
  decoder D: z → x" (004 L3584–3588); "Sample z_T ~ N(0, I) in latent space; Denoise z_T → z_0 (~50 steps);
  Decode x = D(z_0)" (L3599–3601): :func:`run_pipeline` fits a PCA encoder/decoder (frozen), samples the
  latent with 50 DDIM steps on the exact noisy scores of the encoded data's law (a Gaussian mixture: the
  encoder is linear), decodes, and compares with held-out data by goodness-of-fit tests;
* "Freeze VAE, train diffusion in latent space; Loss: standard denoising objective on z" (L3592–3595):
  :func:`latent_objective_check` — with an orthonormal encoder the encoded pixel noise is the latent forward
  noise (claim score.latent.encoded-noise), and the exact latent ε* minimises the latent ε-loss;
* "SCORING ~: approximate (VAE gap)", "Cost: VAE approximation, decoder artifacts" (L3608, L3615):
  :func:`decoder_gap` — the decoded model lives on the 2-D subspace, so it misses the data's variance off it,
  (d − k)·off_std² per sample.

Pixel dimension d = 20, latent k = 2. Float64, explicit generators, CPU in a second; ``device`` arguments
run it on CUDA.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Callable

import torch
from torch import Tensor

from derivspec.core.lazy import lazy
from derivspec.core.numbers import fmt
from derivspec.reference_models import samplers
from derivspec.reference_models.ddpm import linear_schedule, two_sample_moment_test
from derivspec.reference_models.device import DTYPE, as_device, make_generator
from derivspec.reference_models.fit_tests import mmd_test, power
from derivspec.reference_models.score_models import GaussianMixture, mixture, train_dsm
from derivspec.reference_models.specification import Check, ResultTable, pyplot, save_figure, specification

chi2_contingency = lazy("scipy.stats", "chi2_contingency")

D_PIXEL, K_LATENT = 20, 2
FALSE_FAIL_RATE = 1e-6  # per goodness-of-fit comparison: a correct pipeline fails about once in a million runs


def latent_mixture(device: torch.device | str | None = None) -> GaussianMixture:
    """The 2-D data before embedding: weights (0.4, 0.35, 0.25), means (−2, −1), (2, −1), (0, 2), stds 0.5, 0.5, 0.6."""
    return mixture([0.4, 0.35, 0.25], [[-2.0, -1.0], [2.0, -1.0], [0.0, 2.0]], [0.5, 0.5, 0.6], device)


@dataclass(frozen=True)
class EmbeddedData:
    """x = U z + b + off_std·(I − UUᵀ) n, z ~ the 2-D mixture, U (d, k) orthonormal, n ~ N(0, I_d)."""

    latent: GaussianMixture
    U: Tensor
    b: Tensor
    off_std: float

    def sample(self, n: int, generator: torch.Generator) -> Tensor:
        z = self.latent.sample(n, generator)
        noise = torch.randn((n, self.U.shape[0]), generator=generator, dtype=DTYPE, device=self.U.device)
        off = noise - (noise @ self.U) @ self.U.T
        return z @ self.U.T + self.b + self.off_std * off

    def law(self) -> GaussianMixture:
        """The exact 20-D law: a Gaussian mixture with covariances UΣ_kUᵀ + off_std²(I − UUᵀ)."""
        eye = torch.eye(self.U.shape[0], dtype=DTYPE, device=self.U.device)
        return self.latent.linear_map(self.U, self.b, self.off_std**2 * (eye - self.U @ self.U.T))


def embedded_data(off_std: float = 0.05, seed: int = 0, device: torch.device | str | None = None) -> EmbeddedData:
    """The toy data: a random orthonormal U (QR of a Gaussian matrix) and offset b ~ N(0, 0.5²I), seeded."""
    device = as_device(device)
    g = make_generator(seed, device)
    q, _ = torch.linalg.qr(torch.randn((D_PIXEL, K_LATENT), generator=g, dtype=DTYPE, device=device))
    b = 0.5 * torch.randn(D_PIXEL, generator=g, dtype=DTYPE, device=device)
    return EmbeddedData(latent_mixture(device), q, b, float(off_std))


@dataclass(frozen=True)
class PCAAutoencoder:
    """E(x) = Vᵀ(x − m), D(z) = V z + m with V the top-k principal directions (orthonormal columns)."""

    mean: Tensor
    V: Tensor

    @staticmethod
    def fit(x: Tensor, k: int = K_LATENT) -> PCAAutoencoder:
        mean = x.mean(0)
        cov = (x - mean).T @ (x - mean) / (x.shape[0] - 1)
        _, vectors = torch.linalg.eigh(cov)
        return PCAAutoencoder(mean, vectors[:, -k:].flip(-1))

    def encode(self, x: Tensor) -> Tensor:
        return (x - self.mean) @ self.V

    def decode(self, z: Tensor) -> Tensor:
        return z @ self.V.T + self.mean

    def code_law(self, data: EmbeddedData) -> GaussianMixture:
        """The exact law of E(x) for x ~ data (the encoder is linear): a 2-D Gaussian mixture."""
        return data.law().linear_map(self.V.T, -self.mean @ self.V)


@dataclass
class PipelineResult:
    holds: bool
    evidence: str
    samples: Tensor | None = None
    seconds: float = 0.0


LATENT_T, LATENT_STEPS = 1000, 50


def sample_latent(code_law: GaussianMixture, n: int, generator: torch.Generator, steps: int = LATENT_STEPS) -> Tensor:
    """z_T ~ N(0, I) in the latent, DDIM (η = 0, ``steps`` of the T = 1000 linear schedule) with the exact noisy ε*."""
    alpha_bars = linear_schedule(LATENT_T, 1e-4, 0.02, device=code_law.device)[2]
    abl = alpha_bars.tolist()
    z_T = torch.randn((n, code_law.dim), generator=generator, dtype=DTYPE, device=code_law.device)
    return samplers.ddim_sample(lambda z, t: code_law.eps(z, abl[t - 1]), alpha_bars,
                                samplers.ddim_timesteps(LATENT_T, steps), z_T, 0.0)


def _cell_counts(x: Tensor, centres: Tensor, radius: float) -> list[int]:
    d = torch.cdist(x, centres)
    nearest = d.argmin(1)
    inside = d.gather(1, nearest[:, None])[:, 0] <= radius
    counts = [int(((nearest == k) & inside).sum()) for k in range(centres.shape[0])]
    return counts + [x.shape[0] - sum(counts)]


def run_pipeline(n: int = 4000, seed: int = 0, off_std: float = 0.05, device: torch.device | str | None = None, *,
                 code_law: Callable[[PCAAutoencoder, EmbeddedData], GaussianMixture] = PCAAutoencoder.code_law,
                 decode: Callable[[PCAAutoencoder, Tensor], Tensor] = PCAAutoencoder.decode) -> PipelineResult:
    """Encode → diffuse in the latent → decode, against held-out data: the two-sample moment test on the codes (2-D
    means and variances, Bonferroni) and a χ² contingency test of the mode counts, each at FALSE_FAIL_RATE / 2.
    ``code_law`` (the law whose exact noisy scores the latent sampler follows) and ``decode`` are the pipeline's
    parts under test (the PCA codes' law and decoder by default)."""
    start = time.perf_counter()
    device = as_device(device)
    data = embedded_data(off_std, seed=0, device=device)
    g = make_generator(seed, device)
    ae = PCAAutoencoder.fit(data.sample(20_000, g))
    codes = code_law(ae, data)
    decoded = decode(ae, sample_latent(codes, n, g))
    held_out = data.sample(n, g)
    ok_moments, z = two_sample_moment_test(ae.encode(decoded), ae.encode(held_out), FALSE_FAIL_RATE / 2)
    centres = ae.encode(data.latent.means @ data.U.T + data.b)
    table = [_cell_counts(ae.encode(decoded), centres, 1.5), _cell_counts(ae.encode(held_out), centres, 1.5)]
    p_cells = float(chi2_contingency(table)[1])
    off_subspace = float(((decoded - ae.decode(ae.encode(decoded))).norm(dim=1)).max())
    holds = ok_moments and p_cells > FALSE_FAIL_RATE / 2 and off_subspace < 1e-9
    worst_z = max(abs(v) for v in z["mean"] + z["var"])
    evidence = (f"x = U z + b + {fmt(off_std, 'g')}·(off-subspace noise) in {D_PIXEL}-D, z from a 3-mode 2-D mixture; PCA encoder "
                f"(fit on 20000 samples, frozen); latent DDIM ({LATENT_STEPS} of {LATENT_T} steps, η = 0, exact noisy "
                f"scores of the codes' law); {n} decoded samples vs {n} held-out data, compared on the codes: moment "
                f"test worst |z| = {fmt(worst_z, '.2f')} (critical {fmt(z['z_critical'], '.2f')}), mode-count χ² p = {fmt(p_cells, '.3g')} "
                f"(counts {table[0]} vs {table[1]}); decoded samples lie on the decoder's plane (max distance "
                f"{fmt(off_subspace, '.1e')})")
    return PipelineResult(holds, evidence, decoded, time.perf_counter() - start)


def latent_objective_check(n: int = 200_000, seed: int = 1, alpha_bar: float = 0.5,
                           device: torch.device | str | None = None, *,
                           encode: Callable[[PCAAutoencoder, Tensor], Tensor] = PCAAutoencoder.encode) -> PipelineResult:
    """(1) E(x_t) − √ᾱ E(x_0) for pixel-space noise has covariance (1 − ᾱ)I (orthonormal encoder; 2× the encoder gives
    4(1 − ᾱ)I): z-tests on the covariance entries; (2) the latent ε-loss E‖ε − ε_θ(z_t)‖² of the exact ε* is below that
    of perturbed predictors ε* + δu(z_t) (paired z-tests). ``encode`` is the encoder under test (the fitted PCA's)."""
    start = time.perf_counter()
    device = as_device(device)
    data = embedded_data(0.05, seed=0, device=device)
    g = make_generator(seed, device)
    ae = PCAAutoencoder.fit(data.sample(20_000, g))
    x0 = data.sample(n, g)
    eps_pixel = torch.randn(x0.shape, generator=g, dtype=DTYPE, device=device)
    xt = math.sqrt(alpha_bar) * x0 + math.sqrt(1 - alpha_bar) * eps_pixel
    # E(x_t) − √ᾱ E(x_0) = Vᵀ(x_t − √ᾱ x_0) − (1 − √ᾱ)Vᵀm: remove the encoder's centring −E(0) = Vᵀm, leaving √(1 − ᾱ)Vᵀε
    origin = torch.zeros(D_PIXEL, dtype=DTYPE, device=device)
    centred = encode(ae, xt) - math.sqrt(alpha_bar) * encode(ae, x0) + (1 - math.sqrt(alpha_bar)) * -encode(ae, origin)
    products = torch.stack([centred[:, 0] ** 2, centred[:, 1] ** 2, centred[:, 0] * centred[:, 1]], 1)
    want = torch.tensor([1 - alpha_bar, 1 - alpha_bar, 0.0], dtype=DTYPE, device=device)
    z_cov = ((products.mean(0) - want) / (products.std(0) / math.sqrt(n))).tolist()
    doubled = 2 * centred
    z_doubled = float(((doubled[:, 0] ** 2).mean() - (1 - alpha_bar)) / ((doubled[:, 0] ** 2).std() / math.sqrt(n)))
    critical = samplers.z_critical(FALSE_FAIL_RATE / 6)
    codes = ae.code_law(data)
    z0 = encode(ae, x0)
    eps_z = torch.randn(z0.shape, generator=g, dtype=DTYPE, device=device)
    zt = math.sqrt(alpha_bar) * z0 + math.sqrt(1 - alpha_bar) * eps_z
    best = codes.eps(zt, alpha_bar)
    base = ((eps_z - best) ** 2).sum(1)
    rows, better = [], True
    for delta in (0.05, 0.2):
        direction = torch.tanh(zt[:, [1, 0]])                               # a fixed non-linear perturbation u(z_t)
        gap = ((eps_z - best - delta * direction) ** 2).sum(1) - base
        z_gap = float(gap.mean() / (gap.std() / math.sqrt(n)))
        better = better and z_gap > critical
        rows.append(f"δ = {fmt(delta, 'g')}: loss higher by {fmt(float(gap.mean()), '.5f')} (z = {fmt(z_gap, '.1f')})")
    holds = all(abs(v) <= critical for v in z_cov) and abs(z_doubled) > critical and better
    evidence = (f"PCA encoder 20-D → 2-D, ᾱ = {fmt(alpha_bar, 'g')}, n = {n}: E(x_t) − √ᾱE(x_0) (up to the encoder's centring) has "
                f"covariance entries with z = {', '.join(f'{v:+.2f}' for v in z_cov)} against (1 − ᾱ)I (critical "
                f"{fmt(critical, '.2f')}); with the encoder doubled, z = {fmt(z_doubled, '.0f')} (covariance 4(1 − ᾱ)I); the latent ε-loss "
                f"at the exact ε* is {fmt(float(base.mean()), '.5f')}, and perturbing ε* raises it: " + "; ".join(rows))
    return PipelineResult(holds, evidence, None, time.perf_counter() - start)


def off_plane_variance(d: int, k: int, off_std: float) -> float:
    """The variance a k-dimensional decoder misses of the d-dimensional data: (d − k)·off_std²."""
    return (d - k) * off_std**2


def decoder_gap(off_std: float, seed: int = 2, n: int = 100_000, device: torch.device | str | None = None, *,
                predicted_gap: Callable[[int, int, float], float] = off_plane_variance) -> PipelineResult:
    """The decoded model misses the variance off the latent plane: E‖x − m‖² of the data minus that of the decoded codes
    is ``predicted_gap`` = (d − k)·off_std² (the PCA plane is the data plane up to the fit), checked to within 5 %."""
    start = time.perf_counter()
    device = as_device(device)
    data = embedded_data(off_std, seed=0, device=device)
    g = make_generator(seed, device)
    ae = PCAAutoencoder.fit(data.sample(20_000, g))
    x = data.sample(n, g)
    reconstructed = ae.decode(ae.encode(x))
    total = float(((x - x.mean(0)) ** 2).sum(1).mean())
    kept = float(((reconstructed - reconstructed.mean(0)) ** 2).sum(1).mean())
    predicted = predicted_gap(D_PIXEL, K_LATENT, off_std)
    gap = total - kept
    holds = gap > 0 and abs(gap - predicted) <= 0.05 * predicted
    evidence = (f"off-plane std {fmt(off_std, 'g')}, n = {n}: the data's total variance {fmt(total, '.4f')}, the decoded (projected) "
                f"samples' {fmt(kept, '.4f')}: gap {fmt(gap, '.5f')} against (d − k)·off² = {fmt(predicted, '.5f')}; a decoder onto the plane "
                f"cannot score or produce the off-plane part, so the latent model's likelihood is approximate")
    return PipelineResult(holds, evidence, None, time.perf_counter() - start)


# --------------------------------------------------------------------------------------------
# A learned latent diffusion: a linear autoencoder trained by SGD, a small ε-network trained in its latent
# --------------------------------------------------------------------------------------------

LATENT_FALSE_FAIL_RATE = 1e-3  # the decoded-sample MMD test rejects a model that reproduces the data once in 10³ runs
LATENT_PERMUTATIONS = 999      # the permutation test's resolution: α ≥ 1/(B + 1)


class LinearAutoencoder(torch.nn.Module):
    """E(x) = (W_e x + b_e − m)/s (k = 2 codes, standardised per coordinate by the codes' mean m and std s on the
    training data: the "latent scaling" of a latent diffusion), D(z) = W_d (s z + m) + b_d; float32, trained by
    Adam on the reconstruction loss ‖x − D(E(x))‖² (pre-train, then freeze: 004 L3590–3592)."""

    def __init__(self, d: int = D_PIXEL, k: int = K_LATENT, *, seed: int = 0, device=None):
        super().__init__()
        device = as_device(device)
        self.enc, self.dec = torch.nn.Linear(d, k), torch.nn.Linear(k, d)
        g = make_generator(seed, device)
        self.to(device)
        with torch.no_grad():
            for p in self.parameters():
                p.copy_(0.3 * torch.randn(p.shape, generator=g, device=device))
        self.register_buffer("m", torch.zeros(k, device=device))
        self.register_buffer("s", torch.ones(k, device=device))

    def encode(self, x: Tensor) -> Tensor:
        return (self.enc(x.to(torch.float32)) - self.m) / self.s

    def decode(self, z: Tensor) -> Tensor:
        return self.dec(z.to(torch.float32) * self.s + self.m)


def train_autoencoder(data: EmbeddedData, generator: torch.Generator, *, steps: int = 600, batch: int = 256,
                      lr: float = 1e-2) -> LinearAutoencoder:
    """Adam on E‖x − D(E(x))‖² with fresh data each step, then the code standardisation (m, s) from 4096 draws;
    the autoencoder is returned frozen (requires_grad off)."""
    device = data.U.device
    ae = LinearAutoencoder(seed=int(torch.randint(0, 2**31, (1,), generator=generator, device=device)), device=device)
    opt = torch.optim.Adam(ae.parameters(), lr=lr)
    for _ in range(steps):
        x = data.sample(batch, generator).to(torch.float32)
        loss = ((ae.dec(ae.enc(x)) - x) ** 2).sum(1).mean()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
    with torch.no_grad():
        codes = ae.enc(data.sample(4096, generator).to(torch.float32))
        ae.m.copy_(codes.mean(0))
        ae.s.copy_(codes.std(0))
    ae.requires_grad_(False)
    return ae


@dataclass(frozen=True)
class EncodedData:
    """The law of the codes E(x), x ~ data, as something :func:`score_models.train_dsm` can draw from."""

    data: EmbeddedData
    ae: LinearAutoencoder

    @property
    def dim(self) -> int:
        return K_LATENT

    @property
    def device(self) -> torch.device:
        return self.data.U.device

    def sample(self, n: int, generator: torch.Generator) -> Tensor:
        with torch.no_grad():
            return self.ae.encode(self.data.sample(n, generator)).to(DTYPE)


def shifted_data(data: EmbeddedData, weights=(0.2, 0.45, 0.35)) -> EmbeddedData:
    """The named alternative for the power: the same embedding with the first mode's weight 0.4 → 0.2."""
    latent = data.latent
    return EmbeddedData(GaussianMixture(torch.tensor(weights, dtype=DTYPE, device=latent.device), latent.means,
                                        latent.covs), data.U, data.b, data.off_std)


def skip_decoder(ae: LinearAutoencoder, z: Tensor) -> Tensor:
    """Broken variant: the latent sample returned without the decoder (zero-padded to the pixel dimension)."""
    return torch.cat([z.to(torch.float32), torch.zeros((z.shape[0], D_PIXEL - K_LATENT), device=z.device)], 1)


def generate(ae: LinearAutoencoder, eps_model, n: int, generator: torch.Generator, *,
             beta_range: tuple[float, float] | None = None, decode=LinearAutoencoder.decode) -> Tensor:
    """z_T ~ N(0, I) in the latent; ancestral DDPM steps with the latent ε-network (004 L3599–3601, with the toy
    schedule T = 100, β 1e-3..0.2, in place of ~50 DDIM steps); x = D(z_0). ``beta_range`` (the sampler's schedule)
    and ``decode`` are the parts the broken variants replace."""
    from derivspec.reference_models.ddpm import TOY_BETA_1, TOY_BETA_T, ancestral_sample

    z0 = ancestral_sample(eps_model, n, generator, beta_range=beta_range or (TOY_BETA_1, TOY_BETA_T))
    with torch.no_grad():
        return decode(ae, z0)


def decoded_sample_test(samples: Tensor, data: EmbeddedData, generator: torch.Generator,
                        false_fail_rate: float = LATENT_FALSE_FAIL_RATE):
    """MMD² permutation test of decoded samples against as many fresh data draws (fit_tests.mmd_test)."""
    return mmd_test(samples, data.sample(samples.shape[0], generator).to(torch.float32), generator, false_fail_rate,
                    LATENT_PERMUTATIONS)


@specification("latent-diffusion", "Latent diffusion: a learned autoencoder, an ε-network trained on its codes, decoded "
               "samples against the data", family="score",
               statements="encode to z_0, add noise to get z_t, predict the noise (002 L516–521); VAE encoder E: x → z, "
               "diffusion in z-space, decoder D: z → x; pre-train and freeze the autoencoder, train the standard denoising "
               "objective on z; sample z_T ~ N(0, I), denoise to z_0, decode x = D(z_0) (004 L3584–3601)", steps=4,
               report="always")
def run_latent_diffusion(ctx):
    result = ctx.result("latent-diffusion")
    ae_steps, eps_steps, n, replicates = (600, 2000, 300, 10) if ctx.quick else (2000, 6000, 500, 20)
    data = embedded_data(0.05, seed=0, device=ctx.device)

    ctx.step(f"training the linear autoencoder ({ae_steps} Adam steps) and freezing it")
    g = ctx.generator(1)
    ae = train_autoencoder(data, g, steps=ae_steps)
    with torch.no_grad():
        x = data.sample(4096, g)
        reconstruction = float(((ae.decode(ae.encode(x)).to(DTYPE) - x) ** 2).sum(1).mean())
    overlap = float(torch.linalg.svdvals(torch.linalg.qr(ae.dec.weight.to(DTYPE))[0].T @ data.U).min())

    ctx.step(f"training the latent ε-network ({eps_steps} Adam steps on the codes)")
    eps_model, training = train_dsm(EncodedData(data, ae), steps=eps_steps, seed=ctx.seed, device=ctx.device)

    ctx.step("sampling z_T → z_0, decoding, and the two-sample test")
    samples = generate(ae, eps_model, n, ctx.generator(2))
    outcome = decoded_sample_test(samples, data, ctx.generator(3))
    alternative = shifted_data(data)
    alt_power = power(lambda r: decoded_sample_test(alternative.sample(n, ctx.generator(100 + r)).to(torch.float32),
                                                    data, ctx.generator(200 + r)),
                      "data with the first mode's weight 0.4 → 0.2 (others 0.45, 0.35)", replicates)
    result.tables.append(ResultTable("Learned latent diffusion on a 3-mode 2-D mixture embedded in 20-D (off-plane "
                                     "noise std 0.05)", ("quantity", "value"),
                                     [("autoencoder reconstruction E‖x − D(E(x))‖²", f"{fmt(reconstruction, '.4f')}"),
                                      ("(d − k)·0.05², the off-plane variance no 2-D code keeps",
                                       f"{fmt(off_plane_variance(D_PIXEL, K_LATENT, 0.05), '.4f')}"),
                                      ("smallest cosine between the decoder plane and the data plane", f"{fmt(overlap, '.5f')}"),
                                      ("latent ε-network final loss", f"{fmt(training.final_loss, '.4f')}"),
                                      ("MMD² decoded vs data", f"{fmt(outcome.statistic, '.5f')} (threshold "
                                                               f"{fmt(outcome.threshold, '.5f')})")]))
    result.checks.append(Check.tested("decoded samples of the latent diffusion follow the data distribution "
                                      "(004 L3584–3601)", outcome, alt_power))

    ctx.step("plot")
    path = ctx.figure_path("latent_diffusion.png")
    if path is not None:
        plt = pyplot()
        fig, axes = plt.subplots(1, 2, figsize=(10, 4.4))
        held_out = data.sample(n, ctx.generator(4))
        for ax, (name, pts) in zip(axes, (("data", held_out), ("decoded samples", samples))):
            p = ((pts.to(DTYPE) - data.b) @ data.U).cpu().numpy()  # coordinates in the data plane
            ax.scatter(p[:, 0], p[:, 1], s=4, alpha=0.6)
            ax.set_title(f"{name} (projected on the data plane)", fontsize=10)
            ax.set_aspect("equal")
        fig.tight_layout()
        save_figure(fig, path, "Held-out data and decoded latent-diffusion samples, both projected on the plane "
                    "that holds the data's three modes.", result)
    return result
