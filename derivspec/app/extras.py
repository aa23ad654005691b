"""What a command needs beyond the light core (sympy, mpmath, rich), checked before any work.

``pip install derivspec`` gives ``check``, ``scan``, ``list`` and ``show``; ``verify``, ``errata``,
``coverage``, ``run`` and ``report`` load the numeric routes and the reference models and need the
``numeric`` extra. Without it they stop with one line naming the missing modules and the install
command (exit 2), never an ImportError. ``importlib.util.find_spec`` only looks the modules up:
nothing is imported here.
"""

from __future__ import annotations

import importlib.util

from derivspec.core.errors import DerivspecError

NUMERIC = ("torch", "numpy", "scipy", "matplotlib")
"""The modules of the ``numeric`` extra (pyproject.toml), in the order the message names them."""


def missing(modules: tuple[str, ...]) -> list[str]:
    """The top-level modules among ``modules`` that cannot be imported here."""
    return [name for name in modules if importlib.util.find_spec(name) is None]


def require_numeric(command: str, plots: bool = True) -> None:
    """Bad input (exit 2) when ``derivspec COMMAND`` cannot run here: a module of the numeric extra is
    missing (matplotlib only where the command draws plots)."""
    absent = missing(NUMERIC if plots else tuple(m for m in NUMERIC if m != "matplotlib"))
    if absent:
        verb = "is" if len(absent) == 1 else "are"
        raise DerivspecError(f"derivspec {command} needs the numeric extra ({', '.join(NUMERIC)}); "
                             f"{', '.join(absent)} {verb} not installed: pip install \"derivspec[numeric]\"")
