"""A pytest plugin that records each test's CPU seconds, for before / after tables on a busy machine (issue 79).

pytest's durations are wall seconds: on a machine shared with other work they grow with the load. This plugin
writes, per test (setup + call + teardown), the wall seconds, the CPU seconds of the process that ran it (every
thread) and of the child processes it waited for, as JSON lines. It loads into any checkout, an old commit's too:

    CPU_DURATIONS=/tmp/before.jsonl PYTHONPATH=/path/to/benchmarks bash scripts/test.sh -p cpu_durations
    python benchmarks/test_durations.py --from /tmp/after.jsonl --compare /tmp/before.jsonl

(``test_durations.py`` reads such a file with seconds = CPU of the process + its children.)
"""

from __future__ import annotations

import json
import os
import resource
import time

import pytest

PATH = os.environ.get("CPU_DURATIONS", "cpu-durations.jsonl")


def _children() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item, nextitem):
    children, cpu, wall = _children(), time.process_time(), time.perf_counter()
    yield
    record = {"id": item.nodeid, "wall": time.perf_counter() - wall, "cpu": time.process_time() - cpu,
              "child": _children() - children}
    with open(PATH, "a", encoding="utf-8") as out:  # one line per test: workers append side by side
        out.write(json.dumps(record) + "\n")
