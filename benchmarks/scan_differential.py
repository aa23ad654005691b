"""Two versions of ``derivspec scan`` side by side, record by record (issue 57, build item 7; issue 58,
"Differential switch-over").

A version is a commit of this repository -- checked out with ``git worktree add`` under
``/work/measure/wt-<commit>`` and installed with ``--no-deps`` into its own venv
``/work/measure/venv-<commit>`` with the light core's dependencies (sympy, mpmath, rich: what ``scan``
imports), pinned to the versions of this checkout's venv -- or ``worktree``: this checkout as it is,
run by this interpreter. A suffix ``+new`` (``worktree+new``, ``<commit>+new``) runs that version's
scans with ``DERIVSPEC_SCAN_MIDDLE=new`` (the new middle, derivspec.scan.middle; without it the scans run
with ``old``), labelled ``worktree+new`` or ``<commit>+new``, its results and reuse folder apart from the
same code's ``old`` middle. Both versions scan the same copies, built once per set:

    original   each half of benchmarks/scan_corpus/split.toml as it is (scan_corpus.copy_out)
    renamed    the same with every document's letters permuted inside math (rename_letters.py)
    respaced   the same math re-spaced (respace_math.py)
    planted    one error planted into each labelled checkable statement (scan_corpus_planted.plant_and_scan,
               with the notebooks' Markdown cells as text, whose lines the plants edit)
    manifests  the planted manifests on the seeds (scan_planted.py, run under each version's interpreter)

For every set it prints, per version: records, records changed (``verdict`` or ``evidence_level``
differs from the other version's), labelled checkable statements judged (proved, holds on instances or
flagged; scan_corpus_labels.coverage), flags -- each for the old part and the new part of the half
(the repositories issue 57 added) -- and planted errors found standalone and in chains. When two
versions are compared, each original, renamed or re-spaced set also gives, per part, "decided alike": of
the first version's records with a decided evidence level (proved, holds on instances or flagged), those
with the same ``verdict`` and ``evidence_level`` in the second. Every changed
record goes to ``OUT/changes/<half>.<set>.jsonl`` (file, lines, old and new verdict, level and reason,
the text): other people's text, so ``OUT`` stays outside the repository (default under /work/measure).
Every version's statements go to ``OUT/<version>/<half>.<set>.jsonl`` (``scan_corpus.py --statements``
rows), the figures to ``OUT/summary.json``; ``--reuse DIR`` takes a commit's statements from an
earlier run's folder instead of scanning again (the copies do not change: see below).

Every scan runs with ``DERIVSPEC_TIME_SCALE`` = ``--time-scale`` (default 4): the scanner's time limits
are wall-clock, so on a loaded machine statements run out of time that would not on an idle one, and two
versions scanned at different loads would differ by that alone; the figures say how many records ran out
of time all the same ("out of time").

The measurement tools import ``derivspec`` (the math extraction the renaming uses, the notebooks'
cells) from ``--tools`` (default: the first version's worktree when it is a commit), so the copies
and the labels' lines do not move while the scanner under test changes (``DERIVSPEC_MEASURE_TREE``,
scan_corpus.py).

    python benchmarks/scan_differential.py --version 788c271 --out /work/measure/baseline          # one version
    python benchmarks/scan_differential.py --version 788c271 --version worktree --half development \\
        --reuse /work/measure/baseline --out /work/measure/diff-now                                 # two, diffed
    python benchmarks/scan_differential.py ... --sets original renamed                            # some sets only
    python benchmarks/scan_differential.py --version worktree --version worktree+new --half development \\
        --sets original --out /work/measure/middle                                                 # old middle, new

Scans run one at a time (each ``derivspec scan --jobs 2``).
"""

from __future__ import annotations

import argparse
import importlib.metadata
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MEASURE = Path("/work/measure")
SETS = ("original", "renamed", "respaced", "planted", "manifests")
HALVES = ("development", "heldout")
LIGHT_CORE = ("sympy", "mpmath", "rich", "markdown-it-py", "mdurl", "pygments")  # scan's imports and rich's own
MANIFESTS = ("manifest.json", "heldout.json", "heldout2.json", "heldout3.json")
ONLY: set[str] = set()  # --only: the repositories to measure (all when empty), for a quick run
MIDDLE = "DERIVSPEC_SCAN_MIDDLE"  # the scanner's middle: "old" or "new" (a version's "+new" suffix)
DECIDED = ("proved", "holds on instances", "disagrees")  # the evidence levels "decided alike" counts


def repositories(half: str) -> list[dict]:
    return [r for r in scan_corpus.repositories(half) if not ONLY or r["name"] in ONLY]


class Version:
    """One scanner: ``label`` (a short commit or ``worktree``, with ``+new`` for the new middle), its
    interpreter, the tree it was built from, ``package_tree``: where its ``derivspec`` package is
    importable from, and ``middle``: its scans' DERIVSPEC_SCAN_MIDDLE."""

    def __init__(self, spec: str, measure: Path = MEASURE):
        spec, suffix = spec.removesuffix("+new"), "+new" if spec.endswith("+new") else ""
        self.middle = "new" if suffix else "old"
        if spec == "worktree":
            self.label, self.commit = "worktree" + suffix, None
            self.python, self.tree, self.package_tree = Path(sys.executable), ROOT, ROOT
            return
        done = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--verify", "--quiet", f"{spec}^{{commit}}"],
                              capture_output=True, text=True)
        if done.returncode != 0:
            raise SystemExit(f"scan_differential: {spec!r} is neither a commit of this repository nor 'worktree'")
        self.commit = done.stdout.strip()
        self.label = self.commit[:7] + suffix
        self.tree = measure / f"wt-{self.commit[:7]}"
        self.venv = measure / f"venv-{self.commit[:7]}"
        self.python = self.venv / "bin" / "python"
        self.package_tree = None  # set by prepare(): the venv's site-packages

    def prepare(self) -> None:
        """The worktree and the venv of a commit, made when missing (``git worktree add --detach``;
        ``pip install --no-deps`` of the worktree, then the light core pinned to this venv's versions)."""
        if self.commit is None:
            self._has_middle()
            return
        if not (self.tree / ".git").exists():
            run(["git", "-C", str(ROOT), "worktree", "add", "--detach", str(self.tree), self.commit])
        self._has_middle()
        if not self.python.is_file():
            base = Path(getattr(sys, "_base_executable", sys.executable))
            run([str(base), "-m", "venv", str(self.venv)])
            run([str(self.python), "-m", "pip", "install", "-q", "--no-deps", str(self.tree)])
            pins = [f"{name}=={importlib.metadata.version(name)}" for name in LIGHT_CORE if _installed(name)]
            run([str(self.python), "-m", "pip", "install", "-q", *pins])
        site = subprocess.run([str(self.python), "-c", "import derivspec, pathlib; "
                               "print(pathlib.Path(derivspec.__file__).parents[1])"],
                              capture_output=True, text=True, cwd=tempfile.gettempdir())
        if site.returncode != 0:
            raise SystemExit(f"scan_differential: {self.venv} cannot import derivspec: {site.stderr.strip()[-200:]}")
        self.package_tree = Path(site.stdout.strip())

    def _has_middle(self) -> None:
        """A ``+new`` version's tree must read the setting: an older one would scan its only middle."""
        if self.middle == "new" and not any(MIDDLE in p.read_text(encoding="utf-8")
                                            for p in (self.tree / "derivspec" / "scan").glob("*.py")):
            raise SystemExit(f"scan_differential: {self.label}: its scanner has no {MIDDLE} setting")

    def use(self) -> None:
        """The scans that follow run this version (scan_corpus.scan's subprocess inherits the environment)."""
        scan_corpus.PYTHON = str(self.python)
        os.environ[MIDDLE] = self.middle


def _installed(name: str) -> bool:
    try:
        importlib.metadata.version(name)
        return True
    except importlib.metadata.PackageNotFoundError:
        return False


def run(command: list[str]) -> None:
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"scan_differential: {' '.join(command[:4])} … failed: {done.stderr.strip()[-300:]}")


# --- the sets -------------------------------------------------------------------------------------

def scan_copies(half: str, which_set: str, versions: list, mirror: Path, reuse: dict) -> dict:
    """The original, renamed or re-spaced copies of ``half``, built once, scanned by every version:
    {label: {"rows": statement rows, "seconds": wall time of its scans}}."""
    results = {v.label: {"rows": [], "seconds": 0.0} for v in versions}
    pending = [v for v in versions if v.label not in reuse]
    for v in versions:
        if v.label in reuse:
            results[v.label] = reuse[v.label]
    if not pending:
        return results
    config = scan_corpus.split()
    for repo in repositories(half):
        names = scan_corpus.repo_documents(repo, mirror, config)
        if not names:
            continue
        git_dir = scan_corpus.git_dir_of(repo, mirror)
        with tempfile.TemporaryDirectory(prefix="derivspec-diff-") as folder:
            paths = scan_corpus.copy_out(git_dir, repo["commit"], names, Path(folder),
                                         renamed=which_set == "renamed", respaced=which_set == "respaced")
            cells = {p.name: scan_corpus.notebook_cells(p) for p in paths if scan_corpus.is_notebook(p.name)}
            for v in pending:
                v.use()
                out, seconds, problem = scan_corpus.scan(paths)
                if out is None:
                    print(f"  {v.label} {repo['name']}: {problem}", file=sys.stderr)
                rows = scan_corpus.statement_rows(repo["name"], names, (out or {}).get("statements", []), cells)
                for row in rows:
                    row["part"] = scan_corpus.part(repo)
                results[v.label]["rows"] += rows
                results[v.label]["seconds"] += seconds
    return results


def planted(half: str, versions: list, mirror: Path, seed: int, reuse: dict) -> dict:
    """One error planted into each labelled checkable statement of ``half`` and scanned, per version
    (scan_corpus_planted.plant_and_scan; notebooks as their joined Markdown cells, whose lines the
    labels and the plants use): {label: {"errors": rows, "elsewhere": new flags away from the edits}}."""
    results = {}
    config = scan_corpus.split()
    for v in versions:
        if v.label in reuse:
            results[v.label] = reuse[v.label]
            continue
        v.use()
        errors, elsewhere, started = [], [], time.perf_counter()
        for repo in repositories(half):
            names = scan_corpus.repo_documents(repo, mirror, config)
            if not names:
                continue
            git_dir = scan_corpus.git_dir_of(repo, mirror)
            with tempfile.TemporaryDirectory(prefix="derivspec-planted-") as folder:
                paths = scan_corpus.copy_out(git_dir, repo["commit"], names, Path(folder), notebooks_as_text=True)
                try:
                    rows, away = scan_corpus_planted.plant_and_scan(
                        repo["name"], paths, seed,
                        lambda target, g=git_dir, c=repo["commit"]: scan_corpus.copy_packages(g, c, target),
                        lambda statements, r=repo["name"], n=names: scan_corpus_planted.labelled_targets(r, n, statements))
                except RuntimeError as error:
                    print(f"  {v.label} {repo['name']}: {error}", file=sys.stderr)
                    continue
            original = {scan_corpus.copy_name(n, True): n for n in names}
            for row in rows + away:
                row["file"] = original.get(row["file"], row["file"])
                row["part"] = scan_corpus.part(repo)
            errors += rows
            elsewhere += away
        results[v.label] = {"errors": errors, "elsewhere": elsewhere, "seconds": time.perf_counter() - started}
    return results


def manifests(versions: list, reuse: dict) -> dict:
    """The planted manifests on the seeds (scan_planted.py, in-process under each version's
    interpreter and package): {label: {manifest: result}}."""
    results = {}
    for v in versions:
        if v.label in reuse:
            results[v.label] = reuse[v.label]
            continue
        env = dict(os.environ, DERIVSPEC_MEASURE_TREE=str(v.package_tree), **{MIDDLE: v.middle})
        results[v.label] = {}
        for name in MANIFESTS:
            manifest = ROOT / "benchmarks" / "scan_planted" / name
            done = subprocess.run([str(v.python), str(ROOT / "benchmarks" / "scan_planted.py"), "--manifest", str(manifest),
                                   "--json"], capture_output=True, text=True, env=env, cwd=tempfile.gettempdir())
            try:
                results[v.label][name] = json.loads(done.stdout)
            except json.JSONDecodeError:
                print(f"  {v.label} {name}: {done.stderr.strip()[-200:]}", file=sys.stderr)
    return results


# --- comparing ------------------------------------------------------------------------------------

def keyed(rows: list[dict]) -> dict[tuple, dict]:
    """Rows by (repository, file, lines, n-th statement at those lines)."""
    seen: Counter = Counter()
    out = {}
    for row in rows:
        place = (row.get("repo", ""), row["file"], tuple(row["lines"]))
        out[place + (seen[place],)] = row
        seen[place] += 1
    return out


def changes(old: list[dict], new: list[dict]) -> list[dict]:
    """Every statement whose verdict or evidence level differs between two scans of the same copies
    (a statement only one of them found is a change too)."""
    a, b = keyed(old), keyed(new)
    out = []
    for key in sorted(set(a) | set(b), key=str):
        x, y = a.get(key), b.get(key)
        if x and y and (x["verdict"], x["level"]) == (y["verdict"], y["level"]):
            continue
        some = x or y
        out.append({"repo": key[0], "file": key[1], "lines": list(key[2]), "part": some.get("part"),
                    "old": {k: x[k] for k in ("verdict", "level", "reason")} if x else None,
                    "new": {k: y[k] for k in ("verdict", "level", "reason")} if y else None,
                    "text": some.get("text", "")[:400]})
    return out


def decided_alike(old: list[dict], new: list[dict]) -> dict:
    """Per part: the first version's records with a decided evidence level (DECIDED), and how many of
    them have the same verdict and level in the second version."""
    b = keyed(new)
    figures = {which: {"alike": 0, "decided": 0} for which in ("old", "new")}
    for key, x in keyed(old).items():
        if x["level"] in DECIDED and x.get("part") in figures:
            y = b.get(key)
            figures[x["part"]]["decided"] += 1
            figures[x["part"]]["alike"] += y is not None and (x["verdict"], x["level"]) == (y["verdict"], y["level"])
    return figures


OUT_OF_TIME = re.compile(r"time limit|time budget|timed out|^timeout$")


def carried(original: list[dict] | None, copy: list[dict]) -> list[dict]:
    """A renamed or re-spaced copy's rows with the text hash of the original's statement at the same
    place (file, lines, n-th): the labels name the original's text, and a copy's statement must be
    found as the same statement, not as another one at overlapping lines."""
    if not original:
        return copy
    hashes = {key: row["hash"] for key, row in keyed(original).items()}
    return [dict(row, hash=hashes.get(key, row["hash"])) for key, row in keyed(copy).items()]


def row_figures(half: str, rows: list[dict]) -> dict:
    """Per part: records, flags, labelled checkable statements judged (scan_corpus_labels.coverage),
    records that ran out of time."""
    figures = {}
    for which in ("old", "new"):
        part_rows = [r for r in rows if r.get("part") == which]
        cover = scan_corpus_labels.coverage(half, part_rows, which)
        figures[which] = {"records": len(part_rows), "flags": sum(r["level"] == "disagrees" for r in part_rows),
                          "out_of_time": sum(bool(OUT_OF_TIME.search(r.get("reason") or "")) for r in part_rows),
                          "judged": cover["judged"], "checkable": cover["checkable"],
                          "levels": cover["levels"], "source_errors_flagged": cover["source_errors_flagged"],
                          "source_errors": cover["source_errors"],
                          "not_checkable_judged": cover["not_checkable_judged"]}
    return figures


def planted_figures(errors: list[dict]) -> dict:
    figures = {}
    for which in ("old", "new"):
        rows = [e for e in errors if e.get("part") == which]
        figures[which] = {key: {"found": sum(e["found"] for e in group), "planted": len(group)}
                          for key, group in (("chain", [e for e in rows if e["chain"]]),
                                             ("standalone", [e for e in rows if not e["chain"]]))}
    return figures


def planted_changes(old: list[dict], new: list[dict]) -> list[dict]:
    """Planted errors found by one version and not the other, or planted by one only."""
    def key(e):
        return e["repo"], e["file"], tuple(e["lines"]), e["kind"]
    a, b = {key(e): e for e in old}, {key(e): e for e in new}
    return [{"repo": k[0], "file": k[1], "lines": list(k[2]), "kind": k[3],
             "old": a[k]["found"] if k in a else None, "new": b[k]["found"] if k in b else None,
             "old_reason": a.get(k, {}).get("reason", ""), "new_reason": b.get(k, {}).get("reason", "")}
            for k in sorted(set(a) | set(b), key=str) if (a.get(k) or {}).get("found") != (b.get(k) or {}).get("found")]


def gate(original: list[dict], copy: list[dict], moved_file: Path) -> dict:
    """Per part, scan_metamorphic.compare of a version's original and its renamed (re-spaced) copy:
    records with the same evidence level, and among those judged in either copy; the moved records
    (with their text) written to ``moved_file``."""
    figures, moved = {}, []
    for which in ("old", "new"):
        result = scan_metamorphic.compare([r for r in original if r.get("part") == which],
                                          [r for r in copy if r.get("part") == which])
        figures[which] = {k: result[k] for k in ("matched", "same_level", "judged_either", "judged_same",
                                                 "flags", "flags_renamed")}
        moved += [dict(c, part=which) for c in result["changes"]]
    write_rows(moved_file, moved)
    return figures


def _share(judged: int, checkable: int) -> str:
    return f"{judged}/{checkable}" + (f" ({100 * judged / checkable:.1f} %)" if checkable else "")


# --- the run --------------------------------------------------------------------------------------

def write_rows(path: Path, rows: list[dict]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")


def load_reuse(folder: Path | None, version, half: str, which_set: str):
    """An earlier run's results of a commit version for one set, or None."""
    if folder is None or version.commit is None:
        return None
    base = folder / version.label
    if which_set in ("original", "renamed", "respaced"):
        path = base / f"{half}.{which_set}.jsonl"
        if path.is_file():
            rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
            return {"rows": rows, "seconds": 0.0}
    else:
        path = base / (f"{half}.{which_set}.json" if which_set == "planted" else f"{which_set}.json")
        if path.is_file():
            return json.loads(path.read_text(encoding="utf-8"))
    return None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--version", action="append", required=True,
                        help="a commit or 'worktree'; once for one version's figures, twice to compare (old, new)")
    parser.add_argument("--half", choices=HALVES, action="append", help="default: both")
    parser.add_argument("--sets", nargs="+", choices=SETS, default=list(SETS))
    parser.add_argument("--out", type=Path, required=True, help="a folder outside the repository")
    parser.add_argument("--reuse", type=Path, help="an earlier run's --out: a commit's statements read from it")
    parser.add_argument("--mirror", type=Path, default=Path("/work/.mirror"))
    parser.add_argument("--tools", type=Path, help="the tree whose derivspec the tools import "
                        "(default: the first version's worktree when it is a commit)")
    parser.add_argument("--seed", type=int, default=0, help="the planted sets' seed")
    parser.add_argument("--only", nargs="+", default=[], help="only these repositories (owner/name): a quick run")
    parser.add_argument("--time-scale", type=float, default=4.0,
                        help="DERIVSPEC_TIME_SCALE for every scan (module docstring; default 4)")
    args = parser.parse_args(argv)
    ONLY.update(args.only)
    if not 0 < args.time_scale <= 1000:
        print("scan_differential: --time-scale must be in (0, 1000]", file=sys.stderr)
        return 2
    os.environ["DERIVSPEC_TIME_SCALE"] = f"{args.time_scale:g}"
    if len(args.version) > 2:
        print("scan_differential: one or two versions", file=sys.stderr)
        return 2
    if args.out.resolve().is_relative_to(ROOT):
        print("scan_differential: --out holds other people's text: keep it outside the repository", file=sys.stderr)
        return 2
    if not args.mirror.is_dir():
        print(f"scan_differential: {args.mirror} not found (fetch the repositories of split.toml)", file=sys.stderr)
        return 2
    versions = [Version(spec) for spec in args.version]
    if len({v.label for v in versions}) < len(versions):
        print("scan_differential: the two versions are the same", file=sys.stderr)
        return 2
    for v in versions:
        v.prepare()
    tools = args.tools or next((v.tree for v in versions if v.commit), ROOT)
    os.environ["DERIVSPEC_MEASURE_TREE"] = str(tools)
    global scan_corpus, scan_corpus_labels, scan_corpus_planted, scan_metamorphic
    sys.path.insert(0, str(ROOT / "benchmarks"))
    import scan_corpus  # noqa: E402  (after DERIVSPEC_MEASURE_TREE: the tools' derivspec)
    import scan_corpus_labels  # noqa: E402
    import scan_corpus_planted  # noqa: E402
    import scan_metamorphic  # noqa: E402

    args.out.mkdir(parents=True, exist_ok=True)
    summary = {"versions": [{"label": v.label, "commit": v.commit, "middle": v.middle, "python": str(v.python)}
                            for v in versions],
               "tools": str(tools), "time_scale": args.time_scale, "only": sorted(ONLY), "sets": {}}
    two = len(versions) == 2
    for half in args.half or HALVES:
        originals: dict = {}
        for which_set in [s for s in args.sets if s != "manifests"]:
            reuse = {v.label: r for v in versions if (r := load_reuse(args.reuse, v, half, which_set)) is not None}
            started = time.perf_counter()
            name = f"{half}.{which_set}"
            alike = None
            if which_set == "planted":
                result = planted(half, versions, args.mirror, args.seed, reuse)
                for v in versions:
                    (args.out / v.label).mkdir(parents=True, exist_ok=True)
                    (args.out / v.label / f"{name}.json").write_text(json.dumps(result[v.label], indent=1, ensure_ascii=False),
                                                                      encoding="utf-8")
                figures = {v.label: planted_figures(result[v.label]["errors"]) for v in versions}
                for v in versions:
                    figures[v.label]["new_flags_elsewhere"] = len(result[v.label]["elsewhere"])
                changed = planted_changes(*(result[v.label]["errors"] for v in versions)) if two else []
            else:
                result = scan_copies(half, which_set, versions, args.mirror, reuse)
                for v in versions:
                    write_rows(args.out / v.label / f"{name}.jsonl", result[v.label]["rows"])
                figures = {v.label: dict(row_figures(half, carried(originals.get(v.label), result[v.label]["rows"])),
                                         seconds=round(result[v.label]["seconds"], 1)) for v in versions}
                changed = changes(*(result[v.label]["rows"] for v in versions)) if two else []
                alike = decided_alike(*(result[v.label]["rows"] for v in versions)) if two else None
                if which_set == "original":
                    originals = {v.label: result[v.label]["rows"] for v in versions}
                elif originals:  # the metamorphic gate: each version's copy against its own original
                    for v in versions:
                        figures[v.label]["gate"] = gate(originals[v.label], result[v.label]["rows"],
                                                        args.out / v.label / f"{name}.moved.jsonl")
            if two:
                write_rows(args.out / "changes" / f"{name}.jsonl", changed)
            summary["sets"][name] = {"figures": figures, "changed": len(changed),
                                     "changed_by_part": dict(Counter(c.get("part") for c in changed)),
                                     "wall_seconds": round(time.perf_counter() - started, 1)}
            if alike:
                summary["sets"][name]["decided_alike"] = alike
            print(report(name, which_set, versions, figures, changed, alike), flush=True)
            (args.out / "summary.json").write_text(json.dumps(summary, indent=1), encoding="utf-8")
    if "manifests" in args.sets:
        reuse = {v.label: r for v in versions if (r := load_reuse(args.reuse, v, "", "manifests")) is not None}
        result = manifests(versions, reuse)
        for v in versions:
            (args.out / v.label).mkdir(parents=True, exist_ok=True)
            (args.out / v.label / "manifests.json").write_text(json.dumps(result[v.label], indent=1), encoding="utf-8")
        figures = {v.label: {name: {"found": r["recall"]["all"]["found"], "planted": r["recall"]["all"]["planted"]}
                             for name, r in result[v.label].items()} for v in versions}
        changed = []
        if two:
            a, b = (result[v.label] for v in versions)
            for name in MANIFESTS:
                for x, y in zip(a.get(name, {}).get("errors", []), b.get(name, {}).get("errors", [])):
                    if x["found"] != y["found"]:
                        changed.append({"manifest": name, "file": x["file"], "line": x["line"], "kind": x["kind"],
                                        "old": x["found"], "new": y["found"], "new_reason": y.get("reason", "")})
            write_rows(args.out / "changes" / "manifests.jsonl", changed)
        summary["sets"]["manifests"] = {"figures": figures, "changed": len(changed)}
        for v in versions:
            print(f"manifests [{v.label}]: " + ", ".join(f"{n} {f['found']}/{f['planted']}" for n, f in figures[v.label].items()))
        if two:
            print(f"manifests: {len(changed)} planted errors found by one version only")
        (args.out / "summary.json").write_text(json.dumps(summary, indent=1), encoding="utf-8")
    return 0


def report(name: str, which_set: str, versions: list, figures: dict, changed: list, alike: dict | None = None) -> str:
    lines = [f"{name}:" + (f" {len(changed)} changed ({dict(Counter(c.get('part') for c in changed))})" if len(versions) == 2 else "")]
    if alike:
        lines.append(f"  decided alike ([{versions[0].label}] proved, holds on instances or flagged, the same in "
                     f"[{versions[1].label}]): " + "; ".join(f"{which} part {_share(a['alike'], a['decided'])}"
                                                            for which, a in alike.items()))
    for v in versions:
        f = figures[v.label]
        if which_set == "planted":
            lines.append(f"  [{v.label}] planted errors found: old part chains {f['old']['chain']['found']}/{f['old']['chain']['planted']}, "
                         f"standalone {f['old']['standalone']['found']}/{f['old']['standalone']['planted']}; new part chains "
                         f"{f['new']['chain']['found']}/{f['new']['chain']['planted']}, standalone "
                         f"{f['new']['standalone']['found']}/{f['new']['standalone']['planted']}; new flags away from the edits "
                         f"{f['new_flags_elsewhere']}")
        else:
            parts = [f"{which} part: {f[which]['records']} records, judged {_share(f[which]['judged'], f[which]['checkable'])} "
                     f"labelled checkable, {f[which]['flags']} flags, {f[which]['out_of_time']} out of time"
                     for which in ("old", "new")]
            lines.append(f"  [{v.label}] " + "; ".join(parts) + f"; scans {f['seconds']} s")
            if "gate" in f:
                lines.append(f"  [{v.label}] same evidence level as its original: " + "; ".join(
                    f"{which} part {g['same_level']}/{g['matched']}, of those judged in either {g['judged_same']}/"
                    f"{g['judged_either']}, flags {g['flags']} -> {g['flags_renamed']}"
                    for which, g in f["gate"].items()))
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
