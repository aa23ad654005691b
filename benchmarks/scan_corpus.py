r"""``derivspec scan`` on lecture material by other authors: how much it checks, how much it cannot
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
metamorphic gate of issues 42 and 57): the figures of the renamed copy, to report beside the original's;
``--respaced`` the same math re-spaced (``respace_math.py``, issue 58). ``--part old|new`` restricts a
half to the repositories split before issue 57 or to the four it added (``added = "issue 57"``).

A repository of split.toml may carry, decided before it was measured: ``extensions`` (its own list,
replacing the global one: the notebook repositories add ``ipynb``, so the old part's figures do not
move), ``paths`` and ``exclude`` (globs of repository paths, ``*`` within one folder; a pattern ending
in ``/`` is a folder), and ``html`` among its extensions: an HTML page is read as the text a reader
sees (:func:`html_text`, the scan's own reading of a page: tags and scripts removed, entities decoded,
MathJax's and Distill's math as Markdown math, every line where it was) and scanned as Markdown. A
notebook is scanned as a notebook; its records (``cell``, lines within the cell) are given the lines of
its Markdown cells joined as ``derivspec`` reads them (:func:`derivspec.scan.extract.notebook_markdown`),
so every statement of a repository has one place (file, lines) -- the labels' and the worksheet's lines.

``DERIVSPEC_MEASURE_TREE``: a source tree whose ``derivspec`` the measurement tools import (the
extraction that finds math for the renaming, the reason groups), instead of this one: set it to a
baseline's worktree, so copies and labels do not move while the scanner under test changes. ``PYTHON``:
the interpreter that runs ``derivspec scan``.
"""

from __future__ import annotations

import argparse
import fnmatch
import hashlib
import json
import os
import re
import subprocess
import sys
import tempfile
import time
import tomllib
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TREE = Path(os.environ.get("DERIVSPEC_MEASURE_TREE") or ROOT)  # whose derivspec the tools import (docstring)
sys.path.insert(0, str(TREE))
sys.path.insert(0, str(ROOT / "benchmarks"))
import rename_letters  # noqa: E402
import respace_math  # noqa: E402
from derivspec.scan.extract import notebook_markdown  # noqa: E402
from derivspec.scan.records import evidence_level, reason_group  # noqa: E402  the summary's grouping of unchecked reasons

SPLIT = ROOT / "benchmarks" / "scan_corpus" / "split.toml"
REPOSITORY_TIMEOUT = 1200  # seconds per repository: a scan that hangs is reported, not waited for
NEW_PART = "issue 57"  # the `added` of the repositories issue 57 added: the halves' "new part"
PYTHON = sys.executable  # the interpreter that runs `derivspec scan` (the harness points it at another version)
PREVIEW: list[str] = []  # ["--preview"]: the preview rules run too (--preview)


def split() -> dict:
    return tomllib.loads(SPLIT.read_text(encoding="utf-8"))


def part(repo: dict) -> str:
    """``new`` for a repository issue 57 added, else ``old``."""
    return "new" if repo.get("added") == NEW_PART else "old"


def repositories(half: str, which: str = "all") -> list[dict]:
    """The repositories of ``half`` in split.toml order, of one part (``old``, ``new``) or ``all``."""
    return [repo for repo in split()["repo"] if repo["half"] == half and which in ("all", part(repo))]


def git_dir_of(repo: dict, mirror: Path) -> Path:
    return mirror / repo["name"].replace("/", "+") / "repo"


def _matches(name: str, pattern: str) -> bool:
    """A repository path against a glob whose ``*`` stays within one folder; ``folder/`` is a prefix."""
    if pattern.endswith("/"):
        return name.startswith(pattern)
    parts, wanted = name.split("/"), pattern.split("/")
    return len(parts) == len(wanted) and all(fnmatch.fnmatchcase(a, b) for a, b in zip(parts, wanted))


def documents(git_dir: Path, commit: str, extensions: list[str], paths: list[str] | None = None,
              exclude: list[str] | None = None) -> list[str]:
    """The repository paths at ``commit`` with one of ``extensions``, inside ``paths`` (all when not
    given) and outside ``exclude``."""
    names = subprocess.run(["git", "-C", str(git_dir), "ls-tree", "-r", "--name-only", commit],
                           capture_output=True, text=True, check=True).stdout.splitlines()
    chosen = [n for n in names if n.rsplit(".", 1)[-1].lower() in extensions
              and (not paths or any(_matches(n, p) for p in paths)) and not any(_matches(n, p) for p in exclude or ())]
    absent = set(absent_blobs(git_dir, commit, chosen))
    return [n for n in chosen if n not in absent]


def absent_blobs(git_dir: Path, commit: str, names: list[str]) -> list[str]:
    """The files of ``names`` whose content the mirror lacks (a snapshot may list its largest files
    without them): skipped by :func:`documents`, counted by ``measure``."""
    if not names:
        return []
    done = subprocess.run(["git", "-C", str(git_dir), "cat-file", "--batch-check"], capture_output=True, text=True,
                          input="".join(f"{commit}:{name}\n" for name in names))
    return [name for name, line in zip(names, done.stdout.splitlines()) if line.endswith(" missing")]


def repo_documents(repo: dict, mirror: Path, config: dict | None = None) -> list[str]:
    """The documents of one repository of split.toml: its own ``extensions``, ``paths`` and ``exclude``."""
    config = config or split()
    return documents(git_dir_of(repo, mirror), repo["commit"], repo.get("extensions", config["extensions"]),
                     repo.get("paths"), repo.get("exclude"))


def flat(name: str) -> str:
    """A repository path as one file name (its copy's name; ``original`` reverses it)."""
    return name.replace("/", "__")


def is_html(name: str) -> bool:
    return name.lower().endswith((".html", ".htm"))


def is_notebook(name: str) -> bool:
    return name.lower().endswith(".ipynb")


def copy_name(name: str, notebooks_as_text: bool = False) -> str:
    """The copy's file name: :func:`flat`, with ``.md`` added where the copy is text read as Markdown
    (an HTML page; a notebook's joined Markdown cells with ``notebooks_as_text``)."""
    as_text = is_html(name) or (notebooks_as_text and is_notebook(name))
    return flat(name) + (".md" if as_text else "")


def html_text(raw: str) -> str:
    """An HTML page as ``derivspec scan page.html`` reads it (:func:`derivspec.scan.html_pages.html_text`:
    the text a reader sees, every line where it was, MathJax's and Distill's math as Markdown math),
    from the tree the measurement tools import (``DERIVSPEC_MEASURE_TREE``, ``PYTHONPATH``); a tree from
    before the scan read pages (it has no html_pages) gets this checkout's reading."""
    try:
        from derivspec.scan.html_pages import html_text as page_text
    except ImportError:
        import importlib.util

        spec = importlib.util.spec_from_file_location("html_pages", ROOT / "derivspec" / "scan" / "html_pages.py")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        page_text = module.html_text
    return page_text(raw)


def source_text(git_dir: Path, commit: str, name: str) -> str:
    """A document's text in the coordinates of the statements' lines: an HTML page's
    :func:`html_text`, a notebook's joined Markdown cells, any other file as it is."""
    raw = _blob(git_dir, commit, name).decode("utf-8", errors="replace")
    if is_html(name):
        return html_text(raw)
    if is_notebook(name):
        try:
            return notebook_markdown(raw, name).text
        except Exception:  # not a notebook scan reads: no statements, no lines
            return ""
    return raw


def copy_out(git_dir: Path, commit: str, names: list[str], folder: Path, renamed: bool = False,
             respaced: bool = False, notebooks_as_text: bool = False) -> list[Path]:
    """The files at ``commit`` copied under ``folder`` (:func:`copy_name`), and the repository's
    local packages beside them (:func:`copy_packages`); the documents' paths. An HTML page is copied
    as its :func:`html_text`; a notebook as it is, or as its joined Markdown cells with
    ``notebooks_as_text`` (the planted sets, which edit lines of that text). With ``renamed``, each
    document's letters renamed inside math (:func:`rename_letters.rename`); with ``respaced``, its
    math re-spaced (:func:`respace_math.respace`)."""
    paths = []
    for name in names:
        path = folder / copy_name(name, notebooks_as_text)
        if is_html(name) or (notebooks_as_text and is_notebook(name)):
            path.write_text(source_text(git_dir, commit, name), encoding="utf-8")
        else:
            path.write_bytes(_blob(git_dir, commit, name))
        if renamed:
            rename_file(path)
        if respaced:
            respace_file(path)
        paths.append(path)
    copy_packages(git_dir, commit, folder)
    return paths


def rename_file(path: Path, seed: int = rename_letters.SEED) -> dict[str, str]:
    """``path`` rewritten with its letters renamed inside math (a notebook: its Markdown cells, one
    renaming for the whole notebook); the mapping (empty when not read)."""
    return rename_letters.rename_path(path, path, seed=seed)


def respace_file(path: Path) -> int:
    """``path`` rewritten with its math re-spaced; the number of edits (0 when not read)."""
    return respace_math.respace_path(path, path)


def notebook_cells(path: Path) -> tuple:
    """The Markdown cells of the notebook at ``path`` as ``derivspec`` joins them: (cell, first
    line in the joined text, number of lines); empty when it is not a notebook scan reads."""
    try:
        return notebook_markdown(path.read_text(encoding="utf-8", errors="replace"), path).cells
    except Exception:
        return ()


def joined_lines(lines: list[int], cell: int | None, cells: tuple) -> list[int]:
    """A notebook record's lines (within its ``cell``) as lines of the joined Markdown text."""
    if cell is None:
        return list(lines)
    for number, first, _ in cells:
        if number == cell:
            return [first + lines[0] - 1, first + lines[1] - 1]
    return list(lines)


def statement_hash(text: str) -> str:
    """12 hex digits of the SHA-256 of a statement's text with its spaces removed: a label's key."""
    return hashlib.sha256(re.sub(r"\s+", "", text).encode("utf-8")).hexdigest()[:12]


def statement_rows(repo: str, names: list[str], statements: list[dict], cells: dict | None = None) -> list[dict]:
    """The statements of one repository's scan as rows for ``--statements`` (file = repository path;
    a notebook's lines in its joined Markdown text, by ``cells``: copy name -> :func:`notebook_cells`;
    the evidence level as the record gives it, else as ``records.evidence_level`` reads its reason)."""
    original = {copy_name(name, as_text): name for name in names for as_text in (False, True)}
    rows = []
    for s in statements:
        lines = joined_lines(s["lines"], s.get("cell"), (cells or {}).get(s["file"], ()))
        rows.append({"repo": repo, "file": original.get(s["file"], s["file"]), "lines": lines,
                     "hash": statement_hash(s.get("text", "")), "class": s.get("class"), "kind": s.get("kind"),
                     "relations": len(s.get("steps") or []) or 1, "verdict": s["verdict"],
                     "level": s.get("evidence_level") or evidence_level(s["verdict"], s.get("reason", "")),
                     "reason": (s.get("reason") or "")[:200], "text": s.get("text", ""),
                     **({"cell": s["cell"]} if s.get("cell") is not None else {})})
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


def neutral_folder(paths: list[Path]) -> str:
    """Where ``derivspec scan`` runs: the copies' folder, so that ``python -m derivspec`` of another
    version's venv never imports this checkout's package from the working directory, and no settings
    file of this repository applies."""
    return str(Path(paths[0]).resolve().parent) if paths else tempfile.gettempdir()


def scan(paths: list[Path]) -> tuple[dict | None, float, str]:
    started = time.perf_counter()
    try:
        done = subprocess.run([PYTHON, "-m", "derivspec", "scan", *map(str, paths), "--json", "--no-cache", "--jobs", "2", *PREVIEW],
                              capture_output=True, text=True, timeout=REPOSITORY_TIMEOUT, cwd=neutral_folder(paths))
    except subprocess.TimeoutExpired:
        return None, time.perf_counter() - started, f"timed out after {REPOSITORY_TIMEOUT} s"
    seconds = time.perf_counter() - started
    try:
        return json.loads(done.stdout), seconds, ""
    except json.JSONDecodeError:
        return None, seconds, f"exit {done.returncode}: {done.stderr.strip().splitlines()[-1:] or ''}"


def measure(half: str, mirror: Path, renamed: bool = False, respaced: bool = False, which: str = "all") -> dict:
    """The figures of one half (of its ``which`` part), its flags and every statement's row."""
    config = split()
    rows, flags, reasons, unread, every = [], [], Counter(), Counter(), []
    for repo in repositories(half, which):
        git_dir = git_dir_of(repo, mirror)
        names = repo_documents(repo, mirror, config)
        with tempfile.TemporaryDirectory() as folder:
            paths = copy_out(git_dir, repo["commit"], names, Path(folder), renamed, respaced) if names else []
            out, seconds, problem = scan(paths) if names else ({}, 0.0, "")
            cells = {path.name: notebook_cells(path) for path in paths if is_notebook(path.name)}
        statements = (out or {}).get("statements", [])
        every += statement_rows(repo["name"], names, statements, cells)
        checked = [s for s in statements if s["verdict"] in ("proved", "disagrees")]
        groups = Counter(reason_group(s.get("reason", "")) for s in statements if s["verdict"] == "unchecked")
        reasons.update(groups)
        unread.update(_unread_detail(s.get("reason", "")) for s in statements
                      if s["verdict"] == "unchecked" and reason_group(s.get("reason", "")) == "not read")
        not_read = groups.get("not read", 0)
        flags += [{"repo": repo["name"], **{k: s.get(k) for k in ("file", "lines", "text", "reason", "evidence", "claim", "rule")}}
                  for s in statements if s["verdict"] == "disagrees"]
        documents_with_checks = len({s["file"] for s in checked})
        rows.append({"repo": repo["name"], "part": part(repo), "documents": len(names), "with_a_checked_statement": documents_with_checks,
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
    return {"half": half, "part": which, "renamed": renamed, "respaced": respaced, "repositories": rows, "total": total,
            "flags": flags, "statements": every,
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
        for repo in repositories(half):
            target = Path(folder) / repo["name"].replace("/", "+")
            target.mkdir()
            paths += copy_out(git_dir_of(repo, mirror), repo["commit"], repo_documents(repo, mirror, config), target)
        paths += sorted((shared / "seeds").glob("*.txt")) + sorted((shared / "corpus" / "d2l").glob("*.md"))
        started = time.perf_counter()
        done = subprocess.run([PYTHON, "-m", "derivspec", "scan", *map(str, paths), "--json", "--no-cache", "--jobs", "2", *PREVIEW],
                              capture_output=True, text=True, timeout=REPOSITORY_TIMEOUT, cwd=neutral_folder(paths))
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
    parser.add_argument("--preview", action="store_true", help="run the preview rules too (scan --preview)")
    parser.add_argument("--respaced", action="store_true", help="scan the half with its math re-spaced")
    parser.add_argument("--part", choices=("all", "old", "new"), default="all",
                        help="the repositories split before issue 57 (old), the four it added (new), or all")
    parser.add_argument("--python", help="the interpreter that runs derivspec scan (another version's venv); "
                        "default: this one")
    parser.add_argument("--one-process", action="store_true",
                        help="time one scan process over the half, the seeds and the d2l chapters (throughput)")
    args = parser.parse_args(argv)
    global PYTHON
    if args.python:
        if not Path(args.python).is_file():
            print(f"scan_corpus: {args.python} not found", file=sys.stderr)
            return 2
        PYTHON = args.python
    if args.preview:
        PREVIEW[:] = ["--preview"]
    if args.one_process:
        timing = one_process(args.half, args.mirror, ROOT.parent / "shared")
        print(f"one process, 2 workers: {timing['documents']} documents, {timing['statements']} statements, "
              f"{timing['seconds']} s (exit {timing['exit']})")
        return 0
    if not args.mirror.is_dir():
        print(f"scan_corpus: {args.mirror} not found (fetch the repositories of split.toml)", file=sys.stderr)
        return 2
    result = measure(args.half, args.mirror, args.renamed, args.respaced, args.part)
    for r in result["repositories"]:
        print(f"{r['repo']:40} docs {r['documents']:4}  statements {r['statements']:6}  checked {r['checked']:5}  "
              f"flagged {r['flagged']:4}  not read {r['not_read']:5}  {r['seconds']:7.1f} s  {r['problem']}")
    t = result["total"]
    copy = " (renamed)" if args.renamed else ""
    copy += " (re-spaced)" if args.respaced else ""
    print(f"{args.half}{'' if args.part == 'all' else ', ' + args.part + ' part'}{copy}: {t['documents']} documents ({t['with_a_checked_statement']} with a checked statement), "
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
