"""The pytest plugin (entry point ``pytest11``, name ``derivspec``): conformance tests beside a
course's own tests.

    import pytest

    def test_my_kl(conform):
        conform("kl.gaussian.univariate", student.kl)

    @pytest.mark.derivspec("ddpm.marginal.mean", args={"x0": "x0", "abar": "alpha_t*alpha_bar_prev"})
    def test_my_mean(conform):
        conform(student.q_mean)                      # the marker's claim and options

    def test_my_sampler(conform):
        conform.law("ddpm.forward.jump", student.q_sample)

``conform(...)`` is :func:`derivspec.testing.conforms` (a report, or NonConformance -- an
AssertionError, so the test fails with the slip named and the shrunk counterexample);
``conform.law(...)`` is :func:`derivspec.testing.conforms_in_distribution`. The marker
``derivspec(claim, **options)`` gives the claim (or ``law=``) and default options, and selects
conformance tests (``pytest -m derivspec``).

Loading the plugin imports neither Hypothesis, SymPy nor torch: they load when a conformance test runs.
"""

from __future__ import annotations

import pytest

MARKER = ("derivspec(claim=None, *, law=None, **options): a conformance test of the user's code against a "
          "derivspec claim (or law); its options (args, conventions, wrt, seed, max_examples) are the defaults "
          "of the conform fixture")


def pytest_configure(config):
    config.addinivalue_line("markers", MARKER)


class Conform:
    """The ``conform`` fixture: call it with ``(claim, fn, **options)``, or ``(fn, **options)`` under a
    ``derivspec`` marker that names the claim; ``.law(law, sampler, **options)`` for samplers."""

    def __init__(self, marker=None):
        self.claim = None
        self.law_name = None
        self.options = {}
        if marker is not None:
            if marker.args:
                self.claim = marker.args[0]
            options = dict(marker.kwargs)
            self.claim = options.pop("claim", self.claim)
            self.law_name = options.pop("law", None)
            self.options = options

    def __call__(self, *args, **options):
        from derivspec.testing import conforms

        if len(args) == 2:
            claim, fn = args
        elif len(args) == 1 and self.claim is not None:
            claim, fn = self.claim, args[0]
        elif len(args) == 1 and self.law_name is not None:
            return self.law(self.law_name, args[0], **options)
        else:
            raise TypeError("conform(claim, fn, **options), or conform(fn) under @pytest.mark.derivspec(claim)")
        return conforms(claim, fn, **{**self.options, **options})

    def law(self, law, sampler, **options):
        from derivspec.testing import conforms_in_distribution

        return conforms_in_distribution(law, sampler, **{**self.options, **options})


@pytest.fixture
def conform(request) -> Conform:
    """Check the user's function against a derivspec claim (see :class:`Conform`)."""
    return Conform(request.node.get_closest_marker("derivspec"))
