"""docs/ is generated from the registry; it must match the code."""

from derivspec.docs import DOCS, family_page


def test_family_pages_are_current():
    page = (DOCS / "nll.md").read_text(encoding="utf-8")
    assert page == family_page("nll"), "docs/nll.md is stale: run python -m derivspec.docs"
