"""Benchmark: every Monte Carlo check of the catalogue, before and after variance reduction, in one run.

    .venv/bin/python benchmarks/bench_montecarlo.py [--seed 0] [--points 3] [--json OUT] [--markdown OUT]
                                                    [--claims ID ...]

For each ``@monte_carlo`` route, at the route's parameter points (drawn as ``verify`` draws them:
uniform over each variable's sampling range, the route's own generator), the claim's derived
target is compared with the route's estimator twice:

* **before** -- the policy of the first release: plain i.i.d. draws, a 20,000-draw pilot, n from
  the pilot for a 1 % error at power 0.99 and a 1e-6 false-fail rate, no sizing margin, no
  top-up, capped at 2e7 draws (an integrand is drawn with i.i.d. uniforms and no controls; a
  finite support is sampled, not summed; the two routes whose estimator changed, ``LEGACY``,
  run their first-release estimator);
* **after** -- ``monte_carlo_check`` as ``verify`` runs it now: the estimator chosen by the
  pilot's variance (plain, antithetic, RQMC, each with or without control variates) or the exact
  sum over a finite support, sized with a margin and topped up when short.

Per route: the method, the evaluations n (main run; the worst point's), the total time over the
points, and the detectable relative error (the worst point's). A check "hits the cap" when its n
reached 2e7 and it detects worse than 1 %. Wall times are single-threaded (torch threads = 1).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import zlib
from pathlib import Path

import sympy
import torch
from rich.console import Console
from rich.table import Table

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from derivspec.core import registry  # noqa: E402
from derivspec.numerics import montecarlo as mc  # noqa: E402
from derivspec.numerics.checks import draw  # noqa: E402
from derivspec.numerics.routes import MONTE_CARLO_ROUTES, load  # noqa: E402
from derivspec.reference_models.device import DTYPE, make_generator  # noqa: E402

CPU = torch.device("cpu")
OLD_PILOT = 20_000
OLD_CAP = 20_000_000


def _legacy_is_variance(a, b, m, u):
    """The first release's sampling.is.variance route: (π(z)/q(z) − 1)², z ~ q."""
    from torch.distributions import Normal
    target, proposal = Normal(a, b.sqrt()), Normal(m, (b + u).sqrt())

    def draw(n, generator):
        z = m + (b + u).sqrt() * torch.randn(n, generator=generator, dtype=DTYPE)
        return ((target.log_prob(z) - proposal.log_prob(z)).exp() - 1) ** 2
    return draw


def _legacy_mixture_variance(alpha, mu1, mu2, s1, s2):
    """The first release's latent.mixture.variance route: z then x | z drawn ancestrally."""
    from derivspec.numerics.latent import _mixture
    mean = _mixture(alpha, mu1, mu2, s1, s2).mean

    def draw(n, generator):
        first = torch.rand(n, generator=generator, dtype=DTYPE) < alpha
        noise = torch.randn(n, generator=generator, dtype=DTYPE)
        return (torch.where(first, mu1 + s1 * noise, mu2 + s2 * noise) - mean) ** 2
    return draw


# Routes whose estimator itself changed (not only how it is sampled): "before" runs the old one.
LEGACY = {("sampling.is.variance", "squared_weight_deviation_draws"): _legacy_is_variance,
          ("latent.mixture.variance", "squared_deviation_from_mixture_mean"): _legacy_mixture_variance}


def as_sampler(estimator):
    """The estimator as plain i.i.d. draws (an integrand: i.i.d. uniforms, values only)."""
    if not isinstance(estimator, mc.Integrand):
        return estimator

    def sample(n, generator):
        out = estimator.f(mc._uniforms(n, estimator.dim, generator))
        return out[0] if isinstance(out, tuple) else out
    return sample


def before(estimator, expected, generator) -> mc.MonteCarloResult:
    return mc.monte_carlo_check(as_sampler(estimator), expected, generator, pilot_n=OLD_PILOT, max_n=OLD_CAP,
                                margin=1.0, top_ups=0)


def after(estimator, expected, generator) -> mc.MonteCarloResult:
    return mc.monte_carlo_check(estimator, expected, generator)


def parameter_points(claim, route: str, count: int, seed: int) -> list[dict[str, float]]:
    g = make_generator(seed * 1_000_003 + zlib.crc32(f"bench/{claim.id}/{route}".encode()), CPU)
    return [{v.name: float(draw(v, 1, g, CPU)[0]) for v in claim.variables} for _ in range(count)]


def run_route(claim, name: str, function, points: int, compare, seed: int) -> dict:
    expression = claim.expand_defined(claim.target)
    rows = {"claim": claim.id, "route": name}
    for label, policy in (("before", before), ("after", after)):
        worst, total, methods = None, 0.0, set()
        for k, params in enumerate(parameter_points(claim, name, points, seed)):
            value = complex(sympy.N(expression.subs({v.symbol: sympy.Float(params[v.name], 30)
                                                      for v in claim.variables}), 30)).real
            if compare is not None:
                value = compare(value)
            tensors = {key: torch.tensor(x, dtype=DTYPE) for key, x in params.items()}
            generator = make_generator(seed * 7919 + k + zlib.crc32(f"{claim.id}/{name}/{label}".encode()), CPU)
            route = LEGACY.get((claim.id, name), function) if label == "before" else function
            start = time.perf_counter()
            result = policy(route(**tensors), value, generator)
            total += time.perf_counter() - start
            methods.add(result.method)
            if worst is None or result.min_detectable_rel_error > worst.min_detectable_rel_error:
                worst = result
            if not result.passed:
                rows[f"{label}_failed"] = f"z = {result.z:.2f} at {params}"
        rows[label] = {"method": "/".join(sorted(methods)), "n": worst.n, "seconds": total,
                       "detects": worst.min_detectable_rel_error, "capped": worst.capped}
    return rows


def fmt_error(x: float) -> str:
    return f"{x:.2%}" if x >= 1e-4 else f"{x:.1e}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--points", type=int, default=None, help="parameter points per route (default: the route's)")
    parser.add_argument("--claims", nargs="*", default=None)
    parser.add_argument("--json", default=None, help="write the rows as JSON here")
    parser.add_argument("--markdown", default=None, help="write a markdown table here")
    args = parser.parse_args(argv)
    from derivspec.reference_models.device import apply_numeric_policy

    apply_numeric_policy()
    load()
    rows = []
    for (claim_id, name), (function, points, compare) in sorted(MONTE_CARLO_ROUTES.items()):
        if args.claims and claim_id not in args.claims:
            continue
        rows.append(run_route(registry.get(claim_id), name, function, args.points or points, compare, args.seed))
        print(f"{claim_id} / {name}: before {rows[-1]['before']['seconds']:.2f}s "
              f"{fmt_error(rows[-1]['before']['detects'])}, after {rows[-1]['after']['method']} "
              f"{rows[-1]['after']['seconds']:.3f}s {fmt_error(rows[-1]['after']['detects'])}", file=sys.stderr)

    table = Table(title=f"Monte Carlo checks before / after (seed {args.seed}, load {os.getloadavg()[0]:.2f})")
    for column in ("claim", "route", "before n", "before s", "before detects", "after method", "after n", "after s",
                   "after detects"):
        table.add_column(column)
    for r in rows:
        b, a = r["before"], r["after"]
        table.add_row(r["claim"], r["route"], f"{b['n']:,}{' (cap)' if b['capped'] else ''}", f"{b['seconds']:.3f}",
                      fmt_error(b["detects"]), a["method"], f"{a['n']:,}", f"{a['seconds']:.3f}", fmt_error(a["detects"]))
    totals = {k: sum(r[k]["seconds"] for r in rows) for k in ("before", "after")}
    table.add_row("total", "", "", f"{totals['before']:.2f}", "", "", "", f"{totals['after']:.2f}", "")
    Console(width=200).print(table)
    worst_after = max(rows, key=lambda r: r["after"]["detects"])
    capped = [f"{r['claim']}/{r['route']}" for r in rows if r["after"]["capped"]]
    failed = [(r["claim"], r["route"], r.get("before_failed"), r.get("after_failed")) for r in rows
              if "before_failed" in r or "after_failed" in r]
    print(f"{len(rows)} checks; worst detectable error after: {fmt_error(worst_after['after']['detects'])} "
          f"({worst_after['claim']}); capped after: {capped or 'none'}; "
          f"capped before: {[r['claim'] for r in rows if r['before']['capped']] or 'none'}; failures: {failed or 'none'}")
    if args.json:
        Path(args.json).write_text(json.dumps({"seed": args.seed, "load": os.getloadavg(), "rows": rows}, indent=1))
    if args.markdown:
        lines = ["| claim | route | before n | before s | before detects | after method | after n | after s | after detects |",
                 "|---|---|---:|---:|---:|---|---:|---:|---:|"]
        for r in rows:
            b, a = r["before"], r["after"]
            lines.append(f"| {r['claim']} | {r['route']} | {b['n']:,}{' (cap)' if b['capped'] else ''} | {b['seconds']:.3f} | "
                         f"{fmt_error(b['detects'])} | {a['method']} | {a['n']:,} | {a['seconds']:.3f} | {fmt_error(a['detects'])} |")
        lines.append(f"| total | | | {totals['before']:.2f} | | | | {totals['after']:.2f} | |")
        Path(args.markdown).write_text("\n".join(lines) + "\n")
    return 1 if failed or capped or worst_after["after"]["detects"] > mc.MIN_DETECTABLE_REL_ERROR else 0


if __name__ == "__main__":
    sys.exit(main())
