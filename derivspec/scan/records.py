"""Step 4: one record per statement, and the summary (DESIGN.md, ``scan --json``).

A record has ``file``, ``lines`` ([first, last]), ``text``, ``kind`` (chain | number | known |
source), ``verdict`` (proved | disagrees | unchecked), ``claim`` (when recognised), ``reason``,
``evidence``, ``level`` (error | warning | notice | null: :func:`level_of`); and ``steps``, one entry
per relation with its own verdict. A flag (``disagrees``) has ``severity`` (``error``, or ``question`` when it rests
on a guess or an unknown) and ``rests_on``, the scope entries it used (derivspec.scan.notation). A notebook's record has ``cell`` (1-based, every cell counted)
and ``lines`` within that cell; a record an inline marker suppresses has ``suppressed`` (true) and
``suppression`` (the marker, where, and its reason).
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

from derivspec.scan.verdicts import REASON_GROUPS, evidence_level, reason_group, row  # noqa: F401 (re-exported)

# an unchecked statement whose evidence shows its sides different under one reading (a log base, a
# bracket read as a product, vectors read as scalars, an assumption the lecture may make): a notice
_ONE_READING = re.compile(r"^the declaration `|\bdiffers?\b(?! symbolically)|\bwrong with\b|not under the other reading|"
                          r"\bholds (?:if|when)\b", re.IGNORECASE)
# a statement whose check ran out of time (runner.BUDGET_SPENT, runner's and statements' time limits): a warning
_OUT_OF_TIME = re.compile(r"^not checked: the file time budget|took over its time limit|^timeout$|\btimed out\b")


def level_of(verdict: str, reason: str, evidence: str, severity: str | None = None) -> str | None:
    """What a statement asks of its reader, as linters say it: ``error`` a flag (a counterexample
    under every admissible reading; a flag that rests on a guess, a question, is a ``notice``); ``warning`` a statement left unchecked because a time limit or
    the file's time budget was spent (a larger limit may decide it); ``notice`` a statement left
    unchecked whose evidence shows its two sides differ under one reading, not flagged because
    another reading (or an assumption the lecture may make) holds; None for the rest (proved, or
    unchecked for a reason that says nothing against it)."""
    if verdict == "disagrees":
        return "notice" if severity == "question" else "error"
    if verdict != "unchecked":
        return None
    if _OUT_OF_TIME.search(reason):
        return "warning"
    if (evidence and not reason.startswith("registered source") and reason_group(reason) != "holds on instances"
            and _ONE_READING.search(reason)):
        return "notice"
    return None


@dataclass
class Record:
    file: str
    lines: tuple[int, int]
    text: str
    kind: str
    verdict: str
    reason: str
    evidence: str = ""
    claim: str | None = None
    steps: list = field(default_factory=list)
    correct: str = ""
    category: str = ""  # the class of the statement (derivspec.scan.classify.CLASSES)
    cell: int | None = None  # a notebook's cell (``lines`` are then within it)
    suppressed: str = ""  # why an inline marker suppresses it ("": not suppressed)
    rule: str | None = None  # the code of the coded rule that flagged it (derivspec.scan.rules)
    severity: str | None = None  # a flag's: error (rests on declared, defined, notation) | question (a guess)
    rests_on: list = field(default_factory=list)  # a flag's scope entries: {name, provenance, line} (notation.py)

    @property
    def rule_code(self) -> str | None:
        """The code of the rule behind a flag: a coded rule's, or the judge's kind of flag (registry.judge_code);
        None for a statement not flagged."""
        if self.verdict != "disagrees":
            return None
        if self.rule:
            return self.rule
        from derivspec.scan.rules.registry import judge_code

        step = next((s for s in self.steps if (s.get("verdict") if isinstance(s, dict) else s.verdict) == "disagrees"),
                    None)
        relation = "" if step is None else (step.get("relation", "") if isinstance(step, dict) else step.relation)
        return judge_code(self.kind, self.category, relation)

    @property
    def level(self) -> str | None:
        """error | warning | notice | None (:func:`level_of`)."""
        return level_of(self.verdict, self.reason, self.evidence, self.severity)

    def to_json(self) -> dict:
        data = {"file": self.file, "lines": [int(self.lines[0]), int(self.lines[1])], "text": self.text,
                "kind": self.kind, "verdict": self.verdict, "claim": self.claim, "reason": self.reason,
                "evidence": self.evidence}
        data["evidence_level"] = evidence_level(self.verdict, self.reason)
        data["level"] = self.level
        data["rule"] = self.rule_code
        if self.verdict == "disagrees":
            data["severity"] = self.severity or "error"
            data["rests_on"] = list(self.rests_on)
        if self.category:
            data["class"] = self.category
        if self.correct:
            data["correct"] = self.correct
        if self.steps:
            data["steps"] = [s if isinstance(s, dict) else s.to_json() for s in self.steps]
        if self.cell is not None:
            data["cell"] = self.cell
        if self.suppressed:
            data["suppressed"] = True
            data["suppression"] = self.suppressed
        return data

    @classmethod
    def from_json(cls, data: dict) -> "Record":
        return cls(data["file"], tuple(data["lines"]), data["text"], data["kind"], data["verdict"], data["reason"],
                   data.get("evidence", ""), data.get("claim"), list(data.get("steps", [])), data.get("correct", ""),
                   data.get("class", ""), data.get("cell"),
                   data.get("suppression", "") if data.get("suppressed") else "",
                   data.get("rule") if data.get("verdict") == "disagrees" else None,
                   data.get("severity") if data.get("verdict") == "disagrees" else None, list(data.get("rests_on", [])))


def record_from_steps(file: str, lines, text: str, steps) -> Record | None:
    """A statement's record from its step results (None when it has no relation); the rules are
    :func:`derivspec.scan.verdicts.row`."""
    if not steps:
        return None
    kinds = {s.kind for s in steps if not s.label} or {s.kind for s in steps}
    known = [s for s in steps if s.kind == "known"]
    kind = "known" if known else ("number" if kinds == {"number"} else "chain")
    claim = known[0].claim if known else None
    decided = row(steps, int(lines[0]))
    if decided.verdict == "disagrees":
        first = decided.decisive
        return Record(file, lines, text, first.kind if first.kind == "known" else kind, "disagrees", decided.reason,
                      decided.evidence, first.claim or claim, steps, first.correct, decided.category)
    return Record(file, lines, text, kind, decided.verdict, decided.reason, decided.evidence, claim, steps,
                  category=decided.category)


def steps_differ(record: Record) -> list[tuple[str, str]]:
    """Each step of ``record`` as (``left relation right``, its evidence level) when its steps' levels differ
    (the weakest decides the row: the text view shows which), else []."""
    steps = [s if isinstance(s, dict) else s.to_json() for s in record.steps]
    levels = [s.get("evidence_level") or evidence_level(s["verdict"], s["reason"]) for s in steps]
    if len(set(levels)) < 2:
        return []
    return [(" ".join(f"{s['left'].strip()} {s['relation']} {s['right'].strip()}".split()), lv)
            for s, lv in zip(steps, levels)]


def summary(records: list[Record], formulas: int | None = None) -> dict:
    """Counts: statements found, checked (proved or disagrees), flagged (not suppressed), suppressed
    (flags an inline marker suppresses), unchecked by reason."""
    found = len(records)
    checked = sum(1 for r in records if r.verdict in ("proved", "disagrees"))
    suppressed = sum(1 for r in records if r.verdict == "disagrees" and r.suppressed)
    flagged = sum(1 for r in records if r.verdict == "disagrees") - suppressed
    by_reason = Counter(reason_group(r.reason) for r in records if r.verdict == "unchecked")
    by_kind: dict[str, dict] = {}
    for r in records:
        entry = by_kind.setdefault(r.kind, {"found": 0, "proved": 0, "disagrees": 0, "unchecked": 0})
        entry["found"] += 1
        entry[r.verdict] += 1
    data = {"statements": found, "checked": checked, "proved": checked - flagged - suppressed, "flagged": flagged,
            "suppressed": suppressed,  # flags an inline marker suppresses (not in "flagged")
            "questions": sum(1 for r in records if r.verdict == "disagrees" and not r.suppressed
                             and r.severity == "question"),  # flags resting on a guess (in "flagged")
            "unchecked": found - checked, "unchecked_by_reason": dict(sorted(by_reason.items(), key=lambda kv: -kv[1])),
            "by_kind": by_kind}
    by_class = Counter(r.category for r in records if r.category)
    data["by_class"] = dict(sorted(by_class.items(), key=lambda kv: -kv[1]))
    if formulas is not None:
        data["formulas_without_relation"] = formulas
    return data
