r"""Declarations: what an author tells ``scan`` about the document's symbols, in the catalogue's words (issue 88).

In a comment its renderers hide -- ``<!-- derivspec: … -->`` in Markdown and notebook cells (one declaration a line,
or several separated by ``;``), ``% derivspec: …`` in LaTeX -- or once per course (``declare = [...]`` in
``derivspec.toml`` / ``[tool.derivspec]``)::

    x ~ Poisson(lambda)                 a law (any family of the tables, by name or alias)
    q = 1 - p                           a definition, in force from the top of the document
    W: matrix(d, k)  v: vector(d)       a shape; also scalar, integer, constant, variable
    p(x | z): density of x              a law's density (pmf of k, cdf of X)
    X: random variable, value x         a random variable and the name of its value
    Gamma: gamma function               a named function of the tables (sigmoid, normal cdf, digamma, ...)
    Gamma: any function                 the document's own, any function
    \E: expectation                     a macro: expectation, variance, covariance, KL, probability, entropy
    \KL[2]: \mathrm{KL}(#1 \| #2)        a macro with arguments, as \newcommand writes it
    E: expectation                      a plain letter the document uses as that operator
    line 42: claim kl.gaussian.univariate   the statement at line 42 is that claim

Declared beats defined beats notation and guess (derivspec/scan/notation.py); a declaration the document's text
contradicts is reported (:func:`contradictions`). ``derivspec: ignore`` stays a suppression, not a declaration.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from derivspec.scan.notation import head as _head

_MARKDOWN = re.compile(r"<!--\s*derivspec:(?!\s*ignore\b)(.*?)-->", re.DOTALL)
_LATEX = re.compile(r"^[ \t]*%+[ \t]*derivspec:(?![ \t]*ignore\b)(.*)$", re.MULTILINE)
GREEK = ("alpha beta gamma delta epsilon varepsilon zeta eta theta vartheta iota kappa lambda mu nu xi pi rho sigma "
         "tau upsilon phi varphi chi psi omega Gamma Delta Theta Lambda Xi Pi Sigma Phi Psi Omega ell").split()
_GREEK_WORD = re.compile(r"(?<![\\A-Za-z])(" + "|".join(sorted(GREEK, key=len, reverse=True)) + r")(?![A-Za-z])")
OPERATORS = {"expectation": r"\mathbb{E}", "variance": r"\mathrm{Var}", "covariance": r"\mathrm{Cov}",
             "kl": r"\mathrm{KL}", "kl divergence": r"\mathrm{KL}", "probability": r"\Pr", "entropy": r"\mathrm{H}",
             "gradient": r"\nabla", "indicator": r"\mathbb{1}", "normal": r"\mathcal{N}"}
SHAPES = ("matrix", "vector")
PLAIN_KINDS = ("scalar", "integer", "index", "constant", "variable", "parameter", "probability", "positive",
               "any function", "function", "distribution")


class DeclarationError(ValueError):
    """A declaration ``scan`` cannot read: its text and why (bad input, exit code 2 from the settings)."""


@dataclass(frozen=True)
class Declaration:
    text: str
    line: int  # in the document (0: the course's settings)
    form: str  # law | definition | kind | macro | claim
    name: str = ""  # the name as the document writes it (LaTeX)
    kind: str = ""  # what the scope shows
    latex: str = ""  # a law or a definition as a statement; a macro's body
    value: str = ""  # a value's name (X: random variable, value x); a law's density variable (density of x)
    claim: str = ""
    at: int = 0  # the line a claim declaration names
    source: str = "document"
    contradicted: str = ""


def latex_name(word: str) -> str:
    """A declaration's name as LaTeX: Greek words become commands (``lambda`` -> ``\\lambda``), the rest stays."""
    word = word.strip()
    return word if word.startswith("\\") else _GREEK_WORD.sub(r"\\\1", word)


def in_document(text: str, kind: str) -> list[Declaration]:
    """The declarations of a document's comments (``kind``: md | ipynb | html | tex)."""
    found = []
    pattern = _LATEX if kind == "tex" else _MARKDOWN
    for m in pattern.finditer(text):
        line = text.count("\n", 0, m.start()) + 1
        for k, piece in enumerate(m.group(1).split("\n")):
            for part in piece.split(";"):
                if part.strip():
                    try:
                        found.append(parse(part, line + k))
                    except DeclarationError as error:  # a document's own slip: said, never fatal
                        found.append(Declaration(part.strip(), line + k, "invalid", contradicted=str(error)))
    return found


def parse(text: str, line: int = 0, source: str = "document") -> Declaration:
    text = " ".join(text.split())
    m = re.fullmatch(r"line\s+(\d+)\s*:\s*claim\s+([\w.-]+)", text, re.IGNORECASE)
    if m:
        return Declaration(text, line, "claim", claim=m.group(2), at=int(m.group(1)), source=source)
    m = re.fullmatch(r"(.+?)\s*(?:~|\\sim)\s*([A-Za-z][\w-]*)\s*\((.*)\)", text)
    if m:
        name, family, args = latex_name(m.group(1)), _family_latex(m.group(2)), _expression(m.group(3))
        return Declaration(text, line, "law", name, f"random variable ~ {m.group(2)}({m.group(3)})",
                           f"{name} \\sim {family}({args})", source=source)
    m = re.fullmatch(r"([^:=]+?)\s*(?::=|=)\s*(.+)", text)
    if m:
        name = latex_name(m.group(1))
        return Declaration(text, line, "definition", _head(name), f"defined: {m.group(1)} = {m.group(2)}",
                           f"{name} = {_expression(m.group(2))}", source=source)
    m = re.fullmatch(r"(\\[A-Za-z]+)\s*\[\s*(\d)\s*\]\s*:\s*(.+)", text)  # \KL[2]: \mathrm{KL}(#1 \| #2)
    if m:
        return Declaration(text, line, "macro", m.group(1), f"macro of {m.group(2)}: {m.group(3)}", m.group(3),
                           value=m.group(2), source=source)
    m = re.fullmatch(r"(.+?)\s*:\s*(.+)", text)
    if not m:
        raise DeclarationError(f"declaration {text!r}: expected 'NAME ~ Family(...)', 'NAME = EXPR', 'NAME: KIND' or "
                               "'line N: claim ID'")
    name, spec = latex_name(m.group(1)), m.group(2).strip()
    low = spec.lower()
    if not name.startswith("\\") and low in OPERATORS:  # E: expectation -- a plain letter the document's operator
        return Declaration(text, line, "kind", _head(name), f"operator: {low}", source=source)
    if name.startswith("\\") and low in OPERATORS:
        return Declaration(text, line, "macro", name, f"operator: {low}", OPERATORS[low], source=source)
    if name.startswith("\\") and spec.startswith("\\"):
        return Declaration(text, line, "macro", name, f"macro: {spec}", spec, source=source)
    shape = re.fullmatch(r"(matrix|vector)\s*(?:\((.*)\))?", low)
    if shape:
        return Declaration(text, line, "kind", _head(name), spec, source=source)
    rv = re.fullmatch(r"random variable(?:\s*,\s*(?:with\s+)?value\s+(.+))?", spec, re.IGNORECASE)
    if rv:
        return Declaration(text, line, "kind", _head(name), spec, value=latex_name(rv.group(1) or ""), source=source)
    law = re.fullmatch(r"(density|pdf|pmf|cdf|distribution)\s+of\s+(.+)", spec, re.IGNORECASE)
    if law:
        return Declaration(text, line, "kind", _head(name), f"{law.group(1).lower()} of {law.group(2)}",
                           value=latex_name(law.group(2)), source=source)
    from derivspec.scan.notation import table

    # a plain kind, or h: logit, y: label -- a role the recognisers read, now the document's word
    if low in PLAIN_KINDS or low in table()["role"]:
        return Declaration(text, line, "kind", _head(name), low, source=source)
    function = named_function(low)
    if function is not None:
        return Declaration(text, line, "kind", _head(name), f"named function: {function}", value=function,
                           source=source)
    for row in table()["symbol"].values():  # the declaration a question of the scope proposes (I: identity matrix)
        if any(_squash(text) == _squash(d) for d in row.get("declare", ())):
            return Declaration(text, line, "kind", _head(name), f"{row['kind']}: {row['meaning']}", source=source)
    raise DeclarationError(f"declaration {text!r}: unknown kind {spec!r} (a shape matrix(d, k) or vector(d), "
                           f"{', '.join(PLAIN_KINDS)}, random variable, density of x, cdf of X, an operator "
                           f"({', '.join(OPERATORS)}) or a named function of the tables)")


def named_function(words: str) -> str | None:
    """The knowledge tables' function a declaration names (``gamma function``, ``sigmoid``, ``normal cdf``)."""
    words = re.sub(r"\s+function$", "", words.strip().lower()) or words
    if words in ("normal cdf", "standard normal cdf", "phi"):
        return "normal cdf"
    from derivspec.scan import knowledge

    for name, entry in knowledge.functions().items():
        spoken = {name.lower(), *(a.lower() for a in entry.aliases), *(c.lower() for c in entry.cues)}
        spoken |= {re.sub(r"\s+function$", "", s) for s in spoken}
        if words in spoken:
            return name
    return None


def _expression(text: str) -> str:
    return _GREEK_WORD.sub(r"\\\1", text).replace("*", " ")


def _family_latex(family: str) -> str:
    from derivspec.scan import knowledge

    low = family.lower()
    if low in ("normal", "gaussian", "n"):
        return r"\mathcal{N}"
    for name, entry in knowledge.families().items():
        if low == name.lower() or low in (a.lower() for a in entry.aliases):
            return entry.latex[0] if entry.latex else rf"\mathrm{{{family}}}"
    return rf"\mathrm{{{family}}}"


# ------------------------------------------------------------------------------------------------ contradictions

def contradictions(declared: list[Declaration], state, prose: str) -> list[Declaration]:
    """The declarations with ``contradicted`` set where the document's text says otherwise: a definition of the same
    name with another value, a law of another family, a shape the document gives otherwise, a named function the
    prose names as another (or "any function" where the prose names the standard one)."""
    out = []
    entries = getattr(getattr(state, "in_force", None), "entries", None) or []
    for d in declared:
        why = ""
        if d.form == "definition":
            for e in entries:
                if e.line > 0 and _head(latex_name(e.left)) == d.name and _squash(e.right) != _squash(d.latex.split("=", 1)[1]):
                    why = f"line {e.line} defines {e.left} = {e.right}"
                    break
        elif d.form == "law":
            family = re.search(r"\\sim\s*(\\?[A-Za-z{}\\]+)", d.latex)
            for line, name, law in getattr(state, "laws", None) or []:
                if line > 0 and _head(name) == _head(d.name) and family and not law.replace(" ", "").startswith(
                        family.group(1).replace(" ", "")):
                    why = f"line {line} states {name} \\sim {law}"
                    break
        elif d.form == "kind" and d.kind.startswith(SHAPES):
            types = getattr(state, "types", None)
            other = "vectors" if d.kind.startswith("matrix") else "matrices"
            if types is not None and d.name in getattr(types, other, ()):
                at = dict(getattr(types, "declared_at", ()) or ()).get(d.name, 0)
                why = f"the document declares {d.name} a {other[:-1].replace('matrice', 'matrix')}" + (f" at line {at}" if at else "")
        elif d.form == "kind" and d.kind == "any function":
            from derivspec.scan.notation import table

            for r in table()["symbol"].values():
                if d.name in r.get("latex", ()) and r.get("words"):
                    hit = re.search("|".join(re.escape(w) for w in r["words"]), prose, re.IGNORECASE)
                    if hit:
                        why = f"line {prose.count(chr(10), 0, hit.start()) + 1} names the {hit.group(0)}"
        out.append(replace(d, contradicted=why) if why else d)
    return out


def _squash(text: str) -> str:
    return re.sub(r"\s+|\\[,;!]|\{|\}", "", text)


# ------------------------------------------------------------------------------------------- into the scan

def macro_text(declared: list[Declaration]) -> str:
    """The declared macros as \\newcommand lines (``\\E: expectation``)."""
    return "\n".join(f"\\newcommand{{{d.name}}}" + (f"[{d.value}]" if d.value else "") + f"{{{d.latex}}}"
                     for d in declared if d.form == "macro")


def prose(declared: list[Declaration]) -> str:
    """What the declared kinds say, in the words the rules read ("Let $F$ be the CDF of $X$."), appended below the
    document's text (no line of it moves)."""
    said = []
    for d in declared:
        if d.form == "kind" and re.match(r"(density|pdf|pmf|cdf|distribution) of", d.kind):
            what = {"cdf": "CDF", "pmf": "pmf", "pdf": "density"}.get(d.kind.split()[0], d.kind.split()[0])
            said.append(f"Let ${d.name}$ be the {what} of ${d.value}$.")
    return ("\n\n" + " ".join(said)) if said else ""


def apply(declared: list[Declaration], state, text: str) -> list[Declaration]:
    """The kind declarations set in the document's state (the laws, definitions and macros are statements and
    macros already: runner.prepare); returns the declarations with their contradictions."""
    import dataclasses

    from derivspec.scan.matrices import DocumentTypes

    declared = contradictions(declared, state, text)
    names = state.names
    functions, variables = dict(names.functions or {}), set(names.variables or ())
    matrices, vectors, densities = set(), set(), set(state.densities or ())
    for d in declared:
        if d.form != "kind":
            continue
        if d.kind.startswith("matrix"):
            matrices.add(d.name)
        elif d.kind.startswith("vector"):
            vectors.add(d.name)
        elif d.kind in ("any function", "function", "variable"):
            functions.pop(d.name, None)
            if d.name in ("e", r"\pi", r"\sigma"):
                variables.add(d.name)
        elif d.kind == "constant" and d.name in ("e", r"\pi"):
            variables.discard(d.name)
        elif d.kind.startswith("named function: "):
            if d.name == r"\sigma" and d.value == "sigmoid":
                variables.discard(r"\sigma")
            else:
                value = _standard_function(d.value)
                if value is not None:
                    functions[d.name] = value
        elif re.match(r"(density|pdf|pmf|distribution) of", d.kind):
            densities.add(d.name)
    names.functions, names.variables = functions, frozenset(variables)
    state.densities = frozenset(densities)
    if matrices or vectors:
        types = state.types or DocumentTypes()
        state.types = dataclasses.replace(
            types, matrices=frozenset((types.matrices - vectors) | matrices),
            vectors=frozenset((types.vectors - matrices) | vectors),
            declared_at=tuple(sorted({**dict(types.declared_at), **{n: 0 for n in matrices | vectors}}.items())))
    return declared


def _standard_function(name: str):
    """(arguments, value) of the tables' function ``name`` as the reader takes a named function."""
    from derivspec.scan.known import standard_functions

    return next(((arguments, value) for _, cues, arguments, value in standard_functions()
                 if name.lower() in (c.lower() for c in cues) or any(name.lower() in c.lower() for c in cues)), None)


def claimed(records: list, declared: list[Declaration]) -> None:
    """``line N: claim ID``: the record of the statement at line N is checked against the claim (as ``derivspec check``
    does), its verdict the claim's: equivalent -> proved, not equivalent -> disagrees (an error: declared)."""
    for d in declared:
        if d.form != "claim":
            continue
        record = next((r for r in records if r.lines[0] <= d.at <= r.lines[1]), None)
        if record is None:
            continue
        try:
            from derivspec.core import registry
            from derivspec.core.catalogue import use_module_index
            from derivspec.core.checker import run_check
            from derivspec.scan.known import roles_of_left_side

            use_module_index()
            result = run_check(registry.get(d.claim), latex=record.text, roles=roles_of_left_side)
        except Exception as error:  # an unknown claim or an unreadable line: said on the record, never a flag
            record.reason = f"declared as claim {d.claim} (line {d.line}), not checked: {error}"[:300]
            continue
        verdict = {"equivalent": "proved", "not_equivalent": "disagrees"}.get(result.get("verdict"), "unchecked")
        record.verdict, record.claim, record.kind = verdict, d.claim, "known"
        record.reason = f"declared as claim {d.claim} (line {d.line}): {result.get('reason', '')}"[:400]
        record.rule, record.steps = None, []
        record.severity = "error" if verdict == "disagrees" else None  # it rests on the declaration and the claim
        record.rests_on = [{"name": f"line {d.at}", "provenance": "declared", "line": d.line}]


def records(file: str, declared: list[Declaration]) -> list:
    """A record for each declaration the document's text contradicts, or that cannot be read (a notice)."""
    from derivspec.scan.records import Record

    found = []
    for d in declared:
        if d.contradicted:
            what = "cannot be read" if d.form == "invalid" else "is contradicted by the document"
            where = "" if d.source == "document" else f" ({d.source})"
            found.append(Record(file, (max(d.line, 1), max(d.line, 1)), d.text, "chain", "unchecked",
                                f"the declaration `{d.text}`{where} {what}: {d.contradicted}", evidence=d.contradicted))
    return found
