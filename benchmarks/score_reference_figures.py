"""Figures of the score-family reference models (issue 11).

    .venv/bin/python benchmarks/score_reference_figures.py [--device auto] [--seed 0] [--n 4000] [--dsm-steps 1500]

Prints, each with the settings it ran under:

* the DSM-trained ε-network (``reference_models/score_models.py``) against the exact ε* of its 2-D mixture at
  t = 1, 10, 25, 50, 75, 100: E‖ε_θ − ε*‖², relative to E‖ε*‖², and the Bayes floor E‖ε − ε*‖² of the simple loss;
* the samplers on the two-mode 1-D data with exact scores (``reference_models/samplers.py``): the KS distance
  and p-value of DDPM ancestral sampling (T = 1000) and of DDIM for η ∈ {0, 0.5, 1} × {10, 20, 50, 100, 250} steps,
  the reverse SDE and the probability-flow ODE by step count, the η = 0 round trip, and the time of each;
* ULA's stationary variance on N(0, 1) against σ²/(1 − η/(4σ²)), annealed vs plain Langevin from one mode;
* the probability-flow ODE's log-likelihood of Gaussian data against the exact one;
* classifier-free guidance on N(1, 0.5²) | N(0, 1.2²): the sampler's mean/variance against the tilted Gaussian's;
* the toy latent diffusion (20-D → 2-D PCA): the pipeline's goodness of fit and the decoder gap.

A KS test at false-fail rate 1e-6 with n samples just rejects D ≈ √(−ln(5e-7)/(2n)) (0.043 at n = 4000).
"""

import argparse
import math
import time

import torch
from rich.console import Console
from rich.table import Table

from derivspec.reference_models import latent_diffusion as ld
from derivspec.reference_models import samplers
from derivspec.reference_models import score_models as sm
from derivspec.reference_models.ddpm import linear_schedule
from derivspec.reference_models.device import DTYPE, make_generator, resolve_device


def ks_row(x: torch.Tensor, data) -> tuple[str, str, str]:
    ok, d, p = samplers.ks_test(x[:, 0].cpu(), sm.bimodal_1d("cpu").cdf)
    return f"{d:.4f}", f"{p:.3g}", "pass" if ok else "FAIL"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="auto")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--n", type=int, default=4000)
    parser.add_argument("--dsm-steps", type=int, default=1500)
    args = parser.parse_args()
    device = resolve_device(args.device)
    if device.type == "cpu":
        from derivspec.reference_models.device import apply_numeric_policy

        apply_numeric_policy()  # small tensors: OpenMP threads on a shared CPU only add overhead
    console = Console()
    g = make_generator(args.seed, device)
    console.print(f"device {device}, seed {args.seed}, n = {args.n} (KS resolution {samplers.ks_resolution(args.n):.3f})")

    # --- DSM network ---------------------------------------------------------------------
    start = time.perf_counter()
    model, result = sm.train_dsm(sm.trimodal_2d(device), steps=args.dsm_steps, seed=args.seed, device=device)
    table = Table(title=f"DSM ε-network vs exact ε* ({args.dsm_steps} Adam steps, {result.seconds:.1f} s, final loss "
                        f"{result.final_loss:.3f})")
    for column in ("t", "ᾱ_t", "E‖ε_θ − ε*‖²", "relative", "floor E‖ε − ε*‖²", "network loss"):
        table.add_column(column)
    for r in sm.error_by_t(model, sm.trimodal_2d(device), seed=args.seed + 1):
        table.add_row(str(r["t"]), f"{r['alpha_bar']:.3g}", f"{r['mse_to_exact']:.4f}", f"{r['relative_error']:.4f}",
                      f"{r['optimal_loss']:.4f}", f"{r['network_loss']:.4f}")
    console.print(table)

    # --- samplers ------------------------------------------------------------------------
    data = sm.bimodal_1d(device)
    alpha_bars = linear_schedule(1000, 1e-4, 0.02, device=device)[2]
    abl = alpha_bars.tolist()

    def eps(x, t):
        return data.eps(x, abl[t - 1])
    x_T = torch.randn(args.n, 1, generator=g, dtype=DTYPE, device=device)
    table = Table(title="Samplers on 0.3N(−2, 0.4²) + 0.7N(1.5, 0.6²), exact scores (T = 1000 linear schedule)")
    for column in ("sampler", "steps", "KS D", "p", "1e-6 test", "seconds"):
        table.add_column(column)
    start = time.perf_counter()
    x = samplers.ddpm_ancestral(eps, alpha_bars, x_T, g)
    table.add_row("DDPM ancestral (σ² = β)", "1000", *ks_row(x, data), f"{time.perf_counter() - start:.2f}")
    for eta in (0.0, 0.5, 1.0):
        for steps in (10, 20, 50, 100, 250):
            start = time.perf_counter()
            x = samplers.ddim_sample(eps, alpha_bars, samplers.ddim_timesteps(1000, steps), x_T, eta, g)
            table.add_row(f"DDIM η = {eta:g}", str(steps), *ks_row(x, data), f"{time.perf_counter() - start:.2f}")
    beta = 10.0

    def score(x, t):
        return data.noised(math.exp(-beta * t)).score(x)
    x1 = data.noised(math.exp(-beta)).sample(args.n, g)
    for steps in (50, 200, 1000):
        start = time.perf_counter()
        x = samplers.reverse_sde(lambda v, t: -beta * v / 2 - beta * score(v, t), lambda t: beta, 1.0, x1, steps, g)
        table.add_row("reverse SDE (Euler–Maruyama, VP β = 10)", str(steps), *ks_row(x, data), f"{time.perf_counter() - start:.2f}")
    for steps in (10, 25, 100):
        start = time.perf_counter()
        x = samplers.probability_flow(lambda v, t: -beta * v / 2 - beta / 2 * score(v, t), x1, 1.0, 0.0, steps)
        table.add_row("probability-flow ODE (RK4)", str(steps), *ks_row(x, data), f"{time.perf_counter() - start:.2f}")
    console.print(table)
    ts = samplers.ddim_timesteps(1000, 100)
    x0 = data.sample(2000, g)
    back = samplers.ddim_sample(eps, alpha_bars, ts, samplers.ddim_invert(eps, alpha_bars, ts, x0), 0.0)
    error = (back - x0).abs()[:, 0]
    console.print(f"DDIM η = 0 inversion, 100 steps, 2000 points: round-trip error median {float(error.median()):.4f}, "
                  f"99th percentile {float(error.quantile(0.99)):.3f}, max {float(error.max()):.3f}")

    # --- Langevin ------------------------------------------------------------------------
    table = Table(title="ULA on N(0, 1), 40000 chains from N(0, 1)")
    for column in ("η", "steps", "variance", "claim σ²/(1 − η/(4σ²))", "z vs claim"):
        table.add_column(column)
    for step in (0.5, 0.2, 0.05, 0.01):
        n_steps = int(12 / step)
        x = samplers.ula(lambda v: -v, torch.randn(40_000, 1, generator=g, dtype=DTYPE, device=device), step, n_steps, g)
        claim = 1 / (1 - step / 4)
        z = (float(x.var()) - claim) / (claim * math.sqrt(2 / 40_000))
        table.add_row(f"{step:g}", str(n_steps), f"{float(x.var()):.4f}", f"{claim:.4f}", f"{z:+.2f}")
    console.print(table)
    two = sm.mixture([0.2, 0.8], [-4.0, 4.0], [0.5, 0.5], device)
    start_at = torch.full((2000, 1), 4.0, dtype=DTYPE, device=device)
    sigmas = torch.logspace(math.log10(8.0), math.log10(0.1), 10, dtype=DTYPE).tolist()
    annealed = samplers.annealed_langevin(lambda v, s: two.smoothed(s).score(v), sigmas, 100, 0.002, start_at, g)
    plain = samplers.ula(two.score, start_at, 0.01, 1000, g)
    console.print(f"from x = 4 on 0.2N(−4, 0.5²) + 0.8N(4, 0.5²), 1000 steps: annealed Langevin puts "
                  f"{100 * float((annealed < 0).to(DTYPE).mean()):.1f} % of 2000 chains at the left mode, plain ULA "
                  f"{100 * float((plain < 0).to(DTYPE).mean()):.1f} % (target 20 %)")

    # --- probability-flow likelihood -----------------------------------------------------
    m0, s0 = 0.5, 0.8

    def moments(t):
        return m0 * math.exp(-beta * t / 2), s0**2 * math.exp(-beta * t) + 1 - math.exp(-beta * t)
    xs = torch.linspace(-2.5, 2.5, 6, dtype=DTYPE, device=device)
    m1, v1 = moments(1.0)
    prior = torch.distributions.Normal(torch.tensor(m1, dtype=DTYPE, device=device), torch.tensor(math.sqrt(v1), dtype=DTYPE, device=device))
    for steps in (25, 100, 400):
        logp = samplers.probability_flow_log_likelihood(
            lambda v, t: -beta * v / 2 + beta / 2 * (v - moments(t)[0]) / moments(t)[1],
            lambda v, t: torch.full_like(v, -beta / 2 + beta / 2 / moments(t)[1]), xs, 1.0, steps, prior.log_prob)
        exact = torch.distributions.Normal(torch.tensor(m0, dtype=DTYPE, device=device), torch.tensor(s0, dtype=DTYPE, device=device)).log_prob(xs)
        console.print(f"probability-flow log-likelihood of N({m0}, {s0}²) data, {steps} RK4 steps: max error "
                      f"{float((logp - exact).abs().max()):.2e}")

    # --- guidance --------------------------------------------------------------------------
    cond, uncond = sm.mixture([1.0], [1.0], [0.5], device), sm.mixture([1.0], [0.0], [1.2], device)
    table = Table(title="Classifier-free guidance (DDIM η = 0, 100 steps), p(x|c) = N(1, 0.5²), p(x) = N(0, 1.2²)")
    for column in ("γ = 1 + w", "sample mean", "tilt mean", "sample variance", "tilt variance"):
        table.add_column(column)
    for gamma in (1.0, 2.0, 4.0, 8.0):
        out = samplers.ddim_sample(lambda v, t: gamma * cond.eps(v, abl[t - 1]) + (1 - gamma) * uncond.eps(v, abl[t - 1]),
                                   alpha_bars, samplers.ddim_timesteps(1000, 100),
                                   torch.randn(args.n, 1, generator=g, dtype=DTYPE, device=device), 0.0)[:, 0]
        precision = gamma / 0.25 + (1 - gamma) / 1.44
        table.add_row(f"{gamma:g}", f"{float(out.mean()):.4f}", f"{gamma / 0.25 / precision:.4f}", f"{float(out.var()):.4f}",
                      f"{1 / precision:.4f}")
    console.print(table)

    # --- latent diffusion ------------------------------------------------------------------
    result = ld.run_pipeline(args.n, seed=args.seed, device=device)
    console.print(f"latent diffusion ({result.seconds:.2f} s): {'holds' if result.holds else 'FAILS'} — {result.evidence}")
    for off in (0.05, 0.1, 0.2):
        gap = ld.decoder_gap(off, device=device)
        console.print(f"decoder gap: {gap.evidence}")


if __name__ == "__main__":
    main()
