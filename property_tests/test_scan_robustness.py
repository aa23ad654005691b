"""Faults that hurt in CI (issue 43, point 4): one bad path among good ones is one line on stderr and
spoils nothing; output folders are checked before any work; a file named with a suffix ``scan``
does not read is refused; an unclosed display block is said, not dropped; ``--jobs`` is at least 1;
a file is binary if any part of it is; an OS error on a path is one line; JSON never holds NaN or
Infinity. Every document here is written for these tests."""

from __future__ import annotations

import errno
import json
import os

import pytest

from derivspec.app import paths
from derivspec.app.cli import main
from derivspec.app.output import print_json
from derivspec.core.errors import DerivspecError
from derivspec.scan import extract

FLAWED = "# Sums\n\nAdding: $$3 + 4 = 8$$\n\nand $2 \\cdot 5 = 10$.\n"  # one flag (3 + 4 = 8), one proof
SOUND = "# Squares\n\n$$(a + 1)^2 = a^2 + 2a + 1$$\n"  # proved


def scan(capsys, *argv) -> tuple[int, str, list[str]]:
    """exit code, stdout, stderr lines of ``derivspec scan ARGV --jobs 1``."""
    code = main(["scan", *map(str, argv), "--jobs", "1"])
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    return code, out, err.strip().splitlines() if err.strip() else []


def folder_with_bad_files(root):
    """Two good lectures, a Latin-1 file, a binary file and a Python file in one folder."""
    course = root / "course"
    course.mkdir()
    (course / "a_sums.md").write_text(FLAWED, encoding="utf-8")
    (course / "b_squares.md").write_text(SOUND, encoding="utf-8")
    (course / "c_latin.md").write_bytes("Caf\xe9 au lait: $$1 + 1 = 2$$\n".encode("latin-1"))
    (course / "d_binary.md").write_bytes(b"$$1 + 1 = 3$$\n\x00\x01\x02\x03 image data")
    (course / "e_tool.py").write_text("print('$$2 + 2 = 5$$')\n", encoding="utf-8")
    return course


# --- one bad file spoils nothing -------------------------------------------------------------------

def test_a_folder_with_a_latin1_a_binary_and_a_python_file_reports_the_good_lectures(tmp_path, capsys):
    course = folder_with_bad_files(tmp_path)
    code, out, err = scan(capsys, course, "--json")
    data = json.loads(out)
    assert code == 1, "the good lectures' flag decides the exit code"
    files = {r["file"] for r in data["statements"]}
    assert files == {f"{course.as_posix()}/a_sums.md", f"{course.as_posix()}/b_squares.md"}
    assert data["summary"]["flagged"] == 1 and data["summary"]["refused"] == 2
    assert len(err) == 2 and all(line.startswith("derivspec: error: ") for line in err)
    assert "c_latin.md: not UTF-8" in err[0] and "d_binary.md: a binary file" in err[1]
    assert not any("e_tool.py" in line for line in err + data["summary"]["refused_files"]), \
        "a folder picks only lecture files: the .py is passed over, not refused"


def test_the_text_summary_counts_the_files_not_read(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "160")
    course = folder_with_bad_files(tmp_path)
    code, out, err = scan(capsys, course)
    assert code == 1 and len(err) == 2
    assert out.strip().splitlines()[-1].endswith("; 2 not read")


def test_nothing_readable_is_exit_2_one_line_per_file_and_nothing_on_stdout(tmp_path, capsys):
    latin, binary = tmp_path / "latin.md", tmp_path / "binary.md"
    latin.write_bytes("na\xefve $x$\n".encode("latin-1"))
    binary.write_bytes(b"\x00\x00\x00")
    code, out, err = scan(capsys, latin, binary, "--json")
    assert code == 2 and out == "" and len(err) == 2
    assert "latin.md" in err[0] and "binary.md" in err[1]


def test_a_file_that_cannot_be_read_is_one_line_and_the_others_are_scanned(tmp_path, capsys, monkeypatch):
    """Permission denied and another OS error (simulated: these tests may run as root, who reads anything)."""
    good, secret, broken = tmp_path / "good.md", tmp_path / "secret.md", tmp_path / "broken.md"
    for path in (good, secret, broken):
        path.write_text(FLAWED, encoding="utf-8")
    real = extract.read_text

    def read_text(path):
        if str(path).endswith("secret.md"):
            raise PermissionError(errno.EACCES, "Permission denied", str(path))
        if str(path).endswith("broken.md"):
            raise OSError(errno.EIO, "Input/output error", str(path))
        return real(path)

    monkeypatch.setattr(extract, "read_text", read_text)
    code, out, err = scan(capsys, secret, good, broken, "--json")
    assert code == 1 and [r["file"] for r in json.loads(out)["statements"]] == ["good.md", "good.md"]
    assert len(err) == 2 and "secret.md: permission denied" in err[0]
    assert "broken.md: cannot be read (Input/output error)" in err[1]


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0, reason="root reads a folder without permissions")
def test_a_real_unreadable_folder_is_one_line(tmp_path, capsys):
    good, locked = tmp_path / "good.md", tmp_path / "locked"
    good.write_text(SOUND, encoding="utf-8")
    locked.mkdir()
    (locked / "inside.md").write_text(FLAWED, encoding="utf-8")
    locked.chmod(0)
    try:
        code, _, err = scan(capsys, locked, locked / "inside.md", good)
    finally:
        locked.chmod(0o700)
    assert code == 0 and len(err) == 2 and all("permission denied" in line for line in err)


# --- OS errors on paths -----------------------------------------------------------------------------

def test_an_unreadable_folder_is_one_line_and_the_other_paths_are_scanned(tmp_path, capsys, monkeypatch):
    good, locked = tmp_path / "good.md", tmp_path / "locked"
    good.write_text(FLAWED, encoding="utf-8")
    (locked / "deeper").mkdir(parents=True)
    (locked / "deeper" / "inside.md").write_text(FLAWED, encoding="utf-8")
    real = os.scandir

    def scandir(path="."):  # os.walk lists a folder with os.scandir
        if os.fspath(path).endswith("deeper"):
            raise PermissionError(errno.EACCES, "Permission denied", os.fspath(path))
        return real(path)

    monkeypatch.setattr(os, "scandir", scandir)
    code, out, err = scan(capsys, locked, good, "--json")
    assert code == 1 and {r["file"] for r in json.loads(out)["statements"]} == {"good.md"}
    assert len(err) == 1 and err[0].endswith("deeper: permission denied")
    code, out, err = scan(capsys, locked, "--json")
    assert code == 2 and out == "" and len(err) == 1, "nothing readable: exit 2, the folder's line only"


def test_a_path_longer_than_the_system_allows_is_one_line(tmp_path, capsys):
    good = tmp_path / "good.md"
    good.write_text(SOUND, encoding="utf-8")
    too_long = tmp_path / ("x" * 300 + ".md")  # one name over the 255 bytes a file system allows
    deep = tmp_path.joinpath(*["y" * 200] * 30, "z.md")  # a path over PATH_MAX
    code, _, err = scan(capsys, too_long)
    assert code == 2 and len(err) == 1 and err[0].endswith("the name is longer than the system allows")
    code, out, err = scan(capsys, deep, good, "--json")
    assert code == 0 and json.loads(out)["summary"]["proved"] == 1
    assert len(err) == 1 and "characters): the name is longer than the system allows" in err[0]


# --- output paths checked before any work -----------------------------------------------------------

def test_an_html_folder_under_a_file_is_refused_before_the_scan(tmp_path, capsys, monkeypatch):
    pytest.importorskip("jinja2")
    from derivspec.app import scan as scan_module

    lecture = tmp_path / "lecture.md"
    lecture.write_text(FLAWED, encoding="utf-8")
    monkeypatch.setattr(scan_module, "scan_files", lambda *a, **k: pytest.fail("scanned before the --html check"))
    code, out, err = scan(capsys, lecture, "--html", lecture / "view")
    assert code == 2 and out == "" and len(err) == 1
    assert err[0] == f"derivspec: error: --html {lecture / 'view'}: {lecture} is a file, not a folder"


def test_a_report_folder_under_a_file_is_refused_before_any_work(tmp_path, capsys, monkeypatch):
    from derivspec.app import commands

    taken = tmp_path / "taken"
    taken.write_text("a file", encoding="utf-8")
    monkeypatch.setattr(commands, "require_numeric", lambda *a, **k: pytest.fail("worked before the --out check"))
    code = main(["report", "--out", str(taken / "report"), "--no-numeric", "--no-plots", "--scan"])
    _, err = capsys.readouterr()
    assert code == 2 and err.count("\n") == 1 and "--out" in err and "is a file, not a folder" in err


def test_an_unwritable_output_folder_is_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(paths.os, "access", lambda *a, **k: False)  # as a folder of another user looks
    with pytest.raises(DerivspecError, match="not writable"):
        paths.output_folder(tmp_path / "new", "--out")
    with pytest.raises(DerivspecError, match="not writable"):
        paths.output_file(tmp_path / "result.txt", "--output-file")


def test_output_paths_that_are_fine_pass_and_the_others_name_the_problem(tmp_path):
    assert paths.output_folder(tmp_path / "a" / "b", "--out") == tmp_path / "a" / "b"  # created later
    (tmp_path / "file").write_text("x", encoding="utf-8")
    with pytest.raises(DerivspecError, match="a file, not a folder"):
        paths.output_folder(tmp_path / "file", "--out")
    with pytest.raises(DerivspecError, match="a folder, not a file"):
        paths.output_file(tmp_path, "--output-file")
    with pytest.raises(DerivspecError, match="longer than the system allows"):
        paths.output_folder(tmp_path / ("n" * 300), "--out")
    with pytest.raises(DerivspecError, match="an empty path"):
        paths.output_folder("", "--html")


def test_an_os_error_on_a_path_at_the_top_is_one_line_exit_2(tmp_path, capsys, monkeypatch):
    """What the checks before the work cannot foresee (a disk filling up): one line naming the path."""
    from derivspec.app import commands

    def full(args):
        raise OSError(errno.ENOSPC, "No space left on device", str(tmp_path / "out" / "index.html"))

    monkeypatch.setattr(commands, "run_list", full)
    code = main(["list"])
    _, err = capsys.readouterr()
    assert code == 2 and err == f"derivspec: error: {tmp_path / 'out' / 'index.html'}: no space left\n"


# --- files named explicitly --------------------------------------------------------------------------

def test_a_python_file_named_on_the_command_line_is_refused_in_one_line(tmp_path, capsys):
    tool, good = tmp_path / "tool.py", tmp_path / "good.md"
    tool.write_text("x = 1 + 1  # $$2 + 2 = 5$$\n", encoding="utf-8")
    good.write_text(FLAWED, encoding="utf-8")
    code, out, err = scan(capsys, tool)
    assert code == 2 and out == "" and len(err) == 1 and "tool.py: not a lecture file (scan reads .md" in err[0]
    code, out, err = scan(capsys, tool, good, "--json")
    assert code == 1 and {r["file"] for r in json.loads(out)["statements"]} == {"good.md"} and len(err) == 1


# --- unclosed display blocks --------------------------------------------------------------------------

def test_an_unclosed_display_block_is_a_record_not_read(tmp_path, capsys):
    path = tmp_path / "notes.md"
    path.write_text("Intro.\n\nThe ratio is $$\\frac{a}{b\n\nand then $1 + 2 = 3$.\n", encoding="utf-8")
    code, out, _ = scan(capsys, path, "--json")
    data = json.loads(out)
    unread = [r for r in data["statements"] if r["reason"].startswith("not read")]
    assert code == 0 and len(data["statements"]) == 2
    assert unread == [{**unread[0], "lines": [3, 3], "verdict": "unchecked", "text": "$$\\frac{a}{b",
                       "reason": "not read: unclosed $$ from line 3"}]
    assert data["summary"]["unchecked_by_reason"] == {"not read": 1}


def test_an_unclosed_environment_is_a_record_not_read(tmp_path):
    found: list = []
    extract.extract(tmp_path / "x.tex", text="Text.\n\\begin{align}\n  a &= b + c\n", unclosed=found)
    assert found == [(2, "\\begin{align}", "\\begin{align}")]
    closed: list = []
    extract.extract(tmp_path / "y.md", text="$$a = b$$ and \\begin{align}x &= y\\end{align}\n", unclosed=closed)
    assert closed == []


# --- --jobs --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("jobs", ["0", "-1", "two"])
def test_jobs_below_one_is_one_line_exit_2(tmp_path, capsys, jobs):
    path = tmp_path / "notes.md"
    path.write_text(SOUND, encoding="utf-8")
    code = main(["scan", str(path), "--jobs", jobs])
    out, err = capsys.readouterr()
    assert code == 2 and out == "" and err.count("\n") == 1 and "--jobs" in err and "from 1 to 256" in err


# --- binary anywhere --------------------------------------------------------------------------------------

HEAD = ("We write $x + 1 = 1 + x$ and go on.\n" * 2000).encode("utf-8")  # about 72 KB of text


@pytest.mark.parametrize("tail, says", [(b"\x00" * 40_000, "a NUL byte at offset"),
                                        (bytes(range(1, 9)) * 5_000, "control bytes in the 4096 bytes")])
def test_a_file_that_is_text_for_64_kb_then_binary_is_refused(tmp_path, capsys, tail, says):
    path = tmp_path / "long.md"
    path.write_bytes(HEAD[:65_600] + tail)  # 105 KB: text for its first 64 KB
    with pytest.raises(extract.NotText, match=says):
        extract.read_text(path)
    code, out, err = scan(capsys, path, "--json")
    assert code == 2 and out == "" and len(err) == 1 and "long.md: a binary file" in err[0]


def test_a_binary_part_is_found_wherever_it_is_and_stray_controls_pass():
    text = HEAD
    assert extract.binary_part(text) == ""
    assert extract.binary_part(text + b"\x1b[1mbold\x1b[0m \x0c") == "", "a few escapes and a form feed are text"
    block = bytes(range(1, 9)) * 4  # 32 control bytes
    for at in (0, 2047, 2048 - 16, 50_000, len(text)):  # straddling a window's edge too
        assert extract.binary_part(text[:at] + block + text[at:]), at
    assert extract.binary_part(text[:9_000] + b"\x00" + text[9_000:]) == "a NUL byte at offset 9000"


def test_a_notebook_with_binary_content_in_a_markdown_cell_is_refused(tmp_path):
    path = tmp_path / "n.ipynb"
    source = "$1 + 1 = 2$ " + "\u0001\u0002\u0003" * 20  # JSON escapes: no control byte in the file itself
    path.write_text(json.dumps({"nbformat": 4, "metadata": {}, "cells": [
        {"cell_type": "markdown", "metadata": {}, "source": source}]}), encoding="utf-8")
    assert extract.binary_part(path.read_bytes()) == ""
    with pytest.raises(extract.ScanError, match="binary content in its Markdown cells"):
        extract.load_lecture(path)


# --- JSON never holds NaN or Infinity ---------------------------------------------------------------------

def _strict(text: str):
    def refuse(constant):
        raise ValueError(f"not JSON: {constant}")

    return json.loads(text, parse_constant=refuse)


@pytest.mark.parametrize("form", [["--formula", "1e400"], ["--formula", "10**400 + y"], ["--latex", "10^{400}"]])
def test_check_json_of_a_huge_number_is_valid_json(capsys, form):
    code = main(["check", "nll.gaussian", *form, "--json"])
    out, err = capsys.readouterr()
    data = _strict(out)
    assert code == 1 and data["verdict"] == "not_equivalent", err
    counterexample = data["numeric"]["counterexample"]
    assert counterexample["abs_diff"] is None and "beyond the range of a float" in counterexample["abs_diff_reason"]


def test_print_json_writes_non_finite_floats_as_strings(capsys):
    print_json({"a": float("inf"), "b": [float("-inf"), float("nan")], "c": 1.5})
    assert _strict(capsys.readouterr().out) == {"a": "Infinity", "b": ["-Infinity", "NaN"], "c": 1.5}


def test_the_pre_commit_hook_passes_only_the_suffixes_scan_reads():
    """pre-commit's plain-text and tex types also tag README, LICENSE and .sty: scan would refuse them,
    and a commit of nothing else would fail with exit code 2."""
    import re
    from pathlib import Path

    from derivspec.app.inputs import SUFFIXES

    yaml = pytest.importorskip("yaml")
    (hook,) = yaml.safe_load((Path(__file__).resolve().parents[1] / ".pre-commit-hooks.yaml").read_text())
    files = re.compile(hook["files"])
    assert all(files.search(f"notes/week1{suffix}") for suffix in SUFFIXES + (".MD",))
    assert not any(files.search(name) for name in ("LICENSE", "README", "macros.sty", "tool.py", "notes.md.bak"))
