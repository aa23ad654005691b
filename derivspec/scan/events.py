r"""Probabilities of events, judged on the atoms of a finite probability space (issue 24).

A statement such as ``\mathbb{P}(A \cup B) = \mathbb{P}(A) + \mathbb{P}(B) - \mathbb{P}(A \cap B)``,
``P(A^c) = 1 - P(A)`` or Bayes' rule with ``P(A | B^c)`` is a rational expression in probabilities
of Boolean combinations of event letters (``A``, ``B_1``, ``E_i``; ``A^c``, ``\bar A``,
``\overline{A}``, ``\neg A``, ``\sim A``; ``\cap``, ``\cup``, ``\setminus``, a comma or the word "and" for ∩, "or" for ∪; ``\Omega``, ``\emptyset``) with
``P(E | F) = P(E ∩ F) / P(F)``; heads ``P``, ``\Pr``, ``\mathbb{P}``, ``\mathrm{Pr}``, with ``(``,
``[`` or ``\{``; bars ``|``, ``\mid``, ``\|``.

n letters cut the space into 2^n atoms ω; every probability is ``P(E) = Σ_{ω ⊆ E} p_ω`` with
``Σ p_ω = 1`` (the last atom is ``1 -`` the others). The probability space enters an identity only
through the atom probabilities, so **a proof** -- the difference of the sides ``cancel``s to 0 as a
rational function of the ``p_ω`` -- holds in every probability space.

**A flag** needs the difference non-zero, an exact rational atom distribution (every atom, hence
every conditioning event, of positive probability) where the sides differ, and a failure when the
events are mutually independent (``p_ω = Π q_i`` or ``1 - q_i``; a lecture may assume it). Never
flagged: one probability (times a number) against one probability or a product of them
(``P(A | B) = P(A)``, ``P(A ∩ B) = P(A) P(B)``: a condition), a relation with given values
(``0.2``), a statement whose prose states an assumption (if, suppose, independent, disjoint …), one
that holds when some letters are disjoint, nested or a partition in a document that speaks of such
events (:func:`document_relations`). A variable's relation to a value (``X = x``, ``\{X > 5\}``) is an event
letter and its negation the complement (:func:`_relational_events`); one variable at two values (nested or disjoint
events) only ever proves, and a letter beside such events is not read. Anything else (sums, ``\bigcup``,
``\ldots``) is not read: None.
"""

from __future__ import annotations

import dataclasses
import functools
import itertools
import random
import re
from dataclasses import dataclass

import sympy

from derivspec.core import symbolic

MAX_LETTERS = 5
INSTANCES = 12
_HEAD = (r"\\mathbb\s*\{\s*P\s*\}|\\mathbb\s+P(?![A-Za-z])|\\Pr(?![A-Za-z])|"
         r"\\(?:mathrm|operatorname|text|textrm)\s*\{\s*(?:Pr|P)\s*\}|P(?![A-Za-z_^'])")
_COMPLEMENT = (r"\^\s*(?:\{\s*(?:\\(?:mathsf|mathrm|text|textsf)\s*\{\s*[cC]\s*\}|[cC]|\\complement)\s*\}"
               r"|[cC](?![A-Za-z])|\\complement(?![A-Za-z]))")
_TOKEN = re.compile(
    rf"(?P<head>{_HEAD})|(?P<complement>{_COMPLEMENT})|"
    r"(?P<bar>\\mid(?![A-Za-z])|\\vert(?![A-Za-z])|\\\||\|)|"
    r"(?P<cap>\\cap(?![A-Za-z])|\\(?:text|textrm|mbox)\s*\{\s*and\s*\})|"  # A \text{ and } B: A ∩ B
    r"(?P<cup>\\cup(?![A-Za-z])|\\(?:text|textrm|mbox)\s*\{\s*or\s*\})|(?P<minus_set>\\setminus(?![A-Za-z]))|"
    r"(?P<neg>\\(?:bar|overline|neg|lnot|sim)(?![A-Za-z]))|(?P<omega>\\Omega(?![A-Za-z]))|"  # \sim A: not A
    r"(?P<empty>\\(?:emptyset|varnothing)(?![A-Za-z]))|"
    r"(?P<letter>[A-Z](?:\s*_\s*(?:\{[^{}]*\}|[A-Za-z0-9]))?)|"
    r"(?P<number>\d+(?:\.\d+)?|\.\d+)|(?P<frac>\\[dtc]?frac(?![A-Za-z]))|"
    r"(?P<times>\\cdot(?![A-Za-z])|\\times(?![A-Za-z])|\*)|(?P<op>[-+/^,])|"
    r"(?P<open>\\\{|\\lbrace(?![A-Za-z])|[(\[{])|(?P<close>\\\}|\\rbrace(?![A-Za-z])|[)\]}])")
_IGNORED = re.compile(r"\\(?:left|right|middle|[bB]igg?[lrm]?|displaystyle|quad|qquad)(?![A-Za-z])|\\[,;:! ]|~|\s+")
_CLOSE = {"(": ")", "[": "]", "{": "}", "\\{": "\\}"}
_ASSUMPTION = re.compile(r"\b(?:if|iff|suppose[sd]?|supposing|assum\w*|independen\w*|disjoint|mutually|exclusive|"
                         r"provided|whenever|when|partition\w*|subset\w*|contained|implication)\b|⇒|"
                         r"\\(?:perp|emptyset|varnothing|subset|subseteq|supset|supseteq|implies|Rightarrow)"
                         r"(?![A-Za-z])", re.IGNORECASE)
_DISJOINT_WORDS = re.compile(r"\b(?:disjoint|mutually|exclusive|exhaustive|partition\w*)\b|\\(?:emptyset|varnothing)"
                             r"(?![A-Za-z])", re.IGNORECASE)
_SUBSET_WORDS = re.compile(r"\b(?:subsets?|contained|implies)\b|⊂|⊆|"
                           r"\\(?:subset|subseteq|supset|supseteq|implies|Rightarrow)(?![A-Za-z])", re.IGNORECASE)
_ANY_PROBABILITY = re.compile(rf"(?:{_HEAD})\s*(?:\\left\s*|\\[bB]igg?l?\s*)?(?:\(|\[|\\\{{)")


class Unread(Exception):
    """The text leaves the calculus of events."""


@dataclass(frozen=True)
class Judgement:
    verdict: str  # proved | disagrees | unchecked
    reason: str
    evidence: str = ""
    category: str = "identity"


# --- reading a side -------------------------------------------------------------------------------

def _tokens(text: str) -> list[tuple[str, str]]:
    found, i = [], 0
    text = text.strip().rstrip(".,;")
    while i < len(text):
        skip = _IGNORED.match(text, i)
        if skip and skip.end() > i:
            i = skip.end()
            continue
        match = _TOKEN.match(text, i)
        if not match:
            raise Unread(text[i:i + 12])
        kind = match.lastgroup
        value = match.group(0)
        if kind == "letter":
            value = re.sub(r"\s+|[{}]", "", value)
        value = {"\\lbrace": "\\{", "\\rbrace": "\\}"}.get(value, value)
        found.append((kind, value))
        i = match.end()
    return found


class _Parser:
    """A side: sums, products, quotients, powers and ``\\frac`` of numbers and probabilities; each
    probability is a placeholder symbol, its event and condition kept in ``self.table``."""

    def __init__(self, tokens, table: dict):
        self.tokens, self.i, self.table = tokens, 0, table

    def peek(self, k: int = 0):
        j = self.i + k
        return self.tokens[j] if j < len(self.tokens) else ("end", "")

    def take(self, kind: str, value: str | None = None):
        token = self.peek()
        if token[0] != kind or (value is not None and token[1] != value):
            raise Unread(f"{kind} expected")
        self.i += 1
        return token

    def side(self):
        expr = self.sum()
        if self.peek()[0] != "end":
            raise Unread("trailing text")
        return expr

    def sum(self):
        sign = 1
        if self.peek() in (("op", "-"), ("op", "+")):
            sign = -1 if self.take("op")[1] == "-" else 1
        total = sign * self.product()
        while self.peek() in (("op", "-"), ("op", "+")):
            sign = -1 if self.take("op")[1] == "-" else 1
            total += sign * self.product()
        return total

    def _starts_factor(self) -> bool:
        return self.peek()[0] in ("number", "head", "frac", "open")

    def product(self):
        value = self.power()
        divided = False
        while True:
            token = self.peek()
            if token[0] == "times" or token == ("op", "/"):
                self.i += 1
                divided = token[1] == "/"
                value = value / self.power() if divided else value * self.power()
            elif self._starts_factor():
                if divided or (token[0] == "number" and self.peek(-1)[0] == "number"):
                    raise Unread("a / b c is ambiguous")
                value *= self.power()
            else:
                return value

    def power(self):
        base = self.primary()
        if self.peek() == ("op", "^"):
            self.i += 1
            braced = self.peek() == ("open", "{")
            if braced:
                self.i += 1
            sign = -1 if braced and self.peek() == ("op", "-") and self.take("op") else 1
            exponent = self.take("number")[1]
            if braced:
                self.take("close", "}")
            if not exponent.isdigit():
                raise Unread("a power")
            base = base ** (sign * int(exponent))
        return base

    def primary(self):
        kind, value = self.peek()
        if kind == "number":
            self.i += 1
            return sympy.Rational(value)
        if kind == "frac":
            self.i += 1
            top, bottom = self.bracketed(self.sum), self.bracketed(self.sum)
            return top / bottom
        if kind == "open":
            return self.bracketed(self.sum)
        if kind == "head":
            self.i += 1
            return self.probability()
        raise Unread(f"unexpected {value}")

    def bracketed(self, read):
        """``read`` between an opening bracket and its closing one."""
        kind, value = self.take("open")
        inner = read()
        self.take("close", _CLOSE[value])
        return inner

    def probability(self):
        kind, value = self.take("open")
        event = self.events()
        condition = None
        if self.peek()[0] == "bar":
            self.i += 1
            condition = self.events()
        self.take("close", _CLOSE[value])
        key = (event, condition)
        if key not in self.table:
            self.table[key] = sympy.Symbol(f"⟪P{len(self.table)}⟫")
        return self.table[key]

    def events(self):
        """Events separated by commas: their intersection."""
        found = self.event()
        while self.peek() == ("op", ","):
            self.i += 1
            found = ("and", found, self.event())
        return found

    def event(self):
        found = self.complemented()
        operators = []
        while self.peek()[0] in ("cap", "cup", "minus_set"):
            operators.append(self.take(self.peek()[0])[0])
            found = ({"cap": "and", "cup": "or", "minus_set": "minus"}[operators[-1]], found, self.complemented())
        if len(set(operators)) > 1 or operators.count("minus_set") > 1:
            raise Unread("mixed set operations without parentheses")
        return found

    def complemented(self):
        kind, value = self.peek()
        if kind == "neg":
            self.i += 1
            found = ("not", self.bracketed(self.events) if self.peek()[0] == "open" else self.atom())
        else:
            found = self.atom()
        while self.peek()[0] == "complement":
            self.i += 1
            found = ("not", found)
        return found

    def atom(self):
        kind, value = self.peek()
        if kind == "letter":
            self.i += 1
            return ("letter", value)
        if kind in ("omega", "empty"):
            self.i += 1
            return (kind,)
        if kind == "open":
            return self.bracketed(self.events)
        raise Unread(f"an event expected at {value}")


def read_side(text: str, table: dict):
    """The side as a SymPy expression in placeholder symbols, one per probability (in ``table``:
    (event, condition) -> symbol); :class:`Unread` when it leaves the calculus of events."""
    return _Parser(_tokens(text), table).side()


# --- the atoms --------------------------------------------------------------------------------------

def _letters(tree, found: list) -> list:
    if tree is None:
        return found
    if tree[0] == "letter":
        if tree[1] not in found:
            found.append(tree[1])
    else:
        for part in tree[1:]:
            _letters(part, found)
    return found


def _mask(tree, letters: list, full: int) -> int:
    """The event as the set of atoms it holds (bit ω of the mask; bit i of ω is letter i)."""
    kind = tree[0]
    if kind == "letter":
        i = letters.index(tree[1])
        return sum(1 << w for w in range(full.bit_length()) if w >> i & 1)
    if kind == "omega":
        return full
    if kind == "empty":
        return 0
    if kind == "not":
        return full & ~_mask(tree[1], letters, full)
    a, b = _mask(tree[1], letters, full), _mask(tree[2], letters, full)
    return {"and": a & b, "or": a | b, "minus": a & ~b}[kind]


def _atom_name(w: int, letters: list) -> str:
    return "∩".join(name if w >> i & 1 else f"{name}^c" for i, name in enumerate(letters))


def _probabilities(table: dict, letters: list, weights) -> dict:
    """Placeholder -> its value when atom ω has probability ``weights[ω]``."""
    full = (1 << (1 << len(letters))) - 1

    def measure(mask):
        return sum((weights[w] for w in range(len(weights)) if mask >> w & 1), sympy.Integer(0))

    values = {}
    for (event, condition), symbol in table.items():
        e = _mask(event, letters, full)
        if condition is None:
            values[symbol] = measure(e)
        else:
            f = _mask(condition, letters, full)
            if f == 0:
                raise Unread("conditioning on the impossible event")
            values[symbol] = measure(e & f) / measure(f)
    return values


def _product_weights(q) -> list:
    return [sympy.Mul(*[qi if w >> i & 1 else 1 - qi for i, qi in enumerate(q)]) for w in range(1 << len(q))]


def _monomial(expr, symbols, single: bool = False) -> bool:
    """A number times a product of probabilities (``2 P(A) P(B)``); with ``single``, times one probability."""
    coefficient, rest = expr.as_coeff_Mul()
    factors = sympy.Mul.make_args(rest)
    if single:
        return coefficient != 0 and rest in symbols
    return coefficient != 0 and all(f in symbols or (isinstance(f, sympy.Pow) and f.base in symbols
                                                     and f.exp.is_Integer and f.exp > 0) for f in factors)


def _table_text(letters: list, weights, left, right) -> str:
    atoms = ", ".join(f"P({_atom_name(w, letters)})={weights[w]}" for w in range(len(weights)))
    return f"{atoms}: left = {left}, right = {right}"


def _instance(left, right, values):
    a, b = left.xreplace(values), right.xreplace(values)
    if not (a.is_Rational and b.is_Rational):
        return None  # a denominator vanishes at this instance
    return a, b


def document_relations(text: str) -> frozenset:
    """The relations between events the document speaks of anywhere: ``disjoint`` (disjoint, mutually
    exclusive, a partition, ∅) and ``subset`` (⊂, contained, implies); a statement that holds under one
    of them for some of its letters is not flagged in such a document."""
    found = set()
    if _DISJOINT_WORDS.search(text):
        found.add("disjoint")
    if _SUBSET_WORDS.search(text):
        found.add("subset")
    return frozenset(found)


def _scenarios(letters: list, relations: frozenset):
    """(description, atoms forced to probability 0) for the relations the document speaks of:
    two letters disjoint, one inside another, a group pairwise disjoint, a group partitioning Ω."""
    n = len(letters)
    atoms = range(1 << n)
    if "disjoint" in relations:
        for size in range(2, n + 1):
            for group in itertools.combinations(range(n), size):
                names = ", ".join(letters[i] for i in group)
                overlapping = {w for w in atoms if sum(w >> i & 1 for i in group) > 1}
                yield f"{names} disjoint", overlapping
                outside = {w for w in atoms if not any(w >> i & 1 for i in group)}
                yield f"{names} a partition of Ω", overlapping | outside
    if "subset" in relations:
        for i, j in itertools.permutations(range(n), 2):
            yield f"{letters[i]} ⊆ {letters[j]}", {w for w in atoms if w >> i & 1 and not w >> j & 1}


def _holds_under(left, right, table: dict, letters: list, generic: list, zero: set) -> bool:
    """Both sides one value, not 0, when the atoms in ``zero`` have probability 0 (0 = 0 excuses nothing)."""
    weights = [sympy.Integer(0) if w in zero else generic[w] for w in range(len(generic))]
    kept = [w for w in range(len(generic)) if w not in zero]
    weights[kept[-1]] = 1 - sum((weights[w] for w in kept[:-1]), sympy.Integer(0))
    try:
        values = _probabilities(table, letters, weights)
    except Unread:
        return False
    a = sympy.cancel(sympy.together(left.xreplace(values)))
    return a != 0 and not a.has(sympy.zoo, sympy.nan) and sympy.cancel(sympy.together(a - right.xreplace(values))) == 0


# --- the judgement ------------------------------------------------------------------------------------

def judge(left_text: str, right_text: str, prose: str = "", seconds: float = 3.0,
          relations: frozenset = frozenset()) -> Judgement | None:
    """The verdict on ``left = right`` read as probabilities of events, or None when a side is not
    read or a side has no probability of an event letter (the statement stays with the other checks).
    ``prose``: the text around it; ``relations``: :func:`document_relations` of the document."""
    if not (_ANY_PROBABILITY.search(left_text) and _ANY_PROBABILITY.search(right_text)):
        return None
    (left_text, right_text), written, nested = _relational_events((left_text, right_text))
    if written and any(_OTHER_LETTER.search(re.sub(_HEAD + r"|R_\{\d+\}", " ", text)) for text in (left_text, right_text)):
        return None  # P(X = x) beside P(Y): a letter beside a variable's events may be a variable too
    if written:  # {X ≤ 1} ⊂ {X ≤ 2}: events of one variable at two values are nested or disjoint, which letters do
        found = judge(left_text, right_text, prose, seconds, relations)  # not model: then a proof stands, nothing else
        if found is None or found.verdict == "unchecked" or (nested and found.verdict != "proved"):
            return None  # undecided on the letters: the laws of the variables (probability.py) may decide it
        shown = lambda text: functools.reduce(lambda t, kv: t.replace(kv[0], kv[1]), written.items(), text)
        return dataclasses.replace(found, reason=shown(found.reason), evidence=shown(found.evidence))
    table: dict = {}
    try:
        left, right = read_side(left_text, table), read_side(right_text, table)
    except (Unread, ValueError, TypeError, ZeroDivisionError):
        return None
    letters: list = []
    for event, condition in table:
        _letters(event, letters)
        _letters(condition, letters)
    for side in (left, right):
        if not any(_letters(event, []) or _letters(condition, []) for (event, condition), symbol in table.items()
                   if side.has(symbol)):
            return None
    letters.sort()
    if not letters or len(letters) > MAX_LETTERS or any(s.has(sympy.zoo, sympy.nan) for s in (left, right)):
        return None
    try:
        with symbolic.time_limit(seconds):
            return _judged(left, right, table, letters, prose, relations)
    except (symbolic.SymPyTimeout, Unread, ZeroDivisionError):
        return None


_RELATIONAL_EVENT = re.compile(
    r"(?<![A-Za-z\\])([A-Z](?:\s*_\s*(?:\{[^{}]*\}|[A-Za-z0-9]))?)\s*"
    r"(<=|>=|=|<|>|\\(?:leq?|geq?|lt|gt|neq?)(?![A-Za-z]))\s*"
    r"(-?\d+(?:\.\d+)?|[a-z](?:\s*_\s*(?:\{[^{}]*\}|[A-Za-z0-9]))?)(?![A-Za-z0-9_])")
_COMPLEMENTS = {"\\le": ("le", False), "\\leq": ("le", False), "<=": ("le", False), ">": ("le", True),
                "\\gt": ("le", True), "<": ("lt", False), "\\lt": ("lt", False), ">=": ("lt", True),
                "\\ge": ("lt", True), "\\geq": ("lt", True), "=": ("eq", False), "\\ne": ("eq", True),
                "\\neq": ("eq", True)}


_OTHER_LETTER = re.compile(r"(?<![A-Za-z\\])[A-Z](?![a-z])")


def _relational_events(texts: tuple) -> tuple:
    r"""The events a variable's relation to a value writes (``X \le 2``, ``X > 2``, ``Y = y``) as event letters, a
    relation and its negation as one letter and its complement (``X \le 2`` and ``X > 2``); and whether one
    variable has events at two values or of two kinds (nested or disjoint: not modelled by letters)."""
    keys: dict = {}

    def letter(m):
        variable, relation, value = (" ".join(g.split()) for g in m.groups())
        kind, negated = _COMPLEMENTS[relation]
        name = keys.setdefault((variable, value, kind), f"R_{{{len(keys) + 90}}}")
        return name + ("^c" if negated else "")
    out = tuple(_RELATIONAL_EVENT.sub(letter, text) for text in texts)
    variables = [variable for variable, _, _ in keys]
    symbols = {"le": "≤", "lt": "<", "eq": "="}
    written = {f"R_{name[3:-1]}": f"{{{variable} {symbols[kind]} {value}}}"
               for (variable, value, kind), name in sorted(keys.items(), key=lambda kv: -len(kv[1]))}
    return out, written, len(set(variables)) < len(variables)


def _judged(left, right, table: dict, letters: list, prose: str, relations: frozenset) -> Judgement:
    names = ", ".join(letters)
    m = 1 << len(letters)
    p = sympy.symbols(f"p0:{m - 1}", positive=True)
    generic = list(p) + [1 - sum(p)]
    values = _probabilities(table, letters, generic)
    difference = sympy.cancel(sympy.together(left.xreplace(values) - right.xreplace(values)))
    if difference == 0:
        return Judgement("proved", f"proved on the atoms of {names}: true in every probability space")
    symbols = set(table.values())
    q = sympy.symbols(f"q0:{len(letters)}", positive=True)
    independent = _probabilities(table, letters, _product_weights(q))
    holds_independent = sympy.cancel(sympy.together(left.xreplace(independent) - right.xreplace(independent))) == 0
    condition = (_monomial(left, symbols, True) and _monomial(right, symbols)) or (
        _monomial(right, symbols, True) and _monomial(left, symbols))
    values = sorted({str(r) for side in (left, right) for r in side.atoms(sympy.Rational) if not r.is_integer})
    rng = random.Random(24)
    counterexample = None
    for _ in range(INSTANCES):
        weights = [rng.randint(1, 12) for _ in range(m)]
        weights = [sympy.Rational(w, sum(weights)) for w in weights]
        found = _instance(left, right, _probabilities(table, letters, weights))
        if found is not None and found[0] != found[1]:
            counterexample = _table_text(letters, weights, *found)
            break
    if condition:
        if holds_independent:
            return Judgement("unchecked", "holds when the events are independent: an assumption the lecture may make, "
                                          "not an identity", counterexample or "", "condition")
        return Judgement("unchecked", "a relation of a single probability to a product of probabilities "
                                      "(P(A|B) = P(A), P(A∩B) = P(A)P(B)): a condition on the events, "
                                      "not an identity; not flagged",
                         counterexample or "", "condition")
    if values:
        return Judgement("unchecked", f"a relation with given values ({', '.join(values[:3])}): data or a condition "
                                      "on the events, not an identity; not flagged", counterexample or "", "condition")
    if holds_independent:
        return Judgement("unchecked", f"holds when the events {names} are independent: an assumption the lecture may "
                                      "make, not an identity", counterexample or "", "condition")
    assumption = _ASSUMPTION.search(prose or "")
    if assumption:
        return Judgement("unchecked", f"differs on the atoms of {names}, but the prose states an assumption "
                                      f"('{assumption.group(0)}') the atoms do not model: not flagged",
                         counterexample or "", "property")
    for scenario, zero in _scenarios(letters, relations):
        if len(zero) < m - 1 and _holds_under(left, right, table, letters, generic, zero):
            return Judgement("unchecked", f"differs on the atoms of {names}, but holds when {scenario}, a relation the "
                                          "document speaks of: an assumption the lecture may make; not flagged",
                             counterexample or "", "condition")
    witness = None
    for _ in range(INSTANCES):
        qs = [sympy.Rational(rng.randint(1, 9), 10) for _ in letters]
        found = _instance(left, right, _probabilities(table, letters, _product_weights(qs)))
        if found is not None and found[0] != found[1]:
            chosen = ", ".join(f"P({name})={value}" for name, value in zip(letters, qs))
            witness = f"independent {chosen}: left = {found[0]}, right = {found[1]}"
            break
    if counterexample is None or witness is None:
        return Judgement("unchecked", f"the sides differ as functions of the atoms of {names}, but no exact instance "
                                      "was found: not flagged")
    return Judgement("disagrees", f"the sides differ on the atoms of {names}, also when the events are independent",
                     f"{counterexample}; {witness}")
