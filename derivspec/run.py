"""``derivspec run [MODEL]``: the reference models as executable specifications.

Each *spec* runs one reference model (``derivspec.reference_models``) the way a lecture states
it, checks the statements it makes executable and returns a results table, the checks (each a
statement, whether it holds and the evidence) and, where a picture says more, a PNG plot::

    derivspec run                                  # list the specs
    derivspec run ddpm --device cpu --seed 1       # run one: progress on stderr, table, plot file
    derivspec run mixture-fit --out figures --json

The same specs make the report's plots (``derivspec report``) and back the benchmark scripts
(``benchmarks/plot_forward_reverse_kl.py`` is a thin wrapper). ``quick`` runs a smaller version
(fewer draws, fewer training steps) for tests and quick reports; its checks keep their stated
false-fail rates but detect only larger errors.
"""

from __future__ import annotations

import math
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from derivspec.core.errors import EXIT_FAILED, EXIT_OK, ParameterError


@dataclass
class ResultTable:
    title: str
    columns: tuple[str, ...]
    rows: list[tuple]

    def to_json(self) -> dict:
        return {"title": self.title, "columns": list(self.columns), "rows": [list(map(str, r)) for r in self.rows]}


@dataclass
class Check:
    """A statement the spec makes executable, whether it held, and the evidence."""

    statement: str
    holds: bool
    evidence: str

    def to_json(self) -> dict:
        return {"statement": self.statement, "holds": self.holds, "evidence": self.evidence}


@dataclass
class Figure:
    path: Path
    caption: str

    def to_json(self) -> dict:
        return {"path": str(self.path), "caption": self.caption}


@dataclass
class SpecResult:
    spec: str
    device: str
    seed: int
    quick: bool
    tables: list[ResultTable] = field(default_factory=list)
    checks: list[Check] = field(default_factory=list)
    figures: list[Figure] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def passed(self) -> bool:
        return all(c.holds for c in self.checks)

    def to_json(self) -> dict:
        return {"spec": self.spec, "passed": self.passed, "device": self.device, "seed": self.seed,
                "quick": self.quick, "seconds": round(self.seconds, 2),
                "checks": [c.to_json() for c in self.checks], "tables": [t.to_json() for t in self.tables],
                "figures": [f.to_json() for f in self.figures]}


class RunContext:
    """What a spec gets: device, seed, where plots go (None: no plots), quick mode, progress."""

    def __init__(self, device, seed: int = 0, out: Path | None = None, quick: bool = False,
                 step: Callable[[str], None] | None = None):
        self.device = device
        self.seed = seed
        self.out = Path(out) if out is not None else None
        self.quick = quick
        self._step = step or (lambda description: None)

    def step(self, description: str) -> None:
        """Mark the start of the next of the spec's ``steps`` stages (drives the progress bar)."""
        self._step(description)

    def generator(self, salt: int = 0):
        from derivspec.reference_models.device import make_generator

        return make_generator(self.seed * 1_000_003 + salt, self.device)

    def figure_path(self, name: str) -> Path | None:
        if self.out is None:
            return None
        self.out.mkdir(parents=True, exist_ok=True)
        return self.out / name


@dataclass(frozen=True)
class Spec:
    name: str
    title: str
    family: str  # the claim family whose statements it makes executable (the report puts it there)
    module: str  # reference_models/<module>.py
    statements: str  # the lecture statements it makes executable
    steps: int  # progress stages
    run: Callable[[RunContext], SpecResult]


SPECS: dict[str, Spec] = {}


def spec(name: str, title: str, family: str, module: str, statements: str, steps: int):
    def register(function):
        SPECS[name] = Spec(name, title, family, module, statements, steps, function)
        return function

    return register


def get_spec(name: str) -> Spec:
    if name not in SPECS:
        import difflib

        close = difflib.get_close_matches(name, SPECS, n=3)
        hint = f"; did you mean {', '.join(close)}?" if close else f"; known: {', '.join(SPECS)}"
        raise ParameterError(f"unknown reference model {name!r}{hint}")
    return SPECS[name]


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _save(fig, path: Path, caption: str, result: SpecResult, dpi: int = 110) -> None:
    fig.savefig(path, dpi=dpi)
    _pyplot().close(fig)
    result.figures.append(Figure(path, caption))


def _fmt(v: float, spec_: str = ".4f") -> str:
    return format(0.0 if abs(v) < 5e-10 else v, spec_)


# --- forward vs reverse KL fits (reference_models/mixture_fit.py) -----------------------------

MIXTURE_DELTAS = (0.7, 2.5, 3.0)
FORWARD_REVERSE_PNG = "forward_reverse_kl.png"


@spec("mixture-fit", "Forward vs reverse KL: one Gaussian fitted to two modes", "kl", "mixture_fit",
      "forward KL fit covers both modes (moment matching, s² = 1 + δ²); reverse KL seeks one mode "
      "only when the modes are far apart (claim kl.forward-reverse; 000 L217–220, 003 L2107–2124, 004 L1559–1561)", steps=2 + len(MIXTURE_DELTAS))
def run_mixture_fit(ctx: RunContext) -> SpecResult:
    from derivspec.reference_models.mixture_fit import (fit_centred_reverse_kl, fit_forward_kl, fit_reverse_kl,
                                                        reverse_kl_mode_seeking_onset,
                                                        reverse_kl_mode_seeking_threshold)

    result = SpecResult("mixture-fit", ctx.device.type, ctx.seed, ctx.quick)
    ctx.step("fold point δ_onset of the reverse KL")
    onset = reverse_kl_mode_seeking_onset(device=ctx.device)
    ctx.step("threshold δ* where mode seeking becomes global")
    threshold = reverse_kl_mode_seeking_threshold(device=ctx.device, onset=onset)
    rows, fits = [], {}
    for delta in MIXTURE_DELTAS:
        ctx.step(f"fits at δ = {delta}")
        fits[delta] = {"forward": fit_forward_kl(delta, device=ctx.device),
                       "reverse (start at the mode)": fit_reverse_kl(delta, delta, 1.0, device=ctx.device),
                       "reverse (centred)": fit_centred_reverse_kl(delta, device=ctx.device)}
        for name, fit in fits[delta].items():
            rows.append((f"{delta:g}", name, _fmt(fit.m), f"{fit.s:.4f}", f"{fit.kl:.6f}"))
    result.tables.append(ResultTable("Fits of N(m, s²) to ½N(−δ,1) + ½N(δ,1)", ("δ", "fit", "m", "s", "KL"), rows))
    worst = max(abs(fits[d]["forward"].s ** 2 - (1 + d * d)) for d in MIXTURE_DELTAS)
    result.checks.append(Check("forward KL fit = moment matching: m = 0, s² = 1 + δ²", worst < 1e-6
                               and all(abs(fits[d]["forward"].m) < 1e-6 for d in MIXTURE_DELTAS),
                               f"max |s² − (1 + δ²)| = {worst:.1e}"))
    far = fits[MIXTURE_DELTAS[-1]]
    seeks = abs(far["reverse (start at the mode)"].m) > 1 and far["reverse (start at the mode)"].kl < far["reverse (centred)"].kl
    result.checks.append(Check(f"reverse KL seeks one mode at δ = {MIXTURE_DELTAS[-1]} (> δ* = {threshold:.4f})", seeks,
                               f"mode fit m = {far['reverse (start at the mode)'].m:.3f}, KL "
                               f"{far['reverse (start at the mode)'].kl:.4f} < centred {far['reverse (centred)'].kl:.4f}"))
    near = fits[MIXTURE_DELTAS[0]]
    result.checks.append(Check(f"below the fold (δ = {MIXTURE_DELTAS[0]} < δ_onset = {onset.delta:.4f}) the reverse KL "
                               "has only the centred minimum", abs(near["reverse (start at the mode)"].m) < 1e-3,
                               f"a start at m = δ ends at m = {_fmt(near['reverse (start at the mode)'].m, '.2e')}"))
    path = ctx.figure_path(FORWARD_REVERSE_PNG)
    if path is not None:
        _plot_mixture_fits(path, fits, onset.delta, threshold, result)
    return result


def _plot_mixture_fits(path: Path, fits: dict, onset: float, threshold: float, result: SpecResult) -> None:
    import numpy as np

    plt = _pyplot()

    def pdf(x, m, s):
        return np.exp(-0.5 * ((x - m) / s) ** 2) / (s * np.sqrt(2 * np.pi))

    fig, axes = plt.subplots(1, len(fits), figsize=(15, 4.4))
    for ax, (delta, fit) in zip(axes, fits.items()):
        x = np.linspace(-delta - 4.5, delta + 4.5, 600)
        target = 0.5 * pdf(x, -delta, 1.0) + 0.5 * pdf(x, delta, 1.0)
        ax.fill_between(x, target, color="0.85", label="target p")
        ax.plot(x, target, color="0.35", lw=1.0)
        forward, mode, centred = fit["forward"], fit["reverse (start at the mode)"], fit["reverse (centred)"]
        ax.plot(x, pdf(x, forward.m, forward.s), color="tab:blue", lw=2,
                label=f"forward: m={_fmt(forward.m, '.2f')}, s={forward.s:.2f}, KL={forward.kl:.4f}")
        if abs(mode.m) > 1e-3:
            best = "global" if mode.kl < centred.kl else "local"
            ax.plot(x, pdf(x, mode.m, mode.s), color="tab:red", lw=2,
                    label=f"reverse, {best} min: m={_fmt(mode.m, '.2f')}, s={mode.s:.2f}, KL={mode.kl:.4f}")
            best = "global" if centred.kl < mode.kl else "local"
            ax.plot(x, pdf(x, centred.m, centred.s), color="tab:orange", lw=2, ls="--",
                    label=f"reverse, {best} min: m=0, s={centred.s:.2f}, KL={centred.kl:.4f}")
        else:
            ax.plot(x, pdf(x, centred.m, centred.s), color="tab:orange", lw=2, ls="--",
                    label=f"reverse (only min): m=0, s={centred.s:.2f}, KL={centred.kl:.4f}")
        regime = ("δ < δ_onset: reverse KL has only the centred minimum" if delta < onset else
                  "δ_onset < δ < δ*: mode-seeking minimum is only local" if delta < threshold else
                  "δ > δ*: mode-seeking minimum is global")
        ax.set_title(f"δ = {delta}  (δ* = {threshold:.4f})\n{regime}", fontsize=9)
        ax.set_xlabel("x")
        ax.set_ylim(0, 1.3 * ax.get_ylim()[1])
        ax.legend(fontsize=7, loc="upper left", frameon=False)
    axes[0].set_ylabel("density")
    fig.suptitle("One Gaussian fitted to ½N(−δ,1) + ½N(δ,1): forward KL covers both modes, reverse KL seeks one "
                 f"only for δ > δ* = {threshold:.4f} (fold at δ_onset = {onset:.4f})", fontsize=10)
    fig.tight_layout()
    _save(fig, path, "A single Gaussian fitted to ½N(−δ,1) + ½N(δ,1) by forward KL (moment matching, s² = 1 + δ²) "
          f"and by reverse KL: centred below δ_onset = {onset:.2f}, two local fits between {onset:.2f} and "
          f"{threshold:.2f}, a mode-seeking global fit above.", result)


# --- ELBO and IWAE bounds of a linear-Gaussian VAE (reference_models/vae.py) -----------------

IWAE_KS = (1, 5, 50, 500)


@spec("vae-iwae", "Linear-Gaussian VAE: ELBO ≤ IWAE_K ≤ log p(x), the gap shrinking with K", "elbo", "vae",
      "ELBO ≤ log p(x), tight at the exact posterior; IWAE_K rises towards log p(x) as K grows "
      "(claims elbo.bound, elbo.iwae.bound; 002 L107–108, L211–214; 004 L1271–1273, L1279, L1301)", steps=4)
def run_vae_iwae(ctx: RunContext) -> SpecResult:
    import torch

    from derivspec.reference_models.device import DTYPE
    from derivspec.reference_models.vae import LinearGaussianVAE, exact_log_likelihood, make_linear_gaussian_data

    result = SpecResult("vae-iwae", ctx.device.type, ctx.seed, ctx.quick)
    n_train, n_test, steps = (500, 1000, 300) if ctx.quick else (2000, 4000, 1500)
    W = torch.tensor([[2.0], [1.0]], dtype=DTYPE, device=ctx.device)
    b = torch.tensor([0.5, -1.0], dtype=DTYPE, device=ctx.device)
    s = 0.5
    ctx.step("data from z ~ N(0,1), x | z ~ N(Wz + b, s²I)")
    data = ctx.generator(1)
    x_train = make_linear_gaussian_data(n_train, W, b, s, data, ctx.device)
    x_test = make_linear_gaussian_data(n_test, W, b, s, data, ctx.device)
    ctx.step(f"training the VAE ({steps} Adam steps on the Monte Carlo ELBO)")
    torch.set_num_threads(1)
    vae = LinearGaussianVAE(2, 1, init_seed=ctx.seed + 1, device=ctx.device)
    vae.fit(x_train, steps, 5e-2, ctx.generator(2), n_samples=4)
    ctx.step("IWAE bounds for K = " + ", ".join(map(str, IWAE_KS)))
    Wt, bt, st = vae.decoder_parameters()
    with torch.no_grad():
        log_p = exact_log_likelihood(x_test, Wt, bt, st)
        encoders = {
            "trained encoder": vae,
            "encoder std doubled": vae.with_encoder(log_var=vae.log_var + math.log(4.0)),
            "prior N(0, 1) as proposal": vae.with_encoder(A=torch.zeros_like(vae.A), c=torch.zeros_like(vae.c),
                                                          log_var=torch.zeros_like(vae.log_var)),
        }
        gaps = {}
        for k, (name, model) in enumerate(encoders.items()):
            bounds = model.iwae_bounds(x_test, IWAE_KS, ctx.generator(10 + k))
            elbo = model.elbo_analytic(x_test)
            gaps[name] = {"ELBO": _mean_se(log_p - elbo), **{K: _mean_se(log_p - bounds[K]) for K in IWAE_KS}}
    rows = []
    for name, by_k in gaps.items():
        rows.append((name, *(f"{m:.4f} ± {se:.4f}" for m, se in by_k.values())))
    result.tables.append(ResultTable(f"Mean gap log p_θ(x) − bound on {n_test} held-out points (± SE)",
                                     ("proposal", "ELBO (closed form)", *(f"IWAE K={K}" for K in IWAE_KS)), rows))
    ctx.step("checks")
    for name, by_k in gaps.items():
        values = [by_k[K] for K in IWAE_KS]
        rises = all(b_[0] <= a[0] + 4 * math.hypot(a[1], b_[1]) for a, b_ in zip(values, values[1:]))
        below = all(m > -4 * se for m, se in values)
        result.checks.append(Check(f"{name}: IWAE_K ≤ log p(x) and the gap does not grow with K", rises and below,
                                   "gaps " + ", ".join(f"K={K}: {m:.4f}" for K, (m, _) in zip(IWAE_KS, values))))
    prior = gaps["prior N(0, 1) as proposal"]
    result.checks.append(Check("with a poor proposal the gap shrinks visibly from K = 1 to K = 500",
                               prior[IWAE_KS[-1]][0] < prior[1][0] - 4 * math.hypot(prior[1][1], prior[IWAE_KS[-1]][1]),
                               f"{prior[1][0]:.4f} → {prior[IWAE_KS[-1]][0]:.4f}"))
    path = ctx.figure_path("iwae_gap_vs_k.png")
    if path is not None:
        plt = _pyplot()
        fig, ax = plt.subplots(figsize=(6.4, 4.2))
        for (name, by_k), colour in zip(gaps.items(), ("tab:blue", "tab:orange", "tab:red")):
            means = [by_k[K][0] for K in IWAE_KS]
            errors = [2 * by_k[K][1] for K in IWAE_KS]
            ax.errorbar(IWAE_KS, means, yerr=errors, marker="o", capsize=3, color=colour, label=name)
            ax.axhline(by_k["ELBO"][0], color=colour, lw=0.8, ls=":")
        ax.set_xscale("log")
        ax.set_yscale("symlog", linthresh=1e-3)
        ax.set_xlabel("K (importance samples)")
        ax.set_ylabel("log p(x) − IWAE_K  (mean ± 2 SE)")
        ax.set_title("IWAE gap vs K (dotted: the ELBO's gap)", fontsize=10)
        ax.legend(fontsize=8, frameon=False)
        fig.tight_layout()
        _save(fig, path, "The gap log p(x) − IWAE_K of a trained linear-Gaussian VAE on held-out points, for the "
              "trained encoder, the encoder with its standard deviation doubled and the prior as proposal: never "
              "below zero, shrinking as K grows; dotted lines mark the ELBO's gap (K = 1 in expectation).", result)
    return result


def _mean_se(values) -> tuple[float, float]:
    return float(values.mean()), float(values.std(unbiased=True)) / math.sqrt(values.numel())


# --- DDPM schedules, forward process and sampler (reference_models/ddpm.py) -------------------

DDPM_TS = (1, 10, 100, 1000)


@spec("ddpm", "DDPM: schedules and ᾱ_t, forward simulation vs the one-shot jump, a toy sampler", "ddpm", "ddpm",
      "q(x_t | x_0) = N(√ᾱ_t x_0, (1 − ᾱ_t) I); x_T ≈ N(0, I) for the standard schedules "
      "(004 L3363–3367; claims ddpm.marginal.*, ddpm.schedule.alpha-bar); ancestral sampling of a trained "
      "ε-model recovers the data", steps=4)
def run_ddpm(ctx: RunContext) -> SpecResult:
    import torch

    from derivspec.reference_models.ddpm import (EpsMLP, alpha_bar_T_report, ancestral_sample, cosine_schedule, jump,
                                                 linear_schedule, mmd2_rbf, mode_masses, sample_data,
                                                 simulate_forward, train_ddpm,
                                                 two_sample_moment_test)
    from derivspec.reference_models.device import DTYPE

    torch.set_num_threads(1)
    result = SpecResult("ddpm", ctx.device.type, ctx.seed, ctx.quick)
    ctx.step("ᾱ_T of the schedules")
    report = alpha_bar_T_report()
    result.tables.append(ResultTable("ᾱ_T per schedule (x_T ≈ N(0, I) needs ᾱ_T ≈ 0)", ("schedule", "ᾱ_T", "√ᾱ_T"),
                                     [(name, f"{v:.3e}", f"{math.sqrt(v):.3e}") for name, v in report.items()]))
    noisy = [name for name, v in report.items() if not name.startswith("failing") and v > 1e-3]
    result.checks.append(Check("ᾱ_T ≈ 0 (< 1e-3) for the standard, cosine and toy schedules", not noisy,
                               "; ".join(f"{k}: {v:.1e}" for k, v in report.items())))

    ctx.step("forward simulation vs one-shot jump")
    n = 20_000 if ctx.quick else 200_000
    _, alphas, abars = linear_schedule(device=ctx.device)
    x0 = torch.full((n,), 1.5, dtype=DTYPE, device=ctx.device)
    g_sim, g_jump, g_wrong = ctx.generator(1), ctx.generator(2), ctx.generator(3)
    x, previous, rows, all_pass, wrong_rejected = x0, 0, [], True, True
    for t in DDPM_TS:
        x = simulate_forward(x, alphas[previous:], t - previous, g_sim)
        previous = t
        passed, z = two_sample_moment_test(x, jump(x0, abars[t - 1], g_jump))
        eps = torch.randn(x0.shape, generator=g_wrong, dtype=DTYPE, device=ctx.device)
        wrong = two_sample_moment_test(x, alphas[t - 1].sqrt() * x0 + (1 - abars[t - 1]).sqrt() * eps)[0]
        all_pass &= passed
        if t >= 100:  # by t = 100 the wrong mean √α_t x_0 is far from √ᾱ_t x_0 (at t = 1 they are equal)
            wrong_rejected &= not wrong
        rows.append((t, f"{float(abars[t - 1]):.3e}", f"{float(x.mean()):.4f}", f"{float(x.var()):.4f}",
                     f"{z['mean'][0]:+.2f}", f"{z['var'][0]:+.2f}", "yes" if passed else "NO",
                     "accepted" if wrong else "rejected"))
    result.tables.append(ResultTable(f"x_0 = 1.5: t one-step transitions vs the jump q(x_t | x_0), n = {n:,} each",
                                     ("t", "ᾱ_t", "mean (sim)", "var (sim)", "z mean", "z var", "agree",
                                      "wrong jump √α_t x_0"), rows))
    result.checks.append(Check("the t-fold forward process has the jump's mean √ᾱ_t x_0 and variance 1 − ᾱ_t",
                               all_pass, f"two-sample moment tests at t = {', '.join(map(str, DDPM_TS))} "
                               f"(false-fail rate 1e-6, critical z {z['z_critical']:.2f})"))
    result.checks.append(Check("the wrong jump with √α_t in place of √ᾱ_t is rejected (t ≥ 100)", wrong_rejected, ""))

    ctx.step("toy DDPM: training and ancestral sampling")
    steps = 600 if ctx.quick else 3000
    data = sample_data(2000, ctx.generator(200), dtype=torch.float32, device=ctx.device)
    model = EpsMLP(init_seed=ctx.seed, device=ctx.device)
    untrained = ancestral_sample(model, 2000, ctx.generator(300))
    training = train_ddpm(model, ctx.generator(10), steps=steps)
    samples = ancestral_sample(model, 2000, ctx.generator(300))
    reference = sample_data(2000, ctx.generator(400), dtype=torch.float32, device=ctx.device)
    rows, mmd = [], {}
    for name, sample in (("untrained", untrained), ("trained", samples), ("data (second sample)", reference)):
        mmd[name] = mmd2_rbf(sample, data)
        masses = mode_masses(sample)
        rows.append((name, f"{mmd[name]:.4f}", ", ".join(f"{float(m):.3f}" for m in masses), f"{float(masses.sum()):.3f}"))
    result.tables.append(ResultTable(f"Toy DDPM on a 4-Gaussian mixture ({steps} Adam steps, "
                                     f"{training.seconds:.1f} s): 2000 ancestral samples vs 2000 data points",
                                     ("samples", "MMD²", "mass per mode (++, −+, −−, +−)", "on a mode"), rows))
    result.checks.append(Check("ancestral sampling of the trained ε-model is closer to the data than untrained",
                               mmd["trained"] < 0.25 * mmd["untrained"],
                               f"MMD² {mmd['trained']:.4f} trained vs {mmd['untrained']:.4f} untrained "
                               f"(data vs data {mmd['data (second sample)']:.4f})"))
    path = ctx.figure_path("ddpm_schedules.png")
    if path is not None:
        plt = _pyplot()
        fig, (a1, a2) = plt.subplots(1, 2, figsize=(11, 3.8))
        for name, (betas, _, bars) in {"linear 1e-4..0.02 (T=1000)": linear_schedule(),
                                       "cosine s=0.008 (T=1000)": cosine_schedule(),
                                       "linear 1e-5..1e-3 (fails)": linear_schedule(1000, 1e-5, 1e-3)}.items():
            t = range(1, len(bars) + 1)
            a1.plot(t, betas.cpu().numpy(), label=name)
            a2.plot(t, bars.cpu().numpy(), label=name)
        a1.set_yscale("log")
        a1.set_title("β_t", fontsize=10)
        a2.set_title("ᾱ_t = ∏ α_s (x_T ≈ N(0, I) needs ᾱ_T ≈ 0)", fontsize=10)
        for ax in (a1, a2):
            ax.set_xlabel("t")
            ax.legend(fontsize=8, frameon=False)
        fig.tight_layout()
        _save(fig, path, "Noise schedules: β_t (log scale) and ᾱ_t for the standard linear and cosine schedules, "
              "which end at ᾱ_T ≈ 0, and a schedule with too little total noise, which does not.", result)
        sampler = ctx.figure_path("ddpm_sampler.png")
        fig, axes = plt.subplots(1, 3, figsize=(11, 3.8))
        for ax, (name, points) in zip(axes, (("data", data), ("untrained ε-model", untrained),
                                             (f"trained ({steps} steps)", samples))):
            p = points.detach().cpu().numpy()
            ax.scatter(p[:, 0], p[:, 1], s=2, alpha=0.5)
            ax.set_title(name + (f": MMD² {mmd[name.split()[0]]:.3f}" if name != "data" else ""), fontsize=10)
            if not name.startswith("untrained"):  # the untrained sampler scatters far: its own scale
                ax.set_xlim(-5, 5)
                ax.set_ylim(-5, 5)
                ax.set_aspect("equal")
        fig.tight_layout()
        _save(fig, sampler, "Sampler check: 2000 ancestral samples of the toy DDPM (T = 100) before and after "
              "training on the 4-Gaussian mixture, next to the data.", result)
    return result


# --- the autoregressive sampler (reference_models/autoregressive.py) -------------------------


@spec("ar-sampler", "Autoregressive model: chain rule and exact ancestral sampling", "ar", "autoregressive",
      "p(x) = ∏ p(x_i | x_<i) can represent any joint; ancestral sampling is exact and takes d passes "
      "(001 L247–253, 004 L773–780, L2390–2391, L2407)", steps=3)
def run_ar_sampler(ctx: RunContext) -> SpecResult:
    import torch

    from derivspec.reference_models.autoregressive import (TabularAR, ancestral_sample, chi_square_test, joint,
                                                           random_joint)

    result = SpecResult("ar-sampler", ctx.device.type, ctx.seed, ctx.quick)
    d = 4
    ctx.step(f"a random joint over {{0,1}}^{d} and its conditionals")
    probs = random_joint(d, ctx.generator(1), ctx.device)
    model = TabularAR.from_joint(probs)
    rebuilt = joint(model)
    error = float((rebuilt - probs).abs().max())
    result.checks.append(Check("the chain rule rebuilds the joint exactly from its conditionals", error < 1e-12,
                               f"max |∏ p(x_i | x_<i) − p(x)| = {error:.1e} over {2 ** d} vectors"))
    ctx.step("ancestral sampling")
    n = 20_000 if ctx.quick else 200_000
    samples, passes = ancestral_sample(model, n, ctx.generator(2))
    ctx.step("χ² goodness of fit")
    test = chi_square_test(samples, probs)
    result.checks.append(Check("ancestral samples follow the joint (χ² test, false-fail rate 1e-6)", test["passed"],
                               f"χ² = {test['statistic']:.1f} on {test['dof']} dof, p = {test['p_value']:.3g}, "
                               f"n = {n:,}, {passes} sequential passes"))
    counts = torch.bincount((samples.long() << torch.arange(d, device=samples.device)).sum(1), minlength=2 ** d)
    freq = (counts.double() / n).cpu()
    rows = [("".join(str((k >> i) & 1) for i in range(d)), f"{float(probs[k]):.4f}", f"{float(freq[k]):.4f}")
            for k in range(2 ** d)]
    result.tables.append(ResultTable(f"Exact joint vs {n:,} ancestral samples", ("x (x_1…x_d)", "p(x)", "frequency"),
                                     rows))
    path = ctx.figure_path("ar_sampler.png")
    if path is not None:
        import numpy as np

        plt = _pyplot()
        fig, ax = plt.subplots(figsize=(8, 3.4))
        k = np.arange(2 ** d)
        se = np.sqrt(probs.cpu().numpy() * (1 - probs.cpu().numpy()) / n)
        ax.bar(k - 0.2, probs.cpu().numpy(), width=0.4, label="p(x) (enumerated)")
        ax.bar(k + 0.2, freq.numpy(), width=0.4, yerr=2 * se, capsize=2, label="sample frequency ± 2 SE")
        ax.set_xticks(k, [r[0] for r in rows], rotation=90, fontsize=7)
        ax.set_title(f"Sampler check: χ² = {test['statistic']:.1f} ({test['dof']} dof), p = {test['p_value']:.3g}",
                     fontsize=10)
        ax.legend(fontsize=8, frameon=False)
        fig.tight_layout()
        _save(fig, path, f"Sampler check: the exact probabilities of all {2 ** d} binary vectors next to the "
              f"frequencies of {n:,} ancestral samples from the autoregressive model built from them.", result)
    return result


# --- L1 vs L2 sparsity (reference_models/regularised.py) -------------------------------------

SPARSITY_LAMS = (0.0, 1.0, 5.0, 20.0, 50.0, 200.0)


@spec("lasso-sparsity", "Laplace prior ↔ L1: exact zeros; Gaussian prior ↔ L2: none", "map", "regularised",
      "L1 regularisation (a Laplace prior) sets coefficients exactly to zero, L2 (a Gaussian prior) only "
      "shrinks them (003 L129–130, L1667–1674; 000 L240)", steps=1)
def run_lasso_sparsity(ctx: RunContext) -> SpecResult:
    from derivspec.reference_models.regularised import sparsity_fractions

    result = SpecResult("lasso-sparsity", ctx.device.type, ctx.seed, ctx.quick)
    designs = 20 if ctx.quick else 100
    ctx.step(f"lasso and ridge on {designs} random designs")
    out = sparsity_fractions(SPARSITY_LAMS, n=50, d=10, n_designs=designs, generator=ctx.generator(1),
                             device=ctx.device)
    rows = [(f"{lam:g}", f"{lasso:.3f}", f"{ridge:.3f}") for lam, lasso, ridge in zip(out["lams"], out["lasso"], out["ridge"])]
    result.tables.append(ResultTable(f"Mean fraction of exactly-zero coefficients ({designs} designs, n=50, d=10, "
                                     f"{out['n_zero']} true zeros)", ("λ", "lasso", "ridge"), rows))
    lasso = out["lasso"]
    result.checks.append(Check("the lasso's zero fraction grows with λ, ridge has none",
                               all(a <= b for a, b in zip(lasso, lasso[1:])) and max(out["ridge"]) == 0 and lasso[-1] > 0.4,
                               f"lasso {lasso[0]:.2f} → {lasso[-1]:.2f}; ridge max {max(out['ridge']):.2f}"))
    path = ctx.figure_path("lasso_sparsity.png")
    if path is not None:
        plt = _pyplot()
        fig, ax = plt.subplots(figsize=(6, 3.6))
        ax.plot(out["lams"], lasso, marker="o", label="lasso (L1, Laplace prior)")
        ax.plot(out["lams"], out["ridge"], marker="s", label="ridge (L2, Gaussian prior)")
        ax.set_xscale("symlog", linthresh=1.0)
        ax.set_xlabel("λ")
        ax.set_ylabel("fraction of coefficients exactly 0")
        ax.legend(fontsize=8, frameon=False)
        fig.tight_layout()
        _save(fig, path, "Fraction of exactly-zero coefficients against λ: the lasso zeroes coefficients, ridge "
              "never does.", result)
    return result


# --- reparameterisation vs score-function gradients (reference_models/gradient_estimators.py) --


@spec("gradient-estimators", "Reparameterisation vs score-function gradients: both unbiased, variances differ",
      "elbo", "gradient_estimators",
      "the reparameterisation trick z = μ + σε (002 L169, L342; 004 L1099) and the score-function "
      "(REINFORCE) estimator are both unbiased; the pathwise one has the lower variance here", steps=1)
def run_gradient_estimators(ctx: RunContext) -> SpecResult:
    from derivspec.reference_models.gradient_estimators import COMPONENTS, default_functions, estimator_moments

    result = SpecResult("gradient-estimators", ctx.device.type, ctx.seed, ctx.quick)
    n = 20_000 if ctx.quick else 200_000
    ctx.step(f"estimator means and variances ({n:,} draws each)")
    rows, unbiased, lower = [], True, 0
    for k, fn in enumerate(default_functions()):
        mu, sigma = 0.5, 1.0
        moments = estimator_moments(fn, mu, sigma, n, ctx.generator(k))
        exact = fn.grad(mu, sigma)
        for j, component in enumerate(COMPONENTS):
            row = [fn.name, f"∂{component}", f"{exact[j]:.4f}"]
            for kind, (mean, var) in moments.items():
                se = math.sqrt(float(var[j]) / n)
                unbiased &= abs(float(mean[j]) - exact[j]) <= 5.5 * se + 1e-12
                row.append(f"{float(mean[j]):.4f} (s² {float(var[j]):.3g})")
            lower += float(moments["reparam"][1][j]) < float(moments["score"][1][j])
            rows.append(tuple(row))
    result.tables.append(ResultTable(f"∇ E_N(μ,σ²)[f] at μ = 0.5, σ = 1: mean (per-draw variance), {n:,} draws",
                                     ("f", "∂", "exact", "reparam", "score", "score + baseline"), rows))
    result.checks.append(Check("every estimator is unbiased (|mean − exact| ≤ 5.5 SE)", unbiased, ""))
    result.checks.append(Check("reparameterisation has the lower variance in every row", lower == len(rows),
                               f"{lower}/{len(rows)} rows"))
    return result


# --- the command ------------------------------------------------------------------------------


def run_spec(name: str, device="auto", seed: int = 0, out: Path | None = None, quick: bool = False,
             progress: bool = True) -> SpecResult:
    """Run one spec with a progress bar on stderr (when stderr is a terminal; lines otherwise)."""
    from derivspec.reference_models.device import resolve_device

    chosen = get_spec(name)
    device = resolve_device(device) if isinstance(device, str) else device
    start = time.perf_counter()
    with _Progress(chosen, enabled=progress) as bar:
        result = chosen.run(RunContext(device, seed, out, quick, step=bar.step))
    result.seconds = time.perf_counter() - start
    return result


class _Progress:
    def __init__(self, chosen: Spec, enabled: bool):
        from rich.console import Console

        self.spec, self.enabled = chosen, enabled
        self.console = Console(file=sys.stderr, highlight=False)
        self.done = 0
        self.progress = None

    def __enter__(self):
        if self.enabled and self.console.is_terminal:
            from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

            self.progress = Progress(TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed}/{task.total}"),
                                     TimeElapsedColumn(), console=self.console, transient=True)
            self.progress.start()
            self.task = self.progress.add_task(self.spec.name, total=self.spec.steps)
        return self

    def step(self, description: str) -> None:
        if self.progress is not None:
            if self.done:
                self.progress.advance(self.task)
            self.progress.update(self.task, description=f"{self.spec.name}: {description}")
        elif self.enabled:
            print(f"{self.spec.name} [{self.done + 1}/{self.spec.steps}] {description}", file=sys.stderr, flush=True)
        self.done += 1

    def __exit__(self, *exc):
        if self.progress is not None:
            self.progress.stop()
        return False


def run_command(args) -> int:
    """``derivspec run [MODEL] [--device] [--seed] [--out] [--quick] [--json]``."""
    from derivspec.output import print_json, say, table

    if not args.model:
        if args.json:
            print_json({"models": [{"name": s.name, "title": s.title, "family": s.family,
                                    "module": f"reference_models/{s.module}.py", "statements": s.statements}
                                   for s in SPECS.values()]})
        else:
            table("derivspec reference models (run one: derivspec run MODEL)", ("model", "what it runs", "module"),
                  [(s.name, s.title, f"reference_models/{s.module}.py") for s in SPECS.values()])
        return EXIT_OK
    names = list(SPECS) if args.model == "all" else [args.model]
    for name in names:
        get_spec(name)  # an unknown name is bad input before anything runs
    results = [run_spec(name, args.device, args.seed, Path(args.out), args.quick) for name in names]
    if args.json:
        from derivspec.commands import run_metadata

        print_json({"meta": run_metadata(args.seed, results[0].device), "runs": [r.to_json() for r in results]})
    else:
        for r in results:
            print_result(r, table, say)
    return EXIT_OK if all(r.passed for r in results) else EXIT_FAILED


def print_result(result: SpecResult, table, say) -> None:
    chosen = SPECS[result.spec]
    say(f"{chosen.name} — {chosen.title}  (reference_models/{chosen.module}.py, device {result.device}, "
        f"seed {result.seed}{', quick' if result.quick else ''})")
    say(f"makes executable: {chosen.statements}")
    for t in result.tables:
        table(t.title, t.columns, t.rows)
    for c in result.checks:
        say(f"  [{'holds' if c.holds else 'FAILS'}] {c.statement}" + (f" — {c.evidence}" if c.evidence else ""))
    for f in result.figures:
        say(f"  plot: {f.path}")
    say(f"{sum(c.holds for c in result.checks)}/{len(result.checks)} checks hold; {result.seconds:.1f}s")
