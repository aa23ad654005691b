r"""The multivariate Gaussian KL and the Gaussian log-density at a symbolic dimension (issue 25, general sizes).

* ``\mathrm{KL}(p_1 \| p_2) = \frac12[\mathrm{tr}(\Sigma_2^{-1}\Sigma_1) + (\mu_2-\mu_1)^\top\Sigma_2^{-1}(\mu_2-\mu_1)
  - k + \ln\frac{|\Sigma_2|}{|\Sigma_1|}]`` -- any letters and fonts, ``|\cdot|``, ``\det`` or ``\log\det`` -- with
  the two arguments written as ``\mathcal N(m, S)`` or names the document gives such a law (``p_1 = \mathcal
  N(\mu_1, \Sigma_1)``). Roles come from the laws' places: the first argument's mean and covariance, the second's;
  the one other name on the right is the dimension (a size letter, or one the prose declares: "in $k$
  dimensions", ``\mathbb R^{D}``).
* ``\log\mathcal N(x; \mu, \Sigma) = -\frac d2\log 2\pi - \frac12\log|\Sigma| - \frac12(x-\mu)^\top\Sigma^{-1}(x-\mu)``
  and the isotropic law ``\mathcal N(x; \mu, \sigma^2 I)`` (``\|x-\mu\|^2``), the law written or declared.

The right side is read with non-commuting matrices (the small parser below) and judged

* **proved at d = 2** symbolically against the claim's target (``kl.gaussian.multivariate``; for the log-density the
  definition of the density at d = 2) **and** equal, exactly, on random instances for d = 1, ..., 5 (seeded
  rational SPD matrices): "proved at d = 2, holds for d = 1..5 on random instances";
* **disagrees** when an instance differs (a trace of the wrong product, a dropped -k, the determinants' ratio
  upside down, a missing 1/2): the instance, the two values at 30 digits and the correct form in the lecture's
  letters;
* anything unread (a sum over coordinates, a name without a role, a covariance that is not a matrix) is left to the
  other checks.
"""

from __future__ import annotations

import random
import re

import sympy

from derivspec.scan.steps import Context, Side, StepResult, known_result

CLAIM = "kl.gaussian.multivariate"
DENSITY_CLAIM = "estimation.gaussian.density"  # the density's definition (its multivariate form here)
RECOGNISED = {
    CLAIM: r"$\mathrm{KL}(\mathcal N(\mu_1, \Sigma_1) \| \mathcal N(\mu_2, \Sigma_2))$ written with a trace, a "
           r"quadratic form, the dimension and a log-determinant ratio, in any letters and at a symbolic "
           r"dimension (the laws written or declared): proved at d = 2 and compared on random instances for "
           r"d = 1..5",
}
SIZES = (1, 2, 3, 4, 5)
_FONTS = r"\\(?:mathbf|boldsymbol|bm|vec|pmb|symbf|mathit|bf)\s*"
_SUB = r"(?:\s*_\s*(?:\{[^{}]*\}|\\?[A-Za-z0-9]))?"
_NAME = (rf"(?:{_FONTS})?(?:\{{\s*\\?[A-Za-z]+\s*\}}|\\[A-Za-z]+|[A-Za-z]){_SUB}")
_TR = re.compile(r"\\(?:mathrm|operatorname|text|rm)\s*\{\s*(?:tr|Tr|trace)\s*\}|\\tr(?![A-Za-z])|"
                 r"\\(?:mathrm|operatorname)\s*\{\s*det\s*\}")
_SKIP = re.compile(r"\\left|\\right|\\[Bb]igg?[lr]?|\\,|\\;|\\!|\\:|\\ |\\quad")
_TOKEN = re.compile(r"\\log|\\ln|\\det|\\frac|\\tfrac|\\dfrac|\\top|\\intercal|\\cdot|\\lVert|\\rVert|\\Vert|\\\||"
                    r"\\lvert|\\rvert|\\pi(?![A-Za-z])|\d+(?:\.\d+)?|[-+/^(){}\[\]|']")
_GREEK = {r"\alpha", r"\beta", r"\gamma", r"\delta", r"\epsilon", r"\varepsilon", r"\eta", r"\theta", r"\lambda",
          r"\Lambda", r"\mu", r"\nu", r"\xi", r"\rho", r"\sigma", r"\Sigma", r"\tau", r"\phi", r"\Phi", r"\psi",
          r"\omega", r"\Omega", r"\Gamma", r"\Theta", r"\Psi", r"\kappa", r"\zeta", r"\chi"}
_HEAD = re.compile(r"^(?:\\mathrm\{KL\}|\\text\{KL\}|\\operatorname\{KL\}|KL|\\mathbb\{KL\}|"
                   r"D_\{?\s*(?:\\(?:mathrm|text|rm)\s*\{?)?\s*KL\s*\}?\s*\}?)\s*(?:\\left|\\big|\\Big)?\s*[(\[]")
_NORMAL = re.compile(r"^\\mathcal\s*\{?\s*N\s*\}?\s*(?:\\left\s*)?\(")
_LOG = re.compile(r"^\\(?:log|ln)\s*")
_SIZE_LETTERS = {"d", "k", "D", "K", "n"}


class NotRead(Exception):
    """Something the reader does not know."""


def key(name: str) -> str:
    """A name with its fonts, braces and spaces dropped: ``\\boldsymbol{\\mu}_{1}`` -> ``\\mu_1``."""
    name = re.sub(_FONTS, "", name)
    return re.sub(r"[{}\s]", "", name)


def _tokens(text: str) -> list:
    out, i = [], 0
    text = text.strip().rstrip(".,;")
    while i < len(text):
        if text[i].isspace():
            i += 1
            continue
        m = _SKIP.match(text, i)
        if m:
            i = m.end()
            continue
        m = _TR.match(text, i)
        if m:
            out.append(("det",) if "det" in m.group(0) else ("tr",))
            i = m.end()
            continue
        m = _TOKEN.match(text, i)
        if m and not (m.group(0) in (r"\log", r"\ln", r"\det", r"\pi") and re.match(r"[A-Za-z]", text[m.end():][:1])):
            t = m.group(0)
            t = {r"\ln": r"\log", r"\tfrac": r"\frac", r"\dfrac": r"\frac", r"\lVert": "‖", r"\rVert": "‖",
                 r"\Vert": "‖", r"\|": "‖", r"\lvert": "|", r"\rvert": "|", r"\intercal": r"\top"}.get(t, t)
            out.append(("op", t))
            i = m.end()
            continue
        m = re.compile(_NAME).match(text, i)
        if m:
            raw = m.group(0)
            bare = key(raw)
            letter = re.sub(r"_.*$", "", bare)
            if letter.startswith("\\") and letter not in _GREEK:
                raise NotRead(f"cannot read {raw}")
            out.append(("name", bare))
            i = m.end()
            continue
        raise NotRead(f"cannot read {text[i:i + 12]!r}")
    return out


class _Parser:
    """sum := term (± term)*; term := factor ((\\cdot|/)? factor)*; factor := atom (^exp | ')*."""

    def __init__(self, tokens):
        self.t, self.i = tokens, 0
        self.names = set()
        self.bars = 0  # open |...| and \|...\| around the token read

    def peek(self):
        return self.t[self.i] if self.i < len(self.t) else None

    def take(self, expected=None):
        tok = self.peek()
        if tok is None or (expected is not None and tok != ("op", expected)):
            raise NotRead(f"expected {expected}")
        self.i += 1
        return tok

    def parse(self):
        node = self.sum()
        if self.peek() is not None:
            raise NotRead("trailing tokens")
        return node

    def sum(self):
        node = ("num", sympy.Integer(0)) if self.peek() in (("op", "-"), ("op", "+")) else self.term()
        while self.peek() in (("op", "-"), ("op", "+")):
            op = self.take()[1]
            right = self.term()
            node = ("add", node, right if op == "+" else ("neg", right))
        return node

    def _ends(self, tok) -> bool:
        if tok in (("op", "|"), ("op", "‖")):
            return self.bars > 0  # a bar closes only inside one; otherwise it opens a factor
        return tok is None or tok in (("op", "+"), ("op", "-"), ("op", ")"), ("op", "]"), ("op", "}"))

    def term(self, stop_at_log=False):
        node = self.factor()
        while True:
            tok = self.peek()
            if tok == ("op", r"\cdot"):
                self.take()
                node = ("mul", node, self.factor())
            elif tok == ("op", "/"):
                self.take()
                node = ("div", node, self.factor())
            elif self._ends(tok) or (stop_at_log and tok == ("op", r"\log")):
                return node
            else:
                node = ("mul", node, self.factor())

    def factor(self):
        node = self.atom()
        while self.peek() in (("op", "^"), ("op", "'")):
            if self.take()[1] == "'":
                node = ("T", node)
                continue
            exp = self.exponent()
            if exp in (r"\top", "T"):
                node = ("T", node)
            elif re.fullmatch(r"-?\d+", exp):
                node = ("pow", node, int(exp))
            else:
                raise NotRead(f"exponent {exp}")
        return node

    def exponent(self) -> str:
        tok = self.take()
        if tok == ("op", "{"):
            parts = []
            while self.peek() != ("op", "}"):
                parts.append(self.take()[1])
            self.take("}")
            return "".join(parts)
        if tok == ("op", "-"):
            return "-" + self.take()[1]
        return tok[1]

    def atom(self):
        tok = self.take()
        if tok in (("op", "("), ("op", "["), ("op", "{")):
            node = self.sum()
            self.take({"(": ")", "[": "]", "{": "}"}[tok[1]])
            return node
        if tok == ("op", r"\frac"):
            if self.peek() and self.peek()[0] == "op" and re.fullmatch(r"\d\d", self.peek()[1]):  # \frac12
                digits = self.take()[1]
                return ("div", ("num", sympy.Integer(digits[0])), ("num", sympy.Integer(digits[1])))
            return ("div", self.atom(), self.atom())
        if tok in (("tr",), ("det",), ("op", r"\det")):
            kind = "tr" if tok == ("tr",) else "det"
            return (kind, self.atom() if self.peek() in (("op", "("), ("op", "["), ("op", "{")) else self.factor())
        if tok == ("op", r"\log"):
            if self.peek() in (("op", "("), ("op", "["), ("op", "{")):
                return ("log", self.factor())
            return ("log", self.term(stop_at_log=True))
        if tok in (("op", "|"), ("op", "‖")):  # |A| a determinant, ‖x‖ a norm
            self.bars += 1
            node = self.sum()
            self.take(tok[1])
            self.bars -= 1
            if tok[1] == "‖" and self.peek() == ("op", "_"):
                raise NotRead("a subscripted norm")
            return ("det" if tok[1] == "|" else "norm", node)
        if tok == ("op", r"\pi"):
            return ("num", sympy.pi)
        if tok[0] == "op" and re.fullmatch(r"\d+(?:\.\d+)?", tok[1]):
            return ("num", sympy.Rational(tok[1]))
        if tok[0] == "name":
            self.names.add(tok[1])
            return ("name", tok[1])
        raise NotRead(f"unexpected {tok}")


def read(text: str):
    """(tree, names) of a side; NotRead when it is not read."""
    parser = _Parser(_tokens(text))
    return parser.parse(), parser.names


def _scalar(v):
    if isinstance(v, sympy.MatrixBase):
        if v.shape != (1, 1):
            raise ValueError("a matrix where a number is meant")
        return v[0, 0]
    return v


def evaluate(node, env: dict):
    """The tree's value with names bound in ``env`` (sympy Matrices or scalars); ValueError on a shape mismatch."""
    kind = node[0]
    if kind == "num":
        return node[1]
    if kind == "name":
        if node[1] not in env:
            raise ValueError(f"no value for {node[1]}")
        return env[node[1]]
    a = evaluate(node[1], env)
    if kind == "neg":
        return -a
    if kind == "T":
        return a.T if isinstance(a, sympy.MatrixBase) else a
    if kind == "pow":
        if isinstance(a, sympy.MatrixBase) and a.shape[0] != a.shape[1]:
            if node[2] == 2:  # (x - mu)^2 of a vector: not a matrix power
                raise ValueError("a square of a vector")
            raise ValueError("a power of a non-square matrix")
        return a ** node[2]
    if kind == "tr":
        return a.trace() if isinstance(a, sympy.MatrixBase) else a
    if kind == "det":
        return a.det() if isinstance(a, sympy.MatrixBase) else sympy.Abs(a)
    if kind == "log":
        return sympy.log(_scalar(a))
    if kind == "norm":
        if isinstance(a, sympy.MatrixBase):
            if a.shape[1] != 1:
                raise ValueError("a norm of a matrix")
            return sympy.sqrt((a.T * a)[0, 0])
        return sympy.Abs(a)
    b = evaluate(node[2], env)
    if kind == "add":
        if isinstance(a, sympy.MatrixBase) != isinstance(b, sympy.MatrixBase):
            if isinstance(a, sympy.MatrixBase) and a.shape == (1, 1):
                a = a[0, 0]
            elif isinstance(b, sympy.MatrixBase) and b.shape == (1, 1):
                b = b[0, 0]
            else:
                raise ValueError("a matrix plus a number")
        return a + b
    if kind == "mul":
        if isinstance(a, sympy.MatrixBase) and isinstance(b, sympy.MatrixBase):
            if a.shape[1] != b.shape[0]:
                if a.shape == (1, 1):
                    return a[0, 0] * b
                if b.shape == (1, 1):
                    return a * b[0, 0]
                raise ValueError("shapes do not match")
        return a * b
    if kind == "div":
        return a / _scalar(b)
    raise ValueError(kind)


# --- the laws ------------------------------------------------------------------------------------------------

def _split_args(text: str, start: int):
    """The comma/semicolon-separated arguments of the bracket opened just before ``start``, or None."""
    depth, parts, cur = 0, [], start
    for j in range(start, len(text)):
        ch = text[j]
        if ch in "({[":
            depth += 1
        elif ch in ")}]":
            if depth == 0:
                parts.append(text[cur:j])
                return [p.strip() for p in parts], j + 1
            depth -= 1
        elif depth == 0 and (ch in ",;" or ch == "|" and not parts and not text[j - 1:j] == "\\"):
            parts.append(text[cur:j])
            cur = j + 1
    return None


def _normal(text: str):
    """(variable or None, mean, covariance) of ``\\mathcal N(...)`` written as the whole ``text``, else None."""
    text = re.sub(r"\\right\s*\)", ")", re.sub(r"\\left\s*\(", "(", text.strip()))
    m = _NORMAL.match(text)
    if not m:
        return None
    found = _split_args(text, m.end())
    if found is None or text[found[1]:].strip():
        return None
    args = found[0]
    if len(args) == 3:
        return args[0], args[1], args[2]
    if len(args) == 2:
        return None, args[0], args[1]
    return None


def _declared(name: str, prose: str, definitions: dict):
    """(mean, covariance) texts of the law the document gives ``name`` (``p_1 = \\mathcal N(..)``, ``p_1 \\sim``)."""
    target = key(re.sub(r"\s*\(.*$", "", name))
    laws = []
    for m in re.finditer(rf"({_NAME})\s*(?:\([^()$]*\))?\s*(?:=|\\sim)\s*(\\mathcal\s*\{{?\s*N\s*\}}?\s*\()", prose):
        if key(m.group(1)) != target:
            continue
        found = _split_args(prose, m.end())
        if found:
            laws.append(found[0][-2:] if len(found[0]) >= 2 else None)
    for symbol, value in definitions.items():
        if key(symbol.name) == target and getattr(value.func, "__name__", "") == r"\mathcal{N}[,]":
            laws.append([sympy.latex(a, symbol_names={s: s.name for s in a.free_symbols}) for a in value.args])
    laws = [tuple(key(t) for t in law) for law in laws if law]
    if len(set(laws)) != 1:
        return None  # none, or two different laws for one name: the role is not fixed
    return laws[0]


def _argument(text: str, prose: str, definitions: dict):
    written = _normal(text)
    if written is not None:
        return key(written[1]), key(written[2])
    if not re.fullmatch(rf"{_NAME}\s*(?:\([^()]*\))?", text.strip()):
        return None
    return _declared(text, prose, definitions)


def _kl_arguments(text: str):
    text = text.strip()
    m = _HEAD.match(text)
    if not m:
        return None
    inner = re.sub(r"\s*(?:\\right|\\big|\\Big)?\s*[)\]]$", "", text[m.end():])
    depth = 0
    for i, ch in enumerate(inner):
        depth += ch in "({[" and not (i and inner[i - 1] == "\\")
        depth -= ch in ")}]" and not (i and inner[i - 1] == "\\")
        if depth == 0:
            bar = re.compile(r"\\\||\\parallel|\\Vert|\|\||\\middle\s*\\\||\\mid\s*\\mid").match(inner, i)
            if bar:
                return _SKIP.sub(" ", inner[:i]).strip(), _SKIP.sub(" ", inner[bar.end():]).strip()
    return None


def _matrix_name(cov: str) -> bool:
    letter = re.sub(r"_.*$", "", cov)
    return bool(re.fullmatch(r"\\?[A-Z][A-Za-z]*", letter)) and letter not in (r"\sigma",)


def _dimension(names: set, prose: str) -> str | None:
    """The one size name: a size letter, or one the prose declares as the dimension."""
    if len(names) != 1:
        return None
    (name,) = names
    if name in _SIZE_LETTERS:
        return name
    said = re.search(rf"\${re.escape(name)}\$[\s-]*(?:dimension|dimensional)|\\mathbb\s*\{{?R\}}?\s*\^\s*\{{?\s*"
                     rf"{re.escape(name)}\s*\}}?", prose)
    return name if said else None


def _size_letter(prose: str) -> str | None:
    """The dimension's letter the prose declares (``\\mathbb R^{k}``, "in $k$ dimensions"), for the correct form."""
    m = re.search(r"\$([A-Za-z])\$[\s-]*(?:dimension|dimensional)|\\mathbb\s*\{?R\}?\s*\^\s*\{?\s*([A-Za-z])\b", prose)
    return (m.group(1) or m.group(2)) if m else None


def _spd(size: int, rng: random.Random) -> sympy.Matrix:
    L = sympy.Matrix(size, size, lambda i, j: rng.randint(-2, 2) if i > j else (rng.randint(1, 3) if i == j else 0))
    return L * L.T


def _vector(size: int, rng: random.Random) -> sympy.Matrix:
    return sympy.Matrix(size, 1, lambda i, j: rng.randint(-3, 3))


def _reference_kl(m1, S1, m2, S2):
    diff = m2 - m1
    size = S1.shape[0]
    return ((S2.inv() * S1).trace() + (diff.T * S2.inv() * diff)[0, 0] - size
            + sympy.log(S2.det() / S1.det())) / 2


def _show(M) -> str:
    if isinstance(M, sympy.MatrixBase) and M.shape == (1, 1):
        return sympy.latex(M[0, 0])
    return sympy.latex(M)


def _on_instances(tree, roles: dict, dim: str, reference) -> tuple | None:
    """The first size and instance at which the lecture's side differs from the reference, or None.
    ``roles``: name -> "mean1" | "cov1" | "mean2" | "cov2" | ...; the same name is one object."""
    rng = random.Random(75)
    for size in SIZES:
        for _ in range(2):
            objects = {}
            for name, role in roles.items():
                if name not in objects:
                    objects[name] = _spd(size, rng) if role.startswith("cov") else _vector(size, rng)
            env = dict(objects, **{dim: sympy.Integer(size)})
            by_role = {role: objects[name] for name, role in roles.items()}
            lecture = sympy.nsimplify(0) + _scalar(evaluate(tree, env))
            expected = reference(by_role)
            gap = sympy.N(lecture - expected, 30)
            if not gap.is_number or abs(gap) > sympy.Float("1e-20"):
                return size, objects, sympy.N(lecture, 30), sympy.N(expected, 30)
    return None


def _proved_at_two(tree, roles: tuple, dim: str) -> bool:
    """``roles``: (name, role) in the laws' order; a name in two roles is one object (the claim's second
    set to the first)."""
    from derivspec.core import target_of

    target = target_of(CLAIM)
    s = {x.name: x for x in target.free_symbols}

    def chol(p):
        L = sympy.Matrix([[s[p + "11"], 0], [s[p + "21"], s[p + "22"]]])
        return L * L.T
    made = {"mean1": sympy.Matrix([s["u1"], s["u2"]]), "mean2": sympy.Matrix([s["v1"], s["v2"]]),
            "cov1": chol("a"), "cov2": chol("b")}
    env, table = {dim: sympy.Integer(2)}, {}
    for name, role in roles:
        if name in env:  # one name in two roles (a shared covariance or mean): the claim's second made the first
            pairs = (("b11", "a11"), ("b21", "a21"), ("b22", "a22")) if role == "cov2" else (("v1", "u1"), ("v2", "u2"))
            table.update({s[p]: s[q] for p, q in pairs})
            continue
        env[name] = made[role]
    try:
        lecture = _scalar(evaluate(tree, env))
        expected = target.xreplace(table)
        gap = sympy.expand_log(sympy.logcombine(lecture - expected, force=True), force=True)
        return sympy.simplify(gap) == 0
    except Exception:
        return False


def _correct_kl(m1, S1, m2, S2, dim) -> str:
    return (rf"\frac{{1}}{{2}}\left[\mathrm{{tr}}({S2}^{{-1}}{S1}) + ({m2} - {m1})^\top {S2}^{{-1}}({m2} - {m1}) "
            rf"- {dim} + \log\frac{{|{S2}|}}{{|{S1}|}}\right]")


def _check_kl(left: Side, right: Side, context: Context, result):
    parsed = _kl_arguments(left.text)
    if parsed is None:
        return None
    prose = context.prose + " " + context.lead_in
    first = _argument(parsed[0], prose, context.definitions)
    second = _argument(parsed[1], prose, context.definitions)
    if first is None or second is None or not (_matrix_name(first[1]) and _matrix_name(second[1])):
        return None
    try:
        tree, names = read(right.text)
    except (NotRead, RecursionError):
        return None
    roles = {}
    for name, role in ((first[0], "mean1"), (first[1], "cov1"), (second[0], "mean2"), (second[1], "cov2")):
        roles.setdefault(name, role)
        if roles[name] != role and roles[name][:3] != role[:3]:
            return None
    laws_names = {first[0], first[1], second[0], second[1]}
    dim = _dimension(names - laws_names, prose) if names - laws_names else _size_letter(prose)
    if dim is None:
        if names - laws_names:
            return result("unchecked", f"a KL between Gaussians with names whose role is not fixed: "
                                       f"{', '.join(sorted(names - laws_names))}")
        dim = "d"  # no size written (a shared covariance's reduced form, or a dropped -d)
    m1, S1, m2, S2 = first[0], first[1], second[0], second[1]
    mapping = rf"first law \mathcal N({m1}, {S1}), second \mathcal N({m2}, {S2}), dimension {dim}"
    if dim not in names:
        mapping += " (not written; the name is the correct form's)"
    full = {}
    for name, role in ((m1, "mean1"), (S1, "cov1"), (m2, "mean2"), (S2, "cov2")):
        full.setdefault(name, role)  # a shared covariance or mean: one object under its first role

    def reference(by):
        return _reference_kl(by["mean1"], by["cov1"], by.get("mean2", by["mean1"]), by.get("cov2", by["cov1"]))
    try:
        bad = _on_instances(tree, full, dim, reference)
    except (ValueError, TypeError, ZeroDivisionError, sympy.SympifyError) as error:
        return result("unchecked", f"matches {CLAIM} ({mapping}) but the side is not evaluated: {error}")
    correct = _correct_kl(m1, S1, m2, S2, dim)
    if bad is not None:
        size, objects, got, want = bad
        shown = ", ".join(f"{n} = {_show(v)}" for n, v in objects.items())
        return result("disagrees", f"matches {CLAIM} ({mapping}) but differs at d = {size}: at {shown} the "
                                   f"statement gives {got} and the KL is {want}",
                      f"d = {size}: {shown}", correct)
    if not _proved_at_two(tree, ((m1, "mean1"), (S1, "cov1"), (m2, "mean2"), (S2, "cov2")), dim):
        return result("unchecked", f"matches {CLAIM} ({mapping}): holds for d = 1..5 on random instances, "
                                   f"not proved at d = 2")
    return result("proved", f"matches {CLAIM} ({mapping}): proved at d = 2 against the claim's target, holds "
                            f"for d = 1..5 on random instances")


# --- the log-density -------------------------------------------------------------------------------------------

def _isotropic(cov: str):
    """The scale's text of an isotropic covariance ``\\sigma^2 I`` (``\\sigma^2\\mathbf I``), else None."""
    m = re.fullmatch(rf"({_NAME})\s*\^\s*\{{?\s*2\s*\}}?\s*(?:\\cdot\s*)?(?:{_FONTS})?\{{?\s*I\s*\}}?(?:_\{{?\w+\}}?)?",
                     cov.strip())
    return key(m.group(1)) if m else None


def _reference_log_density(by):
    x, m, S = by["x"], by["mean"], by["cov"]
    size = S.shape[0]
    r = x - m
    return -sympy.Rational(size, 2) * sympy.log(2 * sympy.pi) - sympy.log(S.det()) / 2 - (r.T * S.inv() * r)[0, 0] / 2


def _check_log_density(left: Side, right: Side, context: Context):
    text = left.text.strip()
    m = _LOG.match(text)
    if not m:
        return None
    rest = text[m.end():]
    law = _normal(rest)
    prose = context.prose + " " + context.lead_in
    if law is None:
        named = re.fullmatch(rf"({_NAME})\s*\(\s*({_NAME})\s*\)", rest.strip())
        if not named:
            return None
        declared = None
        for d in re.finditer(rf"({_NAME})\s*\(\s*({_NAME})\s*\)\s*=\s*(\\mathcal\s*\{{?\s*N\s*\}}?\s*\()", prose):
            if key(d.group(1)) == key(named.group(1)):
                found = _split_args(prose, d.end())
                if found and len(found[0]) == 3 and key(found[0][0]) == key(d.group(2)):
                    declared = (found[0][1], found[0][2])
        if declared is None:
            return None
        variable, mean, cov = named.group(2), declared[0], declared[1]
    else:
        variable, mean, cov = law
        if variable is None:
            return None
    variable, mean = key(variable), key(mean)
    scale = _isotropic(cov)
    if scale is None and not _matrix_name(key(cov)):
        return None
    cov = key(cov)
    try:
        tree, names = read(right.text)
    except (NotRead, RecursionError):
        return None
    laws_names = {variable, mean} | ({scale, r"\pi"} if scale else {cov})
    dim = _dimension(names - laws_names, prose) if names - laws_names else (_size_letter(prose) or "d")
    result = known_result("=", left.text, right.text, DENSITY_CLAIM)
    if dim is None:
        return None
    shown_cov = f"{scale}^2 I" if scale else cov
    mapping = rf"\mathcal N({variable}; {mean}, {shown_cov}) in dimension {dim}"
    rng = random.Random(75)
    try:
        for size in SIZES:
            for _ in range(2):
                x, mu = _vector(size, rng), _vector(size, rng)
                if scale:
                    s = sympy.Rational(rng.randint(1, 5), rng.randint(1, 3))
                    env, S = {scale: s}, s ** 2 * sympy.eye(size)
                else:
                    S = _spd(size, rng)
                    env = {cov: S}
                env.update({variable: x, mean: mu, dim: sympy.Integer(size)})
                got = sympy.N(_scalar(evaluate(tree, env)), 30)
                want = sympy.N(_reference_log_density({"x": x, "mean": mu, "cov": S}), 30)
                if not got.is_number or abs(got - want) > sympy.Float("1e-20"):
                    shown = ", ".join(f"{n} = {_show(v)}" for n, v in env.items() if n != dim)
                    correct = (rf"-\frac{{{dim}}}{{2}}\log(2\pi {scale}^2) - \frac{{1}}{{2 {scale}^2}}\|{variable} - "
                               rf"{mean}\|^2" if scale else
                               rf"-\frac{{{dim}}}{{2}}\log 2\pi - \frac12\log|{cov}| - "
                               rf"\frac12({variable} - {mean})^\top {cov}^{{-1}}({variable} - {mean})")
                    return result("disagrees", f"the log of the Gaussian density ({mapping}) differs at "
                                               f"{dim} = {size}: at {shown} the statement gives {got} and log N is "
                                               f"{want}",
                                  f"{dim} = {size}: {shown}", correct)
    except (ValueError, TypeError, ZeroDivisionError) as error:
        return result("unchecked", f"the log of the Gaussian density ({mapping}): the side is not evaluated: {error}")
    if not _log_density_at_two(tree, variable, mean, cov, scale, dim):
        return result("unchecked", f"the log of the Gaussian density ({mapping}): holds for {dim} = 1..5 on random "
                                   f"instances, not proved at {dim} = 2")
    return result("proved", f"the log of the Gaussian density ({mapping}): proved at {dim} = 2 against the log of the "
                            f"density's definition, holds for {dim} = 1..5 on random instances")


def _log_density_at_two(tree, variable, mean, cov, scale, dim) -> bool:
    x = sympy.Matrix(sympy.symbols("x1 x2", real=True))
    mu = sympy.Matrix(sympy.symbols("m1 m2", real=True))
    if scale:
        s = sympy.Symbol("s", positive=True)
        S, env = s ** 2 * sympy.eye(2), {scale: s}
    else:
        a11, a22 = sympy.symbols("a11 a22", positive=True)
        a21 = sympy.Symbol("a21", real=True)
        L = sympy.Matrix([[a11, 0], [a21, a22]])
        S = L * L.T
        env = {cov: S}
    env.update({variable: x, mean: mu, dim: sympy.Integer(2)})
    r = x - mu
    density = sympy.exp(-(r.T * S.inv() * r)[0, 0] / 2) / (2 * sympy.pi * sympy.sqrt(S.det()))  # the definition
    try:
        gap = _scalar(evaluate(tree, env)) - sympy.log(density)
        gap = sympy.expand_log(sympy.expand(gap), force=True)
        return sympy.simplify(gap) == 0
    except Exception:
        return False


def check(left: Side, relation: str, right: Side, context: Context) -> StepResult | None:
    if relation != "=":
        return None
    found = _check_kl(left, right, context, known_result(relation, left.text, right.text, CLAIM))
    if found is not None:
        return found
    return _check_log_density(left, right, context)
