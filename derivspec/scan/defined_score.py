r"""The score of a density the document defines by a formula, ``\nabla_x \log p(x)`` after ``p(x) = \dots``.

An energy-based model writes ``p_\theta(\mathbf x) = \frac{\exp(-E_\theta(\mathbf x))}{Z_\theta}`` and then its score,
``\nabla_{\mathbf x}\log p_\theta(\mathbf x) = -\nabla_{\mathbf x} E_\theta(\mathbf x)``: the normaliser has no x and
drops out. Read by structure: the left side is the gradient in one variable v of the log of one density of v
(any letters), and the lead-in sentence or an equation a few lines up defines that same density of v by a formula
(not a normal law: :mod:`derivspec.scan.gaussian_score` reads those). The score is differentiated here from the
definition, ``\partial_v \log f(v)``, with the document's other functions (``E_\theta``) left unknown and every
name without v constant in v.

* **proved** -- the other side equals it symbolically, for every unknown function;
* **disagrees** -- it differs: the unknown functions are given a concrete form (``E(v) = v^3/3 + v``) and the two
  sides compared at a point, at 30 digits; the flag shows the form, the point and both values;
* None -- no such definition, or the other side uses names the definition does not have.
"""

from __future__ import annotations

import random
import re

import sympy
from sympy.core.function import AppliedUndef

from derivspec.core.numbers import fmt
from derivspec.scan.gaussian_score import NORMAL_NAME, score_of
from derivspec.scan.steps import Context, Side, StepResult, equation_values, known_result, read_side

RECOGNISED = {  # what this module reads (the recognisers page, derivspec/app/docs.py)
    "defined-score": r"$\nabla_{\mathbf x}\log p_\theta(\mathbf x)$ after the document defines $p_\theta(\mathbf x) = "
                     r"\exp(-E_\theta(\mathbf x))/Z_\theta$ (any formula, any letters): differentiated from the "
                     r"definition, the normaliser constant in $\mathbf x$",
}


def _definition(density, context: Context):
    """The formula the lead-in or a nearby equation gives ``density`` (the same function of the same variable)."""
    texts = re.findall(r"\$\$?([^$]+)\$\$?", context.lead_in or "") + list(context.nearby_equations or ())
    found = []
    for text in texts:
        parts = re.split(r"(?<![<>!:\\])=(?!=)", text)
        if len(parts) != 2:
            continue
        left, right = (read_side(p, context) for p in parts)
        try:
            if left.readable and right.readable and left.primary.value() == density:
                formula = right.primary.value()
                if not formula.atoms(AppliedUndef) & {density} and not any(
                        NORMAL_NAME.match(a.func.__name__) for a in formula.atoms(AppliedUndef)):
                    found.append(formula)
        except Exception:
            continue
    return found[0] if len({str(f) for f in found}) == 1 else None


def _concrete(function: AppliedUndef, v: sympy.Symbol, k: int):
    """A concrete form for an unknown function of v (others constant): v^3/3 + v, then e^{v/2} + k v^2."""
    return (v**3 / 3 + v) if k == 0 else sympy.exp(v / 2) + (k + 1) * v**2


def check(left: Side, relation: str, right: Side, context: Context) -> StepResult | None:
    values = equation_values(left, relation, right)
    if values is None:
        return None
    found = score_of(values[0])  # ∇_v log f(v), as the Gaussian score reads it; here f is not a normal law
    if found is None or found[1].args != (found[0],) or NORMAL_NAME.match(found[1].func.__name__):
        return None
    v, density = found
    formula = _definition(density, context)
    if formula is None or not formula.has(v):
        return None
    other = values[1]
    unknown = {a for a in formula.atoms(AppliedUndef) | other.atoms(AppliedUndef)}
    if any(a.args != (v,) for a in unknown) or other.has(density):
        return None  # functions of other arguments, or the density itself on the other side
    if not other.atoms(AppliedUndef) <= formula.atoms(AppliedUndef):
        return None  # a function the definition does not use (V(y) after U(y)): defined elsewhere, perhaps
    if not other.free_symbols <= formula.free_symbols | {v}:
        return None  # names the definition does not have
    functions = {re.sub(r"\[.*$", "", a.func.__name__) for a in unknown}
    if functions & {s.name for s in formula.free_symbols | other.free_symbols}:
        return None  # a letter read as a function on one side and a number on the other (e^{-f(y)} read as f y)
    score = sympy.diff(sympy.log(formula), v)
    result = known_result(relation, left.text, right.text, None)
    definition = f"{sympy.latex(density)} = {sympy.latex(formula)}"
    reason = f"the score of the density the document defines, {definition}, differentiated in {sympy.latex(v)}"
    try:
        same = sympy.simplify(sympy.expand_log(other - score, force=True)) == 0
    except Exception:
        return None
    if same:
        return result("proved", f"{reason}: proved equal for every unknown function, names without "
                                f"{sympy.latex(v)} constant")
    rng = random.Random(0)
    for k in range(2):
        forms = {a: _concrete(a, v, k + i) for i, a in enumerate(sorted(unknown, key=str))}
        concrete = lambda e: e.subs(forms).doit()  # noqa: E731
        names = sorted((formula.free_symbols | other.free_symbols) - {v}, key=str)
        point = {s: sympy.Rational(rng.randint(2, 9), rng.randint(2, 5)) for s in names}
        point[v] = sympy.Rational(rng.randint(1, 9), rng.randint(2, 4))
        try:
            written, derived = (sympy.N(concrete(e).xreplace(point), 30) for e in (other, score))
        except Exception:
            return None
        if written.is_real and derived.is_real and abs(written - derived) > 1e-9 * (1 + abs(derived)):
            shown = ", ".join(f"{sympy.latex(a)} = {sympy.latex(f)}" for a, f in forms.items())
            at = ", ".join(f"{sympy.latex(s)} = {point[s]}" for s in [*names, v])
            return result("disagrees", f"disagrees with {reason}: the score is {sympy.latex(score)}",
                          f"with {shown} at {at}: as written {fmt(float(written), '.12g')}, derived {fmt(float(derived), '.12g')}",
                          sympy.latex(score))
    return None
