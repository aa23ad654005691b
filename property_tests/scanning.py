"""Scanning a short document written for a test: the one helper the scan tests share."""

from __future__ import annotations

from derivspec.scan import scan_file


def scan_text(tmp_path, text: str, name: str = "notes.md", **options) -> list:
    """The records of ``text`` saved as ``tmp_path/name`` (a final newline added), scanned in this
    process (``workers=0``) without the registry's sources unless ``options`` say otherwise."""
    path = tmp_path / name
    path.write_text(text if text.endswith("\n") else text + "\n", encoding="utf-8")
    return scan_file(path, **{"workers": 0, "sources": False, **options})
