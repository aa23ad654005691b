r"""A correct form written as a lecture writes it: LaTeX in the lecture's own names, the terms of a
sum in the lecture's order where its text shows one, without SymPy's ``\left( \right)``,
``\log{\left(x \right)}`` braces or a ``1 \cdot`` factor.

:func:`lecture_latex` prints an expression so; ``written`` (the lecture's own top-level terms, read
from :func:`top_level_terms` of its text) orders the top-level sum: each term goes where the
written term it matches (equal, equal up to a number, sharing the most names) stands; a nested sum
(``(y - \mu)``) follows the order in which the text first names its terms' symbols.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

import sympy
from sympy.printing.latex import LatexPrinter

_COMMAND = re.compile(r"\\[A-Za-z]+|\\.|\\", re.DOTALL)  # a lone backslash at the end too
_AFTER_NO_SPLIT = set("^_=(+-*/,{[") | {""}
_FUNCTION_BRACES = re.compile(r"\\(?:log|ln|exp|sin|cos|tan|tanh|sinh|cosh|sigma|operatorname\{[^{}]*\})\{\(")
_UNIT_FACTOR = re.compile(r"(?<![\d.}])1 \\cdot ")


def top_level_terms(tex: str) -> list[str]:
    """The additive terms of one side of a LaTeX formula, each with its sign, outside every bracket
    and brace: ``a - \\frac{b+c}{2} + (d-e)`` -> ``["a", "- \\frac{b+c}{2}", "+ (d-e)"]``. A sign
    after ``^``, ``_``, an operator or an opening bracket is unary and does not cut."""
    terms, depth, start, i = [], 0, 0, 0
    while i < len(tex):
        char = tex[i]
        if char == "\\":
            command = _COMMAND.match(tex, i)
            if command.group() in (r"\{", r"\}"):
                depth += 1 if command.group() == r"\{" else -1
            i = command.end()
            continue
        if char in "([{":
            depth += 1
        elif char in ")]}":
            depth -= 1
        elif char in "+-" and depth == 0 and tex[start:i].strip() and tex[:i].rstrip()[-1:] not in _AFTER_NO_SPLIT:
            terms.append(tex[start:i])
            start = i
        i += 1
    terms.append(tex[start:])
    return [t.strip() for t in terms if t.strip()]


def _matching(term, written: sympy.Expr) -> float:
    """How well a term of the correct form stands for a written term: 3 equal, 2 equal up to a
    number, else the share of names they have in common."""
    try:
        if sympy.expand(term - written) == 0:
            return 3.0
        ratio = sympy.cancel(term / written)
        if ratio.is_number and ratio != 0:
            return 2.0
    except Exception:
        pass
    names, others = term.free_symbols, written.free_symbols
    return len(names & others) / len(names | others) if names | others else 1.0


def _order(written: Sequence[sympy.Expr], text: str, names: dict) -> Callable[[list], list]:
    """The terms of a sum in the lecture's order (see the module's docstring)."""
    def first_named(term) -> int:
        """Where the text first writes the term: its function (``\\log``) if it has one, else its
        first-named symbol, else its number (not a subscript or a power)."""
        heads = [f"\\{type(f).__name__}" for f in term.atoms(sympy.Function) if type(f).__name__ in ("log", "exp")]
        wanted = heads or [names.get(s, s.name) for s in term.free_symbols]
        places = [text.find(w) for w in wanted]
        if not wanted and term.is_number:  # (1 - p): a number opening a bracketed sum leads it
            number = rf"(?<![_^\w.])(?<![_^]{{){re.escape(str(abs(term)))}(?![\d.])"
            if re.search(r"[({]\s*" + number + r"\s*[-+]", text):
                return -1
            found = re.search(number, text)
            places = [found.start()] if found else []
        places = [p for p in places if p >= 0]
        return min(places) if places else len(text)

    def order(terms: list) -> list:
        if written and len(terms) > 1 and any(_matching(t, w) >= 2 for t in terms for w in written):
            taken, place = set(), {}
            ranked = sorted(((_matching(t, w), -j, i, j) for i, t in enumerate(terms) for j, w in enumerate(written)),
                            reverse=True)
            for score, _, i, j in ranked:  # the best matches first, each written term once
                if i in place or j in taken or score <= 0:
                    continue
                place[i] = j
                taken.add(j)
            return [t for _, t in sorted(((place.get(i, len(written)), i), t) for i, t in enumerate(terms))]
        keyed = sorted(enumerate(terms), key=lambda it: (first_named(it[1]), it[1].could_extract_minus_sign(), it[0]))
        return [t for _, t in keyed]

    return order


class _LecturePrinter(LatexPrinter):
    def __init__(self, order: Callable[[list], list], settings: dict):
        super().__init__(settings)
        self._lecture_order = order

    def _as_ordered_terms(self, expr, order=None):
        return self._lecture_order(list(super()._as_ordered_terms(expr, order=order)))

    def _print_Abs(self, expr, exp=None):
        """``|y - \\mu|`` rather than SymPy's ``|-y + \\mu|`` when the lecture names y first."""
        inner = expr.args[0]
        if isinstance(inner, sympy.Add):
            terms = self._as_ordered_terms(inner)
            if terms[0].could_extract_minus_sign():
                inner = sympy.Add(*(-t for t in terms), evaluate=False)
        text = f"|{self._print(inner)}|"
        return f"{text}^{{{exp}}}" if exp else text


def tidy_latex(tex: str) -> str:
    r"""SymPy's LaTeX as a lecture writes it: ``\left( x \right)`` as ``(x)``, ``\log{(x)}`` as
    ``\log(x)``, no ``1 \cdot`` factor."""
    tex = re.sub(r"\\left\s*([(\[])", r"\1", tex)
    tex = re.sub(r"\\left\|\{(.*?)\}\\right\|", r"|\1|", tex)
    tex = re.sub(r"\s*\\right\s*([)\]])", r"\1", tex)
    tex = _UNIT_FACTOR.sub("", tex)
    out, i = [], 0
    for match in _FUNCTION_BRACES.finditer(tex):
        open_paren = match.end() - 1
        j = _closing(tex, open_paren) - 1
        if j + 1 < len(tex) and tex[j + 1] == "}":  # the braces hold exactly the bracket: drop them
            out += [tex[i:open_paren - 1], tex[open_paren:j + 1]]
            i = j + 2
    out.append(tex[i:])
    return _LONE_FRACTION.sub(lambda m: m.group(1) + m.group(2) if _balanced(m.group(2)) else m.group(0), "".join(out))


_LONE_FRACTION = re.compile(r"(\\(?:log|ln|exp))\((\\frac\{.*?\}\{.*?\})\)")


def _balanced(fraction: str) -> bool:
    """``\\frac{a}{b}`` exactly: its two braced groups balanced and nothing after them."""
    i = len(r"\frac")
    for _ in range(2):
        if i >= len(fraction) or fraction[i] != "{":
            return False
        i = _closing(fraction, i)
    return i == len(fraction)


def _closing(text: str, start: int) -> int:
    """The index just after the bracket that closes the one at ``start`` (``(`` or ``{``); past
    the end when it is not closed."""
    pair = {"(": ")", "{": "}"}[text[start]]
    depth = 0
    for i in range(start, len(text)):
        depth += 1 if text[i] == text[start] else -1 if text[i] == pair else 0
        if depth == 0:
            return i + 1
    return len(text) + 1


def lecture_latex(expr, names: dict | None = None, written: Sequence[sympy.Expr] = (), text: str = "") -> str:
    """``expr`` in LaTeX with ``names`` (symbol -> the lecture's LaTeX), its sums in the order of
    the lecture's ``written`` terms and ``text`` (module docstring), tidied (:func:`tidy_latex`)."""
    names = dict(names or {})
    names = {s: names.get(s, s.name) for s in sympy.sympify(expr).free_symbols} | names
    printer = _LecturePrinter(_order(list(written), text, names), {"symbol_names": names})
    scale = _common_scale(written, text)
    if scale is not None and isinstance(expr, sympy.Add):  # \frac12(\sigma^2 + \mu^2 - 1 - \log\sigma^2)
        inner = sympy.expand(expr / scale)
        if isinstance(inner, sympy.Add) and all(t.as_coeff_Mul()[0].is_Integer for t in inner.args):
            return tidy_latex(f"{printer.doprint(scale)} \\left({printer.doprint(inner)}\\right)")
    return tidy_latex(printer.doprint(expr))


_LEADING_SCALE = re.compile(r"^\s*[-+]?\s*\\[dt]?frac\s*\{?\s*(\d+)\s*\}?\s*\{?\s*(\d+)\s*\}?\s*(?:\\left\s*)?\(")


def _common_scale(written: Sequence[sympy.Expr], text: str):
    """The number a lecture wrote before its one bracketed sum (``\\frac12(...)``), else None."""
    terms = top_level_terms(text)
    found = _LEADING_SCALE.match(terms[0]) if len(written) == 1 and len(terms) == 1 else None
    if not found or int(found.group(1)) == 0:
        return None
    scale = sympy.Rational(int(found.group(1)), int(found.group(2)))
    return -scale if terms[0].lstrip().startswith("-") else scale
