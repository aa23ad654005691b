"""How the user's function is called: plain Python, NumPy or torch; batched when it accepts arrays.

The way is chosen once, on a few typical inputs (:func:`choose`): NumPy arrays of a batch first
(one call for many inputs), torch tensors when the function asks for tensors (float64 on the CPU,
on CUDA when its own tensors are there or ``device`` says so), then one call per input with Python
numbers. A batched way is kept only when it gives what one call per input gives (a function that
reads ``h[0]`` as "the first logit" must not be handed a batch). torch is imported only when the
function wants tensors or returns them.

The output's floating-point type decides the rounding allowance: its unit roundoff ``u`` and its
smallest normal number (:data:`UNIT_ROUNDOFF`, :data:`TINY`, :data:`LARGEST`).
"""

from __future__ import annotations

import sys
import warnings
from dataclasses import dataclass, field

import numpy as np

from derivspec.testing.callables import framework_of

UNIT_ROUNDOFF = {"float64": 2.0 ** -53, "float32": 2.0 ** -24, "float16": 2.0 ** -11, "bfloat16": 2.0 ** -8}
TINY = {"float64": 2.2250738585072014e-308, "float32": 1.1754943508222875e-38, "float16": 6.103515625e-05,
        "bfloat16": 1.1754943508222875e-38}
LARGEST = {"float64": 1.7976931348623157e308, "float32": 3.4028234663852886e38, "float16": 65504.0,
           "bfloat16": 3.3895313892515355e38}
PROBE_BATCH = 7  # inputs in the probing batch (a prime, unlike the usual sizes of a list argument)


class UserError(Exception):
    """The user's function raised; ``error`` is the exception."""

    def __init__(self, error: BaseException):
        super().__init__(str(error))
        self.error = error


@dataclass(frozen=True)
class Way:
    """How to call: ``kind`` python | numpy | torch, ``batched``, and the torch device."""

    kind: str
    batched: bool
    device: str | None = None

    def describe(self) -> str:
        what = {"python": "Python numbers", "numpy": "NumPy arrays", "torch": "torch tensors"}[self.kind]
        if self.kind == "torch":
            what += f" (float64, {self.device})"
        return what + (", batched" if self.batched else ", one input per call")


def one_line(error: BaseException) -> str:
    text = " ".join(str(error).split())
    return f"{type(error).__name__}: {text}" if text else type(error).__name__


def _wants_tensor(error: BaseException) -> bool:
    text = str(error)
    return "Tensor" in text or "tensor" in text


def cuda_available() -> bool:
    torch = sys.modules.get("torch")
    if torch is None:
        try:
            import torch
        except ImportError:
            return False
    return bool(torch.cuda.is_available())


def inputs(arguments, values: list[dict], way: Way) -> list[dict]:
    """The keyword arguments of the calls: one dict for a batched call, else one per input.

    ``values[b][name]`` is a float, an int or (a list argument) a list of them."""
    if way.batched:
        columns = {}
        for argument in arguments:
            if argument.constant is not None:  # an array handed whole (a schedule's betas)
                columns[argument.name] = _array(argument.constant, False, way)
                continue
            column = [v[argument.name] for v in values]
            columns[argument.name] = _array(column, argument.integer, way)
        return [columns]
    calls = []
    for value in values:
        call = {}
        for argument in arguments:
            item = value[argument.name]
            if argument.constant is not None:
                call[argument.name] = _array(argument.constant, False, Way("numpy", False) if way.kind == "python" else way)
            elif way.kind == "python" and not argument.is_list:
                call[argument.name] = item
            else:
                call[argument.name] = _array(item, argument.integer, way)
        calls.append(call)
    return calls


def _array(data, integer: bool, way: Way):
    if way.kind == "torch":
        import torch

        return torch.tensor(data, dtype=torch.int64 if integer else torch.float64, device=way.device)
    return np.asarray(data, dtype=np.int64 if integer else np.float64)


def call(fn, arguments, values: list[dict], way: Way) -> tuple[np.ndarray, str]:
    """The function's outputs for ``values``: an array (a batch's outputs stacked) and the floating
    type it computed in. Raises UserError when the function raises."""
    outputs, dtype = [], None
    for kwargs in inputs(arguments, values, way):
        try:
            with np.errstate(all="ignore"), warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                out = fn(**kwargs)
        except (KeyboardInterrupt, SystemExit, MemoryError):
            raise
        except Exception as error:
            raise UserError(error) from None
        array, kind = as_array(out)
        outputs.append(array)
        dtype = kind if dtype is None else _wider(dtype, kind)
    if way.batched:
        return outputs[0], dtype
    return np.stack(outputs) if outputs else np.zeros(0), dtype


def as_array(out) -> tuple[np.ndarray, str]:
    """An output (a number, NumPy array or scalar, torch tensor, or a list or tuple of them) as a
    float64 array and the name of the floating type it was computed in."""
    torch = sys.modules.get("torch")
    if torch is not None and isinstance(out, torch.Tensor):
        kind = str(out.dtype).removeprefix("torch.")
        data = out.detach().to("cpu")
        if not data.is_floating_point():
            return data.to(torch.float64).numpy(), "float64"
        return data.to(torch.float64).numpy(), kind if kind in UNIT_ROUNDOFF else "float64"
    if isinstance(out, (list, tuple)):
        parts = [as_array(item) for item in out]
        kind = "float64"
        for _, part_kind in parts:
            kind = _wider(kind, part_kind) if kind != "float64" else part_kind
        try:
            return np.stack([p for p, _ in parts]).astype(np.float64), kind
        except ValueError:
            raise UserError(ValueError("the function returned a ragged list")) from None
    if isinstance(out, (bool, np.bool_)) or out is None or isinstance(out, (str, bytes, dict)):
        raise UserError(TypeError(f"the function returned {type(out).__name__}, not a number or an array"))
    array = np.asarray(out)
    if array.dtype.kind not in "fiuc":
        raise UserError(TypeError(f"the function returned {type(out).__name__} of {array.dtype}, not numbers"))
    if array.dtype.kind == "c":
        raise UserError(TypeError("the function returned complex numbers"))
    kind = array.dtype.name if array.dtype.kind == "f" else "float64"
    return array.astype(np.float64), kind if kind in UNIT_ROUNDOFF else "float64"


def _wider(a: str, b: str) -> str:
    """The less precise of two floating types (its rounding allowance covers both)."""
    return a if UNIT_ROUNDOFF.get(a, 0) >= UNIT_ROUNDOFF.get(b, 0) else b


def fits(shape: tuple, batch: int, batched: bool, reduced: bool, outputs: int) -> bool:
    """Whether an output shape is the expected one: per input () or (k,); a batch stacks them."""
    single = () if outputs == 1 else (outputs,)
    if batched and not reduced:
        return shape == (batch, *single) or (outputs == 1 and shape == (batch, 1))
    return shape == single or (outputs == 1 and shape in ((1,),))


@dataclass
class Choice:
    """How the function will be called, and why (the report's first line says it): ``way`` (None when no
    way works), ``why`` -- the decision in words; ``tried`` -- ``(way, error)`` of each attempt that raised,
    in the order tried; ``problem`` -- a batch the function accepted but answered wrongly (a batched
    output of the wrong shape, or rows that differ from one call per input): a finding, never a fallback."""

    way: Way | None
    why: str = ""
    tried: list = field(default_factory=list)
    problem: "BatchProblem | None" = None


@dataclass
class BatchProblem:
    """A batch the function accepted and answered wrongly: ``way`` (the batched call), ``batched`` (its
    output), ``singles`` (one call per input of the same batch, stacked; None where those raised) and
    ``kind`` -- ``shape`` (the batched output is not one value per input), ``mixes`` (it is, but its rows
    differ from one call per input: the batch's inputs are mixed) or ``raised`` (the batch raised a shape
    error -- two terms reduced over different axes cannot be added -- where one input per call works)."""

    way: Way
    kind: str
    batched: np.ndarray
    singles: np.ndarray | None
    batch: int
    repeated: tuple = ()  # the outputs for the batch repeated twice and three times (None where it raised)
    error: BaseException | None = None  # kind ``raised``: the shape error the batch raised


BATCHINGS = (None, "batched", "unbatched")


def choose(fn, arguments, probe: list[dict], *, reduced: bool, outputs: int, device: str | None,
           batching: str | None = None) -> Choice:
    """The way to call ``fn`` on ``probe`` (a batch of typical inputs, PROBE_BATCH of them).

    A function that accepts a batch is called batched *and* per input, and the two must agree: a batched
    output of the wrong shape, or rows that differ from one call per input, is a :class:`BatchProblem`
    (the check reports it as a finding with its slip named), never a reason to fall back to one input per
    call. ``batching`` declares it: ``batched`` (the function must take a batch), ``unbatched`` (it is
    written for one input: never handed a batch); None -- decided here: batched when the function accepts
    a batch, else one input per call. ``reduced``: a reduction (mean or sum) is declared, so the function
    must take a batch and return one value for it."""
    if batching not in BATCHINGS:
        raise ValueError(f"batching {batching!r}")
    tried: list = []
    batch = len(probe)

    def attempt(way: Way, values: list[dict]):
        try:
            return call(fn, arguments, values, way)[0]
        except UserError as error:
            tried.append((way, error.error))
            return None

    torch_first = framework_of(fn) == "torch" and device in (None, "cpu", "cuda") and _torch_importable()

    def batched_ways():  # the function's own framework first, then the other: every way a batch can be handed
        first = [("torch", device or "cpu")] if torch_first else []
        first += [("numpy", None)] if device in (None, "cpu") else []
        yield from first
        yield from _torch_ways(device, tried, first)

    if batching != "unbatched":
        for kind, dev in batched_ways():
            way = Way(kind, True, dev)
            array = attempt(way, probe)
            if array is None:
                continue
            if reduced:
                if fits(array.shape, batch, True, True, outputs):
                    return Choice(way, "batched (a reduction is declared)", tried)
                return Choice(None, "", tried, BatchProblem(way, "shape", array, None, batch,
                                                            _repeated(fn, arguments, probe, way)))
            singles = per_input(fn, arguments, probe, kind, dev, outputs)
            shaped = fits(array.shape, batch, True, False, outputs)
            if shaped and _agrees(array, singles, False):
                why = "batched (declared)" if batching == "batched" else \
                    ("batched (decided: handed a batch it gives what one call per input gives)" if singles is not None
                     else "batched (decided: it takes a batch; one input per call raised, so the two were not compared)")
                return Choice(way, why, tried)
            return Choice(None, "", tried, BatchProblem(way, "mixes" if shaped else "shape", array, singles, batch,
                                                        _repeated(fn, arguments, probe, way)))
        if batching == "batched" or reduced:
            return Choice(None, "", tried)
    # one input per call: declared, or no way took a batch
    raised = next((e for w, e in tried if w.batched), None)
    shape_error = next(((w, e) for w, e in tried if w.batched and is_shape_error(e)), None)
    why = "one input per call (declared)" if batching == "unbatched" else \
        "one input per call (decided: handed a batch it raised " + (one_line(raised) if raised else "") + ")"
    if reduced:
        return Choice(None, "", tried)
    singles_ways = ([("torch", device or "cpu")] if torch_first else []) + \
        ([("python", None)] if device in (None, "cpu") else [])
    for kind, dev in [*singles_ways, *_torch_ways(device, tried, singles_ways)]:
        array = attempt(Way(kind, False, dev), probe[:2])
        if array is not None and fits(array.shape[1:], 1, False, False, outputs):
            if shape_error is not None and batching is None:  # right per input, a shape error on a batch: axes mixed
                return Choice(None, "", tried, BatchProblem(shape_error[0], "raised", np.zeros(0), array, len(probe),
                                                            error=shape_error[1]))
            return Choice(Way(kind, False, dev), why, tried)
    return Choice(None, "", tried)


SHAPE_ERRORS = ("could not be broadcast", "must match the size of tensor", "incompatible shapes",
                "shape mismatch", "shapes cannot be multiplied", "size mismatch")


def is_shape_error(error: BaseException) -> bool:
    """Whether an error says two arrays' shapes do not fit (NumPy's broadcast, torch's size of tensor a and b,
    JAX's incompatible shapes): what code that reduces two terms over different axes raises on a batch."""
    text = str(error).lower()
    return any(phrase in text for phrase in SHAPE_ERRORS)


def _repeated(fn, arguments, probe: list[dict], way: Way) -> tuple:
    """The outputs for the batch repeated twice and three times: a function that sums over the batch axis
    grows by the same step each time; one that averages over it does not move."""
    found = []
    for times in (2, 3):
        try:
            found.append(call(fn, arguments, probe * times, way)[0])
        except UserError:
            found.append(None)
    return tuple(found)


def _torch_importable() -> bool:
    try:
        import torch  # noqa: F401
    except ImportError:
        return False
    return True


def _torch_ways(device: str | None, tried: list, known: list) -> list:
    """The torch ways not yet in ``known`` when the function wants tensors (it asked for them in an error,
    or torch is loaded), on the CPU -- and on CUDA where its own tensors may be."""
    wants = device is not None or "torch" in sys.modules or any(_wants_tensor(e) for _, e in tried)
    if not wants or not _torch_importable():
        return []
    devices = [device] if device else ["cpu"] + (["cuda"] if cuda_available() else [])
    return [("torch", d) for d in devices if ("torch", d) not in known]


def per_input(fn, arguments, values: list[dict], kind: str, device: str | None, outputs: int = 1) -> np.ndarray | None:
    """The function's outputs for ``values`` one input per call, stacked: each input as itself (Python
    numbers where ``kind`` is numpy, else that kind) where that gives one value per input, or -- a function
    that takes only a batch (it iterates over the rows of what it is handed) -- as a batch of one. None where
    neither gives one value per input."""
    ways = [Way("python" if kind == "numpy" else kind, False, device)] + ([Way("numpy", False)] if kind == "numpy" else [])
    for single in ways:
        try:
            array = call(fn, arguments, values, single)[0]
        except UserError:
            continue
        if fits(array.shape[1:], 1, False, False, outputs):
            return array
    rows = []
    for value in values:
        try:
            out = call(fn, arguments, [value], Way(kind, True, device))[0]
        except UserError:
            return None
        if out.shape[:1] != (1,) or not fits(out.shape[1:], 1, False, False, outputs):
            return None
        rows.append(out[0])
    return np.stack(rows)


def _agrees(batched: np.ndarray, single: np.ndarray | None, reduced: bool) -> bool:
    """A batched call agrees with one call per input (where those worked) to float32 accuracy."""
    if reduced or single is None:
        return True
    head = batched[: len(single)]
    if head.size != single.size:
        return False
    head = head.reshape(single.shape)
    both = np.isfinite(head) & np.isfinite(single)
    return bool(np.all(np.abs(head[both] - single[both]) <= 1e-5 * np.maximum(1.0, np.abs(single[both]))))
