r"""The differential entropy of a univariate Gaussian, ``H(X) = \frac12\log(2\pi e\sigma^2)``, with the law of ``X``
fixed by the document: ``X \sim \mathcal N(\mu, \sigma^2)`` declared a few lines up, or a lead-in sentence that speaks
of a Gaussian (normal) and its variance ``$s$`` and of entropy.

Read by structure: the left side is ``H`` or ``h`` applied to one variable; the value is claim
``nll.gaussian.cross-entropy``'s target (the expected NLL of ``N(μ, σ²)`` under data ``N(m, s²)``) at ``m = μ``,
``s = σ`` -- the entropy ``−E[log p(X)]`` is the cross-entropy of the law with itself.

* **proved** -- the other side equals ``½ log(2π e s)`` for the variance ``s``.
* **disagrees** -- it differs (σ for σ², a missing e or ½, a flipped sign): the correct form in the lecture's letters
  and a counterexample.
* **unchecked** -- logs in another base, a covariance matrix, names the law does not have.
"""

from __future__ import annotations

import re

import sympy
from sympy.core.function import AppliedUndef

from derivspec.core.numbers import fmt
from derivspec.scan.steps import Context, Side, StepResult, equation_values, known_result, read_side

CLAIM = "nll.gaussian.cross-entropy"
RECOGNISED = {
    CLAIM: r"the differential entropy $H(X) = \frac12\log(2\pi e\sigma^2)$ of $X \sim \mathcal N(\mu, \sigma^2)$ "
           r"(declared, or a Gaussian with variance $\sigma^2$ in the lead-in), in any letters",
}
_ENTROPY_NAME = re.compile(r"^(?:H|h|\\mathbb\{H\}|\\mathcal\{H\}|\\operatorname\{H\}|\\mathrm\{H\})$")
_LEAD_VARIANCE = re.compile(r"(?:Gaussian|normal)\b[^.$]*?\bvariance\s*\$([^$]+)\$", re.IGNORECASE)


def _entropy_of(value):
    if isinstance(value, AppliedUndef) and len(value.args) == 1 and isinstance(value.args[0], sympy.Symbol):
        if _ENTROPY_NAME.match(value.func.__name__):
            return value.args[0]
    return None


def _variance(v, context: Context):
    """(variance, how it was fixed) of the Gaussian law of ``v`` the document gives; None when none."""
    law = context.samples.get(v)
    if law is not None:
        family, mean, variance = law
        if family != "normal":
            return None
        return variance, f"{sympy.latex(v)} \\sim \\mathcal N({sympy.latex(mean)}, {sympy.latex(variance)}) declared"
    lead = context.lead_in or ""
    if not re.search(r"entropy", lead, re.IGNORECASE):
        return None
    found = _LEAD_VARIANCE.findall(lead)
    if len(found) != 1:
        return None
    side = read_side(found[0], context)
    if not side.readable:
        return None
    try:
        variance = side.primary.value()
    except Exception:
        return None
    if not variance.free_symbols or variance.atoms(AppliedUndef):
        return None
    return variance, f"the lead-in's Gaussian with variance {found[0].strip()}"


def entropy(variance) -> sympy.Expr:
    """½ log(2π e s): claim nll.gaussian.cross-entropy's target at m = μ, s = σ (the law against itself)."""
    from derivspec.core import registry

    claim = registry.get(CLAIM)
    sym = claim.symbols
    sd = sympy.Symbol("sd_entropy", positive=True)
    value = claim.target.xreplace({sym["m"]: sym["mu"], sym["s"]: sd, sym["sigma"]: sd})
    return sympy.expand_log(sympy.simplify(value), force=True).xreplace({sd: sympy.sqrt(variance)})


_OTHER_BASE = re.compile(r"\\log_|\\lg\b|\\ln_|\bbits?\b|\bbase[- ](?:2|10)\b|\bnats?\b", re.IGNORECASE)


def other_base(text: str, context: Context) -> bool:
    """The statement or the prose near it speaks of a log base or units (bits, base 2, nats, log_2): not compared."""
    return bool(_OTHER_BASE.search(" ".join((text, context.lead_in or "", context.prose or ""))))


def check(left: Side, relation: str, right: Side, context: Context) -> StepResult | None:
    values = equation_values(left, relation, right)
    if values is None:
        return None
    v = _entropy_of(values[0])
    if v is None:
        return None
    fixed = _variance(v, context)
    if fixed is None:
        return None
    variance, how = fixed
    result = known_result(relation, left.text, right.text, CLAIM, category="known result")
    other = values[1]
    if context.log_base is not None or other_base(right.text, context):
        return result("unchecked", "the entropy of a Gaussian, but the lecture's logs are not natural: not compared")
    if any(re.search(r"\\Sigma|^(?:\\math[a-z]+\{)?[A-Z]", s.name) for s in variance.free_symbols):
        return result("unchecked", "the entropy of a Gaussian with a covariance matrix: not read as a univariate one")
    if other.atoms(AppliedUndef) or not other.free_symbols <= variance.free_symbols:
        return result("unchecked", f"the entropy of a Gaussian ({how}), but the other side uses names the variance "
                                   "does not have")
    positive = {s: sympy.Symbol(s.name + "_pos", positive=True) for s in variance.free_symbols}
    back = {p: s for s, p in positive.items()}
    derived = entropy(variance.xreplace(positive))
    written = other.xreplace(positive)
    correct = rf"\frac{{1}}{{2}}\log\left(2\pi e {sympy.latex(variance)}\right)"
    reason = (f"the differential entropy of a Gaussian, −E[log p(X)] = ½ log(2π e s) (claim {CLAIM} at m = μ, "
              f"s = σ: the law against itself), {how}")
    difference = sympy.simplify(sympy.expand_log(written - derived, force=True))
    if difference == 0:
        return result("proved", f"{reason}: proved equal to {correct}")
    for k in range(2, 30):
        point = {p: sympy.Rational(k * k + 1, k + 2) for p in positive.values()}
        a, b = sympy.N(written.xreplace(point), 30), sympy.N(derived.xreplace(point), 30)
        if a.is_real and b.is_real and abs(a - b) > 1e-9 * (1 + abs(b)):
            at = ", ".join(f"{back[p]}={point[p]}" for p in sorted(point, key=str))
            return result("disagrees", f"disagrees with {reason}: the entropy is {correct}",
                          f"at {at}: as written {fmt(float(a), '.12g')}, derived {fmt(float(b), '.12g')}", correct)
    return result("unchecked", f"{reason}: differs symbolically but no instance shows it")
