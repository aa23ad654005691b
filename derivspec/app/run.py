"""``derivspec run [MODEL]``: the reference models as executable specifications.

Each specification is registered beside its reference model
(:mod:`derivspec.reference_models.specification`); this module runs them with progress on stderr
and prints their tables and checks::

    derivspec run --list                           # list the specifications (also: derivspec run)
    derivspec run ddpm --device cpu --seed 1       # run one: progress on stderr, table, plot file
    derivspec run mixture-fit --out figures --json # every check's statistic, threshold, n, rate, power
    derivspec run --all --quick                    # every one (also: derivspec run all), "[n/N] name" on stderr

The same specifications make the report's plots (``derivspec report``) and back benchmark scripts
(``benchmarks/plot_forward_reverse_kl.py``).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from derivspec.core.errors import EXIT_FAILED, EXIT_OK
from derivspec.core.registry import REGISTRY, SpecRecord


def specifications() -> list[SpecRecord]:
    """Every registered specification (imports the reference models; a model that fails to
    import is named on stderr and its specification is missing)."""
    from derivspec.reference_models.specification import load_specifications

    registry = load_specifications()
    for message in registry.import_errors:
        if ".reference_models." in message:
            print(f"derivspec: warning: {message}", file=sys.stderr)
    return registry.specs()


def get_spec(name: str) -> SpecRecord:
    """The specification ``name`` (an unknown name is bad input, exit 2, with close matches)."""
    from derivspec.reference_models.specification import load_specifications

    return load_specifications().spec(name)


# --- the command ------------------------------------------------------------------------------


def run_spec(name: str, device="auto", seed: int = 0, out: Path | None = None, quick: bool = False,
             progress: bool = True):
    """Run one specification with a progress bar on stderr (when stderr is a terminal; lines
    otherwise); returns its ``SpecResult``."""
    from derivspec.reference_models.device import apply_numeric_policy, resolve_device
    from derivspec.reference_models.specification import RunContext

    chosen = get_spec(name)
    device = resolve_device(device) if isinstance(device, str) else device
    apply_numeric_policy()
    start = time.perf_counter()
    with _Progress(chosen, enabled=progress) as bar:
        result = chosen.run(RunContext(device, seed, out, quick, step=bar.step))
    result.seconds = time.perf_counter() - start
    return result


class _Progress:
    def __init__(self, chosen: SpecRecord, enabled: bool):
        from rich.console import Console

        self.spec, self.enabled = chosen, enabled
        self.console = Console(file=sys.stderr, highlight=False)
        self.done = 0
        self.progress = None

    def __enter__(self):
        if self.enabled and self.console.is_terminal:
            from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

            self.progress = Progress(TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed}/{task.total}"),
                                     TimeElapsedColumn(), console=self.console, transient=True)
            self.progress.start()
            self.task = self.progress.add_task(self.spec.name, total=self.spec.steps)
        return self

    def step(self, description: str) -> None:
        if self.progress is not None:
            if self.done:
                self.progress.advance(self.task)
            self.progress.update(self.task, description=f"{self.spec.name}: {description}")
        elif self.enabled:
            print(f"{self.spec.name} [{self.done + 1}/{self.spec.steps}] {description}", file=sys.stderr, flush=True)
        self.done += 1

    def __exit__(self, *exc):
        if self.progress is not None:
            self.progress.stop()
        return False


def run_command(args) -> int:
    """``derivspec run [MODEL | all] [--list | --all] [--device] [--seed] [--out] [--quick] [--json]``."""
    from derivspec.app.output import print_json, say, table
    from derivspec.core.errors import ParameterError
    from derivspec.reference_models.device import resolve_device

    if args.model and (args.list or args.all):
        raise ParameterError(f"--{'list' if args.list else 'all'} takes no MODEL, found {args.model!r}")
    if args.list or not (args.model or args.all):
        print_listing(args.json, print_json, table)
        return EXIT_OK
    names = [s.name for s in specifications()] if args.all or args.model == "all" else [args.model]
    for name in names:
        get_spec(name)  # an unknown name is bad input before anything runs
    device = resolve_device(args.device)  # --device cuda without CUDA: bad input before anything runs
    from derivspec.app.paths import output_folder

    output_folder(args.out, "--out")  # the plots' folder: a bad one is bad input before anything runs
    results = []
    for i, name in enumerate(names, 1):
        if len(names) > 1:
            print(f"derivspec run: [{i}/{len(names)}] {name}", file=sys.stderr, flush=True)
        results.append(run_spec(name, device, args.seed, Path(args.out), args.quick))
    if args.json:
        from derivspec.core.metadata import run_metadata

        print_json({"meta": run_metadata(args.seed, results[0].device), "runs": [r.to_json() for r in results]})
    else:
        for r in results:
            print_result(r, table, say)
    return EXIT_OK if all(r.passed for r in results) else EXIT_FAILED


def print_listing(as_json: bool, print_json, table) -> None:
    """Every registered specification: name, title, family, module (and statements in JSON)."""
    if as_json:
        print_json({"models": [{"name": s.name, "title": s.title, "family": s.family, "steps": s.steps,
                                "report": s.report, "module": f"reference_models/{s.module}.py",
                                "statements": s.statements} for s in specifications()]})
    else:
        table("derivspec reference models (run one: derivspec run MODEL; every one: derivspec run --all)",
              ("model", "what it runs", "family", "module"),
              [(s.name, s.title, s.family, f"reference_models/{s.module}.py") for s in specifications()])


def print_result(result, table, say) -> None:
    """A run's text: what it makes executable, its tables (derivspec.app.output.table) and checks, its plots --
    each line within the width."""
    from derivspec.app.output import wrapped

    chosen = REGISTRY.spec(result.spec)
    say(wrapped(f"{chosen.name} — {chosen.title}  (reference_models/{chosen.module}.py, device {result.device}, "
                f"seed {result.seed}{', quick' if result.quick else ''})"))
    say(wrapped(f"makes executable: {chosen.statements}"))
    for t in result.tables:  # a results table's first column is a label: cut where the numbers need the room
        table(t.title, t.columns, t.rows, keep=())
    for c in result.checks:
        say(wrapped(f"  [{'holds' if c.holds else 'FAILS'}] {c.statement}" + (f" — {c.evidence}" if c.evidence else "")))
        if c.test is not None:
            say(wrapped(f"      {c.test.describe()}"))
        if c.power is not None:
            say(wrapped(f"      {c.power.describe()}"))
    for f in result.figures:
        say(wrapped(f"  plot: {f.path}"))
    say(f"{sum(c.holds for c in result.checks)}/{len(result.checks)} checks hold; {result.seconds:.1f}s")
