"""Benchmark: ``derivspec verify`` of the whole catalogue (wall time per worker count, per-family
times, identical results across worker counts), or per claim.

    .venv/bin/python benchmarks/bench_verify.py [--jobs 1 2] [--seed 0] [--markdown OUT]
    .venv/bin/python benchmarks/bench_verify.py --per-claim [--family nll] [--device auto] [--repeat 3]

Catalogue mode (default) runs ``derivspec verify --json --jobs J`` once per J, as a user would
(a fresh process: imports, claim building and the fork of the workers included), and prints the
wall time, the sum of the per-claim times, the 1-minute load average before and after (another
process on the machine inflates both), the time per family (sum of its claims' times in the
first run) and whether the JSON, less its timings, is identical across the worker counts.

Per-claim mode prints one row per claim: wall time of the first (cold: SymPy's cache empty) and
the median call of verify_claim over the repeats, the numeric route's own time on the target,
and its sample counts and estimator.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TIMING_KEYS = {"seconds", "time", "jobs", "monte_carlo_seconds"}


def without_timings(value):
    if isinstance(value, dict):
        return {k: without_timings(v) for k, v in value.items() if k not in TIMING_KEYS}
    if isinstance(value, list):
        return [without_timings(v) for v in value]
    return value


def catalogue(jobs: list[int], seed: int, markdown: str | None) -> int:
    derivspec = Path(sys.executable).parent / "derivspec"
    command = [str(derivspec)] if derivspec.exists() else [sys.executable, "-m", "derivspec"]
    runs = {}
    for j in jobs:
        load_before = os.getloadavg()[0]
        start = time.perf_counter()
        proc = subprocess.run(command + ["verify", "--json", "--jobs", str(j), "--seed", str(seed)],
                              capture_output=True, text=True, cwd=ROOT)
        wall = time.perf_counter() - start
        report = json.loads(proc.stdout)
        runs[j] = (wall, load_before, os.getloadavg()[0], report, proc.returncode)
        claims = report["claims"]
        statuses = {s: sum(c["status"] == s for c in claims) for s in ("verified", "failed", "inconclusive")}
        print(f"--jobs {j}: {wall:.1f} s wall, {sum(c['seconds'] for c in claims):.1f} s summed over "
              f"{len(claims)} claims, {statuses}, exit {proc.returncode}; load average {load_before:.2f} → "
              f"{runs[j][2]:.2f}", flush=True)
    first = runs[jobs[0]][3]
    families: dict[str, list[float]] = defaultdict(list)
    for c in first["claims"]:
        families[c["claim"].split(".")[0]].append(c["seconds"])
    print("per family (first run, sum of claim times):")
    for family, times in sorted(families.items(), key=lambda kv: -sum(kv[1])):
        print(f"  {family:12s} {sum(times):6.1f} s  ({len(times)} claims, slowest {max(times):.2f} s)")
    slowest = sorted(first["claims"], key=lambda c: -c["seconds"])[:8]
    print("slowest claims: " + ", ".join(f"{c['claim']} {c['seconds']:.2f} s" for c in slowest))
    reference = without_timings(first["claims"])
    same = {j: without_timings(runs[j][3]["claims"]) == reference for j in jobs[1:]}
    print("identical JSON (less timings) across worker counts: " + (", ".join(f"--jobs {j}: {s}" for j, s in same.items())
                                                                     or "one run only"))
    if markdown:
        lines = ["| run | wall s | summed claim s | load before → after |", "|---|---:|---:|---|"]
        lines += [f"| --jobs {j} | {w:.1f} | {sum(c['seconds'] for c in r['claims']):.1f} | {a:.2f} → {b:.2f} |"
                  for j, (w, a, b, r, _) in runs.items()]
        lines += ["", "| family | claims | summed s | slowest s |", "|---|---:|---:|---:|"]
        lines += [f"| {f} | {len(t)} | {sum(t):.1f} | {max(t):.2f} |"
                  for f, t in sorted(families.items(), key=lambda kv: -sum(kv[1]))]
        Path(markdown).write_text("\n".join(lines) + "\n")
    return 0 if all(same.values()) and all(r[4] == 0 for r in runs.values()) else 1


def per_claim(family: str | None, device: str, seed: int, repeat: int) -> int:
    from rich.console import Console
    from rich.table import Table

    from derivspec.core import registry
    from derivspec.numerics.checks import NumericContext
    from derivspec.reference_models.device import resolve_device
    from derivspec.app.verify import verify_claim

    ctx = NumericContext(device=resolve_device(device), seed=seed)
    from derivspec.reference_models.device import apply_numeric_policy

    apply_numeric_policy()  # as `derivspec verify` does
    claims = [c for c in registry.all_claims() if family in (None, c.family)]
    table = Table(title=f"verify benchmark (device {ctx.device.type}, seed {seed}, median of {repeat})")
    for column in ("claim", "first s", "median s", "numeric s", "samples", "status"):
        table.add_column(column)
    total = first_total = 0.0
    for claim in claims:
        times, report = [], None
        for _ in range(repeat):
            start = time.perf_counter()
            report = verify_claim(claim.id, ctx)
            times.append(time.perf_counter() - start)
        mc = report.numeric.monte_carlo
        if mc is not None:
            samples = (f"{mc.method} n={mc.n:,} (+ pilot {mc.pilot_n:,}); detects "
                       + (f"{mc.min_detectable_rel_error:.2%}" if mc.min_detectable_rel_error >= 1e-4
                          else f"{mc.min_detectable_rel_error:.1e}"))
        else:
            samples = f"{report.numeric.points} reference points" if report.numeric.points else "reference model"
        table.add_row(claim.id, f"{times[0]:.2f}", f"{statistics.median(times):.2f}",
                      f"{report.numeric.seconds:.3f}", samples, report.status)
        first_total += times[0]
        total += statistics.median(times)
    table.add_row("total", f"{first_total:.2f}", f"{total:.2f}", "", "", "")
    Console(width=170).print(table)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--per-claim", action="store_true", help="time verify_claim per claim instead")
    parser.add_argument("--jobs", type=int, nargs="*", default=None, help="worker counts (default: 1 and the core count)")
    parser.add_argument("--family", default=None)
    parser.add_argument("--device", default="auto", choices=("auto", "cpu", "cuda"))
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--markdown", default=None)
    args = parser.parse_args(argv)
    if args.per_claim:
        return per_claim(args.family, args.device, args.seed, args.repeat)
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    jobs = args.jobs or sorted({1, cores})
    return catalogue(jobs, args.seed, args.markdown)


if __name__ == "__main__":
    sys.exit(main())
