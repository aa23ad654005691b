r"""The VAE's KL term as a sum over latent dimensions, compared with kl.vae-regulariser at the lecture's J.

A statement ``D_{KL}(q_\phi(z|x) \| p(z)) = -\frac12\sum_{j=1}^J(1 + \log\sigma_j^2 - \mu_j^2 - \sigma_j^2)`` (any
KL head, a leading minus on the left, the arguments densities or the Gaussians written out) is read as
KL(N(μ, diag σ²) ‖ N(0, I)) only when the document declares the encoder's law for the KL's variable,
``q_\phi(z|x) = \mathcal N(z; \mu, \mathrm{diag}(\sigma^2))`` or ``\sigma^2 I`` (N's second argument written as a
variance: a square, diag or an identity factor), and the prior standard normal (``p(z) = \mathcal N(0, I)``, or
the prose says "standard normal prior"). The sum's items must be the declared mean's and standard deviation's
coordinates (μ_j, σ_j; a variance written bare, ``\mathrm{diag}(v)``, makes v_j the variances), one sum over
one index: the claim's general form (:class:`derivspec.core.claims.Sizes` with two families, derived from
kl.gaussian.standard per coordinate: the KL of independent coordinates adds) is compared at the symbolic count

* **proved for every J** when the two sides have the same linear form (:func:`derivspec.core.sums.linear_form`);
* otherwise written out for J = 2, …, 8: a counterexample is a **flag** with the values and the correct form in
  the lecture's letters; equality at every size is evidence ("holds on 7 instances").

Anything else (another prior, no declared encoder, a second sum over a batch, other names) is ``unchecked``
with the reason.
"""

from __future__ import annotations

import re

import sympy

from derivspec.scan import sizes
from derivspec.scan.names import strip_fonts
from derivspec.scan.reparameterised import Facts, _as_variance, _read, _standard, key
from derivspec.scan.steps import StepResult, known_result

CLAIM = "kl.vae-regulariser"
RECOGNISED = {CLAIM: r"a KL between the encoder $q(z|x)$ and the prior $p(z)$ written as a sum over the latent "
                     r"dimensions, in a document that declares the encoder a diagonal Gaussian $\mathcal N(\mu, "
                     r"\mathrm{diag}(\sigma^2))$ and the prior standard normal: compared at the lecture's own "
                     r"count of dimensions"}
_HEAD = re.compile(r"^(?P<minus>-\s*)?(?:\\mathrm\{KL\}|\\text\{KL\}|\\operatorname\{KL\}|\\mathrm\s*KL|KL|"
                   r"D_\{?\s*(?:\\(?:mathrm|text|rm)\s*\{?)?\s*KL\s*\}?\s*\}?)\s*(?:\\left|\\big|\\Big)?\s*\(")
_BAR = re.compile(r"\\mid\s*\\mid|\\\||\\parallel|\\Vert|\|\||\\middle\s*\\\||\\right\s*\\\|")
_DENSITY = re.compile(r"^(?P<letter>[pq])(?:\s*_\s*(?:\{[^{}]*\}|\\?[A-Za-z0-9]+))?\s*(?:\\left\s*)?\(\s*"
                      r"(?P<variable>[^|()]*?)\s*(?:(?:\||\\mid)[^()]*(?:\([^()]*\)[^()]*)*)?(?:\\right\s*)?\)$")
_NORMAL = re.compile(r"^\\mathcal\s*\{?\s*N\s*\}?\s*(?:\\left\s*)?\(")
_STANDARD_PRIOR = re.compile(r"standard (?:normal|Gaussian)|isotropic (?:unit )?Gaussian|unit Gaussian|"
                             r"\\mathcal\s*\{?N\}?\s*\(\s*(?:\\mathbf\{?)?0\}?\s*,\s*(?:\\mathbf\{?)?I", re.IGNORECASE)
_GAUSS = r"(?:Gaussian|normal)"
_ENCODER_SAID = re.compile(  # the encoder's law said in words: "a diagonal Gaussian encoder", "q is Gaussian"
    rf"(?<!standard )(?<!isotropic )(?<!unit ){_GAUSS}\s+(?:encoder|(?:approximate|variational)\s+(?:posterior|"
    r"distribution)|recognition (?:model|network)|inference (?:model|network))|"
    rf"(?:encoder|\$\s*q[^$]{{0,40}}\$)\s+(?:is|be|are)\s+(?:a\s+|an\s+)?(?:diagonal\s+|factori[sz]ed\s+)?"
    rf"(?:multivariate\s+)?{_GAUSS}(?!\s+prior)", re.IGNORECASE)
_LETTERS_SAID = re.compile(  # "... with mean $\mu$ and variance $\sigma^2$" (or standard deviation $\sigma$)
    r"mean\s+\$(?P<mean>[^$]{1,40})\$\s*,?\s*(?:and\s+)?(?:a\s+)?(?:diagonal\s+)?"
    r"(?P<kind>variance|covariance|standard deviation)s?\s+\$(?P<spread>[^$]{1,60})\$", re.IGNORECASE)
_PRIOR_SAID = re.compile(  # the prior said standard normal in words: "a standard normal prior", "the prior is N(0, I)"
    r"(?:standard (?:normal|Gaussian)|isotropic (?:unit )?Gaussian|unit Gaussian|"
    r"\$\s*\\mathcal\s*\{?N\}?\s*\(\s*(?:\\mathbf\{?)?0\}?\s*,\s*(?:\\mathbf\{?)?I\}?\s*\)\s*\$)\s+prior|"
    r"prior\s+(?:\$[^$]{0,20}\$\s+)?(?:is|be)\s+(?:a\s+|the\s+)?(?:standard (?:normal|Gaussian)|"
    r"isotropic (?:unit )?Gaussian|unit Gaussian|\$\s*\\mathcal)", re.IGNORECASE)
_OTHER_PRIOR = re.compile(r"Bernoulli|categorical|mixture|Laplace|Student|VampPrior|flow prior", re.IGNORECASE)


def _arguments(left: str):
    """(minus, first argument, second argument) of a KL written on the left, or None."""
    text = left.strip()
    braced = re.fullmatch(r"(-?)\s*\{(.*)\}", text)  # -{\mathrm{KL}(...)}, a macro's expansion
    if braced:
        text = braced.group(1) + braced.group(2).strip()
    m = _HEAD.match(text)
    if not m:
        return None
    inner = re.sub(r"\s*(?:\\right|\\big|\\Big)?\s*\)$", "", text[m.end():])
    if inner == text[m.end():]:
        return None
    depth, cut = 0, None
    for i, ch in enumerate(inner):
        depth += ch in "({[" and not (i and inner[i - 1] == "\\")
        depth -= ch in ")}]" and not (i and inner[i - 1] == "\\")
        if depth == 0 and (bar := _BAR.match(inner, i)):
            cut = (i, bar.end())
            break
    if cut is None:
        return None
    return bool(m.group("minus")), inner[:cut[0]].strip(), inner[cut[1]:].strip()


def _normal_written(argument: str):
    """(mean, spread) of ``\\mathcal N(m, S)`` written as a KL argument, else None."""
    from derivspec.scan.reparameterised import _normal_arguments

    m = _NORMAL.match(argument)
    if not m:
        return None
    return _normal_arguments(argument, m.end(), None)


def _is_standard(mean: str, spread: str) -> bool:
    from derivspec.scan.reparameterised import Declared

    return _standard(Declared(0, None, mean, spread))


def check(left: str, relation: str, right: str, line: int, names, facts: Facts | None, prose: str = "",
          text: str = "", paragraph: str = "") -> StepResult | None:
    """The statement judged as the VAE's KL summed over dimensions; None when it is not one. ``paragraph``: the
    prose of the statement's paragraph, where a law said in words (a diagonal Gaussian encoder, a standard normal
    prior) is read when the document declares none in symbols."""
    if relation != "=" or facts is None or r"\sum" not in right:
        return None
    parsed = _arguments(left)
    if parsed is None:
        return None
    minus, first, second = parsed

    result = known_result(relation, left, right, CLAIM)
    # the encoder's law
    written = _normal_written(first)
    variable = None
    if written is None:
        density = _DENSITY.match(first)
        if density is None or density.group("letter") != "q":
            return None
        variable = key(density.group("variable"))
        laws = [law for law in facts.laws if law.variable == variable and not _is_standard(law.mean, law.spread)]
        before = [law for law in laws if law.line <= line]
        if before:
            last = max(law.line for law in before)
            laws = [law for law in before if law.line == last]
        said = None if laws else _said_in_prose(paragraph, right)
        if said is not None and isinstance(said[0], str) and said[0].startswith("unchecked:"):
            return result("unchecked", said[0][len("unchecked:"):])
        if not laws and said is None:
            return result("unchecked", "a KL of the encoder to the prior summed over dimensions, but the document "
                                       f"declares no normal law of {density.group('variable')}: its mean and variance "
                                       "are not known")
        if said is not None:  # both laws said in the statement's paragraph: the prior is the one said there
            mean_text, spread_text, where = said
            return _compare(minus, right, mean_text, spread_text, where, names, result)
        if len({(law.mean.replace(" ", ""), law.spread.replace(" ", "")) for law in laws}) > 1:
            return result("unchecked", f"the document declares the encoder's law of {density.group('variable')} two "
                                       "ways")
        mean_text, spread_text = laws[0].mean, laws[0].spread
        where = f"the encoder N({mean_text}, {spread_text}) declared at line {laws[0].line}"
    else:
        mean_text, spread_text = written
        where = f"the encoder N({mean_text}, {spread_text}) written in the KL"
    # the prior
    prior = _normal_written(second)
    if prior is not None:
        standard_prior = _is_standard(*prior)
    else:
        density = _DENSITY.match(second)
        if density is None or density.group("letter") != "p":
            return None
        prior_variable = key(density.group("variable"))
        if variable is not None and prior_variable != variable:
            return None
        declared = [law for law in facts.laws if law.variable == prior_variable]
        standard_prior = any(_is_standard(law.mean, law.spread) for law in declared) or (
            (facts.standard_prior or bool(_STANDARD_PRIOR.search(prose))) and not _OTHER_PRIOR.search(prose))
    if not standard_prior:
        return result("unchecked", "a KL of the encoder to the prior summed over dimensions, but the prior is not "
                                   "declared standard normal N(0, I): not the closed form of kl.vae-regulariser")
    return _compare(minus, right, mean_text, spread_text, where, names, result)


def _said_in_prose(paragraph: str, right: str):
    r"""(mean, spread, where) of the encoder when the paragraph says both laws in words -- a Gaussian encoder (or q
    is Gaussian) and a standard normal prior --, else None; ("unchecked:why", ...) when it says them but the
    letters are not fixed. The letters: those the prose names (mean $m$ and variance $v$), else the statement's
    \mu_j and \sigma_j (a Gaussian's mean and standard deviation by convention)."""
    encoder, prior = _ENCODER_SAID.search(paragraph), _PRIOR_SAID.search(paragraph)
    if encoder is None or prior is None or _OTHER_PRIOR.search(paragraph):
        return None
    words = f"the paragraph's '{encoder.group(0).strip()}' and '{prior.group(0).strip()}'"
    letters = _LETTERS_SAID.search(paragraph)
    if letters is not None:
        mean, spread = letters.group("mean").strip(), letters.group("spread").strip()
        if letters.group("kind").lower() == "standard deviation":
            spread = "{" + spread + "}^2"
        elif not re.search(r"\^\s*\{?\s*2\s*\}?|\\Sigma", spread):
            spread = spread + r" \mathbf I"  # a variance by name: said so, not a scale
        return mean, spread, f"the encoder N({mean}, {spread}) said in words ({words})"
    if not (re.search(r"\\mu(?![A-Za-z])", right) and re.search(r"\\sigma(?![A-Za-z])", right)):
        return ("unchecked:a KL of the encoder to the prior summed over dimensions; the prose says a Gaussian "
                "encoder and a standard normal prior, but names neither its mean nor its variance and the sum "
                r"has no \mu_j and \sigma_j to read as them",)
    return r"\mu", r"\mathrm{diag}(\sigma^2)", f"the encoder N(\\mu, diag \\sigma^2) said in words ({words})"


def _atom(expr):
    """A lecture quantity: a name or an application (\\mu_\\phi(x)), with its key."""
    return expr if isinstance(expr, (sympy.Symbol, sympy.core.function.AppliedUndef)) else None


def _written(atom, names) -> str:
    """The name the document writes for a symbol, or the head of an application."""
    if isinstance(atom, sympy.Symbol):
        return names.latex.get(atom, atom.name)
    return re.sub(r"[\[⟮].*$", "", atom.func.__name__)


def _compare(minus: bool, right: str, mean_text: str, spread_text: str, where: str, names, result):
    from derivspec.core import registry
    from derivspec.core.sums import linear_form
    from derivspec.scan.finite_sums import limit_symbol

    variance_text, marked = _as_variance(spread_text)
    if not marked:
        return result("unchecked", f"a KL summed over dimensions, but {where} writes its second argument "
                                   f"{spread_text} bare: a variance or a standard deviation, not fixed")
    try:
        mean_expr = _read(mean_text, names)
        variance_expr = sympy.factor_terms(_read(variance_text, names))
        rhs = _read(right, names)
    except Exception:
        return result("unchecked", "a KL summed over dimensions, but the encoder's law or the right side is not read")
    as_variance = not (isinstance(variance_expr, sympy.Pow) and variance_expr.exp == 2)
    std_atom = _atom(variance_expr if as_variance else variance_expr.base)
    mean_atom = _atom(mean_expr)
    if std_atom is None or mean_atom is None:
        return result("unchecked", f"a KL summed over dimensions, but {where} is not a mean and a variance by name")
    mean_key, std_key = key(_written(mean_atom, names)), key(_written(std_atom, names))
    if mean_key is None or std_key is None or mean_key.base == std_key.base:
        return result("unchecked", f"a KL summed over dimensions, but {where} is not a mean and a variance by name")
    sums = [n for n in sympy.preorder_traversal(rhs) if isinstance(n, sympy.Sum)]
    if not sums or len({s.limits for s in sums}) != 1 or len(sums[0].limits) != 1:  # ½Σ_j(..) - Σ_j log σ_j: one
        return result("unchecked", "a KL summed over more than one index (over a batch as well as the dimensions?): "
                                   "not compared with the per-sample closed form")
    index = sums[0].limits[0][0]
    count = limit_symbol(rhs)
    if count is None:
        return result("unchecked", "a KL summed over dimensions whose count is not one name")
    mean_f, std_f = sympy.Function("μ", real=True), sympy.Function("σ", positive=True)
    table, heads = {}, {}
    for node in sympy.preorder_traversal(rhs):
        if isinstance(node, sympy.core.function.AppliedUndef) and node.args == (index,):
            head = re.sub(r"_\{•\}$", "", node.func.__name__)
            k = key(head)
            if k is not None and (k.accents, k.base) == (mean_key.accents, mean_key.base):
                table[node], heads["mean"] = mean_f(index), head
            elif k is not None and (k.accents, k.base) == (std_key.accents, std_key.base):
                table[node], heads["std"] = std_f(index), head
            else:
                spread = "variance" if as_variance else "standard deviation"
                return result("unchecked", f"a KL summed over dimensions, but its sum uses {head}_{index.name}, "
                                           f"which is not a coordinate of the mean or the {spread} of {where}")
    candidate = rhs.xreplace(table)
    others = candidate.free_symbols - {count, index}
    if others or not heads:
        shown = ", ".join(sorted(names.latex.get(s, s.name) for s in others)) or "neither family"
        return result("unchecked", f"a KL summed over dimensions, but the other side uses {shown}, which the claim "
                                   "does not read")
    # one family may be missing: the written sum does not depend on it (a dropped \log leaves \sigma_j^2 -
    # \sigma_j^2, which SymPy cancels); its coordinates are then named after the declared law's letter, fonts
    # dropped (\boldsymbol\mu -> \mu)
    heads.setdefault("mean", strip_fonts(_written(mean_atom, names)))
    heads.setdefault("std", strip_fonts(_written(std_atom, names)))
    if minus:
        candidate = -candidate
    declared = next(r.sizes for r in registry.get(CLAIM).recognisers() if r.sizes is not None)
    std = (lambda j: sympy.sqrt(std_f(j))) if as_variance else std_f
    target = declared.general(count, mean_f, std)
    mean_name, std_name = heads["mean"], heads["std"]
    count_name = names.latex.get(count, count.name)
    reading = (f" (reading {count_name} dimensions, {mean_name}_{index.name} the coordinates of the mean and "
               f"{std_name}_{index.name} of the {'variance' if as_variance else 'standard deviation'} of {where}, "
               "the prior N(0, I))")
    correct = _correct(declared.correct, count_name, index.name, mean_name, std_name, as_variance)
    try:
        difference = sympy.expand(sympy.expand_log(sympy.expand(candidate - target), force=True))
        same = linear_form(difference) == 0
    except Exception:
        same = False
    if same:
        return result("proved", f"matches {CLAIM} (KL(N(μ, diag σ²) ‖ N(0, I)), the sum over dimensions of "
                                f"kl.gaussian.standard) for every {count_name}: the sums agree by linearity{reading}")
    return _written_out(candidate, target, count, count_name, mean_f, std_f, mean_name, std_name, as_variance,
                        reading, correct, result)


def _written_out(candidate, target, count, count_name, mean_f, std_f, mean_name, std_name, as_variance, reading,
                 correct, result):
    from derivspec.core.claims import REAL, Var, positive_between

    def items_at(n):
        means = [Var(f"m{k}", f"{mean_name}_{k}", REAL) for k in range(1, n + 1)]
        stds = [Var(f"s{k}", f"{std_name}_{k}", positive_between(0.3, 2.5)) for k in range(1, n + 1)]
        values = {mean_f(k): v.symbol for k, v in enumerate(means, start=1)}
        values |= {std_f(k): v.symbol for k, v in enumerate(stds, start=1)}
        return means + stds, values

    about = "KL(N(μ, diag σ²) ‖ N(0, I)) = ½ Σ_j (μ_j² + σ_j² − 1 − log σ_j²)"
    return sizes.written_out(CLAIM, about, range(2, 9), candidate, target, count, count_name, items_at, reading,
                             correct, result)


def _correct(text: str, count: str, index: str, mean: str, std: str, as_variance: bool) -> str:
    """The claim's general form in the lecture's letters (σ_j² the variance v_j when v is declared bare)."""
    text = re.sub(r"(?<![\\A-Za-z])J(?![A-Za-z])", lambda _: count, text)
    text = re.sub(r"(?<![\\A-Za-z])j(?![A-Za-z])", lambda _: index, text)
    mean, std = ("{" + n + "}" if "_" in n else n for n in (mean, std))
    if not std.startswith("\\"):
        text = text.replace(r"\log\sigma", r"\log \sigma")  # \log v_j, not \logv_j
    text = text.replace(r"\mu_", mean + "_")
    if as_variance:
        text = text.replace(r"\sigma_" + index + "^2", std + "_" + index)
    return text.replace(r"\sigma_", std + "_")


def judge(left: str, relation: str, right: str, context) -> StepResult | None:
    """:func:`check` as a known result the recogniser merges (the sides as written, the statement's context)."""
    return check(left, relation, right, context.line, context.names, context.normal_facts,
                 context.prose, paragraph=context.paragraph)
