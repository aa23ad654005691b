"""A cache of source statuses, so ``list --json`` and ``show`` need not recompute them.

Comparing every source with its claim's target takes seconds; running a behaviour source
trains a reference model. Results are stored under a fingerprint of the package's code and the
sympy/torch versions, so any change to a claim, a route or a model starts a fresh cache: a
stale status is never shown. ``verify`` and ``errata`` write what they compute; ``list`` and
``show`` compute the symbolic statuses they miss and report a behaviour source that no
``verify`` has run as ``not_run``.

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


@functools.cache
def code_fingerprint() -> str:
    """SHA-256 over the package's Python files and the sympy and torch versions."""
    import derivspec

    digest = hashlib.sha256(f"sympy {_version('sympy')} torch {_version('torch')}".encode())
    roots = [Path(derivspec.__file__).parent]
    for folder in PACKAGE_FOLDERS[1:]:
        import importlib.util

        spec = importlib.util.find_spec(f"derivspec.{folder}")
        roots += [Path(p) for p in (spec.submodule_search_locations or [])] if spec else []
    for root in roots:
        for path in sorted(root.rglob("*.py")):
            digest.update(str(path.relative_to(root)).encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


def cache_dir() -> Path:
    if os.environ.get("DERIVSPEC_CACHE_DIR"):
        return Path(os.environ["DERIVSPEC_CACHE_DIR"])
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "derivspec"


class SourceStatusCache:
    """Per claim, the status, correct form and evidence of each source, in source order."""

    def __init__(self):
        self.path = cache_dir() / f"sources-{code_fingerprint()[:20]}.json"
        try:
            self.data: dict[str, dict[str, dict]] = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            self.data = {}
        self.changed = False

    def get(self, claim_id: str, key: str) -> dict | None:
        return self.data.get(claim_id, {}).get(key)

    def put(self, claim_id: str, key: str, entry: dict) -> None:
        if self.data.get(claim_id, {}).get(key) != entry:
            self.data.setdefault(claim_id, {})[key] = entry
            self.changed = True

    def save(self) -> None:
        if not self.changed:
            return
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with tempfile.NamedTemporaryFile("w", dir=self.path.parent, delete=False, suffix=".tmp",
                                             encoding="utf-8") as handle:
                json.dump(self.data, handle)
            os.replace(handle.name, self.path)
            self.changed = False
        except OSError:
            pass
