r"""Mechanism *sign and range*: a quantity's sign, range or fixed point at admissible values, symbolic first.

SymPy is asked first (with the draws' assumptions: a name drawn positive is positive); where it proves the
property, nothing is said. Otherwise the side is evaluated at exact admissible draws (values.py) at 30 digits:
a flag needs two draws, each beyond round-off, and for a range property every decided draw outside it.

Expectations on the right side (``\mathbb{E}[X]\mathbb{E}[X]^\top - \mathbb{E}[XX^\top]``) are evaluated under a
random finite law of the left side's random variables (three atoms, exact weights): a variance or covariance must be
nonnegative under every law, so one law where it is negative is a counterexample. Read with scalars, a covariance
matrix's formula is its 1×1 case -- a vector of one coordinate is an admissible vector.
"""

from __future__ import annotations

import contextlib
import re

import mpmath
import sympy
from sympy.core.function import AppliedUndef

from derivspec.scan import tree
from derivspec.scan.reader import application_parts
from derivspec.scan.rules import values
from derivspec.scan.rules.reading import written
from derivspec.scan.typed_reading import operator_of

TOLERANCE = mpmath.mpf("1e-9")
ATOMS = ((sympy.Rational(1, 6), sympy.Rational(1, 2), sympy.Rational(-1, 3)),
         (sympy.Rational(1, 3), sympy.Rational(-3, 2), sympy.Rational(2)),
         (sympy.Rational(1, 2), sympy.Rational(2), sympy.Rational(1, 4)))  # (weight, value of X, value of Y)


def expectations_replaced(expr: sympy.Expr, randoms: list):
    """``expr`` with each E[body] the expectation of body under a three-atom law of ``randoms`` (two at most);
    None when something else stays unknown."""
    def replace(e):
        if isinstance(e, AppliedUndef):
            head, separators, square = application_parts(e.func.__name__)
            if operator_of(head, square)[0] == "expect" and len(e.args) == 1 and not separators:
                body = replace(e.args[0])
                if body is None:
                    return None
                return sum(w * body.xreplace(dict(zip(randoms, atom))) for w, *atom in ATOMS)
            return None
        if not e.args:
            return e
        parts = [replace(a) for a in e.args]
        if any(p is None for p in parts):
            return None
        return e.func(*parts)

    if len(randoms) > 2:
        return None
    try:
        found = replace(expr)
    except (TypeError, ValueError, AttributeError):
        return None
    if found is None or found.has(AppliedUndef) or any("⟦" in s.name for s in found.free_symbols):
        return None
    return found


def _assumed(expr: sympy.Expr, ranges: dict) -> sympy.Expr:
    """``expr`` with the ranges as SymPy assumptions (positive, or in (0, 1) read as positive)."""
    swap = {s: sympy.Symbol(s.name, positive=True) for s, r in ranges.items() if r in ("positive", "unit", "integer")}
    return expr.xreplace(swap)


def negative_points(expr: sympy.Expr, ranges: dict) -> tuple[list, int]:
    """(the admissible draws where ``expr`` < 0 beyond round-off, the number of draws decided)."""
    with contextlib.suppress(Exception):
        if _assumed(expr, ranges).is_nonnegative:
            return [], 0
    found, decided = [], 0
    real = any(r == "real" for r in ranges.values())
    points = values.draws(ranges, 7 if real else 4) + values.label_points(ranges)
    for point in points:
        v = values.value(expr, point)
        if v is None:
            continue
        decided += 1
        if v < -TOLERANCE * max(1, abs(v)):
            found.append((point, v))
    return found, decided


def _randoms(line) -> list:
    node = line.node("left")
    args = node.args if isinstance(node, tree.Moment) else ()
    found = []
    for a in args:
        if isinstance(a, tree.Name) and not a.index:
            s = line.doc.symbol(a.latex, line)
            if s is not None and not s.name.startswith("⟪"):
                found.append(s)
    return found


def _right(line, randoms=()):
    reading = line.reading("right")
    if reading is None:
        return None
    expr = line.expr("right")
    if expr is not None:
        return expr
    return expectations_replaced(reading.expr, list(randoms)) if randoms else None


def _nonnegative(line, doc, what: str, expr, ranges=None, everywhere: bool = True) -> str | None:
    """``everywhere``: flag only when every admissible draw is negative (a quantity of parameters, whose draws may
    leave their domain); otherwise two negative draws suffice (a norm or a loss of real data)."""
    if expr is None or not expr.free_symbols and not expr.is_number:
        return None
    ranges = ranges if ranges is not None else values.ranges(expr, doc.names, doc.text)
    bad, decided = negative_points(expr, ranges)
    if len(bad) < 2 and not (expr.is_number and bad):
        return None
    if everywhere and len(bad) != decided:
        return None
    point, v = bad[0]
    at = values.shown(point, doc.names)
    return f"{what} is never negative, but {line.left_text} = {values.number(v)}" + (f" at {at}" if at else "")


# --- rules ---------------------------------------------------------------------------------------------

def _said_of_it(line, kind: str) -> bool:
    """The sentence leading in names the kind right before the display ("The hinge loss of a margin $m$ is"):
    a cue within its last 70 characters."""
    from derivspec.scan.rules.reading import _says, kinds

    tail = line.lead.lower()[-70:]
    return any(_says(cue, tail) for cue in kinds()[kind].cues)


def divergence_nonnegative(line, doc) -> str | None:
    """DS301."""
    if "divergence" not in line.kinds or not isinstance(line.node("left"), tree.Divergence | tree.Apply):
        return None
    return _nonnegative(line, doc, "a divergence", _right(line))


def divergence_zero_at_equal_laws(line, doc) -> str | None:
    """DS302: KL(N(μ1, σ1²) ‖ N(μ2, σ2²)) is 0 when the two laws are one."""
    node = line.node("left")
    if not isinstance(node, tree.Divergence) or node.kind not in ("kl", "js"):
        return None
    first, second = node.first, node.second
    if not (isinstance(first, tree.Law) and isinstance(second, tree.Law) and first.family and
            first.family == second.family and len(first.params) == len(second.params)):
        return None
    expr = _right(line)
    if expr is None:
        return None
    same = {}
    for a, b in zip(first.params, second.params):
        a = a.base if isinstance(a, tree.Pow) else a
        b = b.base if isinstance(b, tree.Pow) else b
        if a == b:
            continue  # a parameter the two laws share as written (a unit variance)
        if not (isinstance(a, tree.Name) and isinstance(b, tree.Name)):
            return None
        sa, sb = doc.symbol(written(a), line), doc.symbol(written(b), line)
        if sa is None or sb is None or sa.name.startswith("⟪") or sb.name.startswith("⟪"):
            return None
        same[sb] = sa
    equal = expr.xreplace(same)
    ranges = values.ranges(equal, doc.names, doc.text)
    off = []
    for point in values.draws(ranges, 4):
        v = values.value(equal, point)
        if v is not None and abs(v) > TOLERANCE:
            off.append((point, v))
    if len(off) < 2:
        return None
    point, v = off[0]
    return (f"a divergence is 0 between a law and itself, but with equal parameters {line.left_text} = "
            f"{values.number(v)} at {values.shown(point, doc.names)}")


def variance_nonnegative(line, doc) -> str | None:
    """DS303."""
    if "variance" not in line.kinds:
        return None
    node = line.node("left")
    if not (isinstance(node, tree.Moment) and node.kind == "var" or
            isinstance(node, tree.Pow) and isinstance(node.base, tree.Name) and _said_of_it(line, "variance")):
        return None  # σ² or Var(X), not any line of a paragraph about variances
    return _nonnegative(line, doc, "a variance", _right(line, _randoms(line)))


def std_nonnegative(line, doc) -> str | None:
    """DS304."""
    if "std" not in line.kinds or "variance" in line.kinds or not _said_of_it(line, "std"):
        return None
    if not re.match(r"^\s*(?:\\sigma|\\mathrm\s*\{\s*(?:sd|std|SD)\s*\}|\\operatorname\s*\{\s*(?:sd|std)\s*\}|s)(?![A-Za-z])",
                    line.left_text) or "^" in line.left_text:
        return None
    return _nonnegative(line, doc, "a standard deviation", _right(line))


def covariance_psd(line, doc) -> str | None:
    """DS305: Cov(X) (and Cov(X, X)) is positive semidefinite -- its 1×1 case nonnegative."""
    node = line.node("left")
    if not isinstance(node, tree.Moment) or node.kind != "cov" or node.given:
        return None
    randoms = _randoms(line)
    if not randoms or len(randoms) != len(node.args) or len(randoms) > 2:
        return None
    reading = line.reading("right")
    if reading is None:
        return None
    same = reading.expr.xreplace({randoms[-1]: randoms[0]})  # Cov(X, X) = Var(X)
    expr = expectations_replaced(same, randoms[:1]) if same.has(AppliedUndef) else line.expr("right")
    if expr is None:
        return None
    return _nonnegative(line, doc, "a covariance matrix is positive semidefinite: its 1×1 case", expr)


# one norm, the whole side: its delimiters open and close it, nothing outside but an index and a power
_NORM_OPEN = r"(?:\\left\s*)?(?:\\\||\\lVert|\\Vert|‖)"
_NORM_CLOSE = r"(?:\\right\s*)?(?:\\\||\\rVert|\\Vert|‖)"
_NORM_SIDE = re.compile(r"^\s*" + _NORM_OPEN + r"(?:(?!\\\||\\[lr]?Vert|‖).)+" + _NORM_CLOSE +
                        r"\s*(?:_\s*(?:\{[^{}]*\}|\\?\w+))?\s*(?:\^\s*(?:\{[^{}]*\}|\w))?\s*$", re.DOTALL)


def norm_nonnegative(line, doc) -> str | None:
    r"""DS306: the left side IS a norm (``\|x - y\|_2^2``), not a product or sum that contains one
    (``\|a\| \|b\| \cos \theta``: a signed quantity)."""
    if not _NORM_SIDE.match(line.left_text):
        return None
    expr = _right(line)
    if expr is None:
        return None
    stated = values.stated_ranges(doc.text)
    ranges = {s: stated.get((doc.names.latex.get(s) or s.name).replace(" ", ""), "real") for s in
              sorted(expr.free_symbols, key=str)}
    return _nonnegative(line, doc, "a norm", expr, ranges, everywhere=False)


_DISCRETE = re.compile(r"\b(?:discrete|binary|bernoulli|coin|bits?|categorical|pmf|mass function)\b", re.IGNORECASE)


def entropy_nonnegative(line, doc) -> str | None:
    """DS307: the entropy of a discrete law."""
    node = line.node("left")
    if not isinstance(node, tree.Entropy) and "entropy_discrete" not in line.kinds:
        return None
    if isinstance(node, tree.Divergence) or re.search(r"differential|cross", line.lead, re.IGNORECASE):
        return None
    if line.kinds & {"cdf", "density", "loss_nonnegative", "variance"} - {"entropy_discrete"}:
        return None  # the document says H is something else (a CDF, a loss): its words win
    expr = _right(line)
    if expr is None:
        return None
    binary = any(values._complemented(expr, s) for s in expr.free_symbols)
    if not (binary or _DISCRETE.search(line.lead) or _DISCRETE.search(doc.prose_around(line.left_text[:1]))):
        return None
    return _nonnegative(line, doc, "the entropy of a discrete law", expr)


def _loss_ranges(expr, doc) -> dict:
    stated = values.stated_ranges(doc.text)
    logged = {s for f in expr.atoms(sympy.log) for s in f.args[0].free_symbols if f.args[0] == s}
    found = {}
    for s in sorted(expr.free_symbols, key=str):
        written = (doc.names.latex.get(s) or s.name).replace(" ", "")
        base = re.sub(r"_.*$", "", written)
        if written in stated or base in stated:
            found[s] = stated.get(written, stated.get(base))
        elif s in logged or (values._complemented(expr, s) and expr.has(sympy.log)):
            found[s] = "unit"
        else:
            found[s] = "real"
    return found


def loss_nonnegative(line, doc) -> str | None:
    """DS308: a loss of a named kind that cannot be negative (hinge, squared, absolute, cross-entropy)."""
    if "loss_nonnegative" not in line.kinds or not _said_of_it(line, "loss_nonnegative"):
        return None
    if not isinstance(line.node("left"), tree.Apply | tree.Name):
        return None
    expr = _right(line)
    if expr is None:
        return None
    return _nonnegative(line, doc, "this loss", expr, _loss_ranges(expr, doc), everywhere=False)


# P(X = k), \Pr(T > t), \mathbb{P}(A \cap B): the probability of an event (a relation or a set operation inside)
_EVENT = re.compile(r"^\s*(?:\\Pr|\\mathrm\s*\{Pr\}|\\mathbb\s*\{?P\}?|P)\s*\((?=[^()]*(?:=|<|>|\\le|\\ge|\\cap|\\cup|"
                    r"\\in|\\mid|\|))")


def probability_in_unit_interval(line, doc) -> str | None:
    """DS206."""
    node = line.node("left")
    event = isinstance(node, tree.Prob) or bool(_EVENT.match(line.left_text))
    said = bool(re.search(r"\b(?:probabilit\w*|chance)\b", line.lead, re.IGNORECASE))
    if not (event or said and "probability" in line.kinds) or "density" in line.kinds and not (event or said):
        return None
    expr = _right(line)
    if expr is None:  # a sum of indicators (the reader leaves them opaque): its range at every indicator 1
        from derivspec.scan.rules.averages import indicators_counted

        return indicators_counted(line, doc)
    ranges = values.ranges(expr, doc.names, doc.text)
    counts = {s for f in expr.atoms(sympy.binomial, sympy.factorial) for s in f.free_symbols}
    ranges = {s: ("integer" if s in counts and not isinstance(r, tuple) else r) for s, r in ranges.items()}
    outside, decided = [], 0
    for point in values.draws(ranges, 4) if expr.free_symbols else [{}]:
        v = values.value(expr, point)
        if v is None:
            continue
        decided += 1
        if v < -TOLERANCE or v > 1 + TOLERANCE:
            outside.append((point, v))
    if not outside or len(outside) != decided or (expr.free_symbols and decided < 2):
        return None
    point, v = outside[0]
    at = values.shown(point, doc.names)
    return f"a probability lies in [0, 1], but {line.left_text} = {values.number(v)}" + (f" at {at}" if at else "")


_INSIDE = [sympy.Rational(1, 5), sympy.Rational(1, 2), sympy.Rational(4, 5)]


def _negative_inside(expr, variable, ranges, inside) -> tuple | None:
    """(draw, x, value) of the first admissible draw where ``expr`` is negative at an x of ``inside``, when two
    draws at least decide and each one that does is negative somewhere; else None."""
    bad, decided = [], 0
    for point in values.draws(ranges, 4):
        found = None
        any_value = False
        for x in inside:
            v = values.value(expr, {**point, variable: x})
            if v is None:
                continue
            any_value = True
            if v < -TOLERANCE:
                found = (point, x, v)
                break
        if any_value:
            decided += 1
            if found:
                bad.append(found)
    return bad[0] if decided >= 2 and len(bad) == decided else None


def density_nonnegative(line, doc) -> str | None:
    """DS205: a density or pmf is never negative where its variable lives."""
    if not line.kinds & {"density", "pmf", "conditional_density"}:
        return None
    expr = line.expr("right")
    symbols, _ = doc.variables(line)
    if expr is None or len(symbols) != 1 or symbols[0] is None or symbols[0] not in expr.free_symbols:
        return None
    variable = symbols[0]
    discrete = any(variable in f.free_symbols for f in expr.atoms(sympy.binomial, sympy.factorial)) or "pmf" in line.kinds
    inside = [sympy.Integer(0), sympy.Integer(1)] if discrete else _INSIDE
    found = _negative_inside(expr, variable, values.ranges(expr, doc.names, doc.text, fixed=(variable,)), inside)
    if found is None:
        return None
    point, x, v = found
    at = values.shown({**point, variable: x}, doc.names)
    return f"a density is never negative, but {line.left_text} = {values.number(v)} at {at}"


def _cdf_variable(line, doc):
    node = line.node("left")
    if "cdf" not in line.kinds:
        return None
    args = (node.args if isinstance(node, tree.Apply) else node.of if isinstance(node, tree.Entropy) and not node.given
            else node.variables if isinstance(node, tree.Density) and not node.given else ())
    if len(args) != 1:  # F(x); H(d) or P(x) the document calls a CDF: its words win over the letter's notation
        return None
    expr = line.expr("right")
    symbols, _ = doc.variables(line)
    if expr is None or len(symbols) != 1 or symbols[0] is None or symbols[0] not in expr.free_symbols:
        return None
    return expr, symbols[0]


_CDF_SUPPORTS = ((-sympy.oo, sympy.oo), (0, sympy.oo), (0, 1))


def _limit(expr, variable, to):
    from derivspec.core import symbolic

    with symbolic.time_limit(1.5):
        found = sympy.limit(expr, variable, to, "+" if to != sympy.oo else "-")
    return values.value(found, {}) if found.is_finite is not False else (mpmath.inf if found == sympy.oo else -mpmath.inf
                                                                         if found == -sympy.oo else None)


def cdf_limits(line, doc) -> str | None:
    """DS207: a CDF is 0 at the bottom of its support and 1 at the top."""
    found = _cdf_variable(line, doc)
    if found is None:
        return None
    expr, variable = found
    from derivspec.scan.rules.normalisation import stated_support

    latex = doc.names.latex.get(variable) or variable.name
    stated = stated_support(doc, latex)
    supports = [stated[1:]] if stated and stated[0] == "real" else list(_CDF_SUPPORTS)
    ranges = values.ranges(expr, doc.names, doc.text, fixed=(variable,))
    evidence = None
    for low, high in supports:
        failures, decided = [], 0
        for point in values.draws(ranges, 3):
            at = expr.xreplace(point)
            try:
                bottom, top = _limit(at, variable, low), _limit(at, variable, high)
            except Exception:
                continue
            if bottom is None or top is None:
                continue
            decided += 1
            if abs(bottom) > TOLERANCE or abs(top - 1) > TOLERANCE:
                failures.append((point, bottom, top))
            else:
                break
        else:
            if decided >= 2 and len(failures) == decided:
                if evidence is None:
                    point, bottom, top = failures[0]
                    show = lambda b: "∞" if b == sympy.oo else "-∞" if b == -sympy.oo else str(b)
                    value = lambda v: str(v) if not mpmath.isfinite(v) else values.number(v)
                    evidence = (f"on ({show(low)}, {show(high)}) it goes from {value(bottom)} to {value(top)}"
                                + (f" at {values.shown(point, doc.names)}" if point else ""))
                continue
        return None
    return f"a CDF rises from 0 to 1, but {line.left_text} does not: {evidence}" if evidence else None


def cdf_nondecreasing(line, doc) -> str | None:
    """DS208: a CDF never decreases on its support."""
    found = _cdf_variable(line, doc)
    if found is None:
        return None
    expr, variable = found
    slope = sympy.diff(expr, variable)
    ranges = values.ranges(expr, doc.names, doc.text, fixed=(variable,))
    found = _negative_inside(slope, variable, ranges, _INSIDE)  # in every candidate support
    if found is None:
        return None
    point, x, s = found
    latex = doc.names.latex.get(variable) or variable.name
    return (f"a CDF never decreases, but {line.left_text} falls at {latex} = {x}: slope {values.number(s)}"
            + (f" at {values.shown(point, doc.names)}" if point else ""))


_VECTOR = re.compile(r"^\s*(?:\\left\s*)?[(\[]\s*(.+?)\s*(?:\\right\s*)?[)\]]\s*(?:\^\s*\{?\s*(?:\\top|T|\\intercal)\s*\}?)?$|"
                     r"^\s*\\begin\{[pbvB]?matrix\}(.+?)\\end\{[pbvB]?matrix\}\s*$", re.DOTALL)
_ENTRY = re.compile(r"^\s*(?:(\d*\.\d+|\d+)|\\frac\s*\{?\s*(\d+)\s*\}?\s*\{?\s*(\d+)\s*\}?|(\d+)\s*/\s*(\d+))\s*$")


def probability_vector_sums_to_one(line, doc) -> str | None:
    """DS209: a vector of probabilities written out sums to one."""
    if "probability_vector" not in line.kinds:
        return None
    raw = re.search(r"=\s*(\\begin\{[pbvB]?matrix\}.*?\\end\{[pbvB]?matrix\})", line.statement.text, re.DOTALL)
    found = _VECTOR.match(raw.group(1) if raw else line.right_text)
    if not found:
        return None
    body = found.group(1) or found.group(2)
    parts = re.split(r",|\\\\|&", body)
    from fractions import Fraction

    entries, slack = [], Fraction(0)
    for part in parts:
        m = _ENTRY.match(part)
        if not m:
            return None
        if m.group(1):
            entries.append(Fraction(m.group(1)))
            if "." in m.group(1):
                slack += Fraction(1, 2 * 10 ** len(m.group(1).split(".")[1]))
        elif m.group(2):
            entries.append(Fraction(int(m.group(2)), int(m.group(3))))
        else:
            entries.append(Fraction(int(m.group(4)), int(m.group(5))))
    if len(entries) < 2 or any(e < 0 or e > 1 for e in entries):
        return None
    total = sum(entries)
    if abs(total - 1) <= slack:
        return None
    return f"a probability vector sums to one, but the entries of {line.left_text} sum to {values.number(total)}"
