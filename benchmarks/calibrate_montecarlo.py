r"""Calibrate the Monte Carlo check: how often does a TRUE claim fail?

    .venv/bin/python benchmarks/calibrate_montecarlo.py [--runs N] [--false-fail-rate A]
                                                        [--min-rel-error D] [--methods M ...]
                                                        [--routes K] [--power K] [--markdown OUT]

Each estimator the check can use runs over seeds 0..N-1 at nominal false-fail rate A on a true
claim; the observed failure rate should be consistent with A (its 95 % Clopper-Pearson interval
should usually cover A), and the t statistics should follow their reference law (normal, or
Student t with ``units − 1`` degrees of freedom for RQMC; KS p-value).

Claims:

* ``sampler`` -- the first release's check (a plain ``draw(n, generator)``) of the Gaussian
  cross-entropy :math:`E_y[-\log N(y; \mu, \sigma^2)] = \tfrac12\log(2\pi\sigma^2) + (s^2 + (m-\mu)^2)/(2\sigma^2)`
  for y ~ N(m, s²), at m=0.3, s=1.2, mu=-0.2, sigma=0.8;
* ``cross-entropy/<method>`` -- the same claim as an integrand of Φ⁻¹(u) with the method forced
  (with controls it is a quadratic in the noise, so ``+cv`` is exact to round-off and its
  failures are those of the round-off floor: expect none);
* ``mixed/<method>`` -- exp(0.7ε₁) + sin(3ε₂) + 1{u₃ < 0.3} (mean e^0.245 + 0.3): no control
  makes it exact, so every method's statistical error bar is exercised;
* ``--power K``: power at the library's own settings (false-fail rate 1e-6, 1 % detectable
  error at power 0.99): ``mixed`` with each method (and the first release's sampler on the
  cross-entropy) checked against a claimed value wrong by +1 % and by −1 %, K seeds each; the
  observed rejection rate should be consistent with at least 0.99;
* ``--routes K``: every ``@monte_carlo`` route of the catalogue at one parameter point, K seeds
  each, at the nominal rate (the exact and control-exact routes show the round-off floor: 0).
"""

from __future__ import annotations

import argparse
import math
import os
import statistics
import sys
import time
import zlib
from pathlib import Path

import sympy
import torch
from scipy import stats
from scipy.stats import binomtest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from derivspec.core import registry  # noqa: E402
from derivspec.numerics.checks import draw  # noqa: E402
from derivspec.numerics.montecarlo import (METHODS, Integrand, monte_carlo_check, observed_false_fail_rate,  # noqa: E402
                                           standard_normal)
from derivspec.numerics.routes import MONTE_CARLO_ROUTES, load  # noqa: E402
from derivspec.reference_models.device import DTYPE, make_generator  # noqa: E402

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


def cross_entropy_integrand(m: float, s: float, mu: float, sigma: float) -> Integrand:
    model = torch.distributions.Normal(torch.tensor(mu, dtype=DTYPE), torch.tensor(sigma, dtype=DTYPE))
    return Integrand(lambda u: -model.log_prob(m + s * standard_normal(u[:, 0])), dim=1)


def mixed_integrand() -> tuple[Integrand, float]:
    def f(u):
        return (torch.exp(0.7 * standard_normal(u[:, 0])) + torch.sin(3 * standard_normal(u[:, 1]))
                + (u[:, 2] < 0.3).to(DTYPE))
    return Integrand(f, dim=3, noise=("normal", "normal", "uniform")), math.exp(0.245) + 0.3


def summarise(name: str, results: list, nominal: float, seconds: float) -> dict:
    failures = sum(not r.passed for r in results)
    runs = len(results)
    ci = binomtest(failures, runs).proportion_ci(confidence_level=0.95, method="exact")
    scores = [stats.norm.ppf(stats.t.cdf(r.z, r.dof)) if r.dof else r.z for r in results if math.isfinite(r.z)]
    ks = stats.kstest(scores, "norm").pvalue if len(scores) > 1 and statistics.pstdev(scores) > 1e-6 else math.nan
    return {"claim": name, "runs": runs, "failures": failures, "rate": failures / runs, "ci": (ci.low, ci.high),
            "covers": ci.low <= nominal <= ci.high, "ks_p": ks, "sd_z": statistics.pstdev(scores) if scores else math.nan,
            "median_n": statistics.median(r.n for r in results), "seconds": seconds}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=2000, help="number of seeds (0..N-1), default 2000")
    parser.add_argument("--false-fail-rate", type=float, default=0.01, help="nominal rate, default 0.01")
    parser.add_argument("--min-rel-error", type=float, default=0.05,
                        help="minimum detectable relative error, default 0.05 (the library default is 0.01; "
                             "0.05 keeps the run short: n is then the 20,000 floor or the pilot's size)")
    parser.add_argument("--pilot-n", type=int, default=2_000, help="pilot of the plain sampler, default 2000")
    parser.add_argument("--methods", nargs="*", default=None, help=f"subset of sampler {' '.join(METHODS)}")
    parser.add_argument("--routes", type=int, default=0, help="also calibrate every catalogue route over this many seeds")
    parser.add_argument("--power", type=int, default=0,
                        help="also measure power at ±1 %% (library settings) over this many seeds per sign")
    parser.add_argument("--markdown", default=None)
    args = parser.parse_args(argv)
    if args.runs < 1 or not 0 < args.false_fail_rate < 1 or args.min_rel_error <= 0 or args.pilot_n < 2:
        parser.error("need --runs >= 1, 0 < --false-fail-rate < 1, --min-rel-error > 0, --pilot-n >= 2")
    from derivspec.reference_models.device import apply_numeric_policy

    apply_numeric_policy()
    nominal = args.false_fail_rate
    kwargs = {"false_fail_rate": nominal, "min_rel_error": args.min_rel_error}
    rows = []

    def run(name, check):
        start = time.perf_counter()
        results = []

        def one(seed):
            results.append(check(seed))
            return results[-1]
        observed_false_fail_rate(one, range(args.runs))
        rows.append(summarise(name, results, nominal, time.perf_counter() - start))
        r = rows[-1]
        print(f"{name:28s} {r['failures']:5d}/{r['runs']} = {r['rate']:.4f}  CI [{r['ci'][0]:.4f}, {r['ci'][1]:.4f}] "
              f"{'covers' if r['covers'] else 'MISSES'} {nominal:g}; KS p {r['ks_p']:.3g}, sd(z) {r['sd_z']:.3f}; "
              f"median n {r['median_n']:.0f}; {r['seconds']:.1f} s", flush=True)

    methods = args.methods if args.methods is not None else ["sampler", *METHODS]
    expected = cross_entropy_closed_form(M, S, MU, SIGMA)
    if "sampler" in methods:
        sampler = cross_entropy_sampler(M, S, MU, SIGMA)
        run("sampler (first release)", lambda seed: monte_carlo_check(sampler, expected, make_generator(seed, CPU),
                                                                      pilot_n=args.pilot_n, **kwargs))
    integrand = cross_entropy_integrand(M, S, MU, SIGMA)
    mixed, mixed_mean = mixed_integrand()
    for method in [m for m in methods if m in METHODS]:
        run(f"cross-entropy/{method}", lambda seed, m=method: monte_carlo_check(
            integrand, expected, make_generator(seed, CPU), methods=(m,), **kwargs))
        run(f"mixed/{method}", lambda seed, m=method: monte_carlo_check(
            mixed, mixed_mean, make_generator(seed, CPU), methods=(m,), **kwargs))

    if args.routes:
        load()
        runs, args.runs = args.runs, args.routes
        for (claim_id, name), (function, _, compare) in sorted(MONTE_CARLO_ROUTES.items()):
            claim = registry.get(claim_id)
            g = make_generator(zlib.crc32(f"calibrate/{claim_id}/{name}".encode()), CPU)
            params = {v.name: float(draw(v, 1, g, CPU)[0]) for v in claim.variables}
            value = complex(sympy.N(claim.expand_defined(claim.target).subs(
                {v.symbol: sympy.Float(params[v.name], 30) for v in claim.variables}), 30)).real
            value = compare(value) if compare else value
            estimator = function(**{k: torch.tensor(x, dtype=DTYPE) for k, x in params.items()})
            run(f"{claim_id}/{name}", lambda seed, e=estimator, v=value: monte_carlo_check(
                e, v, make_generator(seed, CPU), **kwargs))
        args.runs = runs

    power_rows = []
    if args.power:
        for method in methods:
            for sign in (+1, -1):
                start = time.perf_counter()
                if method == "sampler":
                    name, truth = "sampler (first release)", expected
                    sampler = cross_entropy_sampler(M, S, MU, SIGMA)
                    check = lambda seed, c: monte_carlo_check(sampler, c, make_generator(10**6 + seed, CPU))
                else:
                    name, truth = f"mixed/{method}", mixed_mean
                    check = lambda seed, c, m=method: monte_carlo_check(mixed, c, make_generator(10**6 + seed, CPU),
                                                                        methods=(m,))
                claimed = truth * (1 + sign * 0.01)
                results = [check(seed, claimed) for seed in range(args.power)]
                caught = sum(not r.passed for r in results)
                ci = binomtest(caught, len(results)).proportion_ci(confidence_level=0.95, method="exact")
                power_rows.append({"check": name, "error": f"{sign * 1:+d} %", "runs": len(results), "caught": caught,
                                   "ci": (ci.low, ci.high), "capped": sum(r.capped for r in results),
                                   "median_n": statistics.median(r.n for r in results),
                                   "seconds": time.perf_counter() - start})
                p = power_rows[-1]
                print(f"power {name:26s} {p['error']}: caught {caught}/{len(results)} = {caught / len(results):.3f} "
                      f"CI [{ci.low:.3f}, {ci.high:.3f}]; capped {p['capped']}; median n {p['median_n']:.0f}; "
                      f"{p['seconds']:.1f} s", flush=True)
        caught, runs = sum(p["caught"] for p in power_rows), sum(p["runs"] for p in power_rows)
        ci = binomtest(caught, runs).proportion_ci(confidence_level=0.95, method="exact")
        print(f"power pooled at ±1 %: {caught}/{runs} = {caught / runs:.4f} (95 % CI [{ci.low:.4f}, {ci.high:.4f}]); "
              f"design 0.99")

    statistical = [r for r in rows if not (r["sd_z"] < 0.1)]  # floor-dominated checks have z ≈ 0
    total_f, total_r = sum(r["failures"] for r in statistical), sum(r["runs"] for r in statistical)
    pooled = binomtest(total_f, total_r).proportion_ci(confidence_level=0.95, method="exact")
    print(f"pooled over the {len(statistical)} statistical estimators: {total_f}/{total_r} = {total_f / total_r:.4f} "
          f"(95 % CI [{pooled.low:.4f}, {pooled.high:.4f}]) at nominal {nominal:g}; load {os.getloadavg()[0]:.2f}")
    if args.markdown:
        lines = ["| check | runs | failures | observed rate | 95 % CI | covers nominal | KS p (z) | sd(z) | median n |",
                 "|---|---:|---:|---:|---|---|---:|---:|---:|"]
        for r in rows:
            lines.append(f"| {r['claim']} | {r['runs']} | {r['failures']} | {r['rate']:.4f} | [{r['ci'][0]:.4f}, "
                         f"{r['ci'][1]:.4f}] | {'yes' if r['covers'] else 'no'} | {r['ks_p']:.3g} | {r['sd_z']:.3f} | "
                         f"{r['median_n']:.0f} |")
        lines.append(f"| pooled (statistical) | {total_r} | {total_f} | {total_f / total_r:.4f} | [{pooled.low:.4f}, "
                     f"{pooled.high:.4f}] | {'yes' if pooled.low <= nominal <= pooled.high else 'no'} | | | |")
        if power_rows:
            lines += ["", "| check (library settings: 1e-6, 1 %) | claimed error | runs | caught | power | 95 % CI | capped | median n |",
                      "|---|---|---:|---:|---:|---|---:|---:|"]
            for p in power_rows:
                lines.append(f"| {p['check']} | {p['error']} | {p['runs']} | {p['caught']} | {p['caught'] / p['runs']:.3f} | "
                             f"[{p['ci'][0]:.3f}, {p['ci'][1]:.3f}] | {p['capped']} | {p['median_n']:.0f} |")
        Path(args.markdown).write_text("\n".join(lines) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
