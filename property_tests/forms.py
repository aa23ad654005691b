"""The shared body of the families' `test_check_accepts_correct_forms_and_rejects_mistakes`: what a
user would type for a claim, read as ``--formula`` and ``--latex``, must be `equivalent`; each
plausible mistake `not_equivalent`."""

from derivspec.core import registry
from derivspec.core.checker import compare, read_candidate


def assert_forms(claim_id: str, formulas, latexes, mistakes) -> None:
    claim = registry.get(claim_id)
    candidates = [read_candidate(claim, formula=f) for f in formulas] + [read_candidate(claim, latex=x) for x in latexes]
    assert candidates, f"{claim_id}: no correct form to check"
    for candidate in candidates:
        assert compare(claim, candidate).verdict == "equivalent", candidate
    assert mistakes, f"{claim_id}: no mistake to reject"
    for mistake in mistakes:
        assert compare(claim, read_candidate(claim, formula=mistake)).verdict == "not_equivalent", mistake
