r"""Monte Carlo comparison with a stated false-fail rate and detectable error (DESIGN.md).

A check compares a claimed value :math:`c` with the mean of an estimator sampled by torch.
The estimator is drawn in i.i.d. *units* (one draw, an antithetic pair, or one randomised
quasi-Monte Carlo replicate); with :math:`\hat\mu` their mean and :math:`\widehat{\mathrm{SE}}`
its standard error,

.. math::  t = (\hat\mu - c)/\widehat{\mathrm{SE}}, \qquad \text{fail if } |t| > q_{1-\alpha/2}

where :math:`q` is the standard normal quantile (many units: CLT) or Student's t with
``units − 1`` degrees of freedom (RQMC replicates). If the claim is right the check fails with
probability :math:`\alpha` (the false-fail rate, 1e-6 by default). The number of units comes
from a pilot run, never from the claimed value: to detect a relative error :math:`\delta` with
probability ``DETECTION_POWER``,

.. math::  n = \left\lceil \left( \frac{(q_{1-\alpha/2} + q_{\text{power}})\, s}{\delta\,|\mu|} \right)^2 \right\rceil

(times ``SIZING_MARGIN``; when the main run's own standard deviation shows it fell short, it is
topped up, at most ``MAX_TOP_UPS`` times, so a check reports the error it was asked to detect
unless it reaches ``MAX_SAMPLES``).

A route may return a plain sampler ``draw(n, generator)`` (n i.i.d. draws), or an
:class:`Integrand` -- the estimator written as a function of uniforms, ``E[f(U)]`` with
``U ~ Uniform(0, 1)^dim``. From an integrand the check chooses, per check, the estimator with the
smallest variance per evaluation measured on a pilot (the choice never looks at the claimed
value):

* ``plain`` -- i.i.d. uniforms;
* ``antithetic`` -- the pair (f(u) + f(1 − u))/2, one unit;
* ``rqmc`` -- randomised Sobol points: one linear matrix scramble per run (torch
  ``SobolEngine``, seeded from the check's generator), and each replicate the same scrambled
  points under its own independent uniform digital shift (an XOR of a random 30-bit word per
  dimension). Every shifted point is uniform, so each replicate's mean is unbiased; given the
  scramble the replicates are i.i.d., so the error bar is the replicates' spread (Student t,
  ``units − 1`` degrees of freedom) and the test is valid conditionally on the scramble, hence
  also unconditionally. At least ``RQMC_REPLICATES`` (1024) replicates: a replicate's mean can be
  strongly skewed (a heavy tail that few points meet), and at a 1e-6 false-fail rate a t test on
  few skewed units is far from its nominal rate;
* each of these with **control variates** (``+cv``): controls whose means come from
  ``torch.distributions`` (the noise ε = Φ⁻¹(u): ε and ε² with Normal(0, 1)'s mean and variance;
  uniform noise: u and u² with Uniform(0, 1)'s), or controls the route supplies with means from
  an independent source -- never the claim's derived target. The coefficients are fitted on the
  pilot and held fixed in the main run, so the main run's units stay i.i.d. and unbiased and
  the plain error bar is valid;
* ``exact`` -- when the route gives the finite support of the estimator (Bernoulli,
  categorical, discrete latents), the expectation is the weighted sum over it: deterministic,
  compared within float64 round-off (``ROUNDOFF_REL`` of the mean absolute value).

Each check gets its own ``torch.Generator``: a run is reproducible from its seed, and the
choice of estimator depends on the pilot's draws only (counts of evaluations, never timings).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Callable, Iterable, Sequence

import torch
from torch.distributions import Normal, Uniform

from derivspec.core.lazy import lazy

ndtri, stdtrit = lazy("scipy.special", "ndtri"), lazy("scipy.special", "stdtrit")  # normal and Student-t quantiles (what scipy.stats calls)

FALSE_FAIL_RATE = 1e-6  # per check: a correct claim fails about once in a million runs
MIN_DETECTABLE_REL_ERROR = 0.01  # a 1 % relative error is detected ...
DETECTION_POWER = 0.99  # ... with probability at least 0.99
PILOT_SAMPLES = 20_000  # pilot of a plain sampler (a route that returns draw(n, generator))
MIN_SAMPLES = 20_000  # evaluations in the main run of an integrand, at least (CLT at the 1e-6 tail)
MAX_SAMPLES = 20_000_000  # beyond this the check reports the (coarser) error it can detect
CHUNK = 1_000_000  # values per batch on the CPU (an integrand: CHUNK // dim points) ...
CUDA_CHUNK = 2 ** 24  # ... and on a GPU, where a batch is one set of kernel launches
SIZING_MARGIN = 1.1  # units = margin x the pilot's estimate, so the main run rarely falls short ...
MAX_TOP_UPS = 2  # ... and when its own variance says it did, it is topped up (at most twice)
ROUNDOFF_REL = 1e-10  # float64 round-off floor of a standard error, relative to the mean |value|

# Choosing the estimator of an integrand: each candidate's pilot has SELECTION_PILOT evaluations
# (RQMC: RQMC_PILOT_REPLICATES replicates of SELECTION_PILOT // RQMC_PILOT_REPLICATES points).
SELECTION_PILOT = 4096
RQMC_PILOT_REPLICATES = 128  # (4096 evaluations: 32 points per replicate, as the smallest main run)
RQMC_REPLICATES = 1024  # main run, at least: the t test's tail holds for skewed replicate means
RQMC_MIN_POINTS = 32  # points per replicate, at least (a power of 2: Sobol nets balance there)
RQMC_MAX_DIM = 64  # beyond this many uniforms RQMC is not tried
MAX_GENERIC_CONTROLS_DIM = 8  # up to this many noise dimensions: ε_j and ε_j² each; beyond, their sums
MAX_PRODUCT_CONTROLS_DIM = 6  # up to this many: also ε_i ε_j (so any quadratic in the noise is exact)
ESCALATE_SAMPLES = 2 ** 21  # a first choice that needs more evaluations than this is made again ...
ESCALATED_PILOT_MAX = 2 ** 19  # ... on pilots of an eighth of that (at most this many per candidate)
METHODS = ("plain", "antithetic", "rqmc", "plain+cv", "antithetic+cv", "rqmc+cv")

# Control means from an independent source: torch.distributions' moments of the noise.
_NORMAL, _UNIFORM = Normal(torch.tensor(0.0, dtype=torch.float64), torch.tensor(1.0, dtype=torch.float64)), \
    Uniform(torch.tensor(0.0, dtype=torch.float64), torch.tensor(1.0, dtype=torch.float64))
NOISE_MOMENTS = {  # (E[x], E[x²]) of the noise x that the integrand reads from each uniform
    "normal": (float(_NORMAL.mean), float(_NORMAL.variance + _NORMAL.mean ** 2)),
    "uniform": (float(_UNIFORM.mean), float(_UNIFORM.variance + _UNIFORM.mean ** 2)),
}
_U_LOW, _U_HIGH = 2.0 ** -54, 1.0 - 2.0 ** -53  # uniforms kept inside (0, 1): Φ⁻¹ stays finite
_SOBOL_BITS = 30  # torch's SobolEngine: points on the grid k / 2^30

SampleFn = Callable[[int, torch.Generator], torch.Tensor]


def standard_normal(u: torch.Tensor) -> torch.Tensor:
    """Φ⁻¹(u): standard normal noise from uniforms (what an integrand with ``noise="normal"`` reads)."""
    return torch.special.ndtri(u)


@dataclass(frozen=True)
class Integrand:
    """An estimator as a function of uniforms: its mean is ``E[f(U)]``, ``U ~ Uniform(0, 1)^dim``.

    ``f(u)`` takes an (n, dim) float64 tensor of uniforms in (0, 1) on the device and returns n
    values, or ``(values, controls)`` with controls (n, k) whose means are ``control_means`` (from
    an independent source: torch.distributions moments, quadrature -- never the claim's target).
    ``noise`` says how f reads each uniform (``"normal"``: through :func:`standard_normal`;
    ``"uniform"``: as it is; ``None``: neither, no generic controls), one entry per dimension or
    one for all. ``exact()``, when given, returns ``(values, probabilities)`` of the estimator's
    finite support: the check then computes the expectation exactly instead of sampling.
    """

    f: Callable[[torch.Tensor], torch.Tensor | tuple[torch.Tensor, torch.Tensor]]
    dim: int
    noise: str | None | tuple = "normal"
    control_means: tuple[float, ...] = ()
    exact: Callable[[], tuple[torch.Tensor, torch.Tensor]] | None = None
    methods: tuple[str, ...] | None = None  # restrict the choice (None: all of METHODS)

    def noise_of(self, j: int) -> str | None:
        return self.noise[j] if isinstance(self.noise, tuple) else self.noise


def critical_z(false_fail_rate: float) -> float:
    """Two-sided critical value: P(|Z| > z) = false_fail_rate."""
    return float(-ndtri(false_fail_rate / 2))


def critical_value(false_fail_rate: float, dof: int | None = None) -> float:
    """Two-sided critical value of a standard normal (``dof`` None) or Student-t statistic."""
    return critical_z(false_fail_rate) if dof is None else float(-stdtrit(dof, false_fail_rate / 2))


def _z_total(false_fail_rate: float, power: float, dof: int | None = None) -> float:
    """Critical value plus the power quantile: the shift a detectable error must produce."""
    power_quantile = float(ndtri(power)) if dof is None else float(stdtrit(dof, power))
    return critical_value(false_fail_rate, dof) + power_quantile


def required_samples(std: float, scale: float, rel_error: float,
                     false_fail_rate: float = FALSE_FAIL_RATE, power: float = DETECTION_POWER,
                     dof: int | None = None) -> int:
    """n such that a relative error ``rel_error`` of ``scale`` is detected with ``power``."""
    return max(1, math.ceil((_z_total(false_fail_rate, power, dof) * std / (rel_error * scale)) ** 2))


def detectable_rel_error(std: float, scale: float, n: int,
                         false_fail_rate: float = FALSE_FAIL_RATE, power: float = DETECTION_POWER,
                         dof: int | None = None) -> float:
    """The smallest relative error that ``n`` samples detect with ``power``."""
    return _z_total(false_fail_rate, power, dof) * std / (math.sqrt(n) * scale)


@dataclass
class MonteCarloResult:
    n: int  # evaluations of the estimator in the main run (an exact check: the support size)
    estimate: float
    stderr: float
    expected: float
    z: float
    z_critical: float
    false_fail_rate: float
    min_detectable_rel_error: float
    pilot_n: int
    seconds: float
    method: str = "plain"
    units: int | None = None  # i.i.d. units behind the error bar (draws, pairs, replicates)
    dof: int | None = None  # Student t degrees of freedom (RQMC), None: normal
    capped: bool = False  # the main run stopped at the sample cap, detecting less than it was asked to

    @property
    def passed(self) -> bool:
        return math.isfinite(self.z) and abs(self.z) <= self.z_critical

    def to_json(self) -> dict:
        out = {
            "n": self.n, "estimate": self.estimate, "stderr": self.stderr, "expected": self.expected,
            "z": self.z, "z_critical": self.z_critical, "false_fail_rate": self.false_fail_rate,
            "min_detectable_rel_error": self.min_detectable_rel_error, "pilot_n": self.pilot_n,
            "seconds": self.seconds, "method": self.method, "units": self.units,
        }
        if self.dof is not None:
            out["dof"] = self.dof
        if self.capped:
            out["capped"] = True
        return out


# --- accumulating units --------------------------------------------------------------------


@dataclass
class _Sums:
    """Shifted sums of unit values (the shift keeps the variance accurate far from 0)."""

    count: int = 0
    total: float = 0.0
    total_sq: float = 0.0
    shift: float | None = None

    def add(self, batch: torch.Tensor) -> None:
        batch = batch.to(torch.float64)
        if self.shift is None:
            self.shift = float(batch[0])
        centred = batch - self.shift
        self.total += float(centred.sum())
        self.total_sq += float((centred * centred).sum())
        self.count += batch.numel()

    @property
    def mean(self) -> float:
        return self.total / self.count + self.shift

    @property
    def variance(self) -> float:
        m = self.total / self.count
        return max(self.total_sq / self.count - m * m, 0.0) * self.count / max(self.count - 1, 1)


def _moments(sample_fn: SampleFn, n: int, generator: torch.Generator) -> tuple[float, float]:
    """Mean and unbiased variance of n draws, accumulated in float64 chunks."""
    sums = _Sums()
    _accumulate(sums, sample_fn, n, generator)
    return sums.mean, sums.variance


def _accumulate(sums: _Sums, units: SampleFn, n: int, generator: torch.Generator, chunk: int = CHUNK) -> None:
    done = 0
    while done < n:
        batch = units(min(chunk, n - done), generator)
        sums.add(batch)
        done += batch.numel()


# --- estimators of an integrand ------------------------------------------------------------


def _uniforms(n: int, dim: int, generator: torch.Generator) -> torch.Tensor:
    u = torch.rand(n, dim, generator=generator, dtype=torch.float64, device=generator.device)
    return u.clamp_(_U_LOW, _U_HIGH)


def _sobol_base(points: int, dim: int, generator: torch.Generator) -> torch.Tensor:
    """(points, dim) integer Sobol points (on the 2^30 grid) under one linear matrix scramble,
    seeded from ``generator``."""
    seed = int(torch.randint(0, 2**62, (1,), generator=generator, device=generator.device))
    u = torch.quasirandom.SobolEngine(dim, scramble=True, seed=seed).draw(points, dtype=torch.float64)
    return torch.round(u * 2.0 ** _SOBOL_BITS).to(torch.int64).to(generator.device)


def _shifted(base: torch.Tensor, replicates: int, generator: torch.Generator) -> torch.Tensor:
    """(replicates·points, dim) uniforms: ``base`` under an independent uniform digital shift per
    replicate (XOR with a random 30-bit word per dimension), each point moved to the middle of its
    2^-30 cell (so inside (0, 1), uniform on the cell midpoints)."""
    shifts = torch.randint(0, 2 ** _SOBOL_BITS, (replicates, 1, base.shape[1]), generator=generator,
                           device=generator.device, dtype=torch.int64)
    words = torch.bitwise_xor(base.unsqueeze(0), shifts).reshape(-1, base.shape[1])
    return words.to(torch.float64) * 2.0 ** -_SOBOL_BITS + 2.0 ** -(_SOBOL_BITS + 1)


def _sobol(replicates: int, points: int, dim: int, generator: torch.Generator) -> torch.Tensor:
    """(replicates·points, dim) randomised Sobol points: one scramble, a digital shift per replicate."""
    return _shifted(_sobol_base(points, dim, generator), replicates, generator)


def _generic_controls(integrand: Integrand, u: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor] | None:
    """Controls built from the noise x_j the integrand reads (x_j = Φ⁻¹(u_j) or u_j), with means
    from torch.distributions: x_j and x_j² (mean and variance + mean²), and for a few dimensions
    the products x_i x_j (independent uniforms: the product of the means); for many dimensions
    Σx_j, Σx_j² and (Σx_j)²."""
    columns, means = [], []
    noises = [(j, integrand.noise_of(j)) for j in range(integrand.dim)]
    noises = [(j, kind) for j, kind in noises if kind in NOISE_MOMENTS]
    if not noises:
        return None
    values = {j: (standard_normal(u[:, j]) if kind == "normal" else u[:, j]) for j, kind in noises}
    if len(noises) <= MAX_GENERIC_CONTROLS_DIM:
        for j, kind in noises:
            first, second = NOISE_MOMENTS[kind]
            columns += [values[j], values[j] ** 2]
            means += [first, second]
        if len(noises) <= MAX_PRODUCT_CONTROLS_DIM:
            for a, (i, kind_i) in enumerate(noises):
                for j, kind_j in noises[a + 1:]:
                    columns.append(values[i] * values[j])
                    means.append(NOISE_MOMENTS[kind_i][0] * NOISE_MOMENTS[kind_j][0])
    else:  # Σx_j, Σx_j² and (Σx_j)² = Σx_j² + Σ_{i≠j} x_i x_j
        total = sum(values.values())
        first = [NOISE_MOMENTS[k][0] for _, k in noises]
        second = [NOISE_MOMENTS[k][1] for _, k in noises]
        columns += [total, sum(v ** 2 for v in values.values()), total ** 2]
        means += [sum(first), sum(second), sum(second) + sum(first) ** 2 - sum(f * f for f in first)]
    return torch.stack(columns, 1), torch.tensor(means, dtype=torch.float64, device=u.device)


def _chunk(device: torch.device) -> int:
    return CUDA_CHUNK if device.type == "cuda" else CHUNK


def _evaluate(integrand: Integrand, u: torch.Tensor, with_controls: bool) -> tuple[torch.Tensor, torch.Tensor | None]:
    """Values (n,) and, when asked, centred controls (n, k) at the uniforms ``u`` (in batches)."""
    rows = max(1, _chunk(u.device) // max(integrand.dim, 1))
    values, controls = [], []
    for start in range(0, u.shape[0], rows):
        block = u[start:start + rows]
        out = integrand.f(block)
        own = None
        if isinstance(out, tuple):
            out, own = out
        values.append(out.reshape(-1).to(torch.float64))
        if with_controls:
            parts = []
            if own is not None:
                means = torch.as_tensor(integrand.control_means, dtype=torch.float64, device=block.device)
                parts.append(own.reshape(block.shape[0], -1).to(torch.float64) - means)
            generic = _generic_controls(integrand, block)
            if generic is not None:
                parts.append(generic[0] - generic[1])
            controls.append(torch.cat(parts, 1) if parts else torch.zeros(block.shape[0], 0, dtype=torch.float64,
                                                                          device=block.device))
    return torch.cat(values), (torch.cat(controls) if with_controls else None)


def _fit_coefficients(values: torch.Tensor, controls: torch.Tensor) -> torch.Tensor:
    """Least-squares control coefficients (ridge-stabilised; constant columns get 0)."""
    if controls.shape[1] == 0:
        return controls.new_zeros(0)
    c = controls - controls.mean(0)
    y = values - values.mean()
    scale = c.pow(2).mean(0).sqrt()
    usable = scale > 1e-12 * (1 + scale.max())
    beta = controls.new_zeros(controls.shape[1])
    if usable.any():
        cs = c[:, usable] / scale[usable]
        gram = cs.T @ cs + 1e-10 * cs.shape[0] * torch.eye(int(usable.sum()), dtype=cs.dtype, device=cs.device)
        beta[usable] = torch.linalg.solve(gram, cs.T @ y) / scale[usable]
    return beta


@dataclass
class _Plan:
    """The estimator a check runs: how to draw ``units`` i.i.d. unit values."""

    method: str
    draw_units: Callable[[int, torch.Generator], torch.Tensor]
    evals_per_unit: int
    pilot_mean: float
    unit_variance: float  # variance of one unit
    abs_scale: float  # mean |value| (round-off floor)
    pilot_n: int
    points: int = 1  # RQMC: points per replicate
    beta: torch.Tensor | None = None
    integrand: Integrand | None = None

    @property
    def dof_for(self) -> Callable[[int], int | None]:
        return (lambda units: units - 1) if self.method.startswith("rqmc") else (lambda units: None)

    @property
    def per_eval_variance(self) -> float:
        return self.unit_variance * self.evals_per_unit


def _adjusted(values: torch.Tensor, controls: torch.Tensor | None, beta: torch.Tensor | None) -> torch.Tensor:
    if beta is None or controls is None or beta.numel() == 0:
        return values
    return values - controls @ beta


def _plain_units(integrand: Integrand, beta: torch.Tensor | None) -> SampleFn:
    def draw(n: int, generator: torch.Generator) -> torch.Tensor:
        values, controls = _evaluate(integrand, _uniforms(n, integrand.dim, generator), beta is not None)
        return _adjusted(values, controls, beta)
    return draw


def _antithetic_units(integrand: Integrand, beta: torch.Tensor | None) -> SampleFn:
    def draw(n: int, generator: torch.Generator) -> torch.Tensor:
        u = _uniforms(n, integrand.dim, generator)
        values, controls = _evaluate(integrand, torch.cat([u, 1 - u]), beta is not None)
        adjusted = _adjusted(values, controls, beta)
        return (adjusted[:n] + adjusted[n:]) / 2
    return draw


def _rqmc_units(integrand: Integrand, beta: torch.Tensor | None, points: int) -> SampleFn:
    base: list[torch.Tensor] = []  # one scramble for the whole run (top-ups included), drawn at first use

    def draw(replicates: int, generator: torch.Generator) -> torch.Tensor:
        if not base:
            base.append(_sobol_base(points, integrand.dim, generator))
        out = []
        per_batch = max(1, _chunk(generator.device) // (points * max(integrand.dim, 1)))
        for start in range(0, replicates, per_batch):
            r = min(per_batch, replicates - start)
            values, controls = _evaluate(integrand, _shifted(base[0], r, generator), beta is not None)
            out.append(_adjusted(values, controls, beta).reshape(r, points).mean(1))
        return torch.cat(out)
    return draw


def _candidates(integrand: Integrand, generator: torch.Generator, methods: Sequence[str],
                budget: int = SELECTION_PILOT) -> tuple[list[_Plan], int]:
    """One pilot of ``budget`` evaluations per base estimator (plain, antithetic, RQMC), each also
    scored with controls (the same draws: a paired comparison)."""
    wanted = set(methods)
    plans = []
    half = budget // 2
    rqmc_points = budget // RQMC_PILOT_REPLICATES
    bases = []
    if wanted & {"plain", "plain+cv"}:
        bases.append(("plain", _uniforms(budget, integrand.dim, generator)))
    if wanted & {"antithetic", "antithetic+cv"}:
        u = _uniforms(half, integrand.dim, generator)
        bases.append(("antithetic", torch.cat([u, 1 - u])))
    if wanted & {"rqmc", "rqmc+cv"} and integrand.dim <= RQMC_MAX_DIM:
        bases.append(("rqmc", _sobol(RQMC_PILOT_REPLICATES, rqmc_points, integrand.dim, generator)))
    for base, u in bases:
        with_cv = f"{base}+cv" in wanted
        values, controls = _evaluate(integrand, u, with_cv)
        abs_scale = float(values.abs().mean()) if values.numel() else 0.0
        options = [(base, None)] if base in wanted else []
        if with_cv and controls is not None and controls.shape[1] > 0:
            options.append((f"{base}+cv", _fit_coefficients(values, controls)))
        for name, beta in options:
            adjusted = _adjusted(values, controls, beta)
            # round-off scale: the magnitudes summed, |f| and each |β_j (c_j − μ_j)|
            magnitude = abs_scale + (float((controls.abs() @ beta.abs()).mean()) if beta is not None else 0.0)
            if base == "plain":
                units, per_unit, draw, points = adjusted, 1, _plain_units(integrand, beta), 1
            elif base == "antithetic":
                units, per_unit, draw, points = (adjusted[:half] + adjusted[half:]) / 2, 2, \
                    _antithetic_units(integrand, beta), 1
            else:
                units, per_unit, draw, points = adjusted.reshape(RQMC_PILOT_REPLICATES, rqmc_points).mean(1), \
                    rqmc_points, _rqmc_units(integrand, beta, rqmc_points), rqmc_points
            plans.append(_Plan(name, draw, per_unit, float(units.mean()), float(units.var()) if units.numel() > 1 else 0.0,
                               magnitude, pilot_n=u.shape[0], points=points, beta=beta, integrand=integrand))
    return plans, sum(u.shape[0] for _, u in bases)


def _choose(plans: list[_Plan]) -> _Plan:
    """The smallest variance per evaluation; ties (e.g. all exact) go to the simpler method."""
    order = {name: i for i, name in enumerate(METHODS)}
    finite = [p for p in plans if math.isfinite(p.pilot_mean) and math.isfinite(p.unit_variance)]
    if len(finite) < len(plans):
        return next(p for p in plans if p not in finite)  # a non-finite draw: report it (the check fails)
    return min(plans, key=lambda p: (p.per_eval_variance, order[p.method]))


# --- the check -----------------------------------------------------------------------------


def _result(method: str, n: int, mean: float, stderr: float, expected: float, reference: float,
            false_fail_rate: float, power: float, pilot_n: int, start: float, units: int,
            dof: int | None) -> MonteCarloResult:
    if stderr > 0:
        z = (mean - expected) / stderr
    else:
        z = 0.0 if mean == expected else math.inf
    if not math.isfinite(expected) or not math.isfinite(mean):
        z = math.inf
    return MonteCarloResult(
        n=n, estimate=mean, stderr=stderr, expected=float(expected), z=z,
        z_critical=critical_value(false_fail_rate, dof), false_fail_rate=false_fail_rate,
        min_detectable_rel_error=(_z_total(false_fail_rate, power, dof) * stderr / reference
                                  if math.isfinite(stderr) else math.inf),
        pilot_n=pilot_n, seconds=time.perf_counter() - start, method=method, units=units, dof=dof)


def _exact_check(integrand: Integrand, expected: float, scale: float | None, false_fail_rate: float,
                 power: float, start: float) -> MonteCarloResult:
    values, probs = integrand.exact()
    values, probs = values.reshape(-1).to(torch.float64), probs.reshape(-1).to(torch.float64)
    total = float(probs.sum())
    if values.shape != probs.shape or (probs < 0).any() or abs(total - 1) > 1e-9:
        raise ValueError(f"exact(): {values.numel()} values with probabilities summing to {total!r} "
                         f"(must be non-negative and sum to 1)")
    keep = probs > 0  # 0·(−inf) is an outcome that never happens, not a NaN
    mean = float((probs[keep] * values[keep]).sum())
    abs_scale = float((probs[keep] * values[keep].abs()).sum())
    reference = scale if scale is not None else max(abs(mean), 1e-12)
    return _result("exact", values.numel(), mean, ROUNDOFF_REL * max(abs_scale, 1e-300), expected, reference,
                   false_fail_rate, power, 0, start, values.numel(), None)


def _plain_plan(sample_fn: SampleFn, generator: torch.Generator, pilot_n: int) -> _Plan:
    sums, abs_sum = _Sums(), 0.0

    def with_abs(n, g):
        nonlocal abs_sum
        batch = sample_fn(n, g).to(torch.float64)
        abs_sum += float(batch.abs().sum())
        return batch

    _accumulate(sums, with_abs, pilot_n, generator)
    return _Plan("plain", sample_fn, 1, sums.mean, sums.variance, abs_sum / max(sums.count, 1), pilot_n=pilot_n)


def monte_carlo_check(estimator: SampleFn | Integrand, expected: float, generator: torch.Generator, *,
                      false_fail_rate: float = FALSE_FAIL_RATE,
                      min_rel_error: float = MIN_DETECTABLE_REL_ERROR,
                      power: float = DETECTION_POWER,
                      scale: float | None = None,
                      pilot_n: int = PILOT_SAMPLES, max_n: int = MAX_SAMPLES,
                      min_n: int | None = None,
                      methods: Sequence[str] | None = None,
                      margin: float = SIZING_MARGIN, top_ups: int = MAX_TOP_UPS) -> MonteCarloResult:
    """Compare ``expected`` with the mean of the estimator.

    ``estimator`` is ``sample_fn(n, generator)`` returning n i.i.d. draws (pilot of ``pilot_n``
    draws; the main run has at least ``min_n``, default ``pilot_n``), or an :class:`Integrand`
    (the estimator is chosen among ``methods``, default all, see the module docstring; the main
    run has at least ``min_n``, default ``MIN_SAMPLES``, evaluations; ``exact`` is used when the
    integrand gives its support and ``methods`` allows it). ``scale`` is what the relative error is
    relative to (default: |pilot mean|); n is set from the pilot, never from ``expected``, so a
    wrong claim cannot shrink its own test. ``margin`` and ``top_ups`` as in the module docstring
    (``margin=1, top_ups=0`` is the fixed one-pilot sizing).
    """
    start = time.perf_counter()
    allowed = tuple(methods) if methods is not None else METHODS + ("exact",)
    if isinstance(estimator, Integrand):
        if estimator.exact is not None and "exact" in allowed:
            return _exact_check(estimator, expected, scale, false_fail_rate, power, start)
        allowed = [m for m in allowed if m in METHODS and m in (estimator.methods or METHODS)]
        plans, evaluations = _candidates(estimator, generator, allowed)
        if not plans:
            raise ValueError(f"no Monte Carlo method among {allowed} applies to this integrand")
        plan = _choose(plans)
        reference = scale if scale is not None else max(abs(plan.pilot_mean), 1e-12)
        expected_cost = required_samples(math.sqrt(plan.per_eval_variance), reference, min_rel_error,
                                         false_fail_rate, power) if math.isfinite(plan.per_eval_variance) else 0
        if expected_cost > ESCALATE_SAMPLES and len(plans) > 1:
            # much is at stake: choose again on pilots an eighth of that size (heavy tails and RQMC's
            # faster-than-1/n variance show only on larger pilots)
            budget = min(ESCALATED_PILOT_MAX, 2 ** int(math.log2(expected_cost // 8)))
            plans, more = _candidates(estimator, generator, allowed, budget)
            plan, evaluations = _choose(plans), evaluations + more
        plan.pilot_n = evaluations  # every candidate's pilot: what choosing cost
        floor = MIN_SAMPLES if min_n is None else min_n
    else:
        plan = _plain_plan(estimator, generator, pilot_n)
        floor = pilot_n if min_n is None else min_n
    if not (math.isfinite(plan.pilot_mean) and math.isfinite(plan.unit_variance)):
        # a non-finite draw (log of a negative, overflow): the estimator is broken; fail
        return MonteCarloResult(
            n=plan.pilot_n, estimate=plan.pilot_mean, stderr=math.nan, expected=float(expected), z=math.inf,
            z_critical=critical_z(false_fail_rate), false_fail_rate=false_fail_rate,
            min_detectable_rel_error=math.inf, pilot_n=plan.pilot_n, seconds=time.perf_counter() - start,
            method=plan.method, units=0)
    reference = scale if scale is not None else max(abs(plan.pilot_mean), 1e-12)
    floor_units = max(1, math.ceil(floor / plan.evals_per_unit))
    max_units = max(1, max_n // plan.evals_per_unit)
    if plan.method.startswith("rqmc"):
        plan = _size_rqmc(plan, reference, min_rel_error, false_fail_rate, power, floor, max_n, margin)
        floor_units = max(RQMC_REPLICATES, math.ceil(floor / plan.evals_per_unit))
        max_units = max(RQMC_REPLICATES, max_n // plan.evals_per_unit)
    dof = plan.dof_for
    needed = required_samples(math.sqrt(plan.unit_variance), reference, min_rel_error, false_fail_rate, power,
                              dof(RQMC_REPLICATES) if plan.method.startswith("rqmc") else None)
    units = min(max_units, max(floor_units, math.ceil(needed * margin)))
    sums = _Sums()
    chunk = max(1, _chunk(generator.device) // plan.evals_per_unit)
    _accumulate(sums, plan.draw_units, units, generator, chunk=chunk)
    floor_sd = ROUNDOFF_REL * plan.abs_scale
    for _ in range(top_ups):
        sd = math.sqrt(sums.variance + floor_sd ** 2 * sums.count)
        if detectable_rel_error(sd, reference, sums.count, false_fail_rate, power, dof(sums.count)) <= min_rel_error \
                or sums.count >= max_units or not math.isfinite(sd):
            break
        more = required_samples(sd, reference, min_rel_error, false_fail_rate, power, dof(sums.count))
        target = min(max_units, math.ceil(more * margin))
        _accumulate(sums, plan.draw_units, target - sums.count, generator, chunk=chunk)
    stderr = math.sqrt(sums.variance / sums.count + floor_sd ** 2)
    result = _result(plan.method, sums.count * plan.evals_per_unit, sums.mean, stderr, expected, reference,
                     false_fail_rate, power, plan.pilot_n, start, sums.count, dof(sums.count))
    result.capped = sums.count >= max_units and result.min_detectable_rel_error > min_rel_error
    return result


def _size_rqmc(plan: _Plan, reference: float, min_rel_error: float, false_fail_rate: float, power: float,
               floor: int, max_n: int, margin: float) -> _Plan:
    """Points per replicate for the main run: the pilot's variance per point, assumed to fall like
    1/m (RQMC does at least as well on the smooth integrands it is chosen for), spread over
    ``RQMC_REPLICATES`` replicates; a power of 2 from ``RQMC_MIN_POINTS`` up."""
    per_point = plan.unit_variance * plan.points
    total = required_samples(math.sqrt(per_point), reference, min_rel_error, false_fail_rate, power,
                             RQMC_REPLICATES - 1) * margin
    total = min(max(total, floor), max_n)
    points = RQMC_MIN_POINTS
    while points * 2 * RQMC_REPLICATES <= total:
        points *= 2
    return _Plan(plan.method, _rqmc_units(plan.integrand, plan.beta, points), points, plan.pilot_mean,
                 per_point / points, plan.abs_scale, plan.pilot_n, points=points, beta=plan.beta,
                 integrand=plan.integrand)


def observed_false_fail_rate(run_check: Callable[[int], MonteCarloResult], seeds: Iterable[int]) -> tuple[int, int]:
    """Calibration: run a check of a true claim over many seeds; return (failures, runs)."""
    results = [run_check(seed).passed for seed in seeds]
    return results.count(False), len(results)
