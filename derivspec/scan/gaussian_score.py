r"""The score of a Gaussian, ``\nabla_x \log p(x) = -(x - \mu)/\sigma^2``, with ``p`` the one normal law
``\mathcal N(x; \mu, \sigma^2 I)`` the lead-in sentence names (``\log \mathcal N(x; \mu, \sigma^2 I)`` written out
is left to the derivative rules, which show the log-density they differentiate).

Read by structure: the left side is the gradient in one variable ``v`` of the log of one unknown density of
``v`` (any letter: ``p(\mathbf x)``, ``q(z)``); it is bound to a Gaussian only when the sentence that leads into
the statement names exactly one normal law whose variable is ``v`` -- otherwise nothing fixes ``p`` and the
statement is not this module's. The score is differentiated here from that law's log density (isotropic: the
identity factor dropped, every coordinate alike), as claim ``score.dsm.conditional`` derives for the forward jump.

* **proved** -- the other side equals ``-(v - m)/s`` for the law ``N(v; m, s)``.
* **disagrees** -- it differs (σ for σ², a flipped or missing sign): the correct form in the lecture's letters
  and a counterexample confirmed at 30 digits.
* **unchecked** -- a covariance matrix (a capital letter), or names the law does not have on the other side.
"""

from __future__ import annotations

import random
import re

import sympy
from sympy.core.function import AppliedUndef

from derivspec.core.numbers import fmt
from derivspec.scan.steps import Context, Side, StepResult, equation_values, known_result, read_side

CLAIM = "score.dsm.conditional"
RECOGNISED = {
    CLAIM: r"the score $\nabla_{\mathbf x}\log p(\mathbf x)$ of the one normal law $\mathcal N(\mathbf x; "
           r"\boldsymbol\mu, \sigma^2\mathbf I)$ the lead-in names, in any letters: "
           r"$-(\mathbf x - \boldsymbol\mu)/\sigma^2$",
}
NORMAL_NAME = re.compile(r"^(?:\\mathcal\s*\{?N\}?|N|\\mathcal N)\[")


def _is_normal(expr) -> bool:
    return isinstance(expr, AppliedUndef) and NORMAL_NAME.match(expr.func.__name__) is not None and len(expr.args) == 3


def _laws(text: str, context: Context) -> list:
    laws = []
    for math in re.findall(r"\$\$?([^$]+)\$\$?", text or ""):
        side = read_side(math, context)
        if side.readable:
            try:
                laws.extend(a for a in side.primary.value().atoms(AppliedUndef) if _is_normal(a))
            except Exception:
                continue
    return laws


def score_of(value):
    """(the variable v, the density applied to it, or a normal law written directly) of ∇_v log f(v)."""
    if isinstance(value, sympy.Mul) and len(value.args) == 2:
        derivative = [a for a in value.args if isinstance(a, sympy.Derivative)]
        inverse = [a for a in value.args if isinstance(a, sympy.Pow) and a.exp == -1]
        if len(derivative) == 1 and len(inverse) == 1:
            d, f = derivative[0], inverse[0].base
            if d.expr == f and isinstance(f, AppliedUndef) and len(d.variables) == 1 and f.args[0] == d.variables[0]:
                return d.variables[0], f
    if isinstance(value, sympy.Derivative) and len(value.variables) == 1:
        normals = [a for a in value.atoms(AppliedUndef) if _is_normal(a)]
        if len(normals) == 1 and normals[0].args[0] == value.variables[0] and value.has(sympy.log):
            return value.variables[0], normals[0]
    return None


def check(left: Side, relation: str, right: Side, context: Context) -> StepResult | None:
    values = equation_values(left, relation, right)
    if values is None:
        return None
    found = score_of(values[0])
    if found is None:
        return None
    v, density = found
    if _is_normal(density) or len(density.args) != 1:
        return None  # \log \mathcal N(x; \mu, \sigma^2 I) written out: the derivative rules read it, the mapping shown
    named = _laws(context.lead_in, context)
    if len(named) != 1 or named[0].args[0] != v:
        return None  # nothing binds the density to one Gaussian
    law = named[0]
    how = (f"reading {density.func.__name__}({sympy.latex(v)}) as the lead-in's \\mathcal N({sympy.latex(v)}; "
           f"{sympy.latex(law.args[1])}, {sympy.latex(law.args[2])})")
    _, mean, variance = law.args
    other = values[1]
    result = known_result(relation, left.text, right.text, CLAIM)
    names = {v} | mean.free_symbols | variance.free_symbols
    if any(re.search(r"\\Sigma|^(?:\\math[a-z]+\{)?[A-Z]", s.name) for s in variance.free_symbols):
        return result("unchecked", "the score of a normal law with a covariance matrix: not read as a scalar one")
    if other.atoms(AppliedUndef) or not other.free_symbols <= names:
        return result("unchecked", f"the score of {law}, but the other side uses names the law does not have")
    x = sympy.Symbol("x_score")
    score = sympy.diff(-(x - mean) ** 2 / (2 * variance), x).subs(x, v)
    correct = rf"-\frac{{{sympy.latex(v)} - {sympy.latex(mean)}}}{{{sympy.latex(variance)}}}"
    reason = f"the score of a Gaussian (claim {CLAIM}: ∇ log N(v; m, s) = −(v − m)/s), {how}"
    if sympy.simplify(other - score) == 0:
        return result("proved", f"{reason}: proved equal to {correct}")
    rng = random.Random(0)
    for _ in range(20):
        point = {s: sympy.Rational(rng.randint(2, 40), rng.randint(3, 11)) for s in sorted(names, key=str)}
        point[v] = point[v] + 3  # away from the mean
        written, derived = sympy.N(other.xreplace(point), 30), sympy.N(score.xreplace(point), 30)
        if written.is_real and derived.is_real and abs(written - derived) > 1e-9 * (1 + abs(derived)):
            at = ", ".join(f"{s}={point[s]}" for s in sorted(names, key=str))
            return result("disagrees", f"disagrees with {reason}: the score is {correct}",
                          f"at {at}: as written {fmt(float(written), '.12g')}, derived {fmt(float(derived), '.12g')}", correct)
    return result("unchecked", f"{reason}: differs symbolically but no instance shows it")
