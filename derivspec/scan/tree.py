"""The typed tree of ``scan`` (DESIGN.md, "Scan": read -> a typed tree), which the scan rules read.

A side of a lecture's statement, once read, is a tree of the frozen node classes below: every construct
a lecture writes has its own type, with its parts by role (an expectation's body and law, a density's
variables and what it is given, a sum's index, bounds and condition). The reader's output is converted
into this tree once (:mod:`derivspec.scan.typed_reading`); above that layer no code reads meaning from a
name string: it asks for a node's type and its roles.

Names carry the LaTeX they were written with (``Name.latex``) only to be printed and to be compared for
identity -- never matched against a pattern.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from fractions import Fraction


class Node:
    """A node of the typed tree. ``parts()`` lists its child nodes (in role order)."""

    def parts(self) -> tuple["Node", ...]:
        found = []
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, Node):
                found.append(value)
            elif isinstance(value, tuple):
                found.extend(v for v in value if isinstance(v, Node))
        return tuple(found)

    def walk(self):
        """Every node of the tree, this one first (pre-order)."""
        yield self
        for part in self.parts():
            yield from part.walk()


# --- leaves -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Num(Node):
    """An exact number (a decimal literal keeps its printed digits in ``decimals``)."""
    value: Fraction
    decimals: int = 0


@dataclass(frozen=True)
class Const(Node):
    """A mathematical constant the document uses as one (pi, e, infinity): ``which`` is SymPy's."""
    which: object


@dataclass(frozen=True)
class Name(Node):
    """A name of the document, with its indices (``x_i``: Name("x", (Name("i"),))); ``latex`` is its written form;
    ``bold``: written in a bold font (a vector or a matrix, by the document's typography)."""
    latex: str
    index: tuple = ()
    bold: bool = False


# --- arithmetic ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class Add(Node):
    terms: tuple


@dataclass(frozen=True)
class Mul(Node):
    factors: tuple


@dataclass(frozen=True)
class Pow(Node):
    base: Node
    exponent: Node


@dataclass(frozen=True)
class Fn(Node):
    """A standard function applied (log, exp, sqrt, sigmoid, ...): ``function`` is the SymPy function itself."""
    function: object
    args: tuple


@dataclass(frozen=True)
class Apply(Node):
    """A function the document names and does not define, applied: f(x), g_theta(u). ``carried``: the name the
    head's subscript carries (g_theta: theta), on which it depends."""
    head: Name
    args: tuple
    carried: tuple = ()


@dataclass(frozen=True)
class Piecewise(Node):
    """A value by cases: ((value, condition), ...)."""
    cases: tuple


# --- probability --------------------------------------------------------------------------------

@dataclass(frozen=True)
class Density(Node):
    """A density or mass function of ``variables`` given ``given``: p(x | z), q_phi(z | x). ``carried``: the name
    the head's subscript carries (q_phi: phi), a parameter of the law."""
    head: Name
    variables: tuple
    given: tuple = ()
    carried: tuple = ()


@dataclass(frozen=True)
class Prob(Node):
    """The probability of an event, given another: P(A ∩ B^c | C), under the law ``head`` (P, \\mathbb{P})."""
    event: Node
    given: tuple = ()
    head: Node | None = None


@dataclass(frozen=True)
class Event(Node):
    """An event made of others: ``op`` is ∩, ∪, ∖ (two parts) or c, the complement (one part). A name in an
    event is the event that its random variable takes the value it stands for."""
    op: str
    operands: tuple


@dataclass(frozen=True)
class Law(Node):
    """A distribution: a named family with its parameters (N(mu, sigma^2)), or a density name used as a law
    (``family`` None, ``density`` the name). ``at`` is the point a density is evaluated at, N(x; mu, s^2)."""
    family: str | None
    params: tuple = ()
    density: Node | None = None
    at: tuple = ()


@dataclass(frozen=True)
class Expect(Node):
    """E_law[body | given]; ``square``: written with square brackets (E(X) may be another letter's function)."""
    body: Node
    law: Node | None = None
    given: tuple = ()
    square: bool = True


@dataclass(frozen=True)
class Moment(Node):
    """Var[X], Cov[X, Y | Z]: ``kind`` is "var" or "cov"; ``given``: what follows the bar."""
    kind: str
    args: tuple
    law: Node | None = None
    given: tuple = ()


@dataclass(frozen=True)
class Divergence(Node):
    """KL(P || Q), JS(P, Q), the cross-entropy H(P, Q): ``kind`` is "kl", "js" or "ce"."""
    kind: str
    first: Node
    second: Node


@dataclass(frozen=True)
class Entropy(Node):
    """H(X | Y) of random variables, or of a law."""
    of: tuple
    given: tuple = ()


@dataclass(frozen=True)
class MutualInfo(Node):
    """I(X; Y | Z)."""
    first: tuple
    second: tuple
    given: tuple = ()


@dataclass(frozen=True)
class Sample(Node):
    """x ~ law: a declaration, not an equation."""
    variable: Node
    law: Node


# --- big operators ------------------------------------------------------------------------------

@dataclass(frozen=True)
class Sum(Node):
    body: Node
    index: Name
    lower: Node | None = None
    upper: Node | None = None
    condition: str = ""  # a condition on the index the reader kept as written (j != i)


@dataclass(frozen=True)
class Prod(Node):
    body: Node
    index: Name
    lower: Node | None = None
    upper: Node | None = None
    condition: str = ""


@dataclass(frozen=True)
class Integral(Node):
    body: Node
    variable: Name
    lower: Node | None = None
    upper: Node | None = None


@dataclass(frozen=True)
class Limit(Node):
    body: Node
    variable: Name
    to: Node
    direction: str = "+-"  # two-sided; "+" from above (a^+), "-" from below (a^-)


# --- calculus -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Deriv(Node):
    """d^n body / d variable^n (partial or total: the same value once the scope fixes what depends on what)."""
    body: Node
    variable: Node
    order: int = 1


@dataclass(frozen=True)
class Grad(Node):
    """∇_variable body; ``variable`` None where the text names none (∇ log p(x | θ))."""
    body: Node
    variable: Node | None = None


@dataclass(frozen=True)
class Jacobian(Node):
    body: Node
    variable: Node


@dataclass(frozen=True)
class Hessian(Node):
    body: Node
    variable: Node


@dataclass(frozen=True)
class Opt(Node):
    """argmax/argmin/max/min/sup/inf of ``body`` over ``variable`` (in ``domain``)."""
    kind: str
    body: Node
    variable: Node
    domain: Node | None = None


# --- linear algebra -----------------------------------------------------------------------------

@dataclass(frozen=True)
class Norm(Node):
    arg: Node
    p: Node | None = None


@dataclass(frozen=True)
class Det(Node):
    arg: Node


@dataclass(frozen=True)
class Trace(Node):
    arg: Node


@dataclass(frozen=True)
class Transpose(Node):
    arg: Node


@dataclass(frozen=True)
class Inverse(Node):
    arg: Node


@dataclass(frozen=True)
class Inner(Node):
    first: Node
    second: Node


# --- what the reader could not decide -----------------------------------------------------------

@dataclass(frozen=True)
class Ambiguous(Node):
    """A part with more than one reading (p(1 - p): a product or an application): ``readings`` by name."""
    readings: tuple  # ((label, Node), ...)

    def parts(self) -> tuple[Node, ...]:
        return tuple(node for _, node in self.readings)


@dataclass(frozen=True)
class Opaque(Node):
    """A part the tree has no type for yet, kept with why; every check of a side holding one is unchecked."""
    text: str
    why: str


OPERATOR_TYPES = (Num, Const, Name, Add, Mul, Pow, Fn, Apply, Piecewise, Density, Prob, Event, Law, Expect, Moment,
                  Divergence, Entropy, MutualInfo, Sample, Sum, Prod, Integral, Limit, Deriv, Grad, Jacobian,
                  Hessian, Opt, Norm, Det, Trace, Transpose, Inverse, Inner, Ambiguous, Opaque)


def names_in(node: Node) -> set[Name]:
    """The names a tree mentions (an index of a sum counted where it is bound too)."""
    return {n for n in node.walk() if isinstance(n, Name)}
