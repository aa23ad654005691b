"""``derivspec scan`` on lecture material by other authors: how much it checks, how much it cannot
read, and every flag for review (issues 23-25).

The material is the repositories of ``benchmarks/scan_corpus/split.toml``, read at run time from
bare git directories made by the ``fetch`` tool (``--mirror``, default ``/work/.mirror``) at the
pinned commits; nothing of their text is written into this repository. Each repository's
Markdown, LaTeX and text files are copied to a temporary folder (with its ``.sty`` packages beside
them, read by the documents that load them, never scanned themselves) and scanned as a user would
(``python -m derivspec scan FILES --json``, one process per repository, two workers).

    python benchmarks/scan_corpus.py --half development              # the table, and flags.json for review
    python benchmarks/scan_corpus.py --half heldout --json OUT.json  # only to measure (see split.toml)
    python benchmarks/scan_corpus.py --half development --one-process  # 426 documents, one process: the time

Per half: documents, statements found, statements checked (proved or flagged) and their share,
the statements that hold on instances (evidence, not proof; counted apart from "checked"), the share
left unchecked as "not read", flags, and wall time. ``--flags FILE`` writes every flag
(file, lines, text, reason, evidence) for the hand review listed in docs/scan.md.

``--statements FILE`` writes every statement as a JSON line (repository, the file's path in it,
lines, a hash of its text, class, verdict, evidence level, reason; the text too, for the labelling
worksheet of ``scan_corpus_labels.py`` -- keep such files outside the repository).
``--renamed`` scans the half with its letters renamed inside math (``rename_letters.py``, the
metamorphic gate of issue 42): the figures of the renamed copy, to report beside the original's.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import subprocess
import sys
import tempfile
import time
import tomllib
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))
import rename_letters  # noqa: E402
from derivspec.scan.records import evidence_level, reason_group  # noqa: E402  the summary's grouping of unchecked reasons

SPLIT = ROOT / "benchmarks" / "scan_corpus" / "split.toml"
REPOSITORY_TIMEOUT = 1200  # seconds per repository: a scan that hangs is reported, not waited for


def split() -> dict:
    return tomllib.loads(SPLIT.read_text(encoding="utf-8"))


def documents(git_dir: Path, commit: str, extensions: list[str]) -> list[str]:
    names = subprocess.run(["git", "-C", str(git_dir), "ls-tree", "-r", "--name-only", commit],
                           capture_output=True, text=True, check=True).stdout.splitlines()
    return [n for n in names if n.rsplit(".", 1)[-1].lower() in extensions]


def flat(name: str) -> str:
    """A repository path as one file name (its copy's name; ``original`` reverses it)."""
    return name.replace("/", "__")


def copy_out(git_dir: Path, commit: str, names: list[str], folder: Path, renamed: bool = False) -> list[Path]:
    """The files at ``commit`` copied under ``folder`` (path separators flattened), and the
    repository's local packages beside them (:func:`copy_packages`); the documents' paths. With
    ``renamed``, each document's letters renamed inside math (:func:`rename_letters.rename`)."""
    paths = []
    for name in names:
        path = folder / flat(name)
        path.write_bytes(_blob(git_dir, commit, name))
        if renamed:
            rename_file(path)
        paths.append(path)
    copy_packages(git_dir, commit, folder)
    return paths


def rename_file(path: Path) -> dict[str, str]:
    """``path`` rewritten with its letters renamed inside math; the mapping (empty when not read)."""
    try:
        text = rename_letters.read_lecture(path)
    except Exception:  # not text: scan says so of both copies
        return {}
    renamed, mapping = rename_letters.rename(text, rename_letters.file_kind(path))
    path.write_text(renamed, encoding="utf-8")
    return mapping


def statement_hash(text: str) -> str:
    """12 hex digits of the SHA-256 of a statement's text with its spaces removed: a label's key."""
    return hashlib.sha256(re.sub(r"\s+", "", text).encode("utf-8")).hexdigest()[:12]


def statement_rows(repo: str, names: list[str], statements: list[dict]) -> list[dict]:
    """The statements of one repository's scan as rows for ``--statements`` (file = repository path)."""
    original = {flat(name): name for name in names}
    rows = []
    for s in statements:
        rows.append({"repo": repo, "file": original.get(s["file"], s["file"]), "lines": s["lines"],
                     "hash": statement_hash(s.get("text", "")), "class": s.get("class"), "kind": s.get("kind"),
                     "relations": len(s.get("steps") or []) or 1, "verdict": s["verdict"],
                     "level": evidence_level(s["verdict"], s.get("reason", "")),
                     "reason": (s.get("reason") or "")[:200], "text": s.get("text", "")})
    return rows


def copy_packages(git_dir: Path, commit: str, folder: Path) -> list[Path]:
    """The repository's ``.sty`` files at ``commit`` copied under ``folder``, flattened like the
    documents and under their own name where no other package has it: a document's
    ``\\usepackage{../../macros}`` finds ``macros.sty`` by name in its folder. Support files, not scanned."""
    names = documents(git_dir, commit, ["sty"])
    counts = Counter(Path(name).name for name in names)
    paths = []
    for name in names:
        blob = _blob(git_dir, commit, name)
        targets = {name.replace("/", "__")} | ({Path(name).name} if counts[Path(name).name] == 1 else set())
        for target in sorted(targets):
            (folder / target).write_bytes(blob)
            paths.append(folder / target)
    return paths


def _blob(git_dir: Path, commit: str, name: str) -> bytes:
    """The file ``name`` at ``commit``."""
    done = subprocess.run(["git", "-C", str(git_dir), "show", f"{commit}:{name}"], capture_output=True, check=True)
    return done.stdout


def scan(paths: list[Path]) -> tuple[dict | None, float, str]:
    started = time.perf_counter()
    try:
        done = subprocess.run([sys.executable, "-m", "derivspec", "scan", *map(str, paths), "--json", "--no-cache", "--jobs", "2"],
                              capture_output=True, text=True, timeout=REPOSITORY_TIMEOUT)
    except subprocess.TimeoutExpired:
        return None, time.perf_counter() - started, f"timed out after {REPOSITORY_TIMEOUT} s"
    seconds = time.perf_counter() - started
    try:
        return json.loads(done.stdout), seconds, ""
    except json.JSONDecodeError:
        return None, seconds, f"exit {done.returncode}: {done.stderr.strip().splitlines()[-1:] or ''}"


def measure(half: str, mirror: Path, renamed: bool = False) -> dict:
    config = split()
    rows, flags, reasons, unread, every = [], [], Counter(), Counter(), []
    for repo in config["repo"]:
        if repo["half"] != half:
            continue
        git_dir = mirror / repo["name"].replace("/", "+") / "repo"
        names = documents(git_dir, repo["commit"], config["extensions"])
        with tempfile.TemporaryDirectory() as folder:
            out, seconds, problem = (scan(copy_out(git_dir, repo["commit"], names, Path(folder), renamed)) if names
                                     else ({}, 0.0, ""))
        statements = (out or {}).get("statements", [])
        every += statement_rows(repo["name"], names, statements)
        checked = [s for s in statements if s["verdict"] in ("proved", "disagrees")]
        groups = Counter(reason_group(s.get("reason", "")) for s in statements if s["verdict"] == "unchecked")
        reasons.update(groups)
        unread.update(_unread_detail(s.get("reason", "")) for s in statements
                      if s["verdict"] == "unchecked" and reason_group(s.get("reason", "")) == "not read")
        not_read = groups.get("not read", 0)
        flags += [{"repo": repo["name"], **{k: s.get(k) for k in ("file", "lines", "text", "reason", "evidence", "claim")}}
                  for s in statements if s["verdict"] == "disagrees"]
        documents_with_checks = len({s["file"] for s in checked})
        rows.append({"repo": repo["name"], "documents": len(names), "with_a_checked_statement": documents_with_checks,
                     "statements": len(statements), "checked": len(checked),
                     "proved": sum(s["verdict"] == "proved" for s in statements),
                     "flagged": sum(s["verdict"] == "disagrees" for s in statements),
                     "on_instances": groups.get("holds on instances", 0),  # evidence, not proof: counted apart
                     "not_read": not_read, "seconds": round(seconds, 1), "problem": problem,
                     "internal_errors": sum("internal error" in (s.get("reason") or "") for s in statements)})
    total = {key: sum(r[key] for r in rows) for key in ("documents", "with_a_checked_statement", "statements", "checked",
                                                         "proved", "flagged", "on_instances", "not_read", "seconds",
                                                         "internal_errors")}
    total["checked_share"] = round(total["checked"] / total["statements"], 4) if total["statements"] else 0.0
    total["not_read_share"] = round(total["not_read"] / total["statements"], 4) if total["statements"] else 0.0
    return {"half": half, "renamed": renamed, "repositories": rows, "total": total, "flags": flags, "statements": every,
            "unchecked_reasons": dict(reasons.most_common(15)), "not_read_detail": dict(unread.most_common(40))}


def _unread_detail(reason: str) -> str:
    """What could not be read, without the statement's own text: for the table of what to read next."""
    detail = reason.split("not read: ", 1)[-1]
    return re.sub(r"'[^']{25,}'|\\[A-Za-z]+\{[^{}]{25,}\}", "…", detail)[:90]  # short tokens kept: they say what to read


def one_process(half: str, mirror: Path, shared: Path) -> dict:
    """Every document of ``half`` plus the seeds and the d2l chapters in ../shared, scanned by one
    ``derivspec scan`` process with two workers: the throughput target (425 documents, <= 5 min)."""
    config = split()
    with tempfile.TemporaryDirectory() as folder:
        paths: list[Path] = []
        for repo in config["repo"]:
            if repo["half"] != half:
                continue
            git_dir = mirror / repo["name"].replace("/", "+") / "repo"
            target = Path(folder) / repo["name"].replace("/", "+")
            target.mkdir()
            paths += copy_out(git_dir, repo["commit"], documents(git_dir, repo["commit"], config["extensions"]), target)
        paths += sorted((shared / "seeds").glob("*.txt")) + sorted((shared / "corpus" / "d2l").glob("*.md"))
        started = time.perf_counter()
        done = subprocess.run([sys.executable, "-m", "derivspec", "scan", *map(str, paths), "--json", "--no-cache", "--jobs", "2"],
                              capture_output=True, text=True, timeout=REPOSITORY_TIMEOUT)
        seconds = time.perf_counter() - started
    statements = json.loads(done.stdout).get("statements", []) if done.stdout.strip() else []
    return {"documents": len(paths), "statements": len(statements), "seconds": round(seconds, 1), "exit": done.returncode}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--half", choices=("development", "heldout"), required=True)
    parser.add_argument("--mirror", type=Path, default=Path("/work/.mirror"))
    parser.add_argument("--json", type=Path, help="write the whole measurement here")
    parser.add_argument("--flags", type=Path, help="write every flag here, for review")
    parser.add_argument("--statements", type=Path, help="write every statement here, one JSON line each")
    parser.add_argument("--renamed", action="store_true", help="scan the half with its letters renamed inside math")
    parser.add_argument("--one-process", action="store_true",
                        help="time one scan process over the half, the seeds and the d2l chapters (throughput)")
    args = parser.parse_args(argv)
    if args.one_process:
        timing = one_process(args.half, args.mirror, ROOT.parent / "shared")
        print(f"one process, 2 workers: {timing['documents']} documents, {timing['statements']} statements, "
              f"{timing['seconds']} s (exit {timing['exit']})")
        return 0
    result = measure(args.half, args.mirror, args.renamed)
    for r in result["repositories"]:
        print(f"{r['repo']:40} docs {r['documents']:4}  statements {r['statements']:6}  checked {r['checked']:5}  "
              f"flagged {r['flagged']:4}  not read {r['not_read']:5}  {r['seconds']:7.1f} s  {r['problem']}")
    t = result["total"]
    print(f"{args.half}{' (renamed)' if args.renamed else ''}: {t['documents']} documents ({t['with_a_checked_statement']} with a checked statement), "
          f"{t['statements']} statements, {t['checked']} checked ({100 * t['checked_share']:.1f} %), "
          f"{t['proved']} proved, {t['flagged']} flagged, {t['on_instances']} more holding on instances, not read {100 * t['not_read_share']:.1f} %, "
          f"{t['internal_errors']} internal errors, {t['seconds']:.0f} s")
    if args.statements:
        args.statements.write_text("".join(json.dumps(row, ensure_ascii=False) + "\n" for row in result["statements"]),
                                   encoding="utf-8")
    if args.json:
        args.json.write_text(json.dumps({k: v for k, v in result.items() if k != "statements"}, indent=1,
                                        ensure_ascii=False), encoding="utf-8")
    if args.flags:
        args.flags.write_text(json.dumps(result["flags"], indent=1, ensure_ascii=False), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
