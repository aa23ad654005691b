r"""The document's own LaTeX macros, expanded before any statement is read.

``\newcommand{\name}[n]{body}``, ``\renewcommand``, ``\providecommand``, ``\def\name{body}`` and
``\DeclareMathOperator{\name}{text}`` found anywhere in the file are expanded in its statements;
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
_DEFINITION = re.compile(r"\\(?:re|provide)?newcommand\*?\s*\{?\s*\\([A-Za-z]+)\s*\}?\s*(?:\[(\d)\])?\s*(?:\[[^\]]*\])?\s*\{")
_DEF = re.compile(r"\\def\s*\\([A-Za-z]+)\s*\{")
_OPERATOR = re.compile(r"\\DeclareMathOperator\*?\s*\{\s*\\([A-Za-z]+)\s*\}\s*\{([^{}]*)\}")
_OVERLAY = re.compile(r"\\(?:uncover|only|visible|invisible|onslide|alert|alt)\s*(?:<[^<>]*>)?")
_PAUSE = re.compile(r"\\pause(?![A-Za-z])")
PASSES = 4  # macros that use macros


ONE_ARGUMENT_FORMS = {  # \pdv{x} and \dv{x} alone are the operators ∂/∂x and d/dx (physics package)
    "pdv": r"\frac{\partial}{\partial #1}",
    "dv": r"\frac{d}{d #1}",
}


def _group(text: str, start: int) -> tuple[str, int] | None:
    """The braced group opening at ``text[start]`` ('{'), and the index after it."""
    depth = 0
    for i in range(start, len(text)):
        if text[i] == "{" and (i == 0 or text[i - 1] != "\\"):
            depth += 1
        elif text[i] == "}" and text[i - 1] != "\\":
            depth -= 1
            if depth == 0:
                return text[start + 1:i], i + 1
    return None


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
    table: tuple = ()  # (name, arguments, body)

    def expand(self, text: str) -> str:
        text = _PAUSE.sub(" ", _unwrap_overlays(text))
        if "\\" not in text:
            return text
        for _ in range(PASSES):
            expanded = self._once(text)
            if expanded == text:
                break
            text = expanded
        return text

    def _once(self, text: str) -> str:
        for name, arguments, body in self.table:
            pattern = re.compile(r"\\" + name + r"(?![A-Za-z])")
            out, position = [], 0
            for match in pattern.finditer(text):
                if match.start() < position:
                    continue
                i, values = match.end(), []
                operator_form = name in ONE_ARGUMENT_FORMS and body == CONVENTIONS[name][1]  # not the document's own
                for _ in range(arguments):
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
                    continue
                replacement = body if len(values) == arguments else ONE_ARGUMENT_FORMS[name]
                for k, value in enumerate(values, 1):
                    replacement = replacement.replace(f"#{k}", value)
                # an operator form applies to what follows, a differential ends an integral: no braces for them
                whole = arguments and len(values) == arguments and name != "dd"
                out += [text[position:match.start()], "{" + replacement + "}" if whole else replacement + " "]
                position = i
            if out:
                text = "".join(out) + text[position:]
        return text


def document_macros(text: str) -> Macros:
    """The macros ``text`` defines, over the conventions (a document's own definition wins)."""
    table = {name: spec for name, spec in CONVENTIONS.items()}
    for match in _DEFINITION.finditer(text):
        found = _group(text, match.end() - 1)
        if found:
            table[match.group(1)] = (int(match.group(2) or 0), found[0])
    for match in _DEF.finditer(text):
        found = _group(text, match.end() - 1)
        if found:
            table[match.group(1)] = (0, found[0])
    for name, operator in _OPERATOR.findall(text):
        table[name] = (0, r"\operatorname{" + operator.strip() + "}")
    return Macros(tuple((name, arguments, body) for name, (arguments, body) in sorted(table.items(), key=lambda kv: -len(kv[0]))))
