"""The anatomy of a claim (DESIGN.md, "A claim is the unit").

A claim is the unit of verification. It holds, in one place that reads like the lecture:

* ``variables`` -- symbols with a domain; the domain gives the SymPy assumptions, the
  constraint a user-supplied value must meet, and where evaluation points are drawn;
* ``defined`` -- symbols defined by a relation (``alpha_bar_t = alpha_t*alpha_bar_prev``);
  they are expanded before any comparison;
* ``derivation`` -- a list of steps starting from a definition; each step says what it used
  and is checked by SymPy against the previous one; the last step is the **target**;
* ``sources`` -- every place in the seed notes that states the result, with the formula as
  written there;
* ``numeric`` -- an independent numeric route (torch reference, autograd, Monte Carlo);
* ``wrong_variants`` -- plausible mistakes that the checks must reject.
"""

from __future__ import annotations

import random
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
    """One line of a derivation.

    ``op`` says how this line follows from the previous one (e.g. ``lambda e: -log(e)``,
    "take minus the log"); SymPy applies it and must prove the result equal to ``expr``.
    Without ``op`` the line is a rewrite of the previous one and must equal it. The first
    step of a derivation is its starting definition.
    """

    why: str
    expr: sympy.Expr
    op: Callable[[sympy.Expr], sympy.Expr] | None = None


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

    A ``behaviour`` source states testable behaviour rather than a formula: the callable runs
    an executable specification (a reference model) and returns (holds, evidence); ``correct``
    then says what does hold. ``correct`` may also replace a generated correct form that
    would be unreadable.

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
    behaviour: Callable[[], tuple[bool, str]] | None = None
    correct: str = ""
    note: str = ""


@dataclass(frozen=True)
class WrongVariant:
    """A plausible mistake, e.g. "dropped the log-normaliser"; every check must reject it."""

    name: str
    expr: sympy.Expr


@dataclass(frozen=True)
class Claim:
    id: str
    title: str
    family: str
    statement: str  # the quantity in LaTeX, e.g. r"-\log \mathcal N(y;\mu,\sigma^2)"
    variables: tuple[Var, ...]
    derivation: tuple[Step, ...]
    numeric: Callable  # (candidate: sympy.Expr, claim: Claim, ctx) -> NumericResult
    wrong_variants: tuple[WrongVariant, ...]
    sources: tuple[Source, ...] = ()
    defined: tuple[Defined, ...] = ()
    numeric_route: str = ""  # one line: what the numeric check compares against

    @property
    def target(self) -> sympy.Expr:
        """The derived expression: the last line of the derivation."""
        return self.derivation[-1].expr

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
