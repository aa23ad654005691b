"""The share of ``derivspec scan``'s time spent evaluating statements on instances (issue 89).

Scans each document in this process (``scan_path``: every statement is checked, no result cache, no workers) under
cProfile and reports, per document and in total, the scan's CPU seconds and the cumulative seconds inside the
deciders that evaluate a statement on random instances of its types -- finite joint laws
(``scan/probability.py``: ``instances``, ``evaluate``), several random variables (``scan/expectations.py``),
concrete functions (``scan/instances.py``), matrices (``scan/matrices.py``), events on atoms (``scan/events.py``),
entropies on joint pmfs (``scan/discrete_information.py``). A decider called inside another is counted once.

    python benchmarks/instance_share.py DOC.md [DOC.md ...]
"""

from __future__ import annotations

import cProfile
import pstats
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from derivspec.scan.runner import scan_path  # noqa: E402

DECIDERS = (("probability.py", "judge"), ("expectations.py", "judge"), ("instances.py", "judge"),
            ("matrices.py", "compare_on_instances"), ("events.py", "judge"), ("discrete_information.py", "check"))


def decider_seconds(stats: pstats.Stats) -> float:
    """Cumulative seconds of the deciders' entry points, each call counted where no other decider called it."""
    entries = {key for key in stats.stats if any(key[0].endswith("scan/" + module) and key[2] == name
                                                 for module, name in DECIDERS)}
    total = 0.0
    for key in entries:
        _, _, _, cumulative, callers = stats.stats[key]
        outer = {caller: timing for caller, timing in callers.items() if caller not in entries}
        share = sum(timing[3] for timing in outer.values())  # cumulative time of the calls from outside the deciders
        total += share if callers else cumulative
    return total


def main(paths: list[str]) -> int:
    if not paths:
        print(__doc__)
        return 2
    grand_scan = grand_instances = 0.0
    for name in paths:
        profile = cProfile.Profile(time.process_time)  # CPU seconds, as the scan is timed
        started = time.process_time()
        profile.enable()
        records = scan_path(Path(name), workers=0)
        profile.disable()
        seconds = time.process_time() - started
        instances = decider_seconds(pstats.Stats(profile))
        grand_scan, grand_instances = grand_scan + seconds, grand_instances + instances
        print(f"{Path(name).name:60s} {len(records):5d} statements  scan {seconds:7.2f} CPU s  "
              f"instances {instances:6.2f} s ({100 * instances / seconds:4.1f} %)")
    print(f"{'all':60s} {'':17s}scan {grand_scan:7.2f} CPU s  instances {grand_instances:6.2f} s "
          f"({100 * grand_instances / grand_scan:4.1f} %)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
