"""A function of ``jax.numpy`` arrays conforms like a NumPy one (issue 81): handed NumPy arrays it returns
jax arrays, judged at the accuracy of their type (float32 unless jax's x64 mode is on). User-style code
written for this test; skipped, saying why, where jax is not installed."""

from __future__ import annotations

import types

import pytest

from derivspec.testing import NonConformance, conforms

pytest.importorskip("jax", reason="jax is not installed: a CPU jax comes with the test extra (pip install 'jax[cpu]')")

JAX_CODE = '''
import jax.numpy as jnp


def kl(mu1, sigma1, mu2, sigma2):
    return jnp.log(sigma2 / sigma1) + (sigma1**2 + (mu1 - mu2) ** 2) / (2 * sigma2**2) - 0.5


def kl_swapped(mu1, sigma1, mu2, sigma2):
    return jnp.log(sigma1 / sigma2) + (sigma2**2 + (mu1 - mu2) ** 2) / (2 * sigma1**2) - 0.5


def bce_with_logits(y, z):
    return jnp.logaddexp(0.0, z) - y * z
'''


@pytest.fixture(scope="module")
def jax_module():
    module = types.ModuleType("user_jax_losses")
    exec(compile(JAX_CODE, "user_jax_losses.py", "exec"), module.__dict__)
    return module


def test_a_jax_function_conforms(jax_module):
    report = conforms("kl.gaussian.univariate", jax_module.kl, max_examples=20)
    assert report.dtype == "float32" and report.called.startswith("NumPy arrays, batched")
    assert conforms("nll.bernoulli.logits", jax_module.bce_with_logits, max_examples=20).conforms


def test_a_wrong_jax_function_is_named(jax_module):
    with pytest.raises(NonConformance) as caught:
        conforms("kl.gaussian.univariate", jax_module.kl_swapped, max_examples=40)
    assert caught.value.slip == "arguments swapped (KL(q||p))"
