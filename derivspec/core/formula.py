"""Read a ``--formula`` (SymPy/Python syntax, claim symbol names) without ``eval``.

The text is parsed by Python's ``ast`` module and the tree is walked with a whitelist:
numbers (read exactly: ``0.1`` is 1/10, ``1e-5`` is 1/100000), the claim's names, ``+ - * / **``
(``^`` is read as ``**``, with the precedence of a power, as in maths), unary signs, and the
functions in ``FUNCTIONS``. Anything else is a :class:`FormulaError` naming what was not
understood. The grammar, the limits and the conventions are documented in ``docs/check.md``.

Limits (they keep exact evaluation finite; see :func:`exact_number` and :func:`power`):
an exact number may have at most ``MAX_DIGITS`` digits in its numerator and denominator, a
decimal exponent at most ``MAX_DECIMAL_EXPONENT``, a numeric power at most ``MAX_EXPONENT``;
a formula at most ``MAX_LENGTH`` characters.
"""

from __future__ import annotations

import ast
import math
import re
from typing import Mapping

import sympy

from derivspec.core.errors import FormulaError

MAX_EXPONENT = 1000  # larger numeric exponents would make exact evaluation hang
MAX_DIGITS = 1000  # digits of an exact number's numerator or denominator
MAX_DECIMAL_EXPONENT = 1000  # 1e-1000 is the smallest decimal literal read, 1e1000 the largest
MAX_LENGTH = 200_000  # characters of a formula


def _sigmoid(z):
    return 1 / (1 + sympy.exp(-z))


def _softplus(z):
    return sympy.log(1 + sympy.exp(z))


def _logsumexp(*terms):
    return sympy.log(sympy.Add(*(sympy.exp(t) for t in terms)))


def _relu(z):
    return sympy.Max(z, 0)


# name -> (function, minimum number of arguments, maximum number of arguments or None)
FUNCTIONS = {
    "log": (lambda x, base=None: sympy.log(x) if base is None else sympy.log(x, base), 1, 2),
    "ln": (sympy.log, 1, 1),
    "log2": (lambda x: sympy.log(x, 2), 1, 1),
    "log10": (lambda x: sympy.log(x, 10), 1, 1),
    "log1p": (lambda x: sympy.log(1 + x), 1, 1),
    "exp": (sympy.exp, 1, 1),
    "expm1": (lambda x: sympy.exp(x) - 1, 1, 1),
    "sqrt": (sympy.sqrt, 1, 1),
    "abs": (sympy.Abs, 1, 1),
    "Abs": (sympy.Abs, 1, 1),
    "sign": (sympy.sign, 1, 1),
    "sgn": (sympy.sign, 1, 1),
    "heaviside": (sympy.Heaviside, 1, 1),
    "Heaviside": (sympy.Heaviside, 1, 1),
    "max": (sympy.Max, 2, None),
    "Max": (sympy.Max, 2, None),
    "min": (sympy.Min, 2, None),
    "Min": (sympy.Min, 2, None),
    "relu": (_relu, 1, 1),
    "sigmoid": (_sigmoid, 1, 1),
    "softplus": (_softplus, 1, 1),
    "logsumexp": (_logsumexp, 1, None),
    "tanh": (sympy.tanh, 1, 1),
    "sinh": (sympy.sinh, 1, 1),
    "cosh": (sympy.cosh, 1, 1),
    "sin": (sympy.sin, 1, 1),
    "cos": (sympy.cos, 1, 1),
    "tan": (sympy.tan, 1, 1),
    "erf": (sympy.erf, 1, 1),
    "gamma": (sympy.gamma, 1, 1),
    "loggamma": (sympy.loggamma, 1, 1),
    "lgamma": (sympy.loggamma, 1, 1),
    "factorial": (lambda x: factorial(x), 1, 1),
    "binomial": (lambda n, k: binomial(n, k), 2, 2),
    "sech": (sympy.sech, 1, 1),
    "atanh": (sympy.atanh, 1, 1),
    "arctanh": (sympy.atanh, 1, 1),
    "asinh": (sympy.asinh, 1, 1),
    "acosh": (sympy.acosh, 1, 1),
    "atan": (sympy.atan, 1, 1),
    "arctan": (sympy.atan, 1, 1),
}
CONSTANTS = {"pi": sympy.pi, "E": sympy.E, "e": sympy.E}

# Characters pasted from PDFs and word processors, read as the ASCII operators they print as.
UNICODE_OPERATORS = {
    "\u2212": "-", "\u2013": "-", "\u00d7": "*", "\u00b7": "*", "\u22c5": "*", "\u2219": "*",
    "\u00f7": "/", "\u00b2": "**2", "\u00b3": "**3", "\u00a0": " ", "\u2009": " ", "\u202f": " ",
}
GREEK = {
    "α": "alpha", "β": "beta", "γ": "gamma", "δ": "delta", "ε": "epsilon", "ϵ": "epsilon",
    "ζ": "zeta", "η": "eta", "θ": "theta", "κ": "kappa", "λ": "lambda", "μ": "mu", "ν": "nu",
    "ξ": "xi", "π": "pi", "ρ": "rho", "σ": "sigma", "τ": "tau", "φ": "phi", "ϕ": "phi",
    "χ": "chi", "ψ": "psi", "ω": "omega",
}

_NUMBER = re.compile(r"(?P<int>\d[\d_]*)?(?:\.(?P<frac>\d[\d_]*)?)?(?:[eE](?P<exp>[+-]?\d[\d_]*))?")


def exact_number(text: str, what: str = "number") -> sympy.Rational:
    """A decimal literal (``12``, ``0.5``, ``.5``, ``1e-5``, ``2.5E+3``) or ``p/q`` as an exact
    rational, refusing values with more than MAX_DIGITS digits or a decimal exponent beyond
    MAX_DECIMAL_EXPONENT *before* building them (1e-9999999999 would take hours)."""
    text = text.strip()
    sign = 1
    if text[:1] in "+-":
        sign, text = (-1 if text[0] == "-" else 1), text[1:].lstrip()
    if "/" in text:
        numerator, _, denominator = text.partition("/")
        value = exact_number(numerator, what) / exact_number(denominator, what) if exact_number(
            denominator, what) != 0 else None
        if value is None:
            raise FormulaError(f"{what} {text!r} divides by zero")
        return sign * value
    match = _NUMBER.fullmatch(text)
    if not text or match is None or not (match.group("int") or match.group("frac")):
        raise FormulaError(f"{what} {text!r} is not a number")
    whole = (match.group("int") or "0").replace("_", "")
    fraction = (match.group("frac") or "").replace("_", "")
    exponent_text = (match.group("exp") or "0").replace("_", "")
    if len(exponent_text.lstrip("+-")) > 12:
        raise FormulaError(f"{what} {text!r} is out of range: its exponent has too many digits")
    exponent = int(exponent_text) - len(fraction)
    digits = (whole + fraction).lstrip("0") or "0"
    if len(digits) > MAX_DIGITS:
        raise FormulaError(f"{what} {text[:40]!r}... has {len(digits)} digits; the limit is {MAX_DIGITS}")
    if abs(int(exponent_text)) > MAX_DECIMAL_EXPONENT or abs(exponent) > MAX_DIGITS + MAX_DECIMAL_EXPONENT:
        raise FormulaError(f"{what} {text!r} is out of range: decimal exponents are limited to "
                           f"+-{MAX_DECIMAL_EXPONENT}")
    mantissa = int(digits)
    value = sympy.Integer(mantissa) * sympy.Integer(10) ** exponent if exponent >= 0 else \
        sympy.Rational(mantissa, 10 ** (-exponent))
    return sign * check_size(value)


def check_size(value: sympy.Expr) -> sympy.Expr:
    """Refuse an exact number (or a number SymPy folded into a sum or product) with more than
    MAX_DIGITS digits: exact evaluation and printing of such numbers are not bounded."""
    for number in (value, *getattr(value, "args", ())):
        if isinstance(number, sympy.Rational):
            bits = max(abs(int(number.p)).bit_length(), int(number.q).bit_length())
            if bits > MAX_DIGITS * math.log2(10) + 4:
                raise FormulaError(f"an exact number in the formula has about {int(bits * math.log10(2))} digits; "
                                   f"the limit is {MAX_DIGITS}")
    return value


MAX_FACTORIAL = 1000  # a number's factorial or binomial is computed exactly up to this


def factorial(value: sympy.Expr) -> sympy.Expr:
    """``value!``; a number's only for a whole number from 0 to MAX_FACTORIAL (computed exactly)."""
    if value.is_Number and (not value.is_Integer or value < 0 or value > MAX_FACTORIAL):
        raise FormulaError(f"the factorial of {value} is not read (a whole number from 0 to {MAX_FACTORIAL})")
    return sympy.factorial(value)


def binomial(n: sympy.Expr, k: sympy.Expr) -> sympy.Expr:
    """The binomial coefficient; numbers in it at most MAX_FACTORIAL in size (computed exactly)."""
    for value in (n, k):
        if value.is_Number and abs(value) > MAX_FACTORIAL:
            raise FormulaError(f"a binomial coefficient of {value} is not read (numbers up to {MAX_FACTORIAL})")
    return sympy.binomial(n, k)


def power(base: sympy.Expr, exponent: sympy.Expr) -> sympy.Expr:
    """``base**exponent``, refusing numeric exponents beyond MAX_EXPONENT (10**10**10 would
    hang the exact evaluation inside C code, where no time limit can interrupt it) and exact
    powers whose result would exceed MAX_DIGITS digits -- checked before computing them."""
    base, exponent = sympy.sympify(base), sympy.sympify(exponent)
    if exponent.is_Number and abs(exponent) > MAX_EXPONENT:
        raise FormulaError(f"exponent {exponent} is too large (the limit is {MAX_EXPONENT})")
    if base.is_Rational and exponent.is_Rational and base not in (0, 1, -1):
        digits = max(math.log10(abs(int(base.p))), math.log10(int(base.q)))
        if digits * abs(float(exponent)) >= MAX_DIGITS:
            raise FormulaError(f"the exact power {_short(base)}**{exponent} would have more than {MAX_DIGITS} digits")
    return check_size(base ** exponent)


def _short(value) -> str:
    text = str(value) if value.is_Integer and abs(value) < 10 ** 30 else "(a large number)"
    return text


def add(terms) -> sympy.Expr:
    """A sum built in one step (repeated ``a + b`` re-flattens every time: quadratic)."""
    return check_size(sympy.Add(*terms))


def multiply(factors) -> sympy.Expr:
    """A product built in one step, refusing exact numbers beyond the limit."""
    factors = list(factors)
    numbers = [f for f in factors if f.is_Rational]
    if len(numbers) > 1:
        bits = sum(max(abs(int(n.p)).bit_length(), int(n.q).bit_length()) for n in numbers)
        if bits > 2 * MAX_DIGITS * math.log2(10):
            raise FormulaError(f"a product of exact numbers in the formula would exceed {MAX_DIGITS} digits")
    return check_size(sympy.Mul(*factors))


def check_text(text: str, what: str = "formula") -> str:
    """Refuse text that is not valid Unicode (invalid UTF-8 arrives as lone surrogates) or is
    too long, and read pasted Unicode operators as ASCII."""
    if text is None or not text.strip():
        raise FormulaError(f"empty {what}")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise FormulaError(f"the {what} is not valid UTF-8 text") from None
    if len(text) > MAX_LENGTH:
        raise FormulaError(f"the {what} has {len(text)} characters; the limit is {MAX_LENGTH}")
    if "\x00" in text:
        raise FormulaError(f"the {what} contains a NUL character")
    return text


def parse_formula(text: str, names: Mapping[str, sympy.Symbol]) -> sympy.Expr:
    """Parse ``text`` with ``names`` (symbol name -> SymPy symbol) as its only variables."""
    text = check_text(text)
    if "#" in text:
        raise FormulaError("'#' starts a comment in Python, and a formula has no comments: remove it and what follows")
    for char, ascii_text in UNICODE_OPERATORS.items():
        text = text.replace(char, ascii_text)
    for char, name in GREEK.items():
        text = text.replace(char, name)
    text = " ".join(text.split()).replace("^", "**")
    longest = max((len(m) for m in re.findall(r"\d+", text)), default=0)
    if longest > MAX_DIGITS:
        raise FormulaError(f"a number in the formula has {longest} digits; the limit is {MAX_DIGITS}")
    chunks = _split_top_level(text, ("+", "-"))
    if len(chunks) > 1:  # a long sum: read term by term (Python's own parser recurses per '+')
        return add(_signed_chunk(chunk, names, ("*", "/")) for chunk in chunks)
    return _parse_chunk(text, names, ("*", "/"))


_SPLIT_ABOVE = 64  # operators at one level beyond which a chain is split before ast.parse


def _parse_chunk(text: str, names, split_on) -> sympy.Expr:
    if split_on:
        chunks = _split_top_level(text, split_on)
        if len(chunks) > 1:  # a long product, read factor by factor
            factors = []
            for chunk in chunks:
                op, body = chunk
                value = _parse_chunk(body, names, ())
                if op == "/":
                    if value == 0:
                        raise FormulaError(f"division by zero in {body!r}: the formula is undefined")
                    value = power(value, sympy.Integer(-1))
                factors.append(value)
            return multiply(factors)
    text = text.strip()
    try:
        tree = ast.parse(text, mode="eval")
    except SyntaxError as error:
        shown = text if len(text) <= 120 else text[:117] + "..."
        raise FormulaError(f"cannot parse formula: {error.msg} at column {error.offset} of {shown!r}") from None
    except (ValueError, MemoryError, RecursionError) as error:
        raise FormulaError(f"cannot parse formula: {error}") from None
    return _Reader(text, names).read(tree.body)


def _signed_chunk(chunk, names, split_on) -> sympy.Expr:
    op, body = chunk
    value = _parse_chunk(body, names, split_on)
    return multiply([sympy.Integer(-1), value]) if op == "-" else value


def _split_top_level(text: str, operators: tuple[str, ...]) -> list[tuple[str, str]]:
    """``text`` cut at its top-level binary ``operators`` when there are more than _SPLIT_ABOVE
    of them: [(operator before the chunk, chunk)], the first with operator ''. Unary signs,
    exponents of numbers (``1e-5``) and ``**`` are not cut. One chunk when there are few."""
    import io
    import tokenize

    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(text).readline))
    except (tokenize.TokenError, IndentationError, SyntaxError):
        return [("", text)]
    depth, cuts, previous = 0, [], None
    for token in tokens:
        if token.type == tokenize.OP and token.string in "([{":
            depth += 1
        elif token.type == tokenize.OP and token.string in ")]}":
            depth -= 1
        elif (token.type == tokenize.OP and token.string in operators and depth == 0 and previous is not None
              and (previous.type in (tokenize.NUMBER, tokenize.NAME) or previous.string in (")", "]"))):
            cuts.append(token)
        if token.type not in (tokenize.NL, tokenize.NEWLINE, tokenize.ENDMARKER, tokenize.INDENT, tokenize.DEDENT):
            previous = token
    if len(cuts) <= _SPLIT_ABOVE:
        return [("", text)]
    chunks, start, op = [], 0, ""
    for cut in cuts:
        column = cut.start[1]
        chunks.append((op, text[start:column]))
        op, start = cut.string, cut.end[1]
    chunks.append((op, text[start:]))
    if any(not body.strip() for _, body in chunks):
        return [("", text)]
    return chunks


class _Reader:
    def __init__(self, text: str, names: Mapping[str, sympy.Symbol]):
        self.text = text
        self.source = text.encode("utf-8")  # ast offsets are byte offsets into the UTF-8 text
        self.names = names

    def segment(self, node: ast.AST) -> str:
        if getattr(node, "lineno", 1) != 1 or getattr(node, "end_lineno", 1) != 1:
            return ast.get_source_segment(self.text, node) or type(node).__name__
        return self.source[node.col_offset:node.end_col_offset].decode("utf-8", "replace")

    def read(self, node: ast.AST) -> sympy.Expr:
        if isinstance(node, ast.Constant):
            return self._number(node)
        if isinstance(node, ast.Name):
            return self._name(node.id)
        if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Sub)):
            return add(self._terms(node))
        if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Mult, ast.Div)):
            return multiply(self._factors(node))
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Pow):
            return power(self.read(node.left), self.read(node.right))
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
            operand = self.read(node.operand)
            return multiply([sympy.Integer(-1), operand]) if isinstance(node.op, ast.USub) else operand
        if isinstance(node, ast.Call):
            return self._call(node)
        if isinstance(node, ast.Compare) and len(node.ops) == 1 and isinstance(node.ops[0], ast.Eq):
            raise FormulaError("'==' is a comparison: give the formula (or LHS = RHS with a single '=')")
        snippet = self.segment(node)
        raise FormulaError(f"unsupported construct {snippet!r} in formula "
                           f"(use + - * / ** and the functions {', '.join(FUNCTIONS)})")

    def _terms(self, node: ast.AST) -> list[sympy.Expr]:
        """The terms of a left-leaning chain ``a + b - c ...`` read iteratively (no deep recursion)."""
        terms = []
        while isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Sub)):
            right = self.read(node.right)
            terms.append(multiply([sympy.Integer(-1), right]) if isinstance(node.op, ast.Sub) else right)
            node = node.left
        terms.append(self.read(node))
        return terms[::-1]

    def _factors(self, node: ast.AST) -> list[sympy.Expr]:
        factors = []
        while isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Mult, ast.Div)):
            right = self.read(node.right)
            if isinstance(node.op, ast.Div):
                if right == 0:
                    raise FormulaError(f"division by zero in {self.segment(node)!r}: the formula is undefined")
                right = power(right, sympy.Integer(-1))
            factors.append(right)
            node = node.left
        factors.append(self.read(node))
        return factors[::-1]

    def _number(self, node: ast.Constant) -> sympy.Expr:
        value = node.value
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise FormulaError(f"unsupported literal {value!r} in formula")
        return exact_number(self.segment(node))

    def _name(self, name: str) -> sympy.Expr:
        if name in self.names:
            return self.names[name]
        if name in CONSTANTS:
            return CONSTANTS[name]
        if name.lower() in ("nan", "inf", "infinity", "oo", "zoo"):
            raise FormulaError(f"non-finite value {name!r} in formula")
        known = ", ".join(self.names)
        raise FormulaError(f"unknown symbol {name!r} in formula; this claim's symbols are: {known}")

    def _call(self, node: ast.Call) -> sympy.Expr:
        if not isinstance(node.func, ast.Name) or node.func.id not in FUNCTIONS:
            name = self.segment(node.func)
            raise FormulaError(f"unknown function {name!r} in formula; allowed: {', '.join(FUNCTIONS)}")
        function, least, most = FUNCTIONS[node.func.id]
        count = len(node.args)
        if node.keywords or any(isinstance(a, ast.Starred) for a in node.args) or count < least or (
                most is not None and count > most):
            wanted = (f"exactly {least} argument" + ("s" if least > 1 else "") if least == most else
                      f"{least} or {most} arguments" if most else f"at least {least} arguments")
            raise FormulaError(f"function {node.func.id!r} takes {wanted}")
        value = function(*(self.read(a) for a in node.args))
        return check_size(value)
