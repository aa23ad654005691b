r"""What a failing function computes instead: its slip, the first candidate that matches it at the
counterexample, at PROBES typical inputs and at the schedule's ends and branch boundaries -- a registered wrong
variant, the target under other conventions, a declarable factor, sign or constant, a timestep one off, a
mutation of the target's expression tree (:mod:`derivspec.testing.mutations`), a slip at an input (m(a) where a
belongs), a vector averaged where its sum belongs, a side of a variable where it is right, another claim of
the family, float32 computation -- and, where the function itself approximates, the candidate it is nearest.
"""

from __future__ import annotations


import random
from dataclasses import dataclass
from itertools import product
from typing import Mapping

import mpmath
import numpy as np
import sympy

from derivspec.core import registry
from derivspec.testing import calling
from derivspec.testing.allowance import FloatForm
from derivspec.testing.arguments import CONVENTIONS, LOG_BASES
from derivspec.testing.batches import WRONG_AXIS
from derivspec.testing.comparison import (MIN_BATCH, PROBES, Evaluation, Specification, _matches, _outputs,
                                          _typical_batch, compare, evaluate, expected_under)
from derivspec.testing.declarations import UP_TO, Affine, show_factor
from derivspec.testing.edges import always




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


def _slip(spec: Specification, fn, way: calling.Way, evaluations: list[Evaluation], found,
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
    from derivspec.core.catalogue import claim_variables

    if spec.sizes:
        return None
    names = {v.name for v in spec.claim.variables}
    family = spec.claim.id.split(".")[0]
    for claim_id, variables in sorted(claim_variables().items()):
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
