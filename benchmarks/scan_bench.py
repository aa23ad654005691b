"""How long ``derivspec scan`` takes on the longest seed (issue 15: <= 30 s on 2 cores).

Runs the command as a user would (``python -m derivspec scan FILE --json``) pinned to two CPU
cores, twice: with an empty cache (the registry's source statuses and the recognisable claims
are computed) and with the cache that run left (the usual case). The per-file result cache is
off (``--no-cache``): both runs check every statement (benchmarks/scan_cache_bench.py measures
that cache). Prints wall-clock seconds and the scan's summary.

    python benchmarks/scan_bench.py                    # seed 004 (5,669 lines)
    python benchmarks/scan_bench.py FILE...            # other files
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SEED_004 = ROOT.parent / "shared" / "seeds" / "004_ac0a1d509ce21c57.txt"
CORES = 2


def pin_to_two_cores() -> None:
    try:
        available = sorted(os.sched_getaffinity(0))
        os.sched_setaffinity(0, available[:CORES])
    except (AttributeError, OSError):
        pass


def run(path: Path, cache: str) -> tuple[float, dict]:
    env = dict(os.environ, DERIVSPEC_CACHE_DIR=cache)  # the claims' evidence cache; --no-cache: no result cache
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "derivspec", "scan", str(path), "--json", "--no-cache",
                           "--jobs", str(CORES)], capture_output=True, text=True, env=env,
                          preexec_fn=pin_to_two_cores, timeout=600)
    seconds = time.perf_counter() - started
    if done.returncode not in (0, 1):
        raise SystemExit(f"scan failed ({done.returncode}): {done.stderr.strip()}")
    return seconds, json.loads(done.stdout)["summary"]


def main(argv: list[str]) -> int:
    paths = [Path(p) for p in argv] or [SEED_004]
    for path in paths:
        if not path.is_file():
            print(f"scan_bench: {path} not found", file=sys.stderr)
            return 2
        lines = path.read_text(encoding="utf-8").count("\n")
        with tempfile.TemporaryDirectory(prefix="derivspec-cache-") as cache:
            cold, summary = run(path, cache)
            warm, _ = run(path, cache)
        print(f"{path.name}: {lines} lines, {summary['statements']} statements "
              f"({summary['checked']} checked, {summary['flagged']} flagged) on {CORES} cores: "
              f"{cold:.1f} s with an empty cache, {warm:.1f} s with the cache")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
