r"""Means and variances of named distributions: ``X \sim \mathrm{Binomial}(n, p)`` then ``\mu_X = np``.

A lecture that says which distribution a random variable has (``X \sim \mathrm{Bernoulli}(p)``,
``X \sim \mathcal N(\mu, \sigma^2)``, ``X \sim \mathrm{Poisson}(\lambda)``) and then states its
mean or variance (``\mu_X``, ``\sigma_X^2``, ``\sigma_X``, ``E[X]``, ``\mathrm{Var}(X)``) states a
fact with one right answer, written in the distribution's own parameters. The statement is
``proved`` when its right-hand side equals the textbook value, ``disagrees`` when they differ at
exact points of the parameters' box (confirmed like every chain step), and left to the other
checks when the right-hand side uses anything else (a value from the prose, an undefined
function).

Only parameterisations with one reading are used:

| distribution | written | mean | variance |
|---|---|---|---|
| Bernoulli | ``Bernoulli(p)``, ``Bern(p)``, ``Ber(p)`` | p | p(1-p) |
| binomial | ``Binomial(n, p)``, ``Bin(n, p)`` | np | np(1-p) |
| Poisson | ``Poisson(\lambda)``, ``Pois(\lambda)`` | λ | λ |
| normal | ``\mathcal N(\mu, \sigma^2)``, ``N(\mu, s)`` with a squared or numeric second argument | μ | σ² |
| uniform | ``U(a, b)``, ``Uniform(a, b)``, ``Unif(a, b)`` (two arguments) | (a+b)/2 | (b-a)²/12 |
| beta | ``Beta(\alpha, \beta)`` | α/(α+β) | αβ/((α+β)²(α+β+1)) |

Left out because lectures write them two ways: the exponential and gamma (rate or scale), the
geometric (trials or failures), a normal whose second argument is a bare name (``\mathcal N(\mu,
\sigma)``: a standard deviation in some lectures), a uniform with one argument.
"""

from __future__ import annotations

import re

import mpmath
import sympy

from derivspec.scan.reader import application_parts, is_opaque_function, opaque_atoms, read_document
from derivspec.scan import algebra

_FONT = re.compile(r"\\(?:mathrm|mathcal|textrm|text|operatorname|mathbb|mathsf|mathit)\{([^{}]*)\}")
SAMPLE = re.compile(r"(?<![A-Za-z\\])([A-Z](?:_\{?[A-Za-z0-9]+\}?)?)\s*\\sim\s*"
                    r"((?:\\(?:textrm|mathrm|text|operatorname|mathcal)\s*\{[A-Za-z]+\}|[A-Za-z]+)\s*"
                    r"\([^()]*\))")


def distribution(expr) -> tuple[str, sympy.Expr, sympy.Expr] | None:
    r"""(family, mean, variance) of a named law as read (``\mathrm{Binomial}[,](n, p)``): the families table's
    ``mean`` and ``variance`` rows (``derivspec/data/knowledge/families.toml``) in the law's arguments, placed as the
    table writes the law (``\mu, \sigma^2``: the second argument of a normal is its variance).

    None for a law the table does not know; for arguments that do not fit; for a family whose table records
    another reading some notes use (a scale for a rate: Gamma, Exp) unless the law as written fixes it (a square
    or a number where the table writes ``\sigma^2``; ``N(\mu, \sigma)`` is a standard deviation in some
    lectures); and for a moment that exists only under a condition the arguments are not shown to meet
    (Student-t's mean, ``\nu > 1``)."""
    from derivspec.scan import knowledge

    if not is_opaque_function(expr) or isinstance(expr, sympy.Symbol):
        return None
    head, seps, square = application_parts(expr.func.__name__)
    if square:
        return None
    args = expr.args
    if any(sep != "," for sep in seps) or any(not (a.is_number or a.free_symbols) for a in args):
        return None
    if any(is_opaque_function(node) for a in args for node in sympy.preorder_traversal(a)):
        return None
    for written in (head.replace(" ", ""), _FONT.sub(r"\1", head).replace(" ", "")):  # \mathrm{St}, Binomial
        try:
            family = knowledge.family(written)
            break
        except KeyError:
            continue
    else:
        return None
    placed = knowledge.law_parameters(family, args)
    if placed is None:
        return None
    values, squares = placed

    def at_the_law(e):
        e = e.xreplace({s ** 2: squares[s.name] for s in e.free_symbols if s.name in squares})
        return e.xreplace({s: values[s.name] for s in e.free_symbols if s.name in values})

    found = []
    for kind in ("mean", "variance"):
        row = knowledge.by_id().get(family.fields.get(kind, ""))
        if row is None:
            return None
        own = row.conditions[len(family.conditions):]  # the family's own conditions come first: they hold
        # wherever its law is written; the field's hold only where the arguments are shown to meet them
        if any(at_the_law(condition) is not sympy.true for condition in own):
            return None
        found.append(at_the_law(row.meaning))
    return family.name, found[0], found[1]



def samples_in(text: str) -> list[tuple[str, str]]:
    """``(name, distribution)`` for each ``X \\sim Dist(...)`` written in ``text``."""
    return SAMPLE.findall(text)


def nearby_samples(line: int, samples: list, names, window: int) -> dict:
    """Symbol -> distribution (name, mean, variance) for the variables given a distribution in
    the ``window`` lines up to ``line`` (the latest one for each name)."""
    found: dict = {}
    for where, name, text in sorted(samples):
        if not (0 <= line - where <= window):
            continue
        try:
            symbol = read_document(name, names).expr
            law = distribution(read_document(text, names).expr)
        except Exception:
            continue
        if isinstance(symbol, sympy.Symbol):
            if law is None:
                found.pop(symbol, None)  # a distribution without a known mean: forget the older one
            else:
                found[symbol] = law
    return found


_MEAN_NAME = re.compile(r"^\\mu_\{(.+)\}$")
_SD_NAME = re.compile(r"^\\sigma_\{(.+)\}$")
_EXPECTATION = re.compile(r"^(?:E|\\mathbb\{E\}|\\mathrm\{E\}|\\mathbf\{E\})(?:⟮⟯)?$")
_VARIANCE = re.compile(r"^(?:\\mathrm\{Var\}|\\mathbb\{V\}|\\operatorname\{Var\})(?:⟮⟯)?$")


def moment_of(expr) -> tuple[str, str] | None:
    """('mean' | 'variance' | 'sd', name of the variable) for ``\\mu_X``, ``\\sigma_X^2``,
    ``\\sigma_X``, ``E[X]``, ``\\mathrm{Var}(X)``; None otherwise."""
    if isinstance(expr, sympy.Symbol):
        m = _MEAN_NAME.match(expr.name)
        if m:
            return "mean", m.group(1)
        m = _SD_NAME.match(expr.name)
        if m:
            return "sd", m.group(1)
        return None
    if isinstance(expr, sympy.Pow) and expr.exp == 2 and isinstance(expr.base, sympy.Symbol):
        m = _SD_NAME.match(expr.base.name)
        return ("variance", m.group(1)) if m else None
    if is_opaque_function(expr) and len(expr.args) == 1 and isinstance(expr.args[0], sympy.Symbol):
        name = expr.func.__name__
        if _EXPECTATION.match(name):
            return "mean", expr.args[0].name
        if _VARIANCE.match(name):
            return "variance", expr.args[0].name
    return None


def check_moment(left_expr, right_expr, samples: dict):
    """(verdict, reason, evidence, correct) when the left side is a moment of a variable with a
    known distribution and the right side is written in its parameters; None otherwise."""
    moment = moment_of(left_expr)
    if moment is None:
        return None
    kind, variable = moment
    law = next((v for s, v in samples.items() if s.name == variable), None)
    if law is None:
        return None
    family, mean, variance = law
    value = {"mean": mean, "variance": variance, "sd": sympy.sqrt(variance)}[kind]
    parameters = value.free_symbols | mean.free_symbols | variance.free_symbols
    if not right_expr.free_symbols <= parameters or opaque_atoms(right_expr):
        return None
    if not value.free_symbols <= right_expr.free_symbols:
        return None  # a parameter left out: its value may come from the prose (p = 1/2)
    what = {"mean": "the mean", "variance": "the variance", "sd": "the standard deviation"}[kind]
    label = f"{what} of a {family} variable"
    correct = sympy.latex(value)
    try:
        difference = sympy.simplify(right_expr - value)
    except Exception:
        difference = right_expr - value
    if difference == 0:
        return "proved", f"{label}: {correct}", "", ""
    positive, _ = algebra.positive_world(right_expr - value)
    symbols = algebra.positive_world(right_expr)[0].free_symbols | algebra.positive_world(value)[0].free_symbols
    points = algebra.box_points(symbols, count=12, seed=23)
    differing, evaluated, first = 0, 0, ""
    for point in points:
        v = algebra.evaluate(positive, point)
        if v is None:
            continue
        evaluated += 1
        if abs(v) > mpmath.mpf("1e-30"):
            confirm = algebra.evaluate(positive, point, digits=120)
            if confirm is not None and abs(confirm) > mpmath.mpf("1e-60"):
                differing += 1
                if not first:
                    where = ", ".join(f"{k}={val}" for k, val in point.items()) or "any values"
                    written = algebra.evaluate(algebra.positive_world(right_expr)[0], point)
                    expected = algebra.evaluate(algebra.positive_world(value)[0], point)
                    first = f"at {where}: as written {mpmath.nstr(written, 10)}, {what} {mpmath.nstr(expected, 10)}"
    if evaluated and differing >= max(2, evaluated // 2):
        return "disagrees", f"{label} is {correct}", first, correct
    return None
