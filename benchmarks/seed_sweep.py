"""Benchmark: the whole catalogue verified under many seeds; per-claim failure counts.

    .venv/bin/python benchmarks/seed_sweep.py [--seeds 0-29] [--jobs 2] [--claims ID ...] [--json OUT]

Each seed runs ``derivspec verify --json --seed S`` in a fresh process, as a user would. For
every claim that is not ``verified`` under some seed the table gives the seeds, the status and the
route or variant behind it, and whether the only failing checks are Monte Carlo checks. Anything
else (a reference route, a wrong variant, an error, an inconclusive route) is a defect. Monte Carlo
failures are compared with the declared budget (:data:`derivspec.numerics.montecarlo.FALSE_FAIL_RATE`
per check, at most 3 checks per route run): the run's expected count of false fails, and the
Poisson probability of seeing at least as many; below 1e-3, the Monte Carlo failures are defects too
(an estimator whose error bar is wrong), not chance.

Exit code: 0 when nothing failed outside the Monte Carlo budget, else 1.
"""

from __future__ import annotations

import argparse
import json
import math
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def parse_seeds(text: str) -> list[int]:
    seeds = []
    for part in text.split(","):
        first, _, last = part.partition("-")
        seeds += list(range(int(first), int(last or first) + 1))
    return seeds


def verify(seed: int, jobs: int | None, claims: list[str]) -> dict:
    derivspec = Path(sys.executable).parent / "derivspec"
    command = [str(derivspec)] if derivspec.exists() else [sys.executable, "-m", "derivspec"]
    command += ["verify", "--json", "--device", "cpu", "--seed", str(seed), *claims]
    if jobs:
        command += ["--jobs", str(jobs)]
    proc = subprocess.run(command, capture_output=True, text=True, cwd=ROOT)
    if proc.returncode not in (0, 1, 3):
        raise SystemExit(f"seed {seed}: derivspec verify exited {proc.returncode}: {proc.stderr.strip()[-400:]}")
    return json.loads(proc.stdout)


def failing_checks(record: dict) -> list[tuple[str, str]]:
    """(kind, what) for each check behind a non-verified claim: kind is the route kind
    (``monte_carlo`` is within budget), ``variant``, ``derivation`` or ``error``."""
    found = []
    for route in record["routes"]:
        if route.get("error"):
            found.append(("error", f"{route['route']}: {route['error']}"))
        elif not route["passed"]:
            found.append((route["kind"], f"{route['route']} rejects the target ({route.get('detail', '')})"))
    for variant in record["wrong_variants"]:
        if variant.get("error"):
            found.append(("error", f"variant {variant['name']}: {variant['error']}"))
        elif not variant["rejected"]:
            found.append(("variant", f"variant {variant['name']} not rejected (checker {variant['checker']})"))
    if record["symbolic"] != "proved":
        found.append(("derivation", f"derivation {record['symbolic']}"))
    for problem in record["problems"] + record["errors"]:
        found.append(("error", problem))
    return found or [("error", record["reason"])]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", default="0-29", help="e.g. 0-29 or 1,2,5 (default %(default)s)")
    parser.add_argument("--jobs", type=int, default=None)
    parser.add_argument("--claims", nargs="*", default=[])
    parser.add_argument("--json", metavar="OUT", help="also write the per-seed outcomes as JSON")
    args = parser.parse_args()
    seeds = parse_seeds(args.seeds)
    outcomes: dict[str, dict[int, tuple[str, list]]] = defaultdict(dict)
    monte_carlo_checks = 0
    started = time.perf_counter()
    claims_seen = 0
    for seed in seeds:
        t0 = time.perf_counter()
        report = verify(seed, args.jobs, args.claims)
        claims_seen = len(report["claims"])
        bad = 0
        for record in report["claims"]:
            monte_carlo_checks += sum(r["kind"] == "monte_carlo" for r in record["routes"])
            if record["status"] != "verified":
                outcomes[record["claim"]][seed] = (record["status"], failing_checks(record))
                bad += 1
        print(f"seed {seed}: {claims_seen - bad}/{claims_seen} verified ({time.perf_counter() - t0:.0f} s)",
              file=sys.stderr, flush=True)
    from derivspec.numerics.montecarlo import FALSE_FAIL_RATE  # noqa: E402 (after the runs: torch loads only here)

    print("| claim | seeds not verified | status | checks | within the Monte Carlo budget |")
    print("|---|---|---|---|---|")
    outside = 0
    for claim, by_seed in sorted(outcomes.items()):
        kinds = {kind for _, checks in by_seed.values() for kind, _ in checks}
        within = kinds == {"monte_carlo"}
        outside += 0 if within else len(by_seed)
        statuses = sorted({status for status, _ in by_seed.values()})
        first = next(iter(by_seed.values()))[1][0][1]
        print(f"| {claim} | {len(by_seed)} of {len(seeds)} ({', '.join(map(str, sorted(by_seed)))}) | "
              f"{'/'.join(statuses)} | {first[:160]} | {'yes' if within else 'NO'} |")
    runs = claims_seen * len(seeds)
    expected = 3 * FALSE_FAIL_RATE * monte_carlo_checks  # an upper bound: a route makes at most 3 checks
    chance = sum(len(v) for claim, v in outcomes.items()
                 if {kind for _, checks in v.values() for kind, _ in checks} == {"monte_carlo"})
    p_value = 1.0 - sum(math.exp(-expected) * expected ** k / math.factorial(k) for k in range(chance))
    print(f"\n{len(seeds)} seeds × {claims_seen} claims = {runs} claim runs in {time.perf_counter() - started:.0f} s: "
          f"{sum(len(v) for v in outcomes.values())} not verified: {outside} outside Monte Carlo, {chance} Monte Carlo "
          f"only. {monte_carlo_checks} Monte Carlo route runs at a false-fail rate of {FALSE_FAIL_RATE:g} per check: "
          f"at most {expected:.2g} false fails expected; P(≥ {chance} by chance) = {p_value:.2g}"
          + (" -- more than chance: defects" if chance and p_value < 1e-3 else "") + ".")
    if chance and p_value < 1e-3:
        outside += chance
    if args.json:
        Path(args.json).write_text(json.dumps({claim: {str(s): {"status": st, "checks": ch} for s, (st, ch) in v.items()}
                                               for claim, v in outcomes.items()}, indent=1))
    return 0 if outside == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
