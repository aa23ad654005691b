"""Write derivspec/data/index_rows.tsv: the id, seed file, lines and kind of every row of
../shared/claim-index.md (the statements of the five lectures), the compact copy that
`derivspec coverage` reads. Only those four columns are copied, never the seed text.

    .venv/bin/python scripts/index_rows.py [PATH/TO/claim-index.md]

property_tests/test_coverage.py checks that the copy matches the index when ../shared exists.
"""

from __future__ import annotations

import sys
from pathlib import Path

from derivspec.app.coverage import INDEX_ROWS, format_index_rows, parse_claim_index

DEFAULT_INDEX = Path(__file__).resolve().parents[2] / "shared" / "claim-index.md"


def main(argv: list[str]) -> int:
    index = Path(argv[0]) if argv else DEFAULT_INDEX
    rows = parse_claim_index(index.read_text(encoding="utf-8"))
    INDEX_ROWS.write_text(format_index_rows(rows), encoding="utf-8")
    print(f"wrote {len(rows)} rows to {INDEX_ROWS}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
