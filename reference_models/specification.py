"""Executable specifications: a reference model run the way a lecture states it.

A specification is registered beside its reference model, in the same module, with::

    @specification("ddpm", "DDPM: schedules, forward process, a toy sampler", family="ddpm",
                   statements="q(x_t | x_0) = N(√ᾱ_t x_0, (1 − ᾱ_t) I) (004 L3363–3367) ...", steps=4)
    def run_ddpm(ctx: RunContext) -> SpecResult:
        ...

It returns a :class:`SpecResult`: tables, the checks (each a statement, whether it holds and the
evidence) and, where a picture says more, PNG plots. The registry (:mod:`derivspec.core.registry`)
keeps the specifications with the claims and routes, so ``derivspec run``, the report and the docs
read one list; :func:`load_specifications` imports every reference model so they register.
``quick`` runs a smaller version (fewer draws, fewer training steps) whose checks keep their
stated false-fail rates but detect only larger errors.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from derivspec.core.numbers import fmt  # noqa: F401 (table cells; re-exported for the models)
from derivspec.core.registry import REGISTRY, Registry, SpecRecord, import_all
from derivspec.reference_models.device import make_generator
from derivspec.reference_models.fit_tests import Power, TestOutcome


@dataclass
class ResultTable:
    title: str
    columns: tuple[str, ...]
    rows: list[tuple]

    def to_json(self) -> dict:
        return {"title": self.title, "columns": list(self.columns), "rows": [list(map(str, r)) for r in self.rows]}


@dataclass
class Check:
    """A statement the specification makes executable, whether it held, and the evidence;
    for a statistical check, its test (statistic, threshold, n, false-fail rate) and its power
    against a named alternative (:mod:`derivspec.reference_models.fit_tests`)."""

    statement: str
    holds: bool
    evidence: str
    test: TestOutcome | None = None
    power: Power | None = None

    @classmethod
    def tested(cls, statement: str, test: TestOutcome, power: Power) -> "Check":
        """A check decided by ``test`` (it holds when the test passes), its evidence the test's and
        the power's descriptions."""
        return cls(statement, test.passed, f"{test.describe()}; {power.describe()}", test, power)

    def to_json(self) -> dict:
        """One schema for every check: the test's and the power's fields are null when it has none."""
        out = {"statement": self.statement, "holds": self.holds, "evidence": self.evidence}
        out.update(self.test.to_json() if self.test is not None else dict.fromkeys(TEST_FIELDS))
        out.update(self.power.to_json() if self.power is not None else dict.fromkeys(POWER_FIELDS))
        return out


TEST_FIELDS = ("test", "statistic", "threshold", "n", "false_fail_rate")  # TestOutcome.to_json's keys
POWER_FIELDS = ("alternative", "power", "rejected", "replicates", "power_lower_bound")  # Power.to_json's keys


@dataclass
class Figure:
    path: Path
    caption: str

    def to_json(self) -> dict:
        return {"path": str(self.path), "caption": self.caption}


@dataclass
class SpecResult:
    spec: str
    device: str
    seed: int
    quick: bool
    tables: list[ResultTable] = field(default_factory=list)
    checks: list[Check] = field(default_factory=list)
    figures: list[Figure] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def passed(self) -> bool:
        return all(c.holds for c in self.checks)

    def to_json(self) -> dict:
        return {"spec": self.spec, "passed": self.passed, "device": self.device, "seed": self.seed,
                "quick": self.quick, "seconds": round(self.seconds, 2),
                "checks": [c.to_json() for c in self.checks], "tables": [t.to_json() for t in self.tables],
                "figures": [f.to_json() for f in self.figures]}


class RunContext:
    """What a specification gets: device, seed, where plots go (None: no plots), quick mode, and
    ``step`` to mark the start of each of its ``steps`` stages (drives the progress bar)."""

    def __init__(self, device, seed: int = 0, out: Path | None = None, quick: bool = False,
                 step: Callable[[str], None] | None = None):
        self.device = device
        self.seed = seed
        self.out = Path(out) if out is not None else None
        self.quick = quick
        self._step = step or (lambda description: None)

    def step(self, description: str) -> None:
        self._step(description)

    def generator(self, salt: int = 0):
        """A generator seeded from the run's seed and ``salt`` (one per independent stream)."""
        return make_generator(self.seed * 1_000_003 + salt, self.device)

    def figure_path(self, name: str) -> Path | None:
        if self.out is None:
            return None
        self.out.mkdir(parents=True, exist_ok=True)
        return self.out / name

    def result(self, name: str) -> SpecResult:
        """An empty result of specification ``name`` for this run."""
        return SpecResult(name, self.device.type, self.seed, self.quick)


def specification(name: str, title: str, *, family: str, statements: str, steps: int, report: str = "never",
                  registry: Registry = REGISTRY):
    """Register ``function(ctx: RunContext) -> SpecResult`` as the executable specification ``name``.

    ``family``: the claim family whose statements it makes executable (the report shows it there);
    ``statements``: those statements with their seed lines; ``steps``: its progress stages;
    ``report``: whether the report runs it for its plots (``"always"``, ``"full"``: not under
    ``--quick``, ``"never"``)."""

    def register(function):
        module = function.__module__.rsplit(".", 1)[-1]
        registry.add_spec(SpecRecord(name, title, family, module, statements, steps, report, function))
        return function

    return register


def load_specifications(registry: Registry = REGISTRY) -> Registry:
    """Import every reference model (their decorators register their specifications)."""
    if not registry.specs_loaded:
        import_all(__package__, registry.import_errors)
        registry.specs_loaded = True
    return registry


# --- helpers for the specifications' plots and tables -------------------------------------------


def pyplot():
    """matplotlib's pyplot on the Agg backend (files only, no display)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def save_figure(fig, path: Path, caption: str, result: SpecResult, dpi: int = 110) -> None:
    fig.savefig(path, dpi=dpi)
    pyplot().close(fig)
    result.figures.append(Figure(path, caption))


def mean_se(values) -> tuple[float, float]:
    """Mean and standard error of a 1-d tensor."""
    return float(values.mean()), float(values.std(unbiased=True)) / math.sqrt(values.numel())
