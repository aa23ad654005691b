r"""Identities and inequalities among entropies, mutual informations and KL divergences, checked by
enumeration on random finite joint distributions.

A statement whose sides are built only from

* entropies of random variables ``H(X)``, ``H(X, Y)``, ``H(X \mid Y, Z)`` (``H``, ``\mathbb H``,
  ``\mathcal H``, ``\mathrm H``), mutual informations ``I(X; Y)``, ``I(X : Y \mid Z)`` and the number 0,
  integer multiples of them, sums and differences; or
* KL divergences ``\mathrm{KL}(a \| b)`` (``KL``, ``D_{KL}``, ``D_{\mathrm{KL}}``, ``D(a \| b)``) whose
  arguments are products of densities the statement writes (``\tilde p(x) q(z \mid x)``,
  ``p(x, z \mid \theta)``), with a relation ``=``, ``≤`` or ``≥``,

is evaluated on seeded random joint pmfs (2 or 3 states per variable, exact rational probabilities,
logs at 40 digits), every quantity from its definition by enumeration (``H(A \mid B) = -\sum p(a, b)
\log p(a \mid b)``; the chain rule is not assumed).

Roles. The random variables of an entropy statement share one joint law. In a KL statement each
density letter (with its accent and the parameters after its bar: ``p(x \mid \theta)`` is
``p_\theta(x)``) is one joint law over every variable it is written with, and each density the
statement writes is a marginal or a conditional of it (``p(x \mid \theta)`` is the marginal of
``p(x, z \mid \theta)``); a KL argument must be a product that is a distribution (``\tilde p(x)
q(z \mid x)``: each factor conditioned only on the variables before it), and both arguments of one
KL must be over the same variables. Anything else is not this module's kind (None).

Verdicts. A draw where the relation fails is a flag, with the pmf and both sides' values. It is a
counterexample for continuous variables too: spread each state uniformly over a unit interval and
every differential entropy, mutual information and KL equals the discrete one. An equality of
entropies and mutual informations is ``proved`` when both sides, written by the definitions through
joint entropies (``H(A \mid B) = H(A, B) - H(B)`` since ``p(a \mid b) = p(a, b)/p(b)``), are the same
combination (the joint entropies of distinct sets are linearly independent functions of the law).
Otherwise every draw agreeing is ``holds on N instances`` (evidence, unchecked). An inequality among
entropies that is not balanced (some variable's entropy coefficients do not sum to 0: ``H(X) ≥ 0``)
holds for discrete variables only; it stays unchecked unless the prose says the variables are
discrete. A statement whose lead-in states a condition (``if X and Y are independent``, ``for a
deterministic f``) is unchecked: no condition is modelled.
"""

from __future__ import annotations

import itertools
import random
import re
from fractions import Fraction

import mpmath

from derivspec.scan.steps import Context, Side, StepResult, known_result
from derivspec.scan.notation import role_letters

DRAWS = 40
DIGITS = 40
RELATIONS = ("=", "≤", "≥")

# --- reading ------------------------------------------------------------------------------------

_SPACING = re.compile(r"\\left|\\right|\\middle|\\[bB]igg?[lr]?|\\[,;:! ]|~|\s+")
_FONTS = re.compile(r"\\(?:mathbb|mathcal|mathrm|operatorname|text|textrm|mathsf|rm)\s*\{\s*([A-Za-z]+)\s*\}")
_BAR = re.compile(r"\\mid|\\vert|\\,?\|(?!\|)")
_PARALLEL = re.compile(r"\\\||\\parallel|‖|\|\|")
_KL_HEAD = re.compile(r"^(?:KL|D_\{KL\}|D_KL|D)(?=\()")
_RV = re.compile(r"(?![PQ](?![A-Za-z]))[A-Z](?:_\{?[A-Za-z0-9]+\}?)?")  # P, Q name distributions: H(P, Q) is a
# cross-entropy, not a joint entropy
_VAR = re.compile(r"(?:[A-Za-z]|\\[a-z]+)(?:_\{?[A-Za-z0-9]+\}?)?")
_HEAD = re.compile(r"(?:\\(tilde|hat|bar)\{?([pqrsPQ])\}?|([pqrsPQ]))(_\{?(?:[A-Za-z0-9]+|\\[a-z]+)\}?)?(?=\()")
_ACCENT = {"tilde": "~", "hat": "^", "bar": "¯"}
PARAMETERS = role_letters("law-parameter")  # a guess: derivspec/data/knowledge/notation.toml
_DISCRETE = re.compile(r"\bdiscrete\b|\bfinite (?:alphabet|set|values)|\bpmf\b|probability mass", re.IGNORECASE)
_CONTINUOUS = re.compile(r"continuous|differential|Gaussian|\\mathcal\s*\{?N\}?\s*\(|normal(?:ly)? distributed|"
                         r"density|densities|real-valued|\\mathbb\s*\{?R", re.IGNORECASE)
_CONDITION = re.compile(r"\b(?:if|when|whenever|suppose|assum\w*|provided|given that|independent|deterministic|"
                        r"function of|Markov|only if|iff)\b|\\perp|\\to|\\rightarrow", re.IGNORECASE)
# a property that makes an identity true and may be stated anywhere around it ("... when X and Y are independent"
# after the display, "the two coins are independent" two sentences before)
_PROPERTY_AROUND = re.compile(r"\b(?:independen\w*|deterministic\w*|Markov|mutually exclusive|function of|"
                              r"uncorrelated)\b|\\perp", re.IGNORECASE)


def _normal(text: str) -> str:
    text = _SPACING.sub("", text)
    previous = None
    while previous != text:
        previous = text
        text = _FONTS.sub(r"\1", text)
    text = _PARALLEL.sub("‖", text)
    text = _BAR.sub("|", text)
    return text.replace("\\cdot", "").replace("{(}", "(").replace("{)}", ")")


class _Parser:
    """sum of [integer] quantity terms; a quantity is ('H', A, B), ('I', A, B, C) with sets of
    variables, or ('KL', a, b) with products of density factors (head, vars, given)."""

    def __init__(self, text: str):
        self.s = text
        self.i = 0

    def fail(self):
        raise ValueError(self.s)

    def peek(self, token: str) -> bool:
        return self.s.startswith(token, self.i)

    def take(self, token: str):
        if not self.peek(token):
            self.fail()
        self.i += len(token)

    def expression(self) -> list:
        terms, sign = [], 1
        if self.peek("-") or self.peek("+"):
            sign = -1 if self.peek("-") else 1
            self.i += 1
        while True:
            coefficient, quantity = self.term()
            terms.append((sign * coefficient, quantity))
            if self.i >= len(self.s) or self.peek(")"):
                return terms
            if self.peek("+") or self.peek("-"):
                sign = -1 if self.peek("-") else 1
                self.i += 1
            else:
                self.fail()

    def term(self):
        m = re.match(r"\d+", self.s[self.i:])
        coefficient = 1
        if m:
            coefficient = int(m.group(0))
            self.i += m.end()
            if self.i >= len(self.s) or self.s[self.i] in "+-)":
                if coefficient != 0:
                    self.fail()  # a constant other than 0 depends on the alphabet and the log base
                return 0, None
        rest = self.s[self.i:]
        if rest.startswith(("H(", "I(")):
            kind = rest[0]
            self.i += 2
            end = self.s.find(")", self.i)
            if end < 0:
                self.fail()
            inner = self.s[self.i:end]
            self.i = end + 1
            return coefficient, (self._entropy(inner) if kind == "H" else self._information(inner))
        m = _KL_HEAD.match(rest)
        if m:
            self.i += m.end() + 1
            a = self.product()
            self.take("‖")
            b = self.product()
            self.take(")")
            return coefficient, ("KL", a, b)
        self.fail()

    @staticmethod
    def _variables(text: str) -> frozenset:
        parts = text.split(",")
        if not all(_RV.fullmatch(p) for p in parts):
            raise ValueError(text)
        return frozenset(re.sub(r"[{}]", "", p) for p in parts)

    def _entropy(self, inner: str):
        given = frozenset()
        if inner.count("|") > 1:
            self.fail()
        if "|" in inner:
            inner, rest = inner.split("|")
            given = self._variables(rest)
        return ("H", self._variables(inner), given)

    def _information(self, inner: str):
        given = frozenset()
        if "|" in inner:
            inner, rest = inner.split("|", 1)
            given = self._variables(rest)
        parts = re.split(r"[;:]", inner)
        if len(parts) != 2:
            self.fail()
        return ("I", self._variables(parts[0]), self._variables(parts[1]), given)

    def product(self) -> tuple:
        factors = []
        while True:
            m = _HEAD.match(self.s[self.i:])
            if not m:
                break
            self.i += m.end() + 1
            end = self.s.find(")", self.i)
            if end < 0:
                self.fail()
            inner = self.s[self.i:end]
            self.i = end + 1
            head = _ACCENT[m.group(1)] + m.group(2) if m.group(1) else m.group(3)
            head = head + (re.sub(r"[{}]", "", m.group(4)) if m.group(4) else "")
            factors.append(self._factor(head, inner))
        if not factors:
            self.fail()
        return tuple(factors)

    def _factor(self, head: str, inner: str):
        given: list = []
        if inner.count("|") > 1:
            self.fail()
        if "|" in inner:
            inner, rest = inner.split("|")
            given = rest.split(",")
        names = inner.split(",")
        if not all(_VAR.fullmatch(v) for v in names + given):
            self.fail()
        params = []
        while given and given[-1] in PARAMETERS:
            params.insert(0, given.pop())
        if any(v in PARAMETERS or v.startswith("\\") for v in names + given):
            self.fail()
        if params:
            head = head + "|" + ",".join(params)
        names = [re.sub(r"[{}]", "", v).lower() for v in names]
        given = [re.sub(r"[{}]", "", v).lower() for v in given]
        if len(set(names)) != len(names) or set(names) & set(given):
            self.fail()
        return head, frozenset(names), frozenset(given)


def read(text: str) -> list | None:
    """The side as [(coefficient, quantity)], or None when it is not built only from them."""
    normal = _normal(text)
    if not normal or normal.count("(") != normal.count(")"):
        return None
    parser = _Parser(normal)
    try:
        terms = parser.expression()
    except (ValueError, IndexError):
        return None
    if parser.i != len(normal):
        return None
    return [(c, q) for c, q in terms if q is not None]


# --- the laws and the quantities by definition ------------------------------------------------------

def _pmf(variables: list, rng: random.Random, product: bool = False) -> dict:
    states = {v: rng.choice((2, 3)) for v in variables}
    cells = list(itertools.product(*[range(states[v]) for v in variables]))
    if product:
        marginals = {}
        for v in variables:
            w = [rng.randint(1, 9) for _ in range(states[v])]
            marginals[v] = [Fraction(x, sum(w)) for x in w]
        weights = {}
        for cell in cells:
            value = Fraction(1)
            for v, s in zip(variables, cell):
                value *= marginals[v][s]
            weights[cell] = value
        return {"variables": tuple(variables), "p": weights}
    raw = [rng.randint(1, 9) for _ in cells]
    return {"variables": tuple(variables), "p": {c: Fraction(w, sum(raw)) for c, w in zip(cells, raw)}}


def _marginal(law: dict, keep) -> dict:
    variables = law["variables"]
    index = [variables.index(v) for v in sorted(keep)]
    out: dict = {}
    for cell, value in law["p"].items():
        key = tuple(cell[i] for i in index)
        out[key] = out.get(key, 0) + value
    return out


def _log(x: Fraction):
    return mpmath.log(mpmath.mpf(x.numerator) / x.denominator)


def conditional_entropy(law: dict, a, b=frozenset()):
    """H(A | B) = -sum_{a,b} p(a, b) log p(a | b), p(a | b) = p(a, b) / p(b)."""
    ab, bm = _marginal(law, a | b), _marginal(law, b)
    joint_vars = sorted(a | b)
    total = mpmath.mpf(0)
    for key, value in ab.items():
        if value == 0:
            continue
        bkey = tuple(key[joint_vars.index(v)] for v in sorted(b))
        total -= (mpmath.mpf(value.numerator) / value.denominator) * _log(value / bm[bkey])
    return total


def mutual_information(law: dict, a, b, c=frozenset()):
    """I(A; B | C) = sum p(a, b, c) log [p(a, b | c) / (p(a | c) p(b | c))]."""
    abc, ac, bc, cm = (_marginal(law, s) for s in (a | b | c, a | c, b | c, c))
    joint_vars = sorted(a | b | c)
    total = mpmath.mpf(0)
    for key, value in abc.items():
        if value == 0:
            continue

        def sub(s, key=key):
            return tuple(key[joint_vars.index(v)] for v in sorted(s))
        ratio = value * cm[sub(c)] / (ac[sub(a | c)] * bc[sub(b | c)])
        total += (mpmath.mpf(value.numerator) / value.denominator) * _log(ratio)
    return total


def _density(laws: dict, factors: tuple, assignment: dict) -> Fraction:
    value = Fraction(1)
    for head, names, given in factors:
        law = laws[head]
        joint, condition = _marginal(law, names | given), _marginal(law, given)
        cell = tuple(assignment[v] for v in sorted(names | given))
        value *= joint[cell] / condition[tuple(assignment[v] for v in sorted(given))]
    return value


def kl_divergence(laws: dict, a: tuple, b: tuple, states: dict):
    """KL(a || b) = sum_v a(v) log(a(v) / b(v)) over every assignment of the arguments' variables."""
    variables = sorted(set().union(*[n | g for _, n, g in a]))
    total = mpmath.mpf(0)
    for cell in itertools.product(*[range(states[v]) for v in variables]):
        assignment = dict(zip(variables, cell))
        pa, pb = _density(laws, a, assignment), _density(laws, b, assignment)
        if pa == 0:
            continue
        total += (mpmath.mpf(pa.numerator) / pa.denominator) * _log(pa / pb)
    return total


def _value(terms: list, law: dict | None, laws: dict | None, states: dict | None):
    total = mpmath.mpf(0)
    for c, q in terms:
        if q[0] == "H":
            total += c * conditional_entropy(law, q[1], q[2])
        elif q[0] == "I":
            total += c * mutual_information(law, q[1], q[2], q[3])
        else:
            total += c * kl_divergence(laws, q[1], q[2], states)
    return total


def _distribution(factors: tuple) -> bool:
    """The product is a distribution: each factor conditioned only on variables before it."""
    seen: set = set()
    for _, names, given in factors:
        if not given <= seen or names & seen:
            return False
        seen |= names
    return True


def _variables_of(factors: tuple) -> frozenset:
    return frozenset().union(*[n | g for _, n, g in factors])


# --- joint entropies: the symbolic form ----------------------------------------------------------

def joint_entropy_form(terms: list) -> dict:
    """The side as a combination of joint entropies H(S) (frozenset S -> coefficient), by the
    definitions H(A | B) = H(A, B) - H(B) and I(A; B | C) = H(A, C) + H(B, C) - H(A, B, C) - H(C)."""
    form: dict = {}

    def add(s, c):
        if s:
            form[s] = form.get(s, 0) + c

    for c, q in terms:
        if q[0] == "H":
            add(q[1] | q[2], c)
            add(q[2], -c)
        else:
            a, b, g = q[1], q[2], q[3]
            add(a | g, c)
            add(b | g, c)
            add(a | b | g, -c)
            add(g, -c)
    return {s: c for s, c in form.items() if c}


def _balanced(form: dict) -> bool:
    variables = set().union(*form) if form else set()
    return all(sum(c for s, c in form.items() if v in s) == 0 for v in variables)


# --- printing --------------------------------------------------------------------------------------

def _show_quantity(q) -> str:
    def names(s):
        return ", ".join(sorted(s))

    if q[0] == "H":
        return f"H({names(q[1])}" + (f" | {names(q[2])})" if q[2] else ")")
    if q[0] == "I":
        return f"I({names(q[1])}; {names(q[2])}" + (f" | {names(q[3])})" if q[3] else ")")
    return f"KL({_show_product(q[1])} ‖ {_show_product(q[2])})"


def _show_head(head: str) -> str:
    letter, _, params = head.partition("|")
    return letter + (f"_{{{params}}}" if params else "")


def _show_product(factors: tuple) -> str:
    out = []
    for head, names, given in factors:
        letter, _, params = head.partition("|")
        args = ", ".join(sorted(names))
        cond = sorted(given) + (params.split(",") if params else [])
        out.append(f"{letter}({args}" + (f" | {', '.join(cond)})" if cond else ")"))
    return " ".join(out)


def show(terms: list) -> str:
    if not terms:
        return "0"
    out = ""
    for c, q in terms:
        sign = "-" if c < 0 else "+"
        magnitude = "" if abs(c) == 1 else str(abs(c)) + " "
        out += (f" {sign} " if out else ("-" if c < 0 else "")) + magnitude + _show_quantity(q)
    return out


def show_law(law: dict, name: str = "p") -> str:
    variables = ", ".join(law["variables"])
    cells = "; ".join(f"({', '.join(map(str, k))}): {v}" for k, v in sorted(law["p"].items()))
    return f"{name}({variables}) = {{{cells}}}"


# --- the check -----------------------------------------------------------------------------------

def _holds(relation: str, a, b) -> bool:
    tolerance = mpmath.mpf(10) ** (-(DIGITS - 8))
    if relation == "=":
        return abs(a - b) <= tolerance * (1 + abs(a) + abs(b))
    if relation == "≤":
        return a <= b + tolerance
    return a + tolerance >= b


def _weights(rng: random.Random, n: int, zeros: bool = False) -> list:
    """n positive weights, evenly spread or skewed (powers of 2 up to 2^8)."""
    raw = ([rng.randint(0 if zeros else 1, 9) for _ in range(n)] if rng.random() < 0.5 else
           [0 if zeros and rng.random() < 0.25 else 2 ** rng.randint(0, 8) for _ in range(n)])
    if sum(raw) == 0:
        raw[0] = 1
    return [Fraction(w, sum(raw)) for w in raw]


def _instances(kind: str, variables, heads: dict, seed: str) -> list:
    """(law, laws, states) draws: one joint law of the random variables, or one per density letter
    (in every other draw the letters share one law but one, so that conditionals written with
    different letters also coincide)."""
    rng = random.Random(seed)
    draws = []
    for k in range(DRAWS):
        if kind == "H":
            if k % 6 == 5:
                law = _pmf(sorted(variables), rng, product=True)
            else:
                law = _pmf(sorted(variables), rng)
                law["p"] = dict(zip(law["p"], _weights(rng, len(law["p"]), zeros=(k % 3 == 2))))
            draws.append((law, None, None))
            continue
        states = {v: rng.choice((2, 3)) for v in sorted(variables)}

        def random_law(over):
            cells = list(itertools.product(*[range(states[v]) for v in sorted(over)]))
            return {"variables": tuple(sorted(over)), "p": dict(zip(cells, _weights(rng, len(cells))))}
        laws = {}
        base = random_law(variables)
        odd = rng.choice(sorted(heads))
        for head, over in sorted(heads.items()):
            laws[head] = (random_law(over) if k % 2 or head == odd else
                          {"variables": tuple(sorted(over)), "p": _marginal(base, over)})
        draws.append((None, laws, states))
    return draws


def _holds_when_independent(a: list, relation: str, b: list, variables, seed: str) -> bool:
    """Whether the statement holds on every one of a few random product laws (independent variables): a
    statement true under independence, a common unstated assumption (H(X, Y) = H(X) + H(Y)), is not flagged --
    unless both sides are then 0."""
    rng = random.Random("independent " + seed)
    nonzero = False
    for _ in range(6):
        law = _pmf(sorted(variables), rng, product=True)
        left, right = _value(a, law, None, None), _value(b, law, None, None)
        if not _holds(relation, left, right):
            return False
        nonzero = nonzero or abs(left) > mpmath.mpf(10) ** (-DIGITS // 2)
    return nonzero  # 0 = 0 under independence (I(X; Y, Z) = I(X; Z)) says nothing about what the text assumes


def _variants(left: list, relation: str, right: list):
    """Statements one change away (a term's sign flipped, a term dropped, a KL's arguments swapped,
    the relation reversed): a correct form to show next to a flag."""
    if relation != "=":
        yield left, ("≥" if relation == "≤" else "≤"), right
    for side_name in ("right", "left"):
        side = right if side_name == "right" else left
        for i, (c, q) in enumerate(side):
            options = [side[:i] + [(-c, q)] + side[i + 1:], side[:i] + side[i + 1:]]
            if q[0] == "KL":
                options.insert(0, side[:i] + [(c, ("KL", q[2], q[1]))] + side[i + 1:])
            for option in options:
                yield (left, relation, option) if side_name == "right" else (option, relation, right)


def check(left: Side, relation: str, right: Side, context: Context) -> StepResult | None:
    if relation not in RELATIONS:
        return None
    a, b = read(left.text), read(right.text)
    if a is None or b is None or not (a or b):
        return None
    quantities = [q for _, q in a + b]
    kinds = {"KL" if q[0] == "KL" else "H" for q in quantities}
    if len(kinds) != 1:
        return None
    kind = kinds.pop()
    result = known_result(relation, left.text, right.text, None)
    heads: dict = {}
    variables: set = set()
    if kind == "H":
        for q in quantities:
            variables |= set().union(*q[1:])
        what = "entropies and mutual informations of " + ", ".join(sorted(variables))
    else:
        for q in quantities:
            for argument in q[1:]:
                if not _distribution(argument):
                    return result("unchecked", f"a KL argument, {_show_product(argument)}, is not a distribution "
                                  "written as a chain of conditionals: its densities are not tied to one joint law")
                for head, names, given in argument:
                    heads[head] = heads.get(head, frozenset()) | names | given
            if _variables_of(q[1]) != _variables_of(q[2]):
                return result("unchecked", f"the arguments of {_show_quantity(q)} are over different variables")
        variables = set().union(*heads.values())
        what = ("KL divergences of the densities written, each letter one joint law ("
                + "; ".join(f"{_show_head(h)} over {', '.join(sorted(v))}" for h, v in sorted(heads.items())) + ")")
    statement = f"{show(a)} {relation} {show(b)}"
    lead = " ".join((context.lead_in, context.conditional))
    other = context.statement
    if _CONDITION.search(lead) or re.search(r"\\(?:text|mathrm)\{\s*(?:if|when|for)\b", other):
        return result("unchecked", f"read as {statement} ({what}), but the lead-in states a condition "
                      f"({lead.strip()[-80:]!r}) that the random instances do not model")
    if around := _PROPERTY_AROUND.search(context.prose):
        return result("unchecked", f"read as {statement} ({what}), but the text around it speaks of a property "
                      f"('{around.group(0)}') that the random instances do not model")
    form = joint_entropy_form(a + [(-c, q) for c, q in b]) if kind == "H" else None
    prose = context.prose
    discrete = bool(_DISCRETE.search(prose)) and not _CONTINUOUS.search(prose)
    draws = _instances(kind, variables, heads, statement)
    mpmath.mp.dps = DIGITS
    for law, laws, states in draws:
        lv, rv = _value(a, law, laws, states), _value(b, law, laws, states)
        if not _holds(relation, lv, rv):
            instance = (show_law(law) if law is not None else
                        "; ".join(show_law(lw, _show_head(h)) for h, lw in laws.items()))
            if kind == "H" and relation == "=" and _holds_when_independent(a, relation, b, variables, statement):
                return result("unchecked", f"{statement} ({what}) fails on a random finite joint law but holds on "
                              "every law under which the variables are independent: the text may assume "
                              "independence (not flagged)",  # the reading under which it fails: why not proved
                              f"at {instance}: left = {mpmath.nstr(lv, 12)}, right = {mpmath.nstr(rv, 12)} (nats)")
            correct = ""
            for va, vr, vb in _variants(a, relation, b):
                if all(_holds(vr, _value(va, *d), _value(vb, *d)) for d in draws):
                    correct = f"{show(va)} {vr} {show(vb)}"
                    break
            evidence = (f"at {instance}: left = {mpmath.nstr(lv, 12)}, right = {mpmath.nstr(rv, 12)} (nats); "
                        "spread over unit intervals the same law is a continuous counterexample")
            return result("disagrees", f"does not hold as an identity among {what}: {statement} fails on a random "
                          "finite joint law, every quantity computed from its definition by enumeration"
                          + (f"; one change that holds on every instance: {correct}" if correct else ""),
                          evidence, correct)
    n = len(draws)
    if kind == "H" and relation == "=" and not form:
        return result("proved", f"proved: {statement} ({what}); by the definitions (H(A | B) = H(A, B) − H(B) since "
                      "p(a | b) = p(a, b)/p(b); I(A; B | C) = H(A, C) + H(B, C) − H(A, B, C) − H(C)) both sides are "
                      f"the same combination of joint entropies; also holds on {n} random finite laws")
    if kind == "H" and relation != "=" and not _balanced(form) and not discrete:
        return result("unchecked", f"holds on {n} random discrete laws as {statement} ({what}), but an unbalanced "
                      "entropy inequality holds for discrete variables only and nothing says these are discrete: "
                      "not decided")
    return result("unchecked", f"holds on {n} instances: {statement} ({what}), every quantity computed from its "
                  "definition on random finite joint laws (evidence, not a proof)")
