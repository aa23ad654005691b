"""Known sources: for a lecture the registry cites, its registered verdicts at their lines.

Every claim source that cites the scanned file (by its name, as ``list --json`` gives it) becomes
a record of kind ``source`` at the source's lines, with the registry's status for it: ``matches``
-> proved, ``disagrees`` -> disagrees (an erratum, with the correct form and the evidence),
``not_comparable`` / ``not_run`` -> unchecked with the reason. So scanning a cited lecture
shows all of the registry's coverage of it.

The quote must still be at those lines (the same test as ``property_tests/test_sources.py``: the
words and numbers of the as-written formula found there); a file of the same name whose lines
differ gets an ``unchecked`` record saying so instead of a verdict.
"""

from __future__ import annotations

import re

from derivspec.core.catalogue import cited_claims, open_cache, source_results
from derivspec.scan.records import Record


def _words(text: str) -> set[str]:
    return set(re.findall(r"[A-Za-z]{3,}|\d+(?:\.\d+)?", text))


def quote_is_at(text_lines: list[str], span, as_written: str) -> bool:
    first, last = span
    if first < 1 or last > len(text_lines):
        return False
    cited = "\n".join(text_lines[first - 1:last])
    quoted = _words(as_written)
    found = _words(cited)
    missing = quoted - found
    if any(w[0].isdigit() for w in missing):
        return False
    return len(missing) <= 0.2 * len(quoted)


def source_records(file: str, text: str) -> list[Record]:
    from derivspec.core import registry
    from derivspec.core.lectures import lecture

    if lecture(file) is None:
        return []
    import io
    import contextlib

    with contextlib.redirect_stdout(io.StringIO()):
        ids = cited_claims(file)
    cache = open_cache()
    lines = text.split("\n")
    records: list[Record] = []
    for claim_id in ids:
        try:
            claim = registry.get(claim_id)
            results = source_results(claim, cache)
        except Exception as error:  # one claim failing must not stop the scan
            records.append(Record(file, (1, 1), "", "source", "unchecked",
                                  f"claim {claim_id} could not be built: {type(error).__name__}: {error}", claim=claim_id))
            continue
        for result in results:
            source = result.source
            if source.file != file:
                continue
            span = source.span
            if not quote_is_at(lines, span, source.as_written):
                records.append(Record(file, span, source.as_written, "source", "unchecked",
                                      f"registered source of {claim_id}, but its quote is not at these lines (the file "
                                      "differs from the lecture the registry cites)", claim=claim_id))
                continue
            verdict = {"matches": "proved", "disagrees": "disagrees"}.get(result.status, "unchecked")
            if result.status == "matches":
                reason = f"registered source of {claim_id}: matches its derivation"
            elif result.status == "disagrees":
                reason = f"registered source of {claim_id}: disagrees with its derivation (an erratum)"
            elif result.status == "not_run":
                reason = f"registered source of {claim_id}: a behaviour check, run by `derivspec verify`"
            else:
                reason = f"registered source of {claim_id}: not comparable ({(source.note or result.evidence or 'no formula')[:200]})"
            records.append(Record(file, span, source.as_written, "source", verdict, reason, result.evidence or "",
                                  claim_id, correct=result.correct if result.status == "disagrees" else ""))
    cache.save()
    return records
