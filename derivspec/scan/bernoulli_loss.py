r"""The binary cross-entropy ``\ell(y, \hat y) = -y\log\hat y - (1 - y)\log(1 - \hat y)``, one example or a sum/mean
over examples (``-\frac1N\sum_i [y_i\log p_i + (1 - y_i)\log(1 - p_i)]``), compared with claim ``nll.bernoulli``.

Read by structure and roles: the label is the letter the document declares in ``\{0, 1\}`` (``y \in \{0, 1\}``,
``y_i \in \{0,1\}``) and the prediction the one other letter (the loss's other argument, or the one other letter on
the right side); the lead-in must call the quantity a (binary) cross-entropy, a log loss or a negative
log-likelihood. The value is compared on the labels the document allows (y = 0 and y = 1), so
``-\log(\hat y^y(1 - \hat y)^{1 - y})`` is proved as well.

* **proved** -- it equals ``−y log p − (1 − y) log(1 − p)`` for y ∈ {0, 1} (per example; a sum, or a mean over N).
* **disagrees** -- it differs and is no positive multiple of it (a flipped sign, a dropped log or term):
  the correct form in the lecture's letters and a counterexample.
* **unchecked** -- no label declared in {0, 1}, more letters than the two roles, logs in another base, a positive
  multiple (another normalisation).
"""

from __future__ import annotations

import re

import sympy
from sympy.core.function import AppliedUndef

from derivspec.core.numbers import fmt
from derivspec.scan.steps import Context, Side, StepResult, equation_values, known_result, read_side

CLAIM = "nll.bernoulli"
RECOGNISED = {
    CLAIM: r"the binary cross-entropy $-y\log\hat y - (1 - y)\log(1 - \hat y)$ with $y$ declared in $\{0, 1\}$ "
           r"(one example, or $-\frac1N\sum_i[y_i\log p_i + (1 - y_i)\log(1 - p_i)]$), in any letters",
}
_LABEL = re.compile(r"\$([^$]*?)\\in\s*\\\{\s*0\s*,\s*1\s*\\\}")
_NAMED = re.compile(r"cross[- ]entropy|log[- ]loss|logistic loss|negative log[- ]likelihood|\bBCE\b", re.IGNORECASE)


def _declared_labels(context: Context) -> set:
    """The names declared in {0, 1} near the statement, as read (symbols), and their letters (for y_i)."""
    found = set()
    for text in _LABEL.findall((context.lead_in or "") + " " + (context.prose or "")):
        name = text.split(",")[-1].strip()
        side = read_side(name, context)
        if side.readable and isinstance(side.primary.expr, sympy.Symbol):
            found.add(side.primary.expr.name)
        letter = re.match(r"^\s*((?:\\[A-Za-z]+\{)?\\?[A-Za-z]+\}?)\s*_", name)
        if letter:
            found.add(letter.group(1) + "_{•}")
    return found


def _terms(other):
    """(per-example expression, the sum's count or None, {letter: symbol}): a sum's body with y_{•}(i) as letters."""
    sums = list(other.atoms(sympy.Sum))
    if not sums:
        return other, None, {}
    if len(sums) != 1 or len(sums[0].limits) != 1:
        return None
    total = sums[0]
    index, low, high = total.limits[0]
    coefficient = sympy.simplify(other / total)
    if coefficient.has(index) or coefficient.has(sympy.Sum) or low != 1:
        return None
    letters = {}
    body = total.function
    for application in body.atoms(AppliedUndef):
        if application.args != (index,) or not application.func.__name__.endswith("_{•}"):
            return None
        letters[application] = sympy.Symbol(application.func.__name__, real=True)
    body = body.xreplace(letters)
    if body.has(index):
        return None
    return coefficient * body, high, letters



_OTHER_BASE = re.compile(r"\\log_|\\lg\b|\\ln_|\bbits?\b|\bbase[- ](?:2|10)\b|\bnats?\b", re.IGNORECASE)


def other_base(text: str, context: Context) -> bool:
    """The statement or the prose near it speaks of a log base or units (bits, base 2, nats, log_2): not compared."""
    return bool(_OTHER_BASE.search(" ".join((text, context.lead_in or "", context.prose or ""))))


def check(left: Side, relation: str, right: Side, context: Context) -> StepResult | None:
    values = equation_values(left, relation, right)
    if values is None:
        return None
    named, other = values
    if not other.has(sympy.log) or not _NAMED.search((context.lead_in or "") + " " + left.text):
        return None
    labels = _declared_labels(context)
    if not labels:
        return None
    split = _terms(other)
    if split is None:
        return None
    term, count, _ = split
    symbols = term.free_symbols - ({count} if isinstance(count, sympy.Symbol) else set())
    ys = [s for s in symbols if s.name in labels]
    if len(ys) != 1:
        return None
    y = ys[0]
    rest = symbols - {y}
    if isinstance(named, AppliedUndef) and count is None and y in named.args:
        rest = {a for a in named.args if a != y}
    if len(rest) != 1 or not next(iter(rest)).is_Symbol:
        return None
    p = next(iter(rest))
    result = known_result(relation, left.text, right.text, CLAIM, category="known result")
    if term.free_symbols - {y, p} - ({count} if count is not None else set()) or term.atoms(AppliedUndef):
        return result("unchecked", "a binary cross-entropy, but the right side has names beyond the label and the "
                                   "prediction")
    if context.log_base is not None or other_base(right.text, context):
        return result("unchecked", "a binary cross-entropy, but the lecture's logs are not natural: not compared")
    from derivspec.core import registry

    claim = registry.get(CLAIM)
    sym = claim.symbols
    q = sympy.Symbol("p_bce", positive=True)
    derived = claim.target.xreplace({sym["y"]: y, sym["p"]: q})
    written = term.xreplace({p: q})
    ly, lp = (s.name.replace("_{•}", "_i") for s in (y, p))
    correct = rf"-{ly}\log {lp} - (1 - {ly})\log(1 - {lp})"
    mapping = f"reading {ly} as the label (declared in {{0, 1}}) and {lp} as the predicted probability"
    forms = [(1, "per example")]
    if count is not None:
        forms = [(1, "summed over the examples"), (1 / count, f"the mean over {sympy.latex(count)} examples")]
        correct = rf"-\frac{{1}}{{{sympy.latex(count)}}}\sum_i [{ly}\log {lp} + (1 - {ly})\log(1 - {lp})]"
    reason = f"the binary cross-entropy (claim {CLAIM}: −log Bern(y; p) = −y log p − (1 − y) log(1 − p)), {mapping}"
    for factor, how in forms:
        if all(sympy.simplify(sympy.expand_log((written - factor * derived).subs(y, k), force=True)) == 0
               for k in (0, 1)):
            return result("proved", f"{reason}: proved {how} for y ∈ {{0, 1}}")
    ratios = {sympy.simplify((written / derived).subs(y, k)) for k in (0, 1)}
    if len(ratios) == 1:
        ratio = ratios.pop()
        if not ratio.has(q) and (ratio.is_positive or (count is not None and ratio.subs(count, 1).is_positive)):
            return result("unchecked", f"{reason}: a positive multiple ({ratio}) of it -- another normalisation")
    one = {count: 1} if isinstance(count, sympy.Symbol) else {}
    for k in (1, 0):
        for value in (sympy.Rational(3, 10), sympy.Rational(7, 10), sympy.Rational(1, 5)):
            point = {y: k, q: value, **one}
            a, b = sympy.N(written.xreplace(point), 30), sympy.N(derived.xreplace(point), 30)
            if a.is_real and b.is_real and abs(a - b) > 1e-9 * (1 + abs(b)):
                at = f"{ly}={k}, {lp}={value}" + (f", {sympy.latex(count)}=1" if one else "")
                return result("disagrees", f"disagrees with {reason}: the loss is {correct}",
                              f"at {at}: as written {fmt(float(a), '.12g')}, derived {fmt(float(b), '.12g')}", correct)
    return result("unchecked", f"{reason}: differs symbolically but no instance shows it")
