"""Read a ``--formula`` (SymPy/Python syntax, claim symbol names) without ``eval``.

The text is parsed by Python's ``ast`` module and the tree is walked with a whitelist:
numbers (decimals read exactly: ``0.1`` is 1/10), the claim's names, ``+ - * / **``
(``^`` is read as ``**``, with the precedence of a power, as in maths), unary signs, and the functions in ``FUNCTIONS``.
Anything else is a :class:`FormulaError` naming what was not understood.
"""

from __future__ import annotations

import ast
from typing import Mapping

import sympy

from derivspec.core.errors import FormulaError

FUNCTIONS = {
    "log": sympy.log,
    "ln": sympy.log,
    "exp": sympy.exp,
    "sqrt": sympy.sqrt,
    "abs": sympy.Abs,
    "Abs": sympy.Abs,
    "sigmoid": lambda z: 1 / (1 + sympy.exp(-z)),
    "softplus": lambda z: sympy.log(1 + sympy.exp(z)),
    "tanh": sympy.tanh,
}
CONSTANTS = {"pi": sympy.pi, "E": sympy.E, "e": sympy.E}

MAX_EXPONENT = 1000  # larger numeric exponents would make exact evaluation hang


def power(base: sympy.Expr, exponent: sympy.Expr) -> sympy.Expr:
    """``base**exponent``, refusing numeric exponents beyond MAX_EXPONENT (10**10**10 would
    hang the exact evaluation inside C code, where no time limit can interrupt it)."""
    exponent = sympy.sympify(exponent)
    if exponent.is_Number and abs(exponent) > MAX_EXPONENT:
        raise FormulaError(f"exponent {exponent} is too large (the limit is {MAX_EXPONENT})")
    return sympy.sympify(base) ** exponent


_BINARY = {
    ast.Add: lambda a, b: a + b,
    ast.Sub: lambda a, b: a - b,
    ast.Mult: lambda a, b: a * b,
    ast.Div: lambda a, b: a / b,
    ast.Pow: power,
}


def parse_formula(text: str, names: Mapping[str, sympy.Symbol]) -> sympy.Expr:
    """Parse ``text`` with ``names`` (symbol name -> SymPy symbol) as its only variables."""
    if not text or not text.strip():
        raise FormulaError("empty formula")
    text = text.strip().replace("^", "**")
    try:
        tree = ast.parse(text, mode="eval")
    except SyntaxError as error:
        raise FormulaError(f"cannot parse formula {text!r}: {error.msg} at column {error.offset}") from None
    return _Reader(text, names).read(tree.body)


class _Reader:
    def __init__(self, text: str, names: Mapping[str, sympy.Symbol]):
        self.text = text
        self.names = names

    def read(self, node: ast.AST) -> sympy.Expr:
        if isinstance(node, ast.Constant):
            return self._number(node)
        if isinstance(node, ast.Name):
            return self._name(node.id)
        if isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
            return _BINARY[type(node.op)](self.read(node.left), self.read(node.right))
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
            operand = self.read(node.operand)
            return -operand if isinstance(node.op, ast.USub) else operand
        if isinstance(node, ast.Call):
            return self._call(node)
        snippet = ast.get_source_segment(self.text, node) or type(node).__name__
        raise FormulaError(f"unsupported construct {snippet!r} in formula (use + - * / ** and {', '.join(FUNCTIONS)})")

    def _number(self, node: ast.Constant) -> sympy.Expr:
        value = node.value
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise FormulaError(f"unsupported literal {value!r} in formula")
        if isinstance(value, int):
            return sympy.Integer(value)
        if value != value or value in (float("inf"), float("-inf")):
            raise FormulaError(f"non-finite number {value!r} in formula")
        return sympy.Rational(ast.get_source_segment(self.text, node) or repr(value))

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
            name = ast.get_source_segment(self.text, node.func) or "?"
            raise FormulaError(f"unknown function {name!r} in formula; allowed: {', '.join(FUNCTIONS)}")
        if node.keywords or len(node.args) != 1:
            raise FormulaError(f"function {node.func.id!r} takes exactly one argument")
        return FUNCTIONS[node.func.id](self.read(node.args[0]))
