"""The verdict rules of ``scan``, written once.

A statement's steps are classified (:mod:`derivspec.scan.classify`) and judged
(:mod:`derivspec.scan.steps`); this module turns them into the row a user reads.

**The order of strength** (DESIGN.md, "Scan", verdict rules), weakest first: a flagged step
(``disagrees``), an ``unchecked`` step, a step that ``holds on instances`` (an evidence level, not a
fourth verdict), a ``proved`` step. A row's ``verdict`` and ``evidence_level`` are those of its weakest
step -- in every aggregation: the relations of one statement, a derivation continued over several
displays (:func:`continued`), a step judged again by a known result, and every view of the rows (text,
JSON, HTML, SARIF, GitHub), which all read the record.

- **flag** (``disagrees``): some judged step has a counterexample. The step rules only return
  ``disagrees`` with a counterexample confirmed at two precisions under every admissible reading.
- **proved**: every step that asserts something is proved.
- **arithmetic only**: a row whose first relation gives a quantity a value or names a quantity it
  does not define (``KL(p‖q) = 0.5 − 0.8 = −0.3``) and whose later steps are proved is unchecked.
- **Neutral steps** (:func:`neutral`): a definition of a new name (``L := \\sum_x q(x) = 1`` is proved
  "given the definition of L"), a declaration of context (``x \\sim N(0, 1)``, ``i \\in S``) or a
  stated condition (``0 < p < 1``) asserts nothing a row could be weaker for. Which steps may be a
  definition is decided once, by :func:`derivspec.scan.steps.settle_definition`: a left side that is a
  name not defined above, and no instance against the step.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from derivspec.scan.classify import judged_class


# unchecked reasons, grouped for the summary (first match wins)
REASON_GROUPS = (
    ("file time budget", r"^not checked: the file time budget"),  # runner.BUDGET_SPENT
    ("time limit", r"time limit"),
    ("holds on instances", r"^holds on \d+ (?:random rational |exact )?instances"),  # matrices: random rational; exact
    ("assumed of the distributions", r"an assumption the lecture may make|a named family: not flagged|"
                                     r"may define them elsewhere: not flagged|not a relation between densities"),
    ("distribution, set or limit", r"sets or events|is a set|over a set|set of minimisers|a limit is not read"),
    ("not read", r"not read|cannot read|unreadable|empty side|cannot prepare"),
    ("different symbols", r"different symbols"),
    ("definition or value", r"definition|defines|gives .* a value|names the quantity|an assignment|update rule|"
                            r"a line of an algorithm|a step of a numbered procedure"),
    ("condition, not identity", r"a property being assumed|a range stated for"),
    ("distribution, set or limit", r"distribution|membership|set relation|limit|mapping|independence|order of magnitude|inequation|direction"),
    ("undefined functions", r"undefined functions|do not cancel|opaque"),
    ("condition, not identity", r"condition|implication"),
    ("approximation", r"approximation"),
    ("vectors and matrices", r"matrices|vectors"),
    ("log base", r"log is base"),
    ("reading ambiguous", r"read otherwise|as a product|reading"),
    ("evidence only", r"evidence, not proof|agrees at|holds at the"),
    ("known result not comparable", r"not comparable|recognised"),
    ("registered source", r"registered|behaviour check|source"),
)


def reason_group(reason: str) -> str:
    return next((name for name, pattern in REASON_GROUPS if re.search(pattern, reason, re.IGNORECASE)), "other")


def evidence_level(verdict: str, reason: str) -> str:
    """proved | holds on instances | disagrees | unchecked (docs/scan.md, "Evidence levels")."""
    if verdict == "unchecked" and reason_group(reason) == "holds on instances":
        return "holds on instances"
    return verdict if verdict in ("proved", "disagrees") else "unchecked"


STRENGTH = ("disagrees", "unchecked", "holds on instances", "proved")
"""The evidence levels, weakest first: a row is as strong as its weakest step."""
NEUTRAL_CLASSES = ("definition", "distribution or set", "condition")
DEFINING = ("=", ":=", "=:", "≡")


def level(step) -> str:
    """A step's evidence level (a StepResult, or a step of a record's JSON)."""
    verdict, reason = (step["verdict"], step["reason"]) if isinstance(step, dict) else (step.verdict, step.reason)
    return evidence_level(verdict, reason)


def neutral(step) -> bool:
    """A step that asserts nothing a row could be weaker for: a definition of a new name, a declaration of
    context or a stated condition -- never a step with an instance against it (its ``evidence``)."""
    return bool(step.label) and step.category in NEUTRAL_CLASSES and not step.evidence


@dataclass(frozen=True)
class Row:
    verdict: str  # proved | disagrees | unchecked
    reason: str
    evidence: str = ""
    decisive: object = None  # the step that decided it (a StepResult), if one did
    category: str = ""  # the row's class (classify.CLASSES)


_MEANING = re.compile(r"^\s*-?\s*(?:\\mathbb\s*\{?E\}?|E|\\operatorname\{?E\}?|\\mathrm\{(?:E|KL|Var|Cov|H)\}|"
                      r"\\(?:text|operatorname)\{(?:KL|Var|Cov)\}|KL|D_\{?\s*\\?(?:mathrm\{|text\{|rm\s*)?KL\}?\s*\}?|D|H|I|Var|Cov|"
                      r"\\log\s*p|\\log\s*q|p|q|P|\\Pr|\\mathbb\s*\{?P\}?)\s*(?:_\{[^{}]*\}|_[A-Za-z0-9])?\s*[(\[]")


NO_NEW_NAME = "is no new name: an expression, a standard quantity or a name defined above), not checked: "


def not_a_definition(left: str, reason: str) -> str:
    """The reason of a step taken for a definition whose left side is no new name (steps.settle_definition)."""
    return f"not a definition ({left} {NO_NEW_NAME}{reason}"


def _names_a_quantity(step) -> bool:
    """A first relation that gives a value, or that names a quantity with a meaning of its own
    (an expectation, a probability or density, a divergence, an entropy, a variance) without
    defining it -- a step taken for a definition of it, or one settled as no definition (its left side
    is a standard quantity, :func:`not_a_definition`). A function the lecture defines (f(x) = …) is a
    definition, not such a name."""
    reason = step.reason
    if reason.startswith("not a definition (") and NO_NEW_NAME in reason:
        reason = reason.split(NO_NEW_NAME, 1)[1]
    elif not step.label:
        return False
    return reason.startswith("gives ") or (reason.startswith("names the quantity") and bool(_MEANING.match(step.left)))


def _class(step) -> str:
    """The class of a row's decisive step: its own, or the class of how it was judged (a known result read by a
    structure recogniser carries none of its own)."""
    return step.category or judged_class(step.relation, step.kind)


def row(steps: list, line: int | None = None) -> Row:
    """The row of ``steps`` (StepResults, in order; ``line``: where the statement starts): its weakest step."""
    wrong = [s for s in steps if s.verdict == "disagrees"]
    if wrong:
        first = wrong[0]
        where = f"{first.left.strip()} {first.relation} {first.right.strip()}"
        reason = first.reason if len(steps) == 1 else f"{first.reason} [{_clip(where)}]"
        return Row("disagrees", reason, first.evidence, first, _class(first))
    counted = [s for s in steps if not neutral(s)]
    if not counted:  # only definitions, declarations and conditions: nothing asserted
        return Row("unchecked", steps[0].reason, steps[0].evidence, steps[0], _class(steps[0]))
    weakest = min(counted, key=lambda s: STRENGTH.index(level(s)))  # the first of the weakest, in order
    proved = [s for s in counted if level(s) == "proved"]
    if level(weakest) == "proved":
        main = steps[0]
        if _names_a_quantity(main):
            return Row("unchecked", f"arithmetic only: {len(proved)} later step(s) proved, but the first relation "
                                    f"({_clip(main.left.strip())} = …) is not checked: {main.reason}", "", main,
                       _class(main))
        reasons = _clip("; ".join(dict.fromkeys(s.reason for s in proved)), 300)
        given = [s.left.strip() for s in steps if neutral(s) and s.category == "definition" and s.relation in DEFINING]
        if given:
            where = f" on line {line}" if line is not None else ""
            reasons += f" (given the definition of {', '.join(dict.fromkeys(given))}{where})"
        return Row("proved", reasons, "", proved[0], _class(proved[0]))
    main = steps[0]
    if weakest is main and len(proved) == len(counted) - 1 and proved and _names_a_quantity(main):
        what = main.reason.split(NO_NEW_NAME, 1)[-1].replace(" (a definition; not checked)", "")
        return Row("unchecked", f"arithmetic only: {len(proved)} later step(s) proved, but the first relation "
                                f"({_clip(main.left.strip())} = …) is not checked: {what} (a quantity with a meaning "
                                "of its own, not a new name)", main.evidence, main, _class(main))
    reason = weakest.reason + (f" ({len(proved)} of {len(counted)} steps proved)" if proved else "")
    return Row("unchecked", reason, weakest.evidence, weakest, _class(weakest))


def continued(record_level: str, reason: str, evidence: str, before_level: str, before_reason: str,
              before_line: int):
    """A display that starts with a relation continues the derivation of the display before it (whose row
    starts at ``before_line``): it is no stronger than that row. Returns (verdict, reason, evidence) for a
    row that must be weakened, else None. A flag before it is that display's, not repeated here: the
    continuation is then unchecked."""
    if STRENGTH.index(before_level) >= STRENGTH.index(record_level):
        return None
    alone = f"this display alone: {record_level}, {reason}"
    if before_level == "disagrees":
        return "unchecked", f"continues the derivation flagged at line {before_line} ({alone})", evidence
    if before_level == "unchecked":
        return "unchecked", (f"continues the derivation at line {before_line}, where a step is not checked: "
                             f"{before_reason} ({alone})"), evidence
    return "unchecked", f"{before_reason} [continues the derivation at line {before_line}; {alone}]", evidence


def _clip(text: str, limit: int = 160) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit - 3] + "..."
