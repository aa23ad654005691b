r"""The softmax cross-entropy gradient and the softmax Jacobian, in the lecture's own notation.

Lectures write the two results with a free class index and their own letters:

* the gradient ``\frac{\partial \ell}{\partial h_k} = \pi_k - y_k`` (also ``\frac{\partial \mathcal L}
  {\partial z_{i,k}} = \hat\pi_{i,k} - y_{i,k}``, ``\nabla_{\mathbf z} \ell = \mathbf p - \mathbf y``,
  ``\frac{\partial L_i}{\partial f_k} = p_k - \mathbb 1(y_i = k)``) -- claim
  ``nll.grad.softmax.soft-label``;
* the Jacobian ``\frac{\partial \pi_i}{\partial h_j} = \pi_i(\delta_{ij} - \pi_j)`` -- claim
  ``nll.grad.softmax.jacobian``.

The left side says which: a derivative of a loss name (\ell, L, J, E, any font or subscript) or of a
probability name (\pi, p, q, \hat y, \hat\pi) by an indexed logit (h_k, z_{i,k}, o_j, a_k, f_k). The
right side is read in the lecture's names: probabilities (\pi_k, p_k, \hat y_k, softmax(z)_k,
e^{z_k}/\sum_j e^{z_j}), labels (y_k, t_k, an indicator 1(y_i = k)) and Kronecker deltas. Each free
index letter is then made concrete: the statement is compared, at every class of a 3-class softmax
(every pair of classes for the Jacobian), with the claim's derivative taken from the definition
(softmax, and the cross-entropy -\sum_j y_j \log \pi_j for a label y on the simplex) -- proved when
SymPy shows every instance equal, and checked again numerically at K = 2..8 classes; ``disagrees``
with a counterexample confirmed at higher precision (a one-hot label, so that a statement about
one-hot labels is wrong too) and the correct form in the lecture's symbols. Recognised only with
evidence that the loss is the cross-entropy of a softmax (the prose around the statement, or the
document defines the loss so); otherwise ``unchecked`` with the reason.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass

import mpmath
import sympy

from derivspec.core import symbolic
from derivspec.core.numbers import fmt
from derivspec.scan.names import NameKey
from derivspec.scan.reader import bare_names, read_document
from derivspec.scan.steps import Context, Side, StepResult, known_result
from derivspec.scan.notation import role_letters

GRADIENT, JACOBIAN = "nll.grad.softmax.soft-label", "nll.grad.softmax.jacobian"
CLAIMS = {"nll.grad.softmax.soft-label": r"\frac{\partial \ell}{\partial h_k}",
          "nll.grad.softmax.jacobian": r"\frac{\partial \pi_i}{\partial h_j}"}  # claim -> the left side it reads
CLASSES = 3  # the proof's number of classes; other numbers are checked numerically
OTHER_CLASSES = range(2, 9)
LOSS_BASES = role_letters("loss")  # a guess: derivspec/data/knowledge/notation.toml
LOGIT_BASES = role_letters("logit")  # a guess: derivspec/data/knowledge/notation.toml
PROBABILITY_BASES = role_letters("class-probability")  # a guess: derivspec/data/knowledge/notation.toml
LABEL_BASES = role_letters("label")  # a guess: derivspec/data/knowledge/notation.toml
_CROSS_ENTROPY = re.compile(r"cross[- ]?entropy|log[- ]?likelihood|\bNLL\b|log[- ]loss|softmax|soft-max", re.IGNORECASE)
_SOFTMAX = re.compile(r"softmax|soft-max", re.IGNORECASE)
_FONTS = re.compile(r"\\(?:mathbf|boldsymbol|bm|vec|mathrm|mathit|mathcal|mathsf|symbf|pmb)\s*")
_DERIVATIVE = re.compile(r"^\s*\\frac\s*\{\s*\\partial\s*(?P<num>.+?)\s*\}\s*\{\s*\\partial\s*(?P<den>.+?)\s*\}\s*$|"
                         r"^\s*\\(?:nabla|partial)\s*_\s*(?P<sub>\{[^{}]*(?:\{[^{}]*\}[^{}]*)*\}|\\?[A-Za-z])"
                         r"\s*(?P<of>.+?)\s*$")
_SOFTMAX_TERM = re.compile(r"(?:\\(?:mathrm|operatorname|text)\s*\{\s*softmax\s*\}|\\sigma|softmax)"
                           r"\s*(?:\\left\s*)?\(\s*"
                           r"(?P<arg>[^()]*?)\s*(?:\\right\s*)?\)(?:\s*_\s*(?P<index>\{[^{}]*\}|[A-Za-z0-9]))?")
_INDICATOR = re.compile(r"(?:\\mathbb\s*\{?\s*[1I]\s*\}?|\\mathbf\s*\{?\s*1\s*\}?|\\mathds\s*\{?\s*1\s*\}?|"
                        r"(?<![\w}])1)\s*"
                        r"(?:_\s*\{|(?:\\left\s*)?(?:\(|\[|\\\{))\s*(?P<a>[^=(){}\[\]]+?)\s*=\s*"
                        r"(?P<b>[^=(){}\[\]]+?)\s*"
                        r"(?:\\right\s*)?(?:\)|\]|\\\}|\})")
_AFTER_SUBSCRIPT = re.compile(r"(_\{[^{}]*\}|_[A-Za-z0-9])\s*(?=(?:\\left\s*)?\()")
_LOSS_DEFINITION = re.compile(r"(?<![A-Za-z\\])(?P<name>\\mathcal\s*\{?L\}?|\\ell|[LJE])"
                              r"(?:_\{[^{}]*(?:\{[^{}]*\}[^{}]*)*\}|_[A-Za-z0-9])?"
                              r"\s*(?:\([^()]*\))?\s*:?=\s*-\s*(?P<scale>\\frac\s*\{?\s*1\s*\}?)?[^$]{0,200}?\\log")


def softmax(k: int, logits) -> sympy.Expr:
    """Definition: softmax(h)_k = e^{h_k} / sum_j e^{h_j} (k from 0)."""
    return sympy.exp(logits[k]) / sum(sympy.exp(h) for h in logits)


def key(name: str) -> NameKey | None:
    r"""A name's accents, letter and subscript, fonts dropped: ``\hat\mathbf{y}`` -> (\hat, y, '')."""
    name = re.sub(r"_\s*([A-Za-z0-9])", r"_{\1}", name.strip())  # h_k: h_{k}
    return NameKey.of(_FONTS.sub("", name)) or NameKey.of(name)


def document_losses(text: str) -> frozenset:
    """The loss letters a document defines as ``-\\sum ... \\log ...`` or ``-\\log p_{y_i}`` (a cross-entropy),
    when it speaks of a softmax; ``"mean"`` among them when such a definition averages (``\\frac{1}{N}``)."""
    if not _SOFTMAX.search(text):
        return frozenset()
    found = set()
    for m in _LOSS_DEFINITION.finditer(text):
        found.add(_FONTS.sub("", m.group("name")).strip("{}"))
        if m.group("scale"):
            found.add("mean")
    return frozenset(found)


@dataclass
class Left:
    claim: str
    numerator: NameKey
    logit: NameKey
    indices: tuple  # the free index letters: (class,) for the gradient, (i, j) for the Jacobian; () for a vector
    example: str  # an example index the logit carries besides its class (z_{i,k}: i), or ""


def _split_sub(sub: str) -> list[str]:
    sub = sub.replace(" ", "")
    if "," in sub:
        return sub.split(",")
    return list(sub) if re.fullmatch(r"[A-Za-z•]{1,2}", sub) else [sub] if sub else []


def read_left(text: str) -> Left | None:
    m = _DERIVATIVE.match(text)
    if not m:
        return None
    num, den = (m.group("num"), m.group("den")) if m.group("num") else (m.group("of"), m.group("sub")[0:].strip("{}"))
    kn, kd = key(num.strip()), key(den.strip())
    if kn is None or kd is None or kd.accents or kd.base not in LOGIT_BASES:
        return None
    parts = _split_sub(kd.sub)
    if not parts and not re.match(r"\\(?:mathbf|boldsymbol|bm|vec)", den.strip()):
        return None  # the vector of logits is written bold: a lone z may be one logit (a sigmoid's)
    if any(not re.fullmatch(r"[a-z]", p) for p in parts) or len(parts) > 2:
        return None
    if (kn.base in LOSS_BASES or kn.base == "L") and not kn.accents:
        return Left(GRADIENT, kn, kd, tuple(parts[-1:]), parts[0] if len(parts) == 2 else "")
    probability = kn.base in PROBABILITY_BASES or (kn.base == "y" and kn.accents == (r"\hat",))
    numerator_parts = _split_sub(kn.sub)
    if probability and len(parts) == 1 and len(numerator_parts) == 1 and re.fullmatch(r"[a-z]", numerator_parts[0]):
        return Left(JACOBIAN, kn, kd, (numerator_parts[0], parts[0]), "")
    return None


class NotRead(Exception):
    """The right side uses something the claim does not have: unchecked, with this reason."""


@dataclass
class Right:
    expr: sympy.Expr
    placeholders: dict  # symbol name -> ("probability", index) | ("indicator", a, b)
    readings: dict  # lecture name -> what it is read as (shown in the reason)


def read_right(text: str, left: Left, context: Context) -> Right:
    placeholders: dict = {}

    def softmax_term(m):
        argument = key(m.group("arg"))
        if argument is None or argument.base != left.logit.base or (argument.sub and argument.sub != left.example):
            raise NotRead(f"the softmax of {m.group('arg')}, not of the logits {left.logit.base}")
        name = rf"\mathrm{{SMX}}_{{{len(placeholders) + 1}}}"
        placeholders[name] = ("probability", (m.group("index") or "").strip("{} "))
        return " " + name + " "

    def indicator(m):
        name = rf"\mathrm{{IND}}_{{{len(placeholders) + 1}}}"
        placeholders[name] = ("indicator", m.group("a").strip(), m.group("b").strip(), m.group(0))
        return " " + name + " "

    text = _SOFTMAX_TERM.sub(softmax_term, text)
    text = _INDICATOR.sub(indicator, text)
    text = _AFTER_SUBSCRIPT.sub(r"\1 \\cdot ", text)  # \pi_i(\delta_{ij} - \pi_j): a product, not an application
    try:
        reading = read_document(text, context.names, bare_names(text))
    except Exception as error:
        raise NotRead(f"the right side is not read ({type(error).__name__})") from None
    return Right(reading.expr, placeholders, {})


def _letter_values(parts: list[str], values: dict, example: str) -> list | None:
    out = []
    for p in parts:
        if p == example:
            continue
        if p.isdigit():
            out.append(int(p))
        elif p in values:
            out.append(values[p])
        else:
            return None
    return out


def instance(right: Right, left: Left, values: dict, classes: int, logits, labels, context: Context) -> sympy.Expr:
    """The right side at concrete classes (``values``: index letter -> class 1..K)."""
    readings = right.readings

    def entry(name: str, parts: list[str], shown: str):
        k = key(name)
        if name in right.placeholders:
            found = right.placeholders[name]
            if found[0] == "probability":
                at = _letter_values(_split_sub(found[1]), values, left.example) if found[1] else \
                    ([values[""]] if "" in values else None)
                if not at or len(at) != 1:
                    raise NotRead("a softmax entry whose index is not the statement's")
                readings.setdefault("softmax", f"softmax({left.logit.base}) as the softmax")
                return softmax(at[0] - 1, logits)
            a, b, text = found[1], found[2], found[3]
            va = _letter_values(_split_sub(a), values, left.example) if re.fullmatch(r"[a-z0-9]", a) else None
            vb = _letter_values(_split_sub(b), values, left.example) if re.fullmatch(r"[a-z0-9]", b) else None
            if va and vb:
                return sympy.Integer(int(va[0] == vb[0]))
            label, index = (a, vb) if vb else (b, va)
            lk = key(label)
            if index and lk is not None and lk.base in LABEL_BASES and not lk.accents:
                readings[text] = f"{text} as the one-hot label {lk.base}_k"
                readings.setdefault("label", text)
                return labels[index[0] - 1]
            raise NotRead(f"the indicator {text} is not read")
        if k is None:
            raise NotRead(f"the right side uses {shown}")
        at = _letter_values(parts, values, left.example)
        if at is None or len(at) != 1 or not 1 <= at[0] <= classes:
            if not parts and "" in values:
                at = [values[""]]
            elif k.base == r"\delta" and at is not None and len(at) == 2:
                return sympy.Integer(int(at[0] == at[1]))
            else:
                raise NotRead(f"the right side uses {shown}, whose index is not the statement's")
        c = at[0] - 1
        if k.base == r"\delta":
            raise NotRead(f"the right side uses {shown}")
        if k.base in LABEL_BASES and not k.accents:
            readings.setdefault("label", shown)
            if k.base != "y":
                readings.setdefault(name, f"{k.base} as the label y")
            return labels[c]
        if k.base == left.logit.base and k.accents == left.logit.accents:
            if not inside_exp:
                raise NotRead(f"the right side uses the logit {shown} outside a softmax")
            return logits[c]
        if k.base in PROBABILITY_BASES or (k.base == "y" and k.accents == (r"\hat",)):
            readings.setdefault("probability", shown)
            if k.base != r"\pi" or k.accents:
                readings.setdefault((k.accents, k.base), f"{shown} as \\pi (the softmax)")
            return softmax(c, logits)
        raise NotRead(f"the right side uses {shown}, which the softmax cross-entropy does not have")

    inside_exp = False

    def walk(e):
        nonlocal inside_exp
        if isinstance(e, sympy.exp):
            was, inside_exp = inside_exp, True
            try:
                return sympy.exp(walk(e.args[0]))
            finally:
                inside_exp = was
        if isinstance(e, sympy.Sum):
            (j, low, high), = e.limits
            if low != 1 or not (isinstance(high, sympy.Symbol)):
                raise NotRead("a sum whose range is not the classes")
            return sympy.Add(*(walk(e.function.xreplace({j: sympy.Integer(n)})) for n in range(1, classes + 1)))
        if isinstance(e, sympy.Symbol):
            k = key(e.name)
            return entry(e.name, _split_sub(k.sub) if k else [], context.names.latex.get(e, e.name))
        if isinstance(e, sympy.core.function.AppliedUndef):
            name = e.func.__name__
            k = key(name)
            if k is None or "•" not in k.sub or len(e.args) != 1 or not e.args[0].is_Integer:
                raise NotRead(f"the right side uses {name}")
            parts = [str(e.args[0]) if p == "•" else p for p in _split_sub(k.sub)]
            return entry(name, parts, name)
        if not e.args:
            return e
        return e.func(*[walk(a) for a in e.args])

    return walk(right.expr)


def _labels(classes: int):
    free = sympy.symbols(f"y1:{classes}", real=True)
    return tuple(free) + (1 - sum(free),)


def _logits(classes: int):
    return sympy.symbols(f"h1:{classes + 1}", real=True)


def derived(left: Left, values: dict, logits, labels) -> sympy.Expr:
    """The claim's quantity at these classes, differentiated from the definition."""
    if left.claim == GRADIENT:
        c = values[left.indices[0] if left.indices else ""]
        loss = -sum(y * sympy.log(softmax(j, logits)) for j, y in enumerate(labels))
        return sympy.diff(loss, logits[c - 1])
    i, j = (values[x] for x in left.indices)
    return sympy.diff(softmax(i - 1, logits), logits[j - 1])


def _assignments(left: Left, classes: int):
    letters = list(dict.fromkeys(left.indices)) or [""]
    combos = [[]]
    for _ in letters:
        combos = [c + [n] for c in combos for n in range(1, classes + 1)]
    return [dict(zip(letters, c)) for c in combos]


def _evidence(left: Left, context: Context, losses: frozenset) -> str:
    """Why the loss is the softmax cross-entropy here, or "" when nothing says so."""
    around = context.prose + " " + context.statement
    if left.claim == JACOBIAN:
        return "the text around it speaks of a softmax" if _SOFTMAX.search(around) else ""
    name = left.numerator.base
    if name in losses:
        return f"the document defines {name} as a cross-entropy and speaks of a softmax"
    found = _CROSS_ENTROPY.search(around)
    return f"the text around it says '{found.group(0)}'" if found else ""


def check(left_side: Side, relation: str, right_side: Side, context: Context) -> StepResult | None:
    """The statement judged as the softmax cross-entropy gradient or Jacobian; None when it is neither."""
    if relation != "=":
        return None
    left = read_left(left_side.text)
    if left is None:
        return None

    result = known_result(relation, left_side.text, right_side.text, left.claim)

    what = "the softmax cross-entropy gradient" if left.claim == GRADIENT else "the softmax Jacobian"
    losses = getattr(context, "cross_entropy_losses", frozenset())
    why = _evidence(left, context, losses)
    if not why:
        return result("unchecked", f"has the shape of {what} ({left.claim}), but nothing near it says that "
                                   f"{left.numerator.base} is a softmax cross-entropy" if left.claim == GRADIENT else
                      f"has the shape of {what} ({left.claim}), but nothing near it says that its probabilities "
                      "are a softmax")
    if context.log_base is not None:
        return result("unchecked", f"recognised as {left.claim}, but the document's logs are base {context.log_base}")
    if left.example and left.example not in left.numerator.sub.split(",") and (
            "mean" in losses or left.numerator.base not in losses):
        return result("unchecked", f"recognised as {left.claim}, but the loss {left.numerator.base} may sum or average "
                                   f"over the examples {left.example}: its scale is not read")
    try:
        right = read_right(right_side.text, left, context)
        cases = []
        logits, labels = _logits(CLASSES), _labels(CLASSES)
        for values in _assignments(left, CLASSES):
            written = instance(right, left, values, CLASSES, logits, labels, context)
            cases.append((values, written, derived(left, values, logits, labels)))
    except NotRead as reason:
        return result("unchecked", f"recognised as {left.claim}, but {reason}")
    reading = _reading(left, right)
    for values, written, target in cases:
        if symbolic.reduces_to_zero(written - target, seconds=min(2.0, context.seconds)):
            continue
        found = _counterexample(written, target, logits, labels)
        if found is None:
            return result("unchecked", f"recognised as {left.claim}; not decided at {_at(values)}{reading}")
        return result("disagrees", f"disagrees with {left.claim} ({what}), K = {CLASSES} classes{reading}",
                      f"at {_at(values)}, {found}", _correct(left, right))
    others = _other_classes(right, left, context)
    scope = f"proved for K = {CLASSES} classes at every index" + ("; K = 2..8 checked numerically" if others else "")
    return result("proved", f"matches {left.claim} ({what}): {scope}; {why}{reading}")


def _at(values: dict) -> str:
    return ", ".join(f"{k} = {v}" if k else f"entry {v}" for k, v in values.items())


def _reading(left: Left, right: Right) -> str:
    shown = [f"{left.logit.base} as the logits h"] if left.logit.base != "h" else []
    shown += [r for n, r in right.readings.items() if n not in ("probability", "label") and " as " in r]
    return f" (reading {', '.join(shown)})" if shown else ""


def _correct(left: Left, right: Right) -> str:
    """The derived form in the lecture's letters: its probability and label as the right side writes them
    at the class index (else softmax and y)."""
    if left.claim == GRADIENT:
        k = left.indices[0] if left.indices else ""
        sub = f"_{{{left.example + ',' if left.example else ''}{k}}}" if k else ""
        probability = right.readings.get("probability") or rf"\mathrm{{softmax}}({left.logit.base})" + sub
        label = right.readings.get("label") or f"y{sub}"
        return f"{probability} - {label}"
    i, j = left.indices
    p = left.numerator.base if not left.numerator.accents else f"{left.numerator.accents[0]}{{{left.numerator.base}}}"
    return rf"{p}_{i}(\delta_{{{i}{j}}} - {p}_{j})"


def _counterexample(written, target, logits, labels) -> str | None:
    """A point (logits, a one-hot label) where they differ, confirmed at higher precision."""
    rng = random.Random(0)
    free = [s for s in labels if isinstance(s, sympy.Symbol)]
    vertices = [dict(zip(free, [int(n == v) for n in range(len(free))])) for v in range(len(free) + 1)]
    for _ in range(4):
        point = {h: sympy.Rational(rng.randint(-24, 24), 8) for h in logits}
        for vertex in vertices:
            at = {**point, **vertex}
            a, b = (sympy.N(e.xreplace(at), 50) for e in (written, target))
            if a.is_real and b.is_real and abs(a - b) > 1e-20:
                a2, b2 = (sympy.N(e.xreplace(at), 80) for e in (written, target))
                if abs(a2 - b2) > 1e-20:
                    h = ", ".join(str(point[x]) for x in logits)
                    y = ", ".join(str(sympy.sympify(x).xreplace(at)) for x in labels)
                    return f"logits ({h}), label ({y}): as written {fmt(float(a), '.6g')}, derived {fmt(float(b), '.6g')}"
    return None


def _other_classes(right: Right, left: Left, context: Context) -> bool:
    """The statement at K = 2..8 classes, every index, at seeded random points: equal to the derivative of the
    definition (mpmath, 30 digits)."""
    rng = random.Random(1)
    mpmath.mp.dps = 30
    try:
        for classes in OTHER_CLASSES:
            logits, labels = _logits(classes), _labels(classes)
            for values in _assignments(left, classes):
                written = instance(right, left, values, classes, logits, labels, context)
                target = derived(left, values, logits, labels)
                point = {h: sympy.Rational(rng.randint(-20, 20), 7) for h in logits}
                weights = [rng.randint(1, 9) for _ in labels]
                point.update({y: sympy.Rational(w, sum(weights)) for y, w in zip(labels, weights)
                              if isinstance(y, sympy.Symbol)})
                difference = sympy.N((written - target).xreplace(point), 30)
                if not difference.is_real or abs(difference) > 1e-20:
                    return False
    except NotRead:
        return False
    return True
