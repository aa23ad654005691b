r"""The DDPM posterior mean written with the noise (claim ``ddpm.posterior.mean-eps``, Ho et al. 2020 eq. 11):
``\tilde\mu_t = \frac{1}{\sqrt{\alpha_t}}\big(x_t - \frac{\beta_t}{\sqrt{1-\bar\alpha_t}}\epsilon\big)``.

Read by structure and roles: the left side is the posterior mean, ``\tilde\mu`` (any font, subscript ``t`` or
none, with or without arguments: ``\tilde\mu_t(x_t, x_0)``, ``\tilde\mu(x_t, t)``) or ``\mu_q(x_t, x_0)``; the
right side holds one noise term (a name ``\epsilon`` with any subscript, ``\epsilon_t``, or a network
``\epsilon_\theta(x_t, t)``), the noisy sample (a name with subscript ``t`` of the letter on the left's
arguments, or any letter that is not a rate) and the schedule's rates ``\alpha_t``, ``\bar\alpha_t``,
``\bar\alpha_{t-1}``, ``\beta_t`` (``1 - \alpha_t`` for ``\beta_t`` is the same by the claim's definition). The
right side is compared with the claim's derived target by the core checker, the lecture's names read as the
claim's (the reason shows the reading); a flag has a counterexample and the correct form in the lecture's
letters. Unchecked with the reason: a right side that still holds ``x_0`` (that is the claim
``ddpm.posterior.mean``), two noise terms, other names, or ``\alpha_t`` declared as the cumulative product
(DDIM's convention, where ``\bar\alpha_t`` is written ``\alpha_t``).
"""

from __future__ import annotations

import re

import sympy
from sympy.core.function import AppliedUndef

from derivspec.scan.ddpm_kernel import spelled
from derivspec.scan.names import NameKey, strip_fonts
from derivspec.scan.reparameterised import _atom_text
from derivspec.scan.steps import Context, Side, StepResult, equation_values, known_result

CLAIM = "ddpm.posterior.mean-eps"
RECOGNISED = {  # what this module reads (the recognisers page, derivspec/app/docs.py)
    CLAIM: r"$\tilde{\boldsymbol\mu}_t = \frac{1}{\sqrt{\alpha_t}}(\mathbf x_t - \frac{1-\alpha_t}{\sqrt{1-\bar\alpha_t}}"
           r"\boldsymbol\epsilon_t)$ in any letters: $\tilde\mu_t(x_t, x_0)$, $\tilde\mu(x_t, t)$, $\mu_q(x_t, x_0)$ "
           r"on the left; the noise $\epsilon$, $\epsilon_t$ or $\epsilon_\theta(x_t, t)$; $\beta_t$ or $1 - \alpha_t$",
}
SECONDS = 4.0
_RATES = {((), r"\alpha", "t"): "alpha_t", ((r"\bar",), r"\alpha", "t"): "alpha_bar_t",
          ((r"\bar",), r"\alpha", "t-1"): "alpha_bar_prev", ((), r"\beta", "t"): "beta_t"}


def _key(expr) -> NameKey | None:
    if isinstance(expr, sympy.Symbol):
        return NameKey.of(expr.name)
    if isinstance(expr, AppliedUndef):
        return NameKey.of(strip_fonts(re.sub(r"[\[⟮].*$", "", expr.func.__name__)))
    return None


def _posterior_mean(lhs) -> bool:
    r"""\tilde\mu_t, \tilde\mu_t(x_t, x_0), \tilde\mu(x_t, t), \mu_q(x_t, x_0)."""
    key = _key(lhs)
    if key is None or key.base != r"\mu":
        return False
    sub = key.sub.strip("{}")
    if key.accents == (r"\tilde",):
        return sub in ("", "t")
    return not key.accents and sub == "q" and isinstance(lhs, AppliedUndef)


def _noise(expr) -> bool:
    key = _key(expr)
    return key is not None and key.base == r"\epsilon" and not key.accents


def check(left: Side, relation: str, right: Side, context: Context) -> StepResult | None:
    values = equation_values(left, relation, right)
    if values is None:
        return None
    lhs, rhs = values
    if not _posterior_mean(lhs):
        return None
    noises = {a for a in sympy.preorder_traversal(rhs) if isinstance(a, (sympy.Symbol, AppliedUndef)) and _noise(a)}
    if not noises:
        return None  # the x_0 form, or another mean: the claims' shapes read it

    diffusion = getattr(context, "diffusion", None)

    # a flag under the claim's alpha_t = 1 - beta_t, bar alpha_t = prod alpha_s holds under the document's own
    # definitions when they are these (ddpm_kernel.Diffusion.as_defined)
    result = known_result(relation, left.text, right.text, CLAIM,
                          with_equations=diffusion is not None and diffusion.as_defined)
    if len(noises) != 1:
        return result("unchecked", f"recognised as {CLAIM}, but the right side has two noise terms")
    noise = noises.pop()
    others = [a for a in sympy.preorder_traversal(rhs) if isinstance(a, AppliedUndef) and a != noise]
    if others:
        return result("unchecked", f"recognised as {CLAIM}, but the right side applies a function the claim does not "
                                   "interpret")
    rates, samples, unknown = {}, [], []
    for symbol in rhs.xreplace({noise: sympy.Symbol("⟪noise⟫")}).free_symbols - {sympy.Symbol("⟪noise⟫")}:
        key = NameKey.of(symbol.name)
        where = (key.accents, key.base, key.sub.strip("{}")) if key else None
        if where in _RATES:
            rates[_RATES[where]] = symbol
        elif key is not None and not key.accents and key.sub.strip("{}") == "t" \
                and key.base not in (r"\alpha", r"\beta", r"\sigma", r"\epsilon"):
            samples.append(symbol)
        else:
            unknown.append(symbol)
    if any(key.base in ("x", "z", "y") and key.sub.strip("{}") == "0" for key in map(NameKey.of, (
            s.name for s in unknown)) if key):
        return result("unchecked", f"recognised as {CLAIM}, but the right side still holds x_0 (claim "
                                   "ddpm.posterior.mean reads that form)")
    if unknown or len(samples) != 1:
        names = ", ".join(sorted(context.names.latex.get(s, s.name) for s in unknown)) or "no single noisy sample x_t"
        return result("unchecked", f"recognised as {CLAIM}, but the right side uses {names}, which the claim does "
                                   "not have (a different setting or notation)")
    if "alpha_t" in rates and diffusion is not None and diffusion.cumulative_alpha:
        return result("unchecked", f"recognised as {CLAIM}, but the document defines α_t as a cumulative product "
                                   "(DDIM's convention, ᾱ_t written α_t): not read in the one-step α_t")
    return _compare(lhs, noise, samples[0], rates, left, right, context, result)


def _compare(lhs, noise, sample, rates: dict, left: Side, right: Side, context: Context, result):
    from derivspec.core import registry
    from derivspec.core.checker import compare_expressions
    from derivspec.core.lecture_form import lecture_latex

    claim = registry.get(CLAIM)
    by_name = {v.name: v for v in claim.variables} | {d.name: d for d in claim.defined}
    eps, xt = by_name["eps"].symbol, by_name["xt"].symbol
    mapping = {noise: eps, sample: xt} | {symbol: by_name[name].symbol for name, symbol in rates.items()}
    candidate = claim.expand_defined(right.primary.value().xreplace(mapping))
    target = claim.expand_defined(claim.target)
    variables = [v for v in claim.variables if v.symbol in candidate.free_symbols | target.free_symbols]
    if candidate.free_symbols - {v.symbol for v in claim.variables}:
        return result("unchecked", f"recognised as {CLAIM}, but its terms could not all be read in the claim's "
                                   "variables")
    names = context.names.latex
    shown = [f"{_atom_text(noise, context.names)} as " r"\epsilon", f"{names.get(sample, sample.name)} as x_t"]
    reading = f" (reading {', '.join(shown)})"
    try:
        outcome = compare_expressions(candidate, target, variables, seconds=SECONDS)
    except Exception as error:
        return result("unchecked", f"recognised as {CLAIM}; the comparison failed ({type(error).__name__})")
    if outcome.verdict == "equivalent":
        return result("proved", f"matches {CLAIM} ({claim.title}): {outcome.reason}{reading}")
    if outcome.verdict != "not_equivalent":
        return result("unchecked", f"recognised as {CLAIM}: {outcome.reason}")
    # the correct form in the lecture's letters: its beta_t (or 1 - alpha_t) and its alpha-bar
    lecture = {eps: noise, xt: sample, by_name["alpha_t"].symbol: rates.get("alpha_t", sympy.Symbol(r"\alpha_t"))}
    defined = {by_name["beta_t"].symbol: rates.get("beta_t", 1 - lecture[by_name["alpha_t"].symbol]),
               by_name["alpha_bar_t"].symbol: rates.get("alpha_bar_t", sympy.Symbol(r"\bar\alpha_t"))}
    correct_expr = claim.target.xreplace(defined).xreplace(lecture)
    spellings = {s: spelled(s, context, right.text) for s in correct_expr.free_symbols if isinstance(s, sympy.Symbol)}
    try:
        correct = f"{left.text.strip()} = {lecture_latex(correct_expr, spellings)}"
    except Exception:
        correct = f"{left.text.strip()} = {sympy.latex(correct_expr)}"
    c = outcome.counterexample
    back = {"eps": _atom_text(noise, context.names), "xt": names.get(sample, sample.name)} | {
        by_name[name].name: names.get(symbol, symbol.name) for name, symbol in rates.items() if name in by_name}
    evidence = (f"at {', '.join(f'{back.get(k, by_name[k].latex if k in by_name else k)}={v}' for k, v in c.point.items())}"
                f": as written {c.candidate}, derived {c.expected}" if c else outcome.reason)
    return result("disagrees", f"disagrees with {CLAIM} ({claim.title}){reading}", evidence, correct)
