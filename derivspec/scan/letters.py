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
- σ(·) is the logistic sigmoid only when the document says so ("sigmoid", "logistic", or writes
  1/(1 + e^{-x})); otherwise σ(t) is a function of the document's own (a noise schedule, a
  standard deviation as a function of time).
"""

from __future__ import annotations

import re

_PI_VARIABLE = re.compile(
    r"(?<![{_])\\pi\s*(?:\\in\b|\\sim\b)"                                # π ∈ Δ, π ∼ Dir
    r"|\\pi\s*\(\s*[A-Za-z\\][^()]*?(?:\||\\mid|,)"                     # π(a | s), π(x, y)
    r"|\\pi\s*\(\s*(?:[a-z]|\\mathbf\s*\{?\s*[a-z]\s*\}?)\s*\)"        # π(x), π(s)
    r"|(?:^|[$\s{(])\\pi\s*(?:=|:=)(?!\s*3\.14)")                       # π = 0.3 (not π = 3.14…)
_PI_PROSE = re.compile(r"\b(?:weights?|proportions?|coefficients?|priors?|polic(?:y|ies)|mixing|stationary distribution)"
                       r"[^.$]{0,40}\$\s*\\pi\b|\$\s*\\pi\s*\$[^.$]{0,30}\b(?:weights?|proportions?|coefficients?|polic(?:y|ies))",
                       re.IGNORECASE)
_E_VARIABLE = re.compile(r"\\(?:sum|prod|forall)\s*_\s*\{?\s*e\b(?![a-z])|(?<![A-Za-z\\])e\s*\\in\b|"
                         r"(?<![A-Za-z\\])[A-Za-z]_\{?\s*e\s*\}?(?![A-Za-z^])")
_SIGMOID = re.compile(r"sigmoid|logistic|\\frac\s*\{\s*1\s*\}\s*\{\s*1\s*\+\s*(?:e\s*\^|\\exp)", re.IGNORECASE)


def document_letters(text: str) -> frozenset:
    """The letters of ``{'e', '\\pi', '\\sigma'}`` the document uses as its own variables (σ: as
    a function that is not the sigmoid)."""
    found = set()
    if _PI_VARIABLE.search(text) or _PI_PROSE.search(text):
        found.add(r"\pi")
    if _E_VARIABLE.search(text):
        found.add("e")
    if not _SIGMOID.search(text):
        found.add(r"\sigma")
    return frozenset(found)
