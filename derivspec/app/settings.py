"""``derivspec scan``'s project settings: ``[tool.derivspec]`` in ``pyproject.toml``, or ``derivspec.toml``.

The settings file is the nearest one from the current directory upwards: in each directory a
``derivspec.toml`` (its keys at the top level, or under ``[tool.derivspec]``) first, then a
``pyproject.toml`` with a ``[tool.derivspec]`` table (one without it is passed over); ``--config
FILE`` names one instead. Keys (docs/settings.md):

==============  ==========================  ==================================================================
key             type                        meaning
==============  ==========================  ==================================================================
``include``     list of globs               a folder's walk scans only files matching one of them
``exclude``     list of globs               a folder's walk passes over matching files and folders
``skip``        list of globs               files never scanned, named on the command line or found in a folder
                                            (matched against the path relative to the settings file's folder)
``matrices``    list of letters             names read as (square) matrices in every lecture
``vectors``     list of letters             names read as vectors in every lecture
``constants``   list of names               ``e``, ``pi``: the named constants; other names: numbers (scalars)
``log_base``    ``"e"``, 2 or 10            the base of a bare ``\\log`` where a lecture does not say
``declare``     list of declarations        what every lecture's symbols are, in the catalogue's words
                                            (``x ~ Poisson(lambda)``, ``q = 1 - p``, ``Gamma: gamma function``,
                                            ``\\E: expectation``: derivspec.scan.declarations)
==============  ==========================  ==================================================================

An unknown key, a value of the wrong type or a file that is not TOML is bad input: one line naming
the key and the file, exit code 2.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from derivspec.core.errors import DerivspecError
from derivspec.scan.declarations import DeclarationError, parse as parse_declaration
from derivspec.scan.runner import NAMED_CONSTANTS, Declarations

SETTINGS_FILE = "derivspec.toml"
LIST_KEYS = ("include", "exclude", "skip", "matrices", "vectors", "constants", "declare")
KEYS = LIST_KEYS + ("log_base",)
LOG_BASES = ("e", 2, 10)
_LETTER = re.compile(r"[A-Za-z]")
_NAME = re.compile(r"(\\?[A-Za-z]+)(?:_\{?([A-Za-z0-9]+)\}?)?")  # c, \lambda, c_1, c_{1}


@dataclass(frozen=True)
class Settings:
    """The settings in force (``source``: the file they come from, None: defaults)."""

    source: Path | None = None
    include: tuple = ()
    exclude: tuple = ()
    skip: tuple = ()
    declared: Declarations = field(default_factory=Declarations)

    @property
    def root(self) -> Path:
        """The folder ``skip`` is relative to."""
        return self.source.parent if self.source is not None else Path.cwd()


def _table(path: Path) -> dict | None:
    """The ``[tool.derivspec]`` table of ``path`` (a ``derivspec.toml``: its top level when it has
    no such table); None for a ``pyproject.toml`` without one."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise DerivspecError(f"{path}: no such settings file") from None
    except (OSError, UnicodeDecodeError) as error:
        raise DerivspecError(f"{path}: the settings file cannot be read ({error})") from None
    except tomllib.TOMLDecodeError as error:
        raise DerivspecError(f"{path}: not a TOML file ({error})") from None
    tool = data.get("tool")
    table = tool.get("derivspec") if isinstance(tool, dict) else None
    if table is not None and not isinstance(table, dict):
        raise DerivspecError(f"{path}: [tool.derivspec] must be a table")
    if path.name == "pyproject.toml":
        return table
    return table if table is not None else data


def find_settings(start: Path | None = None) -> Path | None:
    """The nearest settings file from ``start`` (default: the current directory) upwards."""
    folder = (start or Path.cwd()).resolve()
    for candidate in (folder, *folder.parents):
        own = candidate / SETTINGS_FILE
        if own.is_file():
            return own
        project = candidate / "pyproject.toml"
        if project.is_file() and _table(project) is not None:
            return project
    return None


def _list(path: Path, key: str, value, pattern: re.Pattern | None = None, what: str = "") -> tuple:
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise DerivspecError(f"{path}: setting {key!r} must be a list of strings, not {value!r}")
    for item in value:
        if pattern is not None and not pattern.fullmatch(item):
            raise DerivspecError(f"{path}: setting {key!r}: {item!r} is not {what}")
    return tuple(value)


def _symbol_name(name: str) -> str:
    """A constant's name as the scan's reader names its symbol (``c_1``: ``c_{1}``; ``\\pi``: ``pi``)."""
    if name in NAMED_CONSTANTS:
        return "pi" if "pi" in name else name
    base, sub = _NAME.fullmatch(name).groups()
    return base + (f"_{{{sub}}}" if sub else "")


def parse_settings(path: Path, table: dict) -> Settings:
    """Settings from a ``[tool.derivspec]`` table, every key and type checked."""
    unknown = sorted(set(table) - set(KEYS))
    if unknown:
        raise DerivspecError(f"{path}: unknown setting {unknown[0]!r} (known: {', '.join(KEYS)})")
    include = _list(path, "include", table.get("include", []))
    exclude = _list(path, "exclude", table.get("exclude", []))
    skip = _list(path, "skip", table.get("skip", []))
    matrices = _list(path, "matrices", table.get("matrices", []), _LETTER, "a single letter")
    vectors = _list(path, "vectors", table.get("vectors", []), _LETTER, "a single letter")
    both = sorted(set(matrices) & set(vectors))
    if both:
        raise DerivspecError(f"{path}: setting 'vectors': {both[0]!r} is also one of the matrices")
    constants = _list(path, "constants", table.get("constants", []), _NAME,
                      "a name as LaTeX writes it (c, \\lambda, c_1)")
    log_base = table.get("log_base")
    if log_base is not None and (isinstance(log_base, bool) or log_base not in LOG_BASES):
        raise DerivspecError(f"{path}: setting 'log_base' must be \"e\", 2 or 10, not {log_base!r}")
    constants = frozenset(_symbol_name(name) for name in constants)
    lines = []
    for text in _list(path, "declare", table.get("declare", [])):
        try:
            lines.append(parse_declaration(text, 0, source=path.name))
        except DeclarationError as error:
            raise DerivspecError(f"{path}: setting 'declare': {error}") from None
    return Settings(path, include, exclude, skip,
                    Declarations(frozenset(matrices), frozenset(vectors), constants, log_base, tuple(lines)))


def load_settings(config: str | Path | None = None, start: Path | None = None) -> Settings:
    """The settings ``--config`` names, else the nearest file's, else the defaults."""
    path = Path(config) if config is not None else find_settings(start)
    if path is None:
        return Settings()
    table = _table(path)
    if table is None:
        raise DerivspecError(f"{path}: no [tool.derivspec] table")
    return parse_settings(path, table)
