r"""Gradient identities of variational inference, checked on instances of the lecture's own abstract densities.

A VI or VAE lecture writes its gradient estimators with densities and functions it never makes concrete:

* the score function (log-derivative trick): ``\frac{\partial}{\partial\lambda}\mathbb E_{q(z|x,\lambda)}[\log
  p(x|z,\theta)] = \int \frac{\partial}{\partial\lambda} q(z|x,\lambda)\log p(x|z,\theta)\,dz = \mathbb E_{q}[\log
  p(x|z,\theta)\frac{\partial}{\partial\lambda}\log q(z|x,\lambda)]``, a baseline ``\mathbb E_q[\partial_\lambda \log
  q(z|\lambda)(\log p(x|z) - C)]`` and ``\mathbb E_q[\nabla_\lambda \log q] = 0``;
* the reparameterised gradient: ``\nabla_\lambda \mathbb E_{q(z;\lambda)}[\log p(x, z)] = \mathbb E_{\pi(\epsilon)}
  [\nabla_\lambda \log p(x, z = S^{-1}_\lambda(\epsilon))]``, ``\nabla_\phi \mathbb E_{q_\phi(z|x)}[f(z)] =
  \mathbb E_{p(\epsilon)}[\nabla_\phi f(g_\phi(\epsilon))]``.

Each side is read by structure (derivatives ∂/∂λ, ∇_λ of expectations and integrals, logs, products) and evaluated on
concrete members of what the lecture assumes: the density of the latent z that carries the differentiated parameter
λ (in its arguments or subscript) is N(z; λ, s²) (λ its mean) or N(z; m, λ²) (λ its scale), and Bernoulli with
P(z = 1) = σ(λ) where no integral or reparameterisation fixes z continuous; p(x|z, θ) = N(x; θz, 1), p(z) = N(0, 1),
p(x, z) their product; a test function f(z), g(z) a polynomial free of λ; a constant C a number; the map
S^{-1}_λ(ε), h^{-1}(ε, λ), g_φ(ε) the one that carries the noise's law N(0, 1) to that q (λ + sε, m + λε).
Integrals are exact sums (Bernoulli) or mpmath quadrature at 15 digits; derivatives are SymPy's.

Every side equal at every instance: ``holds on N instances`` (evidence, never a proof). A difference at an
instance -- under both scopes of a derivative written before a product, and in both families (continuous and
Bernoulli) where the lecture does not fix one -- is confirmed at 25 digits and flagged with the instance. Gated
(``unchecked`` with the reason): Monte Carlo estimates (≈, sums over samples), a derivative by a name no density
carries, a function or constant that depends on λ, an expectation or integral that does not say its variable,
a noise whose law is not stated, quantities left free.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import mpmath
import sympy

from derivspec.scan.reader import unwrap_decorations
from derivspec.scan.steps import Context, Side, StepResult
from derivspec.scan.notation import role_letters

SCORE_CLAIM = "elbo.gradient.score-function"
REPARAMETERISATION_CLAIM = "elbo.gradient.reparameterisation"
RECOGNISED = {
    SCORE_CLAIM: r"a derivative $\partial_\lambda$, $\nabla_\phi$ of an expectation or integral over a density that "
                 r"carries the parameter, its score-function form $\mathbb E_q[f\,\partial_\lambda\log q]$ (with a "
                 r"baseline $C$, and $\mathbb E_q[\partial_\lambda \log q] = 0$), in the lecture's letters: every side "
                 r"evaluated on Gaussian and Bernoulli members of $q$, Gaussian $p(x|z)$, polynomial $f$",
    REPARAMETERISATION_CLAIM: r"the reparameterised form $\mathbb E_{\pi(\epsilon)}[\nabla_\lambda f(S^{-1}_\lambda"
                              r"(\epsilon))]$, $\mathbb E_{p(\epsilon)}[\nabla_\phi f(g_\phi(\epsilon))]$ of the same "
                              r"derivative, with the map $\lambda + s\epsilon$ that carries the stated noise law "
                              r"to $q$",
}
DIGITS, CONFIRM_DIGITS = 15, 25
TOLERANCE = mpmath.mpf("1e-10")


class NotRead(Exception):
    """The side is not a gradient identity's side as this module reads it (the recogniser passes)."""


class Gate(Exception):
    """A gradient identity that cannot be instantiated soundly: unchecked with the reason."""


# --- tokens and the tree ------------------------------------------------------------------------------------------

_REPLACE = [
    (re.compile(r"\\(?:left|right|big|Big|bigg|Bigg)[lr]?\s*(\\\{|\\\}|[()\[\]|.])"), r"\1"),
    (re.compile(r"\\(?:left|right)\s*\\(?:lvert|rvert|vert)"), "|"),
    (re.compile(r"\\(?:mid|vert)\b"), "|"),
    (re.compile(r"\\(?:mathrm|operatorname|text)\s*\{\s*d\s*\}"), " d "),
    (re.compile(r"\\dd\b"), " d "),
    (re.compile(r"\\(?:mathbb|mathbf|mathrm|operatorname)\s*\{\s*E\s*\}|\\mathbb\s*E(?![A-Za-z])|\\E(?![A-Za-z])"),
     r" \\E "),
    (re.compile(r"\\(?:mathcal|mathscr)\s*\{\s*([A-Z])\s*\}|\\(?:mathcal|mathscr)\s*([A-Z])"), r"\\cal\1\2 "),
    (re.compile(r"\\(?:alert|balert|boldsymbol|bm|mathbf|vec|pmb|symbf)\b"), " "),
    (re.compile(r"\\(?:[dt]frac)\b"), r"\\frac"),
    (re.compile(r"\\ln\b"), r"\\log"),
    (re.compile(r"\\varepsilon\b"), r"\\epsilon"),
    (re.compile(r"\\(?:,|;|:|!|quad|qquad|displaystyle|limits|nolimits)|~|&"), " "),
    (re.compile(r"\\(?:cdot|times)\b"), " "),
]
_TOKEN = re.compile(r"\s*(?:(\d+(?:\.\d+)?)|(\\cal[A-Z])|(\\[A-Za-z]+)|([A-Za-z])|(.))", re.DOTALL)
DENSITY_HEADS = role_letters("density-head")  # a guess: derivspec/data/knowledge/notation.toml
FUNCTION_HEADS = role_letters("function-head")  # a guess: derivspec/data/knowledge/notation.toml
# the roles the estimators' letters play (guesses, each a row of the table): data x, latent z, baseline C, the
# variational density q, the model density p, the model's parameter θ
DATA, LATENT, BASELINE = role_letters("data"), role_letters("latent"), role_letters("baseline")
VARIATIONAL, MODEL_DENSITY, MODEL_PARAMETER = role_letters("variational"), role_letters("model-density"), \
    role_letters("model-parameter")
NOISE = r"\epsilon"
_ESTIMATE = re.compile(r"\\approx|\\sum|\\frac\s*\{\s*1\s*\}\s*\{\s*[A-Z]\s*\}|\\frac\s*1\s*[A-Z]")


def _tokens(text: str) -> list[str]:
    text = unwrap_decorations(text)
    for pattern, replacement in _REPLACE:
        text = pattern.sub(replacement, text)
    for _ in range(3):  # {\mathcal S}^{-1} and {{\mathcal S}^{-1}}: the name
        text = re.sub(r"(?<!\\frac)\{\s*(\\cal[A-Z]|\\(?!partial)[A-Za-z]+|[A-Za-z])\s*\}", r" \1 ", text)
        text = re.sub(r"\{\s*(\\cal[A-Z]|[A-Za-z])\s*\^\s*\{\s*-\s*1\s*\}\s*\}", r"\1^{-1}", text)
    out, pos = [], 0
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m or m.end() == pos:
            break
        pos = m.end()
        token = next((g for g in m.groups() if g is not None), None)
        if token is not None and token.strip():
            out.append(token)
    return out


@dataclass(frozen=True)
class Name:
    head: str
    sub: tuple = ()  # subscript tokens
    inverse: bool = False  # ^{-1}

    def text(self) -> str:
        sub = "".join(self.sub)
        return self.head + (f"_{{{sub}}}" if sub else "") + ("^{-1}" if self.inverse else "")


class _Parser:
    """A recursive descent over the tokens into a small tree: ("num", v), ("name", Name), ("add", [(sign, t)]),
    ("mul", [t]), ("pow", t, t), ("frac", t, t), ("log", t), ("exp", t), ("d", param, operand, narrow) (narrow:
    the derivative of the next factor times the rest, or None),
    ("E", law, body), ("int", variable, body), ("apply", Name, [args]), ("at", variable, value)."""

    def __init__(self, tokens):
        self.t, self.i = tokens, 0
        self.params: set = set()

    def peek(self, k=0):
        return self.t[self.i + k] if self.i + k < len(self.t) else None

    def take(self, expected=None):
        token = self.peek()
        if token is None or (expected is not None and token != expected):
            raise NotRead(f"expected {expected!r}, found {token!r}")
        self.i += 1
        return token

    def parse(self):
        tree = self.expr()
        if self.peek() is not None:
            raise NotRead(f"unread {self.peek()!r}")
        return tree

    def expr(self, stop=()):
        terms = []
        sign = 1
        if self.peek() in ("+", "-"):
            sign = -1 if self.take() == "-" else 1
        terms.append((sign, self.term(stop)))
        while self.peek() in ("+", "-"):
            sign = -1 if self.take() == "-" else 1
            terms.append((sign, self.term(stop)))
        return terms[0][1] if len(terms) == 1 and terms[0][0] == 1 else ("add", terms)

    def term(self, stop=()):
        factors = []
        while self.peek() is not None and self.peek() not in ("+", "-", ")", "]", "}", ",", "|", ";", "=") \
                and self.peek() not in stop:
            derivative = self.derivative()
            if derivative is not None:
                rest = self.term(stop)
                items = rest[1] if rest[0] == "mul" else [rest]
                narrow = ("mul", [("d", derivative, items[0], None)] + items[1:]) if len(items) > 1 else None
                factors.append(("d", derivative, rest, narrow))
                break
            factors.append(self.power())
        if not factors:
            raise NotRead(f"an empty term before {self.peek()!r}")
        return factors[0] if len(factors) == 1 else ("mul", factors)

    def derivative(self):
        r"""``\frac{\partial}{\partial \lambda}``, ``\nabla_\lambda``, ``\partial_\lambda``: the parameter, or None."""
        t0 = self.peek()
        if t0 == r"\frac" and self.peek(1) == "{" and self.peek(2) in (r"\partial", "d") and self.peek(3) == "}":
            start = self.i
            self.i += 4
            self.take("{")
            if self.take() not in (r"\partial", "d"):
                self.i = start
                return None
            param = self.name_tokens(until="}")
            self.take("}")
            return param
        if t0 in (r"\nabla", r"\partial") and self.peek(1) == "_":
            self.i += 2
            return self.script()
        return None

    def name_tokens(self, until):
        found = []
        while self.peek() is not None and self.peek() != until:
            found.append(self.take())
        if not found or len(found) > 4:
            raise NotRead("a derivative by something that is not a name")
        return "".join(found)

    def script(self) -> str:
        if self.peek() == "{":
            return self.group("{", "}", lambda: self.name_tokens(until="}"))
        return self.take()

    def power(self):
        base = self.primary()
        while self.peek() == "^":
            self.take("^")
            exponent = self.group("{", "}") if self.peek() == "{" else self.primary()
            base = ("pow", base, exponent)
        return base

    def group(self, opening, closing, read=None):
        """``read`` (an expression by default) between ``opening`` and ``closing``."""
        self.take(opening)
        inner = (read or self.expr)()
        self.take(closing)
        return inner

    def primary(self):
        token = self.peek()
        if token is None:
            raise NotRead("a side ends early")
        if re.fullmatch(r"\d+(?:\.\d+)?", token):
            self.take()
            return ("num", sympy.Rational(token))
        if token == "(":
            return self.group("(", ")")
        if token == "[":
            return self.group("[", "]")
        if token == "{":
            start = self.i
            self.take("{")
            inner_name = self.maybe_name()
            if inner_name is not None and self.peek() == "}":  # {\mathcal S}^{-1}_\lambda(\epsilon)
                self.take("}")
                return self.application(inner_name)
            self.i = start
            return self.group("{", "}")
        if token == r"\frac":
            self.take()
            return ("frac", self.group("{", "}"), self.group("{", "}"))
        if token in (r"\log", r"\exp"):
            self.take()
            argument = self.power()  # bracketed, or without brackets: one application or name with its powers
            return ("log" if token == r"\log" else "exp", argument)
        if token == r"\E":
            return self.expectation()
        if token == r"\int":
            return self.integral()
        if token in (r"\sum", r"\prod", r"\approx", r"\det", r"\nabla", r"\partial"):
            raise NotRead(f"{token} is not read here")
        name = self.maybe_name()
        if name is None:
            raise NotRead(f"unread {token!r}")
        return self.application(name)

    def maybe_name(self):
        token = self.peek()
        if token is None or not (re.fullmatch(r"[A-Za-z]|\\cal[A-Z]", token) or (
                token.startswith("\\") and token[1:] not in ("frac", "log", "exp", "E", "int", "sum", "prod", "left",
                                                             "right", "partial", "nabla", "approx", "det", "sqrt",
                                                             "sim", "mid", "in", "to", "infty", "operatorname"))):
            return None
        if token == "d" and self.peek(1) is not None and re.fullmatch(r"[A-Za-z]|\\[A-Za-z]+", self.peek(1)):
            return None  # d z: an integral's variable
        self.take()
        sub, inverse = (), False
        while self.peek() in ("_", "^"):
            if self.peek() == "^":
                if self.t[self.i + 1:self.i + 5] == ["{", "-", "1", "}"]:
                    self.i += 5
                    inverse = True
                    continue
                break
            self.take("_")
            sub = tuple(self.script_tokens())
        return Name(token, sub, inverse)

    def script_tokens(self):
        if self.peek() == "{":
            self.take("{")
            found = []
            depth = 0
            while self.peek() is not None and not (self.peek() == "}" and depth == 0):
                token = self.take()
                depth += {"{": 1, "}": -1}.get(token, 0)
                found.append(token)
            self.take("}")
            return [t for t in found if t not in ("{", "}")]
        return [self.take()]

    def application(self, name: Name):
        if self.peek() != "(":
            return ("name", name)
        self.take("(")
        args, seps = [], []
        while True:
            if self.peek() in (")",):
                break
            # z = S^{-1}_\lambda(\epsilon) inside the arguments: the value
            if self.peek(1) == "=" and self.peek() is not None:
                variable = self.take()
                self.take("=")
                args.append(("at", variable, self.expr()))
            else:
                args.append(self.expr())
            if self.peek() in (",", "|", ";"):
                seps.append(self.take())
                continue
            break
        self.take(")")
        return ("apply", name, args, tuple(seps))

    def expectation(self):
        self.take(r"\E")
        law = None
        if self.peek() == "_":
            self.take("_")
            law = self.group("{", "}", self.law) if self.peek() == "{" else ("variable", self.take())
        if self.peek() not in ("[", "(", "{"):
            raise NotRead("an expectation without brackets")
        closing = {"[": "]", "(": ")", "{": "}"}[self.peek()]
        body = self.group(self.peek(), closing)
        if law is None:
            raise Gate("an expectation that does not say over which law or variable")
        return ("E", law, body)

    def law(self):
        r"""An expectation's subscript: ``q(z|x,\lambda)``, ``q``, ``z \sim q_\phi(z|x)``, ``\mathcal N(0, I)``."""
        start = self.i
        if self.peek(1) == r"\sim":
            variable = self.take()
            self.take(r"\sim")
            return ("sim", variable, self.expr())
        if (self.peek() == NOISE or self.peek() in LATENT) and self.peek(1) == "}":
            return ("variable", self.take())
        self.i = start
        return ("density", self.expr())

    def integral(self):
        self.take(r"\int")
        if self.peek() == "_":
            raise Gate("an integral over a stated range")
        body = []
        while self.peek() is not None and not (self.peek() == "d" and self.peek(1) is not None
                                                 and re.fullmatch(r"[A-Za-z]|\\[A-Za-z]+", self.peek(1))):
            body.append(self.take())
        if self.peek() != "d":
            raise Gate("an integral that does not say its variable (no dz)")
        self.take("d")
        variable = self.take()
        inner = _Parser(body)
        tree = inner.parse() if body else ("num", sympy.Integer(1))
        return ("int", variable, tree)


def read(text: str):
    """A side's tree, or NotRead / Gate."""
    tokens = _tokens(text)
    if not tokens:
        raise NotRead("an empty side")
    return _Parser(tokens).parse()


# --- the instances -----------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Instance:
    family: str  # "mean": q = N(λ, s²); "scale": q = N(m, λ²); "bernoulli": q(1) = σ(λ)
    value: sympy.Rational  # λ at the instance
    other: sympy.Rational  # s (mean family) or m (scale family)
    x: sympy.Rational
    theta: sympy.Rational
    constant: sympy.Rational
    test: int  # which polynomial f is

    def describe(self, param: str, density: str) -> str:
        if self.family == "mean":
            law = f"{density} = N(z; {param}, ({self.other})²)"
        elif self.family == "scale":
            law = f"{density} = N(z; {self.other}, {param}²)"
        else:
            law = f"{density} = Bernoulli(σ({param})) on z ∈ {{0, 1}}"
        return (f"{param} = {self.value}, {law}, p(x|z) = N(x; {self.theta} z, 1), x = {self.x}, "
                f"f(u) = {sympy.sstr(TESTS[self.test](sympy.Symbol('u')))}, C = {self.constant}")


TESTS = (lambda u: u ** 3 + u / 2, lambda u: u ** 2 - 3 * u, lambda u: u ** 3 - u ** 2 + 2)
_R = sympy.Rational
INSTANCES = (
    Instance("mean", _R(7, 10), _R(4, 5), _R(1, 2), _R(13, 10), _R(3, 4), 0),
    Instance("mean", _R(-13, 10), _R(3, 2), _R(-6, 5), _R(-3, 5), _R(-2), 1),
    Instance("scale", _R(6, 5), _R(1, 3), _R(2), _R(9, 10), _R(7, 5), 2),
    Instance("bernoulli", _R(2, 5), _R(1), _R(3, 5), _R(6, 5), _R(1, 2), 0),
    Instance("bernoulli", _R(-7, 10), _R(1), _R(-1), _R(-4, 5), _R(-3, 2), 2),
)
LAMBDA = sympy.Symbol("lambda_", real=True)
Z, EPS, U = sympy.Symbol("z_", real=True), sympy.Symbol("epsilon_", real=True), sympy.Symbol("u_", real=True)


def _normal(v, mean, sd):
    return sympy.exp(-(v - mean) ** 2 / (2 * sd ** 2)) / (sd * sympy.sqrt(2 * sympy.pi))


@dataclass
class Reading:
    """What one evaluation found and needs: the parameter, the instance, the scope of derivatives."""

    param: str
    instance: Instance
    wide: bool = True
    used_q: bool = False
    used_map: bool = False
    used_integral: bool = False
    used_noise_law: bool = False

    # densities ------------------------------------------------------------------------------------------------
    def q(self, v):
        i = self.instance
        if i.family == "mean":
            return _normal(v, LAMBDA, i.other)
        if i.family == "scale":
            return _normal(v, i.other, LAMBDA)
        p1 = 1 / (1 + sympy.exp(-LAMBDA))
        return sympy.Piecewise((p1, sympy.Eq(v, 1)), (1 - p1, True)) if not v.is_number else (p1 if v == 1 else 1 - p1)

    def map(self, eps):
        i = self.instance
        if i.family == "bernoulli":
            raise Gate("a reparameterised form: z is continuous, no Bernoulli member")
        self.used_map = True
        return LAMBDA + i.other * eps if i.family == "mean" else i.other + LAMBDA * eps


def _carries(name: Name, args, param: str) -> bool:
    return param in name.sub or any(_outside_maps(a, param) for a in args)


def _is_map(tree, param: str) -> bool:
    r"""S^{-1}_\lambda(\epsilon), h^{-1}(\epsilon, \lambda), g_\phi(\epsilon): a map applied to the noise."""
    if not (isinstance(tree, tuple) and tree and tree[0] == "apply"):
        return False
    name, args = tree[1], tree[2]
    noise = any(_variable(a) == NOISE for a in args)
    return noise and (name.inverse or name.head in FUNCTION_HEADS and name.sub == (param,) and len(args) == 1)


def _outside_maps(tree, param: str) -> bool:
    """Whether ``param`` occurs in ``tree`` other than inside a reparameterisation map."""
    if _is_map(tree, param):
        return False
    if isinstance(tree, tuple) and tree and tree[0] == "name":
        return tree[1].head == param or param in tree[1].sub
    if isinstance(tree, (tuple, list)):
        return any(_outside_maps(t, param) for t in (tree[1:] if isinstance(tree, tuple) else tree))
    return False


def _variable(tree) -> str | None:
    if tree[0] == "name" and not tree[1].sub and not tree[1].inverse:
        return tree[1].head
    return None


class Evaluator:
    def __init__(self, reading: Reading):
        self.r = reading
        self.bound: dict = {}  # the lecture's variable -> the SymPy variable integrated over

    def value(self, tree):
        kind = tree[0]
        if kind == "num":
            return tree[1]
        if kind == "add":
            return sympy.Add(*[sign * self.value(t) for sign, t in tree[1]])
        if kind == "mul":
            return sympy.Mul(*[self.value(t) for t in tree[1]])
        if kind == "pow":
            return self.value(tree[1]) ** self.value(tree[2])
        if kind == "frac":
            return self.value(tree[1]) / self.value(tree[2])
        if kind == "log":
            return sympy.log(self.value(tree[1]))
        if kind == "exp":
            return sympy.exp(self.value(tree[1]))
        if kind == "d":
            if tree[1] != self.r.param:
                raise Gate(f"derivatives by two parameters ({tree[1]}, {self.r.param})")
            if self.r.wide or tree[3] is None:  # the derivative of everything after it, or of the next factor
                return sympy.diff(self.value(tree[2]), LAMBDA)
            return self.value(tree[3])
        if kind == "E":
            return self.expectation(tree[1], tree[2])
        if kind == "int":
            return self.integral(tree[1], tree[2])
        if kind == "name":
            return self.name(tree[1])
        if kind == "apply":
            return self.apply(tree[1], tree[2], tree[3])
        raise NotRead(f"unread {kind}")

    def name(self, name: Name):
        head = name.head
        if name.inverse or name.sub and (head == NOISE or head in LATENT | DATA):
            raise Gate(f"the quantity {name.text()} is not instantiated")
        if head in self.bound:
            return self.bound[head]
        if head == self.r.param and not name.sub:
            return LAMBDA
        if head in DATA and not name.sub:
            return self.r.instance.x
        if head in MODEL_PARAMETER and not name.sub:
            return self.r.instance.theta
        if head in BASELINE and not name.sub:
            return self.r.instance.constant
        if head == NOISE or head in LATENT:
            raise Gate(f"{head} is left free outside its expectation or integral")
        raise NotRead(f"the quantity {name.text()} is not instantiated")

    def apply(self, name: Name, args, seps):
        head, param = name.head, self.r.param
        values = [a for a in args]
        if name.inverse or _is_map(("apply", name, args, seps), param):
            # S^{-1}_\lambda(\epsilon), h^{-1}(\epsilon, \lambda), g_\phi(\epsilon): the reparameterisation map
            if not any(_variable(a) == NOISE for a in args):
                raise Gate(f"the map {name.text()} is not applied to the noise")
            if not _carries(name, args, param):
                raise Gate(f"the map {name.text()} does not carry the parameter {param}")
            return self.r.map(self.value(next(a for a in args if _variable(a) == NOISE)))
        if head in DENSITY_HEADS:
            return self.density(name, values, seps)
        if head in FUNCTION_HEADS | BASELINE:
            if _carries(name, args, param):
                raise Gate(f"the function {name.text()} depends on {param} other than through the density")
            if len(args) != 1:
                raise Gate(f"the function {name.text()} of several arguments is not instantiated")
            argument = self.value(args[0])
            if head in BASELINE:  # a baseline that depends on its argument: C(z) = z^2 + 1
                return argument ** 2 + 1
            return TESTS[self.r.instance.test](argument)
        raise NotRead(f"the quantity {name.text()} is not instantiated")

    def _at(self, arg):
        return self.value(arg[2]) if arg[0] == "at" else self.value(arg)

    def density(self, name: Name, args, seps):
        """p(x|z,θ), p(x,z), p(z), q(z|x,λ), q_φ(z|x), π(ε), q(ε), N(z|μ,σ²): a member."""
        param = self.r.param
        first = _variable(args[0]) if args and args[0][0] != "at" else (args[0][1] if args else None)
        if first == NOISE or (args and args[0][0] != "at" and self._noise_argument(args[0])):
            if _carries(name, args, param):
                raise Gate(f"the noise's density {name.text()} depends on {param}")
            self.r.used_noise_law = True
            return _normal(self.value(args[0]), 0, 1)
        if name.head == r"\calN":
            raise Gate("a normal law written with its own mean and scale: the parameter differentiated is not "
                       "one of its arguments")
        if first in LATENT and _carries(name, args, param):
            if len(seps) and seps[0] not in ("|", ";"):
                raise Gate(f"the density {name.text()} is not read")
            self.r.used_q = True
            return self.r.q(self.value(args[0]))
        if first in LATENT and name.head in VARIATIONAL:
            raise Gate(f"the density {name.text()} of z does not show the parameter {param}")
        if name.head not in MODEL_DENSITY:
            raise NotRead(f"the density {name.text()} is not instantiated")
        if _carries(name, args, param):
            raise Gate(f"the model density {name.text()} depends on {param}")
        if first in DATA and len(args) >= 2 and seps and seps[0] in ("|", ","):
            z_value = self._at(args[1])
            likelihood = _normal(self.r.instance.x, self.r.instance.theta * z_value, 1)
            if seps[0] == ",":  # the joint p(x, z) = p(z) p(x|z)
                return likelihood * _normal(z_value, 0, 1)
            return likelihood
        if first in LATENT and len(args) == 1:
            return _normal(self.value(args[0]), 0, 1)
        raise NotRead(f"the density {name.text()} is not instantiated")

    def _noise_argument(self, arg) -> bool:
        return _variable(arg) == NOISE

    def law_density(self, law):
        """(the lecture's variable, the SymPy variable, its density) for an expectation's subscript."""
        kind = law[0]
        if kind == "variable":  # \epsilon (NOISE) among them
            raise Gate(f"an expectation over {law[1]} whose law is not stated in it")
        tree = law[2] if kind == "sim" else law[1]
        if tree[0] == "name" and tree[1].head in VARIATIONAL and tree[1].sub in ((), (self.r.param,)):
            self.r.used_q = True
            return min(LATENT), Z, self.r.q(Z)
        if tree[0] == "apply" and tree[1].head == r"\calN" and kind == "density":
            args = tree[2]
            if len(args) == 2 and args[0] == ("num", 0) and (args[1] == ("num", 1) or _variable(args[1]) == "I"):
                self.r.used_noise_law = True
                return NOISE, EPS, _normal(EPS, 0, 1)
        if tree[0] != "apply" or not tree[2]:
            raise Gate("an expectation over a law that is not read")
        variable = law[1] if kind == "sim" else (_variable(tree[2][0]) or "")
        symbol = EPS if variable == NOISE else Z if variable in LATENT else None
        if symbol is None:
            raise Gate(f"an expectation over {variable or 'a variable'} that is not instantiated")
        saved = self.bound.get(variable)
        self.bound[variable] = symbol
        try:
            density = self.value(tree)
        finally:
            if saved is None:
                self.bound.pop(variable, None)
            else:
                self.bound[variable] = saved
        return variable, symbol, density

    def expectation(self, law, body):
        variable, symbol, density = self.law_density(law)
        return self._integrate(variable, symbol, lambda: density * self.value(body))

    def integral(self, variable, body):
        symbol = EPS if variable == NOISE else Z if variable in LATENT else None
        if symbol is None:
            raise Gate(f"an integral over {variable}, not the latent or the noise")
        self.r.used_integral = True
        return self._integrate(variable, symbol, lambda: self.value(body))

    def _integrate(self, variable, symbol, integrand):
        if variable in self.bound:
            raise Gate("nested expectations over one variable")
        self.bound[variable] = symbol
        try:
            inner = integrand()
        finally:
            self.bound.pop(variable, None)
        if self.r.instance.family == "bernoulli":
            if symbol == EPS or self.r.used_integral:
                raise Gate("z is continuous here (an integral or a noise): no Bernoulli member")
            return inner.subs(symbol, 0) + inner.subs(symbol, 1)
        return sympy.Integral(inner, (symbol, -sympy.oo, sympy.oo))


def _number(expr, instance: Instance, digits: int):
    """The side at the instance: λ substituted, every integral by mpmath quadrature."""
    expr = expr.subs(LAMBDA, instance.value)
    with mpmath.workdps(digits + 5):
        def evaluate(e):
            if isinstance(e, sympy.Integral):
                (variable, lower, upper), = e.limits
                inner = evaluate(e.function)
                f = sympy.lambdify(variable, inner, modules="mpmath")
                return sympy.Float(mpmath.quad(f, [-mpmath.inf, 0, mpmath.inf]), digits + 5)
            if not e.args or not e.has(sympy.Integral):
                return e
            return e.func(*[evaluate(a) for a in e.args])
        value = evaluate(expr)
        if value.free_symbols:
            raise Gate("a side keeps a free quantity after instantiation")
        number = sympy.N(value, digits)
    if not number.is_real:
        raise Gate("a side is not a real number at the instance")
    return mpmath.mpf(str(number))


# --- the statement -----------------------------------------------------------------------------------------------

def _parameter(trees) -> str | None:
    found = set()

    def walk(t):
        if isinstance(t, tuple) and t:
            if t[0] == "d":
                found.add(t[1])
            for a in t[1:]:
                walk(a)
        elif isinstance(t, list):
            for a in t:
                walk(a)
    for tree in trees:
        walk(tree)
    return found.pop() if len(found) == 1 else None


def _has(tree, kinds) -> bool:
    if isinstance(tree, tuple) and tree:
        return tree[0] in kinds or any(_has(a, kinds) for a in tree[1:])
    if isinstance(tree, list):
        return any(_has(a, kinds) for a in tree)
    return False


def _has_narrow(tree) -> bool:
    if isinstance(tree, tuple) and tree:
        return tree[0] == "d" and tree[3] is not None or any(_has_narrow(a) for a in tree[1:])
    if isinstance(tree, list):
        return any(_has_narrow(a) for a in tree)
    return False


def check(left: Side, relation: str, right: Side, context: Context) -> StepResult | None:
    """The step judged as a gradient identity on instances; None when it is not one."""
    texts = (left.text, right.text)
    if not any(re.search(r"\\partial|\\nabla|\\pdv", t) for t in texts) or \
            not any(re.search(r"\\mathbb\s*\{?\s*E|\\E\b|\\int", t) for t in texts):
        return None

    def result(verdict, reason, evidence="", correct="", claim=None):
        return StepResult(relation, left.text, right.text, verdict, "known", reason, evidence, claim=claim,
                          correct=correct)

    if relation == "≈" or any(_ESTIMATE.search(t) for t in texts):
        return None  # a Monte Carlo estimate of a gradient (≈, an average over samples): no identity of expectations,
        # not this module's to answer (the Monte Carlo mean's normaliser is mc_average's)
    if relation != "=":
        return None
    try:
        trees = [read(t) for t in texts]
    except NotRead:
        return None
    except Gate as why:
        return result("unchecked", f"a gradient identity, but {why}")
    param = _parameter(trees)
    if param is None or param == NOISE or param in LATENT | DATA or not any(_has(t, ("E", "int")) for t in trees):
        return None
    try:
        return _judge(trees, texts, param, result, context)
    except Gate as why:
        return result("unchecked", f"a gradient identity in {param}, but {why}")
    except (NotRead, TypeError, ValueError, ZeroDivisionError, AttributeError):
        return None


def _evaluate(tree, reading: Reading):
    return Evaluator(reading).value(tree)


def _judge(trees, texts, param, result, context):
    held, flags, families, claim = 0, [], {}, SCORE_CLAIM
    reparameterised = False
    for instance in INSTANCES:
        values_by_scope = []
        for wide in (True, False) if _has_narrow(trees) else (True,):
            readings = [Reading(param, instance, wide) for _ in trees]
            try:
                exprs = [_evaluate(t, r) for t, r in zip(trees, readings)]
            except Gate as why:
                if instance.family == "bernoulli" and ("Bernoulli" in str(why) or "continuous" in str(why)):
                    exprs = None
                else:
                    raise
            if exprs is None:
                values_by_scope = None
                break
            if any(r.used_map for r in readings):
                reparameterised = True
                if not any(r.used_noise_law for r in readings):
                    raise Gate("the noise's law is not stated")
            if not any(r.used_q or r.used_map for r in readings):
                raise Gate(f"no density of z carries the parameter {param}")
            values_by_scope.append([_number(e, instance, DIGITS) for e in exprs])
        if values_by_scope is None:
            continue
        if any(abs(a - b) > TOLERANCE * (1 + abs(b)) for vs in values_by_scope[1:]
               for a, b in zip(vs, values_by_scope[0])):
            raise Gate("a derivative written before a product: its scope changes the value")
        values = values_by_scope[0]
        differs = abs(values[0] - values[1]) > TOLERANCE * (1 + abs(values[1]))
        kind = "bernoulli" if instance.family == "bernoulli" else "gaussian"
        families.setdefault(kind, []).append((instance, differs, values))
        if differs:
            flags.append((instance, values))
        else:
            held += 1
    if reparameterised:
        claim = REPARAMETERISATION_CLAIM
    if not families:
        return None
    if not flags:
        how = " and ".join(sorted({"Gaussian" if k == "gaussian" else "Bernoulli" for k in families}))
        return result("unchecked", f"holds on {held} instances: every side evaluated with {how} members of the "
                                   f"density that carries {param} (q(z) = N(z; {param}, s²), N(z; m, {param}²)"
                                   f"{', Bernoulli(σ(' + param + '))' if 'bernoulli' in families else ''}), "
                                   "p(x|z) = N(x; θz, 1), polynomial test functions, exact sums or 15-digit "
                                   f"quadrature (matches {claim} on these members; not a proof)", claim=claim)
    # a flag needs a difference in every family the lecture leaves open
    if not all(any(differs for _, differs, _ in members) for members in families.values()):
        return result("unchecked", f"a gradient identity in {param} that holds for one family of densities and not "
                                   "for another: the lecture does not fix which one it means", claim=claim)
    instance, values = flags[0]
    confirmed = [_number(_evaluate(tree, Reading(param, instance, True)), instance, CONFIRM_DIGITS) for tree in trees]
    if abs(confirmed[0] - confirmed[1]) <= TOLERANCE * (1 + abs(confirmed[1])):
        return result("unchecked", f"a gradient identity in {param}: a difference that did not survive at "
                                   f"{CONFIRM_DIGITS} digits")
    evidence = (f"at {instance.describe(param, 'q(z)')}: left side {mpmath.nstr(confirmed[0], 12)}, right side "
                f"{mpmath.nstr(confirmed[1], 12)}")
    correct = _correct(trees, texts, param, context)
    return result("disagrees", f"a gradient identity in {param} whose sides differ on a member of the lecture's "
                               f"densities ({claim}: the derivative of an expectation equals the expectation of "
                               f"f times the score, and of the derivative of f through the reparameterisation)",
                  evidence, correct, claim)


def _correct(trees, texts, param, context) -> str:
    """The derivative side's correct forms in the lecture's symbols, when the derivative side is
    ``\\partial_λ \\mathbb E_{law}[body]``."""
    for tree, text in zip(trees, texts):
        if tree[0] == "d" and tree[2][0] == "E":
            m = re.search(r"\\mathbb\s*\{?\s*E\s*\}?\s*_\s*(\{(?:[^{}]|\{[^{}]*\})*\}|\S)", text)
            if not m:
                continue
            law = m.group(1).strip("{}")
            body_start = text.find("[", m.end())
            body_end = text.rfind("]")
            if body_start < 0 or body_end <= body_start:
                continue
            body = text[body_start + 1:body_end].replace(r"\right", "").strip()
            dens = re.sub(r"^.*\\sim\s*", "", law)
            derivative = (r"\nabla_{" + param + "}" if r"\nabla" in text
                          else r"\frac{\partial}{\partial " + param + "}")
            return rf"\mathbb{{E}}_{{{law}}}\left[{body}\, {derivative} \log {dens}\right]"
    return ""
