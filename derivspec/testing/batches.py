r"""A batch answered wrongly: what a function that accepts a batch did with it, named as a slip.

Code is called with batches (a leading axis of B inputs) far more often than one input at a time, so a
function that accepts a batch is checked as one: its batched output must be one value per input and
each row must be what one call with that input alone gives (:func:`derivspec.testing.calling.choose`).
Where it is not, the check does not fall back to one input per call -- where a slip such as a sum over
``dim=0`` would vanish -- but reports the batch as a finding (kind ``batch``), its slip named from what
came back:

* one value for the batch: the sum or the mean of the per-input values (*sums over the batch axis*,
  *averages over the batch axis*) -- a batch loss that declares no reduction, or per-input code whose
  ``.sum()`` takes the batch with it;
* another shape, such as one value per vector member (``(D,)`` for a batch of ``(B, D)``): *reduces
  over the batch axis (dim 0) instead of each input's own axis*;
* one value per input that differs from one call per input: each output depends on the batch's other
  inputs (*normalised over the wrong axis*: a softmax or mean across the batch).

The declarations that fit are named beside it: a reduction (a batch loss), ``--unbatched`` (code
written for one input at a time, never handed a batch).
"""

from __future__ import annotations

import numpy as np

from derivspec.testing.calling import BatchProblem
from derivspec.testing.declarations import declaration_text
from derivspec.testing.errors import NonConformance

WRONG_AXIS = "normalised over the wrong axis (across the batch, not over each input's own classes or dimensions)"
SUMS = "sums over the batch axis"
AVERAGES = "averages over the batch axis"
REDUCES = "reduces over the batch axis (dim 0) instead of each input's own axis"
MIXES_AXES = ("reduces over the batch axis (dim 0) where each input's own axis belongs: its terms' shapes no longer "
              "fit on a batch")


def _close(a: np.ndarray, b: np.ndarray) -> bool:
    return a.shape == b.shape and bool(np.all(np.abs(a - b) <= 1e-6 * (1 + np.abs(b))))


def slip_of(problem: BatchProblem, outputs: int) -> tuple[str, str | None]:
    """The slip a batch problem shows, and the reduction it would be (``sum`` | ``mean``), if any: the batch
    repeated twice and three times tells a sum over the batch axis (the output grows by the same step) from
    a mean (it does not move); one value for the batch is compared with the per-input values' sum and mean."""
    batched, singles = problem.batched, problem.singles
    if problem.kind == "mixes":
        return WRONG_AXIS, None
    if problem.kind == "raised":
        return MIXES_AXES, None
    twice, thrice = (list(problem.repeated) + [None, None])[:2]
    grows = twice is not None and thrice is not None and twice.shape == batched.shape == thrice.shape and \
        _close(thrice - twice, twice - batched) and not _close(twice, batched)
    still = twice is not None and twice.shape == batched.shape and _close(twice, batched)
    one_value = batched.size == outputs
    if one_value and singles is not None:
        rows = singles.reshape(len(singles), -1)
        if _close(batched.reshape(-1), rows.sum(axis=0)):
            return SUMS + " (one value for the batch: the sum of the per-input values)", "sum"
        if _close(batched.reshape(-1), rows.mean(axis=0)):
            return AVERAGES + " (one value for the batch: the mean of the per-input values)", "mean"
    if not one_value and batched.ndim >= 2 and batched.shape[0] == problem.batch:
        return f"returns {batched.shape[1]} values per input where one belongs (shape {tuple(batched.shape)})", None
    where = "" if one_value else " (dim 0) instead of each input's own axis"
    if grows:
        return SUMS + where, "sum" if one_value else None
    if still:
        return AVERAGES + where, "mean" if one_value else None
    return ("reduces the batch to one value" if one_value else REDUCES), None


def batch_finding(name: str, claim_id: str, problem: BatchProblem, outputs: int, inputs: list[dict],
                  points: list[dict], expected: list, reduced: bool) -> NonConformance:
    """The NonConformance for a batch the function accepted and answered wrongly (``inputs``/``points``:
    the batch, ``expected``: the target at each input)."""
    slip, reduction = slip_of(problem, outputs)
    single = () if outputs == 1 else (outputs,)
    want = single if reduced else (problem.batch, *single)
    lines = [f"{name} does not conform to {claim_id}: handed a batch of {problem.batch} inputs ("
             f"{problem.way.describe().removesuffix(', batched')}) it {_what(problem, want)} -- {slip}"]
    if problem.singles is not None and not reduced:
        shown = min(3, len(problem.singles), len(inputs))
        rows = problem.batched.reshape(-1)[:shown] if problem.kind == "mixes" else None
        for i in range(shown):
            line = (f"  input {i + 1}: {_show(inputs[i])}: alone it gives {_number(problem.singles[i])}"
                    f", the target is {_number(expected[i])}")
            if rows is not None:
                line += f"; in the batch it gives {_number(rows[i])}"
            lines.append(line)
    hints = []
    if reduction is not None and not reduced:
        hints.append(f"if it is a batch loss, declare {declaration_text({'conventions': {'reduction': reduction}})}")
    if not reduced:
        hints.append(f"if it is written for one input at a time (never handed a batch), declare "
                     f"{declaration_text({'batching': 'unbatched'})}")
    else:
        hints.append(f"if it returns one value per input, declare {declaration_text({'conventions': {'reduction': 'none'}})}")
    lines.append("  " + "; ".join(hints))
    declaration = ({"conventions": {"reduction": reduction}} if reduction is not None and not reduced
                   else {"batching": "unbatched"} if not reduced else {"conventions": {"reduction": "none"}})
    return NonConformance("\n".join(lines), claim=claim_id, kind="batch", slip=slip, declaration=declaration,
                          convention={"reduction": reduction} if reduction and not reduced else None,
                          counterexample=inputs[: min(3, len(inputs))], point=points[: min(3, len(points))],
                          expected=[float(v) for v in expected[: min(3, len(expected))]],
                          actual=problem.batched.tolist(),
                          details={"called": problem.way.describe(), "batch": problem.batch,
                                   "returned_shape": list(problem.batched.shape), "expected_shape": list(want)})


def _what(problem: BatchProblem, want: tuple) -> str:
    if problem.kind == "raised":
        from derivspec.testing.calling import one_line

        return f"raised {one_line(problem.error)}, where one input per call gives one value each"
    if problem.kind == "mixes":
        return ("returns one value per input, but not the value one call per input gives: each output depends "
                "on the batch's other inputs")
    return f"returns shape {tuple(problem.batched.shape)} where one value per input is shape {want}"


def _show(values: dict) -> str:
    return ", ".join(f"{k}={_number(v)}" for k, v in values.items())


def _number(value) -> str:
    if isinstance(value, np.ndarray):
        value = value.tolist()
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_number(v) for v in value) + "]"
    if isinstance(value, (int, str)):
        return str(value)
    return f"{float(value):.10g}"
