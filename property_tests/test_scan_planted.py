"""Recall of derivspec scan on the planted-error sets (benchmarks/scan_planted.py, issue 15).

The floors sit a little below the measured recall (manifest.json: chain errors 34/39, known
results 29/31; heldout.json, a development set since the follow-up round: chain 16/21, known 4/9;
heldout2.json, a development set since the third round: chain 8/19, known 12/25); a change that
loses errors fails here. heldout3.json is measured by hand, once, at the end of the third round,
and has no floor: a floor would make it a development set.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
FLOORS = {"chain": 0.84, "known": 0.9}
HELDOUT_FLOORS = {"chain": 0.74, "known": 0.4}
# chain 8/19 -> 7/19 (issue 23): the dropped factor 2 planted in d2l linear-regression L258 was found by
# reading X, w as scalars; a scalar reading of matrices no longer flags (derivspec/scan/matrices.py)
HELDOUT2_FLOORS = {"chain": 0.36, "known": 0.44}


def planted_module():
    spec = importlib.util.spec_from_file_location("scan_planted", ROOT / "benchmarks" / "scan_planted.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.skipif(not (SHARED / "seeds").is_dir() or not (SHARED / "corpus" / "d2l").is_dir(),
                    reason="../shared/seeds and ../shared/corpus/d2l are not present")
@pytest.mark.slow  # 69 s on 2 cores: the planted set scanned whole
def test_recall_on_planted_errors():
    module = planted_module()
    entries = module.load_manifest()
    assert len(entries) >= 60
    outcome = module.measure(entries, workers=0)
    recall = outcome["recall"]["category"]
    assert not [e for e in outcome["errors"] if e["original_flagged"]], "a planted line is flagged in the original"
    for category, floor in FLOORS.items():
        assert recall[category]["recall"] >= floor, (category, recall[category])


@pytest.mark.skipif(not (SHARED / "seeds").is_dir() or not (SHARED / "corpus" / "d2l").is_dir(),
                    reason="../shared/seeds and ../shared/corpus/d2l are not present")
def test_recall_on_the_first_heldout_set():
    module = planted_module()
    outcome = module.measure(module.load_manifest(module.MANIFEST.parent / "heldout.json"), workers=0)
    recall = outcome["recall"]["category"]
    assert not [e for e in outcome["errors"] if e["original_flagged"]], "a planted line is flagged in the original"
    for category, floor in HELDOUT_FLOORS.items():
        assert recall[category]["recall"] >= floor, (category, recall[category])


@pytest.mark.skipif(not (SHARED / "seeds").is_dir() or not (SHARED / "corpus" / "d2l").is_dir(),
                    reason="../shared/seeds and ../shared/corpus/d2l are not present")
def test_recall_on_the_second_heldout_set():
    module = planted_module()
    outcome = module.measure(module.load_manifest(module.MANIFEST.parent / "heldout2.json"), workers=0)
    recall = outcome["recall"]["category"]
    assert not [e for e in outcome["errors"] if e["original_flagged"]], "a planted line is flagged in the original"
    for category, floor in HELDOUT2_FLOORS.items():
        assert recall[category]["recall"] >= floor, (category, recall[category])


def test_the_manifest_edits_apply_exactly_once():
    module = planted_module()
    if not (SHARED / "seeds").is_dir():
        pytest.skip("../shared/seeds not present")
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        copies = module.build_copies(module.load_manifest(), Path(tmp))
        assert sum(len(group) for _, _, group in copies) == len(module.load_manifest())


def _spans(module, entries):
    """The statements (file, lines, text) that the entries edit."""
    from derivspec.scan.extract import extract

    found = set()
    for file in {e["file"] for e in entries}:
        statements = extract(SHARED / file)
        for e in entries:
            if e["file"] == file:
                covering = [s for s in statements if s.lines[0] <= e["line"] <= s.lines[1]]
                assert covering, (file, e["line"])
                found |= {(file, s.lines, s.text) for s in covering if e["find"].strip("$ ") in s.text} or \
                    {(file, s.lines, s.text) for s in covering}
    return found


def _applies_exactly_once(module, entries):
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        copies = module.build_copies(entries, Path(tmp))
        assert sum(len(group) for _, _, group in copies) == len(entries)


def test_the_heldout_set_edits_other_statements_than_the_manifest():
    """heldout.json (held out for one round, a development set since) plants >= 20 errors, each
    exactly once on its line, on statements that manifest.json does not edit."""
    module = planted_module()
    if not (SHARED / "seeds").is_dir():
        pytest.skip("../shared/seeds not present")
    heldout = module.load_manifest(module.MANIFEST.parent / "heldout.json")
    assert len(heldout) >= 20
    _applies_exactly_once(module, heldout)
    assert _spans(module, heldout).isdisjoint(_spans(module, module.load_manifest()))


def test_the_second_heldout_set_edits_statements_of_neither_earlier_set():
    """heldout2.json (written before the scanner work of its round, measured once at its end) plants
    >= 30 errors over all twelve lectures, about half in chains and half in known results, each
    exactly once on its line, on statements that neither manifest.json nor heldout.json edits; no
    two of its entries edit the same statement."""
    module = planted_module()
    if not (SHARED / "seeds").is_dir() or not (SHARED / "corpus" / "d2l").is_dir():
        pytest.skip("../shared/seeds or ../shared/corpus/d2l not present")
    heldout2 = module.load_manifest(module.MANIFEST.parent / "heldout2.json")
    assert len(heldout2) >= 30
    files = {e["file"] for e in heldout2}
    assert len(files) == len(list((SHARED / "seeds").glob("*.txt")) + list((SHARED / "corpus" / "d2l").glob("*.md")))
    categories = [e["category"] for e in heldout2]
    assert min(categories.count("chain"), categories.count("known")) >= len(heldout2) // 3
    _applies_exactly_once(module, heldout2)
    mine = _spans(module, heldout2)
    assert len(mine) >= len(heldout2)
    assert mine.isdisjoint(_spans(module, module.load_manifest()))
    assert mine.isdisjoint(_spans(module, module.load_manifest(module.MANIFEST.parent / "heldout.json")))


def test_the_third_heldout_set_edits_statements_of_no_earlier_set():
    """heldout3.json (written before the scanner work of the third round, measured once at its end)
    plants >= 30 errors over all twelve lectures, about half in chains and half in known results,
    each exactly once on its line, on statements that none of manifest.json, heldout.json and
    heldout2.json edits; no two of its entries edit the same statement."""
    module = planted_module()
    if not (SHARED / "seeds").is_dir() or not (SHARED / "corpus" / "d2l").is_dir():
        pytest.skip("../shared/seeds or ../shared/corpus/d2l not present")
    heldout3 = module.load_manifest(module.MANIFEST.parent / "heldout3.json")
    assert len(heldout3) >= 30
    files = {e["file"] for e in heldout3}
    assert len(files) == len(list((SHARED / "seeds").glob("*.txt")) + list((SHARED / "corpus" / "d2l").glob("*.md")))
    categories = [e["category"] for e in heldout3]
    assert min(categories.count("chain"), categories.count("known")) >= len(heldout3) // 3
    _applies_exactly_once(module, heldout3)
    mine = _spans(module, heldout3)
    assert len(mine) >= len(heldout3)
    for earlier in ("manifest.json", "heldout.json", "heldout2.json"):
        assert mine.isdisjoint(_spans(module, module.load_manifest(module.MANIFEST.parent / earlier))), earlier
