"""Vectors and matrices as the document types them: non-commuting objects, never scalars.

A statement about matrices read with commuting scalars proves ``AB = BA`` and ``(AB)^{-1} =
A^{-1}B^{-1}``. Here the document is read first for the names it types (:func:`document_types`):
"let $A$, $B$ be $n \\times n$ matrices", "$A \\in \\mathbb{R}^{n\\times n}$", "vectors $x, y$",
bold names (``\\mathbf{A}``, ``\\boldsymbol{x}``). A statement that uses a typed name is read by
the small parser below (sums, products, scalar factors, transposes, inverses, integer powers,
``\\operatorname{tr}``, ``\\det``, norms ``\\|x\\|``, the identity ``I``) into a function of
matrices, and both sides are evaluated on exact random rational instances of two sizes
(:func:`compare_on_instances`):

* a difference at an instance is a counterexample in exact arithmetic: a flag -- unless the
  document states an assumption the instances do not model (symmetric, orthogonal, diagonal,
  commuting, idempotent, a projection, ...), and then the statement stays unchecked, saying which;
* equality at every instance is evidence, not a proof: the statement stays unchecked and says so.

What the parser cannot read stays unchecked ("vectors and matrices: not read"); a typed statement
never falls back to the scalar reading, so it is never proved or flagged as scalars.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass
from fractions import Fraction

import sympy

from derivspec.scan import scope

DIMENSION_LETTERS = frozenset("dDnNkKmM")  # a scalar letter that may be a size
SIZES = (2, 3)  # square sizes of the instances (vectors: SIZE x 1)
DRAWS = 3  # instances per size
ENTRIES = range(-4, 5)  # rational entries: small integers, exact arithmetic

_BOLD = r"\\(?:mathbf|boldsymbol|bm|vec)\s*\{?\s*([A-Za-z])\s*\}?"
_LETTER = r"(?<![\\A-Za-z])([A-Za-z])(?![A-Za-z])"
_ASSUMPTIONS = re.compile(r"symmetric|orthogonal|orthonormal|diagonal|commut|idempotent|projection|triangular|"
                          r"positive[- ]definite|positive[- ]semi|unitary|normal matri|nilpotent|permutation|"
                          r"perpendicular|\\perp", re.IGNORECASE)


@dataclass(frozen=True)
class DocumentTypes:
    """Names the document types: ``matrices`` (square, n x n) and ``vectors`` (n x 1), with the
    assumptions it states about them (the words, for the record)."""

    matrices: frozenset = frozenset()
    vectors: frozenset = frozenset()
    assumptions: tuple = ()
    declared_at: tuple = ()  # (name, first line of its declaration)

    def typed(self, text: str, line: int | None = None) -> set[str]:
        """The typed names ``text`` (at ``line``) uses: bold names, and names declared at or before
        that line (reading order: a declaration further down does not type an earlier statement)."""
        names = {m for m in re.findall(_BOLD, text)}
        plain = re.sub(_BOLD, " ", text)
        plain = re.sub(r"\\(?:text[a-z]*|mathrm|operatorname|mbox)\s*\{[^{}]*\}", " ", plain)
        plain = re.sub(r"\\[A-Za-z]+", " ", plain)
        declared = dict(self.declared_at)
        names |= {m for m in re.findall(r"[A-Za-z]", plain)  # every letter: AB is A times B
                  if m in self.matrices | self.vectors and (line is None or declared.get(m, 0) <= line)}
        return names


_DECLARATION = re.compile(r"((?:\$[^$]{1,40}\$[\s,]*(?:and\s+)?){1,6})\s*(?:be|are|is|denote|denotes)\s+"
                          r"(?:an?\s+|two\s+|three\s+|some\s+|any\s+|real\s+|square\s+|invertible\s+|"
                          r"\$[^$]{1,30}\$\s*|[\w-]+\s+){0,4}?(matri(?:x|ces)|vectors?)", re.IGNORECASE)
_KIND_FIRST = re.compile(r"(matri(?:x|ces)|vectors?)\s+((?:\$[^$]{1,40}\$[\s,]*(?:and\s+)?){1,6})", re.IGNORECASE)
_APPOSITION = re.compile(r"(\$[^$]{1,40}\$)\s+an?\s+(?:\$[^$]{1,30}\$\s*|[\w-]+\s+){0,3}?(matrix|vector)\b", re.IGNORECASE)
_ADJECTIVE = re.compile(r"\b(?:(?:square|invertible|non-?singular)\s+(?:and\s+)?)+"  # square invertible $C$ and $D$
                        r"((?:\$[^$]{1,40}\$[\s,]*(?:and\s+)?){1,6})", re.IGNORECASE)
_MEMBERSHIP = re.compile(r"((?:(?<![\\A-Za-z])[A-Za-z]\s*,\s*){0,5}(?<![\\A-Za-z])[A-Za-z])\s*\\in\s*\\mathbb\s*\{?\s*R\s*\}?\s*\^\s*\{?\s*([^{}$]{1,20})\}?")  # A, B \in R^{n x n}


def document_types(text: str) -> DocumentTypes:
    """The matrices and vectors a document declares, read from the whole text before any check."""
    matrices, vectors, first = set(), set(), {}

    def line_of(match) -> int:
        return text.count("\n", 0, match.start()) + 1

    def letters(math: str) -> set[str]:
        inner = " ".join(scope.inline_math(math)) or math
        bold = set(re.findall(_BOLD, inner))
        return bold | set(re.findall(_LETTER, re.sub(r"\\[A-Za-z]+", " ", re.sub(_BOLD, " ", inner))))

    def declare(kind: str, found: set[str], line: int) -> None:
        (matrices if kind == "matrix" else vectors).update(found)
        for name in found:
            first.setdefault(name, line)

    for match in _DECLARATION.finditer(text):
        names, kind = match.groups()
        declare("matrix" if kind.lower().startswith("matri") else "vector", letters(names), line_of(match))
    for match in _KIND_FIRST.finditer(text):
        kind, names = match.groups()
        declare("matrix" if kind.lower().startswith("matri") else "vector", letters(names), line_of(match))
    for match in _APPOSITION.finditer(text):  # "and $B$ an $n \times p$ matrix"
        names, kind = match.groups()
        declare(kind.lower(), letters(names), line_of(match))
    for match in _ADJECTIVE.finditer(text):  # "for square invertible $C$ and $D$": matrices
        declare("matrix", {n for n in letters(match.group(1)) if n[-1:].isupper()}, line_of(match))  # not f: a map
    for match in _MEMBERSHIP.finditer(text):
        names, space = match.groups()
        declare("matrix" if re.search(r"\\times|×|\*", space) else "vector", set(re.findall(r"[A-Za-z]", names)),
                line_of(match))
    vectors -= matrices
    assumptions = tuple(sorted({m.group(0).lower() for m in _ASSUMPTIONS.finditer(text)}))
    return DocumentTypes(frozenset(matrices), frozenset(vectors), assumptions, tuple(sorted(first.items())))


def may_be_matrices(text: str) -> set[str]:
    """Capital letters that may be matrices where the document gives them no type: some capital is
    inverted, transposed or under det/tr (``A^{-1}``, ``(AB)^{-1}``, ``\\det A``), or ``I`` stands
    beside them (the identity) -- and then every capital that multiplies it, not a function's name."""
    plain = re.sub(r"\\(?:mathrm|operatorname|text|textrm|mbox)\s*\{\s*(?:tr|Tr|det)\s*\}", r" \\det ", text)
    plain = re.sub(r"\\(?:mathrm|operatorname|text[a-z]*|mbox)\s*\{[^{}]*\}", " ", plain)
    plain = re.sub(r"\^\s*(?:\{\s*)?(?:T|\\mathsf\s*\{?\s*T\s*\}?|\\intercal)(?![A-Za-z])\s*\}?", r"^\\top ", plain)
    plain = re.sub(r"\\(?!det\b|tr\b|top\b)[A-Za-z]+", " ", plain)
    capitals = set(re.findall(r"([A-HJ-Z])(?!\s*\()", plain))
    operated = set(re.findall(r"([A-Z])\s*\^\s*\{?\s*(?:-\s*1|\\top)", plain))
    operated |= set(re.findall(r"\\(?:det|tr)\s*\(?\s*([A-Z])", plain))
    for group in re.findall(r"\(([^()]*)\)\s*\^\s*\{?\s*(?:-\s*1|\\top)", plain):
        if len(re.findall(r"[A-HJ-Z]", group)) >= 2:
            operated.add("group")
    if operated or re.search(r"[A-HJ-Z]\s*[-+]\s*I(?![\w(])|(?<![\w^_])I\s*[-+]\s*[A-HJ-Z]", plain):
        return capitals
    return set()


# --- a small reader of matrix expressions ------------------------------------------------------


GREEK = {"\\" + name for name in ("alpha", "beta", "gamma", "delta", "epsilon", "eta", "theta", "kappa", "lambda",
                                    "mu", "nu", "rho", "sigma", "tau", "phi", "psi", "omega")}


class NotRead(Exception):
    """The expression uses something the matrix reader does not know."""


_TOKEN = re.compile(r"\\left|\\right|\\big[lr]?|\\Big[lr]?|\\,|\\;|\\!|\\ |"
                    r"\\(?:mathbf|boldsymbol|bm|vec)\s*\{\s*[A-Za-z]\s*\}|\\(?:mathbf|boldsymbol|bm|vec)\s*[A-Za-z]|"
                    r"\\operatorname\s*\{\s*(?:tr|Tr|trace)\s*\}|\\mathrm\s*\{\s*(?:tr|Tr)\s*\}|\\text\s*\{\s*(?:tr|Tr)\s*\}|\\tr\b|"
                    r"\\det\b|\\top\b|\\intercal\b|\\cdot|\\times|\\lVert|\\rVert|\\Vert|\\\||\\[A-Za-z]+|"
                    r"\d+(?:\.\d+)?|[A-Za-z]|[-+*/^_{}()\[\]|'.,]")


def _tokens(text: str) -> list[str]:
    tokens, position = [], 0
    text = text.strip().rstrip(".,;")
    while position < len(text):
        if text[position].isspace():
            position += 1
            continue
        match = _TOKEN.match(text, position)
        if not match:
            raise NotRead(f"cannot read {text[position:position + 12]!r}")
        token = match.group(0)
        position = match.end()
        if token in (r"\left", r"\right", r"\,", r"\;", r"\!", r"\ ") or re.fullmatch(r"\\[Bb]ig[lr]?", token):
            continue
        bold = re.fullmatch(r"\\(?:mathbf|boldsymbol|bm|vec)\s*\{?\s*([A-Za-z])\s*\}?", token)
        if bold:
            token = "bold:" + bold.group(1)  # typed by its face: upper case a matrix, lower case a vector
        elif re.fullmatch(r"\\(?:operatorname|mathrm|text)\s*\{\s*(?:tr|Tr|trace)\s*\}|\\tr", token):
            token = "tr"
        elif token in (r"\lVert", r"\rVert", r"\Vert", r"\|"):
            token = "‖"
        tokens.append(token)
    # "t r" spelled as two letters before a bracket: the trace
    joined = []
    for token in tokens:
        if joined and joined[-1] == "t" and token == "r":
            joined[-1] = "tr"
        else:
            joined.append(token)
    return joined


class _Parser:
    """Recursive descent over the tokens: sum := term (± term)*; term := factor (·? factor)*;
    factor := atom postfix*; atom := name | number | (sum) | tr(sum) | det(sum) | ‖sum‖."""

    def __init__(self, tokens: list[str], types: DocumentTypes):
        self.tokens, self.types, self.i = tokens, types, 0
        self.scalars: set[str] = set()

    def peek(self) -> str | None:
        return self.tokens[self.i] if self.i < len(self.tokens) else None

    def take(self, expected: str | None = None) -> str:
        token = self.peek()
        if token is None or (expected is not None and token != expected):
            raise NotRead(f"expected {expected or 'more'}, found {token}")
        self.i += 1
        return token

    def parse(self):
        node = self.sum()
        if self.peek() is not None:
            raise NotRead(f"unexpected {self.peek()!r}")
        return node

    def sum(self):
        sign = 1
        if self.peek() in ("-", "+"):
            sign = -1 if self.take() == "-" else 1
        node = ("scale", -1, self.term()) if sign < 0 else self.term()
        while self.peek() in ("+", "-"):
            op = self.take()
            right = self.term()
            node = ("add", node, right if op == "+" else ("scale", -1, right))
        return node

    def term(self):
        node = self.factor()
        while True:
            token = self.peek()
            if token in (r"\cdot", "*"):
                self.take()
                node = ("mul", node, self.factor())
            elif token == "/":
                self.take()
                node = ("div", node, self.factor())
            elif token is not None and token not in ("+", "-", ")", "]", "}", "‖", ",", "|"):
                node = ("mul", node, self.factor())
            else:
                return node

    def factor(self):
        node = self.atom()
        while self.peek() in ("^", "'"):
            if self.take() == "'":
                node = _transposed(node)
                continue
            exponent = self.exponent()
            if exponent in (r"\top", "T", r"\intercal"):
                node = _transposed(node)
            elif re.fullmatch(r"-?\d+", exponent):
                node = ("pow", node, int(exponent))
            else:
                raise NotRead(f"exponent {exponent!r}")
        return node

    def exponent(self) -> str:
        if self.peek() == "{":
            self.take("{")
            parts = []
            while self.peek() != "}":
                parts.append(self.take())
            self.take("}")
            return "".join(parts)
        token = self.take()
        if token == "-":
            return "-" + self.take()
        return token

    def atom(self):
        token = self.take()
        if token in ("(", "[", "{"):
            closing = {"(": ")", "[": "]", "{": "}"}[token]
            node = self.sum()
            self.take(closing)
            return node
        if token == r"\frac":
            numerator = self.atom()
            denominator = self.atom()
            return ("div", numerator, denominator)
        if token in GREEK:
            self.scalars.add(token)
            return ("scalar", token)
        if token in ("tr", r"\det"):
            argument = self.atom() if self.peek() in ("(", "[", "{") else self.factor()
            return (token.lstrip("\\"), argument)
        if token == "‖":
            node = self.sum()
            self.take("‖")
            if self.peek() == "_":  # ‖x‖_2
                self.take("_")
                self.exponent()
            return ("norm", node)
        if re.fullmatch(r"\d+(?:\.\d+)?", token):
            return ("number", Fraction(token))
        if token.startswith("bold:"):
            name = token[5:]
            return ("matrix" if name.isupper() else "vector", token)
        if re.fullmatch(r"[A-Za-z]", token):
            if token in self.types.matrices:
                return ("matrix", token)
            if token in self.types.vectors:
                return ("vector", token)
            if token == "I":
                if self.peek() == "_":  # I_d, I_{n}: the identity of a size the text names
                    self.take("_")
                    self.exponent()
                return ("identity",)
            self.scalars.add(token)
            return ("scalar", token)
        raise NotRead(f"unknown symbol {token!r}")


def _transposed(node):
    """``node`` transposed. A letter the document does not type, transposed (``x^\top A x`` where
    "$x$ a vector" declares nothing), is a vector or matrix to the lecture: reading it as a number
    would judge another statement (x² A ≠ x² Aᵀ), so it is not read."""
    if node[0] == "scalar":
        raise NotRead(f"{node[1]} is transposed but not declared a vector or a matrix")
    return ("T", node)


def read(text: str, types: DocumentTypes):
    """The expression tree of one side and the scalar letters it uses; NotRead when unreadable."""
    parser = _Parser(_tokens(text), types)
    return parser.parse(), parser.scalars


def lone_name(text: str, types: DocumentTypes) -> bool:
    """Whether ``text`` is one name (a matrix, vector or scalar letter): the side a definition, a
    value or an update (``w = w - \\eta g``) names."""
    try:
        tree, _ = read(text, types)
    except (NotRead, RecursionError):
        return False
    return tree[0] in ("matrix", "vector", "scalar")


def readable(text: str, types: DocumentTypes) -> bool:
    """Whether the matrix reader reads ``text``."""
    try:
        read(text, types)
        return True
    except (NotRead, RecursionError):
        return False


def _evaluate(node, values: dict, size: int):
    """The value of a tree: a sympy Matrix, or a Rational for a scalar; ValueError on a shape mismatch."""
    kind = node[0]
    if kind in ("matrix", "vector", "scalar"):
        return values[node[1]]
    if kind == "number":
        return sympy.Rational(node[1].numerator, node[1].denominator)
    if kind == "identity":
        return sympy.eye(size)
    if kind == "scale":
        return node[1] * _evaluate(node[2], values, size)
    args = [_evaluate(child, values, size) for child in node[1:] if isinstance(child, tuple)]
    if kind == "add":
        a, b = args
        if isinstance(a, sympy.MatrixBase) != isinstance(b, sympy.MatrixBase):
            raise ValueError("a matrix plus a scalar")
        return a + b
    if kind == "mul":
        a, b = args
        if isinstance(a, sympy.MatrixBase) and isinstance(b, sympy.MatrixBase):
            if a.shape == (1, 1) and b.shape[0] != 1:  # xᵀy A: a 1x1 product is a scalar
                return a[0, 0] * b
            if b.shape == (1, 1) and a.shape[1] != 1:
                return a * b[0, 0]
        return a * b
    if kind == "div":
        a, b = args
        if isinstance(b, sympy.MatrixBase):
            if b.shape != (1, 1):
                raise ValueError("division by a matrix")
            b = b[0, 0]
        return a / b
    if kind == "T":
        (a,) = args
        return a.T if isinstance(a, sympy.MatrixBase) else a
    if kind == "pow":
        (a,) = args
        if isinstance(a, sympy.MatrixBase) and a.shape[0] != a.shape[1]:
            if a.shape == (1, 1):
                return a[0, 0] ** node[2]
            raise ValueError("a power of a non-square matrix")
        return a ** node[2]
    if kind == "tr":
        (a,) = args
        return a.trace() if isinstance(a, sympy.MatrixBase) else a
    if kind == "det":
        (a,) = args
        return a.det() if isinstance(a, sympy.MatrixBase) else a
    if kind == "norm":
        (a,) = args
        if isinstance(a, sympy.MatrixBase):
            return sympy.sqrt((a.T * a)[0, 0]) if a.shape[1] == 1 else sympy.sqrt((a.T * a).trace())
        return sympy.Abs(a)
    raise ValueError(f"unknown node {kind}")


def _scalar(value):
    if isinstance(value, sympy.MatrixBase) and value.shape == (1, 1):
        return value[0, 0]
    return value


def _typed_leaves(node) -> set[tuple[str, str]]:
    """(kind, name) of the matrices and vectors in a tree."""
    if node[0] in ("matrix", "vector"):
        return {(node[0], node[1])}
    return set().union(*(_typed_leaves(child) for child in node[1:] if isinstance(child, tuple)))


def _instance(leaves: set[tuple[str, str]], scalars: set[str], size: int, rng: random.Random) -> dict:
    values = {}
    for kind, name in sorted(leaves):
        if kind == "matrix":
            while True:  # invertible, so that inverses exist
                m = sympy.Matrix(size, size, lambda i, j: rng.choice(ENTRIES))
                if m.det() != 0:
                    break
            values[name] = m
        else:
            values[name] = sympy.Matrix(size, 1, lambda i, j: rng.choice(ENTRIES))
    for name in sorted(scalars):
        values[name] = sympy.Rational(rng.choice([v for v in ENTRIES if v]), rng.choice((1, 2, 3)))
    return values


@dataclass
class InstanceVerdict:
    verdict: str  # disagrees | holds | unread
    reason: str
    evidence: str = ""


def _show(value) -> str:
    if isinstance(value, sympy.MatrixBase):
        return str(value.tolist()).replace(" ", "")
    return str(value)


def compare_on_instances(left: str, right: str, types: DocumentTypes, seed: int = 0) -> InstanceVerdict:
    """Both sides on exact random rational instances of sizes 2 and 3 (matrices invertible)."""
    try:
        (left_tree, left_scalars), (right_tree, right_scalars) = read(left, types), read(right, types)
    except NotRead as error:
        return InstanceVerdict("unread", f"vectors and matrices: not read as matrices ({error})")
    dimensions = (left_scalars | right_scalars) & DIMENSION_LETTERS
    if dimensions:
        return InstanceVerdict("unread", f"vectors and matrices: the statement names a dimension "
                                         f"({', '.join(sorted(dimensions))}), which the instances fix")
    names = _typed_leaves(left_tree) | _typed_leaves(right_tree)
    rng = random.Random(seed)
    checked = 0
    for size in SIZES:
        for _ in range(DRAWS):
            values = _instance(names, left_scalars | right_scalars, size, rng)
            try:
                a, b = _scalar(_evaluate(left_tree, values, size)), _scalar(_evaluate(right_tree, values, size))
            except (ValueError, sympy.ShapeError, sympy.NonSquareMatrixError, TypeError) as error:
                return InstanceVerdict("unread", f"vectors and matrices: the shapes do not fit ({error})")
            if isinstance(a, sympy.MatrixBase) != isinstance(b, sympy.MatrixBase) or \
                    (isinstance(a, sympy.MatrixBase) and a.shape != b.shape):
                return InstanceVerdict("unread", "vectors and matrices: the sides have different shapes")
            difference = (a - b) if not isinstance(a, sympy.MatrixBase) else (a - b).applyfunc(sympy.nsimplify)
            zero = difference.is_zero_matrix if isinstance(difference, sympy.MatrixBase) else sympy.simplify(difference) == 0
            if not zero:
                shown = ", ".join(f"{n.removeprefix('bold:')} = {_show(v)}" for n, v in values.items())
                return InstanceVerdict("disagrees", f"the sides differ for {size}x{size} matrices (exact rational arithmetic)",
                                       f"at {shown}: left {_show(a)}, right {_show(b)}")
            checked += 1
    return InstanceVerdict("holds", f"holds on {checked} random rational instances ({' and '.join(f'{s}x{s}' for s in SIZES)}): "
                                    "evidence for matrices, not a proof")


# --- matrices written out entry by entry ------------------------------------------------------------

WRITTEN_OUT = re.compile(r"\\begin\s*\{\s*(?:[bpB]?matrix|smallmatrix)\*?\s*\}")


@dataclass(frozen=True)
class Entrywise:
    verdict: str  # proved | disagrees
    reason: str
    evidence: str = ""


def compare_written_out(a, b, places: int = 0) -> Entrywise | None:
    r"""Two sides read with their matrices written out (``read_document(arrays=True)``), each an explicit matrix
    once its products, sums, transposes and inverses are carried out: compared entry by entry. Every entry's
    difference simplifying to 0 proves the step (entries written with decimals: equal to the last decimal written);
    shapes that differ, or an entry whose two values are numbers that differ beyond that, flag it, naming the entry;
    any other difference decides nothing (None), nor does a side that is no explicit matrix. ``places``: the most
    decimals a number of the sides is written with (0: exact)."""
    if not (isinstance(a, sympy.MatrixBase) and isinstance(b, sympy.MatrixBase)):
        return None
    numeric = all(e.is_number for e in (*a, *b))
    if a.shape != b.shape:
        return Entrywise("disagrees", f"the sides are matrices of shapes {a.shape[0]}x{a.shape[1]} and "
                                      f"{b.shape[0]}x{b.shape[1]}") if numeric else None
    rounded = places > 0 or any(e.has(sympy.Float) for e in (*a, *b))
    allowance = 10.0 ** -max(places, 1) + 1e-12  # one unit in the last decimal written: lectures truncate (2.71 for e)
    for i in range(a.rows):
        for j in range(a.cols):
            x, y = a[i, j], b[i, j]
            try:
                difference = sympy.simplify(x - y)
            except Exception:  # noqa: BLE001 -- an entry SymPy cannot take decides nothing
                return None
            if difference == 0:
                continue
            if not (x.is_number and y.is_number):
                return None
            if rounded and abs(sympy.N(difference)) <= allowance:
                continue
            return Entrywise("disagrees", f"entry ({i + 1}, {j + 1}) differs: {_shown(x)} on the left, {_shown(y)} on "
                                          "the right", f"the left side is {_show_matrix(a)}, the right {_show_matrix(b)}")
    how = " (to the last decimal written)" if rounded else ""
    return Entrywise("proved", f"proved entry by entry{how}: the {a.rows}x{a.cols} matrices written out are equal")


def _shown(value) -> str:
    return str(value) if value.is_Rational else f"{str(value)} = {float(sympy.N(value)):.6g}"


def _show_matrix(m) -> str:
    return "[" + "; ".join(", ".join(_shown(e) if e.is_number else str(e) for e in m.row(i)) for i in range(m.rows)) + "]"
