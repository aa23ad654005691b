"""The metamorphic gate (issue 42, step 1): does ``derivspec scan`` give a lecture's statements the
same verdicts when the lecture's letters are renamed inside math (``rename_letters.py``)?

A statement of the original and of the renamed copy are the same statement when they sit in the
same file at the same lines (renaming adds no line) and in the same order. The figures: statements,
the share whose evidence level (proved, holds on instances, flagged, unchecked) is the same in both,
the same share among the statements judged in either copy (the sensitive figure: most statements
are unchecked in both), the judged statements of each copy, and each copy's flags; ``--changes FILE`` lists every statement
whose level moved (their text: keep such files outside the repository when it is not yours).

    python benchmarks/scan_metamorphic.py --folder benchmarks/scan_known_quantities   # our own text
    python benchmarks/scan_metamorphic.py --seeds                  # the seed lectures and d2l chapters (../shared)
    python benchmarks/scan_metamorphic.py --half development       # the corpus half, scanned twice
    python benchmarks/scan_metamorphic.py --compare A.jsonl B.jsonl  # two ``scan_corpus.py --statements`` files
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
import rename_letters  # noqa: E402
import scan_corpus  # noqa: E402

JUDGED = ("proved", "holds on instances", "disagrees")


def _keyed(rows: list[dict]) -> dict[tuple, dict]:
    seen: Counter = Counter()
    keyed = {}
    for row in rows:
        place = (row.get("repo", ""), row["file"], tuple(row["lines"]))
        keyed[place + (seen[place],)] = row
        seen[place] += 1
    return keyed


def compare(original: list[dict], renamed: list[dict]) -> dict:
    """The gate's figures for two scans of the same documents, original and renamed."""
    a, b = _keyed(original), _keyed(renamed)
    common = sorted(set(a) & set(b), key=str)
    same = sum(a[k]["level"] == b[k]["level"] for k in common)
    changes = [{"file": k[1], "lines": list(k[2]), "original": a[k]["level"], "renamed": b[k]["level"],
                "text": a[k].get("text", "")[:200], "renamed_text": b[k].get("text", "")[:200],
                "reason": b[k].get("reason", "")[:160]}
               for k in common if a[k]["level"] != b[k]["level"]]
    moves = Counter(f"{c['original']} -> {c['renamed']}" for c in changes)
    judged_either = [k for k in common if a[k]["level"] in JUDGED or b[k]["level"] in JUDGED]
    judged_same = sum(a[k]["level"] == b[k]["level"] for k in judged_either)
    return {"statements": len(a), "renamed_statements": len(b), "matched": len(common), "same_level": same,
            "agreement": round(same / len(common), 4) if common else None,
            "judged_either": len(judged_either), "judged_same": judged_same,
            "judged_agreement": round(judged_same / len(judged_either), 4) if judged_either else None,
            "judged": sum(r["level"] in JUDGED for r in a.values()),
            "judged_renamed": sum(r["level"] in JUDGED for r in b.values()),
            "flags": sum(r["level"] == "disagrees" for r in a.values()),
            "flags_renamed": sum(r["level"] == "disagrees" for r in b.values()),
            "moves": dict(moves.most_common()), "changes": changes}


def scan_rows(paths: list[Path], repo: str = "") -> list[dict]:
    """Every statement of one ``derivspec scan`` of ``paths`` (one process, two workers) as rows."""
    out, _, problem = scan_corpus.scan(paths)
    if out is None:
        raise RuntimeError(problem)
    return scan_corpus.statement_rows(repo, [], out.get("statements", []))


def gate_folder(folder: Path, pattern: str = "*", scheme: str = "permutation") -> dict:
    """The lecture files of ``folder`` (by ``pattern``) scanned as they are and renamed (``scheme``: the seeded
    permutation of issue 57, or ``"issue42"``'s renaming)."""
    paths = sorted(p for p in folder.glob(pattern) if p.is_file() and p.suffix.lower() in rename_letters.SUFFIXES
                   and p.name != "README.md")
    return gate_paths(paths, scheme)


def gate_paths(paths: list[Path], scheme: str = "permutation") -> dict:
    names = Counter(p.name for p in paths)
    if any(count > 1 for count in names.values()):
        raise ValueError("gate_paths: two files share a name")
    with tempfile.TemporaryDirectory() as tmp:
        original, renamed = Path(tmp) / "original", Path(tmp) / "renamed"
        original.mkdir()
        for path in paths:
            shutil.copyfile(path, original / path.name)
        mappings = rename_letters.rename_folder(original, renamed, scheme=scheme)
        result = compare(scan_rows(sorted(original.iterdir())), scan_rows(sorted(renamed.iterdir())))
    result["renamings"] = dict(Counter(f"{a}->{b}" for m in mappings.values() for a, b in m.items()).most_common())
    return result


def gate_half(half: str, mirror: Path) -> dict:
    return compare(scan_corpus.measure(half, mirror)["statements"], scan_corpus.measure(half, mirror, renamed=True)["statements"])


def report(name: str, result: dict) -> str:
    share = f"{100 * result['agreement']:.1f} %" if result["agreement"] is not None else "-"
    return (f"{name}: {result['matched']} statements, same evidence level in the renamed copy: {result['same_level']} "
            f"({share}); of the {result['judged_either']} judged in either copy, {result['judged_same']} the same "
            f"({100 * (result['judged_agreement'] or 0):.1f} %); judged {result['judged']} -> {result['judged_renamed']}; "
            f"flags {result['flags']} -> "
            f"{result['flags_renamed']}; moves {result['moves']}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("--folder", type=Path)
    where.add_argument("--seeds", action="store_true", help="the seed lectures and the d2l chapters in ../shared")
    where.add_argument("--half", choices=("development", "heldout"))
    where.add_argument("--compare", type=Path, nargs=2, metavar=("ORIGINAL", "RENAMED"))
    parser.add_argument("--mirror", type=Path, default=Path("/work/.mirror"))
    parser.add_argument("--changes", type=Path, help="write every statement whose level moved here (JSON)")
    parser.add_argument("--json", type=Path, help="write the figures here")
    args = parser.parse_args(argv)
    if args.folder:
        name, result = str(args.folder), gate_folder(args.folder)
    elif args.seeds:
        shared = ROOT.parent / "shared"
        paths = sorted((shared / "seeds").glob("*.txt")) + sorted((shared / "corpus" / "d2l").glob("*.md"))
        if not paths:
            print("scan_metamorphic: no seeds in ../shared", file=sys.stderr)
            return 2
        name, result = "seeds and d2l", gate_paths(paths)
    elif args.half:
        name, result = args.half, gate_half(args.half, args.mirror)
    else:
        original, renamed = ([json.loads(line) for line in p.read_text(encoding="utf-8").splitlines() if line.strip()]
                             for p in args.compare)
        name, result = f"{args.compare[0].name} vs {args.compare[1].name}", compare(original, renamed)
    print(report(name, result))
    if args.changes:
        args.changes.write_text(json.dumps(result["changes"], indent=1, ensure_ascii=False), encoding="utf-8")
    if args.json:
        args.json.write_text(json.dumps({k: v for k, v in result.items() if k != "changes"}, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
