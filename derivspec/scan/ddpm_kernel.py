r"""The one-step forward kernel of a diffusion, ``q(x_t | x_{t-1}) = N(x_t; c x_{t-1}, v I)``, against the
variance-preserving convention of DDPM (Ho et al. 2020, eq. 2): ``N(\sqrt{1-\beta_t} x_{t-1}, \beta_t I)``.

Read by structure: the left side is a density letter (q, p) of a name with an index ``t`` given the same name
at ``t-1`` (any letter or font: ``\mathbf x``, ``z``); the right side a normal of it whose mean is a multiple
``c`` of ``x_{t-1}`` and whose variance ``v`` is free of both (an identity factor dropped). The invariant of
the convention is ``c^2 + v = 1``: unit-variance ``x_{t-1}`` gives unit-variance ``x_t``. It is compared with
the derived target of claim ``ddpm.marginal.variance`` (``Var[x_t | x_0] = 1 - \bar\alpha_t``, by one step
``\alpha_t Var[x_{t-1}] + \beta_t``) where ``x_{t-1}`` has unit variance (``\bar\alpha_{t-1} = 0``), the
lecture's ``\beta_t`` read as ``1 - \alpha_t`` and its ``\alpha_t`` as the one-step ``\alpha_t``.

* **proved** -- the kernel is the standard one (mean and variance), in the lecture's β_t or α_t.
* **disagrees** -- ``c^2 + v \ne 1``: the convention departed from is named, with the standard form in the
  lecture's letters and the counterexample (a β_t, both variances of x_t when x_{t-1} has unit variance).
* **unchecked** -- the document states another convention (variance exploding, VE, SMLD, NCSN, a
  noise scale σ_t), the kernel has no decay (``x_t = x_{t-1} + noise``), uses letters other than β_t and α_t,
  α_t declared as the cumulative product (DDIM), or is variance-preserving with its rate read otherwise.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import sympy
from sympy.core.function import AppliedUndef

from derivspec.scan.names import NameKey, strip_fonts
from derivspec.scan.steps import Context, Side, StepResult, equation_values, known_result

CLAIM = "ddpm.marginal.variance"
VARIANCE_CLAIM = CLAIM
RECOGNISED = {  # what this module reads (the recognisers page, derivspec/app/docs.py)
    CLAIM: r"the one-step kernel $q(\mathbf x_t \mid \mathbf x_{t-1}) = \mathcal N(\mathbf x_t; c\,\mathbf x_{t-1}, "
           r"v\mathbf I)$ in any letter: variance-preserving ($c^2 + v = 1$, this claim where $x_{t-1}$ has unit "
           r"variance) in the lecture's $\beta_t$ or $\alpha_t = 1 - \beta_t$; another convention the document states "
           r"(variance exploding, SMLD, a noise scale $\sigma_t$) is left unchecked",
}
CONVENTION = "DDPM's variance-preserving kernel (Ho et al. 2020): q(x_t | x_{t−1}) = N(√(1 − β_t) x_{t−1}, β_t I)"

_OTHER = re.compile(r"variance[- ]exploding|\bVE\b|\bSMLD\b|\bNCSN\b|noise[- ]conditional score|\bsub[- ]?VP\b|"
                    r"x_\{?t-1\}?\s*\+\s*\\sigma", re.IGNORECASE)
_DIFFUSION = re.compile(r"diffusion|DDPM|forward (?:process|kernel|noising)|noising|noise schedule|"
                        r"variance schedule|Markov chain", re.IGNORECASE)
_ALPHA = r"(?<!\\bar)(?<!\\bar )(?<!\\bar\{)(?<!\\overline\{)\\alpha\s*_\s*\{?\s*t\s*\}?"  # not \bar\alpha_t
_BETA = r"\\beta\s*_\s*\{?\s*t\s*\}?"
_ONE_STEP = re.compile(_ALPHA + r"\s*(?::=|=|\\coloneqq|\\equiv)\s*1\s*-\s*" + _BETA)
_CUMULATIVE = re.compile(_ALPHA + r"\s*(?::=|=|\\coloneqq|\\equiv)\s*\\prod")
_DEFINED = r"\s*(?::=|=|\\coloneqq|\\equiv)"
_BAR = r"\\(?:bar|overline)\s*\{?\s*\\alpha\s*\}?\s*_\s*\{?\s*t\s*\}?"
_BAR_STANDARD = re.compile(_BAR + _DEFINED + r"\s*(?:\\prod|\\alpha_\{?t\}?\s*\\(?:bar|overline))")


@dataclass(frozen=True)
class Diffusion:
    """What the document says of its forward process."""

    other: str = ""  # the words by which it states another convention ("variance exploding")
    one_step_alpha: bool = False  # it defines alpha_t = 1 - beta_t
    cumulative_alpha: bool = False  # it defines alpha_t as a product (DDIM's alpha_t is DDPM's bar alpha_t)
    standard_rates: bool = True  # every definition it gives of alpha_t, bar alpha_t is DDPM's (1 - beta_t, a product)
    cumulative: tuple = ()  # (accents, letter) of each name it declares the cumulative product of the one-step rates
    one_step_kernel_alpha: bool = False  # it writes the one-step kernel with sqrt(alpha_t) x_{t-1}

    @property
    def as_defined(self) -> bool:
        """The claims' alpha_t = 1 - beta_t, bar alpha_t = alpha_t bar alpha_{t-1} are the document's own."""
        return self.standard_rates and not self.cumulative_alpha


def document_model(text: str) -> Diffusion | None:
    """The document's forward process, or None when it does not speak of one."""
    if not _DIFFUSION.search(text):
        return None
    other = _OTHER.search(text)
    alpha_defined = re.search(_ALPHA + _DEFINED, text) is not None
    bar_defined = re.search(_BAR + _DEFINED, text) is not None
    standard = (not alpha_defined or _ONE_STEP.search(text) is not None) and (
        not bar_defined or _BAR_STANDARD.search(text) is not None)
    return Diffusion(other.group(0) if other else "", bool(_ONE_STEP.search(text)), bool(_CUMULATIVE.search(text)),
                     standard, _cumulative_names(text), _KERNEL_ALPHA.search(text) is not None)


# a name declared the cumulative product of the one-step rates: \gamma_t = \prod_{s=1}^{t} (1 - \beta_s),
# \alpha_t := \prod_{s \le t} \alpha_s (DDIM: the factor's alpha_s is the one-step rate; never itself redefined)
_INDEX_RANGE = r"_\s*\{\s*(\w)\s*(?:=\s*1\s*\}\s*\^\s*\{?\s*t\s*\}?|(?:\\le(?:q)?|<=|\\leqslant)\s*t\s*\})"
_DECLARED_PRODUCT = re.compile(
    r"((?:\\(?:bar|overline|tilde|hat)\s*\{?\s*)?(?:\\[A-Za-z]+|[A-Za-z])\s*\}?)\s*_\s*\{?\s*t\s*\}?\s*"
    r"(?::=|=|\\coloneqq|\\equiv)\s*\\prod\s*" + _INDEX_RANGE + r"\s*(?:\\left\s*)?"
    r"(?:\(\s*1\s*-\s*\\beta\s*_\s*\{?\s*(\w)\s*\}?\s*(?:\\right\s*)?\)|\\alpha\s*_\s*\{?\s*(\w)\s*\}?)")
_KERNEL_ALPHA = re.compile(r"\\sqrt\s*\{\s*" + _ALPHA + r"\s*\}\s*(?:\\,|\\;|\s)*"
                           r"(?:\\(?:math\w+|boldsymbol|bm)\s*\{?\s*)?"
                           r"\w\s*\}?\s*_\s*\{\s*t\s*-\s*1\s*\}")


def _cumulative_names(text: str) -> tuple:
    names = []
    for m in _DECLARED_PRODUCT.finditer(text):
        if (m.group(3) or m.group(4)) != m.group(2):
            continue  # the factor's index is not the product's
        name = re.sub(r"\\(bar|overline|tilde|hat)\s*\{?\s*(\\[A-Za-z]+|[A-Za-z])\s*\}?", r"\\\1{\2}", m.group(1))
        key = NameKey.of(strip_fonts(re.sub(r"\s+", "", name)) + "_{t}")
        if key is None or (key.base == r"\alpha" and not key.accents and m.group(4)):
            continue  # alpha_t = prod alpha_s: a name defined by itself
        names.append((key.accents, key.base))
    return tuple(dict.fromkeys(names))


def _key(symbol) -> NameKey | None:
    return NameKey.of(symbol.name) if isinstance(symbol, sympy.Symbol) else None


def _kernel_sides(lhs, rhs):
    """(x_t, x_{t-1}, the index, mean, variance) of ``q(x_t | x_{t-1}) = N(x_t; m, v)``, or None."""
    if not isinstance(lhs, AppliedUndef) or len(lhs.args) != 2:
        return None
    head = re.match(r"^(.*?)\[([^\]]*)\]$", lhs.func.__name__)
    if head is None or head.group(2) != "|":
        return None
    letter = NameKey.of(strip_fonts(head.group(1)))
    if letter is None or letter.base not in ("q", "p", "Q", "P") or letter.accents:
        return None
    now, previous = lhs.args
    a, b = _key(now), _key(previous)
    if a is None or b is None or (a.accents, a.base) != (b.accents, b.base):
        return None
    index = re.fullmatch(r"\{?([a-z])\}?", a.sub)
    if index is None or b.sub.strip("{}").replace(" ", "") not in (f"{index.group(1)}-1", "0"):
        return None
    if not isinstance(rhs, AppliedUndef) or not re.match(r"^(?:\\mathcal\{N\}|N|\\mathcal N)\[", rhs.func.__name__):
        return None
    args = rhs.args
    if len(args) == 3:
        if args[0] != now:
            return None
        args = args[1:]
    if len(args) != 2:
        return None
    mean, variance = args
    ones = {s: 1 for s in variance.free_symbols if strip_fonts(s.name) == "I"}
    return now, previous, index.group(1), mean, variance.subs(ones)


def check(left: Side, relation: str, right: Side, context: Context) -> StepResult | None:
    values = equation_values(left, relation, right, ("=", ":=", "≡"))
    try:
        found = _kernel_sides(*values) if values is not None else None
    except Exception:
        return None
    if found is None:
        return None
    diffusion = getattr(context, "diffusion", None)
    if diffusion is None:
        return None
    now, previous, index, mean, variance = found
    if _key(previous).sub.strip("{} ") == "0":
        return marginal(left, relation, right, context, found)

    # read in the claim's alpha_t = 1 - beta_t: the document's own when it defines alpha_t so (as_defined)
    result = known_result(relation, left.text, right.text, CLAIM, category="definition",
                          with_equations=diffusion.as_defined)
    if mean.has(now) or variance.has(now) or variance.has(previous):
        return result("unchecked", "recognised as the forward kernel, but its variance depends on x")
    coefficient = sympy.simplify(mean / previous)
    if coefficient.has(previous):
        return result("unchecked", "recognised as the forward kernel, but its mean is not a multiple of "
                                   f"{spelled(previous, context, right.text)}")
    if coefficient == 1:
        return result("unchecked", "a kernel without decay (x_t = x_{t-1} + noise): the variance-exploding form, "
                                   "another convention than DDPM's variance-preserving one; not compared")
    rates = {}
    for symbol in coefficient.free_symbols | variance.free_symbols:
        key = _key(symbol)
        if key is None or key.sub.strip("{}") != index or key.accents or key.base not in (r"\beta", r"\alpha"):
            return result("unchecked", f"recognised as the forward kernel, but it is written with "
                                       f"{spelled(symbol, context, right.text)}, not DDPM's β_t or α_t (another schedule or "
                                       "convention, e.g. a noise scale σ_t): not compared")
        rates[key.base] = symbol
    if not rates:
        return result("unchecked", "recognised as the forward kernel, but it has no rate β_t or α_t")
    if r"\alpha" in rates and diffusion.cumulative_alpha:
        return result("unchecked", "recognised as the forward kernel, but the document defines α_t as a cumulative "
                                   "product (DDIM's convention): the one-step kernel is not read in it")
    if len(rates) == 2 and not diffusion.one_step_alpha:
        return result("unchecked", "recognised as the forward kernel, written with both β_t and α_t, which the "
                                   "document does not relate (α_t = 1 - β_t): not compared")
    return _compare(coefficient, variance, rates, previous, context, diffusion, result, left, right)


def _compare(coefficient, variance, rates: dict, previous, context: Context, diffusion: Diffusion, result,
             left: Side, right: Side):
    from derivspec.core import registry
    from derivspec.core.checker import compare_expressions

    claim = registry.get(CLAIM)
    alpha_t = next(v for v in claim.variables if v.name == "alpha_t")
    alpha_bar_prev = next(v for v in claim.variables if v.name == "alpha_bar_prev")
    # the derived Var[x_t | x_0] where x_{t-1} has unit variance (1 - \bar\alpha_{t-1} = 1)
    target = claim.expand_defined(claim.target).subs(alpha_bar_prev.symbol, 0)
    reading = {rates[r"\beta"]: 1 - alpha_t.symbol} if r"\beta" in rates else {}
    if r"\alpha" in rates:
        reading[rates[r"\alpha"]] = alpha_t.symbol
    written = (coefficient**2 + variance).xreplace(reading)  # Var[c x_{t-1} + noise] at Var[x_{t-1}] = 1
    letter = rates.get(r"\beta", rates.get(r"\alpha"))
    name, x_prev = spelled(letter, context, right.text), spelled(previous, context, right.text)
    x_now = spelled(left.primary.value().args[0], context, left.text)
    if r"\beta" in rates:
        standard = rf"\sqrt{{1 - {name}}} {x_prev}, {name} \mathbf I"
        mapping = f"reading {name} as 1 - α_t of claim {CLAIM}"
    else:
        standard = rf"\sqrt{{{name}}} {x_prev}, (1 - {name}) \mathbf I"
        mapping = f"reading {name} as the one-step α_t of claim {CLAIM}"
    shown = rf"\mathcal N({x_now}; {standard})"
    try:
        outcome = compare_expressions(written, target, [alpha_t], extra_points=[{alpha_t.symbol: sympy.Rational(4, 5)}])
    except Exception as error:
        return result("unchecked", f"recognised as the forward kernel; the comparison failed ({type(error).__name__})")
    if outcome.verdict == "equivalent":
        standard_parts = (sympy.sqrt(alpha_t.symbol), 1 - alpha_t.symbol)
        if all(sympy.simplify(a.xreplace(reading) - b) == 0 for a, b in zip((coefficient, variance), standard_parts)):
            return result("proved", f"agrees with the standard definition of the DDPM forward kernel ({mapping}): "
                                    "mean coefficient squared plus variance is 1, the derived Var[x_t] where "
                                    f"x_{{t-1}} has unit variance; {CONVENTION}; {outcome.reason}")
        return result("unchecked", "variance-preserving (mean coefficient squared plus variance is 1), with its rate "
                                   f"read otherwise than DDPM's ({name} not the step variance): another "
                                   "parameterisation, not flagged")
    if outcome.verdict != "not_equivalent":
        return result("unchecked", f"recognised as the forward kernel: {outcome.reason}")
    announced = diffusion.other or _announced(context.prose)
    if announced:
        return result("unchecked", f"defines the DDPM forward kernel in another convention, which the text announces "
                                   f"('{announced}'): not variance-preserving, not compared with {CONVENTION}")
    point = outcome.counterexample.point if outcome.counterexample else {}
    value = sympy.Rational(str(point.get("alpha_t", "4/5")))
    lecture_value = 1 - value if r"\beta" in rates else value
    as_written = sympy.nsimplify((coefficient**2 + variance).xreplace({letter: lecture_value}))
    evidence = (f"at {name} = {lecture_value} with Var[{x_prev}] = 1: Var[{x_now}] = {target} under the standard "
                f"kernel, {as_written} as written")
    return result("disagrees", f"defines the DDPM forward kernel differently from the standard definition "
                               f"({CONVENTION}): mean coefficient squared plus variance is not 1, so a unit-variance "
                               f"{x_prev} does not give a unit-variance {x_now} ({mapping}); standard form in the "
                               f"lecture's symbols: {left.text.strip()} = {shown}", evidence,
                  correct=f"{left.text.strip()} = {shown}")


def _announced(prose: str) -> str:
    """The words by which the text around the statement says it uses another convention, or ""."""
    from derivspec.scan.conventions import OTHER_CONVENTION

    found = OTHER_CONVENTION.search(prose)
    return found.group(0) if found else ""


def spelled(symbol, context: Context, text: str) -> str:
    """The document's name of ``symbol`` as ``text`` spells it (\\beta_t for \\beta_{t})."""
    tex = context.names.latex.get(symbol, symbol.name)
    short = re.sub(r"_\{(\w)\}", r"_\1", tex)
    return short if short != tex and short in text else tex


# -- the marginal q(x_t | x_0) = N(x_t; c x_0, v I) in a letter the document declares the cumulative product ---------

MARGINAL = "ddpm.marginal.mean"


def marginal(left: Side, relation: str, right: Side, context: Context, found) -> StepResult | None:
    r"""``q(x_t | x_0) = N(x_t; c x_0, v I)`` written with one rate name L_t (L_{t-1}) other than ``\bar\alpha_t``:
    compared with the claims' ``\sqrt{\bar\alpha_t} x_0`` and ``1 - \bar\alpha_t`` when the document declares L_t the
    cumulative product of the one-step rates (``\gamma_t = \prod_{s=1}^t (1 - \beta_s)``; DDIM's ``\alpha_t``);
    None for ``\bar\alpha_t`` and for an ``\alpha_t`` the document declares one-step (the claims' own reading);
    unchecked for a name it does not declare."""
    from derivspec.core import registry

    diffusion = context.diffusion
    now, previous, index, mean, variance = found
    rates = (mean.free_symbols | variance.free_symbols) - {previous}
    keys = {s: _key(s) for s in rates}
    families = {(k.accents, k.base) for k in keys.values() if k is not None}
    if None in keys.values() or len(families) != 1:
        return None
    family = families.pop()
    subs = {s: k.sub.strip("{}").replace(" ", "") for s, k in keys.items()}
    if family == ((r"\bar",), r"\alpha") or not set(subs.values()) <= {index, f"{index}-1"}:
        return None
    if family == ((), r"\alpha") and (diffusion.one_step_alpha or diffusion.one_step_kernel_alpha) and \
            family not in diffusion.cumulative:
        return None  # alpha_t the one-step rate: the claims' reading, compared there
    mean_claim, variance_claim = registry.get(MARGINAL), registry.get(VARIANCE_CLAIM)

    result = known_result(relation, left.text, right.text, MARGINAL, category="definition", covers=(VARIANCE_CLAIM,))
    some = next(iter(sorted(rates, key=lambda r: subs[r])))
    letter = re.sub(r"_\s*\{?\s*" + re.escape(subs[some]).replace(r"\-", r"\s*-\s*") + r"\s*\}?$", f"_{index}",
                    spelled(some, context, right.text))
    if family not in diffusion.cumulative:
        return result("unchecked", f"the forward marginal written with {letter}, which the document does not declare "
                                   "as the cumulative product ᾱ_t (DDIM writes α_t for it; another schedule may be "
                                   "meant): not compared with claims ddpm.marginal.mean and ddpm.marginal.variance")
    if mean.has(now) or not (mean / previous).is_finite or (mean / previous).has(previous):
        return result("unchecked", f"the forward marginal in {letter}, but its mean is not a multiple of "
                                   f"{spelled(previous, context, right.text)}")
    names = {v.name: v.symbol for v in mean_claim.variables}
    alpha_t, bar_prev = names["alpha_t"], names["alpha_bar_prev"]
    reading = {s: (bar_prev * alpha_t if sub == index else bar_prev) for s, sub in subs.items()}
    x0 = names["x0"]
    target_mean = mean_claim.expand_defined(mean_claim.target).xreplace({x0: 1})
    target_variance = variance_claim.expand_defined(variance_claim.target)
    written_mean = (mean / previous).xreplace(reading)
    written_variance = variance.xreplace(reading)
    x_now, x_start = spelled(now, context, left.text), spelled(previous, context, right.text)
    shown = rf"\mathcal N({x_now}; \sqrt{{{letter}}}\, {x_start}, (1 - {letter}) \mathbf I)"
    correct = f"{left.text.strip()} = {shown}"
    mapping = (f"reading {letter}, which the document declares the cumulative product of the one-step rates, as "
               f"ᾱ_t of claims {MARGINAL} and {VARIANCE_CLAIM}")
    if sympy.simplify(written_mean - target_mean) == 0 and sympy.simplify(written_variance - target_variance) == 0:
        return result("proved", f"agrees with the DDPM forward marginal ({mapping}): mean √ᾱ_t {x_start}, "
                                f"variance 1 − ᾱ_t, the claims' derived targets")
    for point in ({alpha_t: sympy.Rational(4, 5), bar_prev: sympy.Rational(1, 2)},
                  {alpha_t: sympy.Rational(9, 10), bar_prev: sympy.Rational(1, 3)}):
        differs = [what for what, w, t in (("mean", written_mean, target_mean),
                                           ("variance", written_variance, target_variance))
                   if abs(sympy.N(w.xreplace(point) - t.xreplace(point), 50)) > 1e-30]
        if differs:
            values = ", ".join(dict.fromkeys([f"{letter} = {(bar_prev * alpha_t).xreplace(point)}", *(
                f"{spelled(s, context, right.text)} = {r.xreplace(point)}" for s, r in reading.items())]))
            shown_values = "; ".join(
                f"{what}: {sympy.nsimplify(w.xreplace(point))}{' ' + x_start if what == 'mean' else ''} as written, "
                f"{sympy.nsimplify(t.xreplace(point))}{' ' + x_start if what == 'mean' else ''} derived"
                for what, w, t in (("mean", written_mean, target_mean), ("variance", written_variance, target_variance))
                if what in differs)
            return result("disagrees", f"defines the DDPM forward marginal differently from the claims' derived "
                                       f"√ᾱ_t {x_start}, 1 − ᾱ_t ({mapping}): its {' and '.join(differs)} "
                                       f"differ; correct form in the lecture's symbols: {correct}",
                          f"at {values} (β_t = {1 - point[alpha_t]}): {shown_values}", correct)
    return result("unchecked", f"the forward marginal in {letter} ({mapping}): differs symbolically, not decided")
