"""Coverage of the five lectures (derivspec/app/coverage.py): the project's copy of the claim index,
the recorded reasons, the rules that give each statement its verdict, the command, and the
generated tables in docs/coverage.md and the README."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from derivspec.app import coverage
from derivspec.app.cli import main
from derivspec.core import registry
from derivspec.core.claims import Source
from derivspec.core.lectures import LECTURES, S003
from derivspec.core.sources import SourceResult

INDEX = Path(__file__).resolve().parents[2] / "shared" / "claim-index.md"
ROWS = {row.id: row for row in coverage.index_rows()}


@pytest.mark.skipif(not INDEX.is_file(), reason="../shared/claim-index.md not present")
def test_index_copy_matches_the_claim_index():
    rows = coverage.parse_claim_index(INDEX.read_text(encoding="utf-8"))
    assert coverage.format_index_rows(rows) == coverage.INDEX_ROWS.read_text(encoding="utf-8"), \
        "derivspec/data/index_rows.tsv is stale: run python scripts/index_rows.py"


def test_index_rows_are_well_formed():
    files = {lecture.file for lecture in LECTURES}
    assert len(ROWS) == len(coverage.index_rows()), "row ids are unique"
    for row in coverage.index_rows():
        assert row.file in files and row.kind in coverage.KINDS, row
        assert all(0 < first <= last for first, last in row.spans), row


def _sources_not_run() -> list:
    """Every source of every claim, statuses left out: which rows a source decides depends on lines only."""
    return [(claim.id, SourceResult(source, "not_run")) for claim in registry.all_claims() for source in claim.sources]


def test_reasons_name_index_rows_with_their_lines_and_kinds():
    for row_id, entry in coverage.explicit_reasons().items():
        assert row_id in ROWS, f"coverage.toml names {row_id}, which the index does not have"
        assert (entry["lines"], entry["kind"]) == (ROWS[row_id].lines, ROWS[row_id].kind), row_id
        assert len(entry["reason"].split()) >= 3, f"{row_id}: say why there is nothing to check"


def test_no_reason_is_recorded_for_a_statement_a_source_decides():
    sources = _sources_not_run()
    decided = sorted(row_id for row_id in coverage.explicit_reasons() if coverage.deciding(ROWS[row_id], sources))
    assert not decided, f"these rows have a source now: drop their reasons from coverage.toml: {decided}"


def _result(lines: str, status: str, note: str = "", nothing: bool = False) -> tuple[str, SourceResult]:
    return "c", SourceResult(Source(S003, lines, "x", note=note, nothing_to_compare=nothing), status,
                             correct="right", evidence="why")


def test_verdict_rules():
    row = coverage.IndexRow("S003-C999", S003, "100–110", "identity")
    decide = lambda sources, reasons={}: coverage.verdict_of(row, coverage.deciding(row, sources), reasons)  # noqa: E731
    # sources inside the row's lines decide it; a wider overlapping source only when none lies inside
    assert decide([_result("95–120", "disagrees"), _result("104", "matches")]).verdict == "verified"
    assert decide([_result("95–120", "disagrees")]).verdict == "disagrees"
    assert decide([_result("104", "matches"), _result("105", "disagrees")]).verdict == "disagrees"
    noted = decide([_result("104", "not_comparable", note="a definition")])
    assert noted.verdict == "not_comparable" and noted.reason == "a definition"
    assert decide([_result("104", "not_run")]).verdict == "not_run"
    assert decide([_result("90–99", "matches")]).verdict == "not_yet_encoded"
    reasons = {"S003-C999": {"reason": "history"}}
    assert decide([], reasons) == coverage.CoverageRecord("S003-C999", S003, "100–110", "identity",
                                                           "no_checkable_content", reason="history")


def test_a_row_is_verified_only_when_all_of_it_is():
    row = coverage.IndexRow("S003-C999", S003, "100–110", "identity")
    decide = lambda sources, unchecked={}: coverage.verdict_of(row, coverage.deciding(row, sources), {}, unchecked)  # noqa: E731
    whole = decide([_result("104", "matches"), _result("106", "not_comparable", "history, not a formula", nothing=True)])
    assert whole.verdict == "verified" and whole.reason == "compared: 1 source (lines 104)"
    part = decide([_result("104", "matches"), _result("106", "not_comparable", "the second pair is not compared")])
    assert part.verdict == "partly_verified"
    assert "compared: 1 source (lines 104)" in part.reason and "L106: the second pair is not compared" in part.reason
    recorded = decide([_result("104", "matches")], {"S003-C999": "rows 3–6 of the table"})
    assert recorded.verdict == "partly_verified" and recorded.reason.endswith("not compared: rows 3–6 of the table")
    nothing = decide([_result("104", "not_comparable", "a framing", nothing=True)])
    assert nothing.verdict == "no_checkable_content" and nothing.reason == "a framing"


def test_unchecked_parts_name_rows_that_a_source_matches(records):
    verdicts = {r.row: r.verdict for r in records}
    for row_id, unchecked in coverage.unchecked_parts().items():
        assert row_id in ROWS, f"coverage.toml [[partial]] names {row_id}, which the index does not have"
        assert verdicts[row_id] == "partly_verified", f"{row_id}: [[partial]] for a row no source matches ({verdicts[row_id]})"
        assert len(unchecked.split()) >= 3, f"{row_id}: say what is not compared"


def test_mathematical_content_excludes_history_and_notation_only():
    record = lambda kind, verdict: coverage.CoverageRecord("r", S003, "1", kind, verdict)  # noqa: E731
    assert not record("history/opinion", "verified").mathematical
    assert not record("definition", "no_checkable_content").mathematical
    assert record("definition", "verified").mathematical and record("identity", "no_checkable_content").mathematical


def test_records_of_one_seed_file_for_scan():
    records = coverage.coverage_records(f"/anywhere/{S003}")
    assert {r.file for r in records} == {S003} and len(records) == sum(r.file == S003 for r in coverage.index_rows())
    row, lines, verdict, claim, reason = records[0].as_tuple()
    assert row == records[0].row and verdict in (*coverage.VERDICTS, "not_run")
    assert coverage.coverage_records("lecture-notes-of-someone-else.md") == []


@pytest.fixture(scope="module")
def records():
    return coverage.coverage_records(run_behaviour=True)


def test_docs_page_and_readme_table_are_current(records):
    summary = coverage.summarise(records)
    assert coverage.DOCS_PAGE.read_text(encoding="utf-8") == coverage.docs_page(records, summary), \
        "docs/coverage.md is stale: run python -m derivspec.app.coverage"
    readme = coverage.README.read_text(encoding="utf-8")
    assert coverage.with_readme_block(readme, summary) == readme, "the README's coverage table is stale: run python -m derivspec.app.coverage"


def test_most_statements_with_mathematical_content_have_a_verdict_or_a_reason(records):
    total = coverage.summarise(records)[-1]
    assert total["lecture"] == "all" and total["not_run"] == 0
    assert total["percent"] >= 90, total


def test_coverage_command(capsys):
    assert main(["coverage", "--json"]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert [t["lecture"] for t in payload["lectures"]] == [lecture.number for lecture in LECTURES] + ["all"]
    assert len(payload["statements"]) == len(coverage.index_rows()) and "meta" in payload
    assert {"row", "file", "lines", "kind", "verdict", "claim", "reason"} <= set(payload["statements"][0])
    assert main(["coverage"]) == 0
    out = capsys.readouterr().out
    assert "lecture" in out and "all" in out and "%" in out
