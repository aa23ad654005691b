"""``scan`` never hangs and never reads without bound (issue 28): only regular files, at most
20 MB, read before decoding; extraction linear in the document (bounded look-ahead for every
delimiter); ``--json`` valid whatever the file name. Documents are generated here."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from derivspec.scan.extract import MAX_BYTES, ScanError
from derivspec.scan.runner import scan_path

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
