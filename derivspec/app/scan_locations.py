r"""Where a scan's record sits in its file, as linters say it: the column of the statement's start
(``notes.md:12:5``) and the region of a flagged right side a fix replaces.

Records carry their lines (a notebook's: within the cell); the column is found by reading the line
again: the first characters of the statement as written, whitespace aside, searched from the line's
first math delimiter (``$``, ``\[``, ``\(``, ``\begin``) -- else from its start; 1 when they are not
found. A notebook's lines are those of its Markdown cells (:func:`derivspec.scan.extract.load_lecture`).
"""

from __future__ import annotations

import re

_DELIMITER = re.compile(r"\$|\\\[|\\\(|\\begin\{")
HEAD = (24, 12, 6, 3)  # characters of the statement tried, longest first


def _loose(text: str) -> str:
    """A pattern for ``text`` with any whitespace (none, or spaces and line breaks) between its characters."""
    return r"\s*".join(re.escape(c) for c in "".join(text.split()))


class Sources:
    """The scanned files' lines, read once each on demand; ``files`` the (path, name) pairs of
    derivspec.app.inputs.lecture_files (records carry the name)."""

    def __init__(self, files):
        self.paths = {name: path for path, name in files}
        self._read: dict[str, object] = {}

    def _lecture(self, name: str):
        if name not in self._read:
            from derivspec.scan.extract import ScanError, load_lecture

            path = self.paths.get(name, name)
            try:
                self._read[name] = load_lecture(path)
            except (ScanError, OSError, ValueError):
                self._read[name] = None
        return self._read[name]

    def _lines(self, record) -> tuple[list[str], int] | None:
        """The file's lines (a notebook's joined Markdown cells) and the 0-based index of the record's first line."""
        lecture = self._lecture(record.file)
        if lecture is None:
            return None
        lines = lecture.text.split("\n")
        first = int(record.lines[0])
        if record.cell is not None:
            starts = {number: start for number, start, _ in lecture.cells}
            if record.cell not in starts:
                return None
            first = starts[record.cell] + first - 1
        return (lines, first - 1) if 0 < first <= len(lines) else None

    def column(self, record) -> int:
        """The 1-based column where the statement starts on its first line; 1 when it is not found."""
        found = self._lines(record)
        if found is None:
            return 1
        lines, index = found
        line = lines[index]
        text = " ".join(str(record.text).split())
        delimiter = _DELIMITER.search(line)
        for size in HEAD:
            head = text[:size]
            if not head.strip():
                continue
            pattern = re.compile(_loose(head))
            match = (pattern.search(line, delimiter.start()) if delimiter else None) or pattern.search(line)
            if match:
                return match.start() + 1
        return delimiter.start() + 1 if delimiter else 1

    def replaced_region(self, record) -> dict | None:
        """The SARIF region (1-based lines and columns, the end column after the last character) of
        the flagged step's right side, when a fix can replace it: the record is a flag with a correct
        form, not in a notebook, its flagged step is its last, and that right side is found once, as
        written (whitespace aside), within the record's lines. None otherwise."""
        if record.verdict != "disagrees" or not record.correct or record.cell is not None or not record.steps:
            return None
        steps = [s if isinstance(s, dict) else s.to_json() for s in record.steps]
        wrong = [s for s in steps if s.get("verdict") == "disagrees"]
        if not wrong or wrong[0] is not steps[-1] or not str(wrong[0].get("right", "")).strip():
            return None
        found = self._lines(record)
        if found is None:
            return None
        lines, index = found
        last = min(len(lines), index + 1 + int(record.lines[1]) - int(record.lines[0]))
        block = "\n".join(lines[index:last])
        matches = list(re.finditer(_loose(wrong[0]["right"]), block))
        if len(matches) != 1:
            return None
        start, end = matches[0].span()

        def place(offset: int) -> tuple[int, int]:
            before = block[:offset]
            return index + 1 + before.count("\n"), offset - (before.rfind("\n") + 1) + 1

        (start_line, start_column), (end_line, end_column) = place(start), place(end)
        return {"startLine": start_line, "startColumn": start_column, "endLine": end_line, "endColumn": end_column}
