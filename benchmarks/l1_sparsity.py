"""L1 vs L2 sparsity: fraction of exactly-zero coefficients of the lasso and ridge estimates.

The executable specification (the checks, a table and a plot, shipped with the package) is
``derivspec run lasso-sparsity``; this benchmark measures more of the same model, in more detail.

    .venv/bin/python benchmarks/l1_sparsity.py [--designs 200] [--n 50] [--d 10] [--seed 0] [--device auto]

Over random designs (reference_models.regularised.sparsity_fractions: X_ij ~ N(0, 1), half of
the true coefficients zero, the others N(0, 1), noise sigma = 1), for each lam in the grid the
mean fraction of coefficients that are exactly 0 for the lasso (cyclic coordinate descent) and
for ridge (closed form), with a 95 % Student-t interval over designs
(mean +- t_{0.975, m-1} s / sqrt(m), clipped to [0, 1]). Objective convention:
J(theta) = sum_i (y_i - x_i^T theta)^2 + lam * penalty(theta).

Timings: wall time of the whole sweep, and the median time of one solve of each route
(lasso CD, lasso proximal gradient, ridge closed form) over the first designs of a
separate draw.
"""

import argparse
import math
import statistics
import time

import torch
from rich.console import Console
from rich.table import Table
from scipy.stats import t as student_t

from derivspec.reference_models.device import make_generator, resolve_device
from derivspec.reference_models.regression import make_regression_data
from derivspec.reference_models.regularised import (
    lasso_by_coordinate_descent,
    lasso_by_proximal_gradient,
    ridge_closed_form,
    sparsity_fractions,
)

LAMS = [0.0, 1.0, 5.0, 20.0, 50.0, 200.0]
TIMING_DESIGNS = 20


def interval(values: torch.Tensor) -> tuple[float, float, float]:
    """Mean and 95 % Student-t interval, clipped to [0, 1]."""
    m = values.numel()
    mean = float(values.mean())
    if m < 2:
        return mean, math.nan, math.nan
    half = float(student_t.ppf(0.975, m - 1)) * float(values.std(unbiased=True)) / math.sqrt(m)
    return mean, max(0.0, mean - half), min(1.0, mean + half)


def median_ms(fn, args_list) -> float:
    times = []
    for args in args_list:
        start = time.perf_counter()
        fn(*args)
        if args[0].is_cuda:
            torch.cuda.synchronize()
        times.append(1e3 * (time.perf_counter() - start))
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--designs", type=int, default=200)
    parser.add_argument("--n", type=int, default=50)
    parser.add_argument("--d", type=int, default=10)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--device", default="auto", choices=("auto", "cpu", "cuda"))
    args = parser.parse_args()
    from derivspec.reference_models.device import apply_numeric_policy

    apply_numeric_policy()
    device = resolve_device(args.device)

    start = time.perf_counter()
    out = sparsity_fractions(LAMS, n=args.n, d=args.d, n_designs=args.designs,
                             generator=make_generator(args.seed, device), device=device)
    sweep_s = time.perf_counter() - start

    table = Table(title=f"Exactly-zero coefficients: {args.designs} designs, n={args.n}, d={args.d}, "
                        f"{out['n_zero']} true zeros, noise sigma={out['noise_sigma']}, device={device.type}")
    for column in ("lam", "lasso zero fraction", "95 % interval", "ridge zero fraction", "95 % interval"):
        table.add_column(column, justify="right")
    for k, lam in enumerate(out["lams"]):
        lm, llo, lhi = interval(out["lasso_per_design"][:, k])
        rm, rlo, rhi = interval(out["ridge_per_design"][:, k])
        table.add_row(f"{lam:g}", f"{lm:.3f}", f"[{llo:.3f}, {lhi:.3f}]", f"{rm:.3f}", f"[{rlo:.3f}, {rhi:.3f}]")
    console = Console(width=120)
    console.print(table)
    lasso = out["lasso"]
    monotone = all(a <= b for a, b in zip(lasso, lasso[1:]))
    console.print(f"lasso mean zero fraction non-decreasing in lam: {monotone}")
    solves = 2 * args.designs * len(LAMS)
    console.print(f"sweep: {sweep_s:.2f} s for {solves} solves ({1e3 * sweep_s / solves:.2f} ms per solve, mean)")

    generator = make_generator(args.seed + 1, device)
    problems = [make_regression_data(args.n, args.d, 1.0, generator, device)[:2]
                for _ in range(min(TIMING_DESIGNS, args.designs))]
    timing = Table(title=f"Median time per solve (ms), {len(problems)} designs")
    timing.add_column("lam", justify="right")
    for column in ("lasso CD", "lasso PG (FISTA)", "ridge closed form"):
        timing.add_column(column, justify="right")
    for lam in LAMS:
        cases = [(X, y, lam) for X, y in problems]
        timing.add_row(f"{lam:g}", f"{median_ms(lasso_by_coordinate_descent, cases):.2f}",
                       f"{median_ms(lasso_by_proximal_gradient, cases):.2f}",
                       f"{median_ms(ridge_closed_form, cases):.3f}")
    console.print(timing)


if __name__ == "__main__":
    main()
