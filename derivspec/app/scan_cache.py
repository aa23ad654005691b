"""``scan``'s per-file result cache: an unchanged file is not checked again (``--no-cache`` turns it off).

An entry is one file's records as JSON, under a key hashed from everything its records depend on:
the file's bytes, the name its records carry (its suffix decides how it is read; its name which
registered sources cite it), the options that change results (``--time-limit``,
``--file-time-limit``), the settings' declarations
(matrices, vectors, constants, log base), the
versions of derivspec, SymPy, mpmath and Python, and a fingerprint of derivspec's own code (size and
modification time of each module: an edited checkout is never served old results). A file whose
check ran out of time (a statement stopped by its time limit, or the file's budget spent) is not
stored: another run, on a less loaded machine, may decide it.

The folder is ``--cache-dir``, else ``$DERIVSPEC_SCAN_CACHE_DIR``, else ``.derivspec_cache`` in the working
directory; it holds a ``.gitignore`` (``*``) and a ``CACHEDIR.TAG``, so git and backup tools pass
over it. A folder that cannot be written, or an entry that cannot be read, only costs the work
again: the scan goes on without them.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
from pathlib import Path

FOLDER = ".derivspec_cache"
ENVIRONMENT = "DERIVSPEC_SCAN_CACHE_DIR"  # apart from DERIVSPEC_CACHE_DIR (the claims' evidence, core/cache.py)
FORMAT = "scan-1"  # the entries' layout; a new layout starts a new subfolder
TAG = "Signature: 8a477f597d28d172789f06886806bc55\n# derivspec scan's result cache (https://bford.info/cachedir/)\n"


def folder(given: str | None = None) -> Path:
    return Path(given or os.environ.get(ENVIRONMENT) or FOLDER)


def _code_fingerprint() -> str:
    """Size and modification time of every module of derivspec and of the claim packages it reads."""
    import derivspec

    roots = [Path(derivspec.__file__).parent]
    for name in ("derivations",):
        module = sys.modules.get(name)
        if module is None:
            try:
                module = __import__(name)
            except ImportError:
                continue
        if getattr(module, "__file__", None):
            roots.append(Path(module.__file__).parent)
    digest = hashlib.sha256()
    for root in roots:
        for path in sorted(root.rglob("*.py")):
            info = path.stat()
            digest.update(f"{path.relative_to(root)}:{info.st_size}:{info.st_mtime_ns}\n".encode())
    return digest.hexdigest()


def _versions() -> dict:
    import mpmath
    import sympy

    from derivspec.core.metadata import version

    return {"derivspec": version("derivspec") or "unknown", "sympy": sympy.__version__, "mpmath": mpmath.__version__,
            "python": f"{sys.version_info[0]}.{sys.version_info[1]}"}


def _out_of_time(records) -> bool:
    return any(r.level == "warning" for r in records)


class ResultCache:
    """Entries under ``root``/FORMAT; :meth:`wrap` turns derivspec.scan.scan_file into a cached one."""

    def __init__(self, root: str | Path | None = None):
        self.root = folder(root)
        self.entries = self.root / FORMAT
        self._usable: bool | None = None
        self._fixed = json.dumps({"versions": _versions(), "code": _code_fingerprint(), "format": FORMAT},
                                 sort_keys=True)
        self.hits = 0
        self.misses = 0

    def key(self, data: bytes, name: str | None, options: dict) -> str:
        digest = hashlib.sha256(self._fixed.encode())
        digest.update(json.dumps({"name": name, "options": options}, sort_keys=True,
                                 default=repr).encode())
        digest.update(hashlib.sha256(data).digest())
        return digest.hexdigest()

    def _ready(self) -> bool:
        """The folder exists (made with its .gitignore and CACHEDIR.TAG) and can be written."""
        if self._usable is None:
            try:
                fresh = not self.root.exists()
                self.entries.mkdir(parents=True, exist_ok=True)
                if fresh or not (self.root / ".gitignore").exists():
                    (self.root / ".gitignore").write_text("# derivspec scan's result cache\n*\n", encoding="utf-8")
                    (self.root / "CACHEDIR.TAG").write_text(TAG, encoding="utf-8")
                self._usable = os.access(self.entries, os.W_OK)
            except OSError:
                self._usable = False
        return self._usable

    def get(self, key: str):
        from derivspec.scan import Record

        try:
            data = json.loads((self.entries / f"{key}.json").read_text(encoding="utf-8"))
            return [Record.from_json(item) for item in data["records"]]
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def put(self, key: str, records) -> None:
        if _out_of_time(records) or not self._ready():
            return
        target = self.entries / f"{key}.json"
        temporary = target.with_name(f"{target.name}.{os.getpid()}.tmp")
        try:
            temporary.write_text(json.dumps({"records": [r.to_json() for r in records]}), encoding="utf-8")
            os.replace(temporary, target)
        except OSError:
            try:
                temporary.unlink()
            except OSError:
                pass

    def wrap(self, scan_file):
        """``scan_file`` that answers from the cache when it holds the file's key, and stores what it
        computes; the file's own errors (unreadable, binary) come from ``scan_file`` as before."""

        def cached(path, *, name=None, seconds=None, known=True, sources=True, file_seconds=None, declared=None,
                   **rest):
            data = _contents(path)
            options = {"seconds": seconds, "known": known, "sources": sources, "file_seconds": file_seconds,
                       "declared": _declared(declared)}
            if rest.get("rules"):  # the coded rules run (scan --preview, --select DS201): part of the key
                options["rules"] = sorted(rest["rules"])
            key = None if data is None else self.key(data, name, options)
            found = None if key is None else self.get(key)
            if found is not None:
                self.hits += 1
                return found
            self.misses += 1
            records = scan_file(path, name=name, seconds=seconds, known=known, sources=sources,
                                file_seconds=file_seconds, declared=declared, **rest)
            if key is not None:
                self.put(key, records)
            return records

        return cached


def _contents(path) -> bytes | None:
    """A regular file's bytes (None for anything else, or too large: derivspec.scan.extract refuses those)."""
    import stat

    from derivspec.scan.extract import MAX_BYTES

    try:
        info = os.stat(path)
        if not stat.S_ISREG(info.st_mode) or info.st_size > MAX_BYTES:
            return None
        with open(path, "rb") as handle:
            return handle.read(MAX_BYTES + 1)
    except OSError:
        return None


def _declared(declared) -> dict | None:
    """The settings' declarations as plain sorted data (their key)."""
    if declared is None:
        return None
    from dataclasses import asdict

    return {key: sorted(map(str, value)) if isinstance(value, (set, frozenset)) else value
            for key, value in asdict(declared).items()}
