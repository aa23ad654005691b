r"""Checking one relation of a statement: ``left REL right``.

Three kinds of step:

* **number** -- both sides are numbers (no symbol, no opaque part): evaluated exactly and
  compared with the digits printed on the right, rounding-aware (a printed 0.418 for
  -log 0.659 = 0.41703 is a slip: it neither rounds nor truncates to it);
* **chain** -- an algebraic step between expressions in the lecture's symbols: compared at
  exact points of the positive world (:mod:`derivspec.scan.algebra`) and proved by SymPy where it
  can be;
* **known** -- a side recognised as a registered claim (:mod:`derivspec.scan.known`).

Precision first. A step is reported ``disagrees`` only when a difference is confirmed at higher
precision under every reading of the text (a bracket after a name read as an application and as
a product; ``\log`` in base e, 2 and 10 unless the lecture fixes it) and none of the guards
applies:

* the two sides use the same symbols (a symbol on one side only is a definition, a
  substitution from the prose, or an example value -- unless a conventional definition
  reconciles them: beta_t = 1 - alpha_t, \bar\alpha_t = alpha_t \bar\alpha_{t-1});
* the difference does not depend on the values of the opaque parts;
* the step is a step of a chain (two or more relations), or, for a single equation, its sides
  never agree on the box (an equation whose sides agree somewhere may be a condition to
  solve: h/p = t/(1-p));
* the clause is not a premise or a consequence of an implication (⇒: equations being solved);
* not an approximation (≈ between expressions), not an identity of vectors or matrices that
  involves their dimension (read as 1x1 matrices, d would be wrong).

Anything else is ``unchecked`` with the reason.
"""

from __future__ import annotations

import dataclasses
import random
import re
from dataclasses import dataclass, field

import mpmath
import sympy
from sympy.core.function import AppliedUndef

from derivspec.core import symbolic
from derivspec.core.errors import FormulaError
from derivspec.scan.reader import OPTIMA, DocumentNames, DocumentReading, read_document
from derivspec.scan import (algebra, classify, events, finite_sums, functions, information, instances, leibniz, matrices, optimum,
                            parameter_derivatives, probability, gaussian_log_density)
from derivspec.scan.verdicts import DEFINING, evidence_level, not_a_definition
from derivspec.scan.notation import role_letters

CHECKED_RELATIONS = ("=", "≈", "≤", "≥", "<", ">", "∝")
DIMENSION_NAMES = role_letters("dimension")  # a guess: derivspec/data/knowledge/notation.toml
_LOG = re.compile(r"\\log(?![_A-Za-z])|(?<![\\A-Za-z])log(?![_A-Za-z])")


@dataclass
class StepResult:
    relation: str
    left: str
    right: str
    verdict: str  # proved | disagrees | unchecked
    kind: str  # chain | number | known
    reason: str
    evidence: str = ""
    claim: str | None = None
    correct: str = ""
    label: bool = False  # the left side only names the quantity (a definition or a value)
    category: str = ""  # its class (derivspec.scan.classify.CLASSES)
    on_atoms: bool = False  # judged as probabilities of events (events.py): the document's rewrites do not apply
    on_matrices: bool = False  # decided on matrix instances (scan/least_squares.py), not on a scalar reading
    with_equations: bool = False  # judged with the document's definitions near it already (conventions.py: m_i)
    part: str = ""  # the part of the step a known result judged (a sample's mean): its proof says nothing of the rest
    covers: tuple = ()  # further claims a recogniser's answer judges with the document's reading of the names (the
    # forward marginal's mean and variance, ᾱ_t as the document declares it): their shapes' letter readings give way

    def to_json(self) -> dict:
        data = {"relation": self.relation, "left": self.left, "right": self.right, "kind": self.kind,
                "verdict": self.verdict, "reason": self.reason, "evidence": self.evidence,
                "class": self.category or classify.judged_class(self.relation, self.kind),
                "evidence_level": evidence_level(self.verdict, self.reason)}
        if self.claim:
            data["claim"] = self.claim
        if self.correct:
            data["correct"] = self.correct
        return data


@dataclass
class Side:
    """A side as read: the primary reading and the alternatives (or the reason it is not read)."""

    text: str
    primary: DocumentReading | None = None
    error: str = ""
    variants: dict = field(default_factory=dict)  # name -> DocumentReading
    truncated: bool = False  # printed with trailing dots: 0.7...

    @property
    def readable(self) -> bool:
        return self.primary is not None


@dataclass
class Context:
    """What a step needs from its statement and document."""

    names: DocumentNames
    bare: frozenset = frozenset()
    log_base: int | None = None  # the lecture says its logs are base 2 (or 10)
    chain: bool = False  # the clause has two or more relations
    conditional: str = ""  # why the clause is an equation being solved (⇒), or ""
    conventions: list = field(default_factory=list)  # (symbol, expr, text) conventional definitions
    bindings: dict = field(default_factory=dict)  # symbol -> value assigned earlier in the statement
    constraints: dict = field(default_factory=dict)  # symbol -> (low, high) stated in the statement
    seconds: float = 3.0
    prose: str = ""  # the text around the statement (where a value such as sigma = 1 may be given)
    after: str = ""  # the end of ``prose``: the text just after the statement
    definitions: dict = field(default_factory=dict)  # names given a distribution just before (p = N(mu, s^2))
    notations: frozenset = frozenset()  # (accent, base) the document writes, e.g. ("\\bar", "\\alpha")
    statement: str = ""  # the whole statement (its other clauses)
    samples: dict = field(default_factory=dict)  # X -> (family, mean, variance) for X ~ Dist(...) just before
    numbers: frozenset = frozenset()  # names the sentence before calls numbers ("for numbers $a$ and $b$")
    families: frozenset = frozenset()  # variables the document gives a named family (z ~ N(0, I))
    densities: dict = field(default_factory=dict)  # (left, relation, right) -> probability.Judgement of the step
    defined_functions: frozenset = frozenset()  # function letters the document defines or describes (functions.py)
    concrete: bool = False  # the step is an instance with concrete functions (no further instances)
    shapes: tuple = ()  # (name, "convex" | "concave") the text states above (scope.function_shapes)
    restricted: frozenset = frozenset()  # variables the text restricts above (scope.restricted_variables)
    event_relations: frozenset = frozenset()  # relations between events the document speaks of (events.py)
    cross_entropy_losses: frozenset = frozenset()  # loss letters defined as a cross-entropy (softmax_gradient.py)
    lead_in: str = ""  # the sentence leading into the statement (classify.lead_in)
    change_of_variables_maps: tuple = ()  # x = f(z), z_k = f_k(z_{k-1}) stated (change_of_variables.document_maps)
    likelihoods: tuple = ()  # likelihoods stated before the statement (likelihood_optimum.document_likelihoods)
    normal_laws: tuple = ()  # normal laws declared before the statement (reparameterised.laws_in)
    normal_model: object = None  # mu ~ N(mu_0, sigma_0^2), x_i | mu ~ N(mu, sigma^2) declared (normal_posterior.py)
    natural_logs: bool = False  # the project's settings say a bare log is natural (no base-2/10 reading)
    nearby_equations: tuple = ()  # "name = value" the document states within a few lines (a JS's m_i = (p_i + q_i)/2)
    entropy_letters: tuple = ()  # (letter, line): letters declared as entropy before (E(X), conventions.py)
    mixture: object = None  # mixture_em.Mixture: the responsibilities (and N_k) the document defines
    diffusion: object = None  # the forward process the document speaks of (ddpm_kernel.document_model)
    gan_game: object = None  # gan_optimum.Game: the document speaks of a discriminator (its declared densities)
    beta_model: object = None  # theta ~ Beta(a, b) over Bernoulli data declared (conjugate_map.py)
    mc_estimators: tuple = ()  # means of n draws the document defines (monte_carlo.document_estimators)
    in_force: object = None  # definitions.InForce: the document's definitions in force at this clause
    upper_indices: frozenset = frozenset()  # names written with upper indices (scope.upper_index_names)
    described_functions: frozenset = frozenset()  # names the prose describes, any letter (functions.document_described)
    laws: tuple = ()  # (line, name, law) for every "X \sim Law(...)" above the statement (the knowledge rows' facts)
    labels: dict = field(default_factory=dict)  # name -> "binary" | "sign": declared in {0, 1} or {-1, +1} above
    line: int = 0  # the statement's first line
    text: str = ""  # the whole statement as the checks see it
    paragraph: str = ""  # the prose of the statement's paragraph (a law said in words: vae_kl.py)
    normal_facts: object = None  # reparameterised.Facts: the noises and normal laws the document declares


_TRUNCATED = re.compile(r"^\s*(-?\s*\d+\.\d+)\s*(?:\\ldots|\\dots|\\cdots|\.\.\.)\s*$")


def known_result(relation: str, left: str, right: str, claim: str | None, **fixed):
    """The ``result(verdict, reason, evidence, correct)`` a structure recogniser answers with: a known-result
    StepResult of one statement's sides and one claim (``fixed``: further fields every answer carries)."""

    def result(verdict: str, reason: str, evidence: str = "", correct: str = "") -> StepResult:
        return StepResult(relation, left, right, verdict, "known", reason, evidence, claim=claim, correct=correct,
                          **fixed)
    return result


def equation_values(left: Side, relation: str, right: Side, relations: tuple = ("=",)) -> tuple | None:
    """Both sides' values when the relation is one of ``relations`` and both sides are read; None otherwise
    (the opening of every structure recogniser's ``check``)."""
    if relation not in relations or not left.readable or not right.readable:
        return None
    try:
        return left.primary.value(), right.primary.value()
    except Exception:
        return None


def read_side(text: str, context: Context) -> Side:
    side = Side(text)
    if not text.strip():
        side.error = "an empty side"
        return side
    truncated = _TRUNCATED.match(text)
    if truncated:
        side.truncated = True
        text = truncated.group(1)
        side.text = text
    text = normalise_side(text)
    try:
        evaluated = _evaluated(text, context)
        if evaluated is not None:
            side.primary = evaluated
            return side
        side.primary = read_document(text, context.names, context.bare, log_base=context.log_base)
    except FormulaError as error:
        if "elided" not in str(error):
            side.error = _short_error(str(error))
            return side
        spelled = spelled_out(text)
        if spelled is not None:
            try:
                side.primary = read_document(spelled, context.names, context.bare, log_base=context.log_base)
                return side
            except Exception:
                pass
        # x_1 + x_2 + … + x_n: one quantity whose pattern is not spelled out -- an opaque value of
        # the document, equal only to itself (a definition of S = x_1 + … + x_n reads as one)
        side.primary = DocumentReading(context.names.symbol("⟦" + " ".join(text.split()) + "⟧"),
                                       frozenset({"opaque", "elided"}), {})
        return side
    except Exception as error:  # a defect of the reader on odd input: unchecked, never a crash
        side.error = f"cannot read ({type(error).__name__})"
        return side
    widened = _widened_sum(text, side.primary, context)
    if widened is not None:
        side.primary = widened
    if "ambiguous" in side.primary.flags:
        try:
            side.variants["product"] = read_document(text, context.names, context.bare, log_base=context.log_base,
                                                     ambiguous="product")
        except Exception:
            pass
    if context.log_base is None and not context.natural_logs and _LOG.search(text):
        for base in (2, 10):
            try:
                side.variants[f"log{base}"] = read_document(text, context.names, context.bare, log_base=base)
            except Exception:
                pass
    for name, reading in list(side.variants.items()):  # every reading sees the sum as wide
        options = {"ambiguous": "product"} if name == "product" else {"log_base": _variant_base(name)}
        widened = _widened_sum(text, reading, context, **options)
        if widened is not None:
            side.variants[name] = widened
    return side


_PERCENT = re.compile(r"(?<![\w.])(\d+(?:\.\d+)?)\s*\\%")
_SAMPLE_INDEX = re.compile(r"((?:\\(?:mathbf|boldsymbol|bm|hat|tilde|bar)\s*)?\{?[A-Za-z]\}?|\\mathbf\{\\hat\{[A-Za-z]\}\}|"
                           r"\\hat\{\\mathbf\{[A-Za-z]\}\})\^\{\(([a-z])\)\}(?![_^])")
_BOUND = re.compile(r"\\(?:sum|prod)\s*_\s*\{?\s*([a-z])\b")


_NUMBERS_PROSE = re.compile(r"\b(?:(?:real\s+)?numbers|constants|scalars)\s+((?:\$\s*[A-Za-z]\s*\$(?:\s*,\s*|\s+and\s+|\s*,\s*and\s+)?)+)")
_NUMBERS_SET = re.compile(r"\$\s*([A-Za-z](?:\s*,\s*[A-Za-z])*)\s*\\in\s*\\mathbb\s*\{?R\}?")


def numbers_in_prose(before: str) -> frozenset:
    """Names the sentence just before a statement calls numbers: ``for numbers $a$ and $b$``,
    ``constants $c$``, ``$a, b \\in \\mathbb{R}$``."""
    sentence = re.split(r"(?<=[.!?])\s+(?=[A-Z])|\n\s*\n", before)[-1] if before else ""
    names = set()
    for match in _NUMBERS_PROSE.finditer(sentence):
        names.update(re.findall(r"\$\s*([A-Za-z])\s*\$", match.group(1)))
    for match in _NUMBERS_SET.finditer(sentence):
        names.update(re.findall(r"[A-Za-z]", match.group(1)))
    return frozenset(names)


def _named_numbers(lr: DocumentReading, rr: DocumentReading, context: Context) -> frozenset:
    if not context.numbers:
        return frozenset()
    return frozenset(s for s in (lr.expr.free_symbols | rr.expr.free_symbols) if s.name in context.numbers)


def normalise_side(text: str) -> str:
    r"""Notation with one meaning, rewritten for the reader: ``95\%`` is ``\frac{95}{100}``; in a
    side that sums or multiplies over ``i``, ``\mathbf{x}^{(i)}`` is the i-th example
    (``\mathbf{x}_{i}``), never a power."""
    text = _PERCENT.sub(lambda m: r"\frac{" + m.group(1) + "}{100}", text)
    text = _DOTS.sub(r" \\dots ", text)  # a_1 + ... + a_n: the elision \dots writes
    text = re.sub(r"(?<![.\\])\.\s*$", "", text)  # a full stop that ends a side (``p_{ij}. = ...``)
    text = _BRACED_DIFFERENTIAL.sub(lambda m: r" \,d" + m.group(1) + " ", text)  # {\,dz}: a macro's differential
    text = _BRACED_OPERATOR.sub(lambda m: m.group(1) + " ", text)  # {\frac{\partial}{\partial x}}: a macro's
    text = _SUP_THEN_SUB.sub(lambda m: m.group(1) + "_" + m.group(3) + "^" + m.group(2), text)  # J^{-1}_{f}: J_{f}^{-1}
    text = _BARE_DIVERGENCE.sub(r"\\mathrm{\1}", text)  # KL(p || q), JSD(p || q) written without a font
    bound = set(_BOUND.findall(text))
    if bound:
        text = _SAMPLE_INDEX.sub(lambda m: m.group(1) + "_{" + m.group(2) + "}" if m.group(2) in bound else m.group(0), text)
    return text


_TERM_TOKEN = re.compile(r"\\[A-Za-z]+|\d+|\S")
_ELISION = re.compile(r"^\\(?:[lc]?dots[bcm]?)$")


def _top_level_terms(text: str) -> list[str] | None:
    """``text`` split at its top-level ``+`` (outside braces and brackets); None where a ``-`` joins terms there."""
    terms, depth, start = [], 0, 0
    for i, c in enumerate(text):
        if c in "([{":
            depth += 1
        elif c in ")]}":
            depth -= 1
        elif depth == 0 and c == "-" and text[:i].strip() and text[i - 1] != "^" and text[i - 1] != "_":
            return None
        elif depth == 0 and c == "+":
            terms.append(text[start:i].strip())
            start = i + 1
    return terms + [text[start:].strip()]


def _term_tokens(term: str) -> list[str]:
    """A term's tokens, a one-character script braced first (``x_1`` as ``x_{1}``)."""
    return _TERM_TOKEN.findall(re.sub(r"([_^])\s*([A-Za-z0-9])", r"\1{\2}", term))


def spelled_out(text: str) -> str | None:
    r"""``x_1 + x_2 + \dots + x_n`` as ``\sum_{\iota=1}^{n} x_{\iota}``: the terms before the elision (one or two) and the
    last one after it show where the index stands -- the numbers that change from the first term to the second
    (from the first to the last where the first alone is written), the last term the same with the upper bound
    there. None where the terms do not show one pattern (a list, a product, signs that alternate)."""
    terms = _top_level_terms(text)
    if terms is None:
        return None
    dots = [i for i, t in enumerate(terms) if _ELISION.match(t)]
    if len(dots) != 1 or dots[0] == 0 or dots[0] > 2 or dots[0] != len(terms) - 2:
        return None
    tokens, last = _term_tokens(terms[0]), " ".join(_term_tokens(terms[-1]))
    if dots[0] == 2:  # two terms written: the places where the second is the first's number plus one
        second = _term_tokens(terms[1])
        places = [k for k, (a, b) in enumerate(zip(tokens, second)) if a != b]
        if len(second) != len(tokens) or not places or any(
                not (tokens[k].isdigit() and second[k] == str(int(tokens[k]) + 1)) for k in places):
            return None
    else:
        places = [k for k, t in enumerate(tokens) if t in ("0", "1")]
    if not places or len({tokens[k] for k in places}) != 1:
        return None
    start = tokens[places[0]]
    pattern = r"\s*".join(r"(.+?)" if k in places else re.escape(t) for k, t in enumerate(tokens))
    found = re.fullmatch(pattern, last)
    if not found or len(set(found.groups())) != 1 or found.group(1) == start:
        return None
    body = " ".join(r"{\iota}" if k in places else t for k, t in enumerate(tokens))
    return rf"\sum_{{\iota={start}}}^{{{found.group(1)}}} {body}"


_DOTS = re.compile(r"(?<![\d.])\.{3,}(?![\d.])")
_EVALUATED = re.compile(r"^\s*(?:\\left\s*\.)?(?P<body>.*?)\s*(?:\\(?:[Bb]igg?r?|right)\s*)?(?:(?<!\\)\||\\vert|\\rvert)\s*"
                        r"_\s*(?P<low>\{[^{}]*\}|[^\s{}\\])\s*(?:\^\s*(?P<high>\{[^{}]*\}|[^\s{}\\]))?\s*$", re.DOTALL)
_BRACKETED = re.compile(r"^\s*(?:\\left|\\[Bb]igg?l?)?\s*\[(?P<body>.*?)\s*(?:\\right|\\[Bb]igg?r?)?\s*\]\s*"
                        r"_\s*(?P<low>\{[^{}]*\}|[^\s{}\\])\s*\^\s*(?P<high>\{[^{}]*\}|[^\s{}\\])\s*$", re.DOTALL)


def _evaluated(text: str, context: Context):
    r"""``F \Big|_{t=0}^{t=1}``, ``\left. F \right|_0^1``, ``\Big[ F \Big]_{a}^{b}``: F at the upper bound less F at
    the lower (``f'(x) \vert_{x=a}``: F at the point); the variable the one the bound names, else F's only name.
    None for a side without such a bar, or where the body, the bounds or the variable are not clear (a norm
    ``|x|_1`` is read as one)."""
    found = _EVALUATED.match(text) or _BRACKETED.match(text)
    if not found or not found.group("body").strip():
        return None
    bounds = [b.strip().strip("{}") for b in (found.group("low"), found.group("high")) if b]
    named = {b.partition("=")[0].strip() for b in bounds if "=" in b}
    try:
        body = read_document(found.group("body"), context.names, context.bare, log_base=context.log_base)
        at = [read_document(b.partition("=")[2] if "=" in b else b, context.names, context.bare).expr for b in bounds]
    except FormulaError:
        return None
    candidates = [s for s in body.expr.free_symbols if s.name in named] if named else list(body.expr.free_symbols)
    if len(named) > 1 or len(candidates) != 1:
        return None
    variable = candidates[0]
    value = body.expr.subs(variable, at[-1]) - (body.expr.subs(variable, at[0]) if len(at) == 2 else 0)
    return DocumentReading(value, body.flags, body.literals)


_BARE_DIVERGENCE = re.compile(r"(?<![A-Za-z\\{])(KL|JSD|JS)(?=\s*(?:\\left|\\big|\\Big|\\bigg)?\s*[(\[])")
_BRACED_DIFFERENTIAL = re.compile(r"\{\s*(?:\\[,;:!]\s*)+(?:d|\\mathrm\{d\})\s*(\\?[A-Za-z]+)\s*\}")
_D = r"(?:\\partial|d|\\mathrm\{d\})"
_BRACED_OPERATOR = re.compile(r"\{\s*(\\frac\s*\{\s*" + _D + r"\s*\}\s*\{\s*" + _D +
                              r"\s*\\?[A-Za-z]+(?:_\{?[A-Za-z0-9]+\}?)?\s*\})\s*\}")
_SUP_THEN_SUB = re.compile(r"((?:\\[A-Za-z]+|[A-Za-z])\s*)\^\s*(\{[^{}]*\}|[A-Za-z0-9])\s*_\s*(\{[^{}]*\}|[A-Za-z0-9])")
_SUM_HEAD = re.compile(r"\\(?:sum|prod)\s*(?:_\s*(?:\{[^{}]*\}|[A-Za-z0-9]))?\s*(?:\^\s*(?:\{[^{}]*\}|[A-Za-z0-9]))?")


def _free_dummies(expr) -> set:
    """Summation or product indices that also occur outside their sum (``\\sum_i a_i + b_i`` read
    with the sum closing at ``+``)."""
    bound = {limit[0].name for node in sympy.preorder_traversal(expr) if isinstance(node, (sympy.Sum, sympy.Product))
             for limit in node.limits}
    found = set()
    for symbol in expr.free_symbols:
        index = re.search(r"_\{?([A-Za-z])\}?$", symbol.name)  # y_{i}: y indexed by a sum's index, outside it
        if symbol.name in bound or (index and index.group(1) in bound):
            found.add(symbol)
    return found


def _widened_sum(text: str, reading, context: Context, **options):
    r"""The reading with the first top-level ``\sum``/``\prod`` extended to the end of the side, when the
    sum as read closes before terms that use its index (``\sum_{i=1}^n y_i \log \pi_i + (1 - y_i)
    \log(1 - \pi_i)``): the index has no meaning outside, so the text can only mean the wider sum.
    None when the index is not used outside or the wider reading still leaves it free."""
    try:
        if not _free_dummies(reading.expr):
            return None
    except Exception:
        return None
    for match in _SUM_HEAD.finditer(text):
        before = text[:match.start()]
        depth = before.count("{") - before.count("}") + before.count("(") - before.count(")")
        if depth != 0 or "\\left" in before:
            continue
        wider = text[:match.end()] + r" \left(" + text[match.end():] + r" \right)"
        try:
            options.setdefault("log_base", context.log_base)
            widened = read_document(wider, context.names, context.bare, **options)
        except Exception:
            return None
        return None if _free_dummies(widened.expr) else widened
    return None


def _short_error(message: str) -> str:
    message = re.sub(r'^cannot read LaTeX ".*?" at position \d+: ', "", message)
    return message if len(message) < 160 else message[:157] + "..."


def _with_bindings(expr: sympy.Expr, context: Context) -> sympy.Expr:
    return expr.xreplace(context.bindings) if context.bindings else expr


def _values(reading: DocumentReading, context: Context) -> sympy.Expr:
    return _with_bindings(reading.value(), context)


def is_label(side: Side) -> bool:
    """The side only names a quantity: a lone symbol or a lone opaque application."""
    if not side.readable:
        return False
    expr = side.primary.expr
    if isinstance(expr, sympy.Symbol):
        return not expr.name.startswith("⟨")
    if algebra.is_opaque_function(expr) and not isinstance(expr, sympy.Symbol):
        return True
    if isinstance(expr, sympy.Pow) and isinstance(expr.base, sympy.Symbol) and expr.exp.is_number:
        return not expr.base.name.startswith("⟨")  # sigma^2 = 50
    return False


def _numeric(expr: sympy.Expr) -> bool:
    return not expr.free_symbols and not algebra.atomize(expr, algebra.Atoms()).free_symbols


# --- the step -----------------------------------------------------------------------------------

def check_step(left: Side, relation: str, right: Side, context: Context, first: bool) -> StepResult:
    """One relation judged -- after it is classified (:mod:`derivspec.scan.classify`): a step
    that is not an identity, an inequality or a number is unchecked with its class and why."""
    found = _check_step(left, relation, right, context, first)
    judged = context.densities.get((left.text, relation, right.text))
    if found.verdict == "unchecked" and judged is not None:  # the other checks decided nothing: say what the instances say
        # a first equation the instances leave to the lecture (a density named by another, a name defined elsewhere)
        # reads as its definition; an inequality, or a difference under every law or every function, never does
        # reads as its definition; an inequality, a difference under every law or every function, an assumption
        # with an instance against it (a restricted sum, independence), never does (settle_definition)
        assumed = "not flagged" in judged.reason and relation == "=" and not any(
            notice in judged.reason for notice in ("differs under every law", "table of the undefined",
                                                   "an assumption the lecture may make"))
        found = StepResult(relation, left.text, right.text, "unchecked", "chain", judged.reason, judged.evidence,
                           category="identity")
        if assumed and first and defines_new_name(left, relation, context):
            found = StepResult(relation, left.text, right.text, "unchecked", "chain",
                               classify.definition(left.text, False).why, category="definition", label=True)
    if not found.category:
        found.category = classify.judged_class(relation, found.kind)
    macros = sorted({f[len("macro:"):] for side in (left, right) if side.readable
                     for f in side.primary.flags if f.startswith("macro:")})
    increment = any(side.readable and "increment" in side.primary.flags for side in (left, right))
    if found.verdict in ("proved", "disagrees") and increment:  # both readings would have to agree
        found = dataclasses.replace(found, verdict="unchecked", reason=(
            f"{'holds' if found.verdict == 'proved' else 'differs'} reading Δx as Δ times x, but Δx may be one name "
            "(an increment, (Δx)^2 = Δx^2): the readings are not both decided"))
    upper = [n for n in context.upper_indices if re.search(r"(?<![\\A-Za-z])" + re.escape(n) + r"\s*\^\s*\{?\s*\d",
                                                           left.text + " " + right.text)] \
        if found.verdict == "disagrees" else []  # searched for a flag only, not on every step
    if upper:  # x^1 = x^2 where the document writes v^i: components, or powers
        found = dataclasses.replace(found, verdict="unchecked", reason=(
            f"differs reading {upper[0]}^1, {upper[0]}^2 as powers, but the document writes {upper[0]} with upper indices "
            "(components): the readings are not both decided"))
    operated = _operators_in_difference(left, right) if found.verdict == "disagrees" else []
    if operated:  # H_{f+1} = H_f + H_1 read as three unknowns: the operator on the function in its subscript is not read
        found = dataclasses.replace(found, verdict="unchecked", reason=(
            f"differs reading {operated[0]} as an unknown of its own, but the document writes that letter as an "
            "operator on the function in its subscript (a Hessian, a Jacobian, ...), which the judge does not read: "
            "not flagged"))
    # a flag needs every reading: an unknown macro has no fixed one (events.py reads every command it accepts)
    if found.verdict == "disagrees" and macros and not found.on_atoms:
        found = dataclasses.replace(found, verdict="unchecked", reason=(
            f"differs with {', '.join(macros[:3])} read as names of the document's own, but they are macros "
            "defined outside this file: not flagged"))
    return found


def _operators_in_difference(left: Side, right: Side) -> list[str]:
    r"""The operator applications (a letter the document uses as an operator on the function in its subscript,
    ``\text{H}_{\log p}``: the reader's ``operator:`` flags) that the difference of the two sides still holds:
    a flag on them would read the operator as an independent unknown (H_f + H_g = H_{f+g} differs so). A
    difference they cancel from (H_f + 2 = H_f + 3) is decided without them."""
    names = sorted({f[len("operator:"):] for side in (left, right) if side.readable
                    for f in side.primary.flags if f.startswith("operator:")})
    if not names:
        return []
    try:
        left_over = {s.name for s in sympy.expand(left.primary.expr - right.primary.expr).free_symbols}
    except Exception:  # noqa: BLE001 -- a difference SymPy cannot form: the operators may be in it
        return names
    return [n for n in names if n in left_over]


def defines_new_name(left: Side, relation: str, context: Context) -> bool:
    """The step may define its left side: a defining relation (=, :=, ≡) whose left side is a name (a lone
    symbol, a power of one, or a head applied to arguments) that no definition above gives a meaning and
    that is no standard quantity (a variance, a KL divergence, an entropy: those are claims)."""
    if relation not in DEFINING or not is_label(left) or left.text.strip()[:1].isdigit():
        return False  # 1(z) = ∞ reads 1·z: a number written first is no name the text can define
    if isinstance(left.primary.expr, sympy.Symbol) and left.primary.expr.name.startswith("⟦\\begin"):
        return False  # [μ, σ] = f(ε) as one opaque matrix: the names in it are set by a system, not one name defined
    if standard_quantity(left, context):
        return False
    named = left.primary.expr
    from derivspec.scan.knowledge import OPERATOR_HEADS, head_of

    if head_of(named) in OPERATOR_HEADS:  # H(X, Y), Var(W), KL(p ‖ q): a standard quantity, a claim
        return False
    if isinstance(named, sympy.Pow):
        named = named.base
    head = named.name if isinstance(named, sympy.Symbol) else named.func.__name__
    if head.startswith("d/d"):  # ∂L/∂X, df/dx: a derivative is computed, never defined (DESIGN.md, "Scan")
        return False
    if not defined_above(left, context):
        return True
    from derivspec.scan.definitions import announces_a_new_definition, defined_for_what_follows, instance_of

    if defined_for_what_follows(left.text, context.text, head):
        return True  # f(x) = 1/x → df/dx = -1/x^2: the statement's own example, whatever f meant above
    if instance_of(named, context):  # "for example, h_1 = …" where h_t = … stands: an instance, unless "let", "now"
        return announces_a_new_definition(re.sub(r"\bexamples?\b", "", context.lead_in or "", flags=re.IGNORECASE))
    return announces_a_new_definition(context.lead_in)  # "now let f(x) = x^3": defined anew


def defined_above(left: Side, context: Context) -> bool:
    """A clause above defines the name ``left`` writes (the definitions in force, or any clause that defines the
    same name as read: an update, a name in braces)."""
    if context.in_force is None or not left.readable:
        return False
    named = left.primary.expr.base if isinstance(left.primary.expr, sympy.Pow) else left.primary.expr
    if isinstance(named, sympy.Symbol):
        head, arguments = named.name, None
    elif isinstance(named, sympy.Basic) and hasattr(named, "func"):
        head, arguments = named.func.__name__, named.args
    else:
        return False
    from derivspec.scan.definitions import instance_of

    return context.in_force.latest(head, context, arguments) is not None or \
        context.in_force.defined_above(left.primary.expr, context) or bool(instance_of(named, context))


ANEW = "defined anew: the name is defined above and the text announces a new definition"


def settle_definition(step: StepResult, left: Side, context: Context) -> StepResult:
    """What may be a definition, decided once (DESIGN.md, "Scan": classification by meaning): a step stays
    classed ``definition`` only when its left side is a new name (:func:`defines_new_name`) and no instance
    stands against it; otherwise it is the claim it makes (an identity, an inequality), unchecked with its
    reason and evidence, and it counts in its row."""
    if step.category != "definition":
        return step
    if not step.evidence and defines_new_name(left, step.relation, context):
        if defined_above(left, context):  # "for this example, consider p_A = 0.05": a new meaning, announced
            return dataclasses.replace(step, reason=f"{step.reason}; {ANEW}")
        return step
    reason = step.reason
    if step.verdict == "unchecked" and not step.evidence:  # "names the quantity …": say why it is no definition
        reason = not_a_definition(left.text.strip(), step.reason)
    return dataclasses.replace(step, category=classify.judged_class(step.relation, step.kind), label=False,
                               reason=reason)


def _check_step(left: Side, relation: str, right: Side, context: Context, first: bool) -> StepResult:
    def result(verdict, kind, reason, evidence="", **extra):
        return StepResult(relation, left.text, right.text, verdict, kind, reason, evidence, **extra)

    def unjudged(found: classify.Classification, kind: str = "chain", **extra):
        return result("unchecked", kind, found.why, category=found.name, **extra)

    if relation not in CHECKED_RELATIONS:
        # definitions and statements of context (x ~ N(0, 1), i in S, x -> 0) do not keep a
        # statement's checked steps from counting
        return unjudged(classify.relation_class(relation) or classify.Classification(
            "distribution or set", f"the relation '{relation}' is not checked"),
            label=relation in (":=", "=:", "≡", "∼", "∈", "∉", "⊂", "⊥", "→"))
    if relation == "=":  # probabilities of events: decided on the atoms (events.py), else as before
        around = " ".join((context.prose, context.statement, context.conditional))
        on_atoms = events.judge(left.text, right.text, around, context.seconds, context.event_relations)
        if on_atoms is not None:
            return result(on_atoms.verdict, "chain", on_atoms.reason, on_atoms.evidence, category=on_atoms.category,
                          on_atoms=True)
    sets = classify.sets_or_events(left.text, right.text)
    if sets and not (left.readable and right.readable):
        return unjudged(sets)
    if relation == "=" and (brackets := classify.bracket_notation(left.text, right.text)):
        return unjudged(brackets)
    if relation == "=" and (optimum.ANY_OPTIMUM.search(optimum.normalised(left.text))
                            or optimum.ANY_OPTIMUM.search(optimum.normalised(right.text))):
        judged = _optimum_step(left, right, context, first)
        if judged is not None:
            return judged
    if relation == "=" and not (left.readable and right.readable) and _EXTREMUM.search(left.text + right.text):
        judged = _same_extremum(left, right, context)
        if judged is not None:
            return judged
    for side, name in ((left, "left"), (right, "right")):
        if not side.readable:
            return result("unchecked", "chain", f"the {name} side is not read: {side.error}")
    if relation == "=" and matrices.WRITTEN_OUT.search(left.text + right.text):
        judged = _written_out(left, right, context)
        if judged is not None:
            return judged
    condition = (classify.stationarity(left.text, right.text) if relation == "=" else
                 classify.range_assumption(left.text, relation, right.text, context.chain, first))
    if condition:
        return unjudged(condition, label=relation != "=")
    if context.in_force is not None:  # a name the document defined above: the scope computes it
        judged = _with_definitions(left, relation, right, context, first)
        if judged is not None:
            return judged
    a, b = _values(left.primary, context), _values(right.primary, context)
    chain_rule = leibniz.judge(a, relation, b, matrices=any({"matrix", "vector"} & side.primary.flags
                                                            for side in (left, right)))  # ∂L/∂w = ∂L/∂z ∂z/∂w: on concrete functions
    if chain_rule is not None:
        verdict, reason, evidence = chain_rule
        return result(verdict, "chain", reason, evidence)
    if _numeric(a) and _numeric(b):
        return check_numbers(left, relation, right, context)
    if relation in ("=", "≤", "≥", "<", ">"):
        stated = _stated_products(context)
        judged = probability.judge(a, b, declared=context.families, relation=relation, stated=stated)
        if judged is None:  # E[g(X)] = Σ_x g(x) p(x) with p known as no density: p read as X's law, proofs only
            judged = probability.judge_with_value_laws(a, b, declared=context.families, relation=relation,
                                                       stated=stated)
        if (judged is None or judged.verdict == "disagrees") and ("product" in left.variants
                                                                  or "product" in right.variants):
            judged = _other_reading(judged, probability.judge(
                _values(left.variants.get("product", left.primary), context),
                _values(right.variants.get("product", right.primary), context), declared=context.families,
                relation=relation, stated=stated))
        if judged is not None and judged.verdict == "disagrees" and (a.has(sympy.Derivative) or b.has(
                sympy.Derivative)) and classify.held_fixed(context.prose + " " + context.statement):
            judged = probability.Judgement("unchecked", f"{judged.reason}; but the text holds a quantity fixed while "
                                                        "differentiating (an assumption the instances do not model): "
                                                        "not flagged", judged.evidence)
        context.densities[(left.text, relation, right.text)] = judged
        if judged is not None and judged.verdict != "unchecked":
            return result(judged.verdict, "chain", judged.reason, judged.evidence)
    if relation == "=" and context.samples:
        from derivspec.scan.moments import check_moment

        readings = [b] + [_values(r, context) for n, r in right.variants.items() if n == "product"]
        outcomes = [o for o in (check_moment(left.primary.expr, r, context.samples) for r in readings) if o is not None]
        if outcomes:  # a reading with an undefined function (n(1 - p) as an application) offers no value
            chosen = next((o for o in outcomes if o[0] == "proved"), outcomes[0])
            verdict, reason, evidence, correct = chosen
            return result(verdict, "known", reason, evidence, correct=correct)
    if relation == "=" and first and is_label(left):
        named = left.primary.expr
        if isinstance(named, sympy.Pow):
            named = named.base
        if named not in b.free_symbols and not (algebra.is_opaque_function(named) and b.has(named)):
            fresh = isinstance(named, sympy.Symbol) and not named.name.startswith("⟦")
            label = unjudged(classify.definition(left.text, fresh), label=True)
            if _at_a_point(named) and not context.concrete:  # f(x + h) = f(x) + h f'(x) + …: about f, not naming
                on_instances = instances.judge(a, relation, b, context, context.prose)
                if on_instances is not None:
                    verdict, reason, evidence = on_instances
                    return result(verdict, "chain", reason, evidence)
            if not standard_quantity(left, context) or _numeric(b) or "⟦const⟧" in {s.name for s in b.free_symbols}:
                return label
            # a quantity with one meaning (Var, Cov, KL, H(Y | X), mu_X): decided when the rewrites
            # decide it, else read as the lecture naming it, as before
            decided = check_symbolic(left, relation, right, context, first)
            return decided if decided.verdict != "unchecked" else label
        if not context.chain and classify.LONE_NAME.match(left.text) and (
                named in b.free_symbols or (algebra.is_opaque_function(named) and b.has(named))):
            return unjudged(classify.update(left.text), label=True)
    if _numeric(b) and is_label(left) and relation in ("=", "≈"):
        return unjudged(classify.value(left.text), "number", label=True)
    if "⟦const⟧" in {s.name for s in a.free_symbols | b.free_symbols}:
        return check_up_to_constant(left, relation, right, context)
    if relation == "∝":
        in_densities = probability.proportional(a, b)
        if in_densities is not None:
            return result(in_densities.verdict, "chain", in_densities.reason)
        return check_proportional(left, right, context)
    found = check_symbolic(left, relation, right, context, first)
    assigned = context.in_force.table.assigned_in(context.in_force.position, f"{left.text} {right.text}") if (
        found.verdict == "disagrees" and context.in_force is not None) else ()
    if assigned:  # the document's own definition of a name, in a form the judge cannot use: never a flag
        return dataclasses.replace(found, verdict="unchecked", reason=(
            f"{found.reason}; but the document sets {', '.join(assigned)} by an assignment above (←), which the "
            "judge does not apply: not flagged"))
    return found


def _stated_products(context: Context) -> tuple:
    """(joint, product, line) of every density the document defines above as a product (``p(a, b, c) = p(a) p(b | a)
    p(c | b)``): the factorisations that may be the model of a statement (:func:`probability.factorisation`)."""
    if context.in_force is None:
        return ()
    return tuple((sympy.Function(r.name)(*r.parameters), r.value, r.definition.line)
                 for readings in context.in_force.table.index(context).values() for r in readings
                 if r.exact and isinstance(r.value, sympy.Mul) and r.definition.position < context.in_force.position)


def _other_reading(first, other):
    r"""A difference in probability read one way (``\log p(x|z) p(z)`` as the log of the product), judged the
    other way (the log of p(x|z), times p(z)): a flag needs both readings that are probability statements;
    holding the other way is the reading meant."""
    if other is not None and other.verdict == "disagrees":
        if first is None:  # decided one way only
            return probability.Judgement("unchecked", "differs with the juxtaposition read one way (the log of the "
                                                      "first factor times the next), and the other reading is not "
                                                      "decided: not flagged", other.evidence)
        return first
    if other is not None and (other.verdict == "proved" or "holds on" in other.reason):
        return dataclasses.replace(other, reason="read with the juxtaposition the other way (the log of the first "
                                                 f"factor times the next, or a product for an application): {other.reason}")
    if first is None or other is None:  # the other reading is no probability statement (p(x) as p times x)
        return first
    return probability.Judgement("unchecked", "differs with the juxtaposition read one way (the log of the product "
                                              "of the factors that follow, or an application), but the other reading "
                                              "is not decided: not flagged", first.evidence)


def _with_definitions(left: Side, relation: str, right: Side, context: Context, first: bool) -> StepResult | None:
    """The step judged with the document's definitions in force (:mod:`derivspec.scan.definitions`), or None."""
    from derivspec.scan import definitions

    bare = definitions.without_scope(context)

    def check(left_expr, reading, right_expr) -> StepResult:
        return _check_step(Side(left.text, DocumentReading(left_expr, left.primary.flags, left.primary.literals)),
                           relation, Side(right.text, DocumentReading(right_expr, reading.flags, reading.literals)),
                           bare, False)

    judged = definitions.judge(left, relation, right, context, first, check,
                               lambda: _check_step(left, relation, right, bare, first))
    if judged is None:
        return None
    return StepResult(relation, left.text, right.text, judged.verdict, judged.kind, judged.reason, judged.evidence,
                      correct=judged.correct, label=judged.label, category=judged.category)


def _at_a_point(named) -> bool:
    """An undefined function applied at something other than its variables (``f(x + h)``): a left side
    that does not name a new quantity when the right side speaks of the same function."""
    return isinstance(named, AppliedUndef) and not all(isinstance(a, sympy.Symbol) for a in named.args)


def standard_quantity(side: Side, context: Context) -> bool:
    r"""The side is a lone variance, covariance, conditional entropy, mutual information, KL
    divergence or moment notation (``\mathrm{Var}(X)``, ``\mathrm{Cov}(X, Y)``, ``H(Y \mid X)``,
    ``I(X; Y)``, ``\mathrm{KL}(p \| q)``, ``\mu_X``, ``\sigma_{aX+b}``): a quantity with one meaning,
    which :func:`algebra.canonical_moments` writes through expectations or entropies. A statement
    that starts with one does not name it: it states an identity, checked as such."""
    if not side.readable or not is_label(side):
        return False
    expr = side.primary.expr
    if isinstance(expr, sympy.Pow) and expr.exp == 2:
        expr = expr.base
    if isinstance(expr, sympy.Symbol):
        return algebra.moment_notation(expr) is not None  # mu_X, sigma_{aX+b}: E[X], its standard deviation
    if not algebra.is_opaque_function(expr):
        return False
    if algebra.is_linear_operator(expr) and isinstance(expr.args[0], sympy.Add):
        return True  # E[aX + b]: linearity, not a name
    parens = ("expectation", "[") in context.notations
    try:
        rewritten = algebra.canonical_moments(expr, parens)
    except Exception:
        return False
    return isinstance(rewritten, sympy.Add) or rewritten.has(information.CROSS)


# --- numbers ------------------------------------------------------------------------------------

_NUMBER_TEXT = re.compile(r"^\s*(-?\s*\d+(?:\.\d+)?)\s*$")
_POWER_TEXT = re.compile(r"^\s*(-?)\s*10\s*\^\s*\{?\s*(-?\s*\d+)\s*\}?\s*$")
_MANTISSA_TEXT = re.compile(r"^\s*(-?\s*\d+(?:\.\d+)?)\s*(?:\\times|\\cdot|×|\*)\s*10\s*\^\s*\{?\s*(-?\s*\d+)\s*\}?\s*$")
_WRAPPERS = re.compile(r"\\(?:mathbf|boldsymbol|textbf|bm|mathrm|text|underline|boxed)\s*\{([^{}]*)\}")


def printed_form(text: str):
    """How a number was printed: ('literal', value, unit) for 0.418 or 12, ('power10', k) for
    10^{-4}, ('mantissa', value, unit) for 3 \\times 10^{-4} (unit scaled); None otherwise."""
    from derivspec.core.formula import exact_number

    plain = text
    for _ in range(3):
        plain = _WRAPPERS.sub(r"\1", plain)
    plain = plain.replace("{", "").replace("}", "") if re.fullmatch(r"[\s{}\d.\-]+", plain) else plain
    m = _NUMBER_TEXT.match(plain)
    if m:
        digits = m.group(1).replace(" ", "")
        decimals = len(digits.split(".", 1)[1]) if "." in digits else 0
        return "literal", exact_number(digits), sympy.Rational(1, 10 ** decimals)
    m = _POWER_TEXT.match(plain)
    if m:
        return "power10", int(m.group(2).replace(" ", "")), m.group(1) == "-"
    m = _MANTISSA_TEXT.match(plain)
    if m:
        digits = m.group(1).replace(" ", "")
        decimals = len(digits.split(".", 1)[1]) if "." in digits else 0
        scale = sympy.Integer(10) ** int(m.group(2).replace(" ", ""))
        return "mantissa", exact_number(digits) * scale, sympy.Rational(1, 10 ** decimals) * scale
    return None


def _num_differs(a, b) -> bool:
    scale = max(abs(a), abs(b))
    if scale == 0:
        return False
    return abs(a - b) > mpmath.mpf("1e-30") * scale


def _rounding_agrees(exact, printed, unit, relation: str, truncated: bool = False) -> str:
    """How ``printed`` is ``exact`` cut to ``unit``: "rounded", "truncated" (toward zero: authors often cut digits)
    or "" (neither)."""
    exact = mpmath.mpf(exact)
    printed = mpmath.mpf(sympy.N(printed, 60))
    unit = mpmath.mpf(sympy.N(unit, 60))
    slack = unit * mpmath.mpf("1e-9")
    if abs(exact - printed) <= unit / 2 + slack:
        return "rounded"
    if printed >= 0 and printed - slack <= exact < printed + unit + slack:
        return "truncated"
    if printed <= 0 and printed - unit - slack < exact <= printed + slack:
        return "truncated"
    return ""


def _literal_text(symbol) -> str:
    return symbol.name[1:].split("@", 1)[0]


def _tolerance(reading: DocumentReading, context: Context, exact_texts: frozenset = frozenset()) -> mpmath.mpf:
    """How far the printed rounding of the side's decimal literals can move its value: the sum of
    |d side / d literal| x one unit of the literal's last digit. Literals also written on the
    other side (``exact_texts``: the data the step starts from) are exact."""
    total = mpmath.mpf(0)
    base = reading.expr
    values = {s: v[0] for s, v in reading.literals.items()}
    for symbol, (value, decimals, _) in reading.literals.items():
        if _literal_text(symbol) in exact_texts:
            continue
        unit = sympy.Rational(1, 10 ** decimals)
        derivative = sympy.diff(base, symbol).xreplace(values)
        derivative = _with_bindings(derivative, context)
        v = algebra.evaluate(derivative, {})
        if v is None:
            return mpmath.inf
        total += abs(v) * mpmath.mpf(sympy.N(unit, 40))
    return total


def check_numbers(left: Side, relation: str, right: Side, context: Context) -> StepResult:
    def result(verdict, reason, evidence=""):
        return StepResult(relation, left.text, right.text, verdict, "number", reason, evidence)

    readings = [("", left.primary, right.primary)]
    for name in ("log2", "log10"):
        if name in left.variants or name in right.variants:
            readings.append((name, left.variants.get(name, left.primary), right.variants.get(name, right.primary)))
    outcomes = []
    for name, lr, rr in readings:
        outcomes.append((name, _compare_numbers(lr, relation, rr, right, context)))
    verdict, reason, evidence = outcomes[0][1]
    if verdict == "proved" or verdict == "unchecked":
        return result(verdict, reason, evidence)
    for name, (v, r, e) in outcomes[1:]:
        if v == "proved":
            base = name[3:]
            if context.log_base is not None and int(base) == context.log_base:
                return result("proved", f"{r} (logs in base {base}, as the lecture says)", e)
            return result("unchecked", f"holds if log is base {base} ({r}); wrong with natural logs", evidence)
    return result("disagrees", reason, evidence)


def _compare_numbers(lr: DocumentReading, relation: str, rr: DocumentReading, right: Side, context: Context):
    a = algebra.evaluate(_values(lr, context), {})
    b = algebra.evaluate(_values(rr, context), {})
    if a is None or b is None:
        return "unchecked", "a side has no real value", ""
    a_text, b_text = mpmath.nstr(a, 10), mpmath.nstr(b, 10)
    printed = printed_form(right.text)
    truncated = getattr(right, "truncated", False)
    if relation in ("=", "≈"):
        if printed is not None and printed[0] == "power10" and relation == "≈":
            if printed[2]:
                a = -a
            if a <= 0:
                return "disagrees", f"the left side is {a_text}, not near 10^{printed[1]}", f"left = {a_text}"
            magnitude = mpmath.log10(a)
            if abs(magnitude - printed[1]) <= 0.5 + 1e-12:
                return "proved", f"{a_text} is of the order 10^{printed[1]}", f"left = {a_text}"
            return "disagrees", f"{a_text} is not of the order 10^{printed[1]}", f"left = {a_text}, log10 = {mpmath.nstr(magnitude, 5)}"
        if printed is not None and printed[0] in ("literal", "mantissa"):
            _, value, unit = printed
            if printed[0] == "literal" and unit == 1 and relation == "=" and not truncated:
                # an exact whole number: equality must be exact
                if not _num_differs(a, b):
                    return "proved", "equal", f"left = {a_text}"
                return "disagrees", f"the left side is {a_text}, not {b_text}", f"left = {a_text}, right = {b_text}"
            if truncated:
                if _rounding_agrees(a, value, unit, "trunc", truncated=True):
                    return "proved", f"{a_text} begins with the printed {b_text}...", f"left = {a_text}"
            elif (cut := _rounding_agrees(a, value, unit, relation)) == "truncated" and relation == "=":
                # = with the digits cut, not rounded, and no "…": neither proved (it is not the value to those
                # digits) nor flagged (authors cut digits)
                return "unchecked", (f"the printed {b_text} is {a_text} truncated, not rounded (to "
                                     f"{_digits(unit)}): '=' with digits cut is left unchecked"), f"left = {a_text}"
            elif cut:
                exact = "equal" if not _num_differs(a, b) else f"{a_text} {'rounds' if cut == 'rounded' else 'is cut'} to the printed {b_text}"
                return "proved", exact, f"left = {a_text}"
            return ("disagrees", f"the left side is {a_text}; the printed {b_text} is neither it rounded nor truncated "
                    f"to {_digits(unit)}", f"left = {a_text} (exact), right as printed = {b_text}, "
                    f"off by {mpmath.nstr(abs(a - b), 3)}")
        exact_texts = frozenset(_literal_text(sym) for sym in lr.literals)
        tolerance = _tolerance(rr, context, exact_texts)
        gap = abs(a - b)
        if not _num_differs(a, b):
            return "proved", "equal", f"both = {a_text}"
        if gap <= tolerance * (1 + mpmath.mpf("1e-9")):
            return "proved", f"agrees within the rounding of the printed numbers (±{mpmath.nstr(tolerance, 3)})", \
                f"left = {a_text}, right = {b_text}"
        return ("disagrees", f"the sides differ by {mpmath.nstr(gap, 3)}, more than the rounding of the printed "
                f"numbers allows (±{mpmath.nstr(tolerance, 3)})", f"left = {a_text}, right = {b_text}")
    if relation in ("≤", "≥", "<", ">"):
        tolerance = _tolerance(rr, context, frozenset(_literal_text(sym) for sym in lr.literals))
        holds = {"≤": a <= b + tolerance, "≥": a >= b - tolerance, "<": a < b + tolerance, ">": a > b - tolerance}[relation]
        if holds:
            return "proved", f"{a_text} {relation} {b_text}", ""
        return "disagrees", f"{a_text} {relation} {b_text} is false", f"left = {a_text}, right = {b_text}"
    return "unchecked", f"'{relation}' between numbers is not checked", ""


def _digits(unit) -> str:
    unit = sympy.nsimplify(unit)
    if unit >= 1:
        return "a whole number" if unit == 1 else f"a multiple of {unit}"
    decimals = int(round(-mpmath.log10(mpmath.mpf(sympy.N(unit, 30)))))
    return f"{decimals} decimal{'s' if decimals != 1 else ''}"


# --- chains ---------------------------------------------------------------------------------------

@dataclass
class Comparison:
    status: str  # proved | differs | agrees | opaque | unevaluable | timeout
    detail: str = ""
    points: algebra.PointComparison | None = None
    symbols_left: set = field(default_factory=set)
    symbols_right: set = field(default_factory=set)
    atoms: algebra.Atoms | None = None
    difference: sympy.Expr | None = None
    plain_left: frozenset = frozenset()  # names outside the opaque parts, after the rewrites
    plain_right: frozenset = frozenset()


def _prepared(reading: DocumentReading, context: Context, atoms: algebra.Atoms, parens: bool | None = None,
              constants: frozenset = frozenset(), log_base=None) -> sympy.Expr:
    expr = _values(reading, context)
    expr = algebra.normal_form(expr, parens, constants, log_base if log_base is not None else context.log_base)
    expr = algebra.atomize(expr, atoms)
    expr, _ = algebra.positive_world(expr)
    return expr


def compare(lr: DocumentReading, rr: DocumentReading, context: Context, prove: bool = True,
            inequality: str | None = None, log_base: int | None = None) -> Comparison:
    """The two readings compared; ``log_base``: the base of the readings' logs when it is not the
    lecture's (a variant read in base 2 or 10)."""
    atoms = algebra.Atoms()
    try:
        parens = ("expectation", "[") in context.notations or algebra.writes_square_expectation(lr.expr, rr.expr)
        constants = algebra.outside_symbols(_values(lr, context), _values(rr, context)) | _named_numbers(lr, rr, context)
        a = _prepared(lr, context, atoms, parens, constants, log_base)
        b = _prepared(rr, context, atoms, parens, constants, log_base)
    except Exception as error:
        return Comparison("unevaluable", f"cannot prepare the sides ({type(error).__name__})")
    atom_symbols = atoms.symbols
    plain_a = {s for s in a.free_symbols if s not in atom_symbols}
    plain_b = {s for s in b.free_symbols if s not in atom_symbols}
    bound = {s.name for s in context.bindings}
    names_a = _moment_names({s.name for s in lr.names_used} | {s.name for s in plain_a}) - bound - _dummies(lr.expr)
    names_b = _moment_names({s.name for s in rr.names_used} | {s.name for s in plain_b}) - bound - _dummies(rr.expr)
    constraints = {s: c for s, c in context.constraints.items()}
    positive_constraints = {}
    for s, c in constraints.items():
        positive_constraints[sympy.Symbol(s.name, positive=True)] = c
    points = algebra.box_points(plain_a | plain_b, constraints=positive_constraints)
    outcome = algebra.compare_at_points(a, b, points, atom_symbols, seconds=context.seconds)
    comparison = Comparison("agrees", points=outcome, symbols_left=names_a, symbols_right=names_b, atoms=atoms,
                            difference=None, plain_left=frozenset(s.name for s in plain_a) - bound,
                            plain_right=frozenset(s.name for s in plain_b) - bound)
    if outcome.evaluated == 0:
        comparison.status = "unevaluable"
        comparison.detail = "no point of the box gives both sides a real value"
        return comparison
    try:  # an opaque part left in the difference is an unknown value, whatever the points say
        opaque_left = bool(sympy.expand(a - b).free_symbols & atom_symbols)
    except Exception:
        opaque_left = bool(atom_symbols)
    if outcome.depends_on_atoms or (outcome.differing and opaque_left):
        comparison.status = "opaque"
        used = {s for s in (a - b).free_symbols if s in atom_symbols}
        comparison.detail = f"the sides differ by terms in {atoms.describe(used) or 'undefined functions'} that do not cancel"
        comparison.difference = _rearrangement(a, b, atom_symbols, atoms.table)
        return comparison
    scalars = not ({"matrix", "vector"} & (lr.flags | rr.flags))  # non-commuting names have no such certificate
    if prove and inequality and scalars and not ((a - b).free_symbols & atom_symbols):  # a polynomial inequality
        larger_minus_smaller = b - a if inequality in ("≤", "<") else a - b
        why = algebra.nonnegative_certificate(larger_minus_smaller, strict=inequality in ("<", ">"),
                                              seconds=min(2.0, context.seconds))
        if why is not None:
            comparison.status = "proved"
            comparison.detail = why
            return comparison
    if outcome.differing:
        comparison.status = "differs"
        return comparison
    if prove:
        try:
            how = algebra.prove_zero(sympy.expand(a - b) if not inequality else a - b, seconds=min(2.0, context.seconds))
        except Exception:
            how = None
        if how is not None:
            comparison.status = "proved"
            comparison.detail = how
            return comparison
    comparison.detail = f"agrees at {outcome.evaluated} exact points (evidence, not proof)"
    return comparison


def _moment_names(names: set) -> set:
    r"""``\mu_{aX+b}`` counts as the names it is written with (a, X, b): it is E[aX + b]."""
    out = set()
    for name in names:
        inner = algebra.moment_names(name)
        out |= inner if inner is not None else {name}
    return out


def _dummies(expr) -> set:
    """Names that are only integration or summation variables of ``expr`` (bound, never free)."""
    try:
        dummies = {limit[0].name for node in sympy.preorder_traversal(expr)
                   if isinstance(node, (sympy.Integral, sympy.Sum, sympy.Product)) for limit in node.limits}
        return dummies - {s.name for s in expr.free_symbols}
    except Exception:
        return set()


def _nonzero_coefficient(c) -> bool:
    """A coefficient that is a nonzero number, or an expression in the step's symbols that is
    nonzero at every point of the box (a - a^2: the step would hold only at a = 0 or 1)."""
    if c.is_number:
        return bool(c.is_nonzero)
    points = algebra.box_points(c.free_symbols, count=8, seed=17)
    values = [algebra.evaluate(c, point) for point in points]
    return all(v is not None and abs(v) > mpmath.mpf("1e-30") for v in values)


def _nonzero_function(difference, parts) -> bool:
    """The difference (a function of the opaque parts and the step's symbols) is nonzero at every
    point where it has a real value, at 12 points of which at least 6 have one; each nonzero
    value confirmed at 120 digits."""
    symbols = sorted(difference.free_symbols, key=lambda x: x.name)
    rng = random.Random(29)
    evaluated = 0
    for _ in range(12):
        point = {x: sympy.Rational(rng.randint(1, 60), rng.randint(1, 60)) for x in symbols}
        value = algebra.evaluate(difference, point)
        if value is None:
            continue
        evaluated += 1
        confirm = algebra.evaluate(difference, point, digits=120)
        if abs(value) <= mpmath.mpf("1e-30") or confirm is None or abs(confirm) <= mpmath.mpf("1e-60"):
            return False
    return evaluated >= 6


def _log_probability(part) -> bool:
    r"""``\log P(\dots)``, a sum of such logs, or an expected log-density ``E_A[\log b]``: a term no
    argument shows to be its own negative (it would be 0 only where every probability is 1)."""
    from derivspec.scan.reader import is_opaque_function

    if getattr(part, "func", None) == information.CROSS:
        return True
    while isinstance(part, sympy.Sum):
        part = part.function
    return isinstance(part, sympy.log) and is_opaque_function(part.args[0])


def _rearrangement(a: sympy.Expr, b: sympy.Expr, atom_symbols: set, table: dict | None = None) -> sympy.Expr | None:
    r"""``a - b`` when the step only changes how opaque terms that both sides have are combined.

    The difference must be a polynomial -- or, failing that, a function nonzero wherever it has a
    value (``\sqrt{V} - V``) -- with numeric coefficients (or coefficients nonzero on the box) and
    no constant term, in opaque parts (``\mathbb{E}_q[\log p(z)]``, ``H(X)``, ``\mathbb E[X]``), each of
    them on both sides of the step. Whatever those parts mean, the step then claims a relation
    between quantities the lecture keeps distinct on both sides, which no rule of probability
    supplies (a rule relates *different* parts: ``\log p(x, z)`` and ``\log p(x \mid z) + \log
    p(z)``, ``\mathbb E[XY]`` and ``\mathbb E[X]\mathbb E[Y]`` under independence). One part
    alone is enough only when both sides are sums of several terms: ``\mathbb{E}[X] =
    -\mathbb{E}[X]`` is how a symmetry argument shows that a mean is zero, while ``A + B - 2C = A
    + B + 2C`` changes one term of a longer expression -- or when the one part is a log-probability
    (:func:`_log_probability`): ``\log P(D) = -\sum_i \log P(y_i)`` after the product rule is a sign
    slip, never a symmetry argument."""
    try:
        difference = sympy.expand(a - b)
        parts = difference.free_symbols & set(atom_symbols)
        plain = difference.free_symbols - parts
        if not parts:
            return None
        if not all(part in a.free_symbols and part in b.free_symbols for part in parts):
            return None
        if not all(s in a.free_symbols and s in b.free_symbols for s in plain):
            return None
        if len(parts) == 1 and min(len(sympy.Add.make_args(sympy.expand(a))),
                                   len(sympy.Add.make_args(sympy.expand(b)))) < 2:
            back = {v: k for k, v in (table or {}).items()}
            if not _log_probability(back.get(next(iter(parts)))):
                return None
        ordered = sorted(parts, key=lambda x: x.name)
        if not difference.is_polynomial(*ordered):
            # sqrt(V) = V: not a polynomial in the parts; nonzero wherever the parts have values
            return difference if _nonzero_function(difference, parts) else None
        poly = sympy.Poly(difference, *ordered)
        if poly.is_zero or poly.coeff_monomial(1) != 0:
            return None
        if not all(_nonzero_coefficient(c) for c in poly.coeffs()):
            return None
        return difference
    except Exception:
        return None


def _describe_point(first: dict, names: DocumentNames) -> str:
    if not first:
        return ""
    where = algebra.point_text(first["point"]) or "any values"
    return f"at {where}: left = {first['left']}, right = {first['right']}"


def _convention_substitution(context: Context, names: set) -> dict:
    subs = {}
    for symbol, expr, _ in context.conventions:
        if symbol.name in names:
            subs[symbol] = expr
    return subs


SCALAR_READING_DIFFERS = ("the sides differ when vectors and matrices are read as scalars; not compared as "
                          "matrices (no flag from a scalar reading)")


def check_symbolic(left: Side, relation: str, right: Side, context: Context, first: bool) -> StepResult:
    """The step compared as algebra; an undecided step about a function the lecture leaves
    arbitrary is tried again with concrete functions (:func:`_with_concrete_functions`)."""
    found = _symbolic(left, relation, right, context, first)
    if found.verdict == "unchecked" and relation == "=" and left.readable and right.readable:
        reason = parameter_derivatives.proves(_values(left.primary, context), _values(right.primary, context),
                                              context.names)
        if reason:
            return StepResult(relation, left.text, right.text, "proved", "chain", reason)
    if found.verdict == "unchecked" and relation == "=" and left.readable and right.readable:
        gaussian = _with_gaussian_log_densities(left, relation, right, context, first)
        if gaussian is not None:
            return gaussian
    if found.verdict == "unchecked" and not context.concrete and relation == "=" and left.readable and right.readable:
        a, b = _values(left.primary, context), _values(right.primary, context)
        on_instances = instances.judge(a, relation, b, context, context.prose)
        functions = (instances.undefined(a, context) or set()) | (instances.undefined(b, context) or set())
        if on_instances is not None and (not (left.variants or right.variants)
                                         or functions <= instances.differentiated(a) | instances.differentiated(b)):
            verdict, reason, evidence = on_instances
            return StepResult(relation, left.text, right.text, verdict, "chain", reason, evidence)
    if found.verdict == "unchecked" and not context.concrete and left.readable and right.readable:
        from derivspec.scan import expectations  # Jensen's inequality, E[X^2] >= E[X]^2: on finite distributions

        on_laws = expectations.judge(_values(left.primary, context), relation, _values(right.primary, context),
                                     context)
        if on_laws is not None:
            verdict, reason, evidence = on_laws
            return StepResult(relation, left.text, right.text, verdict, "chain", reason, evidence)
    if found.verdict == "unchecked" and not context.concrete:
        return (_with_concrete_functions(left, relation, right, context, first)
                or _with_sums_written_out(left, relation, right, context, first) or found)
    return found


def _with_gaussian_log_densities(left: Side, relation: str, right: Side, context: Context,
                                 first: bool) -> StepResult | None:
    r"""A step that differentiates a Gaussian log-density, judged with the density written out
    (:mod:`derivspec.scan.gaussian_log_density`): proved or flagged only when every reading of N's
    second argument (a variance; a standard deviation when it is a bare name) agrees, else unchecked."""
    found = gaussian_log_density.readings(left.primary, right.primary, left.text, right.text, context.normal_laws,
                                          context.definitions, context.names)
    if not found:
        return None
    # a derivative written out is an identity, judged as a link of a chain -- unless a side is a number
    # (d/dmu sum_i log N(x_i; mu, sigma^2) = 0: the condition an estimate solves)
    numeric = _numeric(left.primary.expr) or _numeric(right.primary.expr)
    inner = context if numeric else dataclasses.replace(context, chain=True)
    outcomes = []
    for reading in found:
        def mapped(side: Side, reading=reading) -> Side:
            def one(r: DocumentReading) -> DocumentReading:
                flags = r.flags - {"matrix", "vector"} if reading.per_coordinate else r.flags
                return DocumentReading(reading.rewrite(r.expr), flags, r.literals, r.names_used)
            return Side(side.text, one(side.primary), variants={k: one(v) for k, v in side.variants.items()})
        try:
            outcomes.append((reading, _symbolic(mapped(left), relation, mapped(right), inner, first)))
        except Exception:  # a density or derivative SymPy cannot carry through: no reading, no verdict
            return None
    how = "; ".join(dict.fromkeys(r.shown for r, _ in outcomes))
    how = f"reading {how}" + (" (per coordinate: an isotropic covariance)" if found[0].per_coordinate else "")
    verdicts = [o.verdict for _, o in outcomes]
    first_outcome = outcomes[0][1]
    if verdicts == ["proved"] * len(outcomes):
        return StepResult(relation, left.text, right.text, "proved", "chain", f"{first_outcome.reason}, {how}")
    if verdicts == ["disagrees"] * len(outcomes):
        both = (" under both readings of N's second argument (a variance, a standard deviation)"
                if len(outcomes) > 1 else "")
        correct = ""
        try:
            lhs = sympy.simplify(found[0].rewrite(_values(left.primary, context)))
            if not lhs.has(sympy.Sum):
                correct = f"{left.text} = {gaussian_log_density.latex(lhs)}" + (
                    " (N's second argument a variance)" if len(outcomes) > 1 else "")
        except Exception:
            correct = ""
        return StepResult(relation, left.text, right.text, "disagrees", "chain",
                          f"{first_outcome.reason}{both}, {how}", first_outcome.evidence, correct=correct)
    held = [r.label for r, o in outcomes if o.verdict == "proved"]
    if held:
        return StepResult(relation, left.text, right.text, "unchecked", "chain",
                          f"holds when N's second argument is read as {held[0]}, not under the other reading; {how}")
    return None


def _with_sums_written_out(left: Side, relation: str, right: Side, context: Context, first: bool) -> StepResult | None:
    r"""A step with sums or products up to a symbolic limit T, judged with T = 3, 4, 5, 6 and the
    sums expanded (:mod:`derivspec.scan.finite_sums`): flagged only when it fails for every value
    (each failure under the usual rules), evidence when it holds for every value, else None."""
    limit = finite_sums.limit_symbol(left.primary.expr, right.primary.expr)
    if limit is None or limit.name.startswith("⟦"):  # a sum over an unstated range (\sum_m) has no limit to set
        return None

    def side_at(side: Side, value: int) -> Side:
        def at(expr):  # a derivative of a product written out is taken (the product rule, by SymPy)
            expr = finite_sums.written_out(expr, limit, value, context.names.symbol)
            return expr.replace(lambda e: isinstance(e, sympy.Derivative) and e.expr.is_Mul, lambda e: e.doit())
        return _mapped_side(side, at)

    # written out, the step rearranges the same terms: judged as a link of a chain (a definition or
    # a condition has a name or a symbol on one side only, which the rules still keep from a flag)
    inner = dataclasses.replace(context, concrete=True, chain=True)
    outcomes = []
    for value in finite_sums.LIMIT_VALUES:  # until one value's outcome leaves neither verdict possible
        try:
            outcome = _symbolic(side_at(left, value), relation, side_at(right, value), inner, first)
        except Exception:  # a sum SymPy cannot write out: no instance, no verdict
            return None
        outcomes.append((value, outcome))
        if {o.verdict for _, o in outcomes} not in ({"disagrees"}, {"proved"}) or (
                outcome.verdict == "disagrees" and not outcome.reason.startswith(_REARRANGED)):
            return None  # neither every value rearranging terms wrongly nor every one holding: the rest untried
    values = ", ".join(str(value) for value, _ in outcomes)
    verdicts = {o.verdict for _, o in outcomes}
    name = context.names.latex.get(limit, limit.name)
    if verdicts == {"disagrees"} and not any(finite_sums.has_moments(side.primary.expr) for side in (left, right)):
        # only opaque terms combined otherwise (written-out free symbols may carry a constraint the
        # document states, sum_i p_i = 1; moments of products may rest on independence)
        value, failure = outcomes[0]
        return StepResult(relation, left.text, right.text, "disagrees", "chain",
                          f"fails for {name} = {values} with the sums written out: {failure.reason}",
                          f"at {name} = {value}: {failure.evidence}")
    if verdicts == {"proved"}:
        return StepResult(relation, left.text, right.text, "unchecked", "chain",
                          f"holds on {len(outcomes)} instances ({name} = {values}, the sums written out): "
                          f"evidence for every {name}, not proof")
    return None


def _mapped_side(side: Side, transform) -> Side:
    """``side`` with ``transform`` applied to the expression of each of its readings (an instance)."""
    def mapped(reading: DocumentReading) -> DocumentReading:
        return DocumentReading(transform(reading.expr), reading.flags, reading.literals, reading.names_used)
    return Side(side.text, mapped(side.primary), variants={k: mapped(v) for k, v in side.variants.items()})


def _with_concrete_functions(left: Side, relation: str, right: Side, context: Context, first: bool) -> StepResult | None:
    r"""A step about one function letter the document leaves arbitrary, judged for f(x) = x, 2x + 1
    and e^x (:mod:`derivspec.scan.functions`): flagged only when it fails for all three (each
    failure under the usual rules), evidence when it holds for all three, else None."""
    letter = functions.free_function(left.primary.expr, right.primary.expr, defined=context.defined_functions)
    if letter is None:
        return None
    inner = dataclasses.replace(context, concrete=True)
    try:
        outcomes = []
        for family in functions.FAMILIES:
            def instance(expr, family=family):
                return functions.concrete(expr, letter, family)
            outcomes.append((family, _symbolic(_mapped_side(left, instance), relation, _mapped_side(right, instance),
                                               inner, first)))
            if {o.verdict for _, o in outcomes} not in ({"disagrees"}, {"proved"}):
                return None  # neither every function failing nor every one holding: no verdict, the rest untried
    except Exception:  # a concrete function SymPy cannot carry through: no instance, no verdict
        return None
    tried = ", ".join(f"{letter}(x) = {shown}" for shown, _ in functions.FAMILIES.values())
    verdicts = {o.verdict for _, o in outcomes}
    if verdicts == {"disagrees"} and not functions.scope_ambiguous(
            left.text, right.text, read=lambda t: read_document(t, context.names, context.bare).expr):
        family, first_failure = outcomes[0]
        return StepResult(relation, left.text, right.text, "disagrees", "chain",
                          f"fails for every concrete function {letter} tried ({tried}): {first_failure.reason}",
                          f"with {letter}(x) = {functions.FAMILIES[family][0]}: {first_failure.evidence}")
    if verdicts == {"proved"}:
        return StepResult(relation, left.text, right.text, "unchecked", "chain",
                          f"holds on {len(outcomes)} instances of the function {letter} ({tried}): "
                          "concrete functions, evidence, not proof")
    return None


_SIGN_SENSITIVE = (sympy.Abs, sympy.Max, sympy.Min, sympy.sign, sympy.Heaviside, sympy.Piecewise)


def _differs_at_negative_values(left: Side, right: Side, context: Context) -> str:
    r"""Where the comparison proved a step by taking its names positive (``|x| = x``, ``\max(0, x) = x``,
    ``\sqrt{x^2} = x``) and the sides use a function that tells signs apart: the first point with negative values
    (names not known positive; counts stay counts) where both sides are real and differ, shown; else ""."""
    try:
        a, b = _values(left.primary, context), _values(right.primary, context)
    except Exception:  # noqa: BLE001 -- nothing to evaluate: the proof stands as it was
        return ""
    if not any(e.has(*_SIGN_SENSITIVE) or any(p.exp.is_Rational and not p.exp.is_integer for p in e.atoms(sympy.Pow))
               for e in (a, b)):
        return ""
    stated = {s for s, (low, _) in (context.constraints or {}).items() if low is not None and low >= 0}
    names = sorted((s for s in a.free_symbols | b.free_symbols if isinstance(s, sympy.Symbol) and not s.is_positive
                    and s not in stated and not algebra.is_integer_name(s) and not s.name.startswith(("⟦", "⟨"))),
                   key=lambda s: s.name)
    for values in ((-2,), (-3, 5), (5, -3), (-1, -4)):
        point = {s: sympy.Integer(values[k % len(values)]) for k, s in enumerate(names)}
        if not point:
            return ""
        va, vb = algebra.evaluate(a, point), algebra.evaluate(b, point)
        if va is not None and vb is not None and symbolic._differs(va, vb):
            shown = ", ".join(f"{_latex(s, context)} = {v}" for s, v in point.items())
            return f"at {shown} the sides are {sympy.nsimplify(va)} and {sympy.nsimplify(vb)}"
    return ""


def _symbolic(left: Side, relation: str, right: Side, context: Context, first: bool) -> StepResult:
    def result(verdict, reason, evidence="", **extra):
        return StepResult(relation, left.text, right.text, verdict, "chain", reason, evidence, **extra)

    inequality = relation if relation in ("≤", "≥", "<", ">") else None
    primary = compare(left.primary, right.primary, context, inequality=inequality)
    notes = []
    if {"matrix"} & (left.primary.flags | right.primary.flags):
        notes.append("vectors and matrices read as scalars")

    # conventional definitions (DDPM: beta_t = 1 - alpha_t, bar alpha_t = alpha_t bar alpha_{t-1})
    if primary.status in ("differs", "agrees") and primary.symbols_left != primary.symbols_right and context.conventions:
        subs = _convention_substitution(context, primary.symbols_left ^ primary.symbols_right)
        if subs:
            expanded = {context.names.symbol(n) for e in subs.values() for n in (str(x) for x in e.free_symbols)}
            lr = DocumentReading(left.primary.expr.xreplace(subs), left.primary.flags, left.primary.literals,
                                 frozenset((set(left.primary.names_used) - set(subs)) | (expanded if left.primary.names_used & set(subs) else set())))
            rr = DocumentReading(right.primary.expr.xreplace(subs), right.primary.flags, right.primary.literals,
                                 frozenset((set(right.primary.names_used) - set(subs)) | (expanded if right.primary.names_used & set(subs) else set())))
            again = compare(lr, rr, context, inequality=inequality)
            used = "; ".join(text for s, _, text in context.conventions if s in subs)
            if again.status in ("proved", "differs", "agrees"):
                again.detail = (again.detail + f" (using {used})").strip()
                primary = again

    if inequality:
        return _inequality_verdict(left, relation, right, context, primary, first, notes)

    if primary.status == "proved":
        reason = f"proved: {primary.detail}" if primary.detail and primary.detail != "identical" else "proved (the sides are identical)"
        negative = _differs_at_negative_values(left, right, context)
        if negative:
            return result("unchecked", f"holds for positive values of the names only ({negative}); nothing says they "
                                       "are positive: not proved, not flagged")
        if "matrix" in " ".join(notes) or "vectors" in " ".join(notes):
            return result("unchecked", "holds for scalars (vectors and matrices read as 1x1); not proved for matrices",
                          primary.detail)
        return result("proved", reason)
    if primary.status in ("agrees", "opaque") and ("product" in left.variants or "product" in right.variants):
        alt = compare(left.variants.get("product", left.primary), right.variants.get("product", right.primary), context)
        if alt.status == "proved":
            return result("proved", f"proved reading a bracket after a name as a product: {alt.detail}")
    if primary.status == "agrees":
        return result("unchecked", primary.detail)
    if primary.status in ("opaque", "unevaluable", "timeout"):
        if primary.status == "opaque":
            flagged = _rearranged_opaque(left, relation, right, context, primary, notes)
            if flagged is not None:
                return result("disagrees", *flagged)
        return result("unchecked", primary.detail or primary.status)

    # primary.status == "differs"
    evidence = _describe_point(primary.points.first, context.names)
    for name in ("product", "log2", "log10"):
        if name in left.variants or name in right.variants:
            alt = compare(left.variants.get(name, left.primary), right.variants.get(name, right.primary), context,
                          log_base=_variant_base(name))
            if alt.status in ("proved", "agrees"):
                what = {"product": "reading a bracket after a name as a product",
                        "log2": "log is base 2", "log10": "log is base 10"}[name]
                if name.startswith("log") and context.log_base is not None and int(name[3:]) == context.log_base:
                    return result("proved", f"proved with logs in base {name[3:]}, as the lecture says")
                return result("unchecked", f"holds if {what}; differs otherwise", evidence)
            if alt.status != "differs":
                return result("unchecked", f"differs as read, but not when {name} is read otherwise", evidence)
    guard = _guard(left, relation, right, context, primary, first)
    if guard:
        return result("unchecked", guard, evidence)
    if notes:  # vectors and matrices read as scalars: a scalar difference is no evidence about the matrices
        return result("unchecked", SCALAR_READING_DIFFERS, evidence)
    why = "the two sides differ"
    if primary.points.differing < primary.points.evaluated:
        why += f" at {primary.points.differing} of {primary.points.evaluated} exact points"
    return result("disagrees", why + " (confirmed at 120 and 240 digits)" + (f"; {notes[0]}" if notes else ""), evidence)


_REARRANGED = "the step changes how terms that both sides contain are combined"


def _rearranged_opaque(left: Side, relation: str, right: Side, context: Context, primary: Comparison,
                       notes: list) -> tuple[str, str] | None:
    """(reason, evidence) when a chain step only changes the coefficients of opaque terms that
    both of its sides have (:func:`_rearrangement`), under every reading of the step; else None."""
    if (relation != "=" or not (context.chain or standard_quantity(left, context)) or context.conditional or notes
            or primary.difference is None
            or (primary.plain_left ^ primary.plain_right) & {x.name for x in primary.difference.free_symbols}
            or _vector_dimension(left, right)):
        return None
    for name in set(left.variants) | set(right.variants):  # every other reading must agree
        alt = compare(left.variants.get(name, left.primary), right.variants.get(name, right.primary), context,
                      prove=False, log_base=_variant_base(name))
        if alt.status == "differs" or (alt.status == "opaque" and alt.difference is not None):
            continue
        if name == "product" and alt.status == "opaque" and _unread_under_product(alt, primary):
            continue  # the bracket-as-product reading leaves a side unread: it offers no other meaning
        if name == "product" and _only_log_densities(primary):
            continue  # p(x) is the density of the distribution p the step takes a KL or an expectation under
        return None
    back = {v: k for k, v in primary.atoms.table.items()}
    shown = primary.difference.xreplace({x: sympy.Symbol(algebra.pretty(back[x])) for x in
                                         primary.difference.free_symbols if x in back})
    return (_REARRANGED + ": it would need the "
            "relation left - right = 0 between them, which no rule supplies (exact, for every reading)",
            f"left - right = {sympy.sstr(shown)}")


def _only_log_densities(primary: Comparison) -> bool:
    """Every opaque part of the difference is an expected log-density E_A[log b]
    (:data:`information.CROSS`): the names in it are distributions, their brackets densities."""
    back = {v: k for k, v in primary.atoms.table.items()}
    parts = primary.difference.free_symbols
    return bool(parts) and all(getattr(back.get(x), "func", None) == information.CROSS for x in parts)


def _variant_base(name: str) -> int | None:
    """The log base of a variant reading (``log2``, ``log10``); None for the others."""
    return int(name[3:]) if name.startswith("log") and name[3:].isdigit() else None


def _unread_under_product(alt: Comparison, primary: Comparison) -> bool:
    """Whether reading brackets as products left part of a side unread (a ``⟦…⟧`` blob the
    primary reading does not have)."""
    def blobs(comparison):
        return {str(k) for k in comparison.atoms.table} if comparison.atoms else set()
    return any("⟦" in b for b in blobs(alt) - blobs(primary))


def _guard(left: Side, relation: str, right: Side, context: Context, comparison: Comparison, first: bool) -> str:
    """Why a confirmed difference is not reported ("" when it is)."""
    if relation == "≈":
        return "an approximation between expressions (≈ is not checked symbolically)"
    if context.conditional:
        return context.conditional
    if comparison.symbols_left != comparison.symbols_right:
        left_only = comparison.symbols_left - comparison.symbols_right
        right_only = comparison.symbols_right - comparison.symbols_left
        only_left = sorted(_latex_name(n, context) for n in left_only)
        only_right = sorted(_latex_name(n, context) for n in right_only)
        # a symbol that disappears in a derivation step must cancel -- unless the text gives it a value
        words = [n for n in left_only if n.startswith((r"\mathrm{", "⟦"))]
        remaining = [n for n in comparison.symbols_right if not n.startswith((r"\mathrm{", "⟦", "⟨"))]
        vanishing = (context.chain and not right_only and not words and remaining
                     and not _value_given(left_only, context))
        if not vanishing:
            parts = []
            if only_left:
                parts.append(f"{', '.join(only_left)} only on the left")
            if only_right:
                parts.append(f"{', '.join(only_right)} only on the right")
            return ("the sides use different symbols (" + "; ".join(parts) + "): a definition, a substitution from the "
                    "text or an example value may connect them")
    if _vector_dimension(left, right):
        return "vectors or matrices with a dimension symbol: read as scalars, the dimension would be wrong"
    points = comparison.points
    if points.differing < max(2, points.evaluated // 2):
        return f"differs at only {points.differing} of {points.evaluated} points: possibly an identity on part of the domain"
    if not context.chain:
        # a single equation: an identity only if its sides never agree
        if 0 in points.signs or len(points.signs - {0}) > 1:
            return "a single equation whose sides agree somewhere: it may be a condition to solve, not an identity"
        extra = algebra.compare_at_points(*_sides_for_sign_test(left, right, context), seed=11, seconds=context.seconds)
        if 0 in extra.signs or len((extra.signs | points.signs) - {0}) > 1 or extra.depends_on_atoms:
            return "a single equation whose sides agree somewhere: it may be a condition to solve, not an identity"
    return ""


_MATRIX_TEXT = re.compile(r"\\mathbf|\\boldsymbol|\\bm\b|\\vec|\^\s*\{?\s*\\top|\^\s*T\b|\\\||\\lVert|\\Vert|\\det|"
                          r"\\operatorname\{tr\}|\\mathrm\{tr\}|\\langle|\\odot|\\Sigma")


_DIVERGENCE = re.compile(r"(KL[^()]{0,16}\()([^()]*(?:\([^()]*\)[^()]*)*)\)")


def _vector_dimension(left: Side, right: Side) -> bool:
    """Vectors or matrices and a dimension name (d, n, k, N, ...) in the step (the bar between a
    KL's arguments is not a norm)."""
    text = _DIVERGENCE.sub(lambda m: m.group(1) + m.group(2).replace(r"\|", ",") + ")", left.text + " " + right.text)
    if not _MATRIX_TEXT.search(text):
        return False
    names = set(left.primary.names_used) | set(right.primary.names_used)
    return any(n.name in DIMENSION_NAMES for n in names)


def _normal_text(text: str) -> str:
    return re.sub(r"[\s{}]|\\[,;:! ]", "", text)


def _value_given(names: set, context: Context) -> bool:
    r"""Whether the statement or the prose around it gives one of these symbols a value
    (sigma = 1, \mu_2 = 0, p \to 0, "with n = 3")."""
    around = _normal_text(context.prose + " " + context.statement)
    for name in names:
        latex = _normal_text(_latex_name(name, context))
        if not latex:
            continue
        pattern = re.escape(latex) + r"(?![A-Za-z_])(?:=|\\to|\\rightarrow|\\approx|:=)"
        if re.search(pattern, around):
            return True
    return False


def _latex_name(name: str, context: Context) -> str:
    for s, text in context.names.latex.items():
        if s.name == name:
            return text
    return name


def _sides_for_sign_test(left: Side, right: Side, context: Context):
    atoms = algebra.Atoms()
    parens = ("expectation", "[") in context.notations or \
        algebra.writes_square_expectation(left.primary.expr, right.primary.expr)
    constants = algebra.outside_symbols(_values(left.primary, context), _values(right.primary, context)) | \
        _named_numbers(left.primary, right.primary, context)
    a = _prepared(left.primary, context, atoms, parens, constants)
    b = _prepared(right.primary, context, atoms, parens, constants)
    symbols = {s for s in (a.free_symbols | b.free_symbols) if s not in atoms.symbols}
    points = algebra.box_points(symbols, count=48, seed=5)
    points += algebra.box_points(symbols, count=16, seed=6, box=(sympy.Rational(1, 1000), sympy.Rational(1, 20)))
    return a, b, points, atoms.symbols


def _latex(symbol, context: Context) -> str:
    for s, text in context.names.latex.items():
        if s.name == symbol.name:
            return text
    return symbol.name



def _inequality_verdict(left, relation, right, context, primary: Comparison, first, notes) -> StepResult:
    def result(verdict, reason, evidence=""):
        return StepResult(relation, left.text, right.text, verdict, "chain", reason, evidence)

    if primary.status in ("opaque", "unevaluable", "timeout"):
        return result("unchecked", primary.detail or primary.status)
    points = primary.points
    violated = points.above if relation in ("≤", "<") else points.below
    if primary.status == "proved":
        if primary.detail.startswith("the difference of the sides is"):
            return result("proved", f"proved: {primary.detail}, so {relation} holds")
        return result("proved", f"the sides are equal ({primary.detail}), so {relation} holds")
    if not violated:
        return result("unchecked", f"holds at the {points.evaluated} exact points (evidence, not proof)")
    guard = _guard(left, "=", right, context, primary, first) if primary.symbols_left != primary.symbols_right \
        or _vector_dimension(left, right) or context.conditional else ""
    gone = primary.symbols_left - primary.symbols_right
    if not guard and gone and classify.value_chosen(context.prose):  # "plugging λ* back in": one value of λ
        guard = (f"{', '.join(sorted(_latex_name(n, context) for n in gone))} disappears in the inequality: a value "
                 "chosen for it or an optimum taken (the bound is about that value), not checked for every value")
    if not context.chain and not guard:
        guard = "a single inequality: it may be a condition rather than a claim about all values"
    if violated < max(2, points.evaluated // 2) and not guard:
        guard = f"violated at only {violated} of {points.evaluated} points: possibly true on the intended domain"
    if notes and not guard:
        guard = "violated when vectors and matrices are read as scalars; not compared as matrices (no flag from a scalar reading)"
    evidence = _describe_point(points.first, context.names)
    if guard:
        return result("unchecked", guard, evidence)
    return result("disagrees", f"'{relation}' is violated at {violated} of {points.evaluated} exact points", evidence)


# --- up to a constant, proportional -----------------------------------------------------------------

def check_up_to_constant(left: Side, relation: str, right: Side, context: Context) -> StepResult:
    """``A = B + const``: A - B is free of some variable (the constant is what does not depend on
    it). Reported different only if A - B depends on every variable of the step."""
    def result(verdict, reason, evidence=""):
        return StepResult(relation, left.text, right.text, verdict, "chain", reason, evidence)

    if relation not in ("=", "≈"):
        return result("unchecked", f"'{relation}' with a constant term is not checked")
    if relation == "≈":
        return result("unchecked", "an approximation up to a constant")
    const = context.names.symbol("⟦const⟧")
    a = _values(left.primary, context).xreplace({const: 0})
    b = _values(right.primary, context).xreplace({const: 0})
    atoms = algebra.Atoms()
    try:
        a = algebra.atomize(algebra.normal_form(a), atoms)
        b = algebra.atomize(algebra.normal_form(b), atoms)
        a, _ = algebra.positive_world(a)
        b, _ = algebra.positive_world(b)
    except Exception:
        return result("unchecked", "cannot prepare the sides")
    difference = sympy.expand(a - b)
    if difference.free_symbols & atoms.symbols:
        return result("unchecked", "the sides differ by terms in undefined functions")
    variables = sorted((a.free_symbols | b.free_symbols) - atoms.symbols, key=lambda s: s.name)
    if not variables:
        return result("unchecked", "no variable: 'const' has no meaning here")
    free = [v for v in variables if algebra.free_of(difference, v)]
    if free:
        names = ", ".join(_latex(v, context) for v in free)
        return result("proved", f"equal up to a term free of {names}")
    # depends on every variable: confirm numerically that each one moves the difference
    points = algebra.box_points(set(variables), count=6, seed=3)
    for v in variables:
        moved = False
        for point in points:
            other = dict(point)
            other[v] = point[v] / 2 + sympy.Rational(1, 7)
            d1 = algebra.evaluate(difference, point)
            d2 = algebra.evaluate(difference, other)
            if d1 is not None and d2 is not None and algebra._differs(d1, d2):
                moved = True
                break
        if not moved:
            return result("unchecked", f"the difference may not depend on {_latex(v, context)}")
    if not context.chain or context.conditional or _vector_dimension(left, right):
        return result("unchecked", "the difference depends on every variable, but this is not a derivation chain")
    return result("disagrees", "the sides differ by a term that depends on every variable: not a constant",
                  f"difference = {sympy.sstr(difference)[:120]}")


def check_proportional(left: Side, right: Side, context: Context) -> StepResult:
    def result(verdict, reason, evidence=""):
        return StepResult("∝", left.text, right.text, verdict, "chain", reason, evidence)

    atoms = algebra.Atoms()
    try:
        a = algebra.atomize(algebra.normal_form(_values(left.primary, context)), atoms)
        b = algebra.atomize(algebra.normal_form(_values(right.primary, context)), atoms)
        a, _ = algebra.positive_world(a)
        b, _ = algebra.positive_world(b)
    except Exception:
        return result("unchecked", "cannot prepare the sides")
    shared = sorted((a.free_symbols & b.free_symbols) - atoms.symbols, key=lambda s: s.name)
    if not shared:
        return result("unchecked", "proportionality in which variable? the sides share none (or only undefined functions)")
    free = [v for v in shared if algebra.ratio_constant_in(a, b, v)]
    if free:
        return result("proved", f"the ratio is free of {', '.join(_latex(v, context) for v in free)}")
    return result("unchecked", "proportionality not shown (∝ is not reported as wrong: its variable is not stated)")


# -- arg max and arg min (derivspec/scan/optimum.py) -------------------------------------------------

_EXTREMUM = re.compile(r"\\(?:min|max|sup|inf)\s*(?:\\limits\s*)?_")
_EXTREMUM_SIDE = re.compile(r"^\s*\\(?:min|max|sup|inf)\s*(?:\\limits\s*)?_\s*(?:\{(?:[^{}]|\{[^{}]*\})*\}|\\?[A-Za-z]+)"
                            r"\s*(.+?)\s*$", re.DOTALL)


def _same_extremum(left: Side, right: Side, context: Context) -> StepResult | None:
    r"""``\min_V F = \min_V G`` (max, sup, inf alike): the same extremum over the same variable and set of two
    objectives that are one function (``F = G`` proved, with the document's definitions) -- proved; otherwise None
    (different objectives may share an extremum: never a flag)."""
    try:
        a, b = (read_document(normalise_side(side.text), context.names, context.bare, log_base=context.log_base,
                              typed=True).value() for side in (left, right))
    except Exception:  # noqa: BLE001 -- not read with its optima either: nothing from it
        return None
    kinds = {f: k for k, f in OPTIMA.items()}
    if not (a.func in kinds and a.func == b.func and a.args[1:] == b.args[1:]):
        return None
    texts = [_EXTREMUM_SIDE.match(side.text) for side in (left, right)]
    if not all(texts):  # the extremum is the whole side: its objective is the rest, read as a side of its own
        return None
    try:
        objectives = check_step(read_side(texts[0].group(1), context), "=", read_side(texts[1].group(1), context),
                                dataclasses.replace(context, chain=True), False)
    except Exception:  # noqa: BLE001
        return None
    if objectives.verdict != "proved":
        return None
    return StepResult("=", left.text, right.text, "proved", "chain",
                      f"the same {kinds[a.func]} over the same variable of objectives proved equal: {objectives.reason}")


def _written_out(left: Side, right: Side, context: Context) -> StepResult | None:
    """Both sides with their matrices written out entry by entry, compared entry by entry
    (:func:`matrices.compare_written_out`); None where that decides nothing."""
    try:
        readings = [read_document(normalise_side(side.text), context.names, context.bare, log_base=context.log_base,
                                  arrays=True) for side in (left, right)]
        a, b = (reading.value() for reading in readings)
    except Exception:  # noqa: BLE001 -- a side not read with its arrays: nothing from it
        return None
    written = [str(number) for reading in readings for number in reading.literals]  # decimals as written: ⟨0.14@1⟩
    places = max((len(m.group(1)) for w in written if (m := re.search(r"\.(\d+)", w))), default=0)
    found = matrices.compare_written_out(a, b, places)
    if found is None:
        return None
    return StepResult("=", left.text, right.text, found.verdict, "chain", found.reason, found.evidence)


def _optimum_step(left: Side, right: Side, context: Context, first: bool) -> StepResult | None:
    """``name = arg max_v F`` is a definition; ``arg max_v F = arg max_v G`` is proved when G is F up
    to a shift, a positive factor or a log; ``arg max_v F = c`` is judged by the first-order condition
    and the second-order sign; None when none applies (the side stays "not read")."""
    lo, ro = optimum.parse(left.text), optimum.parse(right.text)

    def result(verdict, reason, evidence="", **extra):
        return StepResult("=", left.text, right.text, verdict, "chain", reason, evidence, **extra)

    starts = re.match(r"\s*(?:" + optimum.ANY_OPTIMUM.pattern + ")", optimum.normalised(right.text))
    if lo is None and first and starts and not optimum.ANY_OPTIMUM.search(left.text):
        kind = f"arg {ro.kind}" if ro is not None else "optimiser"
        return result("unchecked", f"defines {left.text.strip()} as the {kind} of its objective "
                      "(a definition; not checked)", category="definition", label=True)
    if lo is not None and ro is not None:
        return _same_optimisers(lo, ro, result, context)
    found, other = (lo, right) if lo is not None else (ro, left)
    if found is None or not other.readable or optimum.ANY_OPTIMUM.search(other.text):
        return None
    return _first_order(found, other, result, context)


def _optimum_variables(found: optimum.Optimum, context: Context) -> list | None:
    names = re.split(r"\\in(?![A-Za-z])|∈|\\le|\\ge|[<>≤≥]", found.variable)[0]
    variables = []
    for part in names.split(","):
        side = read_side(part.strip(), context)
        if not side.readable or not isinstance(side.primary.expr, sympy.Symbol):
            return None
        variables.append(side.primary.expr)
    return variables or None


def _same_optimisers(lo: optimum.Optimum, ro: optimum.Optimum, result, context: Context) -> StepResult | None:
    if " ".join(lo.variable.split()) != " ".join(ro.variable.split()):
        return None
    variables = _optimum_variables(lo, context)
    f, g = read_side(lo.objective, context), read_side(ro.objective, context)
    if variables is None or not f.readable or not g.readable:
        return None
    if {"matrix"} & (f.primary.flags | g.primary.flags):
        return result("unchecked", "the same optimisers for scalars (vectors and matrices read as 1x1); not proved "
                      "for matrices")
    fe, ge = lo.sign * _values(f.primary, context), ro.sign * _values(g.primary, context)
    how = optimum.same_maximisers(
        fe, ge, variables, free_of=lambda e, v: algebra.free_of(algebra.normal_form(algebra.positive_world(e)[0]),
                                                                 algebra.positive_world(v)[0]),
        positive=lambda r: bool(algebra.positive_world(r)[0].is_positive))
    if how is None:
        return result("unchecked", f"the arg {lo.kind} and the arg {ro.kind} of objectives not related by a shift, a "
                      "positive factor or a log (two objectives can share optimisers otherwise: not compared)")
    return result("proved", f"proved: the same optimisers -- {how}")


def _first_order(found: optimum.Optimum, value: Side, result, context: Context) -> StepResult | None:
    variables = _optimum_variables(found, context) if not found.constrained else None
    objective = read_side(found.objective, context)
    if not variables or len(variables) != 1 or not objective.readable:
        return None
    (v,) = variables
    if {"matrix"} & (objective.primary.flags | value.primary.flags):
        return result("unchecked", "a vector or matrix optimum: the first-order condition is not taken for matrices")
    f = found.sign * _values(objective.primary, context)
    c = _values(value.primary, context)
    how = ""
    if v not in f.free_symbols:
        pointwise = optimum.pointwise(f, v)
        if pointwise is None:
            return None
        f, v, how = pointwise
    if v in c.free_symbols or c.has(sympy.Derivative):
        return None
    # densities and other opaque values that do not depend on v are positive numbers at each point
    opaque = {a: sympy.Symbol(sympy.sstr(a), positive=True) for e in (f, c) for a in e.atoms(AppliedUndef)
              if not a.has(v)}
    f, c = algebra.normal_form(f.xreplace(opaque)), c.xreplace(opaque)
    world, mapping = algebra.positive_world(f)
    v = mapping.get(v, v)
    c = c.xreplace({s: mapping.get(s, sympy.Symbol(s.name, positive=True)) for s in c.free_symbols})
    try:
        gradient = sympy.diff(world, v)
        at = gradient.xreplace({v: c})
        curvature = sympy.diff(world, v, 2).xreplace({v: c})
    except Exception:
        return None
    if at.has(sympy.Derivative) or any(algebra.is_opaque_function(n) and n.has(v) for n in sympy.preorder_traversal(world)):
        return result("unchecked", f"the objective of the arg {found.kind} is not written out in {v}: its derivative "
                      "is not known")
    shown = _latex(v, context) if v in context.names.latex else str(v)
    at, curvature = algebra.normal_form(at), algebra.normal_form(curvature)
    stationary = algebra.prove_zero(at, context.seconds)
    points = algebra.box_points(at.free_symbols | curvature.free_symbols, seed=11)
    if stationary is not None:
        if optimum.concave_everywhere(world, v, context.seconds):
            return result("proved", f"proved: the first-order condition of the arg {found.kind}{how} holds at "
                          f"{shown} = {value.text.strip()} and the second derivative is "
                          f"{'negative' if found.kind == 'max' else 'positive'} for every {shown} (one optimum)")
        if {algebra.confirmed_sign(curvature, p) for p in points} - {None} == {-1}:
            return result("unchecked", f"holds on {len(points)} instances: the first-order condition{how} is proved at "
                          f"{shown} = {value.text.strip()}; the second-order sign is right at {len(points)} exact "
                          "points (evidence of an optimum, not proof)")
        return result("unchecked", f"a stationary point of the objective{how}, not shown to be its {found.kind}imum")
    differing = [p for p in points if algebra.confirmed_sign(at, p) is not None]
    own_names = c.free_symbols <= world.free_symbols  # a name only in the value (x̄) may be defined elsewhere
    if not differing or len(differing) < len(points) or not own_names or not optimum.smooth(world) or \
            optimum.constraint_in(context.prose + " " + context.statement):
        return result("unchecked", f"the first-order condition of the arg {found.kind} is not shown at "
                      f"{shown} = {value.text.strip()} (not decided; a constraint or a boundary may hold)")
    try:
        with symbolic.time_limit(context.seconds):
            solutions = [s for s in sympy.solve(gradient, v) if not s.has(v)]
    except Exception:
        solutions = []
    if not solutions:
        return result("unchecked", "the derivative at the claimed optimum is not zero, but no stationary point is "
                      "found: the optimum may be on a boundary (no flag)")
    point = differing[0]
    return result("disagrees", f"the first-order condition of the arg {found.kind}{how} fails at {shown} = "
                  f"{value.text.strip()}: the derivative of the objective is not zero there; it vanishes at "
                  f"{shown} = {sympy.sstr(solutions[0])}",
                  f"at {algebra.point_text(point)}: d/d{shown} = {sympy.sstr(sympy.N(at.xreplace(point), 10))}")
