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
from dataclasses import dataclass

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


def _device_problem(error: BaseException) -> bool:
    text = str(error).lower()
    return "device" in text or "cuda" in text


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


def choose(fn, arguments, probe: list[dict], *, reduced: bool, outputs: int, device: str | None) -> tuple[Way | None, list]:
    """The way to call ``fn`` (see the module docstring), and ``(way, error)`` for the ways that raised.

    ``probe`` is a batch of typical inputs (PROBE_BATCH of them); ``reduced``: the function reduces
    a batch to one value (reduction mean or sum), so it must accept a batch."""
    tried: list = []
    batch = len(probe)

    def attempt(way: Way, values: list[dict]):
        try:
            return call(fn, arguments, values, way)[0]
        except UserError as error:
            tried.append((way, error.error))
            return None

    if framework_of(fn) == "torch" and device in (None, "cpu", "cuda"):  # a torch module's code gets tensors first
        try:
            import torch  # noqa: F401
        except ImportError:
            pass
        else:
            first = device or "cpu"
            single = None if reduced else attempt(Way("torch", False, first), probe[:2])
            array = attempt(Way("torch", True, first), probe)
            if array is not None and fits(array.shape, batch, True, reduced, outputs) and _agrees(array, single, reduced):
                return Way("torch", True, first), tried
            if single is not None and fits(single.shape[1:], 1, False, False, outputs):
                return Way("torch", False, first), tried
    single = None if reduced else attempt(Way("python", False), probe[:2])

    def batched_ok(array) -> bool:
        return array is not None and fits(array.shape, batch, True, reduced, outputs) and _agrees(array, single, reduced)

    if device in (None, "cpu") and batched_ok(array := attempt(Way("numpy", True), probe)):
        return Way("numpy", True), tried
    wants_torch = device is not None or "torch" in sys.modules or any(_wants_tensor(e) for _, e in tried)
    devices = [device] if device else ["cpu"]
    if wants_torch:
        try:
            import torch  # noqa: F401  (the function asked for tensors, or brought torch itself)
        except ImportError:
            wants_torch = False
    if wants_torch and device is None and cuda_available():
        devices.append("cuda")  # its own tensors may be on CUDA
    if wants_torch:
        for d in devices:
            if batched_ok(attempt(Way("torch", True, d), probe)):
                return Way("torch", True, d), tried
    if reduced:
        return None, tried
    if single is not None and fits(single.shape[1:], 1, False, False, outputs) and device in (None, "cpu"):
        return Way("python", False), tried
    if wants_torch:
        for d in devices:
            array = attempt(Way("torch", False, d), probe[:2])
            if array is not None and fits(array.shape[1:], 1, False, False, outputs):
                return Way("torch", False, d), tried
    return None, tried


def _agrees(batched: np.ndarray, single: np.ndarray | None, reduced: bool) -> bool:
    """A batched call agrees with one call per input (where those worked) to float32 accuracy."""
    if reduced or single is None:
        return True
    head = batched[: len(single)].reshape(single.shape)
    both = np.isfinite(head) & np.isfinite(single)
    return bool(np.all(np.abs(head[both] - single[both]) <= 1e-5 * np.maximum(1.0, np.abs(single[both]))))
