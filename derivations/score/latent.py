r"""Latent diffusion: encode, diffuse in the latent, decode; what is exact and what the notes' numbers are.

* Noising commutes with a linear encoder exactly when its rows are orthonormal: for z = W x and the
  pixel forward process x_t = √ᾱ_t x_0 + √(1 − ᾱ_t) ε, W x_t = √ᾱ_t W x_0 + √(1 − ᾱ_t) W ε has noise
  covariance (1 − ᾱ_t) W Wᵀ, the latent forward process N(√ᾱ_t z_0, (1 − ᾱ_t) I) iff W Wᵀ = I. Derived
  for one latent from two pixels (W = (w₁, w₂)); ``reference_models/latent_diffusion.py`` runs the
  pipeline with a PCA (orthonormal) encoder from 20-D to 2-D: encode → diffuse in the latent with the
  standard denoising objective → decode, checked against the data by goodness-of-fit tests, and the
  decoder's gap (the variance off the latent subspace) measured.
* The per-pass cost ratio of the notes: a denoising pass over an H×W×C array against one over h×w×c,
  cost taken proportional to the number of entries (the notes' reading), is HWC/(hwc).

Seeds: 002 L516–524; 004 L3521–3616, L3639–3656, L3866–3883.
"""

from __future__ import annotations

import sympy
from sympy import sqrt

from derivspec.core import Claim, Source, Step, Var, WrongVariant, claim, count_between, real_between
from derivspec.core.lectures import S002, S004
from derivspec.derivations.ddpm.forward import ALPHA_BAR_PREV, ALPHA_T, DEFINED, alpha_bar_t

W1 = Var("w1", "w_1", real_between(-1.5, 1.5))
W2 = Var("w2", "w_2", real_between(-1.5, 1.5))
w1, w2 = W1.symbol, W2.symbol
e1, e2 = sympy.symbols("e1 e2", real=True)  # the pixel noises ε₁, ε₂ (independent standard normal)


@claim("score.latent.encoded-noise")
def score_latent_encoded_noise() -> Claim:
    r"""Var[w·x_t | x_0] = (1 − ᾱ_t)(w₁² + w₂²): the latent forward process iff ‖w‖ = 1."""
    return Claim(
        title="Encoding commutes with noising iff the encoder is orthonormal: Var[w·x_t | x₀] = (1 − ᾱ_t)‖w‖² "
              "(two pixels, one latent; 20-D → 2-D PCA in the reference model)",
        statement=r"\mathrm{Var}[w^\top x_t\mid x_0],\ x_t = \sqrt{\bar\alpha_t}x_0 + \sqrt{1-\bar\alpha_t}\epsilon,\ x\in\mathbb R^2",
        variables=(W1, W2, ALPHA_T, ALPHA_BAR_PREV),
        defined=DEFINED,
        derivation=(
            Step(r"definition: w^\top x_t - \sqrt{\bar\alpha_t}w^\top x_0 = \sqrt{1-\bar\alpha_t}(w_1\epsilon_1 + w_2\epsilon_2) "
                 r"with independent standard-normal pixel noises", sqrt(1 - alpha_bar_t) * (w1 * e1 + w2 * e2)),
            Step(r"variance: the sum of the squared coefficients of the independent noises",
                 (1 - alpha_bar_t) * (w1**2 + w2**2), op=lambda f: f.diff(e1) ** 2 + f.diff(e2) ** 2),
        ),
        wrong_variants=(
            WrongVariant("noising assumed to commute with any encoder: 1 - alpha_bar_t", 1 - alpha_bar_t + 0 * w1),
            WrongVariant("coefficients added before squaring: (1 - alpha_bar_t)(w1 + w2)^2", (1 - alpha_bar_t) * (w1 + w2) ** 2),
            WrongVariant("norm, not squared norm", (1 - alpha_bar_t) * sqrt(w1**2 + w2**2)),
        ),
        sources=(
            Source(S002, "516–524", r"we first use a VAE Encoder to compress the pixels into a latent space z_0, then add noise to get z_t. Model (f_\theta): A U-Net or DiT (Diffusion Transformer). It outputs \psi = \hat{\epsilon} (Predicted Noise).",
                   behaviour="latent_pipeline_reproduces_the_data", at={"n": 4000}),
            Source(S004, "3584–3588", r"VAE encoder E : \mathbf{x} \rightarrow \mathbf{z} (compress); Forward: \mathbf{z}_0 \rightarrow \mathbf{z}_1 \rightarrow \dots \rightarrow \mathbf{z}_T; Reverse: \mathbf{z}_T \rightarrow \dots \rightarrow \mathbf{z}_0 (learned); VAE decoder D : \mathbf{z} \rightarrow \mathbf{x} (decompress)",
                   behaviour="latent_pipeline_reproduces_the_data", at={"n": 4000}),
            Source(S004, "3592–3595", r"Pre-train VAE separately (or use existing); Freeze VAE, train diffusion in latent space; Loss: standard denoising objective on \mathbf{z}; Optional: joint fine-tuning",
                   behaviour="latent_denoising_loss_is_the_standard_objective", at={"n": 100000}),
            Source(S004, "3599–3601", r"Sample \mathbf{z}_T \sim \mathcal{N}(\mathbf{0}, \mathbf{I}) in latent space; Denoise: \mathbf{z}_T \rightarrow \mathbf{z}_0 (~ 50 steps); Decode: \mathbf{x} = D(\mathbf{z}_0)",
                   behaviour="latent_pipeline_reproduces_the_data", at={"n": 4000}),
            Source(S004, "3608", r"SCORING \sim : approximate (VAE gap)",
                   behaviour="latent_model_has_a_decoder_gap", at={"off_std": 0.1}),
            Source(S004, "3615", r"Cost: VAE approximation, decoder artifacts",
                   behaviour="latent_model_has_a_decoder_gap", at={"off_std": 0.2}),
            Source(S004, "3548", r"Diffusion: operate in \mathbf{z} -space instead of \mathbf{x} -space",
                   note="the design (the pipeline is checked at L3584–3588)"),
            Source(S004, "3639", r"Latent diffusion operates in a latent space \mathcal{Z} rather than data space \mathcal{X}, with generation z \rightarrow x via p(x|z; \theta). The parameters θ may be learned (via reconstruction objectives) or unlearned/frozen",
                   note="a framework description; the reference model uses a frozen PCA encoder/decoder"),
            Source(S004, "3644–3647", r"Perceptual compression via VAE: encoder x \rightarrow z, decoder z \rightarrow x; Diffusion operates in compressed \mathcal{Z}, not pixel space \mathcal{X}; Decoder p(x|z; \theta) learned via reconstruction loss",
                   note="history (LDM); the pipeline is checked at L3584–3588"),
            Source(S004, "3652–3656", r"Prior network: text \rightarrow CLIP image embedding (latent space); Decoder: CLIP embedding \rightarrow pixels via diffusion; p(x|z; \theta) uses frozen CLIP space (no decoder training)",
                   note="history (DALL-E 2); nothing to compare"),
            Source(S004, "3870–3875", r"Dataset: (image, caption) pairs; Encode text: \mathbf{z}_{text}; Encode image: \mathbf{z}_{\text{image}} (VAE); Add noise schedule: \mathbf{z}_t; Learn denoising: \epsilon_{\theta}(\mathbf{z}_t, t, \mathbf{z}_{\text{text}})",
                   note="the conditional latent training recipe; the unconditional pipeline is checked at L3592–3595"),
            Source(S004, "3881–3883", r"Sample noise: \mathbf{z}_T \sim \mathcal{N}(\mathbf{0}, \mathbf{I}); Denoise conditioned on text; Decode: \mathbf{z} \rightarrow \text{image}",
                   behaviour="latent_pipeline_reproduces_the_data", at={"n": 4000}),
        ),
    )


H, W, C = (Var(n, n, count_between(8, 1024)) for n in ("H", "W", "C"))
h, w, c = (Var(n, n, count_between(1, 128)) for n in ("h", "w", "c"))
pixel_h, pixel_w, pixel_c, latent_h, latent_w, latent_c = (v.symbol for v in (H, W, C, h, w, c))
NOTES_SHAPES = {"H": 512, "W": 512, "C": 3, "h": 64, "w": 64, "c": 4}


@claim("score.latent.cost-ratio")
def score_latent_cost_ratio() -> Claim:
    r"""(H·W·C)/(h·w·c): the dimension ratio of pixel and latent arrays (the per-pass cost ratio, cost ∝ size)."""
    return Claim(
        title="Per-pass cost ratio of latent diffusion, cost ∝ entries: (H·W·C)/(h·w·c) (512×512×3 → 64×64×4: 48)",
        statement=r"\dim(\mathbb R^{H\times W\times C})/\dim(\mathbb R^{h\times w\times c})",
        variables=(H, W, C, h, w, c),
        derivation=(
            Step(r"definition: an H\times W\times C array has HWC entries; the ratio of the pixel and latent sizes",
                 (pixel_h * pixel_w * pixel_c) / (latent_h * latent_w * latent_c)),
        ),
        wrong_variants=(
            WrongVariant("channels ignored: HW/(hw)", (pixel_h * pixel_w) / (latent_h * latent_w)),
            WrongVariant("side lengths only: H/h", pixel_h / latent_h + 0 * pixel_w),
            WrongVariant("channels inverted: HWc/(hwC)", (pixel_h * pixel_w * latent_c) / (latent_h * latent_w * pixel_c)),
        ),
        sources=(
            Source(S004, "3555", r"Dimensional reduction: 800\text{K} \rightarrow 16\text{K} dimensions (\sim 48\times reduction)",
                   value=48, decimals=0, at=NOTES_SHAPES, note="with the shapes of L3547"),
            Source(S004, "3556", r"Each denoising network pass: \sim 48\times cheaper",
                   value=48, decimals=0, at=NOTES_SHAPES, note="with the shapes of L3547, cost proportional to the entries"),
            Source(S004, "3532", r"Operating in pixel space: 512 \times 512 \times 3 \approx 800K dimensions",
                   behaviour="stated_figure_is_about", at={"exact": 512 * 512 * 3, "stated": 800_000, "rel": 0.05}),
            Source(S004, "3547", r"Encoder: \mathbf{x} \rightarrow \mathbf{z} (512 \times 512 \times 3 \rightarrow 64 \times 64 \times 4)",
                   behaviour="stated_figure_is_about", at={"exact": 64 * 64 * 4, "stated": 16_000, "rel": 0.05},
                   note="the latent size, stated at L3555 as 16K"),
            Source(S004, "3577–3579", r"\sim 48\times cheaper per step (dimensional); \sim 20\times fewer steps (semantic); Total: \sim 1000\times speedup",
                   behaviour="stated_figure_is_about", at={"exact": 48 * 20, "stated": 1000, "rel": 0.05},
                   note="48 × 20 = 960"),
            Source(S004, "3609", r"SAMPLING \checkmark\checkmark: \sim 1000\times faster",
                   behaviour="stated_figure_is_about", at={"exact": 48 * 1000 / 50, "stated": 1000, "rel": 0.05},
                   note="48 × (1000 steps / 50 steps) = 960"),
            Source(S004, "3565", r"Typically need only ~ 50 steps instead of ~ 1000 (\sim 20\times reduction)",
                   behaviour="stated_figure_is_about", at={"exact": 1000 / 50, "stated": 20, "rel": 0.0},
                   note="the arithmetic; that a semantic latent needs only ~50 steps is an empirical claim about learned "
                        "image autoencoders, not testable without one"),
            Source(S004, "2949–2959", r"256×256 RGB image \rightarrow d \approx 200,000",
                   behaviour="stated_figure_is_about", at={"exact": 256 * 256 * 3, "stated": 200_000, "rel": 0.05},
                   note="the flows' Jacobian cost: 256·256·3 = 196,608"),
            Source(S004, "2949–2959", r"Single Jacobian: (200,000)^3 \approx 8 \times 10^{15} operations",
                   behaviour="stated_figure_is_about", at={"exact": 200_000**3, "stated": 8e15, "rel": 0.0},
                   note="the cube of the stated d; the O(d^3) cost itself is an operation count (flow.triangular.determinant)"),
            Source(S004, "2949–2959", r"800K dimensions \rightarrow completely intractable",
                   behaviour="stated_figure_is_about", at={"exact": 512 * 512 * 3, "stated": 800_000, "rel": 0.05},
                   note="800K read as a 512 × 512 × 3 image, as at L3532"),
            Source(S004, "929–936", r"Face images X_i \in \mathbb{R}^{256 \times 256 \times 3} (196,608 dimensions)",
                   behaviour="stated_figure_is_about", at={"exact": 256 * 256 * 3, "stated": 196_608, "rel": 0.0},
                   note="the dimension count of the factor-analysis example (latent.fa.marginal)"),
            Source(S004, "929–936", r"Z_i \in \mathbb{R}^{512}; k = 512, giving 400:1 compression",
                   behaviour="stated_figure_is_about", at={"exact": 196_608 / 512, "stated": 400, "rel": 0.05},
                   note="196,608/512 = 384: the ratio 400:1 read as approximate (the line says 'e.g.')"),
            Source(S004, "3557", r"Guaranteed computational speedup",
                   note="over-general: the ratio is the per-pass speed-up only if a pass costs in proportion to the entries "
                        "(convolutions roughly do; attention grows faster, so more), and the encoder/decoder passes are extra"),
            Source(S004, "3532–3535", r"Each denoising step: full network forward pass in high- d space; Computational cost scales with dimensionality; 1000 steps \times 800K dimensions = expensive",
                   note="the cost model (proportional to dimension) that this claim's ratio assumes"),
            Source(S004, "3561–3564", r"Latent space dimensions semantically meaningful; One step in \mathbf{z} -space = larger semantic change; Operating at higher level of abstraction; Each step accomplishes more",
                   note="a qualitative claim about learned latents; not testable without a learned image autoencoder"),
        ),
    )
