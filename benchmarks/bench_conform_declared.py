"""Time ``derivspec conform`` with a declaration and ``derivspec conform --suggest`` as a user runs them:
whole processes, start-up included. Targets (issue 81): a cheap claim at most 2 s, ``--suggest`` at most 20 s.

    .venv/bin/python benchmarks/bench_conform_declared.py [--runs N]

Writes a Gaussian log-likelihood without its 1/2 log 2pi and a negated Bernoulli log-likelihood into a
temporary folder; runs ``conform nll.gaussian ... --up-to constant --up-to sign``, then ``conform
--suggest`` on each, ``--runs`` times after one warm-up (which fills the caches), and prints min / median /
max wall seconds and the exit codes. The machines these run on are shared: quote the median.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HOMEWORK = '''
import numpy as np

def gauss_loglik(y, mu, sigma):
    return -np.log(sigma) - (y - mu)**2 / (2 * sigma**2)

def bernoulli_loglik(y, p):
    return y * np.log(p) + (1 - y) * np.log1p(-p)
'''


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args(argv)
    derivspec = str(Path(sys.executable).with_name("derivspec"))
    commands = [
        (["conform", "nll.gaussian", "homework:gauss_loglik", "--up-to", "constant", "--up-to", "sign"], 0, 2.0),
        (["conform", "--suggest", "homework:gauss_loglik"], 0, 20.0),
        (["conform", "--suggest", "homework:bernoulli_loglik"], 0, 20.0),
    ]
    failed = 0
    with tempfile.TemporaryDirectory() as folder:
        Path(folder, "homework.py").write_text(HOMEWORK)
        for words, expected, target in commands:
            times, codes = [], set()
            for i in range(args.runs + 1):
                started = time.perf_counter()
                done = subprocess.run([derivspec, *words], cwd=folder, capture_output=True, text=True, timeout=300)
                if i:
                    times.append(time.perf_counter() - started)
                codes.add(done.returncode)
            median = statistics.median(times)
            print(f"derivspec {' '.join(words)}: wall min {min(times):.2f} s, median {median:.2f} s, max "
                  f"{max(times):.2f} s over {args.runs} runs (target {target:g} s); exit {sorted(codes)} "
                  f"(expected {expected})")
            print("  " + done.stdout.strip().splitlines()[-1][:160])
            failed += codes != {expected} or median > target
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
