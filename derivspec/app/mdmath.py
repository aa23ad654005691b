"""A Python-Markdown extension: ``$…$`` and ``$$…$$`` as MathML, converted at build time.

The docs site (mkdocs.yml: ``markdown_extensions: [derivspec.app.mdmath]``) renders math offline,
with no script and no CDN: the browser lays MathML out itself. The syntax is GitHub's, so the
same pages render on GitHub: inline ``$x^2$`` (no space just inside the dollars), display math
as ``$$…$$`` on lines of their own (indented inside a list item as the item is). Code spans and
fenced code are left alone. A formula latex2mathml cannot read is shown as its LaTeX source in
``<code>``.
"""

from __future__ import annotations

import html

from markdown import Extension
from markdown.inlinepatterns import InlineProcessor
from markdown.preprocessors import Preprocessor

INLINE = r"(?<![\\$\w])\$(?!\s)([^$\n]+?)(?<![\s\\])\$(?![\w$])"
DISPLAY_INLINE = r"\$\$([^$]+?)\$\$"


def to_mathml(latex: str, display: bool = False) -> str:
    from latex2mathml.converter import convert

    try:
        return convert(latex.strip(), display="block" if display else "inline")
    except Exception:
        return f'<code class="tex">{html.escape(latex.strip())}</code>'


class DisplayBlocks(Preprocessor):
    """``$$`` lines (one block may span several lines) -> stashed MathML, keeping the indent."""

    def run(self, lines: list[str]) -> list[str]:
        out, block, indent = [], None, ""
        for line in lines:
            stripped = line.strip()
            if block is None and stripped.startswith("$$") and stripped.endswith("$$") and len(stripped) > 4:
                out.append(line[: len(line) - len(line.lstrip())] + self._stash(stripped[2:-2]))
            elif block is None and stripped == "$$":
                block, indent = [], line[: len(line) - len(line.lstrip())]
            elif block is not None and stripped == "$$":
                out.append(indent + self._stash("\n".join(block)))
                block = None
            elif block is not None:
                block.append(line)
            else:
                out.append(line)
        if block is not None:  # an unclosed block stays as it was written
            out += [indent + "$$", *block]
        return out

    def _stash(self, latex: str) -> str:
        return self.md.htmlStash.store(to_mathml(latex, display=True))


class InlineMath(InlineProcessor):
    def __init__(self, pattern: str, md, display: bool):
        super().__init__(pattern, md)
        self.display = display

    def handleMatch(self, m, data):
        return self.md.htmlStash.store(to_mathml(m.group(1), self.display)), m.start(0), m.end(0)


class MathExtension(Extension):
    def extendMarkdown(self, md):
        md.preprocessors.register(DisplayBlocks(md), "derivspec_math_blocks", 24)  # after fenced code (25)
        md.inlinePatterns.register(InlineMath(DISPLAY_INLINE, md, True), "derivspec_math_display", 187)
        md.inlinePatterns.register(InlineMath(INLINE, md, False), "derivspec_math_inline", 186)  # after `code`


def makeExtension(**kwargs):  # noqa: N802 - Python-Markdown's entry point name
    return MathExtension(**kwargs)


__all__ = ["MathExtension", "makeExtension", "to_mathml"]
