"""Text output fits the terminal: every line of `list`, `show`, `check`, `verify`, `errata`, `scan`
and `run --list` within COLUMNS (60, 80, 120) display cells, with the information still there (ids,
verdicts); `scan --quiet` prints the summary lines and the flags only; `show` and `check` draw
formulas with sympy.pretty (ASCII when stdout cannot encode unicode)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from rich.cells import cell_len

from derivspec.app.cli import main

ROOT = Path(__file__).resolve().parents[1]
LECTURE = """# Notes written for this test

The KL divergence between two Gaussians:
$$\\mathrm{KL}(\\mathcal N(\\mu_1,\\sigma_1^2)\\,\\|\\,\\mathcal N(\\mu_2,\\sigma_2^2))
 = \\log\\frac{\\sigma_2}{\\sigma_1}
 + \\frac{\\sigma_1^2 + (\\mu_1-\\mu_2)^2}{\\sigma_2^2} - \\frac12$$

A square that holds:
$$ (a+b)^2 = a^2 + 2ab + b^2 $$

A square that does not:
$$ (a-b)^2 = a^2 + b^2 $$
"""


def _run(monkeypatch, capsys, columns: int, *argv) -> tuple[int, str]:
    monkeypatch.setenv("COLUMNS", str(columns))
    capsys.readouterr()
    code = main(list(argv))
    return code, capsys.readouterr().out


def _fits(out: str, columns: int) -> None:
    long = [line for line in out.splitlines() if cell_len(line) > columns]
    assert not long, f"{len(long)} lines over {columns} columns, e.g. {long[0]!r}"


@pytest.fixture
def lecture(tmp_path) -> Path:
    path = tmp_path / "notes.md"
    path.write_text(LECTURE, encoding="utf-8")
    return path


@pytest.mark.parametrize("columns", [60, 80, 120])
def test_list_fits_and_names_every_claim(monkeypatch, capsys, columns):
    from derivspec.core import registry

    code, out = _run(monkeypatch, capsys, columns, "list")
    assert code == 0
    _fits(out, columns)
    for claim_id in registry.REGISTRY.ids():
        assert claim_id in out, claim_id  # whole: an id is never broken across lines


@pytest.mark.parametrize("columns", [60, 80, 120])
def test_scan_fits_and_keeps_locations_verdicts_claims(monkeypatch, capsys, lecture, columns):
    code, out = _run(monkeypatch, capsys, columns, "scan", str(lecture))
    _, data = _run(monkeypatch, capsys, columns, "scan", str(lecture), "--json")
    records = json.loads(data)["statements"]
    assert code == 1 and any(r["verdict"] == "disagrees" for r in records)
    _fits(out, columns)
    words = out.split()
    for r in records:
        first = r["lines"][0]  # line:col, after the path in the blocks (path:line:col:), alone in the table
        assert any(re.fullmatch(rf"(?:.*:)?{first}:\d+:?", word) for word in words), first
        if r.get("claim"):
            assert r["claim"] in out
    for verdict in {r["verdict"] for r in records}:
        assert verdict in out


@pytest.mark.parametrize("columns", [60, 80])
def test_scan_quiet_prints_the_summary_and_the_flags_only(monkeypatch, capsys, lecture, columns):
    monkeypatch.chdir(lecture.parent)  # rows name the file by its path from the working directory
    code, out = _run(monkeypatch, capsys, columns, "scan", "-q", str(lecture))
    _, data = _run(monkeypatch, capsys, columns, "scan", str(lecture), "--json")
    records = json.loads(data)["statements"]
    flags = [r for r in records if r["verdict"] == "disagrees"]
    assert code == 1 and flags and len(flags) < len(records)
    _fits(out, columns)
    lines = out.splitlines()
    assert lines[0].startswith("notes.md: ") and "flagged" in lines[0]
    heads = [line for line in lines if re.match(r"notes\.md:\d+:\d+: DS00\d ", line)]
    assert len(heads) == len(flags)  # one row per flag (path:line:col: CODE message), nothing for what holds
    for r in flags:
        assert r["claim"] is None or r["claim"] in out
        if r.get("correct"):
            assert "correct:" in out
        assert "counterexample:" in out
    assert "proved" not in out and "statements:" not in out.splitlines()[-1]  # no table, no total line
    assert all(line.startswith(("notes.md", "  ")) for line in lines)


@pytest.mark.parametrize("columns", [60, 80, 120])
def test_check_and_show_fit_and_draw_formulas(monkeypatch, capsys, columns):
    code, out = _run(monkeypatch, capsys, columns, "check", "kl.gaussian.univariate", "--formula",
                     "log(sigma2/sigma1) + (sigma1**2 + (mu1-mu2)**2)/(sigma2**2) - 1/2")
    assert code == 1 and "kl.gaussian.univariate: not_equivalent" in out
    _fits(out, columns)
    assert "**" not in out  # drawn, not SymPy's str()
    code, out = _run(monkeypatch, capsys, columns, "show", "ddpm.posterior.mean")
    assert code == 0 and "derivation:" in out and "sources:" in out
    _fits(out, columns)
    assert "**" not in out.split("sources:")[0]


def test_check_json_is_unchanged_by_the_drawing(monkeypatch, capsys):
    code, out = _run(monkeypatch, capsys, 60, "check", "nll.gaussian", "--latex", r"\frac{(y-\mu)^2}{\sigma^2}",
                     "--json")
    result = json.loads(out)
    assert code == 1 and result["parsed"] == "(-mu + y)**2/sigma**2"


def test_formulas_are_ascii_when_stdout_is_not_unicode():
    env = {**os.environ, "PYTHONIOENCODING": "ascii", "COLUMNS": "70"}
    done = subprocess.run([sys.executable, "-m", "derivspec", "check", "nll.gaussian", "--formula",
                           "(y - mu)**2/(2*sigma**2)"], capture_output=True, text=True, env=env, cwd=ROOT)
    assert done.returncode == 1, done.stderr
    assert done.stdout.isascii() and "sigma" in done.stdout and "**" not in done.stdout
    _fits(done.stdout, 70)


@pytest.mark.parametrize("columns", [60, 80])
def test_verify_fits_and_keeps_ids_and_statuses(monkeypatch, capsys, columns):
    code, out = _run(monkeypatch, capsys, columns, "verify", "nll.bernoulli", "--device", "cpu", "-j", "1")
    assert code == 0
    _fits(out, columns)
    assert "nll.bernoulli" in out.split() and "verified" in out and "1 claims: 1 verified" in out


def test_errata_and_run_listing_fit(monkeypatch, capsys):
    code, out = _run(monkeypatch, capsys, 80, "errata")
    _, data = _run(monkeypatch, capsys, 80, "errata", "--json")
    assert code == 0
    _fits(out, 80)
    for entry in json.loads(data)["errata"][:20]:
        assert entry["claim"] in out
    code, out = _run(monkeypatch, capsys, 60, "run", "--list")
    _, data = _run(monkeypatch, capsys, 60, "run", "--list", "--json")
    assert code == 0
    _fits(out, 60)
    for model in json.loads(data)["models"]:
        assert model["name"] in out


def test_width_is_columns_else_80_when_piped(monkeypatch):
    from derivspec.app.output import width

    monkeypatch.setenv("COLUMNS", "97")
    assert width() == 97
    monkeypatch.delenv("COLUMNS")
    done = subprocess.run([sys.executable, "-c", "from derivspec.app.output import width; print(width())"],
                          capture_output=True, text=True, env={k: v for k, v in os.environ.items() if k != "COLUMNS"})
    assert done.stdout.strip() == "80"
