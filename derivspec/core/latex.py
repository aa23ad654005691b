r"""A small, safe LaTeX-math -> SymPy parser for the formulas that claims are written in.

SymPy's own ``parse_latex`` is not used (its lark backend rejects ``\sigma``, its antlr
backend needs a pinned runtime), and nothing here ever calls ``eval``/``exec``/``sympify``
on user text: the input is tokenised, then read by recursive descent.

Grammar accepted (``{x}`` is a braced group; a *single token* is one digit, one letter or one
Greek command, so ``\frac12`` = 1/2 and ``x^23`` = x^2 * 3, as in TeX)::

    formula  := expr END
    expr     := term (('+' | '-') term)*
    term     := signed (('*' | '/' | \cdot | \times | \div) signed  |  postfix)*   # implicit product
    signed   := ('-' | '+') signed | postfix
    postfix  := name scripts | atom scripts               # at most one '^' and one '_', any order
    scripts  := ('^' argument | '_' subscript)*           # '_' only on names
    name     := [accent] (letter | \greek) | accent '{' (letter | \greek) ['_' subscript] '}'
    accent   := \bar | \overline | \hat | \widehat | \tilde | \widetilde
    atom     := number | '(' expr ')' | '[' expr ']' | '{' expr '}' | '|' expr '|'
              | \left| expr \right| | \frac argument argument | \sqrt ['[' expr ']'] argument
              | function | \operatorname{word} | \mathrm{word}
    function := (\log | \ln | \exp | \sin | \cos | \tan | \tanh) ['_' argument] ['^' argument] farg
    farg     := '(' expr ')' | '[' expr ']' | '{' expr '}' | signed
    argument := '{' expr '}' | single token

Conventions:
  * Numbers are exact: ``0.1`` -> Rational(1, 10).
  * A function applies to a following delimited group, and a superscript after that group
    powers the result: ``\log(x)^2`` = ``\log{\left(x\right)}^{2}`` = (log x)^2 (SymPy's own
    printing). Without a group it applies to the next single factor *with its powers*:
    ``\log x^2`` = log(x^2), ``\log\frac{a}{b}`` = log(a/b), but ``\log 2\pi`` = log(2)*pi
    (it does NOT extend over an implicit product). ``\log^2 x`` = (log x)^2; ``\log_b x`` is
    the base-b logarithm.
  * Implicit and explicit products share one precedence, left to right: ``a/2b`` = (a/2)*b.
  * ``e`` is Euler's number (so ``e^{x}`` = exp(x)) and ``\pi`` is pi, unless the claim
    names them. ``\left(``/``\right)``, ``\big(`` etc. are plain brackets; spacing commands,
    ``~`` and ``\displaystyle`` are ignored; ``\dfrac``/``\tfrac`` mean ``\frac``.
  * Names are matched in a canonical form (accent, base, subscript text without braces or
    spacing), so ``\bar{\alpha}_{t - 1}``, ``\overline\alpha_{t-1}`` and ``\bar{\alpha_{t-1}}``
    all find the claim name ``\bar\alpha_{t-1}``, and ``\sigma^2_1`` = ``\sigma_1^2``.
"""

from __future__ import annotations

import re
from typing import Mapping, NamedTuple

import sympy

from derivspec.core.errors import FormulaError
from derivspec.core.formula import power as checked_power

__all__ = ["parse_latex"]

_GREEK = frozenset(
    "\\" + g
    for g in (
        "alpha beta gamma delta epsilon varepsilon zeta eta theta vartheta iota kappa lambda mu "
        "nu xi pi varpi rho varrho sigma varsigma tau upsilon phi varphi chi psi omega ell "
        "Gamma Delta Theta Lambda Xi Pi Sigma Upsilon Phi Psi Omega"
    ).split()
)
_FUNCTIONS = {
    r"\log": sympy.log, r"\exp": sympy.exp, r"\sin": sympy.sin,
    r"\cos": sympy.cos, r"\tan": sympy.tan, r"\tanh": sympy.tanh,
}
_ACCENTS = {
    r"\bar": r"\bar", r"\overline": r"\bar", r"\hat": r"\hat",
    r"\widehat": r"\hat", r"\tilde": r"\tilde", r"\widetilde": r"\tilde",
}
_ALIASES = {
    r"\cdot": "*", r"\times": "*", r"\div": "/", r"\vert": "|", r"\lvert": "|",
    r"\rvert": "|", r"\dfrac": r"\frac", r"\tfrac": r"\frac", r"\ln": r"\log",
}
_STRUCTURAL = frozenset({r"\frac", r"\sqrt", r"\operatorname", r"\mathrm", r"\left", r"\right"})
_IGNORED = frozenset(
    {r"\,", r"\;", r"\:", r"\!", r"\quad", r"\qquad", r"\displaystyle", r"\textstyle"}
    | {"\\" + size + side for size in ("big", "Big", "bigg", "Bigg") for side in ("", "l", "r", "m")}
)
_UNSUPPORTED = {r"\infty": "infinity is not supported"}
_BRACKETS = {"(": ")", "[": "]", "{": "}", r"\left|": r"\right|"}

_TOKEN_RE = re.compile(
    r"(?P<num>\d+(?:\.\d+)?)|(?P<cmd>\\(?:[A-Za-z]+|.))|(?P<name>[A-Za-z])"
    r"|(?P<space>\s+)|(?P<sym>[-+*/^_()\[\]{}|~])",
    re.DOTALL,
)

NameKey = tuple[str, str, "str | None"]  # (accent, base, subscript text)


class _Token(NamedTuple):
    kind: str  # num | name | func | accent | cmd | sym | end
    text: str  # canonical spelling (aliases resolved)
    pos: int


def _error(tex: str, pos: int, problem: str) -> FormulaError:
    flat = re.sub(r"\s", " ", tex)
    return FormulaError(f'cannot read LaTeX "{flat}" at position {pos}: {problem}')


def _classify(tex: str, match: re.Match) -> _Token | None:
    """One regex match -> a token, or None for whitespace and spacing commands."""
    kind, text, pos = match.lastgroup, match.group(), match.start()
    if kind == "space" or text == "~" or (kind == "cmd" and (text in _IGNORED or text[1:].isspace())):
        return None
    if kind != "cmd":
        return _Token(kind, text, pos)
    text = _ALIASES.get(text, text)
    if text in ("*", "/", "|"):
        return _Token("sym", text, pos)
    for kind, table in (("name", _GREEK), ("func", _FUNCTIONS), ("cmd", _STRUCTURAL)):
        if text in table:
            return _Token(kind, text, pos)
    if text in _ACCENTS:
        return _Token("accent", _ACCENTS[text], pos)
    raise _error(tex, pos, f"'{text}': " + _UNSUPPORTED.get(text, "unknown LaTeX command"))


def _tokenize(tex: str) -> list[_Token]:
    """Tokens of ``tex`` ending with an ``end`` token; ``\\left|``/``\\right|`` become one token."""
    tokens: list[_Token] = []
    pending: _Token | None = None  # a \left or \right waiting for its delimiter
    pos = 0
    while pos < len(tex):
        match = _TOKEN_RE.match(tex, pos)
        if match is None:
            raise _error(tex, pos, f"unexpected character '{tex[pos]}'")
        pos = match.end()
        token = _classify(tex, match)
        if token is None:
            continue
        if pending is not None:
            if token.text == "|":
                token = _Token("sym", pending.text + "|", pending.pos)
            elif token.text not in "()[]":
                raise _error(tex, token.pos, f"'{pending.text}' must be followed by (, ), [, ] or |")
            pending = None
        elif token.text in (r"\left", r"\right"):
            pending = token
            continue
        tokens.append(token)
    if pending is not None:
        raise _error(tex, pending.pos, f"'{pending.text}' without a delimiter")
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
    return name if sub is None else f"{name}_{{{sub}}}"


class _Parser:
    def __init__(self, tex: str, names: Mapping[NameKey, sympy.Symbol], known: list[str]):
        self.tex, self.names, self.known = tex, names, known
        self.tokens = _tokenize(tex)
        _check_balance(tex, self.tokens)
        self.index = 0
        self.abs_depth = 0  # how many bare |...| are open: a '|' then closes instead of opening

    # -- token helpers ---------------------------------------------------------------
    def peek(self) -> _Token:
        return self.tokens[self.index]

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
        if len(token.text) > 1:
            self.index -= 1
            self.tokens[self.index] = _Token("num", token.text[1:], token.pos + 1)
        return sympy.Integer(token.text[0])

    def starts_factor(self, token: _Token) -> bool:
        if token.kind in ("num", "name", "accent", "func", "cmd"):
            return True
        return token.text in ("(", "[", "{", r"\left|") or (token.text == "|" and self.abs_depth == 0)

    # -- grammar ---------------------------------------------------------------------
    def formula(self) -> sympy.Expr:
        if self.peek().kind == "end":
            raise self.error(self.peek(), "empty formula")
        value = self.expr()
        if self.peek().kind != "end":
            raise self.error(self.peek(), f"unexpected '{self.peek().text}'")
        return value

    def expr(self) -> sympy.Expr:
        value = self.term()
        while self.peek().text in ("+", "-") and self.peek().kind == "sym":
            sign = self.next().text
            rhs = self.term()
            value = value + rhs if sign == "+" else value - rhs
        return value

    def term(self) -> sympy.Expr:
        value = self.signed()
        while True:
            token = self.peek()
            if token.kind == "sym" and token.text in ("*", "/"):
                self.next()
                rhs = self.signed()
                value = value * rhs if token.text == "*" else value / rhs
            elif self.starts_factor(token):
                value = value * self.postfix()
            else:
                return value

    def signed(self) -> sympy.Expr:
        token = self.peek()
        if token.kind == "sym" and token.text in ("+", "-"):
            self.next()
            value = self.signed()
            return -value if token.text == "-" else value
        return self.postfix()

    def postfix(self) -> sympy.Expr:
        token = self.peek()
        if token.kind in ("name", "accent"):
            accent, base, sub = self.name()
            script_sub, sup = self.scripts()
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

    def scripts(self) -> tuple[str | None, sympy.Expr | None]:
        sub = sup = None
        while self.peek().text in ("_", "^") and self.peek().kind == "sym":
            token = self.next()
            if (sub if token.text == "_" else sup) is not None:
                raise self.error(token, "double " + ("subscript" if token.text == "_" else "superscript"))
            if token.text == "_":
                sub = self.subscript_text()
            else:
                sup = self.argument("'^'")
        return sub, sup

    def subscript_text(self) -> str:
        """Canonical text of a subscript: its tokens joined by spaces, braces dropped."""
        token = self.peek()
        if token.kind == "num":
            return str(self.first_digit())
        if token.kind == "name":
            return self.next().text
        if token.text != "{":
            raise self.error(token, "expected {...} or a single token after '_'")
        self.next()
        parts, depth = [], 1
        while depth:
            part = self.next()
            depth += {"{": 1, "}": -1}.get(part.text, 0) if part.kind == "sym" else 0
            if part.text not in ("{", "}"):
                parts.append(part.text)
        if not parts:
            raise self.error(token, "empty subscript")
        return " ".join(parts)

    def name(self) -> NameKey:
        token = self.next()
        if token.kind == "name":
            return "", token.text, None
        if self.peek().kind == "name":  # \bar\alpha
            return token.text, self.next().text, None
        opening = self.expect("{")
        if self.peek().kind != "name":
            raise self.error(opening, f"expected a letter after '{token.text}{{'")
        base = self.next().text
        sub = None
        if self.peek().text == "_":  # \bar{\alpha_t}
            self.next()
            sub = self.subscript_text()
        self.expect("}")
        return token.text, base, sub

    def resolve(self, key: NameKey, token: _Token) -> sympy.Expr:
        if key in self.names:
            return self.names[key]
        if key == ("", "e", None):
            return sympy.E
        if key == ("", r"\pi", None):
            return sympy.pi
        known = ", ".join(self.known) or "none"
        raise self.error(token, f"unknown symbol '{_format_name(key)}'; known names: {known}")

    def argument(self, after: str) -> sympy.Expr:
        token = self.peek()
        if token.text == "{" and token.kind == "sym":
            return self.enclosed("}")
        if token.kind == "num":
            return self.first_digit()
        if token.kind == "name":
            self.next()
            return self.resolve(("", token.text, None), token)
        raise self.error(token, f"expected {{...}} or a single token after {after}")

    def enclosed(self, closer: str) -> sympy.Expr:
        """Opening bracket, expression, ``closer``; bare bars inside start afresh."""
        self.next()
        saved, self.abs_depth = self.abs_depth, 0
        value = self.expr()
        self.expect(closer)
        self.abs_depth = saved
        return value

    def atom(self) -> sympy.Expr:
        token = self.peek()
        if token.kind == "num":
            return sympy.Rational(self.next().text)
        if token.kind == "func":
            return self.function(_FUNCTIONS[self.next().text], token)
        if token.kind == "sym" and token.text in _BRACKETS:
            value = self.enclosed(_BRACKETS[token.text])
            return sympy.Abs(value) if token.text == r"\left|" else value
        if token.text == "|":
            self.next()
            self.abs_depth += 1
            value = self.expr()
            self.expect("|")
            self.abs_depth -= 1
            return sympy.Abs(value)
        if token.text == r"\frac":
            self.next()
            numerator = self.argument(r"'\frac'")
            return numerator / self.argument(r"'\frac{...}'")
        if token.text == r"\sqrt":
            self.next()
            index = self.enclosed("]") if self.peek().text == "[" else sympy.Integer(2)
            return sympy.root(self.argument(r"'\sqrt'"), index)
        if token.text in (r"\operatorname", r"\mathrm"):
            return self.roman(token)
        found = "end of input" if token.kind == "end" else f"'{token.text}'"
        raise self.error(token, f"expected a value but found {found}")

    def roman(self, token: _Token) -> sympy.Expr:
        """``\\operatorname{log}``/``\\mathrm{exp}`` as functions, ``\\mathrm{e}`` as Euler's e."""
        self.next()
        self.expect("{")
        letters = []
        while self.peek().kind == "name" and len(self.peek().text) == 1:
            letters.append(self.next().text)
        self.expect("}")
        word = "\\" + "".join(letters)
        word = _ALIASES.get(word, word)
        if word == r"\e":
            return sympy.E
        if word not in _FUNCTIONS:
            raise self.error(token, f"unknown function '{token.text}{{{word[1:]}}}'")
        return self.function(_FUNCTIONS[word], token)

    def function(self, func, token: _Token) -> sympy.Expr:
        base = power = None
        if func is sympy.log and self.peek().text == "_":
            self.next()
            base = self.argument("'_'")
        if self.peek().text == "^":
            self.next()
            power = self.argument("'^'")
        if self.peek().kind == "sym" and self.peek().text in ("(", "[", "{"):
            arg = self.atom()
        else:
            arg = self.signed()
        value = func(arg) if base is None else sympy.log(arg, base)
        return value if power is None else checked_power(value, power)


def _canonical_names(names: Mapping[str, sympy.Symbol]) -> dict[NameKey, sympy.Symbol]:
    """Claim names (``\\bar\\alpha_{t-1}``, ``\\mu_1``, ...) keyed by their canonical form."""
    table: dict[NameKey, sympy.Symbol] = {}
    for latex_name, symbol in names.items():
        parser = _Parser(latex_name, {}, [])
        if parser.peek().kind not in ("name", "accent"):
            raise _error(latex_name, 0, "a claim name must start with a letter or Greek command")
        accent, base, sub = parser.name()
        script_sub, sup = parser.scripts()
        if sup is not None or parser.peek().kind != "end" or (sub and script_sub):
            raise _error(latex_name, parser.peek().pos, "a claim name is one (accented) letter with one subscript")
        key = (accent, base, sub if script_sub is None else script_sub)
        if table.setdefault(key, symbol) != symbol:
            raise _error(latex_name, 0, f"claim name '{_format_name(key)}' is given twice")
    return table


def parse_latex(tex: str, names: Mapping[str, sympy.Symbol]) -> sympy.Expr:
    """Parse ``tex`` using ``names`` (LaTeX name -> SymPy symbol) for the variables.

    Raises FormulaError (one line, with a position) for anything it cannot read.
    """
    known = sorted(names, key=lambda n: (n.lstrip("\\").lower(), n))
    value = _Parser(tex, _canonical_names(names), known).formula()
    if value.has(sympy.zoo, sympy.nan, sympy.oo, -sympy.oo):
        raise _error(tex, 0, f"the formula is undefined ({value})")
    return value
