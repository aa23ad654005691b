"""What a conformance check raises.

* :class:`NonConformance` -- the user's function (or sampler) does not implement the claim: an
  ``AssertionError``, so it fails a pytest test; it names the slip and carries the shrunk
  counterexample (exit code 1 on the command line).
* :class:`ConformanceInconclusive` -- too few valid inputs could be drawn to decide (exit 3).
* :class:`ConformanceUsageError` -- bad input: an unknown claim or law, an ``args`` expression that
  names no symbol of the claim, an unknown convention (a ``DerivspecError``: one line, exit 2).
"""

from __future__ import annotations

from contextvars import ContextVar

from derivspec.core.errors import DerivspecError

# How a hint is written: ``python`` (``up_to=['scale']``) or ``cli`` (``--up-to scale``); the command line sets it.
HINT_SYNTAX: ContextVar[str] = ContextVar("derivspec_hint_syntax", default="python")


class ConformanceUsageError(DerivspecError):
    """Bad input to a conformance check (one line, exit code 2)."""


class ConformanceInconclusive(Exception):
    """Too few valid inputs could be drawn to decide (exit code 3); ``report`` says how many."""

    def __init__(self, message: str, report=None):
        super().__init__(message)
        self.report = report


class NonConformance(AssertionError):
    """The function does not conform to the claim.

    ``claim`` -- the claim id; ``kind`` -- ``wrong`` (a wrong formula), ``unstable`` (right on
    typical inputs, non-finite or inaccurate at this one), ``raised`` (the function raised on a
    valid input), ``shape`` (an output of the wrong shape), ``batch`` (handed a batch, an output of the wrong
    shape or rows that differ from one call per input: a sum or mean over the batch axis, a normalisation
    across it); ``slip`` -- the name of the registered
    wrong variant the function matches, or None; ``convention`` -- the conventions the output
    matches when they differ from the declared ones (``{"reduction": "sum"}``), or None;
    ``counterexample`` -- the function's inputs (shrunk), ``point`` -- the same input in the
    claim's symbols; ``expected`` / ``actual`` -- the target there (50 digits) and what the
    function returned; ``tolerance`` -- the error allowed there; ``declaration`` -- what the caller
    could declare to make it conform (``{"up_to": ["scale"]}``, ``{"precision": "float32"}``), or None.
    """

    def __init__(self, message: str, *, claim: str, kind: str, slip: str | None = None,
                 convention: dict | None = None, counterexample=None, point=None, expected=None, actual=None,
                 tolerance: float | None = None, error: str | None = None, details: dict | None = None,
                 declaration: dict | None = None):
        super().__init__(message)
        self.claim = claim
        self.kind = kind
        self.slip = slip
        self.convention = convention
        self.counterexample = counterexample
        self.point = point
        self.expected = expected
        self.actual = actual
        self.tolerance = tolerance
        self.error = error
        self.details = details or {}
        self.declaration = declaration  # what would make it conform, e.g. {"up_to": ["scale"]}, or None

    def to_json(self) -> dict:
        """The failure as JSON (``derivspec conform --json``)."""
        return {"claim": self.claim, "conforms": False, "kind": self.kind, "slip": self.slip,
                "convention": self.convention, "counterexample": _plain(self.counterexample),
                "point": _plain(self.point), "expected": _plain(self.expected), "actual": _plain(self.actual),
                "tolerance": self.tolerance, "error": self.error, "declaration": _plain(self.declaration),
                "message": str(self), **_plain(self.details)}


def _plain(value):
    """Numbers, arrays and tensors as JSON-able Python values (floats, lists, dicts)."""
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, int):
        return value
    if hasattr(value, "tolist"):
        return _plain(value.tolist())
    try:
        number = float(value)
    except (TypeError, ValueError):
        return str(value)
    if number != number or number in (float("inf"), float("-inf")):
        return str(number)
    return number
