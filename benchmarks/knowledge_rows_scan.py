"""The knowledge rows' own documents scanned end to end (issue 57, "one test over the whole table", part 3):
how many rows the engine applies today, as a funnel.

Each row of ``derivspec/data/knowledge/`` carries examples (must be proved), planted documents (one slip: must be
flagged) and twins (must not be flagged), written in the project's own words. This script scans them with the
engine, and prints per table: rows whose every example is proved,
whose every planted document is flagged, and whose twins are not flagged; ``--show`` lists the rows that fall short, with the verdicts.

    python benchmarks/knowledge_rows_scan.py                  # every row
    python benchmarks/knowledge_rows_scan.py --sample 40      # a seeded sample
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from derivspec.scan import knowledge, scan_file  # noqa: E402


def display_verdicts(text: str, folder: Path) -> list[str]:
    """The verdicts of the document's display statements (the ones the row is about)."""
    path = folder / "row.md"
    path.write_text(text if text.endswith("\n") else text + "\n", encoding="utf-8")
    records = scan_file(path, workers=0, sources=False)
    lines = text.splitlines()
    display = {i + 1 for i, line in enumerate(lines) if "$$" in line}
    return [r.verdict for r in records if r.lines[0] in display] or [r.verdict for r in records]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sample", type=int, help="a seeded sample of this many rows")
    parser.add_argument("--seed", type=int, default=57)
    parser.add_argument("--show", action="store_true")
    args = parser.parse_args(argv)
    rows = list(knowledge.rows())
    if args.sample:
        rows = random.Random(args.seed).sample(rows, min(args.sample, len(rows)))
    tally: dict = {}
    short = []
    with tempfile.TemporaryDirectory() as folder:
        for row in rows:
            counts = tally.setdefault(row.table, Counter())
            counts["rows"] += 1
            examples = [display_verdicts(t, Path(folder)) for t in row.examples]
            planted = [display_verdicts(t, Path(folder)) for t in row.planted]
            twins = [display_verdicts(t, Path(folder)) for t in row.twins]
            proved = all(v and all(x == "proved" for x in v) for v in examples)
            flagged = all("disagrees" in v for v in planted)
            quiet = all("disagrees" not in v for v in twins)
            counts["examples proved"] += proved
            counts["planted flagged"] += flagged
            counts["twins not flagged"] += quiet
            counts["all three"] += proved and flagged and quiet
            if not (proved and flagged and quiet):
                short.append((row.id, examples, planted, twins))
    for table, counts in sorted(tally.items()):
        print(f"{table}: " + ", ".join(f"{k} {v}" for k, v in counts.items()))
    total = sum((c for c in tally.values()), Counter())
    print("all: " + ", ".join(f"{k} {v}" for k, v in total.items()))
    if args.show:
        for row_id, examples, planted, twins in short:
            print(f"  {row_id}: examples {examples}, planted {planted}, twins {twins}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
