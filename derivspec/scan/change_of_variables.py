r"""The change-of-variables formula for a density, in the lecture's own notation.

A lecture states the density of a variable A at a through the density of B at b = h(a):

* ``p_X(x) = p_Z(z) \left|\det \frac{\partial z}{\partial x}\right|``, ``p(x) = p(z)\left|\det\frac{\partial f}
  {\partial z}\right|^{-1}`` (with x = f(z) in the text), ``p_Y(y) = p_X(g^{-1}(y))\left|\frac{d g^{-1}(y)}{dy}
  \right|``, ``q(z;\lambda) = \phi(h(z;\lambda))\abs{\det J_{h(z;\lambda)}}``, ``\phi(C^{-1}(z-\mu))\abs{\det
  C^{-1}}``, ``p_X(x) = p_\epsilon(h_1(h_2(x)))\abs{\det J_{h_1}(h_2(x))}\abs{\det J_{h_2}(x)}``;
* the log forms ``\log p(x) = \log p(z) - \log\left|\det\frac{\partial f}{\partial z}\right|`` and the sum over K
  composed layers ``\log p(x) = \log p(z_0) - \sum_{k=1}^K \log\left|\det \frac{\partial f_k}{\partial z_{k-1}}
  \right|`` (with z_k = f_k(z_{k-1}) in the text).

The statement is read structurally, in any letters: the left density's variable a, the base density's argument
(a variable b, a map applied to a -- composed maps are a chain of links a -> ... -> b -- or a linear map
``C^{-1}(a - \mu)``, ``\mu + C a``) and each Jacobian factor as the Jacobian of a map from one variable to
another. The direction comes from the Jacobian's variables (``\partial z/\partial x``: from x to z), from the
map applied in the base density's argument (``J_h`` where the argument is h(a)), or from a mapping the text
states (``x = f(z)``, ``z = f^{-1}(x)``, ``z_k = f_k(z_{k-1})``). Each factor counts +1 for the link it is the
Jacobian of (from A's side to B's) and -1 for the reverse; a ``^{-1}``, a denominator or a minus before its log
reverses the count. The derived general form (claim ``flow.change-of-variables.density``) is
p_A(a) = p_B(h(a)) |det J_h(a)|: every link counted exactly +1 unifies with it (``proved``); a link counted -1
or twice is the Jacobian of the wrong direction (``disagrees``, with the value as written and derived on a
concrete instance: each link h(u) = 2u + 1 -- 3u + 1, ... for a second link -- or a 2-D linear map, standard normal
base density); a link without a factor, a Jacobian whose direction cannot be determined (a function with no
stated mapping, J without subscript, the determinant of something unknown) or evaluated at another point is
``unchecked`` with the reason. Without the absolute value the form holds only for an increasing map (a positive
determinant): ``proved`` only when the text says the map is increasing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import sympy

from derivspec.core.numbers import fmt
from derivspec.scan.macros import closing
from derivspec.scan.reader import unwrap_decorations
from derivspec.scan.steps import Context, Side, StepResult, known_result
from derivspec.scan.notation import role_letters

CLAIM = "flow.change-of-variables.density"
RECOGNISED = {  # what this module reads (the recognisers page, derivspec/app/docs.py)
    CLAIM: r"a density of one variable through another's density and Jacobian factors, $p_A(a) = p_B(h(a))"
           r"\,|\det J_h(a)|$ and its log and layered forms, in any letters: the direction from the Jacobian's "
           r"variables, the map in the base density's argument or a mapping the text states",
}
DENSITY_NAMES = role_letters("density-name")  # a guess: derivspec/data/knowledge/notation.toml
_REPLACE = [
    (re.compile(r"\\(?:left|right|big|Big|bigg|Bigg)[lr]?\s*(\||\\vert|\\lvert|\\rvert)"), "|"),
    (re.compile(r"\\[lr]?vert\b"), "|"),
    (re.compile(r"\\(?:left|right|big|Big|bigg|Bigg)[lr]?\s*([()\[\]])"), r"\1"),
    (re.compile(r"\\(?:left|right)\s*\."), " "),
    (re.compile(r"\\(?:operatorname|mathrm|text)\s*\{\s*det\s*\}"), r"\\det "),
    (re.compile(r"\\(?:operatorname|mathrm)\s*\{\s*d\s*\}"), "d"),
    (re.compile(r"\\(?:mathbf|boldsymbol|bm|mathrm|mathit|vec|symbf|pmb|mathsf)\b"), ""),
    (re.compile(r"\\[dt]frac\b"), r"\\frac"),
    (re.compile(r"\\ln\b"), r"\\log"),
    (re.compile(r"\\(?:,|;|:|!|quad|qquad|cdot|times|displaystyle)|~"), " "),
]
_COMMAND = re.compile(r"\\[A-Za-z]+|\\.|\\", re.DOTALL)  # a lone backslash at the end too
OPERATORS = frozenset({r"\det", r"\log", r"\frac", r"\sum", r"\prod", r"\exp", r"\partial", r"\nabla", r"\int",
                       r"\mid", r"\sqrt", r"\max", r"\min", r"\mathbb", r"\mathcal", r"\hat", r"\tilde", r"\bar"})
_INCREASING = re.compile(r"increasing|monoton\w* increas|orientation[- ]preserving|positive (?:jacobian|determinant)",
                         re.IGNORECASE)


class NotRead(Exception):
    """Recognised, but a part is not read: unchecked, with this reason."""


# --- tokens ---------------------------------------------------------------------------------------------------------

def normalise(text: str) -> str:
    text = unwrap_decorations(text)
    for pattern, replacement in _REPLACE:
        text = pattern.sub(replacement, text)
    return text


def tokens(text: str) -> list[str]:
    """Commands, ``{...}`` groups (kept whole), single characters; spaces dropped."""
    out, i = [], 0
    while i < len(text):
        c = text[i]
        if c.isspace():
            i += 1
        elif c == "\\":
            m = _COMMAND.match(text, i)
            out.append(m.group(0))
            i = m.end()
        elif c == "{":
            j = closing(text, i)
            j = j if j >= 0 else len(text)
            out.append(text[i:j + 1])
            i = j + 1
        else:
            out.append(c)
            i += 1
    return out


def inner(token: str) -> list[str]:
    return tokens(token[1:-1]) if token.startswith("{") else [token]


def key(toks) -> str:
    """A name or expression as a comparable string: fonts, braces around one character and spaces dropped."""
    text = "".join(toks) if isinstance(toks, list) else toks
    text = normalise(text)
    text = re.sub(r"\s+", "", text)
    for _ in range(3):
        text = re.sub(r"\{([^{}]*)\}", lambda m: m.group(1) if len(m.group(1)) <= 1 or m.group(1).startswith("\\")
                      and re.fullmatch(r"\\[A-Za-z]+", m.group(1)) else "⟨" + m.group(1) + "⟩", text)
    text = text.replace("⟨", "{").replace("⟩", "}")
    if text.startswith("{") and text.endswith("}") and closing(text, 0) == len(text) - 1:
        text = text[1:-1]
    return text


# --- atoms --------------------------------------------------------------------------------------------------------

@dataclass
class Name:
    base: str
    sub: str = ""
    sup: str = ""

    @property
    def inverse(self) -> bool:
        return key(self.sup) == "-1"

    def text(self, inverse: bool | None = None) -> str:
        sup = self.sup if inverse is None else ("{-1}" if inverse else "")
        return self.base + (f"_{self.sub}" if self.sub else "") + (f"^{sup}" if sup else "")

    @property
    def map_key(self) -> str:
        """The map's name without its inverse mark: h, h_1, f_k."""
        return key(self.base + (f"_{{{key(self.sub)}}}" if self.sub else ""))


@dataclass
class App:
    name: Name
    args: list  # tokens inside the brackets, or None for a bare name
    power: str = ""

    @property
    def first(self) -> list:
        """The first argument (before ; , or |)."""
        out, depth = [], 0
        for t in self.args or []:
            if t in "([":
                depth += 1
            elif t in ")]":
                depth -= 1
            if depth == 0 and t in (";", ",", "|", r"\mid"):
                break
            out.append(t)
        return out


@dataclass
class Abs:
    inside: list
    power: str = ""


@dataclass
class Det:
    of: object


@dataclass
class Deriv:
    num: list
    den: list
    partial: bool


@dataclass
class Frac:
    num: list
    den: list


def _scripts(toks, i):
    sub = sup = ""
    while i + 1 < len(toks) and toks[i] in ("_", "^"):
        if toks[i] == "_" and not sub:
            sub = toks[i + 1]
        elif toks[i] == "^" and not sup:
            sup = toks[i + 1]
        else:
            break
        i += 2
    return sub, sup, i


def atoms(toks: list[str]) -> list:
    """A product read into atoms; NotRead when a part is not one of them."""
    out, i = [], 0
    while i < len(toks):
        t = toks[i]
        if t.startswith("{"):
            group = atoms(inner(t))
            i += 1
            if i + 1 < len(toks) and toks[i] == "^" and len(group) == 1 and isinstance(group[0], Abs) \
                    and not group[0].power:  # {\left|...\right|}^{-1}: \abs{...}^{-1} expanded
                group[0].power, i = toks[i + 1], i + 2
            out.extend(group)
        elif t == "|":
            j = toks.index("|", i + 1) if "|" in toks[i + 1:] else -1
            if j < 0:
                raise NotRead("an unmatched |")
            power, inside = "", toks[i + 1:j]
            if j + 2 < len(toks) and toks[j + 1] == "^":
                power, j = toks[j + 2], j + 2
            out.append(Abs(inside, power))
            i = j + 1
        elif t == r"\det":
            rest = atoms(toks[i + 1:])
            if not rest:
                raise NotRead("a determinant of nothing")
            out.append(Det(rest[0]))
            out.extend(rest[1:])
            return out
        elif t == r"\frac" and i + 2 < len(toks):
            num, den = inner(toks[i + 1]), inner(toks[i + 2])
            i += 3
            if num and den and num[0] in (r"\partial", "d") and den[0] in (r"\partial", "d"):
                out.append(Deriv(num[1:], den[1:], num[0] == r"\partial"))
            else:
                out.append(Frac(num, den))
        elif re.fullmatch(r"[A-Za-z]|\\[A-Za-z]+", t) and t not in OPERATORS:
            sub, sup, j = _scripts(toks, i + 1)
            name = Name(t, sub, sup)
            args = None
            if j < len(toks) and toks[j] == "(":
                end = closing(toks, j, ("(",), (")",))
                if end < 0:
                    raise NotRead("an unmatched bracket")
                args, j = toks[j + 1:end], end + 1
                _, power, j2 = _scripts(toks, j)
                if power and not _:
                    out.append(App(name, args, power))
                    i = j2
                    continue
            out.append(App(name, args))
            i = j
        elif t == "(":
            end = closing(toks, i, ("(",), (")",))
            if end < 0:
                raise NotRead("an unmatched bracket")
            out.append(("group", toks[i + 1:end]))
            i = end + 1
        else:
            raise NotRead(f"the factor {t} is not read")
    return out


def signed_terms(toks: list[str]) -> list[tuple[int, list[str]]]:
    """Top-level terms with their signs (+1/-1)."""
    terms, sign, current, depth = [], 1, [], 0
    for t in toks:
        depth += {"(": 1, "[": 1, ")": -1, "]": -1}.get(t, 0)
        if depth:
            current.append(t)
        elif t in ("+", "-") and current:
            terms.append((sign, current))
            sign, current = (1 if t == "+" else -1), []
        elif t in ("+", "-"):
            sign = sign * (1 if t == "+" else -1)
        else:
            current.append(t)
    if current:
        terms.append((sign, current))
    return terms


# --- the statement's parts ------------------------------------------------------------------------------------------

@dataclass
class Link:
    start: str  # key of the variable or expression the link maps from (A's side)
    end: str  # key of what it maps to (B's side)
    map: str = ""  # the map's key (h, h_1, matrix:C) or "" when not named in the statement
    inverse: bool = False  # the map named is the inverse of the link's direction (g^{-1} applied: inverse False)
    count: int = 0
    factors: list = field(default_factory=list)  # indices of the factors counted on it
    dimension: int = 1  # 2 for a linear map written with a matrix
    shown: str = ""  # the map as written


@dataclass
class Factor:
    text: str
    power: int  # +1, or -1 when in a denominator, under ^{-1} or after a minus before its log
    designator: tuple  # ("vars", from, to) | ("map", key, inverse, point or None) | ("sum", ...)
    absolute: bool


def is_density(app) -> bool:
    return isinstance(app, App) and app.args is not None and app.name.base in DENSITY_NAMES and not app.power \
        and not any(t in ("|", r"\mid") for t in app.args) and not app.name.sup


def _variable(toks: list[str]) -> str | None:
    """The key of a lone variable (x, z_0, \\epsilon^{(1)}, \\mathbf z), else None."""
    try:
        read = atoms(toks)
    except NotRead:
        return None
    if len(read) == 1 and isinstance(read[0], App) and read[0].args is None and read[0].name.base not in OPERATORS \
            and not read[0].name.inverse:
        return key(toks)
    return None


def read_chain(argument: list[str], start: str) -> list[Link]:
    """The links from the variable ``start`` to the base density's argument."""
    arg_key = key(argument)
    if arg_key == start:
        raise NotRead("the base density is at the same point")
    variable = _variable(argument)
    if variable is not None:
        return [Link(start, variable)]
    linear = _linear(argument, start)
    if linear is not None:
        return [linear]
    read = atoms(argument)
    if len(read) == 1 and isinstance(read[0], App) and read[0].args is not None:
        app = read[0]
        inside = app.first
        links = [] if key(inside) == start else read_chain(inside, start)
        return links + [Link(key(inside), arg_key, app.name.map_key, app.name.inverse, shown=app.name.text())]
    raise NotRead(f"the base density's argument {''.join(argument)} is not read as a map of {start}")


_MATRIX = r"([A-Z])(?:\^\{?(-1)\}?)?"


def _linear(argument: list[str], start: str) -> Link | None:
    r"""``C^{-1}(a - \mu)``, ``C^{-1}a``, ``\mu + Ca``, ``Ca + \mu``, ``Ca``: a link with the matrix C."""
    text = key(argument)
    s = re.escape(start)
    for pattern in (rf"{_MATRIX}\(({s})(?:[-+][^()]+)?\)", rf"{_MATRIX}({s})", rf"[^()]+\+{_MATRIX}({s})",
                    rf"{_MATRIX}({s})[-+][^()]+"):
        m = re.fullmatch(pattern, text)
        if m:
            return Link(start, text, f"matrix:{m.group(1)}", bool(m.group(2)), dimension=2,
                        shown=m.group(1) + ("^{-1}" if m.group(2) else ""))
    return None


def read_designator(inside: list[str]) -> tuple:
    """The Jacobian an absolute value (or a bare determinant) holds."""
    read = atoms(inside)
    if len(read) != 1:
        raise NotRead(f"the absolute value of {''.join(inside)} is not a Jacobian determinant")
    item = read[0]
    if isinstance(item, Det):
        item = item.of
    elif not isinstance(item, Deriv):
        raise NotRead(f"the absolute value of {''.join(inside)} is not a Jacobian determinant")
    return designator(item)


def designator(item) -> tuple:
    if isinstance(item, Deriv):
        den = _variable(item.den)
        if den is None:
            raise NotRead("a derivative by something other than a variable")
        num = _variable(item.num)
        if num is not None:
            return ("vars", den, num)
        read = atoms(item.num)
        if len(read) == 1 and isinstance(read[0], App):
            app = read[0]
            point = key(app.first) if app.args is not None else den
            if point != den:
                raise NotRead("a derivative of a map at another point than its variable")
            return ("map", app.name.map_key, app.name.inverse, den, app.name.text())
        raise NotRead("a derivative of an expression")
    if isinstance(item, App) and item.name.base == "J":
        if not item.name.sub or item.power:
            raise NotRead("J without the map it is the Jacobian of")
        sub = atoms(inner(item.name.sub) if item.name.sub.startswith("{") else [item.name.sub])
        if len(sub) != 1 or not isinstance(sub[0], App):
            raise NotRead("the Jacobian of something unknown")
        of = sub[0]
        point = key(item.args) if item.args is not None else (key(of.first) if of.args is not None else None)
        if item.args is not None and of.args is not None:
            raise NotRead("the Jacobian's point written twice")
        if item.name.sup:
            raise NotRead("a power of a Jacobian inside the determinant")
        return ("map", of.name.map_key, of.name.inverse, point, of.name.text())
    if isinstance(item, App) and item.args is None and re.fullmatch(r"[A-Z]", item.name.base) and not item.name.sub:
        if item.name.sup and not item.name.inverse:
            raise NotRead("a power of a matrix")
        return ("map", f"matrix:{item.name.base}", item.name.inverse, None, item.name.text())
    raise NotRead("the determinant of something unknown")


def _power(text: str) -> int:
    p = key(text) if text else ""
    if p in ("", "1"):
        return 1
    if p == "-1":
        return -1
    raise NotRead(f"a power {text} of a Jacobian factor")


# --- mappings the text states -------------------------------------------------------------------------------------

_MAPPING = re.compile(r"(?P<out>(?:\\[A-Za-z]+|[A-Za-z])(?:_\{[^{}$]*\}|_[A-Za-z0-9])?(?:\^\{\([^{}$]*\)\})?)\s*"
                      r"(?::?=|\\coloneqq)\s*"
                      r"(?P<map>(?:\\[A-Za-z]+|[A-Za-z])(?:_\{[^{}$]*\}|_[A-Za-z0-9])?(?:\^\{?-1\}?)?"
                      r"(?:_\{[^{}$]*\}|_[A-Za-z0-9])?)\s*(?:\\left)?\(\s*"
                      r"(?P<in>(?:\\[A-Za-z]+|[A-Za-z])(?:_\{[^{}$]*\}|_[A-Za-z0-9])?(?:\^\{\([^{}$]*\)\})?)"
                      r"\s*(?:;[^()$]*)?(?:\\right)?\)")
_UNBRACED = re.compile(r"(?<![A-Za-z])\{\s*(\\[A-Za-z]+|[A-Za-z])\s*\}")  # a font's argument left braced
_EQUAL = re.compile(r"(?P<a>[A-Za-z])\s*=\s*(?P<b>[A-Za-z]_\{?[A-Za-z]\}?)(?![_^\w(])")


def document_maps(text: str) -> tuple:
    """(out, map key, inverse, in) for each ``out = F(in)`` the text states (``x = f(z)``, ``z = f^{-1}(x)``,
    ``z_k = f_k(z_{k-1})``), and ("=", a, b) for ``x = z_K``."""
    text = _UNBRACED.sub(r"\1", normalise(text))  # \mathbf{x} = f(\mathbf{z}): {x} = f({z}) read as x = f(z)
    found = []
    for m in _MAPPING.finditer(text):
        try:
            name = atoms(tokens(m.group("map")))
        except NotRead:
            continue
        if len(name) != 1 or not isinstance(name[0], App) or name[0].name.base in OPERATORS | {"J"} \
                or name[0].name.base in DENSITY_NAMES - {"f"}:
            continue
        out, into = key(m.group("out")), key(m.group("in"))
        if out != into:
            found.append((out, name[0].name.map_key, name[0].name.inverse, into))
    found += [("=", key(m.group("a")), key(m.group("b"))) for m in _EQUAL.finditer(text)]
    return tuple(dict.fromkeys(found))


def _facts(context: Context) -> tuple:
    local = document_maps(context.prose + " $" + context.statement + "$")
    return tuple(dict.fromkeys(local + tuple(getattr(context, "change_of_variables_maps", ()) or ())))


# --- reading the statement --------------------------------------------------------------------------------------------

def read_left(text: str) -> tuple[bool, App] | None:
    toks = tokens(normalise(text))
    log = bool(toks) and toks[0] == r"\log"
    try:
        read = atoms(toks[1:] if log else toks)
    except NotRead:
        return None
    if len(read) != 1 or not is_density(read[0]) or _variable(read[0].first) is None:
        return None
    return log, read[0]


def _factor(item, power: int) -> Factor | None:
    """A Jacobian factor (None for something else)."""
    if isinstance(item, Abs):
        toks = item.inside
        if not toks or toks[0] not in (r"\det", r"\frac") and not (toks[0].startswith("{") and inner(toks[0])
                                                                 and inner(toks[0])[0] in (r"\det", r"\frac")):
            return None
        inside = inner(toks[0]) if len(toks) == 1 and toks[0].startswith("{") else toks
        return Factor(_join(inside), power * _power(item.power), _designator(read_designator, inside), True)
    if isinstance(item, Det):
        return Factor(r"\det " + _shown(item.of), power, _designator(designator, item.of), False)
    if isinstance(item, Deriv):
        return Factor(_shown(item), power, _designator(designator, item), False)
    return None


def _designator(read, item) -> tuple:
    try:
        return read(item)
    except NotRead as why:
        return ("unread", str(why))


def _join(toks: list[str]) -> str:
    """Tokens as LaTeX: a space only after a command that a letter follows."""
    out = ""
    for t in toks:
        if out and re.search(r"\\[A-Za-z]+$", out) and re.match(r"[A-Za-z]", t):
            out += " "
        out += t
    return out


def _shown(item) -> str:
    if isinstance(item, Deriv):
        d = r"\partial " if item.partial else "d "
        return rf"\frac{{{d}{_join(item.num)}}}{{{d}{_join(item.den)}}}"
    if isinstance(item, App):
        return item.name.text() + (f"({_join(item.args)})" if item.args is not None else "")
    return str(item)


def read_right(text: str, log: bool) -> tuple[App | None, list, tuple | None]:
    """(the base density, the Jacobian factors, the layers' sum) -- NotRead for a part that is neither."""
    toks = tokens(normalise(text))
    bases, factors, layers = [], [], None
    if not log:
        terms = signed_terms(toks)
        if len(terms) != 1 or terms[0][0] != 1:
            return None, [], None

        def product(items, power):
            for item in items:
                if isinstance(item, Frac):
                    product(atoms(item.num), power)
                    product(atoms(item.den), -power)
                elif is_density(item) and power == 1:
                    bases.append(item)
                else:
                    found = _factor(item, power)
                    if found is None:
                        raise NotRead(f"the factor {_shown(item)} is not read")
                    factors.append(found)
        product(atoms(toks), 1)
        return (bases[0] if len(bases) == 1 else None), factors, None
    for sign, term in signed_terms(toks):
        if term[0] == r"\sum" and len(term) > 5 and term[1] == "_" and term[3] == "^":
            m = re.fullmatch(r"([a-z])=(\d)", key(inner(term[2])))
            if not m or term[5] != r"\log" or layers is not None:
                raise NotRead("a sum that is not over the layers")
            layers = (m.group(1), int(m.group(2)), key(inner(term[4])))
            rest = atoms(term[6:])
            if len(rest) != 1 or _factor(rest[0], sign) is None:
                raise NotRead("a sum of something other than log-determinants")
            f = _factor(rest[0], sign)
            f.designator = ("layers",) + f.designator
            factors.append(f)
            continue
        if term[0] != r"\log":
            raise NotRead(f"the term {' '.join(term)} is not a log")
        rest = atoms(term[1:])
        if len(rest) != 1:
            raise NotRead(f"the term {' '.join(term)} is not read")
        if is_density(rest[0]) and sign == 1:
            bases.append(rest[0])
            continue
        found = _factor(rest[0], sign)
        if found is None:
            raise NotRead(f"the term {' '.join(term)} is not read")
        factors.append(found)
    return (bases[0] if len(bases) == 1 else None), factors, layers


def _resolve(chain: list[Link], facts: tuple, a: str, b: str) -> None:
    """A link between two variables gets its map from a mapping the text states."""
    for link in chain:
        if link.map:
            continue
        for fact in facts:
            if fact[0] == "=":
                continue
            out, name, inverse, into = fact
            if out == link.end and into == link.start:
                link.map, link.inverse, link.shown = name, inverse, name + ("^{-1}" if inverse else "")
            elif out == link.start and into == link.end:
                link.map, link.inverse, link.shown = name, not inverse, name + ("" if inverse else "^{-1}")


def _count(factor: Factor, chain: list[Link], facts: tuple, layers) -> tuple[Link, int]:
    """The link a factor is the Jacobian of, and +1 (from A's side to B's) or -1 (the reverse)."""
    d = factor.designator
    if d[0] == "unread" or d[:2] == ("layers", "unread"):
        raise NotRead(d[-1])
    if d[0] == "layers":
        if len(chain) != 1 or layers is None:
            raise NotRead("a sum over layers of a chain not read")
        k, low, high = layers
        link = chain[0]
        up, down = key(f"z_{{{k}}}"), key(f"z_{{{k}-1}}")
        base = re.fullmatch(r"(\\?[A-Za-z]+)_\{?(\d+)\}?", link.end)
        if not base or int(base.group(2)) != low - 1:
            raise NotRead("the base density is not at the first layer's input")
        z = base.group(1)
        up, down = key(f"{z}_{{{k}}}"), key(f"{z}_{{{k}-1}}")
        top = key(f"{z}_{{{high}}}")
        if d[1] == "vars" and {d[2], d[3]} != {up, down}:  # \partial f_k / \partial z_{k-1}: the map f_k
            d = ("layers", "map", d[3], False, d[2], d[3])
        if link.start != top and ("=", link.start, top) not in facts:
            raise NotRead(f"nothing says that {link.start} is {top}")
        if d[1] == "vars":
            pair = (d[2], d[3])
            direction = 1 if pair == (up, down) else -1 if pair == (down, up) else 0
        else:
            _, _, name, inverse, point, _ = d
            direction = 0
            for fact in facts:
                if fact[0] != "=" and fact[1] == name and {fact[0], fact[3]} == {up, down}:
                    forward = (fact[3], fact[0]) == (up, down)  # the map goes from z_k to z_{k-1}
                    forward = forward != inverse
                    expected = up if forward else down
                    if point is not None and point != expected:
                        raise NotRead("a layer's Jacobian at another point")
                    direction = 1 if forward else -1
        if not direction:
            raise NotRead("the layers' maps have no stated mapping (z_k = f_k(z_{k-1}))")
        link.shown = link.shown or "layers"
        return link, direction
    if d[0] == "vars":
        _, start, end = d
        for link in chain:
            if (link.start, link.end) == (start, end):
                return link, 1
            if (link.start, link.end) == (end, start):
                return link, -1
        if any(link.map == end for link in chain):  # \partial f / \partial z: the map f at z
            return _count(Factor(factor.text, factor.power, ("map", end, False, start, end), factor.absolute),
                          chain, facts, layers)
        raise NotRead(f"the Jacobian of {start} -> {end} is not of the statement's map")
    _, name, inverse, point, shown = d
    for link in chain:
        if link.map == name:
            forward = link.inverse == inverse
            expected = link.start if forward else link.end
            if point is not None and point != expected:
                raise NotRead(f"the Jacobian of {shown} is evaluated at {point}, not at {expected}")
            return link, (1 if forward else -1)
    if name.startswith("matrix:"):
        raise NotRead(f"the determinant of {shown}, a matrix the map does not have")
    raise NotRead(f"the map {shown} has no stated mapping between the statement's variables")


def check(left_side: Side, relation: str, right_side: Side, context: Context) -> StepResult | None:
    """The statement judged as the change-of-variables formula; None when it is not one."""
    if relation != "=":
        return None
    found = read_left(left_side.text)
    if found is None:
        return None
    log, left = found
    try:
        base, factors, layers = read_right(right_side.text, log)
    except NotRead:
        return None
    if base is None or not factors:
        return None

    result = known_result(relation, left_side.text, right_side.text, CLAIM)

    a = key(left.first)
    facts = _facts(context)
    try:
        chain = read_chain(base.first, a)
        _resolve(chain, facts, a, key(base.first))
        for factor in factors:
            link, direction = _count(factor, chain, facts, layers)
            link.count += direction * factor.power
            link.factors.append((factor, direction))
    except NotRead as why:
        return result("unchecked", f"has the shape of the change-of-variables formula ({CLAIM}), but {why}")
    reading = _reading(chain, left, base)
    missing = [link for link in chain if link.count == 0]
    wrong = [link for link in chain if link.count not in (0, 1)]
    if missing:
        return result("unchecked", f"recognised as {CLAIM}, but no Jacobian factor is read for the map "
                                   f"{missing[0].start} -> {missing[0].end}{reading}")
    if wrong:
        evidence = counterexample(chain, log, left, base, layers)
        return result("disagrees", f"disagrees with {CLAIM} (the density of A at a is the density of B at h(a) times "
                                   f"|det J_h(a)|, J_h the Jacobian of the map from A to B): the Jacobian of "
                                   f"{wrong[0].start} -> {wrong[0].end} counts {wrong[0].count:+d} instead of +1 "
                                   f"(the Jacobian of the wrong direction){reading}",
                      evidence, correct(chain, log, left, base, right_side.text, layers))
    if not all(f.absolute for f in factors):
        said = _INCREASING.search(context.prose + " " + context.statement)
        if not said:
            return result("unchecked", f"recognised as {CLAIM}: the Jacobian has the right direction but no absolute "
                                       "value, which holds only for an increasing map and nothing says the map "
                                       f"increases{reading}")
        reading = f" (no |.|: the text says '{said.group(0)}')" + reading
    checked = counterexample(chain, log, left, base, layers) is None
    return result("proved", f"matches {CLAIM}: unifies with the derived general form p_A(a) = p_B(h(a)) |det J_h(a)| "
                            f"-- every map from {a} to {key(base.first)} has its Jacobian once, in that direction"
                            + ("; equal on a concrete instance" if checked else "") + reading)


def _reading(chain: list[Link], left: App, base: App) -> str:
    shown = [(f"{link.shown} " if link.shown else "") + f"from {link.start} to {link.end}" for link in chain]
    return f" (reading {left.name.text()} as the density of A, {base.name.text()} of B; the map " \
           f"{', then '.join(shown)})"


# --- a concrete instance ---------------------------------------------------------------------------------------------

_MATRIX_VALUE = sympy.Matrix([[2, 1], [0, 1]])


def _instance_maps(chain: list[Link], layers):
    """Each link's map from A's side to B's, as a SymPy function of a vector, and how it is described."""
    dimension = 2 if any(link.dimension == 2 for link in chain) else 1
    maps, shown = [], []
    for i, link in enumerate(chain):
        if link.map.startswith("matrix:"):
            m = _MATRIX_VALUE.inv() if link.inverse else _MATRIX_VALUE
            maps.append(lambda u, m=m: m * u)
            shown.append(f"{link.map[7:]} = [[2, 1], [0, 1]] and a zero shift")
        elif layers is not None and link.shown == "layers":
            k, _, high = layers
            maps.append(lambda u: ((u - sympy.ones(*u.shape)) / 3 - sympy.ones(*u.shape)) / 2)
            shown.append(f"{high} = 2 layers, the k-th u -> (k+1)u + 1")
        else:
            c = i + 2
            maps.append(lambda u, c=c: c * u + sympy.ones(*u.shape))
            target = f"{link.shown}(u)" if link.shown else f"the map to {link.end}"
            shown.append(f"{target} = {c}u + 1")
    return dimension, maps, shown


def values(chain: list[Link], log: bool, layers, point=None) -> tuple[sympy.Expr, sympy.Expr, list, list]:
    """(as written, derived) at a point: the base density standard normal, each link's map of _instance_maps; the
    derived value from the CDF (1-D) or p_B(H(a)) |det J_H(a)| with SymPy's Jacobian (2-D)."""
    dimension, maps, shown = _instance_maps(chain, layers)
    symbols = sympy.symbols(f"a1:{dimension + 1}", real=True)
    u = sympy.Matrix(symbols)
    point = point or [sympy.Rational(1, 2), -sympy.Rational(1, 4)][:dimension]
    at = dict(zip(symbols, point))
    written = 1
    current = u
    for link, f in zip(chain, maps):
        nxt = f(current)
        det = nxt.jacobian(symbols).det() / current.jacobian(symbols).det()  # the link's own Jacobian determinant
        written *= sympy.Abs(det) ** link.count
        current = nxt
    normal = sympy.exp(-sum(c ** 2 for c in current) / 2) / (2 * sympy.pi) ** sympy.Rational(dimension, 2)
    if dimension == 1:
        cdf = (1 + sympy.erf(current[0] / sympy.sqrt(2))) / 2
        derived = sympy.diff(cdf, symbols[0])
        if sympy.diff(current[0], symbols[0]).xreplace(at) < 0:
            derived = -derived
    else:
        derived = normal * sympy.Abs(current.jacobian(symbols).det())
    written = normal * written
    if log:
        written, derived = sympy.log(written), sympy.log(derived)
    return sympy.simplify(written.xreplace(at)), sympy.simplify(derived.xreplace(at)), point, shown


def counterexample(chain, log, left, base, layers) -> str | None:
    written, derived, point, shown = values(chain, log, layers)
    if abs(sympy.N(written - derived, 30)) < 1e-20:
        return None
    a = chain[0].start
    at = f"{a} = {point[0]}" if len(point) == 1 else f"{a} = ({', '.join(map(str, point))})"
    what = r"\log " if log else ""
    return (f"with {'; '.join(shown)} and {base.name.text()} the standard normal density, at {at}: "
            f"{what}{left.name.text()} as written {fmt(float(written), '.6g')}, derived {fmt(float(derived), '.6g')}")


def correct(chain, log, left, base, right_text, layers) -> str:
    """The statement with each factor of a wrong link turned to the direction from A to B, in its own symbols."""
    parts = []
    for link in chain:
        for factor, direction in link.factors:
            power = factor.power if link.count == 1 else direction
            body = factor.text
            shown = (rf"\left|{body}\right|" if factor.absolute else body)
            if factor.designator[0] == "layers":
                k, low, high = layers
                shown = rf"\sum_{{{k}={low}}}^{{{high}}} \log{shown}"
            elif log:
                shown = rf"\log{shown}"
            parts.append((power, shown))
    base_text = _shown(base)
    if log:
        text = rf"\log {base_text}" + "".join((" + " if p > 0 else " - ") + s for p, s in parts)
    else:
        text = base_text + "".join(" " + s + ("" if p > 0 else "^{-1}") for p, s in parts)
    return _fonts_restored(text, right_text)


_FONT = re.compile(r"\\(mathbf|boldsymbol|bm|vec|symbf|mathsf)\s*(?:\{\s*([A-Za-z])\s*\}|([A-Za-z]))")


def _fonts_restored(text: str, written: str) -> str:
    """A letter the statement writes always in one font (``\\mathbf{z}``, ``\\mathbf z``), which normalise drops, in
    its font again; a letter written in two fonts or also bare stays as it is."""
    fonts: dict = {}
    for m in _FONT.finditer(written):
        fonts.setdefault(m.group(2) or m.group(3), set()).add(m.group(1))
    rest = _FONT.sub(" ", written)
    for letter, used in fonts.items():
        alone = re.compile(r"(?<![A-Za-z\\])(?:\{" + letter + r"\}|" + letter + r"(?![A-Za-z]))")
        if len(used) == 1 and not alone.search(rest):
            text = alone.sub(lambda _: rf"\{next(iter(used))}{{{letter}}}", text)
    return text
