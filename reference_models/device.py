"""Device and precision policy for every numeric check.

DESIGN.md: numeric checks run in float64; TF32 is off; ``auto`` picks CUDA when present.
Seeds are explicit: each check builds its own ``torch.Generator`` on its device. Importing this
module changes nothing in torch: the commands that run numerics (and the test configuration)
call :func:`apply_numeric_policy`.
"""

from contextlib import contextmanager
from contextvars import ContextVar

import torch

from derivspec.core.errors import ParameterError

DTYPE = torch.float64


def apply_numeric_policy(threads: int | None = 1) -> None:
    """TF32 off for CUDA matmuls and convolutions (a float32 reference model must not silently
    compute in 10-bit mantissas), and ``threads`` intra-op threads (the checks' tensors are small:
    one thread per process avoids contention when workers share the cores; None leaves torch's
    choice); freed tensor memory kept for reuse (:func:`keep_freed_memory`). Called by ``verify``,
    ``errata``, ``coverage``, ``report`` and ``run`` before any numerics, by their worker processes,
    and by the tests' configuration."""
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    if threads is not None:
        torch.set_num_threads(threads)
    keep_freed_memory()


# glibc's malloc: blocks below MMAP_THRESHOLD come from the heap (its largest setting; the default adapts from
# 128 KiB), and up to TRIM_THRESHOLD of free memory at the heap's top is kept (the default: twice the former)
MMAP_THRESHOLD = 32 * 2**20
TRIM_THRESHOLD = 256 * 2**20


def keep_freed_memory() -> bool:
    """glibc's malloc with fixed thresholds (``mallopt``): the checks allocate and free tensors of a few MB thousands
    of times, and with the adaptive defaults glibc hands such blocks back to the kernel and maps them again, fresh
    zeroed pages each time -- measured: a quarter of the diffusion-elbo-chain model's CPU time (24.0 -> 17.7 s) was
    the kernel's. A process keeps up to TRIM_THRESHOLD of freed memory. False where the C library has no
    ``mallopt`` (not glibc): nothing changes there."""
    import ctypes

    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (AttributeError, OSError):
        return False
    M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3  # glibc's <malloc.h>
    return bool(mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD)) and bool(mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD))


_AUTO: ContextVar[torch.device | None] = ContextVar("auto_device", default=None)


@contextmanager
def auto_device(device: torch.device):
    """Within this block ``auto`` means ``device``. The behaviour checks draw from CPU generators
    (their evidence is the same on every machine), so their runner pins ``auto`` to the CPU: a model
    they build with no device lives beside their draws, also where CUDA is present."""
    token = _AUTO.set(torch.device(device))
    try:
        yield
    finally:
        _AUTO.reset(token)


def resolve_device(name: str = "auto") -> torch.device:
    """``auto`` -> CUDA when available, else CPU (or what :func:`auto_device` pins); ``cuda`` without
    CUDA is an error."""
    if name == "auto":
        pinned = _AUTO.get()
        if pinned is not None:
            return pinned
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name == "cpu":
        return torch.device("cpu")
    if name == "cuda":
        if not torch.cuda.is_available():
            raise ParameterError("--device cuda requested but CUDA is not available on this machine")
        return torch.device("cuda")
    raise ParameterError(f"unknown device {name!r}: expected auto, cpu or cuda")


def as_tensor(value, device: torch.device) -> torch.Tensor:
    """A number or sequence as a float64 tensor on ``device``."""
    return torch.as_tensor(value, dtype=DTYPE, device=device)


def as_device(device: torch.device | str | None, generator: torch.Generator | None = None) -> torch.device:
    """A device argument as given to reference models: None means the device of ``generator`` where
    one is given (a model drawn from a CPU generator lives on the CPU, also where CUDA is present),
    else ``auto``; a name is resolved (so ``cuda`` without CUDA is an error), a ``torch.device`` is kept."""
    if device is None:
        if isinstance(generator, torch.Generator):
            return generator.device
        return resolve_device("auto")
    if isinstance(device, str):
        return resolve_device(device)
    return torch.device(device)


def make_generator(seed: int, device: torch.device) -> torch.Generator:
    """A fresh generator on ``device`` seeded with ``seed`` (one per check)."""
    generator = torch.Generator(device=device)
    generator.manual_seed(int(seed))
    return generator
