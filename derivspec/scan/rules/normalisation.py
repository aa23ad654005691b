r"""Mechanism *normalisation*: the sum or integral of a quantity over its variable, at admissible parameter values.

The variable is the quantity's own (left of the bar, the value of an event, the first argument of 𝒩). Its support
is the one the document states (``k \in \{0, 1, \dots, n\}``, ``x > 0``, ``x \in (0, 1)``); where it states none,
every usual support is tried ({0, 1}, {0, 1, …}, {1, 2, …}, {0, …, n} for a count n of the formula; ℝ, (0, ∞),
(0, 1)) and the rule flags only when the property fails on *every* one of them. Parameters are drawn exactly
(values.py); a draw where the quantity is negative, complex or not finite on the support is not admissible and is
skipped. Sums: exact with SymPy over a finite support, SymPy's closed form or mpmath's ``nsum`` (with the terms seen
to vanish) over an infinite one; integrals: mpmath's ``quad`` at 30 digits, accepted only when two quadrature
degrees agree far below the discrepancy. A flag needs two admissible draws, each beyond round-off, on every support.
"""

from __future__ import annotations

import re

import mpmath
import sympy

from derivspec.core import symbolic
from derivspec.scan import tree
from derivspec.scan.reader import bare_names, read_document
from derivspec.scan.rules import values
from derivspec.scan.rules.reading import exact

TOLERANCE = mpmath.mpf("1e-6")
CONTINUOUS = ((-sympy.oo, sympy.oo), (0, sympy.oo), (0, 1))
DISCRETE_POINTS = 40  # terms summed exactly before a tail is needed


def _integer_like(expr: sympy.Expr, variable) -> set:
    """Symbols that count (the n of binomial(n, k), factorial(n - k), a range's end)."""
    return set().union(*(f.free_symbols - {variable} for f in expr.atoms(sympy.binomial, sympy.factorial, sympy.gamma)))


def _of_a_vector(expr: sympy.Expr, variable) -> bool:
    """A density of a vector read with scalars: a dimension in an exponent (``(2\\pi)^{d/2}``, ``(2\\pi\\sigma^2)^{N/2}``),
    a norm |Z| of the variable. Its scalar reading is no instance of it."""
    return (any(_a_dimension(power, variable) for power in expr.atoms(sympy.Pow))
            or any(variable in a.free_symbols for a in expr.atoms(sympy.Abs)))


def _a_dimension(power: sympy.Pow, variable) -> bool:
    """A number raised to a name (``(2\\pi)^{d/2}``), or a base free of the variable raised to half a name
    (``(2\\pi\\sigma^2)^{N/2}``): the normalising constant of a law in N dimensions."""
    other = power.exp.free_symbols - {variable}
    if power.base.is_number:
        return bool(other)
    return bool(other) and variable not in power.base.free_symbols | power.exp.free_symbols and \
        sympy.fraction(sympy.together(power.exp))[1] == 2


def _discrete(expr: sympy.Expr, variable) -> bool:
    """The formula treats its variable as a count: a factorial or binomial of it."""
    return any(variable in f.free_symbols for f in expr.atoms(sympy.binomial, sympy.factorial))


_SUPPORT_RANGE = r"\\in\s*\\\{\s*(-?\d+)\s*,\s*(?:(-?\d+)\s*,\s*)?(?:\\[lc]?dots\s*,\s*)?(\w+|\\infty)?\s*(?:,\s*\\[lc]?dots)?\s*\\\}"


def stated_support(doc, variable_latex: str):
    """("int", low, high) or ("real", low, high) the document states for the variable, else None (also when it
    states several: the name is reused, and no one of them is known to be in force)."""
    found = stated_supports(doc, variable_latex)
    return found[0] if len(found) == 1 else None


_REALS = r"\\in\s*(?:\\mathbb\s*\{?R\}?|ℝ)(?!\s*_|\s*\^\s*\{?\s*[+>])"
_NATURALS = r"\\in\s*(?:\\mathbb\s*\{?(?:N|Z)\}?|ℕ)\s*(?:_\s*\{?\s*(?:\\ge\w*\s*0|0|\+)\s*\}?)?(?![A-Za-z])"


def stated_supports(doc, variable_latex: str) -> list:
    """Every support the document states for the variable (``x \\in \\mathbb{R}``, ``x \\in \\{0, 1\\}``,
    ``k \\in \\mathbb{N}``, ``k = 0, 1, \\dots``, ``x > 0``, ``x \\in (0, 1)``), each once, in the document's order."""
    name = re.escape(variable_latex)
    text = doc.text
    found = []
    for m in re.finditer(r"(?<![\\A-Za-z])" + name + r"\s*(" + _SUPPORT_RANGE + "|" + _REALS + "|" + _NATURALS + ")", text):
        one = _one_support(doc, variable_latex, m.group(0))
        if one is not None and one not in found:
            found.append(one)
    rest = _one_support(doc, variable_latex, text, ranges=False)
    if rest is not None and rest not in found:
        found.append(rest)
    return found


def _support_line(doc, variable_latex: str) -> int | None:
    """The line of the first support the document states for the variable (stated_supports' first)."""
    m = re.search(r"(?<![\\A-Za-z])" + re.escape(variable_latex) + r"\s*(?:" + _SUPPORT_RANGE + "|" + _REALS + "|" +
                  _NATURALS + ")", doc.text)
    return doc.text.count("\n", 0, m.start()) + 1 if m else None


def _one_support(doc, variable_latex: str, text: str, ranges: bool = True):
    """The support one declaration states (``ranges=False``: only the forms other than a set or a number line)."""
    name = re.escape(variable_latex)
    if ranges and re.search(r"(?<![\\A-Za-z])" + name + r"\s*" + _REALS, text):
        return ("real", -sympy.oo, sympy.oo)
    if ranges and re.search(r"(?<![\\A-Za-z])" + name + r"\s*" + _NATURALS, text):
        return ("int", 0, sympy.oo)
    found = re.search(r"(?<![\\A-Za-z])" + name + r"\s*" + _SUPPORT_RANGE, text) if ranges else None
    if found:
        low = int(found.group(1))
        end = found.group(3)
        if found.group(2) is not None and end is None:  # {0, 1}
            return ("int", low, int(found.group(2)))
        if end is None or end == "\\infty":
            return ("int", low, sympy.oo)
        return ("int", low, int(end) if end.lstrip("-").isdigit() else end)
    found = re.search(r"(?<![\\A-Za-z])" + name + r"\s*=\s*(\d+)\s*,\s*(\d+)\s*,\s*(?:\d+\s*,\s*)?\\[lc]?dots\s*(?:,\s*(\w+))?",
                      text)
    if found:
        return ("int", int(found.group(1)), found.group(3) or sympy.oo)
    if re.search(r"(?<![\\A-Za-z])" + name + r"\s*(?:>|\\ge|\\geq)\s*0(?![\d.])", text):
        return ("real", 0, sympy.oo)
    if re.search(r"(?<![\\A-Za-z])" + name + r"\s*\\in\s*(?:\\left)?\s*[(\[]\s*0\s*,\s*1\s*(?:\\right)?\s*[)\]]", text):
        return ("real", 0, 1)
    return None


def law_form(expr: sympy.Expr, variable) -> str:
    """What the formula's own form says its variable is: "continuous" (a Gaussian kernel, e^{-c (x - m)^2} with
    c > 0, lives on the real line), "count" (a binomial coefficient or a factorial of the variable) or "unbounded
    count" (a factorial of it and no bound: λ^k / k!); "" when the form says nothing."""
    if _discrete(expr, variable):
        bounded = any(variable in f.free_symbols and f.free_symbols - {variable} for f in
                      expr.atoms(sympy.binomial, sympy.factorial, sympy.gamma))
        return "count" if bounded else "unbounded count"
    positive = {s: sympy.Symbol(s.name, positive=True) for s in expr.free_symbols if s != variable}
    for power in expr.atoms(sympy.exp):
        try:
            poly = sympy.Poly(sympy.expand(power.args[0].xreplace(positive)), variable)
        except (sympy.PolynomialError, sympy.GeneratorsNeeded, TypeError, ValueError):
            continue
        if poly.degree() == 2 and (-poly.LC()).is_positive:
            return "continuous"
    return ""


def _fits(support, form: str) -> bool:
    """A stated support that the law's form allows (a Gaussian kernel on no set of integers, a Poisson-like count
    on no finite set)."""
    if form == "continuous":
        return support[0] == "real"
    if form == "unbounded count":
        return support[0] == "int" and support[2] is sympy.oo
    if form == "count":
        return support[0] == "int"
    return True


def _supports(expr, variable, discrete: bool | None):
    found = []
    if discrete is not False:
        found += [("int", 0, 1), ("int", 0, sympy.oo), ("int", 1, sympy.oo)]
        for n in sorted(_integer_like(expr, variable), key=str):
            found += [("int", 0, n), ("int", 1, n)]
    if discrete is not True:
        found += [("real", low, high) for low, high in CONTINUOUS]
    return found


def total(expr: sympy.Expr, variable, support, point: dict):
    """(the sum or integral of expr over the support at point, whether every value on it is >= 0) or None."""
    kind, low, high = support
    high = point.get(high, high) if isinstance(high, sympy.Symbol) else high
    at = expr.xreplace(point)
    if kind == "int":
        if isinstance(high, str):
            return None
        if high is not sympy.oo and (not getattr(high, "is_integer", isinstance(high, int)) or int(high) - low > 400):
            return None
        last = low + DISCRETE_POINTS if high is sympy.oo else int(high)
        terms = []
        for k in range(int(low), int(last) + 1):
            v = values.value(at, {variable: sympy.Integer(k)})
            if v is None:
                return None
            terms.append(v)
        if any(t < -TOLERANCE for t in terms):
            return None, False
        if high is not sympy.oo:
            return mpmath.fsum(terms), True
        if all(t == 0 for t in terms[-6:]) and all(values.value(at, {variable: sympy.Integer(k)}) == 0
                                                   for k in (200, 401)):
            return mpmath.fsum(terms), True  # the terms stop (a binomial past its n): a finite sum
        tail = [values.value(at, {variable: sympy.Integer(k)}) for k in (200, 400)]
        if all(t is not None and abs(t) < mpmath.mpf("1e-15") for t in tail):  # terms that vanish fast: summed
            f = sympy.lambdify(variable, at, "mpmath")
            with mpmath.workdps(values.DPS):
                return mpmath.nsum(f, [low, mpmath.inf]), True
        try:  # a slow tail: SymPy's closed form, or nothing
            with symbolic.time_limit(0.5):
                closed = sympy.summation(at, (variable, low, sympy.oo))
        except symbolic.SymPyTimeout:
            return None
        if isinstance(closed, sympy.Sum) or closed.has(sympy.Sum):
            return None
        v = values.value(closed, {})
        return (v, True) if v is not None else None
    f = sympy.lambdify(variable, at, "mpmath")
    lo = -mpmath.inf if low == -sympy.oo else mpmath.mpf(low)
    hi = mpmath.inf if high == sympy.oo else mpmath.mpf(high)
    samples = [mpmath.mpf(s) for s in ("-3", "-1", "-0.3", "0.2", "0.5", "0.9", "1.5", "4")]
    try:
        with mpmath.workdps(values.DPS):
            inside = [f(s) for s in samples if lo < s < hi]
            if any(not isinstance(v, mpmath.mpf) for v in inside):
                return None
            if any(v < -TOLERANCE for v in inside):
                return None, False
            nodes = [lo, 0, hi] if lo < 0 < hi else [lo, hi]
            first, error = mpmath.quad(f, nodes, error=True)
            second = mpmath.quad(f, nodes, maxdegree=8)
    except (TypeError, ValueError, ZeroDivisionError, OverflowError):
        return None
    if not (isinstance(first, mpmath.mpf) and mpmath.isfinite(first)) or abs(first - second) > mpmath.mpf("1e-8") \
            or error > mpmath.mpf("1e-8"):
        return None
    return first, True


def _support_text(support, names) -> str:
    kind, low, high = support
    show = lambda b: "∞" if b == sympy.oo else "-∞" if b == -sympy.oo else (names.latex.get(b) or str(b)) if isinstance(
        b, sympy.Symbol) else str(b)
    if kind == "int":
        return f"{{{show(low)}, …, {show(high)}}}"
    return f"({show(low)}, {show(high)})"


LAW_SUPPORTS = {"binary": ("int", 0, 1), "nonneg integer": ("int", 0, sympy.oo), "positive integer": ("int", 1, sympy.oo),
                "positive": ("real", 0, sympy.oo), "probability": ("real", 0, 1), "real": ("real", -sympy.oo, sympy.oo)}


def fails_to_normalise(expr, variable, doc, discrete, variable_latex: str, fixed=(), law_support=None, checked=None):
    """The evidence that ``expr`` does not sum or integrate to one over ``variable`` on any admissible support, or
    None. ``fixed``: names drawn as given values (the conditioning variables); ``checked``: the line checked (a support
    stated on another line is said so: the scope's guess, derivspec.scan.notation)."""
    defined = {s: v for s, v in doc.values().items() if s in expr.free_symbols and s != variable
               and variable not in v.free_symbols} if hasattr(doc, "values") else {}
    expr = expr.xreplace(defined) if defined else expr  # q = 1 - p stated elsewhere: q is not free
    if variable not in expr.free_symbols:
        return None
    form = law_form(expr, variable)  # the law's own form says what its variable is, over a word of the sentence
    discrete = False if form == "continuous" else True if form else discrete
    declared = [s for s in stated_supports(doc, variable_latex) if _fits(s, form)]  # another x: left out
    supports = []
    for stated in declared or ([law_support] if law_support is not None and _fits(law_support, form) else []):
        if isinstance(stated[2], str):  # {0, 1, …, n}: the formula's n
            ends = [s for s in expr.free_symbols if (doc.names.latex.get(s) or s.name) == stated[2]]
            if not ends:
                continue
            stated = (stated[0], stated[1], ends[0])
        supports.append(stated)
    supports = supports or _supports(expr, variable, discrete)
    params = values.ranges(expr, doc.names, doc.text, fixed=(variable,))
    first_evidence = None
    for support in supports:
        counts = _integer_like(expr, variable) | ({support[2]} if isinstance(support[2], sympy.Symbol) else set())
        ranges = {s: ("integer" if s in counts else r) for s, r in params.items()}
        failures, decided = [], 0
        for point in values.draws(ranges, 4):
            try:
                found = total(expr, variable, support, point)
            except symbolic.SymPyTimeout:
                raise
            except Exception:
                found = None
            if found is None or found[0] is None:
                continue
            value, _ = found
            decided += 1
            if abs(value - 1) <= TOLERANCE:
                break  # the property holds at an admissible draw here: this support rescues it
            failures.append((point, value))
        else:
            if decided >= 2 and len(failures) == decided:
                if first_evidence is None:
                    point, value = failures[0]
                    at = values.shown(point, doc.names)
                    stated = _support_line(doc, variable_latex) if declared and checked is not None else None
                    first_evidence = (f"over {variable_latex} ∈ {_support_text(support, doc.names)}"
                                      + (f" (the support stated at line {stated})" if stated and abs(stated - checked) > 3
                                         else "") + ": "
                                      f"{'Σ' if support[0] == 'int' else '∫'} = {values.number(value)}"
                                      + (f" at {at}" if at else ""))
                continue
        return None  # a support on which it holds (or is not decided)
    return first_evidence


def _law_support(line, doc):
    """The support of the family the document declares for the line's variable (X ~ Pois: {0, 1, …}), or None."""
    law = doc.law_of(line)
    return None if law is None else LAW_SUPPORTS.get(law.support)


# --- rules ---------------------------------------------------------------------------------------------

def _density(line, doc, conditional: bool):
    """(expr, variable symbol, its latex, given symbols, discrete) for a density line, or None."""
    node = line.node("left")
    if conditional != (isinstance(node, tree.Density) and bool(node.given) or
                       bool(re.search(r"\\mid|\|", line.left_text) and isinstance(node, tree.Prob | tree.Apply))):
        return None
    expr = line.expr("right")
    if expr is None:
        return None
    symbols, given = doc.variables(line)
    if len(symbols) != 1 or symbols[0] is None or symbols[0].name.startswith("⟪"):
        return None
    variable = symbols[0]
    if _of_a_vector(expr, variable):
        return None
    latex = doc.names.latex.get(variable) or variable.name
    return expr, variable, latex, tuple(g for g in given if g is not None)


def pmf_sums_to_one(line, doc) -> str | None:
    """DS201."""
    found = _density(line, doc, conditional=False)
    if found is None:
        return None
    expr, variable, latex, given = found
    event = isinstance(line.node("left"), tree.Prob) or bool(re.search(r"\(\s*[A-Za-z]\w*\s*=", line.left_text))
    if not ("pmf" in line.kinds or (event and "probability" in line.kinds) or
            (line.kinds & {"density", "probability"} and _discrete(expr, variable))):
        return None
    if "pmf" not in line.kinds and not event and not _discrete(expr, variable):
        return None
    evidence = fails_to_normalise(expr, variable, doc, True, latex, given, _law_support(line, doc), line.line)
    return f"a pmf does not sum to one over {latex}: {evidence}" if evidence else None


def density_integrates_to_one(line, doc) -> str | None:
    """DS202."""
    if "density" not in line.kinds or "pmf" in line.kinds:
        return None
    found = _density(line, doc, conditional=False)
    if found is None:
        return None
    expr, variable, latex, given = found
    if _discrete(expr, variable):
        return None
    words = line.lead.lower() + " " + doc.prose_around(line.left_text.split("(")[0].replace(" ", ""))
    discrete = None if not re.search(r"\b(?:pdf|probability density|density function|continuous)\b", words) else False
    evidence = fails_to_normalise(expr, variable, doc, discrete, latex, given, _law_support(line, doc), line.line)
    return f"a density does not integrate to one over {latex}: {evidence}" if evidence else None


def conditional_normalises(line, doc) -> str | None:
    """DS204: p(a | b) normalises over a, the variable left of the bar."""
    if not line.kinds & {"conditional_density", "density", "pmf", "probability"}:
        return None
    found = _density(line, doc, conditional=True)
    if found is None:
        return None
    expr, variable, latex, given = found
    discrete = True if _discrete(expr, variable) or "pmf" in line.kinds else None
    evidence = fails_to_normalise(expr, variable, doc, discrete, latex, given, _law_support(line, doc), line.line)
    if not evidence:
        return None
    return f"a conditional law does not normalise over {latex} (left of the bar): {evidence}"


# --- a pmf stated in words (DS212) --------------------------------------------------------------------------------
_MATH = r"\$[^$]+\$"
_WITH_PROBABILITY = re.compile(r"\bwith\s+probability\s+(" + _MATH + r"|\d*\.?\d+)(?![\w$])", re.IGNORECASE)
_NAME = r"((?:\\[A-Za-z]+|[A-Za-z])(?:_\{?[\w\\]+\}?)?)"  # x, X_i, \theta, \xi_{k}
_SUBJECT = re.compile(r"\$\s*" + _NAME + r"\s*\$\s*(?:is|equals|takes(?:\s+the)?\s+values?|will\s+be|becomes|"
                      r"is\s+equal\s+to)\b", re.IGNORECASE)
_EVENT = re.compile(r"^\$\s*" + _NAME + r"\s*=\s*([^$=<>]+?)\s*\$$")
_VALUE = re.compile(r"^(?:" + _MATH + r"|[-+]?\d*\.?\d+|[A-Za-z]+)$")
_CONNECTIVES = re.compile(r"^(?:,|;|\band\b|\bor\b|\bthen\b|\beither\b|\s)+|(?:,|;|\s)+$", re.IGNORECASE)
_SENTENCE_END = re.compile(r"(?<!\d)\.(?=\s|$)|\n\s*\n")
_OTHERWISE = re.compile(r"\b(?:otherwise|else|elsewhere|remaining|rest|at\s+least|at\s+most|about|roughly|"
                        r"approximately|conditional|given|if|when|independently\s+of)\b", re.IGNORECASE)
_EXHAUSTIVE = re.compile(r"\beither\b", re.IGNORECASE)


def _in_words(sentence: str):
    """(subject, [(value, probability latex)]) of ``X is 1 with probability p and 0 with probability 1 - p`` (or
    ``$X = 1$ with probability p, $X = 0$ with …``), else None: the items must name one variable's distinct values."""
    items, subject, at = [], None, 0
    for m in _WITH_PROBABILITY.finditer(sentence):
        before = _CONNECTIVES.sub("", sentence[at:m.start()]).strip()
        if not items:
            found = list(_SUBJECT.finditer(before))
            if found:
                subject, before = found[-1].group(1), _CONNECTIVES.sub("", before[found[-1].end():]).strip()
        event = _EVENT.match(before)
        if event:
            if subject not in (None, event.group(1)):
                return None
            subject, before = event.group(1), event.group(2)
        elif not _VALUE.match(before):
            return None
        items.append((before.strip("$ "), m.group(1).strip("$ ")))
        at = m.end()
    values = [v for v, _ in items]
    if subject is None or len(items) < 2 or len(set(values)) < len(values):
        return None
    return subject, items


def _sentence_from(statement) -> str:
    """The statement (as inline math) and the prose after it, to the end of its sentence."""
    after = statement.after or ""
    end = _SENTENCE_END.search(re.sub(_MATH, lambda m: "x" * len(m.group(0)), after))
    return f"${statement.text}$" + (after[:end.start()] if end else after)


def probabilities_in_words(line, doc) -> str | None:
    """DS212: the probabilities a sentence gives to distinct values of one variable sum to at most one, and to one
    when the values are all it can take (``either``, or 0 and 1 of a variable declared with a binary law)."""
    if line.guarded(below=False):
        return None
    sentence = _sentence_from(line.statement)
    first = _WITH_PROBABILITY.search(sentence)
    if first is None or re.search(r"\$[^$]*(?:=|\\sim|<|>|\\le|\\ge)[^$]*\$", sentence[len(line.statement.text) + 2:first.start()]):
        return None  # no items, or a later statement of the sentence leads into them (it gets the flag)
    if _OTHERWISE.search(sentence):
        return None
    found = _in_words(sentence)
    if found is None:
        return None
    subject, items = found
    try:
        probabilities = [exact(read_document(p, doc.names, bare_names(p))) for _, p in items]
    except Exception:  # noqa: BLE001 -- a probability the reader does not read: the sentence is left alone
        return None
    total = sympy.Add(*probabilities)
    law = doc.laws.get(subject)
    exhaustive = bool(_EXHAUSTIVE.search(sentence)) or (getattr(law, "support", None) == "binary"
                                                         and {v for v, _ in items} == {"0", "1"})
    ranges = values.ranges(total, doc.names, doc.text)
    ranges.update({p: "unit" for p in probabilities if p.is_Symbol and ranges.get(p) == "positive"})  # "with probability p"
    admissible = []
    for point in values.draws(ranges, 4):
        each = [values.value(p, point) for p in probabilities]
        if all(x is not None and 0 <= x <= 1 for x in each):
            admissible.append((point, values.value(total, point)))
    if len(admissible) < 2:
        return None
    if all(s > 1 + TOLERANCE for _, s in admissible):
        wrong = "more than one"
    elif exhaustive and all(abs(s - 1) > TOLERANCE for _, s in admissible):
        wrong = "not one, and these are all the values it takes"
    else:
        return None
    point, s = admissible[0]
    listed = ", ".join(f"{v} with probability {p}" for v, p in items)
    at = f" at {values.shown(point, doc.names)}" if point else ""
    return (f"the probabilities the text gives {subject} ({listed}) sum to {values.number(s)}{at}: {wrong} -- "
            "a pmf in words sums to one")
