r"""Formula fixes mined from the histories of the scan corpus's repositories (issue 80, item 5).

For every repository of ``benchmarks/scan_corpus/split.toml`` (and of ``benchmarks/real_errors/extra.toml``,
the issue's extra repositories, when a half needs them), read from the bare git directory the ``fetch``
tool made (``--mirror``, default ``/work/.mirror``), this walks ``git log -p`` over the history reachable
from the pinned commit, on the lecture files (the extensions split.toml gives the repository), and keeps
the commits whose diff changes a line inside math (``$…$``, ``$$…$$``, ``\[…\]``, ``\(…\)``, the
equation/align/gather/multline/eqnarray environments, a Distill page's ``<d-math>``/``<dt-math>``, as the
old file reads them). Removed and added
lines of one hunk are paired by similarity (``difflib``); a pair is a candidate when its old line is in
math, the two differ outside white space, and the edit is small against the line (a rewrite of a
paragraph is not a fix of a formula). Each candidate: repository, half, buggy commit (the parent),
fixed commit, path, line number at the buggy commit, the commit message's hint (fix, typo, correct,
wrong, …, or none), and -- for the reader only -- the two lines and the message.

Candidates hold other people's text: they are written OUTSIDE the repository.

    python benchmarks/mine_formula_fixes.py --out /work/measure/real_errors/candidates.jsonl
    python benchmarks/mine_formula_fixes.py --extra --out /work/measure/real_errors/candidates-extra.jsonl

The kept ones, read and labelled by hand, are ``benchmarks/real_errors/labels.toml`` (coordinates,
hashes and labels; no text). ``line_hash`` gives the 12-hex SHA-1 of a line with its white space removed,
the labels' drift check.
"""

from __future__ import annotations

import argparse
import difflib
import hashlib
import json
import re
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
import scan_corpus  # noqa: E402

EXTRA = ROOT / "benchmarks" / "real_errors" / "extra.toml"
HINT = re.compile(r"\b(fix\w*|typo\w*|correct\w*|wrong|error\w*|mistake\w*|erratum|errata|bug\w*|sign|missing|"
                  r"oops|thanks?|incorrect|should be)\b", re.IGNORECASE)
DISPLAY_ENVS = r"equation|align|aligned|gather|multline|eqnarray|split|displaymath|math|alignat|flalign"
BEGIN_ENV = re.compile(r"\\begin\{(" + DISPLAY_ENVS + r")\*?\}")
END_ENV = re.compile(r"\\end\{(" + DISPLAY_ENVS + r")\*?\}")
INLINE = re.compile(r"(?<!\\)\$[^$]+(?<!\\)\$|\\\(.+?\\\)|<d-math|<dt-math")
MIN_SIMILARITY = 0.55   # a removed and an added line are one edited line above this difflib ratio
MAX_RUN = 12            # runs of more removed or added lines are rewrites, not fixes
MAX_CHANGED = 0.5       # and the edit touches at most this share of the longer line's characters


def line_hash(text: str) -> str:
    """12 hex digits of the SHA-1 of ``text`` with its white space removed (the labels' drift check)."""
    return hashlib.sha1(re.sub(r"\s+", "", text).encode("utf-8")).hexdigest()[:12]


def git(git_dir: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(git_dir), *args], capture_output=True, check=True).stdout.decode(
        "utf-8", errors="replace")


def math_lines(text: str) -> list[bool]:
    """For each line of ``text``: does it hold math? Inside a ``$$`` or ``\\[`` block or a display
    environment, or an inline ``$…$`` / ``\\(…\\)`` on the line. A notebook's or JSON-quoted line is
    read the same (its backslashes doubled: ``\\\\[`` is ``\\[``)."""
    marks, block = [], False
    for raw in text.split("\n"):
        line = raw.replace("\\\\", "\\")
        here = block
        dollars = len(re.findall(r"(?<!\\)\$\$", line))
        opens = len(re.findall(r"\\\[", line)) + len(BEGIN_ENV.findall(line))
        closes = len(re.findall(r"\\\]", line)) + len(END_ENV.findall(line))
        if dollars or opens or closes or INLINE.search(line):
            here = True
        if dollars % 2:
            block = not block
        if opens > closes:
            block = True
        elif closes > opens:
            block = False
        marks.append(here)
    return marks


def hint_of(message: str) -> str:
    found = sorted({m.group(1).lower() for m in HINT.finditer(message)})
    return ",".join(found) if found else "none"


def changed_share(old: str, new: str) -> float:
    """The share of the longer line's characters an edit from ``old`` to ``new`` touches."""
    matcher = difflib.SequenceMatcher(None, old, new)
    same = sum(block.size for block in matcher.get_matching_blocks())
    return 1 - same / max(len(old), len(new), 1)


def pairs(removed: list[tuple[int, str]], added: list[str]) -> list[tuple[int, str, str]]:
    """Removed lines (number at the old commit, text) paired in order with similar added lines."""
    out, start = [], 0
    for number, old in removed:
        best, best_ratio = None, MIN_SIMILARITY
        for j in range(start, len(added)):
            matcher = difflib.SequenceMatcher(None, old.strip(), added[j].strip())
            if matcher.real_quick_ratio() <= best_ratio or matcher.quick_ratio() <= best_ratio:
                continue
            ratio = matcher.ratio()
            if ratio > best_ratio:
                best, best_ratio = j, ratio
        if best is not None:
            out.append((number, old, added[best]))
            start = best + 1
    return out


HUNK = re.compile(r"^@@ -(\d+)(?:,\d+)? \+(\d+)(?:,\d+)? @@")


def file_diffs(patch: str):
    """(old path, new path, hunks) of one commit's ``git show -p`` text; a hunk: list of (old line
    number or None, sign, text)."""
    path_old = path_new = None
    hunks: list = []
    hunk = None
    old_no = 0
    for line in patch.split("\n"):
        if line.startswith("diff --git "):
            if path_old is not None:
                yield path_old, path_new, hunks
            path_old = path_new = None
            hunks, hunk = [], None
        elif line.startswith("--- "):
            path_old = line[4:].removeprefix("a/") if line[4:] != "/dev/null" else None
        elif line.startswith("+++ "):
            path_new = line[4:].removeprefix("b/") if line[4:] != "/dev/null" else None
        elif (m := HUNK.match(line)):
            hunk = []
            hunks.append(hunk)
            old_no = int(m.group(1))
        elif hunk is not None and line[:1] in (" ", "-", "+"):
            if line[0] == "+":
                hunk.append((None, "+", line[1:]))
            else:
                hunk.append((old_no, line[0], line[1:]))
                old_no += 1
    if path_old is not None:
        yield path_old, path_new, hunks


def runs(hunk: list) -> list[tuple[list[tuple[int, str]], list[str]]]:
    """The change runs of a hunk: consecutive removed lines and the added lines after them."""
    out, removed, added = [], [], []
    for number, sign, text in hunk + [(None, " ", "")]:
        if sign == "-":
            if added:
                out.append((removed, added))
                removed, added = [], []
            removed.append((number, text))
        elif sign == "+":
            added.append(text)
        else:
            if removed and added:
                out.append((removed, added))
            removed, added = [], []
    return out


def mine(repo: dict, mirror: Path, extensions: list[str]) -> list[dict]:
    git_dir = scan_corpus.git_dir_of(repo, mirror)
    commits = git(git_dir, "rev-list", "--no-merges", "--parents", repo["commit"]).split("\n")
    out = []
    for row in commits:
        parts = row.split()
        if len(parts) != 2:   # the root commit (no parent) or a merge
            continue
        fixed, buggy = parts
        try:
            patch = git(git_dir, "show", "--format=", "-p", "-U0", "--no-color", "--no-renames", fixed, "--",
                        *(f"*.{ext}" for ext in extensions))
            message = git(git_dir, "log", "-1", "--format=%B", fixed).strip()
        except subprocess.CalledProcessError:   # a blob the snapshot lacks
            continue
        for path_old, path_new, hunks in file_diffs(patch):
            if not path_old or path_old != path_new or path_old.rsplit(".", 1)[-1].lower() not in extensions:
                continue
            if repo.get("paths") and not any(scan_corpus._matches(path_old, p) for p in repo["paths"]):
                continue
            if any(scan_corpus._matches(path_old, p) for p in repo.get("exclude", ())):
                continue
            try:
                old_text = git(git_dir, "show", f"{buggy}:{path_old}")
            except subprocess.CalledProcessError:
                continue
            marks = math_lines(old_text)
            for hunk in hunks:
                for removed, added in runs(hunk):
                    if len(removed) > MAX_RUN or len(added) > MAX_RUN:   # a rewritten passage, not a fixed formula
                        continue
                    for number, old, new in pairs(removed, added):
                        if re.sub(r"\s+", "", old) == re.sub(r"\s+", "", new):
                            continue
                        if not (0 < number <= len(marks) and marks[number - 1]):
                            continue
                        share = changed_share(old.strip(), new.strip())
                        if share > MAX_CHANGED:
                            continue
                        out.append({"repo": repo["name"], "half": repo["half"], "buggy": buggy, "fixed": fixed,
                                    "path": path_old, "line": number, "hint": hint_of(message),
                                    "changed": round(share, 3), "hash": line_hash(old),
                                    "old": old, "new": new, "message": message[:300]})
    return out


def extra_repositories() -> list[dict]:
    if not EXTRA.exists():
        return []
    extra = tomllib.loads(EXTRA.read_text(encoding="utf-8"))
    return [{"extensions": extra["extensions"], **repo} for repo in extra["repo"]]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mirror", type=Path, default=Path("/work/.mirror"))
    parser.add_argument("--out", type=Path, required=True, help="candidates, one JSON line each (outside the repository)")
    parser.add_argument("--extra", action="store_true", help="mine the extra repositories (real_errors/extra.toml) instead")
    parser.add_argument("--repo", action="append", help="only these repositories (owner/name)")
    args = parser.parse_args(argv)
    config = scan_corpus.split()
    repos = extra_repositories() if args.extra else config["repo"]
    if args.repo:
        repos = [r for r in repos if r["name"] in args.repo]
    if ROOT in args.out.resolve().parents:
        print("mine_formula_fixes: candidates hold other people's text; write them outside the repository",
              file=sys.stderr)
        return 2
    args.out.parent.mkdir(parents=True, exist_ok=True)
    total = 0
    with args.out.open("w", encoding="utf-8") as handle:
        for repo in repos:
            found = mine(repo, args.mirror, repo.get("extensions", config["extensions"]))
            total += len(found)
            for row in found:
                handle.write(json.dumps(row, ensure_ascii=False) + "\n")
            print(f"{repo['name']:70} {repo['half']:12} {len(found):5} candidates", flush=True)
    print(f"{total} candidates -> {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
