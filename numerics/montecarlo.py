r"""Monte Carlo comparison with a stated false-fail rate and detectable error (DESIGN.md).

A check compares a claimed value :math:`c` with the mean of an estimator :math:`X` sampled
by torch. With :math:`\hat\mu_n` the sample mean and :math:`\widehat{\mathrm{SE}} = s/\sqrt n`,

.. math::  z = (\hat\mu_n - c)/\widehat{\mathrm{SE}}, \qquad \text{fail if } |z| > z_{1-\alpha/2}.

If the claim is right the check fails with probability :math:`\alpha` (the false-fail rate,
1e-6 by default; CLT approximation, so the estimator needs finite variance). The sample size
comes from a pilot run: to detect a relative error :math:`\delta` with probability
``DETECTION_POWER``,

.. math::  n = \left\lceil \left( \frac{(z_{1-\alpha/2} + z_{\text{power}})\, s}{\delta\,|\mu|} \right)^2 \right\rceil .

Each check gets its own ``torch.Generator``: a run is reproducible from its seed.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Callable, Iterable

import torch
from scipy.special import ndtri  # the standard normal quantile (what scipy.stats.norm.ppf calls)

FALSE_FAIL_RATE = 1e-6  # per check: a correct claim fails about once in a million runs
MIN_DETECTABLE_REL_ERROR = 0.01  # a 1 % relative error is detected ...
DETECTION_POWER = 0.99  # ... with probability at least 0.99
PILOT_SAMPLES = 20_000
MAX_SAMPLES = 20_000_000  # beyond this the check reports the (coarser) error it can detect
CHUNK = 1_000_000

SampleFn = Callable[[int, torch.Generator], torch.Tensor]


def critical_z(false_fail_rate: float) -> float:
    """Two-sided critical value: P(|Z| > z) = false_fail_rate."""
    return float(-ndtri(false_fail_rate / 2))


def _z_total(false_fail_rate: float, power: float) -> float:
    """Critical value plus the power quantile: the shift a detectable error must produce."""
    return critical_z(false_fail_rate) + float(ndtri(power))


def required_samples(std: float, scale: float, rel_error: float,
                     false_fail_rate: float = FALSE_FAIL_RATE, power: float = DETECTION_POWER) -> int:
    """n such that a relative error ``rel_error`` of ``scale`` is detected with ``power``."""
    return max(1, math.ceil((_z_total(false_fail_rate, power) * std / (rel_error * scale)) ** 2))


def detectable_rel_error(std: float, scale: float, n: int,
                         false_fail_rate: float = FALSE_FAIL_RATE, power: float = DETECTION_POWER) -> float:
    """The smallest relative error that ``n`` samples detect with ``power``."""
    return _z_total(false_fail_rate, power) * std / (math.sqrt(n) * scale)


@dataclass
class MonteCarloResult:
    n: int
    estimate: float
    stderr: float
    expected: float
    z: float
    z_critical: float
    false_fail_rate: float
    min_detectable_rel_error: float
    pilot_n: int
    seconds: float

    @property
    def passed(self) -> bool:
        return math.isfinite(self.z) and abs(self.z) <= self.z_critical

    def to_json(self) -> dict:
        return {
            "n": self.n, "estimate": self.estimate, "stderr": self.stderr, "expected": self.expected,
            "z": self.z, "z_critical": self.z_critical, "false_fail_rate": self.false_fail_rate,
            "min_detectable_rel_error": self.min_detectable_rel_error, "pilot_n": self.pilot_n,
            "seconds": self.seconds,
        }


def _moments(sample_fn: SampleFn, n: int, generator: torch.Generator) -> tuple[float, float]:
    """Mean and unbiased variance of n draws, accumulated in float64 chunks."""
    total, total_sq, done = 0.0, 0.0, 0
    shift = None
    while done < n:
        batch = sample_fn(min(CHUNK, n - done), generator).to(torch.float64)
        if shift is None:
            shift = float(batch[0])  # shifted sums keep the variance accurate
        centred = batch - shift
        total += float(centred.sum())
        total_sq += float((centred * centred).sum())
        done += batch.numel()
    mean = total / n
    variance = max(total_sq / n - mean * mean, 0.0) * n / max(n - 1, 1)
    return mean + shift, variance


def monte_carlo_check(sample_fn: SampleFn, expected: float, generator: torch.Generator, *,
                      false_fail_rate: float = FALSE_FAIL_RATE,
                      min_rel_error: float = MIN_DETECTABLE_REL_ERROR,
                      power: float = DETECTION_POWER,
                      scale: float | None = None,
                      pilot_n: int = PILOT_SAMPLES, max_n: int = MAX_SAMPLES) -> MonteCarloResult:
    """Compare ``expected`` with the mean of ``sample_fn`` draws.

    ``sample_fn(n, generator)`` returns n i.i.d. draws of an estimator of the quantity.
    ``scale`` is what the relative error is relative to (default: |pilot mean|); n is set
    from the pilot, never from ``expected``, so a wrong claim cannot shrink its own test.
    """
    start = time.perf_counter()
    pilot_mean, pilot_var = _moments(sample_fn, pilot_n, generator)
    if not (math.isfinite(pilot_mean) and math.isfinite(pilot_var)):
        # a non-finite draw (log of a negative, overflow): the estimator is broken; fail
        return MonteCarloResult(
            n=pilot_n, estimate=pilot_mean, stderr=math.nan, expected=float(expected), z=math.inf,
            z_critical=critical_z(false_fail_rate), false_fail_rate=false_fail_rate,
            min_detectable_rel_error=math.inf, pilot_n=pilot_n, seconds=time.perf_counter() - start)
    reference = scale if scale is not None else max(abs(pilot_mean), 1e-12)
    n = min(max_n, max(pilot_n, required_samples(math.sqrt(pilot_var), reference, min_rel_error,
                                                   false_fail_rate, power)))
    mean, variance = _moments(sample_fn, n, generator)
    stderr = math.sqrt(variance / n)
    if stderr > 0:
        z = (mean - expected) / stderr
    else:
        z = 0.0 if mean == expected else math.inf
    if not math.isfinite(expected):
        z = math.inf
    return MonteCarloResult(
        n=n, estimate=mean, stderr=stderr, expected=float(expected), z=z,
        z_critical=critical_z(false_fail_rate), false_fail_rate=false_fail_rate,
        min_detectable_rel_error=detectable_rel_error(math.sqrt(variance), reference, n, false_fail_rate, power),
        pilot_n=pilot_n, seconds=time.perf_counter() - start)


def observed_false_fail_rate(run_check: Callable[[int], MonteCarloResult], seeds: Iterable[int]) -> tuple[int, int]:
    """Calibration: run a check of a true claim over many seeds; return (failures, runs)."""
    results = [run_check(seed).passed for seed in seeds]
    return results.count(False), len(results)
