"""Benchmark: how long the commands a newcomer types take, start-up and work separately (issue 90).

    .venv/bin/python benchmarks/bench_startup.py [--runs 3] [--report] [--claim nll.bernoulli] [--command CMD]

Each command runs as a user runs it -- the installed ``derivspec`` console script (or ``--command``, e.g.
``--command "python -m derivspec"`` for a source tree on PYTHONPATH; also ``$DERIVSPEC_BENCH_COMMAND``), a
fresh process -- in a
cache folder of its own (``DERIVSPEC_CACHE_DIR``: the user's cache is neither read nor changed), after
``derivspec list`` and ``derivspec show CLAIM`` have filled the indexes every later command reads (the
claims' modules, the numeric routes' modules). Rows, each the median of ``--runs`` runs:

* ``import torch, sympy``: the floor under any command that runs a numeric check; ``import sympy``: the floor
  under ``verify CLAIM``'s start-up (torch comes with the claim's first numeric check);
* ``verify CLAIM`` cold (``--no-cache``: every check runs) -- work is the claim's own check time (its
  record's ``seconds``, torch's import included), start-up the rest; target: start-up <= 2 s;
* ``verify CLAIM`` cached (the record this code computed before is printed; no torch, no claim built) --
  target: <= 2 s;
* ``errata`` and ``coverage`` warm (their second run: the tables this code computed, no claim built) --
  target: <= 2 s each;
* with ``--report``: ``verify`` of the whole catalogue and ``report --out DIR`` each in an empty cache (the
  full report, with every reference model), and the report again after that verify (its claims from the
  evidence cache) -- the issue's target is the full report within 1.5x of verify. Minutes.

The load average is printed before and after: another process on the machine inflates every figure.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SCRIPT = [str(Path(sys.executable).with_name("derivspec"))]  # the command line that runs derivspec (--command)


CPU: list[float] = []  # the CPU seconds (user + sys, the process and its workers) of each timed run, in order


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed(argv, env, capture: bool = False) -> tuple[float, str]:
    """(wall seconds, stdout) of one run; its CPU seconds (user + sys, with its worker processes) are
    appended to ``CPU`` -- on a shared machine the CPU time is the figure to compare."""
    cpu, start = children_cpu(), time.perf_counter()
    done = subprocess.run(argv, env=env, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - start
    CPU.append(children_cpu() - cpu)
    if done.returncode not in (0, 1, 3):
        raise SystemExit(f"{' '.join(argv)} exited with {done.returncode}: {done.stderr.strip()[-500:]}")
    return wall, done.stdout if capture else ""


def median_of(runs: int, argv, env, work=None) -> tuple[float, float, float]:
    """(median wall, median work, median CPU) of ``runs`` runs; ``work(stdout)`` the seconds of work a run
    reports."""
    walls, works = [], []
    for _ in range(runs):
        wall, out = timed(argv, env, capture=work is not None)
        walls.append(wall)
        works.append(work(out) if work else 0.0)
    return statistics.median(walls), statistics.median(works), statistics.median(CPU[-runs:])


def claim_seconds(out: str) -> float:
    return sum(record["seconds"] for record in json.loads(out)["claims"])


def row(name: str, wall: float, work: float, cpu: float, target: str = "") -> None:
    """Wall, CPU and work seconds; start-up = wall - work (and by CPU: cpu - work, the figure to compare on a
    loaded machine, where the work's wall seconds are about its CPU seconds: it runs in one thread)."""
    print(f"{name:44s} {wall:8.2f} {cpu:8.2f} {work:8.2f} {wall - work:9.2f} {cpu - work:9.2f}  {target}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--claim", default="nll.bernoulli")
    parser.add_argument("--report", action="store_true", help="also the full report against verify (minutes)")
    parser.add_argument("--command", default=os.environ.get("DERIVSPEC_BENCH_COMMAND"),
                        help="how to run derivspec (default: the console script beside this interpreter)")
    args = parser.parse_args()
    if args.command:
        SCRIPT[:] = shlex.split(args.command)
    print(f"load average before: {os.getloadavg()[0]:.2f}; {os.cpu_count()} cores")
    with tempfile.TemporaryDirectory(prefix="bench-startup-") as folder:
        env = {**os.environ, "DERIVSPEC_CACHE_DIR": str(Path(folder) / "cache"), "COLUMNS": "100"}
        env.pop("DERIVSPEC_NO_EVIDENCE_CACHE", None)
        for warm in (["list"], ["show", args.claim], ["errata"], ["coverage"]):  # the indexes and tables
            timed([*SCRIPT, *warm], env)
        print(f"{'command':44s} {'wall s':>8s} {'cpu s':>8s} {'work s':>8s} {'start-up':>9s} {'(by cpu)':>9s}  target")
        for floor in ("import torch, sympy", "import sympy"):
            row(f"python -c '{floor}' (a floor)", *median_of(args.runs, [sys.executable, "-c", floor], env))
        wall, work, cpu = median_of(args.runs, [*SCRIPT, "verify", args.claim, "--json", "--no-cache"], env, claim_seconds)
        row(f"verify {args.claim} (cold: --no-cache)", wall, work, cpu, "start-up <= 2 s")
        row(f"verify {args.claim} (evidence cached)", *median_of(args.runs, [*SCRIPT, "verify", args.claim], env), "<= 2 s")
        for command in ("errata", "coverage"):
            row(f"{command} (warm)", *median_of(args.runs, [*SCRIPT, command], env), "<= 2 s")
        if args.report:
            full_report(folder, env)
    print(f"load average after: {os.getloadavg()[0]:.2f}")
    return 0


def full_report(folder: str, env: dict) -> None:
    """verify of the catalogue and the full report, each in an empty cache; then the report after verify.
    Wall and CPU seconds (user + sys, workers included) each; the ratios to verify are of both."""
    print()
    print(f"{'full catalogue (each in an empty cache)':44s} {'wall s':>8s} {'cpu s':>8s}")
    cold = {**env, "DERIVSPEC_CACHE_DIR": str(Path(folder) / "verify-cache")}
    verify, _ = timed([*SCRIPT, "verify", "--json"], cold)
    verify_cpu = CPU[-1]
    print(f"{'verify (every claim)':44s} {verify:8.1f} {verify_cpu:8.1f}")
    cold = {**env, "DERIVSPEC_CACHE_DIR": str(Path(folder) / "report-cache")}
    report, _ = timed([*SCRIPT, "report", "--out", str(Path(folder) / "report")], cold)
    print(f"{'report --out DIR (claims and every model)':44s} {report:8.1f} {CPU[-1]:8.1f}  "
          f"{report / verify:.2f} x verify wall, {CPU[-1] / verify_cpu:.2f} x cpu (target <= 1.5 x)")
    after = {**env, "DERIVSPEC_CACHE_DIR": str(Path(folder) / "verify-cache")}
    parts(Path(folder) / "report-cache")
    again, _ = timed([*SCRIPT, "report", "--out", str(Path(folder) / "report-after")], after)
    print(f"{'report after that verify (claims cached)':44s} {again:8.1f} {CPU[-1]:8.1f}  "
          f"{again / verify:.2f} x verify wall, {CPU[-1] / verify_cpu:.2f} x cpu")


def parts(cache: Path) -> None:
    """The report's work per part, from the times its cache keeps (wall seconds inside the worker processes)."""
    def total(name: str) -> tuple[int, float]:
        times = {}
        for path in cache.glob(f"{name}-*.json"):
            times.update(json.loads(path.read_text(encoding="utf-8")))
        return len(times), sum(times.values())

    for name, what in (("verify-times", "claims"), ("model-times", "reference models"), ("page-times", "pages (the scan)")):
        count, seconds = total(name)
        print(f"{'  of which ' + what + f' ({count})':44s} {seconds:8.1f}  (wall s inside the workers)")


if __name__ == "__main__":
    sys.exit(main())
