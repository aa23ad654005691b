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


MAX_LINES = 15  # a failure's report: where in the test, then the kit's message (claim, slip, counterexample, ...)


class ConformanceFailureRepr:
    """A failed conformance test as pytest shows it: the test's line and the NonConformance message,
    without the kit's own source; ``reprcrash.message`` (the ``-q`` summary) leads with the slip."""

    def __init__(self, failure, path: str, lineno: int, source: str):
        lines = str(failure).splitlines()
        self.lines = [f"{path}:{lineno}: {source}".rstrip(), *lines][:MAX_LINES]
        what = failure.slip or (f"{', '.join(f'{k}={v}' for k, v in failure.convention.items())}"
                                if failure.convention else failure.kind)
        self.reprcrash = _Crash(path, lineno, f"{what} -- {lines[0] if lines else ''}")

    def toterminal(self, tw) -> None:
        for line in self.lines:
            tw.line(line, red=line is self.lines[1] if len(self.lines) > 1 else False)

    def __str__(self) -> str:
        return "\n".join(self.lines)


class _Crash:
    def __init__(self, path: str, lineno: int, message: str):
        self.path, self.lineno, self.message = path, lineno, message


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    excinfo = call.excinfo
    if excinfo is None or not report.failed or type(excinfo.value).__name__ != "NonConformance" \
            or type(excinfo.value).__module__ != "derivspec.testing.errors":
        return
    path, lineno, source = str(getattr(item, "path", item.fspath)), 0, ""
    for entry in excinfo.traceback:  # the last frame in the test's own file: the conform(...) call
        if str(entry.path) == path:
            lineno, source = entry.lineno + 1, str(entry.statement).strip().splitlines()[0]
    report.longrepr = ConformanceFailureRepr(excinfo.value, item.nodeid.split("::")[0], lineno, source)


@pytest.fixture
def conform(request) -> Conform:
    """Check the user's function against a derivspec claim (see :class:`Conform`)."""
    return Conform(request.node.get_closest_marker("derivspec"))
