"""The knowledge tables' missing-row report (issue 57, build item 1; ../shared/scan-knowledge-rows.md, "The one
engine", 7): the statements whose side is headed by an operator or a function the tables know -- an entropy, a
variance, a KL, a density of a variable the document gives a law, tanh, Γ -- and that no row reads. It is the tables'
to-do list, as LaCASt reports its missing macros.

Scans files, or a half of ``benchmarks/scan_corpus/split.toml`` (copied out of the fetched repositories at run
time, as ``scan_corpus.py`` does; their text is printed, never written into this repository), in this process with
``known.MISSING_ROWS`` collecting, and prints the heads by
count with the places of each.

    python benchmarks/missing_rows.py notes.md lecture.tex           # files of your own
    python benchmarks/missing_rows.py --half development --show 5    # a half: each head's first five places
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from collections import defaultdict
from multiprocessing import Pool
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from derivspec.scan import known, scan_file  # noqa: E402


def missing_in(path: Path, name: str) -> list[tuple[str, str, int, str]]:
    """(head, file name, line, side) of every side of ``path`` that no row reads."""
    report: list = []
    token = known.MISSING_ROWS.set(report)
    try:
        scan_file(path, workers=0, sources=False)
    except Exception as error:  # a document the scanner cannot take is reported, never hidden
        print(f"{name}: {type(error).__name__}: {error}", file=sys.stderr)
    finally:
        known.MISSING_ROWS.reset(token)
    return [(head, name, line, side) for head, line, side in report]


def _job(item: tuple[str, str]) -> list:
    return missing_in(Path(item[0]), item[1])


def half_documents(half: str, mirror: Path, folder: Path) -> list[tuple[str, str]]:
    """(copied path, repository/file name) of every document of the half."""
    import scan_corpus

    found = []
    for repo in scan_corpus.repositories(half):
        names = scan_corpus.repo_documents(repo, mirror, scan_corpus.split())
        if not names:
            continue
        into = folder / repo["name"].replace("/", "+")
        into.mkdir(parents=True)
        paths = scan_corpus.copy_out(scan_corpus.git_dir_of(repo, mirror), repo["commit"], names, into)
        found += [(str(p), f"{repo['name']}/{p.name}") for p in paths]
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("files", nargs="*", type=Path)
    parser.add_argument("--half", choices=("development", "heldout"))
    parser.add_argument("--mirror", type=Path, default=Path("/work/.mirror"))
    parser.add_argument("--show", type=int, default=3, help="places shown per head")
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args(argv)
    if bool(args.files) == bool(args.half):
        parser.error("give files or --half, not both")
    with tempfile.TemporaryDirectory() as folder:
        items = half_documents(args.half, args.mirror, Path(folder)) if args.half else \
            [(str(p), p.name) for p in args.files]
        missing = [p for p, _ in items if not Path(p).is_file()]
        if missing:
            print(f"missing_rows: no such file: {missing[0]}", file=sys.stderr)
            return 2
        with Pool(args.jobs) as pool:
            found = [row for rows in pool.imap(_job, items) for row in rows]
    by_head: dict = defaultdict(list)
    for head, name, line, side in found:
        by_head[head].append((name, line, side))
    print(f"{len(found)} sides headed by a known operator or function that no row reads, in {len(items)} documents")
    for head, places in sorted(by_head.items(), key=lambda item: -len(item[1])):
        print(f"  {head}: {len(places)}")
        for name, line, side in places[:args.show]:
            print(f"    {name}:{line}: {' '.join(side.split())[:100]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
