"""Which files ``derivspec scan PATH...`` reads: files as named, folders walked (docs/settings.md).

A folder is walked recursively in sorted order for the lecture suffixes (:data:`SUFFIXES`),
passing over hidden files and folders, ``node_modules``, build output (``_build``, ``_site``,
``site-packages``, ``__pycache__``) and virtual environments (a folder with a ``pyvenv.cfg``).
``include`` / ``exclude`` globs (settings and ``--include`` / ``--exclude``) are matched against
the path relative to the folder given: a glob without ``/`` against every part of it (``drafts``
is a folder anywhere, ``*.txt`` a file anywhere), a glob with ``/`` against the path and each of
its leading folders (``notes/old``, ``ch*/exercises/*.md``), with :func:`fnmatch.fnmatchcase`
(``*`` crosses ``/``). ``skip`` applies to every file, named or found. A file found in a folder
is named by its path as given (``lectures/week1/index.md``), a file named on the command line by
its name (its path where two names collide). An HTML page (:data:`NAMED_SUFFIXES`) is read when
named, never found in a walk: a site's built pages beside their sources would be read twice.
"""

from __future__ import annotations

import os
import stat
from fnmatch import fnmatchcase
from pathlib import Path, PurePosixPath

from derivspec.core.errors import DerivspecError
from derivspec.scan.html_pages import HTML_SUFFIXES

SUFFIXES = (".md", ".markdown", ".mdx", ".txt", ".tex", ".ltx", ".qmd", ".rmd", ".myst", ".ipynb")
NAMED_SUFFIXES = SUFFIXES + HTML_SUFFIXES  # the suffixes of a file named on the command line
SKIPPED_FOLDERS = frozenset({"node_modules", "_build", "_site", "_freeze", "site-packages", "__pycache__", "venv"})


def matches(relative: str, globs) -> bool:
    """Whether the relative path (``/``-separated) matches one of ``globs`` (module docstring)."""
    path = PurePosixPath(relative)
    parts = path.parts
    prefixes = ["/".join(parts[:n]) for n in range(1, len(parts) + 1)]
    for glob in globs:
        glob = glob.strip("/")
        if "/" in glob:
            if any(fnmatchcase(prefix, glob) for prefix in prefixes):
                return True
        elif any(fnmatchcase(part, glob) for part in parts):
            return True
    return False


def _skipped_folder(folder: Path, name: str) -> bool:
    return name.startswith(".") or name in SKIPPED_FOLDERS or (folder / name / "pyvenv.cfg").is_file()


def walk(folder: Path, include=(), exclude=(), refused: list | None = None) -> list[Path]:
    """The lecture files under ``folder``, sorted by their relative path. A folder or file in it that
    cannot be looked at (permissions) is one line in ``refused`` (``path: problem``), the walk goes on
    without it; without ``refused`` it is DerivspecError."""
    from derivspec.app.paths import path_problem

    def refuse(error: OSError) -> None:
        if refused is None:
            raise DerivspecError(path_problem(error))
        refused.append(path_problem(error))

    found = []
    for root, folders, files in os.walk(folder, onerror=refuse):
        here = Path(root)
        relative_root = here.relative_to(folder)
        folders[:] = sorted(name for name in folders if not _skipped_folder(here, name)
                            and not matches((relative_root / name).as_posix(), exclude))
        for name in files:
            relative = (relative_root / name).as_posix()
            if name.startswith(".") or Path(name).suffix.lower() not in SUFFIXES or matches(relative, exclude):
                continue
            if include and not matches(relative, include):
                continue
            try:
                empty = (here / name).stat().st_size == 0
            except OSError as error:
                refuse(error)
                continue
            if empty:
                continue  # an empty file found in a folder has nothing to scan (named, it is refused)
            found.append(here / name)
    return sorted(found, key=lambda path: path.relative_to(folder).as_posix())


def _skipped(path: Path, settings) -> bool:
    if not settings.skip:
        return False
    try:
        relative = path.resolve().relative_to(settings.root.resolve()).as_posix()
    except ValueError:
        relative = path.name
    return matches(relative, settings.skip)


def lecture_files(paths, settings, include=(), exclude=(), refused: list | None = None) -> list[tuple[Path, str]]:
    """(path, the name its records carry) of every file to scan, in order. ``include`` / ``exclude``
    add to the settings' globs. A path that cannot be scanned -- a folder with nothing to scan or
    that cannot be read, a file named with a suffix scan does not read (``notes.py``), a name longer
    than the system allows -- is one line in ``refused`` (``path: problem``) and the others are still
    listed; without ``refused`` the first is DerivspecError (exit 2). A file that does not exist is
    listed: reading it says so (derivspec.scan.extract.read_lecture)."""
    from derivspec.app.paths import path_problem

    def refuse(message: str) -> None:
        if refused is None:
            raise DerivspecError(message)
        refused.append(message)

    include = tuple(settings.include) + tuple(include)
    exclude = tuple(settings.exclude) + tuple(exclude)
    chosen: list[tuple[Path, str | None]] = []
    for given in paths:
        path = Path(given)
        try:
            mode = os.stat(path).st_mode
        except FileNotFoundError:
            mode = 0  # reading it says "no such file"
        except OSError as error:
            refuse(path_problem(error))
            continue
        if stat.S_ISDIR(mode):
            problems: list[str] = []
            found = [p for p in walk(path, include, exclude, problems) if not _skipped(p, settings)]
            for problem in problems:
                refuse(problem)
            if not found and not problems:
                refuse(f"{given}: a folder with no lecture file to scan ({', '.join(SUFFIXES)}; hidden folders, "
                       "build output, include/exclude and skip leave none)")
            chosen.extend((p, p.as_posix()) for p in found)
        elif stat.S_ISREG(mode) and path.suffix.lower() not in NAMED_SUFFIXES:  # a FIFO, a device: read refuses it
            refuse(f"{given}: not a lecture file (scan reads {', '.join(NAMED_SUFFIXES)})")
        elif not _skipped(path, settings):
            chosen.append((path, None))
    if not chosen and not refused:
        raise DerivspecError(f"nothing to scan: the settings ({settings.source}) skip every file given")
    seen, unique = set(), []
    for path, name in chosen:  # a file given twice (or named and found) is scanned once
        key = os.path.realpath(path)
        if key not in seen:
            seen.add(key)
            unique.append((path, name))
    names = [Path(p).name for p, name in unique if name is None]
    named = []
    for path, name in unique:
        if name is None:
            name = path.name if names.count(path.name) == 1 else path.as_posix()
        named.append((path, name))
    return named
