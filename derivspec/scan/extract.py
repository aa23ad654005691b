r"""Step 1 of ``derivspec scan``: every math fragment of a lecture file, with its lines.

Markdown (``$…$``, ``$$…$$``, ``\[…\]``, ``\(…\)``, ``\begin{equation|align|aligned|eqnarray|gather|…}``),
LaTeX (the same, after ``%`` comments and the preamble) and plain text with Markdown-style math
(the seeds are ``.txt``). ChatGPT-style exports that lost their backslashes -- a display block
between a line ``[`` and a line ``]`` -- are read too. Jupyter notebooks (``.ipynb``): their Markdown
cells, one document (:func:`load_lecture`); HTML pages (``.html``, ``.htm``): the text a reader sees,
MathJax's and Distill's math as Markdown math (:func:`derivspec.scan.html_pages.html_text`); Quarto and
MyST: math directives, the ``{math}`` role, equation labels (:func:`_myst`). Inline suppressions
(``<!-- derivspec: ignore -->``, ``% derivspec: ignore``): :func:`markers`.

Skipped: fenced code (```` ``` ```` / ``~~~``, with d2lbook's ```` ```{.python .input} ````),
inline code spans, HTML comments, YAML front matter, LaTeX comments and verbatim environments.
Offsets are preserved (skipped text is blanked, newlines kept), so every fragment knows its
first and last line.

A fragment is then split into *statements* (:func:`statements`): the rows of an ``align``
that continue with ``&=`` stay with the row they continue; a row that starts a new left-hand
side starts a new statement.
"""

from __future__ import annotations

import bisect
import dataclasses
import itertools
import json
import os
import re
import stat
from dataclasses import dataclass, field
from pathlib import Path

from derivspec.scan.html_pages import HTML_SUFFIXES, html_text

MATH_ENVIRONMENTS = ("equation", "align", "aligned", "alignat", "eqnarray", "gather", "gathered", "multline",
                     "displaymath", "math", "split", "flalign")
_ENV_NAMES = "|".join(MATH_ENVIRONMENTS)
_BEGIN_ENV = re.compile(r"\\begin\{(" + _ENV_NAMES + r")(\*?)\}")
_FENCE = re.compile(r"^[ \t]{0,3}(`{3,}|~{3,})")
_HTML_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)
_INLINE_CODE = re.compile(r"(?<!`)(`+)(?!`)(.+?)(?<!`)\1(?!`)")
_VERBATIM_BEGIN = re.compile(r"\\begin\{(verbatim|lstlisting|minted|comment)(\*?)\}")


def _verbatim_spans(text: str) -> list[tuple[int, int]]:
    """The verbatim-like environments, each to its \\end; one unclosed stops the search (nothing
    after it can close): linear, where a lazy DOTALL pattern rescans the rest for every opener."""
    spans, position = [], 0
    while True:
        begin = _VERBATIM_BEGIN.search(text, position)
        if not begin:
            return spans
        end = text.find(f"\\end{{{begin.group(1)}{begin.group(2)}}}", begin.end())
        if end < 0:
            return spans
        position = end + len(begin.group(1)) + len(begin.group(2)) + 6
        spans.append((begin.start(), position))
_TEX_COMMENT = re.compile(r"(?<!\\)((?:\\\\)*)(%[^\n]*)")  # % after an even run of backslashes (\\%[0.5em] too)


@dataclass
class Fragment:
    """One piece of math as written: ``body`` without its delimiters, ``start``/``end`` the
    character offsets of the body in the file, ``display`` whether it stands on its own."""

    file: str
    body: str
    start: int
    end: int
    first_line: int
    last_line: int
    display: bool
    before: str = ""  # the prose just before it (same paragraph)
    after: str = ""  # the prose just after it
    start_line: int = 0  # the line of the body's first character (the opening delimiter's line)
    end_line: int = 0  # the line of the character after the body (the closing delimiter's line)


@dataclass
class Statement:
    """One statement: a chain of relations (or one formula) with its line span."""

    file: str
    text: str  # the math as written (this statement's rows)
    lines: tuple[int, int]
    display: bool
    before: str = ""
    after: str = ""
    rows: list[tuple[int, str]] = field(default_factory=list)  # (line, row text) of a multi-row block
    suppression: str = ""  # why an inline marker suppresses it ("" when none does)


class ScanError(Exception):
    """A file that cannot be scanned (unreadable, binary, not text): one line, exit code 2."""


class NotText(Exception):
    """The file is not text (binary, or not UTF-8)."""


MAX_BYTES = 20 * 1024 * 1024  # a lecture file is at most 20 MB: anything larger is refused, not read


def read_text(path: str | Path) -> str:
    """The file as text; :class:`NotText` for binary content, invalid UTF-8, an empty file
    (nothing to scan), a file over ``MAX_BYTES``, or anything that is not a regular file (a FIFO
    would block, a device never ends): only regular files are opened, and at most ``MAX_BYTES`` + 1
    bytes are read before anything is decoded. OSError passes."""
    info = os.stat(path)
    if stat.S_ISDIR(info.st_mode):
        raise IsADirectoryError(path)
    if not stat.S_ISREG(info.st_mode):
        kind = ("a named pipe (FIFO)" if stat.S_ISFIFO(info.st_mode) else "a device" if stat.S_ISCHR(info.st_mode)
                or stat.S_ISBLK(info.st_mode) else "a socket" if stat.S_ISSOCK(info.st_mode) else "not a regular file")
        raise NotText(f"{path}: {kind}, not a lecture file")
    if info.st_size > MAX_BYTES:
        raise NotText(f"{path}: {info.st_size / 2**20:.1f} MB, over the {MAX_BYTES // 2**20} MB a lecture file may have")
    with open(path, "rb") as handle:
        data = handle.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        raise NotText(f"{path}: over the {MAX_BYTES // 2**20} MB a lecture file may have")
    if not data.strip():
        raise NotText(f"{path}: an empty file, nothing to scan")
    binary = binary_part(data)
    if binary:
        raise NotText(f"{path}: a binary file ({binary}), not a text lecture")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise NotText(f"{path}: not UTF-8 text (invalid byte at offset {error.start})") from None
    return text.replace("\r\n", "\n").replace("\r", "\n")


CONTROL_BYTES = bytes(b for b in range(32) if b not in b"\t\n\v\f\r")  # never part of a UTF-8 sequence
BINARY_WINDOW = 4096  # bytes: the part of a file looked at as one


def binary_part(data: bytes) -> str:
    """Where ``data`` is binary ("" when it is text), decided over every byte in one linear pass
    before anything is decoded or read as math: a NUL byte anywhere, or more control bytes than
    max(8, 1 in 200) in some window of :data:`BINARY_WINDOW` bytes (windows overlap by half, so
    a binary part is caught wherever it starts). Text with a few stray control characters
    (a form feed, an escape) passes."""
    nul = data.find(b"\x00")
    if nul >= 0:
        return f"a NUL byte at offset {nul}"
    half = BINARY_WINDOW // 2
    chunks = [data[i:i + half] for i in range(0, len(data), half)]
    counts = [len(chunk) - len(chunk.translate(None, CONTROL_BYTES)) for chunk in chunks]
    limit = max(8, min(len(data), BINARY_WINDOW) // 200)
    for i, count in enumerate(counts):
        window = count + (counts[i + 1] if i + 1 < len(counts) else 0)
        if window > limit:
            return f"{window} control bytes in the {BINARY_WINDOW} bytes from offset {i * half}"
    return ""


NOTEBOOK_SUFFIXES = (".ipynb",)


@dataclass(frozen=True)
class Lecture:
    """A lecture as the scan reads it: ``text`` (a notebook's Markdown cells joined in order, a
    blank line between two) and, for a notebook, ``cells``: (cell number, first line in ``text``,
    number of lines) of each Markdown cell -- cell numbers count every cell, 1-based, as Jupyter
    lists them."""

    text: str
    kind: str  # md | tex | ipynb | html (``text``: the page as :func:`html_text` reads it)
    cells: tuple = ()

    def location(self, line: int) -> tuple[int | None, int]:
        """(cell, line within the cell) of a line of ``text``; (None, line) outside a notebook."""
        if not self.cells:
            return None, line
        index = max(0, bisect.bisect_right([first for _, first, _ in self.cells], line) - 1)
        number, first, _ = self.cells[index]
        return number, line - first + 1

    def where(self, line: int) -> str:
        """``line 4`` or ``cell 3, line 2``."""
        cell, within = self.location(line)
        return f"line {within}" if cell is None else f"cell {cell}, line {within}"


def notebook_cells(raw: str, path: str | Path = "notebook") -> list[tuple[int, str, str]]:
    """(cell number, cell type, source) of every cell of a Jupyter notebook (nbformat 4, read with
    :mod:`json`), numbered from 1 as Jupyter lists them, line ends as ``\\n``; :class:`NotText` for
    anything that is not a notebook."""
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as error:
        raise NotText(f"{path}: not a Jupyter notebook (invalid JSON at line {error.lineno}: {error.msg})") from None
    if isinstance(data, dict) and "worksheets" in data and "cells" not in data:
        raise NotText(f"{path}: an nbformat 3 notebook, not read (convert it: jupyter nbconvert --to notebook)")
    if not isinstance(data, dict) or not isinstance(data.get("cells"), list):
        raise NotText(f"{path}: not a Jupyter notebook (no list of cells)")
    cells = []
    for number, cell in enumerate(data["cells"], 1):
        if not isinstance(cell, dict) or not isinstance(cell.get("cell_type"), str):
            raise NotText(f"{path}: not a Jupyter notebook (cell {number} has no cell_type)")
        source = cell.get("source", "")
        if isinstance(source, list) and all(isinstance(piece, str) for piece in source):
            source = "".join(source)
        if not isinstance(source, str):
            raise NotText(f"{path}: not a Jupyter notebook (the source of cell {number} is not text)")
        cells.append((number, cell["cell_type"], source.replace("\r\n", "\n").replace("\r", "\n")))
    return cells


def notebook_markdown(raw: str, path: str | Path = "notebook") -> Lecture:
    """The Markdown cells of a Jupyter notebook (:func:`notebook_cells`) as one text: raw and code
    cells are skipped; :class:`NotText` for anything that is not a notebook, or Markdown cells
    with binary content (:func:`binary_part`)."""
    parts, cells, line = [], [], 1
    for number, kind, source in notebook_cells(raw, path):
        if kind != "markdown" or not source.strip():
            continue
        source = source.rstrip()
        count = source.count("\n") + 1
        parts.append(source)
        cells.append((number, line, count))
        line += count + 1  # the blank line between two cells
    text = "\n\n".join(parts) + ("\n" if parts else "")
    binary = binary_part(text.encode("utf-8", "surrogatepass"))  # JSON escapes (\u0000) hide it from the file's bytes
    if binary:
        raise NotText(f"{path}: binary content in its Markdown cells ({binary}), not a text lecture")
    return Lecture(text, "ipynb", tuple(cells))


def load_lecture(path: str | Path) -> Lecture:
    """The lecture at ``path`` (:func:`read_text`; a notebook's Markdown cells; an HTML page's
    :func:`html_text`), every failure a :class:`ScanError` with the one-line message ``scan`` prints (exit 2)."""
    kind = file_kind(path)
    text = read_lecture(path)
    if kind == "html":
        return Lecture(html_text(text), kind)
    if kind != "ipynb":
        return Lecture(text, kind)
    try:
        return notebook_markdown(text, path)
    except NotText as error:
        raise ScanError(str(error)) from None


def read_lecture(path: str | Path) -> str:
    """:func:`read_text`, every failure a :class:`ScanError` with the one-line message ``scan``
    prints (exit 2). A notebook's raw JSON: :func:`load_lecture` reads its cells."""
    try:
        return read_text(path)
    except NotText as error:
        raise ScanError(str(error)) from None
    except IsADirectoryError:
        raise ScanError(f"{path}: is a directory, not a lecture file") from None
    except FileNotFoundError:
        raise ScanError(f"{path}: no such file") from None
    except PermissionError:
        raise ScanError(f"{path}: permission denied") from None
    except OSError as error:
        raise ScanError(f"{path}: cannot be read ({error.strerror or error})") from None


def _blank(text: str, start: int, end: int) -> str:
    """``text`` with [start, end) replaced by spaces (newlines kept)."""
    return _blank_all(text, [(start, end)])


def _blank_all(text: str, spans) -> str:
    """``text`` with every (start, end) span blanked, in one pass (linear in the text, however many)."""
    out, position = [], 0
    for start, end in spans:
        if start < position:
            continue
        out += [text[position:start], re.sub(r"[^\n]", " ", text[start:end])]
        position = end
    return "".join(out) + text[position:]


def _blank_fences(text: str) -> str:
    """Fenced code blocks blanked (a fence closes with the same character, at least as long)."""
    lines = text.split("\n")
    out, fence = [], None
    for line in lines:
        m = _FENCE.match(line)
        if fence is None and m:
            fence = m.group(1)
            out.append(" " * len(line))
            continue
        if fence is not None:
            if m and m.group(1)[0] == fence[0] and len(m.group(1)) >= len(fence) and not line.strip()[len(m.group(1)):].strip():
                fence = None
            out.append(" " * len(line))
            continue
        out.append(line)
    return "\n".join(out)


def mask(text: str, kind: str) -> str:
    """The text with everything that is not prose or math blanked (same length, same lines)."""
    if kind == "tex":
        text = _TEX_COMMENT.sub(lambda m: m.group(1) + " " * len(m.group(2)), text)
        begin = text.find(r"\begin{document}")
        if begin >= 0:
            text = _blank(text, 0, begin + len(r"\begin{document}"))
        return _blank_all(text, _verbatim_spans(text))
    # YAML front matter
    if text.startswith("---\n"):
        close = text.find("\n---", 4)
        if close > 0 and close < 4000:
            text = _blank(text, 0, close + 4)
    text = _blank_fences(text)
    text = _blank_all(text, [m.span() for m in _HTML_COMMENT.finditer(text)])
    text = _blank_all(text, _verbatim_spans(text))
    # inline code spans (d2lbook's :eqref:`x`, `code`); a span never holds math
    text = _INLINE_CODE.sub(lambda m: " " * len(m.group()), text)
    return text


def file_kind(path: str | Path) -> str:
    """tex | ipynb | html | md (Markdown, MDX, Quarto, MyST, R Markdown, text)."""
    suffix = Path(path).suffix.lower()
    if suffix in (".tex", ".ltx", ".sty"):
        return "tex"
    if suffix in NOTEBOOK_SUFFIXES:
        return "ipynb"
    if suffix in HTML_SUFFIXES:
        return "html"
    return "md"


class _LineIndex:
    def __init__(self, text: str):
        self.starts = [0] + [m.end() for m in re.finditer("\n", text)]

    def line(self, offset: int) -> int:
        return bisect.bisect_right(self.starts, offset)


def _paragraph_before(text: str, start: int, limit: int = 400) -> str:
    """The prose of the paragraph ``start`` stands in; for a display that begins a paragraph of
    its own, the paragraph before when that one leads into it (ends without a full stop:
    "A projection matrix satisfies", "Expanding,")."""
    chunk = text[max(0, start - limit):start]
    blank = chunk.rfind("\n\n")
    if blank >= 0:
        own = chunk[blank + 2:].strip()
        if own:
            return own
        lead = chunk[:blank].rstrip()
        earlier = lead.rfind("\n\n")
        lead = lead[earlier + 2:].strip() if earlier >= 0 else lead.strip()
        return lead if lead and lead[-1] not in ".?!>`|}" and not lead.endswith("$$") else ""
    return chunk.strip()


_LIST_ITEM = re.compile(r"^(?P<indent>[ \t]*)(?:[-*+]|\d{1,3}[.)])[ \t]+(?P<text>.*)$")


def _list_parents(text: str, start: int, lines_up: int = 40) -> str:
    """The text of the list items ``start`` is nested under, outermost first, each ending with a newline
    ("**Maximum likelihood estimator**" over "- _Example_:" over the item that holds the formula); "" outside a
    Markdown list. A nested item's heading is part of what it says."""
    line_start = text.rfind("\n", 0, start) + 1
    line_end = text.find("\n", start)
    own = _LIST_ITEM.match(text[line_start:line_end if line_end >= 0 else len(text)])
    if own is None:
        return ""
    indent, parents = len(own.group("indent").expandtabs(4)), []
    for line in reversed(text[max(0, line_start - 4000):line_start].split("\n")[-lines_up:]):
        if not line.strip():
            continue
        item = _LIST_ITEM.match(line)
        depth = len(line) - len(line.lstrip()) if item is None else len(item.group("indent").expandtabs(4))
        if item is not None and depth < indent:
            parents.append(item.group("text").strip())
            indent = depth
        elif item is None and depth == 0:
            break  # a paragraph or heading outside the list
        if indent == 0:
            break
    return "".join(f"{p}\n" for p in reversed(parents))


def _paragraph_after(text: str, end: int, limit: int = 300) -> str:
    """The prose after ``end`` in its paragraph; for a display that ends a paragraph, the next paragraph when it
    goes on with the same sentence (starts in lower case: "when $X$ and $Y$ are independent.", "where ...")."""
    chunk = text[end:end + limit]
    blank = chunk.find("\n\n")
    if blank >= 0:
        own = chunk[:blank].strip()
        if own:
            return own
        rest = chunk[blank:].lstrip()
        following = rest.find("\n\n")
        rest = rest[:following] if following >= 0 else rest
        return rest.strip() if re.match(r"[a-z]", rest) else ""
    return chunk.strip()


MAX_FRAGMENT = 50_000  # characters: a formula longer than this is an unclosed delimiter, not a formula


def _find_closing(text: str, start: int, closer: str, limit: int = MAX_FRAGMENT) -> int:
    """Index of the next unescaped ``closer`` at or after ``start`` and within ``limit`` characters
    (-1 if none): every opener looks a bounded way ahead, so extraction stays linear."""
    i, end = start, start + limit
    while True:
        j = text.find(closer, i, end)
        if j < 0:
            return -1
        backslashes = 0
        k = j - 1
        while k >= 0 and text[k] == "\\":
            backslashes += 1
            k -= 1
        if closer.startswith("\\") or backslashes % 2 == 0:
            return j
        i = j + 1


def _inline_dollar_end(text: str, start: int, limit: int = 5_000) -> int:
    """The closing '$' of inline math opened just before ``start`` (same paragraph, within
    ``limit`` characters), or -1."""
    i, end = start, min(len(text), start + limit)
    while i < end:
        c = text[i]
        if c == "\\":
            i += 2
            continue
        if c == "\n" and text[i + 1:i + 2] == "\n":
            return -1
        if c == "$":
            return i
        i += 1
    return -1


# --- Quarto and MyST ---------------------------------------------------------------------------

_DIRECTIVE = re.compile(r"^[ \t]{0,3}(`{3,}|~{3,}|:{3,})[ \t]*\{([A-Za-z][\w:.-]*)\}[ \t]*(.*)$")
_CLOSING_FENCE = re.compile(r"^[ \t]{0,3}(`{3,}|~{3,}|:{3,})[ \t]*$")
# MyST directives whose content is Markdown (admonitions, sphinx-proof's prf:*, sphinx-exercise); others are code
PROSE_DIRECTIVES = frozenset({"note", "warning", "tip", "important", "hint", "attention", "caution", "danger",
                              "error", "seealso", "admonition", "dropdown", "margin", "sidebar", "topic", "epigraph",
                              "exercise", "solution", "card", "div", "proof", "theorem", "lemma", "definition"})
_ROLE = re.compile(r"\{math\}(`+)(?!`)(.+?)(?<!`)\1(?!`)")
_TARGET = re.compile(r"^[ \t]*\([\w:.-]{2,}\)=[ \t]*$")  # MyST's (label)= before a block
# $$ (label) (MyST), $$ {#eq-x} (Quarto): the label is no part of the math
_EQUATION_LABEL = re.compile(r"(?<=\$\$)([ \t]*(?:\([\w:.-]+\)|\{#[\w:.-]+[^{}\n]*\}))[ \t]*$")
_OPTION = re.compile(r"^[ \t]*:[\w-]+:")  # :label: eq-1 at the top of a directive


def _closes(line: str, fence: str) -> bool:
    m = _CLOSING_FENCE.match(line)
    return bool(m) and m.group(1)[0] == fence[0] and len(m.group(1)) >= len(fence)


def _myst_line(line: str) -> str:
    """One line of prose: a ``{math}`` role becomes ``$…$``, an equation label after ``$$`` and a
    ``(label)=`` target line are blanked (same length)."""
    if _TARGET.match(line):
        return " " * len(line)
    line = _ROLE.sub(lambda m: " " * (5 + len(m.group(1))) + "$" + m.group(2) + "$" + " " * (len(m.group(1)) - 1), line)
    return _EQUATION_LABEL.sub(lambda m: " " * len(m.group(1)), line)


def _myst(text: str) -> tuple[str, list[tuple[int, int]]]:
    """Quarto and MyST Markdown, rewritten with the same length and lines: the fence and option
    lines of a math directive (```` ```{math} ````, ``:::{math}``) blanked, its equations (groups of
    lines between blank lines) returned as display spans; the fences of prose directives
    (```` ```{note} ````, ``:::{prf:theorem}``) blanked so their content reads as prose; code
    cells (```` ```{python} ````) and code fences left for :func:`mask`; roles and labels as
    :func:`_myst_line`."""
    lines = text.split("\n")
    starts = [0, *itertools.accumulate(len(line) + 1 for line in lines[:-1])]
    out, spans = list(lines), []
    containers: list[str] = []  # open prose directives, innermost last
    code: str | None = None  # the fence of an open code block
    math: tuple[str, list] | None = None  # (fence, [(line index, start column)]) of an open math directive

    def close_math(body: list) -> None:
        options = True
        group: list = []
        for index, column in body + [(None, 0)]:
            if index is not None and options and (_OPTION.match(lines[index]) and column == 0):
                out[index] = " " * len(lines[index])
                continue
            if index is not None and lines[index][column:].strip():
                options = False
                group.append((index, column))
                continue
            if group:
                first, column0 = group[0]
                last = group[-1][0]
                spans.append((starts[first] + column0, starts[last] + len(lines[last])))
            group = []

    for i, line in enumerate(lines):
        if code is not None:
            if _closes(line, code):
                code = None
            continue
        if math is not None:
            if _closes(line, math[0]):
                out[i] = " " * len(line)
                close_math(math[1])
                math = None
            else:
                math[1].append((i, 0))
            continue
        directive = _DIRECTIVE.match(line)
        if directive:
            fence, name, rest = directive.groups()
            if name == "math":
                out[i] = " " * (len(line) - len(rest)) + rest if rest.strip() else " " * len(line)
                math = (fence, [(i, len(line) - len(rest))] if rest.strip() else [])
            elif name in PROSE_DIRECTIVES or name.startswith(("prf:", "proof:")) or fence[0] == ":":
                out[i] = " " * len(line)  # its title (rest) is no formula
                containers.append(fence)
            else:
                code = fence
            continue
        if containers and _closes(line, containers[-1]):
            out[i] = " " * len(line)
            containers.pop()
            continue
        fence = _FENCE.match(line)
        if fence:
            code = fence.group(1)
            continue
        out[i] = _myst_line(line)
    if math is not None:  # never closed: its content is not read
        for index, _ in math[1]:
            out[index] = " " * len(lines[index])
    return "\n".join(out), spans


# --- inline suppressions ------------------------------------------------------------------------

_MD_MARKER = re.compile(r"<!--[ \t]*derivspec:[ \t]*(ignore-file|ignore)(?![\w-])(.*?)-->", re.DOTALL)
_TEX_MARKER = re.compile(r"%[ \t]*derivspec:[ \t]*(ignore-file|ignore)(?![\w-])(.*)")


@dataclass(frozen=True)
class Marker:
    """An inline suppression: ``ignore`` (the statements on its line; alone on its line: the
    statements on the next line, or the block that opens there) or ``ignore-file``."""

    kind: str
    first: int  # its lines
    last: int
    standalone: bool
    reason: str = ""
    codes: str = ""  # ignore[DS201, DS3]: only the flags of these rule codes (or prefixes)


def markers(text: str, kind: str = "md") -> list[Marker]:
    """The suppression markers of ``text``: ``<!-- derivspec: ignore [reason] -->`` in Markdown (not
    in fenced code), ``% derivspec: ignore [reason]`` in LaTeX; ``ignore-file`` for the whole file."""
    found = []
    index = _LineIndex(text)
    if kind == "tex":
        for comment in _TEX_COMMENT.finditer(text):
            m = _TEX_MARKER.match(comment.group(2))
            if m:
                start = comment.start(2)
                line_start = text.rfind("\n", 0, start) + 1
                line = index.line(start)
                codes, reason = _codes(m.group(2))
                found.append(Marker(m.group(1), line, line, not text[line_start:start].strip(),
                                    reason.strip(" \t:-—"), codes))
        return found
    source = _blank_fences(text)
    for m in _MD_MARKER.finditer(source):
        line_start = source.rfind("\n", 0, m.start()) + 1
        line_end = source.find("\n", m.end())
        after = source[m.end():None if line_end < 0 else line_end]
        alone = not source[line_start:m.start()].strip() and not after.strip()
        codes, reason = _codes(m.group(2))
        found.append(Marker(m.group(1), index.line(m.start()), index.line(m.end() - 1), alone,
                            " ".join(reason.split()).strip(" :-—"), codes))
    return found


def _codes(rest: str) -> tuple[str, str]:
    """(the rule codes of ``ignore[DS201, DS3]``, the reason after them); ("", rest) without brackets."""
    found = re.match(r"\[([^\]]*)\]", rest)
    if not found:
        return "", rest
    return ", ".join(c.strip().upper() for c in found.group(1).split(",") if c.strip()), rest[found.end():]


def _suppression(statement: Statement, fragment: Fragment, marks: list[Marker], where) -> str:
    """Why a marker suppresses ``statement`` ("" when none does)."""
    for mark in marks:
        if mark.kind == "ignore-file":
            hit = True
        elif mark.standalone:
            hit = mark.last + 1 in (statement.lines[0], fragment.start_line)
        else:
            hit = (any(statement.lines[0] <= line <= statement.lines[1] for line in range(mark.first, mark.last + 1))
                   or fragment.start_line in range(mark.first, mark.last + 1)
                   or fragment.end_line in range(mark.first, mark.last + 1))
        if hit:
            codes = f"[{mark.codes}]" if mark.codes and mark.kind == "ignore" else ""
            return f"derivspec: {mark.kind}{codes} at {where(mark.first)}" + (f" ({mark.reason})" if mark.reason else "")
    return ""


def file_suppression(lecture: Lecture) -> str:
    """The reason of an ``ignore-file`` marker ("" when the lecture has none)."""
    for mark in markers(lecture.text, "tex" if lecture.kind == "tex" else "md"):
        if mark.kind == "ignore-file":
            reason = f" ({mark.reason})" if mark.reason else ""
            return f"derivspec: ignore-file at {lecture.where(mark.first)}{reason}"
    return ""


_QUOTED = re.compile(r"[ \t]*>")  # a line of a Markdown blockquote
_QUOTE_MARK = re.compile(r"(\n[ \t]*)>")  # the mark that opens each further line of it


def fragments(text: str, file: str, kind: str = "md", unclosed: list | None = None) -> list[Fragment]:
    """Every math fragment of ``text`` (already read), in order. A display block that is never closed
    (``$$`` or ``\\begin{align}`` with no closer) is no fragment: (line, opening delimiter, the
    opening line from it) is added to ``unclosed`` when given."""
    if kind == "tex":  # a LaTeX comment is no part of a formula (\\%[0.5em] ends a matrix row's comment)
        text = _TEX_COMMENT.sub(lambda m: m.group(1) + " " * len(m.group(2)), text)
        directives: list[tuple[int, int]] = []
    else:
        text, directives = _myst(text)
    masked = _blank_all(mask(text, kind), directives)
    index = _LineIndex(text)
    found: list[Fragment] = []

    def add(body_start: int, body_end: int, display: bool, outer_start: int, outer_end: int):
        body = text[body_start:body_end]
        if kind != "tex":  # kramdown's escapes (\\\ , \_, \*, \|) taken out, as its renderer would; a % starts a
            # comment to the end of the line in MathJax and KaTeX as in LaTeX (a line the author commented out)
            body = _TEX_COMMENT.sub(lambda m: m.group(1) + " " * len(m.group(2)), undo_markdown_escapes(body))
            line_start = text.rfind("\n", 0, outer_start) + 1
            if _QUOTED.match(text, line_start) and "\n" in body:  # a display in a blockquote: its > marks are
                body = _QUOTE_MARK.sub(lambda m: m.group(1) + " ", body)  # Markdown, not math (same length)
        if not body.strip():
            return
        first = index.line(body_start + (len(body) - len(body.lstrip())))
        last = index.line(body_start + len(body.rstrip()) - 1)
        found.append(Fragment(file, body, body_start, body_end, first, max(first, last), display,
                              _list_parents(masked, outer_start) + _paragraph_before(masked, outer_start),
                              _paragraph_after(masked, outer_end), index.line(body_start), index.line(body_end)))

    def opened(start: int, delimiter: str) -> None:
        """A display block opened at ``start`` and never closed."""
        if unclosed is not None:
            line_end = text.find("\n", start)
            unclosed.append((index.line(start), delimiter, text[start:line_end if line_end >= 0 else len(text)].strip()))

    next_at: dict[str, tuple[int, int]] = {}

    def next_closer(closer: str, start: int, limit: int = MAX_FRAGMENT) -> int:
        """The first ``closer`` (a backslash delimiter: no escapes to weigh) at or after ``start``,
        within ``limit``; one search per occurrence in the file, not one per opener."""
        cached = next_at.get(closer)
        if cached is None or start < cached[0] or (cached[1] != -1 and cached[1] < start):
            cached = next_at[closer] = (start, masked.find(closer, start))
        j = cached[1]
        return j if j != -1 and j - start <= limit else -1

    i, n = 0, len(masked)
    while i < n:
        c = masked[i]
        if c == "\\" and i + 1 < n:
            nxt = masked[i + 1]
            if nxt == "\\" and kind != "tex" and masked[i + 2:i + 3] in ("(", "["):  # Markdown's \\( … \\): MathJax's \( … \)
                display = masked[i + 2] == "["
                j = next_closer(r"\\]" if display else r"\\)", i + 3, limit=MAX_FRAGMENT if display else 5_000)
                if j > 0 and (display or "\n\n" not in masked[i:j]):
                    add(i + 3, j, display, i, j + 3)
                    i = j + 3
                    continue
            if nxt == "[":
                j = next_closer(r"\]", i + 2)
                if j > 0:
                    add(i + 2, j, True, i, j + 2)
                    i = j + 2
                    continue
            if nxt == "(":
                j = next_closer(r"\)", i + 2, limit=5_000)
                if j > 0 and "\n\n" not in masked[i:j]:
                    add(i + 2, j, False, i, j + 2)
                    i = j + 2
                    continue
            if masked.startswith(r"\begin{", i):
                m = _BEGIN_ENV.match(masked, i)
                if m:
                    closer = rf"\end{{{m.group(1)}{m.group(2)}}}"
                    j = masked.find(closer, m.end())
                    if j > 0:
                        add(i, j + len(closer), True, i, j + len(closer))
                        i = j + len(closer)
                        continue
                    opened(i, m.group())
            i += 2
            continue
        if c == "$":
            if masked.startswith("$$", i):
                j = _find_closing(masked, i + 2, "$$")
                if j > 0:
                    add(i + 2, j, True, i, j + 2)
                    i = j + 2
                    continue
                opened(i, "$$")
                i += 2
                continue
            j = _inline_dollar_end(masked, i + 1)
            if j > i + 1:
                body = masked[i + 1:j]
                # "$5 and $10": a price, not math (pandoc's rule: no space inside the delimiters
                # next to them, no digit right after the closing one)
                if not (body[:1].isspace() and body[-1:].isspace() and not re.search(r"[\\^_=]", body)) \
                        and not masked[j + 1:j + 2].isdigit():
                    add(i + 1, j, False, i, j + 1)
                    i = j + 1
                    continue
            i += 1
            continue
        if c == "[" and kind != "tex" and (i == 0 or masked[i - 1] == "\n"):
            # a ChatGPT export: "[" alone on a line, the formula, "]" alone on a line
            line_end = masked.find("\n", i)
            if line_end > 0 and not masked[i + 1:line_end].strip():
                m = re.compile(r"\n[ \t]*\]\s*(?:\n|$)").search(masked, line_end, line_end + 3100)
                if m and m.start() - line_end < 3000 and "\n\n\n" not in masked[line_end:m.start()]:
                    body = masked[line_end:m.start()]
                    if re.search(r"\\[A-Za-z]|[_^=]", body):
                        add(line_end + 1, m.start() + 1, True, i, m.end())
                        i = m.end()
                        continue
        i += 1
    for start, end in directives:  # the equations of math directives, in reading order
        add(start, end, True, start, end)
    found.sort(key=lambda fragment: fragment.start)
    return found


# --- Markdown escapes ----------------------------------------------------------------------------

_DENSITY_HEAD = re.compile(r"(?:^|[^A-Za-z\\])(?:[pqPQ]|\\pi|\\Pr|\\mathbb\s*\{\s*P\s*\})"
                           r"(?:\s*\\?_\s*(?:\{[^{}]*\}|\\?[A-Za-z0-9]+))?\s*$")
_EXPECTATION_HEAD = re.compile(r"(?:^|[^A-Za-z\\])(?:E|\\mathbb\s*\{\s*E\s*\}|\\mathrm\s*\{\s*E\s*\})"
                               r"(?:\s*\\?_\s*(?:\{.*\}|\\?[A-Za-z0-9]+))?\s*$")


def undo_markdown_escapes(body: str) -> str:
    r"""The math of a Markdown file as its author meant it, before a renderer such as kramdown took
    its escapes out: ``\\\`` before a space, ``&`` or the end is the row break ``\\``; ``\_`` and ``\*``
    are ``_`` and ``*``; ``\|`` is ``|`` where ``‖`` makes no sense -- the only one at the top of the
    brackets of a density or an expectation (``p(x \| z)``, ``\mathbb{E}[X \| Y]``), never in a
    divergence or a norm. Newlines are kept, so the lines stay."""
    out, i, n = [], 0, len(body)
    while i < n:
        if body[i] != "\\":
            out.append(body[i])
            i += 1
            continue
        j = i
        while j < n and body[j] == "\\":
            j += 1
        run, after = j - i, body[j:j + 1]
        if run == 3 and (not after or after.isspace() or after == "&"):
            out.append("\\\\")
        elif run % 2 == 1 and after in ("_", "*"):
            out.append("\\" * (run - 1) + after)
            j += 1
        elif run % 2 == 1 and after == "|" and _bar_of_condition(body, i + run - 1):
            out.append("\\" * (run - 1) + "|")
            j += 1
        else:
            out.append(body[i:j])
        i = j
    return "".join(out)


def _bar_of_condition(body: str, at: int) -> bool:
    """The ``\\|`` at ``at`` is the only one directly inside the brackets of a density or an expectation."""
    depth, k = 0, at - 1
    while k >= 0:
        c = body[k]
        if c in ")]}":
            depth += 1
        elif c in "([{":
            if depth == 0:
                break
            depth -= 1
        k -= 1
    if k < 0 or body[k] == "{":
        return False
    head = _DENSITY_HEAD if body[k] == "(" else _EXPECTATION_HEAD
    if not head.search(body[max(0, k - 40):k].replace(r"\left", "")):
        return False
    closing = {"(": ")", "[": "]"}[body[k]]
    depth, bars, m = 0, 0, k + 1
    while m < len(body):
        c = body[m]
        if c in "([{":
            depth += 1
        elif c in ")]}":
            if depth == 0:
                break
            depth -= 1
        elif c == "|" and depth == 0 and body[m - 1] == "\\":
            bars += 1
        m += 1
    return m < len(body) and body[m] == closing and bars == 1


# --- statements ------------------------------------------------------------------------------

_ROW_SPLIT = re.compile(r"\\\\(?:\[[^\]]*\])?")
_INNER_ENV = re.compile(r"\\(?:begin|end)\s*\{(?:" + _ENV_NAMES + r")\*?\}(?:\{[^{}]*\})?")
_STRUCTURE_ENVS = re.compile(r"\\begin\{(cases|bmatrix|pmatrix|matrix|vmatrix|Bmatrix|array|smallmatrix|tabular)\}")


def _rows(body: str, first_line: int) -> list[tuple[int, str]]:
    """The rows of a display block (split at top-level ``\\\\`` outside nested structures such as
    cases and matrices), each with its line number."""
    rows: list[tuple[int, str]] = []
    depth = 0
    start = 0
    i = 0
    line = first_line
    row_line = first_line
    leading = True
    while i < len(body):
        if body.startswith(r"\begin{", i) and _STRUCTURE_ENVS.match(body, i):
            depth += 1
        elif body.startswith(r"\end{", i) and re.match(r"\\end\{(cases|bmatrix|pmatrix|matrix|vmatrix|Bmatrix|array|smallmatrix|tabular)\}", body[i:]):
            depth = max(0, depth - 1)
        c = body[i]
        if c == "\n":
            line += 1
            if leading:
                row_line = line
        elif not c.isspace() and leading:
            leading = False
            row_line = line
        if depth == 0 and body.startswith("\\\\", i):
            m = _ROW_SPLIT.match(body, i)
            rows.append((row_line, body[start:i]))
            i = m.end()
            start = i
            leading = True
            row_line = line
            continue
        i += 1
    rows.append((row_line, body[start:]))
    return [(ln, r) for ln, r in rows if r.strip() and _INNER_ENV.sub("", r).strip()]


_CONTINUES = re.compile(r"^\s*(?:&\s*)?(?:=|\\approx|\\le(?:q|qslant)?\b|\\ge(?:q|qslant)?\b|<|>|\\propto|\\equiv|\\simeq|\\sim\b|"
                        r"\\stackrel|\\overset|\\underset|\\overset|\\Rightarrow|\\implies|\\iff|\\Longleftrightarrow|\\to\b|\\ne\b|\\neq\b|\\dots|\\cdots|\\ldots|\+|-(?!\s*\\frac\s*\{\s*1)|\\quad\s*=)")


def statements(fragment: Fragment) -> list[Statement]:
    """The statements of one fragment: one for inline math; for a display block, one per chain
    (rows continuing with ``&=`` or ``=`` belong to the row before)."""
    body = _INNER_ENV.sub(lambda m: " " * len(m.group()), fragment.body)
    if not fragment.display:
        return [Statement(fragment.file, fragment.body.strip(), (fragment.first_line, fragment.last_line), False,
                          fragment.before, fragment.after, [(fragment.first_line, fragment.body.strip())])]
    rows = _rows(body, fragment.start_line or fragment.first_line)
    groups: list[list[tuple[int, str]]] = []
    for line, row in rows:
        stripped = row.strip()
        continues = bool(_CONTINUES.match(stripped)) or stripped.startswith("&")
        if groups and continues:
            groups[-1].append((line, row))
        else:
            groups.append([(line, row)])
    out = []
    for group in groups:
        text = " \\\\ ".join(r.strip() for _, r in group)
        last_line = group[-1][0] + group[-1][1].strip().count("\n")
        out.append(Statement(fragment.file, text, (group[0][0], max(group[0][0], last_line)), True, fragment.before,
                             fragment.after, [(ln, r.strip()) for ln, r in group]))
    return out


def _shifted(fragment: Fragment, offset: int, lines: int) -> Fragment:
    """A fragment of a notebook cell placed in the joined text (``offset`` characters, ``lines`` lines on)."""
    return dataclasses.replace(fragment, start=fragment.start + offset, end=fragment.end + offset,
                               first_line=fragment.first_line + lines, last_line=fragment.last_line + lines,
                               start_line=fragment.start_line + lines, end_line=fragment.end_line + lines)


def extract(path: str | Path, text: str | None = None, name: str | None = None,
            lecture: Lecture | None = None, unclosed: list | None = None) -> list[Statement]:
    """Every statement of the file (``text`` given: that content; ``lecture``: as read by
    :func:`load_lecture`). A notebook's cells are read one by one (a formula never runs from one
    cell into the next); their statements carry the lines of the joined text (:class:`Lecture`).
    Each statement an inline marker suppresses says why (``suppression``). ``unclosed``: as
    :func:`fragments`, lines in the joined text."""
    if lecture is None:
        kind = file_kind(path)
        if text is None:
            lecture = load_lecture(path)
        elif kind == "ipynb" and text.lstrip().startswith("{"):
            lecture = notebook_markdown(text, path)
        elif kind == "html":
            lecture = Lecture(html_text(text), kind)
        else:
            lecture = Lecture(text, "md" if kind == "ipynb" else kind)
    file = name or Path(path).name
    kind = "tex" if lecture.kind == "tex" else "md"
    marks = markers(lecture.text, kind)
    if lecture.cells:
        starts = _LineIndex(lecture.text).starts
        segments = []
        for _, first, count in lecture.cells:
            begin = starts[first - 1]
            end = starts[first - 1 + count] - 1 if first - 1 + count < len(starts) else len(lecture.text)
            segments.append((begin, first - 1, lecture.text[begin:end]))
    else:
        segments = [(0, 0, lecture.text)]
    result = []
    for offset, lines, segment in segments:
        opened: list = []
        for fragment in fragments(segment, file, kind, opened):
            if offset or lines:
                fragment = _shifted(fragment, offset, lines)
            for statement in statements(fragment):
                statement.suppression = _suppression(statement, fragment, marks, lecture.where)
                result.append(statement)
        if unclosed is not None:
            unclosed.extend((line + lines, delimiter, opening) for line, delimiter, opening in opened)
    return result
