"""The check corpus (issue 10): correct rewrites and plausible mistakes across the catalogue's
claims and the LaTeX styles of lecture notes, each with its reason and expected verdict.

Data: ``property_tests/check_corpus/*.toml`` -- ``lecture_styles.toml`` is hand-written (styles,
mistakes, the issue's constructions); ``catalogue.toml`` covers every claim with a machine
rewrite of its target (an identity: expand, together, factor, ...) printed as a formula and as
LaTeX, and plausible mistakes (a dropped term, a flipped sign, a doubled factor) confirmed
different when the file was generated (``check_corpus/generate.py``).

No case may give a false ``equivalent``: a case expected ``not_equivalent`` must never come out
equivalent, and the verdict must match exactly.
"""

from __future__ import annotations

import importlib.util
import tomllib
from pathlib import Path

import pytest

from derivspec.core import registry
from derivspec.core.checker import check
from derivspec.core.errors import DerivspecError, UnknownClaimError
from derivspec.scan.known import roles_of_left_side

CORPUS = Path(__file__).parent / "check_corpus"
_spec = importlib.util.spec_from_file_location("check_corpus_generate", CORPUS / "generate.py")
_generate = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_generate)
target_digest = _generate.target_digest  # the generator's fingerprint of a claim
SECONDS = 20.0  # per case; the CLI's limit is 30 s


def load_cases() -> list[dict]:
    cases = []
    for path in sorted(CORPUS.glob("*.toml")):
        for i, case in enumerate(tomllib.loads(path.read_text(encoding="utf-8"))["case"]):
            case["id"] = f"{path.stem}:{i}:{case['claim']}"
            cases.append(case)
    return cases


CASES = load_cases()


def verdict_of(case: dict) -> tuple[str, dict | None]:
    claim = registry.get(case["claim"])
    try:
        # as `derivspec check` runs it: a pasted left-hand side's roles matched as scan matches known results
        result = check(claim, formula=case.get("formula"), latex=case.get("latex"), seconds=SECONDS,
                       roles=roles_of_left_side)
    except DerivspecError:
        return "bad_input", None
    return result["verdict"], result


def test_corpus_size_and_fields():
    assert len(CASES) >= 150
    kinds = {c["kind"] for c in CASES}
    assert kinds <= {"correct", "mistake", "construction"}
    for case in CASES:
        assert ("formula" in case) != ("latex" in case), case["id"]
        assert case["expect"] in ("equivalent", "not_equivalent", "inconclusive", "bad_input"), case["id"]
        assert case["reason"].strip(), case["id"]
    assert sum(c["kind"] == "correct" for c in CASES) >= 60
    assert sum(c["kind"] in ("mistake", "construction") for c in CASES) >= 60


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_corpus_case(case):
    try:
        claim = registry.get(case["claim"])
    except UnknownClaimError:
        pytest.skip(f"claim {case['claim']} is not in this catalogue")
    if "target" in case and case["target"] != target_digest(claim):
        pytest.skip(f"claim {case['claim']} changed since check_corpus/generate.py wrote this case: rerun it")
    verdict, result = verdict_of(case)
    if case["expect"] != "equivalent":
        assert verdict != "equivalent", f"false equivalent: {case['reason']} -- {result}"
    assert verdict == case["expect"], (case["reason"], result)
    if verdict == "not_equivalent" and case["kind"] != "construction":
        assert result["numeric"]["counterexample"] is not None
