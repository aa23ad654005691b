"""A row is never stronger than its weakest step, measured on the corpus halves (issue 56).

Scans a half of ``benchmarks/scan_corpus/split.toml`` as ``scan_corpus.py`` does (the fetched repositories,
read at run time; their text never enters this repository) and checks every record:

* **rows stronger than a step**: a record whose evidence level (proved > holds on instances > unchecked >
  disagrees) is above the level of one of its steps that asserts something -- every step but a definition, a
  declaration of context or a stated condition without evidence against it (``verdicts.neutral``);
* **definitions that may not be one**: a step classed ``definition`` whose left side is not a name (a lone
  symbol, a power of one, an application), that carries evidence (an instance against it), or whose left
  side an earlier record of the same file already defines (a definition the text announces anew -- "for this
  example, consider p_A = 0.05" -- is counted apart: it gives the name a new meaning, DESIGN.md "Scan");
* with ``--baseline FILE`` (a ``scan_corpus.py --statements`` file of another version, e.g. the round's
  baseline commit): every record whose verdict or evidence level changed, written to ``--changes FILE``
  (their text: keep that file outside the repository) and counted by old -> new level.

    python benchmarks/scan_weakest_link.py --half development --part old \\
        --baseline /work/measure/baseline/development.jsonl --changes /work/measure/s56/dev-changes.jsonl
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))
import scan_corpus  # noqa: E402
from derivspec.scan.steps import ANEW  # noqa: E402
from derivspec.scan.verdicts import DEFINING, NEUTRAL_CLASSES, STRENGTH, evidence_level  # noqa: E402


def level_of(item: dict) -> str:
    return item.get("evidence_level") or evidence_level(item["verdict"], item.get("reason", ""))


def neutral(step: dict) -> bool:
    """A step with nothing asserted (the JSON's view of ``verdicts.neutral``: its class, and no evidence)."""
    return step.get("class") in NEUTRAL_CLASSES and not step.get("evidence")


def is_name(side: str) -> bool:
    """The side reads as a name: a lone symbol, a power of one, or a head applied to arguments."""
    from derivspec.scan.reader import DocumentNames
    from derivspec.scan.steps import Context, is_label, read_side

    import re

    own = frozenset(re.findall(r"\\[A-Za-z]+", side))  # \sigma(t) as the document's own σ, as the scan read it
    try:
        return any(is_label(read_side(side, Context(DocumentNames(variables=names)))) for names in (frozenset(), own))
    except Exception:
        return False


def problems(records: list[dict]) -> dict:
    """The records and steps that break the rules, by kind."""
    stronger, not_a_name, with_evidence, defined_above, announced = [], [], [], [], []
    defined: dict[str, set] = {}
    for record in sorted(records, key=lambda r: (r["file"], r.get("cell") or 0, r["lines"][0])):
        steps = record.get("steps") or []
        counted = [s for s in steps if not neutral(s)]
        if counted:
            weakest = min((level_of(s) for s in counted), key=STRENGTH.index)
            if STRENGTH.index(level_of(record)) > STRENGTH.index(weakest):
                stronger.append(record)
        names = defined.setdefault(record["file"], set())
        for step in steps:
            left = " ".join(step["left"].split())
            if step.get("class") == "definition":
                if step.get("evidence"):
                    with_evidence.append((record, step))
                if step["relation"] in DEFINING and not is_name(step["left"]):
                    not_a_name.append((record, step))
                if step["relation"] in DEFINING and left in names:
                    (announced if ANEW in step.get("reason", "") else defined_above).append((record, step))
        names.update(" ".join(s["left"].split()) for s in steps
                     if s["relation"] in DEFINING and s.get("class") == "definition")
    return {"rows stronger than a step": stronger, "definition steps whose left side is not a name": not_a_name,
            "definition steps with evidence against them": with_evidence,
            "definition steps of a name defined in an earlier record": defined_above,
            "definitions anew (defined above, a new definition announced: reported, allowed)": announced}


def scan_half(half: str, part: str, mirror: Path) -> list[dict]:
    """Every record of the half's part, with its steps (``repo`` added; notebook lines as scan_corpus joins them)."""
    records = []
    for repo in scan_corpus.repositories(half, part):
        git_dir = scan_corpus.git_dir_of(repo, mirror)
        names = scan_corpus.repo_documents(repo, mirror, scan_corpus.split())
        if not names:
            continue
        with tempfile.TemporaryDirectory() as folder:
            paths = scan_corpus.copy_out(git_dir, repo["commit"], names, Path(folder))
            out, _, problem = scan_corpus.scan(paths)
            cells = {p.name: scan_corpus.notebook_cells(p) for p in paths if scan_corpus.is_notebook(p.name)}
        if problem:
            print(f"{repo['name']}: {problem}", file=sys.stderr)
        rows = scan_corpus.statement_rows(repo["name"], names, (out or {}).get("statements", []), cells)
        for statement, row in zip((out or {}).get("statements", []), rows):
            records.append({**statement, "repo": repo["name"], "file": f"{repo['name']}/{row['file']}",
                            "joined_lines": row["lines"], "hash": row["hash"]})
    return records


def changes(records: list[dict], baseline: Path) -> list[dict]:
    """The records whose verdict or evidence level differs from the baseline's row of the same statement."""
    old = {}
    for line in baseline.read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        old[(row["repo"], f"{row['repo']}/{row['file']}", tuple(row["lines"]), row["hash"])] = row
    changed = []
    for record in records:
        before = old.get((record["repo"], record["file"], tuple(record["joined_lines"]), record["hash"]))
        if before is None:
            continue
        if (before["verdict"], before["level"]) != (record["verdict"], level_of(record)):
            changed.append({"file": record["file"], "lines": record["joined_lines"], "text": record.get("text", ""),
                            "old": before["level"], "new": level_of(record), "old_reason": before.get("reason", ""),
                            "new_reason": record.get("reason", "")[:300]})
    return changed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--half", choices=("development", "heldout"), required=True)
    parser.add_argument("--part", choices=("all", "old", "new"), default="all")
    parser.add_argument("--mirror", type=Path, default=Path("/work/.mirror"))
    parser.add_argument("--baseline", type=Path, help="a scan_corpus.py --statements file of another version")
    parser.add_argument("--changes", type=Path, help="write the changed records here (their text: outside the repo)")
    parser.add_argument("--records", type=Path, help="write every record here (their text: outside the repo)")
    parser.add_argument("--python", help="the interpreter that runs derivspec scan (another version's venv)")
    args = parser.parse_args(argv)
    if args.python:
        scan_corpus.PYTHON = args.python
    records = scan_half(args.half, args.part, args.mirror)
    if args.records:
        args.records.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    found = problems(records)
    print(f"{args.half} ({args.part}): {len(records)} records, "
          f"{sum(len(r.get('steps') or []) for r in records)} steps")
    for kind, items in found.items():
        print(f"  {kind}: {len(items)}")
        for item in items[:10]:
            record = item[0] if isinstance(item, tuple) else item
            print(f"    {record['file']}:{record['lines'][0]}")
    if args.baseline:
        changed = changes(records, args.baseline)
        print(f"  records whose verdict or level changed from the baseline: {len(changed)}")
        for (old, new), n in sorted(Counter((c["old"], c["new"]) for c in changed).items()):
            print(f"    {old} -> {new}: {n}")
        if args.changes:
            args.changes.write_text("".join(json.dumps(c) + "\n" for c in changed), encoding="utf-8")
    return 1 if any(items for kind, items in found.items() if "allowed" not in kind) else 0


if __name__ == "__main__":
    sys.exit(main())
