r"""Iterates of an update rule defined above (DS405): what a later line states of them is evaluated, not proved.

A document defines a recurrence -- gradient descent ``w^{k+1} = w^k - \alpha \nabla f(w^k)`` on an ``f`` it defines,
momentum (two states updated together), an exponential moving average ``v_t = \beta v_{t-1} + (1 - \beta) g_t``, a
running mean -- and a later line states something that must follow from it: the closed or unrolled form of the
iterate, the iterate after one or two steps written out, the update restated with the gradient substituted. The
recurrence is iterated exactly (rationals) from admissible values for k = 0..6 and the later line is evaluated at
the same values; a flag needs every decided point from k = 2 on to disagree, under every initial-value convention
the document leaves open (initial states drawn, or zero).

The LaTeX of these lines is read here by a small reader of its own, because the scan's reader takes ``w^{k+1}`` for a
power and ``\alpha(\lambda w - b)`` for an application: a sequence is a name the document updates (its states) or
one it feeds in with the iteration's index (``g_t``, ``\xi_k``: inputs, drawn), ``S^{k}``, ``S_{k}`` or ``S^{(k)}``
as the update writes it; a function is one the document defines with one argument (``f(w) = …``, its gradient
``\nabla f``, ``f'`` by SymPy unless defined too); a matrix recurrence is read in its 1×1 case (``^\top`` dropped, I
= 1). Anything else -- a name bound by nothing above, an application of an unknown function, an approximation or an
inequality, a different recurrence the document defines for the same state -- leaves the line alone.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import mpmath
import sympy

from derivspec.core.symbolic import SymPyTimeout
from derivspec.scan.clauses import split_clauses
from derivspec.scan.declarations import GREEK

STEPS = range(0, 7)
_FONTS = re.compile(r"\\(?:mathbf|boldsymbol|bm|mathbb|mathrm|mathsf|mathit|vec|pmb|bf)\s*(?=\{|\\|[A-Za-z])")
_FONT_GROUP = re.compile(r"\\(?:mathbf|boldsymbol|bm|mathbb|mathrm|mathsf|mathit|vec|pmb|bf)\s*\{\s*(\\?[A-Za-z]+)\s*\}")
_SPACING = re.compile(r"\\(?:left|right|bigl|bigr|Bigl|Bigr|biggl|biggr|big|Big|bigg|Bigg)(?![A-Za-z])|\\[,;:! ]|"
                      r"\\(?:quad|qquad|displaystyle|textstyle|limits|nolimits)(?![A-Za-z])|&|~")
_ACCENTS = ("\\hat", "\\bar", "\\tilde", "\\widehat", "\\overline", "\\widetilde", "\\check", "\\dot")
_FUNCTION_LETTERS = {"f", "g", "h", "F", "G", "H", "J", "L", "R", "\\ell", "\\phi", "\\psi", "\\sigma", "\\varphi",
                     "\\Phi", "\\Psi", "p", "q", "\\mathcal{L}", "\\mathcal{J}"}
_STAR = {"\\star", "*", "\\ast"}
_TRANSPOSE = {"\\top", "\\intercal", "T", "\\mathsf{T}", "\\mathrm{T}", "\\prime"}


class Unread(Exception):
    """A part this reader does not read: the line is left alone."""


def _loud(error: Exception) -> None:
    """A time limit running out is never swallowed here (the rules' runner stops the line)."""
    if isinstance(error, SymPyTimeout):
        raise error


@dataclass
class Context:
    """What the reader knows: the sequences and their index style, the functions, the letters bound by sums."""

    sequences: dict = field(default_factory=dict)  # name -> "sub" | "sup" | "psup"
    functions: dict = field(default_factory=dict)  # name -> (argument symbol, value)
    gradients: dict = field(default_factory=dict)  # name -> (argument symbol, value)
    plain: frozenset = frozenset()  # names read as plain variables here (a function's own argument)


def symbol(name: str) -> sympy.Symbol:
    return sympy.Symbol(name, real=True)


def sequence(name: str):
    return sympy.Function(f"⟨{name}⟩")


def sequence_name(applied) -> str | None:
    name = applied.func.__name__
    return name[1:-1] if name.startswith("⟨") and name.endswith("⟩") else None


def normalise(tex: str) -> str:
    tex = _SPACING.sub(" ", tex)
    tex = _FONT_GROUP.sub(r"\1", tex)
    tex = _FONTS.sub("", tex)
    tex = re.sub(r"\\operatorname\s*\{([^{}]*)\}", r"\1", tex)
    tex = tex.replace("\\dfrac", "\\frac").replace("\\tfrac", "\\frac").replace("\\cdot", "*").replace("\\times", "*")
    tex = tex.replace("−", "-").replace("⋆", "\\star").replace("∇", "\\nabla ")
    return tex.strip().rstrip(".,;").strip()


_TOKEN = re.compile(r"\\[A-Za-z]+|\d+(?:\.\d+)?|[A-Za-z]|[-+*/()\[\]{}^_',|=]|\S")


def tokens(tex: str) -> list[str]:
    return _TOKEN.findall(normalise(tex))


class Reader:
    """A recursive-descent reader of one side; raises Unread for anything outside its grammar."""

    def __init__(self, tex: str, context: Context, bound: dict | None = None):
        self.tokens = tokens(tex)
        self.at = 0
        self.context = context
        self.bound = dict(bound or {})  # a sum's index letter -> its symbol
        self.names: set = set()  # plain names read
        self.indices: set = set()  # letters used in a sequence's index (free ones)

    def peek(self, ahead: int = 0) -> str:
        i = self.at + ahead
        return self.tokens[i] if i < len(self.tokens) else ""

    def take(self, want: str | None = None) -> str:
        token = self.peek()
        if not token or (want is not None and token != want):
            raise Unread(f"expected {want!r}, found {token!r}")
        self.at += 1
        return token

    def read(self):
        value = self.sum()
        if self.peek():
            raise Unread(f"trailing {self.peek()!r}")
        return value

    def sum(self):
        value = self.product()
        while self.peek() in ("+", "-"):
            sign = self.take()
            term = self.product()
            value = value + term if sign == "+" else value - term
        return value

    def product(self):
        sign = 1
        while self.peek() in ("+", "-"):
            if self.take() == "-":
                sign = -sign
        value = self.power()
        while True:
            token = self.peek()
            if token == "*":
                self.take()
                value = value * self.power()
            elif token == "/":
                self.take()
                value = value / self.power()
            elif token and self.starts(token):
                value = value * self.power()
            else:
                return sign * value

    def starts(self, token: str) -> bool:
        return bool(token) and (token in ("(", "[", "{") or token[0].isalnum() or (
            token.startswith("\\") and token not in ("\\end", "\\\\", "\\le", "\\leq", "\\ge", "\\geq", "\\approx")))

    def power(self):
        value = self.atom()
        while self.peek() == "^":
            self.take()
            exponent = self.script()
            if exponent is None:  # a transpose
                continue
            value = value ** exponent
        return value

    def script(self):
        """A superscript's value (None for a transpose)."""
        if self.peek() == "{":
            start = self.at
            self.take()
            if self.peek() in _TRANSPOSE and self.peek(1) == "}":
                self.at += 2
                return None
            self.at = start
            return self.group()
        token = self.take()
        if token in _TRANSPOSE:
            return None
        if token.isdigit():
            return sympy.Integer(token[0]) if len(token) > 1 else sympy.Integer(token)
        return self.name_value(token)

    def group(self):
        self.take("{")
        value = self.sum()
        self.take("}")
        return value

    def raw_group(self) -> str:
        """The tokens of a braced group (or one token) as text."""
        if self.peek() != "{":
            return self.take()
        self.take("{")
        depth, parts = 1, []
        while True:
            token = self.take()
            if token == "{":
                depth += 1
            elif token == "}":
                depth -= 1
                if depth == 0:
                    return "".join(parts)
            parts.append(token)

    def atom(self):
        token = self.peek()
        if not token:
            raise Unread("end of the side")
        if token in ("(", "["):
            self.take()
            value = self.sum()
            self.take(")" if token == "(" else "]")
            return value
        if token == "{":
            return self.group()
        if re.fullmatch(r"\d+(?:\.\d+)?", token):
            self.take()
            return sympy.Rational(token)
        if token == "\\frac":
            self.take()
            top = self.group() if self.peek() == "{" else self.single()
            bottom = self.group() if self.peek() == "{" else self.single()
            return top / bottom
        if token == "\\sqrt":
            self.take()
            if self.peek() == "[":
                raise Unread("a root of another order")
            return sympy.sqrt(self.group() if self.peek() == "{" else self.single())
        if token in ("\\exp", "\\log", "\\ln"):
            self.take()
            argument = self.atom() if self.peek() in ("(", "[", "{") else self.power()
            return sympy.exp(argument) if token == "\\exp" else sympy.log(argument)
        if token in ("\\sum", "\\prod"):
            return self.big(token)
        if token == "\\nabla":
            return self.gradient()
        if token in ("\\mathcal",):
            self.take()
            return self.named("\\mathcal{" + self.raw_group() + "}")
        if token in _ACCENTS:
            self.take()
            inner = self.raw_group()
            if not re.fullmatch(r"\\?[A-Za-z]+", inner):
                raise Unread("an accent over more than a name")
            return self.named(f"{token}{{{inner}}}")
        if token.startswith("\\") and token[1:] in GREEK or (len(token) == 1 and token.isalpha()):
            self.take()
            return self.named(token)
        raise Unread(f"not read: {token!r}")

    def single(self):
        token = self.take()
        if token.isdigit():
            return sympy.Integer(token[0])
        return self.name_value(token)

    def name_value(self, token: str):
        if len(token) == 1 and token.isalpha() or token.startswith("\\") and token[1:] in GREEK:
            return self.plain_name(token)
        raise Unread(f"not a name: {token!r}")

    def plain_name(self, name: str):
        if name in self.bound:
            return self.bound[name]
        if name == "I":
            return sympy.Integer(1)  # the identity, in the 1×1 case
        self.names.add(name)
        return symbol(name)

    def big(self, token: str):
        self.take()
        if self.peek() != "_":
            raise Unread("a sum without its index")
        self.take()
        lower = self.raw_group()
        found = re.fullmatch(r"(\\?[A-Za-z]+)=(.+)", lower)
        if not found or self.peek() != "^":
            raise Unread("a sum without its range")
        self.take()
        letter = found.group(1)
        index = sympy.Dummy(letter.strip("\\"), integer=True)
        low = Reader(found.group(2), self.context, self.bound)
        low_value = low.read()
        self.names |= low.names
        self.indices |= low.names
        high_text = self.raw_group()
        high = Reader(high_text, self.context, self.bound)
        high_value = high.read()
        self.names |= high.names
        self.indices |= high.names
        saved = self.bound
        self.bound = dict(saved, **{letter: index})
        try:
            body = self.power()
            while self.peek() and self.starts(self.peek()) or self.peek() == "*":
                if self.peek() == "*":
                    self.take()
                body = body * self.power()
        finally:
            self.bound = saved
        big = sympy.Sum if token == "\\sum" else sympy.Product
        return big(body, (index, low_value, high_value))

    def gradient(self):
        self.take("\\nabla")
        if self.peek() == "_":
            self.take()
            self.raw_group()  # ∇_w f(w): the variable is the function's own argument
        name = self.take()
        if name == "\\mathcal":
            name = "\\mathcal{" + self.raw_group() + "}"
        if name not in self.context.gradients and name not in self.context.functions:
            raise Unread("the gradient of a function not defined above")
        return self.apply(name, derivative=True)

    def apply(self, name: str, derivative: bool = False):
        if self.peek() not in ("(", "["):
            raise Unread("a function without its argument")
        closer = ")" if self.take() == "(" else "]"
        argument = self.sum()
        self.take(closer)
        if derivative:
            if name in self.context.gradients:
                own, value = self.context.gradients[name]
            else:
                own, body = self.context.functions[name]
                value = sympy.diff(body, own)
        else:
            own, value = self.context.functions[name]
        return value.xreplace({own: argument})

    def named(self, name: str):
        """A name with its scripts: a sequence's iterate, a function's value, a starred constant, a plain name."""
        context = self.context
        if self.peek() == "'" and name in context.functions:
            self.take()
            return self.apply(name, derivative=True)
        if name in context.functions and self.peek() in ("(",):
            return self.apply(name)
        style = context.sequences.get(name) if name not in context.plain else None
        if self.peek() == "_":
            self.take()
            text = self.raw_group()
            if text.replace(" ", "") in _STAR:
                return self.plain_name(f"{name}^*")
            if style == "sub":
                return self.iterate(name, text)
            if not re.fullmatch(r"[A-Za-z0-9]+|\\[A-Za-z]+", text):
                raise Unread("a subscript that is no name")
            if text in self.bound or (len(text) == 1 and text.isalpha() and text in self.indices):
                raise Unread("an indexed name that is no sequence of the update")
            name = f"{name}_{{{text}}}"
            style = None
        if self.peek() == "^":
            start = self.at
            self.take()
            text = self.raw_group()
            if text.replace(" ", "") in _STAR:
                return self.after_name(self.plain_name(f"{name}^*"), name)
            if style == "psup" and re.fullmatch(r"\(.*\)", text):
                return self.iterate(name, text[1:-1])
            if style == "sup" and text not in _TRANSPOSE:
                return self.iterate(name, text)
            self.at = start
        if style is not None:
            raise Unread("a sequence without its index")
        if name in _FUNCTION_LETTERS and self.peek() in ("(", "["):
            raise Unread("an application of a function not defined above")
        return self.plain_name(name)

    def after_name(self, value, name):
        if name in _FUNCTION_LETTERS and self.peek() in ("(", "["):
            raise Unread("an application of a function not defined above")
        return value

    def iterate(self, name: str, text: str):
        index = index_value(text, self.bound)
        self.indices |= {s.name for s in index.free_symbols if not isinstance(s, sympy.Dummy)}
        return sequence(name)(index)


def index_value(text: str, bound: dict):
    """``k+1``, ``t-1``, ``0``, ``t-i`` as an integer expression (letters free or bound by a sum)."""
    text = text.replace(" ", "")
    if not re.fullmatch(r"[-+]?(?:\d+|\\?[A-Za-z]+)(?:[-+](?:\d+|\\?[A-Za-z]+))*", text) or len(text) > 12:
        raise Unread(f"an index not read: {text!r}")
    value = sympy.Integer(0)
    for sign, part in re.findall(r"([-+]?)(\d+|\\?[A-Za-z]+)", text):
        term = sympy.Integer(part) if part.isdigit() else bound.get(part) or sympy.Symbol(part, integer=True)
        if part.startswith("\\") and part not in bound:
            raise Unread("a command in an index")
        value = value - term if sign == "-" else value + term
    return value


def read_side(tex: str, context: Context):
    """(value, plain names, free index letters) of one side, or raise Unread."""
    reader = Reader(tex, context)
    value = reader.read()
    return value, reader.names, reader.indices


# --- what a document's update rules are ----------------------------------------------------------------------

_SEQUENCE_LEFT = re.compile(
    r"^\s*((?:\\(?:hat|bar|tilde|widehat|overline|widetilde|check)\s*\{?\s*)?"
    r"(?:\\mathbf|\\boldsymbol|\\bm|\\vec)?\s*\{?\s*(?:\\[A-Za-z]+|[A-Za-z])\s*\}?\s*\}?)\s*"
    r"(?:_\s*\{\s*([A-Za-z])\s*([+-]\s*\d)?\s*\}|_\s*([A-Za-z])|\^\s*\{\s*\(\s*([A-Za-z])\s*([+-]\s*\d)?\s*\)\s*\}"
    r"|\^\s*\{\s*([A-Za-z])\s*([+-]\s*\d)?\s*\}|\^\s*([A-Za-z]))\s*$")


def sequence_left(tex: str):
    """(name, style, index letter, offset) of a left side that is one iterate at a symbolic index, or None."""
    found = _SEQUENCE_LEFT.match(normalise(tex))
    if not found:
        return None
    name = _canonical(found.group(1))
    if name is None:
        return None
    groups = found.groups()
    for style, letter, shift in (("sub", groups[1], groups[2]), ("sub", groups[3], None), ("psup", groups[4], groups[5]),
                                 ("sup", groups[6], groups[7]), ("sup", groups[8], None)):
        if letter:
            if letter in ("T",) and style == "sup":
                return None  # w^T: a transpose as often as an iterate
            return name, style, letter, int((shift or "0").replace(" ", ""))
    return None


def _canonical(written: str) -> str | None:
    """The name as the reader spells it (fonts dropped, an accent kept: ``\\hat{m}``)."""
    text = normalise(written).replace(" ", "").replace("{", "").replace("}", "")
    found = re.fullmatch(r"(\\(?:hat|bar|tilde|widehat|overline|widetilde|check))?(\\[A-Za-z]+|[A-Za-z])", text)
    if not found:
        return None
    base = found.group(2)
    if base.startswith("\\") and base[1:] not in GREEK:
        return None
    return f"{found.group(1)}{{{base}}}" if found.group(1) else base


def sequence_refs(tex: str, name: str, style: str) -> list:
    """The indices (as written) at which ``tex`` uses the sequence ``name`` in ``style``."""
    text = normalise(tex)
    if name.startswith("\\") and "{" in name:  # an accent: \hat{m}, \hat m
        accent, base = name[:name.index("{")], name[name.index("{") + 1:-1]
        head = re.escape(accent) + r"\s*\{?\s*" + re.escape(base) + r"\s*\}?"
    elif name.startswith("\\"):
        head = r"\{?" + re.escape(name) + r"(?![A-Za-z])\s*\}?"
    else:
        head = r"(?<![A-Za-z\\])\{?" + re.escape(name) + r"\}?"
    script = {"sub": r"_\s*(\{[^{}]*\}|[A-Za-z0-9])", "sup": r"\^\s*(\{[^{}]*\}|[A-Za-z0-9])",
              "psup": r"\^\s*\{\s*\(([^{}]*)\)\s*\}"}[style]
    return [m.group(1).strip("{} ") for m in re.finditer(head + r"\s*" + script, text)]


def inputs_of(tex: str, letter: str, known: dict) -> dict:
    """Names on a right side indexed with the iteration's letter (``g_t``, ``\\xi_{k}``, ``x^{(k)}``): its inputs."""
    found = {}
    text = normalise(tex)
    pattern = re.compile(r"((?:\\(?:hat|bar|tilde)\s*\{?\s*)?(?:\\[A-Za-z]+|(?<![A-Za-z\\])[A-Za-z])\}?)\s*"
                         r"(_\s*\{\s*" + letter + r"\s*(?:[+-]\s*\d)?\s*\}|_\s*" + letter + r"(?![A-Za-z])|\^\s*\{\s*\(\s*"
                         + letter + r"\s*(?:[+-]\s*\d)?\s*\)\s*\})")
    for m in pattern.finditer(text):
        name = _canonical(m.group(1))
        if name is None or name in known or name in ("\\sum", "\\prod", "\\nabla"):
            continue
        found[name] = "psup" if m.group(2).startswith("^") else "sub"
    return found


# --- the system in force at a line ---------------------------------------------------------------------------

@dataclass
class Definition:
    name: str
    offset: int  # S_{n + offset} = value
    value: object  # in the symbol of the iteration's letter
    line: int
    recurrent: bool


@dataclass(eq=False)
class System:
    letter: sympy.Symbol
    context: Context
    definitions: dict = field(default_factory=dict)  # name -> Definition
    inputs: set = field(default_factory=set)
    initial: dict = field(default_factory=dict)  # (name, index) -> value stated by the document
    constants: dict = field(default_factory=dict)  # symbol -> value (w^* = b / λ)
    parameters: set = field(default_factory=set)
    conflicted: set = field(default_factory=set)  # states the document defines twice, differently

    def states(self) -> set:
        return {n for n, d in self.definitions.items() if d.recurrent}

    def first(self, name: str) -> int:
        """The first index the update computes (below it: initial values)."""
        definition = self.definitions[name]
        own = [a.args[0] - self.letter for a in definition.value.atoms(sympy.core.function.AppliedUndef)
               if sequence_name(a) == name]
        lowest = min((int(o) for o in own if o.is_Integer), default=definition.offset - 1)
        return max(0, definition.offset - lowest)


class Evaluator:
    """Iterates of a system at one draw: parameters, inputs and initial values exact."""

    def __init__(self, system: System, point: dict, seed: int, zero_start: bool):
        self.system, self.point, self.seed, self.zero_start = system, point, seed, zero_start
        self.memo: dict = {}
        self.literal: set = set()  # initial iterates the checked line writes itself (w^0): drawn, never zero

    def iterate(self, name: str, index: int):
        key = (name, index)
        if key in self.memo:
            return self.memo[key]
        if index < 0 or index > 40:
            raise Unread("an index out of range")
        self.memo[key] = None  # a cycle reads as undecided
        system = self.system
        if key in system.initial:
            value = self.value(system.initial[key], {})
        elif name in system.inputs:
            value = _DRAWS[(7 * self.seed + 3 * index + len(name)) % len(_DRAWS)]
        else:
            definition = system.definitions.get(name)
            if definition is None:
                raise Unread("a sequence with no definition")
            if definition.recurrent and index < system.first(name):
                zero = self.zero_start and key not in self.literal
                value = sympy.Integer(0) if zero else _STARTS[(5 * self.seed + index + len(name)) % len(_STARTS)]
            else:
                value = self.value(definition.value, {system.letter: sympy.Integer(index - definition.offset)})
        self.memo[key] = value
        return value

    def value(self, expr, at: dict):
        expr = expr.xreplace(at) if at else expr
        expr = expand_bigs(expr)
        calls = {}
        for applied in expr.atoms(sympy.core.function.AppliedUndef):
            name = sequence_name(applied)
            if name is None or not applied.args[0].is_Integer:
                raise Unread("an application left")
            found = self.iterate(name, int(applied.args[0]))
            if found is None:
                raise Unread("undecided")
            calls[applied] = found
        expr = expr.xreplace(calls).xreplace(self.system.constants).xreplace(self.system.constants)
        expr = expr.xreplace(self.point)
        if expr.free_symbols:
            raise Unread("a name not bound")
        return expr


_DRAWS = [sympy.Rational(p, q) for p, q in ((3, 5), (-2, 3), (7, 4), (1, 6), (-5, 2), (4, 3), (2, 9), (-1, 4), (5, 7),
                                             (3, 2), (-4, 5), (9, 8), (1, 3))]
_STARTS = [sympy.Rational(p, q) for p, q in ((5, 3), (-3, 4), (2, 7), (11, 5), (-1, 6))]


def expand_bigs(expr):
    """Sums and products with integer limits written out term by term (an empty range: 0 or 1)."""
    if not isinstance(expr, sympy.Basic) or not expr.has(sympy.Sum, sympy.Product):
        return expr
    if isinstance(expr, (sympy.Sum, sympy.Product)):
        body = expand_bigs(expr.function)
        (index, low, high), = expr.limits
        if not (low.is_Integer and high.is_Integer) or high - low > 60:
            raise Unread("a sum whose range is not decided")
        terms = [body.xreplace({index: sympy.Integer(j)}) for j in range(int(low), int(high) + 1)]
        return sympy.Add(*terms) if isinstance(expr, sympy.Sum) else sympy.Mul(*terms)
    return expr.func(*[expand_bigs(a) for a in expr.args])


# --- reading a document's lines into systems, and checking each later line against them -----------------------

_APPROXIMATE = re.compile(r"\b(?:approximately|approx\.?|roughly|asymptotic\w*|for large|as \S+ grows|in the limit|"
                          r"about|nearly|close to|of order|to first order|heuristic\w*|bound\w*|at most|at least|"
                          r"converges?|upper|lower)\b", re.IGNORECASE)
_APPROXIMATE_MATH = re.compile(r"\\(?:approx|simeq|sim|lesssim|gtrsim|le|leq|ge|geq|lim|to|rightarrow|propto|asymp)(?![A-Za-z])"
                               r"|\bO\s*\(|\\mathcal\s*\{?O\}?|[<>≤≥≈]")
_NEW_METHOD = re.compile(r"\b(?:instead|alternative\w*|variant|modif\w*|nesterov|another|different|consider|suppose|"
                         r"replac\w*|new|now use|if we|we could|adam|rmsprop|adagrad|newton|heavy|accelerat\w*|"
                         r"with a (?:larger|smaller|different)|for comparison|compare|wrong\w*|"
                         r"incorrect\w*|naive\w*|mistaken\w*|bug\w*)\b", re.IGNORECASE)
_RESTATED = re.compile(r"\b(?:substitut\w*|plugging|plug\w* in|expand\w*|that is|i\.e\.|in other words|equivalently|"
                       r"gives|becomes|reads|rewrit\w*|written as|simplif\w*|which is|so that|so the update|thus|hence|"
                       r"therefore)\b", re.IGNORECASE)
_INITIAL = re.compile(r"\b(?:initiali[sz]\w*|start\w*|begin\w*|init)\b", re.IGNORECASE)
_ONE_STEP = re.compile(r"\b(?:after|first|second|two|one|step|steps|iterat\w*|unroll\w*|expand\w*)\b", re.IGNORECASE)
_FUNCTION_LEFT = re.compile(r"^\s*(\\nabla\s*(?:_\s*(?:\{[^{}]*\}|\\?[A-Za-z]+))?\s*)?((?:\\mathcal\s*\{?[A-Z]\}?|"
                            r"\\[A-Za-z]+|[A-Za-z]))\s*('?)\s*\(\s*((?:\\[A-Za-z]+|[A-Za-z]))\s*\)\s*$")
_CONSTANT_LEFT = re.compile(r"^\s*((?:\\[A-Za-z]+|[A-Za-z]))\s*(?:\^\s*\{?\s*(?:\\star|\*|\\ast)\s*\}?|_\s*\{?\s*"
                            r"(?:\\star|\*|\\ast)\s*\}?)\s*$")
_CONCRETE_LEFT = re.compile(r"^\s*(.+?)\s*(?:_\s*\{?\s*(\d+)\s*\}?|\^\s*\{\s*\(\s*(\d+)\s*\)\s*\}|\^\s*\{?\s*(\d+)\s*\}?)\s*$")


class Systems:
    """Every update a document defines, in the order it defines them, and what its later lines state of them."""

    def __init__(self, doc):
        self.doc = doc
        self.context = Context()
        self.systems: dict = {}  # the iteration's letter -> System
        self.findings: dict = {}  # line index -> message
        for line in doc.lines:  # the states first (momentum reads w^k in z's update before w's own)
            try:
                for clause in split_clauses(line.text):
                    if clause.relations and clause.relations[0] in ("=", ":=") and len(clause.sides) > 1:
                        found = sequence_left(clause.sides[0])
                        if found and sequence_refs(clause.sides[1], found[0], found[1]):
                            self.context.sequences.setdefault(found[0], found[1])
            except Exception as error:  # noqa: BLE001
                _loud(error)
                continue
        self.done = 0  # doc.lines visited so far
        self.broken = False  # a visit cut short by the time limit: nothing more is said

    def finding(self, line) -> str | None:
        """The message for ``line``, visiting the document's lines up to it (in order) first."""
        while not self.broken and self.done < len(self.doc.lines) and self.doc.lines[self.done].line <= line.line:
            current = self.doc.lines[self.done]
            self.broken = True
            try:
                self.visit(current)
            except Exception as error:  # noqa: BLE001 -- a defect reading one line leaves that line alone
                _loud(error)
            self.broken = False
            self.done += 1
        return None if self.broken else self.findings.get(line.index)

    # --- reading definitions ---

    def system_of(self, name: str):
        for system in self.systems.values():
            if name in system.definitions:
                return system
        for system in self.systems.values():
            if name in system.inputs:
                return system
        return None

    def visit(self, line) -> None:
        try:
            clauses = [c for c in split_clauses(line.text) if c.relations]
        except Exception as error:  # noqa: BLE001
            _loud(error)
            return
        statement = line.statement
        words = line.lead + " " + (getattr(statement, "after", "") or "")[:80]
        quiet = bool(_APPROXIMATE.search(words) or _APPROXIMATE_MATH.search(line.text))
        defined_here = []
        for clause in clauses:
            if clause.relations[0] not in ("=", ":=", "≜", "≡") or len(clause.sides) < 2:
                continue
            kind = self.define(clause, line, quiet)
            if kind:
                defined_here.append(kind)
        if quiet:
            return
        for clause in clauses:
            if any(r != "=" for r in clause.relations[:1]) or len(clause.sides) < 2:
                continue
            for j in range(1, len(clause.sides)):
                if clause.relations[j - 1] not in ("=", ":=") or any(r != "=" for r in clause.relations[1:j]):
                    break
                message = self.check(line, clause, j)
                if message and line.index not in self.findings:
                    self.findings[line.index] = message

    def define(self, clause, line, quiet: bool):
        left, right = clause.sides[0], clause.sides[1]
        function = _FUNCTION_LEFT.match(normalise(left))
        if function:
            gradient, name, prime, argument = function.groups()
            if name == "\\mathcal":
                return None
            context = Context(self.context.sequences, self.context.functions, self.context.gradients,
                              frozenset({argument}))
            try:
                value = Reader(right, context).read()
            except Exception as error:  # noqa: BLE001
                _loud(error)
                return None
            table = self.context.gradients if gradient or prime else self.context.functions
            if name in table and sympy.simplify(table[name][1].xreplace({table[name][0]: symbol(argument)}) - value) != 0:
                table[name] = (symbol(argument), sympy.nan)  # defined twice, differently: not read
                return None
            table[name] = (symbol(argument), value)
            return "function"
        constant = _CONSTANT_LEFT.match(normalise(left))
        if constant and not quiet:
            try:
                value, names, _ = read_side(right, self.context)
            except Exception as error:  # noqa: BLE001
                _loud(error)
                return None
            if value.atoms(sympy.core.function.AppliedUndef):
                return None
            key = symbol(f"{_canonical(constant.group(1))}^*")
            for system in self.systems.values():
                system.constants[key] = sympy.nan if key in system.constants and system.constants[key] != value else value
            self._constants = getattr(self, "_constants", {})
            self._constants[key] = value
            return "constant"
        found = sequence_left(left)
        if found is None:
            return self.initial(clause, line)
        name, style, letter, offset = found
        if self.context.sequences.get(name, style) != style:
            return None
        own = sequence_refs(right, name, style)
        system = self.system_of(name)
        if not own:
            defined = system is not None and name in system.definitions
            return None if defined else self.auxiliary(name, style, letter, offset, right, line)
        if system is not None:
            return None  # a second update of a state: checked as a restatement (check)
        if letter in self.systems:
            system = self.systems[letter]
        else:
            system = System(sympy.Symbol(letter, integer=True), self.context)
            system.constants.update(getattr(self, "_constants", {}))
            self.systems[letter] = system
        self.context.sequences[name] = style
        if not self._define(system, name, letter, offset, right, line, True):
            system.conflicted.add(name)
            system.definitions[name] = Definition(name, offset, sympy.nan, line.line, True)
        return "update"

    def _define(self, system, name, letter, offset, right, line, recurrent: bool) -> bool:
        """``name`` defined in ``system`` by the formula ``right`` (its other sequences the system's inputs); False
        where the formula is not read."""
        for input_name, input_style in inputs_of(right, letter, self.context.sequences).items():
            self.context.sequences.setdefault(input_name, input_style)
            system.inputs.add(input_name)
        try:
            value, _, _ = read_side(right, self.context)
        except Exception as error:  # noqa: BLE001
            _loud(error)
            return False
        value = value.xreplace({symbol(letter): system.letter})
        system.definitions[name] = Definition(name, offset, value, line.line, recurrent)
        system.inputs.discard(name)
        system.parameters |= {v for v in value.free_symbols if not isinstance(v, sympy.Dummy) and v.name != letter}
        return True

    def auxiliary(self, name, style, letter, offset, right, line):
        """``g_t = \\nabla f(\\theta_{t-1})``: a sequence given by a formula of the states (not itself)."""
        system = self.systems.get(letter)
        if system is None or not system.states():
            return None
        mentions = any(sequence_refs(right, s, self.context.sequences[s]) for s in system.definitions
                       if s in self.context.sequences)
        if not mentions or symbol(name) in system.parameters:
            return None  # a name the update above already reads as a plain one (g^k as a power): left as read
        self.context.sequences.setdefault(name, style)
        if not self._define(system, name, letter, offset, right, line, False):
            self.context.sequences.pop(name, None)
            return None
        return "auxiliary"

    def initial(self, clause, line):
        """``v_0 = 0``, ``w^{0} = 1``: an initial value the document states."""
        found = _CONCRETE_LEFT.match(normalise(clause.sides[0]))
        if not found:
            return None
        name = _canonical(found.group(1))
        index = int(next(g for g in found.groups()[1:] if g is not None))
        system = self.system_of(name) if name else None
        if system is None or name not in system.states():
            return None
        try:
            value, names, _ = read_side(clause.sides[1], self.context)
        except Exception as error:  # noqa: BLE001
            _loud(error)
            return None
        if any(sequence_name(a) in system.states() for a in value.atoms(sympy.core.function.AppliedUndef)):
            return None  # the iterate after some steps, written out: checked
        if index < system.first(name) or (_INITIAL.search(line.lead) and not _ONE_STEP.search(line.lead)):
            if (name, index) in system.initial and system.initial[(name, index)] != value:
                system.conflicted.add(name)
            system.initial[(name, index)] = value
            return "initial"
        return None

    # --- checking a later line ---

    def check(self, line, clause, j: int) -> str | None:
        left, right = clause.sides[0], clause.sides[j]
        try:
            a, names_a, free_a = read_side(left, self.context)
            b, names_b, free_b = read_side(right, self.context)
        except Exception as error:  # noqa: BLE001
            _loud(error)
            return None
        used = {sequence_name(x) for e in (a, b) for x in e.atoms(sympy.core.function.AppliedUndef)}
        if None in used or not used:
            return None
        owners = {self.system_of(n) for n in used}
        if len(owners) != 1 or None in owners:
            return None
        system = owners.pop()
        if not used & system.states() or used & system.conflicted:
            return None
        own = sequence_left(left)
        if j == 1 and own is not None and own[0] in system.definitions and system.definitions[own[0]].line == line.line:
            return None  # the definition itself (a chain's later sides are checked)
        letters = free_a | free_b
        if not letters and system.letter.name in names_a | names_b:
            letters = {system.letter.name}
        if len(letters) > 1:
            return None
        letter = next(iter(letters)) if letters else None
        plain = (names_a | names_b) - {letter}
        self.fixed_points(system, plain)
        bound = {s.name for s in system.parameters} | {s.name for s, v in system.constants.items() if v is not sympy.nan}
        if not plain <= bound:
            return None  # a name the update does not bind
        if _NEW_METHOD.search(line.lead):
            own = sequence_left(left)
            if own is not None and own[0] in system.states():
                system.conflicted.add(own[0])
            return None
        concrete = _CONCRETE_LEFT.match(normalise(left))
        if concrete and j == 1 and _canonical(concrete.group(1)) in system.states() and not _ONE_STEP.search(line.lead) \
                and not any(sequence_name(x) in system.states() for x in b.atoms(sympy.core.function.AppliedUndef)):
            return None  # m_1 = g_1 with no word of steps: a start as often as a step written out
        own = sequence_left(left)
        if own is not None and own[0] in system.states() and j == 1:
            name = own[0]
            recurrent = bool(sequence_refs(right, name, self.context.sequences[name]))
            index = sympy.Symbol(letter, integer=True) if letter else None
            closed = (b.has(sympy.Sum, sympy.Product) or _index_in_exponent(b, letter)
                      or any(x.args[0].is_Integer for x in b.atoms(sympy.core.function.AppliedUndef)))
            if (recurrent and not _RESTATED.search(line.lead)) or (not recurrent and not closed) or index is None:
                system.conflicted.add(name)  # a new update of the same state: later lines are left alone
                return None
            verdict = self.compare(system, a, b, letter)
            if verdict is not None:
                system.conflicted.add(name)
            return verdict
        return self.compare(system, a, b, letter)

    def fixed_points(self, system: System, plain: set) -> None:
        """w^* not defined by the document: the update's unique fixed point (no inputs), when there is one."""
        wanted = [n for n in plain if n.endswith("^*") and symbol(n) not in system.constants
                  and n[:-2] in system.states()]
        if not wanted or system.inputs or system.conflicted:
            return
        unknowns = {n: symbol(f"⟪{n}⟫") for n in system.definitions}
        equations = []
        for name, definition in system.definitions.items():
            value = definition.value.replace(lambda e: isinstance(e, sympy.core.function.AppliedUndef)
                                             and sequence_name(e) in unknowns,
                                             lambda e: unknowns[sequence_name(e)])
            if value.has(sympy.core.function.AppliedUndef) or value.has(system.letter):
                return
            equations.append(sympy.Eq(unknowns[name], value))
        try:
            solutions = sympy.solve(equations, list(unknowns.values()), dict=True)
        except Exception as error:  # noqa: BLE001
            _loud(error)
            return
        if len(solutions) != 1 or set(solutions[0]) != set(unknowns.values()):
            return
        for n in wanted:
            system.constants[symbol(n)] = solutions[0][unknowns[n[:-2]]]

    def compare(self, system: System, a, b, letter) -> str | None:
        from derivspec.scan.rules import values

        params = set(system.parameters)
        for c, v in system.constants.items():
            if (a.has(c) or b.has(c)) and isinstance(v, sympy.Basic) and v is not sympy.nan:
                params |= {s for s in v.free_symbols if not isinstance(s, sympy.Dummy)}
        params -= {system.letter, symbol(system.letter.name)}
        probe = sympy.Add(a, b, *[d.value for d in system.definitions.values() if d.value is not sympy.nan])
        probe = probe.replace(lambda e: isinstance(e, sympy.core.function.AppliedUndef), lambda e: sympy.Integer(2))
        ranges = {s: r for s, r in values.ranges(probe, _Names(), self.doc.text).items() if s in params}
        ranges.update({s: "positive" for s in params if s not in ranges})
        literal = {(sequence_name(x), int(x.args[0])) for e in (a, b)
                   for x in e.atoms(sympy.core.function.AppliedUndef) if x.args[0].is_Integer}
        unstated = [n for n in system.states() if not any(key[0] == n for key in system.initial)]
        draws = values.draws(ranges, 3) if ranges else [{}, {}, {}]
        seen = None
        for zero in ([False, True] if unstated else [False]):
            decided, off, trivial = 0, [], True
            for seed, point in enumerate(draws[:2] if letter is not None else draws):
                for k in (STEPS if letter is not None else [None]):
                    evaluator = Evaluator(system, point, seed, zero)
                    evaluator.literal = literal
                    at = {sympy.Symbol(letter, integer=True): sympy.Integer(k), symbol(letter): sympy.Integer(k)} \
                        if letter is not None else {}
                    try:
                        x, y = evaluator.value(a, at), evaluator.value(b, at)
                    except Exception as error:  # noqa: BLE001
                        _loud(error)
                        continue
                    same = _same(x, y)
                    if same is None:
                        continue
                    states = [v for (n, _), v in evaluator.memo.items() if n in system.states()]
                    trivial = trivial and all(v == 0 for v in states)
                    if k is not None and k < 2:
                        continue  # a first index the line may leave out (for k >= 1)
                    decided += 1
                    if not same:
                        off.append((k, point, x, y))
            if zero and trivial:
                return None  # a zero start leaves every iterate at zero: the line relies on initial values not stated
            if decided < (3 if letter is not None else 2) or len(off) < decided:
                return None
            seen = seen or off[0]
        k, point, x, y = seen
        where = ", ".join(f"{s.name} = {v}" for s, v in point.items())
        at = (f"{letter} = {k}" + (", " if where else "")) if letter is not None else ""
        lines = sorted({d.line for d in system.definitions.values()})
        return (f"this does not follow from the update at line {', '.join(map(str, lines))}: iterating it gives "
                f"{values.number(x)}, the line gives {values.number(y)} (at {at}{where})")


class _Names:
    latex: dict = {}


def _index_in_exponent(expr, letter) -> bool:
    if letter is None:
        return False
    wanted = (symbol(letter), sympy.Symbol(letter, integer=True))
    return any(isinstance(p, sympy.Pow) and p.exp.has(*wanted) for p in sympy.preorder_traversal(expr))


def _same(x, y):
    """True / False when decided (exactly for rationals, at 30 digits beyond round-off otherwise), None if not."""
    try:
        if x.is_Rational and y.is_Rational:
            return x == y
        with mpmath.workdps(30):
            a, b = sympy.N(x, 30), sympy.N(y, 30)
            if not (a.is_real and b.is_real and a.is_finite and b.is_finite):
                return None
            a, b = mpmath.mpf(str(a)), mpmath.mpf(str(b))
            return abs(a - b) <= mpmath.mpf("1e-20") * (1 + abs(a) + abs(b))
    except Exception as error:  # noqa: BLE001
        _loud(error)
        return None


def systems(doc) -> Systems:
    found = getattr(doc, "_iterates", None)
    if found is None:
        found = Systems(doc)
        doc._iterates = found
    return found
