r"""``scan``'s coded rules: invariants of a quantity's kind (DESIGN.md, "Scan": rules; docs/rules/index.md).

    >>> from derivspec.scan.rules import check_document, registry
    >>> findings = check_document(relational, text, registry.select(preview=True))

:func:`check_document` reads the document's relational statements (reading.py), and for each line whose common
guards do not hold runs every enabled rule (registry.py) under a time limit; it returns, per statement index, the
first rule that flags it and its message. A rule that raises or runs out of time says nothing.
"""

from __future__ import annotations

import time

from derivspec.core import limits, symbolic

LINE_SECONDS = 1.5  # every rule of one line together
DOCUMENT_SECONDS = 12.0  # every line of one document together (a scan of such a document takes minutes)


def check_document(relational: list, text: str, codes: frozenset, seconds: float = DOCUMENT_SECONDS) -> dict:
    """index of a relational statement -> (code, message) for each statement an enabled rule flags."""
    from derivspec.scan.rules import registry
    from derivspec.scan.rules.reading import Document, kinds

    rules = [r for r in registry.RULES if r.code in codes and r.check]
    every = [r for r in rules if r.reads != "definitions"]  # rules that read every relational statement (DS211, DS212)
    rules = [r for r in rules if r.reads == "definitions"]
    if not (rules or every) or not relational:
        return {}
    deadline = time.monotonic() + limits.scaled(seconds)
    found: dict = {}
    try:
        with symbolic.time_limit(seconds):
            kinds()  # the tables, loaded once: not inside a line's limit
            doc = Document(relational, text)
    except (symbolic.SymPyTimeout, Exception):
        return {}
    through = [r for r in rules if r.through]  # rules on a normaliser's existence: they see through ∝ and 1/Z
    lines = [(line, False) for line in doc.lines] + [(line, True) for line in (doc.proportional if through else [])]
    for line, proportional in lines:  # proportional: a ∝ line or a continued display, for those rules only
        if time.monotonic() >= deadline:
            break
        try:
            with symbolic.time_limit(LINE_SECONDS):
                guarded = line.guarded()
                if guarded and (not through or line.guarded(normaliser=False)):
                    continue
                for rule in (through if guarded or proportional else through + [r for r in rules if not r.through]):
                    try:
                        message = rule.function(line, doc)
                    except (symbolic.SymPyTimeout, KeyboardInterrupt):
                        raise
                    except Exception:  # a rule's defect says nothing about the line
                        message = None
                    if message:
                        found[line.index] = (rule.code, f"{rule.code} {message}")
                        break
        except (symbolic.SymPyTimeout, RecursionError):
            continue
        except Exception:  # a defect reading the line (its kinds, its guards): the line is left alone
            continue
    if every:
        _every_statement(every, relational, doc, deadline, found)
    return found


def _every_statement(rules: list, relational: list, doc, deadline: float, found: dict) -> None:
    """The rules that read every relational statement, limits and approximations included (averages.py): each
    keeps its own guards."""
    from derivspec.scan.rules.averages import statement_lines

    for line in statement_lines(doc, relational):
        if time.monotonic() >= deadline or line.index in found:
            continue
        for rule in rules:
            try:
                with symbolic.time_limit(LINE_SECONDS):
                    message = rule.function(line, doc)
            except (symbolic.SymPyTimeout, RecursionError, Exception):
                message = None
            if message:
                found[line.index] = (rule.code, f"{rule.code} {message}")
                break
