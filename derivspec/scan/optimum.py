r"""Arg max and arg min statements: what a maximiser is, judged from the objective the document wrote.

* ``\hat\theta = \arg\max_\theta L(\theta)``: a definition (the left side names the maximiser).
* ``\arg\max_\theta F = \arg\max_\theta G``: the same maximisers when G is F up to a term free of
  theta, a positive factor, or a log (a strictly increasing map: arg max of a likelihood is the arg
  max of its log); ``\arg\min_\theta F = \arg\max_\theta (-F)``. Otherwise not decided -- two
  objectives can share their maximisers without any such relation, so this never flags.
* ``\arg\max_v F = c`` (c free of v): the first-order condition dF/dv = 0 at v = c (SymPy) and the
  sign of d²F/dv² there (negative for a maximum). A variable that is a function the objective
  applies pointwise (the optimal discriminator, arg max_D of ∫ p(x) log D(x) + q(x) log(1 - D(x)) dx)
  is optimised at each x: D(x) is one unknown, the integrand its objective (Goodfellow et al. 2014,
  Prop. 1). A flag needs the derivative at c to differ from zero at exact points, a stationary point
  elsewhere that SymPy finds, a smooth objective, and no domain or constraint on the variable.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import sympy

from derivspec.core import symbolic

_HEAD = (r"(?:\\arg\s*\\(?P<a>max|min)(?![A-Za-z])|\\(?P<b>argmax|argmin)(?![A-Za-z])|"
         r"\\(?:operatorname\*?|mathrm|textrm|text|mathop)\s*\{\s*(?:\\mathrm\s*\{)?\s*arg\s*(?:\\[,;!]|\\\s|~|\s)*"
         r"(?P<c>max|min)\s*\}?\s*\})")
_SUBSCRIPT = r"\s*(?:\\limits)?\s*_\s*(?P<var>\{(?:[^{}]|\{[^{}]*\})*\}|\\[A-Za-z]+|[A-Za-z])"
OPTIMUM = re.compile(r"^\s*" + _HEAD + _SUBSCRIPT + r"\s*(?P<objective>.+?)\s*$", re.S)
ANY_OPTIMUM = re.compile(_HEAD + r"|\\arg\s*_|arg\s*(?:max|min)\s*\}")
# a domain, a constraint or several variables: the optimum may sit on a boundary
_CONSTRAINED = re.compile(r"\\in(?![A-Za-z])|∈|\\le|\\ge|[<>≤≥,]|\\subset|\|")
_CONSTRAINT_PROSE = re.compile(r"subject\s+to|s\.\s?t\.|constrain|\\text\s*\{\s*s\.t\.|such\s+that", re.I)
_NONSMOOTH = (sympy.Abs, sympy.Max, sympy.Min, sympy.Piecewise, sympy.floor, sympy.ceiling, sympy.sign)


@dataclass(frozen=True)
class Optimum:
    kind: str  # "max" | "min"
    variable: str  # as written, without braces
    objective: str

    @property
    def sign(self) -> int:
        return 1 if self.kind == "max" else -1

    @property
    def constrained(self) -> bool:
        return bool(_CONSTRAINED.search(self.variable))


_TAKESHI = re.compile(r"\\arg\s*_\s*(\{[^{}]*\}|\\[A-Za-z]+|[A-Za-z])\s*\\(max|min)(?![A-Za-z])")  # \arg_a \max
# arg max spelled in letters with a space command between (``{ arg\,max}``, ``arg\,min``): the braces group it
_SPACED = re.compile(r"\{\s*arg\s*(?:\\[,;:!]|\\\s|~|\s)*(max|min)\s*\}|(?<![\\A-Za-z])arg\s*(?:\\[,;:!]|\\\s|~)+\s*(max|min)(?![A-Za-z])")
_FONT_BEFORE = re.compile(r"\\[A-Za-z]+\*?\s*\{?\s*$")
_WRAPPED = re.compile(r"\{?\s*\\(?:operatorname\*?|mathrm|textrm|textbf|text|mathbf)\s*\{\s*arg\s*(max|min)\s*\}\s*\}?")


def normalised(text: str) -> str:
    """``\\arg_a \\max``, ``{\\operatorname{argmax}}`` and ``{ arg\\,max}`` written as ``\\arg\\max_a``, ``\\argmax`` and
    ``\\arg\\max``."""
    def spaced(m: re.Match) -> str:
        if _FONT_BEFORE.search(m.string[:m.start()] + ("{" if m.group().startswith("{") else "")):
            return m.group()  # \operatorname{arg\,max}: the head reads it as it stands
        return "\\arg\\" + (m.group(1) or m.group(2)) + " "

    text = _SPACED.sub(spaced, text)
    return _WRAPPED.sub(lambda m: "\\arg" + m.group(1) + " ", _TAKESHI.sub(lambda m: "\\arg\\" + m.group(2) + "_" + m.group(1), text))


def parse(text: str) -> Optimum | None:
    """The arg max/min a side consists of, or None."""
    match = OPTIMUM.match(normalised(text))
    if not match:
        return None
    kind = (match.group("a") or match.group("b") or match.group("c")).replace("arg", "")
    variable = match.group("var")
    variable = variable[1:-1].strip() if variable.startswith("{") else variable
    objective = match.group("objective").strip()
    if not objective or objective.startswith("="):
        return None
    return Optimum(kind, variable, objective)


def constraint_in(text: str) -> bool:
    """Prose or formula that constrains the variable ("subject to", "s.t.")."""
    return bool(_CONSTRAINT_PROSE.search(text))


def same_maximisers(f: sympy.Expr, g: sympy.Expr, variables: list, free_of, positive) -> str | None:
    """How G (to maximise) has the maximisers of F (to maximise), or None: G - F free of the
    variables; G / F a positive constant; G - log F or F - log G free of them (log is increasing)."""
    def free(expr) -> bool:
        return all(free_of(expr, v) for v in variables)

    if free(g - f):
        return "the objectives differ by a term free of " + _names(variables)
    ratio = sympy.simplify(g / f) if f != 0 else None
    if ratio is not None and free(ratio) and positive(ratio):
        return "the objectives differ by a positive factor free of " + _names(variables)
    if free(g - sympy.log(f)) or free(f - sympy.log(g)):
        return "one objective is the log of the other, up to a term free of " + _names(variables) + " (log is increasing)"
    return None


def _names(variables) -> str:
    return ", ".join(str(v) for v in variables)


def pointwise(objective: sympy.Expr, variable: sympy.Symbol) -> tuple[sympy.Expr, sympy.Symbol, str] | None:
    """The objective of a function variable D optimised at each point: the integrand (or summand)
    with every D(...) replaced by one unknown; None when D is applied to different arguments."""
    from sympy.core.function import AppliedUndef

    body, how = objective, ""
    if isinstance(objective, (sympy.Integral, sympy.Sum)):
        body, how = objective.function, " (the integrand, optimised at each point)"
    applications = {a for a in body.atoms(AppliedUndef) if a.func.__name__ == variable.name}
    if len(applications) != 1:
        return None
    (application,) = applications
    unknown = sympy.Symbol(sympy.sstr(application), real=True)
    replaced = body.xreplace({application: unknown})
    if replaced.has(variable) or any(a.func.__name__ == variable.name for a in replaced.atoms(AppliedUndef)):
        return None
    return replaced, unknown, how


def smooth(expr: sympy.Expr) -> bool:
    return not expr.has(*_NONSMOOTH)


def concave_everywhere(objective: sympy.Expr, variable: sympy.Symbol, seconds: float) -> bool:
    """The second derivative in ``variable`` is negative for every real value, not only the positive ones: then a
    stationary point is the one maximum (False when SymPy cannot tell)."""
    try:
        with symbolic.time_limit(seconds):
            second = sympy.diff(objective, variable, 2)
            return _negative_where_defined(second.xreplace({variable: sympy.Dummy(real=True)}))
    except Exception:
        return False


def _negative_where_defined(expr: sympy.Expr) -> bool:
    """Every term of ``expr`` is negative wherever it is defined (an even power of a real base that
    is not zero is positive: -b/(1 - y)^2 < 0 for y != 1) -- SymPy decides each term's sign."""
    def even_powers_positive(term):
        return term.replace(lambda e: isinstance(e, sympy.Pow) and e.exp.is_integer and e.exp.is_even,
                            lambda e: sympy.Pow(sympy.Dummy(positive=True), e.exp))
    terms = sympy.Add.make_args(sympy.expand_mul(expr))
    return all(bool(even_powers_positive(t).is_negative) for t in terms)
