"""docs/ is generated from the registry and the reference-model specs; it must match the code."""

import pytest

from derivspec.core import registry
from derivspec.app.docs import DOCS, families_page, family_page, main, models_page, recognisers_page

FAMILIES = sorted({c.family for c in registry.all_claims()})


@pytest.mark.parametrize("family", FAMILIES)
def test_family_pages_are_current(family):
    page = (DOCS / f"{family}.md").read_text(encoding="utf-8")
    assert page == family_page(family), f"docs/{family}.md is stale: run python -m derivspec.app.docs"


@pytest.mark.parametrize("name, make", [("models.md", models_page), ("families.md", families_page),
                                        ("recognisers.md", recognisers_page)])
def test_index_pages_are_current(name, make):
    assert (DOCS / name).read_text(encoding="utf-8") == make(), f"docs/{name} is stale: run python -m derivspec.app.docs"


def test_math_is_written_the_way_github_renders_it():
    page = family_page("kl")
    assert "— $ " not in page and " $ (" not in page, "no space just inside inline dollars"
    assert "\n$$\n" in page and "— as written: $" in page
    assert "003_8a5dbeec3922fcb3.txt" not in page and "A Probabilistic View of ML (Batra), lines" in page


def test_installed_copy_needs_out(tmp_path, monkeypatch, capsys):
    import derivspec.app.docs as docs

    monkeypatch.setattr(docs, "SOURCE_DOCS", tmp_path / "site-packages" / "docs")
    assert main([]) == 2 and "--out DIR" in capsys.readouterr().err
