"""Time ``derivspec conform`` as a user runs it: a whole process, start-up included, default number of
examples. Targets: at most 2 s a call with the batched pass (issues 59 and 87); ``--suggest`` at most 20 s.

    .venv/bin/python benchmarks/bench_conform.py [--runs N]

Writes a right NumPy KL and a wrong one (arguments swapped), a right torch diagonal-Gaussian NLL (checked
batched and per input) and one summing over the batch axis into a temporary folder and runs the
command-line ``derivspec`` on each, ``--runs`` times after one warm-up, printing min / median / max wall
seconds and the exit codes (0 for the right ones, 1 for the wrong ones); then ``conform --suggest`` on the
right KL. The machines these run on are shared: quote the median.
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


def diag_nll(y, mu, sigma):
    import torch
    return (torch.log(sigma) + 0.5 * np.log(2 * np.pi) + (y - mu) ** 2 / (2 * sigma ** 2)).sum(-1)


def diag_nll_batch_axis(y, mu, sigma):
    import torch
    return (torch.log(sigma) + 0.5 * np.log(2 * np.pi) + (y - mu) ** 2 / (2 * sigma ** 2)).sum(0)
'''

CALLS = (("kl.gaussian.univariate", "kl", 0), ("kl.gaussian.univariate", "kl_swapped", 1),
         ("nll.gaussian.diagonal", "diag_nll", 0), ("nll.gaussian.diagonal", "diag_nll_batch_axis", 1))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args(argv)
    derivspec = str(Path(sys.executable).with_name("derivspec"))
    with tempfile.TemporaryDirectory() as folder:
        Path(folder, "student.py").write_text(STUDENT)
        for claim, function, expected in CALLS:
            command = [derivspec, "conform", claim, f"student:{function}"]
            if not time_command(command, folder, args.runs, expected, f"derivspec conform {claim} student:{function}"):
                return 1
        command = [derivspec, "conform", "--suggest", "student:kl"]
        if not time_command(command, folder, max(1, args.runs // 2), 0, "derivspec conform --suggest student:kl"):
            return 1
    return 0


def time_command(command: list[str], folder: str, runs: int, expected: int, label: str) -> bool:
    times, codes = [], set()
    for i in range(runs + 1):
        started = time.perf_counter()
        done = subprocess.run(command, cwd=folder, capture_output=True, text=True, timeout=300)
        elapsed = time.perf_counter() - started
        codes.add(done.returncode)
        if i:  # the first run warms the caches (the module index, the file system)
            times.append(elapsed)
    print(f"{label}: wall min {min(times):.2f} s, median {statistics.median(times):.2f} s, max {max(times):.2f} s "
          f"over {runs} runs; exit {sorted(codes)} (expected {expected})")
    if codes != {expected}:
        print(done.stdout + done.stderr, file=sys.stderr)
        return False
    return True


if __name__ == "__main__":
    sys.exit(main())
