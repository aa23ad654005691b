"""``scan``'s linter conventions (issue 43, point 2): ``path:line:col: LEVEL`` rows, the notice
level, SARIF fixes, ``--output-file``, ``--select`` / ``--ignore``, the per-file result cache, the
counterexample of ``check`` printed once, and the pre-commit hook's file types.

Every lecture here is written for these tests."""

from __future__ import annotations

import json
import re
from pathlib import Path

import jsonschema
import pytest
import yaml

import derivspec.scan
from derivspec.app import cli
from derivspec.app.inputs import SUFFIXES
from derivspec.app.scan_formats import github_commands, sarif_log
from derivspec.app.scan_locations import Sources
from derivspec.scan import Record, summary
from derivspec.scan.records import level_of
from derivspec.scan.runner import BUDGET_SPENT

ROOT = Path(__file__).resolve().parents[1]
SCHEMA = json.loads((ROOT / "property_tests" / "data" / "sarif-schema-2.1.0.json").read_text(encoding="utf-8"))

# line 3: a notice (true with logs in base 2 only); line 5: a flag inside prose; line 7: proved;
# line 9: a known result with a wrong right side (a correct form is computed)
MIXED = r"""# Notes for the linter tests

In bits: $$\log 8 = 3$$

Squaring a sum, $$(p+q)^2 = p^2 + q^2$$

$$(p+q)^2 = p^2 + 2pq + q^2$$

The entropy of a Gaussian is $H(\mathcal N(\mu, \sigma^2)) = \log(2\pi e \sigma^2)$ nats.
"""
SQUARES = r"""# Squares

$$(u-v)^2 = u^2 + v^2$$
"""
ROW = re.compile(r"^(?P<path>[^\s:]+):(?P<line>\d+):(?P<col>\d+): (?P<code>DS\d{3}\??|warning:|notice:) "
                 r"(?P<rest>.*)$")
LEVELS = {"notice:": "notice", "warning:": "warning"}  # a row's code: DS001 (an error), DS001? (a question)


def level(row) -> str:
    return LEVELS.get(row["code"], "question" if row["code"].endswith("?") else "error")


def write(folder: Path, text: str, name: str = "notes.md") -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def scan(capsys, *argv: str) -> tuple[int, str, str]:
    capsys.readouterr()
    code = cli.main(["scan", "--jobs", "1", *argv])
    out = capsys.readouterr()
    return code, out.out, out.err


@pytest.fixture
def mixed(tmp_path, monkeypatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return write(tmp_path, MIXED)


def validate(log: dict) -> None:
    jsonschema.Draft4Validator(SCHEMA, format_checker=jsonschema.Draft4Validator.FORMAT_CHECKER).validate(log)


# --- levels ------------------------------------------------------------------------------------------

def test_levels_say_what_a_statement_asks_of_its_reader():
    differs = "holds if log is base 2; differs otherwise"
    assert level_of("disagrees", "the two sides differ", "at x=1: left 2, right 1") == "error"
    assert level_of("unchecked", differs, "at x=1/2: left = -1, right = -0.69") == "notice"
    assert level_of("unchecked", differs, "") is None  # no evidence of the difference: nothing to show
    assert level_of("unchecked", "differs symbolically but no instance shows it", "x") is None
    assert level_of("unchecked", "registered source of kl.x: not comparable (the two differ by a constant)",
                    "the two differ by a constant") is None
    assert level_of("unchecked", "holds on 24 instances (evidence, not proof)", "24 instances") is None
    assert level_of("unchecked", "the statement took over its time limit of 8 s and was stopped", "") == "warning"
    assert level_of("unchecked", BUDGET_SPENT + " of 300 s was spent (--file-time-limit)", "") == "warning"
    assert level_of("unchecked", "a definition of f", "") is None
    assert level_of("proved", "proved (the sides are identical)", "") is None


# --- text rows ---------------------------------------------------------------------------------------

def test_quiet_rows_are_path_line_col_level(mixed, capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "400")  # a row on one line
    code, out, _ = scan(capsys, "-q", "notes.md")
    data = json.loads(scan(capsys, "--json", "notes.md")[1])["statements"]
    assert code == 1
    rows = [ROW.match(line) for line in out.splitlines() if ROW.match(line)]
    by_line = {int(m["line"]): m for m in rows}
    assert {n: level(m) for n, m in by_line.items()} == {3: "notice", 5: "error", 9: "error"}
    lines = MIXED.split("\n")
    for n, m in by_line.items():
        record = next(r for r in data if r["lines"][0] == n)
        assert m["path"] == "notes.md" and record["level"] == level(m)  # the JSON says the same level
        assert m["code"] in (record["rule"], "notice:")  # a flag's row carries its rule's code
        column = int(m["col"])
        assert lines[n - 1][column - 1:].startswith(record["text"][:6])  # the statement starts at the column
    assert (by_line[5]["code"], by_line[9]["code"]) == ("DS001", "DS002")  # the judge's codes: a step, a known result
    assert by_line[9]["rest"].endswith("[estimation.gaussian.entropy]") and by_line[5]["rest"].endswith("[identity]")
    assert out.count("counterexample:") == 2 and "evidence: left = " in out  # the notice's evidence, once
    assert "proved" not in out


def test_only_flags_rows_are_the_errors_and_the_summary(mixed, capsys):
    code, out, _ = scan(capsys, "--only-flags", "notes.md")
    levels = [level(ROW.match(line)) for line in out.splitlines() if ROW.match(line)]
    assert code == 1 and levels == ["error", "error"]
    assert out.splitlines()[-1].startswith("derivspec: 4 statements") and "2 flagged" in out.splitlines()[-1]


def test_the_table_and_blocks_show_line_col_and_the_notice(mixed, capsys, monkeypatch):
    for columns in ("60", "140"):
        monkeypatch.setenv("COLUMNS", columns)
        code, out, _ = scan(capsys, "notes.md")
        assert code == 1 and "notice" in out and "left = 2.079" in out  # the notice's evidence is shown
        assert re.search(r"(^|\s)(notes\.md:)?5:\d+:?\s", out, re.MULTILINE), out
        assert "L5" not in out.split()


def test_a_notebooks_findings_are_located_by_cell_and_line_in_every_text_form(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    cells = [{"cell_type": "markdown", "metadata": {}, "source": "# Title"},
             {"cell_type": "code", "metadata": {}, "source": "y = 2", "outputs": [], "execution_count": None},
             {"cell_type": "markdown", "metadata": {}, "source": "Then\n\nwe get $(m+n)^2 = m^2 + n^2$ here."}]
    (tmp_path / "nb.ipynb").write_text(json.dumps({"cells": cells, "metadata": {}, "nbformat": 4,
                                                   "nbformat_minor": 5}), encoding="utf-8")
    where = "nb.ipynb: cell 3, line 3, col " + str(len("we get $") + 1)
    for columns, argv in (("400", ["-q"]), ("400", ["--only-flags"]), ("60", []), ("140", [])):
        monkeypatch.setenv("COLUMNS", columns)
        code, out, _ = scan(capsys, *argv, "nb.ipynb")
        assert code == 1 and "nb.ipynb:3:" not in out and "cell 3:3" not in out, out
        if columns == "140":  # the table: the location column
            assert re.search(r"cell 3, line 3, col 9\b", out) and "location" in out, out
        else:
            assert where + ":" in out, out
    code, out, _ = scan(capsys, "--format", "sarif", "nb.ipynb")
    (result,) = json.loads(out)["runs"][0]["results"]
    validate(json.loads(out))
    assert result["locations"][0]["message"] == {"text": "cell 3, line 3"} and result["properties"]["cell"] == 3
    assert "region" not in result["locations"][0]["physicalLocation"]  # the file's lines are JSON, not the cell's


def test_a_notebook_column_is_found_in_its_cell(tmp_path):
    notebook = {"cells": [{"cell_type": "code", "metadata": {}, "source": "x = 1", "outputs": [],
                           "execution_count": None},
                          {"cell_type": "markdown", "metadata": {}, "source": "Title\n\nthen  $$a+b = b+a$$"}],
                "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    path = tmp_path / "n.ipynb"
    path.write_text(json.dumps(notebook), encoding="utf-8")
    record = Record("n.ipynb", (3, 3), "a+b = b+a", "chain", "proved", "proved", cell=2)
    assert Sources([(path, "n.ipynb")]).column(record) == len("then  $$") + 1
    missing = Record("gone.md", (1, 1), "a = a", "chain", "proved", "proved")
    assert Sources([]).column(missing) == 1  # a file that cannot be read again: column 1


# --- GitHub and SARIF --------------------------------------------------------------------------------

def constructed(tmp_path) -> tuple[list, list]:
    write(tmp_path, "line one\nWe have $$x^2 = 2x$$ here.\nlast\nstopped: $$y = y$$\n", "c.md")
    records = [
        Record("c.md", (2, 2), "x^2 = 2x", "chain", "unchecked", "holds if log is base 2; differs otherwise",
               "at x=3: left = 9, right = 6", category="identity"),
        Record("c.md", (4, 4), "y = y", "chain", "unchecked",
               "the statement took over its time limit of 8 s and was stopped", category="identity"),
    ]
    return records, [(tmp_path / "c.md", "c.md")]


def test_github_notice_and_time_limit_warning(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    records, files = constructed(tmp_path)
    notice, warning, last = github_commands(records, summary(records), files)
    column = len("We have $$") + 1
    assert notice.startswith(f"::notice file=c.md,line=2,endLine=2,col={column},title=derivspec scan.chain (differs")
    assert "evidence: at x=3: left = 9, right = 6" in notice.replace("%0A", "\n").splitlines()
    assert warning.startswith(f"::warning file=c.md,line=4,endLine=4,col={len('stopped: $$') + 1},")
    assert not last.startswith("::")


def test_sarif_notice_is_a_note_and_the_warning_a_warning(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    records, files = constructed(tmp_path)
    log = sarif_log(records, summary(records), files)
    validate(log)
    run = log["runs"][0]
    assert run["columnKind"] == "unicodeCodePoints"
    note, warning = run["results"]
    assert (note["level"], note["kind"], note["ruleId"]) == ("note", "review", "scan.one-reading")
    assert (warning["level"], warning["kind"], warning["ruleId"]) == ("warning", "open", "scan.time-limit")
    assert note["locations"][0]["physicalLocation"]["region"]["startColumn"] == len("We have $$") + 1
    rules = {rule["id"]: rule for rule in run["tool"]["driver"]["rules"]}
    assert rules["scan.one-reading"]["defaultConfiguration"]["level"] == "note"


def apply_fix(text: str, fix: dict) -> str:
    """A SARIF fix's one replacement applied (lines and columns 1-based, columns in code points)."""
    (change,) = fix["artifactChanges"]
    (replacement,) = change["replacements"]
    region = replacement["deletedRegion"]
    lines = text.split("\n")
    offset = lambda line, col: sum(len(x) + 1 for x in lines[:line - 1]) + col - 1  # noqa: E731
    start, end = offset(region["startLine"], region["startColumn"]), offset(region["endLine"], region["endColumn"])
    return text[:start] + replacement["insertedContent"]["text"] + text[end:]


def test_sarif_fix_replaces_the_wrong_right_side_and_the_fixed_file_holds(mixed, capsys):
    code, out, _ = scan(capsys, "--format", "sarif", "notes.md")
    log = json.loads(out)
    validate(log)
    results = log["runs"][0]["results"]
    (fixed,) = [r for r in results if "fixes" in r]  # the known result has a correct form; the chain step none
    assert fixed["ruleId"] == "DS002" and fixed["level"] == "error"  # a standard result, the judge's code
    assert fixed["properties"]["claim"] == "estimation.gaussian.entropy"
    (change,) = fixed["fixes"][0]["artifactChanges"]
    region = change["replacements"][0]["deletedRegion"]
    line = MIXED.split("\n")[region["startLine"] - 1]
    assert line[region["startColumn"] - 1:region["endColumn"] - 1] == r"\log(2\pi e \sigma^2)"
    repaired = apply_fix(MIXED, fixed["fixes"][0])
    (Path("notes.md")).write_text(repaired, encoding="utf-8")
    records = json.loads(scan(capsys, "--json", "notes.md")[1])["statements"]
    (entropy,) = [r for r in records if r["lines"][0] == 9]
    assert entropy["verdict"] == "proved", entropy  # the fix, applied, makes the statement hold


# --- --output-file -----------------------------------------------------------------------------------

@pytest.mark.parametrize("fmt", ["text", "json", "github", "sarif"])
def test_output_file_holds_what_stdout_would(mixed, capsys, fmt):
    code, out, _ = scan(capsys, "--format", fmt, "notes.md")
    code_file, out_file, _ = scan(capsys, "--format", fmt, "--output-file", "reports/out.txt", "notes.md")
    written = Path("reports/out.txt").read_text(encoding="utf-8")
    assert code == code_file == 1 and out_file == "" and written
    if fmt == "json":
        first, second = json.loads(out), json.loads(written)
        del first["meta"]["time"], second["meta"]["time"]
        assert first == second
    elif fmt == "sarif":
        validate(json.loads(written))
        assert json.loads(written)["runs"][0]["results"] == json.loads(out)["runs"][0]["results"]
    else:
        assert written == out


@pytest.mark.parametrize("target, why", [("notes.md/out.txt", "notes.md is a file, not a folder"),
                                         ("afile/deeper/out.txt", "afile is a file, not a folder"),
                                         (".", "a folder, not a file"), ("", "an empty path"),
                                         ("n" * 300 + ".txt", "longer than the system allows")])
def test_a_bad_output_file_is_one_line_before_any_work(mixed, capsys, monkeypatch, target, why):
    (Path("afile")).write_text("x", encoding="utf-8")
    calls = []
    monkeypatch.setattr(derivspec.scan, "scan_file", lambda *a, **k: calls.append(a) or [])
    code, out, err = scan(capsys, "--output-file", target, "notes.md")
    assert code == 2 and out == "" and err.count("\n") == 1 and err.startswith("derivspec: error: --output-file")
    assert why in err and "Traceback" not in err and calls == []  # the problem named (derivspec.app.paths)


# --- --select / --ignore -----------------------------------------------------------------------------

def test_select_and_ignore_by_class_and_family(mixed, capsys):
    def kept(*options):
        code, out, _ = scan(capsys, "--json", *options, "notes.md")
        return code, sorted(r["lines"][0] for r in json.loads(out)["statements"])

    assert kept() == (1, [3, 5, 7, 9])
    assert kept("--select", "identity") == (1, [5, 7])
    assert kept("--select", "estimation") == (1, [9])  # a claim family
    assert kept("--select", "estimation.gaussian") == (1, [9])  # a prefix of claim ids
    assert kept("--select", "worked-number,known result") == (1, [3, 9])
    assert kept("--ignore", "identity", "--ignore", "estimation") == (0, [3])  # no flag left: exit 0
    assert kept("--select", "identity", "--ignore", "identity") == (0, [])


@pytest.mark.parametrize("option", ["--select", "--ignore"])
def test_an_unknown_selection_is_one_line_naming_close_matches(mixed, capsys, monkeypatch, option):
    calls = []
    monkeypatch.setattr(derivspec.scan, "scan_file", lambda *a, **k: calls.append(a) or [])
    code, out, err = scan(capsys, option, "identiy", "notes.md")
    assert code == 2 and out == "" and err.count("\n") == 1 and "'identiy'" in err and "identity" in err
    code, _, err = scan(capsys, option, "kll", "notes.md")
    assert code == 2 and "did you mean" in err and "kl" in err.split("did you mean")[1].split("?")[0]
    assert calls == []


# --- the result cache --------------------------------------------------------------------------------

@pytest.fixture
def counted(monkeypatch):
    """derivspec.scan.scan_file, counting the files it checks."""
    real, calls = derivspec.scan.scan_file, []

    def counting(path, **options):
        calls.append(Path(path).name)
        return real(path, **options)

    monkeypatch.setattr(derivspec.scan, "scan_file", counting)
    return calls


def test_an_unchanged_file_is_not_checked_again(tmp_path, monkeypatch, capsys, counted):
    monkeypatch.chdir(tmp_path)
    cache = tmp_path / "cache"
    write(tmp_path, SQUARES, "a.md")
    write(tmp_path, SQUARES.replace("u-v", "s-t").replace("u^2 + v^2", "s^2 + t^2"), "b.md")
    options = ["--json", "--cache-dir", str(cache), "a.md", "b.md"]
    code1, first, _ = scan(capsys, *options)
    assert counted == ["a.md", "b.md"]
    code2, second, _ = scan(capsys, *options)
    assert counted == ["a.md", "b.md"]  # nothing checked again
    first, second = json.loads(first), json.loads(second)
    assert code1 == code2 == 1 and first["statements"] == second["statements"]
    assert first["summary"] == second["summary"]
    assert (cache / ".gitignore").read_text(encoding="utf-8").splitlines()[-1] == "*"

    write(tmp_path, SQUARES.replace("u^2 + v^2", "u^2 - 2uv + v^2"), "a.md")  # a.md changed: checked again
    code3, third, _ = scan(capsys, *options)
    assert counted == ["a.md", "b.md", "a.md"]
    assert [r["verdict"] for r in json.loads(third)["statements"] if r["file"] == "a.md"] == ["proved"]
    scan(capsys, *options, "--time-limit", "5")  # an option that changes results: checked again
    assert counted[3:] == ["a.md", "b.md"]
    scan(capsys, *options, "--no-cache")  # --no-cache: everything checked
    assert counted[5:] == ["a.md", "b.md"]


def test_refused_files_are_refused_again_and_the_good_ones_come_from_the_cache(tmp_path, monkeypatch, capsys,
                                                                             counted):
    monkeypatch.chdir(tmp_path)
    write(tmp_path, SQUARES, "good.md")
    (tmp_path / "latin.md").write_bytes("Caf\xe9: $$1 + 1 = 3$$\n".encode("latin-1"))
    (tmp_path / "blob.md").write_bytes(b"\x00\x01\x02binary")
    runs = [scan(capsys, "--json", "good.md", "latin.md", "blob.md") for _ in range(2)]
    assert counted == ["good.md"]  # checked once; the second run's answer is the cache's
    (code1, out1, err1), (code2, out2, err2) = runs
    assert code1 == code2 == 1 and err1 == err2 and err1.count("\n") == 2 and "latin.md" in err1 and "blob.md" in err1
    first, second = json.loads(out1), json.loads(out2)
    assert first["statements"] == second["statements"] and {r["file"] for r in first["statements"]} == {"good.md"}
    assert first["summary"]["refused"] == second["summary"]["refused"] == 2
    (tmp_path / "good.md").write_bytes(SQUARES.replace("Squares", "Carr\xe9s").encode("latin-1"))
    code, out, err = scan(capsys, "-q", "good.md")  # a cached file that turned unreadable is refused, not served
    assert code == 2 and out == "" and err.count("\n") == 1 and "good.md" in err and counted == ["good.md"]


def test_a_file_stopped_by_its_time_limit_is_not_stored(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    write(tmp_path, SQUARES, "a.md")
    calls = []

    def stopped(path, *, name=None, **options):
        calls.append(name)
        return [Record(name, (3, 3), "(u-v)^2 = u^2 + v^2", "chain", "unchecked",
                       "the statement took over its time limit of 8 s and was stopped")]

    monkeypatch.setattr(derivspec.scan, "scan_file", stopped)
    for _ in range(2):
        assert scan(capsys, "-q", "a.md")[0] == 0
    assert len(calls) == 2


def test_a_cache_folder_that_cannot_be_made_costs_only_the_work(tmp_path, monkeypatch, capsys, counted):
    monkeypatch.chdir(tmp_path)
    write(tmp_path, SQUARES, "a.md")
    (tmp_path / "blocker").write_text("a file where the cache folder would be", encoding="utf-8")
    for _ in range(2):
        code, out, err = scan(capsys, "-q", "--cache-dir", "blocker/cache", "a.md")
        assert code == 1 and err == "" and "a.md:3:3: DS001 the two sides differ" in out
    assert counted == ["a.md", "a.md"]


# --- check: the counterexample once, as name = value pairs ------------------------------------------

def test_check_prints_its_counterexample_once_as_pairs(capsys):
    capsys.readouterr()
    code = cli.main(["check", "nll.gaussian", "--formula", "(y - mu)**2/sigma**2 + log(sigma)"])
    out = capsys.readouterr().out
    assert code == 1
    (line,) = [x for x in out.split("\n  ") if x.startswith("counterexample:")]
    assert re.search(r"\by = -?\d", line) and re.search(r"\bsigma = \d", line) and "{" not in out
    point = line.split(":")[1]
    assert out.count(point.split(",")[0].strip()) == 1  # the point appears once


# --- the pre-commit hook's files ---------------------------------------------------------------------

def test_the_hook_runs_on_every_suffix_scan_reads_myst_included():
    from pre_commit.clientlib import load_manifest

    (hook,) = load_manifest(str(ROOT / ".pre-commit-hooks.yaml"))  # valid for pre-commit
    (raw,) = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    files = re.compile(raw["files"])
    assert ".myst" in SUFFIXES
    for suffix in SUFFIXES:
        assert files.search(f"lectures/week1{suffix}") and files.search(f"NOTES{suffix.upper()}"), suffix
    for other in ("setup.py", "data.json", "notes.md.bak", "figure.png"):
        assert not files.search(other), other
    assert "types_or" not in raw and hook["types"] == ["file"]
