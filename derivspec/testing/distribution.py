r"""``conforms_in_distribution``: does the user's sampler draw from the law?

``sampler(**params, n=N, rng=GENERATOR)`` returns N draws (NumPy or torch). The check follows the
project's Monte Carlo policy (docs/montecarlo.md): a stated false-fail rate α (default 1e-6: the
probability that a right sampler fails), a smallest detectable error, n chosen so that an error of
that size is detected with probability POWER_TARGET, an explicit seed, and the power against each
registered wrong sampler (:mod:`derivspec.testing.laws`) reported.

Tests, by the law's kind (α split over them by Bonferroni, so the false-fail rate is at most α):

* ``gaussian`` -- the sample mean (z-test, variance known), the sample variance ((n-1)S²/σ² ~ χ²_{n-1},
  two-sided) and the Kolmogorov-Smirnov distance to the law's CDF, α/3 each. The mean and variance
  tests are exact for Gaussian draws and independent, so the power against a Gaussian wrong sampler
  N(m', v') is computed exactly for them (the KS test only adds to it: the stated power is a lower
  bound). Detectable: the mean off by DETECT_MEAN standard deviations or the variance by DETECT_VARIANCE.
* ``categorical`` -- a draw in a class of probability 0 fails at once (a right sampler never does);
  Pearson's χ² on the support (df = K - 1), power from the noncentral χ² with λ = n Σ (p' - p)²/p
  (the usual large-n approximation). Detectable: a χ distance sqrt(Σ (p' - p)²/p) of DETECT_CHI.
* ``moments`` -- z-tests of the mean and of the sample variance (its standard error from the law's
  fourth central moment), α/2 each, by the central limit theorem; power ≥ the larger of the two.
"""

from __future__ import annotations

import difflib
import inspect
import math
from typing import Callable, Mapping

import numpy as np

from derivspec.testing import calling
from derivspec.testing.errors import ConformanceUsageError, NonConformance
from derivspec.testing.laws import DETECT_CHI, DETECT_MEAN, DETECT_VARIANCE, LAWS, Law
from derivspec.testing.report import DistributionReport, LawCheck
from derivspec.testing.schedules import ARRAYS as SCHEDULE_ARRAYS
from derivspec.testing.schedules import INDEX as SCHEDULE_INDEX
from derivspec.testing.schedules import schedule_of

DEFAULT_FALSE_FAIL = 1e-6  # the project's default false-fail rate per check (DESIGN.md, Monte Carlo policy)
POWER_TARGET = 0.99  # probability of detecting an error of the smallest detectable size
MIN_DRAWS = 1_000
MAX_DRAWS = 4_000_000


def get_law(name: str) -> Law:
    if name not in LAWS:
        close = difflib.get_close_matches(name, list(LAWS), n=3, cutoff=0.4)
        hint = f"; did you mean {', '.join(close)}?" if close else f"; the laws are: {', '.join(LAWS)}"
        raise ConformanceUsageError(f"unknown law {name!r}{hint}")
    return LAWS[name]


# --- the tests and their power ---------------------------------------------------------------------

def _tests(law: Law, alpha: float) -> int:
    return {"gaussian": 3, "categorical": 1, "moments": 2}[law.kind]


def _gaussian_power(null: dict, alternative: dict, n: int, each: float) -> float:
    """Exact power of the mean and variance tests (each at level ``each``) against N(m', v')."""
    from scipy import stats

    m0, v0 = null["mean"], null["variance"]
    m1, v1 = alternative["mean"], alternative["variance"]
    c = stats.norm.isf(each / 2)
    s0, s1 = math.sqrt(v0 / n), math.sqrt(v1 / n)
    p_mean = stats.norm.cdf((m0 - c * s0 - m1) / s1) + stats.norm.sf((m0 + c * s0 - m1) / s1)
    low, high = stats.chi2.ppf(each / 2, n - 1), stats.chi2.isf(each / 2, n - 1)
    p_variance = stats.chi2.cdf(low * v0 / v1, n - 1) + stats.chi2.sf(high * v0 / v1, n - 1)
    return float(1 - (1 - p_mean) * (1 - p_variance))


def _moments_power(null: dict, alternative: dict, n: int, each: float) -> float:
    """Power (normal approximation) of the mean and variance z-tests: the larger of the two (a lower
    bound on the power of the pair)."""
    from scipy import stats

    c = stats.norm.isf(each / 2)
    s0 = math.sqrt(null["variance"] / n)
    s1 = math.sqrt(alternative["variance"] / n)
    shift = alternative["mean"] - null["mean"]
    p_mean = stats.norm.cdf((-c * s0 - shift) / s1) + stats.norm.sf((c * s0 - shift) / s1)
    se0 = math.sqrt(max(null["fourth"] - null["variance"] ** 2, 1e-300) / n)
    se1 = math.sqrt(max(alternative.get("fourth", null["fourth"]) - alternative["variance"] ** 2, 1e-300) / n)
    gap = alternative["variance"] - null["variance"]
    p_variance = stats.norm.cdf((-c * se0 - gap) / se1) + stats.norm.sf((c * se0 - gap) / se1)
    return float(max(p_mean, p_variance))


def _categorical_power(null: dict, alternative: dict, n: int, alpha: float) -> float:
    from scipy import stats

    p0, p1 = np.asarray(null["probs"], float), np.asarray(alternative["probs"], float)
    support = p0 > 0
    outside = float(p1[~support].sum())
    p_outside = 1 - (1 - outside) ** n if outside > 0 else 0.0
    if support.sum() < 2:
        return p_outside
    df = int(support.sum()) - 1
    crit = stats.chi2.isf(alpha, df)
    lam = n * float(np.sum((p1[support] - p0[support]) ** 2 / p0[support]))
    p_chi = float(stats.ncx2.sf(crit, df, lam)) if lam > 0 else alpha
    return max(p_outside, p_chi)


def power(law: Law, null: dict, alternative: dict, n: int, alpha: float) -> float:
    """The probability that the check at false-fail rate ``alpha`` with ``n`` draws rejects a
    sampler drawing from ``alternative``."""
    each = alpha / _tests(law, alpha)
    if law.kind == "gaussian":
        return _gaussian_power(null, alternative, n, each)
    if law.kind == "moments":
        return _moments_power(null, alternative, n, each)
    return _categorical_power(null, alternative, n, alpha)


def draws_needed(law: Law, null: dict, alpha: float) -> int:
    """The smallest n (at least MIN_DRAWS) with power POWER_TARGET against an error of the smallest
    detectable size (doubling, then bisection)."""
    if law.kind == "categorical":
        probs = np.asarray(null["probs"], float)
        if (probs > 0).sum() < 2:
            return MIN_DRAWS
        from scipy import optimize, stats

        df = int((probs > 0).sum()) - 1
        crit = stats.chi2.isf(alpha, df)
        lam = optimize.brentq(lambda x: stats.ncx2.sf(crit, df, x) - POWER_TARGET, 1e-6, 1e6)
        return int(min(MAX_DRAWS, max(MIN_DRAWS, math.ceil(lam / DETECT_CHI ** 2))))
    sd = math.sqrt(null["variance"])
    alternatives = [{**null, "mean": null["mean"] + DETECT_MEAN * sd},
                    {**null, "variance": null["variance"] * (1 + DETECT_VARIANCE)}]

    def enough(n: int) -> bool:
        return all(power(law, null, alt, n, alpha) >= POWER_TARGET for alt in alternatives)

    high = MIN_DRAWS
    while not enough(high):
        high *= 2
        if high >= MAX_DRAWS:
            return MAX_DRAWS
    low = high // 2
    while high - low > max(1, high // 100):
        middle = (low + high) // 2
        low, high = (low, middle) if enough(middle) else (middle, high)
    return max(MIN_DRAWS, high)


def run_tests(law: Law, null: dict, draws: np.ndarray, alpha: float) -> list[LawCheck]:
    """The law's tests on ``draws`` at false-fail rate ``alpha`` (Bonferroni over the tests)."""
    from scipy import stats

    n = len(draws)
    each = alpha / _tests(law, alpha)
    checks = []
    if law.kind in ("gaussian", "moments"):
        m0, v0 = null["mean"], null["variance"]
        mean = float(np.mean(draws))
        z = (mean - m0) / math.sqrt(v0 / n)
        checks.append(LawCheck("mean", z, stats.norm.isf(each / 2), float(2 * stats.norm.sf(abs(z))),
                               bool(abs(z) <= stats.norm.isf(each / 2)), f"sample mean {mean:.6g}, law {m0:.6g}"))
        variance = float(np.var(draws, ddof=1))
        if law.kind == "gaussian":
            chi = (n - 1) * variance / v0
            low, high = stats.chi2.ppf(each / 2, n - 1), stats.chi2.isf(each / 2, n - 1)
            p = float(2 * min(stats.chi2.cdf(chi, n - 1), stats.chi2.sf(chi, n - 1)))
            checks.append(LawCheck("variance", chi, high, min(p, 1.0), bool(low <= chi <= high),
                                   f"sample variance {variance:.6g}, law {v0:.6g} ((n-1)S²/σ² in [{low:.6g}, {high:.6g}])"))
            ks = stats.kstest(draws, stats.norm(m0, math.sqrt(v0)).cdf)
            crit = float(stats.kstwo.isf(each, n))
            checks.append(LawCheck("Kolmogorov-Smirnov", float(ks.statistic), crit, float(ks.pvalue),
                                   bool(ks.pvalue >= each), "distance to the law's CDF"))
        else:
            se = math.sqrt(max(null["fourth"] - v0 ** 2, 1e-300) / n)
            zv = (variance - v0) / se
            checks.append(LawCheck("variance", zv, stats.norm.isf(each / 2), float(2 * stats.norm.sf(abs(zv))),
                                   bool(abs(zv) <= stats.norm.isf(each / 2)),
                                   f"sample variance {variance:.6g}, law {v0:.6g}"))
        return checks
    probs = np.asarray(null["probs"], float)
    labels = draws.astype(np.int64)
    if not np.all(draws == labels) or labels.min() < 0 or labels.max() >= len(probs):
        bad = draws[(draws != labels) | (labels < 0) | (labels >= len(probs))][:3]
        return [LawCheck("classes", float(len(bad)), 0.0, 0.0, False,
                         f"draws must be class indices 0..{len(probs) - 1}; found {bad.tolist()}")]
    counts = np.bincount(labels, minlength=len(probs)).astype(float)
    impossible = counts[probs == 0].sum()
    checks.append(LawCheck("impossible classes", float(impossible), 0.0, 1.0 if impossible == 0 else 0.0,
                           bool(impossible == 0), "draws in classes of probability 0 (top-k or nucleus cut them)"))
    support = probs > 0
    if support.sum() >= 2:
        expected = n * probs[support]
        chi = float(np.sum((counts[support] - expected) ** 2 / expected))
        df = int(support.sum()) - 1
        crit = stats.chi2.isf(alpha, df)
        checks.append(LawCheck("chi-square", chi, crit, float(stats.chi2.sf(chi, df)), bool(chi <= crit),
                               f"counts {counts.astype(int).tolist()}, expected {np.round(n * probs, 1).tolist()}"))
    return checks


# --- calling the sampler -----------------------------------------------------------------------------

def _sampler_kwargs(law: Law, sampler: Callable, args: Mapping | None, values: dict, reserved: set = frozenset()) -> dict:
    """The sampler's keyword arguments (besides n, rng and the law's inputs): by name, or through
    ``args`` (expressions in the law's parameters)."""
    import sympy

    from derivspec.core.errors import FormulaError
    from derivspec.core.formula import parse_formula

    try:
        signature = inspect.signature(sampler)
    except (TypeError, ValueError):
        raise ConformanceUsageError("cannot read the sampler's parameters: give a Python function") from None
    names = [p for p in signature.parameters.values() if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)]
    keywords = any(p.kind == p.VAR_KEYWORD for p in signature.parameters.values())
    given = {p.name for p in names}
    for required in ("n", "rng"):
        if required not in given and not keywords:
            raise ConformanceUsageError(f"the sampler must take {required}= (sampler(**params, n=N, rng=GENERATOR))")
    reserved = {"n", "rng"} | set(reserved) | (set(law.inputs(values, 2, np.random.default_rng(0))) if law.inputs else set())
    symbols = {name: sympy.Symbol(name, real=True) for name in law.params}
    args = dict(args or {})
    for key in args:
        if key not in given and not keywords:
            raise ConformanceUsageError(f"args names {key!r}, which is not a parameter of the sampler "
                                        f"(its parameters: {', '.join(sorted(given))})")
    kwargs = {}
    for parameter in names:
        name = parameter.name
        if name in reserved:
            continue
        if name in args:
            text = args.pop(name)
            try:
                expr = parse_formula(str(text), symbols)
            except FormulaError as error:
                raise ConformanceUsageError(f"args[{name!r}] = {text!r}: {error}") from None
            if not expr.free_symbols:
                raise ConformanceUsageError(f"args[{name!r}] = {text!r} names no parameter of law {law.name} "
                                            f"(its parameters: {', '.join(law.params)})")
            kwargs[name] = float(expr.subs({symbols[k]: sympy.Float(v, 30) for k, v in values.items()}))
        elif name in values:
            kwargs[name] = values[name]
        elif parameter.default is parameter.empty:
            raise ConformanceUsageError(f"sampler parameter {name!r} is not a parameter of law {law.name} "
                                        f"({', '.join(law.params)}); map it with args")
    for key, text in args.items():  # **kwargs
        kwargs[key] = float(parse_formula(str(text), symbols).subs({symbols[k]: v for k, v in values.items()}))
    if keywords:  # **params: every law parameter not passed otherwise
        for key, value in values.items():
            if key not in kwargs and key not in reserved and key not in given:
                kwargs[key] = value
    return kwargs


def _generators(seed: int):
    yield "numpy", lambda: np.random.default_rng(seed)
    try:
        import torch
    except ImportError:
        return
    yield "torch", lambda: torch.Generator().manual_seed(seed)


def draw(law: Law, sampler: Callable, kwargs: dict, values: dict, n: int, seed: int) -> tuple[np.ndarray, str]:
    """n draws from the sampler (a NumPy generator first; a torch one when the sampler wants it)."""
    inputs = law.inputs(values, n, np.random.default_rng(seed + 104729)) if law.inputs else {}
    errors = []
    for kind, make in _generators(seed):
        if kind == "torch" and errors and not calling._wants_tensor(errors[-1]) and "Generator" not in str(errors[-1]):
            if "torch" not in __import__("sys").modules:
                break
        call_inputs = dict(inputs)
        if kind == "torch" and call_inputs:
            import torch

            call_inputs = {k: torch.as_tensor(v) for k, v in call_inputs.items()}
        try:
            out = sampler(**kwargs, **call_inputs, n=n, rng=make())
        except (KeyboardInterrupt, SystemExit, MemoryError):
            raise
        except Exception as error:
            errors.append(error)
            continue
        try:
            array, _ = calling.as_array(out)
        except calling.UserError as error:
            errors.append(error.error)
            continue
        return array.reshape(-1) if array.size == n else array, kind
    raise NonConformance(f"the sampler raised {calling.one_line(errors[0])} (called with {kwargs}, n={n})",
                         claim=law.name, kind="raised", counterexample=kwargs, error=calling.one_line(errors[0]))


def conforms_in_distribution(law: str, sampler: Callable, *, args: Mapping | None = None,
                             params: Mapping | None = None, seed: int = 0,
                             false_fail: float = DEFAULT_FALSE_FAIL, n: int | None = None, schedule=None,
                             steps: int | None = None, index=None) -> DistributionReport:
    """Check that ``sampler(**params, n=N, rng=GENERATOR)`` draws from ``law``.

    ``params`` sets the law's parameters (default: the law's typical values); ``args`` maps the
    sampler's parameters to expressions in them; ``false_fail`` is the probability that a right
    sampler fails; ``n`` overrides the number of draws (default: enough to detect the smallest
    detectable error with probability POWER_TARGET). Diffusion code (:mod:`derivspec.testing.schedules`):
    ``schedule`` -- ``linear``, ``cosine`` or an array of betas -- hands the sampler's parameters named (or
    mapped by ``args`` to) ``betas``, ``alphas``, ``alphas_cumprod`` the arrays and ``t`` the index, and the
    law is checked at the schedule's first, middle and last steps (each at false_fail / 3); ``index`` -- 0
    or 1, the first step's index (default 0; the other base is tried, and named, when the sampler fails).
    Returns a report with the power against every registered wrong sampler, or raises NonConformance
    naming the wrong sampler the draws fit."""
    chosen = get_law(law)
    if not (isinstance(false_fail, (int, float)) and 0 < false_fail < 0.5):
        raise ConformanceUsageError(f"false_fail must be in (0, 0.5), got {false_fail!r}")
    values = dict(chosen.defaults)
    for key, value in (params or {}).items():
        if key not in chosen.params:
            raise ConformanceUsageError(f"law {chosen.name} has no parameter {key!r} (its parameters: "
                                        f"{', '.join(chosen.params)})")
        if not chosen.domains[key].contains(value):
            raise ConformanceUsageError(f"expected parameter {key} to satisfy the constraint {key} "
                                        f"{chosen.domains[key].constraint}, but found {value}")
        values[key] = value
    scheduled = schedule_of(None, schedule, steps, index, law=chosen)
    if scheduled is None:
        return _check_law(chosen, sampler, args, values, {}, false_fail, n, seed)
    return _check_scheduled(chosen, sampler, args, values, scheduled, false_fail, n, seed)


def _check_scheduled(chosen: Law, sampler: Callable, args, values: dict, scheduled, false_fail: float, n, seed: int):
    """The law at the schedule's first, middle and last steps: the sampler handed the arrays and the index."""
    args = dict(args or {})
    handed = {key: args.pop(key).strip() for key in list(args)
              if isinstance(args[key], str) and args[key].strip() in (*SCHEDULE_ARRAYS, SCHEDULE_INDEX)}
    try:
        names = [p.name for p in inspect.signature(sampler).parameters.values()]
    except (TypeError, ValueError):
        raise ConformanceUsageError("cannot read the sampler's parameters: give a Python function") from None
    handed.update({name: name for name in names if name in (*SCHEDULE_ARRAYS, SCHEDULE_INDEX) and name not in handed})
    if SCHEDULE_INDEX not in handed.values():
        raise ConformanceUsageError("with a schedule the sampler takes the timestep index: name a parameter t, or map "
                                    "one with --args step=t")
    total = scheduled.steps
    checked = sorted({2, max(2, total // 2), total})
    declared = scheduled.base
    first = None
    for base in ([declared, 1 - declared] if declared is not None else [0, 1]):
        current = scheduled.with_base(base, detected=declared is None)
        try:
            for step in checked:
                at = {**values, **current.values(step)}
                given = {name: (current.index(step) if kind == SCHEDULE_INDEX else current.array(kind))
                         for name, kind in handed.items()}
                report = _check_law(chosen, sampler, args, at, given, false_fail / len(checked), n, seed + step)
        except NonConformance as error:
            if first is None:
                first = error
                first.details["step"] = step
                first.args = (str(error) + f"\n  at step {step} of {current.describe()}",)
            continue
        if declared is not None and base != declared:
            raise NonConformance(str(first).split("\n")[0] + "\n  timestep index off by one: it draws from the law "
                                 f"at every step checked when the index counts from {base}; declare --index {base}",
                                 claim=chosen.name, kind="wrong", slip="timestep index off by one",
                                 declaration={"index": base}, details=first.details)
        report.schedule = (current.describe() + f"; steps {', '.join(map(str, checked))} checked, each at false-fail "
                           f"rate {false_fail / len(checked):.2g}")
        return report
    raise first


def _check_law(chosen: Law, sampler: Callable, args, values: dict, given: dict, false_fail: float, n, seed: int):
    """One check of the sampler against the law at ``values`` (``given``: arguments handed as they are)."""
    null = chosen.law(values)
    size = n if n is not None else draws_needed(chosen, null, false_fail)
    if not isinstance(size, int) or size < 10:
        raise ConformanceUsageError(f"n must be a whole number >= 10, got {size!r}")
    kwargs = {**_sampler_kwargs(chosen, sampler, args, values, reserved=set(given)), **given}
    draws, generator = draw(chosen, sampler, kwargs, values, size, seed)
    if draws.shape != (size,):
        raise NonConformance(f"the sampler returned shape {draws.shape} for n={size}; expected ({size},)",
                             claim=chosen.name, kind="shape", counterexample=kwargs, actual=list(draws.shape))
    if not np.all(np.isfinite(draws)):
        bad = int(np.sum(~np.isfinite(draws)))
        raise NonConformance(f"the sampler returned {bad} non-finite draws of {size}", claim=chosen.name,
                             kind="unstable", counterexample=kwargs)
    checks = run_tests(chosen, null, draws, false_fail)
    powers = {w.name: power(chosen, null, w.law(values), size, false_fail) for w in chosen.wrong}
    detectable = (f"a chi distance of {DETECT_CHI} between the class probabilities" if chosen.kind == "categorical"
                  else f"the mean off by {DETECT_MEAN} standard deviations or the variance off by "
                       f"{DETECT_VARIANCE:.0%}")
    report = DistributionReport(chosen.name, values, size, false_fail, detectable, POWER_TARGET, checks, powers, seed,
                                generator)
    if report.conforms:
        return report
    failed = [c for c in checks if not c.passed]
    fits = [w.name for w in chosen.wrong if all(c.passed for c in run_tests(chosen, w.law(values), draws, false_fail))]
    slip = fits[0] if fits else None
    lines = [f"the sampler does not draw from {chosen.name} (n = {size:,}, false-fail rate {false_fail:g})"
             + (f": the draws fit the known wrong sampler '{slip}'" if slip else "")]
    lines += [f"  {c.name} failed: statistic {c.statistic:.4g}, threshold {c.threshold:.4g}, p = {c.p_value:.3g}; "
              f"{c.detail}" for c in failed]
    lines.append(f"  parameters: {', '.join(f'{k}={v}' for k, v in kwargs.items())}; seed {seed}")
    expected = {k: (v.tolist() if isinstance(v, np.ndarray) else v) for k, v in null.items()}
    actual = ({"mean": float(np.mean(draws)), "variance": float(np.var(draws, ddof=1))} if chosen.kind != "categorical"
              else {"probs": (np.bincount(draws.astype(np.int64), minlength=len(null["probs"])) / size).tolist()})
    raise NonConformance("\n".join(lines), claim=chosen.name, kind="wrong", slip=slip, counterexample=kwargs,
                         expected=expected, actual=actual,
                         details={"law": chosen.name, "n": size, "false_fail": false_fail, "seed": seed,
                                  "checks": [c.to_json() for c in checks], "power": powers, "fits": fits})
