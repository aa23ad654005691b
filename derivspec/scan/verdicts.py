"""The verdict rules of ``scan``, written once.

A statement's steps are classified (:mod:`derivspec.scan.classify`) and judged
(:mod:`derivspec.scan.steps`); this module turns them into the row a user reads:

- **flag** (``disagrees``): some judged step has a counterexample. The step rules only return
  ``disagrees`` with a counterexample confirmed at two precisions under every admissible reading
  (types, log bases, a bracket as application or product, π/e/σ as constants or the document's own
  letters, with and without the definitions in force); a scalar reading of vectors and matrices
  never flags (:data:`derivspec.scan.steps.SCALAR_READING_DIFFERS`).
- **proved**: every judged step proved, and the row's main relation among them. A row is as
  strong as its weakest step: an unchecked step leaves it unchecked ("k of n steps proved").
- **arithmetic only**: a row whose first relation gives a quantity a value or names a quantity it
  does not define (``KL(p‖q) = 0.5 − 0.8 = −0.3``) and whose later steps are proved is unchecked:
  the arithmetic holds, the statement about the quantity is not checked.
- Definitions (a fresh name on the left) do not weaken a row: ``f := (a+b)^2 = a^2 + 2ab + b^2`` is
  a proved derivation of a defined quantity.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from derivspec.scan.classify import judged_class


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


def _names_a_quantity(step) -> bool:
    """A first relation that gives a value, or that names a quantity with a meaning of its own
    (an expectation, a probability or density, a divergence, an entropy, a variance) without
    defining it. A function the lecture defines (f(x) = …) is a definition, not such a name."""
    if not step.label:
        return False
    return step.reason.startswith("gives ") or (step.reason.startswith("names the quantity")
                                                and bool(_MEANING.match(step.left)))


def _class(step) -> str:
    """The class of a row's decisive step: its own, or the class of how it was judged (a known result read by a
    structure recogniser carries none of its own)."""
    return step.category or judged_class(step.relation, step.kind)


def row(steps: list) -> Row:
    """The row of ``steps`` (StepResults, in order)."""
    wrong = [s for s in steps if s.verdict == "disagrees"]
    if wrong:
        first = wrong[0]
        where = f"{first.left.strip()} {first.relation} {first.right.strip()}"
        reason = first.reason if len(steps) == 1 else f"{first.reason} [{_clip(where)}]"
        return Row("disagrees", reason, first.evidence, first, _class(first))
    proved = [s for s in steps if s.verdict == "proved"]
    open_steps = [s for s in steps if s.verdict == "unchecked" and not s.label]
    if proved and not open_steps:
        main = steps[0]
        if _names_a_quantity(main):
            return Row("unchecked", f"arithmetic only: {len(proved)} later step(s) proved, but the first relation "
                                    f"({_clip(main.left.strip())} = …) is not checked: {main.reason}", "", main,
                       _class(main))
        reasons = "; ".join(dict.fromkeys(s.reason for s in proved))
        return Row("proved", _clip(reasons, 300), "", proved[0], _class(proved[0]))
    if open_steps:
        first = open_steps[0]
        reason = first.reason + (f" ({len(proved)} of {len(steps)} steps proved)" if proved else "")
        return Row("unchecked", reason, first.evidence, first, _class(first))
    return Row("unchecked", steps[0].reason, steps[0].evidence, steps[0], _class(steps[0]))


def _clip(text: str, limit: int = 160) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit - 3] + "..."
