"""Hypothesis profiles and the ``gpu`` marker.

Profiles: ``dev`` (default: 50 examples) and ``ci`` (selected when CI is set: derandomized,
so a CI run is reproducible, and no deadline, since a shared 2-core runner has noisy timing).
"""

import os

import pytest
import torch
from hypothesis import HealthCheck, settings

# One intra-op thread per test process: pytest-xdist already runs one worker per core, and
# torch's spinning OpenMP threads on an oversubscribed core make small-tensor ops ~100x slower.
torch.set_num_threads(1)

settings.register_profile("dev", max_examples=50, deadline=None)
settings.register_profile("ci", max_examples=50, deadline=None, derandomize=True, print_blob=True,
                          suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI") else "dev"))


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
