"""docs/ is generated from the registry; it must match the code."""

import pytest

from derivspec.core import registry
from derivspec.docs import DOCS, family_page

FAMILIES = sorted({c.family for c in registry.all_claims()})


@pytest.mark.parametrize("family", FAMILIES)
def test_family_pages_are_current(family):
    page = (DOCS / f"{family}.md").read_text(encoding="utf-8")
    assert page == family_page(family), f"docs/{family}.md is stale: run python -m derivspec.docs"
