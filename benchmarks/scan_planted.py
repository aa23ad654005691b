"""Recall of ``derivspec scan`` on planted errors (issue 15).

The planted set is a manifest of edits (``benchmarks/scan_planted/manifest.json``): on a given
line of a lecture that this repository does not contain -- the seeds in ``../shared/seeds`` and
the Dive into Deep Learning chapters in ``../shared/corpus/d2l`` -- one exact string becomes
another (a sign flip, a dropped 1/2, sigma for sigma^2, t for t-1, alpha for alpha-bar, swapped
KL arguments, a missing term, a wrong worked number). The copies are generated at run time in a
temporary folder, never committed: edits that fall on different statements of the same file go
into the same copy, so a few copies carry all of them.

An error counts as *found* when the scan flags (verdict ``disagrees``) a statement spanning
its line, and the unedited lecture is not flagged there. Registry sources are not used (the
copies have other names): what is measured is the scanner on text it reads for the first time.

    python benchmarks/scan_planted.py            # table + recall by category and kind
    python benchmarks/scan_planted.py --json     # the same as JSON
    python benchmarks/scan_planted.py --manifest benchmarks/scan_planted/heldout.json   # the second development set

``heldout.json`` is a second set of edits, on statements ``manifest.json`` does not touch, written
before it was first scanned; it was held out for one round and has been a development set since.
``heldout2.json`` (44 edits over all twelve lectures, on statements neither earlier set touches)
was written before the follow-up round changed the scanner and measured once after it; it is a
development set since the third round. ``heldout3.json`` (43 edits over all twelve lectures, on
statements no earlier set touches) was written before the third round changed the scanner and
measured once after it: it estimates recall on text the scanner was not developed against.

    python benchmarks/scan_planted.py --manifest benchmarks/scan_planted/heldout2.json
    python benchmarks/scan_planted.py --manifest benchmarks/scan_planted/heldout3.json   # held out

Library use (property_tests/test_scan_planted.py): :func:`measure`.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import rename_letters  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
MANIFEST = Path(__file__).resolve().parent / "scan_planted" / "manifest.json"
SEPARATION = 4  # edits closer than this many lines go into different copies


def load_manifest(path: Path = MANIFEST) -> list[dict]:
    return json.loads(path.read_text(encoding="utf-8"))["errors"]


def build_copies(entries: list[dict], folder: Path, shared: Path = SHARED) -> list[tuple[Path, str, list[int]]]:
    """Write the planted copies into ``folder``: (copy path, original file, indexes of its edits)."""
    by_file: dict[str, list[int]] = defaultdict(list)
    for i, entry in enumerate(entries):
        by_file[entry["file"]].append(i)
    copies = []
    for file, indexes in sorted(by_file.items()):
        original = (shared / file).read_text(encoding="utf-8")
        groups: list[list[int]] = []
        for i in sorted(indexes, key=lambda k: entries[k]["line"]):
            for group in groups:
                if all(abs(entries[j]["line"] - entries[i]["line"]) >= SEPARATION for j in group):
                    group.append(i)
                    break
            else:
                groups.append([i])
        for k, group in enumerate(groups):
            lines = original.split("\n")
            for i in group:
                entry = entries[i]
                line = lines[entry["line"] - 1]
                if line.count(entry["find"]) != 1:
                    raise ValueError(f"{file}:{entry['line']}: {entry['find']!r} is not on that line exactly once")
                lines[entry["line"] - 1] = line.replace(entry["find"], entry["replace"])
            path = folder / f"planted-{k}-{Path(file).name}"
            path.write_text("\n".join(lines), encoding="utf-8")
            copies.append((path, file, group))
    return copies


def measure(entries: list[dict] | None = None, shared: Path = SHARED, workers: int = 1, renamed: bool = False) -> dict:
    """Scan the planted copies (only the edited statements) and the originals at the same lines. With
    ``renamed``, each copy and its original with their letters renamed inside math, by the renaming of
    the original (``rename_letters.py``): the metamorphic gate's figure for the planted set."""
    from derivspec.scan import scan_file

    entries = load_manifest() if entries is None else entries
    results = [dict(entry, found=False, reason="", original_flagged=False) for entry in entries]
    with tempfile.TemporaryDirectory(prefix="derivspec-planted-") as tmp:
        copies = build_copies(entries, Path(tmp), shared)
        originals: dict[str, list] = {}
        renamings: dict[str, dict] = {}
        for path, file, group in copies:
            original = shared / file
            if renamed:
                kind = rename_letters.file_kind(original)
                if file not in renamings:
                    text, renamings[file] = rename_letters.rename(rename_letters.read_lecture(original), kind)
                    original = Path(tmp) / "originals" / file
                    original.parent.mkdir(parents=True, exist_ok=True)
                    original.write_text(text, encoding="utf-8")
                original = Path(tmp) / "originals" / file
                path.write_text(rename_letters.rename(path.read_text(encoding="utf-8"), kind, renamings[file])[0],
                                encoding="utf-8")
            lines = [entries[i]["line"] for i in group]
            records = scan_file(path, workers=workers, sources=False, only_lines=lines)
            if file not in originals:
                all_lines = [e["line"] for e in entries if e["file"] == file]
                originals[file] = scan_file(original, workers=workers, sources=False, only_lines=all_lines)
            for i in group:
                line = entries[i]["line"]
                covering = [r for r in records if r.lines[0] <= line <= r.lines[1]]
                flagged = [r for r in covering if r.verdict == "disagrees"]
                before = [r for r in originals[file] if r.lines[0] <= line <= r.lines[1] and r.verdict == "disagrees"]
                results[i]["original_flagged"] = bool(before)
                results[i]["found"] = bool(flagged) and not before
                unedited = {r.text for r in originals[file] if r.lines[0] <= line <= r.lines[1]}
                edited = [r for r in covering if r.text not in unedited]  # the statement the edit changed
                chosen = flagged or edited or covering
                results[i]["reason"] = chosen[0].reason if chosen else "no statement at this line"
                results[i]["verdict"] = chosen[0].verdict if chosen else "none"
    return {"errors": results, "recall": recall(results)}


def recall(results: list[dict]) -> dict:
    table: dict = {"all": _rate(results)}
    for key in ("category", "kind"):
        groups: dict[str, list] = defaultdict(list)
        for r in results:
            groups[r[key]].append(r)
        table[key] = {name: _rate(rows) for name, rows in sorted(groups.items())}
    return table


def _rate(rows: list[dict]) -> dict:
    found = sum(1 for r in rows if r["found"])
    return {"found": found, "planted": len(rows), "recall": round(found / len(rows), 3) if rows else None}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--renamed", action="store_true", help="rename the copies' letters inside math first")
    parser.add_argument("--manifest", type=Path, default=MANIFEST,
                        help="a manifest of planted errors (default: scan_planted/manifest.json)")
    args = parser.parse_args(argv)
    if not SHARED.is_dir():
        print(f"scan_planted: {SHARED} not found (the seeds and the d2l corpus live beside the repository)",
              file=sys.stderr)
        return 2
    try:
        entries = load_manifest(args.manifest)
    except (OSError, ValueError, KeyError) as error:
        print(f"scan_planted: {args.manifest}: not a manifest of planted errors ({error})", file=sys.stderr)
        return 2
    outcome = measure(entries, workers=args.workers, renamed=args.renamed)
    outcome["manifest"] = str(args.manifest)
    if args.json:
        json.dump(outcome, sys.stdout, indent=2)
        print()
        return 0
    for r in outcome["errors"]:
        mark = "found " if r["found"] else ("ORIG  " if r["original_flagged"] else "missed")
        print(f"{mark} {r['category']:6s} {r['kind']:22s} {Path(r['file']).name}:{r['line']}  {r['verdict']:9s} "
              f"{r['reason'][:110]}")
    rec = outcome["recall"]
    print(f"\n{args.manifest.name}{' (renamed)' if args.renamed else ''}: recall {rec['all']['found']}/{rec['all']['planted']} ({rec['all']['recall']:.0%})")
    for name, row in rec["category"].items():
        print(f"  {name:8s} {row['found']}/{row['planted']} ({row['recall']:.0%})")
    for name, row in rec["kind"].items():
        print(f"    {name:24s} {row['found']}/{row['planted']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
