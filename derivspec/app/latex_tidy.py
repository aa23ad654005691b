"""LaTeX as lectures and derivspec's own evidence write it, tidied before latex2mathml reads it,
and the MathML it gives tidied for the browser (used by :class:`derivspec.app.rendering.Math`).

* a font command before a bare letter (``\\mathbb E``, ``\\mathcal N``) takes it as its argument
  (``\\mathbb{E}``): latex2mathml writes the bare form as ``mathvariant``, which Chromium ignores;
* words inside a formula (``0.026 nats``, ``T = 1 = unchanged``, ``If … then``) are set upright as
  text, and function names (``Var``, ``diag``, ``softmax``) as operators, not as a product of
  italic letters;
* :func:`identifier_subscripts`: ``p_data`` in derivspec's evidence is an identifier, read as
  ``p_{data}`` (TeX would subscript the ``d`` alone: "p_d ata");
* :func:`top_level_pieces`: a long inline formula splits at its top-level commas and semicolons,
  so a list of values can wrap between its items (MathML has no line breaking);
* :func:`unicode_variants`: ``<mi mathvariant="double-struck">E</mi>`` as the character 𝔼.
"""

from __future__ import annotations

import re
import unicodedata

# commands whose braced argument is text or a name, never math letters to retouch
TEXT_COMMANDS = ("text", "textrm", "textit", "textbf", "texttt", "textsf", "mathrm", "mathit", "mathbf", "mathsf",
                 "mathtt", "mathcal", "mathbb", "mathbbm", "mathfrak", "mathscr", "boldsymbol", "bm", "operatorname",
                 "begin", "end", "label", "tag", "color", "textcolor", "mbox", "hbox", "emph", "ref", "eqref")
FONT_COMMANDS = ("mathbb", "mathbbm", "mathcal", "mathbf", "mathrm", "mathit", "mathsf", "mathtt", "mathfrak",
                 "mathscr", "boldsymbol", "bm")
_PROTECTED = re.compile(r"\\(?:%s)\*?\s*\{[^{}]*\}|\\[A-Za-z]+|\\." % "|".join(TEXT_COMMANDS))
_BARE_FONT = re.compile(r"\\(%s)(?![A-Za-z])\s*([A-Za-z0-9])" % "|".join(FONT_COMMANDS))
_WORD = re.compile(r"([ \t]?)(?<![A-Za-z\\])([A-Za-z]{2,})(?![A-Za-z])([ \t]?)")

FUNCTION_WORDS = {"log", "exp", "det", "tr", "max", "min", "sup", "inf", "lim", "argmax", "argmin", "softmax",
                  "sigmoid", "diag", "Var", "Cov", "var", "cov", "ln", "sin", "cos", "tan", "tanh", "arg", "sgn",
                  "logsumexp", "relu", "ReLU", "erf", "sinh", "cosh", "sech", "rank", "KL", "Tr", "Pr", "span"}
ENGLISH_SHORT = {"of", "in", "is", "as", "at", "by", "to", "be", "an", "or", "if", "on", "we", "it", "so", "no",
                 "do", "for", "and", "the"}


def _outside_protected(latex: str, change) -> str:
    """``change`` applied to the parts of ``latex`` outside commands and text arguments."""
    out, last = [], 0
    for m in _PROTECTED.finditer(latex):
        out += [change(latex[last:m.start()]), m.group(0)]
        last = m.end()
    out.append(change(latex[last:]))
    return "".join(out)


def _upright(m) -> str:
    before, word, after = m.groups()
    english = word.lower() in ENGLISH_SHORT and (before or word[0].isupper()) and after  # "x if y", "—By "
    if len(word) == 2 and word not in FUNCTION_WORDS and not english:
        return m.group(0)  # ``ab``, ``dx``: a product of two letters, as TeX reads it; ``if`` only between spaces
    if m.start() and m.string[m.start() - 1] in "_^":  # ``x_max``: the whole word is the subscript
        name = f"\\operatorname{{{word}}}" if word in FUNCTION_WORDS else f"\\text{{{word}}}"
        return "{" + name + "}" + after
    if word in FUNCTION_WORDS:
        return f"{before}\\operatorname{{{word}}}{after}"
    return f"\\text{{{before}{word}{after}}}"


def bare_fonts(latex: str) -> str:
    """``\\mathbb E`` as ``\\mathbb{E}``: the font command takes the letter as its argument."""
    return _BARE_FONT.sub(r"\\\1{\2}", latex)


def upright_words(latex: str) -> str:
    """Words in a formula as upright text (``\\text{ nats}``) or operators (``\\operatorname{Var}``);
    single letters and two-letter products stay math italics."""
    latex = bare_fonts(latex)
    return _outside_protected(latex, lambda part: _WORD.sub(_upright, part))


_IDENTIFIER_SUBSCRIPT = re.compile(r"(?<![\\A-Za-z0-9])([A-Za-z]+)_([A-Za-z0-9]{2,})(?![A-Za-z0-9_{])")


def identifier_subscripts(latex: str) -> str:
    """``p_data``, ``L_NLL``, ``s_ii`` (identifiers in derivspec's evidence) as ``p_{data}``."""
    return _outside_protected(latex, lambda part: _IDENTIFIER_SUBSCRIPT.sub(r"\1_{\2}", part))


_OPEN, _CLOSE = "([{", ")]}"


RELATIONS = ("le", "leq", "ge", "geq", "ne", "neq", "approx", "equiv", "sim", "propto", "to", "rightarrow",
             "Rightarrow", "mapsto", "coloneqq")
LONG = 60  # characters of LaTeX: a longer formula may also wrap before its relation signs


def top_level_pieces(latex: str) -> list[tuple[str, str]]:
    """``(formula, separator)`` pieces of ``latex``: split at commas and semicolons followed by a
    space and outside every bracket (``p(a, b)=1, q=2`` -> ``p(a, b)=1`` | ``q=2``), and a piece
    longer than ``LONG`` characters also before its top-level relation signs (``=``, ``\\le``…);
    one piece where there is an environment (``\\begin``) or the brackets do not balance."""
    if "\\begin" in latex:
        return [(latex, "")]
    pieces, depth, start, i = [], 0, 0, 0
    relations = []  # (index in latex, index of the piece it belongs to)
    while i < len(latex):
        c = latex[i]
        if c == "\\":
            name = re.match(r"\\([A-Za-z]+|.)", latex[i:])
            command = name.group(1) if name else ""
            depth += (command in ("{", "langle", "lVert", "lvert")) - (command in ("}", "rangle", "rVert", "rvert"))
            if depth == 0 and command in RELATIONS:
                relations.append(i)
            i += len(name.group(0)) if name else 1
            continue
        if c in _OPEN:
            depth += 1
        elif c in _CLOSE:
            depth -= 1
        elif c in ",;" and depth == 0 and latex[i + 1:i + 2].isspace():
            pieces.append((start, i, c))
            start = i + 1
        elif c in "=<>" and depth == 0 and i > 0 and latex[i - 1] not in "<>!:":
            relations.append(i)
        i += 1
    pieces.append((start, len(latex), ""))
    if depth != 0:
        return [(latex, "")]
    out = []
    for begin, end, separator in pieces:
        cuts = [r for r in relations if begin < r < end and latex[begin:r].strip()] if end - begin > LONG else []
        bounds = [begin, *cuts, end]
        out += [(latex[a:b], separator if b == end else "") for a, b in zip(bounds, bounds[1:])]
    if any(not formula.strip() for formula, _ in out):
        return [(latex, "")]
    return out


_VARIANT = re.compile(r'<mi mathvariant="([a-z-]+)">(&#x[0-9A-Fa-f]+;|[^<&])</mi>')
_PREFIXES = {"bold": ("MATHEMATICAL BOLD",), "italic": ("MATHEMATICAL ITALIC",),
             "bold-italic": ("MATHEMATICAL BOLD ITALIC",),
             "double-struck": ("MATHEMATICAL DOUBLE-STRUCK", "DOUBLE-STRUCK"),
             "script": ("MATHEMATICAL SCRIPT", "SCRIPT"), "bold-script": ("MATHEMATICAL BOLD SCRIPT",),
             "fraktur": ("MATHEMATICAL FRAKTUR", "BLACK-LETTER"), "bold-fraktur": ("MATHEMATICAL BOLD FRAKTUR",),
             "sans-serif": ("MATHEMATICAL SANS-SERIF",), "bold-sans-serif": ("MATHEMATICAL SANS-SERIF BOLD",),
             "monospace": ("MATHEMATICAL MONOSPACE",)}


def _variant_char(m) -> str:
    variant, char = m.groups()
    if char.startswith("&#x"):
        char = chr(int(char[3:-1], 16))
    name = unicodedata.name(char, "")
    tail = re.sub(r"^(?:LATIN|GREEK) (CAPITAL|SMALL) LETTER ", r"\1 ", name)
    if variant == "normal" or tail == name and not name.startswith("DIGIT"):
        return m.group(0)
    for prefix in _PREFIXES.get(variant, ()):
        try:
            return f"<mi>{unicodedata.lookup(f'{prefix} {tail}')}</mi>"
        except KeyError:
            continue
    return m.group(0)


_THIN = '<mspace width="0.1667em"></mspace>'
_NAME = r"<mi>(?:log|ln|exp|sin|cos|tan|tanh|sinh|cosh|arg|sgn)</mi>"
_FUNCTION = re.compile(f"({_NAME})(?=<mi>|<mn>|<msub>|<msup>|<mrow>|<mfrac>)")
_BEFORE_FUNCTION = re.compile(f"(</mi>|</mn>|</msub>|</msup>)({_NAME})")


def function_spacing(mathml: str) -> str:
    """A thin space around a function name set between letters (``y\\log p``: y log p), as TeX
    spaces an operator; latex2mathml writes ``<mi>log</mi>``, which the browser sets tight."""
    mathml = _BEFORE_FUNCTION.sub(r"\1" + _THIN + r"\2", mathml)
    return _FUNCTION.sub(r"\1" + _THIN, mathml)


_UPRIGHT_RUN = re.compile(r'(?:<mi mathvariant="normal">[^<]+</mi>){2,}')


def unicode_variants(mathml: str) -> str:
    """``<mi mathvariant="…">`` of one letter as the Unicode mathematical letter (Chromium's
    MathML lays out only ``normal`` of the variants); a run of upright letters (``\\mathrm{ELBO}``)
    as one name, ``<mi>ELBO</mi>``."""
    mathml = function_spacing(mathml)
    mathml = _UPRIGHT_RUN.sub(lambda m: "<mi>" + "".join(re.findall(r">([^<]+)<", m.group(0))) + "</mi>", mathml)
    return _VARIANT.sub(_variant_char, mathml)
