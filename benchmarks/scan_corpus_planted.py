"""Recall of ``derivspec scan`` on errors planted at run time in lectures by other authors (issue 24).

For one half of ``benchmarks/scan_corpus/split.toml`` (read from the ``fetch`` tool's bare git
directories, never stored here): every statement the unedited scan classes as an identity, an
inequality, a worked number or a known result and does not flag gets one error of the kinds in
``benchmarks/planting.py`` (swapped KL arguments, an inverted ratio of densities, a dropped term,
t for t-1, alpha for alpha-bar, sigma for sigma^2, a reversed inequality, a missing log, a flipped
sign, a wrong normaliser). Among the kinds that apply to a statement the least used so far is
chosen (ties by a seeded draw), so the kinds stay balanced. Edits of one file at least
``SEPARATION`` lines apart share a copy.

An error is *found* when the scan of the copy flags (verdict ``disagrees``) a statement spanning
an edited line. Recall is reported for statements inside derivation chains (two or more
relations) and standalone ones, for statements recognised as a claim of the catalogue (known
results), and by kind. New flags away from any edit are counted too.

Standalone statements of *known quantities* are also planted whatever scan made of them (a
definition, a name it did not read): a statement with one relation whose left side names a
quantity of ``KNOWN_QUANTITY`` (a KL or JS divergence, an optimal discriminator, an MLE, a DDPM
kernel, a score, an entropy, a change-of-variables density, a reparameterised sample, ...). That
list is written here from the quantities' usual names, not from scan's recognisers, so the
"standalone known quantity" recall measures recognition (issue 25) rather than assuming it.

    python benchmarks/scan_corpus_planted.py --half development
    python benchmarks/scan_corpus_planted.py --half heldout --json OUT.json   # only to measure
    python benchmarks/scan_corpus_planted.py --folder benchmarks/scan_known_quantities   # our own text

Issue 42 measures recall on the *labelled* sample instead (``--labelled``): the targets are the
statements labelled checkable in ``benchmarks/scan_corpus/labels.toml``, whatever scan made of them
(a definition, a name it did not read), so the figure does not depend on what the scanner already
reads. ``--renamed`` plants the same errors and then renames each copy's letters inside math with
its document's renaming (``rename_letters.py``): the figure of the renamed planted set. A planted
error is found when a statement spanning it is flagged and the unedited document (renamed alike) is
not flagged there: new flags only.

    python benchmarks/scan_corpus_planted.py --half development --labelled
    python benchmarks/scan_corpus_planted.py --half heldout --labelled --renamed   # only to measure
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
import tempfile
from collections import Counter, defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import planting  # noqa: E402
import rename_letters  # noqa: E402
import scan_corpus  # noqa: E402
import scan_corpus_labels  # noqa: E402

TARGET_CLASSES = frozenset({"identity", "inequality", "worked number", "known result"})
KNOWN_QUANTITY = re.compile("|".join((
    r"\\(?:mathrm|text|operatorname|mathbb)\s*\{\s*(?:KL|JSD?|ELBO|PPL|TV|D_\{?KL)",  # \mathrm{KL}, \text{ELBO}
    r"(?<![A-Za-z\\])(?:KL|JSD?|ELBO|PPL)\s*[(\[]",  # KL(, JS(
    r"(?<![A-Za-z\\])D_\s*\{?\s*(?:\\(?:mathrm|text)\s*\{)?\s*(?:KL|JS)",  # D_{KL}, D_{\mathrm{JS}}
    r"(?<![A-Za-z\\])D\s*\^\s*\{?\s*\*",  # D^*(x)
    r"\\(?:hat|tilde|bar)\s*\{?\s*\\(?:sigma|mu|beta|alpha)",  # \hat\sigma^2, \tilde\beta_t, \bar\alpha_t
    r"(?<![A-Za-z\\])q\s*\(\s*(?:\\mathbf\s*\{?\s*)?x_",  # q(x_t | x_0), q(x_{t-1} | x_t, x_0)
    r"\\nabla_\s*\{?\s*(?:\\mathbf\s*\{?\s*)?x\}?\s*\\log",  # the score
    r"(?<![A-Za-z\\])(?:H|I)\s*\(\s*[A-Za-z]\s*[,;]",  # H(p, q), I(X; Y)
    r"(?<![A-Za-z\\])p_\s*\{?\s*[XxYy]\s*\}?\s*\(",  # p_X(x): a change of variables
    r"\\frac\s*\{\s*\\partial\s*(?:\\mathcal\s*\{?\s*|\\ell)?[LJ]?(?:_\{?\s*\w+\}?)?\s*\}",  # dL/dz
)))
SEPARATION = 4


def choose_edits(statements: list[dict], sources: dict[str, list[str]], seed: int,
                 targets: set[int] | None = None) -> list[dict]:
    """One planted error per target statement, kinds balanced. The targets: the statements whose
    index is in ``targets`` when given (the labelled checkable ones), else those scan classes as a
    claim (:data:`TARGET_CLASSES`) or that state a known quantity."""
    rng = random.Random(seed)
    used: Counter = Counter()
    edits = []
    for index, s in enumerate(statements):
        topic = known_quantity(s)
        if s["verdict"] == "disagrees" or s.get("kind") == "source":
            continue
        if targets is not None:
            if index not in targets:
                continue
        elif s.get("class") not in TARGET_CLASSES and not topic:
            continue
        lines = sources.get(s["file"])
        first, last = s["lines"]
        if lines is None or last > len(lines):
            continue
        region = "\n".join(lines[first - 1:last])
        options = [kind for kind in planting.KINDS if planting.plant(region, kind) is not None]
        if not options:
            continue
        rng.shuffle(options)
        kind = min(options, key=lambda k: used[k])
        used[kind] += 1
        edits.append({"file": s["file"], "lines": [first, last], "kind": kind, "original": s["verdict"],
                      "chain": len(s.get("steps") or []) > 1, "known": bool(s.get("claim")), "topic": topic,
                      "region": planting.plant(region, kind)})
    return edits


def known_quantity(statement: dict) -> bool:
    """A standalone statement (one relation) whose left side names a known quantity."""
    steps = statement.get("steps") or []
    if len(steps) > 1:
        return False
    left = steps[0].get("left", "") if steps else re.split(r"=|\\approx", statement.get("text", ""), maxsplit=1)[0]
    return bool(KNOWN_QUANTITY.search(left or ""))


def build_copies(edits: list[dict], sources: dict[str, list[str]], folder: Path) -> dict[str, list[int]]:
    """Write the planted copies: copy name -> indexes of its edits."""
    by_file: dict[str, list[int]] = defaultdict(list)
    for i, edit in enumerate(edits):
        by_file[edit["file"]].append(i)
    copies: dict[str, list[int]] = {}
    for file, indexes in by_file.items():
        groups: list[list[int]] = []
        for i in indexes:
            for group in groups:
                if all(edits[i]["lines"][0] - edits[j]["lines"][1] >= SEPARATION
                       or edits[j]["lines"][0] - edits[i]["lines"][1] >= SEPARATION for j in group):
                    group.append(i)
                    break
            else:
                groups.append([i])
        for k, group in enumerate(groups):
            lines = list(sources[file])
            for i in sorted(group, key=lambda j: -edits[j]["lines"][0]):
                first, last = edits[i]["lines"]
                lines[first - 1:last] = edits[i]["region"].split("\n")
            name = f"planted{k}__{file}"
            (folder / name).write_text("\n".join(lines), encoding="utf-8")
            copies[name] = group
    return copies


def labelled_targets(repo: str, names: list[str], statements: list[dict]) -> set[int]:
    """Indexes of ``statements`` (one repository's unedited scan) that a label of ``repo`` marks checkable."""
    rows = scan_corpus.statement_rows(repo, names, statements)
    for index, row in enumerate(rows):
        row["index"] = index
    chosen = set()
    for label in scan_corpus_labels.load():
        if label["repo"] == repo and label["label"] == "checkable":
            found, _ = scan_corpus_labels.find(label, rows)
            if found is not None:
                chosen.add(found["index"])
    return chosen


def measure(half: str, mirror: Path, seed: int = 0, labelled: bool = False, renamed: bool = False) -> dict:
    config = scan_corpus.split()
    results: list[dict] = []
    elsewhere: list[dict] = []  # new flags away from every edit (each to be judged by hand)
    for repo in config["repo"]:
        if repo["half"] != half:
            continue
        git_dir = mirror / repo["name"].replace("/", "+") / "repo"
        names = scan_corpus.documents(git_dir, repo["commit"], config["extensions"])
        with tempfile.TemporaryDirectory() as tmp:
            original_dir = Path(tmp) / "original"
            original_dir.mkdir()
            paths = scan_corpus.copy_out(git_dir, repo["commit"], names, original_dir)
            rows, away = plant_and_scan(repo["name"], paths, seed,
                                        lambda folder: scan_corpus.copy_packages(git_dir, repo["commit"], folder),
                                        (lambda statements: labelled_targets(repo["name"], names, statements))
                                        if labelled else None, renamed)
        results += rows
        elsewhere += away
    return {"half": half, "seed": seed, "labelled": labelled, "renamed": renamed, "errors": results,
            "recall": recall(results), "new_flags_elsewhere": len(elsewhere), "flags_elsewhere": elsewhere}


def plant_and_scan(repo: str, paths: list[Path], seed: int, support=lambda folder: None,
                   targets=None, renamed: bool = False) -> tuple[list, list]:
    """Scan ``paths``, plant one error per target statement into copies and scan those:
    (one row per planted error, new flags away from every edit). ``support(folder)`` puts the
    files the documents need (not scanned) beside the copies; ``targets(statements)`` chooses the
    statements to plant into (default: :func:`choose_edits`'s); ``renamed`` renames each copy,
    and the unedited documents compared with, with its document's renaming."""
    out, _, problem = scan_corpus.scan(paths)
    if out is None:
        raise RuntimeError(f"{repo}: {problem}")
    sources = {p.name: p.read_text(encoding="utf-8", errors="replace").split("\n") for p in paths}
    statements = out.get("statements", [])
    edits = choose_edits(statements, sources, seed, targets(statements) if targets else None)
    renamings = {name: rename_letters.choose(rename_letters.letters_used("\n".join(lines), rename_letters.file_kind(name)))
                 for name, lines in sources.items()} if renamed else {}
    with tempfile.TemporaryDirectory() as tmp:
        planted_dir = Path(tmp)
        copies = build_copies(edits, sources, planted_dir)
        if renamed:  # the planted copies and the unedited documents, each with its document's renaming
            unedited_dir = planted_dir / "unedited"
            unedited_dir.mkdir()
            for name, lines in sources.items():
                text, _ = rename_letters.rename("\n".join(lines), rename_letters.file_kind(name), renamings[name])
                (unedited_dir / name).write_text(text, encoding="utf-8")
            for name in copies:
                source = name.split("__", 1)[1]
                text, _ = rename_letters.rename((planted_dir / name).read_text(encoding="utf-8"),
                                                rename_letters.file_kind(source), renamings[source])
                (planted_dir / name).write_text(text, encoding="utf-8")
            support(unedited_dir)
            out, _, problem = scan_corpus.scan(sorted(unedited_dir / name for name in sources))
            if out is None:
                raise RuntimeError(f"{repo} (renamed): {problem}")
        support(planted_dir)
        planted_paths = [planted_dir / name for name in sorted(copies)]
        planted, _, problem = scan_corpus.scan(planted_paths) if copies else ({}, 0.0, "")
    if planted is None:
        raise RuntimeError(f"{repo} (planted copies): {problem}")
    flagged_before = {(s["file"], line) for s in out.get("statements", []) if s["verdict"] == "disagrees"
                      for line in range(s["lines"][0], s["lines"][1] + 1)}
    by_copy: dict[str, list[dict]] = defaultdict(list)
    for s in planted.get("statements", []):
        by_copy[s["file"]].append(s)
    results, elsewhere = [], []
    for name, group in copies.items():
        spans = [range(edits[i]["lines"][0], edits[i]["lines"][1] + 1) for i in group]
        for i in group:
            edit = edits[i]
            covering = [s for s in by_copy[name] if s["lines"][0] <= edit["lines"][1]
                        and edit["lines"][0] <= s["lines"][1]]
            original_name = name.split("__", 1)[1]
            hit = [s for s in covering if s["verdict"] == "disagrees"
                   and not any((original_name, line) in flagged_before for line in range(s["lines"][0], s["lines"][1] + 1))]
            fields = ("file", "lines", "kind", "chain", "known", "topic", "original")
            results.append({"repo": repo, **{k: edit[k] for k in fields},
                            "found": bool(hit),
                            "reason": (hit or covering or [{"reason": "no statement"}])[0]["reason"][:160]})
        original = name.split("__", 1)[1]
        elsewhere += [{"repo": repo, "file": original, "lines": s["lines"], "text": s["text"][:200],
                       "reason": s["reason"][:200]} for s in by_copy[name] if s["verdict"] == "disagrees"
                      and not any(s["lines"][0] <= r[-1] and r[0] <= s["lines"][1] for r in spans)
                      and (original, s["lines"][0]) not in flagged_before]
    return results, elsewhere


def measure_folder(folder: Path, seed: int = 0, renamed: bool = False) -> dict:
    """The same measurement on local documents (``.md``/``.tex``/``.txt`` under ``folder``): our own
    probe text, e.g. ``benchmarks/scan_known_quantities``."""
    paths = sorted(p for p in folder.rglob("*") if p.suffix in (".md", ".tex", ".txt") and p.name != "README.md")
    results, elsewhere = plant_and_scan(folder.name, paths, seed, renamed=renamed)
    return {"half": folder.name, "seed": seed, "renamed": renamed, "errors": results, "recall": recall(results),
            "new_flags_elsewhere": len(elsewhere), "flags_elsewhere": elsewhere}


def recall(results: list[dict]) -> dict:
    def rate(rows):
        found = sum(r["found"] for r in rows)
        return {"found": found, "planted": len(rows), "recall": round(found / len(rows), 3) if rows else None}

    by_kind: dict[str, list] = defaultdict(list)
    for r in results:
        by_kind[r["kind"]].append(r)
    return {"all": rate(results), "chain": rate([r for r in results if r["chain"]]),
            "standalone": rate([r for r in results if not r["chain"]]),
            "original proved": rate([r for r in results if r["original"] == "proved"]),
            "known result": rate([r for r in results if r.get("known")]),
            "known quantity": rate([r for r in results if r.get("topic")]),
            "kind": {kind: rate(rows) for kind, rows in sorted(by_kind.items())}}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("--half", choices=("development", "heldout"))
    where.add_argument("--folder", type=Path, help="plant into local documents instead (our own probe text)")
    parser.add_argument("--mirror", type=Path, default=Path("/work/.mirror"))
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--labelled", action="store_true", help="plant into the statements labelled checkable (labels.toml)")
    parser.add_argument("--renamed", action="store_true", help="rename each planted copy's letters inside math")
    parser.add_argument("--json", type=Path, help="write every planted error and its outcome here")
    args = parser.parse_args(argv)
    if args.folder is not None:
        if not args.folder.is_dir():
            print(f"scan_corpus_planted: {args.folder} is not a folder", file=sys.stderr)
            return 2
        result = measure_folder(args.folder, args.seed, args.renamed)
        args.half = args.folder.name
    elif not args.mirror.is_dir():
        print(f"scan_corpus_planted: {args.mirror} not found (fetch the repositories of split.toml)", file=sys.stderr)
        return 2
    else:
        result = measure(args.half, args.mirror, args.seed, args.labelled, args.renamed)
    rec = result["recall"]
    for key in ("all", "chain", "standalone", "original proved", "known result", "known quantity"):
        row = rec[key]
        share = f"{row['recall']:.0%}" if row["planted"] else "-"
        print(f"{args.half} {key:15s} {row['found']:4d}/{row['planted']:4d} found ({share})")
    for kind, row in rec["kind"].items():
        print(f"    {kind:22s} {row['found']:4d}/{row['planted']:4d}")
    print(f"new flags away from every edit: {result['new_flags_elsewhere']}")
    if args.json:
        args.json.write_text(json.dumps(result, indent=1, ensure_ascii=False), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
