"""Labelled samples of the scan corpus (issue 42): which statements are *checkable*, and how many of
those ``derivspec scan`` judges.

A random sample of the statements of each half of ``benchmarks/scan_corpus/split.toml`` is labelled
by hand, before the scanner changes, *checkable* (its truth follows from the document's definitions
and standard mathematics: a derivation step, a standard result, a derivative of a given function,
an inequality with a known direction, a worked number, a standard definition restated) or *not* (a
new definition or model, an assumption, an algorithm step, notation). The labels live in
``benchmarks/scan_corpus/labels.toml`` as repository, path, lines and a hash of the statement's text
(``scan_corpus.statement_hash``) -- no text. The coverage figure is then "labelled checkable
statements judged" (proved, holds on instances, or flagged), which a design can reach, and not
"statements checked", which counts definitions.

    # 1. every statement of a half (the scan as it is), then a seeded sample as a worksheet with context
    python benchmarks/scan_corpus.py --half development --statements /tmp/dev.jsonl
    python benchmarks/scan_corpus_labels.py sample --half development --statements /tmp/dev.jsonl --worksheet /tmp/dev-sheet.jsonl
    # 2. label the worksheet (a "label" field: "checkable" | "not", and "why": its category), then store
    python benchmarks/scan_corpus_labels.py store --half development --worksheet /tmp/dev-labelled.jsonl
    # 3. the coverage of a later scan of the half
    python benchmarks/scan_corpus_labels.py coverage --half development --statements /tmp/dev-now.jsonl

Worksheets hold other people's text: keep them outside the repository.

Issue 57 added four repositories (split.toml's ``added = "issue 57"``, the halves' *new part*) and a
sample of each half's new part, labelled before the scanner changed for it: ``sample --part new
--prefix DN`` draws from the new part only, with ids of their own, and ``store`` replaces only the
labels whose ids the worksheet holds. ``coverage --part old|new`` reports one part. A statement's
lines are those of the document as the scan reads it (a notebook's Markdown cells joined, an HTML
page's text: ``scan_corpus.source_text``), and so is the worksheet's context.

    python benchmarks/scan_corpus.py --half development --part new --statements /work/measure/dev-new.jsonl
    python benchmarks/scan_corpus_labels.py sample --half development --part new --prefix DN --size 160 \
        --statements /work/measure/dev-new.jsonl --worksheet /work/measure/dev-new-sheet.jsonl
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tomllib
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import scan_corpus  # noqa: E402
from derivspec.scan.records import reason_group  # noqa: E402

LABELS = scan_corpus.SPLIT.parent / "labels.toml"
JUDGED = ("proved", "holds on instances", "disagrees")
CHECKABLE_WHY = ("derivation step", "standard result", "derivative", "inequality", "worked number",
                 "restated definition")
NOT_WHY = ("definition", "model", "assumption", "algorithm step", "notation", "other")
CONTEXT_BEFORE, CONTEXT_AFTER = 12, 3


def read_rows(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def sample(half: str, statements: list[dict], size: int, seed: int, mirror: Path, which: str = "all",
           prefix: str | None = None) -> list[dict]:
    """``size`` statements drawn uniformly (``random.Random(seed)``) from the ``statements`` of the
    ``which`` part of ``half``, each with the lines around it (the document as the scan reads it, from
    the mirror at the pinned commit: ``scan_corpus.source_text``) for the labeller. Ids: ``prefix``
    (default the half's initial) and a number. No verdict goes into the worksheet."""
    commits = {repo["name"]: repo["commit"] for repo in scan_corpus.repositories(half, which)}
    rows = sorted((s for s in statements if s["repo"] in commits), key=lambda s: (s["repo"], s["file"], s["lines"]))
    drawn = sorted(random.Random(seed).sample(range(len(rows)), min(size, len(rows))))
    sources: dict[tuple[str, str], list[str]] = {}
    sheet = []
    for number, index in enumerate(drawn):
        s = rows[index]
        key = (s["repo"], s["file"])
        if key not in sources:
            git_dir = mirror / s["repo"].replace("/", "+") / "repo"
            sources[key] = scan_corpus.source_text(git_dir, commits[s["repo"]], s["file"]).split("\n")
        lines = sources[key]
        first, last = s["lines"]
        context = "\n".join(f"{n:5d}| {lines[n - 1]}" for n in range(max(1, first - CONTEXT_BEFORE),
                                                                     min(len(lines), last + CONTEXT_AFTER) + 1))
        sheet.append({"id": f"{prefix or half[0].upper()}{number:03d}", "repo": s["repo"], "file": s["file"], "lines": s["lines"],
                      "hash": s["hash"], "text": s["text"], "context": context, "label": None, "why": None})
    return sheet


def store(half: str, sheet: list[dict]) -> int:
    """The labelled worksheet's labels (no text) written into labels.toml for ``half``: labels with the
    worksheet's ids replaced, every other label kept."""
    ids = {row["id"] for row in sheet}
    kept = [row for row in load() if row["half"] != half or row["id"] not in ids]
    for row in sheet:
        if row.get("label") not in ("checkable", "not"):
            raise SystemExit(f"scan_corpus_labels: {row['id']} has no label ('checkable' or 'not')")
        allowed = CHECKABLE_WHY if row["label"] == "checkable" else NOT_WHY
        if row.get("why") not in allowed:
            raise SystemExit(f"scan_corpus_labels: {row['id']}: why {row.get('why')!r} is not one of {allowed}")
        kept.append({"half": half, "id": row["id"], "repo": row["repo"], "file": row["file"], "lines": row["lines"],
                     "hash": row["hash"], "label": row["label"], "why": row["why"],
                     "source_error": bool(row.get("source_error"))})
    header = ("# Hand labels of a random sample of each half of split.toml (benchmarks/scan_corpus_labels.py),\n"
              "# written before issue 42 changed the scanner; the ids DN*/HN* label the new part of each half (the\n"
              "# repositories added by issue 57), written before issue 57 changed the scanner. A label: the\n"
              "# statement at these lines (of the document as the scan reads it: a notebook's Markdown cells\n"
              "# joined) whose text hashes to `hash` (scan_corpus.statement_hash) is checkable or not, and why;\n"
              "# `source_error`: the labeller found the statement itself wrong in the source (a real error a\n"
              "# scan should flag). No text.\n")
    body = "".join(
        f'\n[[label]]\nhalf = "{r["half"]}"\nid = "{r["id"]}"\nrepo = "{r["repo"]}"\nfile = {json.dumps(r["file"])}\n'
        f'lines = [{r["lines"][0]}, {r["lines"][1]}]\nhash = "{r["hash"]}"\nlabel = "{r["label"]}"\nwhy = "{r["why"]}"\n'
        + ("source_error = true\n" if r.get("source_error") else "")
        for r in kept)
    LABELS.write_text(header + body, encoding="utf-8")
    return len(kept)


def load(half: str | None = None, which: str = "all") -> list[dict]:
    """The labels of ``half`` (all when None), of the repositories of one part (``old``, ``new``) or ``all``."""
    if not LABELS.exists():
        return []
    rows = tomllib.loads(LABELS.read_text(encoding="utf-8")).get("label", [])
    parts = {repo["name"]: scan_corpus.part(repo) for repo in scan_corpus.split()["repo"]}
    return [r for r in rows if (half is None or r["half"] == half) and which in ("all", parts.get(r["repo"], "old"))]


def find(label: dict, statements: list[dict]) -> tuple[dict | None, str]:
    """The scanned statement a label names: the same text (hash) in the same file at overlapping
    lines ("hash"); else, when the reader now cuts the text differently, the statement of that file
    whose lines overlap most ("lines"); else none."""
    same_file = [s for s in statements if s["repo"] == label["repo"] and s["file"] == label["file"]]
    first, last = label["lines"]
    overlapping = [s for s in same_file if s["lines"][0] <= last and first <= s["lines"][1]]
    for s in overlapping:
        if s["hash"] == label["hash"]:
            return s, "hash"
    if overlapping:
        return max(overlapping, key=lambda s: min(last, s["lines"][1]) - max(first, s["lines"][0])), "lines"
    return None, "none"


def coverage(half: str, statements: list[dict], which: str = "all") -> dict:
    """Of the labelled checkable statements of ``half`` (of its ``which`` part): how many the scan
    judged (proved, holds on instances, flagged), by evidence level and by the label's category."""
    labels = load(half, which)
    checkable = [r for r in labels if r["label"] == "checkable"]
    levels, matched, judged_by_why, funnel = Counter(), Counter(), Counter(), Counter()
    for label in checkable:
        found, how = find(label, statements)
        matched[how] += 1
        level = found["level"] if found else "not found"
        levels[level] += 1
        if level in JUDGED:
            judged_by_why[label["why"]] += 1
        else:  # where it is lost: the scan's class and the group of its reason
            funnel[f"{found.get('class') if found else 'not extracted'}: "
                   f"{reason_group(found.get('reason', '')) if found else '-'}"] += 1
    judged = sum(levels[level] for level in JUDGED)
    not_checkable_judged = 0
    for label in labels:
        if label["label"] == "not":
            found, _ = find(label, statements)
            not_checkable_judged += bool(found and found["level"] in JUDGED)
    errors = [r for r in labels if r.get("source_error")]
    errors_flagged = sum(bool((found := find(r, statements)[0]) and found["level"] == "disagrees") for r in errors)
    return {"half": half, "part": which, "labelled": len(labels), "checkable": len(checkable), "judged": judged,
            "source_errors": len(errors), "source_errors_flagged": errors_flagged,
            "share": round(judged / len(checkable), 4) if checkable else None, "levels": dict(levels),
            "matched_by": dict(matched), "judged_by_why": dict(judged_by_why),
            "checkable_by_why": dict(Counter(r["why"] for r in checkable)), "funnel": dict(funnel.most_common()),
            "not_checkable_judged": not_checkable_judged}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    one = commands.add_parser("sample", help="draw a seeded sample as a worksheet")
    one.add_argument("--half", choices=("development", "heldout"), required=True)
    one.add_argument("--statements", type=Path, required=True)
    one.add_argument("--worksheet", type=Path, required=True)
    one.add_argument("--size", type=int, default=320)
    one.add_argument("--seed", type=int, default=42)
    one.add_argument("--mirror", type=Path, default=Path("/work/.mirror"))
    one.add_argument("--part", choices=("all", "old", "new"), default="all")
    one.add_argument("--prefix", help="the ids' prefix (default: the half's initial)")
    two = commands.add_parser("store", help="write a labelled worksheet's labels into labels.toml")
    two.add_argument("--half", choices=("development", "heldout"), required=True)
    two.add_argument("--worksheet", type=Path, required=True)
    three = commands.add_parser("coverage", help="labelled checkable statements judged by a scan")
    three.add_argument("--half", choices=("development", "heldout"), required=True)
    three.add_argument("--statements", type=Path, required=True)
    three.add_argument("--json", action="store_true")
    three.add_argument("--part", choices=("all", "old", "new"), default="all")
    args = parser.parse_args(argv)
    if args.command == "sample":
        sheet = sample(args.half, read_rows(args.statements), args.size, args.seed, args.mirror, args.part, args.prefix)
        args.worksheet.write_text("".join(json.dumps(row, ensure_ascii=False) + "\n" for row in sheet), encoding="utf-8")
        print(f"{len(sheet)} statements drawn (seed {args.seed}) into {args.worksheet}")
    elif args.command == "store":
        print(f"{store(args.half, read_rows(args.worksheet))} labels in {LABELS}")
    else:
        result = coverage(args.half, read_rows(args.statements), args.part)
        if args.json:
            print(json.dumps(result, indent=1))
        else:
            share = f"{100 * result['share']:.1f} %" if result["share"] is not None else "-"
            print(f"{args.half}{'' if args.part == 'all' else ', ' + args.part + ' part'}: {result['judged']}/{result['checkable']} labelled checkable statements judged ({share}); "
                  f"levels {result['levels']}; matched by {result['matched_by']}; "
                  f"{result['not_checkable_judged']} statements labelled not checkable were judged; "
                  f"{result['source_errors_flagged']}/{result['source_errors']} errors of the sources' own flagged")
            print("where the others are lost (the scan's class: its reason's group):")
            for stage, count in result["funnel"].items():
                print(f"  {count:4d}  {stage}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
