"""Time ``derivspec conform kl.gaussian.univariate MODULE:kl`` as a user runs it: a whole process,
start-up included, default number of examples. Target: at most 2 s (issue 59).

    .venv/bin/python benchmarks/bench_conform.py [--runs N]

Writes a right NumPy KL and a wrong one (arguments swapped) into a temporary folder and runs the
command-line ``derivspec`` on each, ``--runs`` times after one warm-up, printing min / median / max
wall seconds and the exit codes (0 for the right one, 1 for the wrong one). The machines these run
on are shared: quote the median.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

STUDENT = '''
import numpy as np

def kl(mu1, sigma1, mu2, sigma2):
    return np.log(sigma2 / sigma1) + (sigma1**2 + (mu1 - mu2)**2) / (2 * sigma2**2) - 0.5

def kl_swapped(mu1, sigma1, mu2, sigma2):
    return np.log(sigma1 / sigma2) + (sigma2**2 + (mu1 - mu2)**2) / (2 * sigma1**2) - 0.5
'''


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args(argv)
    derivspec = str(Path(sys.executable).with_name("derivspec"))
    with tempfile.TemporaryDirectory() as folder:
        Path(folder, "student.py").write_text(STUDENT)
        for function, expected in (("kl", 0), ("kl_swapped", 1)):
            command = [derivspec, "conform", "kl.gaussian.univariate", f"student:{function}"]
            times, codes = [], set()
            for i in range(args.runs + 1):
                started = time.perf_counter()
                done = subprocess.run(command, cwd=folder, capture_output=True, text=True, timeout=120)
                elapsed = time.perf_counter() - started
                codes.add(done.returncode)
                if i:  # the first run warms the caches (the module index, the file system)
                    times.append(elapsed)
            print(f"derivspec conform kl.gaussian.univariate student:{function}: wall min {min(times):.2f} s, "
                  f"median {statistics.median(times):.2f} s, max {max(times):.2f} s over {args.runs} runs; "
                  f"exit {sorted(codes)} (expected {expected})")
            if codes != {expected}:
                print(done.stdout + done.stderr, file=sys.stderr)
                return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
