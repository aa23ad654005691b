"""The catalogue's cache: one key per source status, so what ``verify`` computed is what ``errata``,
``list``, ``show``, ``coverage`` and ``scan`` read -- ``errata`` after ``verify`` recomputes nothing."""

from __future__ import annotations

import json

import pytest

from derivspec.app.cli import main
from derivspec.app.commands import errata_entries
from derivspec.core import catalogue, registry

# a behaviour source (a reference model run), sources cited at single lines and at ranges, an erratum
CLAIMS = ["flow.box-muller", "map.lasso.soft-threshold", "nll.gaussian"]


@pytest.fixture
def cache_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("DERIVSPEC_CACHE_DIR", str(tmp_path))
    return tmp_path


@pytest.fixture
def comparisons(monkeypatch):
    """Every source comparison made through the catalogue (a behaviour source runs its model there)."""
    calls = []
    original = catalogue.compare_source

    def counting(claim, source, *args, **kwargs):
        calls.append((claim.id, source.file, source.lines, source.behaviour))
        return original(claim, source, *args, **kwargs)

    monkeypatch.setattr(catalogue, "compare_source", counting)
    return calls


def test_the_claims_cover_what_the_key_must_handle():
    sources = [s for claim_id in CLAIMS for s in registry.get(claim_id).sources]
    assert any(s.behaviour for s in sources)
    assert any(s.span[0] == s.span[1] for s in sources) and any(s.span[0] < s.span[1] for s in sources)
    assert any("–" in s.lines for s in sources)  # the seeds' en dash, read back from a key with a hyphen


def test_errata_after_verify_recomputes_nothing(cache_dir, comparisons, capsys):
    assert main(["verify", *CLAIMS, "--jobs", "1", "--json"]) == 0
    verified = json.loads(capsys.readouterr().out)
    assert all(c["status"] == "verified" for c in verified["claims"])
    entries = errata_entries(claim_ids=CLAIMS)
    assert comparisons == [], f"errata recomputed {len(comparisons)} source statuses that verify had computed"
    assert {e["claim"] for e in entries} == {c["claim"] for c in verified["claims"]
                                             if any(s["status"] == "disagrees" for s in c["sources"])}
    assert capsys.readouterr().err == ""  # nothing recomputed: no progress lines


def test_without_verify_errata_recomputes_and_shows_progress(cache_dir, comparisons, capsys):
    errata_entries(claim_ids=CLAIMS)
    n_sources = sum(len(registry.get(c).sources) for c in CLAIMS)
    assert len(comparisons) == n_sources  # the counter sees every comparison: the test above can fail
    err = capsys.readouterr().err
    behaviours = [c for c in comparisons if c[3]]
    assert f"ran {len(behaviours)} behaviour checks" in err and behaviours[0][3] in err
    comparisons.clear()
    errata_entries(claim_ids=CLAIMS)  # and now everything comes from the cache
    assert comparisons == []


@pytest.mark.parametrize("lines, span", [("504", (504, 504)), ("247–253", (247, 253)), ("247-253", (247, 253))])
def test_one_key_whatever_the_source_wrote(lines, span):
    from derivspec.core.claims import Source
    from derivspec.core.sources import SourceResult

    source = Source("f.txt", lines, "x = 1")
    written, _ = catalogue.source_entry(0, SourceResult(source, "matches"), seed=3)  # what verify writes
    listed = catalogue.source_key(0, "f.txt", list(span), 3)  # what list reads from its JSON listing
    assert written == listed == f"0:f.txt:{span[0]}-{span[1]}:seed3"


@pytest.mark.slow
def test_errata_after_a_full_verify_recomputes_nothing(cache_dir, comparisons, capsys):
    main(["verify", "--json"])
    capsys.readouterr()
    errata_entries()
    assert comparisons == []
