"""The compiled knowledge tables are kept in the cache directory (knowledge._load): read back equal, and a
damaged or missing file is compiled afresh, never an error."""

from __future__ import annotations

from derivspec.scan import knowledge


def _fresh(monkeypatch, folder):
    monkeypatch.setenv("DERIVSPEC_CACHE_DIR", str(folder))
    knowledge._load.cache_clear()


def test_the_compiled_tables_are_read_back_equal(tmp_path, monkeypatch):
    _fresh(monkeypatch, tmp_path)
    compiled = knowledge._load()
    stored = list(tmp_path.glob("knowledge-*.pickle"))
    assert len(stored) == 1
    _fresh(monkeypatch, tmp_path)
    assert knowledge._load() == compiled
    knowledge._load.cache_clear()


def test_a_damaged_or_unwritable_cache_compiles_afresh(tmp_path, monkeypatch):
    _fresh(monkeypatch, tmp_path)
    compiled = knowledge._load()
    (stored,) = tmp_path.glob("knowledge-*.pickle")
    stored.write_bytes(b"not a pickle")
    _fresh(monkeypatch, tmp_path)
    assert knowledge._load() == compiled
    blocked = tmp_path / "a-file"
    blocked.write_text("")
    _fresh(monkeypatch, blocked / "below")  # a cache directory that cannot be made
    assert knowledge._load() == compiled
    knowledge._load.cache_clear()
