r"""Names as lectures write them, compared without their font: \mathbf{x}_t and x_t are one name.

:class:`NameKey` is a name's accents (bar, hat, tilde), base letter (aliases such as \varepsilon
read as \epsilon) and subscript; :func:`strip_fonts` removes the font commands.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

FONTS = (r"\mathbf", r"\boldsymbol", r"\bm", r"\vec", r"\pmb", r"\mathrm", r"\mathit", r"\mathsf", r"\symbf",
         r"\mathbb", r"\mathcal", r"\mathscr", r"\mathfrak", r"\text", r"\textrm", r"\operatorname")
ACCENTS = (r"\bar", r"\hat", r"\tilde")
ALIASES = {r"\varepsilon": r"\epsilon", r"\varphi": r"\phi", r"\vartheta": r"\theta", r"\varrho": r"\rho",
           r"\varsigma": r"\sigma", r"\varpi": r"\pi"}
_NAME = re.compile(r"^(?P<marks>(?:\\[A-Za-z]+(?=[\\{]))*)(?:\{(?P<b1>[^{}]*)\}|(?P<b2>\\?[A-Za-z]+|#\w+|\\mathrm\{[^{}]*\}))"
                   r"(?P<deco>(?:'|\^\*|\^\{[^{}]*\}|\^\([^()]*\))*)(?:_\{(?P<sub>.*)\})?$")

_FONT_PATTERNS = tuple((re.compile(re.escape(font) + r"\s*\{([^{}]*)\}"), re.compile(re.escape(font) + r"(?=\\?[A-Za-z])"))
                       for font in FONTS)


@functools.lru_cache(maxsize=8192)
def strip_fonts(text: str) -> str:
    """``\\mathbf{x}_{t}`` -> ``x_{t}``, ``\\mathrm{KL}`` -> ``KL``, ``D_{\\mathrm{KL}}`` -> ``D_{KL}``."""
    if "\\" not in text:  # every font command starts with a backslash
        return text
    previous = None
    while previous != text:
        previous = text
        for braced, bare in _FONT_PATTERNS:
            text = braced.sub(r"\1", text)
            text = bare.sub("", text)
    return text


@dataclass(frozen=True)
class NameKey:
    accents: tuple
    base: str
    sub: str

    @classmethod
    def of(cls, name: str) -> "NameKey | None":
        m = _NAME.match(name)
        if not m:
            return None
        marks = re.findall(r"\\[A-Za-z]+", m.group("marks") or "")
        accents = tuple(sorted(a for a in marks if a in ACCENTS))
        base = m.group("b1") or m.group("b2") or ""
        base = strip_fonts(base)
        inner = re.match(r"^((?:\\[A-Za-z]+(?=[\\{]))*)\{?(\\?[A-Za-z]+'*)\}?$", base)
        if inner:  # \hat\boldsymbol{\theta}: the accent may sit inside
            more = re.findall(r"\\[A-Za-z]+", inner.group(1))
            accents = tuple(sorted(set(accents) | {a for a in more if a in ACCENTS}))
            base = inner.group(2)
        base = ALIASES.get(base, base) + (m.group("deco") or "")
        sub = strip_fonts(m.group("sub") or "").replace(" ", "")
        return cls(accents, base, sub)

    @classmethod
    def of_expression(cls, expr) -> "NameKey | None":
        """The key of a read name (a SymPy symbol) or of an application's head (its separators dropped)."""
        if getattr(expr, "is_Function", False) and hasattr(expr.func, "__name__"):
            return cls.of(strip_fonts(re.sub(r"[\[⟮].*$", "", expr.func.__name__)))
        if getattr(expr, "is_Symbol", False):
            return cls.of(strip_fonts(expr.name))
        return None
