"""What every JSON report carries: the versions of derivspec, sympy and torch, the seed, the
device and the time. Versions come from the installed distributions' metadata, so this never
imports torch."""

from __future__ import annotations

import datetime


def version(distribution: str) -> str | None:
    """The installed version of ``distribution``, or None."""
    from importlib import metadata

    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return None


def run_metadata(seed: int | None = None, device: str | None = None) -> dict:
    """``meta`` of a JSON report: versions, seed, device and time (UTC, seconds)."""
    return {"derivspec": version("derivspec"), "sympy": version("sympy"), "torch": version("torch"),
            "seed": seed, "device": device,
            "time": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")}
