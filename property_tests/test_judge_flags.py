"""benchmarks/judge_flags.py: every flag of a real-error measurement is judged before a rule's status can change."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
import judge_flags  # noqa: E402


def _flag(file, line, rule, on_error=False):
    return {"file": file, "lines": [line, line], "rule": rule, "on_error": on_error, "reason": "r"}


def test_flags_are_counted_by_rule_and_half_and_unjudged_ones_listed():
    measurements = [
        {"half": "development", "copy": "original", "flag_list": [
            _flag("000__a.md", 5, "DS206"), _flag("001__b.md", 9, "DS206"), _flag("001__b.md", 12, "DS202", on_error=True)]},
        {"half": "heldout", "copy": "original", "flag_list": [_flag("003__c.md", 2, "DS202")]},
        {"half": "development", "copy": "renamed", "flag_list": [_flag("000__a.md", 5, "DS206")]},  # not judged again
    ]
    judged = {("development", "000__a.md", 5, "DS206"): {"verdict": "wrong"}}  # the number tells revisions apart
    table, unjudged = judge_flags.judge(measurements, judged)
    none_asked = {"questions": 0, "questions_right": 0, "questions_wrong": 0, "questions_unjudged": 0}  # all errors
    assert table["DS206"]["development"] == {"flags": 2, "right": 0, "wrong": 1, "unjudged": 1, **none_asked}
    assert table["DS202"]["development"] == {"flags": 1, "right": 1, "wrong": 0, "unjudged": 0, **none_asked}  # error line
    assert table["DS202"]["heldout"]["unjudged"] == 1
    assert [(h, f["file"]) for h, f in unjudged] == [("development", "001__b.md"), ("heldout", "003__c.md")]


def test_a_rule_qualifies_only_with_every_development_flag_judged_and_95_percent_right():
    assert judge_flags.qualifies({"flags": 20, "right": 19, "wrong": 1, "unjudged": 0}, 0.95)
    assert not judge_flags.qualifies({"flags": 20, "right": 18, "wrong": 2, "unjudged": 0}, 0.95)
    assert not judge_flags.qualifies({"flags": 20, "right": 19, "wrong": 0, "unjudged": 1}, 0.95)
    assert not judge_flags.qualifies({"flags": 0, "right": 0, "wrong": 0, "unjudged": 0}, 0.95)


def test_the_judgements_file_parses_and_names_only_right_or_wrong():
    rows = judge_flags.judgements()
    assert rows and all(r["verdict"] in ("right", "wrong") and r["why"] for r in rows.values())
