r"""The MAP estimate and the posterior mean of a coin's probability under the Beta prior the document states
(claims ``map.beta-bernoulli`` and ``map.beta-bernoulli.posterior-mean``).

:func:`document_model` reads the prior in the lecture's letters -- ``\theta \sim \mathrm{Beta}(a, b)``,
``p(\theta) = \mathrm{Beta}(\theta; \alpha, \beta)``, a ``\mathrm{Beta}(\alpha, \beta)`` prior *on* a named parameter
in prose, or the density ``\theta^{\alpha-1}(1-\theta)^{\beta-1}`` -- in a document whose data are Bernoulli or
binomial (coin, heads, tosses, successes). :func:`check` judges a statement whose left side is the posterior mode
(``\hat\theta_{\text{MAP}}``, ``\theta_{MAP}``, ``\arg\max_\theta p(\theta \mid D)``, or ``\hat\theta``/``\theta^*``
after a lead-in saying MAP estimate or posterior mode) or the posterior mean (``\mathbb E[\theta \mid \mathcal D]``,
or a lead-in saying posterior mean) of that parameter. The count letters of the right side (``n_1``, ``n_H``, ``k``,
``N``, ...) take their roles by unification: each consistent binding of the two count letters to (successes, total)
or (successes, failures) is tried against the claim's derived target; proved when one matches (the binding is shown),
flagged when none does -- nor the binding with the prior's two parameters exchanged -- with the correct form and a
counterexample under the most natural binding. Unchecked: one count letter or more than two, a right side without
both prior parameters (a uniform prior's special case), letters outside the model.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from itertools import permutations

import sympy

from derivspec.scan.steps import Context, Side, StepResult, known_result, read_side

MODE, MEAN = "map.beta-bernoulli", "map.beta-bernoulli.posterior-mean"
RECOGNISED = {  # what this module reads (the recognisers page, derivspec/app/docs.py)
    MODE: r"$\hat\theta_{\text{MAP}}$, $\theta_{MAP}$, $\arg\max_\theta p(\theta \mid D)$ (or a lead-in "
          r"'MAP estimate', 'posterior mode') after the document's $\theta \sim \mathrm{Beta}(\alpha, \beta)$ prior "
          r"and Bernoulli or "
          r"binomial data; the count letters bound to (successes, total) or (successes, failures) by unification",
    MEAN: r"$\mathbb E[\theta \mid \mathcal D]$ (or a lead-in 'posterior mean') after the same prior and data",
}
_PARAM = r"(?:\\[A-Za-z]+|[A-Za-z])"
_ARG = r"[^(),;|]+?"
_BETA = r"(?:\\(?:mathrm|text|operatorname|textrm|rm|mathsf)\s*\{\s*Beta\s*\}|\bBeta\b)"
_SIM = re.compile(r"(?P<p>" + _PARAM + r")\s*\\sim\s*" + _BETA + r"\s*(?:\\left)?\(\s*(?P<a>" + _ARG + r")\s*,\s*"
                  r"(?P<b>" + _ARG + r")\s*(?:\\right)?\)")
_DENSITY = re.compile(_BETA + r"\s*(?:\\left)?\(\s*(?P<p>" + _PARAM + r")\s*(?:;|\\mid|\||,)\s*(?P<a>" + _ARG +
                      r")\s*,\s*(?P<b>" + _ARG + r")\s*(?:\\right)?\)")
_PROSE = re.compile(_BETA + r"\s*(?:\\left)?\(\s*(?P<a>" + _ARG + r")\s*,\s*(?P<b>" + _ARG + r")\s*(?:\\right)?\)"
                    r"[$\s]*prior\s+(?:on|over|for)\s+(?:the\s+\w+\s+)?\$\s*(?P<p>" + _PARAM + r")\s*\$")
_BARE = re.compile(r"(?:an?|the)\s+\$\s*" + _BETA + r"\s*(?:\\left)?\(\s*(?P<a>" + _ARG + r")\s*,\s*(?P<b>" + _ARG +
                   r")\s*(?:\\right)?\)\s*\$\s*prior(?!\s+(?:on|over|for)\b)")
# the parameter declared as the probability of the outcome counted: P(x_i = 1) = \theta, Bernoulli(\theta),
# "probability of heads $\theta$"
_SUCCESS = re.compile(r"P\s*\(\s*[A-Za-z](?:_\{?[a-z0-9]+\}?)?\s*=\s*1\s*\)\s*=\s*(?P<p>" + _PARAM + r")\s*\$"
                      r"|(?:\\mathrm\{)?(?:Bernoulli|Bern)\}?\s*(?:\\left)?\(\s*(?P<q>" + _PARAM + r")\s*(?:\\right)?\)"
                      r"|probability\s+of\s+(?:heads|success|a\s+success|a\s+head)\s+\$\s*(?P<r>" + _PARAM + r")\s*\$")
# the roles of the counts in prose: "$k$ heads in $n$ flips", "$m$ successes out of $n$ trials", "$h$ heads and
# $t$ tails"
_COUNT = r"\$\s*(?P<{}>[A-Za-z](?:_\{{?[A-Za-z0-9]+\}}?)?|\\[A-Za-z]+)\s*\$"
_ROLES = (
    (re.compile(_COUNT.format("h") + r"\s+(?:heads|successes)\s+(?:in|out\s+of|from|among)\s+" + _COUNT.format("v") +
                r"\s+(?:flips|tosses|trials|draws|throws|coin\s+flips|observations)"), "total"),
    (re.compile(_COUNT.format("h") + r"\s+(?:heads|successes)\s+and\s+" + _COUNT.format("v") + r"\s+(?:tails|failures)"),
     "failures"),
)
_KERNEL = re.compile(r"(?P<p>" + _PARAM + r")\s*\^\s*\{\s*(?P<a>" + _ARG + r")\s*-\s*1\s*\}\s*(?:\\left)?\(\s*1\s*-\s*"
                     r"(?P=p)\s*(?:\\right)?\)\s*\^\s*\{\s*(?P<b>" + _ARG + r")\s*-\s*1\s*\}")
_DATA = re.compile(r"Bernoulli|binomial|\bcoins?\b|\bheads\b|\btails\b|\btoss|\bflip|\bsuccess|\\mathrm\{Bin\b", re.I)
_MAP_WORDS = re.compile(r"\bMAP\b|maximum\s+a[- ]posteriori|posterior\s+mode|mode\s+of\s+the\s+posterior", re.I)
_MEAN_WORDS = re.compile(r"posterior\s+mean|mean\s+of\s+the\s+posterior|posterior\s+expectation", re.I)
_MLE_WORDS = re.compile(r"\bMLE\b|\bML\b|maximum[- ]likelihood", re.I)
_FONTS = re.compile(r"\\(?:mathrm|text|rm|textrm|operatorname\*?|mathsf|mathbf|boldsymbol|bm)\s*")


@dataclass(frozen=True)
class Model:
    parameter: str  # \theta, as written (spaces dropped)
    a: str  # the prior's first parameter, as written
    b: str
    roles: tuple = ()  # (successes, total or failures, "total" | "failures"): the counts' letters the prose names
    success: bool = False  # the parameter is declared the probability of the outcome the counts count


def _squash(text: str) -> str:
    return re.sub(r"[\s{}]", "", _FONTS.sub("", text))


def document_model(text: str) -> Model | None:
    """The Beta prior on a Bernoulli parameter the document states, or None (none, or several)."""
    if not _DATA.search(text):
        return None
    models = {Model(_squash(m.group("p")), " ".join(m.group("a").split()), " ".join(m.group("b").split()))
              for pattern in (_SIM, _DENSITY, _PROSE, _KERNEL) for m in pattern.finditer(text)}
    successes = {_squash(m.group("p") or m.group("q") or m.group("r")) for m in _SUCCESS.finditer(text)}
    if not models and len(successes) == 1:  # "a Beta(a, b) prior" naming no parameter: the one declared Bernoulli
        parameter, = successes
        models = {Model(parameter, " ".join(m.group("a").split()), " ".join(m.group("b").split()))
                  for m in _BARE.finditer(text)}
    if len(models) != 1:
        return None
    model = models.pop()
    roles = {(_squash(m.group("h")), _squash(m.group("v")), kind) for pattern, kind in _ROLES
             for m in pattern.finditer(text)}
    return Model(model.parameter, model.a, model.b, roles.pop() if len(roles) == 1 else (),
                 model.parameter in successes)


def _quantity(left: str, parameter: str, lead_in: str) -> str | None:
    """'mode' | 'mean' for a left side naming the posterior's mode or mean of ``parameter``, else None."""
    s = _squash(left)
    p = re.escape(parameter)
    if re.fullmatch(r"(?:\\(?:hat|widehat))?" + p + r"(?:_|\^)(?:MAP|map)", s):
        return "mode"
    if re.fullmatch(r"\\arg(?:\\max|max)_" + p + r"[pP](?:\\left)?\(" + p + r"(?:\\mid|\||\\vert).+\)", s):
        return "mode"
    if re.fullmatch(r"(?:\\mathbb|\\mathbf)?E(?:_\S+)?(?:\\left)?\[" + p + r"(?:\\mid|\||\\vert)[^\]]+(?:\\right)?\]",
                    s):
        return "mean"
    if re.fullmatch(r"\\(?:hat|widehat)" + p + r"|" + p + r"\^\*", s) and not _MLE_WORDS.search(lead_in):
        mode, mean = _MAP_WORDS.search(lead_in), _MEAN_WORDS.search(lead_in)
        if bool(mode) != bool(mean):
            return "mode" if mode else "mean"
    return None


def check(left: Side, relation: str, right: Side, context: Context) -> StepResult | None:
    model = getattr(context, "beta_model", None)
    if model is None or relation != "=" or not right.readable:
        return None
    quantity = _quantity(left.text, model.parameter, context.lead_in)
    if quantity is None:
        return None
    claim_id = MODE if quantity == "mode" else MEAN

    result = known_result(relation, left.text, right.text, claim_id)

    try:
        a, b, parameter = (read_side(t, context).primary.value() for t in (model.a, model.b, model.parameter))
        stated = right.primary.value()
    except Exception:
        return None
    names = context.names.latex
    prior = f"{model.parameter} ~ Beta({model.a}, {model.b})"
    counts = sorted(stated.free_symbols - a.free_symbols - b.free_symbols, key=lambda s: s.name)
    if parameter in stated.free_symbols or stated.atoms(sympy.Function):
        return result("unchecked", f"recognised as {claim_id}, but the right side is not a function of the counts and "
                                   "the prior's parameters")
    if len(counts) != 2:
        return result("unchecked", f"recognised as {claim_id} (prior {prior}), but the right side has "
                                   f"{len(counts)} count letters, not the two (successes and the total or failures) "
                                   "whose roles can be bound")
    from derivspec.core import registry

    claim = registry.get(claim_id)
    symbols = claim.symbols
    h, t, alpha, beta = (symbols[k] for k in ("h", "t", "alpha", "beta"))
    bindings = []
    for u, v in permutations(counts):
        bindings.append(((u, v), "total", {h: u, t: v - u}))
        bindings.append(((u, v), "failures", {h: u, t: v}))

    declared = _declared_binding(bindings, model, names)
    if declared is not None:
        bindings = [declared]

    def shown(binding):
        (u, v), kind, _ = binding
        said = " (as the text names them)" if declared is not None else ""
        return f"{names.get(u, u.name)} as the successes, {names.get(v, v.name)} as the {kind}{said}"

    for binding in bindings:
        target = claim.target.xreplace({**binding[2], alpha: a, beta: b})
        if sympy.cancel(sympy.together(stated - target)) == 0:
            return result("proved", f"matches {claim_id} for every count, reading {shown(binding)}, the prior "
                                    f"{prior}: {claim.title}")
    swapped = [claim.target.xreplace({**binding[2], alpha: b, beta: a}) for binding in bindings]
    exchanged = any(sympy.cancel(sympy.together(stated - target)) == 0 for target in swapped)
    if exchanged and not (declared is not None and model.success):
        return result("unchecked", f"recognised as {claim_id} (prior {prior}); it holds only with the prior's two "
                                   "parameters exchanged (the other outcome counted as the success?)")
    if not (a.free_symbols and b.free_symbols and a.free_symbols <= stated.free_symbols
            and b.free_symbols <= stated.free_symbols) and (a.free_symbols or b.free_symbols):
        return result("unchecked", f"recognised as {claim_id} (prior {prior}), but the right side does not use both "
                                   "of the prior's parameters (a special prior, said in the text?)")
    binding = declared or _natural(stated, bindings, names)
    (u, v), kind, _ = binding
    point = {u: 3, v: 8 if kind == "total" else 5}
    values = {**point, **{s: k for s, k in zip(sorted(a.free_symbols | b.free_symbols, key=lambda s: s.name), (2, 3))}}
    target = claim.target.xreplace({**binding[2], alpha: a, beta: b})
    try:
        as_written, derived = sympy.nsimplify(stated.xreplace(values)), sympy.nsimplify(target.xreplace(values))
    except Exception:
        return result("unchecked", f"recognised as {claim_id}; not decided (prior {prior})")
    if not (as_written.is_Rational and derived.is_Rational) or as_written == derived:
        return result("unchecked", f"recognised as {claim_id}; not decided (prior {prior})")
    where = ", ".join(f"{names.get(s, s.name)} = {k}" for s, k in values.items())
    what = "the posterior mode" if quantity == "mode" else "the posterior mean"
    letters = ", ".join(names.get(s, s.name) for s in counts)
    under = (f"reading {shown(binding)}" if declared is not None else
             f"under every binding of the counts {letters} to successes and total or failures (shown: "
             f"{shown(binding)}, the most natural reading)")
    return result("disagrees", f"disagrees with {claim_id} {under}, prior {prior}: {claim.title}",
                  f"at {where}: as written {as_written}, {what} {derived}", _correct(quantity, binding, model, names))


def _declared_binding(bindings, model, names):
    """The binding the prose fixes ("$k$ heads in $n$ flips": k the successes, n the total), or None."""
    if not model.roles:
        return None
    successes, other, kind = model.roles
    for binding in bindings:
        (u, v), k, _ = binding
        if k == kind and _squash(names.get(u, u.name)) == successes and _squash(names.get(v, v.name)) == other:
            return binding
    return None


def _natural(stated, bindings, names):
    """The binding a reader takes first: the successes the letter in the numerator alone, the other letter the
    total when it has no subscript (n, N), the failures otherwise."""
    numerator = sympy.fraction(sympy.together(stated))[0].free_symbols
    for binding in bindings:
        (u, v), kind, _ = binding
        if u in numerator and v not in numerator:
            plain = "_" not in names.get(v, v.name)
            if (kind == "total") == plain:
                return binding
    return bindings[0]


def _correct(quantity, binding, model, names) -> str:
    (u, v), kind, _ = binding
    h, other = names.get(u, u.name), names.get(v, v.name)
    total = other if kind == "total" else f"{h} + {other}"
    if quantity == "mode":
        return rf"\frac{{{h} + {model.a} - 1}}{{{total} + {model.a} + {model.b} - 2}}"
    return rf"\frac{{{h} + {model.a}}}{{{total} + {model.a} + {model.b}}}"
