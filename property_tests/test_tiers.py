"""The test tiers and the budget guard (tiers.py), run as CI runs them: pytest itself, in a fresh
process, on a small project written here whose conftest loads the same plugin."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import tiers

HERE = Path(__file__).resolve().parent

CONFTEST = """
import pytest
from tiers import install_guard, sample_files, select_slow_shard
from tiers import pytest_addoption  # noqa: F401

def pytest_configure(config):
    config.addinivalue_line("markers", "slow: slow")
    config.addinivalue_line("markers", "default_tier: kept")
    install_guard(config)

@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config, items):
    sample_files(items, {"test_sampled_file.py": 3})
    select_slow_shard(config, items)
"""

SAMPLED_FILE = """
import pytest

@pytest.mark.parametrize("n", range(30))
def test_one(n):
    pass

@pytest.mark.default_tier
@pytest.mark.parametrize("n", range(30))
def test_kept(n):
    pass
"""

TESTS = """
import time
import pytest
from tiers import sampled

@pytest.mark.parametrize("n", sampled(range(40), every=4))
def test_case(n):
    assert n >= 0

@pytest.mark.slow
def test_marked_slow():
    pass

def test_sleeps():
    time.sleep(0.6)
"""


def run(tmp_path, *args) -> subprocess.CompletedProcess:
    (tmp_path / "conftest.py").write_text(CONFTEST, encoding="utf-8")
    (tmp_path / "test_project.py").write_text(TESTS, encoding="utf-8")
    (tmp_path / "test_sampled_file.py").write_text(SAMPLED_FILE, encoding="utf-8")
    env = {"PYTHONPATH": str(HERE), "PATH": "/usr/bin:/bin"}
    return subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:randomly",
                           "-rN", *args], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)


def collected(done: subprocess.CompletedProcess) -> list[str]:
    return sorted(line.split("::", 1)[1] for line in done.stdout.splitlines() if "::" in line)


def test_a_sampled_sweep_keeps_a_deterministic_sample_and_marks_the_rest_slow():
    first = tiers.sampled(range(40), every=4)
    again = tiers.sampled(range(40), every=4)
    kept = [p.values[0] for p in first if not p.marks]
    assert kept == [p.values[0] for p in again if not p.marks]  # the same sample every time
    assert kept[0] == 0 and 4 <= len(kept) <= 20  # the first case always, about a quarter
    slow = [p for p in first if p.marks]
    assert slow and all(m.name == "slow" for p in slow for m in p.marks)
    assert [p.values[0] for p in tiers.sampled([(1, "a"), (2, "b")], every=1000)] == [1, 2]  # tuples: one value per argument


def test_the_default_tier_leaves_out_the_slow_cases(tmp_path):
    default = collected(run(tmp_path, "--collect-only", "-m", "not slow"))
    everything = collected(run(tmp_path, "--collect-only"))
    assert "test_case[0]" in default and "test_sleeps" in default and "test_marked_slow" not in default
    project = [t for t in everything if not t.startswith(("test_one", "test_kept"))]
    assert len(project) == 42 and 4 < len([t for t in default if t in project]) < 42


def test_the_slow_shards_cover_the_slow_tier_once_beside_the_whole_default_tier(tmp_path):
    default = set(collected(run(tmp_path, "--collect-only", "-m", "not slow")))
    slow = set(collected(run(tmp_path, "--collect-only", "-m", "slow")))
    seen = []
    for k in range(3):
        shard = set(collected(run(tmp_path, "--collect-only", "-m", "slow or not slow", "--slow-shard", f"{k}/3")))
        assert default <= shard  # every shard runs the whole default tier
        seen.extend(shard - default)
    assert sorted(seen) == sorted(slow)  # each slow test in exactly one shard


def test_a_bad_shard_is_a_usage_error(tmp_path):
    done = run(tmp_path, "--collect-only", "--slow-shard", "3/3")
    assert done.returncode == 4 and "K must be in 0..N-1" in done.stderr


def test_the_guard_fails_a_test_over_its_bound_with_one_line(tmp_path):
    done = run(tmp_path, "-m", "not slow", "--budget-per-test", "0.3")
    assert done.returncode == 1, done.stdout
    (line,) = [x for x in done.stdout.splitlines() if x.startswith("test budget:")]
    assert "test_project.py::test_sleeps took" in line and "0.3 s per test" in line
    passed = run(tmp_path, "-m", "not slow", "--budget-per-test", "30", "--budget-total", "60")
    assert passed.returncode == 0 and "test budget" not in passed.stdout
    (kept,) = [x for x in passed.stdout.splitlines() if x.startswith("budget kept:")]  # the margin, in CI's log
    assert " s together of 60 s; the longest, test_project.py::test_sleeps, " in kept and kept.endswith(" of 30 s")


def test_the_guard_fails_a_default_tier_over_its_total(tmp_path):
    done = run(tmp_path, "-m", "not slow", "--budget-total", "0.3")
    assert done.returncode == 1 and "test budget: the default tier's tests took" in done.stdout


def test_the_guard_counts_no_slow_test(tmp_path):
    """A slow test of the shard is not held to the default tier's bound."""
    done = run(tmp_path, "-m", "slow", "-k", "marked_slow", "--budget-per-test", "0.0001", "--budget-total", "0.0001")
    assert done.returncode == 0, done.stdout


def test_the_durations_file_names_each_test_and_its_tier(tmp_path):
    import json

    out = tmp_path / "durations.json"
    run(tmp_path, "-m", "slow or not slow", "-k", "sleeps or marked_slow", "--durations-json", str(out))
    rows = {row["test"].split("::")[1]: row for row in json.loads(out.read_text())}
    assert rows["test_sleeps"]["tier"] == "default" and rows["test_sleeps"]["seconds"] >= 0.6
    assert rows["test_marked_slow"]["tier"] == "slow"


def test_every_file_the_table_samples_exists_and_keeps_some():
    table = tiers.sampled_files()
    assert table, "tiers.toml samples no file"
    missing = [name for name in table if not (HERE / name).is_file()]
    assert not missing, f"tiers.toml names test files that do not exist: {missing}"
    assert all(n >= 2 for n in table.values())


def test_a_sampled_file_keeps_one_in_n_and_every_test_marked_default_tier(tmp_path):
    default = collected(run(tmp_path, "--collect-only", "-m", "not slow", "test_sampled_file.py"))
    ones = [t for t in default if t.startswith("test_one")]
    assert 3 <= len(ones) <= 20  # about a third of 30, by the stable hash
    assert len([t for t in default if t.startswith("test_kept")]) == 30
    slow = collected(run(tmp_path, "--collect-only", "-m", "slow", "test_sampled_file.py"))
    assert sorted(ones + slow) == sorted(f"test_one[{n}]" for n in range(30))


def test_the_cpu_plugin_counts_work_not_waiting(tmp_path):
    """benchmarks/cpu_durations.py: a test that sleeps has wall seconds and almost no CPU; one that computes has
    CPU seconds; test_durations.py reads the file with seconds = CPU."""
    import json

    (tmp_path / "test_work.py").write_text(
        "import time\n\ndef test_sleeps():\n    time.sleep(0.5)\n\n"
        "def test_computes():\n    end = time.process_time() + 0.3\n    while time.process_time() < end:\n        pass\n",
        encoding="utf-8")
    out = tmp_path / "cpu.jsonl"
    env = {"PYTHONPATH": str(HERE.parent / "benchmarks"), "PATH": "/usr/bin:/bin", "CPU_DURATIONS": str(out)}
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "cpu_durations",
                           "test_work.py"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    rows = {json.loads(line)["id"].split("::")[1]: json.loads(line) for line in out.read_text().splitlines()}
    assert rows["test_sleeps"]["wall"] >= 0.5 and rows["test_sleeps"]["cpu"] < 0.2
    assert rows["test_computes"]["cpu"] >= 0.3
    sys.path.insert(0, str(HERE.parent / "benchmarks"))
    import test_durations

    read = {row["test"].split("::")[1]: row["seconds"] for row in test_durations.read(out)}
    assert read["test_computes"] >= 0.3 > read["test_sleeps"]


def test_the_slowest_tests_are_listed_with_what_each_proves_and_where_each_is_now(tmp_path, capsys):
    """benchmarks/test_durations.py --where: each of the slowest tests of the earlier run with its docstring's first
    sentence (else its name in words) and the later runs it appears in ("gone" where none has it)."""
    import json

    sys.path.insert(0, str(HERE.parent / "benchmarks"))
    import test_durations

    this = "property_tests/test_tiers.py"
    tests = {"documented": f"{this}::test_the_cpu_plugin_counts_work_not_waiting",
             "named": f"{this}::test_a_bad_shard_is_a_usage_error", "deleted": f"{this}::test_no_longer_here"}
    before, after = tmp_path / "before.jsonl", tmp_path / "after.jsonl"
    before.write_text("".join(json.dumps({"id": test, "wall": 9.0, "cpu": seconds, "child": 0.0}) + "\n"
                              for test, seconds in zip(tests.values(), (3.0, 2.0, 1.0))), encoding="utf-8")
    after.write_text(json.dumps({"id": tests["named"], "wall": 1.0, "cpu": 1.0, "child": 0.0}) + "\n", encoding="utf-8")
    assert test_durations.main(["--from", str(before), "--where", f"slow={after}"]) == 0
    printed = capsys.readouterr().out
    listing = printed.split("where each is now\n")[1].splitlines()
    per_file = printed.split("where the tests of the earlier run are now (gone / slow)\n")[1].splitlines()
    assert per_file[0].split() == ["2", "/", "1", this]
    assert "gone" in listing[0] and "the_cpu_plugin" in listing[0]
    assert listing[1].strip().startswith("benchmarks/cpu_durations.py: a test that sleeps has wall seconds")
    assert "slow" in listing[2] and listing[3].strip() == "a bad shard is a usage error"
    assert "gone" in listing[4] and listing[5].strip() == "no longer here"
    with pytest.raises(SystemExit):
        test_durations.main(["--from", str(before), "--where", str(after)])
