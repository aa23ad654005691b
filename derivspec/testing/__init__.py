"""Executable specifications for the user's own code: does *your* function implement the claim?

    from derivspec.testing import conforms, conforms_in_distribution, NonConformance

    conforms("kl.gaussian.univariate", my_kl)                       # a report, or NonConformance
    conforms("kl.gaussian.univariate", kl_logvar,
             args={"m1": "mu1", "lv1": "2*log(sigma1)", "m2": "mu2", "lv2": "2*log(sigma2)"})
    conforms_in_distribution("ddpm.forward.jump", my_q_sample)      # a sampler against a law

``NonConformance`` is an ``AssertionError`` (it fails a pytest test) naming the slip and carrying
a shrunk counterexample. The pytest plugin (:mod:`derivspec.testing.plugin`) adds the ``conform``
fixture and the ``derivspec`` marker. Names load on first use: importing this package imports
neither SymPy, Hypothesis nor torch.
"""

from __future__ import annotations

_EXPORTS = {
    "conforms": "derivspec.testing.conforms",
    "conforms_in_distribution": "derivspec.testing.distribution",
    "NonConformance": "derivspec.testing.errors",
    "ConformanceInconclusive": "derivspec.testing.errors",
    "ConformanceUsageError": "derivspec.testing.errors",
    "ConformanceReport": "derivspec.testing.report",
    "DistributionReport": "derivspec.testing.report",
    "LAWS": "derivspec.testing.laws",
    "law_names": "derivspec.testing.laws",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    if name in _EXPORTS:
        import importlib

        value = getattr(importlib.import_module(_EXPORTS[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'derivspec.testing' has no attribute {name!r}")
