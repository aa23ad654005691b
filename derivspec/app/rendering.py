"""HTML rendering shared by the report (``derivspec report``) and the annotated lecture view
(``derivspec scan FILE... --html DIR``): LaTeX as MathML, prose that mixes words and LaTeX, and
the Jinja2 templates (``derivspec/app/templates/``).

Escaping happens in one place: Jinja2's autoescape. Python code never builds HTML by string
concatenation; what is already HTML (MathML from :class:`Math`) is :class:`markupsafe.Markup`.

Prose with math: lecture quotes, evidence, notes and derivation justifications mix words and
LaTeX -- ``$…$`` spans, bare commands (``N(\\mu, \\sigma^2)``, ``\\frac{a}{b}``) and ``\\"``
left over from JSON escaping. :func:`prose_parts` splits such a string into text and math; the
``prose`` filter renders the math parts as MathML and the rest as text, so a page's text shows no
LaTeX source (it stays in the ``data-tex`` attribute of each ``<math>`` element).
"""

from __future__ import annotations

import re
from pathlib import Path

from derivspec.app.latex_tidy import identifier_subscripts
from derivspec.core.errors import DerivspecError
from derivspec.core.lectures import cite, format_lines, title_of

REPORT_EXTRA = "derivspec[report]"
REQUIRED = ("latex2mathml", "jinja2")  # the report extra: LaTeX -> MathML, the templates


def missing_modules(modules=REQUIRED) -> list[str]:
    import importlib

    missing = []
    for module in modules:
        try:
            importlib.import_module(module)
        except ImportError:
            missing.append(module)
    return missing


def require(what: str, modules=REQUIRED) -> None:
    """Bad input (exit 2), one line, when the report extra is not installed."""
    missing = missing_modules(modules)
    if missing:
        raise DerivspecError(f"{what} needs {' and '.join(missing)} (the report extra): pip install '{REPORT_EXTRA}'")


# --- LaTeX in prose, as Unicode (the fallback where MathML cannot be made) ------------------

_GREEK = {name: chr(code) for name, code in (
    ("alpha", 0x3B1), ("beta", 0x3B2), ("gamma", 0x3B3), ("delta", 0x3B4), ("epsilon", 0x3B5), ("varepsilon", 0x3B5),
    ("zeta", 0x3B6), ("eta", 0x3B7), ("theta", 0x3B8), ("kappa", 0x3BA), ("lambda", 0x3BB), ("mu", 0x3BC),
    ("nu", 0x3BD), ("xi", 0x3BE), ("pi", 0x3C0), ("rho", 0x3C1), ("sigma", 0x3C3), ("tau", 0x3C4), ("phi", 0x3C6),
    ("varphi", 0x3C6), ("chi", 0x3C7), ("psi", 0x3C8), ("omega", 0x3C9), ("Gamma", 0x393), ("Delta", 0x394),
    ("Theta", 0x398), ("Lambda", 0x39B), ("Pi", 0x3A0), ("Sigma", 0x3A3), ("Phi", 0x3A6), ("Omega", 0x3A9),
    ("Psi", 0x3A8), ("Xi", 0x39E), ("upsilon", 0x3C5), ("iota", 0x3B9), ("varrho", 0x3C1), ("vartheta", 0x3B8))}
_SYMBOLS = {"cdot": "·", "times": "×", "le": "≤", "leq": "≤", "ge": "≥", "geq": "≥", "ne": "≠", "neq": "≠",
            "approx": "≈", "propto": "∝", "infty": "∞", "to": "→", "rightarrow": "→", "Rightarrow": "⇒",
            "mid": "|", "sum": "Σ", "prod": "∏", "int": "∫", "partial": "∂", "nabla": "∇", "in": "∈", "ldots": "…",
            "dots": "…", "cdots": "⋯", "top": "ᵀ", "quad": " ", "qquad": "  ", "log": "log", "exp": "exp", "ln": "ln",
            "min": "min", "max": "max", "sim": "~", "equiv": "≡", "pm": "±", "odot": "⊙", "|": "‖", ",": " ",
            ";": " ", "!": "", "left": "", "right": "", "big": "", "Big": "", "displaystyle": "", "sqrt": "√",
            "textstyle": "", "scriptstyle": "", "underbrace": "", "overbrace": "", "limits": "", "nolimits": "",
            "det": "det", "tr": "tr", "arg": "arg", "lVert": "‖", "rVert": "‖", "Vert": "‖", "langle": "⟨",
            "rangle": "⟩", "leftarrow": "←", "mapsto": "↦", "forall": "∀", "exists": "∃", "emptyset": "∅",
            "subset": "⊂", "cup": "∪", "cap": "∩", "otimes": "⊗", "ll": "≪", "gg": "≫", "neg": "¬", "star": "⋆",
            "ast": "∗", "circ": "∘", "prime": "′", "ell": "ℓ", "bigl": "", "bigr": "", "Bigl": "", "Bigr": "",
            # a font command whose argument went elsewhere (``\\mathbb`` alone): nothing, never its name
            **dict.fromkeys(("mathbb", "mathbbm", "mathcal", "mathbf", "mathrm", "mathit", "mathsf", "mathfrak",
                             "mathscr", "boldsymbol", "bm", "text", "operatorname"), "")}
_ACCENTS = {"hat": "\u0302", "widehat": "\u0302", "tilde": "\u0303", "widetilde": "\u0303", "bar": "\u0304",
            "overline": "\u0304", "dot": "\u0307", "ddot": "\u0308", "vec": "\u20d7"}
_DOUBLE = {"R": "ℝ", "E": "𝔼", "N": "ℕ", "Z": "ℤ", "Q": "ℚ", "C": "ℂ", "P": "ℙ", "1": "𝟙"}
_SUPER = str.maketrans("0123456789+-()n", "⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻⁽⁾ⁿ")
_SUB = str.maketrans("0123456789+-()aeiojktnmx", "₀₁₂₃₄₅₆₇₈₉₊₋₍₎ₐₑᵢₒⱼₖₜₙₘₓ")
_KNOWN = {**_GREEK, **_SYMBOLS}


def _command(name: str) -> str:
    """A command as Unicode: a known one, else its longest known prefix and the rest
    (``\\logN`` after ``\\mathcal`` went: ``logN``), else its name without the backslash."""
    if name in _KNOWN:
        return _KNOWN[name]
    for end in range(len(name) - 1, 1, -1):
        if name[:end] in _KNOWN:
            return _KNOWN[name[:end]] + name[end:]
    return name


def _accented(m) -> str:
    """``\\hat\\pi`` or ``\\hat{x}`` as the letter and a combining accent."""
    letter = m.group(2) or m.group(3)
    return (_command(letter[1:]) if letter.startswith("\\") else letter) + _ACCENTS[m.group(1)]


def unicode_tex(text: str) -> str:
    """LaTeX fragments inside prose (a step's justification) as readable Unicode:
    ``N(\\mu, \\sigma^2)`` -> ``N(μ, σ²)``, ``\\bar\\alpha_t`` -> ``ᾱₜ``, ``\\tfrac12`` -> ``½``.
    No backslash is left: an unknown command loses its backslash."""
    t = (text or "").replace('\\"', '"')
    t = t.replace("\\{", "\x01").replace("\\}", "\x02").replace("\\\\", " ")
    t = re.sub(r"\\([%&#_$ ])", r"\1", t)
    t = re.sub(r"\\[td]?frac\s*12", "½", t)
    t = re.sub(r"\\[td]?frac\{([^{}]*)\}\{([^{}]*)\}", r"(\1)/(\2)", t)
    t = re.sub(r"\\[td]?frac\s*(\w)\s*(\w)", r"\1/\2", t)
    t = re.sub(r"\\(?:bar|overline)\s*\{?\\alpha\}?", "ᾱ", t)
    t = re.sub(r"\\(?:mathbb|mathbbm|bm)\s*\{?([A-Z1])\}?", lambda m: _DOUBLE.get(m.group(1), m.group(1)), t)
    t = re.sub(r"\\(" + "|".join(_ACCENTS) + r")(?![A-Za-z])\s*"
               r"(?:\{\s*(\\[A-Za-z]+|[A-Za-z0-9])\s*\}|(\\[A-Za-z]+|[A-Za-z0-9]))", _accented, t)
    t = re.sub(r"\\(?:mathrm|text|mathcal|operatorname|mathbf|boldsymbol|textbf|mathit|textit|mathsf|emph)\s*"
               r"\{([^{}]*)\}", r"\1", t)
    t = re.sub(r"\\(?:mathcal|mathrm|mathbf)\s*([A-Za-z])", r"\1", t)
    t = re.sub(r"\\([A-Za-z]+|[|,;!])", lambda m: _command(m.group(1)), t)
    t = re.sub(r"\^\{([0-9+\-()n]+)\}|\^([0-9n])", lambda m: (m.group(1) or m.group(2)).translate(_SUPER), t)
    t = re.sub(r"_\{([0-9+\-()aeiojktnmx]+)\}|_([0-9aeiojktnmx])(?![A-Za-z])",
               lambda m: (m.group(1) or m.group(2)).translate(_SUB), t)
    t = t.replace("{", "").replace("}", "").replace("\\", "")
    return t.replace("\x01", "{").replace("\x02", "}")


MATH_WORDS = {"KL", "log", "exp", "det", "tr", "max", "min", "sup", "inf", "lim", "argmax", "argmin", "cdot",
              "softmax", "sigmoid", "diag", "Var", "Cov", "var", "cov", "ln", "sin", "cos", "tanh", "arg", "sgn",
              "Bern", "Cat", "Dir", "Unif", "ELBO", "MSE", "CE", "logsumexp", "relu"}
_QUOTE = re.compile(r'\s*\(\s*\\?"(.+?)\\?"\s*\)\s*$', re.S)
_LATEX_COMMAND = re.compile(r"\\[A-Za-z]+")


def looks_like_prose(text: str) -> bool:
    """Words outside LaTeX commands: a sentence rather than a formula."""
    words = re.findall(r"(?<![\\A-Za-z])[A-Za-z]{3,}", _LATEX_COMMAND.sub(" ", text))
    return len(words) >= 5


# --- prose that mixes words and LaTeX ----------------------------------------------------------

_DOLLARS = re.compile(r"(\$\$.+?\$\$|(?<!\\)\$[^$]+?(?<!\\)\$)", re.S)
_TOKENS = re.compile(r"\s+|\S+")
_STRONG = re.compile(r"\\[A-Za-z]+|\\[,;!|{}]|[\^_]")
_TEXT_ARG = re.compile(r"\\(?:text|mathrm|operatorname|mathbf|mathit|textbf|textit|mathcal|mathbb|mathsf|boldsymbol)"
                       r"\s*\{[^{}]*\}")
_WORD = re.compile(r"(?<![\\A-Za-z_^])[A-Za-z]{2,}")
SHORT_WORDS = {"of", "in", "is", "as", "at", "by", "to", "be", "an", "or", "if", "on", "we", "it", "so", "no", "do",
               "for", "and", "the"}
_PAIRS = {")": "(", "]": "[", "}": "{"}
_TRAILING = ",;:."


_SCRIPT_GROUP = re.compile(r"[_^]\{[^{}]*\}")


def _prose_words(text: str) -> list[str]:
    """Words of three letters or more (and short English ones) outside LaTeX commands and
    sub/superscripts (``p_{data}``, ``E_{p_{data}}``), less math words (log, softmax) and short
    capitals (KL, ELBO)."""
    while _SCRIPT_GROUP.search(text):
        text = _SCRIPT_GROUP.sub(" ", text)
    return [w for w in _WORD.findall(text) if w not in MATH_WORDS and not (w.isupper() and len(w) <= 5)
            and (len(w) > 2 or w in SHORT_WORDS)]


_SNAKE = re.compile(r"(?<![\\A-Za-z0-9])[A-Za-z][A-Za-z0-9]*(?:_[A-Za-z0-9]+){2,}|\w/\w+\.py\b")


def _kind(token: str) -> str:
    """``strong`` (LaTeX: a command, a sub- or superscript), ``glue`` (symbols, single letters,
    numbers, math words: math beside a strong token) or ``prose`` (words; a Python name such as
    ``kl_sign_flipped`` or a path, which are not sub/superscripts)."""
    if _SNAKE.search(token):
        return "prose"
    bare = _TEXT_ARG.sub(" ", token)
    bare = _LATEX_COMMAND.sub(" ", bare)
    if _prose_words(bare):
        return "prose"
    if _STRONG.search(token):
        return "strong"
    return "glue" if len(token) <= 24 else "prose"


def _balanced_span(run: str) -> tuple[int, int]:
    """The part of ``run`` to read as math: unmatched brackets at its ends stay text, and so does
    everything from a bracket that is opened and not closed in it."""
    stack, unmatched = [], []
    for i, c in enumerate(run):
        if c in "([{" and (i == 0 or run[i - 1] != "\\"):
            stack.append(i)
        elif c in ")]}" and (i == 0 or run[i - 1] != "\\"):
            if stack and run[stack[-1]] == _PAIRS[c]:
                stack.pop()
            else:
                unmatched.append(i)
    unmatched += stack
    start, end = 0, len(run)
    for i in sorted(unmatched):
        if i == start and run[i] in "([":
            start = i + 1
    for i in sorted(unmatched, reverse=True):
        if i == end - 1 and run[i] in ")]":
            end = i
    opened = [i for i in unmatched if start < i < end and run[i] in "(["]
    if opened:  # ``\psi (a definition``: the bracket opens prose, the formula ends before it
        end = len(run[:opened[0]].rstrip())
    return start, end


def _bare_latex(text: str) -> list[tuple[str, str]]:
    """Prose with bare LaTeX (no dollars): runs of math-like words that hold a command or a
    sub/superscript are math, the rest text."""
    tokens = _TOKENS.findall(text)
    kinds = ["space" if t.isspace() else _kind(t) for t in tokens]
    parts: list[tuple[str, str]] = []
    i = 0
    while i < len(tokens):
        if kinds[i] in ("strong", "glue"):
            j, strong = i, False
            last = i
            while j < len(tokens) and kinds[j] != "prose":
                if kinds[j] != "space":
                    last = j
                    strong = strong or kinds[j] == "strong"
                j += 1
                if tokens[last].endswith((";", ":")) and last == j - 1:  # a semicolon or colon ends a formula
                    break
            if strong:
                run = "".join(tokens[i:last + 1])
                tail = len(run) - len(run.rstrip(_TRAILING))
                core = run[:len(run) - tail] if tail else run
                start, end = _balanced_span(core)
                if start:
                    parts.append(("text", core[:start]))
                parts.append(("math", core[start:end]))
                rest = core[end:] + (run[len(run) - tail:] if tail else "")
                if rest:
                    parts.append(("text", rest))
                parts.append(("text", "".join(tokens[last + 1:j])))
                i = j
                continue
            parts.append(("text", "".join(tokens[i:j])))
            i = j
            continue
        parts.append(("text", tokens[i]))
        i += 1
    return _merged(parts)


def _merged(parts):
    out: list[tuple[str, str]] = []
    for kind, piece in parts:
        if not piece:
            continue
        if out and out[-1][0] == kind == "text":
            out[-1] = ("text", out[-1][1] + piece)
        else:
            out.append((kind, piece))
    return out


def prose_parts(text: str) -> list[tuple[str, str]]:
    """``(kind, piece)`` with kind ``text``, ``math`` or ``display``: ``$$…$$`` display math,
    ``$…$`` and bare LaTeX inline math, ``\\"`` (JSON escaping) as a quotation mark."""
    from derivspec.app.latex_tidy import bare_fonts

    text = bare_fonts((text or "").replace('\\"', '"'))
    parts: list[tuple[str, str]] = []
    for piece in _DOLLARS.split(text):
        if piece.startswith("$$") and piece.endswith("$$") and len(piece) > 4:
            parts.append(("display", piece[2:-2]))
        elif piece.startswith("$") and piece.endswith("$") and len(piece) > 2:
            parts.append(("math", piece[1:-1]))
        else:
            parts += _bare_latex(piece)
    return _merged(parts)


# --- LaTeX -> MathML ----------------------------------------------------------------------------

_UNKNOWN_COMMAND = re.compile(r"(<m[ion][^>]*>)\\([A-Za-z]+)(</m[ion]>)")


class Math:
    """LaTeX -> MathML (as Markup), counting what could not be converted (shown as LaTeX source
    in ``<code class="tex">``, or as Unicode inside prose)."""

    def __init__(self):
        try:
            from latex2mathml.converter import convert
            from markupsafe import Markup, escape
        except ImportError as error:  # pragma: no cover - the report extra is missing
            raise DerivspecError(f"the report needs latex2mathml and jinja2: pip install '{REPORT_EXTRA}'") from error
        self._convert, self.Markup, self.escape = convert, Markup, escape
        self.converted = 0
        self.failed: list[str] = []
        self._made: dict[tuple[str, bool], str | None] = {}  # a formula the report shows again is converted once

    def mathml(self, latex: str, display: bool = False, count: bool = True):
        """MathML Markup, or None where latex2mathml cannot read the LaTeX (counted in ``failed``
        where ``count``)."""
        from derivspec.app.latex_tidy import unicode_variants, upright_words

        latex = (latex or "").strip()
        if not latex:
            return self.Markup("")
        if (latex, display) not in self._made:
            mathml = None
            for tidy in dict.fromkeys((upright_words(latex), latex)):  # the tidied form, else as written
                try:
                    mathml = self._convert(tidy, display="block" if display else "inline")
                    break
                except Exception:  # latex2mathml raises many kinds; the caller shows the source instead
                    continue
            if mathml is not None:
                mathml = unicode_variants(_UNKNOWN_COMMAND.sub(r"\1\2\3", mathml))  # an unknown command: its name
                mathml = mathml.replace("<math ", self.Markup('<math data-tex="{}" ').format(latex), 1)
            self._made[latex, display] = mathml
        mathml = self._made[latex, display]
        if mathml is None:
            if count:
                self.failed.append(latex)
            return None
        self.converted += 1
        return self.Markup(mathml)

    def inline(self, latex: str):
        """Inline math that may wrap: split at its top-level commas and semicolons
        (:func:`derivspec.app.latex_tidy.top_level_pieces`), each piece MathML; None where a piece
        cannot be converted and the whole cannot either."""
        from derivspec.app.latex_tidy import top_level_pieces

        pieces = top_level_pieces((latex or "").strip())
        if len(pieces) > 1:
            converted = [(self.mathml(formula, count=False), separator) for formula, separator in pieces]
            if all(m is not None for m, _ in converted):
                return self.Markup(" ").join(m + separator for m, separator in converted)
        return self.mathml(latex)

    def __call__(self, latex: str, display: bool = False):
        found = self.mathml(latex, display)
        if found is None:
            return self.Markup('<code class="tex">{}</code>').format((latex or "").strip())
        return found

    def expr(self, expr, display: bool = False):
        """A SymPy expression as math; a ``str`` is LaTeX made already (a verify record's ``latex``)."""
        if isinstance(expr, str):
            return self(expr, display)
        import sympy

        return self(sympy.latex(expr), display)

    def prose(self, text: str, bold: bool = False):
        """Prose with math (:func:`prose_parts`): the math as MathML (Unicode where it cannot be
        converted), the words as text; ``**bold**`` as bold where ``bold``."""
        out = []
        for kind, piece in prose_parts(text):
            if kind == "text":
                piece = self.escape(unicode_tex(piece))
                if bold:
                    piece = self.Markup(re.sub(r"\*\*(.+?)\*\*", r"<strong>\1</strong>", str(piece)))
                out.append(piece)
                continue
            if kind == "display":
                found = self.mathml(piece, display=True)
            else:  # ``p_data`` in evidence is an identifier: p_{data}
                found = self.inline(identifier_subscripts(piece))
            out.append(found if found is not None else self.escape(unicode_tex(piece)))
        return self.Markup("").join(out)

    def text(self, text: str):
        """Lecture text: ``$…$`` and ``$$…$$`` spans (and bare LaTeX) as math, ``**bold**``."""
        return self.prose(text, bold=True)

    def quote(self, text: str):
        """A statement as a lecture writes it: a formula (LaTeX without delimiters, perhaps
        followed by a quoted remark) as math; prose with ``$…$`` spans as text and math."""
        text = (text or "").strip()
        words = _prose_words(_LATEX_COMMAND.sub(" ", _TEXT_ARG.sub(" ", _QUOTE.sub("", text))))
        if "$" in text or len(words) >= 2 or not re.search(r"[\\^_=]", text):
            return self.text(text)
        remark = _QUOTE.search(text)
        formula = text[:remark.start()] if remark else text
        rendered = self.inline(formula)
        if rendered is None:
            rendered = self.prose(formula)
        if remark:
            rendered += self.Markup(" <span class='remark'>“{}”</span>").format(remark.group(1).replace('\\"', '"'))
        return rendered

    def correct(self, text: str):
        """A correct form: LaTeX (generated from the target) as math, prose with math as such."""
        if not text:
            return self.Markup("")
        words = [w for w in re.findall(r"(?<![\\\w{_^])[A-Za-z]{2,}(?![\w{(])", text) if w not in MATH_WORDS]
        if "$" not in text and ("\\" in text or re.search(r"[_^=]", text)) and not words:
            found = self.inline(text)
            if found is not None:
                return found
        return self.prose(text)


# --- templates ------------------------------------------------------------------------------------

def line_anchor(cell: int | None, line: int) -> str:
    """The id of a line in an annotated page: ``L12``, or ``c3-L2`` for line 2 of a notebook's cell 3."""
    return f"L{line}" if cell is None else f"c{cell}-L{line}"


def record_where(record: dict) -> str:
    """Where a scan record (its JSON) sits: ``lines 4–6``, or ``cell 3, line 2`` in a notebook."""
    lines = format_lines(record["lines"])
    return lines if record.get("cell") is None else f"cell {record['cell']}, {lines}"


def record_anchor(record: dict) -> str:
    """The id of a record's first line in its annotated page (:func:`line_anchor`)."""
    return line_anchor(record.get("cell"), int(record["lines"][0]))


STATUS_CLASS = {"verified": "ok", "matches": "ok", "proved": "ok", "definition": "info", "computed": "info",
                "holds": "ok", "failed": "bad", "disagrees": "bad", "fails": "bad", "inconclusive": "warn",
                "undecided": "warn", "not_comparable": "muted", "not_run": "muted", "not run": "muted",
                "unchecked": "muted"}


def environment(math: Math):
    """The Jinja2 environment of the templates, autoescaping, with the math filters bound to ``math``:
    ``math`` (LaTeX), ``mathexpr`` (a SymPy expression), ``quote`` (a statement as written),
    ``prose`` (text mixing words and LaTeX), ``correct`` (a correct form); and ``lines``, ``title``,
    ``cite``, ``status_class``; ``location`` and ``anchor`` of a scan record (a notebook's cite its cell)."""
    import jinja2

    env = jinja2.Environment(loader=jinja2.PackageLoader("derivspec.app", "templates"),
                             autoescape=jinja2.select_autoescape(("html",), default_for_string=True),
                             trim_blocks=True, lstrip_blocks=True, undefined=jinja2.StrictUndefined)
    env.filters.update(math=math, mathexpr=math.expr, quote=math.quote, prose=math.prose, correct=math.correct,
                       lines=format_lines, title=title_of, basename=lambda p: Path(p).name,
                       status_class=lambda s: STATUS_CLASS.get(s, "muted"))
    env.globals.update(cite=cite, format_lines=format_lines, title_of=title_of, location=record_where,
                       anchor=record_anchor)
    return env


def stylesheet() -> str:
    """The CSS of the report and of the annotated lecture view (``templates/style.css``)."""
    from importlib.resources import files

    return files("derivspec.app").joinpath("templates", "style.css").read_text(encoding="utf-8")
