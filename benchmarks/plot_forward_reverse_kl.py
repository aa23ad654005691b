r"""Plot forward- vs reverse-KL fits of one Gaussian to p = 1/2 N(-delta, 1) + 1/2 N(delta, 1).

Three cases (see reference_models/mixture_fit.py for the math):

* delta = 0.7, below the fold delta_onset: the reverse KL has only the centred minimum;
* delta = 2.5, between delta_onset and delta*: a mode-seeking local minimum exists, but the
  centred one is lower;
* delta = 3.0, above delta*: the mode-seeking minimum is the global one.

The forward-KL fit (moment matching, s^2 = 1 + delta^2) is drawn in every panel; the reverse
fits come from starts at m = delta (mode) and m = 0 (centre). Writes
docs/img/forward_reverse_kl.png and prints the fitted (m, s, KL) numbers, delta_onset and delta*.

Usage: .venv/bin/python benchmarks/plot_forward_reverse_kl.py [--device auto|cpu|cuda]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from derivspec.reference_models.device import resolve_device  # noqa: E402
from derivspec.reference_models.mixture_fit import (  # noqa: E402
    fit_centred_reverse_kl,
    fit_forward_kl,
    fit_reverse_kl,
    reverse_kl_mode_seeking_onset,
    reverse_kl_mode_seeking_threshold,
)

DELTAS = (0.7, 2.5, 3.0)
OUTPUT = Path(__file__).resolve().parents[1] / "docs" / "img" / "forward_reverse_kl.png"
DPI = 110


def normal_pdf(x: np.ndarray, m: float, s: float) -> np.ndarray:
    return np.exp(-0.5 * ((x - m) / s) ** 2) / (s * np.sqrt(2 * np.pi))


def fmt(v: float) -> str:
    """Two decimals, without a '-0.00' for values that are zero up to rounding."""
    return f"{0.0 if abs(v) < 5e-3 else v:.2f}"


def mixture_pdf(x: np.ndarray, delta: float) -> np.ndarray:
    return 0.5 * normal_pdf(x, -delta, 1.0) + 0.5 * normal_pdf(x, delta, 1.0)


def fits_for(delta: float, device) -> dict:
    """Forward fit, reverse fit started on the right mode, centred reverse fit."""
    return {
        "forward KL(p||q)": fit_forward_kl(delta, device=device),
        "reverse KL(q||p), start m=delta": fit_reverse_kl(delta, delta, 1.0, device=device),
        "reverse KL(q||p), centred": fit_centred_reverse_kl(delta, device=device),
    }


def plot_panel(ax, delta: float, fits: dict, onset: float, threshold: float) -> None:
    x = np.linspace(-delta - 4.5, delta + 4.5, 600)
    ax.fill_between(x, mixture_pdf(x, delta), color="0.85", label="target p")
    ax.plot(x, mixture_pdf(x, delta), color="0.35", lw=1.0)
    forward = fits["forward KL(p||q)"]
    mode = fits["reverse KL(q||p), start m=delta"]
    centred = fits["reverse KL(q||p), centred"]
    ax.plot(x, normal_pdf(x, forward.m, forward.s), color="tab:blue", lw=2,
            label=f"forward: m={fmt(forward.m)}, s={forward.s:.2f}, KL={forward.kl:.4f}")
    if abs(mode.m) > 1e-3:  # an off-centre (mode-seeking) local minimum exists
        best = "global" if mode.kl < centred.kl else "local"
        ax.plot(x, normal_pdf(x, mode.m, mode.s), color="tab:red", lw=2,
                label=f"reverse, {best} min: m={fmt(mode.m)}, s={mode.s:.2f}, KL={mode.kl:.4f}")
        best = "global" if centred.kl < mode.kl else "local"
        ax.plot(x, normal_pdf(x, centred.m, centred.s), color="tab:orange", lw=2, ls="--",
                label=f"reverse, {best} min: m=0, s={centred.s:.2f}, KL={centred.kl:.4f}")
    else:
        ax.plot(x, normal_pdf(x, centred.m, centred.s), color="tab:orange", lw=2, ls="--",
                label=f"reverse (only min): m=0, s={centred.s:.2f}, KL={centred.kl:.4f}")
    if delta < onset:
        regime = "δ < δ_onset: reverse KL has only the centred minimum"
    elif delta < threshold:
        regime = "δ_onset < δ < δ*: mode-seeking minimum is only local"
    else:
        regime = "δ > δ*: mode-seeking minimum is global"
    ax.set_title(f"δ = {delta}  (δ* = {threshold:.4f})\n{regime}", fontsize=9)
    ax.set_xlabel("x")
    ax.set_ylim(0, 1.3 * ax.get_ylim()[1])  # headroom for the legend
    ax.legend(fontsize=7, loc="upper left", frameon=False)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="auto", choices=("auto", "cpu", "cuda"))
    args = parser.parse_args(argv)
    device = resolve_device(args.device)

    onset = reverse_kl_mode_seeking_onset(device=device)
    threshold = reverse_kl_mode_seeking_threshold(device=device, onset=onset)
    print(f"device: {device}")
    print(f"delta_onset (fold: off-centre minima appear) = {onset.delta:.12f}  at m = {onset.m:.9f}, s = {onset.s:.9f}")
    print(f"delta*      (mode-seeking minimum becomes global) = {threshold:.12f}")

    fig, axes = plt.subplots(1, len(DELTAS), figsize=(15, 4.4), sharey=False)
    for ax, delta in zip(axes, DELTAS):
        fits = fits_for(delta, device)
        print(f"delta = {delta}:")
        for name, fit in fits.items():
            print(f"  {name:34s} m = {fit.m: .9f}  s = {fit.s:.9f}  KL = {fit.kl:.9f}")
        plot_panel(ax, delta, fits, onset.delta, threshold)
    axes[0].set_ylabel("density")
    fig.suptitle(
        "One Gaussian fitted to ½N(−δ,1) + ½N(δ,1): forward KL covers both modes, reverse KL seeks one "
        f"only for δ > δ* = {threshold:.4f} (fold at δ_onset = {onset.delta:.4f})",
        fontsize=10,
    )
    fig.tight_layout()
    OUTPUT.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(OUTPUT, dpi=DPI)
    plt.close(fig)
    print(f"wrote {OUTPUT} ({OUTPUT.stat().st_size / 1024:.0f} KB)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
