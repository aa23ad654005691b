"""Hypothesis profiles, the numeric policy and the ``gpu`` marker (the test tiers: tiers.py, a plugin the
repository's root conftest.py loads).

Profiles (``HYPOTHESIS_PROFILE``):

* ``deterministic`` (the default: ``scripts/test.sh``, CI): derandomized -- every run draws the
  same examples, so a fresh clone is green or red the same way every time -- with no example
  database (nothing replays from ``.hypothesis/``) and no deadline (a shared 2-core runner has
  noisy timing);
* ``explore``: random examples, four times as many, failures kept in ``.hypothesis/`` and
  replayed first. Run it to look for new counterexamples:
  ``HYPOTHESIS_PROFILE=explore .venv/bin/python -m pytest -n 2``.
"""

import os

import pytest
import torch
from hypothesis import HealthCheck, settings

from derivspec.reference_models.device import apply_numeric_policy

# Every time limit × 5 (derivspec/core/limits.py): what a test asserts about scan and check must not
# depend on a statement being checked within 8 s on a busy machine. Tests of the limits themselves
# use the ``real_time_limits`` fixture and a computation that cannot finish. Subprocesses inherit it.
os.environ.setdefault("DERIVSPEC_TIME_SCALE", "5")

# The numeric policy (TF32 off) and one intra-op thread per test process: pytest-xdist already runs
# one worker per core, and torch's spinning OpenMP threads on an oversubscribed core make
# small-tensor ops ~100x slower.
apply_numeric_policy()

settings.register_profile("deterministic", max_examples=50, deadline=None, derandomize=True, database=None,
                          print_blob=True, suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("explore", max_examples=200, deadline=None, print_blob=True,
                          suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "deterministic"))


@pytest.fixture(autouse=True)
def torch_defaults_are_left_alone():
    """A test module that changes torch's default dtype must restore it (a leaked float64 default
    changes every later model in the same worker)."""
    before = torch.get_default_dtype()
    yield
    assert torch.get_default_dtype() == before, "the test changed torch's default dtype and left it changed"


@pytest.fixture(autouse=True)
def time_limits_are_left_alone():
    """A test must leave no SymPy time limit in force (derivspec.core.symbolic): a deadline left behind
    makes every later check in the same worker time out at once."""
    from derivspec.core import symbolic

    yield
    left, symbolic._DEADLINES[:] = list(symbolic._DEADLINES), []
    assert not left, "the test left a SymPy time limit in force"


@pytest.fixture
def real_time_limits(monkeypatch):
    """The limits as a user gets them (scale 1), for the tests that check a limit is kept."""
    monkeypatch.setenv("DERIVSPEC_TIME_SCALE", "1")


@pytest.fixture(scope="module")
def real_time_limits_in_module():
    """:func:`real_time_limits` for a whole module (Hypothesis tests cannot take function-scoped
    fixtures): ``pytestmark = pytest.mark.usefixtures("real_time_limits_in_module")``."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DERIVSPEC_TIME_SCALE", "1")
        yield


@pytest.fixture(autouse=True)
def scan_cache_per_test(tmp_path_factory, monkeypatch):
    """Each test's scans keep their result cache (derivspec.app.scan_cache) in a folder of their own:
    nothing is written into the working tree, and no test is answered from another's results."""
    monkeypatch.setenv("DERIVSPEC_SCAN_CACHE_DIR", str(tmp_path_factory.mktemp("scan-cache")))


@pytest.fixture(scope="module")
def browser_page(tmp_path_factory):
    """A headless Chromium page for a browser test module, with a fresh profile folder (a fresh
    --user-data-dir): test_report_browser.chromium_page, which skips where there is no Chromium."""
    from test_report_browser import chromium_page

    with chromium_page(tmp_path_factory.mktemp("chromium-profile")) as page:
        yield page


def pytest_collection_modifyitems(config, items):
    if torch.cuda.is_available():
        return
    skip_gpu = pytest.mark.skip(reason="needs CUDA")
    for item in items:
        if "gpu" in item.keywords:
            item.add_marker(skip_gpu)


@pytest.fixture(scope="session")
def package_index(tmp_path_factory):
    """The package index pip is configured with answers (a metadata-only resolution of ``rich``,
    30 s at most). The light-install and pre-commit tests install from it as a user would: where it
    cannot be reached they skip with the reason -- except under CI (``CI`` set), where the index is
    part of the job and an unreachable one is a failure, never a silent skip."""
    import subprocess
    import sys

    folder = tmp_path_factory.mktemp("index-probe")
    try:
        done = subprocess.run([sys.executable, "-m", "pip", "install", "--dry-run", "--quiet", "--no-deps",
                               "--ignore-installed", "--disable-pip-version-check", "--target", str(folder), "rich"],
                              capture_output=True, text=True, timeout=30)
        problem = "" if done.returncode == 0 else (done.stderr.strip().splitlines() or ["pip failed"])[-1]
    except subprocess.TimeoutExpired:
        problem = "no answer in 30 s"
    if problem:
        message = f"the package index cannot be reached ({problem[:200]})"
        if os.environ.get("CI"):
            pytest.fail(message + " -- CI must reach it")
        pytest.skip(message)


@pytest.fixture
def p_and_q_declared_densities():
    """Statements read alone, as in a document that calls p, q (and P, Q, π, p_r, p_g) distributions: the
    document's scope says which names are densities (scan/scope.py); tests that read statements without a
    document declare theirs with ``pytestmark = pytest.mark.usefixtures("p_and_q_declared_densities")``."""
    from derivspec.scan import scope

    with scope.densities(frozenset({"p", "q", r"\pi", "p_r", "p_g"})):
        yield
