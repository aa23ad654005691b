"""The anatomy of a claim (DESIGN.md, "A claim is the unit").

A claim is the unit of verification. It holds, in one place that reads like the lecture:

* ``variables`` -- symbols with a domain; the domain gives the SymPy assumptions, the
  constraint a user-supplied value must meet, and where evaluation points are drawn;
* ``defined`` -- symbols defined by a relation (``alpha_bar_t = alpha_t*alpha_bar_prev``);
  they are expanded before any comparison;
* ``derivation`` -- a list of steps starting from a definition; each step is either *proved*
  (SymPy shows it follows from the line before) or *computed* (a machine expansion, shown as
  such); the last line is the **target**;
* ``sources`` -- every place in the seed notes that states the result, with the formula as
  written there;
* ``wrong_variants`` -- plausible mistakes that every check must reject.

The numeric evidence is not part of the claim: routes in ``numerics/`` register against the
claim's id (:mod:`derivspec.core.registry`), so this layer never imports torch.
"""

from __future__ import annotations

import functools
import random
import re
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Callable, Mapping

import sympy


@dataclass(frozen=True)
class Domain:
    """Where a variable lives: its constraint, SymPy assumptions and sampling range.

    ``low``/``high`` are open bounds of the constraint (None: unbounded); ``values`` a finite
    support. ``sample_low``/``sample_high`` is the well-conditioned range random evaluation
    points are drawn from (inside the constraint).
    """

    constraint: str
    assumptions: Mapping[str, bool]
    low: float | None = None
    high: float | None = None
    values: tuple[int, ...] | None = None
    sample_low: float = -3.0
    sample_high: float = 3.0
    integer: bool = False  # whole numbers only (counts); sampled uniformly from the range

    def contains(self, value: float) -> bool:
        if value != value or value in (float("inf"), float("-inf")):
            return False
        if self.values is not None:
            return value in self.values
        if self.integer and not float(value).is_integer():
            return False
        if self.low is not None and not value > self.low:
            return False
        if self.high is not None and not value < self.high:
            return False
        return True

    def random_rational(self, rng: random.Random) -> sympy.Rational:
        """An exact evaluation point: a finite value, or a rational with denominator <= 64."""
        if self.values is not None:
            return sympy.Integer(rng.choice(self.values))
        if self.integer:
            return sympy.Integer(rng.randint(int(self.sample_low), int(self.sample_high)))
        x = Fraction(rng.uniform(self.sample_low, self.sample_high)).limit_denominator(64)
        x = min(max(x, Fraction(self.sample_low).limit_denominator(64)),
                Fraction(self.sample_high).limit_denominator(64))
        return sympy.Rational(x.numerator, x.denominator)


REAL = Domain("real", {"real": True}, sample_low=-3.0, sample_high=3.0)
POSITIVE = Domain("> 0", {"positive": True}, low=0.0, sample_low=0.25, sample_high=3.0)
UNIT_INTERVAL = Domain("in (0, 1)", {"positive": True}, low=0.0, high=1.0,
                       sample_low=0.05, sample_high=0.95)
BINARY = Domain("in {0, 1}", {"integer": True, "nonnegative": True}, values=(0, 1))


def count_between(low: int, high: int) -> Domain:
    """A positive whole number (a class count), sampled uniformly from [low, high]."""
    return Domain("a whole number >= 1", {"integer": True, "positive": True}, low=0.0,
                  sample_low=low, sample_high=high, integer=True)


def real_between(low: float, high: float) -> Domain:
    """A real variable whose random points are drawn from [low, high] (no constraint)."""
    return Domain("real", {"real": True}, sample_low=low, sample_high=high)


def positive_between(low: float, high: float) -> Domain:
    """A positive variable whose random points are drawn from [low, high]."""
    return Domain("> 0", {"positive": True}, low=0.0, sample_low=low, sample_high=high)


@dataclass(frozen=True)
class Var:
    """A claim variable: name (used by ``--formula``), LaTeX name (``--latex``), domain."""

    name: str
    latex: str
    domain: Domain = REAL

    @property
    def symbol(self) -> sympy.Symbol:
        return sympy.Symbol(self.name, **self.domain.assumptions)


@dataclass(frozen=True)
class Defined:
    """A defined symbol, e.g. ``alpha_bar_t = alpha_t*alpha_bar_prev``."""

    name: str
    latex: str
    expr: sympy.Expr

    @property
    def symbol(self) -> sympy.Symbol:
        return sympy.Symbol(self.name, real=True)


@dataclass(frozen=True)
class Step:
    """One line of a derivation, *proved* from the line before.

    ``op`` says how this line follows from the previous one (e.g. ``lambda e: -log(e)``,
    "take minus the log"); SymPy applies it and must prove the result equal to ``expr``.
    Without ``op`` the line is a rewrite of the previous one and must equal it. The first
    step of a derivation is its starting definition. ``expr`` is the line as an instructor
    writes it -- never the output of the operation that checks it (that would prove nothing;
    use :func:`Computed` for a machine expansion).
    """

    why: str
    expr: sympy.Expr | None
    op: Callable[[sympy.Expr], sympy.Expr] | None = None
    computed: bool = False


def Computed(why: str, op: Callable[[sympy.Expr], sympy.Expr]) -> Step:
    """A line SymPy computes from the one before (an expectation, a derivative, a solve) and
    that is shown as computed, not proved: nothing checks it but SymPy's own operation."""
    return Step(why, None, op, computed=True)


@dataclass(frozen=True)
class Source:
    """A statement of the claim in the seed notes.

    ``relation`` says how the formula as written (``expr``, in the claim's symbols) is
    compared with the target:

    * ``equals`` -- target == expr (after ``to_target``), as functions of the claim variables;
    * ``proportional`` -- target / expr is free of the symbols ``free_of`` (strict "∝");
    * ``affine`` -- target == a*expr + b with a > 0 and a, b free of ``free_of`` (the
      "equal up to a positive scale and an additive constant" reading of "∝", under which
      argmin statements follow);
    * ``offset`` -- target == expr + b with b free of ``free_of`` ("equal up to a constant");
    * ``value`` -- a worked number: the target at ``at`` rounds to ``value`` at ``decimals``
      (in ``unit``: a value in bits is compared with the target divided by log 2).

    A ``behaviour`` source states testable behaviour rather than a formula: it names a behaviour
    check that ``numerics/`` registers for the claim (an executable specification, run by
    ``verify`` with the values in ``at``) and that returns (holds, evidence); ``correct`` then
    says what does hold. ``correct`` may also replace a generated correct form that would be
    unreadable.

    ``lines`` is the line range as cited (``"227–235"`` or ``"1256"``); ``span`` is it as
    ``(first, last)``.

    ``at`` fixes values the source assumes (``sigma = 1``, the worked data). ``to_target``
    maps the quantity written in the source onto the claim's target (the source writes
    log p; the target is -log p), with ``note`` saying so. A source with no ``expr`` and no
    ``value`` is not comparable and ``note`` says why.
    """

    file: str
    lines: str
    as_written: str
    expr: sympy.Expr | None = None
    relation: str = "equals"
    at: Mapping[str, float | sympy.Expr] = field(default_factory=dict)
    free_of: tuple[str, ...] = ()
    to_target: Callable[[sympy.Expr], sympy.Expr] | None = None
    value: float | None = None
    decimals: int | None = None
    unit: str = "nats"  # for worked values of information quantities: "nats" or "bits"
    behaviour: str | None = None
    correct: str = ""
    note: str = ""

    def __post_init__(self):
        if not _LINES.fullmatch(self.lines):
            raise ValueError(f"source {self.file}: lines {self.lines!r} is not 'N' or 'N–M'")

    @property
    def span(self) -> tuple[int, int]:
        """The cited lines as (first, last), 1-based."""
        numbers = [int(n) for n in re.split("[–-]", self.lines)]
        return numbers[0], numbers[-1]


_LINES = re.compile(r"\d+(?:[–-]\d+)?")


@dataclass(frozen=True)
class WrongVariant:
    """A plausible mistake, e.g. "dropped the log-normaliser"; every check must reject it."""

    name: str
    expr: sympy.Expr


@dataclass(frozen=True)
class Claim:
    """A claim as its derivation module builds it; the registry gives it its ``id``."""

    title: str
    statement: str  # the quantity in LaTeX, e.g. r"-\log \mathcal N(y;\mu,\sigma^2)"
    variables: tuple[Var, ...]
    derivation: tuple[Step, ...]
    wrong_variants: tuple[WrongVariant, ...]
    sources: tuple[Source, ...] = ()
    defined: tuple[Defined, ...] = ()
    id: str = ""  # set by the registry from ``@claim("family.name")``

    @property
    def family(self) -> str:
        """The family is the first part of the id (``kl`` for ``kl.gaussian.univariate``)."""
        return self.id.split(".")[0]

    @functools.cached_property
    def lines(self) -> tuple[sympy.Expr, ...]:
        """Every line of the derivation; a computed line is its operation applied to the line before."""
        lines: list[sympy.Expr] = []
        for step in self.derivation:
            lines.append(step.op(lines[-1]) if step.computed else step.expr)
        return tuple(lines)

    @property
    def target(self) -> sympy.Expr:
        """The derived expression: the last line of the derivation."""
        return self.lines[-1]

    @property
    def symbols(self) -> dict[str, sympy.Symbol]:
        """Name -> SymPy symbol for variables and defined symbols."""
        names = {v.name: v.symbol for v in self.variables}
        names.update({d.name: d.symbol for d in self.defined})
        return names

    @property
    def latex_names(self) -> dict[str, sympy.Symbol]:
        names = {v.latex: v.symbol for v in self.variables}
        names.update({d.latex: d.symbol for d in self.defined})
        return names

    def expand_defined(self, expr: sympy.Expr) -> sympy.Expr:
        """Replace defined symbols by their definitions (repeatedly, they may nest)."""
        for _ in range(len(self.defined) + 1):
            expr = expr.subs({d.symbol: d.expr for d in self.defined})
        return expr

    def var(self, name: str) -> Var:
        return next(v for v in self.variables if v.name == name)
