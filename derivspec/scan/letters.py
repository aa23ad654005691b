r"""Letters that are named constants only where the document uses them so: π, e and σ(·).

A lecture on mixtures writes π for a mixing weight, one on reinforcement learning π(a | s) for a
policy, one on graphs e for an edge, one on diffusion σ(t) for a noise schedule. Read as 3.14159,
Euler's number and the logistic sigmoid, those statements are "proved" or flagged for the wrong
reason. The document is read once, before any statement is checked: a letter it uses as a
variable is a variable in every statement of that document.

- π is a variable when the document applies it to arguments (π(a | s), π(x)), sets it (π = …,
  π ∈ …, π ∼ …) or calls it a weight, proportion, coefficient, prior or policy in prose; π_k, π^*
  and a bold or accented π are names of their own and say nothing about π; even where π is a
  variable, 2π is the constant (a Gaussian's normaliser).
- e is a variable (not Euler's number) when the document sums or quantifies over it (\sum_e,
  e ∈ E) or subscripts by it (w_e); ``e^{…}`` stays the exponential even then.
- π and e are the document's own names, too, where its words define them ("let $e$ be the error",
  "$\pi$ denotes the policy"): the document's own definition wins over the standard meaning; words
  that describe the constant itself ("$e$ is Euler's number", "the base of the natural logarithm")
  keep it.
- a letter the document calls the identity element of its structure (a group's, a monoid's: "the
  identity element $e$", "$e$ is the identity transformation", "the neutral element $u$") is no number
  at all (:func:`identity_elements`): the operation it is the identity of is not the numbers' product,
  so the reader refuses it and a step that uses it is unchecked, never judged as arithmetic.
- σ(·) is the logistic sigmoid only when the document says so ("sigmoid", "logistic", or writes
  1/(1 + e^{-x})); otherwise σ(t) is a function of the document's own (a noise schedule, a
  standard deviation as a function of time).
"""

from __future__ import annotations

import re

# inline math as lectures write it: $…$ or \(…\)
_INLINE = r"(?:\$|\\\()\s*({name})\s*(?:\$|\\\))"
# the words after "$e$ is the …" that describe the constant itself, not a name of the document's own
_CONSTANT_WORDS = re.compile(r"euler|napier|base|natural|exponential|constant|number|ratio|circle|irrational|"
                             r"transcendental|mathematical|famous|approx|\d", re.IGNORECASE)
_DEFINED_IN_WORDS = (r"(?:\b(?:let|where|and)\s+)?" + _INLINE + r"\s*,?\s*(?:is|denotes?|be|stands for|represents|"
                     r"refers to)\s+(?:the|an?|our|its|some|any)\s+([^.;:$]{{0,40}})")
# the identity of a structure in words: "identity element", "the group's identity", "neutral element"
_IDENTITY_WORDS = (r"(?:identity|neutral|unit)\s+(?:element|transformation|permutation|rotation)s?|"
                   r"(?:group|monoid|semigroup)(?:'s)?\s+identity|"
                   r"identity\s+of\s+(?:the|a|an|our|its|this)\s+(?:[\w'-]+\s+){0,2}?"
                   r"(?:group|monoid|semigroup|operation)")
_IDENTITY_NAME = r"(?:\\(?:mathrm|mathit|mathbf|boldsymbol)\s*\{\s*[A-Za-z]\s*\}|[A-Za-z])"
_IDENTITY_BEFORE = re.compile(r"(?:" + _IDENTITY_WORDS + r")\s*,?\s*(?:\$|\\\()\s*(" + _IDENTITY_NAME +
                              r")\s*(?:\$|\\\)|\\in\b|=|,)", re.IGNORECASE)
_IDENTITY_AFTER = re.compile(r"(?:\$|\\\()\s*(" + _IDENTITY_NAME + r")\s*(?:\$|\\\))\s*,?\s*(?:is|denotes?|be|"
                             r"stands for|represents|for)\s+(?:the|an?|our|its)\s+(?:[\w'-]+\s+){0,2}?(?:"
                             + _IDENTITY_WORDS + r"|identity\b(?!\s+(?:matri|map|function|operator)))", re.IGNORECASE)
# a document about an algebraic structure: there "$e$ is the identity" names its identity element
_STRUCTURE = re.compile(r"\b(?:group|binary)\s+operations?\b|\bgroup\s+elements?\b|\b(?:semi)?groups?\s+axioms?\b|"
                        r"\bmonoids?\b|\bsemigroups?\b|\babelian\b", re.IGNORECASE)

def document_letters(text: str) -> frozenset:
    """The letters of ``{'e', '\\pi', '\\sigma'}`` the document uses as its own variables (σ: as a function that is not
    the sigmoid): the rows of the table of standard notation with a ``letter`` (derivspec/data/knowledge/notation.toml)
    say when -- ``variable_when`` its math, ``variable_words`` its prose, ``variable_unless`` the words that keep the
    standard reading -- and the document's words may define the letter as its own."""
    from derivspec.scan.notation import table

    found = set()
    for row in table()["symbol"].values():
        letter = row.get("letter")
        if letter is None:
            continue
        if (any(re.search(p, text) for p in row.get("variable_when", ()))
                or any(re.search(p, text, re.IGNORECASE) for p in row.get("variable_words", ()))
                or row.get("variable_unless") and not any(re.search(p, text, re.IGNORECASE) for p in row["variable_unless"])
                or letter != r"\sigma" and _defined_in_words(text, letter)):
            found.add(letter)
    return frozenset(found)


def _defined_in_words(text: str, letter: str) -> bool:
    """The document's words define ``letter`` as a name of its own ("let $e$ be the error", "where $e$
    denotes an edge"), not as the constant ("$e$ is Euler's number")."""
    pattern = re.compile(_DEFINED_IN_WORDS.format(name=re.escape(letter)), re.IGNORECASE)
    return any(not _CONSTANT_WORDS.search(m.group(2)) for m in pattern.finditer(text))


def identity_elements(text: str) -> frozenset:
    r"""The letters (as the reader keys them: ``e``, ``\mathbf{u}``) the document calls the identity element
    of its structure: "an identity element, $e \in S$", "$e$ is the identity transformation", "the
    neutral element $u$", "$e$ denotes the identity of the group". "The identity matrix $I$" is no such
    element (the reader's I is a matrix's)."""
    found = set()
    for pattern in (_IDENTITY_BEFORE, _IDENTITY_AFTER):
        for m in pattern.finditer(text):
            if not re.search(_IDENTITY_WORDS, m.group(0), re.IGNORECASE) and not _STRUCTURE.search(text):
                continue  # "$I$ is the identity" in a document about no structure: a matrix's I
            name = re.sub(r"\s+", "", m.group(1))
            font = re.match(r"\\(\w+)\{(\w)\}", name)
            if font:  # \mathrm{e}, \mathit{e}: the letter itself; bold keeps its mark
                name = font.group(2) if font.group(1) in ("mathrm", "mathit") else rf"\{font.group(1)}{{{font.group(2)}}}"
            found.add(name)
    return frozenset(found)
