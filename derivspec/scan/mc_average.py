r"""A Monte Carlo average of an expectation, by structure: ``\mathbb E_q[f(z)] \approx \frac1S\sum_{s=1}^S f(z_s)``.

A lecture estimates an expectation by the mean of the integrand at S draws, in any letters and with any
index: ``\mathbb E_{q(z)}[\log p(x \mid z)] \approx \frac1L\sum_{l=1}^L \log p(x \mid z_l)``,
``\approx \frac1K\sum_{k=1}^K \nabla_\theta \log p_\theta(x, z^{(k)})``, ``\overset{\text{MC}}{\approx}``. The
average is read as ``c \sum_{i=a}^{b} g(z_i)``: one sum over the draws of the expectation's variable (its
subscript's variable where it names one), times a constant c.

When the summand is the integrand at the i-th draw (z -> z_i, nothing else changed), the estimate's expectation
is c n E[f] for n = b - a + 1 draws (linearity; every draw has the law the expectation is over). So:

* c n -> 1 as n grows (1/S, 1/(S-1), 1/S for S + 1 draws): consistent; **proved** where c n = 1 and the draws are
  declared from the expectation's density (``z_l \sim q(z)``), otherwise left to the other checks;
* c n -> k != 1 (``\frac{1}{2S}``, ``-\frac1S``, ``\frac{1}{S^2}``): **flagged**; the estimate tends to k E[f],
  shown with f = 1 (E[f] = 1), and the correct form is ``\frac1S\sum``.

A summand other than the integrand at the draws (importance weights, a reparameterised draw, a control
variate) is another estimator and is not judged here; nor is a left side other than one expectation (a
minibatch estimate of a sum over the data is N/M times a mean, by design).
"""

from __future__ import annotations

import re

import sympy
from sympy.core.function import AppliedUndef
from sympy.utilities.iterables import sift

from derivspec.scan.names import strip_fonts
from derivspec.scan.steps import Context, Side, StepResult, equation_values, known_result

RECOGNISED = {  # what this module reads (the recognisers page, derivspec/app/docs.py)
    "mc-average": r"$\mathbb E_q[f(z)] \approx \frac1S\sum_{s=1}^S f(z_s)$ (any letters, index and count; "
                  r"$z^{(s)}$ draws; $\overset{\text{MC}}{\approx}$): the normaliser of the average must make it "
                  r"consistent, $c\,S \to 1$",
}
_EXPECTATION = re.compile(r"^(?:\\mathbb\{E\}|\\mathbf\{E\}|\\mathrm\{E\}|E|\\E)(?:_\{?(?P<sub>.*?)\}?)?⟮⟯$")
_ITEM = re.compile(r"^(?P<head>.+?)_\{•\}$")  # z_{•}(i): the i-th draw z_i
_SUPERSCRIPT_ITEM = re.compile(r"^(?P<head>.+?)\^\{\((?P<index>[A-Za-z])\)\}$")  # z^{(i)}
CONSISTENT = "the Monte Carlo average of the expectation"


def _expectation(expr) -> tuple[str, sympy.Expr] | None:
    """(the expectation's subscript as written, its integrand) for E_{...}[g]; None otherwise."""
    if isinstance(expr, AppliedUndef) and len(expr.args) == 1:
        m = _EXPECTATION.match(expr.func.__name__.replace(" ", ""))
        if m:
            return m.group("sub") or "", expr.args[0]
    return None


def _subscript_variable(sub: str) -> str | None:
    r"""The variable an expectation's subscript names: z in ``z \sim q``, ``q(z)``, ``q_\phi(z|x)``; None when
    it names none (``\mathbb E_q``)."""
    m = re.match(r"^\{?(?P<v>\\?[A-Za-z]+(?:\{[A-Za-z]\})?)\\sim", sub)
    if m:
        return m.group("v")
    m = re.match(r"^\\?[A-Za-z]+(?:_\{?[^(){}]*\}?)?\((?P<v>\\?[A-Za-z]+)(?:[|,)]|\\mid)", sub)
    return m.group("v") if m else None


def _density_head(text: str) -> str:
    r"""The name a law starts with: 'q' for ``q(z)``, ``q_\phi(z|x)``; 'N' for ``\mathcal{N}(0, I)``."""
    text = strip_fonts(re.sub(r"^\{?\\?[A-Za-z]+\\sim", "", text.replace(" ", "")))
    m = re.match(r"\\?[A-Za-z]+", text)
    return m.group(0) if m else ""


def _draws(summand: sympy.Expr, index: sympy.Symbol) -> dict:
    """{draw node -> its head's name} for every z_{•}(i) and z^{(i)} in the summand."""
    found = {}
    for node in summand.atoms(AppliedUndef):
        m = _ITEM.match(node.func.__name__)
        if m and node.args == (index,):
            found[node] = m.group("head")
    for node in summand.free_symbols:
        m = _SUPERSCRIPT_ITEM.match(node.name)
        if m and m.group("index") == index.name:
            found[node] = m.group("head")
    return found


def _declared_from(head: str, index: str, text: str) -> str | None:
    r"""The law the text draws the head's draws from (``z_l \sim q(z)``, ``z^{(l)} \sim q``): its name's head."""
    name = re.escape(head)
    at = re.escape(index)
    pattern = (name + r"\s*(?:_\s*\{?\s*" + at + r"\s*\}?|\^\s*\{\s*\(\s*" + at + r"\s*\)\s*\})\s*"
               r"(?:\\(?:stackrel|overset)\{[^{}]*\}\{\\sim\}|\\sim)\s*(?P<law>[^$,;]+)")
    m = re.search(pattern, text)
    return _density_head(m.group("law")) if m else None


def check(left: Side, relation: str, right: Side, context: Context) -> StepResult | None:
    values = equation_values(left, relation, right, ("≈",))
    if values is None:
        return None
    expectation, average = values
    found = _expectation(expectation)
    if found is None:
        return None
    sub, integrand = found
    sums, others = sift(sympy.Mul.make_args(average), lambda f: isinstance(f, sympy.Sum), binary=True)
    coefficient = sympy.Mul(*others)
    if len(sums) != 1 or len(sums[0].limits) != 1:
        return None
    total = sums[0]
    index, low, high = total.limits[0]
    count = sympy.simplify(high - low + 1)
    if coefficient.has(index) or coefficient.atoms(AppliedUndef) or not count.free_symbols:
        return None
    draws = _draws(total.function, index)
    heads = set(draws.values())
    if len(heads) != 1:
        return None
    head = heads.pop()
    variable = {s.name: s for s in integrand.free_symbols}.get(head)
    named = _subscript_variable(sub)
    if variable is None or (named is not None and named != head):
        return None  # the draws are not of the expectation's variable
    at_variable = total.function.xreplace({node: variable for node in draws})
    if at_variable.has(index) or sympy.simplify(at_variable - integrand) != 0:
        return None  # another estimator: weights, a reparameterised draw, a control variate
    mean = sympy.simplify(coefficient * count)
    limit = sympy.limit(mean, count.free_symbols.pop(), sympy.oo) if len(count.free_symbols) == 1 else None
    names = context.names.latex
    count_name = names.get(high, sympy.latex(high)) if low == 1 else sympy.latex(count)
    result = known_result(relation, left.text, right.text, None, with_equations=True)
    reading = (f"reading the right side as the mean of the integrand at {count_name} draws of {head} "
               f"(the terms of the sum over {names.get(index, index.name)}): its expectation is "
               f"{sympy.latex(mean)} times the expectation")
    if mean == 1:
        law = _density_head(sub) if sub else None
        declared = _declared_from(head, index.name, f"{context.statement} {right.text} {context.prose}")
        if not law or declared != law:
            return None  # the draws' law is not declared as the expectation's: left to the other checks
        return result("proved", f"{CONSISTENT}: {reading}, with the draws from {law} as declared -- unbiased for "
                                f"every {count_name} (linearity of expectation)")
    if limit is None or not limit.is_finite or limit == 1 or limit.free_symbols:
        return None
    written = right.text.strip()
    summed = written[written.find("\\sum"):] if "\\sum" in written else sympy.latex(total)
    correct = rf"\frac{{1}}{{{count_name}}}{summed}" if low == 1 else ""
    return result("disagrees", f"not {CONSISTENT}: {reading}, which tends to {sympy.latex(limit)} times it as "
                               f"the draws grow -- the normaliser of a Monte Carlo mean is 1/{count_name}",
                  f"with the integrand = 1 (the expectation is 1): the right side is {sympy.latex(mean)} for "
                  f"every draw, {sympy.latex(limit)} as {count_name} grows, not 1", correct)
