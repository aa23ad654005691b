r"""Calibrate ``conforms_in_distribution``: how often does a RIGHT sampler fail, and how often is each
registered WRONG sampler caught?

    .venv/bin/python benchmarks/calibrate_conformance.py [--seeds N] [--false-fail A] [--wrong-seeds K]
                                                         [--laws LAW ...] [--markdown OUT]

For each law (derivspec.testing.laws) its reference sampler is checked over seeds 0..N-1 at a raised
false-fail rate A (default 0.05, so that failures are frequent enough to count): the observed rate
should be at most A (Bonferroni over the law's tests) and A should lie in the observed rate's 95 %
Clopper-Pearson interval. Then each registered wrong sampler is checked over K seeds: the observed
rejection rate is set beside the power the check states (computed, not simulated: exact for the
Gaussian mean and variance tests, the noncentral χ² for categorical laws, a normal approximation for
the importance weights); the stated power should lie in the observed rate's interval (or be at
least its lower end, the stated power being a lower bound).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def clopper_pearson(failures: int, runs: int, level: float = 0.95) -> tuple[float, float]:
    """The exact binomial confidence interval for failures/runs (scipy.stats.binomtest)."""
    from scipy import stats

    interval = stats.binomtest(failures, runs).proportion_ci(confidence_level=level, method="exact")
    return float(interval.low), float(interval.high)


def rejections(law, sampler, seeds: range, false_fail: float, n: int, null: dict) -> tuple[int, int]:
    """How many of the seeds' checks fail: the check's own steps (its draw and its tests) with the law,
    n and the sampler's arguments computed once (conforms_in_distribution recomputes them and the
    power against every wrong sampler on each call)."""
    from derivspec.testing.distribution import _sampler_kwargs, draw, run_tests

    values = dict(law.defaults)
    kwargs = _sampler_kwargs(law, sampler, None, values)
    failed = 0
    for seed in seeds:
        draws, _ = draw(law, sampler, kwargs, values, n, seed)
        failed += not all(c.passed for c in run_tests(law, null, draws.reshape(-1), false_fail))
    return failed, len(seeds)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, default=1000, help="seeds for each right sampler (default 1000)")
    parser.add_argument("--wrong-seeds", type=int, default=200, help="seeds for each wrong sampler (default 200)")
    parser.add_argument("--false-fail", type=float, default=0.05, help="the raised false-fail rate (default 0.05)")
    parser.add_argument("--laws", nargs="*", default=None, help="only these laws")
    parser.add_argument("--markdown", default=None, help="also write the tables to this file")
    args = parser.parse_args(argv)

    from derivspec.testing.distribution import draws_needed, power
    from derivspec.testing.laws import LAWS

    lines = [f"# Conformance calibration: false-fail rate {args.false_fail}, {args.seeds} seeds per right "
             f"sampler, {args.wrong_seeds} per wrong sampler", "",
             "| law | n | right sampler: failures / seeds | observed rate | 95 % interval | rate in interval |",
             "|---|---|---|---|---|---|"]
    power_lines = ["", "| law | wrong sampler | stated power | observed rejections | observed rate | 95 % interval "
                       "| consistent |", "|---|---|---|---|---|---|---|"]
    all_ok = True
    for name, law in LAWS.items():
        if args.laws and name not in args.laws:
            continue
        started = time.perf_counter()
        null = law.law(dict(law.defaults))
        n = draws_needed(law, null, args.false_fail)
        failed, runs = rejections(law, law.reference, range(args.seeds), args.false_fail, n, null)
        low, high = clopper_pearson(failed, runs)
        inside = low <= args.false_fail <= high
        all_ok &= inside or failed / runs <= args.false_fail
        lines.append(f"| {name} | {n:,} | {failed} / {runs} | {failed / runs:.4f} | [{low:.4f}, {high:.4f}] | "
                     f"{'yes' if inside else 'no'} |")
        for wrong in law.wrong:
            stated = power(law, null, wrong.law(dict(law.defaults)), n, args.false_fail)
            caught, tries = rejections(law, wrong.sampler, range(10_000, 10_000 + args.wrong_seeds), args.false_fail,
                                       n, null)
            w_low, w_high = clopper_pearson(caught, tries)
            consistent = w_low <= stated + 1e-9
            all_ok &= consistent
            power_lines.append(f"| {name} | {wrong.name} | {stated:.4f} | {caught} / {tries} | {caught / tries:.4f} | "
                               f"[{w_low:.4f}, {w_high:.4f}] | {'yes' if consistent else 'no'} |")
        print(f"{name}: {time.perf_counter() - started:.1f} s", file=sys.stderr, flush=True)
    text = "\n".join(lines + power_lines) + "\n"
    print(text)
    if args.markdown:
        Path(args.markdown).write_text(text, encoding="utf-8")
    return 0 if all_ok else 1


if __name__ == "__main__":
    sys.exit(main())
