r"""Calibrate the Monte Carlo check: how often does a TRUE claim fail?

Claim (Gaussian cross-entropy), for y ~ N(m, s^2):

.. math::  E_y[-\log N(y; \mu, \sigma^2)] = \tfrac12 \log(2\pi\sigma^2) + \frac{s^2 + (m-\mu)^2}{2\sigma^2}

at m=0.3, s=1.2, mu=-0.2, sigma=0.8, sampled with ``torch.distributions.Normal(...).log_prob``.
The check runs over seeds 0..N-1 at false-fail rate A; the observed failure rate should be
consistent with A (its 95 % Clopper-Pearson interval should usually cover A).

Usage: python benchmarks/calibrate_montecarlo.py [--runs N] [--false-fail-rate A]
                                                 [--min-rel-error D] [--pilot-n P]
"""

from __future__ import annotations

import argparse
import math
import statistics
import sys
import time
from pathlib import Path

import torch
from scipy.stats import binomtest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from derivspec.reference_models.device import DTYPE, make_generator  # noqa: E402
from derivspec.numerics.montecarlo import monte_carlo_check, observed_false_fail_rate  # noqa: E402

M, S, MU, SIGMA = 0.3, 1.2, -0.2, 0.8
CPU = torch.device("cpu")


def cross_entropy_closed_form(m: float, s: float, mu: float, sigma: float) -> float:
    return 0.5 * math.log(2 * math.pi * sigma**2) + (s**2 + (m - mu) ** 2) / (2 * sigma**2)


def cross_entropy_sampler(m: float, s: float, mu: float, sigma: float):
    model = torch.distributions.Normal(torch.tensor(mu, dtype=DTYPE), torch.tensor(sigma, dtype=DTYPE))

    def sample(n: int, generator: torch.Generator) -> torch.Tensor:
        y = m + s * torch.randn(n, generator=generator, dtype=DTYPE)
        return -model.log_prob(y)

    return sample


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=2000, help="number of seeds (0..N-1), default 2000")
    parser.add_argument("--false-fail-rate", type=float, default=0.01, help="nominal rate, default 0.01")
    parser.add_argument("--min-rel-error", type=float, default=0.05,
                        help="minimum detectable relative error, default 0.05 (the library default "
                             "is 0.01; 0.05 keeps the default run short on CPU)")
    parser.add_argument("--pilot-n", type=int, default=2_000, help="pilot sample size, default 2000")
    args = parser.parse_args(argv)
    if args.runs < 1 or not 0 < args.false_fail_rate < 1 or args.min_rel_error <= 0 or args.pilot_n < 2:
        parser.error("need --runs >= 1, 0 < --false-fail-rate < 1, --min-rel-error > 0, --pilot-n >= 2")

    expected = cross_entropy_closed_form(M, S, MU, SIGMA)
    sample_fn = cross_entropy_sampler(M, S, MU, SIGMA)
    sizes: list[int] = []

    def run_check(seed: int):
        result = monte_carlo_check(sample_fn, expected, make_generator(seed, CPU),
                                   false_fail_rate=args.false_fail_rate, min_rel_error=args.min_rel_error,
                                   pilot_n=args.pilot_n)
        sizes.append(result.n)
        return result

    start = time.perf_counter()
    failures, runs = observed_false_fail_rate(run_check, range(args.runs))
    seconds = time.perf_counter() - start

    ci = binomtest(failures, runs).proportion_ci(confidence_level=0.95, method="exact")
    nominal = args.false_fail_rate
    print(f"claim: E_y~N({M},{S}^2)[-log N(y; {MU}, {SIGMA}^2)] = {expected:.6f} (true)")
    print(f"settings: min_rel_error={args.min_rel_error:g}"
          f"{' (library default 0.01; raised to keep the run short on CPU)' if args.min_rel_error != 0.01 else ''}"
          f", pilot_n={args.pilot_n}, power=default, seeds 0..{runs - 1}")
    print(f"runs: {runs}")
    print(f"failures: {failures}")
    print(f"observed rate: {failures / runs:.4f}  (95% Clopper-Pearson CI [{ci.low:.4f}, {ci.high:.4f}])")
    print(f"nominal rate: {nominal:g}  ({'inside' if ci.low <= nominal <= ci.high else 'OUTSIDE'} the CI)")
    print(f"median n: {statistics.median(sizes):.0f}  (min {min(sizes)}, max {max(sizes)})")
    print(f"total time: {seconds:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
