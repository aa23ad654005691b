r"""Step 1 of ``derivspec scan``: every math fragment of a lecture file, with its lines.

Markdown (``$…$``, ``$$…$$``, ``\[…\]``, ``\(…\)``, ``\begin{equation|align|aligned|eqnarray|gather|…}``),
LaTeX (the same, after ``%`` comments and the preamble) and plain text with Markdown-style math
(the seeds are ``.txt``). ChatGPT-style exports that lost their backslashes -- a display block
between a line ``[`` and a line ``]`` -- are read too.

Skipped: fenced code (```` ``` ```` / ``~~~``, with d2lbook's ```` ```{.python .input} ````),
inline code spans, HTML comments, YAML front matter, LaTeX comments and verbatim environments.
Offsets are preserved (skipped text is blanked, newlines kept), so every fragment knows its
first and last line.

A fragment is then split into *statements* (:func:`statements`): the rows of an ``align``
that continue with ``&=`` stay with the row they continue; a row that starts a new left-hand
side starts a new statement.
"""

from __future__ import annotations

import os
import re
import stat
from dataclasses import dataclass, field
from pathlib import Path

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
    start_line: int = 0  # the line of the body's first character


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
    fragment_lines: tuple[int, int] = (0, 0)


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
    if b"\x00" in data[:65536]:
        raise NotText(f"{path}: a binary file (it contains NUL bytes), not a text lecture")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise NotText(f"{path}: not UTF-8 text (invalid byte at offset {error.start})") from None
    controls = sum(1 for c in text[:65536] if ord(c) < 32 and c not in "\n\r\t\f\v")
    if text and controls > max(8, len(text[:65536]) // 200):
        raise NotText(f"{path}: not a text lecture ({controls} control characters)")
    return text.replace("\r\n", "\n").replace("\r", "\n")


def read_lecture(path: str | Path) -> str:
    """:func:`read_text`, every failure a :class:`ScanError` with the one-line message ``scan``
    prints (exit 2)."""
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
    # fenced code
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
    text = "\n".join(out)
    text = _blank_all(text, [m.span() for m in _HTML_COMMENT.finditer(text)])
    text = _blank_all(text, _verbatim_spans(text))
    # inline code spans (d2lbook's :eqref:`x`, `code`); a span never holds math
    text = _INLINE_CODE.sub(lambda m: " " * len(m.group()), text)
    return text


def file_kind(path: str | Path) -> str:
    suffix = Path(path).suffix.lower()
    if suffix in (".tex", ".ltx", ".sty"):
        return "tex"
    return "md"


class _LineIndex:
    def __init__(self, text: str):
        self.starts = [0]
        for i, c in enumerate(text):
            if c == "\n":
                self.starts.append(i + 1)

    def line(self, offset: int) -> int:
        import bisect

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


def _paragraph_after(text: str, end: int, limit: int = 300) -> str:
    chunk = text[end:end + limit]
    blank = chunk.find("\n\n")
    if blank >= 0:
        chunk = chunk[:blank]
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


def fragments(text: str, file: str, kind: str = "md") -> list[Fragment]:
    """Every math fragment of ``text`` (already read), in order."""
    if kind == "tex":  # a LaTeX comment is no part of a formula (\\%[0.5em] ends a matrix row's comment)
        text = _TEX_COMMENT.sub(lambda m: m.group(1) + " " * len(m.group(2)), text)
    masked = mask(text, kind)
    index = _LineIndex(text)
    found: list[Fragment] = []

    def add(body_start: int, body_end: int, display: bool, outer_start: int, outer_end: int):
        body = text[body_start:body_end]
        if not body.strip():
            return
        first = index.line(body_start + (len(body) - len(body.lstrip())))
        last = index.line(body_start + len(body.rstrip()) - 1)
        found.append(Fragment(file, body, body_start, body_end, first, max(first, last), display,
                              _paragraph_before(masked, outer_start), _paragraph_after(masked, outer_end),
                              index.line(body_start)))

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
            i += 2
            continue
        if c == "$":
            if masked.startswith("$$", i):
                j = _find_closing(masked, i + 2, "$$")
                if j > 0:
                    add(i + 2, j, True, i, j + 2)
                    i = j + 2
                    continue
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
    return found


# --- statements ------------------------------------------------------------------------------

_ROW_SPLIT = re.compile(r"\\\\(?:\[[^\]]*\])?")
_INNER_ENV = re.compile(r"\\(?:begin|end)\{(?:" + _ENV_NAMES + r")\*?\}(?:\{[^{}]*\})?")
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
                          fragment.before, fragment.after, [(fragment.first_line, fragment.body.strip())],
                          (fragment.first_line, fragment.last_line))]
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
                             fragment.after, [(ln, r.strip()) for ln, r in group],
                             (fragment.first_line, fragment.last_line)))
    return out


def extract(path: str | Path, text: str | None = None, name: str | None = None) -> list[Statement]:
    """Every statement of the file (``text`` given: that content)."""
    if text is None:
        text = read_text(path)
    file = name or Path(path).name
    result = []
    for fragment in fragments(text, file, file_kind(path)):
        result.extend(statements(fragment))
    return result
