"""The public interface of DESIGN.md: subcommands, JSON fields, exit codes, one-line errors."""

import json
import os
import shutil
import subprocess
import sys

import pytest

from derivspec.app.cli import main


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_issue_example_equivalent_and_not(capsys):
    latex = r"\frac{(y-\mu)^2}{2\sigma^2} + \frac12\log(2\pi\sigma^2)"
    assert run(capsys, "check", "nll.gaussian", "--latex", latex)[0] == 0
    code, out, _ = run(capsys, "check", "nll.gaussian", "--latex", r"\frac{(y-\mu)^2}{2\sigma^2}", "--json")
    result = json.loads(out)
    assert code == 1
    assert set(result) >= {"claim", "verdict", "parsed", "expected", "symbolic", "numeric", "reason"}
    assert set(result["numeric"]) >= {"points", "max_abs_diff", "counterexample"}
    assert result["verdict"] == "not_equivalent" and result["symbolic"] == "proved_different"
    assert result["numeric"]["counterexample"]["point"].keys() == {"y", "mu", "sigma"}


def test_list_json_fields(capsys):
    code, out, _ = run(capsys, "list", "--json")
    listing = json.loads(out)
    claims = listing["claims"]
    assert code == 0
    assert set(listing["meta"]) >= {"derivspec", "sympy", "torch", "seed", "device", "time"}
    ids = {c["id"] for c in claims}
    assert {"nll.gaussian", "nll.bernoulli", "nll.categorical"} <= ids
    for c in claims:
        assert set(c) >= {"id", "title", "family", "symbols", "sources"}
        assert all(set(s) >= {"name", "latex", "assumptions"} for s in c["symbols"])
        assert all(set(s) >= {"file", "lines", "as_written", "status"} for s in c["sources"])
        assert all(isinstance(s["lines"], list) and len(s["lines"]) == 2 and s["lines"][0] <= s["lines"][1]
                   for s in c["sources"])
    gaussian = next(c for c in claims if c["id"] == "nll.gaussian")
    assert [s["name"] for s in gaussian["symbols"]] == ["y", "mu", "sigma"]


def test_show_lists_derivation_steps(capsys):
    code, out, _ = run(capsys, "show", "nll.gaussian", "--json")
    shown = json.loads(out)
    assert code == 0 and len(shown["derivation"]) >= 3
    assert all(step["status"] in ("definition", "proved") for step in shown["derivation"])
    assert shown["numeric_routes"] and all(r["description"] for r in shown["numeric_routes"])
    assert "meta" in shown
    assert all(step["why"] for step in shown["derivation"])
    code, out, _ = run(capsys, "show", "nll.categorical")
    assert code == 0 and "derivation:" in out and "A Probabilistic View of ML (Batra), lines 1460–1472" in out


def test_verify_json_one_claim(capsys):
    code, out, _ = run(capsys, "verify", "nll.gaussian.cross-entropy", "--json", "--device", "cpu", "--seed", "3")
    verified = json.loads(out)
    (report,) = verified["claims"]
    assert verified["meta"]["seed"] == 3 and verified["meta"]["device"] == "cpu"
    assert code == 0 and report["status"] == "verified"
    assert set(report) >= {"claim", "status", "symbolic", "numeric", "sources"}
    assert set(report["numeric"]) >= {"n", "estimate", "stderr", "z"}
    assert all(set(s) >= {"file", "lines", "status"} for s in report["sources"])


def test_verify_table_has_the_columns_and_a_summary(capsys):
    code, out, _ = run(capsys, "verify", "nll.bernoulli", "--device", "cpu")
    assert code == 0
    for column in ("claim", "symbolic", "numeric", "property", "sources"):
        assert column in out
    assert "1 claims: 1 verified, 0 failed, 0 inconclusive" in out


def test_errata_json(capsys):
    code, out, _ = run(capsys, "errata", "--json")
    entries = json.loads(out)["errata"]
    assert code == 0 and entries
    order = [(e["file"], e["lines"]) for e in entries]
    assert order == sorted(order), "errata are ordered by lecture and line"
    for e in entries:
        assert set(e) >= {"claim", "file", "lines", "as_written", "correct", "evidence"}
        assert e["correct"] and e["evidence"]
    assert ("nll.categorical", [1460, 1472]) in [(e["claim"], e["lines"]) for e in entries]


@pytest.mark.parametrize("argv, message", [
    (["check", "nll.gaussan", "--formula", "y"], "did you mean nll.gaussian"),
    (["show", "kl.nothing"], "unknown claim 'kl.nothing'"),
    (["check", "nll.gaussian", "--formula", "(y-mu"], "cannot parse formula"),
    (["check", "nll.gaussian", "--latex", r"\frac{y}{"], "cannot read LaTeX"),
    (["check", "nll.gaussian", "--formula", "y", "--at", "sigma=-1,y=0,mu=0"], "sigma > 0"),
    (["check", "nll.gaussian", "--formula", "y", "--at", "sigma=nan,y=0,mu=0"], "found nan"),
    (["check", "nll.gaussian", "--formula", "nan"], "non-finite"),
    (["check", "nll.gaussian"], "one of the arguments --formula --latex is required"),
    (["verify", "--device", "tpu"], "invalid choice"),
    (["frobnicate"], "invalid choice"),
])
def test_bad_input_exits_2_with_one_line(capsys, argv, message):
    code, out, err = run(capsys, *argv)
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and message in err and "Traceback" not in err


def test_console_script_in_a_subprocess_has_no_traceback():
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    proc = subprocess.run([sys.executable, "-m", "derivspec.app.cli", "check", "nll.gaussian", "--formula", "y**"],
                          capture_output=True, text=True, env=env)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert proc.stderr.strip().count("\n") == 0


def test_unproved_agreement_exits_3(capsys, monkeypatch):
    from derivspec.core import symbolic
    monkeypatch.setattr(symbolic, "reduces_to_zero", lambda difference, seconds=0: None)  # as if SymPy timed out
    code, out, _ = run(capsys, "check", "nll.bernoulli", "--formula", "-y*log(p) - (1-y)*log(1-p)", "--json")
    assert code == 3 and json.loads(out)["verdict"] == "inconclusive"


def test_cuda_requested_without_cuda_is_bad_input(capsys):
    import torch
    if torch.cuda.is_available():
        pytest.skip("CUDA is present")
    code, _, err = run(capsys, "verify", "nll.gaussian", "--device", "cuda")
    assert code == 2 and "CUDA is not available" in err


def test_version_and_module_entry_point():
    proc = subprocess.run([sys.executable, "-m", "derivspec", "--version"], capture_output=True, text=True)
    assert proc.returncode == 0 and proc.stdout.startswith("derivspec ")


def test_old_claim_ids_still_resolve(capsys):
    code, out, _ = run(capsys, "check", "grad.logistic", "--formula", "(1/(1+exp(-theta*x)) - y)*x", "--json")
    assert code == 0 and json.loads(out)["claim"] == "nll.grad.logistic"


def test_closed_pipe_is_quiet():
    proc = subprocess.run(f"{sys.executable} -m derivspec list --json | head -c 10", shell=True,
                          capture_output=True, text=True)
    assert proc.stdout == '{\n  "meta"' and "Traceback" not in proc.stderr and "Error" not in proc.stderr


def test_errata_text_names_lectures_by_title_in_lecture_order(capsys):
    code, out, _ = run(capsys, "errata")
    assert code == 0 and "A Probabilistic View of ML (Batra), lines 1460–1472  (nll.categorical)" in out
    assert "003_8a5dbeec3922fcb3.txt" not in out and "as written:" in out and "correct:" in out
    from derivspec.core.lectures import LECTURES

    firsts = [next(i for i, lec in enumerate(LECTURES) if line.startswith(lec.short)) for line in out.splitlines()
              if any(line.startswith(lec.short + ", line") for lec in LECTURES)]
    assert firsts == sorted(firsts), "errata are grouped by lecture in catalogue order"


@pytest.mark.skipif(not shutil.which("script"), reason="needs util-linux `script` for a pseudo-terminal")
def test_claim_ids_are_never_truncated_in_an_80_column_terminal():
    """In a real 80-column terminal the other columns wrap; the claim id column never does."""
    from derivspec.core import registry

    command = f"stty cols 80; {sys.executable} -m derivspec list"
    proc = subprocess.run(["script", "-qec", command, "/dev/null"], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout[-2000:]
    screen = proc.stdout
    for claim_id in registry.REGISTRY.ids():
        assert claim_id in screen, claim_id


def _subcommands() -> list[str]:
    import argparse

    from derivspec.app.cli import build_parser

    (commands,) = [a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction)]
    return list(commands.choices)


@pytest.mark.parametrize("order", ["help first", "json first"])
@pytest.mark.parametrize("words", [[]] + [[name] for name in _subcommands()], ids=lambda w: " ".join(w) or "derivspec")
def test_help_under_json_is_one_json_object(capsys, words, order):
    """``-h`` with ``--json`` (in either order, for every subcommand and the top level): the help as
    one JSON object on stdout, exit code 0 -- a JSON consumer never meets plain text."""
    argv = [*words, "-h", "--json"] if order == "help first" else [*words, "--json", "--help"]
    with pytest.raises(SystemExit) as leaving:
        main(argv)
    out, err = capsys.readouterr()
    assert leaving.value.code in (0, None) and err == ""
    shown = json.loads(out)
    command = " ".join(["derivspec", *words])
    assert set(shown) == {"command", "usage", "help"} and shown["command"] == command
    assert shown["usage"].startswith(command + " [-h]") and shown["help"].startswith("usage: " + command)


@pytest.mark.parametrize("argv", [["scan", "-h"], ["check", "nll.gaussian", "--formula", "--json", "-h"]])
def test_help_without_json_is_text(capsys, argv):
    """Without ``--json`` (here a formula that reads ``--json`` is no option) the help stays text."""
    with pytest.raises(SystemExit) as leaving:
        main(argv)
    out, _ = capsys.readouterr()
    assert leaving.value.code in (0, None) and out.startswith(f"usage: derivspec {argv[0]}")


def test_help_under_json_from_the_console():
    proc = subprocess.run([sys.executable, "-m", "derivspec", "scan", "--js", "-h"], capture_output=True, text=True)
    assert proc.returncode == 0 and proc.stderr == ""
    assert "--file-time-limit" in json.loads(proc.stdout)["help"]
