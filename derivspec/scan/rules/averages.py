r"""Mechanism *normalisation*, for an average: the weights of a mean sum to one (DS211).

An average written ``\frac{1}{c}\sum_{i=a}^{b} x_i`` -- a sample mean, an empirical expectation, a Monte Carlo
estimate, the law of large numbers -- has ``b - a + 1`` terms, so its weights ``1/c`` sum to one only when
``c = b - a + 1``: ``\frac{1}{N}\sum_{i=0}^{N} Z_i`` averages N + 1 values with weight 1/N each. SymPy decides
``b - a + 1 - c``; nested sums count the product of their ranges.

The rule reads every relational statement, limits and approximations included (``\to \mathbb{E}[Z]`` as N → ∞ is
where the slip is written), and judges only an average the line or its lead calls one: an expectation in the
statement, the words of the lead (average, mean, empirical, estimate, Monte Carlo, the law of large numbers), or a
left side that is an estimate (``\bar x``, ``\hat\mu``, ``\hat{\mathbb{E}}``). The summand must be a value of the
index -- a sample indexed by it (``x_i``, ``y^{(n)}``, ``x_{ij}``), the index appearing nowhere else -- so a series,
a Riemann sum f(i/N), a telescoping sum or a weighted sum is left alone.

:func:`indicators_counted` serves DS206 (sign.py): a probability written as a sum of indicators over a range, the
1/N of a frequency dropped, reaches the number of its terms.
"""

from __future__ import annotations

import re

import sympy
from sympy.core.function import AppliedUndef

from derivspec.scan.clauses import split_clauses
from derivspec.scan.reader import bare_names, read_document

_EXPECTATION = re.compile(r"\\mathbb\s*\{?\s*E\b|\\mathrm\s*\{\s*E\s*\}|\\operatorname\s*\{\s*E\s*\}|"
                          r"(?<![A-Za-z\\])E\s*(?:_\s*(?:\{[^{}]*\}|\\?\w+))?\s*(?:\\left\s*|\\big\w*\s*)?\[")
_ESTIMATE_LEFT = re.compile(r"^\s*\\(?:bar|overline|hat|widehat)\b")
_NOT_JUDGED = re.compile(r"\b(?:wrong|incorrect|mistake|typo|erroneous|suppose for contradiction|proportional|"
                         r"up to a constant|unnormali[sz]ed|biased|unbiased|bias|shrink\w*|degrees? of freedom|bessel\w*|"
                         r"corrected|correction)\b", re.IGNORECASE)
_SAMPLE_ESTIMATE = re.compile(r"\\(?:bar|overline|hat|widehat)\b")
_SAMPLE_MEAN_WORDS = re.compile(r"\b(?:sample|empirical) (?:mean|average)|mean of the (?:sample|data)", re.IGNORECASE)
_OFFSET = re.compile(r"•\s*[-+]")  # x_{i+1}: an index with an offset (a telescoping or a lagged sum)


def statement_lines(doc, relational: list) -> list:
    """Every relational statement as a Line (its first clause's sides), whatever its relation (=, →, ≈, …)."""
    return [doc.line(index, statement, cleaned, clauses[0]) for index, statement, cleaned, clauses in doc.clauses
            if clauses]


def _sides(line) -> list[str]:
    try:
        return [s.strip() for c in split_clauses(line.text) if c.relations for s in c.sides if s.strip()]
    except Exception:
        return []


def _read(text: str, line):
    try:
        return read_document(text, line.doc.names, bare_names(line.text)).expr
    except Exception:
        return None


def _latex(symbol, doc) -> str:
    return (doc.names.latex.get(symbol) or symbol.name).replace(" ", "")


def _an_average(line) -> bool:
    """The line or its lead calls the sum an average: an expectation in the line, an estimate's left side, or the
    lead's words (kinds.toml, ``average``)."""
    from derivspec.scan.rules.reading import _says, kinds

    words = line.lead.lower()
    return bool(_EXPECTATION.search(line.text) or _ESTIMATE_LEFT.match(line.left_text)
                or any(_says(cue, words) for cue in kinds()["average"].cues))


def _indexed_by(body, index, doc) -> bool | None:
    """True: ``body`` is a value of ``index`` -- a sample indexed by it, the index nowhere else; None: something else
    (a series, a Riemann sum, an offset, a weight, a ratio)."""
    samples, swap = 0, {}
    for f in body.atoms(AppliedUndef):
        name = f.func.__name__
        if "•" in name:
            if _OFFSET.search(name) or any(a != index and index in a.free_symbols for a in f.args):
                return None
            if index in f.args:
                samples += 1
                swap[f] = sympy.Dummy()
    token = re.compile(r"(?:_|\^)\s*\{?\s*\(?\s*" + re.escape(_latex(index, doc)) + r"\s*\)?\s*\}?(?![\w+-])")
    for s in body.free_symbols:
        if s == index:
            continue
        written = _latex(s, doc)
        if re.search(r"(?:_|\^)\s*\{?\s*\(?\s*" + re.escape(_latex(index, doc)) + r"\s*[-+]", written):
            return None
        if token.search(written) or ("⟦" in s.name and re.search(r"_\s*\{?\s*" + re.escape(_latex(index, doc))
                                                                   + r"(?![\w+-])", s.name)):
            samples += 1
            swap[s] = sympy.Dummy()
    if not samples:
        return None
    rest = body.xreplace(swap)
    if index in rest.free_symbols:
        return None  # the index in the arithmetic: f(i/N), i x_i, a discount γ^i
    factors = sympy.Mul.make_args(sympy.expand(rest) if rest.is_Mul else rest)
    if sum(1 for f in factors if f.free_symbols & set(swap.values())) > 1 or any(
            p.exp.is_negative and p.free_symbols & set(swap.values()) for p in rest.atoms(sympy.Pow)):
        return None  # a weighted sum (w_i x_i), a product of samples, a ratio p(x_i)/q(x_i)
    return True


def _averages(expr):
    """(normaliser, Sum) for each 1/c · Σ in ``expr``: a product of a Sum and factors free of sums."""
    for node in sympy.preorder_traversal(expr):
        if not isinstance(node, sympy.Mul):
            continue
        sums = [a for a in node.args if isinstance(a, sympy.Sum)]
        rest = [a for a in node.args if not isinstance(a, sympy.Sum)]
        if len(sums) != 1 or not rest or any(r.has(sympy.Sum) for r in rest):
            continue
        denominator = sympy.denom(sympy.Mul(*rest))
        numerator = sympy.numer(sympy.Mul(*rest))
        if numerator != 1 or denominator == 1:
            continue
        yield denominator, sums[0]


def _count(total):
    """The number of terms of a Sum (nested sums multiplied), its body and its indices; None when a range is not a
    range."""
    count, body, indices = sympy.Integer(1), total, []
    while isinstance(body, sympy.Sum):
        for index, low, high in body.limits:
            if any("⟦" in s.name for s in (low.free_symbols | high.free_symbols)):
                return None
            count *= high - low + 1
            indices.append((index, low, high))
        body = body.function
    return sympy.expand(count), body, indices


def _sample_estimate_in(body, doc) -> bool:
    """The summand uses an estimate from the sample (\\bar x, \\hat\\mu, ŷ_i, a name the document defines by a sum or
    calls the sample mean): a deviation from it may be divided by the degrees of freedom (Bessel)."""
    for s in body.free_symbols:
        written = _latex(s, doc)
        if _SAMPLE_ESTIMATE.search(written):
            return True
        if any(line.left_text.replace(" ", "") == written and "\\sum" in line.right_text for line in doc.lines):
            return True
        if _SAMPLE_MEAN_WORDS.search(doc.prose_around(written)):
            return True
    return any(_SAMPLE_ESTIMATE.search(f.func.__name__) for f in body.atoms(AppliedUndef))


def _first_or_last_defined(body, indices, doc) -> bool:
    """The sample at an end of the range is defined (x_0 = 0): an extra term may be zero."""
    names = {re.sub(r"_\{•+\}$|_{•}$", "", f.func.__name__) for f in body.atoms(AppliedUndef) if "•" in f.func.__name__}
    for _, low, high in indices:
        for end in (low, high):
            if not end.is_number:
                continue
            for name in names:
                if re.search(re.escape(name) + r"\s*_\s*\{?\s*" + str(end) + r"\s*\}?\s*(?:=|:=|\\equiv)", doc.text):
                    return True
    return False


def _shown(expr, doc) -> str:
    swap = {s: sympy.Symbol(_latex(s, doc)) for s in expr.free_symbols}
    return sympy.sstr(expr.xreplace(swap))


def average_terms(line, doc) -> str | None:
    """DS211: the weights 1/c of an average over a range sum to one (c is the number of terms)."""
    if _NOT_JUDGED.search(line.around) or re.search(r"\\propto|\\tilde|\\widetilde", line.text):
        return None
    if doc.guarded_lead(line.lead) or not _an_average(line):
        return None
    if "\\sum" not in line.text:
        return None
    for side in _sides(line):
        if "\\sum" not in side:
            continue
        expr = _read(side, line)
        if expr is None:
            continue
        for normaliser, total in _averages(expr):
            if normaliser.has(AppliedUndef) or any("⟦" in s.name for s in normaliser.free_symbols):
                continue
            counted = _count(total)
            if counted is None:
                continue
            count, body, indices = counted
            if any(_indexed_by(body, index, doc) is None for index, _, _ in indices):
                continue
            difference = sympy.simplify(count - normaliser)
            if difference == 0 or not (count.free_symbols <= normaliser.free_symbols
                                       and normaliser.free_symbols <= count.free_symbols):
                continue  # another name for the size (1/n with Σ_{i=1}^{N}, n = N + 1): the document may relate them
            if difference.is_number and difference < 0:
                continue  # divided by more than its terms: a shrinkage or deliberately biased estimator (1/(n + 1))
            if (difference.is_number and difference > 0 or not difference.is_number) and (
                    _sample_estimate_in(body, doc) or _first_or_last_defined(body, indices, doc)):
                continue  # Bessel's correction, degrees of freedom; an extra term defined as zero
            ranges = ", ".join(f"{_shown(i, doc)} = {_shown(a, doc)}..{_shown(b, doc)}" for i, a, b in reversed(indices))
            return (f"the sum over {ranges} has {_shown(sympy.factor(count), doc)} terms but is divided by {_shown(normaliser, doc)}:"
                    f" the weights of an average sum to {_shown(sympy.factor(count / normaliser), doc)}, not one")
    return None


# --- DS206: a probability written as a count ---------------------------------------------------------------------

_INDICATOR_SUM = re.compile(r"^\s*\\sum\s*_\s*\{[^{}]*=[^{}]*\}\s*\^\s*(?:\{[^{}]*\}|\\?\w+)\s*"
                            r"(?:\\mathbb\s*\{?\s*1\s*\}?|\\mathbf\s*\{?\s*1\s*\}?|\\mathbb\s*\{\s*I\s*\}|"
                            r"\\mathrm\s*\{\s*I\s*\}|\\1(?![A-Za-z]))\s*(?:_\s*(?:\{[^{}]*\}|\w))?\s*"
                            r"(?:\([^()]*\)|\[[^\[\]]*\]|\\\{[^{}]*\\\}|\\left\s*[(\[][^()\[\]]*\\right\s*[)\]])\s*$")


def indicators_counted(line, doc) -> str | None:
    """DS206's range at admissible values for a sum of indicators over a range (``P(A) = \\sum_{i=1}^{N}
    \\mathbb{1}_A(X_i)``): with every indicator 1 it is the number of its terms, above one for every sample of two or
    more (the 1/N of a frequency dropped)."""
    if not _INDICATOR_SUM.match(line.right_text):
        return None
    expr = _read(line.right_text, line)
    if not isinstance(expr, sympy.Sum):
        return None
    counted = _count(expr)
    if counted is None:
        return None
    count = counted[0]
    if count.free_symbols:
        at = {s: 2 for s in count.free_symbols}
        smallest = count.xreplace(at)
        if len(count.free_symbols) != 1 or not (sympy.diff(count, *count.free_symbols).is_positive) or smallest <= 1:
            return None
        return (f"a probability lies in [0, 1], but a sum of {_shown(count, doc)} indicators reaches "
                f"{_shown(count, doc)} when every indicator is 1 ({smallest} at {_shown(next(iter(at)), doc)} = 2): "
                f"a count, not a frequency")
    if count.is_number and count > 1:
        return (f"a probability lies in [0, 1], but a sum of {count} indicators reaches {count} when every "
                f"indicator is 1: a count, not a frequency")
    return None
