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
    r"|(?P<space>\s+)|(?P<sym>[-+*/^_()\[\]{}|~,‖=])",
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
    text = _ALIASES.get(text, text)
    if text in ("*", "/", "|", "‖", "(", ")", "[", "]"):
        return _Token("sym", text, pos)
    if text in _GREEK:
        return _Token("name", text, pos)
    if text in _FUNCTIONS:
        return _Token("func", text, pos)
    if text in _STRUCTURAL or text in (r"\left", r"\right"):
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
        factors = [self.signed()]
        while True:
            token = self.peek()
            if token.kind == "sym" and token.text in ("*", "/"):
                self.next()
                rhs = self.signed()
                if token.text == "/":
                    if rhs == 0:
                        raise self.error(token, "division by zero: the formula is undefined")
                    rhs = checked_power(rhs, sympy.Integer(-1))
                factors.append(rhs)
            elif self.starts_factor(token):
                factors.append(self.factor())
            else:
                return checked_multiply(factors) if len(factors) > 1 else factors[0]

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
        if (token.kind in ("name", "accent", "font") and not self.font_number()) or self.roman_letter():
            key = self.name()
            script_sub, sup = self.scripts()
            accent, base, sub = key
            if script_sub is not None:
                if sub is not None:
                    raise self.error(token, "double subscript")
                sub = script_sub
            value = self.resolve((accent, base, sub), token)
        else:
            value = self.atom()
            script_sub, sup = self.scripts()
            if script_sub is not None:
                raise self.error(token, "a subscript can only follow a name")
        return value if sup is None else checked_power(value, sup)

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
        if canonical in self.names:
            return self.names[canonical]
        if canonical == ("", "e", None):
            return sympy.E
        if canonical == ("", r"\pi", None):
            return sympy.pi
        if self.probe is not None and sub is not None:
            self.probe.append(canonical)
            return sympy.Dummy("missing")
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
        found = "end of input" if token.kind == "end" else f"'{token.text}'"
        raise self.error(token, f"expected a value but found {found}")

    def roman(self, token: _Token) -> sympy.Expr:
        """``\\operatorname{softplus}``/``\\mathrm{exp}`` as functions, ``\\mathrm{e}`` as Euler's e."""
        self.next()
        self.expect("{")
        letters = []
        while self.peek().kind in ("name", "func") and self.peek().text != "{":
            part = self.next()
            letters.append(part.text if part.kind == "name" else next(w for w, f in _WORDS.items() if f == part.text))
        self.expect("}")
        word = "".join(letters)
        if word not in _WORDS:
            raise self.error(token, f"unknown function '{token.text}{{{word}}}'")
        return self.function(_WORDS[word], token)

    def function(self, name: str, token: _Token) -> sympy.Expr:
        func, least, most = _FUNCTIONS[name]
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
        if base is None and name == r"\log" and getattr(self, "log_base", None) is not None:
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
        while self.starts_simple_factor(self.peek()):
            factors.append(self.factor())
        after = self.peek()
        if self.starts_factor(after):
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


# =============================================================================================
# Document mode: a lecture's own notation (``derivspec scan``)
# =============================================================================================
#
# The claim mode above reads a formula in the names of one claim and refuses anything else. A
# lecture uses its own symbols, functions it never defines (p(x), q(z|x), f_\theta(u)), and
# operators (\mathbb E[...], \mathrm{KL}(p\|q), \nabla, \int, \sum over symbolic ranges). The
# document mode reads all of that with the same recursive descent:
#
#   * every name is a symbol of the document (real), fonts kept: \mathbf{x} and x differ;
#   * a name applied to a bracket group is an *opaque* function application (a SymPy undefined
#     function whose name records the head and the separators: p(x|z) is ``p[|](x, z)``) when
#     the notation says so (a separator | ; , inside, a function-like letter p q f g D E ...,
#     a calligraphic or blackboard head); a product when the name also stands bare in the same
#     statement (p(1-p)); else *ambiguous*, read the way the caller asks and recorded;
#   * \mathbb E[...], \mathrm{Var}(...), \mathrm{KL}(p\|q), H(X), I(X;Y): opaque applications;
#   * \frac{d}{dx}, \frac{\partial}{\partial x}, \partial_x, \nabla_x applied to an expression
#     differentiate it (vectors read as scalars: a 1-D restriction), d/dx of an opaque term is
#     SymPy's unevaluated Derivative;
#   * \sum / \prod over a numeric range expand as in claim mode; over a symbolic range they are
#     SymPy Sum/Product objects whose indexed names are applications x(i) of the index;
#   * \int_a^b f\,dx is a SymPy Integral; arg max, max over a set, limits are refused (a side
#     that is not an expression);
#   * transposes (^\top, ^T on a bold or capital name), \|x\|, \langle a, b\rangle and the
#     identity matrix I read as their 1x1 values and set the ``matrix`` flag: an identity of
#     matrices holds for 1x1 matrices, so a difference found there is a real one, but a proof
#     there is not a proof for matrices;
#   * each decimal literal is a symbol of its own with its printed value and number of decimals
#     (``literals``): the caller substitutes the values, or asks how much the printed rounding
#     can move a side.
#
# Nothing is evaluated or guessed: what cannot be read raises FormulaError with the reason.

from dataclasses import dataclass as _dataclass, field as _field

_DOC_TEXT_COMMANDS = (r"text|textrm|textnormal|mathrm|operatorname\*?|textit|textbf|textsf|texttt|mathtt|mbox|hbox|"
                      r"mathsf|mathit|textup|mathop")
_DOC_TOKEN_RE = re.compile(
    r"(?P<num>\d+(?:\.\d+)?|\.\d+)"
    r"|(?P<text>\\(?:" + _DOC_TEXT_COMMANDS + r")\s*\{[^{}]*\})"
    r"|(?P<cmd>\\(?:[A-Za-z]+|.))"
    r"|(?P<word>(?:" + "|".join(_BARE_WORDS) + r")(?![A-Za-z]))|(?P<name>[A-Za-z])"
    r"|(?P<space>\s+)|(?P<sym>[-+*/^_()\[\]{}|~,‖=<>;:!'.?#@\"&])",
    re.DOTALL,
)
_DOC_FONTS = frozenset(_FONTS | {r"\mathcal", r"\mathbb", r"\mathscr", r"\mathfrak", r"\mathbbm", r"\pmb"})
_IGNORED_FONTS = frozenset({r"\mathit", r"\mathnormal"})
_DOC_IGNORED = frozenset(_IGNORED | {r"\displaystyle", r"\nonumber", r"\notag", r"\!", r"\>", r"\enspace",
                                      r"\thinspace", r"\medspace", r"\thickspace", r"\hfill", r"\relax",
                                      r"\checkmark", r"\phantom", r"\vphantom", r"\hphantom", r"\mathstrut",
                                      r"\strut", r"\middle"})
_DOC_MULTIPLY = frozenset({r"\odot", r"\circ", r"\bullet", r"\ast", r"\star"})
_DOC_SEPARATORS = frozenset({",", ";", "|", "‖", ":", r"\mid", r"\parallel", r"\Vert", r"\vert"})
# Letters that lecture notes apply to arguments: p(x), q(z|x), f(x), D(x), L(theta), ...
FUNCTION_LETTERS = frozenset("p q f g h r s F G P Q D E L N Z H I J K U V W R S T C M".split()) | frozenset(
    {r"\ell", r"\pi", r"\phi", r"\varphi", r"\psi", r"\Phi", r"\Psi", r"\rho", r"\lambda", r"\mu", r"\kappa",
     r"\delta", r"\Gamma", r"\epsilon", r"\varepsilon", r"\eta", r"\omega", r"\xi", r"\tau", r"\nu", r"\chi"})
# Heads that take square brackets: E[X], Var[X], H[P]
_BRACKET_HEADS = frozenset({"E", "V", "H", "P", "Var", "Cov", "KL", "Pr", "Prob", "D"})
_REFUSED_WORDS = {
    "argmax": "an arg max is a set of maximisers, not an expression",
    "argmin": "an arg min is a set of minimisers, not an expression",
    "arg": "an arg max/min is a set, not an expression",
    "lim": "a limit is not read", "limsup": "a limit is not read", "liminf": "a limit is not read",
    "sup": "a supremum over a set is not read", "inf": "an infimum over a set is not read",
}
_PROSE = re.compile(r"^(?:where|for|and|or|if|with|s\.t\.|st|such that|i\.e\.|e\.g\.|since|so|as|when|otherwise|"
                    r"then|thus|hence|given|subject to|iff|all|each|every|any|some|per|by|using|at|in|on|of|to|is|"
                    r"are|the|a|an)\b", re.IGNORECASE)
UNITS = frozenset({"bits", "bit", "nats", "nat", "bans", "dB", "%"})
CONST_WORDS = frozenset({"const", "const.", "constant", "Const", "C", "cst", "c.", "const "})


@_dataclass
class DocumentNames:
    """The symbols of one document: the same LaTeX name is the same SymPy symbol in every
    statement of the file. ``latex`` keeps how each was first written."""

    symbols: dict = _field(default_factory=dict)
    latex: dict = _field(default_factory=dict)

    def symbol(self, text: str) -> sympy.Symbol:
        found = self.symbols.get(text)
        if found is None:
            found = sympy.Symbol(text, real=True)
            self.symbols[text] = found
            self.latex[found] = text
        return found


@_dataclass
class DocumentReading:
    """One side read in document mode: ``expr`` with opaque applications and literal symbols,
    ``flags`` saying what the reading relied on, ``literals`` each decimal literal's symbol ->
    (exact value, decimals, in an exponent)."""

    expr: sympy.Expr
    flags: frozenset
    literals: dict
    names_used: frozenset = frozenset()  # every name the text mentions (before SymPy simplifies n(p/n) to p)

    def value(self) -> sympy.Expr:
        """The expression with every literal at its printed value."""
        if not self.literals:
            return self.expr
        return self.expr.xreplace({s: v[0] for s, v in self.literals.items()})


def is_opaque_function(expr) -> bool:
    """Whether ``expr`` is an opaque application (an undefined SymPy function) or an opaque atom."""
    if isinstance(expr, sympy.Symbol):
        return expr.name.startswith("⟦")
    return isinstance(getattr(expr, "func", None), sympy.core.function.UndefinedFunction)


def opaque_atoms(expr: sympy.Expr) -> set:
    """The opaque parts of ``expr``: undefined-function applications, opaque atoms, and the
    Sum/Product/Integral/Derivative objects whose value is not known."""
    found = set()
    for node in sympy.preorder_traversal(expr):
        if is_opaque_function(node) or isinstance(node, (sympy.Sum, sympy.Product, sympy.Integral, sympy.Derivative)):
            found.add(node)
    return found


def _doc_classify(tex: str, match: re.Match) -> _Token | None:
    kind, text, pos = match.lastgroup, match.group(), match.start()
    if kind == "space" or text == "~":
        return None
    if kind == "text":
        inner = text[text.index("{") + 1:-1].strip()
        if not inner:
            return None
        if re.fullmatch(r"\d+(?:\.\d+)?", inner):
            return _Token("num", inner, pos)
        if re.fullmatch(r"[A-Za-z]", inner):
            return _Token("name", inner, pos)
        if inner in _WORDS:
            return _Token("func", _WORDS[inner], pos)
        return _Token("word", inner, pos)
    if kind == "word":
        return _Token("func", _WORDS[text], pos)
    if kind == "sym" and text == "&":
        return None
    if kind != "cmd":
        return _Token(kind, text, pos)
    if text in _DOC_IGNORED or text[1:].isspace() or text == "\\\\":
        return None
    text = _ALIASES.get(text, text)
    if text in ("*", "/", "|", "‖", "(", ")", "[", "]"):
        return _Token("sym", text, pos)
    if text in _DOC_MULTIPLY:
        return _Token("sym", "*", pos)
    if text in _GREEK:
        return _Token("name", text, pos)
    if text in _FUNCTIONS:
        return _Token("func", text, pos)
    if text in _STRUCTURAL or text in (r"\left", r"\right"):
        return _Token("cmd", text, pos)
    if text in _ACCENTS:
        return _Token("accent", _ACCENTS[text], pos)
    if text in _DOC_FONTS:
        return _Token("font", text, pos)
    if text == "\\#":
        return _Token("sym", "#", pos)
    return _Token("cmd", text, pos)  # read (or refused) by the document parser


def _doc_tokenize(tex: str) -> list[_Token]:
    """As :func:`_tokenize`, with the document-mode token set (unknown commands pass through)."""
    tokens: list[_Token] = []
    lefts: list[int] = []
    for pending, token in _delimited(tex, _DOC_TOKEN_RE, _doc_classify):
        if pending is None:
            tokens.append(token)
            continue
        if token is None:
            raise _error(tex, len(tex), r"unbalanced '\left' / '\right'")
        delimiter = token.text
        if delimiter in (r"\langle", r"\rangle", r"\lfloor", r"\rfloor", r"\lceil", r"\rceil"):
            delimiter = {r"\langle": "⟨", r"\rangle": "⟩"}.get(delimiter, "(" if "l" in delimiter[1:3] else ")")
        if delimiter not in _LEFT_RIGHT_DELIMITERS | {"⟨", "⟩", "{", "}"}:
            raise _error(tex, token.pos, f"'{pending.text}' must be followed by a delimiter")
        if pending.text == r"\left":
            lefts.append(len(tokens))
            tokens.append(_Token("sym", "\\left" + delimiter, pending.pos))
            continue
        if not lefts:
            raise _error(tex, pending.pos, r"'\right' without a matching '\left'")
        opening = lefts.pop()
        left = tokens[opening].text[len("\\left"):]
        if left == delimiter and delimiter in ("|", "‖"):
            tokens.append(_Token("sym", "\\right" + delimiter, pending.pos))
        elif left == "⟨":
            tokens[opening] = _Token("cmd", r"\langle", tokens[opening].pos)
            tokens.append(_Token("cmd", r"\rangle", pending.pos))
        else:
            closer = {"(": ")", "[": "]", "{": ")", ".": ")", "|": ")", "‖": ")"}.get(left, ")")
            opener = {")": "(", "]": "["}.get(closer, "(")
            tokens[opening] = _Token("sym", opener if left != "{" else "(", tokens[opening].pos)
            tokens.append(_Token("sym", closer if left != "{" else ")", pending.pos))
    if lefts:
        raise _error(tex, len(tex), r"unbalanced '\left' / '\right'")
    tokens.append(_Token("end", "", len(tex)))
    return tokens


def _brace_end(text: str, start: int) -> int:
    """Index just after the group that opens at ``text[start] == '{'`` (or -1)."""
    depth = 0
    i = start
    while i < len(text):
        c = text[i]
        if c == "\\":
            i += 2
            continue
        if c == "{":
            depth += 1
        elif c == "}":
            depth -= 1
            if depth == 0:
                return i + 1
        i += 1
    return -1


_UNWRAP_ONE = re.compile(r"\\(?:boxed|cancel|bcancel|xcancel|mathop|smash|displaystyle|ensuremath|mathclap|mathrlap|mathllap)\s*(?=\{)")
_UNWRAP_SCRIPTED = re.compile(r"\\(?:underbrace|overbrace|underline|overline(?=\s*\{\s*\\))\s*(?=\{)")
_DROP_FIRST = re.compile(r"\\(?:textcolor|colorbox)\s*(?=\{)")
_COLOR = re.compile(r"\\color\s*\{[^{}]*\}")


def unwrap_decorations(tex: str) -> str:
    r"""``\underbrace{X}_{note}`` -> ``{X}``, ``\overbrace{X}^{note}`` -> ``{X}``, ``\boxed{X}``,
    ``\cancel{X}``, ``\textcolor{c}{X}`` -> ``{X}``, ``\color{c}`` dropped; ``\underset{a}{X}`` and
    ``\overset{a}{X}`` -> ``{X}`` (a relation they decorate is read by :func:`split_relations`)."""
    tex = _COLOR.sub(" ", tex)
    for _ in range(20):
        m = _UNWRAP_SCRIPTED.search(tex)
        if not m:
            break
        end = _brace_end(tex, m.end())
        if end < 0:
            break
        inner = tex[m.end():end]
        rest = end
        while rest < len(tex) and tex[rest] == " ":
            rest += 1
        if rest < len(tex) and tex[rest] in "_^" and "brace" in m.group():
            k = rest + 1
            while k < len(tex) and tex[k] == " ":
                k += 1
            if k < len(tex) and tex[k] == "{":
                e2 = _brace_end(tex, k)
                rest = e2 if e2 > 0 else k
            elif k < len(tex):
                rest = k + 1 if tex[k] != "\\" else (re.match(r"\\[A-Za-z]+", tex[k:]).end() + k if re.match(r"\\[A-Za-z]+", tex[k:]) else k + 2)
        else:
            rest = end
        tex = tex[:m.start()] + inner + " " + tex[rest:]
    for _ in range(20):
        m = _UNWRAP_ONE.search(tex) or _DROP_FIRST.search(tex)
        if not m:
            break
        if _DROP_FIRST.match(tex, m.start()):
            end = _brace_end(tex, m.end())
            tex = tex[:m.start()] + tex[end:] if end > 0 else tex[:m.start()] + tex[m.end():]
        else:
            tex = tex[:m.start()] + tex[m.end():]
    for _ in range(20):
        m = re.search(r"\\(?:underset|overset|stackrel)\s*(?=\{)", tex)
        if not m:
            break
        end = _brace_end(tex, m.end())
        if end < 0:
            break
        tex = tex[:m.start()] + " " + tex[end:]
    return tex


class _DocumentParser(_Parser):
    """The reader in document mode (see the section comment above)."""

    def __init__(self, tex: str, names: DocumentNames, bare: frozenset = frozenset(), *, log_base=None,
                 ambiguous: str = "function", sigmoid: bool = True):
        self.tex, self.names, self.known = tex, names, []
        self.tokens = _doc_tokenize(tex)
        self.index = 0
        self.abs_depth = self.norm_depth = 0
        self.bindings: dict = {}
        self.probe = None
        self.terms = 0
        self.bare = bare
        self.log_base = log_base
        self.ambiguous = ambiguous
        self.sigmoid = sigmoid
        self.flags: set = set()
        self.literals: dict = {}
        self.exponent_depth = 0
        self.arg_depth = 0
        self.used: set = set()
        self._check_doc_balance()

    def _check_doc_balance(self) -> None:
        stack = []
        pairs = {"(": ")", "[": "]", "{": "}", r"\left|": r"\right|", r"\left‖": r"\right‖"}
        for token in self.tokens:
            if token.kind != "sym":
                continue
            if token.text in pairs:
                stack.append(token)
            elif token.text in pairs.values():
                if not stack or pairs[stack[-1].text] != token.text:
                    raise self.error(token, f"unbalanced '{token.text}'")
                stack.pop()
        if stack:
            raise self.error(stack[-1], f"unbalanced '{stack[-1].text}'")

    # -- helpers -------------------------------------------------------------------------
    def starts_factor(self, token: _Token) -> bool:
        if token.kind == "word":
            return True
        if token.kind == "cmd" and token.text in (r"\rangle", r"\mid", r"\parallel"):
            return False
        if self.arg_depth and token.kind == "sym" and token.text in ("|", "‖"):
            return False
        return super().starts_factor(token)

    def starts_simple_factor(self, token: _Token) -> bool:
        return token.kind == "word" or super().starts_simple_factor(token)

    def group_end(self, start: int) -> int:
        """Index of the token closing the bracket opened at ``start``."""
        pairs = {"(": ")", "[": "]", "{": "}", r"\left|": r"\right|", r"\left‖": r"\right‖"}
        opener = self.tokens[start].text
        depth = 0
        for i in range(start, len(self.tokens)):
            t = self.tokens[i]
            if t.kind != "sym":
                continue
            if t.text in pairs:
                depth += 1
            elif t.text in pairs.values():
                depth -= 1
                if depth == 0:
                    return i
        raise self.error(self.tokens[start], f"unbalanced '{opener}'")

    def group_has_separator(self, start: int) -> bool:
        end = self.group_end(start)
        depth = 0
        for t in self.tokens[start + 1:end]:
            if t.kind == "sym" and t.text in ("(", "[", "{"):
                depth += 1
            elif t.kind == "sym" and t.text in (")", "]", "}"):
                depth -= 1
            elif depth == 0 and ((t.kind == "sym" and t.text in (",", ";", "|", "‖", ":"))
                                 or (t.kind == "cmd" and t.text in (r"\mid", r"\parallel", r"\sim", r"\in"))):
                return True
        return False

    def group_is_name(self, start: int) -> bool:
        """Whether the bracket opened at ``start`` holds one name (x, x_t, \\mathbf{x}_0, \\theta)."""
        end = self.group_end(start)
        inner = [t for t in self.tokens[start + 1:end]]
        if not inner:
            return False
        kinds = {t.kind for t in inner}
        if not kinds <= {"name", "font", "accent", "sym", "num", "word"}:
            return False
        letters = [t for t in inner if t.kind in ("name", "word")]
        ops = [t for t in inner if t.kind == "sym" and t.text in ("+", "-", "*", "/", "(", ")", "^")]
        return len(letters) >= 1 and not ops and inner[0].kind in ("name", "font", "accent", "word")

    def text_between(self, start: int, end: int) -> str:
        """The source text of tokens[start:end]."""
        first = self.tokens[start].pos
        last = self.tokens[end].pos if end < len(self.tokens) else len(self.tex)
        return " ".join(self.tex[first:last].split())

    def opaque_atom(self, text: str) -> sympy.Symbol:
        self.flags.add("opaque")
        return self.names.symbol("⟦" + text + "⟧")

    # -- names -----------------------------------------------------------------------------
    def name(self) -> NameKey:
        token = self.next()
        if token.kind == "name":
            return "", token.text, None
        if token.kind == "word":
            return "", r"\mathrm{" + token.text + "}", None
        mark = "" if token.text in _IGNORED_FONTS else token.text
        if token.kind == "font" and token.text in (r"\mathbf", r"\boldsymbol", r"\bm", r"\vec", r"\pmb", r"\symbf"):
            self.flags.add("vector")
        if self.peek().kind in ("name", "accent", "font", "word") and self.peek().text != "{":
            inner_mark, base, sub = self.name()
            return mark + inner_mark, base, sub
        opening = self.expect("{")
        if self.peek().kind not in ("name", "accent", "font", "word"):
            raise self.error(opening, f"expected a letter after '{token.text}{{'")
        inner_mark, base, sub = self.name()
        if self.peek().text == "_" and sub is None:
            self.next()
            sub = self.subscript_tokens()
        if self.peek().text == "'":
            while self.peek().text == "'":
                self.next()
                base += "'"
        self.expect("}")
        return mark + inner_mark, base, sub

    def subscript_tokens(self) -> tuple[str, ...]:
        token = self.peek()
        if token.kind == "word":
            return (self.next().text,)
        if token.kind == "cmd" and token.text not in (r"\frac", r"\sqrt"):
            return (self.next().text,)
        if token.kind == "sym" and token.text in ("*", "<", ">"):
            return (self.next().text,)
        return super().subscript_tokens()

    def decorations(self) -> tuple[str, list]:
        """Superscripts that name rather than power: ^{(i)}, ^*, ^\\star, ^\\prime, primes;
        transposes and inverses of vectors/matrices come back as operations to apply."""
        marks, operations = "", []
        while True:
            token = self.peek()
            if token.text == "'" and token.kind == "sym":
                self.next()
                marks += "'"
                continue
            if token.text != "^" or token.kind != "sym":
                return marks, operations
            nxt, after = self.peek(1), self.peek(2)
            if nxt.text in ("*",) or (nxt.kind == "cmd" and nxt.text in (r"\star", r"\prime", r"\dagger", r"\ast")):
                self.next(), self.next()
                marks += "^*" if nxt.text != r"\prime" else "'"
                continue
            if nxt.kind == "cmd" and nxt.text in (r"\top", r"\intercal", r"\mathsf", r"\mathrm") and nxt.text in (r"\top", r"\intercal"):
                self.next(), self.next()
                operations.append("T")
                continue
            if nxt.text == "{" and after.kind == "cmd" and after.text in (r"\top", r"\intercal") and self.peek(3).text == "}":
                for _ in range(4):
                    self.next()
                operations.append("T")
                continue
            if nxt.text == "{" and after.text in ("*",) or (nxt.text == "{" and after.kind == "cmd" and after.text in (r"\star", r"\prime", r"\ast")) \
                    and self.peek(3).text == "}":
                for _ in range(4):
                    self.next()
                marks += "^*"
                continue
            if nxt.text == "{" and after.text == "(":
                # ^{(i)}: an index in parentheses names the i-th item
                end = self.group_end(self.index + 1)
                close = self.group_end(self.index + 2)
                if close == end - 1:
                    inner = self.text_between(self.index + 2, end)
                    for _ in range(end - self.index + 1):
                        self.next()
                    marks += "^{" + inner + "}"
                    continue
            if nxt.text == "(" :
                end = self.group_end(self.index + 1)
                inner = self.text_between(self.index + 1, end + 1)
                if len(inner) <= 8 and re.fullmatch(r"\(\s*[A-Za-z0-9+\-\s]+\s*\)", inner):
                    for _ in range(end - self.index + 1):
                        self.next()
                    marks += "^" + inner
                    continue
            return marks, operations

    def transpose_like(self, key: NameKey) -> bool:
        """``^T`` on a bold or capital name is a transpose (else a power of T)."""
        accent, base, _ = key
        return any(f in accent for f in (r"\mathbf", r"\boldsymbol", r"\bm", r"\vec")) or (base.isalpha() and base.isupper()
                                                                                           and len(base) == 1)

    def resolve(self, key: NameKey, token: _Token) -> sympy.Expr:
        accent, base, sub = key
        if not accent and sub is None and base in self.bindings:
            return sympy.sympify(self.bindings[base])
        if sub is not None and self.bindings:
            symbolic = [p for p in sub if p in self.bindings and not isinstance(self.bindings[p], (int, str))]
            if symbolic:
                # x_i inside a sum over a symbolic range: the i-th item, an application of the index
                args = [self.bindings[p] for p in sub if p in self.bindings]
                head = _format_name((accent, base, None)) + "_{" + "".join("•" if p in self.bindings else p for p in sub) + "}"
                self.flags.add("indexed")
                return sympy.Function(head)(*args)
            sub = self.substitute_indices(sub, token)
        bold = any(f in accent for f in (r"\mathbf", r"\boldsymbol", r"\mathbb", r"\bm"))
        if base == "I" and (sub is None or len(sub) == 1) and accent.replace(r"\mathbf", "").replace(r"\mathbb", "") == "":
            explicit = bool(accent) or sub is not None
            previous = self.tokens[self.index - 2] if self.index >= 2 else None
            juxtaposed = previous is not None and (previous.kind in ("name", "num") or previous.text in (")", "}", "]"))
            if explicit or juxtaposed or (self.arg_depth and self.peek().text in (")", "]", ",")):
                self.flags.add("matrix")
                return sympy.Integer(1)
        if not accent and sub is None:
            if base == "e":
                return sympy.E
            if base == r"\pi":
                return sympy.pi
        if accent == r"\mathrm" and sub is None and base == "e":
            return sympy.E
        text = _format_name((accent, base, sub))
        if bold and len(base) == 1 and base.isupper():
            self.flags.add("matrix")
        symbol = self.names.symbol(text)
        self.used.add(symbol)
        return symbol

    # -- factors ---------------------------------------------------------------------------
    def factor(self) -> sympy.Expr:
        token = self.peek()
        if token.kind == "word":
            return self.word_factor()
        if token.kind == "cmd" and token.text not in _STRUCTURAL:
            value = self.command(token)
            return self.power_scripts(value)
        if token.kind == "sym" and token.text == "#" and self.peek(1).kind == "name":
            self.next()
            name = self.next()
            return self.power_scripts(self.names.symbol("#" + name.text))
        if token.kind in ("name", "accent", "font") and not self.font_number():
            key = self.name()
            script_sub = None
            marks, operations = self.decorations()
            if self.peek().text == "_" and self.peek().kind == "sym":
                self.next()
                script_sub = self.subscript_tokens()
            more_marks, more_ops = self.decorations()
            marks += more_marks
            operations += more_ops
            accent, base, sub = key
            if script_sub is not None:
                if sub is not None:
                    raise self.error(token, "double subscript")
                sub = script_sub
            key = (accent, base + marks, sub)
            if self.peek().text == "^" and self.peek(1).text in ("T",) and self.peek(1).kind == "name" \
                    and self.transpose_like(key) and self.peek(2).text not in ("_",):
                self.next(), self.next()
                operations.append("T")
            if self.peek().kind == "sym" and self.peek().text in ("(", "[") and self.exponent_depth == 0:
                how = self.application_kind(key, self.peek().text)
                if how == "function":
                    value = self.application(key)
                    return self.power_scripts(value)
                if how == "sigmoid":
                    value = self.function(r"\sigmoid", token)
                    return self.power_scripts(value)
                if how == "sigmoid'":  # sigma'(z): the derivative of the logistic sigmoid at z
                    argument = self.arguments(r"\sigmoid")[0]
                    z = sympy.Dummy("z")
                    value = sympy.diff(1 / (1 + sympy.exp(-z)), z).subs(z, argument)
                    return self.power_scripts(value)
            value = self.resolve(key, token)
            if operations:
                self.flags.add("matrix")
                for op in operations:
                    if op == "T":
                        value = value  # the 1x1 transpose
            return self.power_scripts(value, key)
        value = self.atom()
        if self.peek().text == "_" and self.peek().kind == "sym":
            # \|x\|_2, \|x\|_1: the norm's index
            if self.flags & {"norm"}:
                self.next()
                self.subscript_tokens()
            else:
                raise self.error(token, "a subscript can only follow a name")
        return self.power_scripts(value)

    def power_scripts(self, value, key: NameKey | None = None) -> sympy.Expr:
        while self.peek().text == "^" and self.peek().kind == "sym":
            nxt = self.peek(1)
            if key is None and nxt.kind == "name" and nxt.text == "T" and "T" not in self.bare \
                    and self.index > 0 and self.tokens[self.index - 1].text in (")", "]"):
                self.next(), self.next()
                self.flags.add("matrix")
                continue
            if nxt.kind == "cmd" and nxt.text in (r"\top", r"\intercal"):
                self.next(), self.next()
                self.flags.add("matrix")
                continue
            if nxt.text == "{" and self.peek(2).kind == "cmd" and self.peek(2).text in (r"\top", r"\intercal"):
                for _ in range(4):
                    self.next()
                self.flags.add("matrix")
                continue
            self.next()
            self.exponent_depth += 1
            try:
                exponent = self.argument("'^'")
            finally:
                self.exponent_depth -= 1
            if exponent == -1 and "matrix" in self.flags:
                pass
            value = checked_power(value, exponent)
            if self.peek().text == "_" and self.peek().kind == "sym" and "norm" in self.flags:
                self.next()
                self.subscript_tokens()
        return value

    def application_kind(self, key: NameKey, bracket: str) -> str:
        """function | product | sigmoid, for a name followed by a bracket."""
        accent, base, sub = key
        head = _format_name(key)
        bare = head in self.bare
        if bracket == "(" and base in (r"\sigma", r"\sigma'") and not accent and sub is None and self.sigmoid and not bare:
            if not self.group_has_separator(self.index):
                return "sigmoid" if base == r"\sigma" else "sigmoid'"
            return "function"
        word = base.startswith(r"\mathrm{")
        if word:
            return "function"
        if any(f in accent for f in (r"\mathcal", r"\mathbb", r"\mathscr", r"\mathfrak")):
            return "function"
        if bracket == "[":
            plain = base.strip("'").replace("^*", "")
            if plain in _BRACKET_HEADS and not bare:
                return "function"
            if bare:
                return "product"
            self.flags.add("ambiguous")
            return "function" if self.ambiguous == "function" else "product"
        if self.group_has_separator(self.index):
            return "function"
        plain = base.rstrip("'").replace("^*", "")
        parameterised = bool(sub and any(p in (r"\theta", r"\phi", r"\psi", r"\varphi", r"\omega", "w", r"\mathrm{data}",
                                               "data") for p in sub))
        if any(f in accent for f in (r"\mathbf", r"\boldsymbol", r"\bm", r"\vec")) and not parameterised:
            return "product"  # a vector or matrix times a bracket
        if bare:
            if plain in FUNCTION_LETTERS and self.group_is_name(self.index):
                self.flags.add("ambiguous")
                return "function" if self.ambiguous == "function" else "product"
            return "product"
        if plain in FUNCTION_LETTERS or "'" in base or "^*" in base or (sub and any(
                p in (r"\theta", r"\phi", r"\psi", r"\varphi", r"\omega", "w", r"\mathrm{data}", "data", r"\mathrm{model}",
                      "X", "Y", "Z", r"\mathbf") for p in sub)):
            return "function"
        self.flags.add("ambiguous")
        return "function" if self.ambiguous == "function" else "product"

    def application(self, key: NameKey) -> sympy.Expr:
        """``head(args)`` / ``head[args]``: an opaque application; the separators are part of its name."""
        opening = self.next()
        closer = ")" if opening.text == "(" else "]"
        end = self.group_end(self.index - 1)
        args, separators = [], ""
        saved = self.abs_depth, self.norm_depth
        self.abs_depth = self.norm_depth = 0
        self.arg_depth += 1
        try:
            while True:
                start = self.index
                if self.peek().text == closer and self.peek().kind == "sym":
                    break
                try:
                    arg = self.expr()
                    nxt = self.peek()
                    if not (nxt.kind == "end" or (nxt.kind == "sym" and nxt.text in (",", ";", "|", "‖", ":", closer))
                            or (nxt.kind == "cmd" and nxt.text in (r"\mid", r"\parallel"))):
                        raise self.error(nxt, "not an argument")
                except FormulaError:
                    self.index = start
                    depth = 0
                    while self.index < end:
                        t = self.peek()
                        if t.kind == "sym" and t.text in ("(", "[", "{", r"\left|", r"\left‖"):
                            depth += 1
                        elif t.kind == "sym" and t.text in (")", "]", "}", r"\right|", r"\right‖"):
                            depth -= 1
                        elif depth == 0 and ((t.kind == "sym" and t.text in (",", ";", "|", "‖", ":"))
                                             or (t.kind == "cmd" and t.text in (r"\mid", r"\parallel"))):
                            break
                        self.next()
                    arg = self.opaque_atom(self.text_between(start, self.index))
                args.append(arg)
                nxt = self.peek()
                if nxt.kind == "sym" and nxt.text in (",", ";", "|", "‖", ":"):
                    separators += nxt.text
                    self.next()
                    continue
                if nxt.kind == "cmd" and nxt.text in (r"\mid", r"\parallel"):
                    separators += {r"\mid": "|", r"\parallel": "‖"}[nxt.text]
                    self.next()
                    continue
                break
        finally:
            self.arg_depth -= 1
            self.abs_depth, self.norm_depth = saved
        self.expect(closer)
        self.flags.add("opaque")
        head = _format_name(key) + ("[" + separators + "]" if separators else "") + ("⟮⟯" if opening.text == "[" else "")
        if not args:
            return self.names.symbol("⟦" + head + "()⟧")
        return sympy.Function(head)(*args)

    def word_factor(self) -> sympy.Expr:
        token = self.next()
        word = token.text
        plain = word.strip().rstrip(".")
        if plain in _REFUSED_WORDS or plain.lower() in _REFUSED_WORDS:
            raise self.error(token, _REFUSED_WORDS.get(plain, _REFUSED_WORDS.get(plain.lower(), "")))
        if plain in UNITS:
            raise self.error(token, f"a unit ('{plain}') inside a formula")
        if plain in CONST_WORDS or plain.lower() in ("const", "constant"):
            self.flags.add("const")
            return self.power_scripts(self.names.symbol("⟦const⟧"))
        if " " in plain or not re.fullmatch(r"[A-Za-z][A-Za-z0-9\-]*", plain):
            raise self.error(token, f"prose inside a formula ('{word}')")
        key = ("", r"\mathrm{" + plain + "}", None)
        if self.peek().text == "_" and self.peek().kind == "sym":
            self.next()
            key = ("", key[1], self.subscript_tokens())
        marks, _ = self.decorations()
        key = (key[0], key[1] + marks, key[2])
        if self.peek().kind == "sym" and self.peek().text in ("(", "["):
            return self.power_scripts(self.application(key))
        self.flags.add("opaque")
        return self.power_scripts(self.names.symbol(_format_name(key)))

    # -- commands --------------------------------------------------------------------------
    def command(self, token: _Token) -> sympy.Expr:
        text = token.text
        if text == r"\int" or text in (r"\iint", r"\oint"):
            return self.integral(token)
        if text in (r"\nabla", r"\partial"):
            return self.derivative_operator(token)
        if text in (r"\langle",):
            self.next()
            self.arg_depth += 1
            try:
                a = self.expr()
                if self.peek().text not in (",", "|") :
                    raise self.error(self.peek(), "expected ',' in an inner product")
                self.next()
                b = self.expr()
            finally:
                self.arg_depth -= 1
            if self.peek().text != r"\rangle":
                raise self.error(self.peek(), r"expected '\rangle'")
            self.next()
            self.flags.add("matrix")
            return checked_multiply([a, b])
        if text == r"\binom":
            self.next()
            n = self.argument(r"'\binom'")
            k = self.argument(r"'\binom{...}'")
            return sympy.binomial(n, k)
        if text in (r"\det", r"\tr", r"\Tr", r"\diag", r"\rank", r"\deg", r"\dim", r"\ker", r"\Pr", r"\hom", r"\arg",
                    r"\lim", r"\sup", r"\inf", r"\limsup", r"\liminf", r"\gcd", r"\mod", r"\bmod", r"\pmod", r"\sec",
                    r"\csc", r"\cot", r"\arcsin", r"\arccos", r"\arctan", r"\coth", r"\lg"):
            word = text[1:]
            if word in _REFUSED_WORDS:
                raise self.error(token, _REFUSED_WORDS[word])
            if word == "lg":
                self.next()
                return self.function(r"\log", token) / sympy.log(2) * sympy.log(2)
            self.next()
            key = ("", r"\mathrm{" + word + "}", None)
            if self.peek().kind == "sym" and self.peek().text in ("(", "["):
                if word in ("det", "tr", "Tr", "diag", "rank"):
                    self.flags.add("matrix")
                return self.application(key)
            raise self.error(token, f"'{text}' without a bracketed argument")
        if text == r"\infty":
            self.next()
            self.flags.add("infinity")
            return sympy.oo
        if text in (r"\cdots", r"\ldots", r"\dots", r"\vdots", r"\ddots", r"\dotsb", r"\dotsc", r"\dotsm"):
            raise self.error(token, "an elided sum or product ('...') cannot be read")
        if text in (r"\hbar", r"\aleph", r"\emptyset", r"\varnothing"):
            raise self.error(token, f"'{text}' is not read")
        raise self.error(token, f"'{text}' is not read in a formula")

    def integral(self, token: _Token) -> sympy.Expr:
        self.next()
        lower = upper = None
        for _ in range(2):
            if self.peek().text == "_" and self.peek().kind == "sym":
                self.next()
                if self.peek().text == "{" and self.peek(1).kind == "font" and self.peek(1).text == r"\mathbb":
                    # \int_{\mathbb R^2}: over a whole space
                    end = self.group_end(self.index)
                    self.index = end + 1
                    lower = "space"
                    continue
                lower = self.bound_argument()
            elif self.peek().text == "^" and self.peek().kind == "sym":
                self.next()
                upper = self.bound_argument()
        # the differential: d x / \mathrm{d} x at bracket depth 0
        depth, found = 0, None
        for i in range(self.index, len(self.tokens) - 1):
            t = self.tokens[i]
            if t.kind == "sym" and t.text in ("(", "[", "{", r"\left|", r"\left‖"):
                depth += 1
            elif t.kind == "sym" and t.text in (")", "]", "}", r"\right|", r"\right‖"):
                depth -= 1
                if depth < 0:
                    break
            elif depth == 0 and t.kind == "sym" and t.text in ("+", "-") and i > self.index and found is None:
                pass
            elif depth == 0 and t.kind == "name" and t.text == "d" and self.tokens[i + 1].kind in ("name", "font", "accent"):
                found = i
                break
        if found is None:
            raise self.error(token, "an integral without its differential (dx)")
        saved = self.tokens[found]
        self.tokens[found] = _Token("sym", "⟂", saved.pos)
        try:
            integrand = self.expr()
            self.expect("⟂")
        finally:
            self.tokens[found] = saved
        key = self.name()
        if self.peek().text == "_" and self.peek().kind == "sym":
            self.next()
            key = (key[0], key[1], self.subscript_tokens())
        variable = self.resolve(key, saved)
        self.flags.add("integral")
        if not isinstance(variable, sympy.Symbol):
            raise self.error(token, "the variable of integration is not a name")
        if lower == "space" or (lower is None and upper is None):
            return sympy.Integral(integrand, variable)
        if lower is None or upper is None:
            raise self.error(token, "an integral with one bound")
        return sympy.Integral(integrand, (variable, lower, upper))

    def bound_argument(self) -> sympy.Expr:
        token = self.peek()
        if token.kind == "cmd" and token.text == r"\infty":
            self.next()
            return sympy.oo
        if token.kind == "sym" and token.text == "-" and self.peek(1).kind == "cmd" and self.peek(1).text == r"\infty":
            self.next(), self.next()
            return -sympy.oo
        if token.text == "{":
            self.next()
            value = self.expr()
            self.expect("}")
            return value
        return self.argument("a bound")

    def derivative_operator(self, token: _Token) -> sympy.Expr:
        """``\\nabla_x f``, ``\\partial_x f``: the derivative of the juxtaposed factors that follow."""
        self.next()
        if self.peek().text != "_" or self.peek().kind != "sym":
            raise self.error(token, f"'{token.text}' without the variable it differentiates by")
        self.next()
        if self.peek().text == "{":
            start = self.index
            end = self.group_end(start)
            self.next()
            variable = self.factor()
            if self.index != end:
                raise self.error(token, "differentiating by more than one variable")
            self.next()
        else:
            variable = self.factor()
        if self.peek().kind == "sym" and self.peek().text == "*":  # \nabla_x \cdot s(x): a divergence
            self.next()
        argument = self.term()
        return self.differentiate(argument, variable, token)

    def differentiate(self, argument, variable, token, order: int = 1) -> sympy.Expr:
        """d/dx of ``argument``. Symbols other than x are constants only when nothing suggests
        they depend on x: a result-like name (L, J, \\ell, \\mathcal L, an accented name) or an
        argument free of x makes the derivative opaque (SymPy's unevaluated Derivative)."""
        self.flags.add("derivative")
        if not isinstance(variable, sympy.Symbol):
            raise self.error(token, "a derivative by something that is not a name")
        others = [s for s in argument.free_symbols if s != variable and not s.name.startswith("⟨")]
        implicit = [s for s in others if re.match(r"^(?:\\hat|\\tilde|\\bar|\\mathcal|L|J|\\ell|\\mathrm\{|l\b|\\sigma$|\\pi)", s.name)]
        if variable not in argument.free_symbols or implicit:
            return sympy.Derivative(sympy.Function("⟦d⟧")(argument, variable), variable, order)
        return sympy.diff(argument, variable, order)

    def atom(self) -> sympy.Expr:
        token = self.peek()
        if token.kind == "num":
            return self.number()
        if token.text == r"\frac":
            derivative = self.fraction_derivative(token)
            if derivative is not None:
                return derivative
        if token.kind == "sym" and token.text in (r"\left‖", "‖"):
            self.flags.add("norm")
            self.flags.add("matrix")
        if token.kind == "cmd" and token.text not in _STRUCTURAL:
            return self.command(token)
        if token.kind == "word":
            return self.word_factor()
        return super().atom()

    def number(self) -> sympy.Expr:
        token = self.next()
        value = exact_number(token.text)
        if "." in token.text and self.exponent_depth == 0:
            decimals = len(token.text.split(".", 1)[1])
            symbol = sympy.Symbol(f"⟨{token.text}@{token.pos}⟩", positive=True)
            self.literals[symbol] = (value, decimals, False)
            return symbol
        return value

    def fraction_derivative(self, token: _Token):
        r"""``\frac{d}{dx} f``, ``\frac{\partial}{\partial x} f``, ``\frac{d^2}{dx^2} f``,
        ``\frac{df}{dx}`` (of an opaque f); None when the fraction is not a derivative."""
        if self.peek(1).text != "{":
            return None
        num_end = self.group_end(self.index + 1)
        first = self.tokens[self.index + 2]
        is_d = (first.kind == "name" and first.text == "d") or (first.kind == "cmd" and first.text == r"\partial")
        if not is_d or num_end + 1 >= len(self.tokens) or self.tokens[num_end + 1].text != "{":
            return None
        den_start = num_end + 1
        den_end = self.group_end(den_start)
        den_first = self.tokens[den_start + 1]
        if not ((den_first.kind == "name" and den_first.text == "d") or (den_first.kind == "cmd" and den_first.text == r"\partial")):
            return None
        # the numerator: d, d^2, d f, \partial, \partial^2 f
        self.next()  # \frac
        self.next()  # {
        self.next()  # d
        order = 1
        if self.peek().text == "^":
            self.next()
            order_value = self.argument("'^'")
            order = int(order_value) if getattr(order_value, "is_Integer", False) else 1
        numerator = None
        if self.index < num_end:
            numerator = self.expr()
        if self.index != num_end:
            raise self.error(token, "a derivative's numerator that is not read")
        self.next()  # }
        self.next()  # {
        self.next()  # d / \partial
        variable = self.factor()
        if self.index != den_end:
            raise self.error(token, "a derivative's denominator that is not read")
        self.next()  # }
        if numerator is None:
            if self.peek().kind == "end" or (self.peek().kind == "sym" and self.peek().text in (")", "]", "}", "+", "-", "=")):
                raise self.error(token, "a derivative operator with nothing to differentiate")
            argument = self.term()
        else:
            argument = numerator
            if not opaque_atoms(numerator) and numerator.free_symbols and variable not in numerator.free_symbols:
                # df/dx of a named function f: opaque
                self.flags.add("derivative")
                return sympy.Function("d/d" + str(variable))(numerator)
        return self.differentiate(argument, variable, token, order)

    def function(self, name: str, token: _Token) -> sympy.Expr:
        if name in (r"\max", r"\min") and self.peek().text == "_":
            raise self.error(token, f"'{name}_{{...}}' is a maximum over a set, not an expression")
        return super().function(name, token)

    def roman(self, token: _Token) -> sympy.Expr:  # \operatorname etc. arrive as word tokens
        raise self.error(token, f"'{token.text}' is not read")

    def big_operator(self, token: _Token) -> sympy.Expr:
        r"""\sum/\prod over a numeric range expand (the indexed names become x_1, x_2, ...); over
        a symbolic or unstated range they are SymPy Sum/Product objects of the index."""
        self.next()
        index, lower, upper, over = None, None, None, ""
        if self.peek().text == "_" and self.peek().kind == "sym":
            self.next()
            if self.peek().text == "{":
                start = self.index
                end = self.group_end(start)
                over = self.text_between(start + 1, end)
                self.next()
                first = self.peek()
                if first.kind == "name" or first.kind in ("font", "accent"):
                    key = self.name()
                    index = key[1] if not key[0] else None
                    if self.peek().text == "=" and self.peek().kind == "sym":
                        self.next()
                        self.exponent_depth += 1
                        try:
                            lower = self.expr()
                        finally:
                            self.exponent_depth -= 1
                self.index = end + 1
            elif self.peek().kind == "name":
                index = self.next().text
                over = index
            else:
                raise self.error(token, f"expected the index of '{token.text}'")
        if self.peek().text == "^" and self.peek().kind == "sym":
            self.next()
            self.exponent_depth += 1
            try:
                upper = self.bound_argument()
            finally:
                self.exponent_depth -= 1
        if index is None:
            raise self.error(token, f"'{token.text}' without an index")
        exact_bounds = (lower is not None and upper is not None and getattr(lower, "is_Integer", False)
                        and getattr(upper, "is_Integer", False))
        if exact_bounds and int(upper) - int(lower) < 64:
            start = self.index
            terms = []
            for k in range(int(lower), int(upper) + 1):
                self.index = start
                terms.append(self.with_binding(index, k, self.term))
            if not terms:
                self.skip_term(index, int(lower), start)
                return sympy.Integer(0 if token.text == r"\sum" else 1)
            return checked_add(terms) if token.text == r"\sum" else checked_multiply(terms)
        symbol = sympy.Symbol(index.lstrip("\\"), integer=True, positive=True)
        summand = self.with_binding(index, symbol, self.term)
        if lower is None:
            lower = sympy.Integer(1)
        if upper is None:
            upper = self.names.symbol("⟦range " + (over or index) + "⟧")
        self.flags.add("sum")
        kind = sympy.Sum if token.text == r"\sum" else sympy.Product
        try:
            return kind(summand, (symbol, lower, upper))
        except (TypeError, ValueError) as error:
            raise self.error(token, f"cannot form the {token.text[1:]}: {error}") from None


def read_document(tex: str, names: DocumentNames, bare: frozenset = frozenset(), *, log_base=None,
                  ambiguous: str = "function", sigmoid: bool = True) -> DocumentReading:
    """One side of a lecture statement in document mode (see the section comment). Raises
    FormulaError, with the reason, for what cannot be read."""
    check_text(tex, "formula")
    for char, latex in _UNICODE.items():
        tex = tex.replace(char, latex)
    for char, name in _UNICODE_GREEK.items():
        tex = tex.replace(char, "\\" + name + " ")
    tex = unwrap_decorations(tex)
    tex = re.sub(r"(?<![|])\|\|(?![|])", r"\\| ", tex)  # KL(p || q): the divergence bar
    parser = _DocumentParser(tex, names, bare, log_base=log_base, ambiguous=ambiguous, sigmoid=sigmoid)
    try:
        value = parser.formula()
    except RecursionError:
        raise _error(tex, 0, "nested too deeply") from None
    if value.has(sympy.zoo, sympy.nan):
        raise _error(tex, 0, f"the formula is undefined ({value})")
    return DocumentReading(value, frozenset(parser.flags), dict(parser.literals), frozenset(parser.used))


_BARE_NAME = re.compile(r"(\\[A-Za-z]+|[A-Za-z])(?:\s*_\s*(\{[^{}]*\}|\\?[A-Za-z0-9]))?")


def bare_names(tex: str) -> frozenset:
    """Names that stand bare somewhere in ``tex`` (not right before a bracket): with them a
    following bracket reads as a product (p - p^2 = p(1-p))."""
    found = set()
    try:
        tokens = _doc_tokenize(unwrap_decorations(tex))
    except FormulaError:
        return frozenset()
    parser = _DocumentParser.__new__(_DocumentParser)
    parser.tex, parser.tokens, parser.index = tex, tokens, 0
    parser.flags, parser.bindings = set(), {}
    for i, token in enumerate(tokens):
        if token.kind != "name" or (i > 0 and tokens[i - 1].kind in ("accent", "font")) or (
                i > 0 and tokens[i - 1].text in ("_", "^", "{") and i > 1 and tokens[i - 2].text in ("_", "^")):
            continue
        if i > 0 and tokens[i - 1].text in ("_", "^"):
            continue
        j = i + 1
        sub = None
        if tokens[j].text == "_":
            if tokens[j + 1].text == "{":
                depth, k = 0, j + 1
                parts = []
                while k < len(tokens):
                    if tokens[k].text == "{":
                        depth += 1
                    elif tokens[k].text == "}":
                        depth -= 1
                        if depth == 0:
                            break
                    elif tokens[k].kind != "font":
                        parts.append(tokens[k].text)
                    k += 1
                sub = tuple(parts)
                j = k + 1
            else:
                sub = (tokens[j + 1].text,)
                j += 2
        primes = ""
        while j < len(tokens) and tokens[j].text == "'":
            primes += "'"
            j += 1
        following = tokens[j] if j < len(tokens) else None
        if following is not None and following.kind == "sym" and following.text in ("(", "["):
            continue
        found.add(_format_name(("", token.text + primes, sub)))
    return frozenset(found)


# --- relations ------------------------------------------------------------------------------

RELATIONS = {
    "=": "=", r"\approx": "≈", r"\simeq": "≈", r"\thickapprox": "≈", r"\cong": "≅", r"\le": "≤", r"\leq": "≤",
    r"\leqslant": "≤", r"\ge": "≥", r"\geq": "≥", r"\geqslant": "≥", "<": "<", ">": ">", r"\lt": "<", r"\gt": ">",
    r"\propto": "∝", r"\ne": "≠", r"\neq": "≠", r"\sim": "∼", r"\equiv": "≡", ":=": ":=", r"\coloneqq": ":=",
    r"\triangleq": ":=", r"\eqqcolon": "=:", "=:": "=:", r"\to": "→", r"\rightarrow": "→", r"\longrightarrow": "→",
    r"\mapsto": "→", r"\in": "∈", r"\notin": "∉", r"\leftarrow": "←", r"\gets": "←", r"\ll": "≪", r"\gg": "≫",
    r"\subset": "⊂", r"\subseteq": "⊂", r"\perp": "⊥", r"\lesssim": "≲", r"\gtrsim": "≳", r"\asymp": "≍",
    r"\xrightarrow": "→", r"\nearrow": "→", r"\searrow": "→", r"\uparrow": "↑", r"\downarrow": "↓",
}
CLAUSE_BREAKS = {r"\Rightarrow": "⇒", r"\implies": "⇒", r"\Longrightarrow": "⇒", r"\iff": "⇔",
                 r"\Longleftrightarrow": "⇔", r"\Leftrightarrow": "⇔", r"\therefore": "⇒", r"\because": "⇐",
                 r"\Leftarrow": "⇐", r"\quad": "", r"\qquad": "", r"\forall": "∀", r"\text": "", r"\textrm": "",
                 r"\mbox": "", r"\textbf": "", r"\textit": "", r"\hspace": "", r"\checkmark": "", r"\exists": "∃",
                 r"\land": "", r"\lor": "", r"\wedge": "", r"\vee": ""}
_REL_CMD = re.compile(r"\\([A-Za-z]+)")


@_dataclass
class Clause:
    """A run of sides joined by relations: ``sides[i] relations[i] sides[i+1]``; ``after`` is the
    break that ends it (⇒, ',', a prose word); ``annotations[i]`` what decorated relation i
    (``\\stackrel{(a)}{=}``)."""

    sides: list
    relations: list
    after: str = ""
    before: str = ""
    annotations: list = _field(default_factory=list)


def _skip_group(text: str, i: int) -> int:
    """Skip a braced group starting at ``text[i]`` (after spaces); return the index after it."""
    while i < len(text) and text[i] == " ":
        i += 1
    if i < len(text) and text[i] == "{":
        end = _brace_end(text, i)
        return end if end > 0 else len(text)
    if i < len(text) and text[i] == "\\":
        m = re.match(r"\\[A-Za-z]+", text[i:])
        return i + (m.end() if m else 2)
    return i + 1


def split_clauses(text: str) -> list[Clause]:
    """A statement split into clauses at top-level commas, semicolons, ``\\quad``, implications
    and prose (``\\text{where}``), each clause split at its top-level relations."""
    clauses: list[Clause] = []
    sides: list[str] = []
    relations: list[str] = []
    annotations: list[str] = []
    current: list[str] = []
    depth = 0
    env_depth = 0
    i = 0
    pending_break = ""

    def close(why: str):
        nonlocal sides, relations, annotations, current, pending_break
        side = "".join(current).strip()
        if side or relations:
            sides.append(side)
            clauses.append(Clause(sides, relations, why, pending_break, annotations))
        sides, relations, annotations, current = [], [], [], []
        pending_break = why

    def relate(symbol: str, note: str = ""):
        nonlocal current
        sides.append("".join(current).strip())
        relations.append(symbol)
        annotations.append(note)
        current = []

    n = len(text)
    while i < n:
        c = text[i]
        if text.startswith(r"\begin{", i):
            env_depth += 1
            end = text.find("}", i)
            current.append(text[i:end + 1])
            i = end + 1
            continue
        if text.startswith(r"\end{", i):
            env_depth = max(0, env_depth - 1)
            end = text.find("}", i)
            current.append(text[i:end + 1])
            i = end + 1
            continue
        if c == "\\":
            m = _REL_CMD.match(text, i)
            if m is None:
                two = text[i:i + 2]
                if two in (r"\{", r"\["):
                    depth += 1
                elif two in (r"\}", r"\]"):
                    depth = max(0, depth - 1)
                elif two == r"\," or two == r"\;" or two == r"\!" or two == r"\ ":
                    pass
                current.append(two)
                i += 2
                continue
            cmd = "\\" + m.group(1)
            if cmd in (r"\left",):
                depth += 1
            elif cmd in (r"\right",):
                depth = max(0, depth - 1)
            if depth == 0 and env_depth == 0:
                if cmd in (r"\stackrel", r"\overset", r"\underset"):
                    note_end = _skip_group(text, m.end())
                    rel_end = _skip_group(text, note_end)
                    note = text[m.end():note_end].strip().strip("{}")
                    rel = text[note_end:rel_end].strip().strip("{}").strip()
                    symbol = RELATIONS.get(rel, "=" if rel == "=" else None)
                    if symbol is not None:
                        if "def" in note or note in (r"\triangle", r"\Delta"):
                            symbol = ":="
                        relate(symbol, note)
                        i = rel_end
                        continue
                if cmd in RELATIONS:
                    if cmd == r"\sim" and text[m.end():m.end() + 1] not in (" ", "\\", "{", "") and False:
                        pass
                    relate(RELATIONS[cmd])
                    i = m.end()
                    if cmd == r"\xrightarrow":
                        i = _skip_group(text, i)
                    continue
                if cmd in CLAUSE_BREAKS:
                    if cmd in (r"\text", r"\textrm", r"\mbox", r"\textbf", r"\textit"):
                        end = _skip_group(text, m.end())
                        inner = text[m.end():end].strip().strip("{}").strip()
                        if inner.strip() in UNITS or inner.strip().rstrip(".").split("/")[0] in UNITS or \
                                re.fullmatch(r"(bits|nats|bit|nat)\b.*", inner.strip()):
                            close("unit:" + inner.strip())
                            i = end
                            continue
                        if re.fullmatch(r"[A-Za-z]+|[A-Za-z]+\s*\(?\d*\)?|[A-Za-z]+[-][A-Za-z]+", inner) and not _PROSE.match(inner) \
                                and inner.lower() not in ("and", "or") or inner in ("", ",", "."):
                            current.append(text[i:end])  # a word used as a name (\text{KL}, \text{ELBO})
                            i = end
                            continue
                        close("text:" + inner)
                        i = end
                        continue
                    if cmd == r"\hspace":
                        i = _skip_group(text, m.end())
                        close("")
                        continue
                    close(CLAUSE_BREAKS[cmd])
                    i = m.end()
                    continue
            current.append(m.group())
            i = m.end()
            continue
        if c in "([{":
            depth += 1
        elif c in ")]}":
            depth = max(0, depth - 1)
        if depth == 0 and env_depth == 0:
            if c == "=":
                if text[i + 1:i + 2] == ":":
                    relate("=:")
                    i += 2
                    continue
                relate("=")
                i += 1
                continue
            if c == ":" and text[i + 1:i + 2] == "=":
                relate(":=")
                i += 2
                continue
            if c in "<>":
                relate(c)
                i += 1
                continue
            if c in ",;":
                close(c)
                i += 1
                continue
        current.append(c)
        i += 1
    close("")
    return clauses
