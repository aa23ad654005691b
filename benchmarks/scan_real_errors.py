r"""``derivspec scan`` on real formula errors mined from histories (issue 80, items 5-6): the baseline funnel.

The errors are ``benchmarks/real_errors/labels.toml`` (coordinates, hashes and hand labels; no text), read
from the bare git directories the ``fetch`` tool made (``--mirror``, default ``/work/.mirror``). Each
buggy document is built at its buggy commit (as the scan reads it: ``scan_corpus.source_text``, a
notebook's Markdown cells joined and an HTML page's visible text, copied as Markdown) in a temporary
folder and scanned as a user would (``python -m derivspec scan FILES --json --no-cache --jobs 1``, one
process at a time, ``--preview`` where the scanner has it). An error is

    in extracted lines  -- a statement record covers its line,
    decided             -- such a record is proved or flagged (verdict ``proved`` or ``disagrees``),
    found               -- such a record is flagged (``disagrees``).

Every other flag in those documents is counted too (a potential false alarm), with its ``rule`` field
where the record has one. ``--copy renamed`` renames the letters inside math (``rename_letters.py``),
``--copy respaced`` re-spaces it (``respace_math.py``), ``--copy fixed`` scans the document at the fixed
commit instead: there a flag on the fixed line (the buggy line's place, by a line diff) is a false alarm.

    python benchmarks/scan_real_errors.py --half development                  # the funnel, and flags for review
    python benchmarks/scan_real_errors.py --half development --copy renamed
    python benchmarks/scan_real_errors.py --half development --no-preview     # with the --preview run: the rules' cost
    python benchmarks/scan_real_errors.py --half heldout --json /work/measure/real_errors/heldout.json  # only to measure

To measure a fixed version of the scanner while the checkout changes, put a snapshot first on the path
(the baseline of docs/scan.md: ``git archive 42ec984 | tar -x -C /work/measure/tree``, then
``PYTHONPATH=/work/measure/tree python benchmarks/scan_real_errors.py ...``): the scan and the readings both
import that ``derivspec``.

``--flags FILE`` writes every flag (document, lines, reason, rule, and the text: other people's text --
keep such files outside the repository).
"""

from __future__ import annotations

import argparse
import difflib
import json
import re
import resource
import subprocess
import sys
import tempfile
import time
import tomllib
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
import scan_corpus  # noqa: E402
from mine_formula_fixes import line_hash  # noqa: E402

LABELS = ROOT / "benchmarks" / "real_errors" / "labels.toml"
FILE_TIME_LIMIT = 120   # seconds per document (scan --file-time-limit)
PROCESS_TIMEOUT = 1800  # seconds per scan process


def labels(half: str) -> list[dict]:
    return [e for e in tomllib.loads(LABELS.read_text(encoding="utf-8"))["error"] if e["half"] == half]


def git_dir(repo: str, mirror: Path) -> Path:
    return mirror / repo.replace("/", "+") / "repo"


def raw_line(gdir: Path, commit: str, path: str, line: int) -> str:
    raw = subprocess.run(["git", "-C", str(gdir), "show", f"{commit}:{path}"], capture_output=True,
                         check=True).stdout.decode("utf-8", errors="replace").split("\n")
    return raw[line - 1] if 0 < line <= len(raw) else ""


def document_text(gdir: Path, commit: str, path: str) -> str:
    """The document as the scan reads it (``scan_corpus.source_text``); a notebook the scanner cannot
    read (nbformat 3, the older notebooks' ``worksheets``) as its Markdown cells joined by blank lines,
    read here on the measurement side so that its errors are scanned at all."""
    text = scan_corpus.source_text(gdir, commit, path)
    if text or not scan_corpus.is_notebook(path):
        return text
    try:
        notebook = json.loads(scan_corpus._blob(gdir, commit, path).decode("utf-8", errors="replace"))
    except json.JSONDecodeError:
        return ""
    cells = notebook.get("cells") or [c for w in notebook.get("worksheets", []) for c in w.get("cells", [])]
    parts = []
    for cell in cells:
        if cell.get("cell_type") == "markdown":
            source = cell.get("source", "")
            parts.append("".join(source) if isinstance(source, list) else source)
    return "\n\n".join(parts)


def scanned_line(gdir: Path, commit: str, path: str, line: int, text: list[str]) -> int | None:
    """The labelled line (of the file as stored) as a line of ``text``, the document as the scan reads it:
    the same number for a plain file; for a notebook or HTML page the line of ``text`` that holds the
    stored line's content (a notebook's JSON string decoded), nearest in order."""
    if not (scan_corpus.is_notebook(path) or scan_corpus.is_html(path)):
        return line if 0 < line <= len(text) else None
    stored = raw_line(gdir, commit, path, line).strip().rstrip(",")
    if scan_corpus.is_notebook(path):
        try:
            stored = json.loads(stored)
        except json.JSONDecodeError:
            pass
    else:
        stored = scan_corpus.html_text(stored)
    # spaces aside, and on an HTML page the math delimiters too: a line that opens a <d-math> closed further on
    # reads, alone, without its $ (a notebook's lines keep theirs: "$$ … $$" must not match the same math inline)
    blank = r"[\s$]+" if scan_corpus.is_html(path) else r"\s+"
    key = re.sub(blank, "", str(stored))
    if not key:
        return None
    hits = [i + 1 for i, t in enumerate(text) if re.sub(blank, "", t) == key]
    hits = hits or [i + 1 for i, t in enumerate(text) if key in re.sub(blank, "", t)]
    return hits[0] if hits else None


def mapped_line(before: list[str], after: list[str], line: int) -> int | None:
    """``line`` of ``before`` carried to ``after`` by a line diff (a replaced line goes to its replacement)."""
    matcher = difflib.SequenceMatcher(None, before, after, autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if i1 <= line - 1 < i2:
            if op == "equal":
                return j1 + (line - 1 - i1) + 1
            if op == "replace":
                return min(j1 + (line - 1 - i1), j2 - 1) + 1
            return None
    return None


def has_preview(python: str) -> bool:
    done = subprocess.run([python, "-m", "derivspec", "scan", "--help"], capture_output=True, text=True, cwd=tempfile.gettempdir())
    return "--preview" in done.stdout


def child_cpu() -> float:
    """CPU seconds (user + system) of the finished child processes so far."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def scan(paths: list[Path], python: str, preview: bool) -> tuple[list[dict], float, str]:
    started = time.perf_counter()
    command = [python, "-m", "derivspec", "scan", *map(str, paths), "--json", "--no-cache", "--jobs", "1",
               "--file-time-limit", str(FILE_TIME_LIMIT)] + (["--preview"] if preview else [])
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=PROCESS_TIMEOUT,
                              cwd=scan_corpus.neutral_folder(paths))
    except subprocess.TimeoutExpired:
        return [], time.perf_counter() - started, "timed out"
    try:
        return json.loads(done.stdout).get("statements", []), time.perf_counter() - started, ""
    except json.JSONDecodeError:
        return [], time.perf_counter() - started, f"exit {done.returncode}: {done.stderr.strip()[-200:]}"


def covers(record: dict, line: int) -> bool:
    first, last = record["lines"]
    return first <= line <= last


def declared_for(declare: dict, repo: str, path: str) -> list[str]:
    """The declarations ``--declare FILE`` writes for a document (a course author's block, issue 88)."""
    return [d for row in declare.get("document", []) if row["repo"] == repo and row["path"] == path
            for d in row["declare"]]


def measure(half: str, mirror: Path, copy: str, python: str, only: set[str] | None = None,
            preview: bool | None = None, declare: dict | None = None) -> dict:
    errors = [e for e in labels(half) if not only or e["id"] in only]
    preview = has_preview(python) if preview is None else preview
    documents: dict[tuple, list[dict]] = defaultdict(list)
    for e in errors:
        documents[(e["repo"], e["path"], e["fixed"] if copy == "fixed" else e["buggy"])].append(e)
    rows, flags, drift, unplaced = [], [], [], []
    with tempfile.TemporaryDirectory() as folder:
        paths, targets = [], {}
        for number, ((repo, path, commit), members) in enumerate(sorted(documents.items())):
            gdir = git_dir(repo, mirror)
            for e in members:
                if line_hash(raw_line(gdir, e["buggy"], e["path"], e["line"])) != e["hash"]:
                    drift.append(e["id"])
            text = document_text(gdir, commit, path)
            lines = text.split("\n")
            target = Path(folder) / f"{number:03d}__{scan_corpus.copy_name(path, notebooks_as_text=True)}"
            if scan_corpus.is_notebook(path) and not target.name.endswith(".md"):
                target = target.with_name(target.name + ".md")
            target.write_text(text, encoding="utf-8")
            if declare and declared_for(declare, repo, path):
                comment = ("\n" + "\n".join(f"% derivspec: {d}" for d in declared_for(declare, repo, path))
                           if target.name.endswith(".tex") else
                           "\n<!-- derivspec:\n" + "\n".join(declared_for(declare, repo, path)) + "\n-->\n")
                target.write_text(text + comment, encoding="utf-8")  # below the text: no line of it moves
            if copy == "renamed":
                scan_corpus.rename_file(target)
            elif copy == "respaced":
                scan_corpus.respace_file(target)
            for e in members:
                buggy_text = document_text(gdir, e["buggy"], path).split("\n") if copy == "fixed" else lines
                at = scanned_line(gdir, e["buggy"], path, e["line"], buggy_text)
                if at is not None and copy == "fixed":
                    at = mapped_line(buggy_text, lines, at)
                if at is None:
                    unplaced.append(e["id"])
                targets.setdefault(target.name, []).append((e, at))
            paths.append(target)
        cpu = child_cpu()
        statements, seconds, problem = scan(paths, python, preview)
        cpu = child_cpu() - cpu
    by_file = defaultdict(list)
    for s in statements:
        by_file[Path(s["file"]).name].append(s)
    labelled_lines = {(name, at) for name, members in targets.items() for _, at in members if at}
    for name, members in targets.items():
        records = by_file.get(name, [])
        for e, at in members:
            here = [s for s in records if at and covers(s, at)]
            rows.append({"id": e["id"], "repo": e["repo"], "context": e["context"], "kind": e["kind"], "check": e["check"],
                         "line": at, "extracted": bool(here),
                         "decided": any(s["verdict"] in ("proved", "disagrees") for s in here),
                         "flagged": any(s["verdict"] == "disagrees" for s in here),
                         "flagged_error": any(s["verdict"] == "disagrees" and s.get("severity", "error") == "error"
                                              for s in here),
                         "rules": sorted({s.get("rule") or "-" for s in here if s["verdict"] == "disagrees"})})
        for s in records:
            if s["verdict"] == "disagrees":
                on_error = any((name, at) in labelled_lines for at in range(s["lines"][0], s["lines"][1] + 1))
                flags.append({"file": name, "lines": s["lines"], "rule": s.get("rule") or "-", "on_error": on_error,
                              "severity": s.get("severity", "error"),  # issue 88: error | question
                              "rests_on": [r for r in s.get("rests_on", []) if r.get("provenance") in ("guess", "unknown")],
                              "reason": (s.get("reason") or "")[:200], "text": s.get("text", "")})
    return {"half": half, "copy": copy, "preview": preview, "errors": len(rows), "documents": len(documents),
            "extracted": sum(r["extracted"] for r in rows), "decided": sum(r["decided"] for r in rows),
            "flagged": sum(r["flagged"] for r in rows), "flags": len(flags),
            "flags_on_error_lines": sum(f["on_error"] for f in flags),
            "flags_elsewhere": sum(not f["on_error"] for f in flags),
            "error_flags": sum(f["severity"] == "error" for f in flags),
            "question_flags": sum(f["severity"] == "question" for f in flags),
            "errors_on_error_lines": sum(f["on_error"] and f["severity"] == "error" for f in flags),
            "found_as_error": sum(r["flagged_error"] for r in rows),
            "flag_rules": dict(Counter(f["rule"] for f in flags)), "seconds": round(seconds, 1), "cpu_seconds": round(cpu, 1), "problem": problem,
            "drift": drift, "unplaced": unplaced, "rows": rows, "flag_list": flags}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--half", choices=("development", "heldout"), required=True)
    parser.add_argument("--copy", choices=("original", "renamed", "respaced", "fixed"), default="original")
    parser.add_argument("--mirror", type=Path, default=Path("/work/.mirror"))
    parser.add_argument("--python", default=sys.executable, help="the interpreter that runs derivspec scan")
    parser.add_argument("--json", type=Path, help="write the measurement (rows and counts; no flag text) here")
    parser.add_argument("--preview", action=argparse.BooleanOptionalAction, default=None,
                        help="run the preview rules (default: when the scanner has --preview); --no-preview with "
                             "--json twice gives the rules' cost (cpu_seconds)")
    parser.add_argument("--only", help="comma-separated error ids: scan only their documents (a quick look while developing)")
    parser.add_argument("--flags", type=Path, help="write every flag, with its text, here (outside the repository)")
    parser.add_argument("--declare", type=Path, help="a TOML file of declaration blocks ([[document]] repo, path, "
                        "declare = [...]) appended to those documents as a course author would (issue 88)")
    args = parser.parse_args(argv)
    declare = tomllib.loads(args.declare.read_text(encoding="utf-8")) if args.declare else None
    result = measure(args.half, args.mirror, args.copy, args.python, set(args.only.split(",")) if args.only else None,
                     args.preview, declare)
    name = {"fixed": "fixed lines flagged (false alarms)"}.get(args.copy, "flagged")
    print(f"{args.half}, {args.copy}{' (--preview)' if result['preview'] else ''}: {result['errors']} errors in "
          f"{result['documents']} documents -> in extracted lines {result['extracted']} -> decided {result['decided']} "
          f"-> {name} {result['flagged']};  flags: total {result['flags']}, on a labelled error line "
          f"{result['flags_on_error_lines']}, elsewhere {result['flags_elsewhere']};  errors {result['error_flags']} "
          f"(found as an error {result['found_as_error']}), questions {result['question_flags']};  rules {result['flag_rules']};  "
          f"{result['seconds']} s ({result['cpu_seconds']} s CPU) {result['problem']}")
    if result["drift"] or result["unplaced"]:
        print(f"  drift (hash differs): {result['drift']}; not placed in the scanned text: {result['unplaced']}")
    for key in ("context", "kind", "check"):
        table = defaultdict(lambda: [0, 0, 0, 0])
        for r in result["rows"]:
            cell = table[r[key]]
            cell[0] += 1
            cell[1] += r["extracted"]
            cell[2] += r["decided"]
            cell[3] += r["flagged"]
        if key != "check":
            print(f"  by {key}: " + "; ".join(f"{k} {v[0]}/{v[1]}/{v[2]}/{v[3]}" for k, v in sorted(table.items())))
    if args.json:
        args.json.write_text(json.dumps({k: v for k, v in result.items() if k != "flag_list"}
                                        | {"flag_list": [{k: v for k, v in f.items() if k != "text"}
                                                         for f in result["flag_list"]]}, indent=1), encoding="utf-8")
    if args.flags:
        args.flags.write_text(json.dumps(result["flag_list"], indent=1, ensure_ascii=False), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
