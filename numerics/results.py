"""What a numeric check is given (:class:`NumericContext`: the device and the run's seed) and what it returns
(:class:`NumericResult`). Plain data: importing this module imports no torch, so ``verify`` starts without it
(:mod:`numerics.loading`); torch comes with the first check that draws.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import torch

    from derivspec.numerics.montecarlo import MonteCarloResult


class NumericContext:
    """The device and seed of a run's checks. ``device`` is a ``torch.device`` or a name (``auto``, ``cpu``,
    ``cuda``); a name is resolved at the first use of :attr:`device` -- by the first check, which imports
    torch then and applies the numeric policy (derivspec.reference_models.device.apply_numeric_policy) --
    and ``cpu`` is known to be the CPU without importing torch (:attr:`device_type`)."""

    def __init__(self, device: torch.device | str = "auto", seed: int = 0):
        self._device = device
        self.seed = seed

    @property
    def device(self) -> torch.device:
        if isinstance(self._device, str):
            from derivspec.reference_models.device import apply_numeric_policy, resolve_device

            self._device = resolve_device(self._device)
            apply_numeric_policy()
        return self._device

    @property
    def device_type(self) -> str:
        """``cpu`` or ``cuda``; torch is imported only where the device was named ``auto`` or ``cuda``."""
        return "cpu" if self._device == "cpu" else self.device.type

    def generator(self, salt: int = 0) -> torch.Generator:
        from derivspec.reference_models.device import make_generator

        return make_generator(self.seed * 1_000_003 + salt, self.device)

    def __repr__(self) -> str:
        return f"NumericContext(device={self._device!r}, seed={self.seed})"


@dataclass
class NumericResult:
    passed: bool
    method: str
    points: int | None = None
    max_abs_diff: float | None = None
    counterexample: dict | None = None
    monte_carlo: MonteCarloResult | None = None
    detail: str = ""
    seconds: float = 0.0

    def to_json(self) -> dict:
        out = {"passed": self.passed, "method": self.method, "detail": self.detail,
               "seconds": round(self.seconds, 4)}
        if self.points is not None:
            out.update(points=self.points, max_abs_diff=self.max_abs_diff, counterexample=self.counterexample)
        if self.monte_carlo is not None:
            mc = self.monte_carlo.to_json()
            mc["monte_carlo_seconds"] = mc.pop("seconds")  # the shown point's check; "seconds" is the route's
            out.update(mc)
        return out
