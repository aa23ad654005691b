r"""``derivspec scan --scope`` on every document of a half (issue 88): no crash, and the share of relational
statements whose symbols are all known, by the weakest provenance among them (declared, defined, notation: known;
guess, unknown: not).

The documents are the real-error half's (benchmarks/real_errors/labels.toml, at their buggy commits) and the corpus
half's (benchmarks/scan_corpus/split.toml, at the pinned commits), copied to a temporary folder as the other
harnesses copy them and read with one ``python -m derivspec scan --scope --json`` per repository.

    python benchmarks/scope_share.py --half development
    python benchmarks/scope_share.py --half heldout --json OUT.json        # only to measure
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
import scan_corpus  # noqa: E402
import scan_real_errors  # noqa: E402

ORDER = ("declared", "defined", "notation", "guess", "unknown")


def groups(half: str, mirror: Path):
    """(label, git dir, commit, document names) per repository and commit of the half."""
    for repo in scan_corpus.repositories(half):
        gdir = scan_corpus.git_dir_of(repo, mirror)
        if gdir.exists():
            yield f"corpus {repo['name']}", gdir, repo["commit"], scan_corpus.repo_documents(repo, mirror)
    by_commit = defaultdict(set)
    for e in scan_real_errors.labels(half):
        by_commit[(e["repo"], e["buggy"])].add(e["path"])
    for (repo, commit), paths in sorted(by_commit.items()):
        gdir = scan_real_errors.git_dir(repo, mirror)
        if gdir.exists():
            yield f"real-error {repo}@{commit[:7]}", gdir, commit, sorted(paths)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--half", choices=("development", "heldout"), required=True)
    parser.add_argument("--mirror", type=Path, default=Path("/work/.mirror"))
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    weakest, symbols, problems, documents, seconds = Counter(), Counter(), [], 0, 0.0
    for label, gdir, commit, names in groups(args.half, args.mirror):
        with tempfile.TemporaryDirectory() as folder:
            if label.startswith("real-error"):  # as scan_real_errors builds them (old notebooks' cells too)
                paths = [Path(folder) / scan_corpus.copy_name(n, notebooks_as_text=True) for n in names]
                for name, path in zip(names, paths):
                    path.write_text(scan_real_errors.document_text(gdir, commit, name), encoding="utf-8")
            else:
                paths = scan_corpus.copy_out(gdir, commit, names, Path(folder), notebooks_as_text=True)
            started = time.perf_counter()
            done = subprocess.run([sys.executable, "-m", "derivspec", "scan", *map(str, paths), "--scope", "--json"],
                                  capture_output=True, text=True, cwd=folder, timeout=1800)
            seconds += time.perf_counter() - started
        try:
            data = json.loads(done.stdout)
        except json.JSONDecodeError:
            problems.append(f"{label}: exit {done.returncode}: {done.stderr.strip()[-300:]}")
            continue
        if "internal error" in done.stderr:
            problems.append(f"{label}: {done.stderr.strip()[-300:]}")
        documents += len(data["summary"])
        for summary in data["summary"].values():
            weakest.update(summary["by_weakest"])
        symbols.update(s["provenance"] for s in data["symbols"])
    total = sum(weakest.values())
    known = sum(weakest[p] for p in ORDER[:3])
    result = {"half": args.half, "documents": documents, "statements": total, "all_known": known,
              "share_known": round(known / total, 4) if total else 0.0,
              "by_weakest": {p: weakest[p] for p in ORDER}, "symbols": {p: symbols[p] for p in ORDER},
              "problems": problems, "seconds": round(seconds, 1)}
    print(f"{args.half}: {documents} documents, {total} relational statements, every symbol known in {known} "
          f"({100 * result['share_known']:.1f} %); by weakest provenance {result['by_weakest']}; symbols "
          f"{result['symbols']}; {len(problems)} problems; {result['seconds']} s")
    for p in problems:
        print("  problem:", p)
    if args.json:
        args.json.write_text(json.dumps(result, indent=1), encoding="utf-8")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
