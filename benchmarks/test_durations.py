"""Where the test suite spends its time: seconds per file and the slowest tests (issue 79).

Runs the README's test command with ``--durations-json`` (property_tests/tiers.py) and prints the
tables, or reads a file an earlier run wrote:

    .venv/bin/python benchmarks/test_durations.py                 # run the default tier, then print
    .venv/bin/python benchmarks/test_durations.py -- -m slow      # the same for the slow tier
    .venv/bin/python benchmarks/test_durations.py --from FILE     # print the tables of an earlier run
    .venv/bin/python benchmarks/test_durations.py --from FILE --compare OTHER   # before / after per file
    .venv/bin/python benchmarks/test_durations.py --from BEFORE --where default=AFTER --where slow=AFTER_SLOW
        # the slowest tests of BEFORE, each with what it proves (its docstring, else its name) and where it is now

FILE may also be the JSON lines of ``benchmarks/cpu_durations.py`` (a plugin that records CPU seconds, for a
busy machine or an old commit): there a test's seconds are its CPU seconds.

Seconds are each test's setup + call + teardown as pytest measured them, summed over the workers
(so the total is CPU-side work, not the wall time; the run's wall time is printed beside it).
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def run_suite(extra: list[str], path: Path) -> float:
    started = time.monotonic()
    subprocess.run(["bash", str(ROOT / "scripts" / "test.sh"), "-q", "--durations-json", str(path), *extra],
                   cwd=ROOT, check=False)
    return time.monotonic() - started


def read(path: Path) -> list[dict]:
    """A --durations-json file, or the JSON lines of benchmarks/cpu_durations.py (seconds: the test's CPU, its
    process's and its children's; tier "default" unless the run says otherwise)."""
    text = path.read_text()
    if text.lstrip().startswith("["):
        return json.loads(text)
    rows = [json.loads(line) for line in text.splitlines() if line.strip()]
    return [{"test": r["id"], "seconds": r["cpu"] + r["child"], "tier": r.get("tier", "default")} for r in rows]


def per_file(rows) -> dict[str, tuple[float, int]]:
    files = defaultdict(lambda: [0.0, 0])
    for row in rows:
        entry = files[row["test"].split("::")[0]]
        entry[0] += row["seconds"]
        entry[1] += 1
    return {name: (seconds, count) for name, (seconds, count) in files.items()}


def what_it_proves(test_id: str) -> str:
    """The first sentence of the test function's docstring (read with ast, nothing imported), else its name in words."""
    path, _, name = test_id.partition("::")
    name = name.split("[")[0].split("::")[-1]
    try:
        tree = ast.parse((ROOT / path).read_text(encoding="utf-8"))
    except (OSError, SyntaxError):
        tree = None
    for node in ast.walk(tree) if tree else ():
        if isinstance(node, ast.FunctionDef) and node.name == name and ast.get_docstring(node):
            return " ".join(ast.get_docstring(node).split()).split(". ")[0].rstrip(".")
    return name.removeprefix("test_").replace("_", " ")


def print_where(rows, top: int, where: dict[str, set[str]]) -> None:
    """The ``top`` slowest tests of ``rows``, each with what it proves and the runs it appears in now."""
    print(f"\nthe {top} slowest tests, what each proves, and where each is now")
    for row in sorted(rows, key=lambda r: -r["seconds"])[:top]:
        now = ", ".join(label for label, ids in where.items() if row["test"] in ids) or "gone"
        print(f"  {row['seconds']:7.1f} s  {now:13s}  {row['test']}\n{'':26s}{what_it_proves(row['test'])}")
    files = defaultdict(lambda: defaultdict(int))
    for row in rows:
        now = ",".join(label for label, ids in where.items() if row["test"] in ids) or "gone"
        files[row["test"].split("::")[0]][now] += 1
    labels = sorted({now for counts in files.values() for now in counts})
    print("\nper file: where the tests of the earlier run are now (" + " / ".join(labels) + ")")
    for name, counts in sorted(files.items(), key=lambda item: -sum(item[1].values())):
        print(f"  {' / '.join(f'{counts.get(label, 0):5d}' for label in labels)}  {name}")


def print_tables(rows, top: int, files: int, other=None) -> None:
    total = sum(r["seconds"] for r in rows)
    print(f"{len(rows)} tests, {total:.0f} s of test time ({total / 60:.1f} min summed over workers)")
    by_tier = defaultdict(float)
    for row in rows:
        by_tier[row.get("tier", "default")] += row["seconds"]
    print("  by tier: " + ", ".join(f"{tier} {seconds:.0f} s" for tier, seconds in sorted(by_tier.items())))
    mine = per_file(rows)
    theirs = per_file(other) if other else {}
    print(f"\nper file (the {files} slowest)" + (" -- before / after" if other else ""))
    names = sorted(set(mine) | set(theirs), key=lambda n: -max(mine.get(n, (0, 0))[0], theirs.get(n, (0, 0))[0]))
    for name in names[:files]:
        seconds, count = mine.get(name, (0.0, 0))
        if other:
            before, before_count = theirs.get(name, (0.0, 0))
            print(f"  {before:8.1f} s {before_count:5d}  ->  {seconds:8.1f} s {count:5d}  {name}")
        else:
            print(f"  {seconds:8.1f} s {count:5d}  {name}")
    print(f"\nthe {top} slowest tests")
    for row in sorted(rows, key=lambda r: -r["seconds"])[:top]:
        print(f"  {row['seconds']:7.1f} s  {row.get('tier', 'default'):7s}  {row['test']}")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--from", dest="source", help="a --durations-json file from an earlier run")
    parser.add_argument("--compare", help="a second file: per-file seconds before (it) and after (--from)")
    parser.add_argument("--top", type=int, default=50)
    parser.add_argument("--files", type=int, default=40)
    parser.add_argument("--where", action="append", default=[], metavar="LABEL=FILE",
                        help="a later run (repeat): the slowest tests are listed with the runs they appear in now")
    parser.add_argument("pytest_args", nargs="*", help="after --: arguments for scripts/test.sh")
    args = parser.parse_args(argv)
    if args.source:
        rows = read(Path(args.source))
    else:
        path = Path(tempfile.mkdtemp()) / "durations.json"
        wall = run_suite(args.pytest_args, path)
        if not path.exists():
            print("the test run wrote no durations (did it start?)", file=sys.stderr)
            return 2
        rows = json.loads(path.read_text())
        print(f"wall time {wall / 60:.1f} min on {os.cpu_count()} cores; durations in {path}")
    other = read(Path(args.compare)) if args.compare else None
    print_tables(rows, args.top, args.files, other)
    if args.where:
        where = {}
        for pair in args.where:
            label, sep, file = pair.partition("=")
            if not sep:
                parser.error(f"--where takes LABEL=FILE, not {pair!r}")
            where[label] = {r["test"] for r in read(Path(file))}
        print_where(rows, args.top, where)
    return 0


if __name__ == "__main__":
    sys.exit(main())
