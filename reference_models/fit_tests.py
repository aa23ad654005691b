"""Goodness-of-fit and two-sample tests for the executable specifications.

Every test states its false-fail rate α (the probability that it rejects a true statement) and
returns the statistic, the threshold it was compared with and n, so ``derivspec run --json``
can print them. :func:`power` states the other half: the fraction of rejections over fresh
replicates drawn from a named alternative (with a one-sided 95 % Clopper–Pearson lower bound).

- :func:`ks_test`: one-sample Kolmogorov–Smirnov, D = sup |F_n − F| against the exact critical
  value of scipy's ``kstwo`` (continuous F).
- :func:`mmd_test`: two-sample permutation test on the unbiased MMD² with a Gaussian kernel
  (bandwidth: the median pairwise distance of the pooled sample); the p-value
  (1 + #{permuted ≥ observed}) / (B + 1) is exact for any distribution, so α ≥ 1 / (B + 1).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

import numpy as np
import torch
from torch import Tensor

from derivspec.core.lazy import lazy
from derivspec.core.numbers import fmt

stats = lazy("scipy.stats")


@dataclass(frozen=True)
class TestOutcome:
    """A test's statistic against its threshold: ``passed`` when statistic ≤ threshold."""

    test: str
    statistic: float
    threshold: float
    n: int
    false_fail_rate: float

    @property
    def passed(self) -> bool:
        return bool(self.statistic <= self.threshold)

    def describe(self) -> str:
        return (f"{self.test}: {fmt(self.statistic, '.4g')} vs threshold {fmt(self.threshold, '.4g')}, n = {self.n:,}, "
                f"false-fail rate {fmt(self.false_fail_rate, 'g')}")

    def to_json(self) -> dict:
        return {"test": self.test, "statistic": self.statistic, "threshold": self.threshold, "n": self.n,
                "false_fail_rate": self.false_fail_rate}


@dataclass(frozen=True)
class Power:
    """Rejections of a test over ``replicates`` fresh samples of a named alternative."""

    alternative: str
    rejected: int
    replicates: int

    @property
    def power(self) -> float:
        return self.rejected / self.replicates

    @property
    def lower_bound(self) -> float:
        """One-sided 95 % Clopper–Pearson lower bound on the power."""
        if self.rejected == 0:
            return 0.0
        return float(stats.beta.ppf(0.05, self.rejected, self.replicates - self.rejected + 1))

    def describe(self) -> str:
        return (f"power {fmt(self.power, '.2f')} ({self.rejected}/{self.replicates}, ≥ {fmt(self.lower_bound, '.2f')} at 95 %) "
                f"against {self.alternative}")

    def to_json(self) -> dict:
        return {"alternative": self.alternative, "power": self.power, "rejected": self.rejected,
                "replicates": self.replicates, "power_lower_bound": self.lower_bound}


def _check_rate(false_fail_rate: float) -> None:
    if not 0 < false_fail_rate < 1 or math.isnan(false_fail_rate):
        raise ValueError(f"false-fail rate must lie in (0, 1), got {false_fail_rate}")


def ks_test(samples: Tensor, cdf: Callable[[np.ndarray], np.ndarray], false_fail_rate: float = 1e-3) -> TestOutcome:
    """One-sample KS test of ``samples`` (shape (n,)) against the continuous cdf ``cdf``."""
    _check_rate(false_fail_rate)
    x = samples.detach().to(torch.float64).cpu().numpy().ravel()
    if not np.isfinite(x).all():
        return TestOutcome("KS one-sample", math.inf, 0.0, x.size, false_fail_rate)
    result = stats.kstest(x, cdf)
    threshold = float(stats.kstwo.ppf(1 - false_fail_rate, x.size))
    return TestOutcome("KS one-sample", float(result.statistic), threshold, x.size, false_fail_rate)


def _mmd2(k: Tensor, m: int) -> Tensor:
    """Unbiased MMD² of the first ``m`` rows against the rest, from the pooled kernel matrix."""
    n = k.shape[0] - m
    kxx, kyy, kxy = k[:m, :m], k[m:, m:], k[:m, m:]
    return ((kxx.sum() - kxx.diagonal().sum()) / (m * (m - 1)) + (kyy.sum() - kyy.diagonal().sum()) / (n * (n - 1))
            - 2 * kxy.mean())


PERMUTATION_BATCH = 256  # permutations whose MMD² one pair of matrix products computes (memory: batch × N floats)


def _permuted_mmd2(k: Tensor, m: int, orders: Tensor) -> list[float]:
    """:func:`_mmd2` of ``k[order][:, order]`` for each row ``order`` of ``orders`` -- without building the permuted
    matrices: with s the indicator of the first ``m`` positions of a permutation (the rows it sends to the first
    sample) and t = 1 − s, the blocks' sums are sᵀKs, tᵀKt and sᵀKt and their diagonals s·diag K and t·diag K, so a
    batch of permutations is two matrix products (the same statistic up to rounding, ~1e-15 relative)."""
    n_all = k.shape[0]
    n = n_all - m
    diagonal = k.diagonal()
    values: list[float] = []
    for start in range(0, orders.shape[0], PERMUTATION_BATCH):
        chunk = orders[start:start + PERMUTATION_BATCH]
        s = torch.zeros((chunk.shape[0], n_all), dtype=k.dtype)
        s.scatter_(1, chunk[:, :m], 1.0)
        t = 1.0 - s
        ks, kt = s @ k, t @ k
        kxx = (ks * s).sum(1) - s @ diagonal
        kyy = (kt * t).sum(1) - t @ diagonal
        kxy = (ks * t).sum(1)
        values += (kxx / (m * (m - 1)) + kyy / (n * (n - 1)) - 2 * kxy / (m * n)).tolist()
    return values


def mmd_test(x: Tensor, y: Tensor, generator: torch.Generator, false_fail_rate: float = 0.01,
             permutations: int = 199) -> TestOutcome:
    """Permutation two-sample test that ``x`` and ``y`` (rows are draws) come from one distribution.

    It rejects when the permutation p-value (1 + #{MMD²_perm ≥ MMD²}) / (B + 1) is ≤ α:
    ``statistic`` is the observed MMD², ``threshold`` the permutation order statistic it must not
    exceed."""
    _check_rate(false_fail_rate)
    if false_fail_rate * (permutations + 1) < 1:
        raise ValueError(f"{permutations} permutations cannot give a false-fail rate of {false_fail_rate}")
    a = x.detach().to(torch.float64).reshape(x.shape[0], -1).cpu()
    b = y.detach().to(torch.float64).reshape(y.shape[0], -1).cpu()
    n = a.shape[0] + b.shape[0]
    if not (torch.isfinite(a).all() and torch.isfinite(b).all()):
        return TestOutcome("MMD² permutation", math.inf, 0.0, n, false_fail_rate)
    pooled = torch.cat([a, b])
    distances = torch.cdist(pooled, pooled)
    bandwidth = float(distances[distances > 0].median()) if (distances > 0).any() else 1.0
    k = torch.exp(-distances.pow(2) / (2 * bandwidth ** 2))
    m = a.shape[0]
    observed = float(_mmd2(k, m))
    cpu = torch.Generator().manual_seed(int(torch.randint(0, 2 ** 62, (1,), generator=generator, device=generator.device)))
    orders = torch.stack([torch.randperm(n, generator=cpu) for _ in range(permutations)])  # the draws, in order
    permuted = _permuted_mmd2(k, m, orders)
    # p = (1 + c) / (B + 1) with c = #{permuted ≥ observed}; it rejects iff c ≤ α (B + 1) − 1,
    # i.e. iff observed exceeds the (⌊α (B + 1)⌋)-th largest permuted value
    allowed = math.floor(false_fail_rate * (permutations + 1)) - 1
    threshold = sorted(permuted, reverse=True)[allowed]
    return TestOutcome("MMD² permutation", observed, threshold, n, false_fail_rate)


def power(run_test: Callable[[int], TestOutcome], alternative: str, replicates: int) -> Power:
    """Run ``run_test(replicate)`` on ``replicates`` fresh samples of ``alternative``; count rejections."""
    rejected = sum(not run_test(r).passed for r in range(replicates))
    return Power(alternative, rejected, replicates)
