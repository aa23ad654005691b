r"""Standard mathematics as rows of data: the three knowledge tables of ``derivspec scan``.

``derivspec/data/knowledge/`` holds three TOML files (read with :mod:`tomllib`, once per process):

* ``functions.toml`` -- standard functions (sigmoid, tanh, softmax, losses, kernels, norms, Gamma,
  Beta, erf, digamma, ...): each ``[[function]]`` has its LaTeX spellings, arity, definition,
  unfolded form and derivative in SymPy, and rows -- ``[function.define]`` (the definition restated),
  ``[function.derivative]`` and ``[[function.identity]]``;
* ``families.toml`` -- distribution families: each ``[[family]]`` has aliases, LaTeX heads,
  parameters (domain and reading), support, a ``sympy.stats`` constructor and ``[family.field.KIND]``
  tables (pmf/pdf, log-density, mean, variance, mode, entropy, MGF, scores, KL pairs, conjugate
  posteriors, reparameterisation, ...); each field is expanded into a :class:`Row` with the default
  patterns of its kind (``H(X)``, ``\mathbb{E}[X]``, ...) and ``given = ["X \sim Fam(params)"]``;
* ``results.toml`` -- plain ``[[result]]`` rows (probability rules, Gaussian algebra, estimators,
  optima, inequalities with their direction, the Matrix Cookbook core).

How to add a row (fields, role types, oracle kinds): ``docs/knowledge.md``. Every row is checked
against an independent oracle by ``property_tests/test_knowledge_table.py``; a row is never code.

The API the matching engine consumes: :func:`rows`, :func:`by_head`, :func:`function`,
:func:`family`, the dataclasses :class:`Row` and :class:`Wrong`, :data:`ROLE_TYPES`.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import os
import pickle
import re
import tempfile
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import sympy
from sympy.core.function import AppliedUndef

from derivspec.core import cache
from derivspec.core.errors import FormulaError
from derivspec.scan.reader import DocumentNames, read_document

KNOWLEDGE = Path(__file__).resolve().parents[1] / "data" / "knowledge"


class KnowledgeError(Exception):
    """A table row that cannot be loaded: the message names the row id and the field."""


# --- role types -----------------------------------------------------------------------------------
# A closed vocabulary. Each type gives the SymPy object a role is in ``meaning`` and a domain from
# which the table test draws points (property_tests/test_knowledge_table.py, DOMAINS).
ROLE_TYPES = {
    "real": "a real number",
    "positive": "a real number > 0",
    "nonnegative": "a real number >= 0",
    "probability": "a real number in (0, 1)",
    "integer": "an integer",
    "nonneg integer": "an integer >= 0",
    "positive integer": "an integer >= 1",
    "binary": "a label in {0, 1}",
    "sign": "a label in {-1, +1}",
    "dimension": "a size (integer >= 1) used by vector and matrix roles",
    "index": "an integer index 1..dimension",
    "random variable": "a random variable of the document (scope: a declared law or use)",
    "outcome": "a value taken by a random variable, the argument of a density",
    "density": "a density or pmf (a function of outcomes; p(x), p(x|z) read as the same law)",
    "function": "an arbitrary real function",
    "convex function": "a convex real function",
    "increasing function": "a strictly increasing differentiable real function",
    "vector": "vector[n]: a real vector of n components, written z[i] in meaning (i = 1..n)",
    "positive vector": "positive vector[n]: components > 0",
    "simplex": "simplex[n]: components > 0 that sum to 1",
    "count vector": "count vector[n]: nonnegative integer components",
    "matrix": "matrix[m,n]: a real m x n matrix (a MatrixSymbol in meaning; columns vectors are matrix[n,1])",
    "square matrix": "square matrix[n]: an invertible n x n matrix",
    "spd matrix": "spd matrix[n]: a symmetric positive definite n x n matrix",
}
_SHAPED = {"vector": 1, "positive vector": 1, "simplex": 1, "count vector": 1, "matrix": 2, "square matrix": 1,
           "spd matrix": 1}
_TYPE_RE = re.compile(r"^\s*([a-z ]+?)\s*(?:\[\s*([A-Za-z0-9_]+(?:\s*,\s*[A-Za-z0-9_]+)*)\s*\])?\s*$")
MATRIX_TYPES = frozenset({"matrix", "square matrix", "spd matrix"})
VECTOR_TYPES = frozenset({"vector", "positive vector", "simplex", "count vector"})
FUNCTION_TYPES = frozenset({"density", "function", "convex function", "increasing function"})


_SCALAR_TYPES = frozenset({"real", "positive", "probability", "positive integer", "nonneg integer", "integer"})


def law_parameters(family: "Family", args, fixed: bool = True) -> tuple[dict, dict] | None:
    r"""(parameter name -> value, parameter name -> the value of its square) of a law written ``head(args)``, placed
    as the table writes the law (``given_params``: ``\mu, \sigma^2`` -- the second argument of a normal is its
    variance, so σ is its square root). None where the arguments do not fit, a parameter is not a scalar, an argument
    the table squares is neither a number nor a square, or the family records another reading some notes use (a
    scale for a rate; ``N(\mu, \sigma)`` with a standard deviation) and the law as written does not fix it (a square
    or a number where the table writes ``\sigma^2``). ``fixed=False``: that other reading is let be (two laws of
    families read the same way on both sides of a statement)."""
    pieces = [piece.strip() for piece in family.law.split(",")]
    params = {p.name: p for p in family.params}
    if len(pieces) != len(args):
        return None
    values, squares = {}, {}
    for piece, arg in zip(pieces, args):
        squared = piece.endswith("^2")
        param = params.get(piece[:-2] if squared else piece)
        if param is None or role_type(param.type)[0] not in _SCALAR_TYPES:
            return None
        if squared:
            if not (arg.is_number or (isinstance(arg, sympy.Pow) and arg.exp == 2)):
                return None
            squares[param.name], values[param.name] = arg, sympy.sqrt(arg)
        else:
            values[param.name] = arg
    if fixed and family.readings and not squares:
        return None
    return values, squares


def role_type(text: str) -> tuple[str, tuple[str, ...]]:
    """``"matrix[m,n]"`` -> ``("matrix", ("m", "n"))``; a type outside :data:`ROLE_TYPES` or with the
    wrong number of sizes raises ValueError."""
    match = _TYPE_RE.match(text or "")
    if not match or match.group(1) not in ROLE_TYPES:
        raise ValueError(f"unknown role type {text!r} (known: {', '.join(ROLE_TYPES)})")
    base = match.group(1)
    sizes = tuple(s.strip() for s in match.group(2).split(",")) if match.group(2) else ()
    wanted = _SHAPED.get(base, 0)
    if len(sizes) != wanted:
        raise ValueError(f"role type {base!r} takes {wanted} size(s) in brackets, got {text!r}")
    return base, sizes


# --- names: a role's identifier in SymPy strings and its name as the reader writes it -------------
GREEK = frozenset("""alpha beta gamma delta epsilon varepsilon zeta eta theta vartheta iota kappa lambda mu nu
xi pi varpi rho varrho sigma varsigma tau upsilon phi varphi chi psi omega Gamma Delta Theta Lambda Xi Pi Sigma
Upsilon Phi Psi Omega ell""".split())
_IDENT_ALIASES = {"lam": "lambda", "Lam": "Lambda"}  # ``lambda`` is a Python keyword
_IDENT_RE = re.compile(r"^([A-Za-z]+?)(hat|bar|tilde)?(?:_([A-Za-z0-9]+))?$")


def latex_name(ident: str) -> str:
    r"""The reader's name for a role identifier: ``mu`` -> ``\mu``, ``lam`` -> ``\lambda``,
    ``sigma_1`` -> ``\sigma_{1}``, ``p_X`` -> ``p_{X}``, ``x`` -> ``x``, ``yhat`` -> ``\hat{y}``,
    ``mubar`` -> ``\bar{\mu}``, ``ptilde`` -> ``\tilde{p}``."""
    match = _IDENT_RE.match(ident)
    if not match:
        raise ValueError(f"role name {ident!r} is not an identifier such as x, mu, sigma_1, p_X")

    def one(part: str) -> str:
        part = _IDENT_ALIASES.get(part, part)
        if part in GREEK:
            return "\\" + part
        if len(part) > 1 and not part.isdigit():
            raise ValueError(f"role name {ident!r}: {part!r} is neither one letter nor a Greek letter's name")
        return part

    base, accent, sub = match.groups()
    if accent and base not in GREEK and base not in _IDENT_ALIASES and len(base) > 1:
        raise ValueError(f"role name {ident!r}: {base!r} is neither one letter nor a Greek letter's name")
    head = f"\\{accent}{{{one(base)}}}" if accent else one(base + (accent or ""))
    return head + (f"_{{{one(sub) if not sub.isdigit() else sub}}}" if sub else "")


# --- the dataclasses of the API ---------------------------------------------------------------------
@dataclass(frozen=True)
class Wrong:
    """A named slip: ``expr`` in the role names (SymPy), or a wrong ``relation`` (an inequality's
    direction reversed) with the row's own meaning."""

    name: str
    expr: sympy.Expr
    relation: str = "="


@dataclass(frozen=True)
class Row:
    """One row of the knowledge tables (see the module docstring and docs/knowledge.md).

    Beyond the contract's fields: ``relation`` (how the pattern side relates to ``meaning``: ``=``,
    or ``>=``/``<=`` for an inequality, read "pattern >= meaning"), ``symbols`` (role's reader name ->
    the SymPy object it is in ``meaning``: a Symbol, an IndexedBase for vectors, a MatrixSymbol for
    matrices, an undefined Function for function and density roles), ``sizes`` (role -> its size
    names), ``source`` (the table entry it was expanded from: a function's or a family's name and the
    field), ``given_compiled`` (each ``given`` read by the reader), ``meaning_tex`` (the LaTeX the
    meaning was read from, when it was written in LaTeX: operator rows such as the chain rule),
    ``accepted`` (named conventions that are also right and must never be flagged, as Wrong
    records: the squared loss with a factor 1/2, ...)."""

    id: str
    table: str
    names: tuple[str, ...]
    patterns: tuple[str, ...]
    compiled: tuple[sympy.Expr, ...]
    head: str
    roles: dict
    given: tuple[str, ...]
    meaning: sympy.Expr
    conditions: tuple
    wrong: tuple[Wrong, ...]
    examples: tuple[str, ...]
    planted: tuple[str, ...]
    twins: tuple[str, ...]
    oracle: str
    log_base: str = "scope"
    relation: str = "="
    symbols: dict = field(default_factory=dict)
    sizes: dict = field(default_factory=dict)
    source: tuple = ()
    given_compiled: tuple = ()
    meaning_tex: str = ""
    accepted: tuple = ()

    def __hash__(self) -> int:
        return hash(self.id)


@dataclass(frozen=True)
class Function:
    """A ``[[function]]`` entry: ``definition``/``unfold``/``derivative`` in SymPy in ``args``
    (the derivative with respect to the first argument), ``rows`` its rows' ids."""

    name: str
    latex: tuple[str, ...]
    aliases: tuple[str, ...]
    cues: tuple[str, ...]
    arity: int
    args: dict  # reader name -> role type
    definition: sympy.Expr
    unfold: sympy.Expr
    derivative: sympy.Expr | None
    rows: tuple[str, ...]
    symbols: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Param:
    """A family's parameter: reader name, role type, and how lectures read it (``reading``)."""

    name: str
    ident: str
    type: str
    reading: str = ""

    @property
    def symbol(self) -> sympy.Symbol:
        """The parameter in SymPy, as the family's ``said`` expressions write it (positive unless real)."""
        return sympy.Symbol(self.ident, positive=self.type != "real")


@dataclass(frozen=True)
class Family:
    """A ``[[family]]`` entry: ``fields`` maps each field kind (``mean``, ``entropy``,
    ``kl.Normal``, ...) to its row id; ``stats`` is its ``sympy.stats`` constructor in the
    parameters' identifiers (the oracle of the table test)."""

    name: str
    aliases: tuple[str, ...]
    latex: tuple[str, ...]
    params: tuple[Param, ...]
    support: str
    kind: str
    variable: str
    outcome: str
    stats: str
    fields: dict
    readings: tuple[str, ...] = ()
    other_stats: tuple[str, ...] = ()  # the ``sympy.stats`` form under each other reading of the parameters the
    # notes use (Exp(λ) by its scale: Exponential('X', 1/lam)): a difference under every reading is a difference
    said: dict = field(default_factory=dict)  # a word that names a parameter in prose -> SymPy in the idents:
    # "variance" -> sigma**2 (a law said in words: "a Gaussian with variance $v$")
    law: str = ""  # the law's arguments as the table writes them: '\mu, \sigma^2' (given_params, else the params)
    conditions: tuple[str, ...] = ()  # the family's own conditions on its parameters (every field holds under them)


RELATIONS = ("=", ">=", "<=", ">", "<")
LOG_BASES = ("scope", "e", "2", "10")
ORACLE_KINDS = ("py", "family", "finite", "torch")

# SymPy names a meaning may use besides its roles.
_SYMPY_NAMES = {name: getattr(sympy, name) for name in (
    "exp log sqrt Abs Max Min sign pi E oo Sum Product Integral Piecewise floor ceiling Rational Integer "
    "gamma loggamma digamma polygamma beta erf erfc erfinv factorial binomial tanh sinh cosh atanh sin cos "
    "Heaviside Eq Ne Lt Le Gt Ge And Or Trace Determinant Inverse Transpose Identity ZeroMatrix "
    "HadamardProduct Derivative Lambda harmonic lowergamma uppergamma re").split()}
_SYMPY_NAMES["KroneckerDelta"] = sympy.KroneckerDelta


def _fail(row_id: str, key: str, message: str):
    message = " ".join(str(message).split())  # one line
    raise KnowledgeError(f"knowledge row {row_id}: field {key!r}: {message}")


def _as_tuple(value, row_id: str, key: str) -> tuple:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        _fail(row_id, key, "expected a string or a list of strings")
    return tuple(value)


def _namespace(roles: dict, row_id: str) -> tuple[dict, dict, dict]:
    """identifier -> SymPy object for the roles (and their sizes); returns (namespace, symbols by
    reader name, sizes by reader name)."""
    ns, symbols, sizes = dict(_SYMPY_NAMES), {}, {}
    size_symbols = {}
    for ident, text in roles.items():
        try:
            base, dims = role_type(text)
        except ValueError as error:
            problem = f"{ident}: {error}"
        else:
            problem = None
        if problem:
            _fail(row_id, "roles", problem)
        for dim in dims:
            if not dim.isdigit():
                size_symbols[dim] = sympy.Symbol(dim, integer=True, positive=True)
    for ident, text in roles.items():
        base, dims = role_type(text)
        try:
            name = latex_name(ident)
        except ValueError as error:
            name, problem = None, str(error)
        if name is None:
            _fail(row_id, "roles", problem)
        shape = tuple(int(d) if d.isdigit() else size_symbols[d] for d in dims)
        if base in MATRIX_TYPES:
            shape = shape if len(shape) == 2 else (shape[0], shape[0])
            obj = sympy.MatrixSymbol(name, *shape)
        elif base in VECTOR_TYPES:
            obj = sympy.IndexedBase(sympy.Symbol(name, real=True))
        elif base in FUNCTION_TYPES:
            obj = sympy.Function(name)
        elif base == "index":
            obj = sympy.Symbol(name, integer=True, positive=True)
        elif base == "dimension":
            obj = size_symbols.get(ident, sympy.Symbol(name, integer=True, positive=True))
        else:
            obj = sympy.Symbol(name, real=True)
        ns[ident] = obj
        symbols[name] = obj
        sizes[name] = dims
    for dim, obj in size_symbols.items():
        ns.setdefault(dim, obj)
    return ns, symbols, sizes


def _sympy(text: str, ns: dict, row_id: str, key: str):
    if not isinstance(text, str) or not text.strip():
        _fail(row_id, key, "expected a SymPy expression as a non-empty string")
    try:
        value = sympy.sympify(text, locals=ns, rational=True)
    except (sympy.SympifyError, SyntaxError, TypeError, ValueError, AttributeError) as error:
        problem = f"cannot read {text!r} as SymPy: {error}"
    else:
        return value
    _fail(row_id, key, problem)


def _read(tex: str, row_id: str, key: str):
    problem = None
    try:
        return read_document(tex, DocumentNames()).expr
    except FormulaError as error:
        problem = f"the reader cannot read {tex!r}: {error}"
    except Exception as error:  # noqa: BLE001 -- a reader crash on a pattern is a table error too
        problem = f"the reader fails on {tex!r}: {type(error).__name__}: {error}"
    _fail(row_id, key, problem)


_GIVEN_RELATION = re.compile(r"\\propto(?![a-z])|\\sim(?![a-z])|(?<![<>!\\])=|\\in(?![a-z])|\\to(?![a-z])|\\perp(?![a-z])")


def _top_level_sides(tex: str) -> list[str]:
    """``tex`` cut at its relations outside braces and brackets (``k = \\sum_{i=1}^{n} x_i`` -> 2 sides)."""
    depth, cuts = 0, []
    for i, char in enumerate(tex):
        if char in "{([":
            depth += 1
        elif char in "})]":
            depth -= 1
        elif depth == 0:
            match = _GIVEN_RELATION.match(tex, i)
            if match:
                cuts.append((match.start(), match.end()))
    sides, start = [], 0
    for a, b in cuts:
        if a >= start:
            sides.append(tex[start:a])
            start = b
    sides.append(tex[start:])
    return [side for side in sides if side.strip()]


def _read_given(tex: str, row_id: str) -> tuple:
    r"""A fact of the scope (``X \sim \mathrm{Bern}(p)``, ``s = \operatorname{softmax}(z)``, ``X \to
    Y \to Z``): each side of its relation read by the reader."""
    return tuple(_read(side, row_id, "given") for side in _top_level_sides(tex))


_HEAD_WORDS = {"E": "E", "V": "Var", "Var": "Var", "Cov": "Cov", "KL": "KL", "H": "H", "I": "I", "JS": "JS",
               "tr": "tr", "det": "det", "Pr": "P", "P": "P", "CE": "CE"}
OPERATOR_HEADS = frozenset(_HEAD_WORDS.values())  # standard quantities: a side headed by one is never a new name
LETTER_HEADS = {"h": ("H", ("entropy",))}
r"""A lower-case letter that lectures also use for an operator (``h(Z)``, the differential entropy): the operator's
head only where the text names it by these words; elsewhere ``h`` is any function."""


def heads_of(expr, prose: str) -> tuple[str, ...]:
    r"""The index keys a side is looked up under: :func:`head_of`, and an operator a letter names where the prose
    says so (:data:`LETTER_HEADS`: ``h(Z)`` under "its entropy" is ``H(Z)``)."""
    from derivspec.scan import scope

    head = head_of(expr)
    if head == "function":
        core = re.sub(r"\[[^\]]*\]|⟮⟯|_.*$", "", type(expr).__name__)
        operator, words = LETTER_HEADS.get(core, (None, ()))
        if operator and scope.names_one_of(list(words), prose):
            return head, operator
    return (head,)


def head_of(expr) -> str:
    r"""The index key of a compiled pattern: the operator at its top (``E``, ``Var``, ``KL``, ``H``,
    ``derivative``, ``density``, a SymPy function's name, ``matrix``, ...), fonts and separators
    dropped: ``\mathbb{E}[|]⟮⟯(X, Y)`` -> ``E``, ``p[|](x, y)`` -> ``density``."""
    if isinstance(expr, (sympy.Derivative, sympy.Subs)) or str(expr).startswith("Derivative"):
        return "derivative"
    if isinstance(expr, AppliedUndef):
        name = type(expr).__name__
        core = re.sub(r"\[[^\]]*\]|⟮⟯|\\(?:math[a-z]+|operatorname|text[a-z]*)|[{}\\]", "", name)
        core = re.sub(r"_.*$", "", core).strip()
        if core in _HEAD_WORDS:
            return _HEAD_WORDS[core]
        if core in ("D", "D^*") and "KL" in name:
            return "KL"
        if len(core) == 1 and core.islower():
            return "density" if core in "pqf" else "function"
        return core or name
    if isinstance(expr, sympy.Function):
        return type(expr).__name__
    if isinstance(expr, sympy.log) and expr.args and isinstance(expr.args[0], AppliedUndef):
        return "log " + head_of(expr.args[0])
    if isinstance(expr, (sympy.Sum, sympy.Integral, sympy.Product)):
        return type(expr).__name__
    return type(expr).__name__


def _used_names(expr) -> set:
    found = set()
    for atom in sympy.preorder_traversal(expr):
        if isinstance(atom, sympy.Symbol):
            found.add(atom.name)
        elif isinstance(atom, sympy.MatrixSymbol):
            found.add(str(atom.name))
        elif isinstance(atom, sympy.IndexedBase):
            found.add(str(atom.label))
        elif isinstance(atom, AppliedUndef):
            found.add(type(atom).__name__)
    return found


def _tex_names(tex: str) -> set:
    """Reader names a LaTeX text mentions, each side of a fact read alone (for ``every role is used``)."""
    names = set()
    for side in _top_level_sides(tex):
        try:
            reading = read_document(side, DocumentNames())
        except Exception:  # noqa: BLE001 -- validated elsewhere; here only names are collected
            continue
        names |= {str(n) for n in reading.names_used} | _used_names(reading.expr)
    names |= {re.sub(r"\[[^\]]*\]|⟮⟯", "", name) for name in names}  # \mathbb{E}_{q(z)}⟮⟯, p[|], H[,]: the bare head too
    return names


def _planted(entries, examples: tuple, row_id: str) -> tuple[str, ...]:
    out = []
    for entry in entries or ():
        if isinstance(entry, str):
            out.append(entry)
            continue
        if not isinstance(entry, dict) or not {"replace", "by"} <= set(entry):
            _fail(row_id, "planted", "each entry is a document or { replace = '...', by = '...', example = N }")
        index = entry.get("example", 0)
        if not isinstance(index, int) or not 0 <= index < len(examples):
            _fail(row_id, "planted", f"example {index!r} does not exist")
        text = examples[index]
        count = text.count(entry["replace"])
        if count != 1:
            _fail(row_id, "planted", f"{entry['replace']!r} occurs {count} times in example {index}, not once")
        if entry["replace"] == entry["by"]:
            _fail(row_id, "planted", "a replacement that changes nothing")
        out.append(text.replace(entry["replace"], entry["by"]))
    return tuple(out)


_KNOWN_KEYS = frozenset({"id", "names", "pattern", "roles", "given", "meaning", "meaning_tex", "conditions",
                         "wrong", "examples", "planted", "twins", "oracle", "log_base", "relation", "head",
                         "accepted"})


def make_row(data: dict, table: str, *, source: tuple = (), defaults: dict | None = None) -> Row:
    """Validate and compile one row (a dict as read from TOML, ``defaults`` filling missing keys)."""
    data = {**(defaults or {}), **data}
    row_id = data.get("id")
    if not isinstance(row_id, str) or not re.fullmatch(r"[a-z0-9_]+(?:\.[A-Za-z0-9_]+)+", row_id):
        raise KnowledgeError(f"knowledge table {table}: a row without a dotted id: {row_id!r} ({source})")
    unknown = set(data) - _KNOWN_KEYS
    if unknown:
        _fail(row_id, sorted(unknown)[0], "unknown field")
    roles = data.get("roles") or {}
    if not isinstance(roles, dict) or not roles:
        _fail(row_id, "roles", "a row needs at least one role: { name = 'type' }")
    ns, symbols, sizes = _namespace(roles, row_id)
    names = _as_tuple(data.get("names"), row_id, "names")
    patterns = _as_tuple(data.get("pattern"), row_id, "pattern")
    if not patterns:
        _fail(row_id, "pattern", "no pattern")
    compiled = tuple(_read(p, row_id, "pattern") for p in patterns)
    given = _as_tuple(data.get("given"), row_id, "given")
    given_compiled = tuple(_read_given(g, row_id) for g in given)
    if ("meaning" in data) == ("meaning_tex" in data):
        _fail(row_id, "meaning", "give exactly one of meaning (SymPy) and meaning_tex (LaTeX)")
    meaning_tex = data.get("meaning_tex", "")
    meaning = _read(meaning_tex, row_id, "meaning_tex") if meaning_tex else _sympy(data["meaning"], ns, row_id,
                                                                                     "meaning")
    relation = data.get("relation", "=")
    if relation not in RELATIONS:
        _fail(row_id, "relation", f"one of {RELATIONS}")
    conditions = []
    for text in _as_tuple(data.get("conditions"), row_id, "conditions"):
        value = _sympy(text, ns, row_id, "conditions")
        if not isinstance(value, (sympy.core.relational.Relational, sympy.And, sympy.Or)):
            _fail(row_id, "conditions", f"{text!r} is not a relation")
        conditions.append(value)
    wrong = []
    for entry in data.get("wrong") or ():
        if not isinstance(entry, dict) or "name" not in entry or not ({"expr", "tex", "relation"} & set(entry)):
            _fail(row_id, "wrong", "each entry is { name = '...', expr = 'SymPy' | tex = 'LaTeX' [, relation] }")
        if "tex" in entry:
            expr = _read(entry["tex"], row_id, "wrong")
        elif "expr" in entry:
            expr = _sympy(entry["expr"], ns, row_id, "wrong")
        else:
            expr = meaning
        wrong_relation = entry.get("relation", relation)
        if wrong_relation not in RELATIONS:
            _fail(row_id, "wrong", f"relation one of {RELATIONS}")
        wrong.append(Wrong(entry["name"], expr, wrong_relation))
    if not wrong:
        _fail(row_id, "wrong", "a row needs at least one wrong variant (a named slip)")
    accepted = []
    for entry in data.get("accepted") or ():
        if not isinstance(entry, dict) or "name" not in entry or not ({"expr", "tex"} & set(entry)):
            _fail(row_id, "accepted", "each entry is { name = '...', expr = 'SymPy' | tex = 'LaTeX' }")
        expr = _read(entry["tex"], row_id, "accepted") if "tex" in entry else _sympy(entry["expr"], ns, row_id,
                                                                                        "accepted")
        accepted.append(Wrong(entry["name"], expr, entry.get("relation", relation)))
    examples = _as_tuple(data.get("examples"), row_id, "examples")
    if not examples:
        _fail(row_id, "examples", "a row needs at least one example document")
    planted = _planted(data.get("planted"), examples, row_id)
    if not planted:
        _fail(row_id, "planted", "a row needs at least one planted document")
    twins = _as_tuple(data.get("twins"), row_id, "twins")
    oracle = data.get("oracle")
    if not isinstance(oracle, str) or oracle.split(":", 1)[0].strip() not in ORACLE_KINDS:
        _fail(row_id, "oracle", f"an oracle 'KIND: ...' with KIND one of {ORACLE_KINDS}")
    log_base = str(data.get("log_base", "scope"))
    if log_base not in LOG_BASES:
        _fail(row_id, "log_base", f"one of {LOG_BASES}")
    head = data.get("head") or head_of(compiled[0])
    role_names = {latex_name(ident): text for ident, text in roles.items()}
    return Row(id=row_id, table=table, names=names, patterns=patterns, compiled=compiled, head=head,
               roles=role_names, given=given, meaning=meaning, conditions=tuple(conditions), wrong=tuple(wrong),
               examples=examples, planted=planted, twins=twins, oracle=oracle, log_base=log_base,
               relation=relation, symbols=symbols, sizes=sizes, source=source, given_compiled=given_compiled,
               meaning_tex=meaning_tex, accepted=tuple(accepted))


# --- functions ---------------------------------------------------------------------------------------
_FUNCTION_KEYS = frozenset({"name", "latex", "aliases", "cues", "arity", "args", "definition", "unfold",
                            "derivative", "define", "identity", "derivative_row", "names"})


def _function_entry(data: dict) -> tuple[Function, list[Row]]:
    name = data.get("name")
    if not isinstance(name, str) or not re.fullmatch(r"[a-z0-9_]+", name):
        raise KnowledgeError(f"knowledge table functions: an entry without a name: {name!r}")
    fid = f"fn.{name}"
    unknown = set(data) - _FUNCTION_KEYS
    if unknown:
        _fail(fid, sorted(unknown)[0], "unknown field")
    args = data.get("args") or {}
    if not isinstance(args, dict) or not args:
        _fail(fid, "args", "a function needs its arguments: { x = 'real' }")
    ns, symbols, _ = _namespace(args, fid)
    arity = data.get("arity", len(args))
    definition = _sympy(data.get("definition"), ns, fid, "definition")
    unfold = _sympy(data.get("unfold") or data.get("definition"), ns, fid, "unfold")
    derivative = _sympy(data["derivative"], ns, fid, "derivative") if "derivative" in data else None
    latex = _as_tuple(data.get("latex"), fid, "latex")
    for spelling in latex:
        if not spelling.strip():
            _fail(fid, "latex", "an empty spelling")
    aliases = _as_tuple(data.get("aliases"), fid, "aliases")
    cues = _as_tuple(data.get("cues"), fid, "cues")
    base = {"names": list((name.replace("_", " "),) + aliases + cues), "roles": args, "head": name}
    rows = []
    for key, suffix in (("define", "define"), ("derivative_row", "derivative")):
        if key in data:
            entry = dict(data[key])
            entry.setdefault("id", f"{fid}.{suffix}")
            if "meaning" not in entry and "meaning_tex" not in entry:
                entry["meaning"] = data["definition"] if suffix == "define" else data.get("derivative")
            rows.append(make_row(entry, "functions", source=(name, suffix), defaults=base))
    for entry in data.get("identity") or ():
        entry = dict(entry)
        if "id" in entry and not entry["id"].startswith(fid + "."):
            entry["id"] = f"{fid}.{entry['id']}"
        rows.append(make_row(entry, "functions", source=(name, "identity"), defaults=base))
    function = Function(name=name, latex=latex, aliases=aliases, cues=cues, arity=int(arity),
                        args={latex_name(k): v for k, v in args.items()}, definition=definition, unfold=unfold,
                        derivative=derivative, rows=tuple(r.id for r in rows), symbols=symbols)
    return function, rows


# --- families ----------------------------------------------------------------------------------------
# Default patterns of a family field's kind; {X} the random variable, {x} the outcome, {head} the
# family's first LaTeX head and {params} its parameters as written in ``given``.
FIELD_PATTERNS = {
    "pmf": ["p({x})", "P({X} = {x})", "{head}({x} \\mid {params})", "{head}({x}; {params})"],
    "pdf": ["p({x})", "p_{X}({x})", "{head}({x} \\mid {params})", "{head}({x}; {params})"],
    "log_density": ["\\log p({x})", "\\log {head}({x} \\mid {params})"],
    "mean": ["\\mathbb{E}[{X}]", "\\mathbb{E}({X})"],
    "variance": ["\\mathrm{Var}({X})", "\\mathrm{Var}[{X}]", "\\mathbb{V}[{X}]"],
    "second_moment": ["\\mathbb{E}[{X}^2]"],
    "mode": ["\\operatorname{mode}({X})"],
    "entropy": ["H({X})", "\\mathbb{H}[{X}]", "H({head}({params}))"],
    "mgf": ["M_{X}(t)", "\\mathbb{E}[e^{t {X}}]"],
    "cdf": ["F({x})", "P({X} \\le {x})"],
    "expected_log": ["\\mathbb{E}[\\log {X}]"],
}
_FAMILY_KEYS = frozenset({"name", "aliases", "latex", "params", "support", "kind", "variable", "outcome",
                          "stats", "field", "readings", "other_stats", "given_params", "conditions",
                          "said"})
_FIELD_KINDS = re.compile(r"^(pmf|pdf|log_density|mean|variance|second_moment|mode|entropy|mgf|cdf|expected_log|"
                          r"score_[A-Za-z0-9_]+|kl_[A-Za-z0-9_]+|cross_entropy_[A-Za-z0-9_]+|posterior[A-Za-z0-9_]*|"
                          r"reparam[A-Za-z0-9_]*|quantile|covariance|[a-z0-9_]+_fact)$")


def _family_entry(data: dict) -> tuple[Family, list[Row]]:
    name = data.get("name")
    if not isinstance(name, str) or not re.fullmatch(r"[a-z0-9_]+", name):
        raise KnowledgeError(f"knowledge table families: an entry without a lower-case name: {name!r}")
    unknown = set(data) - _FAMILY_KEYS
    if unknown:
        _fail(name, sorted(unknown)[0], "unknown field")
    latex = _as_tuple(data.get("latex"), name, "latex")
    if not latex:
        _fail(name, "latex", "a family needs its LaTeX heads")
    params = []
    for p in data.get("params") or ():
        if not isinstance(p, dict) or "name" not in p or "type" not in p:
            _fail(name, "params", "each parameter is { name = 'mu', type = 'real' [, reading = '...'] }")
        params.append(Param(name=latex_name(p["name"]), ident=p["name"], type=p["type"], reading=p.get("reading", "")))
    variable, outcome = data.get("variable", "X"), data.get("outcome", "x")
    support = data.get("support", "real")
    try:
        role_type(support)
    except ValueError as error:
        _fail(name, "support", str(error))
    param_tex = data.get("given_params") or ", ".join(p.name for p in params)
    rows, fields = [], {}
    for kind, entry in (data.get("field") or {}).items():
        row_id = f"{name}.{kind}"
        if not _FIELD_KINDS.match(kind):
            _fail(row_id, "field", f"unknown field kind {kind!r}")
        entry = dict(entry)
        explicit = "given" in entry  # a field with its own facts (a KL pair, a posterior) names all its roles
        entry.setdefault("id", row_id)
        fill = {"X": latex_name(variable), "x": latex_name(outcome), "head": latex[0], "params": param_tex}
        if "pattern" not in entry:
            if kind not in FIELD_PATTERNS:
                _fail(row_id, "pattern", f"field kind {kind!r} has no default pattern: write one")
            entry["pattern"] = [_fill(t, fill) for t in FIELD_PATTERNS[kind]]
        if explicit:
            roles = dict(entry.get("roles") or {})
        else:
            roles = {p["name"]: p["type"] for p in data.get("params") or ()}
            density = kind in ("pmf", "pdf", "log_density", "cdf") or kind.startswith("score_")
            if not density or any(variable in _tex_names(t) for t in entry["pattern"]):  # P(X = x), p_X(x)
                roles[variable] = "random variable"
            if density:
                roles[outcome] = support
            roles.update(entry.get("roles") or {})
        entry["roles"] = roles
        # the law of the name the field is about: the variable (H(X), E[X]), or the outcome a density is evaluated
        # at -- a lecture writes y ~ Laplace(m, s) and log p(y) with one letter
        about = outcome if kind in ("pmf", "pdf", "log_density", "cdf") or kind.startswith("score_") else variable
        entry.setdefault("given", [f"{latex_name(about)} \\sim {latex[0]}({param_tex})"])
        entry.setdefault("names", list(_as_tuple(data.get("aliases"), name, "aliases")) + [kind.replace("_", " ")])
        entry.setdefault("oracle", "family")
        if data.get("conditions") and not explicit:  # the family's own conditions, on its roles
            entry["conditions"] = list(_as_tuple(data["conditions"], row_id, "conditions")) + list(
                _as_tuple(entry.get("conditions"), row_id, "conditions"))
        row = make_row(entry, "families", source=(name, kind))
        rows.append(row)
        fields[kind] = row.id
    family = Family(name=name, aliases=_as_tuple(data.get("aliases"), name, "aliases"), latex=latex,
                    params=tuple(params), support=support, kind=data.get("kind", "continuous"),
                    variable=latex_name(variable), outcome=latex_name(outcome), stats=data.get("stats", ""),
                    fields=fields, readings=_as_tuple(data.get("readings"), name, "readings"),
                    other_stats=_as_tuple(data.get("other_stats"), name, "other_stats"),
                    said=_said(data.get("said") or {}, params, name), law=param_tex,
                    conditions=_as_tuple(data.get("conditions"), name, "conditions"))
    return family, rows


def _said(table: dict, params: list, name: str) -> dict:
    """word -> the parameter expression it names (SymPy in the parameters' identifiers)."""
    if not isinstance(table, dict):
        _fail(name, "said", "said = { word = 'expression in the parameters' }")
    symbols = {p.ident: p.symbol for p in params}
    out = {}
    for word, text in table.items():
        try:
            out[word] = sympy.sympify(text, locals=symbols)
        except (sympy.SympifyError, TypeError, SyntaxError) as error:
            _fail(name, "said", f"{word!r}: {error}")
        if not out[word].free_symbols or not out[word].free_symbols <= set(symbols.values()):
            _fail(name, "said", f"{word!r}: {text!r} is not an expression in the parameters")
    return out


def _fill(template: str, values: dict) -> str:
    out = template
    for key, value in values.items():
        out = out.replace("{" + key + "}", value)
    return out


# --- loading -----------------------------------------------------------------------------------------
def _toml(table: str) -> dict:
    path = KNOWLEDGE / f"{table}.toml"
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as error:
        raise KnowledgeError(f"knowledge table {path.name}: {error}") from None


def kept(name: str, build):
    """``build()``, done once per code and tables: its result is kept (pickled) in the cache directory under a key of
    the code's fingerprint and every table's name and bytes, so an edited row or module builds afresh; a file that
    is absent, damaged or cannot be written is built again, never an error."""
    digest = hashlib.sha256(cache.code_fingerprint().encode())
    for path in sorted(KNOWLEDGE.glob("*.toml")):
        digest.update(path.name.encode() + path.read_bytes())
    path = cache.cache_dir() / f"knowledge-{name}-{digest.hexdigest()[:20]}.pickle"
    with contextlib.suppress(Exception):  # absent, unreadable or from another SymPy
        with open(path, "rb") as handle:
            return pickle.load(handle)
    built = build()
    with contextlib.suppress(Exception):  # an unwritable folder, an object that does not pickle
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile("wb", dir=path.parent, delete=False, suffix=".tmp") as handle:
            pickle.dump(built, handle, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(handle.name, path)
    return built


@functools.lru_cache(maxsize=1)
def _load() -> tuple[tuple[Row, ...], dict, dict]:
    """The three tables compiled (:func:`kept`: compiling parses some 800 SymPy strings, about 1.5 s in every
    ``scan`` process)."""
    return kept("tables", _compile)


def _compile() -> tuple[tuple[Row, ...], dict, dict]:
    all_rows, functions, families = [], {}, {}
    for entry in _toml("functions").get("function", ()):
        fn, fn_rows = _function_entry(entry)
        if fn.name in functions:
            _fail(f"fn.{fn.name}", "name", "two functions of that name")
        functions[fn.name] = fn
        all_rows += fn_rows
    for entry in _toml("families").get("family", ()):
        fam, fam_rows = _family_entry(entry)
        if fam.name in families:
            _fail(fam.name, "name", "two families of that name")
        families[fam.name] = fam
        all_rows += fam_rows
    for entry in _toml("results").get("result", ()):
        all_rows.append(make_row(entry, "results", source=("result",)))
    seen = set()
    for row in all_rows:
        if row.id in seen:
            _fail(row.id, "id", "two rows with this id")
        seen.add(row.id)
    return tuple(all_rows), functions, families


def rows() -> tuple[Row, ...]:
    """Every row of the three tables, loaded, validated and compiled once per process."""
    return _load()[0]


@functools.lru_cache(maxsize=1)
def by_id() -> dict:
    """Rows by id (a family's ``fields`` name its rows by id)."""
    return {row.id: row for row in rows()}


@functools.lru_cache(maxsize=1)
def by_head() -> dict:
    """Rows indexed by the head of their pattern (:func:`head_of`): a side is tried only against
    the rows of its head."""
    index: dict = {}
    for row in rows():
        index.setdefault(row.head, []).append(row)
    return {head: tuple(found) for head, found in index.items()}


def _lookup(table: dict, name: str, aliases_of):
    key = name.lower().replace(" ", "_").replace("-", "_")
    if key in table:
        return table[key]
    for entry in table.values():
        if name in aliases_of(entry) or key in (a.lower() for a in aliases_of(entry)):
            return entry
    raise KeyError(name)


def function(name: str) -> Function:
    """The functions table's entry by name, alias or LaTeX spelling (KeyError if none)."""
    return _lookup(_load()[1], name, lambda f: f.aliases + f.latex)


def family(name: str) -> Family:
    r"""The families table's entry by name, alias (``Bern``, ``Ber``) or LaTeX head
    (``\mathrm{Bern}``); KeyError if none."""
    return _lookup(_load()[2], name, lambda f: f.aliases + f.latex)


def functions() -> dict:
    """name -> :class:`Function`, every entry."""
    return dict(_load()[1])


def families() -> dict:
    """name -> :class:`Family`, every entry."""
    return dict(_load()[2])

