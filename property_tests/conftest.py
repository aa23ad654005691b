"""Hypothesis profiles, the numeric policy and the ``gpu`` marker.

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


def pytest_collection_modifyitems(config, items):
    if torch.cuda.is_available():
        return
    skip_gpu = pytest.mark.skip(reason="needs CUDA")
    for item in items:
        if "gpu" in item.keywords:
            item.add_marker(skip_gpu)
