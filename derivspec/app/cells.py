"""A notebook's Markdown cell as the annotated view shows it: rendered, block by block.

The cell is rendered with markdown-it-py (CommonMark and tables; raw HTML in the cell is shown as
text, never passed through); its math -- ``$…$``, ``$$…$$``, ``\\(…\\)``, ``\\[…\\]`` and
``\\begin{equation|align|gather|multline}…\\end{…}`` outside code -- is taken out before Markdown
reads the cell and put back as MathML (:class:`derivspec.app.rendering.Math`), so Markdown never
reads ``_`` or ``\\`` inside a formula. An image is shown as ``[image: its description]``, never
loaded (the view needs no network). Each top-level block (a paragraph, a display formula, a
list, a heading) keeps the lines of the cell it came from (``first``, ``last``, 1-based), so the
annotated view can colour it by the verdicts of the statements on those lines and put their flags
right after it.
"""

from __future__ import annotations

import re

_MATH = re.compile(
    r"\$\$(?P<dollars>.+?)\$\$"
    r"|\\\[(?P<bracket>.+?)\\\]"
    r"|(?P<env>\\begin\{(?P<name>equation|align|gather|multline|eqnarray)(?P<star>\*?)\}.+?\\end\{(?P=name)(?P=star)\})"
    r"|\\\((?P<paren>.+?)\\\)"
    r"|(?<![\\$\w])\$(?!\s)(?P<inline>[^$\n]+?)(?<![\s\\])\$(?![\w$])", re.S)
_PLACEHOLDER = "MATHSPAN{}Z"


def _math_spans(source: str) -> list[tuple[int, int, str, bool]]:
    """(start, end, LaTeX, display) of each formula of the cell outside code (fences, code spans,
    HTML comments: derivspec.scan.extract.mask)."""
    from derivspec.scan.extract import mask

    spans = []
    for m in _MATH.finditer(mask(source, "md")):
        start, end = m.span()
        kind = m.lastgroup if m.lastgroup not in ("name", "star") else "env"
        body = source[m.start(kind):m.end(kind)] if kind != "env" else source[start:end]
        spans.append((start, end, body, kind != "inline" and kind != "paren"))
    return spans


def _image_as_text(self, tokens, index, options, env) -> str:
    """An image is shown as its description and address, never loaded: the view stays offline."""
    from markupsafe import escape

    token = tokens[index]
    alt = self.renderInlineAsText(token.children or [], options, env)
    return str(escape(f"[image: {alt or token.attrGet('src')}]"))


def markdown_blocks(source: str, math) -> list[tuple[int, int, str]]:
    """(first line, last line, HTML) of each top-level block of a Markdown cell; ``math`` a
    :class:`derivspec.app.rendering.Math`. The HTML is escaped Markdown output with MathML."""
    from markdown_it import MarkdownIt
    from markupsafe import Markup

    spans = _math_spans(source)
    pieces, formulas, ends, at = [], [], [], 0
    for start, end, latex, display in spans:
        pieces.append(source[at:start])
        pieces.append(_PLACEHOLDER.format(len(formulas)) + "\n" * source.count("\n", start, end))  # same lines
        formulas.append(math(latex, display=display))
        ends.append(source.count("\n", 0, end) + 1)  # the formula's last line
        at = end
    pieces.append(source[at:])
    text = "".join(pieces)
    md = MarkdownIt("commonmark", {"html": False}).enable("table")
    md.add_render_rule("image", _image_as_text)
    tokens = md.parse(text)
    blocks, i = [], 0
    while i < len(tokens):
        j, depth = i, tokens[i].nesting
        while depth > 0:  # to the token that closes this one
            j += 1
            depth += tokens[j].nesting
        first, last = tokens[i].map or (0, 1)
        html = md.renderer.render(tokens[i:j + 1], md.options, {})
        last = max([last, *(ends[int(k)] for k in re.findall(r"MATHSPAN(\d+)Z", html) if int(k) < len(ends))])
        html = re.sub(r"MATHSPAN(\d+)Z", lambda m: str(formulas[int(m.group(1))]) if int(m.group(1)) < len(formulas)
                      else m.group(0), html)
        blocks.append((first + 1, max(first + 1, last), Markup(html)))
        i = j + 1
    return blocks
