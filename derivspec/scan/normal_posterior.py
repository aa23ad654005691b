r"""The posterior of a Gaussian mean the document declares: a prior on the mean, N i.i.d. observations, the
noise variance known (claims ``map.normal-normal.posterior-mean`` / ``-variance``).

The model is read with :func:`derivspec.scan.linear_gaussian.gaussians_in` (Greek names allowed):
``\mu \sim \mathcal N(\mu_0, \sigma_0^2)`` or ``p(\mu) = \mathcal N(\mu \mid \mu_0, \sigma_0^2)``, and
``x_i \mid \mu \sim \mathcal N(\mu, \sigma^2)`` (or ``x_i \sim \mathcal N(\mu, \sigma^2)``, its mean the letter with
the prior) with an indexed observation (one observation ``x | z`` is
the linear-Gaussian path). A statement whose left side is the posterior's mean (``\mu_N``, ``\mu_{\text{post}}``,
``\mathbb E[\mu \mid \mathcal D]``), variance (``\sigma_N^2``, ``\mathrm{Var}[\mu \mid x_{1:N}]``) or precision
(``1/\sigma_N^2``; ``\lambda_N`` when the prior is written ``\mathcal N(m_0, \lambda_0^{-1})``) is compared with the
claim's general form at the lecture's count, in the lecture's letters: the claim's mu0, sigma0, sigma read as the
declared prior mean, prior variance and noise variance, ``\bar x`` as the items' mean, sums over the items by
linearity. Proved when the two sides agree as rational functions of the count, the parameters and the items'
sums (every N); flagged when they differ at an exact instance (a count, items, parameters, all rational), with
the correct form in the lecture's letters. Unchecked with the reason: an unknown variance or a prior on it
(Normal-Gamma), a standard deviation where the convention is unclear, MAP/MLE wording without the posterior,
names outside the model.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from fractions import Fraction

import sympy
from sympy.core.function import AppliedUndef

from derivspec.scan.finite_sums import limit_symbol
from derivspec.scan.linear_gaussian import gaussians_in
from derivspec.scan.steps import Context, Side, StepResult, known_result, read_side

MEAN, VARIANCE = "map.normal-normal.posterior-mean", "map.normal-normal.posterior-variance"
RECOGNISED = {  # what this module reads (the recognisers page, derivspec/app/docs.py)
    MEAN: r"$\mu_N = \ldots$, $\mu_{\text{post}}$, $\mathbb E[\mu \mid \mathcal D]$ after the document declares "
          r"$\mu \sim \mathcal N(\mu_0, \sigma_0^2)$ and $x_i \mid \mu \sim \mathcal N(\mu, \sigma^2)$, at its own "
          r"count $N$, in its letters ($\bar x$, $\sum_i x_i$)",
    VARIANCE: r"$\sigma_N^2$, $1/\sigma_N^2$, $\mathrm{Var}[\mu \mid \mathcal D]$ (or a precision $\lambda_N$ when the "
              r"prior is written with $\lambda_0^{-1}$) after the same declarations",
}
_INDEXED = re.compile(r"^(?P<head>\\?[A-Za-z]+)_\{?(?P<index>[ijkmnt])\}?$")
_UNKNOWN_VARIANCE = re.compile(r"Normal[- ]?(?:Inverse[- ]?)?Gamma|Inv(?:erse)?[- ]?Gamma|\bGamma\s*\(|"
                               r"\\(?:mathrm|text|operatorname)\{(?:Gam|Gamma|IG|NIG|NG)\}|Wishart|"
                               r"unknown\s+(?:noise\s+)?(?:variance|precision)|prior\s+on\s+(?:the\s+)?"
                               r"(?:noise\s+)?(?:variance|precision)", re.I)
_OTHER_ESTIMATE = re.compile(r"\bMLE\b|maximum[- ]likelihood|\bMAP\b|a\s+posteriori", re.I)
_POSTERIOR = re.compile(r"posterior|conjugate|Bayes", re.I)
_POST_SUB = ("post", "posterior", "N", "n")
_COUNT_SUB = re.compile(r"^\{?(?:[A-Z]|n)\}?$")  # mu_K, sigma_T^2: the posterior after the document's count K


@dataclass(frozen=True)
class Model:
    latent: str  # \mu
    head: str  # x (the observations x_i)
    prior_mean: str
    prior_spread: str  # as written: \sigma_0^2, \lambda_0^{-1}
    noise_spread: str
    gate: str = ""  # why statements are not judged against it
    in_prose: bool = False  # the likelihood is said in prose ("N observations with known variance sigma^2")


def document_model(text: str) -> Model | None:
    """The normal-normal model the document declares, or None."""
    found = gaussians_in(text, greek=True)
    models = set()
    for observed in found:
        m = _INDEXED.match(observed.variable)
        # x_i | mu ~ N(mu, s^2), or x_i ~ N(mu, s^2) whose mean is a letter with a prior of its own
        given = observed.given if observed.given is not None else observed.mean.strip()
        if not m or observed.mean.strip() != given:
            continue
        priors = {(g.mean, g.spread) for g in found if g.given is None and g.variable == given}
        if len(priors) == 1:
            (mean, spread), = priors
            models.add(Model(given, m.group("head"), mean, spread, observed.spread))
    if not models and not any(g.given for g in found):
        models = _prose_models(text, found)
    if len(models) != 1:
        return None
    model = models.pop()
    noise_letter = re.escape(re.sub(r"\^.*$", "", model.noise_spread).strip())
    if _UNKNOWN_VARIANCE.search(text) or (noise_letter and re.search(
            r"(?<![\\A-Za-z])" + noise_letter + r"(?:\^\{?[-0-9]+\}?)?\s*(?:\\sim|\|)", text)):
        return Model(**{**model.__dict__, "gate": "the document puts a prior on the noise variance or calls it "
                                                  "unknown (Normal-Gamma), not the known-variance model"})
    return model


# "N observations with known variance $\sigma^2$", "Gaussian data ... known noise variance $s^2$": the likelihood
# said in prose
_PROSE_NOISE = re.compile(r"(?:Gaussian|normal)\b[^.]{0,100}?known\s+(?:noise\s+)?variance\s*\$\s*(?P<v>[^$]+?)\s*\$|"
                          r"observations?\b[^.]{0,60}?(?:Gaussian|normal)?[^.]{0,30}?(?:known\s+)?(?:noise\s+)?"
                          r"variance\s*\$\s*(?P<w>[^$]+?)\s*\$", re.I)
_PROSE_GAUSSIAN = re.compile(r"Gaussian|normal", re.I)
_OBSERVED = re.compile(r"\\bar\s*\{?\s*(?P<a>[A-Za-z])\s*\}?|observations?\s*\$\s*(?P<b>[A-Za-z])_\{?[0-9inkt]")


def _prose_models(text: str, found) -> set:
    """The model when the prior is declared and the likelihood is said in prose: Gaussian observations with a
    known variance named in the same sentence, the observations' letter from ``\bar x`` or "observations $x_1$"."""
    noises = {(m.group("v") or m.group("w")).strip() for m in _PROSE_NOISE.finditer(text)}
    heads = {m.group("a") or m.group("b") for m in _OBSERVED.finditer(text)}
    priors = {(g.variable, g.mean, g.spread) for g in found if g.given is None and re.search(r"_\{?0\}?", g.spread)}
    if len(noises) != 1 or len(heads) != 1 or len(priors) != 1 or not _PROSE_GAUSSIAN.search(text):
        return set()
    (latent, mean, spread), = priors
    return {Model(latent, heads.pop(), mean, spread, noises.pop(), in_prose=True)}


def _key(expr):
    from derivspec.scan.names import NameKey

    return NameKey.of(expr.name) if isinstance(expr, sympy.Symbol) else None


def _power_of_symbol(expr: sympy.Expr):
    """(symbol, k) for ``symbol**k``, else None."""
    base, k = expr.as_base_exp()
    return (base, k) if isinstance(base, sympy.Symbol) and k in (1, 2, -1, -2) else None


def check(left: Side, relation: str, right: Side, context: Context) -> StepResult | None:
    model = getattr(context, "normal_model", None)
    if model is None or relation != "=" or not left.readable or not right.readable:
        return None

    def read(text):
        side = read_side(text, context)
        if not side.readable:
            raise ValueError(text)
        return side.primary.value()

    try:
        latent, m0, v0, s2 = (read(t) for t in (model.latent, model.prior_mean, model.prior_spread, model.noise_spread))
        lhs, rhs = left.primary.value(), right.primary.value()
    except Exception:
        return None
    prior = _power_of_symbol(v0)
    if prior is None or not _key(prior[0]) or _key(prior[0]).sub not in ("0", "{0}"):
        return None
    spread_base = _key(prior[0]).base
    quantity, posterior_symbol = _quantity(lhs, latent, _key(m0) if isinstance(m0, sympy.Symbol) else None, spread_base)
    if quantity is None:
        return None
    claim_id = MEAN if quantity == "mean" else VARIANCE

    result = known_result(relation, left.text, right.text, claim_id)

    if model.gate:
        return result("unchecked", f"recognised as {claim_id}, but {model.gate}")
    if _OTHER_ESTIMATE.search(context.prose) and not _POSTERIOR.search(context.prose):
        return result("unchecked", f"recognised as {claim_id}, but the text speaks of MLE/MAP, not the posterior")
    noise = _power_of_symbol(s2)
    for power, what in ((prior, "prior"), (noise, "noise")):
        if power is None or (power[1] == 1 and _key(power[0]) and _key(power[0]).base in (r"\sigma", "s")):
            return result("unchecked", f"recognised as {claim_id}, but the {what}'s second argument is not read as a "
                                       "variance or a precision")
    return _compare(model, context, lhs, rhs, quantity, posterior_symbol, latent, m0, v0, s2, prior, result)


def _quantity(lhs, latent, mean_key, spread_base):
    """('mean' | 'spread' | 'variance', the posterior's symbol or None) for the statement's left side."""
    if isinstance(lhs, AppliedUndef) and lhs.args and lhs.args[0] == latent:
        name = lhs.func.__name__
        if name.startswith(r"\mathbb{E}[") and len(lhs.args) == 2:
            return "mean", None
        if name.startswith(r"\mathrm{Var}[") and len(lhs.args) == 2:
            return "variance", None
        return None, None
    key = _key(lhs)
    if key and mean_key and not key.accents and key.base == mean_key.base and _posterior_sub(key.sub):
        return "mean", lhs
    symbols = [s for s in lhs.free_symbols]
    if len(symbols) == 1 and not isinstance(lhs, AppliedUndef):
        key = _key(symbols[0])
        if key and not key.accents and key.base == spread_base and _posterior_sub(key.sub):
            return "spread", symbols[0]
    return None, None


def _posterior_sub(sub: str) -> bool:
    return sub in _POST_SUB or bool(_COUNT_SUB.match(sub))


def _compare(model, context, lhs, rhs, quantity, posterior_symbol, latent, m0, v0, s2, prior, result):
    from derivspec.core import registry
    from derivspec.core.sums import linear_form
    from derivspec.scan.sizes import _indices, _items

    claim_id = MEAN if quantity == "mean" else VARIANCE
    names = context.names.latex
    sub = _key(posterior_symbol).sub if posterior_symbol is not None else ""
    count = limit_symbol(rhs)
    if count is None or str(count).startswith("⟦"):
        wanted = sub.strip("{}") if _COUNT_SUB.match(sub) else None
        present = [s for s in rhs.free_symbols if s.name in ("N", "n")]
        count = (read_side(wanted, context).primary.value() if wanted else present[0] if len(present) == 1 else None)
        if wanted and wanted not in ("N", "n") and count not in rhs.free_symbols:
            count = None  # mu_A, a group's mean: A is a count only where the other side uses it
    if count is None:
        return result("unchecked", f"recognised as {claim_id}, but no count of observations (N) is in sight")
    rhs = rhs.xreplace({s: count for s in rhs.free_symbols if s.name.startswith("⟦range")})
    item = sympy.Function("item", real=True)
    items = _items(rhs, _indices(rhs))
    if any(head != model.head for head, _ in items.values()):
        return result("unchecked", f"recognised as {claim_id}, but its sum is not over the observations {model.head}_i")
    candidate = rhs.xreplace({node: item(index) for node, (_, index) in items.items()})
    i = sympy.Symbol("i", integer=True)
    claim = registry.get(claim_id)
    sizes = next(r.sizes for r in claim.recognisers() if r.sizes is not None)
    variance = next(r.sizes for r in registry.get(VARIANCE).recognisers() if r.sizes is not None)
    symbols = {v.name: v.symbol for v in claim.variables}
    to_document = {symbols["mu0"]: m0, symbols["sigma0"]: sympy.sqrt(v0), symbols["sigma"]: sympy.sqrt(s2)}
    posterior_variance = variance.general(count, item).xreplace(to_document)
    symbol0, k = prior
    # the posterior's own spread symbol (sigma_N) on either side: its value from the prior's form sigma_0^k
    spread_symbols = [s for s in candidate.free_symbols | lhs.free_symbols
                      if _key(s) and _key(s).base == _key(symbol0).base and _posterior_sub(_key(s).sub)]
    values = {s: posterior_variance ** sympy.Rational(1, k) for s in spread_symbols}
    for s in list(candidate.free_symbols):
        key = _key(s)
        if key and key.accents == (r"\bar",) and key.base == model.head and not key.sub or (
                key and key.accents in ((r"\hat",), (r"\widehat",)) and _key(latent) and key.base == _key(latent).base
                and re.sub(r"[{}\s]|\\(?:mathrm|text|rm)", "", key.sub) in ("ML", "MLE")):  # \hat\mu_{ML}: the mean
            values[s] = sympy.Sum(item(i), (i, 1, count)) / count
    candidate = candidate.xreplace(values)
    if quantity == "mean":
        target = sizes.general(count, item).xreplace(to_document)
    elif quantity == "variance":
        target = posterior_variance
    else:
        target = lhs.xreplace(values)
    allowed = m0.free_symbols | v0.free_symbols | s2.free_symbols | {count}
    stray = candidate.free_symbols - allowed - _indices(candidate)
    if stray:
        shown = ", ".join(sorted(names.get(s, s.name) for s in stray))
        return result("unchecked", f"recognised as {claim_id}, but the other side uses {shown}, which the declared "
                                   "model does not define")
    has_items = bool(candidate.atoms(AppliedUndef))
    if quantity == "mean" and not (has_items and candidate.free_symbols & m0.free_symbols):
        return result("unchecked", f"recognised as {claim_id}, but the other side does not weigh the prior mean "
                                   "against the data (another quantity?)")
    if quantity != "mean" and (has_items or not candidate.free_symbols & v0.free_symbols):
        return result("unchecked", f"recognised as {claim_id}, but the other side is not a function of the prior and "
                                   "noise variances alone (another quantity?)")
    count_name = names.get(count, count.name)
    declared = (f"{model.latent} ~ N({model.prior_mean}, {model.prior_spread}), {model.head}_i | {model.latent} ~ "
                f"N({model.latent}, {model.noise_spread}), i = 1..{count_name}")
    if model.in_prose:
        declared += f" (the observations' law as the text says it: Gaussian, known variance {model.noise_spread})"
    reading = (f" (reading the declared model {declared}; the claim's \\mu_0, \\sigma_0^2, \\sigma^2 as "
               f"{model.prior_mean}, {model.prior_spread}, {model.noise_spread})")
    try:
        difference = _as_rational(linear_form(sympy.expand(candidate)) - linear_form(sympy.expand(target)))
    except Exception:
        difference = None
    if difference == 0:
        return result("proved", f"matches {claim_id} ({claim.title}) for every {count_name}: the two sides agree as "
                                f"rational functions of {count_name}, the parameters and the items' sums{reading}")
    correct = _correct(model, quantity, count_name)
    for n in (3, 2, 4, 5):
        point = _instance(n, allowed - {count})
        xs = [sympy.Rational(v) for v in (1, 3, -2, 5, 4)[:n]]

        def at(expr):
            expr = expr.xreplace({count: sympy.Integer(n)}).doit()
            expr = expr.replace(lambda e: isinstance(e, AppliedUndef) and e.func == item,
                                lambda e: xs[int(e.args[0]) - 1])
            return sympy.nsimplify(expr.xreplace(point)) if expr.free_symbols else expr.xreplace(point)

        try:
            stated, derived = sympy.simplify(at(candidate)), sympy.simplify(at(target))
        except Exception:
            continue
        if stated.free_symbols or derived.free_symbols or not (stated.is_Rational and derived.is_Rational):
            continue
        if stated != derived:
            shown_items = [f"{model.head}_{k + 1} = {x}" for k, x in enumerate(xs)] if has_items else []
            where = ", ".join([f"{count_name} = {n}"] + shown_items
                              + [f"{names.get(s, s.name)} = {v}"
                                 for s, v in sorted(point.items(), key=lambda p: p[0].name)])
            return result("disagrees", f"disagrees with {claim_id} ({claim.title}){reading}",
                          f"at {where}: as written {stated}, the posterior's {derived}", correct)
    return result("unchecked", f"recognised as {claim_id}; not decided{reading}")


def _as_rational(expr):
    sums = {s for s in sympy.preorder_traversal(expr) if isinstance(s, sympy.Sum)}
    names = {s: sympy.Dummy(f"S{k}") for k, s in enumerate(sorted(sums, key=sympy.default_sort_key))}
    return sympy.cancel(sympy.together(expr.xreplace(names)))


def _instance(n: int, symbols) -> dict:
    values = (Fraction(3, 2), Fraction(5, 4), Fraction(2), Fraction(7, 3), Fraction(1, 2))
    return {s: sympy.Rational(values[k % len(values)].numerator, values[k % len(values)].denominator)
            for k, s in enumerate(sorted(symbols, key=lambda s: s.name))}


def _correct(model, quantity: str, count: str) -> str:
    v0, s2, m0, x = model.prior_spread, model.noise_spread, model.prior_mean, model.head
    if quantity == "mean":
        return rf"\frac{{{s2}\,{m0} + {v0}\sum_{{i=1}}^{{{count}}} {x}_i}}{{{count}\,{v0} + {s2}}}"
    posterior = re.sub(r"_\{?0\}?", "_{" + count + "}", v0, count=1)
    return rf"{posterior} = \left(\frac{{1}}{{{v0}}} + \frac{{{count}}}{{{s2}}}\right)^{{-1}}"
