"""What a newcomer meets (issue 90): rule codes in every output, a rules listing like ruff's, numeric commands
that start fast, a report with progress that runs only what was asked, tables that keep their headers and
fit 80 columns, a bare ``derivspec`` that says where to start, and ``check`` saying one thing in the user's
letters. Every lecture here is written for these tests; the commands run in-process (derivspec.app.cli.main)
except where what a fresh process imports is the point."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from rich.cells import cell_len

import derivspec.scan
from derivspec.app import cli
from derivspec.app.scan_formats import counts_for_exit, github_commands, linter_row, marker, sarif_log
from derivspec.scan import Record, summary

ROOT = Path(__file__).resolve().parents[1]
SQUARES = "# Squares\n\n$$(u-v)^2 = u^2 + v^2$$\n"
ROW = re.compile(r"^squares\.md:3:3: (?P<code>DS001\??) (?P<message>.*)$", re.MULTILINE)


def run(capsys, *argv: str, columns: int = 80) -> tuple[int, str, str]:
    os.environ["COLUMNS"] = str(columns)
    try:
        capsys.readouterr()
        code = cli.main(list(argv))
        out = capsys.readouterr()
    finally:
        del os.environ["COLUMNS"]
    return code, out.out, out.err


@pytest.fixture
def squares(tmp_path, monkeypatch) -> Path:
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "squares.md"
    path.write_text(SQUARES, encoding="utf-8")
    return path


def fits(out: str, columns: int = 80) -> None:
    long = [line for line in out.splitlines() if cell_len(line) > columns]
    assert not long, f"{len(long)} lines over {columns} columns, e.g. {long[0]!r}"


# --- 1. the rule's code in every output format -------------------------------------------------------

def test_every_format_carries_the_rule_code(squares, capsys):
    """The judge's DS001 on the flagged line: the text blocks, -q, --only-flags, GitHub, SARIF, JSON."""
    code, out, _ = run(capsys, "scan", "--jobs", "1", "squares.md")
    assert code == 1 and "squares.md:3:3: DS001 disagrees" in out  # the text view's block, at 80 columns
    assert "why: the two sides differ" in out and "why: DS001" not in out
    code, out, _ = run(capsys, "scan", "--jobs", "1", "squares.md", columns=140)
    assert code == 1 and re.search(r"│ 3:3\s+│ DS001 │", out), out  # the wide table's code column
    for option in ("-q", "--only-flags"):
        code, out, _ = run(capsys, "scan", "--jobs", "1", option, "squares.md", columns=200)
        (row,) = ROW.finditer(out)
        assert code == 1 and row["code"] == "DS001" and row["message"].startswith("the two sides differ"), out
    code, out, _ = run(capsys, "scan", "--jobs", "1", "--format", "github", "squares.md")
    assert code == 1 and out.startswith("::error file=squares.md,line=3,") and "title=derivspec DS001 identity::" in out
    assert "%0ADS001 the two sides differ" in out
    code, out, _ = run(capsys, "scan", "--jobs", "1", "--format", "sarif", "squares.md")
    (result,) = json.loads(out)["runs"][0]["results"]
    (rule,) = json.loads(out)["runs"][0]["tool"]["driver"]["rules"]
    assert result["ruleId"] == rule["id"] == "DS001" and rule["name"] == "step-differs"
    assert rule["shortDescription"]["text"].startswith("Each relation of a statement holds")
    code, out, _ = run(capsys, "scan", "--jobs", "1", "--json", "squares.md")
    assert [r["rule"] for r in json.loads(out)["statements"]] == ["DS001"]


def flag(severity: str | None) -> Record:
    record = Record("squares.md", (3, 3), "(u-v)^2 = u^2 + v^2", "chain", "disagrees",
                    "the two sides differ (confirmed at 120 and 240 digits)", "at u=1, v=2: left = 1, right = 5",
                    category="identity")
    if severity is not None:
        record.severity = severity  # the field a later change adds: error | question
    return record


def test_a_question_is_marked_as_one_in_every_format(squares):
    """A flag that rests on a guessed reading (severity question): DS001? on the row, a GitHub notice, a
    SARIF note; an error (or a record without the field) stays DS001, ::error, error."""
    files = [(squares, "squares.md")]
    for severity, shown, command, level in ((None, "DS001", "error", "error"), ("error", "DS001", "error", "error"),
                                             ("question", "DS001?", "notice", "note")):
        record = flag(severity)
        assert marker(record) == shown
        assert linter_row(record, {"squares.md": "squares.md"}, _sources(files)).startswith(f"squares.md:3:3: {shown} ")
        assert github_commands([record], summary([record]), files)[0].startswith(f"::{command} ")
        (result,) = sarif_log([record], summary([record]), files)["runs"][0]["results"]
        assert (result["ruleId"], result["level"]) == ("DS001", level)
    assert counts_for_exit(flag("error")) and not counts_for_exit(flag("question"))
    assert counts_for_exit(flag("question"), strict=True) and counts_for_exit({"verdict": "disagrees", "rule": "DS001"})


def _sources(files):
    from derivspec.app.scan_locations import Sources

    return Sources(files)


def test_the_exit_status_counts_errors_unless_strict(squares, capsys, monkeypatch):
    monkeypatch.setattr(derivspec.scan, "scan_file", lambda path, **options: [flag("question")])
    code, out, _ = run(capsys, "scan", "--no-cache", "-q", "squares.md", columns=200)
    assert code == 0 and "squares.md:3:3: DS001? the two sides differ" in out  # shown, but no failure
    assert run(capsys, "scan", "--no-cache", "--strict", "-q", "squares.md")[0] == 1
    monkeypatch.setattr(derivspec.scan, "scan_file", lambda path, **options: [flag("error")])
    assert run(capsys, "scan", "--no-cache", "-q", "squares.md")[0] == 1


def test_select_and_ignore_help_lists_codes_and_families(capsys):
    with pytest.raises(SystemExit):
        cli.main(["scan", "-h"])
    text = " ".join(capsys.readouterr().out.split())
    for part in ("DS001-DS005 judge", "DS101-DS104 dependence", "DS201-DS212 laws", "DS301-DS308 sign",
                 "DS401-DS405 consistency", "ar, contrastive, ddpm", "worked-number", "--strict"):
        assert part in text, part
    assert text.count("DS001-DS005 judge") == 2  # --select and --ignore


def test_a_rule_family_or_name_selects_its_codes(squares, capsys):
    code, out, _ = run(capsys, "scan", "--jobs", "1", "--json", "--ignore", "judge", "squares.md")
    assert code == 0 and json.loads(out)["statements"] == []
    code, out, _ = run(capsys, "scan", "--jobs", "1", "--json", "--select", "step-differs", "squares.md")
    assert code == 1 and [r["rule"] for r in json.loads(out)["statements"]] == ["DS001"]


# --- 2. derivspec rules --------------------------------------------------------------------------------

def test_rules_is_a_table_with_headers_and_summaries(capsys):
    code, out, _ = run(capsys, "rules")
    lines = out.splitlines()
    assert code == 0 and lines[0] == "derivspec rules"
    assert re.match(r"code\s+name\s+family\s+status\s+summary$", lines[1]) and set(lines[2]) == {"─"}
    fits(out)
    assert re.search(r"^DS001\s+step-differs\s+judge\s+default\s+Each relation", out, re.MULTILINE)
    assert re.search(r"^DS201\s+pmf-sums-to-one\s+laws\s+preview\s+A probability mass", out, re.MULTILINE)
    assert "…" in out  # a summary longer than the row is cut, not wrapped
    code, wide, _ = run(capsys, "rules", columns=200)
    assert re.search(r"^DS203\s+conditional-of-given-variable\s+laws\s+preview\s+A conditional density p\(z \| x\) "
                     r"is a density of z, the variable left of the bar\.$", wide, re.MULTILINE)


def test_a_rule_opens_by_code_or_name_and_a_family_lists_alone(capsys):
    by_code, by_name = run(capsys, "rules", "DS001"), run(capsys, "rules", "step-differs")
    assert by_code == by_name and by_code[0] == 0 and by_code[1].startswith("# DS001 `step-differs`")
    code, out, _ = run(capsys, "rules", "--family", "laws")
    codes = re.findall(r"^(DS\d{3}) ", out, re.MULTILINE)
    assert code == 0 and codes and all(c.startswith("DS2") for c in codes) and "derivspec rules: Laws" in out
    code, out, err = run(capsys, "rules", "step-diffs")
    assert code == 2 and out == "" and "did you mean step-differs?" in err
    code, _, err = run(capsys, "rules", "--family", "law")
    assert code == 2 and "judge, dependence, laws, sign, consistency" in err
    code, out, _ = run(capsys, "rules", "--family", "sign", "--json")
    assert {r["family"] for r in json.loads(out)["rules"]} == {"sign"} and json.loads(out)["rules"][0]["summary"]


# --- 3. start-up: a cached claim, errata and coverage load nothing they do not need ---------------------

PROBE = ("import io, sys, contextlib; from derivspec.app import cli; out = io.StringIO()\n"
         "with contextlib.redirect_stdout(out): code = cli.main(sys.argv[1:])\n"
         "print(code, 'torch' in sys.modules, 'sympy' in sys.modules, 'scipy.stats' in sys.modules,\n"
         "      sorted(m.rsplit('.', 1)[1] for m in sys.modules if m.startswith('derivspec.numerics.')))")


def probe(cache: Path, *argv: str, before: str = "") -> tuple[int, bool, bool, bool, list]:
    """(exit code, torch imported, SymPy imported, scipy.stats imported, the numerics modules imported) of
    ``derivspec ARGV`` in a fresh process, after the code ``before``."""
    env = {**os.environ, "DERIVSPEC_CACHE_DIR": str(cache)}
    done = subprocess.run([sys.executable, "-c", before + PROBE, *argv], capture_output=True, text=True, env=env,
                          cwd=ROOT, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    code, torch, sympy, stats, modules = done.stdout.strip().split(" ", 4)
    return int(code), torch == "True", sympy == "True", stats == "True", eval(modules)  # noqa: S307 (our own print)


def test_verify_of_a_cached_claim_loads_neither_torch_nor_sympy(tmp_path):
    """Cold, `verify nll.bernoulli` imports the NLL routes (and where no route index is cached yet, all of
    them: the first run writes it), never scipy.stats at import; cached, it imports neither torch nor SymPy."""
    cache = tmp_path / "cache"
    assert probe(cache, "verify", "nll.bernoulli", "--device", "cpu")[0] == 0  # writes the indexes and the record
    code, torch, sympy, _, modules = probe(cache, "verify", "nll.bernoulli", "--no-cache")
    assert code == 0 and torch and "nll" in modules and "ddpm" not in modules and "score" not in modules
    code, torch, sympy, stats, modules = probe(cache, "verify", "nll.bernoulli")
    assert (code, torch, sympy, stats, modules) == (0, False, False, False, [])


FIRST_CHECK = ("import sys; from derivspec.app import verify; route = verify.run_route; seen = []\n"
               "def watched(*args):\n"
               "    if not seen and 'torch' in sys.modules:  # the claim is then inconclusive: exit 3, not 0\n"
               "        raise RuntimeError('torch was imported before the claim\\'s first numeric check')\n"
               "    seen.append(1)\n"
               "    return route(*args)\n"
               "verify.run_route = watched\n")


def test_verify_imports_torch_in_the_claims_first_numeric_check(tmp_path):
    """Cold `verify CLAIM` starts without torch: it is imported by the claim's first numeric route (with the
    route's module), so its cost is part of the claim's own check time; bad input imports none."""
    cache = tmp_path / "cache"
    assert probe(cache, "verify", "nll.bernoulli", "--device", "cpu")[0] == 0  # writes the indexes
    code, torch, _, _, modules = probe(cache, "verify", "nll.bernoulli", "--no-cache", before=FIRST_CHECK)
    assert code == 0 and torch and "nll" in modules
    code, torch, _, _, _ = probe(cache, "verify", "nll.bernoulli.typo", "--no-cache")
    assert (code, torch) == (2, False)


PROBE_CLAIM = ("import math, sympy; from derivspec.core.registry import REGISTRY, RouteRecord\n"
               "from derivspec.numerics.results import NumericResult\n"
               "REGISTRY.claim('probe.bernoulli')(lambda: REGISTRY.get('nll.bernoulli'))\n"
               "def exact(candidate, claim, ctx):\n"
               "    f = sympy.lambdify([v.symbol for v in claim.variables], candidate, 'math')\n"
               "    points = [(y, p / 8) for y in (0, 1) for p in range(1, 8)]\n"
               "    worst = max(abs(f(y, p) + math.log(p if y else 1 - p)) for y, p in points)\n"
               "    return NumericResult(worst < 1e-12, 'math.log at 14 points', points=len(points), max_abs_diff=worst)\n"
               "REGISTRY.add_route(RouteRecord('exact', 'reference', ('probe.bernoulli',), ('y', 'p'), 'math.log', exact,"
               " 'probe'))\n")


def test_verify_of_a_claim_whose_checks_need_no_torch_imports_none(tmp_path):
    """Nothing of `verify` itself (the derivation, the checker on the wrong variants, the sources, the record,
    the caches) imports torch: a claim whose numeric route is plain Python is verified without it."""
    cache = tmp_path / "cache"
    assert probe(cache, "show", "nll.bernoulli")[0] == 0  # the indexes `verify` reads (claims' modules, routes)
    code, torch, _, _, _ = probe(cache, "verify", "probe.bernoulli", before=PROBE_CLAIM)
    assert (code, torch) == (0, False)


def test_check_starts_without_torch(tmp_path):
    """`check` is symbolic: a formula or LaTeX answer is compared by SymPy without importing torch."""
    cache = tmp_path / "cache"
    answer = "-(y*log(p) + (1-y)*log(1-p))"
    code, torch, sympy, _, modules = probe(cache, "check", "nll.bernoulli", "--formula", answer)
    assert (code, torch, sympy, modules) == (0, False, True, [])
    code, torch, _, _, _ = probe(cache, "check", "kl.gaussian.univariate", "--latex",
                                 r"\log\frac{\sigma_2}{\sigma_1} + \frac{\sigma_1^2 + (\mu_1-\mu_2)^2}{2\sigma_2^2} - \frac12")
    assert (code, torch) == (0, False)


def test_a_cached_record_is_used_only_under_the_routes_it_ran_with(tmp_path, monkeypatch, capsys):
    from derivspec.app import evidence
    from derivspec.core.registry import REGISTRY, RouteRecord
    from derivspec.numerics.routes import load

    monkeypatch.setenv("DERIVSPEC_CACHE_DIR", str(tmp_path))
    load()
    record = {"claim": "nll.bernoulli", "status": "verified", "seconds": 0.1}
    evidence.keep([record], "cpu", 7)
    assert evidence.cached(["nll.bernoulli"], "cpu", 7) == {"nll.bernoulli": record}
    assert evidence.cached(["nll.bernoulli"], "cpu", 8) == {} and evidence.cached(["nll.bernoulli"], "cuda", 7) == {}
    extra = RouteRecord("extra_route", "reference", ("nll.bernoulli",), ("y", "p"), "a route added", None, "test")
    REGISTRY.routes.append(extra)
    try:
        assert evidence.cached(["nll.bernoulli"], "cpu", 7) == {}  # another route: the record is not this run's
    finally:
        REGISTRY.routes.remove(extra)
    evidence.keep([{**record, "claim": "nll.gaussian", "status": "inconclusive"}], "cpu", 7)
    assert "nll.gaussian" not in evidence.cached(["nll.gaussian"], "cpu", 7)  # an inconclusive run is not kept


def test_errata_and_coverage_warm_come_from_the_cache(tmp_path, monkeypatch, capsys):
    from derivspec.app import commands, coverage

    monkeypatch.setenv("DERIVSPEC_CACHE_DIR", str(tmp_path))
    calls = []
    slip = {"claim": "nll.gaussian", "claims": ["nll.gaussian"], "file": "000_f22e563363d1e7ff.txt", "lines": [251, 253],
            "category": "formula", "severity": "error", "as_written": "x", "correct": "y", "evidence": "z", "note": ""}
    monkeypatch.setattr(commands, "errata_entries", lambda seed=0: calls.append("errata") or [slip])
    row = coverage.CoverageRecord("000-7", "000_f22e563363d1e7ff.txt", "12", "equation", "verified", "nll.gaussian")
    monkeypatch.setattr(coverage, "coverage_records", lambda **options: calls.append("coverage") or [row])
    first = [run(capsys, command) for command in ("errata", "coverage")]
    second = [run(capsys, command) for command in ("errata", "coverage")]
    assert calls == ["errata", "coverage"] and first == second  # the second run computed nothing
    assert "1 slips in the lectures disagree with their derivations (1 error, 0 imprecise, 0\n  notation)" in first[0][1]
    assert "100.0 %" in first[1][1]


def test_the_benchmark_measures_start_up_and_work_apart():
    text = (ROOT / "benchmarks" / "bench_startup.py").read_text(encoding="utf-8")
    for part in ('"verify", args.claim, "--json", "--no-cache"', '"verify", args.claim]', '"errata"', '"coverage"',
                 '"report", "--out"', "import torch, sympy", "wall - work"):
        assert part in text, part


# --- 4. the report: progress on a terminal only, --quick FAMILIES runs only those ----------------------

def test_report_progress_is_a_bar_on_a_terminal_and_quiet_otherwise(capsys, monkeypatch):
    from rich.console import Console

    from derivspec.app.report import Progress

    progress = Progress(3)  # stderr captured: not a terminal
    for step in ("a", "b", "c"):
        progress.step(step)
    progress.close()
    assert progress.bar is None and capsys.readouterr().err == ""
    monkeypatch.setattr(Console, "is_terminal", property(lambda self: True))
    monkeypatch.setenv("CI", "true")
    assert Progress(3).bar is None  # under CI: quiet too
    monkeypatch.delenv("CI")
    progress = Progress(3)
    assert progress.bar is not None
    progress.step("a")
    assert progress.bar.tasks[0].completed == 1
    progress.close()


def test_report_quick_families_runs_only_their_claims_and_models(tmp_path, monkeypatch):
    from derivspec.app import report
    from derivspec.app.run import specifications

    asked = {}

    def work(ids, model_names, ctx, out, quick, jobs, progress, pages=()):
        asked.update(ids=ids, models=model_names, quick=quick)
        return {claim_id: {} for claim_id in ids}, [], {}, {}

    monkeypatch.setattr(report, "run_work", work)
    monkeypatch.setattr(report, "entry_of", lambda record: None)
    report.collect(["nll", "kl.gaussian.univariate"], device="cpu", quick=True, out=tmp_path)
    every = {s.name: s.family for s in specifications()}
    assert asked["quick"] and asked["ids"][0].startswith("nll.") and "kl.gaussian.univariate" in asked["ids"]
    assert {i.split(".")[0] for i in asked["ids"]} == {"nll", "kl"}
    assert set(asked["models"]) == {name for name, family in every.items() if family in ("nll", "kl")}
    assert 0 < len(asked["models"]) < len(every)
    assert report.report_models(True) == tuple(sorted(every))  # the whole report: every model



def test_report_claims_start_while_the_scan_page_is_made_when_no_model_is_left(tmp_path, monkeypatch):
    """The report's pool (run_work): the pages first, the claims held for the statuses the scan caches -- but a worker
    that would only wait for a page (no model left to run) takes the claims at once (issue 90: the quick report spent
    a minute on one core). A thread pool stands in for the processes: the page waits until a claim has run."""
    import concurrent.futures
    import threading
    from types import SimpleNamespace

    from derivspec.app import evidence, report, verify

    class Pool(concurrent.futures.ThreadPoolExecutor):
        def __init__(self, max_workers, mp_context=None, initializer=None, initargs=()):
            super().__init__(max_workers)

    claim_ran, seen = threading.Event(), []

    def page(work):
        seen.append(("page", claim_ran.wait(timeout=20)))  # held claims would leave this wait to time out
        return "ok", work.name, 0.0

    def claim(claim_id, reuse_sources):
        seen.append(("claim", claim_id, reuse_sources))
        claim_ran.set()
        return SimpleNamespace(claim_id=claim_id, record={"claim": claim_id})

    monkeypatch.setenv("DERIVSPEC_CACHE_DIR", str(tmp_path))
    monkeypatch.setenv("DERIVSPEC_NO_EVIDENCE_CACHE", "1")
    monkeypatch.setattr(concurrent.futures, "ProcessPoolExecutor", Pool)
    monkeypatch.setattr(report, "_page_work", page)
    monkeypatch.setattr(report, "_claim_work", claim)
    for name in ("load_for", "prepare_fork", "_init_worker"):
        monkeypatch.setattr(verify, name, lambda *args: None)
    monkeypatch.setattr(evidence, "keep_outcomes", lambda *args: None)
    ctx = SimpleNamespace(device_type="cpu", seed=0)
    records, runs, errors, made = report.run_work(["nll.a", "nll.b"], (), ctx, None, True, 2, report.Progress(3),
                                                  (report.PageWork("scan", lambda: None),))
    assert ("page", True) in seen and set(records) == {"nll.a", "nll.b"} and made == {"scan": "scan"}
    assert {entry[1] for entry in seen if entry[0] == "claim"} == {"nll.a", "nll.b"}


# --- 5. tables keep their headers when piped and fit 80 columns; a bare derivspec -----------------------

def test_list_keeps_its_header_and_cuts_titles_with_an_ellipsis(capsys):
    code, out, _ = run(capsys, "list", "--grep", "bernoulli")
    lines = out.splitlines()
    assert code == 0 and re.match(r"claim\s+family\s+title\s+symbols$", lines[1]) and set(lines[2]) == {"─"}
    fits(out)
    rows = [line for line in lines[3:] if line]
    assert rows and all(re.match(r"[a-z]+\.[\w.-]+\s", line) for line in rows)  # one line per claim, none wrapped
    assert any("…" in line for line in rows) and any(line.startswith("nll.bernoulli ") for line in rows)


def test_a_reference_models_tables_keep_their_headers_when_piped(capsys, monkeypatch):
    from derivspec.app.output import say, table
    from derivspec.app.run import print_result
    from derivspec.reference_models.specification import Check, ResultTable, SpecResult

    monkeypatch.setenv("COLUMNS", "80")
    rows = [("closed form, a very long description of the estimator that cannot fit", "1.2345", "0.0012")] * 2
    result = SpecResult("linear-regression", "cpu", 0, True, checks=[Check("the fit holds", True, "e")],
                        tables=[ResultTable("θ against the normal equations", ("estimator", "θ̂₁", "θ̂₂"), rows)])
    capsys.readouterr()
    print_result(result, table, say)
    out = capsys.readouterr().out
    header = next(line for line in out.splitlines() if line.startswith("estimator"))
    assert re.match(r"estimator\s+θ̂₁\s+θ̂₂$", header) and "closed form, a very long" in out and "…" in out
    assert out.count("1.2345") == 2  # the numbers whole: the long text is what is cut
    fits(out)


def test_a_bare_derivspec_prints_the_usage_and_where_to_start(capsys):
    code, out, err = run(capsys)
    assert code == 2 and err == "" and out.startswith("usage: derivspec")
    for command in ("list", "show CLAIM", "check CLAIM --latex TEX", "scan FILE", "verify [CLAIM]"):
        assert f"  derivspec {command} " in out, command
    fits(out)


# --- 6. check in the user's letters says one thing ----------------------------------------------------

def test_check_in_the_users_letters_says_one_thing(capsys):
    latex = r"-\log\mathcal N(t; m, s^2) = \frac{(t-m)^2}{2s^2} + \log s + \frac12\log 2\pi"
    code, out, _ = run(capsys, "check", "nll.gaussian", "--latex", latex, columns=200)
    assert code == 0 and "nll.gaussian: equivalent" in out
    assert r"read with t = y, m = mu, s = sigma: your left-hand side -\log\mathcal N(t; m, s^2) is the claim's" in out
    assert "read as a label" not in out and out.count("t = y") == 1
    code, out, _ = run(capsys, "check", "nll.gaussian", "--latex", latex, "--json")
    assert json.loads(out)["notes"] == []
