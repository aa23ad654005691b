r"""The document's scope, first part: which names the document uses as densities (issue 42, step 3).

Any letter can be a density; the document says which by how it uses the name -- never a list of
letters. A name is a density of the document when the document, anywhere in its math:

- applies it with a conditioning bar: ``p(x | z)``, ``r(v \mid u)``, ``\pi(a \vert s)``,
  ``\rho_\psi(\mathbf u | \mathbf v)``;
- takes an expectation under it or draws from it: ``\mathbb{E}_{q(z|x)}``, ``\mathbb{E}_{x \sim r}``,
  ``\mathbb{E}_{s}[…]``, ``z \sim r(z)``, ``x \sim p_{data}``;
- gives it to a divergence and applies it to a variable somewhere (``KL(q \| p)`` and ``p(x)``,
  ``D_{KL}(r(v) \| \pi(v))``): a name met only inside divergences (the ``M`` of ``JS(P \| Q) =
  ½ KL(P \| M) + ½ KL(Q \| M)``) may be the mixture the standard result means, not a free density;
- weights a log of itself, as an expectation under it does: ``p(x) \log p(x)``,
  ``\rho(u, y) \log_2 \frac{\rho(u, y)}{…}``;
- sums or integrates to one: ``\sum_x p(x) = 1``, ``\int r(v)\,dv = 1``.

A name the document defines as an expression of other densities (``M = (P + Q)/2``, ``m := \frac{p + q}{2}``)
is not a density of its own: what it is follows from its definition (the mixture of a JS divergence);
a density written as its own normalised form (``p = \bar{p} / Z_p``) stays one.

And in words: the prose calls it a distribution, density, mass function, posterior, prior,
likelihood or policy (``distributions $p$ and $q$``, ``a density $r(x)$``, ``$s$ is a probability
distribution``).

Each statement is read on its own (its text is bounded) and the prose by bounded patterns, so the
pass is linear in the document.

A name counts with its fonts and accents (``\mathbf p`` is ``p``), in either case (``P`` is ``p``:
probability calculus keys them as one model), and with its subscript (``p_\theta``;
the base ``p`` of a density ``p_\theta`` is a density too, and ``p_\theta`` of a density ``p``: a
lecture's ``p_{data}``, ``p_g`` and ``p`` are all distributions). A family's member (``p_i`` with a
summation index) is not a density name. A statement checked outside a document (a library call)
has the scope of its own two sides (:func:`from_expressions`).
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import re

import sympy

from derivspec.scan.reader import is_opaque_function  # the reader's applications

_NAME = (r"(?:\\(?:mathbf|boldsymbol|bm|tilde|hat|bar|widetilde|widehat|mathcal|mathrm|mathit)\s*\{?\s*)?"
         r"(\\[A-Za-z]+|[A-Za-z])\s*\}?\s*(_\s*(?:\{[^{}]*\}|\\[A-Za-z]+|[A-Za-z0-9]))?")
_NOT_A_DENSITY = frozenset({r"\mathbb", "e", "E", r"\mathcal", r"\mid", r"\vert", r"\left", r"\right", r"\big", r"\Big",
                            r"\bigg", r"\Bigg", r"\log", r"\exp", r"\sum", r"\int", r"\prod", r"\nabla", r"\partial",
                            r"\frac", r"\sqrt", r"\operatorname", r"\text", r"\mathrm", "N", r"\sim",
                            "H", "I", r"\Pr"})  # an entropy H(X | Y), an information I(X; Y | Z): operators
_BAR = r"(?:(?<![\\|])\|(?!\|)|\\mid(?![A-Za-z])|\\vert(?![A-Za-z]))"  # a conditioning bar, not KL's \| or ||
_CONDITIONED = re.compile(r"(?<![A-Za-z\\])" + _NAME + r"\s*(?:\\left\s*)?\(\s*[^()|]*?" + _BAR + r"[^()]*\)")
_UNDER = re.compile(r"(?:\\mathbb\s*\{?\s*E\s*\}?|(?<![A-Za-z\\])E|\\operatorname\s*\{\s*E\s*\}|\\mathrm\s*\{\s*E\s*\})"
                    r"\s*_\s*\{?\s*(?:[^{}$]*?\\sim\s*)?" + _NAME)
_SAMPLED = re.compile(r"\\sim\s*" + _NAME)
_DIVERGENCE = re.compile(r"(?:KL|JS|JSD|D)\s*\}?\s*\}?\s*(?:\\left\s*)?[(\[]\s*" + _NAME + r"\s*(?:\([^()]*\))?\s*"
                         r"(?:\\\||\\Vert|\\parallel|\|\||‖|\\mid\s*\\mid)\s*" + _NAME)
_SELF_WEIGHTED = re.compile(_NAME + r"\s*\([^()]*\)\s*\\(?:log|ln)(?![A-Za-z])(?:\s*_\s*\{?\s*\w+\s*\}?)?\s*(?:\\left\s*)?"
                            r"[(\[{]?\s*(?:\\frac\s*\{\s*)?(?:\\(?:mathbf|boldsymbol|bm)\s*\{?\s*)?(\1)")
_NORMALISED = re.compile(r"\\(?:sum|int)\s*(?:_\s*(?:\{[^{}]*\}|\\?\w+))?(?:\s*\^\s*(?:\{[^{}]*\}|\\?\w+))?\s*" + _NAME +
                         r"\s*\([^()]*\)\s*(?:\\[,;!]\s*)?(?:d\s*\w+|\\mathrm\s*\{\s*d\s*\}\s*\w+)?\s*=\s*1(?![\d.])")

_KIND = r"(?:probability\s+)?(?:distributions?|densit(?:y|ies)|mass\s+functions?|pmfs?|pdfs?|posteriors?|priors?|likelihoods?|polic(?:y|ies))"
_SPAN = r"\$([^$]{1,80})\$"
_SPANS = _SPAN + r"(?:\s*(?:,|and|or)\s*" + _SPAN + r")?"
_CALLED = re.compile(r"\b" + _KIND + r"\s+(?:of\s+\w+\s+)?" + _SPANS, re.IGNORECASE)
_IS_A = re.compile(_SPANS + r"\s+(?:is|are|be|denotes?)\s+(?:an?\s+|the\s+|two\s+)?(?:\w+\s+){0,3}?" + _KIND,
                   re.IGNORECASE)
_LISTED = re.compile(r"\s*" + _NAME + r"\s*(?:\([^()]*\))?\s*")


def _listed(span: str) -> set:
    """The names a prose span lists (``$p, q_\\theta$``, ``$r(x)$``): each comma-separated piece that is a
    name, or a name applied to arguments; nothing else of the span (not the x of r(x))."""
    names = set()
    if "=" in span:  # "$p(x) = e^{-f(x)}/Z$ be a density": the name the span defines
        span = span.split("=", 1)[0]
    for piece in re.split(r",(?![^()]*\))", span):
        m = _LISTED.fullmatch(piece)
        if m and m.group(1) not in _NOT_A_DENSITY:
            names.add(normal(m.group(1) + (m.group(2) or "")))
    return names


_APPLIED = re.compile(r"(?<![A-Za-z\\])" + _NAME + r"\s*(?:\\left\s*)?\(\s*[^()\s]")
_DEFINED = re.compile(r"^\s*" + _NAME + r"\s*(?::=|\\coloneqq|\\equiv|=)\s*(?!\\mathcal|\\operatorname|\\text|\\mathrm)"
                      r"(?=[^=<>]*[+\-*/]|\s*\\frac)")

_CURRENT: contextvars.ContextVar[frozenset | None] = contextvars.ContextVar("densities", default=None)


def normal(name: str) -> str:
    """A name as the scope keys it: fonts, accents, braces and spaces gone (``\\mathbf{p}_{\\theta}`` is ``p_\\theta``)."""
    name = re.sub(r"\\(?:mathbf|boldsymbol|bm|tilde|hat|bar|widetilde|widehat|mathcal|mathrm|mathit|text|"
                  r"operatorname|mathsf)\s*\{([^{}]*)\}", r"\1", name)
    name = re.sub(r"\\(?:mathbf|boldsymbol|bm|tilde|hat|bar|widetilde|widehat)\s*(?=\\|[A-Za-z])", "", name)
    return re.sub(r"[\s{}]|\\[,;:!]", "", name)


def _names(pattern: re.Pattern, text: str, groups=((1, 2),)) -> set:
    found = set()
    for match in pattern.finditer(text):
        for base_group, sub_group in groups:
            base = match.group(base_group)
            if base is None or base in _NOT_A_DENSITY:
                continue
            found.add(normal(base + (match.group(sub_group) or "")))
    return found


def density_names(statements, prose: str = "") -> frozenset:
    """The names the math of ``statements`` (the document's formulas, each a string) and the ``prose``
    (the document's text) use as densities (see the module's docstring)."""
    found: set = {name for pattern in (_CALLED, _IS_A) for m in pattern.finditer(prose)
                  for span in m.groups() if span for name in _listed(span)}
    defined, applied, divergence = [], set(), set()
    for math in statements:
        defined += [(normal(m.group(1) + (m.group(2) or "")), math[m.end():]) for m in _DEFINED.finditer(math)]
        applied |= _names(_APPLIED, math)
        divergence |= _names(_DIVERGENCE, math, ((1, 2), (3, 4)))
        found |= (_names(_CONDITIONED, math) | _names(_UNDER, math) | _names(_SAMPLED, math)
                  | _names(_SELF_WEIGHTED, math) | _names(_NORMALISED, math))
    applied_lower = {name.lower() for name in applied}  # KL(P || Q) with p(x), q(x): P and p are one model
    found |= {name for name in divergence if name.lower() in applied_lower}
    mixtures = {name for name, right in defined
                if {normal(m.group(1) + (m.group(2) or "")) for m in re.finditer(_NAME, right)} - {name} & found}
    return frozenset(found - mixtures)


def from_expressions(*exprs) -> frozenset:
    r"""The scope of a statement read alone: the heads its sides apply with a conditioning bar, and the
    applied arguments of a divergence (``KL(q(z|x) \| p(z))``: both are densities)."""
    found = set()
    for expr in exprs:
        for node in sympy.preorder_traversal(expr):
            if is_opaque_function(node) and not node.is_Symbol:
                name = node.func.__name__
                head, _, seps = name.partition("[")
                if "|" in seps:
                    found.add(normal(head))
                if seps.startswith("‖"):
                    found |= {normal(arg.func.__name__.partition("[")[0]) for arg in node.args
                              if is_opaque_function(arg) and not arg.is_Symbol}
                found |= _names(_UNDER, name.replace("⟮⟯", ""))  # \mathbb{E}_{p_\theta}[…]: the law of an expectation
    return frozenset(found)


def is_density(name: str, scope: frozenset | None = None) -> bool:
    """``name`` (a head as the reader writes it: ``p_{\\theta}``, ``\\rho``) is a density of the
    current document: the name, its base or a subscripted form of it is used as one."""
    scope = _CURRENT.get() if scope is None else scope
    if not scope:
        return False
    names, subscripted_bases = _keys(scope)
    key = normal(name).lower()
    base, _, sub = key.partition("_")
    if "•" in sub:  # p_i of a family indexed by a summation
        return False
    return key in names or base in names or (not sub and base in subscripted_bases)


@functools.lru_cache(maxsize=16)
def _keys(scope: frozenset) -> tuple[frozenset, frozenset]:
    """A scope's names in lower case (P and p are one model: probability._model), and the bases of its
    subscripted names (p of p_\\theta): computed once per document, not per name asked."""
    names = frozenset(s.lower() for s in scope)
    return names, frozenset(s.partition("_")[0] for s in names if "_" in s)


def current() -> frozenset | None:
    return _CURRENT.get()


@contextlib.contextmanager
def densities(names: frozenset | None):
    """Within the block, ``names`` are the document's densities (:func:`is_density`)."""
    token = _CURRENT.set(names)
    try:
        yield
    finally:
        _CURRENT.reset(token)


# -- upper indices: v^i a component, not a power ----------------------------------------------------------------

_SUM_INDEX = re.compile(r"\\sum\s*_\s*\{?\s*([a-z])\b")
_SUPERSCRIPT = r"(\\?[A-Za-z]+)\s*\^\s*\{?\s*"
_UPPER_LISTED = re.compile(_SUPERSCRIPT + r"1\s*\}?\s*[,=]\s*(?:\\[lc]?dots\s*[,=]\s*)?\1\s*\^\s*\{?\s*(?:2|n|N|d|k)\b")


def upper_index_names(statements) -> frozenset:
    """Names the document writes with upper indices (``v^i`` summed over i, ``x^1, x^2, …``, ``x^1 = \\dots = x^n``):
    there a superscript may be a component's index, so ``x^1 = x^2`` reads two ways and is never flagged."""
    found = set()
    for text in statements:
        for match in _UPPER_LISTED.finditer(text):
            found.add(match.group(1))
        for index in set(_SUM_INDEX.findall(text)):
            found |= {m.group(1) for m in re.finditer(_SUPERSCRIPT + re.escape(index) + r"\b", text)}
    return frozenset(found)


_PRIOR = re.compile(r"\bprior(?:\s+(?:probability|distribution|density|belief|mass|pmf|pdf))?\s+(?:over\s+\w+\s+|on\s+\w+\s+)?"
                    r"(?:is\s+|as\s+)?\$\s*" + _NAME + r"\s*(?:\(([^()|$]*)\))?\s*\$"
                    r"|\$\s*" + _NAME + r"\s*(?:\(([^()|$]*)\))?\s*\$\s*(?:is|denotes|be)\s+(?:the|a|our)\s+prior\b",
                    re.IGNORECASE)


def prior_names(prose: str) -> frozenset:
    """Names the prose calls a prior (``a prior probability $\\pi(M)$``, ``$g(\\theta)$ is the prior``),
    written with a letter of their own beside the model's density: the marginal of what they are applied
    to, one distribution with the others of the statement (Bayes' rule with ``\\pi(M)``)."""
    found = set()
    for m in _PRIOR.finditer(prose):
        groups = m.groups()
        name, scripts = (groups[0], groups[1]) if groups[0] else (groups[3], groups[4])
        if name and name not in _NOT_A_DENSITY:
            found.add(normal(name + (scripts or "")))
    return frozenset(found)


def with_priors(texts: list[str], priors: frozenset) -> tuple[list[str], str]:
    """``texts`` (the sides of one statement) with a prior's own letter replaced by the one density
    letter the statement conditions with (``p(M | D) = p(D | M)\\,\\pi(M)/p(D)`` read with p(M)), and a
    note saying so; unchanged when the prior is conditioned or the statement has no single such letter."""
    joined = " ".join(texts)
    present = [name for name in priors
               if re.search(r"(?<![A-Za-z\\])" + re.escape(name) + r"\s*(?:\\left\s*)?\(", joined)]
    if len(present) != 1:
        return texts, ""
    prior = present[0]
    applied = re.compile(r"(?<![A-Za-z\\])" + re.escape(prior) + r"(\s*(?:\\left\s*)?\(([^()]*)\))")
    arguments = {re.sub(r"\s+", "", m.group(2)) for m in applied.finditer(joined)}
    if len(arguments) != 1 or re.search(_BAR, next(iter(arguments))):
        return texts, ""  # π(θ | x), or π(M) beside π(D): not one prior written with its own letter
    models = {normal(m.group(1) + (m.group(2) or "")) for m in _CONDITIONED.finditer(joined)} - {prior}
    if len(models) != 1:
        return texts, ""
    model = next(iter(models))
    return ([applied.sub(lambda m: model + m.group(1), t) for t in texts],
            f"[{prior}(·), which the text calls a prior, read as the marginal {model}(·)]")


_SHAPE = r"(?:strictly\s+)?(convex|concave)"
_SHAPED = re.compile(r"\$\s*" + _NAME + r"\s*(?:\([^()$]*\))?\s*\$\s*(?:is|be|being|are)\s+(?:a\s+|an\s+)?" + _SHAPE
                     + r"|" + _SHAPE + r"\s+(?:function\s+)?\$\s*" + _NAME + r"\s*(?:\([^()$]*\))?\s*\$", re.IGNORECASE)


def function_shapes(text: str) -> tuple:
    """(name, "convex" | "concave", line) for each function the prose calls convex or concave ("let $h$ be
    concave", "for a convex $f$"), any letter."""
    found = []
    for m in _SHAPED.finditer(text):
        name, scripts, shape = (m.group(1), m.group(2), m.group(3)) if m.group(1) else (m.group(5), m.group(6), m.group(4))
        found.append((normal(name + (scripts or "")), shape.lower(), text.count("\n", 0, m.start()) + 1))
    return tuple(found)


# words that restrict a variable's values: a claim about every distribution of it is then not one (scope and
# expectations.py read them)
RESTRICTING_WORDS = (r"binary|indicator|bernoulli|integer|counts?\b|bounded|between|symmetric|constant|degenerate|"
                     r"deterministic|takes?\s+(?:the\s+)?values?")
_RESTRICTS = RESTRICTING_WORDS + r"|categorical|discrete"
_RESTRICTED = re.compile(r"\$\s*" + _NAME + r"\s*\$[^.$]{0,60}?\b(?:" + _RESTRICTS + r")"
                         r"|\b(?:" + _RESTRICTS + r")[^.$]{0,40}?\$\s*" + _NAME + r"\s*\$"
                         r"|" + _NAME + r"\s*\\in\s*(?:\\\{|\[|\\\{?\s*0|\\mathbb\s*\{?\s*[NZ])", re.IGNORECASE)


def restricted_variables(text: str) -> tuple:
    """(name, line) for each variable the text restricts ("an integer-valued $X$", "$X$ is binary",
    ``X \\in \\{0, 1\\}``): a claim about every distribution of it is then not one."""
    found = []
    for m in _RESTRICTED.finditer(text):
        groups = [g for g in m.groups()]
        for k in (0, 2, 4):
            if groups[k]:
                found.append((normal(groups[k] + (groups[k + 1] or "")), text.count("\n", 0, m.start()) + 1))
                break
    return tuple(found)


_LABEL_SET = re.compile(r"^\\\{\s*(0\s*,\s*1|-\s*1\s*,\s*\+?\s*1|\\pm\s*1)\s*\\\}$")


def declared_labels(split) -> list[tuple[int, str, str]]:
    r"""(line, name, "binary" or "sign") for every name the document declares in {0, 1} or {-1, +1} (``y \in \{0,
    1\}``, ``t_i \in \{-1, +1\}``, ``a, b \in \{\pm 1\}``), keyed as :func:`normal` writes the name, in reading
    order: the label sets the knowledge rows' label roles take. An indexed name (``y_n``) is declared under its
    letter with the index of a sum too (``y_•``): any item of a sum over examples. ``split``: as for
    :func:`declared_laws`."""
    found = []
    for statement, clauses in split:
        for clause in clauses or ():
            for k, relation in enumerate(clause.relations):
                m = _LABEL_SET.match(clause.sides[k + 1].strip()) if relation == "∈" else None
                if not m:
                    continue
                kind = "binary" if m.group(1).startswith("0") else "sign"
                for name in filter(None, (normal(n) for n in clause.sides[k].split(","))):
                    found.append((statement.lines[0], name, kind))
                    if "_" in name:
                        found.append((statement.lines[0], name.partition("_")[0] + "_•", kind))
    return found


def declared_laws(split) -> list[tuple[int, str, str]]:
    r"""(line, name, law) for every ``name \sim law`` the document states, any letter (``y \sim \mathrm{Ber}(	heta)``,
    ``\mathbf z \sim \mathcal N(0, I)``), in reading order: the scope's laws, in force below where they are stated.
    ``split``: the document's relational statements with their clauses (statements.relational_clauses)."""
    laws = []
    for statement, clauses in split:
        for clause in clauses or ():
            for k, relation in enumerate(clause.relations):
                name, law = clause.sides[k].strip(), clause.sides[k + 1].strip()
                if relation == "∼" and name and law and "(" in law:
                    laws.append((statement.lines[0], name, law))
    return laws


def laws_in_words(text: str, families) -> list[tuple[int, str, str]]:
    r"""(line, name, law) for every law the prose gives a variable in words: "let $X$ be a Poisson random variable
    with rate $\lambda$", "$T$ is exponentially distributed with rate $\beta$", "$Y$ follows a Beta distribution with
    parameters $a$ and $b$" -- the family by its name (an alias of four letters or more), each parameter by the word
    the family's table gives it (rate, mean, shape, variance, ...) or, after "parameter(s)", in the family's order.
    A law whose parameters the words do not all give is not read. ``families``: the knowledge tables' families."""
    laws = []
    for m in _LAW_IN_WORDS.finditer(text or ""):
        name, said, rest = m.group("name").strip(), m.group("family"), m.group("rest")
        family = next((f for f in families if f.latex and all(
            p.type in ("real", "positive", "probability", "positive integer") for p in f.params) and any(
            len(a) > 3 and _plain_words(said) in (_plain_words(a), _plain_words(a) + "ly") for a in (f.name, *f.aliases))),
            None)  # "Poisson", "exponentially", "normally": the family's name as a word
        if family is None:
            continue
        values = _parameters_said(family, rest)
        if values is None:
            continue
        laws.append((text.count("\n", 0, m.start()) + 1, name,
                     f"{family.latex[0]}({', '.join(values)})"))
    return laws


def priors_in_words(text: str) -> list[tuple[str, str]]:
    r"""(name, law) for every prior the prose gives in words: "we assign a $\text{Beta}(\alpha, \beta)$ prior to
    $p$" -- for Bayes' rule near it only (a prior is no law of the posterior's quantities: not a declared law)."""
    return [(m.group("name").strip(), m.group("law").strip()) for m in _PRIOR_IN_WORDS.finditer(text or "")]


def _parameters_said(family, rest: str) -> list[str] | None:
    """The law's arguments in the family's order, from "with rate $a$", "with mean $m$ and variance $v$" (a normal's
    second argument is its variance), "with parameters $a$ and $b$"; None unless every one is said by a word that
    names the parameter itself (a scale or a mean of a rate is another parameter: not read)."""
    params = [p.ident for p in family.params]
    said = {_plain_words(word): str(expr) for word, expr in (family.said or {}).items()}
    found = [(_plain_words(word), math.strip()) for word, math in _WORD_THEN_MATH.findall(rest)]
    if found and found[0][0].startswith("parameter"):
        maths = [m.strip() for m in re.findall(r"\$([^$]+)\$", rest)][:len(params)]
        return maths if len(maths) == len(params) else None
    values: dict = {}
    for word, math in found:
        target = said.get(word) or (params[0] if len(params) == 1 and word in ("rate", "parameter") else None)
        if target in params:
            values[target] = f"({math})^2" if target == "sigma" else math
        elif target == "sigma**2":
            values["sigma"] = math
    return [values[p] for p in params] if all(p in values for p in params) else None


_LAW_IN_WORDS = re.compile(
    r"\$(?P<name>\s*[A-Z](?:_\{?[A-Za-z0-9]+\}?)?\s*)\$\s+(?:is|be|was|follows|has)\s+(?:an?\s+|the\s+)?"
    r"(?P<family>[A-Za-z][A-Za-z-]{3,})(?:ly)?(?:\s+(?:random\s+variable|distribution|distributed|law|variable))?"
    r"(?P<rest>\s*,?\s*(?:with|of)\s+[^.;]{0,120})")
_PRIOR_IN_WORDS = re.compile(r"\$(?P<law>[^$]{3,60}\))\$\s+prior\s+(?:to|on|for|over)\s+\$(?P<name>\s*\\?[A-Za-z]+\s*)\$")
_WORD_THEN_MATH = re.compile(r"\b((?:success\s+)?probability|parameters?|rate|mean|shape|scale|variance|"
                             r"standard\s+deviation)\s+(?:of\s+)?\$([^$]+)\$", re.IGNORECASE)


_INLINE_MATH = re.compile(r"\$\$?([^$]+)\$\$?")


def inline_math(text: str) -> list[str]:
    """The math of each ``$…$`` or ``$$…$$`` span of a piece of prose, in order."""
    return _INLINE_MATH.findall(text or "")


def words_only(text: str) -> str:
    """The prose with its math spans blanked: what it says in words."""
    return _INLINE_MATH.sub(" ", text or "")


def names_one_of(words, prose: str) -> bool:
    """The prose names one of ``words`` (case, spacing and hyphens aside, as a whole word): "the Gamma function",
    "the hinge loss", "the squared-error loss" for "squared error"."""
    lowered = _plain_words(prose)
    return any(re.search(r"(?<![a-z])" + re.escape(_plain_words(word)) + r"(?![a-z])", lowered) for word in words)


def _plain_words(text: str) -> str:
    """Lower case, one space between words, a hyphen or dash between two words read as a space."""
    return " ".join(re.sub(r"(?<=[a-z])[-‐‑–](?=[a-z])", " ", (text or "").lower()).split())


def standard_functions(prose: str, table) -> dict:
    """LaTeX head -> (arguments, value) for the standard functions the document names in words ("the Gamma
    function", any letter it is written with in the table): a head the prose does not name stays the
    document's own function. ``table``: (LaTeX spellings, cues, arguments, value) per function of the
    knowledge tables (derivspec.scan.known.standard_functions)."""
    named = {}
    for spellings, cues, arguments, value in table:
        if names_one_of(cues, prose):
            for spelling in spellings:
                named.setdefault(spelling, (arguments, value))
    return named
