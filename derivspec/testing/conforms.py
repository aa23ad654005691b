r"""``conforms``: does the user's function implement a claim's derived target?

Hypothesis draws inputs from the claim's symbol domains (:mod:`derivspec.testing.strategies`), the
function is called with them (:mod:`derivspec.testing.calling`: plain Python, NumPy or torch; a function
that accepts a batch is called batched and per input, and the two must agree -- :mod:`derivspec.testing.batches`)
and its output is compared with the target evaluated at 50 digits (:mod:`derivspec.testing.evaluation`)
within the rounding the target's own expression suffers in the function's precision at the same inputs,
times a small factor (:mod:`derivspec.testing.allowance`):

    tolerance = SLACK · (ρ_p(x) + u·S(x) + u·|T(x)|) + tiny.

Three phases: the typical region -- a mismatch there is a wrong formula (or a raise, or a non-finite
output); the inputs always checked (:mod:`derivspec.testing.edges`: a schedule's first and last steps, each
parameter at its extremes, every branch boundary); then the whole domain with its edges -- a function right
on typical inputs that returns a non-finite or inaccurate value at an edge is *numerically unstable* there,
unless its output is a slip's. A deviation that keeps one sign and ratio at every input is a slip, not
rounding. A failure names the slip: the registered wrong variant, the target under other conventions
(``reduction``, ``log_base``), a wrong variant under other conventions, or a mutation of the target's
expression tree (:mod:`derivspec.testing.mutations`) -- the first that matches the function at the
counterexample and at PROBES typical inputs.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from itertools import product
from typing import Callable, Mapping

import mpmath
import numpy as np
import sympy

from derivspec.core import registry
from derivspec.core.claims import Claim
from derivspec.core.errors import UnknownClaimError
from derivspec.core.numbers import fmt
from derivspec.testing import calling
from derivspec.testing.allowance import SLACK, Deviation, FloatForm, rounding, systematic
from derivspec.testing.edges import always
from derivspec.testing.callables import as_function
from derivspec.testing.batches import WRONG_AXIS, batch_finding
from derivspec.testing.arguments import (CONVENTIONS, DEFAULT_CONVENTIONS, LOG_BASES, Argument, arguments_of,
                                         conventions_of, parameters_of, wrt_of)
from derivspec.testing.declarations import (UP_TO, Affine, Declarations, declaration_text, declarations_of, fit,
                                            show_factor)
from derivspec.testing.errors import HINT_SYNTAX, ConformanceInconclusive, ConformanceUsageError, NonConformance
from derivspec.testing.evaluation import CONFIRM_DIGITS, DIGITS, Compiled, Undefined, to_mpf
from derivspec.testing.report import ConformanceReport
from derivspec.testing.schedules import ARRAYS as SCHEDULE_ARRAYS
from derivspec.testing.schedules import INDEX as SCHEDULE_INDEX
from derivspec.testing.schedules import Schedule, schedule_of
from derivspec.testing.sizes import Sizing
from derivspec.testing.sizes import plan as sizing_plan
from derivspec.testing.strategies import typical_value

ROUNDING_SLACK = SLACK  # the allowance's factor over the formula's own rounding (derivspec.testing.allowance)
DEFAULT_EXAMPLES = 100  # inputs per check: half on the typical region, half on the whole domain
MIN_VALID = 10  # fewer valid inputs than this: inconclusive (exit 3)
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
            raise ConformanceUsageError(f"with a schedule the function takes the timestep index: name a parameter t, "
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
    claim = spec.claim
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


# --- the check ----------------------------------------------------------------------------------

class _Found(Exception):
    """A failing input found by Hypothesis (raised inside the property, caught outside)."""

    def __init__(self, status: str, evaluations: list[Evaluation], comparison: Comparison | None = None,
                 error: BaseException | None = None, dtype: str = "float64"):
        super().__init__(status)
        self.status, self.evaluations, self.comparison, self.error, self.dtype = status, evaluations, comparison, error, dtype
        self.spec: Specification | None = None  # the specification at the sizes drawn (None: the one checked)


@dataclass
class _Tally:
    valid: int = 0
    rejected: int = 0
    largest: Comparison = field(default_factory=lambda: Comparison("ok", -1.0))
    dtype: str = "float64"
    deviations: list = field(default_factory=list)  # every compared value's Deviation (a systematic one is a slip)


def conforms(claim_id: str, fn: Callable, *, args: Mapping | None = None, conventions: Mapping | None = None,
             wrt=None, seed: int = 0, max_examples: int | None = None, device: str | None = None,
             up_to=None, fix: Mapping | None = None, precision=None, schedule=None, steps: int | None = None,
             index=None, batching: str | None = None, sizes: Mapping | None = None) -> ConformanceReport:
    """Check that ``fn`` implements the claim ``claim_id``; return a report, or raise NonConformance.

    ``args`` maps the function's parameters to expressions in the claim's symbols (``{"lv1":
    "2*log(sigma1)"}``, ``{"logits": "[h1, h2, h3]"}``); ``conventions`` declares ``reduction``
    (``none`` | ``mean`` | ``sum`` over a batch axis) and ``log_base`` (``e`` | ``2`` | ``10``);
    ``wrt`` names claim variables the function differentiates the target by; ``seed`` makes the
    run reproducible; ``max_examples`` inputs are drawn (default DEFAULT_EXAMPLES); ``device``
    (``cpu`` | ``cuda``) hands a torch function its tensors there (default: CPU, CUDA when its own
    tensors are there). Declarations (:mod:`derivspec.testing.declarations`): ``up_to`` -- ``constant``,
    ``scale`` and/or ``sign`` (the output is factor·target + constant, the same at every input; the
    report gives them); ``fix`` -- ``{symbol: value}`` held fixed; ``precision`` -- ``float32``,
    ``float64`` or a relative tolerance. Diffusion code (:mod:`derivspec.testing.schedules`): ``schedule``
    -- ``linear``, ``cosine`` or an array of betas (``steps`` T of a named one, default 1000) handed to
    parameters named (or mapped to) ``betas``, ``alphas``, ``alphas_cumprod``, with the timestep ``t``;
    ``index`` -- 0 or 1, the first step's index (detected when not given). ``batching`` -- ``batched`` or
    ``unbatched`` (:func:`derivspec.testing.calling.choose`; default: decided, and said in the report).
    ``sizes`` -- ``{"D": 784}``: a size of the claim's vectors held at the user's value (default: drawn). Raises ConformanceUsageError on bad input and
    ConformanceInconclusive when fewer than MIN_VALID valid inputs could be drawn."""
    try:
        claim = registry.get(claim_id)
    except UnknownClaimError as error:
        raise ConformanceUsageError(str(error)) from None
    fn = as_function(fn)
    if device not in (None, "cpu", "cuda", "auto"):
        raise ConformanceUsageError(f"device {device!r} is not one of cpu, cuda, auto")
    if device == "auto":
        device = "cuda" if calling.cuda_available() else None
    if device == "cuda" and not calling.cuda_available():
        raise ConformanceUsageError("device 'cuda' asked for, but CUDA is not available here")
    if batching not in calling.BATCHINGS:
        raise ConformanceUsageError(f"batching {batching!r} is not batched or unbatched")
    if max_examples is not None and (not isinstance(max_examples, int) or max_examples < 2 * MIN_VALID):
        raise ConformanceUsageError(f"max_examples must be a whole number >= {2 * MIN_VALID}, got {max_examples!r}")
    declared = declarations_of(claim, up_to, fix, precision, ROUNDING_SLACK)
    scheduled = schedule_of(claim, schedule, steps, index)
    sizing = None if scheduled is not None else sizing_plan(claim, fn, args, wrt, fix, held=sizes)
    if sizes and sizing is None:
        raise ConformanceUsageError(f"sizes apply to claims with vectors of any size; {claim.id} has none"
                                    + (" that a schedule's function takes" if scheduled is not None else ""))
    if sizing is None:
        spec = specification(claim, fn, args, conventions, wrt, declarations=declared,
                             schedule=None if scheduled is None else scheduled.with_base(scheduled.base or 0))
    else:  # the claim at its own sizes (the function's indices as variables); other sizes drawn below
        own = {name: values[0] for name, values in sizing.drawn.items()}  # the claim's own sizes, or the held ones
        spec = specification(sizing.claim_at(own), fn, sizing.args_at(own), conventions, wrt, declarations=declared)
        spec.sizes, spec.vectors = own, sizing.vectors()
    examples = max_examples or DEFAULT_EXAMPLES
    rng = random.Random(seed)
    reduced = spec.conventions["reduction"] != "none"
    probe = _typical_batch(spec, rng, calling.PROBE_BATCH)
    choice = calling.choose(fn, spec.arguments, [e.inputs for e in probe], reduced=reduced,
                            outputs=spec.outputs, device=device, batching=batching)
    if choice.problem is not None:
        expected = [e.values[0] for e in probe]
        raise batch_finding(_function_name(fn), claim.id, choice.problem, spec.outputs, [e.inputs for e in probe],
                            [e.point for e in probe], expected, reduced)
    if choice.way is None:
        raise _could_not_call(spec, fn, probe, choice.tried, reduced, batching)
    way = choice.way
    try:
        spec.working = calling.call(fn, spec.arguments, [e.inputs for e in probe[:2]], way)[1]
    except calling.UserError:
        pass  # the search reports the raise at its (shrunk) input
    notes = []
    if not way.batched and batching is None and (hint := _branch_hint(spec, fn)) and not spec.declarations.fixed:
        notes.append(hint + " (and it can be checked on batches)")
    if scheduled is not None and scheduled.base is None:
        _detect_index(spec, fn, way, random.Random(seed + 15485863), scheduled)
    if declared.precision == "float32" and spec.working == "float64":
        spec.working = "float32"  # computed in float32 inside: handed only inputs float32 keeps in the domain
    if declared.precision == "float64" and spec.working != "float64":
        raise ConformanceUsageError(f"--precision float64 asks for float64 accuracy, but {_function_name(fn)} returns "
                                    f"{spec.working}: its output cannot be that accurate (declare --precision "
                                    f"{spec.working if spec.working in ('float32',) else 'RTOL'}, or compute in float64)"
                                    if HINT_SYNTAX.get() == "cli" else
                                    f"precision='float64' asks for float64 accuracy, but {_function_name(fn)} returns "
                                    f"{spec.working}: its output cannot be that accurate")
    if spec.working != "float64" or spec.floor:  # the allowance of the probing inputs in the working precision
        probe = [evaluate(spec, e.point) or e for e in probe]
    if declared.up_to:
        probes = _fit_probes(spec, random.Random(seed + 104729), probe)
        spec.affine = _matches(spec, probes, _outputs(fn, spec, probes, way), spec.conventions, None, way,
                               declared.up_to)
    sized = None if sizing is None else _SizedSpecs(sizing, spec, fn, args_conventions=(conventions, wrt, declared))
    tally = _Tally()
    typical = max(MIN_VALID, examples // 2)
    for region, count in (("typical", typical), ("edges", 0), ("all", examples - typical)):
        found = _check_always(spec, fn, way, seed, tally) if region == "edges" else \
            _search(spec, fn, way, region, count, seed, tally, sized)
        if found is not None:
            raise failure(found.spec or spec, fn, way, found, region, seed)
    drift = systematic(tally.deviations)
    if drift is not None:
        raise _systematic_failure(spec, fn, way, drift, seed)
    if tally.valid < MIN_VALID:
        raise ConformanceInconclusive(
            f"only {tally.valid} valid inputs of {claim.id} could be drawn ({tally.rejected} rejected: the target "
            f"undefined there, or beyond the range of the output's type); at least {MIN_VALID} are needed")
    largest = tally.largest
    return ConformanceReport(claim.id, tally.valid, largest.error, largest.tolerance, max(largest.ratio, 0.0),
                             dict(spec.conventions), spec.wrt, _called(way, choice.why), tally.dtype, seed,
                             {a.name: a.text for a in spec.arguments}, tally.rejected,
                             {**declared.to_json(), **({"schedule": spec.schedule.describe()} if spec.schedule else {})},
                             spec.affine, notes, {} if sizing is None else sizing.describe())


def _called(way: calling.Way, why: str) -> str:
    """How the function was called, with the decision: 'NumPy arrays, batched (decided: ...)'."""
    return way.describe().rsplit(", ", 1)[0] + ", " + why if why else way.describe()


class _SizedSpecs:
    """The specification at each combination of drawn sizes (built on first use, from the claim's general
    form), with what was found at the claim's own sizes: the working type and the factor and constant of
    ``up_to`` (found there, they must hold at every size)."""

    def __init__(self, sizing: Sizing, spec: Specification, fn, args_conventions):
        self.sizing, self.base, self.fn = sizing, spec, fn
        self.conventions, self.wrt, self.declared = args_conventions
        self.combinations = sizing.combinations()
        self._specs = {tuple(sorted(spec.sizes.items())): spec}

    def __call__(self, sizes: dict) -> Specification:
        key = tuple(sorted(sizes.items()))
        if key not in self._specs:
            spec = specification(self.sizing.claim_at(sizes), self.fn, self.sizing.args_at(sizes), self.conventions,
                                 self.wrt, declarations=self.declared)
            spec.working, spec.affine, spec.sizes, spec.own = self.base.working, self.base.affine, dict(sizes), self.base
            spec.vectors = self.base.vectors
            self._specs[key] = spec
        return self._specs[key]


def _detect_index(spec: Specification, fn, way: calling.Way, rng: random.Random, scheduled: Schedule) -> None:
    """The index base the function reads (0 or 1): the one under which it gives the target on typical
    inputs; 0 when neither does (the search then reports what it computes)."""
    for base in (0, 1):
        spec.schedule = scheduled.with_base(base, detected=True)
        probes = [[e] for e in _typical_batch(spec, rng, calling.PROBE_BATCH)]
        if _matches(spec, probes, _outputs(fn, spec, probes, way), spec.conventions, None, way,
                    spec.declarations.up_to) is not None:
            return
    spec.schedule = scheduled.with_base(0)


def _fit_probes(spec: Specification, rng: random.Random, probe: list[Evaluation]) -> list[list[Evaluation]]:
    """Typical inputs the factor and constant of ``up_to`` are found on: the probing batch one input
    per value, or (a reduction: one value per batch) batches of 2 to 6 inputs."""
    if spec.conventions["reduction"] == "none":
        return [[e] for e in probe]
    return [_typical_batch(spec, rng, size) for size in (3, 4, 5, 6, 7)]


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


def _search(spec: Specification, fn, way: calling.Way, region: str, count: int, seed: int,
            tally: _Tally, sized: "_SizedSpecs | None" = None) -> _Found | None:
    """Run Hypothesis on one region; the shrunk failing input, or None."""
    from hypothesis import HealthCheck, Phase, Verbosity, given, reject, settings, target
    from hypothesis import seed as fixed_seed
    from hypothesis.errors import Unsatisfiable

    from derivspec.testing.strategies import batch_strategy

    base = spec
    reduced = spec.conventions["reduction"] != "none"
    # each input costs an exact evaluation; a reduced batch has at least MIN_BATCH inputs (of 2, a sum read as a
    # mean is the target times 2: indistinguishable from a dropped 1/2)
    low, high = (MIN_BATCH, MIN_BATCH + 1) if reduced else ((1, 2) if way.batched else (1, 1))
    if sized is None:
        strategy = batch_strategy(spec.claim.variables, region, low, high).map(lambda points: (None, points))
    else:  # the sizes first (one draw per batch: a batch is a stacked array), then the points at those sizes
        from hypothesis import strategies as st

        built = {}  # one strategy per sizes (a strategy built afresh at each draw is validated afresh: slow)

        def at(index: int):
            if index not in built:
                sized_spec = sized(sized.combinations[index])
                built[index] = batch_strategy(sized_spec.claim.variables, region, low, high).map(
                    lambda points, index=index: (index, points))  # the index, not the specification: its repr is large
            return built[index]

        strategy = st.integers(0, len(sized.combinations) - 1).flatmap(at)

    @settings(max_examples=count, deadline=None, database=None, report_multiple_bugs=False,
              suppress_health_check=list(HealthCheck), verbosity=Verbosity.quiet,
              phases=(Phase.generate, Phase.shrink) if region == "typical" else (Phase.generate, Phase.target, Phase.shrink))
    @fixed_seed(seed + (0 if region == "typical" else 1))
    @given(strategy)
    def property_(drawn):
        index, points = drawn
        spec = base if index is None else sized(sized.combinations[index])
        evaluations = [evaluate(spec, p) for p in points]
        if any(e is None for e in evaluations):
            tally.rejected += 1
            reject()
        comparison = check_batch(spec, fn, way, evaluations, tally)
        if comparison is None:
            reject()
        if np.isfinite(comparison.ratio):
            target(min(comparison.ratio, 1e6), label="error / tolerance")

    try:
        property_()
    except _Found as found:
        return found
    except Unsatisfiable:
        return None
    return None


def check_batch(spec: Specification, fn, way: calling.Way, evaluations: list[Evaluation], tally: _Tally):
    """Call the function on one batch and compare: the Comparison (tallied), None where the inputs are
    unusable (rejected, tallied), or raise _Found."""
    reduced = spec.conventions["reduction"] != "none"
    try:
        actual, dtype = calling.call(fn, spec.arguments, [e.inputs for e in evaluations], way)
    except calling.UserError as error:
        raise _found(spec, "raised", evaluations, error=error.error) from None
    expected = expected_under(evaluations, spec.conventions, spec.outputs, spec.affine)
    if not way.batched and not reduced:
        outcomes = [compare(actual[i], dtype, expected[i], batched_rows=False, outputs=spec.outputs,
                            floor=spec.floor) for i in range(len(evaluations))]
        comparison = max(outcomes, key=lambda c: (c.status not in ("ok", "reject"), c.ratio))
        if any(c.status == "reject" for c in outcomes):
            comparison = Comparison("reject")
        deviations = [d for c in outcomes for d in c.deviations]
    else:
        comparison = compare(actual, dtype, expected, batched_rows=not reduced and way.batched, outputs=spec.outputs,
                             floor=spec.floor)
        deviations = comparison.deviations
    if comparison.status == "reject":
        tally.rejected += 1
        return None
    if comparison.status != "ok":
        raise _found(spec, comparison.status, evaluations, comparison, dtype=dtype)
    tally.valid += len(evaluations)
    tally.dtype = dtype
    tally.deviations += deviations
    if comparison.ratio > tally.largest.ratio:
        tally.largest = comparison
    return comparison


def _check_always(spec: Specification, fn, way: calling.Way, seed: int, tally: _Tally) -> _Found | None:
    """The inputs always checked (:func:`derivspec.testing.edges.always`): each alone, or -- a reduction --
    with typical inputs to make a batch of MIN_BATCH."""
    reduced = spec.conventions["reduction"] != "none"
    rng = random.Random(seed + 31337)
    for point in always(spec, seed):
        evaluation = evaluate(spec, point)
        if evaluation is None:
            continue
        batch = [evaluation] + (_typical_batch(spec, rng, MIN_BATCH - 1) if reduced else [])
        try:
            check_batch(spec, fn, way, batch, tally)
        except _Found as found:
            return found
    return None


def _found(spec: Specification, *args, **kwargs) -> _Found:
    found = _Found(*args, **kwargs)
    found.spec = spec
    return found


# --- the failure: the slip, the counterexample, the message ----------------------------------------

def _could_not_call(spec: Specification, fn, probe: list[Evaluation], tried: list, reduced: bool,
                    batching: str | None) -> NonConformance:
    """No way of calling the function worked: the first attempt's error (its own framework's, in the order
    tried), what it was handed, and the declaration that fits where the error says which."""
    name = _function_name(fn)
    where = probe[0]
    if not tried:
        single = "()" if spec.outputs == 1 else f"({spec.outputs},)"
        returned = _shape_returned(fn, spec, where)
        return NonConformance(f"{name} does not conform to {spec.claim.id}: handed one input it returns "
                              f"{returned}, where one value is shape {single}"
                              + ("" if spec.outputs == 1 else f" ({spec.outputs} derivatives)")
                              + f"\n  input: {_show_inputs(where.inputs)}", claim=spec.claim.id, kind="shape",
                              counterexample=where.inputs, point=where.point)
    way, error = tried[0]
    handed = "a batch of " + str(len(probe)) + " inputs" if way.batched else "one input"
    lines = [f"{name} does not conform to {spec.claim.id}: handed {handed} "
             f"({way.describe().rsplit(', ', 1)[0]}) it raised {calling.one_line(error)}",
             f"  input: {_show_inputs(where.inputs)}" + ("" if _same(where) else f"  ({_show_point(where.point)})")]
    if len(tried) > 1:
        others = "; ".join(f"{w.describe()}: {type(e).__name__}" for w, e in tried[1:4])
        lines.append(f"  also tried: {others}")
    hint = _hint_for_error(spec, fn, [e for _, e in tried], reduced, batching)
    if hint:
        lines.append("  " + hint)
    return NonConformance("\n".join(lines), claim=spec.claim.id, kind="raised", counterexample=where.inputs,
                          point=where.point, error=calling.one_line(error),
                          expected=[float(v) for v in where.values], declaration=None)


def _shape_returned(fn, spec: Specification, where: Evaluation) -> str:
    for kind in ("python", "numpy", "torch"):
        try:
            array, _ = calling.call(fn, spec.arguments, [where.inputs], calling.Way(kind, False, "cpu"))
        except (calling.UserError, ImportError):
            continue
        return f"shape {tuple(array.shape[1:])}"
    return "another shape"


AMBIGUOUS = ("ambiguous",)  # numpy's "truth value of an array ... is ambiguous", torch's "Boolean value of Tensor ..."


def _hint_for_error(spec: Specification, fn, errors: list, reduced: bool, batching: str | None) -> str:
    """The declaration an error points to: a parameter the code branches on (``if beta < ...``) is a
    hyperparameter to hold at a number (``--fix``); an IndexError or a dimension error of code written for
    a batch that returns one value (a batch-mean loss) wants a reduction declared."""
    texts = [str(e) for e in errors]
    if any(word in text for text in texts for word in AMBIGUOUS):
        branched = branched_parameters(fn) & {a.name for a in spec.arguments}
        names = [a for a in spec.arguments if a.name in branched and not a.is_list]
        if names:
            fix = {}
            for argument in names:
                expr = argument.exprs[0]
                if expr.is_Symbol:
                    fix[str(expr)] = "VALUE"
            if fix:
                return (f"its code branches on {', '.join(a.name for a in names)} (a hyperparameter): hold it at a "
                        f"number with {declaration_text({'fix': fix})}")
            return f"its code branches on {', '.join(a.name for a in names)} (a hyperparameter): hold it at a number"
    dimension = any(isinstance(e, IndexError) or "dimension" in str(e).lower() or "index" in str(e).lower()
                    for e in errors)
    if dimension and not reduced:
        return ("if it is a batch loss (one value for a batch), declare "
                + declaration_text({"conventions": {"reduction": "mean"}}) + " (or "
                + declaration_text({"conventions": {"reduction": "sum"}}) + ")")
    return ""


def branched_parameters(fn) -> set:
    """The parameters the function's code tests in an ``if``, ``while`` or conditional expression."""
    import ast
    import inspect
    import textwrap

    target = inspect.unwrap(fn)
    target = getattr(target, "__func__", target)
    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(target)))
    except (OSError, TypeError, SyntaxError, IndentationError):
        return set()
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.If, ast.While, ast.IfExp, ast.Assert)):
            found |= {n.id for n in ast.walk(node.test) if isinstance(n, ast.Name)}
    return found


def failure(spec: Specification, fn, way: calling.Way, found: _Found, region: str, seed: int) -> NonConformance:
    """The NonConformance for a failing input Hypothesis found (and shrank)."""
    name = _function_name(fn)
    claim = spec.claim
    evaluations = found.evaluations
    reduced = spec.conventions["reduction"] != "none"
    if found.status == "raised":
        shown = evaluations if reduced else evaluations[:1]
        inputs = _counterexample(shown, reduced)
        found_slip = _slip(spec, fn, way, shown, found, seed)  # what it computes where it does not raise
        slip, convention = found_slip.name, found_slip.convention
        also = ""
        if slip or convention:
            matches = ", ".join(f"{k}={v!r}" for k, v in (convention or {}).items())
            also = ("\n  where it does not raise, it matches " + (f"the known slip '{slip}'" if slip else "the target")
                    + (f" with {matches}" if matches else ""))
        return NonConformance(
            f"{name} does not conform to {claim.id}: it raised {calling.one_line(found.error)} on a valid input\n"
            f"  counterexample (shrunk): {_show_many(shown, reduced)}" + also,
            claim=claim.id, kind="raised", slip=slip, convention=convention, counterexample=inputs,
            point=_points(shown, reduced), error=calling.one_line(found.error))
    comparison = found.comparison
    if not reduced and comparison.worst is not None and found.status != "shape":
        evaluations = [evaluations[comparison.worst]]
        actual = comparison.actual.reshape((-1, spec.outputs))[found.comparison.worst]
        comparison = compare(actual.reshape(() if spec.outputs == 1 else (spec.outputs,)), found.dtype,
                             expected_under(evaluations, spec.conventions, spec.outputs, spec.affine)[0],
                             batched_rows=False, outputs=spec.outputs, floor=spec.floor)
    found_slip = _slip(spec, fn, way, evaluations, found, seed, region)
    slip, convention, declaration = found_slip.name, found_slip.convention, found_slip.declaration
    kind = {"nonfinite": "unstable", "shape": "shape"}.get(found.status, "wrong")
    if found.status == "off" and region in ("all", "edges") and slip is None and convention is None and declaration is None:
        kind = "unstable"  # right on the typical region, inaccurate here
    expected_value = _confirmed_expected(spec, evaluations)
    actual_value = comparison.actual
    lines = [f"{name} does not conform to {claim.id}" + (f" (d/d{', d/d'.join(spec.wrt)})" if spec.wrt else "")
             + ": " + _verdict(kind, found_slip, spec, found, actual_value)]
    lines.append(f"  counterexample (shrunk): {_show_many(evaluations, reduced)}")
    shown_expected = _show_number(expected_value)
    lines.append(f"  expected {shown_expected} (the derived target{_conventions_text(spec.conventions)}, "
                 f"{DIGITS} digits), got {_show_number(actual_value)}"
                 + (f"; allowed error {fmt(comparison.tolerance, '.3g', bound=True)}" if comparison.tolerance else ""))
    if kind == "unstable":
        lines.append(f"  the formula agrees with the target on the typical inputs; at this input it "
                     + ("returns a non-finite value where the target is finite" if found.status == "nonfinite"
                        else f"loses accuracy (error {fmt(comparison.error, '.3g', bound=True)})")
                     + ": rewrite it in a stable form (log-sum-exp, log1p, softplus, logsigmoid, ...)")
    if spec.affine is not None and spec.declarations.up_to:
        lines.append(f"  up to {' and '.join(sorted(spec.declarations.up_to))}: found on typical inputs that the output "
                     f"is {spec.affine.describe()}, which does not hold at this input (the expected value above is "
                     f"the target with that applied; the target itself is {_show_number(_confirmed_target(spec, evaluations))})")
    if (hint := _branch_hint(spec, fn)) and not spec.declarations.fixed:
        lines.append("  " + hint)
    return NonConformance("\n".join(lines), claim=claim.id, kind=kind, slip=slip, convention=convention,
                          counterexample=_counterexample(evaluations, reduced), point=_points(evaluations, reduced),
                          expected=expected_value, actual=actual_value, tolerance=comparison.tolerance or None,
                          declaration=declaration,
                          details={"region": region, "called": way.describe(), "dtype": found.dtype,
                                   **({"sizes": dict(spec.sizes)} if spec.sizes else {})})


def _verdict(kind: str, found_slip: Slip, spec: Specification, found: _Found, actual) -> str:
    slip, convention, declaration = found_slip.name, found_slip.convention, found_slip.declaration
    if convention is not None:
        declared = ", ".join(f"{k}={spec.conventions[k]!r}" for k in convention)
        matches = ", ".join(f"{k}={v!r}" for k, v in convention.items())
        what = f"the known slip '{slip}' with {matches}" if slip else f"the target with {matches}"
        hint = "" if slip else f"; declare {declaration_text({'conventions': convention})}"
        return f"wrong convention -- it matches {what}, you declared {declared}{hint}"
    if declaration is not None:
        known = slip is not None and any(w.name == slip for w in spec.claim.wrong_variants)
        what = (f"wrong formula -- it matches the known slip '{slip}'" if known else f"wrong formula -- {slip}") if slip \
            else "inaccurate -- it agrees with the target to float32 accuracy only"
        return f"{what}; it would conform with {declaration_text(declaration)}"
    if slip is not None:
        if any(w.name == slip for w in spec.claim.wrong_variants):
            return f"wrong formula -- it matches the known slip '{slip}'"
        return f"wrong formula -- {slip}"
    if kind == "shape":
        return (f"output of shape {tuple(np.shape(actual))}, expected "
                f"{tuple(np.shape(found.comparison.expected))}")
    if kind == "unstable":
        return f"numerically unstable at {_show_inputs(found.evaluations[0].inputs)}" if len(found.evaluations) == 1 \
            else "numerically unstable"
    return "wrong formula (no registered slip of this claim matches it)"


@dataclass
class Slip:
    """What a failing function computes instead: ``name`` (a registered wrong variant, or a slip named
    by its form: a factor, a sign, a constant, swapped roles), ``convention`` (conventions that differ
    from the declared ones) and ``declaration`` (what the caller could declare to make it conform:
    ``{"up_to": [...]}`` or ``{"precision": "float32"}``); ``affine`` -- the factor and constant."""

    name: str | None = None
    convention: dict | None = None
    declaration: dict | None = None
    affine: Affine | None = None


FREEDOMS = (("sign",), ("scale",), ("constant",), ("sign", "constant"), ("scale", "constant"), ("scale", "sign"),
            ("scale", "sign", "constant"))  # the up_to declarations a hint tries, simplest first


def _slip(spec: Specification, fn, way: calling.Way, evaluations: list[Evaluation], found: _Found | None,
          seed: int, region: str = "typical") -> Slip:
    """The slip the function matches at the counterexample, at PROBES typical inputs and at the inputs always
    checked: each wrong variant under the declared conventions, the claim's own size only, the target under
    other conventions, a batch mixed, the target up to a sign, a factor or a constant not declared (a hint:
    the declaration that makes it conform), a timestep one off, a mutation of the target's expression tree
    (:mod:`derivspec.testing.mutations`), a vector averaged where its sum belongs, two declarations at once,
    float32 computation (a failure on the typical region only: beyond it, a function right there that loses
    accuracy is unstable), then wrong variants under other conventions."""
    claim = spec.claim
    reduced = spec.conventions["reduction"] != "none"
    rng = random.Random(seed + 7919)
    size = len(evaluations) if reduced else 1
    probes = [evaluations] + [_typical_batch(spec, rng, max(size, MIN_BATCH) if reduced else 1) for _ in range(PROBES)]
    if reduced:  # batches of several sizes: a constant per input is told from one per batch
        probes += [_typical_batch(spec, rng, n) for n in (MIN_BATCH, 4, 5)]
    else:  # the schedule's ends and the branch boundaries: a slip must hold there too (the parameters' extremes
        # test stability, not the formula)
        probes += [[e] for e in (evaluate(spec, p) for p in always(spec, seed, structural=True)) if e is not None]
    outputs = _outputs(fn, spec, probes, way)
    declared = dict(spec.conventions)
    mine = spec.declarations.up_to
    others = [dict(zip(CONVENTIONS, values)) for values in product(*CONVENTIONS.values())]
    others = [c for c in others if c != declared and (c["log_base"] == "e" or claim.expand_defined(claim.target).has(sympy.log))]
    if not way.batched or not reduced:  # one input per call (or per batch of one): a reduction cannot show
        others = [c for c in others if c["reduction"] == declared["reduction"]]
    variants = [(w.name, spec.expected_exprs(w.expr)) for w in claim.wrong_variants]
    if spec.wrt:
        variants.append(("sign flipped", [-e for e in spec.expected_exprs(claim.target)]))

    def declarable(largest: int) -> Slip | None:  # the target up to a sign, a factor or a constant not declared
        for freedoms in FREEDOMS:
            if set(freedoms) <= mine or not set(freedoms) >= mine or len(set(freedoms) - mine) > largest:
                continue
            affine = _matches(spec, probes, outputs, declared, None, way, frozenset(freedoms))
            if affine is not None and (affine.factor != 1 or affine.constant != 0):
                return Slip(_form_of(affine), declaration={"up_to": [f for f in UP_TO if f in freedoms]}, affine=affine)
        return None

    for name, exprs in variants:
        if (affine := _matches(spec, probes, outputs, declared, exprs, way, mine)) is not None:
            generic = declarable(1)  # a registered slip that is only a sign, a factor or a constant: say so
            return Slip(name, declaration=generic.declaration if generic else None, affine=affine)
    if spec.sizes and (averaged := _averaged_axis(spec, fn, way, probes, outputs)) is not None:
        return Slip(averaged)
    if spec.own is not None and _right_at_own_sizes(spec.own, fn, way, rng, reduced):
        own = ", ".join(f"{k} = {v}" for k, v in spec.own.sizes.items())
        here = ", ".join(f"{k} = {v}" for k, v in spec.sizes.items())
        return Slip(f"written for the claim's own size only ({own}): the target there, not at {here}")
    for conventions in others:
        if (affine := _matches(spec, probes, outputs, conventions, None, way, mine)) is not None:
            return Slip(None, _changed(conventions, declared), affine=affine)
    if way.batched and _couples_the_batch(spec, fn, way, random.Random(seed + 1299709)):
        return Slip(WRONG_AXIS)
    if (generic := declarable(1)) is not None:
        return generic
    if spec.schedule is not None:
        for shift in (1, -1):
            if _matches(spec, probes, outputs, declared, None, way, mine, shift=shift) is not None:
                other = {"index": 1 - (spec.schedule.base or 0)} if not spec.schedule.detected else None
                return Slip(f"timestep index off by one (it gives step t{shift:+d}'s value at step t)", declaration=other)
    if (mutant := _mutant(spec, probes, outputs, declared, way, mine)) is not None:
        return Slip(mutant)
    if (generic := declarable(3)) is not None:
        return generic
    if region == "typical" and spec.floor < 2.0 ** -24 and _matches(spec, probes, outputs, declared, None, way, mine,
                                                                    floor=2.0 ** -24) is not None:
        if _float32_numbers(outputs):
            return Slip(None, declaration={"precision": "float32"})
        return Slip("an approximation of the target: within float32 accuracy of it, far outside float64 rounding (a "
                    "small constant added for safety, a truncated constant, float32 arithmetic inside?)")
    if (transformed := _input_slip(spec, fn, way, probes, outputs)) is not None:
        return Slip(transformed)
    if (region := _right_on_one_side(spec, fn, way, declared, mine, seed)) is not None:
        return Slip(region)
    for name, exprs in variants:
        for conventions in others:
            if (affine := _matches(spec, probes, outputs, conventions, exprs, way, mine)) is not None:
                return Slip(name, _changed(conventions, declared), affine=affine)
    for conventions in others:
        if (mutant := _mutant(spec, probes, outputs, conventions, way, mine)) is not None:
            return Slip(mutant, _changed(conventions, declared))
    if (sibling := _sibling_slip(spec, probes, outputs, declared, way, mine)) is not None:
        return Slip(sibling)
    if not mine and (approximate := _approximate_slip(spec, probes, outputs, declared)) is not None:
        return Slip(approximate)
    return Slip()


def _mutant(spec: Specification, probes: list, outputs: list, declared: dict, way: calling.Way, mine) -> str | None:
    """The first mutation of the target (:func:`derivspec.testing.mutations.mutants`) the outputs match at
    every probe: a float64 sieve first, then the exact comparison."""
    from derivspec.testing.mutations import mutants

    cache = spec.__dict__.setdefault("_mutants", None)
    if cache is None:
        cache = spec._mutants = mutants(spec.claim)
    for mutant in cache:
        exprs = spec.expected_exprs(mutant.expr)
        if not mine and not _near_in_floats(spec, exprs, probes, outputs, declared):  # declared freedoms: no sieve
            continue
        if _matches(spec, probes, outputs, declared, exprs, way, mine) is not None:
            return mutant.name
    return None


INPUT_SLIPS = (  # what code does to an input where the input itself belongs: (words, its inverse, where defined)
    ("{a}**2", np.sqrt, lambda u: u >= 0),
    ("sqrt({a})", np.square, lambda u: u >= 0),
    ("-{a}", np.negative, lambda u: True),
    ("1/{a}", lambda u: 1 / u, lambda u: u != 0),
    ("exp({a})", np.log, lambda u: u > 0),
    ("log({a})", np.exp, lambda u: u < 700),
    ("sigmoid({a}) (a probability read as a logit?)", lambda u: np.log(u) - np.log1p(-u),
     lambda u: (u > 0) & (u < 1)),
    ("logit({a}) (a logit read as a probability?)", lambda u: 1 / (1 + np.exp(-u)), lambda u: True),
    ("2*{a}", lambda u: u / 2, lambda u: True),
    ("{a}/2", lambda u: 2 * u, lambda u: True),
)


def _input_slip(spec: Specification, fn, way: calling.Way, probes: list, outputs: list) -> str | None:
    """A slip at the function's input: it computes the target of m(a) where a belongs -- a variance handed on
    as a scale, a logit read as a probability, a log-variance negated -- found by handing it m⁻¹(a) instead:
    then its output is the target at every probe."""
    for argument in spec.arguments:
        if argument.integer or argument.schedule is not None:
            continue
        for words, inverse, defined in INPUT_SLIPS:
            usable, matched = 0, True
            for batch in probes:
                values = [e.inputs[argument.name] for e in batch]
                arrays = [np.asarray(v, float) for v in values]
                if not all(np.all(defined(a)) for a in arrays):
                    continue
                with np.errstate(all="ignore"):
                    changed = [inverse(a) for a in arrays]
                if not all(np.all(np.isfinite(c)) for c in changed):
                    continue
                handed = [{**e.inputs, argument.name: (c.tolist() if argument.is_list else float(c))}
                          for e, c in zip(batch, changed)]
                try:
                    actual, dtype = calling.call(fn, spec.arguments, handed, way)
                except calling.UserError:
                    matched = False
                    break
                expected = expected_under(batch, spec.conventions, spec.outputs, spec.affine)
                if spec.conventions["reduction"] != "none" or way.batched:
                    outcome = compare(actual, dtype, expected, batched_rows=spec.conventions["reduction"] == "none",
                                      outputs=spec.outputs, floor=spec.floor)
                    statuses = {outcome.status}
                else:
                    statuses = {compare(actual[i], dtype, expected[i], batched_rows=False, outputs=spec.outputs,
                                        floor=spec.floor).status for i in range(len(batch))}
                if statuses == {"reject"}:
                    continue
                if statuses - {"ok"}:
                    matched = False
                    break
                usable += 1
            if matched and usable >= 3:
                return f"it uses {words.format(a=argument.name)} where {argument.name} belongs"
    return None


SIDE_PROBES = 16  # typical inputs drawn to tell where a function is right from where it is wrong


def _right_on_one_side(spec: Specification, fn, way: calling.Way, declared: dict, mine, seed: int) -> str | None:
    """Right where one variable is positive and wrong where it is negative, or the reverse: an absolute value
    or a max(·, 0) dropped (a stable form's |z| written z) -- at three typical inputs or more on the right side
    (the declared factor or constant fitted there) and two or more on the other, of SIDE_PROBES."""
    if declared["reduction"] != "none":
        return None
    rng = random.Random(seed + 8191)
    probes = [_typical_batch(spec, rng, 1) for _ in range(SIDE_PROBES)]
    outputs = _outputs(fn, spec, probes, way)
    single = [(b, o) for b, o in zip(probes, outputs) if o is not None and len(b) == 1]
    for var in spec.continuous:
        for side, name in ((1, "positive"), (-1, "negative")):
            here = [(b, o) for b, o in single if b[0].point.get(var.name, 0) * side > 0]
            there = [(b, o) for b, o in single if b[0].point.get(var.name, 0) * side < 0]
            if len(here) < 3 or len(there) < 2:
                continue
            if _matches(spec, [b for b, _ in here], [o for _, o in here], declared, None, way, mine) is None:
                continue
            if any(_matches(spec, [b] * 3, [o] * 3, declared, None, way, mine) is not None for b, o in there):
                continue
            return f"right only where {var.name} is {name}: an absolute value or a max(., 0) of {var.name} dropped?"
    return None


def _near_in_floats(spec: Specification, exprs: list, probes: list, outputs: list, declared: dict) -> bool:
    """A cheap sieve: whether ``exprs`` evaluated in float64 (and reduced as ``declared`` says) come within 10⁻³
    (relative) of the outputs at every usable probe (True where it cannot tell)."""
    deviation = _float_deviation(spec, exprs, probes, outputs, declared)
    return deviation is None or deviation <= 1e-3


def _float_deviation(spec: Specification, exprs: list, probes: list, outputs: list, declared: dict) -> float | None:
    """The largest relative deviation |output − expr| / (1 + |expr|) over the probes, ``exprs`` evaluated in
    float64 and reduced as ``declared`` says; inf where the outputs are not as many values as the convention
    gives; None where it cannot tell (a declared factor or constant, an expression the float evaluator lacks)."""
    if spec.affine is not None:
        return None
    reduction = declared["reduction"]
    scale = 1.0 if declared["log_base"] == "e" else float(mpmath.log(int(LOG_BASES[declared["log_base"]])))
    forms = [FloatForm(e) for e in exprs]
    if not all(f.usable for f in forms):
        return None
    largest = 0.0
    for batch, output in zip(probes, outputs):
        if output is None:
            continue
        rows = []
        for evaluation in batch:
            values = {s: np.float64(evaluation.point[n]) for n, s in spec.symbols if n in evaluation.point}
            try:
                rows.append([float(form(values, np.float64)) for form in forms])
            except (ValueError, TypeError, KeyError):
                return None
        expected = np.array(rows) / scale
        if reduction != "none":
            expected = expected.sum(axis=0, keepdims=True) / (len(batch) if reduction == "mean" else 1)
        if np.size(output[0]) != expected.size:
            return float("inf")  # not as many values as the convention gives: it cannot match under it
        actual = np.asarray(output[0], float).reshape(expected.shape)
        both = np.isfinite(actual) & np.isfinite(expected)
        if np.any(np.isfinite(actual) != np.isfinite(expected)):
            return float("inf")
        if both.any():
            largest = max(largest, float(np.max(np.abs(actual[both] - expected[both]) / (1 + np.abs(expected[both])))))
    return largest


APPROXIMATE = 1e-4  # a slip named approximately: the function within this relative distance of it


def _approximate_slip(spec: Specification, probes: list, outputs: list, declared: dict) -> str | None:
    """Where no candidate matches within the allowance -- the function itself approximates (an epsilon in a
    log) -- the candidate it is within APPROXIMATE of, when the target is a thousand times farther."""
    from derivspec.testing.mutations import mutants

    target = _float_deviation(spec, spec.expected_exprs(spec.claim.target), probes, outputs, declared)
    if target is None or target == float("inf"):
        return None
    cache = spec.__dict__.setdefault("_mutants", None) or mutants(spec.claim)
    spec._mutants = cache
    candidates = [(w.name, w.expr) for w in spec.claim.wrong_variants] + [(m.name, m.expr) for m in cache]
    best = None
    for name, expr in candidates:
        deviation = _float_deviation(spec, spec.expected_exprs(expr), probes, outputs, declared)
        if deviation is not None and deviation <= APPROXIMATE and deviation * 1000 < target \
                and (best is None or deviation < best[1]):
            best = (name, deviation)
    if best is None:
        return None
    return f"{best[0]} (approximately: within a relative {best[1]:.1g}, where the function itself approximates)"


def _sibling_slip(spec: Specification, probes: list, outputs: list, declared: dict, way: calling.Way, mine) -> str | None:
    """Another claim of the family with the same variables that the outputs match: the other convention of a
    quantity (label smoothing's ε/K for ε/(K − 1)), a neighbouring loss."""
    from derivspec.testing.suggest import _symbols

    if spec.sizes:
        return None
    names = {v.name for v in spec.claim.variables}
    family = spec.claim.id.split(".")[0]
    for claim_id, variables in sorted(_symbols().items()):
        if claim_id == spec.claim.id or not claim_id.startswith(family + ".") or set(variables) != names:
            continue
        try:
            other = registry.get(claim_id)
        except Exception:  # a claim that cannot be built is no candidate
            continue
        by_name = {str(s): s for _, s in spec.symbols}
        expr = other.expand_defined(other.target)
        expr = expr.xreplace({s: by_name[str(s)] for s in expr.free_symbols if str(s) in by_name})
        if _matches(spec, probes, outputs, declared, spec.expected_exprs(expr), way, mine) is not None:
            return f"it computes {claim_id} ({other.title}) instead"
    return None


def _averaged_axis(spec: Specification, fn, way: calling.Way, probes: list, outputs: list) -> str | None:
    """A size's vectors averaged where their sum belongs: the output does not move when every vector of that
    size is handed twice over (its members repeated), as a mean over them does not -- where the target's sum
    grows."""
    if spec.conventions["reduction"] != "none":
        return None
    for dim, names in spec.vectors.items():
        moved = False
        for batch, output in zip(probes[:3], outputs[:3]):
            if output is None:
                continue
            doubled = [{k: (list(v) + list(v) if k in names else v) for k, v in e.inputs.items()} for e in batch]
            try:
                again, _ = calling.call(fn, spec.arguments, doubled, way)
            except calling.UserError:
                moved = True
                break
            before = np.asarray(output[0], float).reshape(-1)
            if again.shape != output[0].shape or np.any(np.abs(again.reshape(-1) - before) > 1e-9 * (1 + np.abs(before))):
                moved = True
                break
        if not moved and _reads_every_member(spec, fn, way, probes[0], outputs[0], names):
            return (f"averages over {dim} (the mean of each vector's {spec.sizes[dim]} members where their sum "
                    f"belongs)")
    return None


def _reads_every_member(spec: Specification, fn, way: calling.Way, batch: list, output, names: set) -> bool:
    """Whether the output moves when the last member of the vectors ``names`` moves (code written for the
    claim's own size reads only the first members: it does not average, it stops early)."""
    if output is None:
        return False
    nudged = [{k: (list(v[:-1]) + [v[-1] + 0.5] if k in names else v) for k, v in e.inputs.items()} for e in batch]
    try:
        again, _ = calling.call(fn, spec.arguments, nudged, way)
    except calling.UserError:
        return False
    before = np.asarray(output[0], float).reshape(-1)
    return again.shape == output[0].shape and bool(np.any(np.abs(again.reshape(-1) - before) > 1e-9 * (1 + np.abs(before))))


def _float32_numbers(outputs: list) -> bool:
    """Whether every output is a float32 number (computed in float32, handed back as float64)."""
    for output in outputs:
        if output is None:
            continue
        array = np.asarray(output[0], float)
        finite = array[np.isfinite(array)]
        if finite.size and not np.array_equal(finite.astype(np.float32).astype(np.float64), finite):
            return False
    return True


def _systematic_failure(spec: Specification, fn, way: calling.Way, drift: tuple, seed: int) -> NonConformance:
    """Within the allowance at every input, but off the target with one sign and about one ratio wherever it
    exceeds the formula's own rounding: a slip, not rounding -- named where a candidate matches."""
    low, high = drift
    rng = random.Random(seed + 271828)
    shown = _typical_batch(spec, rng, MIN_BATCH if spec.conventions["reduction"] != "none" else 1)
    found_slip = _slip(spec, fn, way, shown, None, seed)
    name = found_slip.name or f"a factor of about 1 + {low:.3g} (the output is off the target by a relative {low:.3g} " \
                              f"to {high:.3g}, always with that sign)"
    lines = [f"{_function_name(fn)} does not conform to {spec.claim.id}: wrong formula -- a systematic deviation: "
             f"{name}",
             f"  rounding changes sign and size from input to input; this deviation keeps one sign and ratio "
             f"(relative {low:.3g} to {high:.3g}) wherever it exceeds the formula's own rounding",
             f"  example: {_show_many(shown, spec.conventions['reduction'] != 'none')}"]
    return NonConformance("\n".join(lines), claim=spec.claim.id, kind="wrong", slip=name,
                          counterexample=_counterexample(shown, spec.conventions["reduction"] != "none"),
                          point=_points(shown, spec.conventions["reduction"] != "none"),
                          details={"region": "all", "systematic": [low, high]})


def _right_at_own_sizes(own: Specification, fn, way: calling.Way, rng: random.Random, reduced: bool) -> bool:
    """Whether the function gives the target at the claim's own sizes (typical inputs): a size fixed in its code."""
    probes = [_typical_batch(own, rng, MIN_BATCH if reduced else (3 if way.batched else 1)) for _ in range(PROBES)]
    return _matches(own, probes, _outputs(fn, own, probes, way), own.conventions, None, way,
                    own.declarations.up_to) is not None


def _couples_the_batch(spec: Specification, fn, way: calling.Way, rng: random.Random) -> bool:
    """Whether the function's value for some inputs of a batch depends on the batch's other inputs: a
    softmax, log-softmax, sum or mean taken over the batch axis. Without a reduction, the outputs of the
    first inputs move when the last ones are replaced; with one, the batch's value is neither the mean nor
    the sum of its inputs' values (each input called as a batch of one)."""
    size = 5
    batch, other = _typical_batch(spec, rng, size), _typical_batch(spec, rng, size)
    if len(batch) < size or len(other) < size:
        return False
    reduction = spec.conventions["reduction"]
    if reduction == "none":
        keep = 2
        probes = [batch, batch[:keep] + other[keep:]]
    else:
        probes = [batch] + [[e] for e in batch]
    outputs = _outputs(fn, spec, probes, way)
    if any(o is None for o in outputs):
        return False
    arrays = [np.asarray(o[0], float) for o in outputs]
    if not all(np.all(np.isfinite(a)) for a in arrays):
        return False

    def moved(a, b) -> bool:  # far beyond any rounding (a value of the target moves by O(1) when it is coupled)
        return a.shape != b.shape or bool(np.any(np.abs(a - b) > 1e-4 * (1 + np.abs(b))))

    if reduction == "none":
        first, second = (a.reshape(size, -1)[:keep] if a.size % size == 0 else a for a in arrays)
        return moved(first, second)
    whole, singles = arrays[0].reshape(-1), np.stack([a.reshape(-1) for a in arrays[1:]])
    return moved(whole, singles.mean(axis=0)) and moved(whole, singles.sum(axis=0))


def _changed(conventions: Mapping, declared: Mapping) -> dict | None:
    return {k: v for k, v in conventions.items() if v != declared[k]} or None


def _form_of(affine: Affine) -> str:
    """A slip named by its form: 'a factor 2 (a dropped 1/2)', 'sign flipped', 'a constant dropped'."""
    parts = []
    if affine.factor == -1:
        parts.append("sign flipped (the negative of the target)")
    elif affine.factor != 1:
        shown = show_factor(affine.factor)
        note = {"2": " (a dropped 1/2)", "1/2": " (a 1/2 too many)", "-2": " and sign flipped (a dropped -1/2)"}
        parts.append(f"a factor {shown}{note.get(shown, '')}")
    if affine.constant != 0:
        from derivspec.testing.declarations import show_constant

        shown = show_constant(abs(affine.constant))
        parts.append(f"a constant {shown} " + ("added" if affine.constant > 0 else "dropped"))
    return "; ".join(parts)


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


def _branch_hint(spec: Specification, fn) -> str:
    """The ``--fix`` hint for a parameter the function's code branches on (``if delta < 1e-5``): a
    hyperparameter held at the value the user runs with is checked there, not across its domain."""
    branched = branched_parameters(fn)
    fix = {str(a.exprs[0]): "VALUE" for a in spec.arguments
           if a.name in branched and not a.is_list and len(a.exprs) == 1 and a.exprs[0].is_Symbol
           and a.schedule is None and not a.integer}
    if not fix:
        return ""
    names = ", ".join(a.name for a in spec.arguments if a.name in branched and str(a.exprs[0]) in fix)
    return (f"its code branches on {names}: if that is a hyperparameter, hold it at the value you use with "
            f"{declaration_text({'fix': fix})}")


def _confirmed_target(spec: Specification, evaluations: list[Evaluation]):
    """The target itself at the counterexample (no declared factor or constant applied)."""
    affine, spec.affine = spec.affine, None
    try:
        return _confirmed_expected(spec, evaluations)
    finally:
        spec.affine = affine


def _confirmed_expected(spec: Specification, evaluations: list[Evaluation]):
    """The expected output at the counterexample recomputed at CONFIRM_DIGITS (a float, or a list)."""
    confirmed = [evaluate(spec, e.point, digits=CONFIRM_DIGITS) or e for e in evaluations]
    values = expected_under(confirmed, spec.conventions, spec.outputs, spec.affine)
    if spec.conventions["reduction"] == "none":
        flat = [[float(v) for v, _ in row] for row in values]
        flat = flat[0] if len(flat) == 1 else flat
    else:
        flat = [float(v) for v, _ in values]
    if isinstance(flat, list) and len(flat) == 1 and not isinstance(flat[0], list):
        return flat[0]
    return flat


def _counterexample(evaluations: list[Evaluation], reduced: bool):
    if reduced:
        return [e.inputs for e in evaluations]
    return evaluations[0].inputs


def _points(evaluations: list[Evaluation], reduced: bool):
    if reduced:
        return [e.point for e in evaluations]
    return evaluations[0].point


def _show_many(evaluations: list[Evaluation], reduced: bool) -> str:
    if not reduced:
        e = evaluations[0]
        return f"{_show_inputs(e.inputs)}" + ("" if _same(e) else f"  (claim's symbols: {_show_point(e.point)})")
    return "a batch of " + str(len(evaluations)) + ": " + "; ".join(_show_inputs(e.inputs) for e in evaluations)


def _same(evaluation: Evaluation) -> bool:
    return all(evaluation.point.get(k) == v for k, v in evaluation.inputs.items()) and \
        set(evaluation.inputs) == set(evaluation.point)


def _show_inputs(inputs: dict) -> str:
    return ", ".join(f"{k}={_show_number(v)}" for k, v in inputs.items())


def _show_point(point: dict) -> str:
    return ", ".join(f"{k}={_show_number(v)}" for k, v in point.items())


def _show_number(value) -> str:
    if isinstance(value, np.ndarray):
        value = value.tolist()
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_show_number(v) for v in value) + "]"
    if isinstance(value, (int, str)):
        return str(value)
    return repr(float(value))


def _conventions_text(conventions: Mapping) -> str:
    changed = {k: v for k, v in conventions.items() if v != DEFAULT_CONVENTIONS[k]}
    return "" if not changed else " with " + ", ".join(f"{k}={v!r}" for k, v in changed.items())


def _function_name(fn) -> str:
    return getattr(fn, "__qualname__", None) or getattr(fn, "__name__", None) or "the function"
