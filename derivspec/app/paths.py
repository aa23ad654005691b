"""Paths the commands write to, checked before any work, and OS errors on a path said in words.

``scan --html DIR``, ``report --out DIR`` and ``run --out DIR`` name a folder to write: it is
checked first (:func:`output_folder`), so a bad one is one line and exit code 2 in a moment, not an
``internal error`` after minutes of work. A path is usable when it is a folder that can be written,
or does not exist yet and its nearest existing parent is such a folder (it is created then).
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

from derivspec.core.errors import DerivspecError

PROBLEMS = {errno.EACCES: "permission denied", errno.EPERM: "permission denied", errno.ENOENT: "no such file or folder",
            errno.ENOTDIR: "a part of the path is a file, not a folder", errno.ENAMETOOLONG:
            "the name is longer than the system allows", errno.ELOOP: "too many levels of symbolic links",
            errno.EISDIR: "is a folder", errno.EROFS: "a read-only file system", errno.ENOSPC: "no space left"}


def path_problem(error: OSError) -> str:
    """``PATH: PROBLEM`` for an OS error on a path (``notes/x.md: permission denied``; a path over
    SHOWN characters shortened in the middle, so the problem stays on the line)."""
    problem = PROBLEMS.get(error.errno) or error.strerror or type(error).__name__
    return f"{shortened(error.filename)}: {problem}" if error.filename is not None else problem


SHOWN = 120  # characters of a path an error line shows


def shortened(path) -> str:
    """``path`` as text, at most SHOWN characters: a longer one keeps its start and end (``aaa…aaa.md``)."""
    text = os.fsdecode(path) if isinstance(path, bytes) else str(path)
    return text if len(text) <= SHOWN else f"{text[:SHOWN // 2]}…{text[-(SHOWN // 2 - 1):]} ({len(text)} characters)"


def output_folder(path, option: str, shown: str | None = None) -> Path:
    """``path`` as a folder ``option`` may write into (it need not exist yet); else DerivspecError
    naming the option, the path and the problem: a file where a folder is wanted (``--html
    notes.md/out``: notes.md is a file), a folder that cannot be written, a name too long. ``shown``:
    the path the message names (default ``path``)."""
    if not str(path).strip():
        raise DerivspecError(f"{option}: an empty path")
    wanted = Path(path)
    given = shortened(path if shown is None else shown)
    probe = wanted
    while True:  # the nearest part of the path that exists
        try:
            info = os.stat(probe)
            break
        except (FileNotFoundError, NotADirectoryError):
            if probe.parent == probe:
                raise DerivspecError(f"{option} {given}: no such folder") from None
            probe = probe.parent
        except OSError as error:
            raise DerivspecError(f"{option} {given}: {PROBLEMS.get(error.errno) or error.strerror}") from None
    named = probe == Path(path if shown is None else shown)  # the part that fails is the path the message names
    if not stat.S_ISDIR(info.st_mode):
        where = "a file" if named else f"{shortened(probe)} is a file"
        raise DerivspecError(f"{option} {given}: {where}, not a folder")
    if not os.access(probe, os.W_OK | os.X_OK):
        where = "" if named else f"{shortened(probe)}: "
        raise DerivspecError(f"{option} {given}: {where}not writable (permission denied)")
    return wanted


def output_file(path, option: str) -> Path:
    """``path`` as a file ``option`` may write (created, or replaced when it is a file): its folder
    as :func:`output_folder`, and the path itself not a folder."""
    if not str(path).strip():
        raise DerivspecError(f"{option}: an empty path")
    wanted, given = Path(path), shortened(path)
    output_folder(wanted.parent, option, shown=str(path))
    try:
        info = os.stat(wanted)
    except FileNotFoundError:
        return wanted
    except OSError as error:
        raise DerivspecError(f"{option} {given}: {PROBLEMS.get(error.errno) or error.strerror}") from None
    if stat.S_ISDIR(info.st_mode):
        raise DerivspecError(f"{option} {given}: a folder, not a file")
    if not os.access(wanted, os.W_OK):
        raise DerivspecError(f"{option} {given}: not writable (permission denied)")
    return wanted
