r"""``derivspec scan``: check a whole lecture file.

    >>> from derivspec.scan import scan_file
    >>> records = scan_file("notes.md")          # list[Record]; Record.to_json() is the JSON record

Steps (issue 15): extract every math statement with its lines (:mod:`.extract`); read it in
document mode (:func:`derivspec.scan.reader.read_document`); check each relation -- chains,
worked numbers (:mod:`.steps`), known results recognised by the claims' declared shapes
(:mod:`.known`), the registry's own sources for a lecture it cites (:mod:`.sources`); report one
record per statement with a summary (:mod:`.records`). Precision first: anything not decided
soundly is ``unchecked`` with its reason, never a flag.
"""

from __future__ import annotations

from derivspec.scan.extract import ScanError
from derivspec.scan.records import Record, summary

__all__ = ["Record", "scan_file", "scan_files", "summary", "ScanError"]


def scan_file(path, *, seconds: float | None = None, workers: int = 1, progress=None, known: bool = True,
              sources: bool = True, name: str | None = None, only_lines=None, **budget) -> list[Record]:
    """Every statement of the file at ``path``, checked: one :class:`Record` each, in line order.

    ``seconds`` per statement (default 8); ``workers`` > 0 runs the statements in that many forked
    worker processes (a statement stuck in C code is stopped there); ``known`` recognises
    registered claims; ``sources`` adds the registry's sources for a lecture it cites;
    ``name`` the file name the records carry; ``only_lines`` checks only the statements that
    span those lines; ``file_seconds`` the whole file's time budget (default
    :data:`derivspec.scan.runner.FILE_SECONDS`; None: none); ``declared`` a
    :class:`derivspec.scan.runner.Declarations` (a project's settings: matrices, constants, log base).
    A notebook's records carry ``cell``; a statement an inline marker suppresses, ``suppressed``."""
    from derivspec.scan.runner import scan_path

    return scan_path(path, seconds=seconds, workers=workers, progress=progress, known=known, sources=sources,
                     name=name, only_lines=only_lines, **budget)


def scan_files(paths, **options) -> list[Record]:
    records: list[Record] = []
    for path in paths:
        records.extend(scan_file(path, **options))
    return records
