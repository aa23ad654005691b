"""What a conformance check returns when the function conforms, and how a result reads as text."""

from __future__ import annotations

from dataclasses import dataclass, field

from derivspec.core.numbers import fmt
from derivspec.testing.errors import NonConformance, _plain


@dataclass
class ConformanceReport:
    """A function that conforms: ``claim``; ``examples`` (inputs the function was checked at, edge
    regions included); ``largest_error`` (the largest |output - target|) with the ``tolerance``
    allowed at that input and ``largest_ratio`` (the largest error / tolerance over all inputs,
    below 1); ``conventions``; ``wrt``; ``called`` (how the function was called); ``dtype`` (the
    floating type it computed in); ``seed``."""

    claim: str
    examples: int
    largest_error: float
    tolerance: float
    largest_ratio: float
    conventions: dict
    wrt: tuple = ()
    called: str = ""
    dtype: str = "float64"
    seed: int = 0
    arguments: dict = field(default_factory=dict)
    rejected: int = 0  # drawn inputs where the target is undefined or beyond the output type's range
    declared: dict = field(default_factory=dict)  # up_to, fix, precision as declared
    affine: object = None  # under up_to: the factor and constant found (declarations.Affine)
    notes: list = field(default_factory=list)  # what the user may want to declare (a batch reduced, ...)
    sizes: dict = field(default_factory=dict)  # the sizes drawn for the claim's vectors (name -> the values drawn)

    @property
    def conforms(self) -> bool:
        return True

    def to_json(self) -> dict:
        return {"claim": self.claim, "conforms": True, "examples": self.examples,
                "largest_error": _plain(self.largest_error), "tolerance": _plain(self.tolerance),
                "largest_ratio": _plain(self.largest_ratio), "conventions": dict(self.conventions),
                "wrt": list(self.wrt), "called": self.called, "dtype": self.dtype, "seed": self.seed,
                "arguments": dict(self.arguments), "rejected": self.rejected,
                "up_to": list(self.declared.get("up_to", [])), "fix": _plain(self.declared.get("fix", {})),
                "precision": self.declared.get("precision"),
                "factor": None if self.affine is None else self.affine.factor,
                "constant": None if self.affine is None else self.affine.constant, "notes": list(self.notes),
                "sizes": {k: list(v) for k, v in self.sizes.items()}}

    def __str__(self) -> str:
        wrt = f" (d/d{', d/d'.join(self.wrt)})" if self.wrt else ""
        conventions = ", ".join(f"{k}={v!r}" for k, v in self.conventions.items())
        return (f"conforms to {self.claim}{wrt}: {self.examples} inputs (edge regions included), largest error "
                f"{fmt(self.largest_error, '.3g', bound=True)} (at most {self.largest_ratio:.2g} of the rounding allowance, "
                f"{fmt(self.tolerance, '.3g', bound=True)} there); {self.dtype}; conventions {conventions}; called with {self.called}"
                + self._declared_text())

    def _declared_text(self) -> str:
        parts = []
        if self.declared.get("up_to"):
            found = self.affine.describe() if self.affine is not None else "the target"
            parts.append(f"up to {' and '.join(self.declared['up_to'])}: the output is {found} at every input")
        if self.declared.get("fix"):
            parts.append("fixed " + ", ".join(f"{k}={v}" for k, v in self.declared["fix"].items()))
        if self.declared.get("schedule"):
            parts.append(self.declared["schedule"])
        if self.declared.get("precision"):
            parts.append(f"at {self.declared['precision']} accuracy")
        if self.sizes:
            parts.append("any size: " + "; ".join(f"{k} drawn from {', '.join(map(str, v))}" for k, v in self.sizes.items()))
        parts += [f"note: {n}" for n in self.notes]
        return "".join(f"\n  {p}" for p in parts)


@dataclass
class LawCheck:
    """One statistical test of a law: what it compares, its statistic, threshold and p-value."""

    name: str
    statistic: float
    threshold: float
    p_value: float
    passed: bool
    detail: str = ""

    def to_json(self) -> dict:
        return {"name": self.name, "statistic": _plain(self.statistic), "threshold": _plain(self.threshold),
                "p_value": _plain(self.p_value), "passed": self.passed, "detail": self.detail}


@dataclass
class DistributionReport:
    """A sampler checked against a law: ``law``, ``n`` draws, ``false_fail`` (the probability that a
    right sampler fails the check), ``detectable`` (the smallest error detected with probability
    ``power_target``), the tests run, and ``power`` against each registered wrong sampler."""

    law: str
    params: dict
    n: int
    false_fail: float
    detectable: str
    power_target: float
    checks: list[LawCheck]
    power: dict[str, float]
    seed: int
    generator: str = "numpy"
    schedule: str = ""  # with a schedule: the schedule and the steps checked

    @property
    def conforms(self) -> bool:
        return all(c.passed for c in self.checks)

    def to_json(self) -> dict:
        return {"law": self.law, "conforms": self.conforms, "params": _plain(self.params), "n": self.n,
                "false_fail": self.false_fail, "detectable": self.detectable, "power_target": self.power_target,
                "checks": [c.to_json() for c in self.checks], "power": _plain(self.power), "seed": self.seed,
                "generator": self.generator, "schedule": self.schedule}

    def __str__(self) -> str:
        lines = [f"conforms to law {self.law}: n = {self.n:,} draws ({self.generator} generator, seed {self.seed}); "
                 f"false-fail rate {self.false_fail:g}; detects {self.detectable} with probability "
                 f"{self.power_target:g}"]
        lines += [f"  {c.name}: statistic {c.statistic:.4g} (threshold {c.threshold:.4g}, p = {c.p_value:.3g})"
                  + (f"; {c.detail}" if c.detail else "") for c in self.checks]
        lines += [f"  power against '{name}': {value:.6f}" for name, value in self.power.items()]
        if self.schedule:
            lines.append(f"  {self.schedule}")
        return "\n".join(lines)


def failure_text(failure: NonConformance) -> str:
    """The failure as the command line prints it (its message)."""
    return str(failure)
