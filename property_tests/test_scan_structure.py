"""The structure rules of issue 58 (DESIGN.md, "Scan"): no collection of single-letter or Greek-letter names, no
read of ``__name__``, no regular expression or prefix match applied to a name. Measured by
``benchmarks/scan_structure.py`` (the figures the issue reports), whose rules are checked to fire on code that
breaks them. The module they were asserted on, the typed tree's document scope above the reader
(``scan/document_scope.py``), was removed in issue 88: no rule read it."""

from __future__ import annotations

import importlib.util
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("scan_structure", ROOT / "benchmarks" / "scan_structure.py")
structure = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(structure)


def test_the_rules_fire_on_code_that_breaks_them(tmp_path):
    (tmp_path / "bad.py").write_text(textwrap.dedent('''
        import re
        LETTERS = frozenset("pqf")
        NAMES = ("p", "q", r"\\pi")
        def head(f):
            return f.func.__name__
        def density(symbol):
            return re.match(r"^[pq]", symbol.name)
    '''), encoding="utf-8")
    found = structure.measure(tmp_path, ["bad"])
    assert found["letters"]["count"] >= 3
    assert found["name_reads"]["count"] == 1
    assert any(p["kind"] == "match" for p in found["name_meaning"]["places"])
