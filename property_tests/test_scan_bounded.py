"""``scan`` never hangs and never reads without bound (issue 28): only regular files, at most
20 MB, read before decoding; extraction linear in the document (bounded look-ahead for every
delimiter); ``--json`` valid whatever the file name; a whole-file time budget
(``--file-time-limit``) on top of the per-statement one; the command on generated documents
exits 0-3 without a traceback, within a time and a peak-memory bound. Documents are generated here."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from derivspec.app.cli import main
from derivspec.scan import runner
from derivspec.scan.extract import MAX_BYTES, ScanError
from derivspec.scan.runner import BUDGET_SPENT, scan_path

pytestmark = pytest.mark.usefixtures("real_time_limits_in_module")  # the limits as a user has them: they are tested

SECONDS = 60  # a generous wall-clock bound for the largest generated document on a loaded 2-core machine


def _cli(*args, timeout=SECONDS):
    done = subprocess.run([sys.executable, "-m", "derivspec", "scan", *args], capture_output=True, timeout=timeout)
    return done.returncode, done.stdout, done.stderr.decode("utf-8", "replace")


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_a_fifo_is_refused_at_once(tmp_path):
    pipe = tmp_path / "pipe.md"
    os.mkfifo(pipe)
    code, _, err = _cli(str(pipe), timeout=20)
    assert code == 2 and "named pipe" in err and len(err.strip().splitlines()) == 1 and "Traceback" not in err


@pytest.mark.parametrize("device", ["/dev/zero", "/dev/urandom"])
def test_a_device_is_refused_at_once(device):
    if not os.path.exists(device):
        pytest.skip(f"{device} absent")
    code, _, err = _cli(device, "--json", timeout=20)
    assert code == 2 and "a device" in err and "Traceback" not in err


def test_a_file_over_the_limit_is_refused_before_it_is_read(tmp_path):
    big = tmp_path / "big.md"
    with open(big, "wb") as handle:
        handle.truncate(MAX_BYTES + 1)  # sparse: nothing is written
    with pytest.raises(ScanError, match="20 MB"):
        scan_path(big, workers=0, known=False, sources=False)


def test_json_is_valid_for_a_file_name_that_is_not_utf8(tmp_path):
    name = os.fsencode(tmp_path) + b"/bad\xffname.md"
    with open(name, "wb") as handle:
        handle.write(b"# t\n\n$$ (a+b)^2 = a^2 + 2ab + b^2 $$\n")
    done = subprocess.run([sys.executable, "-m", "derivspec", "scan", name, "--json"], capture_output=True, timeout=SECONDS)
    assert done.returncode == 0
    data = json.loads(done.stdout.decode("utf-8"))
    assert data["statements"][0]["file"] == "bad\\xffname.md"


UNITS = ["[\n", "<!--c-->\n", "\\[ x\n", "\\( a = b\n\n", "$$ a\n", "\\begin{verbatim}\nx\n", "$a$ and $\n",
         "\\begin{align}\nx &= y \\\\\n", "]\n", "`code $x$`\n", "\\(\n\n", "% \\[\n"]


@settings(max_examples=12, deadline=None, derandomize=True)
@given(st.lists(st.sampled_from(UNITS), min_size=1, max_size=6), st.integers(200, 3000))
def test_repeated_structures_scan_in_bounded_time(tmp_path_factory, units, repeats):
    path = tmp_path_factory.mktemp("fuzz") / "doc.md"
    path.write_text("".join(units) * repeats, encoding="utf-8")
    started = time.perf_counter()
    try:
        scan_path(path, workers=0, known=False, sources=False, seconds=1)
    except ScanError:
        pass  # refused with a one-line reason: fine
    assert time.perf_counter() - started < SECONDS


@pytest.mark.parametrize("unit", ["[\n", "<!--c-->\n", "\\[ x\n", "\\begin{verbatim}\nx\n"])
def test_a_hundred_thousand_lines_of_one_structure_scan_in_bounded_time(tmp_path, unit):
    path = tmp_path / ("doc.tex" if "verbatim" in unit else "doc.md")
    path.write_text(unit * (100_000 // unit.count("\n")), encoding="utf-8")
    started = time.perf_counter()
    scan_path(path, workers=0, known=False, sources=False, seconds=1)
    assert time.perf_counter() - started < SECONDS


# --- the whole-file time budget -------------------------------------------------------------------

def _statements(path, n: int, wrong: bool = False):
    """A Markdown lecture of n display identities, (a+k)^2 expanded -- a wrong one last if asked."""
    rows = [f"$$ (a+{k})^2 = a^2 + {2 * k}a + {k * k} $$\n\n" for k in range(1, n + 1)]
    if wrong:
        rows.append("$$ (a+b)^2 = a^2 + b^2 $$\n")
    path.write_text("# notes\n\n" + "".join(rows), encoding="utf-8")
    return path


def _slow_checks(monkeypatch, seconds: float, only: str | None = None):
    """Every statement (of the file named ``only``) takes ``seconds`` longer to check; forked
    workers inherit the patch."""
    check = runner._check_one

    def slow(index, relational, previous, state):
        if only is None or relational[index].file == only:
            time.sleep(seconds)
        return check(index, relational, previous, state)

    monkeypatch.setattr(runner, "_check_one", slow)


def test_the_file_budget_stops_busy_workers_and_reports_the_rest_unchecked(tmp_path, monkeypatch):
    """Forked workers: every check takes 30 s (within the per-statement limit given); a 1 s budget
    stops them -- the file takes 1 s plus reading, not 3 x 30 s."""
    _slow_checks(monkeypatch, 30)
    path = _statements(tmp_path / "notes.md", 6)
    started = time.monotonic()
    records = scan_path(path, workers=2, seconds=40, file_seconds=1, known=False, sources=False)
    assert time.monotonic() - started < 20  # reading takes well under a second; 20 s on a loaded machine
    assert len(records) == 6
    assert all(r.verdict == "unchecked" and r.reason.startswith(BUDGET_SPENT) and "1 s" in r.reason for r in records)


def test_serially_the_budget_is_looked_at_between_statements(tmp_path, monkeypatch):
    """No workers: statements checked until the budget is spent, the rest unchecked, in order. The first
    statement starts within the 4 s budget (reading takes well under a second) and takes 6 s: after it
    the budget is spent, however fast or busy the machine."""
    _slow_checks(monkeypatch, 6)
    path = _statements(tmp_path / "notes.md", 12)
    records = scan_path(path, workers=0, file_seconds=4, known=False, sources=False)
    spent = [r.reason.startswith(BUDGET_SPENT) for r in records]
    assert len(records) == 12 and spent == sorted(spent)  # checked statements first, then the unchecked rest
    assert spent.count(False) == 1
    assert all(r.verdict == "proved" for r, s in zip(records, spent) if not s)


def test_a_spent_budget_exits_3_and_the_scan_goes_on_with_the_next_file(tmp_path, monkeypatch, capsys):
    """The CLI: the slow file's statements unchecked (budget), the next files checked in full (10 s
    each is ample: reading and checking them takes under 0.5 s on an idle machine); exit 1 when
    something is flagged, else 3 when a budget was spent (an incomplete scan is inconclusive), else 0."""
    _slow_checks(monkeypatch, 60, only="slow.md")
    slow = _statements(tmp_path / "slow.md", 4)
    quick = _statements(tmp_path / "quick.md", 2)
    wrong = _statements(tmp_path / "wrong.md", 0, wrong=True)
    code = main(["scan", str(slow), str(quick), str(wrong), "--json", "--file-time-limit", "10", "--time-limit", "90"])
    out, err = capsys.readouterr()
    files = json.loads(out)["summary"]["files"]
    assert code == 1 and err == ""
    assert files["slow.md"]["unchecked_by_reason"] == {"file time budget": 4}
    assert files["quick.md"]["proved"] == 2 and files["wrong.md"]["flagged"] == 1
    assert main(["scan", str(slow), "--file-time-limit", "1", "--time-limit", "90"]) == 3
    assert main(["scan", str(quick)]) == 0


@pytest.mark.parametrize("value", ["0", "-3", "nan", "1e6", "soon"])
def test_a_bad_file_time_limit_is_bad_usage(capsys, tmp_path, value):
    code = main(["scan", str(_statements(tmp_path / "n.md", 1)), "--file-time-limit", value, "--json"])
    out, err = capsys.readouterr()
    assert code == 2 and out == "" and err.count("\n") == 1 and "--file-time-limit" in err


# --- generated documents through the command: exit code, traceback, time and memory ---------------

FUZZ_BUDGET = 2  # --file-time-limit of each generated document (seconds)
FUZZ_SECONDS = 40
"""Wall-clock bound for one generated document: start-up and reading (~1.5 s here; the documents
are under 0.5 MB, read in linear time) + the 2 s budget + stopping the workers; 40 s is ~8x that,
for a loaded 2-core machine. What it detects: a budget not kept -- the slow statements below
take the whole 1 s --time-limit each, up to 400 of them, 200+ s without the budget -- or a hang."""
FUZZ_PEAK_BYTES = 256 * 2 ** 20
"""Peak resident memory of the scan process or its largest worker (getrusage's ru_maxrss) for a
generated document: the interpreter with SymPy and the registry is ~75 MB, and a scan holds about
20 bytes per byte of document (395 MB for a 19 MB lecture, measured), so these documents need
under 90 MB. 400 MB leaves room for other versions of SymPy and Python while failing an input that
takes memory super-linearly in its size (the issue's documents took gigabytes)."""

FUZZ_UNITS = UNITS + [
    "$$ (a+b)^2 = a^2 + 2ab + b^2 $$\n\n",  # proved
    "$$ (a+b)^2 = a^2 + b^2 $$\n\n",  # flagged
    "$$ \\binom{10^{9}}{5 \\cdot 10^{8}} = 1 $$\n\n",  # takes its whole time limit
    "$$ 2^{2^{2^{2^{2^{9}}}}} = 10^{10^{10}} $$\n\n",  # numbers too large to compute
    "$$ " + "\\frac{1}{" * 40 + "x" + "}" * 40 + " = 1 $$\n\n",  # deep nesting
    "$$ " + "{" * 60 + " x = y\n",  # unbalanced braces
    "\\begin{align}\na &= b \\\\\n&= c \\\\\n&= a\n\\end{align}\n",
    "\\newcommand{\\q}{\\q\\q}\n$$ \\q = 1 $$\n\n",  # a recursive macro
    "\\def\\k#1{#1#1#1#1}\n$$ \\k{\\k{\\k{\\k{\\k{x}}}}} = 2 $$\n\n",  # a macro that multiplies its argument
    "$x = 1$, $y \\approx 2$ and $\\sum_{i=1}^n i = \\frac{n(n+1)}{2}$\n",
    "\\[ \\mathbb{E}[X] = \\int x p(x)\\,dx \\]\n",
    "\x00",  # a binary file: refused, exit 2
]


_MEASURED = """
import resource, subprocess, sys
try:
    code = subprocess.run(sys.argv[3:], timeout=float(sys.argv[2])).returncode
except subprocess.TimeoutExpired:  # killed: a hang
    code = 124
with open(sys.argv[1], "w") as peak:
    peak.write(str(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss))
sys.exit(code)
"""


def _scan_measured(path, *args):
    """``derivspec scan PATH ARGS``: exit code, stdout, stderr, wall seconds, and peak RSS in bytes
    of the scan process or its largest worker. Measured by a small Python parent with
    ``RUSAGE_CHILDREN``: a process started straight from pytest would carry pytest's own peak
    (Linux keeps the high-water mark across exec)."""
    peak_file = tempfile.NamedTemporaryFile(suffix=".peak", delete=False)
    peak_file.close()
    try:
        started = time.monotonic()
        done = subprocess.run([sys.executable, "-c", _MEASURED, peak_file.name, str(4 * FUZZ_SECONDS),
                               sys.executable, "-m", "derivspec", "scan", str(path), *args], capture_output=True)
        seconds = time.monotonic() - started
        with open(peak_file.name) as handle:
            peak = int(handle.read()) * (1 if sys.platform == "darwin" else 1024)  # bytes on macOS, KiB on Linux
    finally:
        os.unlink(peak_file.name)
    return done.returncode, done.stdout, done.stderr.decode("utf-8", "replace"), seconds, peak


@pytest.mark.skipif(sys.platform == "win32", reason="needs resource.getrusage for the peak memory")
@settings(max_examples=6, deadline=None)
@given(st.lists(st.sampled_from(FUZZ_UNITS), min_size=1, max_size=5), st.integers(1, 400),
       st.sampled_from(["md", "tex"]))
def test_generated_documents_exit_0_to_3_within_time_and_memory(tmp_path_factory, units, repeats, suffix):
    path = tmp_path_factory.mktemp("fuzz") / f"doc.{suffix}"
    path.write_text("".join(units) * repeats, encoding="utf-8")
    code, out, err, seconds, peak = _scan_measured(path, "--json", "--time-limit", "1",
                                                   "--file-time-limit", str(FUZZ_BUDGET))
    assert code in (0, 1, 2, 3), (code, err[-500:])
    assert "Traceback" not in err and "internal error" not in err, err[-2000:]
    assert seconds < FUZZ_SECONDS, f"{seconds:.1f} s for {path.stat().st_size} bytes"
    assert peak < FUZZ_PEAK_BYTES, f"peak {peak / 2 ** 20:.0f} MB for {path.stat().st_size} bytes"
    if code == 2:  # refused (binary, empty): one line, nothing on stdout
        assert out == b"" and err.count("\n") == 1 and err.startswith("derivspec: error:")
        return
    data = json.loads(out.decode("utf-8"))
    assert err == "" and {r["verdict"] for r in data["statements"]} <= {"proved", "disagrees", "unchecked"}
    budget_spent = any(r["reason"].startswith(BUDGET_SPENT) for r in data["statements"])
    flagged = data["summary"]["flagged"] > 0
    assert code == (1 if flagged else 3 if budget_spent else 0)
