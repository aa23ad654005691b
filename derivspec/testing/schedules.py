r"""Diffusion code as libraries write it: a noise schedule (an array of β_1..β_T) and a timestep index.

A DDPM claim is stated in α_t and ᾱ_{t-1} (``ddpm.posterior.mean``); diffusion code takes the schedule
and an integer ``t``, ``betas[t]``, ``alphas_cumprod[t]``. Declared ``schedule`` (``linear`` -- Ho et al.
2020: β from 10⁻⁴ to 0.02 -- , ``cosine`` -- Nichol & Dhariwal 2021: ᾱ(t) = f(t)/f(0),
f(t) = cos²(((t/T) + s)/(1 + s) · π/2), s = 0.008, β clipped at 0.999 -- or an array of betas), each
drawn input is a step s in 1..T (the paper's t) with α_t = 1 - β_s and ᾱ_{t-1} = Π_{r<s} α_r; the
function's parameters named (or mapped by ``args`` to) ``betas``, ``alphas``, ``alphas_cumprod`` get
the arrays and ``t`` the index: s - 1 when the code counts from 0, s from 1 (``index`` declared, or
detected on typical inputs). A function that reads the index one step off is a named slip.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np

from derivspec.core.claims import Claim
from derivspec.testing.errors import ConformanceUsageError

ARRAYS = ("betas", "alphas", "alphas_cumprod")  # what a parameter of the function may be handed
INDEX = "t"
STEPS = 1000  # T of the named schedules unless declared


def linear_betas(steps: int) -> np.ndarray:
    """Ho, Jain and Abbeel (2020): β_t linear from 10⁻⁴ to 0.02 (scaled for T other than 1000)."""
    scale = 1000 / steps
    return np.linspace(scale * 1e-4, scale * 0.02, steps, dtype=np.float64)


def cosine_betas(steps: int, s: float = 0.008) -> np.ndarray:
    """Nichol and Dhariwal (2021), eq. 17: ᾱ(t) = f(t)/f(0), β_t = 1 - ᾱ(t)/ᾱ(t-1) clipped at 0.999."""
    f = [math.cos(((t / steps) + s) / (1 + s) * math.pi / 2) ** 2 for t in range(steps + 1)]
    return np.array([min(1 - f[t] / f[t - 1], 0.999) for t in range(1, steps + 1)], dtype=np.float64)


NAMED = {"linear": linear_betas, "cosine": cosine_betas}


@dataclass(frozen=True)
class Schedule:
    """A schedule: its ``name``, the betas, and the ``base`` of the index the function reads (0, 1, or
    None while it is to be detected)."""

    name: str
    betas: tuple
    base: int | None = None
    detected: bool = False

    @property
    def steps(self) -> int:
        return len(self.betas)

    def array(self, kind: str) -> np.ndarray:
        betas = np.array(self.betas, dtype=np.float64)
        return {"betas": betas, "alphas": 1 - betas, "alphas_cumprod": np.cumprod(1 - betas)}[kind]

    def step_of(self, drawn_alpha: float) -> int:
        """A step 1..T from the value drawn for α_t in (0, 1) (its edges: the first and the last step)."""
        return 1 + min(self.steps - 1, max(0, int(float(drawn_alpha) * self.steps)))

    def values(self, step: int) -> dict | None:
        """α_t and ᾱ_{t-1} at a step (None outside 1..T)."""
        if not 1 <= step <= self.steps:
            return None
        alphas = 1 - np.array(self.betas[:step], dtype=np.float64)
        return {"alpha_t": float(alphas[-1]), "alpha_bar_prev": float(np.prod(alphas[:-1]))}

    def index(self, step: int) -> int:
        return step - 1 if (self.base or 0) == 0 else step

    def describe(self) -> str:
        base = "0-based" if (self.base or 0) == 0 else "1-based"
        return f"schedule {self.name} (T={self.steps}), timestep index {base}" + (" (detected)" if self.detected else "")

    def with_base(self, base: int, detected: bool = False) -> "Schedule":
        return replace(self, base=base, detected=detected)


def schedule_of(claim: Claim | None, schedule, steps: int | None = None, index=None, *,
                law=None) -> Schedule | None:
    """The declared schedule, read and checked for a claim (or a law: ``law``, its parameters); None when
    none is declared."""
    if schedule is None:
        if steps is not None or index is not None:
            raise ConformanceUsageError("steps and index apply with a schedule (linear, cosine or an array of betas)")
        return None
    names = set(law.params) if law is not None else {v.name for v in claim.variables}
    if not {"alpha_t", "alpha_bar_prev"} <= names:
        what = f"law {law.name}" if law is not None else claim.id
        raise ConformanceUsageError(f"a schedule applies to claims and laws in alpha_t and alpha_bar_prev (the ddpm "
                                    f"family); {what} has {', '.join(sorted(names))}")
    if index not in (None, 0, 1, "0", "1"):
        raise ConformanceUsageError(f"index {index!r} is not 0 or 1 (the first timestep's index)")
    base = None if index is None else int(index)
    if isinstance(schedule, str):
        if schedule not in NAMED:
            raise ConformanceUsageError(f"schedule {schedule!r} is not one of {', '.join(NAMED)} (or give the betas "
                                        "as an array)")
        if steps is not None and (not isinstance(steps, int) or steps < 2):
            raise ConformanceUsageError(f"steps must be a whole number >= 2, got {steps!r}")
        return Schedule(schedule, tuple(NAMED[schedule](steps or STEPS).tolist()), base)
    betas = np.asarray(schedule, dtype=np.float64).reshape(-1)
    if betas.size < 2 or not np.all((betas > 0) & (betas < 1)):
        raise ConformanceUsageError("a schedule's betas are an array of at least 2 numbers in (0, 1)")
    return Schedule("given", tuple(betas.tolist()), base)
