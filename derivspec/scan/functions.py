r"""Undefined functions given concrete instances (issue 24, part 5).

A step about a function the lecture never defines (``\nabla \log f = \nabla f / f``,
``\frac{d}{dx} e^{f(x)} = f'(x) e^{f(x)}``) must hold for *every* function, so it is tried with
concrete ones: the identity ``f(x) = x``, a line ``f(x) = 2x + 1`` and the exponential
``f(x) = e^x`` (several arguments enter as ``x_1 + 2 x_2 + …``). Primes and derivatives act on
the concrete function. A flag needs the step to fail for all three -- the simplest functions
satisfy the properties a lecture may assume of ``f`` (linear, convex and concave, ``f' = f``,
``f(x + y) = f(x) f(y)``), so an assumed property never produces a flag. Agreement for all three
is evidence, not proof.

Only a letter that names a function (f, g, h, F, G, r, s, u, v, D, φ, ψ), one letter per step,
never a density, an expectation, a letter also read as a number, or a name the document defines or describes anywhere
(:func:`document_defined`): a side that is only ``f(x)`` or ``f``, or prose such as "let $f$ be",
"$f$ is", "$f$ denotes". A step with an indefinite integral of the function (a constant of
integration) is left alone.
"""

from __future__ import annotations

import re

import sympy
from derivspec.scan.notation import role_letters
from sympy.core.function import AppliedUndef

LETTERS = role_letters("own-function")  # a guess: derivspec/data/knowledge/notation.toml
# name -> (as shown in a record, the function)
FAMILIES = {"identity": ("x", lambda x: x), "linear": ("2x + 1", lambda x: 2 * x + 1),
            "exponential": ("e^{x}", sympy.exp)}

_NAME = r"(\\[A-Za-z]+|[A-Za-z])"
_LONE_SIDE = re.compile(r"^\s*" + _NAME + r"\s*(?:_\s*(?:\{[^{}]*\}|\\?[A-Za-z0-9]+))?\s*'*\s*"
                        r"(?:\^\s*(?:\{[^{}]*\}|\*))?\s*(?:\\left)?\s*(?:\([^()]*\))?\s*(?:\\right)?\s*$")
_PROSE = re.compile(r"(?:\blet\s+|\bwhere\s+|\bdefine\s+)?\$\s*" + _NAME + r"\s*(?:_\s*(?:\{[^{}$]*\}|\\?[A-Za-z0-9]+))?"
                    r"\s*(?:\([^$()]*\))?\s*\$\s*(?:\bbe\b|\bis\b|\bdenotes?\b|\brepresents?\b|\bstands?\b|:|\bas\b)",
                    re.IGNORECASE)
_LET = re.compile(r"\b(?:let|define|suppose|assume)\s+\$\s*" + _NAME, re.IGNORECASE)


def base_name(head: str) -> str:
    """The letter of a function head as the reader names it: ``f_{\\theta}[,]'`` -> ``f``."""
    head = re.sub(r"\[[^\]]*\]$", "", head.rstrip("'"))
    return re.sub(r"_.*$", "", head)


def document_defined(text: str, sides) -> frozenset:
    """Letters the document defines or describes: a side of a relation that is only the name or
    its application, or the name in prose ("let $f$ be", "$f$ is", "$f(x)$ denotes")."""
    found = {match.group(1) for match in map(_LONE_SIDE.match, sides) if match}
    for pattern in (_PROSE, _LET):
        found |= {m.group(1) for m in pattern.finditer(text)}
    return frozenset(found & LETTERS)


def document_described(text: str) -> frozenset:
    """Names of any letter the prose describes ("let $f$ be", "$f$ is", "$f(x)$ denotes"): a function the
    document speaks of is a particular one, never given concrete instances (scan/instances.py)."""
    return frozenset(m.group(1) for pattern in (_PROSE, _LET) for m in pattern.finditer(text))


def free_function(*exprs, defined: frozenset = frozenset()) -> str | None:
    """The one function letter of ``exprs`` that may be any function, or None (no such letter,
    two letters, one the document defines, or an indefinite integral of it)."""
    heads = {node.func.__name__ for e in exprs for node in sympy.preorder_traversal(e) if isinstance(node, AppliedUndef)}
    letters = {base_name(h) for h in heads if base_name(h) in LETTERS}
    if len(letters) != 1:
        return None
    (letter,) = letters
    separators = {c for h in heads if base_name(h) == letter for c in (re.findall(r"\[([^\]]*)\]$", h) or [""])[0]}
    if letter in defined or separators - {","}:
        return None  # defined, or applied with a bar or a separator other than a comma (a density, a divergence)
    if any(base_name(x.name) == letter for e in exprs for x in e.free_symbols):
        return None  # the letter is also read as a number somewhere (g(x) as g times x): no one meaning
    for e in exprs:
        for node in sympy.preorder_traversal(e):
            if isinstance(node, sympy.Integral) and any(len(limit) == 1 for limit in node.limits) and any(
                    isinstance(x, AppliedUndef) and base_name(x.func.__name__) == letter for x in node.atoms(AppliedUndef)):
                return None
    return letter


_OPERATOR = re.compile(r"\\[dt]?frac\s*\{\s*(?:d|\\mathrm\{d\}|\\partial|\\mathrm\{\\partial\})\s*\}\s*\{[^{}]*\}|"
                       r"\\nabla(?:_\{[^{}]*\}|_\\?[A-Za-z0-9]+)?|\\partial_(?:\{[^{}]*\}|\\?[A-Za-z0-9]+)")


def scope_ambiguous(*texts, read) -> bool:
    r"""A derivative operator written without brackets before a product of several factors
    (``\frac{d}{d\lambda} \log f(\lambda) \times f(\lambda)``): whether it takes the whole product
    or its first factor is the reader's choice, so no flag may rest on it. ``read``: text -> SymPy."""
    for text in texts:
        for found in _OPERATOR.finditer(text):
            rest = text[found.end():].lstrip()
            if rest.startswith(("(", "[", "\\left", "\\big", "\\Big")):
                continue
            operand = re.split(r"(?<![{(\[^_])\s[+-]\s|=", rest)[0]
            try:
                expr = read(operand)
            except Exception:
                return True
            if sum(1 for factor in sympy.Mul.make_args(expr) if factor.free_symbols) >= 2:
                return True
    return False


def concrete(expr: sympy.Expr, letter: str, family: str) -> sympy.Expr:
    """``expr`` with every application of ``letter`` (and of its primes) replaced by the concrete
    function of ``family``, and derivatives carried out."""
    def value(node):
        name = node.func.__name__
        primes = len(name) - len(name.rstrip("'"))
        argument = sum((k + 1) * a for k, a in enumerate(node.args))
        x = sympy.Dummy("x")
        shape = FAMILIES[family][1](x)
        return sympy.diff(shape, x, primes).subs(x, argument) if primes else shape.subs(x, argument)

    def is_letter(node):
        return isinstance(node, AppliedUndef) and base_name(node.func.__name__) == letter

    replaced = expr.replace(is_letter, value)
    return replaced.replace(lambda n: isinstance(n, sympy.Derivative), lambda n: n.doit())

