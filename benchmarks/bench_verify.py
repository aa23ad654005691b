"""Benchmark: how long ``derivspec verify`` takes per claim, and how many samples each
numeric check used (Monte Carlo n and pilot, or reference points).

    .venv/bin/python benchmarks/bench_verify.py [--family nll] [--device auto] [--seed 0] [--repeat 3]

Prints one row per claim: wall time of the first (cold: SymPy's cache empty) and the median
call of verify_claim over the repeats (derivation,
numeric route on the target, checker + numeric route on every wrong variant, sources), the
numeric route's own time on the target, and its sample counts.
"""

import argparse
import statistics
import time

import torch

from rich.console import Console
from rich.table import Table

from derivspec.core import registry
from derivspec.numerics.checks import NumericContext
from derivspec.reference_models.device import resolve_device
from derivspec.verify import verify_claim


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--family", default=None)
    parser.add_argument("--device", default="auto", choices=("auto", "cpu", "cuda"))
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    ctx = NumericContext(device=resolve_device(args.device), seed=args.seed)
    torch.set_num_threads(1)  # as `derivspec verify` does
    claims = [c for c in registry.all_claims() if args.family in (None, c.family)]
    table = Table(title=f"verify benchmark (device {ctx.device.type}, seed {args.seed}, median of {args.repeat})")
    for column in ("claim", "first s", "median s", "numeric s", "samples", "status"):
        table.add_column(column)
    total = first_total = 0.0
    for claim in claims:
        times, report = [], None
        for _ in range(args.repeat):
            start = time.perf_counter()
            report = verify_claim(claim.id, ctx)
            times.append(time.perf_counter() - start)
        mc = report.numeric.monte_carlo
        if mc is not None:
            samples = f"Monte Carlo n={mc.n:,} (+ pilot {mc.pilot_n:,}); detects {mc.min_detectable_rel_error:.2%}"
        else:
            samples = f"{report.numeric.points} reference points" if report.numeric.points else "reference model"
        table.add_row(claim.id, f"{times[0]:.2f}", f"{statistics.median(times):.2f}",
                      f"{report.numeric.seconds:.3f}", samples, report.status)
        first_total += times[0]
        total += statistics.median(times)
    table.add_row("total", f"{first_total:.2f}", f"{total:.2f}", "", "", "")
    Console(width=160).print(table)


if __name__ == "__main__":
    main()
