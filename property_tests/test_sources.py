"""Every source cites real lines: the words of its as-written quote are found in the seed
file at the lines it names (../shared/seeds beside the repository)."""

import re
from pathlib import Path

import pytest

from derivspec.core import registry

SEEDS = Path(__file__).resolve().parents[2] / "shared" / "seeds"
SOURCES = [(c.id, s) for c in registry.all_claims() for s in c.sources]


def cited_text(source) -> str:
    lines = (SEEDS / source.file).read_text(encoding="utf-8").splitlines()
    first, last = source.span
    return "\n".join(lines[first - 1:last])


def words(text: str) -> set[str]:
    return set(re.findall(r"[A-Za-z]{3,}|\d+(?:\.\d+)?", text))


@pytest.mark.skipif(not SEEDS.is_dir(), reason="../shared/seeds not present")
@pytest.mark.parametrize("claim_id, source", SOURCES, ids=[f"{c}:{s.lines}" for c, s in SOURCES])
def test_quote_is_found_at_the_cited_lines(claim_id, source):
    quoted = words(source.as_written)
    found = words(cited_text(source))
    missing = quoted - found
    numbers = {w for w in missing if w[0].isdigit()}
    assert not numbers, f"{source.file}:{source.lines} lacks the numbers {sorted(numbers)}"
    assert len(missing) <= 0.2 * len(quoted), f"{source.file}:{source.lines} lacks {sorted(missing)}"
