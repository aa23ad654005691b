"""Errata recomputations, registered beside the tests that do them.

A test that recomputes an erratum's evidence from scratch (not from derivspec's own result) says
which erratum it covers::

    @recomputes("nll.gaussian", "000", (251, 253))
    def test_gaussian_nll_is_the_squared_error_plus_a_constant_not_times_one(): ...

``test_errata.py`` requires one for every erratum ``derivspec errata`` reports, and no
registration for a statement that is no longer an erratum.
"""

from __future__ import annotations

import importlib
from pathlib import Path

HERE = Path(__file__).resolve().parent
RECOMPUTED: dict[tuple[str, str, tuple[int, int]], str] = {}


def recomputes(claim: str, lecture: str, lines: tuple[int, int]):
    """Register the decorated test as the recomputation of that erratum (lecture: "000" … "004")."""

    def register(test):
        key = (claim, lecture, tuple(lines))
        where = f"{Path(test.__code__.co_filename).name}::{test.__name__}"
        if RECOMPUTED.get(key, where) != where:
            raise ValueError(f"erratum {key} registered twice: {RECOMPUTED[key]} and {where}")
        RECOMPUTED[key] = where
        return test

    return register


def all_recomputations() -> dict[tuple[str, str, tuple[int, int]], str]:
    """Every registration: the test modules of this folder are imported (pytest put the folder on
    ``sys.path``, so a module it already collected is not imported twice)."""
    for path in sorted(HERE.glob("test_*.py")):
        importlib.import_module(path.stem)
    return dict(RECOMPUTED)
