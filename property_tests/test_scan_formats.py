"""``derivspec scan --format github|sarif`` (derivspec.app.scan_formats) and the CI snippets of
docs/ci.md.

The GitHub output is read back as the Actions runner reads a workflow command (properties split on
``,`` and ``=``, then unescaped) and compared with ``scan --json`` of the same file; the SARIF log
is validated against the official SARIF 2.1.0 schema (property_tests/data/, see its README).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import urllib.parse
from pathlib import Path

import jsonschema
import pytest
import yaml
from hypothesis import given, strategies as st

from derivspec.app import cli
from derivspec.app.scan_formats import (escape_data, escape_property, github_commands, sarif_log)
from derivspec.scan import Record, summary
from derivspec.scan.runner import BUDGET_SPENT

ROOT = Path(__file__).resolve().parents[1]
SCHEMA = json.loads((ROOT / "property_tests" / "data" / "sarif-schema-2.1.0.json").read_text(encoding="utf-8"))
CI_PAGE = ROOT / "docs" / "ci.md"

WRONG = r"""# Two facts

The KL divergence between two Gaussians is
$$\mathrm{KL}(\mathcal{N}(\mu_1,\sigma_1^2)\,\|\,\mathcal{N}(\mu_2,\sigma_2^2)) = \log\frac{\sigma_2}{\sigma_1}
+ \frac{\sigma_1^2 + (\mu_1-\mu_2)^2}{\sigma_2^2} - \frac12$$

Expanding a square, for numbers $a$ and $b$:
$$(a+b)^2 = a^2 + b^2$$

and the difference of squares, $$a^2 - b^2 = (a-b)(a+b)$$
"""
RIGHT = r"""# One fact

Expanding a square, for numbers $a$ and $b$:
$$(a+b)^2 = a^2 + 2ab + b^2$$
"""
COMMAND = re.compile(r"^::(error|warning|notice) ([^:]*)::(.*)$")


def unescape(text: str) -> str:
    """What the Actions runner does to an escaped value (the inverse of the toolkit's escapes)."""
    return (text.replace("%0D", "\r").replace("%0A", "\n").replace("%3A", ":").replace("%2C", ",")
            .replace("%25", "%"))


def parse_command(line: str) -> tuple[str, dict, str]:
    """A workflow command as the runner reads it: its kind, its properties, its message."""
    match = COMMAND.match(line)
    assert match, line
    kind, fields, data = match.groups()
    properties = {}
    for field in fields.split(","):
        key, _, value = field.partition("=")
        properties[key] = unescape(value)
    return kind, properties, unescape(data)


def scan(tmp_path, capsys, monkeypatch, text: str, *options: str) -> tuple[int, str]:
    """``derivspec scan lectures/notes.md OPTIONS`` run from ``tmp_path``: exit code and stdout
    (stderr is left in ``capsys``)."""
    monkeypatch.chdir(tmp_path)
    lecture = tmp_path / "lectures" / "notes.md"
    lecture.parent.mkdir(exist_ok=True)
    lecture.write_text(text, encoding="utf-8")
    capsys.readouterr()
    code = cli.main(["scan", "lectures/notes.md", "--jobs", "1", *options])
    out = capsys.readouterr()
    sys.stderr.write(out.err)
    return code, out.out


def validate(log: dict) -> None:
    jsonschema.Draft4Validator(SCHEMA, format_checker=jsonschema.Draft4Validator.FORMAT_CHECKER).validate(log)


@given(st.text())
def test_escaped_values_read_back_as_written(text):
    prop, data = escape_property(text), escape_data(text)
    assert not set(prop) & set(":,\r\n") and not set(data) & set("\r\n")
    assert unescape(prop) == text and unescape(data) == text


@pytest.mark.parametrize("text", [WRONG, RIGHT], ids=["flagged", "clean"])
def test_the_exit_code_does_not_depend_on_the_format(tmp_path, capsys, monkeypatch, text):
    codes = {fmt: scan(tmp_path, capsys, monkeypatch, text, "--format", fmt)[0]
             for fmt in ("text", "json", "github", "sarif")}
    codes["--json"] = scan(tmp_path, capsys, monkeypatch, text, "--json")[0]
    assert len(set(codes.values())) == 1, codes
    assert codes["text"] == (1 if text is WRONG else 0)


def test_format_json_is_the_json_option(tmp_path, capsys, monkeypatch):
    as_option = json.loads(scan(tmp_path, capsys, monkeypatch, WRONG, "--json")[1])
    as_format = json.loads(scan(tmp_path, capsys, monkeypatch, WRONG, "--format", "json")[1])
    for output in (as_option, as_format):
        del output["meta"]["time"]
    assert as_option == as_format


def test_json_with_another_format_is_one_line_and_exit_2(tmp_path, capsys, monkeypatch):
    code, out = scan(tmp_path, capsys, monkeypatch, RIGHT, "--json", "--format", "sarif")
    err = capsys.readouterr().err
    assert code == 2 and out == "" and err.count("\n") == 1 and err.startswith("derivspec: error:")


def test_github_annotates_each_flag_at_its_lines(tmp_path, capsys, monkeypatch):
    records = json.loads(scan(tmp_path, capsys, monkeypatch, WRONG, "--json")[1])["statements"]
    flags = [r for r in records if r["verdict"] == "disagrees"]
    assert len(flags) == 2 and {bool(r["claim"]) for r in flags} == {True, False}
    code, out = scan(tmp_path, capsys, monkeypatch, WRONG, "--format", "github")
    lines = out.splitlines()
    commands = [parse_command(line) for line in lines[:-1]]
    assert code == 1 and [kind for kind, _, _ in commands] == ["error"] * len(flags)
    for (kind, properties, message), record in zip(commands, flags):
        assert properties["file"] == "lectures/notes.md"
        assert (int(properties["line"]), int(properties["endLine"])) == tuple(record["lines"])
        tag = record["claim"] or record["class"].replace(" ", "-")
        assert properties["title"] == f"derivspec {record['rule']} {tag}"  # the rule code, then what --select takes
        assert f"{record['rule']} {record['reason']}" in message.splitlines()  # the code before the reason
        assert f"counterexample: {record['evidence']}" in message.splitlines()
        if record.get("correct"):
            assert f"correct: {record['correct']}" in message.splitlines()
    summary_line = lines[-1]
    assert not summary_line.startswith("::") and f"{len(flags)} flagged" in summary_line


def test_github_prints_only_the_summary_when_nothing_is_flagged(tmp_path, capsys, monkeypatch):
    code, out = scan(tmp_path, capsys, monkeypatch, RIGHT, "--format", "github")
    assert code == 0 and len(out.splitlines()) == 1 and "0 flagged" in out and "::" not in out


REVIEWED = "checked by hand: the lecture's convention"  # why the suppressed record below is suppressed


def constructed(tmp_path) -> tuple[list, list]:
    """A suppressed flag, a notebook's flag, a statement left by the file's time budget, a proof;
    and the (path, name) pairs the scan read (a file named, a notebook found in a folder)."""
    (tmp_path / "a.md").write_text("x\n", encoding="utf-8")
    (tmp_path / "course").mkdir()
    (tmp_path / "course" / "b.ipynb").write_text("{}\n", encoding="utf-8")
    records = [
        Record("a.md", (3, 4), "x = y, z: w", "chain", "disagrees", "the two sides differ", "at x=1: 1 != 2%",
               suppressed=REVIEWED),
        Record("course/b.ipynb", (2, 2), "(a+b)^2 = a^2", "chain", "disagrees", "the two sides differ",
               "at a=1, b=1: 4, 1", cell=3),
        Record("a.md", (9, 9), "u = v", "chain", "unchecked", BUDGET_SPENT + " was spent"),
        Record("a.md", (11, 11), "u = u", "chain", "proved", "proved (the sides are identical)"),
    ]
    files = [(tmp_path / "a.md", "a.md"), (Path("course") / "b.ipynb", "course/b.ipynb")]
    return records, files


def test_github_suppressed_notebook_and_incomplete(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    records, files = constructed(tmp_path)
    lines = github_commands(records, summary(records), files)
    notice, in_cell, warning = (parse_command(line) for line in lines[:3])
    assert notice[0] == "notice" and notice[1]["title"].endswith("(suppressed)") and notice[1]["file"] == "a.md"
    assert REVIEWED in notice[2] and "x = y, z: w" in notice[2]
    assert in_cell[0] == "error" and in_cell[1]["file"] == "course/b.ipynb" and "line" not in in_cell[1]
    assert in_cell[2].startswith("cell 3, line 2:")
    assert warning[0] == "warning" and warning[1]["file"] == "a.md" and "1 statements not checked" in warning[2]
    assert len(lines) == 4 and not lines[3].startswith("::")


def test_sarif_of_a_scan_with_flags_is_valid_and_complete(tmp_path, capsys, monkeypatch):
    records = json.loads(scan(tmp_path, capsys, monkeypatch, WRONG, "--json")[1])["statements"]
    flags = [r for r in records if r["verdict"] == "disagrees"]
    code, out = scan(tmp_path, capsys, monkeypatch, WRONG, "--format", "sarif")
    log = json.loads(out)
    validate(log)
    (run,) = log["runs"]
    rules = run["tool"]["driver"]["rules"]
    assert code == 1 and log["version"] == "2.1.0" and run["tool"]["driver"]["name"] == "derivspec"
    assert len({rule["id"] for rule in rules}) == len(rules)
    assert len(run["results"]) == len(flags)
    base = run["originalUriBaseIds"]["SRCROOT"]["uri"]
    for result, record in zip(run["results"], flags):
        assert result["level"] == "error" and "suppressions" not in result
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"] == record["rule"]  # DS001 ... DS005, DS1xx ...
        assert rules[result["ruleIndex"]]["name"] and rules[result["ruleIndex"]]["shortDescription"]["text"]
        location = result["locations"][0]["physicalLocation"]
        assert location["artifactLocation"] == {"uri": "lectures/notes.md", "uriBaseId": "SRCROOT"}
        uri = urllib.parse.urljoin(base, location["artifactLocation"]["uri"])
        assert Path(urllib.parse.unquote(urllib.parse.urlparse(uri).path)) == tmp_path / "lectures" / "notes.md"
        assert [location["region"]["startLine"], location["region"]["endLine"]] == record["lines"]
        for key in ("verdict", "evidence", "reason", "correct", "claim"):
            assert result["properties"].get(key) == record.get(key)
        assert record["evidence"] in result["message"]["text"]


def test_sarif_of_a_clean_scan_is_valid_and_empty(tmp_path, capsys, monkeypatch):
    code, out = scan(tmp_path, capsys, monkeypatch, RIGHT, "--format", "sarif")
    log = json.loads(out)
    validate(log)
    assert code == 0 and log["runs"][0]["results"] == [] and log["runs"][0]["tool"]["driver"]["rules"] == []


def test_sarif_suppressed_notebook_and_incomplete(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    records, files = constructed(tmp_path)
    log = sarif_log(records, summary(records), files)
    validate(log)
    (run,) = log["runs"]
    suppressed, in_cell = run["results"]
    assert suppressed["suppressions"] == [{"kind": "inSource", "status": "accepted",
                                           "justification": REVIEWED}]
    assert "region" not in in_cell["locations"][0]["physicalLocation"] and in_cell["properties"]["cell"] == 3
    assert in_cell["locations"][0]["message"] == {"text": "cell 3, line 2"}  # where a notebook's user looks
    assert in_cell["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "course/b.ipynb"
    (notice,) = run["invocations"][0]["toolExecutionNotifications"]
    assert notice["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "a.md"
    broken = json.loads(json.dumps(log))
    del broken["runs"][0]["results"][0]["message"]
    with pytest.raises(jsonschema.ValidationError):  # the schema does reject a result without its message
        validate(broken)


# --- the snippets of docs/ci.md ------------------------------------------------------------------

def yaml_blocks(page: Path) -> list:
    return [yaml.safe_load(block) for block in re.findall(r"```yaml\n(.*?)```", page.read_text(encoding="utf-8"),
                                                          re.DOTALL)]


def test_the_documented_precommit_configs_name_the_shipped_hook():
    """Two forms: derivspec's repository (its hook by id) and ``repo: local`` (the shipped hook's
    entry and files, run with the derivspec on PATH)."""
    hooks = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    configs = [block for block in yaml_blocks(CI_PAGE) if isinstance(block, dict) and "repos" in block]
    remote, local = configs
    ((entry,), (local_entry,)) = remote["repos"], local["repos"]
    assert entry["repo"] == "https://github.com/derivspec/derivspec" and entry["rev"]
    ids = [hook["id"] for hook in entry["hooks"]]
    assert ids and set(ids) <= {hook["id"] for hook in hooks}
    (hook,) = hooks
    assert hook["entry"].split()[:2] == ["derivspec", "scan"] and hook["language"] == "python"
    assert hook["pass_filenames"] is True
    assert local_entry["repo"] == "local"
    (mine,) = local_entry["hooks"]
    assert mine["language"] == "system"
    assert {key: mine[key] for key in ("id", "entry", "files", "types")} == \
        {key: hook[key] for key in ("id", "entry", "files", "types")}


def workflow() -> dict:
    (flow,) = [block for block in yaml_blocks(CI_PAGE) if isinstance(block, dict) and "jobs" in block]
    return flow


def test_the_documented_workflow_installs_scans_and_uploads():
    (job,) = workflow()["jobs"].values()
    uses = [step.get("uses", "").split("@")[0] for step in job["steps"]]
    runs = [step.get("run", "") for step in job["steps"]]
    assert uses[:2] == ["actions/checkout", "actions/setup-python"]
    assert "pip install derivspec" in runs
    assert any("--format github" in run for run in runs)
    (sarif_step,) = [run for run in runs if "--format sarif" in run]
    (upload,) = [step for step in job["steps"] if step.get("uses", "").startswith("github/codeql-action/upload-sarif")]
    assert f"> {upload['with']['sarif_file']}" in sarif_step
    assert workflow()["permissions"]["security-events"] == "write"


def test_the_documented_workflow_scan_steps_run(tmp_path):
    """The workflow's scan steps as the runner runs them (bash -eo pipefail) in a checkout holding
    a lecture with a flag: the annotation step fails with the flags, the SARIF step passes and
    writes a valid log the upload step finds."""
    (job,) = workflow()["jobs"].values()
    steps = [step for step in job["steps"] if "derivspec scan" in step.get("run", "")]
    (tmp_path / "lectures").mkdir()
    (tmp_path / "lectures" / "notes.md").write_text(WRONG, encoding="utf-8")
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    results = [subprocess.run([shutil.which("bash"), "--noprofile", "--norc", "-eo", "pipefail", "-c", step["run"]],
                              cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300) for step in steps]
    annotate, sarif = results
    assert annotate.returncode == 1 and annotate.stdout.startswith("::error file=lectures/notes.md,")
    assert sarif.returncode == 0, sarif.stderr
    (upload,) = [step for step in job["steps"] if step.get("uses", "").startswith("github/codeql-action/upload-sarif")]
    log = json.loads((tmp_path / upload["with"]["sarif_file"]).read_text(encoding="utf-8"))
    validate(log)
    assert len(log["runs"][0]["results"]) == annotate.stdout.count("::error ")


def test_the_ci_formats_import_no_numeric_stack(tmp_path):
    """The hook and the CI job install the core only (sympy, mpmath, rich): neither format may
    import torch, numpy, scipy or matplotlib."""
    (tmp_path / "notes.md").write_text(WRONG, encoding="utf-8")
    script = ("import sys, io, contextlib\nfrom derivspec.app.cli import main\n"
              "for fmt in ('github', 'sarif'):\n"
              "    with contextlib.redirect_stdout(io.StringIO()):\n"
              "        assert main(['scan', 'notes.md', '--jobs', '1', '--format', fmt]) == 1\n"
              "print(sorted(m for m in ('torch', 'numpy', 'scipy', 'matplotlib') if m in sys.modules))")
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=tmp_path, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "[]"
