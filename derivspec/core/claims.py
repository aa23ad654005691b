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

    ``low``/``high`` are open bounds of the constraint (None: unbounded; a ``positive``
    assumption without ``low`` means ``low = 0``); ``values`` a finite support; ``integer``
    whole numbers only. The constraint is the whole declared domain: exact evaluation points
    (:meth:`exact_values`) cover all of it -- interior, near each bound, large magnitudes where
    it is unbounded, rationals with large denominators -- and never leave it.
    ``sample_low``/``sample_high`` is a well-conditioned sub-range: the "typical" exact points
    and the numeric (torch) routes draw from it (clipped to the constraint).
    """

    constraint: str
    assumptions: Mapping[str, bool]
    low: float | None = None
    high: float | None = None
    values: tuple[int, ...] | None = None
    sample_low: float = -3.0
    sample_high: float = 3.0
    integer: bool = False  # whole numbers only (counts); sampled uniformly from the range

    # -- the constraint, exactly -------------------------------------------------------
    @property
    def lower(self) -> Fraction | None:
        """The open lower bound of the constraint (from ``low`` or a sign assumption)."""
        if self.low is not None:
            return Fraction(self.low)
        if self.assumptions.get("positive"):
            return Fraction(0)
        return None

    @property
    def upper(self) -> Fraction | None:
        """The open upper bound of the constraint (from ``high`` or a sign assumption)."""
        if self.high is not None:
            return Fraction(self.high)
        if self.assumptions.get("negative"):
            return Fraction(0)
        return None

    @property
    def closed_lower(self) -> Fraction | None:
        """A closed lower bound from a ``nonnegative`` assumption (e.g. 0 for a count from 0)."""
        return Fraction(0) if self.assumptions.get("nonnegative") and self.lower is None else None

    def contains(self, value) -> bool:
        """Whether ``value`` (a float, int, Fraction or SymPy Rational) meets the constraint."""
        if isinstance(value, float):
            if value != value or value in (float("inf"), float("-inf")):
                return False
            value = Fraction(value)
        elif isinstance(value, sympy.Rational):
            value = Fraction(int(value.p), int(value.q))
        elif isinstance(value, sympy.Basic):
            return False
        else:
            value = Fraction(value)
        if self.values is not None:
            return value in self.values
        if self.integer and value.denominator != 1:
            return False
        lower, upper, closed = self.lower, self.upper, self.closed_lower
        if lower is not None and not value > lower:
            return False
        if closed is not None and not value >= closed:
            return False
        if upper is not None and not value < upper:
            return False
        return True

    # -- exact evaluation points --------------------------------------------------------
    def random_rational(self, rng: random.Random) -> sympy.Rational:
        """A typical exact point: from the sampling range (clipped to the constraint), a
        rational with denominator <= 64 (a whole number for integer domains)."""
        return self.exact_value("typical", rng)

    def exact_kinds(self) -> tuple[str, ...]:
        """The kinds of exact points that exist in this domain (see :meth:`exact_value`)."""
        if self.values is not None:
            return ("typical",)
        lower, upper = self._lower_closed(), self.upper
        kinds = ["typical", "fine", "wide"]
        if lower is not None:
            kinds.append("near_low")
        if upper is not None:
            kinds.append("near_high")
        if upper is None:
            kinds.append("large")
        if lower is None:
            kinds.append("large_negative")
        if not self.integer and (lower is None or lower < 0) and (upper is None or upper > 0):
            kinds.append("tiny")
        return tuple(kinds)

    def exact_value(self, kind: str, rng: random.Random) -> sympy.Rational:
        """An exact point of ``kind``, always inside the constraint:

        * ``typical`` -- the sampling range, denominator <= 64;
        * ``fine`` -- the sampling range, a large denominator (~10^9);
        * ``wide`` -- anywhere in the constraint (within +-100 where it is unbounded);
        * ``near_low`` / ``near_high`` -- within 10^-3 .. 10^-9 of a bound (the bound's
          neighbours for whole numbers);
        * ``large`` / ``large_negative`` -- magnitudes 10^2 .. 10^6 where unbounded (10^2, 10^3
          for whole numbers);
        * ``tiny`` -- magnitudes 10^-3 .. 10^-9 around 0 when 0 is inside.
        """
        if self.values is not None:
            return sympy.Integer(rng.choice(self.values))
        value = self._draw(kind, rng)
        if not self.contains(value):  # a range that does not fit the constraint: fall back inside
            value = self._inside(rng)
        return sympy.Rational(value.numerator, value.denominator)

    def _lower_closed(self) -> Fraction | None:
        return self.lower if self.lower is not None else self.closed_lower

    def _draw(self, kind: str, rng: random.Random) -> Fraction:
        lower, upper = self._lower_closed(), self.upper
        if self.integer:
            return Fraction(self._draw_integer(kind, rng, lower, upper))
        small = Fraction(1, 10 ** rng.choice((3, 6, 9)))
        if kind == "near_low" and lower is not None:
            width = (upper - lower) if upper is not None else Fraction(1)
            return lower + min(small, width / 2) * Fraction(rng.randint(1, 9))
        if kind == "near_high" and upper is not None:
            width = (upper - lower) if lower is not None else Fraction(1)
            return upper - min(small, width / 2) * Fraction(rng.randint(1, 9))
        if kind == "large":
            return Fraction(10 ** rng.choice((2, 3, 6))) * _fraction(rng.uniform(1, 9.99), 64)
        if kind == "large_negative":
            return -Fraction(10 ** rng.choice((2, 3, 6))) * _fraction(rng.uniform(1, 9.99), 64)
        if kind == "tiny":
            return small * Fraction(rng.choice((-1, 1)) * rng.randint(1, 9))
        if kind == "wide":
            low = lower if lower is not None else Fraction(-100)
            high = upper if upper is not None else Fraction(100)
            if lower is not None and upper is None:
                high = lower + 100
            if upper is not None and lower is None:
                low = upper - 100
            return _clip(_fraction(rng.uniform(float(low), float(high)), 64), low, high)
        low, high = self._sample_range()
        if kind == "fine":
            return _clip(_fraction(rng.uniform(float(low), float(high)), 10 ** 9 + 7, exact=True), low, high)
        return _clip(_fraction(rng.uniform(float(low), float(high)), 64), low, high)

    def _sample_range(self) -> tuple[Fraction, Fraction]:
        """The sampling range clipped to the constraint (a well-conditioned sub-range)."""
        low, high = Fraction(self.sample_low), Fraction(self.sample_high)
        lower, upper = self._lower_closed(), self.upper
        if lower is not None and low < lower:
            low = lower
        if upper is not None and high > upper:
            high = upper
        if high < low:
            low, high = high, low
        return low, high

    def _draw_integer(self, kind: str, rng: random.Random, lower, upper) -> int:
        first = None if lower is None else (int(lower) + 1 if lower == int(lower) and self.lower is not None
                                            else -(-lower.numerator // lower.denominator))
        last = None if upper is None else (int(upper) - 1 if upper == int(upper) else upper.numerator // upper.denominator)
        low, high = self._sample_range()
        low_int, high_int = -(-low.numerator // low.denominator), high.numerator // high.denominator
        if first is not None:
            low_int = max(low_int, first)
        if last is not None:
            high_int = min(high_int, last)
        if high_int < low_int:
            high_int = low_int
        if kind == "near_low" and first is not None:
            return first + rng.choice((0, 0, 1))
        if kind == "near_high" and last is not None:
            return last - rng.choice((0, 0, 1))
        if kind == "large":
            return max(high_int, 10 ** rng.choice((2, 3)) + rng.randint(0, 9))
        if kind == "large_negative":
            return min(low_int, -(10 ** rng.choice((2, 3))) - rng.randint(0, 9))
        if kind == "wide":
            start = first if first is not None else low_int - 100
            stop = last if last is not None else max(high_int, start) + 100
            return rng.randint(start, max(start, stop))
        return rng.randint(low_int, high_int)

    def _inside(self, rng: random.Random) -> Fraction:
        """Some exact value inside the constraint (used when a drawn value falls outside)."""
        lower, upper = self._lower_closed(), self.upper
        if self.integer:
            value = Fraction(self._draw_integer("typical", rng, lower, upper))
            if self.contains(value):
                return value
        if lower is not None and upper is not None:
            return (lower + upper) / 2
        if lower is not None:
            return lower + 1
        if upper is not None:
            return upper - 1
        return Fraction(0)


def _fraction(x: float, max_denominator: int, exact: bool = False) -> Fraction:
    """``x`` as a rational with denominator <= max_denominator (or exactly ``max_denominator``)."""
    if exact:
        return Fraction(round(x * max_denominator), max_denominator)
    return Fraction(x).limit_denominator(max_denominator)


def _clip(x: Fraction, low: Fraction, high: Fraction) -> Fraction:
    return min(max(x, low), high)


REAL = Domain("real", {"real": True}, sample_low=-3.0, sample_high=3.0)
POSITIVE = Domain("> 0", {"positive": True}, low=0.0, sample_low=0.25, sample_high=3.0)
UNIT_INTERVAL = Domain("in (0, 1)", {"positive": True}, low=0.0, high=1.0,
                       sample_low=0.05, sample_high=0.95)
BINARY = Domain("in {0, 1}", {"integer": True, "nonnegative": True}, values=(0, 1))


def count_between(low: int, high: int, minimum: int = 1) -> Domain:
    """A whole number >= ``minimum`` (1: a class count; 0: a count of heads), its typical points
    drawn from [low, high]."""
    if not 0 <= minimum <= low:
        raise ValueError(f"count_between: need 0 <= minimum <= low, got minimum={minimum}, low={low}")
    assumptions = {"integer": True, "positive": True} if minimum >= 1 else {"integer": True, "nonnegative": True}
    return Domain(f"a whole number >= {minimum}", assumptions, low=minimum - 1.0,
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
    "take minus the log"); SymPy applies it to the previous line and must prove the result equal
    to ``expr``. An ``op`` must use the line it is given: one that ignores it (``lambda _: …``)
    proves nothing about this line following from the last, and the step is not counted as proved
    (``derivspec.core.derivation``). Without ``op`` the line is a rewrite of the previous one and
    must equal it. ``equals`` names a second, independently computed quantity the line also equals
    ("= the score of the noisy marginal"): SymPy proves that too. The first step of a derivation
    is its starting definition. ``expr`` is the line as an instructor writes it -- never the
    output of the operation that checks it (that would prove nothing; use :func:`Computed` for a
    machine expansion).
    """

    why: str
    expr: sympy.Expr | None
    op: Callable[[sympy.Expr], sympy.Expr] | None = None
    computed: bool = False
    equals: sympy.Expr | None = None


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
    ``value`` is not comparable and ``note`` says why; ``nothing_to_compare`` marks one whose
    quoted part asserts nothing a check could decide (a definition or name, history, a framing,
    a recipe, a restatement another source of the same statement compares), so that coverage
    does not count it as an unchecked part of its statement.
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
    # for an erratum (a source that disagrees): what kind of slip, and whether it is wrong under the
    # lecture's own definitions (ERRATUM_SEVERITIES); left empty, they follow from the relation
    # (derivspec.core.sources.erratum_class)
    category: str = ""  # formula | worked number | rounding | notation/index | over-general statement
    severity: str = ""  # error | imprecise | notation
    nothing_to_compare: bool = False

    def __post_init__(self):
        if not _LINES.fullmatch(self.lines):
            raise ValueError(f"source {self.file}: lines {self.lines!r} is not 'N' or 'N–M'")
        if self.category and self.category not in ERRATUM_CATEGORIES:
            raise ValueError(f"source {self.file}:{self.lines}: category {self.category!r} is not one of {ERRATUM_CATEGORIES}")
        if self.severity and self.severity not in ERRATUM_SEVERITIES:
            raise ValueError(f"source {self.file}:{self.lines}: severity {self.severity!r} is not one of {ERRATUM_SEVERITIES}")
        if self.nothing_to_compare and (self.expr is not None or self.value is not None or self.behaviour):
            raise ValueError(f"source {self.file}:{self.lines}: nothing_to_compare, yet it has a formula, value or behaviour")

    @property
    def span(self) -> tuple[int, int]:
        """The cited lines as (first, last), 1-based."""
        numbers = [int(n) for n in re.split("[–-]", self.lines)]
        return numbers[0], numbers[-1]


_LINES = re.compile(r"\d+(?:[–-]\d+)?")
ERRATUM_CATEGORIES = ("formula", "worked number", "rounding", "notation/index", "over-general statement")
# error: wrong as written under the lecture's own definitions; imprecise: true under a reading the
# lecture does not state (a condition left out, a heuristic, a number right up to its last digit);
# notation: the symbols or indices as written say something else than the lecture means (a symbol
# it never defines, a shifted index, a dropped operator).
ERRATUM_SEVERITIES = ("error", "imprecise", "notation")


@dataclass(frozen=True)
class WrongVariant:
    """A plausible mistake, e.g. "dropped the log-normaliser"; every check must reject it."""

    name: str
    expr: sympy.Expr


@dataclass(frozen=True)
class Recognise:
    r"""How ``derivspec scan`` recognises a statement of the claim in a lecture it has never seen.

    ``shape`` is the left-hand side as lectures write it, in LaTeX (``\mathrm{KL}(\mathcal
    N(\mu_1, \sigma_1^2) \| \mathcal N(\mu_2, \sigma_2^2))``, ``-\log \mathcal N(y; \mu,
    \sigma^2)``, ``q(x_t \mid x_0)``, ``D^*(x)``). Every name in it is a pattern variable: a
    statement matches when its side unifies with the shape, whatever the lecture calls its
    symbols (``\mathrm{KL}(\mathcal N(m, s^2)\|\mathcal N(0, 1))`` binds mu1 -> m, sigma1 -> s);
    heads match by family (KL, D_{KL}, \mathrm{KL}; \mathcal N, N; Bern, Bernoulli; H, h) and
    fonts are ignored. The other side of the statement is then compared with the claim's
    derived target (defined symbols expanded), in the claim's own variables and domains.

    * ``value`` maps the target to the value of the shape when they differ (the target is
      -log p, the shape is log p: ``value=lambda t: -t``);
    * ``part`` takes a part of the other side instead of all of it: ``"mean"`` / ``"variance"``
      of a normal \mathcal N(x; m, v) or \mathcal N(m, v), or ``"reparam-mean"`` /
      ``"reparam-variance"`` of a reparameterisation ``m + s * noise`` (``noise`` names it);
    * ``requires``: LaTeX names that the other side must use (a lone left-hand side such as
      x_t is recognised only next to the claim's notation);
    * ``interpret``: opaque terms the other side may use and their values in the claim's
      model (``{r"H(p)": entropy, r"\mathrm{KL}(p\|q)": kl}``), so that an identity between
      named quantities (H(p, q) = H(p) + KL(p || q)) is checked in a concrete instance: a
      general identity must hold there;
    * ``const_free_of``: claim variable names; with them a right-hand side ``... + \text{const}``
      is compared up to a term free of those variables;
    * ``sizes``: the claim derived for a few items (three observations) answers for a lecture's
      symbolic count (``\frac1N\sum_{i=1}^N``): see :class:`Sizes`. A sized shape is a lone name
      (``\hat\sigma^2``), matched with the same letter and accent, any font, with or without a
      word subscript (``_{\text{MLE}}``);
    * ``prose`` / ``not_prose``: regular expressions; the statement is compared only when its left
      side or the text around it matches ``prose`` and does not match ``not_prose`` ("maximum
      likelihood", not "unbiased").
    """

    shape: str
    value: Callable[[sympy.Expr], sympy.Expr] | None = None
    part: str = ""
    noise: str = r"\epsilon"
    requires: tuple[str, ...] = ()
    interpret: Mapping[str, sympy.Expr] = field(default_factory=dict)
    const_free_of: tuple[str, ...] = ()
    note: str = ""
    sizes: "Sizes | None" = None
    prose: str = ""
    not_prose: str = ""


@dataclass(frozen=True)
class Sizes:
    r"""A claim derived for a fixed number of items, answered for a symbolic count N.

    ``general(N, item)`` derives the claim's value for the items ``item(i)``, i = 1, …, N, from the
    same definitions as the claim, with SymPy sums read by linearity (:mod:`derivspec.core.sums`);
    at N = ``derived_at`` it is the claim's own target (a property test ties the two).
    ``statistics`` are names a lecture may use for statistics of the items, with their values
    (``{r"\bar x": sample mean}``; a name on the claim's ``item`` letter matches the same mark on
    the lecture's item letter). ``checked``: the sizes at which a statement is also written out.
    """

    general: Callable[[sympy.Symbol, Callable], sympy.Expr]
    item: str = "x"
    statistics: Mapping[str, Callable[[sympy.Symbol, Callable], sympy.Expr]] = field(default_factory=dict)
    derived_at: int = 3
    checked: tuple[int, ...] = (2, 3, 4, 5, 6, 7, 8)
    correct: str = ""  # the general form in LaTeX, in the claim's names (N, i, x_i), for the record
    domain: "Domain | None" = None  # where each item lives (None: the real line)
    # several families of items read together (\mu_j and \sigma_j): ``general(N, *items)`` takes one function per
    # family, named here in the claim's letters; such a claim is read by a structural check (scan/vae_kl.py), not
    # by the lone-name comparison
    families: tuple[str, ...] = ()


@dataclass(frozen=True)
class Vector:
    """A vector of a claim's variables whose length is a size (classes, pixels, latent dimensions):
    ``dim`` names the size; at the claim's own size its members are the claim's variables ``base``, at
    another size they are ``name1``, ``name2``, ... (LaTeX ``latex_1``, ...) in ``domain``."""

    name: str
    dim: str
    latex: str
    domain: Domain
    base: tuple[str, ...]


@dataclass(frozen=True)
class Index:
    """A whole number 0 .. size − 1 of the size ``dim`` (counted from 0, as code counts: a class label);
    the claim itself is the general form at ``default``."""

    name: str
    dim: str
    latex: str
    default: int = 0


@dataclass(frozen=True)
class AnySize:
    r"""A claim derived at fixed sizes (three classes, two pixels, a one-dimensional latent) that holds at
    every size: ``conform`` draws the sizes of the vectors a user's function takes whole.

    ``sizes`` gives each size's name and the claim's own value (``(("K", 3),)``); ``vectors`` the
    claim's vectors; ``indices`` whole numbers of a size the general form takes (a class label).
    ``general(vectors, indices)`` builds the target from the same definitions as the derivation, for
    the members ``vectors[name]`` (a list of symbols, any length) and ``indices[name]`` (a symbol, or
    the default as an Integer), and returns ``(target, {wrong variant name: expression})`` -- the
    claim's wrong variants written for any size (those it leaves out are tried at the claim's own
    sizes only). At the claim's own sizes and the indices' defaults it is the claim's target and wrong
    variants (``property_tests/test_conform_sizes.py`` ties them). ``correct``: the general form in
    LaTeX, for the record."""

    sizes: tuple[tuple[str, int], ...]
    vectors: tuple[Vector, ...]
    general: Callable[[Mapping[str, list], Mapping[str, sympy.Expr]], tuple]
    indices: tuple[Index, ...] = ()
    correct: str = ""


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
    recognise: tuple[Recognise | str, ...] = ()  # how `derivspec scan` recognises it (see Recognise)
    any_size: AnySize | None = None  # the claim at every size of its vectors (see AnySize; conform draws sizes)
    id: str = ""  # set by the registry from ``@claim("family.name")``

    def recognisers(self) -> tuple[Recognise, ...]:
        """The ``recognise`` entries, a bare shape string read as ``Recognise(shape)``."""
        return tuple(item if isinstance(item, Recognise) else Recognise(item) for item in self.recognise)

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
