"""The test tiers and the guard that keeps the default tier inside its budget (docs/contributing.md).

* default tier: everything not marked ``slow`` (the README's ``bash scripts/test.sh``);
* ``slow``: the rest (``bash scripts/test.sh -m slow``);
* a shard of ``slow`` beside the default tier: ``--slow-shard K/N`` runs the default tier and the
  slow tests whose stable hash (CRC-32 of the test id) is K modulo N. ``.ci/run`` picks K from the
  commit, so every slow test runs within N landings;
* sweeps: :func:`sampled` keeps a deterministic sample of a parametrized sweep in the default tier
  and marks the rest ``slow``;
* whole files: ``tiers.toml`` (data) names the test files of many independent, expensive cases
  (documents scanned, claims verified) and keeps one test in N of each in the default tier, by
  the same stable hash; a test marked ``default_tier`` always stays (a soundness case the sample
  must not drop).

The guard (``--budget-per-test S``, ``--budget-total S``; ``.ci/run`` sets both): after the run,
a default-tier test whose setup + call + teardown took longer than S seconds, or a default tier
whose tests took more than S seconds together (summed over workers, from pytest's own
durations), fails the run with one line naming it. ``--durations-json PATH`` writes every test's
time (the input of ``benchmarks/test_durations.py``).
"""

from __future__ import annotations

import json
import tomllib
import zlib
from collections import defaultdict
from pathlib import Path

import pytest


def stable_hash(text: str) -> int:
    """The same number on every machine and run (Python's own ``hash`` of a str is salted)."""
    return zlib.crc32(text.encode("utf-8"))


def sampled(params, every: int = 8, *, keep=()):
    """A parametrized sweep with a deterministic sample in the default tier, the whole under ``slow``.

    ``params`` are values, tuples of values (one per argument) or ``pytest.param`` objects; a case stays in the default tier when the
    CRC-32 of its id is 0 modulo ``every``, when its id is in ``keep``, and the first case always
    does (so the sample is never empty); the others are marked ``slow``.
    """
    out = []
    for index, param in enumerate(params):
        if not isinstance(param, type(pytest.param(None))):
            param = pytest.param(*param) if isinstance(param, tuple) else pytest.param(param)
        ident = param.id if param.id is not None else "-".join(map(str, param.values))
        if index == 0 or ident in keep or stable_hash(ident) % every == 0:
            out.append(param)
        else:
            out.append(pytest.param(*param.values, id=param.id, marks=(*param.marks, pytest.mark.slow)))
    return out


TABLE = Path(__file__).with_name("tiers.toml")


def sampled_files() -> dict[str, int]:
    """test file name -> N (one test in N stays in the default tier)."""
    table = tomllib.loads(TABLE.read_text(encoding="utf-8"))
    return {name: int(every) for name, every in table.get("sampled", {}).items()}


def sample_files(items, every: dict[str, int] | None = None) -> None:
    """Mark ``slow`` the tests of the files in tiers.toml (or ``every``) that fall outside their file's sample."""
    every = sampled_files() if every is None else every
    for item in items:
        n = every.get(Path(item.nodeid.split("::")[0]).name)
        if (n and "slow" not in item.keywords and item.get_closest_marker("default_tier") is None
                and stable_hash(item.nodeid) % n != 0):
            item.add_marker(pytest.mark.slow)


def pytest_addoption(parser):
    group = parser.getgroup("derivspec tiers")
    group.addoption("--slow-shard", metavar="K/N", default=None,
                    help="run the default tier and the K-th of N deterministic shards of the slow tier")
    group.addoption("--budget-per-test", type=float, default=None, metavar="S",
                    help="fail when a default-tier test takes longer than S seconds")
    group.addoption("--budget-total", type=float, default=None, metavar="S",
                    help="fail when the default tier's tests take more than S seconds together")
    group.addoption("--durations-json", default=None, metavar="PATH",
                    help="write each test's seconds (setup + call + teardown) and tier to PATH")


def _shard(config):
    value = config.getoption("--slow-shard")
    if not value:
        return None
    try:
        k, n = (int(part) for part in value.split("/"))
    except ValueError:
        raise pytest.UsageError(f"--slow-shard takes K/N (two integers, 0 <= K < N), not {value!r}")
    if not 0 <= k < n:
        raise pytest.UsageError(f"--slow-shard {value}: K must be in 0..N-1")
    return k, n


def select_slow_shard(config, items):
    """Under ``--slow-shard K/N``: keep the default tier and slow tests in shard K (the caller passes
    ``-m 'slow or not slow'`` so that the marker expression keeps both)."""
    shard = _shard(config)
    if shard is None:
        return
    k, n = shard
    keep, drop = [], []
    for item in items:
        in_shard = "slow" not in item.keywords or stable_hash(item.nodeid) % n == k
        (keep if in_shard else drop).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


class DurationGuard:
    """Sums each test's phases as the reports arrive (on the controller under xdist)."""

    def __init__(self, config):
        self.config = config
        self.seconds = defaultdict(float)
        self.slow = set()

    def pytest_runtest_logreport(self, report):
        self.seconds[report.nodeid] += report.duration
        if "slow" in report.keywords:
            self.slow.add(report.nodeid)

    def problems(self) -> list[str]:
        per_test = self.config.getoption("--budget-per-test")
        total_budget = self.config.getoption("--budget-total")
        default = {t: s for t, s in self.seconds.items() if t not in self.slow}
        found = []
        if per_test is not None:
            over = sorted(((s, t) for t, s in default.items() if s > per_test), reverse=True)
            if over:
                s, t = over[0]
                more = f" (and {len(over) - 1} more)" if len(over) > 1 else ""
                found.append(f"test budget: {t} took {s:.1f} s, over the default tier's {per_test:g} s per test{more}"
                             " -- make it cheaper or mark it slow (docs/contributing.md)")
        if total_budget is not None and sum(default.values()) > total_budget:
            found.append(f"test budget: the default tier's tests took {sum(default.values()):.0f} s together, over its "
                         f"{total_budget:g} s (docs/contributing.md)")
        return found

    def pytest_sessionfinish(self, session, exitstatus):
        path = self.config.getoption("--durations-json")
        if path:
            rows = [{"test": t, "seconds": round(s, 3), "tier": "slow" if t in self.slow else "default"}
                    for t, s in sorted(self.seconds.items())]
            with open(path, "w", encoding="utf-8") as handle:
                json.dump(rows, handle, indent=0)
        self.found = self.problems()
        if self.found and session.exitstatus == 0:
            session.exitstatus = 1

    def margin(self) -> str | None:
        """One line on a run within its budget: how much of it the default tier used (CI's log shows the margin)."""
        per_test = self.config.getoption("--budget-per-test")
        total_budget = self.config.getoption("--budget-total")
        default = {t: s for t, s in self.seconds.items() if t not in self.slow}
        if (per_test is None and total_budget is None) or not default:
            return None
        seconds, test = max((s, t) for t, s in default.items())
        return (f"budget kept: the default tier's tests took {sum(default.values()):.0f} s together"
                + (f" of {total_budget:g} s" if total_budget is not None else "")
                + f"; the longest, {test}, {seconds:.1f} s" + (f" of {per_test:g} s" if per_test is not None else ""))

    def pytest_terminal_summary(self, terminalreporter):
        for line in getattr(self, "found", []):
            terminalreporter.write_line(line, red=True, bold=True)
        if not getattr(self, "found", []) and (line := self.margin()):
            terminalreporter.write_line(line)


def install_guard(config):
    if hasattr(config, "workerinput"):  # an xdist worker: the controller sees every report
        return
    config.pluginmanager.register(DurationGuard(config), "derivspec-duration-guard")


# --- as a plugin (the root conftest.py loads it: ``pytest_plugins = ["tiers"]``) ---------------------------

def pytest_configure(config):
    install_guard(config)


@pytest.hookimpl(tryfirst=True)  # before the marker expression (-m) deselects
def pytest_collection_modifyitems(config, items):
    sample_files(items)
    select_slow_shard(config, items)
