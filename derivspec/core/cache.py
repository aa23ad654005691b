"""A cache of what is slow to recompute: source statuses, the claim listing, where each claim lives.

Comparing every source with its claim's target takes seconds; running a behaviour source
trains a reference model. Results are stored under a fingerprint of the package's code, its data
files and the sympy/mpmath/torch/numpy/scipy versions, so any change to a claim, a route or a model
starts a fresh cache: a stale entry is never used. ``verify``'s records (derivspec.app.evidence), and
the errata and coverage tables computed from the source statuses, are kept the same way. ``verify`` and ``errata`` write the source statuses they compute;
``list`` and ``show`` compute the symbolic statuses they miss and report a behaviour source that
no ``verify`` has run as ``not_run``. ``list`` also stores its listing and the module of every
claim, so ``check`` imports only the module of the claim it checks.

Location: ``$DERIVSPEC_CACHE_DIR``, else ``$XDG_CACHE_HOME/derivspec``, else
``~/.cache/derivspec``; a directory that cannot be written is skipped silently.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import tempfile
from importlib import metadata
from pathlib import Path

PACKAGE_FOLDERS = ("derivspec", "derivations", "numerics", "reference_models")


def _version(name: str) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "absent"


VERSIONED = ("sympy", "mpmath", "torch", "numpy", "scipy")  # what a cached result may depend on besides the code


@functools.cache
def code_fingerprint() -> str:
    """SHA-256 over the package's Python files, its data files (derivspec/data: the claim index and coverage
    reasons that ``coverage`` reads, the knowledge tables) and the versions of sympy, mpmath, torch, numpy
    and scipy."""
    import importlib.util

    digest = hashlib.sha256(" ".join(f"{name} {_version(name)}" for name in VERSIONED).encode())
    roots = [Path(__file__).resolve().parents[1]]  # derivspec/ (this file is derivspec/core/cache.py)
    for folder in PACKAGE_FOLDERS[1:]:
        spec = importlib.util.find_spec(f"derivspec.{folder}")
        roots += [Path(p) for p in (spec.submodule_search_locations or [])] if spec else []
    for root in roots:
        for path in sorted(root.rglob("*.py")):
            digest.update(str(path.relative_to(root)).encode())
            digest.update(path.read_bytes())
    data = roots[0] / "data"
    for path in sorted(p for p in data.rglob("*") if p.is_file() and "__pycache__" not in p.parts):
        digest.update(str(path.relative_to(data)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def cache_dir() -> Path:
    if os.environ.get("DERIVSPEC_CACHE_DIR"):
        return Path(os.environ["DERIVSPEC_CACHE_DIR"])
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "derivspec"


def _path(name: str) -> Path:
    return cache_dir() / f"{name}-{code_fingerprint()[:20]}.json"


def load(name: str):
    """The data stored under ``name`` for this code, or None."""
    try:
        return json.loads(_path(name).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def store(name: str, data) -> None:
    """Write ``data`` under ``name`` for this code (atomically; silently skipped if unwritable)."""
    path = _path(name)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile("w", dir=path.parent, delete=False, suffix=".tmp",
                                         encoding="utf-8") as handle:
            json.dump(data, handle)
        os.replace(handle.name, path)
    except OSError:
        pass


class SourceStatusCache:
    """Per claim, the status, correct form and evidence of each source, in source order."""

    def __init__(self):
        self.data: dict[str, dict[str, dict]] = load("sources") or {}
        self.changed = False

    def get(self, claim_id: str, key: str) -> dict | None:
        return self.data.get(claim_id, {}).get(key)

    def put(self, claim_id: str, key: str, entry: dict) -> None:
        if self.data.get(claim_id, {}).get(key) != entry:
            self.data.setdefault(claim_id, {})[key] = entry
            self.changed = True

    def save(self) -> None:
        if self.changed:
            store("sources", self.data)
            self.changed = False
