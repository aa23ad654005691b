"""Detectable error at equal wall time: derivspec's Monte Carlo check vs a fixed-tolerance check.

    .venv/bin/python benchmarks/bench_kl_tolerance.py [--seed 0] [--markdown OUT]

The fixed-tolerance check is the one torch's own test suite uses for KL divergences
(test/distributions/test_distributions.py, ``test_kl_monte_carlo``): draw batches of 10,000
samples x ~ p, stop as soon as |mean(log p − log q) − claimed| / (1 + mean) < 0.1, fail after
1e7 samples. derivspec's check (numerics/montecarlo.py) sizes its estimator from a pilot for a
1e-6 false-fail rate and a 1 % relative error detected with probability 0.99, choosing plain,
antithetic, RQMC or control-variate sampling by the pilot's variance, or summing a finite
support exactly.

For each pair: derivspec's method, n, wall time T and detectable relative error; then the
fixed-tolerance check given the same wall time T (as many 10,000-draw batches as fit, at least
one: its samples n_T) and the smallest relative error it detects with probability 0.99,

    (0.1·(1 + KL) + 2.326·SE(n_T)) / KL,

which is generous to it (its early stop can only make it pass more often). "plain MC, same rule
and time" is derivspec's decision rule on those same plain draws (no variance reduction): the
ratio to it is the estimator's own gain. The last columns run
both on a claimed value that is wrong by 1 %: derivspec must reject it; the fixed-tolerance
check, run to its own stopping rule, passes it. Every pair must show a ratio ≥ 10.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import time
from pathlib import Path

import torch
from rich.console import Console
from rich.table import Table
from scipy import integrate, special
from scipy.stats import norm
from torch.distributions import (Bernoulli, Beta, Categorical, Exponential, Gamma, Laplace, MultivariateNormal, Normal,
                                 Uniform, kl_divergence)

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from derivspec.numerics.montecarlo import Integrand, detectable_rel_error, monte_carlo_check  # noqa: E402
from derivspec.numerics.sampling import log_ratio_draws, sample  # noqa: E402
from derivspec.reference_models.device import DTYPE, make_generator  # noqa: E402

PRECISION, BATCH, MAX_SAMPLES = 0.1, 10_000, 10_000_000
CPU = torch.device("cpu")
Z_POWER = float(norm.ppf(0.99))


def t(x):
    return torch.tensor(x, dtype=DTYPE)


def inverse_cdf_pair(p, q, icdf, low=-math.inf, high=math.inf):
    """(sampler, integrand, KL by quadrature) for a 1-D pair drawn by inversion ``icdf(u)``."""
    def log_ratio(x):
        return p.log_prob(x) - q.log_prob(x)

    def sampler(n, generator):
        u = torch.rand(n, generator=generator, dtype=DTYPE).clamp_(2.0 ** -54, 1 - 2.0 ** -53)
        return log_ratio(icdf(u))

    integrand = Integrand(lambda u: log_ratio(icdf(u[:, 0])), dim=1, noise="uniform")

    def density_times_log_ratio(x):
        xt = t(x)
        return float(p.log_prob(xt).exp() * log_ratio(xt))
    kl = integrate.quad(density_times_log_ratio, low, high, limit=400, epsabs=1e-13, epsrel=1e-12)[0]
    return sampler, integrand, kl


def log_ratio_sampler(p, q):
    def sampler(n, generator):
        x = sample(p, n, generator)
        return p.log_prob(x) - q.log_prob(x)
    return sampler


def pairs() -> dict:
    """name -> (sampler for the fixed-tolerance check, derivspec's estimator, KL)."""
    out = {}
    closed = {
        "N(0.3, 1.2²) ‖ N(−0.5, 0.8²)": (Normal(t(0.3), t(1.2)), Normal(t(-0.5), t(0.8))),
        "N(0.5, 1) ‖ N(0, 1)": (Normal(t(0.5), t(1.0)), Normal(t(0.0), t(1.0))),
        "N₂ full covariance pair": (MultivariateNormal(t([0.2, -0.4]), t([[1.0, 0.5], [0.5, 2.0]])),
                                    MultivariateNormal(t([0.0, 0.3]), t([[1.5, -0.3], [-0.3, 1.0]]))),
        "Bern(0.7) ‖ Bern(0.5)": (Bernoulli(probs=t(0.7)), Bernoulli(probs=t(0.5))),
        "Cat(.5,.3,.2) ‖ Cat(.4,.4,.2)": (Categorical(probs=t([0.5, 0.3, 0.2])), Categorical(probs=t([0.4, 0.4, 0.2]))),
    }
    for name, (p, q) in closed.items():
        out[name] = (log_ratio_sampler(p, q), log_ratio_draws(p, q), float(kl_divergence(p, q)))
    # pairs with no Gaussian structure: drawn by inversion, KL by quadrature or torch's registered formula
    lap, wide = Laplace(t(0.0), t(1.0)), Normal(t(0.0), t(1.5))
    out["Laplace(0, 1) ‖ N(0, 1.5²)"] = inverse_cdf_pair(lap, wide, lap.icdf)
    std, lap2 = Normal(t(0.0), t(1.0)), Laplace(t(0.0), t(0.7))
    out["N(0, 1) ‖ Laplace(0, 0.7)"] = inverse_cdf_pair(std, lap2, std.icdf)
    exp1, gam = Exponential(t(1.0)), Gamma(t(2.0), t(2.0))
    sampler, integrand, _ = inverse_cdf_pair(exp1, gam, exp1.icdf, 0.0)
    out["Exp(1) ‖ Gamma(2, 2)"] = (sampler, integrand, float(kl_divergence(exp1, gam)))
    uni, beta = Uniform(t(0.0), t(1.0)), Beta(t(2.0), t(2.0))
    sampler, integrand, _ = inverse_cdf_pair(uni, beta, lambda u: u, 0.0, 1.0)
    out["U(0, 1) ‖ Beta(2, 2)"] = (sampler, integrand, float(kl_divergence(uni, beta)))
    b23, b32 = Beta(t(2.0), t(3.0)), Beta(t(3.0), t(2.0))
    icdf = lambda u: torch.as_tensor(special.betaincinv(2.0, 3.0, u.numpy()), dtype=DTYPE)
    sampler, integrand, _ = inverse_cdf_pair(b23, b32, icdf, 0.0, 1.0)
    out["Beta(2, 3) ‖ Beta(3, 2)"] = (sampler, integrand, float(kl_divergence(b23, b32)))
    return out


def fixed_tolerance_check(sampler, claimed: float, generator, max_samples: int = MAX_SAMPLES,
                          stop_early: bool = True, seconds: float | None = None) -> tuple[bool, int, float, float]:
    """torch test-suite style: 10,000-draw batches until the relative error is below 0.1
    (``stop_early=False``, ``seconds``: batches until that much wall time has passed, at least one).
    Returns (passed, samples, seconds, std of one draw)."""
    start, total, total_sq, n = time.perf_counter(), 0.0, 0.0, 0
    passed = False
    while n < max_samples and (seconds is None or n == 0 or time.perf_counter() - start < seconds):
        x = sampler(BATCH, generator).to(DTYPE)
        total += float(x.sum())
        total_sq += float((x * x).sum())
        n += BATCH
        passed = abs(total / n - claimed) / (1 + total / n) < PRECISION
        if passed and stop_early:
            break
    std = math.sqrt(max(total_sq / n - (total / n) ** 2, 0.0))
    return passed, n, time.perf_counter() - start, std


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--markdown", default=None)
    args = parser.parse_args(argv)
    from derivspec.reference_models.device import apply_numeric_policy

    apply_numeric_policy()
    table = Table(title=f"Equal wall time: derivspec vs torch's fixed-tolerance KL check (load {os.getloadavg()[0]:.2f})")
    columns = ("pair", "KL", "derivspec method", "n", "time s", "detects", "fixed-tol n in that time", "fixed-tol detects",
               "ratio", "plain MC, same rule and time", "estimator gain", "1 % error: derivspec", "1 % error: fixed-tol")
    for column in columns:
        table.add_column(column)
    rows, worst_ratio = [], math.inf
    for name, (sampler, estimator, kl) in pairs().items():
        ours = monte_carlo_check(estimator, kl, make_generator(args.seed, CPU))
        # the fixed-tolerance check for the same wall time (batches until T has passed)
        _, n_fixed, s_fixed, std = fixed_tolerance_check(sampler, kl, make_generator(args.seed + 2, CPU),
                                                         stop_early=False, seconds=ours.seconds)
        fixed_detects = (PRECISION * (1 + kl) + Z_POWER * std / math.sqrt(n_fixed)) / kl
        ratio = fixed_detects / ours.min_detectable_rel_error
        # the estimator's own gain: plain draws with derivspec's decision rule in the same time
        plain_detects = detectable_rel_error(std, kl, n_fixed)
        worst_ratio = min(worst_ratio, ratio)
        wrong = 1.01 * kl
        ours_caught = not monte_carlo_check(estimator, wrong, make_generator(args.seed + 3, CPU)).passed
        fixed_passed = fixed_tolerance_check(sampler, wrong, make_generator(args.seed + 4, CPU))[0]
        detects = f"{ours.min_detectable_rel_error:.2%}" if ours.min_detectable_rel_error >= 1e-4 else \
            f"{ours.min_detectable_rel_error:.1e}"
        row = (name, f"{kl:.4f}", ours.method, f"{ours.n:,}", f"{ours.seconds:.4f}", detects,
               f"{n_fixed:,} ({s_fixed:.4f} s)", f"{fixed_detects:.1%}", f"{ratio:,.3g}×", f"{plain_detects:.2%}",
               f"{plain_detects / ours.min_detectable_rel_error:,.3g}×",
               "caught" if ours_caught else "MISSED", "missed (passed)" if fixed_passed else "caught")
        rows.append(row)
        table.add_row(*row)
    Console(width=220).print(table)
    print(f"smallest ratio (fixed-tolerance detectable / derivspec detectable at equal time): {worst_ratio:,.3g}×")
    if args.markdown:
        lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
        lines += ["| " + " | ".join(r) + " |" for r in rows]
        Path(args.markdown).write_text("\n".join(lines) + "\n")
    return 0 if worst_ratio >= 10 else 1


if __name__ == "__main__":
    sys.exit(main())
