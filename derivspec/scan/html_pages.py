r"""An HTML page as the text a reader sees, every line where it was (``derivspec scan page.html``).

The head, styles, code, comments and scripts are removed (an inline suppression ``<!-- derivspec: ignore -->``
is kept); MathJax's ``<script type="math/tex">`` is kept as ``$…$`` (``mode=display``: ``$$…$$``), Distill's
``<d-math>`` (distill.pub's template v2) and ``<dt-math>`` (its first template) as ``$…$``, with the ``block``
attribute as ``$$…$$``; the remaining tags are removed and entities decoded (``&lt;`` is ``<``, inside the math
too, as a browser reads a ``<d-math>``'s text). MathJax's own delimiters (``\(…\)``, ``\[…\]``, ``$$…$$``) stay
in the text, where the scan reads Markdown math. Nothing is added or reordered: only newlines are kept of what
is removed, so a statement's lines are the page's.
"""

from __future__ import annotations

import html
import re

HTML_SUFFIXES = (".html", ".htm")

_MARKER = r"<!--[ \t]*derivspec:"  # an inline suppression, kept for the scan's markers
_DROPPED = re.compile(r"<(head|style|pre|code|textarea|svg)\b.*?</\1\s*>|(?!" + _MARKER + r")<!--.*?-->",
                      re.DOTALL | re.IGNORECASE)
_SCRIPT = re.compile(r"<script\b([^>]*)>(.*?)</script\s*>", re.DOTALL | re.IGNORECASE)
_DISTILL_MATH = re.compile(r"<(d-math|dt-math)\b([^>]*)>(.*?)</\1\s*>", re.DOTALL | re.IGNORECASE)
_BLOCK = re.compile(r"(?:^|\s)block(?:\s*=|\s|/|$)", re.IGNORECASE)
_TAG = re.compile(r"(?!" + _MARKER + r")<[A-Za-z/!][^<>]*>", re.DOTALL)


def _blanked(text: str) -> str:
    """``text`` with every character but newlines removed: the lines stay where they were."""
    return "\n" * text.count("\n")


def _mathjax_script(match: re.Match) -> str:
    if "math/tex" not in match.group(1).lower():
        return _blanked(match.group(0))
    fence = "$$" if "display" in match.group(1).lower() else "$"
    return fence + match.group(2) + fence + _blanked(match.group(0)[:match.start(2) - match.start(0)])


def _distill_math(match: re.Match) -> str:
    """``<d-math block>x</d-math>`` as ``$$x$$``, its delimiters where the tags were (a marker on the line before
    the block reaches it); ``<d-math>x</d-math>`` as ``$x$``, the delimiters next to the formula (``$ x $`` would
    read as a price), the spaces and newlines around it kept."""
    attributes, body = match.group(2), match.group(3)
    if not body.strip():
        return _blanked(match.group(0))
    if _BLOCK.search(attributes):
        return _blanked(attributes) + "$$" + body + "$$"
    lead, trail = body[:len(body) - len(body.lstrip())], body[len(body.rstrip()):]
    return _blanked(attributes) + lead + "$" + body.strip() + "$" + trail


def html_text(raw: str) -> str:
    """The page ``raw`` as the text a reader sees, its math delimited as in Markdown (module docstring)."""
    text = _DROPPED.sub(lambda m: _blanked(m.group(0)), raw)
    text = _SCRIPT.sub(_mathjax_script, text)
    text = _DISTILL_MATH.sub(_distill_math, text)
    text = _TAG.sub(lambda m: _blanked(m.group(0)), text)
    return html.unescape(text)
