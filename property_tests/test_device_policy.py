"""Where tensors live when CUDA is present, and how freed memory is kept (reference_models/device.py).

The first GPU run (stop 66, H100) found 19 `gpu` tests failing for one reason: a model built with no
device went to ``auto`` = CUDA while its weights came from a CPU generator, or while the behaviour check
that built it held CPU draws. These tests pretend CUDA is present (``torch.cuda.is_available`` -> True on
a CPU-only torch), so anything still sent to ``auto`` raises here as it did there.
"""

import pytest
import torch

from derivspec.core.registry import REGISTRY
from derivspec.numerics.routes import load
from derivspec.reference_models.autoregressive import MADE, NADE, TabularAR, made_degrees
from derivspec.reference_models.device import as_device, auto_device, make_generator, resolve_device

CPU = torch.device("cpu")


@pytest.fixture
def cuda_present(monkeypatch):
    if torch.cuda.is_available():
        pytest.skip("a real CUDA device: the gpu tests run the real thing")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)


def test_auto_means_cuda_where_it_is_present(cuda_present):
    assert resolve_device("auto").type == "cuda"
    assert as_device(None).type == "cuda"


def test_a_model_drawn_from_a_cpu_generator_lives_on_the_cpu(cuda_present):
    generator = make_generator(0, CPU)
    assert as_device(None, generator) == CPU
    for model in (TabularAR(4, generator), NADE(4, 3, generator),
                  MADE(4, (5, 5), generator, degrees=made_degrees(4, (5, 5), generator))):
        assert {p.device for p in model.parameters()} == {CPU}, type(model).__name__


def test_a_named_device_is_kept_over_the_generators(cuda_present):
    assert as_device("cpu", make_generator(0, CPU)) == CPU
    assert as_device(torch.device("cuda"), make_generator(0, CPU)).type == "cuda"


def test_auto_device_pins_auto_only_inside_its_block(cuda_present):
    with auto_device(CPU):
        assert resolve_device("auto") == CPU
    assert resolve_device("auto").type == "cuda"


@pytest.mark.parametrize("claim_id, name", [
    ("ar.chain-rule", "exact_normalised_likelihood"),          # TabularAR.from_joint, no device
    ("flow.coupling.log-det", "coupling_jacobian_is_block_triangular"),  # resolve_device("auto")
    ("ar.sampling.temperature", "low_temperature_is_greedy"),            # TabularAR, CPU generator
])
def test_a_behaviour_check_runs_beside_its_cpu_draws(cuda_present, claim_id, name):
    load()
    claim = REGISTRY.get(claim_id)
    source = next(s for s in claim.sources if s.behaviour == name)
    holds, evidence = REGISTRY.behaviour(claim_id, name).run(claim, source)
    assert holds, evidence


# --- the allocator policy (reference_models/device.py) ----------------------------------------------


def test_freed_tensor_memory_is_reused_not_mapped_again():
    """After keep_freed_memory, the 4 MiB temporaries of 40 elementwise operations fault their pages in about once,
    not each time (glibc's adaptive defaults hand such blocks back to the kernel: ~80,000 faults measured without it)."""
    import resource

    from derivspec.reference_models.device import keep_freed_memory

    if not keep_freed_memory():
        pytest.skip("the C library has no mallopt (not glibc)")
    x = torch.ones(2**19, dtype=torch.float64)
    pages = x.numel() * x.element_size() // resource.getpagesize()
    float((x * 2 + 1).sum())  # the heap grown once
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    for _ in range(40):
        float((x * 2 + 1).sum())
    assert resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before < 2 * pages
