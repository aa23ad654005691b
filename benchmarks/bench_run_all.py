"""Benchmark: every executable specification in quick mode, as users run it.

    .venv/bin/python benchmarks/bench_run_all.py [--device cpu] [--seed 0] [--full]

Runs ``derivspec run --all --quick --device cpu --json`` as one process (the installed console
script), and prints a table: per specification its seconds (from ``--json``), its checks held,
and whether it meets the quick-mode target (issue 26: ≤ 25 s on 2 cores); then the process's
wall time (start-up, imports and the runs) against the sum of the specifications' seconds.
Exit code: the command's (0 every check holds, 1 one fails, 2 bad input).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SCRIPT = str(Path(sys.executable).with_name("derivspec"))
QUICK_TARGET_S = 25.0  # issue 26: a specification's --quick run on 2 CPU cores


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cpu", choices=("auto", "cpu", "cuda"))
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--full", action="store_true", help="full runs instead of --quick (no target applies)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as out:
        command = [SCRIPT, "run", "--all", "--device", args.device, "--seed", str(args.seed), "--out", out, "--json"]
        if not args.full:
            command.append("--quick")
        start = time.perf_counter()
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        wall = time.perf_counter() - start
    if done.returncode not in (0, 1):
        print(f"bench_run_all: `{' '.join(command)}` exited {done.returncode}: {done.stderr.strip()}", file=sys.stderr)
        return done.returncode
    runs = json.loads(done.stdout)["runs"]
    width = max(len(r["spec"]) for r in runs)
    print(f"derivspec run --all {'--quick ' if not args.full else ''}--device {args.device} --seed {args.seed} "
          f"({os.cpu_count()} cores)")
    print(f"{'specification':<{width}}  {'seconds':>8}  {'checks held':>11}  {'plots':>5}  target")
    for r in runs:
        held = f"{sum(c['holds'] for c in r['checks'])}/{len(r['checks'])}"
        target = "—" if args.full else ("ok" if r["seconds"] <= QUICK_TARGET_S else f"over {QUICK_TARGET_S:g} s")
        print(f"{r['spec']:<{width}}  {r['seconds']:>8.2f}  {held:>11}  {len(r['figures']):>5}  {target}")
    total = sum(r["seconds"] for r in runs)
    print(f"{'sum':<{width}}  {total:>8.2f}")
    print(f"wall time of the process: {wall:.2f} s ({wall - total:.2f} s start-up, imports and output)")
    return done.returncode


if __name__ == "__main__":
    sys.exit(main())
