"""Benchmark: start-up and run time of the commands users type, as separate processes.

    .venv/bin/python benchmarks/bench_cli.py [--runs 10]

For each command: the median (and min, max) wall time of ``--runs`` runs of the installed
``derivspec`` console script, and its ratio to ``python -c "import sympy"`` timed the same way
on the same machine (the floor for anything that uses SymPy). The first run of each command
also warms the source-status cache that ``list --json`` and ``show`` read (see
derivspec/core/cache.py); it is not counted. Targets (issue 9, 2-core machine): ``check`` median
<= 0.5 s, ``list --json`` <= 1 s.
"""

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

SCRIPT = str(Path(sys.executable).with_name("derivspec"))
CHECK = ["check", "nll.gaussian", "--formula", "(y-mu)**2/(2*sigma**2) + log(sigma) + log(2*pi)/2"]
COMMANDS = {
    "import sympy": [sys.executable, "-c", "import sympy"],
    "derivspec check nll.gaussian --formula ...": [SCRIPT, *CHECK],
    "derivspec check ... --latex ...": [SCRIPT, "check", "kl.gaussian.standard", "--latex",
                                       r"\frac12(\mu^2+\sigma^2-1-\log\sigma^2)"],
    "derivspec list": [SCRIPT, "list"],
    "derivspec list --json": [SCRIPT, "list", "--json"],
    "derivspec show nll.gaussian": [SCRIPT, "show", "nll.gaussian"],
    "derivspec --version": [SCRIPT, "--version"],
}


def timed(argv) -> float:
    start = time.perf_counter()
    subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args()
    rows = {}
    for name, argv in COMMANDS.items():
        timed(argv)  # warm-up: OS page cache, .pyc files, the source-status cache
        times = [timed(argv) for _ in range(args.runs)]
        rows[name] = (statistics.median(times), min(times), max(times))
    floor = rows["import sympy"][0]
    print(f"{'command':48s} {'median s':>9s} {'min s':>7s} {'max s':>7s} {'÷ import sympy':>15s}")
    for name, (median, low, high) in rows.items():
        print(f"{name:48s} {median:9.3f} {low:7.3f} {high:7.3f} {median / floor:15.2f}")


if __name__ == "__main__":
    main()
