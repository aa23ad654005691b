r"""A Gaussian mixture's responsibilities and EM's M-step, read by their structure in the lecture's letters.

**Responsibilities** (claim ``latent.gmm.responsibility``): a left side that names a quantity of a point and a
component (``\gamma(z_{nk})``, ``r_{ik}``, ``w_{ik}``, ``\tau_{ik}``, ``q(z_i = k)``, ``p(z_n = k \mid x_n)``) and a
right side that is a ratio whose numerator is a weight times a component density at a point and whose
denominator sums the same kind of term over an index. The roles come from the right side: a weight is a name
indexed by the component (``\pi_k``, ``\phi_k``, ``w_k``) or ``p(z = k)``; a density is a normal with a mean and
a spread indexed by the component (``\mathcal N(\mathbf x_n \mid \boldsymbol\mu_k, \boldsymbol\Sigma_k)``,
``\mathcal N(x_i; \mu_k, \sigma_k^2)``), ``p_k(x)`` or ``p(x \mid z = k)``. The statement is then written at the
claim's case -- two components, the point one-dimensional, the sum expanded, component 1 and (the labels
swapped) component 2, the weights read as alpha and 1 - alpha and the densities as the claim's components --
and compared with the claim's target (Bayes' rule) by the core checker. A departure from the structure
(no weight in the denominator, a sum over the data, a density of another component) is thereby a counterexample
at an instance of the document's model; a right side without a normaliser for a left side ``p(z = k \mid x)``
too. Judged only where the document speaks of a mixture (or EM, responsibilities).

**M-step** (claims ``latent.em.m-step.mean`` / ``.variance`` / ``.weight``): after the document defined its
responsibilities (by the structure above) and, if it does, their total ``N_k = \sum_n \gamma(z_{nk})`` (any
name), a left side indexed by the component (``\mu_k^{new}``, ``\hat\mu_k``, ``\mu_k^{(t+1)}``, ``\pi_k``,
``\Sigma_k``, ``\sigma_k^2``) whose role (mean, spread, weight) comes from the responsibility's density and weight
is compared with the claim at its three points: the sums over the data expanded, each responsibility read as the
claim's gamma_i, the point as x_i, the total as its declared sum, a deviation's centre (``\mu_k``) as the new
mean, the number of components as 2 (the claim's case). ``N`` for ``N_k`` or ``N_k/K`` for ``N_k/N`` is thereby
a counterexample with numbers.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass

import sympy
from sympy.core.function import AppliedUndef

from derivspec.core import limits, symbolic
from derivspec.scan.likelihood_optimum import _top_level_sides
from derivspec.scan.names import NameKey, strip_fonts
from derivspec.scan.steps import Context, Side, StepResult, known_result, read_side

RESPONSIBILITY = "latent.gmm.responsibility"
MEAN, VARIANCE, WEIGHT = "latent.em.m-step.mean", "latent.em.m-step.variance", "latent.em.m-step.weight"
RECOGNISED = {  # what this module reads (the recognisers page, derivspec/app/docs.py)
    RESPONSIBILITY: r"$\gamma(z_{nk})$, $r_{ik}$, $w_{ik}$, $q(z_i = k)$, "
                    r"$p(z_n = k \mid x_n) = \frac{\pi_k \mathcal N(x_n \mid \mu_k, \Sigma_k)}"
                    r"{\sum_j \pi_j \mathcal N(x_n \mid \mu_j, \Sigma_j)}$ (any letters; $p_k(x)$, "
                    r"$p(x \mid z = k)$) where the document speaks of a mixture",
    MEAN: r"$\mu_k^{\text{new}} = \frac{1}{N_k}\sum_n \gamma(z_{nk}) x_n$ (or $\sum_i r_{ik}x_i / \sum_i r_{ik}$) "
          r"after the document defines its responsibilities (and $N_k$)",
    VARIANCE: r"$\Sigma_k$, $\sigma_k^2 = \frac{1}{N_k}\sum_n \gamma(z_{nk})(x_n - \mu_k)^2$ after the same "
              r"definitions",
    WEIGHT: r"$\pi_k = N_k/N$ after the same definitions",
}
_MIXTURE = re.compile(r"mixture|\bGMMs?\b|responsibilit|\bEM\b|expectation[- ]maximi[sz]", re.I)
_NORMAL_HEAD = re.compile(r"^(?:N|Normal|Gaussian|Gauss)$")
_DENSITY_HEAD = re.compile(r"^(?:p|P|f|q)$")
_EVENT = re.compile(r"^⟦\s*(?P<var>[^=⟦⟧]+?)\s*=\s*(?P<value>\\?[A-Za-z])\s*⟧$")
_LETTER = re.compile(r"\\[A-Za-z]+|[A-Za-z]")
COMPONENTS = 2  # the claim's case: two components
POINTS = 3  # the M-step claims' three points


@dataclass(frozen=True)
class Definition:
    """A responsibility the document defines: its left side as read, its data and component index letters."""

    left: sympy.Expr
    text: str
    data: str  # n, i ('' when the point has no index)
    component: str  # k
    point: str  # the point's base (x)
    weight: str  # the weight's base (\pi) or '' (p(z = k))
    mean: str  # the normal's mean base (\mu) or ''
    spread: str  # the normal's spread base (\Sigma, \sigma) or ''
    count: str  # the number of components as written (K) or ''


@dataclass(frozen=True)
class Mixture:
    spoken: bool  # the document speaks of a mixture, EM or responsibilities
    definitions: tuple = ()
    totals: tuple = ()  # (total symbol (N_k), responsibility sum (sympy), text)


# --- reading ------------------------------------------------------------------------------------

def _head(func) -> tuple[str, str]:
    """(head without fonts and separators, its subscript) of an undefined function."""
    name = re.sub(r"\[[^\]]*\]$", "", func.__name__).replace("⟮⟯", "")
    key = NameKey.of(strip_fonts(name))
    if key is None:
        return strip_fonts(name), ""
    return key.base, key.sub.strip("{}")


def unindex(expr: sympy.Expr) -> sympy.Expr:
    """``x_{•}(n)`` (an item of a sum over n) as the name ``x_{n}`` it stands for; ``p_{•}(j, x)`` (a member of a
    family of functions) as ``p_{j}(x)``."""
    def item(e):
        return (isinstance(e, AppliedUndef) and e.func.__name__.count("•") == 1 and len(e.args) >= 1
                and isinstance(e.args[0], sympy.Symbol))

    def named(e):
        name = e.func.__name__.replace("•", e.args[0].name)
        return sympy.Symbol(name, real=True) if len(e.args) == 1 else sympy.Function(name)(*e.args[1:])

    return expr.replace(item, named)


def _name_key(expr) -> NameKey | None:
    return NameKey.of(strip_fonts(expr.name)) if isinstance(expr, sympy.Symbol) else None


def _letters(sub: str) -> list[str]:
    return _LETTER.findall(sub.strip("{}"))


def _component_of(expr) -> str | None:
    """The single index letter of a name indexed by a component (\\mu_k, \\sigma_k^2, \\Sigma_j)."""
    if isinstance(expr, sympy.Pow) and expr.exp in (2, -1):
        expr = expr.base
    key = _name_key(expr)
    if key is None or key.accents:
        return None
    letters = _letters(key.sub)
    return letters[0] if len(letters) == 1 else None


@dataclass(frozen=True)
class Factor:
    role: str  # 'weight' | 'density'
    component: str
    point: sympy.Expr | None = None
    base: str = ""  # the weight's base or the normal's mean base
    spread: str = ""
    expr: object = None  # the factor as read


def _factor(e) -> Factor | None:
    """A weight (\\pi_k, p(z = k)) or a component density at a point, with its component letter."""
    if isinstance(e, sympy.Symbol):
        key = _name_key(e)
        letters = _letters(key.sub) if key else []
        if key and not key.accents and len(letters) == 1 and not _EVENT.match(e.name):
            return Factor("weight", letters[0], base=key.base, expr=e)
        return None
    if not isinstance(e, AppliedUndef):
        return None
    head, sub = _head(e.func)
    args = e.args
    if _NORMAL_HEAD.match(head) and len(args) == 3:
        mean, spread = _component_of(args[1]), _component_of(args[2])
        if mean and mean == spread:
            mean_key = _name_key(args[1])
            spread_base = _name_key(args[2].base if isinstance(args[2], sympy.Pow) else args[2]).base
            return Factor("density", mean, args[0], mean_key.base, spread_base, e)
        return None
    if _DENSITY_HEAD.match(head):
        events = [a for a in args if isinstance(a, sympy.Symbol) and _EVENT.match(a.name)]
        others = [a for a in args if a not in events]
        if len(args) == 1 and sub and len(_letters(sub)) == 1 and not events:  # p_k(x)
            return Factor("density", _letters(sub)[0], args[0], expr=e)
        if not sub and len(events) == 1:
            value = _EVENT.match(events[0].name).group("value")
            if len(args) == 1:  # p(z = k): the prior weight
                return Factor("weight", value, expr=e)
            if len(args) == 2 and args[0] == others[0]:  # p(x | z = k)
                return Factor("density", value, others[0], expr=e)
    return None


@dataclass(frozen=True)
class Ratio:
    numerator: tuple  # Factors
    summand: tuple  # Factors
    index: sympy.Symbol  # the sum's index
    upper: sympy.Expr
    component: str
    point: sympy.Expr


def read_ratio(expr: sympy.Expr) -> Ratio | None:
    """A weight times a component density over a sum of such terms, or None."""
    num, den = sympy.fraction(expr)
    if not isinstance(den, sympy.Sum) or len(den.limits) != 1:
        return None
    index, low, upper = den.limits[0]
    if low != 1:
        return None
    numerator = [_factor(f) for f in sympy.Mul.make_args(unindex(num))]
    summand = [_factor(f) for f in sympy.Mul.make_args(unindex(den.function))]
    if any(f is None for f in numerator + summand) or not numerator or not summand:
        return None
    densities = [f for f in numerator if f.role == "density"]
    if len(densities) != 1 or len([f for f in summand if f.role == "density"]) != 1:
        return None
    if len(numerator) > 2 or len(summand) > 2 or any(len([f for f in group if f.role == "weight"]) > 1
                                                     for group in (numerator, summand)):
        return None
    components = {f.component for f in numerator}
    if len(components) != 1 or index.name in components:
        return None
    return Ratio(tuple(numerator), tuple(summand), index, upper, components.pop(), densities[0].point)


def _point_index(point) -> str:
    key = _name_key(point)
    letters = _letters(key.sub) if key else []
    return letters[0] if len(letters) == 1 else ""


def _mentions(text: str, letter: str) -> bool:
    return bool(re.search(r"(?<![A-Za-z\\])" + re.escape(letter) + r"(?![A-Za-z])", text)) or bool(
        re.search(r"_\{?[A-Za-z,]*" + re.escape(letter), text))


def _left_name(left: sympy.Expr) -> bool:
    return isinstance(left, (sympy.Symbol, AppliedUndef))


def _conditional_posterior(left: sympy.Expr) -> str | None:
    """The component letter of a left side p(z = k | x), else None."""
    if isinstance(left, AppliedUndef) and len(left.args) == 2 and "[|]" in left.func.__name__:
        head, sub = _head(left.func)
        event = left.args[0]
        if head in ("p", "P") and not sub and isinstance(event, sympy.Symbol) and _EVENT.match(event.name):
            return _EVENT.match(event.name).group("value")
    return None


READ_SECONDS = 1.0  # a statement's sides read at the document level (before the per-statement limits are in force)
PASS_SECONDS = 2.0  # the whole document-level pass: statements after it are not read as definitions
_SUM = re.compile(r"\\sum")


def _read_sides(texts: list[str], context: Context, seconds: float = READ_SECONDS) -> tuple | None:
    """The first two sides read, under READ_SECONDS: a document-level pass runs before any statement's time
    limit, so a side whose reading does not end (\\binom{10^9}{5 \\cdot 10^8}) must not stall the scan."""
    try:
        with symbolic.time_limit(seconds):
            left, right = (read_side(t, context) for t in texts[:2])
            if not (left.readable and right.readable):
                return None
            return left.primary.value(), right.primary.value()
    except Exception:  # SymPyTimeout, an unread side
        return None


def document_model(statements, clean) -> Mixture:
    """The responsibilities (and their totals) the document defines; ``clean`` reads a statement's text.
    Only a document that speaks of a mixture is read, and only statements whose right side has a sum."""
    text = " ".join(f"{s.before[-300:]} {s.after[:200]}" for s in statements)
    spoken = bool(_MIXTURE.search(text))
    if not spoken:
        return Mixture(False)
    from derivspec.scan.reader import DocumentNames

    context = Context(DocumentNames())
    read = []
    deadline = time.monotonic() + limits.scaled(PASS_SECONDS)
    for s in statements:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            break
        try:
            sides = _top_level_sides(clean(s))
        except Exception:
            continue
        if len(sides) < 2 or not _SUM.search(sides[1]):
            continue
        values = _read_sides(sides, context, min(READ_SECONDS, remaining / limits.time_scale()))  # nominal seconds
        if values is not None:
            read.append((sides, values))
    definitions, totals = [], []
    for sides, (lhs, rhs) in read:
        ratio = read_ratio(rhs)
        if ratio is None or not _left_name(lhs) or not _mentions(sides[0], ratio.component):
            continue
        density = next(f for f in ratio.numerator if f.role == "density")
        weight = next((f for f in ratio.numerator + ratio.summand if f.role == "weight"), None)
        point = _name_key(density.point)
        definitions.append(Definition(unindex(lhs), sides[0], _point_index(density.point),
                                      ratio.component, point.base if point else "", weight.base if weight else "",
                                      density.base, density.spread, str(ratio.upper)))
    for sides, (lhs, total) in read:
        if isinstance(lhs, sympy.Symbol) and isinstance(total, sympy.Sum) and len(total.limits) == 1 and any(
                _responsibility(unindex(total.function), total.limits[0][0], d) for d in definitions):
            totals.append((lhs, total, sides[0]))
    return Mixture(spoken, tuple(definitions), tuple(totals))


def _rename(expr: sympy.Expr, mapping: dict) -> sympy.Expr:
    """Index letters renamed in the names of ``expr`` (r_{ik} with i -> n: r_{nk})."""
    if not mapping:
        return expr

    def name(text):
        return _LETTER.sub(lambda m: mapping.get(m.group(0), m.group(0)) if len(m.group(0)) == 1 else m.group(0),
                           text)

    def sub_only(text):  # the base letter kept, the subscripts and the events renamed
        m = re.match(r"^(\\[A-Za-z]+\{[^{}]*\}|\\[A-Za-z]+|[A-Za-z])(.*)$", text, re.S)
        return m.group(1) + name(m.group(2)) if m else name(text)

    symbols = {s: sympy.Symbol(sub_only(s.name), real=True) for s in expr.free_symbols}
    expr = expr.xreplace(symbols)
    functions = {f.func: sympy.Function(sub_only(f.func.__name__)) for f in expr.atoms(AppliedUndef)}
    return expr.replace(lambda e: isinstance(e, AppliedUndef) and e.func in functions,
                        lambda e: functions[e.func](*e.args))


def _responsibility(term, data: sympy.Symbol, definition: Definition, component: str | None = None) -> bool:
    """``term`` is the defined responsibility of point ``data`` (and of ``component``, when given)."""
    if not definition.data:
        return False
    mapping = {definition.data: data.name}
    if component:
        mapping[definition.component] = component
    return term == _rename(definition.left, mapping)


# --- the responsibility ---------------------------------------------------------------------------

def _claim(claim_id):
    from derivspec.core import registry

    return registry.get(claim_id)


def _symbols(claim) -> dict:
    return {v.name: v.symbol for v in claim.variables}


def _components(claim) -> dict:
    """Component c's density at x in the claim's model (its interpreted terms, by subscript)."""
    recognise = claim.recognisers()[0]
    found = {}
    for text, value in recognise.interpret.items():
        m = re.search(r"m_(\d)", text)
        if m:
            found[int(m.group(1))] = sympy.sympify(value)
    return found


def _at(factors, component_value: dict, points: dict, weights: dict, densities: dict):
    """A product of factors at concrete components: component_value maps index letters to 1 or 2."""
    value = sympy.Integer(1)
    for f in factors:
        c = component_value.get(f.component)
        if c is None:
            return None
        if f.role == "weight":
            value *= weights[c]
        else:
            at = points.get(f.point)
            if at is None:
                return None
            value *= densities[c].xreplace({points["x"]: at}) if at != points["x"] else densities[c]
    return value


def _check_responsibility(left: Side, right: Side, context: Context, mixture: Mixture, relation: str):
    lhs, rhs = left.primary.value(), right.primary.value()
    ratio = read_ratio(rhs)
    posterior_letter = _conditional_posterior(lhs)
    if ratio is None:
        if posterior_letter and relation == "=":
            return _missing_normaliser(left, right, context, mixture, posterior_letter)
        return None
    if not _left_name(lhs) or not _mentions(left.text, ratio.component):
        return None
    claim = _claim(RESPONSIBILITY)

    result = known_result(relation, left.text, right.text, RESPONSIBILITY)

    if relation != "=":
        return None
    if not mixture.spoken:
        return result("unchecked", f"has the shape of a mixture responsibility ({RESPONSIBILITY}), but the document "
                                   "does not speak of a mixture (or EM)")
    data_sum = any(f.role == "density" and _point_index(f.point) == ratio.index.name for f in ratio.summand)
    if not data_sum and str(ratio.upper) not in ("K", "k", "M", "C") and not str(ratio.upper).startswith("⟦range"):
        return result("unchecked", f"recognised as {RESPONSIBILITY}, but its sum runs to {ratio.upper}, not over the "
                                   "components")
    weighted = [g for g in (ratio.numerator, ratio.summand) if any(f.role == "weight" for f in g)]
    if not weighted:
        return result("unchecked", f"recognised as {RESPONSIBILITY} without weights: right for equal mixing weights "
                                   "only, which the statement may assume")
    symbols = _symbols(claim)
    alpha = symbols["alpha"]
    weights = {1: alpha, 2: 1 - alpha}
    densities = _components(claim)
    x = symbols["x"]
    data = _point_index(ratio.point)
    candidates = []
    for k in (1, 2):
        points = {"x": x, ratio.point: x}
        summand_points = {f.point for f in ratio.summand if f.role == "density"}
        terms = []
        for j in range(1, COMPONENTS + 1):
            pts = dict(points)
            for p in summand_points:
                if p == ratio.point and not data_sum:
                    continue
                key = _name_key(p)
                if key and _letters(key.sub) == [ratio.index.name] and key.base == _name_key(ratio.point).base:
                    pts[p] = x if j == 1 else x + 1  # a sum over the data: a second point
            term = _at(ratio.summand, {ratio.index.name: j, ratio.component: k}, pts, weights, densities)
            if term is None:
                return result("unchecked", f"recognised as {RESPONSIBILITY}, but its denominator's terms are not read "
                                           "as the components' weighted densities at the point")
            terms.append(term)
        numerator = _at(ratio.numerator, {ratio.component: k}, points, weights, densities)
        if numerator is None:
            return None
        candidates.append(numerator / sum(terms))
    swap = {alpha: 1 - alpha, symbols["mu1"]: symbols["mu2"], symbols["mu2"]: symbols["mu1"],
            symbols["s1"]: symbols["s2"], symbols["s2"]: symbols["s1"]}
    density = next(f for f in ratio.numerator if f.role == "density")
    weight = next((f for f in ratio.numerator + ratio.summand if f.role == "weight"), None)
    k = ratio.component
    shown_weight = (f"{weight.base}_{k}" if weight and weight.base else f"p(z = {k})")
    reading = (f" (reading {left.text} as P(z = {k} | {_latex(ratio.point, context)}) at the claim's case: "
               f"K = {COMPONENTS} components, the claim's \\alpha, 1 - \\alpha as {shown_weight} for k = 1, 2, its "
               f"N(x; \\mu_k, s_k^2) as the density {_density_text(density, k)}, x as {_latex(ratio.point, context)})")
    correct = rf"\frac{{{_term_text(density, weight, k)}}}{{\sum_{{j}} {_term_text(density, weight, 'j')}}}"
    return _compare(candidates, claim, swap, result, reading, correct, data)


def _latex(expr, context) -> str:
    return context.names.latex.get(expr, getattr(expr, "name", str(expr)))


def _tex(e) -> str:
    """A read name or application back in LaTeX (\\mathcal{N}[|,](x_{n}, \\mu_{k}, \\Sigma_{k}) -> \\mathcal{N}(x_{n}
    \\mid \\mu_{k}, \\Sigma_{k}))."""
    if isinstance(e, sympy.Symbol):
        return e.name
    if isinstance(e, sympy.Pow) and e.exp == 2:
        return _tex(e.base) + "^2"
    if isinstance(e, AppliedUndef):
        m = re.match(r"^(.*?)(?:\[([^\]]*)\])?$", e.func.__name__.replace("⟮⟯", ""))
        head, seps = m.group(1), m.group(2) or ""
        args = [_tex(a).replace("⟦", "").replace("⟧", "") for a in e.args]
        out = args[0] if args else ""
        for k, arg in enumerate(args[1:]):
            sep = seps[k] if k < len(seps) else ","
            out += {"|": r" \mid ", ";": "; "}.get(sep, ", ") + arg
        return f"{head}({out})"
    return str(e)


def _density_text(density: Factor, k: str) -> str:
    return _tex(_rename(density.expr, {density.component: k}))


def _term_text(density: Factor, weight: Factor | None, k: str) -> str:
    shown = _tex(_rename(weight.expr, {weight.component: k})) + r"\," if weight is not None else ""
    return shown + _density_text(density, k)


def _compare(candidates, claim, swap, result, reading, correct, data=""):
    from derivspec.core.checker import compare_expressions

    target = claim.target
    outcomes = []
    for k, candidate in enumerate(candidates, start=1):
        expected = target if k == 1 else target.xreplace(swap)
        stray = candidate.free_symbols - set(_symbols(claim).values())
        if stray:
            return result("unchecked", f"recognised as {claim.id}, but the other side keeps names the claim's model "
                                       f"does not read ({', '.join(sorted(s.name for s in stray))}){reading}")
        outcomes.append((k, compare_expressions(candidate, expected, claim.variables, seconds=3.0)))
    for k, outcome in outcomes:
        if outcome.verdict == "not_equivalent" and outcome.counterexample is not None:
            d = outcome.counterexample
            latex = {v.name: v.latex for v in claim.variables}
            point = ", ".join(f"{latex.get(name, name)} = {value}" for name, value in d.point.items())
            which = f"component {k}: " if len(candidates) > 1 else ""
            return result("disagrees", f"disagrees with {claim.id} ({claim.title}){reading}",
                          f"{which}at {point}: as written {d.candidate}, the claim's {d.expected}", correct)
    if all(outcome.verdict == "equivalent" for _, outcome in outcomes):
        scope = "at both components" if len(candidates) > 1 else ""
        return result("proved", f"matches {claim.id} ({claim.title}) {scope}{reading}".replace("  ", " "))
    return result("unchecked", f"recognised as {claim.id}; not decided{reading}")


def _missing_normaliser(left, right, context, mixture, letter):
    """p(z = k | x) = pi_k N(x | mu_k, Sigma_k): the posterior without its normaliser."""
    rhs = right.primary.value()
    factors = [_factor(f) for f in sympy.Mul.make_args(unindex(rhs))]
    if (not mixture.spoken or any(f is None for f in factors) or len(factors) != 2
            or {f.role for f in factors} != {"weight", "density"} or {f.component for f in factors} != {letter}):
        return None
    claim = _claim(RESPONSIBILITY)
    symbols = _symbols(claim)
    density = next(f for f in factors if f.role == "density")
    weight = next(f for f in factors if f.role == "weight")
    points = {"x": symbols["x"], density.point: symbols["x"]}
    weights = {1: symbols["alpha"], 2: 1 - symbols["alpha"]}
    candidates = [_at(factors, {letter: k}, points, weights, _components(claim)) for k in (1, 2)]

    result = known_result("=", left.text, right.text, RESPONSIBILITY)

    swap = {symbols["alpha"]: 1 - symbols["alpha"], symbols["mu1"]: symbols["mu2"], symbols["mu2"]: symbols["mu1"],
            symbols["s1"]: symbols["s2"], symbols["s2"]: symbols["s1"]}
    reading = (f" (the left side is the posterior P(z = {letter} | x), the right side the joint without the "
               f"normaliser; read at the claim's case, K = {COMPONENTS} components)")
    correct = rf"\frac{{{_term_text(density, weight, letter)}}}{{\sum_{{j}} {_term_text(density, weight, 'j')}}}"
    return _compare(candidates, claim, swap, result, reading, correct)


# --- the M-step ---------------------------------------------------------------------------------

def _is_new(e) -> bool:
    return isinstance(e, sympy.Symbol) and bool(re.fullmatch(r"\\(?:mathrm|text)\{new\}|new", e.name))


def _without_new(expr):
    r"""``\mu^{new}_{k}`` (the reader keeps a word superscript as a label of the name) read as ``\mu_{k}``."""
    return expr.xreplace({s: sympy.Symbol(s.name.replace("^{new}", ""), **s.assumptions0)
                          for s in getattr(expr, "free_symbols", ()) if "^{new}" in s.name})


def _left_role(lhs, definition: Definition) -> tuple[str, str] | None:
    """(role, component letter) of an M-step's left side: 'mean', 'variance' or 'weight'."""
    power = 1
    lhs = _without_new(lhs)
    if isinstance(lhs, sympy.Pow) and isinstance(lhs.base, sympy.Symbol):
        if lhs.exp == 2:
            power, lhs = 2, lhs.base
        elif _is_new(lhs.exp):
            lhs = lhs.base  # \mu_k^{\text{new}}
    key = _name_key(lhs)
    if key is None:
        return None
    letters = _letters(key.sub)
    if len(letters) != 1:
        return None
    base = re.sub(r"\^.*$", "", key.base)
    if key.accents not in ((), (r"\hat",)):
        return None
    if power == 2:
        return ("variance", letters[0]) if base in (r"\sigma", "s", definition.spread) else None
    for role, names in (("mean", {definition.mean} | ({r"\mu", "m"} if not definition.mean else set())),
                        ("variance", {definition.spread} - {r"\sigma", ""}),
                        ("weight", {definition.weight} | ({r"\pi", r"\phi", r"\alpha"} if not definition.weight
                                                          else set()))):
        if base in names - {""}:
            return role, letters[0]
    return None


def _check_m_step(left: Side, right: Side, context: Context, mixture: Mixture, relation: str):
    if relation != "=" or not mixture.definitions:
        return None
    lhs, rhs = left.primary.value(), unindex(right.primary.value())
    rhs = rhs.replace(lambda e: isinstance(e, sympy.Pow) and _is_new(e.exp), lambda e: e.base)  # \mu_k^{new}
    lhs, rhs = _without_new(lhs), _without_new(rhs)
    # r_{ik}(x_i - mu_k)^2 is read as an application: a product
    named = {_name_key(d.left).base for d in mixture.definitions if _name_key(d.left)}

    def applied(e):
        return (isinstance(e, AppliedUndef) and len(e.args) == 1 and "[" not in e.func.__name__
                and getattr(NameKey.of(strip_fonts(e.func.__name__)), "base", None) in named)

    rhs = rhs.replace(lambda e: isinstance(e, sympy.Pow) and applied(e.base),  # the power is the bracket's
                      lambda e: sympy.Symbol(e.base.func.__name__, real=True) * e.base.args[0] ** e.exp)
    rhs = rhs.replace(applied, lambda e: sympy.Symbol(e.func.__name__, real=True) * e.args[0])
    for definition in mixture.definitions:
        role = _left_role(lhs, definition)
        if role is not None:
            break
    else:
        return None
    role, component = role
    claim_id = {"mean": MEAN, "variance": VARIANCE, "weight": WEIGHT}[role]
    claim = _claim(claim_id)
    symbols = _symbols(claim)
    gs = [symbols[f"g{i}"] for i in (1, 2, 3)]
    xs = [symbols.get(f"x{i}", sympy.Symbol(f"x{i}", real=True)) for i in (1, 2, 3)]

    result = known_result(relation, left.text, right.text, claim_id, with_equations=True)  # N_k already read

    sums = list(rhs.atoms(sympy.Sum))
    totals = [t for t, _, _ in mixture.totals if t in rhs.free_symbols]
    if not sums and not totals:
        return None
    if any(len(s.limits) != 1 for s in sums):
        return None

    def is_responsibility(e, index):
        return any(_responsibility(e, index, d, component) for d in mixture.definitions)

    if not any(is_responsibility(t, s.limits[0][0]) for s in sums for t in sympy.preorder_traversal(unindex(
            s.function))) and not totals:
        return None  # no responsibility in sight: another quantity
    definition = next(d for d in mixture.definitions if _left_role(lhs, d))
    candidate = rhs.xreplace({total: expr for total, expr, _ in mixture.totals})
    # the count of points: the sums' upper limit (one symbol), else the N of N_k/N
    uppers = {s.limits[0][2] for s in candidate.atoms(sympy.Sum)}
    count = None
    if len(uppers) == 1 and isinstance(next(iter(uppers)), sympy.Symbol):
        count = next(iter(uppers))
    elif not uppers:
        counts = [s for s in rhs.free_symbols if s.name in ("N", "n")]
        count = counts[0] if len(counts) == 1 else None
    values = {}
    if count is not None:
        values.update({s: sympy.Integer(POINTS) for s in candidate.free_symbols if s.name == count.name})
        values[count] = sympy.Integer(POINTS)
    for s in rhs.free_symbols:
        if s.name == definition.count and not s.name.startswith("⟦"):
            values[s] = sympy.Integer(COMPONENTS)
    candidate = candidate.xreplace(values)

    def expand(expr):
        def one(s):
            index, low, upper = s.limits[0]
            if low != 1 or not (upper == POINTS or str(upper).startswith("⟦range")):
                raise ValueError("a sum not over the data")
            out = 0
            for t in range(1, POINTS + 1):
                term = unindex(s.function)
                for node in list(sympy.preorder_traversal(term)):
                    if is_responsibility(node, index):
                        term = term.xreplace({node: gs[t - 1]})
                term = term.xreplace({p: xs[t - 1] for p in term.free_symbols
                                      if _is_point(p.name, index.name, definition.point)})
                out += term
            return out
        return expr.replace(lambda e: isinstance(e, sympy.Sum), one)

    try:
        candidate = expand(candidate)
    except ValueError:
        return result("unchecked", f"recognised as {claim_id}, but its sum is not read as one over the data points")
    mean_symbol = None
    if role == "variance":
        centres = [s for s in candidate.free_symbols if (_name_key(s) and re.sub(r"\^.*$", "", _name_key(s).base)
                                                          in ({definition.mean} - {""} or {r"\mu", "m"})
                                                          and _letters(_name_key(s).sub) == [component])]
        if len(centres) == 1:
            mean_symbol = centres[0]
            hat = next(d for d in claim.defined if d.name == "mu_hat")
            candidate = candidate.xreplace({mean_symbol: claim.expand_defined(hat.symbol)})
    total_text = mixture.totals[0][2] if mixture.totals else None
    resp = _rename(definition.left, {definition.component: component})
    resp_text = _latex(resp, context) if resp in context.names.latex else definition.text
    reading = (f" (reading {resp_text} as the claim's \\gamma_{definition.data or 'n'} for the points "
               f"{definition.data or 'n'} = 1..{POINTS}, the points as x_1..x_{POINTS}"
               + (f", {total_text} as its declared sum of the responsibilities" if total_text else "")
               + (f", {_latex(mean_symbol, context)} as the new mean" if mean_symbol is not None else "")
               + (f", {_latex(count, context)} = {POINTS}" if count is not None else "")
               + (f", {definition.count} = {COMPONENTS} (the claim's two components)" if definition.count
                  and any(s.name == definition.count for s in rhs.free_symbols) else "") + ")")
    d = definition.data or "n"
    total = total_text or rf"\sum_{{{d}}} {resp_text}"
    point = f"{definition.point}_{{{d}}}"
    correct = {"mean": rf"\frac{{1}}{{{total}}}\sum_{{{d}}} {resp_text}\, {point}",
               "variance": rf"\frac{{1}}{{{total}}}\sum_{{{d}}} {resp_text}\,({point} - \mu_{{{component}}})^2",
               "weight": rf"\frac{{{total}}}{{{_latex(count, context) if count is not None else 'N'}}}"}[role]
    return _compare([candidate], claim, {}, result, reading, correct)


def _is_point(name: str, index: str, base: str) -> bool:
    key = NameKey.of(strip_fonts(name))
    return bool(key and base and key.base == base and not key.accents and key.sub.strip("{}") == index)


# --- entry -----------------------------------------------------------------------------------------

def check(left: Side, relation: str, right: Side, context: Context) -> StepResult | None:
    mixture = getattr(context, "mixture", None)
    if mixture is None or not left.readable or not right.readable:
        return None
    try:
        found = _check_responsibility(left, right, context, mixture, relation)
        if found is None:
            found = _check_m_step(left, right, context, mixture, relation)
    except Exception:
        return None
    return found
