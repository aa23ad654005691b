r"""The GAN game's optimum in the lecture's own letters: the optimal discriminator and the value there
(claims ``gan.discriminator.optimal`` and ``gan.value.optimal``).

Roles come from structure and from what the document declares, never from a list of spellings alone.
:func:`document_game` reads the document once: whether it speaks of a discriminator, the densities its
value function puts under ``\log D`` (the data: ``\mathbb E_{x \sim P}[\log D(x)]``) and under
``\log(1 - D(x))`` (the generator, when the expectation is over x, not over the noise z), the densities its
prose calls the generator's / model's / fake (generator) or the real / data / true (data) distribution, and
``x = G(z)`` followed by ``x \sim P`` (generator).

* **Optimal discriminator**: a starred D (``D^*(x)``, ``D^*_G(x)``) equal to a rational function of exactly
  two densities at the same point. The generator's density is the one whose label says so (subscript g, G,
  \theta, model, gen, fake; ``q_\theta``) or the document declares; the data density is the other one.
  A reading is allowed when no declaration contradicts it; the roles are fixed when exactly one reading is
  allowed and something supports it (a label or a declaration); otherwise unchecked with that reason. The
  side is compared with the claim's derived target p/(p + q) by the core checker.
* **Value at the optimum**: in a document that speaks of a discriminator, a left side at the optimum (a
  starred name, or a lead-in about the optimal discriminator) equal to ``c + k JS(a \| b)`` (any JS head:
  JSD, JS, D_{JS}) or ``c + k (KL(a \| m) + KL(b \| m))``, a and b the data and generator densities.
  Conventions differ by a factor (a loss -V, a 1/2 before an expectation), so the scale-free invariant
  c/k_JS is compared with the claim's (its constant over its JS coefficient, -\log 2 in nats, -1 in bits).
  A flag needs every log base the document allows to disagree.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import sympy
from sympy.core.function import AppliedUndef

from derivspec.scan.macros import closing
from derivspec.scan.names import NameKey
from derivspec.scan.steps import Context, Side, StepResult, equation_values, known_result, read_side
from derivspec.scan.notation import role_letters

DISCRIMINATOR, VALUE = "gan.discriminator.optimal", "gan.value.optimal"
RECOGNISED = {  # what this module reads (the recognisers page, derivspec/app/docs.py)
    DISCRIMINATOR: r"$D^*(x) = \ldots$, $D^*_G(x)$ over two densities in any letters ($p_r$, $p_{\text{data}}$, "
                   r"$p^*$, $p$ / $p_g$, $q_\theta$, $q$): the generator's is the one its label or the document "
                   r"names (the prose, $x = G(z)$, $\log(1 - D(x))$ under $x \sim q$), the data's the other or "
                   r"the one under $\log D$ in the value function",
    VALUE: r"any name at the optimal discriminator ($C(G)$, $V(D^*_G, G)$, $L(G, D^*)$) equal to a constant plus a "
           r"multiple of $\mathrm{JSD}$ / $D_{JS}$ (or of $\mathrm{KL}(p\|m) + \mathrm{KL}(q\|m)$) of the data and "
           r"generator densities: the scale-free constant/JS-coefficient ratio $-\log 2$ is checked (so $V$, $-V$ "
           r"and $V/2$ all hold)",
}
_SPEAKS = re.compile(r"discriminat", re.I)
_GEN_LABELS = role_letters("generator-label")  # a guess: derivspec/data/knowledge/notation.toml
_DATA_LABELS = role_letters("data-label")  # a guess: derivspec/data/knowledge/notation.toml
_DENSITY_BASES = role_letters("gan-density")  # a guess: derivspec/data/knowledge/notation.toml
_GEN_PROSE = re.compile(r"^[^$.;]{0,60}?\b(?:generator|generated|model(?:'s)?\s+(?:distribution|density)|fake|"
                        r"synthetic)", re.I)
_DATA_PROSE = re.compile(r"^[^$.;]{0,60}?\b(?:real|data|true|empirical|target)\b\s*(?:data\s+)?"
                         r"(?:distribution|density|law)", re.I)
_MATH = re.compile(r"\$\s*([^$]{1,40}?)\s*\$")
_E_SUB = re.compile(r"(?:\\mathbb\s*\{?\s*E\s*\}?|\\operatorname\s*\{\s*E\s*\}|\\mathrm\s*\{\s*E\s*\}|(?<![\\A-Za-z])E)"
                    r"\s*_\s*\{")
_AFTER_LOG_D = re.compile(r"^\s*(?:\\left|\\big|\\Big|\\bigg)?\s*\[?\s*-?\s*\\log\s*(?:\\left|\\big|\\Big)?\s*"
                          r"(?P<fake>\(\s*1\s*-\s*)?D\b")
_GENERATED = re.compile(r"(?P<x>\\tilde\s*\{?\s*(?:\\mathbf\s*\{)?\s*x\s*\}?\s*\}?|\\hat\s*\{?\s*x\s*\}?|x_g|x)\s*="
                        r"\s*G(?:_\{?\\theta\}?)?\s*\(\s*\\?(?:mathbf\{)?z\}?\s*\)")
_OPTIMUM_PROSE = re.compile(r"optimal\s+discriminator|D\^\{?\*|discriminator\s+is\s+optimal|at\s+the\s+optimum|"
                            r"plug|substitut|best\s+discriminator", re.I)
_UP_TO = re.compile(r"up\s+to\s+(?:an?\s+)?(?:additive\s+)?constant|proportional", re.I)


@dataclass(frozen=True)
class Game:
    """What the document declares about its GAN (texts of densities, as written)."""

    data: tuple = ()  # densities under log D in the value function, or called the real/data distribution
    generator: tuple = ()  # densities under log(1 - D(x)) with x ~ it, called the generator's, or of x = G(z)


def document_game(text: str) -> Game | None:
    """The document's GAN declarations, or None when it does not speak of a discriminator."""
    if not _SPEAKS.search(text):
        return None
    data, generator = [], []
    for m in _E_SUB.finditer(text):
        end = closing(text, m.end() - 1)
        if end < 0:
            continue
        sub, after = text[m.end():end], end + 1
        density = sub.split(r"\sim", 1)[1] if r"\sim" in sub else sub
        variable = sub.split(r"\sim", 1)[0].strip() if r"\sim" in sub else ""
        term = _AFTER_LOG_D.match(text[after:after + 80])
        if not term or not density.strip():
            continue
        if term.group("fake"):
            if not re.search(r"\bz\b|\\mathbf\{z\}|\\epsilon", variable) and r"G(" not in text[after:after + 80]:
                generator.append(density.strip())
        else:
            data.append(density.strip())
    for m in _MATH.finditer(text):
        after = text[m.end():m.end() + 90]
        if _GEN_PROSE.match(after) and not _DATA_PROSE.match(after):
            generator.append(m.group(1))
        elif _DATA_PROSE.match(after) and not _GEN_PROSE.match(after):
            data.append(m.group(1))
    for m in _GENERATED.finditer(text):
        x = re.escape(m.group("x").strip())
        for law in re.finditer(x + r"\s*\\sim\s*([^$,;\s]+(?:_\{[^{}]*\})?)", text):
            generator.append(law.group(1))
    return Game(tuple(data), tuple(generator))


def _key(expr) -> NameKey | None:
    return NameKey.of_expression(expr) if isinstance(expr, (AppliedUndef, sympy.Symbol)) else None


def _declared_keys(texts, context: Context) -> set:
    keys = set()
    for text in texts:
        side = read_side(text, context)
        if side.readable:
            key = _key(side.primary.expr)
            if key is not None:
                keys.add(key)
    return keys


def _label(key: NameKey) -> str:
    sub = key.sub.strip("{}")
    if sub in _GEN_LABELS or (key.base in ("q", "Q") and sub in (r"\theta", r"\phi")):
        return "generator"
    if sub in _DATA_LABELS or "*" in key.base:
        return "data"
    return ""


def _roles(a: NameKey, b: NameKey, game: Game, context: Context):
    """(data, generator) keys, or a reason why no single reading is fixed."""
    data = _declared_keys(game.data, context)
    generator = _declared_keys(game.generator, context)

    def role(k):
        found = {_label(k)} - {""}
        found |= {"data"} if k in data else set()
        found |= {"generator"} if k in generator else set()
        return found

    ra, rb = role(a), role(b)
    allowed = [(d, g) for d, g, rd, rg in ((a, b, ra, rb), (b, a, rb, ra))
               if "generator" not in rd and "data" not in rg]
    if len(allowed) == 1 and (ra or rb):
        return allowed[0]
    if not allowed:
        return "the labels and the document's declarations give both densities the same role"
    return "neither the labels nor the document (its value function, its prose) say which density is the data's"


def _starred(expr) -> bool:
    key = _key(expr)
    return key is not None and "*" in key.base


def _is_density(expr) -> bool:
    key = _key(expr)
    return key is not None and re.sub(r"\^\*$", "", key.base) in _DENSITY_BASES | {"p^*"}


def _shown(key_expr, context: Context) -> str:
    if isinstance(key_expr, AppliedUndef):
        name = re.sub(r"[\[⟮].*$", "", key_expr.func.__name__)
        args = (context.names.latex.get(a, getattr(a, "name", str(a))) for a in key_expr.args)
        return name + "(" + ", ".join(args) + ")"
    return context.names.latex.get(key_expr, getattr(key_expr, "name", str(key_expr)))


def check(left: Side, relation: str, right: Side, context: Context) -> StepResult | None:
    game = getattr(context, "gan_game", None)
    values = equation_values(left, relation, right) if game is not None else None
    if values is None:
        return None
    lhs, rhs = values
    if _starred(lhs) and _key(lhs).base.startswith("D"):
        return _discriminator(left, relation, right, context, game, lhs, rhs)
    return _value(left, relation, right, context, game, lhs, rhs)


def _tex(expr) -> str:
    """LaTeX with \\log 2 for \\log{\\left(2 \\right)}."""
    return re.sub(r"\\log\{\\left\((\d+) \\right\)\}", r"\\log \1", sympy.latex(expr))


def _discriminator(left, relation, right, context, game, lhs, rhs):
    from derivspec.core import registry
    from derivspec.core.checker import compare_expressions

    result = known_result(relation, left.text, right.text, DISCRIMINATOR)
    densities = sorted({a for a in rhs.atoms(AppliedUndef) if _is_density(a)}, key=sympy.default_sort_key)
    others = rhs.atoms(AppliedUndef) - set(densities)
    if len(densities) != 2 or others:
        return None
    points = {d.args for d in densities}
    if len(points) != 1 or (isinstance(lhs, AppliedUndef) and lhs.args != densities[0].args):
        return result("unchecked", f"recognised as {DISCRIMINATOR}, but the "
                      "densities are not taken at the discriminator's point")
    stray = rhs.free_symbols - set().union(*(d.free_symbols for d in densities))
    if stray:
        return None
    a, b = densities
    roles = _roles(_key(a), _key(b), game, context)
    if isinstance(roles, str):
        return result("unchecked",
                      f"recognised as {DISCRIMINATOR} (an optimal discriminator over {_shown(a, context)} and "
                      f"{_shown(b, context)}), but {roles}: not checked")
    data_key, _ = roles
    data, gen = (a, b) if _key(a) == data_key else (b, a)
    claim = registry.get(DISCRIMINATOR)
    p, q = (v.symbol for v in claim.variables)
    candidate = rhs.xreplace({data: p, gen: q})
    reading = (f"reading the claim's data density p as {_shown(data, context)} and the generator's q as "
               f"{_shown(gen, context)}")
    outcome = compare_expressions(candidate, claim.target, claim.variables, seconds=context.seconds)
    if outcome.verdict == "equivalent":
        return result("proved",
                      f"matches {DISCRIMINATOR} ({claim.title}): proved equal for every pair of densities, {reading}")
    correct = (f"{left.text.strip()} = \\frac{{{_shown(data, context)}}}{{{_shown(data, context)} + "
               f"{_shown(gen, context)}}}")
    if outcome.verdict == "not_equivalent":
        for pv, qv in ((1, 3), (2, 1), (1, 2)):
            at = {p: sympy.Integer(pv), q: sympy.Integer(qv)}
            stated, derived = sympy.simplify(candidate.xreplace(at)), claim.target.xreplace(at)
            if stated.is_number and stated != derived:
                return result("disagrees",
                              f"disagrees with {DISCRIMINATOR} ({claim.title}), {reading}",
                              f"at {_shown(data, context)} = {pv}, {_shown(gen, context)} = {qv}: as written "
                              f"{stated}, the optimal discriminator {derived}", correct)
    return result("unchecked",
                  f"recognised as {DISCRIMINATOR}, {reading}; not decided ({outcome.reason})")


def _divergence(expr):
    """('JS' | 'KL', first, second) for a two-argument divergence application, else None."""
    if not isinstance(expr, AppliedUndef) or len(expr.args) != 2:
        return None
    key = _key(expr)
    if key is None:
        return None
    base, sub = key.base, key.sub.strip("{}")
    if base in ("JSD", "JS") or (base == "D" and sub in ("JS", "JSD")):
        return ("JS",) + expr.args
    if base == "KL" or (base == "D" and sub == "KL"):
        return ("KL",) + expr.args
    return None


def _js_form(rhs, context):
    """(constant, JS coefficient, first density, second density) of c + k JS(a || b) or
    c + k (KL(a || m) + KL(b || m)), m the mixture; else None."""
    terms = sympy.Add.make_args(sympy.expand(rhs))
    constant, js, kl, pairs = sympy.Integer(0), sympy.Integer(0), sympy.Integer(0), []
    for term in terms:
        coefficient, rest = term.as_independent(AppliedUndef, as_Add=False)
        found = _divergence(rest)
        if rest == 1 and coefficient.is_number:
            constant += coefficient
        elif found and coefficient.is_number and found[0] == "JS":
            js += coefficient
            pairs.append(frozenset(found[1:]))
        elif found and coefficient.is_number and found[0] == "KL":
            kl += coefficient
            pairs.append(found[1:])
        else:
            return None
    if js != 0 and kl == 0 and len(set(pairs)) == 1 and len(pairs[0]) == 2:
        a, b = sorted(pairs[0], key=sympy.default_sort_key)
        return constant, js, a, b
    if kl != 0 and js == 0 and len(pairs) == 2 and pairs[0][1] == pairs[1][1] and pairs[0][0] != pairs[1][0]:
        first, second, mixture = pairs[0][0], pairs[1][0], pairs[0][1]
        weights = {t.as_independent(AppliedUndef, as_Add=False)[0] for t in terms if t.has(AppliedUndef)}
        if len(weights) != 1 or not _is_mixture(mixture, first, second, context):
            return None
        return constant, kl, first, second  # k (KL(a||m) + KL(b||m)) = 2k JS: the JS coefficient is the KLs' total
    return None


def _is_mixture(m, a, b, context) -> bool:
    if sympy.simplify(m - (a + b) / 2) == 0:
        return True
    name = context.names.latex.get(m, getattr(m, "name", ""))
    for equation in context.nearby_equations:
        left_text, _, value = equation.partition(" = ")
        if left_text.strip() == name:
            side = read_side(value, context)
            if side.readable:
                try:
                    value = side.primary.value()
                except Exception:
                    continue
                if sympy.simplify(value - (a + b) / 2) == 0:
                    return True
    return False


def _claim_ratio(claim):
    """The claim's constant over its JS coefficient, from its derived target and its JS term."""
    p1, q1 = (v.symbol for v in claim.variables)
    jsd = next(expr for r in claim.recognisers() for text, expr in r.interpret.items() if "JSD" in text)
    half = sympy.Rational(1, 2)
    constant = sympy.simplify(claim.target.xreplace({p1: half, q1: half}))
    at = {p1: sympy.Rational(1, 5), q1: sympy.Rational(3, 5)}
    coefficient = sympy.nsimplify(sympy.N((claim.target.xreplace(at) - constant) / jsd.xreplace(at), 40),
                                  rational=True)
    return sympy.simplify(constant / coefficient), constant, coefficient


def _value(left, relation, right, context, game, lhs, rhs):
    from derivspec.core import registry

    result = known_result(relation, left.text, right.text, VALUE)
    if lhs.atoms(AppliedUndef) and any(_divergence(a) for a in lhs.atoms(AppliedUndef)):
        return None
    form = _js_form(rhs, context)
    if form is None:
        return None
    constant, k, a, b = form
    at_optimum = any(_starred(s) for s in lhs.free_symbols | lhs.atoms(AppliedUndef)) or \
        _OPTIMUM_PROSE.search(context.lead_in or context.prose[-400:])
    if not at_optimum:
        return None
    if _UP_TO.search(context.lead_in + " " + context.prose):
        return result("unchecked", f"recognised as {VALUE}, but the text says the "
                      "value holds up to a constant or a factor: not checked")
    roles = _roles(_key(a), _key(b), game, context)
    if isinstance(roles, str):
        return result("unchecked", f"recognised as {VALUE} (a constant plus a "
                      f"multiple of a divergence of {_shown(a, context)} and {_shown(b, context)}), but {roles}")
    a, b = (a, b) if _key(a) == roles[0] else (b, a)  # the data's first
    claim = registry.get(VALUE)
    claim_ratio, claim_constant, claim_k = _claim_ratio(claim)
    base = sympy.E if context.log_base is None else sympy.Integer(context.log_base)
    readings = [(base, rhs)]
    if context.log_base is None and not context.natural_logs:  # the document does not say: every base it allows
        readings += [(sympy.Integer(int(name[3:])), side.value()) for name, side in right.variants.items()
                     if name in ("log2", "log10")]
        if not rhs.has(sympy.log):  # numbers only: the same numbers, the ratio expected in base 2 or 10
            readings += [(sympy.Integer(2), rhs), (sympy.Integer(10), rhs)]
    if any(isinstance(x, sympy.Float) for x in sympy.preorder_traversal(rhs)):
        return result("unchecked", f"recognised as {VALUE}; a decimal constant is "
                      "not compared")
    verdicts = []
    for reading_base, expr in readings:
        found = _js_form(expr, context)
        if found is None:
            continue
        c, kk = found[0], found[1]
        expected = sympy.simplify(claim_ratio / sympy.log(reading_base))
        verdicts.append((reading_base, sympy.simplify(c / kk - expected) == 0, c, kk, expected))
    if not verdicts or verdicts[0][0] != base:
        return None
    shown = f"{_shown(a, context)} and {_shown(b, context)}"
    invariant = (f"the scale-free invariant (constant)/(JS coefficient) = {_tex(claim_ratio)}, the claim's "
                 f"{_tex(claim_constant)} over {claim_k} (holds for V, for -V and for V/2)")
    primary = verdicts[0]
    if primary[1]:
        return result("proved",
                      f"matches {VALUE} ({claim.title}): {invariant} holds with constant {_tex(primary[2])} "
                      f"and JS coefficient {primary[3]}, the JS of {shown}")
    if any(v[1] for v in verdicts):
        which = next(v[0] for v in verdicts if v[1])
        return result("unchecked",
                      f"recognised as {VALUE}: {invariant} holds only if the logs are base {which}")
    _, _, c, kk, expected = primary
    pair = f"{_shown(a, context)} \\| {_shown(b, context)}"
    correct = f"{left.text.strip()} = {_tex(sympy.simplify(expected * kk))} + {_tex(kk)}\\,\\mathrm{{JSD}}({pair})"
    return result("disagrees",
                  f"disagrees with {VALUE} ({claim.title}): {invariant} fails for every log base the document "
                  f"allows, the JS of {shown}",
                  f"as written the constant is {_tex(c)} and the JS coefficient {kk}: their ratio "
                  f"{_tex(sympy.simplify(c / kk))} = {sympy.N(c / kk, 6)}, the optimum's "
                  f"{_tex(expected)} = {sympy.N(expected, 6)}", correct)
