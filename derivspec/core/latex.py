r"""A small, safe LaTeX-math -> SymPy reader for formulas as lecture notes write them.

SymPy's own ``parse_latex`` is not used (its lark backend rejects ``\sigma``, its antlr
backend needs a pinned runtime), and nothing here ever calls ``eval``/``exec``/``sympify``
on user text: the input is prepared (delimiters, tags, Unicode), tokenised, then read by
recursive descent. The accepted grammar and its conventions are documented in one place,
``docs/check.md``; in short::

    formula  := side ('=' side)*                     # a pasted LHS = RHS: see parse_latex_sides
    expr     := term (('+' | '-') term)*
    term     := signed (('*' | '/' | \cdot | \times | \div) signed  |  factor)*   # implicit product
    signed   := ('-' | '+') signed | factor
    factor   := (name | atom) scripts                 # at most one '^' and one '_', any order
    name     := [accent | font] (letter | \greek) ['_' subscript]
    atom     := number | (...) | [...] | {...} | \{...\} | \left X ... \right Y | |...| | \|...\|
              | \frac A B | \sqrt[n] A | function | \sum/\prod with bounds
    function := (\log | \ln | \exp | \sin | \cos | \tan | \sinh | \cosh | \tanh | \max | \min
                | \operatorname{softplus | sigmoid | logsumexp | relu | sign | ...} | bare log, exp, ...)
                ['_' base] ['^' power] argument

Conventions (read as printed, or refused as ambiguous -- never a guess):
  * a function applies to a following delimited group (``\log(x)^2`` = (log x)^2); without
    one it applies to the juxtaposed factors that follow (``\log 2\pi\sigma^2`` = log(2 pi
    sigma^2), ``\cos 2\pi u`` = cos(2 pi u)), up to an explicit operator; if a bracket,
    function or bar follows those factors (``\log x (y+1)``) the reading is ambiguous and refused;
  * ``\|x\|`` and ``\lVert x\rVert`` are the absolute value (the variables are scalars);
  * font commands (``\mathbf``, ``\boldsymbol``, ``\bm``, ...) are ignored;
  * equation numbers (``\quad (2)``), ``\tag``, ``\label``, ``$``/``\[``/``\(`` delimiters and
    a final full stop are stripped, never multiplied;
  * ``\sum_{j=1}^{d}`` expands over the claim's indexed names (``\mu_1, \mu_2``) when d is not
    a claim symbol -- the claim fixes the dimension; ``\sum_{j=1}^{N}`` with N a claim symbol
    is summed symbolically.
"""

from __future__ import annotations

import re
from typing import Mapping, NamedTuple

import sympy

from derivspec.core.errors import FormulaError
from derivspec.core.formula import add as checked_add
from derivspec.core.formula import binomial as checked_binomial
from derivspec.core.formula import factorial as checked_factorial
from derivspec.core.formula import check_text, exact_number
from derivspec.core.formula import multiply as checked_multiply
from derivspec.core.formula import power as checked_power

__all__ = ["parse_latex", "parse_latex_sides", "split_sides"]

_GREEK = frozenset(
    "\\" + g
    for g in (
        "alpha beta gamma delta epsilon varepsilon zeta eta theta vartheta iota kappa lambda mu "
        "nu xi pi varpi rho varrho sigma varsigma tau upsilon phi varphi chi psi omega ell "
        "Gamma Delta Theta Lambda Xi Pi Sigma Upsilon Phi Psi Omega"
    ).split()
)


def _softplus(z):
    return sympy.log(1 + sympy.exp(z))


def _sigmoid(z):
    return 1 / (1 + sympy.exp(-z))


def _logsumexp(*terms):
    return sympy.log(sympy.Add(*(sympy.exp(t) for t in terms)))


# name -> (function, least, most arguments)
_FUNCTIONS = {
    r"\log": (sympy.log, 1, 1), r"\exp": (sympy.exp, 1, 1), r"\sin": (sympy.sin, 1, 1),
    r"\cos": (sympy.cos, 1, 1), r"\tan": (sympy.tan, 1, 1), r"\tanh": (sympy.tanh, 1, 1),
    r"\sinh": (sympy.sinh, 1, 1), r"\cosh": (sympy.cosh, 1, 1),
    r"\max": (sympy.Max, 2, None), r"\min": (sympy.Min, 2, None),
    r"\softplus": (_softplus, 1, 1), r"\sigmoid": (_sigmoid, 1, 1), r"\logsumexp": (_logsumexp, 1, None),
    r"\relu": (lambda z: sympy.Max(z, 0), 1, 1), r"\sign": (sympy.sign, 1, 1), r"\erf": (sympy.erf, 1, 1),
    r"\sqrtfn": (sympy.sqrt, 1, 1),
}
# words accepted inside \operatorname{...}, \mathrm{...}, \text{...} and bare (without a backslash)
_WORDS = {
    "log": r"\log", "ln": r"\log", "exp": r"\exp", "sin": r"\sin", "cos": r"\cos", "tan": r"\tan",
    "tanh": r"\tanh", "sinh": r"\sinh", "cosh": r"\cosh", "max": r"\max", "min": r"\min",
    "softplus": r"\softplus", "sigmoid": r"\sigmoid", "logsumexp": r"\logsumexp", "LSE": r"\logsumexp",
    "lse": r"\logsumexp", "relu": r"\relu", "ReLU": r"\relu", "sign": r"\sign", "sgn": r"\sign",
    "erf": r"\erf", "sqrt": r"\sqrtfn",
}
_BARE_WORDS = ("logsumexp", "softplus", "sigmoid", "tanh", "sinh", "cosh", "log", "exp", "max", "min",
               "sin", "cos", "tan", "ln")
_ACCENTS = {
    r"\bar": r"\bar", r"\overline": r"\bar", r"\hat": r"\hat",
    r"\widehat": r"\hat", r"\tilde": r"\tilde", r"\widetilde": r"\tilde",
}
_FONTS = frozenset({r"\mathbf", r"\boldsymbol", r"\bm", r"\mathit", r"\mathsf", r"\mathnormal", r"\pmb",
                    r"\vec", r"\mathbfit", r"\symbf", r"\bold"})
_ROMAN = frozenset({r"\operatorname", r"\mathrm", r"\text", r"\textrm", r"\textit", r"\mathop", r"\textnormal"})
_ALIASES = {
    r"\cdot": "*", r"\times": "*", r"\ast": "*", r"\div": "/", r"\vert": "|", r"\lvert": "|",
    r"\rvert": "|", r"\|": "‖", r"\Vert": "‖", r"\lVert": "‖", r"\rVert": "‖", r"\{": "(", r"\}": ")",
    r"\lbrace": "(", r"\rbrace": ")", r"\lbrack": "[", r"\rbrack": "]",
    r"\dfrac": r"\frac", r"\tfrac": r"\frac", r"\cfrac": r"\frac", r"\ln": r"\log",
}
_STRUCTURAL = frozenset({r"\frac", r"\sqrt", r"\sum", r"\prod"} | _ROMAN)
# Claim mode (``check``) only -- the document reader (derivspec.scan.reader) shares the tables above
# and reads these constructs its own way: hyperbolic secants, log-gamma, binomials, \mathcal N.
_CLAIM_FUNCTIONS = {**_FUNCTIONS, r"\sech": (sympy.sech, 1, 1), r"\csch": (sympy.csch, 1, 1),
                    r"\coth": (sympy.coth, 1, 1), r"\lgamma": (sympy.loggamma, 1, 1), r"\Gamma": (sympy.gamma, 1, 1)}
_CLAIM_WORDS = {**_WORDS, "sech": r"\sech", "csch": r"\csch", "coth": r"\coth", "lgamma": r"\lgamma",
                "loggamma": r"\lgamma", "lnGamma": r"\lgamma", "logGamma": r"\lgamma"}
_CLAIM_ALIASES = {**_ALIASES, r"\dbinom": r"\binom", r"\tbinom": r"\binom", r"\mid": ";"}
_CLAIM_STRUCTURAL = _STRUCTURAL | {r"\binom", r"\mathcal"}
_EXPLICIT_SPACE = re.compile(r"\\[,;:]|\\q?quad(?![A-Za-z])|\\ ")
_IGNORED = frozenset(
    {r"\,", r"\;", r"\:", r"\!", r"\ ", r"\quad", r"\qquad", r"\displaystyle", r"\textstyle", r"\limits",
     r"\nolimits", r"\scriptstyle"}
    | {"\\" + size + side for size in ("big", "Big", "bigg", "Bigg") for side in ("", "l", "r", "m")}
)
_UNSUPPORTED = {
    r"\infty": "infinity is not supported",
    r"\int": "integrals are not supported: give the integral's closed form",
    r"\langle": "inner products are not supported: write the scalar product out",
    r"\cdots": "an elided sum or product ('\\cdots') is not supported: use \\sum or write the terms",
    r"\ldots": "an elided sum or product ('\\ldots') is not supported: use \\sum or write the terms",
    r"\dots": "an elided sum or product ('\\dots') is not supported: use \\sum or write the terms",
    r"\partial": "derivatives are not supported: give the derivative's closed form",
    r"\nabla": "derivatives are not supported: give the derivative's closed form",
}
_BRACKETS = {"(": ")", "[": "]", "{": "}", r"\left|": r"\right|", r"\left‖": r"\right‖"}
_LEFT_RIGHT_DELIMITERS = {"(", ")", "[", "]", "|", ".", "‖"}

# Unicode pasted from PDFs: read as the LaTeX it prints as.
_UNICODE = {
    "\u2212": "-", "\u2013": "-", "\u00d7": r"\times ", "\u00b7": r"\cdot ", "\u22c5": r"\cdot ",
    "\u00f7": r"\div ", "\u00b2": "^2", "\u00b3": "^3", "\u221a": r"\sqrt ", "\u2016": r"\| ",
    "\u2211": r"\sum ", "\u220f": r"\prod ", "\u221e": r"\infty ", "\u2264": r"\le ", "\u2265": r"\ge ",
    "\u2260": r"\ne ", "\u2248": r"\approx ", "\u221d": r"\propto ", "\u00a0": " ", "\u2009": " ",
    "\u202f": " ", "\u2032": "'",
}
_UNICODE_GREEK = {
    "α": "alpha", "β": "beta", "γ": "gamma", "δ": "delta", "ε": "varepsilon", "ϵ": "epsilon",
    "ζ": "zeta", "η": "eta", "θ": "theta", "κ": "kappa", "λ": "lambda", "μ": "mu", "ν": "nu",
    "ξ": "xi", "π": "pi", "ρ": "rho", "σ": "sigma", "τ": "tau", "φ": "varphi", "ϕ": "phi",
    "χ": "chi", "ψ": "psi", "ω": "omega", "Σ": "Sigma", "Δ": "Delta", "Γ": "Gamma",
    "Λ": "Lambda", "Φ": "Phi", "Ψ": "Psi", "Ω": "Omega", "Θ": "Theta", "ℓ": "ell",
}

_TOKEN_RE = re.compile(
    r"(?P<num>\d+(?:\.\d+)?|\.\d+)|(?P<cmd>\\(?:[A-Za-z]+|.))"
    r"|(?P<word>(?:" + "|".join(_BARE_WORDS) + r")(?![A-Za-z]))|(?P<name>[A-Za-z])"
    r"|(?P<space>\s+)|(?P<sym>[-+*/^_()\[\]{}|~,;!‖=])",
    re.DOTALL,
)

MAX_DIMENSION = 64  # an inferred sum range stops here
MAX_SUM_TERMS = 2000  # terms a sum may expand to (nested sums multiply)

NameKey = tuple[str, str, "tuple[str, ...] | None"]  # (accent, base, subscript tokens)


class _Token(NamedTuple):
    kind: str  # num | name | func | accent | font | cmd | sym | end
    text: str  # canonical spelling (aliases resolved)
    pos: int


def _error(tex: str, pos: int, problem: str) -> FormulaError:
    flat = re.sub(r"\s", " ", tex)
    if len(flat) > 120:
        start = max(0, pos - 50)
        flat = ("..." if start else "") + flat[start:start + 100] + "..."
    return FormulaError(f'cannot read LaTeX "{flat}" at position {pos}: {problem}')


# --- preparing the text ---------------------------------------------------------------------

_DELIMITERS = ((r"$$", r"$$"), (r"\[", r"\]"), (r"\(", r"\)"), ("$", "$"))
_ENVIRONMENT = re.compile(r"^\\begin\{(equation|align|gather|multline|displaymath|math|eqnarray)(\*?)\}(.*)"
                          r"\\end\{\1\2\}$", re.DOTALL)
_EQUATION_NUMBER = re.compile(
    r"(?:(?:\\q?quad|\\hfill|\\hspace\*?\{[^{}]*\}|~|\\,|\\;|\\ )\s*|\s+)"
    r"(?:\\text\{\s*)?\(\s*(?:[A-Z]?\d+(?:[.\-]\d+)*[a-z]?)\s*\)(?:\s*\})?\s*$")
_TAGS = re.compile(r"\\(?:tag\*?|label)\s*\{[^{}]*\}|\\nonumber\b|\\notag\b")
_TRAILING_PUNCTUATION = re.compile(r"(?:\s|\\[,;:! ]|\\q?quad)*(?<!\\right)(?<!\\left)[.,;]\s*$")


def prepare(tex: str) -> tuple[str, list[str]]:
    """The formula inside its math delimiters, with equation numbers, tags, labels and a final
    full stop removed and pasted Unicode read as LaTeX; and notes saying what was removed."""
    if tex is not None and not tex.strip():
        raise _error(tex, 0, "empty formula")
    tex = check_text(tex, "LaTeX")
    notes: list[str] = []
    for char, latex in _UNICODE.items():
        tex = tex.replace(char, latex)
    for char, name in _UNICODE_GREEK.items():
        tex = tex.replace(char, "\\" + name + " ")
    for _ in range(4):
        stripped = tex.strip()
        for opening, closing in _DELIMITERS:
            if stripped.startswith(opening) and stripped.endswith(closing) and len(stripped) >= len(opening) + len(closing):
                stripped = stripped[len(opening):len(stripped) - len(closing)]
                break
        environment = _ENVIRONMENT.match(stripped.strip())
        if environment:
            stripped = environment.group(3)
            if environment.group(1) in ("align", "gather", "multline", "eqnarray"):
                stripped = stripped.replace("&", " ").replace("\\\\", " ")
        if stripped == tex:
            break
        tex = stripped
    if "$" in tex:
        raise _error(tex, tex.index("$"), "a '$' inside the formula: give one formula")
    tags = _TAGS.findall(tex)
    if tags:
        tex = _TAGS.sub(" ", tex)
        notes.append("ignored " + ", ".join(t.strip() for t in tags))
    for _ in range(3):
        number = _EQUATION_NUMBER.search(tex)
        if number and tex[:number.start()].strip():
            notes.append(f"ignored the equation number {number.group().strip()}")
            tex = tex[:number.start()]
            continue
        punctuation = _TRAILING_PUNCTUATION.search(tex)
        if punctuation and tex[:punctuation.start()].strip():
            tex = tex[:punctuation.start()]
            continue
        break
    return tex, notes


_RELATIONS_LATEX = re.compile(
    r"\\(?:leq?|geq?|neq?|leqslant|geqslant|approx|sim|simeq|propto|cong|ll|gg|lesssim|gtrsim|to|rightarrow|"
    r"Rightarrow|implies|iff|mapsto|in|subset|subseteq)(?![A-Za-z])|<|>")
_EQUALS_LATEX = re.compile(r":=|\\coloneqq(?![A-Za-z])|\\triangleq(?![A-Za-z])|\\equiv(?![A-Za-z])|=")


def split_sides(text: str, latex: bool = True) -> list[str]:
    """``text`` split at its top-level '=' signs (outside brackets and braces). A top-level
    relation other than '=' (<, \\le, \\approx, ...) is refused: only equalities are checked."""
    depth = 0
    cuts: list[tuple[int, int]] = []
    i = 0
    while i < len(text):
        char = text[i]
        if latex and char == "\\":
            match = _EQUALS_LATEX.match(text, i) or _RELATIONS_LATEX.match(text, i)
            if match and depth == 0:
                if _RELATIONS_LATEX.match(text, i):
                    raise _error(text, i, f"the relation '{match.group()}' cannot be checked: give a formula or LHS = RHS")
                cuts.append((i, match.end()))
                i = match.end()
                continue
            i += 2 if i + 1 < len(text) and not text[i + 1].isalpha() else 1
            while latex and i < len(text) and text[i].isalpha() and text[i - 1] != "\\" and text[i - 1].isalpha():
                i += 1
            continue
        if char in "([{":
            depth += 1
        elif char in ")]}":
            depth = max(0, depth - 1)
        elif depth == 0 and char in "=<>!:":
            nxt = text[i + 1] if i + 1 < len(text) else ""
            if char == "=" and nxt != "=" and (i == 0 or text[i - 1] not in "=<>!:"):
                cuts.append((i, i + 1))
            elif char == ":" and nxt == "=":
                cuts.append((i, i + 2))
                i += 2
                continue
            elif char in "<>" or (char in "=!" and nxt == "="):
                raise _error(text, i, f"the relation '{char}{nxt if nxt == '=' else ''}' cannot be checked: "
                                      "give a formula or LHS = RHS")
        i += 1
    parts, start = [], 0
    for begin, end in cuts:
        parts.append(text[start:begin])
        start = end
    parts.append(text[start:])
    for part in parts:
        if not part.strip():
            raise _error(text, 0, "an empty side of '='")
    return parts


# --- tokens ---------------------------------------------------------------------------------

def _classify(tex: str, match: re.Match) -> _Token | None:
    """One regex match -> a token, or None for whitespace and spacing commands."""
    kind, text, pos = match.lastgroup, match.group(), match.start()
    if kind == "space" or text == "~" or (kind == "cmd" and (text in _IGNORED or text[1:].isspace())):
        return None
    if kind == "word":
        return _Token("func", _WORDS[text], pos)
    if kind != "cmd":
        return _Token(kind, text, pos)
    text = _CLAIM_ALIASES.get(text, text)
    if text in ("*", "/", "|", "‖", "(", ")", "[", "]", ";"):
        return _Token("sym", text, pos)
    if text in _GREEK:
        return _Token("name", text, pos)
    if text in _CLAIM_FUNCTIONS:
        return _Token("func", text, pos)
    if text in _CLAIM_STRUCTURAL or text in (r"\left", r"\right"):
        return _Token("cmd", text, pos)
    if text in _ACCENTS:
        return _Token("accent", _ACCENTS[text], pos)
    if text in _FONTS:
        return _Token("font", text, pos)
    raise _error(tex, pos, f"'{text}': " + _UNSUPPORTED.get(text, "unknown LaTeX command"))


def _delimited(tex: str, token_re, classify):
    """Scan ``tex`` into tokens: ``(None, token)``, or ``(left_or_right, delimiter)`` for a
    ``\\left``/``\\right`` and the token after it (a ``.`` there is the null delimiter), or
    ``(left_or_right, None)`` when the text ends before its delimiter."""
    pending: _Token | None = None  # a \left or \right waiting for its delimiter
    pos = 0
    while pos < len(tex):
        if pending is not None and tex[pos] == ".":
            token, pos = _Token("sym", ".", pos), pos + 1
        else:
            match = token_re.match(tex, pos)
            if match is None:
                raise _error(tex, pos, f"unexpected character '{tex[pos]}'")
            pos = match.end()
            token = classify(tex, match)
        if token is None:
            continue
        if pending is not None:
            yield pending, token
            pending = None
        elif token.text in (r"\left", r"\right") and token.kind == "cmd":
            pending = token
        else:
            yield None, token
    if pending is not None:
        yield pending, None


def _tokenize(tex: str) -> list[_Token]:
    """Tokens of ``tex`` ending with an ``end`` token. ``\\left X ... \\right Y`` pairs become
    brackets: |...| and \\|...\\| an absolute value, anything else (including ``\\left.``) a group."""
    tokens: list[_Token] = []
    lefts: list[int] = []  # indices of open \left tokens
    for pending, token in _delimited(tex, _TOKEN_RE, _classify):
        if pending is None:
            tokens.append(token)
            continue
        if token is None:
            raise _error(tex, pending.pos, f"'{pending.text}' without a delimiter")
        delimiter = token.text
        if delimiter not in _LEFT_RIGHT_DELIMITERS:
            raise _error(tex, token.pos, f"'{pending.text}' must be followed by a delimiter such as (, [, |, \\{{ or .")
        if pending.text == r"\left":
            lefts.append(len(tokens))
            tokens.append(_Token("sym", "\\left" + delimiter, pending.pos))
            continue
        if not lefts:
            raise _error(tex, pending.pos, r"'\right' without a matching '\left'")
        opening = lefts.pop()
        left = tokens[opening].text[len("\\left"):]
        if left == delimiter and delimiter in ("|", "‖"):
            tokens[opening] = _Token("sym", "\\left" + delimiter, tokens[opening].pos)
            tokens.append(_Token("sym", "\\right" + delimiter, pending.pos))
        else:
            tokens[opening] = _Token("sym", "(", tokens[opening].pos)
            tokens.append(_Token("sym", ")", pending.pos))
    if lefts:
        raise _error(tex, tokens[lefts[-1]].pos, r"'\left' without a matching '\right'")
    tokens.append(_Token("end", "", len(tex)))
    return tokens


def _check_balance(tex: str, tokens: list[_Token]) -> None:
    """Report the first unmatched or unclosed bracket with its position."""
    stack: list[_Token] = []
    for token in tokens:
        if token.kind != "sym":
            continue
        if token.text in _BRACKETS:
            stack.append(token)
        elif token.text in _BRACKETS.values():
            if not stack or _BRACKETS[stack[-1].text] != token.text:
                raise _error(tex, token.pos, f"unbalanced '{token.text}' has no matching opening bracket")
            stack.pop()
    if stack:
        raise _error(tex, stack[-1].pos, f"unbalanced '{stack[-1].text}' is never closed")


def _format_name(key: NameKey) -> str:
    accent, base, sub = key
    name = f"{accent}{{{base}}}" if accent else base
    return name if sub is None else f"{name}_{{{''.join(sub)}}}"


def display_name(key: tuple[str, str, str | None]) -> str:
    """A canonical name key as LaTeX: ``\\sigma_q``, ``\\bar{\\alpha}_{t-1}``."""
    accent, base, sub = key
    name = f"{accent}{{{base}}}" if accent else base
    if sub is None:
        return name
    return f"{name}_{sub}" if len(sub) == 1 and sub.isalnum() else f"{name}_{{{sub}}}"


def _canonical(key: NameKey) -> tuple[str, str, str | None]:
    accent, base, sub = key
    return accent, base, None if sub is None else "".join(sub)


# --- the reader -----------------------------------------------------------------------------

class _Parser:
    def __init__(self, tex: str, names: Mapping, known: list[str]):
        self.tex, self.names, self.known = tex, names, known
        self.tokens = _tokenize(tex)
        _check_balance(tex, self.tokens)
        self.index = 0
        self.abs_depth = 0  # how many bare |...| are open: a '|' then closes instead of opening
        self.norm_depth = 0
        self.bindings: dict[str, int | sympy.Expr] = {}  # summation indices in scope
        self.probe: list | None = None  # while inferring a sum's range: unresolved indexed names
        self.terms = 0
        self.open_names: dict | None = None  # when set, unknown names read as fresh symbols, recorded here
        self.used: set = set()  # canonical keys of the names read
        self.claim_mode = True  # the document reader (scan) sets up its own state and reads a/2b its way

    # -- token helpers ---------------------------------------------------------------
    def peek(self, ahead: int = 0) -> _Token:
        return self.tokens[min(self.index + ahead, len(self.tokens) - 1)]

    def next(self) -> _Token:
        token = self.tokens[self.index]
        self.index += token.kind != "end"
        return token

    def error(self, token: _Token, problem: str) -> FormulaError:
        return _error(self.tex, token.pos, problem)

    def expect(self, text: str) -> _Token:
        token = self.next()
        if token.text != text or token.kind not in ("sym", "end"):
            found = "end of input" if token.kind == "end" else f"'{token.text}'"
            raise self.error(token, f"expected '{text}' but found {found}")
        return token

    def first_digit(self) -> sympy.Integer:
        """TeX reads one digit as an argument: split ``12`` into ``1`` and a remaining ``2``."""
        token = self.next()
        if len(token.text) > 1:  # split in place once, so that re-reading (sums) sees the same tokens
            self.tokens[self.index - 1] = _Token("num", token.text[0], token.pos)
            self.tokens.insert(self.index, _Token("num", token.text[1:], token.pos + 1))
        return sympy.Integer(token.text[0])

    def starts_factor(self, token: _Token) -> bool:
        if token.kind in ("num", "name", "accent", "func", "cmd", "font"):
            return True
        return token.text in ("(", "[", "{", r"\left|", r"\left‖") or (
            token.text == "|" and self.abs_depth == 0) or (token.text == "‖" and self.norm_depth == 0)

    def spaced(self) -> bool:
        r"""An explicit space (``\,``, ``\;``, ``\quad``) stands before the next token: in ``\log p(x) \, p(x)`` it
        ends the function's undelimited argument, as printed."""
        if self.index == 0 or self.index >= len(self.tokens):
            return False
        previous, following = self.tokens[self.index - 1], self.tokens[self.index]
        return bool(_EXPLICIT_SPACE.search(self.tex[previous.pos + 1:following.pos]))

    def closes_argument(self, last: sympy.Expr, after: _Token) -> bool:
        """Whether a bracket after an undelimited argument's last factor starts a new factor (never, here:
        ``\\log x (y+1)`` is refused as ambiguous)."""
        return False

    def ends_argument_before(self, factor: sympy.Expr) -> bool:
        """Whether an undelimited argument ends before this juxtaposed factor (never, here: a reader of
        documents reads ``\\log p(x|z) p(z)`` both ways)."""
        return False

    def starts_simple_factor(self, token: _Token) -> bool:
        """Juxtaposed factors an undelimited function argument extends over."""
        return token.kind in ("num", "name", "accent", "font") or token.text in (r"\frac", r"\sqrt")

    # -- grammar ---------------------------------------------------------------------
    def formula(self) -> sympy.Expr:
        if self.peek().kind == "end":
            raise self.error(self.peek(), "empty formula")
        value = self.expr()
        if self.peek().kind != "end":
            token = self.peek()
            raise self.error(token, f"unexpected '{token.text}'" + (
                " (',' separates arguments of \\max, \\min and \\operatorname{logsumexp} only)" if token.text == "," else ""))
        return value

    def expr(self) -> sympy.Expr:
        terms = [self.term()]
        while self.peek().text in ("+", "-") and self.peek().kind == "sym":
            sign = self.next().text
            rhs = self.term()
            terms.append(rhs if sign == "+" else checked_multiply([sympy.Integer(-1), rhs]))
            self.count_terms(1)
        return checked_add(terms) if len(terms) > 1 else terms[0]

    def count_terms(self, n: int) -> None:
        self.terms += n
        if self.terms > 200_000:
            raise self.error(self.peek(), "the formula has too many terms")

    def term(self) -> sympy.Expr:
        start = self.peek().pos
        factors = [self.signed()]
        while True:
            token = self.peek()
            if token.kind == "sym" and token.text in ("*", "/"):
                self.next()
                divisor_start = self.peek().pos
                rhs = self.signed()
                if token.text == "/":
                    if rhs == 0:
                        raise self.error(token, "division by zero: the formula is undefined")
                    if getattr(self, "claim_mode", False) and self.starts_simple_factor(self.peek()):
                        self.ambiguous_division(start, token, divisor_start)
                    rhs = checked_power(rhs, sympy.Integer(-1))
                factors.append(rhs)
            elif self.starts_factor(token):
                before = self.tokens[self.index - 1] if self.index > 0 else None
                if token.kind == "num" and before is not None and before.kind == "num" and factors[-1].is_Number \
                        and token.pos > before.pos + len(before.text):  # "1 \; 0" (y^23 is y^2 times 3, σ^2 1 σ² times 1)
                    raise self.error(token, "two numbers side by side (a vector or a list?): write a product "
                                            "with \\cdot or \\times")
                factors.append(self.factor())
            else:
                return checked_multiply(factors) if len(factors) > 1 else factors[0]

    def ambiguous_division(self, start: int, slash: _Token, divisor_start: int) -> None:
        """``a/2b``: refused, naming both readings, (a/2)b and a/(2b) -- never a guess."""
        divisor_end = self.peek().pos
        while self.starts_simple_factor(self.peek()):
            self.factor()
        end = self.peek().pos
        left = self.tex[start:slash.pos].strip()
        divisor = self.tex[divisor_start:divisor_end].strip()
        rest = self.tex[divisor_end:end].strip()
        raise self.error(slash, f"ambiguous '/': \"{left}/{divisor}{rest}\" reads as ({left}/{divisor}){rest} or as "
                                f"{left}/({divisor}{rest}); write \\frac{{...}}{{...}} or put the denominator in "
                                "braces or parentheses")

    def signed(self) -> sympy.Expr:
        token = self.peek()
        if token.kind == "sym" and token.text in ("+", "-"):
            self.next()
            value = self.signed()
            return checked_multiply([sympy.Integer(-1), value]) if token.text == "-" else value
        return self.factor()

    def factor(self) -> sympy.Expr:
        token = self.peek()
        if token.kind == "name" and token.text == r"\sigma" and self.peek(1).text in ("(", r"\left|") \
                and ("", r"\sigma", None) not in self.names:  # sigma(z): the logistic sigmoid
            self.next()
            value = self.function(r"\sigmoid", token)
            return value
        if token.kind == "name" and token.text == r"\Gamma" and self.peek(1).text == "(" \
                and ("", r"\Gamma", None) not in self.names:  # Gamma(x): the gamma function
            self.next()
            return self.function(r"\Gamma", token)
        if (token.kind in ("name", "accent", "font") and not self.font_number()) or self.roman_letter():
            key = self.name()
            bangs = self.count_factorials()  # n!^2 = (n!)^2
            script_sub, sup = self.scripts()
            accent, base, sub = key
            if script_sub is not None:
                if sub is not None or bangs:
                    raise self.error(token, "double subscript" if sub is not None else "a subscript after '!'")
                sub = script_sub
            value = self.resolve((accent, base, sub), token)
        else:
            value = self.atom()
            bangs = self.count_factorials()
            script_sub, sup = self.scripts()
            if script_sub is not None:
                raise self.error(token, "a subscript can only follow a name")
        value = self.apply_factorials(value, bangs)
        value = value if sup is None else checked_power(value, sup)
        if self.peek().text == "!" and self.peek().kind == "sym":
            if sup is not None:
                raise self.error(self.peek(), "ambiguous '!' after a power: write (x^{k})! or {x!}^{k}")
            value = self.apply_factorials(value, self.count_factorials())  # n_1!
        return value

    def count_factorials(self) -> int:
        count = 0
        while self.peek().text == "!" and self.peek().kind == "sym":
            self.next()
            count += 1
        if count > 1:
            raise self.error(self.peek(), "'!!' (a double factorial) is not supported: write the product")
        return count

    def apply_factorials(self, value: sympy.Expr, count: int) -> sympy.Expr:
        """``n!`` as SymPy's factorial (Gamma(n + 1)); a number's factorial at most 1000!."""
        for _ in range(count):
            try:
                value = checked_factorial(value)
            except FormulaError as error:
                raise self.error(self.peek(), str(error)) from None
        return value

    def roman_letter(self) -> bool:
        """``\\mathrm{x}``: one letter in roman type is a name (``\\mathrm{e}`` is Euler's e)."""
        return (self.peek().text in _ROMAN and self.peek(1).text == "{" and self.peek(2).kind == "name"
                and self.peek(3).text == "}")

    def font_number(self) -> bool:
        """``\\mathbf{1}``: a font command around a number."""
        return self.peek().kind == "font" and self.peek(1).text == "{" and self.peek(2).kind == "num"

    def scripts(self) -> tuple[tuple[str, ...] | None, sympy.Expr | None]:
        sub = sup = None
        while self.peek().text in ("_", "^") and self.peek().kind == "sym":
            token = self.next()
            if (sub if token.text == "_" else sup) is not None:
                raise self.error(token, "double " + ("subscript" if token.text == "_" else "superscript"))
            if token.text == "_":
                sub = self.subscript_tokens()
            else:
                sup = self.argument("'^'")
        return sub, sup

    def subscript_tokens(self) -> tuple[str, ...]:
        """A subscript's tokens (braces dropped): ``_{t - 1}`` -> ('t', '-', '1')."""
        token = self.peek()
        if token.kind == "num":
            return (str(self.first_digit()),)
        if token.kind == "name":
            return (self.next().text,)
        if token.kind == "font":  # _\mathrm{x}
            self.next()
        if self.peek().text != "{":
            raise self.error(token, "expected {...} or a single token after '_'")
        self.next()
        parts, depth = [], 1
        while depth:
            part = self.next()
            if part.kind == "end":
                raise self.error(part, "unclosed subscript")
            depth += {"{": 1, "}": -1}.get(part.text, 0) if part.kind == "sym" else 0
            if part.text not in ("{", "}") and part.kind not in ("font",):
                parts.append(part.text)
        if not parts:
            raise self.error(token, "empty subscript")
        return tuple(parts)

    def name(self) -> NameKey:
        """[accent | font]* (letter | \\greek) [_ subscript inside the braces]."""
        token = self.next()
        if token.kind == "name":
            return "", token.text, None
        accent = token.text if token.kind == "accent" else ""
        if self.peek().kind in ("name", "accent", "font") and self.peek().text != "{" and token.text not in _ROMAN:
            inner_accent, base, sub = self.name()
            return accent or inner_accent, base, sub
        opening = self.expect("{")
        if self.peek().kind not in ("name", "accent", "font"):
            raise self.error(opening, f"expected a letter after '{token.text}{{'")
        inner_accent, base, sub = self.name()
        if self.peek().text == "_" and sub is None:  # \bar{\alpha_t}
            self.next()
            sub = self.subscript_tokens()
        self.expect("}")
        return accent or inner_accent, base, sub

    def resolve(self, key: NameKey, token: _Token) -> sympy.Expr:
        accent, base, sub = key
        if not accent and sub is None and base in self.bindings:
            return sympy.sympify(self.bindings[base])
        if sub is not None and self.bindings:
            sub = self.substitute_indices(sub, token)
        canonical = _canonical((accent, base, sub))
        self.used.add(canonical)
        if canonical in self.names:
            return self.names[canonical]
        if canonical == ("", "e", None):
            return sympy.E
        if canonical == ("", r"\pi", None):
            return sympy.pi
        if self.probe is not None and sub is not None:
            self.probe.append(canonical)
            return sympy.Dummy("missing")
        if self.open_names is not None:
            if canonical not in self.open_names:
                self.open_names[canonical] = sympy.Dummy(display_name(canonical))
            return self.open_names[canonical]
        known = ", ".join(self.known) or "none"
        raise self.error(token, f"unknown symbol '{_format_name((accent, base, sub))}'; known names: {known}")

    def substitute_indices(self, sub: tuple[str, ...], token: _Token) -> tuple[str, ...]:
        """A subscript with the summation indices in scope replaced by their values (``j+1``)."""
        if not any(part in self.bindings for part in sub):
            return sub
        parts = []
        for part in sub:
            value = self.bindings.get(part, part)
            if not isinstance(value, (int, str)):
                raise self.error(token, f"an indexed name inside a sum over a symbolic range ('{part}')")
            parts.append(str(value))
        if all(p.isdigit() or p in "+-" for p in parts) and any(p in "+-" for p in parts):
            text = "".join(parts)
            if re.fullmatch(r"\d+(?:[+-]\d+)+", text):
                return (str(eval_int(text)),)
        return tuple(parts)

    def argument(self, after: str) -> sympy.Expr:
        token = self.peek()
        if token.text == "{" and token.kind == "sym":
            return self.enclosed("}")
        if token.kind == "num":
            return self.first_digit()
        if token.kind in ("name", "accent", "font"):
            key = self.name()
            return self.resolve(key, token)
        if token.kind == "sym" and token.text == "-" and self.peek(1).kind == "num":  # x^-1
            self.next()
            return -self.first_digit()
        raise self.error(token, f"expected {{...}} or a single token after {after}")

    def enclosed(self, closer: str) -> sympy.Expr:
        """Opening bracket, expression, ``closer``; bare bars inside start afresh."""
        self.next()
        saved = self.abs_depth, self.norm_depth
        self.abs_depth = self.norm_depth = 0
        value = self.expr()
        self.expect(closer)
        self.abs_depth, self.norm_depth = saved
        return value

    def atom(self) -> sympy.Expr:
        token = self.peek()
        if token.kind == "num":
            return exact_number(self.next().text)
        if token.kind == "func":
            return self.function(self.next().text, token)
        if token.kind == "font":  # \mathbf{1}
            self.next()
            return self.enclosed("}")
        if token.kind == "sym" and token.text in _BRACKETS:
            value = self.enclosed(_BRACKETS[token.text])
            return sympy.Abs(value) if token.text in (r"\left|", r"\left‖") else value
        if token.text in ("|", "‖"):
            self.next()
            depth = "abs_depth" if token.text == "|" else "norm_depth"
            setattr(self, depth, getattr(self, depth) + 1)
            value = self.expr()
            self.expect(token.text)
            setattr(self, depth, getattr(self, depth) - 1)
            return sympy.Abs(value)
        if token.text == r"\frac":
            self.next()
            numerator = self.argument(r"'\frac'")
            denominator = self.argument(r"'\frac{...}'")
            if denominator == 0:
                raise self.error(token, "division by zero: the formula is undefined")
            return checked_multiply([numerator, checked_power(denominator, sympy.Integer(-1))])
        if token.text == r"\sqrt":
            self.next()
            index = self.enclosed("]") if self.peek().text == "[" else sympy.Integer(2)
            return sympy.root(self.argument(r"'\sqrt'"), index)
        if token.text in _ROMAN:
            return self.roman(token)
        if token.text in (r"\sum", r"\prod"):
            return self.big_operator(token)
        if token.text == r"\binom":
            self.next()
            n = self.argument(r"'\binom'")
            k = self.argument(r"'\binom{...}'")
            try:
                return checked_binomial(n, k)
            except FormulaError as error:
                raise self.error(token, str(error)) from None
        if token.text == r"\mathcal":
            return self.normal_density(token)
        found = "end of input" if token.kind == "end" else f"'{token.text}'"
        raise self.error(token, f"expected a value but found {found}")

    def normal_density(self, token: _Token) -> sympy.Expr:
        """``\\mathcal N(x; \\mu, \\sigma^2)``: the Gaussian density at x, mean mu, variance sigma^2."""
        self.next()
        braced = self.peek().text == "{"
        if braced:
            self.next()
        letter = self.next()
        if braced:
            self.expect("}")
        if letter.text != "N":
            raise self.error(token, f"'\\mathcal {letter.text}': only the normal density \\mathcal N(x; \\mu, \\sigma^2) is read")
        if self.peek().text != "(":
            raise self.error(self.peek(), "expected (x; \\mu, \\sigma^2) after '\\mathcal N'")
        self.next()
        saved = self.abs_depth, self.norm_depth
        self.abs_depth = self.norm_depth = 0
        point = self.expr()
        if self.peek().text != ";":
            raise self.error(self.peek(), "'\\mathcal N' is read as a density: write \\mathcal N(x; \\mu, \\sigma^2) "
                                          "(the point, ';' or \\mid, then the mean and the variance)")
        self.next()
        mean = self.expr()
        self.expect(",")
        variance = self.expr()
        self.expect(")")
        self.abs_depth, self.norm_depth = saved
        if self.peek().text in ("^", "_"):
            raise self.error(self.peek(), "a script after \\mathcal N(...): write (\\mathcal N(...))^k")
        return sympy.exp(-(point - mean) ** 2 / (2 * variance)) / sympy.sqrt(2 * sympy.pi * variance)

    def roman(self, token: _Token) -> sympy.Expr:
        """``\\operatorname{softplus}``/``\\mathrm{exp}`` as functions, ``\\mathrm{e}`` as Euler's e."""
        self.next()
        self.expect("{")
        letters = []
        while self.peek().kind in ("name", "func") and self.peek().text != "{":
            part = self.next()
            letters.append(part.text if part.kind == "name" else next(w for w, f in _CLAIM_WORDS.items() if f == part.text))
        self.expect("}")
        word = "".join(letters)
        if word not in _CLAIM_WORDS:
            raise self.error(token, f"unknown function '{token.text}{{{word}}}'")
        return self.function(_CLAIM_WORDS[word], token)

    def function(self, name: str, token: _Token) -> sympy.Expr:
        func, least, most = _CLAIM_FUNCTIONS[name]
        base = power = None
        if name == r"\log" and self.peek().text == "_":
            self.next()
            base = self.argument("'_'")
        if self.peek().text == "_":
            raise self.error(self.peek(), f"'{name}' with a subscript (an arg max/arg min?) is not supported")
        if self.peek().text == "^":
            self.next()
            power = self.argument("'^'")
        if self.peek().text == "_" and name == r"\log" and base is None:
            self.next()
            base = self.argument("'_'")
        if self.peek().kind == "sym" and self.peek().text in ("(", "[", "{"):
            args = self.arguments(name)
        else:
            args = [self.undelimited_argument(name)]
        if len(args) < least or (most is not None and len(args) > most):
            raise self.error(token, f"'{name}' takes " + (f"{least} argument" if least == most else
                                                         f"at least {least} arguments") + f", found {len(args)}")
        natural = self.tex.startswith((r"\ln", "ln"), token.pos)  # \ln is natural whatever the document's base
        if base is None and name == r"\log" and getattr(self, "log_base", None) is not None and not natural:
            base = sympy.Integer(self.log_base)  # document mode: the base the caller reads bare logs in
        value = func(*args) if base is None else sympy.log(args[0], base)
        return value if power is None else checked_power(value, power)

    def arguments(self, name: str) -> list[sympy.Expr]:
        """A delimited argument list: ``(a)``, ``\\left(a, b\\right)``, ``\\{a, b\\}``."""
        closer = _BRACKETS[self.peek().text]
        self.next()
        saved = self.abs_depth, self.norm_depth
        self.abs_depth = self.norm_depth = 0
        args = [self.expr()]
        while self.peek().text == "," and self.peek().kind == "sym":
            self.next()
            args.append(self.expr())
        self.expect(closer)
        self.abs_depth, self.norm_depth = saved
        return args

    def undelimited_argument(self, name: str) -> sympy.Expr:
        """``\\log 2\\pi\\sigma^2``: the juxtaposed simple factors that follow, as printed."""
        token = self.peek()
        sign = 1
        while token.kind == "sym" and token.text in ("+", "-"):
            self.next()
            sign = -sign if token.text == "-" else sign
            token = self.peek()
        if not self.starts_factor(token):
            found = "end of input" if token.kind == "end" else f"'{token.text}'"
            raise self.error(token, f"'{name}' needs an argument, found {found}")
        factors = [self.factor()]
        ended = False
        while self.starts_simple_factor(self.peek()) and not self.spaced():
            start = self.index
            factor = self.factor()
            if self.ends_argument_before(factor):
                self.index, ended = start, True
                break
            factors.append(factor)
        after = self.peek()
        if self.starts_factor(after) and not self.spaced() and not ended and not self.closes_argument(factors[-1], after):
            raise self.error(after, f"ambiguous argument of '{name}': it is followed by '{after.text}' without an "
                                    f"operator; write '{name}(...)' or '{name}{{...}}' to say where it ends")
        value = checked_multiply(factors) if len(factors) > 1 else factors[0]
        return value if sign == 1 else -value

    # -- sums and products -------------------------------------------------------------
    def big_operator(self, token: _Token) -> sympy.Expr:
        """``\\sum_{j=1}^{d}`` summand: expanded over a fixed range (numbers, or the range of
        the claim's indexed names when the bound is not a claim symbol), or summed symbolically
        when the bound is a claim symbol and the summand has no indexed names."""
        self.next()
        index, lower, upper = None, sympy.Integer(1), None
        if self.peek().text == "_":
            self.next()
            index, lower = self.sum_subscript(token)
        if self.peek().text == "^":
            self.next()
            upper = self.sum_bound(token)
        if index is None:
            raise self.error(token, f"'{token.text}' needs its index, e.g. {token.text}_{{j=1}}^{{d}}")
        if not lower.is_Integer:
            raise self.error(token, f"the lower bound of '{token.text}' must be a whole number")
        start = self.index
        if upper is None:
            upper = self.infer_range(token, index, int(lower), start)
        if not upper.is_Integer:
            return self.symbolic_sum(token, index, lower, upper, start)
        count = int(upper) - int(lower) + 1
        if count > MAX_SUM_TERMS:
            raise self.error(token, f"'{token.text}' over {count} terms: the limit is {MAX_SUM_TERMS}")
        terms = []
        end = None
        for k in range(int(lower), int(upper) + 1):
            self.index = start
            terms.append(self.with_binding(index, k, self.term))
            end = self.index
            self.count_terms(1)
        if end is None:  # an empty range
            self.skip_term(index, int(lower), start)
            return sympy.Integer(0 if token.text == r"\sum" else 1)
        self.index = end
        return checked_add(terms) if token.text == r"\sum" else checked_multiply(terms)

    def with_binding(self, index: str, value, read):
        saved = self.bindings.get(index, None), index in self.bindings
        self.bindings[index] = value
        try:
            return read()
        finally:
            if saved[1]:
                self.bindings[index] = saved[0]
            else:
                del self.bindings[index]

    def skip_term(self, index: str, value: int, start: int) -> None:
        self.index = start
        probe, self.probe = self.probe, []
        try:
            self.with_binding(index, value, self.term)
        finally:
            self.probe = probe

    def sum_subscript(self, token: _Token) -> tuple[str, sympy.Expr]:
        parts_token = self.peek()
        if parts_token.kind == "name":
            return self.next().text, sympy.Integer(1)
        if parts_token.text != "{":
            raise self.error(parts_token, f"expected {{j=1}} or an index after '{token.text}_'")
        self.next()
        index_token = self.next()
        if index_token.kind != "name":
            raise self.error(index_token, f"expected the index of '{token.text}', e.g. {token.text}_{{j=1}}")
        lower = sympy.Integer(1)
        if self.peek().text == "}":
            self.next()
            return index_token.text, lower
        if self.peek().text != "=":
            bad = self.peek()
            raise self.error(bad, f"expected '=' in the subscript of '{token.text}' (sums over sets such as "
                                  "j \\ne i are not supported)")
        self.next()
        lower = self.expr()
        self.expect("}")
        return index_token.text, lower

    def sum_bound(self, token: _Token):
        bound = self.peek()
        if bound.kind == "name":  # a claim symbol (symbolic sum) or the dimension (None: inferred)
            self.next()
            return self.names.get(_canonical(("", bound.text, None)))
        if bound.kind == "num":
            return self.first_digit()
        if bound.text == "{":
            self.next()
            if self.peek().kind == "name" and self.peek(1).text == "}":
                name_token = self.next()
                self.next()
                return self.names.get(_canonical(("", name_token.text, None)))
            value = self.expr()
            self.expect("}")
            if not value.is_Integer and not value.free_symbols:
                raise self.error(bound, f"the upper bound of '{token.text}' must be a whole number or a claim symbol")
            return value
        raise self.error(bound, f"expected the upper bound of '{token.text}'")

    def infer_range(self, token: _Token, index: str, lower: int, start: int) -> sympy.Integer:
        """The last k for which every indexed name of the summand exists (\\mu_1..\\mu_d)."""
        last = None
        for k in range(lower, lower + MAX_DIMENSION + 1):
            self.index = start
            probe, self.probe = self.probe, []
            try:
                self.with_binding(index, k, self.term)
                missing = self.probe
            finally:
                self.probe = probe
            if not missing:
                last = k
                continue
            if last is None:
                raise self.error(token, f"cannot expand '{token.text}': no claim name "
                                        f"'{_format_name(missing[0])}' for {index} = {k}")
            self.index = start
            used = self.indexed_names(index, k - 1, start)
            if len(missing) < len(used):
                raise self.error(token, f"cannot expand '{token.text}': the claim's indexed names stop at different "
                                        f"{index} ('{_format_name(missing[0])}' is missing but others exist)")
            self.index = start
            return sympy.Integer(last)
        if last is None or not self.indexed_names(index, lower, start):
            raise self.error(token, f"cannot tell the range of '{token.text}': give its bounds with numbers or a "
                                    f"claim symbol, e.g. {token.text}_{{{index}=1}}^{{2}}")
        raise self.error(token, f"cannot expand '{token.text}': its range is over {MAX_DIMENSION}")

    def indexed_names(self, index: str, value: int, start: int) -> list:
        """The names of the summand whose subscript holds the index (at index = value)."""
        self.index = start
        found = []
        original = self.resolve

        def recording(key, token):
            if key[2] is not None and index in key[2]:
                found.append(key)
            return original(key, token)
        self.resolve = recording
        probe, self.probe = self.probe, []
        try:
            self.with_binding(index, value, self.term)
        finally:
            self.resolve = original
            self.probe = probe
        self.index = start
        return found

    def symbolic_sum(self, token, index, lower, upper, start) -> sympy.Expr:
        symbol = sympy.Dummy(index, integer=True, positive=True)
        self.index = start
        summand = self.with_binding(index, symbol, self.term)
        kind = sympy.Sum if token.text == r"\sum" else sympy.Product
        try:
            from derivspec.core.symbolic import time_limit
            with time_limit(5.0):
                value = kind(summand, (symbol, lower, upper)).doit()
        except Exception:
            value = kind(summand, (symbol, lower, upper))
        return value


def eval_int(text: str) -> int:
    """A sum of whole numbers such as ``2+1-1`` (subscript arithmetic), without eval."""
    total, sign, number = 0, 1, ""
    for char in text + "+":
        if char.isdigit():
            number += char
        else:
            total += sign * int(number or 0)
            number = ""
            sign = 1 if char == "+" else -1
    return total


def _canonical_names(names: Mapping[str, sympy.Symbol]) -> dict:
    """Claim names (``\\bar\\alpha_{t-1}``, ``\\mu_1``, ...) keyed by their canonical form."""
    table: dict = {}
    for latex_name, symbol in names.items():
        parser = _Parser(latex_name, {}, [])
        if parser.peek().kind not in ("name", "accent", "font"):
            raise _error(latex_name, 0, "a claim name must start with a letter or Greek command")
        accent, base, sub = parser.name()
        script_sub, sup = parser.scripts()
        if sup is not None or parser.peek().kind != "end" or (sub and script_sub):
            raise _error(latex_name, parser.peek().pos, "a claim name is one (accented) letter with one subscript")
        key = _canonical((accent, base, sub if script_sub is None else script_sub))
        if table.setdefault(key, symbol) != symbol:
            raise _error(latex_name, 0, f"claim name '{_format_name(key)}' is given twice")
    return table


def name_key(latex: str) -> tuple[str, str, str | None]:
    """The canonical key of one LaTeX name (``\\sigma_q``, ``\\bar\\alpha_{t-1}``); FormulaError when the
    text is not one name."""
    return next(iter(_canonical_names({check_text(latex, "name").strip(): sympy.Dummy()})))


def formula_names(tex: str, names: Mapping[str, sympy.Symbol]) -> tuple[list[tuple[str, str, str | None]], set]:
    """The names a pasted formula's right-hand side uses that ``names`` lacks (canonical keys, in the
    order first read), and the keys of every name that any readable side uses. Raises FormulaError
    for whatever else the right-hand side cannot be read for."""
    prepared, _ = prepare(tex)
    parts = split_sides(prepared)
    table, known = _canonical_names(names), _known(names)
    unknown: list = []
    used: set = set()
    for i, part in enumerate(parts):
        parser = _Parser(part, table, known) if i == len(parts) - 1 else None
        if parser is None:
            try:
                parser = _Parser(part, table, known)
            except FormulaError:
                continue
        parser.open_names = {}
        try:
            parser.formula()
        except FormulaError:
            if i == len(parts) - 1:
                raise
            continue
        used |= parser.used
        if i == len(parts) - 1:
            unknown = list(parser.open_names)
    return unknown, used


def _read(tex: str, table: Mapping, known: list[str]) -> sympy.Expr:
    value = _Parser(tex, table, known).formula()
    if value.has(sympy.zoo, sympy.nan, sympy.oo, -sympy.oo):
        raise _error(tex, 0, f"the formula is undefined ({value})")
    return value


def _known(names: Mapping[str, sympy.Symbol]) -> list[str]:
    return sorted(names, key=lambda n: (n.lstrip("\\").lower(), n))


def parse_latex(tex: str, names: Mapping[str, sympy.Symbol]) -> sympy.Expr:
    """Parse ``tex`` using ``names`` (LaTeX name -> SymPy symbol) for the variables.

    Raises FormulaError (one line, with a position) for anything it cannot read, including an
    equation (use :func:`parse_latex_sides` for a pasted ``LHS = RHS``)."""
    prepared, _ = prepare(tex)
    sides = split_sides(prepared)
    if len(sides) > 1:
        raise _error(prepared, len(sides[0]), "'=': give one formula (a pasted equation is read by check)")
    return _read(prepared, _canonical_names(names), _known(names))


_FUNCTION_APPLICATION = re.compile(
    r"(?:^|[^\\A-Za-z])(?:[A-Za-z]|\\(?!log|ln|exp|sin|cos|tan|sinh|cosh|tanh|max|min|sqrt|frac|left|right|"
    r"operatorname|mathrm|text|big|Big)[A-Za-z]+)(?:\s*[_^](?:\{[^{}]*\}|\\?[A-Za-z0-9*]+))*\s*(?:\(|\\left\s*\()")


def parse_latex_sides(tex: str, names: Mapping[str, sympy.Symbol]) -> tuple[list[tuple[str, sympy.Expr]], list[str]]:
    """A pasted formula or equation: [(side text, expression)] to check -- the right-hand side
    last -- and notes. A left-hand side that does not read as a formula of the claim's names
    (``\\text{KL}(\\ldots)``, ``\\tilde\\beta_t``), or that looks like a function application
    (``p(y)``, ``\\sigma(z)``), is a label: noted, not checked."""
    prepared, notes = prepare(tex)
    parts = split_sides(prepared)
    table, known = _canonical_names(names), _known(names)
    sides = []
    for i, part in enumerate(parts):
        if i == len(parts) - 1:
            sides.append((part.strip(), _read(part, table, known)))
            continue
        if _FUNCTION_APPLICATION.search(part):
            notes.append(f"left-hand side '{part.strip()}' read as a label (not checked)")
            continue
        try:
            sides.append((part.strip(), _read(part, table, known)))
        except FormulaError:
            notes.append(f"left-hand side '{part.strip()}' read as a label (not checked)")
    return sides, notes
