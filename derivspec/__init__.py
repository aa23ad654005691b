"""derivspec: test-driven verification of the mathematics of machine-learning lecture notes.

``derivspec.__version__`` is the installed distribution's version (its metadata, written from
pyproject.toml's ``version``, the one place it is set); from a source tree that was never installed
it is read from that pyproject.toml, else ``"unknown"``. It is looked up on first use only, so
importing derivspec costs nothing for it.

``derivspec.scan_text(source, name="lecture.md")`` scans a lecture given as a string and returns its
records, shown in a notebook as the annotated view; ``%load_ext derivspec`` adds the ``%%derivspec``
cell magic (derivspec.app.notebook, docs/notebooks.md). They too are imported on first use.
"""

from __future__ import annotations


def _version() -> str:
    from importlib import metadata

    try:
        return metadata.version("derivspec")
    except metadata.PackageNotFoundError:  # a source tree on sys.path, not installed
        import tomllib
        from pathlib import Path

        pyproject = Path(__file__).resolve().parents[1] / "pyproject.toml"
        try:
            project = tomllib.loads(pyproject.read_text(encoding="utf-8")).get("project", {})
        except (OSError, tomllib.TOMLDecodeError):
            return "unknown"
        return project.get("version", "unknown") if project.get("name") == "derivspec" else "unknown"


_NOTEBOOK = ("scan_text", "ScanResult", "load_ipython_extension")  # derivspec.app.notebook, on first use


def __getattr__(name: str):
    if name in _NOTEBOOK:
        from derivspec.app import notebook

        return getattr(notebook, name)
    if name == "__version__":
        global __version__
        __version__ = _version()
        return __version__
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
