r"""The variance of a Monte Carlo mean and the importance-sampling identity, read by structure (claims
``sampling.mc.standard-error`` and ``sampling.is.unbiased``).

**Monte Carlo variance.** :func:`document_estimators` collects the estimators the document defines as the mean of
``n`` draws, in any letters: ``\hat\mu_n = \frac1n\sum_{i=1}^n f(X_i)``, ``\hat I_N = \frac{1}{N}\sum_{n=1}^N
g(x_n)``, ``\bar f = \dots``. A statement ``\mathrm{Var}(E) = \dots`` (or ``\sqrt{\mathrm{Var}(E)}``,
``\mathrm{SE}(E)``, ``\mathrm{std}(E)``) of such an estimator E is compared with the claim's derived target
(variance ``\sigma^2/n``, standard error ``\sigma/\sqrt n``) at the estimator's own count: proved when the other side is
``V/n`` (``\sqrt{V/n}``) with V free of n (V read as the variance of one draw); flagged only when the other side is a
power of one variance letter and the count whose exponents differ from the claim's (``\sigma^2/n^2``), with an
instance. Unchecked: a document that speaks of correlated draws (MCMC, a Markov chain, autocorrelation, antithetic
or control variates), a sum left unexpanded, another letter.

**Importance sampling.** ``\mathbb E_p[f(x)] = \mathbb E_q[\frac{p(x)}{q(x)} f(x)]`` (any letters; ``x \sim p``,
``p(x)`` subscripts; the left side also as ``\int p(x) f(x)\,dx``) is proved for every pair of densities with q > 0
where p f is not zero: the proposal cancels in the integrand. The ratio inverted, ``\frac{q(x)}{p(x)}``, is flagged
with two concrete distributions and f. A right side without the ratio of the two sampling densities (a likelihood
ratio, another weight) is not this identity and is left to the other checks.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import sympy
from sympy.core.function import AppliedUndef
from sympy.utilities.iterables import sift

from derivspec.scan.names import NameKey
from derivspec.scan.steps import Context, Side, StepResult, known_result, read_side

STANDARD_ERROR, IMPORTANCE = "sampling.mc.standard-error", "sampling.is.unbiased"
RECOGNISED = {  # what this module reads (the recognisers page, derivspec/app/docs.py)
    STANDARD_ERROR: r"$\mathrm{Var}(\hat\mu_n) = \sigma^2/n$, $\sqrt{\mathrm{Var}(\hat I_N)}$, $\mathrm{SE}(\bar f)$ "
                    r"where "
                    r"the document defines the estimator as the mean of $n$ draws ($\frac1n\sum_{i=1}^n f(X_i)$, any "
                    r"letters)",
    IMPORTANCE: r"$\mathbb E_p[f(x)] = \mathbb E_q[\frac{p(x)}{q(x)} f(x)]$ (any letters, $x \sim p$ subscripts, the "
                r"left side as $\int p(x) f(x)\,dx$): proved for every pair of densities with $q > 0$ where "
                r"$p f \ne 0$",
}
_NAME = (r"(?:\\(?:hat|bar|widehat|overline|tilde)\s*\{?\s*\\?[A-Za-z]+\s*\}?|\\?[A-Za-z]+)"
         r"(?:\s*_\s*\{?\s*[A-Za-z0-9]+\s*\}?)?(?:\s*\^\s*\{?\s*\\?[A-Za-z]+\s*\}?)?")
_MEAN = re.compile(r"(?P<name>" + _NAME + r")\s*(?::=|=|\\coloneqq|\\equiv)\s*\\frac\s*\{?\s*1\s*\}?\s*\{?\s*"
                   r"(?P<n>[A-Za-z])\s*\}?\s*\\sum\s*_\s*\{?\s*(?P<i>[a-z])\s*=\s*1\s*\}?\s*\^\s*\{?\s*(?P=n)\s*\}?")
_CORRELATED = re.compile(r"correlat|Markov\s+chain|\bMCMC\b|autocorrel|antithetic|control\s+variate|"
                         r"not\s+independent|(?<!in)dependent\s+(?:draws|samples)|stratif|quasi[- ]Monte", re.I)
_INDEPENDENT = re.compile(r"i\.\s?i\.\s?d|independent|Monte\s+Carlo", re.I)
EXPLICIT = "⟦explicit means⟧"
_FONTS = re.compile(r"\\(?:mathrm|text|rm|textrm|operatorname\*?|mathsf|mathbb)\s*")
_LEFT = re.compile(r"^(?P<root>\\sqrt)?(?P<op>Var|V|SE|se|std|sd)(?:\\left)?[(\[](?P<e>.+?)(?:\\right)?[)\]]$")


@dataclass(frozen=True)
class Estimator:
    name: str  # as written, squashed (\hat\mu_n)
    count: str  # n
    variances: tuple = ()  # (letter, power): the letters the document declares as the variance of one draw


def _squash(text: str) -> str:
    return re.sub(r"[\s{}]", "", _FONTS.sub("", text))


def document_estimators(text: str) -> tuple:
    """The Monte Carlo means the document defines; () where it speaks of correlated draws."""
    if _CORRELATED.search(text):
        return ()
    found = {Estimator(_squash(m.group("name")), m.group("n")) for m in _MEAN.finditer(text)}
    if _INDEPENDENT.search(text):  # a mean written out inside Var[...] is read as one of independent draws
        found.add(Estimator(EXPLICIT, ""))
    variances = tuple(sorted(declared_variances(text, found).items()))
    found = {Estimator(e.name, e.count, variances) for e in found}
    return tuple(sorted(found, key=lambda e: e.name))


def check(left: Side, relation: str, right: Side, context: Context) -> StepResult | None:
    if relation != "=" or not right.readable:
        return None
    found = _variance(left, relation, right, context)
    if found is not None or not left.readable:
        return found
    return _importance(left, right) or _unbiased(left, right, context)


def _variance(left: Side, relation: str, right: Side, context: Context) -> StepResult | None:
    estimators = {e.name: e for e in getattr(context, "mc_estimators", ())}
    squashed = _squash(left.text)
    root = squashed.startswith("\\sqrt")
    m = _LEFT.match(squashed[len("\\sqrt"):] if root else squashed)
    if not estimators or not m:
        return None
    inner = _MEAN.match("E=" + m.group("e").strip("()"))
    if m.group("e") not in estimators and inner and EXPLICIT in estimators:  # Var[\frac1n \sum_{i=1}^n f(x_i)]
        estimators[m.group("e")] = Estimator(m.group("e"), inner.group("n"), estimators[EXPLICIT].variances)
    if m.group("e") not in estimators:
        return None
    operator = m.group("op")
    if root and operator not in ("Var", "V"):
        return None
    spread = root or operator not in ("Var", "V")
    estimator = estimators[m.group("e")]

    # the estimator's definition is already read: a flag is not re-judged with the document's equations
    result = known_result(relation, left.text, right.text, STANDARD_ERROR, with_equations=True)

    from derivspec.core import registry

    claim = registry.get(STANDARD_ERROR)
    n_claim, sigma_claim = claim.symbols["n"], claim.symbols["sigma"]
    try:
        count = read_side(estimator.count, context).primary.value()
        stated = right.primary.value()
    except Exception:
        return None
    names = context.names.latex
    count_name = names.get(count, str(count))
    what = "standard error" if spread else "variance"
    defined = f"{estimator.name} as the document defines it, the mean of {count_name} independent draws"
    if stated.atoms(sympy.Sum, sympy.Integral, sympy.Product):
        return result("unchecked", f"recognised as {STANDARD_ERROR} ({defined}), but the other side keeps a sum")
    squared = sympy.powsimp(sympy.expand_power_base(stated ** 2 if spread else stated, force=True), force=True)
    per_draw = sympy.simplify(squared * count)
    declared = _against_declared(stated, per_draw, count, spread, defined, dict(estimator.variances), context,
                                 result)
    if declared is not None:
        return declared
    if count not in per_draw.free_symbols and per_draw != 0 and not _spread_not_squared(per_draw):
        shown = sympy.latex(per_draw) if not per_draw.atoms(AppliedUndef) else "its numerator"
        return result("proved", f"matches {STANDARD_ERROR}, reading {defined} and {shown} as the variance of one "
                                f"draw: the variance of a mean of independent draws is the per-draw variance over "
                                f"{count_name} ({claim.title})")
    others = stated.free_symbols - {count}
    if len(others) != 1 or stated.atoms(AppliedUndef):
        return result("unchecked", f"recognised as {STANDARD_ERROR} ({defined}); the other side is not read as a "
                                   "variance letter and the count")
    sigma, = others
    powers = sympy.Poly(sympy.together(stated).as_numer_denom()[0], sigma).degree() if stated.is_Mul or stated.is_Pow \
        else None
    expected = 1 if spread else 2
    role = "standard deviation" if spread else "variance"
    if powers != expected or sympy.fraction(sympy.together(stated))[1].has(sigma):
        return result("unchecked", f"recognised as {STANDARD_ERROR} ({defined}); the letter "
                                   f"{names.get(sigma, sigma.name)} is not read as a {role}")
    target = claim.target if spread else claim.target ** 2
    target = target.xreplace({n_claim: count, sigma_claim: sigma})
    point = {count: 4, sigma: 3}
    as_written, derived = stated.xreplace(point), target.xreplace(point)
    if as_written == derived:
        return result("unchecked", f"recognised as {STANDARD_ERROR} ({defined}); not decided")
    sigma_name = names.get(sigma, sigma.name)
    correct = (rf"\frac{{{sigma_name}}}{{\sqrt{{{count_name}}}}}" if spread
               else rf"\frac{{{sigma_name}^2}}{{{count_name}}}")
    return result("disagrees", f"disagrees with {STANDARD_ERROR} ({claim.title}), reading {defined} and "
                               f"{sigma_name}{'' if spread else '^2'} as the {role}"
                               " of one draw",
                  f"at {count_name} = 4 draws with {sigma_name} = 3: as written {sympy.nsimplify(as_written)}, the "
                  f"{what} of the mean {sympy.nsimplify(derived)}", correct)


_VAR = r"(?:\\(?:mathrm|operatorname|text)\s*\{\s*(?:Var|var|V)\s*\}|\\mathbb\s*\{?\s*V\s*\}?|Var)"
_LETTER = r"(?P<l>(?:\\[A-Za-z]+|[A-Za-z])(?:\s*_\s*\{?\s*[A-Za-z0-9]+\s*\}?)?)(?P<sq>\s*\^\s*\{?\s*2\s*\}?)?"
_DECLARED = (  # the variance of one draw given a letter: sigma^2 = Var_p(f(x)), Var[f(X)] = s^2, "with variance $v$"
    re.compile(r"\$\s*" + _LETTER + r"\s*(?::=|=|\\coloneqq|\\equiv)\s*" + _VAR + r"(?P<arg>[^$]*)\$"),
    re.compile(r"\$\s*" + _VAR + r"(?P<arg>[^$=]*?)\s*=\s*" + _LETTER + r"\s*\$"),
    re.compile(r"(?:with|has|of)\s+variance\s+\$\s*" + _LETTER + r"\s*\$"),
    re.compile(r"\$\s*" + _LETTER + r"\s*\$,?\s+(?:is\s+)?the\s+variance\s+of\s+(?:one|a\s+single|each)\s+"
               r"(?:draw|sample|term)"),
)


def declared_variances(text: str, estimators=()) -> dict:
    r"""{letter: power} for the letters the prose declares as the variance of one draw (sigma^2 = Var_p(f(x)):
    {\sigma: 2}; "with variance $v$": {v: 1}); a letter declared twice with different powers is dropped, and so is a
    Var(...) of one of the document's estimators (the variance of the mean, not of one draw)."""
    found: dict = {}
    names = {e.name for e in estimators}
    for pattern in _DECLARED:
        for m in pattern.finditer(text):
            argument = m.groupdict().get("arg") or ""
            if _squash(argument).strip("()[]") in names or any(n and n in _squash(argument) for n in names):
                continue
            power = 2 if m.group("sq") else 1
            letter = _squash(m.group("l"))
            found[letter] = power if found.get(letter, power) == power else None
    return {k: v for k, v in found.items() if v is not None}


def _against_declared(stated, per_draw, count, spread: bool, defined: str, declared: dict, context: Context,
                      result):
    """The other side judged against the letter the prose declares as the variance of one draw: proved at that
    letter's declared power, flagged at another (sigma/S where sigma^2 is the variance); None when no declared
    letter is the whole per-draw variance."""
    letters = per_draw.free_symbols
    if len(letters) != 1 or stated.atoms(AppliedUndef):
        return None
    letter, = letters
    power = declared.get(_squash(letter.name))
    if power is None:
        return None
    base, exponent = per_draw.as_base_exp()
    if base != letter or not exponent.is_Rational or sympy.simplify(per_draw / base ** exponent) != 1:
        return None  # 2 sigma^2, sigma^2 + 1: not a power of the letter alone
    names = context.names.latex
    shown = names.get(letter, letter.name)
    variance = shown + ("^2" if power == 2 else "")
    count_name = names.get(count, str(count))
    what = "standard error" if spread else "variance"
    if exponent == power:
        return result("proved", f"matches {STANDARD_ERROR}, reading {defined} and {variance} as the variance of one "
                                f"draw, as the document declares it: the {what} of a mean of independent draws is "
                                f"{'the square root of ' if spread else ''}the per-draw variance over {count_name}")
    point = {count: 2, letter: 2}
    one = per_draw.xreplace({letter: 1}) * letter ** power
    derived = (sympy.sqrt(one / count) if spread else one / count).xreplace(point)
    as_written = stated.xreplace(point)
    if as_written == derived:
        return result("unchecked", f"recognised as {STANDARD_ERROR} ({defined}); not decided")
    correct = (rf"\frac{{{shown}}}{{\sqrt{{{count_name}}}}}" if spread and power == 2 else
               rf"\sqrt{{\frac{{{variance}}}{{{count_name}}}}}" if spread else rf"\frac{{{variance}}}{{{count_name}}}")
    return result("disagrees", f"disagrees with {STANDARD_ERROR}: reading {defined}, the document declares {variance} "
                               f"as the variance of one draw, so the {what} of the mean is {correct}, not the "
                               f"{shown} to another power",
                  f"at {count_name} = 2 draws with {shown} = 2 (the variance of one draw {one.xreplace(point)}): "
                  f"as written {sympy.nsimplify(as_written)}, the {what} of the mean {sympy.nsimplify(derived)}",
                  correct)


def _density(head: str):
    """'p' from an expectation's name \\mathbb{E}_{p}⟮⟯, \\mathbb{E}_{x\\sim p(x)}⟮⟯; None otherwise."""
    m = re.fullmatch(r"\\mathbb\{E\}_\{?(?:[A-Za-z]\\sim)?(?P<d>\\?[A-Za-z]+)(?:\([^()]*\))?\}?⟮⟯",
                     head.replace(" ", ""))
    return m.group("d") if m else None


def _expectation(expr):
    """(density letter, integrand) for E_p[g], else None."""
    if isinstance(expr, AppliedUndef) and len(expr.args) == 1:
        d = _density(expr.func.__name__)
        if d:
            return d, expr.args[0]
    return None


def _applied(expr, letter):
    return [a for a in expr.atoms(AppliedUndef) if a.func.__name__ == letter]


SPREADS = frozenset({r"\sigma", "s"})  # letters lectures use for a standard deviation


def _spread_not_squared(per_draw) -> bool:
    r"""The per-draw variance read off the other side holds a standard deviation's letter (\sigma, s) to a power
    other than 2 -- \sigma/n for the variance, \sigma^2/\sqrt n for the standard error: not read as a variance."""
    powers = sympy.Mul.make_args(per_draw)
    for factor in powers:
        base, exponent = factor.as_base_exp()
        key = NameKey.of(base.name) if isinstance(base, sympy.Symbol) else None
        if key is not None and key.base in SPREADS and exponent != 2:
            return True
    return False


def _importance(left: Side, right: Side) -> StepResult | None:
    try:
        lhs, rhs = left.primary.value(), right.primary.value()
    except Exception:
        return None
    proposal = _expectation(rhs)
    if proposal is None:
        return None
    q, h = proposal
    q_terms = _applied(h, q)
    if len(q_terms) != 1 or len(q_terms[0].args) != 1 or not isinstance(q_terms[0].args[0], sympy.Symbol):
        return None
    q_x = q_terms[0]
    x = q_x.args[0]
    target = _expectation(lhs)
    if target is not None:
        p, g = target
        p_terms = _applied(h, p)
        if p == q or len(p_terms) != 1 or p_terms[0].args != (x,):
            return None
        p_x = p_terms[0]
    elif isinstance(lhs, sympy.Integral) and len(lhs.variables) == 1 and str(lhs.variables[0]) == str(x):
        integrand = lhs.function.xreplace({lhs.variables[0]: x})
        if integrand.has(q_x):
            return None
        # any factor of the integrand may be read as the target density: pick the one the weight divides by q
        factors = [a for a in integrand.atoms(AppliedUndef) if a.args == (x,) and a in h.atoms(AppliedUndef)]
        if sympy.cancel(q_x * h - integrand) == 0:
            p_x = next((a for a in factors if sympy.cancel(h * q_x / a).has(a) is False), None)
        else:
            inverted = [a for a in factors if sympy.cancel(h - q_x / a * integrand / a) == 0]
            p_x = inverted[0] if len(inverted) == 1 else None
        if p_x is None:
            return None
        p, g = p_x.func.__name__, sympy.cancel(integrand / p_x)
    else:
        return None
    if g.has(p_x) or g.has(q_x):
        return None
    ratio = sympy.cancel(h / g) if g != 0 else None
    if ratio is None:
        return None

    result = known_result("=", left.text, right.text, IMPORTANCE)

    if sympy.cancel(ratio - p_x / q_x) == 0:
        return result("proved", f"the importance-sampling identity behind {IMPORTANCE}: proved for every pair of "
                                f"densities {p}, {q} with {q}({x}) > 0 wherever {p}({x}) times the integrand is not "
                                f"zero -- {q} cancels in {q}({x})·{p}({x})/{q}({x})·{g} = {p}({x})·{g}, the integrand "
                                "of the left side")
    if sympy.cancel(ratio - q_x / p_x) == 0:
        ours, inverted = _counterexample()
        swap = re.compile(r"\\frac\s*\{\s*" + re.escape(q) + r"\s*\(\s*" + re.escape(str(x)) + r"\s*\)\s*\}\s*\{\s*"
                          + re.escape(p) + r"\s*\(\s*" + re.escape(str(x)) + r"\s*\)\s*\}")
        written = swap.sub(lambda _: rf"\frac{{{p}({x})}}{{{q}({x})}}", right.text)
        generic = rf"\mathbb{{E}}_{{{q}}}\left[\frac{{{p}({x})}}{{{q}({x})}} {g}\right]"
        correct = written if written != right.text else generic
        return result("disagrees", f"the importance weight is inverted: the identity behind {IMPORTANCE} weighs by "
                                   f"{p}/{q} (the target over the proposal), not {q}/{p}",
                      f"{p} = N(0, 1), {q} = N(1, 1) and {g} taken as {x}: the left side is {ours}, the right side "
                      f"{sympy.latex(inverted)} = {sympy.N(inverted, 6)}", correct)
    return None


def _counterexample():
    """E_p[x] and E_q[(q/p) x] for p = N(0, 1), q = N(1, 1): 0 and 2e, since q(x)^2/p(x) = e N(x; 2, 1)
    (the exponent -(x-1)^2 + x^2/2 = -(x-2)^2/2 + 1), whose mean is 2 (the test integrates both in SymPy)."""
    return sympy.Integer(0), 2 * sympy.E


# --- an estimator said to be the Monte Carlo estimate of an expectation ---------------------------------------------

_ESTIMATE_OF = re.compile(r"(?:Monte[- ]Carlo|sample[- ]mean|sample[- ]average|empirical|importance[- ]sampling|"
                          r"unbiased)\s+(?:estimate|estimator|approximation)\s+of\s+\$(?P<math>[^$]+)\$", re.I)
_NOT_PLAIN = re.compile(r"biased|self[- ]normali[sz]|weighted|ratio\s+estimat|control\s+variate|antithetic|"
                        r"importance|Markov|MCMC|stratif|quasi|\bwith\s+weights|w_", re.I)
_SAMPLED = re.compile(r"\\sim\s*(?P<d>\\?[A-Za-z]+)(?![A-Za-z])")
_TARGET = re.compile(r"^(?:(?P<name>[^=]+?)\s*(?::=|=|\\coloneqq|\\equiv)\s*)?(?P<e>\\mathbb\s*\{?\s*E\s*\}?.+)$")
UNBIASED = "the Monte Carlo mean is unbiased"


def _unbiased(left: Side, right: Side, context: Context) -> StepResult | None:
    r"""``\hat\mu_S = c \sum_{s=1}^S f(x^{(s)})`` after a lead-in saying it is the Monte Carlo (sample-mean)
    estimate of an expectation ``\mu = \mathbb E_p[f(x)]`` whose draws are from p: its expectation under the draws
    is c S \mu (linearity, every term has mean \mu), so it is unbiased iff c S = 1 for every S."""
    lead = context.lead_in
    m = _ESTIMATE_OF.search(lead)
    if m is None or _NOT_PLAIN.search(lead[:m.start()] + m.group(0)) or _NOT_PLAIN.search(left.text):
        return None
    target = _TARGET.match(m.group("math").strip())
    if target is None:
        return None
    try:
        expectation = read_side(target.group("e"), context).primary.value()
        stated = right.primary.value()
    except Exception:
        return None
    found = _expectation(expectation)
    if found is None:
        return None
    density, integrand = found
    sampled = {d.group("d") for d in _SAMPLED.finditer(lead[m.end():])}
    if sampled and sampled != {density}:
        return None  # draws from another density than the expectation's: an importance-sampling estimate
    sums, others = sift(sympy.Mul.make_args(stated), lambda f: isinstance(f, sympy.Sum), binary=True)
    coefficient = sympy.Mul(*others)
    if len(sums) != 1 or len(sums[0].limits) != 1:
        return None
    total = sums[0]
    index, low, high = total.limits[0]
    if coefficient.has(index) or coefficient.atoms(AppliedUndef) or low != 1:
        return None
    variables = [s for s in integrand.free_symbols]
    if len(variables) != 1:
        return None
    x, = variables
    draws = [a for a in total.function.atoms(AppliedUndef) if a.args == (index,)]
    if len(draws) != 1 or total.function.xreplace({draws[0]: x}) != integrand or total.function.has(x):
        return None  # the summand is not the expectation's integrand at the s-th draw
    count = high
    if not isinstance(count, sympy.Symbol) or coefficient.free_symbols - {count}:
        return None
    names = context.names.latex
    name = left.text.strip()
    what = target.group("name").strip() if target.group("name") else target.group("e").strip()
    count_name = names.get(count, str(count))
    result = known_result("=", left.text, right.text, None, with_equations=True)
    mean = sympy.simplify(coefficient * count)
    equals = f" = {target.group('e').strip()}" if target.group("name") else ""
    written = right.text.strip()
    summed = written[written.find("\\sum"):] if "\\sum" in written else sympy.latex(total)
    reading = (f"reading {name} as the Monte Carlo estimate of {what}{equals} the lead-in "
               f"names, from {count_name} draws ~ {density} (the terms of {summed}): each term has mean {what}, so the "
               f"estimate's expectation is {sympy.latex(mean)} times {what}")
    if mean == 1:
        return result("proved", f"{UNBIASED}: {reading} -- unbiased for every {count_name} (linearity of "
                                "expectation)")
    if mean.free_symbols - {count}:
        return None
    at = next((k for k in (1, 2, 3, 4, 5) if mean.xreplace({count: k}) != 1
               and mean.xreplace({count: k}).is_finite), None)
    if at is None or mean.xreplace({count: at}).is_zero:
        return None
    value = sympy.nsimplify(mean.xreplace({count: at}))
    correct = rf"\frac{{1}}{{{count_name}}}{summed}"
    return result("disagrees", f"not the Monte Carlo estimate the lead-in names ({UNBIASED}): {reading}, not "
                               f"{what} -- the normaliser of a sample mean is 1/{count_name}",
                  f"with {integrand} = 1 for every {x} ({what} = 1) and {count_name} = {at}: the estimate is "
                  f"{value}, not 1", correct)
