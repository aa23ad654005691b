r"""What a statement is, decided before it is judged.

A lecture's equations are not all identities. ``scan`` classifies every statement, from the
document it stands in, before it compares anything:

==================  ============================================================  ==========
class               how it is recognised                                          judged?
==================  ============================================================  ==========
identity            an equation or a derivation step (the default)                yes
inequality          ≤, ≥, <, >                                                    yes
worked number       both sides evaluate to numbers                                yes
known result        recognised as a claim of the catalogue                        yes
definition          :=, ≡, "let/where/denote/define", a fresh name on the left    no
assignment          an update reusing its own left side (t = t + 1), ←, a line    no
                    of an algorithm or pseudo-code, a step of a numbered procedure
condition           an equation being solved (a gradient set to zero, ⇒, "set",   no
                    "solve", "if") -- a single equation, not a chain
property            a property assumed or defining ("P^2 = P" after "a projection  no
                    satisfies", "suppose", "such that", "we require")
approximation       ≈, O(·), "up to a constant"                                   only what
                                                                                   the rules decide
distribution/set    ∼, ∈, ⊂, sets and events, limits, mappings                    no
==================  ============================================================  ==========

A definition of a standard quantity (cross-entropy, JS, ELBO, mutual information, score, DDPM
forward kernel) is compared with the standard definition (:mod:`derivspec.scan.conventions`); its
class stays "definition".

Each record says its class and why (``class`` in ``scan --json``). The verdict rules that
follow for the judged classes are :mod:`derivspec.scan.verdicts`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

JUDGED = ("identity", "inequality", "worked number", "known result")
CLASSES = JUDGED + ("definition", "assignment", "condition", "property", "approximation", "distribution or set")


@dataclass(frozen=True)
class Classification:
    name: str  # one of CLASSES
    why: str

    @property
    def judged(self) -> bool:
        return self.name in JUDGED


# --- the statement, from the prose and the structure around it ---------------------------------

_CONDITION_PROSE = re.compile(r"\b(?:set(?:ting)?|solv(?:e|es|ing)|equat(?:e|ing)|condition|zero|stationary|root|"
                              r"suppose|assume|if|when|whenever|happens|occurs|require)\b", re.IGNORECASE)
_PROPERTY_PROSE = re.compile(
    r"(?:\bsatisf(?:y|ies|ying)|\bsuch that|\bwe (?:require|want|need|impose|demand)|\bassum(?:e|es|ing)(?: that)?|"
    r"\bsuppose(?: that)?|\bsubject to|\bconstraints?|\bmust (?:satisfy|hold|have|be)|\bprovided(?: that)?|"
    r"\bis (?:said to be |called )?(?:idempotent|orthogonal|symmetric|normali[sz]ed|invariant|unitary|stationary)\b[^.]*|"
    r"\bif and only if|\biff|\bholds? (?:if|when)|\bdefining property|\bcharacteri[sz]ed by)\W*(?:\$[^$]{0,60}\$\W*)?$",
    re.IGNORECASE)
_PROCEDURE_STEP = re.compile(r"(?:^|\n)\s*(?:\d+[.)]|step\s+\d+[:.]?|[-*]\s+)\s*\**\s*(?:set|update|compute|initiali[sz]e|"
                             r"repeat|sample|draw|for|let|assign|increment|replace|iterate|until|while|return)\b",
                             re.IGNORECASE)
_ALGORITHM_ENV = re.compile(r"\\begin\{(algorithm2e|algorithmic|algorithm|pseudocode|procedure)\*?\}(.*?)"
                            r"\\end\{\1\*?\}", re.DOTALL)
_ALGORITHM_LINE = re.compile(r"\\(?:State|STATE|For|FOR|ForAll|While|WHILE|Repeat|REPEAT|Until|UNTIL|If|IF|Return|"
                             r"RETURN|Statex|KwIn|KwOut|Procedure|Function)\b")


def lead_in(prose: str) -> str:
    """The sentence that leads into the statement: the prose after the last full stop (the last
    160 characters at most)."""
    tail = prose[-300:]
    cut = max((m.end() for m in re.finditer(r"(?<!\b[a-z])(?<!\be\.g)(?<!\bi\.e)[.!?](?=\s)", tail)), default=0)
    return tail[cut:][-160:]


def document_algorithms(text: str) -> frozenset:
    """The lines of the document that are algorithm or pseudo-code (LaTeX algorithm environments,
    lines with \\State, \\For, \\While …): every equation there is an assignment."""
    lines = set()
    for match in _ALGORITHM_ENV.finditer(text):
        first = text.count("\n", 0, match.start()) + 1
        lines.update(range(first, first + match.group(0).count("\n") + 1))
    lines.update(number for number, line in enumerate(text.split("\n"), 1) if _ALGORITHM_LINE.search(line))
    return frozenset(lines)


def classify_statement(lines: tuple[int, int], before: str, chain: bool, algorithms: frozenset = frozenset()) -> Classification | None:
    """A statement that is not judged at all, from where it stands, or None (its steps are judged)."""
    if any(line in algorithms for line in range(lines[0], lines[1] + 1)):
        return Classification("assignment", "a line of an algorithm or pseudo-code: an assignment, not an identity")
    paragraph = before[-300:]
    if not chain and _PROCEDURE_STEP.search(paragraph.rsplit("\n\n", 1)[-1]) and re.search(r"\n\s*(?:\d+[.)]|[-*])\s", "\n" + paragraph):
        return Classification("assignment", "a step of a numbered procedure (set, update, repeat …): an assignment, "
                                            "not an identity")
    if not chain and _PROPERTY_PROSE.search(lead_in(before)):
        return Classification("property", "a property being assumed or defining ('satisfies', 'such that', 'suppose'): "
                                          "not an identity")
    return None


def condition_of_clause(clause_before: str, clause_after: str, chain: bool, prose_before: str) -> str:
    """Why a clause is an equation being solved ("" when it is not): it stands in an implication,
    or it is a single equation after prose about conditions (set, solve, if, when)."""
    if clause_before in ("⇒", "⇔", "⇐") or clause_after in ("⇒", "⇔", "⇐"):
        return "an equation in an implication (⇒): a condition being solved, not an identity"
    if not chain and prose_before and _CONDITION_PROSE.search(lead_in(prose_before)):
        return "a single equation after prose about conditions (set, solve, if, when): not an identity"
    return ""


_HELD_FIXED = re.compile(r"\b(?:(?:held|hold\w*|kept|keep\w*|treat\w*|regard\w*)\b[^.;]{0,80}?\b(?:fixed|constant)\b|"
                         r"stop[- ]?grad\w*|detach\w*)", re.IGNORECASE)


def held_fixed(prose: str) -> bool:
    """The text holds something fixed while differentiating ("treat $p(z|x,w)$ as fixed", a stop-gradient): a
    derivative moved past it is the lecture's assumption, not a slip."""
    return bool(_HELD_FIXED.search(prose))


def condition_prose(prose_before: str) -> bool:
    """The sentence leading in speaks of conditions (set, solve, if, zero …)."""
    return bool(prose_before) and bool(_CONDITION_PROSE.search(lead_in(prose_before)))


# a special case set up in the sentence before the display: a conditional word, then a relation in inline math
_SPECIAL_CASE = re.compile(r"\b(?:when|whenever|if|suppose|assuming|assume|provided|in the (?:special )?case)\b[^.:;]*?"
                           r"\$([^$]*(?:=|<|>|\\le|\\ge|\\ne|\\in|\\to)[^$]*)\$", re.IGNORECASE)
_SET_CONSTRAINT = re.compile(r"\b(?:set of|the set|such that|subject to|s\.t\.|constraints?|whose marginals?|"
                             r"with marginals?|marginals? (?:are|is)|belongs? to|member of|one of the)\b", re.IGNORECASE)


def special_case_or_constraint(prose: str) -> bool:
    """The sentence before a display sets a special case ("when $\\theta = 0$", "if $x = 0$ and $y = 1$"), a
    constraint that defines a set ("such that", "the set of", "subject to") or a property assumed: the display is
    then no identity."""
    lead = lead_in(prose)
    if _SET_CONSTRAINT.search(lead) or _SPECIAL_CASE.search(prose):
        return True
    found = classify_statement((0, 0), prose, False)
    return found is not None and found.name == "property"


# --- one step, from its relation and its sides --------------------------------------------------

RELATION_CLASSES = {
    ":=": ("definition", "a definition"), "=:": ("definition", "a definition"),
    "≡": ("definition", "a definition or an equivalence of notation"),
    "∼": ("distribution or set", "a distribution statement (∼)"), "∈": ("distribution or set", "set membership"),
    "∉": ("distribution or set", "set membership"), "→": ("distribution or set", "a limit or a mapping"),
    "←": ("assignment", "an assignment (an update rule)"), "≠": ("distribution or set", "an inequation"),
    "≪": ("approximation", "an order of magnitude"), "≫": ("approximation", "an order of magnitude"),
    "⊂": ("distribution or set", "a set relation"), "⊥": ("distribution or set", "an independence statement"),
    "≲": ("approximation", "an order of magnitude"), "≳": ("approximation", "an order of magnitude"),
    "≍": ("approximation", "an order of magnitude"), "≅": ("approximation", "an isomorphism or approximation"),
    "↑": ("distribution or set", "a direction"), "↓": ("distribution or set", "a direction"),
}
_SET_NOTATION = re.compile(r"\\(?:cap|cup|setminus|emptyset|varnothing|bigcap|bigcup|subset|subseteq|supset|Omega)(?![A-Za-z])|"
                           r"\^\s*\{?\s*(?:C|c|\\complement)\s*\}?(?![A-Za-z])|\\\{")
_DERIVATIVE = re.compile(r"\\nabla|\\partial|\\frac\s*\{\s*d|\bd\s*/\s*d")
_EXPECTED_SCORE = re.compile(r"^\s*\{?\s*\\mathbb\s*\{?\s*E\s*\}?\s*_.*\\log", re.DOTALL)
_GRADIENT_OF_A_NUMBER = re.compile(r"\s*\\nabla(?:_\{[^{}]*\}|_\\?[A-Za-z]+)?\s*\d+\s*")
LONE_NAME = re.compile(r"^\s*(?:\\[A-Za-z]+|[A-Za-z])\s*(?:_\{[^{}]*\}|_[A-Za-z0-9])?\s*$")  # x, x_i, \theta_{t}


def relation_class(relation: str) -> Classification | None:
    """A relation that is never an identity (:=, ∼, ∈, ←, ≪ …), or None."""
    found = RELATION_CLASSES.get(relation)
    return Classification(*found) if found else None


def events_unbraced(text: str) -> str:
    r"""``P(\{X = k\})``: an event written in set braces inside a probability is the event ``X = k`` (a relation in
    the braces; a singleton ``\{\omega\}`` is a set and stays)."""
    return _BRACED_EVENT.sub(lambda m: m.group(1) + m.group(2) if _EVENT_RELATION.search(m.group(2)) else m.group(0),
                             text)


_BRACED_EVENT = re.compile(r"((?:(?<![A-Za-z\\])P|\\Pr|\\mathbb\s*\{\s*P\s*\}|\\mathrm\s*\{\s*P\s*\}|\\operatorname\s*\{\s*P\s*\})"
                           r"\s*(?:\\left\s*)?[(\[])\s*\\\{([^{}]*(?:\{[^{}]*\}[^{}]*)*)\\\}\s*(?=(?:\\right\s*)?[)\]])")
_EVENT_RELATION = re.compile(r"=|<|>|\\(?:le|leq|ge|geq|neq|ne|lt|gt)(?![A-Za-z])")


def sets_or_events(left_text: str, right_text: str) -> Classification | None:
    if any(_SET_NOTATION.search(events_unbraced(t)) for t in (left_text, right_text)):
        return Classification("distribution or set", "a statement about sets or events (∩, ∪, complements, ∅, {…}, Ω): "
                                                     "not an algebraic identity, not checked")
    return None


def _one_bracket(text: str) -> bool:
    """The whole side is one square bracket: ``[\\theta]``, ``\\left[x + 2\\pi\\right]_\\sim``."""
    text = re.sub(r"\\(?:left|right|big|Big|bigg|Bigg)\b", "", text).strip()
    text = re.sub(r"(?:_\{[^{}]*\}|_\S)$", "", text).strip()
    if not (text.startswith("[") and text.endswith("]")):
        return False
    depth = 0
    for position, char in enumerate(text):
        depth += (char == "[") - (char == "]")
        if depth == 0 and position < len(text) - 1:
            return False  # [a] + [b]: two brackets
    return True


def bracket_notation(left_text: str, right_text: str) -> Classification | None:
    """``[\\theta] = [\\theta + 2\\pi]``: a side that is one square bracket is notation (an equivalence
    class, a floor, an Iverson bracket, a concentration) -- nobody groups a whole side."""
    if any(_one_bracket(t) and re.search(r"[A-Za-z]", re.sub(r"\\(?:cdot|times|left|right|[,;:!]|quad)", "", t))
           for t in (left_text, right_text)):  # [1 \cdot 0]: numbers in brackets are still a product
        return Classification("distribution or set", "a side written as one square bracket is notation (an equivalence class, "
                                          "a floor, an Iverson bracket), not grouping: not checked")
    return None


def stationarity(left_text: str, right_text: str) -> Classification | None:
    """``0 = \\nabla f`` or ``\\partial f/\\partial x = 0``: one side zero, the other a derivative."""
    for zero, other in ((left_text, right_text), (right_text, left_text)):
        if zero.strip() == "0" and _DERIVATIVE.search(other):
            if _EXPECTED_SCORE.match(other) or _GRADIENT_OF_A_NUMBER.fullmatch(other):
                return None  # E_q[d/dλ log q] = 0 (scan/gradient_identities.py), ∇ 1 = 0: identities
            return Classification("condition", "a gradient or derivative set to zero: a condition being solved, "
                                               "not an identity")
    return None


_SIMPLE_BOUND = re.compile(r"^\s*-?\s*(?:\d+(?:\.\d+)?|\\infty|(?:\\[A-Za-z]+|[A-Za-z])\s*(?:_\{[^{}]*\}|_[A-Za-z0-9])?)\s*$")


def range_assumption(left_text: str, relation: str, right_text: str, chain: bool, first: bool) -> Classification | None:
    """``x > 0``, ``K \\ge 1``, ``0 < \\alpha < 1/L``, ``t < \\sqrt{…}``: an inequality with a variable alone on
    one side states its range -- an assumption or a condition, not a claim for every value. In a
    chain (``m \\le a + b \\le …``) only a simple bound or the first step is; the later steps are judged."""
    if relation not in ("≤", "≥", "<", ">"):
        return None
    lone = [t for t in (left_text, right_text) if LONE_NAME.match(t) and not re.fullmatch(r"\s*\d+\s*", t)]
    if not lone:
        return None
    other = right_text if lone[0] is left_text else left_text
    name = lone[0].strip()
    if re.search(r"(?<![\\A-Za-z])" + re.escape(name) + r"(?![A-Za-z])", other):
        return None  # a ≤ a + 1: a claim about the name, judged
    simple = _SIMPLE_BOUND.match(other) or not re.search(r"(?<=.)[+\-=]", other.strip())  # 1/L, \sqrt{2a}: one term
    if simple or not chain or (first and lone[0] is left_text):
        return Classification("condition", f"a range stated for {lone[0].strip()} ({left_text.strip()} {relation} "
                                           f"{right_text.strip()}): an assumption or a condition, not an identity")
    return None


_CHOSEN_VALUE = re.compile(r"\b(?:plug(?:ging|ged)?|substitut\w*|choos\w*|chose|choice|optimi[sz]\w*|minimi[sz]\w*|"
                           r"maximi[sz]\w*|tightest|best|setting|pick\w*)\b|\^\s*\{?\s*\*", re.IGNORECASE)


def value_chosen(prose: str) -> bool:
    """The prose around a step chooses a value for a variable ("plugging λ* back in", "the tightest",
    "setting"): a step in which that variable disappears is about the chosen value."""
    return bool(_CHOSEN_VALUE.search(prose))


def update(left_text: str) -> Classification:
    return Classification("assignment", f"an assignment or update that reuses its own left side "
                                        f"({left_text.strip()} on both sides): not an identity")


def definition(left_text: str, fresh: bool) -> Classification:
    what = "defines" if fresh else "names the quantity"
    return Classification("definition", f"{what} {left_text.strip()} (a definition; not checked)")


def value(left_text: str) -> Classification:
    return Classification("definition", f"gives {left_text.strip()} a value (not checked)")


def judged_class(relation: str, kind: str) -> str:
    """The class of a step that was judged: by its relation and how it was checked."""
    if kind == "known":
        return "known result"
    if kind == "number":
        return "worked number"
    if relation in ("≤", "≥", "<", ">"):
        return "inequality"
    if relation in ("≈",):
        return "approximation"
    return "identity"
