"""Reparameterisation vs score-function gradients of E_{N(μ,σ²)}[f]: bias and variance.

The executable specification (the checks, a table and a plot, shipped with the package) is
``derivspec run gradient-estimators``; this benchmark measures more of the same model, in more detail.

    .venv/bin/python benchmarks/reparam_vs_score.py [--seed 0] [--device auto|cpu|cuda]

For f ∈ {z², (z + 0.5)², exp(z/2)} and (μ, σ) ∈ {(1, 0.5), (0.5, 1), (−1, 2)}, each row is one
gradient component (∂μ or ∂σ of E_q[f]) with its closed form (reference_models/gradient_estimators.py;
the check is numerics/elbo.py's ``check_gradient``) and, for each estimator (reparam, score function, score function with a pilot baseline
b ≈ E[f]), the ``monte_carlo_check`` result: mean ± SE, n (sized from a 20,000-draw pilot for a
1e-6 false-fail rate and a 1 % detectable relative error, capped at 2·10⁷), z, and the
per-sample variance s² = SE²·n of that run; last, Var[reparam]/Var[score] and
Var[reparam]/Var[score+b]. A ``*`` after n marks the cap (the detectable error is then coarser
than 1 %; the column "det." gives it for the plain score estimator).
"""

import argparse
import time

from rich.console import Console
from rich.table import Table

from derivspec.reference_models.device import make_generator, resolve_device
from derivspec.numerics.elbo import check_gradient
from derivspec.reference_models.gradient_estimators import COMPONENTS, ESTIMATORS, default_functions
from derivspec.numerics.montecarlo import MAX_SAMPLES

POINTS = [(1.0, 0.5), (0.5, 1.0), (-1.0, 2.0)]
SHORT = {"reparam": "reparam", "score": "score", "score+baseline": "score+b"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--device", default="auto")
    args = parser.parse_args()
    device = resolve_device(args.device)
    if device.type == "cpu":
        from derivspec.reference_models.device import apply_numeric_policy

        apply_numeric_policy()
    table = Table(title=f"∇ E_q\\[f], q = N(μ, σ²): Monte Carlo check of each estimator (device {device})")
    for column in ("f", "(μ, σ)", "∂", "closed form",
                   *(f"{SHORT[k]}: mean ± SE (n, z)" for k in ESTIMATORS),
                   *(f"s² {SHORT[k]}" for k in ESTIMATORS), "det. score", "ratio r/s", "ratio r/s+b"):
        table.add_column(column, justify="right" if column not in ("f", "∂") else "left")
    start, failures, salt = time.perf_counter(), 0, 0
    for fn in default_functions():
        for mu, sigma in POINTS:
            grad = fn.grad(mu, sigma)
            for k, component in enumerate(COMPONENTS):
                cells, variances, detectable = [], {}, None
                for kind in ESTIMATORS:
                    salt += 1
                    r = check_gradient(kind, fn, mu, sigma, component, grad[k],
                                       make_generator(args.seed * 1_000_003 + salt, device))
                    failures += not r.passed
                    cap = "*" if r.n >= MAX_SAMPLES else ""
                    cells.append(f"{r.estimate:.4f} ± {r.stderr:.4f} ({r.n:,}{cap}, {r.z:+.2f})"
                                 + ("" if r.passed else " FAIL"))
                    variances[kind] = r.stderr**2 * r.n
                    if kind == "score":
                        detectable = r.min_detectable_rel_error
                table.add_row(fn.name, f"({mu:g}, {sigma:g})", component, f"{grad[k]:.4f}", *cells,
                              *(f"{variances[kind]:.4g}" for kind in ESTIMATORS), f"{detectable:.1%}",
                              f"{variances['reparam'] / variances['score']:.3f}",
                              f"{variances['reparam'] / variances['score+baseline']:.3f}")
    Console(width=260).print(table)
    print(f"{salt} checks, {failures} failed, {time.perf_counter() - start:.1f} s")


if __name__ == "__main__":
    main()
