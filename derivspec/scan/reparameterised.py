r"""Reparameterised samples, ``v = a + B \epsilon``, compared with the distribution the document declares for v.

A statement ``z = \mu + \sigma \odot \epsilon`` (or ``Z \sim \mu + \sigma\epsilon``, ``x_t = \sqrt{\bar\alpha_t}x_0 +
\sqrt{1-\bar\alpha_t}\epsilon``) whose right side is affine in a noise ε is a sample of N(a, B²) per coordinate
(``\odot``: elementwise; ε symmetric, so the sign of B does not matter): the mean a is the side at ε = 0, the
variance the square of its coefficient. The noise is a name the document declares standard normal
(``\epsilon \sim \mathcal N(0, I)``, ``p(\epsilon) = \mathcal N(\epsilon; 0, 1)``) or, by convention, ε with
the word "noise" in the document. The target is what the document declares for v:
``q_\phi(z|x) = \mathcal N(z; \mu, \sigma^2 I)``, ``z \sim \mathcal N(\mu, \mathrm{diag}(\sigma^2))``,
``q(x_t|x_0) = \mathcal N(x_t; \sqrt{\bar\alpha_t}x_0, (1-\bar\alpha_t)I)`` -- the declaration written in the
same names as the sample (a prior ``z \sim \mathcal N(0, I)`` is not the distribution of ``\mu + \sigma\epsilon``).
A diffusion lecture that declares no one-step kernel and writes ``\bar\alpha`` and x_0 is read with the DDPM
forward step ``q(x_t|x_{t-1}) = \mathcal N(\sqrt{1-\beta_t}x_{t-1}, \beta_t I)`` (β_t = 1 − α_t).

N's second argument is read as a variance when it is written as one (a square, an identity factor, diag,
Σ); a bare name (``\mathcal N(\mu, \sigma)``) may be a standard deviation: then the statement is never
proved, and flagged only if it differs under both readings. ``proved`` when SymPy reduces both differences
to 0 (every name a positive real); ``disagrees`` with the variance (or mean) as written and as declared at
a point, confirmed at 50 and 80 digits, and the sample in the lecture's own symbols; otherwise ``unchecked``
with the reason. The record names the claim: ``vae.reparameterisation.sample``, or ``ddpm.marginal.mean`` /
``ddpm.marginal.variance`` in a diffusion lecture.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass

import sympy

from derivspec.core import symbolic
from derivspec.core.numbers import fmt
from derivspec.scan.linear_gaussian import _arguments
from derivspec.scan.names import NameKey, strip_fonts
from derivspec.scan.reader import bare_names, is_opaque_function, read_document
from derivspec.scan.steps import StepResult

SAMPLE_CLAIM = "vae.reparameterisation.sample"
MEAN_CLAIM, VARIANCE_CLAIM = "ddpm.marginal.mean", "ddpm.marginal.variance"
# what this module reads, per claim (the recognisers page, derivspec/app/docs.py)
RECOGNISED = {
    SAMPLE_CLAIM: r"a sample $v = a + B \odot \epsilon$ affine in a noise the document declares standard normal, "
                  r"compared in mean and variance with the normal law the document declares for $v$",
    MEAN_CLAIM: r"a forward sample $x_t = a\,x_0 + b\,\epsilon$ in a document on diffusion: its mean",
    VARIANCE_CLAIM: r"a forward sample $x_t = a\,x_0 + b\,\epsilon$ in a document on diffusion: its variance",
}
NOISE = r"\epsilon"  # the noise letter by convention (\varepsilon, \boldsymbol\epsilon: the same key base)
SECONDS = 2.0
_FONT = r"\\(?:mathbf|boldsymbol|bm|vec|pmb|mathrm|symbf)\s*"
_NAME = (r"(?:" + _FONT + r"\{\s*(?:\\[A-Za-z]+|[A-Za-z])\s*\}|" + _FONT + r"(?:\\[A-Za-z]+|[A-Za-z])|"
         r"\\[A-Za-z]+|[A-Za-z])"
         r"(?:\s*_\s*(?:\{[^{}]*\}|\\?[A-Za-z0-9]+))?")
_NORMAL = r"\{?\s*\\mathcal\s*\{?\s*N\s*\}?\s*(?:\\left\s*)?\("
SAMPLED = re.compile(r"(?<![\\A-Za-z])(" + _NAME + r")\s*(?:(?:\||\\mid)[^$]{0,40}?)?\\sim\s*" + _NORMAL)
# any name equated to a normal law is a density (q_\phi(z|x), r(v|u), \pi(x_t|x_0)): no letter decides it;
# a density's variable may carry an accent (q_\sigma(\tilde x | x): the DSM kernel); a sample's never does
_ACCENTED = r"(?:\\(?:tilde|hat|bar|widetilde|widehat)\s*(?:\{\s*" + _NAME + r"\s*\}|" + _NAME + r")|" + _NAME + r")"
DENSITY = re.compile(r"(?<![\\A-Za-z])(?:\\(?!mathcal|left|frac|sqrt)[A-Za-z]+|[A-Za-z])(?:\s*_\s*(?:\{[^{}]*\}|\\?[A-Za-z]+))?\s*(?:\\left\s*)?\(\s*(" + _ACCENTED +
                     r")\s*(?:(?:\||\\mid)[^()]*(?:\([^()]*\)[^()]*)*)?(?:\\right\s*)?\)\s*=\s*" + _NORMAL)
_IDENTITY = re.compile(r"^(?:1|I|\\mathbb\{?I\}?|I_\{?[A-Za-z0-9]+\}?)$")
_IDENTITY_FACTOR = re.compile(r"(?:\\(?:mathbf|boldsymbol|bm|mathrm|operatorname|mathbb)\s*\{\s*I\s*\}|"
                              r"\\(?:mathbf|boldsymbol|bm|mathrm|mathbb)\s*I(?![A-Za-z])|(?<![\\A-Za-z])I(?![A-Za-z]))"
                              r"(?:_\s*(?:\{[^{}]*\}|[A-Za-z0-9]))?")
_DIAG = re.compile(r"\\(?:mathrm|operatorname|text)\s*\{\s*diag\s*\}\s*|\\diag\s*|(?<![\\A-Za-z])diag\s*")
_DIFFUSION = re.compile(r"diffusion|DDPM|denois|forward process|noising", re.IGNORECASE)
_NOISE_WORD = re.compile(r"\bnoise\b", re.IGNORECASE)
_STANDARD_PRIOR = re.compile(r"(?:standard|isotropic|unit) (?:normal|Gaussian) prior|"
                             r"prior[^.$]{0,60}?(?:standard|isotropic unit|unit) (?:normal|Gaussian)", re.IGNORECASE)


def key(name: str) -> NameKey | None:
    """A name's accents, letter and subscript, fonts dropped (``\\boldsymbol\\epsilon`` -> \\epsilon)."""
    name = re.sub(r"_\s*(\\?[A-Za-z0-9]+)", r"_{\1}", strip_fonts(name.strip()).replace(" ", ""))
    return NameKey.of(name)


@dataclass(frozen=True)
class Declared:
    line: int
    variable: NameKey
    mean: str
    spread: str  # N's second argument as written
    density: str = ""  # the density it is the law of, as written: q_\phi(z|x), or p(v) for v ~ N(...)


@dataclass
class Facts:
    """What a document declares: standard-normal noises and the normal laws of its variables."""

    noises: dict  # NameKey -> line of the declaration
    laws: list  # Declared
    diffusion: bool = False  # the document speaks of diffusion and writes \bar\alpha and x_0
    noise_word: bool = False  # the document speaks of noise
    standard_prior: bool = False  # the prose calls the prior standard normal (scan/vae_kl.py)


def _normal_arguments(text: str, end: int, variable: str | None) -> tuple[str, str] | None:
    args = _arguments(text, end)
    if args is None:
        return None
    if len(args) == 2 and re.search(r"\||\\mid", args[0]):  # N(z | mu, s^2)
        head, mean = re.split(r"\||\\mid", args[0], maxsplit=1)
        args = [head, mean, args[1]]
    if len(args) == 3:
        if variable is not None and key(args[0]) != key(variable):
            return None
        return args[1].strip(), args[2].strip()
    if len(args) == 2:
        return args[0].strip(), args[1].strip()
    return None


def laws_in(text: str, line: int) -> list[Declared]:
    """Every ``v \\sim \\mathcal N(m, S)`` and ``p(v|...) = \\mathcal N(v; m, S)`` in ``text``."""
    found = []
    for pattern in (SAMPLED, DENSITY):
        for match in pattern.finditer(text):
            parts = _normal_arguments(text, match.end(), match.group(1) if pattern is DENSITY else None)
            k = key(match.group(1))
            if parts and k is not None:
                head = match.group(0)
                head = (head[:head.rindex("=")] if pattern is DENSITY
                        else "p(" + head[:head.rindex(r"\sim")].strip() + ")")
                found.append(Declared(line, k, *parts, density=head.strip()))
    return found


def _standard(law: Declared) -> bool:
    mean = strip_fonts(law.mean).replace(" ", "").strip("{}")
    spread = strip_fonts(law.spread).replace(" ", "").strip("{}")
    return mean == "0" and bool(_IDENTITY.match(spread))


def document_facts(statements, text: str) -> Facts:
    """``statements``: (first line, cleaned text) of the document's statements with a relation (macros expanded)."""
    noises, laws = {}, []
    for line, cleaned in statements:
        for law in laws_in(cleaned, line):
            if _standard(law) and law.variable.base == NOISE:
                noises.setdefault(law.variable, line)
            laws.append(law)
    diffusion = bool(_DIFFUSION.search(text)) and bool(re.search(r"\\(?:bar|overline)\s*\{?\s*\\alpha", text)) \
        and bool(re.search(r"x_\{?0\}?", text))
    return Facts(noises, laws, diffusion, bool(_NOISE_WORD.search(text)), bool(_STANDARD_PRIOR.search(text)))


# --- reading ------------------------------------------------------------------------------------

def _read(text: str, names):
    """A side read in document mode, each name without its font (\\boldsymbol\\mu and \\mu are one quantity)."""
    expr = read_document(text, names, bare_names(text)).value()
    return expr.xreplace({s: names.symbol(strip_fonts(names.latex.get(s, s.name))) for s in expr.free_symbols})


def _atoms(expr) -> set:
    """The names and opaque applications of an expression: the lecture's quantities."""
    found = {a for a in sympy.preorder_traversal(expr) if is_opaque_function(a) and not isinstance(a, sympy.Symbol)}
    found |= {s for s in expr.free_symbols if not any(s in a.free_symbols for a in found)}
    return found


def _as_variance(spread: str) -> tuple[str, bool]:
    r"""N's second argument without its identity factor or diag: (text, written as a variance). An identity factor
    makes it a covariance (\beta_t I); a diag of a bare name does not: \mathrm{diag}(\boldsymbol\sigma) may hold the
    scales (seed 004 L2587 writes it beside the sample \mu + \sigma \odot \epsilon), so it is read both ways."""
    stripped = _DIAG.sub("", spread)
    without = _IDENTITY_FACTOR.sub(" 1 ", stripped)
    return without, without != stripped or bool(re.search(r"\^\s*\{?\s*2\s*\}?|\\Sigma", without))


@dataclass
class Sample:
    left: NameKey
    noise: sympy.Symbol
    mean: sympy.Expr
    variance: sympy.Expr
    elementwise: bool


def read_sample(left: str, right: str, names) -> Sample | None:
    """``left = a + B noise`` (affine in one noise name with base ε), or None."""
    lk = key(left)
    if lk is None or lk.base == NOISE or not re.fullmatch(_NAME, left.strip()):
        return None
    try:
        expr = _read(right, names)
    except Exception:
        return None
    noise = [s for s in expr.free_symbols if (key(names.latex.get(s, s.name)) or NameKey((), "", "")).base == NOISE]
    if len(noise) != 1:
        return None
    eps = noise[0]
    if any(eps in a.free_symbols for a in _atoms(expr) if not isinstance(a, sympy.Symbol)):
        return None  # the noise inside a function: not affine
    try:
        slope = sympy.diff(expr, eps)
        if slope.has(eps) or slope == 0:
            return None
        mean = expr.subs(eps, 0)
    except Exception:
        return None
    return Sample(lk, eps, mean, slope ** 2, r"\odot" in right)


# --- judging -------------------------------------------------------------------------------------

def _positive(*exprs):
    """Every atom a positive real: the same substitution for all the expressions."""
    atoms = set().union(*(_atoms(e) for e in exprs))
    table = {a: sympy.Dummy(f"p{i}", positive=True) for i, a in enumerate(sorted(atoms, key=sympy.default_sort_key))}
    return [e.xreplace(table) for e in exprs], table


def _differs_at(written, declared, table) -> dict | None:
    """A point (every atom a positive rational) where the two differ, confirmed at 50 and 80 digits."""
    rng = random.Random(0)
    symbols = sorted(table.values(), key=lambda s: s.name)
    for _ in range(6):
        point = {s: sympy.Rational(rng.randint(1, 19), 20) for s in symbols}  # in (0, 1): noise levels too
        try:
            a, b = (sympy.N(e.xreplace(point), 50) for e in (written, declared))
            if not (a.is_real and b.is_real) or abs(a - b) <= 1e-20 * (1 + abs(b)):
                continue
            a2, b2 = (sympy.N(e.xreplace(point), 80) for e in (written, declared))
            if abs(a2 - b2) > 1e-20 * (1 + abs(b2)):
                return point
        except (TypeError, ValueError):
            continue
    return None


def _zero(difference) -> bool:
    return bool(symbolic.reduces_to_zero(difference, seconds=SECONDS))


def _scale_text(variance_text: str) -> str:
    """The scale in the lecture's letters: ``\\sigma^2`` -> ``\\sigma``, ``\\beta_t`` -> ``\\sqrt{\\beta_t}``."""
    text = variance_text.replace(" 1 ", " ").strip()
    text = re.sub(r"^\\left\s*\(|\\right\s*\)$", "", text).strip()
    m = re.fullmatch(r"(.+?)\s*\^\s*\{?\s*2\s*\}?", text)
    if m and re.fullmatch(_NAME + r"(?:\s*\([^()]*\))?", m.group(1).strip()):
        return m.group(1).strip()
    m = re.fullmatch(r"\(\s*(.+?)\s*\)\s*\^\s*\{?\s*2\s*\}?", text)
    if m:
        return m.group(1)
    return rf"\sqrt{{{text}}}"


def _atom_text(atom, names) -> str:
    r"""A lecture quantity as written: a name, or an application ``\mu(\phi, \lambda)``."""
    if isinstance(atom, sympy.Symbol):
        return names.latex.get(atom, atom.name)
    head = re.sub(r"[\[⟮].*$", "", atom.func.__name__)
    return f"{head}({', '.join(_atom_text(a, names) for a in atom.args)})"


def _show(expr, names, table) -> str:
    back = {v: sympy.Symbol(_atom_text(k, names)) for k, v in table.items()}
    shown = expr.xreplace(back)
    return sympy.latex(shown, symbol_names={s: s.name for s in shown.free_symbols})


def _point_text(point, names, table) -> str:
    back = {v: _atom_text(k, names) for k, v in table.items()}
    return ", ".join(f"{back[s]} = {value}" for s, value in sorted(point.items(), key=lambda kv: back[kv[0]]))


def check(left: str, relation: str, right: str, line: int, names, facts: Facts, prose: str = "",
          statement: str = "") -> StepResult | None:
    """The statement judged as a reparameterised sample; None when it is not one. The law compared with is the
    last one declared for v up to ``line`` (else every later one, when they agree)."""
    if relation not in ("=", "∼") or facts is None:
        return None
    sample = read_sample(left, right, names)
    if sample is None:
        return None
    noise_key = key(names.latex.get(sample.noise, sample.noise.name))
    diffusion = facts.diffusion
    claim = SAMPLE_CLAIM

    def result(verdict, reason, evidence="", correct="", which=None):
        return StepResult(relation, left, right, verdict, "known", reason, evidence, claim=which or claim,
                          correct=correct)

    declared_noise = noise_key in facts.noises or any(k.base == NOISE and not k.accents for k in facts.noises) \
        or bool(re.search(r"\\sim\s*\\mathcal\s*\{?\s*N\s*\}?\s*(?:\\left\s*)?\(\s*(?:\\mathbf\s*\{?)?0", statement))
    if not declared_noise and not (facts.noise_word or _NOISE_WORD.search(prose)):
        noise = names.latex.get(sample.noise, sample.noise.name)
        return result("unchecked", f"has the shape of a reparameterised sample, but the noise {noise} is not "
                                   "declared standard normal")
    if any(strip_fonts(a.name)[:1].isupper() or a.name.startswith((r"\Sigma", r"\Lambda"))
           for a in sample.variance.free_symbols):
        return result("unchecked", "a reparameterised sample with a matrix-like coefficient: its covariance B B^T is "
                                   "not read per coordinate")
    sample_atoms = _atoms(sample.mean) | _atoms(sample.variance)
    candidates = []
    for law in facts.laws:
        if law.variable != sample.left or _standard(law) and law.variable.base == NOISE:
            continue
        try:
            variance_text, marked = _as_variance(law.spread)
            mean, spread = _read(law.mean, names), _read(variance_text, names)
        except Exception:
            continue
        if _atoms(mean) | _atoms(spread) == sample_atoms:
            candidates.append((law, mean, spread, marked, variance_text))
    kernel = False
    if not candidates and diffusion:
        candidates = _one_step(sample, names)
        kernel = bool(candidates)
    if not candidates:  # no law of the sample to compare with: not this module's to answer (an unchecked here
        return None  # would guard another result's flag as if it were a reading under which the step holds)
    before = [c for c in candidates if c[0].line <= line]
    if before:  # the law in force: the last one declared up to the statement
        last = max(c[0].line for c in before)
        candidates = [c for c in before if c[0].line == last]
    distinct = {(sympy.srepr(m), sympy.srepr(s), marked) for _, m, s, marked, _ in candidates}
    if len(distinct) > 1:
        return result("unchecked", f"a reparameterised sample, but the document declares {left.strip()} two ways")
    law, mean, spread, marked, variance_text = candidates[0]
    if diffusion and (kernel or re.search(r"x", left)):
        claim = VARIANCE_CLAIM
    where = (f"the DDPM forward law N({law.mean}, {law.spread}) (the document speaks of diffusion and writes "
             r"\bar\alpha and x_0)" if kernel else f"the law declared at line {law.line}")
    readings = [spread] if marked else [spread, spread ** 2]
    (w_mean, d_mean, w_var, *d_vars), table = _positive(sample.mean, mean, sample.variance, *readings)
    scale = _scale_text(variance_text) if marked else ""
    noise_text = names.latex.get(sample.noise, sample.noise.name)
    product = r"\odot " if sample.elementwise else ""
    correct = f"{law.mean} + {scale} {product}{noise_text}" if scale else ""
    mean_ok, var_ok = _zero(w_mean - d_mean), [_zero(w_var - d) for d in d_vars]
    if mean_ok and var_ok[0] and marked:
        return result("proved", f"a reparameterised sample of {where}: mean {_show(d_mean, names, table)} and variance "
                                f"{_show(d_vars[0], names, table)} per coordinate, as declared "
                                f"(matches {claim}: a + b ε with ε standard normal is N(a, b²))")
    if mean_ok and any(var_ok):
        reading = ("a variance", "a standard deviation")  # of N's second argument, as d_vars holds them
        held = var_ok.index(True)
        evidence = "" if all(var_ok) else (  # the reading under which the sides differ: why it is not proved
            f"with {law.spread} read as {reading[1 - held]}, the sample's variance {_show(w_var, names, table)} "
            f"differs from {_show(d_vars[1 - held], names, table)}")
        return result("unchecked", f"a reparameterised sample of {where}: it matches with N's second argument "
                                   f"{law.spread} read as {reading[held]}, not as {reading[1 - held]} -- the "
                                   "document's convention is not fixed", evidence)
    # a flag needs a counterexample under every reading of N's second argument
    if not mean_ok:
        point = _differs_at(w_mean, d_mean, table)
        if point is not None:
            which = MEAN_CLAIM if claim != SAMPLE_CLAIM else claim
            return result("disagrees", f"a reparameterised sample whose mean differs from {where}",
                          f"at {_point_text(point, names, table)}: the sample's mean as written "
                          f"{_show(w_mean, names, table)} = {_float(w_mean, point)}, declared "
                          f"{_show(d_mean, names, table)} = {_float(d_mean, point)}", correct, which)
    points = [_differs_at(w_var, d, table) for d in d_vars]
    if all(p is not None for p in points):
        point = points[0]
        note = "" if marked else f" (and with {law.spread} read as a standard deviation)"
        return result("disagrees", f"a reparameterised sample whose variance differs from {where}{note}",
                      f"at {_point_text(point, names, table)}: the sample's variance as written "
                      f"{_show(w_var, names, table)} = {_float(w_var, point)}, declared "
                      f"{_show(d_vars[0], names, table)} = {_float(d_vars[0], point)}", correct)
    if not marked:
        return result("unchecked", f"a reparameterised sample of {where}, but N's second argument {law.spread} may be "
                                   "a variance or a standard deviation and the comparison is not decided")
    return result("unchecked", f"a reparameterised sample of {where}: the comparison is not decided")


def _float(expr, point) -> str:
    return f"{fmt(float(sympy.N(expr.xreplace(point), 30)), '.6g')}"


def _one_step(sample: Sample, names) -> list:
    r"""The DDPM forward law in the sample's names: x_t from x_0 with \bar\alpha_t (ddpm.marginal.*), or one step
    from x_{t-1} with \beta_t (or \alpha_t = 1 - \beta_t)."""
    if sample.left.sub != "t" or sample.left.base != "x":
        return []
    by_key = {key(names.latex.get(s, s.name)): s for s in _atoms(sample.mean) | _atoms(sample.variance)
              if isinstance(s, sympy.Symbol)}

    def find(base, sub, accents=()):
        return next((s for k, s in by_key.items() if k is not None and k.base == base and k.sub == sub
                     and k.accents == accents), None)

    def latex(symbol):
        return names.latex.get(symbol, symbol.name)

    if len(by_key) != 2:
        return []
    start, cumulative = find("x", "0"), find(r"\alpha", "t", (r"\bar",))
    if start is not None and cumulative is not None:  # the marginal q(x_t | x_0)
        a, x = latex(cumulative), latex(start)
        law = Declared(0, sample.left, rf"\sqrt{{{a}}} {x}", f"(1-{a}) I")
        return [(law, sympy.sqrt(cumulative) * start, 1 - cumulative, True, f"1-{a}")]
    previous, beta, alpha = find("x", "t-1"), find(r"\beta", "t"), find(r"\alpha", "t")
    if previous is None or (beta is None) == (alpha is None):
        return []
    prev, b = latex(previous), latex(beta or alpha)
    if beta is not None:
        mean_text, variance_text = rf"\sqrt{{1-{b}}} {prev}", b
        mean, variance = sympy.sqrt(1 - beta) * previous, beta
    else:
        mean_text, variance_text = rf"\sqrt{{{b}}} {prev}", f"1-{b}"
        mean, variance = sympy.sqrt(alpha) * previous, 1 - alpha
    law = Declared(0, sample.left, mean_text, variance_text + " I")
    return [(law, mean, variance, True, variance_text)]


def judge(left: str, relation: str, right: str, context) -> StepResult | None:
    """:func:`check` as a known result the recogniser merges (the sides as written, the statement's context)."""
    return check(left, relation, right, context.line, context.names, context.normal_facts,
                 context.prose, context.text)
