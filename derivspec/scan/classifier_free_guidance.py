r"""Classifier-free guidance in any convention (claim ``score.guidance.cfg``).

A guided prediction -- the network's letter with a tilde or a hat (``\tilde\epsilon_\theta(x_t, c)``,
``\hat{\mathbf s}_\theta(\mathbf x, y)``), or its letter subscripted guided/cfg, or any prediction of the
network's letter where the lead-in speaks of guidance -- equal to a linear combination of the same
network's conditional and unconditional outputs. The roles come from the arguments: the conditional output
takes one argument more than the unconditional one (``\epsilon_\theta(x_t, c)`` / ``\epsilon_\theta(x_t)``)
or a condition where the other has the null token (``\varnothing``, ``\emptyset``); or from the subscripts
(``\epsilon_c`` / ``\epsilon_u``, cond / uncond). Conventions differ -- ``(1 + w)\epsilon_c - w\epsilon_u``,
``\epsilon_u + s(\epsilon_c - \epsilon_u)``, scores for noises -- but the claim's derived target
``\gamma\epsilon_c + (1 - \gamma)\epsilon_u`` is an affine combination: its coefficients sum to one. The
lecture's side is compared with the target at ``\gamma`` = its conditional coefficient (the convention
named in the record): proved when equal for every scale; flagged when the coefficients do not sum to one,
with the concrete counterexample of equal predictions (guidance must return that common value).
"""

from __future__ import annotations

import re

import sympy
from sympy.core.function import AppliedUndef

from derivspec.scan.names import NameKey
from derivspec.scan.steps import Context, Side, StepResult, equation_values, known_result
from derivspec.scan.notation import role_letters

CFG = "score.guidance.cfg"
RECOGNISED = {  # what this module reads (the recognisers page, derivspec/app/docs.py)
    CFG: r"a guided prediction ($\tilde\epsilon_\theta(x_t, c)$, $\hat s_\theta(x, y)$, $\epsilon_{\text{guided}}$) "
         r"equal to a linear combination of the same network's conditional and unconditional outputs "
         r"($\epsilon_\theta(x_t, c)$ / $\epsilon_\theta(x_t)$ or $\epsilon_\theta(x_t, \varnothing)$, "
         r"$\epsilon_c$ / $\epsilon_u$), in any convention ($1 + w$ and $-w$, $\epsilon_u + s(\epsilon_c - "
         r"\epsilon_u)$): the coefficients must sum to one",
}
_NULL = re.compile(r"varnothing|emptyset|\\O\b|null|∅", re.I)
_COND_SUB = role_letters("conditional-subscript")  # a guess: derivspec/data/knowledge/notation.toml
_UNCOND_SUB = role_letters("unconditional-subscript")  # a guess: derivspec/data/knowledge/notation.toml
_GUIDED_SUB = role_letters("guided-subscript")  # a guess: derivspec/data/knowledge/notation.toml
_GUIDANCE = re.compile(r"guidance|guided|guide\b", re.I)


def _head(expr) -> NameKey | None:
    return NameKey.of_expression(expr) if isinstance(expr, (AppliedUndef, sympy.Symbol)) else None


def _is_null(arg) -> bool:
    return isinstance(arg, sympy.Symbol) and bool(_NULL.search(arg.name))


def _products(expr, outputs):
    """s(\\epsilon_c - \\epsilon_u) read as an application of s: the scale times its argument."""
    def is_scaled(e):
        key = _head(e)
        return (isinstance(e, AppliedUndef) and len(e.args) == 1 and key is not None and not key.sub
                and not key.accents and any(e.args[0].has(o) for o in outputs))
    return expr.replace(is_scaled, lambda e: sympy.Symbol(e.func.__name__, real=True) * e.args[0])


def _outputs(rhs):
    """(conditional, unconditional, network key) of the right side, else None."""
    found = [a for a in rhs.atoms(AppliedUndef) | rhs.free_symbols if _head(a) is not None]
    by_base = {}
    for a in found:
        key = _head(a)
        if isinstance(a, AppliedUndef) and key.base in (r"\epsilon", r"\varepsilon", "s", r"\mathbf{s}", "e"):
            by_base.setdefault((key.base, key.sub, key.accents), []).append(a)
    for (base, sub, accents), apps in by_base.items():
        apps = sorted(set(apps), key=sympy.default_sort_key)
        if len(apps) != 2:
            continue
        a, b = apps
        for cond, uncond in ((a, b), (b, a)):
            if len(cond.args) == len(uncond.args) + 1 and cond.args[:len(uncond.args)] == uncond.args \
                    and not _is_null(cond.args[-1]):
                return cond, uncond, NameKey(accents, base, sub)
            if len(cond.args) == len(uncond.args) and cond.args[:-1] == uncond.args[:-1] \
                    and _is_null(uncond.args[-1]) and not _is_null(cond.args[-1]):
                return cond, uncond, NameKey(accents, base, sub)
    symbols = [s for s in rhs.free_symbols if _head(s) is not None and _head(s).base in (r"\epsilon", r"\varepsilon")]
    conds = [s for s in symbols if _head(s).sub.strip("{}") in _COND_SUB]
    unconds = [s for s in symbols if _head(s).sub.strip("{}") in _UNCOND_SUB]
    if len(conds) == 1 and len(unconds) == 1 and _head(conds[0]).base == _head(unconds[0]).base:
        key = _head(conds[0])
        return conds[0], unconds[0], NameKey(key.accents, key.base, "")
    return None


def _guided(lhs, network: NameKey, cond, context: Context) -> bool:
    key = _head(lhs)
    if key is None or key.base != network.base:
        return False
    if isinstance(lhs, AppliedUndef) and isinstance(cond, AppliedUndef) and lhs.args != cond.args:
        return False
    if set(key.accents) & {r"\tilde", r"\hat"}:
        return True
    if key.sub.strip("{}") in _GUIDED_SUB or "guid" in key.sub:
        return True
    return bool(_GUIDANCE.search(context.lead_in))


def check(left: Side, relation: str, right: Side, context: Context) -> StepResult | None:
    values = equation_values(left, relation, right)
    if values is None:
        return None
    lhs, rhs = values
    found = _outputs(rhs)
    if found is None:
        return None
    cond, uncond, network = found
    if not _guided(lhs, network, cond, context):
        return None
    from derivspec.core import registry

    rhs = sympy.expand(_products(rhs, (cond, uncond)))
    eps_c, eps_u = sympy.Dummy("eps_c", real=True), sympy.Dummy("eps_u", real=True)
    combination = rhs.xreplace({cond: eps_c, uncond: eps_u})
    a, b = combination.coeff(eps_c), combination.coeff(eps_u)
    rest = sympy.expand(combination - a * eps_c - b * eps_u)

    result = known_result(relation, left.text, right.text, CFG)

    shown_c, shown_u = (context.names.latex.get(o, _tex_of(o)) for o in (cond, uncond))
    if rest != 0 or a.has(eps_c, eps_u) or b.has(eps_c, eps_u) or a.atoms(AppliedUndef) or b.atoms(AppliedUndef):
        return result("unchecked", f"recognised as {CFG} (a guided prediction from {shown_c} and {shown_u}), but "
                                   "the other side is not a linear combination of the two outputs: not checked")
    claim = registry.get(CFG)
    symbols = {v.name: v.symbol for v in claim.variables}
    gamma = symbols["gamma"]
    scales = sorted(a.free_symbols | b.free_symbols, key=lambda s: s.name)
    target = claim.target.xreplace({symbols["eps_c"]: eps_c, symbols["eps_u"]: eps_u, gamma: a})
    reading = (f"reading {shown_c} as the conditional prediction \\epsilon_c, {shown_u} as the unconditional "
               f"\\epsilon_u and the claim's \\gamma as {sympy.latex(a)}")
    total = sympy.simplify(a + b)
    # the lecture's combination against the claim's derived target at gamma = its conditional coefficient
    if sympy.simplify(sympy.expand(combination - target)) == 0:
        return result("proved", f"matches {CFG} ({claim.title}): the coefficients {sympy.latex(a)} and "
                                f"{sympy.latex(b)} sum to one for every scale, {reading}")
    if total.free_symbols:
        point = {s: sympy.Integer(2) for s in scales}
        at = total.xreplace(point)
        if at == 1:
            point = {s: sympy.Integer(3) for s in scales}
            at = total.xreplace(point)
    else:
        point, at = {}, total
    if at == 1 or not at.is_number:
        return result("unchecked", f"recognised as {CFG}, {reading}; the coefficients sum to {sympy.latex(total)}, "
                                   "not decided")
    where = ", ".join(f"{context.names.latex.get(s, s.name)} = {v}" for s, v in point.items())
    correct = f"{left.text.strip()} = ({sympy.latex(a)})\\,{shown_c} + ({sympy.latex(1 - a)})\\,{shown_u}"
    return result("disagrees", f"disagrees with {CFG} ({claim.title}): every convention combines the two "
                               f"predictions affinely (coefficients summing to one); here they sum to "
                               f"{sympy.latex(total)}, {reading}",
                  f"at {where + ', ' if where else ''}{shown_c} = {shown_u} = 1 (equal predictions): as written "
                  f"{at}, derived 1 (guidance returns their common value)", correct)


def _tex_of(expr) -> str:
    if isinstance(expr, AppliedUndef):
        name = re.sub(r"[\[⟮].*$", "", expr.func.__name__)
        return name + "(" + ", ".join(getattr(a, "name", str(a)).strip("⟦⟧") for a in expr.args) + ")"
    return getattr(expr, "name", str(expr))
