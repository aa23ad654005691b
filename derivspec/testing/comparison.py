r"""What a conformance check compares: the specification (the claim, how the function's parameters map to its
variables, the declared conventions, the expected outputs), one input's exact expected values with their
rounding allowance (:mod:`derivspec.testing.allowance`), the conventions applied to a batch, the comparison
of an output with them, and whether outputs match an expression at probes (up to a declared factor and
constant). :mod:`derivspec.testing.conforms` runs the check on it; :mod:`derivspec.testing.slips` names what a
failing function computes.
"""

from __future__ import annotations


import random
from dataclasses import dataclass, field
from typing import Callable, Mapping

import mpmath
import numpy as np
import sympy

from derivspec.core.claims import Claim
from derivspec.testing import calling
from derivspec.testing.allowance import SLACK, Deviation, FloatForm, rounding
from derivspec.testing.arguments import LOG_BASES, Argument, arguments_of, conventions_of, parameters_of, wrt_of
from derivspec.testing.declarations import Affine, Declarations, fit
from derivspec.testing.errors import ConformanceInconclusive, ConformanceUsageError
from derivspec.testing.evaluation import CONFIRM_DIGITS, DIGITS, Compiled, Undefined, to_mpf
from derivspec.testing.schedules import ARRAYS as SCHEDULE_ARRAYS
from derivspec.testing.schedules import INDEX as SCHEDULE_INDEX
from derivspec.testing.schedules import Schedule
from derivspec.testing.strategies import typical_value



ROUNDING_SLACK = SLACK  # the allowance's factor over the formula's own rounding (derivspec.testing.allowance)
PROBES = 6  # typical inputs (beside the counterexample) a slip must also match at
MIN_BATCH = 3  # the smallest batch a reduction is checked on: with 2, mean and sum differ by the factor a dropped 1/2 makes
STEP = mpmath.mpf(10) ** -20  # relative step of the central differences of the args mapping (50 digits)


# --- the specification: claim, arguments, conventions, expected outputs ----------------------

@dataclass
class Specification:
    """What the function is checked against: the claim, how its parameters map to the claim's
    variables, the declared conventions, the symbols differentiated by and the expected outputs."""

    claim: Claim
    arguments: list[Argument]
    conventions: dict
    wrt: tuple[str, ...]
    targets: list[Compiled]
    compiled_arguments: list[list[Compiled]] = field(default_factory=list)
    identity: bool = True  # every argument a bare variable, each variable once
    working: str = "float64"  # the floating type the function computes in (found when it is first called)
    symbols: list = field(default_factory=list)  # (name, SymPy symbol) of every variable, built once
    continuous: list = field(default_factory=list)  # the continuous variables (Var)
    passed: frozenset = frozenset()  # the continuous variables handed to the function as they are
    declarations: Declarations = field(default_factory=Declarations)  # up_to, fix, precision
    schedule: Schedule | None = None  # a diffusion schedule and the index base the function reads
    affine: Affine | None = None  # the factor and constant found under up_to (None: the target itself)
    sizes: dict | None = None  # the sizes of the claim's vectors this specification is at (None: the claim's own)
    own: "Specification | None" = None  # at other sizes than the claim's own: the specification at its own
    vectors: dict = field(default_factory=dict)  # size name -> the parameters that take a vector of that size whole

    @property
    def integer_symbols(self) -> frozenset:
        """The whole-number and discrete variables (never perturbed by a rounding)."""
        return frozenset(v.symbol for v in self.claim.variables if v.domain.integer or v.domain.values is not None)

    @property
    def floor(self) -> float:
        """The unit roundoff the declared precision allows (0: the output's type decides)."""
        return self.declarations.unit

    @property
    def outputs(self) -> int:
        return len(self.targets)

    def expected_exprs(self, expr: sympy.Expr) -> list[sympy.Expr]:
        """The outputs ``expr`` (the target or a wrong variant) gives: itself, or its derivatives."""
        expr = self.claim.expand_defined(expr)
        if not self.wrt:
            return [expr]
        symbols = {v.name: v.symbol for v in self.claim.variables}
        return [sympy.diff(expr, symbols[name]) for name in self.wrt]


def specification(claim: Claim, fn: Callable, args, conventions, wrt, reserved=(),
                  declarations: Declarations | None = None, schedule: Schedule | None = None) -> Specification:
    handed = {}  # parameters the schedule supplies: the index and the arrays
    if schedule is not None:
        args = dict(args or {})
        for key, value in list(args.items()):
            if isinstance(value, str) and value.strip() in (*SCHEDULE_ARRAYS, SCHEDULE_INDEX):
                handed[key] = args.pop(key).strip()
        for parameter in parameters_of(fn)[0]:
            if parameter.name not in handed and parameter.name not in args and \
                    parameter.name in (*SCHEDULE_ARRAYS, SCHEDULE_INDEX):
                handed[parameter.name] = parameter.name
        if SCHEDULE_INDEX not in handed.values():
            raise ConformanceUsageError("with a schedule the function takes the timestep index: name a parameter t, "
                                        f"or map one with args={{'step': 't'}}")
    arguments = arguments_of(claim, fn, args, reserved=(*reserved, *handed))
    arguments += [Argument(name, kind, (), False, kind == SCHEDULE_INDEX, kind,
                           None if kind == SCHEDULE_INDEX else schedule.array(kind)) for name, kind in handed.items()]
    chosen = conventions_of(claim, conventions)
    names = wrt_of(claim, wrt)
    spec = Specification(claim, arguments, chosen, names, [], declarations=declarations or Declarations(),
                         schedule=schedule)
    spec.targets = [Compiled(e) for e in spec.expected_exprs(claim.target)]
    spec.compiled_arguments = [[Compiled(e) for e in a.exprs] for a in arguments]
    bare = [e for a in arguments for e in a.exprs]
    spec.identity = all(e.is_Symbol for e in bare) and len(set(bare)) == len(bare)
    spec.symbols = [(v.name, v.symbol) for v in claim.variables]
    spec.continuous = _continuous(claim)
    continuous = {v.symbol for v in spec.continuous}
    spec.passed = frozenset(e for e in bare if e in continuous)  # whole numbers are handed over exactly
    return spec


# --- one input: the function's arguments, the expected outputs and their error bounds --------

@dataclass
class Evaluation:
    point: dict  # claim variable name -> value (float or int)
    inputs: dict  # parameter -> value handed to the function (float, int or list)
    values: list  # expected outputs (mpf), before conventions
    errors: list  # the allowance's basis at each (derivspec.testing.allowance), in units of the working u


def evaluate(spec: Specification, point: Mapping, targets: list[Compiled] | None = None,
             digits: int = DIGITS) -> Evaluation | None:
    """The function's inputs and the expected outputs at ``point``; None where the target or an
    argument is undefined there, or an argument overflows a float."""
    if spec.declarations.fixed:
        point = {**point, **spec.declarations.fixed}
    if spec.schedule is not None:  # α_t and ᾱ_{t-1} of a step of the schedule
        step = point.get("step") or spec.schedule.step_of(point["alpha_t"])
        values = spec.schedule.values(step)
        if values is None:
            return None
        point = {**point, **values, "step": step}
    if spec.working != "float64" and not _representable(spec, point, spec.working):
        return None
    zero = mpmath.mpf(0)
    with mpmath.workdps(digits):
        exact = {symbol: (to_mpf(point[name]), zero) for name, symbol in spec.symbols}
        inputs, rounded = {}, []
        try:
            for argument, compiled in zip(spec.arguments, spec.compiled_arguments):
                if argument.schedule is not None:
                    inputs[argument.name] = spec.schedule.index(point["step"]) if argument.schedule == SCHEDULE_INDEX \
                        else f"<{argument.schedule} of the {spec.schedule.name} schedule>"
                    continue
                items = []
                for c in compiled:
                    value = c(exact, digits)[0]
                    if argument.integer:
                        items.append(int(value))
                        continue
                    number = float(value)
                    if not np.isfinite(number) or (value != 0 and abs(number) < calling.TINY["float64"]):
                        return None  # overflows, or underflows (no longer within a rounding of the value)
                    items.append(number)
                    rounded.append((c, number))
                inputs[argument.name] = items if argument.is_list else items[0]
        except (Undefined, OverflowError):
            return None
        key = (digits, tuple(sorted((name, point[name]) for name, _ in spec.symbols)))
        cache = spec.__dict__.setdefault("_input_error_cache", {})
        if key not in cache:  # the inputs' rounding depends on the point and the arguments, not on the expression
            cache[key] = _input_errors(spec, exact, rounded, digits)
        errors = None if cache[key] is None else dict(cache[key])
        if errors is None:
            return None
        if spec.schedule is not None:  # the function forms α_t and the product ᾱ_{t-1} from the betas itself
            for name, roundings in (("alpha_t", 2), ("alpha_bar_prev", 2 * point["step"])):
                symbol = dict(spec.symbols)[name]
                errors[symbol] = roundings * abs(exact[symbol][0])
        env = {symbol: (exact[symbol][0], errors.get(symbol, zero)) for _, symbol in spec.symbols}
        values, bounds = [], []
        unit = max(calling.UNIT_ROUNDOFF.get(spec.working, calling.UNIT_ROUNDOFF["float64"]), spec.floor)
        try:
            for target in targets if targets is not None else spec.targets:
                value, carried, own, uncertainty = _exact_value(target, env, digits, unit)
                values.append(value)
                bounds.append(_bound(spec, target, exact, value, carried, own, unit) + uncertainty / unit)
        except Undefined:
            return None
    return Evaluation(dict(point), inputs, values, bounds)


def _exact_value(target: Compiled, env: dict, digits: int, unit: float) -> tuple:
    """The target at ``digits`` digits with its carried and own error bounds and the uncertainty of the
    exact value itself (its own operations' rounding at that precision: 10·own·10^-digits); where that is
    not small against the value -- a log(1 + e^-118) cancels more than 50 digits -- recomputed at
    CONFIRM_DIGITS."""
    value, carried, own = target.parts(env, digits, unit)
    uncertainty = 10 * own * mpmath.mpf(10) ** -digits
    if digits >= CONFIRM_DIGITS or uncertainty <= mpmath.mpf(10) ** -10 * abs(value):
        return value, carried, own, uncertainty
    with mpmath.workdps(CONFIRM_DIGITS):
        value, carried, own = target.parts(env, CONFIRM_DIGITS, unit)
        return value, carried, own, 10 * own * mpmath.mpf(10) ** -CONFIRM_DIGITS


def _bound(spec: Specification, target: Compiled, exact: dict, value, carried, own, unit: float):
    """The allowance's basis at one input, in units of ``unit``: the formula's own rounding in the working
    precision (ρ_p, :func:`derivspec.testing.allowance.rounding`; the running error bound of its operations
    where the float evaluation is unavailable), the inputs' rounding carried through it, and |T|."""
    if spec.declarations.precision not in (None, "float32", "float64"):  # a relative tolerance: no float type to
        return own + carried + abs(value)  # evaluate in -- the running bound at that unit roundoff
    form = getattr(target, "float_form", None)
    if form is None:
        form = target.float_form = FloatForm(target.expr)
    rho = rounding(form, {s: v for s, (v, _) in exact.items()}, value, spec.working, spec.integer_symbols)
    return (own if rho is None else mpmath.mpf(rho) / unit) + carried + abs(value)


def _representable(spec: Specification, point: Mapping, dtype: str) -> bool:
    """Whether the point stays inside the claim's domains when rounded to the function's working type
    (a float32 function cannot be handed p = 1 - 10⁻⁹: it reads 1.0)."""
    kind = {"float32": np.float32, "float16": np.float16}.get(dtype)
    if kind is None:  # bfloat16: 8 bits of mantissa; round through float32 and keep the top bits
        return True
    with np.errstate(all="ignore"):
        for var in spec.continuous:
            rounded = float(kind(point[var.name]))
            if not np.isfinite(rounded) or not var.domain.contains(rounded):
                return False
    return True


def _continuous(claim: Claim):
    return [v for v in claim.variables if v.domain.values is None and not v.domain.integer]


def _input_errors(spec: Specification, exact: dict, rounded: list, digits: int) -> dict | None:
    """Each variable's error bound (units of u) from the rounding of the inputs the function was handed
    that the rounded point of the allowance does not show: none where every argument is a bare variable
    (the rounded point is the input); otherwise the preimage J⁺·|u| of the inputs' rounding (J = ∂u/∂x by
    central differences at 50 digits, J⁺ its pseudo-inverse) -- elementwise where each input is a function
    of one variable and each variable feeds one input (``logstd = log(sigma)``, any size)."""
    if spec.identity:
        return {}
    variables = spec.continuous
    if not rounded or not variables:
        return {}
    index = {var.symbol: i for i, var in enumerate(variables)}
    uses = [[index[s] for s in compiled.symbols if s in index] for compiled, _ in rounded]
    fed = [sum(1 for u in uses if i in u) for i in range(len(variables))]
    try:
        if all(len(u) <= 1 for u in uses) and all(f <= 1 for f in fed):  # elementwise: J is a matching
            spread = {}
            for (compiled, number), used in zip(rounded, uses):
                if not used:
                    continue
                var = variables[used[0]]
                slope = _slope(compiled, exact, var.symbol, digits)
                if slope == 0 or not np.isfinite(slope):
                    return None
                spread[var.symbol] = mpmath.mpf(abs(number) / abs(slope))
            return spread
        jacobian = np.zeros((len(rounded), len(variables)))
        for j, ((compiled, _), used) in enumerate(zip(rounded, uses)):
            for i in used:
                jacobian[j, i] = _slope(compiled, exact, variables[i].symbol, digits)
        if not np.all(np.isfinite(jacobian)):
            return None
        with np.errstate(all="ignore"):
            inverse = np.linalg.pinv(jacobian)
    except (Undefined, OverflowError, np.linalg.LinAlgError):
        return None
    magnitudes = np.array([abs(number) for _, number in rounded])
    with np.errstate(all="ignore"):
        spread = np.abs(inverse) @ magnitudes
    if not np.all(np.isfinite(spread)):
        return None  # the mapping is too ill-conditioned here to bound the inputs' rounding: not a usable input
    return {var.symbol: mpmath.mpf(float(spread[i])) for i, var in enumerate(variables)}


def _slope(compiled: Compiled, exact: dict, symbol, digits: int) -> float:
    """∂(compiled)/∂symbol at the exact point, by a central difference at 50 digits."""
    x = exact[symbol][0]
    h = abs(x) * STEP if x != 0 else STEP
    up, down = dict(exact), dict(exact)
    up[symbol] = (x + h, mpmath.mpf(0))
    down[symbol] = (x - h, mpmath.mpf(0))
    return float((compiled(up, digits)[0] - compiled(down, digits)[0]) / (2 * h))


# --- conventions and the comparison -------------------------------------------------------------

def expected_under(evaluations: list[Evaluation], conventions: Mapping, outputs: int, affine: Affine | None = None):
    """Expected outputs and error bounds for a batch under ``conventions`` (and, declared ``up_to``,
    ``affine``: factor·target + constant per input): shape (B, k) for reduction none, (k,) for mean
    and sum (as lists of mpf)."""
    base = LOG_BASES[conventions["log_base"]]
    scale = None if conventions["log_base"] == "e" else mpmath.log(int(base))
    rows = []
    for evaluation in evaluations:
        row = []
        for value, error in zip(evaluation.values, evaluation.errors):
            if scale is not None:
                value = value / scale
                error = error / scale + abs(value)
            if affine is not None:
                error = abs(affine.factor) * error + affine.constant_error + affine.factor_error * abs(value)
                value = mpmath.mpf(affine.factor) * value + mpmath.mpf(affine.constant)
            row.append((value, error))
        rows.append(row)
    reduction = conventions["reduction"]
    if reduction == "none":
        return rows
    reduced = []
    for k in range(outputs):
        values = [row[k][0] for row in rows]
        total = mpmath.fsum(values)
        error = mpmath.fsum(row[k][1] for row in rows) + (len(rows) - 1) * mpmath.fsum(abs(v) for v in values)
        if reduction == "mean":
            total = total / len(rows)
            error = error / len(rows) + abs(total)
        reduced.append((total, error))
    return reduced


@dataclass
class Comparison:
    status: str  # ok | off | nonfinite | shape | reject
    ratio: float = 0.0  # largest error / tolerance
    worst: int | None = None  # index of the worst input in a batch (reduction none)
    error: float = 0.0
    tolerance: float = 0.0
    expected: object = None
    actual: object = None
    deviations: list = field(default_factory=list)  # each value's Deviation (derivspec.testing.allowance)


def compare(actual: np.ndarray, dtype: str, expected, *, batched_rows: bool, outputs: int,
            floor: float = 0.0) -> Comparison:
    """``actual`` against ``expected`` (from :func:`expected_under`) with the rounding allowance of
    ``dtype``, or of the declared precision (``floor``, a unit roundoff) where that is coarser."""
    unit, tiny, largest = max(calling.UNIT_ROUNDOFF[dtype], floor), calling.TINY[dtype], calling.LARGEST[dtype]
    if batched_rows:
        want_shape = (len(expected),) if outputs == 1 else (len(expected), outputs)
        flat_expected = [row[k] for row in expected for k in range(outputs)]
    else:
        want_shape = () if outputs == 1 else (outputs,)
        flat_expected = list(expected)
    if actual.shape != want_shape and actual.size == int(np.prod(want_shape)) and actual.ndim <= len(want_shape) + 1 \
            and outputs == 1 and actual.shape in ((*want_shape, 1), (1,)):
        actual = actual.reshape(want_shape)
    if actual.shape != want_shape:
        return Comparison("shape", expected=_floats(flat_expected, want_shape), actual=actual)
    values = actual.reshape(-1)
    worst = Comparison("ok")
    deviations = []
    for index, ((value, bound), got) in enumerate(zip(flat_expected, values)):
        if abs(value) > largest:
            return Comparison("reject")
        tolerance = float(ROUNDING_SLACK * unit * bound) + tiny
        if not np.isfinite(tolerance):
            return Comparison("reject")
        row = index // outputs if batched_rows else None
        if not np.isfinite(got):
            return Comparison("nonfinite", float("inf"), row, float("inf"), tolerance,
                              _floats(flat_expected, want_shape), actual)
        error = float(abs(mpmath.mpf(float(got)) - value))
        ratio = error / tolerance
        if value != 0:
            deviations.append(Deviation(float((mpmath.mpf(float(got)) - value) / abs(value)),
                                        error > 2 * (tolerance - tiny) / ROUNDING_SLACK))
        if ratio > worst.ratio or worst.worst is None:
            worst = Comparison("ok", ratio, row, error, tolerance)
    if worst.ratio > 1:
        worst.status = "off"
    worst.expected, worst.actual = _floats(flat_expected, want_shape), actual
    worst.deviations = deviations
    return worst


def _floats(flat, shape):
    array = np.array([float(v) for v, _ in flat])
    return array.reshape(shape) if shape else array.reshape(())


def _outputs(fn, spec: Specification, probes: list[list[Evaluation]], way: calling.Way) -> list:
    outputs = []
    for batch in probes:
        try:
            outputs.append(calling.call(fn, spec.arguments, [e.inputs for e in batch], way))
        except calling.UserError:
            outputs.append(None)
    return outputs


def _typical_batch(spec: Specification, rng: random.Random, size: int) -> list[Evaluation]:
    batch = []
    for _ in range(size * 50):
        point = {v.name: typical_value(v.domain, rng) for v in spec.claim.variables}
        evaluation = evaluate(spec, point)
        if evaluation is not None:
            batch.append(evaluation)
            if len(batch) == size:
                return batch
    if not batch:
        raise ConformanceInconclusive(f"no valid typical input of {spec.claim.id} could be drawn")
    return batch


def _matches(spec, probes, outputs, conventions, exprs, way, freedoms=frozenset(), floor=None,
             shift: int = 0) -> Affine | None:
    """Whether the outputs are ``exprs`` (None: the target) under ``conventions`` at the probes (at least
    3 of them), up to the factor and constant ``freedoms`` allow: the Affine found (identity without
    freedoms), or None."""
    reduced = conventions["reduction"] != "none"
    floor = spec.floor if floor is None else floor
    compiled = None if exprs is None else [Compiled(e) for e in exprs]
    usable = []
    for batch, output in zip(probes, outputs):
        if output is None:
            continue
        if shift:  # the target one step of the schedule off (the function's inputs unchanged)
            evaluations = [evaluate(spec, {**e.point, "step": e.point["step"] + shift}, compiled) for e in batch]
        else:
            evaluations = batch if compiled is None else [evaluate(spec, e.point, compiled) for e in batch]
        if any(e is None for e in evaluations):
            continue
        usable.append((evaluations, output))
    if len(usable) < 3:
        return None
    affine = Affine()
    if freedoms:
        affine = _fit(spec, usable, conventions, freedoms, floor)
        if affine is None:
            return None
    matched = 0
    for evaluations, (actual, dtype) in usable:
        expected = expected_under(evaluations, conventions, spec.outputs, affine)
        if not reduced and not way.batched:
            outcomes = [compare(actual[i], dtype, expected[i], batched_rows=False, outputs=spec.outputs, floor=floor)
                        for i in range(len(evaluations))]
        else:
            outcomes = [compare(actual, dtype, expected, batched_rows=not reduced, outputs=spec.outputs, floor=floor)]
        statuses = {o.status for o in outcomes}
        if statuses == {"reject"}:
            continue
        if statuses - {"ok"}:
            return None
        matched += 1
    return affine if matched >= 3 else None


def _fit(spec: Specification, usable: list, conventions: Mapping, freedoms: frozenset, floor: float) -> Affine | None:
    """The factor and constant of ``freedoms`` that make the outputs the (reduced) target at every
    probe (:func:`derivspec.testing.declarations.fit`)."""
    reduced = conventions["reduction"] != "none"
    targets, outputs, weights, bounds, dtype = [], [], [], [], "float64"
    for evaluations, (actual, kind) in usable:
        expected = expected_under(evaluations, conventions, spec.outputs)
        flat = [pair for row in expected for pair in row] if not reduced else list(expected)
        values = np.asarray(actual, float).reshape(-1)
        if len(values) != len(flat):
            return None
        weight = len(evaluations) if conventions["reduction"] == "sum" else 1
        for (value, bound), got in zip(flat, values):
            targets.append(float(value))
            bounds.append(float(bound))
            outputs.append(float(got))
            weights.append(weight)
        dtype = calling._wider(dtype, kind)
    unit = max(calling.UNIT_ROUNDOFF[dtype], floor)
    return fit(freedoms, targets, outputs, weights, bounds, unit, ROUNDING_SLACK)
