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
from typing import Callable, Mapping

import numpy as np

from derivspec.core import registry
from derivspec.core.errors import UnknownClaimError
from derivspec.core.numbers import fmt
from derivspec.testing import calling
from derivspec.testing.allowance import systematic
from derivspec.testing.arguments import DEFAULT_CONVENTIONS
from derivspec.testing.batches import batch_finding
from derivspec.testing.callables import as_function
from derivspec.testing.comparison import (MIN_BATCH, ROUNDING_SLACK, Comparison, Evaluation, Specification, _matches,
                                          _outputs, _typical_batch, compare, evaluate, expected_under, specification)
from derivspec.testing.declarations import declaration_text, declarations_of
from derivspec.testing.edges import always
from derivspec.testing.errors import HINT_SYNTAX, ConformanceInconclusive, ConformanceUsageError, NonConformance
from derivspec.testing.evaluation import CONFIRM_DIGITS, DIGITS
from derivspec.testing.report import ConformanceReport
from derivspec.testing.schedules import Schedule, schedule_of
from derivspec.testing.sizes import Sizing
from derivspec.testing.sizes import plan as sizing_plan
from derivspec.testing.slips import Slip, _slip


DEFAULT_EXAMPLES = 100  # inputs per check: half on the typical region, half on the whole domain
MIN_VALID = 10  # fewer valid inputs than this: inconclusive (exit 3)


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
        lines.append("  the formula agrees with the target on the typical inputs; at this input it "
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
