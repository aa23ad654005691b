r"""Every flag of a real-error measurement, judged: the evidence for a rule's status (issue 80, item 4).

``benchmarks/scan_real_errors.py --json FILE`` records every flag ``scan`` raised in the documents of a half
(document, lines, rule, and whether it sits on a labelled error line); ``benchmarks/scan_corpus.py --preview
--json FILE`` every flag on a corpus half (other authors' lectures at pinned commits): both are development
material for a rule's precision. Each flag is judged by hand in
``benchmarks/real_errors/judgements.toml`` -- right (the line is wrong as the flag says) or wrong (a false
alarm), with a reason in our own words, never the source's text. A flag on a labelled error line is right
unless a judgement says otherwise (the label is the hand-read error). This script joins the two:

    python benchmarks/judge_flags.py /work/measure/real_errors/dev.json /work/measure/real_errors/heldout.json
        # lists the unjudged flags, prints the table by rule and half
    python benchmarks/judge_flags.py DEV.json HELDOUT.json CORPUS_DEV.json development=SEEDS.json --write
        # and writes derivspec/scan/rules/measured.toml, which docs/rules/index.md shows

A rule may become default only when every flag it raised on the development half is judged and at least
95 % are right (``derivspec.scan.rules.docs.PROMOTION``); the table says which rules qualify.
"""

from __future__ import annotations

import argparse
import json
import sys
import tomllib
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
JUDGEMENTS = ROOT / "benchmarks" / "real_errors" / "judgements.toml"
MEASURED = ROOT / "derivspec" / "scan" / "rules" / "measured.toml"
HALVES = ("development", "heldout")


def document(file: str) -> str:
    """A scanned copy's name, with its running number (``007__posts__x.md``): the number tells the revisions of one
    path apart and is the same in every measurement of a half (documents sorted by repository, path, commit)."""
    return Path(file).name


def key(half: str, flag: dict) -> tuple:
    name = document(flag["file"]) if "repo" not in flag else f"{flag['repo']}:{Path(flag['file']).name}"
    return half, name, int(flag["lines"][0]), flag.get("rule") or "-"


def flags_of(measurement: dict) -> list[dict] | None:
    """The flags of an original copy: a real-error measurement's ``flag_list``, or a corpus half's ``flags``
    (benchmarks/scan_corpus.py --preview --json: its documents are named repo:file); None for a renamed or
    re-spaced copy (compared rule by rule, not judged again)."""
    if measurement.get("copy", "original") != "original" or measurement.get("renamed") or measurement.get("respaced"):
        return None
    if "statements" in measurement and "flags" not in measurement:  # a plain `derivspec scan --json` of the seeds
        return [{"file": Path(s["file"]).name, "lines": s["lines"], "rule": s.get("rule"), "reason": s.get("reason", ""),
                  "on_error": "(an erratum)" in (s.get("reason") or "")}  # a registered erratum: verified by its claim
                for s in measurement["statements"] if s["verdict"] == "disagrees"]
    return measurement["flag_list"] if "flag_list" in measurement else measurement["flags"]


def judgements(path: Path = JUDGEMENTS) -> dict[tuple, dict]:
    rows = tomllib.loads(path.read_text(encoding="utf-8")).get("flag", []) if path.exists() else []
    found = {}
    for row in rows:
        if row["verdict"] not in ("right", "wrong"):
            raise ValueError(f"{path}: verdict must be right or wrong, got {row['verdict']!r} ({row})")
        found[(row["half"], row["document"], int(row["line"]), row["rule"])] = row
    return found


def judge(measurements: list[dict], judged: dict[tuple, dict]) -> tuple[dict, list]:
    """(rule -> half -> counts, unjudged flags). Only the original copies count (renamed and respaced
    copies are compared rule by rule, not judged again)."""
    table: dict[str, dict[str, dict[str, int]]] = defaultdict(lambda: {h: {
        "flags": 0, "right": 0, "wrong": 0, "unjudged": 0,  # errors (issue 88: a rule's gate counts its errors)
        "questions": 0, "questions_right": 0, "questions_wrong": 0, "questions_unjudged": 0} for h in HALVES})
    unjudged = []
    for m in measurements:
        for flag in flags_of(m) or []:
            cell = table[flag.get("rule") or "-"][m["half"]]
            prefix = "questions_" if flag.get("severity") == "question" else ""
            cell[prefix.rstrip("_") or "flags"] += 1
            row = judged.get(key(m["half"], flag))
            verdict = row["verdict"] if row else "right" if flag.get("on_error") else None
            if verdict is None:
                cell[prefix + "unjudged"] += 1
                unjudged.append((m["half"], flag))
            else:
                cell[prefix + verdict] += 1
    return table, unjudged


def severities(measurements: list[dict], judged: dict[tuple, dict]) -> dict:
    """(half, severity) -> flags/right/wrong/unjudged: errors and questions (issue 88) judged apart (a flag measured
    before severities existed is an error)."""
    found: dict = defaultdict(lambda: {"flags": 0, "right": 0, "wrong": 0, "unjudged": 0})
    for m in measurements:
        for flag in flags_of(m) or []:
            cell = found[(m["half"], flag.get("severity") or "error")]
            cell["flags"] += 1
            row = judged.get(key(m["half"], flag))
            verdict = row["verdict"] if row else "right" if flag.get("on_error") else None
            cell[verdict or "unjudged"] += 1
    return found


def qualifies(counts: dict[str, int], share: float) -> bool:
    """Every development flag judged and at least ``share`` of them right (and at least one flag)."""
    return counts["flags"] > 0 and counts["unjudged"] == 0 and counts["right"] >= share * counts["flags"]


def write(table: dict, sources: list[str], path: Path = MEASURED) -> None:
    lines = ["# Errors (flags) and questions of each rule on the real-error halves, judged by hand (benchmarks/judge_flags.py --write from",
             f"# {', '.join(sources)}; judgements: benchmarks/real_errors/judgements.toml). Generated: do not edit.", ""]
    for rule in sorted(table):
        lines.append(f"[{rule}]")
        for half in HALVES:
            c = table[rule][half]
            lines.append(f"{half} = {{ flags = {c['flags']}, right = {c['right']}, wrong = {c['wrong']}, "
                         f"unjudged = {c['unjudged']}, questions = {c['questions']}, questions_right = "
                         f"{c['questions_right']}, questions_wrong = {c['questions_wrong']} }}")
        lines.append("")
    path.write_text("\n".join(lines), encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    sys.path.insert(0, str(ROOT))
    from derivspec.scan.rules.docs import PROMOTION

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("measurements", nargs="+", type=Path,
                        help="scan_real_errors.py --json or scan_corpus.py --preview --json files; or HALF=FILE for a "
                             "plain `derivspec scan --preview --json` of the seed lectures (development=FILE)")
    parser.add_argument("--judgements", type=Path, default=JUDGEMENTS)
    parser.add_argument("--write", action="store_true", help=f"write {MEASURED.relative_to(ROOT)}")
    args = parser.parse_args(argv)
    measurements = []
    for given in map(str, args.measurements):
        half, _, name = given.rpartition("=") if given.split("=", 1)[0] in HALVES else ("", "", given)
        data = json.loads(Path(name).read_text(encoding="utf-8"))
        measurements.append(data | ({"half": half} if half else {}))
    table, unjudged = judge(measurements, judgements(args.judgements))
    by_severity = severities(measurements, judgements(args.judgements))
    for half, flag in unjudged:
        print(f"unjudged: {' '.join(map(str, key(half, flag)))}: {(flag.get('reason') or '')[:120]}")
    print(f"{'rule':7} " + "  ".join(f"{h + ' flags/right/wrong/unjudged':>40}" for h in HALVES) + "  qualifies")
    for rule in sorted(table):
        cells = [table[rule][h] for h in HALVES]
        print(f"{rule:7} " + "  ".join(f"{c['flags']:>22}/{c['right']}/{c['wrong']}/{c['unjudged']:<12}" for c in cells)
              + f"  {'yes' if qualifies(cells[0], PROMOTION) else 'no'}")
    print("by severity (issue 88): half severity flags/right/wrong/unjudged (share right of the judged)")
    for (half, severity), c in sorted(by_severity.items()):
        judged_n = c["right"] + c["wrong"]
        share = f"{100 * c['right'] / judged_n:.0f} %" if judged_n else "-"
        print(f"  {half:12} {severity:9} {c['flags']}/{c['right']}/{c['wrong']}/{c['unjudged']}  ({share})")
    if args.write:
        write(table, [Path(str(p).rpartition("=")[2]).name for p in args.measurements])
        print(f"wrote {MEASURED}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
