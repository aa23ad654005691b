r"""Definitions of standard quantities compared with the standard definition (issue 25, point 3).

A lecture that *defines* one of these quantities is judged on its definition: its right side is
compared with the standard definition written in the lecture's own symbols.

==================  ===============================================  ==========================================
quantity            left sides recognised                            standard definition
==================  ===============================================  ==========================================
cross-entropy       ``H(p, q)``, ``\mathrm{CE}(p, q)`` (letters of   ``H(p, q) = -E_p[\log q]``
                    distributions; ``H(X, Y)`` is a joint entropy)
entropy             ``H(p)`` (a distribution letter)                 ``H(p) = -E_p[\log p]``
Jensen-Shannon      ``\mathrm{JS}``, ``\mathrm{JSD}``, ``D_{JS}``    ``½ KL(P ‖ M) + ½ KL(Q ‖ M)``, M = (P + Q)/2
ELBO                ``\mathrm{ELBO}``, or ``\mathcal L(…)``, ``L``   ``E_q[\log p(x, z) - \log q(z | x)]``
                    when the paragraph says ELBO or evidence bound
mutual information  ``I(X; Y)``; ``I(X, Y)`` when the paragraph      ``KL(p(x, y) ‖ p(x) p(y))``
                    says mutual information (capital letters)
KL divergence       ``\mathrm{KL}(p \| q)``, ``D_{KL}(p \| q)``,     ``E_p[\log p - \log q]``
                    ``D(p \| q)`` when the paragraph says KL,
                    Kullback or relative entropy; of letters
                    or of densities (``KL(q(z | x) \| p(z))``)
score               ``s(x)``, ``s_\theta(x)`` when the paragraph     ``\nabla_x \log p(x)``
                    says score
DDPM forward        ``q(x_t | x_0)`` when the paragraph speaks of    ``N(\sqrt{\bar\alpha_t} x_0, (1-\bar\alpha_t) I)``
marginal            diffusion (the one-step kernel: ddpm_kernel.py)
==================  ===============================================  ==========================================

How they are compared: the information quantities (cross-entropy, JS, ELBO, mutual information, KL;
entropies ``H(X)``, ``H(X | Y)``, ``H(X, Y)`` of random variables written as expectations of
log-densities; sums and integrals over one or several variables, ``\sum_{x,y}``, ``\sum_x \sum_y``,
``\iint``) by :func:`derivspec.scan.probability.judge` on random finite distributions, for every joint
distribution (independence is not a reading that excuses a definition), in the unit of the lecture's
logs (``\log_2``: the standard definition divided by log 2, "in bits"; ``\lg`` read as base 2 and 10); the
score with concrete densities (a Gaussian, a Cauchy and a quartic exponential) put for ``p``; the
DDPM kernel by its mean and variance, in the lecture's own β_t, α_t (= 1 - β_t) or ᾱ_t.

* **proved** -- "agrees with the standard definition of X"; agreement on instances only is
  evidence (unchecked, "agrees on N instances").
* **disagrees** -- "defines X differently from the standard definition (the convention): standard
  form in the lecture's symbols …", with the counterexample.
* **unchecked** -- the paragraph around says it uses another convention ("convention", "some
  authors", "we use", "note that here", "by abuse", "unnormalised", "up to a constant", "without
  the 1/2" …), or the reading is uncertain (a Fisher score ∇_θ, a marginal written with α_t and no
  bar -- DDIM's α_t is the cumulative product --, a left side the table does not know).

Probability vectors (``H(p, q) := -\sum_i p_i \log q_i``, ``y_k \log \hat y_k``) are read as p(i), q(i)
(:func:`probability_vectors`) and a letter the document declares as entropy (``E(X)``) as H
(:func:`document_entropy_letters`); the reason says how.

A known result the catalogue recognises in such a definition (``divergence.f.js``, ``elbo.gap``)
keeps its verdict; its flag is worded as a departure from the standard definition.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass

import mpmath
import sympy
from sympy.core.function import AppliedUndef

from derivspec.scan import classify, probability, scope
from derivspec.scan.reader import read_document
from derivspec.scan.steps import Context, StepResult, _values, read_side

DEFINING = ("=", ":=", "≡", "=:")


@dataclass(frozen=True)
class Quantity:
    name: str  # "the cross-entropy"
    convention: str  # the standard definition, as the message names it
    standard: str  # the standard form in the lecture's symbols (LaTeX)


# --- the other convention, announced --------------------------------------------------------

OTHER_CONVENTION = re.compile(
    r"\bconvention|\bsome (?:authors|texts|references|books)|\bwe use\b|\bhere we\b|\bnote that here|\bby abuse|"
    r"\babuse of notation|\bun-?normali[sz]ed|\bup to (?:a |an )?(?:additive )?constant|\bwithout the\b|"
    r"\bnon-?standard|\bdiffers? from the (?:usual|standard)|\binstead of the (?:usual|standard)|\bvariant\b|"
    r"\bslightly different|\brescaled|\bdrop(?:ping)? the (?:factor|1/2|\\frac)", re.IGNORECASE)


_DEFINING_LEAD = re.compile(r"(?:\b(?:is|are|as|by|be|reads?|define[sd]?|denoted?|writes?|written|given|equals)|:)\W*$",
                            re.IGNORECASE)


def defining(relation: str, before: str) -> bool:
    """The statement is put as a definition: ``:=`` or ``≡``, or a sentence leading in with "is", "as", "by",
    "define", ":" … that speaks of no condition ("if X is a function of Y, then I(X, Y) = H(Y)" is not one)."""
    if relation in (":=", "≡", "=:"):
        return True
    return bool(_DEFINING_LEAD.search(classify.lead_in(before))) and not classify.condition_prose(before)


def _paragraph(before: str, after: str) -> str:
    """The paragraph the statement stands in: the prose before it since the last blank line, and after it up to
    the next one."""
    return re.split(r"\n\s*\n", before)[-1][-400:] + " " + re.split(r"\n\s*\n", after)[0][:300]


def announced_convention(before: str, after: str) -> str:
    """The words by which the paragraph says it uses another convention, or ""."""
    found = OTHER_CONVENTION.search(_paragraph(before, after))
    return found.group(0) if found else ""


# --- left sides ---------------------------------------------------------------------------------

_SPACES = re.compile(r"\s+|\\[,;:! ]|\\left|\\right|\\big+l?r?|\\Big+l?r?")
_LETTER = r"(?:p|q|P|Q|\\pi)(?:_\{[^{}]*\}|_\\?[A-Za-z0-9]+)?"
_FONT = r"(?:\\(?:mathrm|text|operatorname|mathbb|rm)\{?)?"
_ENTROPY_OF = re.compile(r"^(?:H|" + _FONT + r"H\}?|\\mathcal\{?H\}?)(?:\((" + _LETTER + r")\)|\[(" + _LETTER
                         + r")\])$")
_CROSS = re.compile(r"^(?:H|" + _FONT + r"(?:H|CE)\}?)\((" + _LETTER + r"),(" + _LETTER + r")\)$")
_JS = re.compile(r"^(?:D_\{?" + _FONT + r"JSD?\}?\}?|" + _FONT + r"JSD?\}?)\((" + _LETTER
                 + r")(?:\\\||\\parallel|\||,)("
                 + _LETTER + r")\)$")
_ELBO_NAME = re.compile(r"^" + _FONT + r"ELBO\}?(?:\(.*\))?$")
_LOSS_NAME = re.compile(r"^(?:\\mathcal\{?L\}?|L)(?:_\{[^{}]*\}|_\\?[A-Za-z0-9]+)?(?:\(.*\))?$")
_ELBO_PROSE = re.compile(r"\bELBO\b|evidence lower bound|\bevidence bound|variational (?:lower )?bound", re.IGNORECASE)
_RV = r"([A-Z](?:_\{?[A-Za-z0-9]+\}?)?)"
_MI = re.compile(r"^(?:I|" + _FONT + r"I\}?)\(" + _RV + r"(;|,)" + _RV + r"\)$")
_MI_PROSE = re.compile(r"mutual information", re.IGNORECASE)
_KL_ARGUMENT = r"((?:p|q|P|Q|r|\\pi)(?:_\{[^{}]*\}|_\\?[A-Za-z0-9]+)?(?:\([^()]*\))?)"
_KL_DEFINED = re.compile(r"^(?:(D)|D_\{?" + _FONT + r"KL\}?\}?|" + _FONT + r"KL\}?)\(" + _KL_ARGUMENT
                         + r"(?:\\\||\\parallel|\|\||\\Vert)" + _KL_ARGUMENT + r"\)$")
_KL_PROSE = re.compile(r"relative entropy|Kullback|\bKL\b", re.IGNORECASE)
_WRITTEN_OUT = re.compile(r"\\sum|\\i?int|\\mathbb\s*\{?\s*E|\\log|\\ln|\\lg")
# a KL written out as its definition: an expectation, an integral or a density applied (a sum weighted by p(x));
# a closed form in the parameters (\frac12\sum_j(\mu_j^2 + \sigma_j^2 - 1 - \log\sigma_j^2)) is a known result
_KL_WRITTEN_OUT = re.compile(r"\\i?int|\\mathbb\s*\{?\s*E|(?<![A-Za-z\\])[pqPQr](?:_\{[^{}]*\}|_\\?[A-Za-z0-9]+)?"
                             r"\s*(?:\\left\s*)?\(")
_SCORE = re.compile(r"^(?:\\mathbf\{?s\}?|\\boldsymbol\{?s\}?|s)(?:_\{?(?:\\[A-Za-z]+|[A-Za-z])\}?)?"  # s_θ, s_ψ: any parameter
                    r"\(((?:\\mathbf\{?|\\boldsymbol\{?)?"
                    r"[a-z]\}?)\)$")
_SCORE_PROSE = re.compile(r"\bscore", re.IGNORECASE)
_X = r"(?:\\mathbf\{?x\}?|\\boldsymbol\{?x\}?|\\bm\{?x\}?|x)"
# the marginal q(x_t | x_0); the one-step kernel q(x_t | x_{t-1}) is read by derivspec.scan.ddpm_kernel
_KERNEL = re.compile(r"^q\((" + _X + r"_\{?t\}?)\|(" + _X + r"_\{?0\}?)\)$")
_DIFFUSION_PROSE = re.compile(r"diffusion|DDPM|forward (?:process|kernel|noising)|noising|denoising", re.IGNORECASE)


def _compact(text: str) -> str:
    text = re.sub(r"\\(mathbf|boldsymbol|bm|mathrm|mathcal|mathbb|text|operatorname)\s+([A-Za-z])", r"\\\1{\2}", text)
    text = _SPACES.sub("", text).replace("\\mid", "|").replace("\\vert", "|")
    return text.replace("{(}", "(").replace("{)}", ")")


# --- comparisons ----------------------------------------------------------------------------------

@dataclass
class Compared:
    verdict: str  # proved | disagrees | unchecked
    reason: str = ""
    evidence: str = ""
    unit: int | None = None  # the base of the lecture's logs when not natural (2: bits)


def _read(text: str, context: Context, log_base=None):
    try:
        reading = read_document(text, context.names, context.bare, log_base=log_base)
    except Exception:
        return None
    return _values(reading, context)


def _by_instances(standard: str, right_expr, context: Context, base: int | None = None) -> Compared:
    """The standard form (natural logs; divided by log ``base`` when the lecture's logs have that base) against the
    lecture's right side, on random finite distributions (:func:`derivspec.scan.probability.judge`)."""
    # the standard forms are written in this module's own letters (p, q: _CANONICAL): densities beside the document's
    with scope.densities((scope.current() or frozenset()) | frozenset(_CANONICAL)):
        expr = _read(standard, context)
        if expr is None or right_expr is None:
            return Compared("unchecked", "the standard form is not read")
        if base is not None:
            expr = expr / sympy.log(base)
        judged = probability.judge(expr, right_expr, declared=context.families, general=True)
    if judged is None:
        return Compared("unchecked", "the right side is not read as expectations of log-densities")
    return Compared(judged.verdict, judged.reason, judged.evidence)


_ENTROPY = re.compile(r"(?<![A-Za-z\\])(?:H|\\mathrm\{H\}|\\mathbb\{H\})\s*(?:\\left)?\(\s*"
                      r"([A-Z])(?:_\{?([0-9a-z])\}?)?"
                      r"\s*(?:(\\mid|\||,)\s*([A-Z])(?:_\{?([0-9a-z])\}?)?)?\s*(?:\\right)?\)")
_KL_HEAD = (r"(?:\\mathrm\{KL\}|\\text\{KL\}|\\operatorname\{KL\}|KL|D_\{?\\?(?:mathrm\{|text\{)?KL\}?\}?)"
            r"\s*(?:\\left)?\(\s*")
_KL_BAR = r"\s*(?:\\\||\\parallel|\\right\s*\\\||\\middle\s*\\\|)\s*"
_KL_PRODUCT = re.compile(_KL_HEAD + r"p\s*\(\s*([a-z]),\s*([a-z])\s*\)" + _KL_BAR +
                         r"p\s*\(\s*\1\s*\)\s*p\s*\(\s*\2\s*\)\s*(?:\\right)?\)")
_APPLIED = r"((?:p|q|r)(?:_\{[^{}]*\}|_\\?[A-Za-z0-9]+)?\s*\([^()]*\))"
_KL_APPLIED = re.compile(_KL_HEAD + _APPLIED + _KL_BAR + _APPLIED + r"\s*(?:\\right)?\)")


def _variable(letter: str, index: str | None) -> str:
    return letter.lower() + (f"_{{{index}}}" if index else "")


def _entropies_written_out(text: str) -> str:
    r"""``H(X)``, ``H(X | Y)``, ``H(X, Y)`` and ``KL(p(x, y) ‖ p(x) p(y))`` as expectations of
    log-densities of one joint ``p``."""
    def entropy(m) -> str:
        a = _variable(m.group(1), m.group(2))
        if not m.group(3):
            return rf"(-\mathbb E_{{p({a})}}[\log p({a})])"
        b = _variable(m.group(4), m.group(5))
        inner = f"{a}|{b}" if m.group(3) != "," else f"{a},{b}"
        return rf"(-\mathbb E_{{p({a},{b})}}[\log p({inner})])"

    def kl(m) -> str:
        a, b = m.group(1), m.group(2)
        return rf"(\mathbb E_{{p({a},{b})}}[\log p({a},{b}) - \log p({a}) - \log p({b})])"

    return written_out(_KL_PRODUCT.sub(kl, _ENTROPY.sub(entropy, text)))


def written_out(text: str) -> str:
    r"""``KL(q(z | x) ‖ p(z))`` between densities as ``E_{q(z | x)}[\log q(z | x) - \log p(z)]``."""
    return _KL_APPLIED.sub(lambda m: rf"(\mathbb E_{{{m.group(1)}}}[\log {m.group(1)} - \log {m.group(2)}])", text)


# --- the unit of the lecture's logs ---------------------------------------------------------------

_LOGS = re.compile(r"\\(ln|lg|log)(?![A-Za-z])(?:\s*_\s*(\{[^{}]*\}|[0-9a-z]))?")
_UNITS = {2: "in bits (logs to base 2)", 10: "in base-10 units (logs to base 10)"}


def _unit(base) -> str:
    return _UNITS.get(base, f"in logs to base {base}")


def log_bases(text: str, declared: int | None = None) -> set:
    r"""The bases of the logs ``text`` writes: ``\log_2`` 2, ``\log_{10}`` 10, ``\ln`` and ``\log`` "e" (``\log``
    the document's declared base when it declares one), ``\lg`` "lg" (base 2 or 10, by author)."""
    bases = set()
    for m in _LOGS.finditer(text):
        base = (m.group(2) or "").strip("{} ")
        if m.group(1) == "lg":
            bases.add("lg")
        elif m.group(1) == "ln" or base == "e" or (not base and declared is None):
            bases.add("e")
        else:
            bases.add(int(base) if base.isdigit() else base or declared)
    return bases


def _information(standard: str, right_text: str, context: Context, rewrite=lambda text: text) -> tuple:
    r"""(Compared, base) of an information quantity's right side against its standard form, in the unit of the
    lecture's logs: the standard form divided by log 2 for logs to base 2 ("in bits"); ``\lg`` read as log to base
    2 and to base 10 (a flag needs both to differ). ``rewrite`` writes the lecture's entropies and divergences out."""
    bases = log_bases(right_text, context.log_base)
    if len(bases) > 1:
        return Compared("unchecked", "its logs have several bases (" + ", ".join(sorted(map(str, bases))) + ")"), None
    # no log written (I = H(X) - H(X | Y)): the entropies written out are read in the document's declared unit
    base = bases.pop() if bases else (context.log_base or "e")
    if base not in ("e", "lg") and not isinstance(base, int):
        return Compared("unchecked", f"its logs have the base {base}, not a number"), None
    readings = [(2, right_text.replace(r"\lg", r"\log_2")), (10, right_text.replace(r"\lg", r"\log_{10}"))] \
        if base == "lg" else [(None if base == "e" else base, right_text)]
    results = []
    for unit, text in readings:
        compared = _by_instances(standard, _read(rewrite(text), context, context.log_base), context, unit)
        if unit is not None:
            compared = dataclasses.replace(compared, reason=f"{_unit(unit)}: {compared.reason}", unit=unit)
        if base == "lg" and compared.verdict != "disagrees":
            return dataclasses.replace(compared, reason=rf"reading \lg as log to base {unit}: " + compared.reason), unit
        results.append((compared, unit))
    if base == "lg":
        compared, unit = results[0]
        return dataclasses.replace(compared, reason=r"with \lg read as log to base 2 and to base 10 alike: "
                                   + compared.reason), unit
    return results[0]


_SCORE_DENSITIES = (("a Gaussian", lambda x: sympy.exp(-(x - 1) ** 2 / 2)),
                    ("a Cauchy density", lambda x: 1 / (1 + x ** 2)),
                    ("exp(-x^4)", lambda x: sympy.exp(-x ** 4)))
_POINTS = (sympy.Rational(-3, 2), sympy.Rational(1, 3), sympy.Rational(5, 2))


def _with_density(expr, head: str, family):
    def concrete(node):
        return family(node.args[0])
    expr = expr.replace(lambda n: isinstance(n, AppliedUndef) and n.func.__name__ == head and len(n.args) == 1,
                        concrete)
    return expr.doit()


def _by_concrete_densities(standard, right, head: str, variable) -> Compared:
    """The score: the sides equal as written (proved), or different for every concrete density."""
    if sympy.simplify(standard - right) == 0:
        return Compared("proved", "proved (the sides are the same expression)")
    failures = []
    for name, family in _SCORE_DENSITIES:
        a, b = _with_density(standard, head, family), _with_density(right, head, family)
        if (a.free_symbols | b.free_symbols) - {variable} or a.has(AppliedUndef) or b.has(AppliedUndef):
            return Compared("unchecked", "the right side uses names other than the density and its variable")
        point = next((pt for pt in _POINTS if _differs(a.subs(variable, pt), b.subs(variable, pt))), None)
        if point is None:
            return Compared("unchecked", f"agrees with {name} put for the density: not decided")
        failures.append((name, point, a.subs(variable, point), b.subs(variable, point)))
    name, point, a, b = failures[0]
    return Compared("disagrees", "differs for every concrete density tried (" + ", ".join(f[0] for f in failures) + ")",
                    f"with p {name}, at {variable} = {point}: standard = {sympy.N(a, 8)}, lecture = {sympy.N(b, 8)}")


def _differs(a, b) -> bool:
    with mpmath.workdps(50):
        try:
            d = abs(complex(sympy.N(a - b, 50)))
        except TypeError:
            return False
        return d > 1e-30 and abs(complex(sympy.N(a - b, 30))) > 1e-20


# --- the quantities ----------------------------------------------------------------------------------

def _cross_entropy(m, right: str, base=None):
    a, b = m.group(1), m.group(2)
    applied = re.search(r"(?<![A-Za-z\\])(?:p|q|P|Q|\\pi)(?:_\{[^{}]*\}|_\\?[A-Za-z0-9]+)?\s*"
                        r"\(\s*((?:\\mathbf\{)?[a-z]\}?)\s*\)",
                        right)
    x = applied.group(1) if applied else "x"
    standard = rf"-\mathbb E_{{{x} \sim {a}}}[\log {b}({x})]"
    shown = rf"-\mathbb E_{{{x} \sim {a}}}[{_log_written(right, base)} {b}({x})]"
    return Quantity("the cross-entropy", f"H({a}, {b}) = −E_{a}[log {b}], the expectation under the first argument",
                    shown), standard


_ENTROPY_WORD = re.compile(r"(?<![-\w])entropy", re.IGNORECASE)  # not cross-entropy
_RANDOM_VARIABLE_ENTROPY = re.compile(r"^(?:H|" + _FONT + r"H\}?|\\mathcal\{?H\}?)\(([A-Z])\)$")
_TWO_VARIABLE_ENTROPY = re.compile(r"^(?:H|" + _FONT + r"H\}?|\\mathcal\{?H\}?)\(([A-Z])(,|\|)([A-Z])\)$")  # H(X,Y), H(X|Y)


def _law(variable: str, right: str) -> str | None:
    """The letter of the one density the right side applies to the variable's value (``p`` in ``p(x)``, ``p_X`` in
    ``p_X(x)``): the law of ``variable``; None when it applies none or several (the role is not fixed)."""
    x = variable.lower()
    letters = {m.group(1) for m in re.finditer(r"(?<![A-Za-z\\])((?:p|q|P|Q|f|r)(?:_\{[^{}]*\}|_\\?[A-Za-z0-9]+)?)"
                                               r"\s*(?:\\left)?\(\s*" + x + r"\s*(?:\\right)?\)", right)}
    return letters.pop() if len(letters) == 1 else None


def _joint_law(x: str, y: str, right: str) -> str | None:
    """The letter of the one density the right side applies to the pair's values (``p`` in ``p(x, y)``, ``p(x | y)``,
    ``p(y)``): the joint law of the pair; None when the right side applies several letters to them."""
    pair = rf"\s*(?:\\left)?\(\s*(?:{x}\s*(?:,|\||\\mid)\s*{y}|{y}\s*(?:,|\||\\mid)\s*{x}|{x}|{y})\s*(?:\\right)?\)"
    letters = {m.group(1) for m in re.finditer(r"(?<![A-Za-z\\])((?:p|q|P|Q|f|r)(?:_\{[^{}]*\}|_\\?[A-Za-z0-9]+)?)" + pair,
                                               right)}
    return letters.pop() if len(letters) == 1 else None


def _two_variable_entropy(m, law: str, right: str, base=None):
    r"""The joint entropy ``H(X, Y) = −E[log p(X, Y)]`` or the conditional entropy ``H(X | Y) = −E[log p(X | Y)]``
    (Cover & Thomas, eqs. 2.8 and 2.10), ``law`` the letter of the pair's joint law."""
    a, joint, b = m.group(1), m.group(2) == ",", m.group(3)
    x, y = a.lower(), b.lower()
    inner = f"{law}({x}, {y})" if joint else f"{law}({x} | {y})"
    standard = rf"-\sum_{{{x}}} \sum_{{{y}}} {law}({x}, {y}) \log {inner}"
    shown = rf"-\sum_{{{x}}} \sum_{{{y}}} {law}({x}, {y}) {_log_written(right, base)} {inner}"
    name = "the joint entropy" if joint else "the conditional entropy"
    return Quantity(name, f"H({a}{', ' if joint else ' | '}{b}) = −E[log {inner}], reading {law} as the joint law of "
                          f"{a} and {b}", shown), standard


def _entropy_rewrite(m, standard: str):
    r"""The lecture's entropies written out, and an expectation under the bare letter (``\mathbb E_q[\log q(z)]``)
    under the standard form's ``z \sim q``."""
    a = next(g for g in m.groups() if g)
    weight = re.search(r"E_\{(.*?)\}", standard).group(1)
    return lambda text: bare_expectations(_entropies_written_out(text), a, weight)


def _entropy(m, right: str, base=None):
    a = next(g for g in m.groups() if g)
    applied = re.search(r"(?<![A-Za-z\\])" + re.escape(a) + r"\s*\(\s*((?:\\mathbf\{)?[a-z]\}?)\s*\)", right)
    x = applied.group(1) if applied else "x"
    standard = rf"-\mathbb E_{{{x} \sim {a}}}[\log {a}({x})]"
    shown = rf"-\mathbb E_{{{x} \sim {a}}}[{_log_written(right, base)} {a}({x})]"
    return Quantity("the entropy", f"H({a}) = −E_{a}[log {a}]", shown), standard


def _js(m, right: str, around: str):
    """(Quantity, standard, the right side with the lecture's mixture letter written out)."""
    a, b = m.group(1), m.group(2)
    mix = rf"\frac{{{a} + {b}}}{{2}}"
    standard = rf"\frac12 \mathrm{{KL}}({a} \| {mix}) + \frac12 \mathrm{{KL}}({b} \| {mix})"
    quantity = Quantity("the Jensen-Shannon divergence",
                        "JS(P ‖ Q) = ½ KL(P ‖ M) + ½ KL(Q ‖ M) with M = (P + Q)/2",
                        standard)
    letters = {x for x in re.findall(r"(?:\\\||\\parallel|\|)\s*([A-Z]|[a-z])\s*\)", right)} - {a, b}
    if len(letters) == 1:  # KL(P ‖ M): M must be the mixture the paragraph defines
        letter = letters.pop()
        defined = re.search(re.escape(letter) + r"\s*(?:=|:=)\s*[^$.]{0,40}?" + re.escape(a) + r"\s*\+\s*"
                            + re.escape(b),
                            around) or re.search(r"\b(?:mixture|average|midpoint)\b", around, re.IGNORECASE)
        if not defined:
            return quantity, standard, None
        right = re.sub(r"(?<![A-Za-z\\])" + letter + r"(?![A-Za-z_])", lambda _: "{(" + mix + ")}", right)
    return quantity, standard, right


_VAR = r"((?:\\(?:mathbf|boldsymbol|bm)\s*\{\s*[a-z]\s*\}|\\(?:mathbf|boldsymbol|bm)\s+[a-z]|[a-z]))"
_SUBSCRIPT = r"(?:_\{[^{}]*\}|_\\?[A-Za-z]+)?"
_Q_DENSITY = re.compile(r"(?<![A-Za-z\\])(q" + _SUBSCRIPT + r")\s*\(\s*" + _VAR + r"\s*(?:\|\s*" + _VAR + r"\s*)?\)")
_P_DENSITY = re.compile(r"(?<![A-Za-z\\])(p" + _SUBSCRIPT + r")\s*\(\s*" + _VAR + r"\s*(?:([|,])\s*" + _VAR
                        + r"\s*)?\)")
_BOLD = re.compile(r"\\(?:mathbf|boldsymbol|bm)\s*(?:\{\s*([A-Za-z])\s*\}|\s([A-Za-z])(?![A-Za-z]))")


def _base(variable: str) -> str:
    """The letter of a variable as the lecture writes it: ``\\mathbf{z}``, ``\\mathbf z`` and ``z`` are z."""
    return variable[-1] if variable[-1] != "}" else variable.rstrip("} ")[-1]


def unbold(text: str) -> str | None:
    r"""``text`` with its bold letters (``\mathbf{z}``, ``\boldsymbol z``, ``\bm{x}``) written plain, as one
    variable each (the lecture's vector z read as the variable z of the densities); None where a letter stands both
    bold and plain (``\mathbf{x}`` and ``x``: two names)."""
    bold = {m.group(1) or m.group(2) for m in _BOLD.finditer(text)}
    rest = _BOLD.sub(" ", text)
    if any(re.search(r"(?<![A-Za-z\\])" + b + r"(?![A-Za-z])", rest) for b in bold):
        return None
    return _BOLD.sub(lambda m: m.group(1) or m.group(2), text)


def bare_expectations(text: str, letter: str, weight: str) -> str:
    r"""An expectation under the bare letter (``\mathbb E_q[…]``, ``\mathbb E_{q_\phi}\left[…``) written under the
    lecture's density of it (``weight``: ``q_\phi(z | x)``, ``z \sim q``)."""
    return re.sub(r"(?:_\s*\{\s*" + re.escape(letter) + r"\s*\}|_\s*" + re.escape(letter) + r"(?![A-Za-z]))"
                  r"(?=\s*(?:\\left|\\[bB]ig+l?)?\s*\[)", lambda _: "_{" + weight + "}", text)


def _elbo(right: str):
    r"""(Quantity, standard, the right side written out) of an ELBO in the lecture's letters, bold or plain: ``q`` (its
    first density) of the latent z given x, and the model p(x, z) as the lecture writes it: a joint ``p(x, z)``, or
    the likelihood and the prior it writes (``p_\theta(x | z) p(z)``: a VAE's prior has no parameter), or the
    evidence and the posterior (``p(x) p(z | x)``)."""
    text = right.replace("\\mid", "|")
    q = _Q_DENSITY.search(text)
    ps = list(_P_DENSITY.finditer(text))
    if not q or not ps:
        return None
    z = _base(q.group(2))
    given = _base(q.group(3)) if q.group(3) else None
    x = given or next((_base(v) for m in ps for v in (m.group(2), m.group(4)) if v and _base(v) != z), None)
    if x is None or x == z:
        return None
    spelled = [v.strip() for v in (q.group(2), q.group(3), *(w for m in ps for w in (m.group(2), m.group(4)))) if v]
    zs, xs = q.group(2).strip(), next(v for v in spelled if _base(v) == x)
    qz = f"{q.group(1)}({zs}|{xs})" if q.group(3) else f"{q.group(1)}({zs})"

    def role(before: str, sep: str | None, after: str | None) -> str:
        names = (_base(before), sep, _base(after) if after else None)
        return {(x, ",", z): "joint", (z, ",", x): "joint", (x, "|", z): "likelihood", (z, None, None): "prior",
                (x, None, None): "evidence", (z, "|", x): "posterior"}.get(names, "")

    found: dict = {}
    for m in ps:
        found.setdefault(role(m.group(2), m.group(3), m.group(4)), m.group(1))
    lik, prior, evidence, posterior = (found.get(k) for k in ("likelihood", "prior", "evidence", "posterior"))
    if "joint" in found or (lik and lik == prior):
        model = rf"\log {found.get('joint', lik)}({xs}, {zs})"
    elif lik and prior:
        model = rf"\log {lik}({xs}|{zs}) + \log {prior}({zs})"
    elif evidence and posterior:
        model = rf"\log {evidence}({xs}) + \log {posterior}({zs}|{xs})"
    else:
        model = rf"\log {ps[0].group(1)}({xs}, {zs})"
    shown = rf"\mathbb E_{{{qz}}}[{model} - \log {qz}]"
    if evidence and evidence == posterior and "joint" not in found:  # p(x) p(z | x) of one p: its joint p(x, z)
        shown = rf"\mathbb E_{{{qz}}}[\log {evidence}({xs}, {zs}) - \log {qz}]"
    if lik and prior and lik != prior and "joint" not in found and re.search(r"KL", right):  # the lecture's shape
        shown = rf"\mathbb E_{{{qz}}}[\log {lik}({xs}|{zs})] - \mathrm{{KL}}({qz} \| {prior}({zs}))"
    standard, written = unbold(rf"\mathbb E_{{{qz}}}[{model} - \log {qz}]"), unbold(text)
    if standard is None or written is None:
        return None
    # an expectation under the bare letter (E_q, E_{q_\phi}) is under the lecture's q(z | x)
    written = bare_expectations(written_out(written), q.group(1), unbold(qz))
    model_read = model.replace("\\log ", "").replace(" + ", " ")
    note = f"reading {qz} as q(z | x) and {model_read} as the model p(x, z)"
    return Quantity("the ELBO", "ELBO = E_q[log p(x, z) − log q(z | x)] = E_q[log p(x | z)] − KL(q ‖ p(z)) "
                                "= log p(x) − KL(q ‖ p(z | x))", shown), standard, written, note


def _log_written(right: str, base) -> str:
    r"""The log as the lecture writes it: ``\log_2`` for base 2, ``\ln`` where it writes ``\ln``."""
    if base is not None:
        return rf"\log_{{{base}}}" if base >= 10 else rf"\log_{base}"
    return r"\ln" if re.search(r"\\ln(?![A-Za-z])", right) else r"\log"


def _style(right: str) -> str:
    """How the lecture writes the expectation: "sum", "sums" (one per variable), "integral" or "" (an E)."""
    if re.search(r"\\mathbb\s*\{?\s*E|\\operatorname\{E\}|\\mathrm\{E\}|(?<![A-Za-z\\])E_", right):
        return ""
    if re.search(r"\\sum\s*_\s*\{?\s*[A-Za-z]\s*\}?\s*\\sum", right):
        return "sums"
    if re.search(r"\\sum", right):
        return "sum"
    return "integral" if re.search(r"\\i?int", right) else ""


def _joint_name(right: str, a: str, b: str) -> str:
    """The name the lecture's right side gives the joint density of ``a`` and ``b`` (``\rho`` in
    ``\rho(u, y)``), ``p`` when it applies none: the standard form is written in the lecture's density."""
    found = re.search(r"((?:\\[A-Za-z]+|[A-Za-z])(?:_\{[^{}]*\}|_\\?[A-Za-z0-9]+)?)\s*\(\s*" + re.escape(a) +
                      r"\s*,\s*" + re.escape(b) + r"\s*\)", right)
    return found.group(1) if found and scope.is_density(found.group(1)) else "p"


def _mutual_information(m, right: str, base):
    a, b = m.group(1).lower(), m.group(3).lower()
    p = _joint_name(right, a, b)
    standard = rf"\mathbb E_{{{p}({a},{b})}}[\log {p}({a},{b}) - \log {p}({a}) - \log {p}({b})]"
    log, ratio = _log_written(right, base), rf"\frac{{{p}({a},{b})}}{{{p}({a}){p}({b})}}"
    shown = {"sum": rf"\sum_{{{a},{b}}} {p}({a},{b}) {log} {ratio}",
             "sums": rf"\sum_{{{a}}} \sum_{{{b}}} {p}({a},{b}) {log} {ratio}",
             "integral": rf"\iint {p}({a},{b}) {log} {ratio} \, d{a} \, d{b}"}.get(
        _style(right), rf"\mathrm{{KL}}({p}({a},{b}) \| {p}({a}){p}({b}))" + (f" ({_unit(base)})" if base else ""))
    return Quantity("the mutual information", "I(X; Y) = KL(p(x, y) ‖ p(x) p(y)) = H(X) − H(X | Y) "
                                              "= H(X) + H(Y) − H(X, Y)", shown), standard


def _kl(m, right: str, base):
    """(Quantity, standard) of a KL definition between two letters (``KL(p ‖ q)``: at the variable the right side
    applies them to) or two densities (``KL(q(z | x) ‖ p(z))``); None for a letter against a density."""
    a, b = m.group(2), m.group(3)
    log = _log_written(right, base)
    convention = "KL(p ‖ q) = E_p[log p − log q] = E_p[log(p/q)], the expectation under the first argument"
    if ("(" in a) != ("(" in b):
        return None
    if "(" in a:
        standard = rf"\mathbb E_{{{a}}}[\log {a} - \log {b}]"
        shown = rf"\mathbb E_{{{a}}}[{log} {a} - {log} {b}]"
        return Quantity("the KL divergence", convention, shown), standard
    letters = "(?:" + re.escape(a) + "|" + re.escape(b) + ")"
    applied = re.search(r"(?<![A-Za-z\\])" + letters + r"\s*\(\s*((?:\\mathbf\{)?[a-z]\}?)\s*\)", right)
    x = applied.group(1) if applied else "x"
    standard = rf"\mathbb E_{{{x} \sim {a}}}[\log {a}({x}) - \log {b}({x})]"
    ratio = rf"\frac{{{a}({x})}}{{{b}({x})}}"
    shown = {"sum": rf"\sum_{{{x}}} {a}({x}) {log} {ratio}", "sums": rf"\sum_{{{x}}} {a}({x}) {log} {ratio}",
             "integral": rf"\int {a}({x}) {log} {ratio} \, d{x}"}.get(
        _style(right), rf"\mathbb E_{{{x} \sim {a}}}[{log} {a}({x}) - {log} {b}({x})]")
    return Quantity("the KL divergence", convention, shown), standard


def _kl_compared(m, standard: str, right: str, context: Context) -> tuple:
    r"""(Compared, base) of a KL definition: bold letters read plain (:func:`unbold`) and an expectation under the
    bare first letter (``\mathbb E_q[\log \frac{p(z)}{q(z)}]``) read under its density (``z \sim q``, ``q(z | x)``)."""
    text, standard = unbold(right), unbold(standard)
    if text is None or standard is None:
        return Compared("unchecked", "a letter stands both bold and plain (two names)"), None
    a = m.group(2)
    if "(" in a:
        letter, weight = a.split("(")[0], a
    else:
        applied = re.search(r"(?<![A-Za-z\\])" + re.escape(a) + r"\s*\(\s*([a-z])\s*\)", text)
        letter, weight = a, (rf"{applied.group(1)} \sim {a}" if applied else "")
    rewrite = (lambda t: bare_expectations(_entropies_written_out(t), letter, weight)) if weight \
        else _entropies_written_out
    return _information(standard, text, context, rewrite)


def _ddpm_kernel(m, right: str, context: Context):
    """(Quantity, mean, variance) of the standard kernel in the lecture's symbols, or a reason it is not compared."""
    previous = m.group(2)  # as the lecture spells it
    bar = re.search(r"\\(?:bar|overline)\s*\{?\s*\\alpha\s*\}?\s*_\s*\{?\s*t\s*\}?", right)
    if not bar:
        return "the marginal is written without ᾱ_t (DDIM writes α_t for the cumulative product)"
    mean, variance = rf"\sqrt{{\bar\alpha_t}} {previous}", r"1 - \bar\alpha_t"
    name, convention = "the DDPM forward marginal", "DDPM: q(x_t | x_0) = N(√ᾱ_t x_0, (1 − ᾱ_t) I)"
    shown = rf"\mathcal N(x_t; {mean}, ({variance}) \mathbf I)"
    return Quantity(name, convention, shown), mean, variance


def _normal_arguments(expr):
    """(mean, variance) of a lecture's ``\\mathcal N(x_t; m, v)`` or ``\\mathcal N(m, v)``; identity factors dropped."""
    if not isinstance(expr, AppliedUndef) or not re.match(r"^(?:\\mathcal\{N\}|N|\\mathcal N)\[", expr.func.__name__):
        return None
    args = expr.args[1:] if len(expr.args) == 3 else expr.args
    if len(args) != 2:
        return None
    ones = {s: 1 for s in args[1].free_symbols if s.name in ("I", r"\mathbf{I}", r"\mathbb{I}", r"\boldsymbol{I}")}
    return args[0], args[1].subs(ones)


def _compare_kernel(found, right_expr, context: Context) -> Compared:
    quantity, mean, variance = found
    parsed = _normal_arguments(right_expr)
    if parsed is None:
        return Compared("unchecked", "the right side is not read as a normal density N(x_t; mean, variance)")
    standard = _read(mean, context), _read(variance, context)
    if None in standard:
        return Compared("unchecked", "the standard form is not read")
    names = set().union(*(e.free_symbols for e in standard))
    if set().union(*(e.free_symbols for e in parsed)) - names:
        return Compared("unchecked", "the kernel uses names the standard form does not have")
    differences = [sympy.simplify(a - b) for a, b in zip(standard, parsed)]
    if all(d == 0 for d in differences):
        return Compared("proved", "mean and variance are the standard ones")
    coefficient = sympy.Poly(parsed[0], *[s for s in parsed[0].free_symbols if "x" in s.name]).coeffs() \
        if parsed[0].free_symbols else []
    if len(coefficient) == 1 and sympy.simplify(coefficient[0] ** 2 + parsed[1] - 1) == 0:
        return Compared("unchecked", "variance-preserving with its rate read otherwise (β_t a standard deviation, "
                                     "α_t a noise level): another parameterisation, not flagged")
    rates = sorted((s for s in names if "x" not in s.name), key=lambda s: s.name)
    for value in (sympy.Rational(1, 5), sympy.Rational(2, 3)):
        point = {s: value for s in rates} | {s: 3 for s in names if "x" in s.name}
        wrong = [k for k, (a, b) in enumerate(zip(standard, parsed)) if _differs(a.subs(point), b.subs(point))]
        if wrong:
            k = wrong[0]
            what = ("mean", "variance")[k]
            shown = ", ".join(f"{context.names.latex.get(s, s.name)} = {v}" for s, v in point.items())
            return Compared("disagrees", f"its {what} differs", f"at {shown}: standard {what} = "
                            f"{sympy.N(standard[k].subs(point), 8)}, lecture = {sympy.N(parsed[k].subs(point), 8)}")
    return Compared("unchecked", "mean and variance not decided")


# --- probability vectors and the document's own letter for entropy ------------------------------------

_VECTOR_LETTER = r"(?:\\(?:hat|tilde|bar)\s*\{\s*[a-zA-Z]\s*\}|\\(?:hat|tilde|bar)\s+[a-zA-Z]|\\pi|[pqyPQ])"
_VECTOR_HEAD = re.compile(r"^\s*((?:H|CE|JSD?|KL|D_\{?KL\}?|D_\{?JSD?\}?|D)"
                          r"|\\(?:mathrm|text|operatorname)\{(?:H|CE|JSD?|KL)\}"
                          r"|D_\{\\(?:mathrm|text)\{(?:KL|JSD?)\}\})\s*(?:\\left)?\(\s*(" + _VECTOR_LETTER
                          + r")\s*(?:(,|\\\||\\parallel|\|\||\\Vert)\s*(" + _VECTOR_LETTER
                          + r"))?\s*(?:\\right)?\)\s*$")
_SUM = re.compile(r"\\sum\s*(?:_\s*(\{[^{}]*\}|[A-Za-z]))?(?:\s*\^\s*(\{[^{}]*\}|[A-Za-z0-9]))?")
_SUM_INDEX = re.compile(r"^\{?\s*([a-z])\s*(?:=\s*([01])\s*)?\}?$")
_SUM_TOP = re.compile(r"^\{?\s*(?:[A-Za-z]|\|\s*\\mathcal\s*\{?[A-Z]\}?\s*\||[0-9]+)\s*\}?$")
_VECTOR_PROSE = re.compile(r"distribution|probabilit|entrop|divergence|Kullback|\bKL\b|one-hot|softmax|\blabels?\b",
                           re.IGNORECASE)
_CANONICAL = ("p", "q")


@dataclass(frozen=True)
class Reading:
    """A statement read in the standard letters: ``p_i`` as ``p(i)``, ``\\hat y_k`` as ``q(k)`` (probability
    vectors indexed by the outcome), or a document's entropy letter ``E(X)`` as ``H(X)``."""

    left: str  # the left side as the standard quantity's (canonical letters)
    right: str
    note: str  # how it was read, for the reason ("reading p_i as p(i), …")
    letters: tuple = ()  # the lecture's vector letters, in the order of the canonical ones
    index: str = ""
    first: int = 1  # the first outcome's number in the lecture's sums (0 or 1)
    sum_text: str = ""  # the lecture's sum, as written (\sum_{i=1}^{n})
    mixture: str = ""  # JS: the lecture's mixture letter and its definition
    entropy: str = ""  # the document's letter for entropy (E), read as H


def _letter_pattern(letter: str) -> str:
    m = re.match(r"^\\(hat|tilde|bar)\s*\{?\s*([a-zA-Z])\s*\}?$", letter)
    if m:
        return r"\\" + m.group(1) + r"\s*(?:\{\s*" + m.group(2) + r"\s*\}|\s" + m.group(2) + r"(?![A-Za-z]))"
    return r"(?<![A-Za-z\\])(?<!\\hat )(?<!\\hat\{)(?<!\\tilde )(?<!\\tilde\{)(?<!\\bar )(?<!\\bar\{)" \
        + re.escape(letter) + r"(?![A-Za-z])"


def _indexed(letter: str, index: str) -> re.Pattern:
    return re.compile(_letter_pattern(letter) + r"\s*_\s*(?:\{\s*" + index + r"\s*\}|" + index + r"(?![A-Za-z]))")


def probability_vectors(left: str, right: str, paragraph: str, around: str = "") -> Reading | None:
    r"""``H(p, q) = -\sum_i p_i \log q_i`` read as ``H(p, q) = -\sum_i p(i) \log q(i)``: the left side names an
    information quantity of the letters (``H(p, q)``, ``H(p)``, ``KL(p \| q)``, ``JS(p \| q)``, ``H(y, \hat y)``),
    the paragraph speaks of distributions (probabilities, entropy, a divergence, labels), every sum of the right
    side runs over one index from 0 or 1 to a bound (every outcome), and the letters appear on the right only
    indexed by it -- the index is the outcome. A JS's mixture ``m_i`` is written out from its definition in the
    text ``around`` the statement. None for anything else (``\sum_i p_i x_i``: the index also counts something else)."""
    head = _VECTOR_HEAD.match(left)
    if not head or not _VECTOR_PROSE.search(paragraph):
        return None
    letters = tuple(x for x in (head.group(2), head.group(4)) if x)
    if len({re.sub(r"\s|[{}]", "", x) for x in letters}) != len(letters):
        return None
    sums = list(_SUM.finditer(right))
    if not sums:
        return None
    indices = set()
    firsts = set()
    for s in sums:
        if s.group(1) is None:
            return None
        m = _SUM_INDEX.match(s.group(1))
        if not m or (m.group(2) is None) != (s.group(2) is None) or (s.group(2) and not _SUM_TOP.match(s.group(2))):
            return None
        indices.add(m.group(1))
        firsts.add(int(m.group(2) or 1))
    if len(indices) != 1 or len(firsts) != 1:
        return None
    bounds = {b for s in sums if s.group(2) for b in re.findall(r"[A-Za-z]", s.group(2).replace(r"\mathcal", ""))}
    if any(re.search(r"(?<![A-Za-z\\])" + b + r"(?![A-Za-z])", _SUM.sub(" ", right)) for b in bounds):
        return None  # the count of outcomes also stands outside the sums (an average over N samples)
    index = indices.pop()
    if index in {re.sub(r"[^a-zA-Z]", "", x)[-1:] for x in letters}:
        return None
    text = _SUM.sub(lambda _: r"\sum_{" + index + "}", right)
    for k, letter in enumerate(letters):
        text = _indexed(letter, index).sub(lambda _, k=k: f"⟨{k}⟩", text)
        if re.search(_letter_pattern(letter), text):
            return None  # the letter also stands unindexed, or with another index
    mixture = ""
    others = set(re.findall(r"(?<![A-Za-z\\])([A-Za-z])\s*_\s*(?:\{\s*" + index + r"\s*\}|" + index + r"(?![A-Za-z]))",
                            text))
    if others:
        if len(others) != 1 or len(letters) != 2 or "JS" not in head.group(1):
            return None
        other = others.pop()
        defined = re.search(r"(?<![A-Za-z\\])" + other + r"\s*_\s*(?:\{\s*" + index + r"\s*\}|" + index
                            + r")\s*(?::=|=)\s*([^$,;]{1,60}?)\s*(?:\$|,|;|\.\s|\.?$)", around or paragraph)
        if not defined:
            return None
        body = defined.group(1)
        for k, letter in enumerate(letters):
            body = _indexed(letter, index).sub(lambda _, k=k: f"⟨{k}⟩", body)
        if not re.fullmatch(r"(?:⟨[01]⟩|\\frac|\\tfrac|\\dfrac|[0-9{}()+\-/.\s])+", body) or "⟨0⟩" not in body \
                or "⟨1⟩" not in body:
            return None
        mixture = f"{other}_{index} = {defined.group(1).strip()}"
        text = re.sub(r"(?<![A-Za-z\\])" + other + r"\s*_\s*(?:\{\s*" + index + r"\s*\}|" + index + r"(?![A-Za-z]))",
                      lambda _: "{(" + body + ")}", text)
    if re.search(r"(?<![A-Za-z\\])" + index + r"(?![A-Za-z])", text.replace(r"\sum_{" + index + "}", "")):
        return None  # the index stands for something else too
    if re.search(r"(?<![0-9.])1\s*-\s*⟨", text):
        return None  # 1 - p_i: the probability of the other outcome (a binary loss), not a distribution's vector
    for k in range(len(letters)):
        text = text.replace(f"⟨{k}⟩", f"{_CANONICAL[k]}({index})")
    canonical = left[:head.start(2)] + _CANONICAL[0] + left[head.end(2):head.start(4)] + _CANONICAL[1] \
        + left[head.end(4):] if len(letters) == 2 else left[:head.start(2)] + _CANONICAL[0] + left[head.end(2):]
    shown = ", ".join(f"{x}_{index} as {_CANONICAL[k]}({index})" for k, x in enumerate(letters))
    note = (f"reading {shown} (probability vectors indexed by the outcome {index})"
            + (f", with {mixture}" if mixture else ""))
    return Reading(canonical, text, note, letters, index, firsts.pop(), sums[0].group(0), mixture)


def _vector_standard(quantity: Quantity, reading: Reading, right: str, base) -> Quantity:
    """The standard form in the lecture's vector letters and sum."""
    log, s, i = _log_written(right, base), reading.sum_text, reading.index
    a = reading.letters[0] + "_" + i
    b = reading.letters[1] + "_" + i if len(reading.letters) > 1 else a
    m = reading.mixture.split(" = ")[0] if reading.mixture else rf"\frac{{{a} + {b}}}{{2}}"
    shown = {"the cross-entropy": f"-{s} {a} {log} {b}", "the entropy": f"-{s} {a} {log} {a}",
             "the KL divergence": rf"{s} {a} {log} \frac{{{a}}}{{{b}}}"}.get(
        quantity.name, rf"\frac12 {s} {a} {log} \frac{{{a}}}{{{m}}} + \frac12 {s} {b} {log} \frac{{{b}}}{{{m}}}"
        + (rf", {m} = \frac{{{a} + {b}}}{{2}}" if reading.mixture else ""))
    return dataclasses.replace(quantity, standard=shown)


_CELL = re.compile(r"\b([pq])\((\w+)=(\d+)\)=(-?[0-9/]+)")
_SIDES = re.compile(r"left = (\S+), right = (\S+)$")


def _vector_evidence(evidence: str, reading: Reading) -> str:
    """The instance as the lecture's probability vectors: ``p = (28/41, 13/41)``, numbered from its first outcome."""
    sides = _SIDES.search(evidence)
    first_instance = evidence.split(" | ")[0]
    vectors: dict = {}
    for letter, _, outcome, value in _CELL.findall(first_instance):
        vectors.setdefault(letter, {})[int(outcome)] = value
    if not sides or set(vectors) != set(_CANONICAL[:len(reading.letters)]):
        return evidence
    parts = [f"{reading.letters[_CANONICAL.index(c)]} = ({', '.join(v for _, v in sorted(vectors[c].items()))})"
             for c in _CANONICAL[:len(reading.letters)]]
    outcomes = ", ".join(str(reading.first + k) for k in sorted(next(iter(vectors.values()))))
    return (f"with {', '.join(parts)} (outcomes {reading.index} = {outcomes}): standard = {sides.group(1)}, "
            f"lecture = {sides.group(2)}")


def _entropy_letter(right: str, letters) -> Reading | None:
    r"""``E(X) - E(X | Y)`` read as ``H(X) - H(X | Y)`` where the document declares E the entropy (its prose or a
    definition ``E(X) = -\sum_x p(x)\log p(x)``, :func:`document_entropy_letters`); None where it writes none."""
    used = []
    text = right
    for letter, line in letters:
        pattern = re.compile(r"(?<![A-Za-z\\{])" + letter + r"(?=\s*(?:\\left)?\(\s*[A-Z](?:_\{?[0-9a-z]\}?)?\s*"
                             r"(?:(?:\\mid|\||,)\s*[A-Z](?:_\{?[0-9a-z]\}?)?\s*)?(?:\\right)?\))")
        if pattern.search(text):
            text = pattern.sub("H", text)
            used.append(f"{letter} as the entropy H (declared at line {line})")
    if not used:
        return None
    return Reading("", text, "reading " + ", ".join(used), entropy=used[0][0])


_DECLARED_ENTROPY = re.compile(r"^\s*([A-GJ-OQ-Z])\s*\(\s*[A-Z]\s*\)\s*(?::=|=|\\equiv|\\triangleq|\\coloneqq)\s*(.*)$")
_EXPECTATION_PROSE = re.compile(r"expectation|expected|\bmean\b|\baverage", re.IGNORECASE)
_ENTROPY_PROSE = re.compile(r"(?<!relative )(?<!cross )(?<!cross-)\bentropy\b", re.IGNORECASE)
_ENTROPY_WRITTEN = re.compile(r"^-\s*\\sum\s*_\s*\{?\s*([a-z])\s*\}?\s*p\s*\(\s*\1\s*\)\s*"
                              r"\\(?:log|ln|lg)\s*(?:_\s*\{?\w+\}?)?"
                              r"\s*(?:\\left)?\(?\s*p\s*\(\s*\1\s*\)")


def document_entropy_letters(relational, clean) -> tuple:
    r"""(letter, line) of every letter other than H the document declares as entropy, where it does: a statement
    ``E(X) = …`` with a log on its right side, whose sentence leading in says "entropy" (not relative or
    cross-entropy, nor expectation), or whose right side is the entropy written out (``E(X) = -\sum_x p(x) \log
    p(x)``). A letter with no declaration is left alone: ``E(X)``
    is an expectation."""
    found = {}
    for statement in relational:
        m = _DECLARED_ENTROPY.match(clean(statement))
        if not m or m.group(1) in found:
            continue
        prose = re.split(r"\n\s*\n", classify.lead_in(statement.before))[-1]
        if not re.search(r"\\(?:log|ln|lg)(?![A-Za-z])", m.group(2)) or _EXPECTATION_PROSE.search(prose):
            continue  # E(X) = \sum_x x p(x), "recall the expectation": not an entropy
        if _ENTROPY_PROSE.search(prose) or _ENTROPY_WRITTEN.match(m.group(2)):
            found[m.group(1)] = statement.lines[0]
    return tuple(found.items())


# --- the step --------------------------------------------------------------------------------------

def judge(left, relation: str, right, context: Context, before: str, after: str,
          found: StepResult) -> StepResult | None:
    """A definition of a standard quantity (the first relation of a statement) judged against the
    standard definition; None when ``left`` is not one (``found`` is the step as judged so far). Probability
    vectors (``-\\sum_i p_i \\log q_i``) and a letter the document declares as entropy (``E(X)``) are read in the
    standard notation first (:func:`probability_vectors`, :func:`document_entropy_letters`), the reading said in
    the reason."""
    if relation not in DEFINING or not left.text.strip():
        return None
    reading = probability_vectors(left.text, right.text, _paragraph(before, after) + " " + classify.lead_in(before),
                                  " $ ".join((before[-600:], context.statement, after[:400])
                                             + context.nearby_equations))
    if reading is None and context.entropy_letters:
        reading = _entropy_letter(right.text, context.entropy_letters)
        if reading is not None:
            reading = dataclasses.replace(reading, left=left.text)
    if reading is None:
        return _judge(left, relation, right, context, before, after, found)
    return _judge(read_side(reading.left, context), relation, read_side(reading.right, context), context, before,
                  after, found, reading, (left, right))


def _judge(left, relation: str, right, context: Context, before: str, after: str, found: StepResult,
           reading: Reading | None = None, as_written: tuple | None = None) -> StepResult | None:
    """:func:`judge` on sides in the standard notation; ``as_written``: the lecture's sides, as written, when
    ``reading`` rewrote them."""
    lg = bool(re.search(r"\\lg(?![A-Za-z])", right.text))  # the reader refuses \lg (base 2 or 10): read twice here
    if not (right.readable or lg):
        return None
    head = _compact(left.text)
    paragraph = _paragraph(before, after)
    if not right.readable and not (_CROSS.match(head) or _MI.match(head) or _KL_DEFINED.match(head)):
        return None
    right_expr = _values(right.primary, context) if right.readable else None
    compared: Compared
    if m := _CROSS.match(head):
        quantity, standard = _cross_entropy(m, right.text)
        compared, base = _information(standard, right.text, context, _entropies_written_out)
        quantity = _cross_entropy(m, right.text, base)[0]
    elif m := _JS.match(head):
        quantity, standard, written = _js(m, right.text, paragraph + " " + context.statement)
        compared = (_by_instances(standard, _read(written, context), context) if written is not None else
                    Compared("unchecked", "its mixture letter is not defined as (P + Q)/2 in the paragraph"))
    elif _ELBO_NAME.match(head) or (_LOSS_NAME.match(head) and _ELBO_PROSE.search(paragraph)):
        made = _elbo(right.text)
        if made is None:
            return _unread(found, relation, left, right, "the ELBO", "its q(z | x) and p are not found")
        quantity, standard, written, note = made
        compared = _by_instances(standard, _read(written, context), context)
        compared = dataclasses.replace(compared, reason=f"{note}: {compared.reason}")
        if compared.verdict == "disagrees" and not _ELBO_NAME.match(head):  # \mathcal L may be the negative ELBO
            negative = _by_instances(f"-({standard})", _read(written, context), context)
            if negative.verdict != "disagrees":
                compared = Compared("unchecked", "the negative ELBO (a loss to minimise), not compared: "
                                                 f"{negative.reason}")
    elif (m := _MI.match(head)) and (m.group(2) == ";" or _MI_PROSE.search(paragraph)) and m.group(1) != m.group(3):
        compared, base = _information(_mutual_information(m, right.text, None)[1], right.text, context,
                                      _entropies_written_out)
        quantity, standard = _mutual_information(m, right.text, base)
    elif (m := _KL_DEFINED.match(head)) and (not m.group(1) or _KL_PROSE.search(paragraph)) \
            and _WRITTEN_OUT.search(right.text) and _KL_WRITTEN_OUT.search(right.text) \
            and (made := _kl(m, right.text, None)) is not None:
        compared, base = _kl_compared(m, made[1], right.text, context)
        quantity, standard = _kl(m, right.text, base)
    elif (m := _SCORE.match(head)) and _SCORE_PROSE.search(paragraph):
        compared, quantity = _score(m, right, right_expr, context)
    elif (m := _KERNEL.match(head)) and _DIFFUSION_PROSE.search(paragraph + " " + context.prose):
        made = _ddpm_kernel(m, right.text, context)
        if isinstance(made, str):
            return _unread(found, relation, left, right, "the DDPM forward marginal", made)
        quantity = made[0]
        compared = _compare_kernel(made, right_expr, context)
    elif (m := _ENTROPY_OF.match(head)) and _WRITTEN_OUT.search(right.text):
        quantity, standard = _entropy(m, right.text)
        compared, base = _information(standard, right.text, context, _entropy_rewrite(m, standard))
        quantity = _entropy(m, right.text, base)[0]
    elif (m := _RANDOM_VARIABLE_ENTROPY.match(head)) and _WRITTEN_OUT.search(right.text) \
            and (re.search(r"\\(?:log|ln|lg)(?![A-Za-z])", right.text) or _ENTROPY_WORD.search(paragraph)) \
            and (law := _law(m.group(1), right.text)):
        # H(X) of a random variable: its law is the one density the right side applies to x
        letter = re.match(r"(.*)", law)
        quantity, standard = _entropy(letter, right.text)
        compared, base = _information(standard, right.text, context, _entropy_rewrite(letter, standard))
        quantity = _entropy(letter, right.text, base)[0]
        quantity = dataclasses.replace(quantity, convention=f"H({m.group(1)}) = −E[log {law}({m.group(1)})], "
                                                            f"reading {law} as the law of {m.group(1)}")
    elif (m := _TWO_VARIABLE_ENTROPY.match(head)) and m.group(1) != m.group(3) and _WRITTEN_OUT.search(right.text) \
            and re.search(r"\\(?:log|ln|lg)(?![A-Za-z])", right.text) and re.search(r"\\sum", right.text) \
            and (law := _joint_law(m.group(1).lower(), m.group(3).lower(), right.text)):
        # H(X, Y), H(X | Y) of two random variables written out as sums: their joint law is the one density applied
        quantity, standard = _two_variable_entropy(m, law, right.text)
        compared, base = _information(standard, right.text, context, _entropies_written_out)
        quantity = _two_variable_entropy(m, law, right.text, base)[0]
    else:
        return None
    if reading is not None:
        if reading.letters:
            quantity = _vector_standard(quantity, reading, right.text, compared.unit)
        elif reading.entropy and quantity.name == "the mutual information":  # in the document's letter
            a, b = m.group(1), m.group(3)
            quantity = dataclasses.replace(quantity, standard=f"{reading.entropy}({a}) - {reading.entropy}({a} | {b})")
        compared = dataclasses.replace(compared, reason=f"{reading.note}: {compared.reason}",
                                       evidence=_vector_evidence(compared.evidence, reading) if reading.letters
                                       else compared.evidence)
        left, right = as_written
        if reading.mixture:  # the document's m_i = … is written out already: a flag holds under it
            return dataclasses.replace(_verdict(quantity, compared, found, relation, left, right, before,
                                                announced_convention(before, after), after), with_equations=True)
    return _verdict(quantity, compared, found, relation, left, right, before, announced_convention(before, after),
                    after)


def _score(m, right, right_expr, context: Context):
    variable_text = m.group(1)
    quantity = Quantity("the score", "s(x) = ∇_x log p(x), the gradient in x of the log-density", "")

    def plain(text: str) -> str:  # \mathbf{x} and x, braces and spaces aside
        return re.sub(r"\\(?:mathbf|boldsymbol|bm)|[{}\s]", "", text)

    others = [g for g in re.findall(r"\\nabla_\s*(\{[^{}]*(?:\{[^{}]*\}[^{}]*)*\}|\\[A-Za-z]+(?:\s*\{[^{}]*\})?|[A-Za-z])",
                                    right.text)
              + re.findall(r"\\partial\s*(\\[A-Za-z]+|[A-Za-z])", right.text) if plain(g) != plain(variable_text)]
    if others:  # a gradient in another name (any letter): a parameter
        return Compared("unchecked", "a gradient in the parameters: the Fisher score of statistics, another "
                                     "quantity"), quantity
    applied = [d for d in re.finditer(r"(?<![A-Za-z\\])(\\[A-Za-z]+|[A-Za-z])(_\{[^{}]*\}|_\\?[A-Za-z0-9]+)?\s*\(\s*"
                                      + re.escape(variable_text) + r"\s*\)", right.text) if d.group(1) not in (r"\log", r"\exp")]
    # the density: a name the document uses as one (any letter), else the one name the right side applies to x
    density = next((d for d in applied if scope.is_density(d.group(1) + (d.group(2) or ""))),
                   applied[0] if len({d.group(0) for d in applied}) == 1 else None)
    if not density:
        return Compared("unchecked", "no density of the score's variable on the right side"), quantity
    letter = density.group(1) + (density.group(2) or "")
    shown = rf"\nabla_{{{variable_text}}} \log {letter}({variable_text})"
    quantity = dataclasses.replace(quantity, standard=shown)
    standard = _read(shown, context)
    variables = [s for s in (standard.free_symbols if standard is not None else ()) if not s.name.startswith("⟦")]
    nodes = list(sympy.preorder_traversal(standard)) if standard is not None else []
    heads = {n.func.__name__ for n in nodes if isinstance(n, AppliedUndef)}
    if standard is None or len(variables) != 1 or len(heads) != 1 or right_expr is None:
        return Compared("unchecked", "the standard form is not read"), quantity
    compared = _by_concrete_densities(standard, right_expr, heads.pop(), variables[0])
    if "vector" in right.primary.flags and compared.verdict == "disagrees":
        return Compared("unchecked", "differs in one dimension, but vectors read as scalars are not flagged",
                        compared.evidence), quantity
    return compared, quantity


def _unread(found: StepResult, relation, left, right, name: str, why: str) -> StepResult:
    if found.verdict != "unchecked":
        return found
    return StepResult(relation, left.text, right.text, "unchecked", "chain",
                      f"defines {name}; not compared with the standard definition: {why}", category="definition",
                      label=True)


# quantities defined for every distribution (or pair): a statement of one of free distributions that differs from its
# definition for some of them is wrong whether or not the text calls it a definition
_FREE_QUANTITIES = frozenset({"the KL divergence", "the entropy", "the cross-entropy", "the mutual information",
                              "the Jensen-Shannon divergence"})
_SPECIAL_PROSE = re.compile(r"\b(?:special|particular|limit|limiting|approximat\w*|asymptotic\w*|tends?|goes|"
                            r"equal|identical|same|independent|Gaussians?|normal|Bernoulli|Poisson|exponential|uniform|"
                            r"Laplace|categorical|Dirichlet|Beta|Gamma|mixtures?)\b", re.IGNORECASE)
_CONDITION_WORD = re.compile(r"\b(?:if|when|whenever|suppose|assume|set(?:ting)?|solv\w*|zero|condition\w*|"
                             r"stationary|root|equat\w*|happens|occurs|require)\b", re.IGNORECASE)
_FOLLOWING_CONDITION = re.compile(r"^\W*(?:when|whenever|if|for|provided|where|as|in the|only)\b", re.IGNORECASE)
_DISTRIBUTION_LETTER = re.compile(r"(?<![A-Za-z\\])(p|q|P|Q|r|\\pi)(?:_\{[^{}]*\}|_\\?[A-Za-z0-9]+)?")
_FAMILY = (r"(?:\\mathcal\s*\{?\s*N|\\mathrm\s*\{?\s*(?:Bern|Cat|Unif|Pois)|\\operatorname|"
           r"\\text\s*\{?\s*(?:Bern|Cat|Unif))")


_APPLIED = re.compile(r"(?<![A-Za-z\\])((?:p|q|P|Q|r|\\pi)(?:_\{[^{}]*\}|_\\?[A-Za-z0-9]+)?)\s*\(([^()]*)\)")


def _written_otherwise(text: str) -> str:
    """A density letter the statement applies to different arguments (``q(z | x)`` and ``q(z)``): the shorthand of
    writing q(z) for q(z | x) is common, so the statement may be right as its author reads it ("" if none)."""
    applied: dict = {}
    for m in _APPLIED.finditer(text):
        applied.setdefault(m.group(1), set()).add(re.sub(r"\s+", "", m.group(2)).replace(r"\mid", " | "))
    return next((f"{letter} is written with different arguments ({', '.join(sorted(args))}), so q(z) may stand "
                 f"for q(z | x)" for letter, args in applied.items() if len(args) > 1), "")


def _special_case(left: str, before: str, after: str, right: str = "") -> str:
    """Why a statement of an information quantity that differs from its definition may be a special case the text
    states (the words of its condition, the family it gives an argument), or "" when the text leaves its
    distributions free."""
    if shorthand := _written_otherwise(left + " " + right):
        return shorthand
    lead = classify.lead_in(before)
    word = _SPECIAL_PROSE.search(lead) or (classify.condition_prose(before) and _CONDITION_WORD.search(lead))
    if word:
        return f"the sentence leading in states a condition or a special case ('{word.group(0)}')"
    following = re.split(r"\n\s*\n", after)[0][:160]
    if _FOLLOWING_CONDITION.search(following):
        return "the text after it states a condition ('" + " ".join(following.split()[:6]) + "')"
    for letter in {m.group(0) for m in _DISTRIBUTION_LETTER.finditer(left)}:
        declared = re.search(r"(?<![A-Za-z\\])" + re.escape(letter) + r"\s*(?:\([^()$]*\))?\s*(?:=|:=|\\sim|\\equiv)\s*"
                             + _FAMILY, before)
        if declared:
            return f"the text gives {letter} a family ('{declared.group(0)}'): the arguments are specific distributions"
    return ""


def _verdict(quantity: Quantity, compared: Compared, found: StepResult, relation, left, right,
             before: str, announced: str, after: str = "") -> StepResult:
    def result(verdict, reason, evidence="", **extra):
        return StepResult(relation, left.text, right.text, verdict, found.kind if found.claim else "chain", reason,
                          evidence, claim=found.claim, category="definition", **extra)

    standard = f"standard form in the lecture's symbols: {left.text.strip()} = {quantity.standard}"
    if compared.unit and found.verdict == "disagrees" and not found.claim and compared.verdict != "disagrees":
        # the step checks read the quantity on the left in natural logs; its definition sets its unit
        found = dataclasses.replace(found, verdict="unchecked", reason=f"differs with the quantity in natural logs "
                                    f"({found.reason}), but the definition is {_unit(compared.unit)}")
    differs = compared.verdict == "disagrees" or found.verdict == "disagrees"
    if announced and differs:
        return result("unchecked", f"defines {quantity.name} in another convention, which the text announces "
                                   f"('{announced}'): not compared with the standard definition "
                                   f"({quantity.convention})",
                      compared.evidence or found.evidence, label=True)
    if not defining(relation, before):
        if found.verdict == "disagrees" and quantity.standard and found.kind == "known":
            # a known result the catalogue compared: the correct form shown as the standard definition, in the
            # lecture's symbols (the claim's own is written in its model's closed form)
            return dataclasses.replace(found, correct=f"{left.text.strip()} = {quantity.standard}")
        if compared.verdict == "proved" and found.verdict != "proved":  # H(p) = Σ p log_2(1/p): the definition, in bits
            return result("proved", f"agrees with the standard definition of {quantity.name} ({quantity.convention}"
                                    f"{', ' + _unit(compared.unit) if compared.unit else ''}): {compared.reason}")
        if compared.verdict != "disagrees":
            return found  # a property of the quantity (I(X, Y) = I(Y, X)) or a known result, judged as before
        why = _special_case(left.text, before, after, right.text) if quantity.name in _FREE_QUANTITIES else \
            "a statement that is "\
            "not put as a definition (a special case, a condition)"
        if why:
            return result("unchecked", f"differs from the standard definition of {quantity.name} "
                                       f"({quantity.convention}), but {why}: not flagged",
                          compared.evidence or found.evidence, label=True)
        return result("disagrees", f"states {quantity.name} of distributions the text leaves free (no condition, no "
                                   f"special case around it) differently from its standard definition "
                                   f"({quantity.convention}), which holds for every pair of distributions: "
                                   f"{standard}; {compared.reason}", compared.evidence,
                      correct=f"{left.text.strip()} = {quantity.standard}" if quantity.standard else "")
    if compared.verdict == "disagrees":
        return result("disagrees", f"defines {quantity.name} differently from the standard definition "
                                   f"({quantity.convention}): {standard}; {compared.reason}", compared.evidence,
                      correct=f"{left.text.strip()} = {quantity.standard}" if quantity.standard else "")
    if found.verdict == "disagrees":  # a known result the catalogue compared
        return dataclasses.replace(found, reason=f"defines {quantity.name} differently from the standard definition "
                                                 f"({quantity.convention}): {standard}; {found.reason}",
                                   category="definition")
    if "proved" in (compared.verdict, found.verdict):
        proof = compared.reason if compared.verdict == "proved" else found.reason
        return result("proved", f"agrees with the standard definition of {quantity.name} ({quantity.convention}): "
                                f"{proof}")
    if "holds on " in compared.reason:
        return result("unchecked", f"agrees with the standard definition of {quantity.name} ({quantity.convention}) "
                                   f"on instances: {compared.reason}", label=True)
    return result("unchecked", f"defines {quantity.name}; not decided against the standard definition "
                               f"({quantity.convention}): {compared.reason}", compared.evidence, label=True)
