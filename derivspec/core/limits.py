"""How long a time limit really is: every nominal limit × ``DERIVSPEC_TIME_SCALE``.

A statement that takes 2 s on an idle machine can take 10 s on a loaded one; a limit that is met on
one machine and missed on another makes results depend on the machine. ``DERIVSPEC_TIME_SCALE``
(default 1) multiplies every limit -- per statement (``--time-limit``), per check, per file
(``--file-time-limit``), SymPy's own -- where it is enforced; messages keep the nominal figure.
The test suite runs with 5 (property_tests/conftest.py).
"""

from __future__ import annotations

import math
import os

from derivspec.core.errors import DerivspecError

TIME_SCALE_VARIABLE = "DERIVSPEC_TIME_SCALE"


def time_scale() -> float:
    """``DERIVSPEC_TIME_SCALE`` as a number in (0, 1000]; 1 when unset. Anything else is bad input."""
    raw = os.environ.get(TIME_SCALE_VARIABLE, "").strip()
    if not raw:
        return 1.0
    try:
        value = float(raw)
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and 0 < value <= 1000):
        raise DerivspecError(f"{TIME_SCALE_VARIABLE} must be a number in (0, 1000], got {raw[:40]!r}")
    return value


def scaled(seconds: float) -> float:
    """``seconds`` × :func:`time_scale`: the wall-clock length of a nominal time limit."""
    return seconds * time_scale()
