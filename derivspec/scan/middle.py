"""Which middle ``scan`` runs, and the new one's document (DESIGN.md, "Scan": rebuilding a layer).

The setting ``DERIVSPEC_SCAN_MIDDLE`` selects the middle: ``old`` (the default until the switch-over) or
``new``: the typed tree, the one scope, the one operator table and the one judge
(:mod:`derivspec.scan.document_scope`, :mod:`derivspec.scan.operators`, :mod:`derivspec.scan.judge`).
Extraction, records, formats, the cache and the CLI are the same for both; ``benchmarks/scan_differential.py``
compares the two record by record.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from derivspec.core.errors import DerivspecError
from derivspec.scan import document_scope, judge
from derivspec.scan.records import record_from_steps

SETTING = "DERIVSPEC_SCAN_MIDDLE"
MIDDLES = ("old", "new")


def selected() -> str:
    """The middle the setting selects (``old`` when unset); an unknown value is an error naming it."""
    value = os.environ.get(SETTING, "old").strip().lower() or "old"
    if value not in MIDDLES:
        raise DerivspecError(f"{SETTING} must be one of {', '.join(MIDDLES)}, got {value[:40]!r}")
    return value


@dataclass
class Document:
    """The new middle's document: its scope, and what the runner asks of a document state."""

    scope: document_scope.Scope
    seconds: float
    lecture: object = None
    unclosed: list = field(default_factory=list)
    continues: list = field(default_factory=list)

    def check(self, index: int) -> dict | None:
        line = self.scope.lines[index]
        steps = judge.with_time_limit(self.seconds, line, self.scope)
        statement = line.statement
        record = record_from_steps(statement.file, statement.lines, line.text, steps)
        return record.to_json() if record is not None else None


def document(relational: list, seconds: float, lecture, unclosed: list, continues: list,
             previous: list | None = None) -> Document:
    """``previous``: per statement, the last side of the display it continues ("" when none)."""
    return Document(document_scope.build(relational, lecture.text, previous), seconds, lecture, unclosed, continues)
