r"""Mechanism *normalisation*, its first question: does a normaliser exist at all (DS210)?

``\propto``, ``\frac{1}{Z}`` and "up to a constant" leave the *value* of a density's normaliser open, never its
existence: ``p(x) \propto \exp(+\|x - \mu\|^2 / 2\sigma^2)`` has no normaliser under any constant, and
``\log p(w \mid D) \propto +\frac{1}{2\sigma^2}(y - w^\top x)^2`` (log-space ∝: up to an additive constant) is the log
of such a thing. This check reads through those guards (``through`` in the registry) and decides, over the law's
variable (left of the bar), whether the unnormalised form can be integrated.

Decided exactly, at admissible draws of the other names. The log-density g is the side itself for a log-density
(``\log p``, ``\ln p``; ``-\log p``, a negative log-density, is negated), and for a density the exponents of its exp
factors plus the logs of its other factors. Along x = ±t, t → ∞, every term of g is resolved exactly: a polynomial
in t (an absolute value of a polynomial, ``\|x - \mu\|``, by the sign of its leading coefficient), a log of one
(it grows like log t: lower order), or free of t; a term of any other shape leaves the line alone ("inconclusive").
The density grows without bound when, at both ends (the end of a half-line the document states), the polynomial
part has degree ≥ 1 and a positive leading coefficient -- at every admissible draw (two at least). A vector read
with scalars (norms as absolute values, ``W^\top x`` as a product) is its one-dimensional case, which every
dimension includes.

Parameters: a range the document states (``\lambda > 0``); a name the document defines above (``\lambda =
1/\sigma_0^2``) is replaced by its definition (the document's own definition wins); every other name is drawn with
either sign, so a coefficient whose sign the document leaves open (a natural parameter ``\eta``) never flags.
Left alone: a support the document restricts or bounds (``x \in [0, 1]``, an indicator, "truncated", a sphere),
a density by cases, a sum over data, a variable absent from the side, and every common guard but the normaliser's.
"""

from __future__ import annotations

import re

import sympy

from derivspec.scan import tree
from derivspec.scan.clauses import split_clauses
from derivspec.scan.reader import bare_names, read_document
from derivspec.scan.rules import values
from derivspec.scan.rules.normalisation import stated_support

DRAWS = 4
_T = sympy.Symbol("⟪t⟫", positive=True)
# a left side that is the log of a law: \log p(x), \ln P(W | D), -\log q(z); its sign and the law's text
_LOG = re.compile(r"^\s*(-)?\s*\\(?:log|ln)(?![A-Za-z])\s*(?:\\[,;:! ]\s*|\\left\s*)?(.*)$", re.DOTALL)
# the law is restricted to part of the line (or a set) by the display or the sentence before it
_RESTRICTED = re.compile(r"\\in(?![A-Za-z])|\\mathbb\s*\{?\s*[1I]\b|\\mathbf\s*\{?\s*1\b|\\mathds|\\mathbb\s*\{?\s*1|"
                         r"\\begin\s*\{cases\}|\\text\s*\{\s*(?:for|if|when|on|where)\b|[<>]|\\[lg]eq?(?![A-Za-z])|"
                         r"\\(?:subset|sqcup|cap|cup)(?![A-Za-z])")
_BOUNDED_WORDS = re.compile(r"\b(?:support|supported|bounded|compact|truncat\w*|sphere|simplex|interval|torus|circle|"
                            r"von mises|on the unit|box|ball|finite set|discrete)\b", re.IGNORECASE)
_LOG_WORDS = re.compile(r"\blog[- ](?:density|pdf|posterior|prior)\b", re.IGNORECASE)  # words for a log-density
# an additive constant written out (log space): it is free of the variable, and read here as nothing
_CONSTANT = re.compile(r"[+-]\s*\\(?:text|mathrm|operatorname|textrm)\s*\{\s*(?:const|constant|cst)\.?\s*\}")
_CHAIN = ("=", ":=", "≡", "∝")  # sides joined by these are the same law (∝: up to its normaliser)


def _law(line, doc):
    """(law's left text, sign of the log, log-space?) when the line's left side is a law of one variable or its log."""
    left = line.left_text
    found = _LOG.match(left)
    log, sign = False, 1
    if found:
        log, sign, left = True, -1 if found.group(1) else 1, found.group(2).strip()
        if left.startswith("{") and left.endswith("}"):
            left = left[1:-1].strip()
    elif left.lstrip().startswith("-"):
        return None
    from derivspec.scan.rules.reading import Line

    probe = Line(line.index, line.statement, line.text, left, line.relation, line.right_text, doc, line.lead)
    node = probe.node("left")
    if isinstance(node, tree.Density):
        names = node.variables
    elif isinstance(node, tree.Apply) and isinstance(node.head, tree.Name):
        if not (probe.kinds & {"density", "conditional_density"} or doc.density_head(node.head.latex)
                or (log and _LOG_WORDS.search(line.lead))):
            return None
        names = node.args
    else:
        return None
    if probe.kinds & {"cdf", "loss_nonnegative", "pmf", "probability_vector"}:
        return None
    if len(names) != 1 or not isinstance(names[0], tree.Name) or names[0].index:
        return None
    return names[0].latex, sign, log


def _sides(line) -> list[str]:
    """The sides the law equals, up to its normaliser: the chain's sides after the left one, up to the first relation
    that is no equality or ∝ (an aligned chain, ``&= …``, ``&\\propto …``, is one statement; a display that goes on
    from the one above brings that display's left side: reading.Document.proportional)."""
    try:
        clause = [c for c in split_clauses(line.text) if c.relations][0]
    except (IndexError, Exception):
        return []
    found = []
    for relation, side in zip(clause.relations, clause.sides[1:]):
        if relation not in _CHAIN:
            break
        found.append(_CONSTANT.sub("", side).strip())
    return found


def _symbol(expr, latex: str, doc):
    want = latex.replace(" ", "").replace("{", "").replace("}", "")
    for symbol in expr.free_symbols:
        written = (doc.names.latex.get(symbol) or symbol.name).replace(" ", "").replace("{", "").replace("}", "")
        if written == want:
            return symbol
    return None


def _log_terms(expr, variable, log: bool):
    """The terms of the log-density (a list of expressions), or None when the side is of no shape decided here."""
    if log:
        return list(sympy.Add.make_args(sympy.expand(expr)))
    terms, exps = [], 0
    for factor in sympy.Mul.make_args(sympy.powsimp(expr)):
        if variable not in factor.free_symbols:
            continue
        if isinstance(factor, sympy.exp):
            terms.extend(sympy.Add.make_args(sympy.expand(factor.args[0])))
            exps += 1
        elif isinstance(factor, sympy.Pow) and isinstance(factor.base, sympy.exp):
            terms.extend(sympy.Add.make_args(sympy.expand(factor.base.args[0] * factor.exp)))
            exps += 1
        elif isinstance(factor, sympy.Pow) and factor.exp.is_number:
            terms.append(factor.exp * sympy.log(factor.base))
        elif factor.is_polynomial(variable) or isinstance(factor, sympy.Abs):
            terms.append(sympy.log(factor))
        else:
            return None
    return terms if exps else None  # no exponential factor: a polynomial law on a support not stated


def _polynomial(expr, t):
    """``expr`` (numbers and t only) as an exact polynomial in t for large t, or None."""
    def resolve(e):
        if isinstance(e, sympy.Abs):
            inner = resolve(e.args[0])
            if inner is None:
                return None
            if t not in inner.free_symbols:
                return sympy.Abs(inner)
            poly = sympy.Poly(sympy.expand(inner), t)
            lc = poly.LC()
            if not lc.is_real or lc == 0:
                return None
            return inner if lc > 0 else -inner
        if not e.args or t not in e.free_symbols:
            return e
        args = [resolve(a) for a in e.args]
        return None if any(a is None for a in args) else e.func(*args)

    resolved = resolve(expr)
    if resolved is None:
        return None
    resolved = sympy.expand(resolved)
    if not resolved.is_polynomial(t):
        return None
    poly = sympy.Poly(resolved, t)
    return poly if all(c.is_real for c in poly.all_coeffs()) else None


def _end(terms, variable, point, direction):
    """(degree, leading coefficient) of the log-density's polynomial part along variable = direction·t, t → ∞ (the
    log terms are lower order), or None when a term is of another shape or not real there."""
    total = sympy.Integer(0)
    for term in terms:
        at = term.xreplace(point).xreplace({variable: direction * _T})
        if _T not in at.free_symbols:
            continue
        if isinstance(at, sympy.Mul) and any(isinstance(a, sympy.log) for a in at.args):
            coefficient = sympy.Mul(*[a for a in at.args if not isinstance(a, sympy.log)])
            logs = [a for a in at.args if isinstance(a, sympy.log)]
            if _T in coefficient.free_symbols or len(logs) != 1:
                return None
            at = logs[0]
        if isinstance(at, sympy.log):
            inner = _polynomial(at.args[0], _T)
            if inner is None or inner.degree() < 1 or inner.LC() < 0:
                return None  # not a log of a polynomial that is positive out there: not real, or of another shape
            continue
        poly = _polynomial(at, _T)
        if poly is None:
            return None
        total += poly.as_expr()
    poly = sympy.Poly(sympy.expand(total), _T)
    return poly.degree(), poly.LC()


def _definitions(line, doc, symbols) -> dict:
    """symbol -> the right side of its definition above this line (the document's own, the last one)."""
    found = {}
    for other in doc.lines:
        if other.line >= line.line or other.relation not in ("=", ":="):
            continue
        written = other.left_text.replace(" ", "")
        for symbol in symbols:
            if (doc.names.latex.get(symbol) or symbol.name).replace(" ", "") != written:
                continue
            value = other.expr("right")
            if value is not None and symbol not in value.free_symbols:
                found[symbol] = value
    return found


def _ranges(expr, variable, doc, line) -> dict:
    """symbol -> range: stated by the document (unless it defines the name only further down), else either sign
    ("real"); a name the side uses only through its square (σ in 2σ²) is drawn positive, which is the same."""
    stated = values.stated_ranges(doc.text)
    found = {}
    for symbol in sorted(expr.free_symbols - {variable}, key=str):
        written = (doc.names.latex.get(symbol) or symbol.name).replace(" ", "")
        below = any(at > line.line for at in doc.heads.get(written, ()))
        if written in stated and not below:
            found[symbol] = stated[written]
        elif sympy.expand(expr.xreplace({symbol: -symbol}) - expr) == 0:
            found[symbol] = "positive"
        else:
            found[symbol] = "real"
    return found


def _support_ends(line, doc, latex: str):
    """The ends of the variable's support the law must fall off at: (1, -1) on the line, (1,) on a stated half-line,
    None when the document restricts or bounds it otherwise."""
    stated = stated_support(doc, latex)
    if stated is not None:
        kind, low, high = stated
        if high == sympy.oo and low != -sympy.oo:
            return (1,)
        return None
    if _RESTRICTED.search(line.statement.text) or _BOUNDED_WORDS.search(line.lead):
        return None
    name = re.escape(latex)
    if re.search(r"(?<![\\A-Za-z])" + name + r"\s*(?:\\in|<|>|\\le|\\ge|\\leq|\\geq)(?![A-Za-z])", doc.text):
        return None
    return (1, -1)


def density_normalisable(line, doc) -> str | None:
    """DS210: a density, or a log-density, whose unnormalised form grows without bound in its variable."""
    law = _law(line, doc)
    if law is None:
        return None
    latex, sign, log = law
    ends = _support_ends(line, doc, latex)
    if ends is None:
        return None
    names = bare_names(line.text)
    for side in _sides(line):
        try:
            reading = read_document(side, doc.names, names)
        except Exception:
            continue
        expr = getattr(reading, "expr", None)
        if not isinstance(expr, sympy.Expr) or expr.atoms(sympy.Sum, sympy.Product, sympy.Integral, sympy.Function) - \
                expr.atoms(sympy.exp, sympy.log, sympy.Abs, sympy.Pow):
            continue
        variable = _symbol(expr, latex, doc)
        if variable is None or any(s.name.startswith("⟪") or "⟦" in s.name for s in expr.free_symbols):
            continue
        found = _grows(sign * expr if log else expr, variable, log, ends, doc, line)
        defined = _definitions(line, doc, expr.free_symbols - {variable}) if not found else {}
        # a name whose sign the side leaves open, defined above (λ = 1/σ₀²): its definition decides (one at a time,
        # then all together)
        for replace in [{k: v} for k, v in defined.items()] + ([defined] if len(defined) > 1 else []):
            if found:
                break
            at = expr.xreplace(replace)
            found = _grows(sign * at if log else at, variable, log, ends, doc, line)
        if found:
            point, degree, coefficient = found
            at = values.shown(point, doc.names)
            what = "log-density" if log else "density"
            grows = f"{'its value' if log else 'its exponent'} → +∞ as {latex} → {'±∞' if len(ends) == 2 else '∞'}"
            term = f"{values.number(coefficient)}·{latex}{'^' + str(degree) if degree > 1 else ''}"
            return (f"the {what} grows without bound in {latex}: {grows} (leading term {term}"
                    + (f" at {at}" if at else "") + f"); {'it is the log of ' if log else ''}exp(+…), which has no "
                    "normaliser: ∝ and 1/Z fix a normaliser's value, not its existence")
    return None


def _grows(expr, variable, log: bool, ends, doc, line):
    """(a draw, degree, leading coefficient) when the log-density tends to +∞ at every end at every admissible draw."""
    terms = _log_terms(expr, variable, log)
    if not terms:
        return None
    ranges = _ranges(expr, variable, doc, line)
    decided, first = 0, None
    for point in values.draws(ranges, DRAWS):
        results = [_end(terms, variable, point, d) for d in ends]
        if any(r is None for r in results):
            continue  # not admissible, or not decided here
        decided += 1
        for degree, coefficient in results:
            if degree < 1 or not coefficient.is_real or coefficient <= 0:
                return None  # it falls off (or stays level) at an admissible draw: normalisable, or not decided
        if first is None:
            first = (point, results[0][0], results[0][1])
    return first if decided >= 2 else None
