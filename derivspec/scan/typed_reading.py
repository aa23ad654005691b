r"""The reader's output turned into the typed tree, once (DESIGN.md, "Scan": read).

:func:`derivspec.scan.reader.read_document` reads a side into SymPy, recording an application the lecture
writes (``p(x | z)``, ``\mathbb{E}_{q}[f]``, ``\mathrm{KL}(q \| p)``) as an undefined function whose name
keeps its head and separators. This module is the one place that reads those names: each becomes a node of
:mod:`derivspec.scan.tree` (an expectation with its law, a density of which variables given which, a
divergence of two laws, ...) by the operator spellings of ``data/knowledge/operators.toml`` and the
family spellings of ``families.toml``. A name that stays a plain function of the document is an
:class:`~derivspec.scan.tree.Apply`.
"""

from __future__ import annotations

import dataclasses
import functools
import re
import tomllib
from fractions import Fraction

import sympy
from sympy.core.function import AppliedUndef

from derivspec.core.errors import FormulaError
from derivspec.scan import knowledge, tree
from derivspec.scan.reader import (OPTIMA, SET_OPERATIONS, TRANSPOSED, DocumentNames, DocumentReading, application_parts,
                                   read_document, where_condition)

_FONT = re.compile(r"\\(?:math[a-z]+|operatorname\*?|text[a-z]*|boldsymbol|bm)\s*\{([^{}]*)\}")
_BOLD = re.compile(r"\s*\\(?:mathbf|boldsymbol|bm|pmb|vec)\b")  # a name in a bold font: a vector or a matrix
_OPTIMUM_KINDS = {head: kind for kind, head in OPTIMA.items()}  # the reader's heads of an optimum -> its kind
_INDEXED = "_{•}"
_GRADIENT = "\\nabla"  # the reader's head of ∇(…) when the text names no variable
_DERIVED = "⟦d⟧"  # the reader's wrapper of a derivative it leaves unevaluated: ⟦d⟧(argument, variable)
_DERIVATIVE_OF = "d/d"  # the reader's head of dy/dx of a bare name: d/dx(y)  # how the reader writes the head of an indexed name, x_i = x_{•}(i)


@functools.cache
def _operators() -> dict[str, tuple[str, str]]:
    """Written head -> (node, brackets) from operators.toml."""
    data = tomllib.loads((knowledge.KNOWLEDGE / "operators.toml").read_text(encoding="utf-8"))
    return {head: (row["node"], row["brackets"]) for row in data["operator"] for head in row["heads"]}


@functools.cache
def _families() -> dict[str, str]:
    """A family's LaTeX head (fonts as written) -> its name in families.toml."""
    return {latex: family.name for family in knowledge.families().values() for latex in family.latex}


@functools.lru_cache(maxsize=1)
def _family_words() -> dict[str, str]:
    """A family's name as a word of two letters or more (its aliases, its LaTeX heads without fonts: Poisson,
    Bern, Exp) -> its name in families.toml: an upright head spelled so is the family, in any upright font."""
    return {word: family.name for family in knowledge.families().values()
            for word in (*family.aliases, *(_plain(latex) for latex in family.latex)) if len(word) > 1 and word.isalpha()}


def _greek(name: str) -> str:
    """A symbol the reader made without recording its LaTeX (a sum's index ``\\sum_{\\omega}``): a Greek letter's
    name as LaTeX writes it (omega -> \\omega), as the same letter reads elsewhere; any other name as it is."""
    written = sympy.latex(sympy.Symbol(name)) if name.isalpha() else name
    return written if written.startswith("\\") and written[1:] == name else name


def _family_of(head: str) -> str | None:
    """The family an applied head names: as written, or a word in an upright font (\\text{Poisson})."""
    found = _families().get(head)
    if found is None and _UPRIGHT.match(head.strip()):
        found = _family_words().get(_plain(head))
    return found


_UPRIGHT = re.compile(r"\\(?:mathrm|operatorname\*?|text|textrm|textnormal|mathsf)\s*\{")


def _plain(head: str) -> str:
    """A head without fonts, braces or backslashes: ``D_{\\mathrm{KL}}`` -> ``D_KL``."""
    for _ in range(3):
        head = _FONT.sub(r"\1", head)
    return head.replace("{", "").replace("}", "").replace("\\", "").replace(" ", "")


_ONE_SIDE = re.compile(r"([^<>\\]+?)\s*(<|>|\\leqslant|\\geqslant|\\leq|\\geq|\\le|\\ge)(?![A-Za-z])\s*(.+)")


def _split_head(head: str) -> tuple[str, str]:
    """(the head before its subscript, the subscript as written) -- ``\\mathbb{E}_{q(z|x)}`` -> (``\\mathbb{E}``,
    ``q(z|x)``)."""
    depth = 0
    for i, char in enumerate(head):
        if char == "{":
            depth += 1
        elif char == "}":
            depth -= 1
        elif char == "_" and depth == 0:
            sub = head[i + 1:].strip()
            if sub.startswith("{") and sub.endswith("}"):
                sub = sub[1:-1]
            return head[:i], sub
    return head, ""


def _upper_index(latex: str) -> tuple[str, str]:
    """(the name, its upper index) for ``x^{(i)}``: a parenthesised superscript at the end; else (latex, "")."""
    found = re.fullmatch(r"(.+?)\^\{\s*\((.+)\)\s*\}", latex.strip())
    return (found.group(1), found.group(2)) if found else (latex, "")


def operator_of(head: str, square: bool) -> tuple[str | None, str]:
    """(the operator a written head names, or None; the subscript left for its law or variable)."""
    table = _operators()
    whole = table.get(_plain(head))
    if whole:
        return whole[0], ""
    core, sub = _split_head(head)
    found = table.get(_plain(core))
    if not found:
        return None, ""
    node, brackets = found
    if brackets == "calligraphic" and not core.lstrip().startswith(r"\mathcal"):
        return None, ""
    if brackets == "square" and not square:
        return None, ""
    return node, sub


class Converter:
    """Converts one reading; ``names`` is the document's names (a law in a subscript is read with them)."""

    def __init__(self, names: DocumentNames, literals: dict | None = None):
        self.names = names
        self.literals = literals or {}

    def side(self, expr: sympy.Expr) -> tree.Node:
        return self.node(expr)

    def node(self, expr) -> tree.Node:
        if expr in self.literals:
            value, decimals = self.literals[expr][0], self.literals[expr][1]
            return tree.Num(Fraction(str(sympy.Rational(value))), decimals)
        if isinstance(expr, sympy.Integer | sympy.Rational):
            return tree.Num(Fraction(int(expr.p), int(expr.q)))
        if expr in (sympy.pi, sympy.E, sympy.oo, -sympy.oo, sympy.I):
            return tree.Const(expr)
        if isinstance(expr, sympy.Float):
            return tree.Num(Fraction(str(expr)))
        if isinstance(expr, sympy.Symbol):
            if expr.name.startswith("⟦"):
                return tree.Opaque(expr.name, "an opaque part of the reading")
            return self.name(self.names.latex.get(expr) or _greek(expr.name))
        if isinstance(expr, sympy.Add):
            return tree.Add(tuple(self.node(a) for a in expr.args))
        if isinstance(expr, sympy.Mul):
            return tree.Mul(tuple(self.node(a) for a in expr.args))
        if isinstance(expr, sympy.Pow):
            return tree.Pow(self.node(expr.base), self.node(expr.exp))
        kind = _OPTIMUM_KINDS.get(expr.func) if isinstance(expr, AppliedUndef) else None
        if kind is not None:  # the reader's ⟦argmax⟧(F, v[, set])
            objective, variable, *domain = expr.args
            return tree.Opt(kind, self.node(objective), self.node(variable), self.node(domain[0]) if domain else None)
        if isinstance(expr, AppliedUndef):
            return self.application(expr)
        if isinstance(expr, sympy.Sum | sympy.Product):
            return self.big_operator(expr)
        if isinstance(expr, sympy.Integral):
            body = self.node(expr.function)
            for variable, *bounds in reversed(expr.limits):  # ∫∫ f dx dy: one integral inside the other
                lower, upper = (list(bounds) + [None, None])[:2]
                body = tree.Integral(body, self.node(variable), None if lower is None else self.node(lower),
                                     None if upper is None else self.node(upper))
            return body
        if isinstance(expr, sympy.Limit):
            body, variable, to, direction = expr.args
            return tree.Limit(self.node(body), self.node(variable), self.node(to), str(direction))
        if isinstance(expr, sympy.Derivative):
            body = self.node(expr.expr)
            for variable, order in reversed(expr.variable_count):
                body = tree.Deriv(body, self.node(variable), int(order))
            return body
        if isinstance(expr, sympy.Piecewise):
            return tree.Piecewise(tuple((self.node(v), tree.Opaque(str(c), "a case's condition")) for v, c in expr.args))
        if isinstance(expr, sympy.Function):
            return tree.Fn(expr.func, tuple(self.node(a) for a in expr.args))
        return tree.Opaque(str(expr), f"no node for {type(expr).__name__}")

    def name(self, latex: str) -> tree.Name:
        found = self._name(latex)
        return tree.Name(found.latex, found.index, True) if _BOLD.match(latex) else found

    def _name(self, latex: str) -> tree.Name:
        """A name, its subscript read as its index (``\\bar\\alpha_{t-1}``: the name ``\\bar\\alpha`` at ``t - 1``)."""
        base, sup = _upper_index(latex)
        if sup:  # x^{(i)}: the i-th of several x, never a power
            found = self.name(base)
            index = self.index(sup)
            return tree.Name(found.latex, found.index + (index,)) if index is not None else tree.Name(latex)
        base, sub = _split_head(latex)
        if not sub or not base:
            return tree.Name(latex)
        index = self.index(sub)
        return tree.Name(base, (index,)) if index is not None else tree.Name(latex)

    def index(self, text: str) -> tree.Node | None:
        """A subscript or upper index read as an index (a name, a number, t - 1), or None."""
        try:
            reading = read_document(text, self.names)
        except FormulaError:
            return None
        index = Converter(self.names, reading.literals).node(reading.expr)
        return index if isinstance(index, tree.Name | tree.Num | tree.Add) else None

    def big_operator(self, expr) -> tree.Node:
        body = self.node(expr.function)
        for index, lower, upper in reversed(expr.limits):
            condition = where_condition(lower) or where_condition(upper) or ""
            kind = tree.Sum if isinstance(expr, sympy.Sum) else tree.Prod
            whole = _over_its_values(upper)  # \sum_x: over every value of x
            bound = self.one_side(condition, self.node(index)) if condition else None
            if bound is not None:  # \prod_{i \le t}: a range with one end written
                body = kind(body, self.node(index), *bound, "")
                continue
            body = kind(body, self.node(index), None if condition or whole else self.node(lower),
                        None if condition or whole else self.node(upper), condition)
            for other in (_more_indices(upper) if whole else ()):  # \sum_{x, y}: over every value of y too
                body = kind(body, self.name(other))
        return body

    def one_side(self, condition: str, index: tree.Node) -> tuple | None:
        """(lower, upper) of a range a condition gives on one side (``i \\le t``: up to t; ``i > t``: from t + 1),
        the other end None; None for any other condition."""
        found = _ONE_SIDE.fullmatch(condition.strip())
        if found is None:
            return None
        try:
            left = self.node(read_document(found.group(1), self.names).expr)
            end = self.node(read_document(found.group(3), self.names).expr)
        except FormulaError:
            return None
        if left != index or index in tree.names_in(end):
            return None
        step = {"<": -1, ">": 1}.get(found.group(2), 0)
        end = tree.Add((end, tree.Num(Fraction(step)))) if step else end
        return (None, end) if found.group(2) in ("<", "\\le", "\\leq", "\\leqslant") else (end, None)

    def application(self, expr: AppliedUndef) -> tree.Node:
        head, separators, square = application_parts(expr.func.__name__)
        if head == _DERIVED and len(expr.args) == 2:  # the reader's d/dx of what may depend on x: the body
            return self.node(expr.args[0])
        if head.startswith(_DERIVATIVE_OF) and len(expr.args) == 1:  # dy/dx of a bare name, d^2y/dx^2: d/dx^2(y)
            variable, order = head[len(_DERIVATIVE_OF):], 1
            if variable.rpartition("^")[2].isdigit():  # the reader's order of d^2y/dx^2 (x^{(l)} is a name)
                variable, _, written = variable.rpartition("^")
                order = int(written)
            return tree.Deriv(self.node(expr.args[0]), self.name(variable), order)
        args = tuple(self.node(a) for a in expr.args)
        if head in SET_OPERATIONS.values() and len(args) == 2:  # the reader's A ∩ B (read with sets=True)
            return tree.Event(head.strip("⟦⟧"), args)
        if expr.func == TRANSPOSED and len(args) == 1:  # A^T, read with names as matrices
            return tree.Transpose(args[0])
        if head == _GRADIENT and len(args) == 1:  # the reader's ∇(…) of a gradient that names no variable
            return tree.Grad(args[0])
        if head.endswith(_INDEXED):
            return tree.Name(head[:-len(_INDEXED)], args)
        operator, sub = operator_of(head, square)
        groups = _groups(args, separators)
        law = self.law(sub) if sub else None
        if operator == "expect":
            return tree.Expect(groups[0][0] if len(groups[0]) == 1 else tree.Opaque(str(expr), "an expectation of several"),
                               law, groups[1] if len(groups) > 1 else (), square or head != _plain(head))
        if operator in ("var", "cov"):
            return tree.Moment(operator, groups[0], law, tuple(a for g in groups[1:] for a in g))
        if operator in ("kl", "js", "ce") and len(args) == 2:
            return tree.Divergence(operator, args[0], args[1])
        if operator == "entropy":
            code = law.density if isinstance(law, tree.Law) and isinstance(law.density, tree.Name) else None
            if code is not None and separators == "" and len(args) == 1:  # H_p(q): whose code, whose law -- as
                return tree.Ambiguous((  # each author says (Σ q log 1/p in some notes, Σ p log 1/q in others)
                    ("cross-entropy of the argument under the subscript's code", tree.Divergence("ce", args[0], code)),
                    ("cross-entropy of the subscript under the argument's code", tree.Divergence("ce", code, args[0])),
                    ("an entropy the subscript names", tree.Entropy(groups[0]))))
            if separators in ("", "|") or separators == ",|":
                return tree.Entropy(groups[0], groups[1] if len(groups) > 1 else ())
            if separators == "," and len(args) == 2:  # H(P, Q): a cross-entropy of two laws, or a joint entropy
                return tree.Ambiguous((("cross-entropy", tree.Divergence("ce", args[0], args[1])),
                                       ("joint entropy", tree.Entropy(args))))
        if operator == "mutual_information" and separators == "," and len(args) == 2:  # I(X, Y): MI, or a function
            return tree.Ambiguous((("mutual information", tree.MutualInfo((args[0],), (args[1],))),
                                   ("a function of the document's", tree.Apply(tree.Name(head), args))))
        if operator == "mutual_information" and ";" in separators:
            parts = _groups(args, separators, (";", "|"))
            return tree.MutualInfo(parts[0], parts[1] if len(parts) > 1 else (), parts[2] if len(parts) > 2 else ())
        if operator == "probability" and any(_is_event(a) for a in args):  # P(A ∩ B^c | C): of events
            events = [tuple(_event(a) for a in group) for group in groups]
            joint = lambda group: functools.reduce(lambda a, b: tree.Event("∩", (a, b)), group)
            return tree.Prob(joint(events[0]), (joint(events[1]),) if len(events) > 1 else (), tree.Name(head))
        parts = _groups(args, separators, ("|", ";"))
        if operator == "probability" and all(isinstance(a, tree.Name) for a in parts[0]) and all(
                _parameter(a) for part in parts[1:] for a in part):  # P(A | B), P(Z; θ), P(W | μ, σ²): of a law
            return tree.Density(tree.Name(head), parts[0], tuple(a for part in parts[1:] for a in part))
        if operator == "probability":
            return tree.Prob(groups[0][0] if len(groups[0]) == 1 else tree.Opaque(str(expr), "a joint event"),
                             groups[1] if len(groups) > 1 else ())
        if operator == "det" and len(args) == 1:
            return tree.Det(args[0])
        if operator == "trace" and len(args) == 1:
            return tree.Trace(args[0])
        family = "normal" if operator == "normal" else _family_of(head)
        if family:
            if ";" in separators or "|" in separators:  # N(x; μ, σ²), N(x | μ, σ²): the law at the point x
                if len(parts) == 2:
                    return tree.Law(family, parts[1], at=parts[0])
            return tree.Law(family, args)
        name = tree.Name(head)
        carried = self.carried(head)
        if "|" in separators or ";" in separators:  # p(x | z), p(x; θ), p(x | z; θ): what follows | or ; is given
            parts = _groups(args, separators, ("|", ";"))
            return tree.Density(name, parts[0], tuple(a for part in parts[1:] for a in part), carried)
        return tree.Apply(name, args, carried)

    def carried(self, head: str) -> tuple:
        """The name a function's subscript carries (``p_\\theta``: θ; ``f_{data}``, ``g_1``: none)."""
        core, sub = _split_head(head)
        if not core or not sub:
            return ()
        found = self.index(sub)
        return (found,) if isinstance(found, tree.Name) and not found.index else ()

    def law(self, sub: str) -> tree.Node:
        """The law an operator's subscript names (``q(z|x)``, ``z \\sim q``, ``p_\\theta``)."""
        if _top_level(sub, ",;"):  # E_{x ~ p, y ~ q}: several laws
            return tree.Opaque(sub, f"several laws in one subscript: {sub!r}")
        *variable, text = re.split(r"\\sim|∼", sub)
        try:
            reading = read_document(text.strip(), self.names)
            at = read_document(variable[0].strip(), self.names) if variable else None
        except FormulaError as error:
            return tree.Opaque(sub, f"the law {sub!r} is not read: {error}")
        law = Converter(self.names, reading.literals).node(reading.expr)
        if isinstance(law, tree.Name) and len(law.index) == 1 and isinstance(law.index[0], tree.Name):
            law = tree.Name(f"{law.latex}_{{{law.index[0].latex}}}")  # E_{p_θ}: the law p_θ, as p_θ(x) writes it
        written_at = (self.node(at.expr),) if at is not None else ()
        if isinstance(law, tree.Law):
            return dataclasses.replace(law, at=law.at or written_at)
        return tree.Law(None, density=law, at=written_at)


def _complement(node: tree.Node) -> bool:
    """B^c, B^C, B^\\complement: a power whose exponent is a complement mark (operators.toml)."""
    return (isinstance(node, tree.Pow) and isinstance(node.exponent, tree.Name) and not node.exponent.index
            and operator_of(node.exponent.latex, False)[0] == "complement")


def _is_event(node: tree.Node) -> bool:
    """A part written with set operations or a complement: the bracket holds events, not values."""
    return any(isinstance(n, tree.Event) or _complement(n) for n in node.walk())


def _event(node: tree.Node) -> tree.Node:
    """A probability's argument as an event: complements made explicit."""
    if _complement(node):
        return tree.Event("c", (_event(node.base),))
    if isinstance(node, tree.Event):
        return tree.Event(node.op, tuple(_event(p) for p in node.operands))
    return node


def _top_level(text: str, characters: str) -> bool:
    """One of ``characters`` outside every bracket of ``text``."""
    depth = 0
    for char in text:
        depth += (char in "([{") - (char in ")]}")
        if depth == 0 and char in characters:
            return True
    return False


def _over_its_values(bound) -> bool:
    """The reader's upper bound of a sum written over a variable alone (``\\sum_x``): every value of it."""
    return isinstance(bound, sympy.Symbol) and bound.name.startswith("⟦range ")


def _more_indices(bound) -> list[str]:
    """The further indices of a sum written over several variables (``\\sum_{x, y}``: ``["y"]``)."""
    listed = bound.name[len("⟦range "):-1].split(",")
    return [part.strip() for part in listed[1:] if part.strip()]


def _parameter(node: tree.Node) -> bool:
    """A name or a name's power (σ²): what a law is given or parameterised by."""
    return isinstance(node, tree.Name) or (isinstance(node, tree.Pow) and isinstance(node.base, tree.Name)
                                           and isinstance(node.exponent, tree.Num))


def _groups(args: tuple, separators: str, splitting: tuple = ("|",)) -> list[tuple]:
    """The arguments split where a separator in ``splitting`` stands (p(x, y | z) -> [(x, y), (z,)])."""
    groups, current = [], [args[0]] if args else []
    for separator, arg in zip(separators, args[1:]):
        if separator in splitting:
            groups.append(tuple(current))
            current = []
        current.append(arg)
    groups.append(tuple(current))
    return groups


def typed(reading: DocumentReading, names: DocumentNames) -> tree.Node:
    """One side's reading as a typed tree."""
    return Converter(names, reading.literals).side(reading.expr)

