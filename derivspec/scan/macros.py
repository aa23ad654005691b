r"""The document's own LaTeX macros, expanded before any statement is read.

``\newcommand{\name}[n]{body}``, ``\renewcommand``, ``\providecommand``, ``\def\name{body}`` and
``\DeclareMathOperator{\name}{text}`` found anywhere in the file -- or in a local package it loads,
``\usepackage{../../macros}`` read from ``macros.sty`` beside it -- are expanded in its statements;
``\newcommand{\name}[n][default]{body}`` takes an optional first argument (``\E[q]{x}``, ``\E{x}``), and
``\ifthenelse{\equal{X}{Y}}{A}{B}`` and ``\IfEqCase{X}{{v}{A}...}`` in what they expand to are decided;
beamer overlays (``\pause``, ``\uncover<2->{x}``, ``\only<…>{x}``, ``\alert{x}``, ``\onslide``) are
presentation, not mathematics, and are dropped around their content. A few macro conventions
that lecture sites define in their MathJax configuration rather than in the file -- the physics
package's ``\pdv{f}{x}``/``\dv{f}{x}``, the bold ``\mat``, ``\matr``, ``\vect``, ``\vecr``, ``\E``,
``\KL``, ``\abs``, ``\norm``, ``\grad`` and the old font switches ``\rm``, ``\bf`` -- are read the same
way unless the document defines them otherwise. Any other command the reader does not know is a
macro defined outside the file: read as an opaque name, it can support a proof but never a flag
(:func:`derivspec.scan.steps.check_step`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

CONVENTIONS = {  # name -> (arguments, body)
    "pdv": (2, r"\frac{\partial #1}{\partial #2}"),
    "dv": (2, r"\frac{d #1}{d #2}"),
    "mat": (1, r"\mathbf{#1}"),
    "matr": (1, r"\mathbf{#1}"),
    "vect": (1, r"\mathbf{#1}"),
    "vecr": (1, r"\mathbf{#1}"),
    "dd": (1, r"\,d#1"),  # the physics package's differential: \dd{x} is dx
    "E": (0, r"\mathbb{E}"),  # the expectation macro of many course preambles
    "KL": (0, r"\mathrm{KL}"),
    "abs": (1, r"\left|#1\right|"),
    "norm": (1, r"\left\|#1\right\|"),
    "grad": (0, r"\nabla"),
    "rm": (0, ""),  # old-style font switches: {\rm d}x
    "bf": (0, ""),
}
_DEFINITION = re.compile(r"\\(?:re|provide)?newcommand\*?\s*\{?\s*\\([A-Za-z]+)\s*\}?\s*"
                         r"(?:\[(\d)\])?\s*(?:\[([^\]]*)\])?\s*\{")  # name, arguments, default of the first
_DEF = re.compile(r"\\def\s*\\([A-Za-z]+)\s*\{")
_OPERATOR = re.compile(r"\\DeclareMathOperator\*?\s*\{\s*\\([A-Za-z]+)\s*\}\s*\{([^{}]*)\}")
_OVERLAY = re.compile(r"\\(?:uncover|only|visible|invisible|onslide|alert|alt)\s*(?:<[^<>]*>)?")
_PAUSE = re.compile(r"\\pause(?![A-Za-z])")
_USEPACKAGE = re.compile(r"\\usepackage\s*(?:\[[^\]]*\])?\s*\{([^{}]*)\}")
_COMMENT = re.compile(r"(?<!\\)%.*")
_CONDITIONAL = re.compile(r"\\(ifthenelse|IfEqCase\*?)(?![A-Za-z])")
PACKAGE_PARENTS = 3  # a package found by its name in the document's folder or up to three above it
PASSES = 8  # macros that use macros, one level a pass


ONE_ARGUMENT_FORMS = {  # \pdv{x} and \dv{x} alone are the operators ∂/∂x and d/dx (physics package)
    "pdv": r"\frac{\partial}{\partial #1}",
    "dv": r"\frac{d}{d #1}",
}


def closing(text, start: int, opens="{", closes="}", escapes: str = "") -> int:
    """The index of the bracket closing the one at ``text[start]`` (a string, or a list of tokens with
    tuples for ``opens``/``closes``), or -1. ``escapes``: "" (a backslash is an ordinary character),
    "pairs" (a backslash and the character after it are skipped), "before" (a bracket right after a
    backslash is not counted)."""
    depth, i = 0, start
    while i < len(text):
        c = text[i]
        if escapes == "pairs" and c == "\\":
            i += 2
            continue
        escaped = escapes == "before" and i > 0 and text[i - 1] == "\\"
        if c in opens and not escaped:
            depth += 1
        elif c in closes and not escaped:
            depth -= 1
            if depth == 0:
                return i
        i += 1
    return -1


def _group(text: str, start: int) -> tuple[str, int] | None:
    """The braced group opening at ``text[start]`` ('{'), and the index after it."""
    end = closing(text, start, escapes="before")
    return (text[start + 1:end], end + 1) if end >= 0 else None


def _bracket(text: str, start: int) -> tuple[str, int] | None:
    """The optional argument opening at ``text[start]`` ('['), and the index after it: brackets
    balanced, those inside braces hidden (``[{a]}]``)."""
    depth = braces = 0
    for i in range(start, len(text)):
        braces += (text[i] == "{") - (text[i] == "}")
        if braces == 0 and text[i] == "[":
            depth += 1
        elif braces == 0 and text[i] == "]":
            depth -= 1
            if depth == 0:
                return text[start + 1:i], i + 1
    return None


def _groups(text: str, start: int, count: int) -> tuple[list[str], int] | None:
    """``count`` braced groups from ``start`` (white space between them skipped), and the index after."""
    values, i = [], start
    for _ in range(count):
        while i < len(text) and text[i].isspace():
            i += 1
        found = _group(text, i) if i < len(text) and text[i] == "{" else None
        if found is None:
            return None
        values.append(found[0])
        i = found[1]
    return values, i


def _same(x: str, y: str) -> bool:
    """``\\equal{x}{y}``: the two texts equal once white space is dropped."""
    return re.sub(r"\s+", "", x) == re.sub(r"\s+", "", y)


def _optional(text: str, i: int) -> tuple[str, int] | None:
    """An optional argument ``[...]`` at ``text[i]`` (after spaces), and the index after it."""
    while i < len(text) and text[i].isspace():
        i += 1
    return _bracket(text, i) if i < len(text) and text[i] == "[" else None


def _ifthenelse(text: str, end: int) -> tuple[str, int] | None:
    """``\\ifthenelse{\\equal{X}{Y}}{A}{B}`` from ``end`` (after the command) -> (A if X = Y else B,
    the index after it); None for any other condition."""
    found = _groups(text, end, 3)
    condition = re.match(r"\s*\\equal\s*(?=\{)", found[0][0]) if found else None
    compared = _groups(found[0][0], condition.end(), 2) if condition else None
    if compared is None or found[0][0][compared[1]:].strip():
        return None
    return found[0][1 if _same(*compared[0]) else 2], found[1]


def _ifeqcase(text: str, end: int) -> tuple[str, int] | None:
    """``\\IfEqCase{X}{{v1}{A1}{v2}{A2}...}[else]`` from ``end`` -> (Ai for the vi = X, else the
    optional branch; the index after it); None when nothing matches and there is no optional branch."""
    found = _groups(text, end, 2)
    if found is None:
        return None
    (value, cases), after = found
    otherwise = _optional(text, after)
    i = 0
    while (pair := _groups(cases, i, 2)) is not None:
        if _same(pair[0][0], value):
            return pair[0][1], otherwise[1] if otherwise else after
        i = pair[1]
    return otherwise


def decide_conditionals(text: str) -> str:
    """Every decidable ``\\ifthenelse``/``\\IfEqCase`` replaced by its branch, innermost (last) first."""
    for match in reversed(list(_CONDITIONAL.finditer(text))):
        decide = _ifthenelse if match.group(1) == "ifthenelse" else _ifeqcase
        decided = decide(text, match.end())
        if decided is not None:
            text = text[:match.start()] + decided[0] + text[decided[1]:]
    return text


def package_macros_text(path: str | Path, text: str) -> str:
    """The text of the local packages ``text`` loads (``\\usepackage[opts]{a,../../b}``): ``b.sty``
    relative to the document's folder, else by its name in that folder or up to
    :data:`PACKAGE_PARENTS` above; a package not found or not readable is skipped."""
    folder = Path(path).resolve().parent
    places = [folder, *list(folder.parents)[:PACKAGE_PARENTS]]
    found: dict[Path, str] = {}
    for names in _USEPACKAGE.findall(_COMMENT.sub("", text)):
        for name in filter(None, (n.strip() for n in names.split(","))):
            file = name if name.endswith(".sty") else name + ".sty"
            for candidate in [folder / file] + [place / Path(file).name for place in places]:
                try:
                    if candidate.is_file():
                        found.setdefault(candidate.resolve(),
                                         _COMMENT.sub("", candidate.read_text(encoding="utf-8", errors="replace")))
                        break
                except OSError:
                    continue
    return "\n".join(found.values()) + _site_mathjax(path, places)


# a MathJax configuration's macros (v2 ``TeX: {Macros: {…}}``, v3 ``tex: {macros: {…}}``), in the page or its site
_MATHJAX_BLOCK = re.compile(r"\b[Mm]acros\s*:\s*\{")
_MATHJAX_MACRO = re.compile(r"""(\w+)\s*:\s*(?:"((?:[^"\\]|\\.)*)"|'((?:[^'\\]|\\.)*)'|\[\s*(?:"((?:[^"\\]|\\.)*)"|"""
                            r"""'((?:[^'\\]|\\.)*)')\s*,\s*(\d)\s*(?:,[^\]]*)?\])""")
_SITE_CONFIG = ("_includes/*.html", "_layouts/*.html", "_config.yml", "*mathjax*.js", "_includes/*mathjax*",
                "assets/js/*mathjax*.js", "index.html")
SITE_BYTES = 200_000


def _site_mathjax(path, places) -> str:
    """MathJax macro blocks in the page itself and in its site's configuration (an include or layout of a static
    site up to :data:`PACKAGE_PARENTS` folders above), as \\newcommand lines."""
    found = []
    for place in [Path(path)] + [p / pattern for p in places for pattern in _SITE_CONFIG]:
        try:
            for candidate in ([place] if place == Path(path) else place.parent.glob(place.name)):
                if candidate.is_file() and candidate.stat().st_size < SITE_BYTES:
                    text = candidate.read_text(encoding="utf-8", errors="replace")
                    if "acros" in text:
                        found.append(mathjax_macros(text))
        except OSError:
            continue
    return "\n".join(filter(None, found))


def mathjax_macros(text: str) -> str:
    """``Macros: {E: "\\mathbb{E}", norm: ["\\left\\|#1\\right\\|", 1]}`` as \\newcommand lines."""
    lines = []
    for block in _MATHJAX_BLOCK.finditer(text):
        body = _group(text, block.end() - 1)
        for m in _MATHJAX_MACRO.finditer(body[0] if body else ""):
            value = next(v for v in m.group(2, 3, 4, 5) if v is not None)
            value = re.sub(r"\\\\", lambda _: "\\", value)
            arguments = f"[{m.group(6)}]" if m.group(6) else ""
            lines.append(f"\\newcommand{{\\{m.group(1)}}}{arguments}{{{value}}}")
    return "\n".join(lines)


def _unwrap_overlays(text: str) -> str:
    """``\\uncover<2->{x}`` -> ``x`` (the group's braces go too: what they hold is read as written)."""
    out, position = [], 0
    for match in _OVERLAY.finditer(text):
        if match.start() < position:
            continue
        i = match.end()
        while i < len(text) and text[i] == " ":
            i += 1
        found = _group(text, i) if i < len(text) and text[i] == "{" else None
        out += [text[position:match.start()], found[0] if found else ""]
        position = found[1] if found else match.end()
    return "".join(out) + text[position:] if out else text


@dataclass(frozen=True)
class Macros:
    table: tuple = ()  # (name, arguments, body, default of the optional first argument or None)

    def expand(self, text: str) -> str:
        text = _PAUSE.sub(" ", _unwrap_overlays(text))
        if "\\" not in text:
            return text
        for _ in range(PASSES):
            expanded = decide_conditionals(self._once(text))
            if expanded == text:
                break
            text = expanded
        return text

    @cached_property
    def _specs(self) -> dict[str, tuple[int, str, str | None]]:
        return {name: (arguments, body, default) for name, arguments, body, default in self.table}

    @cached_property
    def _pattern(self) -> re.Pattern:
        return re.compile(r"\\(" + "|".join(name for name, *_ in self.table) + r")(?![A-Za-z])")

    def _once(self, text: str) -> str:
        """One pass, left to right and outside in as TeX reads: a call's arguments are taken as
        written (``\\pdv{x}\\intl{f}{z}`` is the operator applied to the integral), macros inside
        them are expanded by the next pass."""
        out, position = [], 0
        for match in self._pattern.finditer(text):
            if match.start() < position:
                continue
            call = self._call(text, match.group(1), match.end())
            if call is not None:
                out += [text[position:match.start()], call[0]]
                position = call[1]
        return "".join(out) + text[position:] if out else text

    def _call(self, text: str, name: str, i: int) -> tuple[str, int] | None:
        """The expansion of ``\\name`` with its arguments read from ``text[i]``, and the index after
        them; None when they are not all there."""
        arguments, body, default = self._specs[name]
        values = []
        operator_form = name in ONE_ARGUMENT_FORMS and body == CONVENTIONS[name][1]  # not the document's own
        if default is not None and arguments:  # \E[q]{x}: #1 = q; \E{x}: #1 = the default
            optional = _optional(text, i)
            values.append(optional[0] if optional else default)
            i = optional[1] if optional else i
        for _ in range(arguments - len(values)):
            while i < len(text) and text[i] == " ":
                i += 1
            if i < len(text) and text[i] == "{":
                found = _group(text, i)
                if found is None:
                    break
                values.append(found[0])
                i = found[1]
            elif i < len(text):
                if operator_form and len(values) == 1:
                    break  # \pdv{x} f: the operator form, without a second braced argument
                word = re.match(r"\\[A-Za-z]+", text[i:])  # a control word is one argument (\log), not '\'
                values.append(word.group() if word else text[i])
                i += len(word.group()) if word else 1
        if len(values) < arguments and not (operator_form and len(values) == 1):
            return None
        replacement = body if len(values) == arguments else ONE_ARGUMENT_FORMS[name]
        for k, value in enumerate(values, 1):
            replacement = replacement.replace(f"#{k}", value)
        # an operator form applies to what follows, a differential ends an integral: no braces for them
        whole = arguments and len(values) == arguments and name != "dd"
        return ("{" + replacement + "}" if whole else replacement + " "), i


def _definitions(text: str) -> dict[str, tuple[int, str, str | None]]:
    """name -> (arguments, body, default of the optional first argument or None), as ``text`` defines them."""
    table = {}
    for match in _DEFINITION.finditer(text):
        found = _group(text, match.end() - 1)
        if found:
            table[match.group(1)] = (int(match.group(2) or 0), found[0], match.group(3))
    for match in _DEF.finditer(text):
        found = _group(text, match.end() - 1)
        if found:
            table[match.group(1)] = (0, found[0], None)
    for name, operator in _OPERATOR.findall(text):
        table[name] = (0, r"\operatorname{" + operator.strip() + "}", None)
    return table


def document_macros(text: str, packages: str = "") -> Macros:
    """The macros ``text`` defines, over those of its local ``packages`` (:func:`package_macros_text`),
    over the conventions: the document's own definition wins, then its packages'."""
    table = {name: (arguments, body, None) for name, (arguments, body) in CONVENTIONS.items()}
    table |= _definitions(packages)
    table |= _definitions(mathjax_macros(text) if "acros" in text else "")
    table |= _definitions(text)
    return Macros(tuple((name, *spec) for name, spec in sorted(table.items(), key=lambda kv: -len(kv[0]))))
